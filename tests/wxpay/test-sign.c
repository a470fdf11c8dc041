/* test-sign.c: §2 signatures, nonces, order numbers and Beijing time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

#define KEY "192006250b4c09247ec02edce69f6a2d"

static char *
data_path (const char *name)
{
  const char *dir = g_getenv ("SAOMA_TEST_DATA");

  if (dir == NULL)
    dir = BUILD_SRCDIR "/tests/data";

  return g_build_filename (dir, "wxpay", name, NULL);
}

static char *
read_data (const char *name,
           gsize      *len)
{
  g_autofree char *path = data_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);

  return contents;
}

static WxpayParams *
official_params (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "appid", "wxd930ea5d5a258f4f");
  wxpay_params_set (p, "mch_id", "10000100");
  wxpay_params_set (p, "device_info", "1000");
  wxpay_params_set (p, "body", "test");
  wxpay_params_set (p, "nonce_str", "ibuaiVcKdpRxkhJA");

  return p;
}

static void
test_official_vector (void)
{
  g_autoptr(WxpayParams) p = official_params ();
  g_autofree char *a = wxpay_sign_string (p);
  g_autofree char *md5 = wxpay_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  g_autofree char *hmac = wxpay_sign (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);

  g_assert_cmpstr (a, ==, "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100"
                          "&nonce_str=ibuaiVcKdpRxkhJA");
  g_assert_cmpstr (md5, ==, "9A0A8659F005D6984697E2CA0A9CF3B7");
  g_assert_cmpstr (hmac, ==, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");
}

static void
test_empty_and_sign_excluded (void)
{
  g_autoptr(WxpayParams) p = official_params ();
  g_autofree char *md5 = NULL;

  wxpay_params_set (p, "attach", "");
  wxpay_params_set (p, "sign", "WHATEVER");
  md5 = wxpay_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  g_assert_cmpstr (md5, ==, "9A0A8659F005D6984697E2CA0A9CF3B7");
}

static void
test_wechatpy_vector (void)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autofree char *md5 = NULL;
  g_autofree char *hmac = NULL;

  wxpay_params_set (p, "test2", "test2");
  wxpay_params_set (p, "test1", "test1");
  md5 = wxpay_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  hmac = wxpay_sign (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  g_assert_cmpstr (md5, ==, "1E3A8D73B5A4AEE787C0F68B5DAB8520");
  g_assert_cmpstr (hmac, ==, "EDAC6D70D2FDF5A2382F8204FC96A1918017E46ACC5297F565ED1A7610ACF659");
}

static WxpayParams *
vector_b (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "appid", "wxd930ea5d5a258f4f");
  wxpay_params_set (p, "mch_id", "10000100");
  wxpay_params_set (p, "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
  wxpay_params_set (p, "body", "收银台-测试商品");
  wxpay_params_set (p, "attach", "");
  wxpay_params_set (p, "device_info", "");
  wxpay_params_set (p, "out_trade_no", "20260101120000001");
  wxpay_params_set (p, "total_fee", "1");
  wxpay_params_set (p, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (p, "notify_url", "https://example.com/wxpay/notify");
  wxpay_params_set (p, "trade_type", "NATIVE");
  wxpay_params_set (p, "product_id", "SKU001");
  wxpay_params_set (p, "time_start", "20260101120000");
  wxpay_params_set (p, "time_expire", "20260101121000");

  return p;
}

/* Reads stringSignTemp and the expected signatures from extra_vectors.txt itself, so the file
 * and the code cannot drift apart. */
static void
test_extra_vectors_file (void)
{
  g_autofree char *text = read_data ("extra_vectors.txt", NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(WxpayParams) b = vector_b ();
  g_autofree char *b_a = wxpay_sign_string (b);
  g_autofree char *b_md5 = wxpay_sign (b, WXPAY_SIGN_TYPE_MD5, KEY);
  g_autofree char *b_hmac = NULL;
  g_autofree char *temp = NULL;
  guint found = 0;

  temp = g_strconcat (b_a, "&key=" KEY, NULL);
  g_assert_cmpuint (strlen (temp), ==, 351);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "stringSignTemp: ") && found == 0)
        {
          g_assert_cmpstr (lines[i] + strlen ("stringSignTemp: "), ==, temp);
          found++;
        }
      else if (g_str_has_prefix (lines[i], "MD5         : 15E38CC3"))
        {
          g_assert_true (g_str_has_prefix (lines[i] + strlen ("MD5         : "), b_md5));
          found++;
        }
    }
  g_assert_cmpuint (found, ==, 2);

  g_assert_cmpstr (b_md5, ==, "15E38CC3757DCCA1A9938B701BD3E96E");
  wxpay_params_set (b, "sign_type", "HMAC-SHA256");
  b_hmac = wxpay_sign (b, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  g_assert_cmpstr (b_hmac, ==, "2AD996B38135A3B67E1BB01FCFDAFF9B2639442A68EB7841526E889B70D2D07C");
}

static void
test_vector_c_orderquery (void)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autofree char *md5 = NULL;

  wxpay_params_set (p, "return_code", "SUCCESS");
  wxpay_params_set (p, "return_msg", "OK");
  wxpay_params_set (p, "appid", "wxd930ea5d5a258f4f");
  wxpay_params_set (p, "mch_id", "10000100");
  wxpay_params_set (p, "nonce_str", "izxjRPWZnrvDEPmBcZ6EkUH44fCSsAvm");
  wxpay_params_set (p, "result_code", "SUCCESS");
  wxpay_params_set (p, "out_trade_no", "20260101120000001");
  wxpay_params_set (p, "attach", "");
  wxpay_params_set (p, "trade_state", "NOTPAY");
  wxpay_params_set (p, "trade_state_desc", "订单未支付");
  md5 = wxpay_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  g_assert_cmpstr (md5, ==, "D7C0C17266256F4D4AC773B248257634");
}

static void
test_params_sign_and_verify (void)
{
  g_autoptr(WxpayParams) p = official_params ();
  WxpaySignType type = WXPAY_SIGN_TYPE_MD5;

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  g_assert_cmpstr (wxpay_params_get (p, "sign"), ==, "9A0A8659F005D6984697E2CA0A9CF3B7");
  g_assert_false (wxpay_params_contains (p, "sign_type"));
  g_assert_true (wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, KEY));
  g_assert_false (wxpay_verify (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY));
  g_assert_false (wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, "192006250b4c09247ec02edce69f6a2e"));
  g_assert_true (wxpay_verify_auto (p, KEY, &type));
  g_assert_cmpint (type, ==, WXPAY_SIGN_TYPE_MD5);

  /* Lower-case hex is not what WeChat sends; §2.1 compares case-sensitively. */
  {
    g_autofree char *lower = g_ascii_strdown (wxpay_params_get (p, "sign"), -1);

    wxpay_params_set (p, "sign", lower);
    g_assert_false (wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, KEY));
  }

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  g_assert_cmpstr (wxpay_params_get (p, "sign_type"), ==, "HMAC-SHA256");
  g_assert_cmpuint (strlen (wxpay_params_get (p, "sign")), ==, 64);
  g_assert_true (wxpay_verify (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY));
  g_assert_true (wxpay_verify_auto (p, KEY, &type));
  g_assert_cmpint (type, ==, WXPAY_SIGN_TYPE_HMAC_SHA256);

  /* Any changed value breaks it. */
  wxpay_params_set (p, "body", "tesT");
  g_assert_false (wxpay_verify_auto (p, KEY, NULL));

  wxpay_params_remove (p, "sign");
  g_assert_false (wxpay_verify_auto (p, KEY, NULL));
  wxpay_params_set (p, "sign", "ABC");
  g_assert_false (wxpay_verify_auto (p, KEY, NULL));
}

static void
test_pay_notify_files (void)
{
  gsize len = 0;
  g_autofree char *good = read_data ("pay_notify_md5.xml", &len);
  g_autofree char *bad = NULL;
  g_autoptr(WxpayParams) p = NULL;
  g_autoptr(WxpayParams) q = NULL;
  g_autoptr(GError) error = NULL;

  p = wxpay_xml_decode (good, len, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, KEY));
  g_assert_true (wxpay_verify_auto (p, KEY, NULL));

  bad = read_data ("pay_notify_tampered.xml", &len);
  q = wxpay_xml_decode (bad, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (q, "total_fee"), ==, "100");
  g_assert_false (wxpay_verify (q, WXPAY_SIGN_TYPE_MD5, KEY));
  g_assert_false (wxpay_verify_auto (q, KEY, NULL));
}

/* Timing: a wrong first character and a wrong last character must take about as long. The
 * bound is generous (factor 3 over many rounds) so scheduling noise cannot fail it, while an
 * early-exit strcmp over 32 characters with a mismatch at 0 vs 31 is still inside it; the
 * structural check is the equal-length requirement. */
static void
test_constant_time_compare (void)
{
  g_autoptr(WxpayParams) p = official_params ();
  g_autoptr(WxpayParams) first = NULL;
  g_autoptr(WxpayParams) last = NULL;
  char sign[33];
  gint64 t0, t_first, t_last;

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  first = wxpay_params_copy (p);
  last = wxpay_params_copy (p);

  strcpy (sign, wxpay_params_get (p, "sign"));
  sign[0] = sign[0] == 'A' ? 'B' : 'A';
  wxpay_params_set (first, "sign", sign);
  strcpy (sign, wxpay_params_get (p, "sign"));
  sign[31] = sign[31] == 'A' ? 'B' : 'A';
  wxpay_params_set (last, "sign", sign);

  g_assert_false (wxpay_verify (first, WXPAY_SIGN_TYPE_MD5, KEY));
  g_assert_false (wxpay_verify (last, WXPAY_SIGN_TYPE_MD5, KEY));

  /* Interleaved rounds, minimum per side: robust against preemption on a busy machine. */
  t_first = t_last = G_MAXINT64;
  for (guint round = 0; round < 15; round++)
    {
      t0 = g_get_monotonic_time ();
      for (guint i = 0; i < 200; i++)
        g_assert_false (wxpay_verify (first, WXPAY_SIGN_TYPE_MD5, KEY));
      t_first = MIN (t_first, g_get_monotonic_time () - t0);
      t0 = g_get_monotonic_time ();
      for (guint i = 0; i < 200; i++)
        g_assert_false (wxpay_verify (last, WXPAY_SIGN_TYPE_MD5, KEY));
      t_last = MIN (t_last, g_get_monotonic_time () - t0);
    }

  g_test_message ("mismatch at 0: %" G_GINT64_FORMAT " µs, at 31: %" G_GINT64_FORMAT " µs",
                  t_first, t_last);
  g_assert_cmpint (t_first * 3, >, t_last);
  g_assert_cmpint (t_last * 3, >, t_first);

  /* A prefix of the right signature must not pass. */
  strcpy (sign, wxpay_params_get (p, "sign"));
  sign[16] = '\0';
  wxpay_params_set (first, "sign", sign);
  g_assert_false (wxpay_verify (first, WXPAY_SIGN_TYPE_MD5, KEY));
}

static void
test_nonce (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[128] = { 0 };

  for (guint i = 0; i < 2000; i++)
    {
      char *nonce = wxpay_nonce_new ();

      g_assert_cmpuint (strlen (nonce), ==, 32);
      for (const char *c = nonce; *c; c++)
        {
          g_assert_true (g_ascii_isalnum (*c));
          counts[(guchar)*c]++;
        }
      g_assert_false (g_hash_table_contains (seen, nonce));
      g_hash_table_add (seen, nonce);
    }

  /* 64000 characters over 62 symbols: ~1032 each; every symbol must show up a lot. */
  for (guint c = 0; c < 128; c++)
    {
      if (g_ascii_isalnum (c))
        g_assert_cmpuint (counts[c], >, 700);
    }
}

static void
test_out_trade_no (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 1, 1, 12, 0, 0);
  g_autofree char *with_odd_till = NULL;
  g_autofree char *refund = NULL;

  for (guint i = 0; i < 10000; i++)
    {
      char *no = wxpay_out_trade_no_new ("till-01", now);

      g_assert_true (wxpay_out_trade_no_is_valid (no));
      g_assert_true (g_str_has_prefix (no, "till0120260101120000"));
      g_assert_false (g_hash_table_contains (seen, no));
      g_hash_table_add (seen, no);
    }

  with_odd_till = wxpay_out_trade_no_new ("收银台 No.7 <long-name>", NULL);
  g_assert_true (wxpay_out_trade_no_is_valid (with_odd_till));
  g_assert_cmpuint (strlen (with_odd_till), <=, 32);

  refund = wxpay_out_refund_no_new ("T1", now);
  g_assert_true (g_str_has_prefix (refund, "RT120260101120000"));
  g_assert_cmpuint (strlen (refund), <=, 64);

  g_assert_true (wxpay_out_trade_no_is_valid ("abc-_|*9"));
  g_assert_true (wxpay_out_trade_no_is_valid ("123456"));
  g_assert_false (wxpay_out_trade_no_is_valid ("12345"));
  g_assert_false (wxpay_out_trade_no_is_valid ("123456789012345678901234567890123"));
  g_assert_false (wxpay_out_trade_no_is_valid ("abc def"));
  g_assert_false (wxpay_out_trade_no_is_valid ("abc@def"));
  g_assert_false (wxpay_out_trade_no_is_valid ("订单123456"));
  g_assert_false (wxpay_out_trade_no_is_valid (NULL));
}

static void
test_sign_type_strings (void)
{
  WxpaySignType t = WXPAY_SIGN_TYPE_MD5;

  g_assert_cmpstr (wxpay_sign_type_to_string (WXPAY_SIGN_TYPE_MD5), ==, "MD5");
  g_assert_cmpstr (wxpay_sign_type_to_string (WXPAY_SIGN_TYPE_HMAC_SHA256), ==, "HMAC-SHA256");
  g_assert_true (wxpay_sign_type_from_string ("HMAC-SHA256", &t));
  g_assert_cmpint (t, ==, WXPAY_SIGN_TYPE_HMAC_SHA256);
  g_assert_true (wxpay_sign_type_from_string ("MD5", &t));
  g_assert_cmpint (t, ==, WXPAY_SIGN_TYPE_MD5);
  g_assert_false (wxpay_sign_type_from_string ("md5", &t));
  g_assert_false (wxpay_sign_type_from_string ("SHA1", &t));
  g_assert_false (wxpay_sign_type_from_string (NULL, &t));
}

static void
test_beijing_time (void)
{
  g_autoptr(GDateTime) utc = g_date_time_new_utc (2025, 12, 31, 20, 30, 5);
  g_autoptr(GTimeZone) ny = g_time_zone_new_offset (-5 * 3600);
  g_autoptr(GDateTime) in_ny = g_date_time_to_timezone (utc, ny);
  g_autofree char *a = wxpay_time_format (utc);
  g_autofree char *b = wxpay_time_format (in_ny);
  g_autoptr(GDateTime) back = wxpay_time_parse ("20260101043005");

  g_assert_cmpstr (a, ==, "20260101043005");
  g_assert_cmpstr (b, ==, "20260101043005");
  g_assert_nonnull (back);
  g_assert_true (g_date_time_equal (back, utc));
  g_assert_cmpint (g_date_time_get_utc_offset (back), ==, 0);

  g_assert_null (wxpay_time_parse ("2026010104300"));
  g_assert_null (wxpay_time_parse ("202601010430055"));
  g_assert_null (wxpay_time_parse ("2026-1-01043005"));
  g_assert_null (wxpay_time_parse ("20260230120000"));
  g_assert_null (wxpay_time_parse ("20261301120000"));
  g_assert_null (wxpay_time_parse ("20260101246000"));
  g_assert_null (wxpay_time_parse ("20260101235960"));
  g_assert_null (wxpay_time_parse ("20260431120000"));
  g_assert_null (wxpay_time_parse ("20250229120000"));
  g_assert_null (wxpay_time_parse ("00000101120000"));
  g_assert_null (wxpay_time_parse (NULL));

  {
    g_autoptr(GDateTime) leap = wxpay_time_parse ("20240229235959");

    g_assert_nonnull (leap);
    g_assert_cmpint (g_date_time_to_unix (leap), ==, 1709222399);
  }

  /* Against GLib's own zone arithmetic, across years, month ends and the date line. */
  {
    g_autoptr(GTimeZone) beijing = g_time_zone_new_offset (8 * 3600);

    for (gint64 t = 946684800; t < 2000000000; t += 7777777)
      {
        g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (t);
        g_autoptr(GDateTime) local = g_date_time_to_timezone (when, beijing);
        g_autofree char *expected = g_date_time_format (local, "%Y%m%d%H%M%S");
        g_autofree char *text = wxpay_time_format (when);
        g_autoptr(GDateTime) again = wxpay_time_parse (text);

        g_assert_cmpstr (text, ==, expected);
        g_assert_nonnull (again);
        g_assert_cmpint (g_date_time_to_unix (again), ==, t);
      }
  }
}

static void
test_params_basics (void)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autoptr(WxpayParams) copy = NULL;
  gint64 v = 0;

  wxpay_params_set (p, "b", "1");
  wxpay_params_set (p, "a", "2");
  wxpay_params_set (p, "b", "3");
  g_assert_cmpuint (wxpay_params_get_size (p), ==, 2);
  g_assert_cmpstr (wxpay_params_get_name (p, 0), ==, "b");
  g_assert_cmpstr (wxpay_params_get_value (p, 0), ==, "3");
  g_assert_cmpstr (wxpay_params_get_name (p, 1), ==, "a");

  wxpay_params_set_int64 (p, "total_fee", 9223372036854775807);
  g_assert_true (wxpay_params_get_int64 (p, "total_fee", &v));
  g_assert_cmpint (v, ==, G_MAXINT64);
  wxpay_params_set (p, "x", "9223372036854775808");
  g_assert_false (wxpay_params_get_int64 (p, "x", &v));
  wxpay_params_set (p, "x", "-1");
  g_assert_false (wxpay_params_get_int64 (p, "x", &v));
  wxpay_params_set (p, "x", " 1");
  g_assert_false (wxpay_params_get_int64 (p, "x", &v));
  wxpay_params_set (p, "x", "1.0");
  g_assert_false (wxpay_params_get_int64 (p, "x", &v));
  wxpay_params_set (p, "x", "");
  g_assert_false (wxpay_params_get_int64 (p, "x", &v));
  g_assert_false (wxpay_params_get_int64 (p, "missing", &v));

  copy = wxpay_params_copy (p);
  g_assert_true (wxpay_params_remove (p, "a"));
  g_assert_false (wxpay_params_remove (p, "a"));
  g_assert_null (wxpay_params_get (p, "a"));
  g_assert_cmpstr (wxpay_params_get (copy, "a"), ==, "2");
  wxpay_params_set (copy, "a", NULL);
  g_assert_false (wxpay_params_contains (copy, "a"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wxpay/sign/official-vector", test_official_vector);
  g_test_add_func ("/wxpay/sign/empty-and-sign-excluded", test_empty_and_sign_excluded);
  g_test_add_func ("/wxpay/sign/wechatpy-vector", test_wechatpy_vector);
  g_test_add_func ("/wxpay/sign/extra-vectors-chinese-body", test_extra_vectors_file);
  g_test_add_func ("/wxpay/sign/orderquery-empty-attach", test_vector_c_orderquery);
  g_test_add_func ("/wxpay/sign/sign-and-verify", test_params_sign_and_verify);
  g_test_add_func ("/wxpay/sign/pay-notify-files", test_pay_notify_files);
  g_test_add_func ("/wxpay/sign/constant-time", test_constant_time_compare);
  g_test_add_func ("/wxpay/sign/nonce", test_nonce);
  g_test_add_func ("/wxpay/sign/out-trade-no", test_out_trade_no);
  g_test_add_func ("/wxpay/sign/sign-type-strings", test_sign_type_strings);
  g_test_add_func ("/wxpay/sign/beijing-time", test_beijing_time);
  g_test_add_func ("/wxpay/sign/params", test_params_basics);

  return g_test_run ();
}
