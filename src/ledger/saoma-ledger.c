/* saoma-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>

#include "saoma-ledger-private.h"

/* Refunds that did not (and will not) move money do not count against the paid amount. */
#define LIVE_REFUND "state NOT IN ('FAILED', 'REFUNDCLOSE')"

/* "r, r, …" with LEDGER_BULK_ROWS copies of @r, for the bulk inserts' VALUES. */
#define ROWS2(r)  r ", " r
#define ROWS4(r)  ROWS2 (r) ", " ROWS2 (r)
#define ROWS8(r)  ROWS4 (r) ", " ROWS4 (r)
#define ROWS16(r) ROWS8 (r) ", " ROWS8 (r)
#define ROWS32(r) ROWS16 (r) ", " ROWS16 (r)
G_STATIC_ASSERT (LEDGER_BULK_ROWS == 32);

/* The lists name the arguments they use (:out_trade_no, :kind, :start, :end). */
static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_INSERT_EVENT] =
    "INSERT INTO events (time, out_trade_no, kind, detail) VALUES (?, ?, ?, ?)",
  [STMT_LOAD_ATTEMPT] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts WHERE out_trade_no = ?",
  [STMT_LOAD_REFUND] =
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE out_refund_no = ?",
  [STMT_INSERT_ATTEMPT] =
    "INSERT INTO attempts (out_trade_no, amount, description, till_id, created, updated,"
    " expires, state, transaction_id, code_url, refunded, paid_at, late, request, method,"
    " owner, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  [STMT_INSERT_ATTEMPTS_BULK] =
    "INSERT INTO attempts (out_trade_no, amount, description, till_id, created, updated,"
    " expires, state, transaction_id, code_url, refunded, paid_at, late, request, method,"
    " owner, heartbeat) VALUES " ROWS32 ("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
  [STMT_INSERT_EVENTS_BULK] =
    "INSERT INTO events (time, out_trade_no, kind, detail) VALUES " ROWS32 ("(?, ?, ?, ?)"),
  [STMT_COUNT_ATTEMPTS] =
    "INSERT INTO attempt_counts (state, n) VALUES (?, ?)"
    " ON CONFLICT (state) DO UPDATE SET n = n + excluded.n",
  [STMT_UPDATE_ATTEMPT] =
    "UPDATE attempts SET state = ?, transaction_id = ?, code_url = ?,"
    " refunded = ?, paid_at = ?, late = ?, updated = ?,"
    " owner = CASE WHEN ? THEN NULL ELSE owner END WHERE id = ?"
    " AND (?10 IS NULL OR owner IS ?10)",
  [STMT_SUM_LIVE_REFUNDS] =
    "SELECT COALESCE (SUM (amount), 0) FROM refunds WHERE out_trade_no = ? AND " LIVE_REFUND,
  [STMT_SUM_SUCCEEDED_REFUNDS] =
    "SELECT COALESCE (SUM (amount), 0) FROM refunds WHERE out_trade_no = ?"
    " AND state = 'SUCCESS'",
  [STMT_INSERT_REFUND] =
    "INSERT INTO refunds (out_refund_no, out_trade_no, amount, reason, state, created, updated,"
    " owner, heartbeat) VALUES (?, ?, ?, ?, 'CREATED', ?, ?, ?, ?)",
  [STMT_UPDATE_REFUND] =
    "UPDATE refunds SET state = ?, refund_id = COALESCE (?, refund_id),"
    " updated = ?, succeeded = ?, owner = CASE WHEN ? THEN NULL ELSE owner END WHERE id = ?"
    " AND (?7 IS NULL OR owner IS ?7)",
  [STMT_LIST_UNFINISHED_ATTEMPTS] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
    " WHERE state IN " SAOMA_LEDGER_UNFINISHED_STATES " ORDER BY created, id",
  /* Late payments nobody decided on yet: a to-do list that survives restarts (issue 12.6). */
  [STMT_LIST_UNDECIDED_LATE_ATTEMPTS] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
    " WHERE late = 1 AND NOT EXISTS (SELECT 1 FROM events"
    " WHERE events.out_trade_no = attempts.out_trade_no"
    " AND events.kind = '" SAOMA_LEDGER_LATE_DECISION_KIND "') ORDER BY created, id",
  [STMT_LIST_ATTEMPTS_IN_RANGE] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
    " WHERE created >= :start AND created < :end ORDER BY created, id",
  [STMT_LIST_EVENTS_OF_ATTEMPT] =
    "SELECT " SAOMA_LEDGER_EVENT_COLUMNS " FROM events WHERE out_trade_no = :out_trade_no"
    " ORDER BY id",
  [STMT_LIST_ALL_EVENTS] = "SELECT " SAOMA_LEDGER_EVENT_COLUMNS " FROM events ORDER BY id",
  [STMT_LIST_TILL_EVENTS] =
    "SELECT " SAOMA_LEDGER_EVENT_COLUMNS " FROM events WHERE out_trade_no IS NULL AND kind = :kind"
    " ORDER BY id",
  [STMT_LIST_REFUNDS_OF_ATTEMPT] =
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE out_trade_no = :out_trade_no"
    " ORDER BY created, id",
  [STMT_LIST_REFUNDS_IN_RANGE] =
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE created >= :start AND created < :end"
    " ORDER BY created, id",
  [STMT_LIST_REFUNDS_SUCCEEDED_IN_RANGE] =
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE state = 'SUCCESS'"
    " AND succeeded >= :start AND succeeded < :end ORDER BY succeeded, id",
  [STMT_LIST_UNFINISHED_REFUNDS] =
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds"
    " WHERE state IN " SAOMA_LEDGER_UNFINISHED_REFUND_STATES " ORDER BY created, id",
  /* The leases of unfinished rows; a claim is a compare-and-set on the owner and heartbeat
   * that were read, and the new heartbeat is always later than the old one, so a claim
   * decided on a lease that was renewed, released or taken meanwhile changes nothing. */
  [STMT_LIST_ATTEMPT_LEASES] =
    "SELECT out_trade_no, owner, heartbeat FROM attempts"
    " WHERE state IN " SAOMA_LEDGER_UNFINISHED_STATES " ORDER BY created, id",
  [STMT_LIST_REFUND_LEASES] =
    "SELECT out_refund_no, owner, heartbeat FROM refunds"
    " WHERE state IN " SAOMA_LEDGER_UNFINISHED_REFUND_STATES " ORDER BY created, id",
  [STMT_CLAIM_ATTEMPT] =
    "UPDATE attempts SET owner = ?1, heartbeat = MAX (?2, heartbeat + 1)"
    " WHERE out_trade_no = ?3 AND owner IS ?4 AND heartbeat = ?5"
    " AND state IN " SAOMA_LEDGER_UNFINISHED_STATES,
  [STMT_CLAIM_REFUND] =
    "UPDATE refunds SET owner = ?1, heartbeat = MAX (?2, heartbeat + 1)"
    " WHERE out_refund_no = ?3 AND owner IS ?4 AND heartbeat = ?5"
    " AND state IN " SAOMA_LEDGER_UNFINISHED_REFUND_STATES,
  [STMT_RENEW_ATTEMPT] =
    "UPDATE attempts SET heartbeat = MAX (?2, heartbeat + 1) WHERE out_trade_no = ?3"
    " AND owner = ?1",
  [STMT_RENEW_REFUND] =
    "UPDATE refunds SET heartbeat = MAX (?2, heartbeat + 1) WHERE out_refund_no = ?3"
    " AND owner = ?1",
  [STMT_RELEASE_ATTEMPT] =
    "UPDATE attempts SET owner = NULL WHERE out_trade_no = ?3 AND owner = ?1",
  [STMT_RELEASE_REFUND] =
    "UPDATE refunds SET owner = NULL WHERE out_refund_no = ?3 AND owner = ?1",
  /* An event fenced like the updates above: recorded as itself while ?6 holds the row ?5,
   * else as a "stale" event whose detail keeps the kind ("response: orderquery → CLOSED"),
   * decided in the same statement as the insert. */
  [STMT_INSERT_FENCED_ATTEMPT_EVENT] =
    "INSERT INTO events (time, out_trade_no, kind, detail)"
    " SELECT ?1, ?2, CASE WHEN held THEN ?3 ELSE '" SAOMA_LEDGER_STALE_KIND "' END,"
    " CASE WHEN held THEN ?4 ELSE ?3 || ': ' || ?4 END"
    " FROM (SELECT EXISTS (SELECT 1 FROM attempts WHERE out_trade_no = ?5 AND owner IS ?6)"
    " AS held)",
  [STMT_INSERT_FENCED_REFUND_EVENT] =
    "INSERT INTO events (time, out_trade_no, kind, detail)"
    " SELECT ?1, ?2, CASE WHEN held THEN ?3 ELSE '" SAOMA_LEDGER_STALE_KIND "' END,"
    " CASE WHEN held THEN ?4 ELSE ?3 || ': ' || ?4 END"
    " FROM (SELECT EXISTS (SELECT 1 FROM refunds WHERE out_refund_no = ?5 AND owner IS ?6)"
    " AS held)",
};

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaLedger, saoma_ledger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SAOMA_TYPE_STORE,
                                                      saoma_ledger_store_iface_init))
G_DEFINE_QUARK (saoma-ledger-error-quark, saoma_ledger_error)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  LedgerOpFunc    func;
  OpArgs         *args;
  GDestroyNotify  result_free;
} LedgerOp;

typedef struct
{
  guint    signal;
  gpointer arg;   /* SaomaAttempt * or char * (refund-changed) */
} Emission;

typedef struct
{
  SaomaLedger *ledger;
  GPtrArray   *emits;
} EmitLater;

void
saoma_ledger_set_sqlite_error (GError    **error,
                               sqlite3    *db,
                               const char *what)
{
  int code = sqlite3_extended_errcode (db);
  SaomaLedgerError ledger_code = SAOMA_LEDGER_ERROR_FAILED;

  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    ledger_code = SAOMA_LEDGER_ERROR_EXISTS;
  else if (code == SQLITE_CONSTRAINT_CHECK || code == SQLITE_CONSTRAINT_FOREIGNKEY ||
           code == SQLITE_CONSTRAINT_NOTNULL || code == SQLITE_CONSTRAINT_DATATYPE)
    ledger_code = SAOMA_LEDGER_ERROR_INVALID;

  g_set_error (error, SAOMA_LEDGER_ERROR, ledger_code,
               "%s: %s", what, sqlite3_errmsg (db));
}

gboolean
ledger_exec_sql (sqlite3     *db,
                 const char  *sql,
                 GError     **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, db, sql);
      return FALSE;
    }

  return TRUE;
}

sqlite3_stmt *
ledger_prepare (sqlite3     *db,
                const char  *sql,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, db, "prepare");
      return NULL;
    }

  return stmt;
}

void
ledger_bind_text (sqlite3_stmt *stmt,
                  int           col,
                  const char   *text)
{
  /* STATIC, not a copy: every statement is stepped while its caller's strings are alive, and
   * its bindings are cleared (cached_stmt_release()) before they go. */
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_STATIC);
}

char *
ledger_column_dup (sqlite3_stmt *stmt,
                   int           col)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, col));
}

/* Binds the parameters of @stmt from @args, one per character of @types: 's' a string (NULL
 * binds NULL), 'i' a gint64 (pass gint64 values: these are varargs). */
static void
bind_va (sqlite3_stmt *stmt,
         const char   *types,
         va_list       args)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 's')
        ledger_bind_text (stmt, i + 1, va_arg (args, const char *));
      else
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
    }
}

void
ledger_bind_all (sqlite3_stmt *stmt,
                 const char   *types,
                 ...)
{
  va_list args;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);
}

/* prepare(), then binds its parameters as bind_va() does. */
sqlite3_stmt *
ledger_prepare_bind (sqlite3     *db,
                     GError     **error,
                     const char  *sql,
                     const char  *types,
                     ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  if (!(stmt = ledger_prepare (db, sql, error)))
    return NULL;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);

  return stmt;
}

/* The write connection's statement @id, prepared on its first use. Call under write_lock. */
CachedStmt *
ledger_cached (SaomaLedger  *self,
               StmtId        id,
               GError      **error)
{
  if (self->stmts[id] == NULL &&
      sqlite3_prepare_v3 (self->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                          &self->stmts[id], NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "prepare");
      return NULL;
    }

  return self->stmts[id];
}

/* cached(), then binds its parameters as bind_va() does. */
CachedStmt *
ledger_cached_bind (SaomaLedger  *self,
                    StmtId        id,
                    GError      **error,
                    const char   *types,
                    ...)
{
  CachedStmt *stmt;
  va_list args;

  if (!(stmt = ledger_cached (self, id, error)))
    return NULL;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);

  return stmt;
}

/* Runs a statement that returns no row. */
gboolean
ledger_step_done (sqlite3       *db,
                  sqlite3_stmt  *stmt,
                  const char    *what,
                  GError       **error)
{
  if (sqlite3_step (stmt) == SQLITE_DONE)
    return TRUE;

  saoma_ledger_set_sqlite_error (error, db, what);
  return FALSE;
}

/* Reads every row of the cached @stmt (reset after; NULL when preparing it failed) as @type. */
GPtrArray *
ledger_read_rows (sqlite3        *db,
                  CachedStmt     *stmt,
                  const RowType  *type,
                  GError        **error)
{
  g_autoptr(CachedStmt) owned = stmt;
  g_autoptr(GPtrArray) rows = NULL;
  int rc;

  if (owned == NULL)
    return NULL;

  rows = g_ptr_array_new_with_free_func (type->free);
  while ((rc = sqlite3_step (owned)) == SQLITE_ROW)
    g_ptr_array_add (rows, type->read (owned));

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, db, type->list_error);
      return NULL;
    }

  return g_steal_pointer (&rows);
}

/* Reads the one row of the cached @stmt (reset after) as @type; NOT_FOUND naming @key when
 * there is none. */
gpointer
ledger_read_one (sqlite3        *db,
                 CachedStmt     *stmt,
                 const RowType  *type,
                 const char     *key,
                 GError        **error)
{
  g_autoptr(CachedStmt) owned = stmt;
  int rc;

  if (owned == NULL)
    return NULL;

  rc = sqlite3_step (owned);
  if (rc == SQLITE_ROW)
    return type->read (owned);

  if (rc == SQLITE_DONE)
    g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND,
                 "No %s “%s” in the ledger", type->noun, key);
  else
    saoma_ledger_set_sqlite_error (error, db, type->read_error);

  return NULL;
}

/* After a failed INSERT: EXISTS when its unique key (@key) is taken. */
void
ledger_set_insert_error (sqlite3     *db,
                         GError     **error,
                         const char  *noun,
                         const char  *key,
                         const char  *what)
{
  if (sqlite3_extended_errcode (db) == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_EXISTS,
                 "%s “%s” is already in the ledger", noun, key);
  else
    saoma_ledger_set_sqlite_error (error, db, what);
}

static void
configure_connection (sqlite3 *db)
{
  sqlite3_busy_timeout (db, 10000);
  sqlite3_extended_result_codes (db, 1);
  /* Larger than the 2 MB default: the history model reads pages of rows at random. */
  sqlite3_exec (db, "PRAGMA cache_size = -8192", NULL, NULL, NULL);
}

sqlite3 *
saoma_ledger_open_reader (SaomaLedger  *self,
                          GError      **error)
{
  sqlite3 *db = NULL;

  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot open the ledger for reading");
      sqlite3_close_v2 (db);
      return NULL;
    }

  configure_connection (db);

  return db;
}

/* Signals */

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  if (emission->signal == signals[REFUND_CHANGED])
    g_free (emission->arg);
  else
    g_object_unref (emission->arg);

  g_free (emission);
}

void
ledger_emits_add (GPtrArray *emits,
                  guint      signal,
                  gpointer   arg)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->signal = signals[signal];
  emission->arg = arg;
  g_ptr_array_add (emits, emission);
}

/* TRUE when someone listens to @signal (ATTEMPT_ADDED …): bulk inserts skip building
 * snapshots nobody will see. */
gboolean
ledger_has_observers (SaomaLedger *self,
                      guint        signal)
{
  return g_signal_has_handler_pending (self, signals[signal], 0, TRUE);
}

static void
emit_all (SaomaLedger *self,
          GPtrArray   *emits)
{
  for (guint i = 0; i < emits->len; i++)
    {
      Emission *emission = g_ptr_array_index (emits, i);

      g_signal_emit (self, emission->signal, 0, emission->arg);
    }
}

static gboolean
emit_later_cb (gpointer data)
{
  EmitLater *later = data;

  emit_all (later->ledger, later->emits);

  return G_SOURCE_REMOVE;
}

static void
emit_later_free (gpointer data)
{
  EmitLater *later = data;

  g_object_unref (later->ledger);
  g_ptr_array_unref (later->emits);
  g_free (later);
}

static void
flush_emits (SaomaLedger *self,
             GPtrArray   *emits)
{
  EmitLater *later;
  GSource *source;

  if (emits->len == 0)
    return;

  if (g_thread_self () == self->owner)
    {
      emit_all (self, emits);
      return;
    }

  /* Same priority as GTask's completion idle, attached first: observers see the change
   * before the caller's callback runs, and in commit order. */
  later = g_new0 (EmitLater, 1);
  later->ledger = g_object_ref (self);
  later->emits = g_ptr_array_ref (emits);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[saoma-ledger] emit");
  g_source_set_callback (source, emit_later_cb, later, emit_later_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Ops */

gpointer
ledger_run_op (SaomaLedger   *self,
               LedgerOpFunc   func,
               const OpArgs  *args,
               GError       **error)
{
  g_autoptr(GPtrArray) emits = g_ptr_array_new_with_free_func (emission_free);
  gpointer result;

  g_mutex_lock (&self->write_lock);
  if (self->db == NULL)
    {
      g_set_error_literal (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED,
                           "The ledger is not open");
      result = NULL;
    }
  else
    {
      result = func (self, args, emits, error);
    }
  g_mutex_unlock (&self->write_lock);

  if (result != NULL)
    flush_emits (self, emits);

  return result;
}

static OpArgs *
op_args_copy (const OpArgs *args)
{
  OpArgs *copy = g_new (OpArgs, 1);

  *copy = *args;
  copy->out_trade_no = g_strdup (args->out_trade_no);
  copy->out_refund_no = g_strdup (args->out_refund_no);
  copy->kind = g_strdup (args->kind);
  copy->detail = g_strdup (args->detail);
  copy->reason = g_strdup (args->reason);
  copy->refund_id = g_strdup (args->refund_id);
  copy->update.transaction_id = g_strdup (args->update.transaction_id);
  copy->update.code_url = g_strdup (args->update.code_url);
  copy->update.event_kind = g_strdup (args->update.event_kind);
  copy->update.event_detail = g_strdup (args->update.event_detail);
  copy->update.owner = g_strdup (args->update.owner);
  copy->filter.search = g_strdup (args->filter.search);
  copy->owner = g_strdup (args->owner);
  copy->lease_key = g_strdup (args->lease_key);
  if (args->leases != NULL)
    copy->leases = g_ptr_array_ref (args->leases);
  if (args->attempt != NULL)
    copy->attempt = g_object_ref (args->attempt);
  if (args->attempts != NULL)
    copy->attempts = g_ptr_array_ref (args->attempts);

  return copy;
}

static void
op_args_free (OpArgs *args)
{
  g_free ((char *)args->out_trade_no);
  g_free ((char *)args->out_refund_no);
  g_free ((char *)args->kind);
  g_free ((char *)args->detail);
  g_free ((char *)args->reason);
  g_free ((char *)args->refund_id);
  g_free ((char *)args->update.transaction_id);
  g_free ((char *)args->update.code_url);
  g_free ((char *)args->update.event_kind);
  g_free ((char *)args->update.event_detail);
  g_free ((char *)args->update.owner);
  g_free ((char *)args->filter.search);
  g_free ((char *)args->owner);
  g_free ((char *)args->lease_key);
  g_clear_pointer (&args->leases, g_ptr_array_unref);
  g_clear_object (&args->attempt);
  g_clear_pointer (&args->attempts, g_ptr_array_unref);
  g_free (args);
}

static void
ledger_op_free (gpointer data)
{
  LedgerOp *op = data;

  op_args_free (op->args);
  g_free (op);
}

static void
write_worker (gpointer data,
              gpointer user_data)
{
  g_autoptr(GTask) task = data;
  SaomaLedger *self = g_task_get_source_object (task);
  LedgerOp *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  gpointer result;

  /* Cancellation is honoured only before the op starts: once begun, a durable write is
   * reported as done, never as "cancelled" after it committed. */
  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = ledger_run_op (self, op->func, op->args, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, op->result_free);
}

static void
read_worker (gpointer data,
             gpointer user_data)
{
  g_autoptr(GTask) task = data;
  SaomaLedger *self = g_task_get_source_object (task);
  LedgerOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer result;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->reader == NULL)
    {
      if (!(self->reader = saoma_ledger_open_reader (self, &error)))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* SQLite's default cache (2 MB): the history's pages are read once each, at random,
       * from anchors; what is worth keeping is the b-trees' inner pages, which fit. 8 MB
       * here was most of what scrolling a 1 M-attempt history end to end added to RSS. */
      sqlite3_exec (self->reader, "PRAGMA cache_size = -2048", NULL, NULL, NULL);
    }

  result = op->func (self, op->args, NULL, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, op->result_free);
}

/* Runs @func on the worker thread with a copy of @args; its result (freed with @result_free
 * when nobody takes it) completes a GTask tagged @source_tag. */
void
ledger_queue_op (SaomaLedger         *self,
                 LedgerOpFunc         func,
                 const OpArgs        *args,
                 GDestroyNotify       result_free,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  ledger_queue_op_on (self, self->pool, func, args, result_free, source_tag, cancellable, callback,
                      user_data);
}

/* queue_op() on @pool: self->pool (ordered with writes) or self->read_pool. */
void
ledger_queue_op_on (SaomaLedger         *self,
                    GThreadPool         *pool,
                    LedgerOpFunc         func,
                    const OpArgs        *args,
                    GDestroyNotify       result_free,
                    gpointer             source_tag,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LedgerOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);

  op = g_new0 (LedgerOp, 1);
  op->func = func;
  op->args = op_args_copy (args);
  op->result_free = result_free;
  g_task_set_task_data (task, op, ledger_op_free);

  g_thread_pool_push (pool, g_steal_pointer (&task), NULL);
}

gpointer
ledger_finish_op (SaomaLedger  *self,
                  GAsyncResult *result,
                  gpointer      source_tag,
                  GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
run_cached (SaomaLedger  *self,
            StmtId        id,
            const char   *what,
            GError      **error)
{
  g_autoptr(CachedStmt) stmt = ledger_cached (self, id, error);

  return stmt != NULL && ledger_step_done (self->db, stmt, what, error);
}

void
ledger_rollback (SaomaLedger *self)
{
  if (!sqlite3_get_autocommit (self->db))
    run_cached (self, STMT_ROLLBACK, "Cannot roll back", NULL);
}

gboolean
ledger_begin (SaomaLedger  *self,
              GError      **error)
{
  return run_cached (self, STMT_BEGIN, "Cannot begin a transaction", error);
}

gboolean
ledger_commit (SaomaLedger  *self,
               GError      **error)
{
  if (!run_cached (self, STMT_COMMIT, "Cannot commit", error))
    {
      ledger_rollback (self);
      return FALSE;
    }

  return TRUE;
}

/* Reads run as ops too, so they see every write submitted before them. */
gpointer
ledger_list_op (SaomaLedger   *self,
                const OpArgs  *args,
                GPtrArray     *emits,
                GError       **error)
{
  CachedStmt *stmt = ledger_cached (self, args->list->stmt, error);
  int i;

  if (stmt == NULL)
    return NULL;

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if ((i = sqlite3_bind_parameter_index (stmt, ":out_trade_no")) > 0)
    ledger_bind_text (stmt, i, args->out_trade_no);
  if ((i = sqlite3_bind_parameter_index (stmt, ":kind")) > 0)
    ledger_bind_text (stmt, i, args->kind);
  if ((i = sqlite3_bind_parameter_index (stmt, ":start")) > 0)
    sqlite3_bind_int64 (stmt, i, args->start_us);
  if ((i = sqlite3_bind_parameter_index (stmt, ":end")) > 0)
    sqlite3_bind_int64 (stmt, i, args->end_us);

  return ledger_read_rows (self->db, stmt, args->list->rows, error);
}

/* Creates @path empty with mode 0600 when it does not exist yet; an existing file is left as
 * it is (its owner chose its mode). */
static gboolean
ledger_create_private (const char  *path,
                       GError     **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int errsv = errno;

      if (errsv == EEXIST)
        return TRUE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  g_close (fd, NULL);
  return TRUE;
}

static gboolean
ledger_open_db (SaomaLedger  *self,
                GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  sqlite3 *db = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  /* The ledger holds the shop's takings: only its owner may read it, wherever it is put
   * (SQLite would create it 0644; its -wal and -shm files take the database file's mode). */
  if (!ledger_create_private (self->path, error))
    return FALSE;

  if (sqlite3_open_v2 (self->path, &db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot open the ledger");
      sqlite3_close_v2 (db);
      return FALSE;
    }

  configure_connection (db);

  /* The WAL file outlives the last connection (checkpointed, cut to at most 64 KiB, its index
   * kept): the next process's first commit, saoma-cli --charge's insert before the order is
   * sent, then neither creates the file nor fsyncs the directory for it, and its open rebuilds
   * no index from a long WAL. Frames already checkpointed are never read as new (the WAL
   * header's salts change at each restart). Best effort: a ledger without it is only slower. */
  {
    int persist = 1;

    sqlite3_file_control (db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    sqlite3_exec (db, "PRAGMA journal_size_limit = 65536", NULL, NULL, NULL);
  }

  /* synchronous=FULL on every transaction of this connection: each one moves money or records
   * why, so each commit is fsynced. */
  if (!saoma_ledger_set_wal_mode (db, error) ||
      !ledger_exec_sql (db, "PRAGMA synchronous = FULL", error) ||
      !ledger_exec_sql (db, "PRAGMA foreign_keys = ON", error) ||
      !saoma_ledger_migrate (db, error))
    {
      g_prefix_error (error, "%s: ", self->path);
      sqlite3_close_v2 (db);
      return FALSE;
    }

  g_mutex_lock (&self->write_lock);
  self->db = db;
  g_mutex_unlock (&self->write_lock);

  return TRUE;
}

static void
saoma_ledger_finalize (GObject *object)
{
  SaomaLedger *self = (SaomaLedger *)object;

  /* Queued ops hold a reference, so nothing is queued now. Do not wait: the last reference
   * may be dropped by the pool's own thread (the tail of an op after its GTask returned),
   * and waiting there for that thread would deadlock. */
  g_thread_pool_free (self->pool, TRUE, FALSE);
  g_thread_pool_free (self->read_pool, TRUE, FALSE);
  g_clear_pointer (&self->reader, sqlite3_close_v2);
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_mutex_clear (&self->write_lock);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner, g_thread_unref);

  G_OBJECT_CLASS (saoma_ledger_parent_class)->finalize (object);
}

static void
saoma_ledger_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SaomaLedger *self = SAOMA_LEDGER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_ledger_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SaomaLedger *self = SAOMA_LEDGER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_ledger_class_init (SaomaLedgerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_ledger_finalize;
  object_class->get_property = saoma_ledger_get_property;
  object_class->set_property = saoma_ledger_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* "attempt-added", "attempt-changed" and "refund-changed" are SaomaStore's. */
  signals[ATTEMPT_ADDED] = g_signal_lookup ("attempt-added", SAOMA_TYPE_STORE);
  signals[ATTEMPT_CHANGED] = g_signal_lookup ("attempt-changed", SAOMA_TYPE_STORE);
  signals[REFUND_CHANGED] = g_signal_lookup ("refund-changed", SAOMA_TYPE_STORE);
}

static void
saoma_ledger_init (SaomaLedger *self)
{
  g_mutex_init (&self->write_lock);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_ref (g_thread_self ());
  /* One thread: writes apply in submission order. */
  self->pool = g_thread_pool_new (write_worker, self, 1, FALSE, NULL);
  self->read_pool = g_thread_pool_new (read_worker, self, 1, FALSE, NULL);
}

static void
open_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaomaLedger *self = task_data;
  g_autoptr(GError) error = NULL;

  if (!ledger_open_db (self, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

/**
 * saoma_ledger_open_async:
 * @path: the ledger file; its directory is created when missing
 *
 * Opens, creating and migrating, the ledger at @path in a worker thread. The ledger's signals
 * are emitted on the calling thread's thread-default main context.
 */
void
saoma_ledger_open_async (const char          *path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_ledger_open_async);
  g_task_set_task_data (task, g_object_new (SAOMA_TYPE_LEDGER, "path", path, NULL),
                        g_object_unref);
  g_task_run_in_thread (task, open_worker);
}

/**
 * saoma_ledger_open_finish:
 *
 * Returns: (transfer full): the ledger, or %NULL with @error set (%SAOMA_LEDGER_ERROR_TOO_NEW
 *   for a file written by a newer Saoma)
 */
SaomaLedger *
saoma_ledger_open_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * saoma_ledger_open_sync:
 *
 * Like saoma_ledger_open_async(), blocking. Signals are emitted on the calling thread's
 * thread-default main context.
 *
 * Returns: (transfer full): the ledger, or %NULL with @error set
 */
SaomaLedger *
saoma_ledger_open_sync (const char    *path,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(SaomaLedger) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  self = g_object_new (SAOMA_TYPE_LEDGER, "path", path, NULL);
  if (!ledger_open_db (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
saoma_ledger_get_path (SaomaLedger *self)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return self->path;
}

/**
 * saoma_ledger_default_path:
 *
 * Returns: (transfer full): $XDG_DATA_HOME/saoma/ledger.db
 */
char *
saoma_ledger_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "saoma", "ledger.db", NULL);
}

void
ledger_queue_list (SaomaLedger         *self,
                   const OpArgs        *args,
                   gpointer             source_tag,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  ledger_queue_op (self, ledger_list_op, args, (GDestroyNotify)g_ptr_array_unref, source_tag,
                   cancellable,
                   callback, user_data);
}
