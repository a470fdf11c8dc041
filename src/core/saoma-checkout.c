/* saoma-checkout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The payment contract of DESIGN.md. Each attempt is driven by a Driver: it has at most one
 * gateway request and one ledger write in flight and never sends while a write is pending
 * (write before send). What to do next is not decided here: the Driver keeps the attempt's
 * SaomaNativeFacts, folds every answer into them, and carries out what the pure
 * saoma_native_decide() of saoma-native-flow.c chooses (driver_step(): gather → decide →
 * carry out). The state machine, its transitions and the rule that keeps money safe are
 * described there.
 */

#define G_LOG_DOMAIN "saoma-checkout"

#include "config.h"

#include <string.h>

#include "saoma-bench-stamp.h"
#include "saoma-checkout.h"
#include "saoma-money.h"
#include "saoma-micropay-job.h"
#include "saoma-lease.h"
#include "saoma-native-flow.h"
#include "saoma-operation.h"

/* Do not re-send unifiedorder this close to time_expire: wait and prove non-existence. */
#define SEND_MARGIN_US (2 * G_USEC_PER_SEC)

typedef struct _Driver Driver;

struct _SaomaCheckout
{
  GObject              parent_instance;

  SaomaGateway        *gateway;
  SaomaStore          *store;
  SaomaClock          *clock;
  SaomaCheckoutConfig *config;

  GHashTable          *drivers;   /* out_trade_no → Driver* (one ref), final ones included */
  Driver              *current;   /* borrowed from drivers */
  GHashTable          *jobs;      /* out_trade_no → SaomaMicropayJob* (one ref) */
  SaomaMicropayJob    *current_job; /* borrowed from jobs; never set with current */
  GCancellable        *cancellable;
  guint                listing;   /* recoveries reading the ledger */
  char                *owner;     /* the lease owner of what it drives (saoma-lease.h) */

  /* What the views last saw, to notify only on change. */
  SaomaCheckoutPhase   pub_phase;
  SaomaCheckoutState   pub_state;
  gint64               pub_amount;
  char                *pub_description;
  char                *pub_out_trade_no;
  char                *pub_code_url;
  int                  pub_seconds_left;
  char                *pub_transaction_id;
  SaomaCloseReason     pub_close_reason;
  GError              *pub_error;
  gboolean             pub_busy;
};

typedef struct {
  SaomaAttemptState state;
  char             *transaction_id;
  char             *code_url;
  gint64            paid_at;
  gboolean          late;
  char             *event_kind;
  char             *event_detail;
} PendingWrite;

/* A Native payment attempt being driven: a SaomaOperation (saoma-operation.c) whose step is
 * gather facts → saoma_native_decide() → carry out. */
struct _Driver
{
  SaomaOperation     op;
  SaomaCheckout     *checkout;      /* unowned; NULL once the engine is gone */
  SaomaGateway      *gateway;       /* the gateway it was created with: identical retries */

  char              *out_trade_no;
  gint64             amount;
  char              *description;
  char              *till_id;
  gint64             created;
  gint64             expires;
  char              *request;       /* the gateway's request token, fixed for good */

  SaomaAttempt      *attempt;       /* last durable snapshot, NULL until inserted */
  SaomaNativeFacts   facts;         /* what the decision needs (saoma-native-flow.h) */
  gboolean           insert_failed;
  char              *code_url;
  char              *paid_transaction_id; /* of the orderquery that found it paid */
  gint64             paid_at;
  SaomaCloseReason   close_reason;
  GError            *error;
  int                seconds_left;
  gboolean           amount_mismatch;
  char              *last_response;    /* to log repeated poll answers once */

  guint              tick_id;          /* the countdown */
};

enum {
  PROP_0,
  PROP_PHASE,
  PROP_STATE,
  PROP_AMOUNT,
  PROP_DESCRIPTION,
  PROP_OUT_TRADE_NO,
  PROP_CODE_URL,
  PROP_SECONDS_LEFT,
  PROP_VALIDITY,
  PROP_TRANSACTION_ID,
  PROP_CLOSE_REASON,
  PROP_ERROR,
  PROP_BUSY,
  N_PROPS
};

enum {
  LATE_PAYMENT,
  PAID,
  ATTEMPT_FINISHED,
  TAKEN_OVER,
  LEFT_ALONE,
  CODE_URL_ANSWERED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SaomaCheckout, saoma_checkout, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (SaomaCheckoutConfig, saoma_checkout_config,
                     saoma_checkout_config_copy, saoma_checkout_config_free)
G_DEFINE_QUARK (saoma-checkout-error-quark, saoma_checkout_error)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void driver_step      (Driver *d);
static void driver_write     (Driver            *d,
                              SaomaAttemptState  state,
                              const char        *code_url,
                              const char        *transaction_id,
                              gint64             paid_at,
                              gboolean           late,
                              const char        *event_kind,
                              const char        *detail);
static void sync_properties  (SaomaCheckout *self);
static void tick_schedule    (Driver *d);

/* --- Config -------------------------------------------------------------------------------- */

/**
 * saoma_checkout_config_new:
 *
 * Returns: (transfer full): the default settings.
 */
SaomaCheckoutConfig *
saoma_checkout_config_new (void)
{
  SaomaCheckoutConfig *config = g_new0 (SaomaCheckoutConfig, 1);

  config->till_id = g_strdup ("T01");
  config->notify_url = g_strdup ("http://127.0.0.1/saoma/notify");
  config->spbill_create_ip = g_strdup ("127.0.0.1");
  config->product_id = g_strdup ("SAOMA");
  config->validity_s = 300;
  config->poll_interval_ms = 2000;
  config->slow_poll_interval_ms = 10000;
  config->close_delay_s = 300;
  config->retry_interval_ms = 2000;
  config->max_amount = SAOMA_MONEY_DEFAULT_MAX_FEN;

  return config;
}

SaomaCheckoutConfig *
saoma_checkout_config_copy (const SaomaCheckoutConfig *config)
{
  SaomaCheckoutConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_memdup2 (config, sizeof *config);
  copy->till_id = g_strdup (config->till_id);
  copy->notify_url = g_strdup (config->notify_url);
  copy->spbill_create_ip = g_strdup (config->spbill_create_ip);
  copy->product_id = g_strdup (config->product_id);

  return copy;
}

void
saoma_checkout_config_free (SaomaCheckoutConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->till_id);
  g_free (config->notify_url);
  g_free (config->spbill_create_ip);
  g_free (config->product_id);
  g_free (config);
}

const char *
saoma_checkout_state_to_string (SaomaCheckoutState state)
{
  switch (state)
    {
    case SAOMA_CHECKOUT_NONE: return "NONE";
    case SAOMA_CHECKOUT_CREATED: return "CREATED";
    case SAOMA_CHECKOUT_SUBMITTED: return "SUBMITTED";
    case SAOMA_CHECKOUT_WAITING: return "WAITING";
    case SAOMA_CHECKOUT_UNKNOWN: return "UNKNOWN";
    case SAOMA_CHECKOUT_CLOSING: return "CLOSING";
    case SAOMA_CHECKOUT_PAID: return "PAID";
    case SAOMA_CHECKOUT_CLOSED: return "CLOSED";
    case SAOMA_CHECKOUT_FAILED: return "FAILED";
    default: return "INVALID";
    }
}

static SaomaCheckoutState
checkout_state_from_attempt (SaomaAttemptState state)
{
  switch (state)
    {
    case SAOMA_ATTEMPT_CREATED: return SAOMA_CHECKOUT_CREATED;
    case SAOMA_ATTEMPT_SUBMITTED: return SAOMA_CHECKOUT_SUBMITTED;
    case SAOMA_ATTEMPT_WAITING: return SAOMA_CHECKOUT_WAITING;
    case SAOMA_ATTEMPT_UNKNOWN: return SAOMA_CHECKOUT_UNKNOWN;
    case SAOMA_ATTEMPT_CLOSING: return SAOMA_CHECKOUT_CLOSING;
    case SAOMA_ATTEMPT_PAID:
    case SAOMA_ATTEMPT_PARTIALLY_REFUNDED:
    case SAOMA_ATTEMPT_REFUNDED:
      return SAOMA_CHECKOUT_PAID;
    case SAOMA_ATTEMPT_CLOSED: return SAOMA_CHECKOUT_CLOSED;
    case SAOMA_ATTEMPT_FAILED: return SAOMA_CHECKOUT_FAILED;
    default: return SAOMA_CHECKOUT_NONE;
    }
}

/* --- Drivers: life cycle --------------------------------------------------------------------- */

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
pending_write_free (PendingWrite *w)
{
  g_free (w->transaction_id);
  g_free (w->code_url);
  g_free (w->event_kind);
  g_free (w->event_detail);
  g_free (w);
}

static void
driver_unref (Driver *d)
{
  saoma_operation_unref (d);
}

static Driver *
driver_ref (Driver *d)
{
  return saoma_operation_ref (d);
}

static void driver_op_step     (SaomaOperation *op);
static void driver_op_finalize (SaomaOperation *op);
static void driver_write_start (SaomaOperation     *op,
                                gpointer            write,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
static gpointer driver_write_finish (SaomaOperation *op,
                                     GAsyncResult   *result,
                                     GError        **error);
static void driver_written      (SaomaOperation *op,
                                 gpointer        write,
                                 gpointer        row);
static void driver_write_failed (SaomaOperation *op,
                                 gpointer        write,
                                 const GError   *error);
static void driver_taken_over   (SaomaOperation *op);

static const SaomaOperationClass driver_class = {
  .name = "payment",
  .step = driver_op_step,
  .write_start = driver_write_start,
  .write_finish = driver_write_finish,
  .written = driver_written,
  .write_failed = driver_write_failed,
  .write_free = (GDestroyNotify)pending_write_free,
  .row_free = g_object_unref,
  .taken_over = driver_taken_over,
  .finalize = driver_op_finalize,
};

static void
driver_op_finalize (SaomaOperation *op)
{
  Driver *d = (Driver *)op;

  g_assert (d->tick_id == 0);
  g_clear_object (&d->gateway);
  g_clear_object (&d->attempt);
  g_clear_pointer (&d->request, g_free);
  g_clear_error (&d->error);
  g_free (d->out_trade_no);
  g_free (d->description);
  g_free (d->till_id);
  g_free (d->code_url);
  g_free (d->last_response);
  g_free (d->paid_transaction_id);
}

static Driver *
driver_new (SaomaCheckout *self,
            const char    *out_trade_no,
            gint64         amount,
            const char    *description,
            const char    *till_id,
            gint64         created,
            gint64         expires)
{
  Driver *d = saoma_operation_new (&driver_class, sizeof (Driver), self->clock, self->store,
                                   self->cancellable, out_trade_no);

  /* Retry a refused write as slowly as a given-up attempt is watched. */
  d->op.write_backoff = (gint64)self->config->slow_poll_interval_ms * 1000;
  d->checkout = self;
  d->gateway = g_object_ref (self->gateway);
  d->out_trade_no = g_strdup (out_trade_no);
  d->amount = amount;
  d->description = g_strdup (description ? description : "");
  d->till_id = g_strdup (till_id ? till_id : "");
  d->created = created;
  d->expires = expires;
  saoma_native_facts_init (&d->facts, created, expires);
  d->seconds_left = -1;

  return d;
}

static gint64
now_us (Driver *d)
{
  return saoma_clock_now (d->checkout->clock);
}

/* Cancelled, expired or resumed by recovery: no QR (close_reason says which for the views). */
static gboolean
driver_giving_up (Driver *d)
{
  return d->facts.giving_up;
}

static gboolean
driver_is_final (Driver *d)
{
  return saoma_attempt_state_is_final (d->facts.state);
}

static SaomaAttemptState
driver_durable_state (Driver *d)
{
  if (d->insert_failed)
    return SAOMA_ATTEMPT_FAILED;
  if (d->attempt == NULL)
    return SAOMA_ATTEMPT_CREATED;
  return saoma_attempt_get_state (d->attempt);
}

static void
driver_set_error (Driver       *d,
                  const GError *error)
{
  g_clear_error (&d->error);
  if (error != NULL)
    d->error = g_error_copy (error);
}

static void
driver_stop_timers (Driver *d)
{
  saoma_operation_disarm (&d->op);
  saoma_clock_remove (d->op.clock, d->tick_id);
  d->tick_id = 0;
}

/* --- Ledger events ------------------------------------------------------------------------- */

/* Audit events are appended once the attempt is on record. */
#define driver_event(d, ...) saoma_operation_event (&(d)->op, __VA_ARGS__)

/* The protocol's code for the audit log ("ORDERNOTEXIST"); interned, so the set of codes a
 * gateway can produce is what it costs. */
static const char *
error_code_name (const GError *error)
{
  g_autofree char *code = saoma_gateway_error_dup_protocol_code (error);

  return g_intern_string (code);
}

/* --- Ledger writes ------------------------------------------------------------------------- */

static void
driver_write_start (SaomaOperation     *op,
                    gpointer            write,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  Driver *d = (Driver *)op;
  PendingWrite *w = write;
  SaomaAttemptUpdate update = {
    .state = w->state,
    .transaction_id = w->transaction_id,
    .code_url = w->code_url,
    .paid_at = w->paid_at,
    .late = w->late,
    .event_kind = w->event_kind,
    .event_detail = w->event_detail,
    .owner = saoma_operation_get_fence (op),
  };

  g_debug ("%s: → %s (%s)", d->out_trade_no, saoma_attempt_state_to_string (w->state),
           w->event_detail);
  saoma_store_update_attempt_async (op->store, d->out_trade_no, &update, NULL, callback,
                                    user_data);
}

static gpointer
driver_write_finish (SaomaOperation *op,
                     GAsyncResult   *result,
                     GError        **error)
{
  return saoma_store_update_attempt_finish (op->store, result, error);
}

/* The disk refused: the decided state cannot be trusted to be durable. Surface it; the next
 * decision (after the back-off) starts again from the durable state. */
static void
driver_write_failed (SaomaOperation *op,
                     gpointer        write,
                     const GError   *error)
{
  Driver *d = (Driver *)op;

  driver_set_error (d, error);
  saoma_native_write_failed (&d->facts, saoma_attempt_get_state (d->attempt));
  sync_properties (d->checkout);
}

/* Another till took the attempt over while this process was stopped: the operation stopped
 * driving it; say so plainly. The attempt stays current (what the views show) until reset. */
static void
driver_taken_over (SaomaOperation *op)
{
  Driver *d = (Driver *)op;
  SaomaCheckout *self = d->checkout;
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;

  driver_stop_timers (d);
  error = g_error_new_literal (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_TAKEN_OVER,
                               "Another till took over this payment");
  driver_set_error (d, error);

  g_object_ref (self);
  sync_properties (self);
  g_signal_emit (self, signals[TAKEN_OVER], 0, d->out_trade_no);
  /* Nothing more comes of it here: a background attempt leaves the table at once. */
  if (d != self->current && d->checkout != NULL)
    g_hash_table_remove (self->drivers, d->out_trade_no);
  g_object_unref (self);
}

static void
driver_written (SaomaOperation *op,
                gpointer        write,
                gpointer        row)
{
  Driver *d = (Driver *)op;
  SaomaCheckout *self = d->checkout;
  g_autoptr(SaomaAttempt) attempt = row;
  SaomaAttemptState durable;
  gboolean last = g_queue_is_empty (&op->writes);
  gboolean late;

  g_set_object (&d->attempt, attempt);
  durable = saoma_attempt_get_state (attempt);
  saoma_bench_stamp (saoma_attempt_state_to_string (durable), d->out_trade_no);
  /* The disk takes writes again: an earlier write's failure is no longer the news. */
  if (d->error != NULL && d->error->domain == SAOMA_LEDGER_ERROR)
    driver_set_error (d, NULL);
  late = saoma_attempt_get_late (attempt);

  {
    g_autofree char *point = g_strdup_printf ("after-%s", saoma_attempt_state_to_string (durable));

    for (char *p = point; *p; p++)
      *p = g_ascii_tolower (*p);
    saoma_operation_crash_point (point);
  }

  g_object_ref (self);
  sync_properties (self);

  if (durable == SAOMA_ATTEMPT_PAID && last)
    {
      if (late && d->close_reason == SAOMA_CLOSE_REASON_INTERRUPTED)
        {
          /* Quit or crash mid-sale: recovery began closing it, then the customer paid. Late
           * all the same (someone must decide), but nobody gave it up. */
          g_message ("LATE PAYMENT: %s (%" G_GINT64_FORMAT " fen), left unfinished by the last "
                     "run, was paid after recovery resumed it", d->out_trade_no, d->amount);
          driver_event (d, "note", "late payment of an attempt resumed by recovery: left "
                                   "unfinished by the last run, not given up by the cashier");
          g_signal_emit (self, signals[LATE_PAYMENT], g_quark_from_static_string ("resumed"),
                         attempt);
        }
      else if (late)
        {
          g_message ("LATE PAYMENT: %s (%" G_GINT64_FORMAT " fen) was paid after the cashier "
                     "gave up", d->out_trade_no, d->amount);
          g_signal_emit (self, signals[LATE_PAYMENT], g_quark_from_static_string ("given-up"),
                         attempt);
        }
      else if (d == self->current)
        g_signal_emit (self, signals[PAID], 0, attempt);
    }

  if (saoma_attempt_state_is_final (durable) && last)
    {
      g_signal_emit (self, signals[ATTEMPT_FINISHED], 0, attempt);
      saoma_operation_done (&d->op);
    }

  g_object_unref (self);
}

/* One transition = one ledger update with its event; views hear of it when it is durable. */
static void
driver_write (Driver            *d,
              SaomaAttemptState  state,
              const char        *code_url,
              const char        *transaction_id,
              gint64             paid_at,
              gboolean           late,
              const char        *event_kind,
              const char        *detail)
{
  PendingWrite *w = g_new0 (PendingWrite, 1);

  g_assert (d->facts.inserted);

  w->state = state;
  w->code_url = g_strdup (code_url);
  w->transaction_id = g_strdup (transaction_id);
  w->paid_at = paid_at;
  w->late = late;
  w->event_kind = g_strdup (event_kind ? event_kind : "transition");
  w->event_detail = g_strdup (detail);

  d->facts.state = state;
  saoma_operation_write (&d->op, w);
}

/* --- Gateway requests ----------------------------------------------------------------------- */

/* The Native order of this attempt, from the attempt and the settings of the moment, as the
 * gateway's request token. Built once, when the attempt is created, and stored with it: a
 * re-entry must repeat it to the letter, and the settings (the notification listener's port,
 * the product id …) may differ in a later run. */
static char *
build_request (Driver  *d,
               GError **error)
{
  SaomaCheckoutConfig *config = d->checkout->config;
  SaomaNativeOrder order = {
    .out_trade_no = d->out_trade_no,
    .amount = d->amount,
    .description = d->description,
    .till_id = d->till_id,
    .time_start = d->created,
    .time_expire = d->expires,
    .notify_url = config->notify_url,
    .product_id = config->product_id,
    .client_ip = config->spbill_create_ip,
  };

  return saoma_gateway_build_native_request (d->gateway, &order, error);
}

/* One request per driver is in flight (saoma-operation.c); its answer goes to the call's
 * answered function, then the decision runs again. */
static void
driver_send (Driver                   *d,
             const SaomaOperationCall *call)
{
  saoma_operation_send (&d->op, call);
}

/* --- Answers: folded into the facts ---------------------------------------------------------- */

static SaomaNativeTiming
driver_timing (Driver *d)
{
  SaomaCheckoutConfig *config = d->checkout->config;

  return (SaomaNativeTiming) {
    .poll = (gint64)config->poll_interval_ms * 1000,
    .slow_poll = (gint64)config->slow_poll_interval_ms * 1000,
    .retry = (gint64)config->retry_interval_ms * 1000,
    .close_delay = (gint64)config->close_delay_s * G_USEC_PER_SEC,
    .send_margin = SEND_MARGIN_US,
  };
}

static void
driver_absorb (Driver           *d,
               SaomaNativeCall   call,
               SaomaNativeAnswer answer,
               const char       *code,
               gint64            now)
{
  SaomaNativeTiming timing = driver_timing (d);

  saoma_native_absorb (&d->facts, call, answer, code, now, &timing);
}

static void
unifiedorder_answered (SaomaOperation *op,
                       gconstpointer   answer_data,
                       const GError   *gateway_error)
{
  Driver *d = (Driver *)op;
  gint64 now = saoma_operation_now (op);
  const SaomaNativeOrderResult *answer = answer_data;
  g_autoptr(GError) malformed = NULL;
  const GError *error = gateway_error;
  const char *code_url = answer ? answer->code_url : NULL;
  SaomaNativeAnswer kind;

  saoma_bench_stamp ("verified", d->out_trade_no);
  if (answer != NULL && (code_url == NULL || *code_url == '\0'))
    {
      answer = NULL;
      error = malformed = g_error_new_literal (SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BAD_ANSWER,
                                               "unifiedorder answer has no code_url");
    }

  kind = saoma_native_answer_for_error (error);
  driver_absorb (d, SAOMA_NATIVE_CALL_CREATE, kind, error_code_name (error), now);

  switch (kind)
    {
    case SAOMA_NATIVE_ANSWER_OK:
      set_str (&d->code_url, code_url);
      driver_set_error (d, NULL);
      if (d->checkout != NULL && d == d->checkout->current && !driver_giving_up (d))
        g_signal_emit (d->checkout, signals[CODE_URL_ANSWERED], 0, d->out_trade_no,
                       d->code_url);
      break;
    case SAOMA_NATIVE_ANSWER_ORDER_PAID:
    case SAOMA_NATIVE_ANSWER_ORDER_CLOSED:
      driver_event (d, "response", "unifiedorder → %s, querying", error_code_name (error));
      break;
    case SAOMA_NATIVE_ANSWER_UNKNOWN:
      driver_set_error (d, error);
      g_message ("%s: unifiedorder outcome unknown (%s): %s", d->out_trade_no,
                 error_code_name (error), error->message);
      if (d->facts.news != SAOMA_NATIVE_NEWS_CREATE_UNKNOWN)
        driver_event (d, "response", "unifiedorder outcome unknown (%s)",
                      error_code_name (error));
      break;
    case SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST:
    case SAOMA_NATIVE_ANSWER_NOT_JUDGED:
    case SAOMA_NATIVE_ANSWER_REJECTED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT:
    case SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_CLOSED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR:
    case SAOMA_NATIVE_ANSWER_TRADE_OTHER:
    case SAOMA_NATIVE_ANSWER_FOREIGN:
    default:
      driver_set_error (d, error);
      if (d->facts.news == SAOMA_NATIVE_NEWS_CREATE_REJECTED)
        break;
      if (d->facts.want_send)
        driver_event (d, "response", "unifiedorder not delivered (%s), retrying",
                      error_code_name (error));
      else
        driver_event (d, "response", "unifiedorder rejected (%s) after an unknown outcome, "
                      "querying", error_code_name (error));
      break;
    }
}

static void
unifiedorder_start (SaomaOperation     *op,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  Driver *d = (Driver *)op;

  saoma_gateway_create_native_order_async (d->gateway, d->request, cancellable, callback,
                                           user_data);
}

static const SaomaOperationCall unifiedorder_call = {
  unifiedorder_start, (gpointer)saoma_gateway_create_native_order_finish, unifiedorder_answered,
  (GDestroyNotify)saoma_native_order_result_free, "before-send", "after-send",
};

static SaomaNativeAnswer
orderquery_classify (Driver                 *d,
                     const SaomaOrderStatus *answer,
                     const GError           *error)
{
  if (answer == NULL)
    return saoma_native_answer_for_error (error);

  if (answer->out_trade_no != NULL && g_strcmp0 (answer->out_trade_no, d->out_trade_no) != 0)
    return SAOMA_NATIVE_ANSWER_FOREIGN;

  switch (answer->state)
    {
    case SAOMA_TRADE_STATE_SUCCESS:
    case SAOMA_TRADE_STATE_REFUND:
      return answer->amount == d->amount ? SAOMA_NATIVE_ANSWER_TRADE_PAID
                                         : SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT;
    case SAOMA_TRADE_STATE_NOTPAY:
    case SAOMA_TRADE_STATE_USERPAYING:
    case SAOMA_TRADE_STATE_ACCEPT:
      return SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID;
    case SAOMA_TRADE_STATE_CLOSED:
    case SAOMA_TRADE_STATE_REVOKED:
      return SAOMA_NATIVE_ANSWER_TRADE_CLOSED;
    case SAOMA_TRADE_STATE_PAYERROR:
      return SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR;
    case SAOMA_TRADE_STATE_UNKNOWN:
    default:
      return SAOMA_NATIVE_ANSWER_TRADE_OTHER;
    }
}

static void
orderquery_answered (SaomaOperation *op,
                     gconstpointer   answer_data,
                     const GError   *error)
{
  Driver *d = (Driver *)op;
  gint64 now = saoma_operation_now (op);
  const SaomaOrderStatus *answer = answer_data;
  SaomaNativeAnswer kind = orderquery_classify (d, answer, error);
  gboolean reopened = d->facts.reopened;
  gboolean existed = d->facts.exists;
  const char *trade_state = answer ? answer->state_text : NULL;
  const char *code = answer ? g_intern_string (trade_state) : error_code_name (error);

  driver_absorb (d, SAOMA_NATIVE_CALL_QUERY, kind, code, now);

  /* The audit log and the views: what the answer was. */
  switch (kind)
    {
    case SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST:
      if (reopened)
        driver_event (d, "response", "orderquery → ORDERNOTEXIST, notification not confirmed");
      else if (existed)
        {
          g_warning ("%s: orderquery says ORDERNOTEXIST for an order WeChat created",
                     d->out_trade_no);
          driver_event (d, "response", "orderquery → ORDERNOTEXIST (order known to exist)");
        }
      else if (set_str (&d->last_response, "ORDERNOTEXIST"))
        driver_event (d, "response", "orderquery → ORDERNOTEXIST");
      return;

    case SAOMA_NATIVE_ANSWER_OK:
    case SAOMA_NATIVE_ANSWER_ORDER_PAID:
    case SAOMA_NATIVE_ANSWER_ORDER_CLOSED:
    case SAOMA_NATIVE_ANSWER_NOT_JUDGED:
    case SAOMA_NATIVE_ANSWER_REJECTED:
    case SAOMA_NATIVE_ANSWER_UNKNOWN:
      if (set_str (&d->last_response, error_code_name (error)))
        driver_event (d, "response", "orderquery failed (%s)", error_code_name (error));
      return;

    case SAOMA_NATIVE_ANSWER_FOREIGN:
      g_warning ("%s: orderquery answered for another out_trade_no", d->out_trade_no);
      driver_event (d, "response", "orderquery answer for another out_trade_no, ignored");
      return;

    case SAOMA_NATIVE_ANSWER_TRADE_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT:
    case SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_CLOSED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR:
    case SAOMA_NATIVE_ANSWER_TRADE_OTHER:
    default:
      break;
    }

  if (set_str (&d->last_response, trade_state))
    driver_event (d, "response", "orderquery → %s", trade_state ? trade_state : "(none)");

  if (kind == SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT)
    {
      g_autofree char *reported = answer->amount >= 0
                                  ? g_strdup_printf ("%" G_GINT64_FORMAT, answer->amount)
                                  : g_strdup ("(missing)");
      g_autoptr(GError) mismatch = NULL;

      /* Never mark money as paid on an answer that does not match the sale. */
      if (!d->amount_mismatch)
        g_critical ("%s: WeChat reports a payment of %s fen for an attempt of %"
                    G_GINT64_FORMAT " fen — NOT marked paid, needs attention",
                    d->out_trade_no, reported, d->amount);
      mismatch = g_error_new (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_AMOUNT_MISMATCH,
                              "WeChat reports an amount of %s fen, the attempt is %"
                              G_GINT64_FORMAT " fen", reported, d->amount);
      driver_set_error (d, mismatch);
      d->amount_mismatch = TRUE;
      driver_event (d, "note", "amount mismatch in orderquery: not marked paid");
    }
  else if (kind == SAOMA_NATIVE_ANSWER_TRADE_PAID)
    {
      set_str (&d->paid_transaction_id, answer->transaction_id);
      d->paid_at = answer->paid_at > 0 ? answer->paid_at : now;
    }
  else if (kind == SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR && !reopened)
    {
      g_autoptr(GError) payerror = g_error_new (SAOMA_GATEWAY_ERROR,
                                                SAOMA_GATEWAY_ERROR_TRADE_ERROR,
                                                "Payment failed: %s",
                                                answer->state_desc ?: "PAYERROR");

      driver_set_error (d, payerror);
    }
  else if (kind == SAOMA_NATIVE_ANSWER_TRADE_OTHER && !reopened)
    g_warning ("%s: unexpected trade_state %s", d->out_trade_no, trade_state ?: "(none)");
}

static void
orderquery_start (SaomaOperation     *op,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  Driver *d = (Driver *)op;

  saoma_gateway_query_order_async (d->gateway, d->out_trade_no, cancellable, callback,
                                   user_data);
}

static const SaomaOperationCall orderquery_call = {
  orderquery_start, (gpointer)saoma_gateway_query_order_finish, orderquery_answered,
  (GDestroyNotify)saoma_order_status_free, "before-query", "after-query",
};

static void
closeorder_answered (SaomaOperation *op,
                     gconstpointer   answer,
                     const GError   *error)
{
  Driver *d = (Driver *)op;
  gint64 now = saoma_operation_now (op);
  SaomaNativeAnswer kind = answer != NULL ? SAOMA_NATIVE_ANSWER_OK
                                          : saoma_native_answer_for_error (error);

  driver_event (d, "response", "closeorder → %s", error_code_name (error));
  driver_absorb (d, SAOMA_NATIVE_CALL_CLOSE, kind, error_code_name (error), now);
}

static void
closeorder_start (SaomaOperation     *op,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  Driver *d = (Driver *)op;

  saoma_gateway_close_order_async (d->gateway, d->out_trade_no, cancellable, callback,
                                   user_data);
}

/* The answer is non-NULL exactly when the order was closed. */
static gpointer
closeorder_finish (GObject       *source,
                   GAsyncResult  *result,
                   GError       **error)
{
  return saoma_gateway_close_order_finish (SAOMA_GATEWAY (source), result, error)
           ? GINT_TO_POINTER (1) : NULL;
}

static const SaomaOperationCall closeorder_call = {
  closeorder_start, closeorder_finish, closeorder_answered, NULL, "before-close", "after-close",
};

/* --- The decision, carried out ---------------------------------------------------------------- */

static void
driver_arm (Driver *d,
            gint64  at)
{
  saoma_operation_arm (&d->op, at);
}

/* The error the views show for a FAILED decision. */
static void
driver_set_fail_error (Driver          *d,
                       SaomaNativeFail  reason)
{
  g_autoptr(GError) error = NULL;

  switch (reason)
    {
    case SAOMA_NATIVE_FAIL_UNSENT:
      error = g_error_new_literal (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_CANCELLED,
                                   "Cancelled before it was sent");
      break;
    case SAOMA_NATIVE_FAIL_GATEWAY:
      /* WeChat's own refusal is the error already on show. */
      if (d->error != NULL)
        return;
      G_GNUC_FALLTHROUGH;
    case SAOMA_NATIVE_FAIL_NEVER_REACHED:
      error = g_error_new_literal (SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NEVER_SENT,
                                   "The order never reached WeChat");
      break;
    case SAOMA_NATIVE_FAIL_NONE:
    default:
      return;
    }
  driver_set_error (d, error);
}

/* Gather the facts, decide, carry the decision out. */
static void
driver_step (Driver *d)
{
  SaomaNativeTiming timing;
  SaomaNativeDecision decision;
  gint64 now;

  if (d->checkout == NULL || saoma_operation_is_taken_over (&d->op))
    return;

  timing = driver_timing (d);
  now = now_us (d);
  d->facts.writing = saoma_operation_is_writing (&d->op);
  d->facts.net_busy = saoma_operation_is_sending (&d->op);
  decision = saoma_native_decide (&d->facts, now, &timing);

  if (decision.action != SAOMA_NATIVE_ACTION_NONE && decision.action != SAOMA_NATIVE_ACTION_WAIT)
    saoma_operation_disarm (&d->op);

  saoma_native_carried_out (&d->facts, &decision, now);

  switch (decision.action)
    {
    case SAOMA_NATIVE_ACTION_NONE:
      break;

    case SAOMA_NATIVE_ACTION_DONE:
      driver_stop_timers (d);
      break;

    case SAOMA_NATIVE_ACTION_WAIT:
      driver_arm (d, MAX (decision.at, now));
      break;

    case SAOMA_NATIVE_ACTION_WRITE:
    case SAOMA_NATIVE_ACTION_FAIL:
      {
        g_autofree char *detail = NULL;
        const char *code_url = NULL;
        const char *transaction_id = NULL;
        gint64 paid_at = 0;

        if (decision.action == SAOMA_NATIVE_ACTION_FAIL)
          driver_set_fail_error (d, decision.fail);
        if (decision.to == SAOMA_ATTEMPT_PAID)
          {
            saoma_operation_crash_point ("after-paid-query");
            saoma_bench_stamp ("paid-verified", d->out_trade_no);
            driver_set_error (d, NULL);
            transaction_id = d->paid_transaction_id;
            paid_at = d->paid_at;
          }
        if (decision.why == SAOMA_NATIVE_WHY_CREATED ||
            decision.why == SAOMA_NATIVE_WHY_CREATED_AFTER_GIVE_UP ||
            decision.why == SAOMA_NATIVE_WHY_CODE_URL_AGAIN)
          code_url = d->code_url;
        detail = saoma_native_decision_describe (&decision, transaction_id);
        driver_write (d, decision.to, code_url, transaction_id, paid_at, decision.late,
                      "transition", detail);
      }
      break;

    case SAOMA_NATIVE_ACTION_CREATE:
      {
        g_autofree char *what = NULL;

        driver_send (d, &unifiedorder_call);
        /* After the send: the request is signed (RSA for v3) and handed to libsoup. */
        saoma_bench_stamp ("sent", d->out_trade_no);
        /* Its audit event next (queued on the store's thread in the same order): the request
         * is on record already, with the attempt, and the event's write need not wake the
         * store's thread before the request is out. */
        what = saoma_gateway_describe_native_request (d->gateway, d->request);
        driver_event (d, "request", "unifiedorder %s", what);
      }
      break;

    case SAOMA_NATIVE_ACTION_QUERY:
      driver_send (d, &orderquery_call);
      break;

    case SAOMA_NATIVE_ACTION_CLOSE:
      driver_event (d, "request", "closeorder");
      driver_send (d, &closeorder_call);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* The decision first, then the views: a verified code_url queues WAITING's write before the
 * views hear of the QR (and draw it), so the write is not delayed behind the drawing. */
static void
driver_op_step (SaomaOperation *op)
{
  Driver *d = (Driver *)op;

  driver_step (d);
  if (d->checkout != NULL)
    sync_properties (d->checkout);
}

/* --- Giving up: cancel and expiry ------------------------------------------------------------ */

static void
driver_give_up (Driver          *d,
                SaomaCloseReason reason)
{
  if (!saoma_native_give_up (&d->facts, reason == SAOMA_CLOSE_REASON_EXPIRED))
    return;

  d->close_reason = reason;
  saoma_clock_remove (d->checkout->clock, d->tick_id);
  d->tick_id = 0;

  sync_properties (d->checkout);
  driver_step (d);
}

static gboolean
tick_cb (gpointer user_data)
{
  Driver *d = user_data;

  d->tick_id = 0;
  if (d->checkout != NULL)
    tick_schedule (d);

  return G_SOURCE_REMOVE;
}

/* The countdown ticks on whole seconds before time_expire. */
static void
tick_schedule (Driver *d)
{
  gint64 remaining = d->expires - now_us (d);
  gint64 delay_us;

  d->seconds_left = remaining <= 0 ? 0 : (int)((remaining + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  sync_properties (d->checkout);

  if (remaining <= 0)
    {
      driver_give_up (d, SAOMA_CLOSE_REASON_EXPIRED);
      return;
    }

  delay_us = remaining % G_USEC_PER_SEC;
  if (delay_us == 0)
    delay_us = G_USEC_PER_SEC;

  saoma_clock_remove (d->checkout->clock, d->tick_id);
  d->tick_id = saoma_clock_add_timeout (d->checkout->clock, (guint)((delay_us + 999) / 1000),
                                        tick_cb, driver_ref (d), (GDestroyNotify)driver_unref);
}

/* --- Properties ------------------------------------------------------------------------------ */

static gboolean
errors_equal (const GError *a,
              const GError *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->domain == b->domain && a->code == b->code && g_strcmp0 (a->message, b->message) == 0;
}

/**
 * saoma_checkout_phase_for:
 * @state: the current attempt's durable state (%SAOMA_CHECKOUT_NONE before its first write)
 * @busy: the "busy" property: not final and not given up
 * @close_reason: why it was given up, if it was
 * @late: the attempt's late flag (paid after it was given up)
 *
 * The one rule from the engine's facts to what the views show. A give-up shows at once, before
 * its CLOSING write is durable: the QR is already hidden and the cashier may move on, so both
 * views must already say "cancelled" or "expired" (not "creating", not "checking"). A final
 * state on record wins over the give-up (FAILED, PAID late).
 *
 * Returns: the phase
 */
SaomaCheckoutPhase
saoma_checkout_phase_for (SaomaCheckoutState state,
                          gboolean           busy,
                          SaomaCloseReason   close_reason,
                          gboolean           late,
                          gboolean           code_url_verified)
{
  SaomaCheckoutPhase given_up = close_reason == SAOMA_CLOSE_REASON_EXPIRED
                                  ? SAOMA_CHECKOUT_PHASE_EXPIRED
                                  : SAOMA_CHECKOUT_PHASE_CANCELLED;

  switch (state)
    {
    case SAOMA_CHECKOUT_PAID:
      return late ? SAOMA_CHECKOUT_PHASE_PAID_LATE : SAOMA_CHECKOUT_PHASE_PAID;
    case SAOMA_CHECKOUT_FAILED:
      return SAOMA_CHECKOUT_PHASE_FAILED;
    case SAOMA_CHECKOUT_CLOSING:
    case SAOMA_CHECKOUT_CLOSED:
      return given_up;
    case SAOMA_CHECKOUT_NONE:
      /* No attempt at all, or one whose first write is still in flight. */
      if (busy)
        return SAOMA_CHECKOUT_PHASE_PREPARING;
      return close_reason == SAOMA_CLOSE_REASON_NONE ? SAOMA_CHECKOUT_PHASE_IDLE : given_up;
    case SAOMA_CHECKOUT_CREATED:
    case SAOMA_CHECKOUT_SUBMITTED:
      /* The verified answer shows the QR while WAITING's write is queued or retried. */
      if (busy && code_url_verified)
        return SAOMA_CHECKOUT_PHASE_SHOW_QR;
      return busy ? SAOMA_CHECKOUT_PHASE_PREPARING : given_up;
    case SAOMA_CHECKOUT_WAITING:
      return busy ? SAOMA_CHECKOUT_PHASE_SHOW_QR : given_up;
    case SAOMA_CHECKOUT_UNKNOWN:
      /* A re-entry answered with the code_url: shown, WAITING follows. */
      if (busy && code_url_verified)
        return SAOMA_CHECKOUT_PHASE_SHOW_QR;
      return busy ? SAOMA_CHECKOUT_PHASE_CHECKING : given_up;
    default:
      g_return_val_if_reached (SAOMA_CHECKOUT_PHASE_IDLE);
    }
}

gboolean
saoma_checkout_phase_is_active (SaomaCheckoutPhase phase)
{
  return phase == SAOMA_CHECKOUT_PHASE_PREPARING || phase == SAOMA_CHECKOUT_PHASE_SHOW_QR ||
         phase == SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD ||
         phase == SAOMA_CHECKOUT_PHASE_CHECKING;
}

gboolean
saoma_checkout_phase_is_result (SaomaCheckoutPhase phase)
{
  return phase != SAOMA_CHECKOUT_PHASE_IDLE && !saoma_checkout_phase_is_active (phase);
}

/**
 * saoma_checkout_phase_for_code:
 * @state: the micropay attempt's durable state (%SAOMA_CHECKOUT_NONE before its first write)
 * @busy: not final and not cancelled
 * @cancelled: the cashier cancelled it
 *
 * The micropay counterpart of saoma_checkout_phase_for(): USERPAYING (WAITING) is the
 * password prompt; an open or reversing outcome is "checking"; a reversed one (CLOSED) took
 * nothing, so it reads as failed unless the cashier cancelled it.
 *
 * Returns: the phase
 */
SaomaCheckoutPhase
saoma_checkout_phase_for_code (SaomaCheckoutState state,
                               gboolean           busy,
                               gboolean           cancelled)
{
  switch (state)
    {
    case SAOMA_CHECKOUT_PAID:
      return SAOMA_CHECKOUT_PHASE_PAID;
    case SAOMA_CHECKOUT_FAILED:
      return SAOMA_CHECKOUT_PHASE_FAILED;
    case SAOMA_CHECKOUT_CLOSED:
      return cancelled ? SAOMA_CHECKOUT_PHASE_CANCELLED : SAOMA_CHECKOUT_PHASE_FAILED;
    case SAOMA_CHECKOUT_NONE:
    case SAOMA_CHECKOUT_CREATED:
    case SAOMA_CHECKOUT_SUBMITTED:
      if (busy)
        return SAOMA_CHECKOUT_PHASE_PREPARING;
      return cancelled ? SAOMA_CHECKOUT_PHASE_CANCELLED : SAOMA_CHECKOUT_PHASE_IDLE;
    case SAOMA_CHECKOUT_WAITING:
      return busy ? SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD : SAOMA_CHECKOUT_PHASE_CANCELLED;
    case SAOMA_CHECKOUT_UNKNOWN:
    case SAOMA_CHECKOUT_CLOSING:
      return busy ? SAOMA_CHECKOUT_PHASE_CHECKING : SAOMA_CHECKOUT_PHASE_CANCELLED;
    default:
      g_return_val_if_reached (SAOMA_CHECKOUT_PHASE_IDLE);
    }
}

/* Recomputes what the views see from the current driver's durable state. */
static void
sync_properties (SaomaCheckout *self)
{
  Driver *d = self->current;
  SaomaCheckoutState state = SAOMA_CHECKOUT_NONE;
  gint64 amount = 0;
  const char *description = NULL, *out_trade_no = NULL, *code_url = NULL;
  const char *transaction_id = NULL;
  int seconds_left = -1;
  SaomaCloseReason close_reason = SAOMA_CLOSE_REASON_NONE;
  const GError *error = NULL;
  gboolean busy = FALSE;
  gboolean late = FALSE;
  gboolean verified = FALSE;
  SaomaCheckoutPhase phase;

  if (self->current_job != NULL)
    {
      SaomaMicropayJob *job = self->current_job;
      SaomaAttemptState durable = saoma_micropay_job_get_state (job);
      gboolean final = saoma_attempt_state_is_final (durable);
      gboolean cancelled = saoma_micropay_job_get_cancelled (job);
      SaomaAttempt *attempt = saoma_micropay_job_get_attempt (job);

      state = saoma_micropay_job_get_recorded (job) ? checkout_state_from_attempt (durable)
                                                    : SAOMA_CHECKOUT_NONE;
      amount = saoma_micropay_job_get_amount (job);
      description = saoma_micropay_job_get_description (job);
      out_trade_no = saoma_micropay_job_get_out_trade_no (job);
      transaction_id = attempt ? saoma_attempt_get_transaction_id (attempt) : NULL;
      close_reason = cancelled ? SAOMA_CLOSE_REASON_CANCELLED : SAOMA_CLOSE_REASON_NONE;
      error = saoma_micropay_job_get_error (job);
      busy = !final && !cancelled;
      seconds_left = -1;
      phase = saoma_checkout_phase_for_code (state, busy, cancelled);
      if (saoma_micropay_job_get_taken_over (job))
        {
          busy = FALSE;
          phase = SAOMA_CHECKOUT_PHASE_TAKEN_OVER;
        }
    }
  else if (d != NULL)
    {
      SaomaAttemptState durable = driver_durable_state (d);
      gboolean final = saoma_attempt_state_is_final (durable);

      state = d->attempt || d->insert_failed ? checkout_state_from_attempt (durable)
                                             : SAOMA_CHECKOUT_NONE;
      amount = d->amount;
      description = d->description;
      out_trade_no = d->out_trade_no;
      busy = !final && !driver_giving_up (d);
      /* The QR from the verified answer on (saoma_native_shows_qr()), not from WAITING's
       * write; a failed write of WAITING leaves it up, with the error beside it. */
      verified = busy && d->code_url != NULL &&
                 (durable == SAOMA_ATTEMPT_WAITING || saoma_native_shows_qr (&d->facts));
      if (verified)
        code_url = d->code_url;
      transaction_id = d->attempt ? saoma_attempt_get_transaction_id (d->attempt) : NULL;
      close_reason = d->close_reason;
      error = d->error;
      seconds_left = busy ? d->seconds_left : 0;
      late = d->attempt != NULL && saoma_attempt_get_late (d->attempt);
      phase = saoma_checkout_phase_for (state, busy, close_reason, late, verified);
      if (saoma_operation_is_taken_over (&d->op))
        {
          /* Another till drives it: nothing of it is this till's to show but that. */
          busy = FALSE;
          code_url = NULL;
          seconds_left = 0;
          phase = SAOMA_CHECKOUT_PHASE_TAKEN_OVER;
        }
    }
  else
    phase = saoma_checkout_phase_for (state, busy, close_reason, late, FALSE);

  g_object_freeze_notify (G_OBJECT (self));

  if (self->pub_phase != phase)
    {
      self->pub_phase = phase;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
    }

  if (self->pub_state != state)
    {
      self->pub_state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->pub_amount != amount)
    {
      self->pub_amount = amount;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AMOUNT]);
    }
  if (set_str (&self->pub_description, description))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
  if (set_str (&self->pub_out_trade_no, out_trade_no))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUT_TRADE_NO]);
  if (set_str (&self->pub_code_url, code_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CODE_URL]);
  if (self->pub_seconds_left != seconds_left)
    {
      self->pub_seconds_left = seconds_left;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECONDS_LEFT]);
    }
  if (set_str (&self->pub_transaction_id, transaction_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSACTION_ID]);
  if (self->pub_close_reason != close_reason)
    {
      self->pub_close_reason = close_reason;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSE_REASON]);
    }
  if (!errors_equal (self->pub_error, error))
    {
      g_clear_error (&self->pub_error);
      if (error != NULL)
        self->pub_error = g_error_copy (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->pub_busy != busy)
    {
      self->pub_busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* --- GObject ---------------------------------------------------------------------------------- */

static void
detach_driver (gpointer data)
{
  Driver *d = data;

  driver_stop_timers (d);
  d->checkout = NULL;
  saoma_operation_detach (&d->op);
  driver_unref (d);
}

static void
detach_job (gpointer data)
{
  SaomaMicropayJob *job = data;

  saoma_micropay_job_detach (job);
  saoma_micropay_job_unref (job);
}

static void
saoma_checkout_dispose (GObject *object)
{
  SaomaCheckout *self = (SaomaCheckout *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  self->current = NULL;
  self->current_job = NULL;
  g_clear_pointer (&self->drivers, g_hash_table_unref);
  g_clear_pointer (&self->jobs, g_hash_table_unref);

  G_OBJECT_CLASS (saoma_checkout_parent_class)->dispose (object);
}

static void
saoma_checkout_finalize (GObject *object)
{
  SaomaCheckout *self = (SaomaCheckout *)object;

  g_clear_object (&self->gateway);
  g_clear_object (&self->store);
  g_clear_object (&self->clock);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, saoma_checkout_config_free);
  g_clear_pointer (&self->owner, g_free);
  g_clear_pointer (&self->pub_description, g_free);
  g_clear_pointer (&self->pub_out_trade_no, g_free);
  g_clear_pointer (&self->pub_code_url, g_free);
  g_clear_pointer (&self->pub_transaction_id, g_free);
  g_clear_error (&self->pub_error);

  G_OBJECT_CLASS (saoma_checkout_parent_class)->finalize (object);
}

static void
saoma_checkout_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  SaomaCheckout *self = SAOMA_CHECKOUT (object);

  switch (prop_id)
    {
    case PROP_PHASE:
      g_value_set_enum (value, self->pub_phase);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->pub_state);
      break;
    case PROP_AMOUNT:
      g_value_set_int64 (value, self->pub_amount);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->pub_description);
      break;
    case PROP_OUT_TRADE_NO:
      g_value_set_string (value, self->pub_out_trade_no);
      break;
    case PROP_CODE_URL:
      g_value_set_string (value, self->pub_code_url);
      break;
    case PROP_SECONDS_LEFT:
      g_value_set_int (value, self->pub_seconds_left);
      break;
    case PROP_VALIDITY:
      g_value_set_int (value, (int)self->config->validity_s);
      break;
    case PROP_TRANSACTION_ID:
      g_value_set_string (value, self->pub_transaction_id);
      break;
    case PROP_CLOSE_REASON:
      g_value_set_enum (value, self->pub_close_reason);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->pub_error);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->pub_busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_checkout_class_init (SaomaCheckoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = saoma_checkout_dispose;
  object_class->finalize = saoma_checkout_finalize;
  object_class->get_property = saoma_checkout_get_property;

  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL, SAOMA_TYPE_CHECKOUT_PHASE,
                       SAOMA_CHECKOUT_PHASE_IDLE, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, SAOMA_TYPE_CHECKOUT_STATE, SAOMA_CHECKOUT_NONE,
                       flags);
  properties[PROP_AMOUNT] =
    g_param_spec_int64 ("amount", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_OUT_TRADE_NO] =
    g_param_spec_string ("out-trade-no", NULL, NULL, NULL, flags);
  properties[PROP_CODE_URL] =
    g_param_spec_string ("code-url", NULL, NULL, NULL, flags);
  properties[PROP_SECONDS_LEFT] =
    g_param_spec_int ("seconds-left", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_VALIDITY] =
    g_param_spec_int ("validity", NULL, NULL, 0, G_MAXINT, 300, flags);
  properties[PROP_TRANSACTION_ID] =
    g_param_spec_string ("transaction-id", NULL, NULL, NULL, flags);
  properties[PROP_CLOSE_REASON] =
    g_param_spec_enum ("close-reason", NULL, NULL, SAOMA_TYPE_CLOSE_REASON,
                       SAOMA_CLOSE_REASON_NONE, flags);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LATE_PAYMENT] =
    g_signal_new ("late-payment", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);
  signals[PAID] =
    g_signal_new ("paid", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);
  signals[ATTEMPT_FINISHED] =
    g_signal_new ("attempt-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);

  /**
   * SaomaCheckout::taken-over:
   * @out_trade_no: the attempt this till stopped driving
   *
   * Another engine took the attempt over (its lease lapsed while this process was stopped, and
   * a recovery claimed it): this till sends nothing more for it and writes nothing more to it
   * (DESIGN.md, "Ownership"). The current attempt's phase is then
   * %SAOMA_CHECKOUT_PHASE_TAKEN_OVER.
   */
  signals[TAKEN_OVER] =
    g_signal_new ("taken-over", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * SaomaCheckout::left-alone:
   * @attempt: an unfinished attempt recovery did not resume
   * @owner: the owner that holds its lease (saoma_lease_owner_parse() reads it)
   *
   * Emitted by a recovery for each unfinished attempt another running engine drives
   * (DESIGN.md, "Ownership").
   */
  signals[LEFT_ALONE] =
    g_signal_new ("left-alone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, SAOMA_TYPE_ATTEMPT, G_TYPE_STRING);
  signals[CODE_URL_ANSWERED] =
    g_signal_new ("code-url-answered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
saoma_checkout_init (SaomaCheckout *self)
{
  self->drivers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, detach_driver);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, detach_job);
  self->cancellable = g_cancellable_new ();
  self->pub_seconds_left = -1;
}

/* --- Public API --------------------------------------------------------------------------------- */

/**
 * saoma_checkout_new:
 * @gateway: the payment gateway (new attempts use it)
 * @store: the open store (attempts are written to it before any request)
 * @clock: (nullable): the clock; %NULL for the real one
 * @config: (nullable): settings, copied; %NULL for the defaults
 *
 * Returns: (transfer full): a new engine.
 */
SaomaCheckout *
saoma_checkout_new (SaomaGateway              *gateway,
                    SaomaStore                *store,
                    SaomaClock                *clock,
                    const SaomaCheckoutConfig *config)
{
  SaomaCheckout *self;

  g_return_val_if_fail (SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (SAOMA_IS_STORE (store), NULL);
  g_return_val_if_fail (clock == NULL || SAOMA_IS_CLOCK (clock), NULL);

  self = g_object_new (SAOMA_TYPE_CHECKOUT, NULL);
  self->gateway = g_object_ref (gateway);
  self->store = g_object_ref (store);
  self->clock = g_object_ref (clock ? clock : saoma_clock_get_default ());
  self->config = config ? saoma_checkout_config_copy (config) : saoma_checkout_config_new ();

  if (self->config->till_id == NULL)
    self->config->till_id = g_strdup ("T01");
  if (self->config->notify_url == NULL)
    self->config->notify_url = g_strdup ("http://127.0.0.1/saoma/notify");
  if (self->config->spbill_create_ip == NULL)
    self->config->spbill_create_ip = g_strdup ("127.0.0.1");
  if (self->config->product_id == NULL)
    self->config->product_id = g_strdup ("SAOMA");
  if (self->config->max_amount <= 0)
    self->config->max_amount = SAOMA_MONEY_DEFAULT_MAX_FEN;
  if (self->config->poll_interval_ms == 0)
    self->config->poll_interval_ms = 2000;
  if (self->config->slow_poll_interval_ms == 0)
    self->config->slow_poll_interval_ms = 10000;
  if (self->config->retry_interval_ms == 0)
    self->config->retry_interval_ms = 2000;
  if (self->config->validity_s == 0)
    self->config->validity_s = 300;
  self->owner = saoma_lease_owner_new (self->config->till_id);

  return self;
}

SaomaGateway *
saoma_checkout_get_gateway (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->gateway;
}

SaomaStore *
saoma_checkout_get_store (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->store;
}

SaomaClock *
saoma_checkout_get_clock (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->clock;
}

SaomaCheckoutState
saoma_checkout_get_state (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), SAOMA_CHECKOUT_NONE);
  return self->pub_state;
}

SaomaAttempt *
saoma_checkout_get_attempt (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->current ? self->current->attempt : NULL;
}

gint64
saoma_checkout_get_amount (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), 0);
  return self->pub_amount;
}

const char *
saoma_checkout_get_description (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->pub_description;
}

const char *
saoma_checkout_get_out_trade_no (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->pub_out_trade_no;
}

const char *
saoma_checkout_get_code_url (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->pub_code_url;
}

int
saoma_checkout_get_seconds_left (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), -1);
  return self->pub_seconds_left;
}

const char *
saoma_checkout_get_transaction_id (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->pub_transaction_id;
}

/**
 * saoma_checkout_get_phase:
 *
 * Returns: what the views show now (see saoma_checkout_phase_for())
 */
SaomaCheckoutPhase
saoma_checkout_get_phase (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), SAOMA_CHECKOUT_PHASE_IDLE);

  return self->pub_phase;
}

SaomaCloseReason
saoma_checkout_get_close_reason (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), SAOMA_CLOSE_REASON_NONE);
  return self->pub_close_reason;
}

const GError *
saoma_checkout_get_error (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->pub_error;
}

gboolean
saoma_checkout_get_busy (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), FALSE);
  return self->pub_busy;
}

guint
saoma_checkout_get_pending_operations (SaomaCheckout *self)
{
  GHashTableIter iter;
  gpointer value;
  guint count = 0;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), 0);

  count = self->listing;
  g_hash_table_iter_init (&iter, self->drivers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Driver *d = value;

      count += saoma_operation_is_sending (&d->op) + saoma_operation_get_n_writes (&d->op);
      if (!d->facts.inserted && !d->insert_failed)
        count++;
    }
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    count += saoma_micropay_job_get_pending (value);

  return count;
}

void
saoma_checkout_set_gateway (SaomaCheckout *self,
                            SaomaGateway  *gateway)
{
  g_return_if_fail (SAOMA_IS_CHECKOUT (self));
  g_return_if_fail (SAOMA_IS_GATEWAY (gateway));

  g_set_object (&self->gateway, gateway);
}

static void
insert_attempt_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Driver *d = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;

  attempt = saoma_store_insert_attempt_then_finish (SAOMA_STORE (object), result, &error);

  if (d->checkout == NULL)
    {
      driver_unref (d);
      return;
    }

  if (attempt == NULL)
    {
      /* Nothing was sent and nothing is on record: the attempt failed before it began. */
      g_autoptr(SaomaAttempt) unrecorded = NULL;
      SaomaCheckout *self = d->checkout;

      g_warning ("Could not record attempt %s: %s", d->out_trade_no, error->message);
      d->insert_failed = TRUE;
      d->facts.state = SAOMA_ATTEMPT_FAILED;
      driver_set_error (d, error);
      driver_stop_timers (d);
      sync_properties (self);

      /* Observers waiting for the end of this attempt hear of it; the snapshot has id 0
       * because it never reached the ledger. */
      unrecorded = saoma_attempt_new_full (0, d->out_trade_no, d->amount, d->description,
                                           d->till_id, d->created, d->created, d->expires,
                                           SAOMA_ATTEMPT_FAILED, NULL, NULL, 0, 0, FALSE);
      g_object_ref (self);
      g_signal_emit (self, signals[ATTEMPT_FINISHED], 0, unrecorded);
      g_object_unref (self);
      driver_unref (d);
      return;
    }

  d->facts.inserted = TRUE;
  d->op.recorded = TRUE;
  g_set_object (&d->attempt, attempt);
  saoma_operation_hold_lease (&d->op, SAOMA_LEASE_ATTEMPT, d->out_trade_no,
                              d->checkout->owner);
  saoma_bench_stamp ("inserted", d->out_trade_no);
  saoma_operation_crash_point ("after-insert");

  /* The first transition went with the insert: carried out as if decided now. When the store
   * refused it (or cannot write both at once), the attempt is CREATED on record and the next
   * decision writes SUBMITTED on its own, as before. */
  {
    SaomaNativeDecision first = saoma_native_first_write ();

    if (saoma_attempt_get_state (attempt) == first.to)
      {
        saoma_native_carried_out (&d->facts, &first, now_us (d));
        d->facts.writing = FALSE;
        saoma_bench_stamp (saoma_attempt_state_to_string (first.to), d->out_trade_no);
        saoma_operation_crash_point ("after-submitted");
      }
  }

  /* The decision (it sends the create) before the views hear of SUBMITTED, as in
   * driver_op_step(): their reaction is main-loop work the request need not wait for. */
  driver_step (d);
  if (d->checkout != NULL)
    sync_properties (d->checkout);
  driver_unref (d);
}

/* A sale is under way, or the last one's first write is still in flight. */
static gboolean
checkout_is_starting (SaomaCheckout *self)
{
  if (self->pub_busy)
    return TRUE;
  if (self->current != NULL && !self->current->facts.inserted && !self->current->insert_failed)
    return TRUE;
  return self->current_job != NULL && !saoma_micropay_job_get_recorded (self->current_job);
}

/**
 * saoma_checkout_charge:
 * @amount: fen, > 0 and ≤ the configured maximum
 * @description: (nullable): what is sold (the body field)
 *
 * Starts a new attempt. It is written to the ledger (inserted and SUBMITTED, in one write) before
 * any request is sent.
 *
 * Returns: %FALSE with %SAOMA_CHECKOUT_ERROR_BUSY or _INVALID_AMOUNT when nothing was started.
 */
gboolean
saoma_checkout_charge (SaomaCheckout *self,
                       gint64         amount,
                       const char    *description,
                       GError       **error)
{
  g_autoptr(GDateTime) now_dt = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *out_trade_no = NULL;
  gint64 created, expires;
  Driver *d;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (amount <= 0 || amount > self->config->max_amount)
    {
      g_set_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_INVALID_AMOUNT,
                   "Amount %" G_GINT64_FORMAT " fen is out of range (1 to %" G_GINT64_FORMAT ")",
                   amount, self->config->max_amount);
      return FALSE;
    }

  if (checkout_is_starting (self))
    {
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_BUSY,
                           "Another payment is in progress");
      return FALSE;
    }

  /* Whole seconds: time_start/time_expire carry no more, and re-entry must match them. */
  created = saoma_clock_now (self->clock) / G_USEC_PER_SEC * G_USEC_PER_SEC;
  expires = created + (gint64)self->config->validity_s * G_USEC_PER_SEC;
  now_dt = g_date_time_new_from_unix_utc (created / G_USEC_PER_SEC);
  out_trade_no = saoma_gateway_new_out_trade_no (self->gateway, self->config->till_id, now_dt);

  d = driver_new (self, out_trade_no, amount, description, self->config->till_id, created,
                  expires);
  d->request = build_request (d, error);
  if (d->request == NULL)
    {
      driver_unref (d);
      return FALSE;
    }
  g_hash_table_replace (self->drivers, d->out_trade_no, d);
  self->current = d;
  self->current_job = NULL;

  /* The write first, the views after: the store's thread syncs it to disk while the views
   * change (on a busy desktop that is milliseconds of main-loop work the sale need not wait
   * for). Its callback comes from the main loop, so nothing below runs after it. */
  attempt = saoma_attempt_new (out_trade_no, amount, d->description, d->till_id, created,
                               expires);
  saoma_attempt_set_request (attempt, d->request);
  /* The lease is taken in the insert's own write, and so is SUBMITTED (the attempt with its
   * exact request is on record before it leaves): one sync to disk before the request. */
  saoma_attempt_set_owner (attempt, self->owner, 0);
  {
    SaomaNativeDecision first = saoma_native_first_write ();
    g_autofree char *detail = saoma_native_decision_describe (&first, NULL);
    SaomaAttemptUpdate then = {
      .state = first.to,
      .event_kind = "transition",
      .event_detail = detail,
      .owner = self->owner,
    };

    saoma_store_insert_attempt_then_async (self->store, attempt, &then, NULL, insert_attempt_cb,
                                           driver_ref (d));
  }
  tick_schedule (d);
  sync_properties (self);

  /* While the store's thread syncs it, the gateway signs what it will send (v3: an RSA
   * signature, milliseconds that were between the insert and the send); after the views, so
   * that their reaction is not delayed behind it. Nothing leaves before the insert is durable
   * and the decision sends it. */
  saoma_gateway_prepare_native_order (d->gateway, d->request);

  return TRUE;
}

/* --- Micropay (付款码) ------------------------------------------------------------------ */

static void
job_notify_cb (SaomaMicropayJob *job,
               gboolean          finished,
               gpointer          user_data)
{
  SaomaCheckout *self = user_data;
  SaomaAttempt *attempt = saoma_micropay_job_get_attempt (job);
  g_autoptr(SaomaAttempt) unrecorded = NULL;

  g_object_ref (self);
  sync_properties (self);

  if (saoma_micropay_job_get_taken_over (job))
    g_signal_emit (self, signals[TAKEN_OVER], 0, saoma_micropay_job_get_out_trade_no (job));

  if (finished)
    {
      if (attempt == NULL)
        {
          /* The insert failed: observers hear of it with a snapshot that has id 0. */
          gint64 created = saoma_clock_now (self->clock);

          unrecorded = saoma_attempt_new_full (0, saoma_micropay_job_get_out_trade_no (job),
                                               saoma_micropay_job_get_amount (job),
                                               saoma_micropay_job_get_description (job),
                                               self->config->till_id, created, created, created,
                                               SAOMA_ATTEMPT_FAILED, NULL, NULL, 0, 0, FALSE);
          attempt = unrecorded;
        }
      if (saoma_attempt_get_state (attempt) == SAOMA_ATTEMPT_PAID && job == self->current_job)
        g_signal_emit (self, signals[PAID], 0, attempt);
      g_signal_emit (self, signals[ATTEMPT_FINISHED], 0, attempt);
    }

  g_object_unref (self);
}

static SaomaMicropayJob *
checkout_job_new (SaomaCheckout *self,
                  const char    *out_trade_no,
                  gint64         amount,
                  const char    *description,
                  const char    *till_id,
                  gint64         created)
{
  SaomaMicropayTiming timing = saoma_micropay_default_timing;
  SaomaMicropayJob *job;

  if (self->config->micropay_poll_ms > 0)
    timing.poll = timing.unknown_wait = (gint64)self->config->micropay_poll_ms * 1000;
  if (self->config->micropay_give_up_s > 0)
    {
      timing.give_up = (gint64)self->config->micropay_give_up_s * G_USEC_PER_SEC;
      /* Never reverse sooner after the pay call than a third of the window allows. */
      timing.reverse_after = MIN (timing.reverse_after, timing.give_up / 3);
      timing.reverse_retry = MIN (timing.reverse_retry, timing.poll);
      timing.round_wait = MIN (timing.round_wait, timing.give_up);
    }

  job = saoma_micropay_job_new (self->gateway, self->store, self->clock, self->cancellable,
                                &timing, out_trade_no, amount, description, till_id, created);
  saoma_micropay_job_set_notify (job, job_notify_cb, self);
  saoma_micropay_job_set_owner (job, self->owner);
  g_hash_table_replace (self->jobs, (gpointer)saoma_micropay_job_get_out_trade_no (job), job);
  return job;
}

/**
 * saoma_checkout_charge_code:
 * @amount: fen, > 0 and ≤ the configured maximum
 * @description: (nullable): what is sold
 * @auth_code: the payer's payment code, as the scanner typed it
 *
 * Starts a micropay attempt (see saoma-micropay-flow.c). Nothing is created for a code that
 * is not WeChat's, for a busy till, or when an unknown outcome could not be reversed.
 *
 * Returns: %FALSE with a %SAOMA_CHECKOUT_ERROR when nothing was started
 */
gboolean
saoma_checkout_charge_code (SaomaCheckout *self,
                            gint64         amount,
                            const char    *description,
                            const char    *auth_code,
                            GError       **error)
{
  g_autoptr(GDateTime) now_dt = NULL;
  g_autofree char *out_trade_no = NULL;
  SaomaMicropayJob *job;
  gint64 created;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (saoma_payment_code_classify (auth_code))
    {
    case SAOMA_PAYMENT_CODE_WECHAT:
      break;
    case SAOMA_PAYMENT_CODE_ALIPAY:
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_ALIPAY_CODE,
                           "This is an Alipay payment code; only WeChat Pay is supported");
      return FALSE;
    case SAOMA_PAYMENT_CODE_INVALID:
    default:
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE,
                           "Not a WeChat payment code");
      return FALSE;
    }

  if (amount <= 0 || amount > self->config->max_amount)
    {
      g_set_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_INVALID_AMOUNT,
                   "Amount %" G_GINT64_FORMAT " fen is out of range (1 to %" G_GINT64_FORMAT ")",
                   amount, self->config->max_amount);
      return FALSE;
    }

  /* An outcome that stays unknown must be reversed, and v2's reverse needs the certificate. */
  if (!saoma_gateway_has_certificate (self->gateway) && !self->config->micropay_demo)
    {
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE,
                           "Payment codes need the merchant client certificate (to reverse "
                           "a payment whose outcome stays unknown)");
      return FALSE;
    }

  if (checkout_is_starting (self))
    {
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_BUSY,
                           "Another payment is in progress");
      return FALSE;
    }

  /* A new code is always a new attempt with a new out_trade_no. */
  created = saoma_clock_now (self->clock) / G_USEC_PER_SEC * G_USEC_PER_SEC;
  now_dt = g_date_time_new_from_unix_utc (created / G_USEC_PER_SEC);
  out_trade_no = saoma_gateway_new_out_trade_no (self->gateway, self->config->till_id, now_dt);

  job = checkout_job_new (self, out_trade_no, amount, description, self->config->till_id,
                          created);
  self->current = NULL;
  self->current_job = job;
  sync_properties (self);
  saoma_micropay_job_start (job, auth_code, self->config->spbill_create_ip);

  return TRUE;
}

/**
 * saoma_checkout_cancel:
 *
 * The cashier gave up: the QR is hidden at once; the attempt keeps being watched (CLOSING)
 * until closeorder and a final query say CLOSED, or a late payment lands.
 */
void
saoma_checkout_cancel (SaomaCheckout *self)
{
  g_return_if_fail (SAOMA_IS_CHECKOUT (self));

  if (self->current_job != NULL)
    {
      saoma_micropay_job_cancel (self->current_job);
      sync_properties (self);
      return;
    }

  if (self->current == NULL)
    return;

  driver_give_up (self->current, SAOMA_CLOSE_REASON_CANCELLED);
  sync_properties (self);
}

void
saoma_checkout_reset (SaomaCheckout *self)
{
  g_return_if_fail (SAOMA_IS_CHECKOUT (self));

  if (self->current_job != NULL)
    {
      if (self->pub_busy || !saoma_micropay_job_get_recorded (self->current_job))
        return;
      /* A cancelled attempt still being reversed is driven on in the background. */
      self->current_job = NULL;
      sync_properties (self);
      return;
    }
  if (self->pub_busy || self->current == NULL)
    return;
  if (!self->current->facts.inserted && !self->current->insert_failed)
    return;

  /* A CLOSING attempt stays in the hash table and keeps being driven in the background; one
   * another till took over is not driven here any more. */
  if (saoma_operation_is_taken_over (&self->current->op))
    {
      Driver *d = g_steal_pointer (&self->current);

      g_hash_table_remove (self->drivers, d->out_trade_no);
    }
  self->current = NULL;
  sync_properties (self);
}

void
saoma_checkout_query_now (SaomaCheckout *self,
                          const char    *out_trade_no)
{
  Driver *d;

  g_return_if_fail (SAOMA_IS_CHECKOUT (self));

  {
    SaomaMicropayJob *job = out_trade_no ? g_hash_table_lookup (self->jobs, out_trade_no)
                                         : self->current_job;

    if (job != NULL)
      {
        saoma_micropay_job_query_now (job);
        return;
      }
  }

  d = out_trade_no ? g_hash_table_lookup (self->drivers, out_trade_no) : self->current;
  if (d == NULL || driver_is_final (d))
    return;

  /* The cashier asked: the answer goes in the audit trail even when it repeats the last one,
   * so the payment details can show it. */
  g_clear_pointer (&d->last_response, g_free);
  d->facts.want_query = TRUE;
  driver_step (d);
}

/* The request stored with the attempt. Attempts recorded before requests were stored get one
 * derived from the settings of this run, as before: right only if those did not change. */
static char *
driver_stored_request (Driver *d)
{
  g_autoptr(GError) error = NULL;
  const char *stored = saoma_attempt_get_request (d->attempt);

  if (stored == NULL)
    return build_request (d, NULL);

  if (!saoma_gateway_check_native_request (d->gateway, stored, d->out_trade_no, d->amount,
                                           &error))
    {
      g_warning ("%s: cannot use the stored request (%s); deriving it from the settings",
                 d->out_trade_no, error->message);
      return build_request (d, NULL);
    }

  return g_strdup (stored);
}

/* A recovery between its take-over and its list of unfinished attempts. */
typedef struct {
  GTask              *task;
  SaomaLeaseTakeOver *take_over;
} RecoverList;

static void
recover_list_free (RecoverList *list)
{
  g_clear_object (&list->task);
  g_clear_pointer (&list->take_over, saoma_lease_take_over_free);
  g_free (list);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RecoverList, recover_list_free)

/* Whether recovery may drive @attempt: only what its take-over won. Another engine's attempt
 * is left alone, and said so. */
static gboolean
recover_owns (SaomaCheckout      *self,
              SaomaLeaseTakeOver *take_over,
              SaomaAttempt       *attempt)
{
  const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);
  SaomaLedgerLease *held;
  const char *owner;

  if (g_hash_table_contains (take_over->won, out_trade_no))
    return TRUE;

  /* Held by a living owner, or claimed by another recoverer (or created) since the take-over:
   * the row read after it names the owner. */
  held = g_hash_table_lookup (take_over->held, out_trade_no);
  owner = held != NULL ? held->owner : saoma_attempt_get_owner (attempt);
  g_message ("%s: owned by %s, left alone", out_trade_no, owner ? owner : "another engine");
  g_signal_emit (self, signals[LEFT_ALONE], 0, attempt, owner);
  return FALSE;
}

static void
list_unfinished_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(RecoverList) list = user_data;
  GTask *task = list->task;
  SaomaCheckout *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *started, *resumed_jobs, *resumed_attempts;

  attempts = saoma_store_list_unfinished_finish (SAOMA_STORE (object), result, &error);
  self->listing--;

  /* Cancelled meanwhile: the task has already returned. */
  if (saoma_recovery_has_returned (task))
    return;

  if (attempts == NULL)
    {
      saoma_recovery_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->drivers == NULL)
    {
      saoma_recovery_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                              "The checkout engine was "
                                                              "destroyed"));
      return;
    }

  started = g_ptr_array_new ();
  resumed_jobs = g_ptr_array_new ();
  resumed_attempts = g_ptr_array_new ();
  /* Not done before every resumed driver has been counted in and started. */
  saoma_recovery_hold (task);

  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);
      const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);
      SaomaAttemptState state = saoma_attempt_get_state (attempt);
      gint64 now = saoma_clock_now (self->clock);
      Driver *d;

      /* Already driven by this engine (its own current or background attempt). */
      if (g_hash_table_contains (self->drivers, out_trade_no) ||
          g_hash_table_contains (self->jobs, out_trade_no))
        continue;

      if (!recover_owns (self, list->take_over, attempt))
        continue;

      if (saoma_attempt_get_method (attempt) == SAOMA_PAYMENT_METHOD_MICROPAY)
        {
          SaomaMicropayJob *job = checkout_job_new (self, out_trade_no,
                                                    saoma_attempt_get_amount (attempt),
                                                    saoma_attempt_get_description (attempt),
                                                    saoma_attempt_get_till_id (attempt),
                                                    saoma_attempt_get_created (attempt));

          saoma_recovery_count (task);
          saoma_recovery_add (task, saoma_micropay_job_get_operation (job));
          g_ptr_array_add (resumed_jobs, job);
          g_ptr_array_add (resumed_attempts, attempt);
          continue;
        }

      d = driver_new (self, out_trade_no, saoma_attempt_get_amount (attempt),
                      saoma_attempt_get_description (attempt),
                      saoma_attempt_get_till_id (attempt),
                      saoma_attempt_get_created (attempt),
                      saoma_attempt_get_expires (attempt));
      d->attempt = g_object_ref (attempt);
      d->request = driver_stored_request (d);
      d->code_url = g_strdup (saoma_attempt_get_code_url (attempt));
      /* Whatever the last run did, a request may have reached WeChat (even from CREATED).
       * Nobody shows its QR any more: watch it, and close it after the close delay. */
      saoma_native_facts_resume (&d->facts, state, d->code_url != NULL, now);
      d->op.recorded = TRUE;
      saoma_operation_hold_lease (&d->op, SAOMA_LEASE_ATTEMPT, out_trade_no, self->owner);
      /* CLOSING on record: the cashier (or the clock) gave it up before the last run ended.
       * Anything else was interrupted mid-sale, and is given up by nobody but recovery. */
      if (state != SAOMA_ATTEMPT_CLOSING)
        d->close_reason = SAOMA_CLOSE_REASON_INTERRUPTED;
      else
        d->close_reason = d->facts.expired ? SAOMA_CLOSE_REASON_EXPIRED
                                           : SAOMA_CLOSE_REASON_CANCELLED;
      saoma_recovery_count (task);
      saoma_recovery_add (task, &d->op);
      g_hash_table_replace (self->drivers, d->out_trade_no, d);
      g_ptr_array_add (started, d);

      driver_event (d, "note", "resumed by recovery from %s",
                    saoma_attempt_state_to_string (state));
    }

  for (guint i = 0; i < started->len; i++)
    driver_step (g_ptr_array_index (started, i));
  for (guint i = 0; i < resumed_jobs->len; i++)
    saoma_micropay_job_resume (g_ptr_array_index (resumed_jobs, i),
                               g_ptr_array_index (resumed_attempts, i));
  saoma_recovery_release (task);

  g_ptr_array_unref (started);
  g_ptr_array_unref (resumed_jobs);
  g_ptr_array_unref (resumed_attempts);
}

static void
take_over_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaCheckout *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  RecoverList *list;

  list = g_new0 (RecoverList, 1);
  list->take_over = saoma_lease_take_over_finish (result, &error);
  if (list->take_over == NULL || saoma_recovery_has_returned (task))
    {
      self->listing--;
      recover_list_free (list);
      if (error != NULL && !saoma_recovery_has_returned (task))
        saoma_recovery_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Listed after the claims: a row claimed meanwhile by another recoverer shows its owner. */
  list->task = g_steal_pointer (&task);
  saoma_store_list_unfinished_async (self->store, NULL, list_unfinished_cb, list);
}

/**
 * saoma_checkout_recover_async:
 *
 * Resumes every non-final attempt of the ledger that this engine does not drive yet and whose
 * lease it could take (DESIGN.md, "Ownership": one another running engine holds is left
 * alone, with #SaomaCheckout::left-alone): each is queried and driven to a final state (paid
 * ones become PAID, unpaid ones are closed after the close delay, ones WeChat never created
 * become FAILED). Completes when all are final.
 */
void
saoma_checkout_recover_async (SaomaCheckout      *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SAOMA_IS_CHECKOUT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = saoma_recovery_new (self, cancellable, callback, user_data,
                             saoma_checkout_recover_async);
  if (saoma_recovery_has_returned (task))
    return;

  self->listing++;
  saoma_lease_take_over_async (self->store, SAOMA_LEASE_ATTEMPT, self->owner, NULL, take_over_cb,
                               g_steal_pointer (&task));
}

guint
saoma_checkout_recover_finish (SaomaCheckout *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return saoma_recovery_finish (result, error);
}

/**
 * saoma_checkout_apply_notification:
 * @event: a payment notification the gateway verified (signature, merchant ids)
 *
 * Checks that the out_trade_no is one this engine drives and that the amount is its amount,
 * then confirms with an orderquery (notifications are hints). Idempotent: a notification for an
 * attempt already PAID is accepted and changes nothing.
 *
 * Returns: %FALSE with %SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER, _AMOUNT_MISMATCH or _INVALID.
 */
gboolean
saoma_checkout_apply_notification (SaomaCheckout           *self,
                                   const SaomaGatewayEvent *event,
                                   GError                 **error)
{
  const char *out_trade_no;
  g_autofree char *reported = NULL;
  Driver *d;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  out_trade_no = event->out_trade_no;
  if (event->kind != SAOMA_GATEWAY_EVENT_PAYMENT || out_trade_no == NULL || !event->success)
    {
      g_set_error_literal (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_INVALID,
                           "Notification lacks out_trade_no or result_code=SUCCESS");
      return FALSE;
    }

  d = g_hash_table_lookup (self->drivers, out_trade_no);
  if (d == NULL || saoma_operation_is_taken_over (&d->op))
    {
      g_set_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER,
                   "No attempt %s on this till", out_trade_no);
      return FALSE;
    }

  reported = event->amount >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, event->amount)
                                : g_strdup ("(missing)");
  if (event->amount != d->amount)
    {
      g_message ("%s: notification with total_fee %s for an attempt of %" G_GINT64_FORMAT
                 " fen rejected", out_trade_no, reported, d->amount);
      driver_event (d, "notification", "rejected: total_fee %s differs from the amount",
                    reported);
      g_set_error (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_AMOUNT_MISMATCH,
                   "total_fee %s differs from the attempt's %" G_GINT64_FORMAT " fen",
                   reported, d->amount);
      return FALSE;
    }

  if (d->facts.state == SAOMA_ATTEMPT_PAID)
    {
      driver_event (d, "notification", "payment notification (already PAID)");
      return TRUE;
    }

  saoma_bench_stamp ("notified", out_trade_no);
  driver_event (d, "notification", "payment notification, confirming by orderquery");
  if (driver_is_final (d))
    d->facts.reopened = TRUE;
  d->facts.want_query = TRUE;
  driver_step (d);

  return TRUE;
}

/**
 * saoma_checkout_get_method:
 *
 * Returns: %SAOMA_PAYMENT_METHOD_MICROPAY while the current attempt is a payment code's,
 *   %SAOMA_PAYMENT_METHOD_NATIVE otherwise
 */
SaomaPaymentMethod
saoma_checkout_get_method (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), SAOMA_PAYMENT_METHOD_NATIVE);

  return self->current_job != NULL ? SAOMA_PAYMENT_METHOD_MICROPAY : SAOMA_PAYMENT_METHOD_NATIVE;
}
