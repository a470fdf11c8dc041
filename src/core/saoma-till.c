/* saoma-till.c: the composition root: every service of one till is created here, once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-till"

#include "config.h"

#include "saoma-bench-stamp.h"
#include "saoma-till.h"

struct _SaomaTill
{
  GObject              parent_instance;

  SaomaTillConfig     *config;
  SaomaClock          *clock;
  GCancellable        *cancellable;   /* start-up work: the store's opening, recovery */

  SaomaStore          *store;
  SaomaGateway        *gateway;
  SaomaCheckout       *checkout;
  SaomaRefunder       *refunder;
  SaomaNotifyListener *listener;

  /* Start-up recovery: attempts and refunds, each counted when its resume completes. */
  GPtrArray           *recovered_waiters; /* GTask */
  GError              *recover_error;
  guint                recover_pending;
  guint                n_attempts;
  guint                n_refunds;

  guint                started : 1;
  guint                recovered : 1;  /* start-up recovery is over (or there was none) */
};

enum {
  PROP_0,
  PROP_STORE,
  PROP_GATEWAY,
  PROP_CHECKOUT,
  PROP_REFUNDER,
  PROP_LISTENER,
  PROP_RECOVERING,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaTill, saoma_till, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (SaomaTillConfig, saoma_till_config, saoma_till_config_copy,
                     saoma_till_config_free)

static GParamSpec *properties[N_PROPS];

/* --- Config ----------------------------------------------------------------------------------- */

/**
 * saoma_till_config_new:
 *
 * Returns: (transfer full): the engine's defaults, no listener, resume at start
 */
SaomaTillConfig *
saoma_till_config_new (void)
{
  g_autoptr(SaomaCheckoutConfig) engine = saoma_checkout_config_new ();
  SaomaTillConfig *config = g_new0 (SaomaTillConfig, 1);

  config->till_id = g_strdup (engine->till_id);
  config->resume_at_start = TRUE;
  config->validity_s = engine->validity_s;
  config->poll_interval_ms = engine->poll_interval_ms;
  config->slow_poll_interval_ms = engine->slow_poll_interval_ms;
  config->close_delay_s = engine->close_delay_s;
  config->retry_interval_ms = engine->retry_interval_ms;
  config->max_amount = engine->max_amount;

  return config;
}

/**
 * saoma_till_config_copy:
 * @config: a #SaomaTillConfig
 *
 * Returns: (transfer full): a deep copy
 */
SaomaTillConfig *
saoma_till_config_copy (const SaomaTillConfig *config)
{
  SaomaTillConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_memdup2 (config, sizeof *config);
  copy->till_id = g_strdup (config->till_id);
  copy->store_path = g_strdup (config->store_path);
  copy->notify_url = g_strdup (config->notify_url);
  copy->listen_address = g_strdup (config->listen_address);

  return copy;
}

/**
 * saoma_till_config_free:
 * @config: (nullable): a #SaomaTillConfig
 */
void
saoma_till_config_free (SaomaTillConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->till_id);
  g_free (config->store_path);
  g_free (config->notify_url);
  g_free (config->listen_address);
  g_free (config);
}

/* --- Recovery --------------------------------------------------------------------------------- */

static void
finish_recovery (SaomaTill *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->recovered_waiters);

  self->recovered = TRUE;
  self->recovered_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECOVERING]);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (self->recover_error != NULL)
        g_task_return_error (task, g_error_copy (self->recover_error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
recover_one_done (SaomaTill *self,
                  GError    *error)
{
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Recovery did not finish: %s", error->message);
      if (self->recover_error == NULL)
        self->recover_error = g_steal_pointer (&error);
      g_clear_error (&error);
    }

  g_assert (self->recover_pending > 0);
  if (--self->recover_pending == 0)
    finish_recovery (self);
}

static void
attempts_recovered_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(SaomaTill) self = user_data;
  GError *error = NULL;

  self->n_attempts = saoma_checkout_recover_finish (SAOMA_CHECKOUT (object), result, &error);
  g_debug ("recovery resolved %u attempts", self->n_attempts);
  recover_one_done (self, error);
}

static void
refunds_recovered_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SaomaTill) self = user_data;
  GError *error = NULL;

  self->n_refunds = saoma_refunder_resume_finish (SAOMA_REFUNDER (object), result, &error);
  g_debug ("recovery resumed %u refunds", self->n_refunds);
  recover_one_done (self, error);
}

static void
start_recovery (SaomaTill *self)
{
  g_assert (self->checkout != NULL && self->refunder != NULL);

  /* Last run's unfinished attempts and refunds are this till's to finish: they are driven
   * with the engine the cashier is about to use, so one order is never driven twice. */
  self->recover_pending = 2;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECOVERING]);
  saoma_checkout_recover_async (self->checkout, self->cancellable, attempts_recovered_cb,
                                g_object_ref (self));
  saoma_refunder_resume_async (self->refunder, self->cancellable, refunds_recovered_cb,
                               g_object_ref (self));
}

/* --- Bringing the engine up ------------------------------------------------------------------- */

static SaomaCheckoutConfig *
make_checkout_config (SaomaTill *self)
{
  SaomaCheckoutConfig *engine = saoma_checkout_config_new ();
  const SaomaTillConfig *config = self->config;

  if (config->till_id != NULL && *config->till_id != '\0')
    {
      g_free (engine->till_id);
      engine->till_id = g_strdup (config->till_id);
    }
  if (config->notify_url != NULL && *config->notify_url != '\0')
    {
      g_free (engine->notify_url);
      engine->notify_url = g_strdup (config->notify_url);
    }
  else if (config->listener_is_notify_url && self->listener != NULL)
    {
      g_free (engine->notify_url);
      engine->notify_url = g_strdup (saoma_notify_listener_get_uri (self->listener));
    }
  engine->validity_s = config->validity_s;
  engine->poll_interval_ms = config->poll_interval_ms;
  engine->slow_poll_interval_ms = config->slow_poll_interval_ms;
  engine->close_delay_s = config->close_delay_s;
  engine->retry_interval_ms = config->retry_interval_ms;
  engine->max_amount = config->max_amount;
  engine->micropay_poll_ms = config->micropay_poll_ms;
  engine->micropay_give_up_s = config->micropay_give_up_s;
  engine->micropay_demo = config->micropay_demo;

  return engine;
}

static gboolean
start_listener (SaomaTill *self,
                GError   **error)
{
  g_autoptr(SaomaNotifyListener) listener = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->config->listen_address == NULL)
    return TRUE;

  /* The listener is made first: the checkout's notify_url may be its address. It takes the
   * checkout and the refunder once they exist (until then it answers FAIL). */
  listener = saoma_notify_listener_new (NULL, NULL);
  if (!saoma_notify_listener_listen (listener, self->config->listen_address,
                                     self->config->listen_port, &local_error))
    {
      if (self->config->listener_optional)
        {
          g_warning ("The notification listener could not start: %s", local_error->message);
          return TRUE;
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot listen for notifications: ");
      return FALSE;
    }

  self->listener = g_steal_pointer (&listener);
  return TRUE;
}

static gboolean
bring_up (SaomaTill *self,
          GError   **error)
{
  g_autoptr(SaomaCheckoutConfig) engine = NULL;
  const SaomaTillConfig *config = self->config;

  g_assert (self->store != NULL && self->gateway != NULL && self->checkout == NULL);

  if (!start_listener (self, error))
    return FALSE;

  engine = make_checkout_config (self);
  self->checkout = saoma_checkout_new (self->gateway, self->store, self->clock, engine);

  self->refunder = saoma_refunder_new (self->gateway, self->store, self->clock,
                                       engine->till_id);
  if (config->refund_retry_interval_ms > 0)
    saoma_refunder_set_retry_interval (self->refunder, config->refund_retry_interval_ms);
  if (config->refund_query_interval_ms > 0)
    saoma_refunder_set_query_interval (self->refunder, config->refund_query_interval_ms);

  if (self->listener != NULL)
    {
      saoma_notify_listener_set_checkout (self->listener, self->checkout);
      /* Refund notifications (§10) are hints for the refunder. */
      saoma_notify_listener_set_refunder (self->listener, self->refunder);
      if ((config->notify_url == NULL || *config->notify_url == '\0') &&
          config->listener_is_notify_url)
        saoma_refunder_set_notify_url (self->refunder,
                                       saoma_notify_listener_get_refund_uri (self->listener));
    }

  if (self->listener != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKOUT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUNDER]);

  if (config->resume_at_start)
    start_recovery (self);
  else
    self->recovered = TRUE;

  return TRUE;
}

/* --- GObject ---------------------------------------------------------------------------------- */

static void
saoma_till_dispose (GObject *object)
{
  SaomaTill *self = (SaomaTill *) object;

  if (self->listener != NULL)
    saoma_notify_listener_shutdown (self->listener);
  g_clear_object (&self->listener);
  g_clear_object (&self->checkout);
  g_clear_object (&self->refunder);
  g_clear_object (&self->gateway);
  g_clear_object (&self->store);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (saoma_till_parent_class)->dispose (object);
}

static void
saoma_till_finalize (GObject *object)
{
  SaomaTill *self = (SaomaTill *) object;

  g_clear_pointer (&self->config, saoma_till_config_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->recovered_waiters, g_ptr_array_unref);
  g_clear_error (&self->recover_error);

  G_OBJECT_CLASS (saoma_till_parent_class)->finalize (object);
}

static void
saoma_till_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SaomaTill *self = SAOMA_TILL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_GATEWAY:
      g_value_set_object (value, self->gateway);
      break;

    case PROP_CHECKOUT:
      g_value_set_object (value, self->checkout);
      break;

    case PROP_REFUNDER:
      g_value_set_object (value, self->refunder);
      break;

    case PROP_LISTENER:
      g_value_set_object (value, self->listener);
      break;

    case PROP_RECOVERING:
      g_value_set_boolean (value, saoma_till_get_recovering (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_till_class_init (SaomaTillClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_till_dispose;
  object_class->finalize = saoma_till_finalize;
  object_class->get_property = saoma_till_get_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, SAOMA_TYPE_STORE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_GATEWAY] =
    g_param_spec_object ("gateway", NULL, NULL, SAOMA_TYPE_GATEWAY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CHECKOUT] =
    g_param_spec_object ("checkout", NULL, NULL, SAOMA_TYPE_CHECKOUT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REFUNDER] =
    g_param_spec_object ("refunder", NULL, NULL, SAOMA_TYPE_REFUNDER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LISTENER] =
    g_param_spec_object ("listener", NULL, NULL, SAOMA_TYPE_NOTIFY_LISTENER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RECOVERING] =
    g_param_spec_boolean ("recovering", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_till_init (SaomaTill *self)
{
  self->cancellable = g_cancellable_new ();
  self->recovered_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

/* --- Public API ------------------------------------------------------------------------------- */

/**
 * saoma_till_new:
 * @config: the till's settings (copied)
 * @gateway: (nullable): the gateway, or %NULL until saoma_till_set_gateway()
 * @clock: (nullable): the engine's clock, %NULL for the system clock
 *
 * Returns: (transfer full): a till; saoma_till_start_async() brings it up
 */
SaomaTill *
saoma_till_new (const SaomaTillConfig *config,
                SaomaGateway          *gateway,
                SaomaClock            *clock)
{
  SaomaTill *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (gateway == NULL || SAOMA_IS_GATEWAY (gateway), NULL);
  g_return_val_if_fail (clock == NULL || SAOMA_IS_CLOCK (clock), NULL);

  self = g_object_new (SAOMA_TYPE_TILL, NULL);
  self->config = saoma_till_config_copy (config);
  self->gateway = gateway ? g_object_ref (gateway) : NULL;
  self->clock = g_object_ref (clock ? clock : saoma_clock_get_default ());

  return self;
}

/**
 * saoma_till_get_config:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none): the settings the till was made with
 */
const SaomaTillConfig *
saoma_till_get_config (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->config;
}

/**
 * saoma_till_get_store:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none) (nullable): the store, %NULL until it is open
 */
SaomaStore *
saoma_till_get_store (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->store;
}

/**
 * saoma_till_get_ledger:
 * @self: a #SaomaTill
 *
 * The store as the SQLite ledger, for the reports and windows that still read SQLite
 * directly (they move onto SaomaStoreSnapshot); new code uses saoma_till_get_store().
 *
 * Returns: (transfer none) (nullable): the ledger, %NULL until it is open or when the store
 *   is not SQLite
 */
SaomaLedger *
saoma_till_get_ledger (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return SAOMA_IS_LEDGER (self->store) ? SAOMA_LEDGER (self->store) : NULL;
}

/**
 * saoma_till_get_gateway:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none) (nullable): the gateway new work uses
 */
SaomaGateway *
saoma_till_get_gateway (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->gateway;
}

/**
 * saoma_till_get_checkout:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none) (nullable): the payment engine, %NULL until the till is up
 */
SaomaCheckout *
saoma_till_get_checkout (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->checkout;
}

/**
 * saoma_till_get_refunder:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none) (nullable): the refunds engine, %NULL until the till is up
 */
SaomaRefunder *
saoma_till_get_refunder (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->refunder;
}

/**
 * saoma_till_get_listener:
 * @self: a #SaomaTill
 *
 * Returns: (transfer none) (nullable): the notification listener, when one is listening
 */
SaomaNotifyListener *
saoma_till_get_listener (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), NULL);

  return self->listener;
}

/**
 * saoma_till_get_recovering:
 * @self: a #SaomaTill
 *
 * Returns: %TRUE while start-up recovery is under way
 */
gboolean
saoma_till_get_recovering (SaomaTill *self)
{
  g_return_val_if_fail (SAOMA_IS_TILL (self), FALSE);

  return self->recover_pending > 0;
}

/**
 * saoma_till_set_gateway:
 * @self: a #SaomaTill
 * @gateway: the new gateway
 *
 * Hands @gateway to the checkout and the refunder for new work (work in flight keeps its own);
 * on a started till without an engine yet, brings the engine up.
 */
void
saoma_till_set_gateway (SaomaTill    *self,
                        SaomaGateway *gateway)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SAOMA_IS_TILL (self));
  g_return_if_fail (SAOMA_IS_GATEWAY (gateway));

  if (!g_set_object (&self->gateway, gateway))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GATEWAY]);

  if (self->checkout != NULL)
    {
      saoma_checkout_set_gateway (self->checkout, gateway);
      saoma_refunder_set_gateway (self->refunder, gateway);
      return;
    }

  if (self->store != NULL && !bring_up (self, &error))
    g_warning ("Cannot start the till: %s", error->message);
}

static void
ledger_open_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaTill *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  SaomaLedger *ledger;

  /* The one place that knows the store is an SQLite file. */
  ledger = saoma_ledger_open_finish (result, &error);
  if (ledger == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->store = SAOMA_STORE (ledger);
  saoma_bench_stamp ("store-open", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);

  if (self->gateway != NULL && !bring_up (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * saoma_till_start_async:
 * @self: a #SaomaTill
 * @cancellable: (nullable): cancels the opening of the store
 * @callback: called once the till can charge (or the store is open, without a gateway)
 * @user_data: data for @callback
 *
 * Starts the till once; see #SaomaTill.
 */
void
saoma_till_start_async (SaomaTill          *self,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SAOMA_IS_TILL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_till_start_async);

  if (self->started)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "the till is started");
      return;
    }
  self->started = TRUE;

  path = self->config->store_path != NULL ? g_strdup (self->config->store_path)
                                          : saoma_ledger_default_path ();
  saoma_ledger_open_async (path, cancellable, ledger_open_cb, g_steal_pointer (&task));
}

/**
 * saoma_till_start_finish:
 * @self: a #SaomaTill
 * @result: the result
 * @error: return location for the store's or the listener's error
 *
 * Returns: %TRUE when the till is up
 */
gboolean
saoma_till_start_finish (SaomaTill     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == saoma_till_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * saoma_till_wait_recovered_async:
 * @self: a started #SaomaTill
 * @cancellable: (nullable): stops waiting (recovery goes on)
 * @callback: called when start-up recovery is over
 * @user_data: data for @callback
 */
void
saoma_till_wait_recovered_async (SaomaTill          *self,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SAOMA_IS_TILL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_till_wait_recovered_async);

  if (self->checkout == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "the till is not up: no store or no gateway yet");
      return;
    }

  if (self->recovered)
    {
      if (self->recover_error != NULL)
        g_task_return_error (task, g_error_copy (self->recover_error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->recovered_waiters, g_steal_pointer (&task));
}

/**
 * saoma_till_wait_recovered_finish:
 * @self: a #SaomaTill
 * @result: the result
 * @out_attempts: (out) (optional): the number of attempts resumed
 * @out_refunds: (out) (optional): the number of refunds resumed
 * @error: return location for the recovery's error
 *
 * Returns: %TRUE when recovery ended without error
 */
gboolean
saoma_till_wait_recovered_finish (SaomaTill     *self,
                                  GAsyncResult  *result,
                                  guint         *out_attempts,
                                  guint         *out_refunds,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        saoma_till_wait_recovered_async, FALSE);

  if (out_attempts != NULL)
    *out_attempts = self->n_attempts;
  if (out_refunds != NULL)
    *out_refunds = self->n_refunds;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * saoma_till_shutdown:
 * @self: a #SaomaTill
 *
 * Stops listening and stops start-up recovery; the store keeps what is unfinished.
 */
void
saoma_till_shutdown (SaomaTill *self)
{
  g_return_if_fail (SAOMA_IS_TILL (self));

  g_cancellable_cancel (self->cancellable);
  if (self->listener != NULL)
    saoma_notify_listener_shutdown (self->listener);
}
