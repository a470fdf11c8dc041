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
