/* wxpay3-error.h: the API v3 error answers (§1.4) read into the one WXPAY_ERROR domain.
 *
 * v3 codes that mean what a v2 err_code means map to it (PARAM_ERROR, ORDER_NOT_EXIST →
 * ORDERNOTEXIST, SYSTEM_ERROR → SYSTEMERROR …), so wxpay_error_is_outcome_unknown() and the
 * engine's gateway tables answer for both protocols. The few with no v2 twin have their own
 * codes; 429 FREQUENCY_LIMITED is WXPAY_ERROR_RATE_LIMITED because v3 leaves it unknown. */
#pragma once

#include <glib.h>

#include "wxpay-error.h"

G_BEGIN_DECLS

/* The code of a non-2xx answer with @status and body `code` (nullable); HTTP 202 USERPAYING
 * too. An undocumented code is WXPAY_ERROR_HTTP_SERVER for 5xx, WXPAY_ERROR_UNKNOWN_ERR_CODE
 * otherwise (unknown outcome, as v2's undocumented err_code). */
WxpayError wxpay3_error_from_answer (guint       status,
                                     const char *code);

/* As wxpay3_error_from_answer(), reading also the answer's `message` and `detail.field`
 * (both nullable) for what docs/wxpay-v3.md gives no code of its own: a codepay refused for
 * its payment code (expired, already used, not one) is WXPAY_ERROR_AUTHCODEEXPIRE or
 * WXPAY_ERROR_AUTH_CODE_INVALID, as in v2. */
WxpayError wxpay3_error_from_answer_full (guint       status,
                                          const char *code,
                                          const char *message,
                                          const char *detail_field);

G_END_DECLS
