/* wxpay3-client.h: asynchronous WeChat Pay API v3 calls (docs/wxpay-v3.md §1, §2, §5). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "wxpay3-sign.h"

G_BEGIN_DECLS

#define WXPAY3_TYPE_CLIENT (wxpay3_client_get_type ())
G_DECLARE_FINAL_TYPE (Wxpay3Client, wxpay3_client, WXPAY3, CLIENT, GObject)

/*
 * Properties: "base-uri" (string), "backup-base-uri" (string, nullable: tried once on a
 * *connect* error, never after the request may have been sent), "appid", "timeout" (guint
 * seconds, default 10), "user-agent". The merchant's signer (mchid, serial, private key) and
 * the verifier of WeChat Pay's keys are given at construction and never exposed.
 *
 * Every answer, 2xx or not, is checked in this order: transport, Wechatpay-* signature over the
 * raw body with the key its Wechatpay-Serial names, within 300 s (an unverifiable answer is an
 * unknown outcome), HTTP status with the body's `code` (wxpay3_error_from_answer()), JSON. An
 * answer without any Wechatpay-* header and a 4xx status is not WeChat's (a proxy, a wrong
 * address): WXPAY_ERROR_HTTP_CLIENT, as in v2. The Request-ID of every answer is logged (debug)
 * with the method and path; keys, signatures and bodies never are.
 *
 * Transport and cancellation are those of WxpayClient: G_IO_ERROR_CANCELLED (known) only before
 * anything was written, WXPAY_ERROR_CONNECTION_LOST (unknown) after; one failover to
 * "backup-base-uri" on WXPAY_ERROR_CONNECT before anything was written, with the same signed
 * request. Errors are in WXPAY_ERROR; wxpay_error_is_outcome_unknown() reads them.
 */

Wxpay3Client *wxpay3_client_new (const char     *base_uri,
                                 const char     *appid,
                                 Wxpay3Signer   *signer,
                                 Wxpay3Verifier *verifier);
const char   *wxpay3_client_get_mchid (Wxpay3Client *self);
const char   *wxpay3_client_get_appid (Wxpay3Client *self);

/* Platform-certificate mode (§1.3): the certificates are downloaded from /v3/certificates,
 * opened with @apiv3_key, checked and added to the verifier; before the first call, every 12
 * hours, a day before the last one expires, and once more for an answer signed by an unknown
 * serial. A merchant without certificates (RESOURCE_NOT_EXISTS) gets WXPAY_ERROR_CONFIG. */
void     wxpay3_client_use_platform_certificates (Wxpay3Client *self,
                                                  const char   *apiv3_key,
                                                  gsize         apiv3_key_len);
gboolean wxpay3_client_get_uses_platform_certificates (Wxpay3Client *self);
void     wxpay3_client_set_certificate_timing (Wxpay3Client *self,
                                               gint64        margin_s,
                                               gint64        interval_s);
void     wxpay3_client_refresh_certificates_async (Wxpay3Client       *self,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
gboolean wxpay3_client_refresh_certificates_finish (Wxpay3Client *self,
                                                    GAsyncResult *result,
                                                    GError      **error);

/* Any call: @path_and_query as sent and signed (`/v3/…?mchid=…`), @body (nullable, borrowed)
 * serialised once. _finish returns the verified answer's JSON, %NULL without an error for an
 * empty 2xx answer (204); @out_status (nullable) the HTTP status. */
void      wxpay3_client_request_async (Wxpay3Client       *self,
                                       const char         *method,
                                       const char         *path_and_query,
                                       JsonNode           *body,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
JsonNode *wxpay3_client_request_finish (Wxpay3Client *self,
                                        GAsyncResult *result,
                                        guint        *out_status,
                                        GError      **error);

/* POST /v3/pay/transactions/native with @fields (description, out_trade_no, notify_url,
 * amount, …; borrowed); appid and mchid are added. _finish: the code_url. */
void  wxpay3_client_native_create_async (Wxpay3Client       *self,
                                         JsonObject         *fields,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
char *wxpay3_client_native_create_finish (Wxpay3Client *self,
                                          GAsyncResult *result,
                                          GError      **error);
/* Signs now what wxpay3_client_native_create_async() of the same @fields will send (its RSA
 * signature costs one to two milliseconds): called while the attempt is being written, so
 * that the create, once the attempt is durable, only sends. Nothing is sent. Used once; any
 * other request signs its own. */
void  wxpay3_client_native_create_prepare (Wxpay3Client *self,
                                           JsonObject   *fields);
/* The Transaction of @out_trade_no, or of @transaction_id when @out_trade_no is NULL. Its mchid,
 * appid (and out_trade_no when asked by it) must be ours: WXPAY_ERROR_MISMATCH otherwise. */
void        wxpay3_client_query_async (Wxpay3Client       *self,
                                       const char         *out_trade_no,
                                       const char         *transaction_id,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
JsonObject *wxpay3_client_query_finish (Wxpay3Client *self,
                                        GAsyncResult *result,
                                        GError      **error);
/* POST …/out-trade-no/{out_trade_no}/close: TRUE on 204. */
void     wxpay3_client_close_async (Wxpay3Client       *self,
                                    const char         *out_trade_no,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean wxpay3_client_close_finish (Wxpay3Client *self,
                                     GAsyncResult *result,
                                     GError      **error);
/* POST /v3/refund/domestic/refunds with @fields (borrowed); the Refund. */
void        wxpay3_client_refund_async (Wxpay3Client       *self,
                                        JsonObject         *fields,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
JsonObject *wxpay3_client_refund_finish (Wxpay3Client *self,
                                         GAsyncResult *result,
                                         GError      **error);
/* GET /v3/refund/domestic/refunds/{out_refund_no}; its out_refund_no must be the one asked. */
void        wxpay3_client_refund_query_async (Wxpay3Client       *self,
                                              const char         *out_refund_no,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
JsonObject *wxpay3_client_refund_query_finish (Wxpay3Client *self,
                                               GAsyncResult *result,
                                               GError      **error);

/* POST /v3/pay/transactions/codepay with @fields (borrowed; appid, mchid added): the paid
 * Transaction; 202 is WXPAY_ERROR_USERPAYING (unknown: query). */
void        wxpay3_client_codepay_async (Wxpay3Client       *self,
                                         JsonObject         *fields,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
JsonObject *wxpay3_client_codepay_finish (Wxpay3Client *self,
                                          GAsyncResult *result,
                                          GError      **error);
/* POST …/out-trade-no/{out_trade_no}/reverse: TRUE once reversed. */
void     wxpay3_client_reverse_async (Wxpay3Client       *self,
                                      const char         *out_trade_no,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean wxpay3_client_reverse_finish (Wxpay3Client *self,
                                       GAsyncResult *result,
                                       GError      **error);

/* The day's trade bill (@bill_date YYYY-MM-DD, @bill_type ALL/SUCCESS/REFUND, nullable: ALL;
 * @gzip asks for tar_type=GZIP): the signed tradebill answer, then the unsigned download,
 * gunzipped when asked, checked against its SHA1. */
void    wxpay3_client_tradebill_async (Wxpay3Client       *self,
                                       const char         *bill_date,
                                       const char         *bill_type,
                                       gboolean            gzip,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
GBytes *wxpay3_client_tradebill_finish (Wxpay3Client *self,
                                        GAsyncResult *result,
                                        GError      **error);

/*
 * A callback (§4): verifies the signature over the raw @body (a WECHATPAY/SIGNTEST/ probe fails
 * with WXPAY_ERROR_SIGNATURE_PROBE: answer it 4xx), then opens its AES-256-GCM resource with the
 * 32-byte APIv3 key. Returns the resource (Transaction or Refund); @out_event_type (nullable)
 * receives `event_type`.
 */
JsonObject *wxpay3_callback_open (Wxpay3Verifier *verifier,
                                  const char     *apiv3_key,
                                  gsize           apiv3_key_len,
                                  const char     *serial,
                                  const char     *signature,
                                  const char     *timestamp,
                                  const char     *nonce,
                                  GBytes         *body,
                                  gint64          now,
                                  char          **out_event_type,
                                  GError        **error);

G_END_DECLS
