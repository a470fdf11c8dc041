/* wxpay-client.h: asynchronous WeChat Pay v2 API calls (reference §4–§8, §11, §13, §14). */
#pragma once

#include <gio/gio.h>
#include "wxpay-params.h"
#include "wxpay-sign.h"

G_BEGIN_DECLS

#define WXPAY_PRODUCTION_BASE_URI "https://api.mch.weixin.qq.com"
#define WXPAY_BACKUP_BASE_URI     "https://api2.mch.weixin.qq.com"

#define WXPAY_TYPE_CLIENT (wxpay_client_get_type ())
G_DECLARE_FINAL_TYPE (WxpayClient, wxpay_client, WXPAY, CLIENT, GObject)

/*
 * Properties: "base-uri" (string), "backup-base-uri" (string, nullable: tried once on a
 * *connect* error, never after the request may have been sent), "appid", "mch-id",
 * "api-key" (write-only; never logged, never readable), "sign-type" (WxpaySignType),
 * "tls-certificate" (GTlsCertificate, the merchant client certificate for /secapi/),
 * "tls-database" (GTlsDatabase, nullable: trust store override for tests),
 * "timeout" (guint seconds, default 10), "user-agent".
 *
 * Every call takes the business fields in @request (borrowed, not modified); the client adds
 * appid, mch_id, nonce_str, sign_type and sign. Every answer is checked in this order:
 * transport, HTTP status, XML, return_code, signature (with the request's algorithm),
 * appid/mch_id echo, result_code. On success _finish returns the verified answer's fields.
 * Each error is in WXPAY_ERROR (or G_IO_ERROR_CANCELLED) and wxpay_error_is_outcome_unknown()
 * tells whether WeChat may have acted.
 *
 * Cancellation: G_IO_ERROR_CANCELLED (known) only when nothing was written yet; once the request
 * headers went out, cancelling yields WXPAY_ERROR_CONNECTION_LOST (unknown), because WeChat may
 * process what it received. Failover to "backup-base-uri" happens once, only on
 * WXPAY_ERROR_CONNECT before anything was written, and reuses the same signed body (same nonce).
 * A TLS 1.3 server that rejects our client certificate after the handshake shows up as
 * WXPAY_ERROR_CONNECTION_LOST (unknown; resolve by querying).
 */

WxpayClient *wxpay_client_new                (const char *base_uri,
                                              const char *appid,
                                              const char *mch_id,
                                              const char *api_key);
const char  *wxpay_client_get_base_uri       (WxpayClient *self);
const char  *wxpay_client_get_appid          (WxpayClient *self);
const char  *wxpay_client_get_mch_id         (WxpayClient *self);
WxpaySignType wxpay_client_get_sign_type     (WxpayClient *self);
void         wxpay_client_set_api_key        (WxpayClient *self,
                                              const char  *api_key);
gboolean     wxpay_client_has_api_key        (WxpayClient *self);
/* For notification verification and decryption without exposing the key as a property. */
gboolean     wxpay_client_verify_params      (WxpayClient       *self,
                                              const WxpayParams *params,
                                              WxpaySignType     *out_type);
WxpayParams *wxpay_client_parse_payment_notification (WxpayClient *self,
                                                      const char  *body,
                                                      gsize        length,
                                                      GError     **error);
/* Either kind with one decode (wxpay_notify_parse()). */
WxpayParams *wxpay_client_parse_notification (WxpayClient *self,
                                              const char  *body,
                                              gsize        length,
                                              gboolean     refund_only,
                                              gboolean    *out_is_refund,
                                              GError     **error);
WxpayParams *wxpay_client_parse_refund_notification  (WxpayClient *self,
                                                      const char  *body,
                                                      gsize        length,
                                                      GError     **error);

/* Loads the merchant client certificate (with its key) for "tls-certificate": a PEM file holding
 * both, or a PKCS#12 file (apiclient_cert.p12; WeChat's default password is the mch_id).
 * Errors are WXPAY_ERROR_CONFIG and never contain key material. */
GTlsCertificate *wxpay_load_client_certificate     (const char *path,
                                                    const char *password,
                                                    GError    **error);
/* apiclient_cert.pem + apiclient_key.pem. */
GTlsCertificate *wxpay_load_client_certificate_pem (const char *cert_path,
                                                    const char *key_path,
                                                    GError    **error);

/* Generic call on @path ("/pay/orderquery"); the named calls below are thin wrappers. */
void         wxpay_client_call_async         (WxpayClient        *self,
                                              const char         *path,
                                              const WxpayParams  *request,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
WxpayParams *wxpay_client_call_finish        (WxpayClient  *self,
                                              GAsyncResult *result,
                                              GError      **error);

#define WXPAY_DECLARE_CALL(name)                                                   \
  void         wxpay_client_##name##_async  (WxpayClient        *self,             \
                                             const WxpayParams  *request,          \
                                             GCancellable       *cancellable,      \
                                             GAsyncReadyCallback callback,         \
                                             gpointer            user_data);       \
  WxpayParams *wxpay_client_##name##_finish (WxpayClient  *self,                   \
                                             GAsyncResult *result,                 \
                                             GError      **error);

WXPAY_DECLARE_CALL (unifiedorder) /* /pay/unifiedorder */
WXPAY_DECLARE_CALL (orderquery)   /* /pay/orderquery */
WXPAY_DECLARE_CALL (closeorder)   /* /pay/closeorder */
WXPAY_DECLARE_CALL (refund)       /* /secapi/pay/refund, needs "tls-certificate" */
WXPAY_DECLARE_CALL (refundquery)  /* /pay/refundquery */
WXPAY_DECLARE_CALL (micropay)     /* /pay/micropay */
WXPAY_DECLARE_CALL (reverse)      /* /secapi/pay/reverse, needs "tls-certificate" */

#undef WXPAY_DECLARE_CALL

/* /pay/downloadbill: @bill_date yyyyMMdd, @bill_type "ALL" | "SUCCESS" | "REFUND";
 * @gzip asks for tar_type=GZIP. Returns the bill text (gunzipped when needed). The error XML
 * maps to WXPAY_ERROR_BILL_NOT_EXIST ("No Bill Exist"), _BILL_CREATING or _BILL_FAILED. */
void         wxpay_client_downloadbill_async  (WxpayClient        *self,
                                               const char         *bill_date,
                                               const char         *bill_type,
                                               gboolean            gzip,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
GBytes      *wxpay_client_downloadbill_finish (WxpayClient  *self,
                                               GAsyncResult *result,
                                               GError      **error);

G_END_DECLS
