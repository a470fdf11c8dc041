/* test-sim-gateway.c: the gateway paths of an in-process WxpaySimServer, on the wire and
 * through libwxpay's WxpayClient.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sim-test-util.h"

typedef struct {
  WxpaySimServer *sim;
  SoupSession    *session;
  WxpayClient    *client;
  const char     *base;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->sim = sim_test_server_new (42, 1.0);
  fx->base = wxpay_sim_server_get_base_uri (fx->sim);
  fx->session = soup_session_new ();
  fx->client = sim_test_client_new (fx->base);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_object (&fx->client);
  g_clear_object (&fx->session);
  wxpay_sim_server_shutdown (fx->sim);
  g_clear_object (&fx->sim);
}

static WxpayParams *
raw (Fixture           *fx,
     const char        *path,
     const WxpayParams *business)
{
  g_autoptr(GError) error = NULL;
  WxpayParams *answer;

  answer = sim_test_raw_call (fx->session, fx->base, path, business, WXPAY_SIGN_TYPE_MD5, SIM_KEY,
                              &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static void
assert_return_fail (const WxpayParams *answer,
                    const char        *return_msg)
{
  g_assert_cmpstr (wxpay_params_get (answer, "return_code"), ==, "FAIL");
  g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, return_msg);
  /* §1: no sign (and no business fields) unless return_code=SUCCESS. */
  g_assert_false (wxpay_params_contains (answer, "sign"));
  g_assert_false (wxpay_params_contains (answer, "result_code"));
}

static void
assert_signed (const WxpayParams *answer,
               WxpaySignType      type)
{
  g_assert_cmpstr (wxpay_params_get (answer, "return_code"), ==, "SUCCESS");
  g_assert_true (wxpay_verify (answer, type, SIM_KEY));
  g_assert_cmpstr (wxpay_params_get (answer, "appid"), ==, SIM_APPID);
  g_assert_cmpstr (wxpay_params_get (answer, "mch_id"), ==, SIM_MCH_ID);
  g_assert_cmpuint (strlen (wxpay_params_get (answer, "nonce_str")), ==, 32);
}

static void
assert_err (const WxpayParams *answer,
            const char        *err_code)
{
  assert_signed (answer, WXPAY_SIGN_TYPE_MD5);
  g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "FAIL");
  g_assert_cmpstr (wxpay_params_get (answer, "err_code"), ==, err_code);
  g_assert_nonnull (wxpay_params_get (answer, "err_code_des"));
}

static void
assert_ok (const WxpayParams *answer)
{
  assert_signed (answer, WXPAY_SIGN_TYPE_MD5);
  g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "SUCCESS");
}

static char *
create_native (Fixture *fx,
               gint64   total_fee,
               char   **out_code_url)
{
  g_autofree char *no = sim_test_unique_no ("T");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, total_fee, NULL,
                                                      wxpay_sim_server_get_now (fx->sim));
  g_autoptr(WxpayParams) answer = raw (fx, "/pay/unifiedorder", req);

  assert_ok (answer);
  if (out_code_url != NULL)
    *out_code_url = g_strdup (wxpay_params_get (answer, "code_url"));
  return g_steal_pointer (&no);
}

static char *
create_paid (Fixture *fx,
             gint64   total_fee)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *no = create_native (fx, total_fee, NULL);

  g_assert_true (wxpay_sim_server_pay (fx->sim, no, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&no);
}

static WxpayParams *
query (Fixture    *fx,
       const char *out_trade_no)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();

  wxpay_params_set (req, "out_trade_no", out_trade_no);
  return raw (fx, "/pay/orderquery", req);
}

/* --- protocol ------------------------------------------------------------------------------ */

static void
test_protocol_bodies (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *uri = g_strconcat (fx->base, "/pay/unifiedorder", NULL);
  static const char latin1[] = "<xml><body>\xe9t\xe9</body></xml>";
  static const char doctype[] =
    "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
    "<xml><body>&x;</body></xml>";
  struct {
    const char *method;
    const char *body;
    const char *return_msg;
  } cases[] = {
    { "GET", NULL, "请使用post方法" },
    { "PUT", "<xml></xml>", "请使用post方法" },
    { "POST", "", "post数据为空" },
    { "POST", "  \n", "post数据为空" },
    { "POST", "<xml><body>x</body>", "XML格式错误" },
    { "POST", "not xml at all", "XML格式错误" },
    { "POST", "<xml><a><b>nested</b></a></xml>", "XML格式错误" },
    { "POST", doctype, "XML格式错误" },
    { "POST", latin1, "编码格式错误，请使用UTF-8编码" },
    { "POST", "<xml><appid>x</appid></xml>", "缺少参数mch_id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(WxpayParams) answer = NULL;
      guint status = 0;

      body = sim_test_http (fx->session, cases[i].method, uri, cases[i].body, -1, &status, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (status, ==, 200);
      answer = wxpay_xml_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
      g_assert_no_error (error);
      assert_return_fail (answer, cases[i].return_msg);
    }
}

static void
test_protocol_signature (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *no = sim_test_unique_no ("S");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, wxpay_sim_server_get_now (fx->sim));
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(WxpayParams) bad_mch = NULL;
  g_autoptr(WxpayParams) bad_appid = NULL;
  g_autoptr(WxpayParams) bad_type = NULL;
  g_autoptr(WxpayParams) hmac = NULL;
  g_autoptr(WxpayParams) hmac2 = NULL;

  /* Wrong key → 签名错误, and nothing was created. */
  answer = sim_test_raw_call (fx->session, fx->base, "/pay/unifiedorder", req, WXPAY_SIGN_TYPE_MD5,
                              "00000000000000000000000000000000", &error);
  g_assert_no_error (error);
  assert_return_fail (answer, "签名错误");
  g_clear_pointer (&answer, wxpay_params_unref);
  answer = query (fx, no);
  assert_err (answer, "ORDERNOTEXIST");

  bad_mch = wxpay_params_copy (req);
  wxpay_params_set (bad_mch, "mch_id", "99999999");
  g_clear_pointer (&answer, wxpay_params_unref);
  answer = raw (fx, "/pay/unifiedorder", bad_mch);
  assert_return_fail (answer, "商户号mch_id或sub_mch_id不存在");

  bad_appid = wxpay_params_copy (req);
  wxpay_params_set (bad_appid, "appid", "wx0000000000000000");
  g_clear_pointer (&answer, wxpay_params_unref);
  answer = raw (fx, "/pay/unifiedorder", bad_appid);
  assert_return_fail (answer, "appid和mch_id不匹配");

  /* An unknown sign_type (signed over as-is, with MD5). */
  {
    g_autofree char *uri = g_strconcat (fx->base, "/pay/unifiedorder", NULL);
    g_autofree char *sign = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GBytes) body = NULL;

    bad_type = wxpay_params_copy (req);
    wxpay_params_set (bad_type, "appid", SIM_APPID);
    wxpay_params_set (bad_type, "mch_id", SIM_MCH_ID);
    wxpay_params_set (bad_type, "nonce_str", "abcdefgh");
    wxpay_params_set (bad_type, "sign_type", "SHA1");
    sign = wxpay_sign (bad_type, WXPAY_SIGN_TYPE_MD5, SIM_KEY);
    wxpay_params_set (bad_type, "sign", sign);
    xml = wxpay_xml_encode_string (bad_type);
    body = sim_test_http (fx->session, "POST", uri, xml, -1, NULL, &error);
    g_assert_no_error (error);
    g_clear_pointer (&answer, wxpay_params_unref);
    answer = wxpay_xml_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
    g_assert_no_error (error);
    assert_return_fail (answer, "sign_type参数格式错误");
  }

  /* HMAC-SHA256 request → HMAC-SHA256 answer (64 hex), not verifiable as MD5. */
  hmac = sim_test_raw_call (fx->session, fx->base, "/pay/unifiedorder", req,
                            WXPAY_SIGN_TYPE_HMAC_SHA256, SIM_KEY, &error);
  g_assert_no_error (error);
  assert_signed (hmac, WXPAY_SIGN_TYPE_HMAC_SHA256);
  g_assert_cmpuint (strlen (wxpay_params_get (hmac, "sign")), ==, 64);
  g_assert_false (wxpay_verify (hmac, WXPAY_SIGN_TYPE_MD5, SIM_KEY));
  g_assert_cmpstr (wxpay_params_get (hmac, "result_code"), ==, "SUCCESS");

  /* A fresh nonce every time; identical re-entry gives the same code_url. */
  hmac2 = sim_test_raw_call (fx->session, fx->base, "/pay/unifiedorder", req,
                             WXPAY_SIGN_TYPE_HMAC_SHA256, SIM_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (hmac, "nonce_str"), !=, wxpay_params_get (hmac2, "nonce_str"));
  g_assert_cmpstr (wxpay_params_get (hmac, "code_url"), ==, wxpay_params_get (hmac2, "code_url"));
  g_assert_true (g_str_has_prefix (wxpay_params_get (hmac, "code_url"), "weixin://wxpay/bizpayurl?pr="));
}

static void
test_protocol_golden (Fixture       *fx,
                      gconstpointer  data)
{
  const char *files[][2] = {
    { "unifiedorder-vector-b-md5.xml", "MD5" },
    { "unifiedorder-vector-b-hmac.xml", "HMAC-SHA256" },
  };
  g_autofree char *uri = g_strconcat (fx->base, "/pay/unifiedorder", NULL);
  const char *data_dir = g_getenv ("SAOMA_TEST_DATA");

  if (data_dir == NULL)
    {
      g_test_skip ("SAOMA_TEST_DATA is not set");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (data_dir, "sim", files[i][0], NULL);
      g_autofree char *xml = NULL;
      g_autofree char *tampered = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GBytes) body2 = NULL;
      g_autoptr(WxpayParams) answer = NULL;
      g_autoptr(WxpayParams) answer2 = NULL;
      WxpaySignType type;
      gsize len;

      g_assert_true (g_file_get_contents (path, &xml, &len, &error));
      g_assert_no_error (error);
      g_assert_true (wxpay_sign_type_from_string (files[i][1], &type));

      /* At the vector's own time (2026-01-01 12:00 Beijing) the order is valid and created;
       * the second file re-enters it. */
      wxpay_sim_server_set_now (fx->sim, G_GINT64_CONSTANT (1767240000) * G_USEC_PER_SEC);
      body = sim_test_http (fx->session, "POST", uri, xml, len, NULL, &error);
      g_assert_no_error (error);
      answer = wxpay_xml_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (wxpay_params_get (answer, "return_code"), ==, "SUCCESS");
      g_assert_true (wxpay_verify (answer, type, SIM_KEY));
      g_assert_cmpstr (wxpay_params_get (answer, "result_code"), ==, "SUCCESS");
      g_assert_true (g_str_has_prefix (wxpay_params_get (answer, "code_url"), "weixin://wxpay/bizpayurl?pr="));

      /* One fen more under the same signature: refused. */
      tampered = g_strdup (xml);
      memcpy (strstr (tampered, "<total_fee>1<"), "<total_fee>2<", 13);
      body2 = sim_test_http (fx->session, "POST", uri, tampered, len, NULL, &error);
      g_assert_no_error (error);
      answer2 = wxpay_xml_decode (g_bytes_get_data (body2, NULL), g_bytes_get_size (body2), &error);
      g_assert_no_error (error);
      assert_return_fail (answer2, "签名错误");
    }
}

/* --- unifiedorder ------------------------------------------------------------------------ */

static void
test_unifiedorder_validation (Fixture       *fx,
                              gconstpointer  data)
{
  gint64 now = wxpay_sim_server_get_now (fx->sim);
  struct {
    const char *field;
    const char *value;     /* NULL: remove */
    const char *return_msg; /* return_code=FAIL */
    const char *err_code;   /* or result_code=FAIL */
  } cases[] = {
    { "body", NULL, NULL, "LACK_PARAMS" },
    { "notify_url", NULL, NULL, "LACK_PARAMS" },
    { "spbill_create_ip", NULL, NULL, "LACK_PARAMS" },
    { "product_id", NULL, NULL, "PARAM_ERROR" },
    { "out_trade_no", "12345", "out_trade_no参数格式错误", NULL },
    { "out_trade_no", "123456789012345678901234567890123", "out_trade_no参数格式错误", NULL },
    { "out_trade_no", "ORDER#0001", "out_trade_no参数格式错误", NULL },
    { "total_fee", "0", "invalid total_fee", NULL },
    { "total_fee", "-1", "invalid total_fee", NULL },
    { "total_fee", "1.00", "invalid total_fee", NULL },
    { "total_fee", "01", "invalid total_fee", NULL },
    { "spbill_create_ip", "localhost", "spbill_create_ip参数格式错误", NULL },
    { "notify_url", "http://example.com/notify?x=1", "notify_url参数格式错误", NULL },
    { "notify_url", "example.com/notify", "notify_url参数格式错误", NULL },
    { "trade_type", "MICROPAY", "trade_type参数格式错误", NULL },
    { "time_expire", "2026-01-01", "time_expire参数格式错误", NULL },
    { "time_start", "20261340000000", "time_start参数格式错误", NULL },
    { "fee_type", "USD", "fee_type参数格式错误", NULL },
    { "trade_type", "JSAPI", NULL, "PARAM_ERROR" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *no = sim_test_unique_no ("V");
      g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, now);
      g_autoptr(WxpayParams) answer = NULL;

      if (cases[i].value == NULL)
        wxpay_params_remove (req, cases[i].field);
      else
        wxpay_params_set (req, cases[i].field, cases[i].value);
      answer = raw (fx, "/pay/unifiedorder", req);
      if (cases[i].return_msg != NULL)
        assert_return_fail (answer, cases[i].return_msg);
      else
        assert_err (answer, cases[i].err_code);
    }

  /* time_expire less than five minutes after time_start. */
  {
    g_autofree char *no = sim_test_unique_no ("V");
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, now);
    g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
    g_autoptr(GDateTime) short_end = g_date_time_add_seconds (start, 299);
    g_autofree char *text = wxpay_time_format (short_end);
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(WxpayParams) q = NULL;

    wxpay_params_set (req, "time_expire", text);
    answer = raw (fx, "/pay/unifiedorder", req);
    assert_err (answer, "PARAM_ERROR");
    g_assert_nonnull (strstr (wxpay_params_get (answer, "err_code_des"), "time_expire时间过短"));
    q = query (fx, no);
    assert_err (q, "ORDERNOTEXIST");
  }
}

static void
test_unifiedorder_reentry (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *no = sim_test_unique_no ("R");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 100, NULL, wxpay_sim_server_get_now (fx->sim));
  g_autoptr(WxpayParams) first = raw (fx, "/pay/unifiedorder", req);
  g_autoptr(WxpayParams) again = raw (fx, "/pay/unifiedorder", req);
  g_autoptr(WxpayParams) changed = wxpay_params_copy (req);
  g_autoptr(WxpayParams) diff = NULL;
  g_autoptr(WxpayParams) paid = NULL;
  g_autoptr(GError) error = NULL;

  assert_ok (first);
  assert_ok (again);
  g_assert_cmpstr (wxpay_params_get (first, "code_url"), ==, wxpay_params_get (again, "code_url"));
  g_assert_cmpstr (wxpay_params_get (first, "prepay_id"), ==, wxpay_params_get (again, "prepay_id"));
  g_assert_cmpstr (wxpay_params_get (first, "trade_type"), ==, "NATIVE");

  wxpay_params_set (changed, "total_fee", "101");
  diff = raw (fx, "/pay/unifiedorder", changed);
  assert_err (diff, "INVALID_REQUEST");

  g_assert_true (wxpay_sim_server_pay (fx->sim, no, &error));
  paid = raw (fx, "/pay/unifiedorder", req);
  assert_err (paid, "ORDERPAID");

  /* Paying twice is refused. */
  g_assert_false (wxpay_sim_server_pay (fx->sim, no, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERPAID);
}

static void
test_unifiedorder_expiry (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *no = sim_test_unique_no ("E");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 100, NULL, wxpay_sim_server_get_now (fx->sim));
  g_autoptr(WxpayParams) created = raw (fx, "/pay/unifiedorder", req);
  g_autoptr(WxpayParams) q1 = NULL;
  g_autoptr(WxpayParams) q2 = NULL;
  g_autoptr(WxpayParams) again = NULL;
  g_autoptr(WxpayParams) close = NULL;
  g_autoptr(GError) error = NULL;

  assert_ok (created);
  q1 = query (fx, no);
  g_assert_cmpstr (wxpay_params_get (q1, "trade_state"), ==, "NOTPAY");

  /* time_expire is 10 minutes after time_start. */
  wxpay_sim_server_advance_clock (fx->sim, 601);
  q2 = query (fx, no);
  assert_ok (q2);
  g_assert_cmpstr (wxpay_params_get (q2, "trade_state"), ==, "CLOSED");
  g_assert_false (wxpay_params_contains (q2, "transaction_id"));

  g_assert_false (wxpay_sim_server_pay (fx->sim, no, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERCLOSED);

  again = raw (fx, "/pay/unifiedorder", req);
  assert_err (again, "ORDERCLOSED");

  close = raw (fx, "/pay/closeorder", NULL);
  assert_err (close, "LACK_PARAMS");

  /* Without time_expire the code_url still dies after two hours. */
  {
    g_autofree char *open_no = sim_test_unique_no ("O");
    g_autoptr(WxpayParams) open_req = sim_test_native_order (open_no, 1, NULL,
                                                             wxpay_sim_server_get_now (fx->sim));
    g_autoptr(WxpayParams) open_created = NULL;
    g_autoptr(WxpayParams) before = NULL;
    g_autoptr(WxpayParams) after = NULL;

    wxpay_params_remove (open_req, "time_start");
    wxpay_params_remove (open_req, "time_expire");
    open_created = raw (fx, "/pay/unifiedorder", open_req);
    assert_ok (open_created);
    wxpay_sim_server_advance_clock (fx->sim, 2 * 3600 - 10);
    before = query (fx, open_no);
    g_assert_cmpstr (wxpay_params_get (before, "trade_state"), ==, "NOTPAY");
    wxpay_sim_server_advance_clock (fx->sim, 11);
    after = query (fx, open_no);
    g_assert_cmpstr (wxpay_params_get (after, "trade_state"), ==, "CLOSED");
  }
}

/* --- closeorder --------------------------------------------------------------------------- */

static void
test_closeorder_rule (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *no = create_native (fx, 10, NULL);
  g_autofree char *paid_no = create_paid (fx, 10);
  g_autoptr(WxpayParams) req = wxpay_params_new ();
  g_autoptr(WxpayParams) paid_req = wxpay_params_new ();
  g_autoptr(WxpayParams) missing = wxpay_params_new ();
  g_autoptr(WxpayParams) early = NULL;
  g_autoptr(WxpayParams) q1 = NULL;
  g_autoptr(WxpayParams) ok = NULL;
  g_autoptr(WxpayParams) q2 = NULL;
  g_autoptr(WxpayParams) twice = NULL;
  g_autoptr(WxpayParams) paid = NULL;
  g_autoptr(WxpayParams) unknown = NULL;
  g_autoptr(GError) error = NULL;

  wxpay_params_set (req, "out_trade_no", no);
  early = raw (fx, "/pay/closeorder", req);
  assert_err (early, "SYSTEMERROR");
  g_assert_cmpstr (wxpay_params_get (early, "err_code_des"), ==, "system error");
  q1 = query (fx, no);
  g_assert_cmpstr (wxpay_params_get (q1, "trade_state"), ==, "NOTPAY");

  wxpay_sim_server_advance_clock (fx->sim, 299);
  g_clear_pointer (&early, wxpay_params_unref);
  early = raw (fx, "/pay/closeorder", req);
  assert_err (early, "SYSTEMERROR");

  wxpay_sim_server_advance_clock (fx->sim, 2);
  ok = raw (fx, "/pay/closeorder", req);
  assert_ok (ok);
  g_assert_cmpstr (wxpay_params_get (ok, "result_msg"), ==, "OK");
  q2 = query (fx, no);
  g_assert_cmpstr (wxpay_params_get (q2, "trade_state"), ==, "CLOSED");
  twice = raw (fx, "/pay/closeorder", req);
  assert_err (twice, "ORDERCLOSED");
  g_assert_false (wxpay_sim_server_pay (fx->sim, no, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERCLOSED);

  wxpay_params_set (paid_req, "out_trade_no", paid_no);
  paid = raw (fx, "/pay/closeorder", paid_req);
  assert_err (paid, "ORDERPAID");

  wxpay_params_set (missing, "out_trade_no", "NOSUCHORDER01");
  unknown = raw (fx, "/pay/closeorder", missing);
  assert_err (unknown, "ORDERNOTEXIST");
}

/* --- orderquery --------------------------------------------------------------------------- */

static void
test_orderquery_states (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *no = create_native (fx, 250, NULL);
  g_autofree char *failing = create_native (fx, 250, NULL);
  g_autoptr(WxpayParams) q = NULL;
  g_autoptr(WxpayParams) by_tx = wxpay_params_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;

  q = query (fx, no);
  assert_ok (q);
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "NOTPAY");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state_desc"), ==, "订单未支付");
  g_assert_cmpstr (wxpay_params_get (q, "out_trade_no"), ==, no);
  g_assert_false (wxpay_params_contains (q, "transaction_id"));

  g_assert_true (wxpay_sim_server_set_user_paying (fx->sim, no, &error));
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, no);
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "USERPAYING");

  g_assert_true (wxpay_sim_server_pay (fx->sim, no, &error));
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, no);
  assert_ok (q);
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "SUCCESS");
  g_assert_cmpstr (wxpay_params_get (q, "total_fee"), ==, "250");
  g_assert_cmpstr (wxpay_params_get (q, "cash_fee"), ==, "250");
  g_assert_cmpstr (wxpay_params_get (q, "trade_type"), ==, "NATIVE");
  g_assert_cmpuint (strlen (wxpay_params_get (q, "transaction_id")), ==, 28);
  g_assert_cmpuint (strlen (wxpay_params_get (q, "time_end")), ==, 14);
  g_assert_nonnull (wxpay_params_get (q, "openid"));
  transaction_id = g_strdup (wxpay_params_get (q, "transaction_id"));

  /* transaction_id takes priority over out_trade_no. */
  wxpay_params_set (by_tx, "transaction_id", transaction_id);
  wxpay_params_set (by_tx, "out_trade_no", "IGNORED000");
  g_clear_pointer (&q, wxpay_params_unref);
  q = raw (fx, "/pay/orderquery", by_tx);
  assert_ok (q);
  g_assert_cmpstr (wxpay_params_get (q, "out_trade_no"), ==, no);

  g_assert_true (wxpay_sim_server_fail (fx->sim, failing, &error));
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, failing);
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "PAYERROR");

  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "NOSUCHORDER02");
  assert_err (q, "ORDERNOTEXIST");
}

/* --- refunds ------------------------------------------------------------------------------ */

static WxpayParams *
refund (Fixture    *fx,
        const char *out_trade_no,
        const char *out_refund_no,
        gint64      total_fee,
        gint64      refund_fee)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();

  wxpay_params_set (req, "out_trade_no", out_trade_no);
  wxpay_params_set (req, "out_refund_no", out_refund_no);
  wxpay_params_set_int64 (req, "total_fee", total_fee);
  wxpay_params_set_int64 (req, "refund_fee", refund_fee);
  return raw (fx, "/secapi/pay/refund", req);
}

static void
test_refunds (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *no = create_paid (fx, 1000);
  g_autofree char *unpaid = create_native (fx, 1000, NULL);
  g_autoptr(WxpayParams) r1 = refund (fx, no, "RF0000001", 1000, 300);
  g_autoptr(WxpayParams) r1again = refund (fx, no, "RF0000001", 1000, 300);
  g_autoptr(WxpayParams) r1changed = refund (fx, no, "RF0000001", 1000, 301);
  g_autoptr(WxpayParams) wrong_total = refund (fx, no, "RF0000002", 999, 1);
  g_autoptr(WxpayParams) over = refund (fx, no, "RF0000003", 1000, 701);
  g_autoptr(WxpayParams) r2 = refund (fx, no, "RF0000004", 1000, 700);
  g_autoptr(WxpayParams) full = refund (fx, no, "RF0000005", 1000, 1);
  g_autoptr(WxpayParams) not_paid = refund (fx, unpaid, "RF0000006", 1000, 1);
  g_autoptr(WxpayParams) q = NULL;
  g_autoptr(WxpayParams) rq = wxpay_params_new ();
  g_autoptr(WxpayParams) status = NULL;

  assert_ok (r1);
  g_assert_cmpstr (wxpay_params_get (r1, "refund_fee"), ==, "300");
  g_assert_cmpstr (wxpay_params_get (r1, "total_fee"), ==, "1000");
  g_assert_cmpstr (wxpay_params_get (r1, "out_refund_no"), ==, "RF0000001");
  assert_ok (r1again);
  g_assert_cmpstr (wxpay_params_get (r1, "refund_id"), ==, wxpay_params_get (r1again, "refund_id"));
  assert_err (r1changed, "PARAM_ERROR");
  assert_err (wrong_total, "PARAM_ERROR");
  assert_err (over, "ERROR");
  g_assert_nonnull (strstr (wxpay_params_get (over, "err_code_des"), "累计退款金额大于支付金额"));
  assert_ok (r2);
  assert_err (full, "ERROR");
  assert_err (not_paid, "ORDERNOTEXIST");

  q = query (fx, no);
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "REFUND");

  /* PROCESSING, then SUCCESS a few sim seconds later. */
  wxpay_params_set (rq, "out_refund_no", "RF0000001");
  status = raw (fx, "/pay/refundquery", rq);
  assert_ok (status);
  g_assert_cmpstr (wxpay_params_get (status, "refund_status_0"), ==, "PROCESSING");
  g_assert_false (wxpay_params_contains (status, "refund_success_time_0"));
  wxpay_sim_server_advance_clock (fx->sim, 6);
  g_clear_pointer (&status, wxpay_params_unref);
  status = raw (fx, "/pay/refundquery", rq);
  g_assert_cmpstr (wxpay_params_get (status, "refund_status_0"), ==, "SUCCESS");
  g_assert_cmpuint (strlen (wxpay_params_get (status, "refund_success_time_0")), ==, 19);
}

static void
test_refund_limit (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *no = create_paid (fx, 100);
  g_autoptr(WxpayParams) last = NULL;
  g_autoptr(WxpayParams) rq = wxpay_params_new ();
  g_autoptr(WxpayParams) page = NULL;
  g_autoptr(WxpayParams) page2 = NULL;
  g_autoptr(WxpayParams) beyond = NULL;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *rno = g_strdup_printf ("LIM%s_%02u", no, i);
      g_autoptr(WxpayParams) r = refund (fx, no, rno, 100, 1);

      assert_ok (r);
    }
  last = refund (fx, no, "LIMIT_51ST", 100, 1);
  assert_err (last, "ERROR");
  g_assert_nonnull (strstr (wxpay_params_get (last, "err_code_des"), "50"));

  /* refundquery by out_trade_no pages 10 refunds at a time. */
  wxpay_params_set (rq, "out_trade_no", no);
  page = raw (fx, "/pay/refundquery", rq);
  assert_ok (page);
  g_assert_cmpstr (wxpay_params_get (page, "total_refund_count"), ==, "50");
  g_assert_cmpstr (wxpay_params_get (page, "refund_count"), ==, "10");
  g_assert_true (wxpay_params_contains (page, "refund_id_9"));
  g_assert_false (wxpay_params_contains (page, "refund_id_10"));
  wxpay_params_set (rq, "offset", "45");
  page2 = raw (fx, "/pay/refundquery", rq);
  g_assert_cmpstr (wxpay_params_get (page2, "refund_count"), ==, "5");
  g_assert_true (g_str_has_suffix (wxpay_params_get (page2, "out_refund_no_0"), "_45"));
  wxpay_params_set (rq, "offset", "50");
  beyond = raw (fx, "/pay/refundquery", rq);
  assert_err (beyond, "PARAM_ERROR");
}

static void
test_refundquery_keys (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *no = create_paid (fx, 500);
  g_autofree char *plain = create_paid (fx, 500);
  g_autoptr(WxpayParams) r = refund (fx, no, "RQ0000001", 500, 200);
  const char *keys[] = { "refund_id", "out_refund_no", "transaction_id", "out_trade_no" };
  g_autoptr(WxpayParams) q = query (fx, no);

  assert_ok (r);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(WxpayParams) req = wxpay_params_new ();
      g_autoptr(WxpayParams) answer = NULL;
      const char *value = i == 0 ? wxpay_params_get (r, "refund_id")
                        : i == 1 ? "RQ0000001"
                        : i == 2 ? wxpay_params_get (q, "transaction_id")
                        : no;

      wxpay_params_set (req, keys[i], value);
      answer = raw (fx, "/pay/refundquery", req);
      assert_ok (answer);
      g_assert_cmpstr (wxpay_params_get (answer, "out_trade_no"), ==, no);
      g_assert_cmpstr (wxpay_params_get (answer, "refund_count"), ==, "1");
      g_assert_cmpstr (wxpay_params_get (answer, "refund_fee_0"), ==, "200");
      g_assert_cmpstr (wxpay_params_get (answer, "out_refund_no_0"), ==, "RQ0000001");
      g_assert_cmpstr (wxpay_params_get (answer, "refund_channel_0"), ==, "ORIGINAL");
      g_assert_cmpstr (wxpay_params_get (answer, "total_fee"), ==, "500");
    }

  {
    g_autoptr(WxpayParams) req = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(WxpayParams) none = wxpay_params_new ();
    g_autoptr(WxpayParams) answer2 = NULL;

    wxpay_params_set (req, "out_trade_no", plain);
    answer = raw (fx, "/pay/refundquery", req);
    assert_err (answer, "REFUNDNOTEXIST");
    wxpay_params_set (none, "out_refund_no", "NOSUCHREFUND");
    answer2 = raw (fx, "/pay/refundquery", none);
    assert_err (answer2, "REFUNDNOTEXIST");
  }
}

/* --- bills -------------------------------------------------------------------------------- */

static void
test_bills (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *a = create_paid (fx, 101);
  g_autofree char *b = create_paid (fx, 2050);
  g_autofree char *unpaid = create_native (fx, 999, NULL);
  g_autoptr(WxpayParams) r = refund (fx, b, "BILLREF01", 2050, 50);
  g_autofree char *day = sim_test_bill_date (wxpay_sim_server_get_now (fx->sim));
  g_autoptr(GError) error = NULL;
  struct {
    const char *type;
    gboolean    gzip;
    guint       rows;
    guint       columns;
    gint64      settlement;
    gint64      refund;
  } cases[] = {
    { "ALL", FALSE, 3, 27, 2151, 50 },
    { "ALL", TRUE, 3, 27, 2151, 50 },
    { "SUCCESS", FALSE, 2, 20, 2151, 0 },
    { "REFUND", TRUE, 1, 29, 0, 50 },
  };

  assert_ok (r);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) text = sim_test_client_bill (fx->client, day, cases[i].type, cases[i].gzip, &error);
      g_autoptr(WxpayBill) bill = NULL;
      gboolean saw_b = FALSE;

      g_assert_no_error (error);
      g_assert_nonnull (text);
      /* Every data field starts with a backtick (§11). */
      g_assert_nonnull (strstr (g_bytes_get_data (text, NULL), "\n`"));
      bill = wxpay_bill_parse (text, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bill->columns->len, ==, cases[i].columns);
      g_assert_cmpuint (bill->rows->len, ==, cases[i].rows);
      g_assert_cmpint (bill->summary_count, ==, cases[i].rows);
      g_assert_cmpint (bill->summary_settlement_total, ==, cases[i].settlement);
      if (strcmp (cases[i].type, "SUCCESS") != 0)
        g_assert_cmpint (bill->summary_refund_total, ==, cases[i].refund);
      for (guint j = 0; j < bill->rows->len; j++)
        {
          WxpayBillRow *row = g_ptr_array_index (bill->rows, j);

          g_assert_cmpstr (row->appid, ==, SIM_APPID);
          g_assert_cmpstr (row->mch_id, ==, SIM_MCH_ID);
          g_assert_cmpstr (row->out_trade_no, !=, unpaid);
          if (g_strcmp0 (row->out_trade_no, b) == 0 && g_strcmp0 (row->trade_state, "SUCCESS") == 0)
            {
              saw_b = TRUE;
              g_assert_cmpint (row->settlement_fee, ==, 2050);
              g_assert_cmpstr (row->trade_type, ==, "NATIVE");
              g_assert_cmpstr (row->body, ==, "收银台-测试商品");
            }
          if (g_strcmp0 (row->trade_state, "REFUND") == 0)
            {
              g_assert_cmpstr (row->out_refund_no, ==, "BILLREF01");
              g_assert_cmpint (row->refund_fee, ==, 50);
            }
        }
      g_assert_true (saw_b || strcmp (cases[i].type, "REFUND") == 0);
    }

  /* A SYSTEMERROR answer is a failure, not a bill. */
  {
    g_autoptr(GBytes) failed = NULL;

    g_assert_true (wxpay_sim_server_set_faults (fx->sim, "{\"systemerror\":1,\"path\":\"/pay/downloadbill\"}", &error));
    failed = sim_test_client_bill (fx->client, day, "ALL", FALSE, &error);
    g_assert_null (failed);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED);
    g_clear_error (&error);
    g_assert_true (wxpay_sim_server_set_faults (fx->sim, NULL, &error));
  }

  /* A day without payments. */
  {
    g_autoptr(GBytes) none = sim_test_client_bill (fx->client, "20200101", "ALL", FALSE, &error);

    g_assert_null (none);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_NOT_EXIST);
    g_clear_error (&error);
  }
  /* Raw: the error XML carries error_code, and bad parameters are refused. */
  {
    g_autoptr(WxpayParams) req = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;

    wxpay_params_set (req, "bill_date", "20200101");
    wxpay_params_set (req, "bill_type", "ALL");
    answer = raw (fx, "/pay/downloadbill", req);
    g_assert_cmpstr (wxpay_params_get (answer, "return_code"), ==, "FAIL");
    g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, "No Bill Exist");
    g_assert_cmpstr (wxpay_params_get (answer, "error_code"), ==, "20002");
    g_clear_pointer (&answer, wxpay_params_unref);

    wxpay_params_set (req, "bill_type", "EVERYTHING");
    answer = raw (fx, "/pay/downloadbill", req);
    g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, "invalid bill_type");
    g_clear_pointer (&answer, wxpay_params_unref);

    wxpay_params_set (req, "bill_type", "ALL");
    wxpay_params_set (req, "bill_date", "2020-1-1");
    answer = raw (fx, "/pay/downloadbill", req);
    g_assert_cmpstr (wxpay_params_get (answer, "return_msg"), ==, "data format error");
  }
}

/* --- micropay and reverse ----------------------------------------------------------------- */

static WxpayParams *
micropay (Fixture    *fx,
          const char *out_trade_no,
          const char *auth_code,
          gint64      total_fee)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();

  wxpay_params_set (req, "body", "超市-收银");
  wxpay_params_set (req, "out_trade_no", out_trade_no);
  wxpay_params_set_int64 (req, "total_fee", total_fee);
  wxpay_params_set (req, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (req, "auth_code", auth_code);
  return raw (fx, "/pay/micropay", req);
}

static void
test_micropay_magic (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(WxpayParams) ok = micropay (fx, "MP00000001", "134567890123456780", 100);
  g_autoptr(WxpayParams) retry = micropay (fx, "MP00000001", "134567890123456780", 100);
  g_autoptr(WxpayParams) reused = micropay (fx, "MP00000002", "134567890123456780", 100);
  g_autoptr(WxpayParams) paying = micropay (fx, "MP00000003", "134567890123456781", 100);
  g_autoptr(WxpayParams) failing = micropay (fx, "MP00000004", "134567890123456782", 100);
  g_autoptr(WxpayParams) expired = micropay (fx, "MP00000005", "134567890123456783", 100);
  g_autoptr(WxpayParams) poor = micropay (fx, "MP00000006", "134567890123456784", 100);
  g_autoptr(WxpayParams) bad = micropay (fx, "MP00000007", "164567890123456780", 100);
  g_autoptr(WxpayParams) big = micropay (fx, "MP00000008", "104567890123456789", 100001);
  g_autoptr(WxpayParams) q = NULL;

  assert_ok (ok);
  g_assert_cmpstr (wxpay_params_get (ok, "trade_type"), ==, "MICROPAY");
  g_assert_cmpstr (wxpay_params_get (ok, "total_fee"), ==, "100");
  g_assert_nonnull (wxpay_params_get (ok, "transaction_id"));
  assert_ok (retry);
  g_assert_cmpstr (wxpay_params_get (ok, "transaction_id"), ==, wxpay_params_get (retry, "transaction_id"));
  assert_err (reused, "AUTH_CODE_INVALID");
  assert_err (paying, "USERPAYING");
  assert_err (failing, "USERPAYING");
  assert_err (expired, "AUTHCODEEXPIRE");
  assert_err (poor, "NOTENOUGH");
  assert_err (bad, "AUTH_CODE_ERROR");
  assert_err (big, "USERPAYING");

  q = query (fx, "MP00000005");
  assert_err (q, "ORDERNOTEXIST");
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "MP00000006");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "PAYERROR");
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "MP00000003");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "USERPAYING");

  wxpay_sim_server_advance_clock (fx->sim, 11);
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "MP00000003");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "SUCCESS");
  g_assert_cmpstr (wxpay_params_get (q, "trade_type"), ==, "MICROPAY");
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "MP00000004");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "PAYERROR");
  g_clear_pointer (&q, wxpay_params_unref);
  q = query (fx, "MP00000008");
  g_assert_cmpstr (wxpay_params_get (q, "trade_state"), ==, "SUCCESS");
}

static void
test_reverse (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(WxpayParams) paid = micropay (fx, "RV00000001", "114567890123456780", 100);
  g_autoptr(WxpayParams) paying = micropay (fx, "RV00000002", "114567890123456781", 100);
  g_autofree char *native = create_native (fx, 100, NULL);
  const char *cases[][2] = {
    { "RV00000001", NULL },
    { "RV00000002", NULL },
    { "RV00000001", NULL },     /* again: idempotent */
    { native, "TRADE_ERROR" },
    { "RV00000099", "ORDERNOTEXIST" },
  };

  assert_ok (paid);
  assert_err (paying, "USERPAYING");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WxpayParams) req = wxpay_params_new ();
      g_autoptr(WxpayParams) answer = NULL;

      wxpay_params_set (req, "out_trade_no", cases[i][0]);
      answer = raw (fx, "/secapi/pay/reverse", req);
      if (cases[i][1] == NULL)
        assert_ok (answer);
      else
        assert_err (answer, cases[i][1]);
      g_assert_cmpstr (wxpay_params_get (answer, "recall"), ==, "N");
    }

  {
    g_autoptr(WxpayParams) q1 = query (fx, "RV00000001");
    g_autoptr(WxpayParams) q2 = query (fx, "RV00000002");

    g_assert_cmpstr (wxpay_params_get (q1, "trade_state"), ==, "REVOKED");
    g_assert_cmpstr (wxpay_params_get (q2, "trade_state"), ==, "REVOKED");
  }

  /* Beyond seven days: REVERSE_EXPIRE. */
  {
    g_autoptr(WxpayParams) old = micropay (fx, "RV00000003", "114567890123456700", 100);
    g_autoptr(WxpayParams) req = wxpay_params_new ();
    g_autoptr(WxpayParams) answer = NULL;

    assert_ok (old);
    wxpay_sim_server_advance_clock (fx->sim, 8 * 24 * 3600);
    wxpay_params_set (req, "out_trade_no", "RV00000003");
    answer = raw (fx, "/secapi/pay/reverse", req);
    assert_err (answer, "REVERSE_EXPIRE");
  }
}

/* --- the client's view ---------------------------------------------------------------------- */

static void
test_client_flow (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *no = sim_test_unique_no ("C");
  g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, wxpay_sim_server_get_now (fx->sim));
  g_autoptr(WxpayParams) created = NULL;
  g_autoptr(WxpayParams) q = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint type = 0; type < 2; type++)
    {
      g_object_set (fx->client, "sign-type", type == 0 ? WXPAY_SIGN_TYPE_MD5 : WXPAY_SIGN_TYPE_HMAC_SHA256,
                    NULL);
      g_clear_pointer (&created, wxpay_params_unref);
      created = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (wxpay_params_get (created, "code_url"), "weixin://wxpay/bizpayurl?pr="));
    }

  wxpay_params_set (q, "out_trade_no", no);
  answer = sim_test_client_call (fx->client, "/pay/orderquery", q, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "NOTPAY");

  g_assert_true (wxpay_sim_server_pay (fx->sim, no, &error));
  g_clear_pointer (&answer, wxpay_params_unref);
  answer = sim_test_client_call (fx->client, "/pay/orderquery", q, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "SUCCESS");

  g_clear_pointer (&answer, wxpay_params_unref);
  answer = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
  g_assert_null (answer);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERPAID);
  g_clear_error (&error);

  wxpay_client_set_api_key (fx->client, "ffffffffffffffffffffffffffffffff");
  answer = sim_test_client_call (fx->client, "/pay/orderquery", q, &error);
  g_assert_null (answer);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
}

/* --- faults --------------------------------------------------------------------------------- */

static void
set_faults (Fixture    *fx,
            const char *json)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wxpay_sim_server_set_faults (fx->sim, json, &error));
  g_assert_no_error (error);
}

static guint
count_orders (Fixture    *fx,
              const char *out_trade_no)
{
  g_autofree char *json = wxpay_sim_server_dup_orders_json (fx->sim);
  g_autofree char *needle = g_strdup_printf ("\"out_trade_no\":\"%s\"", out_trade_no);
  guint n = 0;

  for (const char *p = strstr (json, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_faults (Fixture       *fx,
             gconstpointer  data)
{
  gint64 now = wxpay_sim_server_get_now (fx->sim);
  struct {
    const char *json;
    WxpayError  code;
    gboolean    created;
    gboolean    unknown;
  } cases[] = {
    { "{\"drop_before\":1}", WXPAY_ERROR_CONNECTION_LOST, FALSE, TRUE },
    { "{\"drop_after\":1}", WXPAY_ERROR_CONNECTION_LOST, TRUE, TRUE },
    { "{\"http_500\":1}", WXPAY_ERROR_HTTP_SERVER, FALSE, TRUE },
    { "{\"http_502\":1.0}", WXPAY_ERROR_HTTP_SERVER, FALSE, TRUE },
    { "{\"systemerror\":1}", WXPAY_ERROR_SYSTEMERROR, FALSE, TRUE },
    { "{\"bad_sign\":1}", WXPAY_ERROR_BAD_SIGNATURE, TRUE, TRUE },
    { "[{\"path\":\"/pay/orderquery\",\"systemerror\":1},{\"path\":\"/pay/unifiedorder\",\"drop_after\":1}]",
      WXPAY_ERROR_CONNECTION_LOST, TRUE, TRUE },
    { "{\"path\":\"/pay/orderquery\",\"http_500\":1}", 0, TRUE, FALSE },
    /* Faults after a delay: the message was paused meanwhile. */
    { "{\"latency_ms\":50,\"drop_after\":1}", WXPAY_ERROR_CONNECTION_LOST, TRUE, TRUE },
    { "{\"latency_ms\":50,\"drop_before\":1}", WXPAY_ERROR_CONNECTION_LOST, FALSE, TRUE },
    { "{\"latency_ms\":50,\"http_500\":1}", WXPAY_ERROR_HTTP_SERVER, FALSE, TRUE },
    { "{\"latency_ms\":50,\"systemerror\":1}", WXPAY_ERROR_SYSTEMERROR, FALSE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *no = sim_test_unique_no ("F");
      g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, now);
      g_autoptr(WxpayParams) answer = NULL;
      g_autoptr(WxpayParams) again = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("fault %s", cases[i].json);
      set_faults (fx, cases[i].json);
      answer = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
      if (cases[i].code != 0)
        {
          g_assert_null (answer);
          g_assert_error (error, WXPAY_ERROR, cases[i].code);
          g_assert_true (wxpay_error_is_outcome_unknown (error) == cases[i].unknown);
        }
      else
        g_assert_no_error (error);
      g_assert_cmpuint (count_orders (fx, no), ==, cases[i].created ? 1 : 0);

      /* With the faults gone, re-entry recovers: the same order, or a new one. */
      set_faults (fx, NULL);
      g_clear_error (&error);
      again = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (count_orders (fx, no), ==, 1);
      if (answer != NULL)
        g_assert_cmpstr (wxpay_params_get (answer, "code_url"), ==, wxpay_params_get (again, "code_url"));
    }

  /* Latency. */
  {
    g_autofree char *no = sim_test_unique_no ("L");
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, now);
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time ();

    set_faults (fx, "{\"latency_ms\":300,\"path\":\"/pay/unifiedorder\"}");
    answer = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
    set_faults (fx, NULL);
  }

  /* A client that gives up during the latency: the late answer must not upset the server. */
  {
    g_autofree char *no = sim_test_unique_no ("K");
    g_autoptr(WxpayParams) req = sim_test_native_order (no, 1, NULL, now);
    g_autoptr(WxpayClient) impatient = sim_test_client_new (fx->base);
    g_autoptr(WxpayParams) answer = NULL;
    g_autoptr(WxpayParams) later = NULL;
    g_autoptr(GError) error = NULL;

    g_object_set (impatient, "timeout", 1, NULL);
    set_faults (fx, "{\"latency_ms\":1500,\"path\":\"/pay/unifiedorder\"}");
    answer = sim_test_client_call (impatient, "/pay/unifiedorder", req, &error);
    g_assert_null (answer);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_TIMEOUT);
    g_clear_error (&error);
    sim_test_spin (800);
    set_faults (fx, NULL);
    /* The delayed request was processed after all: re-entry finds the order. */
    later = sim_test_client_call (fx->client, "/pay/unifiedorder", req, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (count_orders (fx, no), ==, 1);
  }

  /* Bad selections are refused and keep the old one. */
  {
    g_autoptr(GError) error = NULL;

    set_faults (fx, "{\"systemerror\":0}");
    g_assert_false (wxpay_sim_server_set_faults (fx->sim, "{\"systemerror\":2}", &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_false (wxpay_sim_server_set_faults (fx->sim, "{\"explode\":1}", &error));
    g_clear_error (&error);
    g_assert_false (wxpay_sim_server_set_faults (fx->sim, "{\"drop_after\":", &error));
    g_clear_error (&error);
    g_assert_false (wxpay_sim_server_set_faults (fx->sim, "{\"path\":\"pay\"}", &error));
    g_clear_error (&error);
  }
}

/* A caller that does not want the error (GError ** = NULL) gets FALSE, not a crash. */
static void
test_faults_without_error (void)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (0, 1.0);
  const char *bad[] = { "{\"drop_after\":", "[1,", "{\"x\" 1}", "\"\\u12\"", "nul", "{}x" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (wxpay_sim_server_set_faults (sim, bad[i], NULL));
  g_assert_true (wxpay_sim_server_set_faults (sim, "{\"systemerror\":0}", NULL));

  /* Nesting a parser would recurse into without end is refused, not followed. */
  {
    g_autoptr(GString) deep = g_string_new (NULL);
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 200000; i++)
      g_string_append_c (deep, ']');
    g_assert_false (wxpay_sim_server_set_faults (sim, deep->str, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  wxpay_sim_server_shutdown (sim);
}

static char *
fault_sequence (guint64 seed)
{
  g_autoptr(WxpaySimServer) sim = sim_test_server_new (seed, 1.0);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GString) seq = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (wxpay_sim_server_set_faults (sim, "{\"systemerror\":0.5}", &error));
  for (guint i = 0; i < 24; i++)
    {
      g_autoptr(WxpayParams) req = wxpay_params_new ();
      g_autoptr(WxpayParams) answer = NULL;

      wxpay_params_set (req, "out_trade_no", "SEQUENCE01");
      answer = sim_test_raw_call (session, wxpay_sim_server_get_base_uri (sim), "/pay/orderquery",
                                  req, WXPAY_SIGN_TYPE_MD5, SIM_KEY, &error);
      g_assert_no_error (error);
      g_string_append_c (seq, g_strcmp0 (wxpay_params_get (answer, "err_code"), "SYSTEMERROR") == 0 ? 'S' : '.');
    }
  wxpay_sim_server_shutdown (sim);

  return g_string_free (g_steal_pointer (&seq), FALSE);
}

static void
test_faults_reproducible (void)
{
  g_autofree char *a = fault_sequence (7);
  g_autofree char *b = fault_sequence (7);
  g_autofree char *c = fault_sequence (8);

  g_test_message ("seed 7: %s, seed 8: %s", a, c);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_nonnull (strchr (a, 'S'));
  g_assert_nonnull (strchr (a, '.'));
}

/* --- control API ------------------------------------------------------------------------------ */

static char *
control (Fixture    *fx,
         const char *method,
         const char *path,
         const char *body,
         guint      *out_status)
{
  g_autofree char *uri = g_strconcat (fx->base, path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = sim_test_http (fx->session, method, uri, body, -1, out_status, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
test_control_api (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *code_url = NULL;
  g_autofree char *no = create_native (fx, 1234, &code_url);
  g_autofree char *delayed = create_native (fx, 1, NULL);
  const char *token = strstr (code_url, "pr=") + 3;
  g_autofree char *page_path = g_strdup_printf ("/sim/pay/%s", token);
  g_autofree char *pay_path = g_strdup_printf ("/sim/orders/%s/pay", no);
  g_autofree char *delayed_path = g_strdup_printf ("/sim/orders/%s/pay?delay_ms=100", delayed);
  g_autofree char *json = NULL;
  g_autofree char *page = NULL;
  g_autofree char *done = NULL;
  g_autofree char *twice = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *faults = NULL;
  g_autofree char *bad_faults = NULL;
  g_autofree char *cleared = NULL;
  g_autofree char *scheduled = NULL;
  g_autofree char *wrong_method = NULL;
  guint status = 0;

  page = control (fx, "GET", page_path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "¥12.34"));
  g_assert_nonnull (strstr (page, "<form method=\"post\">"));
  g_assert_nonnull (strstr (page, SIM_MCH_ID));
  g_assert_nonnull (strstr (page, "收银台-测试商品"));

  done = control (fx, "POST", page_path, "", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (done, "支付成功"));

  twice = control (fx, "POST", pay_path, "", &status);
  g_assert_cmpuint (status, ==, 409);
  g_assert_nonnull (strstr (twice, "\"error\":\"ORDERPAID\""));

  missing = control (fx, "POST", "/sim/orders/NOSUCHORDER9/pay", "", &status);
  g_assert_cmpuint (status, ==, 404);

  scheduled = control (fx, "POST", delayed_path, "", &status);
  g_assert_cmpuint (status, ==, 202);
  g_assert_nonnull (strstr (scheduled, "\"scheduled\":true"));

  json = control (fx, "GET", "/sim/orders", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_str_has_prefix (json, "{\"now\":"));
  g_assert_nonnull (strstr (json, "\"state\":\"SUCCESS\",\"total_fee\":1234"));
  g_assert_nonnull (strstr (json, "\"transaction_id\":\"4200"));
  g_assert_nonnull (strstr (json, "\"refunds\":[]"));

  /* The delayed payment lands. */
  {
    gboolean paid = FALSE;
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while (!paid && g_get_monotonic_time () < deadline)
      {
        g_autoptr(WxpayParams) q = query (fx, delayed);

        paid = g_strcmp0 (wxpay_params_get (q, "trade_state"), "SUCCESS") == 0;
        if (!paid)
          sim_test_spin (20);
      }
    g_assert_true (paid);
  }

  clock = control (fx, "POST", "/sim/clock/advance?seconds=3600", "", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (clock, "\"offset_seconds\":3600"));

  /* Set the clock to 2026-01-01 12:00:00 Beijing (04:00 UTC). */
  {
    g_autofree char *set = control (fx, "POST", "/sim/clock/set?unix=1767240000", "", &status);
    gint64 now_s = wxpay_sim_server_get_now (fx->sim) / G_USEC_PER_SEC;

    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (set, "\"now\":\"2026-01-01T12:00:0"));
    g_assert_cmpint (now_s, >=, 1767240000);
    g_assert_cmpint (now_s, <=, 1767240005);
  }

  faults = control (fx, "POST", "/sim/faults", "{\"bad_sign\":0.25,\"path\":\"/pay/orderquery\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (faults, "\"bad_sign\":0.25"));
  bad_faults = control (fx, "POST", "/sim/faults", "{\"bad_sign\":\"often\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  cleared = control (fx, "DELETE", "/sim/faults", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (cleared, ==, "{\"faults\":[]}");

  wrong_method = control (fx, "GET", "/sim/clock/advance?seconds=1", NULL, &status);
  g_assert_cmpuint (status, ==, 405);

  {
    g_autofree char *unknown_page = control (fx, "GET", "/sim/pay/NOSUCHTOKEN", NULL, &status);
    g_autofree char *one_path = g_strdup_printf ("/sim/orders/%s", no);
    g_autofree char *one = NULL;

    g_assert_cmpuint (status, ==, 404);
    g_assert_nonnull (strstr (unknown_page, "Unknown QR code"));
    one = control (fx, "GET", one_path, NULL, &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_true (g_str_has_prefix (one, "{\"out_trade_no\":"));
    g_assert_nonnull (strstr (one, code_url));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/sim/gateway/protocol/bodies", test_protocol_bodies);
  ADD ("/sim/gateway/protocol/signature", test_protocol_signature);
  ADD ("/sim/gateway/protocol/golden", test_protocol_golden);
  ADD ("/sim/gateway/unifiedorder/validation", test_unifiedorder_validation);
  ADD ("/sim/gateway/unifiedorder/reentry", test_unifiedorder_reentry);
  ADD ("/sim/gateway/unifiedorder/expiry", test_unifiedorder_expiry);
  ADD ("/sim/gateway/closeorder/rule", test_closeorder_rule);
  ADD ("/sim/gateway/orderquery/states", test_orderquery_states);
  ADD ("/sim/gateway/refund/partial", test_refunds);
  ADD ("/sim/gateway/refund/limit", test_refund_limit);
  ADD ("/sim/gateway/refundquery/keys", test_refundquery_keys);
  ADD ("/sim/gateway/downloadbill", test_bills);
  ADD ("/sim/gateway/micropay/magic", test_micropay_magic);
  ADD ("/sim/gateway/reverse", test_reverse);
  ADD ("/sim/gateway/client/flow", test_client_flow);
  ADD ("/sim/gateway/faults", test_faults);
  ADD ("/sim/gateway/control", test_control_api);
  g_test_add_func ("/sim/gateway/faults/reproducible", test_faults_reproducible);
  g_test_add_func ("/sim/gateway/faults/without-error", test_faults_without_error);

  return g_test_run ();
}
