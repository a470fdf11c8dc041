/* saoma-hour-chart.c: payments per hour of a day, as bars drawn with cairo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-hour-chart"

#include "config.h"

#include <glib/gi18n.h>

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
saoma_hour_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  SaomaHourChart *self = SAOMA_HOUR_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA color;
  SaomaChartColor fg;
  static const SaomaChartColor bar = { 0.208, 0.518, 0.894, 1.0 };   /* GNOME blue 3 */
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  fg = (SaomaChartColor) { color.red, color.green, color.blue, color.alpha };

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
