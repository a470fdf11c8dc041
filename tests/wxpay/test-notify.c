/* test-notify.c: payment and refund notifications against the verified vectors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

#define KEY        "192006250b4c09247ec02edce69f6a2d"
#define APPID      "wxd930ea5d5a258f4f"
#define MCH_ID     "10000100"
#define REFUND_KEY "OF4Ne3znh8KqL0V4NqmALQa0uXMYKcEk"

static char *
read_data (const char *name,
           gsize      *len)
{
  const char *dir = g_getenv ("SAOMA_TEST_DATA");
  g_autofree char *path = g_build_filename (dir ? dir : BUILD_SRCDIR "/tests/data", "wxpay", name,
                                            NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);

  return contents;
}

static WxpayParams *
parse_payment_str (const char *body,
                   const char *appid,
                   const char *mch_id,
                   GError    **error)
{
  return wxpay_notify_parse_payment (body, strlen (body), appid, mch_id, KEY, error);
}

static void
test_payment_md5_vector (void)
{
  gsize len = 0;
  g_autofree char *body = read_data ("pay_notify_md5.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  p = wxpay_notify_parse_payment (body, len, APPID, MCH_ID, KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "out_trade_no"), ==, "PROBE20260101000000");
  g_assert_cmpstr (wxpay_params_get (p, "total_fee"), ==, "1");
  g_assert_cmpstr (wxpay_params_get (p, "transaction_id"), ==, "4200000000202601010000000001");
}

static void
test_payment_tampered (void)
{
  gsize len = 0;
  g_autofree char *body = read_data ("pay_notify_tampered.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  p = wxpay_notify_parse_payment (body, len, APPID, MCH_ID, KEY, &error);
  g_assert_null (p);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
}

static void
test_payment_ids (void)
{
  gsize len = 0;
  g_autofree char *body = read_data ("pay_notify_md5.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  p = wxpay_notify_parse_payment (body, len, "wx0000000000000000", MCH_ID, KEY, &error);
  g_assert_null (p);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH);
  g_clear_error (&error);

  p = wxpay_notify_parse_payment (body, len, APPID, "99999999", KEY, &error);
  g_assert_null (p);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH);
  g_clear_error (&error);

  /* A wrong key is a bad signature, not a mismatch. */
  p = wxpay_notify_parse_payment (body, len, APPID, MCH_ID, "192006250b4c09247ec02edce69f6a2e",
                                  &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
}

static WxpayParams *
make_notification (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "return_code", "SUCCESS");
  wxpay_params_set (p, "appid", APPID);
  wxpay_params_set (p, "mch_id", MCH_ID);
  wxpay_params_set (p, "nonce_str", "abcdefghijklmnopqrstuvwxyz012345");
  wxpay_params_set (p, "result_code", "SUCCESS");
  wxpay_params_set (p, "out_trade_no", "T120260101040000abcdefghij");
  wxpay_params_set (p, "total_fee", "1250");
  wxpay_params_set (p, "transaction_id", "4200000000202601010000000002");
  wxpay_params_set (p, "time_end", "20260101120500");
  wxpay_params_set (p, "attach", "");

  return p;
}

/* WeChat sends HMAC-signed notifications for HMAC orders without a sign_type element: the
 * algorithm must come from the length of sign. */
static void
test_payment_hmac_without_sign_type (void)
{
  g_autoptr(WxpayParams) n = make_notification ();
  g_autofree char *sign = wxpay_sign (n, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  g_autofree char *body = NULL;
  g_autoptr(WxpayParams) p = NULL;
  g_autoptr(GError) error = NULL;

  wxpay_params_set (n, "sign", sign);
  body = wxpay_xml_encode_string (n);
  p = parse_payment_str (body, APPID, MCH_ID, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "total_fee"), ==, "1250");
  g_assert_false (wxpay_params_contains (p, "sign_type"));

  /* With sign_type present as well. */
  g_clear_pointer (&p, wxpay_params_unref);
  g_clear_pointer (&body, g_free);
  wxpay_params_sign (n, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  body = wxpay_xml_encode_string (n);
  p = parse_payment_str (body, APPID, MCH_ID, &error);
  g_assert_no_error (error);

  /* Truncated to 32 characters it is neither a valid MD5 nor HMAC signature. */
  g_clear_pointer (&p, wxpay_params_unref);
  g_clear_pointer (&body, g_free);
  sign[32] = '\0';
  wxpay_params_set (n, "sign", sign);
  body = wxpay_xml_encode_string (n);
  p = parse_payment_str (body, APPID, MCH_ID, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
}

static void
test_payment_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  p = parse_payment_str ("<xml><return_code>FAIL</return_code><return_msg>x</return_msg></xml>",
                         APPID, MCH_ID, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL);
  g_clear_error (&error);

  p = parse_payment_str ("<xml><return_code>SUCCESS</return_code></xml>", APPID, MCH_ID, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  p = parse_payment_str ("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                         "<xml><return_code>&x;</return_code></xml>", APPID, MCH_ID, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);

  p = parse_payment_str ("{\"json\":true}", APPID, MCH_ID, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_assert_null (p);
}

static void
test_client_wrappers (void)
{
  g_autoptr(WxpayClient) client = wxpay_client_new ("http://127.0.0.1:9", APPID, MCH_ID, KEY);
  gsize len = 0;
  g_autofree char *body = read_data ("pay_notify_md5.xml", &len);
  g_autofree char *refund = NULL;
  g_autoptr(WxpayParams) p = NULL;
  g_autoptr(WxpayParams) r = NULL;
  g_autoptr(GError) error = NULL;
  WxpaySignType type = WXPAY_SIGN_TYPE_HMAC_SHA256;

  p = wxpay_client_parse_payment_notification (client, body, len, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_client_verify_params (client, p, &type));
  g_assert_cmpint (type, ==, WXPAY_SIGN_TYPE_MD5);

  refund = read_data ("refund_notify_generated.xml", &len);
  r = wxpay_client_parse_refund_notification (client, refund, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (r, "out_refund_no"), ==, "R20260101000001");

  wxpay_client_set_api_key (client, NULL);
  g_clear_pointer (&p, wxpay_params_unref);
  p = wxpay_client_parse_payment_notification (client, body, len, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
}

static void
test_refund_wechatpy_vector (void)
{
  gsize len = 0;
  g_autofree char *body = read_data ("refund_notify.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) r = NULL;

  r = wxpay_notify_parse_refund (body, len, "wx4f4bc4dec97d474b", "12345678", REFUND_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (r, "out_refund_no"), ==, "1234");
  g_assert_cmpstr (wxpay_params_get (r, "out_trade_no"), ==, "2020010418301551404339261814");
  g_assert_cmpstr (wxpay_params_get (r, "refund_id"), ==, "50300103182020010413419046597");
  g_assert_cmpstr (wxpay_params_get (r, "transaction_id"), ==, "4200000483202001042069747825");
  g_assert_cmpstr (wxpay_params_get (r, "refund_status"), ==, "SUCCESS");
  g_assert_cmpstr (wxpay_params_get (r, "refund_fee"), ==, "1");
  g_assert_cmpstr (wxpay_params_get (r, "success_time"), ==, "2020-01-04 18:34:24");
  g_assert_cmpstr (wxpay_params_get (r, "refund_recv_accout"), ==, "招商银行信用卡8915");

  /* The same notification under another merchant or key is refused. */
  g_clear_pointer (&r, wxpay_params_unref);
  r = wxpay_notify_parse_refund (body, len, "wx4f4bc4dec97d474b", "12345679", REFUND_KEY, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH);
  g_clear_error (&error);
  r = wxpay_notify_parse_refund (body, len, "wx4f4bc4dec97d474b", "12345678", KEY, &error);
  g_assert_null (r);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
}

static void
test_refund_generated_vector (void)
{
  gsize len = 0;
  g_autofree char *body = read_data ("refund_notify_generated.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) r = NULL;

  r = wxpay_notify_parse_refund (body, len, APPID, MCH_ID, KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (r, "out_refund_no"), ==, "R20260101000001");
  g_assert_cmpstr (wxpay_params_get (r, "out_trade_no"), ==, "20260101120000001");
  g_assert_cmpstr (wxpay_params_get (r, "refund_status"), ==, "SUCCESS");
  g_assert_cmpstr (wxpay_params_get (r, "refund_fee"), ==, "1");
  g_assert_cmpstr (wxpay_params_get (r, "refund_recv_accout"), ==, "支付用户零钱");
}

static void
test_refund_encrypt_matches_vector (void)
{
  g_autofree char *plain = read_data ("refund_req_info_generated.plain.xml", NULL);
  g_autofree char *expected = read_data ("refund_req_info_generated.b64", NULL);
  g_autofree char *b64 = NULL;
  g_autofree char *back = NULL;
  g_autoptr(GError) error = NULL;

  g_strstrip (plain);
  g_strstrip (expected);
  g_assert_cmpuint (strlen (plain), ==, 775);

  b64 = wxpay_refund_req_info_encrypt (plain, KEY);
  g_assert_cmpstr (b64, ==, expected);

  back = wxpay_refund_req_info_decrypt (expected, KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, plain);
}

static void
test_refund_crypto_edges (void)
{
  /* Lengths around the block size, including an exact multiple (a whole padding block). */
  for (guint n = 0; n < 50; n++)
    {
      g_autofree char *text = g_strnfill (n, 'a' + (n % 26));
      g_autofree char *b64 = wxpay_refund_req_info_encrypt (text, KEY);
      g_autofree char *back = NULL;
      g_autoptr(GError) error = NULL;
      gsize raw_len = 0;
      g_autofree guchar *raw = g_base64_decode (b64, &raw_len);

      g_assert_cmpuint (raw_len, ==, (n / 16 + 1) * 16);
      back = wxpay_refund_req_info_decrypt (b64, KEY, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, text);
    }

  /* ECB, not CBC: equal plaintext blocks give equal ciphertext blocks. */
  {
    g_autofree char *b64 = wxpay_refund_req_info_encrypt ("0123456789abcdef0123456789abcdef", KEY);
    gsize raw_len = 0;
    g_autofree guchar *raw = g_base64_decode (b64, &raw_len);

    g_assert_cmpuint (raw_len, ==, 48);
    g_assert_cmpmem (raw, 16, raw + 16, 16);
  }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *expected = read_data ("refund_req_info_generated.b64", NULL);
    gsize n;

    out = wxpay_refund_req_info_decrypt ("not base64!", KEY, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);

    out = wxpay_refund_req_info_decrypt ("QUJD", KEY, &error);
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);

    /* Drop the last block: the padding no longer checks out. */
    g_strstrip (expected);
    n = strlen (expected);
    {
      gsize raw_len = 0;
      g_autofree guchar *raw = g_base64_decode (expected, &raw_len);
      g_autofree char *cut = g_base64_encode (raw, raw_len - 16);

      out = wxpay_refund_req_info_decrypt (cut, KEY, &error);
      g_assert_null (out);
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    }
    g_assert_cmpuint (n, >, 0);
  }
}

static void
test_reply (void)
{
  g_autoptr(GBytes) ok = wxpay_notify_reply (TRUE, NULL);
  g_autoptr(GBytes) fail = wxpay_notify_reply (FALSE, "签名失败");
  const char *expected =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg>"
    "</xml>";
  g_autoptr(WxpayParams) p = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpmem (g_bytes_get_data (ok, NULL), g_bytes_get_size (ok), expected, strlen (expected));
  p = wxpay_xml_decode (g_bytes_get_data (fail, NULL), g_bytes_get_size (fail), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "return_code"), ==, "FAIL");
  g_assert_cmpstr (wxpay_params_get (p, "return_msg"), ==, "签名失败");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wxpay/notify/payment/md5-vector", test_payment_md5_vector);
  g_test_add_func ("/wxpay/notify/payment/tampered", test_payment_tampered);
  g_test_add_func ("/wxpay/notify/payment/appid-mch-id", test_payment_ids);
  g_test_add_func ("/wxpay/notify/payment/hmac-without-sign-type",
                   test_payment_hmac_without_sign_type);
  g_test_add_func ("/wxpay/notify/payment/bad-input", test_payment_bad_input);
  g_test_add_func ("/wxpay/notify/client-wrappers", test_client_wrappers);
  g_test_add_func ("/wxpay/notify/refund/wechatpy-vector", test_refund_wechatpy_vector);
  g_test_add_func ("/wxpay/notify/refund/generated-vector", test_refund_generated_vector);
  g_test_add_func ("/wxpay/notify/refund/encrypt-matches-vector",
                   test_refund_encrypt_matches_vector);
  g_test_add_func ("/wxpay/notify/refund/crypto-edges", test_refund_crypto_edges);
  g_test_add_func ("/wxpay/notify/reply", test_reply);

  return g_test_run ();
}
