/* saoma-store.h: the storage interface (attempts, refunds, audit events) the engine, the
 * refunder, the reports and the history use; SaomaLedger (SQLite) implements it. */
#pragma once

#include <gio/gio.h>

#include "saoma-attempt.h"
#include "saoma-ledger.h"
#include "saoma-store-snapshot.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_STORE (saoma_store_get_type ())
G_DECLARE_INTERFACE (SaomaStore, saoma_store, SAOMA, STORE, GObject)

/* Which attempts the history shows (all fields optional: 0, -1 or NULL for "any"). */
typedef struct {
  gint64      day_start;  /* µs UTC, first included */
  gint64      day_end;    /* µs UTC, first excluded */
  int         state;      /* -1, or a SaomaAttemptState */
  const char *search;     /* a substring of out_trade_no or transaction_id (ASCII
                           * case-insensitive), or NULL */
  gint64      search_amount;  /* > 0: with search, an attempt of exactly this amount (fen)
                               * matches too ("38.50" finds the ¥38.50 payments) */
  gboolean    undecided_late; /* only late payments still waiting for a decision (no
                               * SAOMA_LEDGER_LATE_DECISION_KIND event) */
} SaomaStoreFilter;

/* A row's place in the history's order (newest first: created DESC, id DESC): its key and
 * the number of filtered rows before it. */
typedef struct {
  gint64 created;
  gint64 id;
  guint  pos;
} SaomaStoreKey;

/* One page of the history, and the keys the store learnt on the way to it (ascending pos),
 * which the caller may pass back as anchors so the next page is found without a scan. */
typedef struct {
  guint      start;
  GPtrArray *items;   /* SaomaAttempt, newest first; fewer than asked at the end */
  GArray    *keys;    /* SaomaStoreKey */
} SaomaStorePage;

void saoma_store_page_free (SaomaStorePage *page);

/* Frees a refund row any store returned (insert_refund, update_refund, list_refunds …). */
void saoma_store_refund_free (SaomaLedgerRefund *refund);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaStorePage, saoma_store_page_free)

/*
 * Every operation is asynchronous (a store may be across a network); callbacks run on the
 * caller's thread-default main context. Writes apply in submission order, and a read sees
 * every write submitted before it. Implementations emit, on the context that opened them:
 *   "attempt-added"   (SaomaAttempt *attempt)
 *   "attempt-changed" (SaomaAttempt *attempt)   new snapshot; saoma_attempt_get_previous()
 *   "refund-changed"  (const char *out_refund_no)
 * The meaning of each operation is that of the saoma_ledger_* function of the same name.
 */
struct _SaomaStoreInterface
{
  GTypeInterface parent_iface;

  void                (*insert_attempt_async)          (SaomaStore               *self,
                                                        SaomaAttempt             *attempt,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaAttempt       *(*insert_attempt_finish)         (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*update_attempt_async)          (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        const SaomaAttemptUpdate *update,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaAttempt       *(*update_attempt_finish)         (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*get_attempt_async)             (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaAttempt       *(*get_attempt_finish)            (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*append_event_async)            (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        const char               *kind,
                                                        const char               *detail,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  gboolean            (*append_event_finish)           (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*list_events_async)             (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_events_finish)            (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*list_unfinished_async)         (SaomaStore               *self,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_unfinished_finish)        (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*list_range_async)              (SaomaStore               *self,
                                                        gint64                    start_us,
                                                        gint64                    end_us,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_range_finish)             (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*insert_refund_async)           (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        const char               *out_refund_no,
                                                        gint64                    amount,
                                                        const char               *reason,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaLedgerRefund  *(*insert_refund_finish)          (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*update_refund_async)           (SaomaStore               *self,
                                                        const char               *out_refund_no,
                                                        SaomaRefundState          state,
                                                        const char               *refund_id,
                                                        const char               *event_detail,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaLedgerRefund  *(*update_refund_finish)          (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*list_refunds_async)            (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        gint64                    start_us,
                                                        gint64                    end_us,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_refunds_finish)           (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*list_unfinished_refunds_async) (SaomaStore               *self,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_unfinished_refunds_finish) (SaomaStore              *self,
                                                         GAsyncResult            *result,
                                                         GError                 **error);

  /* Reports. */
  void                (*open_snapshot_async)           (SaomaStore               *self,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaStoreSnapshot *(*open_snapshot_finish)          (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);

  /* The history's page source. */
  void                (*count_attempts_async)          (SaomaStore               *self,
                                                        const SaomaStoreFilter   *filter,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  gboolean            (*count_attempts_finish)         (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        guint                    *out_n_items,
                                                        gint64                   *out_newest_id,
                                                        GError                  **error);
  void                (*fetch_attempts_async)          (SaomaStore               *self,
                                                        const SaomaStoreFilter   *filter,
                                                        const SaomaStoreKey      *anchor,
                                                        guint                     start,
                                                        guint                     n,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaStorePage     *(*fetch_attempts_finish)         (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*locate_attempt_async)          (SaomaStore               *self,
                                                        const SaomaStoreFilter   *filter,
                                                        SaomaAttempt             *attempt,
                                                        gboolean                  added,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  gboolean            (*locate_attempt_finish)         (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        guint                    *out_position,
                                                        GError                  **error);
  void                (*sum_amount_async)              (SaomaStore               *self,
                                                        const SaomaStoreFilter   *filter,
                                                        SaomaAttemptState         state,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  gboolean            (*sum_amount_finish)             (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        gint64                   *out_sum,
                                                        GError                  **error);

  /* Ownership (DESIGN.md, "Ownership"). */
  void                (*update_refund_fenced_async)    (SaomaStore               *self,
                                                        const char               *out_refund_no,
                                                        SaomaRefundState          state,
                                                        const char               *refund_id,
                                                        const char               *event_detail,
                                                        const char               *owner,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  void                (*insert_refund_leased_async)    (SaomaStore               *self,
                                                        const char               *out_trade_no,
                                                        const char               *out_refund_no,
                                                        gint64                    amount,
                                                        const char               *reason,
                                                        const char               *owner,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  void                (*list_leases_async)             (SaomaStore               *self,
                                                        SaomaLeaseKind            kind,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*list_leases_finish)            (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  void                (*change_leases_async)           (SaomaStore               *self,
                                                        SaomaLeaseChange          change,
                                                        const char               *owner,
                                                        GPtrArray                *leases,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  GPtrArray          *(*change_leases_finish)          (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);
  /* Finished by append_event_finish. */
  void                (*append_fenced_event_async)     (SaomaStore               *self,
                                                        SaomaLeaseKind            lease_kind,
                                                        const char               *lease_key,
                                                        const char               *owner,
                                                        const char               *out_trade_no,
                                                        const char               *kind,
                                                        const char               *detail,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);

  /* Optional: insert_attempt with its first update in the same write (see
   * saoma_ledger_insert_attempt_then_async()); a store without it inserts alone. */
  void                (*insert_attempt_then_async)     (SaomaStore               *self,
                                                        SaomaAttempt             *attempt,
                                                        const SaomaAttemptUpdate *then,
                                                        GCancellable             *cancellable,
                                                        GAsyncReadyCallback       callback,
                                                        gpointer                  user_data);
  SaomaAttempt       *(*insert_attempt_then_finish)    (SaomaStore               *self,
                                                        GAsyncResult             *result,
                                                        GError                  **error);

  gpointer padding[5];
};

void                saoma_store_insert_attempt_async (SaomaStore          *self,
                                                      SaomaAttempt        *attempt,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
SaomaAttempt       *saoma_store_insert_attempt_finish (SaomaStore    *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);
void                saoma_store_insert_attempt_then_async (SaomaStore               *self,
                                                           SaomaAttempt             *attempt,
                                                           const SaomaAttemptUpdate *then,
                                                           GCancellable             *cancellable,
                                                           GAsyncReadyCallback       callback,
                                                           gpointer                  user_data);
SaomaAttempt       *saoma_store_insert_attempt_then_finish (SaomaStore    *self,
                                                            GAsyncResult  *result,
                                                            GError       **error);
void                saoma_store_update_attempt_async (SaomaStore               *self,
                                                      const char               *out_trade_no,
                                                      const SaomaAttemptUpdate *update,
                                                      GCancellable             *cancellable,
                                                      GAsyncReadyCallback       callback,
                                                      gpointer                  user_data);
SaomaAttempt       *saoma_store_update_attempt_finish (SaomaStore    *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);
void                saoma_store_get_attempt_async (SaomaStore          *self,
                                                   const char          *out_trade_no,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
SaomaAttempt       *saoma_store_get_attempt_finish (SaomaStore    *self,
                                                    GAsyncResult  *result,
                                                    GError       **error);
void                saoma_store_append_event_async (SaomaStore          *self,
                                                    const char          *out_trade_no,
                                                    const char          *kind,
                                                    const char          *detail,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean            saoma_store_append_event_finish (SaomaStore    *self,
                                                     GAsyncResult  *result,
                                                     GError       **error);
void                saoma_store_list_events_async (SaomaStore          *self,
                                                   const char          *out_trade_no,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray          *saoma_store_list_events_finish (SaomaStore    *self,
                                                    GAsyncResult  *result,
                                                    GError       **error);
void                saoma_store_list_unfinished_async (SaomaStore          *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray          *saoma_store_list_unfinished_finish (SaomaStore    *self,
                                                        GAsyncResult  *result,
                                                        GError       **error);
void                saoma_store_list_range_async (SaomaStore          *self,
                                                  gint64               start_us,
                                                  gint64               end_us,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GPtrArray          *saoma_store_list_range_finish (SaomaStore    *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);
void                saoma_store_insert_refund_async (SaomaStore          *self,
                                                     const char          *out_trade_no,
                                                     const char          *out_refund_no,
                                                     gint64               amount,
                                                     const char          *reason,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
SaomaLedgerRefund  *saoma_store_insert_refund_finish (SaomaStore    *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);
void                saoma_store_update_refund_async (SaomaStore          *self,
                                                     const char          *out_refund_no,
                                                     SaomaRefundState     state,
                                                     const char          *refund_id,
                                                     const char          *event_detail,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
SaomaLedgerRefund  *saoma_store_update_refund_finish (SaomaStore    *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);
void                saoma_store_list_refunds_async (SaomaStore          *self,
                                                    const char          *out_trade_no,
                                                    gint64               start_us,
                                                    gint64               end_us,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GPtrArray          *saoma_store_list_refunds_finish (SaomaStore    *self,
                                                     GAsyncResult  *result,
                                                     GError       **error);
void                saoma_store_list_unfinished_refunds_async (SaomaStore          *self,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
GPtrArray          *saoma_store_list_unfinished_refunds_finish (SaomaStore    *self,
                                                                GAsyncResult  *result,
                                                                GError       **error);
void                saoma_store_open_snapshot_async (SaomaStore          *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
SaomaStoreSnapshot *saoma_store_open_snapshot_finish (SaomaStore    *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);
void                saoma_store_count_attempts_async (SaomaStore             *self,
                                                      const SaomaStoreFilter *filter,
                                                      GCancellable           *cancellable,
                                                      GAsyncReadyCallback     callback,
                                                      gpointer                user_data);
gboolean            saoma_store_count_attempts_finish (SaomaStore    *self,
                                                       GAsyncResult  *result,
                                                       guint         *out_n_items,
                                                       gint64        *out_newest_id,
                                                       GError       **error);
void                saoma_store_fetch_attempts_async (SaomaStore             *self,
                                                      const SaomaStoreFilter *filter,
                                                      const SaomaStoreKey    *anchor,
                                                      guint                   start,
                                                      guint                   n,
                                                      GCancellable           *cancellable,
                                                      GAsyncReadyCallback     callback,
                                                      gpointer                user_data);
SaomaStorePage     *saoma_store_fetch_attempts_finish (SaomaStore    *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);
void                saoma_store_locate_attempt_async (SaomaStore             *self,
                                                      const SaomaStoreFilter *filter,
                                                      SaomaAttempt           *attempt,
                                                      gboolean                added,
                                                      GCancellable           *cancellable,
                                                      GAsyncReadyCallback     callback,
                                                      gpointer                user_data);
gboolean            saoma_store_locate_attempt_finish (SaomaStore    *self,
                                                       GAsyncResult  *result,
                                                       guint         *out_position,
                                                       GError       **error);
void                saoma_store_sum_amount_async (SaomaStore             *self,
                                                  const SaomaStoreFilter *filter,
                                                  SaomaAttemptState       state,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
gboolean            saoma_store_sum_amount_finish (SaomaStore    *self,
                                                   GAsyncResult  *result,
                                                   gint64        *out_sum,
                                                   GError       **error);

/* Ownership. insert_refund_leased: insert_refund with @owner's lease taken in the same write
 * (finish with saoma_store_insert_refund_finish()). update_refund_fenced: update_refund by an
 * engine that holds the refund's lease as @owner, applied only while it still does, else
 * SAOMA_LEDGER_ERROR_NOT_OWNER and nothing written (finish with
 * saoma_store_update_refund_finish()); attempts carry the same fence in
 * SaomaAttemptUpdate.owner. */
void                saoma_store_update_refund_fenced_async (SaomaStore          *self,
                                                            const char          *out_refund_no,
                                                            SaomaRefundState     state,
                                                            const char          *refund_id,
                                                            const char          *event_detail,
                                                            const char          *owner,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
void                saoma_store_insert_refund_leased_async (SaomaStore          *self,
                                                            const char          *out_trade_no,
                                                            const char          *out_refund_no,
                                                            gint64               amount,
                                                            const char          *reason,
                                                            const char          *owner,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
void                saoma_store_list_leases_async (SaomaStore          *self,
                                                   SaomaLeaseKind       kind,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray          *saoma_store_list_leases_finish (SaomaStore    *self,
                                                    GAsyncResult  *result,
                                                    GError       **error);
void                saoma_store_change_leases_async (SaomaStore          *self,
                                                     SaomaLeaseChange     change,
                                                     const char          *owner,
                                                     GPtrArray           *leases,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray          *saoma_store_change_leases_finish (SaomaStore    *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);
/* Finished by saoma_store_append_event_finish(). */
void                saoma_store_append_fenced_event_async (SaomaStore          *self,
                                                           SaomaLeaseKind       lease_kind,
                                                           const char          *lease_key,
                                                           const char          *owner,
                                                           const char          *out_trade_no,
                                                           const char          *kind,
                                                           const char          *detail,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);

G_END_DECLS
