/* saoma-report-pdf.h: the day close report on paper: PDF (cairo) and printing pages. */
#pragma once

#include <gio/gio.h>
#include <cairo.h>

#include "core/saoma-day-report.h"

G_BEGIN_DECLS

/* What the page header says besides the report's own numbers. Every field is nullable. */
typedef struct {
  const char *store_name;
  const char *till_id;
  const char *kind_label;   /* e.g. "Z close" or "X report", shown beside the title */
  const char *note;         /* one more line (e.g. who acknowledged open payments) */
  gboolean    demo;         /* demo mode: every page is marked "演示 / DEMO" (issue 12.18) */
} SaomaReportHeader;

/* A4 in points. */
#define SAOMA_REPORT_PAGE_WIDTH  595.0
#define SAOMA_REPORT_PAGE_HEIGHT 842.0

/* The number of pages the report needs on a @width × @height (points) page. */
guint    saoma_report_n_pages   (SaomaDayReport          *report,
                                 double                   width,
                                 double                   height);
/* Draws page @page (0-based) at the origin of @cr, in points: header with the title
 * (translated "Day close report"), store, till and day; the totals; the hourly bar chart;
 * then the table of payments, refunds and attempts that are not final (continued on the next
 * pages). Used for the PDF and by GtkPrintOperation. */
void     saoma_report_draw_page (SaomaDayReport          *report,
                                 const SaomaReportHeader *header,
                                 cairo_t                 *cr,
                                 double                   width,
                                 double                   height,
                                 guint                    page);
/* Writes the whole report as an A4 PDF. */
gboolean saoma_report_pdf_write (SaomaDayReport          *report,
                                 const SaomaReportHeader *header,
                                 const char              *path,
                                 GError                 **error);

G_END_DECLS
