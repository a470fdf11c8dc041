/* saoma-ledger-attempts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-flow.h"
#include "saoma-ledger-private.h"

/* The attempts table: inserts, updates through the flow tables, reads. */

SaomaAttempt *
saoma_ledger_attempt_from_stmt (sqlite3_stmt *stmt)
{
  SaomaAttemptState state = SAOMA_ATTEMPT_CREATED;
  SaomaPaymentMethod method = SAOMA_PAYMENT_METHOD_NATIVE;
  SaomaAttempt *attempt;

  if (!saoma_attempt_state_from_string ((const char *)sqlite3_column_text (stmt, 8), &state))
    g_warning ("Unknown attempt state “%s” in the ledger", sqlite3_column_text (stmt, 8));

  attempt = saoma_attempt_new_full (sqlite3_column_int64 (stmt, 0),
                                    (const char *)sqlite3_column_text (stmt, 1),
                                    sqlite3_column_int64 (stmt, 2),
                                    (const char *)sqlite3_column_text (stmt, 3),
                                    (const char *)sqlite3_column_text (stmt, 4),
                                    sqlite3_column_int64 (stmt, 5),
                                    sqlite3_column_int64 (stmt, 6),
                                    sqlite3_column_int64 (stmt, 7),
                                    state,
                                    (const char *)sqlite3_column_text (stmt, 9),
                                    (const char *)sqlite3_column_text (stmt, 10),
                                    sqlite3_column_int64 (stmt, 11),
                                    sqlite3_column_int64 (stmt, 12),
                                    sqlite3_column_int (stmt, 13) != 0);
  saoma_attempt_set_request (attempt, (const char *)sqlite3_column_text (stmt, 14));
  if (!saoma_payment_method_from_string ((const char *)sqlite3_column_text (stmt, 15), &method))
    g_warning ("Unknown payment method “%s” in the ledger", sqlite3_column_text (stmt, 15));
  saoma_attempt_set_method (attempt, method);
  saoma_attempt_set_owner (attempt, (const char *)sqlite3_column_text (stmt, 16),
                           sqlite3_column_int64 (stmt, 17));

  return attempt;
}

static const RowType attempt_rows = {
  (RowReadFunc) saoma_ledger_attempt_from_stmt, g_object_unref,
  "attempt", "Cannot read an attempt", "Cannot list attempts",
};

static const ListQuery unfinished_attempts = { STMT_LIST_UNFINISHED_ATTEMPTS, &attempt_rows };
static const ListQuery attempts_in_range = { STMT_LIST_ATTEMPTS_IN_RANGE, &attempt_rows };
static const ListQuery undecided_late = { STMT_LIST_UNDECIDED_LATE_ATTEMPTS, &attempt_rows };

SaomaAttempt *
ledger_load_attempt (SaomaLedger  *self,
                     const char   *out_trade_no,
                     GError      **error)
{
  return ledger_read_one (self->db, ledger_cached_bind (self, STMT_LOAD_ATTEMPT, error, "s",
                                                        out_trade_no),
                          &attempt_rows, out_trade_no, error);
}

/* Adds @counts[state] new attempts to attempt_counts (see migration 5). */
static gboolean
count_inserted (SaomaLedger   *self,
                const gint64  *counts,
                GError       **error)
{
  for (SaomaAttemptState s = 0; s <= SAOMA_ATTEMPT_STATE_LAST; s++)
    {
      g_autoptr(CachedStmt) stmt = NULL;

      if (counts[s] == 0)
        continue;

      if (!(stmt = ledger_cached_bind (self, STMT_COUNT_ATTEMPTS, error, "si",
                                       saoma_attempt_state_to_string (s), counts[s])) ||
          !ledger_step_done (self->db, stmt, "Cannot count attempts", error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_new_attempt (SaomaAttempt  *attempt,
                   GError       **error)
{
  const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);

  if (saoma_attempt_get_amount (attempt) <= 0)
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
                   "Attempt “%s” has a non-positive amount", out_trade_no);
      return FALSE;
    }

  if (out_trade_no[0] == '\0')
    {
      g_set_error_literal (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
                           "An attempt needs an out_trade_no");
      return FALSE;
    }

  return TRUE;
}

/* The columns STMT_INSERT_ATTEMPT binds per row. */
#define ATTEMPT_INSERT_COLUMNS 17

/* Binds the columns of STMT_INSERT_ATTEMPT for @attempt from parameter @first on. Its lease,
 * when it has an owner, is taken in this same write with the heartbeat @now. */
static void
bind_attempt (sqlite3_stmt *stmt,
              int           first,
              SaomaAttempt *attempt,
              gint64        now)
{
  int i = first;

  ledger_bind_text (stmt, i++, saoma_attempt_get_out_trade_no (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_amount (attempt));
  ledger_bind_text (stmt, i++, saoma_attempt_get_description (attempt));
  ledger_bind_text (stmt, i++, saoma_attempt_get_till_id (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_created (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_updated (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_expires (attempt));
  ledger_bind_text (stmt, i++, saoma_attempt_state_to_string (saoma_attempt_get_state (attempt)));
  ledger_bind_text (stmt, i++, saoma_attempt_get_transaction_id (attempt));
  ledger_bind_text (stmt, i++, saoma_attempt_get_code_url (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_refunded (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_paid_at (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_late (attempt));
  ledger_bind_text (stmt, i++, saoma_attempt_get_request (attempt));
  ledger_bind_text (stmt, i++,
                    saoma_payment_method_to_string (saoma_attempt_get_method (attempt)));
  ledger_bind_text (stmt, i++, saoma_attempt_get_owner (attempt));
  sqlite3_bind_int64 (stmt, i++, saoma_attempt_get_owner (attempt) != NULL ? now : 0);
  g_assert (i == first + ATTEMPT_INSERT_COLUMNS);
}

/* The creation event's text: "PAID, 3850 fen". */
static void
format_created (char         *detail,
                gsize         size,
                SaomaAttempt *attempt)
{
  g_snprintf (detail, size, "%s, %" G_GINT64_FORMAT " fen",
              saoma_attempt_state_to_string (saoma_attempt_get_state (attempt)),
              saoma_attempt_get_amount (attempt));
}

static gboolean
insert_attempt_row (SaomaLedger   *self,
                    sqlite3_stmt  *stmt,
                    SaomaAttempt  *attempt,
                    gint64         now,
                    gint64        *out_id,
                    GError       **error)
{
  char detail[64];
  const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);

  if (!check_new_attempt (attempt, error))
    return FALSE;

  sqlite3_reset (stmt);
  bind_attempt (stmt, 1, attempt, now);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      ledger_set_insert_error (self->db, error, "Attempt", out_trade_no,
                               "Cannot insert an attempt");
      return FALSE;
    }

  *out_id = sqlite3_last_insert_rowid (self->db);
  format_created (detail, sizeof detail, attempt);

  return ledger_insert_event (self, now, out_trade_no, "transition", detail, error);
}

static SaomaAttempt *
snapshot_with_id (SaomaAttempt *attempt,
                  gint64        id,
                  gint64        now)
{
  SaomaAttempt *snapshot;

  snapshot = saoma_attempt_new_full (id,
                                     saoma_attempt_get_out_trade_no (attempt),
                                     saoma_attempt_get_amount (attempt),
                                     saoma_attempt_get_description (attempt),
                                     saoma_attempt_get_till_id (attempt),
                                     saoma_attempt_get_created (attempt),
                                     saoma_attempt_get_updated (attempt),
                                     saoma_attempt_get_expires (attempt),
                                     saoma_attempt_get_state (attempt),
                                     saoma_attempt_get_transaction_id (attempt),
                                     saoma_attempt_get_code_url (attempt),
                                     saoma_attempt_get_refunded (attempt),
                                     saoma_attempt_get_paid_at (attempt),
                                     saoma_attempt_get_late (attempt));
  saoma_attempt_set_request (snapshot, saoma_attempt_get_request (attempt));
  saoma_attempt_set_method (snapshot, saoma_attempt_get_method (attempt));
  saoma_attempt_set_owner (snapshot, saoma_attempt_get_owner (attempt),
                           saoma_attempt_get_owner (attempt) != NULL ? now : 0);

  return snapshot;
}

static gpointer
insert_attempt_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  SaomaAttempt *attempt = args->attempt;
  g_autoptr(CachedStmt) stmt = NULL;
  SaomaAttempt *snapshot;
  gint64 counts[SAOMA_ATTEMPT_STATE_LAST + 1] = { 0 };
  gint64 id = 0;
  gint64 now = g_get_real_time ();

  if (!ledger_begin (self, error))
    return NULL;

  counts[saoma_attempt_get_state (attempt)] = 1;
  if (!(stmt = ledger_cached (self, STMT_INSERT_ATTEMPT, error)) ||
      !insert_attempt_row (self, stmt, attempt, now, &id, error) ||
      !count_inserted (self, counts, error) ||
      !ledger_commit (self, error))
    {
      ledger_rollback (self);
      return NULL;
    }

  snapshot = snapshot_with_id (attempt, id, now);
  ledger_emits_add (emits, ATTEMPT_ADDED, g_object_ref (snapshot));

  return snapshot;
}

/* Inserts LEDGER_BULK_ROWS attempts from @attempts[@from] and their creation events with two
 * statements: a statement's fixed cost (running its program, resetting it) is then paid once
 * per 32 rows instead of twice per row, which is most of what a bulk insert costs beyond the
 * b-tree work itself. */
static gboolean
insert_bulk (SaomaLedger  *self,
             GPtrArray    *attempts,
             guint         from,
             gint64        now,
             GError      **error)
{
  g_autoptr(CachedStmt) rows = NULL;
  g_autoptr(CachedStmt) events = NULL;
  char details[LEDGER_BULK_ROWS][64];

  if (!(rows = ledger_cached (self, STMT_INSERT_ATTEMPTS_BULK, error)) ||
      !(events = ledger_cached (self, STMT_INSERT_EVENTS_BULK, error)))
    return FALSE;

  for (guint r = 0; r < LEDGER_BULK_ROWS; r++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, from + r);

      if (!check_new_attempt (attempt, error))
        return FALSE;

      bind_attempt (rows, 1 + ATTEMPT_INSERT_COLUMNS * r, attempt, now);
      format_created (details[r], sizeof details[r], attempt);
      sqlite3_bind_int64 (events, 1 + 4 * r, now);
      ledger_bind_text (events, 2 + 4 * r, saoma_attempt_get_out_trade_no (attempt));
      ledger_bind_text (events, 3 + 4 * r, "transition");
      ledger_bind_text (events, 4 + 4 * r, details[r]);
    }

  if (sqlite3_step (rows) != SQLITE_DONE)
    {
      /* One of 32 rows: name the range. */
      g_autofree char *range = g_strdup_printf (
        "%s … %s", saoma_attempt_get_out_trade_no (g_ptr_array_index (attempts, from)),
        saoma_attempt_get_out_trade_no (g_ptr_array_index (attempts,
                                                           from + LEDGER_BULK_ROWS - 1)));

      ledger_set_insert_error (self->db, error, "One of the attempts", range,
                               "Cannot insert attempts");
      return FALSE;
    }

  return ledger_step_done (self->db, events, "Cannot append events", error);
}

static gpointer
insert_many_op (SaomaLedger   *self,
                const OpArgs  *args,
                GPtrArray     *emits,
                GError       **error)
{
  GPtrArray *attempts = args->attempts;
  g_autoptr(CachedStmt) stmt = NULL;
  gboolean observed = ledger_has_observers (self, ATTEMPT_ADDED);
  gint64 now = g_get_real_time ();
  gint64 counts[SAOMA_ATTEMPT_STATE_LAST + 1] = { 0 };

  if (!ledger_begin (self, error))
    return NULL;

  if (!(stmt = ledger_cached (self, STMT_INSERT_ATTEMPT, error)))
    goto failed;

  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);
      gint64 id;

      /* Observers need each row's id, which only a one-row insert reports. */
      if (!observed && attempts->len - i >= LEDGER_BULK_ROWS)
        {
          if (!insert_bulk (self, attempts, i, now, error))
            goto failed;
          for (guint r = 0; r < LEDGER_BULK_ROWS; r++)
            counts[saoma_attempt_get_state (g_ptr_array_index (attempts, i + r))]++;
          i += LEDGER_BULK_ROWS - 1;
          continue;
        }

      if (!insert_attempt_row (self, stmt, attempt, now, &id, error))
        goto failed;
      counts[saoma_attempt_get_state (attempt)]++;

      /* Building snapshots for a million fixture rows is wasted work when nobody listens. */
      if (observed)
        ledger_emits_add (emits, ATTEMPT_ADDED, snapshot_with_id (attempt, id, now));
    }

  if (!count_inserted (self, counts, error) || !ledger_commit (self, error))
    goto failed;

  return GINT_TO_POINTER (TRUE);

failed:
  ledger_rollback (self);
  g_ptr_array_set_size (emits, 0);
  return NULL;
}

/* The store's half of the payment machine: only the flow's table moves a state
 * (saoma-flow.c). */
gboolean
ledger_check_transition (SaomaFlow    flow,
                         const char  *key,
                         int          from,
                         int          to,
                         GError     **error)
{
  if (saoma_flow_transition_allowed (flow, from, to))
    return TRUE;

  g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID,
               "%s “%s” cannot go from %s to %s", flow == SAOMA_FLOW_REFUND ? "Refund" : "Attempt",
               key, saoma_flow_state_to_string (flow, from), saoma_flow_state_to_string (flow, to));
  return FALSE;
}

static gboolean
not_owner (const char *out_trade_no,
           GError    **error)
{
  g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_OWNER,
               "Attempt “%s” is driven by another engine now", out_trade_no);
  return FALSE;
}

/* Writes @state and @refunded of an attempt inside the current transaction. A final state
 * ends the lease in the same write: nobody drives a final attempt. @fence (nullable): the
 * owner the writer believes it is; the row is written only while that owner holds it, in
 * this same statement, else SAOMA_LEDGER_ERROR_NOT_OWNER (a stopped engine woken up after a
 * take-over must not overwrite the new owner's work). */
gboolean
ledger_write_attempt_row (SaomaLedger       *self,
                          SaomaAttempt      *old,
                          const char        *fence,
                          SaomaAttemptState  state,
                          const char        *transaction_id,
                          const char        *code_url,
                          gint64             refunded,
                          gint64             paid_at,
                          gboolean           late,
                          gint64             now,
                          GError           **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = ledger_cached_bind (self, STMT_UPDATE_ATTEMPT, error, "sssiiiiiis",
                             saoma_attempt_state_to_string (state), transaction_id,
                             code_url, refunded, paid_at, (gint64) late, now,
                             (gint64) saoma_attempt_state_is_final (state),
                             saoma_attempt_get_id (old), fence);

  if (stmt == NULL || !ledger_step_done (self->db, stmt, "Cannot update an attempt", error))
    return FALSE;

  if (fence != NULL && sqlite3_changes (self->db) == 0)
    return not_owner (saoma_attempt_get_out_trade_no (old), error);

  return TRUE;
}

/* Applies @update to @out_trade_no inside the current transaction: the flow's check, the row
 * and its one event. Returns the new snapshot (with the previous one set), or %NULL. */
static SaomaAttempt *
apply_attempt_update (SaomaLedger               *self,
                      const char                *out_trade_no,
                      const SaomaAttemptUpdate  *update,
                      gint64                     now,
                      GError                   **error)
{
  g_autoptr(SaomaAttempt) old = NULL;
  g_autoptr(SaomaAttempt) snapshot = NULL;
  g_autofree char *detail = NULL;
  SaomaAttemptState from, to;
  const char *kind;

  if (!(old = ledger_load_attempt (self, out_trade_no, error)))
    return NULL;

  from = saoma_attempt_get_state (old);
  /* CREATED is the zero value: "state unchanged". */
  to = update->state == SAOMA_ATTEMPT_CREATED ? from : update->state;

  /* A writer that lost the row hears that first, whatever it meant to write: the row is
   * another engine's now (or finished by it), and it stops (the same statement fences the
   * write itself below). */
  if (update->owner != NULL && g_strcmp0 (saoma_attempt_get_owner (old), update->owner) != 0)
    {
      not_owner (out_trade_no, error);
      return NULL;
    }

  /* An update that leaves the state alone is not a transition. Each method has its table. */
  if (update->state != SAOMA_ATTEMPT_CREATED &&
      !ledger_check_transition (saoma_flow_for_method (saoma_attempt_get_method (old)),
                                out_trade_no, from, to, error))
    return NULL;

  if (!ledger_write_attempt_row (self, old, update->owner, to,
                                 update->transaction_id ? update->transaction_id
                                                        : saoma_attempt_get_transaction_id (old),
                                 update->code_url ? update->code_url
                                                  : saoma_attempt_get_code_url (old),
                                 saoma_attempt_get_refunded (old),
                                 update->paid_at ? update->paid_at
                                                 : saoma_attempt_get_paid_at (old),
                                 update->late || saoma_attempt_get_late (old),
                                 now, error))
    return NULL;

  /* One event per transition: the caller's, or a plain "FROM → TO" when it gave none. */
  kind = update->event_kind;
  if (kind != NULL)
    detail = g_strdup (update->event_detail);
  else if (from != to)
    {
      kind = "transition";
      detail = g_strdup_printf ("%s → %s", saoma_attempt_state_to_string (from),
                                saoma_attempt_state_to_string (to));
    }

  if (kind != NULL && !ledger_insert_event (self, now, out_trade_no, kind, detail, error))
    return NULL;

  if (!(snapshot = ledger_load_attempt (self, out_trade_no, error)))
    return NULL;

  saoma_attempt_set_previous (snapshot, old);
  return g_steal_pointer (&snapshot);
}

static gpointer
update_attempt_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  g_autoptr(SaomaAttempt) snapshot = NULL;
  gint64 now = g_get_real_time ();

  if (!ledger_begin (self, error))
    return NULL;

  if (!(snapshot = apply_attempt_update (self, args->out_trade_no, &args->update, now, error)) ||
      !ledger_commit (self, error))
    {
      ledger_rollback (self);
      return NULL;
    }

  ledger_emits_add (emits, ATTEMPT_CHANGED, g_object_ref (snapshot));

  return g_steal_pointer (&snapshot);
}

static gboolean
run_sql (SaomaLedger  *self,
         const char   *sql,
         GError      **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;

  g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED, "%s: %s", sql,
               sqlite3_errmsg (self->db));
  return FALSE;
}

/* The insert and its first transition in one transaction, so one sync to disk instead of two
 * (issue 19: the second was 4 ms of the Enter → QR path). The transition runs under a
 * savepoint: when it is refused (the flow's table, a full disk refusing that row) the insert
 * alone is committed, exactly what the insert by itself would have recorded, and the caller
 * sees the state as inserted and writes the transition again on its own. */
static gpointer
insert_attempt_then_op (SaomaLedger   *self,
                        const OpArgs  *args,
                        GPtrArray     *emits,
                        GError       **error)
{
  SaomaAttempt *attempt = args->attempt;
  const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);
  g_autoptr(CachedStmt) stmt = NULL;
  g_autoptr(SaomaAttempt) inserted = NULL;
  g_autoptr(SaomaAttempt) changed = NULL;
  g_autoptr(GError) then_error = NULL;
  gint64 counts[SAOMA_ATTEMPT_STATE_LAST + 1] = { 0 };
  gint64 id = 0;
  gint64 now = g_get_real_time ();

  if (!ledger_begin (self, error))
    return NULL;

  counts[saoma_attempt_get_state (attempt)] = 1;
  if (!(stmt = ledger_cached (self, STMT_INSERT_ATTEMPT, error)) ||
      !insert_attempt_row (self, stmt, attempt, now, &id, error) ||
      !count_inserted (self, counts, error) ||
      !run_sql (self, "SAVEPOINT insert_then", error))
    goto failed;

  changed = apply_attempt_update (self, out_trade_no, &args->update, now, &then_error);
  if (changed == NULL)
    {
      g_debug ("%s: inserted alone, its first transition was refused: %s", out_trade_no,
               then_error->message);
      if (!run_sql (self, "ROLLBACK TO insert_then", error))
        goto failed;
    }
  if (!run_sql (self, "RELEASE insert_then", error) || !ledger_commit (self, error))
    goto failed;

  /* Observers hear of it as of two writes: added as inserted, then changed. */
  inserted = snapshot_with_id (attempt, id, now);
  ledger_emits_add (emits, ATTEMPT_ADDED, g_object_ref (inserted));
  if (changed != NULL)
    {
      ledger_emits_add (emits, ATTEMPT_CHANGED, g_object_ref (changed));
      return g_steal_pointer (&changed);
    }
  return g_steal_pointer (&inserted);

failed:
  ledger_rollback (self);
  return NULL;
}

static gpointer
get_attempt_op (SaomaLedger   *self,
                const OpArgs  *args,
                GPtrArray     *emits,
                GError       **error)
{
  return ledger_load_attempt (self, args->out_trade_no, error);
}

/* Public API: each _async queues its op on the worker thread; each _sync runs the same op on
 * the calling thread, under the same lock. */

void
saoma_ledger_insert_attempt_async (SaomaLedger         *self,
                                   SaomaAttempt        *attempt,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (SAOMA_IS_ATTEMPT (attempt));

  ledger_queue_op (self, insert_attempt_op, &(OpArgs) { .attempt = attempt }, g_object_unref,
                   saoma_ledger_insert_attempt_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_insert_attempt_finish:
 *
 * Returns: (transfer full): the stored snapshot (with its id)
 */
LEDGER_DEFINE_FINISH (insert_attempt, SaomaAttempt *)

SaomaAttempt *
saoma_ledger_insert_attempt_sync (SaomaLedger   *self,
                                  SaomaAttempt  *attempt,
                                  GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (attempt), NULL);

  return ledger_run_op (self, insert_attempt_op, &(OpArgs) { .attempt = attempt }, error);
}

/**
 * saoma_ledger_insert_attempt_then_async:
 * @attempt: the new attempt (as for saoma_ledger_insert_attempt_async())
 * @then: its first update, applied in the same transaction when the flow (and the disk) take it
 *
 * Inserts @attempt and applies @then to it with one durable write. When @then is refused the
 * insert alone is committed (not an error): the snapshot then shows the state as inserted.
 * Emits "attempt-added", then "attempt-changed" when @then was applied.
 */
void
saoma_ledger_insert_attempt_then_async (SaomaLedger              *self,
                                        SaomaAttempt             *attempt,
                                        const SaomaAttemptUpdate *then,
                                        GCancellable             *cancellable,
                                        GAsyncReadyCallback       callback,
                                        gpointer                  user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (SAOMA_IS_ATTEMPT (attempt));
  g_return_if_fail (then != NULL);

  ledger_queue_op (self, insert_attempt_then_op,
                   &(OpArgs) { .attempt = attempt, .update = *then }, g_object_unref,
                   saoma_ledger_insert_attempt_then_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_insert_attempt_then_finish:
 *
 * Returns: (transfer full): the durable snapshot: after @then, or as inserted
 */
LEDGER_DEFINE_FINISH (insert_attempt_then, SaomaAttempt *)

gboolean
saoma_ledger_insert_many_sync (SaomaLedger  *self,
                               GPtrArray    *attempts,
                               GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (attempts != NULL, FALSE);

  return ledger_run_op (self, insert_many_op, &(OpArgs) { .attempts = attempts }, error) != NULL;
}

void
saoma_ledger_update_attempt_async (SaomaLedger              *self,
                                   const char               *out_trade_no,
                                   const SaomaAttemptUpdate *update,
                                   GCancellable             *cancellable,
                                   GAsyncReadyCallback       callback,
                                   gpointer                  user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_trade_no != NULL);
  g_return_if_fail (update != NULL);

  ledger_queue_op (self, update_attempt_op,
                   &(OpArgs) { .out_trade_no = out_trade_no, .update = *update }, g_object_unref,
                   saoma_ledger_update_attempt_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_update_attempt_finish:
 *
 * Returns: (transfer full): the new snapshot
 */
LEDGER_DEFINE_FINISH (update_attempt, SaomaAttempt *)

SaomaAttempt *
saoma_ledger_update_attempt_sync (SaomaLedger               *self,
                                  const char                *out_trade_no,
                                  const SaomaAttemptUpdate  *update,
                                  GError                   **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);
  g_return_val_if_fail (update != NULL, NULL);

  return ledger_run_op (self, update_attempt_op,
                        &(OpArgs) { .out_trade_no = out_trade_no, .update = *update }, error);
}

void
saoma_ledger_get_attempt_async (SaomaLedger         *self,
                                const char          *out_trade_no,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_trade_no != NULL);

  ledger_queue_op (self, get_attempt_op, &(OpArgs) { .out_trade_no = out_trade_no }, g_object_unref,
                   saoma_ledger_get_attempt_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_get_attempt_finish:
 *
 * Returns: (transfer full): the attempt, or %NULL (%SAOMA_LEDGER_ERROR_NOT_FOUND)
 */
LEDGER_DEFINE_FINISH (get_attempt, SaomaAttempt *)

SaomaAttempt *
saoma_ledger_get_attempt_sync (SaomaLedger  *self,
                               const char   *out_trade_no,
                               GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  return ledger_run_op (self, get_attempt_op, &(OpArgs) { .out_trade_no = out_trade_no }, error);
}

void
saoma_ledger_list_unfinished_async (SaomaLedger         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_list (self, &(OpArgs) { .list = &unfinished_attempts },
                     saoma_ledger_list_unfinished_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_list_unfinished_finish:
 *
 * Returns: (transfer container) (element-type SaomaAttempt): the non-final attempts
 */
LEDGER_DEFINE_FINISH (list_unfinished, GPtrArray *)

GPtrArray *
saoma_ledger_list_unfinished_sync (SaomaLedger  *self,
                                   GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op, &(OpArgs) { .list = &unfinished_attempts }, error);
}

/**
 * saoma_ledger_list_undecided_late_sync:
 * @self: the ledger
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type SaomaAttempt): the late payments without a
 *   "late-decision" event, oldest first
 */
GPtrArray *
saoma_ledger_list_undecided_late_sync (SaomaLedger  *self,
                                       GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op, &(OpArgs) { .list = &undecided_late }, error);
}

void
saoma_ledger_list_range_async (SaomaLedger         *self,
                               gint64               start_us,
                               gint64               end_us,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_list (self,
                     &(OpArgs) { .list = &attempts_in_range, .start_us = start_us,
                                 .end_us = end_us },
                     saoma_ledger_list_range_async, cancellable, callback, user_data);
}

/**
 * saoma_ledger_list_range_finish:
 *
 * Returns: (transfer container) (element-type SaomaAttempt): the attempts, oldest first
 */
LEDGER_DEFINE_FINISH (list_range, GPtrArray *)

GPtrArray *
saoma_ledger_list_range_sync (SaomaLedger  *self,
                              gint64        start_us,
                              gint64        end_us,
                              GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, ledger_list_op,
                        &(OpArgs) { .list = &attempts_in_range, .start_us = start_us,
                                    .end_us = end_us },
                        error);
}

/**
 * saoma_ledger_foreach_in_range_sync:
 * @start_us: inclusive, µs UTC
 * @end_us: exclusive, µs UTC
 * @func: (scope call): called for each attempt created in [@start_us, @end_us), oldest first
 *
 * Streams attempts to @func from a consistent snapshot on a private read-only connection, so
 * exporting a large day neither holds every row in memory nor blocks writes. Safe on any
 * thread (meant for worker threads).
 *
 * Returns: %FALSE with @error set when reading failed, @cancellable was cancelled or @func
 *   returned %FALSE (then @func sets the error)
 */
gboolean
saoma_ledger_foreach_in_range_sync (SaomaLedger             *self,
                                    gint64                   start_us,
                                    gint64                   end_us,
                                    SaomaLedgerAttemptFunc   func,
                                    gpointer                 user_data,
                                    GCancellable            *cancellable,
                                    GError                 **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *db;
  gboolean ret = FALSE;
  guint n = 0;
  int rc;

  g_return_val_if_fail (SAOMA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!(db = saoma_ledger_open_reader (self, error)))
    return FALSE;

  if (!ledger_exec_sql (db, "BEGIN", error) ||
      !(stmt = ledger_prepare_bind (db, error,
                                    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                                    " WHERE created >= ? AND created < ? ORDER BY created, id",
                                    "ii", start_us, end_us)))
    goto out;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(SaomaAttempt) attempt = saoma_ledger_attempt_from_stmt (stmt);

      if ((++n % 1024) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;

      if (!func (attempt, user_data, error))
        goto out;
    }

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot read attempts");
      goto out;
    }

  ret = !g_cancellable_set_error_if_cancelled (cancellable, error);

out:
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close_v2 (db);

  return ret;
}
