/* test-sim-exe.c: the wxpay-sim executable, spawned for real: options, the URL line, the
 * control API over HTTP, faults with a seed, the state file across a restart, HTTPS with client
 * certificates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sim-test-util.h"

typedef struct {
  GSubprocess *process;
  char        *url;
} Sim;

static char *
sim_path (void)
{
  const char *build = g_getenv ("SAOMA_BUILD_DIR");

  return g_build_filename (build != NULL ? build : BUILD_DIR, "src", "sim", "wxpay-sim", NULL);
}

static void
sim_stop (Sim *sim)
{
  if (sim->process != NULL)
    {
      g_subprocess_send_signal (sim->process, SIGTERM);
      g_subprocess_wait (sim->process, NULL, NULL);
      g_assert_true (g_subprocess_get_if_exited (sim->process));
      g_assert_cmpint (g_subprocess_get_exit_status (sim->process), ==, 0);
    }
  g_clear_object (&sim->process);
  g_clear_pointer (&sim->url, g_free);
}

static void
sim_free (Sim *sim)
{
  sim_stop (sim);
  g_free (sim);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

static void
child_setup (gpointer user_data)
{
  /* A crashed test must not leave simulators behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static Sim *
sim_spawn (const char * const *extra)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *path = sim_path ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  Sim *sim = g_new0 (Sim, 1);

  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, (gpointer)"--port");
  g_ptr_array_add (argv, (gpointer)"0");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)extra[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  sim->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  sim->url = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sim->url);
  g_assert_true (g_str_has_prefix (sim->url, "http://127.0.0.1:") ||
                 g_str_has_prefix (sim->url, "https://127.0.0.1:"));

  return sim;
}

static char *
http_text (SoupSession *session,
           const char  *method,
           const char  *base,
           const char  *path,
           const char  *body,
           guint       *out_status)
{
  g_autofree char *uri = g_strconcat (base, path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = sim_test_http (session, method, uri, body, -1, out_status, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
test_exe_help (void)
{
  g_autofree char *path = sim_path ();
  const char *argv[] = { path, "--help", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *options[] = {
    "--port", "--bind", "--appid", "--mch-id", "--key", "--key-file", "--seed", "--time-scale",
    "--close-min-age", "--tls-cert", "--tls-key", "--client-ca", "--state", "Examples:",
    "drop_after", "wrong_amount_notify", "AUTHCODEEXPIRE", "NOTENOUGH", "/sim/faults",
    "/sim/clock/advance", "system error", "--header-timeout", "--idle-timeout",
    "--max-connections", "/sim/connections", "--order-retention", "--state-interval",
    "/sim/state", "--credentials-dir", "--https",
  };

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, 0, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    g_assert_nonnull (strstr (out, options[i]));

  /* Bad options fail with status 2 and a message, before printing any URL. */
  {
    const char *bad[][4] = {
      { path, "--key", "short", NULL },
      { path, "--time-scale", "0", NULL },
      { path, "--tls-cert", "/nonexistent.pem", NULL },
      { path, "--bind", "not-an-ip", NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *bad_out = NULL;
        g_autofree char *bad_err = NULL;

        g_assert_true (g_spawn_sync (NULL, (char **)bad[i], NULL, 0, NULL, NULL, &bad_out, &bad_err,
                                     &status, &error));
        g_assert_false (g_spawn_check_wait_status (status, NULL));
        g_assert_cmpstr (bad_out, ==, "");
        g_assert_true (g_str_has_prefix (bad_err, "wxpay-sim: "));
      }
  }
}

static void
test_exe_client_and_control (void)
{
  g_autoptr(Sim) sim = sim_spawn (NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
  g_autofree char *no = sim_test_unique_no ("X");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 4200, NULL, g_get_real_time ());
  g_autoptr(WxpayParams) created = NULL;
  g_autoptr(WxpayParams) q = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pay_path = g_strdup_printf ("/sim/orders/%s/pay", no);
  g_autofree char *userpaying_path = NULL;
  g_autofree char *fail_path = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *orders = NULL;
  g_autofree char *other = sim_test_unique_no ("Y");
  guint status = 0;

  created = sim_test_client_call (client, "/pay/unifiedorder", req, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (wxpay_params_get (created, "code_url"), "weixin://wxpay/bizpayurl?pr="));

  /* userpaying and fail on a second order. */
  {
    g_autoptr(WxpayParams) req2 = sim_test_native_order (other, 1, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) created2 = sim_test_client_call (client, "/pay/unifiedorder", req2, &error);
    g_autofree char *up = NULL;
    g_autofree char *failed = NULL;
    g_autoptr(WxpayParams) q2 = wxpay_params_new ();
    g_autoptr(WxpayParams) a2 = NULL;

    g_assert_no_error (error);
    userpaying_path = g_strdup_printf ("/sim/orders/%s/userpaying", other);
    fail_path = g_strdup_printf ("/sim/orders/%s/fail", other);
    up = http_text (session, "POST", sim->url, userpaying_path, "", &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (up, "\"state\":\"USERPAYING\""));
    failed = http_text (session, "POST", sim->url, fail_path, "", &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (failed, "\"state\":\"PAYERROR\""));
    wxpay_params_set (q2, "out_trade_no", other);
    a2 = sim_test_client_call (client, "/pay/orderquery", q2, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (a2, "trade_state"), ==, "PAYERROR");
  }

  paid = http_text (session, "POST", sim->url, pay_path, "", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (paid, "\"state\":\"SUCCESS\""));

  wxpay_params_set (q, "out_trade_no", no);
  answer = sim_test_client_call (client, "/pay/orderquery", q, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "SUCCESS");
  g_assert_cmpstr (wxpay_params_get (answer, "total_fee"), ==, "4200");

  orders = http_text (session, "GET", sim->url, "/sim/orders", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_str_has_prefix (orders, "{\"now\":\""));
  g_assert_nonnull (strstr (orders, no));
  g_assert_nonnull (strstr (orders, other));
  g_assert_nonnull (strstr (orders, "\"total_fee\":4200"));

  /* The close rule over the control clock. */
  {
    g_autofree char *third = sim_test_unique_no ("Z");
    g_autoptr(WxpayParams) req3 = sim_test_native_order (third, 1, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) c3 = sim_test_client_call (client, "/pay/unifiedorder", req3, &error);
    g_autoptr(WxpayParams) close_req = wxpay_params_new ();
    g_autoptr(WxpayParams) closed = NULL;
    g_autofree char *clock = NULL;

    g_assert_no_error (error);
    wxpay_params_set (close_req, "out_trade_no", third);
    closed = sim_test_client_call (client, "/pay/closeorder", close_req, &error);
    g_assert_null (closed);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_SYSTEMERROR);
    g_clear_error (&error);
    clock = http_text (session, "POST", sim->url, "/sim/clock/advance?seconds=300", "", &status);
    g_assert_cmpuint (status, ==, 200);
    closed = sim_test_client_call (client, "/pay/closeorder", close_req, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (closed, "result_code"), ==, "SUCCESS");
  }
}

static void
test_exe_faults (void)
{
  const char *args[] = { "--seed", "1234", NULL };
  g_autoptr(Sim) sim = sim_spawn (args);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
  struct {
    const char *json;
    WxpayError  code;
    gboolean    created;
  } cases[] = {
    { "{\"drop_after\":1,\"path\":\"/pay/unifiedorder\"}", WXPAY_ERROR_CONNECTION_LOST, TRUE },
    { "{\"drop_before\":1}", WXPAY_ERROR_CONNECTION_LOST, FALSE },
    { "{\"http_502\":1}", WXPAY_ERROR_HTTP_SERVER, FALSE },
    { "{\"systemerror\":1,\"path\":\"/pay/unifiedorder\"}", WXPAY_ERROR_SYSTEMERROR, FALSE },
    { "[{\"bad_sign\":1}]", WXPAY_ERROR_BAD_SIGNATURE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *no = sim_test_unique_no ("G");
      g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, g_get_real_time ());
      g_autoptr(WxpayParams) answer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *set = NULL;
      g_autofree char *cleared = NULL;
      g_autofree char *orders = NULL;
      guint status = 0;

      set = http_text (session, "POST", sim->url, "/sim/faults", cases[i].json, &status);
      g_assert_cmpuint (status, ==, 200);
      answer = sim_test_client_call (client, "/pay/unifiedorder", req, &error);
      g_assert_null (answer);
      g_assert_error (error, WXPAY_ERROR, cases[i].code);
      g_assert_true (wxpay_error_is_outcome_unknown (error));

      cleared = http_text (session, "DELETE", sim->url, "/sim/faults", NULL, &status);
      g_assert_cmpuint (status, ==, 200);
      orders = http_text (session, "GET", sim->url, "/sim/orders", NULL, &status);
      g_assert_true ((strstr (orders, no) != NULL) == cases[i].created);
    }
}

static void
test_exe_state (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wxpay-sim-state-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "sim.state", NULL);
  const char *args[] = { "--state", state, NULL };
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *no = sim_test_unique_no ("P");
  g_autofree char *pending = sim_test_unique_no ("Q");
  g_autofree char *code_url = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refund_id = NULL;

  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 777, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) req2 = sim_test_native_order (pending, 5, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) a = sim_test_client_call (client, "/pay/unifiedorder", req, &error);
    g_autoptr(WxpayParams) b = NULL;
    g_autoptr(WxpayParams) r = wxpay_params_new ();
    g_autoptr(WxpayParams) refunded = NULL;
    g_autofree char *pay_path = g_strdup_printf ("/sim/orders/%s/pay", no);
    g_autofree char *paid = NULL;
    guint status;

    g_assert_no_error (error);
    b = sim_test_client_call (client, "/pay/unifiedorder", req2, &error);
    g_assert_no_error (error);
    code_url = g_strdup (wxpay_params_get (b, "code_url"));
    paid = http_text (session, "POST", sim->url, pay_path, "", &status);
    g_assert_cmpuint (status, ==, 200);

    wxpay_params_set (r, "out_trade_no", no);
    wxpay_params_set (r, "out_refund_no", "STATEREF1");
    wxpay_params_set (r, "total_fee", "777");
    wxpay_params_set (r, "refund_fee", "77");
    refunded = sim_test_raw_call (session, sim->url, "/secapi/pay/refund", r, WXPAY_SIGN_TYPE_MD5,
                                  SIM_KEY, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (refunded, "result_code"), ==, "SUCCESS");
    refund_id = g_strdup (wxpay_params_get (refunded, "refund_id"));
    /* SIGTERM: the state is written on the way out. */
  }
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));

  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
    g_autoptr(WxpayParams) q = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(WxpayParams) req2 = sim_test_native_order (pending, 5, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) again = NULL;
    g_autoptr(WxpayParams) rq = wxpay_params_new ();
    g_autoptr(WxpayParams) refunds = NULL;

    wxpay_params_set (q, "out_trade_no", no);
    answer = sim_test_client_call (client, "/pay/orderquery", q, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "REFUND");
    g_assert_cmpstr (wxpay_params_get (answer, "total_fee"), ==, "777");

    /* An unpaid order survives too, with its code_url. (time_start differs by a few seconds
     * at most, so rebuild the exact same request.) */
    g_clear_pointer (&req2, wxpay_params_unref);
    {
      g_autofree char *json = NULL;
      guint status;

      json = http_text (session, "GET", sim->url, "/sim/orders", NULL, &status);
      g_assert_nonnull (strstr (json, pending));
      g_assert_nonnull (strstr (json, strstr (code_url, "pr=") + 3));
    }

    wxpay_params_set (rq, "out_refund_no", "STATEREF1");
    refunds = sim_test_client_call (client, "/pay/refundquery", rq, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (refunds, "refund_id_0"), ==, refund_id);
    (void)again;
  }

  g_unlink (state);
  g_rmdir (dir);
}

static void
test_exe_credentials (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wxpay-sim-key-XXXXXX", NULL);
  g_autofree char *key_file = g_build_filename (dir, "key", NULL);
  const char *key = "0123456789abcdef0123456789ABCDEF";
  const char *args[] = { "--key-file", key_file, "--appid", "wx1111111111111111", "--mch-id", "1230000109", NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (key_file, "  0123456789abcdef0123456789ABCDEF\n", -1, NULL));
  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(WxpayClient) good = wxpay_client_new (sim->url, "wx1111111111111111", "1230000109", key);
    g_autoptr(WxpayClient) demo = sim_test_client_new (sim->url);
    g_autoptr(WxpayParams) q = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;

    wxpay_params_set (q, "out_trade_no", "NOTHING0001");
    answer = sim_test_client_call (good, "/pay/orderquery", q, &error);
    g_assert_null (answer);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST);
    g_clear_error (&error);

    answer = sim_test_client_call (demo, "/pay/orderquery", q, &error);
    g_assert_null (answer);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
  }
  g_unlink (key_file);
  g_rmdir (dir);
}

static void
remove_dir (const char *dir)
{
  const char *names[] = { "ca.key", "ca.pem", "ca.tmpl", "server.key", "server.pem", "server.tmpl",
                          "client.key", "client.pem", "client.tmpl", "rogue.key", "rogue.pem" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
test_exe_tls (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wxpay-sim-tls-XXXXXX", NULL);
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *server_pem = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *server_key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *client_pem = g_build_filename (dir, "client.pem", NULL);
  g_autofree char *client_key = g_build_filename (dir, "client.key", NULL);
  g_autofree char *rogue_pem = g_build_filename (dir, "rogue.pem", NULL);
  g_autofree char *rogue_key = g_build_filename (dir, "rogue.key", NULL);
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GTlsCertificate) client_cert = NULL;
  g_autoptr(GTlsCertificate) rogue_cert = NULL;
  g_autoptr(GError) error = NULL;

  if (!sim_test_make_certs (dir))
    {
      remove_dir (dir);
      g_test_skip ("certtool (gnutls-bin) is not available");
      return;
    }

  db = g_tls_file_database_new (ca, &error);
  g_assert_no_error (error);
  client_cert = g_tls_certificate_new_from_files (client_pem, client_key, &error);
  g_assert_no_error (error);
  rogue_cert = g_tls_certificate_new_from_files (rogue_pem, rogue_key, &error);
  g_assert_no_error (error);

  {
    const char *args[] = { "--tls-cert", server_pem, "--tls-key", server_key, "--client-ca", ca, NULL };
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
    g_autoptr(WxpayClient) rogue = sim_test_client_new (sim->url);
    g_autoptr(SoupSession) session = soup_session_new_with_options ("tls-database", db, NULL);
    g_autofree char *no = sim_test_unique_no ("H");
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 300, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) created = NULL;
    g_autoptr(WxpayParams) refund_req = wxpay_params_new ();
    g_autoptr(WxpayParams) refund = NULL;
    g_autoptr(WxpayParams) nocert = NULL;
    g_autofree char *pay_path = g_strdup_printf ("/sim/orders/%s/pay", no);
    g_autofree char *paid = NULL;
    guint status = 0;

    g_assert_true (g_str_has_prefix (sim->url, "https://127.0.0.1:"));
    g_object_set (client, "tls-database", db, "tls-certificate", client_cert, NULL);
    g_object_set (rogue, "tls-database", db, "tls-certificate", rogue_cert, NULL);

    /* /pay/ needs no client certificate. */
    created = sim_test_raw_call (session, sim->url, "/pay/unifiedorder", req, WXPAY_SIGN_TYPE_MD5,
                                 SIM_KEY, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (created, "result_code"), ==, "SUCCESS");
    paid = http_text (session, "POST", sim->url, pay_path, "", &status);
    g_assert_cmpuint (status, ==, 200);

    wxpay_params_set (refund_req, "out_trade_no", no);
    wxpay_params_set (refund_req, "out_refund_no", "TLSREF0001");
    wxpay_params_set (refund_req, "total_fee", "300");
    wxpay_params_set (refund_req, "refund_fee", "100");

    /* Without a certificate: 证书验证失败, and no refund. */
    nocert = sim_test_raw_call (session, sim->url, "/secapi/pay/refund", refund_req,
                                WXPAY_SIGN_TYPE_MD5, SIM_KEY, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (nocert, "return_code"), ==, "FAIL");
    g_assert_cmpstr (wxpay_params_get (nocert, "return_msg"), ==, "证书验证失败");

    /* A certificate from another CA: 证书验证失败. */
    refund = sim_test_client_call (rogue, "/secapi/pay/refund", refund_req, &error);
    g_assert_null (refund);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
    g_assert_nonnull (strstr (error->message, "证书验证失败"));
    g_clear_error (&error);

    /* An ordinary call first leaves a kept-alive connection whose handshake carried no
     * certificate: the refund must not travel on it. */
    {
      g_autoptr(WxpayParams) q = wxpay_params_new ();
      g_autoptr(WxpayParams) queried = NULL;

      wxpay_params_set (q, "out_trade_no", no);
      queried = sim_test_client_call (client, "/pay/orderquery", q, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (wxpay_params_get (queried, "trade_state"), ==, "SUCCESS");
    }

    refund = sim_test_client_call (client, "/secapi/pay/refund", refund_req, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (refund, "refund_fee"), ==, "100");
    g_assert_cmpstr (wxpay_params_get (refund, "out_refund_no"), ==, "TLSREF0001");

    /* Reverse is a /secapi/ path too. */
    {
      g_autoptr(WxpayParams) rev = wxpay_params_new ();
      g_autoptr(WxpayParams) nocert_rev = NULL;

      wxpay_params_set (rev, "out_trade_no", no);
      nocert_rev = sim_test_raw_call (session, sim->url, "/secapi/pay/reverse", rev,
                                      WXPAY_SIGN_TYPE_MD5, SIM_KEY, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (wxpay_params_get (nocert_rev, "return_msg"), ==, "证书验证失败");
    }

    /* Exactly one refund exists. */
    {
      g_autofree char *orders = http_text (session, "GET", sim->url, "/sim/orders", NULL, &status);

      g_assert_nonnull (strstr (orders, "\"refunded_fee\":100"));
    }
  }

  remove_dir (dir);
}

/* --- Limits: bodies and connections ------------------------------------------------------- */

static GPid
sim_pid (Sim *sim)
{
  const char *id = g_subprocess_get_identifier (sim->process);

  g_assert_nonnull (id);
  return (GPid)g_ascii_strtoll (id, NULL, 10);
}

/* A /proc/PID/status field in KiB (VmRSS, VmHWM). */
static gint64
proc_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, field);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (field) + 1, NULL, 10);
}

/* Sockets the process holds open, counted by the kernel. */
static guint
proc_socket_count (GPid pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int)pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link_path = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (link_path, NULL);

      if (target != NULL && g_str_has_prefix (target, "socket:"))
        count++;
    }
  return count;
}

static guint
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint)g_uri_get_port (uri);
}

/* A raw TCP connection to 127.0.0.1:@port, optionally non-blocking. */
static int
tcp_connect (guint    port,
             gboolean nonblocking)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  int rc;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  rc = connect (fd, (struct sockaddr *)&addr, sizeof addr);
  g_assert_true (rc == 0 || (nonblocking && errno == EINPROGRESS));
  return fd;
}

static void
send_all (int         fd,
          const char *text)
{
  gsize len = strlen (text);
  gsize done = 0;

  while (done < len)
    {
      gssize n = send (fd, text + done, len - done, MSG_NOSIGNAL);

      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

/* Reads until end-of-file or @timeout_ms; returns what came, *@out_eof whether the peer closed. */
static GString *
read_until_eof (int       fd,
                guint     timeout_ms,
                gboolean *out_eof)
{
  GString *out = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  *out_eof = FALSE;
  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      char buf[4096];
      gssize n;

      if (left <= 0 || poll (&pfd, 1, (int)left) <= 0)
        break;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        {
          *out_eof = TRUE;
          break;
        }
      g_string_append_len (out, buf, n);
    }
  return out;
}

static char *
connections_json (Sim *sim)
{
  /* A session of its own, dropped at once: the query must not hold a connection itself. */
  g_autoptr(SoupSession) session = soup_session_new ();
  guint status = 0;
  char *json = http_text (session, "GET", sim->url, "/sim/connections", NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return json;
}

static gint64
json_int (const char *json,
          const char *name)
{
  g_autofree char *key = g_strdup_printf ("\"%s\":", name);
  const char *at = strstr (json, key);

  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen (key), NULL, 10);
}

static void
assert_gateway_answers (Sim *sim)
{
  g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
  g_autoptr(WxpayParams) q = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  wxpay_params_set (q, "out_trade_no", "NOTHING0001");
  answer = sim_test_client_call (client, "/pay/orderquery", q, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST);
}

static void
test_exe_chunked_body (void)
{
  const gsize total = 200 * 1024 * 1024;
  const gsize chunk = 64 * 1024;
  g_autoptr(Sim) sim = sim_spawn (NULL);
  GPid pid = sim_pid (sim);
  g_autofree char *data = g_malloc (chunk);
  g_autofree char *frame = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  gint64 rss_before;
  gint64 hwm_before;
  gint64 hwm_after;
  gsize sent = 0;
  gboolean eof = FALSE;
  int fd;

  assert_gateway_answers (sim);
  rss_before = proc_status_kib (pid, "VmRSS:");
  hwm_before = proc_status_kib (pid, "VmHWM:");

  memset (data, '<', chunk);
  frame = g_strdup_printf ("%zx\r\n", chunk);
  fd = tcp_connect (url_port (sim->url), FALSE);
  send_all (fd, "POST /pay/unifiedorder HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");

  /* Send until the whole 200 MiB is out or the simulator answers or closes. */
  while (sent < total)
    {
      struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
      gssize n;

      g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        break;
      n = send (fd, frame, strlen (frame), MSG_NOSIGNAL);
      if (n > 0)
        n = send (fd, data, chunk, MSG_NOSIGNAL);
      if (n > 0)
        n = send (fd, "\r\n", 2, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += chunk;
    }
  {
    g_autoptr(GString) rest = read_until_eof (fd, 10000, &eof);

    g_string_append (answer, rest->str);
  }
  close (fd);

  hwm_after = proc_status_kib (pid, "VmHWM:");
  g_test_message ("sent %zu MiB of a 200 MiB chunked body before the answer; simulator RSS %"
                  G_GINT64_FORMAT " KiB before, peak grew by %" G_GINT64_FORMAT " KiB",
                  sent / (1024 * 1024), rss_before, hwm_after - hwm_before);
  g_print ("# RSS under a 200 MiB chunked POST: +%.1f MiB (peak)\n",
           (hwm_after - hwm_before) / 1024.0);
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 413"));
  g_assert_true (eof);
  g_assert_cmpint (hwm_after - hwm_before, <, 20 * 1024);

  /* A body announced too large is refused before a byte of it is read. */
  fd = tcp_connect (url_port (sim->url), FALSE);
  send_all (fd, "POST /pay/orderquery HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Length: 300000000\r\n\r\n<xml>");
  {
    g_autoptr(GString) early = read_until_eof (fd, 10000, &eof);

    g_assert_true (g_str_has_prefix (early->str, "HTTP/1.1 413"));
  }
  close (fd);

  /* The simulator still serves, and counted both. */
  assert_gateway_answers (sim);
  {
    g_autofree char *json = connections_json (sim);

    g_assert_cmpint (json_int (json, "refused_too_large"), ==, 2);
  }
}

static void
test_exe_slow_connections (void)
{
  const char *args[] = { "--header-timeout", "1", "--idle-timeout", "2", NULL };
  const guint n_slow = 300;
  const guint n_idle = 50;
  g_autoptr(Sim) sim = sim_spawn (args);
  GPid pid = sim_pid (sim);
  guint port = url_port (sim->url);
  g_autofree int *slow = g_new (int, n_slow);
  g_autofree int *idle = g_new (int, n_idle);
  g_autofree char *json = NULL;
  guint baseline;
  gint64 start;
  guint held = 0;

  assert_gateway_answers (sim);
  sim_test_spin (200);
  baseline = proc_socket_count (pid);

  /* 50 kept-alive connections that finished a request and then say nothing. */
  for (guint i = 0; i < n_idle; i++)
    {
      struct pollfd pfd = { 0, POLLIN, 0 };
      char buf[4096];
      gssize n;

      idle[i] = tcp_connect (port, FALSE);
      send_all (idle[i], "GET /sim/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      pfd.fd = idle[i];
      g_assert_cmpint (poll (&pfd, 1, 5000), ==, 1);
      n = recv (idle[i], buf, sizeof buf - 1, 0);
      g_assert_cmpint (n, >, 0);
      buf[n] = '\0';
      g_assert_true (g_str_has_prefix (buf, "HTTP/1.1 200"));
    }
  /* 300 requests that stop in the middle of their headers. */
  for (guint i = 0; i < n_slow; i++)
    {
      slow[i] = tcp_connect (port, FALSE);
      send_all (slow[i], "POST /pay/orderquery HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
    }
  start = g_get_monotonic_time ();

  json = connections_json (sim);
  g_assert_cmpint (json_int (json, "open"), >=, n_slow + n_idle);
  g_clear_pointer (&json, g_free);
  /* The simulator answers throughout. */
  assert_gateway_answers (sim);

  /* Every slow request is closed by the header timeout, every idle connection by the idle
   * timeout: each side reads end-of-file. */
  for (guint i = 0; i < n_slow; i++)
    {
      gboolean eof = FALSE;
      g_autoptr(GString) got = read_until_eof (slow[i], 5000, &eof);

      g_assert_true (eof);
      close (slow[i]);
    }
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  assert_gateway_answers (sim);
  for (guint i = 0; i < n_idle; i++)
    {
      gboolean eof = FALSE;
      g_autoptr(GString) got = read_until_eof (idle[i], 5000, &eof);

      g_assert_true (eof);
      close (idle[i]);
    }

  /* None is held: the kernel's count of the simulator's sockets is back where it was. */
  for (gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
       g_get_monotonic_time () < deadline;)
    {
      held = proc_socket_count (pid) > baseline ? proc_socket_count (pid) - baseline : 0;
      if (held == 0)
        break;
      sim_test_spin (50);
    }
  g_print ("# connections held after the idle timeout: %u of %u\n", held, n_slow + n_idle);
  g_assert_cmpuint (held, ==, 0);

  json = connections_json (sim);
  g_assert_cmpint (json_int (json, "closed_header_timeout"), >=, n_slow);
  g_assert_cmpint (json_int (json, "closed_idle"), >=, n_idle);
  /* Its own count agrees once the last client's kept-alive connection has idled out too: only
   * the query itself is open. */
  for (gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
       json_int (json, "open") > 1 && g_get_monotonic_time () < deadline;)
    {
      sim_test_spin (200);
      g_free (json);
      json = connections_json (sim);
    }
  g_assert_cmpint (json_int (json, "open"), <=, 1);
}

static void
test_exe_connection_cap (void)
{
  const char *args[] = { "--max-connections", "20", NULL };
  g_autoptr(Sim) sim = sim_spawn (args);
  guint port = url_port (sim->url);
  int held[20];
  g_autofree char *json = NULL;
  gboolean eof = FALSE;
  int extra;

  assert_gateway_answers (sim);
  sim_test_spin (100);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    held[i] = tcp_connect (port, FALSE);
  sim_test_spin (300);

  /* Beyond the cap a new connection is closed at once. */
  extra = tcp_connect (port, FALSE);
  {
    g_autoptr(GString) got = read_until_eof (extra, 3000, &eof);

    g_assert_true (eof);
    g_assert_cmpuint (got->len, ==, 0);
  }
  close (extra);

  /* Room again once one goes. */
  close (held[0]);
  sim_test_spin (300);
  json = connections_json (sim);
  g_assert_cmpint (json_int (json, "refused_connections"), >=, 1);
  g_assert_cmpint (json_int (json, "max_connections"), ==, 20);
  for (guint i = 1; i < G_N_ELEMENTS (held); i++)
    close (held[i]);
}

static char *
order_create (WxpayClient *client,
              const char  *prefix,
              gint64       expire_minutes)
{
  g_autofree char *no = sim_test_unique_no (prefix);
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 100, NULL, g_get_real_time ());
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  if (expire_minutes != 10)
    {
      g_autoptr(GDateTime) later = g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC
                                                                  + expire_minutes * 60);
      g_autofree char *expire = wxpay_time_format (later);

      wxpay_params_set (req, "time_expire", expire);
    }
  answer = sim_test_client_call (client, "/pay/unifiedorder", req, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&no);
}

static const char *
order_state (WxpayClient *client,
             const char  *out_trade_no,
             char       **out_owned)
{
  g_autoptr(WxpayParams) q = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  wxpay_params_set (q, "out_trade_no", out_trade_no);
  answer = sim_test_client_call (client, "/pay/orderquery", q, &error);
  if (g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST))
    return *out_owned = g_strdup ("ORDERNOTEXIST");
  g_assert_no_error (error);
  return *out_owned = g_strdup (wxpay_params_get (answer, "trade_state"));
}

static gint64
state_field (Sim        *sim,
             const char *name)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  guint status = 0;
  g_autofree char *json = http_text (session, "GET", sim->url, "/sim/state", NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return json_int (json, name);
}

static void
advance (Sim   *sim,
         guint  seconds)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *path = g_strdup_printf ("/sim/clock/advance?seconds=%u", seconds);
  guint status = 0;
  g_autofree char *json = http_text (session, "POST", sim->url, path, "", &status);

  g_assert_cmpuint (status, ==, 200);
}

static void
test_exe_expiry_and_batched_state (void)
{
  g_autofree char *dir = g_dir_make_tmp ("wxpay-sim-expiry-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "sim.state", NULL);
  const char *args[] = { "--state", state, "--order-retention", "1", "--state-interval", "1500",
                         NULL };
  g_autofree char *paid = NULL;
  g_autofree char *closing = NULL;
  g_autofree char *open = NULL;

  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(WxpayClient) client = sim_test_client_new (sim->url);
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autofree char *pay_path = NULL;
    g_autofree char *pay_answer = NULL;
    g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
    GStatBuf st;
    guint status = 0;
    gint64 writes;

    /* A paid order, one that closes at its time_expire (10 min), one open for 2 h (the
     * code_url lifetime), and a burst of 30 more that close after 10 minutes. */
    paid = order_create (client, "EXPA", 10);
    pay_path = g_strdup_printf ("/sim/orders/%s/pay", paid);
    pay_answer = http_text (session, "POST", sim->url, pay_path, "", &status);
    g_assert_cmpuint (status, ==, 200);
    closing = order_create (client, "EXPB", 10);
    open = order_create (client, "EXPC", 180);
    for (guint i = 0; i < 30; i++)
      g_free (order_create (client, "EXPD", 10));

    /* Batched: the burst costs one or two rewrites, not one per change. */
    sim_test_spin (3500);
    writes = state_field (sim, "state_writes");
    g_test_message ("state writes for 34 changes: %" G_GINT64_FORMAT, writes);
    g_assert_cmpint (writes, >=, 1);
    g_assert_cmpint (writes, <=, 2);
    g_assert_cmpint (g_stat (state, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_cmpint (state_field (sim, "orders"), ==, 33);

    /* 30 simulated minutes: everything is younger than the retention of one hour. */
    advance (sim, 30 * 60);
    g_assert_cmpint (state_field (sim, "orders"), ==, 33);
    g_assert_cmpstr (order_state (client, closing, &s1), ==, "CLOSED");

    /* 80 minutes: the finished ones are gone, the open one stays. */
    advance (sim, 50 * 60);
    g_assert_cmpint (state_field (sim, "orders"), ==, 1);
    g_assert_cmpint (state_field (sim, "orders_expired"), ==, 32);
    g_assert_cmpstr (order_state (client, paid, &s2), ==, "ORDERNOTEXIST");
    g_assert_cmpstr (order_state (client, open, &s3), ==, "NOTPAY");

    /* It closes at 2 h and is forgotten an hour later. */
    advance (sim, 3 * 3600);
    g_assert_cmpstr (order_state (client, open, &s4), ==, "ORDERNOTEXIST");
    g_assert_cmpint (state_field (sim, "orders"), ==, 0);
    /* SIGTERM writes the last state. */
  }

  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autofree char *text = NULL;

    g_assert_cmpint (state_field (sim, "orders"), ==, 0);
    g_assert_true (g_file_get_contents (state, &text, NULL, NULL));
    g_assert_null (strstr (text, paid));
    g_assert_null (strstr (text, open));
  }

  g_unlink (state);
  g_rmdir (dir);
}

static void
test_exe_credentials_dir (void)
{
  g_autofree char *top = g_dir_make_tmp ("wxpay-sim-creds-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (top, "demo", NULL);
  g_autofree char *merchant_path = g_build_filename (dir, "merchant.ini", NULL);
  g_autofree char *ca_path = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *client_path = g_build_filename (dir, "client.pem", NULL);
  const char *args[] = { "--credentials-dir", dir, "--https", NULL };
  const char *files[] = { "merchant.ini", "ca.pem", "server.pem", "client.pem" };
  g_autofree char *first_key = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(Sim) sim = sim_spawn (args);
    g_autoptr(GKeyFile) merchant = g_key_file_new ();
    g_autoptr(GTlsDatabase) db = NULL;
    g_autoptr(GTlsCertificate) client_cert = NULL;
    g_autoptr(WxpayClient) client = NULL;
    g_autoptr(WxpayClient) example = sim_test_client_new (sim->url);
    g_autoptr(SoupSession) session = NULL;
    g_autofree char *appid = NULL;
    g_autofree char *mch_id = NULL;
    g_autofree char *no = sim_test_unique_no ("K");
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 300, NULL, g_get_real_time ());
    g_autoptr(WxpayParams) created = NULL;
    g_autoptr(WxpayParams) q = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(WxpayParams) refund_req = wxpay_params_new ();
    g_autoptr(WxpayParams) refund = NULL;
    g_autoptr(WxpayParams) nocert = NULL;
    g_autofree char *pay_path = g_strdup_printf ("/sim/orders/%s/pay", no);
    g_autofree char *paid = NULL;
    GStatBuf st;
    guint status = 0;

    /* HTTPS, and every file private. */
    g_assert_true (g_str_has_prefix (sim->url, "https://127.0.0.1:"));
    g_assert_cmpint (g_stat (dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *path = g_build_filename (dir, files[i], NULL);

        g_assert_cmpint (g_stat (path, &st), ==, 0);
        g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      }

    /* A random key of its own, not the official example key. */
    g_assert_true (g_key_file_load_from_file (merchant, merchant_path, G_KEY_FILE_NONE, &error));
    g_assert_no_error (error);
    appid = g_key_file_get_string (merchant, "merchant", "appid", &error);
    g_assert_no_error (error);
    mch_id = g_key_file_get_string (merchant, "merchant", "mch_id", &error);
    g_assert_no_error (error);
    first_key = g_key_file_get_string (merchant, "merchant", "key", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (strlen (first_key), ==, 32);
    g_assert_cmpstr (first_key, !=, SIM_KEY);

    db = g_tls_file_database_new (ca_path, &error);
    g_assert_no_error (error);
    client_cert = g_tls_certificate_new_from_file (client_path, &error);
    g_assert_no_error (error);
    client = wxpay_client_new (sim->url, appid, mch_id, first_key);
    g_object_set (client, "tls-database", db, "tls-certificate", client_cert, NULL);
    g_object_set (example, "tls-database", db, NULL);
    session = soup_session_new_with_options ("tls-database", db, NULL);

    /* The example key no longer signs for this merchant. */
    wxpay_params_set (q, "out_trade_no", no);
    answer = sim_test_client_call (example, "/pay/orderquery", q, &error);
    g_assert_null (answer);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
    g_clear_error (&error);

    created = sim_test_client_call (client, "/pay/unifiedorder", req, &error);
    g_assert_no_error (error);
    paid = http_text (session, "POST", sim->url, pay_path, "", &status);
    g_assert_cmpuint (status, ==, 200);

    /* /secapi/ wants the client certificate the directory holds. */
    wxpay_params_set (refund_req, "out_trade_no", no);
    wxpay_params_set (refund_req, "out_refund_no", "CREDREF0001");
    wxpay_params_set (refund_req, "total_fee", "300");
    wxpay_params_set (refund_req, "refund_fee", "100");
    nocert = sim_test_raw_call (session, sim->url, "/secapi/pay/refund", refund_req,
                                WXPAY_SIGN_TYPE_MD5, first_key, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (nocert, "return_msg"), ==, "证书验证失败");
    refund = sim_test_client_call (client, "/secapi/pay/refund", refund_req, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (refund, "refund_fee"), ==, "100");
  }

  /* A restart loads the same merchant instead of making a new one; without --https it serves
   * plain HTTP with that merchant. */
  {
    const char *plain[] = { "--credentials-dir", dir, NULL };
    g_autoptr(Sim) sim = sim_spawn (plain);
    g_autoptr(GKeyFile) merchant = g_key_file_new ();
    g_autofree char *key = NULL;
    g_autoptr(WxpayClient) client = NULL;
    g_autoptr(WxpayParams) q = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;

    g_assert_true (g_str_has_prefix (sim->url, "http://127.0.0.1:"));
    g_assert_true (g_key_file_load_from_file (merchant, merchant_path, G_KEY_FILE_NONE, NULL));
    key = g_key_file_get_string (merchant, "merchant", "key", NULL);
    g_assert_cmpstr (key, ==, first_key);
    client = wxpay_client_new (sim->url, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID, key);
    wxpay_params_set (q, "out_trade_no", "NOTHING0001");
    answer = sim_test_client_call (client, "/pay/orderquery", q, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST);
    g_clear_error (&error);
  }

  /* It does not mix with explicit credentials. */
  {
    g_autofree char *path = sim_path ();
    const char *argv[] = { path, "--credentials-dir", dir, "--key", SIM_KEY, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int wait_status = 0;

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, 0, NULL, NULL, &out, &err,
                                 &wait_status, NULL));
    g_assert_false (g_spawn_check_wait_status (wait_status, NULL));
    g_assert_cmpstr (out, ==, "");
  }

  g_unlink (merchant_path);
  remove_dir (dir);
  g_rmdir (top);
  g_assert_false (g_file_test (top, G_FILE_TEST_EXISTS));
}

static char *
read_trimmed (const char *dir,
              const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strstrip (contents);
}

/* --v3-platform-cert: the public key leaves the merchant's files (the id stays the
 * simulator's), the control API rotates certificates, and a later public-key run puts the same
 * public key back. */
static void
test_exe_v3_platform_cert (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-sim-v3pc-XXXXXX", &error);
  g_autofree char *pub_path = g_build_filename (dir, "pub_key.pem", NULL);
  g_autofree char *pub_id = NULL;
  g_autofree char *kept_id = NULL;
  g_autofree char *restored_id = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *unsigned_answer = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  const char *platform[] = { "--v3-dir", dir, "--v3-platform-cert", NULL };
  const char *public_key[] = { "--v3-dir", dir, NULL };
  guint status = 0;

  g_assert_no_error (error);
  {
    g_autoptr(Sim) sim = sim_spawn (public_key);
  }
  pub_id = read_trimmed (dir, "pub_key_id.txt");
  g_assert_true (g_str_has_prefix (pub_id, "PUB_KEY_ID_"));

  {
    g_autoptr(Sim) sim = sim_spawn (platform);

    g_assert_false (g_file_test (pub_path, G_FILE_TEST_EXISTS));
    g_assert_null (read_trimmed (dir, "pub_key_id.txt"));
    kept_id = read_trimmed (dir, "sim_pub_key_id.txt");
    g_assert_cmpstr (kept_id, ==, pub_id);

    /* Not without a merchant's signature. */
    unsigned_answer = http_text (session, "GET", sim->url, "/v3/certificates", NULL, &status);
    g_assert_cmpuint (status, ==, 401);

    first = http_text (session, "POST", sim->url, "/sim/v3/certificates/rotate", "", &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_true (g_str_has_prefix (first, "{\"serial_no\":\""));
    /* Published, not signing yet: the serial in use stays. */
    second = http_text (session, "POST", sim->url, "/sim/v3/certificates/rotate?sign=0", "",
                        &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (second, ==, first);
  }

  {
    g_autoptr(Sim) sim = sim_spawn (public_key);

    g_assert_true (g_file_test (pub_path, G_FILE_TEST_EXISTS));
    restored_id = read_trimmed (dir, "pub_key_id.txt");
    g_assert_cmpstr (restored_id, ==, pub_id);
  }

  {
    const char *names[] = { "apiclient_key.pem", "apiclient_serial.txt", "pub_key.pem",
                            "pub_key_id.txt", "apiv3_key.txt", "sim_private_key.pem",
                            "sim_pub_key_id.txt" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *path = NULL;

  g_test_init (&argc, &argv, NULL);

  path = sim_path ();
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_message ("wxpay-sim not built at %s", path);
      return 77;
    }

  g_test_add_func ("/sim/exe/help", test_exe_help);
  g_test_add_func ("/sim/exe/client-and-control", test_exe_client_and_control);
  g_test_add_func ("/sim/exe/faults", test_exe_faults);
  g_test_add_func ("/sim/exe/state", test_exe_state);
  g_test_add_func ("/sim/exe/credentials", test_exe_credentials);
  g_test_add_func ("/sim/exe/tls", test_exe_tls);
  g_test_add_func ("/sim/exe/chunked-body", test_exe_chunked_body);
  g_test_add_func ("/sim/exe/slow-connections", test_exe_slow_connections);
  g_test_add_func ("/sim/exe/connection-cap", test_exe_connection_cap);
  g_test_add_func ("/sim/exe/expiry-and-batched-state", test_exe_expiry_and_batched_state);
  g_test_add_func ("/sim/exe/credentials-dir", test_exe_credentials_dir);
  g_test_add_func ("/sim/exe/v3-platform-cert", test_exe_v3_platform_cert);

  return g_test_run ();
}
