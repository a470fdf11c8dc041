/* saoma-gateway.h: what the engine asks of a payment gateway, in domain terms. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SAOMA_GATEWAY_ERROR (saoma_gateway_error_quark ())

/**
 * SaomaGatewayError:
 *
 * One domain for every gateway implementation. Known outcomes first (WeChat did not act, or
 * said exactly what it did), then the ones after which WeChat may have acted:
 * saoma_gateway_error_is_outcome_unknown() tells them apart. The message is English and
 * technical and starts with the protocol's own code ("ORDERNOTEXIST: …", "TIMEOUT: …") for
 * the audit log; saoma_gateway_error_dup_protocol_code() returns that code.
 */
typedef enum {
  /* Known: nothing was sent, or WeChat definitely did not act. */
  SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT,  /* request malformed (built locally or by WeChat's word) */
  SAOMA_GATEWAY_ERROR_CONFIG,            /* merchant settings incomplete (key, appid, mch_id) */
  SAOMA_GATEWAY_ERROR_NO_CERTIFICATE,    /* the call needs the merchant client certificate */
  SAOMA_GATEWAY_ERROR_CONNECT,           /* could not connect: not sent */
  SAOMA_GATEWAY_ERROR_CANCELLED,         /* cancelled before the request was sent */
  SAOMA_GATEWAY_ERROR_HTTP_CLIENT,       /* HTTP 4xx: wrong address or a proxy */
  SAOMA_GATEWAY_ERROR_REFUSED,           /* the protocol layer refused it (signature, key) */
  SAOMA_GATEWAY_ERROR_APPID_UNKNOWN,
  SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN,
  SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH,
  SAOMA_GATEWAY_ERROR_NOT_AUTHORIZED,    /* the merchant may not use this API */
  SAOMA_GATEWAY_ERROR_INVALID_NOTIFICATION, /* a received notification is not well formed */
  SAOMA_GATEWAY_ERROR_DUPLICATE_ORDER,   /* out_trade_no used with other parameters */
  SAOMA_GATEWAY_ERROR_NOT_ENOUGH,
  SAOMA_GATEWAY_ERROR_ORDER_PAID,
  SAOMA_GATEWAY_ERROR_ORDER_CLOSED,
  SAOMA_GATEWAY_ERROR_ORDER_REVERSED,
  SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST,
  SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST,
  SAOMA_GATEWAY_ERROR_RATE_LIMITED,
  SAOMA_GATEWAY_ERROR_ACCOUNT_ABNORMAL,  /* the payer's account cannot pay */
  SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED, /* micropay: the payment code expired */
  SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID, /* micropay: not a valid payment code */
  SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED,
  SAOMA_GATEWAY_ERROR_BUYER_MISMATCH,
  SAOMA_GATEWAY_ERROR_REVERSE_EXPIRED,
  SAOMA_GATEWAY_ERROR_TRADE_ERROR,       /* the payment itself failed (PAYERROR and the like) */
  SAOMA_GATEWAY_ERROR_REJECTED,          /* any other documented refusal */
  SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST,    /* no transaction that day */
  SAOMA_GATEWAY_ERROR_BILL_CREATING,     /* not made yet: retry later */
  SAOMA_GATEWAY_ERROR_BILL_FAILED,       /* the download failed */
  SAOMA_GATEWAY_ERROR_BILL_INVALID,      /* the bill does not parse or add up */
  SAOMA_GATEWAY_ERROR_NOT_SUPPORTED,     /* this gateway cannot do that call */
  /* Unknown: the request may have been processed. */
  SAOMA_GATEWAY_ERROR_TIMEOUT,
  SAOMA_GATEWAY_ERROR_CONNECTION_LOST,
  SAOMA_GATEWAY_ERROR_SERVER,            /* HTTP 5xx */
  SAOMA_GATEWAY_ERROR_BAD_ANSWER,        /* not a well-formed answer */
  SAOMA_GATEWAY_ERROR_BAD_SIGNATURE,
  SAOMA_GATEWAY_ERROR_MISMATCH,          /* answer for another merchant, order or amount */
  SAOMA_GATEWAY_ERROR_SYSTEM_ERROR,      /* WeChat's (or the bank's) system error */
  SAOMA_GATEWAY_ERROR_USER_PAYING,       /* still in progress */
  SAOMA_GATEWAY_ERROR_RETRY_SAME,        /* WeChat asks for the identical request again */
  SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER,    /* an undocumented error code */
} SaomaGatewayError;

#define SAOMA_GATEWAY_ERROR_LAST SAOMA_GATEWAY_ERROR_UNKNOWN_ANSWER

GQuark      saoma_gateway_error_quark              (void);
/* TRUE when WeChat may have acted on the request: resolve by querying. Also TRUE for the
 * G_IO_ERROR codes of a lost connection (timed out, closed, partial input). */
gboolean    saoma_gateway_error_is_outcome_unknown (const GError *error);
/* "ORDER_NOT_EXIST" … */
const char *saoma_gateway_error_code_to_string     (SaomaGatewayError code);
/* The protocol's code the message starts with ("ORDERNOTEXIST"), else the gateway code's
 * name, "CANCELLED" for G_IO_ERROR_CANCELLED, "ERROR" for anything else; "OK" for %NULL. */
char       *saoma_gateway_error_dup_protocol_code  (const GError *error);

/* The state of an order at the gateway. */
typedef enum {
  SAOMA_TRADE_STATE_UNKNOWN,     /* an answer we do not understand */
  SAOMA_TRADE_STATE_NOTPAY,
  SAOMA_TRADE_STATE_USERPAYING,
  SAOMA_TRADE_STATE_ACCEPT,      /* accepted, being processed */
  SAOMA_TRADE_STATE_SUCCESS,
  SAOMA_TRADE_STATE_REFUND,      /* paid, then (partly) refunded */
  SAOMA_TRADE_STATE_CLOSED,
  SAOMA_TRADE_STATE_REVOKED,
  SAOMA_TRADE_STATE_PAYERROR,
} SaomaTradeState;

/* "NOTPAY", "SUCCESS" … */
const char     *saoma_trade_state_to_string   (SaomaTradeState state);
SaomaTradeState saoma_trade_state_from_string (const char     *text);

/* The state of a refund at the gateway. */
typedef enum {
  SAOMA_GATEWAY_REFUND_UNKNOWN,
  SAOMA_GATEWAY_REFUND_PROCESSING,
  SAOMA_GATEWAY_REFUND_SUCCESS,
  SAOMA_GATEWAY_REFUND_CLOSED,   /* REFUNDCLOSE: never happened */
  SAOMA_GATEWAY_REFUND_CHANGE,   /* money went back to the merchant: manual handling */
} SaomaGatewayRefundState;

/* A Native (QR) order, in domain values. Times are µs since the epoch, UTC. */
typedef struct {
  char   *out_trade_no;
  gint64  amount;        /* fen */
  char   *description;
  char   *till_id;       /* nullable */
  gint64  time_start;
  gint64  time_expire;
  char   *notify_url;
  char   *product_id;
  char   *client_ip;
} SaomaNativeOrder;

/* What the gateway answers to a Native order. */
typedef struct {
  char *code_url;
  char *prepay_id;       /* nullable */
} SaomaNativeOrderResult;

/* A micropay (付款码) payment. */
typedef struct {
  char   *out_trade_no;
  gint64  amount;
  char   *description;
  char   *till_id;       /* nullable */
  char   *auth_code;
  char   *client_ip;
} SaomaCodePayment;

/* What a query tells about an order. */
typedef struct {
  char            *out_trade_no;   /* nullable: the answer may omit it */
  SaomaTradeState  state;
  char            *state_text;     /* the protocol's spelling, for the audit log */
  char            *state_desc;     /* nullable, the gateway's explanation */
  gint64           amount;         /* fen; -1 when absent or unreadable */
  gint64           payer_amount;   /* fen the payer paid; -1 when absent */
  char            *transaction_id; /* nullable */
  gint64           paid_at;        /* µs UTC; 0 when unknown */
} SaomaOrderStatus;

/* What a refund request or query tells about one refund. */
typedef struct {
  char                    *out_refund_no; /* nullable: the answer may omit it */
  char                    *refund_id;     /* nullable */
  SaomaGatewayRefundState  state;
  char                    *state_text;    /* nullable, the protocol's spelling */
  gint64                   amount;        /* refunded fen; -1 when absent or unreadable */
} SaomaRefundStatus;

/* A refund request. */
typedef struct {
  char   *out_trade_no;
  char   *out_refund_no;
  gint64  total;         /* the order's amount, fen */
  gint64  amount;        /* refunded now, fen */
  char   *reason;        /* nullable */
  char   *notify_url;    /* nullable */
} SaomaRefundRequest;

typedef enum {
  SAOMA_BILL_ROW_PAYMENT,
  SAOMA_BILL_ROW_REVOKED,
  SAOMA_BILL_ROW_REFUND,
} SaomaBillRowKind;

/* One line of the day's bill. */
typedef struct {
  SaomaBillRowKind         kind;
  gint64                   time;           /* µs UTC; 0 when unreadable */
  char                    *out_trade_no;
  char                    *transaction_id;
  char                    *trade_type;
  char                    *state_text;     /* the bill's state of the line (payment or refund) */
  gint64                   amount;         /* the order's amount, fen */
  char                    *out_refund_no;  /* refund lines */
  char                    *refund_id;
  gint64                   refund_amount;
  SaomaGatewayRefundState  refund_state;
} SaomaBillRow;

/* The day's bill: its lines and its summary (checked against the lines). */
typedef struct {
  GPtrArray *rows;             /* SaomaBillRow * */
  gint64     summary_count;
  gint64     summary_total;    /* fen */
  gint64     summary_refund_total;
} SaomaBill;

typedef enum {
  SAOMA_GATEWAY_EVENT_PAYMENT,
  SAOMA_GATEWAY_EVENT_REFUND,
} SaomaGatewayEventKind;

/* Where a notification arrived, for the gateway's classification. */
typedef enum {
  SAOMA_NOTIFICATION_ANY,      /* the payment path: payments, and refunds sent there too */
  SAOMA_NOTIFICATION_REFUND,   /* the refund path */
} SaomaNotificationPath;

/* A verified notification. */
typedef struct {
  SaomaGatewayEventKind    kind;
  char                    *out_trade_no;
  /* Payment */
  gboolean                 success;        /* the payment succeeded (result SUCCESS) */
  char                    *transaction_id; /* nullable */
  gint64                   amount;         /* fen; -1 when absent or unreadable */
  gint64                   paid_at;        /* µs UTC; 0 when unknown */
  /* Refund */
  char                    *out_refund_no;
  SaomaGatewayRefundState  refund_state;
} SaomaGatewayEvent;

#define SAOMA_TYPE_NATIVE_ORDER (saoma_native_order_get_type ())
#define SAOMA_TYPE_NATIVE_ORDER_RESULT (saoma_native_order_result_get_type ())
#define SAOMA_TYPE_ORDER_STATUS (saoma_order_status_get_type ())
#define SAOMA_TYPE_REFUND_STATUS (saoma_refund_status_get_type ())
#define SAOMA_TYPE_BILL (saoma_bill_get_type ())
#define SAOMA_TYPE_GATEWAY_EVENT (saoma_gateway_event_get_type ())

GType                   saoma_native_order_get_type         (void) G_GNUC_CONST;
SaomaNativeOrder       *saoma_native_order_copy             (const SaomaNativeOrder *order);
void                    saoma_native_order_free             (SaomaNativeOrder *order);
GType                   saoma_native_order_result_get_type  (void) G_GNUC_CONST;
SaomaNativeOrderResult *saoma_native_order_result_copy      (const SaomaNativeOrderResult *r);
void                    saoma_native_order_result_free      (SaomaNativeOrderResult *r);
GType                   saoma_order_status_get_type         (void) G_GNUC_CONST;
SaomaOrderStatus       *saoma_order_status_new              (void);
SaomaOrderStatus       *saoma_order_status_copy             (const SaomaOrderStatus *status);
void                    saoma_order_status_free             (SaomaOrderStatus *status);
GType                   saoma_refund_status_get_type        (void) G_GNUC_CONST;
SaomaRefundStatus      *saoma_refund_status_new             (void);
SaomaRefundStatus      *saoma_refund_status_copy            (const SaomaRefundStatus *status);
void                    saoma_refund_status_free            (SaomaRefundStatus *status);
void                    saoma_code_payment_free             (SaomaCodePayment *payment);
void                    saoma_refund_request_free           (SaomaRefundRequest *request);
SaomaBillRow           *saoma_bill_row_new                  (void);
void                    saoma_bill_row_free                 (SaomaBillRow *row);
GType                   saoma_bill_get_type                 (void) G_GNUC_CONST;
SaomaBill              *saoma_bill_new                      (void);
SaomaBill              *saoma_bill_ref                      (SaomaBill *bill);
void                    saoma_bill_unref                    (SaomaBill *bill);
GType                   saoma_gateway_event_get_type        (void) G_GNUC_CONST;
SaomaGatewayEvent      *saoma_gateway_event_new             (SaomaGatewayEventKind kind);
SaomaGatewayEvent      *saoma_gateway_event_copy            (const SaomaGatewayEvent *event);
void                    saoma_gateway_event_free            (SaomaGatewayEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaNativeOrder, saoma_native_order_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaNativeOrderResult, saoma_native_order_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaOrderStatus, saoma_order_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaRefundStatus, saoma_refund_status_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaCodePayment, saoma_code_payment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaRefundRequest, saoma_refund_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaBillRow, saoma_bill_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaBill, saoma_bill_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaGatewayEvent, saoma_gateway_event_free)

#define SAOMA_TYPE_GATEWAY (saoma_gateway_get_type ())
G_DECLARE_INTERFACE (SaomaGateway, saoma_gateway, SAOMA, GATEWAY, GObject)

/**
 * SaomaGatewayInterface:
 *
 * A payment gateway (WeChat Pay v2 today; v3 next). Every call completes on the caller's
 * thread-default main context; every error is in %SAOMA_GATEWAY_ERROR or G_IO_ERROR_CANCELLED
 * (nothing sent). Native orders go through an opaque *request token*: the gateway builds it
 * once from the domain values (saoma_gateway_build_native_request()), the engine stores it
 * with the attempt and hands it back on every retry, so that a retry — even after a restart —
 * repeats the request byte for byte.
 */
struct _SaomaGatewayInterface
{
  GTypeInterface parent_iface;

  const char *(*get_protocol)           (SaomaGateway *self);
  char       *(*dup_merchant)           (SaomaGateway *self);
  gboolean    (*has_certificate)        (SaomaGateway *self);
  /* Both default to WeChat Pay's numbers in the shop's wall time (v2 and v3 share them). */
  char       *(*new_out_trade_no)       (SaomaGateway *self,
                                         const char   *till_id,
                                         GDateTime    *now);
  char       *(*new_out_refund_no)      (SaomaGateway *self,
                                         const char   *till_id,
                                         GDateTime    *now);

  char       *(*build_native_request)   (SaomaGateway           *self,
                                         const SaomaNativeOrder *order,
                                         GError                **error);
  gboolean    (*check_native_request)   (SaomaGateway *self,
                                         const char   *token,
                                         const char   *out_trade_no,
                                         gint64        amount,
                                         GError      **error);
  char       *(*describe_native_request) (SaomaGateway *self,
                                          const char   *token);

  /* Every *_finish but reverse_finish may be left NULL when the matching *_async returns a
   * GTask of the gateway's own: its value (or boolean) is then the answer. */
  void        (*create_native_order_async) (SaomaGateway       *self,
                                            const char         *token,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
  SaomaNativeOrderResult *(*create_native_order_finish) (SaomaGateway *self,
                                                         GAsyncResult *result,
                                                         GError      **error);
  /* Optional: see saoma_gateway_prepare_native_order(). */
  void        (*prepare_native_order)   (SaomaGateway *self,
                                         const char   *token);
  void        (*pay_by_code_async)      (SaomaGateway           *self,
                                         const SaomaCodePayment *payment,
                                         GCancellable           *cancellable,
                                         GAsyncReadyCallback     callback,
                                         gpointer                user_data);
  SaomaOrderStatus *(*pay_by_code_finish) (SaomaGateway *self,
                                           GAsyncResult *result,
                                           GError      **error);
  void        (*reverse_async)          (SaomaGateway       *self,
                                         const char         *out_trade_no,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
  gboolean    (*reverse_finish)         (SaomaGateway *self,
                                         GAsyncResult *result,
                                         gboolean     *out_retry,
                                         GError      **error);
  void        (*query_order_async)      (SaomaGateway       *self,
                                         const char         *out_trade_no,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
  SaomaOrderStatus *(*query_order_finish) (SaomaGateway *self,
                                           GAsyncResult *result,
                                           GError      **error);
  void        (*close_order_async)      (SaomaGateway       *self,
                                         const char         *out_trade_no,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
  gboolean    (*close_order_finish)     (SaomaGateway *self,
                                         GAsyncResult *result,
                                         GError      **error);
  void        (*refund_async)           (SaomaGateway             *self,
                                         const SaomaRefundRequest *request,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data);
  SaomaRefundStatus *(*refund_finish)   (SaomaGateway *self,
                                         GAsyncResult *result,
                                         GError      **error);
  void        (*query_refund_async)     (SaomaGateway       *self,
                                         const char         *out_refund_no,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
  SaomaRefundStatus *(*query_refund_finish) (SaomaGateway *self,
                                             GAsyncResult *result,
                                             GError      **error);
  void        (*download_bill_async)    (SaomaGateway       *self,
                                         const GDate        *day,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
  SaomaBill  *(*download_bill_finish)   (SaomaGateway *self,
                                         GAsyncResult *result,
                                         GError      **error);

  /* @headers: the request's HTTP headers, %NULL when the caller has none (v3 then refuses:
   * its callbacks are signed in their headers). */
  SaomaGatewayEvent *(*parse_notification) (SaomaGateway          *self,
                                            SoupMessageHeaders    *headers,
                                            GBytes                *body,
                                            SaomaNotificationPath  path,
                                            SaomaGatewayEventKind *out_kind,
                                            GError               **error);
  GBytes     *(*notification_reply)     (SaomaGateway *self,
                                         gboolean      success,
                                         const char   *message);
  /* Optional: the HTTP status and content type of the reply; %NULL: 200 and XML (v2, where
   * the body decides). */
  guint       (*notification_reply_status) (SaomaGateway *self,
                                            gboolean      success,
                                            const char  **out_content_type);
};

/* For implementations: the text the payer sees (v2's body, v3's description). */
char       *saoma_gateway_cut_description    (const char   *description);

/* "v2" */
const char *saoma_gateway_get_protocol       (SaomaGateway *self);
/* "appid / mch_id" for display; never a key. */
char       *saoma_gateway_dup_merchant       (SaomaGateway *self);
/* TRUE when the merchant client certificate refunds (and reverse) need is loaded. */
gboolean    saoma_gateway_has_certificate    (SaomaGateway *self);

/* A new order / refund number unique across restarts and tills, in the protocol's alphabet. */
char       *saoma_gateway_new_out_trade_no   (SaomaGateway *self,
                                              const char   *till_id,
                                              GDateTime    *now);
char       *saoma_gateway_new_out_refund_no  (SaomaGateway *self,
                                              const char   *till_id,
                                              GDateTime    *now);

/* The request token for @order (see #SaomaGatewayInterface). */
char       *saoma_gateway_build_native_request (SaomaGateway           *self,
                                                const SaomaNativeOrder *order,
                                                GError                **error);
/* FALSE when @token is not readable or is for another order or amount. */
gboolean    saoma_gateway_check_native_request (SaomaGateway *self,
                                                const char   *token,
                                                const char   *out_trade_no,
                                                gint64        amount,
                                                GError      **error);
/* A short technical summary of @token for the audit log ("total_fee=100 time_expire=…"). */
char       *saoma_gateway_describe_native_request (SaomaGateway *self,
                                                   const char   *token);

void        saoma_gateway_create_native_order_async  (SaomaGateway       *self,
                                                      const char         *token,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
SaomaNativeOrderResult *saoma_gateway_create_native_order_finish (SaomaGateway *self,
                                                                  GAsyncResult *result,
                                                                  GError      **error);
void        saoma_gateway_prepare_native_order (SaomaGateway *self,
                                                const char   *token);
void        saoma_gateway_pay_by_code_async  (SaomaGateway           *self,
                                              const SaomaCodePayment *payment,
                                              GCancellable           *cancellable,
                                              GAsyncReadyCallback     callback,
                                              gpointer                user_data);
SaomaOrderStatus *saoma_gateway_pay_by_code_finish (SaomaGateway *self,
                                                    GAsyncResult *result,
                                                    GError      **error);
/* Reverse (撤销) an order; on success *@out_retry says whether to call it again (recall). */
void        saoma_gateway_reverse_async      (SaomaGateway       *self,
                                              const char         *out_trade_no,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
gboolean    saoma_gateway_reverse_finish     (SaomaGateway *self,
                                              GAsyncResult *result,
                                              gboolean     *out_retry,
                                              GError      **error);
void        saoma_gateway_query_order_async  (SaomaGateway       *self,
                                              const char         *out_trade_no,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
SaomaOrderStatus *saoma_gateway_query_order_finish (SaomaGateway *self,
                                                    GAsyncResult *result,
                                                    GError      **error);
void        saoma_gateway_close_order_async  (SaomaGateway       *self,
                                              const char         *out_trade_no,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
gboolean    saoma_gateway_close_order_finish (SaomaGateway *self,
                                              GAsyncResult *result,
                                              GError      **error);
/* The refund is accepted (PROCESSING) when this succeeds; the answer's out_refund_no and
 * amount are returned for the caller to check against its request. */
void        saoma_gateway_refund_async       (SaomaGateway             *self,
                                              const SaomaRefundRequest *request,
                                              GCancellable             *cancellable,
                                              GAsyncReadyCallback       callback,
                                              gpointer                  user_data);
SaomaRefundStatus *saoma_gateway_refund_finish (SaomaGateway *self,
                                                GAsyncResult *result,
                                                GError      **error);
/* The status of @out_refund_no; %SAOMA_GATEWAY_ERROR_BAD_ANSWER when the answer lists other
 * refunds only. */
void        saoma_gateway_query_refund_async (SaomaGateway       *self,
                                              const char         *out_refund_no,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
SaomaRefundStatus *saoma_gateway_query_refund_finish (SaomaGateway *self,
                                                      GAsyncResult *result,
                                                      GError      **error);
/* The day's (Beijing) bill of every transaction; %SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST when
 * there was none, _BILL_CREATING before it is made, _BILL_INVALID when it does not add up. */
void        saoma_gateway_download_bill_async (SaomaGateway       *self,
                                               const GDate        *day,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
SaomaBill  *saoma_gateway_download_bill_finish (SaomaGateway *self,
                                                GAsyncResult *result,
                                                GError      **error);
/* Decodes @body once, tells a payment from a refund notification, and verifies it fully
 * (signature or decryption, merchant ids). *@out_kind (optional) is the kind even when the
 * verification fails (PAYMENT for what cannot be decoded), so that the reply goes to the right
 * handler. Errors never contain the key or the body. */
SaomaGatewayEvent *saoma_gateway_parse_notification (SaomaGateway          *self,
                                                     GBytes                *body,
                                                     SaomaNotificationPath  path,
                                                     SaomaGatewayEventKind *out_kind,
                                                     GError               **error);
/* saoma_gateway_parse_notification() for a notification received over HTTP: @headers
 * (nullable) are the request's, which v3 verifies the body with (Wechatpay-Serial,
 * -Signature, -Timestamp, -Nonce). The listener calls this one. */
SaomaGatewayEvent *saoma_gateway_parse_http_notification (SaomaGateway          *self,
                                                          SoupMessageHeaders    *headers,
                                                          GBytes                *body,
                                                          SaomaNotificationPath  path,
                                                          SaomaGatewayEventKind *out_kind,
                                                          GError               **error);
/* The body to answer a notification with. */
GBytes     *saoma_gateway_notification_reply (SaomaGateway *self,
                                              gboolean      success,
                                              const char   *message);
/* The HTTP status to answer a notification with (v2: 200 whatever the outcome, the body
 * says it; v3: 204 on success, 400 otherwise, so that WeChat retries) and the body's
 * content type in *@out_content_type (optional, static). */
guint       saoma_gateway_notification_reply_status (SaomaGateway *self,
                                                     gboolean      success,
                                                     const char  **out_content_type);

G_END_DECLS
