/* saoma-messages.c: engine states and errors in words a cashier understands. */
#define G_LOG_DOMAIN "saoma-messages"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-checkout.h"
#include "core/saoma-gateway.h"
#include "core/saoma-money.h"
#include "ledger/saoma-ledger.h"

#include "saoma-messages.h"

static char *
describe_gateway_error (const GError *error)
{
  switch ((SaomaGatewayError) error->code)
    {
    case SAOMA_GATEWAY_ERROR_CONFIG:
      return g_strdup (_("The merchant settings are incomplete. Check the appid, merchant number and API key in Preferences."));
    case SAOMA_GATEWAY_ERROR_NO_CERTIFICATE:
      return g_strdup (_("Refunds need the merchant client certificate (apiclient_cert). "
                         "Choose it in Preferences."));
    case SAOMA_GATEWAY_ERROR_CONNECT:
      return g_strdup (_("Cannot reach WeChat Pay. Check the network connection; no money was taken."));
    case SAOMA_GATEWAY_ERROR_TIMEOUT:
    case SAOMA_GATEWAY_ERROR_CONNECTION_LOST:
    case SAOMA_GATEWAY_ERROR_SERVER:
    case SAOMA_GATEWAY_ERROR_SYSTEM_ERROR:
    case SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER:
      return g_strdup (_("WeChat Pay did not answer clearly. Saoma is checking whether the payment went through — do not charge again."));
    case SAOMA_GATEWAY_ERROR_BAD_ANSWER:
    case SAOMA_GATEWAY_ERROR_BAD_SIGNATURE:
    case SAOMA_GATEWAY_ERROR_MISMATCH:
    case SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION:
      return g_strdup (_("WeChat Pay’s answer could not be verified, so it was not trusted. Saoma keeps checking."));
    case SAOMA_GATEWAY_ERROR_USER_PAYING:
      return g_strdup (_("The customer is still confirming the payment on their phone."));
    case SAOMA_GATEWAY_ERROR_REFUSED:
      return g_strdup (_("WeChat Pay refused the request. The API key or the signature type in Preferences is probably wrong."));
    case SAOMA_GATEWAY_ERROR_APPID_UNKNOWN:
      return g_strdup (_("WeChat Pay does not know this appid. Check it in Preferences."));
    case SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN:
      return g_strdup (_("WeChat Pay does not know this merchant number. Check it in Preferences."));
    case SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH:
      return g_strdup (_("The appid and the merchant number do not belong together. Check them in Preferences."));
    case SAOMA_GATEWAY_ERROR_NOT_AUTHORIZED:
      return g_strdup (_("This merchant account is not allowed to take QR code payments. Contact WeChat Pay."));
    case SAOMA_GATEWAY_ERROR_NOT_ENOUGH:
      return g_strdup (_("The customer’s balance is not enough. Ask them to choose another card in WeChat, or to pay another way."));
    case SAOMA_GATEWAY_ERROR_ORDER_PAID:
      return g_strdup (_("This order is already paid."));
    case SAOMA_GATEWAY_ERROR_ORDER_CLOSED:
      return g_strdup (_("This order is already closed."));
    case SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST:
      return g_strdup (_("WeChat Pay has no such order."));
    case SAOMA_GATEWAY_ERROR_DUPLICATE_ORDER:
      return g_strdup (_("WeChat Pay refused the order number. Start the sale again."));
    case SAOMA_GATEWAY_ERROR_RATE_LIMITED:
      return g_strdup (_("Too many requests to WeChat Pay. Wait a moment and try again."));
    case SAOMA_GATEWAY_ERROR_ACCOUNT_ABNORMAL:
      return g_strdup (_("The customer’s WeChat account cannot pay right now. Ask them to pay another way."));
    case SAOMA_GATEWAY_ERROR_HTTP_CLIENT:
      return g_strdup (_("The payment gateway address looks wrong. Check the gateway in Preferences."));
    case SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT:
      return g_strdup (_("WeChat Pay rejected the request as malformed. Please report this problem."));
    case SAOMA_GATEWAY_ERROR_CANCELLED:
      return g_strdup (_("The request was cancelled before it was sent."));
    /* Payment codes (issue 13): what the cashier asks the customer for. */
    case SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED:
      return g_strdup (_("The payment code has expired. Ask the customer to refresh it in WeChat and scan it again."));
    case SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID:
      return g_strdup (_("This payment code was already used or is not valid. Ask the customer to refresh it in WeChat and scan it again."));
    case SAOMA_GATEWAY_ERROR_TRADE_ERROR:
      return g_strdup (_("The payment failed on the customer’s side. Ask the customer to check their phone and pay again."));
    case SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED:
      return g_strdup (_("The customer’s card cannot be used for this payment. Ask them to choose another card in WeChat."));
    case SAOMA_GATEWAY_ERROR_BUYER_MISMATCH:
      return g_strdup (_("The payer changed during the payment. Ask the customer to pay again."));
    case SAOMA_GATEWAY_ERROR_ORDER_REVERSED:
      return g_strdup (_("This payment was cancelled (reversed)."));
    case SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST:
    case SAOMA_GATEWAY_ERROR_REVERSE_EXPIRED:
    case SAOMA_GATEWAY_ERROR_REJECTED:
    case SAOMA_GATEWAY_ERROR_RETRY_SAME:
    case SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST:
    case SAOMA_GATEWAY_ERROR_BILL_CREATING:
    case SAOMA_GATEWAY_ERROR_BILL_FAILED:
    case SAOMA_GATEWAY_ERROR_BILL_INVALID:
    case SAOMA_GATEWAY_ERROR_NOT_SUPPORTED:
    default:
      return g_strdup (_("WeChat Pay could not complete the request."));
    }
}

char *
saoma_messages_describe_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == SAOMA_GATEWAY_ERROR)
    return describe_gateway_error (error);

  if (error->domain == SAOMA_CHECKOUT_ERROR)
    {
      switch ((SaomaCheckoutError) error->code)
        {
        case SAOMA_CHECKOUT_ERROR_BUSY:
          return g_strdup (_("A payment is already in progress. Finish or cancel it first."));
        case SAOMA_CHECKOUT_ERROR_INVALID_AMOUNT:
          return g_strdup (_("This amount is above the largest sale allowed in Preferences."));
        case SAOMA_CHECKOUT_ERROR_NEVER_SENT:
          return g_strdup (_("The order never reached WeChat Pay."));
        case SAOMA_CHECKOUT_ERROR_CANCELLED:
          return g_strdup (_("The sale was cancelled before anything was sent."));
        case SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE:
          return g_strdup (_("This is not a WeChat payment code. Ask the customer to open the payment code in WeChat and scan it again."));
        case SAOMA_CHECKOUT_ERROR_ALIPAY_CODE:
          return g_strdup (_("This is an Alipay payment code. Saoma takes WeChat Pay only."));
        case SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE:
          return g_strdup (_("Payment codes need the merchant client certificate. Add it in Preferences → Merchant."));
        case SAOMA_CHECKOUT_ERROR_TAKEN_OVER:
          return g_strdup (_("Another till took over this payment"));
        case SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER:
        case SAOMA_CHECKOUT_ERROR_AMOUNT_MISMATCH:
        case SAOMA_CHECKOUT_ERROR_INVALID:
        default:
          return g_strdup (_("WeChat Pay’s answer did not match this sale, so it was not trusted."));
        }
    }

  /* saoma_money_parse() already writes a translated, complete sentence. */
  if (error->domain == SAOMA_MONEY_ERROR)
    return g_strdup (error->message);

  if (error->domain == SAOMA_LEDGER_ERROR)
    return g_strdup (_("The payment record could not be saved, so nothing was sent to WeChat Pay. Check the free disk space."));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup (_("Cancelled."));

  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
      error->domain == G_TLS_ERROR)
    return g_strdup (_("Cannot reach WeChat Pay. Check the network connection; no money was taken."));

  return g_strdup (_("Something went wrong."));
}

char *
saoma_messages_dup_error_detail (const GError *error)
{
  const char *code = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  /* The message itself starts with the protocol's code ("ORDERNOTEXIST: …"). */
  if (error->domain == SAOMA_GATEWAY_ERROR)
    code = saoma_gateway_error_code_to_string (error->code);

  if (code != NULL)
    return g_strdup_printf ("%s %d (%s): %s", g_quark_to_string (error->domain),
                            error->code, code, error->message);

  return g_strdup_printf ("%s %d: %s", g_quark_to_string (error->domain), error->code,
                          error->message);
}

const char *
saoma_messages_state_label (SaomaAttemptState state)
{
  switch (state)
    {
    case SAOMA_ATTEMPT_CREATED:
      return C_("attempt state", "Creating");
    case SAOMA_ATTEMPT_SUBMITTED:
      return C_("attempt state", "Sent");
    case SAOMA_ATTEMPT_WAITING:
      return C_("attempt state", "Waiting for scan");
    case SAOMA_ATTEMPT_UNKNOWN:
      return C_("attempt state", "Checking");
    case SAOMA_ATTEMPT_CLOSING:
      return C_("attempt state", "Closing");
    case SAOMA_ATTEMPT_PAID:
      return C_("attempt state", "Paid");
    case SAOMA_ATTEMPT_CLOSED:
      return C_("attempt state", "Closed");
    case SAOMA_ATTEMPT_FAILED:
      return C_("attempt state", "Failed");
    case SAOMA_ATTEMPT_PARTIALLY_REFUNDED:
      return C_("attempt state", "Partly refunded");
    case SAOMA_ATTEMPT_REFUNDED:
      return C_("attempt state", "Refunded");
    default:
      return "?";
    }
}

const char *
saoma_messages_method_label (SaomaPaymentMethod method)
{
  switch (method)
    {
    case SAOMA_PAYMENT_METHOD_MICROPAY:
      return C_("payment method", "Payment code");
    case SAOMA_PAYMENT_METHOD_NATIVE:
    default:
      return C_("payment method", "QR code");
    }
}

const char *
saoma_messages_state_style (SaomaAttemptState state)
{
  switch (state)
    {
    case SAOMA_ATTEMPT_PAID:
      return "success";
    case SAOMA_ATTEMPT_CREATED:
    case SAOMA_ATTEMPT_SUBMITTED:
    case SAOMA_ATTEMPT_WAITING:
    case SAOMA_ATTEMPT_UNKNOWN:
      return "accent";
    case SAOMA_ATTEMPT_CLOSING:
    case SAOMA_ATTEMPT_PARTIALLY_REFUNDED:
    case SAOMA_ATTEMPT_REFUNDED:
      return "warning";
    case SAOMA_ATTEMPT_FAILED:
      return "error";
    case SAOMA_ATTEMPT_CLOSED:
    default:
      return "dim";
    }
}

