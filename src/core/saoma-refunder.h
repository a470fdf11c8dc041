/* saoma-refunder.h: refunds as their own state machine (DESIGN.md, payment contract rule 9). */
#pragma once

#include <gio/gio.h>
#include "ledger/saoma-store.h"
#include "saoma-clock.h"
#include "saoma-gateway.h"
#include "saoma-pin-guard.h"

G_BEGIN_DECLS

#define SAOMA_REFUNDER_ERROR (saoma_refunder_error_quark ())

/**
 * SaomaRefunderError:
 *
 * Local refusals (nothing written) first, then WeChat's answers. Messages are complete,
 * translatable sentences a manager can read. A wrong or missing PIN is reported in
 * SAOMA_PIN_ERROR instead.
 */
typedef enum {
  SAOMA_REFUNDER_ERROR_NOT_FOUND,       /* no such out_trade_no in the ledger */
  SAOMA_REFUNDER_ERROR_NOT_REFUNDABLE,  /* attempt not PAID / PARTIALLY_REFUNDED */
  SAOMA_REFUNDER_ERROR_INVALID_AMOUNT,  /* amount ≤ 0 */
  SAOMA_REFUNDER_ERROR_OVER_REFUND,     /* more than what is left to refund */
  SAOMA_REFUNDER_ERROR_TOO_MANY,        /* the order already has 50 refunds */
  SAOMA_REFUNDER_ERROR_NO_CERTIFICATE,  /* the gateway lacks the merchant client certificate */
  SAOMA_REFUNDER_ERROR_NOTENOUGH,       /* WeChat: not enough refundable balance */
  SAOMA_REFUNDER_ERROR_REJECTED,        /* WeChat refused the refund (message has err_code) */
  SAOMA_REFUNDER_ERROR_CLOSED,          /* WeChat: REFUNDCLOSE */
  SAOMA_REFUNDER_ERROR_CHANGE,          /* WeChat: CHANGE (money back to the merchant; manual) */
  SAOMA_REFUNDER_ERROR_FAILED,          /* the ledger could not record the refund */
  SAOMA_REFUNDER_ERROR_TAKEN_OVER,      /* another engine drives the refund (it took over
                                         * this one's lapsed lease, or held it already) */
} SaomaRefunderError;

GQuark saoma_refunder_error_quark (void);

/* WeChat's limit of refunds per order (reference §7). */
#define SAOMA_REFUNDER_MAX_REFUNDS 50

#define SAOMA_TYPE_REFUNDER (saoma_refunder_get_type ())
G_DECLARE_FINAL_TYPE (SaomaRefunder, saoma_refunder, SAOMA, REFUNDER, GObject)

/*
 * Each refund is a ledger row with its own out_refund_no, written (CREATED) before the first
 * request. Then /secapi/pay/refund: accepted → PROCESSING; a known rejection → FAILED; an
 * unknown outcome → UNKNOWN and the *same* request (same out_refund_no, same amounts) is sent
 * again after "retry-interval". A PROCESSING refund is followed with refundquery every
 * "query-interval" until SUCCESS, REFUNDCLOSE or CHANGE; only SUCCESS makes the ledger count the
 * money as refunded (PARTIALLY_REFUNDED / REFUNDED).
 *
 * Properties: "gateway", "store", "clock" (construct-only except "gateway"), "till-id",
 * "pin-guard" (write-only: what checks the manager PIN), "retry-interval" and
 * "query-interval" (guint ms, defaults 5000 and 10000), "notify-url" (nullable: sent as the
 * refund request's notify_url, §7/§10).
 * Signals: "refund-updated" (SaomaLedgerRefund *row): after every durable state change of a
 * refund this object drives.
 */
SaomaRefunder *saoma_refunder_new                (SaomaGateway *gateway,
                                                  SaomaStore   *store,
                                                  SaomaClock   *clock,
                                                  const char   *till_id);
SaomaGateway  *saoma_refunder_get_gateway        (SaomaRefunder *self);
SaomaStore    *saoma_refunder_get_store          (SaomaRefunder *self);
void           saoma_refunder_set_notify_url     (SaomaRefunder *self,
                                                  const char    *notify_url);
/* New credentials or certificate; refunds already in flight keep their gateway. */
void           saoma_refunder_set_gateway        (SaomaRefunder *self,
                                                  SaomaGateway  *gateway);
/* NULL: no PIN can be checked, every refund is refused with SAOMA_PIN_ERROR_NOT_SET. */
void           saoma_refunder_set_pin_guard      (SaomaRefunder *self,
                                                  SaomaPinGuard *pin_guard);
void           saoma_refunder_set_retry_interval (SaomaRefunder *self,
                                                  guint          interval_ms);
void           saoma_refunder_set_query_interval (SaomaRefunder *self,
                                                  guint          interval_ms);
/* Number of refunds being driven right now. */
guint          saoma_refunder_get_n_active       (SaomaRefunder *self);

/* Refunds @amount fen of @out_trade_no (@reason: at most 80 characters are kept) after
 * checking @pin with "pin-guard" (off the main thread, with its delays and lockout), the
 * attempt's state, the amount left to refund, the 50-refund limit and the client
 * certificate; none of these failures writes anything. Completes when WeChat says SUCCESS
 * (the final row is returned), or with an error: rejected, REFUNDCLOSE, CHANGE, or
 * @cancellable (the refund itself keeps being followed in the background). */
void               saoma_refunder_refund_async  (SaomaRefunder      *self,
                                                 const char         *out_trade_no,
                                                 gint64              amount,
                                                 const char         *reason,
                                                 const char         *pin,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
SaomaLedgerRefund *saoma_refunder_refund_finish (SaomaRefunder *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);

/* Recovery on start: every refund in the ledger that is not final (CREATED, UNKNOWN,
 * PROCESSING) is driven again — CREATED/UNKNOWN resent with the same out_refund_no and
 * amounts, PROCESSING queried. Completes with the number resumed once all of them are final
 * (or @cancellable fires; they keep running). */
void           saoma_refunder_resume_async  (SaomaRefunder      *self,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
guint          saoma_refunder_resume_finish (SaomaRefunder *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* A hint that @out_refund_no changed (a refund notification, §10, after it was decrypted and
 * its appid/mch_id checked): query it now instead of at the next scheduled time. Like payment
 * notifications, it is never trusted by itself — only refundquery moves the state. Returns
 * FALSE when this object is not driving that refund. */
gboolean       saoma_refunder_hint          (SaomaRefunder *self,
                                             const char    *out_refund_no);

/* Waits for a refund this object is driving (or resumes it from the ledger) to be final:
 * same completion rules as saoma_refunder_refund_async(). */
void               saoma_refunder_follow_async  (SaomaRefunder      *self,
                                                 const char         *out_refund_no,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
SaomaLedgerRefund *saoma_refunder_follow_finish (SaomaRefunder *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);

G_END_DECLS
