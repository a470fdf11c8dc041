/* test-micropay.c: the micropay (付款码) engine against an in-process wxpay-sim and a real
 * SQLite ledger, with the injected clock: every outcome the simulator gives (README: by the
 * code's last digit; faults), recovery, and the refusals that create nothing. Each case checks
 * the ledger, the simulator's order and that the pay call left exactly once. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/saoma-checkout.h"
#include "core/saoma-micropay-flow.h"
#include "core/saoma-wxpay2-gateway.h"
#include "test-util.h"

static char *cert_dir;

typedef struct {
  char           *dir;
  WxpaySimServer *sim;
  WxpayClient    *client;
  SaomaLedger    *ledger;
  SaomaClock     *clock;
  SaomaCheckout  *checkout;
  guint           n_finished;
  GArray         *phases;   /* every SaomaCheckoutPhase the views were shown */
  SaomaGateway   *v3;       /* nullable: the engine speaks API v3 through this */
} Fixture;

static void
phase_cb (SaomaCheckout *checkout,
          GParamSpec    *pspec,
          Fixture       *f)
{
  SaomaCheckoutPhase phase = saoma_checkout_get_phase (checkout);

  g_array_append_val (f->phases, phase);
}

static void
finished_cb (SaomaCheckout *checkout,
             SaomaAttempt  *attempt,
             Fixture       *f)
{
  f->n_finished++;
}

/* Give-up and poll short enough that a USERPAYING order (paid or failed by the simulator 10 s
 * after the pay call) can be reversed before it settles. */
static SaomaCheckout *
make_checkout (Fixture  *f,
               guint     give_up_s,
               guint     poll_ms,
               gboolean  with_certificate)
{
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();
  g_autoptr(SaomaWxpay2Gateway) gateway = NULL;
  g_autoptr(WxpayClient) client = NULL;
  SaomaCheckout *checkout;

  client = wxpay_client_new (wxpay_sim_server_get_base_uri (f->sim), WXPAY_SIM_DEFAULT_APPID,
                             WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY);
  if (with_certificate)
    {
      g_autoptr(GTlsCertificate) certificate = saoma_test_load_certificate (cert_dir);

      g_object_set (client, "tls-certificate", certificate, NULL);
    }
  gateway = saoma_wxpay2_gateway_new (client);
  config->micropay_give_up_s = give_up_s;
  config->micropay_poll_ms = poll_ms;
  /* v3 needs no client certificate: codepay and reverse are signed with the merchant key. */
  checkout = saoma_checkout_new (f->v3 != NULL ? f->v3 : SAOMA_GATEWAY (gateway),
                                 SAOMA_STORE (f->ledger), f->clock, config);
  g_signal_connect (checkout, "notify::phase", G_CALLBACK (phase_cb), f);
  g_signal_connect (checkout, "attempt-finished", G_CALLBACK (finished_cb), f);
  return checkout;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("saoma-micropay-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  /* Both clocks move only when the test says so. */
  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "time-scale", 0.001, "seed", (guint64)7, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->clock = saoma_clock_new_manual (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC *
                                     G_USEC_PER_SEC);
  f->phases = g_array_new (FALSE, FALSE, sizeof (SaomaCheckoutPhase));
  f->checkout = make_checkout (f, 0, 0, TRUE);
}

/* The same sim, ledger and clocks; the engine speaks API v3 (codepay, query, reverse). */
static void
fixture_setup_v3 (Fixture       *f,
                  gconstpointer  data)
{
  fixture_setup (f, data);
  f->v3 = saoma_test_v3_gateway (f->sim, f->dir, NULL);
  g_clear_object (&f->checkout);
  f->checkout = make_checkout (f, 0, 0, TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->checkout);
  g_clear_object (&f->v3);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->ledger);
  g_clear_object (&f->clock);
  g_array_unref (f->phases);
  saoma_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
settle (Fixture *f)
{
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds (20, saoma_test_guard_cb, &timed_out);

  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (saoma_checkout_get_pending_operations (f->checkout) == 0)
        break;
      g_main_context_iteration (NULL, TRUE);
      g_assert_false (timed_out);
    }
  g_source_remove (guard);
}

/* Both clocks forward by @seconds, a second at a time. */
static void
advance (Fixture *f,
         int      seconds)
{
  for (int i = 0; i < seconds; i++)
    {
      wxpay_sim_server_advance_clock (f->sim, 1);
      saoma_clock_advance (f->clock, G_USEC_PER_SEC);
      settle (f);
    }
}

static void
set_faults (Fixture    *f,
            const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) faults = g_string_new (json);

  /* The faults are written for v2's pay path; v3's is codepay. */
  if (f->v3 != NULL && json != NULL)
    g_string_replace (faults, "\"/pay/micropay\"", "\"/v3/pay/transactions/codepay\"", 0);
  g_assert_true (wxpay_sim_server_set_faults (f->sim, json != NULL ? faults->str : NULL,
                                              &error));
  g_assert_no_error (error);
}

/* The simulator's order @out_trade_no: its state ("" when absent) and trade_type. */
static char *
sim_order (Fixture    *f,
           const char *out_trade_no,
           char      **out_trade_type)
{
  g_autofree char *json = wxpay_sim_server_dup_orders_json (f->sim);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *orders;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  orders = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "orders");
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);

      if (g_strcmp0 (json_object_get_string_member (order, "out_trade_no"), out_trade_no) == 0)
        {
          if (out_trade_type != NULL)
            *out_trade_type = g_strdup (json_object_get_string_member (order, "trade_type"));
          return g_strdup (json_object_get_string_member (order, "state"));
        }
    }
  if (out_trade_type != NULL)
    *out_trade_type = NULL;
  return g_strdup ("");
}

static SaomaAttempt *
stored (Fixture    *f,
        const char *out_trade_no)
{
  g_autoptr(GError) error = NULL;
  SaomaAttempt *attempt = saoma_ledger_get_attempt_sync (f->ledger, out_trade_no, &error);

  g_assert_no_error (error);
  return attempt;
}

/* How many events of @kind start with @prefix: the pay calls, the reverse calls. */
static guint
count_events (Fixture    *f,
              const char *out_trade_no,
              const char *kind,
              const char *prefix)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GAsyncResult) barrier = NULL;
  guint n = 0;

  /* Audit events are appended asynchronously, in order, by the ledger's writer: once a
   * till-wide event queued now is written, every earlier one is. */
  saoma_ledger_append_event_async (f->ledger, NULL, "note", "test barrier", NULL,
                                   saoma_test_result_cb, &barrier);
  SAOMA_TEST_WAIT_UNTIL (barrier != NULL, 10);
  g_assert_true (saoma_ledger_append_event_finish (f->ledger, barrier, NULL));
  events = saoma_ledger_list_events_sync (f->ledger, out_trade_no, NULL);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->kind, kind) == 0 && g_str_has_prefix (event->detail, prefix))
        n++;
    }
  return n;
}

static gboolean
saw_phase (Fixture           *f,
           SaomaCheckoutPhase phase)
{
  for (guint i = 0; i < f->phases->len; i++)
    if (g_array_index (f->phases, SaomaCheckoutPhase, i) == phase)
      return TRUE;
  return FALSE;
}

/* Charges @code for @amount fen; returns the new out_trade_no. */
static char *
charge (Fixture    *f,
        gint64      amount,
        const char *code)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (saoma_checkout_charge_code (f->checkout, amount, "test", code, &error));
  g_assert_no_error (error);
  settle (f);
  return g_strdup (saoma_checkout_get_out_trade_no (f->checkout));
}

/* The attempt is final in the ledger as @state, the sim's order as @sim_state, and the pay
 * call left once. */
static void
assert_outcome (Fixture          *f,
                const char       *otn,
                SaomaAttemptState state,
                const char       *sim_state)
{
  g_autoptr(SaomaAttempt) attempt = stored (f, otn);
  g_autofree char *trade_type = NULL;
  g_autofree char *at_sim = sim_order (f, otn, &trade_type);

  g_assert_cmpstr (saoma_attempt_state_to_string (saoma_attempt_get_state (attempt)), ==,
                   saoma_attempt_state_to_string (state));
  g_assert_cmpint (saoma_attempt_get_method (attempt), ==, SAOMA_PAYMENT_METHOD_MICROPAY);
  g_assert_cmpstr (at_sim, ==, sim_state);
  if (*sim_state != '\0')
    g_assert_cmpstr (trade_type, ==, "MICROPAY");
  g_assert_cmpuint (count_events (f, otn, "request", "micropay"), ==, 1);
  g_assert_false (saoma_checkout_get_busy (f->checkout));
}

static void
test_paid_at_once (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *otn = charge (f, 1234, "134567890123450010");
  g_autoptr(SaomaAttempt) attempt = NULL;

  assert_outcome (f, otn, SAOMA_ATTEMPT_PAID, "SUCCESS");
  attempt = stored (f, otn);
  g_assert_nonnull (saoma_attempt_get_transaction_id (attempt));
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_PAID);
  g_assert_false (saw_phase (f, SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD));
  /* Written before sent: CREATED and SUBMITTED precede the request. */
  g_assert_cmpuint (count_events (f, otn, "transition", "SUBMITTED"), ==, 1);
  g_assert_cmpuint (f->n_finished, ==, 1);
}

static void
test_userpaying_then_paid (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500, "134567890123450021");
  g_autoptr(SaomaAttempt) waiting = stored (f, otn);

  g_assert_cmpint (saoma_attempt_get_state (waiting), ==, SAOMA_ATTEMPT_WAITING);
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==,
                   SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD);
  g_assert_true (saoma_checkout_get_busy (f->checkout));
  /* Queried every 5 s while the payer enters the password. */
  advance (f, 5);
  g_assert_cmpuint (count_events (f, otn, "response", "orderquery → USERPAYING"), ==, 1);
  advance (f, 5);
  assert_outcome (f, otn, SAOMA_ATTEMPT_PAID, "SUCCESS");
  g_assert_cmpuint (count_events (f, otn, "request", "reverse"), ==, 0);
}

static void
test_userpaying_then_payerror (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500, "134567890123450032");

  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==,
                   SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD);
  advance (f, 10);
  assert_outcome (f, otn, SAOMA_ATTEMPT_FAILED, "PAYERROR");
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_FAILED);
  g_assert_error ((GError *)saoma_checkout_get_error (f->checkout), SAOMA_GATEWAY_ERROR,
                  SAOMA_GATEWAY_ERROR_TRADE_ERROR);
}

static void
test_authcodeexpire (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500, "134567890123450043");

  assert_outcome (f, otn, SAOMA_ATTEMPT_FAILED, "");
  g_assert_error ((GError *)saoma_checkout_get_error (f->checkout), SAOMA_GATEWAY_ERROR,
                  SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED);
}

static void
test_notenough (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500, "134567890123450054");

  assert_outcome (f, otn, SAOMA_ATTEMPT_FAILED, "PAYERROR");
  g_assert_error ((GError *)saoma_checkout_get_error (f->checkout), SAOMA_GATEWAY_ERROR,
                  SAOMA_GATEWAY_ERROR_NOT_ENOUGH);
}

/* The same code twice: a new attempt with a new out_trade_no, refused by WeChat. */
static void
test_reused_code (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *first = charge (f, 500, "134567890123450065");
  g_autofree char *second = NULL;

  assert_outcome (f, first, SAOMA_ATTEMPT_PAID, "SUCCESS");
  saoma_checkout_reset (f->checkout);
  second = charge (f, 500, "134567890123450065");
  g_assert_cmpstr (first, !=, second);
  assert_outcome (f, second, SAOMA_ATTEMPT_FAILED, "");
  g_assert_error ((GError *)saoma_checkout_get_error (f->checkout), SAOMA_GATEWAY_ERROR,
                  SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID);
}

/* SYSTEMERROR (nothing processed) and a request dropped before processing: unknown, queried
 * every 5 s, reversed at 45 s, the final query finds no order: FAILED. Never re-sent. */
static void
check_never_processed (Fixture    *f,
                       const char *fault)
{
  g_autofree char *otn = NULL;

  set_faults (f, fault);
  otn = charge (f, 500, "134567890123450076");
  set_faults (f, NULL);
  g_assert_cmpint (saoma_attempt_get_state (stored (f, otn)), ==, SAOMA_ATTEMPT_UNKNOWN);
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_CHECKING);
  advance (f, 44);
  g_assert_cmpuint (count_events (f, otn, "request", "reverse"), ==, 0);
  g_assert_true (saoma_checkout_get_busy (f->checkout));
  advance (f, 2);
  assert_outcome (f, otn, SAOMA_ATTEMPT_FAILED, "");
  g_assert_cmpuint (count_events (f, otn, "request", "reverse"), ==, 1);
  g_assert_cmpuint (count_events (f, otn, "transition", "REVERSING"), ==, 1);
}

static void
test_systemerror (Fixture       *f,
                  gconstpointer  data)
{
  check_never_processed (f, "{\"systemerror\":1,\"path\":\"/pay/micropay\"}");
}

static void
test_dropped_before (Fixture       *f,
                     gconstpointer  data)
{
  check_never_processed (f, "{\"drop_before\":1,\"path\":\"/pay/micropay\"}");
}

/* The dangerous one: WeChat charged the code but the answer was lost. A query finds it. */
static void
test_dropped_after (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *otn = NULL;

  set_faults (f, "{\"drop_after\":1,\"path\":\"/pay/micropay\"}");
  otn = charge (f, 500, "134567890123450080");
  set_faults (f, NULL);
  g_assert_cmpint (saoma_attempt_get_state (stored (f, otn)), ==, SAOMA_ATTEMPT_UNKNOWN);
  advance (f, 5);
  assert_outcome (f, otn, SAOMA_ATTEMPT_PAID, "SUCCESS");
}

/* Still USERPAYING at the give-up (5 s here): reversed; the first reverse fails, the second
 * succeeds; the final query says REVOKED. The payer's later password changes nothing. */
static void
test_reverse_fails_then_succeeds (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *otn = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;

  g_clear_object (&f->checkout);
  f->checkout = make_checkout (f, 5, 1000, TRUE);
  otn = charge (f, 500, "134567890123450091");
  if (f->v3 != NULL)
    {
      g_autofree char *fault = g_strdup_printf ("{\"http_500\":1,\"path\":"
                                                "\"/v3/pay/transactions/out-trade-no/%s/reverse\"}",
                                                otn);

      set_faults (f, fault);
    }
  else
    set_faults (f, "{\"http_500\":1,\"path\":\"/secapi/pay/reverse\"}");
  advance (f, 5);
  g_assert_cmpint (saoma_attempt_get_state (stored (f, otn)), ==, SAOMA_ATTEMPT_CLOSING);
  g_assert_cmpuint (count_events (f, otn, "response", "reverse → HTTP"), >=, 1);
  set_faults (f, NULL);
  advance (f, 2);
  assert_outcome (f, otn, SAOMA_ATTEMPT_CLOSED, "REVOKED");
  g_assert_cmpuint (count_events (f, otn, "response", "reverse → SUCCESS"), ==, 1);
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_FAILED);
  advance (f, 10);
  attempt = stored (f, otn);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_CLOSED);
  g_assert_cmpuint (f->n_finished, ==, 1);
}

/* Cancelled while the payer enters the password: reversed, but never sooner than 15 s after
 * the pay call. */
static void
test_cancel_reverses_after_15s (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = charge (f, 500, "134567890123450101");

  g_assert_true (wxpay_sim_server_set_user_paying (f->sim, otn, &error));
  g_assert_no_error (error);
  saoma_checkout_cancel (f->checkout);
  settle (f);
  g_assert_cmpint (saoma_attempt_get_state (stored (f, otn)), ==, SAOMA_ATTEMPT_CLOSING);
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_CANCELLED);
  advance (f, 14);
  g_assert_cmpuint (count_events (f, otn, "request", "reverse"), ==, 0);
  advance (f, 2);
  g_assert_cmpuint (count_events (f, otn, "request", "reverse"), ==, 1);
  advance (f, 1);
  {
    g_autoptr(SaomaAttempt) attempt = stored (f, otn);
    g_autofree char *at_sim = sim_order (f, otn, NULL);

    g_assert_cmpuint (count_events (f, otn, "request", "micropay"), ==, 1);
    /* Paid before the reverse (the sim's 10 s) or revoked by it: never open, never both. */
    if (saoma_attempt_get_state (attempt) == SAOMA_ATTEMPT_PAID)
      g_assert_cmpstr (at_sim, ==, "SUCCESS");
    else
      {
        g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_CLOSED);
        g_assert_cmpstr (at_sim, ==, "REVOKED");
      }
  }
}

/* A till killed while the payer enters the password: the next run's recovery queries (never
 * pays again) and records what WeChat says. */
static void
test_recovery_queries (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500, "134567890123450111");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint resumed;

  g_assert_cmpint (saoma_attempt_get_state (stored (f, otn)), ==, SAOMA_ATTEMPT_WAITING);
  g_clear_object (&f->checkout);  /* the till goes away mid-flow */
  wxpay_sim_server_advance_clock (f->sim, 12);
  saoma_clock_advance (f->clock, 12 * G_USEC_PER_SEC);

  f->checkout = make_checkout (f, 0, 0, TRUE);
  saoma_checkout_recover_async (f->checkout, NULL, saoma_test_result_cb, &result);
  SAOMA_TEST_WAIT_UNTIL (result != NULL, 20);
  resumed = saoma_checkout_recover_finish (f->checkout, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resumed, ==, 1);
  assert_outcome (f, otn, SAOMA_ATTEMPT_PAID, "SUCCESS");
  g_assert_cmpuint (count_events (f, otn, "note", "resumed by recovery from USERPAYING"), ==, 1);
}

/* Killed after SUBMITTED but before the pay call left: recovery finds no order, reverses at
 * the give-up and fails it; the code is never charged. */
static void
test_recovery_of_unsent (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) inserted = NULL;
  g_autoptr(SaomaAttempt) submitted = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttemptUpdate update = { .state = SAOMA_ATTEMPT_SUBMITTED };
  gint64 now = saoma_clock_now (f->clock);

  attempt = saoma_attempt_new ("T01MPUNSENT0001", 500, "test", "T01", now,
                               now + 45 * G_USEC_PER_SEC);
  saoma_attempt_set_method (attempt, SAOMA_PAYMENT_METHOD_MICROPAY);
  inserted = saoma_ledger_insert_attempt_sync (f->ledger, attempt, &error);
  g_assert_no_error (error);
  submitted = saoma_ledger_update_attempt_sync (f->ledger, "T01MPUNSENT0001", &update, &error);
  g_assert_no_error (error);

  saoma_checkout_recover_async (f->checkout, NULL, saoma_test_result_cb, &result);
  settle (f);
  advance (f, 46);
  SAOMA_TEST_WAIT_UNTIL (result != NULL, 20);
  g_assert_cmpuint (saoma_checkout_recover_finish (f->checkout, result, &error), ==, 1);
  g_clear_object (&attempt);
  attempt = stored (f, "T01MPUNSENT0001");
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_FAILED);
  g_assert_cmpuint (count_events (f, "T01MPUNSENT0001", "request", "micropay"), ==, 0);
  g_assert_cmpuint (count_events (f, "T01MPUNSENT0001", "request", "reverse"), ==, 1);
}

/* What creates nothing at all: an Alipay code, a bar code, a missing certificate. */
static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autofree char *json = NULL;

  g_assert_false (saoma_checkout_charge_code (f->checkout, 500, NULL, "281234567890123456",
                                              &error));
  g_assert_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_ALIPAY_CODE);
  g_clear_error (&error);
  g_assert_false (saoma_checkout_charge_code (f->checkout, 500, NULL, "6901234567892", &error));
  g_assert_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE);
  g_clear_error (&error);

  g_clear_object (&f->checkout);
  f->checkout = make_checkout (f, 0, 0, FALSE);
  g_assert_false (saoma_checkout_charge_code (f->checkout, 500, NULL, "134567890123450120",
                                              &error));
  g_assert_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE);
  settle (f);

  unfinished = saoma_ledger_list_unfinished_sync (f->ledger, NULL);
  g_assert_cmpuint (unfinished->len, ==, 0);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_null (strstr (json, "out_trade_no"));
  g_assert_cmpint (saoma_checkout_get_phase (f->checkout), ==, SAOMA_CHECKOUT_PHASE_IDLE);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  saoma_test_init (&argc, &argv);
  cert_dir = saoma_test_make_certificate ("micropay");

#define ADD(path, fn) \
  g_test_add ("/micropay/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("paid-at-once", test_paid_at_once);
  ADD ("userpaying-then-paid", test_userpaying_then_paid);
  ADD ("userpaying-then-payerror", test_userpaying_then_payerror);
  ADD ("authcodeexpire", test_authcodeexpire);
  ADD ("notenough", test_notenough);
  ADD ("reused-code", test_reused_code);
  ADD ("systemerror", test_systemerror);
  ADD ("dropped-before", test_dropped_before);
  ADD ("dropped-after", test_dropped_after);
  ADD ("reverse-fails-then-succeeds", test_reverse_fails_then_succeeds);
  ADD ("cancel-reverses-after-15s", test_cancel_reverses_after_15s);
  ADD ("recovery-queries", test_recovery_queries);
  ADD ("recovery-of-unsent", test_recovery_of_unsent);
  ADD ("refusals", test_refusals);
#undef ADD

  /* The same cases over API v3, but the missing client certificate (v3 needs none). The
   * expired and the used code come as 400 INVALID_REQUEST with a message and a `detail` naming
   * /payer/auth_code (v3 has no code of its own for them), read as v2's kinds. */
#define ADD3(path, fn) \
  g_test_add ("/micropay/v3/" path, Fixture, NULL, fixture_setup_v3, fn, fixture_teardown)
  ADD3 ("paid-at-once", test_paid_at_once);
  ADD3 ("userpaying-then-paid", test_userpaying_then_paid);
  ADD3 ("userpaying-then-payerror", test_userpaying_then_payerror);
  ADD3 ("authcodeexpire", test_authcodeexpire);
  ADD3 ("notenough", test_notenough);
  ADD3 ("reused-code", test_reused_code);
  ADD3 ("systemerror", test_systemerror);
  ADD3 ("dropped-before", test_dropped_before);
  ADD3 ("dropped-after", test_dropped_after);
  ADD3 ("reverse-fails-then-succeeds", test_reverse_fails_then_succeeds);
  ADD3 ("cancel-reverses-after-15s", test_cancel_reverses_after_15s);
  ADD3 ("recovery-queries", test_recovery_queries);
  ADD3 ("recovery-of-unsent", test_recovery_of_unsent);
#undef ADD3

  status = g_test_run ();
  saoma_test_rm_rf (cert_dir);
  g_free (cert_dir);
  return status;
}
