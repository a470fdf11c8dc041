/* saoma-operation.c: the machinery every money flow's job shares.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SaomaOperation is one attempt or one refund being driven. It owns what each flow used to
 * re-implement: its reference count and detaching when the engine goes away, the ordered
 * durable writes (a queue, one at a time), one gateway request in flight with its crash
 * points, one timer on the engine's SaomaClock, audit events, and the one policy for a failed
 * write, and counting it in the recovery that resumed it until it is done. The flow
 * (saoma-checkout.c with saoma-native-flow.c, saoma-refunder.c with
 * saoma-refund-flow.c) supplies the step: gather facts, decide, carry out.
 *
 * The one policy for a failed write — a write is never taken as durable before the ledger
 * says so:
 *  1. the queued writes after it are dropped (they were decided on top of it);
 *  2. the flow falls back to the state on record and surfaces the error (write_failed);
 *     nothing that needed the write is sent: SUBMITTED before unifiedorder, CREATED before a
 *     refund (inserted before the job exists), so no money moves unrecorded;
 *  3. after a back-off the flow decides again from the durable state, re-learning what the
 *     lost write recorded by asking WeChat again (an identical request or a query): so a PAID
 *     or a refund SUCCESS is only ever shown once it is durable, and is never forgotten.
 * Before, the refunder stopped driving a refund whose write failed (resumed on the next
 * start only) while the checkout carried on: the checkout's rule is the safe one for both.
 *
 * While it drives its row, an operation holds the row's lease (saoma-lease.c): renewed by the
 * process's keeper, ended by the final state's write (saoma_operation_done()) or released
 * when the engine detaches, so that no other engine takes over a row that is being driven.
 * Every write it makes carries the owner it believes it is (the fence): the store applies it
 * only while that owner holds the row. A write refused so, or a renewal that finds the lease
 * gone, means another engine took the row over (this process was stopped past the lapse): the
 * operation stops at once — no request, no write, no decision more — and the flow says so
 * (taken_over). That is not the failed-write policy: retrying would fight the new owner.
 */

#define G_LOG_DOMAIN "saoma-operation"

#include "config.h"

#include <signal.h>
#include <string.h>

#include "saoma-operation.h"

/**
 * saoma_operation_crash_point:
 * @point: a transition point's name
 *
 * SAOMA_CRASH_AT=<point>[:<n>] kills the process with SIGKILL the n-th time (default: the first)
 * the engine reaches <point>. Points (tests/core/crash-test.py uses them by name):
 * after-insert, after-submitted, before-send, after-send, after-unknown, after-waiting,
 * before-query, after-query, after-paid-query, after-paid, after-closing, before-close,
 * after-close, after-closed, after-failed; micropay adds before-pay, after-pay, before-reverse,
 * after-reverse. Unset in production.
 */
void
saoma_operation_crash_point (const char *point)
{
  static gsize initialised;
  static char *crash_name;
  static guint crash_nth = 1;
  static guint hits;

  if (g_once_init_enter (&initialised))
    {
      const char *env = g_getenv ("SAOMA_CRASH_AT");

      if (env != NULL && *env != '\0')
        {
          const char *colon = strchr (env, ':');

          if (colon != NULL)
            {
              crash_name = g_strndup (env, colon - env);
              crash_nth = MAX (1, (guint)g_ascii_strtoull (colon + 1, NULL, 10));
            }
          else
            crash_name = g_strdup (env);
        }
      g_once_init_leave (&initialised, 1);
    }

  if (point == NULL || crash_name == NULL || strcmp (crash_name, point) != 0)
    return;

  if (++hits >= crash_nth)
    raise (SIGKILL);
}

/* --- Life cycle ------------------------------------------------------------------------------ */

static void drop_held (SaomaOperation *op);

/**
 * saoma_operation_new:
 * @struct_size: the derived struct's size (it starts with a SaomaOperation)
 * @event_key: the out_trade_no its audit events are filed under
 *
 * Returns: (transfer full): a zeroed derived struct, attached, one reference
 */
gpointer
saoma_operation_new (const SaomaOperationClass *klass,
                     gsize                      struct_size,
                     SaomaClock                *clock,
                     SaomaStore                *store,
                     GCancellable              *cancellable,
                     const char                *event_key)
{
  SaomaOperation *op;

  g_return_val_if_fail (klass != NULL && klass->step != NULL, NULL);
  g_return_val_if_fail (struct_size >= sizeof (SaomaOperation), NULL);

  op = g_malloc0 (struct_size);
  op->klass = klass;
  g_atomic_ref_count_init (&op->ref_count);
  op->attached = TRUE;
  op->clock = g_object_ref (clock);
  op->store = g_object_ref (store);
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  op->event_key = g_strdup (event_key);
  op->write_backoff = 10 * G_USEC_PER_SEC;
  g_queue_init (&op->writes);

  return op;
}

gpointer
saoma_operation_ref (gpointer data)
{
  SaomaOperation *op = data;

  g_atomic_ref_count_inc (&op->ref_count);
  return op;
}

void
saoma_operation_unref (gpointer data)
{
  SaomaOperation *op = data;

  if (op == NULL || !g_atomic_ref_count_dec (&op->ref_count))
    return;

  g_assert (op->timer_id == 0);
  g_slist_free_full (op->recoveries, g_object_unref);
  saoma_operation_release_lease (op);
  if (op->klass->finalize != NULL)
    op->klass->finalize (op);
  g_queue_clear_full (&op->writes, op->klass->write_free);
  g_clear_object (&op->clock);
  g_clear_object (&op->store);
  g_clear_object (&op->cancellable);
  g_free (op->event_key);
  g_free (op);
}

/**
 * saoma_operation_detach:
 *
 * The engine goes away: the timer stops, and answers and writes still in flight complete
 * without deciding anything more.
 */
void
saoma_operation_detach (SaomaOperation *op)
{
  GSList *recoveries = g_steal_pointer (&op->recoveries);

  saoma_operation_disarm (op);
  drop_held (op);
  op->attached = FALSE;
  /* Nobody drives it here any more: another engine may take it over at once. */
  saoma_operation_release_lease (op);

  /* A recovery waiting for it will not see it done. */
  for (GSList *l = recoveries; l != NULL; l = l->next)
    saoma_recovery_return_error (l->data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                               "The engine was destroyed"));
  g_slist_free_full (recoveries, g_object_unref);
}

gboolean
saoma_operation_is_attached (SaomaOperation *op)
{
  return op->attached && (op->cancellable == NULL || !g_cancellable_is_cancelled (op->cancellable));
}

gint64
saoma_operation_now (SaomaOperation *op)
{
  return saoma_clock_now (op->clock);
}

/* --- Timer ------------------------------------------------------------------------------------ */

static gboolean
timer_cb (gpointer user_data)
{
  SaomaOperation *op = user_data;

  op->timer_id = 0;
  if (op->attached)
    op->klass->step (op);

  return G_SOURCE_REMOVE;
}

/**
 * saoma_operation_arm:
 * @at: µs since the epoch
 *
 * Decide again at @at (the one timer: re-arming replaces it).
 */
void
saoma_operation_arm (SaomaOperation *op,
                     gint64          at)
{
  gint64 delay_us = at - saoma_operation_now (op);
  guint delay_ms = delay_us <= 0 ? 0 : (guint)MIN ((delay_us + 999) / 1000, G_MAXUINT);

  if (!op->attached)
    return;

  saoma_clock_remove (op->clock, op->timer_id);
  op->timer_id = saoma_clock_add_timeout (op->clock, delay_ms, timer_cb, saoma_operation_ref (op),
                                          saoma_operation_unref);
}

gboolean
saoma_operation_is_armed (SaomaOperation *op)
{
  return op->timer_id != 0;
}

void
saoma_operation_disarm (SaomaOperation *op)
{
  if (op->clock != NULL)
    saoma_clock_remove (op->clock, op->timer_id);
  op->timer_id = 0;
}

/* --- Audit events --------------------------------------------------------------------------- */

static void
append_event_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!saoma_store_append_event_finish (SAOMA_STORE (object), result, &error))
    g_warning ("Could not append an audit event: %s", error->message);
}

/**
 * saoma_operation_event:
 * @kind: "request", "response", "note" …
 *
 * Appends an audit event (never a secret) once the operation is on record.
 */
void
saoma_operation_event (SaomaOperation *op,
                       const char     *kind,
                       const char     *format,
                       ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  if (!op->attached || !op->recorded)
    return;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s: %s: %s", op->event_key, kind, detail);
  /* While it holds its row, fenced like its writes: a process stopped past its lease that
   * wakes up to an answer records it as stale, not as the row's course. */
  if (op->lease != NULL)
    saoma_store_append_fenced_event_async (op->store, op->lease_kind, op->lease_key,
                                           saoma_lease_keeper_get_owner (op->lease),
                                           op->event_key, kind, detail, NULL, append_event_cb,
                                           NULL);
  else
    saoma_store_append_event_async (op->store, op->event_key, kind, detail, NULL,
                                    append_event_cb, NULL);
}

/* --- Durable writes -------------------------------------------------------------------------- */

static void write_next (SaomaOperation *op);
static void operation_taken_over (SaomaOperation *op);

typedef struct {
  SaomaOperation *op;
  gpointer        write;
} WriteData;

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  WriteData *data = user_data;
  SaomaOperation *op = data->op;
  gpointer write = data->write;
  g_autoptr(GError) error = NULL;
  gpointer row;

  g_free (data);
  row = op->klass->write_finish (op, result, &error);
  op->writing = FALSE;

  if (!op->attached)
    {
      /* Nobody decides anything for it any more; the row is on record (or not) all the same. */
      if (row != NULL)
        op->klass->row_free (row);
    }
  else if (row == NULL && g_error_matches (error, SAOMA_LEDGER_ERROR,
                                           SAOMA_LEDGER_ERROR_NOT_OWNER))
    {
      /* Fenced off: nothing was written, and the row is another engine's now. */
      g_message ("%s %s: %s", op->klass->name, op->event_key, error->message);
      operation_taken_over (op);
    }
  else if (row == NULL)
    {
      /* The one policy (see the top of this file). */
      g_warning ("%s %s: a ledger write failed: %s", op->klass->name, op->event_key,
                 error->message);
      g_queue_clear_full (&op->writes, op->klass->write_free);
      op->klass->write_failed (op, write, error);
      /* Try again later rather than hammer a failing disk. */
      if (op->attached)
        saoma_operation_arm (op, saoma_operation_now (op) + op->write_backoff);
    }
  else
    {
      op->klass->written (op, write, row);
      if (op->attached)
        {
          if (!g_queue_is_empty (&op->writes))
            write_next (op);
          else
            op->klass->step (op);
        }
    }

  op->klass->write_free (write);
  saoma_operation_unref (op);
}

static void
write_next (SaomaOperation *op)
{
  WriteData *data;

  if (op->writing || !op->attached || g_queue_is_empty (&op->writes))
    return;

  data = g_new0 (WriteData, 1);
  data->op = saoma_operation_ref (op);
  data->write = g_queue_pop_head (&op->writes);
  op->writing = TRUE;
  /* No cancellable: a money write, once asked for, is let to complete. */
  op->klass->write_start (op, data->write, write_cb, data);
}

/**
 * saoma_operation_write:
 * @write: (transfer full): the class's description of one ledger write
 *
 * Queues a durable write behind those already queued; they run one at a time, in order. The
 * flow hears of it through @written (or @write_failed), then decides again.
 */
void
saoma_operation_write (SaomaOperation *op,
                       gpointer        write)
{
  g_return_if_fail (op != NULL && write != NULL);

  g_queue_push_tail (&op->writes, write);
  write_next (op);
}

/* A write queued or in flight. */
gboolean
saoma_operation_is_writing (SaomaOperation *op)
{
  return op->writing || !g_queue_is_empty (&op->writes);
}

guint
saoma_operation_get_n_writes (SaomaOperation *op)
{
  return op->writing + g_queue_get_length (&op->writes);
}

/* --- Requests --------------------------------------------------------------------------------- */

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SaomaOperation *op = user_data;
  const SaomaOperationCall *call = op->call;
  g_autoptr(GError) error = NULL;
  gpointer answer;

  answer = call->finish (object, result, &error);
  op->net_busy = FALSE;
  op->call = NULL;

  /* Once the engine is gone nobody decides anything for this operation any more. */
  if (saoma_operation_is_attached (op))
    {
      saoma_operation_crash_point (call->after);
      call->answered (op, answer, error);
      if (op->attached)
        op->klass->step (op);
    }

  if (answer != NULL && call->free_answer != NULL)
    call->free_answer (answer);
  saoma_operation_unref (op);
}

/**
 * saoma_operation_send:
 *
 * Sends one request; at most one is in flight (the flow's decision waits for it). Its answer
 * goes to @call's answered, then the flow decides again.
 */
void
saoma_operation_send (SaomaOperation           *op,
                      const SaomaOperationCall *call)
{
  g_return_if_fail (op != NULL && call != NULL);
  g_return_if_fail (!op->net_busy);

  op->net_busy = TRUE;
  op->call = call;

  /* Not heard from the store for longer than another engine would wait (this process was
   * stopped or starved): the row may be another's now. Ask first; send once it is confirmed
   * (lease_news_cb), never if it is not. */
  if (op->lease != NULL && !saoma_lease_keeper_is_fresh (op->lease, op->lease_kind,
                                                         op->lease_key))
    {
      g_debug ("%s %s: confirming the lease before sending", op->klass->name, op->event_key);
      op->call_held = TRUE;
      saoma_lease_keeper_renew_now (op->lease);
      return;
    }

  saoma_operation_crash_point (call->before);
  call->start (op, op->cancellable, call_cb, saoma_operation_ref (op));
}

/* The held request, now that the lease is confirmed ours. */
static void
send_held (SaomaOperation *op)
{
  const SaomaOperationCall *call = op->call;

  if (!op->call_held)
    return;

  op->call_held = FALSE;
  saoma_operation_crash_point (call->before);
  call->start (op, op->cancellable, call_cb, saoma_operation_ref (op));
}

/* A request held for a lease that turned out not to be ours (or an engine gone): dropped. */
static void
drop_held (SaomaOperation *op)
{
  if (!op->call_held)
    return;

  op->call_held = FALSE;
  op->net_busy = FALSE;
  op->call = NULL;
}

gboolean
saoma_operation_is_sending (SaomaOperation *op)
{
  return op->net_busy;
}

/* --- Recovery: resumed operations, counted until each is done -------------------------- */

typedef struct {
  guint    count;        /* operations resumed */
  guint    pending;      /* operations (and holds) not done yet */
  gboolean returned;
  gulong   cancelled_id;
} Recovery;

static void
recovery_return (GTask  *task,
                 GError *error)
{
  Recovery *data = g_task_get_task_data (task);

  if (data->returned)
    {
      g_clear_error (&error);
      return;
    }

  data->returned = TRUE;
  g_cancellable_disconnect (g_task_get_cancellable (task), data->cancelled_id);
  data->cancelled_id = 0;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, data->count);
}

static void
recovery_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  GTask *task = user_data;
  Recovery *data = g_task_get_task_data (task);

  /* Not recovery_return(): g_cancellable_disconnect() would deadlock in here. The operations
   * carry on; only the waiting stops. */
  if (!data->returned)
    {
      data->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Recovery was cancelled");
    }
}

/**
 * saoma_recovery_new:
 * @cancellable: (nullable): stops waiting (not the operations)
 *
 * Returns: (transfer full): a recovery: add the operations it resumes, then release it
 */
GTask *
saoma_recovery_new (gpointer             source_object,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data,
                    gpointer             source_tag)
{
  GTask *task = g_task_new (source_object, cancellable, callback, user_data);
  Recovery *data = g_new0 (Recovery, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, data, g_free);
  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (recovery_cancelled_cb),
                                                task, NULL);
  return task;
}

gboolean
saoma_recovery_has_returned (GTask *recovery)
{
  Recovery *data = g_task_get_task_data (recovery);

  return data->returned;
}

/* Keeps the recovery from completing (while it is still looking for operations). */
void
saoma_recovery_hold (GTask *recovery)
{
  Recovery *data = g_task_get_task_data (recovery);

  data->pending++;
}

void
saoma_recovery_release (GTask *recovery)
{
  Recovery *data = g_task_get_task_data (recovery);

  g_assert (data->pending > 0);
  if (--data->pending == 0)
    recovery_return (recovery, NULL);
}

/* One more operation resumed: the number the recovery completes with. */
void
saoma_recovery_count (GTask *recovery)
{
  Recovery *data = g_task_get_task_data (recovery);

  data->count++;
}

/**
 * saoma_recovery_add:
 *
 * @recovery waits for @op until saoma_operation_done().
 */
void
saoma_recovery_add (GTask          *recovery,
                    SaomaOperation *op)
{
  Recovery *data = g_task_get_task_data (recovery);

  data->pending++;
  op->recoveries = g_slist_prepend (op->recoveries, g_object_ref (recovery));
}

void
saoma_recovery_return_error (GTask  *recovery,
                             GError *error)
{
  recovery_return (recovery, error);
}

guint
saoma_recovery_finish (GAsyncResult *result,
                       GError      **error)
{
  gssize count = g_task_propagate_int (G_TASK (result), error);

  return count < 0 ? 0 : (guint)count;
}

/**
 * saoma_operation_done:
 *
 * @op reached its end: the recoveries that resumed it count it out.
 */
void
saoma_operation_done (SaomaOperation *op)
{
  GSList *recoveries = g_steal_pointer (&op->recoveries);

  /* The final state's write ended the lease in the store: only stop renewing it. */
  if (op->lease != NULL)
    {
      saoma_lease_keeper_drop (op->lease, op->lease_kind, op->lease_key, FALSE);
      g_clear_pointer (&op->lease, saoma_lease_keeper_unref);
      g_clear_pointer (&op->lease_key, g_free);
    }

  for (GSList *l = recoveries; l != NULL; l = l->next)
    saoma_recovery_release (l->data);
  g_slist_free_full (recoveries, g_object_unref);
}

/* --- Ownership ------------------------------------------------------------------------------- */

/* Another engine holds the row now: stop driving it at once. The lease is not ours to
 * release, and whatever was queued or decided is dropped (a request in flight is answered to
 * nobody); recoveries that resumed it count it out (its new owner finishes it). */
static void
operation_taken_over (SaomaOperation *op)
{
  GSList *recoveries;

  if (op->taken_over || !op->attached)
    return;

  g_message ("%s %s: another engine took it over; no longer driving it", op->klass->name,
             op->event_key);
  op->taken_over = TRUE;
  drop_held (op);
  saoma_operation_disarm (op);
  g_queue_clear_full (&op->writes, op->klass->write_free);
  if (op->lease != NULL)
    {
      saoma_lease_keeper_drop (op->lease, op->lease_kind, op->lease_key, FALSE);
      g_clear_pointer (&op->lease, saoma_lease_keeper_unref);
      g_clear_pointer (&op->lease_key, g_free);
    }
  op->attached = FALSE;

  recoveries = g_steal_pointer (&op->recoveries);
  for (GSList *l = recoveries; l != NULL; l = l->next)
    saoma_recovery_release (l->data);
  g_slist_free_full (recoveries, g_object_unref);

  saoma_operation_ref (op);
  if (op->klass->taken_over != NULL)
    op->klass->taken_over (op);
  saoma_operation_unref (op);
}

/* After a renewal. Kept: a request held for it goes now. Not renewed: with a write in flight
 * that may be the final state's, which ends the lease too (its engine lets go once the write
 * is back): then hold it again, and the next renewal judges it. Else another engine took it. */
static void
lease_news_cb (SaomaLeaseKind kind,
               const char    *key,
               gboolean       kept,
               gpointer       user_data)
{
  SaomaOperation *op = user_data;

  if (op->lease == NULL)
    return;

  if (kept)
    {
      /* Confirmed by a write of before a pause (this process stopped before it heard of it):
       * not confirmed enough; ask again. */
      if (op->attached && op->call_held &&
          !saoma_lease_keeper_is_fresh (op->lease, op->lease_kind, op->lease_key))
        saoma_lease_keeper_renew_now (op->lease);
      else if (op->attached)
        send_held (op);
      return;
    }

  if (op->writing)
    {
      saoma_lease_keeper_hold (op->lease, kind, key, lease_news_cb, op);
      if (op->call_held)
        saoma_lease_keeper_renew_now (op->lease);
      return;
    }

  operation_taken_over (op);
}

/**
 * saoma_operation_get_fence:
 *
 * Returns: (nullable): the owner the operation's writes carry (the store refuses them once
 *   another engine holds the row), or %NULL while it holds no lease
 */
const char *
saoma_operation_get_fence (SaomaOperation *op)
{
  return op->lease != NULL ? saoma_lease_keeper_get_owner (op->lease) : NULL;
}

gboolean
saoma_operation_is_taken_over (SaomaOperation *op)
{
  return op->taken_over;
}

/**
 * saoma_operation_hold_lease:
 * @kind: an attempt or a refund
 * @key: its out_trade_no or out_refund_no
 * @owner: the engine's identity, the row's owner on record (inserted or claimed with it)
 *
 * The operation drives @key from now on: its lease is renewed with the others of @owner until
 * saoma_operation_done() (final) or it is released.
 */
void
saoma_operation_hold_lease (SaomaOperation *op,
                            SaomaLeaseKind  kind,
                            const char     *key,
                            const char     *owner)
{
  g_return_if_fail (op != NULL && key != NULL && owner != NULL);

  if (op->lease != NULL || !op->attached)
    return;

  op->lease = saoma_lease_keeper_get (op->store, owner);
  op->lease_kind = kind;
  op->lease_key = g_strdup (key);
  saoma_lease_keeper_hold (op->lease, kind, key, lease_news_cb, op);
}

/**
 * saoma_operation_release_lease:
 *
 * The operation stops driving a row that is not final (its engine goes away, or it ended
 * without a final state): the store forgets the owner, so a recovery takes it over at once.
 */
void
saoma_operation_release_lease (SaomaOperation *op)
{
  if (op->lease == NULL)
    return;

  saoma_lease_keeper_drop (op->lease, op->lease_kind, op->lease_key, TRUE);
  g_clear_pointer (&op->lease, saoma_lease_keeper_unref);
  g_clear_pointer (&op->lease_key, g_free);
}
