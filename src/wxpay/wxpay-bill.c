/* wxpay-bill.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-bill"

#include "config.h"

#include <string.h>

#include "wxpay-bill.h"
#include "wxpay-error.h"
#include "wxpay-private.h"

/* Column names (§11). Old-format synonyms follow the current name. */
#define COL_TRADE_TIME      "交易时间"
#define COL_APPID           "公众账号ID"
#define COL_MCH_ID          "商户号"
#define COL_SUB_MCH_ID      "特约商户号"
#define COL_DEVICE_INFO     "设备号"
#define COL_TRANSACTION_ID  "微信订单号"
#define COL_OUT_TRADE_NO    "商户订单号"
#define COL_OPENID          "用户标识"
#define COL_TRADE_TYPE      "交易类型"
#define COL_TRADE_STATE     "交易状态"
#define COL_BANK_TYPE       "付款银行"
#define COL_FEE_TYPE        "货币种类"
#define COL_SETTLEMENT_FEE  "应结订单金额"
#define COL_SETTLEMENT_OLD  "总金额"
#define COL_COUPON_FEE      "代金券金额"
#define COL_REFUND_ID       "微信退款单号"
#define COL_OUT_REFUND_NO   "商户退款单号"
#define COL_REFUND_FEE      "退款金额"
#define COL_RECHARGE_REFUND "充值券退款金额"
#define COL_REFUND_TYPE     "退款类型"
#define COL_REFUND_STATUS   "退款状态"
#define COL_BODY            "商品名称"
#define COL_ATTACH          "商户数据包"
#define COL_POUNDAGE        "手续费"
#define COL_RATE            "费率"
#define COL_TOTAL_FEE       "订单金额"
#define COL_APPLY_REFUND    "申请退款金额"
#define COL_RATE_NOTE       "费率备注"
#define COL_REFUND_APPLY_TIME   "退款申请时间"
#define COL_REFUND_SUCCESS_TIME "退款成功时间"

#define SUM_COUNT           "总交易单数"
#define SUM_SETTLEMENT      "应结订单总金额"
#define SUM_SETTLEMENT_OLD  "总交易额"
#define SUM_REFUND          "退款总金额"
#define SUM_REFUND_OLD      "总退款金额"
#define SUM_RECHARGE_REFUND "充值券退款总金额"
#define SUM_POUNDAGE        "手续费总金额"
#define SUM_ORDER           "订单总金额"
#define SUM_APPLY_REFUND    "申请退款总金额"

static const char * const all_columns[] = {
  COL_TRADE_TIME, COL_APPID, COL_MCH_ID, COL_SUB_MCH_ID, COL_DEVICE_INFO, COL_TRANSACTION_ID,
  COL_OUT_TRADE_NO, COL_OPENID, COL_TRADE_TYPE, COL_TRADE_STATE, COL_BANK_TYPE, COL_FEE_TYPE,
  COL_SETTLEMENT_FEE, COL_COUPON_FEE, COL_REFUND_ID, COL_OUT_REFUND_NO, COL_REFUND_FEE,
  COL_RECHARGE_REFUND, COL_REFUND_TYPE, COL_REFUND_STATUS, COL_BODY, COL_ATTACH, COL_POUNDAGE,
  COL_RATE, COL_TOTAL_FEE, COL_APPLY_REFUND, COL_RATE_NOTE, NULL
};

static const char * const success_columns[] = {
  COL_TRADE_TIME, COL_APPID, COL_MCH_ID, COL_SUB_MCH_ID, COL_DEVICE_INFO, COL_TRANSACTION_ID,
  COL_OUT_TRADE_NO, COL_OPENID, COL_TRADE_TYPE, COL_TRADE_STATE, COL_BANK_TYPE, COL_FEE_TYPE,
  COL_SETTLEMENT_FEE, COL_COUPON_FEE, COL_BODY, COL_ATTACH, COL_POUNDAGE, COL_RATE,
  COL_TOTAL_FEE, COL_RATE_NOTE, NULL
};

static const char * const refund_columns[] = {
  COL_TRADE_TIME, COL_APPID, COL_MCH_ID, COL_SUB_MCH_ID, COL_DEVICE_INFO, COL_TRANSACTION_ID,
  COL_OUT_TRADE_NO, COL_OPENID, COL_TRADE_TYPE, COL_TRADE_STATE, COL_BANK_TYPE, COL_FEE_TYPE,
  COL_SETTLEMENT_FEE, COL_COUPON_FEE, COL_REFUND_APPLY_TIME, COL_REFUND_SUCCESS_TIME,
  COL_REFUND_ID, COL_OUT_REFUND_NO, COL_REFUND_FEE, COL_RECHARGE_REFUND, COL_REFUND_TYPE,
  COL_REFUND_STATUS, COL_BODY, COL_ATTACH, COL_POUNDAGE, COL_RATE, COL_TOTAL_FEE,
  COL_APPLY_REFUND, COL_RATE_NOTE, NULL
};

static const char * const full_summary[] = {
  SUM_COUNT, SUM_SETTLEMENT, SUM_REFUND, SUM_RECHARGE_REFUND, SUM_POUNDAGE, SUM_ORDER,
  SUM_APPLY_REFUND, NULL
};

static const char * const success_summary[] = {
  SUM_COUNT, SUM_SETTLEMENT, SUM_POUNDAGE, SUM_ORDER, NULL
};

WxpayBillRow *
wxpay_bill_row_new (void)
{
  WxpayBillRow *row = g_new0 (WxpayBillRow, 1);

  row->total_fee = -1;

  return row;
}

WxpayBillRow *
wxpay_bill_row_copy (const WxpayBillRow *row)
{
  WxpayBillRow *copy;

  g_return_val_if_fail (row != NULL, NULL);

  copy = g_new0 (WxpayBillRow, 1);
  *copy = *row;
  copy->trade_time = g_strdup (row->trade_time);
  copy->appid = g_strdup (row->appid);
  copy->mch_id = g_strdup (row->mch_id);
  copy->device_info = g_strdup (row->device_info);
  copy->transaction_id = g_strdup (row->transaction_id);
  copy->out_trade_no = g_strdup (row->out_trade_no);
  copy->trade_type = g_strdup (row->trade_type);
  copy->trade_state = g_strdup (row->trade_state);
  copy->refund_id = g_strdup (row->refund_id);
  copy->out_refund_no = g_strdup (row->out_refund_no);
  copy->refund_status = g_strdup (row->refund_status);
  copy->body = g_strdup (row->body);
  copy->attach = g_strdup (row->attach);

  return copy;
}

void
wxpay_bill_row_free (WxpayBillRow *row)
{
  if (row == NULL)
    return;

  g_free (row->trade_time);
  g_free (row->appid);
  g_free (row->mch_id);
  g_free (row->device_info);
  g_free (row->transaction_id);
  g_free (row->out_trade_no);
  g_free (row->trade_type);
  g_free (row->trade_state);
  g_free (row->refund_id);
  g_free (row->out_refund_no);
  g_free (row->refund_status);
  g_free (row->body);
  g_free (row->attach);
  g_free (row);
}

void
wxpay_bill_free (WxpayBill *bill)
{
  if (bill == NULL)
    return;

  g_clear_pointer (&bill->columns, g_ptr_array_unref);
  g_clear_pointer (&bill->rows, g_ptr_array_unref);
  g_free (bill);
}

/**
 * wxpay_bill_yuan_to_fen:
 * @text: yuan as in a bill: "0.01", "12.5", "3", "-1.00", "0.00000"
 * @out_fen: (out) (optional): the amount in fen
 *
 * Integer-only: digits after the second decimal must be zero (so "0.00000" is accepted and
 * "0.001" is not). No spaces, no exponent, no leading '+' or '.'.
 *
 * Returns: %TRUE when @text is a valid amount that fits a gint64
 */
gboolean
wxpay_bill_yuan_to_fen (const char *text,
                        gint64     *out_fen)
{
  const char *p = text;
  gboolean negative = FALSE;
  guint64 yuan = 0;
  guint64 fen = 0;
  guint64 total;
  guint int_digits = 0;

  if (text == NULL)
    return FALSE;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }

  for (; g_ascii_isdigit (*p); p++)
    {
      yuan = yuan * 10 + (guint64)(*p - '0');
      if (yuan > G_MAXINT64 / 100)
        return FALSE;
      int_digits++;
    }

  if (int_digits == 0)
    return FALSE;

  if (*p == '.')
    {
      guint frac_digits = 0;

      p++;
      for (; g_ascii_isdigit (*p); p++, frac_digits++)
        {
          if (frac_digits == 0)
            fen += (guint64)(*p - '0') * 10;
          else if (frac_digits == 1)
            fen += (guint64)(*p - '0');
          else if (*p != '0')
            return FALSE;
        }
      if (frac_digits == 0)
        return FALSE;
    }

  if (*p != '\0')
    return FALSE;

  total = yuan * 100 + fen;
  if (total > G_MAXINT64)
    return FALSE;
  if (out_fen != NULL)
    *out_fen = negative ? -(gint64)total : (gint64)total;

  return TRUE;
}

/**
 * wxpay_bill_fen_to_yuan:
 * @fen: an amount in fen
 *
 * Returns: (transfer full): yuan with two decimals
 */
char *
wxpay_bill_fen_to_yuan (gint64 fen)
{
  guint64 abs_fen = fen < 0 ? (guint64)(-(fen + 1)) + 1 : (guint64)fen;

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%02u", fen < 0 ? "-" : "",
                          abs_fen / 100, (guint)(abs_fen % 100));
}

static gboolean
set_malformed (GError    **error,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_malformed (GError    **error,
               const char *format,
               ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE, "Bill: %s", msg);

  return FALSE;
}

static GPtrArray *
split_header (const char *line)
{
  g_auto(GStrv) parts = g_strsplit (line, ",", -1);
  GPtrArray *columns = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++)
    g_ptr_array_add (columns, g_strdup (g_strstrip (parts[i])));

  return columns;
}

/* Every data field starts with a backtick, so ",`" separates fields even when a 商品名称 or
 * 商户数据包 contains a bare comma (WeChat does not escape those). */
static GPtrArray *
split_data (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  const char *p;

  g_assert (line[0] == '`');

  p = line + 1;
  for (;;)
    {
      const char *sep = strstr (p, ",`");

      if (sep == NULL)
        {
          g_ptr_array_add (fields, g_strdup (p));
          break;
        }
      g_ptr_array_add (fields, g_strndup (p, sep - p));
      p = sep + 2;
    }

  return fields;
}

static int
column_index (GPtrArray  *columns,
              const char *name)
{
  for (guint i = 0; i < columns->len; i++)
    {
      if (strcmp (g_ptr_array_index (columns, i), name) == 0)
        return (int)i;
    }

  return -1;
}

static int
column_index2 (GPtrArray  *columns,
               const char *name,
               const char *old_name)
{
  int idx = column_index (columns, name);

  if (idx < 0 && old_name != NULL)
    idx = column_index (columns, old_name);

  return idx;
}

static char *
field_dup (GPtrArray *fields,
           int        idx)
{
  if (idx < 0)
    return NULL;

  return g_strdup (g_ptr_array_index (fields, idx));
}

/* Money field; @empty_ok makes "" mean 0 (refund columns of payment rows). */
static gboolean
field_fen (GPtrArray  *fields,
           int         idx,
           gboolean    empty_ok,
           gint64     *out,
           const char *what,
           guint       line_no,
           GError    **error)
{
  const char *text;

  if (idx < 0)
    {
      *out = 0;
      return TRUE;
    }

  text = g_ptr_array_index (fields, idx);
  if (empty_ok && *text == '\0')
    {
      *out = 0;
      return TRUE;
    }

  if (!wxpay_bill_yuan_to_fen (text, out))
    return set_malformed (error, "line %u: bad amount “%s” in %s", line_no, text, what);

  return TRUE;
}

/* GLib has no signed overflow helpers; the compiler builtin is exact and defined. */
static gboolean
add_overflow_i64 (gint64  a,
                    gint64  b,
                    gint64 *out)
{
  return __builtin_add_overflow (a, b, out);
}

static gboolean
check_sum (GPtrArray  *sum_columns,
           GPtrArray  *sum_fields,
           const char *name,
           const char *old_name,
           gboolean    have_column,
           gint64      expected,
           gint64     *out_value,
           GError    **error)
{
  int idx = column_index2 (sum_columns, name, old_name);
  gint64 value;

  *out_value = -1;
  if (idx < 0)
    return TRUE;

  if (!wxpay_bill_yuan_to_fen (g_ptr_array_index (sum_fields, idx), &value))
    return set_malformed (error, "bad summary amount in %s", name);

  *out_value = value;
  if (have_column && value != expected)
    return set_malformed (error, "summary %s is %" G_GINT64_FORMAT " fen, rows add up to %"
                          G_GINT64_FORMAT, name, value, expected);

  return TRUE;
}

/**
 * wxpay_bill_parse:
 * @data: the bill text, or its gzip
 * @error: return location for a %WXPAY_ERROR_MALFORMED_RESPONSE error
 *
 * Columns are found by header name (current ALL/SUCCESS/REFUND and the old 24-column format);
 * the summary line must agree with the rows (count and every sum it has a column for).
 *
 * Returns: (transfer full) (nullable): the bill
 */
WxpayBill *
wxpay_bill_parse (GBytes  *data,
                  GError **error)
{
  g_autoptr(GBytes) text_bytes = NULL;
  g_autoptr(WxpayBill) bill = NULL;
  g_autoptr(GPtrArray) sum_columns = NULL;
  g_autoptr(GPtrArray) sum_fields = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize len = 0;
  const char *raw;
  const char *start;
  guint n_lines = 0;
  guint i;
  int c_time, c_appid, c_mch, c_device, c_txn, c_otn, c_type, c_state, c_settle, c_total;
  int c_refund_id, c_orn, c_refund_fee, c_refund_status, c_body, c_attach;
  gint64 sum_settlement = 0, sum_refund = 0, sum_total = 0, value;

  g_return_val_if_fail (data != NULL, NULL);

  if (wxpay_bytes_is_gzip (data))
    {
      text_bytes = wxpay_gunzip (data, WXPAY_GUNZIP_MAX_SIZE, error);
      if (text_bytes == NULL)
        return NULL;
    }
  else
    text_bytes = g_bytes_ref (data);

  raw = g_bytes_get_data (text_bytes, &len);
  if (len == 0)
    return set_malformed (error, "empty"), NULL;
  if (!g_utf8_validate_len (raw, len, NULL))
    return set_malformed (error, "not UTF-8"), NULL;

  start = raw;
  if (len >= 3 && memcmp (raw, "\xEF\xBB\xBF", 3) == 0)
    start += 3;
  text = g_strndup (start, len - (start - raw));

  /* Drop "\r" of CRLF lines and blank lines; keep order. */
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);
      if (lines[i][0] != '\0')
        {
          char *tmp = lines[n_lines];

          lines[n_lines] = lines[i];
          lines[i] = tmp;
          n_lines++;
        }
    }

  if (n_lines < 3)
    return set_malformed (error, "too few lines (%u)", n_lines), NULL;

  if (lines[0][0] == '`')
    return set_malformed (error, "no header line"), NULL;

  bill = g_new0 (WxpayBill, 1);
  bill->columns = split_header (lines[0]);
  bill->rows = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_bill_row_free);
  bill->summary_order_total = -1;

  c_time = column_index (bill->columns, COL_TRADE_TIME);
  c_appid = column_index (bill->columns, COL_APPID);
  c_mch = column_index (bill->columns, COL_MCH_ID);
  c_device = column_index (bill->columns, COL_DEVICE_INFO);
  c_txn = column_index (bill->columns, COL_TRANSACTION_ID);
  c_otn = column_index (bill->columns, COL_OUT_TRADE_NO);
  c_type = column_index (bill->columns, COL_TRADE_TYPE);
  c_state = column_index (bill->columns, COL_TRADE_STATE);
  c_settle = column_index2 (bill->columns, COL_SETTLEMENT_FEE, COL_SETTLEMENT_OLD);
  c_total = column_index (bill->columns, COL_TOTAL_FEE);
  c_refund_id = column_index (bill->columns, COL_REFUND_ID);
  c_orn = column_index (bill->columns, COL_OUT_REFUND_NO);
  c_refund_fee = column_index (bill->columns, COL_REFUND_FEE);
  c_refund_status = column_index (bill->columns, COL_REFUND_STATUS);
  c_body = column_index (bill->columns, COL_BODY);
  c_attach = column_index (bill->columns, COL_ATTACH);

  if (c_time < 0 || c_otn < 0 || c_state < 0 || c_settle < 0)
    return set_malformed (error, "header lacks 交易时间/商户订单号/交易状态/金额 columns"), NULL;

  for (i = 1; i < n_lines && lines[i][0] == '`'; i++)
    {
      g_autoptr(GPtrArray) fields = split_data (lines[i]);
      g_autoptr(WxpayBillRow) row = NULL;

      if (fields->len != bill->columns->len)
        return set_malformed (error, "line %u has %u fields, the header %u", i + 1,
                              fields->len, bill->columns->len), NULL;

      row = wxpay_bill_row_new ();
      row->trade_time = field_dup (fields, c_time);
      row->appid = field_dup (fields, c_appid);
      row->mch_id = field_dup (fields, c_mch);
      row->device_info = field_dup (fields, c_device);
      row->transaction_id = field_dup (fields, c_txn);
      row->out_trade_no = field_dup (fields, c_otn);
      row->trade_type = field_dup (fields, c_type);
      row->trade_state = field_dup (fields, c_state);
      row->refund_id = field_dup (fields, c_refund_id);
      row->out_refund_no = field_dup (fields, c_orn);
      row->refund_status = field_dup (fields, c_refund_status);
      row->body = field_dup (fields, c_body);
      row->attach = field_dup (fields, c_attach);

      if (!field_fen (fields, c_settle, FALSE, &row->settlement_fee, "应结订单金额", i + 1, error) ||
          !field_fen (fields, c_refund_fee, TRUE, &row->refund_fee, COL_REFUND_FEE, i + 1, error))
        return NULL;

      if (c_total >= 0)
        {
          if (!field_fen (fields, c_total, TRUE, &row->total_fee, COL_TOTAL_FEE, i + 1, error))
            return NULL;
        }
      else
        row->total_fee = row->settlement_fee;

      /* Each amount fits a gint64; their sum need not (a hostile or corrupt bill): signed
       * overflow is undefined, and a wrapped sum could match a forged summary. */
      if (add_overflow_i64 (sum_settlement, row->settlement_fee, &sum_settlement) ||
          add_overflow_i64 (sum_refund, row->refund_fee, &sum_refund) ||
          add_overflow_i64 (sum_total, row->total_fee, &sum_total))
        return set_malformed (error, "line %u: the amounts add up to more than a gint64 holds",
                              i + 1), NULL;

      g_ptr_array_add (bill->rows, g_steal_pointer (&row));
    }

  if (i + 2 != n_lines)
    return set_malformed (error, "expected a summary header and one summary line"), NULL;
  if (lines[i + 1][0] != '`')
    return set_malformed (error, "summary line is not backtick-prefixed"), NULL;

  sum_columns = split_header (lines[i]);
  sum_fields = split_data (lines[i + 1]);
  if (sum_columns->len != sum_fields->len)
    return set_malformed (error, "summary has %u values for %u names", sum_fields->len,
                          sum_columns->len), NULL;

  {
    int idx = column_index (sum_columns, SUM_COUNT);
    const char *count_text;
    guint64 count = 0;

    if (idx < 0)
      return set_malformed (error, "summary lacks 总交易单数"), NULL;
    count_text = g_ptr_array_index (sum_fields, idx);
    if (!g_ascii_string_to_unsigned (count_text, 10, 0, G_MAXINT64, &count, NULL))
      return set_malformed (error, "bad 总交易单数 “%s”", count_text), NULL;
    if (count != bill->rows->len)
      return set_malformed (error, "summary counts %" G_GUINT64_FORMAT " rows, the bill has %u",
                            count, bill->rows->len), NULL;
    bill->summary_count = (gint64)count;
  }

  if (!check_sum (sum_columns, sum_fields, SUM_SETTLEMENT, SUM_SETTLEMENT_OLD, TRUE,
                  sum_settlement, &value, error))
    return NULL;
  if (value < 0 && column_index2 (sum_columns, SUM_SETTLEMENT, SUM_SETTLEMENT_OLD) < 0)
    return set_malformed (error, "summary lacks the total amount"), NULL;
  bill->summary_settlement_total = value;

  if (!check_sum (sum_columns, sum_fields, SUM_REFUND, SUM_REFUND_OLD, c_refund_fee >= 0,
                  sum_refund, &value, error))
    return NULL;
  bill->summary_refund_total = value < 0 ? 0 : value;

  if (!check_sum (sum_columns, sum_fields, SUM_ORDER, NULL, c_total >= 0,
                  sum_total, &value, error))
    return NULL;
  bill->summary_order_total = value;

  return g_steal_pointer (&bill);
}

static const char *
nonnull (const char *s)
{
  return s ? s : "";
}

static char *
row_value (const WxpayBillRow *row,
           const char         *column)
{
  gint64 total = row->total_fee >= 0 ? row->total_fee : row->settlement_fee;

  if (strcmp (column, COL_TRADE_TIME) == 0 ||
      strcmp (column, COL_REFUND_APPLY_TIME) == 0 ||
      strcmp (column, COL_REFUND_SUCCESS_TIME) == 0)
    return g_strdup (nonnull (row->trade_time));
  if (strcmp (column, COL_APPID) == 0)
    return g_strdup (nonnull (row->appid));
  if (strcmp (column, COL_MCH_ID) == 0)
    return g_strdup (nonnull (row->mch_id));
  if (strcmp (column, COL_SUB_MCH_ID) == 0)
    return g_strdup ("0");
  if (strcmp (column, COL_DEVICE_INFO) == 0)
    return g_strdup (nonnull (row->device_info));
  if (strcmp (column, COL_TRANSACTION_ID) == 0)
    return g_strdup (nonnull (row->transaction_id));
  if (strcmp (column, COL_OUT_TRADE_NO) == 0)
    return g_strdup (nonnull (row->out_trade_no));
  if (strcmp (column, COL_TRADE_TYPE) == 0)
    return g_strdup (nonnull (row->trade_type));
  if (strcmp (column, COL_TRADE_STATE) == 0)
    return g_strdup (nonnull (row->trade_state));
  if (strcmp (column, COL_BANK_TYPE) == 0)
    return g_strdup ("OTHERS");
  if (strcmp (column, COL_FEE_TYPE) == 0)
    return g_strdup ("CNY");
  if (strcmp (column, COL_SETTLEMENT_FEE) == 0)
    return wxpay_bill_fen_to_yuan (row->settlement_fee);
  if (strcmp (column, COL_REFUND_ID) == 0)
    return g_strdup (row->refund_id ? row->refund_id : "0");
  if (strcmp (column, COL_OUT_REFUND_NO) == 0)
    return g_strdup (row->out_refund_no ? row->out_refund_no : "0");
  if (strcmp (column, COL_REFUND_FEE) == 0 || strcmp (column, COL_APPLY_REFUND) == 0)
    return wxpay_bill_fen_to_yuan (row->refund_fee);
  if (strcmp (column, COL_REFUND_STATUS) == 0)
    return g_strdup (nonnull (row->refund_status));
  if (strcmp (column, COL_BODY) == 0)
    return g_strdup (nonnull (row->body));
  if (strcmp (column, COL_ATTACH) == 0)
    return g_strdup (nonnull (row->attach));
  if (strcmp (column, COL_POUNDAGE) == 0)
    return g_strdup ("0.00000");
  if (strcmp (column, COL_RATE) == 0)
    return g_strdup ("0.60%");
  if (strcmp (column, COL_TOTAL_FEE) == 0)
    return wxpay_bill_fen_to_yuan (total);
  if (strcmp (column, COL_COUPON_FEE) == 0 || strcmp (column, COL_RECHARGE_REFUND) == 0)
    return g_strdup ("0.00");

  return g_strdup ("");
}

static void
append_joined (GString            *out,
               const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, names[i]);
    }
  g_string_append (out, "\r\n");
}

/**
 * wxpay_bill_format:
 * @bill_type: "ALL", "SUCCESS" or "REFUND"
 * @rows: (element-type WxpayBillRow): the rows
 *
 * Returns: (transfer full): the bill text
 */
char *
wxpay_bill_format (const char *bill_type,
                   GPtrArray  *rows)
{
  const char * const *columns;
  const char * const *summary;
  gint64 settlement = 0, refund = 0, total = 0;
  GString *out;

  g_return_val_if_fail (rows != NULL, NULL);

  if (g_strcmp0 (bill_type, "SUCCESS") == 0)
    {
      columns = success_columns;
      summary = success_summary;
    }
  else if (g_strcmp0 (bill_type, "REFUND") == 0)
    {
      columns = refund_columns;
      summary = full_summary;
    }
  else
    {
      columns = all_columns;
      summary = full_summary;
    }

  out = g_string_new (NULL);
  append_joined (out, columns);

  for (guint r = 0; r < rows->len; r++)
    {
      const WxpayBillRow *row = g_ptr_array_index (rows, r);

      for (guint c = 0; columns[c] != NULL; c++)
        {
          g_autofree char *value = row_value (row, columns[c]);

          if (c > 0)
            g_string_append_c (out, ',');
          g_string_append_c (out, '`');
          g_string_append (out, value);
        }
      g_string_append (out, "\r\n");

      settlement += row->settlement_fee;
      refund += row->refund_fee;
      total += row->total_fee >= 0 ? row->total_fee : row->settlement_fee;
    }

  append_joined (out, summary);
  for (guint c = 0; summary[c] != NULL; c++)
    {
      g_autofree char *value = NULL;

      if (strcmp (summary[c], SUM_COUNT) == 0)
        value = g_strdup_printf ("%u", rows->len);
      else if (strcmp (summary[c], SUM_SETTLEMENT) == 0)
        value = wxpay_bill_fen_to_yuan (settlement);
      else if (strcmp (summary[c], SUM_REFUND) == 0 || strcmp (summary[c], SUM_APPLY_REFUND) == 0)
        value = wxpay_bill_fen_to_yuan (refund);
      else if (strcmp (summary[c], SUM_ORDER) == 0)
        value = wxpay_bill_fen_to_yuan (total);
      else if (strcmp (summary[c], SUM_POUNDAGE) == 0)
        value = g_strdup ("0.00000");
      else
        value = g_strdup ("0.00");

      if (c > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '`');
      g_string_append (out, value);
    }
  g_string_append (out, "\r\n");

  return g_string_free (out, FALSE);
}

/**
 * wxpay_bill_gzip:
 * @text: the bill text
 *
 * Returns: (transfer full): its gzip
 */
GBytes *
wxpay_bill_gzip (GBytes *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  return wxpay_gzip (text);
}
