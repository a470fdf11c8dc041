/* saoma-ledger-leases.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-ledger-private.h"

/* The owner lease of attempts and refunds (DESIGN.md, "Ownership"): listing the leases of
 * unfinished rows, and claiming, renewing and releasing them. The lease is taken on insert
 * (saoma-ledger-attempts.c, -refunds.c) and ended by the write of a final state; what is here
 * changes nothing else of a row, and appends no event (a heartbeat every ten seconds would
 * drown the audit log; the engines note take-overs themselves). */

SaomaLedgerLease *
saoma_ledger_lease_new (SaomaLeaseKind kind,
                        const char    *key,
                        const char    *owner,
                        gint64         heartbeat)
{
  SaomaLedgerLease *lease = g_new0 (SaomaLedgerLease, 1);

  g_return_val_if_fail (key != NULL, NULL);

  lease->kind = kind;
  lease->key = g_strdup (key);
  lease->owner = g_strdup (owner);
  lease->heartbeat = heartbeat;

  return lease;
}

void
saoma_ledger_lease_free (SaomaLedgerLease *lease)
{
  if (lease == NULL)
    return;

  g_free (lease->key);
  g_free (lease->owner);
  g_free (lease);
}

static gpointer
list_leases_op (SaomaLedger  *self,
                const OpArgs *args,
                GPtrArray    *emits,
                GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autoptr(GPtrArray) leases = g_ptr_array_new_with_free_func (
    (GDestroyNotify)saoma_ledger_lease_free);
  int rc;

  stmt = ledger_cached (self, args->lease_kind == SAOMA_LEASE_REFUND ? STMT_LIST_REFUND_LEASES : STMT_LIST_ATTEMPT_LEASES,
                        error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (leases,
                     saoma_ledger_lease_new (args->lease_kind,
                                             (const char *)sqlite3_column_text (stmt, 0),
                                             (const char *)sqlite3_column_text (stmt, 1),
                                             sqlite3_column_int64 (stmt, 2)));

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, self->db, "Cannot list leases");
      return NULL;
    }

  return g_steal_pointer (&leases);
}

static StmtId
change_stmt (SaomaLeaseChange change,
             SaomaLeaseKind   kind)
{
  gboolean refund = kind == SAOMA_LEASE_REFUND;

  switch (change)
    {
    case SAOMA_LEASE_CLAIM:
      return refund ? STMT_CLAIM_REFUND : STMT_CLAIM_ATTEMPT;
    case SAOMA_LEASE_RENEW:
      return refund ? STMT_RENEW_REFUND : STMT_RENEW_ATTEMPT;
    case SAOMA_LEASE_RELEASE:
    default:
      return refund ? STMT_RELEASE_REFUND : STMT_RELEASE_ATTEMPT;
    }
}

/* One write for all of @args->leases: a renewal of every live row of a process costs one
 * fsync, and of two processes claiming the same rows the write lock lets one in first. */
static gpointer
change_leases_op (SaomaLedger  *self,
                  const OpArgs *args,
                  GPtrArray    *emits,
                  GError      **error)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (
    (GDestroyNotify)saoma_ledger_lease_free);
  gint64 now = g_get_real_time ();

  if (!ledger_begin (self, error))
    return NULL;

  for (guint i = 0; i < args->leases->len; i++)
    {
      SaomaLedgerLease *lease = g_ptr_array_index (args->leases, i);
      g_autoptr(CachedStmt) stmt = NULL;

      /* ?1 owner, ?2 now, ?3 key, ?4 and ?5 the lease read (claims only). */
      if (!(stmt = ledger_cached (self, change_stmt (args->lease_change, lease->kind), error)))
        goto failed;
      ledger_bind_text (stmt, 1, args->owner);
      sqlite3_bind_int64 (stmt, 2, now);
      ledger_bind_text (stmt, 3, lease->key);
      if (args->lease_change == SAOMA_LEASE_CLAIM)
        {
          ledger_bind_text (stmt, 4, lease->owner);
          sqlite3_bind_int64 (stmt, 5, lease->heartbeat);
        }

      if (!ledger_step_done (self->db, stmt, "Cannot change a lease", error))
        goto failed;

      if (sqlite3_changes (self->db) == 1)
        g_ptr_array_add (changed,
                         saoma_ledger_lease_new (lease->kind, lease->key,
                                                 args->lease_change == SAOMA_LEASE_RELEASE
                                                   ? NULL
                                                   : args->owner,
                                                 MAX (now, lease->heartbeat + 1)));
    }

  if (!ledger_commit (self, error))
    goto failed;

  return g_steal_pointer (&changed);

failed:
  ledger_rollback (self);
  return NULL;
}

void
saoma_ledger_list_leases_async (SaomaLedger        *self,
                                SaomaLeaseKind      kind,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));

  ledger_queue_op (self, list_leases_op, &(OpArgs){ .lease_kind = kind },
                   (GDestroyNotify)g_ptr_array_unref, saoma_ledger_list_leases_async,
                   cancellable, callback, user_data);
}

/**
 * saoma_ledger_list_leases_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerLease): the leases
 */
LEDGER_DEFINE_FINISH (list_leases, GPtrArray *)

GPtrArray *
saoma_ledger_list_leases_sync (SaomaLedger   *self,
                               SaomaLeaseKind kind,
                               GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);

  return ledger_run_op (self, list_leases_op, &(OpArgs){ .lease_kind = kind }, error);
}

void
saoma_ledger_change_leases_async (SaomaLedger        *self,
                                  SaomaLeaseChange    change,
                                  const char         *owner,
                                  GPtrArray          *leases,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_LEDGER (self));
  g_return_if_fail (owner != NULL);
  g_return_if_fail (leases != NULL);

  ledger_queue_op (self, change_leases_op,
                   &(OpArgs){ .lease_change = change, .owner = owner, .leases = leases },
                   (GDestroyNotify)g_ptr_array_unref, saoma_ledger_change_leases_async,
                   cancellable, callback, user_data);
}

/**
 * saoma_ledger_change_leases_finish:
 *
 * Returns: (transfer container) (element-type SaomaLedgerLease): the leases changed
 */
LEDGER_DEFINE_FINISH (change_leases, GPtrArray *)

GPtrArray *
saoma_ledger_change_leases_sync (SaomaLedger     *self,
                                 SaomaLeaseChange change,
                                 const char      *owner,
                                 GPtrArray       *leases,
                                 GError         **error)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (owner != NULL, NULL);
  g_return_val_if_fail (leases != NULL, NULL);

  return ledger_run_op (self, change_leases_op,
                        &(OpArgs){ .lease_change = change, .owner = owner, .leases = leases },
                        error);
}
