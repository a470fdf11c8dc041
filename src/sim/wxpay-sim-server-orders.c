/* wxpay-sim-server-orders.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Orders: the lazy state transitions and unifiedorder, orderquery, closeorder, micropay, reverse.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

const char * const wxpay_sim_trade_state_names[] = {
  "NOTPAY", "USERPAYING", "SUCCESS", "REFUND", "CLOSED", "REVOKED", "PAYERROR",
};

const char * const wxpay_sim_trade_state_descs[] = {
  "订单未支付",
  "需要用户输入支付密码",
  "支付成功",
  "订单发生过退款，退款详情请查询退款单",
  "订单已关闭",
  "订单已撤销",
  "支付失败，请重新下单支付",
};

void
wxpay_sim_refund_free (SimRefund *refund)
{
  g_free (refund->out_refund_no);
  g_free (refund->refund_id);
  g_free (refund->notify_url);
  g_free (refund);
}

void
wxpay_sim_order_free (SimOrder *order)
{
  g_free (order->out_trade_no);
  g_free (order->trade_type);
  g_free (order->token);
  g_free (order->prepay_id);
  g_free (order->transaction_id);
  g_clear_pointer (&order->request, wxpay_params_unref);
  g_clear_pointer (&order->refunds, g_ptr_array_unref);
  g_free (order);
}

/* ------------------------------------------------------------------------------------------ */
/* Orders and their lazy transitions                                                           */

void
wxpay_sim_start_payment_notification (WxpaySimServer *self,
                                      SimOrder       *order)
{
  Delivery *delivery;

  if (strcmp (order->trade_type, "MICROPAY") == 0 || wxpay_sim_is_empty (wxpay_sim_order_get (order, "notify_url")))
    return;

  delivery = g_new0 (Delivery, 1);
  delivery->out_trade_no = g_strdup (order->out_trade_no);
  delivery->due = wxpay_sim_now (self);
  g_ptr_array_add (self->deliveries, delivery);
  wxpay_sim_schedule_deliveries (self);
}

void
wxpay_sim_mark_paid (WxpaySimServer *self,
                     SimOrder       *order,
                     gint64          when)
{
  order->state = TRADE_SUCCESS;
  order->pending = PENDING_NONE;
  order->paid_at = when;
  if (order->transaction_id == NULL)
    {
      order->transaction_id = wxpay_sim_new_transaction_id (self, when);
      g_hash_table_insert (self->by_transaction, order->transaction_id, order);
    }
  wxpay_sim_start_payment_notification (self, order);
  wxpay_sim_queue_save (self);
}

void
wxpay_sim_order_refresh (WxpaySimServer *self,
                         SimOrder       *order,
                         gint64          now)
{
  if (order->state == TRADE_USERPAYING && order->pending != PENDING_NONE &&
      now >= order->pending_until)
    {
      if (order->pending == PENDING_SUCCESS)
        wxpay_sim_mark_paid (self, order, order->pending_until);
      else
        order->state = TRADE_PAYERROR;
      order->pending = PENDING_NONE;
      wxpay_sim_queue_save (self);
    }

  if ((order->state == TRADE_NOTPAY ||
       (order->state == TRADE_USERPAYING && order->pending == PENDING_NONE)) &&
      order->expire > 0 && now >= order->expire)
    {
      order->state = TRADE_CLOSED;
      order->closed_at = order->expire;
      wxpay_sim_queue_save (self);
    }
}

SimOrder *
wxpay_sim_lookup_order (WxpaySimServer *self,
                        const char     *transaction_id,
                        const char     *out_trade_no,
                        gint64          now)
{
  SimOrder *order = NULL;

  if (!wxpay_sim_is_empty (transaction_id))
    order = g_hash_table_lookup (self->by_transaction, transaction_id);
  else if (!wxpay_sim_is_empty (out_trade_no))
    order = g_hash_table_lookup (self->orders, out_trade_no);

  if (order != NULL)
    wxpay_sim_order_refresh (self, order, now);

  return order;
}

gint64
wxpay_sim_order_refunded (SimOrder *order)
{
  gint64 sum = 0;

  for (guint i = 0; i < order->refunds->len; i++)
    sum += ((SimRefund *)g_ptr_array_index (order->refunds, i))->refund_fee;

  return sum;
}

const char *
wxpay_sim_refund_status (SimRefund *refund,
                         gint64     now)
{
  if (now < refund->done_at)
    return "PROCESSING";
  return refund->abnormal ? "CHANGE" : "SUCCESS";
}

static SimOrder *
add_order (WxpaySimServer *self,
           const char     *out_trade_no,
           const char     *trade_type,
           WxpayParams    *business,
           WxpaySignType   sign_type,
           gint64          total_fee,
           gint64          now,
           gint64          expire)
{
  SimOrder *order = g_new0 (SimOrder, 1);
  g_autofree char *stamp = wxpay_sim_format_compact (now);
  g_autofree char *rnd = wxpay_sim_random_alnum (20);

  order->out_trade_no = g_strdup (out_trade_no);
  order->trade_type = g_strdup (trade_type);
  do
    {
      g_free (order->token);
      order->token = wxpay_sim_random_alnum (12);
    }
  while (g_hash_table_contains (self->by_token, order->token));
  order->prepay_id = g_strdup_printf ("wx%s%s", stamp, rnd);
  order->request = business;
  order->sign_type = sign_type;
  order->total_fee = total_fee;
  order->created = now;
  order->expire = expire;
  order->state = TRADE_NOTPAY;
  order->refunds = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_refund_free);

  g_hash_table_insert (self->orders, order->out_trade_no, order);
  g_hash_table_insert (self->by_token, order->token, order);
  g_ptr_array_add (self->order_list, order);
  wxpay_sim_queue_save (self);

  return order;
}

/* ------------------------------------------------------------------------------------------ */
/* Gateway: the APIs                                                                           */

/* The checks unifiedorder and micropay share (§4.1, §13.1). */
static GBytes *
check_order_fields (Call       *call,
                    const char *out_trade_no,
                    gint64     *out_total_fee)
{
  if (!wxpay_out_trade_no_is_valid (out_trade_no))
    return wxpay_sim_format_error ("out_trade_no");
  if (!wxpay_sim_is_positive_int (wxpay_params_get (call->req, "total_fee"), out_total_fee))
    return wxpay_sim_fail_bytes ("invalid total_fee");
  if (!wxpay_sim_max_length_ok (call->req, "body", 127))
    return wxpay_sim_fail_bytes ("body参数长度有误");
  return NULL;
}

GBytes *
wxpay_sim_api_unifiedorder (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = {
    "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type", NULL
  };
  const char *missing = wxpay_sim_check_required (call->req, required);
  const char *trade_type = wxpay_params_get (call->req, "trade_type");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *notify_url = wxpay_params_get (call->req, "notify_url");
  const char *fee_type = wxpay_params_get (call->req, "fee_type");
  g_autoptr(GInetAddress) ip = NULL;
  WxpayParams *business_error = NULL;
  SimOrder *order;
  GBytes *bad;
  gint64 total_fee;
  gint64 expire;
  WxpayParams *answer;

  if (missing != NULL)
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, missing));

  if ((bad = check_order_fields (call, out_trade_no, &total_fee)) != NULL)
    return bad;
  if (!wxpay_sim_max_length_ok (call->req, "attach", 127))
    return wxpay_sim_fail_bytes ("attach参数长度有误");
  if (!wxpay_sim_max_length_ok (call->req, "device_info", 32))
    return wxpay_sim_format_error ("device_info");
  if (!wxpay_sim_max_length_ok (call->req, "product_id", 32))
    return wxpay_sim_format_error ("product_id");
  if (strcmp (trade_type, "NATIVE") != 0 && strcmp (trade_type, "JSAPI") != 0 &&
      strcmp (trade_type, "APP") != 0 && strcmp (trade_type, "MWEB") != 0)
    return wxpay_sim_format_error ("trade_type");
  ip = g_inet_address_new_from_string (wxpay_params_get (call->req, "spbill_create_ip"));
  if (ip == NULL || !wxpay_sim_max_length_ok (call->req, "spbill_create_ip", 64))
    return wxpay_sim_format_error ("spbill_create_ip");
  /* §4.1: an absolute http(s) URL without a query string. */
  if ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) ||
      strchr (notify_url, '?') != NULL || strlen (notify_url) > 256)
    return wxpay_sim_format_error ("notify_url");
  if (!wxpay_sim_is_empty (fee_type) && strcmp (fee_type, "CNY") != 0)
    return wxpay_sim_format_error ("fee_type");

  if (strcmp (trade_type, "NATIVE") == 0 && wxpay_sim_is_empty (wxpay_params_get (call->req, "product_id")))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR",
                                              "当trade_type是'NATIVE'时，需指定非空的product_id值"));
  if (strcmp (trade_type, "JSAPI") == 0 && wxpay_sim_is_empty (wxpay_params_get (call->req, "openid")))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "PARAM_ERROR",
                                              "trade_type=JSAPI时（即JSAPI支付），必须传openid"));

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);

  bad = wxpay_sim_check_times (call, FALSE, order != NULL, &expire, &business_error);
  if (bad != NULL)
    return bad;

  if (order != NULL)
    {
      /* §4.4 re-entry: the state decides first, then the parameters. */
      g_clear_pointer (&business_error, wxpay_params_unref);
      switch (order->state)
        {
        case TRADE_SUCCESS:
        case TRADE_REFUND:
          return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERPAID", "该订单已支付"));
        case TRADE_CLOSED:
        case TRADE_PAYERROR:
          return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERCLOSED", "该订单已关闭"));
        case TRADE_REVOKED:
          return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERREVERSED", "该订单已撤销"));
        case TRADE_NOTPAY:
        case TRADE_USERPAYING:
        default:
          break;
        }
      if (strcmp (order->trade_type, "MICROPAY") == 0)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "OUT_TRADE_NO_USED", "商户订单号重复"));
      if (!wxpay_sim_same_business_fields (order->request, call->req))
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "INVALID_REQUEST", "201 商户订单号重复"));
    }
  else
    {
      gint64 effective;

      if (business_error != NULL)
        return wxpay_sim_finish_answer (call, business_error);

      /* The QR is dead after two hours whatever time_expire says. */
      effective = call->now + CODE_URL_LIFETIME;
      if (expire > 0 && expire < effective)
        effective = expire;
      order = add_order (self, out_trade_no, trade_type, wxpay_sim_business_fields (call->req),
                         call->sign_type, total_fee, call->now, effective);
    }

  answer = wxpay_sim_answer_new (call, "SUCCESS");
  if (!wxpay_sim_is_empty (wxpay_params_get (call->req, "device_info")))
    wxpay_params_set (answer, "device_info", wxpay_params_get (call->req, "device_info"));
  wxpay_params_set (answer, "trade_type", order->trade_type);
  wxpay_params_set (answer, "prepay_id", order->prepay_id);
  if (strcmp (order->trade_type, "NATIVE") == 0)
    {
      g_autofree char *code_url = g_strdup_printf ("weixin://wxpay/bizpayurl?pr=%s", order->token);

      wxpay_params_set (answer, "code_url", code_url);
    }
  if (strcmp (order->trade_type, "MWEB") == 0)
    {
      g_autofree char *mweb = g_strdup_printf ("%s/sim/pay/%s", self->base_uri, order->token);

      wxpay_params_set (answer, "mweb_url", mweb);
    }

  return wxpay_sim_finish_answer (call, answer);
}

void
wxpay_sim_add_payment_fields (WxpayParams *answer,
                              SimOrder    *order,
                              gint64       total_fee)
{
  g_autofree char *time_end = wxpay_sim_format_compact (order->paid_at);

  if (!wxpay_sim_is_empty (wxpay_sim_order_get (order, "device_info")))
    wxpay_params_set (answer, "device_info", wxpay_sim_order_get (order, "device_info"));
  wxpay_params_set (answer, "openid", SIM_OPENID);
  wxpay_params_set (answer, "is_subscribe", "N");
  wxpay_params_set (answer, "trade_type", order->trade_type);
  wxpay_params_set (answer, "bank_type", "OTHERS");
  wxpay_params_set_int64 (answer, "total_fee", total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", total_fee);
  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set (answer, "attach", wxpay_sim_order_get (order, "attach"));
  wxpay_params_set (answer, "time_end", time_end);
}

GBytes *
wxpay_sim_api_orderquery (Call *call)
{
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (wxpay_sim_is_empty (transaction_id) && wxpay_sim_is_empty (out_trade_no))
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, "out_trade_no"));

  order = wxpay_sim_lookup_order (call->self, transaction_id, out_trade_no, call->now);
  if (order == NULL)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERNOTEXIST", "订单不存在"));

  answer = wxpay_sim_answer_new (call, "SUCCESS");
  if (order->transaction_id != NULL && order->paid_at > 0)
    wxpay_sim_add_payment_fields (answer, order, order->total_fee);
  else
    {
      /* §5: an unpaid order answers only with its number (+attach) and its state. */
      wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
      wxpay_params_set (answer, "attach", wxpay_sim_order_get (order, "attach"));
      wxpay_params_set (answer, "trade_type", order->trade_type);
    }
  wxpay_params_set (answer, "trade_state", wxpay_sim_trade_state_names[order->state]);
  wxpay_params_set (answer, "trade_state_desc", wxpay_sim_trade_state_descs[order->state]);

  return wxpay_sim_finish_answer (call, answer);
}

GBytes *
wxpay_sim_api_closeorder (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (wxpay_sim_is_empty (out_trade_no))
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, "out_trade_no"));

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  if (order == NULL)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERNOTEXIST", "订单不存在"));

  switch (order->state)
    {
    case TRADE_SUCCESS:
    case TRADE_REFUND:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERPAID", "订单已支付，不能发起关单"));
    case TRADE_CLOSED:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERCLOSED", "订单已关闭，无需继续调用"));
    case TRADE_REVOKED:
    case TRADE_PAYERROR:
    case TRADE_USERPAYING:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "TRADE_STATE_ERROR", "订单状态错误"));
    case TRADE_NOTPAY:
    default:
      break;
    }

  /* §6: not earlier than close-min-age after creation. The real gateway's answer to a too-early
   * close is SYSTEMERROR "system error" (community report [S27]); reproduced as such. */
  if (call->now < order->created + USEC (self->close_min_age))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "SYSTEMERROR", "system error"));

  order->state = TRADE_CLOSED;
  order->closed_at = call->now;
  wxpay_sim_queue_save (self);

  answer = wxpay_sim_answer_new (call, "SUCCESS");
  wxpay_params_set (answer, "result_msg", "OK");
  return wxpay_sim_finish_answer (call, answer);
}

/* §13: 18 digits starting with 10–15; the last digit selects the simulated outcome. */
static gboolean
parse_auth_code (const char    *auth_code,
                 MicropayMagic *out)
{
  if (strlen (auth_code) != 18 || auth_code[0] != '1' || auth_code[1] < '0' || auth_code[1] > '5')
    return FALSE;
  for (const char *p = auth_code; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;

  switch (auth_code[17])
    {
    case '1': *out = MAGIC_USERPAYING_SUCCESS; break;
    case '2': *out = MAGIC_USERPAYING_FAILURE; break;
    case '3': *out = MAGIC_AUTHCODEEXPIRE; break;
    case '4': *out = MAGIC_NOTENOUGH; break;
    default: *out = MAGIC_SUCCESS; break;
    }
  return TRUE;
}

static GBytes *
micropay_state_answer (Call     *call,
                       SimOrder *order)
{
  WxpayParams *answer;

  switch (order->state)
    {
    case TRADE_SUCCESS:
      answer = wxpay_sim_answer_new (call, "SUCCESS");
      wxpay_sim_add_payment_fields (answer, order, order->total_fee);
      return wxpay_sim_finish_answer (call, answer);
    case TRADE_USERPAYING:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "USERPAYING", "需要用户输入支付密码"));
    case TRADE_PAYERROR:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "NOTENOUGH", "余额不足"));
    case TRADE_REFUND:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERPAID", "订单已支付"));
    case TRADE_REVOKED:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERREVERSED", "订单已撤销"));
    case TRADE_CLOSED:
    case TRADE_NOTPAY:
    default:
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "ORDERCLOSED", "订单已关闭"));
    }
}

GBytes *
wxpay_sim_api_micropay (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = {
    "body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code", NULL
  };
  const char *missing = wxpay_sim_check_required (call->req, required);
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *auth_code = wxpay_params_get (call->req, "auth_code");
  g_autoptr(GInetAddress) ip = NULL;
  WxpayParams *business_error = NULL;
  MicropayMagic magic;
  SimOrder *order;
  GBytes *bad;
  gint64 total_fee;
  gint64 expire;

  if (missing != NULL)
    return wxpay_sim_finish_answer (call, wxpay_sim_lack_params (call, missing));
  if ((bad = check_order_fields (call, out_trade_no, &total_fee)) != NULL)
    return bad;
  ip = g_inet_address_new_from_string (wxpay_params_get (call->req, "spbill_create_ip"));
  if (ip == NULL)
    return wxpay_sim_format_error ("spbill_create_ip");

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  bad = wxpay_sim_check_times (call, TRUE, order != NULL, &expire, &business_error);
  if (bad != NULL)
    return bad;

  if (order != NULL)
    {
      g_clear_pointer (&business_error, wxpay_params_unref);
      if (strcmp (order->trade_type, "MICROPAY") != 0)
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "OUT_TRADE_NO_USED", "商户订单号重复"));
      if (!wxpay_sim_same_business_fields (order->request, call->req))
        return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "INVALID_REQUEST", "201 商户订单号重复"));
      return micropay_state_answer (call, order);
    }
  if (business_error != NULL)
    return wxpay_sim_finish_answer (call, business_error);

  if (!parse_auth_code (auth_code, &magic))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "AUTH_CODE_ERROR", "auth_code参数错误"));
  if (g_hash_table_contains (self->auth_codes, auth_code))
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "AUTH_CODE_INVALID",
                                              "101 每个二维码仅限使用一次，请刷新再试"));
  if (magic == MAGIC_AUTHCODEEXPIRE)
    return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "AUTHCODEEXPIRE",
                                              "二维码已过期，请用户在微信上刷新后再试"));

  g_hash_table_add (self->auth_codes, g_strdup (auth_code));
  order = add_order (self, out_trade_no, "MICROPAY", wxpay_sim_business_fields (call->req),
                     call->sign_type, total_fee, call->now, expire);
  wxpay_sim_micropay_settle (self, order, magic, total_fee, call->now);

  return micropay_state_answer (call, order);
}

/**
 * wxpay_sim_micropay_settle:
 *
 * What a new micropay order becomes at once, by the last digit of its auth_code (v2 and v3).
 */
void
wxpay_sim_micropay_settle (WxpaySimServer *self,
                           SimOrder       *order,
                           MicropayMagic   magic,
                           gint64          total_fee,
                           gint64          now)
{
  switch (magic)
    {
    case MAGIC_NOTENOUGH:
      order->state = TRADE_PAYERROR;
      break;
    case MAGIC_USERPAYING_SUCCESS:
    case MAGIC_USERPAYING_FAILURE:
      order->state = TRADE_USERPAYING;
      order->pending = magic == MAGIC_USERPAYING_SUCCESS ? PENDING_SUCCESS : PENDING_FAILURE;
      order->pending_until = now + USERPAYING_TIME;
      break;
    case MAGIC_SUCCESS:
    case MAGIC_AUTHCODEEXPIRE:
    default:
      if (total_fee > MICROPAY_PASSWORD_ABOVE)
        {
          order->state = TRADE_USERPAYING;
          order->pending = PENDING_SUCCESS;
          order->pending_until = now + USERPAYING_TIME;
        }
      else
        wxpay_sim_mark_paid (self, order, now);
      break;
    }
  wxpay_sim_queue_save (self);
}

gboolean
wxpay_sim_parse_auth_code (const char    *auth_code,
                           MicropayMagic *out)
{
  return auth_code != NULL && parse_auth_code (auth_code, out);
}

SimOrder *
wxpay_sim_add_order (WxpaySimServer *self,
                     const char     *out_trade_no,
                     const char     *trade_type,
                     WxpayParams    *business,
                     gint64          total_fee,
                     gint64          now,
                     gint64          expire)
{
  return add_order (self, out_trade_no, trade_type, business, WXPAY_SIGN_TYPE_HMAC_SHA256,
                    total_fee, now, expire);
}

GBytes *
wxpay_sim_api_reverse (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (wxpay_sim_is_empty (transaction_id) && wxpay_sim_is_empty (out_trade_no))
    {
      answer = wxpay_sim_lack_params (call, "out_trade_no");
      wxpay_params_set (answer, "recall", "N");
      return wxpay_sim_finish_answer (call, answer);
    }

  order = wxpay_sim_lookup_order (self, transaction_id, out_trade_no, call->now);
  if (order == NULL)
    answer = wxpay_sim_answer_error (call, "ORDERNOTEXIST", "订单不存在");
  else if (strcmp (order->trade_type, "MICROPAY") != 0)
    answer = wxpay_sim_answer_error (call, "TRADE_ERROR", "非付款码支付订单不能撤销");
  else if (call->now - order->created > REVERSE_MAX_AGE)
    answer = wxpay_sim_answer_error (call, "REVERSE_EXPIRE", "订单已超过可撤销时间，请使用退款接口");
  else if (order->state == TRADE_REFUND)
    answer = wxpay_sim_answer_error (call, "TRADE_ERROR", "订单已发生退款，不能撤销");
  else
    {
      /* An unpaid order is closed, a paid one refunded to the user: both end REVOKED. */
      order->state = TRADE_REVOKED;
      order->pending = PENDING_NONE;
      order->closed_at = call->now;
      wxpay_sim_queue_save (self);
      answer = wxpay_sim_answer_new (call, "SUCCESS");
    }

  wxpay_params_set (answer, "recall", "N");
  return wxpay_sim_finish_answer (call, answer);
}

/* ------------------------------------------------------------------------------------------ */
/* Expiry                                                                                      */

/* When a finished order last changed (paid, closed, failed, last refund done); 0 while it can
 * still change on its own (NOTPAY, USERPAYING) or a refund is processing. */
static gint64
order_final_time (SimOrder *order,
                  gint64    now)
{
  gint64 final = MAX (MAX (order->created, order->paid_at), MAX (order->closed_at, order->pending_until));

  switch (order->state)
    {
    case TRADE_NOTPAY:
    case TRADE_USERPAYING:
      return 0;
    case TRADE_SUCCESS:
    case TRADE_REFUND:
    case TRADE_CLOSED:
    case TRADE_REVOKED:
    case TRADE_PAYERROR:
    default:
      break;
    }

  for (guint i = 0; i < order->refunds->len; i++)
    {
      SimRefund *refund = g_ptr_array_index (order->refunds, i);

      if (refund->done_at > now)
        return 0;
      final = MAX (final, refund->done_at);
    }

  return final;
}

static void
order_forget (WxpaySimServer *self,
              SimOrder       *order)
{
  const char *auth_code = wxpay_sim_order_get (order, "auth_code");

  for (guint i = 0; i < order->refunds->len; i++)
    {
      SimRefund *refund = g_ptr_array_index (order->refunds, i);

      g_hash_table_remove (self->refunds, refund->out_refund_no);
      g_hash_table_remove (self->refunds_by_id, refund->refund_id);
    }
  if (!wxpay_sim_is_empty (auth_code))
    g_hash_table_remove (self->auth_codes, auth_code);
  if (order->transaction_id != NULL)
    g_hash_table_remove (self->by_transaction, order->transaction_id);
  g_hash_table_remove (self->by_token, order->token);
  /* Last: the table owns the order. Deliveries left for it find no order and end. */
  g_hash_table_remove (self->orders, order->out_trade_no);
}

/**
 * wxpay_sim_orders_expire:
 * @self: a #WxpaySimServer
 *
 * Forgets every finished order whose last change is older than #WxpaySimServer:order-retention
 * on the simulator's clock. Unfinished orders are never forgotten.
 *
 * Returns: how many orders were forgotten
 */
guint
wxpay_sim_orders_expire (WxpaySimServer *self)
{
  gint64 now = wxpay_sim_now (self);
  guint kept = 0;
  guint forgotten = 0;

  if (self->order_retention == 0)
    return 0;

  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);
      gint64 final;

      wxpay_sim_order_refresh (self, order, now);
      final = order_final_time (order, now);
      if (final > 0 && now - final > (gint64)self->order_retention)
        {
          order_forget (self, order);
          forgotten++;
          continue;
        }
      self->order_list->pdata[kept++] = order;
    }
  g_ptr_array_set_size (self->order_list, kept);

  if (forgotten > 0)
    {
      self->orders_expired += forgotten;
      wxpay_sim_queue_save (self);
    }

  return forgotten;
}
