/* bench-cli.c: exec → code_url of `saoma-cli --charge` beside `saoma --charge` (the GUI binary,
 * which forwards the headless commands to saoma-cli by exec), against the wxpay-sim executable
 * on loopback, interleaved in one run so both see the same machine load.
 *
 * usage: bench-cli [RUNS]   (default 60 of each)
 * The programs come from $SAOMA_CLI, $SAOMA_BUILD_DIR/src/app/saoma and $SAOMA_WXPAY_SIM
 * (build-aux/dev sets them), else from the build tree this bench was built in.
 *
 * Each run gets a fresh ledger file (the first run of a till creates its schema; every run
 * pays the same). The time is from just before the spawn to the moment the code_url line
 * (weixin://…) is read from the child's stdout; the child is then killed with SIGKILL (an
 * unpaid order is nothing to wait for here).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  const char *label;
  char       *path;
  GArray     *times;   /* double, ms */
} Program;

static char *
program_path (const char *env,
              const char *fallback)
{
  const char *value = g_getenv (env);

  if (value != NULL && *value != '\0')
    return g_strdup (value);
  return g_build_filename (BUILD_DIR, fallback, NULL);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
percentile (GArray *values,
            double  p)
{
  g_autoptr(GArray) sorted = g_array_copy (values);
  guint i;

  g_array_sort (sorted, compare_double);
  i = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, double, i);
}

/* One charge: milliseconds from spawn to the code_url line, or a negative value on failure. */
static double
charge_once (const char *program,
             const char *gateway,
             const char *ledger)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double took = -1;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error, program, "--charge", "0.01", "--gateway", gateway,
                            "--ledger", ledger, NULL);
  if (child == NULL)
    {
      g_printerr ("bench-cli: cannot start %s: %s\n", program, error->message);
      return -1;
    }
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      if (line == NULL)
        {
          g_printerr ("bench-cli: %s ended before printing a code_url\n", program);
          break;
        }
      if (g_str_has_prefix (line, "weixin://"))
        {
          took = (g_get_monotonic_time () - start) / 1000.0;
          break;
        }
    }
  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, NULL);
  return took;
}

int
main (int   argc,
      char *argv[])
{
  int runs = argc > 1 ? atoi (argv[1]) : 60;
  g_autofree char *sim_path = program_path ("SAOMA_WXPAY_SIM", "src/sim/wxpay-sim");
  g_autofree char *build_saoma = NULL;
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(GDataInputStream) sim_lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *gateway = NULL;
  g_autofree char *dir = NULL;
  Program programs[2] = {
    { "saoma-cli --charge", NULL, NULL },
    { "saoma --charge (GUI binary, forwards to saoma-cli)", NULL, NULL },
  };

  if (runs < 1)
    {
      g_printerr ("usage: bench-cli [RUNS]\n");
      return 2;
    }
  programs[0].path = program_path ("SAOMA_CLI", "src/cli/saoma-cli");
  build_saoma = g_getenv ("SAOMA_BUILD_DIR")
                  ? g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "src", "app", "saoma", NULL)
                  : g_build_filename (BUILD_DIR, "src", "app", "saoma", NULL);
  programs[1].path = g_strdup (build_saoma);
  /* The GUI binary must find saoma-cli even when the caller did not say where it is. */
  g_setenv ("SAOMA_CLI", programs[0].path, FALSE);

  sim = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, sim_path, "--port", "0", NULL);
  if (sim == NULL)
    {
      g_printerr ("bench-cli: cannot start %s: %s\n", sim_path, error->message);
      return 1;
    }
  sim_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim));
  gateway = g_data_input_stream_read_line_utf8 (sim_lines, NULL, NULL, &error);
  if (gateway == NULL)
    {
      g_printerr ("bench-cli: no URL from wxpay-sim\n");
      return 1;
    }

  dir = g_dir_make_tmp ("bench-cli-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    programs[p].times = g_array_new (FALSE, FALSE, sizeof (double));

  /* One warm-up run each (page cache, the simulator's first connection), then interleaved. */
  for (int r = -1; r < runs; r++)
    for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
      {
        g_autofree char *ledger = g_strdup_printf ("%s/ledger-%u-%d.db", dir, p, r + 1);
        g_autofree char *wal = g_strconcat (ledger, "-wal", NULL);
        g_autofree char *shm = g_strconcat (ledger, "-shm", NULL);
        double took = charge_once (programs[p].path, gateway, ledger);

        g_unlink (ledger);
        g_unlink (wal);
        g_unlink (shm);
        if (took < 0)
          return 1;
        if (r >= 0)
          g_array_append_val (programs[p].times, took);
      }

  g_subprocess_send_signal (sim, SIGTERM);
  g_subprocess_wait (sim, NULL, NULL);
  g_rmdir (dir);

  printf ("exec → code_url line against wxpay-sim on loopback, %d runs each, fresh ledger per "
          "run\n", runs);
  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    printf ("  %-52s median %6.2f ms  p10 %6.2f  p90 %6.2f  min %6.2f\n", programs[p].label,
            percentile (programs[p].times, 0.5), percentile (programs[p].times, 0.1),
            percentile (programs[p].times, 0.9), percentile (programs[p].times, 0.0));
  {
    double cli = percentile (programs[0].times, 0.5);
    double gui = percentile (programs[1].times, 0.5);

    printf ("TABLE\tsaoma-cli --charge, exec → code_url (median of %d)\t%.1f ms\t"
            "saoma --charge, forwarded to saoma-cli: %.1f ms\t%.2f×\t≤ 8 ms\n",
            runs, cli, gui, gui / cli);
  }

  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    {
      g_array_unref (programs[p].times);
      g_free (programs[p].path);
    }
  return 0;
}
