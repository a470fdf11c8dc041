/* saoma-ledger-model.h: a lazy GListModel of attempts, newest first. */
#pragma once

#include <gio/gio.h>
#include "saoma-ledger.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_LEDGER_MODEL (saoma_ledger_model_get_type ())
G_DECLARE_FINAL_TYPE (SaomaLedgerModel, saoma_ledger_model, SAOMA, LEDGER_MODEL, GObject)

/*
 * A GListModel of SaomaAttempt, newest first, that materialises only the rows asked for and
 * never blocks: it asks the store (SaomaStore's page source) for the filtered count and for
 * pages of rows asynchronously, and keeps a few pages. A row not loaded yet is a placeholder
 * (saoma_attempt_is_placeholder()) replaced through items-changed when its page arrives; a
 * new filter takes effect (one items-changed) when its count arrives. It listens to the
 * store's "attempt-added" / "attempt-changed" and emits precise items-changed (an added
 * attempt that matches the filter is position 0; a changed one is replaced where it is).
 * Properties: "ledger", "day-start" / "day-end" (gint64 µs UTC, 0 = unbounded),
 * "state-filter" (int: -1 = all, else a SaomaAttemptState), "search-text" (matches
 * out_trade_no or transaction_id substrings), "n-items", "loading" (waiting for the store).
 */
SaomaLedgerModel *saoma_ledger_model_new              (SaomaLedger *ledger);
void              saoma_ledger_model_set_day_range    (SaomaLedgerModel *self,
                                                       gint64            start_us,
                                                       gint64            end_us);
void              saoma_ledger_model_set_state_filter (SaomaLedgerModel *self,
                                                       int               state);
void              saoma_ledger_model_set_search_text  (SaomaLedgerModel *self,
                                                       const char       *text);
/* The search text, and the amount it names (fen, parsed by the caller; 0: not an amount). */
void              saoma_ledger_model_set_search       (SaomaLedgerModel *self,
                                                       const char       *text,
                                                       gint64            amount);
/* Only late payments without a recorded decision (the "Needs a decision" filter). */
void              saoma_ledger_model_set_undecided_late (SaomaLedgerModel *self,
                                                         gboolean          undecided);
/* Reads the count and rows again (after a write that changed no attempt row). */
void              saoma_ledger_model_refresh          (SaomaLedgerModel *self);
/* Sum of amounts of the filtered attempts in @state (for summaries). The blocking variant
 * waits for the store's read; the history page should move to the async one. */
gint64            saoma_ledger_model_sum_amount       (SaomaLedgerModel *self,
                                                       SaomaAttemptState state);
void              saoma_ledger_model_sum_amount_async (SaomaLedgerModel    *self,
                                                       SaomaAttemptState    state,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          saoma_ledger_model_sum_amount_finish (SaomaLedgerModel  *self,
                                                        GAsyncResult      *result,
                                                        gint64            *out_sum,
                                                        GError           **error);
gboolean          saoma_ledger_model_get_loading      (SaomaLedgerModel *self);

G_END_DECLS
