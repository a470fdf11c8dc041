/* wxpay-sim-private.h: helpers shared by the files of wxpay-sim (not for other modules). */
#pragma once

#include <gio/gio.h>

#include <libsoup/soup.h>

#include "wxpay/wxpay.h"
#include "wxpay-sim-server.h"

G_BEGIN_DECLS

/* --- JSON (wxpay-sim-json.c) -------------------------------------------------------------
 * Answers of the control API are written with GString; fault selections are parsed with
 * json-glib (wxpay-sim-faults.c). */

void wxpay_sim_json_append_string (GString    *out,
                                   const char *value);

/* --- Faults (wxpay-sim-faults.c) ---------------------------------------------------------- */

typedef struct {
  char   *path;                 /* NULL: every gateway path */
  guint   latency_ms;
  double  drop_before;
  double  drop_after;
  double  http_500;
  double  http_502;
  double  systemerror;
  double  bad_sign;
  double  dup_notify;
  double  wrong_amount_notify;
  double  corrupt_bill;         /* a v3 bill download whose content is not what was hashed */
  double  refund_abnormal;      /* a new v3 refund ends ABNORMAL (v2: CHANGE), not SUCCESS */
} WxpaySimFault;

/* What the rolls decided for one gateway request. */
typedef struct {
  guint    latency_ms;
  gboolean drop_before;
  guint    http_status;           /* 0, 500 or 502 */
  gboolean systemerror;
  gboolean drop_after;
  gboolean bad_sign;
  gboolean corrupt_bill;
  gboolean refund_abnormal;
} WxpaySimFaultDecision;

void       wxpay_sim_fault_free     (WxpaySimFault *fault);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WxpaySimFault, wxpay_sim_fault_free)
/* A JSON object or a list of them; NULL or "" clears (an empty array). */
GPtrArray *wxpay_sim_faults_parse   (const char *json,
                                     GError    **error);
char      *wxpay_sim_faults_to_json (GPtrArray *faults);
void       wxpay_sim_faults_decide  (GPtrArray             *faults,
                                     GRand                 *rand,
                                     const char            *path,
                                     WxpaySimFaultDecision *out);
/* Rolls the notification faults (they apply whatever "path" says). */
void       wxpay_sim_faults_decide_notify (GPtrArray *faults,
                                           GRand     *rand,
                                           gboolean  *out_duplicate,
                                           gboolean  *out_wrong_amount);

/* --- Bills (wxpay-sim-bill.c) ------------------------------------------------------------- */

typedef enum {
  WXPAY_SIM_BILL_PAYMENT,      /* a payment (交易状态 SUCCESS, or REVOKED when reversed) */
  WXPAY_SIM_BILL_REFUND,       /* a refund request (交易状态 REFUND) */
} WxpaySimBillKind;

typedef struct {
  WxpaySimBillKind kind;
  gint64      time;            /* µs UTC: payment time, or the refund request time */
  const char *appid;
  const char *mch_id;
  const char *device_info;
  const char *transaction_id;
  const char *out_trade_no;
  const char *openid;
  const char *trade_type;
  const char *trade_state;     /* SUCCESS / REFUND / REVOKED */
  gint64      total_fee;       /* fen */
  gint64      pay_time;        /* µs UTC: the payment time (refund rows too) */
  gint64      refund_success_time; /* µs UTC, 0 when not yet */
  const char *refund_id;
  const char *out_refund_no;
  gint64      refund_fee;      /* fen */
  const char *refund_status;   /* SUCCESS / PROCESSING */
  const char *body;
  const char *attach;
} WxpaySimBillRecord;

/* @bill_type "ALL", "SUCCESS" or "REFUND"; @records (WxpaySimBillRecord *) already filtered to
 * the bill day and sorted. The text of §11: header, backtick-prefixed rows, summary. */
GBytes *wxpay_sim_bill_format (const char *bill_type,
                               GPtrArray  *records);
GBytes *wxpay_sim_gzip        (GBytes     *data);

/* "yyyy-MM-dd HH:mm:ss" in Beijing time for @time_us (µs UTC). */
char   *wxpay_sim_format_beijing (gint64 time_us);
/* fen as yuan with two decimals ("0.01", "-3.20"), integer arithmetic only. */
char   *wxpay_sim_format_yuan    (gint64 fen);

/* --- Demo credentials (wxpay-sim-credentials.c) ------------------------------------------- */

typedef struct {
  char            *appid;
  char            *mch_id;
  char            *api_key;
  GTlsCertificate *server_certificate;
  GTlsDatabase    *client_ca;
} WxpaySimCredentials;

gboolean wxpay_sim_credentials_load  (const char          *dir,
                                      WxpaySimCredentials *out,
                                      GError             **error);
void     wxpay_sim_credentials_clear (WxpaySimCredentials *credentials);

/* --- API v3 keys (wxpay-sim-v3-credentials.c) ------------------------------------------- */

/* A platform certificate the simulator serves on /v3/certificates (--v3-platform-cert). */
typedef struct {
  char   *serial;
  char   *pem;
  gint64  not_before;              /* Unix seconds */
  gint64  not_after;
} WxpaySimPlatformCert;

typedef struct {
  Wxpay3Signer   *signer;          /* what answers and callbacks are signed with: the
                                    * "WeChat Pay public key" (serial = pub_key_id), or in
                                    * platform-certificate mode a certificate's key */
  Wxpay3Verifier *merchants;       /* merchant certificate serial → merchant public key */
  char           *merchant_serial;
  char           *pub_key_id;
  char           *apiv3_key;       /* 32 bytes */
  char           *dir;             /* nullable */
  GPtrArray      *platform_certs;  /* WxpaySimPlatformCert, oldest first; NULL: public-key
                                    * mode (/v3/certificates: RESOURCE_NOT_EXISTS) */
} WxpaySimV3Credentials;

gboolean wxpay_sim_v3_credentials_load  (const char            *dir,
                                         WxpaySimV3Credentials *out,
                                         GError               **error);
void     wxpay_sim_v3_credentials_clear (WxpaySimV3Credentials *credentials);
gboolean wxpay_sim_v3_credentials_set_public_key_files (WxpaySimV3Credentials *credentials,
                                                        gboolean               present,
                                                        GError               **error);
gboolean wxpay_sim_v3_credentials_add_platform_cert (WxpaySimV3Credentials *credentials,
                                                     gint64                 lifetime_s,
                                                     gboolean               sign_with_it,
                                                     GError               **error);

/* --- The server (WxpaySimServer, split over wxpay-sim-server*.c) --------------------------- */

#define USEC(seconds) ((gint64)(seconds) * G_USEC_PER_SEC)

/* code_url and prepay_id are valid for two hours (§4.4). */
#define CODE_URL_LIFETIME USEC (2 * 3600)
/* How long a simulated refund stays PROCESSING, and a micropay waits for the password. */
#define REFUND_PROCESSING_TIME USEC (5)
#define USERPAYING_TIME USEC (10)
#define MAX_REFUNDS_PER_ORDER 50
#define REFUNDQUERY_PAGE 10
/* Above ¥1000 a micropay needs the password (§13). */
#define MICROPAY_PASSWORD_ABOVE 100000
#define REVERSE_MAX_AGE USEC (7 * 24 * 3600)
#define SIM_OPENID "oSaomaSim0000000000000000001"

typedef enum {
  TRADE_NOTPAY,
  TRADE_USERPAYING,
  TRADE_SUCCESS,
  TRADE_REFUND,
  TRADE_CLOSED,
  TRADE_REVOKED,
  TRADE_PAYERROR,
} TradeState;

extern const guint        wxpay_sim_notify_intervals[15];
extern const char * const wxpay_sim_trade_state_names[7];
extern const char * const wxpay_sim_trade_state_descs[7];

typedef enum {
  PENDING_NONE,
  PENDING_SUCCESS,   /* USERPAYING, then paid */
  PENDING_FAILURE,   /* USERPAYING, then PAYERROR */
} PendingOutcome;

typedef struct {
  guint    attempts;
  gboolean acked;
} NotifyState;

typedef struct _SimOrder SimOrder;

typedef struct {
  SimOrder   *order;          /* unowned back pointer */
  char       *out_refund_no;
  char       *refund_id;
  char       *notify_url;
  gint64      refund_fee;
  gint64      created;
  gint64      done_at;        /* PROCESSING until then, SUCCESS after */
  gboolean    abnormal;       /* … or CHANGE (v3: ABNORMAL): the money did not reach the payer */
  NotifyState notify;
} SimRefund;

struct _SimOrder {
  char          *out_trade_no;
  char          *trade_type;
  char          *token;
  char          *prepay_id;
  char          *transaction_id;
  WxpayParams   *request;     /* the business fields of the creating request */
  WxpaySignType  sign_type;
  gint64         total_fee;
  gint64         created;
  gint64         expire;      /* 0: never */
  gint64         paid_at;
  gint64         closed_at;
  TradeState     state;
  PendingOutcome pending;
  gint64         pending_until;
  GPtrArray     *refunds;     /* SimRefund *, owned */
  NotifyState    notify;
};

typedef struct {
  char    *out_trade_no;
  char    *out_refund_no;     /* NULL: the payment notification */
  gint64   due;
  gboolean in_flight;
} Delivery;

struct _WxpaySimServer {
  GObject          parent_instance;

  char            *appid;
  char            *mch_id;
  char            *api_key;
  guint64          seed;
  double           time_scale;
  guint            close_min_age;
  GTlsCertificate *tls_certificate;
  GTlsDatabase    *client_ca;
  char            *state_file;

  SoupServer      *server;
  char            *base_uri;
  SoupSession     *session;
  GCancellable    *cancellable;
  GRand           *rand;
  GPtrArray       *faults;

  GHashTable      *orders;          /* out_trade_no → SimOrder (owned) */
  GPtrArray       *order_list;      /* creation order, unowned */
  GHashTable      *by_token;
  GHashTable      *by_transaction;
  GHashTable      *refunds;         /* out_refund_no → SimRefund (owned by the order) */
  GHashTable      *refunds_by_id;
  GHashTable      *auth_codes;      /* used micropay codes */
  GPtrArray       *deliveries;      /* Delivery * */
  GPtrArray       *paused;          /* Call * held for latency */

  gint64           real_base;
  gint64           mono_base;
  gint64           offset;
  guint64          counter;
  guint            timer_id;
  guint            save_id;
  guint            state_interval;  /* ms between two writes of the state file at most */
  gboolean         save_in_flight;
  gboolean         save_dirty;      /* changed while a write was in flight */
  guint64          generation;      /* of the last state text made (main thread) */
  GMutex           save_lock;       /* guards saved_generation and state_writes */
  guint64          saved_generation;
  guint64          state_writes;
  guint64          order_retention; /* µs a finished order is kept, 0: forever */
  guint            sweep_id;
  guint64          orders_expired;
  gboolean         shut_down;
  GHashTable      *calls;           /* gateway route path → requests received (tests) */

  /* wxpay-sim-server-connections.c */
  guint            header_timeout;  /* seconds, 0: none */
  guint            idle_timeout;    /* seconds, 0: none */
  guint            max_connections; /* 0: no cap */
  WxpayServerGuard *guard;          /* enforces them (and the body limit) on the server */

  /* wxpay-sim-server-v3.c: API v3, off until wxpay_sim_server_setup_v3() */
  gboolean              v3_enabled;
  WxpaySimV3Credentials v3;
  guint64               v3_signtest_sent;
  GHashTable           *v3_bills;       /* download token → V3Bill (5 minutes) */
};


typedef struct _Call Call;

/* One row of the routing table (wxpay-sim-server.c): a gateway path and the API that answers
 * it. /sim/ paths go to the control API as a whole. */
typedef struct {
  const char *path;
  GBytes   *(*api) (Call *call);
  gboolean    needs_certificate;  /* /secapi/: a client certificate issued by client-ca */
  gboolean    v3;                 /* every path under this prefix: API v3, answered in full
                                   * by wxpay_sim_v3_run() (the api is not called) */
} WxpaySimRoute;

/* One gateway request being handled. */
struct _Call {
  WxpaySimServer        *self;
  SoupServerMessage     *msg;
  const WxpaySimRoute   *route;
  const char            *content_type; /* of the answer; the API may change it */
  WxpaySimFaultDecision  fault;
  WxpayParams           *req;
  WxpaySignType          sign_type;
  gint64                 now;
  guint                  latency_id;
};

typedef enum {
  ACTION_PAY,
  ACTION_USERPAYING,
  ACTION_FAIL,
} OrderAction;

/* wxpay-sim-server-gateway.c */
void wxpay_sim_refund_free (SimRefund *refund);
void wxpay_sim_order_free (SimOrder *order);
void wxpay_sim_delivery_free (Delivery *delivery);
void wxpay_sim_call_free (Call *call);
gint64 wxpay_sim_now (WxpaySimServer *self);
const char *wxpay_sim_order_get (SimOrder   *order,
                                 const char *name);
char *wxpay_sim_format_compact (gint64 time_us);
char *wxpay_sim_format_iso (gint64 time_us);
char *wxpay_sim_random_alnum (guint length);
char *wxpay_sim_today_digits (gint64 now);
char *wxpay_sim_new_transaction_id (WxpaySimServer *self,
                                    gint64          now);
char *wxpay_sim_new_refund_id (WxpaySimServer *self,
                               gint64          now);
gboolean wxpay_sim_is_positive_int (const char *text,
                                    gint64     *out);
gboolean wxpay_sim_is_out_refund_no (const char *text);
gboolean wxpay_sim_is_empty (const char *value);
WxpayParams *wxpay_sim_business_fields (const WxpayParams *req);
gboolean wxpay_sim_same_business_fields (const WxpayParams *stored,
                                         const WxpayParams *req);
GBytes *wxpay_sim_fail_bytes (const char *return_msg);
GBytes *wxpay_sim_bill_error_bytes (const char *return_msg,
                                    const char *error_code);
WxpayParams *wxpay_sim_answer_new (Call       *call,
                                   const char *result_code);
WxpayParams *wxpay_sim_answer_error (Call       *call,
                                     const char *err_code,
                                     const char *err_code_des);
GBytes *wxpay_sim_finish_answer (Call        *call,
                                 WxpayParams *answer);
const char *wxpay_sim_check_required (const WxpayParams *req,
                                      const char * const *names);
WxpayParams *wxpay_sim_lack_params (Call       *call,
                                    const char *name);
GBytes *wxpay_sim_format_error (const char *name);
gboolean wxpay_sim_max_length_ok (const WxpayParams *req,
                                  const char        *name,
                                  gsize              max);
GBytes *wxpay_sim_check_times (Call      *call,
                               gboolean   micropay,
                               gboolean   reentry,
                               gint64    *out_expire,
                               WxpayParams **out_business_error);
void wxpay_sim_handle_gateway (WxpaySimServer      *self,
                               SoupServerMessage   *msg,
                               const WxpaySimRoute *route);

/* wxpay-sim-server-orders.c */
typedef enum {
  MAGIC_SUCCESS,
  MAGIC_USERPAYING_SUCCESS,
  MAGIC_USERPAYING_FAILURE,
  MAGIC_AUTHCODEEXPIRE,
  MAGIC_NOTENOUGH,
} MicropayMagic;

/* §13: 18 digits starting with 10–15; the last digit selects the simulated outcome. */
gboolean wxpay_sim_parse_auth_code (const char    *auth_code,
                                    MicropayMagic *out);
void wxpay_sim_micropay_settle (WxpaySimServer *self,
                                SimOrder       *order,
                                MicropayMagic   magic,
                                gint64          total_fee,
                                gint64          now);
/* A new order (@business owned), indexed and saved; v3 orders (answers signed per call). */
SimOrder *wxpay_sim_add_order (WxpaySimServer *self,
                               const char     *out_trade_no,
                               const char     *trade_type,
                               WxpayParams    *business,
                               gint64          total_fee,
                               gint64          now,
                               gint64          expire);
void wxpay_sim_start_payment_notification (WxpaySimServer *self,
                                           SimOrder       *order);
void wxpay_sim_mark_paid (WxpaySimServer *self,
                          SimOrder       *order,
                          gint64          when);
void wxpay_sim_order_refresh (WxpaySimServer *self,
                              SimOrder       *order,
                              gint64          now);
SimOrder *wxpay_sim_lookup_order (WxpaySimServer *self,
                                  const char     *transaction_id,
                                  const char     *out_trade_no,
                                  gint64          now);
gint64 wxpay_sim_order_refunded (SimOrder *order);
const char *wxpay_sim_refund_status (SimRefund *refund,
                                     gint64     now);
GBytes *wxpay_sim_api_unifiedorder (Call *call);
void wxpay_sim_add_payment_fields (WxpayParams *answer,
                                   SimOrder    *order,
                                   gint64       total_fee);
GBytes *wxpay_sim_api_orderquery (Call *call);
GBytes *wxpay_sim_api_closeorder (Call *call);
GBytes *wxpay_sim_api_micropay (Call *call);
GBytes *wxpay_sim_api_reverse (Call *call);

guint wxpay_sim_orders_expire (WxpaySimServer *self);

/* wxpay-sim-server-refunds.c */
void wxpay_sim_refund_notify_start (WxpaySimServer *self,
                                    SimRefund      *refund);
GBytes *wxpay_sim_api_refund (Call *call);
GBytes *wxpay_sim_api_refundquery (Call *call);

/* wxpay-sim-server-bills.c */
GBytes *wxpay_sim_api_downloadbill (Call *call);
GBytes *wxpay_sim_bill_for_day (WxpaySimServer *self,
                                const char     *bill_date,
                                const char     *bill_type,
                                const char     *device_info,
                                gint64          now);

/* wxpay-sim-server-notify.c */
void wxpay_sim_schedule_deliveries (WxpaySimServer *self);
void wxpay_sim_post_v3_notification (WxpaySimServer *self,
                                     const char     *url,
                                     GBytes         *body,
                                     const char     *signature_override,
                                     Delivery       *delivery,
                                     GTask          *probe);

/* wxpay-sim-server-v3.c */
gboolean wxpay_sim_order_is_v3 (SimOrder *order);
void wxpay_sim_v3_run (Call *call);
void wxpay_sim_v3_sign_headers (WxpaySimServer     *self,
                                SoupMessageHeaders *headers,
                                GBytes             *body,
                                gboolean            corrupt);
/* The encrypted TRANSACTION.SUCCESS / REFUND.SUCCESS callback body of @order (@refund NULL:
 * the payment). */
GBytes *wxpay_sim_v3_callback_body (WxpaySimServer *self,
                                    SimOrder       *order,
                                    SimRefund      *refund,
                                    gboolean        wrong_amount);
void wxpay_sim_v3_signtest (WxpaySimServer    *self,
                            SoupServerMessage *msg,
                            const char        *url);

/* wxpay-sim-server-state.c */
void wxpay_sim_save_state (WxpaySimServer *self);
void wxpay_sim_queue_save (WxpaySimServer *self);
void wxpay_sim_load_state (WxpaySimServer *self);

/* wxpay-sim-server-control.c */
GString *wxpay_sim_orders_json (WxpaySimServer *self);
gboolean wxpay_sim_apply_action (WxpaySimServer *self,
                                 SimOrder       *order,
                                 OrderAction     action,
                                 GError        **error);
gboolean wxpay_sim_apply_named_action (WxpaySimServer *self,
                                       const char     *out_trade_no,
                                       OrderAction     action,
                                       GError        **error);
void wxpay_sim_handle_control (WxpaySimServer    *self,
                               SoupServerMessage *msg,
                               const char        *path,
                               GHashTable        *query);

/* wxpay-sim-server-connections.c */
void wxpay_sim_connections_attach      (WxpaySimServer     *self);
void wxpay_sim_connections_append_json (WxpaySimServer     *self,
                                        GString            *json);

/* wxpay-sim-server-pay-page.c */
void wxpay_sim_handle_pay_page (WxpaySimServer    *self,
                                SoupServerMessage *msg,
                                const char        *token);

G_END_DECLS
