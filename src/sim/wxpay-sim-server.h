/* wxpay-sim-server.h: a faithful WeChat Pay v2 gateway simulator (in-process or wxpay-sim). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WXPAY_SIM_DEFAULT_APPID  "wxd930ea5d5a258f4f"
#define WXPAY_SIM_DEFAULT_MCH_ID "10000100"
#define WXPAY_SIM_DEFAULT_KEY    "192006250b4c09247ec02edce69f6a2d"

/* Connection limits (properties "header-timeout", "idle-timeout" in seconds, "max-connections";
 * 0 turns one off). */
#define WXPAY_SIM_DEFAULT_HEADER_TIMEOUT  10
#define WXPAY_SIM_DEFAULT_IDLE_TIMEOUT    60
#define WXPAY_SIM_DEFAULT_MAX_CONNECTIONS 512
/* At most one rewrite of the state file per this many milliseconds ("state-interval"). */
#define WXPAY_SIM_DEFAULT_STATE_INTERVAL  1000

#define WXPAY_TYPE_SIM_SERVER (wxpay_sim_server_get_type ())
G_DECLARE_FINAL_TYPE (WxpaySimServer, wxpay_sim_server, WXPAY, SIM_SERVER, GObject)

/*
 * Construct-only properties: "appid", "mch-id", "api-key", "seed" (guint64),
 * "time-scale" (double: notification schedule and clock speed; 1.0 real time),
 * "close-min-age" (guint seconds, default 300), "tls-certificate" (GTlsCertificate, nullable:
 * HTTPS), "client-ca" (GTlsDatabase, nullable: client certs required on /secapi/),
 * "state-file" (nullable path: persist orders across restarts), "header-timeout" (seconds a
 * request may take to arrive), "idle-timeout" (seconds a kept-alive connection may wait for its
 * next request), "max-connections" (new connections beyond it are closed at once),
 * "order-retention" (seconds on the simulator's clock a finished order is kept; 0, the default,
 * keeps every order), "state-interval" (ms between two rewrites of the state file at most).
 */
WxpaySimServer *wxpay_sim_server_new         (const char *appid,
                                              const char *mch_id,
                                              const char *api_key);
/* Listens on @address (e.g. "127.0.0.1") and @port (0 picks a free one). */
gboolean        wxpay_sim_server_listen      (WxpaySimServer *self,
                                              const char     *address,
                                              guint           port,
                                              GError        **error);
/* "http://127.0.0.1:PORT" (or https), no trailing slash; valid after listen. */
const char     *wxpay_sim_server_get_base_uri (WxpaySimServer *self);
void            wxpay_sim_server_shutdown    (WxpaySimServer *self);

/* The same operations as the control API, for in-process tests. */
gboolean        wxpay_sim_server_pay         (WxpaySimServer *self,
                                              const char     *out_trade_no,
                                              GError        **error);
/* POST /sim/orders/{out_trade_no}/userpaying and …/fail. */
gboolean        wxpay_sim_server_set_user_paying (WxpaySimServer *self,
                                                  const char     *out_trade_no,
                                                  GError        **error);
gboolean        wxpay_sim_server_fail        (WxpaySimServer *self,
                                              const char     *out_trade_no,
                                              GError        **error);
/* The simulator's now, µs since the epoch (UTC): real time × time-scale + advances. */
gint64          wxpay_sim_server_get_now     (WxpaySimServer *self);
/* POST /sim/clock/set?unix=SECONDS: align the sim's clock with a test's fake clock. */
void            wxpay_sim_server_set_now     (WxpaySimServer *self,
                                              gint64          now_us);
/* Sim clock: seconds added to the simulator's notion of now (expiry, close rule, bills). */
void            wxpay_sim_server_advance_clock (WxpaySimServer *self,
                                                gint64          seconds);
/* @faults_json as accepted by POST /sim/faults; NULL clears. */
gboolean        wxpay_sim_server_set_faults  (WxpaySimServer *self,
                                              const char     *faults_json,
                                              GError        **error);
/* Requests received for the gateway route @path (for in-process tests). */
guint           wxpay_sim_server_count_calls (WxpaySimServer *self,
                                              const char     *path);
/* The JSON of GET /sim/orders. */
char           *wxpay_sim_server_dup_orders_json (WxpaySimServer *self);

/* API v3 beside v2 (wxpay-sim-server-v3.c): keys loaded from or made in @dir (nullable). */
gboolean        wxpay_sim_server_setup_v3    (WxpaySimServer *self,
                                              const char     *dir,
                                              GError        **error);
const char     *wxpay_sim_server_get_v3_pub_key_id (WxpaySimServer *self);
/* Platform-certificate mode (--v3-platform-cert): a new RSA key with a certificate valid for
 * @lifetime_s seconds from now is served on /v3/certificates; with @sign_with_it every answer
 * and callback is signed with it from then on (a rotation; the older certificates stay served
 * and valid). The first call turns the mode on: pub_key.pem and pub_key_id.txt leave the
 * --v3-dir, as a merchant of that mode has none. */
gboolean        wxpay_sim_server_add_v3_platform_certificate (WxpaySimServer *self,
                                                              gint64          lifetime_s,
                                                              gboolean        sign_with_it,
                                                              GError        **error);
/* Serial of the certificate answers are signed with; NULL in public-key mode. */
const char     *wxpay_sim_server_get_v3_platform_serial (WxpaySimServer *self);

G_END_DECLS
