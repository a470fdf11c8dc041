/* saoma-report-pdf.c: the day close report drawn with cairo and Pango, for PDF and print.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-report-pdf"

#include "config.h"

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "core/saoma-export.h"
#include "core/saoma-money.h"
#include "saoma-hour-chart-draw.h"
#include "saoma-messages.h"
#include "saoma-report-pdf.h"

/* Everything in points. Fonts: "Sans" resolves to Noto Sans CJK for Chinese through
 * fontconfig, so Latin and Chinese text share one family. */
#define MARGIN       40.0
#define FONT_FAMILY  "Noto Sans CJK SC, Noto Sans, Sans"
#define ROW_HEIGHT   14.0
#define TABLE_FONT   7.5
#define FIRST_TABLE_TOP 444.0
#define NEXT_TABLE_TOP  (MARGIN + 52.0)

typedef enum {
  ROW_SECTION,
  ROW_COLUMNS,
  ROW_DATA,
  ROW_EMPTY,
  ROW_GAP,
} RowKind;

typedef struct {
  RowKind  kind;
  char    *cells[5];
} Row;

static void
row_free (Row *row)
{
  for (guint i = 0; i < G_N_ELEMENTS (row->cells); i++)
    g_free (row->cells[i]);
  g_free (row);
}

static void
add_row (GPtrArray  *rows,
         RowKind     kind,
         const char *a,
         const char *b,
         const char *c,
         const char *d,
         const char *e)
{
  Row *row = g_new0 (Row, 1);

  row->kind = kind;
  row->cells[0] = g_strdup (a);
  row->cells[1] = g_strdup (b);
  row->cells[2] = g_strdup (c);
  row->cells[3] = g_strdup (d);
  row->cells[4] = g_strdup (e);
  g_ptr_array_add (rows, row);
}

static char *
time_of_day (SaomaDayReport *report,
             gint64          time_us)
{
  g_autofree char *full = saoma_day_report_format_time (report, time_us);

  /* Same day as the report: the clock time says it all. */
  if (g_str_has_prefix (full, saoma_day_report_get_day_text (report)))
    return g_strdup (full + 11);
  return g_steal_pointer (&full);
}

static GPtrArray *
build_rows (SaomaDayReport *report)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  GPtrArray *payments = saoma_day_report_get_payments (report);
  GPtrArray *refunds = saoma_day_report_get_refunds (report);
  GPtrArray *unfinished = saoma_day_report_get_unfinished (report);
  g_autofree char *pay_title = NULL;
  g_autofree char *ref_title = NULL;
  g_autofree char *open_title = NULL;

  pay_title = g_strdup_printf (_("Payments (%u)"), payments->len);
  add_row (rows, ROW_SECTION, pay_title, NULL, NULL, NULL, NULL);
  add_row (rows, ROW_COLUMNS, _("Paid at"), _("Order number"), _("Transaction ID"), _("Amount"),
           _("State"));
  for (guint i = 0; i < payments->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (payments, i);
      g_autofree char *when = time_of_day (report, saoma_day_report_payment_time (a));
      g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (a));

      add_row (rows, ROW_DATA, when, saoma_attempt_get_out_trade_no (a),
               saoma_attempt_get_transaction_id (a), amount,
               saoma_messages_state_label (saoma_attempt_get_state (a)));
    }
  if (payments->len == 0)
    add_row (rows, ROW_EMPTY, _("No payments on this day."), NULL, NULL, NULL, NULL);

  ref_title = g_strdup_printf (_("Refunds (%u)"), refunds->len);
  add_row (rows, ROW_GAP, NULL, NULL, NULL, NULL, NULL);
  add_row (rows, ROW_SECTION, ref_title, NULL, NULL, NULL, NULL);
  add_row (rows, ROW_COLUMNS, _("Refunded at"), _("Refund number"), _("Order number"),
           _("Amount"), _("Reason"));
  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *r = g_ptr_array_index (refunds, i);
      g_autofree char *when = time_of_day (report, r->succeeded);
      g_autofree char *amount = saoma_money_format (r->amount);

      add_row (rows, ROW_DATA, when, r->out_refund_no, r->out_trade_no, amount, r->reason);
    }
  if (refunds->len == 0)
    add_row (rows, ROW_EMPTY, _("No refunds on this day."), NULL, NULL, NULL, NULL);

  open_title = g_strdup_printf (_("Not final yet (%u)"), unfinished->len);
  add_row (rows, ROW_GAP, NULL, NULL, NULL, NULL, NULL);
  add_row (rows, ROW_SECTION, open_title, NULL, NULL, NULL, NULL);
  add_row (rows, ROW_COLUMNS, _("Created"), _("Order number"), _("Till"), _("Amount"),
           _("State"));
  for (guint i = 0; i < unfinished->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (unfinished, i);
      g_autofree char *when = time_of_day (report, saoma_attempt_get_created (a));
      g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (a));

      add_row (rows, ROW_DATA, when, saoma_attempt_get_out_trade_no (a),
               saoma_attempt_get_till_id (a), amount,
               saoma_messages_state_label (saoma_attempt_get_state (a)));
    }
  if (unfinished->len == 0 && saoma_day_report_get_n_late_undecided (report) > 0)
    {
      guint late = saoma_day_report_get_n_late_undecided (report);
      g_autofree char *late_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                 "%u late payment waits for a "
                                                                 "decision (honoured or "
                                                                 "refunded).",
                                                                 "%u late payments wait for a "
                                                                 "decision (honoured or "
                                                                 "refunded).", late),
                                                    late);

      add_row (rows, ROW_EMPTY, late_text, NULL, NULL, NULL, NULL);
    }
  else if (unfinished->len == 0)
    add_row (rows, ROW_EMPTY, _("Every payment is final."), NULL, NULL, NULL, NULL);

  return rows;
}

static guint
rows_on_page (double height,
              guint  page)
{
  double top = page == 0 ? FIRST_TABLE_TOP : NEXT_TABLE_TOP;
  double bottom = height - MARGIN - 20.0;

  return (guint) MAX (1.0, (bottom - top) / ROW_HEIGHT);
}

guint
saoma_report_n_pages (SaomaDayReport *report,
                      double          width,
                      double          height)
{
  g_autoptr(GPtrArray) rows = NULL;
  guint left;
  guint pages = 1;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (report), 1);

  rows = build_rows (report);
  left = rows->len > rows_on_page (height, 0) ? rows->len - rows_on_page (height, 0) : 0;
  while (left > 0)
    {
      guint n = rows_on_page (height, pages);

      left = left > n ? left - n : 0;
      pages++;
    }
  return pages;
}

/* Text at (x, y) top-left; @align 0 left, 1 right of x. Returns the height used. */
static double
text (cairo_t    *cr,
      const char *str,
      double      x,
      double      y,
      double      size,
      gboolean    bold,
      double      align,
      double      max_width)
{
  g_autoptr(PangoLayout) layout = NULL;
  g_autoptr(PangoFontDescription) font = NULL;
  int w, h;

  if (str == NULL || *str == '\0')
    return 0;

  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string (FONT_FAMILY);
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, str, -1);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y);
  pango_cairo_show_layout (cr, layout);
  return h;
}

static void
draw_header (SaomaDayReport          *report,
             const SaomaReportHeader *header,
             cairo_t                 *cr,
             double                   width,
             guint                    page,
             guint                    n_pages)
{
  gint64 generated_us = saoma_day_report_get_generated (report);
  g_autofree char *generated = saoma_day_report_format_time (report, generated_us);
  g_autofree char *day_line = NULL;
  g_autofree char *page_text = g_strdup_printf (_("Page %u of %u"), page + 1, n_pages);
  GString *who = g_string_new (NULL);
  double y = MARGIN;

  cairo_set_source_rgb (cr, 0, 0, 0);
  y += text (cr, _("Day close report"), MARGIN, y, page == 0 ? 20 : 12, TRUE, 0, 0);
  if (header != NULL && header->kind_label != NULL)
    text (cr, header->kind_label, width - MARGIN, MARGIN + 4, 11, TRUE, 1, 0);

  if (header != NULL && header->store_name != NULL && *header->store_name != '\0')
    g_string_append (who, header->store_name);
  if (header != NULL && header->till_id != NULL && *header->till_id != '\0')
    {
      if (who->len > 0)
        g_string_append (who, " · ");
      g_string_append_printf (who, _("Till %s"), header->till_id);
    }
  day_line = g_strdup_printf (_("Day %s"), saoma_day_report_get_day_text (report));
  if (who->len > 0)
    g_string_append (who, " · ");
  g_string_append (who, day_line);

  y += 4;
  y += text (cr, who->str, MARGIN, y, 10, FALSE, 0, 0);
  if (page == 0)
    {
      g_autofree char *made = g_strdup_printf (_("Printed %s"), generated);

      cairo_set_source_rgb (cr, 0.35, 0.35, 0.35);
      y += text (cr, made, MARGIN, y + 2, 8, FALSE, 0, 0);
      if (header != NULL && header->note != NULL)
        text (cr, header->note, MARGIN, y + 4, 8, FALSE, 0, width - 2 * MARGIN);
    }
  cairo_set_source_rgb (cr, 0.35, 0.35, 0.35);
  text (cr, page_text, width - MARGIN, MARGIN + 22, 8, FALSE, 1, 0);

  g_string_free (who, TRUE);
}

static void
draw_totals (SaomaDayReport *report,
             cairo_t        *cr,
             double          width)
{
  struct {
    const char *label;
    guint       count;
    gboolean    has_count;
    gint64      amount;
  } lines[] = {
    { _("Payments"), saoma_day_report_get_n_payments (report), TRUE,
      saoma_day_report_get_payments_total (report) },
    { _("Refunds"), saoma_day_report_get_n_refunds (report), TRUE,
      -saoma_day_report_get_refunds_total (report) },
    { _("Net"), 0, FALSE, saoma_day_report_get_net (report) },
  };
  double y = 136.0;
  double box_w = width - 2 * MARGIN;

  cairo_set_source_rgb (cr, 0.95, 0.96, 0.98);
  cairo_rectangle (cr, MARGIN, y - 8, box_w, 96);
  cairo_fill (cr);

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autofree char *amount = saoma_money_format (lines[i].amount);
      gboolean net = i == G_N_ELEMENTS (lines) - 1;

      cairo_set_source_rgb (cr, 0, 0, 0);
      text (cr, lines[i].label, MARGIN + 12, y, net ? 13 : 11, net, 0, 0);
      if (lines[i].has_count)
        {
          g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payment",
                                                                 "%u payments",
                                                                 lines[i].count),
                                                    lines[i].count);

          if (i == 1)
            {
              g_free (count);
              count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u refund", "%u refunds",
                                                    lines[i].count),
                                       lines[i].count);
            }
          cairo_set_source_rgb (cr, 0.35, 0.35, 0.35);
          text (cr, count, MARGIN + box_w * 0.45, y + 1, 10, FALSE, 1, 0);
        }
      cairo_set_source_rgb (cr, 0, 0, 0);
      text (cr, amount, MARGIN + box_w - 12, y, net ? 13 : 11, net, 1, 0);
      y += net ? 0 : 24;
      if (i == 1)
        {
          cairo_set_line_width (cr, 0.6);
          cairo_move_to (cr, MARGIN + 12, y - 4);
          cairo_line_to (cr, MARGIN + box_w - 12, y - 4);
          cairo_stroke (cr);
          y += 2;
        }
    }

  {
    g_autofree char *extra = NULL;
    guint late = saoma_day_report_get_n_late (report);
    guint open = saoma_day_report_get_unfinished (report)->len;

    extra = g_strdup_printf (_("Late payments: %u · Not final yet: %u"), late, open);
    cairo_set_source_rgb (cr, open > 0 ? 0.75 : 0.35, open > 0 ? 0.1 : 0.35, 0.1);
    text (cr, extra, MARGIN + 12, 212, 8.5, open > 0, 0, 0);
  }

  /* By payment method (issue 13), under the box: what each took, gave back and kept. */
  {
    static const SaomaPaymentMethod methods[] = { SAOMA_PAYMENT_METHOD_NATIVE,
                                                  SAOMA_PAYMENT_METHOD_MICROPAY };
    GString *line = g_string_new (NULL);

    for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
      {
        SaomaTotals totals;
        g_autofree char *paid = NULL;
        g_autofree char *refunded = NULL;
        g_autofree char *net = NULL;
        g_autofree char *count = NULL;

        saoma_day_report_get_method_totals (report, methods[m], &totals);
        paid = saoma_money_format (totals.paid);
        refunded = saoma_money_format (-totals.refunded);
        net = saoma_money_format (saoma_totals_get_net (&totals));
        count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payment", "%u payments",
                                              totals.n_payments),
                                 totals.n_payments);
        if (line->len > 0)
          g_string_append (line, "   ");
        /* TRANSLATORS: the PDF's line per payment method: "QR code: 3 payments ¥23.23,
         * refunds -¥7.77, net ¥15.46" */
        g_string_append_printf (line, _("%s: %s %s, refunds %s, net %s"),
                                saoma_messages_method_label (methods[m]), count, paid,
                                refunded, net);
      }
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    text (cr, line->str, MARGIN, 224, 8, FALSE, 0, width - 2 * MARGIN);
    g_string_free (line, TRUE);
  }
}

/* Demo mode (issue 12.18): every page says so, where a glance at the header sees it. */
static void
draw_demo_mark (cairo_t *cr,
                double   width)
{
  cairo_set_source_rgb (cr, 0.80, 0.10, 0.10);
  /* Not translated: the mark reads the same in both languages. */
  text (cr, "演示 / DEMO", width / 2, MARGIN + 2, 14, TRUE, 0.5, 0);
}

static void
draw_chart (SaomaDayReport *report,
            cairo_t        *cr,
            double          width)
{
  static const SaomaChartColor fg = { 0.0, 0.0, 0.0, 1.0 };
  static const SaomaChartColor bar = { 0.208, 0.518, 0.894, 1.0 };

  cairo_set_source_rgb (cr, 0, 0, 0);
  text (cr, _("Payments per hour"), MARGIN, 238, 11, TRUE, 0, 0);

  cairo_save (cr);
  cairo_translate (cr, MARGIN, 258);
  saoma_hour_chart_draw (cr, report, width - 2 * MARGIN, 170, &fg, &bar);
  cairo_restore (cr);
}

static void
draw_rows (GPtrArray *rows,
           guint      first,
           guint      count,
           cairo_t   *cr,
           double     width,
           double     top)
{
  double content = width - 2 * MARGIN;
  /* Column starts (fractions of the content width); column 3 is right-aligned money. */
  const double x[] = { 0.0, 0.13, 0.43, 0.80, 0.83 };
  const double w[] = { 0.125, 0.295, 0.30, 0.0, 0.17 };
  double y = top;

  for (guint i = first; i < MIN (rows->len, first + count); i++)
    {
      Row *row = g_ptr_array_index (rows, i);

      switch (row->kind)
        {
        case ROW_SECTION:
          cairo_set_source_rgb (cr, 0, 0, 0);
          text (cr, row->cells[0], MARGIN, y + 1, 10, TRUE, 0, 0);
          break;

        case ROW_GAP:
          break;

        case ROW_EMPTY:
          cairo_set_source_rgb (cr, 0.4, 0.4, 0.4);
          text (cr, row->cells[0], MARGIN, y + 2, TABLE_FONT, FALSE, 0, 0);
          break;

        case ROW_COLUMNS:
        case ROW_DATA:
          if (row->kind == ROW_COLUMNS)
            {
              cairo_set_source_rgb (cr, 0.90, 0.92, 0.95);
              cairo_rectangle (cr, MARGIN, y, content, ROW_HEIGHT);
              cairo_fill (cr);
            }
          cairo_set_source_rgb (cr, 0, 0, 0);
          for (guint c = 0; c < 5; c++)
            {
              if (c == 3)
                text (cr, row->cells[c], MARGIN + content * x[c], y + 2, TABLE_FONT,
                      row->kind == ROW_COLUMNS, 1, 0);
              else
                text (cr, row->cells[c], MARGIN + content * x[c] + 2, y + 2, TABLE_FONT,
                      row->kind == ROW_COLUMNS, 0, content * w[c]);
            }
          if (row->kind == ROW_DATA)
            {
              cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
              cairo_set_line_width (cr, 0.4);
              cairo_move_to (cr, MARGIN, y + ROW_HEIGHT);
              cairo_line_to (cr, MARGIN + content, y + ROW_HEIGHT);
              cairo_stroke (cr);
            }
          break;

        default:
          g_assert_not_reached ();
        }
      y += ROW_HEIGHT;
    }
}

void
saoma_report_draw_page (SaomaDayReport          *report,
                        const SaomaReportHeader *header,
                        cairo_t                 *cr,
                        double                   width,
                        double                   height,
                        guint                    page)
{
  g_autoptr(GPtrArray) rows = NULL;
  guint first = 0;
  guint n_pages;

  g_return_if_fail (SAOMA_IS_DAY_REPORT (report));
  g_return_if_fail (cr != NULL);

  rows = build_rows (report);
  n_pages = saoma_report_n_pages (report, width, height);
  for (guint p = 0; p < page; p++)
    first += rows_on_page (height, p);

  cairo_save (cr);
  draw_header (report, header, cr, width, page, n_pages);
  if (header != NULL && header->demo)
    draw_demo_mark (cr, width);
  if (page == 0)
    {
      draw_totals (report, cr, width);
      draw_chart (report, cr, width);
    }
  draw_rows (rows, first, rows_on_page (height, page), cr, width,
             page == 0 ? FIRST_TABLE_TOP : NEXT_TABLE_TOP);
  cairo_restore (cr);
}

typedef struct {
  GOutputStream *out;
  GError        *error;  /* the first write error */
} PdfSink;

static cairo_status_t
write_stream_cb (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  PdfSink *sink = closure;

  if (sink->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (!g_output_stream_write_all (sink->out, data, length, NULL, NULL, &sink->error))
    return CAIRO_STATUS_WRITE_ERROR;
  return CAIRO_STATUS_SUCCESS;
}

gboolean
saoma_report_pdf_write (SaomaDayReport          *report,
                        const SaomaReportHeader *header,
                        const char              *path,
                        GError                 **error)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  g_autofree char *title = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  PdfSink sink = { NULL, NULL };
  guint n_pages;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (report), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Like every export: created readable by its owner only (saoma_export_create_file()). */
  file = g_file_new_for_path (path);
  out = saoma_export_create_file (file, NULL, error);
  if (out == NULL)
    return FALSE;
  sink.out = G_OUTPUT_STREAM (out);
  surface = cairo_pdf_surface_create_for_stream (write_stream_cb, &sink,
                                                 SAOMA_REPORT_PAGE_WIDTH,
                                                 SAOMA_REPORT_PAGE_HEIGHT);
  title = g_strdup_printf ("%s %s", _("Day close report"),
                           saoma_day_report_get_day_text (report));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Saoma " PACKAGE_VERSION);
  cr = cairo_create (surface);

  n_pages = saoma_report_n_pages (report, SAOMA_REPORT_PAGE_WIDTH, SAOMA_REPORT_PAGE_HEIGHT);
  for (guint page = 0; page < n_pages; page++)
    {
      saoma_report_draw_page (report, header, cr, SAOMA_REPORT_PAGE_WIDTH,
                              SAOMA_REPORT_PAGE_HEIGHT, page);
      cairo_show_page (cr);
    }

  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (sink.error != NULL)
    {
      g_propagate_error (error, sink.error);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write the PDF %s: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }

  return g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}
