/* wxpay-sign.h: signatures (reference §2), nonces and order numbers. */
#pragma once

#include "wxpay-params.h"

G_BEGIN_DECLS

/* The nicks are the protocol's names (and the GSettings key "sign-type"'s). */
typedef enum {
  WXPAY_SIGN_TYPE_MD5,         /*< nick=MD5 >*/
  WXPAY_SIGN_TYPE_HMAC_SHA256, /*< nick=HMAC-SHA256 >*/
} WxpaySignType;

G_END_DECLS

#include "wxpay-enums.h"

G_BEGIN_DECLS

/* "MD5" / "HMAC-SHA256" */
const char *wxpay_sign_type_to_string   (WxpaySignType  type);
gboolean    wxpay_sign_type_from_string (const char    *str,
                                         WxpaySignType *out_type);

/* stringA of §2 (sorted, empty values and "sign" excluded), without "&key=". */
char       *wxpay_sign_string           (const WxpayParams *params);
/* Upper-case hex signature of @params (its "sign" is ignored) with the 32-byte API @key. */
char       *wxpay_sign                  (const WxpayParams *params,
                                         WxpaySignType      type,
                                         const char        *key);
/* Computes the signature and stores it as "sign" (sets "sign_type" for HMAC-SHA256 first). */
void        wxpay_params_sign           (WxpayParams  *params,
                                         WxpaySignType type,
                                         const char   *key);
/* Constant-time check of the "sign" field of @params with algorithm @type. */
gboolean    wxpay_verify                (const WxpayParams *params,
                                         WxpaySignType      type,
                                         const char        *key);
/* Picks the algorithm by the length of "sign" (32 → MD5, 64 → HMAC-SHA256), as notifications
 * need; @out_type (nullable) receives it. FALSE when absent, malformed or wrong. */
gboolean    wxpay_verify_auto           (const WxpayParams *params,
                                         const char        *key,
                                         WxpaySignType     *out_type);

/* 32 random alphanumerics from GnuTLS's RNG. */
char       *wxpay_nonce_new             (void);
/* An out_trade_no unique across restarts and tills: till id (sanitised, ≤ 8 chars) +
 * yyyyMMddHHmmss of @now in its own time zone (UTC when @now is NULL) + random; 6–32 chars of
 * [0-9A-Za-z_-|*]. */
char       *wxpay_out_trade_no_new      (const char *till_id,
                                         GDateTime  *now);
gboolean    wxpay_out_trade_no_is_valid (const char *out_trade_no);
/* The same shape for refunds (R prefix), 6–64 chars of [0-9A-Za-z_-|*@]. */
char       *wxpay_out_refund_no_new     (const char *till_id,
                                         GDateTime  *now);

/* Beijing-time (UTC+8) yyyyMMddHHmmss for @time (any zone), and back (to a UTC GDateTime). */
char       *wxpay_time_format           (GDateTime *time);
GDateTime  *wxpay_time_parse            (const char *text);

G_END_DECLS
