/* saoma-hour-chart-draw.h: the hourly bar chart of a day report, for any cairo surface. */
#pragma once

#include <cairo.h>

#include "core/saoma-day-report.h"

G_BEGIN_DECLS

/* A colour, components 0–1 (GdkRGBA's layout without needing GDK). */
typedef struct {
  double red;
  double green;
  double blue;
  double alpha;
} SaomaChartColor;

/* The drawing of SaomaHourChart, shared with the PDF and the printout: 24 bars of the hourly
 * totals in @width × @height (device units) at the current origin, an hour axis below and the
 * highest total as a scale label. @fg draws text and axes, @bar the bars. @report NULL draws the
 * axes. */
void saoma_hour_chart_draw (cairo_t               *cr,
                            SaomaDayReport        *report,
                            double                 width,
                            double                 height,
                            const SaomaChartColor *fg,
                            const SaomaChartColor *bar);

G_END_DECLS
