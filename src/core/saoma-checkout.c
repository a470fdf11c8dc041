/* saoma-checkout.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The payment contract of DESIGN.md. Each attempt is driven by a Driver: a small sequential
 * machine that has at most one gateway request and one ledger write in flight, never sends
 * while a write is pending (write before send), and decides its next step from what it knows
 * about the order at WeChat:
 *
 *   exists      WeChat confirmed the order (code_url, a trade_state, ORDERPAID/ORDERCLOSED)
 *   not_exist   a query/close said ORDERNOTEXIST after the last unifiedorder completed
 *   giving_up   cancelled, expired or resumed by recovery: no QR, close after the delay
 *
 * The rule that keeps money safe: an attempt whose unifiedorder outcome was unknown is never
 * FAILED unless WeChat says ORDERNOTEXIST and the order can no longer come to exist (past its
 * time_expire, or our own re-entry with identical parameters was rejected).
 */

#define G_LOG_DOMAIN "saoma-checkout"

#include "config.h"

#include <signal.h>
#include <string.h>

#include "saoma-bench-stamp.h"
#include "saoma-checkout.h"
#include "saoma-money.h"

/* Do not re-send unifiedorder this close to time_expire: wait and prove non-existence. */
#define SEND_MARGIN_US (2 * G_USEC_PER_SEC)

typedef struct _Driver Driver;
typedef struct _GatewayCall GatewayCall;

struct _SaomaCheckout
{
  GObject              parent_instance;

  SaomaGateway        *gateway;
  SaomaLedger         *ledger;
  SaomaClock          *clock;
  SaomaCheckoutConfig *config;

  GHashTable          *drivers;   /* out_trade_no → Driver* (one ref), final ones included */
  Driver              *current;   /* borrowed from drivers */
  GCancellable        *cancellable;
  guint                listing;   /* recoveries reading the ledger */

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

struct _Driver
{
  gatomicrefcount    ref_count;
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
  SaomaAttemptState  state;         /* decided; the durable one follows through writes */
  gboolean           inserted;
  gboolean           insert_failed;
  char              *code_url;
  SaomaCloseReason   close_reason;
  gboolean           resumed;
  GError            *error;
  int                seconds_left;

  /* What we know about the order at WeChat. */
  gboolean           sent;             /* SUBMITTED decided: the first send may happen */
  gboolean           requested;        /* a unifiedorder may have reached WeChat */
  gboolean           exists;
  gboolean           not_exist;
  gint64             not_exist_at;     /* when WeChat last said ORDERNOTEXIST */
  gboolean           unified_unknown;  /* some unifiedorder outcome was unknown */
  gboolean           unified_rejected; /* a later unifiedorder was rejected (known) */
  gboolean           closed_ok;        /* closeorder succeeded or said ORDERCLOSED */
  gboolean           want_query;
  gboolean           want_send;
  gboolean           reopened;         /* a final non-PAID attempt re-checked (notification) */
  gboolean           amount_mismatch;
  gint64             send_at;
  gint64             last_send_at;
  gint64             last_query_at;
  gint64             close_retry_at;
  char              *last_response;    /* to log repeated poll answers once */

  /* Machinery. */
  GQueue             writes;           /* PendingWrite* not yet started */
  gboolean           writing;
  gboolean           net_busy;
  const GatewayCall *call;             /* the request in flight when net_busy */
  guint              timer_id;
  guint              tick_id;
  GTask             *recover_task;     /* counts this driver until it is final */
};

typedef struct {
  guint    count;
  guint    pending;
  gboolean returned;
  gulong   cancelled_id;
} RecoverData;

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

/* --- Crash points (SAOMA_CRASH_AT, for the crash test only) ------------------------------ */

/*
 * SAOMA_CRASH_AT=<point>[:<n>] kills the process with SIGKILL the n-th time (default: the first)
 * the engine reaches <point>. Points: after-insert, after-submitted, before-send, after-send,
 * after-unknown, after-waiting, before-query, after-query, after-paid-query, after-paid,
 * after-closing, before-close, after-close, after-closed, after-failed. Unset in production.
 */
static void
crash_point (const char *point)
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

  if (crash_name == NULL || strcmp (crash_name, point) != 0)
    return;

  if (++hits >= crash_nth)
    raise (SIGKILL);
}

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

static Driver *
driver_ref (Driver *d)
{
  g_atomic_ref_count_inc (&d->ref_count);
  return d;
}

static void
driver_unref (Driver *d)
{
  if (!g_atomic_ref_count_dec (&d->ref_count))
    return;

  g_assert (d->timer_id == 0 && d->tick_id == 0);
  g_queue_clear_full (&d->writes, (GDestroyNotify)pending_write_free);
  g_clear_object (&d->gateway);
  g_clear_object (&d->attempt);
  g_clear_object (&d->recover_task);
  g_clear_pointer (&d->request, g_free);
  g_clear_error (&d->error);
  g_free (d->out_trade_no);
  g_free (d->description);
  g_free (d->till_id);
  g_free (d->code_url);
  g_free (d->last_response);
  g_free (d);
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
  Driver *d = g_new0 (Driver, 1);

  g_atomic_ref_count_init (&d->ref_count);
  d->checkout = self;
  d->gateway = g_object_ref (self->gateway);
  d->out_trade_no = g_strdup (out_trade_no);
  d->amount = amount;
  d->description = g_strdup (description ? description : "");
  d->till_id = g_strdup (till_id ? till_id : "");
  d->created = created;
  d->expires = expires;
  d->state = SAOMA_ATTEMPT_CREATED;
  d->seconds_left = -1;
  g_queue_init (&d->writes);

  return d;
}

static gint64
now_us (Driver *d)
{
  return saoma_clock_now (d->checkout->clock);
}

static gboolean
driver_giving_up (Driver *d)
{
  return d->close_reason != SAOMA_CLOSE_REASON_NONE;
}

static gboolean
driver_is_final (Driver *d)
{
  return saoma_attempt_state_is_final (d->state);
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
  SaomaClock *clock = d->checkout ? d->checkout->clock : NULL;

  if (clock != NULL)
    {
      saoma_clock_remove (clock, d->timer_id);
      saoma_clock_remove (clock, d->tick_id);
    }
  d->timer_id = 0;
  d->tick_id = 0;
}

/* --- Ledger events ------------------------------------------------------------------------- */

static void
append_event_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!saoma_ledger_append_event_finish (SAOMA_LEDGER (object), result, &error))
    g_warning ("Could not append an audit event: %s", error->message);
}

static void
driver_event (Driver     *d,
              const char *kind,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
driver_event (Driver     *d,
              const char *kind,
              const char *format,
              ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  if (d->checkout == NULL || !d->inserted)
    return;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s: %s: %s", d->out_trade_no, kind, detail);
  saoma_ledger_append_event_async (d->checkout->ledger, d->out_trade_no, kind, detail, NULL,
                                   append_event_cb, NULL);
}

/* The protocol's code for the audit log ("ORDERNOTEXIST"); interned, so the set of codes a
 * gateway can produce is what it costs. */
static const char *
error_code_name (const GError *error)
{
  g_autofree char *code = saoma_gateway_error_dup_protocol_code (error);

  return g_intern_string (code);
}

/* --- Ledger writes ------------------------------------------------------------------------- */

/* Completes a recovery (once): with @error, or with the count of attempts it resumed. */
static void
recover_return (GTask  *task,
                GError *error)
{
  RecoverData *data = g_task_get_task_data (task);

  data->returned = TRUE;
  g_cancellable_disconnect (g_task_get_cancellable (task), data->cancelled_id);
  data->cancelled_id = 0;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, data->count);
}

static void
recover_driver_done (Driver *d)
{
  g_autoptr(GTask) task = g_steal_pointer (&d->recover_task);
  RecoverData *data;

  if (task == NULL)
    return;

  data = g_task_get_task_data (task);
  g_assert (data->pending > 0);
  data->pending--;

  if (data->pending == 0 && !data->returned)
    recover_return (task, NULL);
}

static void driver_write_next (Driver *d);
static void driver_arm        (Driver *d,
                               gint64  at);

static void
update_attempt_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Driver *d = user_data;
  SaomaCheckout *self = d->checkout;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttemptState durable;
  gboolean late;

  attempt = saoma_ledger_update_attempt_finish (SAOMA_LEDGER (object), result, &error);
  d->writing = FALSE;

  if (self == NULL)
    {
      driver_unref (d);
      return;
    }

  if (attempt == NULL)
    {
      /* The disk refused: the decided state cannot be trusted to be durable. Surface it; the
       * next decision re-tries from what the driver knows. */
      gboolean lost_paid = d->state == SAOMA_ATTEMPT_PAID;

      g_warning ("Ledger update of %s failed: %s", d->out_trade_no, error->message);
      driver_set_error (d, error);
      if (d->attempt != NULL)
        d->state = saoma_attempt_get_state (d->attempt);
      /* A payment found for a CLOSED/FAILED attempt is not forgotten behind that final
       * state: query again, and record it then. */
      if (lost_paid && saoma_attempt_state_is_final (d->state))
        d->reopened = TRUE;
      g_queue_clear_full (&d->writes, (GDestroyNotify)pending_write_free);
      /* SUBMITTED is not on record: nothing may be sent until it is. */
      if (!d->requested)
        {
          d->sent = FALSE;
          d->want_send = FALSE;
        }
      sync_properties (self);
      /* Try again later rather than hammer a failing disk. */
      driver_arm (d, now_us (d) + (gint64)self->config->slow_poll_interval_ms * 1000);
      driver_unref (d);
      return;
    }

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
    crash_point (point);
  }

  g_object_ref (self);
  sync_properties (self);

  if (durable == SAOMA_ATTEMPT_PAID && g_queue_is_empty (&d->writes))
    {
      if (late)
        {
          g_message ("LATE PAYMENT: %s (%" G_GINT64_FORMAT " fen) was paid after the cashier "
                     "gave up", d->out_trade_no, d->amount);
          g_signal_emit (self, signals[LATE_PAYMENT], 0, attempt);
        }
      else if (d == self->current)
        g_signal_emit (self, signals[PAID], 0, attempt);
    }

  if (saoma_attempt_state_is_final (durable) && g_queue_is_empty (&d->writes))
    {
      g_signal_emit (self, signals[ATTEMPT_FINISHED], 0, attempt);
      recover_driver_done (d);
    }

  if (d->checkout != NULL)
    {
      if (!g_queue_is_empty (&d->writes))
        driver_write_next (d);
      else
        driver_step (d);
    }

  g_object_unref (self);
  driver_unref (d);
}

static void
driver_write_next (Driver *d)
{
  PendingWrite *w;
  SaomaAttemptUpdate update = { 0 };

  if (d->writing || d->checkout == NULL)
    return;

  w = g_queue_pop_head (&d->writes);
  if (w == NULL)
    return;

  update.state = w->state;
  update.transaction_id = w->transaction_id;
  update.code_url = w->code_url;
  update.paid_at = w->paid_at;
  update.late = w->late;
  update.event_kind = w->event_kind;
  update.event_detail = w->event_detail;

  d->writing = TRUE;
  g_debug ("%s: → %s (%s)", d->out_trade_no, saoma_attempt_state_to_string (w->state),
           w->event_detail);
  /* No cancellable: a money write, once asked for, is let to complete. */
  saoma_ledger_update_attempt_async (d->checkout->ledger, d->out_trade_no, &update, NULL,
                                     update_attempt_cb, driver_ref (d));
  pending_write_free (w);
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

  g_assert (d->inserted);

  w->state = state;
  w->code_url = g_strdup (code_url);
  w->transaction_id = g_strdup (transaction_id);
  w->paid_at = paid_at;
  w->late = late;
  w->event_kind = g_strdup (event_kind ? event_kind : "transition");
  w->event_detail = g_strdup (detail);

  d->state = state;
  g_queue_push_tail (&d->writes, w);
  driver_write_next (d);
}

static void
driver_transition (Driver            *d,
                   SaomaAttemptState  state,
                   const char        *detail)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", saoma_attempt_state_to_string (state),
                                           detail);

  driver_write (d, state, NULL, NULL, 0, FALSE, "transition", text);
}

static void
driver_fail (Driver       *d,
             const GError *error,
             const char   *detail)
{
  driver_set_error (d, error);
  driver_transition (d, SAOMA_ATTEMPT_FAILED, detail);
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

/* One kind of gateway request: how it is sent and answered, what the driver makes of the
 * answer (@answer is NULL when @error is set), and its crash points. */
struct _GatewayCall
{
  void          (*start)    (Driver             *d,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data);
  gpointer      (*finish)   (SaomaGateway  *gateway,
                             GAsyncResult  *result,
                             GError       **error);
  void          (*answered) (Driver        *d,
                             gconstpointer  answer,
                             const GError  *error,
                             gint64         now);
  GDestroyNotify free_answer;
  const char    *before;
  const char    *after;
};

static void
gateway_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Driver *d = user_data;
  const GatewayCall *call = d->call;
  gpointer answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = call->finish (SAOMA_GATEWAY (object), result, &error);
  d->net_busy = FALSE;
  d->call = NULL;

  /* Once the engine is gone nobody decides anything for this attempt any more. */
  if (d->checkout != NULL)
    {
      crash_point (call->after);
      call->answered (d, answer, error, now_us (d));
      sync_properties (d->checkout);
      driver_step (d);
    }

  if (answer != NULL && call->free_answer != NULL)
    call->free_answer (answer);
  driver_unref (d);
}

/* At most one request per driver is in flight (driver_step() waits for net_busy). */
static void
driver_send (Driver            *d,
             const GatewayCall *call)
{
  d->net_busy = TRUE;
  d->call = call;
  crash_point (call->before);
  call->start (d, d->checkout->cancellable, gateway_cb, driver_ref (d));
}


/* Known errors that are not WeChat's judgement of the request: it never arrived (could not
 * connect, cancelled before sending, a proxy's 4xx) or was throttled. */
static gboolean
unifiedorder_not_judged (const GError *error)
{
  return g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONNECT) ||
         g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CANCELLED) ||
         g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_HTTP_CLIENT) ||
         g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_RATE_LIMITED);
}

static void
unifiedorder_answered (Driver        *d,
                       gconstpointer  answer_data,
                       const GError  *gateway_error,
                       gint64         now)
{
  const SaomaNativeOrderResult *answer = answer_data;
  g_autoptr(GError) malformed = NULL;
  const GError *error = gateway_error;
  const char *code_url;

  saoma_bench_stamp ("verified", d->out_trade_no);
  code_url = answer ? answer->code_url : NULL;
  if (answer != NULL && (code_url == NULL || *code_url == '\0'))
    {
      answer = NULL;
      error = malformed = g_error_new_literal (SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BAD_ANSWER,
                                               "unifiedorder answer has no code_url");
    }

  if (answer != NULL)
    {
      g_autofree char *detail = NULL;

      d->exists = TRUE;
      d->not_exist = FALSE;
      d->unified_rejected = FALSE;
      d->want_send = FALSE;
      g_free (d->code_url);
      d->code_url = g_strdup (code_url);
      d->last_query_at = now;
      driver_set_error (d, NULL);

      if (driver_giving_up (d))
        {
          /* Answer to a request sent before the cashier gave up: keep the code_url on record
           * but never show it. */
          detail = g_strdup ("CLOSING: unifiedorder → SUCCESS after the cashier gave up");
          driver_write (d, SAOMA_ATTEMPT_CLOSING, code_url, NULL, 0, FALSE, "transition",
                        detail);
        }
      else
        {
          driver_write (d, SAOMA_ATTEMPT_WAITING, code_url, NULL, 0, FALSE, "transition",
                        "WAITING: unifiedorder → SUCCESS, QR shown");
        }
    }
  else if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_PAID) ||
           g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_CLOSED))
    {
      /* The order exists and is final at WeChat: a query gives the details. */
      d->exists = TRUE;
      d->not_exist = FALSE;
      d->want_send = FALSE;
      d->want_query = TRUE;
      driver_event (d, "response", "unifiedorder → %s, querying", error_code_name (error));
    }
  else if (saoma_gateway_error_is_outcome_unknown (error))
    {
      g_autofree char *detail = g_strdup_printf ("unifiedorder outcome unknown (%s)",
                                                 error_code_name (error));

      d->unified_unknown = TRUE;
      d->want_send = TRUE;
      d->send_at = now + (gint64)d->checkout->config->retry_interval_ms * 1000;
      driver_set_error (d, error);
      g_message ("%s: %s: %s", d->out_trade_no, detail, error->message);

      if (d->state == SAOMA_ATTEMPT_SUBMITTED || d->state == SAOMA_ATTEMPT_CREATED)
        driver_transition (d, SAOMA_ATTEMPT_UNKNOWN, detail);
      else
        driver_event (d, "response", "%s", detail);
    }
  else if ((d->unified_unknown || d->resumed) && unifiedorder_not_judged (error))
    {
      /* This retry never got WeChat's verdict (not delivered, or throttled): it proves
       * nothing about the earlier request, so keep re-entering as after an unknown outcome. */
      g_autofree char *detail = g_strdup_printf ("unifiedorder not delivered (%s), retrying",
                                                 error_code_name (error));

      d->want_send = TRUE;
      d->send_at = now + (gint64)d->checkout->config->retry_interval_ms * 1000;
      driver_set_error (d, error);
      driver_event (d, "response", "%s", detail);
    }
  else if (!d->unified_unknown && !d->resumed)
    {
      /* A definite rejection and no earlier request that may have acted: nothing exists. */
      g_autofree char *detail = g_strdup_printf ("unifiedorder rejected (%s)",
                                                 error_code_name (error));

      driver_fail (d, error, detail);
    }
  else
    {
      /* Rejected now, but an earlier request may have created it: ask WeChat. */
      d->unified_rejected = TRUE;
      d->want_send = FALSE;
      d->want_query = TRUE;
      driver_set_error (d, error);
      driver_event (d, "response", "unifiedorder rejected (%s) after an unknown outcome, "
                    "querying", error_code_name (error));
    }
}

static void
unifiedorder_start (Driver             *d,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  saoma_gateway_create_native_order_async (d->gateway, d->request, cancellable, callback,
                                           user_data);
}

static const GatewayCall unifiedorder_call = {
  unifiedorder_start, (gpointer)saoma_gateway_create_native_order_finish, unifiedorder_answered,
  (GDestroyNotify)saoma_native_order_result_free, "before-send", "after-send",
};

static void
driver_send_unifiedorder (Driver *d)
{
  d->want_send = FALSE;
  d->not_exist = FALSE;
  d->sent = TRUE;
  d->requested = TRUE;
  d->last_send_at = now_us (d);

  {
    g_autofree char *what = saoma_gateway_describe_native_request (d->gateway, d->request);

    driver_event (d, "request", "unifiedorder %s", what);
  }
  saoma_bench_stamp ("sent", d->out_trade_no);
  driver_send (d, &unifiedorder_call);
}

static void
driver_mark_paid (Driver                 *d,
                  const SaomaOrderStatus *answer,
                  const char             *how)
{
  const char *transaction_id = answer->transaction_id;
  gint64 paid_at = answer->paid_at > 0 ? answer->paid_at : now_us (d);
  /* Late: the cashier gave up (CLOSING on record, or cancelled/expired in this run). An
   * attempt resumed by recovery and found paid at once was not given up by anyone. */
  gboolean late = d->state == SAOMA_ATTEMPT_CLOSING || d->reopened ||
                  (driver_giving_up (d) && !d->resumed);
  g_autofree char *detail = NULL;

  crash_point ("after-paid-query");
  saoma_bench_stamp ("paid-verified", d->out_trade_no);

  detail = g_strdup_printf ("PAID: %s, transaction_id=%s%s", how,
                            transaction_id ? transaction_id : "?",
                            late ? " (late payment)" : "");
  driver_set_error (d, NULL);
  d->reopened = FALSE;
  driver_write (d, SAOMA_ATTEMPT_PAID, NULL, transaction_id, paid_at, late, "transition",
                detail);
}

static void
orderquery_answered (Driver        *d,
                     gconstpointer  answer_data,
                     const GError  *error,
                     gint64         now)
{
  const SaomaOrderStatus *answer = answer_data;
  const char *trade_state;

  d->last_query_at = now;

  if (answer == NULL)
    {
      if (d->reopened && g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
        {
          /* A notification made us re-check a final attempt; WeChat does not confirm it. */
          d->reopened = FALSE;
          driver_event (d, "response", "orderquery → ORDERNOTEXIST, notification not confirmed");
          return;
        }

      if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
        {
          if (d->exists)
            {
              /* WeChat answered for this order before: replication lag, ask again later. */
              g_warning ("%s: orderquery says ORDERNOTEXIST for an order WeChat created",
                         d->out_trade_no);
              driver_event (d, "response", "orderquery → ORDERNOTEXIST (order known to exist)");
            }
          else
            {
              d->not_exist = TRUE;
              d->not_exist_at = now;
              if (set_str (&d->last_response, "ORDERNOTEXIST"))
                driver_event (d, "response", "orderquery → ORDERNOTEXIST");
            }
        }
      else
        {
          /* A re-check asked for by a notification stays asked for: the listener has
           * acknowledged it, so WeChat will not send it again. */
          if (set_str (&d->last_response, error_code_name (error)))
            driver_event (d, "response", "orderquery failed (%s)", error_code_name (error));
        }
      return;
    }

  if (answer->out_trade_no != NULL && g_strcmp0 (answer->out_trade_no, d->out_trade_no) != 0)
    {
      g_warning ("%s: orderquery answered for another out_trade_no", d->out_trade_no);
      driver_event (d, "response", "orderquery answer for another out_trade_no, ignored");
      return;
    }

  trade_state = answer->state_text;
  if (set_str (&d->last_response, trade_state))
    driver_event (d, "response", "orderquery → %s", trade_state ? trade_state : "(none)");

  if (answer->state == SAOMA_TRADE_STATE_SUCCESS || answer->state == SAOMA_TRADE_STATE_REFUND)
    {
      g_autofree char *reported = answer->amount >= 0
                                  ? g_strdup_printf ("%" G_GINT64_FORMAT, answer->amount)
                                  : g_strdup ("(missing)");

      d->exists = TRUE;
      if (answer->amount != d->amount)
        {
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
          return;
        }

      if (d->state != SAOMA_ATTEMPT_PAID)
        driver_mark_paid (d, answer, "orderquery trade_state=SUCCESS");
      return;
    }

  if (d->reopened)
    {
      /* A notification made us re-check a final attempt; WeChat does not confirm it. */
      d->reopened = FALSE;
      return;
    }

  if (answer->state == SAOMA_TRADE_STATE_NOTPAY || answer->state == SAOMA_TRADE_STATE_USERPAYING
      || answer->state == SAOMA_TRADE_STATE_ACCEPT)
    {
      d->exists = TRUE;
      d->not_exist = FALSE;

      if (d->closed_ok)
        {
          /* Seen right after a close: close again later rather than believe either. */
          d->closed_ok = FALSE;
          d->close_retry_at = now + (gint64)d->checkout->config->slow_poll_interval_ms * 1000;
        }

      if (driver_giving_up (d))
        {
          if (d->state != SAOMA_ATTEMPT_CLOSING)
            {
              g_autofree char *detail = g_strdup_printf ("order is %s, closing", trade_state);

              driver_transition (d, SAOMA_ATTEMPT_CLOSING, detail);
            }
        }
      else if (d->code_url == NULL)
        {
          /* It exists but we never got its code_url: re-enter to fetch it. */
          d->want_send = TRUE;
          d->send_at = now;
        }
      return;
    }

  if (answer->state == SAOMA_TRADE_STATE_CLOSED || answer->state == SAOMA_TRADE_STATE_REVOKED)
    {
      g_autofree char *detail = g_strdup_printf ("orderquery trade_state=%s", trade_state);

      d->exists = TRUE;
      driver_transition (d, SAOMA_ATTEMPT_CLOSED, detail);
      return;
    }

  if (answer->state == SAOMA_TRADE_STATE_PAYERROR)
    {
      g_autoptr(GError) payerror = g_error_new (SAOMA_GATEWAY_ERROR,
                                                SAOMA_GATEWAY_ERROR_TRADE_ERROR,
                                                "Payment failed: %s",
                                                answer->state_desc ?: "PAYERROR");

      d->exists = TRUE;
      driver_fail (d, payerror, "orderquery trade_state=PAYERROR");
      return;
    }

  g_warning ("%s: unexpected trade_state %s", d->out_trade_no, trade_state ?: "(none)");
}

static void
orderquery_start (Driver             *d,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  saoma_gateway_query_order_async (d->gateway, d->out_trade_no, cancellable, callback,
                                   user_data);
}

static const GatewayCall orderquery_call = {
  orderquery_start, (gpointer)saoma_gateway_query_order_finish, orderquery_answered,
  (GDestroyNotify)saoma_order_status_free, "before-query", "after-query",
};

static void
driver_send_orderquery (Driver *d)
{
  d->want_query = FALSE;
  d->last_query_at = now_us (d);
  driver_send (d, &orderquery_call);
}

static void
closeorder_answered (Driver        *d,
                     gconstpointer  answer,
                     const GError  *error,
                     gint64         now)
{
  driver_event (d, "response", "closeorder → %s", error_code_name (error));
  /* Whatever happens next, never close again sooner than this. */
  d->close_retry_at = now + (gint64)d->checkout->config->slow_poll_interval_ms * 1000;

  if (answer != NULL || g_error_matches (error, SAOMA_GATEWAY_ERROR,
                                         SAOMA_GATEWAY_ERROR_ORDER_CLOSED))
    {
      /* Closed: one more query decides between CLOSED and a payment that beat the close. */
      d->closed_ok = TRUE;
      d->want_query = TRUE;
    }
  else if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_PAID))
    {
      d->exists = TRUE;
      d->want_query = TRUE;
    }
  else if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
    {
      if (!d->exists)
        {
          d->not_exist = TRUE;
          d->not_exist_at = now;
        }
      else
        d->want_query = TRUE;
    }
  else if (!saoma_gateway_error_is_outcome_unknown (error))
    {
      /* TRADE_STATE_ERROR and the like: ask what state the order is in. */
      d->want_query = TRUE;
    }
}

static void
closeorder_start (Driver             *d,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  saoma_gateway_close_order_async (d->gateway, d->out_trade_no, cancellable, callback,
                                   user_data);
}

/* The answer is non-NULL exactly when the order was closed. */
static gpointer
closeorder_finish (SaomaGateway  *gateway,
                   GAsyncResult  *result,
                   GError       **error)
{
  return saoma_gateway_close_order_finish (gateway, result, error) ? GINT_TO_POINTER (1) : NULL;
}

static const GatewayCall closeorder_call = {
  closeorder_start, closeorder_finish, closeorder_answered, NULL, "before-close", "after-close",
};

static void
driver_send_closeorder (Driver *d)
{
  driver_event (d, "request", "closeorder");
  driver_send (d, &closeorder_call);
}

/* --- The decision ------------------------------------------------------------------------- */

static gboolean
driver_timer_cb (gpointer user_data)
{
  Driver *d = user_data;

  d->timer_id = 0;
  if (d->checkout != NULL)
    driver_step (d);

  return G_SOURCE_REMOVE;
}

static void
driver_arm (Driver *d,
            gint64  at)
{
  gint64 delay_us = at - now_us (d);
  guint delay_ms = delay_us <= 0 ? 0 : (guint)MIN ((delay_us + 999) / 1000, G_MAXUINT);

  saoma_clock_remove (d->checkout->clock, d->timer_id);
  d->timer_id = saoma_clock_add_timeout (d->checkout->clock, delay_ms, driver_timer_cb,
                                         driver_ref (d), (GDestroyNotify)driver_unref);
}

static gint64
query_due (Driver *d,
           guint   interval_ms)
{
  if (d->last_query_at == 0)
    return now_us (d);
  return d->last_query_at + (gint64)interval_ms * 1000;
}

/* The cashier gave up before unifiedorder left: nothing can exist at WeChat. */
static void
driver_fail_unsent (Driver     *d,
                    const char *detail)
{
  g_autoptr(GError) error = g_error_new_literal (SAOMA_CHECKOUT_ERROR,
                                                 SAOMA_CHECKOUT_ERROR_CANCELLED,
                                                 "Cancelled before it was sent");

  driver_fail (d, error, detail);
}

typedef enum {
  ACT_NONE,
  ACT_SEND,
  ACT_QUERY,
  ACT_CLOSE,
} Action;

static void
driver_step (Driver *d)
{
  SaomaCheckoutConfig *config;
  Action action = ACT_NONE;
  gboolean recheck = FALSE;
  gint64 now, at = 0;

  if (d->checkout == NULL || !d->inserted || d->net_busy || d->writing ||
      !g_queue_is_empty (&d->writes))
    return;

  config = d->checkout->config;
  now = now_us (d);

  if (saoma_attempt_state_is_final (d->state))
    {
      if (!d->reopened || d->state == SAOMA_ATTEMPT_PAID)
        {
          d->reopened = FALSE;
          driver_stop_timers (d);
          return;
        }
      /* A notification contradicts a final attempt: only queries, until one answers. */
      recheck = TRUE;
    }

  if (recheck)
    {
      action = ACT_QUERY;
      at = d->want_query ? now : query_due (d, config->slow_poll_interval_ms);
    }
  else if (!d->sent)
    {
      /* A fresh attempt: SUBMITTED is durable before the request leaves. */
      if (driver_giving_up (d))
        {
          driver_fail_unsent (d, "cancelled before unifiedorder was sent");
          return;
        }
      d->sent = TRUE;
      d->want_send = TRUE;
      d->send_at = now;
      driver_transition (d, SAOMA_ATTEMPT_SUBMITTED, "sending unifiedorder");
      return;
    }
  else if (!d->requested && driver_giving_up (d))
    {
      /* SUBMITTED is on record but the cashier gave up before the request left. */
      driver_fail_unsent (d, "given up before unifiedorder was sent");
      return;
    }
  else if (d->want_query || d->reopened)
    {
      action = ACT_QUERY;
      at = now;
    }
  else if (!d->exists)
    {
      if (d->not_exist)
        {
          /* Proof of non-existence must be observed after time_expire: an order cannot be
           * created after it, whatever request may still be on its way. */
          if (d->not_exist_at >= d->expires || d->unified_rejected)
            {
              g_autoptr(GError) error = NULL;

              if (d->unified_rejected && d->error != NULL)
                error = g_error_copy (d->error);
              else
                error = g_error_new_literal (SAOMA_CHECKOUT_ERROR,
                                             SAOMA_CHECKOUT_ERROR_NEVER_SENT,
                                             "The order never reached WeChat");
              driver_fail (d, error,
                           d->unified_rejected
                             ? "ORDERNOTEXIST after a rejected unifiedorder"
                             : "ORDERNOTEXIST after time_expire: never reached WeChat");
              return;
            }
          else if (now >= d->expires - SEND_MARGIN_US)
            {
              /* Too close to time_expire to re-enter: prove non-existence after it. */
              action = ACT_QUERY;
              at = MAX (d->expires, query_due (d, config->retry_interval_ms));
            }
          else
            {
              /* Re-entry with identical parameters either finds the order or creates it;
               * either way it then exists and can be closed or shown. */
              action = ACT_SEND;
              at = MAX (now, d->last_send_at + (gint64)config->retry_interval_ms * 1000);
            }
        }
      else if (d->want_send && !driver_giving_up (d))
        {
          action = ACT_SEND;
          at = d->send_at;
        }
      else
        {
          action = ACT_QUERY;
          at = query_due (d, driver_giving_up (d) ? config->slow_poll_interval_ms
                                                  : config->retry_interval_ms);
        }
    }
  else if (!driver_giving_up (d))
    {
      if (d->want_send || d->code_url == NULL)
        {
          action = ACT_SEND;
          at = MAX (d->want_send ? d->send_at : now,
                    d->last_send_at + (gint64)config->retry_interval_ms * 1000);
        }
      else if (d->state != SAOMA_ATTEMPT_WAITING)
        {
          /* The code_url is known but WAITING did not become durable (the write failed):
           * record it again, or the QR would never be shown. */
          driver_write (d, SAOMA_ATTEMPT_WAITING, d->code_url, NULL, 0, FALSE, "transition",
                        "WAITING: code_url recorded again, QR shown");
          return;
        }
      else
        {
          action = ACT_QUERY;
          at = query_due (d, config->poll_interval_ms);
        }
    }
  else
    {
      gint64 close_allowed = d->created + (gint64)config->close_delay_s * G_USEC_PER_SEC;

      if (d->closed_ok)
        {
          /* The first query after the close is immediate (want_query); these are retries. */
          action = ACT_QUERY;
          at = query_due (d, config->retry_interval_ms);
        }
      else if (now >= close_allowed)
        {
          action = ACT_CLOSE;
          at = MAX (now, d->close_retry_at);
        }
      else
        {
          action = ACT_QUERY;
          at = MIN (query_due (d, config->slow_poll_interval_ms), close_allowed);
          if (at == close_allowed)
            {
              /* Wake up at the close moment and decide again. */
              action = ACT_NONE;
            }
        }
    }

  if (at > now || action == ACT_NONE)
    {
      driver_arm (d, MAX (at, now));
      return;
    }

  saoma_clock_remove (d->checkout->clock, d->timer_id);
  d->timer_id = 0;

  switch (action)
    {
    case ACT_SEND:
      driver_send_unifiedorder (d);
      break;
    case ACT_QUERY:
      driver_send_orderquery (d);
      break;
    case ACT_CLOSE:
      driver_send_closeorder (d);
      break;
    case ACT_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* --- Giving up: cancel and expiry ------------------------------------------------------------ */

static void
driver_give_up (Driver          *d,
                SaomaCloseReason reason)
{
  const char *why = reason == SAOMA_CLOSE_REASON_EXPIRED ? "expired" : "cancelled";

  if (driver_giving_up (d) || driver_is_final (d))
    return;

  d->close_reason = reason;
  saoma_clock_remove (d->checkout->clock, d->tick_id);
  d->tick_id = 0;

  /* A fresh attempt that was never sent fails in driver_step() instead. */
  if (d->inserted && d->sent && d->state != SAOMA_ATTEMPT_CLOSING)
    {
      g_autofree char *detail = g_strdup_printf ("%s, QR hidden, still watching", why);

      driver_transition (d, SAOMA_ATTEMPT_CLOSING, detail);
    }

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
                          gboolean           late)
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
      return busy ? SAOMA_CHECKOUT_PHASE_PREPARING : given_up;
    case SAOMA_CHECKOUT_WAITING:
      return busy ? SAOMA_CHECKOUT_PHASE_SHOW_QR : given_up;
    case SAOMA_CHECKOUT_UNKNOWN:
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
  SaomaCheckoutPhase phase;

  if (d != NULL)
    {
      SaomaAttemptState durable = driver_durable_state (d);
      gboolean final = saoma_attempt_state_is_final (durable);

      state = d->attempt || d->insert_failed ? checkout_state_from_attempt (durable)
                                             : SAOMA_CHECKOUT_NONE;
      amount = d->amount;
      description = d->description;
      out_trade_no = d->out_trade_no;
      if (durable == SAOMA_ATTEMPT_WAITING && !driver_giving_up (d))
        code_url = d->code_url;
      transaction_id = d->attempt ? saoma_attempt_get_transaction_id (d->attempt) : NULL;
      close_reason = d->close_reason;
      error = d->error;
      busy = !final && !driver_giving_up (d);
      seconds_left = busy ? d->seconds_left : 0;
      late = d->attempt != NULL && saoma_attempt_get_late (d->attempt);
    }
  phase = saoma_checkout_phase_for (state, busy, close_reason, late);

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
  if (d->recover_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&d->recover_task);
      RecoverData *rd = g_task_get_task_data (task);

      if (!rd->returned)
        {
          rd->returned = TRUE;
          g_cancellable_disconnect (g_task_get_cancellable (task), rd->cancelled_id);
          rd->cancelled_id = 0;
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The checkout engine was destroyed");
        }
    }
  d->checkout = NULL;
  driver_unref (d);
}

static void
saoma_checkout_dispose (GObject *object)
{
  SaomaCheckout *self = (SaomaCheckout *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  self->current = NULL;
  g_clear_pointer (&self->drivers, g_hash_table_unref);

  G_OBJECT_CLASS (saoma_checkout_parent_class)->dispose (object);
}

static void
saoma_checkout_finalize (GObject *object)
{
  SaomaCheckout *self = (SaomaCheckout *)object;

  g_clear_object (&self->gateway);
  g_clear_object (&self->ledger);
  g_clear_object (&self->clock);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, saoma_checkout_config_free);
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
    g_signal_new ("late-payment", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);
  signals[PAID] =
    g_signal_new ("paid", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);
  signals[ATTEMPT_FINISHED] =
    g_signal_new ("attempt-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SAOMA_TYPE_ATTEMPT);
}

static void
saoma_checkout_init (SaomaCheckout *self)
{
  self->drivers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, detach_driver);
  self->cancellable = g_cancellable_new ();
  self->pub_seconds_left = -1;
}

/* --- Public API --------------------------------------------------------------------------------- */

/**
 * saoma_checkout_new:
 * @gateway: the payment gateway (new attempts use it)
 * @ledger: the open ledger
 * @clock: (nullable): the clock; %NULL for the real one
 * @config: (nullable): settings, copied; %NULL for the defaults
 *
 * Returns: (transfer full): a new engine.
 */
SaomaCheckout *
saoma_checkout_new (SaomaGateway              *gateway,
                    SaomaLedger               *ledger,
                    SaomaClock                *clock,
                    const SaomaCheckoutConfig *config)
{
  SaomaCheckout *self;

  g_return_val_if_fail (SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);
  g_return_val_if_fail (clock == NULL || SAOMA_IS_CLOCK (clock), NULL);

  self = g_object_new (SAOMA_TYPE_CHECKOUT, NULL);
  self->gateway = g_object_ref (gateway);
  self->ledger = g_object_ref (ledger);
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

  return self;
}

SaomaGateway *
saoma_checkout_get_gateway (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->gateway;
}

SaomaLedger *
saoma_checkout_get_ledger (SaomaCheckout *self)
{
  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), NULL);
  return self->ledger;
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

      count += d->net_busy + d->writing + g_queue_get_length (&d->writes);
      if (!d->inserted && !d->insert_failed)
        count++;
    }

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

  attempt = saoma_ledger_insert_attempt_finish (SAOMA_LEDGER (object), result, &error);

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
      d->state = SAOMA_ATTEMPT_FAILED;
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

  d->inserted = TRUE;
  g_set_object (&d->attempt, attempt);
  saoma_bench_stamp ("inserted", d->out_trade_no);
  crash_point ("after-insert");

  sync_properties (d->checkout);
  driver_step (d);
  driver_unref (d);
}

/**
 * saoma_checkout_charge:
 * @amount: fen, > 0 and ≤ the configured maximum
 * @description: (nullable): what is sold (the body field)
 *
 * Starts a new attempt. It is written to the ledger (CREATED) before any request is sent.
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

  if (self->pub_busy || (self->current != NULL && !self->current->inserted &&
                         !self->current->insert_failed))
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

  tick_schedule (d);
  sync_properties (self);

  attempt = saoma_attempt_new (out_trade_no, amount, d->description, d->till_id, created,
                               expires);
  saoma_attempt_set_request (attempt, d->request);
  saoma_ledger_insert_attempt_async (self->ledger, attempt, NULL, insert_attempt_cb,
                                     driver_ref (d));

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

  if (self->current == NULL)
    return;

  driver_give_up (self->current, SAOMA_CLOSE_REASON_CANCELLED);
  sync_properties (self);
}

void
saoma_checkout_reset (SaomaCheckout *self)
{
  g_return_if_fail (SAOMA_IS_CHECKOUT (self));

  if (self->pub_busy || self->current == NULL)
    return;
  if (!self->current->inserted && !self->current->insert_failed)
    return;

  /* A CLOSING attempt stays in the hash table and keeps being driven in the background. */
  self->current = NULL;
  sync_properties (self);
}

void
saoma_checkout_query_now (SaomaCheckout *self,
                          const char    *out_trade_no)
{
  Driver *d;

  g_return_if_fail (SAOMA_IS_CHECKOUT (self));

  d = out_trade_no ? g_hash_table_lookup (self->drivers, out_trade_no) : self->current;
  if (d == NULL || driver_is_final (d))
    return;

  d->want_query = TRUE;
  driver_step (d);
}

static void
recover_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  RecoverData *data = g_task_get_task_data (task);

  if (!data->returned)
    {
      data->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Recovery was cancelled");
    }
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

static void
list_unfinished_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaCheckout *self = g_task_get_source_object (task);
  RecoverData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *started;

  attempts = saoma_ledger_list_unfinished_finish (SAOMA_LEDGER (object), result, &error);
  self->listing--;

  /* Cancelled meanwhile: the task has already returned. */
  if (data->returned)
    return;

  if (attempts == NULL)
    {
      recover_return (task, g_steal_pointer (&error));
      return;
    }

  if (self->drivers == NULL)
    {
      data->returned = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The checkout engine was destroyed");
      return;
    }

  started = g_ptr_array_new ();

  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);
      const char *out_trade_no = saoma_attempt_get_out_trade_no (attempt);
      SaomaAttemptState state = saoma_attempt_get_state (attempt);
      gint64 now = saoma_clock_now (self->clock);
      Driver *d;

      /* Already driven by this engine (its own current or background attempt). */
      if (g_hash_table_contains (self->drivers, out_trade_no))
        continue;

      d = driver_new (self, out_trade_no, saoma_attempt_get_amount (attempt),
                      saoma_attempt_get_description (attempt),
                      saoma_attempt_get_till_id (attempt),
                      saoma_attempt_get_created (attempt),
                      saoma_attempt_get_expires (attempt));
      d->attempt = g_object_ref (attempt);
      d->request = driver_stored_request (d);
      d->inserted = TRUE;
      d->resumed = TRUE;
      d->state = state;
      d->code_url = g_strdup (saoma_attempt_get_code_url (attempt));
      /* Whatever the last run did, a request may have reached WeChat (even from CREATED). */
      d->sent = TRUE;
      d->requested = TRUE;
      d->unified_unknown = TRUE;
      d->exists = state == SAOMA_ATTEMPT_WAITING || d->code_url != NULL;
      d->want_query = TRUE;
      /* Nobody shows its QR any more: watch it, and close it after the close delay. */
      d->close_reason = now >= d->expires ? SAOMA_CLOSE_REASON_EXPIRED
                                          : SAOMA_CLOSE_REASON_CANCELLED;
      d->recover_task = g_object_ref (task);
      g_hash_table_replace (self->drivers, d->out_trade_no, d);
      g_ptr_array_add (started, d);
      data->count++;
      data->pending++;

      driver_event (d, "note", "resumed by recovery from %s",
                    saoma_attempt_state_to_string (state));
    }

  if (data->pending == 0)
    recover_return (task, NULL);
  else
    {
      for (guint i = 0; i < started->len; i++)
        driver_step (g_ptr_array_index (started, i));
    }

  g_ptr_array_unref (started);
}

/**
 * saoma_checkout_recover_async:
 *
 * Resumes every non-final attempt of the ledger that this engine does not drive yet: each is
 * queried and driven to a final state (paid ones become PAID, unpaid ones are closed after the
 * close delay, ones WeChat never created become FAILED). Completes when all are final.
 */
void
saoma_checkout_recover_async (SaomaCheckout      *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  RecoverData *data;

  g_return_if_fail (SAOMA_IS_CHECKOUT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_checkout_recover_async);
  g_task_set_check_cancellable (task, FALSE);
  data = g_new0 (RecoverData, 1);
  g_task_set_task_data (task, data, g_free);

  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (recover_cancelled_cb),
                                                task, NULL);
  if (data->returned)
    return;

  self->listing++;
  saoma_ledger_list_unfinished_async (self->ledger, NULL, list_unfinished_cb,
                                      g_steal_pointer (&task));
}

guint
saoma_checkout_recover_finish (SaomaCheckout *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  gssize count;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  count = g_task_propagate_int (G_TASK (result), error);
  return count < 0 ? 0 : (guint)count;
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
  if (d == NULL)
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

  if (d->state == SAOMA_ATTEMPT_PAID)
    {
      driver_event (d, "notification", "payment notification (already PAID)");
      return TRUE;
    }

  saoma_bench_stamp ("notified", out_trade_no);
  driver_event (d, "notification", "payment notification, confirming by orderquery");
  if (driver_is_final (d))
    d->reopened = TRUE;
  d->want_query = TRUE;
  driver_step (d);

  return TRUE;
}
