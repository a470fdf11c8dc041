/* test-listener.c: real HTTP POSTs to SaomaNotifyListener, from wxpay-sim and by hand. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "core/saoma-checkout.h"
#include "core/saoma-notify-listener.h"
#include "core/saoma-pin-guard.h"
#include "core/saoma-refunder.h"
#include "core/saoma-wxpay2-gateway.h"
#include "core/saoma-wxpay3-gateway.h"
#include "ledger/saoma-ledger.h"
#include "sim/wxpay-sim-server.h"
#include "wxpay/wxpay.h"
#include "test-util.h"

typedef struct {
  char                *dir;
  char                *ledger_path;
  SaomaLedger         *ledger;
  WxpaySimServer      *sim;
  WxpayClient         *client;
  SaomaClock          *clock;
  SaomaCheckout       *checkout;
  SaomaNotifyListener *listener;
  SoupSession         *session;
  guint                accepted;
  guint                refused;
} Fixture;

static void
handled_cb (SaomaNotifyListener *listener,
            const char          *out_trade_no,
            gboolean             accepted,
            Fixture             *f)
{
  if (accepted)
    f->accepted++;
  else
    f->refused++;
}

static SaomaCheckout *
make_checkout (Fixture *f)
{
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();
  g_autoptr(SaomaWxpay2Gateway) gateway = saoma_wxpay2_gateway_new (f->client);

  g_free (config->notify_url);
  config->notify_url = g_strdup (saoma_notify_listener_get_uri (f->listener));
  return saoma_checkout_new (SAOMA_GATEWAY (gateway), SAOMA_STORE (f->ledger), f->clock, config);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-listener-XXXXXX", &error);
  g_assert_no_error (error);
  f->ledger_path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->ledger_path, NULL, &error);
  g_assert_no_error (error);

  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "time-scale", 0.001, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->client = wxpay_client_new (wxpay_sim_server_get_base_uri (f->sim), WXPAY_SIM_DEFAULT_APPID,
                                WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY);
  f->clock = saoma_clock_new_manual (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC *
                                     G_USEC_PER_SEC);

  /* The listener first: its URI is the engine's notify_url. */
  f->listener = saoma_notify_listener_new (NULL, NULL);
  g_signal_connect (f->listener, "handled", G_CALLBACK (handled_cb), f);
  g_assert_true (saoma_notify_listener_listen (f->listener, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_notify_listener_get_port (f->listener), >, 0);
  g_assert_true (g_str_has_prefix (saoma_notify_listener_get_uri (f->listener),
                                   "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (saoma_notify_listener_get_uri (f->listener),
                                   SAOMA_NOTIFY_LISTENER_DEFAULT_PATH));

  f->checkout = make_checkout (f);
  saoma_notify_listener_set_checkout (f->listener, f->checkout);
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  saoma_notify_listener_shutdown (f->listener);
  g_clear_object (&f->listener);
  g_clear_object (&f->session);
  g_clear_object (&f->checkout);
  g_clear_object (&f->client);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->ledger);
  g_clear_object (&f->clock);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  saoma_test_rm_rf (f->dir);
  g_free (f->ledger_path);
  g_free (f->dir);
}

/* Spins the main loop until @done says so (bounded in real time). */
#define WAIT_UNTIL(cond) SAOMA_TEST_WAIT_UNTIL (cond, 20)

typedef struct {
  gboolean  done;
  guint     status;
  GBytes   *body;
} Post;

static void
post_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Post *post = user_data;
  g_autoptr(GError) error = NULL;

  post->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
  post->status = soup_message_get_status (soup_session_get_async_result_message (
                                            SOUP_SESSION (object), result));
  post->done = TRUE;
}

/* POSTs @body (or sends @method) to the listener; returns the answer's fields (NULL when the
 * answer is not XML) and the HTTP status. */
static WxpayParams *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *body,
         guint      *out_status)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s",
                                          saoma_notify_listener_get_port (f->listener), path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  Post post = { 0 };
  WxpayParams *answer = NULL;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "text/xml", bytes);
    }
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, post_cb, &post);
  WAIT_UNTIL (post.done);

  *out_status = post.status;
  if (g_bytes_get_size (post.body) > 0)
    answer = wxpay_xml_decode (g_bytes_get_data (post.body, NULL), g_bytes_get_size (post.body),
                               NULL);
  g_bytes_unref (post.body);
  return answer;
}

static WxpayParams *
post_notification (Fixture    *f,
                   const char *body,
                   guint      *out_status)
{
  return request (f, "POST", SAOMA_NOTIFY_LISTENER_DEFAULT_PATH, body, out_status);
}

static char *
notification_body (const char *out_trade_no,
                   gint64      total_fee,
                   const char *key,
                   const char *appid)
{
  g_autoptr(WxpayParams) params = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();

  wxpay_params_set (params, "return_code", "SUCCESS");
  wxpay_params_set (params, "appid", appid);
  wxpay_params_set (params, "mch_id", WXPAY_SIM_DEFAULT_MCH_ID);
  wxpay_params_set (params, "nonce_str", nonce);
  wxpay_params_set (params, "result_code", "SUCCESS");
  wxpay_params_set (params, "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
  wxpay_params_set (params, "trade_type", "NATIVE");
  wxpay_params_set (params, "bank_type", "OTHERS");
  wxpay_params_set_int64 (params, "total_fee", total_fee);
  wxpay_params_set_int64 (params, "cash_fee", total_fee);
  wxpay_params_set (params, "fee_type", "CNY");
  wxpay_params_set (params, "transaction_id", "4200000000000000000000000042");
  wxpay_params_set (params, "out_trade_no", out_trade_no);
  wxpay_params_set (params, "time_end", "20261127093000");
  wxpay_params_sign (params, WXPAY_SIGN_TYPE_MD5, key);

  return wxpay_xml_encode_string (params);
}

static void
settle (Fixture *f)
{
  WAIT_UNTIL (saoma_checkout_get_pending_operations (f->checkout) == 0);
}

static char *
charge (Fixture *f,
        gint64   amount)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (saoma_checkout_charge (f->checkout, amount, "Listener test", &error));
  g_assert_no_error (error);
  settle (f);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);
  return g_strdup (saoma_checkout_get_out_trade_no (f->checkout));
}

static void
assert_reply (WxpayParams *answer,
              const char  *return_code)
{
  g_assert_nonnull (answer);
  g_assert_cmpstr (wxpay_params_get (answer, "return_code"), ==, return_code);
  g_assert_nonnull (wxpay_params_get (answer, "return_msg"));
}

/* The sim pays and notifies: the listener answers SUCCESS, the engine confirms by a query and
 * the attempt is PAID without waiting for the next poll (the manual clock never moves). */
static void
test_from_sim (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = charge (f, 1888);
  g_autofree char *json = NULL;

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  WAIT_UNTIL (saoma_checkout_get_state (f->checkout) == SAOMA_CHECKOUT_PAID);
  g_assert_cmpuint (f->accepted, ==, 1);
  g_assert_cmpuint (f->refused, ==, 0);

  /* The sim saw our SUCCESS and stops retrying. */
  WAIT_UNTIL ((g_free (json), json = wxpay_sim_server_dup_orders_json (f->sim),
               strstr (json, "\"acked\":true") != NULL));
}

/* Forged or malformed bodies are refused with FAIL and change nothing. */
static void
test_forged (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *otn = charge (f, 500);
  g_autofree char *wrong_key = notification_body (otn, 500, "00000000000000000000000000000000",
                                                  WXPAY_SIM_DEFAULT_APPID);
  g_autofree char *wrong_appid = notification_body (otn, 500, WXPAY_SIM_DEFAULT_KEY,
                                                    "wx0000000000000000");
  g_autofree char *tampered = notification_body (otn, 500, WXPAY_SIM_DEFAULT_KEY,
                                                 WXPAY_SIM_DEFAULT_APPID);
  g_autoptr(WxpayParams) answer = NULL;
  guint status = 0;
  char *fee;

  /* Change the amount after signing. */
  fee = strstr (tampered, "<total_fee><![CDATA[500]]>");
  g_assert_nonnull (fee);
  memcpy (fee + strlen ("<total_fee><![CDATA["), "900", 3);

  answer = post_notification (f, wrong_key, &status);
  g_assert_cmpuint (status, ==, 200);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, wrong_appid, &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, tampered, &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, "<xml><return_code>SUCCESS", &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, "<!DOCTYPE x [<!ENTITY e \"boom\">]><xml><a>&e;</a></xml>",
                              &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, "", &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  settle (f);
  g_assert_cmpuint (f->refused, ==, 6);
  g_assert_cmpuint (f->accepted, ==, 0);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);
}

/* Genuine signature but not our order, or not our amount: FAIL. */
static void
test_mismatch (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *otn = charge (f, 700);
  g_autofree char *unknown = notification_body ("T01UNKNOWN00000001", 700,
                                                WXPAY_SIM_DEFAULT_KEY, WXPAY_SIM_DEFAULT_APPID);
  g_autofree char *wrong_fee = notification_body (otn, 1, WXPAY_SIM_DEFAULT_KEY,
                                                  WXPAY_SIM_DEFAULT_APPID);
  g_autoptr(WxpayParams) answer = NULL;
  guint status = 0;

  answer = post_notification (f, unknown, &status);
  assert_reply (answer, "FAIL");
  g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, "unknown out_trade_no");
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = post_notification (f, wrong_fee, &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  g_assert_cmpuint (f->refused, ==, 2);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);
}

/* A valid notification is a hint: SUCCESS, but PAID only when the query agrees; duplicates
 * are answered SUCCESS and applied once. */
static void
test_duplicates (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = charge (f, 1234);
  g_autofree char *body = notification_body (otn, 1234, WXPAY_SIM_DEFAULT_KEY,
                                             WXPAY_SIM_DEFAULT_APPID);
  g_autoptr(WxpayParams) answer = NULL;
  guint status = 0;

  /* Before WeChat has the payment: accepted as a hint, not believed. */
  answer = post_notification (f, body, &status);
  assert_reply (answer, "SUCCESS");
  g_clear_pointer (&answer, wxpay_params_unref);
  settle (f);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);

  /* The sim's own notification comes too: one more duplicate. */
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  for (int i = 0; i < 3; i++)
    {
      answer = post_notification (f, body, &status);
      g_assert_cmpuint (status, ==, 200);
      assert_reply (answer, "SUCCESS");
      g_clear_pointer (&answer, wxpay_params_unref);
      settle (f);
      g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_PAID);
    }

  /* A fresh engine does not drive the attempt: the ledger says PAID, so still SUCCESS. */
  g_clear_object (&f->checkout);
  f->checkout = make_checkout (f);
  saoma_notify_listener_set_checkout (f->listener, f->checkout);
  answer = post_notification (f, body, &status);
  assert_reply (answer, "SUCCESS");
}

static void
test_http (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(WxpayParams) answer = NULL;
  guint status = 0;

  answer = request (f, "GET", SAOMA_NOTIFY_LISTENER_DEFAULT_PATH, NULL, &status);
  g_assert_cmpuint (status, ==, 405);
  g_clear_pointer (&answer, wxpay_params_unref);

  answer = request (f, "POST", "/elsewhere", "<xml></xml>", &status);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&answer, wxpay_params_unref);

  /* Over the XML size limit: refused without parsing. */
  {
    gsize size = WXPAY_XML_MAX_SIZE + 16;
    g_autofree char *big = g_malloc (size + 1);

    memset (big, ' ', size);
    big[size] = '\0';
    memcpy (big, "<xml>", 5);
    answer = post_notification (f, big, &status);
    g_assert_cmpuint (status, ==, 413);
  }
  g_assert_cmpuint (f->accepted + f->refused, ==, 0);
}

/* Events of @otn whose kind is @kind and whose detail contains @part. */
static guint
count_events (Fixture    *f,
              const char *otn,
              const char *kind,
              const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = saoma_ledger_list_events_sync (f->ledger, otn, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      const SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->kind, kind) == 0 && strstr (event->detail, part) != NULL)
        n++;
    }
  return n;
}

typedef struct {
  guint done;
  guint success;
} Replays;

static void
replay_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Replays *replays = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                              &error);
  g_autoptr(WxpayParams) answer = NULL;

  g_assert_no_error (error);
  answer = wxpay_xml_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  if (answer != NULL && g_strcmp0 (wxpay_params_get (answer, "return_code"), "SUCCESS") == 0)
    replays->success++;
  replays->done++;
}

/* 11.9: 2,000 replays of one genuine notification, for an order still being watched (each
 * would ask for an orderquery), cost a handful of queries and events; their repeats are
 * recorded once when the window ends; another order's notification is applied at once. */
static void
test_replays (Fixture       *f,
              gconstpointer  data)
{
  const guint n_replays = 2000;
  g_autoptr(GError) error = NULL;
  g_autofree char *otn1 = NULL;
  g_autofree char *otn2 = NULL;
  g_autofree char *body = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *repeated = NULL;
  Replays replays = { 0 };
  guint notified, queried;
  gint64 start;
  double elapsed;

  /* The default window (a minute) is longer than the replays take. */
  g_assert_cmpuint (saoma_notify_listener_get_replay_window (f->listener), ==, 60);

  /* The first order given up by the cashier (CLOSING: still watched, not closed before the
   * close delay), the second one waiting. */
  otn1 = charge (f, 1234);
  saoma_checkout_cancel (f->checkout);
  settle (f);
  otn2 = charge (f, 4321);
  body = notification_body (otn1, 1234, WXPAY_SIM_DEFAULT_KEY, WXPAY_SIM_DEFAULT_APPID);
  uri = g_strdup_printf ("%s", saoma_notify_listener_get_uri (f->listener));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_replays; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
      g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "text/xml", bytes);
      soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, replay_cb,
                                        &replays);
    }
  /* WeChat pays the second order meanwhile; the manual clock never moves, so only its
   * notification can make it PAID. */
  g_assert_true (wxpay_sim_server_pay (f->sim, otn2, &error));
  g_assert_no_error (error);

  WAIT_UNTIL (saoma_checkout_get_state (f->checkout) == SAOMA_CHECKOUT_PAID);
  g_assert_cmpstr (saoma_checkout_get_out_trade_no (f->checkout), ==, otn2);
  WAIT_UNTIL (replays.done == n_replays);
  elapsed = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  settle (f);

  /* Every replay answered SUCCESS (it is genuine), the second order's too. */
  g_assert_cmpuint (replays.success, ==, n_replays);
  g_assert_cmpuint (f->accepted, ==, n_replays + 1);
  g_assert_cmpuint (f->refused, ==, 0);

  notified = count_events (f, otn1, "notification", "payment notification");
  queried = count_events (f, otn1, "response", "orderquery");
  g_test_message ("%u replays: %u notification events, %u orderqueries", n_replays, notified,
                  queried);
  g_print ("# %u replays of one notification answered in %.2f s: %u notification events, "
           "%u orderqueries\n", n_replays, elapsed, notified, queried);
  g_assert_cmpuint (notified, >=, 1);
  g_assert_cmpuint (notified, <=, 3);
  g_assert_cmpuint (queried, <=, 3);

  /* The window is closed (here by a new length): one event says how many were answered from
   * memory. */
  repeated = g_strdup_printf ("notification repeated %u times", n_replays - notified);
  saoma_notify_listener_set_replay_window (f->listener, 1);
  WAIT_UNTIL (count_events (f, otn1, "notification", "repeated") > 0);
  g_assert_cmpuint (count_events (f, otn1, "notification", repeated), ==, 1);

  /* A new window, long enough that a loaded machine answers the four below inside it (a
   * one-second window could run out between them and start yet another): the next ones take
   * the whole path again, up to the burst; the window runs out by itself and records its
   * repeat. */
  saoma_notify_listener_set_replay_window (f->listener, 5);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(WxpayParams) answer = NULL;
      guint status = 0;

      answer = post_notification (f, body, &status);
      assert_reply (answer, "SUCCESS");
      settle (f);
    }
  /* Their events are written by the store's thread: wait for the third, then make sure no
   * fourth follows. */
  WAIT_UNTIL (count_events (f, otn1, "notification", "payment notification") >= notified + 3);
  settle (f);
  g_assert_cmpuint (count_events (f, otn1, "notification", "payment notification"), ==,
                    notified + 3);
  WAIT_UNTIL (count_events (f, otn1, "notification", "notification repeated 1 times") == 1);
  g_assert_cmpuint (count_events (f, otn1, "notification", "repeated"), ==, 2);
}

/* Log lines written while a test runs (the listener's, checkout's and gateway's domains). */
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (captured_log != NULL)
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        {
          g_string_append_len (captured_log, fields[i].value,
                               fields[i].length < 0 ? (gssize)strlen (fields[i].value)
                                                    : fields[i].length);
          g_string_append_c (captured_log, '\x1e'); /* one record separator per line */
        }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* 11.9: an unauthenticated return_msg with a newline cannot forge a log line. */
static void
test_log_injection (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WxpayParams) answer = NULL;
  g_auto(GStrv) records = NULL;
  guint status = 0;
  gboolean seen = FALSE;

  captured_log = g_string_new (NULL);
  answer = post_notification (f, "<xml><return_code>FAIL</return_code><return_msg><![CDATA[x\n"
                                  "saoma-checkout-Message: T01FORGED PAID\t\u202e]]>"
                                  "</return_msg></xml>",
                              &status);
  assert_reply (answer, "FAIL");
  g_clear_pointer (&answer, wxpay_params_unref);

  /* Genuinely signed, but with a number that is not one of ours: refused before it is used. */
  {
    g_autofree char *body = notification_body ("T01\nsaoma-checkout-Message: T01FORGED PAID",
                                               100, WXPAY_SIM_DEFAULT_KEY,
                                               WXPAY_SIM_DEFAULT_APPID);

    answer = post_notification (f, body, &status);
    assert_reply (answer, "FAIL");
    g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, "invalid out_trade_no");
  }

  records = g_strsplit (captured_log->str, "\x1e", -1);
  g_string_free (g_steal_pointer (&captured_log), TRUE);
  for (guint i = 0; records[i] != NULL; i++)
    {
      g_test_message ("logged: %s", records[i]);
      g_assert_null (strchr (records[i], '\n'));
      g_assert_null (strchr (records[i], '\t'));
      g_assert_null (strstr (records[i], "\u202e"));
      if (strstr (records[i], "x\\nsaoma-checkout-Message: T01FORGED PAID\\t\\u{202e}"))
        seen = TRUE;
    }
  g_assert_true (seen);
}

/* --- API v3: the simulator's signed, encrypted callbacks (§4 of wxpay-v3.md) -------------- */

static char *
read_v3_file (const char *dir,
              const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return g_strstrip (contents);
}

/* The same listener and ledger, but the checkout speaks v3 with the keys the simulator wrote. */
static void
fixture_setup_v3 (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v3_dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *pub_id = NULL;
  g_autofree char *apiv3_key = NULL;
  g_autoptr(Wxpay3Signer) signer = NULL;
  g_autoptr(Wxpay3Verifier) verifier = wxpay3_verifier_new ();
  g_autoptr(Wxpay3Client) client = NULL;
  g_autoptr(SaomaWxpay3Gateway) gateway = NULL;
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();

  fixture_setup (f, data);
  v3_dir = g_build_filename (f->dir, "v3", NULL);
  g_assert_cmpint (g_mkdir (v3_dir, 0700), ==, 0);
  g_assert_true (wxpay_sim_server_setup_v3 (f->sim, v3_dir, &error));
  g_assert_no_error (error);

  key = read_v3_file (v3_dir, "apiclient_key.pem");
  serial = read_v3_file (v3_dir, "apiclient_serial.txt");
  pub = read_v3_file (v3_dir, "pub_key.pem");
  pub_id = read_v3_file (v3_dir, "pub_key_id.txt");
  apiv3_key = read_v3_file (v3_dir, "apiv3_key.txt");
  signer = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, serial, key, strlen (key), &error);
  g_assert_no_error (error);
  g_assert_true (wxpay3_verifier_add_public_key (verifier, pub_id, pub, strlen (pub), &error));
  client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), WXPAY_SIM_DEFAULT_APPID,
                              signer, verifier);
  gateway = saoma_wxpay3_gateway_new_full (client, verifier, apiv3_key, strlen (apiv3_key));

  g_clear_object (&f->checkout);
  g_free (config->notify_url);
  config->notify_url = g_strdup (saoma_notify_listener_get_uri (f->listener));
  f->checkout = saoma_checkout_new (SAOMA_GATEWAY (gateway), SAOMA_STORE (f->ledger), f->clock,
                                    config);
  saoma_notify_listener_set_checkout (f->listener, f->checkout);
}

/* The simulator pays a v3 order and sends its encrypted, signed TRANSACTION.SUCCESS: the
 * listener verifies and opens it, the engine confirms by a query (the manual clock never
 * moves, so no poll does it), and the simulator takes the 204 as the acknowledgement. */
static void
test_v3_from_sim (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = charge (f, 2345);
  g_autofree char *json = NULL;

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  WAIT_UNTIL (saoma_checkout_get_state (f->checkout) == SAOMA_CHECKOUT_PAID);
  g_assert_cmpuint (f->accepted, ==, 1);
  g_assert_cmpuint (f->refused, ==, 0);
  WAIT_UNTIL ((g_free (json), json = wxpay_sim_server_dup_orders_json (f->sim),
               strstr (json, "\"acked\":true") != NULL));
}

/* POSTs @body with @headers (name, value pairs, NULL-terminated) to the listener. */
static guint
post_v3 (Fixture     *f,
         const char  *body,
         const char **headers,
         GBytes     **out_body)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s",
                                          saoma_notify_listener_get_port (f->listener),
                                          SAOMA_NOTIFY_LISTENER_DEFAULT_PATH);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  Post post = { 0 };

  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, post_cb, &post);
  WAIT_UNTIL (post.done);
  *out_body = post.body;
  return post.status;
}

/* Callbacks that do not verify are refused with a 4xx and v3's FAIL body (so that WeChat
 * retries) and change nothing; so is the simulator's WECHATPAY/SIGNTEST/ probe. */
static void
test_v3_forged (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *otn = charge (f, 700);
  g_autofree char *ts = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *pub_id = g_strdup (wxpay_sim_server_get_v3_pub_key_id (f->sim));
  const char *body = "{\"id\":\"x\",\"event_type\":\"TRANSACTION.SUCCESS\","
                     "\"resource_type\":\"encrypt-resource\",\"resource\":{\"algorithm\":"
                     "\"AEAD_AES_256_GCM\",\"ciphertext\":\"AAAA\",\"nonce\":\"123456789012\","
                     "\"associated_data\":\"transaction\"}}";
  const char *forged[] = { "Wechatpay-Serial", pub_id, "Wechatpay-Timestamp", ts,
                           "Wechatpay-Nonce", "abc", "Wechatpay-Signature",
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
                           NULL };
  g_autofree char *signtest_uri = NULL;
  g_autoptr(SoupMessage) control = NULL;
  g_autoptr(GBytes) answer = NULL;
  Post probe = { 0 };
  GBytes *reply = NULL;
  guint status;

  /* No Wechatpay-* headers at all. */
  status = post_v3 (f, body, NULL, &reply);
  g_assert_cmpuint (status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                  "\"FAIL\""));
  g_bytes_unref (reply);

  /* A signature that is not WeChat Pay's. */
  status = post_v3 (f, body, forged, &reply);
  g_assert_cmpuint (status, ==, SOUP_STATUS_BAD_REQUEST);
  g_bytes_unref (reply);
  g_assert_cmpuint (f->refused, ==, 2);
  g_assert_cmpuint (f->accepted, ==, 0);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);

  /* The simulator's SIGNTEST probe: the merchant must refuse it with a 4xx. */
  signtest_uri = g_strdup_printf ("%s/sim/v3/signtest?url=%s",
                                  wxpay_sim_server_get_base_uri (f->sim),
                                  saoma_notify_listener_get_uri (f->listener));
  control = soup_message_new ("POST", signtest_uri);
  /* Asynchronous: the simulator and the listener both answer on this thread's main loop. */
  soup_session_send_and_read_async (f->session, control, G_PRIORITY_DEFAULT, NULL, post_cb,
                                    &probe);
  WAIT_UNTIL (probe.done);
  answer = probe.body;
  g_assert_cmpuint (probe.status, ==, SOUP_STATUS_OK);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                  "\"rejected\":true"));
  g_assert_cmpuint (f->refused, ==, 3);
  g_assert_cmpuint (f->accepted, ==, 0);
  g_assert_cmpint (saoma_checkout_get_state (f->checkout), ==, SAOMA_CHECKOUT_WAITING);
}

static void
refund_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
v3_refund_handled_cb (SaomaNotifyListener *listener,
                      const char          *out_refund_no,
                      gboolean             accepted,
                      guint               *handled)
{
  handled[accepted != FALSE]++;
}

static void
v3_refund_updated_cb (SaomaRefunder     *refunder,
                      SaomaLedgerRefund *row,
                      gboolean          *processing)
{
  if (row->state == SAOMA_REFUND_PROCESSING)
    *processing = TRUE;
}

/* A v3 refund whose outcome arrives as the simulator's encrypted REFUND.SUCCESS callback on
 * the refund path: the refunder confirms it by a query although neither its clock nor its
 * polling moves. */
static void
test_v3_refund (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = charge (f, 900);
  g_autoptr(SaomaRefunder) refunder = NULL;
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  GAsyncResult *result = NULL;
  guint handled[2] = { 0, 0 };
  gboolean processing = FALSE;

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (saoma_checkout_get_state (f->checkout) == SAOMA_CHECKOUT_PAID);

  refunder = saoma_refunder_new (saoma_checkout_get_gateway (f->checkout),
                                 SAOMA_STORE (f->ledger), f->clock, "T01");
  guard = saoma_pin_guard_new (f->clock, SAOMA_STORE (f->ledger));
  g_assert_true (saoma_pin_guard_set_sync (guard, NULL, "739150", &error));
  g_assert_no_error (error);
  saoma_refunder_set_pin_guard (refunder, guard);
  saoma_refunder_set_notify_url (refunder, saoma_notify_listener_get_refund_uri (f->listener));
  saoma_refunder_set_query_interval (refunder, 3600 * 1000);
  saoma_notify_listener_set_refunder (f->listener, refunder);
  g_signal_connect (f->listener, "refund-handled", G_CALLBACK (v3_refund_handled_cb), handled);
  g_signal_connect (refunder, "refund-updated", G_CALLBACK (v3_refund_updated_cb), &processing);

  saoma_refunder_refund_async (refunder, otn, 900, "v3 退款", "739150", NULL, refund_done_cb,
                               &result);
  /* Accepted (PROCESSING) and recorded so by the refunder; then finished at the simulator,
   * which sends the callback. (A hint that lands while the refund request is still in flight
   * is absorbed by the refunder, which then waits for its own next query.) */
  WAIT_UNTIL (processing);
  g_assert_null (result);
  wxpay_sim_server_advance_clock (f->sim, 10);
  WAIT_UNTIL (result != NULL);
  row = saoma_refunder_refund_finish (refunder, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpint (row->state, ==, SAOMA_REFUND_SUCCESS);
  g_assert_cmpuint (handled[TRUE], >=, 1);
  g_assert_cmpuint (handled[FALSE], ==, 0);

  saoma_notify_listener_set_refunder (f->listener, NULL);
  saoma_test_clear_pin ();
}

int
main (int   argc,
      char *argv[])
{
  char *keyring_dir;
  int   status;

  saoma_test_init (&argc, &argv);
  /* The v3 refund test sets a manager PIN: in a keyring of its own, never the developer's. */
  keyring_dir = saoma_test_use_file_keyring ();
  /* Before anything logs: the log-injection test reads what is written. */
  g_log_set_writer_func (capture_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/listener/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("from-sim", test_from_sim);
  ADD ("forged", test_forged);
  ADD ("mismatch", test_mismatch);
  ADD ("duplicates", test_duplicates);
  ADD ("http", test_http);
  ADD ("replays", test_replays);
  ADD ("log-injection", test_log_injection);

#undef ADD

  g_test_add ("/listener/v3/from-sim", Fixture, NULL, fixture_setup_v3, test_v3_from_sim,
              fixture_teardown);
  g_test_add ("/listener/v3/forged", Fixture, NULL, fixture_setup_v3, test_v3_forged,
              fixture_teardown);
  g_test_add ("/listener/v3/refund", Fixture, NULL, fixture_setup_v3, test_v3_refund,
              fixture_teardown);

  status = g_test_run ();
  saoma_test_rm_rf (keyring_dir);
  g_free (keyring_dir);
  return status;
}
