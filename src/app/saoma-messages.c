/* saoma-messages.c: engine states and errors in words a cashier understands. */
#define G_LOG_DOMAIN "saoma-messages"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-checkout.h"
#include "core/saoma-money.h"
#include "ledger/saoma-ledger.h"
#include "wxpay/wxpay.h"

#include "saoma-messages.h"

static char *
describe_wxpay_error (const GError *error)
{
  switch ((WxpayError) error->code)
    {
    case WXPAY_ERROR_CONFIG:
      return g_strdup (_("The merchant settings are incomplete. Check the appid, merchant number and API key in Preferences."));
    case WXPAY_ERROR_CONNECT:
      return g_strdup (_("Cannot reach WeChat Pay. Check the network connection; no money was taken."));
    case WXPAY_ERROR_TIMEOUT:
    case WXPAY_ERROR_CONNECTION_LOST:
    case WXPAY_ERROR_HTTP_SERVER:
    case WXPAY_ERROR_SYSTEMERROR:
    case WXPAY_ERROR_BANKERROR:
    case WXPAY_ERROR_UNKNOWN_ERR_CODE:
      return g_strdup (_("WeChat Pay did not answer clearly. Saoma is checking whether the payment went through — do not charge again."));
    case WXPAY_ERROR_MALFORMED_RESPONSE:
    case WXPAY_ERROR_BAD_SIGNATURE:
    case WXPAY_ERROR_MISMATCH:
    case WXPAY_ERROR_MALFORMED_XML:
      return g_strdup (_("WeChat Pay’s answer could not be verified, so it was not trusted. Saoma keeps checking."));
    case WXPAY_ERROR_USERPAYING:
      return g_strdup (_("The customer is still confirming the payment on their phone."));
    case WXPAY_ERROR_SIGNERROR:
    case WXPAY_ERROR_RETURN_FAIL:
      return g_strdup (_("WeChat Pay refused the request. The API key or the signature type in Preferences is probably wrong."));
    case WXPAY_ERROR_APPID_NOT_EXIST:
      return g_strdup (_("WeChat Pay does not know this appid. Check it in Preferences."));
    case WXPAY_ERROR_MCHID_NOT_EXIST:
      return g_strdup (_("WeChat Pay does not know this merchant number. Check it in Preferences."));
    case WXPAY_ERROR_APPID_MCHID_NOT_MATCH:
      return g_strdup (_("The appid and the merchant number do not belong together. Check them in Preferences."));
    case WXPAY_ERROR_NOAUTH:
      return g_strdup (_("This merchant account is not allowed to take QR code payments. Contact WeChat Pay."));
    case WXPAY_ERROR_NOTENOUGH:
      return g_strdup (_("The customer’s balance is not enough. Ask them to pay another way."));
    case WXPAY_ERROR_ORDERPAID:
      return g_strdup (_("This order is already paid."));
    case WXPAY_ERROR_ORDERCLOSED:
      return g_strdup (_("This order is already closed."));
    case WXPAY_ERROR_ORDERNOTEXIST:
      return g_strdup (_("WeChat Pay has no such order."));
    case WXPAY_ERROR_OUT_TRADE_NO_USED:
    case WXPAY_ERROR_INVALID_REQUEST:
      return g_strdup (_("WeChat Pay refused the order number. Start the sale again."));
    case WXPAY_ERROR_FREQUENCY_LIMITED:
    case WXPAY_ERROR_INVALID_REQ_TOO_MUCH:
      return g_strdup (_("Too many requests to WeChat Pay. Wait a moment and try again."));
    case WXPAY_ERROR_USER_ACCOUNT_ABNORMAL:
      return g_strdup (_("The customer’s WeChat account cannot pay right now. Ask them to pay another way."));
    case WXPAY_ERROR_HTTP_CLIENT:
      return g_strdup (_("The payment gateway address looks wrong. Check the gateway in Preferences."));
    case WXPAY_ERROR_INVALID_ARGUMENT:
    case WXPAY_ERROR_LACK_PARAMS:
    case WXPAY_ERROR_PARAM_ERROR:
    case WXPAY_ERROR_XML_FORMAT_ERROR:
    case WXPAY_ERROR_REQUIRE_POST_METHOD:
    case WXPAY_ERROR_POST_DATA_EMPTY:
    case WXPAY_ERROR_NOT_UTF8:
      return g_strdup (_("WeChat Pay rejected the request as malformed. Please report this problem."));
    case WXPAY_ERROR_CANCELLED:
      return g_strdup (_("The request was cancelled before it was sent."));
    case WXPAY_ERROR_TRADE_STATE_ERROR:
    case WXPAY_ERROR_TRADE_OVERDUE:
    case WXPAY_ERROR_ORDERREVERSED:
    case WXPAY_ERROR_ERROR:
    case WXPAY_ERROR_INVALID_TRANSACTIONID:
    case WXPAY_ERROR_REFUNDNOTEXIST:
    case WXPAY_ERROR_AUTHCODEEXPIRE:
    case WXPAY_ERROR_AUTH_CODE_ERROR:
    case WXPAY_ERROR_AUTH_CODE_INVALID:
    case WXPAY_ERROR_NOTSUPORTCARD:
    case WXPAY_ERROR_BUYER_MISMATCH:
    case WXPAY_ERROR_TRADE_ERROR:
    case WXPAY_ERROR_REVERSE_EXPIRE:
    case WXPAY_ERROR_BIZERR_NEED_RETRY:
    case WXPAY_ERROR_BILL_NOT_EXIST:
    case WXPAY_ERROR_BILL_CREATING:
    case WXPAY_ERROR_BILL_FAILED:
    default:
      return g_strdup (_("WeChat Pay could not complete the request."));
    }
}

char *
saoma_messages_describe_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == WXPAY_ERROR)
    return describe_wxpay_error (error);

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

  if (error->domain == WXPAY_ERROR)
    code = wxpay_error_code_to_string (error->code);

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
