/* saoma-operation.h: what every money flow's job shares (a Native payment, a refund, micropay).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "ledger/saoma-store.h"
#include "saoma-clock.h"
#include "saoma-lease.h"

G_BEGIN_DECLS

typedef struct _SaomaOperation      SaomaOperation;
typedef struct _SaomaOperationClass SaomaOperationClass;
typedef struct _SaomaOperationCall  SaomaOperationCall;

/**
 * SaomaOperationClass:
 * @step: gather the facts, decide, carry the decision out (after every answer, durable write,
 *   timer and back-off; never while a write or a request is in flight unless the flow says so)
 * @write_start: start the ledger write @write; its callback must be @callback with @user_data
 * @write_finish: the durable row (any pointer) or %NULL with @error
 * @written: @write is durable as @row (@row is the class's to free)
 * @write_failed: @write and every queued write were refused: fall back to the durable state
 *   and surface @error (the one policy is applied around it, see saoma-operation.c)
 * @write_free: frees a queued write
 * @row_free: frees a row @write_finish returned (when detached, @written is not called)
 * @taken_over: (nullable): another engine took the row over (its lease lapsed while this
 *   process was stopped): the operation already stopped driving it (no more requests, writes
 *   or decisions); the flow tells its views and lets go of it
 * @finalize: frees the derived struct's members (not the struct itself)
 *
 * A struct with a vtable, the way GSource has GSourceFuncs: operations are many, short-lived
 * and internal to their engine; nothing binds to them, so a GObject type per flow would add
 * type registration and signal machinery that no one uses. The derived struct starts with a
 * SaomaOperation.
 */
struct _SaomaOperationClass
{
  const char *name;      /* "payment", "refund": for logs */
  void      (*step)         (SaomaOperation     *op);
  void      (*write_start)  (SaomaOperation     *op,
                             gpointer            write,
                             GAsyncReadyCallback callback,
                             gpointer            user_data);
  gpointer  (*write_finish) (SaomaOperation *op,
                             GAsyncResult   *result,
                             GError        **error);
  void      (*written)      (SaomaOperation *op,
                             gpointer        write,
                             gpointer        row);
  void      (*write_failed) (SaomaOperation *op,
                             gpointer        write,
                             const GError   *error);
  void      (*write_free)   (gpointer write);
  void      (*row_free)     (gpointer row);
  void      (*taken_over)   (SaomaOperation *op);
  void      (*finalize)     (SaomaOperation *op);
};

/**
 * SaomaOperationCall:
 *
 * One kind of gateway request: how it is sent and answered, what the flow makes of the answer
 * (@answer is %NULL when @error is set), and its crash points.
 */
struct _SaomaOperationCall
{
  void          (*start)    (SaomaOperation     *op,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data);
  gpointer      (*finish)   (GObject       *source,
                             GAsyncResult  *result,
                             GError       **error);
  void          (*answered) (SaomaOperation *op,
                             gconstpointer   answer,
                             const GError   *error);
  GDestroyNotify free_answer;
  const char    *before;   /* crash points, or NULL */
  const char    *after;
};

struct _SaomaOperation
{
  /*< private >*/
  const SaomaOperationClass *klass;
  gatomicrefcount            ref_count;
  gboolean                   attached;     /* FALSE once its engine went away */
  gboolean                   recorded;     /* on record: audit events may be appended */
  SaomaClock                *clock;
  SaomaStore                *store;
  GCancellable              *cancellable;  /* the engine's: requests stop with it */
  char                      *event_key;    /* the out_trade_no audit events are filed under */
  gint64                     write_backoff; /* µs before deciding again after a failed write */

  GQueue                     writes;       /* queued, not started */
  gboolean                   writing;
  gboolean                   net_busy;
  const SaomaOperationCall  *call;         /* in flight when net_busy */
  gboolean                   call_held;    /* ... or held until the lease is confirmed */
  guint                      timer_id;
  GSList                    *recoveries;   /* GTask*: recoveries counting it until it is done */
  SaomaLeaseKeeper          *lease;        /* renewing its lease while it drives, or NULL */
  gboolean                   taken_over;   /* another engine drives its row now */
  SaomaLeaseKind             lease_kind;
  char                      *lease_key;
};

gpointer  saoma_operation_new            (const SaomaOperationClass *klass,
                                          gsize                      struct_size,
                                          SaomaClock                *clock,
                                          SaomaStore                *store,
                                          GCancellable              *cancellable,
                                          const char                *event_key);
gpointer  saoma_operation_ref            (gpointer op);
void      saoma_operation_unref          (gpointer op);
void      saoma_operation_detach         (SaomaOperation *op);
gboolean  saoma_operation_is_attached    (SaomaOperation *op);

void      saoma_operation_write          (SaomaOperation *op,
                                          gpointer        write);
gboolean  saoma_operation_is_writing     (SaomaOperation *op);
guint     saoma_operation_get_n_writes   (SaomaOperation *op);

void      saoma_operation_send           (SaomaOperation           *op,
                                          const SaomaOperationCall *call);
gboolean  saoma_operation_is_sending     (SaomaOperation *op);

gint64    saoma_operation_now            (SaomaOperation *op);
void      saoma_operation_arm            (SaomaOperation *op,
                                          gint64          at);
gboolean  saoma_operation_is_armed       (SaomaOperation *op);
void      saoma_operation_disarm         (SaomaOperation *op);

void      saoma_operation_event          (SaomaOperation *op,
                                          const char     *kind,
                                          const char     *format,
                                          ...) G_GNUC_PRINTF (3, 4);

void      saoma_operation_crash_point    (const char *point);

void      saoma_operation_done           (SaomaOperation *op);

void      saoma_operation_hold_lease     (SaomaOperation *op,
                                          SaomaLeaseKind  kind,
                                          const char     *key,
                                          const char     *owner);
void      saoma_operation_release_lease  (SaomaOperation *op);
const char *saoma_operation_get_fence    (SaomaOperation *op);
gboolean  saoma_operation_is_taken_over  (SaomaOperation *op);

/* Recovery: a GTask completed with the number of operations it resumed once each is done. */
GTask    *saoma_recovery_new             (gpointer             source_object,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data,
                                          gpointer             source_tag);
gboolean  saoma_recovery_has_returned    (GTask *recovery);
void      saoma_recovery_hold            (GTask *recovery);
void      saoma_recovery_release         (GTask *recovery);
void      saoma_recovery_count           (GTask *recovery);
void      saoma_recovery_add             (GTask          *recovery,
                                          SaomaOperation *op);
void      saoma_recovery_return_error    (GTask  *recovery,
                                          GError *error);
guint     saoma_recovery_finish          (GAsyncResult *result,
                                          GError      **error);

G_END_DECLS
