/* saoma-ledger-events.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-ledger-private.h"

/* The events table: the append-only audit log. */

void
saoma_ledger_event_free (SaomaLedgerEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->out_trade_no);
  g_free (event->kind);
  g_free (event->detail);
  g_free (event);
}

SaomaLedgerEvent *
saoma_ledger_event_from_stmt (sqlite3_stmt *stmt)
{
  SaomaLedgerEvent *event = g_new0 (SaomaLedgerEvent, 1);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->time = sqlite3_column_int64 (stmt, 1);
  event->out_trade_no = ledger_column_dup (stmt, 2);
  event->kind = ledger_column_dup (stmt, 3);
  event->detail = ledger_column_dup (stmt, 4);

  return event;
}

static const RowType event_rows = {
  (RowReadFunc) saoma_ledger_event_from_stmt, (GDestroyNotify) saoma_ledger_event_free,
  "event", "Cannot read an event", "Cannot list events",
};
static const ListQuery events_of_attempt = { STMT_LIST_EVENTS_OF_ATTEMPT, &event_rows };
static const ListQuery all_events = { STMT_LIST_ALL_EVENTS, &event_rows };
static const ListQuery till_events = { STMT_LIST_TILL_EVENTS, &event_rows };

gboolean
ledger_insert_event (SaomaLedger  *self,
                     gint64        time,
                     const char   *out_trade_no,
                     const char   *kind,
                     const char   *detail,
                     GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = ledger_cached_bind (self, STMT_INSERT_EVENT, error, "isss", time, out_trade_no, kind,
                             detail != NULL ? detail : "");

  return stmt != NULL && ledger_step_done (self->db, stmt, "Cannot append an event", error);
}

static gpointer
append_event_op (SaomaLedger   *self,
                 const OpArgs  *args,
                 GPtrArray     *emits,
                 GError       **error)
{
  if (!ledger_insert_event (self, g_get_real_time (), args->out_trade_no, args->kind, args->detail,
                            error))
    return NULL;

  return GINT_TO_POINTER (TRUE);
}

/**
 * saoma_ledger_append_event_async:
 * @out_trade_no: (nullable): the attempt, or %NULL for a till-wide event
 * @kind: "request", "response", "notification", "note" …
 * @detail: (nullable): short English text; never a secret
 */
void
saoma_ledger_append_event_async (SaomaLedger         *self,
                                 const char          *out_trade_no,
                                 const char          *kind,
                                 const char          *detail,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (kind != NULL);

  ledger_queue_op (self, append_event_op,
                   &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail }, NULL,
                   saoma_ledger_append_event_async, cancellable, callback, user_data);
}

gboolean
saoma_ledger_append_event_finish (SaomaLedger   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return ledger_finish_op (self, result, saoma_ledger_append_event_async, error) != NULL;
}

gboolean
saoma_ledger_append_event_sync (SaomaLedger  *self,
                                const char   *out_trade_no,
                                const char   *kind,
                                const char   *detail,
                                GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);

  return ledger_run_op (self, append_event_op,
                        &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail },
                        error) != NULL;
}

static gpointer
append_fenced_event_op (SaomaLedger   *self,
                        const OpArgs  *args,
                        GPtrArray     *emits,
                        GError       **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = ledger_cached_bind (self, args->lease_kind == SAOMA_LEASE_REFUND
                                     ? STMT_INSERT_FENCED_REFUND_EVENT
                                     : STMT_INSERT_FENCED_ATTEMPT_EVENT,
                             error, "isssss", g_get_real_time (), args->out_trade_no, args->kind,
                             args->detail != NULL ? args->detail : "", args->lease_key,
                             args->owner);
  if (stmt == NULL || !ledger_step_done (self->db, stmt, "Cannot append an event", error))
    return NULL;

  return GINT_TO_POINTER (TRUE);
}

/**
 * saoma_ledger_append_fenced_event_async:
 * @lease_kind: the row the engine drives: an attempt or a refund
 * @lease_key: its out_trade_no or out_refund_no
 * @owner: the owner the engine believes it is (its fence)
 * @out_trade_no: (nullable): the attempt the event is about
 * @kind: "request", "response", "note" …
 * @detail: (nullable): short English text; never a secret
 *
 * Appends an event fenced like the engine's writes: whether @owner holds the row is decided
 * in the same statement as the insert. An event of a process that lost the row is not
 * refused but kept as SAOMA_LEDGER_STALE_KIND: the audit trail records every exchange with
 * WeChat Pay that happened, and says which of them were no longer the row's course.
 * Finished by saoma_ledger_append_event_finish().
 */
void
saoma_ledger_append_fenced_event_async (SaomaLedger         *self,
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
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (lease_key != NULL && owner != NULL && kind != NULL);

  /* Its task is tagged as a plain append's, so that one _finish serves both. */
  ledger_queue_op (self, append_fenced_event_op,
                   &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail,
                               .lease_kind = lease_kind, .lease_key = lease_key,
                               .owner = owner },
                   NULL, saoma_ledger_append_event_async, cancellable, callback, user_data);
}

gboolean
saoma_ledger_append_fenced_event_sync (SaomaLedger     *self,
                                       SaomaLeaseKind   lease_kind,
                                       const char      *lease_key,
                                       const char      *owner,
                                       const char      *out_trade_no,
                                       const char      *kind,
                                       const char      *detail,
                                       GError         **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (lease_key != NULL && owner != NULL && kind != NULL, FALSE);

  return ledger_run_op (self, append_fenced_event_op,
                        &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail,
                                    .lease_kind = lease_kind, .lease_key = lease_key,
                                    .owner = owner },
                        error) != NULL;
}

/**
 * saoma_ledger_list_events_async:
 * @out_trade_no: (nullable): one attempt's events, or %NULL for every event
 */
void
saoma_ledger_list_events_async (SaomaLedger         *self,
                                const char          *out_trade_no,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_list (self,
                     &(OpArgs) { .list = out_trade_no ? &events_of_attempt : &all_events,
                                 .out_trade_no = out_trade_no },
                     saoma_ledger_list_events_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_list_events_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerEvent): the events, oldest first
 */
LEDGER_DEFINE_FINISH (list_events, GPtrArray *)

GPtrArray *
saoma_ledger_list_events_sync (SaomaLedger  *self,
                               const char   *out_trade_no,
                               GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op,
                        &(OpArgs) { .list = out_trade_no ? &events_of_attempt : &all_events,
                                    .out_trade_no = out_trade_no },
                        error);
}

/**
 * saoma_ledger_list_till_events_sync:
 * @kind: the event kind, e.g. "day-close"
 *
 * Returns: (transfer full) (element-type SaomaLedgerEvent): till-wide events (no
 *   out_trade_no) of @kind, oldest first
 */
GPtrArray *
saoma_ledger_list_till_events_sync (SaomaLedger  *self,
                                    const char   *kind,
                                    GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return ledger_run_op (self, ledger_list_op, &(OpArgs) { .list = &till_events, .kind = kind },
                        error);
}
