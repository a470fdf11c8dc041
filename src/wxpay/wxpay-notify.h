/* wxpay-notify.h: payment and refund notifications (reference §9, §10). */
#pragma once

#include <gio/gio.h>
#include "wxpay-params.h"

G_BEGIN_DECLS

/* Parses and verifies a payment notification: XML, return_code, signature (algorithm chosen by
 * the length of sign), appid and mch_id. The caller still checks out_trade_no and total_fee
 * against its own order, and result_code (a FAIL notification must still be acknowledged). Errors: WXPAY_ERROR_MALFORMED_XML, _RETURN_FAIL, _BAD_SIGNATURE,
 * _MISMATCH. */
WxpayParams *wxpay_notify_parse_payment (const char *body,
                                         gsize       length,
                                         const char *appid,
                                         const char *mch_id,
                                         const char *api_key,
                                         GError    **error);
/* Parses a refund notification and decrypts req_info (AES-256-ECB, key = MD5 hex of the API
 * key, PKCS#7); returns the fields of the decrypted <root>. A req_info that does not decrypt
 * (wrong key, bad padding, not a <root> document) is WXPAY_ERROR_BAD_SIGNATURE: there is no
 * sign, the decryption is the authentication. */
WxpayParams *wxpay_notify_parse_refund  (const char *body,
                                         gsize       length,
                                         const char *appid,
                                         const char *mch_id,
                                         const char *api_key,
                                         GError    **error);
/* One decode for either kind: a refund notification when it has a req_info or @refund_only,
 * else a payment notification; verified as the two functions above do. */
WxpayParams *wxpay_notify_parse         (const char *body,
                                         gsize       length,
                                         const char *appid,
                                         const char *mch_id,
                                         const char *api_key,
                                         gboolean    refund_only,
                                         gboolean   *out_is_refund,
                                         GError    **error);
/* The reply body: <xml><return_code>SUCCESS|FAIL</return_code><return_msg>…</return_msg></xml> */
GBytes      *wxpay_notify_reply         (gboolean    success,
                                         const char *message);
/* req_info encryption, the inverse of the above (for wxpay-sim): base64 of AES-256-ECB. */
char        *wxpay_refund_req_info_encrypt (const char *plaintext_xml,
                                            const char *api_key);
char        *wxpay_refund_req_info_decrypt (const char *req_info_b64,
                                            const char *api_key,
                                            GError    **error);

G_END_DECLS
