/* saoma-totals.h: the one definition of paid, refunded and net (issue 12.1). */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

/*
 * What every figure of the till means, wherever it is shown (History, Day Close X/Z,
 * exports, reconciliation):
 *  - A payment is an attempt in state PAID, PARTIALLY_REFUNDED or REFUNDED: money WeChat took.
 *    A refund does not unpay it: a partly (or wholly) refunded payment stays a payment, at its
 *    full amount. Cancelled, expired, failed and unfinished attempts are no payments.
 *  - Its time is its paid_at (WeChat's time_end as recorded), or its creation time when the
 *    ledger has none (rows of old versions).
 *  - A refund counts once WeChat said SUCCESS, at its success time, whichever day the payment
 *    was. Pending refunds are not money yet.
 *  - net = paid − refunded (fen, may be negative).
 * Plain struct, zero-initialised (SAOMA_TOTALS_INIT).
 */
typedef struct {
  guint  n_payments;
  gint64 paid;
  guint  n_refunds;
  gint64 refunded;
} SaomaTotals;

#define SAOMA_TOTALS_INIT { 0, 0, 0, 0 }

/* TRUE for the states that are payments (above). */
gboolean saoma_totals_is_payment_state (SaomaAttemptState        state);
/* The payment time of @attempt (above). */
gint64   saoma_totals_payment_time     (SaomaAttempt            *attempt);
/* Adds @attempt when it is a payment whose time is in [@start_us, @end_us); TRUE when added. */
gboolean saoma_totals_add_payment      (SaomaTotals             *totals,
                                        SaomaAttempt            *attempt,
                                        gint64                   start_us,
                                        gint64                   end_us);
/* Adds @refund when it succeeded in [@start_us, @end_us); TRUE when added. */
gboolean saoma_totals_add_refund       (SaomaTotals             *totals,
                                        const SaomaLedgerRefund *refund,
                                        gint64                   start_us,
                                        gint64                   end_us);
gint64   saoma_totals_get_net          (const SaomaTotals       *totals);

/* The totals of [@start_us, @end_us) read from @ledger (blocking: worker threads and headless
 * commands; the History's summary uses the _async variant). */
gboolean saoma_totals_compute_sync     (SaomaLedger             *ledger,
                                        gint64                   start_us,
                                        gint64                   end_us,
                                        SaomaTotals             *out_totals,
                                        GError                 **error);
void     saoma_totals_compute_async    (SaomaLedger             *ledger,
                                        gint64                   start_us,
                                        gint64                   end_us,
                                        GCancellable            *cancellable,
                                        GAsyncReadyCallback      callback,
                                        gpointer                 user_data);
gboolean saoma_totals_compute_finish   (GAsyncResult            *result,
                                        SaomaTotals             *out_totals,
                                        GError                 **error);

G_END_DECLS
