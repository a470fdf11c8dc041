/* saoma-reconcile.c: WeChat's bill against the ledger, line by line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-reconcile"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "saoma-export.h"
#include "saoma-money.h"
#include "saoma-reconcile.h"
#include "saoma-totals.h"
#include "ledger/saoma-ledger-snapshot.h"

#define ONE_DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)
/* A local payment this close to midnight may sit on the neighbouring day's bill. */
#define BOUNDARY_US (G_GINT64_CONSTANT (600) * G_USEC_PER_SEC)

struct _SaomaReconcile
{
  GObject     parent_instance;

  GDate       date;
  char       *day_text;
  char       *bill_date;
  gboolean    has_bill;
  gint64      bill_count;
  gint64      bill_total;
  gint64      bill_refund_total;
  guint       local_count;
  gint64      local_total;
  guint       counts[SAOMA_RECONCILE_KIND_LAST + 1];
  GPtrArray  *items;    /* SaomaReconcileItem * */
  /* The payment method of the order being classified (for add_item), borrowed. */
  const char *method;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaReconcile, saoma_reconcile, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))
G_DEFINE_QUARK (saoma-reconcile-error-quark, saoma_reconcile_error)

static GType
get_item_type (GListModel *model)
{
  return SAOMA_TYPE_RECONCILE_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return SAOMA_RECONCILE (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  SaomaReconcile *self = SAOMA_RECONCILE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
saoma_reconcile_finalize (GObject *object)
{
  SaomaReconcile *self = SAOMA_RECONCILE (object);

  g_free (self->day_text);
  g_free (self->bill_date);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (saoma_reconcile_parent_class)->finalize (object);
}

static void
saoma_reconcile_class_init (SaomaReconcileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_reconcile_finalize;
}

static void
saoma_reconcile_init (SaomaReconcile *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static GTimeZone *
beijing (void)
{
  static GTimeZone *tz;

  if (g_once_init_enter (&tz))
    g_once_init_leave (&tz, g_time_zone_new_identifier ("+08:00"));
  return tz;
}

char *
saoma_reconcile_format_time (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, beijing ());

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/* "yyyy-MM-dd HH:mm:ss" (Beijing) → µs UTC; 0 when unreadable. */
static gboolean
is_paid_state (SaomaAttemptState state)
{
  return saoma_totals_is_payment_state (state);
}

static gint64
payment_time (SaomaAttempt *attempt)
{
  return saoma_totals_payment_time (attempt);
}

static void
add_item (SaomaReconcile     *self,
          SaomaReconcileKind  kind,
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
  SaomaReconcileItem *item = saoma_reconcile_item_new (kind, out_trade_no, transaction_id,
                                                       out_refund_no, time_us, wechat_amount,
                                                       local_amount, wechat_state, local_state,
                                                       detail);

  saoma_reconcile_item_set_method (item, self->method);
  g_ptr_array_add (self->items, item);
  self->counts[kind]++;
}

static int
compare_items (gconstpointer a,
               gconstpointer b)
{
  SaomaReconcileItem *x = *(SaomaReconcileItem **) a;
  SaomaReconcileItem *y = *(SaomaReconcileItem **) b;
  gboolean px = saoma_reconcile_kind_is_problem (saoma_reconcile_item_get_kind (x));
  gboolean py = saoma_reconcile_kind_is_problem (saoma_reconcile_item_get_kind (y));
  gint64 tx, ty;

  if (px != py)
    return px ? -1 : 1;
  if (saoma_reconcile_item_get_kind (x) != saoma_reconcile_item_get_kind (y))
    return saoma_reconcile_item_get_kind (x) < saoma_reconcile_item_get_kind (y) ? -1 : 1;
  tx = saoma_reconcile_item_get_time (x);
  ty = saoma_reconcile_item_get_time (y);
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return g_strcmp0 (saoma_reconcile_item_get_out_trade_no (x),
                    saoma_reconcile_item_get_out_trade_no (y));
}

static const char *
refund_state_name (const SaomaLedgerRefund *refund)
{
  return saoma_refund_state_to_string (refund->state);
}

/* The method of @attempt as its name, or the bill's 交易类型 when the ledger lacks the order. */
static const char *
method_of (SaomaAttempt *attempt,
           SaomaBillRow *row)
{
  if (attempt != NULL)
    return saoma_payment_method_to_string (saoma_attempt_get_method (attempt));
  if (row != NULL && row->trade_type != NULL && *row->trade_type != '\0')
    return row->trade_type;
  return NULL;
}

static gboolean
classify_payment (SaomaReconcile      *self,
                  SaomaStoreSnapshot  *snapshot,
                  SaomaBillRow        *row,
                  GError             **error)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 when = row->time;
  gint64 wechat_amount = row->amount;
  gboolean revoked = row->kind == SAOMA_BILL_ROW_REVOKED;
  const char *local_state;
  const char *local_txid;

  attempt = saoma_store_snapshot_get_attempt (snapshot, row->out_trade_no, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  self->method = method_of (attempt, row);
  if (attempt == NULL)
    {
      if (!revoked)
        add_item (self, SAOMA_RECONCILE_ONLY_WECHAT, row->out_trade_no, row->transaction_id,
                  NULL, when, wechat_amount, -1, row->state_text, NULL,
                  "paid at WeChat, not in the ledger");
      return TRUE;
    }

  local_state = saoma_attempt_state_to_string (saoma_attempt_get_state (attempt));
  local_txid = saoma_attempt_get_transaction_id (attempt);

  if (revoked != !is_paid_state (saoma_attempt_get_state (attempt)))
    {
      add_item (self, SAOMA_RECONCILE_STATE_MISMATCH, row->out_trade_no, row->transaction_id,
                NULL, when, wechat_amount, saoma_attempt_get_amount (attempt), row->state_text,
                local_state, revoked ? "revoked at WeChat, paid in the ledger"
                                     : "paid at WeChat, not paid in the ledger");
    }
  else if (revoked)
    {
      /* Reversed at WeChat and never paid here: nothing to settle. */
      add_item (self, SAOMA_RECONCILE_MATCHED, row->out_trade_no, row->transaction_id, NULL,
                when, wechat_amount, saoma_attempt_get_amount (attempt), row->state_text,
                local_state, "revoked");
    }
  else if (wechat_amount != saoma_attempt_get_amount (attempt))
    {
      g_autofree char *detail = g_strdup_printf ("amount %" G_GINT64_FORMAT " fen at WeChat, %"
                                                 G_GINT64_FORMAT " fen in the ledger",
                                                 wechat_amount,
                                                 saoma_attempt_get_amount (attempt));

      add_item (self, SAOMA_RECONCILE_AMOUNT_MISMATCH, row->out_trade_no, row->transaction_id,
                NULL, when, wechat_amount, saoma_attempt_get_amount (attempt), row->state_text,
                local_state, detail);
    }
  else if (local_txid != NULL && *local_txid != '\0'
           && g_strcmp0 (local_txid, row->transaction_id) != 0)
    {
      add_item (self, SAOMA_RECONCILE_STATE_MISMATCH, row->out_trade_no, row->transaction_id,
                NULL, when, wechat_amount, saoma_attempt_get_amount (attempt), row->state_text,
                local_state, "transaction_id differs");
    }
  else
    {
      add_item (self, SAOMA_RECONCILE_MATCHED, row->out_trade_no, row->transaction_id, NULL,
                when, wechat_amount, saoma_attempt_get_amount (attempt), row->state_text,
                local_state, NULL);
    }

  return TRUE;
}

static gboolean
classify_refund (SaomaReconcile      *self,
                 SaomaStoreSnapshot  *snapshot,
                 SaomaBillRow        *row,
                 GError             **error)
{
  g_autoptr(GPtrArray) refunds = NULL;
  gint64 when = row->time;
  const SaomaLedgerRefund *local = NULL;
  const char *status = row->state_text;

  g_autoptr(SaomaAttempt) order = NULL;
  g_autoptr(GError) local_error = NULL;

  refunds = saoma_store_snapshot_list_refunds_of (snapshot, row->out_trade_no, error);
  if (refunds == NULL)
    return FALSE;
  order = saoma_store_snapshot_get_attempt (snapshot, row->out_trade_no, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  self->method = method_of (order, row);

  for (guint i = 0; i < refunds->len; i++)
    {
      const SaomaLedgerRefund *r = g_ptr_array_index (refunds, i);

      if (g_strcmp0 (r->out_refund_no, row->out_refund_no) == 0)
        local = r;
    }

  if (local == NULL)
    {
      add_item (self, SAOMA_RECONCILE_REFUND_ONLY_WECHAT, row->out_trade_no, row->transaction_id,
                row->out_refund_no, when, row->refund_amount, -1, status, NULL,
                "refund at WeChat, not in the ledger");
    }
  else if (local->amount != row->refund_amount)
    {
      g_autofree char *detail = g_strdup_printf ("refund %" G_GINT64_FORMAT " fen at WeChat, %"
                                                 G_GINT64_FORMAT " fen in the ledger",
                                                 row->refund_amount, local->amount);

      add_item (self, SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH, row->out_trade_no,
                row->transaction_id, row->out_refund_no, when, row->refund_amount, local->amount,
                status, refund_state_name (local), detail);
    }
  else if (local->state == SAOMA_REFUND_FAILED || local->state == SAOMA_REFUND_REFUNDCLOSE
           || (row->refund_state == SAOMA_GATEWAY_REFUND_SUCCESS
               && local->state != SAOMA_REFUND_SUCCESS))
    {
      /* The bill's status is frozen at download time, so PROCESSING there and SUCCESS here is
       * normal; the other way round, or a refund we think failed, needs a look. */
      add_item (self, SAOMA_RECONCILE_REFUND_STATE_MISMATCH, row->out_trade_no,
                row->transaction_id, row->out_refund_no, when, row->refund_amount, local->amount,
                status, refund_state_name (local), "refund state differs");
    }
  else
    {
      add_item (self, SAOMA_RECONCILE_REFUND_MATCHED, row->out_trade_no, row->transaction_id,
                row->out_refund_no, when, row->refund_amount, local->amount, status,
                refund_state_name (local), NULL);
    }

  return TRUE;
}

/**
 * saoma_reconcile_classify_sync:
 * @date: the bill day (Beijing)
 * @bill: (nullable): the parsed ALL bill; %NULL when WeChat has none for the day
 * @ledger: the ledger
 * @error: return location for a %SAOMA_RECONCILE_ERROR_LEDGER error
 *
 * saoma_reconcile_classify_snapshot() over a snapshot of @ledger taken now.
 *
 * Returns: (transfer full): the result, or %NULL
 */
SaomaReconcile *
saoma_reconcile_classify_sync (const GDate  *date,
                               SaomaBill    *bill,
                               SaomaLedger  *ledger,
                               GError      **error)
{
  g_autoptr(SaomaStoreSnapshot) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  if (!(snapshot = saoma_ledger_snapshot_new (ledger, &local_error)))
    {
      g_set_error (error, SAOMA_RECONCILE_ERROR, SAOMA_RECONCILE_ERROR_LEDGER,
                   _("The ledger could not be read: %s"), local_error->message);
      return NULL;
    }

  return saoma_reconcile_classify_snapshot (date, bill, snapshot, error);
}

/**
 * saoma_reconcile_classify_snapshot:
 * @date: the bill day (Beijing)
 * @bill: (nullable): the parsed ALL bill; %NULL when WeChat has none for the day
 * @snapshot: a snapshot of the store: every row of the bill and every local row of the day
 *   is read from it, so the result is one consistent comparison
 * @error: return location for a %SAOMA_RECONCILE_ERROR_LEDGER error
 *
 * Blocking: worker threads only.
 *
 * Returns: (transfer full): the result, or %NULL
 */
SaomaReconcile *
saoma_reconcile_classify_snapshot (const GDate         *date,
                                   SaomaBill           *bill,
                                   SaomaStoreSnapshot  *snapshot,
                                   GError             **error)
{
  g_autoptr(SaomaReconcile) self = NULL;
  g_autoptr(GHashTable) bill_payments = NULL;
  g_autoptr(GHashTable) bill_refunds = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GPtrArray) local_refunds = NULL;
  g_autoptr(GError) local_error = NULL;
  SaomaTotals local_totals = SAOMA_TOTALS_INIT;
  gint64 start_us, end_us;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (snapshot), NULL);

  self = g_object_new (SAOMA_TYPE_RECONCILE, NULL);
  self->date = *date;
  self->day_text = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date),
                                    g_date_get_month (date), g_date_get_day (date));
  self->bill_date = g_strdup_printf ("%04u%02u%02u", g_date_get_year (date),
                                     g_date_get_month (date), g_date_get_day (date));
  self->has_bill = bill != NULL;
  saoma_export_day_range (date, beijing (), &start_us, &end_us);

  bill_payments = g_hash_table_new (g_str_hash, g_str_equal);
  bill_refunds = g_hash_table_new (g_str_hash, g_str_equal);

  if (bill != NULL)
    {
      self->bill_count = bill->summary_count;
      self->bill_total = bill->summary_total;
      self->bill_refund_total = bill->summary_refund_total;

      for (guint i = 0; i < bill->rows->len; i++)
        {
          SaomaBillRow *row = g_ptr_array_index (bill->rows, i);
          gboolean ok;

          if (row->out_trade_no == NULL || *row->out_trade_no == '\0')
            continue;

          if (row->kind == SAOMA_BILL_ROW_REFUND)
            {
              if (row->out_refund_no == NULL || *row->out_refund_no == '\0')
                continue;
              g_hash_table_add (bill_refunds, row->out_refund_no);
              ok = classify_refund (self, snapshot, row, &local_error);
            }
          else
            {
              g_hash_table_add (bill_payments, row->out_trade_no);
              ok = classify_payment (self, snapshot, row, &local_error);
            }

          if (!ok)
            goto ledger_failed;
        }
    }

  /* Local payments of the day the bill lacks. */
  self->local_count = 0;
  self->local_total = 0;
  candidates = saoma_store_snapshot_list_attempts (snapshot, start_us - ONE_DAY_US, end_us, NULL,
                                                   &local_error);
  if (candidates == NULL)
    goto ledger_failed;
  for (guint i = 0; i < candidates->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (candidates, i);
      gint64 when = payment_time (attempt);

      /* The one definition of a payment of the day (saoma-totals.h). */
      if (!saoma_totals_add_payment (&local_totals, attempt, start_us, end_us))
        continue;

      if (g_hash_table_contains (bill_payments, saoma_attempt_get_out_trade_no (attempt)))
        continue;
      self->method = method_of (attempt, NULL);

      add_item (self, SAOMA_RECONCILE_ONLY_LOCAL, saoma_attempt_get_out_trade_no (attempt),
                saoma_attempt_get_transaction_id (attempt), NULL, when, -1,
                saoma_attempt_get_amount (attempt), NULL,
                saoma_attempt_state_to_string (saoma_attempt_get_state (attempt)),
                (when - start_us < BOUNDARY_US || end_us - when < BOUNDARY_US)
                  ? "paid in the ledger, not on the bill (close to midnight: check the "
                    "neighbouring day's bill)"
                  : "paid in the ledger, not on the bill");
    }
  self->local_count = local_totals.n_payments;
  self->local_total = local_totals.paid;

  /* Local refunds requested that day the bill lacks. */
  local_refunds = saoma_store_snapshot_list_refunds (snapshot, start_us, end_us, &local_error);
  if (local_refunds == NULL)
    goto ledger_failed;
  for (guint i = 0; i < local_refunds->len; i++)
    {
      const SaomaLedgerRefund *r = g_ptr_array_index (local_refunds, i);

      if (r->state == SAOMA_REFUND_FAILED)
        continue;
      if (g_hash_table_contains (bill_refunds, r->out_refund_no))
        continue;
      {
        g_autoptr(SaomaAttempt) order = saoma_store_snapshot_get_attempt (snapshot,
                                                                          r->out_trade_no,
                                                                          &local_error);

        if (local_error != NULL)
          goto ledger_failed;
        self->method = method_of (order, NULL);
      }

      add_item (self, SAOMA_RECONCILE_REFUND_ONLY_LOCAL, r->out_trade_no, NULL, r->out_refund_no,
                r->created, -1, r->amount, NULL, refund_state_name (r),
                "refund in the ledger, not on the bill");
    }

  self->method = NULL;
  g_ptr_array_sort (self->items, compare_items);
  return g_steal_pointer (&self);

ledger_failed:
  g_set_error (error, SAOMA_RECONCILE_ERROR, SAOMA_RECONCILE_ERROR_LEDGER,
               _("The ledger could not be read: %s"), local_error->message);
  return NULL;
}

/* run_async -------------------------------------------------------------------------------- */

typedef struct {
  SaomaStore         *store;
  SaomaStoreSnapshot *snapshot;
  GDate               date;
  SaomaBill          *bill;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_object (&data->store);
  g_clear_object (&data->snapshot);
  g_clear_pointer (&data->bill, saoma_bill_unref);
  g_free (data);
}

static void
classify_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  RunData *data = task_data;
  GError *error = NULL;
  SaomaReconcile *result;

  result = saoma_reconcile_classify_snapshot (&data->date, data->bill, data->snapshot, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, g_object_unref);
}

static void
snapshot_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->snapshot = saoma_store_open_snapshot_finish (SAOMA_STORE (source), result, &error);
  if (data->snapshot == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, SAOMA_RECONCILE_ERROR, SAOMA_RECONCILE_ERROR_LEDGER,
                                 _("The ledger could not be read: %s"), error->message);
      return;
    }

  g_task_run_in_thread (task, classify_worker);
}

/* The bill is in (or known not to exist): the ledger is read as it is now, in one snapshot. */
static void
classify (GTask *task)
{
  RunData *data = g_task_get_task_data (task);

  saoma_store_open_snapshot_async (data->store, g_task_get_cancellable (task), snapshot_cb,
                                   task);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RunData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->bill = saoma_gateway_download_bill_finish (SAOMA_GATEWAY (source), result, &error);
  if (data->bill == NULL)
    {
      if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST))
        {
          /* No transaction at WeChat that day: every local payment is "only local". */
          classify (g_steal_pointer (&task));
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BILL_CREATING))
        g_task_return_new_error (task, SAOMA_RECONCILE_ERROR,
                                 SAOMA_RECONCILE_ERROR_BILL_NOT_READY,
                                 _("WeChat has not made the bill for this day yet. Bills are "
                                   "ready after 10:00 the next day."));
      else if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BILL_INVALID))
        g_task_return_new_error (task, SAOMA_RECONCILE_ERROR, SAOMA_RECONCILE_ERROR_BILL,
                                 _("The bill from WeChat is not valid: %s"), error->message);
      else
        g_task_return_new_error (task, SAOMA_RECONCILE_ERROR, SAOMA_RECONCILE_ERROR_BILL,
                                 _("The bill could not be downloaded: %s"), error->message);
      return;
    }

  classify (g_steal_pointer (&task));
}

void
saoma_reconcile_run_async (SaomaGateway        *gateway,
                           SaomaLedger         *ledger,
                           const GDate         *date,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RunData *data;

  g_return_if_fail (SAOMA_IS_GATEWAY (gateway));
  g_return_if_fail (SAOMA_IS_LEDGER (ledger));
  g_return_if_fail (date != NULL && g_date_valid (date));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_reconcile_run_async);
  data = g_new0 (RunData, 1);
  data->store = SAOMA_STORE (g_object_ref (ledger));
  data->date = *date;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);

  saoma_gateway_download_bill_async (gateway, date, cancellable, downloaded_cb,
                                     g_steal_pointer (&task));
}

/**
 * saoma_reconcile_run_finish:
 *
 * Returns: (transfer full): the result, or %NULL
 */
SaomaReconcile *
saoma_reconcile_run_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Getters --------------------------------------------------------------------------------- */

const char *
saoma_reconcile_get_day_text (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), NULL);
  return self->day_text;
}

const char *
saoma_reconcile_get_bill_date (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), NULL);
  return self->bill_date;
}

gboolean
saoma_reconcile_get_has_bill (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), FALSE);
  return self->has_bill;
}

gint64
saoma_reconcile_get_bill_count (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  return self->bill_count;
}

gint64
saoma_reconcile_get_bill_total (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  return self->bill_total;
}

gint64
saoma_reconcile_get_bill_refund_total (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  return self->bill_refund_total;
}

guint
saoma_reconcile_get_local_count (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  return self->local_count;
}

gint64
saoma_reconcile_get_local_total (SaomaReconcile *self)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  return self->local_total;
}

guint
saoma_reconcile_count_kind (SaomaReconcile     *self,
                            SaomaReconcileKind  kind)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  g_return_val_if_fail (kind <= SAOMA_RECONCILE_KIND_LAST, 0);
  return self->counts[kind];
}

guint
saoma_reconcile_get_n_problems (SaomaReconcile *self)
{
  guint n = 0;

  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), 0);
  for (guint k = 0; k <= SAOMA_RECONCILE_KIND_LAST; k++)
    if (saoma_reconcile_kind_is_problem (k))
      n += self->counts[k];
  return n;
}

/**
 * saoma_reconcile_find:
 *
 * Returns: (transfer none) (nullable): the item
 */
SaomaReconcileItem *
saoma_reconcile_find (SaomaReconcile     *self,
                      SaomaReconcileKind  kind,
                      const char         *number)
{
  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      SaomaReconcileItem *item = g_ptr_array_index (self->items, i);
      const char *key;

      if (saoma_reconcile_item_get_kind (item) != kind)
        continue;
      key = saoma_reconcile_kind_is_refund (kind) ? saoma_reconcile_item_get_out_refund_no (item)
                                                  : saoma_reconcile_item_get_out_trade_no (item);
      if (g_strcmp0 (key, number) == 0)
        return item;
    }
  return NULL;
}

/* CSV ------------------------------------------------------------------------------------ */

static const char *
or_empty (const char *text)
{
  return text != NULL ? text : "";
}

char *
saoma_reconcile_to_csv (SaomaReconcile *self)
{
  GString *out;

  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), NULL);

  out = g_string_new ("\xEF\xBB\xBF"
                      "kind,out_trade_no,transaction_id,out_refund_no,beijing_time,"
                      "wechat_amount,local_amount,wechat_state,local_state,detail\r\n");
  for (guint i = 0; i < self->items->len; i++)
    {
      SaomaReconcileItem *item = g_ptr_array_index (self->items, i);
      g_autofree char *when = saoma_reconcile_item_get_time (item) > 0
        ? saoma_reconcile_format_time (saoma_reconcile_item_get_time (item)) : NULL;
      gint64 w = saoma_reconcile_item_get_wechat_amount (item);
      gint64 l = saoma_reconcile_item_get_local_amount (item);
      g_autofree char *wechat = w >= 0 ? saoma_money_format_plain (w) : NULL;
      g_autofree char *local = l >= 0 ? saoma_money_format_plain (l) : NULL;

      saoma_export_append_csv_record (out,
                                      saoma_reconcile_kind_to_string (
                                        saoma_reconcile_item_get_kind (item)),
                                      or_empty (saoma_reconcile_item_get_out_trade_no (item)),
                                      or_empty (saoma_reconcile_item_get_transaction_id (item)),
                                      or_empty (saoma_reconcile_item_get_out_refund_no (item)),
                                      or_empty (when), or_empty (wechat), or_empty (local),
                                      or_empty (saoma_reconcile_item_get_wechat_state (item)),
                                      or_empty (saoma_reconcile_item_get_local_state (item)),
                                      or_empty (saoma_reconcile_item_get_detail (item)),
                                      NULL);
    }

  return g_string_free (out, FALSE);
}

gboolean
saoma_reconcile_write_csv (SaomaReconcile  *self,
                           const char      *path,
                           GError         **error)
{
  g_autofree char *csv = NULL;

  g_return_val_if_fail (SAOMA_IS_RECONCILE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  csv = saoma_reconcile_to_csv (self);
  /* Like every export: readable by its owner only. */
  return saoma_export_write_file (path, csv, -1, error);
}
