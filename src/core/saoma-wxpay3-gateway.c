/* saoma-wxpay3-gateway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SaomaGateway over WeChat Pay API v3 (docs/wxpay-v3.md): the one file in core that knows v3's
 * paths and JSON fields. Errors come from libwxpay in the one WXPAY_ERROR domain, which v2's
 * table already reads into SAOMA_GATEWAY_ERROR with the same known/unknown class
 * (saoma_wxpay2_gateway_map_error() covers the v3 codes too).
 *
 * Callbacks are verified over their Wechatpay-* headers with the verifier the client uses, then
 * opened with the APIv3 key (§4); a gateway made without them (saoma_wxpay3_gateway_new())
 * refuses every callback, and the engine's queries decide every order as they do when a
 * notification is lost.
 */

#define G_LOG_DOMAIN "saoma-wxpay3-gateway"

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

#include "saoma-wxpay2-gateway.h"
#include "saoma-wxpay3-gateway.h"

struct _SaomaWxpay3Gateway
{
  GObject parent_instance;

  Wxpay3Client   *client;
  Wxpay3Verifier *verifier;    /* nullable: callbacks refused */
  char           *apiv3_key;   /* nullable; wiped when freed */
  gsize           apiv3_key_len;
};

enum
{
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void saoma_wxpay3_gateway_iface_init (SaomaGatewayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaWxpay3Gateway, saoma_wxpay3_gateway, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (SAOMA_TYPE_GATEWAY, saoma_wxpay3_gateway_iface_init))

/* Helpers ------------------------------------------------------------------------------------- */

static GTask *
start (SaomaWxpay3Gateway *self,
       gpointer            source_tag,
       GCancellable       *cancellable,
       GAsyncReadyCallback callback,
       gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* The client decides whether a cancelled request was sent (CANCELLED vs CONNECTION_LOST). */
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

static void
return_mapped (GTask  *task,
               GError *error)
{
  g_task_return_error (task, saoma_wxpay2_gateway_map_error (error));
  g_error_free (error);
}

static gint64
get_fen (JsonObject *object,
         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return -1;

  return json_node_get_int (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
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

static SaomaGatewayRefundState
parse_refund_state (const char *text)
{
  if (g_strcmp0 (text, "SUCCESS") == 0)
    return SAOMA_GATEWAY_REFUND_SUCCESS;
  if (g_strcmp0 (text, "PROCESSING") == 0)
    return SAOMA_GATEWAY_REFUND_PROCESSING;
  if (g_strcmp0 (text, "CLOSED") == 0)
    return SAOMA_GATEWAY_REFUND_CLOSED;
  /* ABNORMAL: the money could not reach the payer; a person has to act, as v2's CHANGE. */
  if (g_strcmp0 (text, "ABNORMAL") == 0)
    return SAOMA_GATEWAY_REFUND_CHANGE;

  return SAOMA_GATEWAY_REFUND_UNKNOWN;
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) time = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return time != NULL ? g_date_time_to_unix (time) * G_USEC_PER_SEC : 0;
}

/* Getters ------------------------------------------------------------------------------------- */

static const char *
wxpay3_get_protocol (SaomaGateway *gateway)
{
  return "v3";
}

static char *
wxpay3_dup_merchant (SaomaGateway *gateway)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);

  return g_strdup_printf ("%s / %s", wxpay3_client_get_appid (self->client),
                          wxpay3_client_get_mchid (self->client));
}

static gboolean
wxpay3_has_certificate (SaomaGateway *gateway)
{
  /* v3 signs every call with the merchant key: no call needs a TLS client certificate. */
  return TRUE;
}

/* Native orders: the request token ------------------------------------------------------------ */

static char *
format_rfc3339 (gint64 usec)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autoptr(GTimeZone) beijing = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, beijing);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S+08:00");
}

/* The token is the JSON of the create body without appid and mchid (the client puts them
 * first): the same token gives the same bytes on every retry, across restarts. */
static char *
wxpay3_build_native_request (SaomaGateway           *gateway,
                             const SaomaNativeOrder *order,
                             GError                **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *description = saoma_gateway_cut_description (order->description);
  g_autofree char *time_expire = format_rfc3339 (order->time_expire);

  if (order->out_trade_no == NULL || order->amount <= 0 || order->notify_url == NULL)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                           "INVALID_ARGUMENT: an order needs an out_trade_no, an amount and a "
                           "notify_url");
      return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, description);
  json_builder_set_member_name (builder, "out_trade_no");
  json_builder_add_string_value (builder, order->out_trade_no);
  json_builder_set_member_name (builder, "time_expire");
  json_builder_add_string_value (builder, time_expire);
  json_builder_set_member_name (builder, "notify_url");
  json_builder_add_string_value (builder, order->notify_url);
  json_builder_set_member_name (builder, "amount");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, order->amount);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "CNY");
  json_builder_end_object (builder);
  if (order->client_ip != NULL || (order->till_id != NULL && *order->till_id != '\0'))
    {
      json_builder_set_member_name (builder, "scene_info");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "payer_client_ip");
      json_builder_add_string_value (builder, order->client_ip != NULL ? order->client_ip
                                                                       : "127.0.0.1");
      if (order->till_id != NULL && *order->till_id != '\0')
        {
          json_builder_set_member_name (builder, "device_id");
          json_builder_add_string_value (builder, order->till_id);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

static JsonObject *
request_from_token (const char *token,
                    GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (token == NULL || !json_parser_load_from_data (parser, token, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                           "INVALID_ARGUMENT: unreadable request");
      return NULL;
    }

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gboolean
wxpay3_check_native_request (SaomaGateway *gateway,
                             const char   *token,
                             const char   *out_trade_no,
                             gint64        amount,
                             GError      **error)
{
  g_autoptr(JsonObject) fields = request_from_token (token, error);

  if (fields == NULL)
    return FALSE;

  if (g_strcmp0 (get_string (fields, "out_trade_no"), out_trade_no) != 0 || get_fen (get_object (fields, "amount"), "total") != amount)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                           "INVALID_ARGUMENT: the stored request is for another order or amount");
      return FALSE;
    }

  return TRUE;
}

static char *
wxpay3_describe_native_request (SaomaGateway *gateway,
                                const char   *token)
{
  g_autoptr(JsonObject) fields = request_from_token (token, NULL);
  const char *time_expire;

  if (fields == NULL)
    return g_strdup ("(unreadable request)");

  time_expire = get_string (fields, "time_expire");
  return g_strdup_printf ("amount.total=%" G_GINT64_FORMAT " time_expire=%s",
                          get_fen (get_object (fields, "amount"), "total"),
                          time_expire != NULL ? time_expire : "?");
}

static void
create_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError                 *error = NULL;
  g_autofree char        *code_url = wxpay3_client_native_create_finish (WXPAY3_CLIENT (source), result,
                                                                         &error);
  SaomaNativeOrderResult *answer;

  if (code_url == NULL)
    {
      return_mapped (task, error);
      return;
    }

  answer = g_new0 (SaomaNativeOrderResult, 1);
  answer->code_url = g_steal_pointer (&code_url);
  g_task_return_pointer (task, answer, (GDestroyNotify)saoma_native_order_result_free);
}

static void
wxpay3_create_native_order_async (SaomaGateway       *gateway,
                                  const char         *token,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  g_autoptr(GTask) task = start (self, wxpay3_create_native_order_async, cancellable, callback,
                                  user_data);
  g_autoptr(JsonObject) fields = NULL;
  GError *error = NULL;

  fields = request_from_token (token, &error);
  if (fields == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  wxpay3_client_native_create_async (self->client, fields, cancellable, create_cb,
                                     g_steal_pointer (&task));
}

static void
wxpay3_prepare_native_order (SaomaGateway *gateway,
                             const char   *token)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  g_autoptr(JsonObject) fields = request_from_token (token, NULL);

  if (fields != NULL)
    wxpay3_client_native_create_prepare (self->client, fields);
}

/* Payment by code and reverse ------------------------------------------------------------------ */

static SaomaOrderStatus *
status_from_transaction (JsonObject *transaction)
{
  JsonObject       *amount = get_object (transaction, "amount");
  SaomaOrderStatus *status = saoma_order_status_new ();

  status->out_trade_no = g_strdup (get_string (transaction, "out_trade_no"));
  status->state_text = g_strdup (get_string (transaction, "trade_state"));
  status->state = saoma_trade_state_from_string (status->state_text);
  status->state_desc = g_strdup (get_string (transaction, "trade_state_desc"));
  status->amount = get_fen (amount, "total");
  status->payer_amount = get_fen (amount, "payer_total");
  status->transaction_id = g_strdup (get_string (transaction, "transaction_id"));
  status->paid_at = parse_time (get_string (transaction, "success_time"));

  return status;
}

static void
codepay_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) transaction = wxpay3_client_codepay_finish (WXPAY3_CLIENT (source),
                                                                     result, &error);

  if (transaction == NULL)
    return_mapped (task, error);
  else
    g_task_return_pointer (task, status_from_transaction (transaction),
                           (GDestroyNotify)saoma_order_status_free);
}

static void
wxpay3_pay_by_code_async (SaomaGateway           *gateway,
                          const SaomaCodePayment *payment,
                          GCancellable           *cancellable,
                          GAsyncReadyCallback     callback,
                          gpointer                user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_pay_by_code_async, cancellable, callback, user_data);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *description = saoma_gateway_cut_description (payment->description);
  JsonObject      *payer = json_object_new ();
  JsonObject      *amount = json_object_new ();
  JsonObject      *scene = json_object_new ();

  /* Always the same fields for one out_trade_no: a retry reads the order's state (§3). */
  json_object_set_string_member (fields, "description", description);
  json_object_set_string_member (fields, "out_trade_no", payment->out_trade_no);
  json_object_set_string_member (payer, "auth_code", payment->auth_code);
  json_object_set_object_member (fields, "payer", payer);
  json_object_set_int_member (amount, "total", payment->amount);
  json_object_set_string_member (amount, "currency", "CNY");
  json_object_set_object_member (fields, "amount", amount);
  json_object_set_string_member (scene, "device_ip",
                                 payment->client_ip != NULL ? payment->client_ip : "127.0.0.1");
  if (payment->till_id != NULL && *payment->till_id != '\0')
    json_object_set_string_member (scene, "device_id", payment->till_id);
  json_object_set_object_member (fields, "scene_info", scene);

  wxpay3_client_codepay_async (self->client, fields, cancellable, codepay_cb, task);
}

static void
reverse_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!wxpay3_client_reverse_finish (WXPAY3_CLIENT (source), result, &error))
    return_mapped (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
wxpay3_reverse_async (SaomaGateway       *gateway,
                      const char         *out_trade_no,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_reverse_async, cancellable, callback, user_data);

  wxpay3_client_reverse_async (self->client, out_trade_no, cancellable, reverse_cb, task);
}

static gboolean
wxpay3_reverse_finish (SaomaGateway *gateway,
                       GAsyncResult *result,
                       gboolean     *out_retry,
                       GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, gateway), FALSE);

  /* v3 has no recall flag: a reverse that answered is done. */
  if (out_retry != NULL)
    *out_retry = FALSE;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
tradebill_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) text = wxpay3_client_tradebill_finish (WXPAY3_CLIENT (source), result,
                                                            &error);
  SaomaBill *bill;

  if (text == NULL)
    {
      return_mapped (task, error);
      return;
    }

  /* The v3 bill is v2's text (yuan, back-tick cells, the same columns and summary). */
  bill = saoma_wxpay2_gateway_parse_bill (text, &error);
  if (bill == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bill, (GDestroyNotify)saoma_bill_unref);
}

static void
wxpay3_download_bill_async (SaomaGateway       *gateway,
                            const GDate        *day,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_download_bill_async, cancellable, callback, user_data);
  char                date[16];

  g_snprintf (date, sizeof date, "%04u-%02u-%02u", g_date_get_year (day),
              (guint)g_date_get_month (day), g_date_get_day (day));
  /* GZIP, as v2's downloadbill: a busy day's bill is a tenth of the bytes. */
  wxpay3_client_tradebill_async (self->client, date, "ALL", TRUE, cancellable, tradebill_cb,
                                 task);
}

/* A verified, opened callback resource as an event: TRANSACTION.* is a payment, REFUND.* a
 * refund (whatever the path it came on). */
static SaomaGatewayEvent *
event_from_resource (SaomaWxpay3Gateway *self,
                     const char         *event_type,
                     JsonObject         *resource,
                     GError            **error)
{
  const char        *mchid = get_string (resource, "mchid");
  const char        *appid = get_string (resource, "appid");
  SaomaGatewayEvent *event;

  /* Signed by WeChat Pay, but for this merchant? (v2 checks the same ids.) */
  if ((mchid != NULL && g_strcmp0 (mchid, wxpay3_client_get_mchid (self->client)) != 0) || (appid != NULL && g_strcmp0 (appid, wxpay3_client_get_appid (self->client)) != 0))
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MISMATCH,
                           "MISMATCH: callback for another merchant");
      return NULL;
    }

  if (g_str_has_prefix (event_type, "REFUND."))
    {
      /* refund_status in callbacks (§4.1), status in the refund query's shape. */
      const char *status = get_string (resource, "refund_status");

      if (status == NULL)
        status = get_string (resource, "status");
      if (status == NULL)
        status = event_type + strlen ("REFUND.");

      event = saoma_gateway_event_new (SAOMA_GATEWAY_EVENT_REFUND);
      event->out_trade_no = g_strdup (get_string (resource, "out_trade_no"));
      event->out_refund_no = g_strdup (get_string (resource, "out_refund_no"));
      event->refund_state = parse_refund_state (status);
      event->amount = get_fen (get_object (resource, "amount"), "refund");
      event->transaction_id = g_strdup (get_string (resource, "transaction_id"));
      return event;
    }

  if (!g_str_has_prefix (event_type, "TRANSACTION."))
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION,
                           "INVALID_NOTIFICATION: unknown event_type");
      return NULL;
    }

  event = saoma_gateway_event_new (SAOMA_GATEWAY_EVENT_PAYMENT);
  event->out_trade_no = g_strdup (get_string (resource, "out_trade_no"));
  /* Only SUCCESS is a payment; anything else is verified and acknowledged all the same. */
  event->success = g_strcmp0 (event_type, "TRANSACTION.SUCCESS") == 0 && g_strcmp0 (get_string (resource, "trade_state"), "SUCCESS") == 0;
  event->transaction_id = g_strdup (get_string (resource, "transaction_id"));
  event->amount = get_fen (get_object (resource, "amount"), "total");
  event->paid_at = parse_time (get_string (resource, "success_time"));
  return event;
}

static void
refresh_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!wxpay3_client_refresh_certificates_finish (WXPAY3_CLIENT (source), result, &error))
    g_warning ("Cannot download the WeChat Pay platform certificates: %s", error->message);
}

static SaomaGatewayEvent *
wxpay3_parse_notification (SaomaGateway          *gateway,
                           SoupMessageHeaders    *headers,
                           GBytes                *body,
                           SaomaNotificationPath  path,
                           SaomaGatewayEventKind *out_kind,
                           GError               **error)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  g_autoptr(JsonObject) resource = NULL;
  g_autofree char *event_type = NULL;
  GError *local_error = NULL;
  SaomaGatewayEvent *event;

  /* Until the body is opened, the path is all there is to tell the kind by. */
  *out_kind = path == SAOMA_NOTIFICATION_REFUND ? SAOMA_GATEWAY_EVENT_REFUND
                                                : SAOMA_GATEWAY_EVENT_PAYMENT;

  if (headers == NULL || self->verifier == NULL || self->apiv3_key == NULL)
    {
      /* Refusing it (4xx) makes WeChat retry, and the engine's query decides meanwhile. */
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_NOT_SUPPORTED,
                           headers == NULL
                             ? "NOT_SUPPORTED: v3 callbacks need their headers to be verified"
                             : "NOT_SUPPORTED: no WeChat Pay key or APIv3 key for callbacks");
      return NULL;
    }

  resource = wxpay3_callback_open (self->verifier, self->apiv3_key, self->apiv3_key_len,
                                   soup_message_headers_get_one (headers, "Wechatpay-Serial"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Signature"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Nonce"),
                                   body, g_get_real_time () / G_USEC_PER_SEC, &event_type,
                                   &local_error);
  if (resource == NULL)
    {
      g_autoptr(GError) mapped = NULL;

      /* A callback signed by a platform certificate we do not hold yet (a rotation): fetch the
       * certificates now, so that WeChat's retry 15 s later verifies. This one is refused. */
      if (g_error_matches (local_error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL) && wxpay3_client_get_uses_platform_certificates (self->client))
        wxpay3_client_refresh_certificates_async (self->client, NULL, refresh_done_cb, NULL);
      mapped = saoma_wxpay2_gateway_map_error (local_error);

      g_error_free (local_error);
      /* Whatever libwxpay says, this is a notification that did not verify. */
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION,
                   "INVALID_NOTIFICATION: %s", mapped->message);
      return NULL;
    }

  event = event_from_resource (self, event_type != NULL ? event_type : "", resource, error);
  if (event != NULL)
    *out_kind = event->kind;
  return event;
}

static GBytes *
wxpay3_notification_reply (SaomaGateway *gateway,
                           gboolean      success,
                           const char   *message)
{
  static const char fail[] = "{\"code\":\"FAIL\",\"message\":\"失败\"}";

  /* §4.3: success is the status alone, with no body. */
  if (success)
    return g_bytes_new_static ("", 0);
  return g_bytes_new_static (fail, strlen (fail));
}

static guint
wxpay3_notification_reply_status (SaomaGateway *gateway,
                                  gboolean      success,
                                  const char  **out_content_type)
{
  *out_content_type = "application/json";
  /* §4.3: the status decides; a 200 with FAIL in the body would stop WeChat's retries. */
  return success ? 204 : 400;
}

/* Query and close ----------------------------------------------------------------------------- */

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) transaction = wxpay3_client_query_finish (WXPAY3_CLIENT (source), result,
                                                                   &error);
  SaomaOrderStatus *status;

  if (transaction == NULL)
    {
      return_mapped (task, error);
      return;
    }

  status = status_from_transaction (transaction);

  g_task_return_pointer (task, status, (GDestroyNotify)saoma_order_status_free);
}

static void
wxpay3_query_order_async (SaomaGateway       *gateway,
                          const char         *out_trade_no,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_query_order_async, cancellable, callback, user_data);

  wxpay3_client_query_async (self->client, out_trade_no, NULL, cancellable, query_cb, task);
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!wxpay3_client_close_finish (WXPAY3_CLIENT (source), result, &error))
    return_mapped (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
wxpay3_close_order_async (SaomaGateway       *gateway,
                          const char         *out_trade_no,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_close_order_async, cancellable, callback, user_data);

  wxpay3_client_close_async (self->client, out_trade_no, cancellable, close_cb, task);
}

/* Refunds ------------------------------------------------------------------------------------- */

static void
refund_status_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) refund = NULL;
  SaomaRefundStatus *status;

  if (g_task_get_source_tag (task) == NULL)
    refund = wxpay3_client_refund_finish (WXPAY3_CLIENT (source), result, &error);
  else
    refund = wxpay3_client_refund_query_finish (WXPAY3_CLIENT (source), result, &error);
  if (refund == NULL)
    {
      return_mapped (task, error);
      return;
    }

  status = saoma_refund_status_new ();
  status->out_refund_no = g_strdup (get_string (refund, "out_refund_no"));
  status->refund_id = g_strdup (get_string (refund, "refund_id"));
  status->state_text = g_strdup (get_string (refund, "status"));
  status->state = parse_refund_state (status->state_text);
  status->amount = get_fen (get_object (refund, "amount"), "refund");

  g_task_return_pointer (task, status, (GDestroyNotify)saoma_refund_status_free);
}

static void
wxpay3_refund_async (SaomaGateway             *gateway,
                     const SaomaRefundRequest *request,
                     GCancellable             *cancellable,
                     GAsyncReadyCallback       callback,
                     gpointer                  user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *amount = json_object_new ();

  /* No source tag: refund_status_cb tells the two calls apart by it. */
  g_task_set_check_cancellable (task, FALSE);

  /* Always the same fields and values for one out_refund_no. */
  json_object_set_string_member (fields, "out_trade_no", request->out_trade_no);
  json_object_set_string_member (fields, "out_refund_no", request->out_refund_no);
  if (request->reason != NULL && *request->reason != '\0')
    json_object_set_string_member (fields, "reason", request->reason);
  if (request->notify_url != NULL)
    json_object_set_string_member (fields, "notify_url", request->notify_url);
  json_object_set_int_member (amount, "refund", request->amount);
  json_object_set_int_member (amount, "total", request->total);
  json_object_set_string_member (amount, "currency", "CNY");
  json_object_set_object_member (fields, "amount", amount);

  wxpay3_client_refund_async (self->client, fields, cancellable, refund_status_cb, task);
}

static void
wxpay3_query_refund_async (SaomaGateway       *gateway,
                           const char         *out_refund_no,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (gateway);
  GTask              *task = start (self, wxpay3_query_refund_async, cancellable, callback, user_data);

  wxpay3_client_refund_query_async (self->client, out_refund_no, cancellable, refund_status_cb,
                                    task);
}

/* GObject ------------------------------------------------------------------------------------- */

static void
saoma_wxpay3_gateway_iface_init (SaomaGatewayInterface *iface)
{
  iface->get_protocol = wxpay3_get_protocol;
  iface->dup_merchant = wxpay3_dup_merchant;
  iface->has_certificate = wxpay3_has_certificate;
  iface->build_native_request = wxpay3_build_native_request;
  iface->check_native_request = wxpay3_check_native_request;
  iface->describe_native_request = wxpay3_describe_native_request;
  iface->create_native_order_async = wxpay3_create_native_order_async;
  iface->prepare_native_order = wxpay3_prepare_native_order;
  iface->pay_by_code_async = wxpay3_pay_by_code_async;
  iface->reverse_async = wxpay3_reverse_async;
  iface->reverse_finish = wxpay3_reverse_finish;
  iface->query_order_async = wxpay3_query_order_async;
  iface->close_order_async = wxpay3_close_order_async;
  iface->refund_async = wxpay3_refund_async;
  iface->query_refund_async = wxpay3_query_refund_async;
  iface->download_bill_async = wxpay3_download_bill_async;
  iface->parse_notification = wxpay3_parse_notification;
  iface->notification_reply = wxpay3_notification_reply;
  iface->notification_reply_status = wxpay3_notification_reply_status;
}

static void
saoma_wxpay3_gateway_dispose (GObject *object)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (object);

  g_clear_object (&self->client);

  G_OBJECT_CLASS (saoma_wxpay3_gateway_parent_class)->dispose (object);
}

static void
saoma_wxpay3_gateway_finalize (GObject *object)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (object);

  g_clear_pointer (&self->verifier, wxpay3_verifier_unref);
  if (self->apiv3_key != NULL)
    {
      /* volatile: the wipe must not be optimised away before the free. */
      volatile char *key = self->apiv3_key;

      for (gsize i = 0; i < self->apiv3_key_len; i++)
        key[i] = 0;
      g_clear_pointer (&self->apiv3_key, g_free);
    }

  G_OBJECT_CLASS (saoma_wxpay3_gateway_parent_class)->finalize (object);
}

static void
saoma_wxpay3_gateway_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_wxpay3_gateway_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  SaomaWxpay3Gateway *self = SAOMA_WXPAY3_GATEWAY (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_wxpay3_gateway_class_init (SaomaWxpay3GatewayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_wxpay3_gateway_dispose;
  object_class->finalize = saoma_wxpay3_gateway_finalize;
  object_class->get_property = saoma_wxpay3_gateway_get_property;
  object_class->set_property = saoma_wxpay3_gateway_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, WXPAY3_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_wxpay3_gateway_init (SaomaWxpay3Gateway *self)
{
}

/**
 * saoma_wxpay3_gateway_new:
 * @client: the v3 client (keys, base URI)
 *
 * Returns: (transfer full): a gateway speaking v3 through @client
 */
SaomaWxpay3Gateway *
saoma_wxpay3_gateway_new (Wxpay3Client *client)
{
  g_return_val_if_fail (WXPAY3_IS_CLIENT (client), NULL);

  return g_object_new (SAOMA_TYPE_WXPAY3_GATEWAY, "client", client, NULL);
}

/**
 * saoma_wxpay3_gateway_new_full:
 * @client: the v3 client (keys, base URI)
 * @verifier: WeChat Pay's keys, to verify callbacks with (the client's own)
 * @apiv3_key: (array length=apiv3_key_len): the 32-byte APIv3 key that opens callbacks
 * @apiv3_key_len: its length
 *
 * Returns: (transfer full): a gateway speaking v3 through @client that also verifies and
 *   opens callbacks
 */
SaomaWxpay3Gateway *
saoma_wxpay3_gateway_new_full (Wxpay3Client   *client,
                               Wxpay3Verifier *verifier,
                               const char     *apiv3_key,
                               gsize           apiv3_key_len)
{
  SaomaWxpay3Gateway *self;

  g_return_val_if_fail (WXPAY3_IS_CLIENT (client), NULL);
  g_return_val_if_fail (verifier != NULL, NULL);
  g_return_val_if_fail (apiv3_key != NULL, NULL);

  self = saoma_wxpay3_gateway_new (client);
  self->verifier = wxpay3_verifier_ref (verifier);
  self->apiv3_key = g_memdup2 (apiv3_key, apiv3_key_len);
  self->apiv3_key_len = apiv3_key_len;

  return self;
}

/**
 * saoma_wxpay3_gateway_get_client:
 *
 * Returns: (transfer none): the client
 */
Wxpay3Client *
saoma_wxpay3_gateway_get_client (SaomaWxpay3Gateway *self)
{
  g_return_val_if_fail (SAOMA_IS_WXPAY3_GATEWAY (self), NULL);
  return self->client;
}
