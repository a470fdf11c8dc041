/* saoma-reconcile.h: reconciliation (对账) of one bill day against WeChat's downloadbill. */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"
#include "saoma-gateway.h"
#include "saoma-reconcile-item.h"

G_BEGIN_DECLS

#define SAOMA_RECONCILE_ERROR (saoma_reconcile_error_quark ())

typedef enum {
  SAOMA_RECONCILE_ERROR_BILL_NOT_READY, /* "Bill Creating": WeChat makes bills after 09:00 */
  SAOMA_RECONCILE_ERROR_BILL,           /* download failed or the bill does not add up */
  SAOMA_RECONCILE_ERROR_LEDGER,         /* the ledger could not be read */
} SaomaReconcileError;

GQuark saoma_reconcile_error_quark (void);

#define SAOMA_TYPE_RECONCILE (saoma_reconcile_get_type ())
G_DECLARE_FINAL_TYPE (SaomaReconcile, saoma_reconcile, SAOMA, RECONCILE, GObject)

/*
 * The bill day is a Beijing day (UTC+8), as WeChat's bills are. Compared:
 *  - every payment row of the ALL bill (交易状态 SUCCESS, or REVOKED) with the ledger attempt of
 *    the same out_trade_no: missing → only at WeChat; not paid locally (or paid locally but
 *    REVOKED at WeChat) → state mismatch; 订单金额 ≠ amount → amount mismatch; else matched;
 *  - every local attempt PAID / PARTIALLY_REFUNDED / REFUNDED whose payment time (paid_at, or
 *    its creation time when unknown) is in the bill day and that the bill lacks → only local;
 *  - every refund row (交易状态 REFUND) with the ledger refund of the same out_refund_no: missing
 *    → refund only at WeChat; 退款金额 differs → refund amount mismatch; FAILED / REFUNDCLOSE
 *    locally, or SUCCESS at WeChat while the ledger is still waiting → refund state mismatch;
 *  - every local refund created in the bill day and not FAILED that the bill lacks → refund
 *    only local.
 * "No Bill Exist" is an empty bill (WeChat had no transaction that day). The bill's summary line
 * is checked against its rows by the gateway; a bill that does not add up is an error.
 *
 * The object is a GListModel of SaomaReconcileItem: discrepancies first (in the order of
 * SaomaReconcileKind), then the matched lines, each group by time.
 */

/* The pure part: classifies @bill (NULL: no bill exists for the day) against the ledger.
 * Blocking: worker threads, headless commands and tests only. */
SaomaReconcile *saoma_reconcile_classify_sync (const GDate  *date,
                                               SaomaBill    *bill,
                                               SaomaLedger  *ledger,
                                               GError      **error);
/* The same against one snapshot of a store (blocking: worker threads only). */
SaomaReconcile *saoma_reconcile_classify_snapshot (const GDate         *date,
                                                   SaomaBill           *bill,
                                                   SaomaStoreSnapshot  *snapshot,
                                                   GError             **error);
/* Downloads the day's ALL bill (gzip), parses it, classifies it in a worker thread. */
void            saoma_reconcile_run_async     (SaomaGateway        *gateway,
                                               SaomaLedger         *ledger,
                                               const GDate         *date,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
SaomaReconcile *saoma_reconcile_run_finish    (GAsyncResult  *result,
                                               GError       **error);

/* "2026-11-27" and "20261127" */
const char *saoma_reconcile_get_day_text       (SaomaReconcile *self);
const char *saoma_reconcile_get_bill_date      (SaomaReconcile *self);
gboolean    saoma_reconcile_get_has_bill       (SaomaReconcile *self);
/* From the bill's summary line (0 without a bill). */
gint64      saoma_reconcile_get_bill_count     (SaomaReconcile *self);
gint64      saoma_reconcile_get_bill_total     (SaomaReconcile *self);
gint64      saoma_reconcile_get_bill_refund_total (SaomaReconcile *self);
/* Local payments of the bill day (count and fen). */
guint       saoma_reconcile_get_local_count    (SaomaReconcile *self);
gint64      saoma_reconcile_get_local_total    (SaomaReconcile *self);
guint       saoma_reconcile_count_kind         (SaomaReconcile     *self,
                                                SaomaReconcileKind  kind);
guint       saoma_reconcile_get_n_problems     (SaomaReconcile *self);
/* The first item of @kind for @out_trade_no (or out_refund_no for refund kinds), or NULL. */
SaomaReconcileItem *saoma_reconcile_find       (SaomaReconcile     *self,
                                                SaomaReconcileKind  kind,
                                                const char         *number);

/* CSV (RFC 4180, CRLF, UTF-8 with BOM): header
 * "kind,out_trade_no,transaction_id,out_refund_no,beijing_time,wechat_amount,local_amount,
 *  wechat_state,local_state,detail", one record per item in list order; amounts in yuan with
 * two decimals, "" where a side has none. */
char       *saoma_reconcile_to_csv             (SaomaReconcile *self);
gboolean    saoma_reconcile_write_csv          (SaomaReconcile *self,
                                                const char     *path,
                                                GError        **error);
/* "yyyy-MM-dd HH:mm:ss" in Beijing time. */
char       *saoma_reconcile_format_time        (gint64 time_us);

G_END_DECLS
