/* saoma-hour-chart.c: payments per hour of a day, as bars drawn with cairo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-hour-chart"

#include "config.h"

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "core/saoma-money.h"
#include "saoma-hour-chart.h"

struct _SaomaHourChart
{
  GtkWidget       parent_instance;

  SaomaDayReport *report;
};

enum {
  PROP_0,
  PROP_REPORT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaHourChart, saoma_hour_chart, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
draw_text (cairo_t    *cr,
           const char *text,
           double      x,
           double      y,
           double      size_pt,
           double      align)   /* 0 left, 0.5 centre, 1 right of x */
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans");
  int w, h;

  pango_font_description_set_absolute_size (font, size_pt * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y);
  pango_cairo_show_layout (cr, layout);
}

void
saoma_hour_chart_draw (cairo_t        *cr,
                       SaomaDayReport *report,
                       double          width,
                       double          height,
                       const GdkRGBA  *fg,
                       const GdkRGBA  *bar)
{
  double font = CLAMP (height / 14.0, 7.0, 12.0);
  double left = font * 4.5;
  double bottom = font * 1.8;
  double top = font * 1.6;
  double plot_w = MAX (1.0, width - left - 2);
  double plot_h = MAX (1.0, height - bottom - top);
  double slot = plot_w / 24.0;
  gint64 max = report ? saoma_day_report_get_max_hour_total (report) : 0;
  g_autofree char *max_text = saoma_money_format (max);

  cairo_save (cr);

  /* Bars, proportional to the hour's total; integer fen, so no rounding of money itself. */
  gdk_cairo_set_source_rgba (cr, bar);
  for (guint h = 0; report != NULL && h < 24; h++)
    {
      gint64 total = saoma_day_report_get_hour_total (report, h);
      double bar_h;

      if (total <= 0 || max <= 0)
        continue;
      bar_h = plot_h * (double) total / (double) max;
      cairo_rectangle (cr, left + h * slot + slot * 0.15, top + plot_h - bar_h, slot * 0.7,
                       bar_h);
    }
  cairo_fill (cr);

  /* Counts above the bars. */
  gdk_cairo_set_source_rgba (cr, fg);
  for (guint h = 0; report != NULL && h < 24; h++)
    {
      guint count = saoma_day_report_get_hour_count (report, h);
      gint64 total = saoma_day_report_get_hour_total (report, h);
      g_autofree char *text = NULL;
      double bar_h;

      if (count == 0 || max <= 0)
        continue;
      bar_h = plot_h * (double) total / (double) max;
      text = g_strdup_printf ("%u", count);
      draw_text (cr, text, left + h * slot + slot / 2, top + plot_h - bar_h - font * 1.3,
                 font * 0.8, 0.5);
    }

  /* Axes. */
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, left, top);
  cairo_line_to (cr, left, top + plot_h);
  cairo_line_to (cr, left + plot_w, top + plot_h);
  cairo_stroke (cr);

  /* The scale: the highest hour's total at the top, 0 at the bottom. */
  cairo_set_dash (cr, (double[]) { 2.0, 2.0 }, 2, 0);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.4);
  cairo_move_to (cr, left, top);
  cairo_line_to (cr, left + plot_w, top);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  gdk_cairo_set_source_rgba (cr, fg);
  draw_text (cr, max_text, left - font * 0.4, top - font * 0.7, font * 0.85, 1.0);
  draw_text (cr, "0", left - font * 0.4, top + plot_h - font * 0.7, font * 0.85, 1.0);

  for (guint h = 0; h < 24; h += 3)
    {
      g_autofree char *label = g_strdup_printf ("%02u", h);

      draw_text (cr, label, left + h * slot + slot / 2, top + plot_h + font * 0.3, font * 0.85,
                 0.5);
    }

  cairo_restore (cr);
}

static void
saoma_hour_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  SaomaHourChart *self = SAOMA_HOUR_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA fg;
  GdkRGBA bar = { 0.208f, 0.518f, 0.894f, 1.f };   /* GNOME blue 3 */
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  saoma_hour_chart_draw (cr, self->report, width, height, &fg, &bar);
  cairo_destroy (cr);
}

static void
saoma_hour_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 480;
    }
  else
    {
      *minimum = 120;
      *natural = 180;
    }
}

static void
update_accessible (SaomaHourChart *self)
{
  g_autofree char *label = NULL;
  g_autofree char *total = NULL;

  if (self->report == NULL)
    label = g_strdup (_("Payments per hour"));
  else
    {
      total = saoma_money_format (saoma_day_report_get_payments_total (self->report));
      label = g_strdup_printf (_("Payments per hour: %u payments, %s"),
                               saoma_day_report_get_n_payments (self->report), total);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
saoma_hour_chart_dispose (GObject *object)
{
  SaomaHourChart *self = SAOMA_HOUR_CHART (object);

  g_clear_object (&self->report);

  G_OBJECT_CLASS (saoma_hour_chart_parent_class)->dispose (object);
}

static void
saoma_hour_chart_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SaomaHourChart *self = SAOMA_HOUR_CHART (object);

  switch (prop_id)
    {
    case PROP_REPORT:
      g_value_set_object (value, self->report);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_hour_chart_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SaomaHourChart *self = SAOMA_HOUR_CHART (object);

  switch (prop_id)
    {
    case PROP_REPORT:
      saoma_hour_chart_set_report (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_hour_chart_class_init (SaomaHourChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_hour_chart_dispose;
  object_class->get_property = saoma_hour_chart_get_property;
  object_class->set_property = saoma_hour_chart_set_property;

  widget_class->snapshot = saoma_hour_chart_snapshot;
  widget_class->measure = saoma_hour_chart_measure;

  properties[PROP_REPORT] =
    g_param_spec_object ("report", NULL, NULL, SAOMA_TYPE_DAY_REPORT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "hourchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
saoma_hour_chart_init (SaomaHourChart *self)
{
  update_accessible (self);
}

GtkWidget *
saoma_hour_chart_new (void)
{
  return g_object_new (SAOMA_TYPE_HOUR_CHART, NULL);
}

SaomaDayReport *
saoma_hour_chart_get_report (SaomaHourChart *self)
{
  g_return_val_if_fail (SAOMA_IS_HOUR_CHART (self), NULL);
  return self->report;
}

void
saoma_hour_chart_set_report (SaomaHourChart *self,
                             SaomaDayReport *report)
{
  g_return_if_fail (SAOMA_IS_HOUR_CHART (self));
  g_return_if_fail (report == NULL || SAOMA_IS_DAY_REPORT (report));

  if (g_set_object (&self->report, report))
    {
      update_accessible (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPORT]);
    }
}
