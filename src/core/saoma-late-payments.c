/* saoma-late-payments.c: late payments as a to-do list until the manager decides.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-late-payments"

#include "config.h"

#include <string.h>

#include "saoma-late-payments.h"

/* The messages are English, for the logs; saoma_cli_error_words() says them in the user's
 * words, so each keeps the format its entry there has. */
G_DEFINE_QUARK (saoma-late-payment-error-quark, saoma_late_payment_error)

const char *
saoma_late_decision_to_string (SaomaLateDecision decision)
{
  switch (decision)
    {
    case SAOMA_LATE_DECISION_HONOURED:
      return "honoured";
    case SAOMA_LATE_DECISION_REFUNDED:
      return "refunded";
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
saoma_late_decision_from_string (const char        *text,
                                 SaomaLateDecision *out_decision)
{
  g_return_val_if_fail (out_decision != NULL, FALSE);

  if (g_strcmp0 (text, "honoured") == 0)
    *out_decision = SAOMA_LATE_DECISION_HONOURED;
  else if (g_strcmp0 (text, "refunded") == 0)
    *out_decision = SAOMA_LATE_DECISION_REFUNDED;
  else
    return FALSE;
  return TRUE;
}

/**
 * saoma_late_payments_list_open_sync:
 * @ledger: the ledger
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type SaomaAttempt): the late payments waiting for a
 *   decision, oldest first
 */
GPtrArray *
saoma_late_payments_list_open_sync (SaomaLedger  *ledger,
                                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  GPtrArray *open;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  open = saoma_ledger_list_undecided_late_sync (ledger, &local_error);
  if (open == NULL)
    g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_FAILED,
                 "The ledger could not be read: %s", local_error->message);
  return open;
}

static void
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *open = saoma_late_payments_list_open_sync (task_data, &error);

  if (open == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, open, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * saoma_late_payments_list_open_async:
 * @ledger: the ledger
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * saoma_late_payments_list_open_sync() in a worker thread.
 */
void
saoma_late_payments_list_open_async (SaomaLedger         *ledger,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SAOMA_IS_LEDGER (ledger));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_late_payments_list_open_async);
  g_task_set_task_data (task, g_object_ref (ledger), g_object_unref);
  g_task_run_in_thread (task, list_worker);
}

/**
 * saoma_late_payments_list_open_finish:
 *
 * Returns: (transfer container) (element-type SaomaAttempt): the open late payments
 */
GPtrArray *
saoma_late_payments_list_open_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
saoma_late_payments_decide_sync (SaomaLedger        *ledger,
                                 const char         *out_trade_no,
                                 SaomaLateDecision   decision,
                                 const char         *note,
                                 GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *detail = NULL;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  attempt = saoma_ledger_get_attempt_sync (ledger, out_trade_no, &local_error);
  if (attempt == NULL)
    {
      if (!g_error_matches (local_error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND))
        {
          g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_FAILED,
                       "The ledger could not be read: %s", local_error->message);
          return FALSE;
        }
      g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_NOT_FOUND,
                   "There is no order %s.", out_trade_no);
      return FALSE;
    }
  if (!saoma_attempt_get_late (attempt))
    {
      g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_NOT_LATE,
                   "Order %s is not a late payment: there is nothing to decide.",
                   out_trade_no);
      return FALSE;
    }

  events = saoma_ledger_list_events_sync (ledger, out_trade_no, &local_error);
  if (events == NULL)
    {
      g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_FAILED,
                   "The ledger could not be read: %s", local_error->message);
      return FALSE;
    }
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->kind, SAOMA_LEDGER_LATE_DECISION_KIND) == 0)
        {
          g_set_error (error, SAOMA_LATE_PAYMENT_ERROR,
                       SAOMA_LATE_PAYMENT_ERROR_ALREADY_DECIDED,
                       "A decision on order %s is already recorded.", out_trade_no);
          return FALSE;
        }
    }

  /* "Refunded" is a fact to check, not a word to take: the money must be back. */
  if (decision == SAOMA_LATE_DECISION_REFUNDED && saoma_attempt_get_refunded (attempt) <= 0)
    {
      g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_NOT_REFUNDED,
                   "Order %s has not been refunded: refund it first.", out_trade_no);
      return FALSE;
    }

  kept = g_utf8_substring (note != NULL ? note : "", 0, 80);
  g_strdelimit (kept, "\r\n", ' ');
  detail = *kept != '\0' ? g_strdup_printf ("%s: %s", saoma_late_decision_to_string (decision),
                                            kept)
                         : g_strdup (saoma_late_decision_to_string (decision));
  if (!saoma_ledger_append_event_sync (ledger, out_trade_no, SAOMA_LEDGER_LATE_DECISION_KIND,
                                       detail, &local_error))
    {
      g_set_error (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_FAILED,
                   "The decision could not be recorded: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}
