/* saoma-lease.c: who drives an attempt or a refund.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two engines must never drive one attempt: a recovery that takes over a WAITING attempt a
 * running `saoma --charge` still shows would close it under the customer's eyes. So each
 * unfinished attempt and refund has an owner in the store, written with the row itself
 * (no extra write before the QR), renewed every SAOMA_LEASE_INTERVAL_S by the owner's keeper
 * in one write for all it holds, and ended by the write of a final state or released when its
 * engine goes away. A recovery leaves a row alone while its owner looks alive, and takes it
 * over (a compare-and-set in the store: of two recoverers exactly one wins) when the owner's
 * heartbeat lapsed or, at once, when the owner was a process of this boot that is gone.
 *
 * An owner is "BOOT_ID/PID/START_TIME/TILL_ID": the kernel's boot id tells whether the pid
 * means anything here, and the process start time (clock ticks since boot, /proc/PID/stat
 * field 22) tells a reused pid from the owner. The store compares it as an opaque text.
 */

#define G_LOG_DOMAIN "saoma-lease"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "saoma-lease.h"

/* --- Identity -------------------------------------------------------------------------------- */

/* Field 22 (starttime) of /proc/@pid/stat, or 0 when it cannot be read; @out_state (optional):
 * field 3, 'Z' for a zombie. The command name (field 2) may hold spaces and parentheses, so
 * fields are counted from its last ')'. */
static guint64
process_start_time (gint64 pid,
                    char  *out_state)
{
  g_autofree char *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;

  /* After ") ": field 3 (state) is fields[0], so field 22 is fields[19]. */
  fields = g_strsplit (p + 2, " ", 21);
  if (g_strv_length (fields) < 20)
    return 0;

  if (out_state != NULL)
    *out_state = fields[0][0];
  return g_ascii_strtoull (fields[19], NULL, 10);
}

static const char *
boot_id (void)
{
  static char *id;
  static gsize initialised;

  if (g_once_init_enter (&initialised))
    {
      g_autofree char *text = NULL;

      if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
        text = g_strdup ("unknown-boot");
      id = g_strdup (g_strstrip (text));
      g_once_init_leave (&initialised, 1);
    }

  return id;
}

/**
 * saoma_lease_owner_new:
 * @till_id: (nullable): the till the engine works for
 *
 * Returns: (transfer full): this process's owner identity for @till_id
 */
char *
saoma_lease_owner_new (const char *till_id)
{
  static guint64   start;
  gint64           pid = getpid ();
  g_autofree char *till = g_strdup (till_id != NULL ? till_id : "");

  if (start == 0)
    start = process_start_time (pid, NULL);

  /* '/' separates the fields; a till id never holds one, but be sure. */
  return g_strdup_printf ("%s/%" G_GINT64_FORMAT "/%" G_GUINT64_FORMAT "/%s", boot_id (), pid,
                          start, g_strdelimit (till, "/", '_'));
}

/**
 * saoma_lease_owner_parse:
 * @out_boot_id: (out) (optional) (transfer full):
 * @out_till_id: (out) (optional) (transfer full):
 *
 * Returns: %FALSE when @owner is not an identity saoma_lease_owner_new() makes
 */
gboolean
saoma_lease_owner_parse (const char *owner,
                         char      **out_boot_id,
                         gint64     *out_pid,
                         guint64    *out_start_time,
                         char      **out_till_id)
{
  g_auto(GStrv) fields = NULL;
  gint64  pid;
  guint64 start;

  if (owner == NULL)
    return FALSE;

  fields = g_strsplit (owner, "/", 4);
  if (g_strv_length (fields) != 4 || fields[0][0] == '\0' ||
      !g_ascii_string_to_signed (fields[1], 10, 1, G_MAXINT, &pid, NULL) ||
      !g_ascii_string_to_unsigned (fields[2], 10, 0, G_MAXUINT64, &start, NULL))
    return FALSE;

  if (out_boot_id != NULL)
    *out_boot_id = g_strdup (fields[0]);
  if (out_pid != NULL)
    *out_pid = pid;
  if (out_start_time != NULL)
    *out_start_time = start;
  if (out_till_id != NULL)
    *out_till_id = g_strdup (fields[3]);

  return TRUE;
}

/**
 * saoma_lease_interval_us:
 *
 * The heartbeat interval. SAOMA_LEASE_INTERVAL_MS shortens it for tests (like SAOMA_CRASH_AT,
 * unset in production); the lapse is always SAOMA_LEASE_LAPSE_INTERVALS of it.
 */
gint64
saoma_lease_interval_us (void)
{
  static gint64 interval;

  if (interval == 0)
    {
      const char *env = g_getenv ("SAOMA_LEASE_INTERVAL_MS");
      guint64     ms = 0;

      if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 10, 3600 * 1000, &ms, NULL))
        ms = SAOMA_LEASE_INTERVAL_S * 1000;
      interval = (gint64)ms * 1000;
    }

  return interval;
}

/* Whether process @pid of this boot is the one that started at @start. A process we may not
 * signal (EPERM) exists; a zombie (killed, not yet reaped) does not drive anything any more; a
 * start time we cannot read is taken as a match (when in doubt, wait for the lapse rather than
 * take over from the living). */
static gboolean
process_alive (gint64  pid,
               guint64 start)
{
  guint64 now_start;
  char    state = '?';

  if (kill ((pid_t)pid, 0) != 0 && errno == ESRCH)
    return FALSE;

  now_start = process_start_time (pid, &state);
  if (state == 'Z' || state == 'X')
    return FALSE;
  return now_start == 0 || start == 0 || now_start == start;
}

/**
 * saoma_lease_judge:
 * @owner: (nullable): the lease's owner as stored
 * @heartbeat: its heartbeat, µs UTC
 * @now: µs UTC (wall time: heartbeats are written by other processes)
 * @self_owner: this engine's identity
 *
 * Returns: what may be done with the lease
 */
SaomaLeaseVerdict
saoma_lease_judge (const char *owner,
                   gint64      heartbeat,
                   gint64      now,
                   const char *self_owner)
{
  g_autofree char *boot = NULL;
  g_autofree char *self_boot = NULL;
  gint64           pid = 0, self_pid = 0;
  guint64          start = 0, self_start = 0;

  if (owner == NULL)
    return SAOMA_LEASE_FREE;

  if (saoma_lease_owner_parse (owner, &boot, &pid, &start, NULL) &&
      saoma_lease_owner_parse (self_owner, &self_boot, &self_pid, &self_start, NULL) &&
      g_str_equal (boot, self_boot))
    {
      /* Any till of this very process: its engines coordinate in memory. */
      if (pid == self_pid && start == self_start)
        return SAOMA_LEASE_MINE;
      if (!process_alive (pid, start))
        return SAOMA_LEASE_ORPHANED;
    }

  if (now - heartbeat > SAOMA_LEASE_LAPSE_INTERVALS * saoma_lease_interval_us ())
    return SAOMA_LEASE_LAPSED;

  return SAOMA_LEASE_HELD;
}

/* Whether a recovery may claim a lease judged @verdict. */
gboolean
saoma_lease_verdict_takes (SaomaLeaseVerdict verdict)
{
  return verdict != SAOMA_LEASE_HELD;
}

/* --- Take-over ------------------------------------------------------------------------------- */

typedef struct
{
  char       *owner;
  GHashTable *held;
} TakeOverData;

static void
take_over_data_free (TakeOverData *data)
{
  g_free (data->owner);
  g_clear_pointer (&data->held, g_hash_table_unref);
  g_free (data);
}

void
saoma_lease_take_over_free (SaomaLeaseTakeOver *take_over)
{
  if (take_over == NULL)
    return;

  g_clear_pointer (&take_over->won, g_hash_table_unref);
  g_clear_pointer (&take_over->held, g_hash_table_unref);
  g_free (take_over);
}

static GHashTable *
lease_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                (GDestroyNotify)saoma_ledger_lease_free);
}

static void
claimed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TakeOverData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) won = NULL;
  GError             *error = NULL;
  SaomaLeaseTakeOver *take_over;

  if (!(won = saoma_store_change_leases_finish (SAOMA_STORE (source), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  take_over = g_new0 (SaomaLeaseTakeOver, 1);
  take_over->won = lease_table_new ();
  take_over->held = g_steal_pointer (&data->held);
  for (guint i = 0; i < won->len; i++)
    {
      SaomaLedgerLease *lease = g_ptr_array_index (won, i);

      g_hash_table_replace (take_over->won, lease->key, lease);
    }
  g_ptr_array_set_free_func (won, NULL);

  g_task_return_pointer (task, take_over, (GDestroyNotify)saoma_lease_take_over_free);
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TakeOverData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(GPtrArray) claims = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError       *error = NULL;
  gint64        now = g_get_real_time ();

  if (!(leases = saoma_store_list_leases_finish (SAOMA_STORE (source), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  claims = g_ptr_array_new_with_free_func ((GDestroyNotify)saoma_ledger_lease_free);
  for (guint i = 0; i < leases->len; i++)
    {
      SaomaLedgerLease *lease = g_ptr_array_index (leases, i);
      SaomaLeaseVerdict verdict = saoma_lease_judge (lease->owner, lease->heartbeat, now,
                                                     data->owner);

      if (saoma_lease_verdict_takes (verdict))
        {
          if (verdict != SAOMA_LEASE_FREE && verdict != SAOMA_LEASE_MINE)
            g_message ("%s: taking over from %s (%s)", lease->key, lease->owner,
                       verdict == SAOMA_LEASE_LAPSED ? "its heartbeat lapsed"
                                                     : "its process is gone");
          g_ptr_array_add (claims, g_ptr_array_steal_index (leases, i--));
        }
      else
        {
          g_ptr_array_steal_index (leases, i--);
          g_hash_table_replace (data->held, lease->key, lease);
        }
    }

  /* Nothing to claim (a start-up with a clean ledger, or all held): no write at all. */
  if (claims->len == 0)
    {
      SaomaLeaseTakeOver *take_over = g_new0 (SaomaLeaseTakeOver, 1);

      take_over->won = lease_table_new ();
      take_over->held = g_steal_pointer (&data->held);
      g_task_return_pointer (task, take_over, (GDestroyNotify)saoma_lease_take_over_free);
      return;
    }

  /* One write of compare-and-sets for all of them. */
  saoma_store_change_leases_async (SAOMA_STORE (source), SAOMA_LEASE_CLAIM, data->owner, claims,
                                   cancellable, claimed_cb, g_steal_pointer (&task));
}

/**
 * saoma_lease_take_over_async:
 * @kind: attempts or refunds
 * @owner: the recovering engine's identity
 *
 * Reads the lease of every unfinished row of @kind, leaves those held by a living owner, and
 * claims the rest for @owner (a compare-and-set: a row another recoverer claimed meanwhile is
 * neither won nor held).
 */
void
saoma_lease_take_over_async (SaomaStore         *store,
                             SaomaLeaseKind      kind,
                             const char         *owner,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask        *task;
  TakeOverData *data;

  g_return_if_fail (SAOMA_IS_STORE (store));
  g_return_if_fail (owner != NULL);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_lease_take_over_async);
  data = g_new0 (TakeOverData, 1);
  data->owner = g_strdup (owner);
  data->held = lease_table_new ();
  g_task_set_task_data (task, data, (GDestroyNotify)take_over_data_free);

  saoma_store_list_leases_async (store, kind, cancellable, listed_cb, task);
}

/**
 * saoma_lease_take_over_finish:
 *
 * Returns: (transfer full): what was won and what was left alone
 */
SaomaLeaseTakeOver *
saoma_lease_take_over_finish (GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- Claim: one row ---------------------------------------------------------------------------- */

typedef struct
{
  char *key;
  char *owner;
  char *holder; /* the living owner that keeps it, when not won */
} ClaimData;

static void
claim_data_free (ClaimData *data)
{
  g_free (data->key);
  g_free (data->owner);
  g_free (data->holder);
  g_free (data);
}

static void
claim_changed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) won = NULL;
  GError *error = NULL;

  if (!(won = saoma_store_change_leases_finish (SAOMA_STORE (source), result, &error)))
    g_task_return_error (task, error);
  else
    /* Empty: another engine claimed or renewed it between our read and our write. */
    g_task_return_boolean (task, won->len == 1);
}

static void
claim_listed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClaimData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(GPtrArray) claims = NULL;
  GCancellable *cancellable;
  GError       *error = NULL;

  if (!(leases = saoma_store_list_leases_finish (SAOMA_STORE (source), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < leases->len; i++)
    {
      SaomaLedgerLease *lease = g_ptr_array_index (leases, i);
      SaomaLeaseVerdict verdict;

      if (!g_str_equal (lease->key, data->key))
        continue;

      verdict = saoma_lease_judge (lease->owner, lease->heartbeat, g_get_real_time (),
                                   data->owner);
      if (verdict == SAOMA_LEASE_MINE)
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (!saoma_lease_verdict_takes (verdict))
        {
          data->holder = g_strdup (lease->owner);
          g_task_return_boolean (task, FALSE);
          return;
        }

      claims = g_ptr_array_new_with_free_func ((GDestroyNotify)saoma_ledger_lease_free);
      g_ptr_array_add (claims, g_ptr_array_steal_index (leases, i));
      cancellable = g_task_get_cancellable (task);
      saoma_store_change_leases_async (SAOMA_STORE (source), SAOMA_LEASE_CLAIM, data->owner,
                                       claims, cancellable, claim_changed_cb,
                                       g_steal_pointer (&task));
      return;
    }

  /* Not unfinished any more (final by another engine meanwhile): nothing to drive. */
  g_task_return_boolean (task, FALSE);
}

/**
 * saoma_lease_claim_async:
 * @kind: an attempt or a refund
 * @key: its out_trade_no or out_refund_no
 * @owner: the engine's identity
 */
void
saoma_lease_claim_async (SaomaStore         *store,
                         SaomaLeaseKind      kind,
                         const char         *key,
                         const char         *owner,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  GTask     *task;
  ClaimData *data;

  g_return_if_fail (SAOMA_IS_STORE (store));
  g_return_if_fail (key != NULL && owner != NULL);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_lease_claim_async);
  data = g_new0 (ClaimData, 1);
  data->key = g_strdup (key);
  data->owner = g_strdup (owner);
  g_task_set_task_data (task, data, (GDestroyNotify)claim_data_free);

  saoma_store_list_leases_async (store, kind, cancellable, claim_listed_cb, task);
}

/**
 * saoma_lease_claim_finish:
 * @out_holder: (out) (optional) (transfer full) (nullable): when not won, the living owner
 *   that holds it (%NULL when it was claimed by another meanwhile, or is finished)
 *
 * Returns: %TRUE when the lease is @owner's now; %FALSE with @error unset when another engine
 *   keeps it
 */
gboolean
saoma_lease_claim_finish (GAsyncResult *result,
                          char        **out_holder,
                          GError      **error)
{
  ClaimData *data;

  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (out_holder != NULL)
    *out_holder = g_strdup (data->holder);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Keeper: the heartbeat ------------------------------------------------------------------- */

struct _SaomaLeaseKeeper
{
  gatomicrefcount ref_count;
  SaomaStore     *store;
  char           *owner;
  char           *registry_key;
  GHashTable     *held; /* "a:KEY" / "r:KEY" → Held */
  GSource        *timer;
  gboolean        renewing;
};

typedef struct
{
  SaomaLedgerLease  *lease;
  SaomaLeaseNewsFunc news;
  gpointer           user_data;
  gint64             confirmed; /* wall µs: when the store last said it is ours */
} Held;

static void
held_free (Held *held)
{
  saoma_ledger_lease_free (held->lease);
  g_free (held);
}

/* One keeper per store and owner, so that a process's engines renew in one write. Engines
 * live on the main context; the registry is only touched there. */
static GHashTable *keepers;

static char *
held_key (SaomaLeaseKind kind,
          const char    *key)
{
  return g_strconcat (kind == SAOMA_LEASE_REFUND ? "r:" : "a:", key, NULL);
}

static void keeper_schedule (SaomaLeaseKeeper *keeper);

typedef struct
{
  SaomaLeaseKeeper *keeper;
  GPtrArray        *asked; /* held keys ("a:KEY") this renewal was for */
} Renewal;

static void
renewed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Renewal          *renewal = user_data;
  SaomaLeaseKeeper *keeper = renewal->keeper;
  g_autoptr(GPtrArray) renewed = NULL;
  g_autoptr(GPtrArray) asked = g_steal_pointer (&renewal->asked);
  g_autoptr(GPtrArray) lost = g_ptr_array_new_with_free_func ((GDestroyNotify)held_free);
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();

  g_free (renewal);
  keeper->renewing = FALSE;
  renewed = saoma_store_change_leases_finish (SAOMA_STORE (source), result, &error);
  if (renewed == NULL)
    g_warning ("Could not renew the leases of %s: %s", keeper->owner, error->message);
  else
    {
      /* held key → the heartbeat the store wrote: the time it said the lease is ours, not the
       * time this callback runs (a process stopped right after the write would otherwise
       * take an old confirmation for a fresh one when it wakes). */
      for (guint i = 0; i < renewed->len; i++)
        {
          SaomaLedgerLease *lease = g_ptr_array_index (renewed, i);

          g_hash_table_insert (written, held_key (lease->kind, lease->key),
                               g_memdup2 (&lease->heartbeat, sizeof lease->heartbeat));
        }

      /* A lease this renewal was for, still held here, that the store did not renew: the row
       * went to another engine (ours lapsed: this process was stopped or starved), or it was
       * ended by a final state whose engine has not dropped it yet (then the engine ignores
       * the news: saoma_operation_lease_lost()). Held since the renewal was asked for: its
       * next renewal judges it. */
      for (guint i = 0; i < asked->len; i++)
        {
          const char *k = g_ptr_array_index (asked, i);
          gpointer    held_k, held;

          if (g_hash_table_contains (written, k))
            {
              if ((held = g_hash_table_lookup (keeper->held, k)) != NULL)
                {
                  const gint64 *at = g_hash_table_lookup (written, k);

                  ((Held *)held)->confirmed = MIN (*at, now);
                  g_ptr_array_add (kept, g_strdup (k));
                }
              continue;
            }
          if (!g_hash_table_steal_extended (keeper->held, k, &held_k, &held))
            continue;
          g_free (held_k);
          g_message ("%s: the lease was not renewed: another engine holds it now",
                     ((Held *)held)->lease->key);
          g_ptr_array_add (lost, held);
        }
    }

  keeper_schedule (keeper);

  /* After the keeper is consistent: a callback may hold or drop leases. */
  for (guint i = 0; i < lost->len; i++)
    {
      Held *held = g_ptr_array_index (lost, i);

      if (held->news != NULL)
        held->news (held->lease->kind, held->lease->key, FALSE, held->user_data);
    }
  for (guint i = 0; i < kept->len; i++)
    {
      Held *held = g_hash_table_lookup (keeper->held, g_ptr_array_index (kept, i));

      if (held != NULL && held->news != NULL)
        held->news (held->lease->kind, held->lease->key, TRUE, held->user_data);
    }

  saoma_lease_keeper_unref (keeper);
}

static gboolean
keeper_tick_cb (gpointer user_data)
{
  SaomaLeaseKeeper *keeper = user_data;
  g_autoptr(GPtrArray) leases = NULL;
  Renewal       *renewal;
  GHashTableIter iter;
  gpointer       key, value;

  g_clear_pointer (&keeper->timer, g_source_unref);

  if (g_hash_table_size (keeper->held) == 0)
    return G_SOURCE_REMOVE;

  /* Every lease of this owner in one write (off this thread: the store's worker). */
  leases = g_ptr_array_new_with_free_func ((GDestroyNotify)saoma_ledger_lease_free);
  renewal = g_new0 (Renewal, 1);
  renewal->keeper = keeper;
  renewal->asked = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, keeper->held);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      SaomaLedgerLease *lease = ((Held *)value)->lease;

      g_ptr_array_add (leases, saoma_ledger_lease_new (lease->kind, lease->key, keeper->owner,
                                                       lease->heartbeat));
      g_ptr_array_add (renewal->asked, g_strdup (key));
    }

  keeper->renewing = TRUE;
  g_atomic_ref_count_inc (&keeper->ref_count);
  saoma_store_change_leases_async (keeper->store, SAOMA_LEASE_RENEW, keeper->owner, leases, NULL,
                                   renewed_cb, renewal);

  return G_SOURCE_REMOVE;
}

/* The next heartbeat, while any lease is held and none is being written. */
static void
keeper_schedule (SaomaLeaseKeeper *keeper)
{
  if (keeper->timer != NULL || keeper->renewing || g_hash_table_size (keeper->held) == 0)
    return;

  keeper->timer = g_timeout_source_new ((guint)(saoma_lease_interval_us () / 1000));
  g_source_set_static_name (keeper->timer, "[saoma] lease heartbeat");
  g_source_set_callback (keeper->timer, keeper_tick_cb, keeper, NULL);
  g_source_attach (keeper->timer, g_main_context_get_thread_default ());
}

/**
 * saoma_lease_keeper_get:
 * @owner: the engine's identity (saoma_lease_owner_new())
 *
 * Returns: (transfer full): the keeper of @owner's leases on @store
 */
SaomaLeaseKeeper *
saoma_lease_keeper_get (SaomaStore *store,
                        const char *owner)
{
  g_autofree char  *registry_key = NULL;
  SaomaLeaseKeeper *keeper;

  g_return_val_if_fail (SAOMA_IS_STORE (store), NULL);
  g_return_val_if_fail (owner != NULL, NULL);

  registry_key = g_strdup_printf ("%p %s", (gpointer)store, owner);
  if (keepers == NULL)
    keepers = g_hash_table_new (g_str_hash, g_str_equal);

  keeper = g_hash_table_lookup (keepers, registry_key);
  if (keeper != NULL)
    {
      g_atomic_ref_count_inc (&keeper->ref_count);
      return keeper;
    }

  keeper = g_new0 (SaomaLeaseKeeper, 1);
  g_atomic_ref_count_init (&keeper->ref_count);
  keeper->store = g_object_ref (store);
  keeper->owner = g_strdup (owner);
  keeper->registry_key = g_steal_pointer (&registry_key);
  keeper->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)held_free);
  g_hash_table_insert (keepers, keeper->registry_key, keeper);

  return keeper;
}

void
saoma_lease_keeper_unref (SaomaLeaseKeeper *keeper)
{
  if (keeper == NULL || !g_atomic_ref_count_dec (&keeper->ref_count))
    return;

  g_hash_table_remove (keepers, keeper->registry_key);
  if (keeper->timer != NULL)
    {
      g_source_destroy (keeper->timer);
      g_source_unref (keeper->timer);
    }
  g_hash_table_unref (keeper->held);
  g_object_unref (keeper->store);
  g_free (keeper->owner);
  g_free (keeper->registry_key);
  g_free (keeper);
}

const char *
saoma_lease_keeper_get_owner (SaomaLeaseKeeper *keeper)
{
  return keeper->owner;
}

/**
 * saoma_lease_keeper_hold:
 * @news: (nullable): told after each renewal whether the lease was kept
 *
 * @key's lease is on record for this owner (inserted or claimed just now): renew it until
 * dropped.
 */
void
saoma_lease_keeper_hold (SaomaLeaseKeeper  *keeper,
                         SaomaLeaseKind     kind,
                         const char        *key,
                         SaomaLeaseNewsFunc news,
                         gpointer           user_data)
{
  Held *held;

  g_return_if_fail (keeper != NULL && key != NULL);

  held = g_new0 (Held, 1);
  held->lease = saoma_ledger_lease_new (kind, key, keeper->owner, 0);
  held->news = news;
  held->user_data = user_data;
  held->confirmed = g_get_real_time ();
  g_hash_table_replace (keeper->held, held_key (kind, key), held);
  keeper_schedule (keeper);
}

/**
 * saoma_lease_keeper_is_fresh:
 *
 * Whether the store said recently enough that @key's lease is ours for no other engine to have
 * taken it since: within two intervals, one short of the lapse (wall time, like the
 * heartbeats: a suspended machine's clock jumps). After a longer silence (the process was
 * stopped or starved) an engine asks again (saoma_lease_keeper_renew_now()) before it acts.
 */
gboolean
saoma_lease_keeper_is_fresh (SaomaLeaseKeeper *keeper,
                             SaomaLeaseKind    kind,
                             const char       *key)
{
  g_autofree char *k = held_key (kind, key);
  Held            *held = g_hash_table_lookup (keeper->held, k);

  return held != NULL &&
         g_get_real_time () - held->confirmed <=
           (SAOMA_LEASE_LAPSE_INTERVALS - 1) * saoma_lease_interval_us ();
}

/**
 * saoma_lease_keeper_renew_now:
 *
 * Renews every held lease now rather than at the next heartbeat (unless a renewal is on its
 * way already); the holders hear of the answer.
 */
void
saoma_lease_keeper_renew_now (SaomaLeaseKeeper *keeper)
{
  if (keeper->renewing || g_hash_table_size (keeper->held) == 0)
    return;

  if (keeper->timer != NULL)
    {
      g_source_destroy (keeper->timer);
      g_clear_pointer (&keeper->timer, g_source_unref);
    }
  keeper_tick_cb (keeper);
}

static void
released_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GPtrArray) released = NULL;
  g_autoptr(GError) error = NULL;

  /* Not fatal: a lease left behind lapses, or is taken at once once this process is gone. */
  released = saoma_store_change_leases_finish (SAOMA_STORE (source), result, &error);
  if (released == NULL)
    g_debug ("Could not release a lease: %s", error->message);
}

/**
 * saoma_lease_keeper_drop:
 * @release: also let go of it in the store (an engine detaching from an unfinished row); a
 *   final state's write already ended the lease
 */
void
saoma_lease_keeper_drop (SaomaLeaseKeeper *keeper,
                         SaomaLeaseKind    kind,
                         const char       *key,
                         gboolean          release)
{
  g_autofree char *k = NULL;

  g_return_if_fail (keeper != NULL && key != NULL);

  k = held_key (kind, key);
  if (!g_hash_table_remove (keeper->held, k))
    return;

  if (release)
    {
      g_autoptr(GPtrArray) leases = g_ptr_array_new_with_free_func (
        (GDestroyNotify)saoma_ledger_lease_free);

      g_ptr_array_add (leases, saoma_ledger_lease_new (kind, key, keeper->owner, 0));
      saoma_store_change_leases_async (keeper->store, SAOMA_LEASE_RELEASE, keeper->owner, leases,
                                       NULL, released_cb, NULL);
    }

  if (g_hash_table_size (keeper->held) == 0 && keeper->timer != NULL)
    {
      g_source_destroy (keeper->timer);
      g_clear_pointer (&keeper->timer, g_source_unref);
    }
}

guint
saoma_lease_keeper_get_n_held (SaomaLeaseKeeper *keeper)
{
  return g_hash_table_size (keeper->held);
}
