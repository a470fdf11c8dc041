/* test-lease.c: one owner per attempt and per refund (DESIGN.md, "Ownership"). The store's
 * compare-and-set and the owner's verdict in-process; then real saoma-cli processes on one
 * ledger against an in-process wxpay-sim, which counts the gateway calls each made. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/saoma-checkout.h"
#include "core/saoma-lease.h"
#include "core/saoma-merchant.h"
#include "core/saoma-pin-guard.h"
#include "core/saoma-till.h"
#include "ledger/saoma-ledger.h"
#include "sim/wxpay-sim-server.h"

#include "test-util.h"

#define WAIT_UNTIL(cond) SAOMA_TEST_WAIT_UNTIL (cond, 60)

/* A boot id no machine has: an owner elsewhere, whose pid means nothing here. */
#define FOREIGN_OWNER "00000000-0000-4000-8000-000000000000/4242/1/T09"

typedef struct
{
  char           *dir;
  char           *ledger;
  WxpaySimServer *sim;
  const char     *gateway;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-lease-XXXXXX", &error);
  g_assert_no_error (error);
  f->ledger = g_build_filename (f->dir, "ledger.db", NULL);

  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "close-min-age", 0u, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->gateway = wxpay_sim_server_get_base_uri (f->sim);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  saoma_test_rm_rf (f->dir);
  g_free (f->ledger);
  g_free (f->dir);
}

/* --- The store: compare-and-set ------------------------------------------------------------ */

static GPtrArray *
one_lease (SaomaLeaseKind kind,
           const char    *key,
           const char    *owner,
           gint64         heartbeat)
{
  GPtrArray *leases = g_ptr_array_new_with_free_func ((GDestroyNotify)saoma_ledger_lease_free);

  g_ptr_array_add (leases, saoma_ledger_lease_new (kind, key, owner, heartbeat));
  return leases;
}

static guint
change (SaomaLedger     *ledger,
        SaomaLeaseChange what,
        const char      *owner,
        GPtrArray       *leases)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changed = saoma_ledger_change_leases_sync (ledger, what, owner, leases,
                                                                   &error);

  g_assert_no_error (error);
  return changed->len;
}

/* The lease is written with the attempt; a claim wins only on the owner and heartbeat it read,
 * so of two claimers on the same reading exactly one wins; only the owner renews or releases;
 * a final state ends the lease. The same for refunds. */
static void
test_store_claim (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new ("T01LEASE1", 100, NULL, "T01",
                                                        g_get_real_time (), g_get_real_time ());
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) final = NULL;
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(GPtrArray) stale = NULL;
  g_autoptr(GPtrArray) fresh = NULL;
  SaomaLedgerLease  *lease;
  SaomaAttemptUpdate closing = { .state = SAOMA_ATTEMPT_FAILED };

  g_assert_no_error (error);
  saoma_attempt_set_owner (attempt, "A", 0);
  stored = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_attempt_get_owner (stored), ==, "A");
  g_assert_cmpint (saoma_attempt_get_heartbeat (stored), >, 0);

  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_ATTEMPT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (leases->len, ==, 1);
  lease = g_ptr_array_index (leases, 0);
  g_assert_cmpstr (lease->key, ==, "T01LEASE1");
  g_assert_cmpstr (lease->owner, ==, "A");

  /* B and C both read A's lease and claim: B wins, C's reading is stale. */
  stale = one_lease (SAOMA_LEASE_ATTEMPT, "T01LEASE1", "A", lease->heartbeat);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "B", stale), ==, 1);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "C", stale), ==, 0);
  /* A wrong heartbeat, or a wrong owner, takes nothing either. */
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "C",
                            fresh = one_lease (SAOMA_LEASE_ATTEMPT, "T01LEASE1", "B", 1)),
                    ==, 0);

  /* Only B renews and releases it now. */
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_RENEW, "A", stale), ==, 0);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_RENEW, "B", stale), ==, 1);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_RELEASE, "C", stale), ==, 0);
  g_clear_object (&stored);
  stored = saoma_ledger_get_attempt_sync (ledger, "T01LEASE1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_attempt_get_owner (stored), ==, "B");

  /* A final state ends it in the same write; nothing final can be claimed. */
  final = saoma_ledger_update_attempt_sync (ledger, "T01LEASE1", &closing, &error);
  g_assert_no_error (error);
  g_assert_null (saoma_attempt_get_owner (final));
  g_clear_pointer (&fresh, g_ptr_array_unref);
  fresh = one_lease (SAOMA_LEASE_ATTEMPT, "T01LEASE1", NULL, saoma_attempt_get_heartbeat (final));
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "C", fresh), ==, 0);
  g_clear_pointer (&leases, g_ptr_array_unref);
  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_ATTEMPT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (leases->len, ==, 0);
}

typedef struct
{
  gboolean done;
  GError  *error;
} Outcome;

static void
refund_updated_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Outcome *outcome = user_data;
  g_autoptr(SaomaLedgerRefund) refund = saoma_ledger_update_refund_finish (SAOMA_LEDGER (source),
                                                                           result,
                                                                           &outcome->error);

  g_assert_true ((refund != NULL) != (outcome->error != NULL));
  outcome->done = TRUE;
}

/* A fenced refund update: NULL when written, else the store's error. */
static GError *
update_refund_fenced (SaomaLedger     *ledger,
                      const char      *out_refund_no,
                      SaomaRefundState state,
                      const char      *owner)
{
  Outcome outcome = { 0 };

  saoma_ledger_update_refund_fenced_async (ledger, out_refund_no, state, NULL, NULL, owner, NULL,
                                           refund_updated_cb, &outcome);
  WAIT_UNTIL (outcome.done);
  return outcome.error;
}

/* Fencing: an update that names the owner it believes it is applies only while that owner
 * holds the row; once another took it over, the old owner's update is refused with
 * NOT_OWNER and nothing is written (no state, no event); the new owner's goes through. The
 * same for refunds. */
static void
test_store_fence (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new ("T01FENCE1", 100, NULL, "T01",
                                                        g_get_real_time (), g_get_real_time ());
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) after = NULL;
  g_autoptr(SaomaAttempt) refused = NULL;
  g_autoptr(SaomaAttempt) taken = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(GPtrArray) claim = NULL;
  g_autoptr(SaomaLedgerRefund) refund = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autofree char *otn = NULL;
  SaomaAttemptUpdate by_a = { .state = SAOMA_ATTEMPT_SUBMITTED, .owner = "A" };
  SaomaAttemptUpdate stale = { .state = SAOMA_ATTEMPT_UNKNOWN, .owner = "A" };
  SaomaAttemptUpdate by_b = { .state = SAOMA_ATTEMPT_UNKNOWN, .owner = "B" };
  guint n_events;

  g_assert_no_error (error);
  saoma_attempt_set_owner (attempt, "A", 0);
  stored = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);

  /* The owner's own update goes through. */
  after = saoma_ledger_update_attempt_sync (ledger, "T01FENCE1", &by_a, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (after), ==, SAOMA_ATTEMPT_SUBMITTED);

  /* B takes it over (a recovery's claim). */
  claim = one_lease (SAOMA_LEASE_ATTEMPT, "T01FENCE1", "A", saoma_attempt_get_heartbeat (after));
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "B", claim), ==, 1);
  events = saoma_ledger_list_events_sync (ledger, "T01FENCE1", &error);
  g_assert_no_error (error);
  n_events = events->len;

  /* A wakes up and writes: refused, nothing written. */
  refused = saoma_ledger_update_attempt_sync (ledger, "T01FENCE1", &stale, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_OWNER);
  g_assert_null (refused);
  g_clear_error (&error);
  g_clear_object (&after);
  after = saoma_ledger_get_attempt_sync (ledger, "T01FENCE1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (after), ==, SAOMA_ATTEMPT_SUBMITTED);
  g_assert_cmpstr (saoma_attempt_get_owner (after), ==, "B");
  g_clear_pointer (&events, g_ptr_array_unref);
  events = saoma_ledger_list_events_sync (ledger, "T01FENCE1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, n_events);

  /* B's goes through. */
  taken = saoma_ledger_update_attempt_sync (ledger, "T01FENCE1", &by_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (taken), ==, SAOMA_ATTEMPT_UNKNOWN);

  /* A's write that the table would refuse anyway (UNKNOWN → SUBMITTED) is refused as the
   * lost owner's first: A stops as taken over, not as a failed write. */
  g_clear_object (&refused);
  refused = saoma_ledger_update_attempt_sync (ledger, "T01FENCE1", &by_a, &error);
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_OWNER);
  g_assert_null (refused);
  g_clear_error (&error);

  /* A refund: claimed by A, taken over by B; A's update refused, B's applied. */
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);
  refund = saoma_ledger_insert_refund_sync (ledger, otn, "T01RFENCE1", 200, NULL, &error);
  g_assert_no_error (error);
  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_REFUND, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (leases->len, ==, 1);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "A", leases), ==, 1);
  g_clear_pointer (&leases, g_ptr_array_unref);
  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_REFUND, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "B", leases), ==, 1);

  error = update_refund_fenced (ledger, "T01RFENCE1", SAOMA_REFUND_UNKNOWN, "A");
  g_assert_error (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_OWNER);
  g_clear_error (&error);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((SaomaLedgerRefund *)refunds->pdata[0])->state, ==, SAOMA_REFUND_CREATED);

  error = update_refund_fenced (ledger, "T01RFENCE1", SAOMA_REFUND_UNKNOWN, "B");
  g_assert_no_error (error);
  g_clear_pointer (&refunds, g_ptr_array_unref);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((SaomaLedgerRefund *)refunds->pdata[0])->state, ==, SAOMA_REFUND_UNKNOWN);
}

/* Events are fenced by the same owner check: recorded as themselves while their engine holds
 * the row, as "stale" (the kind kept in the detail) once another took it over or it ended. */
static void
test_store_fenced_events (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new ("T01FENCE2", 100, NULL, "T01",
                                                        g_get_real_time (), g_get_real_time ());
  g_autoptr(SaomaAttempt) stored = NULL;
  g_autoptr(SaomaAttempt) closed = NULL;
  g_autoptr(GPtrArray) claim = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaLedgerRefund) refund = NULL;
  g_autofree char *otn = NULL;
  SaomaAttemptUpdate close_by_b = { .state = SAOMA_ATTEMPT_FAILED, .owner = "B" };
  static const struct { const char *kind, *detail; } expected[] = {
    { "response", "orderquery → NOTPAY (A)" },
    { SAOMA_LEDGER_STALE_KIND, "response: orderquery → NOTPAY (A, stopped)" },
    { "response", "orderquery → NOTPAY (B)" },
    { SAOMA_LEDGER_STALE_KIND, "note: after B ended it (A)" },
  };
  guint first = 0;

  g_assert_no_error (error);
  saoma_attempt_set_owner (attempt, "A", 0);
  stored = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
  events = saoma_ledger_list_events_sync (ledger, "T01FENCE2", &error);
  g_assert_no_error (error);
  first = events->len;
  g_clear_pointer (&events, g_ptr_array_unref);

  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_ATTEMPT, "T01FENCE2",
                                                        "A", "T01FENCE2", "response",
                                                        "orderquery → NOTPAY (A)", &error));
  claim = one_lease (SAOMA_LEASE_ATTEMPT, "T01FENCE2", "A", saoma_attempt_get_heartbeat (stored));
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "B", claim), ==, 1);
  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_ATTEMPT, "T01FENCE2",
                                                        "A", "T01FENCE2", "response",
                                                        "orderquery → NOTPAY (A, stopped)",
                                                        &error));
  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_ATTEMPT, "T01FENCE2",
                                                        "B", "T01FENCE2", "response",
                                                        "orderquery → NOTPAY (B)", &error));
  closed = saoma_ledger_update_attempt_sync (ledger, "T01FENCE2", &close_by_b, &error);
  g_assert_no_error (error);
  g_assert_null (saoma_attempt_get_owner (closed));
  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_ATTEMPT, "T01FENCE2",
                                                        "A", "T01FENCE2", "note",
                                                        "after B ended it (A)", &error));
  g_assert_no_error (error);

  events = saoma_ledger_list_events_sync (ledger, "T01FENCE2", &error);
  g_assert_no_error (error);
  /* B's close wrote its transition event between. */
  g_assert_cmpuint (events->len, ==, first + G_N_ELEMENTS (expected) + 1);
  for (guint i = 0, e = 0; i < G_N_ELEMENTS (expected); i++, e++)
    {
      SaomaLedgerEvent *event = events->pdata[first + e];

      if (g_str_equal (event->kind, "transition"))
        event = events->pdata[first + ++e];
      g_assert_cmpstr (event->kind, ==, expected[i].kind);
      g_assert_cmpstr (event->detail, ==, expected[i].detail);
    }
  g_clear_pointer (&events, g_ptr_array_unref);

  /* A refund's events are fenced by the refund's owner. */
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);
  refund = saoma_ledger_insert_refund_sync (ledger, otn, "T01RFENCE2", 200, NULL, &error);
  g_assert_no_error (error);
  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_REFUND, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "A", leases), ==, 1);
  g_clear_pointer (&leases, g_ptr_array_unref);
  leases = saoma_ledger_list_leases_sync (ledger, SAOMA_LEASE_REFUND, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (change (ledger, SAOMA_LEASE_CLAIM, "B", leases), ==, 1);
  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_REFUND, "T01RFENCE2",
                                                        "A", otn, "response",
                                                        "refundquery T01RFENCE2 → PROCESSING",
                                                        &error));
  g_assert_true (saoma_ledger_append_fenced_event_sync (ledger, SAOMA_LEASE_REFUND, "T01RFENCE2",
                                                        "B", otn, "response",
                                                        "refundquery T01RFENCE2 → SUCCESS",
                                                        &error));
  events = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >=, 2);
  g_assert_cmpstr (((SaomaLedgerEvent *)events->pdata[events->len - 2])->kind, ==,
                   SAOMA_LEDGER_STALE_KIND);
  g_assert_cmpstr (((SaomaLedgerEvent *)events->pdata[events->len - 2])->detail, ==,
                   "response: refundquery T01RFENCE2 → PROCESSING");
  g_assert_cmpstr (((SaomaLedgerEvent *)events->pdata[events->len - 1])->kind, ==, "response");
}

/* --- The verdict ------------------------------------------------------------------------------ */

static char *
owner_of (GSubprocess *process,
          guint64      start_delta)
{
  g_autofree char *self = saoma_lease_owner_new ("T01");
  g_autofree char *boot = NULL;
  g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat",
                                                g_subprocess_get_identifier (process));
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (saoma_lease_owner_parse (self, &boot, NULL, NULL, NULL));
  g_assert_true (g_file_get_contents (stat_path, &stat, NULL, NULL));
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", 21);
  return g_strdup_printf ("%s/%s/%" G_GUINT64_FORMAT "/T02", boot,
                          g_subprocess_get_identifier (process),
                          g_ascii_strtoull (fields[19], NULL, 10) + start_delta);
}

/* Waits (up to 10 s) until the process of /proc/PID/stat @path is a zombie (state Z). */
static void
wait_zombie (const char *path)
{
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, ") Z ") != NULL)
        return;
      g_usleep (10 * 1000);
    }
  g_assert_not_reached ();
}

/* Free, mine, held by a living process, orphaned by a dead one or by a reused pid (another
 * start time), and by another machine: held while fresh, lapsed when stale. */
static void
test_verdict (void)
{
  g_autofree char *self = saoma_lease_owner_new ("T01");
  g_autofree char *other_till = saoma_lease_owner_new ("T02");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) sleeper = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep",
                                                      "30", NULL);
  g_autofree char *alive = NULL;
  g_autofree char *reused = NULL;
  gint64           now = g_get_real_time ();
  gint64           lapse = SAOMA_LEASE_LAPSE_INTERVALS * saoma_lease_interval_us ();

  g_assert_no_error (error);
  alive = owner_of (sleeper, 0);
  reused = owner_of (sleeper, 1);

  g_assert_cmpint (saoma_lease_judge (NULL, 0, now, self), ==, SAOMA_LEASE_FREE);
  g_assert_cmpint (saoma_lease_judge (self, now, now, self), ==, SAOMA_LEASE_MINE);
  g_assert_cmpint (saoma_lease_judge (other_till, 0, now, self), ==, SAOMA_LEASE_MINE);
  g_assert_cmpint (saoma_lease_judge (alive, now, now, self), ==, SAOMA_LEASE_HELD);
  g_assert_cmpint (saoma_lease_judge (alive, now - lapse - 1, now, self), ==,
                   SAOMA_LEASE_LAPSED);
  g_assert_cmpint (saoma_lease_judge (reused, now, now, self), ==, SAOMA_LEASE_ORPHANED);
  g_assert_cmpint (saoma_lease_judge (FOREIGN_OWNER, now, now, self), ==, SAOMA_LEASE_HELD);
  g_assert_cmpint (saoma_lease_judge (FOREIGN_OWNER, now - lapse - 1, now, self), ==,
                   SAOMA_LEASE_LAPSED);

  g_subprocess_force_exit (sleeper);
  g_assert_true (g_subprocess_wait (sleeper, NULL, NULL));
  g_assert_cmpint (saoma_lease_judge (alive, now, now, self), ==, SAOMA_LEASE_ORPHANED);

  /* Killed but not reaped yet (a zombie): gone all the same. */
  {
    g_autofree char *boot = NULL;
    g_autofree char *zombie = NULL;
    g_autofree char *stat_path = NULL;
    pid_t            child = fork ();

    if (child == 0)
      _exit (0);
    g_assert_cmpint (child, >, 0);
    stat_path = g_strdup_printf ("/proc/%d/stat", (int)child);
    wait_zombie (stat_path);
    g_assert_true (saoma_lease_owner_parse (self, &boot, NULL, NULL, NULL));
    zombie = g_strdup_printf ("%s/%d/0/T03", boot, (int)child);
    g_assert_cmpint (saoma_lease_judge (zombie, now, now, self), ==, SAOMA_LEASE_ORPHANED);
    g_assert_cmpint (waitpid (child, NULL, 0), ==, child);
  }
}

/* --- Processes -------------------------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  gboolean     exited;
  char        *out;
  char        *err;
  char        *pid;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err,
                                        &error);
  g_assert_no_error (error);
  run->exited = TRUE;
}

static char *
cli_path (void)
{
  const char *cli = g_getenv ("SAOMA_CLI");

  return cli != NULL ? g_strdup (cli) : g_build_filename (BUILD_DIR, "src", "cli", "saoma-cli", NULL);
}

/* SAOMA_LEASE_INTERVAL_MS for the processes started next, or NULL for the default. */
static const char *lease_interval_ms;

/* saoma-cli with @args (NULL-terminated); @crash_at: SAOMA_CRASH_AT, or NULL. */
static Run *
start (const char *crash_at,
       const char *first,
       ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Run    *run = g_new0 (Run, 1);
  va_list args;

  g_ptr_array_add (argv, cli_path ());
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "en", TRUE);
  if (crash_at != NULL)
    g_subprocess_launcher_setenv (launcher, "SAOMA_CRASH_AT", crash_at, TRUE);
  if (lease_interval_ms != NULL)
    g_subprocess_launcher_setenv (launcher, "SAOMA_LEASE_INTERVAL_MS", lease_interval_ms, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "SAOMA_LEASE_INTERVAL_MS");
  run->process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata,
                                               &error);
  g_assert_no_error (error);
  run->pid = g_strdup (g_subprocess_get_identifier (run->process));
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_cb, run);
  return run;
}

static int
finish (Run *run)
{
  WAIT_UNTIL (run->exited);
  g_subprocess_wait (run->process, NULL, NULL);
  g_test_message ("pid %s: stdout “%s” stderr “%s”", run->pid, run->out, run->err);
  if (g_subprocess_get_if_signaled (run->process))
    return -g_subprocess_get_term_sig (run->process);
  return g_subprocess_get_exit_status (run->process);
}

static void
run_free (Run *run)
{
  g_clear_object (&run->process);
  g_free (run->out);
  g_free (run->err);
  g_free (run->pid);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* The out_trade_no of the order the sim learnt of since @known orders. */
static char *
wait_for_order (Fixture *f,
                guint    known)
{
  char *otn = NULL;

  WAIT_UNTIL (({
    g_autofree char *json = wxpay_sim_server_dup_orders_json (f->sim);
    const char      *p = json;

    for (guint i = 0; p != NULL && i <= known; i++)
      if ((p = strstr (p, "\"out_trade_no\":\"")) != NULL)
        p += strlen ("\"out_trade_no\":\"");
    if (p != NULL)
      otn = g_strndup (p, strchr (p, '"') - p);
    otn != NULL;
  }));

  return otn;
}

static SaomaAttempt *
ledger_attempt (Fixture    *f,
                const char *otn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  SaomaAttempt *attempt;

  g_assert_no_error (error);
  attempt = saoma_ledger_get_attempt_sync (ledger, otn, &error);
  g_assert_no_error (error);
  return attempt;
}

/* Sets a row's lease as another till would have written it. */
static void
set_lease (Fixture    *f,
           const char *table,
           const char *key_column,
           const char *key,
           const char *owner,
           gint64      heartbeat)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET owner = ?, heartbeat = ? WHERE %s = ?",
                                          table, key_column);
  sqlite3         *db = NULL;
  sqlite3_stmt    *stmt = NULL;

  g_assert_cmpint (sqlite3_open (f->ledger, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, heartbeat);
  sqlite3_bind_text (stmt, 3, key, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* An unpaid attempt left WAITING by a charge killed (kill -9) right after writing it. */
static char *
killed_charge (Fixture *f)
{
  g_autoptr(Run) run = start ("after-waiting", "--charge", "3.21", "--gateway", f->gateway,
                               "--ledger", f->ledger, NULL);
  g_auto(GStrv) lines = NULL;

  g_assert_cmpint (finish (run), ==, -SIGKILL);
  lines = g_strsplit (run->out, "\n", -1);
  return g_strdup (lines[0]);
}

static Run *
start_recover (Fixture *f)
{
  return start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger,
                "--close-delay", "0", "--poll-interval", "200", NULL);
}

/* (a) A charge waiting for its payment and a --recover on the same ledger: recover leaves the
 * attempt alone and says whose it is; the charge is then paid and ends PAID; nothing closed it. */
static void
test_running_charge (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  g_autofree char *said = NULL;
  g_auto(GStrv) lines = NULL;

  charge = start (NULL, "--charge", "12.34", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "200", NULL);
  otn = wait_for_order (f, 0);

  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 0; refunds 0; left alone 1\n");
  said = g_strdup_printf ("saoma: %s: owned by a running till (pid %s), left alone\n", otn,
                          charge->pid);
  g_assert_cmpstr (recover->err, ==, said);

  g_assert_false (charge->exited);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (finish (charge), ==, 0);
  lines = g_strsplit (charge->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[2], ==, "PAID");

  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_null (saoma_attempt_get_owner (attempt));
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The owner renews its lease while it waits: with a 100 ms interval, a recovery long after the
 * heartbeat written with the attempt would have lapsed (> 3 intervals) still finds it fresh,
 * and the heartbeat on record moved on. */
static void
test_heartbeat (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) first = NULL;
  g_autoptr(SaomaAttempt) later = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  gboolean         waited = FALSE;

  lease_interval_ms = "100";
  charge = start (NULL, "--charge", "7.89", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "200", NULL);
  otn = wait_for_order (f, 0);
  first = ledger_attempt (f, otn);

  /* Ten intervals: the insert's heartbeat alone would have lapsed three times over. */
  g_timeout_add (1000, timeout_cb, &waited);
  WAIT_UNTIL (waited);
  later = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_heartbeat (later), >,
                   saoma_attempt_get_heartbeat (first) + 500 * 1000);

  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 0; refunds 0; left alone 1\n");

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (finish (charge), ==, 0);
  lease_interval_ms = NULL;
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);
}

/* (b) The charge killed with kill -9 while waiting: --recover right after takes it over (its
 * owner's process is gone), without waiting for the lease to lapse. */
static void
test_killed_charge (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;

  charge = start (NULL, "--charge", "4.56", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "200", NULL);
  otn = wait_for_order (f, 0);
  WAIT_UNTIL (({
    g_autoptr(SaomaAttempt) a = ledger_attempt (f, otn);
    saoma_attempt_get_state (a) == SAOMA_ATTEMPT_WAITING;
  }));
  g_subprocess_send_signal (charge->process, SIGKILL);
  g_assert_cmpint (finish (charge), ==, -SIGKILL);

  attempt = ledger_attempt (f, otn);
  g_assert_nonnull (saoma_attempt_get_owner (attempt));
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 1: 1 PAID; refunds 0\n");
  g_clear_object (&attempt);
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
}

/* (c) An owner on another machine (another boot id): left alone while its heartbeat is fresh,
 * taken over once it is older than the lapse. */
static void
test_foreign_owner (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char *otn = killed_charge (f);
  g_autoptr(Run) fresh = NULL;
  g_autoptr(Run) stale = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  gint64 lapse = SAOMA_LEASE_LAPSE_INTERVALS * SAOMA_LEASE_INTERVAL_S * G_USEC_PER_SEC;

  set_lease (f, "attempts", "out_trade_no", otn, FOREIGN_OWNER, g_get_real_time ());
  fresh = start_recover (f);
  g_assert_cmpint (finish (fresh), ==, 0);
  g_assert_cmpstr (fresh->out, ==, "recovered 0; refunds 0; left alone 1\n");
  g_assert_nonnull (strstr (fresh->err, "owned by a running till (pid 4242), left alone"));
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_WAITING);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);

  set_lease (f, "attempts", "out_trade_no", otn, FOREIGN_OWNER,
             g_get_real_time () - lapse - 5 * G_USEC_PER_SEC);
  stale = start_recover (f);
  g_assert_cmpint (finish (stale), ==, 0);
  g_assert_cmpstr (stale->out, ==, "recovered 1: 1 CLOSED; refunds 0\n");
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 1);
}

static gboolean advance_sim_cb (gpointer data);

/* The number in "recovered N…" or "…; refunds N…". */
static guint
summary_count (const char *out,
               const char *word)
{
  const char *p = strstr (out, word);

  g_assert_nonnull (p);
  return (guint)g_ascii_strtoull (p + strlen (word), NULL, 10);
}

/* (d) Two recoverers at once on three orphaned attempts: each attempt is driven by exactly one
 * of them (one closeorder per order at the sim, never two). */
static void
test_two_recoverers (Fixture      *f,
                     gconstpointer data)
{
  g_autofree char *a = killed_charge (f);
  g_autofree char *b = killed_charge (f);
  g_autofree char *c = killed_charge (f);
  g_autoptr(Run) one = NULL;
  g_autoptr(Run) two = NULL;
  const char *otns[] = { a, b, c };

  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/orderquery"), ==, 0);

  one = start_recover (f);
  two = start_recover (f);
  g_assert_cmpint (finish (one), ==, 0);
  g_assert_cmpint (finish (two), ==, 0);

  g_assert_cmpuint (summary_count (one->out, "recovered ") +
                      summary_count (two->out, "recovered "),
                    ==, 3);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (otns); i++)
    {
      g_autoptr(SaomaAttempt) attempt = ledger_attempt (f, otns[i]);

      g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_CLOSED);
    }
}

/* A payment code (付款码) charge while the customer types the password (USERPAYING): --recover
 * leaves it alone; the charge ends PAID; nothing reversed or closed it. */
static void
test_running_code (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *otn = NULL;
  g_auto(GStrv) lines = NULL;
  guint advance;

  /* The simulator's last digit 1: USERPAYING, then SUCCESS after the password time. */
  charge = start (NULL, "--charge", "23.45", "--auth-code", "134567890123456781", "--gateway",
                  f->gateway, "--ledger", f->ledger, NULL);
  otn = wait_for_order (f, 0);

  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 0; refunds 0; left alone 1\n");
  g_assert_false (charge->exited);

  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (charge), ==, 0);
  g_source_remove (advance);
  lines = g_strsplit (charge->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[1], ==, "PAID");
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/secapi/pay/reverse"), ==, 0);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);
}

static void
till_left_alone_cb (SaomaCheckout *checkout,
                    SaomaAttempt  *attempt,
                    const char    *owner,
                    GPtrArray     *left)
{
  g_ptr_array_add (left, g_strdup (saoma_attempt_get_out_trade_no (attempt)));
}

static void
till_ready_cb (SaomaTill  *till,
               GParamSpec *pspec,
               GPtrArray  *left)
{
  g_signal_connect (saoma_till_get_checkout (till), "left-alone",
                    G_CALLBACK (till_left_alone_cb), left);
}

/* The till's start-up recovery (the application's) on a ledger where a charge is waiting in
 * another process and a killed one left a paid attempt: it resumes the killed one's, leaves the
 * running one's alone, and that charge then ends PAID. */
static void
test_till_start_up (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char *orphan = killed_charge (f);
  g_autoptr(Run) charge = NULL;
  g_autoptr(SaomaTillConfig) config = saoma_till_config_new ();
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(SaomaTill) till = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) left = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  guint            attempts = 0, refunds = 0;

  g_assert_true (wxpay_sim_server_pay (f->sim, orphan, &error));
  g_assert_no_error (error);
  charge = start (NULL, "--charge", "9.87", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "200", NULL);
  otn = wait_for_order (f, 1);

  merchant->base_uri = g_strdup (f->gateway);
  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  g_free (config->store_path);
  config->store_path = g_strdup (f->ledger);
  config->poll_interval_ms = 200;
  config->close_delay_s = 0;
  config->resume_at_start = TRUE;

  till = saoma_till_new (config, gateway, NULL);
  g_signal_connect (till, "notify::refunder", G_CALLBACK (till_ready_cb), left);
  saoma_till_start_async (till, NULL, saoma_test_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (saoma_till_start_finish (till, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  saoma_till_wait_recovered_async (till, NULL, saoma_test_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (saoma_till_wait_recovered_finish (till, result, &attempts, &refunds, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (attempts, ==, 1);
  g_assert_cmpuint (left->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (left, 0), ==, otn);
  attempt = ledger_attempt (f, orphan);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (finish (charge), ==, 0);
  g_clear_object (&attempt);
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);

  g_signal_handlers_disconnect_by_data (saoma_till_get_checkout (till), left);
  saoma_till_shutdown (till);
}

static void
taken_over_cb (SaomaCheckout *checkout,
               const char    *out_trade_no,
               char         **out_said)
{
  g_free (*out_said);
  *out_said = g_strdup (out_trade_no);
}

/* In one till: the attempt it shows is taken over by another till (its lease on record changed
 * owner); the customer pays and this till's query learns it, but its PAID write is fenced off:
 * the store keeps the other till's row as it was, and the checkout stops, says so
 * (taken-over, phase TAKEN_OVER, the error) and shows no QR any more. */
/* Whether the ledger file holds @otn in @state (read afresh). */
static gboolean
attempt_state_is (Fixture            *f,
                  const char         *otn,
                  SaomaAttemptState   state)
{
  g_autoptr(SaomaAttempt) attempt = ledger_attempt (f, otn);

  return attempt != NULL && saoma_attempt_get_state (attempt) == state;
}

static void
test_till_fenced (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(SaomaTillConfig) config = saoma_till_config_new ();
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(SaomaTill) till = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  g_autofree char *said = NULL;
  SaomaCheckout *checkout;
  const GError  *shown;
  guint          queries;

  merchant->base_uri = g_strdup (f->gateway);
  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  g_free (config->store_path);
  config->store_path = g_strdup (f->ledger);
  config->poll_interval_ms = 60 * 1000;
  config->close_delay_s = 0;

  till = saoma_till_new (config, gateway, NULL);
  saoma_till_start_async (till, NULL, saoma_test_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (saoma_till_start_finish (till, result, &error));
  g_assert_no_error (error);
  checkout = saoma_till_get_checkout (till);
  g_signal_connect (checkout, "taken-over", G_CALLBACK (taken_over_cb), &said);

  g_assert_true (saoma_checkout_charge (checkout, 1234, "fenced", &error));
  g_assert_no_error (error);
  WAIT_UNTIL (saoma_checkout_get_phase (checkout) == SAOMA_CHECKOUT_PHASE_SHOW_QR);
  otn = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  /* The QR shows with the verified answer, WAITING's write beside it: let it land first, so
   * that what the take-over fences below is the query's outcome. */
  WAIT_UNTIL (attempt_state_is (f, otn, SAOMA_ATTEMPT_WAITING));

  /* Another till's recovery took it over while this one was stopped. */
  set_lease (f, "attempts", "out_trade_no", otn, FOREIGN_OWNER, g_get_real_time ());
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  queries = wxpay_sim_server_count_calls (f->sim, "/pay/orderquery");
  saoma_checkout_query_now (checkout, NULL);

  WAIT_UNTIL (saoma_checkout_get_phase (checkout) == SAOMA_CHECKOUT_PHASE_TAKEN_OVER);
  g_assert_cmpstr (said, ==, otn);
  shown = saoma_checkout_get_error (checkout);
  g_assert_error ((GError *)shown, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_TAKEN_OVER);
  g_assert_null (saoma_checkout_get_code_url (checkout));
  g_assert_false (saoma_checkout_get_busy (checkout));
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/orderquery"), ==, queries + 1);

  /* The other till's row as it was: not PAID by this one, still its. */
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_WAITING);
  g_assert_cmpstr (saoma_attempt_get_owner (attempt), ==, FOREIGN_OWNER);

  /* Nothing more is driven here; the next sale may start. */
  saoma_checkout_reset (checkout);
  g_assert_cmpint (saoma_checkout_get_phase (checkout), ==, SAOMA_CHECKOUT_PHASE_IDLE);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 0);

  g_signal_handlers_disconnect_by_data (checkout, &said);
  saoma_till_shutdown (till);
}

/* The same in one till, deterministically: the attempt it shows is taken over while its
 * orderquery is on the way; the answer (paid) arrives before anything tells the till, and its
 * audit record is fenced like the PAID write it leads to: kept, as "stale". */
static void
test_till_fenced_events (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr(SaomaTillConfig) config = saoma_till_config_new ();
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(SaomaTill) till = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) events_after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  SaomaCheckout *checkout;
  SaomaLedgerEvent *event;

  merchant->base_uri = g_strdup (f->gateway);
  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  g_free (config->store_path);
  config->store_path = g_strdup (f->ledger);
  config->poll_interval_ms = 60 * 1000;
  config->close_delay_s = 0;

  till = saoma_till_new (config, gateway, NULL);
  saoma_till_start_async (till, NULL, saoma_test_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (saoma_till_start_finish (till, result, &error));
  g_assert_no_error (error);
  checkout = saoma_till_get_checkout (till);

  g_assert_true (saoma_checkout_charge (checkout, 1235, "fenced events", &error));
  g_assert_no_error (error);
  WAIT_UNTIL (saoma_checkout_get_phase (checkout) == SAOMA_CHECKOUT_PHASE_SHOW_QR);
  otn = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  WAIT_UNTIL (attempt_state_is (f, otn, SAOMA_ATTEMPT_WAITING));
  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  events = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);

  /* Another till's recovery takes it over while the query is on its way. */
  g_assert_true (wxpay_sim_server_set_faults (
    f->sim, "[{\"path\": \"/pay/orderquery\", \"latency_ms\": 300}]", &error));
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  saoma_checkout_query_now (checkout, NULL);
  set_lease (f, "attempts", "out_trade_no", otn, FOREIGN_OWNER, g_get_real_time ());

  WAIT_UNTIL (saoma_checkout_get_phase (checkout) == SAOMA_CHECKOUT_PHASE_TAKEN_OVER);
  g_assert_true (attempt_state_is (f, otn, SAOMA_ATTEMPT_WAITING));
  events_after = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);
  for (guint i = events->len; i < events_after->len; i++)
    g_test_message ("after the take-over: %s: %s",
                    ((SaomaLedgerEvent *)events_after->pdata[i])->kind,
                    ((SaomaLedgerEvent *)events_after->pdata[i])->detail);
  /* The answer is on record, as what it was: not this attempt's course any more. */
  g_assert_cmpuint (events_after->len, ==, events->len + 1);
  event = events_after->pdata[events->len];
  g_assert_cmpstr (event->kind, ==, SAOMA_LEDGER_STALE_KIND);
  g_assert_cmpstr (event->detail, ==, "response: orderquery → SUCCESS");

  saoma_checkout_reset (checkout);
  saoma_till_shutdown (till);
}

static gboolean
advance_sim_cb (gpointer data)
{
  wxpay_sim_server_advance_clock (data, 1);
  return G_SOURCE_CONTINUE;
}

/* The client certificate's PEM (certificate and key in one file) in a new directory. */
static char *
make_client_pem (char **out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = saoma_test_make_certificate ("lease");
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *cert_text = NULL;
  g_autofree char *key_text = NULL;
  g_autofree char *both = NULL;
  char            *pem = g_build_filename (dir, "client.pem", NULL);

  g_file_get_contents (cert_path, &cert_text, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (key_path, &key_text, NULL, &error);
  g_assert_no_error (error);
  both = g_strconcat (cert_text, key_text, NULL);
  g_file_set_contents (pem, both, -1, &error);
  g_assert_no_error (error);

  *out_dir = g_steal_pointer (&dir);
  return pem;
}

static Run *
start_refund_recover (Fixture    *f,
                      const char *pem)
{
  return start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger,
                "--client-cert", pem, "--poll-interval", "100", "--retry-interval", "100",
                NULL);
}

/* (e) The same for refunds: a refund another machine's till drives is left alone while its
 * heartbeat is fresh; once stale, two recoverers at once send it exactly once. */
static void
test_refunds (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaLedgerRefund) inserted = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(Run) fresh = NULL;
  g_autoptr(Run) one = NULL;
  g_autoptr(Run) two = NULL;
  g_autofree char *cert_dir = NULL;
  g_autofree char *pem = make_client_pem (&cert_dir);
  g_autofree char *otn = NULL;
  gint64           lapse = SAOMA_LEASE_LAPSE_INTERVALS * SAOMA_LEASE_INTERVAL_S * G_USEC_PER_SEC;
  guint            advance;

  g_assert_no_error (error);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);
  inserted = saoma_ledger_insert_refund_sync (ledger, otn, "T09R20261206000000001", 200,
                                              "退货", &error);
  g_assert_no_error (error);
  g_clear_object (&ledger);

  set_lease (f, "refunds", "out_refund_no", "T09R20261206000000001", FOREIGN_OWNER,
             g_get_real_time ());
  fresh = start_refund_recover (f, pem);
  g_assert_cmpint (finish (fresh), ==, 0);
  g_assert_cmpstr (fresh->out, ==, "recovered 0; refunds 0; left alone 1\n");
  g_assert_nonnull (strstr (fresh->err, "T09R20261206000000001: owned by a running till "
                                        "(pid 4242), left alone"));
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/secapi/pay/refund"), ==, 0);

  set_lease (f, "refunds", "out_refund_no", "T09R20261206000000001", FOREIGN_OWNER,
             g_get_real_time () - lapse - 5 * G_USEC_PER_SEC);
  one = start_refund_recover (f, pem);
  two = start_refund_recover (f, pem);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (one), ==, 0);
  g_assert_cmpint (finish (two), ==, 0);
  g_source_remove (advance);

  g_assert_cmpuint (summary_count (one->out, "refunds ") + summary_count (two->out, "refunds "),
                    ==, 1);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/secapi/pay/refund"), ==, 1);

  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *)refunds->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  saoma_test_rm_rf (cert_dir);
}

/* --- Fencing: a stopped owner woken after a take-over ------------------------------------ */

/* The heartbeat on record of @key's lease, read as another till's SQLite would. */
static gint64
heartbeat_of (Fixture       *f,
              SaomaLeaseKind kind,
              const char    *key)
{
  const char   *sql = kind == SAOMA_LEASE_REFUND
                        ? "SELECT heartbeat FROM refunds WHERE out_refund_no = ?"
                        : "SELECT heartbeat FROM attempts WHERE out_trade_no = ?";
  sqlite3      *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64        heartbeat;

  g_assert_cmpint (sqlite3_open_v2 (f->ledger, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  heartbeat = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return heartbeat;
}

/* Stops @run (SIGSTOP) right after one of its renewals is on record, so that it is not stopped
 * inside a write (holding the ledger's write lock), then waits until its lease has lapsed. */
static void
stop_after_renewal (Fixture       *f,
                    Run           *run,
                    SaomaLeaseKind kind,
                    const char    *key)
{
  gint64 seen = heartbeat_of (f, kind, key);
  gint64 lapse = SAOMA_LEASE_LAPSE_INTERVALS * g_ascii_strtoll (lease_interval_ms, NULL, 10) *
                 1000;

  g_assert_cmpint (seen, >, 0);
  for (guint i = 0; heartbeat_of (f, kind, key) == seen; i++)
    {
      g_assert_cmpuint (i, <, 10000);
      g_usleep (2 * 1000);
    }
  g_subprocess_send_signal (run->process, SIGSTOP);

  /* Past the lapse by a margin, as a recoverer judges it. */
  seen = heartbeat_of (f, kind, key);
  while (g_get_real_time () - seen <= lapse + 300 * 1000)
    g_usleep (20 * 1000);
}

/* The calls the simulator answered, all kinds. */
static guint
sim_calls (Fixture *f)
{
  const char *paths[] = { "/pay/unifiedorder", "/pay/orderquery", "/pay/closeorder",
                          "/secapi/pay/refund", "/pay/refundquery", "/secapi/pay/reverse",
                          "/pay/micropay" };
  guint       n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    n += wxpay_sim_server_count_calls (f->sim, paths[i]);
  return n;
}

/* (f) A charge stopped (SIGSTOP: a suspended laptop) long enough for its lease to lapse;
 * --recover takes the attempt over and closes it; woken (SIGCONT), the charge finds the row is
 * another's: it sends nothing more, says so, and exits non-zero. The ledger keeps the
 * recoverer's outcome only. */
static void
test_stopped_charge (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) events_after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  g_auto(GStrv) lines = NULL;
  guint calls;

  /* No query due before SIGSTOP (the first is 5 s after WAITING): a request the charge had
   * begun writing when it was stopped would reach the simulator only after SIGCONT, sent
   * before the stop yet counted after it. */
  lease_interval_ms = "200";
  charge = start (NULL, "--charge", "6.54", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "5000", NULL);
  otn = wait_for_order (f, 0);
  WAIT_UNTIL (({
    g_autoptr(SaomaAttempt) a = ledger_attempt (f, otn);
    saoma_attempt_get_state (a) == SAOMA_ATTEMPT_WAITING;
  }));

  stop_after_renewal (f, charge, SAOMA_LEASE_ATTEMPT, otn);
  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 1: 1 CLOSED; refunds 0\n");
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/pay/closeorder"), ==, 1);
  calls = sim_calls (f);
  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  events = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);

  g_subprocess_send_signal (charge->process, SIGCONT);
  g_assert_cmpint (finish (charge), ==, 1);
  lines = g_strsplit (charge->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[2], ==, "TAKEN OVER");
  g_assert_nonnull (strstr (charge->err, "another till took over this payment; this one sent "
                                        "nothing more for it"));
  lease_interval_ms = NULL;

  /* Nothing sent after SIGCONT, no state written: the recoverer's CLOSED stands. */
  g_assert_cmpuint (sim_calls (f), ==, calls);
  attempt = saoma_ledger_get_attempt_sync (ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_CLOSED);
  g_assert_null (saoma_attempt_get_owner (attempt));
  events_after = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);
  /* At most the audit record of an answer to a query sent before SIGSTOP (what reached this
   * process, said truly — and, the row being another's by then, recorded as stale); no
   * request, no transition, no note. */
  for (guint i = events->len; i < events_after->len; i++)
    {
      SaomaLedgerEvent *event = events_after->pdata[i];

      g_assert_cmpstr (event->kind, ==, SAOMA_LEDGER_STALE_KIND);
      g_assert_true (g_str_has_prefix (event->detail, "response: "));
    }
}

/* (h) Events are fenced like writes: a charge stopped while its orderquery is in flight
 * (answered only after the lease lapsed and --recover took the attempt over and closed it)
 * hears that answer when woken. Its audit record may not read as the attempt's course — a
 * plain "response" from a process that no longer drove it — but the exchange did happen: it
 * is kept as a "stale" event, and nothing of that process is recorded under any other kind. */
static void
test_stopped_charge_events (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) events_after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  guint queries, stale = 0;
  gint64 asked;

  lease_interval_ms = "200";
  charge = start (NULL, "--charge", "6.55", "--gateway", f->gateway, "--ledger", f->ledger,
                  "--poll-interval", "100", NULL);
  otn = wait_for_order (f, 0);
  WAIT_UNTIL (({
    g_autoptr(SaomaAttempt) a = ledger_attempt (f, otn);
    saoma_attempt_get_state (a) == SAOMA_ATTEMPT_WAITING;
  }));

  /* The next orderquery is answered 2 s after it arrives: stopped meanwhile, the charge has it
   * in flight. */
  g_assert_true (wxpay_sim_server_set_faults (
    f->sim, "[{\"path\": \"/pay/orderquery\", \"latency_ms\": 2000}]", &error));
  g_assert_no_error (error);
  queries = wxpay_sim_server_count_calls (f->sim, "/pay/orderquery");
  WAIT_UNTIL (wxpay_sim_server_count_calls (f->sim, "/pay/orderquery") > queries);
  asked = g_get_monotonic_time ();
  stop_after_renewal (f, charge, SAOMA_LEASE_ATTEMPT, otn);
  g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, &error));
  g_assert_no_error (error);

  recover = start_recover (f);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 1: 1 CLOSED; refunds 0\n");
  /* The stopped charge's answer has left the simulator. */
  while (g_get_monotonic_time () < asked + 2300 * 1000)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  events = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);

  g_subprocess_send_signal (charge->process, SIGCONT);
  g_assert_cmpint (finish (charge), ==, 1);
  lease_interval_ms = NULL;

  events_after = saoma_ledger_list_events_sync (ledger, otn, &error);
  g_assert_no_error (error);
  for (guint i = events->len; i < events_after->len; i++)
    {
      SaomaLedgerEvent *event = events_after->pdata[i];

      g_test_message ("after SIGCONT: %s: %s", event->kind, event->detail);
      g_assert_cmpstr (event->kind, ==, "stale");
      g_assert_true (g_str_has_prefix (event->detail, "response: orderquery"));
      stale++;
    }
  /* Woken, the process may learn of the take-over (its overdue renewal) before it reads the
   * answer, and then records nothing: till-fenced-events below is the deterministic case. */
  g_assert_cmpuint (stale, <=, 1);
}

/* The same for a payment code (付款码) charge waiting for the customer's password: the
 * recoverer finishes it (PAID); woken, the charge neither queries nor reverses. */
static void
test_stopped_code (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(Run) charge = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *otn = NULL;
  g_auto(GStrv) lines = NULL;
  guint calls, advance;

  lease_interval_ms = "200";
  /* The simulator's last digit 1: USERPAYING until its clock passes the password time. */
  charge = start (NULL, "--charge", "8.76", "--auth-code", "134567890123456781", "--gateway",
                  f->gateway, "--ledger", f->ledger, NULL);
  otn = wait_for_order (f, 0);
  WAIT_UNTIL (({
    g_autoptr(SaomaAttempt) a = ledger_attempt (f, otn);
    saoma_attempt_get_state (a) == SAOMA_ATTEMPT_UNKNOWN ||
      saoma_attempt_get_state (a) == SAOMA_ATTEMPT_WAITING;
  }));

  stop_after_renewal (f, charge, SAOMA_LEASE_ATTEMPT, otn);
  recover = start_recover (f);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (recover), ==, 0);
  g_source_remove (advance);
  g_assert_cmpstr (recover->out, ==, "recovered 1: 1 PAID; refunds 0\n");
  calls = sim_calls (f);

  g_subprocess_send_signal (charge->process, SIGCONT);
  g_assert_cmpint (finish (charge), ==, 1);
  lines = g_strsplit (charge->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[1], ==, "TAKEN OVER");
  lease_interval_ms = NULL;

  g_assert_cmpuint (sim_calls (f), ==, calls);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/secapi/pay/reverse"), ==, 0);
  attempt = ledger_attempt (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
}

#define MANAGER_PIN "246813"

/* (g) The same for a refund: stopped while WeChat processes it, taken over and finished by
 * --recover; woken, it sends nothing more and says another till took it over. */
static void
test_stopped_refund (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(Run) refund = NULL;
  g_autoptr(Run) recover = NULL;
  g_autofree char *cert_dir = NULL;
  g_autofree char *pem = make_client_pem (&cert_dir);
  g_autofree char *pin_file = g_build_filename (f->dir, "pin", NULL);
  g_autofree char *otn = NULL;
  g_autofree char *out_refund_no = NULL;
  SaomaLedgerRefund *row;
  guint calls, advance;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (pin_file, MANAGER_PIN "\n", -1, &error));
  g_assert_cmpint (g_chmod (pin_file, 0600), ==, 0);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);

  /* The simulator's clock stands still: the refund stays PROCESSING. No query is due before
   * SIGSTOP (the first is 5 s after PROCESSING), as in (f): a request begun before the stop
   * would be counted after SIGCONT. */
  lease_interval_ms = "200";
  refund = start (NULL, "--refund", otn, "--amount", "2", "--gateway", f->gateway, "--ledger",
                  f->ledger, "--client-cert", pem, "--pin-file", pin_file, "--poll-interval",
                  "5000", "--retry-interval", "100", NULL);
  WAIT_UNTIL (({
    g_autoptr(GPtrArray) rows = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, NULL);
    rows != NULL && rows->len == 1 &&
      ((SaomaLedgerRefund *)rows->pdata[0])->state == SAOMA_REFUND_PROCESSING;
  }));
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  out_refund_no = g_strdup (((SaomaLedgerRefund *)refunds->pdata[0])->out_refund_no);
  g_clear_pointer (&refunds, g_ptr_array_unref);

  stop_after_renewal (f, refund, SAOMA_LEASE_REFUND, out_refund_no);
  recover = start_refund_recover (f, pem);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (recover), ==, 0);
  g_source_remove (advance);
  g_assert_cmpuint (summary_count (recover->out, "refunds "), ==, 1);
  g_assert_cmpuint (wxpay_sim_server_count_calls (f->sim, "/secapi/pay/refund"), ==, 1);
  calls = sim_calls (f);

  g_subprocess_send_signal (refund->process, SIGCONT);
  g_assert_cmpint (finish (refund), ==, 1);
  g_assert_nonnull (strstr (refund->err, "Another till took over this refund"));
  lease_interval_ms = NULL;

  g_assert_cmpuint (sim_calls (f), ==, calls);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  row = refunds->pdata[0];
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  saoma_test_rm_rf (cert_dir);
}

/* The manager PIN in this run's own file keyring (the refund commands check it). */
static char *
store_manager_pin (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = saoma_test_use_file_keyring ();
  g_autoptr(SaomaPinGuard) guard = saoma_pin_guard_new (NULL, NULL);

  g_assert_true (saoma_pin_guard_set_sync (guard, NULL, MANAGER_PIN, &error));
  g_assert_no_error (error);
  return dir;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cli = cli_path ();
  g_autofree char *keyring = NULL;
  int status;

  saoma_test_init (&argc, &argv);

  if (!g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_print ("1..0 # SKIP %s is not built\n", cli);
      return 0;
    }

#define ADD(path, func) \
  g_test_add ("/lease/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("store-claim", test_store_claim);
  g_test_add_func ("/lease/verdict", test_verdict);
  ADD ("running-charge", test_running_charge);
  ADD ("heartbeat", test_heartbeat);
  ADD ("killed-charge", test_killed_charge);
  ADD ("foreign-owner", test_foreign_owner);
  ADD ("two-recoverers", test_two_recoverers);
  ADD ("till-start-up", test_till_start_up);
  ADD ("running-code", test_running_code);
  ADD ("refunds", test_refunds);
  ADD ("store-fence", test_store_fence);
  ADD ("store-fenced-events", test_store_fenced_events);
  ADD ("stopped-charge", test_stopped_charge);
  ADD ("stopped-charge-events", test_stopped_charge_events);
  ADD ("stopped-refund", test_stopped_refund);
  ADD ("stopped-code", test_stopped_code);
  ADD ("till-fenced", test_till_fenced);
  ADD ("till-fenced-events", test_till_fenced_events);

#undef ADD

  keyring = store_manager_pin ();
  status = g_test_run ();
  saoma_test_rm_rf (keyring);
  return status;
}
