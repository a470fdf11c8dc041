/* test-sim-notify.c: payment and refund notifications of an in-process WxpaySimServer, received
 * by a real SoupServer acting as the merchant's notify_url.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sim-test-util.h"

typedef enum {
  REPLY_SUCCESS,
  REPLY_HTTP_500,
  REPLY_FAIL,
  REPLY_GARBAGE,
} Reply;

typedef struct {
  SoupServer *server;
  char       *url;
  GPtrArray  *bodies;      /* char *, every POST received */
  GArray     *times;       /* gint64 monotonic µs of each */
  Reply       replies[32]; /* per delivery; beyond: REPLY_SUCCESS */
} Merchant;

static void
merchant_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  Merchant *m = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gint64 now = g_get_monotonic_time ();
  guint index = m->bodies->len;
  Reply reply = index < G_N_ELEMENTS (m->replies) ? m->replies[index] : REPLY_SUCCESS;
  g_autoptr(GBytes) answer = NULL;

  g_ptr_array_add (m->bodies, g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)));
  g_array_append_val (m->times, now);

  switch (reply)
    {
    case REPLY_HTTP_500:
      soup_server_message_set_status (msg, 500, NULL);
      return;
    case REPLY_FAIL:
      answer = wxpay_notify_reply (FALSE, "busy");
      break;
    case REPLY_GARBAGE:
      answer = g_bytes_new_static ("OK", 2);
      break;
    case REPLY_SUCCESS:
    default:
      answer = wxpay_notify_reply (TRUE, "OK");
      break;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static Merchant *
merchant_new (void)
{
  Merchant *m = g_new0 (Merchant, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  m->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (m->server, "/notify", merchant_cb, m, NULL);
  g_assert_true (soup_server_listen_local (m->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (m->server);
  m->url = g_strdup_printf ("http://127.0.0.1:%d/notify", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  m->bodies = g_ptr_array_new_with_free_func (g_free);
  m->times = g_array_new (FALSE, FALSE, sizeof (gint64));

  return m;
}

static void
merchant_free (Merchant *m)
{
  soup_server_disconnect (m->server);
  g_object_unref (m->server);
  g_free (m->url);
  g_ptr_array_unref (m->bodies);
  g_array_unref (m->times);
  g_free (m);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Merchant, merchant_free)

static void
wait_deliveries (Merchant *m,
                 guint     n,
                 guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (m->bodies->len < n && g_get_monotonic_time () < deadline)
    sim_test_spin (5);
  g_assert_cmpuint (m->bodies->len, >=, n);
}

static char *
create_and_pay (WxpaySimServer *sim,
                WxpaySignType   sign_type,
                const char     *notify_url,
                gint64          total_fee)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *no = sim_test_unique_no ("N");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, total_fee, notify_url,
                                                      wxpay_sim_server_get_now (sim));
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* A fast clock would expire a 10-minute order in a blink: no time_expire here. */
  wxpay_params_remove (req, "time_start");
  wxpay_params_remove (req, "time_expire");
  answer = sim_test_raw_call (session, wxpay_sim_server_get_base_uri (sim), "/pay/unifiedorder",
                              req, sign_type, SIM_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "SUCCESS");
  g_assert_true (wxpay_sim_server_pay (sim, no, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&no);
}

static WxpayParams *
parse_payment (const char *body)
{
  g_autoptr(GError) error = NULL;
  WxpayParams *params;

  params = wxpay_notify_parse_payment (body, strlen (body), SIM_APPID, SIM_MCH_ID, SIM_KEY, &error);
  g_assert_no_error (error);
  return params;
}

static void
test_notify_retries (void)
{
  /* 15 s, 15 s, 30 s between deliveries become 75, 75, 150 ms at ×200. */
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (1, 200.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autofree char *no = NULL;
  g_autofree char *json = NULL;
  guint gaps[] = { 15, 15, 30 };

  m->replies[0] = REPLY_HTTP_500;
  m->replies[1] = REPLY_FAIL;
  m->replies[2] = REPLY_GARBAGE;
  no = create_and_pay (sim, WXPAY_SIGN_TYPE_MD5, m->url, 321);

  wait_deliveries (m, 4, 5000);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(WxpayParams) n = parse_payment (g_ptr_array_index (m->bodies, i));

      g_assert_cmpstr (wxpay_params_get (n, "out_trade_no"), ==, no);
      g_assert_cmpstr (wxpay_params_get (n, "total_fee"), ==, "321");
      g_assert_cmpstr (wxpay_params_get (n, "result_code"), ==, "SUCCESS");
      g_assert_cmpuint (strlen (wxpay_params_get (n, "sign")), ==, 32);
      g_assert_cmpuint (strlen (wxpay_params_get (n, "transaction_id")), ==, 28);
      g_assert_cmpuint (strlen (wxpay_params_get (n, "time_end")), ==, 14);
      g_assert_cmpstr (wxpay_params_get (n, "trade_type"), ==, "NATIVE");
      if (i > 0)
        {
          gint64 gap = g_array_index (m->times, gint64, i) - g_array_index (m->times, gint64, i - 1);

          /* Never earlier than the schedule says (scaled). */
          g_assert_cmpint (gap, >=, (gint64)gaps[i - 1] * G_USEC_PER_SEC / 200 - 2000);
        }
    }

  /* Acknowledged: the next slot (3 min → 900 ms) passes without another delivery. */
  sim_test_spin (1200);
  g_assert_cmpuint (m->bodies->len, ==, 4);
  json = wxpay_sim_server_dup_orders_json (sim);
  g_assert_nonnull (strstr (json, "\"notifications\":{\"attempts\":4,\"acked\":true}"));
  wxpay_sim_server_shutdown (sim);
}

static void
test_notify_gives_up (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (1, 1.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autofree char *no = NULL;
  g_autofree char *json = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (m->replies); i++)
    m->replies[i] = REPLY_FAIL;
  no = create_and_pay (sim, WXPAY_SIGN_TYPE_MD5, m->url, 1);

  /* 1 delivery + 15 retries (24 h 4 min), driven by the clock instead of waiting. */
  for (guint i = 1; i <= 16; i++)
    {
      wait_deliveries (m, i, 5000);
      sim_test_spin (20);
      g_assert_cmpuint (m->bodies->len, ==, i);
      wxpay_sim_server_advance_clock (sim, 6 * 3600);
    }
  sim_test_spin (200);
  wxpay_sim_server_advance_clock (sim, 24 * 3600);
  sim_test_spin (200);
  g_assert_cmpuint (m->bodies->len, ==, 16);
  json = wxpay_sim_server_dup_orders_json (sim);
  g_assert_nonnull (strstr (json, "\"notifications\":{\"attempts\":16,\"acked\":false}"));
  wxpay_sim_server_shutdown (sim);
}

static void
test_notify_hmac (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (1, 1.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autofree char *no = create_and_pay (sim, WXPAY_SIGN_TYPE_HMAC_SHA256, m->url, 88);
  g_autoptr(WxpayParams) raw = NULL;
  g_autoptr(WxpayParams) n = NULL;
  const char *body;

  wait_deliveries (m, 1, 5000);
  body = g_ptr_array_index (m->bodies, 0);
  raw = wxpay_xml_decode (body, strlen (body), NULL);
  g_assert_nonnull (raw);
  /* §9: HMAC-signed, and no sign_type element. */
  g_assert_false (wxpay_params_contains (raw, "sign_type"));
  g_assert_cmpuint (strlen (wxpay_params_get (raw, "sign")), ==, 64);
  g_assert_true (wxpay_verify (raw, WXPAY_SIGN_TYPE_HMAC_SHA256, SIM_KEY));
  n = parse_payment (body);
  g_assert_cmpstr (wxpay_params_get (n, "out_trade_no"), ==, no);
  g_assert_cmpstr (wxpay_params_get (n, "total_fee"), ==, "88");
  wxpay_sim_server_shutdown (sim);
}

static void
test_notify_duplicates (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (3, 1.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *no = NULL;

  g_assert_true (wxpay_sim_server_set_faults (sim, "{\"dup_notify\":1}", &error));
  no = create_and_pay (sim, WXPAY_SIGN_TYPE_MD5, m->url, 5);
  wait_deliveries (m, 2, 5000);
  sim_test_spin (100);
  g_assert_cmpuint (m->bodies->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (m->bodies, 0), ==, g_ptr_array_index (m->bodies, 1));
  {
    g_autoptr(WxpayParams) n = parse_payment (g_ptr_array_index (m->bodies, 1));

    g_assert_cmpstr (wxpay_params_get (n, "out_trade_no"), ==, no);
  }
  wxpay_sim_server_shutdown (sim);
}

static void
test_notify_wrong_amount (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (3, 1.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *no = NULL;
  guint right = 0;
  guint wrong = 0;

  g_assert_true (wxpay_sim_server_set_faults (sim, "{\"wrong_amount_notify\":1,\"path\":\"/pay/orderquery\"}",
                                              &error));
  no = create_and_pay (sim, WXPAY_SIGN_TYPE_MD5, m->url, 1000);
  wait_deliveries (m, 2, 5000);
  sim_test_spin (100);
  g_assert_cmpuint (m->bodies->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      /* Correctly signed either way: only the amount check catches the forgery. */
      g_autoptr(WxpayParams) n = parse_payment (g_ptr_array_index (m->bodies, i));

      g_assert_cmpstr (wxpay_params_get (n, "out_trade_no"), ==, no);
      if (g_strcmp0 (wxpay_params_get (n, "total_fee"), "1000") == 0)
        right++;
      else if (g_strcmp0 (wxpay_params_get (n, "total_fee"), "1001") == 0)
        wrong++;
    }
  g_assert_cmpuint (right, ==, 1);
  g_assert_cmpuint (wrong, ==, 1);
  wxpay_sim_server_shutdown (sim);
}

static void
test_notify_refund (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (1, 1.0);
  g_autoptr(Merchant) m = merchant_new ();
  g_autoptr(Merchant) refunds = merchant_new ();
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *no = create_and_pay (sim, WXPAY_SIGN_TYPE_MD5, m->url, 600);
  g_autoptr(WxpayParams) req = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(WxpayParams) root = NULL;
  g_autoptr(WxpayParams) outer = NULL;
  g_autoptr(GError) error = NULL;
  const char *body;

  wxpay_params_set (req, "out_trade_no", no);
  wxpay_params_set (req, "out_refund_no", "RN00000001");
  wxpay_params_set (req, "total_fee", "600");
  wxpay_params_set (req, "refund_fee", "250");
  wxpay_params_set (req, "notify_url", refunds->url);
  answer = sim_test_raw_call (session, wxpay_sim_server_get_base_uri (sim), "/secapi/pay/refund",
                              req, WXPAY_SIGN_TYPE_MD5, SIM_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "SUCCESS");

  /* Still PROCESSING: nothing yet. */
  sim_test_spin (100);
  g_assert_cmpuint (refunds->bodies->len, ==, 0);

  wxpay_sim_server_advance_clock (sim, 6);
  wait_deliveries (refunds, 1, 5000);
  body = g_ptr_array_index (refunds->bodies, 0);

  outer = wxpay_xml_decode (body, strlen (body), &error);
  g_assert_no_error (error);
  g_assert_false (wxpay_params_contains (outer, "sign"));
  g_assert_cmpstr (wxpay_params_get (outer, "appid"), ==, SIM_APPID);
  g_assert_nonnull (wxpay_params_get (outer, "req_info"));

  root = wxpay_notify_parse_refund (body, strlen (body), SIM_APPID, SIM_MCH_ID, SIM_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (root, "out_trade_no"), ==, no);
  g_assert_cmpstr (wxpay_params_get (root, "out_refund_no"), ==, "RN00000001");
  g_assert_cmpstr (wxpay_params_get (root, "refund_id"), ==, wxpay_params_get (answer, "refund_id"));
  g_assert_cmpstr (wxpay_params_get (root, "refund_fee"), ==, "250");
  g_assert_cmpstr (wxpay_params_get (root, "total_fee"), ==, "600");
  g_assert_cmpstr (wxpay_params_get (root, "refund_status"), ==, "SUCCESS");
  g_assert_cmpuint (strlen (wxpay_params_get (root, "success_time")), ==, 19);
  g_assert_cmpstr (wxpay_params_get (root, "refund_request_source"), ==, "API");

  /* The wrong key cannot read it. */
  {
    g_autoptr(WxpayParams) none = wxpay_notify_parse_refund (body, strlen (body), SIM_APPID, SIM_MCH_ID,
                                                             "ffffffffffffffffffffffffffffffff", &error);

    g_assert_null (none);
    g_assert_nonnull (error);
  }
  wxpay_sim_server_shutdown (sim);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/notify/retries", test_notify_retries);
  g_test_add_func ("/sim/notify/gives-up", test_notify_gives_up);
  g_test_add_func ("/sim/notify/hmac", test_notify_hmac);
  g_test_add_func ("/sim/notify/duplicates", test_notify_duplicates);
  g_test_add_func ("/sim/notify/wrong-amount", test_notify_wrong_amount);
  g_test_add_func ("/sim/notify/refund", test_notify_refund);

  return g_test_run ();
}
