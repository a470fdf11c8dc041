/* test-operation.c: SaomaOperation, the machinery every flow's job shares, with a real SQLite
 * ledger and a manual clock: ordered writes one at a time, the one policy for a failed write,
 * detaching, and recovery counting. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "core/saoma-clock.h"
#include "core/saoma-operation.h"
#include "ledger/saoma-ledger.h"

#include "test-util.h"

#define T0 G_GINT64_CONSTANT (1795000000000000)

/* A toy flow: its writes are attempt transitions; it records what the base did. */
typedef struct {
  SaomaOperation    op;
  char             *out_trade_no;
  GArray           *written;       /* SaomaAttemptState, in the order they became durable */
  guint             in_flight;
  guint             max_in_flight;
  guint             failures;
  guint             steps;
} Toy;

static void
toy_step (SaomaOperation *op)
{
  ((Toy *)op)->steps++;
}

static void
toy_write_start (SaomaOperation     *op,
                 gpointer            write,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  Toy *toy = (Toy *)op;
  SaomaAttemptUpdate update = {
    .state = GPOINTER_TO_INT (write), .event_kind = "transition", .event_detail = "toy",
  };

  toy->in_flight++;
  toy->max_in_flight = MAX (toy->max_in_flight, toy->in_flight);
  saoma_store_update_attempt_async (op->store, toy->out_trade_no, &update, NULL, callback,
                                    user_data);
}

static gpointer
toy_write_finish (SaomaOperation *op,
                  GAsyncResult   *result,
                  GError        **error)
{
  ((Toy *)op)->in_flight--;
  return saoma_store_update_attempt_finish (op->store, result, error);
}

static void
toy_written (SaomaOperation *op,
             gpointer        write,
             gpointer        row)
{
  Toy *toy = (Toy *)op;
  SaomaAttemptState state = saoma_attempt_get_state (row);

  g_array_append_val (toy->written, state);
  g_object_unref (row);
}

static void
toy_write_failed (SaomaOperation *op,
                  gpointer        write,
                  const GError   *error)
{
  ((Toy *)op)->failures++;
}

static void
toy_write_free (gpointer write)
{
}

static void
toy_finalize (SaomaOperation *op)
{
  Toy *toy = (Toy *)op;

  g_free (toy->out_trade_no);
  g_array_unref (toy->written);
}

static const SaomaOperationClass toy_class = {
  .name = "toy",
  .step = toy_step,
  .write_start = toy_write_start,
  .write_finish = toy_write_finish,
  .written = toy_written,
  .write_failed = toy_write_failed,
  .write_free = toy_write_free,
  .row_free = g_object_unref,
  .finalize = toy_finalize,
};

typedef struct {
  char        *dir;
  char        *path;
  SaomaLedger *ledger;
  SaomaClock  *clock;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-operation-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  f->clock = saoma_clock_new_manual (T0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->ledger);
  g_clear_object (&f->clock);
  saoma_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static Toy *
toy_new (Fixture    *f,
         const char *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new (out_trade_no, 100, "toy", "T01", T0,
                                                       T0 + 300 * G_USEC_PER_SEC);
  g_autoptr(SaomaAttempt) inserted = saoma_ledger_insert_attempt_sync (f->ledger, attempt,
                                                                        &error);
  Toy *toy;

  g_assert_no_error (error);
  toy = saoma_operation_new (&toy_class, sizeof (Toy), f->clock, SAOMA_STORE (f->ledger), NULL,
                             out_trade_no);
  toy->out_trade_no = g_strdup (out_trade_no);
  toy->written = g_array_new (FALSE, FALSE, sizeof (SaomaAttemptState));
  toy->op.recorded = TRUE;
  toy->op.write_backoff = 10 * G_USEC_PER_SEC;
  return toy;
}

static void
settle (Toy *toy)
{
  while (saoma_operation_is_writing (&toy->op) || g_main_context_pending (NULL))
    g_main_context_iteration (NULL, TRUE);
}

static void
ledger_exec (Fixture    *f,
             const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

#define W(s) GINT_TO_POINTER (SAOMA_ATTEMPT_##s)

/* Writes run one at a time, in the order they were asked for; each durable one steps. */
static void
test_ordered_writes (Fixture       *f,
                     gconstpointer  data)
{
  Toy *toy = toy_new (f, "T01OPERATION0001");

  saoma_operation_write (&toy->op, W (SUBMITTED));
  saoma_operation_write (&toy->op, W (UNKNOWN));
  saoma_operation_write (&toy->op, W (WAITING));
  g_assert_cmpuint (saoma_operation_get_n_writes (&toy->op), ==, 3);
  settle (toy);

  g_assert_cmpuint (toy->written->len, ==, 3);
  g_assert_cmpint (g_array_index (toy->written, SaomaAttemptState, 0), ==, SAOMA_ATTEMPT_SUBMITTED);
  g_assert_cmpint (g_array_index (toy->written, SaomaAttemptState, 1), ==, SAOMA_ATTEMPT_UNKNOWN);
  g_assert_cmpint (g_array_index (toy->written, SaomaAttemptState, 2), ==, SAOMA_ATTEMPT_WAITING);
  g_assert_cmpuint (toy->max_in_flight, ==, 1);
  /* The flow decides again once the queue is empty, not after every write. */
  g_assert_cmpuint (toy->steps, ==, 1);
  g_assert_cmpuint (toy->failures, ==, 0);

  saoma_operation_detach (&toy->op);
  saoma_operation_unref (toy);
}

/* The one policy: the queued writes after a refused one are dropped, the flow hears of it,
 * and it decides again only after the back-off. */
static void
test_failed_write (Fixture       *f,
                   gconstpointer  data)
{
  Toy *toy = toy_new (f, "T01OPERATION0002");

  ledger_exec (f, "CREATE TRIGGER no_closing BEFORE UPDATE ON attempts"
                  " WHEN NEW.state = 'CLOSING'"
                  " BEGIN SELECT RAISE (ABORT, 'database or disk is full'); END;");
  saoma_operation_write (&toy->op, W (SUBMITTED));
  saoma_operation_write (&toy->op, W (CLOSING));
  saoma_operation_write (&toy->op, W (PAID));
  settle (toy);

  g_assert_cmpuint (toy->written->len, ==, 1);
  g_assert_cmpuint (toy->failures, ==, 1);
  g_assert_cmpuint (saoma_operation_get_n_writes (&toy->op), ==, 0);
  g_assert_true (saoma_operation_is_armed (&toy->op));
  g_assert_cmpuint (toy->steps, ==, 0);

  saoma_clock_advance (f->clock, 9 * G_USEC_PER_SEC);
  g_assert_cmpuint (toy->steps, ==, 0);
  saoma_clock_advance (f->clock, 1 * G_USEC_PER_SEC);
  g_assert_cmpuint (toy->steps, ==, 1);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(SaomaAttempt) attempt = saoma_ledger_get_attempt_sync (f->ledger,
                                                                     "T01OPERATION0002",
                                                                     &error);

    g_assert_no_error (error);
    g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_SUBMITTED);
  }

  saoma_operation_detach (&toy->op);
  saoma_operation_unref (toy);
}

static void
recovery_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* A recovery completes with its count once every operation it resumed is done; one whose
 * operation is detached first hears that it never will be. */
static void
test_recovery (Fixture       *f,
               gconstpointer  data)
{
  Toy *a = toy_new (f, "T01OPERATION0003");
  Toy *b = toy_new (f, "T01OPERATION0004");
  g_autoptr(GTask) recovery = NULL;
  g_autoptr(GTask) abandoned = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  GAsyncResult *abandoned_result = NULL;

  recovery = saoma_recovery_new (f->ledger, NULL, recovery_cb, &result, test_recovery);
  saoma_recovery_hold (recovery);
  saoma_recovery_count (recovery);
  saoma_recovery_add (recovery, &a->op);
  saoma_recovery_count (recovery);
  saoma_recovery_add (recovery, &b->op);
  saoma_recovery_release (recovery);
  saoma_operation_done (&a->op);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (result);
  saoma_operation_done (&b->op);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (saoma_recovery_finish (result, &error), ==, 2);
  g_assert_no_error (error);
  g_clear_object (&result);

  abandoned = saoma_recovery_new (f->ledger, NULL, recovery_cb, &abandoned_result,
                                  test_recovery);
  saoma_recovery_count (abandoned);
  saoma_recovery_add (abandoned, &a->op);
  saoma_operation_detach (&a->op);
  while (abandoned_result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (saoma_recovery_finish (abandoned_result, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&abandoned_result);

  saoma_operation_detach (&b->op);
  saoma_operation_unref (a);
  saoma_operation_unref (b);
}

/* Detached: the timer stops and a write in flight completes without deciding anything. */
static void
test_detach (Fixture       *f,
             gconstpointer  data)
{
  Toy *toy = toy_new (f, "T01OPERATION0005");

  saoma_operation_arm (&toy->op, T0 + G_USEC_PER_SEC);
  saoma_operation_write (&toy->op, W (SUBMITTED));
  saoma_operation_detach (&toy->op);
  g_assert_false (saoma_operation_is_armed (&toy->op));
  settle (toy);
  saoma_clock_advance (f->clock, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (toy->steps, ==, 0);
  g_assert_cmpuint (toy->written->len, ==, 0);
  saoma_operation_unref (toy);
}

/* The failed write test_failed_write() injects is expected to be warned about. */
static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (log_level & G_LOG_LEVEL_WARNING)
    {
      for (gsize i = 0; i < n_fields; i++)
        if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
            strstr (fields[i].value, "database or disk is full") != NULL)
          return G_LOG_WRITER_HANDLED;
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

int
main (int   argc,
      char *argv[])
{
  saoma_test_init (&argc, &argv);
  g_log_set_writer_func (log_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/operation/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("ordered-writes", test_ordered_writes);
  ADD ("failed-write", test_failed_write);
  ADD ("recovery", test_recovery);
  ADD ("detach", test_detach);

  return g_test_run ();
}
