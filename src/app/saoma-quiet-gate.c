/* saoma-quiet-gate.c: when the screens may show that a Native sale is being prepared.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-quiet-gate"

#include "config.h"

#include "saoma-app-private.h"
#include "saoma-quiet-gate.h"

struct _SaomaQuietGate
{
  GObject        parent_instance;

  SaomaCheckout *checkout;  /* not owned: the gate is the checkout's (qdata) */
  guint          delay_source;
  gboolean       ended;     /* the delay passed, or the cashier ended it: the busy state shows */
};

enum {
  PROP_0,
  PROP_QUIET,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaQuietGate, saoma_quiet_gate, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static gboolean
preparing_native (SaomaQuietGate *self)
{
  return saoma_checkout_get_phase (self->checkout) == SAOMA_CHECKOUT_PHASE_PREPARING &&
         saoma_checkout_get_method (self->checkout) != SAOMA_PAYMENT_METHOD_MICROPAY;
}

static gboolean
delay_cb (gpointer user_data)
{
  SaomaQuietGate *self = user_data;

  self->delay_source = 0;
  saoma_quiet_gate_end (self);
  return G_SOURCE_REMOVE;
}

static void
saoma_quiet_gate_dispose (GObject *object)
{
  SaomaQuietGate *self = SAOMA_QUIET_GATE (object);

  g_clear_handle_id (&self->delay_source, g_source_remove);

  G_OBJECT_CLASS (saoma_quiet_gate_parent_class)->dispose (object);
}

static void
saoma_quiet_gate_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SaomaQuietGate *self = SAOMA_QUIET_GATE (object);

  switch (prop_id)
    {
    case PROP_QUIET:
      g_value_set_boolean (value, saoma_quiet_gate_is_quiet (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_quiet_gate_class_init (SaomaQuietGateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_quiet_gate_dispose;
  object_class->get_property = saoma_quiet_gate_get_property;

  properties[PROP_QUIET] =
    g_param_spec_boolean ("quiet", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_quiet_gate_init (SaomaQuietGate *self)
{
}

/**
 * saoma_quiet_gate_get:
 *
 * Returns: (transfer none): @checkout's gate, made on first use and kept as long as @checkout
 */
SaomaQuietGate *
saoma_quiet_gate_get (SaomaCheckout *checkout)
{
  static GQuark quark;
  SaomaQuietGate *self;

  g_return_val_if_fail (SAOMA_IS_CHECKOUT (checkout), NULL);

  if (quark == 0)
    quark = g_quark_from_static_string ("saoma-quiet-gate");
  self = g_object_get_qdata (G_OBJECT (checkout), quark);
  if (self == NULL)
    {
      self = g_object_new (SAOMA_TYPE_QUIET_GATE, NULL);
      self->checkout = checkout;
      g_object_set_qdata_full (G_OBJECT (checkout), quark, self, g_object_unref);
    }

  return self;
}

/**
 * saoma_quiet_gate_is_quiet:
 *
 * Returns: %TRUE while the screens keep their look: a Native sale is being prepared, for less
 *   than SAOMA_BUSY_DELAY_MS, and nobody ended the wait. The first call during a sale starts
 *   that delay; a call after the sale left preparing resets the gate for the next one.
 */
gboolean
saoma_quiet_gate_is_quiet (SaomaQuietGate *self)
{
  g_return_val_if_fail (SAOMA_IS_QUIET_GATE (self), FALSE);

  if (!preparing_native (self))
    {
      g_clear_handle_id (&self->delay_source, g_source_remove);
      self->ended = FALSE;
      return FALSE;
    }
  if (self->ended)
    return FALSE;
  if (self->delay_source == 0)
    self->delay_source = g_timeout_add (SAOMA_BUSY_DELAY_MS, delay_cb, self);
  return TRUE;
}

/**
 * saoma_quiet_gate_end:
 *
 * Ends the quiet wait of the sale being prepared at once (the cashier pressed Esc, or the delay
 * passed): "notify::quiet" tells both views.
 */
void
saoma_quiet_gate_end (SaomaQuietGate *self)
{
  g_return_if_fail (SAOMA_IS_QUIET_GATE (self));

  g_clear_handle_id (&self->delay_source, g_source_remove);
  if (self->ended || !preparing_native (self))
    return;
  self->ended = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUIET]);
}
