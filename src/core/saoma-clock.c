/* saoma-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine never calls g_get_real_time() or g_timeout_add() itself: it asks a SaomaClock,
 * so tests can swap in a manual clock and run a five-minute order life in milliseconds.
 */

#define G_LOG_DOMAIN "saoma-clock"

#include "config.h"

#include "saoma-clock.h"

typedef struct {
  guint          id;
  gint64         due;      /* manual clock: µs since the epoch */
  guint64        seq;      /* manual clock: insertion order breaks ties */
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify notify;
  GSource       *source;   /* default clock */
  SaomaClock    *clock;    /* default clock, unowned */
} ClockTimeout;

struct _SaomaClock
{
  GObject     parent_instance;

  gboolean    manual;
  gint64      now;         /* manual clock only */
  guint64     next_seq;
  GList      *pending;     /* manual clock: ClockTimeout*, sorted by (due, seq) */

  GMutex      mutex;       /* the default clock is shared by every thread */
  guint       next_id;
  GHashTable *timeouts;    /* id → ClockTimeout* (both kinds) */
};

G_DEFINE_FINAL_TYPE (SaomaClock, saoma_clock, G_TYPE_OBJECT)

static void
clock_timeout_free (ClockTimeout *timeout)
{
  g_free (timeout);
}

static guint
allocate_id (SaomaClock *self)
{
  guint id;

  /* Ids are never 0 and never reused while a timeout with that id is pending. */
  do
    {
      id = ++self->next_id;
      if (id == 0)
        id = self->next_id = 1;
    }
  while (g_hash_table_contains (self->timeouts, GUINT_TO_POINTER (id)));

  return id;
}

static gint
compare_timeouts (gconstpointer a,
                  gconstpointer b)
{
  const ClockTimeout *ta = a;
  const ClockTimeout *tb = b;

  if (ta->due != tb->due)
    return ta->due < tb->due ? -1 : 1;
  if (ta->seq != tb->seq)
    return ta->seq < tb->seq ? -1 : 1;
  return 0;
}

static void
saoma_clock_finalize (GObject *object)
{
  SaomaClock *self = (SaomaClock *)object;
  GList *pending = g_steal_pointer (&self->pending);

  for (GList *l = pending; l != NULL; l = l->next)
    {
      ClockTimeout *timeout = l->data;

      if (timeout->notify != NULL)
        timeout->notify (timeout->data);
      clock_timeout_free (timeout);
    }
  g_list_free (pending);

  g_clear_pointer (&self->timeouts, g_hash_table_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (saoma_clock_parent_class)->finalize (object);
}

static void
saoma_clock_class_init (SaomaClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_clock_finalize;
}

static void
saoma_clock_init (SaomaClock *self)
{
  g_mutex_init (&self->mutex);
  self->timeouts = g_hash_table_new (NULL, NULL);
}

/**
 * saoma_clock_get_default:
 *
 * Returns: (transfer none): the real clock, shared by the whole process.
 */
SaomaClock *
saoma_clock_get_default (void)
{
  static SaomaClock *default_clock;

  if (g_once_init_enter (&default_clock))
    {
      SaomaClock *clock = g_object_new (SAOMA_TYPE_CLOCK, NULL);

      g_once_init_leave (&default_clock, clock);
    }

  return default_clock;
}

/**
 * saoma_clock_new_manual:
 * @start_us: the initial time, µs since the epoch (UTC)
 *
 * Returns: (transfer full): a clock that moves only with saoma_clock_advance().
 */
SaomaClock *
saoma_clock_new_manual (gint64 start_us)
{
  SaomaClock *self = g_object_new (SAOMA_TYPE_CLOCK, NULL);

  self->manual = TRUE;
  self->now = start_us;

  return self;
}

gboolean
saoma_clock_is_manual (SaomaClock *self)
{
  g_return_val_if_fail (SAOMA_IS_CLOCK (self), FALSE);

  return self->manual;
}

/**
 * saoma_clock_now:
 *
 * Returns: the clock's time in µs since the epoch (UTC).
 */
gint64
saoma_clock_now (SaomaClock *self)
{
  g_return_val_if_fail (SAOMA_IS_CLOCK (self), 0);

  if (self->manual)
    return self->now;

  return g_get_real_time ();
}

/**
 * saoma_clock_now_datetime:
 *
 * Returns: (transfer full): the clock's time as a UTC #GDateTime.
 */
GDateTime *
saoma_clock_now_datetime (SaomaClock *self)
{
  gint64 now;
  g_autoptr(GDateTime) seconds = NULL;

  g_return_val_if_fail (SAOMA_IS_CLOCK (self), NULL);

  now = saoma_clock_now (self);
  seconds = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  if (seconds == NULL)
    return NULL;

  return g_date_time_add (seconds, now % G_USEC_PER_SEC);
}

static gboolean
default_timeout_dispatch_cb (gpointer user_data)
{
  ClockTimeout *timeout = user_data;

  /* One-shot whatever the callback says. */
  timeout->func (timeout->data);

  return G_SOURCE_REMOVE;
}

static void
default_timeout_destroy_cb (gpointer user_data)
{
  ClockTimeout *timeout = user_data;
  SaomaClock *self = timeout->clock;

  g_mutex_lock (&self->mutex);
  if (g_hash_table_lookup (self->timeouts, GUINT_TO_POINTER (timeout->id)) == timeout)
    g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (timeout->id));
  g_mutex_unlock (&self->mutex);

  if (timeout->notify != NULL)
    timeout->notify (timeout->data);

  g_source_unref (timeout->source);
  clock_timeout_free (timeout);
}

/**
 * saoma_clock_add_timeout:
 * @interval_ms: delay before @func runs
 * @func: called once (its return value is ignored)
 * @data: data for @func
 * @notify: (nullable): frees @data after @func ran or the timeout was removed
 *
 * The real clock attaches a GLib timeout to the thread-default main context. A manual clock
 * only fires it from saoma_clock_advance().
 *
 * Returns: an id for saoma_clock_remove(), never 0.
 */
guint
saoma_clock_add_timeout (SaomaClock    *self,
                         guint          interval_ms,
                         GSourceFunc    func,
                         gpointer       data,
                         GDestroyNotify notify)
{
  ClockTimeout *timeout;
  guint id;

  g_return_val_if_fail (SAOMA_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  timeout = g_new0 (ClockTimeout, 1);
  timeout->func = func;
  timeout->data = data;
  timeout->notify = notify;
  timeout->clock = self;

  if (self->manual)
    {
      id = allocate_id (self);
      timeout->id = id;
      timeout->due = self->now + (gint64)interval_ms * 1000;
      timeout->seq = self->next_seq++;
      self->pending = g_list_insert_sorted (self->pending, timeout, compare_timeouts);
      g_hash_table_insert (self->timeouts, GUINT_TO_POINTER (id), timeout);
      return id;
    }

  {
    g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

    timeout->source = g_timeout_source_new (interval_ms);
    g_source_set_static_name (timeout->source, "[saoma-clock] timeout");
    g_source_set_callback (timeout->source, default_timeout_dispatch_cb, timeout,
                           default_timeout_destroy_cb);

    g_mutex_lock (&self->mutex);
    id = allocate_id (self);
    timeout->id = id;
    g_hash_table_insert (self->timeouts, GUINT_TO_POINTER (id), timeout);
    g_mutex_unlock (&self->mutex);

    g_source_attach (timeout->source, context);
  }

  return id;
}

/**
 * saoma_clock_remove:
 * @id: an id from saoma_clock_add_timeout(); an id that already fired is ignored
 *
 * Cancels a pending timeout (its destroy notify runs).
 */
void
saoma_clock_remove (SaomaClock *self,
                    guint       id)
{
  ClockTimeout *timeout;

  g_return_if_fail (SAOMA_IS_CLOCK (self));

  if (id == 0)
    return;

  if (self->manual)
    {
      timeout = g_hash_table_lookup (self->timeouts, GUINT_TO_POINTER (id));
      if (timeout == NULL)
        return;

      g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (id));
      self->pending = g_list_remove (self->pending, timeout);
      if (timeout->notify != NULL)
        timeout->notify (timeout->data);
      clock_timeout_free (timeout);
      return;
    }

  {
    GSource *source = NULL;

    g_mutex_lock (&self->mutex);
    timeout = g_hash_table_lookup (self->timeouts, GUINT_TO_POINTER (id));
    if (timeout != NULL)
      {
        g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (id));
        source = g_source_ref (timeout->source);
      }
    g_mutex_unlock (&self->mutex);

    /* The destroy callback frees the timeout and runs the caller's notify. */
    if (source != NULL)
      {
        g_source_destroy (source);
        g_source_unref (source);
      }
  }
}

/**
 * saoma_clock_advance:
 * @delta_us: how far to move time, ≥ 0
 *
 * Fires every timeout due within the next @delta_us in time order, setting "now" to each
 * timeout's due time before calling it; timeouts added by the callbacks fire too when they fall
 * inside the window. Ends with "now" at the old time + @delta_us.
 */
void
saoma_clock_advance (SaomaClock *self,
                     gint64      delta_us)
{
  gint64 target;

  g_return_if_fail (SAOMA_IS_CLOCK (self));
  g_return_if_fail (self->manual);
  g_return_if_fail (delta_us >= 0);

  target = self->now + delta_us;

  g_object_ref (self);

  while (self->pending != NULL)
    {
      ClockTimeout *timeout = self->pending->data;

      if (timeout->due > target)
        break;

      self->pending = g_list_delete_link (self->pending, self->pending);
      g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (timeout->id));

      if (timeout->due > self->now)
        self->now = timeout->due;

      timeout->func (timeout->data);
      if (timeout->notify != NULL)
        timeout->notify (timeout->data);
      clock_timeout_free (timeout);
    }

  self->now = target;

  g_object_unref (self);
}
