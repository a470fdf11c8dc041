/* saoma-wxpay2-gateway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SaomaGateway over WeChat Pay API v2 (docs/wxpay-v2.md): the one file in core that knows v2's
 * paths, field names and error codes. Everything it hands the engine is typed, every error is
 * in SAOMA_GATEWAY_ERROR with the same known/unknown class as the WXPAY_ERROR it came from.
 */

#define G_LOG_DOMAIN "saoma-wxpay2-gateway"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wxpay/wxpay.h"

#include "saoma-log.h"

#include "saoma-wxpay2-gateway.h"

struct _SaomaWxpay2Gateway
{
  GObject      parent_instance;

  WxpayClient *client;
};

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void saoma_wxpay2_gateway_iface_init (SaomaGatewayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaWxpay2Gateway, saoma_wxpay2_gateway, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SAOMA_TYPE_GATEWAY,
                                                      saoma_wxpay2_gateway_iface_init))

/* Errors ------------------------------------------------------------------------------------ */

static SaomaGatewayError
map_code (WxpayError code)
{
  switch (code)
    {
    case WXPAY_ERROR_INVALID_ARGUMENT:
    case WXPAY_ERROR_LACK_PARAMS:
    case WXPAY_ERROR_PARAM_ERROR:
    case WXPAY_ERROR_XML_FORMAT_ERROR:
    case WXPAY_ERROR_REQUIRE_POST_METHOD:
    case WXPAY_ERROR_POST_DATA_EMPTY:
    case WXPAY_ERROR_NOT_UTF8:
      return SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT;
    case WXPAY_ERROR_CONFIG:
      return SAOMA_GATEWAY_ERROR_CONFIG;
    case WXPAY_ERROR_CONNECT:
      return SAOMA_GATEWAY_ERROR_CONNECT;
    case WXPAY_ERROR_CANCELLED:
      return SAOMA_GATEWAY_ERROR_CANCELLED;
    case WXPAY_ERROR_HTTP_CLIENT:
      return SAOMA_GATEWAY_ERROR_HTTP_CLIENT;
    case WXPAY_ERROR_RETURN_FAIL:
    case WXPAY_ERROR_SIGNERROR:
      return SAOMA_GATEWAY_ERROR_REFUSED;
    case WXPAY_ERROR_TIMEOUT:
      return SAOMA_GATEWAY_ERROR_TIMEOUT;
    case WXPAY_ERROR_CONNECTION_LOST:
      return SAOMA_GATEWAY_ERROR_CONNECTION_LOST;
    case WXPAY_ERROR_HTTP_SERVER:
      return SAOMA_GATEWAY_ERROR_SERVER;
    case WXPAY_ERROR_MALFORMED_RESPONSE:
      return SAOMA_GATEWAY_ERROR_BAD_ANSWER;
    case WXPAY_ERROR_BAD_SIGNATURE:
      return SAOMA_GATEWAY_ERROR_BAD_SIGNATURE;
    case WXPAY_ERROR_MISMATCH:
      return SAOMA_GATEWAY_ERROR_MISMATCH;
    case WXPAY_ERROR_MALFORMED_XML:
      return SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION;
    case WXPAY_ERROR_SYSTEMERROR:
    case WXPAY_ERROR_BANKERROR:
      return SAOMA_GATEWAY_ERROR_SYSTEM_ERROR;
    case WXPAY_ERROR_USERPAYING:
      return SAOMA_GATEWAY_ERROR_USER_PAYING;
    case WXPAY_ERROR_BIZERR_NEED_RETRY:
      return SAOMA_GATEWAY_ERROR_RETRY_SAME;
    case WXPAY_ERROR_INVALID_REQUEST:
    case WXPAY_ERROR_OUT_TRADE_NO_USED:
      return SAOMA_GATEWAY_ERROR_DUPLICATE_ORDER;
    case WXPAY_ERROR_NOAUTH:
      return SAOMA_GATEWAY_ERROR_NOT_AUTHORIZED;
    case WXPAY_ERROR_NOTENOUGH:
      return SAOMA_GATEWAY_ERROR_NOT_ENOUGH;
    case WXPAY_ERROR_ORDERPAID:
      return SAOMA_GATEWAY_ERROR_ORDER_PAID;
    case WXPAY_ERROR_ORDERCLOSED:
      return SAOMA_GATEWAY_ERROR_ORDER_CLOSED;
    case WXPAY_ERROR_ORDERREVERSED:
      return SAOMA_GATEWAY_ERROR_ORDER_REVERSED;
    case WXPAY_ERROR_ORDERNOTEXIST:
      return SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST;
    case WXPAY_ERROR_APPID_NOT_EXIST:
      return SAOMA_GATEWAY_ERROR_APPID_UNKNOWN;
    case WXPAY_ERROR_MCHID_NOT_EXIST:
      return SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN;
    case WXPAY_ERROR_APPID_MCHID_NOT_MATCH:
      return SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH;
    case WXPAY_ERROR_TRADE_STATE_ERROR:
    case WXPAY_ERROR_TRADE_OVERDUE:
    case WXPAY_ERROR_ERROR:
    case WXPAY_ERROR_INVALID_TRANSACTIONID:
      return SAOMA_GATEWAY_ERROR_REJECTED;
    case WXPAY_ERROR_USER_ACCOUNT_ABNORMAL:
      return SAOMA_GATEWAY_ERROR_ACCOUNT_ABNORMAL;
    case WXPAY_ERROR_INVALID_REQ_TOO_MUCH:
    case WXPAY_ERROR_FREQUENCY_LIMITED:
      return SAOMA_GATEWAY_ERROR_RATE_LIMITED;
    case WXPAY_ERROR_REFUNDNOTEXIST:
      return SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST;
    case WXPAY_ERROR_AUTHCODEEXPIRE:
      return SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED;
    case WXPAY_ERROR_AUTH_CODE_ERROR:
    case WXPAY_ERROR_AUTH_CODE_INVALID:
      return SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID;
    case WXPAY_ERROR_NOTSUPORTCARD:
      return SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED;
    case WXPAY_ERROR_BUYER_MISMATCH:
      return SAOMA_GATEWAY_ERROR_BUYER_MISMATCH;
    case WXPAY_ERROR_TRADE_ERROR:
      return SAOMA_GATEWAY_ERROR_TRADE_ERROR;
    case WXPAY_ERROR_REVERSE_EXPIRE:
      return SAOMA_GATEWAY_ERROR_REVERSE_EXPIRED;
    case WXPAY_ERROR_UNKNOWN_ERR_CODE:
      return SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER;
    case WXPAY_ERROR_BILL_NOT_EXIST:
      return SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST;
    case WXPAY_ERROR_BILL_CREATING:
      return SAOMA_GATEWAY_ERROR_BILL_CREATING;
    case WXPAY_ERROR_BILL_FAILED:
      return SAOMA_GATEWAY_ERROR_BILL_FAILED;
    /* The API v3 codes of the shared domain (never raised by the v2 client). */
    case WXPAY_ERROR_RULE_LIMIT:
      return SAOMA_GATEWAY_ERROR_REJECTED;
    case WXPAY_ERROR_RESOURCE_NOT_EXISTS:
      return SAOMA_GATEWAY_ERROR_CONFIG;
    case WXPAY_ERROR_RATE_LIMITED:
      /* v3's 429 leaves the outcome unknown, unlike v2's FREQUENCY_LIMITED. */
      return SAOMA_GATEWAY_ERROR_SERVER;
    case WXPAY_ERROR_UNKNOWN_SERIAL:
    case WXPAY_ERROR_STALE_TIMESTAMP:
    case WXPAY_ERROR_SIGNATURE_PROBE:
      return SAOMA_GATEWAY_ERROR_BAD_SIGNATURE;
    case WXPAY_ERROR_DECRYPT:
      return SAOMA_GATEWAY_ERROR_BAD_ANSWER;
    default:
      /* A code from a newer libwxpay: assume WeChat may have acted. */
      return SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER;
    }
}

/* libwxpay's messages quote the gateway's return_msg and err_code_des, which nothing
 * authenticates (a FAIL answer carries no valid sign): escaped here, once, so that no log
 * line, status text or CLI output built from a gateway error can be forged by them. */
static GError *
new_error (SaomaGatewayError code,
           const char       *protocol_code,
           const char       *message)
{
  gsize n = strlen (protocol_code);
  g_autofree char *safe = saoma_log_escape (message);

  /* err_code messages already read "ORDERNOTEXIST: …". */
  if (strncmp (safe, protocol_code, n) == 0 && safe[n] == ':')
    return g_error_new_literal (SAOMA_GATEWAY_ERROR, code, safe);

  return g_error_new (SAOMA_GATEWAY_ERROR, code, "%s: %s", protocol_code, safe);
}

/**
 * saoma_wxpay2_gateway_map_error:
 * @error: an error from libwxpay (or any other)
 *
 * Returns: (transfer full): the gateway error of the same known/unknown class; the message
 *   starts with the v2 code
 */
GError *
saoma_wxpay2_gateway_map_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != WXPAY_ERROR)
    return g_error_copy (error);

  return new_error (map_code ((WxpayError)error->code),
                    wxpay_error_code_to_string ((WxpayError)error->code), error->message);
}

/* Typed answers ------------------------------------------------------------------------------ */

static gint64
get_fen (const WxpayParams *params,
         const char        *name)
{
  gint64 value;

  return wxpay_params_get_int64 (params, name, &value) ? value : -1;
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) time = text != NULL ? wxpay_time_parse (text) : NULL;

  return time != NULL ? g_date_time_to_unix (time) * G_USEC_PER_SEC : 0;
}

static SaomaGatewayRefundState
parse_refund_state (const char *text)
{
  if (g_strcmp0 (text, "SUCCESS") == 0)
    return SAOMA_GATEWAY_REFUND_SUCCESS;
  if (g_strcmp0 (text, "PROCESSING") == 0)
    return SAOMA_GATEWAY_REFUND_PROCESSING;
  if (g_strcmp0 (text, "REFUNDCLOSE") == 0 || g_strcmp0 (text, "FAIL") == 0)
    return SAOMA_GATEWAY_REFUND_CLOSED;
  if (g_strcmp0 (text, "CHANGE") == 0)
    return SAOMA_GATEWAY_REFUND_CHANGE;
  return SAOMA_GATEWAY_REFUND_UNKNOWN;
}

/* orderquery and micropay answers: the order's fields. */
static SaomaOrderStatus *
order_status_from_params (const WxpayParams *answer,
                          const char        *trade_state)
{
  SaomaOrderStatus *status = saoma_order_status_new ();

  status->out_trade_no = g_strdup (wxpay_params_get (answer, "out_trade_no"));
  status->state = saoma_trade_state_from_string (trade_state);
  status->state_text = g_strdup (trade_state);
  status->state_desc = g_strdup (wxpay_params_get (answer, "trade_state_desc"));
  status->amount = get_fen (answer, "total_fee");
  status->payer_amount = get_fen (answer, "cash_fee");
  status->transaction_id = g_strdup (wxpay_params_get (answer, "transaction_id"));
  status->paid_at = parse_time (wxpay_params_get (answer, "time_end"));

  return status;
}

/* Calls ---------------------------------------------------------------------------------------- */

typedef struct _Call Call;

struct _Call {
  WxpayParams *(*finish)  (WxpayClient  *client,
                           GAsyncResult *result,
                           GError      **error);
  /* Returns the typed answer, or NULL with @error; NULL for calls answered with a boolean. */
  gpointer     (*convert) (Call              *call,
                           const WxpayParams *answer,
                           GError           **error);
  GDestroyNotify free_result;
  gboolean       secapi;       /* needs the client certificate */
  gboolean       has_cert;
  char          *key;          /* out_refund_no of a refund query */
};

static void
call_free (Call *call)
{
  g_free (call->key);
  g_free (call);
}

static Call *
call_new (SaomaWxpay2Gateway *self,
          WxpayParams *(*finish) (WxpayClient *, GAsyncResult *, GError **),
          gpointer (*convert) (Call *, const WxpayParams *, GError **),
          GDestroyNotify      free_result,
          gboolean            secapi)
{
  Call *call = g_new0 (Call, 1);
  g_autoptr(GTlsCertificate) certificate = NULL;

  call->finish = finish;
  call->convert = convert;
  call->free_result = free_result;
  call->secapi = secapi;
  if (secapi)
    {
      g_object_get (self->client, "tls-certificate", &certificate, NULL);
      call->has_cert = certificate != NULL;
    }
  return call;
}

static void
call_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;
  gpointer typed;

  answer = call->finish (WXPAY_CLIENT (source), result, &error);
  if (answer == NULL)
    {
      GError *mapped = saoma_wxpay2_gateway_map_error (error);

      /* /secapi/ without the merchant certificate: nothing left the machine. */
      if (call->secapi && !call->has_cert
          && g_error_matches (mapped, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG))
        mapped->code = SAOMA_GATEWAY_ERROR_NO_CERTIFICATE;
      g_task_return_error (task, mapped);
      return;
    }

  if (call->convert == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  typed = call->convert (call, answer, &error);
  if (typed == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, typed, call->free_result);
}

static GTask *
start (SaomaWxpay2Gateway *self,
       Call               *call,
       gpointer            source_tag,
       GCancellable       *cancellable,
       GAsyncReadyCallback callback,
       gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify)call_free);
  /* The client decides whether a cancelled request was sent (CANCELLED vs CONNECTION_LOST). */
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

static WxpayParams *
by_out_trade_no (const char *out_trade_no)
{
  WxpayParams *params = wxpay_params_new ();

  wxpay_params_set (params, "out_trade_no", out_trade_no);
  return params;
}

/* Getters ---------------------------------------------------------------------------------------- */

static const char *
wxpay2_get_protocol (SaomaGateway *gateway)
{
  return "v2";
}

static char *
wxpay2_dup_merchant (SaomaGateway *gateway)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);

  return g_strdup_printf ("%s / %s", wxpay_client_get_appid (self->client) ?: "",
                          wxpay_client_get_mch_id (self->client) ?: "");
}

static gboolean
wxpay2_has_certificate (SaomaGateway *gateway)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTlsCertificate) certificate = NULL;

  g_object_get (self->client, "tls-certificate", &certificate, NULL);
  return certificate != NULL;
}

/* Native orders: the request token -------------------------------------------------------------- */

static char *
format_beijing (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return wxpay_time_format (time);
}

/* The ledger keeps the request as opaque text: GVariant's text form of an a(ss) of the
 * unifiedorder business fields (everything but the envelope the client adds: appid, mch_id,
 * nonce_str, sign_type, sign), which keeps the order and escapes every ambiguous character. */
static char *
wxpay2_build_native_request (SaomaGateway           *gateway,
                             const SaomaNativeOrder *order,
                             GError                **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ss)"));
  g_autoptr(WxpayParams) params = wxpay_params_new ();
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *body = saoma_gateway_cut_description (order->description);
  g_autofree char *time_start = format_beijing (order->time_start);
  g_autofree char *time_expire = format_beijing (order->time_expire);

  if (order->out_trade_no == NULL || order->amount <= 0)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                           "INVALID_ARGUMENT: an order needs an out_trade_no and an amount");
      return NULL;
    }

  if (order->till_id != NULL && order->till_id[0] != '\0')
    wxpay_params_set (params, "device_info", order->till_id);
  wxpay_params_set (params, "body", body);
  wxpay_params_set (params, "out_trade_no", order->out_trade_no);
  wxpay_params_set_int64 (params, "total_fee", order->amount);
  wxpay_params_set (params, "spbill_create_ip", order->client_ip);
  wxpay_params_set (params, "time_start", time_start);
  wxpay_params_set (params, "time_expire", time_expire);
  wxpay_params_set (params, "notify_url", order->notify_url);
  wxpay_params_set (params, "trade_type", "NATIVE");
  wxpay_params_set (params, "product_id", order->product_id);

  for (guint i = 0; i < wxpay_params_get_size (params); i++)
    g_variant_builder_add (&builder, "(ss)", wxpay_params_get_name (params, i),
                           wxpay_params_get_value (params, i));
  variant = g_variant_ref_sink (g_variant_builder_end (&builder));

  return g_variant_print (variant, FALSE);
}

static WxpayParams *
request_from_token (const char *token,
                    GError    **error)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GError) local_error = NULL;
  WxpayParams *params;
  GVariantIter iter;
  const char *name, *value;

  variant = g_variant_parse (G_VARIANT_TYPE ("a(ss)"), token, NULL, NULL, &local_error);
  if (variant == NULL)
    {
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                   "INVALID_ARGUMENT: unreadable request: %s", local_error->message);
      return NULL;
    }

  params = wxpay_params_new ();
  g_variant_iter_init (&iter, variant);
  while (g_variant_iter_next (&iter, "(&s&s)", &name, &value))
    wxpay_params_set (params, name, value);

  return params;
}

static gboolean
wxpay2_check_native_request (SaomaGateway *gateway,
                             const char   *token,
                             const char   *out_trade_no,
                             gint64        amount,
                             GError      **error)
{
  g_autoptr(WxpayParams) params = request_from_token (token, error);
  gint64 total_fee = 0;

  if (params == NULL)
    return FALSE;

  if (g_strcmp0 (wxpay_params_get (params, "out_trade_no"), out_trade_no) != 0 ||
      !wxpay_params_get_int64 (params, "total_fee", &total_fee) || total_fee != amount)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,
                           "INVALID_ARGUMENT: the stored request is for another order or amount");
      return FALSE;
    }

  return TRUE;
}

static char *
wxpay2_describe_native_request (SaomaGateway *gateway,
                                const char   *token)
{
  g_autoptr(WxpayParams) params = request_from_token (token, NULL);

  if (params == NULL)
    return g_strdup ("(unreadable request)");

  return g_strdup_printf ("total_fee=%s time_expire=%s",
                          wxpay_params_get (params, "total_fee") ?: "?",
                          wxpay_params_get (params, "time_expire") ?: "?");
}

static gpointer
convert_native (Call              *call,
                const WxpayParams *answer,
                GError           **error)
{
  SaomaNativeOrderResult *result;
  const char *code_url = wxpay_params_get (answer, "code_url");

  if (code_url == NULL || *code_url == '\0')
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BAD_ANSWER,
                           "MALFORMED_RESPONSE: unifiedorder answer has no code_url");
      return NULL;
    }

  result = g_new0 (SaomaNativeOrderResult, 1);
  result->code_url = g_strdup (code_url);
  result->prepay_id = g_strdup (wxpay_params_get (answer, "prepay_id"));
  return result;
}

static void
wxpay2_create_native_order_async (SaomaGateway       *gateway,
                                  const char         *token,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = NULL;
  GError *error = NULL;

  task = start (self, call_new (self, wxpay_client_unifiedorder_finish, convert_native,
                                (GDestroyNotify)saoma_native_order_result_free, FALSE),
                wxpay2_create_native_order_async, cancellable, callback, user_data);

  request = request_from_token (token, &error);
  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  wxpay_client_unifiedorder_async (self->client, request, cancellable, call_cb,
                                   g_steal_pointer (&task));
}

/* Micropay and reverse -------------------------------------------------------------------------- */

static gpointer
convert_micropay (Call              *call,
                  const WxpayParams *answer,
                  GError           **error)
{
  /* result_code=SUCCESS on micropay means paid; the answer carries no trade_state. */
  return order_status_from_params (answer, wxpay_params_get (answer, "trade_state") ?: "SUCCESS");
}

static void
wxpay2_pay_by_code_async (SaomaGateway           *gateway,
                          const SaomaCodePayment *payment,
                          GCancellable           *cancellable,
                          GAsyncReadyCallback     callback,
                          gpointer                user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autofree char *body = saoma_gateway_cut_description (payment->description);

  task = start (self, call_new (self, wxpay_client_micropay_finish, convert_micropay,
                                (GDestroyNotify)saoma_order_status_free, FALSE),
                wxpay2_pay_by_code_async, cancellable, callback, user_data);

  if (payment->till_id != NULL && payment->till_id[0] != '\0')
    wxpay_params_set (request, "device_info", payment->till_id);
  wxpay_params_set (request, "body", body);
  wxpay_params_set (request, "out_trade_no", payment->out_trade_no);
  wxpay_params_set_int64 (request, "total_fee", payment->amount);
  wxpay_params_set (request, "spbill_create_ip",
                    payment->client_ip ? payment->client_ip : "127.0.0.1");
  wxpay_params_set (request, "auth_code", payment->auth_code);

  wxpay_client_micropay_async (self->client, request, cancellable, call_cb,
                               g_steal_pointer (&task));
}

static gpointer
convert_reverse (Call              *call,
                 const WxpayParams *answer,
                 GError           **error)
{
  /* recall=Y: call reverse again. Boxed as a non-NULL pointer either way. */
  return GINT_TO_POINTER (g_strcmp0 (wxpay_params_get (answer, "recall"), "Y") == 0 ? 2 : 1);
}

static void
wxpay2_reverse_async (SaomaGateway       *gateway,
                      const char         *out_trade_no,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = by_out_trade_no (out_trade_no);

  task = start (self, call_new (self, wxpay_client_reverse_finish, convert_reverse, NULL, TRUE),
                wxpay2_reverse_async, cancellable, callback, user_data);
  wxpay_client_reverse_async (self->client, request, cancellable, call_cb,
                              g_steal_pointer (&task));
}

static gboolean
wxpay2_reverse_finish (SaomaGateway *gateway,
                       GAsyncResult *result,
                       gboolean     *out_retry,
                       GError      **error)
{
  gpointer answer;

  g_return_val_if_fail (g_task_is_valid (result, gateway), FALSE);

  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (out_retry != NULL)
    *out_retry = GPOINTER_TO_INT (answer) == 2;
  return answer != NULL;
}

/* Query and close --------------------------------------------------------------------------------- */

static gpointer
convert_query (Call              *call,
               const WxpayParams *answer,
               GError           **error)
{
  return order_status_from_params (answer, wxpay_params_get (answer, "trade_state"));
}

static void
wxpay2_query_order_async (SaomaGateway       *gateway,
                          const char         *out_trade_no,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = by_out_trade_no (out_trade_no);

  task = start (self, call_new (self, wxpay_client_orderquery_finish, convert_query,
                                (GDestroyNotify)saoma_order_status_free, FALSE),
                wxpay2_query_order_async, cancellable, callback, user_data);
  wxpay_client_orderquery_async (self->client, request, cancellable, call_cb,
                                 g_steal_pointer (&task));
}

static void
wxpay2_close_order_async (SaomaGateway       *gateway,
                          const char         *out_trade_no,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = by_out_trade_no (out_trade_no);

  task = start (self, call_new (self, wxpay_client_closeorder_finish, NULL, NULL, FALSE),
                wxpay2_close_order_async, cancellable, callback, user_data);
  wxpay_client_closeorder_async (self->client, request, cancellable, call_cb,
                                 g_steal_pointer (&task));
}

/* Refunds ---------------------------------------------------------------------------------------- */

static gpointer
convert_refund (Call              *call,
                const WxpayParams *answer,
                GError           **error)
{
  SaomaRefundStatus *status;

  /* A refund_fee that is there but unreadable cannot be checked against the request. */
  if (wxpay_params_contains (answer, "refund_fee") && get_fen (answer, "refund_fee") < 0)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MISMATCH,
                           "MISMATCH: refund answer has an unreadable refund_fee");
      return NULL;
    }

  status = saoma_refund_status_new ();
  status->out_refund_no = g_strdup (wxpay_params_get (answer, "out_refund_no"));
  status->refund_id = g_strdup (wxpay_params_get (answer, "refund_id"));
  status->state = SAOMA_GATEWAY_REFUND_PROCESSING;
  status->amount = get_fen (answer, "refund_fee");
  return status;
}

static void
wxpay2_refund_async (SaomaGateway             *gateway,
                     const SaomaRefundRequest *refund,
                     GCancellable             *cancellable,
                     GAsyncReadyCallback       callback,
                     gpointer                  user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();

  task = start (self, call_new (self, wxpay_client_refund_finish, convert_refund,
                                (GDestroyNotify)saoma_refund_status_free, TRUE),
                wxpay2_refund_async, cancellable, callback, user_data);

  /* Always the same fields and values for one out_refund_no. */
  wxpay_params_set (request, "out_trade_no", refund->out_trade_no);
  wxpay_params_set (request, "out_refund_no", refund->out_refund_no);
  wxpay_params_set_int64 (request, "total_fee", refund->total);
  wxpay_params_set_int64 (request, "refund_fee", refund->amount);
  if (refund->reason != NULL && *refund->reason != '\0')
    wxpay_params_set (request, "refund_desc", refund->reason);
  if (refund->notify_url != NULL)
    wxpay_params_set (request, "notify_url", refund->notify_url);

  wxpay_client_refund_async (self->client, request, cancellable, call_cb,
                             g_steal_pointer (&task));
}

static gpointer
convert_refundquery (Call              *call,
                     const WxpayParams *answer,
                     GError           **error)
{
  gint64 count = 0;

  if (!wxpay_params_get_int64 (answer, "refund_count", &count))
    count = 0;

  for (gint64 n = 0; n < MIN (count, 100); n++)
    {
      g_autofree char *k_no = g_strdup_printf ("out_refund_no_%" G_GINT64_FORMAT, n);
      g_autofree char *k_status = g_strdup_printf ("refund_status_%" G_GINT64_FORMAT, n);
      g_autofree char *k_fee = g_strdup_printf ("refund_fee_%" G_GINT64_FORMAT, n);
      g_autofree char *k_id = g_strdup_printf ("refund_id_%" G_GINT64_FORMAT, n);
      SaomaRefundStatus *status;

      if (g_strcmp0 (wxpay_params_get (answer, k_no), call->key) != 0)
        continue;

      status = saoma_refund_status_new ();
      status->out_refund_no = g_strdup (call->key);
      status->refund_id = g_strdup (wxpay_params_get (answer, k_id));
      status->state_text = g_strdup (wxpay_params_get (answer, k_status));
      status->state = parse_refund_state (status->state_text);
      status->amount = get_fen (answer, k_fee);
      return status;
    }

  g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BAD_ANSWER,
               "MALFORMED_RESPONSE: refund %s not in the answer", call->key);
  return NULL;
}

static void
wxpay2_query_refund_async (SaomaGateway       *gateway,
                           const char         *out_refund_no,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  Call *call = call_new (self, wxpay_client_refundquery_finish, convert_refundquery,
                         (GDestroyNotify)saoma_refund_status_free, FALSE);

  call->key = g_strdup (out_refund_no);
  task = start (self, call, wxpay2_query_refund_async, cancellable, callback, user_data);
  wxpay_params_set (request, "out_refund_no", out_refund_no);
  wxpay_client_refundquery_async (self->client, request, cancellable, call_cb,
                                  g_steal_pointer (&task));
}

/* Bills ------------------------------------------------------------------------------------------- */

/* "yyyy-MM-dd HH:mm:ss", Beijing time. */
static gint64
parse_bill_time (const char *text)
{
  g_autoptr(GTimeZone) beijing = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) dt = NULL;
  int y, mo, d, h, mi, s;

  if (text == NULL || sscanf (text, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6)
    return 0;
  dt = g_date_time_new (beijing, y, mo, d, h, mi, s);
  return dt ? g_date_time_to_unix (dt) * G_USEC_PER_SEC : 0;
}

/**
 * saoma_wxpay2_gateway_parse_bill:
 * @data: a downloadbill answer (gzip or text)
 * @error: return location for a %SAOMA_GATEWAY_ERROR_BILL_INVALID error
 *
 * Returns: (transfer full) (nullable): the typed bill
 */
SaomaBill *
saoma_wxpay2_gateway_parse_bill (GBytes  *data,
                                 GError **error)
{
  g_autoptr(WxpayBill) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  SaomaBill *bill;

  parsed = wxpay_bill_parse (data, &local_error);
  if (parsed == NULL)
    {
      g_autofree char *safe = saoma_log_escape (local_error->message);

      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BILL_INVALID, "%s: %s",
                   wxpay_error_code_to_string (local_error->code), safe);
      return NULL;
    }

  bill = saoma_bill_new ();
  bill->summary_count = parsed->summary_count;
  bill->summary_total = parsed->summary_settlement_total;
  bill->summary_refund_total = parsed->summary_refund_total;

  for (guint i = 0; i < parsed->rows->len; i++)
    {
      const WxpayBillRow *in = g_ptr_array_index (parsed->rows, i);
      SaomaBillRow *row = saoma_bill_row_new ();

      if (g_strcmp0 (in->trade_state, "REFUND") == 0)
        row->kind = SAOMA_BILL_ROW_REFUND;
      else if (g_strcmp0 (in->trade_state, "REVOKED") == 0)
        row->kind = SAOMA_BILL_ROW_REVOKED;
      else
        row->kind = SAOMA_BILL_ROW_PAYMENT;
      row->time = parse_bill_time (in->trade_time);
      row->out_trade_no = g_strdup (in->out_trade_no);
      row->transaction_id = g_strdup (in->transaction_id);
      row->trade_type = g_strdup (in->trade_type);
      row->state_text = g_strdup (row->kind == SAOMA_BILL_ROW_REFUND ? in->refund_status
                                                                     : in->trade_state);
      row->amount = in->total_fee >= 0 ? in->total_fee : in->settlement_fee;
      row->out_refund_no = g_strdup (in->out_refund_no);
      row->refund_id = g_strdup (in->refund_id);
      row->refund_amount = in->refund_fee;
      row->refund_state = parse_refund_state (in->refund_status);
      g_ptr_array_add (bill->rows, row);
    }

  return bill;
}

static void
downloadbill_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  SaomaBill *bill;

  bytes = wxpay_client_downloadbill_finish (WXPAY_CLIENT (source), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, saoma_wxpay2_gateway_map_error (error));
      return;
    }

  bill = saoma_wxpay2_gateway_parse_bill (bytes, &error);
  if (bill == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, bill, (GDestroyNotify)saoma_bill_unref);
}

static void
wxpay2_download_bill_async (SaomaGateway       *gateway,
                            const GDate        *day,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *bill_date = g_strdup_printf ("%04u%02u%02u", g_date_get_year (day),
                                                g_date_get_month (day), g_date_get_day (day));

  g_task_set_source_tag (task, wxpay2_download_bill_async);
  g_task_set_check_cancellable (task, FALSE);
  wxpay_client_downloadbill_async (self->client, bill_date, "ALL", TRUE, cancellable,
                                   downloadbill_cb, task);
}

/* Notifications ------------------------------------------------------------------------------ */

static SaomaGatewayEvent *
wxpay2_parse_notification (SaomaGateway          *gateway,
                           SoupMessageHeaders    *headers,
                           GBytes                *body,
                           SaomaNotificationPath  path,
                           SaomaGatewayEventKind *out_kind,
                           GError               **error)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (gateway);
  g_autoptr(WxpayParams) params = NULL;
  g_autoptr(GError) local_error = NULL;
  SaomaGatewayEvent *event;
  gboolean is_refund = FALSE;
  gsize len = 0;
  const char *text = g_bytes_get_data (body, &len);

  /* One decode: the refund kind is the one with a req_info (§10). */
  params = wxpay_client_parse_notification (self->client, text ? text : "", len,
                                            path == SAOMA_NOTIFICATION_REFUND, &is_refund,
                                            &local_error);
  *out_kind = is_refund ? SAOMA_GATEWAY_EVENT_REFUND : SAOMA_GATEWAY_EVENT_PAYMENT;
  if (params == NULL)
    {
      g_propagate_error (error, saoma_wxpay2_gateway_map_error (local_error));
      return NULL;
    }

  if (is_refund)
    {
      const char *status = wxpay_params_get (params, "refund_status");

      event = saoma_gateway_event_new (SAOMA_GATEWAY_EVENT_REFUND);
      event->out_trade_no = g_strdup (wxpay_params_get (params, "out_trade_no"));
      event->out_refund_no = g_strdup (wxpay_params_get (params, "out_refund_no"));
      event->refund_state = parse_refund_state (status);
      event->amount = get_fen (params, "refund_fee");
      event->transaction_id = g_strdup (wxpay_params_get (params, "transaction_id"));
      return event;
    }

  event = saoma_gateway_event_new (SAOMA_GATEWAY_EVENT_PAYMENT);
  event->out_trade_no = g_strdup (wxpay_params_get (params, "out_trade_no"));
  /* A FAIL notification is verified too (it must still be acknowledged). */
  event->success = g_strcmp0 (wxpay_params_get (params, "result_code"), "SUCCESS") == 0;
  event->transaction_id = g_strdup (wxpay_params_get (params, "transaction_id"));
  event->amount = get_fen (params, "total_fee");
  event->paid_at = parse_time (wxpay_params_get (params, "time_end"));
  return event;
}

static GBytes *
wxpay2_notification_reply (SaomaGateway *gateway,
                           gboolean      success,
                           const char   *message)
{
  return wxpay_notify_reply (success, message);
}

/* GObject ------------------------------------------------------------------------------------ */

static void
saoma_wxpay2_gateway_iface_init (SaomaGatewayInterface *iface)
{
  iface->get_protocol = wxpay2_get_protocol;
  iface->dup_merchant = wxpay2_dup_merchant;
  iface->has_certificate = wxpay2_has_certificate;
  iface->build_native_request = wxpay2_build_native_request;
  iface->check_native_request = wxpay2_check_native_request;
  iface->describe_native_request = wxpay2_describe_native_request;
  iface->create_native_order_async = wxpay2_create_native_order_async;
  iface->pay_by_code_async = wxpay2_pay_by_code_async;
  iface->reverse_async = wxpay2_reverse_async;
  iface->reverse_finish = wxpay2_reverse_finish;
  iface->query_order_async = wxpay2_query_order_async;
  iface->close_order_async = wxpay2_close_order_async;
  iface->refund_async = wxpay2_refund_async;
  iface->query_refund_async = wxpay2_query_refund_async;
  iface->download_bill_async = wxpay2_download_bill_async;
  iface->parse_notification = wxpay2_parse_notification;
  iface->notification_reply = wxpay2_notification_reply;
}

static void
saoma_wxpay2_gateway_dispose (GObject *object)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (object);

  g_clear_object (&self->client);

  G_OBJECT_CLASS (saoma_wxpay2_gateway_parent_class)->dispose (object);
}

static void
saoma_wxpay2_gateway_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (object);

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
saoma_wxpay2_gateway_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  SaomaWxpay2Gateway *self = SAOMA_WXPAY2_GATEWAY (object);

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
saoma_wxpay2_gateway_class_init (SaomaWxpay2GatewayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_wxpay2_gateway_dispose;
  object_class->get_property = saoma_wxpay2_gateway_get_property;
  object_class->set_property = saoma_wxpay2_gateway_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, WXPAY_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_wxpay2_gateway_init (SaomaWxpay2Gateway *self)
{
}

/**
 * saoma_wxpay2_gateway_new:
 * @client: the v2 client (credentials, base URI, certificate)
 *
 * Returns: (transfer full): a gateway speaking v2 through @client
 */
SaomaWxpay2Gateway *
saoma_wxpay2_gateway_new (WxpayClient *client)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (client), NULL);

  return g_object_new (SAOMA_TYPE_WXPAY2_GATEWAY, "client", client, NULL);
}

/**
 * saoma_wxpay2_gateway_get_client:
 *
 * Returns: (transfer none): the client
 */
WxpayClient *
saoma_wxpay2_gateway_get_client (SaomaWxpay2Gateway *self)
{
  g_return_val_if_fail (SAOMA_IS_WXPAY2_GATEWAY (self), NULL);
  return self->client;
}

/**
 * saoma_wxpay2_gateway_new_for_merchant:
 * @base_uri: the gateway's base URI
 * @appid: the merchant's appid
 * @mch_id: the merchant number
 * @api_key: (nullable): the API key
 * @timeout_s: request timeout in seconds, 0 for the client's default
 *
 * Returns: (transfer full): a v2 gateway with a new client
 */
SaomaGateway *
saoma_wxpay2_gateway_new_for_merchant (const char *base_uri,
                                       const char *appid,
                                       const char *mch_id,
                                       const char *api_key,
                                       guint       timeout_s)
{
  g_autoptr(WxpayClient) client = wxpay_client_new (base_uri, appid, mch_id, api_key);

  if (timeout_s > 0)
    g_object_set (client, "timeout", timeout_s, NULL);

  return SAOMA_GATEWAY (saoma_wxpay2_gateway_new (client));
}

/**
 * saoma_wxpay2_gateway_load_certificate:
 * @gateway: a #SaomaWxpay2Gateway
 * @path: apiclient_cert.p12, or a PEM file with the certificate and its key
 * @password: (nullable): the PKCS#12 password (WeChat's default is the mch_id)
 * @error: return location for a %SAOMA_GATEWAY_ERROR_CONFIG error
 *
 * Returns: %TRUE when the client now presents the certificate
 */
gboolean
saoma_wxpay2_gateway_load_certificate (SaomaGateway *gateway,
                                       const char   *path,
                                       const char   *password,
                                       GError      **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SAOMA_IS_WXPAY2_GATEWAY (gateway), FALSE);

  certificate = wxpay_load_client_certificate (path, password, &local_error);
  if (certificate == NULL)
    {
      /* WeChat's apiclient_cert.pem comes with its key beside it in apiclient_key.pem. */
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *key = g_build_filename (dir, "apiclient_key.pem", NULL);

      if (g_file_test (key, G_FILE_TEST_EXISTS))
        {
          g_clear_error (&local_error);
          certificate = wxpay_load_client_certificate_pem (path, key, &local_error);
        }
    }
  if (certificate == NULL)
    {
      g_propagate_error (error, saoma_wxpay2_gateway_map_error (local_error));
      return FALSE;
    }

  saoma_wxpay2_gateway_set_certificate (gateway, certificate);
  return TRUE;
}

/**
 * saoma_wxpay2_gateway_set_certificate:
 * @gateway: a #SaomaWxpay2Gateway
 * @certificate: (nullable): the merchant client certificate, with its key
 */
void
saoma_wxpay2_gateway_set_certificate (SaomaGateway    *gateway,
                                      GTlsCertificate *certificate)
{
  g_return_if_fail (SAOMA_IS_WXPAY2_GATEWAY (gateway));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  g_object_set (SAOMA_WXPAY2_GATEWAY (gateway)->client, "tls-certificate", certificate, NULL);
}
