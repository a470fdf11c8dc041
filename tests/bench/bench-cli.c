/* bench-cli.c: exec → code_url of `saoma-cli --charge` beside `saoma --charge` (the GUI binary,
 * which forwards the headless commands to saoma-cli by exec), against the wxpay-sim executable
 * on loopback, interleaved in one run so both see the same machine load.
 *
 * usage: bench-cli [RUNS]   (default 60 of each)
 * The programs come from $SAOMA_CLI, $SAOMA_BUILD_DIR/src/app/saoma and $SAOMA_WXPAY_SIM
 * (build-aux/dev sets them), else from the build tree this bench was built in. With
 * SAOMA_BENCH_PRE_SAOMA=PATH, a saoma built before saoma-cli existed (its own headless path,
 * GTK loaded) runs in the same interleaving as a third program.
 *
 * Two phases: charges that each create a fresh ledger (the first charge of a till: SQLite
 * creates the schema) and charges on a copy of an existing ledger of 200 attempts (a till's
 * every other charge; the headline). The time is from just before the spawn to the moment the code_url line
 * (weixin://…) is read from the child's stdout; the child is then killed with SIGKILL (an
 * unpaid order is nothing to wait for here). The child's CPU time is printed too: on a loaded
 * machine wall times stretch, CPU times much less. Then saoma-cli alone, RUNS / 2 more times
 * with SAOMA_BENCH=1, for the median time of each stage it stamps on the way (main, options
 * parsed, gateway made, ledger open, engine up, inserted, sent, verified): where the
 * milliseconds go, apart from the headline runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

typedef struct {
  const char *label;
  const char *short_label;
  char       *path;
  GArray     *times;   /* double, ms: spawn → code_url line */
  GArray     *cpu;     /* double, ms: the child's user + system CPU over its whole life */
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

static double
children_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3 +
         usage.ru_stime.tv_sec * 1e3 + usage.ru_stime.tv_usec / 1e3;
}

/* One charge: milliseconds from spawn to the code_url line, or a negative value on failure.
 * @out_cpu: the CPU time the child used (it is killed right after the line, so this is
 * about the CPU cost of getting there; a loaded machine stretches the wall time, not this). */
static double
charge_once (const char *program,
             const char *gateway,
             const char *ledger,
             double     *out_cpu)
{
  double cpu0 = children_cpu_ms ();
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
  *out_cpu = children_cpu_ms () - cpu0;
  return took;
}

static void
remove_ledger (const char *ledger)
{
  g_autofree char *wal = g_strconcat (ledger, "-wal", NULL);
  g_autofree char *shm = g_strconcat (ledger, "-shm", NULL);

  g_unlink (ledger);
  g_unlink (wal);
  g_unlink (shm);
}

/* Copies @from to @to. */
static gboolean
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GFile) source = g_file_new_for_path (from);
  g_autoptr(GFile) target = g_file_new_for_path (to);
  g_autoptr(GError) error = NULL;

  if (!g_file_copy (source, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    {
      g_printerr ("bench-cli: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Copies the ledger @from, closed cleanly, to @to with the WAL and index files a cleanly closed
 * ledger keeps (empty: the ledger persists them so that the next process need not create
 * them), as a till has them between two charges. */
static gboolean
copy_ledger (const char *from,
             const char *to)
{
  const char *suffixes[] = { "-wal", "-shm" };

  if (!copy_file (from, to))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *source = g_strconcat (from, suffixes[i], NULL);
      g_autofree char *target = g_strconcat (to, suffixes[i], NULL);

      if (g_file_test (source, G_FILE_TEST_EXISTS) && !copy_file (source, target))
        return FALSE;
    }
  return TRUE;
}

/* One charge of @program with SAOMA_BENCH=1: each stage stamp the child wrote before its
 * code_url line (core/saoma-bench-stamp.h) is added to @stages (name → GArray of ms after the
 * spawn; the clock is the same CLOCK_MONOTONIC). FALSE when no code_url came. */
static gboolean
charge_stages (const char *program,
               const char *gateway,
               const char *ledger,
               GHashTable *stages)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GDataInputStream) errors = NULL;
  g_autoptr(GError) error = NULL;
  gboolean printed = FALSE;
  gint64 start;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "SAOMA_BENCH", "1", TRUE);
  start = g_get_monotonic_time ();
  child = g_subprocess_launcher_spawn (launcher, &error, program, "--charge", "0.01",
                                       "--gateway", gateway, "--ledger", ledger, NULL);
  if (child == NULL)
    {
      g_printerr ("bench-cli: cannot start %s: %s\n", program, error->message);
      return FALSE;
    }
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, NULL);

      if (line == NULL || (printed = g_str_has_prefix (line, "weixin://")))
        break;
    }
  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, NULL);

  /* A few short lines: the pipe held them all while the child ran. */
  errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (child));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (errors, NULL, NULL, NULL);
      g_auto(GStrv) fields = NULL;
      GArray *times;
      double ms;

      if (line == NULL)
        break;
      if (!g_str_has_prefix (line, "SAOMA_STAGE "))
        continue;
      fields = g_strsplit (line, " ", 4);
      if (g_strv_length (fields) < 3)
        continue;
      ms = (g_ascii_strtoll (fields[2], NULL, 10) - start) / 1000.0;
      times = g_hash_table_lookup (stages, fields[1]);
      if (times == NULL)
        {
          times = g_array_new (FALSE, FALSE, sizeof (double));
          g_hash_table_insert (stages, g_strdup (fields[1]), times);
        }
      g_array_append_val (times, ms);
    }
  if (!printed)
    g_printerr ("bench-cli: %s ended before printing a code_url\n", program);
  return printed;
}

typedef struct {
  const char *name;
  double      median;
} Stage;

static int
compare_stage (gconstpointer a,
               gconstpointer b)
{
  const Stage *x = a, *y = b;

  return x->median < y->median ? -1 : x->median > y->median ? 1 : 0;
}

/* @runs charges of @program with stage stamps, each on its own copy of @template, and one line
 * of the stages' medians in the order they are reached. Apart from the headline runs: a stamp
 * is a write to stderr. Stages stamped after the code_url line (the child is killed then) are
 * left out: only a stage every run reached is printed. */
static gboolean
print_stages (const char *program,
              const char *gateway,
              const char *dir,
              int         runs,
              const char *template)
{
  g_autoptr(GHashTable) stages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify)g_array_unref);
  g_autofree char *ledger = g_build_filename (dir, "run.db", NULL);
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (Stage));
  GHashTableIter iter;
  gpointer key, value;

  for (int r = 0; r < runs; r++)
    {
      gboolean ok = copy_ledger (template, ledger) &&
                    charge_stages (program, gateway, ledger, stages);

      remove_ledger (ledger);
      if (!ok)
        return FALSE;
    }

  g_hash_table_iter_init (&iter, stages);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((GArray *)value)->len == (guint)runs)
      {
        Stage stage = { key, percentile (value, 0.5) };

        g_array_append_val (order, stage);
      }
  g_array_sort (order, compare_stage);

  printf ("stages of saoma-cli --charge on the existing ledger, ms after the spawn "
          "(SAOMA_BENCH=1, median of %d):\n ", runs);
  for (guint i = 0; i < order->len; i++)
    {
      const Stage *stage = &g_array_index (order, Stage, i);

      printf (" %s %.2f", stage->name, stage->median);
    }
  printf ("\n");
  return TRUE;
}

/* @runs interleaved charges of every program (after one warm-up each), each on its own copy
 * of @template (NULL: on a ledger file that does not exist yet). A copy per run because the
 * killed child leaves its WAL behind, which the next open would have to replay: a till whose
 * charges end normally never pays that. FALSE when a charge failed. */
static gboolean
run_phase (Program    *programs,
           guint       n_programs,
           const char *gateway,
           const char *dir,
           int         runs,
           const char *template)
{
  g_autofree char *ledger = g_build_filename (dir, "run.db", NULL);

  for (guint p = 0; p < n_programs; p++)
    {
      g_array_set_size (programs[p].times, 0);
      g_array_set_size (programs[p].cpu, 0);
    }

  for (int r = -1; r < runs; r++)
    for (guint p = 0; p < n_programs; p++)
      {
        double cpu = 0;
        double took;

        if (template != NULL && !copy_ledger (template, ledger))
          return FALSE;
        took = charge_once (programs[p].path, gateway, ledger, &cpu);
        remove_ledger (ledger);
        if (took < 0)
          return FALSE;
        if (r >= 0)
          {
            g_array_append_val (programs[p].times, took);
            g_array_append_val (programs[p].cpu, cpu);
          }
      }
  return TRUE;
}

/* A ledger as a till has it: 200 earlier attempts, closed cleanly (its WAL checkpointed). */
static char *
make_template (const char *cli,
               const char *gateway,
               const char *dir)
{
  char *template = g_build_filename (dir, "till.db", NULL);
  g_autofree char *csv = g_build_filename (dir, "day.csv", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autoptr(GError) error = NULL;
  int status = 0;

  for (guint i = 0; i < 200; i++)
    {
      double cpu;

      if (charge_once (cli, gateway, template, &cpu) < 0)
        return NULL;
    }
  /* Any command that opens and closes the ledger checkpoints the WAL the kills left. */
  {
    const char *argv[] = { cli, "--export-day", today, "--ledger", template, "--output", csv,
                           NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                       NULL, &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      {
        g_printerr ("bench-cli: cannot close the template ledger: %s\n", error->message);
        return NULL;
      }
    g_unlink (csv);
  }
  return template;
}

static void
print_phase (Program    *programs,
             guint       n_programs,
             int         runs,
             const char *what)
{
  printf ("exec → code_url line against wxpay-sim on loopback, %s, %d runs each\n", what, runs);
  for (guint p = 0; p < n_programs; p++)
    printf ("  %-52s median %6.2f ms  p10 %6.2f  p90 %6.2f  min %6.2f  CPU median %6.2f ms\n",
            programs[p].label, percentile (programs[p].times, 0.5),
            percentile (programs[p].times, 0.1), percentile (programs[p].times, 0.9),
            percentile (programs[p].times, 0.0), percentile (programs[p].cpu, 0.5));
}

int
main (int   argc,
      char *argv[])
{
  int runs = argc > 1 ? atoi (argv[1]) : 60;
  g_autofree char *sim_path = program_path ("SAOMA_WXPAY_SIM", "src/sim/wxpay-sim");
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(GDataInputStream) sim_lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *gateway = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *template = NULL;
  Program programs[3] = {
    { "saoma-cli --charge", "saoma-cli", NULL, NULL, NULL },
    { "saoma --charge (GUI binary, forwards to saoma-cli)", "saoma --charge (forwards)", NULL,
      NULL, NULL },
    { "saoma --charge before saoma-cli (own headless path)", "saoma --charge (before)", NULL,
      NULL, NULL },
  };
  const char *pre = g_getenv ("SAOMA_BENCH_PRE_SAOMA");
  guint n_programs = pre != NULL && *pre != '\0' ? 3 : 2;
  double cli, gui, cli_cpu, gui_cpu;

  if (runs < 1)
    {
      g_printerr ("usage: bench-cli [RUNS]\n");
      return 2;
    }
  programs[0].path = program_path ("SAOMA_CLI", "src/cli/saoma-cli");
  programs[1].path = g_getenv ("SAOMA_BUILD_DIR")
                       ? g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "src", "app", "saoma",
                                           NULL)
                       : g_build_filename (BUILD_DIR, "src", "app", "saoma", NULL);
  programs[2].path = g_strdup (pre);
  /* The GUI binary must find saoma-cli even when the caller did not say where it is. */
  g_setenv ("SAOMA_CLI", programs[0].path, FALSE);
  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    {
      programs[p].times = g_array_new (FALSE, FALSE, sizeof (double));
      programs[p].cpu = g_array_new (FALSE, FALSE, sizeof (double));
    }

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

  if (!run_phase (programs, n_programs, gateway, dir, runs / 2 > 0 ? runs / 2 : 1,
                  NULL))
    return 1;
  print_phase (programs, n_programs, runs / 2 > 0 ? runs / 2 : 1,
               "each run creating a fresh ledger (a till's first charge)");

  template = make_template (programs[0].path, gateway, dir);
  if (template == NULL)
    return 1;
  if (!run_phase (programs, n_programs, gateway, dir, runs, template))
    return 1;
  print_phase (programs, n_programs, runs,
               "on an existing ledger (200 attempts)");
  if (!print_stages (programs[0].path, gateway, dir, runs / 2 > 0 ? runs / 2 : 1, template))
    return 1;
  remove_ledger (template);

  g_subprocess_send_signal (sim, SIGTERM);
  g_subprocess_wait (sim, NULL, NULL);
  g_rmdir (dir);

  cli = percentile (programs[0].times, 0.5);
  gui = percentile (programs[1].times, 0.5);
  cli_cpu = percentile (programs[0].cpu, 0.5);
  gui_cpu = percentile (programs[1].cpu, 0.5);
  printf ("TABLE\tsaoma-cli --charge, exec → code_url line, loopback wxpay-sim (median of %d)"
          "\t%.1f ms\tsaoma --charge (GUI binary, forwards): %.1f ms\t%.2f×\t≤ 8 ms\n",
          runs, cli, gui, cli / gui);
  printf ("TABLE\tsaoma-cli --charge, CPU time to code_url (median of %d)\t%.1f ms"
          "\tsaoma --charge (GUI binary, forwards): %.1f ms\t%.2f×\t-\n",
          runs, cli_cpu, gui_cpu, cli_cpu / gui_cpu);
  if (n_programs == 3)
    printf ("TABLE\tsaoma-cli --charge vs saoma --charge before saoma-cli, exec → code_url "
            "(median of %d)\t%.1f ms\tsaoma --charge, own headless path (GTK loaded): %.1f ms"
            "\t%.2f×\t≤ 8 ms\n",
            runs, cli, percentile (programs[2].times, 0.5),
            cli / percentile (programs[2].times, 0.5));

  for (guint p = 0; p < G_N_ELEMENTS (programs); p++)
    {
      g_array_unref (programs[p].times);
      g_array_unref (programs[p].cpu);
      g_free (programs[p].path);
    }
  return 0;
}
