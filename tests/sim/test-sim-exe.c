/* test-sim-exe.c: the wxpay-sim executable, spawned for real: options, the URL line, the
 * control API over HTTP, faults with a seed, the state file across a restart, HTTPS with client
 * certificates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

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
    "/sim/clock/advance", "system error",
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

  return g_test_run ();
}
