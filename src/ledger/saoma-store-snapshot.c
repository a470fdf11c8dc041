/* saoma-store-snapshot.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "saoma-store-snapshot.h"

G_DEFINE_ABSTRACT_TYPE (SaomaStoreSnapshot, saoma_store_snapshot, G_TYPE_OBJECT)

static void
saoma_store_snapshot_class_init (SaomaStoreSnapshotClass *klass)
{
}

static void
saoma_store_snapshot_init (SaomaStoreSnapshot *self)
{
}

/**
 * saoma_store_snapshot_foreach_attempt:
 * @func: (scope call): called for each attempt created in [@start_us, @end_us), oldest first
 *
 * Returns: %FALSE with @error set when reading failed, @cancellable was cancelled or @func
 *   returned %FALSE
 */
gboolean
saoma_store_snapshot_foreach_attempt (SaomaStoreSnapshot     *self,
                                      gint64                  start_us,
                                      gint64                  end_us,
                                      SaomaStoreAttemptFunc   func,
                                      gpointer                user_data,
                                      GCancellable           *cancellable,
                                      GError                **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->foreach_attempt (self, start_us, end_us, func,
                                                                 user_data, cancellable, error);
}

static gboolean
collect_attempt (SaomaAttempt  *attempt,
                 gpointer       user_data,
                 GError       **error)
{
  g_ptr_array_add (user_data, g_object_ref (attempt));

  return TRUE;
}

/**
 * saoma_store_snapshot_list_attempts:
 *
 * Returns: (transfer full) (element-type SaomaAttempt): attempts created in
 *   [@start_us, @end_us), oldest first, or %NULL with @error set
 */
GPtrArray *
saoma_store_snapshot_list_attempts (SaomaStoreSnapshot  *self,
                                    gint64               start_us,
                                    gint64               end_us,
                                    GCancellable        *cancellable,
                                    GError             **error)
{
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);

  if (!saoma_store_snapshot_foreach_attempt (self, start_us, end_us, collect_attempt, attempts,
                                             cancellable, error))
    return NULL;

  return g_steal_pointer (&attempts);
}

/**
 * saoma_store_snapshot_list_unfinished:
 *
 * Returns: (transfer full) (element-type SaomaAttempt): the non-final attempts, oldest first
 */
GPtrArray *
saoma_store_snapshot_list_unfinished (SaomaStoreSnapshot  *self,
                                      GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->list_unfinished (self, error);
}

/**
 * saoma_store_snapshot_list_refunds:
 *
 * Returns: (transfer full) (element-type SaomaLedgerRefund): refunds created in
 *   [@start_us, @end_us), oldest first
 */
GPtrArray *
saoma_store_snapshot_list_refunds (SaomaStoreSnapshot  *self,
                                   gint64               start_us,
                                   gint64               end_us,
                                   GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->list_refunds (self, start_us, end_us, error);
}

/**
 * saoma_store_snapshot_list_refunds_succeeded:
 *
 * Returns: (transfer full) (element-type SaomaLedgerRefund): refunds that succeeded in
 *   [@start_us, @end_us), oldest first
 */
GPtrArray *
saoma_store_snapshot_list_refunds_succeeded (SaomaStoreSnapshot  *self,
                                             gint64               start_us,
                                             gint64               end_us,
                                             GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->list_refunds_succeeded (self, start_us, end_us,
                                                                        error);
}

/**
 * saoma_store_snapshot_list_till_events:
 * @kind: the event kind, e.g. "day-close"
 *
 * Returns: (transfer full) (element-type SaomaLedgerEvent): till-wide events of @kind, oldest
 *   first
 */
GPtrArray *
saoma_store_snapshot_list_till_events (SaomaStoreSnapshot  *self,
                                       const char          *kind,
                                       GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->list_till_events (self, kind, error);
}

/**
 * saoma_store_snapshot_get_attempt:
 * @out_trade_no: the attempt's out_trade_no
 *
 * Returns: (transfer full) (nullable): the attempt, or %NULL (with @error set only when the
 *   store could not be read)
 */
SaomaAttempt *
saoma_store_snapshot_get_attempt (SaomaStoreSnapshot  *self,
                                  const char          *out_trade_no,
                                  GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->get_attempt (self, out_trade_no, error);
}

/**
 * saoma_store_snapshot_list_refunds_of:
 * @out_trade_no: the attempt's out_trade_no
 *
 * Returns: (transfer full) (element-type SaomaLedgerRefund): the attempt's refunds, oldest
 *   first, or %NULL with @error set
 */
GPtrArray *
saoma_store_snapshot_list_refunds_of (SaomaStoreSnapshot  *self,
                                      const char          *out_trade_no,
                                      GError             **error)
{
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (self), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  return SAOMA_STORE_SNAPSHOT_GET_CLASS (self)->list_refunds_of (self, out_trade_no, error);
}
