/* saoma-receipt.c: payment and refund receipts for roll printers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-receipt"

#include "config.h"

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "core/saoma-money.h"
#include "saoma-application.h"
#include "saoma-messages.h"
#include "saoma-receipt.h"

#define POINTS_PER_MM (72.0 / 25.4)
/* Roll printers print about 48 mm of a 58 mm roll and 72 mm of an 80 mm one. */
#define SIDE_MARGIN_MM 5.0
#define FONT_FAMILY "Noto Sans CJK SC, Noto Sans, Sans"

struct _SaomaReceipt
{
  GObject   parent_instance;

  gboolean  refund;
  char     *store_name;
  char     *till_id;
  char     *title;
  gint64    time_us;
  gint64    amount;
  gint64    order_amount;
  char     *out_trade_no;
  char     *transaction_id;
  char     *out_refund_no;
  char     *refund_id;
  char     *state;
  char     *description;
  SaomaPaymentMethod method;
  gboolean  demo;     /* printed in demo mode: marked "演示 / DEMO" (issue 12.18) */
};

G_DEFINE_FINAL_TYPE (SaomaReceipt, saoma_receipt, G_TYPE_OBJECT)

static void
saoma_receipt_finalize (GObject *object)
{
  SaomaReceipt *self = SAOMA_RECEIPT (object);

  g_free (self->store_name);
  g_free (self->till_id);
  g_free (self->title);
  g_free (self->out_trade_no);
  g_free (self->transaction_id);
  g_free (self->out_refund_no);
  g_free (self->refund_id);
  g_free (self->state);
  g_free (self->description);

  G_OBJECT_CLASS (saoma_receipt_parent_class)->finalize (object);
}

static void
saoma_receipt_class_init (SaomaReceiptClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = saoma_receipt_finalize;
}

static void
saoma_receipt_init (SaomaReceipt *self)
{
}

static SaomaReceipt *
receipt_new (SaomaAttempt *attempt,
             const char   *store_name,
             const char   *till_id)
{
  SaomaReceipt *self = g_object_new (SAOMA_TYPE_RECEIPT, NULL);

  self->store_name = g_strdup (store_name);
  self->till_id = g_strdup (till_id && *till_id ? till_id : saoma_attempt_get_till_id (attempt));
  self->out_trade_no = g_strdup (saoma_attempt_get_out_trade_no (attempt));
  self->transaction_id = g_strdup (saoma_attempt_get_transaction_id (attempt));
  self->description = g_strdup (saoma_attempt_get_description (attempt));
  self->order_amount = saoma_attempt_get_amount (attempt);
  self->method = saoma_attempt_get_method (attempt);
  /* A receipt printed in demo mode is no proof of payment: it says so, whoever prints it. */
  if (SAOMA_IS_APPLICATION (g_application_get_default ()))
    self->demo = saoma_application_get_demo (SAOMA_APPLICATION (g_application_get_default ()));
  return self;
}

/**
 * saoma_receipt_set_demo:
 * @self: a receipt
 * @demo: %TRUE to mark it "演示 / DEMO"
 *
 * Set from the application's demo mode when the receipt is made; for tests and previews.
 */
void
saoma_receipt_set_demo (SaomaReceipt *self,
                        gboolean      demo)
{
  g_return_if_fail (SAOMA_IS_RECEIPT (self));
  self->demo = demo;
}

/**
 * saoma_receipt_new_for_payment:
 *
 * Returns: (transfer full): the receipt
 */
SaomaReceipt *
saoma_receipt_new_for_payment (SaomaAttempt *attempt,
                               const char   *store_name,
                               const char   *till_id)
{
  SaomaReceipt *self;
  gint64 paid_at;

  g_return_val_if_fail (SAOMA_IS_ATTEMPT (attempt), NULL);

  self = receipt_new (attempt, store_name, till_id);
  self->title = g_strdup (_("Payment receipt"));
  paid_at = saoma_attempt_get_paid_at (attempt);
  self->time_us = paid_at > 0 ? paid_at : saoma_attempt_get_created (attempt);
  self->amount = saoma_attempt_get_amount (attempt);
  self->state = g_strdup (saoma_messages_state_label (saoma_attempt_get_state (attempt)));
  return self;
}

static const char *
refund_state_label (SaomaRefundState state)
{
  switch (state)
    {
    case SAOMA_REFUND_SUCCESS:
      return _("Refunded");
    case SAOMA_REFUND_REFUNDCLOSE:
      return _("Refund closed");
    case SAOMA_REFUND_CHANGE:
      return _("Refund needs manual handling");
    case SAOMA_REFUND_FAILED:
      return _("Refund refused");
    case SAOMA_REFUND_CREATED:
    case SAOMA_REFUND_UNKNOWN:
    case SAOMA_REFUND_PROCESSING:
    default:
      return _("Refund in progress");
    }
}

/**
 * saoma_receipt_new_for_refund:
 *
 * Returns: (transfer full): the receipt
 */
SaomaReceipt *
saoma_receipt_new_for_refund (SaomaAttempt            *attempt,
                              const SaomaLedgerRefund *refund,
                              const char              *store_name,
                              const char              *till_id)
{
  SaomaReceipt *self;

  g_return_val_if_fail (SAOMA_IS_ATTEMPT (attempt), NULL);
  g_return_val_if_fail (refund != NULL, NULL);

  self = receipt_new (attempt, store_name, till_id);
  self->refund = TRUE;
  self->title = g_strdup (_("Refund receipt"));
  self->time_us = refund->succeeded > 0 ? refund->succeeded : refund->created;
  self->amount = refund->amount;
  self->out_refund_no = g_strdup (refund->out_refund_no);
  self->refund_id = g_strdup (refund->refund_id);
  self->state = g_strdup (refund_state_label (refund->state));
  return self;
}

/* Drawing -------------------------------------------------------------------------------- */

typedef struct {
  cairo_t *cr;
  double   width;
  double   y;
  gboolean draw;
} Pen;

static void
line (Pen        *pen,
      const char *text,
      double      size,
      gboolean    bold,
      double      align,
      gboolean    monospace)
{
  g_autoptr(PangoLayout) layout = NULL;
  g_autoptr(PangoFontDescription) font = NULL;
  int w, h;

  if (text == NULL || *text == '\0')
    return;

  layout = pango_cairo_create_layout (pen->cr);
  font = pango_font_description_from_string (monospace ? "Monospace" : FONT_FAMILY);
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);

  /* Order and transaction numbers stay on one line (they are read back and typed in): shrink
   * the font until they fit the roll. */
  if (monospace)
    {
      pango_layout_get_pixel_size (layout, &w, &h);
      if (w > pen->width)
        {
          pango_font_description_set_absolute_size (font, size * (pen->width / w) * 0.98
                                                          * PANGO_SCALE);
          pango_layout_set_font_description (layout, font);
        }
    }
  else
    {
      pango_layout_set_width (layout, (int) (pen->width * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_alignment (layout, align > 0.75 ? PANGO_ALIGN_RIGHT
                                          : align > 0.25 ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
    }
  pango_layout_get_pixel_size (layout, &w, &h);

  if (pen->draw)
    {
      cairo_move_to (pen->cr, 0, pen->y);
      pango_cairo_show_layout (pen->cr, layout);
    }
  pen->y += h;
}

static void
rule (Pen *pen)
{
  pen->y += 4;
  if (pen->draw)
    {
      cairo_save (pen->cr);
      cairo_set_line_width (pen->cr, 0.6);
      cairo_set_dash (pen->cr, (double[]) { 2.0, 1.5 }, 2, 0);
      cairo_move_to (pen->cr, 0, pen->y);
      cairo_line_to (pen->cr, pen->width, pen->y);
      cairo_stroke (pen->cr);
      cairo_restore (pen->cr);
    }
  pen->y += 5;
}

static void
field (Pen        *pen,
       const char *label,
       const char *value,
       double      size)
{
  if (value == NULL || *value == '\0')
    return;
  line (pen, label, size * 0.85, FALSE, 0, FALSE);
  /* Order numbers are read back over the phone: monospace, never ellipsized. */
  line (pen, value, size, FALSE, 0, TRUE);
  pen->y += 2;
}

static double
layout_receipt (SaomaReceipt *self,
                cairo_t      *cr,
                double        width,
                gboolean      draw)
{
  double size = width < 150 ? 7.5 : 9.0;
  g_autofree char *when = NULL;
  g_autofree char *amount = saoma_money_format (self->refund ? -self->amount : self->amount);
  g_autofree char *order_amount = saoma_money_format (self->order_amount);
  g_autofree char *till = NULL;
  Pen pen = { cr, width, 0, draw };

  if (self->time_us > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (self->time_us / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = g_date_time_to_local (utc);

      when = g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
    }
  if (self->till_id != NULL && *self->till_id != '\0')
    till = g_strdup_printf (_("Till %s"), self->till_id);

  if (draw)
    cairo_set_source_rgb (cr, 0, 0, 0);

  if (self->demo)
    /* Not translated: the mark reads the same in both languages. */
    line (&pen, "演示 / DEMO", size * 1.4, TRUE, 0.5, FALSE);
  line (&pen, self->store_name, size * 1.4, TRUE, 0.5, FALSE);
  line (&pen, till, size, FALSE, 0.5, FALSE);
  line (&pen, when, size, FALSE, 0.5, FALSE);
  rule (&pen);
  line (&pen, self->title, size * 1.2, TRUE, 0.5, FALSE);
  line (&pen, _("WeChat Pay"), size, FALSE, 0.5, FALSE);
  pen.y += 4;
  line (&pen, amount, size * 2.2, TRUE, 0.5, FALSE);
  line (&pen, self->state, size, FALSE, 0.5, FALSE);
  rule (&pen);
  if (self->refund)
    field (&pen, _("Order amount"), order_amount, size);
  field (&pen, _("Paid by"), saoma_messages_method_label (self->method), size);
  field (&pen, _("Order number"), self->out_trade_no, size);
  field (&pen, _("Transaction ID"), self->transaction_id, size);
  field (&pen, _("Refund number"), self->out_refund_no, size);
  field (&pen, _("WeChat refund ID"), self->refund_id, size);
  field (&pen, _("Item"), self->description, size);
  rule (&pen);
  line (&pen, self->refund ? _("The refund goes back to the customer's WeChat Pay account.")
                           : _("Thank you!"), size, FALSE, 0.5, FALSE);
  if (self->demo)
    line (&pen, _("Demo mode: no real money was paid."), size, TRUE, 0.5, FALSE);
  pen.y += 6;

  return pen.y;
}

double
saoma_receipt_get_height (SaomaReceipt *self,
                          double        width)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  double height;

  g_return_val_if_fail (SAOMA_IS_RECEIPT (self), 0);

  surface = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cr = cairo_create (surface);
  height = layout_receipt (self, cr, width, FALSE);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  return height;
}

void
saoma_receipt_draw (SaomaReceipt *self,
                    cairo_t      *cr,
                    double        width)
{
  g_return_if_fail (SAOMA_IS_RECEIPT (self));

  cairo_save (cr);
  layout_receipt (self, cr, width, TRUE);
  cairo_restore (cr);
}

static double
roll_mm (SaomaReceiptRoll roll)
{
  return roll == SAOMA_RECEIPT_ROLL_58MM ? 58.0 : 80.0;
}

static double
printable_width (SaomaReceiptRoll roll)
{
  return (roll_mm (roll) - 2 * SIDE_MARGIN_MM) * POINTS_PER_MM;
}

/**
 * saoma_receipt_page_setup_new:
 *
 * Returns: (transfer full): a page setup with a custom roll paper size
 */
GtkPageSetup *
saoma_receipt_page_setup_new (SaomaReceipt     *self,
                              SaomaReceiptRoll  roll)
{
  g_autoptr(GtkPaperSize) paper = NULL;
  GtkPageSetup *setup;
  double height_mm;

  g_return_val_if_fail (SAOMA_IS_RECEIPT (self), NULL);

  height_mm = saoma_receipt_get_height (self, printable_width (roll)) / POINTS_PER_MM + 10.0;
  paper = gtk_paper_size_new_custom (roll == SAOMA_RECEIPT_ROLL_58MM ? "saoma-roll-58"
                                                                     : "saoma-roll-80",
                                     roll == SAOMA_RECEIPT_ROLL_58MM ? _("58 mm roll")
                                                                     : _("80 mm roll"),
                                     roll_mm (roll), height_mm, GTK_UNIT_MM);
  setup = gtk_page_setup_new ();
  gtk_page_setup_set_orientation (setup, GTK_PAGE_ORIENTATION_PORTRAIT);
  gtk_page_setup_set_paper_size (setup, paper);
  gtk_page_setup_set_left_margin (setup, SIDE_MARGIN_MM, GTK_UNIT_MM);
  gtk_page_setup_set_right_margin (setup, SIDE_MARGIN_MM, GTK_UNIT_MM);
  gtk_page_setup_set_top_margin (setup, 5.0, GTK_UNIT_MM);
  gtk_page_setup_set_bottom_margin (setup, 5.0, GTK_UNIT_MM);
  return setup;
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              SaomaReceipt      *self)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);

  saoma_receipt_draw (self, cr, gtk_print_context_get_width (context));
}

static void
print_done_cb (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               GtkWindow               *parent)
{
  g_autoptr(GError) error = NULL;

  if (result != GTK_PRINT_OPERATION_RESULT_ERROR)
    return;

  gtk_print_operation_get_error (operation, &error);
  g_warning ("Printing the receipt failed: %s", error ? error->message : "unknown error");
}

void
saoma_receipt_print (SaomaReceipt     *self,
                     GtkWindow        *parent,
                     SaomaReceiptRoll  roll)
{
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GtkPageSetup) setup = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SAOMA_IS_RECEIPT (self));

  operation = gtk_print_operation_new ();
  setup = saoma_receipt_page_setup_new (self, roll);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_n_pages (operation, 1);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_job_name (operation, self->title);
  g_signal_connect_object (operation, "draw-page", G_CALLBACK (draw_page_cb), self, 0);
  g_signal_connect (operation, "done", G_CALLBACK (print_done_cb), parent);

  gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent, &error);
  if (error != NULL)
    g_warning ("Cannot print the receipt: %s", error->message);
}

gboolean
saoma_receipt_write_pdf (SaomaReceipt     *self,
                         SaomaReceiptRoll  roll,
                         const char       *path,
                         GError          **error)
{
  double margin = SIDE_MARGIN_MM * POINTS_PER_MM;
  double width = printable_width (roll);
  double height = saoma_receipt_get_height (self, width) + 2 * margin;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  g_return_val_if_fail (SAOMA_IS_RECEIPT (self), FALSE);

  surface = cairo_pdf_surface_create (path, roll_mm (roll) * POINTS_PER_MM, height);
  cr = cairo_create (surface);
  cairo_translate (cr, margin, margin);
  saoma_receipt_draw (self, cr, width);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write the PDF %s: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
