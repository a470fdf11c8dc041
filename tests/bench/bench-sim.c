/* bench-sim.c: unifiedorder + orderquery round trips per second against the wxpay-sim
 * executable on loopback, through libwxpay's WxpayClient.
 *
 * Beside it, the same workload through an independent WeChat Pay v2 SDK from the npm registry
 * (peers/wechatpay-sdk-roundtrips.cjs), rounds alternating, medians compared.
 *
 * usage: bench-sim [PATH-TO-wxpay-sim] [SECONDS] [IN-FLIGHT]
 * (the path defaults to $SAOMA_BUILD_DIR/src/sim/wxpay-sim)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wxpay/wxpay.h"
#include "sim/wxpay-sim-server.h"

typedef struct {
  GPtrArray *clients;
  gint64     deadline;
  guint      in_flight;
  guint      next;
  guint64    pairs;
  guint64    errors;
  GArray    *latencies;     /* gint64 µs per pair */
  GMainLoop *loop;
} Bench;

typedef struct {
  Bench       *bench;
  WxpayClient *client;
  char        *out_trade_no;
  gint64       started;
} Pair;

static void start_pair (Bench *bench);

static void
pair_finish (Pair    *pair,
             gboolean ok)
{
  Bench *bench = pair->bench;

  if (ok)
    {
      gint64 took = g_get_monotonic_time () - pair->started;

      bench->pairs++;
      g_array_append_val (bench->latencies, took);
    }
  else
    bench->errors++;

  g_free (pair->out_trade_no);
  g_free (pair);
  bench->in_flight--;

  if (g_get_monotonic_time () < bench->deadline)
    start_pair (bench);
  else if (bench->in_flight == 0)
    g_main_loop_quit (bench->loop);
}

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Pair *pair = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) answer = wxpay_client_orderquery_finish (WXPAY_CLIENT (source), result, &error);

  if (answer == NULL)
    g_printerr ("orderquery: %s\n", error->message);
  pair_finish (pair, answer != NULL && g_strcmp0 (wxpay_params_get (answer, "trade_state"), "NOTPAY") == 0);
}

static void
order_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Pair *pair = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) answer = wxpay_client_unifiedorder_finish (WXPAY_CLIENT (source), result, &error);
  g_autoptr(WxpayParams) query = NULL;

  if (answer == NULL)
    {
      g_printerr ("unifiedorder: %s\n", error->message);
      pair_finish (pair, FALSE);
      return;
    }

  query = wxpay_params_new ();
  wxpay_params_set (query, "out_trade_no", pair->out_trade_no);
  wxpay_client_orderquery_async (pair->client, query, NULL, query_cb, pair);
}

static void
start_pair (Bench *bench)
{
  Pair *pair = g_new0 (Pair, 1);
  g_autoptr(WxpayParams) req = wxpay_params_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add_minutes (now, 10);
  g_autofree char *start = wxpay_time_format (now);
  g_autofree char *expire = wxpay_time_format (later);

  pair->bench = bench;
  pair->client = g_ptr_array_index (bench->clients, bench->next++ % bench->clients->len);
  pair->out_trade_no = wxpay_out_trade_no_new ("BENCH", now);
  pair->started = g_get_monotonic_time ();

  wxpay_params_set (req, "body", "收银台-压测");
  wxpay_params_set (req, "out_trade_no", pair->out_trade_no);
  wxpay_params_set (req, "total_fee", "1");
  wxpay_params_set (req, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (req, "notify_url", "http://127.0.0.1:9/notify");
  wxpay_params_set (req, "trade_type", "NATIVE");
  wxpay_params_set (req, "product_id", "BENCH");
  wxpay_params_set (req, "time_start", start);
  wxpay_params_set (req, "time_expire", expire);

  bench->in_flight++;
  wxpay_client_unifiedorder_async (pair->client, req, NULL, order_cb, pair);
}

/* CPU seconds (user + system) used so far by process @pid, from /proc; -1 when unknown. */
static double
process_cpu_seconds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (pid == NULL || !g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  /* The command name may contain spaces: count fields after its closing parenthesis. */
  after_comm = strrchr (contents, ')');
  if (after_comm == NULL)
    return -1;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  /* utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the state field. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

/* CPU seconds (user + system) used so far by this process: the client side. */
static double
self_cpu_seconds (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return -1;
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static gint
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static gint
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* "20.20.2", or "?" (for the table: which runtime the peer ran on). */
static const char *
node_version (void)
{
  static char *version;

  if (version == NULL)
    {
      g_autofree char *out = NULL;

      if (g_spawn_command_line_sync ("node --version", &out, NULL, NULL, NULL) && out != NULL)
        version = g_strdup (g_strstrip (out) + (out[0] == 'v'));
      else
        version = g_strdup ("?");
    }
  return version;
}

/* @value rounded, with thousands separators, for the table ("4,120"). */
static char *
grouped (double value)
{
  g_autofree char *digits = g_strdup_printf ("%.0f", value);
  GString *out = g_string_new (NULL);
  size_t n = strlen (digits);

  for (size_t i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

/* One timed round of pairs through @clients; the round trips per second. */
static double
run_round (Bench      *bench,
           double      seconds,
           guint       concurrency,
           const char *pid,
           gboolean    verbose)
{
  gint64 t0;
  double elapsed, cpu0, cpu1, self0, self1;

  bench->pairs = 0;
  bench->errors = 0;
  g_array_set_size (bench->latencies, 0);

  cpu0 = process_cpu_seconds (pid);
  self0 = self_cpu_seconds ();
  t0 = g_get_monotonic_time ();
  bench->deadline = t0 + (gint64)(seconds * G_USEC_PER_SEC);
  for (guint i = 0; i < concurrency; i++)
    start_pair (bench);
  g_main_loop_run (bench->loop);
  elapsed = (double)(g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  cpu1 = process_cpu_seconds (pid);
  self1 = self_cpu_seconds ();

  g_array_sort (bench->latencies, compare_int64);
  if (!verbose)
    return bench->pairs / elapsed;

  printf ("bench-sim: %u in flight over %u clients, %.1f s asked, %.2f s run\n",
          concurrency, bench->clients->len, seconds, elapsed);
  printf ("bench-sim: %" G_GUINT64_FORMAT " unifiedorder+orderquery round trips, %" G_GUINT64_FORMAT
          " errors\n", bench->pairs, bench->errors);
  printf ("bench-sim: %.0f round trips/s (%.0f requests/s)\n", bench->pairs / elapsed,
          2 * bench->pairs / elapsed);
  if (cpu0 >= 0 && cpu1 > cpu0)
    printf ("bench-sim: wxpay-sim used %.2f CPU s (%.0f%% of one core): %.0f requests per CPU "
            "second on its side\n", cpu1 - cpu0, 100 * (cpu1 - cpu0) / elapsed,
            2 * bench->pairs / (cpu1 - cpu0));
  if (self0 >= 0 && self1 > self0)
    printf ("bench-sim: client used %.2f CPU s (%.0f%% of one core): %.0f requests per CPU "
            "second on its side\n", self1 - self0, 100 * (self1 - self0) / elapsed,
            2 * bench->pairs / (self1 - self0));
  if (cpu0 >= 0 && cpu1 > cpu0 && self0 >= 0 && self1 > self0)
    printf ("bench-sim: simulator share of the CPU used: %.0f%%\n",
            100 * (cpu1 - cpu0) / ((cpu1 - cpu0) + (self1 - self0)));
  if (bench->latencies->len > 0)
    printf ("bench-sim: pair latency p50 %.2f ms, p99 %.2f ms\n",
            g_array_index (bench->latencies, gint64, bench->latencies->len / 2) / 1000.0,
            g_array_index (bench->latencies, gint64, bench->latencies->len * 99 / 100) / 1000.0);
  return bench->pairs / elapsed;
}

static double
median_of (GArray *values)
{
  g_array_sort (values, (GCompareFunc) compare_double);
  return g_array_index (values, double, values->len / 2);
}

/* The npm peer: one round of the same workload through wechatpay-axios-plugin under Node.js.
 * Returns round trips/s, or -1 with *@why saying why it could not run. */
static double
run_peer_round (const char *url,
                double      seconds,
                guint       concurrency,
                char      **why)
{
  const char *modules = g_getenv ("SAOMA_BENCH_NPM_DIR");
  g_autofree char *default_modules = g_build_filename (BUILD_DIR, "tests", "bench", "npm-peer",
                                                       NULL);
  g_autofree char *plugin = NULL;
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *seconds_text = g_strdup_printf ("%.1f", seconds);
  g_autofree char *inflight_text = g_strdup_printf ("%u", concurrency);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) peer = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;

  if (modules == NULL)
    modules = default_modules;
  plugin = g_build_filename (modules, "node_modules", "wechatpay-axios-plugin", NULL);
  if (node == NULL)
    {
      *why = g_strdup ("skipped: no node (Debian nodejs) on PATH");
      return -1;
    }
  if (!g_file_test (plugin, G_FILE_TEST_IS_DIR))
    {
      *why = g_strdup_printf ("skipped: wechatpay-axios-plugin not installed in %s "
                              "(build-aux/dev bench installs it)", modules);
      return -1;
    }
  peer = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, node,
                           BUILD_SRCDIR "/tests/bench/peers/wechatpay-sdk-roundtrips.cjs",
                           modules, url, seconds_text, inflight_text, NULL);
  if (peer == NULL || !g_subprocess_communicate_utf8 (peer, NULL, NULL, &out, &err, &error))
    {
      *why = g_strdup_printf ("skipped: %s", error->message);
      return -1;
    }
  line = out ? strstr (out, "PEER_ROUND_TRIPS ") : NULL;
  if (line == NULL)
    {
      *why = g_strdup_printf ("skipped: the peer failed (%s)", err && *err ? g_strstrip (err) : "no output");
      return -1;
    }
  {
    g_auto(GStrv) f = g_strsplit (line + strlen ("PEER_ROUND_TRIPS "), " ", -1);

    if (g_strv_length (f) < 4 || g_ascii_strtoll (f[2], NULL, 10) != 0)
      {
        *why = g_strdup_printf ("skipped: the peer had errors (%s)", err && *err ? g_strstrip (err) : line);
        return -1;
      }
    printf ("bench-sim: peer wechatpay-axios-plugin: %s round trips/s, %s pairs, p50 %s ms\n",
            f[0], f[1], g_strstrip (f[3]));
    return g_ascii_strtod (f[0], NULL);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *path = NULL;
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *peer_why = NULL;
  g_autoptr(GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) theirs = g_array_new (FALSE, FALSE, sizeof (double));
  double seconds = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 3.0;
  guint concurrency = argc > 3 ? (guint)atoi (argv[3]) : 16;
  guint rounds = 3;
  Bench bench = { 0 };
  gboolean failed = FALSE;

  if (argc > 1)
    path = g_strdup (argv[1]);
  else
    path = g_build_filename (g_getenv ("SAOMA_BUILD_DIR") ? g_getenv ("SAOMA_BUILD_DIR") : BUILD_DIR,
                             "src", "sim", "wxpay-sim", NULL);
  if (concurrency == 0 || seconds <= 0)
    {
      g_printerr ("usage: bench-sim [PATH-TO-wxpay-sim] [SECONDS] [IN-FLIGHT]\n");
      return 2;
    }

  sim = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, path, "--port", "0", NULL);
  if (sim == NULL)
    {
      g_printerr ("bench-sim: cannot start %s: %s\n", path, error->message);
      return 1;
    }
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim));
  url = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  if (url == NULL)
    {
      g_printerr ("bench-sim: no URL from wxpay-sim\n");
      return 1;
    }
  printf ("bench-sim: wxpay-sim at %s; %u rounds of %.1f s each, Saoma and the npm peer "
          "alternating\n", url, rounds, seconds);

  /* libsoup keeps at most two connections per host per session: one client (session) per two
   * requests in flight gives the requested concurrency on the wire. */
  bench.clients = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < (concurrency + 1) / 2; i++)
    g_ptr_array_add (bench.clients, wxpay_client_new (url, WXPAY_SIM_DEFAULT_APPID,
                                                      WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY));
  bench.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.loop = g_main_loop_new (NULL, FALSE);

  /* Alternating rounds: a slow spell of the shared machine hits both sides alike. */
  for (guint r = 0; r < rounds; r++)
    {
      double rate = run_round (&bench, seconds, concurrency, g_subprocess_get_identifier (sim),
                               r == rounds - 1);

      failed |= bench.errors != 0;
      g_array_append_val (ours, rate);
      if (peer_why == NULL)
        {
          double peer = run_peer_round (url, seconds, concurrency, &peer_why);

          if (peer > 0)
            g_array_append_val (theirs, peer);
        }
    }

  {
    double med = median_of (ours);
    g_autofree char *measure = g_strdup_printf ("unifiedorder+orderquery round trips, %u in "
                                                "flight, loopback wxpay-sim", concurrency);

    printf ("bench-sim: median of %u rounds: %.0f round trips/s\n", rounds, med);
    if (theirs->len > 0 && peer_why == NULL)
      {
        double peer = median_of (theirs);
        g_autofree char *ours_text = grouped (med);
        g_autofree char *theirs_text = grouped (peer);

        printf ("TABLE\t%s\t%s round trips/s\twechatpay-axios-plugin 0.9.6 (npm, Node %s): %s "
                "round trips/s\t%.2f×\t-\n", measure, ours_text, node_version (), theirs_text,
                med / peer);
      }
    else
      {
        g_autofree char *ours_text = grouped (med);

        printf ("TABLE\t%s\t%s round trips/s\twechatpay-axios-plugin (npm): %s\t-\t-\n",
                measure, ours_text, peer_why ? peer_why : "skipped");
      }
  }

  g_subprocess_send_signal (sim, SIGTERM);
  g_subprocess_wait (sim, NULL, NULL);
  g_ptr_array_unref (bench.clients);
  g_array_unref (bench.latencies);
  g_main_loop_unref (bench.loop);

  return failed ? 1 : 0;
}
