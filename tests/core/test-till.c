/* test-till.c: the composition root on a real ledger file against in-process wxpay-sims. */
#include "config.h"

#include <string.h>

#include "core/saoma-clock.h"
#include "core/saoma-merchant.h"
#include "core/saoma-till.h"
#include "ledger/saoma-ledger.h"
#include "wxpay-sim-server.h"
#include "wxpay/wxpay.h"
#include "test-util.h"

#define T0 G_GINT64_CONSTANT (1795000000000000) /* 2026-11-19 UTC, any fixed instant */

static char *cert_dir;

typedef struct {
  char           *dir;
  char           *store_path;
  WxpaySimServer *sim;
  WxpaySimServer *other_sim;  /* the merchant's new gateway after Preferences */
  WxpayClient    *client;     /* for the set-up of orders at sim, and for looking at it */
  SaomaClock     *clock;
  SaomaTill      *till;
} Fixture;

static WxpaySimServer *
start_sim (void)
{
  g_autoptr(GError) error = NULL;
  WxpaySimServer *sim = wxpay_sim_server_new (WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                                              WXPAY_SIM_DEFAULT_KEY);

  g_assert_true (wxpay_sim_server_listen (sim, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  /* The till's manual clock and the simulator's agree on now (order expiry, the close rule). */
  wxpay_sim_server_set_now (sim, T0);
  return sim;
}

/* The gateway the application or the headless commands would build: through the factory. */
static SaomaGateway *
gateway_for (WxpaySimServer *sim)
{
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(GError) error = NULL;
  SaomaGateway *gateway;

  merchant->base_uri = g_strdup (wxpay_sim_server_get_base_uri (sim));
  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);
  merchant->certificate = saoma_test_load_certificate (cert_dir);

  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  g_assert_true (saoma_gateway_has_certificate (gateway));
  return gateway;
}

static SaomaTillConfig *
make_config (Fixture *fixture)
{
  SaomaTillConfig *config = saoma_till_config_new ();

  g_free (config->store_path);
  config->store_path = g_strdup (fixture->store_path);
  config->poll_interval_ms = 500;
  config->slow_poll_interval_ms = 1000;
  config->retry_interval_ms = 500;
  config->refund_retry_interval_ms = 2000;
  config->refund_query_interval_ms = 3000;
  return config;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = saoma_test_load_certificate (cert_dir);

  fixture->dir = g_dir_make_tmp ("saoma-till-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store_path = g_build_filename (fixture->dir, "ledger.db", NULL);

  fixture->sim = start_sim ();
  fixture->other_sim = start_sim ();
  fixture->client = wxpay_client_new (wxpay_sim_server_get_base_uri (fixture->sim),
                                      WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                                      WXPAY_SIM_DEFAULT_KEY);
  g_object_set (fixture->client, "tls-certificate", certificate, NULL);
  fixture->clock = saoma_clock_new_manual (T0);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->till != NULL)
    saoma_till_shutdown (fixture->till);
  g_clear_object (&fixture->till);
  /* Let the ledger's worker finish queued writes before it goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->client);
  wxpay_sim_server_shutdown (fixture->sim);
  wxpay_sim_server_shutdown (fixture->other_sim);
  g_clear_object (&fixture->sim);
  g_clear_object (&fixture->other_sim);
  g_clear_object (&fixture->clock);
  saoma_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->store_path);
}

/* Runs the loop; when nothing is pending, time passes for the till and for the simulator
 * (which decides when a refund is done). The only real waiting is for loopback I/O. */
static void
drive_until_result (Fixture       *fixture,
                    GAsyncResult **result)
{
  guint steps = 0;

  while (*result == NULL)
    {
      if (g_main_context_iteration (NULL, FALSE))
        continue;
      g_usleep (1000);
      if (g_main_context_pending (NULL))
        continue;

      if (++steps % 3 == 0)
        {
          saoma_clock_advance (fixture->clock, 1 * G_USEC_PER_SEC);
          wxpay_sim_server_advance_clock (fixture->sim, 1);
          wxpay_sim_server_advance_clock (fixture->other_sim, 1);
        }
      g_assert_cmpuint (steps, <, 3 * 3600);
    }
}

static void
start_till (Fixture      *fixture,
            SaomaGateway *gateway)
{
  g_autoptr(SaomaTillConfig) config = make_config (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->till = saoma_till_new (config, gateway, fixture->clock);
  g_assert_null (saoma_till_get_checkout (fixture->till));
  saoma_till_start_async (fixture->till, NULL, saoma_test_result_cb, &result);
  drive_until_result (fixture, &result);
  g_assert_true (saoma_till_start_finish (fixture->till, result, &error));
  g_assert_no_error (error);

  g_assert_nonnull (saoma_till_get_ledger (fixture->till));
  g_assert_nonnull (saoma_till_get_checkout (fixture->till));
  g_assert_nonnull (saoma_till_get_refunder (fixture->till));
  g_assert_true (saoma_checkout_get_gateway (saoma_till_get_checkout (fixture->till)) == gateway);
  g_assert_true (saoma_refunder_get_gateway (saoma_till_get_refunder (fixture->till)) == gateway);
}

static void
wait_recovered (Fixture *fixture,
                guint   *out_attempts,
                guint   *out_refunds)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  saoma_till_wait_recovered_async (fixture->till, NULL, saoma_test_result_cb, &result);
  drive_until_result (fixture, &result);
  g_assert_true (saoma_till_wait_recovered_finish (fixture->till, result, out_attempts,
                                                   out_refunds, &error));
  g_assert_no_error (error);
  g_assert_false (saoma_till_get_recovering (fixture->till));
}

static guint
count_sim_orders (WxpaySimServer *sim)
{
  g_autofree char *json = wxpay_sim_server_dup_orders_json (sim);
  const char *p = json;
  guint count = 0;

  while ((p = strstr (p, "\"out_trade_no\":")) != NULL)
    {
      count++;
      p++;
    }
  return count;
}

/* What a previous run left behind when it was killed: an order paid at WeChat that the ledger
 * still has as WAITING, and a refund written (CREATED) but never sent. The till's start
 * finishes both, once. */
static void
test_start_resumes (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaGateway) gateway = gateway_for (fixture->sim);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autofree char *refunded = NULL;
  const char *waiting = "T01PREVRUNWAIT01";
  guint n_attempts = 0, n_refunds = 0;

  {
    g_autoptr(SaomaLedger) previous = saoma_ledger_open_sync (fixture->store_path, NULL, &error);
    g_autoptr(SaomaAttempt) inserted = NULL;
    g_autoptr(SaomaAttempt) updated = NULL;
    g_autoptr(SaomaLedgerRefund) created = NULL;
    g_autoptr(WxpayParams) paid = NULL;
    SaomaAttemptUpdate update = { .state = SAOMA_ATTEMPT_WAITING, .event_kind = "transition",
                                  .event_detail = "test fixture" };

    g_assert_no_error (error);
    attempt = saoma_attempt_new (waiting, 880, "previous run", "T01", T0,
                                 T0 + 300 * G_USEC_PER_SEC);
    inserted = saoma_ledger_insert_attempt_sync (previous, attempt, &error);
    g_assert_no_error (error);
    updated = saoma_ledger_update_attempt_sync (previous, waiting, &update, &error);
    g_assert_no_error (error);
    g_clear_object (&attempt);
    paid = saoma_test_sim_pay (fixture->sim, fixture->client, waiting, 880, "previous run");

    refunded = saoma_test_paid_order (fixture->sim, fixture->client, previous, 450);
    created = saoma_ledger_insert_refund_sync (previous, refunded, "RT01PREVRUN00001", 150,
                                               "crash", &error);
    g_assert_no_error (error);
    g_assert_cmpint (created->state, ==, SAOMA_REFUND_CREATED);
  }
  while (g_main_context_iteration (NULL, FALSE))
    ;

  start_till (fixture, gateway);
  g_assert_true (saoma_till_get_recovering (fixture->till));
  wait_recovered (fixture, &n_attempts, &n_refunds);
  g_assert_cmpuint (n_attempts, ==, 1);
  g_assert_cmpuint (n_refunds, ==, 1);

  attempt = saoma_ledger_get_attempt_sync (saoma_till_get_ledger (fixture->till), waiting,
                                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_clear_object (&attempt);

  refunds = saoma_ledger_list_refunds_sync (saoma_till_get_ledger (fixture->till), refunded, 0,
                                            0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) refunds->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  attempt = saoma_ledger_get_attempt_sync (saoma_till_get_ledger (fixture->till), refunded,
                                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 150);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);

  /* Nothing else was asked of WeChat: the two orders of the previous run only. */
  g_assert_cmpuint (count_sim_orders (fixture->sim), ==, 2);
}

/* Preferences change the merchant: new charges go to the new gateway, through the checkout and
 * the refunder both; the listener is wired to both (refund notifications included). */
static void
test_set_gateway (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(SaomaGateway) first = gateway_for (fixture->sim);
  g_autoptr(SaomaGateway) second = gateway_for (fixture->other_sim);
  g_autoptr(SaomaTillConfig) config = make_config (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SaomaCheckout *checkout;
  SaomaNotifyListener *listener;
  guint n_attempts = 99, n_refunds = 99;

  g_free (config->listen_address);
  config->listen_address = g_strdup ("127.0.0.1");
  config->listener_is_notify_url = TRUE;
  fixture->till = saoma_till_new (config, first, fixture->clock);
  saoma_till_start_async (fixture->till, NULL, saoma_test_result_cb, &result);
  drive_until_result (fixture, &result);
  g_assert_true (saoma_till_start_finish (fixture->till, result, &error));
  g_assert_no_error (error);
  wait_recovered (fixture, &n_attempts, &n_refunds);
  g_assert_cmpuint (n_attempts, ==, 0);
  g_assert_cmpuint (n_refunds, ==, 0);

  checkout = saoma_till_get_checkout (fixture->till);
  listener = saoma_till_get_listener (fixture->till);
  g_assert_nonnull (listener);
  g_assert_true (saoma_notify_listener_get_checkout (listener) == checkout);
  g_assert_true (saoma_notify_listener_get_refunder (listener) ==
                 saoma_till_get_refunder (fixture->till));

  saoma_till_set_gateway (fixture->till, second);
  g_assert_true (saoma_till_get_gateway (fixture->till) == second);
  g_assert_true (saoma_checkout_get_gateway (checkout) == second);
  g_assert_true (saoma_refunder_get_gateway (saoma_till_get_refunder (fixture->till)) == second);
  /* The engine is the same: swapping a gateway is not a restart. */
  g_assert_true (saoma_till_get_checkout (fixture->till) == checkout);

  g_assert_true (saoma_checkout_charge (checkout, 1234, "after preferences", &error));
  g_assert_no_error (error);
  SAOMA_TEST_WAIT_UNTIL (saoma_checkout_get_code_url (checkout) != NULL, 10);
  g_assert_cmpuint (count_sim_orders (fixture->other_sim), ==, 1);
  g_assert_cmpuint (count_sim_orders (fixture->sim), ==, 0);
}

/* A till started without a gateway opens its store and comes up with the first gateway. */
static void
test_gateway_later (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(SaomaGateway) gateway = gateway_for (fixture->sim);
  g_autoptr(SaomaTillConfig) config = make_config (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->till = saoma_till_new (config, NULL, fixture->clock);
  saoma_till_start_async (fixture->till, NULL, saoma_test_result_cb, &result);
  drive_until_result (fixture, &result);
  g_assert_true (saoma_till_start_finish (fixture->till, result, &error));
  g_assert_no_error (error);
  g_assert_nonnull (saoma_till_get_ledger (fixture->till));
  g_assert_null (saoma_till_get_checkout (fixture->till));

  saoma_till_set_gateway (fixture->till, gateway);
  g_assert_nonnull (saoma_till_get_checkout (fixture->till));
  g_assert_nonnull (saoma_till_get_refunder (fixture->till));
  wait_recovered (fixture, NULL, NULL);
}

static void
test_factory (void)
{
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(SaomaMerchant) copy = NULL;
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(GError) error = NULL;

  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);

  /* No address: nothing to build. */
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG);
  g_assert_null (gateway);
  g_clear_error (&error);

  merchant->base_uri = g_strdup ("http://127.0.0.1:9");
  g_free (merchant->protocol);
  merchant->protocol = g_strdup ("v9");
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG);
  g_assert_null (gateway);
  g_clear_error (&error);

  /* A certificate that cannot be read is an error, not a gateway that fails refunds later. */
  g_free (merchant->protocol);
  merchant->protocol = g_strdup ("v2");
  merchant->certificate_path = g_build_filename (cert_dir, "no-such-cert.p12", NULL);
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == SAOMA_GATEWAY_ERROR);
  g_assert_null (gateway);
  g_clear_error (&error);

  g_clear_pointer (&merchant->certificate_path, g_free);
  merchant->sign = SAOMA_MERCHANT_SIGN_HMAC_SHA256;
  copy = saoma_merchant_copy (merchant);
  gateway = saoma_gateway_new_for_merchant (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_gateway_get_protocol (gateway), ==, "v2");
  g_assert_false (saoma_gateway_has_certificate (gateway));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  saoma_test_init (&argc, &argv);
  cert_dir = saoma_test_make_certificate ("till");

  g_test_add_func ("/till/factory", test_factory);
  g_test_add ("/till/start-resumes", Fixture, NULL, fixture_setup, test_start_resumes,
              fixture_teardown);
  g_test_add ("/till/set-gateway", Fixture, NULL, fixture_setup, test_set_gateway,
              fixture_teardown);
  g_test_add ("/till/gateway-later", Fixture, NULL, fixture_setup, test_gateway_later,
              fixture_teardown);

  status = g_test_run ();
  saoma_test_rm_rf (cert_dir);
  g_free (cert_dir);
  return status;
}
