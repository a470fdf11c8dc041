/* saoma-late-payments.h: late payments as a to-do list until the manager decides (issue 12.6). */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

/*
 * A late payment is one WeChat took after the cashier had given up on the order (cancelled or
 * expired on screen), or after recovery began closing one the last run left unfinished (a quit
 * or a crash mid-sale; SaomaCheckout's "late-payment::resumed"): the ledger flags it "late". It stays on the to-do list, across restarts,
 * until someone records what was done about it: the customer got the goods (honoured) or the
 * money back (refunded). The decision is an event of the attempt
 * (SAOMA_LEDGER_LATE_DECISION_KIND, detail "honoured" or "refunded" and an optional note),
 * so it is part of its audit trail.
 */

#define SAOMA_LATE_PAYMENT_ERROR (saoma_late_payment_error_quark ())

typedef enum {
  SAOMA_LATE_PAYMENT_ERROR_NOT_FOUND,        /* no such out_trade_no */
  SAOMA_LATE_PAYMENT_ERROR_NOT_LATE,         /* not a late payment: nothing to decide */
  SAOMA_LATE_PAYMENT_ERROR_ALREADY_DECIDED,  /* a decision is recorded already */
  SAOMA_LATE_PAYMENT_ERROR_NOT_REFUNDED,     /* "refunded", but no refund succeeded */
  SAOMA_LATE_PAYMENT_ERROR_FAILED,           /* the ledger could not be read or written */
} SaomaLatePaymentError;

GQuark saoma_late_payment_error_quark (void);

typedef enum {
  SAOMA_LATE_DECISION_HONOURED,  /* the sale stands: the customer has the goods */
  SAOMA_LATE_DECISION_REFUNDED,  /* the money went back (a refund succeeded) */
} SaomaLateDecision;

/* "honoured", "refunded" (stable: the event detail and the CLI use them). */
const char *saoma_late_decision_to_string   (SaomaLateDecision  decision);
gboolean    saoma_late_decision_from_string (const char        *text,
                                             SaomaLateDecision *out_decision);

/* The late payments still waiting for a decision, oldest first (SaomaAttempt *). Blocking. */
GPtrArray  *saoma_late_payments_list_open_sync   (SaomaLedger         *ledger,
                                                  GError             **error);
void        saoma_late_payments_list_open_async  (SaomaLedger         *ledger,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GPtrArray  *saoma_late_payments_list_open_finish (GAsyncResult        *result,
                                                  GError             **error);

/* Records @decision on the late payment @out_trade_no (@note: nullable, ≤ 80 characters kept).
 * "refunded" needs a refund that succeeded. Blocking. */
gboolean    saoma_late_payments_decide_sync      (SaomaLedger         *ledger,
                                                  const char          *out_trade_no,
                                                  SaomaLateDecision    decision,
                                                  const char          *note,
                                                  GError             **error);

G_END_DECLS
