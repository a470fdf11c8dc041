/* bench-ui.c: the cashier window's numbers (prints them; not a pass/fail test).
 *
 * 1. Cold start to first frame: the real saoma binary (SAOMA_BENCH=1 prints the
 *    CLOCK_MONOTONIC time of its first GdkFrameClock::after-paint), median of 10 launches.
 * 2. Enter-to-QR-drawn: 50 sales typed with xdotool into the real binary in demo mode (local
 *    wxpay-sim); the app stamps the Enter handler and the first frame painted with the new QR.
 * 3. RSS of the idle application.
 * 4. RSS with a 1,000,000-attempt history (generated with saoma_ledger_insert_many_sync in a
 *    child process) shown in the real history page and scrolled end to end.
 *
 * Needs an X display (run under xvfb-run); GSK_RENDERER=cairo unless set.
 * usage: bench-ui [--rows N] [--sales N]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/saoma-ledger.h"
#include "saoma-application.h"
#include "saoma-history-page.h"

static char *tmp_root;

static int
cmp_int64 (gconstpointer a,
           gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
median (GArray *values)
{
  g_array_sort (values, cmp_int64);
  return g_array_index (values, gint64, values->len / 2);
}

static gint64
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  line = strstr (contents, "VmRSS:");
  return line ? g_ascii_strtoll (line + 6, NULL, 10) : -1;
}

static GSubprocessLauncher *
app_launcher (const char *data_home)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *config = g_build_filename (tmp_root, "config", NULL);

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", BUILD_DIR "/data", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", "cairo", FALSE);
  g_subprocess_launcher_setenv (launcher, "SAOMA_BENCH", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "SAOMA_DEBUG_PRINT_SIM_URL", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "en", TRUE);

  return launcher;
}

/* Reads stdout lines until one starts with @prefix; returns the rest of that line. */
static char *
read_until (GDataInputStream *in,
            const char       *prefix)
{
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);

      if (line == NULL)
        return NULL;
      if (g_str_has_prefix (line, prefix))
        return g_strdup (line + strlen (prefix));
    }
}

static void
stop_app (GSubprocess *app)
{
  g_subprocess_send_signal (app, SIGTERM);
  g_subprocess_wait (app, NULL, NULL);
}

static void
xdotool (const char *args)
{
  g_autofree char *cmd = g_strdup_printf ("xdotool %s", args);

  if (!g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL))
    g_error ("cannot run %s", cmd);
}

static void
bench_cold_start (const char *self_path)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) floor_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 med;

  for (int i = 0; i < 10; i++)
    {
      g_autofree char *data_home = g_build_filename (tmp_root, "cold", NULL);
      g_autoptr(GSubprocessLauncher) launcher = app_launcher (data_home);
      g_autoptr(GSubprocess) bare = NULL;
      g_autoptr(GDataInputStream) in = NULL;
      g_autofree char *stamp = NULL;
      g_autoptr(GError) error = NULL;
      gint64 t0, dt;

      t0 = g_get_monotonic_time ();
      bare = g_subprocess_launcher_spawn (launcher, &error, self_path, "--hello", NULL);
      g_assert_no_error (error);
      in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bare));
      stamp = read_until (in, "SAOMA_FIRST_FRAME ");
      g_assert_nonnull (stamp);
      dt = g_ascii_strtoll (stamp, NULL, 10) - t0;
      g_array_append_val (floor_times, dt);
      g_subprocess_wait (bare, NULL, NULL);
    }
  med = median (floor_times);
  g_print ("bare GTK window (floor):    median %.1f ms of 10 (min %.1f, max %.1f)\n",
           med / 1e3, g_array_index (floor_times, gint64, 0) / 1e3,
           g_array_index (floor_times, gint64, floor_times->len - 1) / 1e3);

  for (int i = 0; i < 10; i++)
    {
      g_autofree char *data_home = g_build_filename (tmp_root, "cold", NULL);
      g_autoptr(GSubprocessLauncher) launcher = app_launcher (data_home);
      g_autoptr(GSubprocess) app = NULL;
      g_autoptr(GDataInputStream) in = NULL;
      g_autofree char *stamp = NULL;
      g_autoptr(GError) error = NULL;
      gint64 t0, dt;

      t0 = g_get_monotonic_time ();
      app = g_subprocess_launcher_spawn (launcher, &error, BUILD_DIR "/src/app/saoma", NULL);
      g_assert_no_error (error);
      in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app));
      stamp = read_until (in, "SAOMA_FIRST_FRAME ");
      g_assert_nonnull (stamp);
      dt = g_ascii_strtoll (stamp, NULL, 10) - t0;
      g_array_append_val (times, dt);
      stop_app (app);
    }

  med = median (times);
  g_print ("cold start to first frame:  median %.1f ms of 10 (min %.1f, max %.1f; renderer %s)\n",
           med / 1e3, g_array_index (times, gint64, 0) / 1e3,
           g_array_index (times, gint64, times->len - 1) / 1e3,
           g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default");
}

static void
bench_enter_to_qr (int sales)
{
  g_autofree char *data_home = g_build_filename (tmp_root, "sales", NULL);
  g_autoptr(GSubprocessLauncher) launcher = app_launcher (data_home);
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  g_autofree char *sim = NULL;
  g_autofree char *first = NULL;
  gint64 worst = 0, idle_rss, busy_rss, med;
  GPid pid;

  app = g_subprocess_launcher_spawn (launcher, &error, BUILD_DIR "/src/app/saoma", NULL);
  g_assert_no_error (error);
  pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (app), NULL, 10);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app));
  /* Both lines come, in either order. */
  while (first == NULL || sim == NULL)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);

      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "SAOMA_FIRST_FRAME "))
        first = g_strdup (line);
      else if (g_str_has_prefix (line, "SAOMA_SIM_URL="))
        sim = g_strdup (line);
    }

  /* Let the ledger and the engine settle, then measure the idle process. */
  g_usleep (2 * G_USEC_PER_SEC);
  idle_rss = rss_kib (pid);
  g_print ("RSS idle (demo mode):       %.1f MiB\n", idle_rss / 1024.0);

  xdotool ("search --sync --onlyvisible --name \"Saoma Cashier\" windowfocus --sync");

  for (int i = 0; i < sales; i++)
    {
      g_autofree char *charge = NULL;
      g_autofree char *drawn = NULL;
      g_autofree char *amount = g_strdup_printf ("key ctrl+a type %d.%02d", 1 + i, i % 100);
      gint64 dt;

      xdotool (amount);
      xdotool ("key Return");
      charge = read_until (in, "SAOMA_CHARGE ");
      drawn = read_until (in, "SAOMA_QR_DRAWN ");
      g_assert_nonnull (charge);
      g_assert_nonnull (drawn);
      dt = g_ascii_strtoll (drawn, NULL, 10) - g_ascii_strtoll (charge, NULL, 10);
      g_array_append_val (latencies, dt);
      worst = MAX (worst, dt);
      /* Cancel: the attempt is watched in the background and the next sale may start. */
      xdotool ("key Escape");
    }

  busy_rss = rss_kib (pid);
  med = median (latencies);
  g_print ("Enter to QR drawn:          median %.1f ms, worst %.1f ms (%d sales, local wxpay-sim)\n",
           med / 1e3, worst / 1e3, sales);
  g_print ("RSS after %d sales:         %.1f MiB\n", sales, busy_rss / 1024.0);
  stop_app (app);
}

/* --generate PATH ROWS: a ledger of ROWS attempts on today's local date. */
static int
generate (const char *path,
          gint64      rows)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);
  gint64 day_start = g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
  static const SaomaAttemptState states[] = {
    SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_CLOSED,
    SAOMA_ATTEMPT_FAILED, SAOMA_ATTEMPT_REFUNDED,
  };
  gint64 t0 = g_get_monotonic_time ();

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  for (gint64 done = 0; done < rows;)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (int i = 0; i < 50000 && done < rows; i++, done++)
        {
          g_autofree char *no = g_strdup_printf ("T01B%012" G_GINT64_FORMAT, done);
          g_autofree char *tx = g_strdup_printf ("42000%015" G_GINT64_FORMAT, done);
          SaomaAttemptState state = states[done % G_N_ELEMENTS (states)];
          gint64 created = day_start + done * (86400 * (gint64) G_USEC_PER_SEC / rows);

          g_ptr_array_add (batch, saoma_attempt_new_full (0, no, 100 + done % 100000, "bench",
                                                          "T01", created, created,
                                                          created + 300 * G_USEC_PER_SEC, state,
                                                          state == SAOMA_ATTEMPT_PAID ? tx : NULL,
                                                          NULL, 0, 0, FALSE));
        }
      if (!saoma_ledger_insert_many_sync (ledger, batch, &error))
        g_error ("%s", error->message);
    }

  g_print ("generated %" G_GINT64_FORMAT " attempts in %.1f s\n", rows,
           (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static void
wait_for_paint (GtkWidget *widget)
{
  static gboolean painted;
  static gulong handler;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  if (handler == 0)
    handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  painted = FALSE;
  gtk_widget_queue_draw (widget);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
}

/* --scroll PATH: the real history page over PATH, scrolled from top to bottom. */
static int
scroll (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  GtkWidget *window, *page, *view, *scrolled;
  GtkAdjustment *adj;
  GListModel *model;
  gint64 t0, t_open, rss_open, t_ledger, t_model;
  int steps = 1000;

  if (!gtk_init_check ())
    return 77;
  adw_init ();
  saoma_application_register_resources ();
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), ({
    GtkCssProvider *css = gtk_css_provider_new ();
    gtk_css_provider_load_from_resource (css, "/io/github/saoma/Cashier/style.css");
    GTK_STYLE_PROVIDER (css); }), GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  t0 = g_get_monotonic_time ();
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  t_ledger = g_get_monotonic_time () - t0;
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  t_model = g_get_monotonic_time ();
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), NULL);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  t_model = g_get_monotonic_time () - t_model;
  gtk_window_present (GTK_WINDOW (window));
  while (gtk_widget_get_frame_clock (window) == NULL)
    g_main_context_iteration (NULL, TRUE);
  wait_for_paint (window);
  t_open = g_get_monotonic_time () - t0;
  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));
  rss_open = rss_kib (getpid ());

  view = saoma_history_page_get_column_view (SAOMA_HISTORY_PAGE (page));
  scrolled = gtk_widget_get_parent (view);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  t0 = g_get_monotonic_time ();
  for (int i = 1; i <= steps; i++)
    {
      double upper = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

      gtk_adjustment_set_value (adj, upper * i / steps);
      wait_for_paint (window);
    }
  /* The very end, wherever the estimate put it. */
  for (int i = 0; i < 5; i++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      wait_for_paint (window);
    }

  g_print ("history of %u attempts:  open to first frame %.1f ms (ledger open %.1f ms, "
           "model and count %.1f ms), RSS %.1f MiB\n",
           g_list_model_get_n_items (model), t_open / 1e3, t_ledger / 1e3, t_model / 1e3,
           rss_open / 1024.0);
  g_print ("scrolled end to end:        %d frames in %.1f s, RSS after %.1f MiB\n", steps + 5,
           (g_get_monotonic_time () - t0) / 1e6, rss_kib (getpid ()) / 1024.0);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

static void
hello_painted_cb (GdkFrameClock *clock,
                  gpointer       user_data)
{
  g_print ("SAOMA_FIRST_FRAME %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  exit (0);
}

static void
hello_realize_cb (GtkWidget *widget)
{
  g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                    G_CALLBACK (hello_painted_cb), NULL);
}

/* --hello: a bare GtkWindow with a label, the floor for cold start on this machine. */
static int
hello (void)
{
  GtkWidget *window;

  if (!gtk_init_check ())
    return 77;
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), gtk_label_new ("Hello"));
  g_signal_connect_after (window, "realize", G_CALLBACK (hello_realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

static void
run_self (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_subprocess_wait_check (child, NULL, &error);
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *rows_text = NULL;
  g_autofree char *db = NULL;
  gint64 rows = 1000000;
  int sales = 50;

  if (argc == 4 && strcmp (argv[1], "--generate") == 0)
    return generate (argv[2], g_ascii_strtoll (argv[3], NULL, 10));
  if (argc == 3 && strcmp (argv[1], "--scroll") == 0)
    return scroll (argv[2]);
  if (argc == 2 && strcmp (argv[1], "--hello") == 0)
    return hello ();

  for (int i = 1; i + 1 < argc; i++)
    {
      if (strcmp (argv[i], "--rows") == 0)
        rows = g_ascii_strtoll (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--sales") == 0)
        sales = atoi (argv[++i]);
    }

  if (g_getenv ("DISPLAY") == NULL)
    {
      g_print ("bench-ui: skipped (no X display; run under xvfb-run)\n");
      return 0;
    }
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  tmp_root = g_dir_make_tmp ("saoma-bench-ui-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);

  bench_cold_start (argv[0]);
  bench_enter_to_qr (sales);

  /* The 1M ledger is generated once per build tree (it takes a while) and reused. */
  db = g_strdup_printf ("%s/tests/bench/bench-ui-%" G_GINT64_FORMAT ".db", BUILD_DIR, rows);
  rows_text = g_strdup_printf ("%" G_GINT64_FORMAT, rows);
  if (!g_file_test (db, G_FILE_TEST_EXISTS))
    run_self ((const char * const[]) { argv[0], "--generate", db, rows_text, NULL });
  run_self ((const char * const[]) { argv[0], "--scroll", db, NULL });

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp_root);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return 0;
}
