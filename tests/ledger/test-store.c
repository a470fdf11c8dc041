/* test-store.c: SaomaStore as SaomaLedger implements it: the interface's async calls, the read
 * snapshot for reports and the history's page source, on real SQLite files. */

#include "config.h"

#include <glib/gstdio.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"

#define T0  G_GINT64_CONSTANT (1790000000000000)
#define SEC G_GINT64_CONSTANT (1000000)

typedef struct
{
  char        *dir;
  char        *path;
  SaomaLedger *ledger;
  SaomaStore  *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  f->store = SAOMA_STORE (f->ledger);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  g_clear_object (&f->ledger);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Waits on the main context for the result of one async call. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static SaomaAttempt *
store_insert (Fixture          *f,
              const char       *no,
              gint64            created,
              SaomaAttemptState state)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttempt *stored;

  attempt = saoma_attempt_new_full (0, no, 100, "store", "T01", created, created,
                                    created + 300 * SEC, state,
                                    state == SAOMA_ATTEMPT_PAID ? "4200" : NULL, NULL, 0, 0,
                                    FALSE);
  saoma_store_insert_attempt_async (f->store, attempt, NULL, result_cb, &result);
  stored = saoma_store_insert_attempt_finish (f->store, wait_result (&result), &error);
  g_assert_no_error (error);

  return stored;
}

/* The interface reaches the ledger: writes, reads, events, refunds, the table's refusal. */
static void
test_interface (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(SaomaAttempt) a = store_insert (f, "S1", T0, SAOMA_ATTEMPT_CREATED);
  g_autoptr(SaomaAttempt) got = NULL;
  g_autoptr(SaomaAttempt) updated = NULL;
  g_autoptr(SaomaLedgerRefund) refund = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *r[8] = { NULL };
  SaomaAttemptUpdate paid = { .state = SAOMA_ATTEMPT_PAID, .transaction_id = "4200001" };
  SaomaAttemptUpdate back = { .state = SAOMA_ATTEMPT_WAITING };

  g_assert_true (SAOMA_IS_STORE (f->ledger));

  saoma_store_list_unfinished_async (f->store, NULL, result_cb, &r[0]);
  unfinished = saoma_store_list_unfinished_finish (f->store, wait_result (&r[0]), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);

  saoma_store_update_attempt_async (f->store, "S1", &paid, NULL, result_cb, &r[1]);
  updated = saoma_store_update_attempt_finish (f->store, wait_result (&r[1]), &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (updated), ==, SAOMA_ATTEMPT_PAID);

  /* PAID → WAITING is not in the table. */
  saoma_store_update_attempt_async (f->store, "S1", &back, NULL, result_cb, &r[2]);
  g_assert_null (saoma_store_update_attempt_finish (f->store, wait_result (&r[2]), &error));
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID);
  g_clear_error (&error);

  saoma_store_append_event_async (f->store, "S1", "note", "via the store", NULL, result_cb,
                                  &r[3]);
  g_assert_true (saoma_store_append_event_finish (f->store, wait_result (&r[3]), &error));
  g_assert_no_error (error);

  saoma_store_insert_refund_async (f->store, "S1", "SR1", 40, "test", NULL, result_cb, &r[4]);
  refund = saoma_store_insert_refund_finish (f->store, wait_result (&r[4]), &error);
  g_assert_no_error (error);
  g_clear_pointer (&refund, saoma_ledger_refund_free);
  saoma_store_update_refund_async (f->store, "SR1", SAOMA_REFUND_SUCCESS, "5000", NULL, NULL,
                                   result_cb, &r[5]);
  refund = saoma_store_update_refund_finish (f->store, wait_result (&r[5]), &error);
  g_assert_no_error (error);
  g_assert_cmpint (refund->state, ==, SAOMA_REFUND_SUCCESS);

  saoma_store_get_attempt_async (f->store, "S1", NULL, result_cb, &r[6]);
  got = saoma_store_get_attempt_finish (f->store, wait_result (&r[6]), &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (got), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (got), ==, 40);

  saoma_store_list_events_async (f->store, "S1", NULL, result_cb, &r[7]);
  events = saoma_store_list_events_finish (f->store, wait_result (&r[7]), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 6);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    g_clear_object (&r[i]);
  saoma_store_list_refunds_async (f->store, "S1", 0, 0, NULL, result_cb, &r[0]);
  refunds = saoma_store_list_refunds_finish (f->store, wait_result (&r[0]), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_clear_object (&r[0]);
}

static void
snapshot_reader (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  SaomaStoreSnapshot *snapshot = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) succeeded = NULL;

  attempts = saoma_store_snapshot_list_attempts (snapshot, T0, T0 + 86400 * SEC, cancellable,
                                                 &error);
  g_assert_no_error (error);
  succeeded = saoma_store_snapshot_list_refunds_succeeded (snapshot, 0, G_MAXINT64, &error);
  g_assert_no_error (error);

  g_task_return_int (task, attempts->len * 1000 + succeeded->len);
}

static gssize
count_in_worker (SaomaStoreSnapshot *snapshot)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_task_set_task_data (task, g_object_ref (snapshot), g_object_unref);
  g_task_run_in_thread_sync (task, snapshot_reader);

  return g_task_propagate_int (task, NULL);
}

/* A snapshot read in a worker sees the ledger as it was when it was opened, whatever is
 * written meanwhile; a new snapshot sees the new rows. */
static void
test_snapshot (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(SaomaStoreSnapshot) before = NULL;
  g_autoptr(SaomaStoreSnapshot) after = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;

  g_clear_object (&r1);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *no = g_strdup_printf ("D%u", i);
      g_autoptr(SaomaAttempt) a = store_insert (f, no, T0 + i * SEC,
                                                i == 0 ? SAOMA_ATTEMPT_WAITING
                                                       : SAOMA_ATTEMPT_PAID);
    }
  g_assert_true (saoma_ledger_append_event_sync (f->ledger, NULL, "day-close", "Z 1", &error));

  saoma_store_open_snapshot_async (f->store, NULL, result_cb, &r1);
  before = saoma_store_open_snapshot_finish (f->store, wait_result (&r1), &error);
  g_assert_no_error (error);

  /* Written after the snapshot: two attempts, a refund that succeeds, another close. */
  {
    g_autoptr(SaomaAttempt) x = store_insert (f, "D5", T0 + 5 * SEC, SAOMA_ATTEMPT_PAID);
    g_autoptr(SaomaAttempt) y = store_insert (f, "D6", T0 + 6 * SEC, SAOMA_ATTEMPT_PAID);
    g_autoptr(SaomaLedgerRefund) refund = NULL;

    refund = saoma_ledger_insert_refund_sync (f->ledger, "D1", "DR1", 10, NULL, &error);
    g_assert_no_error (error);
    g_clear_pointer (&refund, saoma_ledger_refund_free);
    refund = saoma_ledger_update_refund_sync (f->ledger, "DR1", SAOMA_REFUND_SUCCESS, NULL, NULL,
                                              &error);
    g_assert_no_error (error);
    g_assert_true (saoma_ledger_append_event_sync (f->ledger, NULL, "day-close", "Z 2",
                                                   &error));
  }

  g_assert_cmpint (count_in_worker (before), ==, 5 * 1000 + 0);
  events = saoma_store_snapshot_list_till_events (before, "day-close", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  unfinished = saoma_store_snapshot_list_unfinished (before, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);

  saoma_store_open_snapshot_async (f->store, NULL, result_cb, &r2);
  after = saoma_store_open_snapshot_finish (f->store, wait_result (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_in_worker (after), ==, 7 * 1000 + 1);

  /* The old one still answers as before. */
  g_assert_cmpint (count_in_worker (before), ==, 5 * 1000 + 0);
}

/* The lookups the reconciliation makes per bill row (an attempt by out_trade_no, its
 * refunds) answer from the snapshot too, not from the ledger as it is now. */
static void
test_snapshot_lookups (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(SaomaStoreSnapshot) before = NULL;
  g_autoptr(SaomaStoreSnapshot) after = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) d0 = store_insert (f, "L0", T0, SAOMA_ATTEMPT_PAID);
  g_autoptr(SaomaAttempt) found = NULL;
  g_autoptr(SaomaAttempt) missing = NULL;
  g_autoptr(SaomaAttempt) later = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) refunds_after = NULL;

  saoma_store_open_snapshot_async (f->store, NULL, result_cb, &r1);
  before = saoma_store_open_snapshot_finish (f->store, wait_result (&r1), &error);
  g_assert_no_error (error);

  {
    g_autoptr(SaomaAttempt) d1 = store_insert (f, "L1", T0 + SEC, SAOMA_ATTEMPT_PAID);
    g_autoptr(SaomaLedgerRefund) refund = NULL;

    refund = saoma_ledger_insert_refund_sync (f->ledger, "L0", "LR1", 10, NULL, &error);
    g_assert_no_error (error);
  }

  found = saoma_store_snapshot_get_attempt (before, "L0", &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (found), ==, "L0");
  missing = saoma_store_snapshot_get_attempt (before, "L1", &error);
  g_assert_no_error (error);
  g_assert_null (missing);
  refunds = saoma_store_snapshot_list_refunds_of (before, "L0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 0);

  saoma_store_open_snapshot_async (f->store, NULL, result_cb, &r2);
  after = saoma_store_open_snapshot_finish (f->store, wait_result (&r2), &error);
  g_assert_no_error (error);
  later = saoma_store_snapshot_get_attempt (after, "L1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (later);
  refunds_after = saoma_store_snapshot_list_refunds_of (after, "L0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds_after->len, ==, 1);
  g_assert_cmpstr (((SaomaLedgerRefund *) refunds_after->pdata[0])->out_refund_no, ==, "LR1");
}

/* The page source: counts, pages from anchors, positions and sums agree with the rows. */
static void
test_pages (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  SaomaStoreFilter all = { .state = -1 };
  SaomaStoreFilter paid = { .state = SAOMA_ATTEMPT_PAID };
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(SaomaAttempt) oldest_paid = NULL;
  guint n_items = 0;
  gint64 newest = 0, sum = 0;
  guint pos = G_MAXUINT;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *no = g_strdup_printf ("P%03u", i);

      g_ptr_array_add (rows, saoma_attempt_new_full (0, no, 1 + i, NULL, NULL, T0 + (i / 3) * SEC,
                                                     T0, T0, i % 2 ? SAOMA_ATTEMPT_PAID
                                                                   : SAOMA_ATTEMPT_CLOSED,
                                                     NULL, NULL, 0, 0, FALSE));
    }
  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, rows, &error));
  g_assert_no_error (error);

  saoma_store_count_attempts_async (f->store, &paid, NULL, result_cb, &r);
  g_assert_true (saoma_store_count_attempts_finish (f->store, wait_result (&r), &n_items,
                                                    &newest, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_items, ==, 150);
  g_assert_cmpint (newest, ==, 300);
  g_clear_object (&r);

  saoma_store_sum_amount_async (f->store, &all, SAOMA_ATTEMPT_PAID, NULL, result_cb, &r);
  g_assert_true (saoma_store_sum_amount_finish (f->store, wait_result (&r), &sum, &error));
  g_assert_cmpint (sum, ==, 150 * 151);  /* 2 + 4 + … + 300 */
  g_clear_object (&r);

  /* Far from any anchor: the page comes with the keys walked past; from one of those keys,
   * the same page again. Newest first: position p is row 299 - p. */
  {
    g_autoptr(SaomaStorePage) far = NULL;
    g_autoptr(SaomaStorePage) near = NULL;
    SaomaStoreKey anchor;

    saoma_store_fetch_attempts_async (f->store, &all, NULL, 256, 32, NULL, result_cb, &r);
    far = saoma_store_fetch_attempts_finish (f->store, wait_result (&r), &error);
    g_assert_no_error (error);
    g_clear_object (&r);
    g_assert_cmpuint (far->items->len, ==, 32);
    g_assert_cmpuint (far->keys->len, >=, 8);
    for (guint i = 0; i < far->items->len; i++)
      g_assert_cmpint (saoma_attempt_get_id (far->items->pdata[i]), ==, 300 - (256 + i));
    anchor = g_array_index (far->keys, SaomaStoreKey, 7);
    g_assert_cmpuint (anchor.pos, ==, 224);
    g_assert_cmpint (anchor.id, ==, 300 - 224);

    saoma_store_fetch_attempts_async (f->store, &all, &anchor, 256, 32, NULL, result_cb, &r);
    near = saoma_store_fetch_attempts_finish (f->store, wait_result (&r), &error);
    g_assert_no_error (error);
    g_clear_object (&r);
    g_assert_cmpuint (near->items->len, ==, 32);
    g_assert_cmpint (saoma_attempt_get_id (near->items->pdata[0]), ==, 300 - 256);
    g_assert_cmpint (saoma_attempt_get_id (near->items->pdata[31]), ==, 300 - 287);
  }

  oldest_paid = saoma_ledger_get_attempt_sync (f->ledger, "P001", &error);
  g_assert_no_error (error);
  saoma_store_locate_attempt_async (f->store, &paid, oldest_paid, FALSE, NULL, result_cb, &r);
  g_assert_true (saoma_store_locate_attempt_finish (f->store, wait_result (&r), &pos, &error));
  g_assert_no_error (error);
  g_clear_object (&r);
  /* P001 is the oldest paid row: 149 paid rows are newer. */
  g_assert_cmpuint (pos, ==, 149);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/interface", test_interface);
  ADD ("/store/snapshot", test_snapshot);
  ADD ("/store/snapshot-lookups", test_snapshot_lookups);
  ADD ("/store/pages", test_pages);
#undef ADD

  return g_test_run ();
}
