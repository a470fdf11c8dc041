/* saoma-store-snapshot.h: a consistent, read-only view of a store, for reports in a worker. */
#pragma once

#include <gio/gio.h>

#include "saoma-attempt.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_STORE_SNAPSHOT (saoma_store_snapshot_get_type ())
G_DECLARE_DERIVABLE_TYPE (SaomaStoreSnapshot, saoma_store_snapshot, SAOMA, STORE_SNAPSHOT, GObject)

/* Called for each attempt, oldest first; return FALSE (setting @error) to stop. */
typedef gboolean (*SaomaStoreAttemptFunc) (SaomaAttempt *attempt,
                                           gpointer      user_data,
                                           GError      **error);

/*
 * Every read of one snapshot sees the store as it was when the snapshot was opened, whatever
 * is written meanwhile, so a day report's attempts, refunds and close records agree with each
 * other. The reads block: call them from a worker thread (GTask), one thread at a time; the
 * snapshot is opened with saoma_store_open_snapshot_async() and released by its last unref.
 * Results are GPtrArrays of SaomaAttempt, SaomaLedgerRefund or SaomaLedgerEvent.
 */
struct _SaomaStoreSnapshotClass
{
  GObjectClass parent_class;

  gboolean   (*foreach_attempt)        (SaomaStoreSnapshot     *self,
                                        gint64                  start_us,
                                        gint64                  end_us,
                                        SaomaStoreAttemptFunc   func,
                                        gpointer                user_data,
                                        GCancellable           *cancellable,
                                        GError                **error);
  GPtrArray *(*list_unfinished)        (SaomaStoreSnapshot     *self,
                                        GError                **error);
  GPtrArray *(*list_refunds)           (SaomaStoreSnapshot     *self,
                                        gint64                  start_us,
                                        gint64                  end_us,
                                        GError                **error);
  GPtrArray *(*list_refunds_succeeded) (SaomaStoreSnapshot     *self,
                                        gint64                  start_us,
                                        gint64                  end_us,
                                        GError                **error);
  GPtrArray *(*list_till_events)       (SaomaStoreSnapshot     *self,
                                        const char             *kind,
                                        GError                **error);
  SaomaAttempt *(*get_attempt)         (SaomaStoreSnapshot     *self,
                                        const char             *out_trade_no,
                                        GError                **error);
  GPtrArray *(*list_refunds_of)        (SaomaStoreSnapshot     *self,
                                        const char             *out_trade_no,
                                        GError                **error);

  gpointer padding[6];
};

/* Attempts created in [@start_us, @end_us), oldest first, streamed (never all in memory). */
gboolean   saoma_store_snapshot_foreach_attempt        (SaomaStoreSnapshot     *self,
                                                        gint64                  start_us,
                                                        gint64                  end_us,
                                                        SaomaStoreAttemptFunc   func,
                                                        gpointer                user_data,
                                                        GCancellable           *cancellable,
                                                        GError                **error);
/* The same attempts as an array. */
GPtrArray *saoma_store_snapshot_list_attempts          (SaomaStoreSnapshot  *self,
                                                        gint64               start_us,
                                                        gint64               end_us,
                                                        GCancellable        *cancellable,
                                                        GError             **error);
/* Attempts not in a final state, oldest first. */
GPtrArray *saoma_store_snapshot_list_unfinished        (SaomaStoreSnapshot  *self,
                                                        GError             **error);
/* Refunds created in [@start_us, @end_us), oldest first. */
GPtrArray *saoma_store_snapshot_list_refunds           (SaomaStoreSnapshot  *self,
                                                        gint64               start_us,
                                                        gint64               end_us,
                                                        GError             **error);
/* Refunds in state SUCCESS whose success time is in [@start_us, @end_us), oldest first. */
GPtrArray *saoma_store_snapshot_list_refunds_succeeded (SaomaStoreSnapshot  *self,
                                                        gint64               start_us,
                                                        gint64               end_us,
                                                        GError             **error);
/* Till-wide events of @kind (e.g. "day-close"), oldest first. */
GPtrArray *saoma_store_snapshot_list_till_events       (SaomaStoreSnapshot  *self,
                                                        const char          *kind,
                                                        GError             **error);

/* The attempt @out_trade_no, or NULL: with @error set when the store could not be read,
 * without when there is no such attempt. */
SaomaAttempt *saoma_store_snapshot_get_attempt         (SaomaStoreSnapshot  *self,
                                                        const char          *out_trade_no,
                                                        GError             **error);
/* The refunds of the attempt @out_trade_no, oldest first. */
GPtrArray    *saoma_store_snapshot_list_refunds_of     (SaomaStoreSnapshot  *self,
                                                        const char          *out_trade_no,
                                                        GError             **error);

G_END_DECLS
