/* wxpay-sim-server-refunds.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Refunds: refund and refundquery.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

void
wxpay_sim_refund_notify_start (WxpaySimServer *self,
                               SimRefund      *refund)
{
  Delivery *delivery;

  if (wxpay_sim_is_empty (refund->notify_url))
    return;

  delivery = g_new0 (Delivery, 1);
  delivery->out_trade_no = g_strdup (refund->order->out_trade_no);
  delivery->out_refund_no = g_strdup (refund->out_refund_no);
  delivery->due = MAX (refund->done_at, wxpay_sim_now (self));
  g_ptr_array_add (self->deliveries, delivery);
  wxpay_sim_schedule_deliveries (self);
}

static WxpayParams *
refund_answer (Call      *call,
               SimRefund *refund)
{
  SimOrder *order = refund->order;
  WxpayParams *answer = wxpay_sim_answer_new (call, "SUCCESS");

  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set (answer, "out_refund_no", refund->out_refund_no);
  wxpay_params_set (answer, "refund_id", refund->refund_id);
  wxpay_params_set_int64 (answer, "refund_fee", refund->refund_fee);
  wxpay_params_set_int64 (answer, "settlement_refund_fee", refund->refund_fee);
  wxpay_params_set_int64 (answer, "total_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "settlement_total_fee", order->total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", order->total_fee);
  wxpay_params_set (answer, "cash_fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_refund_fee", refund->refund_fee);
  wxpay_params_set (answer, "coupon_refund_fee", "0");
  wxpay_params_set (answer, "coupon_refund_count", "0");

  return answer;
}

GBytes *
wxpay_sim_api_refund (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = { "out_refund_no", "total_fee", "refund_fee", NULL };
  const char *missing = wxpay_sim_check_required (call->req, required);
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *out_refund_no = wxpay_params_get (call->req, "out_refund_no");
  const char *notify_url = wxpay_params_get (call->req, "notify_url");
  SimRefund *refund;
  SimOrder *order;
  gint64 total_fee;
  gint64 refund_fee;

  if (missing == NULL && wxpay_sim_is_empty (transaction_id) && wxpay_sim_is_empty (out_trade_no))
    missing = "out_trade_no";
  if (missing != NULL)
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, missing));

  if (!wxpay_sim_is_out_refund_no (out_refund_no))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "out_refund_no参数格式错误"));
  if (!wxpay_sim_is_positive_int (wxpay_params_get (call->req, "total_fee"), &total_fee))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "invalid total_fee"));
  if (!wxpay_sim_is_positive_int (wxpay_params_get (call->req, "refund_fee"), &refund_fee))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "invalid refund_fee"));
  if (!wxpay_sim_is_empty (notify_url) &&
      ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) ||
       strchr (notify_url, '?') != NULL))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "notify_url参数格式错误"));

  order = wxpay_sim_lookup_order (self, transaction_id, out_trade_no, call->now);
  if (order == NULL && !wxpay_sim_is_empty (transaction_id))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "INVALID_TRANSACTIONID", "无效transaction_id"));
  if (order == NULL || (order->state != TRADE_SUCCESS && order->state != TRADE_REFUND))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERNOTEXIST", "订单不存在或未支付"));

  /* §7: the same out_refund_no is refunded once; a retry gets the same refund back. */
  refund = g_hash_table_lookup (self->refunds, out_refund_no);
  if (refund != NULL)
    {
      if (refund->order != order || refund->refund_fee != refund_fee || total_fee != order->total_fee)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR",
                                                  "订单金额或退款金额与之前请求不一致，请核实后再试"));
      return wxpay_sim_finish_answer (call, refund_answer (call, refund));
    }

  if (total_fee != order->total_fee)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "订单金额不一致"));
  if (refund_fee > total_fee)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "退款金额大于订单金额"));
  if (order->refunds->len >= MAX_REFUNDS_PER_ORDER)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ERROR", "订单退款次数超过限制（最多50次）"));
  if (wxpay_sim_order_refunded (order) >= order->total_fee)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ERROR", "订单已全额退款"));
  if (wxpay_sim_order_refunded (order) + refund_fee > order->total_fee)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ERROR", "累计退款金额大于支付金额"));

  refund = g_new0 (SimRefund, 1);
  refund->order = order;
  refund->out_refund_no = g_strdup (out_refund_no);
  refund->refund_id = wxpay_sim_new_refund_id (self, call->now);
  refund->notify_url = g_strdup (wxpay_sim_is_empty (notify_url) ? NULL : notify_url);
  refund->refund_fee = refund_fee;
  refund->created = call->now;
  refund->done_at = call->now + REFUND_PROCESSING_TIME;
  g_ptr_array_add (order->refunds, refund);
  g_hash_table_insert (self->refunds, refund->out_refund_no, refund);
  g_hash_table_insert (self->refunds_by_id, refund->refund_id, refund);
  order->state = TRADE_REFUND;
  wxpay_sim_refund_notify_start (self, refund);
  wxpay_sim_queue_save (self);

  return wxpay_sim_finish_answer (call, refund_answer (call, refund));
}

GBytes *
wxpay_sim_api_refundquery (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *refund_id = wxpay_params_get (call->req, "refund_id");
  const char *out_refund_no = wxpay_params_get (call->req, "out_refund_no");
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *offset_text = wxpay_params_get (call->req, "offset");
  g_autoptr(GPtrArray) selected = g_ptr_array_new ();
  SimOrder *order = NULL;
  WxpayParams *answer;
  guint64 offset = 0;
  guint total = 0;

  if (!wxpay_sim_is_empty (offset_text) &&
      !g_ascii_string_to_unsigned (offset_text, 10, 0, G_MAXUINT, &offset, NULL))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "offset参数格式错误"));

  /* §8: refund_id > out_refund_no > transaction_id > out_trade_no. */
  if (!wxpay_sim_is_empty (refund_id) || !wxpay_sim_is_empty (out_refund_no))
    {
      SimRefund *refund = !wxpay_sim_is_empty (refund_id)
        ? g_hash_table_lookup (self->refunds_by_id, refund_id)
        : g_hash_table_lookup (self->refunds, out_refund_no);

      if (refund == NULL)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "REFUNDNOTEXIST", "退款订单查询失败"));
      order = refund->order;
      g_ptr_array_add (selected, refund);
      total = 1;
    }
  else if (!wxpay_sim_is_empty (transaction_id) || !wxpay_sim_is_empty (out_trade_no))
    {
      order = wxpay_sim_lookup_order (self, transaction_id, out_trade_no, call->now);
      if (order == NULL && !wxpay_sim_is_empty (transaction_id))
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "INVALID_TRANSACTIONID", "无效transaction_id"));
      if (order == NULL || order->refunds->len == 0)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "REFUNDNOTEXIST", "退款订单查询失败"));
      total = order->refunds->len;
      if (offset >= total)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR", "offset超出范围"));
      for (guint i = offset; i < total && selected->len < REFUNDQUERY_PAGE; i++)
        g_ptr_array_add (selected, g_ptr_array_index (order->refunds, i));
    }
  else
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, "out_trade_no"));

  answer = wxpay_sim_answer_new (call, "SUCCESS");
  wxpay_params_set_int64 (answer, "total_refund_count", total);
  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set_int64 (answer, "total_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "settlement_total_fee", order->total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "refund_count", selected->len);

  for (guint n = 0; n < selected->len; n++)
    {
      SimRefund *refund = g_ptr_array_index (selected, n);
      const char *status = wxpay_sim_refund_status (refund, call->now);

#define SET_N(name, value) G_STMT_START {                                  \
        g_autofree char *key_ = g_strdup_printf ("%s_%u", name, n);        \
        wxpay_params_set (answer, key_, value);                            \
      } G_STMT_END
#define SET_N_INT(name, value) G_STMT_START {                              \
        g_autofree char *key_ = g_strdup_printf ("%s_%u", name, n);        \
        wxpay_params_set_int64 (answer, key_, value);                      \
      } G_STMT_END

      SET_N ("out_refund_no", refund->out_refund_no);
      SET_N ("refund_id", refund->refund_id);
      SET_N ("refund_channel", "ORIGINAL");
      SET_N_INT ("refund_fee", refund->refund_fee);
      SET_N_INT ("settlement_refund_fee", refund->refund_fee);
      SET_N ("coupon_refund_fee", "0");
      SET_N ("coupon_refund_count", "0");
      SET_N ("refund_status", status);
      SET_N ("refund_account", "REFUND_SOURCE_UNSETTLED_FUNDS");
      SET_N ("refund_recv_accout", "支付用户零钱");
      if (strcmp (status, "SUCCESS") == 0)
        {
          g_autofree char *when = wxpay_sim_format_beijing (refund->done_at);

          SET_N ("refund_success_time", when);
        }
#undef SET_N
#undef SET_N_INT
    }

  return wxpay_sim_finish_answer (call, answer);
}
