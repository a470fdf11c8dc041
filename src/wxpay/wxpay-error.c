/* wxpay-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-error"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "wxpay-error.h"

G_DEFINE_QUARK (wxpay-error-quark, wxpay_error)

/* Indexed by WxpayError; the err_code entries are the exact wire spelling. */
static const char * const code_names[] = {
  [WXPAY_ERROR_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
  [WXPAY_ERROR_CONFIG] = "CONFIG",
  [WXPAY_ERROR_CONNECT] = "CONNECT",
  [WXPAY_ERROR_CANCELLED] = "CANCELLED",
  [WXPAY_ERROR_HTTP_CLIENT] = "HTTP_CLIENT",
  [WXPAY_ERROR_RETURN_FAIL] = "RETURN_FAIL",
  [WXPAY_ERROR_TIMEOUT] = "TIMEOUT",
  [WXPAY_ERROR_CONNECTION_LOST] = "CONNECTION_LOST",
  [WXPAY_ERROR_HTTP_SERVER] = "HTTP_SERVER",
  [WXPAY_ERROR_MALFORMED_RESPONSE] = "MALFORMED_RESPONSE",
  [WXPAY_ERROR_BAD_SIGNATURE] = "BAD_SIGNATURE",
  [WXPAY_ERROR_MISMATCH] = "MISMATCH",
  [WXPAY_ERROR_MALFORMED_XML] = "MALFORMED_XML",
  [WXPAY_ERROR_SYSTEMERROR] = "SYSTEMERROR",
  [WXPAY_ERROR_BANKERROR] = "BANKERROR",
  [WXPAY_ERROR_USERPAYING] = "USERPAYING",
  [WXPAY_ERROR_BIZERR_NEED_RETRY] = "BIZERR_NEED_RETRY",
  [WXPAY_ERROR_INVALID_REQUEST] = "INVALID_REQUEST",
  [WXPAY_ERROR_NOAUTH] = "NOAUTH",
  [WXPAY_ERROR_NOTENOUGH] = "NOTENOUGH",
  [WXPAY_ERROR_ORDERPAID] = "ORDERPAID",
  [WXPAY_ERROR_ORDERCLOSED] = "ORDERCLOSED",
  [WXPAY_ERROR_ORDERREVERSED] = "ORDERREVERSED",
  [WXPAY_ERROR_ORDERNOTEXIST] = "ORDERNOTEXIST",
  [WXPAY_ERROR_APPID_NOT_EXIST] = "APPID_NOT_EXIST",
  [WXPAY_ERROR_MCHID_NOT_EXIST] = "MCHID_NOT_EXIST",
  [WXPAY_ERROR_APPID_MCHID_NOT_MATCH] = "APPID_MCHID_NOT_MATCH",
  [WXPAY_ERROR_LACK_PARAMS] = "LACK_PARAMS",
  [WXPAY_ERROR_OUT_TRADE_NO_USED] = "OUT_TRADE_NO_USED",
  [WXPAY_ERROR_SIGNERROR] = "SIGNERROR",
  [WXPAY_ERROR_XML_FORMAT_ERROR] = "XML_FORMAT_ERROR",
  [WXPAY_ERROR_REQUIRE_POST_METHOD] = "REQUIRE_POST_METHOD",
  [WXPAY_ERROR_POST_DATA_EMPTY] = "POST_DATA_EMPTY",
  [WXPAY_ERROR_NOT_UTF8] = "NOT_UTF8",
  [WXPAY_ERROR_TRADE_STATE_ERROR] = "TRADE_STATE_ERROR",
  [WXPAY_ERROR_TRADE_OVERDUE] = "TRADE_OVERDUE",
  [WXPAY_ERROR_ERROR] = "ERROR",
  [WXPAY_ERROR_USER_ACCOUNT_ABNORMAL] = "USER_ACCOUNT_ABNORMAL",
  [WXPAY_ERROR_INVALID_REQ_TOO_MUCH] = "INVALID_REQ_TOO_MUCH",
  [WXPAY_ERROR_INVALID_TRANSACTIONID] = "INVALID_TRANSACTIONID",
  [WXPAY_ERROR_PARAM_ERROR] = "PARAM_ERROR",
  [WXPAY_ERROR_FREQUENCY_LIMITED] = "FREQUENCY_LIMITED",
  [WXPAY_ERROR_REFUNDNOTEXIST] = "REFUNDNOTEXIST",
  [WXPAY_ERROR_AUTHCODEEXPIRE] = "AUTHCODEEXPIRE",
  [WXPAY_ERROR_AUTH_CODE_ERROR] = "AUTH_CODE_ERROR",
  [WXPAY_ERROR_AUTH_CODE_INVALID] = "AUTH_CODE_INVALID",
  [WXPAY_ERROR_NOTSUPORTCARD] = "NOTSUPORTCARD",
  [WXPAY_ERROR_BUYER_MISMATCH] = "BUYER_MISMATCH",
  [WXPAY_ERROR_TRADE_ERROR] = "TRADE_ERROR",
  [WXPAY_ERROR_REVERSE_EXPIRE] = "REVERSE_EXPIRE",
  [WXPAY_ERROR_UNKNOWN_ERR_CODE] = "UNKNOWN_ERR_CODE",
  [WXPAY_ERROR_BILL_NOT_EXIST] = "BILL_NOT_EXIST",
  [WXPAY_ERROR_BILL_CREATING] = "BILL_CREATING",
  [WXPAY_ERROR_BILL_FAILED] = "BILL_FAILED",
};

/**
 * wxpay_error_code_to_string:
 * @code: a #WxpayError
 *
 * Returns: the err_code spelling ("SYSTEMERROR") or the symbolic name ("TIMEOUT")
 */
const char *
wxpay_error_code_to_string (WxpayError code)
{
  if ((guint)code < G_N_ELEMENTS (code_names) && code_names[code] != NULL)
    return code_names[code];

  return "UNKNOWN";
}

/**
 * wxpay_error_from_err_code:
 * @err_code: (nullable): the err_code of an answer
 *
 * Returns: the matching code, %WXPAY_ERROR_UNKNOWN_ERR_CODE for anything undocumented
 */
WxpayError
wxpay_error_from_err_code (const char *err_code)
{
  if (err_code == NULL || *err_code == '\0')
    return WXPAY_ERROR_UNKNOWN_ERR_CODE;

  for (guint i = WXPAY_ERROR_SYSTEMERROR; i < WXPAY_ERROR_UNKNOWN_ERR_CODE; i++)
    {
      if (strcmp (code_names[i], err_code) == 0)
        return (WxpayError)i;
    }

  return WXPAY_ERROR_UNKNOWN_ERR_CODE;
}

/**
 * wxpay_error_is_outcome_unknown:
 * @error: (nullable): an error from libwxpay
 *
 * Returns: %TRUE when WeChat may have acted on the request
 */
gboolean
wxpay_error_is_outcome_unknown (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (error->domain == WXPAY_ERROR)
    {
      switch ((WxpayError)error->code)
        {
        case WXPAY_ERROR_TIMEOUT:
        case WXPAY_ERROR_CONNECTION_LOST:
        case WXPAY_ERROR_HTTP_SERVER:
        case WXPAY_ERROR_MALFORMED_RESPONSE:
        case WXPAY_ERROR_BAD_SIGNATURE:
        case WXPAY_ERROR_MISMATCH:
        case WXPAY_ERROR_SYSTEMERROR:
        case WXPAY_ERROR_BANKERROR:
        case WXPAY_ERROR_USERPAYING:
        case WXPAY_ERROR_BIZERR_NEED_RETRY:
        case WXPAY_ERROR_UNKNOWN_ERR_CODE:
          return TRUE;

        case WXPAY_ERROR_INVALID_ARGUMENT:
        case WXPAY_ERROR_CONFIG:
        case WXPAY_ERROR_CONNECT:
        case WXPAY_ERROR_CANCELLED:
        case WXPAY_ERROR_HTTP_CLIENT:
        case WXPAY_ERROR_RETURN_FAIL:
        case WXPAY_ERROR_MALFORMED_XML:
        case WXPAY_ERROR_INVALID_REQUEST:
        case WXPAY_ERROR_NOAUTH:
        case WXPAY_ERROR_NOTENOUGH:
        case WXPAY_ERROR_ORDERPAID:
        case WXPAY_ERROR_ORDERCLOSED:
        case WXPAY_ERROR_ORDERREVERSED:
        case WXPAY_ERROR_ORDERNOTEXIST:
        case WXPAY_ERROR_APPID_NOT_EXIST:
        case WXPAY_ERROR_MCHID_NOT_EXIST:
        case WXPAY_ERROR_APPID_MCHID_NOT_MATCH:
        case WXPAY_ERROR_LACK_PARAMS:
        case WXPAY_ERROR_OUT_TRADE_NO_USED:
        case WXPAY_ERROR_SIGNERROR:
        case WXPAY_ERROR_XML_FORMAT_ERROR:
        case WXPAY_ERROR_REQUIRE_POST_METHOD:
        case WXPAY_ERROR_POST_DATA_EMPTY:
        case WXPAY_ERROR_NOT_UTF8:
        case WXPAY_ERROR_TRADE_STATE_ERROR:
        case WXPAY_ERROR_TRADE_OVERDUE:
        case WXPAY_ERROR_ERROR:
        case WXPAY_ERROR_USER_ACCOUNT_ABNORMAL:
        case WXPAY_ERROR_INVALID_REQ_TOO_MUCH:
        case WXPAY_ERROR_INVALID_TRANSACTIONID:
        case WXPAY_ERROR_PARAM_ERROR:
        case WXPAY_ERROR_FREQUENCY_LIMITED:
        case WXPAY_ERROR_REFUNDNOTEXIST:
        case WXPAY_ERROR_AUTHCODEEXPIRE:
        case WXPAY_ERROR_AUTH_CODE_ERROR:
        case WXPAY_ERROR_AUTH_CODE_INVALID:
        case WXPAY_ERROR_NOTSUPORTCARD:
        case WXPAY_ERROR_BUYER_MISMATCH:
        case WXPAY_ERROR_TRADE_ERROR:
        case WXPAY_ERROR_REVERSE_EXPIRE:
        case WXPAY_ERROR_BILL_NOT_EXIST:
        case WXPAY_ERROR_BILL_CREATING:
        case WXPAY_ERROR_BILL_FAILED:
          return FALSE;

        default:
          /* A code from a newer libwxpay: assume the worst. */
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
