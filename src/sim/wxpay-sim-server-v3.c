/* wxpay-sim-server-v3.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * API v3 beside v2 (docs/wxpay-v3.md §7): the same orders and refunds, JSON bodies, the
 * Authorization header checked on every request, every answer signed with the simulator's
 * "WeChat Pay public key" (public-key mode: Wechatpay-Serial is its PUB_KEY_ID_…).
 *
 * A v3 order is an ordinary SimOrder: its business fields are stored under the v2 names the
 * rest of the simulator reads (body, total_fee, notify_url, attach), plus "v3_request", the
 * request body as json-glib writes it back, which tells a retry with the same body from a
 * reuse of the out_trade_no with another one.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "wxpay-sim-private.h"

/* Bodies we parse: an order or a refund is well under this. */
#define MAX_V3_BODY (64 * 1024)

typedef struct
{
  guint       status;
  GBytes     *body;          /* NULL: no body (204) */
  const char *content_type;  /* NULL: application/json */
  gboolean    unsigned_body; /* the bill download (§6): never signed */
} V3Answer;

/* A bill made by GET /v3/bill/tradebill, downloadable for five minutes. */
typedef struct
{
  GBytes  *text;   /* what hash_value is the SHA1 of (§6: the uncompressed file) */
  gboolean gzip;   /* tar_type=GZIP: served gzipped */
  gint64   expires; /* real µs */
} V3Bill;

/* How long a download_url works (§6: "5 min on one page, 30 s on another"). */
#define BILL_DOWNLOAD_LIFETIME USEC (300)

static void
v3_bill_free (V3Bill *bill)
{
  g_bytes_unref (bill->text);
  g_free (bill);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON helpers                                                                                */

static GBytes *
builder_bytes (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize len = 0;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);

  return g_bytes_new_take (text, len);
}

static gboolean
answer_error (V3Answer   *answer,
              guint       status,
              const char *code,
              const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);

  answer->status = status;
  g_clear_pointer (&answer->body, g_bytes_unref);
  answer->body = builder_bytes (builder);

  return FALSE;
}

/* A refusal of one field of the body: §1.4's `detail` says which (a JSON pointer), beside the
 * message, as WeChat's own answers do ({"field","location"}; the value is not echoed). */
static gboolean
answer_field_error (V3Answer   *answer,
                    guint       status,
                    const char *code,
                    const char *message,
                    const char *field)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "detail");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "field");
  json_builder_add_string_value (builder, field);
  json_builder_set_member_name (builder, "location");
  json_builder_add_string_value (builder, "body");
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  answer->status = status;
  g_clear_pointer (&answer->body, g_bytes_unref);
  answer->body = builder_bytes (builder);

  return FALSE;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A positive integer member (fen), -1 when absent or not one. */
static gint64
get_fen (JsonObject *object,
         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  gint64    value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  value = json_node_get_int (node);

  return value > 0 && value <= G_GINT64_CONSTANT (100000000000) ? value : -1;
}

gboolean
wxpay_sim_order_is_v3 (SimOrder *order)
{
  return wxpay_params_get (order->request, "v3_request") != NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                      */

static void
add_transaction (JsonBuilder    *builder,
                 WxpaySimServer *self,
                 SimOrder       *order,
                 gint64          total)
{
  gboolean paid = order->transaction_id != NULL && order->paid_at > 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "appid");
  json_builder_add_string_value (builder, self->appid);
  json_builder_set_member_name (builder, "mchid");
  json_builder_add_string_value (builder, self->mch_id);
  json_builder_set_member_name (builder, "out_trade_no");
  json_builder_add_string_value (builder, order->out_trade_no);
  if (paid)
    {
      g_autofree char *success_time = wxpay_sim_format_iso (order->paid_at);

      json_builder_set_member_name (builder, "transaction_id");
      json_builder_add_string_value (builder, order->transaction_id);
      json_builder_set_member_name (builder, "bank_type");
      json_builder_add_string_value (builder, "OTHERS");
      json_builder_set_member_name (builder, "success_time");
      json_builder_add_string_value (builder, success_time);
      json_builder_set_member_name (builder, "payer");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "openid");
      json_builder_add_string_value (builder, SIM_OPENID);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "trade_type");
  json_builder_add_string_value (builder, order->trade_type);
  json_builder_set_member_name (builder, "trade_state");
  json_builder_add_string_value (builder, wxpay_sim_trade_state_names[order->state]);
  json_builder_set_member_name (builder, "trade_state_desc");
  json_builder_add_string_value (builder, wxpay_sim_trade_state_descs[order->state]);
  json_builder_set_member_name (builder, "attach");
  json_builder_add_string_value (builder, wxpay_sim_order_get (order, "attach"));
  json_builder_set_member_name (builder, "amount");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, total);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "CNY");
  if (paid)
    {
      json_builder_set_member_name (builder, "payer_total");
      json_builder_add_int_value (builder, total);
      json_builder_set_member_name (builder, "payer_currency");
      json_builder_add_string_value (builder, "CNY");
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static const char *
refund_status (SimRefund *refund,
               gint64     now)
{
  const char *status = wxpay_sim_refund_status (refund, now);

  /* v2's CHANGE is v3's ABNORMAL. */
  return strcmp (status, "CHANGE") == 0 ? "ABNORMAL" : status;
}

static void
add_refund (JsonBuilder *builder,
            SimRefund   *refund,
            gint64       now)
{
  SimOrder        *order = refund->order;
  g_autofree char *create_time = wxpay_sim_format_iso (refund->created);
  const char      *status = refund_status (refund, now);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "refund_id");
  json_builder_add_string_value (builder, refund->refund_id);
  json_builder_set_member_name (builder, "out_refund_no");
  json_builder_add_string_value (builder, refund->out_refund_no);
  json_builder_set_member_name (builder, "transaction_id");
  json_builder_add_string_value (builder, order->transaction_id);
  json_builder_set_member_name (builder, "out_trade_no");
  json_builder_add_string_value (builder, order->out_trade_no);
  json_builder_set_member_name (builder, "channel");
  json_builder_add_string_value (builder, "ORIGINAL");
  json_builder_set_member_name (builder, "user_received_account");
  json_builder_add_string_value (builder, "支付用户零钱");
  if (strcmp (status, "SUCCESS") == 0)
    {
      g_autofree char *success_time = wxpay_sim_format_iso (refund->done_at);

      json_builder_set_member_name (builder, "success_time");
      json_builder_add_string_value (builder, success_time);
    }
  json_builder_set_member_name (builder, "create_time");
  json_builder_add_string_value (builder, create_time);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_set_member_name (builder, "funds_account");
  json_builder_add_string_value (builder, "UNSETTLED");
  json_builder_set_member_name (builder, "amount");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, order->total_fee);
  json_builder_set_member_name (builder, "refund");
  json_builder_add_int_value (builder, refund->refund_fee);
  json_builder_set_member_name (builder, "payer_total");
  json_builder_add_int_value (builder, order->total_fee);
  json_builder_set_member_name (builder, "payer_refund");
  json_builder_add_int_value (builder, refund->refund_fee);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "CNY");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

/* ------------------------------------------------------------------------------------------ */
/* The APIs                                                                                    */

static gboolean
native_create (Call       *call,
               JsonObject *req,
               const char *normalized,
               V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *appid = get_string (req, "appid");
  const char     *mchid = get_string (req, "mchid");
  const char     *description = get_string (req, "description");
  const char     *out_trade_no = get_string (req, "out_trade_no");
  const char     *notify_url = get_string (req, "notify_url");
  const char     *attach = get_string (req, "attach");
  const char     *time_expire = get_string (req, "time_expire");
  JsonObject     *amount = get_object (req, "amount");
  const char     *currency = get_string (amount, "currency");
  gint64          total = get_fen (amount, "total");
  gint64          expire = 0;
  SimOrder       *order;

  if (appid == NULL || mchid == NULL || description == NULL || out_trade_no == NULL || notify_url == NULL || amount == NULL)
    return answer_error (answer, 400, "PARAM_ERROR", "输入源“/body”映射到字段时缺少必填参数");
  if (strcmp (mchid, self->mch_id) != 0)
    return answer_error (answer, 400, "MCH_NOT_EXISTS", "商户号不存在");
  if (strcmp (appid, self->appid) != 0)
    return answer_error (answer, 400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
  if (description[0] == '\0' || strlen (description) > 127)
    return answer_error (answer, 400, "PARAM_ERROR", "description长度有误");
  if (!wxpay_out_trade_no_is_valid (out_trade_no))
    return answer_error (answer, 400, "PARAM_ERROR", "out_trade_no格式错误");
  if ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) || strchr (notify_url, '?') != NULL || strlen (notify_url) > 255)
    return answer_error (answer, 400, "PARAM_ERROR", "notify_url格式错误");
  if (total < 0)
    return answer_error (answer, 400, "PARAM_ERROR", "amount.total格式错误");
  if (currency != NULL && strcmp (currency, "CNY") != 0)
    return answer_error (answer, 400, "PARAM_ERROR", "amount.currency格式错误");
  if (attach != NULL && strlen (attach) > 128)
    return answer_error (answer, 400, "PARAM_ERROR", "attach长度有误");
  if (time_expire != NULL)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (time_expire, NULL);

      if (when == NULL)
        return answer_error (answer, 400, "PARAM_ERROR", "time_expire格式错误");
      expire = g_date_time_to_unix (when) * G_USEC_PER_SEC;
    }

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  if (order != NULL)
    {
      /* The state decides first, then the body (as v2's re-entry). */
      switch (order->state)
        {
        case TRADE_SUCCESS:
        case TRADE_REFUND:
          return answer_error (answer, 400, "ORDERPAID", "该订单已支付");
        case TRADE_CLOSED:
        case TRADE_PAYERROR:
        case TRADE_REVOKED:
          return answer_error (answer, 400, "ORDER_CLOSED", "订单已关闭");
        case TRADE_NOTPAY:
        case TRADE_USERPAYING:
        default:
          break;
        }
      if (g_strcmp0 (wxpay_params_get (order->request, "v3_request"), normalized) != 0)
        return answer_error (answer, 403, "OUT_TRADE_NO_USED", "商户订单号重复");
    }
  else
    {
      WxpayParams *business = wxpay_params_new ();
      gint64       effective = call->now + CODE_URL_LIFETIME;

      /* v3 has no time_start, so the sim cannot tell a first request from the identical
       * retry of one that never got through (SYSTEM_ERROR, HTTP 500, a dropped connection):
       * measuring v2's five minutes from its own clock refused that retry. v3 documents no
       * minimum ("建议：最短失效时间间隔大于1分钟" is advice), so only an order that could never
       * be paid is refused: a time_expire already past. */
      if (expire > 0 && expire <= call->now)
        {
          wxpay_params_unref (business);
          return answer_error (answer, 400, "PARAM_ERROR", "time_expire时间过短");
        }
      if (expire > 0 && expire < effective)
        effective = expire;

      wxpay_params_set (business, "body", description);
      wxpay_params_set (business, "out_trade_no", out_trade_no);
      wxpay_params_set_int64 (business, "total_fee", total);
      wxpay_params_set (business, "notify_url", notify_url);
      if (attach != NULL && attach[0] != '\0')
        wxpay_params_set (business, "attach", attach);
      wxpay_params_set (business, "trade_type", "NATIVE");
      wxpay_params_set (business, "v3_request", normalized);

      order = wxpay_sim_add_order (self, out_trade_no, "NATIVE", business, total, call->now,
                                   effective);
    }

  {
    g_autoptr(JsonBuilder) builder = json_builder_new ();
    g_autofree char *code_url = g_strdup_printf ("weixin://wxpay/bizpayurl?pr=%s", order->token);

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "code_url");
    json_builder_add_string_value (builder, code_url);
    json_builder_end_object (builder);
    answer->status = 200;
    answer->body = builder_bytes (builder);
  }

  return TRUE;
}

static gboolean
query (Call       *call,
       const char *transaction_id,
       const char *out_trade_no,
       const char *mchid,
       V3Answer   *answer)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SimOrder *order;

  if (mchid == NULL || strcmp (mchid, call->self->mch_id) != 0)
    return answer_error (answer, 400, "PARAM_ERROR", "mchid与请求商户号不一致");

  order = wxpay_sim_lookup_order (call->self, transaction_id, out_trade_no, call->now);
  if (order == NULL)
    return answer_error (answer, 404, "ORDER_NOT_EXIST", "订单不存在");

  add_transaction (builder, call->self, order, order->total_fee);
  answer->status = 200;
  answer->body = builder_bytes (builder);

  return TRUE;
}

static gboolean
close_order (Call       *call,
             const char *out_trade_no,
             JsonObject *req,
             V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *mchid = get_string (req, "mchid");
  SimOrder       *order;

  if (mchid == NULL)
    return answer_error (answer, 400, "PARAM_ERROR", "缺少参数mchid");
  if (strcmp (mchid, self->mch_id) != 0)
    return answer_error (answer, 400, "MCH_NOT_EXISTS", "商户号不存在");

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  if (order == NULL)
    return answer_error (answer, 404, "ORDER_NOT_EXIST", "订单不存在");

  switch (order->state)
    {
    case TRADE_SUCCESS:
    case TRADE_REFUND:
      return answer_error (answer, 400, "ORDERPAID", "订单已支付，不能发起关单");
    case TRADE_CLOSED:
      /* Closing a closed order again changes nothing: the same 204. */
      answer->status = 204;
      return TRUE;
    case TRADE_REVOKED:
    case TRADE_PAYERROR:
    case TRADE_USERPAYING:
      return answer_error (answer, 400, "TRADE_STATE_ERROR", "订单状态错误");
    case TRADE_NOTPAY:
    default:
      break;
    }

  /* The v2 rule applies to v3 orders alike (§2: keep the v2 rule). */
  if (call->now < order->created + USEC (self->close_min_age))
    return answer_error (answer, 500, "SYSTEM_ERROR", "系统错误");

  order->state = TRADE_CLOSED;
  order->closed_at = call->now;
  wxpay_sim_queue_save (self);
  answer->status = 204;

  return TRUE;
}

static gboolean
refund_create (Call       *call,
               JsonObject *req,
               V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *transaction_id = get_string (req, "transaction_id");
  const char     *out_trade_no = get_string (req, "out_trade_no");
  const char     *out_refund_no = get_string (req, "out_refund_no");
  const char     *notify_url = get_string (req, "notify_url");
  JsonObject     *amount = get_object (req, "amount");
  gint64          refund_fee = get_fen (amount, "refund");
  gint64          total = get_fen (amount, "total");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SimOrder  *order;
  SimRefund *refund;

  if ((transaction_id == NULL && out_trade_no == NULL) || out_refund_no == NULL || amount == NULL)
    return answer_error (answer, 400, "PARAM_ERROR", "缺少必填参数");
  if (!wxpay_sim_is_out_refund_no (out_refund_no))
    return answer_error (answer, 400, "PARAM_ERROR", "out_refund_no格式错误");
  if (refund_fee < 0 || total < 0)
    return answer_error (answer, 400, "PARAM_ERROR", "amount格式错误");
  if (notify_url != NULL && ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) || strchr (notify_url, '?') != NULL || strlen (notify_url) > 255))
    return answer_error (answer, 400, "PARAM_ERROR", "notify_url格式错误");

  order = wxpay_sim_lookup_order (self, transaction_id, out_trade_no, call->now);
  if (order == NULL || (order->state != TRADE_SUCCESS && order->state != TRADE_REFUND))
    return answer_error (answer, 404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付");

  /* One refund per out_refund_no, however often it is sent. */
  refund = g_hash_table_lookup (self->refunds, out_refund_no);
  if (refund != NULL)
    {
      if (refund->order != order || refund->refund_fee != refund_fee || total != order->total_fee)
        return answer_error (answer, 400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致");
    }
  else
    {
      if (total != order->total_fee)
        return answer_error (answer, 400, "PARAM_ERROR", "订单金额不一致");
      if (order->refunds->len >= MAX_REFUNDS_PER_ORDER)
        return answer_error (answer, 403, "RULE_LIMIT", "订单退款次数超过限制");
      if (wxpay_sim_order_refunded (order) + refund_fee > order->total_fee)
        return answer_error (answer, 403, "NOT_ENOUGH", "累计退款金额大于支付金额");

      refund = g_new0 (SimRefund, 1);
      refund->order = order;
      refund->out_refund_no = g_strdup (out_refund_no);
      refund->refund_id = wxpay_sim_new_refund_id (self, call->now);
      refund->notify_url = g_strdup (notify_url);
      refund->refund_fee = refund_fee;
      refund->created = call->now;
      refund->done_at = call->now + REFUND_PROCESSING_TIME;
      refund->abnormal = call->fault.refund_abnormal;
      g_ptr_array_add (order->refunds, refund);
      g_hash_table_insert (self->refunds, refund->out_refund_no, refund);
      g_hash_table_insert (self->refunds_by_id, refund->refund_id, refund);
      order->state = TRADE_REFUND;
      wxpay_sim_refund_notify_start (self, refund);
      wxpay_sim_queue_save (self);
    }

  add_refund (builder, refund, call->now);
  answer->status = 200;
  answer->body = builder_bytes (builder);

  return TRUE;
}

static gboolean
refund_query (Call       *call,
              const char *out_refund_no,
              V3Answer   *answer)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SimRefund *refund = g_hash_table_lookup (call->self->refunds, out_refund_no);

  if (refund == NULL)
    return answer_error (answer, 404, "RESOURCE_NOT_EXISTS", "退款单不存在");

  add_refund (builder, refund, call->now);
  answer->status = 200;
  answer->body = builder_bytes (builder);

  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Callbacks                                                                                   */

/**
 * wxpay_sim_v3_callback_body:
 *
 * Returns: (transfer full): the JSON of a callback whose resource is sealed with the APIv3 key
 */
GBytes *
wxpay_sim_v3_callback_body (WxpaySimServer *self,
                            SimOrder       *order,
                            SimRefund      *refund,
                            gboolean        wrong_amount)
{
  g_autoptr(JsonBuilder) inner = json_builder_new ();
  g_autoptr(JsonBuilder) outer = json_builder_new ();
  g_autoptr(GBytes) plain = NULL;
  g_autofree char *nonce = wxpay_sim_random_alnum (WXPAY3_AEAD_NONCE_LEN);
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *create_time = wxpay_sim_format_iso (wxpay_sim_now (self));
  g_autofree char *ciphertext = NULL;
  const char      *associated_data = refund != NULL ? "refund" : "transaction";
  gsize            len;
  const char      *data;

  if (refund != NULL)
    add_refund (inner, refund, wxpay_sim_now (self));
  else
    add_transaction (inner, self, order, order->total_fee + (wrong_amount ? 1 : 0));
  plain = builder_bytes (inner);
  data = g_bytes_get_data (plain, &len);
  ciphertext = wxpay3_aead_encrypt (self->v3.apiv3_key, strlen (self->v3.apiv3_key), nonce,
                                    associated_data, data, len, NULL);
  g_return_val_if_fail (ciphertext != NULL, NULL);

  json_builder_begin_object (outer);
  json_builder_set_member_name (outer, "id");
  json_builder_add_string_value (outer, id);
  json_builder_set_member_name (outer, "create_time");
  json_builder_add_string_value (outer, create_time);
  json_builder_set_member_name (outer, "resource_type");
  json_builder_add_string_value (outer, "encrypt-resource");
  json_builder_set_member_name (outer, "event_type");
  json_builder_add_string_value (outer, refund == NULL ? "TRANSACTION.SUCCESS"
                                        : refund->abnormal ? "REFUND.ABNORMAL"
                                                           : "REFUND.SUCCESS");
  json_builder_set_member_name (outer, "summary");
  json_builder_add_string_value (outer, refund == NULL ? "支付成功"
                                        : refund->abnormal ? "退款异常"
                                                           : "退款成功");
  json_builder_set_member_name (outer, "resource");
  json_builder_begin_object (outer);
  json_builder_set_member_name (outer, "original_type");
  json_builder_add_string_value (outer, refund != NULL ? "refund" : "transaction");
  json_builder_set_member_name (outer, "algorithm");
  json_builder_add_string_value (outer, "AEAD_AES_256_GCM");
  json_builder_set_member_name (outer, "ciphertext");
  json_builder_add_string_value (outer, ciphertext);
  json_builder_set_member_name (outer, "associated_data");
  json_builder_add_string_value (outer, associated_data);
  json_builder_set_member_name (outer, "nonce");
  json_builder_add_string_value (outer, nonce);
  json_builder_end_object (outer);
  json_builder_end_object (outer);

  return builder_bytes (outer);
}

/* ------------------------------------------------------------------------------------------ */
/* The pipeline                                                                                */

/* Adds the Wechatpay-* headers of a signed answer or callback for @body. */
void
wxpay_sim_v3_sign_headers (WxpaySimServer     *self,
                           SoupMessageHeaders *headers,
                           GBytes             *body,
                           gboolean            corrupt)
{
  g_autofree char *timestamp = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autoptr(GBytes) message = NULL;
  g_autofree char *signature = NULL;
  gsize            len = 0;
  const char      *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  const char      *message_data;
  gsize            message_len;

  /* Signatures use the real clock: the client checks them against its own (§1.2), whatever
   * the simulated clock says about orders. */
  message = wxpay3_answer_message (timestamp, nonce, data, len);
  message_data = g_bytes_get_data (message, &message_len);
  signature = wxpay3_signer_sign (self->v3.signer, message_data, message_len, NULL);
  if (signature != NULL && corrupt)
    signature[0] = signature[0] == 'A' ? 'B' : 'A';

  soup_message_headers_replace (headers, "Wechatpay-Timestamp", timestamp);
  soup_message_headers_replace (headers, "Wechatpay-Nonce", nonce);
  /* The PUB_KEY_ID_… in public-key mode, the signing certificate's serial otherwise. */
  soup_message_headers_replace (headers, "Wechatpay-Serial",
                                wxpay3_signer_get_serial_no (self->v3.signer));
  soup_message_headers_replace (headers, "Wechatpay-Signature", signature != NULL ? signature : "");
}

static gboolean
check_authorization (Call       *call,
                     const char *canonical_url,
                     GBytes     *body,
                     V3Answer   *answer)
{
  WxpaySimServer     *self = call->self;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (call->msg);
  const char         *value = soup_message_headers_get_one (headers, "Authorization");
  Wxpay3Authorization auth;
  g_autoptr(GBytes) message = NULL;
  gint64      now = g_get_real_time () / G_USEC_PER_SEC;
  gint64      timestamp;
  gsize       len = 0;
  const char *data = g_bytes_get_data (body, &len);

  if (!wxpay3_authorization_parse (value, &auth, NULL))
    {
      answer_error (answer, 401, "SIGN_ERROR", "Authorization不合法");
      return FALSE;
    }
  if (strcmp (auth.mchid, self->mch_id) != 0)
    {
      wxpay3_authorization_clear (&auth);
      answer_error (answer, 401, "SIGN_ERROR", "商户号与签名不一致");
      return FALSE;
    }
  if (!wxpay3_verifier_has_serial (self->v3.merchants, auth.serial_no))
    {
      wxpay3_authorization_clear (&auth);
      answer_error (answer, 401, "SIGN_ERROR", "商户证书序列号有误");
      return FALSE;
    }
  timestamp = strspn (auth.timestamp, "0123456789") == strlen (auth.timestamp) && strlen (auth.timestamp) <= 12
                ? g_ascii_strtoll (auth.timestamp, NULL, 10)
                : -1;
  if (timestamp < 0 || timestamp - now >= WXPAY3_MAX_SKEW || now - timestamp >= WXPAY3_MAX_SKEW)
    {
      wxpay3_authorization_clear (&auth);
      answer_error (answer, 401, "SIGN_ERROR", "请求时间戳已过期");
      return FALSE;
    }

  message = wxpay3_request_message (soup_server_message_get_method (call->msg), canonical_url,
                                    timestamp, auth.nonce_str, data, len);
  if (!wxpay3_verifier_verify_message (self->v3.merchants, auth.serial_no, auth.signature,
                                       message, now, NULL))
    {
      wxpay3_authorization_clear (&auth);
      answer_error (answer, 401, "SIGN_ERROR", "签名错误");
      return FALSE;
    }

  wxpay3_authorization_clear (&auth);
  return TRUE;
}

static char *
unescape_segment (const char *segment)
{
  if (segment == NULL || *segment == '\0' || strchr (segment, '/') != NULL)
    return NULL;

  return g_uri_unescape_string (segment, "/");
}

/* The answer to a codepay call (new or repeated) by the order's state (§3). */
static gboolean
codepay_state_answer (Call     *call,
                      SimOrder *order,
                      V3Answer *answer)
{
  g_autoptr(JsonBuilder) builder = NULL;

  switch (order->state)
    {
    case TRADE_SUCCESS:
      builder = json_builder_new ();
      add_transaction (builder, call->self, order, order->total_fee);
      answer->status = 200;
      answer->body = builder_bytes (builder);
      return TRUE;
    case TRADE_USERPAYING:
      return answer_error (answer, 202, "USERPAYING", "需要用户输入支付密码");
    case TRADE_PAYERROR:
      return answer_error (answer, 403, "NOT_ENOUGH", "用户余额不足");
    case TRADE_REFUND:
      return answer_error (answer, 400, "ORDERPAID", "订单已支付");
    case TRADE_REVOKED:
    case TRADE_CLOSED:
    case TRADE_NOTPAY:
    default:
      return answer_error (answer, 400, "ORDER_CLOSED", "订单已关闭");
    }
}

static gboolean
codepay (Call       *call,
         JsonObject *req,
         const char *normalized,
         V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *appid = get_string (req, "appid");
  const char     *mchid = get_string (req, "mchid");
  const char     *description = get_string (req, "description");
  const char     *out_trade_no = get_string (req, "out_trade_no");
  const char     *auth_code = get_string (get_object (req, "payer"), "auth_code");
  JsonObject     *amount = get_object (req, "amount");
  gint64          total = get_fen (amount, "total");
  WxpayParams    *business;
  MicropayMagic   magic;
  SimOrder       *order;

  if (appid == NULL || mchid == NULL || description == NULL || out_trade_no == NULL || auth_code == NULL || amount == NULL || get_object (req, "scene_info") == NULL)
    return answer_error (answer, 400, "PARAM_ERROR", "输入源“/body”映射到字段时缺少必填参数");
  if (strcmp (mchid, self->mch_id) != 0)
    return answer_error (answer, 400, "MCH_NOT_EXISTS", "商户号不存在");
  if (strcmp (appid, self->appid) != 0)
    return answer_error (answer, 400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
  if (!wxpay_out_trade_no_is_valid (out_trade_no) || total < 0 || strlen (description) > 127)
    return answer_error (answer, 400, "PARAM_ERROR", "参数格式错误");

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  if (order != NULL)
    {
      /* The retry of §3 (same body) reads the state; anything else reuses the number. */
      if (strcmp (order->trade_type, "MICROPAY") != 0 || g_strcmp0 (wxpay_params_get (order->request, "v3_request"), normalized) != 0)
        return answer_error (answer, 403, "OUT_TRADE_NO_USED", "商户订单号重复");
      return codepay_state_answer (call, order, answer);
    }

  /* docs/wxpay-v3.md gives no code of its own for a bad payment code (§3; §1.4 has only
   * PARAM_ERROR / INVALID_REQUEST "show the message"): v2's messages (§13), and the `detail`
   * of §1.4 pointing at the code, which is what Saoma reads (wxpay3_error_from_answer_full()). */
  if (!wxpay_sim_parse_auth_code (auth_code, &magic))
    return answer_field_error (answer, 400, "PARAM_ERROR", "auth_code无效", "/payer/auth_code");
  if (g_hash_table_contains (self->auth_codes, auth_code))
    return answer_field_error (answer, 400, "INVALID_REQUEST",
                               "每个二维码仅限使用一次，请刷新再试", "/payer/auth_code");
  if (magic == MAGIC_AUTHCODEEXPIRE)
    return answer_field_error (answer, 400, "INVALID_REQUEST",
                               "二维码已过期，请用户在微信上刷新后再试", "/payer/auth_code");

  g_hash_table_add (self->auth_codes, g_strdup (auth_code));
  business = wxpay_params_new ();
  wxpay_params_set (business, "body", description);
  wxpay_params_set (business, "out_trade_no", out_trade_no);
  wxpay_params_set_int64 (business, "total_fee", total);
  wxpay_params_set (business, "auth_code", auth_code);
  wxpay_params_set (business, "trade_type", "MICROPAY");
  wxpay_params_set (business, "v3_request", normalized);
  order = wxpay_sim_add_order (self, out_trade_no, "MICROPAY", business, total, call->now, 0);
  wxpay_sim_micropay_settle (self, order, magic, total, call->now);

  return codepay_state_answer (call, order, answer);
}

static gboolean
reverse (Call       *call,
         const char *out_trade_no,
         JsonObject *req,
         V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *mchid = get_string (req, "mchid");
  const char     *appid = get_string (req, "appid");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SimOrder *order;

  if (mchid == NULL || appid == NULL)
    return answer_error (answer, 400, "PARAM_ERROR", "缺少参数appid或mchid");
  if (strcmp (mchid, self->mch_id) != 0 || strcmp (appid, self->appid) != 0)
    return answer_error (answer, 400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");

  order = wxpay_sim_lookup_order (self, NULL, out_trade_no, call->now);
  if (order == NULL)
    return answer_error (answer, 404, "ORDER_NOT_EXIST", "订单不存在");
  if (strcmp (order->trade_type, "MICROPAY") != 0)
    return answer_error (answer, 403, "TRADE_ERROR", "非付款码支付订单不能撤销");
  if (call->now - order->created > REVERSE_MAX_AGE)
    return answer_error (answer, 403, "TRADE_ERROR", "订单已超过可撤销时间，请使用退款接口");
  if (order->state == TRADE_REFUND)
    return answer_error (answer, 403, "TRADE_ERROR", "订单已发生退款，不能撤销");

  /* An unpaid order is closed, a paid one refunded to the user: both end REVOKED (as v2). */
  order->state = TRADE_REVOKED;
  order->pending = PENDING_NONE;
  order->closed_at = call->now;
  wxpay_sim_queue_save (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "appid");
  json_builder_add_string_value (builder, self->appid);
  json_builder_set_member_name (builder, "mchid");
  json_builder_add_string_value (builder, self->mch_id);
  json_builder_set_member_name (builder, "out_trade_no");
  json_builder_add_string_value (builder, order->out_trade_no);
  json_builder_end_object (builder);
  answer->status = 200;
  answer->body = builder_bytes (builder);

  return TRUE;
}

static gboolean
tradebill (Call       *call,
           GHashTable *params,
           V3Answer   *answer)
{
  WxpaySimServer *self = call->self;
  const char     *bill_date = params != NULL ? g_hash_table_lookup (params, "bill_date") : NULL;
  const char     *bill_type = params != NULL ? g_hash_table_lookup (params, "bill_type") : NULL;
  const char     *tar_type = params != NULL ? g_hash_table_lookup (params, "tar_type") : NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *digits = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autofree char *hash = NULL;
  GBytes          *text;
  V3Bill          *bill;

  if (bill_type == NULL)
    bill_type = "ALL";
  if (bill_date == NULL || strlen (bill_date) != 10 || bill_date[4] != '-' || bill_date[7] != '-')
    return answer_error (answer, 400, "PARAM_ERROR", "bill_date格式错误");
  if (strcmp (bill_type, "ALL") != 0 && strcmp (bill_type, "SUCCESS") != 0 && strcmp (bill_type, "REFUND") != 0)
    return answer_error (answer, 400, "PARAM_ERROR", "bill_type格式错误");
  if (tar_type != NULL && strcmp (tar_type, "GZIP") != 0)
    return answer_error (answer, 400, "PARAM_ERROR", "tar_type格式错误");

  digits = g_strdup_printf ("%.4s%.2s%.2s", bill_date, bill_date + 5, bill_date + 8);
  for (const char *p = digits; *p; p++)
    if (!g_ascii_isdigit (*p))
      return answer_error (answer, 400, "PARAM_ERROR", "bill_date格式错误");

  text = wxpay_sim_bill_for_day (self, digits, bill_type, NULL, call->now);
  if (text == NULL)
    return answer_error (answer, 400, "NO_STATEMENT_EXIST", "账单文件不存在");

  if (self->v3_bills == NULL)
    self->v3_bills = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)v3_bill_free);
  token = wxpay_sim_random_alnum (32);
  bill = g_new0 (V3Bill, 1);
  bill->text = text;
  bill->gzip = tar_type != NULL;
  bill->expires = g_get_real_time () + BILL_DOWNLOAD_LIFETIME;
  g_hash_table_replace (self->v3_bills, g_strdup (token), bill);
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, text);
  url = g_strdup_printf ("%s/v3/billdownload/file?token=%s", self->base_uri, token);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "hash_type");
  json_builder_add_string_value (builder, "SHA1");
  json_builder_set_member_name (builder, "hash_value");
  json_builder_add_string_value (builder, hash);
  json_builder_set_member_name (builder, "download_url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);
  answer->status = 200;
  answer->body = builder_bytes (builder);

  return TRUE;
}

static gboolean
billdownload (Call       *call,
              GHashTable *params,
              V3Answer   *answer)
{
  const char *token = params != NULL ? g_hash_table_lookup (params, "token") : NULL;
  V3Bill     *bill = token != NULL && call->self->v3_bills != NULL
                       ? g_hash_table_lookup (call->self->v3_bills, token)
                       : NULL;

  if (bill == NULL || g_get_real_time () > bill->expires)
    return answer_error (answer, 400, "INVALID_REQUEST", "下载链接无效或已过期");

  answer->status = 200;
  if (call->fault.corrupt_bill)
    {
      /* A download that went wrong on the way (one byte too many) yet is still a
       * well-formed file and gzip stream: only the SHA1 of the signed answer can tell. */
      gsize       len = 0;
      const void *text = g_bytes_get_data (bill->text, &len);
      GByteArray *copy = g_byte_array_sized_new ((guint)len + 1);

      g_byte_array_append (copy, text, (guint)len);
      g_byte_array_append (copy, (const guint8 *)"x", 1);
      answer->body = g_byte_array_free_to_bytes (copy);
    }
  else
    answer->body = g_bytes_ref (bill->text);
  if (bill->gzip)
    {
      GBytes *plain = answer->body;

      answer->body = wxpay_sim_gzip (plain);
      g_bytes_unref (plain);
      answer->content_type = "application/x-gzip";
    }
  else
    answer->content_type = "text/plain; charset=utf-8";
  answer->unsigned_body = TRUE;

  return TRUE;
}

/* GET /v3/certificates (§1.3): every platform certificate, sealed with the APIv3 key; a
 * public-key merchant has none. */
static gboolean
certificates (Call     *call,
              V3Answer *answer)
{
  WxpaySimV3Credentials *v3 = &call->self->v3;
  g_autoptr(JsonBuilder) builder = NULL;

  if (v3->platform_certs == NULL)
    return answer_error (answer, 404, "RESOURCE_NOT_EXISTS",
                         "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < v3->platform_certs->len; i++)
    {
      WxpaySimPlatformCert *cert = g_ptr_array_index (v3->platform_certs, i);
      g_autofree char *nonce = wxpay_sim_random_alnum (WXPAY3_AEAD_NONCE_LEN);
      g_autofree char *ciphertext = NULL;
      g_autofree char *effective = wxpay_sim_format_iso (cert->not_before * G_USEC_PER_SEC);
      g_autofree char *expire = wxpay_sim_format_iso (cert->not_after * G_USEC_PER_SEC);

      ciphertext = wxpay3_aead_encrypt (v3->apiv3_key, strlen (v3->apiv3_key), nonce,
                                        "certificate", cert->pem, strlen (cert->pem), NULL);
      g_return_val_if_fail (ciphertext != NULL, FALSE);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "serial_no");
      json_builder_add_string_value (builder, cert->serial);
      json_builder_set_member_name (builder, "effective_time");
      json_builder_add_string_value (builder, effective);
      json_builder_set_member_name (builder, "expire_time");
      json_builder_add_string_value (builder, expire);
      json_builder_set_member_name (builder, "encrypt_certificate");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "algorithm");
      json_builder_add_string_value (builder, "AEAD_AES_256_GCM");
      json_builder_set_member_name (builder, "nonce");
      json_builder_add_string_value (builder, nonce);
      json_builder_set_member_name (builder, "associated_data");
      json_builder_add_string_value (builder, "certificate");
      json_builder_set_member_name (builder, "ciphertext");
      json_builder_add_string_value (builder, ciphertext);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  answer->status = 200;
  answer->body = builder_bytes (builder);
  return TRUE;
}

static gboolean
dispatch (Call       *call,
          const char *method,
          const char *path,
          GHashTable *params,
          JsonObject *req,
          const char *normalized,
          V3Answer   *answer)
{
  static const char by_otn[] = "/v3/pay/transactions/out-trade-no/";
  static const char by_id[] = "/v3/pay/transactions/id/";
  static const char refunds[] = "/v3/refund/domestic/refunds";
  gboolean          post = strcmp (method, "POST") == 0;
  gboolean          get = strcmp (method, "GET") == 0;
  const char       *mchid = params != NULL ? g_hash_table_lookup (params, "mchid") : NULL;

  if (post && strcmp (path, "/v3/pay/transactions/native") == 0)
    return native_create (call, req, normalized, answer);
  if (post && strcmp (path, "/v3/pay/transactions/codepay") == 0)
    return codepay (call, req, normalized, answer);

  if (g_str_has_prefix (path, by_otn))
    {
      const char *rest = path + strlen (by_otn);
      const char *slash = strchr (rest, '/');

      if (get && slash == NULL)
        {
          g_autofree char *otn = unescape_segment (rest);

          if (otn != NULL)
            return query (call, NULL, otn, mchid, answer);
        }
      else if (post && slash != NULL && strcmp (slash, "/close") == 0)
        {
          g_autofree char *segment = g_strndup (rest, (gsize)(slash - rest));
          g_autofree char *otn = unescape_segment (segment);

          if (otn != NULL)
            return close_order (call, otn, req, answer);
        }
      else if (post && slash != NULL && strcmp (slash, "/reverse") == 0)
        {
          g_autofree char *segment = g_strndup (rest, (gsize)(slash - rest));
          g_autofree char *otn = unescape_segment (segment);

          if (otn != NULL)
            return reverse (call, otn, req, answer);
        }
    }

  if (get && g_str_has_prefix (path, by_id))
    {
      g_autofree char *id = unescape_segment (path + strlen (by_id));

      if (id != NULL)
        return query (call, id, NULL, mchid, answer);
    }

  if (post && strcmp (path, refunds) == 0)
    return refund_create (call, req, answer);
  if (get && g_str_has_prefix (path, refunds) && path[strlen (refunds)] == '/')
    {
      g_autofree char *orn = unescape_segment (path + strlen (refunds) + 1);

      if (orn != NULL)
        return refund_query (call, orn, answer);
    }

  if (get && strcmp (path, "/v3/bill/tradebill") == 0)
    return tradebill (call, params, answer);
  if (get && strcmp (path, "/v3/billdownload/file") == 0)
    return billdownload (call, params, answer);

  if (get && strcmp (path, "/v3/certificates") == 0)
    return certificates (call, answer);

  return answer_error (answer, 404, "NOT_FOUND", "请求的资源不存在");
}

static void
drop_connection (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* libsoup 3.2 writes a 204 without Content-Length (right: it has no body) but then reads those
 * headers as "the body ends at EOF" and closes the connection, which a keep-alive client finds
 * dead on its next request. Once the headers are on the wire, record that the body is empty. */
static void
no_content_wrote_headers_cb (SoupServerMessage *msg,
                             gpointer           user_data)
{
  soup_message_headers_set_content_length (soup_server_message_get_response_headers (msg), 0);
}

/**
 * wxpay_sim_v3_run:
 * @call: a request under /v3/ (the transport faults already rolled and applied)
 *
 * Checks, answers and signs one API v3 request.
 */
void
wxpay_sim_v3_run (Call *call)
{
  WxpaySimServer  *self = call->self;
  GUri            *uri = soup_server_message_get_uri (call->msg);
  const char      *path = g_uri_get_path (uri);
  const char      *query_string = g_uri_get_query (uri);
  const char      *method = soup_server_message_get_method (call->msg);
  g_autofree char *canonical_url = NULL;
  g_autofree char *request_id = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char    *normalized = NULL;
  JsonObject         *req = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (call->msg);
  V3Answer            answer = { 0, NULL };
  gsize               len;
  const char         *data;

  call->now = wxpay_sim_now (self);
  canonical_url = query_string != NULL ? g_strconcat (path, "?", query_string, NULL)
                                       : g_strdup (path);
  body = soup_message_body_flatten (soup_server_message_get_request_body (call->msg));
  data = g_bytes_get_data (body, &len);

  if (!self->v3_enabled)
    answer_error (&answer, 401, "SIGN_ERROR", "API v3 is not set up on this simulator");
  else if (len > MAX_V3_BODY)
    answer_error (&answer, 400, "PARAM_ERROR", "请求体过大");
  else if (check_authorization (call, canonical_url, body, &answer))
    {
      if (query_string != NULL)
        params = g_uri_parse_params (query_string, -1, "&", G_URI_PARAMS_NONE, NULL);

      if (len > 0)
        {
          g_autoptr(JsonGenerator) generator = json_generator_new ();

          parser = json_parser_new_immutable ();
          if (!g_utf8_validate (data, (gssize)len, NULL) || !json_parser_load_from_data (parser, data, (gssize)len, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            {
              answer_error (&answer, 400, "PARAM_ERROR", "请求体不是合法的JSON对象");
              goto respond;
            }
          req = json_node_get_object (json_parser_get_root (parser));
          json_generator_set_root (generator, json_parser_get_root (parser));
          normalized = json_generator_to_data (generator, NULL);
        }

      if (call->fault.systemerror)
        answer_error (&answer, 500, "SYSTEM_ERROR", "系统错误");
      else
        dispatch (call, method, path, params, req, normalized, &answer);
    }

respond:
  /* The dangerous one: the request took effect, the answer is lost. */
  if (call->fault.drop_after)
    {
      g_clear_pointer (&answer.body, g_bytes_unref);
      drop_connection (call->msg);
      return;
    }

  request_id = g_strdup_printf ("08%016" G_GINT64_MODIFIER "X%08X", g_get_real_time (),
                                g_random_int ());
  soup_message_headers_replace (headers, "Request-ID", request_id);
  if (self->v3_enabled && !answer.unsigned_body)
    wxpay_sim_v3_sign_headers (self, headers, answer.body, call->fault.bad_sign);

  soup_server_message_set_status (call->msg, answer.status, NULL);
  if (answer.body == NULL)
    g_signal_connect (call->msg, "wrote-headers", G_CALLBACK (no_content_wrote_headers_cb), NULL);
  if (answer.body != NULL)
    {
      data = g_bytes_get_data (answer.body, &len);
      soup_server_message_set_response (call->msg,
                                        answer.content_type != NULL ? answer.content_type
                                                                    : "application/json",
                                        SOUP_MEMORY_COPY, data,
                                        len);
    }
  g_clear_pointer (&answer.body, g_bytes_unref);
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up                                                                                      */

/**
 * wxpay_sim_server_setup_v3:
 * @self: a #WxpaySimServer
 * @dir: (nullable): where the keys are kept (made there on first use, mode 0700/0600); %NULL
 *   makes them in memory
 * @error: a #GError
 *
 * Turns API v3 on: every path under /v3/ is answered from then on.
 *
 * Returns: %TRUE when the keys are ready
 */
gboolean
wxpay_sim_server_setup_v3 (WxpaySimServer *self,
                           const char     *dir,
                           GError        **error)
{
  WxpaySimV3Credentials credentials;

  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);

  if (!wxpay_sim_v3_credentials_load (dir, &credentials, error))
    return FALSE;

  wxpay_sim_v3_credentials_clear (&self->v3);
  self->v3 = credentials;
  self->v3_enabled = TRUE;

  return TRUE;
}

/**
 * wxpay_sim_server_get_v3_pub_key_id:
 *
 * Returns: (nullable): the PUB_KEY_ID_… answers are signed under, %NULL before set-up
 */
const char *
wxpay_sim_server_get_v3_pub_key_id (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  return self->v3.pub_key_id;
}

/**
 * wxpay_sim_server_add_v3_platform_certificate:
 * @self: a #WxpaySimServer with API v3 set up
 * @lifetime_s: how long the new certificate is valid from now (real seconds)
 * @sign_with_it: sign answers and callbacks with it from now on
 * @error: a #GError
 *
 * Platform-certificate mode (§1.3): see the header.
 *
 * Returns: %TRUE once the certificate is served
 */
gboolean
wxpay_sim_server_add_v3_platform_certificate (WxpaySimServer *self,
                                              gint64          lifetime_s,
                                              gboolean        sign_with_it,
                                              GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);

  if (!self->v3_enabled)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "API v3 is not set up");
      return FALSE;
    }
  if (lifetime_s <= 0 || lifetime_s > G_GINT64_CONSTANT (20) * 366 * 86400)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad lifetime");
      return FALSE;
    }

  return wxpay_sim_v3_credentials_add_platform_cert (&self->v3, lifetime_s, sign_with_it, error);
}

const char *
wxpay_sim_server_get_v3_platform_serial (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  if (self->v3.platform_certs == NULL)
    return NULL;
  return wxpay3_signer_get_serial_no (self->v3.signer);
}

/* ------------------------------------------------------------------------------------------ */
/* SIGNTEST probes                                                                             */

static void
signtest_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  gssize status = g_task_propagate_int (G_TASK (result), &error);

  if (error != NULL)
    {
      g_string_append (json, "{\"delivered\":false,\"error\":");
      wxpay_sim_json_append_string (json, error->message);
      g_string_append_c (json, '}');
    }
  else
    g_string_append_printf (json, "{\"delivered\":true,\"status\":%" G_GSSIZE_FORMAT ",\"rejected\":%s}", status,
                            status >= 400 && status <= 599 ? "true" : "false");

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str,
                                    json->len);
  soup_server_message_unpause (msg);
}

/**
 * wxpay_sim_v3_signtest:
 * @msg: the control request, answered once the merchant has answered the probe
 * @url: the merchant's callback URL
 *
 * Sends one callback that looks like a payment but whose Wechatpay-Signature starts with
 * WECHATPAY/SIGNTEST/, as WeChat does to find merchants that do not verify (§1.2).
 */
void
wxpay_sim_v3_signtest (WxpaySimServer    *self,
                       SoupServerMessage *msg,
                       const char        *url)
{
  SimOrder probe_order = { 0 };
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *random = wxpay_sim_random_alnum (43);
  g_autofree char *signature = g_strconcat (WXPAY3_SIGNTEST_PREFIX, random, "=", NULL);
  g_autofree char *out_trade_no = wxpay_sim_random_alnum (24);
  GTask           *task;

  probe_order.out_trade_no = out_trade_no;
  probe_order.trade_type = (char *)"NATIVE";
  probe_order.request = request;
  probe_order.total_fee = 1;
  probe_order.state = TRADE_SUCCESS;
  body = wxpay_sim_v3_callback_body (self, &probe_order, NULL, FALSE);

  self->v3_signtest_sent++;
  soup_server_message_pause (msg);
  task = g_task_new (self, NULL, signtest_done_cb, g_object_ref (msg));
  wxpay_sim_post_v3_notification (self, url, body, signature, NULL, task);
}
