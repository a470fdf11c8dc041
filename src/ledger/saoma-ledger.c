/* saoma-ledger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "saoma-flow.h"
#include "saoma-ledger-private.h"
#include "saoma-ledger-snapshot.h"
#include "saoma-store.h"


/* Refunds that did not (and will not) move money do not count against the paid amount. */
#define LIVE_REFUND "state NOT IN ('FAILED', 'REFUNDCLOSE')"

/* Every statement the write connection runs. */
typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_INSERT_EVENT,
  STMT_LOAD_ATTEMPT,
  STMT_LOAD_REFUND,
  STMT_INSERT_ATTEMPT,
  STMT_COUNT_ATTEMPTS,
  STMT_UPDATE_ATTEMPT,
  STMT_SUM_LIVE_REFUNDS,
  STMT_SUM_SUCCEEDED_REFUNDS,
  STMT_INSERT_REFUND,
  STMT_UPDATE_REFUND,
  STMT_LIST_UNFINISHED_ATTEMPTS,
  STMT_LIST_ATTEMPTS_IN_RANGE,
  STMT_LIST_EVENTS_OF_ATTEMPT,
  STMT_LIST_ALL_EVENTS,
  STMT_LIST_TILL_EVENTS,
  STMT_LIST_REFUNDS_OF_ATTEMPT,
  STMT_LIST_REFUNDS_IN_RANGE,
  STMT_LIST_REFUNDS_SUCCEEDED_IN_RANGE,
  STMT_LIST_UNFINISHED_REFUNDS,
  N_STMTS
} StmtId;

/* The lists name the arguments they use (:out_trade_no, :kind, :start, :end). */
static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_INSERT_EVENT] =
    "INSERT INTO events (time, out_trade_no, kind, detail) VALUES (?, ?, ?, ?)",
  [STMT_LOAD_ATTEMPT] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts WHERE out_trade_no = ?",
  [STMT_LOAD_REFUND] = "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE out_refund_no = ?",
  [STMT_INSERT_ATTEMPT] =
    "INSERT INTO attempts (out_trade_no, amount, description, till_id, created, updated,"
    " expires, state, transaction_id, code_url, refunded, paid_at, late, request, method)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  [STMT_COUNT_ATTEMPTS] =
    "INSERT INTO attempt_counts (state, n) VALUES (?, ?)"
    " ON CONFLICT (state) DO UPDATE SET n = n + excluded.n",
  [STMT_UPDATE_ATTEMPT] =
    "UPDATE attempts SET state = ?, transaction_id = ?, code_url = ?,"
    " refunded = ?, paid_at = ?, late = ?, updated = ? WHERE id = ?",
  [STMT_SUM_LIVE_REFUNDS] =
    "SELECT COALESCE (SUM (amount), 0) FROM refunds WHERE out_trade_no = ? AND " LIVE_REFUND,
  [STMT_SUM_SUCCEEDED_REFUNDS] =
    "SELECT COALESCE (SUM (amount), 0) FROM refunds WHERE out_trade_no = ?"
    " AND state = 'SUCCESS'",
  [STMT_INSERT_REFUND] =
    "INSERT INTO refunds (out_refund_no, out_trade_no, amount, reason, state, created, updated)"
    " VALUES (?, ?, ?, ?, 'CREATED', ?, ?)",
  [STMT_UPDATE_REFUND] =
    "UPDATE refunds SET state = ?, refund_id = COALESCE (?, refund_id),"
    " updated = ?, succeeded = ? WHERE id = ?",
  [STMT_LIST_UNFINISHED_ATTEMPTS] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
    " WHERE state IN " SAOMA_LEDGER_UNFINISHED_STATES " ORDER BY created, id",
  [STMT_LIST_ATTEMPTS_IN_RANGE] =
    "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
    " WHERE created >= :start AND created < :end ORDER BY created, id",
  [STMT_LIST_EVENTS_OF_ATTEMPT] =
    "SELECT " SAOMA_LEDGER_EVENT_COLUMNS " FROM events WHERE out_trade_no = :out_trade_no ORDER BY id",
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
    "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds WHERE state IN ('CREATED', 'UNKNOWN', 'PROCESSING')"
    " ORDER BY created, id",
};

/* A cached statement borrowed for one use: g_autoptr resets it (and drops its bindings) at
 * the end of the scope instead of finalizing it. */
typedef sqlite3_stmt CachedStmt;

static void
cached_stmt_release (CachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedStmt, cached_stmt_release)

/*
 * Every write (and the reads that must see them, in order) runs as an "op" on one worker thread
 * (a GThreadPool with a single thread), holding write_lock around the write connection, so
 * writes are applied exactly in submission order. The _sync variants run the same op on the
 * calling thread under the same lock. Signals are collected while the op runs and emitted once
 * the transaction has committed, on the context of the thread that opened the ledger.
 */
struct _SaomaLedger
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  GMutex        write_lock;
  GThreadPool  *pool;
  GMainContext *context;
  GThread      *owner;
  /* The history's pages and sums are read on their own thread and read-only connection, so
   * scrolling never waits behind a write's fsync (reads that must be ordered with writes, the
   * counts and positions, run on the write queue). Only that thread touches reader. */
  GThreadPool  *read_pool;
  sqlite3      *reader;
  /* The write connection's statements, prepared on first use and reused (under write_lock)
   * for the connection's life: preparing costs more than running a one-row INSERT. */
  sqlite3_stmt *stmts[N_STMTS];
};

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

enum {
  ATTEMPT_ADDED,
  ATTEMPT_CHANGED,
  REFUND_CHANGED,
  N_SIGNALS
};

static void store_iface_init (SaomaStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaLedger, saoma_ledger, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SAOMA_TYPE_STORE, store_iface_init))
G_DEFINE_QUARK (saoma-ledger-error-quark, saoma_ledger_error)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The schema, one step per user_version. Never edit a released step: add a new one. */
static const char * const migrations[] = {
  /* 1: the tables. */
  "CREATE TABLE attempts ("
  "  id INTEGER PRIMARY KEY,"
  "  out_trade_no TEXT NOT NULL UNIQUE,"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  description TEXT,"
  "  till_id TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  expires INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL CHECK (state IN ('CREATED', 'SUBMITTED', 'WAITING', 'UNKNOWN',"
  "    'CLOSING', 'PAID', 'CLOSED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED')),"
  "  transaction_id TEXT,"
  "  code_url TEXT,"
  "  refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),"
  "  paid_at INTEGER NOT NULL DEFAULT 0,"
  "  late INTEGER NOT NULL DEFAULT 0"
  ") STRICT;"
  "CREATE INDEX attempts_created ON attempts (created);"
  "CREATE TABLE refunds ("
  "  id INTEGER PRIMARY KEY,"
  "  out_refund_no TEXT NOT NULL UNIQUE,"
  "  out_trade_no TEXT NOT NULL REFERENCES attempts (out_trade_no),"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  reason TEXT,"
  "  state TEXT NOT NULL,"
  "  refund_id TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  succeeded INTEGER NOT NULL DEFAULT 0"
  ") STRICT;"
  "CREATE INDEX refunds_attempt ON refunds (out_trade_no);"
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  out_trade_no TEXT,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT ''"
  ") STRICT;"
  "CREATE INDEX events_attempt ON events (out_trade_no, id);",

  /* 2: indexes for the history filters and search, and an append-only audit log. An index on
   * (state, created) also carries the rowid, so "state = ? ORDER BY created DESC, id DESC" is
   * a backward index scan. */
  "CREATE INDEX attempts_state_created ON attempts (state, created);"
  "CREATE INDEX attempts_transaction_id ON attempts (transaction_id);"
  "CREATE INDEX refunds_created ON refunds (created);"
  "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
  "  BEGIN SELECT RAISE (ABORT, 'events are append-only'); END;"
  "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
  "  BEGIN SELECT RAISE (ABORT, 'events are append-only'); END;",

  /* 3: attempts per state, kept by triggers, so the history model's unfiltered and
   * per-state counts are O(1) instead of an index scan of the whole table. */
  "CREATE TABLE attempt_counts ("
  "  state TEXT PRIMARY KEY,"
  "  n INTEGER NOT NULL"
  ") STRICT, WITHOUT ROWID;"
  "INSERT INTO attempt_counts (state, n) SELECT state, count(*) FROM attempts GROUP BY state;"
  "CREATE TRIGGER attempts_count_insert AFTER INSERT ON attempts BEGIN"
  "  INSERT INTO attempt_counts (state, n) VALUES (NEW.state, 1)"
  "    ON CONFLICT (state) DO UPDATE SET n = n + 1;"
  "END;"
  "CREATE TRIGGER attempts_count_update AFTER UPDATE OF state ON attempts"
  "  WHEN OLD.state IS NOT NEW.state BEGIN"
  "  UPDATE attempt_counts SET n = n - 1 WHERE state = OLD.state;"
  "  INSERT INTO attempt_counts (state, n) VALUES (NEW.state, 1)"
  "    ON CONFLICT (state) DO UPDATE SET n = n + 1;"
  "END;"
  "CREATE TRIGGER attempts_count_delete AFTER DELETE ON attempts BEGIN"
  "  UPDATE attempt_counts SET n = n - 1 WHERE state = OLD.state;"
  "END;",

  /* 4: each attempt's exact gateway request, opaque text written by the engine with the
   * attempt, so a retry or a recovery in another run repeats it to the letter. NULL on rows
   * from before. */
  "ALTER TABLE attempts ADD COLUMN request TEXT;",

  /* 5: the ledger counts the attempts it inserts itself, one statement per state for a whole
   * batch, instead of a trigger that ran an upsert for every row (half the cost of a bulk
   * insert). The ledger is the only writer of this table; state changes stay counted by the
   * update trigger. */
  "DROP TRIGGER attempts_count_insert;",

  /* 6: how the payer pays; every attempt before this version was a Native (QR) one. */
  "ALTER TABLE attempts ADD COLUMN method TEXT NOT NULL DEFAULT 'NATIVE'"
  "  CHECK (method IN ('NATIVE', 'MICROPAY'));",
};

static const char * const refund_state_names[] = {
  [SAOMA_REFUND_CREATED] = "CREATED",
  [SAOMA_REFUND_UNKNOWN] = "UNKNOWN",
  [SAOMA_REFUND_PROCESSING] = "PROCESSING",
  [SAOMA_REFUND_SUCCESS] = "SUCCESS",
  [SAOMA_REFUND_REFUNDCLOSE] = "REFUNDCLOSE",
  [SAOMA_REFUND_CHANGE] = "CHANGE",
  [SAOMA_REFUND_FAILED] = "FAILED",
};

typedef struct _ListQuery ListQuery;

/* The arguments of every op; each op reads the fields it needs. A _sync variant points them at
 * its caller's values; queue_op() gives a queued op its own copy. */
typedef struct
{
  const char         *out_trade_no;
  const char         *out_refund_no;
  const char         *kind;        /* event kind */
  const char         *detail;      /* event detail */
  const char         *reason;      /* refund reason */
  const char         *refund_id;
  gint64              amount;
  gint64              start_us;
  gint64              end_us;
  SaomaRefundState    refund_state;
  SaomaAttemptUpdate  update;
  SaomaAttempt       *attempt;
  GPtrArray          *attempts;
  const ListQuery    *list;
  /* The history's page source. */
  SaomaStoreFilter    filter;
  SaomaStoreKey       anchor;
  gboolean            has_anchor;
  guint               start;
  guint               n;
  gboolean            added;
  SaomaAttemptState   sum_state;
} OpArgs;

typedef gpointer (*LedgerOpFunc) (SaomaLedger  *self,
                                  const OpArgs *args,
                                  GPtrArray    *emits,
                                  GError      **error);

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

/* How to read one kind of row. */
typedef gpointer (*RowReadFunc) (sqlite3_stmt *stmt);

typedef struct
{
  RowReadFunc     read;
  GDestroyNotify  free;
  const char     *noun;        /* "No attempt “…” in the ledger" */
  const char     *read_error;
  const char     *list_error;
} RowType;

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

const char *
saoma_ledger_migration_sql (guint version)
{
  if (version == 0 || version > G_N_ELEMENTS (migrations))
    return NULL;

  return migrations[version - 1];
}

guint
saoma_ledger_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}

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

static gboolean
exec_sql (sqlite3     *db,
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

static sqlite3_stmt *
prepare (sqlite3     *db,
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

static void
bind_text (sqlite3_stmt *stmt,
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

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, col));
}

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

  return attempt;
}

SaomaLedgerRefund *
saoma_ledger_refund_from_stmt (sqlite3_stmt *stmt)
{
  SaomaLedgerRefund *refund = g_new0 (SaomaLedgerRefund, 1);

  refund->id = sqlite3_column_int64 (stmt, 0);
  refund->out_refund_no = column_dup (stmt, 1);
  refund->out_trade_no = column_dup (stmt, 2);
  refund->amount = sqlite3_column_int64 (stmt, 3);
  refund->reason = column_dup (stmt, 4);
  if (!saoma_refund_state_from_string ((const char *)sqlite3_column_text (stmt, 5),
                                       &refund->state))
    g_warning ("Unknown refund state “%s” in the ledger", sqlite3_column_text (stmt, 5));
  refund->refund_id = column_dup (stmt, 6);
  refund->created = sqlite3_column_int64 (stmt, 7);
  refund->updated = sqlite3_column_int64 (stmt, 8);
  refund->succeeded = sqlite3_column_int64 (stmt, 9);

  return refund;
}

SaomaLedgerEvent *
saoma_ledger_event_from_stmt (sqlite3_stmt *stmt)
{
  SaomaLedgerEvent *event = g_new0 (SaomaLedgerEvent, 1);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->time = sqlite3_column_int64 (stmt, 1);
  event->out_trade_no = column_dup (stmt, 2);
  event->kind = column_dup (stmt, 3);
  event->detail = column_dup (stmt, 4);

  return event;
}

static const RowType attempt_rows = {
  (RowReadFunc) saoma_ledger_attempt_from_stmt, g_object_unref,
  "attempt", "Cannot read an attempt", "Cannot list attempts",
};

static const RowType refund_rows = {
  (RowReadFunc) saoma_ledger_refund_from_stmt, (GDestroyNotify) saoma_ledger_refund_free,
  "refund", "Cannot read a refund", "Cannot list refunds",
};

static const RowType event_rows = {
  (RowReadFunc) saoma_ledger_event_from_stmt, (GDestroyNotify) saoma_ledger_event_free,
  "event", "Cannot read an event", "Cannot list events",
};

/* The lists: one cached statement each, and what its rows are. */
struct _ListQuery
{
  StmtId         stmt;
  const RowType *rows;
};

static const ListQuery unfinished_attempts = { STMT_LIST_UNFINISHED_ATTEMPTS, &attempt_rows };
static const ListQuery attempts_in_range = { STMT_LIST_ATTEMPTS_IN_RANGE, &attempt_rows };
static const ListQuery events_of_attempt = { STMT_LIST_EVENTS_OF_ATTEMPT, &event_rows };
static const ListQuery all_events = { STMT_LIST_ALL_EVENTS, &event_rows };
static const ListQuery till_events = { STMT_LIST_TILL_EVENTS, &event_rows };
static const ListQuery refunds_of_attempt = { STMT_LIST_REFUNDS_OF_ATTEMPT, &refund_rows };
static const ListQuery refunds_in_range = { STMT_LIST_REFUNDS_IN_RANGE, &refund_rows };
static const ListQuery refunds_succeeded_in_range = {
  STMT_LIST_REFUNDS_SUCCEEDED_IN_RANGE, &refund_rows,
};
static const ListQuery unfinished_refunds = { STMT_LIST_UNFINISHED_REFUNDS, &refund_rows };

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
        bind_text (stmt, i + 1, va_arg (args, const char *));
      else
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
    }
}

static void
bind_all (sqlite3_stmt *stmt,
          const char   *types,
          ...)
{
  va_list args;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);
}

/* prepare(), then binds its parameters as bind_va() does. */
static sqlite3_stmt *
prepare_bind (sqlite3     *db,
              GError     **error,
              const char  *sql,
              const char  *types,
              ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  if (!(stmt = prepare (db, sql, error)))
    return NULL;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);

  return stmt;
}

/* The write connection's statement @id, prepared on its first use. Call under write_lock. */
static CachedStmt *
cached (SaomaLedger  *self,
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
static CachedStmt *
cached_bind (SaomaLedger  *self,
             StmtId        id,
             GError      **error,
             const char   *types,
             ...)
{
  CachedStmt *stmt;
  va_list args;

  if (!(stmt = cached (self, id, error)))
    return NULL;

  va_start (args, types);
  bind_va (stmt, types, args);
  va_end (args);

  return stmt;
}

/* Runs a statement that returns no row. */
static gboolean
step_done (sqlite3       *db,
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
static GPtrArray *
read_rows (sqlite3        *db,
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
static gpointer
read_one (sqlite3        *db,
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
static void
set_insert_error (sqlite3     *db,
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

static void
emits_add (GPtrArray *emits,
           guint      signal,
           gpointer   arg)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->signal = signals[signal];
  emission->arg = arg;
  g_ptr_array_add (emits, emission);
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

static gpointer
run_op (SaomaLedger   *self,
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
  copy->filter.search = g_strdup (args->filter.search);
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
  g_free ((char *)args->filter.search);
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

  result = run_op (self, op->func, op->args, &error);
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

  if (self->reader == NULL && !(self->reader = saoma_ledger_open_reader (self, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = op->func (self, op->args, NULL, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, op->result_free);
}

static void queue_op_on (SaomaLedger         *self,
                         GThreadPool         *pool,
                         LedgerOpFunc         func,
                         const OpArgs        *args,
                         GDestroyNotify       result_free,
                         gpointer             source_tag,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data);

/* Runs @func on the worker thread with a copy of @args; its result (freed with @result_free
 * when nobody takes it) completes a GTask tagged @source_tag. */
static void
queue_op (SaomaLedger         *self,
          LedgerOpFunc         func,
          const OpArgs        *args,
          GDestroyNotify       result_free,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  queue_op_on (self, self->pool, func, args, result_free, source_tag, cancellable, callback,
               user_data);
}

/* queue_op() on @pool: self->pool (ordered with writes) or self->read_pool. */
static void
queue_op_on (SaomaLedger         *self,
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

static gpointer
finish_op (SaomaLedger  *self,
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
  g_autoptr(CachedStmt) stmt = cached (self, id, error);

  return stmt != NULL && step_done (self->db, stmt, what, error);
}

static void
rollback (SaomaLedger *self)
{
  if (!sqlite3_get_autocommit (self->db))
    run_cached (self, STMT_ROLLBACK, "Cannot roll back", NULL);
}

static gboolean
begin (SaomaLedger  *self,
       GError      **error)
{
  return run_cached (self, STMT_BEGIN, "Cannot begin a transaction", error);
}

static gboolean
commit (SaomaLedger  *self,
        GError      **error)
{
  if (!run_cached (self, STMT_COMMIT, "Cannot commit", error))
    {
      rollback (self);
      return FALSE;
    }

  return TRUE;
}

static gboolean
insert_event (SaomaLedger  *self,
              gint64        time,
              const char   *out_trade_no,
              const char   *kind,
              const char   *detail,
              GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = cached_bind (self, STMT_INSERT_EVENT, error, "isss", time, out_trade_no, kind,
                      detail != NULL ? detail : "");

  return stmt != NULL && step_done (self->db, stmt, "Cannot append an event", error);
}

static SaomaAttempt *
load_attempt (SaomaLedger  *self,
              const char   *out_trade_no,
              GError      **error)
{
  return read_one (self->db, cached_bind (self, STMT_LOAD_ATTEMPT, error, "s", out_trade_no),
                   &attempt_rows, out_trade_no, error);
}

static SaomaLedgerRefund *
load_refund (SaomaLedger  *self,
             const char   *out_refund_no,
             GError      **error)
{
  return read_one (self->db, cached_bind (self, STMT_LOAD_REFUND, error, "s", out_refund_no),
                   &refund_rows, out_refund_no, error);
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

      if (!(stmt = cached_bind (self, STMT_COUNT_ATTEMPTS, error, "si",
                                saoma_attempt_state_to_string (s), counts[s])) ||
          !step_done (self->db, stmt, "Cannot count attempts", error))
        return FALSE;
    }

  return TRUE;
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
  SaomaAttemptState state = saoma_attempt_get_state (attempt);
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

  bind_all (stmt, "sissiiisssiiiss",
            out_trade_no,
            saoma_attempt_get_amount (attempt),
            saoma_attempt_get_description (attempt),
            saoma_attempt_get_till_id (attempt),
            saoma_attempt_get_created (attempt),
            saoma_attempt_get_updated (attempt),
            saoma_attempt_get_expires (attempt),
            saoma_attempt_state_to_string (state),
            saoma_attempt_get_transaction_id (attempt),
            saoma_attempt_get_code_url (attempt),
            saoma_attempt_get_refunded (attempt),
            saoma_attempt_get_paid_at (attempt),
            (gint64) saoma_attempt_get_late (attempt),
            saoma_attempt_get_request (attempt),
            saoma_payment_method_to_string (saoma_attempt_get_method (attempt)));

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_insert_error (self->db, error, "Attempt", out_trade_no, "Cannot insert an attempt");
      return FALSE;
    }

  *out_id = sqlite3_last_insert_rowid (self->db);

  g_snprintf (detail, sizeof detail, "%s, %" G_GINT64_FORMAT " fen",
              saoma_attempt_state_to_string (state), saoma_attempt_get_amount (attempt));

  return insert_event (self, now, out_trade_no, "transition", detail, error);
}

static SaomaAttempt *
snapshot_with_id (SaomaAttempt *attempt,
                  gint64        id)
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

  if (!begin (self, error))
    return NULL;

  counts[saoma_attempt_get_state (attempt)] = 1;
  if (!(stmt = cached (self, STMT_INSERT_ATTEMPT, error)) ||
      !insert_attempt_row (self, stmt, attempt, g_get_real_time (), &id, error) ||
      !count_inserted (self, counts, error) ||
      !commit (self, error))
    {
      rollback (self);
      return NULL;
    }

  snapshot = snapshot_with_id (attempt, id);
  emits_add (emits, ATTEMPT_ADDED, g_object_ref (snapshot));

  return snapshot;
}

static gpointer
insert_many_op (SaomaLedger   *self,
                const OpArgs  *args,
                GPtrArray     *emits,
                GError       **error)
{
  GPtrArray *attempts = args->attempts;
  g_autoptr(CachedStmt) stmt = NULL;
  gboolean observed = g_signal_has_handler_pending (self, signals[ATTEMPT_ADDED], 0, TRUE);
  gint64 now = g_get_real_time ();
  gint64 counts[SAOMA_ATTEMPT_STATE_LAST + 1] = { 0 };

  if (!begin (self, error))
    return NULL;

  if (!(stmt = cached (self, STMT_INSERT_ATTEMPT, error)))
    goto failed;

  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);
      gint64 id;

      if (!insert_attempt_row (self, stmt, attempt, now, &id, error))
        goto failed;
      counts[saoma_attempt_get_state (attempt)]++;

      /* Building snapshots for a million fixture rows is wasted work when nobody listens. */
      if (observed)
        emits_add (emits, ATTEMPT_ADDED, snapshot_with_id (attempt, id));
    }

  if (!count_inserted (self, counts, error) || !commit (self, error))
    goto failed;

  return GINT_TO_POINTER (TRUE);

failed:
  rollback (self);
  g_ptr_array_set_size (emits, 0);
  return NULL;
}

/* The store's half of the payment machine: only the flow's table moves a state
 * (saoma-flow.c). */
static gboolean
check_transition (SaomaFlow    flow,
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

/* Writes @state and @refunded of an attempt inside the current transaction. */
static gboolean
write_attempt_row (SaomaLedger       *self,
                   SaomaAttempt      *old,
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

  stmt = cached_bind (self, STMT_UPDATE_ATTEMPT, error, "sssiiiii", saoma_attempt_state_to_string (state), transaction_id,
                       code_url, refunded, paid_at, (gint64) late, now,
                       saoma_attempt_get_id (old));

  return stmt != NULL && step_done (self->db, stmt, "Cannot update an attempt", error);
}

static gpointer
update_attempt_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  const SaomaAttemptUpdate *update = &args->update;
  g_autoptr(SaomaAttempt) old = NULL;
  g_autoptr(SaomaAttempt) snapshot = NULL;
  g_autofree char *detail = NULL;
  SaomaAttemptState from, to;
  const char *kind;
  gint64 now = g_get_real_time ();

  if (!begin (self, error))
    return NULL;

  if (!(old = load_attempt (self, args->out_trade_no, error)))
    goto failed;

  from = saoma_attempt_get_state (old);
  /* CREATED is the zero value: "state unchanged". */
  to = update->state == SAOMA_ATTEMPT_CREATED ? from : update->state;

  /* An update that leaves the state alone is not a transition. Every method follows the
   * Native table until micropay brings its own (issue 13). */
  if (update->state != SAOMA_ATTEMPT_CREATED &&
      !check_transition (SAOMA_FLOW_NATIVE, args->out_trade_no, from, to, error))
    goto failed;

  if (!write_attempt_row (self, old, to,
                          update->transaction_id ? update->transaction_id
                                                 : saoma_attempt_get_transaction_id (old),
                          update->code_url ? update->code_url : saoma_attempt_get_code_url (old),
                          saoma_attempt_get_refunded (old),
                          update->paid_at ? update->paid_at : saoma_attempt_get_paid_at (old),
                          update->late || saoma_attempt_get_late (old),
                          now, error))
    goto failed;

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

  if (kind != NULL && !insert_event (self, now, args->out_trade_no, kind, detail, error))
    goto failed;

  if (!(snapshot = load_attempt (self, args->out_trade_no, error)))
    goto failed;

  if (!commit (self, error))
    goto failed;

  saoma_attempt_set_previous (snapshot, old);
  emits_add (emits, ATTEMPT_CHANGED, g_object_ref (snapshot));

  return g_steal_pointer (&snapshot);

failed:
  rollback (self);
  return NULL;
}

static gpointer
append_event_op (SaomaLedger   *self,
                 const OpArgs  *args,
                 GPtrArray     *emits,
                 GError       **error)
{
  if (!insert_event (self, g_get_real_time (), args->out_trade_no, args->kind, args->detail,
                     error))
    return NULL;

  return GINT_TO_POINTER (TRUE);
}

static gpointer
get_attempt_op (SaomaLedger   *self,
                const OpArgs  *args,
                GPtrArray     *emits,
                GError       **error)
{
  return load_attempt (self, args->out_trade_no, error);
}

/* Reads run as ops too, so they see every write submitted before them. */
static gpointer
list_op (SaomaLedger   *self,
         const OpArgs  *args,
         GPtrArray     *emits,
         GError       **error)
{
  CachedStmt *stmt = cached (self, args->list->stmt, error);
  int i;

  if (stmt == NULL)
    return NULL;

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if ((i = sqlite3_bind_parameter_index (stmt, ":out_trade_no")) > 0)
    bind_text (stmt, i, args->out_trade_no);
  if ((i = sqlite3_bind_parameter_index (stmt, ":kind")) > 0)
    bind_text (stmt, i, args->kind);
  if ((i = sqlite3_bind_parameter_index (stmt, ":start")) > 0)
    sqlite3_bind_int64 (stmt, i, args->start_us);
  if ((i = sqlite3_bind_parameter_index (stmt, ":end")) > 0)
    sqlite3_bind_int64 (stmt, i, args->end_us);

  return read_rows (self->db, stmt, args->list->rows, error);
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

  if (!(stmt = cached_bind (self, sum_stmt, error, "s", out_trade_no)))
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

  if (!commit (self, error))
    {
      saoma_ledger_refund_free (refund);
      return NULL;
    }

  emits_add (emits, REFUND_CHANGED, g_strdup (out_refund_no));

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

  if (!begin (self, error))
    return NULL;

  if (!(attempt = load_attempt (self, args->out_trade_no, error)))
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

  if (!(stmt = cached_bind (self, STMT_INSERT_REFUND, error, "ssisii", args->out_refund_no,
                            args->out_trade_no, args->amount, args->reason, now, now)))
    goto failed;

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_insert_error (self->db, error, "Refund", args->out_refund_no, "Cannot insert a refund");
      goto failed;
    }

  detail = g_strdup_printf ("refund %s CREATED, %" G_GINT64_FORMAT " fen",
                            args->out_refund_no, args->amount);
  if (!insert_event (self, now, args->out_trade_no, "refund", detail, error))
    goto failed;

  if (!(refund = commit_refund (self, args->out_refund_no, emits, error)))
    goto failed;

  return refund;

failed:
  rollback (self);
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

  if (!begin (self, error))
    return NULL;

  if (!(old = load_refund (self, args->out_refund_no, error)))
    goto failed;

  if (!check_transition (SAOMA_FLOW_REFUND, args->out_refund_no, old->state, args->refund_state,
                         error))
    goto failed;

  if (!(stmt = cached_bind (self, STMT_UPDATE_REFUND, error, "ssiii", saoma_refund_state_to_string (args->refund_state),
                             args->refund_id, now,
                             args->refund_state == SAOMA_REFUND_SUCCESS && old->succeeded == 0
                               ? now : old->succeeded,
                             old->id)) ||
      !step_done (self->db, stmt, "Cannot update a refund", error))
    goto failed;

  if (args->detail != NULL)
    detail = g_strdup (args->detail);
  else
    detail = g_strdup_printf ("refund %s %s → %s", args->out_refund_no,
                              saoma_refund_state_to_string (old->state),
                              saoma_refund_state_to_string (args->refund_state));

  if ((old->state != args->refund_state || args->detail != NULL) &&
      !insert_event (self, now, old->out_trade_no, "refund", detail, error))
    goto failed;

  if (args->refund_state == SAOMA_REFUND_SUCCESS && old->state != SAOMA_REFUND_SUCCESS)
    {
      SaomaAttemptState from, to;
      gint64 refunded = 0;

      if (!(attempt = load_attempt (self, old->out_trade_no, error)) ||
          !sum_refunds (self, old->out_trade_no, STMT_SUM_SUCCEEDED_REFUNDS, &refunded,
                       error))
        goto failed;

      from = saoma_attempt_get_state (attempt);
      to = refunded >= saoma_attempt_get_amount (attempt) ? SAOMA_ATTEMPT_REFUNDED
                                                          : SAOMA_ATTEMPT_PARTIALLY_REFUNDED;

      if (!check_transition (SAOMA_FLOW_NATIVE, old->out_trade_no, from, to, error))
        goto failed;

      if (!write_attempt_row (self, attempt, to, saoma_attempt_get_transaction_id (attempt),
                              saoma_attempt_get_code_url (attempt), refunded,
                              saoma_attempt_get_paid_at (attempt),
                              saoma_attempt_get_late (attempt), now, error))
        goto failed;

      g_clear_pointer (&detail, g_free);
      detail = g_strdup_printf ("%s → %s, %" G_GINT64_FORMAT " fen refunded",
                                saoma_attempt_state_to_string (from),
                                saoma_attempt_state_to_string (to), refunded);
      if (!insert_event (self, now, old->out_trade_no, "transition", detail, error))
        goto failed;

      if (!(snapshot = load_attempt (self, old->out_trade_no, error)))
        goto failed;
    }

  /* Announced only if the commit below succeeds (the op then returns non-NULL). */
  if (snapshot != NULL)
    {
      saoma_attempt_set_previous (snapshot, attempt);
      emits_add (emits, ATTEMPT_CHANGED, g_steal_pointer (&snapshot));
    }

  if (!(refund = commit_refund (self, args->out_refund_no, emits, error)))
    goto failed;

  return refund;

failed:
  rollback (self);
  return NULL;
}

/* Opening */

static gboolean
read_user_version (sqlite3  *db,
                   guint    *out_version,
                   GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!(stmt = prepare (db, "PRAGMA user_version", error)))
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot read the ledger version");
      return FALSE;
    }

  *out_version = (guint) sqlite3_column_int (stmt, 0);

  return TRUE;
}

static gboolean
check_not_too_new (guint    version,
                   GError **error)
{
  if (version <= G_N_ELEMENTS (migrations))
    return TRUE;

  g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_TOO_NEW,
               "The ledger has schema version %u; this build knows up to %u",
               version, (guint) G_N_ELEMENTS (migrations));
  return FALSE;
}

/* Runs one step of the schema inside the caller's transaction. The error names the step and
 * SQLite's reason, never the step's SQL (it is long, and the user sees this line). */
static gboolean
apply_migration (sqlite3  *db,
                 guint     v,
                 GError  **error)
{
  g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", v);

  if (sqlite3_exec (db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec (db, set_version, NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED,
                   "Cannot migrate the ledger to version %u: %s", v, sqlite3_errmsg (db));
      return FALSE;
    }

  return TRUE;
}

/* Brings the schema up to date. Several processes may open a new ledger at once (a till and
 * its headless commands), so the version read outside a transaction is only a hint: each step
 * re-reads it under BEGIN IMMEDIATE (which holds the write lock) and applies only what is
 * still missing, so a step another process applied meanwhile is skipped, never repeated. */
static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  guint version;

  if (!read_user_version (db, &version, error) || !check_not_too_new (version, error))
    return FALSE;

  while (version < G_N_ELEMENTS (migrations))
    {
      if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        {
          g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED,
                       "Cannot lock the ledger to migrate it: %s", sqlite3_errmsg (db));
          return FALSE;
        }

      if (!read_user_version (db, &version, error) || !check_not_too_new (version, error) ||
          (version < G_N_ELEMENTS (migrations) && !apply_migration (db, version + 1, error)))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }

      if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        {
          g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED,
                       "Cannot migrate the ledger to version %u: %s", version + 1,
                       sqlite3_errmsg (db));
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }

      if (!read_user_version (db, &version, error))
        return FALSE;
    }

  return TRUE;
}

/* Switching a new file to WAL needs an exclusive lock, and SQLite answers BUSY at once, without
 * its busy handler, when another process is opening the same new file: retry for as long as
 * the busy timeout would have waited. */
static gboolean
set_wal_mode (sqlite3  *db,
              GError  **error)
{
  for (guint i = 0;; i++)
    {
      int rc = sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);

      if (rc == SQLITE_OK)
        return TRUE;

      if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
        break;

      if (i >= 1000)
        break;

      g_usleep (10 * 1000);
    }

  g_set_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_FAILED,
               "Cannot switch the ledger to WAL mode: %s", sqlite3_errmsg (db));
  return FALSE;
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

  if (sqlite3_open_v2 (self->path, &db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot open the ledger");
      sqlite3_close_v2 (db);
      return FALSE;
    }

  configure_connection (db);

  /* synchronous=FULL on every transaction of this connection: each one moves money or records
   * why, so each commit is fsynced. */
  if (!set_wal_mode (db, error) ||
      !exec_sql (db, "PRAGMA synchronous = FULL", error) ||
      !exec_sql (db, "PRAGMA foreign_keys = ON", error) ||
      !migrate (db, error))
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

/* Every _finish returns what its op returned, for a task of its own _async. */
#define LEDGER_DEFINE_FINISH(name, Type)                                    \
  Type                                                                      \
  saoma_ledger_##name##_finish (SaomaLedger   *self,                        \
                                GAsyncResult  *result,                      \
                                GError       **error)                       \
  {                                                                         \
    return finish_op (self, result, saoma_ledger_##name##_async, error);    \
  }

static void
queue_list (SaomaLedger         *self,
            const OpArgs        *args,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  queue_op (self, list_op, args, (GDestroyNotify)g_ptr_array_unref, source_tag, cancellable,
            callback, user_data);
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

  queue_op (self, insert_attempt_op, &(OpArgs) { .attempt = attempt }, g_object_unref,
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

  return run_op (self, insert_attempt_op, &(OpArgs) { .attempt = attempt }, error);
}

gboolean
saoma_ledger_insert_many_sync (SaomaLedger  *self,
                               GPtrArray    *attempts,
                               GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (attempts != NULL, FALSE);

  return run_op (self, insert_many_op, &(OpArgs) { .attempts = attempts }, error) != NULL;
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

  queue_op (self, update_attempt_op, &(OpArgs) { .out_trade_no = out_trade_no, .update = *update },
            g_object_unref, saoma_ledger_update_attempt_async, cancellable, callback, user_data);
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

  return run_op (self, update_attempt_op,
                 &(OpArgs) { .out_trade_no = out_trade_no, .update = *update }, error);
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

  queue_op (self, append_event_op,
            &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail }, NULL,
            saoma_ledger_append_event_async, cancellable, callback, user_data);
}

gboolean
saoma_ledger_append_event_finish (SaomaLedger   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_op (self, result, saoma_ledger_append_event_async, error) != NULL;
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

  return run_op (self, append_event_op,
                 &(OpArgs) { .out_trade_no = out_trade_no, .kind = kind, .detail = detail },
                 error) != NULL;
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

  queue_op (self, get_attempt_op, &(OpArgs) { .out_trade_no = out_trade_no }, g_object_unref,
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

  return run_op (self, get_attempt_op, &(OpArgs) { .out_trade_no = out_trade_no }, error);
}

void
saoma_ledger_list_unfinished_async (SaomaLedger         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  queue_list (self, &(OpArgs) { .list = &unfinished_attempts },
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

  return run_op (self, list_op, &(OpArgs) { .list = &unfinished_attempts }, error);
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

  queue_list (self,
              &(OpArgs) { .list = &attempts_in_range, .start_us = start_us, .end_us = end_us },
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

  return run_op (self, list_op,
                 &(OpArgs) { .list = &attempts_in_range, .start_us = start_us, .end_us = end_us },
                 error);
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

  queue_list (self,
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

  return run_op (self, list_op,
                 &(OpArgs) { .list = out_trade_no ? &events_of_attempt : &all_events,
                             .out_trade_no = out_trade_no },
                 error);
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
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_trade_no != NULL);
  g_return_if_fail (out_refund_no != NULL);

  queue_op (self, insert_refund_op,
            &(OpArgs) { .out_trade_no = out_trade_no, .out_refund_no = out_refund_no,
                        .amount = amount, .reason = reason },
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

  return run_op (self, insert_refund_op,
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
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (out_refund_no != NULL);

  queue_op (self, update_refund_op,
            &(OpArgs) { .out_refund_no = out_refund_no, .refund_state = state,
                        .refund_id = refund_id, .detail = event_detail },
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

  return run_op (self, update_refund_op,
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

  queue_list (self,
              &(OpArgs) { .list = out_trade_no ? &refunds_of_attempt : &refunds_in_range,
                          .out_trade_no = out_trade_no, .start_us = start_us, .end_us = end_us },
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

  return run_op (self, list_op,
                 &(OpArgs) { .list = out_trade_no ? &refunds_of_attempt : &refunds_in_range,
                             .out_trade_no = out_trade_no, .start_us = start_us,
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

  if (!exec_sql (db, "BEGIN", error) ||
      !(stmt = prepare_bind (db, error, "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
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

  return run_op (self, list_op,
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

  return run_op (self, list_op, &(OpArgs) { .list = &unfinished_refunds }, error);
}

void
saoma_ledger_list_unfinished_refunds_async (SaomaLedger         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  queue_list (self, &(OpArgs) { .list = &unfinished_refunds },
              saoma_ledger_list_unfinished_refunds_async, cancellable, callback, user_data);
}

LEDGER_DEFINE_FINISH (list_unfinished_refunds, GPtrArray *)

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

  return run_op (self, list_op, &(OpArgs) { .list = &till_events, .kind = kind }, error);
}

/* The history's page source (SaomaStore's count, fetch, locate and sum). The filter becomes
 * SQL with named parameters; rows are ordered newest first by (created DESC, id DESC). */

typedef struct
{
  char *where;
  char *like;   /* %…% with %, _ and \ escaped, or NULL */
} FilterSql;

static void
filter_sql_clear (FilterSql *sql)
{
  g_clear_pointer (&sql->where, g_free);
  g_clear_pointer (&sql->like, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FilterSql, filter_sql_clear)

static char *
like_escape (const char *text)
{
  GString *s = g_string_new ("%");

  for (const char *p = text; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');

  return g_string_free (s, FALSE);
}

static void
filter_sql_init (FilterSql              *sql,
                 const SaomaStoreFilter *filter)
{
  GString *s = g_string_new ("1");

  if (filter->day_start != 0)
    g_string_append (s, " AND created >= :start");
  if (filter->day_end != 0)
    g_string_append (s, " AND created < :end");
  if (filter->state >= 0)
    g_string_append (s, " AND state = :state");
  if (filter->search != NULL && filter->search[0] != '\0')
    {
      g_string_append (s, " AND (out_trade_no LIKE :like ESCAPE '\\'"
                          " OR transaction_id LIKE :like ESCAPE '\\')");
      sql->like = like_escape (filter->search);
    }
  sql->where = g_string_free (s, FALSE);
}

static void
bind_named_int64 (sqlite3_stmt *stmt,
                  const char   *name,
                  gint64        value)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  if (idx > 0)
    sqlite3_bind_int64 (stmt, idx, value);
}

static void
bind_named_text (sqlite3_stmt *stmt,
                 const char   *name,
                 const char   *value)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  if (idx > 0)
    bind_text (stmt, idx, value);
}

static sqlite3_stmt *
prepare_filtered (sqlite3                 *db,
                  const SaomaStoreFilter  *filter,
                  const FilterSql         *sql,
                  GError                 **error,
                  const char              *format,
                  ...) G_GNUC_PRINTF (5, 6);

/* Prepares @format (printf-style) and binds the filter's parameters. */
static sqlite3_stmt *
prepare_filtered (sqlite3                 *db,
                  const SaomaStoreFilter  *filter,
                  const FilterSql         *sql,
                  GError                 **error,
                  const char              *format,
                  ...)
{
  g_autofree char *text = NULL;
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (!(stmt = prepare (db, text, error)))
    return NULL;

  bind_named_int64 (stmt, ":start", filter->day_start);
  bind_named_int64 (stmt, ":end", filter->day_end);
  if (filter->state >= 0)
    bind_named_text (stmt, ":state", saoma_attempt_state_to_string (filter->state));
  bind_named_text (stmt, ":like", sql->like);

  return stmt;
}

static gboolean
step_int64 (sqlite3       *db,
            sqlite3_stmt  *stmt,
            gint64        *out,
            GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot read the history");
      return FALSE;
    }

  *out = sqlite3_column_int64 (stmt, 0);

  return TRUE;
}

/* On the write queue: ordered with the writes, so "attempt-added" of every attempt up to the
 * newest id counted was emitted before this op's callback runs, and none after it. */
static gpointer
count_attempts_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  const SaomaStoreFilter *filter = &args->filter;
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) count = NULL;
  g_autoptr(sqlite3_stmt) max_id = NULL;
  gint64 *result = g_new0 (gint64, 2);

  filter_sql_init (&sql, filter);

  /* Without a day range or search, the per-state counts answer at once; a day range is an
   * index range, a search is a scan. */
  if (filter->day_start == 0 && filter->day_end == 0 && sql.like == NULL)
    count = prepare_filtered (self->db, filter, &sql, error,
                              "SELECT COALESCE (SUM (n), 0) FROM attempt_counts%s",
                              filter->state >= 0 ? " WHERE state = :state" : "");
  else
    count = prepare_filtered (self->db, filter, &sql, error,
                              "SELECT count(*) FROM attempts WHERE %s", sql.where);

  if (count == NULL ||
      !(max_id = prepare (self->db, "SELECT COALESCE (MAX (id), 0) FROM attempts", error)) ||
      !step_int64 (self->db, count, &result[0], error) ||
      !step_int64 (self->db, max_id, &result[1], error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

static gpointer
locate_attempt_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 *result = g_new0 (gint64, 1);

  filter_sql_init (&sql, &args->filter);

  /* For a new row, rows with a higher id were inserted after it: their "attempt-added" comes
   * later, so they are not counted yet. */
  stmt = prepare_filtered (self->db, &args->filter, &sql, error,
                           "SELECT count(*) FROM attempts WHERE %s"
                           " AND created >= :c AND (created > :c OR id > :i)%s", sql.where,
                           args->added ? " AND id < :i" : "");
  if (stmt != NULL)
    {
      bind_named_int64 (stmt, ":c", saoma_attempt_get_created (args->attempt));
      bind_named_int64 (stmt, ":i", saoma_attempt_get_id (args->attempt));
    }

  if (stmt == NULL || !step_int64 (self->db, stmt, result, error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

/* On the read thread. */
static gpointer
sum_amount_op (SaomaLedger   *self,
               const OpArgs  *args,
               GPtrArray     *emits,
               GError       **error)
{
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 *result = g_new0 (gint64, 1);

  filter_sql_init (&sql, &args->filter);
  stmt = prepare_filtered (self->reader, &args->filter, &sql, error,
                           "SELECT COALESCE (SUM (amount), 0) FROM attempts"
                           " WHERE %s AND state = :sum_state", sql.where);
  if (stmt != NULL)
    bind_named_text (stmt, ":sum_state", saoma_attempt_state_to_string (args->sum_state));

  if (stmt == NULL || !step_int64 (self->reader, stmt, result, error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

#define KEY_AT_OR_AFTER " AND created <= :c AND (created < :c OR id <= :i)"

static void
bind_key (sqlite3_stmt        *stmt,
          const SaomaStoreKey *key)
{
  bind_named_int64 (stmt, ":c", key->created);
  bind_named_int64 (stmt, ":i", key->id);
}

/* On the read thread: the page of args->n rows at args->start, read from the anchor the
 * caller knows (the nearest key at or before start). Far from any anchor, one pass over the
 * covering index records a key every args->n rows on the way, which the caller keeps, so the
 * walk is paid once. */
static gpointer
fetch_attempts_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  const SaomaStoreFilter *filter = &args->filter;
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(SaomaStorePage) page = g_new0 (SaomaStorePage, 1);
  SaomaStoreKey from = args->anchor;
  gboolean has_from = args->has_anchor;
  guint n = MAX (args->n, 1);
  guint offset;
  int rc;

  page->start = args->start;
  page->items = g_ptr_array_new_with_free_func (g_object_unref);
  page->keys = g_array_new (FALSE, FALSE, sizeof (SaomaStoreKey));
  filter_sql_init (&sql, filter);

  if (sqlite3_exec (self->reader, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, self->reader, "Cannot read the history");
      return NULL;
    }

  offset = args->start - (has_from ? from.pos : 0);
  if (offset > 4 * n)
    {
      guint pos = has_from ? from.pos : 0;
      SaomaStoreKey last = from;
      gboolean has_last = has_from;

      stmt = prepare_filtered (self->reader, filter, &sql, error,
                               "SELECT created, id FROM attempts WHERE %s%s"
                               " ORDER BY created DESC, id DESC",
                               sql.where, has_from ? KEY_AT_OR_AFTER : "");
      if (stmt == NULL)
        goto failed;
      if (has_from)
        bind_key (stmt, &from);

      while (pos <= args->start && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          if (pos % n == 0 || pos == args->start)
            {
              SaomaStoreKey key = { sqlite3_column_int64 (stmt, 0),
                                    sqlite3_column_int64 (stmt, 1), pos };

              g_array_append_val (page->keys, key);
              last = key;
              has_last = TRUE;
            }
          pos++;
        }
      g_clear_pointer (&stmt, sqlite3_finalize);

      from = last;
      has_from = has_last;
      offset = args->start - (has_from ? from.pos : 0);
    }

  stmt = prepare_filtered (self->reader, filter, &sql, error,
                           "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                           " WHERE %s%s ORDER BY created DESC, id DESC LIMIT :n OFFSET :o",
                           sql.where, has_from ? KEY_AT_OR_AFTER : "");
  if (stmt == NULL)
    goto failed;
  if (has_from)
    bind_key (stmt, &from);
  bind_named_int64 (stmt, ":n", n);
  bind_named_int64 (stmt, ":o", offset);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (page->items, saoma_ledger_attempt_from_stmt (stmt));

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, self->reader, "Cannot read the history");
      goto failed;
    }

  if (page->items->len > 0)
    {
      SaomaAttempt *first = g_ptr_array_index (page->items, 0);
      SaomaStoreKey key = { saoma_attempt_get_created (first), saoma_attempt_get_id (first),
                            args->start };

      g_array_append_val (page->keys, key);
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_exec (self->reader, "COMMIT", NULL, NULL, NULL);

  return g_steal_pointer (&page);

failed:
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_exec (self->reader, "ROLLBACK", NULL, NULL, NULL);
  return NULL;
}

/* SaomaStore */

static void
snapshot_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  SaomaStoreSnapshot *snapshot;

  snapshot = saoma_ledger_snapshot_new (SAOMA_LEDGER (source_object), &error);
  if (snapshot == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, snapshot, g_object_unref);
}

static void
ledger_open_snapshot_async (SaomaStore          *store,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, ledger_open_snapshot_async);
  g_task_run_in_thread (task, snapshot_worker);
}

static SaomaStoreSnapshot *
ledger_open_snapshot_finish (SaomaStore    *store,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ledger_count_attempts_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  queue_op (SAOMA_LEDGER (store), count_attempts_op, &(OpArgs) { .filter = *filter }, g_free,
            ledger_count_attempts_async, cancellable, callback, user_data);
}

static gboolean
ledger_count_attempts_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              guint         *out_n_items,
                              gint64        *out_newest_id,
                              GError       **error)
{
  g_autofree gint64 *counts = finish_op (SAOMA_LEDGER (store), result,
                                         ledger_count_attempts_async, error);

  if (counts == NULL)
    return FALSE;

  if (out_n_items != NULL)
    *out_n_items = (guint) CLAMP (counts[0], 0, G_MAXUINT);
  if (out_newest_id != NULL)
    *out_newest_id = counts[1];

  return TRUE;
}

static void
ledger_fetch_attempts_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             const SaomaStoreKey    *anchor,
                             guint                   start,
                             guint                   n,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  SaomaLedger *self = SAOMA_LEDGER (store);

  queue_op_on (self, self->read_pool, fetch_attempts_op,
               &(OpArgs) { .filter = *filter, .anchor = anchor ? *anchor : (SaomaStoreKey) { 0 },
                           .has_anchor = anchor != NULL, .start = start, .n = n },
               (GDestroyNotify) saoma_store_page_free, ledger_fetch_attempts_async, cancellable,
               callback, user_data);
}

static SaomaStorePage *
ledger_fetch_attempts_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_op (SAOMA_LEDGER (store), result, ledger_fetch_attempts_async, error);
}

static void
ledger_locate_attempt_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             SaomaAttempt           *attempt,
                             gboolean                added,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  queue_op (SAOMA_LEDGER (store), locate_attempt_op,
            &(OpArgs) { .filter = *filter, .attempt = attempt, .added = added }, g_free,
            ledger_locate_attempt_async, cancellable, callback, user_data);
}

static gboolean
ledger_locate_attempt_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              guint         *out_position,
                              GError       **error)
{
  g_autofree gint64 *pos = finish_op (SAOMA_LEDGER (store), result, ledger_locate_attempt_async,
                                      error);

  if (pos == NULL)
    return FALSE;

  if (out_position != NULL)
    *out_position = (guint) CLAMP (*pos, 0, G_MAXUINT);

  return TRUE;
}

static void
ledger_sum_amount_async (SaomaStore             *store,
                         const SaomaStoreFilter *filter,
                         SaomaAttemptState       state,
                         GCancellable           *cancellable,
                         GAsyncReadyCallback     callback,
                         gpointer                user_data)
{
  SaomaLedger *self = SAOMA_LEDGER (store);

  queue_op_on (self, self->read_pool, sum_amount_op,
               &(OpArgs) { .filter = *filter, .sum_state = state }, g_free,
               ledger_sum_amount_async, cancellable, callback, user_data);
}

static gboolean
ledger_sum_amount_finish (SaomaStore    *store,
                          GAsyncResult  *result,
                          gint64        *out_sum,
                          GError       **error)
{
  g_autofree gint64 *sum = finish_op (SAOMA_LEDGER (store), result, ledger_sum_amount_async,
                                      error);

  if (sum == NULL)
    return FALSE;

  if (out_sum != NULL)
    *out_sum = *sum;

  return TRUE;
}

/* The rest of SaomaStore is the ledger's own API. */

static void
ledger_insert_attempt_async (SaomaStore          *store,
                             SaomaAttempt        *attempt,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  saoma_ledger_insert_attempt_async (SAOMA_LEDGER (store), attempt, cancellable, callback, user_data);
}

static SaomaAttempt       *
ledger_insert_attempt_finish (SaomaStore   *store,
                              GAsyncResult *result,
                              GError       **error)
{
  return saoma_ledger_insert_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_update_attempt_async (SaomaStore               *store,
                             const char               *out_trade_no,
                             const SaomaAttemptUpdate *update,
                             GCancellable             *cancellable,
                             GAsyncReadyCallback      callback,
                             gpointer                 user_data)
{
  saoma_ledger_update_attempt_async (SAOMA_LEDGER (store), out_trade_no, update, cancellable, callback, user_data);
}

static SaomaAttempt       *
ledger_update_attempt_finish (SaomaStore   *store,
                              GAsyncResult *result,
                              GError       **error)
{
  return saoma_ledger_update_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_get_attempt_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  saoma_ledger_get_attempt_async (SAOMA_LEDGER (store), out_trade_no, cancellable, callback, user_data);
}

static SaomaAttempt       *
ledger_get_attempt_finish (SaomaStore   *store,
                           GAsyncResult *result,
                           GError       **error)
{
  return saoma_ledger_get_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_append_event_async (SaomaStore          *store,
                           const char          *out_trade_no,
                           const char          *kind,
                           const char          *detail,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_ledger_append_event_async (SAOMA_LEDGER (store), out_trade_no, kind, detail, cancellable, callback, user_data);
}

static gboolean
ledger_append_event_finish (SaomaStore   *store,
                            GAsyncResult *result,
                            GError       **error)
{
  return saoma_ledger_append_event_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_events_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  saoma_ledger_list_events_async (SAOMA_LEDGER (store), out_trade_no, cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_events_finish (SaomaStore   *store,
                           GAsyncResult *result,
                           GError       **error)
{
  return saoma_ledger_list_events_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_unfinished_async (SaomaStore          *store,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  saoma_ledger_list_unfinished_async (SAOMA_LEDGER (store), cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_unfinished_finish (SaomaStore   *store,
                               GAsyncResult *result,
                               GError       **error)
{
  return saoma_ledger_list_unfinished_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_range_async (SaomaStore          *store,
                         gint64              start_us,
                         gint64              end_us,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  saoma_ledger_list_range_async (SAOMA_LEDGER (store), start_us, end_us, cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_range_finish (SaomaStore   *store,
                          GAsyncResult *result,
                          GError       **error)
{
  return saoma_ledger_list_range_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_insert_refund_async (SaomaStore          *store,
                            const char          *out_trade_no,
                            const char          *out_refund_no,
                            gint64              amount,
                            const char          *reason,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  saoma_ledger_insert_refund_async (SAOMA_LEDGER (store), out_trade_no, out_refund_no, amount, reason, cancellable, callback, user_data);
}

static SaomaLedgerRefund  *
ledger_insert_refund_finish (SaomaStore   *store,
                             GAsyncResult *result,
                             GError       **error)
{
  return saoma_ledger_insert_refund_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_update_refund_async (SaomaStore          *store,
                            const char          *out_refund_no,
                            SaomaRefundState    state,
                            const char          *refund_id,
                            const char          *event_detail,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  saoma_ledger_update_refund_async (SAOMA_LEDGER (store), out_refund_no, state, refund_id, event_detail, cancellable, callback, user_data);
}

static SaomaLedgerRefund  *
ledger_update_refund_finish (SaomaStore   *store,
                             GAsyncResult *result,
                             GError       **error)
{
  return saoma_ledger_update_refund_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_refunds_async (SaomaStore          *store,
                           const char          *out_trade_no,
                           gint64              start_us,
                           gint64              end_us,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_ledger_list_refunds_async (SAOMA_LEDGER (store), out_trade_no, start_us, end_us, cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_refunds_finish (SaomaStore   *store,
                            GAsyncResult *result,
                            GError       **error)
{
  return saoma_ledger_list_refunds_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_unfinished_refunds_async (SaomaStore          *store,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  saoma_ledger_list_unfinished_refunds_async (SAOMA_LEDGER (store), cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_unfinished_refunds_finish (SaomaStore   *store,
                                       GAsyncResult *result,
                                       GError       **error)
{
  return saoma_ledger_list_unfinished_refunds_finish (SAOMA_LEDGER (store), result, error);
}

static void
store_iface_init (SaomaStoreInterface *iface)
{
  iface->insert_attempt_async = ledger_insert_attempt_async;
  iface->insert_attempt_finish = ledger_insert_attempt_finish;
  iface->update_attempt_async = ledger_update_attempt_async;
  iface->update_attempt_finish = ledger_update_attempt_finish;
  iface->get_attempt_async = ledger_get_attempt_async;
  iface->get_attempt_finish = ledger_get_attempt_finish;
  iface->append_event_async = ledger_append_event_async;
  iface->append_event_finish = ledger_append_event_finish;
  iface->list_events_async = ledger_list_events_async;
  iface->list_events_finish = ledger_list_events_finish;
  iface->list_unfinished_async = ledger_list_unfinished_async;
  iface->list_unfinished_finish = ledger_list_unfinished_finish;
  iface->list_range_async = ledger_list_range_async;
  iface->list_range_finish = ledger_list_range_finish;
  iface->insert_refund_async = ledger_insert_refund_async;
  iface->insert_refund_finish = ledger_insert_refund_finish;
  iface->update_refund_async = ledger_update_refund_async;
  iface->update_refund_finish = ledger_update_refund_finish;
  iface->list_refunds_async = ledger_list_refunds_async;
  iface->list_refunds_finish = ledger_list_refunds_finish;
  iface->list_unfinished_refunds_async = ledger_list_unfinished_refunds_async;
  iface->list_unfinished_refunds_finish = ledger_list_unfinished_refunds_finish;
  iface->open_snapshot_async = ledger_open_snapshot_async;
  iface->open_snapshot_finish = ledger_open_snapshot_finish;
  iface->count_attempts_async = ledger_count_attempts_async;
  iface->count_attempts_finish = ledger_count_attempts_finish;
  iface->fetch_attempts_async = ledger_fetch_attempts_async;
  iface->fetch_attempts_finish = ledger_fetch_attempts_finish;
  iface->locate_attempt_async = ledger_locate_attempt_async;
  iface->locate_attempt_finish = ledger_locate_attempt_finish;
  iface->sum_amount_async = ledger_sum_amount_async;
  iface->sum_amount_finish = ledger_sum_amount_finish;
}
