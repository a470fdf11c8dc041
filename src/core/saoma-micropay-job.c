/* saoma-micropay-job.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One micropay attempt, driven like the Native Driver of saoma-checkout.c: a SaomaOperation
 * (one durable write and one request at a time, timers, crash points, recovery counting) whose
 * step is gather the facts → saoma_micropay_decide() → carry it out. The flow, its safety
 * rules and the transitions it writes are described in saoma-micropay-flow.c. The job talks to
 * storage through SaomaStore only.
 */

#define G_LOG_DOMAIN "saoma-micropay"

#include "config.h"

#include <string.h>

#include "ledger/saoma-flow.h"
#include "ledger/saoma-store.h"
#include "saoma-checkout.h"
#include "saoma-micropay-job.h"
#include "saoma-operation.h"

struct _SaomaMicropayJob
{
  SaomaOperation          op;
  SaomaGateway           *gateway;
  SaomaMicropayTiming     timing;

  char                   *out_trade_no;
  gint64                  amount;
  char                   *description;
  char                   *till_id;
  char                   *owner;       /* the lease's, or NULL */
  gint64                  created;
  char                   *auth_code;     /* until the pay call has left; never stored */
  char                   *client_ip;

  SaomaAttempt           *attempt;       /* last durable snapshot */
  SaomaMicropayFacts      facts;
  gboolean                insert_failed;
  gboolean                cancelled;
  char                   *paid_transaction_id;
  gint64                  paid_at;
  GError                 *error;
  char                   *last_response;  /* to log repeated poll answers once */

  SaomaMicropayJobNotify  notify;
  gpointer                notify_data;
};

typedef struct {
  SaomaAttemptState state;
  char             *transaction_id;
  gint64            paid_at;
  char             *detail;
} JobWrite;

static void job_step (SaomaMicropayJob *job);

static void
job_write_free (gpointer data)
{
  JobWrite *w = data;

  g_free (w->transaction_id);
  g_free (w->detail);
  g_free (w);
}

static gboolean
set_str (char       **ptr,
         const char  *value)
{
  if (g_strcmp0 (*ptr, value) == 0)
    return FALSE;
  g_free (*ptr);
  *ptr = g_strdup (value);
  return TRUE;
}

static void
job_set_error (SaomaMicropayJob *job,
               const GError     *error)
{
  g_clear_error (&job->error);
  if (error != NULL)
    job->error = g_error_copy (error);
}

static void
job_notify (SaomaMicropayJob *job,
            gboolean          finished)
{
  if (job->notify != NULL && saoma_operation_is_attached (&job->op))
    job->notify (job, finished, job->notify_data);
}

static const char *
code_name (const GError *error)
{
  g_autofree char *code = saoma_gateway_error_dup_protocol_code (error);

  return g_intern_string (code);
}

#define job_event(job, ...) saoma_operation_event (&(job)->op, __VA_ARGS__)

/* --- SaomaOperationClass -------------------------------------------------------------------- */

static void
job_op_step (SaomaOperation *op)
{
  job_step ((SaomaMicropayJob *)op);
}

static void
job_op_write_start (SaomaOperation     *op,
                    gpointer            write,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  JobWrite *w = write;
  SaomaAttemptUpdate update = {
    .state = w->state,
    .transaction_id = w->transaction_id,
    .paid_at = w->paid_at,
    .event_kind = "transition",
    .event_detail = w->detail,
    .owner = saoma_operation_get_fence (op),
  };

  g_debug ("%s: → %s (%s)", job->out_trade_no,
           saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, w->state), w->detail);
  saoma_store_update_attempt_async (op->store, job->out_trade_no, &update, NULL,
                                    callback, user_data);
}

static gpointer
job_op_write_finish (SaomaOperation *op,
                     GAsyncResult   *result,
                     GError        **error)
{
  return saoma_store_update_attempt_finish (op->store, result, error);
}

static void
job_op_written (SaomaOperation *op,
                gpointer        write,
                gpointer        row)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  g_autoptr(SaomaAttempt) attempt = row;
  SaomaAttemptState durable = saoma_attempt_get_state (attempt);
  gboolean last = g_queue_is_empty (&op->writes);
  g_autofree char *point = NULL;

  g_set_object (&job->attempt, attempt);
  if (job->error != NULL && job->error->domain == SAOMA_LEDGER_ERROR)
    job_set_error (job, NULL);

  /* "after-submitted", "after-waiting" … as the Native flow names them (crash-test.py). */
  point = g_ascii_strdown (saoma_attempt_state_to_string (durable), -1);
  {
    g_autofree char *name = g_strconcat ("after-", point, NULL);

    saoma_operation_crash_point (name);
  }

  if (saoma_attempt_state_is_final (durable) && last)
    {
      saoma_operation_disarm (op);
      job_notify (job, TRUE);
      saoma_operation_done (op);
    }
  else
    job_notify (job, FALSE);
}

static void
job_op_write_failed (SaomaOperation *op,
                     gpointer        write,
                     const GError   *error)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;

  job_set_error (job, error);
  saoma_micropay_write_failed (&job->facts, saoma_attempt_get_state (job->attempt),
                               saoma_operation_now (op));
  job_notify (job, FALSE);
}

/* Another till took the attempt over while this process was stopped: the operation stopped
 * driving it (no query, no reverse); the owner hears of it once, plainly. */
static void
job_op_taken_over (SaomaOperation *op)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  g_autoptr(GError) error = g_error_new_literal (SAOMA_CHECKOUT_ERROR,
                                                 SAOMA_CHECKOUT_ERROR_TAKEN_OVER,
                                                 "Another till took over this payment");

  job_set_error (job, error);
  /* Detached from driving, not from its owner: job_notify() would stay silent now. */
  if (job->notify != NULL)
    job->notify (job, FALSE, job->notify_data);
}

static void
job_op_finalize (SaomaOperation *op)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;

  g_clear_object (&job->gateway);
  g_clear_object (&job->attempt);
  g_clear_error (&job->error);
  if (job->auth_code != NULL)
    explicit_bzero (job->auth_code, strlen (job->auth_code));
  g_free (job->auth_code);
  g_free (job->client_ip);
  g_free (job->out_trade_no);
  g_free (job->description);
  g_free (job->till_id);
  g_free (job->owner);
  g_free (job->paid_transaction_id);
  g_free (job->last_response);
}

static const SaomaOperationClass job_class = {
  .name = "micropay",
  .step = job_op_step,
  .write_start = job_op_write_start,
  .write_finish = job_op_write_finish,
  .written = job_op_written,
  .write_failed = job_op_write_failed,
  .write_free = job_write_free,
  .row_free = g_object_unref,
  .taken_over = job_op_taken_over,
  .finalize = job_op_finalize,
};

/* --- Requests ------------------------------------------------------------------------------- */

static void
job_absorb (SaomaMicropayJob    *job,
            SaomaMicropayCall    call,
            SaomaMicropayAnswer  answer,
            const char          *code)
{
  saoma_micropay_absorb (&job->facts, call, answer, code, saoma_operation_now (&job->op),
                         &job->timing);
}

/* An order status (micropay SUCCESS or an orderquery answer) in the flow's classes. */
static SaomaMicropayAnswer
classify_status (SaomaMicropayJob       *job,
                 const SaomaOrderStatus *status)
{
  if (status->out_trade_no != NULL && g_strcmp0 (status->out_trade_no, job->out_trade_no) != 0)
    return SAOMA_MICROPAY_ANSWER_WRONG;

  switch (status->state)
    {
    case SAOMA_TRADE_STATE_SUCCESS:
    case SAOMA_TRADE_STATE_REFUND:
      /* Never mark money as paid on an answer that does not match the sale. */
      return status->amount == job->amount ? SAOMA_MICROPAY_ANSWER_PAID
                                           : SAOMA_MICROPAY_ANSWER_WRONG;
    case SAOMA_TRADE_STATE_USERPAYING:
      return SAOMA_MICROPAY_ANSWER_USERPAYING;
    case SAOMA_TRADE_STATE_NOTPAY:
    case SAOMA_TRADE_STATE_ACCEPT:
      return SAOMA_MICROPAY_ANSWER_NOTPAY;
    case SAOMA_TRADE_STATE_CLOSED:
    case SAOMA_TRADE_STATE_REVOKED:
      return SAOMA_MICROPAY_ANSWER_REVOKED;
    case SAOMA_TRADE_STATE_PAYERROR:
      return SAOMA_MICROPAY_ANSWER_PAY_ERROR;
    case SAOMA_TRADE_STATE_UNKNOWN:
    default:
      return SAOMA_MICROPAY_ANSWER_UNKNOWN;
    }
}

static void
note_paid (SaomaMicropayJob       *job,
           const SaomaOrderStatus *status)
{
  set_str (&job->paid_transaction_id, status->transaction_id);
  job->paid_at = status->paid_at > 0 ? status->paid_at : saoma_operation_now (&job->op);
}

static void
pay_answered (SaomaOperation *op,
              gconstpointer   answer_data,
              const GError   *error)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  const SaomaOrderStatus *status = answer_data;
  SaomaMicropayAnswer kind;
  const char *code;

  if (status != NULL)
    {
      /* result_code=SUCCESS on micropay means paid; the answer has no trade_state. */
      kind = status->out_trade_no != NULL &&
             g_strcmp0 (status->out_trade_no, job->out_trade_no) != 0
               ? SAOMA_MICROPAY_ANSWER_WRONG
             : status->amount >= 0 && status->amount != job->amount
               ? SAOMA_MICROPAY_ANSWER_WRONG
               : SAOMA_MICROPAY_ANSWER_PAID;
      code = g_intern_static_string ("micropay SUCCESS");
      if (kind == SAOMA_MICROPAY_ANSWER_PAID)
        note_paid (job, status);
      job_event (job, "response", "micropay → SUCCESS%s",
                 kind == SAOMA_MICROPAY_ANSWER_PAID ? "" : " for another order or amount, ignored");
    }
  else
    {
      kind = saoma_micropay_answer_for_error (error);
      code = code_name (error);
      job_event (job, "response", "micropay → %s", code);
      if (kind != SAOMA_MICROPAY_ANSWER_USERPAYING)
        job_set_error (job, error);
      if (kind == SAOMA_MICROPAY_ANSWER_UNKNOWN)
        g_message ("%s: micropay outcome unknown (%s): %s", job->out_trade_no, code,
                   error->message);
    }

  job_absorb (job, SAOMA_MICROPAY_CALL_PAY, kind, code);
}

static void
pay_start (SaomaOperation     *op,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  SaomaCodePayment payment = {
    .out_trade_no = job->out_trade_no,
    .amount = job->amount,
    .description = job->description,
    .till_id = job->till_id,
    .auth_code = job->auth_code,
    .client_ip = job->client_ip,
  };

  saoma_gateway_pay_by_code_async (job->gateway, &payment, cancellable, callback, user_data);

  /* The code is spent: it is never sent again (a second micropay could charge it twice). */
  explicit_bzero (job->auth_code, strlen (job->auth_code));
  g_clear_pointer (&job->auth_code, g_free);
}

static const SaomaOperationCall pay_call = {
  pay_start, (gpointer)saoma_gateway_pay_by_code_finish, pay_answered,
  (GDestroyNotify)saoma_order_status_free, "before-pay", "after-pay",
};

static void
query_answered (SaomaOperation *op,
                gconstpointer   answer_data,
                const GError   *error)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  const SaomaOrderStatus *status = answer_data;
  SaomaMicropayAnswer kind;
  const char *code;

  if (status != NULL)
    {
      kind = classify_status (job, status);
      code = g_intern_string (status->state_text ? status->state_text : "(none)");
      if (kind == SAOMA_MICROPAY_ANSWER_PAID)
        note_paid (job, status);
      else if (kind == SAOMA_MICROPAY_ANSWER_PAY_ERROR)
        {
          g_autoptr(GError) payerror = g_error_new (SAOMA_GATEWAY_ERROR,
                                                    SAOMA_GATEWAY_ERROR_TRADE_ERROR,
                                                    "Payment failed: %s",
                                                    status->state_desc ?: "PAYERROR");

          job_set_error (job, payerror);
        }
      else if (kind == SAOMA_MICROPAY_ANSWER_WRONG)
        g_critical ("%s: orderquery answer for another order or amount — NOT trusted",
                    job->out_trade_no);
    }
  else
    {
      kind = saoma_micropay_answer_for_error (error);
      code = code_name (error);
    }

  if (set_str (&job->last_response, code))
    job_event (job, "response", "orderquery → %s", code);

  job_absorb (job, SAOMA_MICROPAY_CALL_QUERY, kind, code);
}

static void
query_start (SaomaOperation     *op,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;

  saoma_gateway_query_order_async (job->gateway, job->out_trade_no, cancellable, callback,
                                   user_data);
}

static const SaomaOperationCall query_call = {
  query_start, (gpointer)saoma_gateway_query_order_finish, query_answered,
  (GDestroyNotify)saoma_order_status_free, "before-query", "after-query",
};

static void
reverse_answered (SaomaOperation *op,
                  gconstpointer   answer,
                  const GError   *error)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;
  SaomaMicropayAnswer kind;

  if (answer != NULL)
    {
      gboolean recall = GPOINTER_TO_INT (answer) == 2;

      kind = recall ? SAOMA_MICROPAY_ANSWER_RECALL : SAOMA_MICROPAY_ANSWER_REVERSED;
      job_event (job, "response", "reverse → SUCCESS, recall=%s", recall ? "Y" : "N");
    }
  else
    {
      kind = saoma_micropay_answer_for_error (error);
      /* An order that exists and ended (paid and refunded, reversed already): the final query
       * tells; so does any other definite refusal. */
      if (kind == SAOMA_MICROPAY_ANSWER_ORDER_ENDED)
        kind = SAOMA_MICROPAY_ANSWER_REFUSED;
      job_event (job, "response", "reverse → %s", code_name (error));
    }

  job_absorb (job, SAOMA_MICROPAY_CALL_REVERSE, kind, NULL);
}

static void
reverse_start (SaomaOperation     *op,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  SaomaMicropayJob *job = (SaomaMicropayJob *)op;

  saoma_gateway_reverse_async (job->gateway, job->out_trade_no, cancellable, callback,
                               user_data);
}

/* Non-NULL exactly when reverse succeeded: 2 when WeChat asks for another call (recall=Y). */
static gpointer
reverse_finish (GObject       *source,
                GAsyncResult  *result,
                GError       **error)
{
  gboolean retry = FALSE;

  if (!saoma_gateway_reverse_finish (SAOMA_GATEWAY (source), result, &retry, error))
    return NULL;
  return GINT_TO_POINTER (retry ? 2 : 1);
}

static const SaomaOperationCall reverse_call = {
  reverse_start, reverse_finish, reverse_answered, NULL, "before-reverse", "after-reverse",
};

/* --- The decision, carried out -------------------------------------------------------------- */

static void
job_step (SaomaMicropayJob *job)
{
  SaomaOperation *op = &job->op;
  SaomaMicropayDecision d;
  gint64 now;

  if (!saoma_operation_is_attached (op))
    return;

  now = saoma_operation_now (op);
  job->facts.writing = saoma_operation_is_writing (op);
  job->facts.net_busy = saoma_operation_is_sending (op);
  d = saoma_micropay_decide (&job->facts, now, &job->timing);

  if (d.action != SAOMA_MICROPAY_ACTION_NONE && d.action != SAOMA_MICROPAY_ACTION_WAIT)
    saoma_operation_disarm (op);

  saoma_micropay_carried_out (&job->facts, &d, now);

  switch (d.action)
    {
    case SAOMA_MICROPAY_ACTION_NONE:
      break;

    case SAOMA_MICROPAY_ACTION_DONE:
      saoma_operation_disarm (op);
      break;

    case SAOMA_MICROPAY_ACTION_WAIT:
      saoma_operation_arm (op, MAX (d.at, now));
      break;

    case SAOMA_MICROPAY_ACTION_WRITE:
    case SAOMA_MICROPAY_ACTION_FAIL:
      {
        JobWrite *w = g_new0 (JobWrite, 1);

        w->state = d.to;
        if (d.to == SAOMA_ATTEMPT_PAID)
          {
            saoma_operation_crash_point ("after-paid-query");
            job_set_error (job, NULL);
            w->transaction_id = g_strdup (job->paid_transaction_id);
            w->paid_at = job->paid_at;
          }
        if (d.action == SAOMA_MICROPAY_ACTION_FAIL &&
            (job->error == NULL || d.why == SAOMA_MICROPAY_WHY_CANCELLED_UNSENT ||
             d.why == SAOMA_MICROPAY_WHY_NEVER_EXISTED))
          {
            g_autoptr(GError) error = NULL;

            if (d.why == SAOMA_MICROPAY_WHY_CANCELLED_UNSENT)
              error = g_error_new_literal (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_CANCELLED,
                                           "Cancelled before it was sent");
            else
              error = g_error_new_literal (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NEVER_SENT,
                                           "WeChat has no such order: nothing was taken");
            job_set_error (job, error);
          }
        w->detail = saoma_micropay_decision_describe (&d, job->paid_transaction_id);
        saoma_operation_write (op, w);
      }
      break;

    case SAOMA_MICROPAY_ACTION_PAY:
      if (job->auth_code == NULL)
        {
          /* Cannot happen (the code is only dropped once it was sent); never guess. */
          g_critical ("%s: no payment code to send", job->out_trade_no);
          return;
        }
      job_event (job, "request", "micropay total_fee=%" G_GINT64_FORMAT, job->amount);
      saoma_operation_send (op, &pay_call);
      break;

    case SAOMA_MICROPAY_ACTION_QUERY:
      saoma_operation_send (op, &query_call);
      break;

    case SAOMA_MICROPAY_ACTION_REVERSE:
      job_event (job, "request", "reverse (call %u)", job->facts.reverse_calls + 1);
      saoma_operation_send (op, &reverse_call);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* --- Public API ----------------------------------------------------------------------------- */

/**
 * saoma_micropay_job_new:
 * @timing: (nullable): %NULL for saoma_micropay_default_timing
 * @created: µs since the epoch, whole seconds
 *
 * Returns: (transfer full): a job that does nothing until started or resumed
 */
SaomaMicropayJob *
saoma_micropay_job_new (SaomaGateway              *gateway,
                        SaomaStore                *store,
                        SaomaClock                *clock,
                        GCancellable              *cancellable,
                        const SaomaMicropayTiming *timing,
                        const char                *out_trade_no,
                        gint64                     amount,
                        const char                *description,
                        const char                *till_id,
                        gint64                     created)
{
  SaomaMicropayJob *job;

  g_return_val_if_fail (SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (out_trade_no != NULL && amount > 0, NULL);

  job = saoma_operation_new (&job_class, sizeof (SaomaMicropayJob), clock, store, cancellable,
                             out_trade_no);
  job->gateway = g_object_ref (gateway);
  job->timing = timing ? *timing : saoma_micropay_default_timing;
  /* A refused write is retried at the poll's pace. */
  job->op.write_backoff = job->timing.poll;
  job->out_trade_no = g_strdup (out_trade_no);
  job->amount = amount;
  job->description = g_strdup (description ? description : "");
  job->till_id = g_strdup (till_id ? till_id : "");
  job->created = created;
  saoma_micropay_facts_init (&job->facts, created);

  return job;
}

SaomaMicropayJob *
saoma_micropay_job_ref (SaomaMicropayJob *job)
{
  return saoma_operation_ref (job);
}

void
saoma_micropay_job_unref (SaomaMicropayJob *job)
{
  saoma_operation_unref (job);
}

void
saoma_micropay_job_detach (SaomaMicropayJob *job)
{
  job->notify = NULL;
  saoma_operation_disarm (&job->op);
  saoma_operation_detach (&job->op);
}

void
saoma_micropay_job_set_owner (SaomaMicropayJob *job,
                              const char       *owner)
{
  g_free (job->owner);
  job->owner = g_strdup (owner);
}

/* The attempt is on record with our owner: renew its lease while the job drives it. */
static void
job_hold_lease (SaomaMicropayJob *job)
{
  if (job->owner != NULL)
    saoma_operation_hold_lease (&job->op, SAOMA_LEASE_ATTEMPT, job->out_trade_no, job->owner);
}

void
saoma_micropay_job_set_notify (SaomaMicropayJob       *job,
                               SaomaMicropayJobNotify  notify,
                               gpointer                user_data)
{
  job->notify = notify;
  job->notify_data = user_data;
}

static void
insert_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SaomaMicropayJob *job = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;

  attempt = saoma_store_insert_attempt_finish (SAOMA_STORE (object), result, &error);

  if (!saoma_operation_is_attached (&job->op))
    {
      saoma_micropay_job_unref (job);
      return;
    }

  if (attempt == NULL)
    {
      /* Nothing was sent and nothing is on record: it failed before it began. */
      g_warning ("Could not record attempt %s: %s", job->out_trade_no, error->message);
      job->insert_failed = TRUE;
      job->facts.state = SAOMA_ATTEMPT_FAILED;
      job_set_error (job, error);
      job_notify (job, TRUE);
      saoma_operation_done (&job->op);
      saoma_micropay_job_unref (job);
      return;
    }

  job->facts.inserted = TRUE;
  job->op.recorded = TRUE;
  g_set_object (&job->attempt, attempt);
  job_hold_lease (job);
  saoma_operation_crash_point ("after-insert");
  job_notify (job, FALSE);
  job_step (job);
  saoma_micropay_job_unref (job);
}

/**
 * saoma_micropay_job_start:
 * @auth_code: the payer's payment code (checked by the caller)
 * @client_ip: spbill_create_ip
 *
 * Writes the attempt (CREATED, method MICROPAY) and drives it: SUBMITTED, then the pay call.
 */
void
saoma_micropay_job_start (SaomaMicropayJob *job,
                          const char       *auth_code,
                          const char       *client_ip)
{
  g_autoptr(SaomaAttempt) attempt = NULL;

  g_return_if_fail (auth_code != NULL && job->attempt == NULL && !job->facts.inserted);

  job->auth_code = g_strdup (auth_code);
  job->client_ip = g_strdup (client_ip ? client_ip : "127.0.0.1");

  /* A micropay order has no time_expire of ours: the give-up is the expiry. */
  attempt = saoma_attempt_new (job->out_trade_no, job->amount, job->description, job->till_id,
                               job->created, job->created + job->timing.give_up);
  saoma_attempt_set_method (attempt, SAOMA_PAYMENT_METHOD_MICROPAY);
  /* The lease is taken in the insert's own write. */
  saoma_attempt_set_owner (attempt, job->owner, 0);
  saoma_store_insert_attempt_async (job->op.store, attempt, NULL, insert_cb,
                                    saoma_micropay_job_ref (job));
}

/**
 * saoma_micropay_job_resume:
 * @attempt: the attempt as on record (method MICROPAY, not final)
 *
 * Drives an attempt of an earlier run: queried first; never paid again.
 */
void
saoma_micropay_job_resume (SaomaMicropayJob *job,
                           SaomaAttempt     *attempt)
{
  SaomaAttemptState state = saoma_attempt_get_state (attempt);

  g_set_object (&job->attempt, attempt);
  job->op.recorded = TRUE;
  job_hold_lease (job);
  saoma_micropay_facts_resume (&job->facts, state, job->created,
                               saoma_attempt_get_updated (attempt),
                               saoma_operation_now (&job->op));
  job_event (job, "note", "resumed by recovery from %s",
             saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, state));
  job_step (job);
}

void
saoma_micropay_job_cancel (SaomaMicropayJob *job)
{
  if (!saoma_micropay_give_up (&job->facts))
    return;

  job->cancelled = TRUE;
  job_event (job, "note", "cancelled by the cashier");
  job_notify (job, FALSE);
  job_step (job);
}

void
saoma_micropay_job_query_now (SaomaMicropayJob *job)
{
  if (!job->facts.requested || saoma_attempt_state_is_final (job->facts.state))
    return;

  /* The cashier asked: the answer goes in the audit trail even when it repeats the last one,
   * so the details can show it. */
  g_clear_pointer (&job->last_response, g_free);
  job->facts.query_at = saoma_operation_now (&job->op);
  job_step (job);
}

const char *
saoma_micropay_job_get_out_trade_no (SaomaMicropayJob *job)
{
  return job->out_trade_no;
}

gint64
saoma_micropay_job_get_amount (SaomaMicropayJob *job)
{
  return job->amount;
}

const char *
saoma_micropay_job_get_description (SaomaMicropayJob *job)
{
  return job->description;
}

SaomaAttempt *
saoma_micropay_job_get_attempt (SaomaMicropayJob *job)
{
  return job->attempt;
}

SaomaAttemptState
saoma_micropay_job_get_state (SaomaMicropayJob *job)
{
  if (job->insert_failed)
    return SAOMA_ATTEMPT_FAILED;
  if (job->attempt == NULL)
    return SAOMA_ATTEMPT_CREATED;
  return saoma_attempt_get_state (job->attempt);
}

gboolean
saoma_micropay_job_get_recorded (SaomaMicropayJob *job)
{
  return job->attempt != NULL || job->insert_failed;
}

gboolean
saoma_micropay_job_get_cancelled (SaomaMicropayJob *job)
{
  return job->cancelled;
}

const GError *
saoma_micropay_job_get_error (SaomaMicropayJob *job)
{
  return job->error;
}

/* Another engine drives its attempt now: this job stopped. */
gboolean
saoma_micropay_job_get_taken_over (SaomaMicropayJob *job)
{
  return saoma_operation_is_taken_over (&job->op);
}

guint
saoma_micropay_job_get_pending (SaomaMicropayJob *job)
{
  return saoma_operation_is_sending (&job->op) + saoma_operation_get_n_writes (&job->op) +
         (!job->facts.inserted && !job->insert_failed);
}

gpointer
saoma_micropay_job_get_operation (SaomaMicropayJob *job)
{
  return &job->op;
}
