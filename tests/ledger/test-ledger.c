/* test-ledger.c: the SQLite ledger on real files. */

#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ledger/saoma-flow.h"
#include "ledger/saoma-ledger.h"
#include "ledger/saoma-ledger-private.h"

#define T0 G_GINT64_CONSTANT (1790000000000000) /* a fixed instant, µs UTC */

typedef struct
{
  char        *dir;
  char        *path;
  SaomaLedger *ledger;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->ledger);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;

  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_dir (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->ledger);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static SaomaAttempt *
insert (SaomaLedger *ledger,
        const char  *out_trade_no,
        gint64       amount,
        gint64       created)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttempt *stored;

  attempt = saoma_attempt_new (out_trade_no, amount, "咖啡", "till-1", created,
                               created + 300 * G_USEC_PER_SEC);
  stored = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);

  return stored;
}

static SaomaAttempt *
set_state (SaomaLedger       *ledger,
           const char        *out_trade_no,
           SaomaAttemptState  state,
           GError           **error)
{
  SaomaAttemptUpdate update = { .state = state };

  return saoma_ledger_update_attempt_sync (ledger, out_trade_no, &update, error);
}

static guint
count_events (SaomaLedger *ledger,
              const char  *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = saoma_ledger_list_events_sync (ledger, out_trade_no, &error);

  g_assert_no_error (error);
  return events->len;
}

static void
test_state_names (void)
{
  for (SaomaAttemptState s = 0; s <= SAOMA_ATTEMPT_STATE_LAST; s++)
    {
      SaomaAttemptState back = -1;

      g_assert_true (saoma_attempt_state_from_string (saoma_attempt_state_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_false (saoma_attempt_state_from_string ("paid", &(SaomaAttemptState) { 0 }));
  g_assert_false (saoma_attempt_state_is_final (SAOMA_ATTEMPT_UNKNOWN));
  g_assert_false (saoma_attempt_state_is_final (SAOMA_ATTEMPT_CLOSING));
  g_assert_true (saoma_attempt_state_is_final (SAOMA_ATTEMPT_PAID));
  g_assert_true (saoma_attempt_state_is_final (SAOMA_ATTEMPT_CLOSED));
  g_assert_true (saoma_attempt_state_is_final (SAOMA_ATTEMPT_FAILED));

  for (SaomaRefundState s = SAOMA_REFUND_CREATED; s <= SAOMA_REFUND_FAILED; s++)
    {
      SaomaRefundState back = -1;

      g_assert_true (saoma_refund_state_from_string (saoma_refund_state_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_false (saoma_refund_state_is_final (SAOMA_REFUND_PROCESSING));
  g_assert_true (saoma_refund_state_is_final (SAOMA_REFUND_SUCCESS));
}

static char *
sql_text (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *ret = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    ret = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return ret;
}

static void
sql_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

/* The trigger-kept per-state counts agree with the table. */
static void
assert_counts_consistent (const char *path)
{
  g_autofree char *bad = sql_text (path,
                                   "SELECT count(*) FROM ("
                                   " SELECT state, count(*) AS n FROM attempts GROUP BY state"
                                   " EXCEPT SELECT state, n FROM attempt_counts WHERE n > 0)");
  g_autofree char *stale = sql_text (path,
                                     "SELECT count(*) FROM attempt_counts c WHERE n !="
                                     " (SELECT count(*) FROM attempts a WHERE a.state = c.state)");

  g_assert_cmpstr (bad, ==, "0");
  g_assert_cmpstr (stale, ==, "0");
}

/* The History banner's late payments are read through an index of the few late rows, not by
 * a scan of every attempt (a quarter of a second at 1 M attempts, under the write lock). */
static void
test_late_index (Fixture       *f,
                 gconstpointer  data)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GString) plan = g_string_new (NULL);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT id FROM attempts"
                                       " WHERE late = 1 ORDER BY created, id", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_test_message ("%s", plan->str);
  g_assert_nonnull (strstr (plan->str, "USING INDEX attempts_late"));
  g_assert_null (strstr (plan->str, "TEMP B-TREE"));
}

static void
test_open_fresh (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *version = sql_text (f->path, "PRAGMA user_version");
  g_autofree char *mode = sql_text (f->path, "PRAGMA journal_mode");
  g_autofree char *expected = g_strdup_printf ("%u", saoma_ledger_schema_version ());

  g_assert_cmpstr (version, ==, expected);
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpstr (saoma_ledger_get_path (f->ledger), ==, f->path);
}

static void
test_migrate_from_v1 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "old.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *version = NULL;
  g_autofree char *expected = g_strdup_printf ("%u", saoma_ledger_schema_version ());
  g_autofree char *v1 = g_strconcat (saoma_ledger_migration_sql (1),
                                     "PRAGMA user_version = 1;", NULL);
  g_autofree char *index = NULL;

  g_assert_cmpuint (saoma_ledger_schema_version (), >=, 2);

  /* A file as the first release wrote it, with a paid attempt and its event. */
  sql_exec (path, v1);
  sql_exec (path,
            "INSERT INTO attempts (out_trade_no, amount, description, till_id, created,"
            " updated, expires, state, transaction_id) VALUES ('OLD1', 3850, '旧', 't',"
            " 1000, 2000, 3000, 'PAID', 'wx42');"
            "INSERT INTO events (time, out_trade_no, kind, detail) VALUES (1000, 'OLD1',"
            " 'transition', 'CREATED');"
            "UPDATE events SET detail = 'still mutable in v1';");

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  version = sql_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, expected);
  index = sql_text (path, "SELECT name FROM sqlite_master WHERE name = 'attempts_state_created'");
  g_assert_cmpstr (index, ==, "attempts_state_created");

  assert_counts_consistent (path);
  attempt = saoma_ledger_get_attempt_sync (ledger, "OLD1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_amount (attempt), ==, 3850);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpstr (saoma_attempt_get_transaction_id (attempt), ==, "wx42");
  g_assert_cmpstr (saoma_attempt_get_description (attempt), ==, "旧");

  /* v2 made the log append-only, for old rows too. */
  g_clear_object (&ledger);
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "UPDATE events SET detail = 'x'", NULL, NULL, NULL), !=,
                     SQLITE_OK);
    sqlite3_close (db);
  }

  remove_dir (dir);
}

/* Version 4 added each attempt's request: a file from before gets the column, its rows keep
 * NULL there (the engine derives their request as it used to), new rows store theirs. */
static void
test_migrate_request_column (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "v3.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaAttempt) old = NULL;
  g_autoptr(SaomaAttempt) fresh = NULL;
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) updated = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autofree char *before = NULL;
  g_autofree char *column = NULL;
  g_autofree char *version = NULL;
  g_autofree char *expected = g_strdup_printf ("%u", saoma_ledger_schema_version ());
  g_autofree char *null_requests = NULL;
  SaomaAttemptUpdate update = { .state = SAOMA_ATTEMPT_WAITING, .code_url = "weixin://x" };

  g_assert_cmpuint (saoma_ledger_schema_version (), >=, 4);

  /* A file as version 3 wrote it, with an attempt still in flight. */
  for (guint v = 1; v <= 3; v++)
    sql_exec (path, saoma_ledger_migration_sql (v));
  sql_exec (path,
            "PRAGMA user_version = 3;"
            "INSERT INTO attempts (out_trade_no, amount, description, till_id, created,"
            " updated, expires, state) VALUES ('OLD3', 1200, 'old', 't', 1000, 1000, 3000,"
            " 'UNKNOWN');");
  before = sql_text (path, "SELECT count(*) FROM pragma_table_info ('attempts')"
                           " WHERE name = 'request'");
  g_assert_cmpstr (before, ==, "0");

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  version = sql_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, expected);
  column = sql_text (path, "SELECT type FROM pragma_table_info ('attempts')"
                           " WHERE name = 'request'");
  g_assert_cmpstr (column, ==, "TEXT");
  null_requests = sql_text (path, "SELECT count(*) FROM attempts WHERE request IS NULL");
  g_assert_cmpstr (null_requests, ==, "1");
  assert_counts_consistent (path);

  old = saoma_ledger_get_attempt_sync (ledger, "OLD3", &error);
  g_assert_no_error (error);
  g_assert_null (saoma_attempt_get_request (old));
  g_assert_cmpint (saoma_attempt_get_state (old), ==, SAOMA_ATTEMPT_UNKNOWN);

  /* The ledger stores the engine's text as it is, and keeps it through updates. */
  fresh = saoma_attempt_new ("NEW4", 800, "new", "t", T0, T0 + 300 * G_USEC_PER_SEC);
  saoma_attempt_set_request (fresh, "[('body', 'a\\nb \\'q\\' ''), ('x', '=')]");
  stored = saoma_ledger_insert_attempt_sync (ledger, fresh, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_attempt_get_request (stored), ==,
                   saoma_attempt_get_request (fresh));
  updated = saoma_ledger_update_attempt_sync (ledger, "NEW4", &update, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_attempt_get_request (updated), ==,
                   saoma_attempt_get_request (fresh));
  unfinished = saoma_ledger_list_unfinished_sync (ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 2);
  g_assert_null (saoma_attempt_get_request (g_ptr_array_index (unfinished, 0)));
  g_assert_cmpstr (saoma_attempt_get_request (g_ptr_array_index (unfinished, 1)), ==,
                   saoma_attempt_get_request (fresh));

  g_clear_object (&ledger);
  remove_dir (dir);
}

/* Version 6 added the payment method: a file from version 5 opens, its rows read back as
 * NATIVE, and new rows keep the method they were given. */
static void
test_migrate_method_column (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "v5.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaAttempt) old = NULL;
  g_autoptr(SaomaAttempt) fresh = NULL;
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) got = NULL;
  g_autoptr(GPtrArray) range = NULL;
  g_autofree char *before = NULL;
  g_autofree char *column = NULL;
  g_autofree char *methods = NULL;
  SaomaPaymentMethod method = -1;

  g_assert_cmpuint (saoma_ledger_schema_version (), >=, 6);

  /* A file exactly as version 5 left it, with a paid attempt. */
  for (guint v = 1; v <= 5; v++)
    sql_exec (path, saoma_ledger_migration_sql (v));
  sql_exec (path,
            "PRAGMA user_version = 5;"
            "INSERT INTO attempts (out_trade_no, amount, description, till_id, created,"
            " updated, expires, state, transaction_id) VALUES ('OLD5', 990, 'old', 't', 1000,"
            " 1000, 3000, 'PAID', 'wx5');");
  before = sql_text (path, "SELECT count(*) FROM pragma_table_info ('attempts')"
                           " WHERE name = 'method'");
  g_assert_cmpstr (before, ==, "0");

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  column = sql_text (path, "SELECT type || ' ' || \"notnull\" || ' ' || dflt_value"
                           " FROM pragma_table_info ('attempts') WHERE name = 'method'");
  g_assert_cmpstr (column, ==, "TEXT 1 'NATIVE'");

  old = saoma_ledger_get_attempt_sync (ledger, "OLD5", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_method (old), ==, SAOMA_PAYMENT_METHOD_NATIVE);
  g_assert_cmpint (saoma_attempt_get_amount (old), ==, 990);
  g_assert_cmpstr (saoma_attempt_get_transaction_id (old), ==, "wx5");
  g_object_get (old, "method", &method, NULL);
  g_assert_cmpint (method, ==, SAOMA_PAYMENT_METHOD_NATIVE);

  fresh = saoma_attempt_new ("NEW6", 500, "付款码", "t", T0, T0 + 60 * G_USEC_PER_SEC);
  g_assert_cmpint (saoma_attempt_get_method (fresh), ==, SAOMA_PAYMENT_METHOD_NATIVE);
  saoma_attempt_set_method (fresh, SAOMA_PAYMENT_METHOD_MICROPAY);
  stored = saoma_ledger_insert_attempt_sync (ledger, fresh, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_method (stored), ==, SAOMA_PAYMENT_METHOD_MICROPAY);
  got = saoma_ledger_get_attempt_sync (ledger, "NEW6", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_method (got), ==, SAOMA_PAYMENT_METHOD_MICROPAY);

  range = saoma_ledger_list_range_sync (ledger, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 2);
  methods = sql_text (path, "SELECT group_concat (out_trade_no || '=' || method, ',')"
                            " FROM (SELECT * FROM attempts ORDER BY id)");
  g_assert_cmpstr (methods, ==, "OLD5=NATIVE,NEW6=MICROPAY");

  /* The column refuses a method this build does not know. */
  g_clear_object (&ledger);
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "UPDATE attempts SET method = 'CASH'", NULL, NULL, NULL),
                     !=, SQLITE_OK);
    sqlite3_close (db);
  }

  g_assert_cmpstr (saoma_payment_method_to_string (SAOMA_PAYMENT_METHOD_MICROPAY), ==,
                   "MICROPAY");
  g_assert_true (saoma_payment_method_from_string ("NATIVE", &method));
  g_assert_cmpint (method, ==, SAOMA_PAYMENT_METHOD_NATIVE);
  g_assert_false (saoma_payment_method_from_string ("native", &method));

  remove_dir (dir);
}

static void
test_too_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "new.db", NULL);
  g_autofree char *sql = g_strdup_printf ("CREATE TABLE future (x); PRAGMA user_version = %u",
                                          saoma_ledger_schema_version () + 1);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autofree char *tables = NULL;

  sql_exec (path, sql);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_TOO_NEW);
  g_assert_null (ledger);

  /* Nothing was touched. */
  tables = sql_text (path, "SELECT group_concat (name) FROM sqlite_master");
  g_assert_cmpstr (tables, ==, "future");

  remove_dir (dir);
}

static void
test_unique (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = insert (f->ledger, "T1", 100, T0);
  g_autoptr(SaomaAttempt) dup = saoma_attempt_new ("T1", 200, NULL, NULL, T0 + 1, T0 + 2);
  g_autoptr(SaomaAttempt) zero = saoma_attempt_new ("T2", 0, NULL, NULL, T0, T0);
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) got = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (saoma_attempt_get_id (a), >, 0);

  stored = saoma_ledger_insert_attempt_sync (f->ledger, dup, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_EXISTS);
  g_assert_null (stored);
  g_clear_error (&error);

  stored = saoma_ledger_insert_attempt_sync (f->ledger, zero, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  /* The original is untouched, with exactly its one creation event. */
  got = saoma_ledger_get_attempt_sync (f->ledger, "T1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_amount (got), ==, 100);
  g_assert_cmpuint (count_events (f->ledger, "T1"), ==, 1);
  g_assert_cmpuint (count_events (f->ledger, "T2"), ==, 0);

  g_clear_object (&got);
  got = saoma_ledger_get_attempt_sync (f->ledger, "NOPE", &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND);
  g_assert_null (got);
}

static void
test_transitions (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = insert (f->ledger, "T1", 3850, T0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  SaomaAttemptUpdate update = { 0 };
  SaomaAttempt *snap;
  SaomaLedgerEvent *ev;

  g_assert_cmpint (saoma_attempt_get_state (a), ==, SAOMA_ATTEMPT_CREATED);
  g_assert_cmpuint (count_events (f->ledger, "T1"), ==, 1);

  snap = set_state (f->ledger, "T1", SAOMA_ATTEMPT_SUBMITTED, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_SUBMITTED);
  g_assert_nonnull (saoma_attempt_get_previous (snap));
  g_assert_cmpint (saoma_attempt_get_state (saoma_attempt_get_previous (snap)), ==,
                   SAOMA_ATTEMPT_CREATED);
  g_object_unref (snap);
  g_assert_cmpuint (count_events (f->ledger, "T1"), ==, 2);

  update.state = SAOMA_ATTEMPT_WAITING;
  update.code_url = "weixin://wxpay/bizpayurl?pr=abc";
  update.event_kind = "response";
  update.event_detail = "unifiedorder → SUCCESS";
  snap = saoma_ledger_update_attempt_sync (f->ledger, "T1", &update, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_attempt_get_code_url (snap), ==, "weixin://wxpay/bizpayurl?pr=abc");
  g_object_unref (snap);
  g_assert_cmpuint (count_events (f->ledger, "T1"), ==, 3);

  update = (SaomaAttemptUpdate) { .state = SAOMA_ATTEMPT_PAID, .transaction_id = "4200001",
                                  .paid_at = T0 + 5 };
  snap = saoma_ledger_update_attempt_sync (f->ledger, "T1", &update, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpstr (saoma_attempt_get_transaction_id (snap), ==, "4200001");
  /* Unchanged fields stay. */
  g_assert_cmpstr (saoma_attempt_get_code_url (snap), ==, "weixin://wxpay/bizpayurl?pr=abc");
  g_assert_cmpint (saoma_attempt_get_paid_at (snap), ==, T0 + 5);
  g_assert_false (saoma_attempt_get_late (snap));
  g_object_unref (snap);

  /* Final: no way back, and the refusal writes nothing. */
  {
    g_autoptr(SaomaAttempt) other = insert (f->ledger, "T2", 100, T0);
    SaomaAttempt *refused = set_state (f->ledger, "T2", SAOMA_ATTEMPT_REFUNDED, &error);

    /* Nor can unpaid money be refunded. */
    g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
    g_assert_null (refused);
    g_clear_error (&error);
    g_assert_cmpuint (count_events (f->ledger, "T2"), ==, 1);
  }
  snap = set_state (f->ledger, "T1", SAOMA_ATTEMPT_CLOSED, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_null (snap);
  g_clear_error (&error);
  snap = set_state (f->ledger, "T1", SAOMA_ATTEMPT_WAITING, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  events = saoma_ledger_list_events_sync (f->ledger, "T1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 4);
  ev = g_ptr_array_index (events, 0);
  g_assert_cmpstr (ev->kind, ==, "transition");
  ev = g_ptr_array_index (events, 1);
  g_assert_cmpstr (ev->detail, ==, "CREATED → SUBMITTED");
  ev = g_ptr_array_index (events, 2);
  g_assert_cmpstr (ev->kind, ==, "response");
  g_assert_cmpstr (ev->detail, ==, "unifiedorder → SUCCESS");
  ev = g_ptr_array_index (events, 3);
  g_assert_cmpstr (ev->detail, ==, "WAITING → PAID");
  for (guint i = 1; i < events->len; i++)
    g_assert_cmpint (((SaomaLedgerEvent *)events->pdata[i])->id, >,
                     ((SaomaLedgerEvent *)events->pdata[i - 1])->id);

  /* An update of an unknown attempt. */
  snap = set_state (f->ledger, "NOPE", SAOMA_ATTEMPT_PAID, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND);
}

static void
test_late_payment (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = insert (f->ledger, "L1", 100, T0);
  g_autoptr(SaomaAttempt) b = insert (f->ledger, "F1", 100, T0);
  g_autoptr(GError) error = NULL;
  SaomaAttemptUpdate late = { .state = SAOMA_ATTEMPT_PAID, .late = TRUE,
                              .transaction_id = "wx-late", .event_kind = "notification",
                              .event_detail = "paid after close" };
  SaomaAttempt *snap;

  g_object_unref (set_state (f->ledger, "L1", SAOMA_ATTEMPT_CLOSING, &error));
  g_object_unref (set_state (f->ledger, "L1", SAOMA_ATTEMPT_CLOSED, &error));
  g_assert_no_error (error);
  snap = saoma_ledger_update_attempt_sync (f->ledger, "L1", &late, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_PAID);
  g_assert_true (saoma_attempt_get_late (snap));
  g_object_unref (snap);
  g_assert_cmpuint (count_events (f->ledger, "L1"), ==, 4);

  g_object_unref (set_state (f->ledger, "F1", SAOMA_ATTEMPT_FAILED, &error));
  g_assert_no_error (error);
  snap = saoma_ledger_update_attempt_sync (f->ledger, "F1", &late, &error);
  g_assert_no_error (error);
  g_object_unref (snap);

  /* A closed attempt cannot be refunded-into or reopened. */
  g_object_unref (set_state (f->ledger, "F1", SAOMA_ATTEMPT_PAID, &error));
  g_assert_no_error (error);
  snap = set_state (f->ledger, "F1", SAOMA_ATTEMPT_CLOSED, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_null (snap);
}

static void
test_events_immutable (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = insert (f->ledger, "E1", 100, T0);
  g_autoptr(GError) error = NULL;
  g_autofree char *n = NULL;
  sqlite3 *db = NULL;

  g_assert_true (saoma_ledger_append_event_sync (f->ledger, NULL, "note", "till opened", &error));
  g_assert_no_error (error);
  g_assert_true (saoma_ledger_append_event_sync (f->ledger, "E1", "request", "orderquery",
                                                 &error));
  g_assert_cmpuint (count_events (f->ledger, "E1"), ==, 2);
  g_assert_cmpuint (count_events (f->ledger, NULL), ==, 3);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE events SET detail = 'forged'", NULL, NULL, NULL),
                   ==, SQLITE_CONSTRAINT);
  g_assert_cmpstr (sqlite3_errmsg (db), ==, "events are append-only");
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM events", NULL, NULL, NULL), ==,
                   SQLITE_CONSTRAINT);
  sqlite3_close (db);

  n = sql_text (f->path, "SELECT count(*) FROM events WHERE detail = 'forged'");
  g_assert_cmpstr (n, ==, "0");
  g_assert_cmpuint (count_events (f->ledger, NULL), ==, 3);
}

static void
test_refunds (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = insert (f->ledger, "R1", 1000, T0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  SaomaLedgerRefund *refund;
  SaomaAttempt *snap;
  guint events_before;

  /* Not paid yet. */
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF1", 100, "x", &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_null (refund);
  g_clear_error (&error);
  refund = saoma_ledger_insert_refund_sync (f->ledger, "NOPE", "RF1", 100, "x", &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_object_unref (set_state (f->ledger, "R1", SAOMA_ATTEMPT_PAID, &error));
  g_assert_no_error (error);

  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF1", 300, "broken cup", &error);
  g_assert_no_error (error);
  g_assert_cmpint (refund->state, ==, SAOMA_REFUND_CREATED);
  g_assert_cmpint (refund->amount, ==, 300);
  g_assert_cmpstr (refund->out_trade_no, ==, "R1");
  g_assert_cmpstr (refund->reason, ==, "broken cup");
  saoma_ledger_refund_free (refund);

  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF1", 1, NULL, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_EXISTS);
  g_clear_error (&error);
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF0", 0, NULL, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  /* 300 pending + 701 > 1000: refused, even though nothing succeeded yet. */
  events_before = count_events (f->ledger, "R1");
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF2", 701, NULL, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_null (refund);
  g_clear_error (&error);
  g_assert_cmpuint (count_events (f->ledger, "R1"), ==, events_before);

  refund = saoma_ledger_update_refund_sync (f->ledger, "RF1", SAOMA_REFUND_PROCESSING, "50001",
                                            NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refund->refund_id, ==, "50001");
  g_assert_cmpint (refund->succeeded, ==, 0);
  saoma_ledger_refund_free (refund);

  /* Not refunded before WeChat says SUCCESS. */
  snap = saoma_ledger_get_attempt_sync (f->ledger, "R1", &error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_refunded (snap), ==, 0);
  g_object_unref (snap);

  refund = saoma_ledger_update_refund_sync (f->ledger, "RF1", SAOMA_REFUND_SUCCESS, NULL, NULL,
                                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refund->refund_id, ==, "50001");
  g_assert_cmpint (refund->succeeded, >, 0);
  saoma_ledger_refund_free (refund);

  snap = saoma_ledger_get_attempt_sync (f->ledger, "R1", &error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (snap), ==, 300);
  g_object_unref (snap);

  /* A final refund state is final. */
  refund = saoma_ledger_update_refund_sync (f->ledger, "RF1", SAOMA_REFUND_FAILED, NULL, NULL,
                                            &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  /* A failed refund frees its amount again. */
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF2", 700, NULL, &error);
  g_assert_no_error (error);
  saoma_ledger_refund_free (refund);
  refund = saoma_ledger_update_refund_sync (f->ledger, "RF2", SAOMA_REFUND_FAILED, NULL,
                                            "refund → FAIL", &error);
  g_assert_no_error (error);
  saoma_ledger_refund_free (refund);
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF3", 700, NULL, &error);
  g_assert_no_error (error);
  saoma_ledger_refund_free (refund);
  refund = saoma_ledger_insert_refund_sync (f->ledger, "R1", "RF4", 1, NULL, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  refund = saoma_ledger_update_refund_sync (f->ledger, "RF3", SAOMA_REFUND_SUCCESS, "50003",
                                            NULL, &error);
  g_assert_no_error (error);
  saoma_ledger_refund_free (refund);

  snap = saoma_ledger_get_attempt_sync (f->ledger, "R1", &error);
  g_assert_cmpint (saoma_attempt_get_state (snap), ==, SAOMA_ATTEMPT_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (snap), ==, 1000);
  g_object_unref (snap);

  refunds = saoma_ledger_list_refunds_sync (f->ledger, "R1", 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 3);
  g_assert_cmpstr (((SaomaLedgerRefund *)refunds->pdata[0])->out_refund_no, ==, "RF1");
  g_assert_cmpint (((SaomaLedgerRefund *)refunds->pdata[1])->state, ==, SAOMA_REFUND_FAILED);
  g_clear_pointer (&refunds, g_ptr_array_unref);
  refunds = saoma_ledger_list_refunds_sync (f->ledger, NULL, 0, G_MAXINT64, &error);
  g_assert_cmpuint (refunds->len, ==, 3);

  assert_counts_consistent (f->path);

  /* Created, PAID, RF1 created/processing/success + attempt transition, RF2 created/failed,
   * RF3 created/success + attempt transition. */
  g_assert_cmpuint (count_events (f->ledger, "R1"), ==, 2 + 4 + 2 + 3);
}

static void
test_unfinished_and_range (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const char *names[] = { "U0", "U1", "U2", "U3", "U4", "U5" };
  SaomaAttemptState states[] = { SAOMA_ATTEMPT_CREATED, SAOMA_ATTEMPT_PAID,
                                 SAOMA_ATTEMPT_UNKNOWN, SAOMA_ATTEMPT_FAILED,
                                 SAOMA_ATTEMPT_CLOSING, SAOMA_ATTEMPT_WAITING };

  /* Inserted newest first, so "oldest first" is not insertion order. */
  for (int i = G_N_ELEMENTS (names) - 1; i >= 0; i--)
    {
      g_autoptr(SaomaAttempt) a = insert (f->ledger, names[i], 100 + i, T0 + i);

      if (states[i] != SAOMA_ATTEMPT_CREATED)
        g_object_unref (set_state (f->ledger, names[i], states[i], &error));
      g_assert_no_error (error);
    }

  list = saoma_ledger_list_unfinished_sync (f->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[0]), ==, "U0");
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[1]), ==, "U2");
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[2]), ==, "U4");
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[3]), ==, "U5");
  g_clear_pointer (&list, g_ptr_array_unref);

  assert_counts_consistent (f->path);
  {
    g_autofree char *paid = sql_text (f->path,
                                      "SELECT n FROM attempt_counts WHERE state = 'PAID'");
    g_autofree char *created = sql_text (f->path,
                                         "SELECT n FROM attempt_counts WHERE state = 'CREATED'");

    g_assert_cmpstr (paid, ==, "1");
    g_assert_cmpstr (created, ==, "1");
  }

  list = saoma_ledger_list_range_sync (f->ledger, T0 + 1, T0 + 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[0]), ==, "U1");
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (list->pdata[2]), ==, "U3");
}

typedef struct
{
  GMainLoop *loop;
  GPtrArray *order;     /* out_trade_no of completed ops, in completion order */
  GPtrArray *signals;   /* "added:X" / "changed:X" in emission order */
  guint      pending;
  GThread   *main_thread;
} AsyncState;

static void
async_done (AsyncState *s,
            const char *what)
{
  g_assert_true (g_thread_self () == s->main_thread);
  g_ptr_array_add (s->order, g_strdup (what));
  if (--s->pending == 0)
    g_main_loop_quit (s->loop);
}

static void
inserted_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  AsyncState *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) a = saoma_ledger_insert_attempt_finish (SAOMA_LEDGER (object), result,
                                                                 &error);
  g_autofree char *what = NULL;

  if (a == NULL)
    what = g_strdup_printf ("insert-error:%d", error->code);
  else
    what = g_strdup_printf ("insert:%s", saoma_attempt_get_out_trade_no (a));
  async_done (s, what);
}

static void
updated_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncState *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) a = saoma_ledger_update_attempt_finish (SAOMA_LEDGER (object), result,
                                                                 &error);
  g_autofree char *what = NULL;

  g_assert_no_error (error);
  what = g_strdup_printf ("update:%s:%s", saoma_attempt_get_out_trade_no (a),
                          saoma_attempt_state_to_string (saoma_attempt_get_state (a)));
  async_done (s, what);
}

static void
got_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  AsyncState *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) a = saoma_ledger_get_attempt_finish (SAOMA_LEDGER (object), result,
                                                              &error);
  g_autofree char *what = NULL;

  g_assert_no_error (error);
  what = g_strdup_printf ("get:%s:%s", saoma_attempt_get_out_trade_no (a),
                          saoma_attempt_state_to_string (saoma_attempt_get_state (a)));
  async_done (s, what);
}

static void
signal_cb (SaomaLedger  *ledger,
           SaomaAttempt *attempt,
           gpointer      user_data)
{
  AsyncState *s = user_data;

  g_assert_true (g_thread_self () == s->main_thread);
  g_ptr_array_add (s->signals, g_strdup_printf ("%s:%s",
                                                saoma_attempt_get_previous (attempt)
                                                ? "changed" : "added",
                                                saoma_attempt_get_out_trade_no (attempt)));
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SaomaLedger **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = saoma_ledger_open_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async_order (void)
{
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "async.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  AsyncState s = { 0 };
  guint expected_len = 0;

  saoma_ledger_open_async (path, NULL, opened_cb, &ledger);
  while (ledger == NULL)
    g_main_context_iteration (NULL, TRUE);

  s.loop = g_main_loop_new (NULL, FALSE);
  s.order = g_ptr_array_new_with_free_func (g_free);
  s.signals = g_ptr_array_new_with_free_func (g_free);
  s.main_thread = g_thread_self ();
  g_signal_connect (ledger, "attempt-added", G_CALLBACK (signal_cb), &s);
  g_signal_connect (ledger, "attempt-changed", G_CALLBACK (signal_cb), &s);

  /* Queued back to back without waiting: each op sees the effects of the ones before. */
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *no = g_strdup_printf ("A%02u", i);
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (no, 100 + i, NULL, NULL, T0 + i, T0 + i);
      SaomaAttemptUpdate waiting = { .state = SAOMA_ATTEMPT_WAITING };
      SaomaAttemptUpdate paid = { .state = SAOMA_ATTEMPT_PAID };

      saoma_ledger_insert_attempt_async (ledger, a, NULL, inserted_cb, &s);
      saoma_ledger_update_attempt_async (ledger, no, &waiting, NULL, updated_cb, &s);
      saoma_ledger_update_attempt_async (ledger, no, &paid, NULL, updated_cb, &s);
      saoma_ledger_get_attempt_async (ledger, no, NULL, got_cb, &s);
      s.pending += 4;
    }
  {
    g_autoptr(SaomaAttempt) dup = saoma_attempt_new ("A00", 1, NULL, NULL, T0, T0);

    saoma_ledger_insert_attempt_async (ledger, dup, NULL, inserted_cb, &s);
    s.pending++;
  }

  g_main_loop_run (s.loop);

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *ins = g_strdup_printf ("insert:A%02u", i);
      g_autofree char *w = g_strdup_printf ("update:A%02u:WAITING", i);
      g_autofree char *p = g_strdup_printf ("update:A%02u:PAID", i);
      g_autofree char *g = g_strdup_printf ("get:A%02u:PAID", i);
      g_autofree char *added = g_strdup_printf ("added:A%02u", i);
      g_autofree char *changed = g_strdup_printf ("changed:A%02u", i);

      g_assert_cmpstr (s.order->pdata[4 * i], ==, ins);
      g_assert_cmpstr (s.order->pdata[4 * i + 1], ==, w);
      g_assert_cmpstr (s.order->pdata[4 * i + 2], ==, p);
      g_assert_cmpstr (s.order->pdata[4 * i + 3], ==, g);
      g_assert_cmpstr (s.signals->pdata[3 * i], ==, added);
      g_assert_cmpstr (s.signals->pdata[3 * i + 1], ==, changed);
      g_assert_cmpstr (s.signals->pdata[3 * i + 2], ==, changed);
      expected_len += 4;
    }
  g_assert_cmpstr (s.order->pdata[expected_len], ==, "insert-error:1"); /* EXISTS */
  g_assert_cmpuint (s.order->len, ==, expected_len + 1);
  g_assert_cmpuint (s.signals->len, ==, 150);

  g_ptr_array_unref (s.order);
  g_ptr_array_unref (s.signals);
  g_main_loop_unref (s.loop);
  g_clear_object (&ledger);
  remove_dir (dir);
}

static gpointer
thread_writer (gpointer data)
{
  SaomaLedger *ledger = data;

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *no = g_strdup_printf ("W%p-%u", (void *)g_thread_self (), i);
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (no, 1, NULL, NULL, T0, T0);
      g_autoptr(SaomaAttempt) stored = NULL;
      g_autoptr(GError) error = NULL;

      stored = saoma_ledger_insert_attempt_sync (ledger, a, &error);
      g_assert_no_error (error);
    }

  return NULL;
}

static void
count_cb (guint *n)
{
  (*n)++;
}

static void
test_threads_and_signals_context (Fixture       *f,
                                  gconstpointer  data)
{
  GThread *threads[3];
  guint added = 0;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect_swapped (f->ledger, "attempt-added", G_CALLBACK (count_cb), &added);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("writer", thread_writer, f->ledger);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* Writes from other threads are signalled on the opener's context, not on the writers. */
  g_assert_cmpuint (added, ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (added, ==, 300);

  list = saoma_ledger_list_range_sync (f->ledger, T0, T0 + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 300);
}

static void
test_reopen (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) got = NULL;
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_object_unref);

  g_object_unref (insert (f->ledger, "K1", 4200, T0));
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *no = g_strdup_printf ("M%u", i);

      g_ptr_array_add (many, saoma_attempt_new (no, 1 + i, NULL, NULL, T0 + i, T0 + i));
    }
  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, many, &error));
  g_assert_no_error (error);
  g_object_unref (set_state (f->ledger, "K1", SAOMA_ATTEMPT_PAID, &error));
  g_clear_object (&f->ledger);

  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  got = saoma_ledger_get_attempt_sync (f->ledger, "K1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (got), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_amount (got), ==, 4200);
  g_assert_cmpuint (count_events (f->ledger, "K1"), ==, 2);
  g_assert_cmpuint (count_events (f->ledger, "M999"), ==, 1);

  /* A bulk insert with one duplicate inserts nothing. */
  g_ptr_array_set_size (many, 0);
  g_ptr_array_add (many, saoma_attempt_new ("N1", 1, NULL, NULL, T0, T0));
  g_ptr_array_add (many, saoma_attempt_new ("M5", 1, NULL, NULL, T0, T0));
  g_assert_false (saoma_ledger_insert_many_sync (f->ledger, many, &error));
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_EXISTS);
  g_clear_error (&error);
  g_clear_object (&got);
  got = saoma_ledger_get_attempt_sync (f->ledger, "N1", &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND);
}

/* Child mode of /ledger/race-open: waits until its stdin closes (so that the parent starts
 * every child at the same instant), opens the ledger at @path and exits 0, or prints the
 * error on one line and exits 1. */
static int
race_open_child (const char *path)
{
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  char c;

  while (read (STDIN_FILENO, &c, 1) > 0)
    ;

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  if (ledger == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}

/* Issue 11 point 4: three processes opening the same new ledger at once all succeed, and
 * when one fails its error is a single line that does not quote the migration SQL. */
static void
test_race_open (void)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", NULL);
  guint failures = 0;
  guint bad_messages = 0;
  guint rounds = 30;

  for (guint round = 0; round < rounds; round++)
    {
      g_autofree char *name = g_strdup_printf ("race-%u.db", round);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GSubprocess *children[3];
      gboolean failed = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (children); i++)
        {
          g_autoptr(GError) error = NULL;

          children[i] = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                          self_exe, "--race-open", path, NULL);
          g_assert_no_error (error);
        }

      /* Go. */
      for (guint i = 0; i < G_N_ELEMENTS (children); i++)
        g_output_stream_close (g_subprocess_get_stdin_pipe (children[i]), NULL, NULL);

      for (guint i = 0; i < G_N_ELEMENTS (children); i++)
        {
          g_autoptr(GError) error = NULL;
          char err[4096] = { 0 };
          gsize len = 0;

          /* An error is one short line: it fits in the pipe, so reading after the wait
           * cannot deadlock. */
          g_subprocess_wait (children[i], NULL, &error);
          g_assert_no_error (error);
          g_input_stream_read_all (g_subprocess_get_stderr_pipe (children[i]), err,
                                   sizeof err - 1, &len, NULL, &error);
          g_assert_no_error (error);
          if (!g_subprocess_get_if_exited (children[i]) ||
              g_subprocess_get_exit_status (children[i]) != 0)
            {
              g_test_message ("round %u, child %u: %s", round, i, err);
              /* Whatever failed must say so in one line, without the schema's SQL. */
              if (strstr (err, "CREATE") != NULL || strchr (g_strchomp (err), '\n') != NULL)
                bad_messages++;
              failed = TRUE;
            }
          g_object_unref (children[i]);
        }

      if (failed)
        failures++;
      else
        {
          g_autofree char *version = sql_text (path, "PRAGMA user_version");
          g_autofree char *expected = g_strdup_printf ("%u", saoma_ledger_schema_version ());

          g_assert_cmpstr (version, ==, expected);
          assert_counts_consistent (path);
        }
    }

  g_test_message ("race-open failures out of %u: %u (errors quoting SQL or over one line: %u)",
                  rounds, failures, bad_messages);
  g_assert_cmpuint (failures, ==, 0);
  g_assert_cmpuint (bad_messages, ==, 0);

  remove_dir (dir);
}

/* The table itself: valid states, no duplicate row, a reason on every row. */
static void
count_signal_cb (SaomaLedger  *ledger,
                 SaomaAttempt *attempt,
                 GString      *seen)
{
  g_string_append_printf (seen, "%s ", saoma_attempt_state_to_string (
                            saoma_attempt_get_state (attempt)));
}

typedef struct
{
  gboolean      done;
  GError       *error;
  SaomaAttempt *attempt;
} ThenState;

static void
inserted_then_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ThenState *s = user_data;

  s->attempt = saoma_ledger_insert_attempt_then_finish (SAOMA_LEDGER (object), result,
                                                        &s->error);
  s->done = TRUE;
}

static SaomaAttempt *
insert_then (Fixture                  *f,
             const char               *out_trade_no,
             const SaomaAttemptUpdate *then)
{
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new (out_trade_no, 990, "咖啡", "till-1",
                                                       1000 * G_USEC_PER_SEC,
                                                       1300 * G_USEC_PER_SEC);
  ThenState s = { 0 };
  SaomaAttempt *stored;

  saoma_attempt_set_owner (attempt, "engine-1", 0);
  saoma_ledger_insert_attempt_then_async (f->ledger, attempt, then, NULL, inserted_then_cb, &s);
  while (!s.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (s.error);
  stored = g_steal_pointer (&s.attempt);
  g_assert_nonnull (stored);
  return stored;
}

/* The insert and the first transition in one transaction; a refused transition leaves the
 * insert alone committed, exactly as the insert by itself (issue 19). */
static void
test_insert_then (Fixture       *f,
                  gconstpointer  data)
{
  SaomaAttemptUpdate then = {
    .state = SAOMA_ATTEMPT_SUBMITTED,
    .event_kind = "transition",
    .event_detail = "SUBMITTED: sending unifiedorder",
    .owner = "engine-1",
  };
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(SaomaAttempt) both = NULL;
  g_autoptr(SaomaAttempt) alone = NULL;
  g_autoptr(SaomaAttempt) fenced = NULL;
  g_autoptr(SaomaAttempt) reread = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  gulong added, changed;

  added = g_signal_connect (f->ledger, "attempt-added", G_CALLBACK (count_signal_cb), seen);
  changed = g_signal_connect (f->ledger, "attempt-changed", G_CALLBACK (count_signal_cb), seen);

  both = insert_then (f, "T1-THEN", &then);
  g_assert_cmpint (saoma_attempt_get_state (both), ==, SAOMA_ATTEMPT_SUBMITTED);
  g_assert_cmpint (saoma_attempt_get_id (both), >, 0);
  g_assert_cmpstr (saoma_attempt_get_owner (both), ==, "engine-1");
  g_assert_cmpstr (seen->str, ==, "CREATED SUBMITTED ");
  events = saoma_ledger_list_events_sync (f->ledger, "T1-THEN", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((SaomaLedgerEvent *) events->pdata[0])->detail, ==, "CREATED, 990 fen");
  g_assert_cmpstr (((SaomaLedgerEvent *) events->pdata[1])->detail, ==,
                   "SUBMITTED: sending unifiedorder");
  g_clear_pointer (&events, g_ptr_array_unref);

  /* The disk refuses SUBMITTED: the insert alone is on record, with its one event. */
  g_string_truncate (seen, 0);
  sql_exec (f->path, "CREATE TRIGGER no_submit BEFORE UPDATE ON attempts"
                     " WHEN NEW.state = 'SUBMITTED'"
                     " BEGIN SELECT RAISE (ABORT, 'database or disk is full'); END;");
  alone = insert_then (f, "T2-THEN", &then);
  g_assert_cmpint (saoma_attempt_get_state (alone), ==, SAOMA_ATTEMPT_CREATED);
  g_assert_cmpstr (seen->str, ==, "CREATED ");
  reread = saoma_ledger_get_attempt_sync (f->ledger, "T2-THEN", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (reread), ==, SAOMA_ATTEMPT_CREATED);
  g_assert_cmpuint (count_events (f->ledger, "T2-THEN"), ==, 1);
  sql_exec (f->path, "DROP TRIGGER no_submit");

  /* So does a transition the row's owner may not make. */
  then.owner = "engine-2";
  fenced = insert_then (f, "T3-THEN", &then);
  g_assert_cmpint (saoma_attempt_get_state (fenced), ==, SAOMA_ATTEMPT_CREATED);
  g_assert_cmpuint (count_events (f->ledger, "T3-THEN"), ==, 1);

  assert_counts_consistent (f->path);
  g_signal_handler_disconnect (f->ledger, added);
  g_signal_handler_disconnect (f->ledger, changed);
}

static void
test_flow_table (void)
{
  for (SaomaFlow flow = 0; flow <= SAOMA_FLOW_LAST; flow++)
    {
      gsize n = 0;
      const SaomaFlowTransition *rows = saoma_flow_get_transitions (flow, &n);
      g_autofree char *text = saoma_flow_format_table (flow, SAOMA_FLOW_BY_ENGINE);

      g_assert_cmpuint (n, >, 0);
      for (gsize i = 0; i < n; i++)
        {
          g_assert_nonnull (saoma_flow_state_to_string (flow, rows[i].from));
          g_assert_nonnull (saoma_flow_state_to_string (flow, rows[i].to));
          g_assert_true (rows[i].why != NULL && rows[i].why[0] != '\0');
          g_assert_true (rows[i].writer == SAOMA_FLOW_BY_ENGINE ||
                         rows[i].writer == SAOMA_FLOW_BY_RECORD);
          g_assert_true (saoma_flow_lookup (flow, rows[i].from, rows[i].to) == &rows[i]);
        }
      g_test_message ("%s flow:\n%s", saoma_flow_to_string (flow), text);
    }

  /* Refunds never leave a final state; a Native attempt leaves one only to be paid late or
   * refunded. */
  for (SaomaRefundState to = 0; to <= SAOMA_REFUND_FAILED; to++)
    g_assert_false (saoma_flow_transition_allowed (SAOMA_FLOW_REFUND, SAOMA_REFUND_SUCCESS, to));
  g_assert_true (saoma_flow_transition_allowed (SAOMA_FLOW_NATIVE, SAOMA_ATTEMPT_CLOSED,
                                                SAOMA_ATTEMPT_PAID));
  g_assert_false (saoma_flow_transition_allowed (SAOMA_FLOW_NATIVE, SAOMA_ATTEMPT_REFUNDED,
                                                 SAOMA_ATTEMPT_PAID));

  /* A micropay attempt picks its own table and names; it never leaves REVOKED (CLOSED) or
   * FAILED, and is never re-sent from an open state. */
  g_assert_cmpint (saoma_flow_for_method (SAOMA_PAYMENT_METHOD_MICROPAY), ==,
                   SAOMA_FLOW_MICROPAY);
  g_assert_cmpint (saoma_flow_for_method (SAOMA_PAYMENT_METHOD_NATIVE), ==, SAOMA_FLOW_NATIVE);
  g_assert_cmpstr (saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, SAOMA_ATTEMPT_WAITING), ==,
                   "USERPAYING");
  g_assert_cmpstr (saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, SAOMA_ATTEMPT_CLOSING), ==,
                   "REVERSING");
  g_assert_cmpstr (saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, SAOMA_ATTEMPT_CLOSED), ==,
                   "REVOKED");
  for (SaomaAttemptState to = 0; to <= SAOMA_ATTEMPT_STATE_LAST; to++)
    {
      g_assert_false (saoma_flow_transition_allowed (SAOMA_FLOW_MICROPAY, SAOMA_ATTEMPT_CLOSED,
                                                     to));
      g_assert_false (saoma_flow_transition_allowed (SAOMA_FLOW_MICROPAY, SAOMA_ATTEMPT_FAILED,
                                                     to));
      g_assert_false (saoma_flow_transition_allowed (SAOMA_FLOW_MICROPAY, to,
                                                     SAOMA_ATTEMPT_SUBMITTED) &&
                      to != SAOMA_ATTEMPT_CREATED);
    }
}

/* An attempt of @method stored in @state (inserted as it is: the table governs updates, not
 * inserts). */
static void
insert_method_in_state (SaomaLedger        *ledger,
                        const char         *no,
                        SaomaPaymentMethod  method,
                        SaomaAttemptState   state)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(GError) error = NULL;

  attempt = saoma_attempt_new_full (0, no, 1000, "flow", "T01", T0, T0, T0 + 300 * G_USEC_PER_SEC,
                                    state, NULL, NULL, 0, 0, FALSE);
  saoma_attempt_set_method (attempt, method);
  stored = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
}

static void
insert_in_state (SaomaLedger       *ledger,
                 const char        *no,
                 SaomaAttemptState  state)
{
  insert_method_in_state (ledger, no, SAOMA_PAYMENT_METHOD_NATIVE, state);
}

/* A refund stored in @state, on a paid attempt of its own. */
static void
insert_refund_in_state (SaomaLedger      *ledger,
                        const char       *no,
                        SaomaRefundState  state)
{
  g_autoptr(SaomaLedgerRefund) refund = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refund_no = g_strconcat ("R", no, NULL);

  insert_in_state (ledger, no, SAOMA_ATTEMPT_PAID);
  refund = saoma_ledger_insert_refund_sync (ledger, no, refund_no, 100, "flow", &error);
  g_assert_no_error (error);
  if (state != SAOMA_REFUND_CREATED)
    {
      g_clear_pointer (&refund, saoma_ledger_refund_free);
      /* Every state is one step from CREATED in the table. */
      refund = saoma_ledger_update_refund_sync (ledger, refund_no, state, NULL, NULL, &error);
      g_assert_no_error (error);
    }
}

/* The store picks the table by the attempt's method: the same write is accepted for one and
 * refused for the other. */
static void
test_flow_by_method (Fixture       *f,
                     gconstpointer  data)
{
  SaomaAttemptUpdate to_failed = { .state = SAOMA_ATTEMPT_FAILED };
  SaomaAttemptUpdate to_paid = { .state = SAOMA_ATTEMPT_PAID };
  g_autoptr(SaomaAttempt) after = NULL;
  g_autoptr(GError) error = NULL;

  /* USERPAYING → FAILED (PAYERROR) is micropay's; a Native WAITING attempt may fail too, but
   * a late payment of a FAILED attempt is Native's only. */
  insert_method_in_state (f->ledger, "M-WAIT", SAOMA_PAYMENT_METHOD_MICROPAY,
                          SAOMA_ATTEMPT_WAITING);
  after = saoma_ledger_update_attempt_sync (f->ledger, "M-WAIT", &to_failed, &error);
  g_assert_no_error (error);
  g_clear_object (&after);
  after = saoma_ledger_update_attempt_sync (f->ledger, "M-WAIT", &to_paid, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_null (after);
  g_clear_error (&error);

  insert_method_in_state (f->ledger, "N-FAIL", SAOMA_PAYMENT_METHOD_NATIVE, SAOMA_ATTEMPT_FAILED);
  after = saoma_ledger_update_attempt_sync (f->ledger, "N-FAIL", &to_paid, &error);
  g_assert_no_error (error);
  g_clear_object (&after);

  /* A reversed micropay attempt is final, and the refusal speaks micropay's names. */
  insert_method_in_state (f->ledger, "M-REV", SAOMA_PAYMENT_METHOD_MICROPAY,
                          SAOMA_ATTEMPT_CLOSED);
  after = saoma_ledger_update_attempt_sync (f->ledger, "M-REV", &to_paid, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "REVOKED"));
}

/* Writes (@from → @to) in @flow on a fresh row; TRUE when the store accepted it. Refused
 * writes leave the row and its events as they were, and say why in one line. */
static gboolean
try_transition (SaomaLedger *ledger,
                SaomaFlow    flow,
                int          from,
                int          to)
{
  g_autofree char *no = g_strdup_printf ("F%d-%02d-%02d", flow, from, to);
  g_autofree char *refund_no = g_strconcat ("R", no, NULL);
  g_autoptr(GError) error = NULL;
  guint events_before;
  gboolean ok;

  if (flow == SAOMA_FLOW_NATIVE || flow == SAOMA_FLOW_MICROPAY)
    {
      SaomaAttemptUpdate update = { .state = to, .event_kind = "note", .event_detail = "flow" };
      g_autoptr(SaomaAttempt) after = NULL;
      g_autoptr(SaomaAttempt) now = NULL;

      insert_method_in_state (ledger, no,
                              flow == SAOMA_FLOW_MICROPAY ? SAOMA_PAYMENT_METHOD_MICROPAY
                                                          : SAOMA_PAYMENT_METHOD_NATIVE,
                              from);
      events_before = count_events (ledger, no);
      after = saoma_ledger_update_attempt_sync (ledger, no, &update, &error);
      ok = after != NULL;
      now = saoma_ledger_get_attempt_sync (ledger, no, NULL);
      g_assert_cmpint (saoma_attempt_get_state (now), ==, ok ? to : from);
    }
  else
    {
      g_autoptr(SaomaLedgerRefund) after = NULL;
      g_autoptr(GPtrArray) refunds = NULL;

      insert_refund_in_state (ledger, no, from);
      events_before = count_events (ledger, no);
      after = saoma_ledger_update_refund_sync (ledger, refund_no, to, NULL, "flow", &error);
      ok = after != NULL;
      refunds = saoma_ledger_list_refunds_sync (ledger, no, 0, 0, NULL);
      g_assert_cmpuint (refunds->len, ==, 1);
      g_assert_cmpint (((SaomaLedgerRefund *)refunds->pdata[0])->state, ==, ok ? to : from);
    }

  if (!ok)
    {
      g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
      g_assert_null (strchr (error->message, '\n'));
      g_assert_nonnull (strstr (error->message, saoma_flow_state_to_string (flow, from)));
      g_assert_cmpuint (count_events (ledger, no), ==, events_before);
    }
  else
    {
      g_assert_no_error (error);
    }

  return ok;
}

/* Every row of every table is accepted by the store. */
static void
test_flow_rows_accepted (Fixture       *f,
                         gconstpointer  data)
{
  for (SaomaFlow flow = 0; flow <= SAOMA_FLOW_LAST; flow++)
    {
      gsize n = 0;
      const SaomaFlowTransition *rows = saoma_flow_get_transitions (flow, &n);

      for (gsize i = 0; i < n; i++)
        {
          if (!try_transition (f->ledger, flow, rows[i].from, rows[i].to))
            g_error ("%s %s → %s refused", saoma_flow_to_string (flow),
                     saoma_flow_state_to_string (flow, rows[i].from),
                     saoma_flow_state_to_string (flow, rows[i].to));
        }
    }
}

/* Every (from, to) pair that is not a row is refused. (A Native update naming CREATED means
 * "state unchanged", so no write can ask for CREATED.) */
static void
test_flow_others_refused (Fixture       *f,
                          gconstpointer  data)
{
  guint refused = 0;

  for (SaomaFlow flow = 0; flow <= SAOMA_FLOW_LAST; flow++)
    {
      guint n_states = saoma_flow_get_n_states (flow);

      for (guint from = 0; from < n_states; from++)
        for (guint to = 0; to < n_states; to++)
          {
            if (saoma_flow_transition_allowed (flow, from, to) ||
                (flow != SAOMA_FLOW_REFUND && to == SAOMA_ATTEMPT_CREATED))
              continue;

            if (try_transition (f->ledger, flow, from, to))
              g_error ("%s %s → %s accepted", saoma_flow_to_string (flow),
                       saoma_flow_state_to_string (flow, from),
                       saoma_flow_state_to_string (flow, to));
            refused++;
          }
    }

  g_test_message ("%u transitions outside the tables refused", refused);
  g_assert_cmpuint (refused, >, 50);
}

/* A bulk insert nobody observes writes 32 rows per statement: every row, its creation event
 * and the per-state counts are exactly those of one-row inserts, and one bad row (a duplicate
 * inside a 32-row chunk, a zero amount in another) writes nothing at all. */
static void
test_insert_many_bulk (Fixture       *f,
                       gconstpointer  data)
{
  static const SaomaAttemptState states[] = { SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_CLOSED,
                                              SAOMA_ATTEMPT_WAITING };
  g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *n = NULL;

  /* 3 chunks of 32 and 5 single rows. */
  for (guint i = 0; i < 101; i++)
    {
      g_autofree char *no = g_strdup_printf ("B%03u", i);
      SaomaAttempt *a = saoma_attempt_new_full (0, no, 100 + i, "批量", "T01", T0 + i, T0 + i,
                                                T0 + i + 300, states[i % 3],
                                                i % 3 == 0 ? "4200" : NULL, NULL, 0, 0, FALSE);

      if (i == 40)
        saoma_attempt_set_method (a, SAOMA_PAYMENT_METHOD_MICROPAY);
      g_ptr_array_add (many, a);
    }
  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, many, &error));
  g_assert_no_error (error);

  all = saoma_ledger_list_range_sync (f->ledger, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 101);
  for (guint i = 0; i < all->len; i++)
    {
      SaomaAttempt *got = all->pdata[i];
      SaomaAttempt *want = many->pdata[i];

      g_assert_cmpstr (saoma_attempt_get_out_trade_no (got), ==,
                       saoma_attempt_get_out_trade_no (want));
      g_assert_cmpint (saoma_attempt_get_id (got), ==, i + 1);
      g_assert_cmpint (saoma_attempt_get_amount (got), ==, 100 + i);
      g_assert_cmpint (saoma_attempt_get_state (got), ==, states[i % 3]);
      g_assert_cmpint (saoma_attempt_get_expires (got), ==, T0 + i + 300);
      g_assert_cmpstr (saoma_attempt_get_transaction_id (got), ==,
                       i % 3 == 0 ? "4200" : NULL);
      g_assert_cmpstr (saoma_attempt_get_description (got), ==, "批量");
      g_assert_cmpint (saoma_attempt_get_method (got), ==,
                       i == 40 ? SAOMA_PAYMENT_METHOD_MICROPAY : SAOMA_PAYMENT_METHOD_NATIVE);
    }

  events = saoma_ledger_list_events_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 101);
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *ev = events->pdata[i];
      g_autofree char *no = g_strdup_printf ("B%03u", i);
      g_autofree char *detail = g_strdup_printf ("%s, %u fen",
                                                 saoma_attempt_state_to_string (states[i % 3]),
                                                 100 + i);

      g_assert_cmpstr (ev->out_trade_no, ==, no);
      g_assert_cmpstr (ev->kind, ==, "transition");
      g_assert_cmpstr (ev->detail, ==, detail);
    }
  assert_counts_consistent (f->path);

  /* A duplicate in the middle of a chunk, then a zero amount: nothing of either batch. */
  for (guint round = 0; round < 2; round++)
    {
      SaomaLedgerError expected = round == 0 ? SAOMA_LEDGER_ERROR_EXISTS
                                             : SAOMA_LEDGER_ERROR_INVALID;

      g_ptr_array_set_size (many, 0);
      for (guint i = 0; i < 64; i++)
        {
          g_autofree char *no = g_strdup_printf ("C%u-%02u", round, i);

          g_ptr_array_add (many, saoma_attempt_new (round == 0 && i == 45 ? "B050" : no,
                                                    round == 1 && i == 10 ? 0 : 5, NULL, NULL,
                                                    T0, T0));
        }
      g_assert_false (saoma_ledger_insert_many_sync (f->ledger, many, &error));
      g_assert_error (error, SAOMA_LEDGER_ERROR, expected);
      g_clear_error (&error);
    }
  n = sql_text (f->path, "SELECT count(*) FROM attempts");
  g_assert_cmpstr (n, ==, "101");
  assert_counts_consistent (f->path);
}


/* A ledger anywhere (--ledger PATH) is created readable by its owner only, and so are its WAL
 * files, whatever the umask. */
static void
test_private_mode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "elsewhere.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);
  GStatBuf st;
  mode_t old_umask = umask (022);

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (attempts, saoma_attempt_new ("T01PRIVATE0001", 100, "x", "T01", T0,
                                                T0 + 300 * G_USEC_PER_SEC));
  g_assert_true (saoma_ledger_insert_many_sync (ledger, attempts, &error));
  g_assert_no_error (error);
  umask (old_umask);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_clear_object (&ledger);
  remove_dir (dir);
}

/* A ledger closed cleanly keeps its WAL file, checkpointed and at most 64 KiB: the next process's
 * first commit (saoma-cli --charge's insert, before the order is sent) need not create it and
 * fsync the directory. Its rows are in the main file: they survive the WAL's loss. */
static void
test_wal_kept (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-ledger-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "kept.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(SaomaAttempt) read_back = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *no = g_strdup_printf ("T01KEPTWAL%04u", i);

      g_ptr_array_add (attempts, saoma_attempt_new (no, 100 + i, "x", "T01", T0,
                                                    T0 + 300 * G_USEC_PER_SEC));
    }
  g_assert_true (saoma_ledger_insert_many_sync (ledger, attempts, &error));
  g_assert_no_error (error);
  g_clear_object (&ledger);

  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 65536);

  /* Checkpointed: the rows are in the main file alone. */
  g_assert_cmpint (g_unlink (wal), ==, 0);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  read_back = saoma_ledger_get_attempt_sync (ledger, "T01KEPTWAL0199", &error);
  g_assert_no_error (error);
  g_assert_nonnull (read_back);
  g_assert_cmpint (saoma_attempt_get_amount (read_back), ==, 299);

  g_clear_object (&ledger);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--race-open"))
    return race_open_child (argv[2]);

  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  g_test_add_func ("/ledger/state-names", test_state_names);
  ADD ("/ledger/open-fresh", test_open_fresh);
  ADD ("/ledger/late-index", test_late_index);
  g_test_add_func ("/ledger/migrate-from-v1", test_migrate_from_v1);
  g_test_add_func ("/ledger/migrate-request-column", test_migrate_request_column);
  g_test_add_func ("/ledger/migrate-method-column", test_migrate_method_column);
  g_test_add_func ("/ledger/too-new", test_too_new);
  g_test_add_func ("/ledger/private-mode", test_private_mode);
  g_test_add_func ("/ledger/wal-kept", test_wal_kept);
  g_test_add_func ("/ledger/race-open", test_race_open);
  ADD ("/ledger/unique", test_unique);
  ADD ("/ledger/transitions", test_transitions);
  ADD ("/ledger/late-payment", test_late_payment);
  ADD ("/ledger/events-immutable", test_events_immutable);
  ADD ("/ledger/refunds", test_refunds);
  ADD ("/ledger/unfinished-and-range", test_unfinished_and_range);
  g_test_add_func ("/ledger/async-order", test_async_order);
  ADD ("/ledger/threads", test_threads_and_signals_context);
  ADD ("/ledger/reopen", test_reopen);
  ADD ("/ledger/insert-many-bulk", test_insert_many_bulk);
  ADD ("/ledger/insert-then", test_insert_then);
  g_test_add_func ("/ledger/flow/table", test_flow_table);
  ADD ("/ledger/flow/rows-accepted", test_flow_rows_accepted);
  ADD ("/ledger/flow/others-refused", test_flow_others_refused);
  ADD ("/ledger/flow/by-method", test_flow_by_method);
#undef ADD

  return g_test_run ();
}
