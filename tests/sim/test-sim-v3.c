/* test-sim-v3.c: wxpay-sim's API v3 beside v2 — keys on disk, Authorization checked, answers
 * signed, Native create / query / close, refunds, callbacks, SIGNTEST, faults — talked to with
 * libwxpay's v3 primitives over real HTTP on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "sim-test-util.h"

typedef struct
{
  WxpaySimServer *sim;
  SoupSession    *session;
  char           *dir;
  Wxpay3Signer   *signer;
  Wxpay3Verifier *verifier;
  char           *pub_key_id;
  char           *apiv3_key;
  const char     *base;
} Fixture;

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return g_strstrip (contents);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pub = NULL;

  f->dir = g_dir_make_tmp ("saoma-sim-v3-XXXXXX", &error);
  g_assert_no_error (error);
  f->sim = sim_test_server_new (3, 1.0);
  g_assert_true (wxpay_sim_server_setup_v3 (f->sim, f->dir, &error));
  g_assert_no_error (error);
  f->base = wxpay_sim_server_get_base_uri (f->sim);
  f->session = soup_session_new ();

  /* What a merchant configures: the five files. */
  key = read_text (f->dir, "apiclient_key.pem");
  serial = read_text (f->dir, "apiclient_serial.txt");
  pub = read_text (f->dir, "pub_key.pem");
  f->pub_key_id = read_text (f->dir, "pub_key_id.txt");
  f->apiv3_key = read_text (f->dir, "apiv3_key.txt");
  f->signer = wxpay3_signer_new (SIM_MCH_ID, serial, key, strlen (key), &error);
  g_assert_no_error (error);
  f->verifier = wxpay3_verifier_new ();
  g_assert_true (wxpay3_verifier_add_public_key (f->verifier, f->pub_key_id, pub, strlen (pub),
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_sim_server_get_v3_pub_key_id (f->sim), ==, f->pub_key_id);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  const char *names[] = { "apiclient_key.pem", "apiclient_serial.txt", "pub_key.pem",
                          "pub_key_id.txt", "apiv3_key.txt", "sim_private_key.pem",
                          "sim_pub_key_id.txt" };

  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->session);
  g_clear_pointer (&f->signer, wxpay3_signer_unref);
  g_clear_pointer (&f->verifier, wxpay3_verifier_unref);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->pub_key_id);
  g_free (f->apiv3_key);
}

/* One answer as received. */
typedef struct
{
  guint   status;
  GBytes *body;
  char   *timestamp;
  char   *nonce;
  char   *serial;
  char   *signature;
  char   *request_id;
  GError *error;
} Answer;

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->body, g_bytes_unref);
  g_clear_pointer (&a->timestamp, g_free);
  g_clear_pointer (&a->nonce, g_free);
  g_clear_pointer (&a->serial, g_free);
  g_clear_pointer (&a->signature, g_free);
  g_clear_pointer (&a->request_id, g_free);
  g_clear_error (&a->error);
}

typedef struct
{
  gboolean done;
  GBytes  *body;
  GError  *error;
} Wait;

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* Sends @msg through the default main context (the simulator runs in it too). */
static GBytes *
send_msg (Fixture     *f,
          SoupMessage *msg)
{
  Wait wait = { 0 };

  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, send_done_cb,
                                    &wait);
  g_assert_true (sim_test_wait_flag (&wait.done, 20000));
  g_assert_no_error (wait.error);

  return wait.body;
}

/* Sends @method @url_path with @body; @authorization NULL signs it with @signer at @timestamp
 * (0: now), else uses it as is ("" sends none). */
static void
call_full (Fixture      *f,
           const char   *method,
           const char   *url_path,
           const char   *body,
           const char   *signed_body,
           Wxpay3Signer *signer,
           gint64        timestamp,
           Answer       *out)
{
  g_autofree char *uri = g_strconcat (f->base, url_path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autofree char    *nonce = wxpay_nonce_new ();
  g_autofree char    *authorization = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  SoupMessageHeaders *answer_headers;
  Wait                wait = { 0 };

  memset (out, 0, sizeof *out);
  if (timestamp == 0)
    timestamp = g_get_real_time () / G_USEC_PER_SEC;
  if (signed_body == NULL)
    signed_body = body;
  authorization = wxpay3_signer_authorization (signer, method, url_path, signed_body,
                                               signed_body != NULL ? strlen (signed_body) : 0,
                                               timestamp, nonce, NULL);
  g_assert_nonnull (authorization);
  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, send_done_cb,
                                    &wait);
  g_assert_true (sim_test_wait_flag (&wait.done, 20000));

  out->status = soup_message_get_status (msg);
  out->body = wait.body;
  out->error = wait.error;
  answer_headers = soup_message_get_response_headers (msg);
  out->timestamp = g_strdup (soup_message_headers_get_one (answer_headers, "Wechatpay-Timestamp"));
  out->nonce = g_strdup (soup_message_headers_get_one (answer_headers, "Wechatpay-Nonce"));
  out->serial = g_strdup (soup_message_headers_get_one (answer_headers, "Wechatpay-Serial"));
  out->signature = g_strdup (soup_message_headers_get_one (answer_headers, "Wechatpay-Signature"));
  out->request_id = g_strdup (soup_message_headers_get_one (answer_headers, "Request-ID"));
}

static void
call (Fixture    *f,
      const char *method,
      const char *url_path,
      const char *body,
      Answer     *out)
{
  call_full (f, method, url_path, body, NULL, f->signer, 0, out);
}

/* Every answer, errors too, is signed over its raw bytes by the simulator's public key. */
static void
assert_signed (Fixture *f,
               Answer  *a)
{
  g_autoptr(GError) error = NULL;
  gsize       len = 0;
  const char *data = a->body != NULL ? g_bytes_get_data (a->body, &len) : NULL;

  g_assert_no_error (a->error);
  g_assert_nonnull (a->request_id);
  g_assert_cmpstr (a->serial, ==, f->pub_key_id);
  g_assert_true (wxpay3_verifier_verify (f->verifier, a->serial, a->signature, a->timestamp,
                                         a->nonce, data, len, g_get_real_time () / G_USEC_PER_SEC,
                                         &error));
  g_assert_no_error (error);
}

static JsonObject *
answer_json (Answer     *a,
             JsonParser *parser)
{
  gsize       len = 0;
  const char *data;

  g_assert_nonnull (a->body);
  data = g_bytes_get_data (a->body, &len);
  g_assert_true (json_parser_load_from_data (parser, data, (gssize)len, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_node_get_object (json_parser_get_root (parser));
}

static void
assert_error (Fixture    *f,
              Answer     *a,
              guint       status,
              const char *code)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  assert_signed (f, a);
  g_assert_cmpuint (a->status, ==, status);
  object = answer_json (a, parser);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (object, "message"));
}

static char *
native_body (const char *out_trade_no,
             gint64      total,
             const char *notify_url)
{
  return g_strdup_printf ("{\"appid\":\"%s\",\"mchid\":\"%s\",\"description\":\"Saoma 测试\","
                          "\"out_trade_no\":\"%s\",\"notify_url\":\"%s\","
                          "\"amount\":{\"total\":%" G_GINT64_FORMAT ",\"currency\":\"CNY\"}}",
                          SIM_APPID, SIM_MCH_ID, out_trade_no,
                          notify_url != NULL ? notify_url : "https://example.com/notify", total);
}

static char *
create_order (Fixture    *f,
              const char *out_trade_no,
              gint64      total,
              const char *notify_url)
{
  g_autofree char *body = native_body (out_trade_no, total, notify_url);
  g_autoptr(JsonParser) parser = json_parser_new ();
  Answer a;
  char  *code_url;

  call (f, "POST", "/v3/pay/transactions/native", body, &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 200);
  code_url = g_strdup (json_object_get_string_member (answer_json (&a, parser), "code_url"));
  g_assert_true (g_str_has_prefix (code_url, "weixin://wxpay/bizpayurl?pr="));
  answer_clear (&a);

  return code_url;
}

static void
query_state (Fixture    *f,
             const char *url_path,
             const char *expected_state,
             gint64      expected_total,
             char      **out_transaction_id)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  Answer      a;

  call (f, "GET", url_path, NULL, &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 200);
  object = answer_json (&a, parser);
  g_assert_cmpstr (json_object_get_string_member (object, "trade_state"), ==, expected_state);
  g_assert_cmpstr (json_object_get_string_member (object, "mchid"), ==, SIM_MCH_ID);
  g_assert_cmpstr (json_object_get_string_member (object, "appid"), ==, SIM_APPID);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object, "amount"),
                                               "total"),
                   ==, expected_total);
  if (out_transaction_id != NULL)
    *out_transaction_id = g_strdup (json_object_get_string_member_with_default (
      object, "transaction_id", NULL));
  answer_clear (&a);
}

/* Keys ----------------------------------------------------------------------------------------- */

static void
test_v3_dir (Fixture      *f,
             gconstpointer data)
{
  const char *names[] = { "apiclient_key.pem", "apiclient_serial.txt", "pub_key.pem",
                          "pub_key_id.txt", "apiv3_key.txt", "sim_private_key.pem",
                          "sim_pub_key_id.txt" };
  g_autoptr(WxpaySimServer) again = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (f->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names[i], NULL);

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    }
  g_assert_true (g_str_has_prefix (f->pub_key_id, "PUB_KEY_ID_"));
  g_assert_cmpuint (strlen (f->apiv3_key), ==, 32);

  /* A second simulator on the same directory loads the same keys: our signer still works. */
  again = sim_test_server_new (4, 1.0);
  g_assert_true (wxpay_sim_server_setup_v3 (again, f->dir, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_sim_server_get_v3_pub_key_id (again), ==, f->pub_key_id);
  {
    WxpaySimServer *first = f->sim;
    Answer          a;

    f->sim = again;
    f->base = wxpay_sim_server_get_base_uri (again);
    call (f, "GET", "/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=" SIM_MCH_ID, NULL,
          &a);
    assert_error (f, &a, 404, "ORDER_NOT_EXIST");
    answer_clear (&a);
    f->sim = first;
    f->base = wxpay_sim_server_get_base_uri (first);
    wxpay_sim_server_shutdown (again);
  }
}

/* Native --------------------------------------------------------------------------------------- */

static void
test_native_life (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3L");
  g_autofree char *code_url = create_order (f, otn, 3850, NULL);
  g_autofree char *again = create_order (f, otn, 3850, NULL);
  g_autofree char *by_otn = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                                             otn, SIM_MCH_ID);
  g_autofree char *close_path = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s/close",
                                                 otn);
  g_autofree char *by_id = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *other = native_body (otn, 3851, NULL);
  g_autoptr(GError) error = NULL;
  Answer a;

  /* The retry with the same body is the same order; another body reusing the number is not. */
  g_assert_cmpstr (code_url, ==, again);
  call (f, "POST", "/v3/pay/transactions/native", other, &a);
  assert_error (f, &a, 403, "OUT_TRADE_NO_USED");
  answer_clear (&a);

  query_state (f, by_otn, "NOTPAY", 3850, &transaction_id);
  g_assert_null (transaction_id);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  query_state (f, by_otn, "SUCCESS", 3850, &transaction_id);
  g_assert_nonnull (transaction_id);

  by_id = g_strdup_printf ("/v3/pay/transactions/id/%s?mchid=%s", transaction_id, SIM_MCH_ID);
  query_state (f, by_id, "SUCCESS", 3850, NULL);

  /* A paid order cannot be closed, nor created again. */
  call (f, "POST", close_path, "{\"mchid\":\"" SIM_MCH_ID "\"}", &a);
  assert_error (f, &a, 400, "ORDERPAID");
  answer_clear (&a);
  call (f, "POST", "/v3/pay/transactions/native", other, &a);
  assert_error (f, &a, 400, "ORDERPAID");
  answer_clear (&a);

  /* A v3 order is an order like any other: v2's orderquery sees the same one. */
  {
    g_autoptr(WxpayParams) business = wxpay_params_new ();
    g_autoptr(WxpayParams) v2 = NULL;

    wxpay_params_set (business, "out_trade_no", otn);
    v2 = sim_test_raw_call (f->session, f->base, "/pay/orderquery", business,
                            WXPAY_SIGN_TYPE_MD5, SIM_KEY, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (v2, "trade_state"), ==, "SUCCESS");
    g_assert_cmpstr (wxpay_params_get (v2, "transaction_id"), ==, transaction_id);
    g_assert_cmpstr (wxpay_params_get (v2, "total_fee"), ==, "3850");
  }

  /* Unknown orders, by either number. */
  call (f, "GET", "/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=" SIM_MCH_ID, NULL, &a);
  assert_error (f, &a, 404, "ORDER_NOT_EXIST");
  answer_clear (&a);
  call (f, "GET", "/v3/pay/transactions/id/4200000000000000?mchid=" SIM_MCH_ID, NULL, &a);
  assert_error (f, &a, 404, "ORDER_NOT_EXIST");
  answer_clear (&a);
}

static void
test_native_close (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3C");
  g_autofree char *code_url = create_order (f, otn, 100, NULL);
  g_autofree char *close_path = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s/close",
                                                 otn);
  g_autofree char *by_otn = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                                             otn, SIM_MCH_ID);
  Answer           a;

  /* The v2 close rule holds for v3 orders too: not before five minutes. */
  call (f, "POST", close_path, "{\"mchid\":\"" SIM_MCH_ID "\"}", &a);
  assert_error (f, &a, 500, "SYSTEM_ERROR");
  answer_clear (&a);
  wxpay_sim_server_advance_clock (f->sim, 301);

  /* 204, no body: the signature covers an empty body line. */
  call (f, "POST", close_path, "{\"mchid\":\"" SIM_MCH_ID "\"}", &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 204);
  g_assert_cmpuint (g_bytes_get_size (a.body), ==, 0);
  answer_clear (&a);
  query_state (f, by_otn, "CLOSED", 100, NULL);

  /* Again: still 204. A closed number cannot be created again. */
  call (f, "POST", close_path, "{\"mchid\":\"" SIM_MCH_ID "\"}", &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 204);
  answer_clear (&a);
  {
    g_autofree char *body = native_body (otn, 100, NULL);

    call (f, "POST", "/v3/pay/transactions/native", body, &a);
    assert_error (f, &a, 400, "ORDER_CLOSED");
    answer_clear (&a);
  }
}

static void
test_params (Fixture      *f,
             gconstpointer data)
{
  const struct
  {
    const char *body;
    guint       status;
    const char *code;
  } cases[] = {
    { "not json", 400, "PARAM_ERROR" },
    { "[1,2]", 400, "PARAM_ERROR" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"" SIM_MCH_ID "\"}", 400, "PARAM_ERROR" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"1900000999\",\"description\":\"x\","
      "\"out_trade_no\":\"V3P00001\",\"notify_url\":\"https://e.com/n\","
      "\"amount\":{\"total\":1}}",
      400, "MCH_NOT_EXISTS" },
    { "{\"appid\":\"wx0000000000000000\",\"mchid\":\"" SIM_MCH_ID "\",\"description\":\"x\","
      "\"out_trade_no\":\"V3P00001\",\"notify_url\":\"https://e.com/n\","
      "\"amount\":{\"total\":1}}",
      400, "APPID_MCHID_NOT_MATCH" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"" SIM_MCH_ID "\",\"description\":\"x\","
      "\"out_trade_no\":\"V3P00001\",\"notify_url\":\"https://e.com/n\","
      "\"amount\":{\"total\":0}}",
      400, "PARAM_ERROR" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"" SIM_MCH_ID "\",\"description\":\"x\","
      "\"out_trade_no\":\"V3P00001\",\"notify_url\":\"https://e.com/n\","
      "\"amount\":{\"total\":1.5}}",
      400, "PARAM_ERROR" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"" SIM_MCH_ID "\",\"description\":\"x\","
      "\"out_trade_no\":\"bad no!\",\"notify_url\":\"https://e.com/n\","
      "\"amount\":{\"total\":1}}",
      400, "PARAM_ERROR" },
    { "{\"appid\":\"" SIM_APPID "\",\"mchid\":\"" SIM_MCH_ID "\",\"description\":\"x\","
      "\"out_trade_no\":\"V3P00001\",\"notify_url\":\"https://e.com/n?a=b\","
      "\"amount\":{\"total\":1}}",
      400, "PARAM_ERROR" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Answer a;

      g_test_message ("case %u", i);
      call (f, "POST", "/v3/pay/transactions/native", cases[i].body, &a);
      assert_error (f, &a, cases[i].status, cases[i].code);
      answer_clear (&a);
    }

  /* Public-key mode: no platform certificates. */
  {
    Answer a;

    call (f, "GET", "/v3/certificates", NULL, &a);
    assert_error (f, &a, 404, "RESOURCE_NOT_EXISTS");
    answer_clear (&a);
  }
}

/* Authorization -------------------------------------------------------------------------------- */

static void
test_authorization (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3A");
  g_autofree char *body = native_body (otn, 100, NULL);
  g_autofree char *rogue_key = NULL;
  g_autofree char *rogue_public = NULL;
  g_autofree char *serial = read_text (f->dir, "apiclient_serial.txt");
  g_autoptr(Wxpay3Signer) rogue = NULL;
  g_autoptr(Wxpay3Signer) wrong_serial = NULL;
  g_autofree char *key = read_text (f->dir, "apiclient_key.pem");
  char            *rogue_pem = NULL;
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;
  Answer           a;

  g_assert_true (wxpay3_generate_key_pair (&rogue_pem, &rogue_public, NULL));
  rogue = wxpay3_signer_new (SIM_MCH_ID, serial, rogue_pem, strlen (rogue_pem), NULL);
  wxpay3_pem_free (rogue_pem);
  wrong_serial = wxpay3_signer_new (SIM_MCH_ID, "00112233445566778899AABBCCDDEEFF00112233", key,
                                    strlen (key), NULL);

  /* Another key under our serial, our key under another serial. */
  call_full (f, "POST", "/v3/pay/transactions/native", body, NULL, rogue, 0, &a);
  assert_error (f, &a, 401, "SIGN_ERROR");
  answer_clear (&a);
  call_full (f, "POST", "/v3/pay/transactions/native", body, NULL, wrong_serial, 0, &a);
  assert_error (f, &a, 401, "SIGN_ERROR");
  answer_clear (&a);

  /* Stale either way: 300 s is already too far. */
  call_full (f, "POST", "/v3/pay/transactions/native", body, NULL, f->signer, now - 300, &a);
  assert_error (f, &a, 401, "SIGN_ERROR");
  answer_clear (&a);
  call_full (f, "POST", "/v3/pay/transactions/native", body, NULL, f->signer, now + 310, &a);
  assert_error (f, &a, 401, "SIGN_ERROR");
  answer_clear (&a);
  call_full (f, "POST", "/v3/pay/transactions/native", body, NULL, f->signer, now - 200, &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 200);
  answer_clear (&a);

  /* A body other than the one signed. */
  {
    g_autofree char *other = native_body (otn, 101, NULL);

    call_full (f, "POST", "/v3/pay/transactions/native", other, body, f->signer, 0, &a);
    assert_error (f, &a, 401, "SIGN_ERROR");
    answer_clear (&a);
  }

  /* The query string is part of what is signed. */
  {
    g_autofree char *uri = g_strdup_printf ("%s/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                                            f->base, otn, SIM_MCH_ID);
    g_autofree char *signed_path = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s", otn);
    g_autofree char *nonce = wxpay_nonce_new ();
    g_autofree char *authorization = wxpay3_signer_authorization (f->signer, "GET", signed_path,
                                                                  NULL, 0, now, nonce, NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
    g_autoptr(GBytes) answer = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
    answer = send_msg (f, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  }

  /* No Authorization at all. */
  {
    g_autofree char *uri = g_strdup_printf ("%s/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                                            f->base, otn, SIM_MCH_ID);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
    g_autoptr(GBytes) answer = send_msg (f, msg);

    g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                    "SIGN_ERROR"));
  }
}

static void
test_v3_off (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (5, 1.0);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (wxpay_sim_server_get_base_uri (sim),
                                      "/v3/pay/transactions/native", NULL);
  guint            status = 0;
  g_autoptr(GBytes) answer = sim_test_http (session, "POST", uri, "{}", -1, &status, NULL);

  g_assert_cmpuint (status, ==, 401);
  g_assert_null (wxpay_sim_server_get_v3_pub_key_id (sim));
  wxpay_sim_server_shutdown (sim);
}

/* Faults --------------------------------------------------------------------------------------- */

static void
test_faults (Fixture      *f,
             gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3F");
  g_autofree char *body = native_body (otn, 100, NULL);
  g_autoptr(GError) error = NULL;
  Answer a;

  g_assert_true (wxpay_sim_server_set_faults (
    f->sim, "{\"path\":\"/v3/pay/transactions/native\",\"systemerror\":1}", &error));
  call (f, "POST", "/v3/pay/transactions/native", body, &a);
  assert_error (f, &a, 500, "SYSTEM_ERROR");
  answer_clear (&a);

  /* A bad signature on a good answer. */
  g_assert_true (wxpay_sim_server_set_faults (
    f->sim, "{\"path\":\"/v3/pay/transactions/native\",\"bad_sign\":1}", &error));
  call (f, "POST", "/v3/pay/transactions/native", body, &a);
  g_assert_cmpuint (a.status, ==, 200);
  {
    gsize       len;
    const char *data_ = g_bytes_get_data (a.body, &len);

    g_assert_false (wxpay3_verifier_verify (f->verifier, a.serial, a.signature, a.timestamp,
                                            a.nonce, data_, len,
                                            g_get_real_time () / G_USEC_PER_SEC, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }
  answer_clear (&a);

  /* The answer lost after the order was made: a query finds it. */
  g_assert_true (wxpay_sim_server_set_faults (
    f->sim, "{\"path\":\"/v3/pay/transactions/native\",\"drop_after\":1}", &error));
  {
    g_autofree char *lost = sim_test_unique_no ("V3D");
    g_autofree char *lost_body = native_body (lost, 200, NULL);
    g_autofree char *by_otn = g_strdup_printf ("/v3/pay/transactions/out-trade-no/%s?mchid=%s",
                                               lost, SIM_MCH_ID);

    call (f, "POST", "/v3/pay/transactions/native", lost_body, &a);
    g_assert_nonnull (a.error);
    answer_clear (&a);
    /* Only that path is faulty: the query goes through. */
    query_state (f, by_otn, "NOTPAY", 200, NULL);
  }
  g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, &error));
}

/* Refunds -------------------------------------------------------------------------------------- */

static void
test_refunds (Fixture      *f,
              gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3R");
  g_autofree char *orn = sim_test_unique_no ("V3RR");
  g_autofree char *code_url = create_order (f, otn, 1000, NULL);
  g_autofree char *body = g_strdup_printf ("{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\","
                                           "\"reason\":\"退货\",\"amount\":{\"refund\":400,"
                                           "\"total\":1000,\"currency\":\"CNY\"}}",
                                           otn, orn);
  g_autofree char *query_path = g_strdup_printf ("/v3/refund/domestic/refunds/%s", orn);
  g_autofree char *refund_id = NULL;
  g_autoptr(GError) error = NULL;
  Answer a;

  /* Not paid yet: nothing to refund. */
  call (f, "POST", "/v3/refund/domestic/refunds", body, &a);
  assert_error (f, &a, 404, "RESOURCE_NOT_EXISTS");
  answer_clear (&a);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;

      call (f, "POST", "/v3/refund/domestic/refunds", body, &a);
      assert_signed (f, &a);
      g_assert_cmpuint (a.status, ==, 200);
      object = answer_json (&a, parser);
      g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "PROCESSING");
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object,
                                                                                  "amount"),
                                                   "refund"),
                       ==, 400);
      /* The same out_refund_no is the same refund, however often it is sent. */
      if (refund_id == NULL)
        refund_id = g_strdup (json_object_get_string_member (object, "refund_id"));
      g_assert_cmpstr (json_object_get_string_member (object, "refund_id"), ==, refund_id);
      answer_clear (&a);
    }

  /* More than what is left. */
  {
    g_autofree char *orn2 = sim_test_unique_no ("V3RS");
    g_autofree char *too_much = g_strdup_printf (
      "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",\"amount\":{\"refund\":700,"
      "\"total\":1000,\"currency\":\"CNY\"}}",
      otn, orn2);

    call (f, "POST", "/v3/refund/domestic/refunds", too_much, &a);
    assert_error (f, &a, 403, "NOT_ENOUGH");
    answer_clear (&a);
  }

  wxpay_sim_server_advance_clock (f->sim, 10);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();

    call (f, "GET", query_path, NULL, &a);
    assert_signed (f, &a);
    g_assert_cmpuint (a.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (answer_json (&a, parser), "status"), ==,
                     "SUCCESS");
    answer_clear (&a);
  }
  call (f, "GET", "/v3/refund/domestic/refunds/NOSUCHREFUND", NULL, &a);
  assert_error (f, &a, 404, "RESOURCE_NOT_EXISTS");
  answer_clear (&a);
}

/* Trade bill ----------------------------------------------------------------------------------- */

static void
test_tradebill (Fixture      *f,
                gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("V3B");
  g_autofree char *code_url = create_order (f, otn, 4321, NULL);
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) beijing = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *download = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sha1 = NULL;
  JsonObject      *object;
  Answer           a;

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  now = g_date_time_new_from_unix_utc (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC);
  beijing = g_date_time_to_timezone (now, tz);
  path = g_date_time_format (beijing, "/v3/bill/tradebill?bill_date=%Y-%m-%d&bill_type=ALL");

  call (f, "GET", path, NULL, &a);
  assert_signed (f, &a);
  g_assert_cmpuint (a.status, ==, 200);
  object = answer_json (&a, parser);
  g_assert_cmpstr (json_object_get_string_member (object, "hash_type"), ==, "SHA1");
  hash = g_strdup (json_object_get_string_member (object, "hash_value"));
  uri = g_uri_parse (json_object_get_string_member (object, "download_url"), G_URI_FLAGS_ENCODED,
                     &error);
  g_assert_no_error (error);
  download = g_strconcat (g_uri_get_path (uri), "?", g_uri_get_query (uri), NULL);
  answer_clear (&a);

  /* The download is authorised like any call, but not signed: its SHA1 vouches for it. */
  call (f, "GET", download, NULL, &a);
  g_assert_cmpuint (a.status, ==, 200);
  g_assert_null (a.signature);
  sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, a.body);
  g_assert_cmpstr (sha1, ==, hash);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (a.body, NULL), g_bytes_get_size (a.body),
                                  otn));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (a.body, NULL), g_bytes_get_size (a.body),
                                  "43.21"));
  answer_clear (&a);

  /* An unknown token; a day without anything; a malformed date. */
  call (f, "GET", "/v3/billdownload/file?token=nosuchtoken", NULL, &a);
  assert_error (f, &a, 400, "INVALID_REQUEST");
  answer_clear (&a);
  call (f, "GET", "/v3/bill/tradebill?bill_date=2020-01-01&bill_type=ALL", NULL, &a);
  assert_error (f, &a, 400, "NO_STATEMENT_EXIST");
  answer_clear (&a);
  call (f, "GET", "/v3/bill/tradebill?bill_date=20200101", NULL, &a);
  assert_error (f, &a, 400, "PARAM_ERROR");
  answer_clear (&a);
}

/* Callbacks ------------------------------------------------------------------------------------ */

typedef struct
{
  Fixture *f;
  gboolean verify; /* FALSE: a careless merchant that answers 200 to anything */
  guint    received;
  guint    accepted;
  guint    rejected;
  char    *event_type;
  char    *trade_state;
  gint64   total;
} Listener;

static void
listener_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  Listener           *l = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) inner = json_parser_new ();
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonObject *resource;
  gsize       len;
  const char *data = g_bytes_get_data (body, &len);

  l->received++;
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Wechatpay-Signature-Type"), ==,
                   "WECHATPAY2-SHA256-RSA2048");
  if (l->verify && !wxpay3_verifier_verify (l->f->verifier,
                                            soup_message_headers_get_one (headers, "Wechatpay-Serial"),
                                            soup_message_headers_get_one (headers, "Wechatpay-Signature"),
                                            soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                                            soup_message_headers_get_one (headers, "Wechatpay-Nonce"), data,
                                            len, g_get_real_time () / G_USEC_PER_SEC, &error))
    {
      static const char fail[] = "{\"code\":\"FAIL\",\"message\":\"失败\"}";

      l->rejected++;
      soup_server_message_set_status (msg, 401, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, fail,
                                        strlen (fail));
      return;
    }

  g_assert_true (json_parser_load_from_data (parser, data, (gssize)len, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  resource = json_object_get_object_member (object, "resource");
  g_assert_cmpstr (json_object_get_string_member (resource, "algorithm"), ==,
                   "AEAD_AES_256_GCM");
  plain = wxpay3_aead_decrypt (l->f->apiv3_key, strlen (l->f->apiv3_key),
                               json_object_get_string_member (resource, "nonce"),
                               json_object_get_string_member (resource, "associated_data"),
                               json_object_get_string_member (resource, "ciphertext"), &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (plain, &len);
  g_assert_true (json_parser_load_from_data (inner, data, (gssize)len, NULL));

  g_free (l->event_type);
  l->event_type = g_strdup (json_object_get_string_member (object, "event_type"));
  if (g_strcmp0 (l->event_type, "TRANSACTION.SUCCESS") == 0)
    {
      JsonObject *transaction = json_node_get_object (json_parser_get_root (inner));

      g_free (l->trade_state);
      l->trade_state = g_strdup (json_object_get_string_member (transaction, "trade_state"));
      l->total = json_object_get_int_member (json_object_get_object_member (transaction,
                                                                            "amount"),
                                             "total");
    }
  l->accepted++;
  soup_server_message_set_status (msg, 204, NULL);
}

static char *
listen_merchant (Listener    *l,
                 SoupServer **out_server)
{
  g_autoptr(GError) error = NULL;
  SoupServer *server = soup_server_new (NULL, NULL);
  GSList     *uris;
  char       *url;

  soup_server_add_handler (server, "/notify", listener_cb, l, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/notify", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  *out_server = server;

  return url;
}

static gboolean
is_acked (Fixture    *f,
          const char *otn)
{
  g_autofree char *json = wxpay_sim_server_dup_orders_json (f->sim);
  g_autofree char *needle = g_strdup_printf ("\"%s\"", otn);
  const char      *at = strstr (json, needle);

  return at != NULL && strstr (at, "\"acked\":true") != NULL;
}

static void
test_callbacks (Fixture      *f,
                gconstpointer data)
{
  Listener l = { f, TRUE, 0 };
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *url = listen_merchant (&l, &server);
  g_autofree char *otn = sim_test_unique_no ("V3N");
  g_autofree char *code_url = create_order (f, otn, 4200, url);
  g_autoptr(GError) error = NULL;

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  for (guint i = 0; i < 200 && l.accepted == 0; i++)
    sim_test_spin (25);
  g_assert_cmpuint (l.accepted, ==, 1);
  g_assert_cmpuint (l.rejected, ==, 0);
  g_assert_cmpstr (l.event_type, ==, "TRANSACTION.SUCCESS");
  g_assert_cmpstr (l.trade_state, ==, "SUCCESS");
  g_assert_cmpint (l.total, ==, 4200);
  /* 204 acknowledges it. */
  for (guint i = 0; i < 100 && !is_acked (f, otn); i++)
    sim_test_spin (20);
  g_assert_true (is_acked (f, otn));

  /* A refund with a notify_url: REFUND.SUCCESS once it is done. */
  {
    g_autofree char *orn = sim_test_unique_no ("V3NR");
    g_autofree char *body = g_strdup_printf (
      "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",\"notify_url\":\"%s\","
      "\"amount\":{\"refund\":4200,\"total\":4200,\"currency\":\"CNY\"}}",
      otn, orn, url);
    Answer a;

    call (f, "POST", "/v3/refund/domestic/refunds", body, &a);
    g_assert_cmpuint (a.status, ==, 200);
    answer_clear (&a);
    wxpay_sim_server_advance_clock (f->sim, 10);
    for (guint i = 0; i < 200 && l.accepted < 2; i++)
      sim_test_spin (25);
    g_assert_cmpuint (l.accepted, ==, 2);
    g_assert_cmpstr (l.event_type, ==, "REFUND.SUCCESS");
  }

  g_free (l.event_type);
  g_free (l.trade_state);
  soup_server_disconnect (server);
}

/* A merchant that fails twice, then acknowledges: the callback comes again on v2's schedule
 * (15 s, 15 s, … scaled here by a time scale of 100) until answered 200/204. */
typedef struct
{
  Listener listener;
  guint    failures_left;
} Flaky;

static void
flaky_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Flaky *flaky = user_data;

  if (flaky->failures_left > 0)
    {
      flaky->failures_left--;
      flaky->listener.received++;
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  listener_cb (server, msg, path, query, &flaky->listener);
}

static void
test_callback_retries (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr(WxpaySimServer) fast = sim_test_server_new (9, 100.0);
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = sim_test_unique_no ("V3T");
  g_autofree char *url = NULL;
  g_autofree char *code_url = NULL;
  Flaky            flaky = { { f, TRUE, 0 }, 2 };
  WxpaySimServer  *first = f->sim;
  GSList          *uris;

  g_assert_true (wxpay_sim_server_setup_v3 (fast, f->dir, &error));
  g_assert_no_error (error);
  soup_server_add_handler (server, "/notify", flaky_cb, &flaky, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/notify", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  f->sim = fast;
  f->base = wxpay_sim_server_get_base_uri (fast);
  code_url = create_order (f, otn, 99, url);
  g_assert_true (wxpay_sim_server_pay (fast, otn, &error));
  for (guint i = 0; i < 400 && flaky.listener.accepted == 0; i++)
    sim_test_spin (25);

  /* Two refusals, then the third delivery (30 simulated seconds later) is accepted. */
  g_assert_cmpuint (flaky.listener.received, ==, 3);
  g_assert_cmpuint (flaky.listener.accepted, ==, 1);
  g_assert_cmpstr (flaky.listener.trade_state, ==, "SUCCESS");
  for (guint i = 0; i < 100 && !is_acked (f, otn); i++)
    sim_test_spin (20);
  g_assert_true (is_acked (f, otn));

  /* Acknowledged: nothing more comes. */
  sim_test_spin (400);
  g_assert_cmpuint (flaky.listener.received, ==, 3);

  f->sim = first;
  f->base = wxpay_sim_server_get_base_uri (first);
  wxpay_sim_server_shutdown (fast);
  g_free (flaky.listener.event_type);
  g_free (flaky.listener.trade_state);
  soup_server_disconnect (server);
}

static gboolean
signtest (Fixture    *f,
          const char *url,
          guint      *out_status)
{
  g_autofree char *escaped = g_uri_escape_string (url, NULL, TRUE);
  g_autofree char *uri = g_strdup_printf ("%s/sim/v3/signtest?url=%s", f->base, escaped);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  guint       status = 0;

  body = sim_test_http (f->session, "POST", uri, "", 0, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             (gssize)g_bytes_get_size (body), NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (object, "delivered"));
  *out_status = (guint)json_object_get_int_member (object, "status");

  return json_object_get_boolean_member (object, "rejected");
}

static void
test_signtest (Fixture      *f,
               gconstpointer data)
{
  Listener careful = { f, TRUE, 0 };
  Listener careless = { f, FALSE, 0 };
  g_autoptr(SoupServer) careful_server = NULL;
  g_autoptr(SoupServer) careless_server = NULL;
  g_autofree char *careful_url = listen_merchant (&careful, &careful_server);
  g_autofree char *careless_url = listen_merchant (&careless, &careless_server);
  guint            status = 0;

  /* A merchant that verifies refuses the probe with a 4xx: not flagged. */
  g_assert_true (signtest (f, careful_url, &status));
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (careful.received, ==, 1);
  g_assert_cmpuint (careful.rejected, ==, 1);

  /* One that does not answers 200/204: the control API says so. */
  g_assert_false (signtest (f, careless_url, &status));
  g_assert_cmpuint (status, ==, 204);
  g_assert_cmpuint (careless.accepted, ==, 1);

  g_free (careful.event_type);
  g_free (careful.trade_state);
  g_free (careless.event_type);
  g_free (careless.trade_state);
  soup_server_disconnect (careful_server);
  soup_server_disconnect (careless_server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/sim/v3/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("v3-dir", test_v3_dir);
  ADD ("native-life", test_native_life);
  ADD ("native-close", test_native_close);
  ADD ("params", test_params);
  ADD ("authorization", test_authorization);
  ADD ("faults", test_faults);
  ADD ("refunds", test_refunds);
  ADD ("tradebill", test_tradebill);
  ADD ("callbacks", test_callbacks);
  ADD ("callback-retries", test_callback_retries);
  ADD ("signtest", test_signtest);
#undef ADD
  g_test_add_func ("/sim/v3/off", test_v3_off);

  return g_test_run ();
}
