/* saoma-ledger.h: durable storage of attempts, refunds and the audit log (SQLite, WAL). */
#pragma once

#include <gio/gio.h>
#include "saoma-attempt.h"

G_BEGIN_DECLS

#define SAOMA_LEDGER_ERROR (saoma_ledger_error_quark ())

typedef enum {
  SAOMA_LEDGER_ERROR_FAILED,        /* SQLite error (message has sqlite3_errmsg) */
  SAOMA_LEDGER_ERROR_EXISTS,        /* out_trade_no / out_refund_no already present */
  SAOMA_LEDGER_ERROR_NOT_FOUND,
  SAOMA_LEDGER_ERROR_INVALID,       /* bad argument (amount ≤ 0, refund over the paid amount …) */
  SAOMA_LEDGER_ERROR_TOO_NEW,       /* user_version newer than this build knows */
  SAOMA_LEDGER_ERROR_NOT_OWNER,     /* a fenced update by an engine that no longer holds the
                                     * row's lease (DESIGN.md, "Ownership"): nothing written */
} SaomaLedgerError;

GQuark saoma_ledger_error_quark (void);

typedef enum {
  SAOMA_REFUND_CREATED,     /* written, not yet sent */
  SAOMA_REFUND_UNKNOWN,     /* sent, outcome unknown */
  SAOMA_REFUND_PROCESSING,  /* accepted by WeChat */
  SAOMA_REFUND_SUCCESS,
  SAOMA_REFUND_REFUNDCLOSE,
  SAOMA_REFUND_CHANGE,
  SAOMA_REFUND_FAILED,      /* rejected, never processed */
} SaomaRefundState;

const char *saoma_refund_state_to_string   (SaomaRefundState state);
gboolean    saoma_refund_state_from_string (const char       *str,
                                            SaomaRefundState *out_state);
gboolean    saoma_refund_state_is_final    (SaomaRefundState state);

/* A refund row (plain struct, owned by the caller; free with saoma_ledger_refund_free). */
typedef struct {
  gint64            id;
  char             *out_refund_no;
  char             *out_trade_no;
  gint64            amount;      /* fen */
  char             *reason;
  SaomaRefundState  state;
  char             *refund_id;   /* WeChat's, nullable */
  gint64            created;     /* µs UTC */
  gint64            updated;
  gint64            succeeded;   /* µs UTC, 0 until SUCCESS */
} SaomaLedgerRefund;

void saoma_ledger_refund_free (SaomaLedgerRefund *refund);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaLedgerRefund, saoma_ledger_refund_free)

/* The owner lease (DESIGN.md, "Ownership"): each unfinished attempt and refund records the
 * engine that drives it and when that engine last said so. The store keeps and compares the
 * owner text; what it means (a process, alive or not) is the engine's business. */
typedef enum {
  SAOMA_LEASE_ATTEMPT,   /* key: out_trade_no */
  SAOMA_LEASE_REFUND,    /* key: out_refund_no */
} SaomaLeaseKind;

typedef enum {
  SAOMA_LEASE_CLAIM,     /* take over: compare-and-set on the owner and heartbeat read */
  SAOMA_LEASE_RENEW,     /* the owner's heartbeat */
  SAOMA_LEASE_RELEASE,   /* the owner lets go */
} SaomaLeaseChange;

/* One row's lease (plain struct, owned by the caller). */
typedef struct {
  SaomaLeaseKind  kind;
  char           *key;
  char           *owner;       /* nullable: nobody holds it */
  gint64          heartbeat;   /* µs UTC, the store's clock; 0 when never */
} SaomaLedgerLease;

SaomaLedgerLease *saoma_ledger_lease_new  (SaomaLeaseKind  kind,
                                           const char     *key,
                                           const char     *owner,
                                           gint64          heartbeat);
void              saoma_ledger_lease_free (SaomaLedgerLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaLedgerLease, saoma_ledger_lease_free)

/* An audit event (plain struct). Never holds a secret. */
typedef struct {
  gint64  id;
  gint64  time;          /* µs UTC */
  char   *out_trade_no;  /* nullable for till-wide events */
  char   *kind;          /* "request", "response", "transition", "notification", "note" … */
  char   *detail;        /* short English text, e.g. "unifiedorder → SUCCESS" */
} SaomaLedgerEvent;

void saoma_ledger_event_free (SaomaLedgerEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaLedgerEvent, saoma_ledger_event_free)

/* A change to one attempt, applied atomically with one event (SaomaAttemptUpdate fields left
 * at their zero value are not changed). */
typedef struct {
  SaomaAttemptState  state;
  const char        *transaction_id;  /* nullable: unchanged */
  const char        *code_url;        /* nullable: unchanged */
  gint64             paid_at;         /* 0: unchanged */
  gboolean           late;            /* TRUE sets the flag */
  const char        *event_kind;      /* nullable: no event */
  const char        *event_detail;
  const char        *owner;           /* nullable: no fence; else applied only while this
                                       * owner holds the row's lease (SAOMA_LEDGER_ERROR_NOT_OWNER) */
} SaomaAttemptUpdate;

#define SAOMA_TYPE_LEDGER (saoma_ledger_get_type ())
G_DECLARE_FINAL_TYPE (SaomaLedger, saoma_ledger, SAOMA, LEDGER, GObject)

/*
 * SaomaLedger is the SQLite implementation of SaomaStore (saoma-store.h); the functions below
 * are its own API, which the store interface forwards to.
 * Signals (SaomaStore's; always emitted on the thread-default main context of the thread that
 * opened the ledger, after the write is durable):
 *   "attempt-added"   (SaomaAttempt *attempt)
 *   "attempt-changed" (SaomaAttempt *attempt)   new snapshot
 *   "refund-changed"  (const char *out_refund_no)
 * All writes run on one worker thread in submission order; reads for the model use a second
 * connection. _sync variants are for the headless commands, tests and benchmarks only.
 */

/* Opens (creating and migrating) the ledger file at @path. */
void         saoma_ledger_open_async   (const char         *path,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SaomaLedger *saoma_ledger_open_finish  (GAsyncResult *result,
                                        GError      **error);
SaomaLedger *saoma_ledger_open_sync    (const char   *path,
                                        GCancellable *cancellable,
                                        GError      **error);
const char  *saoma_ledger_get_path     (SaomaLedger *self);
/* $XDG_DATA_HOME/saoma/ledger.db */
char        *saoma_ledger_default_path (void);

/* Inserts a CREATED attempt (synchronous=FULL) with a "transition" event, and its request
 * text (saoma_attempt_set_request()) stored as it is. Fails with SAOMA_LEDGER_ERROR_EXISTS
 * when the out_trade_no is already there. */
void          saoma_ledger_insert_attempt_async  (SaomaLedger        *self,
                                                  SaomaAttempt       *attempt,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
SaomaAttempt *saoma_ledger_insert_attempt_finish (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
/* Inserts @attempt and applies @then to it in the same transaction (one durable write); when
 * @then is refused, the insert alone is committed and the snapshot shows it as inserted. */
void          saoma_ledger_insert_attempt_then_async  (SaomaLedger              *self,
                                                       SaomaAttempt             *attempt,
                                                       const SaomaAttemptUpdate *then,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
SaomaAttempt *saoma_ledger_insert_attempt_then_finish (SaomaLedger  *self,
                                                       GAsyncResult *result,
                                                       GError      **error);
/* Applies @update to the attempt and appends its event in one transaction; returns the new
 * snapshot. A change of state that the flow's table (saoma-flow.h) does not list is refused
 * with SAOMA_LEDGER_ERROR_INVALID and nothing is written. */
void          saoma_ledger_update_attempt_async  (SaomaLedger              *self,
                                                  const char               *out_trade_no,
                                                  const SaomaAttemptUpdate *update,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
SaomaAttempt *saoma_ledger_update_attempt_finish (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
void          saoma_ledger_append_event_async    (SaomaLedger        *self,
                                                  const char         *out_trade_no,
                                                  const char         *kind,
                                                  const char         *detail,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean      saoma_ledger_append_event_finish   (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
/* An event of the engine that drives a row: recorded as @kind while @owner holds the row
 * (@lease_kind, @lease_key), else as SAOMA_LEDGER_STALE_KIND with detail "KIND: DETAIL".
 * Finished by saoma_ledger_append_event_finish(). */
void          saoma_ledger_append_fenced_event_async (SaomaLedger        *self,
                                                      SaomaLeaseKind      lease_kind,
                                                      const char         *lease_key,
                                                      const char         *owner,
                                                      const char         *out_trade_no,
                                                      const char         *kind,
                                                      const char         *detail,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
gboolean      saoma_ledger_append_fenced_event_sync  (SaomaLedger    *self,
                                                      SaomaLeaseKind  lease_kind,
                                                      const char     *lease_key,
                                                      const char     *owner,
                                                      const char     *out_trade_no,
                                                      const char     *kind,
                                                      const char     *detail,
                                                      GError        **error);
/* Reads, on the worker thread. */
void          saoma_ledger_get_attempt_async     (SaomaLedger        *self,
                                                  const char         *out_trade_no,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
SaomaAttempt *saoma_ledger_get_attempt_finish    (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
/* Every attempt not in a final state, oldest first (GPtrArray of SaomaAttempt). */
void          saoma_ledger_list_unfinished_async  (SaomaLedger        *self,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
GPtrArray    *saoma_ledger_list_unfinished_finish (SaomaLedger  *self,
                                                   GAsyncResult *result,
                                                   GError      **error);
/* Attempts created in [@start_us, @end_us), oldest first (GPtrArray of SaomaAttempt). */
void          saoma_ledger_list_range_async      (SaomaLedger        *self,
                                                  gint64              start_us,
                                                  gint64              end_us,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
GPtrArray    *saoma_ledger_list_range_finish     (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
/* Events of one attempt, oldest first (GPtrArray of SaomaLedgerEvent). */
void          saoma_ledger_list_events_async     (SaomaLedger        *self,
                                                  const char         *out_trade_no,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
GPtrArray    *saoma_ledger_list_events_finish    (SaomaLedger  *self,
                                                  GAsyncResult *result,
                                                  GError      **error);

/* Refunds. insert checks (in the same transaction) that the attempt is PAID or
 * PARTIALLY_REFUNDED and that the sum of non-failed refunds stays ≤ its amount. update moves a
 * refund's state (and refund_id) as the refund flow's table allows; on SUCCESS it also
 * recomputes the attempt's refunded amount and state (PARTIALLY_REFUNDED / REFUNDED). */
void               saoma_ledger_insert_refund_async  (SaomaLedger        *self,
                                                      const char         *out_trade_no,
                                                      const char         *out_refund_no,
                                                      gint64              amount,
                                                      const char         *reason,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
SaomaLedgerRefund *saoma_ledger_insert_refund_finish (SaomaLedger  *self,
                                                      GAsyncResult *result,
                                                      GError      **error);
/* The same with @owner's lease taken in the insert's write (finish: insert_refund_finish). */
void               saoma_ledger_insert_refund_leased_async (SaomaLedger        *self,
                                                            const char         *out_trade_no,
                                                            const char         *out_refund_no,
                                                            gint64              amount,
                                                            const char         *reason,
                                                            const char         *owner,
                                                            GCancellable       *cancellable,
                                                            GAsyncReadyCallback callback,
                                                            gpointer            user_data);
void               saoma_ledger_update_refund_async  (SaomaLedger        *self,
                                                      const char         *out_refund_no,
                                                      SaomaRefundState    state,
                                                      const char         *refund_id,
                                                      const char         *event_detail,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
SaomaLedgerRefund *saoma_ledger_update_refund_finish (SaomaLedger  *self,
                                                      GAsyncResult *result,
                                                      GError      **error);
/* The same by an engine that holds the refund's lease as @owner: applied only while it still
 * does, else SAOMA_LEDGER_ERROR_NOT_OWNER (finish: update_refund_finish). */
void               saoma_ledger_update_refund_fenced_async (SaomaLedger        *self,
                                                            const char         *out_refund_no,
                                                            SaomaRefundState    state,
                                                            const char         *refund_id,
                                                            const char         *event_detail,
                                                            const char         *owner,
                                                            GCancellable       *cancellable,
                                                            GAsyncReadyCallback callback,
                                                            gpointer            user_data);
/* GPtrArray of SaomaLedgerRefund: of one attempt (@out_trade_no non-NULL), or created in
 * [@start_us, @end_us) when @out_trade_no is NULL. */
void               saoma_ledger_list_refunds_async   (SaomaLedger        *self,
                                                      const char         *out_trade_no,
                                                      gint64              start_us,
                                                      gint64              end_us,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
GPtrArray         *saoma_ledger_list_refunds_finish  (SaomaLedger  *self,
                                                      GAsyncResult *result,
                                                      GError      **error);

/* Synchronous counterparts for headless commands, tests and benchmarks (never on the UI's
 * main thread). */
SaomaAttempt *saoma_ledger_insert_attempt_sync  (SaomaLedger   *self,
                                                 SaomaAttempt  *attempt,
                                                 GError       **error);
SaomaAttempt *saoma_ledger_update_attempt_sync  (SaomaLedger              *self,
                                                 const char               *out_trade_no,
                                                 const SaomaAttemptUpdate *update,
                                                 GError                  **error);
SaomaAttempt *saoma_ledger_get_attempt_sync     (SaomaLedger  *self,
                                                 const char   *out_trade_no,
                                                 GError      **error);
GPtrArray    *saoma_ledger_list_unfinished_sync (SaomaLedger  *self,
                                                 GError      **error);
GPtrArray    *saoma_ledger_list_range_sync      (SaomaLedger  *self,
                                                 gint64        start_us,
                                                 gint64        end_us,
                                                 GError      **error);
/* Bulk insert in one transaction (benchmarks, fixtures); without "attempt-added" handlers,
 * 32 rows per statement. */
gboolean      saoma_ledger_insert_many_sync     (SaomaLedger  *self,
                                                 GPtrArray    *attempts,
                                                 GError      **error);
gboolean      saoma_ledger_append_event_sync    (SaomaLedger  *self,
                                                 const char   *out_trade_no,
                                                 const char   *kind,
                                                 const char   *detail,
                                                 GError      **error);
/* @out_trade_no NULL: every event, oldest first. */
GPtrArray    *saoma_ledger_list_events_sync     (SaomaLedger  *self,
                                                 const char   *out_trade_no,
                                                 GError      **error);
SaomaLedgerRefund *saoma_ledger_insert_refund_sync (SaomaLedger  *self,
                                                    const char   *out_trade_no,
                                                    const char   *out_refund_no,
                                                    gint64        amount,
                                                    const char   *reason,
                                                    GError      **error);
SaomaLedgerRefund *saoma_ledger_update_refund_sync (SaomaLedger       *self,
                                                    const char        *out_refund_no,
                                                    SaomaRefundState   state,
                                                    const char        *refund_id,
                                                    const char        *event_detail,
                                                    GError           **error);
GPtrArray    *saoma_ledger_list_refunds_sync    (SaomaLedger  *self,
                                                 const char   *out_trade_no,
                                                 gint64        start_us,
                                                 gint64        end_us,
                                                 GError      **error);

/* Streaming read for exports: calls @func for every attempt created in [@start_us, @end_us),
 * oldest first, from one consistent snapshot on a private read-only connection (never blocks
 * writes, never holds all rows). Any thread; meant for worker threads. Stops with FALSE when
 * @func returns FALSE (and sets @error), on cancellation or on a read error. */
typedef gboolean (*SaomaLedgerAttemptFunc) (SaomaAttempt *attempt,
                                            gpointer      user_data,
                                            GError      **error);
gboolean      saoma_ledger_foreach_in_range_sync (SaomaLedger             *self,
                                                  gint64                   start_us,
                                                  gint64                   end_us,
                                                  SaomaLedgerAttemptFunc   func,
                                                  gpointer                 user_data,
                                                  GCancellable            *cancellable,
                                                  GError                 **error);

/* Reports and refund recovery (added for the day close and the refunder, issue 7). */
/* Refunds in state SUCCESS whose success time is in [@start_us, @end_us), oldest first. */
GPtrArray    *saoma_ledger_list_refunds_succeeded_sync    (SaomaLedger  *self,
                                                           gint64        start_us,
                                                           gint64        end_us,
                                                           GError      **error);
/* Refunds not final yet (CREATED, UNKNOWN, PROCESSING), oldest first. */
GPtrArray    *saoma_ledger_list_unfinished_refunds_sync   (SaomaLedger  *self,
                                                           GError      **error);
void          saoma_ledger_list_unfinished_refunds_async  (SaomaLedger        *self,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GPtrArray    *saoma_ledger_list_unfinished_refunds_finish (SaomaLedger  *self,
                                                           GAsyncResult *result,
                                                           GError      **error);
/* The event kind that records a manager's decision on a late payment (its detail says which:
 * "honoured" or "refunded"); an attempt flagged late without one is still to be decided. */
#define SAOMA_LEDGER_LATE_DECISION_KIND "late-decision"
/* The kind an engine's event is recorded as when the engine no longer held the row it was
 * about (a process stopped past its lease, whose row another took over): the exchange it
 * reports did happen, but it is not the row's course. Its detail is "KIND: DETAIL". */
#define SAOMA_LEDGER_STALE_KIND "stale"
/* Attempts flagged late without a SAOMA_LEDGER_LATE_DECISION_KIND event, oldest first. */
GPtrArray    *saoma_ledger_list_undecided_late_sync       (SaomaLedger  *self,
                                                           GError      **error);
/* Till-wide events (out_trade_no NULL) of @kind, oldest first (GPtrArray of
 * SaomaLedgerEvent), e.g. the "day-close" records. */
GPtrArray    *saoma_ledger_list_till_events_sync          (SaomaLedger  *self,
                                                           const char   *kind,
                                                           GError      **error);

/* Leases (saoma-ledger-leases.c). list: the leases of every unfinished row of @kind, oldest
 * first. change: @change applied to each of @leases (SaomaLedgerLease) for @owner in one
 * transaction; returns the leases it changed, as stored now. A claim takes a row only if it
 * is unfinished and its owner and heartbeat are still those in the lease given (so of two
 * claimers exactly one wins); a renewal or a release touches only rows @owner holds. */
void       saoma_ledger_list_leases_async    (SaomaLedger        *self,
                                              SaomaLeaseKind      kind,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
GPtrArray *saoma_ledger_list_leases_finish   (SaomaLedger  *self,
                                              GAsyncResult *result,
                                              GError      **error);
GPtrArray *saoma_ledger_list_leases_sync     (SaomaLedger   *self,
                                              SaomaLeaseKind kind,
                                              GError       **error);
void       saoma_ledger_change_leases_async  (SaomaLedger        *self,
                                              SaomaLeaseChange    change,
                                              const char         *owner,
                                              GPtrArray          *leases,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
GPtrArray *saoma_ledger_change_leases_finish (SaomaLedger  *self,
                                              GAsyncResult *result,
                                              GError      **error);
GPtrArray *saoma_ledger_change_leases_sync   (SaomaLedger      *self,
                                              SaomaLeaseChange  change,
                                              const char       *owner,
                                              GPtrArray        *leases,
                                              GError          **error);

G_END_DECLS
