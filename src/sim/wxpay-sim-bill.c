/* wxpay-sim-bill.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The downloadbill text of reference §11, current ("免充值券") column sets. Written here rather
 * than shared with libwxpay's parser on purpose: the simulator and the client cannot then share
 * one misreading of the format unnoticed.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* The first 14 columns, common to the three bill types. */
#define COMMON_HEADER "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额"

static const char header_all[] =
  COMMON_HEADER ",微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
static const char header_success[] =
  COMMON_HEADER ",商品名称,商户数据包,手续费,费率,订单金额,费率备注";
static const char header_refund[] =
  COMMON_HEADER ",退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

static const char summary_full[] =
  "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
static const char summary_success[] = "总交易单数,应结订单总金额,手续费总金额,订单总金额";

/* The simulated merchant's rate: 0.60 %. */
#define FEE_RATE_TEXT "0.60%"

char *
wxpay_sim_format_yuan (gint64 fen)
{
  const char *sign = fen < 0 ? "-" : "";
  guint64 abs = fen < 0 ? (guint64)(-(fen + 1)) + 1 : (guint64)fen;

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%02u", sign, abs / 100, (guint)(abs % 100));
}

/* The fee is kept in units of 0.00001 yuan (0.001 fen): 0.6 % of one fen is exactly 6 units. */
static char *
format_fee (gint64 units)
{
  const char *sign = units < 0 ? "-" : "";
  guint64 abs = units < 0 ? (guint64)(-units) : (guint64)units;

  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%05u", sign, abs / 100000, (guint)(abs % 100000));
}

char *
wxpay_sim_format_beijing (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

static void
field (GString    *line,
       const char *value)
{
  if (line->len > 0)
    g_string_append_c (line, ',');
  g_string_append_c (line, '`');
  g_string_append (line, value != NULL ? value : "");
}

static void
field_take (GString *line,
            char    *value)
{
  field (line, value);
  g_free (value);
}

GBytes *
wxpay_sim_bill_format (const char *bill_type,
                       GPtrArray  *records)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean all = strcmp (bill_type, "ALL") == 0;
  gboolean success = strcmp (bill_type, "SUCCESS") == 0;
  gint64 count = 0;
  gint64 settlement_total = 0;
  gint64 refund_total = 0;
  gint64 fee_total = 0;
  gint64 order_total = 0;
  gint64 refund_request_total = 0;

  g_string_append (out, all ? header_all : success ? header_success : header_refund);
  g_string_append_c (out, '\n');

  for (guint i = 0; i < records->len; i++)
    {
      const WxpaySimBillRecord *r = g_ptr_array_index (records, i);
      gboolean is_refund = r->kind == WXPAY_SIM_BILL_REFUND;
      g_autoptr(GString) line = g_string_new (NULL);
      /* A payment row carries the money in; a refund row carries none of it (its amounts are in
       * the refund columns) and gives the fee back, so the day's fee total is net. */
      gint64 settlement = is_refund ? 0 : r->total_fee;
      gint64 fee = is_refund ? -(r->refund_fee * 6) : r->total_fee * 6;
      gint64 refund = is_refund ? r->refund_fee : 0;

      if (success && is_refund)
        continue;
      if (!all && !success && !is_refund)
        continue;

      count++;
      settlement_total += settlement;
      refund_total += refund;
      fee_total += fee;
      order_total += settlement;
      refund_request_total += refund;

      field_take (line, wxpay_sim_format_beijing (bill_type[0] == 'R' ? r->pay_time : r->time));
      field (line, r->appid);
      field (line, r->mch_id);
      field (line, "0");
      field (line, r->device_info);
      field (line, r->transaction_id);
      field (line, r->out_trade_no);
      field (line, r->openid);
      field (line, r->trade_type);
      field (line, r->trade_state);
      field (line, "OTHERS");
      field (line, "CNY");
      field_take (line, wxpay_sim_format_yuan (settlement));
      field (line, "0.00");

      if (all)
        {
          field (line, is_refund ? r->refund_id : "0");
          field (line, is_refund ? r->out_refund_no : "0");
          field_take (line, wxpay_sim_format_yuan (refund));
          field (line, "0.00");
          field (line, is_refund ? "ORIGINAL" : "");
          field (line, is_refund ? r->refund_status : "");
        }
      else if (!success)
        {
          field_take (line, wxpay_sim_format_beijing (r->time));
          if (r->refund_success_time > 0)
            field_take (line, wxpay_sim_format_beijing (r->refund_success_time));
          else
            field (line, "");
          field (line, r->refund_id);
          field (line, r->out_refund_no);
          field_take (line, wxpay_sim_format_yuan (refund));
          field (line, "0.00");
          field (line, "ORIGINAL");
          field (line, r->refund_status);
        }

      field (line, r->body);
      field (line, r->attach);
      field_take (line, format_fee (fee));
      field (line, FEE_RATE_TEXT);
      field_take (line, wxpay_sim_format_yuan (settlement));
      if (!success)
        field_take (line, wxpay_sim_format_yuan (refund));
      field (line, "");

      g_string_append_len (out, line->str, line->len);
      g_string_append_c (out, '\n');
    }

  if (success)
    {
      g_autoptr(GString) line = g_string_new (NULL);

      g_string_append (out, summary_success);
      g_string_append_c (out, '\n');
      field_take (line, g_strdup_printf ("%" G_GINT64_FORMAT, count));
      field_take (line, wxpay_sim_format_yuan (settlement_total));
      field_take (line, format_fee (fee_total));
      field_take (line, wxpay_sim_format_yuan (order_total));
      g_string_append_len (out, line->str, line->len);
    }
  else
    {
      g_autoptr(GString) line = g_string_new (NULL);

      g_string_append (out, summary_full);
      g_string_append_c (out, '\n');
      field_take (line, g_strdup_printf ("%" G_GINT64_FORMAT, count));
      field_take (line, wxpay_sim_format_yuan (settlement_total));
      field_take (line, wxpay_sim_format_yuan (refund_total));
      field (line, "0.00");
      field_take (line, format_fee (fee_total));
      field_take (line, wxpay_sim_format_yuan (order_total));
      field_take (line, wxpay_sim_format_yuan (refund_request_total));
      g_string_append_len (out, line->str, line->len);
    }
  g_string_append_c (out, '\n');

  return g_string_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
wxpay_sim_gzip (GBytes *data)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const guint8 *in = g_bytes_get_data (data, NULL);
  gsize in_left = g_bytes_get_size (data);
  guint8 buf[16384];

  for (;;)
    {
      gsize read = 0;
      gsize written = 0;
      GConverterResult res;

      res = g_converter_convert (G_CONVERTER (compressor), in, in_left, buf, sizeof buf,
                                 G_CONVERTER_INPUT_AT_END, &read, &written, NULL);
      if (res == G_CONVERTER_ERROR)
        break;
      in += read;
      in_left -= read;
      g_byte_array_append (out, buf, written);
      if (res == G_CONVERTER_FINISHED)
        break;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
