/* saoma-ledger-snapshot.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-ledger-private.h"
#include "saoma-ledger-snapshot.h"

/*
 * A read transaction on a WAL database sees the file as it was at its first read, for as long
 * as it lasts, and never blocks the writer: that is the whole snapshot. It lasts until the
 * object is finalized (the connection is closed then).
 */
struct _SaomaLedgerSnapshot
{
  SaomaStoreSnapshot  parent_instance;

  sqlite3            *db;
};

G_DEFINE_FINAL_TYPE (SaomaLedgerSnapshot, saoma_ledger_snapshot, SAOMA_TYPE_STORE_SNAPSHOT)

static sqlite3_stmt *
prepare_range (SaomaLedgerSnapshot  *self,
               const char           *sql,
               gint64                start_us,
               gint64                end_us,
               GError              **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot read the ledger");
      return NULL;
    }

  if (start_us != 0 || end_us != 0)
    {
      sqlite3_bind_int64 (stmt, 1, start_us);
      sqlite3_bind_int64 (stmt, 2, end_us);
    }

  return stmt;
}

typedef gpointer (*ReadRow) (sqlite3_stmt *stmt);

static GPtrArray *
read_all (SaomaLedgerSnapshot  *self,
          sqlite3_stmt         *stmt,
          ReadRow               read,
          GDestroyNotify        free_func,
          GError              **error)
{
  g_autoptr(sqlite3_stmt) owned = stmt;
  g_autoptr(GPtrArray) rows = NULL;
  int rc;

  if (owned == NULL)
    return NULL;

  rows = g_ptr_array_new_with_free_func (free_func);
  while ((rc = sqlite3_step (owned)) == SQLITE_ROW)
    g_ptr_array_add (rows, read (owned));

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot read the ledger");
      return NULL;
    }

  return g_steal_pointer (&rows);
}

static gboolean
saoma_ledger_snapshot_foreach_attempt (SaomaStoreSnapshot     *snapshot,
                                       gint64                  start_us,
                                       gint64                  end_us,
                                       SaomaStoreAttemptFunc   func,
                                       gpointer                user_data,
                                       GCancellable           *cancellable,
                                       GError                **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint n = 0;
  int rc;

  stmt = prepare_range (self, "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                        " WHERE created >= ?1 AND created < ?2 ORDER BY created, id",
                        start_us, end_us, error);
  if (stmt == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(SaomaAttempt) attempt = saoma_ledger_attempt_from_stmt (stmt);

      if ((++n % 1024) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (!func (attempt, user_data, error))
        return FALSE;
    }

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot read attempts");
      return FALSE;
    }

  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static GPtrArray *
saoma_ledger_snapshot_list_unfinished (SaomaStoreSnapshot  *snapshot,
                                       GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);

  return read_all (self,
                   prepare_range (self, "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                                  " WHERE state IN " SAOMA_LEDGER_UNFINISHED_STATES
                                  " ORDER BY created, id", 0, 0, error),
                   (ReadRow) saoma_ledger_attempt_from_stmt, g_object_unref, error);
}

static GPtrArray *
saoma_ledger_snapshot_list_refunds (SaomaStoreSnapshot  *snapshot,
                                    gint64               start_us,
                                    gint64               end_us,
                                    GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);

  return read_all (self,
                   prepare_range (self, "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds"
                                  " WHERE created >= ?1 AND created < ?2 ORDER BY created, id",
                                  start_us, end_us, error),
                   (ReadRow) saoma_ledger_refund_from_stmt,
                   (GDestroyNotify) saoma_ledger_refund_free, error);
}

static GPtrArray *
saoma_ledger_snapshot_list_refunds_succeeded (SaomaStoreSnapshot  *snapshot,
                                              gint64               start_us,
                                              gint64               end_us,
                                              GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);

  return read_all (self,
                   prepare_range (self, "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds"
                                  " WHERE state = 'SUCCESS' AND succeeded >= ?1"
                                  " AND succeeded < ?2 ORDER BY succeeded, id",
                                  start_us, end_us, error),
                   (ReadRow) saoma_ledger_refund_from_stmt,
                   (GDestroyNotify) saoma_ledger_refund_free, error);
}

static GPtrArray *
saoma_ledger_snapshot_list_till_events (SaomaStoreSnapshot  *snapshot,
                                        const char          *kind,
                                        GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);
  sqlite3_stmt *stmt;

  stmt = prepare_range (self, "SELECT " SAOMA_LEDGER_EVENT_COLUMNS " FROM events"
                        " WHERE out_trade_no IS NULL AND kind = ?1 ORDER BY id", 0, 0, error);
  if (stmt != NULL)
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_TRANSIENT);

  return read_all (self, stmt, (ReadRow) saoma_ledger_event_from_stmt,
                   (GDestroyNotify) saoma_ledger_event_free, error);
}

static SaomaAttempt *
saoma_ledger_snapshot_get_attempt (SaomaStoreSnapshot  *snapshot,
                                   const char          *out_trade_no,
                                   GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3_stmt *stmt;

  stmt = prepare_range (self, "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                        " WHERE out_trade_no = ?1", 0, 0, error);
  if (stmt != NULL)
    sqlite3_bind_text (stmt, 1, out_trade_no, -1, SQLITE_TRANSIENT);

  rows = read_all (self, stmt, (ReadRow) saoma_ledger_attempt_from_stmt, g_object_unref, error);
  if (rows == NULL || rows->len == 0)
    return NULL;

  return g_object_ref (g_ptr_array_index (rows, 0));
}

static GPtrArray *
saoma_ledger_snapshot_list_refunds_of (SaomaStoreSnapshot  *snapshot,
                                       const char          *out_trade_no,
                                       GError             **error)
{
  SaomaLedgerSnapshot *self = SAOMA_LEDGER_SNAPSHOT (snapshot);
  sqlite3_stmt *stmt;

  stmt = prepare_range (self, "SELECT " SAOMA_LEDGER_REFUND_COLUMNS " FROM refunds"
                        " WHERE out_trade_no = ?1 ORDER BY created, id", 0, 0, error);
  if (stmt != NULL)
    sqlite3_bind_text (stmt, 1, out_trade_no, -1, SQLITE_TRANSIENT);

  return read_all (self, stmt, (ReadRow) saoma_ledger_refund_from_stmt,
                   (GDestroyNotify) saoma_ledger_refund_free, error);
}

static void
saoma_ledger_snapshot_finalize (GObject *object)
{
  SaomaLedgerSnapshot *self = (SaomaLedgerSnapshot *)object;

  if (self->db != NULL)
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      sqlite3_close_v2 (self->db);
    }

  G_OBJECT_CLASS (saoma_ledger_snapshot_parent_class)->finalize (object);
}

static void
saoma_ledger_snapshot_class_init (SaomaLedgerSnapshotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  SaomaStoreSnapshotClass *snapshot_class = SAOMA_STORE_SNAPSHOT_CLASS (klass);

  object_class->finalize = saoma_ledger_snapshot_finalize;
  snapshot_class->foreach_attempt = saoma_ledger_snapshot_foreach_attempt;
  snapshot_class->list_unfinished = saoma_ledger_snapshot_list_unfinished;
  snapshot_class->list_refunds = saoma_ledger_snapshot_list_refunds;
  snapshot_class->list_refunds_succeeded = saoma_ledger_snapshot_list_refunds_succeeded;
  snapshot_class->list_till_events = saoma_ledger_snapshot_list_till_events;
  snapshot_class->get_attempt = saoma_ledger_snapshot_get_attempt;
  snapshot_class->list_refunds_of = saoma_ledger_snapshot_list_refunds_of;
}

static void
saoma_ledger_snapshot_init (SaomaLedgerSnapshot *self)
{
}

/**
 * saoma_ledger_snapshot_new:
 *
 * Returns: (transfer full): a snapshot of @ledger as committed now, or %NULL with @error set
 */
SaomaStoreSnapshot *
saoma_ledger_snapshot_new (SaomaLedger  *ledger,
                           GError      **error)
{
  g_autoptr(SaomaLedgerSnapshot) self = g_object_new (SAOMA_TYPE_LEDGER_SNAPSHOT, NULL);

  if (!(self->db = saoma_ledger_open_reader (ledger, error)))
    return NULL;

  /* BEGIN is deferred: the first read is what fixes the snapshot, so read now. */
  if (sqlite3_exec (self->db, "BEGIN; SELECT count(*) FROM attempts WHERE id = 0", NULL, NULL,
                    NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot take a snapshot of the ledger");
      return NULL;
    }

  return SAOMA_STORE_SNAPSHOT (g_steal_pointer (&self));
}
