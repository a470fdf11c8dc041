/* sim-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sim-test-util.h"

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
sim_test_wait_flag (gboolean *flag,
                    guint     timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, timeout_cb, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);

  return *flag;
}

void
sim_test_spin (guint ms)
{
  gboolean never = FALSE;

  sim_test_wait_flag (&never, ms);
}

WxpaySimServer *
sim_test_server_new (guint64 seed,
                     double  time_scale)
{
  g_autoptr(GError) error = NULL;
  WxpaySimServer *sim;

  sim = g_object_new (WXPAY_TYPE_SIM_SERVER,
                      "seed", seed,
                      "time-scale", time_scale,
                      NULL);
  g_assert_true (wxpay_sim_server_listen (sim, "127.0.0.1", 0, &error));
  g_assert_no_error (error);

  return sim;
}

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
  gpointer  result;
} Wait;

static void
http_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

GBytes *
sim_test_http (SoupSession *session,
               const char  *method,
               const char  *uri,
               const char  *body,
               gssize       length,
               guint       *out_status,
               GError     **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  Wait wait = { 0 };

  g_assert_nonnull (msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize)length);

      /* No Content-Type on purpose: the gateway must not insist on one (§1). */
      soup_message_set_request_body_from_bytes (msg, NULL, bytes);
    }

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, http_done_cb, &wait);
  g_assert_true (sim_test_wait_flag (&wait.done, 20000));

  if (out_status != NULL)
    *out_status = soup_message_get_status (msg);
  if (wait.error != NULL)
    {
      g_propagate_error (error, wait.error);
      return NULL;
    }
  return wait.body;
}

WxpayParams *
sim_test_raw_call (SoupSession       *session,
                   const char        *base,
                   const char        *path,
                   const WxpayParams *business,
                   WxpaySignType      sign_type,
                   const char        *key,
                   GError           **error)
{
  g_autoptr(WxpayParams) req = business ? wxpay_params_copy (business) : wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autofree char *uri = g_strconcat (base, path, NULL);
  g_autofree char *xml = NULL;
  g_autoptr(GBytes) answer = NULL;
  guint status = 0;

  if (!wxpay_params_contains (req, "appid"))
    wxpay_params_set (req, "appid", SIM_APPID);
  if (!wxpay_params_contains (req, "mch_id"))
    wxpay_params_set (req, "mch_id", SIM_MCH_ID);
  wxpay_params_set (req, "nonce_str", nonce);
  wxpay_params_sign (req, sign_type, key);
  xml = wxpay_xml_encode_string (req);

  answer = sim_test_http (session, "POST", uri, xml, -1, &status, error);
  if (answer == NULL)
    return NULL;
  g_assert_cmpuint (status, ==, 200);

  return wxpay_xml_decode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), error);
}

WxpayClient *
sim_test_client_new (const char *base)
{
  return wxpay_client_new (base, SIM_APPID, SIM_MCH_ID, SIM_KEY);
}

static void
client_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = wxpay_client_call_finish (WXPAY_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

WxpayParams *
sim_test_client_call (WxpayClient       *client,
                      const char        *path,
                      const WxpayParams *request,
                      GError           **error)
{
  Wait wait = { 0 };

  wxpay_client_call_async (client, path, request, NULL, client_done_cb, &wait);
  g_assert_true (sim_test_wait_flag (&wait.done, 20000));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);

  return wait.result;
}

static void
bill_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = wxpay_client_downloadbill_finish (WXPAY_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

GBytes *
sim_test_client_bill (WxpayClient *client,
                      const char  *bill_date,
                      const char  *bill_type,
                      gboolean     gzip,
                      GError     **error)
{
  Wait wait = { 0 };

  wxpay_client_downloadbill_async (client, bill_date, bill_type, gzip, NULL, bill_done_cb, &wait);
  g_assert_true (sim_test_wait_flag (&wait.done, 20000));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);

  return wait.result;
}

WxpayParams *
sim_test_native_order (const char *out_trade_no,
                       gint64      total_fee,
                       const char *notify_url,
                       gint64      now_us)
{
  WxpayParams *params = wxpay_params_new ();
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (now_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) later = g_date_time_add_minutes (now, 10);
  g_autofree char *start = wxpay_time_format (now);
  g_autofree char *expire = wxpay_time_format (later);

  wxpay_params_set (params, "body", "收银台-测试商品");
  wxpay_params_set (params, "out_trade_no", out_trade_no);
  wxpay_params_set_int64 (params, "total_fee", total_fee);
  wxpay_params_set (params, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (params, "notify_url",
                    notify_url != NULL ? notify_url : "http://127.0.0.1:9/wxpay/notify");
  wxpay_params_set (params, "trade_type", "NATIVE");
  wxpay_params_set (params, "product_id", "SKU001");
  wxpay_params_set (params, "time_start", start);
  wxpay_params_set (params, "time_expire", expire);

  return params;
}

char *
sim_test_bill_date (gint64 now_us)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (now_us / G_USEC_PER_SEC);
  g_autofree char *compact = wxpay_time_format (now);

  return g_strndup (compact, 8);
}

char *
sim_test_unique_no (const char *prefix)
{
  static guint counter;

  return g_strdup_printf ("%s%08u%04u", prefix, g_random_int_range (0, 100000000), ++counter);
}

static gboolean
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error))
    {
      g_test_message ("cannot run %s: %s", argv[0], error->message);
      return FALSE;
    }
  return g_spawn_check_wait_status (status, NULL);
}

static gboolean
write_template (const char *dir,
                const char *name,
                const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_set_contents (path, text, -1, NULL);
}

gboolean
sim_test_make_certs (const char *dir)
{
  g_autofree char *certtool = g_find_program_in_path ("certtool");
  g_autofree char *ca_key = g_build_filename (dir, "ca.key", NULL);
  g_autofree char *ca_pem = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *ca_tmpl = g_build_filename (dir, "ca.tmpl", NULL);
  g_autofree char *server_key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *server_pem = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *server_tmpl = g_build_filename (dir, "server.tmpl", NULL);
  g_autofree char *client_key = g_build_filename (dir, "client.key", NULL);
  g_autofree char *client_pem = g_build_filename (dir, "client.pem", NULL);
  g_autofree char *client_tmpl = g_build_filename (dir, "client.tmpl", NULL);
  g_autofree char *rogue_key = g_build_filename (dir, "rogue.key", NULL);
  g_autofree char *rogue_pem = g_build_filename (dir, "rogue.pem", NULL);

  if (certtool == NULL)
    return FALSE;

  if (!write_template (dir, "ca.tmpl",
                       "cn = \"wxpay-sim test CA\"\nca\ncert_signing_key\nexpiration_days = 2\n") ||
      !write_template (dir, "server.tmpl",
                       "cn = \"127.0.0.1\"\nip_address = \"127.0.0.1\"\ndns_name = \"localhost\"\n"
                       "tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n") ||
      !write_template (dir, "client.tmpl",
                       "cn = \"10000100\"\nou = \"wxpay-sim test merchant\"\ntls_www_client\n"
                       "signing_key\nexpiration_days = 2\n"))
    return FALSE;

  {
    const char *steps[][16] = {
      { certtool, "--generate-privkey", "--key-type=ecdsa", "--outfile", ca_key, NULL },
      { certtool, "--generate-self-signed", "--load-privkey", ca_key, "--template", ca_tmpl,
        "--outfile", ca_pem, NULL },
      { certtool, "--generate-privkey", "--key-type=ecdsa", "--outfile", server_key, NULL },
      { certtool, "--generate-certificate", "--load-privkey", server_key, "--load-ca-certificate",
        ca_pem, "--load-ca-privkey", ca_key, "--template", server_tmpl, "--outfile", server_pem, NULL },
      { certtool, "--generate-privkey", "--key-type=ecdsa", "--outfile", client_key, NULL },
      { certtool, "--generate-certificate", "--load-privkey", client_key, "--load-ca-certificate",
        ca_pem, "--load-ca-privkey", ca_key, "--template", client_tmpl, "--outfile", client_pem, NULL },
      { certtool, "--generate-privkey", "--key-type=ecdsa", "--outfile", rogue_key, NULL },
      { certtool, "--generate-self-signed", "--load-privkey", rogue_key, "--template", client_tmpl,
        "--outfile", rogue_pem, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      if (!run (steps[i]))
        return FALSE;
  }

  return TRUE;
}
