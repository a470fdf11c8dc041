/* saoma-attempt.h: one payment attempt as stored in the ledger (an immutable snapshot). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The ledger's own state enum (DESIGN.md, "The payment contract"); stored as its nick text. */
typedef enum {
  SAOMA_ATTEMPT_CREATED,
  SAOMA_ATTEMPT_SUBMITTED,
  SAOMA_ATTEMPT_WAITING,
  SAOMA_ATTEMPT_UNKNOWN,
  SAOMA_ATTEMPT_CLOSING,
  SAOMA_ATTEMPT_PAID,
  SAOMA_ATTEMPT_CLOSED,
  SAOMA_ATTEMPT_FAILED,
  SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
  SAOMA_ATTEMPT_REFUNDED,
} SaomaAttemptState;

#define SAOMA_ATTEMPT_STATE_LAST SAOMA_ATTEMPT_REFUNDED

/* How the payer pays; stored as its nick text in the attempts' "method" column. */
typedef enum {
  SAOMA_PAYMENT_METHOD_NATIVE,    /* the till shows a QR code the payer scans (扫码支付) */
  SAOMA_PAYMENT_METHOD_MICROPAY,  /* the till scans the payer's payment code (付款码) */
} SaomaPaymentMethod;

#define SAOMA_PAYMENT_METHOD_LAST SAOMA_PAYMENT_METHOD_MICROPAY

/* "NATIVE", "MICROPAY" and back; FALSE for an unknown name. */
const char *saoma_payment_method_to_string   (SaomaPaymentMethod  method);
gboolean    saoma_payment_method_from_string (const char         *str,
                                              SaomaPaymentMethod *out_method);

G_END_DECLS

#include "saoma-ledger-enums.h"

G_BEGIN_DECLS

/* "CREATED", "PAID" … and back; FALSE for an unknown name. */
const char *saoma_attempt_state_to_string   (SaomaAttemptState state);
gboolean    saoma_attempt_state_from_string (const char        *str,
                                             SaomaAttemptState *out_state);
/* PAID, CLOSED, FAILED, PARTIALLY_REFUNDED, REFUNDED */
gboolean    saoma_attempt_state_is_final    (SaomaAttemptState state);

#define SAOMA_TYPE_ATTEMPT (saoma_attempt_get_type ())
G_DECLARE_FINAL_TYPE (SaomaAttempt, saoma_attempt, SAOMA, ATTEMPT, GObject)

/*
 * Read-only properties mirroring the row: "id" (gint64 rowid), "out-trade-no", "amount"
 * (gint64 fen), "description", "till-id", "created" / "updated" / "expires" (gint64 µs since
 * the epoch, UTC), "state" (SaomaAttemptState), "transaction-id", "code-url",
 * "refunded" (gint64 fen), "paid-at" (gint64 µs, 0 when unknown), "late" (gboolean: paid
 * after the cashier gave up), "request" (the engine's exact gateway request for this attempt as
 * an opaque text the ledger stores and returns unchanged; NULL for attempts written before
 * it was recorded), "method" (SaomaPaymentMethod; NATIVE unless set before insert).
 */
SaomaAttempt      *saoma_attempt_new                (const char *out_trade_no,
                                                     gint64      amount,
                                                     const char *description,
                                                     const char *till_id,
                                                     gint64      created,
                                                     gint64      expires);
gint64             saoma_attempt_get_id             (SaomaAttempt *self);
const char        *saoma_attempt_get_out_trade_no   (SaomaAttempt *self);
gint64             saoma_attempt_get_amount         (SaomaAttempt *self);
const char        *saoma_attempt_get_description    (SaomaAttempt *self);
const char        *saoma_attempt_get_till_id        (SaomaAttempt *self);
gint64             saoma_attempt_get_created        (SaomaAttempt *self);
gint64             saoma_attempt_get_updated        (SaomaAttempt *self);
gint64             saoma_attempt_get_expires        (SaomaAttempt *self);
SaomaAttemptState  saoma_attempt_get_state          (SaomaAttempt *self);
const char        *saoma_attempt_get_transaction_id (SaomaAttempt *self);
const char        *saoma_attempt_get_code_url       (SaomaAttempt *self);
gint64             saoma_attempt_get_refunded       (SaomaAttempt *self);
gint64             saoma_attempt_get_paid_at        (SaomaAttempt *self);
gboolean           saoma_attempt_get_late           (SaomaAttempt *self);
const char        *saoma_attempt_get_request        (SaomaAttempt *self);
/* Only on an attempt not yet inserted nor shared (a snapshot is otherwise immutable). */
void               saoma_attempt_set_request        (SaomaAttempt *self,
                                                     const char   *request);
SaomaPaymentMethod saoma_attempt_get_method         (SaomaAttempt *self);
/* Only on an attempt not yet inserted nor shared, like saoma_attempt_set_request(). */
void               saoma_attempt_set_method         (SaomaAttempt       *self,
                                                     SaomaPaymentMethod  method);
/* The lease (DESIGN.md, "Ownership"): who drives the attempt and when it last said so. */
const char        *saoma_attempt_get_owner          (SaomaAttempt *self);
gint64             saoma_attempt_get_heartbeat      (SaomaAttempt *self);
/* Only on an attempt not yet inserted nor shared, like saoma_attempt_set_request(). */
void               saoma_attempt_set_owner          (SaomaAttempt *self,
                                                     const char   *owner,
                                                     gint64        heartbeat);
/* On the snapshot emitted with "attempt-changed": the snapshot from just before the change
 * (NULL elsewhere). Lets observers such as SaomaLedgerModel know whether it matched before. */
SaomaAttempt      *saoma_attempt_get_previous       (SaomaAttempt *self);

/* A stand-in for a row not loaded yet (SaomaLedgerModel hands these out and replaces them
 * through items-changed): id 0, empty out_trade_no, amount 0. */
SaomaAttempt      *saoma_attempt_new_placeholder    (void);
gboolean           saoma_attempt_is_placeholder     (SaomaAttempt *self);

/* Used by the ledger when materialising rows (not for general use). */
SaomaAttempt      *saoma_attempt_new_full           (gint64             id,
                                                     const char        *out_trade_no,
                                                     gint64             amount,
                                                     const char        *description,
                                                     const char        *till_id,
                                                     gint64             created,
                                                     gint64             updated,
                                                     gint64             expires,
                                                     SaomaAttemptState  state,
                                                     const char        *transaction_id,
                                                     const char        *code_url,
                                                     gint64             refunded,
                                                     gint64             paid_at,
                                                     gboolean           late);

G_END_DECLS
