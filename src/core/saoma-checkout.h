/* saoma-checkout.h: one till's payment engine: the state machine of DESIGN.md. */
#pragma once

#include <gio/gio.h>
#include "ledger/saoma-store.h"
#include "saoma-clock.h"
#include "saoma-core-enums.h"
#include "saoma-gateway.h"

G_BEGIN_DECLS

/* The current attempt's durable state. NONE: no attempt, or its first write is still in
 * flight. The others mirror SaomaAttemptState. The views show SaomaCheckoutPhase instead. */
typedef enum {
  SAOMA_CHECKOUT_NONE,
  SAOMA_CHECKOUT_CREATED,
  SAOMA_CHECKOUT_SUBMITTED,
  SAOMA_CHECKOUT_WAITING,
  SAOMA_CHECKOUT_UNKNOWN,
  SAOMA_CHECKOUT_CLOSING,
  SAOMA_CHECKOUT_PAID,
  SAOMA_CHECKOUT_CLOSED,
  SAOMA_CHECKOUT_FAILED,
} SaomaCheckoutState;

/* Why the attempt is CLOSING/CLOSED (for the views' wording). */
typedef enum {
  SAOMA_CLOSE_REASON_NONE,
  SAOMA_CLOSE_REASON_EXPIRED,
  SAOMA_CLOSE_REASON_CANCELLED,
  /* Left unfinished by the last run (quit or crash) and resumed by recovery, which watches and
   * closes it: nobody gave it up. An attempt already CLOSING on record keeps its reason. */
  SAOMA_CLOSE_REASON_INTERRUPTED,
} SaomaCloseReason;

/*
 * What the views show, decided in one place (saoma_checkout_phase_for()) so the cashier window
 * and the customer display cannot disagree. The result phases (PAID … FAILED) stay until the
 * next reset() or charge(); the active ones (PREPARING … CHECKING) are exactly the "busy" ones.
 */
typedef enum {
  SAOMA_CHECKOUT_PHASE_IDLE,              /* no attempt */
  SAOMA_CHECKOUT_PHASE_PREPARING,         /* charge pressed: written, asking for a QR */
  SAOMA_CHECKOUT_PHASE_SHOW_QR,           /* the QR is up (code-url) */
  SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD, /* micropay USERPAYING (never in Native; reserved) */
  SAOMA_CHECKOUT_PHASE_CHECKING,          /* outcome unknown, being resolved by queries */
  SAOMA_CHECKOUT_PHASE_PAID,
  SAOMA_CHECKOUT_PHASE_PAID_LATE,         /* paid after the cashier gave up */
  SAOMA_CHECKOUT_PHASE_EXPIRED,           /* given up by the clock (QR hidden) */
  SAOMA_CHECKOUT_PHASE_CANCELLED,         /* given up by the cashier (QR hidden) */
  SAOMA_CHECKOUT_PHASE_FAILED,            /* WeChat provably has no order; nothing taken */
  SAOMA_CHECKOUT_PHASE_TAKEN_OVER,        /* another till drives it now; this one stopped */
} SaomaCheckoutPhase;

#define SAOMA_CHECKOUT_ERROR (saoma_checkout_error_quark ())

/* Errors of the engine itself (gateway errors stay in SAOMA_GATEWAY_ERROR, disk ones in
 * SAOMA_LEDGER_ERROR). */
typedef enum {
  SAOMA_CHECKOUT_ERROR_BUSY,            /* charge() while an attempt is active */
  SAOMA_CHECKOUT_ERROR_INVALID_AMOUNT,  /* ≤ 0 or over the configured maximum */
  SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER,   /* a notification for an out_trade_no we do not drive */
  SAOMA_CHECKOUT_ERROR_AMOUNT_MISMATCH, /* total_fee differs from the attempt's amount */
  SAOMA_CHECKOUT_ERROR_INVALID,         /* a notification/answer missing required fields */
  SAOMA_CHECKOUT_ERROR_NEVER_SENT,      /* FAILED: WeChat provably never created the order */
  SAOMA_CHECKOUT_ERROR_CANCELLED,       /* FAILED: cancelled before anything was sent */
  SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE, /* charge_code(): not a WeChat payment code */
  SAOMA_CHECKOUT_ERROR_ALIPAY_CODE,     /* charge_code(): an Alipay code (not supported) */
  SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE,  /* charge_code(): reverse needs the client certificate */
  SAOMA_CHECKOUT_ERROR_TAKEN_OVER,      /* another engine drives the attempt now (its lease
                                         * lapsed while this process was stopped) */
} SaomaCheckoutError;

GQuark saoma_checkout_error_quark (void);

/* "NONE", "CREATED" … "FAILED" */
const char *saoma_checkout_state_to_string (SaomaCheckoutState state);

/* The one rule from the engine's facts to what the views show: @state is the durable one
 * (NONE before the first write), @busy as the property, @late the attempt's late flag,
 * @code_url_verified: WeChat's verified answer gave the code_url (saoma_native_shows_qr()),
 * which shows the QR before WAITING is durable. */
SaomaCheckoutPhase saoma_checkout_phase_for       (SaomaCheckoutState state,
                                                   gboolean           busy,
                                                   SaomaCloseReason   close_reason,
                                                   gboolean           late,
                                                   gboolean           code_url_verified);
/* The same for a micropay attempt: USERPAYING (WAITING) is AWAITING_PASSWORD; REVOKED
 * (CLOSED) took nothing: FAILED, or CANCELLED when the cashier cancelled. */
SaomaCheckoutPhase saoma_checkout_phase_for_code  (SaomaCheckoutState state,
                                                   gboolean           busy,
                                                   gboolean           cancelled);
/* PREPARING, SHOW_QR, AWAITING_PASSWORD, CHECKING: a sale is under way (the cashier may
 * cancel it, not start another). */
gboolean           saoma_checkout_phase_is_active (SaomaCheckoutPhase phase);
/* PAID … FAILED: a result the views keep on screen until the next sale. */
gboolean           saoma_checkout_phase_is_result (SaomaCheckoutPhase phase);

#define SAOMA_TYPE_CHECKOUT_CONFIG (saoma_checkout_config_get_type ())

/* Engine settings, copied at construction; times in seconds / milliseconds. */
typedef struct {
  char   *till_id;          /* "T01" */
  char   *notify_url;       /* sent as notify_url (required by WeChat even if unreachable) */
  char   *spbill_create_ip; /* "127.0.0.1" by default */
  char   *product_id;       /* NATIVE product_id, default "SAOMA" */
  guint   validity_s;       /* QR / time_expire validity, default 300 (minimum for NATIVE) */
  guint   poll_interval_ms; /* while the QR is shown, default 2000 */
  guint   slow_poll_interval_ms; /* while CLOSING / UNKNOWN, default 10000 */
  guint   close_delay_s;    /* closeorder not before creation + this, default 300 */
  guint   retry_interval_ms;/* unifiedorder re-entry after an unknown outcome, default 2000 */
  gint64  max_amount;       /* fen, default SAOMA_MONEY_DEFAULT_MAX_FEN */
  /* Micropay (付款码, wxpay-v2.md §13.1); 0 for the documented values. */
  guint   micropay_poll_ms;       /* orderquery while open, default 5000 */
  guint   micropay_give_up_s;     /* reverse what is open this long after creation, default 45 */
  gboolean micropay_demo;         /* a loopback simulator: micropay without a certificate */
} SaomaCheckoutConfig;

GType                saoma_checkout_config_get_type (void) G_GNUC_CONST;
SaomaCheckoutConfig *saoma_checkout_config_new      (void);   /* with defaults */
SaomaCheckoutConfig *saoma_checkout_config_copy     (const SaomaCheckoutConfig *config);
void                 saoma_checkout_config_free     (SaomaCheckoutConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaCheckoutConfig, saoma_checkout_config_free)

#define SAOMA_TYPE_CHECKOUT (saoma_checkout_get_type ())
G_DECLARE_FINAL_TYPE (SaomaCheckout, saoma_checkout, SAOMA, CHECKOUT, GObject)

/*
 * Properties (read-only, notified on change, always on the main context):
 *   "phase" (SaomaCheckoutPhase: what the views show; they bind to it and derive nothing from
 *   "state" + "busy"), "state" (SaomaCheckoutState), "amount" (gint64 fen of the current
 *   attempt, 0 idle), "description", "out-trade-no", "code-url" (NULL when the QR must not be
 *   shown: hidden at once on expiry/cancel), "seconds-left" (int, countdown to time_expire, -1
 *   idle), "validity" (int seconds), "transaction-id", "close-reason" (SaomaCloseReason),
 *   "error" (GError boxed, the last error; NULL when none), "busy" (TRUE from charge() until
 *   the attempt is final or given up: after cancel()/expiry the attempt is CLOSING and
 *   watched in the background, and a new charge() may start).
 * Signals:
 *   "late-payment" (SaomaAttempt *attempt): an attempt the cashier gave up on got paid
 *   (detailed: "late-payment::given-up"), or one the last run left unfinished, paid after
 *   recovery began closing it ("late-payment::resumed"; SAOMA_CLOSE_REASON_INTERRUPTED). Both
 *   are late payments in the ledger, waiting for a decision; only the wording differs.
 *   "paid" (SaomaAttempt *attempt): the current attempt is PAID (not emitted for a late
 *   payment, which has "late-payment" instead).
 *   "attempt-finished" (SaomaAttempt *attempt): any attempt this engine drives reached a
 *   final state (current, resumed or background).
 *   "code-url-answered" (const char *out_trade_no, const char *code_url): the current
 *   attempt's unifiedorder answered SUCCESS (verified), before WAITING is durable. For a
 *   headless caller that only prints it (saoma-cli --charge): the attempt and SUBMITTED are
 *   on record and the order was sent, so a crash now is resolved by querying, and the write
 *   of WAITING need not delay the line. The views bind to "code-url" and "phase", which
 *   change at the same moment (the verified answer; WAITING's write is queued then).
 *
 * One attempt is current at a time. Cancelled / expired attempts keep being watched in the
 * background until closeorder + final query say CLOSED (or PAID: late payment).
 */
SaomaCheckout *saoma_checkout_new           (SaomaGateway              *gateway,
                                             SaomaStore                *store,
                                             SaomaClock                *clock,
                                             const SaomaCheckoutConfig *config);
SaomaGateway  *saoma_checkout_get_gateway   (SaomaCheckout *self);
SaomaStore    *saoma_checkout_get_store     (SaomaCheckout *self);
SaomaClock    *saoma_checkout_get_clock     (SaomaCheckout *self);
SaomaCheckoutState saoma_checkout_get_state (SaomaCheckout *self);
SaomaCheckoutPhase saoma_checkout_get_phase (SaomaCheckout *self);
/* The current attempt's last durable snapshot (NULL when idle or not yet written). */
SaomaAttempt  *saoma_checkout_get_attempt   (SaomaCheckout *self);
gint64         saoma_checkout_get_amount    (SaomaCheckout *self);
const char    *saoma_checkout_get_description (SaomaCheckout *self);
const char    *saoma_checkout_get_out_trade_no (SaomaCheckout *self);
const char    *saoma_checkout_get_code_url  (SaomaCheckout *self);
int            saoma_checkout_get_seconds_left (SaomaCheckout *self);
const char    *saoma_checkout_get_transaction_id (SaomaCheckout *self);
SaomaCloseReason saoma_checkout_get_close_reason (SaomaCheckout *self);
const GError  *saoma_checkout_get_error     (SaomaCheckout *self);
gboolean       saoma_checkout_get_busy      (SaomaCheckout *self);
/* Requests, ledger writes and inserts in flight across all attempts (0 when the engine only
 * waits on timers): lets tests and the headless commands wait for quiescence. */
guint          saoma_checkout_get_pending_operations (SaomaCheckout *self);
/* Replaces the gateway (new credentials from Preferences); in-flight attempts keep theirs. */
void           saoma_checkout_set_gateway   (SaomaCheckout *self,
                                             SaomaGateway  *gateway);

/* Starts a new attempt: FALSE (and nothing created) when one is active (busy) or @amount is
 * out of range. The attempt is durably written before any request is sent. */
gboolean       saoma_checkout_charge        (SaomaCheckout *self,
                                             gint64         amount,
                                             const char    *description,
                                             GError       **error);
/* Starts a micropay attempt for the payer's payment code @auth_code (as scanned): refused
 * with %SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE, _ALIPAY_CODE, _NO_CERTIFICATE (the gateway
 * cannot reverse, and this is not a demo), _BUSY or _INVALID_AMOUNT, nothing created. The
 * attempt (method MICROPAY, a new out_trade_no) is durably written before the one pay call;
 * "phase" is AWAITING_PASSWORD while the payer enters the password; it ends PAID, FAILED or
 * REVOKED (state CLOSED), never open. */
gboolean       saoma_checkout_charge_code   (SaomaCheckout *self,
                                             gint64         amount,
                                             const char    *description,
                                             const char    *auth_code,
                                             GError       **error);
/* Cashier gave up: hide the QR at once, keep watching (CLOSING). A micropay attempt is
 * reversed (not before 15 s after its pay call). */
void           saoma_checkout_cancel        (SaomaCheckout *self);
/* Forget a final attempt: back to NONE (the views go idle). No-op while busy. */
void           saoma_checkout_reset         (SaomaCheckout *self);
/* Query now (the "query now" action), for the current or any non-final attempt. */
void           saoma_checkout_query_now     (SaomaCheckout *self,
                                             const char    *out_trade_no);
/* Resume every non-final attempt in the ledger (recovery); completes when all are final or
 * @cancellable fires. Returns the number resumed through _finish. Each is queried first:
 * paid → PAID; unpaid → CLOSING, closeorder after the close delay, final query → CLOSED;
 * ORDERNOTEXIST before time_expire → unifiedorder re-entered with identical parameters (the
 * order then exists and is closed); ORDERNOTEXIST after time_expire → FAILED. */
void           saoma_checkout_recover_async  (SaomaCheckout      *self,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
guint          saoma_checkout_recover_finish (SaomaCheckout *self,
                                              GAsyncResult  *result,
                                              GError       **error);
/* Applies a verified payment notification (from the listener): idempotent, confirmed by a
 * query. Returns FALSE with an error when out_trade_no is unknown or the amount differs. */
gboolean       saoma_checkout_apply_notification (SaomaCheckout           *self,
                                                  const SaomaGatewayEvent *event,
                                                  GError                 **error);

/* How the current attempt is paid: MICROPAY after charge_code() (the views word "preparing"
 * and a failure for a scanned code), NATIVE otherwise, also when idle. */
SaomaPaymentMethod saoma_checkout_get_method (SaomaCheckout *self);

G_END_DECLS
