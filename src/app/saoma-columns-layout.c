/* saoma-columns-layout.c: side by side when the width allows, one column when it does not.
 *
 * libadwaita 1.2 has no breakpoints, and an AdwLeaflet shows one child at a time when folded,
 * while a narrow till (800×600, 1024×600 POS screens) must show the amount and the QR together.
 * This layout puts its visible children side by side when their minimum widths fit, and stacks
 * them otherwise. It is height-for-width, so the choice is made in measure and allocate alike,
 * never by changing a widget's orientation from inside an allocation (which would cost a frame
 * with the wrong layout and a second layout pass). */
#define G_LOG_DOMAIN "saoma-columns-layout"

#include "config.h"

#include "saoma-columns-layout.h"

struct _SaomaColumnsLayout
{
  GtkLayoutManager parent_instance;

  int              spacing;
  int              max_column_width;
  gboolean         folded;
  gboolean         reversed;
};

enum {
  PROP_0,
  PROP_SPACING,
  PROP_MAX_COLUMN_WIDTH,
  PROP_FOLDED,
  PROP_REVERSED,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaColumnsLayout, saoma_columns_layout, GTK_TYPE_LAYOUT_MANAGER)

static GParamSpec *properties[N_PROPS];

static guint
count_visible (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      n++;

  return n;
}

/* The minimum and natural widths of the visible children, in order, for
 * gtk_distribute_natural_allocation(). */
static GtkRequestedSize *
measure_widths (GtkWidget *widget,
                guint     *n_out,
                int       *min_sum,
                int       *nat_sum,
                int       *min_max,
                int       *nat_max)
{
  guint n = count_visible (widget);
  GtkRequestedSize *sizes = g_new0 (GtkRequestedSize, MAX (n, 1));
  guint i = 0;

  *min_sum = *nat_sum = *min_max = *nat_max = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1,
                          &sizes[i].minimum_size, &sizes[i].natural_size, NULL, NULL);
      sizes[i].data = child;
      *min_sum += sizes[i].minimum_size;
      *nat_sum += sizes[i].natural_size;
      *min_max = MAX (*min_max, sizes[i].minimum_size);
      *nat_max = MAX (*nat_max, sizes[i].natural_size);
      i++;
    }

  *n_out = n;
  return sizes;
}

/* Side by side: every column gets its minimum, then an equal share of the rest up to
 * max-column-width. Not its natural width: that follows the texts shown, and the columns would
 * move each time the status changes. */
static void
column_widths (SaomaColumnsLayout *self,
               GtkRequestedSize   *sizes,
               guint               n,
               int                 width,
               int                *widths)
{
  int extra = width - self->spacing * (int) (n > 0 ? n - 1 : 0);

  for (guint i = 0; i < n; i++)
    extra -= sizes[i].minimum_size;
  extra = MAX (extra, 0);
  for (guint i = 0; i < n; i++)
    {
      int cap = MAX (sizes[i].minimum_size, self->max_column_width);

      widths[i] = MIN (sizes[i].minimum_size + extra / (int) n, cap);
    }
}

static gboolean
fits_side_by_side (SaomaColumnsLayout *self,
                   guint               n,
                   int                 min_sum,
                   int                 width)
{
  return n < 2 || width >= min_sum + self->spacing * (int) (n - 1);
}

static GtkSizeRequestMode
saoma_columns_layout_get_request_mode (GtkLayoutManager *manager,
                                       GtkWidget        *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
saoma_columns_layout_measure (GtkLayoutManager *manager,
                              GtkWidget        *widget,
                              GtkOrientation    orientation,
                              int               for_size,
                              int              *minimum,
                              int              *natural,
                              int              *minimum_baseline,
                              int              *natural_baseline)
{
  SaomaColumnsLayout *self = SAOMA_COLUMNS_LAYOUT (manager);
  g_autofree GtkRequestedSize *sizes = NULL;
  g_autofree int *widths = NULL;
  int min_sum, nat_sum, min_max, nat_max;
  guint n;
  int spacing;

  sizes = measure_widths (widget, &n, &min_sum, &nat_sum, &min_max, &nat_max);
  spacing = self->spacing * (int) (n > 0 ? n - 1 : 0);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Narrow enough for one column; wide enough for all side by side. */
      *minimum = min_max;
      *natural = spacing;
      for (guint i = 0; i < n; i++)
        *natural += MAX (sizes[i].minimum_size, self->max_column_width);
      return;
    }

  *minimum = *natural = 0;
  widths = g_new0 (int, MAX (n, 1));
  if (for_size < 0)
    {
      for_size = spacing;
      for (guint i = 0; i < n; i++)
        for_size += MAX (sizes[i].minimum_size, self->max_column_width);
    }

  if (fits_side_by_side (self, n, min_sum, for_size))
    {
      column_widths (self, sizes, n, for_size, widths);
      for (guint i = 0; i < n; i++)
        {
          int child_min, child_nat;

          gtk_widget_measure (sizes[i].data, GTK_ORIENTATION_VERTICAL, widths[i],
                              &child_min, &child_nat, NULL, NULL);
          *minimum = MAX (*minimum, child_min);
          *natural = MAX (*natural, child_nat);
        }
    }
  else
    {
      for (guint i = 0; i < n; i++)
        {
          int child_min, child_nat;

          gtk_widget_measure (sizes[i].data, GTK_ORIENTATION_VERTICAL,
                              MIN (for_size, MAX (sizes[i].minimum_size, self->max_column_width)),
                              &child_min, &child_nat,
                              NULL, NULL);
          *minimum += child_min;
          *natural += child_nat;
        }
      *minimum += spacing;
      *natural += spacing;
    }
}

static void
saoma_columns_layout_allocate (GtkLayoutManager *manager,
                               GtkWidget        *widget,
                               int               width,
                               int               height,
                               int               baseline)
{
  SaomaColumnsLayout *self = SAOMA_COLUMNS_LAYOUT (manager);
  g_autofree GtkRequestedSize *sizes = NULL;
  g_autofree int *widths = NULL;
  int min_sum, nat_sum, min_max, nat_max;
  gboolean folded;
  guint n;

  sizes = measure_widths (widget, &n, &min_sum, &nat_sum, &min_max, &nat_max);
  widths = g_new0 (int, MAX (n, 1));
  folded = !fits_side_by_side (self, n, min_sum, width);

  if (!folded)
    {
      int used = self->spacing * (int) (n > 0 ? n - 1 : 0);
      int x;

      column_widths (self, sizes, n, width, widths);
      for (guint i = 0; i < n; i++)
        used += widths[i];
      /* The columns stay together, centred, on a wide window. */
      x = MAX (0, (width - used) / 2);
      for (guint i = 0; i < n; i++)
        {
          gtk_widget_size_allocate (sizes[i].data,
                                    &(GtkAllocation) { x, 0, widths[i], height }, -1);
          x += widths[i] + self->spacing;
        }
    }
  else
    {
      int y = 0;

      for (guint k = 0; k < n; k++)
        {
          guint i = self->reversed ? n - 1 - k : k;
          int child_width = MIN (width, MAX (sizes[i].minimum_size, self->max_column_width));
          int child_height;

          gtk_widget_measure (sizes[i].data, GTK_ORIENTATION_VERTICAL, child_width,
                              NULL, &child_height, NULL, NULL);
          gtk_widget_size_allocate (sizes[i].data,
                                    &(GtkAllocation) { (width - child_width) / 2, y,
                                                       child_width, child_height }, -1);
          y += child_height + self->spacing;
        }
    }

  if (self->folded != folded)
    {
      self->folded = folded;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDED]);
    }
}

static void
saoma_columns_layout_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  SaomaColumnsLayout *self = SAOMA_COLUMNS_LAYOUT (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      g_value_set_int (value, self->spacing);
      break;
    case PROP_MAX_COLUMN_WIDTH:
      g_value_set_int (value, self->max_column_width);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_REVERSED:
      g_value_set_boolean (value, self->reversed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_columns_layout_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  SaomaColumnsLayout *self = SAOMA_COLUMNS_LAYOUT (object);

  switch (prop_id)
    {
    case PROP_SPACING:
      saoma_columns_layout_set_spacing (self, g_value_get_int (value));
      break;
    case PROP_MAX_COLUMN_WIDTH:
      if (self->max_column_width != g_value_get_int (value))
        {
          self->max_column_width = g_value_get_int (value);
          gtk_layout_manager_layout_changed (GTK_LAYOUT_MANAGER (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_REVERSED:
      saoma_columns_layout_set_reversed (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_columns_layout_class_init (SaomaColumnsLayoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkLayoutManagerClass *layout_class = GTK_LAYOUT_MANAGER_CLASS (klass);

  object_class->get_property = saoma_columns_layout_get_property;
  object_class->set_property = saoma_columns_layout_set_property;
  layout_class->get_request_mode = saoma_columns_layout_get_request_mode;
  layout_class->measure = saoma_columns_layout_measure;
  layout_class->allocate = saoma_columns_layout_allocate;

  /**
   * SaomaColumnsLayout:spacing:
   *
   * The space between the columns, side by side or stacked.
   */
  properties[PROP_SPACING] =
    g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT16, 0,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SaomaColumnsLayout:max-column-width:
   *
   * How wide a column grows side by side when there is room (never less than its minimum).
   */
  properties[PROP_MAX_COLUMN_WIDTH] =
    g_param_spec_int ("max-column-width", NULL, NULL, 0, G_MAXINT16, 400,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SaomaColumnsLayout:folded:
   *
   * Whether the last allocation stacked the children in one column.
   */
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * SaomaColumnsLayout:reversed:
   *
   * Whether one column shows the last child first (on a narrow till the QR code goes above
   * the amount while a sale is on, so it is on screen without scrolling).
   */
  properties[PROP_REVERSED] =
    g_param_spec_boolean ("reversed", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_columns_layout_init (SaomaColumnsLayout *self)
{
  self->max_column_width = 400;
}

/**
 * saoma_columns_layout_new:
 *
 * Returns: (transfer full): a new layout with no spacing
 */
GtkLayoutManager *
saoma_columns_layout_new (void)
{
  return g_object_new (SAOMA_TYPE_COLUMNS_LAYOUT, NULL);
}

/**
 * saoma_columns_layout_get_spacing:
 * @self: a #SaomaColumnsLayout
 *
 * Returns: the space between the columns, in pixels
 */
int
saoma_columns_layout_get_spacing (SaomaColumnsLayout *self)
{
  g_return_val_if_fail (SAOMA_IS_COLUMNS_LAYOUT (self), 0);

  return self->spacing;
}

/**
 * saoma_columns_layout_set_spacing:
 * @self: a #SaomaColumnsLayout
 * @spacing: the space between the columns, in pixels
 */
void
saoma_columns_layout_set_spacing (SaomaColumnsLayout *self,
                                  int                 spacing)
{
  g_return_if_fail (SAOMA_IS_COLUMNS_LAYOUT (self));
  g_return_if_fail (spacing >= 0);

  if (self->spacing == spacing)
    return;
  self->spacing = spacing;
  gtk_layout_manager_layout_changed (GTK_LAYOUT_MANAGER (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPACING]);
}

/**
 * saoma_columns_layout_get_folded:
 * @self: a #SaomaColumnsLayout
 *
 * Returns: whether the children were last laid out in one column
 */
gboolean
saoma_columns_layout_get_folded (SaomaColumnsLayout *self)
{
  g_return_val_if_fail (SAOMA_IS_COLUMNS_LAYOUT (self), FALSE);

  return self->folded;
}

/**
 * saoma_columns_layout_set_reversed:
 * @self: a #SaomaColumnsLayout
 * @reversed: whether one column shows the last child first
 */
void
saoma_columns_layout_set_reversed (SaomaColumnsLayout *self,
                                   gboolean            reversed)
{
  g_return_if_fail (SAOMA_IS_COLUMNS_LAYOUT (self));

  reversed = !!reversed;
  if (self->reversed == reversed)
    return;
  self->reversed = reversed;
  if (self->folded)
    gtk_layout_manager_layout_changed (GTK_LAYOUT_MANAGER (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVERSED]);
}
