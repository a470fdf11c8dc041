/* bench-ui.c: the cashier window's numbers (prints them; not a pass/fail test).
 *
 * 1. Cold start to first frame: the real saoma binary (SAOMA_BENCH=1 prints the
 *    CLOCK_MONOTONIC time of its first GdkFrameClock::after-paint), median of 10 launches,
 *    interleaved with its floors: a bare GTK 4 window and a minimal AdwApplication window, both
 *    opened at the size Saoma's window opens at (1100×720), so they paint as many pixels
 *    (peers/peer-gtk-window.c, peers/peer-adw-window.c).
 * 2. Enter-to-QR-drawn: 50 sales typed with xdotool into the real binary in demo mode (local
 *    wxpay-sim); the app stamps the Enter handler, every stage of the path (SAOMA_STAGE lines,
 *    src/core/saoma-bench-stamp.c) and the first frame painted with the new QR. Beside it, the
 *    seed tutorial's Python create + QR PNG path (peers/seed-create-qr.py) against the same
 *    simulator.
 * 3. Paid-to-shown on the notification path: each of those sales is paid through the
 *    simulator's control API; from the verified orderquery answer to the frame painted with the
 *    paid page.
 * 4. RSS of the idle application.
 * 5. A 1,000,000-attempt history (generated with saoma_ledger_insert_many_sync in a child
 *    process): the real history page's first frame (median of 5 processes) beside the
 *    ledger-level open + count, then scrolled end to end with its RSS.
 *
 * Every headline figure is also printed as a TABLE line for `build-aux/dev bench`.
 * Needs an X display (run under xvfb-run); GSK_RENDERER=cairo unless set.
 * usage: bench-ui [--rows N] [--sales N] [--only cold|qr|history] [--api v2|v3]
 * (--only runs one part, to compare a change before/after in the same minute; Enter → QR runs
 * the demo on API v2, the seed's protocol, then on v3 (RSA), unless --api picks one).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sqlite3.h>
#include <time.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-ledger-model.h"
#include "saoma-application.h"
#include "saoma-history-page.h"

static char *tmp_root;
static gint64 idle_rss_kib;
/* The seed's create + QR PNG, measured once (v2, its protocol) and set beside both rows. */
static gint64 seed_med = -1;
static gint64 seed_worst;
static char *seed_why;

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
  /* Stage stamps go to stderr, unbuffered: one pipe keeps them in order with stdout's lines. */
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDERR_MERGE);
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

/* Cold start by stage: the stamps of src/app/main.c and saoma-application.c; the peers stamp
 * the stages they have (a stage a program does not stamp counts in its next one). "layout done"
 * and "paint done" are the ends of the first frame's phases (stamped after GTK's own handlers). */
static const char *const start_stages[] = {
  "main", "startup", "adw-startup-done", "activate", "window-built", "realized", "presented",
  "first-layout", "first-paint", "first-frame",
};
static const char *const start_stage_names[] = {
  "spawn → main()",
  "→ GApplication startup",
  "→ AdwApplication startup done",
  "→ activate",
  "→ window built",
  "→ window realized",
  "→ present() returned",
  "→ first frame: layout done",
  "→ first frame: paint done",
  "→ first frame painted (after-paint)",
};

static void read_stages     (GDataInputStream   *in,
                             const char         *end_prefix,
                             const char * const *stages,
                             guint               n_stages,
                             gint64             *at,
                             const char         *want,
                             char              **want_detail);
static void print_stages    (const char * const *names,
                             GArray            **per_stage,
                             guint               n_stages);
static void add_stage_times (GArray       **per_stage,
                             const gint64  *at,
                             guint          n_stages,
                             gint64         start);

/* Launches @program and returns the µs from spawn to its first painted frame; with @per_stage,
 * also the time of each of start_stages; in @cpu_us, the CPU time of all its threads by then
 * (its own "first-frame-cpu" stamp), which the load of a shared machine does not inflate. */
static gint64
time_first_frame (const char *program,
                  GArray    **per_stage,
                  gint64     *cpu_us)
{
  g_autofree char *data_home = g_build_filename (tmp_root, "cold", NULL);
  g_autoptr(GSubprocessLauncher) launcher = app_launcher (data_home);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cpu = NULL;
  gint64 at[G_N_ELEMENTS (start_stages)];
  gint64 t0;

  t0 = g_get_monotonic_time ();
  child = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  read_stages (in, "SAOMA_FIRST_FRAME ", start_stages, G_N_ELEMENTS (start_stages), at,
               "first-frame-cpu", &cpu);
  stop_app (child);
  g_assert_nonnull (cpu);
  *cpu_us = g_ascii_strtoll (cpu, NULL, 10);
  if (per_stage != NULL)
    add_stage_times (per_stage, at, G_N_ELEMENTS (start_stages), t0);
  return at[G_N_ELEMENTS (start_stages) - 1] - t0;
}

static void
print_spread (const char *what,
              GArray     *times)
{
  gint64 med = median (times);

  g_print ("%-32s median %.1f ms of %u (min %.1f, max %.1f)\n", what, med / 1e3, times->len,
           g_array_index (times, gint64, 0) / 1e3,
           g_array_index (times, gint64, times->len - 1) / 1e3);
}

#define COLD_RUNS 20

static void
bench_cold_start (void)
{
  /* Wall time and CPU time to the first frame: Saoma, the bare GTK window, the Adw window. */
  const char *const programs[] = {
    BUILD_DIR "/src/app/saoma",
    BUILD_DIR "/tests/bench/peer-gtk-window",
    BUILD_DIR "/tests/bench/peer-adw-window",
  };
  const char *const names[] = { "cold start to first frame:", "bare GTK 4 window:",
                                "AdwApplication window:" };
  GArray *wall[G_N_ELEMENTS (programs)], *cpu[G_N_ELEMENTS (programs)];
  GArray *per_stage[G_N_ELEMENTS (programs)][G_N_ELEMENTS (start_stages)];
  gint64 med[G_N_ELEMENTS (programs)], cpu_med[G_N_ELEMENTS (programs)];

  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (start_stages); i++)
        per_stage[p][i] = g_array_new (FALSE, FALSE, sizeof (gint64));
      wall[p] = g_array_new (FALSE, FALSE, sizeof (gint64));
      cpu[p] = g_array_new (FALSE, FALSE, sizeof (gint64));
    }

  /* Interleaved: a busy spell of the shared machine hits the three alike. */
  for (int i = 0; i < COLD_RUNS; i++)
    for (guint p = G_N_ELEMENTS (programs); p-- > 0;)
      {
        gint64 cpu_us = 0;
        gint64 dt = time_first_frame (programs[p], per_stage[p], &cpu_us);

        g_array_append_val (wall[p], dt);
        g_array_append_val (cpu[p], cpu_us);
      }

  for (guint p = G_N_ELEMENTS (programs); p-- > 0;)
    {
      g_autofree char *what = g_strdup_printf ("%s CPU", names[p]);

      print_spread (names[p], wall[p]);
      print_spread (what, cpu[p]);
      med[p] = median (wall[p]);
      cpu_med[p] = median (cpu[p]);
    }
  /* Stage by stage beside the peers: what Saoma adds is in its own stages. */
  g_print ("    %-40s %9s %9s %9s\n", "median ms per stage", "Saoma", "Adw peer", "GTK peer");
  for (guint i = 0; i < G_N_ELEMENTS (start_stages); i++)
    {
      g_print ("    %-40s", start_stage_names[i]);
      for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
        {
          guint q = p == 0 ? 0 : G_N_ELEMENTS (programs) - p; /* Saoma, Adw, GTK */

          if (per_stage[q][i]->len == 0)
            g_print (" %9s", "-");
          else
            g_print (" %9.2f", median (per_stage[q][i]) / 1e3);
        }
      g_print ("\n");
    }
  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (start_stages); i++)
        g_array_unref (per_stage[p][i]);
      g_array_unref (wall[p]);
      g_array_unref (cpu[p]);
    }
  g_print ("  (renderer %s)\n", g_getenv ("GSK_RENDERER"));
  g_print ("TABLE\tcold start to first frame (median of %d)\t%.0f ms\tbare GTK 4 window, same "
           "size: %.0f ms\t%.2f×\t≤ 1.5×\n", COLD_RUNS, med[0] / 1e3, med[1] / 1e3,
           (double) med[0] / med[1]);
  g_print ("TABLE\tcold start to first frame (median of %d)\t%.0f ms\tminimal AdwApplication "
           "window, same size: %.0f ms\t%.2f×\t-\n", COLD_RUNS, med[0] / 1e3, med[2] / 1e3,
           (double) med[0] / med[2]);
  /* The CPU all threads spent by the first frame: the same start without the machine's load. */
  g_print ("TABLE\tcold start, CPU time to first frame (median of %d)\t%.0f ms\tbare GTK 4 "
           "window, same size: %.0f ms\t%.2f×\t-\n", COLD_RUNS, cpu_med[0] / 1e3,
           cpu_med[1] / 1e3, (double) cpu_med[0] / cpu_med[1]);
  g_print ("TABLE\tcold start, CPU time to first frame (median of %d)\t%.0f ms\tminimal "
           "AdwApplication window, same size: %.0f ms\t%.2f×\t-\n", COLD_RUNS, cpu_med[0] / 1e3,
           cpu_med[2] / 1e3, (double) cpu_med[0] / cpu_med[2]);
}

/* The stages of Enter → QR drawn, in the order they happen; each is timed from the one before.
 * "SUBMITTED" is the ledger write of that state becoming durable. WAITING's write is queued with
 * the verified answer and lands beside the drawing, off this path (DESIGN.md, "When the
 * code_url is shown"). */
static const char *const qr_stages[] = {
  "inserted", "SUBMITTED", "sent", "verified", "qr-set", "frame-start",
  "layout-start", "paint-start", "drawn",
};
static const char *const qr_stage_names[] = {
  "Enter → attempt inserted (durable)",
  "→ SUBMITTED written (durable)",
  "→ unifiedorder signed, handed to libsoup",
  "→ answer received and verified",
  "→ QR set on the view (WAITING queued)",
  "→ next frame starts (frame clock wait)",
  "→ update phase done (tick callbacks)",
  "→ layout done, paint starts",
  "→ frame with the QR painted",
};

/* Paid → shown: from the verified orderquery answer to the painted paid page. */
static const char *const paid_stages[] = {
  "paid-verified", "PAID", "paid-shown", "frame-start", "layout-start", "paint-start", "drawn",
};
static const char *const paid_stage_names[] = {
  "answer verified (paid)",
  "→ PAID written (durable)",
  "→ paid page set",
  "→ next frame starts (frame clock wait)",
  "→ update phase done (tick callbacks)",
  "→ layout done, paint starts",
  "→ frame with it painted",
};

/* Reads lines until @end_prefix; stores the time of each of @stages (SAOMA_STAGE lines, first
 * occurrence; the last stage is @end_prefix itself) in @at. Returns the detail of @want (the
 * out_trade_no a stage carries) when asked. */
static void
read_stages (GDataInputStream   *in,
             const char         *end_prefix,
             const char * const *stages,
             guint               n_stages,
             gint64             *at,
             const char         *want,
             char              **want_detail)
{
  for (guint i = 0; i < n_stages; i++)
    at[i] = 0;
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);
      g_auto(GStrv) f = NULL;

      g_assert_nonnull (line);
      if (g_str_has_prefix (line, end_prefix))
        {
          at[n_stages - 1] = g_ascii_strtoll (line + strlen (end_prefix), NULL, 10);
          return;
        }
      if (!g_str_has_prefix (line, "SAOMA_STAGE "))
        continue;
      f = g_strsplit (line + strlen ("SAOMA_STAGE "), " ", 3);
      if (g_strv_length (f) < 2)
        continue;
      for (guint i = 0; i + 1 < n_stages; i++)
        if (at[i] == 0 && strcmp (f[0], stages[i]) == 0)
          at[i] = g_ascii_strtoll (f[1], NULL, 10);
      if (want != NULL && want_detail != NULL && *want_detail == NULL &&
          strcmp (f[0], want) == 0 && f[2] != NULL)
        *want_detail = g_strdup (f[2]);
    }
}

/* Adds each stage's time since the previous one (the first: since @start) to @per_stage. A
 * stage that did not print (0) gets no sample and its time goes to the next one. */
static void
add_stage_times (GArray       **per_stage,
                 const gint64  *at,
                 guint          n_stages,
                 gint64         start)
{
  gint64 prev = start;

  for (guint i = 0; i < n_stages; i++)
    {
      if (at[i] == 0)
        continue;
      {
        gint64 dt = at[i] - prev;

        g_array_append_val (per_stage[i], dt);
        prev = at[i];
      }
    }
}

static void
print_stages (const char * const *names,
              GArray            **per_stage,
              guint               n_stages)
{
  for (guint i = 0; i < n_stages; i++)
    {
      if (per_stage[i]->len == 0)
        {
          g_print ("    %-40s (no stamp)\n", names[i]);
          continue;
        }
      g_print ("    %-40s median %6.2f ms  (%u samples)\n", names[i],
               median (per_stage[i]) / 1e3, per_stage[i]->len);
    }
}

static void
sim_pay (SoupSession *session,
         const char  *sim_url,
         const char  *out_trade_no)
{
  g_autofree char *uri = g_strdup_printf ("%s/sim/orders/%s/pay", sim_url, out_trade_no);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    g_error ("%s: HTTP %u", uri, soup_message_get_status (msg));
}

/* The seed tutorial's create + QR PNG (peers/seed-create-qr.py) against @sim_url: the median
 * in µs, or -1 with *@why. */
static gint64
seed_peer (const char *sim_url,
           const char *merchant_ini,
           int         sales,
           gint64     *worst,
           char      **why)
{
  g_autofree char *dir = g_build_filename (tmp_root, "seed", NULL);
  g_autofree char *count = g_strdup_printf ("%d", sales);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) peer = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;

  g_mkdir_with_parents (dir, 0700);
  peer = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, "/usr/bin/python3",
                           BUILD_SRCDIR "/tests/bench/peers/seed-create-qr.py", sim_url, count,
                           dir, merchant_ini, NULL);
  if (peer == NULL || !g_subprocess_communicate_utf8 (peer, NULL, NULL, &out, &err, &error))
    {
      *why = g_strdup_printf ("skipped: %s", error->message);
      return -1;
    }
  line = out ? strstr (out, "PEER_SEED_CREATE_QR ") : NULL;
  if (line == NULL)
    {
      const char *missing = err ? g_strrstr (err, "No module named ") : NULL;

      if (missing != NULL)
        {
          g_autofree char *module = g_strndup (missing + strlen ("No module named "),
                                               strcspn (missing + strlen ("No module named "),
                                                        "\n"));
          *why = g_strdup_printf ("skipped: Python module %s missing (Debian python3-requests "
                                  "python3-bs4 python3-lxml python3-qrcode python3-pil)", module);
        }
      else
        *why = g_strdup_printf ("skipped: the seed's code failed (%s)",
                                err && *err ? g_strstrip (err) : "no output");
      return -1;
    }
  line += strlen ("PEER_SEED_CREATE_QR ");
  {
    char *end = NULL;
    double med = g_ascii_strtod (line, &end);

    *worst = (gint64) (g_ascii_strtod (end, NULL) * 1e3);
    return (gint64) (med * 1e3);
  }
}

/* The cashier presses Enter this long after the amount is typed. xdotool types it a few
 * milliseconds before its Enter, which no cashier does: the frame showing the last digit then
 * came just before Enter, and GTK starts no frame sooner than 16.7 ms after the one before, so
 * the QR's frame waited for typing, not for the sale. Long enough for the scan capture to hand
 * fast keys to the field (they could be a scanner's: 150 ms) and for that frame to be drawn. */
#define ENTER_AFTER_TYPING_MS 250

/* The customer pays this long after the QR's frame. The bench paid within a millisecond of it,
 * which no customer can (scanning takes seconds): the frames that follow a new code at once
 * (WAITING written, the countdown's first second) were then still pacing the frame clock, and
 * the paid page's frame waited up to 16.7 ms for them, not for the payment. */
#define CUSTOMER_SCAN_MS 300

/* Enter → QR drawn and paid → shown with the demo speaking @api ("v2" or "v3", the setting
 * demo-api-version, written to a keyfile backend of this run's own). */
static void
bench_enter_to_qr (int         sales,
                   const char *api)
{
  g_autofree char *data_home = g_strdup_printf ("%s/sales-%s", tmp_root, api);
  g_autofree char *config = g_strdup_printf ("%s/config-%s", tmp_root, api);
  g_autofree char *keyfile_dir = g_build_filename (config, "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (keyfile_dir, "keyfile", NULL);
  g_autofree char *settings = g_strdup_printf ("[io/github/saoma/Cashier]\n"
                                               "demo-api-version='%s'\n", api);
  g_autoptr(GSubprocessLauncher) launcher = app_launcher (data_home);
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) paid_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) settled = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) frames_before = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  GArray *qr_per_stage[G_N_ELEMENTS (qr_stages)];
  GArray *paid_per_stage[G_N_ELEMENTS (paid_stages)];
  g_autofree char *sim = NULL;
  g_autofree char *first = NULL;
  gint64 worst = 0, paid_worst = 0, idle_rss, busy_rss, med, paid_med;
  const char *sim_url;
  const char *goal;
  int n_notified = 0;
  GPid pid;

  g_mkdir_with_parents (keyfile_dir, 0700);
  if (!g_file_set_contents (keyfile, settings, -1, &error))
    g_error ("%s", error->message);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_print ("--- the demo on API %s ---\n", api);

  for (guint i = 0; i < G_N_ELEMENTS (qr_stages); i++)
    qr_per_stage[i] = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < G_N_ELEMENTS (paid_stages); i++)
    paid_per_stage[i] = g_array_new (FALSE, FALSE, sizeof (gint64));

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
  sim_url = sim + strlen ("SAOMA_SIM_URL=");

  /* Let the ledger and the engine settle, then measure the idle process. */
  g_usleep (2 * G_USEC_PER_SEC);
  idle_rss = rss_kib (pid);
  g_print ("RSS idle (demo mode, API %s): %.1f MiB\n", api, idle_rss / 1024.0);

  xdotool ("search --sync --onlyvisible --name \"Saoma Cashier\" windowfocus --sync");

  for (int i = 0; i < sales; i++)
    {
      g_autofree char *charge = NULL;
      g_autofree char *out_trade_no = NULL;
      g_autofree char *amount = g_strdup_printf ("key ctrl+a type %d.%02d", 1 + i, i % 100);
      gint64 qr_at[G_N_ELEMENTS (qr_stages)];
      gint64 paid_at[G_N_ELEMENTS (paid_stages)];
      gint64 enter, dt;

      xdotool (amount);
      g_usleep (ENTER_AFTER_TYPING_MS * 1000);
      xdotool ("key Return");
      charge = read_until (in, "SAOMA_CHARGE ");
      g_assert_nonnull (charge);
      enter = g_ascii_strtoll (charge, NULL, 10);
      read_stages (in, "SAOMA_QR_DRAWN ", qr_stages, G_N_ELEMENTS (qr_stages), qr_at, "sent",
                   &out_trade_no);
      g_assert_nonnull (out_trade_no);
      add_stage_times (qr_per_stage, qr_at, G_N_ELEMENTS (qr_stages), enter);
      dt = qr_at[G_N_ELEMENTS (qr_stages) - 1] - enter;
      g_array_append_val (latencies, dt);
      worst = MAX (worst, dt);
      /* When the sale is fully shown: the code's texts, drawn in the frame after the code's
       * (saoma-window.c, code_first(); printed, no TABLE row of its own). On the way, the frames the window
       * painted between Enter and the QR's: none while the answer is quick (the QR's frame is
       * the sale's first; saoma-window.c, quiet_while_preparing()). */
      {
        g_autofree char *stamp = NULL;

        while (stamp == NULL)
          {
            g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);

            g_assert_nonnull (line);
            if (g_str_has_prefix (line, "SAOMA_STAGE qr-settled "))
              stamp = g_strdup (line + strlen ("SAOMA_STAGE qr-settled "));
            else if (g_str_has_prefix (line, "SAOMA_STAGE frames-before-qr "))
              {
                const char *n = strrchr (line, ' ');
                gint64 frames = g_ascii_strtoll (n + 1, NULL, 10);

                g_array_append_val (frames_before, frames);
              }
          }
        dt = g_ascii_strtoll (stamp, NULL, 10) - enter;
        g_array_append_val (settled, dt);
      }

      /* The customer pays: the simulator notifies the till, which confirms with orderquery
       * and shows the paid page; then the next sale starts from that page, as at a counter. */
      g_usleep (CUSTOMER_SCAN_MS * 1000);
      sim_pay (session, sim_url, out_trade_no);
      {
        g_autofree char *notified = NULL;

        read_stages (in, "SAOMA_PAID_DRAWN ", paid_stages, G_N_ELEMENTS (paid_stages), paid_at,
                     "notified", &notified);
        n_notified += notified != NULL;
      }
      g_assert_cmpint (paid_at[0], >, 0);
      add_stage_times (paid_per_stage, paid_at, G_N_ELEMENTS (paid_stages), paid_at[0]);
      dt = paid_at[G_N_ELEMENTS (paid_stages) - 1] - paid_at[0];
      g_array_append_val (paid_latencies, dt);
      paid_worst = MAX (paid_worst, dt);
    }

  busy_rss = rss_kib (pid);
  med = median (latencies);
  paid_med = median (paid_latencies);
  g_print ("Enter to QR drawn:          median %.1f ms, worst %.1f ms (%d sales, local wxpay-sim)\n",
           med / 1e3, worst / 1e3, sales);
  g_print ("  by stage (median of each stage's own time; medians do not add up exactly):\n");
  print_stages (qr_stage_names, qr_per_stage, G_N_ELEMENTS (qr_stages));
  g_print ("Enter to QR and its texts:  median %.1f ms (the status, amount, order and countdown "
           "follow the code by one frame)\n", median (settled) / 1e3);
  {
    guint none = 0;
    gint64 most = 0;

    for (guint i = 0; i < frames_before->len; i++)
      {
        none += g_array_index (frames_before, gint64, i) == 0;
        most = MAX (most, g_array_index (frames_before, gint64, i));
      }
    if (frames_before->len > 0)
      g_print ("Frames before the QR's:     none in %u of %u sales, at most %" G_GINT64_FORMAT
               " (Enter %d ms after the amount is typed)\n", none, frames_before->len, most,
               ENTER_AFTER_TYPING_MS);
    else
      g_print ("Frames before the QR's:     not stamped by this build (Enter %d ms after the "
               "amount is typed)\n", ENTER_AFTER_TYPING_MS);
  }
  g_print ("Paid to shown:              median %.1f ms, worst %.1f ms (%d payments, each %d ms "
           "after its QR's frame; %d of them announced by the notification, the others found by "
           "polling first)\n", paid_med / 1e3, paid_worst / 1e3, sales, CUSTOMER_SCAN_MS,
           n_notified);
  print_stages (paid_stage_names + 1, paid_per_stage + 1, G_N_ELEMENTS (paid_stages) - 1);
  g_print ("RSS after %d sales:         %.1f MiB\n", sales, busy_rss / 1024.0);

  /* The seed's path against the same simulator, while the till sits idle: once, in the run
   * that speaks its protocol (v2), or in the only run there is. The demo merchant is the one
   * the app's simulator made for itself (wxpay-sim --credentials-dir). */
  if (seed_med < 0 && seed_why == NULL)
    {
      g_autofree char *merchant_ini = g_build_filename (data_home, "saoma", "demo-merchant",
                                                        "merchant.ini", NULL);

      seed_med = seed_peer (sim_url, merchant_ini, sales, &seed_worst, &seed_why);
      if (seed_med > 0)
        g_print ("seed Python create + QR PNG: median %.1f ms, worst %.1f ms (%d sales)\n",
                 seed_med / 1e3, seed_worst / 1e3, sales);
    }
  /* The seed speaks v2 only: beside v3 (RSA both ways) its figure is a reference, not a goal. */
  goal = strcmp (api, "v3") == 0 ? "≤ 12 ms (the seed has no v3 path)" : "≤ 12 ms, ≤ 1× the seed";
  if (seed_med > 0)
    g_print ("TABLE\tEnter → QR drawn, demo on API %s%s (median of %d sales)\t%.1f ms\tseed's "
             "Python create + QR PNG (requests, bs4, qrcode; API v2): %.1f ms\t%.2f×\t%s\n",
             api, strcmp (api, "v3") == 0 ? ", RSA" : "", sales, med / 1e3, seed_med / 1e3,
             (double) med / seed_med, goal);
  else
    g_print ("TABLE\tEnter → QR drawn, demo on API %s%s (median of %d sales)\t%.1f ms\tseed's "
             "Python create + QR PNG: %s\t-\t%s\n", api, strcmp (api, "v3") == 0 ? ", RSA" : "",
             sales, med / 1e3, seed_why, goal);
  g_print ("TABLE\tpaid → shown, notification path, API %s (median of %d payments)\t%.1f ms "
           "(worst %.1f)\t-\t-\t≤ one frame (16.7 ms)\n", api, sales, paid_med / 1e3,
           paid_worst / 1e3);
  /* The idle figure of the default protocol (v3), or of the only run there is. */
  if (strcmp (api, "v3") == 0 || idle_rss_kib == 0)
    idle_rss_kib = idle_rss;
  if (strcmp (api, "v3") == 0)
    g_print ("TABLE\tRSS idle (demo mode)\t%.1f MiB\t-\t-\t-\n", idle_rss / 1024.0);

  stop_app (app);
  for (guint i = 0; i < G_N_ELEMENTS (qr_stages); i++)
    g_array_unref (qr_per_stage[i]);
  for (guint i = 0; i < G_N_ELEMENTS (paid_stages); i++)
    g_array_unref (paid_per_stage[i]);
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

/* CPU time (µs) of the calling thread (CLOCK_THREAD_CPUTIME_ID) or of the whole process: on a
 * shared machine it says what a stage costs, where the wall clock also says who else ran. */
static gint64
cpu_us (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The ledger-level floor of the history's first frame: open the ledger, make the model the
 * page uses and wait for its count (the store answers asynchronously), without any widget. */
static gint64
ledger_open_count (const char *path,
                   guint      *n_items,
                   gint64     *cpu)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaLedgerModel) model = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gint64 cpu0 = cpu_us (CLOCK_PROCESS_CPUTIME_ID);

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  model = saoma_ledger_model_new (ledger);
  while (saoma_ledger_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
  *n_items = g_list_model_get_n_items (G_LIST_MODEL (model));
  *cpu = cpu_us (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  return g_get_monotonic_time () - t0;
}

/* TRUE when the last frame painted showed the counted list with its rows (no placeholder
 * left): the model has nothing in flight. */
static gboolean
history_shown (GListModel *model,
               guint       n_items)
{
  return g_list_model_get_n_items (model) == n_items &&
         !saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model));
}

/* --open PATH / --scroll PATH: the real history page over PATH to its first frame (a
 * HISTORY_OPEN line for the parent), and with --scroll, scrolled from top to bottom. */
static int
scroll (const char *path,
        gboolean    do_scroll)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  GtkWidget *window, *page, *view, *scrolled;
  GtkAdjustment *adj;
  GListModel *model;
  gint64 t0, t_open, t_window, rss_open, t_ledger, t_model, t_floor, cpu_floor;
  gint64 cpu_main, cpu_all, rss_window, rss_scrolled;
  guint floor_items;
  int steps = 1000;

  if (!gtk_init_check ())
    return 77;
  adw_init ();
  saoma_application_register_resources ();
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), ({
    GtkCssProvider *css = gtk_css_provider_new ();
    gtk_css_provider_load_from_resource (css, "/io/github/saoma/Cashier/style.css");
    GTK_STYLE_PROVIDER (css); }), GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  /* The floor first, in the same process state the page will find (libraries loaded, the
   * file in the page cache after the first of the repeated runs). */
  t_floor = ledger_open_count (path, &floor_items, &cpu_floor);

  /* The window is on screen first, as the cashier window is when History is opened: what
   * follows is the history's own cost, not the first frame of a process (theme, fonts, the
   * X server mapping a window), which is printed beside it. */
  t_window = g_get_monotonic_time ();
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), NULL);
  gtk_window_present (GTK_WINDOW (window));
  while (gtk_widget_get_frame_clock (window) == NULL)
    g_main_context_iteration (NULL, TRUE);
  wait_for_paint (window);
  t_window = g_get_monotonic_time () - t_window;
  rss_window = rss_kib (getpid ());

  t0 = g_get_monotonic_time ();
  cpu_main = cpu_us (CLOCK_THREAD_CPUTIME_ID);
  cpu_all = cpu_us (CLOCK_PROCESS_CPUTIME_ID);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  t_ledger = g_get_monotonic_time () - t0;
  t_model = g_get_monotonic_time ();
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  t_model = g_get_monotonic_time () - t_model;
  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));
  /* The first frame the cashier can read: the count in and the visible rows drawn from their
   * pages (a frame before it shows an empty or blank list). */
  do
    wait_for_paint (window);
  while (!history_shown (model, floor_items));
  t_open = g_get_monotonic_time () - t0;
  cpu_main = cpu_us (CLOCK_THREAD_CPUTIME_ID) - cpu_main;
  cpu_all = cpu_us (CLOCK_PROCESS_CPUTIME_ID) - cpu_all;
  rss_open = rss_kib (getpid ());
  g_print ("HISTORY_OPEN %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %"
           G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %"
           G_GINT64_FORMAT "\n", t_open, t_ledger, t_model, t_floor, t_window, cpu_main,
           cpu_all, cpu_floor);
  if (!do_scroll)
    {
      gtk_window_destroy (GTK_WINDOW (window));
      return 0;
    }

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
  rss_scrolled = rss_kib (getpid ());
  /* Where the memory is: SQLite's caches (the store's reader), what malloc holds in use and
   * free, and what giving the free part back would leave. */
  {
    struct mallinfo2 mi = mallinfo2 ();

    g_print ("scroll memory:              SQLite %.1f MiB, malloc in use %.1f MiB and free "
             "%.1f MiB; window before the ledger %.1f MiB, first frame %.1f MiB, scrolled "
             "%.1f MiB (%+.1f over the window before the ledger)",
             sqlite3_memory_used () / 1048576.0, mi.uordblks / 1048576.0,
             mi.fordblks / 1048576.0, rss_window / 1024.0, rss_open / 1024.0,
             rss_scrolled / 1024.0, (rss_scrolled - rss_window) / 1024.0);
    malloc_trim (0);
    g_print (", after malloc_trim %.1f MiB\n", rss_kib (getpid ()) / 1024.0);
  }
  g_print ("SCROLL_RSS %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
           rss_scrolled, rss_window, rss_open);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* Runs this program with @argv, passes its output on, and returns it. */
static char *
run_self (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  char *out = NULL;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (child) && g_subprocess_get_exit_status (child) == 0);
  g_print ("%s", out);
  return out;
}

/* The numbers after @prefix in @text (at most @n of them). */
static void
parse_numbers (const char *text,
               const char *prefix,
               gint64     *values,
               guint       n)
{
  const char *p = strstr (text, prefix);

  g_assert_nonnull (p);
  p += strlen (prefix);
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;

      values[i] = g_ascii_strtoll (p, &end, 10);
      p = end;
    }
}

static void
bench_history (const char *self,
               const char *db,
               gint64      rows)
{
  g_autoptr(GArray) opens = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) floors = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) firsts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) cpu_mains = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) cpu_alls = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) cpu_floors = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *scrolled = NULL;
  gint64 rss[3], rss_after, open_med, floor_med, cpu_main_med, cpu_floor_med;
  g_autofree char *rows_text = rows % 1000000 == 0
                                 ? g_strdup_printf ("%" G_GINT64_FORMAT " M", rows / 1000000)
                                 : g_strdup_printf ("%" G_GINT64_FORMAT, rows);

  /* Five fresh processes: the first frame of a history just opened, not of a warm one. */
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *out = run_self ((const char * const[]) { self, "--open", db, NULL });
      gint64 v[8];

      parse_numbers (out, "HISTORY_OPEN ", v, 8);
      g_array_append_val (opens, v[0]);
      g_array_append_val (floors, v[3]);
      g_array_append_val (firsts, v[4]);
      g_array_append_val (cpu_mains, v[5]);
      g_array_append_val (cpu_alls, v[6]);
      g_array_append_val (cpu_floors, v[7]);
    }
  open_med = median (opens);
  floor_med = median (floors);
  cpu_main_med = median (cpu_mains);
  cpu_floor_med = median (cpu_floors);
  g_print ("history first frame:        median %.1f ms of 5 (ledger open to its rows drawn, in a "
           "window on screen; that window's own first frame %.1f ms); ledger-level open + count "
           "median %.1f ms\n", open_med / 1e3, median (firsts) / 1e3, floor_med / 1e3);
  g_print ("TABLE\thistory first frame, %s attempts (median of 5)\t%.1f ms\t"
           "ledger-level open + count: %.1f ms\t%.0f×\t< 50 ms\n", rows_text, open_med / 1e3,
           floor_med / 1e3, (double) open_med / MAX (floor_med, 1));
  /* CPU time says what the first frame costs whatever else the machine runs. */
  g_print ("history first frame CPU:    UI thread median %.1f ms, whole process %.1f ms; "
           "ledger-level open + count %.1f ms\n", cpu_main_med / 1e3, median (cpu_alls) / 1e3,
           cpu_floor_med / 1e3);
  g_print ("TABLE\thistory first frame, %s attempts, UI thread CPU (median of 5)\t%.1f ms\t"
           "ledger-level open + count, CPU: %.1f ms\t%.0f×\t-\n", rows_text,
           cpu_main_med / 1e3, cpu_floor_med / 1e3,
           (double) cpu_main_med / MAX (cpu_floor_med, 1));

  scrolled = run_self ((const char * const[]) { self, "--scroll", db, NULL });
  parse_numbers (scrolled, "SCROLL_RSS ", rss, 3);
  rss_after = rss[0];
  /* Over the demo application's idle RSS (another process: the cashier window at rest), and
   * over this process's own window before the ledger opened, which has no checkout in it. */
  if (idle_rss_kib > 0)
    g_print ("TABLE\thistory scrolled end to end, RSS\t%.1f MiB (%+.1f over idle; %+.1f over its "
             "window before the ledger)\t-\t-\t≤ +20 MiB over idle\n", rss_after / 1024.0,
             (rss_after - idle_rss_kib) / 1024.0, (rss_after - rss[1]) / 1024.0);
  else
    g_print ("TABLE\thistory scrolled end to end, RSS\t%.1f MiB (%+.1f over its window before "
             "the ledger)\t-\t-\t≤ +20 MiB over idle\n", rss_after / 1024.0,
             (rss_after - rss[1]) / 1024.0);
}

/* The figures are UTF-8 ("→", "×", "≤") whatever the locale: g_print would turn them into "?"
 * under LANG=C. */
static void
print_raw (const char *text)
{
  fputs (text, stdout);
  fflush (stdout);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *rows_text = NULL;
  g_autofree char *db = NULL;
  gint64 rows = 1000000;
  int sales = 50;
  const char *only = NULL;
  const char *api = NULL;

  g_set_print_handler (print_raw);

  if (argc == 4 && strcmp (argv[1], "--generate") == 0)
    return generate (argv[2], g_ascii_strtoll (argv[3], NULL, 10));
  if (argc == 3 && strcmp (argv[1], "--scroll") == 0)
    return scroll (argv[2], TRUE);
  if (argc == 3 && strcmp (argv[1], "--open") == 0)
    return scroll (argv[2], FALSE);

  for (int i = 1; i + 1 < argc; i++)
    {
      if (strcmp (argv[i], "--rows") == 0)
        rows = g_ascii_strtoll (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--sales") == 0)
        sales = atoi (argv[++i]);
      else if (strcmp (argv[i], "--only") == 0)
        only = argv[++i];
      else if (strcmp (argv[i], "--api") == 0)
        api = argv[++i];
    }

  if (g_getenv ("DISPLAY") == NULL)
    {
      g_print ("bench-ui: skipped (no X display; run under xvfb-run)\n");
      return 0;
    }
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  tmp_root = g_dir_make_tmp ("saoma-bench-ui-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);

  if (only == NULL || strcmp (only, "cold") == 0)
    bench_cold_start ();
  if (only == NULL || strcmp (only, "qr") == 0)
    {
      /* v2 first: the seed's own protocol, and the seed peer runs in it. */
      if (api == NULL || strcmp (api, "v2") == 0)
        bench_enter_to_qr (sales, "v2");
      if (api == NULL || strcmp (api, "v3") == 0)
        bench_enter_to_qr (sales, "v3");
    }
  if (only != NULL && strcmp (only, "history") != 0)
    goto out;

  /* The 1M ledger is generated once per build tree (it takes a while) and reused. */
  db = g_strdup_printf ("%s/tests/bench/bench-ui-%" G_GINT64_FORMAT ".db", BUILD_DIR, rows);
  rows_text = g_strdup_printf ("%" G_GINT64_FORMAT, rows);
  if (!g_file_test (db, G_FILE_TEST_EXISTS))
    g_free (run_self ((const char * const[]) { argv[0], "--generate", db, rows_text, NULL }));
  bench_history (argv[0], db, rows);

out:
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp_root);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return 0;
}
