/* test-client.c: WxpayClient against an in-test SoupServer on 127.0.0.1 (port 0).
 *
 * The server here is deliberately tiny and independent of wxpay-sim: it verifies the client's
 * request signature itself and answers exactly what each test asks for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wxpay/wxpay.h"

#define KEY     "192006250b4c09247ec02edce69f6a2d"
#define APPID   "wxd930ea5d5a258f4f"
#define MCH_ID  "10000100"
#define FORGED_KEY "00000000000000000000000000000000"

typedef enum {
  MODE_SUCCESS,
  MODE_ERR_CODE,
  MODE_RETURN_FAIL,
  MODE_FORGED_SIGN,
  MODE_NO_SIGN,
  MODE_MD5_SIGN,
  MODE_WRONG_APPID,
  MODE_WRONG_MCH_ID,
  MODE_NO_RESULT_CODE,
  MODE_GARBAGE,
  MODE_HTTP_500,
  MODE_HTTP_404,
  MODE_HANG,
  MODE_DROP,
  MODE_BILL,
  MODE_BILL_XML_ERROR,
} Mode;

typedef struct {
  SoupServer   *server;
  char         *base;
  WxpayClient  *client;
  Mode          mode;
  const char   *err_code;
  const char   *bill_msg;
  GBytes       *bill_text;
  WxpayParams  *last_request;
  guint         n_requests;
  guint         n_connections;   /* distinct client ports seen in a row */
  guint16       last_port;
  gboolean      request_sign_ok;
  GAsyncResult *result;
} Fixture;

static const char bill_text[] =
  "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
  "货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\r\n"
  "`2026-01-01 12:00:00,`" APPID ",`" MCH_ID ",`0,`till1,`4200000000202601010000000001,"
  "`till120260101040000abcdefghij,`oUser,`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`商品,`,"
  "`0.00000,`0.60%,`0.01,`\r\n"
  "总交易单数,应结订单总金额,手续费总金额,订单总金额\r\n"
  "`1,`0.01,`0.00000,`0.01\r\n";

static void
respond_params (SoupServerMessage *msg,
                WxpayParams       *answer)
{
  g_autofree char *xml = wxpay_xml_encode_string (answer);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY, xml, strlen (xml));
}

static void
add_business_fields (WxpayParams *answer,
                     const char  *path,
                     WxpayParams *request)
{
  if (g_str_has_suffix (path, "/pay/unifiedorder"))
    {
      wxpay_params_set (answer, "trade_type", "NATIVE");
      wxpay_params_set (answer, "prepay_id", "wx201410272009395522657a690389285100");
      wxpay_params_set (answer, "code_url", "weixin://wxpay/bizpayurl?pr=TEST123");
    }
  else if (g_str_has_suffix (path, "/pay/orderquery"))
    {
      wxpay_params_set (answer, "trade_state", "SUCCESS");
      wxpay_params_set (answer, "trade_state_desc", "支付成功");
      wxpay_params_set (answer, "out_trade_no", wxpay_params_get (request, "out_trade_no"));
      wxpay_params_set (answer, "total_fee", "1");
      wxpay_params_set (answer, "attach", "");
    }
  else if (g_str_has_suffix (path, "/pay/closeorder"))
    {
      wxpay_params_set (answer, "result_msg", "OK");
    }
  else if (g_str_has_suffix (path, "/pay/refundquery"))
    {
      wxpay_params_set (answer, "refund_count", "1");
      wxpay_params_set (answer, "refund_status_0", "SUCCESS");
      wxpay_params_set (answer, "refund_fee_0", "1");
    }
  else if (g_str_has_suffix (path, "/pay/micropay"))
    {
      wxpay_params_set (answer, "trade_type", "MICROPAY");
      wxpay_params_set (answer, "total_fee", wxpay_params_get (request, "total_fee"));
      wxpay_params_set (answer, "transaction_id", "4200000000202601010000000009");
    }
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(WxpayParams) request = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  WxpaySignType type = WXPAY_SIGN_TYPE_MD5;
  Mode mode = f->mode;

  f->n_requests++;
  {
    GSocketAddress *remote = soup_server_message_get_remote_address (msg);
    guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));

    if (port != f->last_port)
      f->n_connections++;
    f->last_port = port;
  }

  if (g_str_has_prefix (path, "/hang/"))
    mode = MODE_HANG;
  else if (g_str_has_prefix (path, "/drop/"))
    mode = MODE_DROP;

  request = wxpay_xml_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  g_clear_pointer (&f->last_request, wxpay_params_unref);
  if (request != NULL)
    f->last_request = wxpay_params_ref (request);

  if (request == NULL ||
      !wxpay_sign_type_from_string (wxpay_params_get (request, "sign_type"), &type) ||
      !wxpay_verify (request, type, KEY) ||
      g_strcmp0 (wxpay_params_get (request, "appid"), APPID) != 0 ||
      g_strcmp0 (wxpay_params_get (request, "mch_id"), MCH_ID) != 0 ||
      wxpay_params_get (request, "nonce_str") == NULL ||
      strlen (wxpay_params_get (request, "nonce_str")) != 32)
    {
      f->request_sign_ok = FALSE;
      answer = wxpay_params_new ();
      wxpay_params_set (answer, "return_code", "FAIL");
      wxpay_params_set (answer, "return_msg", "签名错误");
      respond_params (msg, answer);
      return;
    }
  f->request_sign_ok = TRUE;

  switch (mode)
    {
    case MODE_HANG:
      /* Never answered: the client's timeout must fire. */
      soup_server_message_pause (msg);
      return;

    case MODE_DROP:
      {
        /* The request was read in full, then the connection dies without an answer. */
        GIOStream *stream = soup_server_message_steal_connection (msg);

        g_io_stream_close (stream, NULL, NULL);
        g_object_unref (stream);
      }
      return;

    case MODE_HTTP_500:
      soup_server_message_set_status (msg, 500, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "oops", 4);
      return;

    case MODE_HTTP_404:
      soup_server_message_set_status (msg, 404, NULL);
      return;

    case MODE_GARBAGE:
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC,
                                        "<html>gateway</html>", 20);
      return;

    case MODE_BILL:
      {
        g_autoptr(GBytes) out = NULL;

        if (g_strcmp0 (wxpay_params_get (request, "tar_type"), "GZIP") == 0)
          out = wxpay_bill_gzip (f->bill_text);
        else
          out = g_bytes_ref (f->bill_text);
        soup_server_message_set_status (msg, 200, NULL);
        soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                          g_bytes_get_data (out, NULL), g_bytes_get_size (out));
      }
      return;

    case MODE_BILL_XML_ERROR:
      {
        g_autofree char *xml = g_strdup_printf ("\r\n<xml><return_code><![CDATA[FAIL]]></return_code>"
                                                "<return_msg><![CDATA[%s]]></return_msg>"
                                                "<error_code><![CDATA[20002]]></error_code></xml>",
                                                f->bill_msg);

        soup_server_message_set_status (msg, 200, NULL);
        soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, xml, strlen (xml));
      }
      return;

    case MODE_RETURN_FAIL:
      answer = wxpay_params_new ();
      wxpay_params_set (answer, "return_code", "FAIL");
      wxpay_params_set (answer, "return_msg", "参数格式校验错误");
      respond_params (msg, answer);
      return;

    case MODE_SUCCESS:
    case MODE_ERR_CODE:
    case MODE_FORGED_SIGN:
    case MODE_NO_SIGN:
    case MODE_MD5_SIGN:
    case MODE_WRONG_APPID:
    case MODE_WRONG_MCH_ID:
    case MODE_NO_RESULT_CODE:
    default:
      break;
    }

  answer = wxpay_params_new ();
  wxpay_params_set (answer, "return_code", "SUCCESS");
  wxpay_params_set (answer, "return_msg", "OK");
  wxpay_params_set (answer, "appid", mode == MODE_WRONG_APPID ? "wx0000000000000000" : APPID);
  wxpay_params_set (answer, "mch_id", mode == MODE_WRONG_MCH_ID ? "99999999" : MCH_ID);
  {
    g_autofree char *nonce = wxpay_nonce_new ();

    wxpay_params_set (answer, "nonce_str", nonce);
  }
  if (mode == MODE_ERR_CODE)
    {
      wxpay_params_set (answer, "result_code", "FAIL");
      wxpay_params_set (answer, "err_code", f->err_code);
      wxpay_params_set (answer, "err_code_des", "描述 description");
    }
  else if (mode != MODE_NO_RESULT_CODE)
    {
      wxpay_params_set (answer, "result_code", "SUCCESS");
      add_business_fields (answer, path, request);
    }

  if (mode == MODE_MD5_SIGN)
    wxpay_params_sign (answer, WXPAY_SIGN_TYPE_MD5, KEY);
  else if (mode != MODE_NO_SIGN)
    wxpay_params_sign (answer, type, mode == MODE_FORGED_SIGN ? FORGED_KEY : KEY);

  respond_params (msg, answer);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, server_cb, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->server);
  g_assert_nonnull (uris);
  f->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  f->client = wxpay_client_new (f->base, APPID, MCH_ID, KEY);
  g_object_set (f->client, "timeout", 5, NULL);
  f->bill_text = g_bytes_new_static (bill_text, strlen (bill_text));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->client);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->result);
  g_clear_pointer (&f->last_request, wxpay_params_unref);
  g_clear_pointer (&f->bill_text, g_bytes_unref);
  g_free (f->base);

  /* Let pending sources (closed connections) run down before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_null (f->result);
  f->result = g_object_ref (result);
}

static GAsyncResult *
wait_result (Fixture *f)
{
  g_clear_object (&f->result);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return f->result;
}

static WxpayParams *
query_request (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "out_trade_no", "till120260101040000abcdefghij");

  return p;
}

/* Runs orderquery against the fixture and returns the answer or the error. */
static WxpayParams *
run_orderquery (Fixture *f,
                GError **error)
{
  g_autoptr(WxpayParams) req = query_request ();

  g_clear_object (&f->result);
  wxpay_client_orderquery_async (f->client, req, NULL, result_cb, f);
  wait_result (f);

  return wxpay_client_orderquery_finish (f->client, f->result, error);
}

static void
test_success_every_api (Fixture       *f,
                        gconstpointer  data)
{
  static const struct {
    const char *name;
    void (*async) (WxpayClient *, const WxpayParams *, GCancellable *, GAsyncReadyCallback,
                   gpointer);
    WxpayParams *(*finish) (WxpayClient *, GAsyncResult *, GError **);
    const char *check_field;
    const char *check_value;
  } apis[] = {
    { "unifiedorder", wxpay_client_unifiedorder_async, wxpay_client_unifiedorder_finish,
      "code_url", "weixin://wxpay/bizpayurl?pr=TEST123" },
    { "orderquery", wxpay_client_orderquery_async, wxpay_client_orderquery_finish,
      "trade_state", "SUCCESS" },
    { "closeorder", wxpay_client_closeorder_async, wxpay_client_closeorder_finish,
      "result_msg", "OK" },
    { "refundquery", wxpay_client_refundquery_async, wxpay_client_refundquery_finish,
      "refund_status_0", "SUCCESS" },
    { "micropay", wxpay_client_micropay_async, wxpay_client_micropay_finish,
      "trade_type", "MICROPAY" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (apis); i++)
    {
      g_autoptr(WxpayParams) req = wxpay_params_new ();
      g_autoptr(WxpayParams) answer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected_path = NULL;

      wxpay_params_set (req, "out_trade_no", "till120260101040000abcdefghij");
      wxpay_params_set (req, "body", "收银台-测试商品");
      wxpay_params_set (req, "total_fee", "1");
      wxpay_params_set (req, "attach", "");

      apis[i].async (f->client, req, NULL, result_cb, f);
      wait_result (f);
      answer = apis[i].finish (f->client, f->result, &error);
      g_assert_no_error (error);
      g_assert_true (f->request_sign_ok);
      g_assert_cmpstr (wxpay_params_get (answer, apis[i].check_field), ==, apis[i].check_value);
      g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "SUCCESS");

      /* The caller's request is borrowed, not modified. */
      g_assert_false (wxpay_params_contains (req, "sign"));
      g_assert_false (wxpay_params_contains (req, "nonce_str"));
      g_assert_cmpstr (wxpay_params_get (f->last_request, "body"), ==, "收银台-测试商品");
      g_assert_cmpstr (wxpay_params_get (f->last_request, "sign_type"), ==, "MD5");
    }
  g_assert_cmpuint (f->n_requests, ==, G_N_ELEMENTS (apis));

  /* The generic call, too. */
  {
    g_autoptr(WxpayParams) req = query_request ();
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(GError) error = NULL;

    wxpay_client_call_async (f->client, "/pay/orderquery", req, NULL, result_cb, f);
    wait_result (f);
    answer = wxpay_client_call_finish (f->client, f->result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (wxpay_params_get (answer, "out_trade_no"), ==,
                     "till120260101040000abcdefghij");
  }
}

static void
test_nonce_fresh_per_call (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(WxpayParams) a = NULL;
  g_autoptr(WxpayParams) b = NULL;
  g_autofree char *nonce1 = NULL;

  a = run_orderquery (f, NULL);
  g_assert_nonnull (a);
  nonce1 = g_strdup (wxpay_params_get (f->last_request, "nonce_str"));
  b = run_orderquery (f, NULL);
  g_assert_nonnull (b);
  g_assert_cmpstr (nonce1, !=, wxpay_params_get (f->last_request, "nonce_str"));
}

static const char * const documented_err_codes[] = {
  "SYSTEMERROR", "BANKERROR", "USERPAYING", "BIZERR_NEED_RETRY", "INVALID_REQUEST", "NOAUTH",
  "NOTENOUGH", "ORDERPAID", "ORDERCLOSED", "ORDERREVERSED", "ORDERNOTEXIST", "APPID_NOT_EXIST",
  "MCHID_NOT_EXIST", "APPID_MCHID_NOT_MATCH", "LACK_PARAMS", "OUT_TRADE_NO_USED", "SIGNERROR",
  "XML_FORMAT_ERROR", "REQUIRE_POST_METHOD", "POST_DATA_EMPTY", "NOT_UTF8", "TRADE_STATE_ERROR",
  "TRADE_OVERDUE", "ERROR", "USER_ACCOUNT_ABNORMAL", "INVALID_REQ_TOO_MUCH",
  "INVALID_TRANSACTIONID", "PARAM_ERROR", "FREQUENCY_LIMITED", "REFUNDNOTEXIST",
  "AUTHCODEEXPIRE", "AUTH_CODE_ERROR", "AUTH_CODE_INVALID", "NOTSUPORTCARD", "BUYER_MISMATCH",
  "TRADE_ERROR", "REVERSE_EXPIRE",
};

static gboolean
err_code_is_unknown (const char *code)
{
  return g_str_equal (code, "SYSTEMERROR") || g_str_equal (code, "BANKERROR") ||
         g_str_equal (code, "USERPAYING") || g_str_equal (code, "BIZERR_NEED_RETRY");
}

static void
test_err_codes (Fixture       *f,
                gconstpointer  data)
{
  f->mode = MODE_ERR_CODE;

  for (guint i = 0; i < G_N_ELEMENTS (documented_err_codes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayParams) answer = NULL;
      WxpayError code = wxpay_error_from_err_code (documented_err_codes[i]);

      g_assert_cmpint (code, !=, WXPAY_ERROR_UNKNOWN_ERR_CODE);
      g_assert_cmpstr (wxpay_error_code_to_string (code), ==, documented_err_codes[i]);

      f->err_code = documented_err_codes[i];
      answer = run_orderquery (f, &error);
      g_assert_null (answer);
      g_assert_error (error, WXPAY_ERROR, (int)code);
      g_assert_true (strstr (error->message, documented_err_codes[i]) != NULL);
      g_assert_cmpint (wxpay_error_is_outcome_unknown (error), ==,
                       err_code_is_unknown (documented_err_codes[i]));
    }

  /* Undocumented codes are treated as "may have happened". */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WxpayParams) answer = NULL;

    f->err_code = "SOMETHING_NEW_2027";
    answer = run_orderquery (f, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_ERR_CODE);
    g_assert_true (wxpay_error_is_outcome_unknown (error));
  }
}

typedef struct {
  Mode        mode;
  int         code;
  gboolean    unknown;
} ModeCase;

static void
test_protocol_failures (Fixture       *f,
                        gconstpointer  data)
{
  static const ModeCase cases[] = {
    { MODE_RETURN_FAIL, WXPAY_ERROR_RETURN_FAIL, FALSE },
    { MODE_FORGED_SIGN, WXPAY_ERROR_BAD_SIGNATURE, TRUE },
    { MODE_NO_SIGN, WXPAY_ERROR_BAD_SIGNATURE, TRUE },
    { MODE_WRONG_APPID, WXPAY_ERROR_MISMATCH, TRUE },
    { MODE_WRONG_MCH_ID, WXPAY_ERROR_MISMATCH, TRUE },
    { MODE_NO_RESULT_CODE, WXPAY_ERROR_MALFORMED_RESPONSE, TRUE },
    { MODE_GARBAGE, WXPAY_ERROR_MALFORMED_RESPONSE, TRUE },
    { MODE_HTTP_500, WXPAY_ERROR_HTTP_SERVER, TRUE },
    { MODE_HTTP_404, WXPAY_ERROR_HTTP_CLIENT, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayParams) answer = NULL;

      f->mode = cases[i].mode;
      answer = run_orderquery (f, &error);
      g_assert_null (answer);
      g_assert_error (error, WXPAY_ERROR, cases[i].code);
      g_assert_cmpint (wxpay_error_is_outcome_unknown (error), ==, cases[i].unknown);
      /* The key and the signature never show up in an error. */
      g_assert_null (strstr (error->message, KEY));
      if (f->last_request != NULL)
        g_assert_null (strstr (error->message, wxpay_params_get (f->last_request, "sign")));
    }
}

static void
test_hmac_round_trip (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->client, "sign-type", WXPAY_SIGN_TYPE_HMAC_SHA256, NULL);
  g_assert_cmpint (wxpay_client_get_sign_type (f->client), ==, WXPAY_SIGN_TYPE_HMAC_SHA256);

  answer = run_orderquery (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (f->last_request, "sign_type"), ==, "HMAC-SHA256");
  g_assert_cmpuint (strlen (wxpay_params_get (f->last_request, "sign")), ==, 64);
  g_assert_cmpuint (strlen (wxpay_params_get (answer, "sign")), ==, 64);

  /* An answer signed with another algorithm than the request's is refused. */
  g_clear_pointer (&answer, wxpay_params_unref);
  f->mode = MODE_MD5_SIGN;
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *hang = g_strconcat (f->base, "/hang", NULL);
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_object_set (f->client, "base-uri", hang, "backup-base-uri", f->base, "timeout", 1, NULL);
  start = g_get_monotonic_time ();
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_TIMEOUT);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
  /* Never failed over: the request may have been processed. */
  g_assert_cmpuint (f->n_requests, ==, 1);
}

static void
test_connection_dropped (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *drop = g_strconcat (f->base, "/drop", NULL);
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->client, "base-uri", drop, "backup-base-uri", f->base, NULL);
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECTION_LOST);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpuint (f->n_requests, ==, 1);
}

/* Sequential calls share one kept-alive connection; one the server dropped is not reused. */
static void
test_keep_alive (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *drop = g_strconcat (f->base, "/drop", NULL);
  g_autofree char *base = g_strdup (f->base);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(WxpayParams) answer = run_orderquery (f, &error);

      g_assert_no_error (error);
      g_assert_nonnull (answer);
    }
  g_assert_cmpuint (f->n_requests, ==, 3);
  g_assert_cmpuint (f->n_connections, ==, 1);

  g_object_set (f->client, "base-uri", drop, NULL);
  g_assert_null (run_orderquery (f, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECTION_LOST);
  g_clear_error (&error);
  g_assert_cmpuint (f->n_connections, ==, 1);

  g_object_set (f->client, "base-uri", base, NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(WxpayParams) answer = run_orderquery (f, &error);

      g_assert_no_error (error);
      g_assert_nonnull (answer);
    }
  g_assert_cmpuint (f->n_requests, ==, 6);
  g_assert_cmpuint (f->n_connections, ==, 2);
}

static char *
refused_base (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* Take a free port, then close it: nothing listens there afterwards. */
  g_socket_listener_add_address (listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (listener);

  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dead = refused_base ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->client, "base-uri", dead, NULL);
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECT);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpuint (f->n_requests, ==, 0);
}

static void
test_failover_to_backup (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *dead = refused_base ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->client, "base-uri", dead, "backup-base-uri", f->base, NULL);
  answer = run_orderquery (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "SUCCESS");
  g_assert_cmpuint (f->n_requests, ==, 1);
  g_assert_cmpstr (wxpay_client_get_base_uri (f->client), ==, dead);

  /* Both dead: one failover only, then a known connect error. */
  {
    g_autofree char *dead2 = refused_base ();

    g_clear_pointer (&answer, wxpay_params_unref);
    g_clear_error (&error);
    g_object_set (f->client, "backup-base-uri", dead2, NULL);
    answer = run_orderquery (f, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECT);
    g_assert_false (wxpay_error_is_outcome_unknown (error));
  }
}

static void
test_config_errors (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WxpayParams) req = query_request ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* /secapi/ without a client certificate: refused before anything is sent. */
  wxpay_client_refund_async (f->client, req, NULL, result_cb, f);
  wait_result (f);
  answer = wxpay_client_refund_finish (f->client, f->result, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  g_clear_error (&error);

  wxpay_client_reverse_async (f->client, req, NULL, result_cb, f);
  wait_result (f);
  answer = wxpay_client_reverse_finish (f->client, f->result, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);

  wxpay_client_set_api_key (f->client, NULL);
  g_assert_false (wxpay_client_has_api_key (f->client));
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_assert_cmpuint (f->n_requests, ==, 0);
  g_clear_error (&error);

  /* A wrong key: the server refuses the signature (return_code=FAIL, known). */
  wxpay_client_set_api_key (f->client, FORGED_KEY);
  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
  g_assert_false (f->request_sign_ok);
}

/* Plain HTTP only to loopback: a remote http:// gateway (primary or backup) is a
 * configuration error, raised before anything is sent. */
static void
test_remote_http_refused (Fixture       *f,
                          gconstpointer  data)
{
  static const char * const refused[] = {
    "http://192.0.2.1:8080", "http://api.mch.weixin.qq.com", "http://localhost.example.com",
    "http://127.0.0.1.example.com", "http://[::2]:80", "http://0x7f000001", "ftp://127.0.0.1",
    "http://10.0.0.1/", "not a uri",
  };
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("%s", refused[i]);
      g_object_set (f->client, "base-uri", refused[i], NULL);
      answer = run_orderquery (f, &error);
      g_assert_null (answer);
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
      g_assert_false (wxpay_error_is_outcome_unknown (error));
      g_clear_error (&error);
    }

  /* The backup is held to the same rule. */
  {
    g_autofree char *dead = refused_base ();

    g_object_set (f->client, "base-uri", dead, "backup-base-uri", "http://192.0.2.1", NULL);
    answer = run_orderquery (f, &error);
    g_assert_null (answer);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
    g_clear_error (&error);
  }
  g_assert_cmpuint (f->n_requests, ==, 0);

  /* Only the test-only property lets a remote http:// gateway through (to the network: the
   * documentation address refuses or times out, which is not a configuration error). */
  g_object_set (f->client, "base-uri", "http://127.0.0.1.example.invalid", "backup-base-uri",
                NULL, "allow-remote-http", TRUE, "timeout", 2, NULL);
  answer = run_orderquery (f, &error);
  g_assert_null (answer);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG));
  g_clear_error (&error);
  g_object_set (f->client, "allow-remote-http", FALSE, NULL);

  /* Loopback in any spelling is fine: the in-test server answers. */
  {
    g_autofree char *upper = g_strdup (f->base);

    memcpy (upper, "HTTP", 4);
    g_object_set (f->client, "base-uri", upper, "backup-base-uri", NULL, NULL);
    answer = run_orderquery (f, &error);
    g_assert_no_error (error);
    g_assert_nonnull (answer);
    g_assert_cmpuint (f->n_requests, ==, 1);
  }
}

static void
test_cancel_before_send (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(WxpayParams) req = query_request ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  wxpay_client_orderquery_async (f->client, req, cancellable, result_cb, f);
  wait_result (f);
  answer = wxpay_client_orderquery_finish (f->client, f->result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpuint (f->n_requests, ==, 0);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_after_send (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *hang = g_strconcat (f->base, "/hang", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(WxpayParams) req = query_request ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (f->client, "base-uri", hang, NULL);
  wxpay_client_orderquery_async (f->client, req, cancellable, result_cb, f);
  /* Cancel once the server holds the request. */
  while (f->n_requests == 0)
    g_main_context_iteration (NULL, TRUE);
  g_idle_add (cancel_cb, cancellable);
  wait_result (f);
  answer = wxpay_client_orderquery_finish (f->client, f->result, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECTION_LOST);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
}

static GBytes *
run_bill (Fixture  *f,
          gboolean  gzip,
          GError  **error)
{
  wxpay_client_downloadbill_async (f->client, "20260101", "SUCCESS", gzip, NULL, result_cb, f);
  wait_result (f);

  return wxpay_client_downloadbill_finish (f->client, f->result, error);
}

static void
test_downloadbill (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) text = NULL;
  g_autoptr(GBytes) gz = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = NULL;

  f->mode = MODE_BILL;
  text = run_bill (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (text, f->bill_text));
  g_assert_cmpstr (wxpay_params_get (f->last_request, "bill_date"), ==, "20260101");
  g_assert_cmpstr (wxpay_params_get (f->last_request, "bill_type"), ==, "SUCCESS");
  g_assert_false (wxpay_params_contains (f->last_request, "tar_type"));

  gz = run_bill (f, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (f->last_request, "tar_type"), ==, "GZIP");
  g_assert_true (g_bytes_equal (gz, f->bill_text));

  bill = wxpay_bill_parse (gz, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bill->rows->len, ==, 1);
}

static void
test_downloadbill_errors (Fixture       *f,
                          gconstpointer  data)
{
  static const struct {
    const char *msg;
    int         code;
  } cases[] = {
    { "No Bill Exist", WXPAY_ERROR_BILL_NOT_EXIST },
    { "NO Bill Exist", WXPAY_ERROR_BILL_NOT_EXIST },
    { "Bill Creating", WXPAY_ERROR_BILL_CREATING },
    { "invalid bill_type", WXPAY_ERROR_BILL_FAILED },
    { "SYSTEMERROR", WXPAY_ERROR_BILL_FAILED },
  };

  f->mode = MODE_BILL_XML_ERROR;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) text = NULL;
      g_autoptr(GError) error = NULL;

      f->bill_msg = cases[i].msg;
      text = run_bill (f, FALSE, &error);
      g_assert_null (text);
      g_assert_error (error, WXPAY_ERROR, cases[i].code);
      g_assert_false (wxpay_error_is_outcome_unknown (error));
    }

  /* A corrupt gzip stream. */
  {
    static const guint8 bad_gz[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                                     0xff, 0xff };
    g_autoptr(GBytes) text = NULL;
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&f->bill_text, g_bytes_unref);
    f->bill_text = g_bytes_new_static (bad_gz, sizeof bad_gz);
    f->mode = MODE_BILL;
    text = run_bill (f, FALSE, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE);
  }
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *base = NULL;
  g_autofree char *appid = NULL;
  guint timeout = 0;
  GParamSpec *pspec;

  g_object_get (f->client, "base-uri", &base, "appid", &appid, "timeout", &timeout, NULL);
  g_assert_cmpstr (base, ==, f->base);
  g_assert_cmpstr (appid, ==, APPID);
  g_assert_cmpuint (timeout, ==, 5);
  g_assert_cmpstr (wxpay_client_get_appid (f->client), ==, APPID);
  g_assert_cmpstr (wxpay_client_get_mch_id (f->client), ==, MCH_ID);

  /* The key can be written, never read. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (f->client), "api-key");
  g_assert_nonnull (pspec);
  g_assert_false (pspec->flags & G_PARAM_READABLE);
  g_assert_true (wxpay_client_has_api_key (f->client));
}

static void
test_error_helpers (void)
{
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "t");
  g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "c");
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "n");

  g_assert_true (wxpay_error_is_outcome_unknown (timeout));
  g_assert_true (wxpay_error_is_outcome_unknown (closed));
  g_assert_false (wxpay_error_is_outcome_unknown (other));
  g_assert_false (wxpay_error_is_outcome_unknown (NULL));
  g_assert_cmpint (wxpay_error_from_err_code (NULL), ==, WXPAY_ERROR_UNKNOWN_ERR_CODE);
  g_assert_cmpint (wxpay_error_from_err_code ("orderpaid"), ==, WXPAY_ERROR_UNKNOWN_ERR_CODE);
  g_assert_cmpint (wxpay_error_from_err_code ("TIMEOUT"), ==, WXPAY_ERROR_UNKNOWN_ERR_CODE);
  g_assert_cmpstr (wxpay_error_code_to_string (WXPAY_ERROR_TIMEOUT), ==, "TIMEOUT");
  g_assert_cmpstr (wxpay_error_code_to_string (WXPAY_ERROR_NOTSUPORTCARD), ==, "NOTSUPORTCARD");
}

#define ADD(path, func) \
  g_test_add ("/wxpay/client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("success-every-api", test_success_every_api);
  ADD ("nonce-fresh-per-call", test_nonce_fresh_per_call);
  ADD ("err-codes", test_err_codes);
  ADD ("protocol-failures", test_protocol_failures);
  ADD ("hmac-round-trip", test_hmac_round_trip);
  ADD ("timeout", test_timeout);
  ADD ("connection-dropped", test_connection_dropped);
  ADD ("keep-alive", test_keep_alive);
  ADD ("connection-refused", test_connection_refused);
  ADD ("failover-to-backup", test_failover_to_backup);
  ADD ("config-errors", test_config_errors);
  ADD ("remote-http-refused", test_remote_http_refused);
  ADD ("cancel-before-send", test_cancel_before_send);
  ADD ("cancel-after-send", test_cancel_after_send);
  ADD ("downloadbill", test_downloadbill);
  ADD ("downloadbill-errors", test_downloadbill_errors);
  ADD ("properties", test_properties);
  g_test_add_func ("/wxpay/client/error-helpers", test_error_helpers);

  return g_test_run ();
}
