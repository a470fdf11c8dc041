/* saoma-refunder.c: refunds, written before sent, retried with one key, followed to the end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-refunder"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "saoma-money.h"
#include "saoma-pin.h"
#include "saoma-operation.h"
#include "saoma-pin-guard.h"
#include "saoma-refund-flow.h"
#include "saoma-refunder.h"

#define DEFAULT_RETRY_INTERVAL_MS 5000
#define DEFAULT_QUERY_INTERVAL_MS 10000
/* After this many queries a refund is slow (bank card: days): query once a minute. */
#define FAST_QUERIES 30
#define SLOW_QUERY_INTERVAL_MS 60000

struct _SaomaRefunder
{
  GObject       parent_instance;

  SaomaGateway *gateway;
  SaomaStore   *store;
  SaomaClock   *clock;
  char         *till_id;
  SaomaPinGuard *pin_guard;
  guint         retry_interval_ms;
  guint         query_interval_ms;
  char         *notify_url;

  GHashTable   *jobs;        /* out_refund_no → Job* */
  GCancellable *cancellable; /* cancelled on dispose */
  char         *owner;       /* the lease owner of what it drives (saoma-lease.h) */
};

enum {
  PROP_0,
  PROP_GATEWAY,
  PROP_STORE,
  PROP_CLOCK,
  PROP_TILL_ID,
  PROP_PIN_GUARD,
  PROP_RETRY_INTERVAL,
  PROP_QUERY_INTERVAL,
  PROP_NOTIFY_URL,
  N_PROPS
};

enum {
  REFUND_UPDATED,
  LEFT_ALONE,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SaomaRefunder, saoma_refunder, G_TYPE_OBJECT)
G_DEFINE_QUARK (saoma-refunder-error-quark, saoma_refunder_error)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A waiter: a GTask (refund_async / follow_async) completed when its job ends. */
typedef struct {
  GTask        *task;
  GCancellable *cancellable;
  gulong        handler;
  GSource      *cancelled_source; /* queued by a cancellation; destroyed if the job ends first */
  struct _Job  *job;
} Waiter;

/* One refund being driven: a SaomaOperation (saoma-operation.c) whose step is gather facts →
 * saoma_refund_decide() → carry out. The table holds one reference; callbacks in flight hold
 * theirs; ->self is cleared (and the operation detached) when the job ends or the refunder
 * goes away, so late callbacks just drop. */
typedef struct _Job {
  SaomaOperation     op;
  SaomaRefunder     *self;
  SaomaGateway      *gateway;    /* the gateway it was first sent with: identical retries */
  char              *out_refund_no;
  char              *out_trade_no;
  char              *reason;
  char              *notify_url; /* nullable; fixed when the job starts */
  gint64             total_fee;
  gint64             refund_fee;
  SaomaRefundFacts   facts;      /* what the decision needs (saoma-refund-flow.h) */
  SaomaLedgerRefund *row;        /* the last durable row */
  GList             *waiters;    /* Waiter* */
  SaomaLedgerRefund *final_row;
  GError            *final_error;
  GError            *rejection;  /* WeChat's refusal, the outcome if it comes to FAILED */
  GError            *last_error; /* the last request's error, for the audit log */
  char              *refund_id;  /* WeChat's, from the last answer that named it */
  char              *status;     /* the last refundquery status, for the audit log */
} Job;

static void job_step (Job *job);
static const char *refunder_owner (SaomaRefunder *self);

static Job *
job_ref (Job *job)
{
  return saoma_operation_ref (job);
}

static void
job_unref (Job *job)
{
  saoma_operation_unref (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_unref)

static SaomaLedgerRefund *
refund_copy (const SaomaLedgerRefund *refund)
{
  SaomaLedgerRefund *copy = g_new0 (SaomaLedgerRefund, 1);

  *copy = *refund;
  copy->out_refund_no = g_strdup (refund->out_refund_no);
  copy->out_trade_no = g_strdup (refund->out_trade_no);
  copy->reason = g_strdup (refund->reason);
  copy->refund_id = g_strdup (refund->refund_id);
  return copy;
}

static gboolean
job_alive (Job *job)
{
  return job->self != NULL && saoma_operation_is_attached (&job->op);
}

/* Waiters ------------------------------------------------------------------------------- */

/* Completes @waiter with the job's outcome, or with @error when given. */
static void
waiter_complete (Waiter       *waiter,
                 const GError *error)
{
  Job *job = waiter->job;

  if (waiter->handler != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->handler);
  /* A cancellation that came in just before the end must not find the waiter later. */
  if (waiter->cancelled_source != NULL)
    {
      g_source_destroy (waiter->cancelled_source);
      g_clear_pointer (&waiter->cancelled_source, g_source_unref);
    }

  if (error != NULL)
    g_task_return_error (waiter->task, g_error_copy (error));
  else if (job->final_row != NULL)
    g_task_return_pointer (waiter->task, refund_copy (job->final_row),
                           (GDestroyNotify) saoma_store_refund_free);
  else if (job->final_error != NULL)
    g_task_return_error (waiter->task, g_error_copy (job->final_error));
  else
    g_task_return_new_error (waiter->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The refunder was shut down");

  g_clear_object (&waiter->task);
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
}

static gboolean
waiter_cancelled_idle (gpointer user_data)
{
  Waiter *waiter = user_data;
  Job *job = waiter->job;
  GList *link = g_list_find (job->waiters, waiter);

  /* Already completed by the job in the meantime. */
  if (link == NULL)
    return G_SOURCE_REMOVE;

  job->waiters = g_list_delete_link (job->waiters, link);
  g_cancellable_disconnect (waiter->cancellable, waiter->handler);
  g_clear_pointer (&waiter->cancelled_source, g_source_unref);
  g_task_return_new_error (waiter->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "Stopped waiting; the refund is still followed");
  g_clear_object (&waiter->task);
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
  job_unref (job);

  return G_SOURCE_REMOVE;
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     Waiter       *waiter)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  /* Never from inside the handler (g_cancellable_disconnect() would deadlock there), so not
   * g_main_context_invoke() either: it runs the function at once on the owning thread. */
  g_source_set_callback (source, waiter_cancelled_idle, waiter, NULL);
  waiter->cancelled_source = g_source_ref (source);
  g_source_attach (source, g_task_get_context (waiter->task));
}

static void
job_add_waiter (Job   *job,
                GTask *task)
{
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->task = g_object_ref (task);
  waiter->job = job_ref (job);
  job->waiters = g_list_append (job->waiters, waiter);

  if (job->final_row != NULL || job->final_error != NULL)
    {
      job->waiters = g_list_remove (job->waiters, waiter);
      waiter_complete (waiter, NULL);
      job_unref (job);
      return;
    }

  if (g_task_get_cancellable (task) != NULL)
    {
      waiter->cancellable = g_object_ref (g_task_get_cancellable (task));
      waiter->handler = g_cancellable_connect (waiter->cancellable,
                                               G_CALLBACK (waiter_cancelled_cb), waiter, NULL);
    }
}

/* Completes every waiter: with @error if given (the job goes on), else with the outcome. */
static void
job_tell_waiters (Job          *job,
                  const GError *error)
{
  GList *waiters = g_steal_pointer (&job->waiters);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      waiter_complete (waiter, error);
      job_unref (job);
    }
  g_list_free (waiters);
}

static void
job_finish_waiters (Job *job)
{
  job_tell_waiters (job, NULL);
}

/* The job's end: the row (SUCCESS) or an error; then it leaves the table. */
static void
job_end (Job                     *job,
         const SaomaLedgerRefund *row,
         GError                  *error)
{
  g_autoptr(Job) hold = job_ref (job);

  if (row != NULL)
    job->final_row = refund_copy (row);
  else
    job->final_error = error;

  saoma_operation_disarm (&job->op);
  /* Ended without a final state (nothing could be sent): another engine may take it now. */
  if (row == NULL)
    saoma_operation_release_lease (&job->op);
  /* Done before it leaves the table: leaving detaches it, and a detached operation tells the
   * recoveries still counting it that it never got done. */
  saoma_operation_done (&job->op);
  if (job->self != NULL)
    g_hash_table_remove (job->self->jobs, job->out_refund_no);

  job_finish_waiters (job);
}

/* Ledger writes ------------------------------------------------------------------------- */

typedef struct {
  SaomaRefundState  state;
  char             *refund_id;
  char             *detail;
} RefundWrite;

static void
refund_write_free (gpointer data)
{
  RefundWrite *w = data;

  g_free (w->refund_id);
  g_free (w->detail);
  g_free (w);
}

static void
job_write_start (SaomaOperation     *op,
                 gpointer            write,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  Job *job = (Job *)op;
  RefundWrite *w = write;

  saoma_store_update_refund_fenced_async (op->store, job->out_refund_no, w->state, w->refund_id,
                                          w->detail, saoma_operation_get_fence (op), NULL,
                                          callback, user_data);
}

static gpointer
job_write_finish (SaomaOperation *op,
                  GAsyncResult   *result,
                  GError        **error)
{
  return saoma_store_update_refund_finish (op->store, result, error);
}

static void
job_written (SaomaOperation *op,
             gpointer        write,
             gpointer        row)
{
  Job *job = (Job *)op;

  g_clear_pointer (&job->row, saoma_store_refund_free);
  job->row = row;
  saoma_refund_written (&job->facts, job->row->state);
  g_signal_emit (job->self, signals[REFUND_UPDATED], 0, job->row);
}

/* The ledger is the source of truth: the one policy for a failed write (saoma-operation.c).
 * Whoever waits hears of it now; the refund itself carries on from its durable state. */
static void
job_write_failed (SaomaOperation *op,
                  gpointer        write,
                  const GError   *error)
{
  Job *job = (Job *)op;
  g_autoptr(GError) told = g_error_new (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                                        _("The refund could not be recorded: %s"),
                                        error->message);

  g_warning ("Cannot record refund %s: %s", job->out_refund_no, error->message);
  saoma_refund_write_failed (&job->facts);
  job_tell_waiters (job, told);
}

/* Another till took the refund over while this process was stopped: the operation stopped
 * driving it; whoever waits hears so plainly, and the job ends here (its new owner finishes
 * it). */
static void
job_taken_over (SaomaOperation *op)
{
  Job *job = (Job *)op;

  job_end (job, NULL, g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_TAKEN_OVER,
                                           _("Another till took over this refund")));
}

static void
job_write (Job              *job,
           SaomaRefundState  state,
           const char       *refund_id,
           const char       *detail)
{
  RefundWrite *w = g_new0 (RefundWrite, 1);

  w->state = state;
  w->refund_id = g_strdup (refund_id);
  w->detail = g_strdup (detail);
  saoma_operation_write (&job->op, w);
}

#define job_event(job, ...) saoma_operation_event (&(job)->op, __VA_ARGS__)

/* Answers ------------------------------------------------------------------------------- */

static GError *
final_state_error (SaomaRefundState state)
{
  switch (state)
    {
    case SAOMA_REFUND_REFUNDCLOSE:
      return g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_CLOSED,
                                  _("WeChat closed the refund (REFUNDCLOSE): no money was "
                                    "returned."));
    case SAOMA_REFUND_CHANGE:
      return g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_CHANGE,
                                  _("The refund could not reach the customer's account "
                                    "(CHANGE). Finish it by hand in the WeChat Pay merchant "
                                    "platform."));
    case SAOMA_REFUND_FAILED:
      return g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_REJECTED,
                                  _("WeChat Pay refused the refund."));
    case SAOMA_REFUND_CREATED:
    case SAOMA_REFUND_UNKNOWN:
    case SAOMA_REFUND_PROCESSING:
    case SAOMA_REFUND_SUCCESS:
    default:
      g_assert_not_reached ();
    }
}

/* For the audit log: WeChat's error code, or the transport's message. */
static const char *
error_name (const GError *error)
{
  g_autofree char *code = NULL;

  if (error->domain != SAOMA_GATEWAY_ERROR)
    return error->message;

  /* Interned: the gateway's codes are a small set. */
  code = saoma_gateway_error_dup_protocol_code (error);
  return g_intern_string (code);
}

/* Nothing can be sent from this process: no key, no certificate. */
static gboolean
is_config_error (const GError *error)
{
  return g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG)
         || g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_NO_CERTIFICATE);
}

static GError *
rejection_error (const GError *error)
{
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_NOT_ENOUGH))
    return g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOTENOUGH,
                                _("WeChat Pay refused the refund: the merchant account does "
                                  "not have enough refundable balance (NOTENOUGH). Top up the "
                                  "balance, then try again."));

  if (is_config_error (error))
    return g_error_new_literal (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NO_CERTIFICATE,
                                _("Refunds need the merchant client certificate "
                                  "(apiclient_cert). Choose it in Preferences."));

  return g_error_new (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_REJECTED,
                      _("WeChat Pay refused the refund: %s"), error->message);
}

/* The answer's refund number and amount, when it names them, must be the request's. */
static gboolean
answer_matches (Job                     *job,
                const SaomaRefundStatus *answer)
{
  if (answer->out_refund_no != NULL && g_strcmp0 (answer->out_refund_no, job->out_refund_no) != 0)
    return FALSE;
  if (answer->amount >= 0 && answer->amount != job->refund_fee)
    return FALSE;

  return TRUE;
}

static gboolean
ledger_refund_state (SaomaGatewayRefundState  state,
                     SaomaRefundState        *out_state)
{
  switch (state)
    {
    case SAOMA_GATEWAY_REFUND_SUCCESS:
      *out_state = SAOMA_REFUND_SUCCESS;
      return TRUE;
    case SAOMA_GATEWAY_REFUND_PROCESSING:
      *out_state = SAOMA_REFUND_PROCESSING;
      return TRUE;
    case SAOMA_GATEWAY_REFUND_CLOSED:
      *out_state = SAOMA_REFUND_REFUNDCLOSE;
      return TRUE;
    case SAOMA_GATEWAY_REFUND_CHANGE:
      *out_state = SAOMA_REFUND_CHANGE;
      return TRUE;
    case SAOMA_GATEWAY_REFUND_UNKNOWN:
    default:
      return FALSE;
    }
}


static void
job_set_last_error (Job          *job,
                    const GError *error)
{
  g_clear_error (&job->last_error);
  job->last_error = error ? g_error_copy (error) : NULL;
}

static void
job_send_answered (SaomaOperation *op,
                   gconstpointer   answer_data,
                   const GError   *gateway_error)
{
  Job *job = (Job *)op;
  const SaomaRefundStatus *answer = answer_data;
  g_autoptr(GError) mismatch = NULL;
  const GError *error = gateway_error;

  if (answer != NULL && !answer_matches (job, answer))
    {
      answer = NULL;
      error = mismatch = g_error_new_literal (SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MISMATCH,
                                              "MISMATCH: refund answer does not match the "
                                              "request");
    }
  job_set_last_error (job, error);

  if (answer != NULL)
    {
      job_event (job, "response", "refund %s → SUCCESS (accepted)", job->out_refund_no);
      g_free (job->refund_id);
      job->refund_id = g_strdup (answer->refund_id);
      saoma_refund_absorb (&job->facts, SAOMA_REFUND_NEWS_ACCEPTED, FALSE, job->facts.state);
    }
  else if (saoma_gateway_error_is_outcome_unknown (error)
           || g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_RATE_LIMITED))
    {
      /* Rate limits are retried the same way as an unknown outcome. */
      job_event (job, "response", "refund %s → %s (unknown, will retry)", job->out_refund_no,
                 error_name (error));
      saoma_refund_absorb (&job->facts, SAOMA_REFUND_NEWS_SEND_UNKNOWN, FALSE,
                           job->facts.state);
    }
  else
    {
      g_clear_error (&job->rejection);
      job->rejection = rejection_error (error);
      saoma_refund_absorb (&job->facts, SAOMA_REFUND_NEWS_REFUSED, is_config_error (error),
                           job->facts.state);
    }
}

static void
job_send_start (SaomaOperation     *op,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  Job *job = (Job *)op;
  /* Always the same values for one out_refund_no. */
  SaomaRefundRequest request = {
    .out_trade_no = job->out_trade_no,
    .out_refund_no = job->out_refund_no,
    .total = job->total_fee,
    .amount = job->refund_fee,
    .reason = job->reason,
    .notify_url = job->notify_url,
  };

  saoma_gateway_refund_async (job->gateway, &request, cancellable, callback, user_data);
}

static const SaomaOperationCall refund_call = {
  job_send_start, (gpointer)saoma_gateway_refund_finish, job_send_answered,
  (GDestroyNotify)saoma_refund_status_free, NULL, NULL,
};

static void
job_query_answered (SaomaOperation *op,
                    gconstpointer   answer_data,
                    const GError   *error)
{
  Job *job = (Job *)op;
  const SaomaRefundStatus *answer = answer_data;
  SaomaRefundState state;

  job_set_last_error (job, error);

  if (answer == NULL)
    {
      gboolean not_exist = g_error_matches (error, SAOMA_GATEWAY_ERROR,
                                            SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST);
      SaomaRefundState now = job->facts.state;

      if (not_exist && (now == SAOMA_REFUND_UNKNOWN || now == SAOMA_REFUND_CREATED)
          && job->facts.rejected_retry)
        /* WeChat refused the request and has no such refund: it never happened. */
        job_event (job, "response", "refundquery %s → REFUNDNOTEXIST after a refusal",
                   job->out_refund_no);
      else if (not_exist && now == SAOMA_REFUND_UNKNOWN)
        /* Our earlier request never arrived: send it again, same number. */
        job_event (job, "response", "refundquery %s → REFUNDNOTEXIST; resending",
                   job->out_refund_no);
      else
        /* Also an answer that does not list this refund: ask again later. */
        job_event (job, "response", "refundquery %s → %s", job->out_refund_no,
                   error_name (error));
      saoma_refund_absorb (&job->facts, not_exist ? SAOMA_REFUND_NEWS_NOT_EXIST
                                                  : SAOMA_REFUND_NEWS_QUERY_FAILED,
                           FALSE, job->facts.state);
      return;
    }

  /* WeChat knows this refund: a refused retry's question is answered. */
  g_clear_error (&job->rejection);
  g_free (job->status);
  job->status = g_strdup (answer->state_text);

  if (answer->amount != job->refund_fee || !ledger_refund_state (answer->state, &state))
    {
      job_event (job, "response", "refundquery %s: unexpected answer (status %s)",
                 job->out_refund_no, job->status ? job->status : "(none)");
      saoma_refund_absorb (&job->facts, SAOMA_REFUND_NEWS_CONTRADICTING, FALSE,
                           job->facts.state);
      return;
    }

  job_event (job, "response", "refundquery %s → %s", job->out_refund_no, job->status);
  g_free (job->refund_id);
  job->refund_id = g_strdup (answer->refund_id);
  saoma_refund_absorb (&job->facts, SAOMA_REFUND_NEWS_STATUS, FALSE, state);
}

static void
job_query_start (SaomaOperation     *op,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  Job *job = (Job *)op;

  saoma_gateway_query_refund_async (job->gateway, job->out_refund_no, cancellable, callback,
                                    user_data);
}

static const SaomaOperationCall refundquery_call = {
  job_query_start, (gpointer)saoma_gateway_query_refund_finish, job_query_answered,
  (GDestroyNotify)saoma_refund_status_free, NULL, NULL,
};

/* The decision, carried out ------------------------------------------------------------- */

static SaomaRefundTiming
job_timing (Job *job)
{
  return (SaomaRefundTiming) {
    .retry = (gint64)job->self->retry_interval_ms * 1000,
    .query = (gint64)job->self->query_interval_ms * 1000,
    .slow_query = (gint64)SLOW_QUERY_INTERVAL_MS * 1000,
    .fast_queries = FAST_QUERIES,
  };
}

static GError *
job_take_rejection (Job *job)
{
  if (job->rejection != NULL)
    return g_steal_pointer (&job->rejection);
  return final_state_error (SAOMA_REFUND_FAILED);
}

static void
job_carry_out_end (Job                       *job,
                   const SaomaRefundDecision *decision)
{
  switch (decision->end)
    {
    case SAOMA_REFUND_END_SUCCESS:
      job_end (job, job->row, NULL);
      break;
    case SAOMA_REFUND_END_FINAL_STATE:
      job_end (job, NULL, final_state_error (job->facts.state));
      break;
    case SAOMA_REFUND_END_REJECTED:
      job_end (job, NULL, job_take_rejection (job));
      break;
    case SAOMA_REFUND_END_NOT_RESUMED:
      job_event (job, "note", "refund %s not resumed: %s", job->out_refund_no,
                 job->last_error ? job->last_error->message : "?");
      job_end (job, NULL, job_take_rejection (job));
      break;
    case SAOMA_REFUND_END_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
job_carry_out_fail (Job                       *job,
                    const SaomaRefundDecision *decision)
{
  g_autofree char *detail = NULL;

  switch (decision->why)
    {
    case SAOMA_REFUND_WHY_NOT_SENT_CONFIG:
      detail = g_strdup ("refund not sent: configuration");
      break;
    case SAOMA_REFUND_WHY_UNKNOWN_TO_WECHAT:
      detail = g_strdup ("refund rejected on retry, unknown to WeChat");
      break;
    case SAOMA_REFUND_WHY_REJECTED:
    case SAOMA_REFUND_WHY_NONE:
    case SAOMA_REFUND_WHY_ACCEPTED:
    case SAOMA_REFUND_WHY_SEND_UNKNOWN:
    case SAOMA_REFUND_WHY_BY_QUERY:
    case SAOMA_REFUND_WHY_RETRY_REFUSED:
    default:
      detail = g_strdup_printf ("refund %s rejected: %s", job->out_refund_no,
                                job->last_error ? error_name (job->last_error) : "?");
      job_event (job, "response", "%s", detail);
      break;
    }
  job_write (job, SAOMA_REFUND_FAILED, NULL, detail);
}

/* Gather the facts, decide, carry the decision out. */
static void
job_step (Job *job)
{
  SaomaRefundTiming timing;
  SaomaRefundDecision decision;
  g_autoptr(Job) hold = NULL;
  gint64 now;

  if (!job_alive (job))
    return;

  hold = job_ref (job);
  timing = job_timing (job);
  now = saoma_operation_now (&job->op);
  job->facts.writing = saoma_operation_is_writing (&job->op);
  job->facts.net_busy = saoma_operation_is_sending (&job->op);
  job->facts.waiting = saoma_operation_is_armed (&job->op);
  decision = saoma_refund_decide (&job->facts, now, &timing);

  if (decision.action != SAOMA_REFUND_ACTION_NONE)
    saoma_operation_disarm (&job->op);
  saoma_refund_carried_out (&job->facts, &decision);

  switch (decision.action)
    {
    case SAOMA_REFUND_ACTION_NONE:
      break;

    case SAOMA_REFUND_ACTION_WAIT:
      saoma_operation_arm (&job->op, decision.at);
      break;

    case SAOMA_REFUND_ACTION_SEND:
      job_event (job, "request", "refund %s, %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                 " fen (send %u)", job->out_refund_no, job->refund_fee, job->total_fee,
                 job->facts.n_sends);
      saoma_operation_send (&job->op, &refund_call);
      break;

    case SAOMA_REFUND_ACTION_QUERY:
      if (decision.why == SAOMA_REFUND_WHY_RETRY_REFUSED)
        job_event (job, "response", "refund %s retry → %s; querying", job->out_refund_no,
                   job->last_error ? error_name (job->last_error) : "?");
      saoma_operation_send (&job->op, &refundquery_call);
      break;

    case SAOMA_REFUND_ACTION_WRITE:
      {
        g_autofree char *detail = NULL;
        const char *refund_id = job->refund_id;

        if (decision.why == SAOMA_REFUND_WHY_ACCEPTED)
          detail = g_strdup_printf ("refund %s accepted by WeChat", job->out_refund_no);
        else if (decision.why == SAOMA_REFUND_WHY_SEND_UNKNOWN)
          {
            detail = g_strdup_printf ("refund %s outcome unknown: %s", job->out_refund_no,
                                      job->last_error ? error_name (job->last_error) : "?");
            refund_id = NULL;
          }
        else
          detail = g_strdup_printf ("refund %s %s by refundquery", job->out_refund_no,
                                    job->status ? job->status : "?");
        job_write (job, decision.to, refund_id, detail);
      }
      break;

    case SAOMA_REFUND_ACTION_FAIL:
      job_carry_out_fail (job, &decision);
      break;

    case SAOMA_REFUND_ACTION_END:
      job_carry_out_end (job, &decision);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
job_op_step (SaomaOperation *op)
{
  job_step ((Job *)op);
}

static void
job_op_finalize (SaomaOperation *op)
{
  Job *job = (Job *)op;

  g_assert (job->waiters == NULL);
  g_clear_object (&job->gateway);
  g_free (job->out_refund_no);
  g_free (job->out_trade_no);
  g_free (job->reason);
  g_free (job->notify_url);
  g_free (job->refund_id);
  g_free (job->status);
  g_clear_pointer (&job->row, saoma_store_refund_free);
  g_clear_pointer (&job->final_row, saoma_store_refund_free);
  g_clear_error (&job->final_error);
  g_clear_error (&job->rejection);
  g_clear_error (&job->last_error);
}

static const SaomaOperationClass job_class = {
  .name = "refund",
  .step = job_op_step,
  .write_start = job_write_start,
  .write_finish = job_write_finish,
  .written = job_written,
  .write_failed = job_write_failed,
  .write_free = refund_write_free,
  .row_free = (GDestroyNotify)saoma_store_refund_free,
  .taken_over = job_taken_over,
  .finalize = job_op_finalize,
};

/* Starting jobs ------------------------------------------------------------------------- */

static Job *
job_new (SaomaRefunder           *self,
         const SaomaLedgerRefund *row,
         gint64                   total_fee,
         gboolean                 fresh)
{
  Job *job = saoma_operation_new (&job_class, sizeof (Job), self->clock, self->store,
                                  self->cancellable, row->out_trade_no);

  job->op.recorded = TRUE;
  job->op.write_backoff = (gint64)self->retry_interval_ms * 1000;
  job->self = self;
  job->gateway = g_object_ref (self->gateway);
  job->out_refund_no = g_strdup (row->out_refund_no);
  job->out_trade_no = g_strdup (row->out_trade_no);
  job->reason = g_strdup (row->reason);
  job->notify_url = g_strdup (self->notify_url);
  job->refund_fee = row->amount;
  job->total_fee = total_fee;
  job->row = refund_copy (row);
  saoma_refund_facts_init (&job->facts, row->state, fresh);

  /* The table owns the job's initial reference. */
  g_hash_table_insert (self->jobs, job->out_refund_no, job);

  return job;
}

/* Drives a refund that is in the ledger from its durable state, holding its lease (claimed
 * for this refunder's owner) before its first write or request: every write carries it. */
static Job *
job_start (SaomaRefunder           *self,
           const SaomaLedgerRefund *row,
           gint64                   total_fee)
{
  Job *job = g_hash_table_lookup (self->jobs, row->out_refund_no);

  if (job != NULL)
    return job;

  job = job_new (self, row, total_fee, FALSE);
  saoma_operation_hold_lease (&job->op, SAOMA_LEASE_REFUND, row->out_refund_no,
                              refunder_owner (self));
  job_step (job);

  return job;
}

/* GObject ------------------------------------------------------------------------------- */

static void
job_detach (gpointer data)
{
  Job *job = data;

  saoma_operation_detach (&job->op);
  job->self = NULL;
  job_unref (job);
}

static void
saoma_refunder_dispose (GObject *object)
{
  SaomaRefunder *self = SAOMA_REFUNDER (object);
  GHashTableIter iter;
  gpointer value;

  g_cancellable_cancel (self->cancellable);

  /* No waiters can exist here: their GTasks hold a reference on us. */
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Job *job = value;

      saoma_operation_detach (&job->op);
      job->self = NULL;
    }
  g_hash_table_remove_all (self->jobs);

  g_clear_object (&self->gateway);
  g_clear_object (&self->store);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (saoma_refunder_parent_class)->dispose (object);
}

static void
saoma_refunder_finalize (GObject *object)
{
  SaomaRefunder *self = SAOMA_REFUNDER (object);

  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  g_free (self->till_id);
  g_free (self->owner);
  g_clear_object (&self->pin_guard);
  g_free (self->notify_url);

  G_OBJECT_CLASS (saoma_refunder_parent_class)->finalize (object);
}

static void
saoma_refunder_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  SaomaRefunder *self = SAOMA_REFUNDER (object);

  switch (prop_id)
    {
    case PROP_GATEWAY:
      g_value_set_object (value, self->gateway);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_TILL_ID:
      g_value_set_string (value, self->till_id);
      break;
    case PROP_RETRY_INTERVAL:
      g_value_set_uint (value, self->retry_interval_ms);
      break;
    case PROP_QUERY_INTERVAL:
      g_value_set_uint (value, self->query_interval_ms);
      break;
    case PROP_NOTIFY_URL:
      g_value_set_string (value, self->notify_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_refunder_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  SaomaRefunder *self = SAOMA_REFUNDER (object);

  switch (prop_id)
    {
    case PROP_GATEWAY:
      saoma_refunder_set_gateway (self, g_value_get_object (value));
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_TILL_ID:
      g_free (self->till_id);
      self->till_id = g_value_dup_string (value);
      break;
    case PROP_PIN_GUARD:
      saoma_refunder_set_pin_guard (self, g_value_get_object (value));
      break;
    case PROP_RETRY_INTERVAL:
      saoma_refunder_set_retry_interval (self, g_value_get_uint (value));
      break;
    case PROP_QUERY_INTERVAL:
      saoma_refunder_set_query_interval (self, g_value_get_uint (value));
      break;
    case PROP_NOTIFY_URL:
      saoma_refunder_set_notify_url (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_refunder_constructed (GObject *object)
{
  SaomaRefunder *self = SAOMA_REFUNDER (object);

  G_OBJECT_CLASS (saoma_refunder_parent_class)->constructed (object);

  if (self->clock == NULL)
    self->clock = g_object_ref (saoma_clock_get_default ());
  if (self->till_id == NULL)
    self->till_id = g_strdup ("T01");
}

static void
saoma_refunder_class_init (SaomaRefunderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_refunder_dispose;
  object_class->finalize = saoma_refunder_finalize;
  object_class->get_property = saoma_refunder_get_property;
  object_class->set_property = saoma_refunder_set_property;
  object_class->constructed = saoma_refunder_constructed;

  properties[PROP_GATEWAY] =
    g_param_spec_object ("gateway", NULL, NULL, SAOMA_TYPE_GATEWAY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS
                         | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, SAOMA_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, SAOMA_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TILL_ID] =
    g_param_spec_string ("till-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PIN_GUARD] =
    g_param_spec_object ("pin-guard", NULL, NULL, SAOMA_TYPE_PIN_GUARD,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_INTERVAL] =
    g_param_spec_uint ("retry-interval", NULL, NULL, 1, G_MAXUINT, DEFAULT_RETRY_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_QUERY_INTERVAL] =
    g_param_spec_uint ("query-interval", NULL, NULL, 1, G_MAXUINT, DEFAULT_QUERY_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NOTIFY_URL] =
    g_param_spec_string ("notify-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[REFUND_UPDATED] =
    g_signal_new ("refund-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * SaomaRefunder::left-alone:
   * @out_refund_no: an unfinished refund resume did not take
   * @owner: (nullable): the owner that holds its lease
   *
   * Emitted by a resume for each unfinished refund another running engine drives (DESIGN.md,
   * "Ownership").
   */
  signals[LEFT_ALONE] =
    g_signal_new ("left-alone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

/* The lease owner of the refunds it drives: this process and its till. */
static const char *
refunder_owner (SaomaRefunder *self)
{
  if (self->owner == NULL)
    self->owner = saoma_lease_owner_new (self->till_id);
  return self->owner;
}

static void
saoma_refunder_init (SaomaRefunder *self)
{
  self->retry_interval_ms = DEFAULT_RETRY_INTERVAL_MS;
  self->query_interval_ms = DEFAULT_QUERY_INTERVAL_MS;
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, job_detach);
  self->cancellable = g_cancellable_new ();
}

/* Public API ---------------------------------------------------------------------------- */

/**
 * saoma_refunder_new:
 * @gateway: the payment gateway (v2 needs the merchant client certificate for refunds)
 * @store: the store refunds are written to
 * @clock: (nullable): time and timers; %NULL for the real clock
 * @till_id: (nullable): prefix of new out_refund_no values
 *
 * Returns: (transfer full): a new refunder
 */
SaomaRefunder *
saoma_refunder_new (SaomaGateway *gateway,
                    SaomaStore   *store,
                    SaomaClock  *clock,
                    const char  *till_id)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (SAOMA_IS_STORE (store), NULL);
  g_return_val_if_fail (clock == NULL || SAOMA_IS_CLOCK (clock), NULL);

  return g_object_new (SAOMA_TYPE_REFUNDER,
                       "gateway", gateway,
                       "store", store,
                       "clock", clock,
                       "till-id", till_id,
                       NULL);
}

SaomaStore *
saoma_refunder_get_store (SaomaRefunder *self)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), NULL);
  return self->store;
}

/**
 * saoma_refunder_set_notify_url:
 * @self: a #SaomaRefunder
 * @notify_url: (nullable): where WeChat should post refund notifications (§10), or %NULL for
 *   the merchant platform's setting
 *
 * Refunds started (or resumed) from now on send it as the request's notify_url.
 */
void
saoma_refunder_set_notify_url (SaomaRefunder *self,
                               const char    *notify_url)
{
  g_return_if_fail (SAOMA_IS_REFUNDER (self));

  if (notify_url != NULL && *notify_url == '\0')
    notify_url = NULL;
  if (g_strcmp0 (self->notify_url, notify_url) == 0)
    return;

  g_free (self->notify_url);
  self->notify_url = g_strdup (notify_url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFY_URL]);
}

SaomaGateway *
saoma_refunder_get_gateway (SaomaRefunder *self)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), NULL);

  return self->gateway;
}

void
saoma_refunder_set_gateway (SaomaRefunder *self,
                            SaomaGateway  *gateway)
{
  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  g_return_if_fail (gateway == NULL || SAOMA_IS_GATEWAY (gateway));

  if (g_set_object (&self->gateway, gateway))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GATEWAY]);
}

void
saoma_refunder_set_pin_guard (SaomaRefunder *self,
                              SaomaPinGuard *pin_guard)
{
  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  g_return_if_fail (pin_guard == NULL || SAOMA_IS_PIN_GUARD (pin_guard));

  g_set_object (&self->pin_guard, pin_guard);
}

static void
set_interval (SaomaRefunder *self,
              guint         *field,
              guint          interval_ms,
              guint          prop_id)
{
  g_return_if_fail (interval_ms > 0);

  if (*field != interval_ms)
    {
      *field = interval_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
}

void
saoma_refunder_set_retry_interval (SaomaRefunder *self,
                                   guint          interval_ms)
{
  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  set_interval (self, &self->retry_interval_ms, interval_ms, PROP_RETRY_INTERVAL);
}

void
saoma_refunder_set_query_interval (SaomaRefunder *self,
                                   guint          interval_ms)
{
  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  set_interval (self, &self->query_interval_ms, interval_ms, PROP_QUERY_INTERVAL);
}

guint
saoma_refunder_get_n_active (SaomaRefunder *self)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), 0);

  return g_hash_table_size (self->jobs);
}


/* refund_async: checks, then insert, then a job --------------------------------------- */

typedef struct {
  char         *out_trade_no;
  char         *reason;
  char         *pin;
  gint64        amount;
  gint64        total_fee;
  SaomaGateway *gateway;
} RefundData;

static void
refund_data_free (RefundData *data)
{
  g_free (data->out_trade_no);
  g_free (data->reason);
  if (data->pin != NULL)
    {
      memset (data->pin, 0, strlen (data->pin));
      g_free (data->pin);
    }
  g_clear_object (&data->gateway);
  g_free (data);
}

static void
refund_inserted_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  RefundData *data = g_task_get_task_data (task);
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;
  Job *job;

  row = saoma_store_insert_refund_finish (SAOMA_STORE (source), result, &error);
  if (row == NULL)
    {
      if (g_error_matches (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_INVALID))
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND,
                                 _("This refund is more than what is left to refund on the "
                                   "order."));
      else
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                                 _("The refund could not be recorded: %s"), error->message);
      return;
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      /* Written but never sent: the next start resumes it from CREATED. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The refunder was shut down");
      return;
    }

  g_signal_emit (self, signals[REFUND_UPDATED], 0, row);

  /* Durable now: only from here may a request leave the machine. */
  job = job_new (self, row, data->total_fee, TRUE);
  saoma_operation_hold_lease (&job->op, SAOMA_LEASE_REFUND, row->out_refund_no,
                              refunder_owner (self));
  g_set_object (&job->gateway, data->gateway);
  job_add_waiter (job, task);
  job_step (job);
}

static void
refund_insert (GTask *task)
{
  SaomaRefunder *self = g_task_get_source_object (task);
  RefundData *data = g_task_get_task_data (task);
  g_autoptr(GDateTime) now = saoma_clock_now_datetime (self->clock);
  g_autofree char *out_refund_no = saoma_gateway_new_out_refund_no (data->gateway, self->till_id,
                                                                   now);

  /* Nothing is written yet: a caller who gave up gets nothing done. */
  if (g_task_return_error_if_cancelled (task))
    return;

  /* The lease is taken in the insert's own write. */
  saoma_store_insert_refund_leased_async (self->store, data->out_trade_no, out_refund_no,
                                          data->amount, data->reason, refunder_owner (self), NULL,
                                          refund_inserted_cb, g_object_ref (task));
}

static void
refund_list_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefundData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  gint64 committed = 0;
  guint count = 0;

  refunds = saoma_store_list_refunds_finish (SAOMA_STORE (source), result, &error);
  if (refunds == NULL)
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                               _("The ledger could not be read: %s"), error->message);
      return;
    }

  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);

      /* A request WeChat never accepted is not one of its 50. */
      if (refund->state != SAOMA_REFUND_FAILED)
        count++;
      if (refund->state != SAOMA_REFUND_FAILED && refund->state != SAOMA_REFUND_REFUNDCLOSE)
        committed += refund->amount;
    }

  if (count >= SAOMA_REFUNDER_MAX_REFUNDS)
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_TOO_MANY,
                               _("This order already has %d refunds, the most WeChat Pay "
                                 "allows."), SAOMA_REFUNDER_MAX_REFUNDS);
      return;
    }

  if (data->amount > data->total_fee - committed)
    {
      g_autofree char *asked = saoma_money_format (data->amount);
      g_autofree char *left = saoma_money_format (MAX (0, data->total_fee - committed));

      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND,
                               _("Cannot refund %s: only %s is left to refund on this order."),
                               asked, left);
      return;
    }

  refund_insert (task);
}

static void
refund_attempt_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  RefundData *data = g_task_get_task_data (task);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttemptState state;

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (source), result, &error);
  if (attempt == NULL)
    {
      if (g_error_matches (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND))
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOT_FOUND,
                                 _("No order “%s” in the ledger."), data->out_trade_no);
      else
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                                 _("The ledger could not be read: %s"), error->message);
      return;
    }

  state = saoma_attempt_get_state (attempt);
  if (state != SAOMA_ATTEMPT_PAID && state != SAOMA_ATTEMPT_PARTIALLY_REFUNDED)
    {
      if (state == SAOMA_ATTEMPT_REFUNDED)
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_OVER_REFUND,
                                 _("This order has already been refunded in full."));
      else
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOT_REFUNDABLE,
                                 _("Only a paid order can be refunded; this one is %s."),
                                 saoma_attempt_state_to_string (state));
      return;
    }

  data->total_fee = saoma_attempt_get_amount (attempt);
  saoma_store_list_refunds_async (self->store, data->out_trade_no, 0, 0, NULL,
                                  refund_list_cb, g_object_ref (task));
}

static void
refund_pin_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  RefundData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!saoma_pin_guard_check_finish (SAOMA_PIN_GUARD (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  saoma_store_get_attempt_async (self->store, data->out_trade_no, NULL, refund_attempt_cb,
                                 g_object_ref (task));
}

/**
 * saoma_refunder_refund_async:
 * @self: a #SaomaRefunder
 * @out_trade_no: the paid order
 * @amount: fen to refund, > 0
 * @reason: (nullable): refund_desc, shown to the customer
 * @pin: the manager PIN as typed
 * @cancellable: (nullable): stops waiting (not the refund)
 * @callback: called when the refund is final or refused
 * @user_data: data for @callback
 */
void
saoma_refunder_refund_async (SaomaRefunder       *self,
                             const char          *out_trade_no,
                             gint64               amount,
                             const char          *reason,
                             const char          *pin,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RefundData *data;

  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  g_return_if_fail (out_trade_no != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_refunder_refund_async);
  /* Our own cancellation is reported by the waiter, not by GTask at return time. */
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (RefundData, 1);
  data->out_trade_no = g_strdup (out_trade_no);
  /* refund_desc is String(80) (reference §7); cut it before it is written, so every retry
   * sends exactly what the ledger holds. */
  if (reason != NULL && g_utf8_validate (reason, -1, NULL) && g_utf8_strlen (reason, -1) > 80)
    data->reason = g_utf8_substring (reason, 0, 80);
  else
    data->reason = g_strdup (reason);
  data->pin = g_strdup (pin);
  data->amount = amount;
  data->gateway = self->gateway ? g_object_ref (self->gateway) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) refund_data_free);

  if (amount <= 0)
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_INVALID_AMOUNT,
                               _("Enter an amount to refund greater than zero."));
      return;
    }

  if (data->gateway == NULL || !saoma_gateway_has_certificate (data->gateway))
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NO_CERTIFICATE,
                               _("Refunds need the merchant client certificate "
                                 "(apiclient_cert). Choose it in Preferences."));
      return;
    }

  /* Every PIN check goes through the guard: its delays and lockout hold here too. */
  if (self->pin_guard == NULL)
    {
      g_task_return_new_error (task, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET,
                               _("No manager PIN has been set. Set one in Preferences."));
      return;
    }
  saoma_pin_guard_check_async (self->pin_guard, pin, NULL, refund_pin_cb, g_object_ref (task));
}

/**
 * saoma_refunder_refund_finish:
 *
 * Returns: (transfer full): the refund row, in state SUCCESS
 */
SaomaLedgerRefund *
saoma_refunder_refund_finish (SaomaRefunder  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
saoma_refunder_hint (SaomaRefunder *self,
                     const char    *out_refund_no)
{
  Job *job;

  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), FALSE);
  g_return_val_if_fail (out_refund_no != NULL, FALSE);

  job = g_hash_table_lookup (self->jobs, out_refund_no);
  if (job == NULL)
    return FALSE;

  /* Only a refund waiting for its next step is moved forward; one with a request in flight
   * gets its answer anyway. */
  job->facts.news = SAOMA_REFUND_NEWS_HINT;
  job_step (job);
  return TRUE;
}

/* resume / follow ----------------------------------------------------------------------- */

typedef struct {
  GTask             *task;
  SaomaLedgerRefund *row;
} ResumeItem;

static void
resume_attempt_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ResumeItem *item = user_data;
  g_autoptr(GTask) task = item->task;
  g_autoptr(SaomaLedgerRefund) row = item->row;
  SaomaRefunder *self = g_task_get_source_object (task);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  Job *job;

  g_free (item);

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (source), result, &error);
  if (attempt != NULL && !g_cancellable_is_cancelled (self->cancellable) && self->gateway != NULL)
    {
      /* Counted by the recovery until it ends (the outcome is in the ledger). */
      job = job_start (self, row, saoma_attempt_get_amount (attempt));
      if (job->final_row == NULL && job->final_error == NULL)
        saoma_recovery_add (task, &job->op);
    }
  else if (error != NULL)
    g_warning ("Cannot resume refund %s: %s", row->out_refund_no, error->message);

  saoma_recovery_release (task);
}

static void
resume_list_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  SaomaLeaseTakeOver *take_over = g_object_get_data (G_OBJECT (task), "saoma-take-over");
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  guint resumed = 0;

  refunds = saoma_store_list_unfinished_refunds_finish (SAOMA_STORE (source), result, &error);
  if (refunds == NULL)
    {
      saoma_recovery_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Not done while we are still dispatching. */
  saoma_recovery_hold (task);
  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);
      ResumeItem *item;

      if (saoma_refund_state_is_final (refund->state))
        continue;

      /* Only what the take-over won: another engine's refund is left alone, and said so. */
      if (!g_hash_table_contains (take_over->won, refund->out_refund_no) &&
          !g_hash_table_contains (self->jobs, refund->out_refund_no))
        {
          SaomaLedgerLease *held = g_hash_table_lookup (take_over->held, refund->out_refund_no);
          const char *owner = held != NULL ? held->owner : NULL;

          g_message ("refund %s: owned by %s, left alone", refund->out_refund_no,
                     owner ? owner : "another engine");
          g_signal_emit (self, signals[LEFT_ALONE], 0, refund->out_refund_no, owner);
          continue;
        }

      /* Held until its job is counted in (or could not be started). */
      resumed++;
      saoma_recovery_count (task);
      saoma_recovery_hold (task);
      item = g_new0 (ResumeItem, 1);
      item->task = g_object_ref (task);
      item->row = g_ptr_array_steal_index_fast (refunds, i);
      i--;
      saoma_store_get_attempt_async (self->store, item->row->out_trade_no, NULL,
                                     resume_attempt_cb, item);
    }
  g_debug ("Resuming %u refunds", resumed);
  saoma_recovery_release (task);
}

static void
resume_take_over_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  SaomaLeaseTakeOver *take_over = saoma_lease_take_over_finish (result, &error);

  if (take_over == NULL)
    {
      saoma_recovery_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Listed after the claims (DESIGN.md, "Ownership"). */
  g_object_set_data_full (G_OBJECT (task), "saoma-take-over", take_over,
                          (GDestroyNotify) saoma_lease_take_over_free);
  saoma_store_list_unfinished_refunds_async (self->store, NULL, resume_list_cb,
                                             g_steal_pointer (&task));
}

/**
 * saoma_refunder_resume_async:
 * @self: a #SaomaRefunder
 * @cancellable: (nullable): stops waiting
 * @callback: called once every resumed refund is final
 * @user_data: data for @callback
 */
void
saoma_refunder_resume_async (SaomaRefunder       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SAOMA_IS_REFUNDER (self));

  task = saoma_recovery_new (self, cancellable, callback, user_data,
                             saoma_refunder_resume_async);
  if (saoma_recovery_has_returned (task))
    return;

  saoma_lease_take_over_async (self->store, SAOMA_LEASE_REFUND, refunder_owner (self), NULL,
                               resume_take_over_cb, g_object_ref (task));
}

guint
saoma_refunder_resume_finish (SaomaRefunder  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return saoma_recovery_finish (result, error);
}

static void
follow_attempt_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ResumeItem *item = user_data;
  g_autoptr(GTask) task = item->task;
  g_autoptr(SaomaLedgerRefund) row = item->row;
  SaomaRefunder *self = g_task_get_source_object (task);
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;

  g_free (item);

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (source), result, &error);
  if (attempt == NULL)
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                               _("The ledger could not be read: %s"), error->message);
      return;
    }
  if (self->gateway == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The refunder was shut down");
      return;
    }

  job_add_waiter (job_start (self, row, saoma_attempt_get_amount (attempt)), task);
}

/* The refund's lease, claimed for this refunder before it drives it (DESIGN.md, "Ownership"):
 * a refund another living till drives is left to it, and the caller told so. */
static void
follow_claimed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ResumeItem *item = user_data;
  SaomaRefunder *self = g_task_get_source_object (item->task);
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;

  if (!saoma_lease_claim_finish (result, &holder, &error))
    {
      g_autoptr(GTask) task = item->task;
      g_autoptr(SaomaLedgerRefund) row = item->row;

      g_free (item);
      if (error != NULL)
        g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                                 _("The ledger could not be read: %s"), error->message);
      else
        {
          g_message ("refund %s: owned by %s, left alone", row->out_refund_no,
                     holder ? holder : "another engine");
          g_signal_emit (self, signals[LEFT_ALONE], 0, row->out_refund_no, holder);
          g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_TAKEN_OVER,
                                   _("Another till is finishing this refund. Its result "
                                     "shows in History once it is known."));
        }
      return;
    }

  saoma_store_get_attempt_async (self->store, item->row->out_trade_no, NULL, follow_attempt_cb,
                                 item);
}

static void
follow_list_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  const char *out_refund_no = g_task_get_task_data (task);
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  Job *job;

  refunds = saoma_store_list_refunds_finish (SAOMA_STORE (source), result, &error);
  if (refunds == NULL)
    {
      g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                               _("The ledger could not be read: %s"), error->message);
      return;
    }

  /* It may have been started while we were reading. */
  if ((job = g_hash_table_lookup (self->jobs, out_refund_no)) != NULL)
    {
      job_add_waiter (job, task);
      return;
    }

  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);
      ResumeItem *item;

      if (g_strcmp0 (refund->out_refund_no, out_refund_no) != 0)
        continue;

      if (refund->state == SAOMA_REFUND_SUCCESS)
        g_task_return_pointer (task, refund_copy (refund),
                               (GDestroyNotify) saoma_store_refund_free);
      else if (saoma_refund_state_is_final (refund->state))
        g_task_return_error (task, final_state_error (refund->state));
      else
        {
          item = g_new0 (ResumeItem, 1);
          item->task = g_object_ref (task);
          item->row = refund_copy (refund);
          saoma_lease_claim_async (self->store, SAOMA_LEASE_REFUND, refund->out_refund_no,
                                   refunder_owner (self), NULL, follow_claimed_cb, item);
        }
      return;
    }

  g_task_return_new_error (task, SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_NOT_FOUND,
                           _("No refund “%s” in the ledger."), out_refund_no);
}

/**
 * saoma_refunder_follow_async:
 * @self: a #SaomaRefunder
 * @out_refund_no: a refund in the ledger
 * @cancellable: (nullable): stops waiting
 * @callback: called once the refund is final
 * @user_data: data for @callback
 */
void
saoma_refunder_follow_async (SaomaRefunder       *self,
                             const char          *out_refund_no,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (SAOMA_IS_REFUNDER (self));
  g_return_if_fail (out_refund_no != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_refunder_follow_async);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_strdup (out_refund_no), g_free);

  job = g_hash_table_lookup (self->jobs, out_refund_no);
  if (job != NULL)
    {
      job_add_waiter (job, task);
      return;
    }

  saoma_store_list_refunds_async (self->store, NULL, 0, G_MAXINT64, NULL, follow_list_cb,
                                  g_object_ref (task));
}

SaomaLedgerRefund *
saoma_refunder_follow_finish (SaomaRefunder  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
