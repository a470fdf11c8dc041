/* saoma-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "saoma-store.h"

G_DEFINE_INTERFACE (SaomaStore, saoma_store, G_TYPE_OBJECT)

static void
saoma_store_default_init (SaomaStoreInterface *iface)
{
  /**
   * SaomaStore::attempt-added:
   * @attempt: the stored snapshot (with its id)
   *
   * Emitted after an insert committed, on the context that opened the store.
   */
  g_signal_new ("attempt-added", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);

  /**
   * SaomaStore::attempt-changed:
   * @attempt: the new snapshot; saoma_attempt_get_previous() gives the old one
   */
  g_signal_new ("attempt-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);

  /**
   * SaomaStore::refund-changed:
   * @out_refund_no: the refund that was inserted or updated
   */
  g_signal_new ("refund-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

void
saoma_store_page_free (SaomaStorePage *page)
{
  if (page == NULL)
    return;

  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_clear_pointer (&page->keys, g_array_unref);
  g_free (page);
}

/**
 * saoma_store_refund_free:
 * @refund: (nullable): a refund row a store returned
 *
 * Refund rows are plain structs whatever the store, so this is the one way to free them.
 */
void
saoma_store_refund_free (SaomaLedgerRefund *refund)
{
  saoma_ledger_refund_free (refund);
}

/* Each call forwards to the implementation. */

void
saoma_store_insert_attempt_async (SaomaStore          *self,
                                  SaomaAttempt        *attempt,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->insert_attempt_async (self, attempt, cancellable, callback, user_data);
}

SaomaAttempt       *
saoma_store_insert_attempt_finish (SaomaStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->insert_attempt_finish (self, result, error);
}

/**
 * saoma_store_insert_attempt_then_async:
 * @then: the attempt's first update
 *
 * Inserts @attempt and applies @then in one durable write where the store can; a store that
 * cannot inserts @attempt alone. Either way the finish returns the durable snapshot, and the
 * caller writes @then again when that snapshot does not show it.
 */
void
saoma_store_insert_attempt_then_async (SaomaStore               *self,
                                       SaomaAttempt             *attempt,
                                       const SaomaAttemptUpdate *then,
                                       GCancellable             *cancellable,
                                       GAsyncReadyCallback       callback,
                                       gpointer                  user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  if (iface->insert_attempt_then_async != NULL)
    iface->insert_attempt_then_async (self, attempt, then, cancellable, callback, user_data);
  else
    iface->insert_attempt_async (self, attempt, cancellable, callback, user_data);
}

/**
 * saoma_store_insert_attempt_then_finish:
 *
 * Returns: (transfer full): the durable snapshot, after @then or as inserted
 */
SaomaAttempt *
saoma_store_insert_attempt_then_finish (SaomaStore    *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  if (iface->insert_attempt_then_finish != NULL)
    return iface->insert_attempt_then_finish (self, result, error);
  return iface->insert_attempt_finish (self, result, error);
}

void
saoma_store_update_attempt_async (SaomaStore               *self,
                                  const char               *out_trade_no,
                                  const SaomaAttemptUpdate *update,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->update_attempt_async (self, out_trade_no, update, cancellable, callback, user_data);
}

SaomaAttempt       *
saoma_store_update_attempt_finish (SaomaStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->update_attempt_finish (self, result, error);
}

void
saoma_store_get_attempt_async (SaomaStore          *self,
                               const char          *out_trade_no,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->get_attempt_async (self, out_trade_no, cancellable, callback, user_data);
}

SaomaAttempt       *
saoma_store_get_attempt_finish (SaomaStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->get_attempt_finish (self, result, error);
}

void
saoma_store_append_event_async (SaomaStore          *self,
                                const char          *out_trade_no,
                                const char          *kind,
                                const char          *detail,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->append_event_async (self, out_trade_no, kind, detail, cancellable, callback, user_data);
}

gboolean
saoma_store_append_event_finish (SaomaStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), FALSE);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->append_event_finish (self, result, error);
}

void
saoma_store_list_events_async (SaomaStore          *self,
                               const char          *out_trade_no,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_events_async (self, out_trade_no, cancellable, callback, user_data);
}

GPtrArray          *
saoma_store_list_events_finish (SaomaStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_events_finish (self, result, error);
}

void
saoma_store_list_unfinished_async (SaomaStore          *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_unfinished_async (self, cancellable, callback, user_data);
}

GPtrArray          *
saoma_store_list_unfinished_finish (SaomaStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_unfinished_finish (self, result, error);
}

void
saoma_store_list_range_async (SaomaStore          *self,
                              gint64               start_us,
                              gint64               end_us,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_range_async (self, start_us, end_us, cancellable, callback, user_data);
}

GPtrArray          *
saoma_store_list_range_finish (SaomaStore    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_range_finish (self, result, error);
}

void
saoma_store_insert_refund_async (SaomaStore          *self,
                                 const char          *out_trade_no,
                                 const char          *out_refund_no,
                                 gint64               amount,
                                 const char          *reason,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->insert_refund_async (self, out_trade_no, out_refund_no, amount, reason, cancellable,
                              callback, user_data);
}

SaomaLedgerRefund  *
saoma_store_insert_refund_finish (SaomaStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->insert_refund_finish (self, result, error);
}

void
saoma_store_update_refund_async (SaomaStore          *self,
                                 const char          *out_refund_no,
                                 SaomaRefundState     state,
                                 const char          *refund_id,
                                 const char          *event_detail,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->update_refund_async (self, out_refund_no, state, refund_id, event_detail, cancellable,
                              callback, user_data);
}

SaomaLedgerRefund  *
saoma_store_update_refund_finish (SaomaStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->update_refund_finish (self, result, error);
}

void
saoma_store_list_refunds_async (SaomaStore          *self,
                                const char          *out_trade_no,
                                gint64               start_us,
                                gint64               end_us,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_refunds_async (self, out_trade_no, start_us, end_us, cancellable, callback,
                             user_data);
}

GPtrArray          *
saoma_store_list_refunds_finish (SaomaStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_refunds_finish (self, result, error);
}

void
saoma_store_list_unfinished_refunds_async (SaomaStore          *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_unfinished_refunds_async (self, cancellable, callback, user_data);
}

GPtrArray          *
saoma_store_list_unfinished_refunds_finish (SaomaStore    *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_unfinished_refunds_finish (self, result, error);
}

/**
 * saoma_store_open_snapshot_async:
 *
 * Opens a read snapshot of the store as committed now, for a report to read in a worker
 * (saoma_store_snapshot_list_attempts() and friends): every read of it sees the same state.
 */
void
saoma_store_open_snapshot_async (SaomaStore          *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->open_snapshot_async (self, cancellable, callback, user_data);
}

SaomaStoreSnapshot *
saoma_store_open_snapshot_finish (SaomaStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->open_snapshot_finish (self, result, error);
}

/**
 * saoma_store_count_attempts_async:
 * @filter: which attempts
 *
 * Counts the attempts passing @filter, and gives the newest attempt id at that moment. Ordered
 * with the writes: "attempt-added" of every attempt counted is emitted before the callback
 * runs, and of none counted after it.
 */
void
saoma_store_count_attempts_async (SaomaStore             *self,
                                  const SaomaStoreFilter *filter,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->count_attempts_async (self, filter, cancellable, callback, user_data);
}

gboolean
saoma_store_count_attempts_finish (SaomaStore    *self,
                                   GAsyncResult  *result,
                                   guint         *out_n_items,
                                   gint64        *out_newest_id,
                                   GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), FALSE);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->count_attempts_finish (self, result, out_n_items, out_newest_id, error);
}

/**
 * saoma_store_fetch_attempts_async:
 * @filter: which attempts
 * @anchor: (nullable): a key known at or before @start (from an earlier page), or %NULL
 * @start: the position of the page's first row, newest first
 * @n: rows per page
 *
 * Reads one page of the history (a #SaomaStorePage), off the caller's thread.
 */
void
saoma_store_fetch_attempts_async (SaomaStore             *self,
                                  const SaomaStoreFilter *filter,
                                  const SaomaStoreKey    *anchor,
                                  guint                   start,
                                  guint                   n,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->fetch_attempts_async (self, filter, anchor, start, n, cancellable, callback, user_data);
}

SaomaStorePage     *
saoma_store_fetch_attempts_finish (SaomaStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->fetch_attempts_finish (self, result, error);
}

/**
 * saoma_store_locate_attempt_async:
 * @attempt: a snapshot from "attempt-added" or "attempt-changed"
 * @added: %TRUE for a new attempt (rows added after it are not counted yet)
 *
 * Gives the position @attempt has, or would have, under @filter: the number of matching
 * attempts newer than it. Ordered with the writes, like saoma_store_count_attempts_async().
 */
void
saoma_store_locate_attempt_async (SaomaStore             *self,
                                  const SaomaStoreFilter *filter,
                                  SaomaAttempt           *attempt,
                                  gboolean                added,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->locate_attempt_async (self, filter, attempt, added, cancellable, callback, user_data);
}

gboolean
saoma_store_locate_attempt_finish (SaomaStore    *self,
                                   GAsyncResult  *result,
                                   guint         *out_position,
                                   GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), FALSE);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->locate_attempt_finish (self, result, out_position, error);
}

/**
 * saoma_store_sum_amount_async:
 *
 * Sums, off the caller's thread, the amounts (fen) of the attempts passing @filter that are
 * in @state.
 */
void
saoma_store_sum_amount_async (SaomaStore             *self,
                              const SaomaStoreFilter *filter,
                              SaomaAttemptState       state,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->sum_amount_async (self, filter, state, cancellable, callback, user_data);
}

gboolean
saoma_store_sum_amount_finish (SaomaStore    *self,
                               GAsyncResult  *result,
                               gint64        *out_sum,
                               GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), FALSE);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->sum_amount_finish (self, result, out_sum, error);
}

/* Ownership ------------------------------------------------------------------------------ */

void
saoma_store_update_refund_fenced_async (SaomaStore          *self,
                                        const char          *out_refund_no,
                                        SaomaRefundState     state,
                                        const char          *refund_id,
                                        const char          *event_detail,
                                        const char          *owner,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->update_refund_fenced_async (self, out_refund_no, state, refund_id, event_detail, owner,
                                     cancellable, callback, user_data);
}

void
saoma_store_insert_refund_leased_async (SaomaStore          *self,
                                        const char          *out_trade_no,
                                        const char          *out_refund_no,
                                        gint64               amount,
                                        const char          *reason,
                                        const char          *owner,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->insert_refund_leased_async (self, out_trade_no, out_refund_no, amount, reason, owner,
                                     cancellable, callback, user_data);
}

void
saoma_store_list_leases_async (SaomaStore          *self,
                               SaomaLeaseKind       kind,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->list_leases_async (self, kind, cancellable, callback, user_data);
}

/**
 * saoma_store_list_leases_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerLease): the lease of every unfinished
 *   attempt (or refund), oldest first
 */
GPtrArray *
saoma_store_list_leases_finish (SaomaStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->list_leases_finish (self, result, error);
}

/**
 * saoma_store_change_leases_async:
 * @change: claim, renew or release
 * @owner: the engine's identity
 * @leases: (element-type SaomaLedgerLease): for a claim, each as it was read (the
 *   compare-and-set's expected owner and heartbeat); otherwise only kind and key count
 *
 * Applies @change to every lease of @leases in one write.
 */
void
saoma_store_change_leases_async (SaomaStore          *self,
                                 SaomaLeaseChange     change,
                                 const char          *owner,
                                 GPtrArray           *leases,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->change_leases_async (self, change, owner, leases, cancellable, callback, user_data);
}

/**
 * saoma_store_change_leases_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerLease): the leases changed (a claim
 *   lost to another owner, or a renewal of a lease taken over, is not among them)
 */
GPtrArray *
saoma_store_change_leases_finish (SaomaStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  SaomaStoreInterface *iface;

  g_return_val_if_fail (SAOMA_IS_STORE (self), NULL);

  iface = SAOMA_STORE_GET_IFACE (self);
  return iface->change_leases_finish (self, result, error);
}

/**
 * saoma_store_append_fenced_event_async:
 * @lease_kind: the row the engine drives: an attempt or a refund
 * @lease_key: its out_trade_no or out_refund_no
 * @owner: the owner the engine believes it is (its fence)
 * @out_trade_no: (nullable): the attempt the event is about
 * @kind: "request", "response", "note" …
 * @detail: (nullable): short English text; never a secret
 *
 * Appends an audit event of the engine that drives a row, fenced like its writes: recorded as
 * @kind while @owner holds the row, else as SAOMA_LEDGER_STALE_KIND ("KIND: DETAIL"), decided
 * in the same write. Finished by saoma_store_append_event_finish().
 */
void
saoma_store_append_fenced_event_async (SaomaStore          *self,
                                       SaomaLeaseKind       lease_kind,
                                       const char          *lease_key,
                                       const char          *owner,
                                       const char          *out_trade_no,
                                       const char          *kind,
                                       const char          *detail,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  SaomaStoreInterface *iface;

  g_return_if_fail (SAOMA_IS_STORE (self));

  iface = SAOMA_STORE_GET_IFACE (self);
  iface->append_fenced_event_async (self, lease_kind, lease_key, owner, out_trade_no, kind,
                                    detail, cancellable, callback, user_data);
}
