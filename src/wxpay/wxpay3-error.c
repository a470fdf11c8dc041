/* wxpay3-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay3"

#include "config.h"

#include <string.h>

#include "wxpay3-error.h"

/* §1.4, with the spellings seen in the wild; v2 twins where the meaning is the same. */
static const struct
{
  const char *code;
  WxpayError  error;
} v3_codes[] = {
  { "PARAM_ERROR", WXPAY_ERROR_PARAM_ERROR },
  { "INVALID_REQUEST", WXPAY_ERROR_INVALID_REQUEST },
  { "APPID_MCHID_NOT_MATCH", WXPAY_ERROR_APPID_MCHID_NOT_MATCH },
  { "MCH_NOT_EXISTS", WXPAY_ERROR_MCHID_NOT_EXIST },
  { "ORDER_CLOSED", WXPAY_ERROR_ORDERCLOSED },
  { "SIGN_ERROR", WXPAY_ERROR_SIGNERROR },
  { "OUT_TRADE_NO_USED", WXPAY_ERROR_OUT_TRADE_NO_USED },
  { "NO_AUTH", WXPAY_ERROR_NOAUTH },
  { "RULE_LIMIT", WXPAY_ERROR_RULE_LIMIT },
  { "TRADE_ERROR", WXPAY_ERROR_TRADE_ERROR },
  { "NOT_ENOUGH", WXPAY_ERROR_NOTENOUGH },
  { "ORDER_NOT_EXIST", WXPAY_ERROR_ORDERNOTEXIST },
  { "ORDERNOTEXIST", WXPAY_ERROR_ORDERNOTEXIST },
  { "FREQUENCY_LIMITED", WXPAY_ERROR_RATE_LIMITED },
  { "SYSTEM_ERROR", WXPAY_ERROR_SYSTEMERROR },
  { "BANK_ERROR", WXPAY_ERROR_BANKERROR },
  { "USERPAYING", WXPAY_ERROR_USERPAYING },
  { "ORDERPAID", WXPAY_ERROR_ORDERPAID },
  { "ORDER_PAID", WXPAY_ERROR_ORDERPAID },
  { "TRADE_STATE_ERROR", WXPAY_ERROR_TRADE_STATE_ERROR },
  { "RESOURCE_NOT_EXISTS", WXPAY_ERROR_RESOURCE_NOT_EXISTS },
  { "NO_STATEMENT_EXIST", WXPAY_ERROR_BILL_NOT_EXIST },
  { "STATEMENT_CREATING", WXPAY_ERROR_BILL_CREATING },
  /* v2's payment-code codes (wxpay-v2.md §13), should v3 ever send them as such. */
  { "AUTHCODEEXPIRE", WXPAY_ERROR_AUTHCODEEXPIRE },
  { "AUTH_CODE_INVALID", WXPAY_ERROR_AUTH_CODE_INVALID },
  { "AUTH_CODE_ERROR", WXPAY_ERROR_AUTH_CODE_ERROR },
};

/**
 * wxpay3_error_from_answer:
 * @status: the HTTP status
 * @code: (nullable): the body's `code`
 *
 * Returns: the #WxpayError of that answer
 */
WxpayError
wxpay3_error_from_answer (guint       status,
                          const char *code)
{
  if (code != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (v3_codes); i++)
        {
          if (strcmp (v3_codes[i].code, code) == 0)
            return v3_codes[i].error;
        }
    }

  if (status == 429)
    return WXPAY_ERROR_RATE_LIMITED;
  if (status == 202)
    return WXPAY_ERROR_USERPAYING;
  if (status >= 500)
    return WXPAY_ERROR_HTTP_SERVER;

  return WXPAY_ERROR_UNKNOWN_ERR_CODE;
}

/**
 * wxpay3_error_from_answer_full:
 * @status: the HTTP status
 * @code: (nullable): the answer's `code`
 * @message: (nullable): the answer's `message`
 * @detail_field: (nullable): the answer's `detail.field` (a JSON pointer into our body)
 *
 * docs/wxpay-v3.md gives no code for a payment code that is expired, already used or not one:
 * §3 says nothing of it, and §1.4 lists only 400 PARAM_ERROR / INVALID_REQUEST "rejected: show
 * the message", with a `detail` beside the message. So the refusal is read from those: one that
 * points at `/payer/auth_code`, or whose message names the code (auth_code, 付款码, 二维码 as
 * WeChat calls it to payers), is about the payment code; "过期" in the message says expired.
 * Either is a known failure (nothing charged), as v2's AUTHCODEEXPIRE / AUTH_CODE_INVALID, so
 * the cashier is told the same thing: ask the customer to refresh the payment code.
 *
 * Returns: the #WxpayError for the answer
 */
WxpayError
wxpay3_error_from_answer_full (guint       status,
                               const char *code,
                               const char *message,
                               const char *detail_field)
{
  WxpayError error = wxpay3_error_from_answer (status, code);
  gboolean   about_code;

  if (status != 400 || (error != WXPAY_ERROR_PARAM_ERROR && error != WXPAY_ERROR_INVALID_REQUEST))
    return error;

  about_code = g_strcmp0 (detail_field, "/payer/auth_code") == 0 ||
               (message != NULL && (strstr (message, "auth_code") != NULL ||
                                    strstr (message, "付款码") != NULL ||
                                    strstr (message, "二维码") != NULL));
  if (!about_code)
    return error;
  if (message != NULL && strstr (message, "过期") != NULL)
    return WXPAY_ERROR_AUTHCODEEXPIRE;
  return WXPAY_ERROR_AUTH_CODE_INVALID;
}
