/* saoma-totals.c: the one definition of paid, refunded and net.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-totals"

#include "config.h"

#include "saoma-totals.h"

/* A Native order lives at most two hours: a payment of the range was created at most a day
 * before it. */
#define ONE_DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)

gboolean
saoma_totals_is_payment_state (SaomaAttemptState state)
{
  return state == SAOMA_ATTEMPT_PAID || state == SAOMA_ATTEMPT_PARTIALLY_REFUNDED ||
         state == SAOMA_ATTEMPT_REFUNDED;
}

gint64
saoma_totals_payment_time (SaomaAttempt *attempt)
{
  gint64 paid_at;

  g_return_val_if_fail (SAOMA_IS_ATTEMPT (attempt), 0);

  paid_at = saoma_attempt_get_paid_at (attempt);
  return paid_at > 0 ? paid_at : saoma_attempt_get_created (attempt);
}

/**
 * saoma_totals_add_payment:
 * @totals: the totals
 * @attempt: an attempt
 * @start_us: the range's first µs
 * @end_us: the µs after its last
 *
 * Returns: %TRUE when @attempt is a payment of the range (and was added)
 */
gboolean
saoma_totals_add_payment (SaomaTotals  *totals,
                          SaomaAttempt *attempt,
                          gint64        start_us,
                          gint64        end_us)
{
  gint64 when;

  g_return_val_if_fail (totals != NULL, FALSE);
  g_return_val_if_fail (SAOMA_IS_ATTEMPT (attempt), FALSE);

  if (!saoma_totals_is_payment_state (saoma_attempt_get_state (attempt)))
    return FALSE;
  when = saoma_totals_payment_time (attempt);
  if (when < start_us || when >= end_us)
    return FALSE;

  totals->n_payments++;
  totals->paid += saoma_attempt_get_amount (attempt);
  return TRUE;
}

/**
 * saoma_totals_add_refund:
 * @totals: the totals
 * @refund: a refund row
 * @start_us: the range's first µs
 * @end_us: the µs after its last
 *
 * Returns: %TRUE when @refund succeeded in the range (and was added)
 */
gboolean
saoma_totals_add_refund (SaomaTotals             *totals,
                         const SaomaLedgerRefund *refund,
                         gint64                   start_us,
                         gint64                   end_us)
{
  g_return_val_if_fail (totals != NULL, FALSE);
  g_return_val_if_fail (refund != NULL, FALSE);

  if (refund->state != SAOMA_REFUND_SUCCESS)
    return FALSE;
  if (refund->succeeded < start_us || refund->succeeded >= end_us)
    return FALSE;

  totals->n_refunds++;
  totals->refunded += refund->amount;
  return TRUE;
}

gint64
saoma_totals_get_net (const SaomaTotals *totals)
{
  g_return_val_if_fail (totals != NULL, 0);
  return totals->paid - totals->refunded;
}

/**
 * saoma_totals_compute_sync:
 * @ledger: the ledger
 * @start_us: the range's first µs
 * @end_us: the µs after its last
 * @out_totals: (out caller-allocates): the totals
 * @error: return location for an error
 *
 * Returns: %TRUE when read
 */
gboolean
saoma_totals_compute_sync (SaomaLedger  *ledger,
                           gint64        start_us,
                           gint64        end_us,
                           SaomaTotals  *out_totals,
                           GError      **error)
{
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GHashTable) seen = NULL;
  SaomaTotals totals = SAOMA_TOTALS_INIT;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (out_totals != NULL, FALSE);

  attempts = saoma_ledger_list_range_sync (ledger, start_us - ONE_DAY_US, end_us, error);
  if (attempts == NULL)
    return FALSE;
  refunds = saoma_ledger_list_refunds_succeeded_sync (ledger, start_us, end_us, error);
  if (refunds == NULL)
    return FALSE;

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);

      if (g_hash_table_add (seen, (gpointer) saoma_attempt_get_out_trade_no (attempt)))
        saoma_totals_add_payment (&totals, attempt, start_us, end_us);
    }
  for (guint i = 0; i < refunds->len; i++)
    saoma_totals_add_refund (&totals, g_ptr_array_index (refunds, i), start_us, end_us);

  *out_totals = totals;
  return TRUE;
}

typedef struct {
  SaomaLedger *ledger;
  gint64       start_us;
  gint64       end_us;
} ComputeData;

static void
compute_data_free (ComputeData *data)
{
  g_clear_object (&data->ledger);
  g_free (data);
}

static void
compute_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ComputeData *data = task_data;
  SaomaTotals *totals = g_new0 (SaomaTotals, 1);
  GError *error = NULL;

  if (saoma_totals_compute_sync (data->ledger, data->start_us, data->end_us, totals, &error))
    g_task_return_pointer (task, totals, g_free);
  else
    {
      g_free (totals);
      g_task_return_error (task, error);
    }
}

/**
 * saoma_totals_compute_async:
 * @ledger: the ledger
 * @start_us: the range's first µs
 * @end_us: the µs after its last
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * saoma_totals_compute_sync() in a worker thread: never a read on the UI thread.
 */
void
saoma_totals_compute_async (SaomaLedger         *ledger,
                            gint64               start_us,
                            gint64               end_us,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ComputeData *data;

  g_return_if_fail (SAOMA_IS_LEDGER (ledger));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_totals_compute_async);
  data = g_new0 (ComputeData, 1);
  data->ledger = g_object_ref (ledger);
  data->start_us = start_us;
  data->end_us = end_us;
  g_task_set_task_data (task, data, (GDestroyNotify) compute_data_free);
  g_task_run_in_thread (task, compute_worker);
}

gboolean
saoma_totals_compute_finish (GAsyncResult  *result,
                             SaomaTotals   *out_totals,
                             GError       **error)
{
  g_autofree SaomaTotals *totals = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (out_totals != NULL, FALSE);

  totals = g_task_propagate_pointer (G_TASK (result), error);
  if (totals == NULL)
    return FALSE;
  *out_totals = *totals;
  return TRUE;
}
