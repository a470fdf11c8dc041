/* saoma-ledger-refunds.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-ledger-private.h"

/* The refunds table, and the attempt bookkeeping a successful refund does. */

static const char * const refund_state_names[] = {
  [SAOMA_REFUND_CREATED] = "CREATED",
  [SAOMA_REFUND_UNKNOWN] = "UNKNOWN",
  [SAOMA_REFUND_PROCESSING] = "PROCESSING",
  [SAOMA_REFUND_SUCCESS] = "SUCCESS",
  [SAOMA_REFUND_REFUNDCLOSE] = "REFUNDCLOSE",
  [SAOMA_REFUND_CHANGE] = "CHANGE",
  [SAOMA_REFUND_FAILED] = "FAILED",
};

const char *
saoma_refund_state_to_string (SaomaRefundState state)
{
  if ((guint) state >= G_N_ELEMENTS (refund_state_names))
    return NULL;

  return refund_state_names[state];
}

gboolean
saoma_refund_state_from_string (const char       *str,
                                SaomaRefundState *out_state)
{
  g_return_val_if_fail (out_state != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (refund_state_names); i++)
    {
      if (g_str_equal (str, refund_state_names[i]))
        {
          *out_state = (SaomaRefundState) i;
          return TRUE;
        }
    }

  return FALSE;
}

gboolean
saoma_refund_state_is_final (SaomaRefundState state)
{
  switch (state)
    {
    case SAOMA_REFUND_SUCCESS:
    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
    case SAOMA_REFUND_FAILED:
      return TRUE;

    case SAOMA_REFUND_CREATED:
    case SAOMA_REFUND_UNKNOWN:
    case SAOMA_REFUND_PROCESSING:
    default:
      return FALSE;
    }
}

void
saoma_ledger_refund_free (SaomaLedgerRefund *refund)
{
  if (refund == NULL)
    return;

  g_free (refund->out_refund_no);
  g_free (refund->out_trade_no);
  g_free (refund->reason);
  g_free (refund->refund_id);
  g_free (refund);
}

SaomaLedgerRefund *
saoma_ledger_refund_from_stmt (sqlite3_stmt *stmt)
{
  SaomaLedgerRefund *refund = g_new0 (SaomaLedgerRefund, 1);

  refund->id = sqlite3_column_int64 (stmt, 0);
  refund->out_refund_no = ledger_column_dup (stmt, 1);
  refund->out_trade_no = ledger_column_dup (stmt, 2);
  refund->amount = sqlite3_column_int64 (stmt, 3);
  refund->reason = ledger_column_dup (stmt, 4);
  if (!saoma_refund_state_from_string ((const char *)sqlite3_column_text (stmt, 5),
                                       &refund->state))
    g_warning ("Unknown refund state “%s” in the ledger", sqlite3_column_text (stmt, 5));
  refund->refund_id = ledger_column_dup (stmt, 6);
  refund->created = sqlite3_column_int64 (stmt, 7);
  refund->updated = sqlite3_column_int64 (stmt, 8);
  refund->succeeded = sqlite3_column_int64 (stmt, 9);

  return refund;
}

static const RowType refund_rows = {
  (RowReadFunc) saoma_ledger_refund_from_stmt, (GDestroyNotify) saoma_ledger_refund_free,
  "refund", "Cannot read a refund", "Cannot list refunds",
};
static const ListQuery refunds_of_attempt = { STMT_LIST_REFUNDS_OF_ATTEMPT, &refund_rows };
static const ListQuery refunds_in_range = { STMT_LIST_REFUNDS_IN_RANGE, &refund_rows };
static const ListQuery refunds_succeeded_in_range = {
  STMT_LIST_REFUNDS_SUCCEEDED_IN_RANGE, &refund_rows,
};
static const ListQuery unfinished_refunds = { STMT_LIST_UNFINISHED_REFUNDS, &refund_rows };

static SaomaLedgerRefund *
load_refund (SaomaLedger  *self,
             const char   *out_refund_no,
             GError      **error)
{
  return ledger_read_one (self->db, ledger_cached_bind (self, STMT_LOAD_REFUND, error, "s",
                                                        out_refund_no),
                          &refund_rows, out_refund_no, error);
}

/* @sum_stmt: STMT_SUM_LIVE_REFUNDS or STMT_SUM_SUCCEEDED_REFUNDS */
static gboolean
sum_refunds (SaomaLedger  *self,
             const char   *out_trade_no,
             StmtId        sum_stmt,
             gint64       *out_sum,
             GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  if (!(stmt = ledger_cached_bind (self, sum_stmt, error, "s", out_trade_no)))
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot sum refunds");
      return FALSE;
    }

  *out_sum = sqlite3_column_int64 (stmt, 0);

  return TRUE;
}

/* The end of a refund op: reads the refund back, commits, and announces it. */
static SaomaLedgerRefund *
commit_refund (SaomaLedger  *self,
               const char   *out_refund_no,
               GPtrArray    *emits,
               GError      **error)
{
  SaomaLedgerRefund *refund;

  if (!(refund = load_refund (self, out_refund_no, error)))
    return NULL;

  if (!ledger_commit (self, error))
    {
      saoma_ledger_refund_free (refund);
      return NULL;
    }

  ledger_emits_add (emits, REFUND_CHANGED, g_strdup (out_refund_no));

  return refund;
}

static gpointer
insert_refund_op (SaomaLedger   *self,
                  const OpArgs  *args,
                  GPtrArray     *emits,
                  GError       **error)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *detail = NULL;
  SaomaAttemptState state;
  SaomaLedgerRefund *refund;
  gint64 now = g_get_real_time ();
  gint64 sum = 0;

  if (args->amount <= 0)
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
                   "Refund “%s” has a non-positive amount", args->out_refund_no);
      return NULL;
    }

  if (!ledger_begin (self, error))
    return NULL;

  if (!(attempt = ledger_load_attempt (self, args->out_trade_no, error)))
    goto failed;

  state = saoma_attempt_get_state (attempt);
  if (state != SAOMA_ATTEMPT_PAID && state != SAOMA_ATTEMPT_PARTIALLY_REFUNDED)
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
                   "Attempt “%s” is %s; only a paid attempt can be refunded",
                   args->out_trade_no, saoma_attempt_state_to_string (state));
      goto failed;
    }

  if (!sum_refunds (self, args->out_trade_no, STMT_SUM_LIVE_REFUNDS, &sum, error))
    goto failed;

  /* Both terms are ≤ the attempt's amount here, so the sum cannot overflow. */
  if (args->amount > saoma_attempt_get_amount (attempt) ||
      sum + args->amount > saoma_attempt_get_amount (attempt))
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
                   "Refund of %" G_GINT64_FORMAT " fen on “%s” would exceed the paid %"
                   G_GINT64_FORMAT " fen (%" G_GINT64_FORMAT " fen already refunded or pending)",
                   args->amount, args->out_trade_no, saoma_attempt_get_amount (attempt), sum);
      goto failed;
    }

  /* The lease, when the caller names its owner, is taken in this same write. */
  if (!(stmt = ledger_cached_bind (self, STMT_INSERT_REFUND, error, "ssisiisi",
                                   args->out_refund_no, args->out_trade_no, args->amount,
                                   args->reason, now, now, args->owner,
                                   args->owner != NULL ? now : (gint64) 0)))
    goto failed;

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      ledger_set_insert_error (self->db, error, "Refund", args->out_refund_no,
                               "Cannot insert a refund");
      goto failed;
    }

  detail = g_strdup_printf ("refund %s CREATED, %" G_GINT64_FORMAT " fen",
                            args->out_refund_no, args->amount);
  if (!ledger_insert_event (self, now, args->out_trade_no, "refund", detail, error))
    goto failed;

  if (!(refund = commit_refund (self, args->out_refund_no, emits, error)))
    goto failed;

  return refund;

failed:
  ledger_rollback (self);
  return NULL;
}

static gpointer
update_refund_op (SaomaLedger   *self,
                  const OpArgs  *args,
                  GPtrArray     *emits,
                  GError       **error)
{
  g_autoptr(SaomaLedgerRefund) old = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) snapshot = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *detail = NULL;
  SaomaLedgerRefund *refund;
  gint64 now = g_get_real_time ();

  if (!ledger_begin (self, error))
    return NULL;

  if (!(old = load_refund (self, args->out_refund_no, error)))
    goto failed;

  if (!ledger_check_transition (SAOMA_FLOW_REFUND, args->out_refund_no, old->state,
                                args->refund_state,
                                error))
    goto failed;

  /* A final state ends the lease in the same write; a fenced write (@args->owner) applies
   * only while that owner still holds the row, in this same statement. */
  if (!(stmt = ledger_cached_bind (self, STMT_UPDATE_REFUND, error, "ssiiiis",
                                   saoma_refund_state_to_string (args->refund_state),
                                   args->refund_id, now,
                                   args->refund_state == SAOMA_REFUND_SUCCESS &&
                                   old->succeeded == 0 ? now : old->succeeded,
                                   (gint64) saoma_refund_state_is_final (args->refund_state),
                                   old->id, args->owner)) ||
      !ledger_step_done (self->db, stmt, "Cannot update a refund", error))
    goto failed;

  if (args->owner != NULL && sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_OWNER,
                   "Refund “%s” is driven by another engine now", args->out_refund_no);
      goto failed;
    }

  if (args->detail != NULL)
    detail = g_strdup (args->detail);
  else
    detail = g_strdup_printf ("refund %s %s → %s", args->out_refund_no,
                              saoma_refund_state_to_string (old->state),
                              saoma_refund_state_to_string (args->refund_state));

  if ((old->state != args->refund_state || args->detail != NULL) &&
      !ledger_insert_event (self, now, old->out_trade_no, "refund", detail, error))
    goto failed;

  if (args->refund_state == SAOMA_REFUND_SUCCESS && old->state != SAOMA_REFUND_SUCCESS)
    {
      SaomaAttemptState from, to;
      gint64 refunded = 0;

      if (!(attempt = ledger_load_attempt (self, old->out_trade_no, error)) ||
          !sum_refunds (self, old->out_trade_no, STMT_SUM_SUCCEEDED_REFUNDS, &refunded,
                       error))
        goto failed;

      from = saoma_attempt_get_state (attempt);
      to = refunded >= saoma_attempt_get_amount (attempt) ? SAOMA_ATTEMPT_REFUNDED
                                                          : SAOMA_ATTEMPT_PARTIALLY_REFUNDED;

      if (!ledger_check_transition (saoma_flow_for_method (saoma_attempt_get_method (attempt)),
                                    old->out_trade_no, from, to, error))
        goto failed;

      /* The attempt's refunded total: no engine drives a paid attempt, no fence. */
      if (!ledger_write_attempt_row (self, attempt, NULL, to,
                                     saoma_attempt_get_transaction_id (attempt),
                                     saoma_attempt_get_code_url (attempt), refunded,
                                     saoma_attempt_get_paid_at (attempt),
                                     saoma_attempt_get_late (attempt), now, error))
        goto failed;

      g_clear_pointer (&detail, g_free);
      detail = g_strdup_printf ("%s → %s, %" G_GINT64_FORMAT " fen refunded",
                                saoma_attempt_state_to_string (from),
                                saoma_attempt_state_to_string (to), refunded);
      if (!ledger_insert_event (self, now, old->out_trade_no, "transition", detail, error))
        goto failed;

      if (!(snapshot = ledger_load_attempt (self, old->out_trade_no, error)))
        goto failed;
    }

  /* Announced only if the commit below succeeds (the op then returns non-NULL). */
  if (snapshot != NULL)
    {
      saoma_attempt_set_previous (snapshot, attempt);
      ledger_emits_add (emits, ATTEMPT_CHANGED, g_steal_pointer (&snapshot));
    }

  if (!(refund = commit_refund (self, args->out_refund_no, emits, error)))
    goto failed;

  return refund;

failed:
  ledger_rollback (self);
  return NULL;
}

void
saoma_ledger_insert_refund_async (SaomaLedger         *self,
                                  const char          *out_trade_no,
                                  const char          *out_refund_no,
                                  gint64               amount,
                                  const char          *reason,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  saoma_ledger_insert_refund_leased_async (self, out_trade_no, out_refund_no, amount, reason,
                                           NULL, cancellable, callback, user_data);
}

/**
 * saoma_ledger_insert_refund_leased_async:
 * @owner: (nullable): the engine that will drive it: its lease is taken in the same write
 *
 * saoma_ledger_insert_refund_async() with an owner; finish with
 * saoma_ledger_insert_refund_finish().
 */
void
saoma_ledger_insert_refund_leased_async (SaomaLedger         *self,
                                         const char          *out_trade_no,
                                         const char          *out_refund_no,
                                         gint64               amount,
                                         const char          *reason,
                                         const char          *owner,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_trade_no != NULL);
  g_return_if_fail (out_refund_no != NULL);

  ledger_queue_op (self, insert_refund_op,
                   &(OpArgs) { .out_trade_no = out_trade_no, .out_refund_no = out_refund_no,
                               .amount = amount, .reason = reason, .owner = owner },
                   (GDestroyNotify)saoma_ledger_refund_free, saoma_ledger_insert_refund_async,
                   cancellable, callback, user_data);
}

/**
 * saoma_ledger_insert_refund_finish:
 *
 * Returns: (transfer full): the stored refund (state CREATED)
 */
LEDGER_DEFINE_FINISH (insert_refund, SaomaLedgerRefund *)

SaomaLedgerRefund *
saoma_ledger_insert_refund_sync (SaomaLedger  *self,
                                 const char   *out_trade_no,
                                 const char   *out_refund_no,
                                 gint64        amount,
                                 const char   *reason,
                                 GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);
  g_return_val_if_fail (out_refund_no != NULL, NULL);

  return ledger_run_op (self, insert_refund_op,
                        &(OpArgs) { .out_trade_no = out_trade_no, .out_refund_no = out_refund_no,
                                    .amount = amount, .reason = reason },
                        error);
}

/**
 * saoma_ledger_update_refund_async:
 * @refund_id: (nullable): WeChat's refund id, or %NULL to keep it
 * @event_detail: (nullable): the event text, or %NULL for "refund X FROM → TO"
 */
void
saoma_ledger_update_refund_async (SaomaLedger         *self,
                                  const char          *out_refund_no,
                                  SaomaRefundState     state,
                                  const char          *refund_id,
                                  const char          *event_detail,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  saoma_ledger_update_refund_fenced_async (self, out_refund_no, state, refund_id, event_detail,
                                           NULL, cancellable, callback, user_data);
}

/**
 * saoma_ledger_update_refund_fenced_async:
 * @owner: (nullable): the engine that believes it drives the refund: the update applies only
 *   while @owner holds its lease, else it fails with %SAOMA_LEDGER_ERROR_NOT_OWNER and nothing
 *   is written (DESIGN.md, "Ownership"); %NULL: no fence
 *
 * saoma_ledger_update_refund_async() by an engine; finish with
 * saoma_ledger_update_refund_finish().
 */
void
saoma_ledger_update_refund_fenced_async (SaomaLedger         *self,
                                         const char          *out_refund_no,
                                         SaomaRefundState     state,
                                         const char          *refund_id,
                                         const char          *event_detail,
                                         const char          *owner,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_refund_no != NULL);

  ledger_queue_op (self, update_refund_op,
                   &(OpArgs) { .out_refund_no = out_refund_no, .refund_state = state,
                               .refund_id = refund_id, .detail = event_detail, .owner = owner },
                   (GDestroyNotify)saoma_ledger_refund_free, saoma_ledger_update_refund_async,
                   cancellable, callback, user_data);
}

/**
 * saoma_ledger_update_refund_finish:
 *
 * Returns: (transfer full): the refund as stored now
 */
LEDGER_DEFINE_FINISH (update_refund, SaomaLedgerRefund *)

SaomaLedgerRefund *
saoma_ledger_update_refund_sync (SaomaLedger       *self,
                                 const char        *out_refund_no,
                                 SaomaRefundState   state,
                                 const char        *refund_id,
                                 const char        *event_detail,
                                 GError           **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (out_refund_no != NULL, NULL);

  return ledger_run_op (self, update_refund_op,
                        &(OpArgs) { .out_refund_no = out_refund_no, .refund_state = state,
                                    .refund_id = refund_id, .detail = event_detail },
                        error);
}

void
saoma_ledger_list_refunds_async (SaomaLedger         *self,
                                 const char          *out_trade_no,
                                 gint64               start_us,
                                 gint64               end_us,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_list (self,
                     &(OpArgs) { .list = out_trade_no ? &refunds_of_attempt : &refunds_in_range,
                                 .out_trade_no = out_trade_no, .start_us = start_us,
                                 .end_us = end_us },
                     saoma_ledger_list_refunds_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_list_refunds_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerRefund): the refunds, oldest first
 */
LEDGER_DEFINE_FINISH (list_refunds, GPtrArray *)

GPtrArray *
saoma_ledger_list_refunds_sync (SaomaLedger  *self,
                                const char   *out_trade_no,
                                gint64        start_us,
                                gint64        end_us,
                                GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op,
                        &(OpArgs) { .list = out_trade_no ? &refunds_of_attempt : &refunds_in_range,
                                    .out_trade_no = out_trade_no, .start_us = start_us,
                                    .end_us = end_us },
                        error);
}

/* Reports and refund recovery (added for the day close and the refunder, issue 7). */

/**
 * saoma_ledger_list_refunds_succeeded_sync:
 *
 * Returns: (transfer full) (element-type SaomaLedgerRefund): refunds in state SUCCESS whose
 *   success time is in [@start_us, @end_us), oldest first
 */
GPtrArray *
saoma_ledger_list_refunds_succeeded_sync (SaomaLedger  *self,
                                          gint64        start_us,
                                          gint64        end_us,
                                          GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op,
                        &(OpArgs) { .list = &refunds_succeeded_in_range, .start_us = start_us,
                                    .end_us = end_us },
                        error);
}

/**
 * saoma_ledger_list_unfinished_refunds_sync:
 *
 * Returns: (transfer full) (element-type SaomaLedgerRefund): refunds not final yet (CREATED,
 *   UNKNOWN, PROCESSING), oldest first
 */
GPtrArray *
saoma_ledger_list_unfinished_refunds_sync (SaomaLedger  *self,
                                           GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op, &(OpArgs) { .list = &unfinished_refunds }, error);
}

void
saoma_ledger_list_unfinished_refunds_async (SaomaLedger         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_list (self, &(OpArgs) { .list = &unfinished_refunds },
                     saoma_ledger_list_unfinished_refunds_async, cancellable, callback, user_data);
}

LEDGER_DEFINE_FINISH (list_unfinished_refunds, GPtrArray *)
