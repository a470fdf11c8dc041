/* saoma-ledger-schema.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include <glib.h>

#include "saoma-ledger-private.h"

/* The schema: one migration per user_version, applied under the write lock. */

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

  /* 7: the owner lease (DESIGN.md, "Ownership"): which engine drives an unfinished attempt or
   * refund, and when it last said so (µs UTC). NULL owner: nobody (final, released, or from
   * before). */
  "ALTER TABLE attempts ADD COLUMN owner TEXT;"
  "ALTER TABLE attempts ADD COLUMN heartbeat INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE refunds ADD COLUMN owner TEXT;"
  "ALTER TABLE refunds ADD COLUMN heartbeat INTEGER NOT NULL DEFAULT 0;",

  /* 8: the late payments, a handful among a million attempts: the History banner's list of
   * those still waiting for a decision read the whole table (a quarter of a second at 1 M,
   * holding the write lock) each time History opened. */
  "CREATE INDEX attempts_late ON attempts (created) WHERE late = 1;",
};

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

/* Opening */

static gboolean
read_user_version (sqlite3  *db,
                   guint    *out_version,
                   GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!(stmt = ledger_prepare (db, "PRAGMA user_version", error)))
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
gboolean
saoma_ledger_migrate (sqlite3  *db,
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
gboolean
saoma_ledger_set_wal_mode (sqlite3  *db,
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
