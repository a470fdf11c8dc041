/* saoma-attempt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-attempt"

#include "config.h"

#include "saoma-attempt.h"
#include "saoma-ledger-private.h"

struct _SaomaAttempt
{
  GObject            parent_instance;

  gint64             id;
  char              *out_trade_no;
  gint64             amount;
  char              *description;
  char              *till_id;
  gint64             created;
  gint64             updated;
  gint64             expires;
  SaomaAttemptState  state;
  char              *transaction_id;
  char              *code_url;
  gint64             refunded;
  gint64             paid_at;
  gboolean           late;
  char              *request;
  SaomaPaymentMethod method;
  char              *owner;
  gint64             heartbeat;
  gboolean           placeholder;

  /* Set by the ledger on the snapshot it emits with "attempt-changed". */
  SaomaAttempt      *previous;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_OUT_TRADE_NO,
  PROP_AMOUNT,
  PROP_DESCRIPTION,
  PROP_TILL_ID,
  PROP_CREATED,
  PROP_UPDATED,
  PROP_EXPIRES,
  PROP_STATE,
  PROP_TRANSACTION_ID,
  PROP_CODE_URL,
  PROP_REFUNDED,
  PROP_PAID_AT,
  PROP_LATE,
  PROP_REQUEST,
  PROP_METHOD,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaAttempt, saoma_attempt, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const char * const state_names[] = {
  [SAOMA_ATTEMPT_CREATED] = "CREATED",
  [SAOMA_ATTEMPT_SUBMITTED] = "SUBMITTED",
  [SAOMA_ATTEMPT_WAITING] = "WAITING",
  [SAOMA_ATTEMPT_UNKNOWN] = "UNKNOWN",
  [SAOMA_ATTEMPT_CLOSING] = "CLOSING",
  [SAOMA_ATTEMPT_PAID] = "PAID",
  [SAOMA_ATTEMPT_CLOSED] = "CLOSED",
  [SAOMA_ATTEMPT_FAILED] = "FAILED",
  [SAOMA_ATTEMPT_PARTIALLY_REFUNDED] = "PARTIALLY_REFUNDED",
  [SAOMA_ATTEMPT_REFUNDED] = "REFUNDED",
};

G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == SAOMA_ATTEMPT_STATE_LAST + 1);

static const char * const method_names[] = {
  [SAOMA_PAYMENT_METHOD_NATIVE] = "NATIVE",
  [SAOMA_PAYMENT_METHOD_MICROPAY] = "MICROPAY",
};

G_STATIC_ASSERT (G_N_ELEMENTS (method_names) == SAOMA_PAYMENT_METHOD_LAST + 1);

const char *
saoma_payment_method_to_string (SaomaPaymentMethod method)
{
  if ((guint) method > SAOMA_PAYMENT_METHOD_LAST)
    return NULL;

  return method_names[method];
}

gboolean
saoma_payment_method_from_string (const char         *str,
                                  SaomaPaymentMethod *out_method)
{
  g_return_val_if_fail (out_method != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (method_names); i++)
    {
      if (g_str_equal (str, method_names[i]))
        {
          *out_method = (SaomaPaymentMethod) i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * saoma_attempt_state_to_string:
 * @state: a #SaomaAttemptState
 *
 * Returns: (transfer none): the stored name of @state ("PAID" …), or %NULL when out of range
 */
const char *
saoma_attempt_state_to_string (SaomaAttemptState state)
{
  if ((guint) state > SAOMA_ATTEMPT_STATE_LAST)
    return NULL;

  return state_names[state];
}

/**
 * saoma_attempt_state_from_string:
 * @str: a state name such as "PAID"
 * @out_state: (out): the state
 *
 * Returns: %FALSE when @str names no state
 */
gboolean
saoma_attempt_state_from_string (const char        *str,
                                 SaomaAttemptState *out_state)
{
  g_return_val_if_fail (out_state != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    {
      if (g_str_equal (str, state_names[i]))
        {
          *out_state = (SaomaAttemptState) i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * saoma_attempt_state_is_final:
 * @state: a #SaomaAttemptState
 *
 * Returns: %TRUE for PAID, CLOSED, FAILED, PARTIALLY_REFUNDED and REFUNDED
 */
gboolean
saoma_attempt_state_is_final (SaomaAttemptState state)
{
  switch (state)
    {
    case SAOMA_ATTEMPT_PAID:
    case SAOMA_ATTEMPT_CLOSED:
    case SAOMA_ATTEMPT_FAILED:
    case SAOMA_ATTEMPT_PARTIALLY_REFUNDED:
    case SAOMA_ATTEMPT_REFUNDED:
      return TRUE;

    case SAOMA_ATTEMPT_CREATED:
    case SAOMA_ATTEMPT_SUBMITTED:
    case SAOMA_ATTEMPT_WAITING:
    case SAOMA_ATTEMPT_UNKNOWN:
    case SAOMA_ATTEMPT_CLOSING:
    default:
      return FALSE;
    }
}

static void
saoma_attempt_finalize (GObject *object)
{
  SaomaAttempt *self = (SaomaAttempt *)object;

  g_clear_pointer (&self->out_trade_no, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->till_id, g_free);
  g_clear_pointer (&self->transaction_id, g_free);
  g_clear_pointer (&self->code_url, g_free);
  g_clear_pointer (&self->request, g_free);
  g_clear_pointer (&self->owner, g_free);
  g_clear_object (&self->previous);

  G_OBJECT_CLASS (saoma_attempt_parent_class)->finalize (object);
}

static void
saoma_attempt_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SaomaAttempt *self = SAOMA_ATTEMPT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;

    case PROP_OUT_TRADE_NO:
      g_value_set_string (value, self->out_trade_no);
      break;

    case PROP_AMOUNT:
      g_value_set_int64 (value, self->amount);
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;

    case PROP_TILL_ID:
      g_value_set_string (value, self->till_id);
      break;

    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;

    case PROP_UPDATED:
      g_value_set_int64 (value, self->updated);
      break;

    case PROP_EXPIRES:
      g_value_set_int64 (value, self->expires);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_TRANSACTION_ID:
      g_value_set_string (value, self->transaction_id);
      break;

    case PROP_CODE_URL:
      g_value_set_string (value, self->code_url);
      break;

    case PROP_REFUNDED:
      g_value_set_int64 (value, self->refunded);
      break;

    case PROP_PAID_AT:
      g_value_set_int64 (value, self->paid_at);
      break;

    case PROP_LATE:
      g_value_set_boolean (value, self->late);
      break;

    case PROP_REQUEST:
      g_value_set_string (value, self->request);
      break;

    case PROP_METHOD:
      g_value_set_enum (value, self->method);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_attempt_class_init (SaomaAttemptClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = saoma_attempt_finalize;
  object_class->get_property = saoma_attempt_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_OUT_TRADE_NO] =
    g_param_spec_string ("out-trade-no", NULL, NULL, NULL, flags);
  properties[PROP_AMOUNT] =
    g_param_spec_int64 ("amount", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties[PROP_TILL_ID] =
    g_param_spec_string ("till-id", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] =
    g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_UPDATED] =
    g_param_spec_int64 ("updated", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_EXPIRES] =
    g_param_spec_int64 ("expires", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, SAOMA_TYPE_ATTEMPT_STATE, SAOMA_ATTEMPT_CREATED,
                       flags);
  properties[PROP_TRANSACTION_ID] =
    g_param_spec_string ("transaction-id", NULL, NULL, NULL, flags);
  properties[PROP_CODE_URL] =
    g_param_spec_string ("code-url", NULL, NULL, NULL, flags);
  properties[PROP_REFUNDED] =
    g_param_spec_int64 ("refunded", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PAID_AT] =
    g_param_spec_int64 ("paid-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_LATE] =
    g_param_spec_boolean ("late", NULL, NULL, FALSE, flags);
  properties[PROP_REQUEST] =
    g_param_spec_string ("request", NULL, NULL, NULL, flags);
  properties[PROP_METHOD] =
    g_param_spec_enum ("method", NULL, NULL, SAOMA_TYPE_PAYMENT_METHOD,
                       SAOMA_PAYMENT_METHOD_NATIVE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_attempt_init (SaomaAttempt *self)
{
}

/**
 * saoma_attempt_new:
 * @out_trade_no: the merchant order number, unique in the ledger
 * @amount: fen, > 0
 * @description: (nullable): the order body
 * @till_id: (nullable): the till that created it
 * @created: µs since the epoch, UTC
 * @expires: µs since the epoch, UTC (time_expire)
 *
 * Creates a not-yet-stored attempt in state CREATED, for saoma_ledger_insert_attempt_async().
 *
 * Returns: (transfer full): a new #SaomaAttempt
 */
SaomaAttempt *
saoma_attempt_new (const char *out_trade_no,
                   gint64      amount,
                   const char *description,
                   const char *till_id,
                   gint64      created,
                   gint64      expires)
{
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  return saoma_attempt_new_full (0, out_trade_no, amount, description, till_id,
                                 created, created, expires, SAOMA_ATTEMPT_CREATED,
                                 NULL, NULL, 0, 0, FALSE);
}

/**
 * saoma_attempt_new_full:
 *
 * Creates a snapshot of a stored row. Used by the ledger.
 *
 * Returns: (transfer full): a new #SaomaAttempt
 */
SaomaAttempt *
saoma_attempt_new_full (gint64             id,
                        const char        *out_trade_no,
                        gint64             amount,
                        const char        *description,
                        const char        *till_id,
                        gint64             created,
                        gint64             updated,
                        gint64             expires,
                        SaomaAttemptState  state,
                        const char        *transaction_id,
                        const char        *code_url,
                        gint64             refunded,
                        gint64             paid_at,
                        gboolean           late)
{
  SaomaAttempt *self;

  g_return_val_if_fail (out_trade_no != NULL, NULL);
  g_return_val_if_fail ((guint) state <= SAOMA_ATTEMPT_STATE_LAST, NULL);

  self = g_object_new (SAOMA_TYPE_ATTEMPT, NULL);
  self->id = id;
  self->out_trade_no = g_strdup (out_trade_no);
  self->amount = amount;
  self->description = g_strdup (description);
  self->till_id = g_strdup (till_id);
  self->created = created;
  self->updated = updated;
  self->expires = expires;
  self->state = state;
  self->transaction_id = g_strdup (transaction_id);
  self->code_url = g_strdup (code_url);
  self->refunded = refunded;
  self->paid_at = paid_at;
  self->late = !!late;

  return self;
}

gint64
saoma_attempt_get_id (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->id;
}

const char *
saoma_attempt_get_out_trade_no (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->out_trade_no;
}

gint64
saoma_attempt_get_amount (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->amount;
}

const char *
saoma_attempt_get_description (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->description;
}

const char *
saoma_attempt_get_till_id (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->till_id;
}

gint64
saoma_attempt_get_created (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->created;
}

gint64
saoma_attempt_get_updated (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->updated;
}

gint64
saoma_attempt_get_expires (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->expires;
}

SaomaAttemptState
saoma_attempt_get_state (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), SAOMA_ATTEMPT_CREATED);
  return self->state;
}

const char *
saoma_attempt_get_transaction_id (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->transaction_id;
}

const char *
saoma_attempt_get_code_url (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->code_url;
}

gint64
saoma_attempt_get_refunded (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->refunded;
}

gint64
saoma_attempt_get_paid_at (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->paid_at;
}

gboolean
saoma_attempt_get_late (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), FALSE);
  return self->late;
}

/**
 * saoma_attempt_get_request:
 * @self: a #SaomaAttempt
 *
 * The exact request the engine sends for this attempt, every time (DESIGN.md, "One attempt,
 * one key"), in the engine's own serialisation: the ledger only stores and returns it.
 *
 * Returns: (transfer none) (nullable): the stored request, or %NULL when none was recorded
 */
const char *
saoma_attempt_get_request (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->request;
}

/**
 * saoma_attempt_set_request:
 * @self: a #SaomaAttempt not yet inserted in a ledger
 * @request: (nullable): the request text to store with it
 *
 * Attaches the request before saoma_ledger_insert_attempt_async(). Snapshots are immutable once
 * shared, so this is only for a new attempt (and for the ledger building one from a row); it
 * notifies nobody.
 */
void
saoma_attempt_set_request (SaomaAttempt *self,
                           const char   *request)
{
  char *copy;

  g_return_if_fail (SAOMA_IS_ATTEMPT (self));

  copy = g_strdup (request);

  g_free (self->request);
  self->request = copy;
}

/**
 * saoma_attempt_new_placeholder:
 *
 * Returns: (transfer full): a placeholder for a row that is still being read
 */
SaomaAttempt *
saoma_attempt_new_placeholder (void)
{
  SaomaAttempt *self = saoma_attempt_new_full (0, "", 0, NULL, NULL, 0, 0, 0,
                                               SAOMA_ATTEMPT_CREATED, NULL, NULL, 0, 0, FALSE);

  self->placeholder = TRUE;

  return self;
}

gboolean
saoma_attempt_is_placeholder (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), FALSE);

  return self->placeholder;
}

/**
 * saoma_attempt_get_method:
 *
 * Returns: how the payer pays this attempt (NATIVE for every attempt before micropay)
 */
SaomaPaymentMethod
saoma_attempt_get_method (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), SAOMA_PAYMENT_METHOD_NATIVE);

  return self->method;
}

/**
 * saoma_attempt_set_method:
 * @self: a #SaomaAttempt not yet inserted in a ledger
 *
 * Chooses the payment method before saoma_ledger_insert_attempt_async(); like
 * saoma_attempt_set_request(), only for a new attempt, and it notifies nobody.
 */
void
saoma_attempt_set_method (SaomaAttempt       *self,
                          SaomaPaymentMethod  method)
{
  g_return_if_fail (SAOMA_IS_ATTEMPT (self));
  g_return_if_fail ((guint) method <= SAOMA_PAYMENT_METHOD_LAST);

  self->method = method;
}

/**
 * saoma_attempt_get_owner:
 *
 * The engine that drives this attempt (DESIGN.md, "Ownership"): an opaque text the ledger
 * stores and compares, never parses. %NULL when nobody holds it (final, released, or written
 * before owners were recorded).
 *
 * Returns: (transfer none) (nullable): the owner's identity
 */
const char *
saoma_attempt_get_owner (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->owner;
}

/**
 * saoma_attempt_get_heartbeat:
 *
 * Returns: when the owner last renewed its lease (µs UTC, the store's clock), 0 when never
 */
gint64
saoma_attempt_get_heartbeat (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), 0);
  return self->heartbeat;
}

/**
 * saoma_attempt_set_owner:
 * @self: a #SaomaAttempt not yet inserted in a ledger
 * @owner: (nullable): the inserting engine's identity
 * @heartbeat: µs UTC (the store sets its own time on insert)
 *
 * Like saoma_attempt_set_request(): for a new attempt (its lease is taken in the same write
 * that inserts it) and for the ledger building a snapshot from a row; notifies nobody.
 */
void
saoma_attempt_set_owner (SaomaAttempt *self,
                         const char   *owner,
                         gint64        heartbeat)
{
  char *copy;

  g_return_if_fail (SAOMA_IS_ATTEMPT (self));

  copy = g_strdup (owner);
  g_free (self->owner);
  self->owner = copy;
  self->heartbeat = heartbeat;
}

/**
 * saoma_attempt_get_previous:
 * @self: a #SaomaAttempt
 *
 * On the snapshot emitted with #SaomaLedger::attempt-changed, the snapshot from just before
 * that change (so observers such as the history model know what the row looked like).
 *
 * Returns: (transfer none) (nullable): the previous snapshot, or %NULL
 */
SaomaAttempt *
saoma_attempt_get_previous (SaomaAttempt *self)
{
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (self), NULL);
  return self->previous;
}

/* Ledger-internal: the snapshot is not yet shared when this is called. */
void
saoma_attempt_set_previous (SaomaAttempt *self,
                            SaomaAttempt *previous)
{
  g_return_if_fail (SAOMA_IS_ATTEMPT (self));
  g_set_object (&self->previous, previous);
}
