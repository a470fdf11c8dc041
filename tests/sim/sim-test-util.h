/* sim-test-util.h: helpers for the wxpay-sim integration tests. */
#pragma once

#include <libsoup/soup.h>

#include "wxpay/wxpay.h"
#include "sim/wxpay-sim-server.h"

G_BEGIN_DECLS

#define SIM_KEY    WXPAY_SIM_DEFAULT_KEY
#define SIM_APPID  WXPAY_SIM_DEFAULT_APPID
#define SIM_MCH_ID WXPAY_SIM_DEFAULT_MCH_ID

/* Spins the default main context until *@flag is TRUE or @timeout_ms passes. */
gboolean     sim_test_wait_flag    (gboolean *flag,
                                    guint     timeout_ms);
/* Spins for @ms milliseconds. */
void         sim_test_spin         (guint     ms);

/* An in-process simulator on 127.0.0.1, port 0. */
WxpaySimServer *sim_test_server_new (guint64 seed,
                                     double  time_scale);

/* Raw HTTP: @method on @uri with @body (nullable); returns the body (NULL on a transport error,
 * then *@out_error is set), *@out_status the HTTP status. Runs the default main context. */
GBytes      *sim_test_http         (SoupSession *session,
                                    const char  *method,
                                    const char  *uri,
                                    const char  *body,
                                    gssize       length,
                                    guint       *out_status,
                                    GError     **error);
/* Signs @business (adds appid, mch_id, nonce_str, sign_type for HMAC, sign) with @key, POSTs it
 * to @base + @path and decodes the answer XML. */
WxpayParams *sim_test_raw_call     (SoupSession       *session,
                                    const char        *base,
                                    const char        *path,
                                    const WxpayParams *business,
                                    WxpaySignType      sign_type,
                                    const char        *key,
                                    GError           **error);
/* A WxpayClient for the demo merchant on @base. */
WxpayClient *sim_test_client_new   (const char  *base);
WxpayParams *sim_test_client_call  (WxpayClient       *client,
                                    const char        *path,
                                    const WxpayParams *request,
                                    GError           **error);
GBytes      *sim_test_client_bill  (WxpayClient *client,
                                    const char  *bill_date,
                                    const char  *bill_type,
                                    gboolean     gzip,
                                    GError     **error);
/* The business fields of a valid NATIVE unifiedorder for @out_trade_no / @total_fee,
 * time_start = @now_us, time_expire 10 minutes later. */
WxpayParams *sim_test_native_order (const char *out_trade_no,
                                    gint64      total_fee,
                                    const char *notify_url,
                                    gint64      now_us);
/* yyyyMMdd (Beijing) of @now_us. */
char        *sim_test_bill_date    (gint64 now_us);
char        *sim_test_unique_no    (const char *prefix);

/* certtool-made CA, server (127.0.0.1) and client certificates, plus a self-signed rogue client
 * certificate, in @dir: ca.pem, server.pem, server.key, client.pem, client.key, rogue.pem,
 * rogue.key. FALSE (and a skip) when certtool is missing. */
gboolean     sim_test_make_certs   (const char *dir);

G_END_DECLS
