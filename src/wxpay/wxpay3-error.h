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

G_END_DECLS
