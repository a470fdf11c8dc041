/* saoma-hour-chart.h: payments per hour of a day, as bars drawn with cairo. */
#pragma once

#include <gtk/gtk.h>

#include "core/saoma-day-report.h"
#include "saoma-hour-chart-draw.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_HOUR_CHART (saoma_hour_chart_get_type ())
G_DECLARE_FINAL_TYPE (SaomaHourChart, saoma_hour_chart, SAOMA, HOUR_CHART, GtkWidget)

GtkWidget      *saoma_hour_chart_new        (void);
SaomaDayReport *saoma_hour_chart_get_report (SaomaHourChart *self);
void            saoma_hour_chart_set_report (SaomaHourChart *self,
                                             SaomaDayReport *report);

G_END_DECLS
