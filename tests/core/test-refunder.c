/* test-refunder.c: refunds against an in-process wxpay-sim and a real SQLite ledger. */
#include "config.h"

#include <sqlite3.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "core/saoma-clock.h"
#include "core/saoma-notify-listener.h"
#include "core/saoma-pin.h"
#include "core/saoma-pin-guard.h"
#include "core/saoma-refunder.h"
#include "core/saoma-wxpay2-gateway.h"
#include "ledger/saoma-ledger.h"
#include "wxpay-sim-server.h"
#include "wxpay/wxpay.h"
#include "test-util.h"

#define PIN "739150"
#define T0 G_GINT64_CONSTANT (1795000000000000) /* 2026-11-19 UTC, any fixed instant */

static char *cert_dir;
static char *keyring_dir;

typedef struct {
  char           *dir;
  WxpaySimServer *sim;
  WxpayClient    *client;
  SaomaGateway   *gateway;  /* the v2 gateway around client */
  SaomaLedger    *ledger;
  SaomaClock     *clock;
  SaomaRefunder  *refunder;
  SaomaPinGuard  *guard;
  guint           n_updates;
  GPtrArray      *states;   /* SaomaRefundState of every "refund-updated", as pointers */
} Fixture;

/* The refunder speaks to a gateway: the v2 one around @client. */
static void
set_client (Fixture     *fixture,
            WxpayClient *client)
{
  g_autoptr(SaomaWxpay2Gateway) gateway = saoma_wxpay2_gateway_new (client);

  saoma_refunder_set_gateway (fixture->refunder, SAOMA_GATEWAY (gateway));
}

static gboolean
client_has_certificate (WxpayClient *client)
{
  g_autoptr(SaomaWxpay2Gateway) gateway = saoma_wxpay2_gateway_new (client);

  return saoma_gateway_has_certificate (SAOMA_GATEWAY (gateway));
}

static void
refund_updated_cb (SaomaRefunder     *refunder,
                   SaomaLedgerRefund *row,
                   Fixture           *fixture)
{
  fixture->n_updates++;
  g_ptr_array_add (fixture->states, GINT_TO_POINTER (row->state));

  /* The lost-answer test: once the refund is UNKNOWN, the network heals. */
  if (row->state == SAOMA_REFUND_UNKNOWN)
    g_assert_true (wxpay_sim_server_set_faults (fixture->sim, NULL, NULL));
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = saoma_test_load_certificate (cert_dir);
  g_autofree char *path = NULL;

  fixture->dir = g_dir_make_tmp ("saoma-refunder-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->sim = wxpay_sim_server_new (WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                                       WXPAY_SIM_DEFAULT_KEY);
  g_assert_true (wxpay_sim_server_listen (fixture->sim, "127.0.0.1", 0, &error));
  g_assert_no_error (error);

  fixture->client = wxpay_client_new (wxpay_sim_server_get_base_uri (fixture->sim),
                                      WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                                      WXPAY_SIM_DEFAULT_KEY);
  g_object_set (fixture->client, "tls-certificate", certificate, NULL);
  fixture->gateway = SAOMA_GATEWAY (saoma_wxpay2_gateway_new (fixture->client));

  path = g_build_filename (fixture->dir, "ledger.db", NULL);
  fixture->ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  fixture->clock = saoma_clock_new_manual (T0);
  fixture->refunder = saoma_refunder_new (fixture->gateway, SAOMA_STORE (fixture->ledger),
                                          fixture->clock, "T01");
  /* A fresh PIN per test: no wrong PIN of an earlier test makes this one wait. */
  saoma_test_clear_pin ();
  fixture->guard = saoma_pin_guard_new (fixture->clock, SAOMA_STORE (fixture->ledger));
  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, &error));
  g_assert_no_error (error);
  saoma_refunder_set_pin_guard (fixture->refunder, fixture->guard);
  saoma_refunder_set_retry_interval (fixture->refunder, 2000);
  saoma_refunder_set_query_interval (fixture->refunder, 3000);
  fixture->states = g_ptr_array_new ();
  g_signal_connect (fixture->refunder, "refund-updated", G_CALLBACK (refund_updated_cb),
                    fixture);
}

/* The same sim, ledger, clock and PIN; the refunder speaks API v3 with the keys the sim wrote
 * (no client certificate: v3 signs every call). The sim's own v2 client still counts its
 * refunds (refundquery), as the orders are the same kind of thing to it. */
static void
fixture_setup_v3 (Fixture       *fixture,
                  gconstpointer  data)
{
  fixture_setup (fixture, data);
  g_clear_object (&fixture->gateway);
  fixture->gateway = saoma_test_v3_gateway (fixture->sim, fixture->dir, NULL);
  saoma_refunder_set_gateway (fixture->refunder, fixture->gateway);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->refunder);
  g_clear_object (&fixture->guard);
  /* Let the ledger's worker finish queued writes before it goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->ledger);
  g_clear_object (&fixture->gateway);
  g_clear_object (&fixture->client);
  wxpay_sim_server_shutdown (fixture->sim);
  g_clear_object (&fixture->sim);
  g_clear_object (&fixture->clock);
  g_ptr_array_unref (fixture->states);
  saoma_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

typedef struct {
  GAsyncResult *result;
} Wait;

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

/* Runs the loop; when nothing is pending, time passes (both the till's manual clock and the
 * simulator's clock, which decides when a refund is done). Never depends on wall-clock luck:
 * the only real waiting is for loopback I/O. */
static void
drive_until (Fixture *fixture,
             Wait    *wait)
{
  guint steps = 0;

  while (wait->result == NULL)
    {
      if (g_main_context_iteration (NULL, FALSE))
        continue;

      /* Nothing ready: maybe I/O is in flight. Block briefly for it, then advance time. */
      if (g_main_context_iteration (NULL, FALSE))
        continue;
      g_usleep (1000);
      if (g_main_context_pending (NULL))
        continue;

      if (++steps % 3 == 0)
        {
          saoma_clock_advance (fixture->clock, 1 * G_USEC_PER_SEC);
          wxpay_sim_server_advance_clock (fixture->sim, 1);
        }
      g_assert_cmpuint (steps, <, 3 * 3600);
    }
}

static char *
paid_order (Fixture *fixture,
            gint64   amount)
{
  /* Over v3 the order is made through the v3 gateway: a v3 order at the sim. */
  if (g_str_equal (saoma_gateway_get_protocol (fixture->gateway), "v3"))
    return saoma_test_gateway_paid_order (fixture->sim, fixture->gateway, fixture->ledger, NULL,
                                          amount, NULL, NULL);
  return saoma_test_paid_order (fixture->sim, fixture->client, fixture->ledger, amount);
}

static SaomaLedgerRefund *
refund (Fixture     *fixture,
        const char  *out_trade_no,
        gint64       amount,
        const char  *pin,
        GError     **error)
{
  Wait wait = { NULL };
  SaomaLedgerRefund *row;

  saoma_refunder_refund_async (fixture->refunder, out_trade_no, amount, "测试退款", pin, NULL,
                               wait_cb, &wait);
  drive_until (fixture, &wait);
  row = saoma_refunder_refund_finish (fixture->refunder, wait.result, error);
  g_object_unref (wait.result);
  return row;
}

static GPtrArray *
ledger_refunds (Fixture    *fixture,
                const char *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = saoma_ledger_list_refunds_sync (fixture->ledger, out_trade_no, 0, 0, &error);

  g_assert_no_error (error);
  return rows;
}

static SaomaAttempt *
ledger_attempt (Fixture    *fixture,
                const char *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  SaomaAttempt *attempt = saoma_ledger_get_attempt_sync (fixture->ledger, out_trade_no, &error);

  g_assert_no_error (error);
  return attempt;
}

/* refundquery by out_trade_no at the simulator: how many refunds does WeChat know? */
static gint64
sim_refund_count (Fixture    *fixture,
                  const char *out_trade_no,
                  gint64     *out_total)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  gint64 count = 0, total = 0;

  wxpay_params_set (request, "out_trade_no", out_trade_no);
  answer = saoma_test_call_sync (fixture->client, "/pay/refundquery", request, &error);
  if (g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_REFUNDNOTEXIST))
    return 0;
  g_assert_no_error (error);
  g_assert_true (wxpay_params_get_int64 (answer, "total_refund_count", &count)
                 || wxpay_params_get_int64 (answer, "refund_count", &count));
  for (gint64 i = 0; i < MIN (count, 10); i++)
    {
      g_autofree char *key = g_strdup_printf ("refund_fee_%" G_GINT64_FORMAT, i);
      gint64 fee = 0;

      g_assert_true (wxpay_params_get_int64 (answer, key, &fee));
      total += fee;
    }
  if (out_total != NULL)
    *out_total = total;
  return count;
}

static void
test_partial_then_full (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 1000);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) first = NULL;
  g_autoptr(SaomaLedgerRefund) second = NULL;
  g_autoptr(SaomaAttempt) after_first = NULL;
  g_autoptr(SaomaAttempt) after_second = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 total = 0;

  first = refund (fixture, out_trade_no, 300, PIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (first->amount, ==, 300);
  g_assert_nonnull (first->refund_id);
  g_assert_cmpint (first->succeeded, >, 0);
  g_assert_true (g_str_has_prefix (first->out_refund_no, "R"));

  /* Never "done" before WeChat said SUCCESS: PROCESSING came first. */
  g_assert_cmpuint (fixture->states->len, >=, 3);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (fixture->states, 0)), ==,
                   SAOMA_REFUND_CREATED);
  g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (fixture->states, 1)), ==,
                   SAOMA_REFUND_PROCESSING);

  after_first = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (after_first), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (after_first), ==, 300);

  second = refund (fixture, out_trade_no, 700, PIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (second->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpstr (second->out_refund_no, !=, first->out_refund_no);

  after_second = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (after_second), ==, SAOMA_ATTEMPT_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (after_second), ==, 1000);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, &total), ==, 2);
  g_assert_cmpint (total, ==, 1000);
  g_assert_cmpuint (saoma_refunder_get_n_active (fixture->refunder), ==, 0);
}

static void
test_over_refund (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GError) error3 = NULL;
  g_autoptr(GError) error4 = NULL;
  g_autoptr(SaomaLedgerRefund) ok = NULL;
  g_autoptr(SaomaLedgerRefund) ok2 = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SaomaLedgerRefund *none;

  none = refund (fixture, out_trade_no, 501, PIN, &error);
  g_assert_null (none);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND);
  g_assert_nonnull (strstr (error->message, "¥5.00"));

  ok = refund (fixture, out_trade_no, 200, PIN, &error2);
  g_assert_no_error (error2);

  none = refund (fixture, out_trade_no, 301, PIN, &error3);
  g_assert_null (none);
  g_assert_error (error3, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND);
  g_assert_nonnull (strstr (error3->message, "¥3.00"));

  none = refund (fixture, out_trade_no, 0, PIN, &error4);
  g_assert_null (none);
  g_assert_error (error4, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_INVALID_AMOUNT);

  /* Nothing was written for the refused ones, and WeChat saw only the good one. */
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);

  /* The rest is still refundable, exactly. */
  g_clear_error (&error);
  ok2 = refund (fixture, out_trade_no, 300, PIN, &error);
  g_assert_no_error (error);
  g_assert_null (refund (fixture, out_trade_no, 1, PIN, &error));
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND);
}

/* The simulator refuses an over-refund on its own too (a second till, or a refund made in
 * the merchant platform, can make the local view stale). */
static void
test_over_refund_at_sim (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 400);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  SaomaLedgerRefund *none;

  /* Someone else refunded ¥3.00 of it directly at WeChat. */
  wxpay_params_set (request, "out_trade_no", out_trade_no);
  wxpay_params_set (request, "out_refund_no", "ROTHERTILL0001");
  wxpay_params_set_int64 (request, "total_fee", 400);
  wxpay_params_set_int64 (request, "refund_fee", 300);
  answer = saoma_test_call_sync (fixture->client, "/secapi/pay/refund", request, &error);
  g_assert_no_error (error);

  none = refund (fixture, out_trade_no, 200, PIN, &error);
  g_assert_null (none);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_REJECTED);

  /* The rejected refund is on record as FAILED and moved no money. */
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_FAILED);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 0);
}

static void
test_fifty_refunds (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 100);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  SaomaLedgerRefund *row;

  for (guint i = 0; i < SAOMA_REFUNDER_MAX_REFUNDS; i++)
    {
      row = refund (fixture, out_trade_no, 1, PIN, &error);
      g_assert_no_error (error);
      g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
      saoma_ledger_refund_free (row);
    }

  row = refund (fixture, out_trade_no, 1, PIN, &error);
  g_assert_null (row);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_TOO_MANY);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 50);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 50);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 50);
}

static guint
count_sends (Fixture    *fixture,
             const char *out_trade_no,
             const char *out_refund_no)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = saoma_ledger_list_events_sync (fixture->ledger, out_trade_no,
                                                               &error);
  guint sends = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->kind, "request") == 0 && strstr (event->detail, out_refund_no))
        sends++;
    }
  return sends;
}

static void
test_lost_answer (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 880);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 total = 0;

  /* WeChat processes the refund, then the answer is lost on the way back (@data: the fault
   * for the protocol's refund path, v2's when NULL). */
  g_assert_true (wxpay_sim_server_set_faults (fixture->sim,
                                              data != NULL ? data
                                                           : "{\"path\":\"/secapi/pay/refund\","
                                                             "\"drop_after\":1.0}",
                                              &error));
  g_assert_no_error (error);

  row = refund (fixture, out_trade_no, 380, PIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);

  /* UNKNOWN was recorded, then the identical request went out again. */
  g_assert_true (g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_UNKNOWN),
                                   NULL));
  g_assert_cmpuint (count_sends (fixture, out_trade_no, row->out_refund_no), >=, 2);

  /* One refund at WeChat and in the ledger, with the one out_refund_no. */
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((SaomaLedgerRefund *) rows->pdata[0])->out_refund_no, ==, row->out_refund_no);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, &total), ==, 1);
  g_assert_cmpint (total, ==, 380);
}

static void
cancel_on_success_cb (SaomaRefunder     *refunder,
                      SaomaLedgerRefund *row,
                      GCancellable      *cancellable)
{
  if (row->state == SAOMA_REFUND_SUCCESS)
    g_cancellable_cancel (cancellable);
}

/* The caller stops waiting in the very moment the refund succeeds: its callback runs once, and
 * the pending cancellation does not touch the finished waiter afterwards (run under valgrind
 * or ASan to see the difference). */
static void
test_cancel_at_success (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 640);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };
  gulong handler;

  handler = g_signal_connect (fixture->refunder, "refund-updated",
                              G_CALLBACK (cancel_on_success_cb), cancellable);
  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 640, NULL, PIN, cancellable,
                               wait_cb, &wait);
  drive_until (fixture, &wait);
  g_signal_handler_disconnect (fixture->refunder, handler);
  g_assert_true (g_cancellable_is_cancelled (cancellable));

  /* Whatever the cancellation queued runs now. */
  for (guint i = 0; i < 10; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;

  row = saoma_refunder_refund_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpuint (saoma_refunder_get_n_active (fixture->refunder), ==, 0);
}

/* Two refunds asked for at once cannot together exceed what was paid. */
static void
test_concurrent_refunds (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 1000);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  Wait a = { NULL }, b = { NULL };
  SaomaLedgerRefund *ra, *rb;
  GError *ea = NULL, *eb = NULL, *refused;
  gint64 total = 0;

  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 600, NULL, PIN, NULL,
                               wait_cb, &a);
  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 600, NULL, PIN, NULL,
                               wait_cb, &b);
  drive_until (fixture, &a);
  drive_until (fixture, &b);
  ra = saoma_refunder_refund_finish (fixture->refunder, a.result, &ea);
  rb = saoma_refunder_refund_finish (fixture->refunder, b.result, &eb);
  g_object_unref (a.result);
  g_object_unref (b.result);

  /* Exactly one went through; the other was refused before anything was sent. */
  g_assert_true ((ra == NULL) != (rb == NULL));
  refused = ra == NULL ? ea : eb;
  g_assert_error (refused, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND);
  g_assert_cmpint ((ra ? ra : rb)->state, ==, SAOMA_REFUND_SUCCESS);
  g_clear_error (&ea);
  g_clear_error (&eb);
  g_clear_pointer (&ra, saoma_ledger_refund_free);
  g_clear_pointer (&rb, saoma_ledger_refund_free);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, &total), ==, 1);
  g_assert_cmpint (total, ==, 600);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 600);
}

static void
test_systemerror_retry (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 990);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;

  g_assert_true (wxpay_sim_server_set_faults (fixture->sim,
                                              data != NULL ? data
                                                           : "{\"path\":\"/secapi/pay/refund\","
                                                             "\"systemerror\":1.0}",
                                              &error));
  row = refund (fixture, out_trade_no, 990, PIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
  g_assert_cmpuint (count_sends (fixture, out_trade_no, row->out_refund_no), >=, 2);
}

static void
test_wrong_pin (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 600);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GError) error3 = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;

  g_assert_null (refund (fixture, out_trade_no, 100, "7392", &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);
  g_assert_null (refund (fixture, out_trade_no, 100, "", &error2));
  g_assert_error (error2, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);

  /* No PIN configured: no refunds at all. */
  saoma_refunder_set_pin_guard (fixture->refunder, NULL);
  g_assert_null (refund (fixture, out_trade_no, 100, PIN, &error3));
  g_assert_error (error3, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 0);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 0);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpuint (fixture->n_updates, ==, 0);
}

static void
test_no_certificate (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 600);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayClient) bare = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  bare = wxpay_client_new (wxpay_sim_server_get_base_uri (fixture->sim),
                           WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                           WXPAY_SIM_DEFAULT_KEY);
  g_assert_false (client_has_certificate (bare));
  g_assert_true (client_has_certificate (fixture->client));
  set_client (fixture, bare);

  g_assert_null (refund (fixture, out_trade_no, 100, PIN, &error));
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NO_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "certificate"));

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 0);
  g_assert_cmpuint (fixture->n_updates, ==, 0);
}

static void
test_not_refundable (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) inserted = NULL;

  attempt = saoma_attempt_new ("T01WAITING0001", 500, "x", "T01", T0, T0 + 1);
  inserted = saoma_ledger_insert_attempt_sync (fixture->ledger, attempt, &error);
  g_assert_no_error (error);

  g_assert_null (refund (fixture, "T01WAITING0001", 100, PIN, &error));
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOT_REFUNDABLE);
  g_assert_null (refund (fixture, "T01NOSUCHORDER", 100, PIN, &error2));
  g_assert_error (error2, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOT_FOUND);
}

/* A gateway that answers every refund with a correctly signed NOTENOUGH (the simulator has no
 * merchant balance to run out of). Everything else is the real client and ledger. */
static void
notenough_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autofree char *xml = NULL;

  wxpay_params_set (answer, "return_code", "SUCCESS");
  wxpay_params_set (answer, "return_msg", "OK");
  wxpay_params_set (answer, "appid", WXPAY_SIM_DEFAULT_APPID);
  wxpay_params_set (answer, "mch_id", WXPAY_SIM_DEFAULT_MCH_ID);
  wxpay_params_set (answer, "nonce_str", nonce);
  wxpay_params_set (answer, "result_code", "FAIL");
  wxpay_params_set (answer, "err_code", "NOTENOUGH");
  wxpay_params_set (answer, "err_code_des", "基本账户余额不足，请充值后重新发起");
  wxpay_params_sign (answer, WXPAY_SIGN_TYPE_MD5, WXPAY_SIM_DEFAULT_KEY);
  xml = wxpay_xml_encode_string (answer);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY, xml, strlen (xml));
}

static void
test_notenough (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 700);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(GTlsCertificate) certificate = saoma_test_load_certificate (cert_dir);
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *base = NULL;

  soup_server_add_handler (server, "/secapi/pay/refund", notenough_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  client = wxpay_client_new (base, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  g_object_set (client, "tls-certificate", certificate, NULL);
  set_client (fixture, client);

  g_assert_null (refund (fixture, out_trade_no, 700, PIN, &error));
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOTENOUGH);
  g_assert_nonnull (strstr (error->message, "NOTENOUGH"));

  /* Recorded as a FAILED refund; the order is still paid in full and refundable later. */
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_FAILED);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 0);

  /* With the balance topped up (the real simulator), the whole amount goes through. */
  g_clear_error (&error);
  set_client (fixture, fixture->client);
  {
    g_autoptr(SaomaLedgerRefund) row = refund (fixture, out_trade_no, 700, PIN, &error);

    g_assert_no_error (error);
    g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  }
}

/* Crash after writing, before sending: the next start sends it, once. */
static void
test_resume_created (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 450);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) created = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  Wait wait = { NULL };
  guint resumed;

  created = saoma_ledger_insert_refund_sync (fixture->ledger, out_trade_no, "RT01CRASHED000001",
                                             150, "crash", &error);
  g_assert_no_error (error);

  saoma_refunder_resume_async (fixture->refunder, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  resumed = saoma_refunder_resume_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpuint (resumed, ==, 1);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 150);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
}

/* Crash after writing, before sending; meanwhile the order was refunded elsewhere (another
 * till, the merchant platform), so WeChat refuses the resumed request and has no such refund:
 * it ends FAILED instead of being sent again and again. */
static void
test_resume_created_refused (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 1000);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) created = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  Wait wait = { NULL };
  gint64 total = 0;

  created = saoma_ledger_insert_refund_sync (fixture->ledger, out_trade_no, "RT01CRASHED000002",
                                             400, "crash", &error);
  g_assert_no_error (error);

  wxpay_params_set (request, "out_trade_no", out_trade_no);
  wxpay_params_set (request, "out_refund_no", "RT02ELSEWHERE0001");
  wxpay_params_set (request, "total_fee", "1000");
  wxpay_params_set (request, "refund_fee", "700");
  answer = saoma_test_call_sync (fixture->client, "/secapi/pay/refund", request, &error);
  g_assert_no_error (error);

  saoma_refunder_resume_async (fixture->refunder, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  g_assert_cmpuint (saoma_refunder_resume_finish (fixture->refunder, wait.result, &error), ==, 1);
  g_object_unref (wait.result);
  g_assert_no_error (error);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_FAILED);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 0);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, &total), ==, 1);
  g_assert_cmpint (total, ==, 700);
  g_assert_cmpuint (saoma_refunder_get_n_active (fixture->refunder), ==, 0);
}

/* Resumed by a process that cannot send (no certificate): the refund stays CREATED — it may have
 * left in the earlier run — until a run with the certificate finishes it. */
static void
test_resume_without_certificate (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 450);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) created = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(WxpayClient) bare = NULL;
  Wait wait = { NULL };
  Wait wait2 = { NULL };

  created = saoma_ledger_insert_refund_sync (fixture->ledger, out_trade_no, "RT01NOCERT000001",
                                             200, "crash", &error);
  g_assert_no_error (error);

  bare = wxpay_client_new (wxpay_sim_server_get_base_uri (fixture->sim),
                           WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                           WXPAY_SIM_DEFAULT_KEY);
  set_client (fixture, bare);
  saoma_refunder_resume_async (fixture->refunder, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  g_assert_cmpuint (saoma_refunder_resume_finish (fixture->refunder, wait.result, &error), ==, 1);
  g_object_unref (wait.result);
  g_assert_no_error (error);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_CREATED);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 0);

  set_client (fixture, fixture->client);
  saoma_refunder_resume_async (fixture->refunder, NULL, wait_cb, &wait2);
  drive_until (fixture, &wait2);
  g_assert_cmpuint (saoma_refunder_resume_finish (fixture->refunder, wait2.result, &error), ==,
                    1);
  g_object_unref (wait2.result);
  after = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpint (((SaomaLedgerRefund *) after->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
}

/* The app quits while WeChat is still processing; the next start only queries. */
static void
test_resume_processing (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 450);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SaomaLedgerRefund) row = NULL;
  Wait wait = { NULL };
  Wait wait2 = { NULL };
  char *out_refund_no;

  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 450, "整单退款", PIN, cancellable,
                               wait_cb, &wait);
  /* Until WeChat accepted it. */
  while (!g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_PROCESSING), NULL))
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  while (wait.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (saoma_refunder_refund_finish (fixture->refunder, wait.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_object_unref (wait.result);

  /* "Quit": a new refunder over the same ledger. */
  g_clear_object (&fixture->refunder);
  fixture->refunder = saoma_refunder_new (fixture->gateway, SAOMA_STORE (fixture->ledger),
                                          fixture->clock, "T01");
  saoma_refunder_set_query_interval (fixture->refunder, 3000);
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_PROCESSING);
  out_refund_no = ((SaomaLedgerRefund *) rows->pdata[0])->out_refund_no;

  saoma_refunder_follow_async (fixture->refunder, out_refund_no, NULL, wait_cb, &wait2);
  drive_until (fixture, &wait2);
  row = saoma_refunder_follow_finish (fixture->refunder, wait2.result, &error);
  g_object_unref (wait2.result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpuint (count_sends (fixture, out_trade_no, out_refund_no), ==, 1);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
}

/* A refund notification is a hint: the refund is queried at once, not at the next tick. */
static void
test_hint (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 300);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autofree char *long_reason = NULL;
  Wait wait = { NULL };
  gint64 before;
  GString *reason = g_string_new (NULL);

  for (guint i = 0; i < 90; i++)
    g_string_append (reason, "退");
  long_reason = g_string_free (reason, FALSE);

  saoma_refunder_set_query_interval (fixture->refunder, 3600 * 1000);
  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 300, long_reason, PIN, NULL,
                               wait_cb, &wait);
  while (!g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_PROCESSING), NULL))
    g_main_context_iteration (NULL, TRUE);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  /* refund_desc is String(80): what is stored (and sent, every time) is cut to 80. */
  g_assert_cmpint (g_utf8_strlen (((SaomaLedgerRefund *) rows->pdata[0])->reason, -1), ==, 80);

  /* WeChat finishes the refund; without the hint the next query would be an hour away. */
  wxpay_sim_server_advance_clock (fixture->sim, 10);
  before = saoma_clock_now (fixture->clock);
  g_assert_false (saoma_refunder_hint (fixture->refunder, "RNOSUCHREFUND"));
  g_assert_true (saoma_refunder_hint (fixture->refunder,
                                      ((SaomaLedgerRefund *) rows->pdata[0])->out_refund_no));
  while (wait.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  row = saoma_refunder_refund_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (saoma_clock_now (fixture->clock), ==, before);
}

/* Refund notifications (§10) through the listener ------------------------------------------ */

/* handled[TRUE] counts the notifications answered SUCCESS, handled[FALSE] the refused ones. */
static void
refund_handled_cb (SaomaNotifyListener *listener,
                   const char          *out_refund_no,
                   gboolean             accepted,
                   guint               *handled)
{
  handled[accepted != FALSE]++;
}

static guint
count_refundqueries (Fixture    *fixture,
                     const char *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  guint n = 0;

  /* Events are appended by the ledger's worker: let queued ones land first. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  events = saoma_ledger_list_events_sync (fixture->ledger, out_trade_no, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->kind, "response") == 0
          && g_str_has_prefix (event->detail, "refundquery "))
        n++;
    }
  return n;
}

/* What WeChat posts: the outer XML with req_info encrypted with @key (§10). */
static char *
refund_notification_body (const char *out_trade_no,
                          const char *out_refund_no,
                          gint64      refund_fee,
                          const char *key,
                          const char *mch_id)
{
  g_autoptr(WxpayParams) root = wxpay_params_new ();
  g_autoptr(WxpayParams) outer = wxpay_params_new ();
  g_autofree char *xml = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *req_info = NULL;
  g_autofree char *nonce = wxpay_nonce_new ();

  wxpay_params_set (root, "transaction_id", "4200000000000000000000000042");
  wxpay_params_set (root, "out_trade_no", out_trade_no);
  wxpay_params_set (root, "refund_id", "50000000000000000000000000042");
  wxpay_params_set (root, "out_refund_no", out_refund_no);
  wxpay_params_set_int64 (root, "refund_fee", refund_fee);
  wxpay_params_set (root, "refund_status", "SUCCESS");
  wxpay_params_set (root, "success_time", "2026-11-27 09:30:00");
  xml = wxpay_xml_encode_string (root);
  g_assert_true (g_str_has_prefix (xml, "<xml>") && g_str_has_suffix (xml, "</xml>"));
  plain = g_strdup_printf ("<root>%.*s</root>", (int) (strlen (xml) - 11), xml + 5);
  req_info = wxpay_refund_req_info_encrypt (plain, key);

  wxpay_params_set (outer, "return_code", "SUCCESS");
  wxpay_params_set (outer, "appid", WXPAY_SIM_DEFAULT_APPID);
  wxpay_params_set (outer, "mch_id", mch_id);
  wxpay_params_set (outer, "nonce_str", nonce);
  wxpay_params_set (outer, "req_info", req_info);
  return wxpay_xml_encode_string (outer);
}

static void
post_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **body = user_data;
  g_autoptr(GError) error = NULL;

  *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

/* POSTs @xml to @uri and checks the reply's return_code. */
static void
post_xml (SoupSession *session,
          const char  *uri,
          const char  *xml,
          const char  *return_code)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(GBytes) request = g_bytes_new (xml, strlen (xml));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(WxpayParams) reply = NULL;

  soup_message_set_request_body_from_bytes (msg, "text/xml", request);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, post_cb, &body);
  while (body == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  reply = wxpay_xml_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  g_assert_nonnull (reply);
  g_assert_cmpstr (wxpay_params_get (reply, "return_code"), ==, return_code);
}

/* The refund's notify_url points to the listener: WeChat's notification, not the refunder's
 * own (hour-long) polling, triggers the confirming refundquery. Forged notifications are
 * refused and change nothing; duplicates are acknowledged and change nothing. */
static void
test_notification (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 300);
  g_autoptr(SaomaNotifyListener) listener = saoma_notify_listener_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *wrong_key = NULL;
  g_autofree char *wrong_mch = NULL;
  g_autofree char *genuine = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *out_refund_no = NULL;
  const char *refund_uri;
  guint handled[2] = { 0, 0 };
  Wait wait = { NULL };
  gint64 before;

  saoma_notify_listener_set_refunder (listener, fixture->refunder);
  g_signal_connect (listener, "refund-handled", G_CALLBACK (refund_handled_cb), handled);
  g_assert_true (saoma_notify_listener_listen (listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (saoma_notify_listener_get_refund_uri (listener),
                                   SAOMA_NOTIFY_LISTENER_REFUND_PATH));
  refund_uri = saoma_notify_listener_get_refund_uri (listener);
  saoma_refunder_set_notify_url (fixture->refunder, refund_uri);
  saoma_refunder_set_query_interval (fixture->refunder, 3600 * 1000);

  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 300, "通知测试", PIN, NULL,
                               wait_cb, &wait);
  while (!g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_PROCESSING), NULL))
    g_main_context_iteration (NULL, TRUE);
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  out_refund_no = g_strdup (((SaomaLedgerRefund *) rows->pdata[0])->out_refund_no);
  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 0);

  /* Forged: encrypted with another key, or for another merchant; on either path. */
  wrong_key = refund_notification_body (out_trade_no, out_refund_no, 300,
                                        "00000000000000000000000000000000",
                                        WXPAY_SIM_DEFAULT_MCH_ID);
  wrong_mch = refund_notification_body (out_trade_no, out_refund_no, 300,
                                        WXPAY_SIM_DEFAULT_KEY, "19999999");
  post_xml (session, refund_uri, wrong_key, "FAIL");
  post_xml (session, saoma_notify_listener_get_uri (listener), wrong_key, "FAIL");
  post_xml (session, refund_uri, wrong_mch, "FAIL");
  post_xml (session, refund_uri, "<xml><return_code>SUCCESS</return_code></xml>", "FAIL");
  g_assert_cmpuint (handled[FALSE], ==, 4);
  g_assert_cmpuint (handled[TRUE], ==, 0);
  g_assert_null (wait.result);
  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_PROCESSING);

  /* WeChat finishes the refund and notifies; the till's clock does not move at all. */
  before = saoma_clock_now (fixture->clock);
  wxpay_sim_server_advance_clock (fixture->sim, 10);
  SAOMA_TEST_WAIT_UNTIL (wait.result != NULL, 20);
  row = saoma_refunder_refund_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (saoma_clock_now (fixture->clock), ==, before);
  g_assert_cmpuint (handled[TRUE], >=, 1);
  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 1);

  /* Duplicates (also after the refund is final): SUCCESS, nothing else happens. */
  genuine = refund_notification_body (out_trade_no, out_refund_no, 300, WXPAY_SIM_DEFAULT_KEY,
                                      WXPAY_SIM_DEFAULT_MCH_ID);
  for (guint i = 0; i < 3; i++)
    post_xml (session, refund_uri, genuine, "SUCCESS");
  /* Genuine but not a refund of this till: FAIL, so WeChat keeps it for its owner. */
  unknown = refund_notification_body (out_trade_no, "T01R0000000000000000", 300,
                                      WXPAY_SIM_DEFAULT_KEY, WXPAY_SIM_DEFAULT_MCH_ID);
  post_xml (session, refund_uri, unknown, "FAIL");

  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_REFUNDED);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);

  saoma_notify_listener_shutdown (listener);
}

/* The ledger failures test_write_fails() injects are expected to be warned about (and
 * g_test_expect_message() does not see structured logging on GLib 2.74). */
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

/* SQL straight on the ledger file, as a second connection (a disk that refuses writes). */
static void
ledger_exec (Fixture    *fixture,
             const char *sql)
{
  g_autofree char *path = g_build_filename (fixture->dir, "ledger.db", NULL);
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

static void
left_alone_cb (SaomaRefunder *refunder,
               const char    *out_refund_no,
               const char    *owner,
               char         **out_owner)
{
  g_free (*out_owner);
  *out_owner = g_strdup (owner);
}

/* A refund opened from the history (follow) is driven only with its lease: while another
 * living till holds it, follow leaves it alone and tells the caller (nothing sent); once that
 * lease lapsed, follow claims it and drives it to SUCCESS — its fenced writes go through only
 * because the lease is this refunder's now. */
static void
test_follow_lease (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Another machine's till (a boot id no machine has): its pid means nothing here. */
  const char *foreign = "00000000-0000-4000-8000-000000000000/4242/1/T09";
  g_autofree char *out_trade_no = paid_order (fixture, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;
  g_autoptr(GPtrArray) leases = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *holder = NULL;
  Wait wait = { NULL };

  row = saoma_ledger_insert_refund_sync (fixture->ledger, out_trade_no, "T09R20261206000000002",
                                         200, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->refunder, "left-alone", G_CALLBACK (left_alone_cb), &holder);

  sql = g_strdup_printf ("UPDATE refunds SET owner = '%s', heartbeat = %" G_GINT64_FORMAT
                         " WHERE out_refund_no = 'T09R20261206000000002'",
                         foreign, g_get_real_time ());
  ledger_exec (fixture, sql);
  saoma_refunder_follow_async (fixture->refunder, row->out_refund_no, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  done = saoma_refunder_follow_finish (fixture->refunder, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_null (done);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_TAKEN_OVER);
  g_clear_error (&error);
  g_assert_cmpstr (holder, ==, foreign);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 0);
  g_assert_cmpuint (saoma_refunder_get_n_active (fixture->refunder), ==, 0);

  /* Its heartbeat a minute old (twice the lapse): taken, driven, finished here. */
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("UPDATE refunds SET heartbeat = %" G_GINT64_FORMAT
                         " WHERE out_refund_no = 'T09R20261206000000002'",
                         g_get_real_time () - 60 * G_USEC_PER_SEC);
  ledger_exec (fixture, sql);
  saoma_refunder_follow_async (fixture->refunder, row->out_refund_no, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  done = saoma_refunder_follow_finish (fixture->refunder, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (done->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
  leases = saoma_ledger_list_leases_sync (fixture->ledger, SAOMA_LEASE_REFUND, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (leases->len, ==, 0);
  g_signal_handlers_disconnect_by_data (fixture->refunder, &holder);
}

/* The ledger refuses to record PROCESSING after WeChat accepted the refund: the manager hears
 * of it at once, the refund is not shown as done, and it is not dropped either: it carries on
 * from its durable state (the identical request again, same out_refund_no) and is recorded
 * SUCCESS once the disk takes writes, without a restart and without a second refund. */
static void
test_write_fails (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 600);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *out_refund_no = NULL;
  Wait wait = { NULL };

  ledger_exec (fixture, "CREATE TRIGGER no_processing BEFORE UPDATE ON refunds"
                        " WHEN NEW.state = 'PROCESSING'"
                        " BEGIN SELECT RAISE (ABORT, 'database or disk is full'); END;");
  row = refund (fixture, out_trade_no, 250, PIN, &error);
  g_assert_null (row);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "database or disk is full"));

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_CREATED);
  out_refund_no = g_strdup (((SaomaLedgerRefund *) rows->pdata[0])->out_refund_no);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
  /* Still followed. */
  g_assert_cmpuint (saoma_refunder_get_n_active (fixture->refunder), ==, 1);

  ledger_exec (fixture, "DROP TRIGGER no_processing");
  g_clear_error (&error);
  saoma_refunder_follow_async (fixture->refunder, out_refund_no, NULL, wait_cb, &wait);
  drive_until (fixture, &wait);
  done = saoma_refunder_follow_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (done->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
  g_assert_cmpuint (count_sends (fixture, out_trade_no, out_refund_no), >=, 2);
}

/* API v3 only ------------------------------------------------------------------------------ */

/* ABNORMAL (v2's CHANGE): WeChat accepted the refund but the money could not reach the payer.
 * The refunder says so (a person finishes it in the merchant platform) and never calls it
 * done; one refund at WeChat. */
static void
test_abnormal (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 520);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;

  g_assert_true (wxpay_sim_server_set_faults (fixture->sim,
                                              "{\"path\":\"/v3/refund/domestic/refunds\","
                                              "\"refund_abnormal\":1.0}", &error));
  row = refund (fixture, out_trade_no, 520, PIN, &error);
  g_assert_null (row);
  g_assert_error (error, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_CHANGE);
  g_assert_true (g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_PROCESSING),
                                   NULL));
  g_assert_false (g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_SUCCESS),
                                    NULL));

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) rows->pdata[0])->state, ==, SAOMA_REFUND_CHANGE);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);
}

/* PROCESSING → SUCCESS by the simulator's own REFUND.SUCCESS callback (signed, AES-256-GCM):
 * the listener verifies and opens it with the refunder's v3 gateway, and the refunder confirms
 * it with one query at once; its own polling is an hour away and the till's clock stands
 * still. A forged callback changes nothing. */
static void
test_notification_v3 (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *out_trade_no = paid_order (fixture, 360);
  g_autoptr(SaomaNotifyListener) listener = saoma_notify_listener_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  guint handled[2] = { 0, 0 };
  Wait wait = { NULL };
  gint64 before;

  saoma_notify_listener_set_refunder (listener, fixture->refunder);
  g_signal_connect (listener, "refund-handled", G_CALLBACK (refund_handled_cb), handled);
  g_assert_true (saoma_notify_listener_listen (listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  saoma_refunder_set_notify_url (fixture->refunder,
                                 saoma_notify_listener_get_refund_uri (listener));
  saoma_refunder_set_query_interval (fixture->refunder, 3600 * 1000);

  saoma_refunder_refund_async (fixture->refunder, out_trade_no, 360, "通知测试", PIN, NULL,
                               wait_cb, &wait);
  while (!g_ptr_array_find (fixture->states, GINT_TO_POINTER (SAOMA_REFUND_PROCESSING), NULL))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 0);

  /* Not WeChat's: an unsigned body on the refund path is refused. */
  {
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST,
                                                   saoma_notify_listener_get_refund_uri (listener));
    g_autoptr(GBytes) forged = g_bytes_new_static ("{\"event_type\":\"REFUND.SUCCESS\"}", 32);
    g_autoptr(GBytes) reply = NULL;

    soup_message_set_request_body_from_bytes (msg, "application/json", forged);
    /* The listener answers on this thread's main context: async, never a blocking send. */
    soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, post_cb, &reply);
    while (reply == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (soup_message_get_status (msg), >=, 400);
  }
  g_assert_cmpuint (handled[TRUE], ==, 0);
  g_assert_null (wait.result);

  before = saoma_clock_now (fixture->clock);
  wxpay_sim_server_advance_clock (fixture->sim, 10);
  SAOMA_TEST_WAIT_UNTIL (wait.result != NULL, 20);
  row = saoma_refunder_refund_finish (fixture->refunder, wait.result, &error);
  g_object_unref (wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpint (saoma_clock_now (fixture->clock), ==, before);
  g_assert_cmpuint (handled[TRUE], >=, 1);
  g_assert_cmpuint (count_refundqueries (fixture, out_trade_no), ==, 1);

  rows = ledger_refunds (fixture, out_trade_no);
  g_assert_cmpuint (rows->len, ==, 1);
  attempt = ledger_attempt (fixture, out_trade_no);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_REFUNDED);
  g_assert_cmpint (sim_refund_count (fixture, out_trade_no, NULL), ==, 1);

  saoma_notify_listener_shutdown (listener);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);

  cert_dir = saoma_test_make_certificate ("refunder");
  keyring_dir = saoma_test_use_file_keyring ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/refunder/partial-then-full", test_partial_then_full);
  ADD ("/refunder/over-refund", test_over_refund);
  ADD ("/refunder/over-refund-at-sim", test_over_refund_at_sim);
  ADD ("/refunder/fifty-refunds", test_fifty_refunds);
  ADD ("/refunder/lost-answer", test_lost_answer);
  ADD ("/refunder/systemerror-retry", test_systemerror_retry);
  ADD ("/refunder/cancel-at-success", test_cancel_at_success);
  ADD ("/refunder/concurrent-refunds", test_concurrent_refunds);
  ADD ("/refunder/wrong-pin", test_wrong_pin);
  ADD ("/refunder/no-certificate", test_no_certificate);
  ADD ("/refunder/not-refundable", test_not_refundable);
  ADD ("/refunder/notenough", test_notenough);
  ADD ("/refunder/resume-created", test_resume_created);
  ADD ("/refunder/resume-created-refused", test_resume_created_refused);
  ADD ("/refunder/resume-processing", test_resume_processing);
  ADD ("/refunder/hint", test_hint);
  ADD ("/refunder/notification", test_notification);
  ADD ("/refunder/follow-lease", test_follow_lease);
  ADD ("/refunder/resume-without-certificate", test_resume_without_certificate);
  ADD ("/refunder/write-fails", test_write_fails);

#undef ADD

  /* Over API v3: success (PROCESSING → SUCCESS by query), unknown outcomes, restart recovery,
   * the REFUND.SUCCESS callback, ABNORMAL. Not the v2-only cases (client certificate, v2
   * bodies sent raw, a hand-made NOTENOUGH server). */
#define ADD3(path, func, data) \
  g_test_add ("/refunder/v3/" path, Fixture, data, fixture_setup_v3, func, fixture_teardown)

  ADD3 ("partial-then-full", test_partial_then_full, NULL);
  ADD3 ("over-refund", test_over_refund, NULL);
  ADD3 ("lost-answer", test_lost_answer,
        "{\"path\":\"/v3/refund/domestic/refunds\",\"drop_after\":1.0}");
  ADD3 ("systemerror-retry", test_systemerror_retry,
        "{\"path\":\"/v3/refund/domestic/refunds\",\"systemerror\":1.0}");
  ADD3 ("concurrent-refunds", test_concurrent_refunds, NULL);
  ADD3 ("wrong-pin", test_wrong_pin, NULL);
  ADD3 ("resume-created", test_resume_created, NULL);
  ADD3 ("resume-processing", test_resume_processing, NULL);
  ADD3 ("hint", test_hint, NULL);
  ADD3 ("write-fails", test_write_fails, NULL);
  ADD3 ("abnormal", test_abnormal, NULL);
  ADD3 ("notification", test_notification_v3, NULL);

#undef ADD3

  ret = g_test_run ();
  saoma_test_rm_rf (cert_dir);
  g_free (cert_dir);
  saoma_test_rm_rf (keyring_dir);
  g_free (keyring_dir);
  return ret;
}
