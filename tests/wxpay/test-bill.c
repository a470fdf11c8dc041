/* test-bill.c: downloadbill text (§11) from golden files written by hand, not by the writer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

static GBytes *
read_bill (const char *name)
{
  const char *dir = g_getenv ("SAOMA_TEST_DATA");
  g_autofree char *path = g_build_filename (dir ? dir : BUILD_SRCDIR "/tests/data", "wxpay",
                                            "bills", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, len);
}

static WxpayBill *
parse_file (const char *name,
            GError    **error)
{
  g_autoptr(GBytes) data = read_bill (name);

  return wxpay_bill_parse (data, error);
}

static WxpayBillRow *
row_at (WxpayBill *bill,
        guint      i)
{
  g_assert_cmpuint (i, <, bill->rows->len);
  return g_ptr_array_index (bill->rows, i);
}

static void
test_yuan_to_fen (void)
{
  static const struct {
    const char *text;
    gboolean    ok;
    gint64      fen;
  } cases[] = {
    { "0.01", TRUE, 1 }, { "12.5", TRUE, 1250 }, { "3", TRUE, 300 }, { "0.00000", TRUE, 0 },
    { "0.0", TRUE, 0 }, { "0", TRUE, 0 }, { "99.99", TRUE, 9999 }, { "1000000.00", TRUE, 100000000 },
    { "-0.01", TRUE, -1 }, { "-12.50", TRUE, -1250 }, { "9.8", TRUE, 980 },
    { "0.10000", TRUE, 10 }, { "92233720368547758.07", TRUE, G_MAXINT64 },
    { "0.001", FALSE, 0 }, { "0.015", FALSE, 0 }, { "", FALSE, 0 }, { ".5", FALSE, 0 },
    { "5.", FALSE, 0 }, { "+1", FALSE, 0 }, { " 1", FALSE, 0 }, { "1 ", FALSE, 0 },
    { "1e3", FALSE, 0 }, { "1,000.00", FALSE, 0 }, { "¥1", FALSE, 0 }, { "-", FALSE, 0 },
    { "0.60%", FALSE, 0 }, { "92233720368547758.08", FALSE, 0 },
    { "99999999999999999999", FALSE, 0 }, { "1.2.3", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 fen = -12345;
      gboolean ok = wxpay_bill_yuan_to_fen (cases[i].text, &fen);

      g_test_message ("“%s”", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_cmpint (fen, ==, cases[i].fen);
    }
  g_assert_false (wxpay_bill_yuan_to_fen (NULL, NULL));
}

static void
test_fen_to_yuan (void)
{
  static const struct { gint64 fen; const char *text; } cases[] = {
    { 0, "0.00" }, { 1, "0.01" }, { 10, "0.10" }, { 1250, "12.50" }, { -1, "-0.01" },
    { -1250, "-12.50" }, { G_MAXINT64, "92233720368547758.07" }, { G_MININT64, "-92233720368547758.08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = wxpay_bill_fen_to_yuan (cases[i].fen);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
check_all_current (WxpayBill *bill)
{
  WxpayBillRow *r;

  g_assert_cmpuint (bill->columns->len, ==, 27);
  g_assert_cmpuint (bill->rows->len, ==, 4);
  g_assert_cmpint (bill->summary_count, ==, 4);
  g_assert_cmpint (bill->summary_settlement_total, ==, 1551);
  g_assert_cmpint (bill->summary_refund_total, ==, 1);
  g_assert_cmpint (bill->summary_order_total, ==, 1551);

  r = row_at (bill, 0);
  g_assert_cmpstr (r->trade_time, ==, "2022-03-21 13:51:31");
  g_assert_cmpstr (r->appid, ==, "wxfdc955f7104ad557");
  g_assert_cmpstr (r->mch_id, ==, "180023671");
  g_assert_cmpstr (r->device_info, ==, "");
  g_assert_cmpstr (r->transaction_id, ==, "420000612032130748613220688");
  g_assert_cmpstr (r->out_trade_no, ==, "2021WERUN1647840687637");
  g_assert_cmpstr (r->trade_type, ==, "JSAPI");
  g_assert_cmpstr (r->trade_state, ==, "SUCCESS");
  g_assert_cmpint (r->settlement_fee, ==, 1);
  g_assert_cmpint (r->total_fee, ==, 1);
  g_assert_cmpint (r->refund_fee, ==, 0);
  g_assert_cmpstr (r->body, ==, "微信云托管支付测试");
  g_assert_cmpstr (r->attach, ==, "");

  /* Bare commas inside 商品名称 and 商户数据包 survive. */
  r = row_at (bill, 1);
  g_assert_cmpstr (r->body, ==, "小张南山店-超市,大号");
  g_assert_cmpstr (r->attach, ==, "attach,with,commas");
  g_assert_cmpstr (r->device_info, ==, "till1");
  g_assert_cmpint (r->settlement_fee, ==, 1250);

  r = row_at (bill, 2);
  g_assert_cmpint (r->settlement_fee, ==, 300);
  g_assert_cmpint (r->total_fee, ==, 300);

  r = row_at (bill, 3);
  g_assert_cmpstr (r->trade_state, ==, "REFUND");
  g_assert_cmpstr (r->refund_id, ==, "50300103182022032113419046597");
  g_assert_cmpstr (r->out_refund_no, ==, "R2022032100001");
  g_assert_cmpstr (r->refund_status, ==, "SUCCESS");
  g_assert_cmpint (r->refund_fee, ==, 1);
  g_assert_cmpint (r->settlement_fee, ==, 0);
}

static void
test_all_current (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("all_current.txt", &error);

  g_assert_no_error (error);
  check_all_current (bill);
}

static void
test_all_current_gzip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("all_current.txt.gz", &error);

  g_assert_no_error (error);
  check_all_current (bill);
}

static void
test_success_current (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("success_current.txt", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bill->columns->len, ==, 20);
  g_assert_cmpuint (bill->rows->len, ==, 2);
  g_assert_cmpint (bill->summary_settlement_total, ==, 10000);
  g_assert_cmpint (bill->summary_order_total, ==, 10000);
  g_assert_cmpint (bill->summary_refund_total, ==, 0);
  g_assert_cmpint (row_at (bill, 1)->settlement_fee, ==, 9999);
  g_assert_null (row_at (bill, 1)->refund_id);
  g_assert_cmpstr (row_at (bill, 0)->out_trade_no, ==, "till120260101040000abcdefghij");
}

static void
test_refund_current (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("refund_current.txt", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bill->columns->len, ==, 29);
  g_assert_cmpuint (bill->rows->len, ==, 1);
  g_assert_cmpstr (row_at (bill, 0)->out_refund_no, ==, "R20260101000001");
  g_assert_cmpint (row_at (bill, 0)->refund_fee, ==, 1);
  g_assert_cmpint (bill->summary_refund_total, ==, 1);
}

static void
test_old_format (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("old_format.txt", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bill->columns->len, ==, 24);
  g_assert_cmpuint (bill->rows->len, ==, 2);
  g_assert_cmpint (bill->summary_count, ==, 2);
  g_assert_cmpint (bill->summary_settlement_total, ==, 2);
  g_assert_cmpint (bill->summary_refund_total, ==, 0);
  g_assert_cmpint (bill->summary_order_total, ==, -1);
  g_assert_cmpstr (row_at (bill, 0)->out_trade_no, ==, "1415640626");
  g_assert_cmpstr (row_at (bill, 0)->trade_type, ==, "MICROPAY");
  g_assert_cmpint (row_at (bill, 0)->settlement_fee, ==, 1);
  /* No 订单金额 column: total falls back to 总金额. */
  g_assert_cmpint (row_at (bill, 0)->total_fee, ==, 1);
  g_assert_cmpstr (row_at (bill, 1)->body, ==, "被扫支付测试");
}

static void
assert_malformed (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file (name, &error);

  g_test_message ("%s", name);
  g_assert_null (bill);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE);
}

static void
test_summary_mismatch (void)
{
  /* The verbatim official sample shows one row under a summary of two: it must not pass. */
  assert_malformed ("old_official_sample.txt");
  assert_malformed ("all_mismatch_sum.txt");
  assert_malformed ("all_mismatch_count.txt");
  assert_malformed ("all_mismatch_refund.txt");
}

static void
test_empty_day (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = parse_file ("empty_day.txt", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bill->rows->len, ==, 0);
  g_assert_cmpint (bill->summary_count, ==, 0);
}

static void
assert_text_malformed (const char *text)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = wxpay_bill_parse (data, &error);
  g_autofree char *escaped = g_strescape (text, NULL);

  g_test_message ("%s", escaped);
  g_assert_null (bill);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE);
}

static void
test_malformed_text (void)
{
  const char *hdr = "交易时间,商户订单号,交易状态,应结订单金额\n";
  g_autofree char *ok = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`0.01\n"
                                     "总交易单数,应结订单总金额\n`1,`0.01\n", NULL);
  g_autofree char *bad_amount = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`0.011\n"
                                             "总交易单数,应结订单总金额\n`1,`0.01\n", NULL);
  g_autofree char *float_amount = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`1e-2\n"
                                               "总交易单数,应结订单总金额\n`1,`0.01\n", NULL);
  g_autofree char *short_row = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS\n"
                                            "总交易单数,应结订单总金额\n`1,`0.01\n", NULL);
  g_autofree char *no_summary = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`0.01\n",
                                             NULL);
  g_autofree char *trailing = g_strconcat (ok, "extra line\n", NULL);
  g_autofree char *no_count = g_strconcat (hdr, "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`0.01\n"
                                           "应结订单总金额\n`0.01\n", NULL);

  {
    g_autoptr(GBytes) data = g_bytes_new (ok, strlen (ok));
    g_autoptr(GError) error = NULL;
    g_autoptr(WxpayBill) bill = wxpay_bill_parse (data, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (bill->rows->len, ==, 1);
  }

  assert_text_malformed (bad_amount);
  assert_text_malformed (float_amount);
  assert_text_malformed (short_row);
  assert_text_malformed (no_summary);
  assert_text_malformed (trailing);
  assert_text_malformed (no_count);
  assert_text_malformed ("商品名称,商户数据包\n`a,`b\n总交易单数\n`1\n");
  assert_text_malformed ("<xml><return_code>FAIL</return_code></xml>");
  assert_text_malformed ("\x1f\x8b\x08\x00garbage");

  {
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr(GError) error = NULL;

    g_assert_null (wxpay_bill_parse (empty, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE);
  }
}

/* Rows whose amounts each fit a gint64 but whose sum does not: refused, never summed with a
 * wrap-around that a forged summary of 0.00 would match. */
static void
test_sum_overflow (void)
{
  const char *hdr = "交易时间,商户订单号,交易状态,应结订单金额\n";
  const char *max_row = "`2026-01-01 00:00:00,`abcdef,`SUCCESS,`92233720368547758.07\n";
  g_autofree char *wraps_to_zero = g_strconcat (hdr, max_row, max_row,
                                                "`2026-01-01 00:00:00,`abcdeg,`SUCCESS,`0.02\n"
                                                "总交易单数,应结订单总金额\n`3,`0.00\n", NULL);
  g_autofree char *just_fits = g_strconcat (hdr, max_row,
                                            "总交易单数,应结订单总金额\n`1,`92233720368547758.07\n",
                                            NULL);

  assert_text_malformed (wraps_to_zero);

  {
    g_autoptr(GBytes) data = g_bytes_new (just_fits, strlen (just_fits));
    g_autoptr(GError) error = NULL;
    g_autoptr(WxpayBill) bill = wxpay_bill_parse (data, &error);

    g_assert_no_error (error);
    g_assert_cmpint (bill->summary_settlement_total, ==, G_MAXINT64);
  }
}

static WxpayBillRow *
make_row (const char *otn,
          const char *state,
          gint64      settlement,
          gint64      refund)
{
  WxpayBillRow *r = wxpay_bill_row_new ();

  r->trade_time = g_strdup ("2026-01-01 12:00:00");
  r->appid = g_strdup ("wxd930ea5d5a258f4f");
  r->mch_id = g_strdup ("10000100");
  r->device_info = g_strdup ("till1");
  r->transaction_id = g_strdup ("4200000000202601010000000001");
  r->out_trade_no = g_strdup (otn);
  r->trade_type = g_strdup ("NATIVE");
  r->trade_state = g_strdup (state);
  r->settlement_fee = settlement;
  r->total_fee = settlement;
  r->refund_fee = refund;
  r->body = g_strdup ("收银台-测试商品,含逗号");
  r->attach = g_strdup ("");
  if (refund > 0)
    {
      r->refund_id = g_strdup ("50000000000000000000000000001");
      r->out_refund_no = g_strdup ("R1");
      r->refund_status = g_strdup ("SUCCESS");
    }

  return r;
}

/* The writer feeds wxpay-sim; here it must agree with the golden column sets and the parser. */
static void
test_format_round_trip (void)
{
  static const struct { const char *type; guint columns; } types[] = {
    { "ALL", 27 }, { "SUCCESS", 20 }, { "REFUND", 29 },
  };
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_bill_row_free);

  g_ptr_array_add (rows, make_row ("T0000000001", "SUCCESS", 1, 0));
  g_ptr_array_add (rows, make_row ("T0000000002", "SUCCESS", 123456, 0));
  g_ptr_array_add (rows, make_row ("T0000000001", "REFUND", 0, 1));

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *text = wxpay_bill_format (types[i].type, rows);
      g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
      g_autoptr(GBytes) gz = wxpay_bill_gzip (data);
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayBill) bill = wxpay_bill_parse (gz, &error);
      g_autoptr(GBytes) golden = NULL;
      g_autofree char *golden_header = NULL;
      const char *golden_name;

      g_assert_no_error (error);
      g_assert_cmpuint (bill->columns->len, ==, types[i].columns);
      g_assert_cmpuint (bill->rows->len, ==, 3);
      g_assert_cmpint (bill->summary_settlement_total, ==, 123457);
      if (!g_str_equal (types[i].type, "SUCCESS"))
        g_assert_cmpint (bill->summary_refund_total, ==, 1);
      g_assert_cmpstr (row_at (bill, 0)->body, ==, "收银台-测试商品,含逗号");
      g_assert_cmpint (row_at (bill, 1)->settlement_fee, ==, 123456);
      g_assert_cmpstr (row_at (bill, 1)->out_trade_no, ==, "T0000000002");

      /* Same header line as the hand-written golden file of that type. */
      golden_name = g_str_equal (types[i].type, "ALL") ? "all_current.txt"
                    : g_str_equal (types[i].type, "SUCCESS") ? "success_current.txt"
                    : "refund_current.txt";
      golden = read_bill (golden_name);
      golden_header = g_strndup (g_bytes_get_data (golden, NULL),
                                 strcspn (g_bytes_get_data (golden, NULL), "\r\n"));
      g_assert_true (g_str_has_prefix (text, golden_header));
      g_assert_true (text[strlen (golden_header)] == '\r');
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wxpay/bill/yuan-to-fen", test_yuan_to_fen);
  g_test_add_func ("/wxpay/bill/fen-to-yuan", test_fen_to_yuan);
  g_test_add_func ("/wxpay/bill/all-current", test_all_current);
  g_test_add_func ("/wxpay/bill/all-current-gzip", test_all_current_gzip);
  g_test_add_func ("/wxpay/bill/success-current", test_success_current);
  g_test_add_func ("/wxpay/bill/refund-current", test_refund_current);
  g_test_add_func ("/wxpay/bill/old-format", test_old_format);
  g_test_add_func ("/wxpay/bill/summary-mismatch", test_summary_mismatch);
  g_test_add_func ("/wxpay/bill/empty-day", test_empty_day);
  g_test_add_func ("/wxpay/bill/malformed", test_malformed_text);
  g_test_add_func ("/wxpay/bill/sum-overflow", test_sum_overflow);
  g_test_add_func ("/wxpay/bill/format-round-trip", test_format_round_trip);

  return g_test_run ();
}
