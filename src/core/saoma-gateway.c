/* saoma-gateway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The gateway seam: the engine (checkout, refunder, reconciliation, listener) speaks these
 * typed calls and one error domain; each protocol is a separate implementation.
 */

#define G_LOG_DOMAIN "saoma-gateway"

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

#include "saoma-business-day.h"
#include "saoma-gateway.h"

G_DEFINE_QUARK (saoma-gateway-error-quark, saoma_gateway_error)
G_DEFINE_INTERFACE (SaomaGateway, saoma_gateway, G_TYPE_OBJECT)

/* Numbers carry the shop's wall time (Beijing, the business day's zone: issue 12.5), so that
 * "T0120261203043248…" sits beside "2026-12-03 04:32:48", not eight hours off. v2 and v3 take
 * the same numbers. */
static char *
default_new_out_trade_no (SaomaGateway *self,
                          const char   *till_id,
                          GDateTime    *now)
{
  g_autoptr(GDateTime) local = saoma_business_day_shop_time (now);

  return wxpay_out_trade_no_new (till_id, local);
}

static char *
default_new_out_refund_no (SaomaGateway *self,
                           const char   *till_id,
                           GDateTime    *now)
{
  g_autoptr(GDateTime) local = saoma_business_day_shop_time (now);

  return wxpay_out_refund_no_new (till_id, local);
}

static void
saoma_gateway_default_init (SaomaGatewayInterface *iface)
{
  iface->new_out_trade_no = default_new_out_trade_no;
  iface->new_out_refund_no = default_new_out_refund_no;
}

/* Errors ------------------------------------------------------------------------------- */

/**
 * saoma_gateway_error_code_to_string:
 * @code: a #SaomaGatewayError
 *
 * Returns: the code's symbolic name ("ORDER_NOT_EXIST")
 */
const char *
saoma_gateway_error_code_to_string (SaomaGatewayError code)
{
  switch (code)
    {
    case SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case SAOMA_GATEWAY_ERROR_CONFIG: return "CONFIG";
    case SAOMA_GATEWAY_ERROR_NO_CERTIFICATE: return "NO_CERTIFICATE";
    case SAOMA_GATEWAY_ERROR_CONNECT: return "CONNECT";
    case SAOMA_GATEWAY_ERROR_CANCELLED: return "CANCELLED";
    case SAOMA_GATEWAY_ERROR_HTTP_CLIENT: return "HTTP_CLIENT";
    case SAOMA_GATEWAY_ERROR_REFUSED: return "REFUSED";
    case SAOMA_GATEWAY_ERROR_APPID_UNKNOWN: return "APPID_UNKNOWN";
    case SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN: return "MCH_ID_UNKNOWN";
    case SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH: return "APPID_MCH_ID_MISMATCH";
    case SAOMA_GATEWAY_ERROR_NOT_AUTHORIZED: return "NOT_AUTHORIZED";
    case SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION: return "INVALID_NOTIFICATION";
    case SAOMA_GATEWAY_ERROR_DUPLICATE_ORDER: return "DUPLICATE_ORDER";
    case SAOMA_GATEWAY_ERROR_NOT_ENOUGH: return "NOT_ENOUGH";
    case SAOMA_GATEWAY_ERROR_ORDER_PAID: return "ORDER_PAID";
    case SAOMA_GATEWAY_ERROR_ORDER_CLOSED: return "ORDER_CLOSED";
    case SAOMA_GATEWAY_ERROR_ORDER_REVERSED: return "ORDER_REVERSED";
    case SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST: return "ORDER_NOT_EXIST";
    case SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST: return "REFUND_NOT_EXIST";
    case SAOMA_GATEWAY_ERROR_RATE_LIMITED: return "RATE_LIMITED";
    case SAOMA_GATEWAY_ERROR_ACCOUNT_ABNORMAL: return "ACCOUNT_ABNORMAL";
    case SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED: return "AUTH_CODE_EXPIRED";
    case SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID: return "AUTH_CODE_INVALID";
    case SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED: return "CARD_NOT_SUPPORTED";
    case SAOMA_GATEWAY_ERROR_BUYER_MISMATCH: return "BUYER_MISMATCH";
    case SAOMA_GATEWAY_ERROR_REVERSE_EXPIRED: return "REVERSE_EXPIRED";
    case SAOMA_GATEWAY_ERROR_TRADE_ERROR: return "TRADE_ERROR";
    case SAOMA_GATEWAY_ERROR_REJECTED: return "REJECTED";
    case SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST: return "BILL_NOT_EXIST";
    case SAOMA_GATEWAY_ERROR_BILL_CREATING: return "BILL_CREATING";
    case SAOMA_GATEWAY_ERROR_BILL_FAILED: return "BILL_FAILED";
    case SAOMA_GATEWAY_ERROR_BILL_INVALID: return "BILL_INVALID";
    case SAOMA_GATEWAY_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
    case SAOMA_GATEWAY_ERROR_TIMEOUT: return "TIMEOUT";
    case SAOMA_GATEWAY_ERROR_CONNECTION_LOST: return "CONNECTION_LOST";
    case SAOMA_GATEWAY_ERROR_SERVER: return "SERVER";
    case SAOMA_GATEWAY_ERROR_BAD_ANSWER: return "BAD_ANSWER";
    case SAOMA_GATEWAY_ERROR_BAD_SIGNATURE: return "BAD_SIGNATURE";
    case SAOMA_GATEWAY_ERROR_MISMATCH: return "MISMATCH";
    case SAOMA_GATEWAY_ERROR_SYSTEM_ERROR: return "SYSTEM_ERROR";
    case SAOMA_GATEWAY_ERROR_USER_PAYING: return "USER_PAYING";
    case SAOMA_GATEWAY_ERROR_RETRY_SAME: return "RETRY_SAME";
    case SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER: return "UNKNOWN_ANSWER";
    default:
      return "UNKNOWN";
    }
}

/**
 * saoma_gateway_error_is_outcome_unknown:
 * @error: (nullable): an error from a gateway call
 *
 * Returns: %TRUE when the gateway may have acted on the request
 */
gboolean
saoma_gateway_error_is_outcome_unknown (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (error->domain == SAOMA_GATEWAY_ERROR)
    {
      switch ((SaomaGatewayError)error->code)
        {
        case SAOMA_GATEWAY_ERROR_TIMEOUT:
        case SAOMA_GATEWAY_ERROR_CONNECTION_LOST:
        case SAOMA_GATEWAY_ERROR_SERVER:
        case SAOMA_GATEWAY_ERROR_BAD_ANSWER:
        case SAOMA_GATEWAY_ERROR_BAD_SIGNATURE:
        case SAOMA_GATEWAY_ERROR_MISMATCH:
        case SAOMA_GATEWAY_ERROR_SYSTEM_ERROR:
        case SAOMA_GATEWAY_ERROR_USER_PAYING:
        case SAOMA_GATEWAY_ERROR_RETRY_SAME:
        case SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER:
          return TRUE;

        case SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT:
        case SAOMA_GATEWAY_ERROR_CONFIG:
        case SAOMA_GATEWAY_ERROR_NO_CERTIFICATE:
        case SAOMA_GATEWAY_ERROR_CONNECT:
        case SAOMA_GATEWAY_ERROR_CANCELLED:
        case SAOMA_GATEWAY_ERROR_HTTP_CLIENT:
        case SAOMA_GATEWAY_ERROR_REFUSED:
        case SAOMA_GATEWAY_ERROR_APPID_UNKNOWN:
        case SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN:
        case SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH:
        case SAOMA_GATEWAY_ERROR_NOT_AUTHORIZED:
        case SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION:
        case SAOMA_GATEWAY_ERROR_DUPLICATE_ORDER:
        case SAOMA_GATEWAY_ERROR_NOT_ENOUGH:
        case SAOMA_GATEWAY_ERROR_ORDER_PAID:
        case SAOMA_GATEWAY_ERROR_ORDER_CLOSED:
        case SAOMA_GATEWAY_ERROR_ORDER_REVERSED:
        case SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST:
        case SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST:
        case SAOMA_GATEWAY_ERROR_RATE_LIMITED:
        case SAOMA_GATEWAY_ERROR_ACCOUNT_ABNORMAL:
        case SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED:
        case SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID:
        case SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED:
        case SAOMA_GATEWAY_ERROR_BUYER_MISMATCH:
        case SAOMA_GATEWAY_ERROR_REVERSE_EXPIRED:
        case SAOMA_GATEWAY_ERROR_TRADE_ERROR:
        case SAOMA_GATEWAY_ERROR_REJECTED:
        case SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST:
        case SAOMA_GATEWAY_ERROR_BILL_CREATING:
        case SAOMA_GATEWAY_ERROR_BILL_FAILED:
        case SAOMA_GATEWAY_ERROR_BILL_INVALID:
        case SAOMA_GATEWAY_ERROR_NOT_SUPPORTED:
          return FALSE;

        default:
          /* A code from a newer gateway: assume the worst. */
          return TRUE;
        }
    }

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_PARTIAL_INPUT:
          return TRUE;
        default:
          return FALSE;
        }
    }

  return FALSE;
}

/**
 * saoma_gateway_error_dup_protocol_code:
 * @error: (nullable): an error
 *
 * Returns: (transfer full): the protocol's code for the audit log
 */
char *
saoma_gateway_error_dup_protocol_code (const GError *error)
{
  const char *p;

  if (error == NULL)
    return g_strdup ("OK");

  if (error->domain == SAOMA_GATEWAY_ERROR)
    {
      /* The implementations start the message with the protocol's code and ": ". */
      for (p = error->message; *p != '\0'; p++)
        {
          if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '_')
            break;
        }
      if (p > error->message && p[0] == ':')
        return g_strndup (error->message, p - error->message);

      return g_strdup (saoma_gateway_error_code_to_string (error->code));
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup ("CANCELLED");

  return g_strdup ("ERROR");
}

/* States --------------------------------------------------------------------------------- */

/**
 * saoma_trade_state_to_string:
 * @state: a #SaomaTradeState
 *
 * Returns: "NOTPAY", "SUCCESS" …
 */
const char *
saoma_trade_state_to_string (SaomaTradeState state)
{
  switch (state)
    {
    case SAOMA_TRADE_STATE_NOTPAY: return "NOTPAY";
    case SAOMA_TRADE_STATE_USERPAYING: return "USERPAYING";
    case SAOMA_TRADE_STATE_ACCEPT: return "ACCEPT";
    case SAOMA_TRADE_STATE_SUCCESS: return "SUCCESS";
    case SAOMA_TRADE_STATE_REFUND: return "REFUND";
    case SAOMA_TRADE_STATE_CLOSED: return "CLOSED";
    case SAOMA_TRADE_STATE_REVOKED: return "REVOKED";
    case SAOMA_TRADE_STATE_PAYERROR: return "PAYERROR";
    case SAOMA_TRADE_STATE_UNKNOWN:
    default:
      return "UNKNOWN";
    }
}

/**
 * saoma_trade_state_from_string:
 * @text: (nullable): a trade_state as WeChat Pay says it (the same words in v2 and v3)
 *
 * Returns: the state, %SAOMA_TRADE_STATE_UNKNOWN for %NULL or a word not known
 */
SaomaTradeState
saoma_trade_state_from_string (const char *text)
{
  for (SaomaTradeState state = SAOMA_TRADE_STATE_NOTPAY;
       text != NULL && state <= SAOMA_TRADE_STATE_PAYERROR; state++)
    if (strcmp (text, saoma_trade_state_to_string (state)) == 0)
      return state;

  return SAOMA_TRADE_STATE_UNKNOWN;
}

/**
 * saoma_gateway_cut_description:
 * @description: (nullable): the order's description
 *
 * Both protocols take at most 127 (v2's body §3, v3's description §2; bytes, to be safe): cut
 * on a UTF-8 boundary, so that a long Chinese description never ends in half a character.
 *
 * Returns: (transfer full): @description, or "Saoma" when empty, cut to 127 bytes
 */
char *
saoma_gateway_cut_description (const char *description)
{
  const char *text = description != NULL && *description != '\0' ? description : "Saoma";
  const char *end = text;

  while (*end != '\0')
    {
      const char *next = g_utf8_next_char (end);

      if (next - text > 127)
        break;
      end = next;
    }

  return g_strndup (text, end - text);
}

/* Boxed types ----------------------------------------------------------------------------- */

SaomaNativeOrder *
saoma_native_order_copy (const SaomaNativeOrder *order)
{
  SaomaNativeOrder *copy = g_new0 (SaomaNativeOrder, 1);

  *copy = *order;
  copy->out_trade_no = g_strdup (order->out_trade_no);
  copy->description = g_strdup (order->description);
  copy->till_id = g_strdup (order->till_id);
  copy->notify_url = g_strdup (order->notify_url);
  copy->product_id = g_strdup (order->product_id);
  copy->client_ip = g_strdup (order->client_ip);
  return copy;
}

void
saoma_native_order_free (SaomaNativeOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->out_trade_no);
  g_free (order->description);
  g_free (order->till_id);
  g_free (order->notify_url);
  g_free (order->product_id);
  g_free (order->client_ip);
  g_free (order);
}

G_DEFINE_BOXED_TYPE (SaomaNativeOrder, saoma_native_order, saoma_native_order_copy,
                     saoma_native_order_free)

SaomaNativeOrderResult *
saoma_native_order_result_copy (const SaomaNativeOrderResult *r)
{
  SaomaNativeOrderResult *copy = g_new0 (SaomaNativeOrderResult, 1);

  copy->code_url = g_strdup (r->code_url);
  copy->prepay_id = g_strdup (r->prepay_id);
  return copy;
}

void
saoma_native_order_result_free (SaomaNativeOrderResult *r)
{
  if (r == NULL)
    return;
  g_free (r->code_url);
  g_free (r->prepay_id);
  g_free (r);
}

G_DEFINE_BOXED_TYPE (SaomaNativeOrderResult, saoma_native_order_result,
                     saoma_native_order_result_copy, saoma_native_order_result_free)

SaomaOrderStatus *
saoma_order_status_new (void)
{
  SaomaOrderStatus *status = g_new0 (SaomaOrderStatus, 1);

  status->amount = -1;
  status->payer_amount = -1;
  return status;
}

SaomaOrderStatus *
saoma_order_status_copy (const SaomaOrderStatus *status)
{
  SaomaOrderStatus *copy = g_new0 (SaomaOrderStatus, 1);

  *copy = *status;
  copy->out_trade_no = g_strdup (status->out_trade_no);
  copy->state_text = g_strdup (status->state_text);
  copy->state_desc = g_strdup (status->state_desc);
  copy->transaction_id = g_strdup (status->transaction_id);
  return copy;
}

void
saoma_order_status_free (SaomaOrderStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->out_trade_no);
  g_free (status->state_text);
  g_free (status->state_desc);
  g_free (status->transaction_id);
  g_free (status);
}

G_DEFINE_BOXED_TYPE (SaomaOrderStatus, saoma_order_status, saoma_order_status_copy,
                     saoma_order_status_free)

SaomaRefundStatus *
saoma_refund_status_new (void)
{
  SaomaRefundStatus *status = g_new0 (SaomaRefundStatus, 1);

  status->amount = -1;
  return status;
}

SaomaRefundStatus *
saoma_refund_status_copy (const SaomaRefundStatus *status)
{
  SaomaRefundStatus *copy = g_new0 (SaomaRefundStatus, 1);

  *copy = *status;
  copy->out_refund_no = g_strdup (status->out_refund_no);
  copy->refund_id = g_strdup (status->refund_id);
  copy->state_text = g_strdup (status->state_text);
  return copy;
}

void
saoma_refund_status_free (SaomaRefundStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->out_refund_no);
  g_free (status->refund_id);
  g_free (status->state_text);
  g_free (status);
}

G_DEFINE_BOXED_TYPE (SaomaRefundStatus, saoma_refund_status, saoma_refund_status_copy,
                     saoma_refund_status_free)

void
saoma_code_payment_free (SaomaCodePayment *payment)
{
  if (payment == NULL)
    return;
  g_free (payment->out_trade_no);
  g_free (payment->description);
  g_free (payment->till_id);
  g_free (payment->auth_code);
  g_free (payment->client_ip);
  g_free (payment);
}

void
saoma_refund_request_free (SaomaRefundRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->out_trade_no);
  g_free (request->out_refund_no);
  g_free (request->reason);
  g_free (request->notify_url);
  g_free (request);
}

SaomaBillRow *
saoma_bill_row_new (void)
{
  return g_new0 (SaomaBillRow, 1);
}

void
saoma_bill_row_free (SaomaBillRow *row)
{
  if (row == NULL)
    return;
  g_free (row->out_trade_no);
  g_free (row->transaction_id);
  g_free (row->trade_type);
  g_free (row->state_text);
  g_free (row->out_refund_no);
  g_free (row->refund_id);
  g_free (row);
}

typedef struct {
  SaomaBill       bill;
  gatomicrefcount ref_count;
} RealBill;

SaomaBill *
saoma_bill_new (void)
{
  RealBill *real = g_new0 (RealBill, 1);

  g_atomic_ref_count_init (&real->ref_count);
  real->bill.rows = g_ptr_array_new_with_free_func ((GDestroyNotify)saoma_bill_row_free);
  return &real->bill;
}

SaomaBill *
saoma_bill_ref (SaomaBill *bill)
{
  g_atomic_ref_count_inc (&((RealBill *)bill)->ref_count);
  return bill;
}

void
saoma_bill_unref (SaomaBill *bill)
{
  RealBill *real = (RealBill *)bill;

  if (bill == NULL || !g_atomic_ref_count_dec (&real->ref_count))
    return;
  g_ptr_array_unref (bill->rows);
  g_free (real);
}

G_DEFINE_BOXED_TYPE (SaomaBill, saoma_bill, saoma_bill_ref, saoma_bill_unref)

SaomaGatewayEvent *
saoma_gateway_event_new (SaomaGatewayEventKind kind)
{
  SaomaGatewayEvent *event = g_new0 (SaomaGatewayEvent, 1);

  event->kind = kind;
  event->amount = -1;
  return event;
}

SaomaGatewayEvent *
saoma_gateway_event_copy (const SaomaGatewayEvent *event)
{
  SaomaGatewayEvent *copy = g_new0 (SaomaGatewayEvent, 1);

  *copy = *event;
  copy->out_trade_no = g_strdup (event->out_trade_no);
  copy->transaction_id = g_strdup (event->transaction_id);
  copy->out_refund_no = g_strdup (event->out_refund_no);
  return copy;
}

void
saoma_gateway_event_free (SaomaGatewayEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->out_trade_no);
  g_free (event->transaction_id);
  g_free (event->out_refund_no);
  g_free (event);
}

G_DEFINE_BOXED_TYPE (SaomaGatewayEvent, saoma_gateway_event, saoma_gateway_event_copy,
                     saoma_gateway_event_free)

/* Dispatch --------------------------------------------------------------------------------- */

#define IFACE(self) SAOMA_GATEWAY_GET_IFACE (self)

/* The *_finish an implementation leaves NULL: its *_async returned its own GTask. */
static gpointer
task_pointer (SaomaGateway *self,
              GAsyncResult *result,
              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
task_boolean (SaomaGateway *self,
              GAsyncResult *result,
              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
saoma_gateway_get_protocol (SaomaGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  return IFACE (self)->get_protocol (self);
}

char *
saoma_gateway_dup_merchant (SaomaGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  return IFACE (self)->dup_merchant (self);
}

gboolean
saoma_gateway_has_certificate (SaomaGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), FALSE);
  return IFACE (self)->has_certificate (self);
}

char *
saoma_gateway_new_out_trade_no (SaomaGateway *self,
                                const char   *till_id,
                                GDateTime    *now)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  return IFACE (self)->new_out_trade_no (self, till_id, now);
}

char *
saoma_gateway_new_out_refund_no (SaomaGateway *self,
                                 const char   *till_id,
                                 GDateTime    *now)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  return IFACE (self)->new_out_refund_no (self, till_id, now);
}

char *
saoma_gateway_build_native_request (SaomaGateway           *self,
                                    const SaomaNativeOrder *order,
                                    GError                **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  g_return_val_if_fail (order != NULL, NULL);
  return IFACE (self)->build_native_request (self, order, error);
}

gboolean
saoma_gateway_check_native_request (SaomaGateway *self,
                                    const char   *token,
                                    const char   *out_trade_no,
                                    gint64        amount,
                                    GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  return IFACE (self)->check_native_request (self, token, out_trade_no, amount, error);
}

char *
saoma_gateway_describe_native_request (SaomaGateway *self,
                                       const char   *token)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  return IFACE (self)->describe_native_request (self, token);
}

void
saoma_gateway_create_native_order_async (SaomaGateway       *self,
                                         const char         *token,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (token != NULL);
  IFACE (self)->create_native_order_async (self, token, cancellable, callback, user_data);
}

/**
 * saoma_gateway_prepare_native_order:
 * @token: the request token a saoma_gateway_create_native_order_async() will soon be given
 *
 * Says that the order of @token is being written to the store: a gateway may do now, while the
 * store's thread syncs it, the work of its request that sends nothing (a v3 RSA signature), so
 * that the create sends at once when the attempt is durable. Nothing is sent; a gateway
 * without it does nothing.
 */
void
saoma_gateway_prepare_native_order (SaomaGateway *self,
                                    const char   *token)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (token != NULL);
  if (IFACE (self)->prepare_native_order != NULL)
    IFACE (self)->prepare_native_order (self, token);
}

SaomaNativeOrderResult *
saoma_gateway_create_native_order_finish (SaomaGateway *self,
                                          GAsyncResult *result,
                                          GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->create_native_order_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->create_native_order_finish (self, result, error);
}

void
saoma_gateway_pay_by_code_async (SaomaGateway           *self,
                                 const SaomaCodePayment *payment,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (payment != NULL);
  IFACE (self)->pay_by_code_async (self, payment, cancellable, callback, user_data);
}

SaomaOrderStatus *
saoma_gateway_pay_by_code_finish (SaomaGateway *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->pay_by_code_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->pay_by_code_finish (self, result, error);
}

void
saoma_gateway_reverse_async (SaomaGateway       *self,
                             const char         *out_trade_no,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (out_trade_no != NULL);
  IFACE (self)->reverse_async (self, out_trade_no, cancellable, callback, user_data);
}

gboolean
saoma_gateway_reverse_finish (SaomaGateway *self,
                              GAsyncResult *result,
                              gboolean     *out_retry,
                              GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), FALSE);
  return IFACE (self)->reverse_finish (self, result, out_retry, error);
}

void
saoma_gateway_query_order_async (SaomaGateway       *self,
                                 const char         *out_trade_no,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (out_trade_no != NULL);
  IFACE (self)->query_order_async (self, out_trade_no, cancellable, callback, user_data);
}

SaomaOrderStatus *
saoma_gateway_query_order_finish (SaomaGateway *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->query_order_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->query_order_finish (self, result, error);
}

void
saoma_gateway_close_order_async (SaomaGateway       *self,
                                 const char         *out_trade_no,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (out_trade_no != NULL);
  IFACE (self)->close_order_async (self, out_trade_no, cancellable, callback, user_data);
}

gboolean
saoma_gateway_close_order_finish (SaomaGateway *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), FALSE);
  if (IFACE (self)->close_order_finish == NULL)
    return task_boolean (self, result, error);
  return IFACE (self)->close_order_finish (self, result, error);
}

void
saoma_gateway_refund_async (SaomaGateway             *self,
                            const SaomaRefundRequest *request,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (request != NULL);
  IFACE (self)->refund_async (self, request, cancellable, callback, user_data);
}

SaomaRefundStatus *
saoma_gateway_refund_finish (SaomaGateway *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->refund_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->refund_finish (self, result, error);
}

void
saoma_gateway_query_refund_async (SaomaGateway       *self,
                                  const char         *out_refund_no,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (out_refund_no != NULL);
  IFACE (self)->query_refund_async (self, out_refund_no, cancellable, callback, user_data);
}

SaomaRefundStatus *
saoma_gateway_query_refund_finish (SaomaGateway *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->query_refund_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->query_refund_finish (self, result, error);
}

void
saoma_gateway_download_bill_async (SaomaGateway       *self,
                                   const GDate        *day,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_GATEWAY (self));
  g_return_if_fail (day != NULL && g_date_valid (day));
  IFACE (self)->download_bill_async (self, day, cancellable, callback, user_data);
}

SaomaBill *
saoma_gateway_download_bill_finish (SaomaGateway *self,
                                    GAsyncResult *result,
                                    GError      **error)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  if (IFACE (self)->download_bill_finish == NULL)
    return task_pointer (self, result, error);
  return IFACE (self)->download_bill_finish (self, result, error);
}

SaomaGatewayEvent *
saoma_gateway_parse_notification (SaomaGateway          *self,
                                  GBytes                *body,
                                  SaomaNotificationPath  path,
                                  SaomaGatewayEventKind *out_kind,
                                  GError               **error)
{
  return saoma_gateway_parse_http_notification (self, NULL, body, path, out_kind, error);
}

SaomaGatewayEvent *
saoma_gateway_parse_http_notification (SaomaGateway          *self,
                                       SoupMessageHeaders    *headers,
                                       GBytes                *body,
                                       SaomaNotificationPath  path,
                                       SaomaGatewayEventKind *out_kind,
                                       GError               **error)
{
  SaomaGatewayEventKind kind = path == SAOMA_NOTIFICATION_REFUND ? SAOMA_GATEWAY_EVENT_REFUND
                                                                 : SAOMA_GATEWAY_EVENT_PAYMENT;
  SaomaGatewayEvent *event;

  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  event = IFACE (self)->parse_notification (self, headers, body, path, &kind, error);
  if (out_kind != NULL)
    *out_kind = event != NULL ? event->kind : kind;
  return event;
}

GBytes *
saoma_gateway_notification_reply (SaomaGateway *self,
                                  gboolean      success,
                                  const char   *message)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), NULL);
  return IFACE (self)->notification_reply (self, success, message);
}

guint
saoma_gateway_notification_reply_status (SaomaGateway *self,
                                         gboolean      success,
                                         const char  **out_content_type)
{
  const char *content_type = "text/xml; charset=utf-8";
  guint       status = 200;

  g_return_val_if_fail (SAOMA_IS_GATEWAY (self), 500);

  if (IFACE (self)->notification_reply_status != NULL)
    status = IFACE (self)->notification_reply_status (self, success, &content_type);
  if (out_content_type != NULL)
    *out_content_type = content_type;
  return status;
}
