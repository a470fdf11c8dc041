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
#include "saoma-pin-guard.h"
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
  SaomaLedger  *ledger;
  SaomaClock   *clock;
  char         *till_id;
  SaomaPinGuard *pin_guard;
  guint         retry_interval_ms;
  guint         query_interval_ms;
  char         *notify_url;

  GHashTable   *jobs;        /* out_refund_no → Job* */
  GCancellable *cancellable; /* cancelled on dispose */
};

enum {
  PROP_0,
  PROP_GATEWAY,
  PROP_LEDGER,
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

/* One refund being driven. Reference counted: callbacks in flight hold a reference; ->self is
 * cleared when the refunder goes away, so late callbacks just drop. */
typedef struct _Job {
  gatomicrefcount   ref_count;
  SaomaRefunder    *self;
  SaomaGateway     *gateway;    /* the gateway it was first sent with: identical retries */
  char             *out_refund_no;
  char             *out_trade_no;
  char             *reason;
  char             *notify_url; /* nullable; fixed when the job starts */
  gint64            total_fee;
  gint64            refund_fee;
  SaomaRefundState  state;
  guint             timer_id;
  guint             n_sends;
  guint             n_queries;
  gboolean          fresh;      /* inserted by this process: no earlier send can exist */
  GList            *waiters;    /* Waiter* */
  SaomaLedgerRefund *final_row;
  GError           *final_error;
  GError           *pending_rejection; /* a retry was refused: FAILED if WeChat has no refund */
} Job;

static void job_send (Job *job);
static void job_query (Job *job);

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (Job *job)
{
  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;

  g_assert (job->waiters == NULL);
  g_clear_object (&job->gateway);
  g_free (job->out_refund_no);
  g_free (job->out_trade_no);
  g_free (job->reason);
  g_free (job->notify_url);
  g_clear_pointer (&job->final_row, saoma_ledger_refund_free);
  g_clear_error (&job->final_error);
  g_clear_error (&job->pending_rejection);
  g_free (job);
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
  return job->self != NULL && !g_cancellable_is_cancelled (job->self->cancellable);
}

/* Waiters ------------------------------------------------------------------------------- */

static void
waiter_complete (Waiter *waiter)
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

  if (job->final_row != NULL)
    g_task_return_pointer (waiter->task, refund_copy (job->final_row),
                           (GDestroyNotify) saoma_ledger_refund_free);
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
      waiter_complete (waiter);
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

static void
job_finish_waiters (Job *job)
{
  GList *waiters = g_steal_pointer (&job->waiters);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      waiter_complete (waiter);
      job_unref (job);
    }
  g_list_free (waiters);
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

  if (job->self != NULL)
    {
      saoma_clock_remove (job->self->clock, job->timer_id);
      job->timer_id = 0;
      g_hash_table_remove (job->self->jobs, job->out_refund_no);
    }

  job_finish_waiters (job);
}

/* Ledger writes ------------------------------------------------------------------------- */

typedef void (*JobStep) (Job                     *job,
                         const SaomaLedgerRefund *row,
                         GError                  *error);

typedef struct {
  Job     *job;
  JobStep  step;
} StepData;

static void
update_refund_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  StepData *data = user_data;
  g_autoptr(Job) job = data->job;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;
  JobStep step = data->step;

  g_free (data);

  row = saoma_ledger_update_refund_finish (SAOMA_LEDGER (source), result, &error);
  if (!job_alive (job))
    return;

  if (row == NULL)
    {
      /* The ledger is the source of truth: without a durable write, stop driving this refund
       * (it is resumed from its last durable state on the next start). */
      g_warning ("Cannot record refund %s: %s", job->out_refund_no, error->message);
      job_end (job, NULL, g_error_new (SAOMA_REFUNDER_ERROR, SAOMA_REFUNDER_ERROR_FAILED,
                                       _("The refund could not be recorded: %s"),
                                       error->message));
      return;
    }

  job->state = row->state;
  g_signal_emit (job->self, signals[REFUND_UPDATED], 0, row);
  step (job, row, NULL);
}

static void
job_set_state (Job              *job,
               SaomaRefundState  state,
               const char       *refund_id,
               const char       *detail,
               JobStep           step)
{
  StepData *data = g_new0 (StepData, 1);

  data->job = job_ref (job);
  data->step = step;
  saoma_ledger_update_refund_async (job->self->ledger, job->out_refund_no, state, refund_id,
                                    detail, NULL, update_refund_cb, data);
}

static void
append_event_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!saoma_ledger_append_event_finish (SAOMA_LEDGER (source), result, &error))
    g_warning ("Cannot append an audit event: %s", error->message);
}

static void
job_event (Job        *job,
           const char *kind,
           const char *format,
           ...) G_GNUC_PRINTF (3, 4);

static void
job_event (Job        *job,
           const char *kind,
           const char *format,
           ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  saoma_ledger_append_event_async (job->self->ledger, job->out_trade_no, kind, detail, NULL,
                                   append_event_cb, NULL);
}

/* Timers -------------------------------------------------------------------------------- */

static gboolean
job_timer_cb (gpointer user_data)
{
  Job *job = user_data;

  job->timer_id = 0;
  if (!job_alive (job))
    return G_SOURCE_REMOVE;

  if (job->state == SAOMA_REFUND_CREATED || job->state == SAOMA_REFUND_UNKNOWN)
    job_send (job);
  else if (job->state == SAOMA_REFUND_PROCESSING)
    job_query (job);

  return G_SOURCE_REMOVE;
}

static void
job_schedule (Job   *job,
              guint  interval_ms)
{
  saoma_clock_remove (job->self->clock, job->timer_id);
  job->timer_id = saoma_clock_add_timeout (job->self->clock, interval_ms, job_timer_cb,
                                           job_ref (job), (GDestroyNotify) job_unref);
}

static void
job_schedule_query (Job *job)
{
  guint interval = job->n_queries < FAST_QUERIES
                   ? job->self->query_interval_ms
                   : MAX (job->self->query_interval_ms, SLOW_QUERY_INTERVAL_MS);

  job_schedule (job, interval);
}

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

/* After each durable transition: what to do next. */
static void
job_next_step (Job                     *job,
               const SaomaLedgerRefund *row,
               GError                  *error)
{
  switch (row->state)
    {
    case SAOMA_REFUND_CREATED:
      job_send (job);
      break;

    case SAOMA_REFUND_UNKNOWN:
      job_schedule (job, job->self->retry_interval_ms);
      break;

    case SAOMA_REFUND_PROCESSING:
      job_schedule_query (job);
      break;

    case SAOMA_REFUND_SUCCESS:
      job_end (job, row, NULL);
      break;

    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
      job_end (job, NULL, final_state_error (row->state));
      break;

    case SAOMA_REFUND_FAILED:
      /* job_send_cb() ends the job with the rejection itself. */
      g_assert_not_reached ();
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Sending ------------------------------------------------------------------------------- */

typedef struct {
  Job    *job;
  GError *error;
} RejectData;

static void failed_written_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);

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

/* WeChat said no, or nothing was sent: FAILED in the ledger, then the job ends with @error. */
static void
job_fail (Job        *job,
          const char *detail,
          GError     *error)
{
  RejectData *data = g_new0 (RejectData, 1);

  data->job = job_ref (job);
  data->error = error;
  saoma_ledger_update_refund_async (job->self->ledger, job->out_refund_no,
                                    SAOMA_REFUND_FAILED, NULL, detail, NULL,
                                    failed_written_cb, data);
}

/* An UNKNOWN refund is sent again; a PROCESSING one queried again. */
static void
job_schedule_next (Job *job)
{
  if (job->state == SAOMA_REFUND_UNKNOWN)
    job_schedule (job, job->self->retry_interval_ms);
  else
    job_schedule_query (job);
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

static void
failed_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  RejectData *data = user_data;
  g_autoptr(Job) job = data->job;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) write_error = NULL;
  GError *error = data->error;

  g_free (data);

  row = saoma_ledger_update_refund_finish (SAOMA_LEDGER (source), result, &write_error);
  if (row == NULL)
    g_warning ("Cannot record the rejected refund %s: %s", job->out_refund_no,
               write_error->message);

  if (!job_alive (job))
    {
      g_error_free (error);
      return;
    }

  if (row != NULL)
    {
      job->state = row->state;
      g_signal_emit (job->self, signals[REFUND_UPDATED], 0, row);
    }
  job_end (job, NULL, error);
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

static void
job_send_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Job) job = user_data;
  g_autoptr(SaomaRefundStatus) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = saoma_gateway_refund_finish (SAOMA_GATEWAY (source), result, &error);
  if (!job_alive (job))
    return;

  if (answer != NULL && !answer_matches (job, answer))
    {
      g_clear_pointer (&answer, saoma_refund_status_free);
      error = g_error_new_literal (SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MISMATCH,
                                   "MISMATCH: refund answer does not match the request");
    }

  if (answer != NULL)
    {
      g_autofree char *detail = g_strdup_printf ("refund %s accepted by WeChat",
                                                 job->out_refund_no);

      job_event (job, "response", "refund %s → SUCCESS (accepted)", job->out_refund_no);
      job_set_state (job, SAOMA_REFUND_PROCESSING, answer->refund_id,
                     detail, job_next_step);
    }
  else if (saoma_gateway_error_is_outcome_unknown (error)
           || g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_RATE_LIMITED))
    {
      /* Maybe processed: keep the same out_refund_no and send the identical request again
       * (WeChat treats it as the same refund). Rate limits are retried the same way. */
      g_autofree char *detail = g_strdup_printf ("refund %s outcome unknown: %s",
                                                 job->out_refund_no,
                                                 error_name (error));

      job_event (job, "response", "refund %s → %s (unknown, will retry)", job->out_refund_no,
                 error_name (error));
      if (job->state == SAOMA_REFUND_UNKNOWN)
        job_schedule (job, job->self->retry_interval_ms);
      else
        job_set_state (job, SAOMA_REFUND_UNKNOWN, NULL, detail, job_next_step);
    }
  else if (is_config_error (error) && !job->fresh)
    {
      /* Resumed, and nothing can be sent now (no certificate or key in this process): an
       * earlier run may have sent it, so it stays as it is for a run that can ask. */
      job_event (job, "note", "refund %s not resumed: %s", job->out_refund_no, error->message);
      job_end (job, NULL, rejection_error (error));
    }
  else if (is_config_error (error) && job->n_sends == 1
           && job->state == SAOMA_REFUND_CREATED)
    {
      /* Nothing left the machine (no certificate, no key): the refund never existed. */
      job_fail (job, "refund not sent: configuration", rejection_error (error));
    }
  else if (job->state == SAOMA_REFUND_UNKNOWN || job->n_sends > 1 || !job->fresh)
    {
      /* A definite "no" to a retry of a request that may already have been accepted (e.g.
       * a parameter complaint after a lost answer, or a refund resumed after a crash that may
       * have been sent before): only refundquery can tell. */
      job_event (job, "response", "refund %s retry → %s; querying", job->out_refund_no,
                 error_name (error));
      g_clear_error (&job->pending_rejection);
      job->pending_rejection = rejection_error (error);
      job_query (job);
    }
  else
    {
      g_autofree char *detail = g_strdup_printf ("refund %s rejected: %s", job->out_refund_no,
                                                 error_name (error));

      job_event (job, "response", "%s", detail);
      job_fail (job, detail, rejection_error (error));
    }
}

static void
job_send (Job *job)
{
  /* Always the same values for one out_refund_no. */
  SaomaRefundRequest request = {
    .out_trade_no = job->out_trade_no,
    .out_refund_no = job->out_refund_no,
    .total = job->total_fee,
    .amount = job->refund_fee,
    .reason = job->reason,
    .notify_url = job->notify_url,
  };

  job->n_sends++;

  job_event (job, "request", "refund %s, %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
             " fen (send %u)", job->out_refund_no, job->refund_fee, job->total_fee,
             job->n_sends);
  saoma_gateway_refund_async (job->gateway, &request, job->self->cancellable, job_send_cb,
                             job_ref (job));
}

/* Following ----------------------------------------------------------------------------- */

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
job_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Job) job = user_data;
  g_autoptr(SaomaRefundStatus) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  const char *status;
  SaomaRefundState state;

  answer = saoma_gateway_query_refund_finish (SAOMA_GATEWAY (source), result, &error);
  if (!job_alive (job))
    return;

  if (answer == NULL)
    {
      /* UNKNOWN after a lost answer, or CREATED resumed from an earlier run that may have
       * sent it: either way a refusal plus no refund at WeChat means it never happened. */
      if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST)
          && (job->state == SAOMA_REFUND_UNKNOWN || job->state == SAOMA_REFUND_CREATED)
          && job->pending_rejection != NULL)
        {
          /* WeChat refused the request and has no such refund: it never happened. */
          job_event (job, "response", "refundquery %s → REFUNDNOTEXIST after a refusal",
                     job->out_refund_no);
          job_fail (job, "refund rejected on retry, unknown to WeChat",
                    g_steal_pointer (&job->pending_rejection));
          return;
        }

      if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_REFUND_NOT_EXIST)
          && job->state == SAOMA_REFUND_UNKNOWN)
        {
          /* Our earlier request never arrived: send it again, same number. */
          job_event (job, "response", "refundquery %s → REFUNDNOTEXIST; resending",
                     job->out_refund_no);
          job_schedule (job, job->self->retry_interval_ms);
          return;
        }

      /* Also an answer that does not list this refund: ask again later. */
      job_event (job, "response", "refundquery %s → %s", job->out_refund_no,
                 error_name (error));
      job_schedule_next (job);
      return;
    }

  g_clear_error (&job->pending_rejection);

  status = answer->state_text;
  if (answer->amount != job->refund_fee || !ledger_refund_state (answer->state, &state))
    {
      job_event (job, "response", "refundquery %s: unexpected answer (status %s)",
                 job->out_refund_no, status ? status : "(none)");
      job_schedule_query (job);
      return;
    }

  job_event (job, "response", "refundquery %s → %s", job->out_refund_no, status);
  if (state == job->state)
    {
      job_schedule_query (job);
      return;
    }

  detail = g_strdup_printf ("refund %s %s by refundquery", job->out_refund_no, status);
  job_set_state (job, state, answer->refund_id, detail, job_next_step);
}

static void
job_query (Job *job)
{
  job->n_queries++;
  saoma_gateway_query_refund_async (job->gateway, job->out_refund_no, job->self->cancellable,
                                    job_query_cb, job_ref (job));
}

/* Starting jobs ------------------------------------------------------------------------- */

static Job *
job_new (SaomaRefunder           *self,
         const SaomaLedgerRefund *row,
         gint64                   total_fee)
{
  Job *job = g_new0 (Job, 1);

  g_atomic_ref_count_init (&job->ref_count);
  job->self = self;
  job->gateway = g_object_ref (self->gateway);
  job->out_refund_no = g_strdup (row->out_refund_no);
  job->out_trade_no = g_strdup (row->out_trade_no);
  job->reason = g_strdup (row->reason);
  job->notify_url = g_strdup (self->notify_url);
  job->refund_fee = row->amount;
  job->total_fee = total_fee;
  job->state = row->state;

  /* The table owns the job's initial reference. */
  g_hash_table_insert (self->jobs, job->out_refund_no, job);

  return job;
}

/* Drives a refund that is in the ledger from its durable state. */
static Job *
job_start (SaomaRefunder           *self,
           const SaomaLedgerRefund *row,
           gint64                   total_fee)
{
  Job *job = g_hash_table_lookup (self->jobs, row->out_refund_no);

  if (job != NULL)
    return job;

  job = job_new (self, row, total_fee);

  switch (row->state)
    {
    case SAOMA_REFUND_CREATED:
    case SAOMA_REFUND_UNKNOWN:
      job_send (job);
      break;
    case SAOMA_REFUND_PROCESSING:
      job_query (job);
      break;
    case SAOMA_REFUND_SUCCESS:
    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
    case SAOMA_REFUND_FAILED:
    default:
      job_next_step (job, row, NULL);
      break;
    }

  return job;
}

/* GObject ------------------------------------------------------------------------------- */

static void
job_detach (gpointer data)
{
  Job *job = data;

  if (job->self != NULL)
    {
      saoma_clock_remove (job->self->clock, job->timer_id);
      job->timer_id = 0;
    }
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

      saoma_clock_remove (self->clock, job->timer_id);
      job->timer_id = 0;
      job->self = NULL;
    }
  g_hash_table_remove_all (self->jobs);

  g_clear_object (&self->gateway);
  g_clear_object (&self->ledger);
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
    case PROP_LEDGER:
      g_value_set_object (value, self->ledger);
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
    case PROP_LEDGER:
      self->ledger = g_value_dup_object (value);
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
  properties[PROP_LEDGER] =
    g_param_spec_object ("ledger", NULL, NULL, SAOMA_TYPE_LEDGER,
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
 * @ledger: the ledger refunds are written to
 * @clock: (nullable): time and timers; %NULL for the real clock
 * @till_id: (nullable): prefix of new out_refund_no values
 *
 * Returns: (transfer full): a new refunder
 */
SaomaRefunder *
saoma_refunder_new (SaomaGateway *gateway,
                    SaomaLedger *ledger,
                    SaomaClock  *clock,
                    const char  *till_id)
{
  g_return_val_if_fail (SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);
  g_return_val_if_fail (clock == NULL || SAOMA_IS_CLOCK (clock), NULL);

  return g_object_new (SAOMA_TYPE_REFUNDER,
                       "gateway", gateway,
                       "ledger", ledger,
                       "clock", clock,
                       "till-id", till_id,
                       NULL);
}

SaomaLedger *
saoma_refunder_get_ledger (SaomaRefunder *self)
{
  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), NULL);
  return self->ledger;
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

  row = saoma_ledger_insert_refund_finish (SAOMA_LEDGER (source), result, &error);
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
  job = job_new (self, row, data->total_fee);
  job->fresh = TRUE;
  g_set_object (&job->gateway, data->gateway);
  job_add_waiter (job, task);
  job_send (job);
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

  saoma_ledger_insert_refund_async (self->ledger, data->out_trade_no, out_refund_no,
                                    data->amount, data->reason, NULL, refund_inserted_cb,
                                    g_object_ref (task));
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

  refunds = saoma_ledger_list_refunds_finish (SAOMA_LEDGER (source), result, &error);
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

  attempt = saoma_ledger_get_attempt_finish (SAOMA_LEDGER (source), result, &error);
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
  saoma_ledger_list_refunds_async (self->ledger, data->out_trade_no, 0, 0, NULL,
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

  saoma_ledger_get_attempt_async (self->ledger, data->out_trade_no, NULL, refund_attempt_cb,
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
  if (job->timer_id != 0
      && (job->state == SAOMA_REFUND_PROCESSING || job->state == SAOMA_REFUND_UNKNOWN))
    {
      saoma_clock_remove (self->clock, job->timer_id);
      job->timer_id = 0;
      job_query (job);
    }
  return TRUE;
}

/* resume / follow ----------------------------------------------------------------------- */

typedef struct {
  guint   resumed;
  guint   pending;
  GError *error;
} ResumeData;

static void
resume_data_free (ResumeData *data)
{
  g_clear_error (&data->error);
  g_free (data);
}

static void
resume_one_done (GTask *task)
{
  ResumeData *data = g_task_get_task_data (task);

  g_assert (data->pending > 0);
  if (--data->pending == 0)
    g_task_return_int (task, data->resumed);
}

static void
resume_waiter_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;

  /* The outcome of each refund is in the ledger; resume only waits for them to be final. */
  row = g_task_propagate_pointer (G_TASK (result), &error);
  resume_one_done (task);
}

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
  GTask *waiter;
  Job *job;

  g_free (item);

  attempt = saoma_ledger_get_attempt_finish (SAOMA_LEDGER (source), result, &error);
  if (attempt == NULL || g_cancellable_is_cancelled (self->cancellable) || self->gateway == NULL)
    {
      if (error != NULL)
        g_warning ("Cannot resume refund %s: %s", row->out_refund_no, error->message);
      resume_one_done (task);
      return;
    }

  /* Reuse the refund waiter machinery: a private task completed when the job ends. */
  waiter = g_task_new (self, NULL, resume_waiter_cb, g_object_ref (task));
  g_task_set_check_cancellable (waiter, FALSE);
  job = job_start (self, row, saoma_attempt_get_amount (attempt));
  job_add_waiter (job, waiter);
  g_object_unref (waiter);
}

static void
resume_list_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaRefunder *self = g_task_get_source_object (task);
  ResumeData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;

  refunds = saoma_ledger_list_unfinished_refunds_finish (SAOMA_LEDGER (source), result, &error);
  if (refunds == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* One extra count so the task cannot complete while we are still dispatching. */
  data->pending = 1;
  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);
      ResumeItem *item;

      if (saoma_refund_state_is_final (refund->state))
        continue;

      data->resumed++;
      data->pending++;
      item = g_new0 (ResumeItem, 1);
      item->task = g_object_ref (task);
      item->row = g_ptr_array_steal_index_fast (refunds, i);
      i--;
      saoma_ledger_get_attempt_async (self->ledger, item->row->out_trade_no, NULL,
                                      resume_attempt_cb, item);
    }
  resume_one_done (task);
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

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_refunder_resume_async);
  g_task_set_task_data (task, g_new0 (ResumeData, 1), (GDestroyNotify) resume_data_free);

  saoma_ledger_list_unfinished_refunds_async (self->ledger, NULL, resume_list_cb,
                                              g_object_ref (task));
}

guint
saoma_refunder_resume_finish (SaomaRefunder  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  gssize n;

  g_return_val_if_fail (SAOMA_IS_REFUNDER (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n = g_task_propagate_int (G_TASK (result), error);
  return n < 0 ? 0 : (guint) n;
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

  attempt = saoma_ledger_get_attempt_finish (SAOMA_LEDGER (source), result, &error);
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

  refunds = saoma_ledger_list_refunds_finish (SAOMA_LEDGER (source), result, &error);
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
                               (GDestroyNotify) saoma_ledger_refund_free);
      else if (saoma_refund_state_is_final (refund->state))
        g_task_return_error (task, final_state_error (refund->state));
      else
        {
          item = g_new0 (ResumeItem, 1);
          item->task = g_object_ref (task);
          item->row = refund_copy (refund);
          saoma_ledger_get_attempt_async (self->ledger, refund->out_trade_no, NULL,
                                          follow_attempt_cb, item);
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

  saoma_ledger_list_refunds_async (self->ledger, NULL, 0, G_MAXINT64, NULL, follow_list_cb,
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
