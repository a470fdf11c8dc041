/* test-clock.c: the manual clock fires in time order; the real clock uses GLib timeouts. */
#include "config.h"

#include "core/saoma-clock.h"

typedef struct {
  SaomaClock *clock;
  GString    *log;
  gint64      seen_now;
  guint       chain_id;
} Fixture;

typedef struct {
  Fixture    *fixture;
  const char *name;
} Tag;

static gboolean
record_cb (gpointer user_data)
{
  Tag *tag = user_data;

  g_string_append_printf (tag->fixture->log, "%s@%" G_GINT64_FORMAT " ", tag->name,
                          saoma_clock_now (tag->fixture->clock) / 1000);
  /* The return value must not make the timeout repeat. */
  return G_SOURCE_CONTINUE;
}

static void
test_manual_order (void)
{
  Fixture f = { 0 };
  Tag a = { &f, "a" }, b = { &f, "b" }, c = { &f, "c" }, d = { &f, "d" };

  f.clock = saoma_clock_new_manual (1000 * 1000);
  f.log = g_string_new (NULL);

  g_assert_true (saoma_clock_is_manual (f.clock));
  g_assert_cmpint (saoma_clock_now (f.clock), ==, 1000 * 1000);

  saoma_clock_add_timeout (f.clock, 300, record_cb, &c, NULL);
  saoma_clock_add_timeout (f.clock, 100, record_cb, &a, NULL);
  saoma_clock_add_timeout (f.clock, 200, record_cb, &b, NULL);
  /* Same due time as b: insertion order decides. */
  saoma_clock_add_timeout (f.clock, 200, record_cb, &d, NULL);

  saoma_clock_advance (f.clock, 150 * 1000);
  g_assert_cmpstr (f.log->str, ==, "a@1100 ");
  g_assert_cmpint (saoma_clock_now (f.clock), ==, 1150 * 1000);

  saoma_clock_advance (f.clock, 1000 * 1000);
  g_assert_cmpstr (f.log->str, ==, "a@1100 b@1200 d@1200 c@1300 ");
  g_assert_cmpint (saoma_clock_now (f.clock), ==, 2150 * 1000);

  /* Fired timeouts never come back. */
  saoma_clock_advance (f.clock, 10 * 1000 * 1000);
  g_assert_cmpstr (f.log->str, ==, "a@1100 b@1200 d@1200 c@1300 ");

  g_string_free (f.log, TRUE);
  g_object_unref (f.clock);
}

static void
count_notify_cb (gpointer data)
{
  (*(int *)data)++;
}

static gboolean
noop_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
test_manual_remove (void)
{
  SaomaClock *clock = saoma_clock_new_manual (0);
  int notified = 0;
  guint id1, id2;

  id1 = saoma_clock_add_timeout (clock, 10, noop_cb, &notified, count_notify_cb);
  id2 = saoma_clock_add_timeout (clock, 10, noop_cb, &notified, count_notify_cb);
  g_assert_cmpuint (id1, !=, 0);
  g_assert_cmpuint (id1, !=, id2);

  saoma_clock_remove (clock, id1);
  g_assert_cmpint (notified, ==, 1);
  /* Removing twice, or an unknown id, is harmless. */
  saoma_clock_remove (clock, id1);
  saoma_clock_remove (clock, 0);
  g_assert_cmpint (notified, ==, 1);

  saoma_clock_advance (clock, 10 * 1000);
  g_assert_cmpint (notified, ==, 2);
  saoma_clock_remove (clock, id2);
  g_assert_cmpint (notified, ==, 2);

  /* Pending timeouts are released with the clock. */
  saoma_clock_add_timeout (clock, 10, noop_cb, &notified, count_notify_cb);
  g_object_unref (clock);
  g_assert_cmpint (notified, ==, 3);
}

static gboolean
chain_cb (gpointer user_data)
{
  Fixture *f = user_data;

  g_string_append_printf (f->log, "%" G_GINT64_FORMAT " ", saoma_clock_now (f->clock) / 1000);
  if (f->log->len < 40)
    saoma_clock_add_timeout (f->clock, 1000, chain_cb, f, NULL);

  return G_SOURCE_REMOVE;
}

/* A timer re-armed from its own callback (the engine's countdown) fires once per period within
 * one advance: five minutes of ticks in one call. */
static void
test_manual_chain (void)
{
  Fixture f = { 0 };

  f.clock = saoma_clock_new_manual (0);
  f.log = g_string_new (NULL);

  saoma_clock_add_timeout (f.clock, 1000, chain_cb, &f, NULL);
  saoma_clock_advance (f.clock, 3500 * 1000);
  g_assert_cmpstr (f.log->str, ==, "1000 2000 3000 ");
  g_assert_cmpint (saoma_clock_now (f.clock), ==, 3500 * 1000);

  saoma_clock_advance (f.clock, 500 * 1000);
  g_assert_cmpstr (f.log->str, ==, "1000 2000 3000 4000 ");

  g_string_free (f.log, TRUE);
  g_object_unref (f.clock);
}

static gboolean
remove_other_cb (gpointer user_data)
{
  Fixture *f = user_data;

  saoma_clock_remove (f->clock, f->chain_id);
  g_string_append (f->log, "remover ");
  return G_SOURCE_REMOVE;
}

static gboolean
must_not_run_cb (gpointer user_data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

static void
test_manual_remove_from_callback (void)
{
  Fixture f = { 0 };

  f.clock = saoma_clock_new_manual (0);
  f.log = g_string_new (NULL);

  saoma_clock_add_timeout (f.clock, 100, remove_other_cb, &f, NULL);
  f.chain_id = saoma_clock_add_timeout (f.clock, 200, must_not_run_cb, &f, NULL);
  saoma_clock_advance (f.clock, 1000 * 1000);
  g_assert_cmpstr (f.log->str, ==, "remover ");

  g_string_free (f.log, TRUE);
  g_object_unref (f.clock);
}

static void
test_manual_datetime (void)
{
  g_autoptr(SaomaClock) clock = saoma_clock_new_manual (G_GINT64_CONSTANT (1700000000123456));
  g_autoptr(GDateTime) dt = saoma_clock_now_datetime (clock);

  g_assert_cmpint (g_date_time_to_unix (dt), ==, 1700000000);
  g_assert_cmpint (g_date_time_get_microsecond (dt), ==, 123456);
  g_assert_cmpint (g_date_time_get_utc_offset (dt), ==, 0);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
fail_timeout_cb (gpointer user_data)
{
  g_error ("the default clock's timeout never fired");
  return G_SOURCE_REMOVE;
}

static void
test_default_clock (void)
{
  SaomaClock *clock = saoma_clock_get_default ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  int notified = 0;
  gint64 before, after;
  guint removed_id, guard;

  g_assert_true (clock == saoma_clock_get_default ());
  g_assert_false (saoma_clock_is_manual (clock));

  before = g_get_real_time ();
  g_assert_cmpint (saoma_clock_now (clock), >=, before);
  g_assert_cmpint (saoma_clock_now (clock) - before, <, G_USEC_PER_SEC);

  removed_id = saoma_clock_add_timeout (clock, 10, must_not_run_cb, &notified, count_notify_cb);
  saoma_clock_remove (clock, removed_id);
  g_assert_cmpint (notified, ==, 1);

  saoma_clock_add_timeout (clock, 50, quit_cb, loop, NULL);
  guard = g_timeout_add_seconds (10, fail_timeout_cb, NULL);
  g_main_loop_run (loop);
  after = g_get_real_time ();
  g_source_remove (guard);

  g_assert_cmpint (after - before, >=, 50 * 1000);
}

/* Timeouts go to the thread-default context of the thread that adds them. */
static gpointer
thread_default_worker (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);

  g_main_context_push_thread_default (context);
  saoma_clock_add_timeout (saoma_clock_get_default (), 5, quit_cb, loop, NULL);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);

  return GINT_TO_POINTER (TRUE);
}

static void
test_default_thread_context (void)
{
  GThread *thread = g_thread_new ("clock-test", thread_default_worker, NULL);

  g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/clock/manual/order", test_manual_order);
  g_test_add_func ("/clock/manual/remove", test_manual_remove);
  g_test_add_func ("/clock/manual/chain", test_manual_chain);
  g_test_add_func ("/clock/manual/remove-from-callback", test_manual_remove_from_callback);
  g_test_add_func ("/clock/manual/datetime", test_manual_datetime);
  g_test_add_func ("/clock/default/timeout", test_default_clock);
  g_test_add_func ("/clock/default/thread-context", test_default_thread_context);

  return g_test_run ();
}
