/* test-demo-gateway.c: the demo mode's wxpay-sim child process, for real over loopback. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include <glib/gstdio.h>

#include "core/saoma-wxpay2-gateway.h"
#include "wxpay/wxpay.h"
#include "saoma-application.h"
#include "saoma-demo-gateway.h"

/* The application's compiled resources (glib-compile-resources, --manual-register), valid
 * once saoma_application_register_resources() ran. */
GResource *saoma_get_resource (void);

/* The demo merchant's client as the application gets it: through the gateway factory. */
static WxpayClient *
demo_client (SaomaDemoGateway *gateway)
{
  g_autoptr(SaomaMerchant) merchant = saoma_demo_gateway_dup_merchant (gateway, "v2");
  g_autoptr(SaomaGateway) v2 = NULL;
  g_autoptr(GError) error = NULL;

  if (merchant == NULL)
    return NULL;
  v2 = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  return g_object_ref (saoma_wxpay2_gateway_get_client (SAOMA_WXPAY2_GATEWAY (v2)));
}

static GMainLoop *loop;
static GAsyncResult *result;

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  result = g_object_ref (res);
  g_main_loop_quit (loop);
}

static GAsyncResult *
wait_result (void)
{
  g_clear_object (&result);
  g_main_loop_run (loop);
  return result;
}

static guint
http_status (const char *method,
             const char *uri)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, message, NULL, NULL);

  return body ? soup_message_get_status (message) : 0;
}

/* A plain TCP connection to the simulator at @base ("http://127.0.0.1:PORT"). */
static GSocketConnection *
connect_to (const char *base)
{
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_assert_nonnull (uri);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL,
                                                &error);
  g_assert_no_error (error);
  return connection;
}

/* The peer closed @connection: end of stream or reset, never a timeout. */
static void
assert_closed_by_peer (GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GError) error = NULL;
  char buffer[64];
  gssize n;

  g_socket_set_timeout (socket, 10);
  n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);
  if (n < 0)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  else
    g_assert_cmpint (n, ==, 0);
}

static void
test_start_pay_stop (void)
{
  g_autoptr(SaomaDemoGateway) gateway = saoma_demo_gateway_new (NULL);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *out_trade_no = wxpay_out_trade_no_new ("TEST", now);
  g_autofree char *program = saoma_demo_gateway_find_program ();
  g_autofree char *page = NULL;
  g_autofree char *base = NULL;
  g_autofree char *expected_page = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  const char *code_url;

  if (program == NULL)
    {
      g_test_skip ("wxpay-sim is not built");
      return;
    }

  saoma_demo_gateway_start_async (gateway, NULL, done_cb, NULL);
  g_assert_true (saoma_demo_gateway_start_finish (gateway, wait_result (), &error));
  g_assert_no_error (error);
  base = g_strdup (saoma_demo_gateway_get_base_uri (gateway));
  g_assert_true (g_str_has_prefix (base, "http://127.0.0.1:"));

  /* The demo merchant's credentials come from the simulator's directory. */
  client = demo_client (gateway);
  g_assert_nonnull (client);
  wxpay_params_set (request, "body", "demo");
  wxpay_params_set (request, "out_trade_no", out_trade_no);
  wxpay_params_set (request, "total_fee", "1250");
  wxpay_params_set (request, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (request, "notify_url", "http://127.0.0.1:9/notify");
  wxpay_params_set (request, "trade_type", "NATIVE");
  wxpay_params_set (request, "product_id", "SAOMA");
  wxpay_client_unifiedorder_async (client, request, NULL, done_cb, NULL);
  answer = wxpay_client_unifiedorder_finish (client, wait_result (), &error);
  g_assert_no_error (error);
  code_url = wxpay_params_get (answer, "code_url");
  g_assert_true (g_str_has_prefix (code_url, "weixin://wxpay/bizpayurl?pr="));

  /* The simulator's customer page for that code. */
  page = saoma_demo_gateway_dup_pay_page_uri (gateway, code_url);
  expected_page = g_strconcat (base, "/sim/pay/", strstr (code_url, "pr=") + 3, NULL);
  g_assert_cmpstr (page, ==, expected_page);
  g_assert_cmpuint (http_status ("GET", page), ==, 200);
  g_assert_null (saoma_demo_gateway_dup_pay_page_uri (gateway, "weixin://wxpay/bizpayurl"));

  /* "Simulate customer payment", then the gateway says SUCCESS. */
  saoma_demo_gateway_pay_async (gateway, out_trade_no, NULL, done_cb, NULL);
  g_assert_true (saoma_demo_gateway_pay_finish (gateway, wait_result (), &error));
  g_assert_no_error (error);

  g_clear_pointer (&request, wxpay_params_unref);
  g_clear_pointer (&answer, wxpay_params_unref);
  request = wxpay_params_new ();
  wxpay_params_set (request, "out_trade_no", out_trade_no);
  wxpay_client_orderquery_async (client, request, NULL, done_cb, NULL);
  answer = wxpay_client_orderquery_finish (client, wait_result (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "SUCCESS");

  /* Paying an order the simulator does not know is an error, not a crash. */
  saoma_demo_gateway_pay_async (gateway, "NOSUCHORDER123", NULL, done_cb, NULL);
  g_assert_false (saoma_demo_gateway_pay_finish (gateway, wait_result (), &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Stopped: this simulator is gone — the connection we hold to it is closed by its side —
   * and the gateway forgets the address. Probing the old port would prove nothing: another
   * test running in parallel may already listen there. */
  connection = connect_to (base);
  saoma_demo_gateway_stop (gateway);
  g_assert_null (saoma_demo_gateway_get_base_uri (gateway));
  assert_closed_by_peer (connection);
  saoma_demo_gateway_pay_async (gateway, out_trade_no, NULL, done_cb, NULL);
  g_assert_false (saoma_demo_gateway_pay_finish (gateway, wait_result (), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
}

/* Returns how many files it looked at. */
static guint
assert_no_private_key (GResource  *resource,
                       const char *dir)
{
  g_auto(GStrv) names = g_resource_enumerate_children (resource, dir, 0, NULL);
  guint files = 0;

  g_assert_nonnull (names);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_strconcat (dir, names[i], NULL);
      g_autoptr(GBytes) data = NULL;

      if (g_str_has_suffix (path, "/"))
        {
          files += assert_no_private_key (resource, path);
          continue;
        }
      data = g_resource_lookup_data (resource, path, 0, NULL);
      g_assert_nonnull (data);
      files++;
      g_assert_false (g_str_has_suffix (path, ".pem"));
      g_assert_null (g_strstr_len (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                                   "PRIVATE KEY-----"));
    }
  return files;
}

/* The demo merchant is the simulator's own, made at run time in the user's data directory:
 * a random key (not the official example key) and a client certificate, in files only the
 * user can read, and nothing secret in Saoma's resources. */
static void
test_credentials (void)
{
  g_autoptr(SaomaDemoGateway) gateway = saoma_demo_gateway_new (NULL);
  g_autoptr(SaomaDemoGateway) again = saoma_demo_gateway_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *program = saoma_demo_gateway_find_program ();
  g_autofree char *key = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsCertificate) on_disk = NULL;
  const char *path;
  GStatBuf st;

  if (program == NULL)
    {
      g_test_skip ("wxpay-sim is not built");
      return;
    }

  g_assert_null (saoma_demo_gateway_get_api_key (gateway));
  saoma_demo_gateway_start_async (gateway, NULL, done_cb, NULL);
  g_assert_true (saoma_demo_gateway_start_finish (gateway, wait_result (), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (strlen (saoma_demo_gateway_get_api_key (gateway)), ==, 32);
  g_assert_cmpstr (saoma_demo_gateway_get_api_key (gateway), !=, "192006250b4c09247ec02edce69f6a2d");
  g_assert_nonnull (saoma_demo_gateway_get_appid (gateway));
  g_assert_nonnull (saoma_demo_gateway_get_mch_id (gateway));
  key = g_strdup (saoma_demo_gateway_get_api_key (gateway));

  path = saoma_demo_gateway_get_certificate_path (gateway);
  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  dir = g_path_get_dirname (path);
  {
    g_autofree char *merchant = g_build_filename (dir, "merchant.ini", NULL);

    g_assert_cmpint (g_stat (merchant, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_cmpint (g_stat (dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  }

  client = demo_client (gateway);
  g_object_get (client, "tls-certificate", &certificate, NULL);
  g_assert_nonnull (certificate);
  on_disk = g_tls_certificate_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_tls_certificate_is_same (certificate, on_disk));

  /* No private key anywhere in the application's resources. */
  saoma_application_register_resources ();
  g_assert_nonnull (saoma_get_resource ());
  g_assert_cmpuint (assert_no_private_key (saoma_get_resource (), "/io/github/saoma/Cashier/"), >,
                    5);

  /* The next start finds the same merchant. */
  saoma_demo_gateway_stop (gateway);
  g_assert_null (saoma_demo_gateway_get_api_key (gateway));
  saoma_demo_gateway_start_async (again, NULL, done_cb, NULL);
  g_assert_true (saoma_demo_gateway_start_finish (again, wait_result (), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_demo_gateway_get_api_key (again), ==, key);
  saoma_demo_gateway_stop (again);
}

static void
test_missing_program (void)
{
  g_autoptr(SaomaDemoGateway) gateway = saoma_demo_gateway_new (NULL);
  g_autoptr(GError) error = NULL;

  g_setenv ("SAOMA_WXPAY_SIM", "/nonexistent/wxpay-sim", TRUE);
  saoma_demo_gateway_start_async (gateway, NULL, done_cb, NULL);
  g_assert_false (saoma_demo_gateway_start_finish (gateway, wait_result (), &error));
  g_assert_nonnull (error);
  g_assert_null (saoma_demo_gateway_get_base_uri (gateway));
  g_unsetenv ("SAOMA_WXPAY_SIM");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  loop = g_main_loop_new (NULL, FALSE);

  g_test_add_func ("/demo-gateway/start-pay-stop", test_start_pay_stop);
  g_test_add_func ("/demo-gateway/credentials", test_credentials);
  g_test_add_func ("/demo-gateway/missing-program", test_missing_program);

  return g_test_run ();
}
