/* test-util.c: set-up shared by the core tests. */
#include "config.h"

#include <glib/gstdio.h>

#include <string.h>

#include "core/saoma-pin-guard.h"
#include "core/saoma-wxpay3-gateway.h"
#include "test-util.h"

void
saoma_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

static void
certtool (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

char *
saoma_test_make_certificate (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("saoma-%s-cert-XXXXXX", name);
  g_autofree char *dir = g_dir_make_tmp (template, &error);
  g_autofree char *key = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *tmpl = NULL;

  g_assert_no_error (error);
  key = g_build_filename (dir, "key.pem", NULL);
  cert = g_build_filename (dir, "cert.pem", NULL);
  tmpl = g_build_filename (dir, "cert.tmpl", NULL);
  g_file_set_contents (tmpl, "cn = \"" WXPAY_SIM_DEFAULT_MCH_ID "\"\nexpiration_days = 2\n"
                       "tls_www_client\n", -1, &error);
  g_assert_no_error (error);

  certtool ((const char * const []) { "certtool", "--generate-privkey", "--key-type=ecdsa",
                                      "--outfile", key, NULL });
  certtool ((const char * const []) { "certtool", "--generate-self-signed", "--load-privkey",
                                      key, "--template", tmpl, "--outfile", cert, NULL });

  return g_steal_pointer (&dir);
}

GTlsCertificate *
saoma_test_load_certificate (const char *dir)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  return certificate;
}

void
saoma_test_result_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

WxpayParams *
saoma_test_call_sync (WxpayClient       *client,
                      const char        *path,
                      const WxpayParams *request,
                      GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  wxpay_client_call_async (client, path, request, NULL, saoma_test_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wxpay_client_call_finish (client, result, error);
}

WxpayParams *
saoma_test_sim_pay (WxpaySimServer *sim,
                    WxpayClient    *client,
                    const char     *out_trade_no,
                    gint64          amount,
                    const char     *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(WxpayParams) query = wxpay_params_new ();
  WxpayParams *queried;

  wxpay_params_set (request, "body", body);
  wxpay_params_set (request, "out_trade_no", out_trade_no);
  wxpay_params_set_int64 (request, "total_fee", amount);
  wxpay_params_set (request, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (request, "notify_url", "http://127.0.0.1:9/notify");
  wxpay_params_set (request, "trade_type", "NATIVE");
  wxpay_params_set (request, "product_id", "SAOMA");
  answer = saoma_test_call_sync (client, "/pay/unifiedorder", request, &error);
  g_assert_no_error (error);

  g_assert_true (wxpay_sim_server_pay (sim, out_trade_no, &error));
  g_assert_no_error (error);

  wxpay_params_set (query, "out_trade_no", out_trade_no);
  queried = saoma_test_call_sync (client, "/pay/orderquery", query, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (queried, "trade_state"), ==, "SUCCESS");
  return queried;
}

char *
saoma_test_paid_order (WxpaySimServer *sim,
                       WxpayClient    *client,
                       SaomaLedger    *ledger,
                       gint64          amount)
{
  static guint serial;
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) queried = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) inserted = NULL;
  g_autoptr(SaomaAttempt) paid = NULL;
  g_autofree char *out_trade_no = g_strdup_printf ("T01REF%08u%04u",
                                                   g_random_int_range (0, 99999999), ++serial);
  SaomaAttemptUpdate update = { 0 };
  gint64 now = g_get_real_time ();

  queried = saoma_test_sim_pay (sim, client, out_trade_no, amount, "退款测试");
  attempt = saoma_attempt_new (out_trade_no, amount, "退款测试", "T01", now,
                               now + 300 * G_USEC_PER_SEC);
  inserted = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
  update.state = SAOMA_ATTEMPT_PAID;
  update.transaction_id = wxpay_params_get (queried, "transaction_id");
  update.paid_at = now;
  update.event_kind = "transition";
  update.event_detail = "test fixture: paid at the simulator";
  paid = saoma_ledger_update_attempt_sync (ledger, out_trade_no, &update, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&out_trade_no);
}

static char *
read_v3_text (const char *dir,
              const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return g_strstrip (contents);
}

SaomaGateway *
saoma_test_v3_gateway (WxpaySimServer *sim,
                       const char     *dir,
                       Wxpay3Client  **out_client)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *pub_id = NULL;
  g_autofree char *apiv3_key = NULL;
  g_autoptr(Wxpay3Signer) signer = NULL;
  g_autoptr(Wxpay3Verifier) verifier = wxpay3_verifier_new ();
  g_autoptr(Wxpay3Client) client = NULL;

  g_assert_true (wxpay_sim_server_setup_v3 (sim, dir, &error));
  g_assert_no_error (error);
  key = read_v3_text (dir, "apiclient_key.pem");
  serial = read_v3_text (dir, "apiclient_serial.txt");
  pub = read_v3_text (dir, "pub_key.pem");
  pub_id = read_v3_text (dir, "pub_key_id.txt");
  apiv3_key = read_v3_text (dir, "apiv3_key.txt");
  signer = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, serial, key, strlen (key), &error);
  g_assert_no_error (error);
  g_assert_true (wxpay3_verifier_add_public_key (verifier, pub_id, pub, strlen (pub), &error));
  client = wxpay3_client_new (wxpay_sim_server_get_base_uri (sim), WXPAY_SIM_DEFAULT_APPID,
                              signer, verifier);
  if (out_client != NULL)
    *out_client = g_object_ref (client);

  return SAOMA_GATEWAY (saoma_wxpay3_gateway_new_full (client, verifier, apiv3_key,
                                                       strlen (apiv3_key)));
}

char *
saoma_test_gateway_paid_order (WxpaySimServer *sim,
                               SaomaGateway   *gateway,
                               SaomaLedger    *ledger,
                               const char     *out_trade_no,
                               gint64          amount,
                               char          **out_transaction_id,
                               gint64         *out_paid_at)
{
  static guint serial;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaNativeOrderResult) created = NULL;
  g_autoptr(SaomaOrderStatus) status = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(SaomaAttempt) inserted = NULL;
  g_autoptr(SaomaAttempt) paid = NULL;
  g_autofree char *otn = out_trade_no != NULL
                           ? g_strdup (out_trade_no)
                           : g_strdup_printf ("T01GW%08u%04u", g_random_int_range (0, 99999999),
                                              ++serial);
  g_autofree char *token = NULL;
  SaomaNativeOrder order = { 0 };
  SaomaAttemptUpdate update = { 0 };
  gint64 now = g_get_real_time ();

  order.out_trade_no = otn;
  order.amount = amount;
  order.description = (char *)"收银台-扫码支付";
  order.till_id = (char *)"T01";
  order.time_start = now;
  order.time_expire = now + 10 * 60 * G_USEC_PER_SEC;
  order.notify_url = (char *)"http://127.0.0.1:9/notify";
  order.client_ip = (char *)"127.0.0.1";
  token = saoma_gateway_build_native_request (gateway, &order, &error);
  g_assert_no_error (error);

  saoma_gateway_create_native_order_async (gateway, token, NULL, saoma_test_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  created = saoma_gateway_create_native_order_finish (gateway, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_true (wxpay_sim_server_pay (sim, otn, &error));
  g_assert_no_error (error);

  saoma_gateway_query_order_async (gateway, otn, NULL, saoma_test_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  status = saoma_gateway_query_order_finish (gateway, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_SUCCESS);
  g_assert_cmpint (status->amount, ==, amount);

  attempt = saoma_attempt_new (otn, amount, "收银台-扫码支付", "T01", now,
                               now + 300 * G_USEC_PER_SEC);
  inserted = saoma_ledger_insert_attempt_sync (ledger, attempt, &error);
  g_assert_no_error (error);
  update.state = SAOMA_ATTEMPT_PAID;
  update.transaction_id = status->transaction_id;
  update.paid_at = status->paid_at;
  update.event_kind = "transition";
  update.event_detail = "test fixture: paid at the simulator";
  paid = saoma_ledger_update_attempt_sync (ledger, otn, &update, &error);
  g_assert_no_error (error);

  if (out_transaction_id != NULL)
    *out_transaction_id = g_strdup (status->transaction_id);
  if (out_paid_at != NULL)
    *out_paid_at = status->paid_at;

  return g_steal_pointer (&otn);
}

/* GIO's non-structured debug chatter reaches the TAP log in test mode: keep it for
 * G_MESSAGES_DEBUG only. */
static void
quiet_log_handler (const char     *domain,
                   GLogLevelFlags  level,
                   const char     *message,
                   gpointer        user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) != 0 && g_getenv ("G_MESSAGES_DEBUG") == NULL)
    return;
  g_log_default_handler (domain, level, message, user_data);
}

void
saoma_test_init (int    *argc,
                 char ***argv)
{
  g_test_init (argc, argv, NULL);
  g_log_set_debug_enabled (g_getenv ("G_MESSAGES_DEBUG") != NULL);
  g_log_set_default_handler (quiet_log_handler, NULL);
}

gboolean
saoma_test_guard_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

char *
saoma_test_use_file_keyring (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("saoma-keyring-XXXXXX", &error);
  g_autofree char *keyring = NULL;

  g_assert_no_error (error);
  keyring = g_build_filename (dir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  /* The PIN's lock file too. */
  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);
  return dir;
}

void
saoma_test_clear_pin (void)
{
  g_autoptr(GError) error = NULL;

  secret_password_clear_sync (saoma_pin_guard_get_schema (), NULL, &error,
                              "purpose", "manager-pin", NULL);
  g_assert_no_error (error);
}
