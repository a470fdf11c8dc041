/* saoma-ledger-private.h: shared between the ledger's files, its model and the ledger tests. */
#pragma once

#include <sqlite3.h>

#include "saoma-ledger.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* The columns saoma_ledger_attempt_from_stmt() expects, in order. */
#define SAOMA_LEDGER_ATTEMPT_COLUMNS \
  "id, out_trade_no, amount, description, till_id, created, updated, expires, state, " \
  "transaction_id, code_url, refunded, paid_at, late, request, method, owner, heartbeat"

#define SAOMA_LEDGER_REFUND_COLUMNS \
  "id, out_refund_no, out_trade_no, amount, reason, state, refund_id, created, updated, succeeded"
#define SAOMA_LEDGER_EVENT_COLUMNS "id, time, out_trade_no, kind, detail"
#define SAOMA_LEDGER_UNFINISHED_STATES "('CREATED', 'SUBMITTED', 'WAITING', 'UNKNOWN', 'CLOSING')"
#define SAOMA_LEDGER_UNFINISHED_REFUND_STATES "('CREATED', 'UNKNOWN', 'PROCESSING')"

SaomaAttempt      *saoma_ledger_attempt_from_stmt (sqlite3_stmt *stmt);
SaomaLedgerRefund *saoma_ledger_refund_from_stmt  (sqlite3_stmt *stmt);
SaomaLedgerEvent  *saoma_ledger_event_from_stmt   (sqlite3_stmt *stmt);
/* A new read-only connection to the ledger's file (WAL: reads never wait for the writer). */
sqlite3      *saoma_ledger_open_reader           (SaomaLedger  *self,
                                                  GError      **error);
void          saoma_ledger_set_sqlite_error      (GError      **error,
                                                  sqlite3      *db,
                                                  const char   *what);
/* The schema: migration @version (1-based) and the newest version this build knows. */
const char   *saoma_ledger_migration_sql         (guint         version);
guint         saoma_ledger_schema_version        (void);

void          saoma_attempt_set_previous         (SaomaAttempt *self,
                                                  SaomaAttempt *previous);

/* The ledger's internals, shared by its per-table files (saoma-ledger.c: opening, the write
 * queue and the statement cache; -schema, -attempts, -refunds, -events; -store). */

#include "saoma-flow.h"
#include "saoma-store.h"

/* Rows per statement of a bulk insert (see saoma_ledger_insert_many_sync()). */
#define LEDGER_BULK_ROWS 32

/* Every statement the write connection runs. */
typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_INSERT_EVENT,
  STMT_LOAD_ATTEMPT,
  STMT_LOAD_REFUND,
  STMT_INSERT_ATTEMPT,
  STMT_INSERT_ATTEMPTS_BULK,
  STMT_INSERT_EVENTS_BULK,
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
  STMT_LIST_UNDECIDED_LATE_ATTEMPTS,
  /* Leases (saoma-ledger-leases.c): per kind, attempts then refunds. */
  STMT_LIST_ATTEMPT_LEASES,
  STMT_LIST_REFUND_LEASES,
  STMT_CLAIM_ATTEMPT,
  STMT_CLAIM_REFUND,
  STMT_RENEW_ATTEMPT,
  STMT_RENEW_REFUND,
  STMT_RELEASE_ATTEMPT,
  STMT_RELEASE_REFUND,
  STMT_INSERT_FENCED_ATTEMPT_EVENT,
  STMT_INSERT_FENCED_REFUND_EVENT,
  N_STMTS
} StmtId;

/* A cached statement borrowed for one use: g_autoptr resets it (and drops its bindings) at
 * the end of the scope instead of finalizing it. */
typedef sqlite3_stmt CachedStmt;

static inline void
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
  ATTEMPT_ADDED,
  ATTEMPT_CHANGED,
  REFUND_CHANGED,
  N_SIGNALS
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
  /* Leases. */
  const char         *owner;
  SaomaLeaseKind      lease_kind;
  const char         *lease_key;   /* a fenced event's row */
  SaomaLeaseChange    lease_change;
  GPtrArray          *leases;      /* SaomaLedgerLease */
} OpArgs;

typedef gpointer (*LedgerOpFunc) (SaomaLedger  *self,
                                  const OpArgs *args,
                                  GPtrArray    *emits,
                                  GError      **error);

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

/* The lists: one cached statement each, and what its rows are. */
struct _ListQuery
{
  StmtId         stmt;
  const RowType *rows;
};

/* Every _finish returns what its op returned, for a task of its own _async. */
#define LEDGER_DEFINE_FINISH(name, Type)                                       \
  Type                                                                         \
  saoma_ledger_##name##_finish (SaomaLedger   *self,                           \
                                GAsyncResult  *result,                         \
                                GError       **error)                          \
  {                                                                            \
    return ledger_finish_op (self, result, saoma_ledger_##name##_async, error); \
  }

gboolean ledger_begin (SaomaLedger *self,
                       GError      **error);
void ledger_bind_all (sqlite3_stmt *stmt,
                      const char   *types,
                      ...);
void ledger_bind_text (sqlite3_stmt *stmt,
                       int          col,
                       const char   *text);
CachedStmt *ledger_cached (SaomaLedger *self,
                           StmtId      id,
                           GError      **error);
CachedStmt *ledger_cached_bind (SaomaLedger *self,
                                StmtId      id,
                                GError      **error,
                                const char  *types,
                                ...);
gboolean ledger_check_transition (SaomaFlow  flow,
                                  const char *key,
                                  int        from,
                                  int        to,
                                  GError     **error);
char *ledger_column_dup (sqlite3_stmt *stmt,
                         int          col);
gboolean ledger_commit (SaomaLedger *self,
                        GError      **error);
void ledger_emits_add (GPtrArray *emits,
                       guint     signal,
                       gpointer  arg);
gboolean ledger_exec_sql (sqlite3    *db,
                          const char *sql,
                          GError     **error);
gpointer ledger_finish_op (SaomaLedger  *self,
                           GAsyncResult *result,
                           gpointer     source_tag,
                           GError       **error);
gboolean ledger_insert_event (SaomaLedger *self,
                              gint64      time,
                              const char  *out_trade_no,
                              const char  *kind,
                              const char  *detail,
                              GError      **error);
gpointer ledger_list_op (SaomaLedger  *self,
                         const OpArgs *args,
                         GPtrArray    *emits,
                         GError       **error);
SaomaAttempt *ledger_load_attempt (SaomaLedger *self,
                                   const char  *out_trade_no,
                                   GError      **error);
sqlite3_stmt *ledger_prepare (sqlite3    *db,
                              const char *sql,
                              GError     **error);
sqlite3_stmt *ledger_prepare_bind (sqlite3    *db,
                                   GError     **error,
                                   const char *sql,
                                   const char *types,
                                   ...);
void ledger_queue_list (SaomaLedger         *self,
                        const OpArgs        *args,
                        gpointer            source_tag,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data);
void ledger_queue_op (SaomaLedger         *self,
                      LedgerOpFunc        func,
                      const OpArgs        *args,
                      GDestroyNotify      result_free,
                      gpointer            source_tag,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data);
void ledger_queue_op_on (SaomaLedger         *self,
                         GThreadPool         *pool,
                         LedgerOpFunc        func,
                         const OpArgs        *args,
                         GDestroyNotify      result_free,
                         gpointer            source_tag,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data);
gpointer ledger_read_one (sqlite3       *db,
                          CachedStmt    *stmt,
                          const RowType *type,
                          const char    *key,
                          GError        **error);
GPtrArray *ledger_read_rows (sqlite3       *db,
                             CachedStmt    *stmt,
                             const RowType *type,
                             GError        **error);
void ledger_rollback (SaomaLedger *self);
gpointer ledger_run_op (SaomaLedger  *self,
                        LedgerOpFunc func,
                        const OpArgs *args,
                        GError       **error);
void ledger_set_insert_error (sqlite3    *db,
                              GError     **error,
                              const char *noun,
                              const char *key,
                              const char *what);
gboolean ledger_step_done (sqlite3      *db,
                           sqlite3_stmt *stmt,
                           const char   *what,
                           GError       **error);
gboolean ledger_write_attempt_row (SaomaLedger       *self,
                                   SaomaAttempt      *old,
                                   const char        *fence,
                                   SaomaAttemptState state,
                                   const char        *transaction_id,
                                   const char        *code_url,
                                   gint64            refunded,
                                   gint64            paid_at,
                                   gboolean          late,
                                   gint64            now,
                                   GError            **error);
gboolean ledger_has_observers (SaomaLedger *self,
                               guint        signal);
gboolean saoma_ledger_migrate (sqlite3 *db,
                               GError  **error);
gboolean saoma_ledger_set_wal_mode (sqlite3 *db,
                                    GError  **error);
void saoma_ledger_store_iface_init (SaomaStoreInterface *iface);

G_END_DECLS
