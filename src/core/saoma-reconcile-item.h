/* saoma-reconcile-item.h: one line of a reconciliation (对账): a payment or refund compared. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SaomaReconcileKind:
 *
 * How a payment or a refund of the bill day compares between WeChat's bill and the ledger.
 * "Only at WeChat": money WeChat has that the till does not know (deliver or refund it);
 * "only local": a local PAID the bill lacks (query it: maybe a wrong day, maybe not paid).
 */
typedef enum {
  SAOMA_RECONCILE_MATCHED,
  SAOMA_RECONCILE_ONLY_WECHAT,
  SAOMA_RECONCILE_ONLY_LOCAL,
  SAOMA_RECONCILE_AMOUNT_MISMATCH,
  SAOMA_RECONCILE_STATE_MISMATCH,
  SAOMA_RECONCILE_REFUND_MATCHED,
  SAOMA_RECONCILE_REFUND_ONLY_WECHAT,
  SAOMA_RECONCILE_REFUND_ONLY_LOCAL,
  SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH,
  SAOMA_RECONCILE_REFUND_STATE_MISMATCH,
} SaomaReconcileKind;

#define SAOMA_RECONCILE_KIND_LAST SAOMA_RECONCILE_REFUND_STATE_MISMATCH

G_END_DECLS

#include "saoma-core-enums.h"

G_BEGIN_DECLS

/* "matched", "only_wechat", "only_local", "amount_mismatch", "state_mismatch",
 * "refund_matched", "refund_only_wechat", … (stable: CSV and the headless command use them). */
const char *saoma_reconcile_kind_to_string (SaomaReconcileKind kind);
gboolean    saoma_reconcile_kind_is_refund (SaomaReconcileKind kind);
gboolean    saoma_reconcile_kind_is_problem (SaomaReconcileKind kind);

#define SAOMA_TYPE_RECONCILE_ITEM (saoma_reconcile_item_get_type ())
G_DECLARE_FINAL_TYPE (SaomaReconcileItem, saoma_reconcile_item, SAOMA, RECONCILE_ITEM, GObject)

/*
 * Read-only properties (for list views): "kind" (SaomaReconcileKind), "out-trade-no",
 * "transaction-id", "out-refund-no" (refund lines), "time" (gint64 µs UTC: WeChat's time when on
 * the bill, the local payment/refund time otherwise), "wechat-amount" / "local-amount" (gint64
 * fen, -1 when that side has none), "wechat-state" / "local-state" (text, nullable), "detail"
 * (English, technical), "method" (the order's payment method, "NATIVE" or "MICROPAY": the
 * ledger's, or the bill's 交易类型 for an order only at WeChat; NULL when neither says).
 */
SaomaReconcileItem *saoma_reconcile_item_new (SaomaReconcileKind  kind,
                                              const char         *out_trade_no,
                                              const char         *transaction_id,
                                              const char         *out_refund_no,
                                              gint64              time_us,
                                              gint64              wechat_amount,
                                              gint64              local_amount,
                                              const char         *wechat_state,
                                              const char         *local_state,
                                              const char         *detail);
SaomaReconcileKind  saoma_reconcile_item_get_kind           (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_out_trade_no   (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_transaction_id (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_out_refund_no  (SaomaReconcileItem *self);
gint64              saoma_reconcile_item_get_time           (SaomaReconcileItem *self);
gint64              saoma_reconcile_item_get_wechat_amount  (SaomaReconcileItem *self);
gint64              saoma_reconcile_item_get_local_amount   (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_wechat_state   (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_local_state    (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_detail         (SaomaReconcileItem *self);
const char         *saoma_reconcile_item_get_method         (SaomaReconcileItem *self);
void                saoma_reconcile_item_set_method         (SaomaReconcileItem *self,
                                                             const char         *method);

G_END_DECLS
