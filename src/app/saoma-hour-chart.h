/* saoma-hour-chart.h: payments per hour of a day, as bars drawn with cairo. */
#pragma once

#include <gtk/gtk.h>
#include <cairo.h>

#include "core/saoma-day-report.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_HOUR_CHART (saoma_hour_chart_get_type ())
G_DECLARE_FINAL_TYPE (SaomaHourChart, saoma_hour_chart, SAOMA, HOUR_CHART, GtkWidget)

GtkWidget      *saoma_hour_chart_new        (void);
SaomaDayReport *saoma_hour_chart_get_report (SaomaHourChart *self);
void            saoma_hour_chart_set_report (SaomaHourChart *self,
                                             SaomaDayReport *report);

/* The drawing itself, shared with the PDF and the printout: 24 bars of the hourly totals in
 * @width × @height (device units) at the current origin, an hour axis below and the highest
 * total as a scale label. @fg draws text and axes, @bar the bars. @report NULL draws the axes. */
void            saoma_hour_chart_draw       (cairo_t        *cr,
                                             SaomaDayReport *report,
                                             double          width,
                                             double          height,
                                             const GdkRGBA  *fg,
                                             const GdkRGBA  *bar);

G_END_DECLS
