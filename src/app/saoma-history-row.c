/* saoma-history-row.c: one row of the history, its cells side by side at shared column widths.
 *
 * Why not GtkColumnView: GTK 4.8's list views keep about 200 rows bound whatever the visible
 * height, and a column view makes each of them a row widget, a cell widget and a list item per
 * column, measures every cell for the column widths and every row for its height. For the
 * history that was most of its first frame. Here a row is one widget whose height is known
 * without measuring anything, and whose labels exist only once it has been on screen.
 */
#define G_LOG_DOMAIN "saoma-history-row"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/saoma-money.h"
#include "ledger/saoma-attempt.h"

#include "saoma-history-row.h"
#include "saoma-messages.h"

/* Space between two columns, and above and below the text of a row (px). */
#define CELL_SPACING 12
#define ROW_PADDING  7
/* The state badge's horizontal padding in style.css (.state-badge), both sides. */
#define BADGE_PADDING 20

struct _SaomaHistoryColumns
{
  int      width[SAOMA_HISTORY_N_COLUMNS];  /* natural width of each column's text */
  int      height;                          /* of a row */
  gboolean measured;
  PangoFontDescription *font;               /* the font they were measured with */
};

/**
 * saoma_history_columns_new:
 *
 * Returns: (transfer full): geometry to be measured on first use
 */
SaomaHistoryColumns *
saoma_history_columns_new (void)
{
  return g_rc_box_new0 (SaomaHistoryColumns);
}

SaomaHistoryColumns *
saoma_history_columns_ref (SaomaHistoryColumns *columns)
{
  return g_rc_box_acquire (columns);
}

static void
columns_clear (gpointer data)
{
  SaomaHistoryColumns *columns = data;

  g_clear_pointer (&columns->font, pango_font_description_free);
}

void
saoma_history_columns_unref (SaomaHistoryColumns *columns)
{
  g_rc_box_release_full (columns, columns_clear);
}

/* The pixel size of @text in @widget's font, bold and smaller like a state badge if @badge. */
static void
text_size (GtkWidget  *widget,
           const char *text,
           gboolean    badge,
           int        *width,
           int        *height)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);

  if (badge)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_get_pixel_size (layout, width, height);
}

static void
fit (SaomaHistoryColumns *columns,
     GtkWidget           *widget,
     SaomaHistoryColumn   column,
     const char          *text,
     gboolean             badge)
{
  int width, height;

  text_size (widget, text, badge, &width, &height);
  /* Tabular digits (the "numeric" class) are a little wider than the proportional ones. */
  width += width / 16 + (badge ? BADGE_PADDING : 0);
  columns->width[column] = MAX (columns->width[column], width);
}

/* The widest text each column shows (the longest state, a full date and time, a large
 * amount), the titles, and the height of a line: a few layouts once, instead of measuring
 * every label of every row. */
static void
columns_measure (SaomaHistoryColumns *columns,
                 GtkWidget           *widget)
{
  static const char *titles[SAOMA_HISTORY_N_COLUMNS] = {
    N_("Time"), N_("Amount"), N_("Method"), N_("State"), N_("Order Number"),
    N_("Transaction ID"),
  };
  g_autofree char *amount = saoma_money_format (99999999);
  g_autofree char *late = NULL;
  int text_height, badge_height, unused;

  memset (columns->width, 0, sizeof columns->width);
  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    fit (columns, widget, i, gettext (titles[i]), TRUE);

  fit (columns, widget, SAOMA_HISTORY_COLUMN_TIME, "0000-00-00 00:00:00", FALSE);
  fit (columns, widget, SAOMA_HISTORY_COLUMN_AMOUNT, amount, FALSE);
  for (int m = 0; m <= SAOMA_PAYMENT_METHOD_LAST; m++)
    fit (columns, widget, SAOMA_HISTORY_COLUMN_METHOD, saoma_messages_method_label (m), FALSE);
  for (int s = 0; s <= SAOMA_ATTEMPT_STATE_LAST; s++)
    fit (columns, widget, SAOMA_HISTORY_COLUMN_STATE, saoma_messages_state_label (s), TRUE);
  late = g_strdup_printf ("%s · %s", saoma_messages_state_label (SAOMA_ATTEMPT_PAID), _("late"));
  fit (columns, widget, SAOMA_HISTORY_COLUMN_STATE, late, TRUE);
  /* Order numbers are up to 32 characters; the till's are 27 (its id, the time, a nonce). */
  fit (columns, widget, SAOMA_HISTORY_COLUMN_OUT_TRADE_NO, "T0120261206113017tk4Tj3ua7o", FALSE);
  /* WeChat Pay's transaction ids are 28 digits. */
  fit (columns, widget, SAOMA_HISTORY_COLUMN_TRANSACTION, "0000000000000000000000000000",
       FALSE);

  text_size (widget, "Ag收银", FALSE, &unused, &text_height);
  text_size (widget, "Ag收银", TRUE, &unused, &badge_height);
  /* The badge's own padding is 1 px above and below. */
  columns->height = MAX (text_height, badge_height + 2) + 2 * ROW_PADDING;
  columns->measured = TRUE;
}

/* Measures the columns if they never were, or with another font than @widget's (the font
 * setting changed). */
static void
columns_ensure (SaomaHistoryColumns *columns,
                GtkWidget           *widget)
{
  const PangoFontDescription *font =
    pango_context_get_font_description (gtk_widget_get_pango_context (widget));

  if (columns->measured && columns->font != NULL && font != NULL &&
      pango_font_description_equal (columns->font, font))
    return;

  columns_measure (columns, widget);
  g_clear_pointer (&columns->font, pango_font_description_free);
  columns->font = font ? pango_font_description_copy (font) : NULL;
}

int
saoma_history_columns_get_height (SaomaHistoryColumns *columns,
                                  GtkWidget           *widget)
{
  columns_ensure (columns, widget);
  return columns->height;
}

/* Where each column goes in a row @width wide: the last column takes what is left; when the
 * row is narrower than the texts, the order and transaction numbers give way first (they
 * ellipsize), then the row clips. */
static void
columns_place (SaomaHistoryColumns *columns,
               GtkWidget           *widget,
               int                  width,
               int                 *x,
               int                 *w)
{
  int fixed = 0, left, pos = CELL_SPACING / 2;

  columns_ensure (columns, widget);

  for (guint i = 0; i < SAOMA_HISTORY_COLUMN_OUT_TRADE_NO; i++)
    fixed += columns->width[i] + CELL_SPACING;
  left = MAX (width - fixed - CELL_SPACING, 0);

  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    {
      w[i] = columns->width[i];
      if (i == SAOMA_HISTORY_COLUMN_OUT_TRADE_NO)
        w[i] = MIN (w[i], MAX (left / 2, left - columns->width[SAOMA_HISTORY_COLUMN_TRANSACTION]));
      else if (i == SAOMA_HISTORY_COLUMN_TRANSACTION)
        w[i] = MAX (left - w[SAOMA_HISTORY_COLUMN_OUT_TRADE_NO] - CELL_SPACING, 0);
      x[i] = pos;
      pos += w[i] + CELL_SPACING;
    }
}

struct _SaomaHistoryRow
{
  GtkWidget            parent_instance;

  SaomaHistoryColumns *columns;
  gboolean             header;
  GtkWidget           *cells[SAOMA_HISTORY_N_COLUMNS];  /* GtkLabel, or NULL: not made yet */
};

G_DEFINE_FINAL_TYPE (SaomaHistoryRow, saoma_history_row, GTK_TYPE_WIDGET)

static void
saoma_history_row_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  SaomaHistoryRow *self = SAOMA_HISTORY_ROW (widget);

  if (orientation == GTK_ORIENTATION_VERTICAL)
    {
      *minimum = *natural = saoma_history_columns_get_height (self->columns, widget);
      return;
    }

  /* No minimum: a narrow window clips the row (as a column view scrolled it) instead of
   * growing. */
  columns_ensure (self->columns, widget);
  *minimum = 0;
  *natural = CELL_SPACING;
  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    *natural += self->columns->width[i] + CELL_SPACING;
}

static void
saoma_history_row_size_allocate (GtkWidget *widget,
                                 int        width,
                                 int        height,
                                 int        baseline)
{
  SaomaHistoryRow *self = SAOMA_HISTORY_ROW (widget);
  int x[SAOMA_HISTORY_N_COLUMNS], w[SAOMA_HISTORY_N_COLUMNS];

  if (self->cells[0] == NULL)
    return;

  columns_place (self->columns, widget, width, x, w);
  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    {
      int min;

      /* GTK wants a child measured before it is placed; a label caches the answer. */
      gtk_widget_measure (self->cells[i], GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL,
                          NULL);
      gtk_widget_size_allocate (self->cells[i],
                                &(GtkAllocation) { x[i], 0, MAX (w[i], 0), height }, -1);
    }
}

static void
saoma_history_row_dispose (GObject *object)
{
  SaomaHistoryRow *self = SAOMA_HISTORY_ROW (object);

  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    g_clear_pointer (&self->cells[i], gtk_widget_unparent);

  G_OBJECT_CLASS (saoma_history_row_parent_class)->dispose (object);
}

static void
saoma_history_row_finalize (GObject *object)
{
  SaomaHistoryRow *self = SAOMA_HISTORY_ROW (object);

  g_clear_pointer (&self->columns, saoma_history_columns_unref);

  G_OBJECT_CLASS (saoma_history_row_parent_class)->finalize (object);
}

static void
saoma_history_row_class_init (SaomaHistoryRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_history_row_dispose;
  object_class->finalize = saoma_history_row_finalize;
  widget_class->measure = saoma_history_row_measure;
  widget_class->size_allocate = saoma_history_row_size_allocate;

  gtk_widget_class_set_css_name (widget_class, "historyrow");
}

static void
saoma_history_row_init (SaomaHistoryRow *self)
{
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

/**
 * saoma_history_row_new:
 * @columns: the geometry the rows of one history share
 * @header: %TRUE for the row of column titles (its cells are made at once)
 *
 * Returns: (transfer floating): a row without cells (a header with its titles)
 */
GtkWidget *
saoma_history_row_new (SaomaHistoryColumns *columns,
                       gboolean             header)
{
  SaomaHistoryRow *self;

  g_return_val_if_fail (columns != NULL, NULL);

  self = g_object_new (SAOMA_TYPE_HISTORY_ROW, NULL);
  self->columns = saoma_history_columns_ref (columns);
  self->header = header;
  if (header)
    {
      const char *titles[SAOMA_HISTORY_N_COLUMNS] = {
        _("Time"), _("Amount"), _("Method"), _("State"), _("Order Number"),
        _("Transaction ID"),
      };

      gtk_widget_add_css_class (GTK_WIDGET (self), "header");
      /* Over the list's rows, which have the list's padding of 2 px at each side. */
      gtk_widget_set_margin_start (GTK_WIDGET (self), 2);
      gtk_widget_set_margin_end (GTK_WIDGET (self), 2);
      saoma_history_row_ensure_cells (self);
      for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
        {
          gtk_label_set_text (GTK_LABEL (self->cells[i]), titles[i]);
          gtk_widget_set_css_classes (self->cells[i], (const char *[]) { "heading",
                                                                         "dim-label", NULL });
        }
    }

  return GTK_WIDGET (self);
}

/**
 * saoma_history_row_ensure_cells:
 *
 * Makes the row's labels (empty) if it has none.
 *
 * Returns: %TRUE if they were made now
 */
gboolean
saoma_history_row_ensure_cells (SaomaHistoryRow *self)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_ROW (self), FALSE);

  if (self->cells[0] != NULL)
    return FALSE;

  for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
    {
      GtkWidget *label = gtk_label_new (NULL);

      switch ((SaomaHistoryColumn) i)
        {
        case SAOMA_HISTORY_COLUMN_AMOUNT:
          gtk_label_set_xalign (GTK_LABEL (label), 1.0);
          gtk_widget_add_css_class (label, "numeric");
          break;

        case SAOMA_HISTORY_COLUMN_STATE:
          /* A badge as wide as its text, not as its column. */
          gtk_widget_set_halign (label, GTK_ALIGN_START);
          gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (label, "state-badge");
          break;

        case SAOMA_HISTORY_COLUMN_TIME:
        case SAOMA_HISTORY_COLUMN_METHOD:
        case SAOMA_HISTORY_COLUMN_OUT_TRADE_NO:
        case SAOMA_HISTORY_COLUMN_TRANSACTION:
        case SAOMA_HISTORY_N_COLUMNS:
        default:
          gtk_label_set_xalign (GTK_LABEL (label), 0.0);
          gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
          gtk_widget_add_css_class (label, "numeric");
          break;
        }
      self->cells[i] = label;
      gtk_widget_set_parent (label, GTK_WIDGET (self));
    }

  return TRUE;
}

gboolean
saoma_history_row_has_cells (SaomaHistoryRow *self)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_ROW (self), FALSE);

  return self->cells[0] != NULL;
}

GtkLabel *
saoma_history_row_get_cell (SaomaHistoryRow    *self,
                            SaomaHistoryColumn  column)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_ROW (self), NULL);
  g_return_val_if_fail (column < SAOMA_HISTORY_N_COLUMNS, NULL);

  return self->cells[column] ? GTK_LABEL (self->cells[column]) : NULL;
}
