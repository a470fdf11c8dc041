/* saoma-reconcile-item.c: one compared payment or refund.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-reconcile"

#include "config.h"

#include "saoma-reconcile-item.h"

struct _SaomaReconcileItem
{
  GObject             parent_instance;

  SaomaReconcileKind  kind;
  char               *out_trade_no;
  char               *transaction_id;
  char               *out_refund_no;
  gint64              time_us;
  gint64              wechat_amount;
  gint64              local_amount;
  char               *wechat_state;
  char               *local_state;
  char               *detail;
  char               *method;
};

enum {
  PROP_0,
  PROP_KIND,
  PROP_OUT_TRADE_NO,
  PROP_TRANSACTION_ID,
  PROP_OUT_REFUND_NO,
  PROP_TIME,
  PROP_WECHAT_AMOUNT,
  PROP_LOCAL_AMOUNT,
  PROP_WECHAT_STATE,
  PROP_LOCAL_STATE,
  PROP_DETAIL,
  PROP_METHOD,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaReconcileItem, saoma_reconcile_item, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const char * const kind_names[] = {
  [SAOMA_RECONCILE_MATCHED] = "matched",
  [SAOMA_RECONCILE_ONLY_WECHAT] = "only_wechat",
  [SAOMA_RECONCILE_ONLY_LOCAL] = "only_local",
  [SAOMA_RECONCILE_AMOUNT_MISMATCH] = "amount_mismatch",
  [SAOMA_RECONCILE_STATE_MISMATCH] = "state_mismatch",
  [SAOMA_RECONCILE_REFUND_MATCHED] = "refund_matched",
  [SAOMA_RECONCILE_REFUND_ONLY_WECHAT] = "refund_only_wechat",
  [SAOMA_RECONCILE_REFUND_ONLY_LOCAL] = "refund_only_local",
  [SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH] = "refund_amount_mismatch",
  [SAOMA_RECONCILE_REFUND_STATE_MISMATCH] = "refund_state_mismatch",
};

const char *
saoma_reconcile_kind_to_string (SaomaReconcileKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names))
    return "unknown";
  return kind_names[kind];
}

gboolean
saoma_reconcile_kind_is_refund (SaomaReconcileKind kind)
{
  return kind >= SAOMA_RECONCILE_REFUND_MATCHED;
}

gboolean
saoma_reconcile_kind_is_problem (SaomaReconcileKind kind)
{
  return kind != SAOMA_RECONCILE_MATCHED && kind != SAOMA_RECONCILE_REFUND_MATCHED;
}

static void
saoma_reconcile_item_finalize (GObject *object)
{
  SaomaReconcileItem *self = SAOMA_RECONCILE_ITEM (object);

  g_free (self->out_trade_no);
  g_free (self->transaction_id);
  g_free (self->out_refund_no);
  g_free (self->wechat_state);
  g_free (self->local_state);
  g_free (self->detail);
  g_free (self->method);

  G_OBJECT_CLASS (saoma_reconcile_item_parent_class)->finalize (object);
}

static void
saoma_reconcile_item_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  SaomaReconcileItem *self = SAOMA_RECONCILE_ITEM (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_OUT_TRADE_NO:
      g_value_set_string (value, self->out_trade_no);
      break;
    case PROP_TRANSACTION_ID:
      g_value_set_string (value, self->transaction_id);
      break;
    case PROP_OUT_REFUND_NO:
      g_value_set_string (value, self->out_refund_no);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time_us);
      break;
    case PROP_WECHAT_AMOUNT:
      g_value_set_int64 (value, self->wechat_amount);
      break;
    case PROP_LOCAL_AMOUNT:
      g_value_set_int64 (value, self->local_amount);
      break;
    case PROP_WECHAT_STATE:
      g_value_set_string (value, self->wechat_state);
      break;
    case PROP_LOCAL_STATE:
      g_value_set_string (value, self->local_state);
      break;
    case PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    case PROP_METHOD:
      g_value_set_string (value, self->method);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_reconcile_item_class_init (SaomaReconcileItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = saoma_reconcile_item_finalize;
  object_class->get_property = saoma_reconcile_item_get_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, SAOMA_TYPE_RECONCILE_KIND, SAOMA_RECONCILE_MATCHED,
                       flags);
  properties[PROP_OUT_TRADE_NO] = g_param_spec_string ("out-trade-no", NULL, NULL, NULL, flags);
  properties[PROP_TRANSACTION_ID] =
    g_param_spec_string ("transaction-id", NULL, NULL, NULL, flags);
  properties[PROP_OUT_REFUND_NO] = g_param_spec_string ("out-refund-no", NULL, NULL, NULL, flags);
  properties[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_WECHAT_AMOUNT] =
    g_param_spec_int64 ("wechat-amount", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_LOCAL_AMOUNT] =
    g_param_spec_int64 ("local-amount", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_WECHAT_STATE] = g_param_spec_string ("wechat-state", NULL, NULL, NULL, flags);
  properties[PROP_LOCAL_STATE] = g_param_spec_string ("local-state", NULL, NULL, NULL, flags);
  properties[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, flags);
  properties[PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_reconcile_item_init (SaomaReconcileItem *self)
{
  self->wechat_amount = -1;
  self->local_amount = -1;
}

/**
 * saoma_reconcile_item_new:
 *
 * Returns: (transfer full): a new item
 */
SaomaReconcileItem *
saoma_reconcile_item_new (SaomaReconcileKind  kind,
                          const char         *out_trade_no,
                          const char         *transaction_id,
                          const char         *out_refund_no,
                          gint64              time_us,
                          gint64              wechat_amount,
                          gint64              local_amount,
                          const char         *wechat_state,
                          const char         *local_state,
                          const char         *detail)
{
  SaomaReconcileItem *self = g_object_new (SAOMA_TYPE_RECONCILE_ITEM, NULL);

  self->kind = kind;
  self->out_trade_no = g_strdup (out_trade_no);
  self->transaction_id = g_strdup (transaction_id);
  self->out_refund_no = g_strdup (out_refund_no);
  self->time_us = time_us;
  self->wechat_amount = wechat_amount;
  self->local_amount = local_amount;
  self->wechat_state = g_strdup (wechat_state);
  self->local_state = g_strdup (local_state);
  self->detail = g_strdup (detail);

  return self;
}

SaomaReconcileKind
saoma_reconcile_item_get_kind (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), 0);
  return self->kind;
}

const char *
saoma_reconcile_item_get_out_trade_no (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->out_trade_no;
}

const char *
saoma_reconcile_item_get_transaction_id (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->transaction_id;
}

const char *
saoma_reconcile_item_get_out_refund_no (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->out_refund_no;
}

gint64
saoma_reconcile_item_get_time (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), 0);
  return self->time_us;
}

gint64
saoma_reconcile_item_get_wechat_amount (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), -1);
  return self->wechat_amount;
}

gint64
saoma_reconcile_item_get_local_amount (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), -1);
  return self->local_amount;
}

const char *
saoma_reconcile_item_get_wechat_state (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->wechat_state;
}

const char *
saoma_reconcile_item_get_local_state (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->local_state;
}

const char *
saoma_reconcile_item_get_detail (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->detail;
}

/**
 * saoma_reconcile_item_set_method:
 * @self: an item
 * @method: (nullable): "NATIVE" or "MICROPAY" (saoma_payment_method_to_string())
 *
 * Set once by the reconciliation, before the item is shown.
 */
void
saoma_reconcile_item_set_method (SaomaReconcileItem *self,
                                 const char         *method)
{
  g_return_if_fail (SAOMA_IS_RECONCILE_ITEM (self));

  if (g_strcmp0 (self->method, method) == 0)
    return;
  g_free (self->method);
  self->method = g_strdup (method);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METHOD]);
}

const char *
saoma_reconcile_item_get_method (SaomaReconcileItem *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE_ITEM (self), NULL);
  return self->method;
}
