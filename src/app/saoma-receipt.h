/* saoma-receipt.h: a payment or refund receipt for 58 mm and 80 mm roll printers. */
#pragma once

#include <gtk/gtk.h>

#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

typedef enum {
  SAOMA_RECEIPT_ROLL_58MM,
  SAOMA_RECEIPT_ROLL_80MM,
} SaomaReceiptRoll;

#define SAOMA_TYPE_RECEIPT (saoma_receipt_get_type ())
G_DECLARE_FINAL_TYPE (SaomaReceipt, saoma_receipt, SAOMA, RECEIPT, GObject)

/* A receipt for a paid attempt: store, till, time paid, amount, out_trade_no, transaction id. */
SaomaReceipt *saoma_receipt_new_for_payment (SaomaAttempt            *attempt,
                                             const char              *store_name,
                                             const char              *till_id);
/* A receipt for a refund of @attempt: also the refund number, WeChat's refund id, its amount,
 * its time (success, or creation while not final) and its state. */
SaomaReceipt *saoma_receipt_new_for_refund  (SaomaAttempt            *attempt,
                                             const SaomaLedgerRefund *refund,
                                             const char              *store_name,
                                             const char              *till_id);

/* Demo mode marks the receipt "演示 / DEMO" (on by default when the application is in demo
 * mode). */
void          saoma_receipt_set_demo        (SaomaReceipt     *self,
                                             gboolean          demo);

/* The roll's paper: 58 or 80 mm wide, as long as the receipt (custom GtkPaperSize, no
 * margins: roll printers have their own). */
GtkPageSetup *saoma_receipt_page_setup_new  (SaomaReceipt     *self,
                                             SaomaReceiptRoll  roll);
/* Height in points of the receipt drawn @width points wide. */
double        saoma_receipt_get_height      (SaomaReceipt     *self,
                                             double            width);
/* Draws at the origin of @cr, @width points wide (text in black). */
void          saoma_receipt_draw            (SaomaReceipt     *self,
                                             cairo_t          *cr,
                                             double            width);
/* Runs GtkPrintOperation (print dialog) with the roll's page setup. */
void          saoma_receipt_print           (SaomaReceipt     *self,
                                             GtkWindow        *parent,
                                             SaomaReceiptRoll  roll);
/* The same receipt as a one-page PDF of the roll's size (for tests and "save as"). */
gboolean      saoma_receipt_write_pdf       (SaomaReceipt     *self,
                                             SaomaReceiptRoll  roll,
                                             const char       *path,
                                             GError          **error);

G_END_DECLS
