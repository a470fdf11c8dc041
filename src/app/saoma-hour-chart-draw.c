/* saoma-hour-chart-draw.c: the hourly bar chart of a day report, drawn with cairo and Pango.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Apart from the SaomaHourChart widget because the PDF renderer draws it too, and that
 * executable links cairo and Pango but not GTK (see saoma-report-renderer.c).
 */
#define G_LOG_DOMAIN "saoma-hour-chart"

#include "config.h"

#include <pango/pangocairo.h>

#include "core/saoma-money.h"
#include "saoma-hour-chart-draw.h"

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
                       const SaomaChartColor *fg,
                       const SaomaChartColor *bar)
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
  cairo_set_source_rgba (cr, bar->red, bar->green, bar->blue, bar->alpha);
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
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha);
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
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha);
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
