/* bench-ledger.c: the ledger at a million attempts (prints numbers; not a pass/fail test).
 *
 *   bench-ledger [--rows N] [--day-rows M] [--shuffled] [--dir DIR] [--compare-rows K]
 *
 * First, side by side: K attempts (each with its creation event, in transactions of BATCH)
 * through saoma_ledger_insert_many_sync() and through Python's sqlite3.executemany() into a
 * ledger file of the same schema with the same pragmas (WAL, synchronous=FULL), median of
 * three runs each (the Python half is skipped, with a note, without /usr/bin/python3).
 *
 * Builds a ledger of N attempts (M of them on one local day) in a temporary directory with
 * saoma_ledger_insert_many_sync(), then measures: insert rate; reopening the ledger, creating
 * the history model and reading its size; random get_item() latency; process RSS after walking
 * the whole model; exporting the busy day as CSV.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/saoma-export.h"
#include "ledger/saoma-ledger.h"
#include "ledger/saoma-ledger-model.h"

#define BATCH 10000
#define USEC  G_GINT64_CONSTANT (1000000)

static gint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  if (!(line = strstr (status, "VmRSS:")))
    return -1;

  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

static int
cmp_int64 (gconstpointer a,
           gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The peer: the same rows and events as insert_many_sync() writes, through executemany(), in
 * transactions of the same size, on a file Saoma created (same schema, triggers and indexes). */
static const char python_insert[] =
  "import sqlite3, sys, time, random\n"
  "path, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
  "db = sqlite3.connect(path, isolation_level=None)\n"
  "for p in ('journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON',\n"
  "          'cache_size = -8192'):\n"
  "    db.execute('PRAGMA ' + p)\n"
  "states = ['PAID', 'PAID', 'PAID', 'CLOSED', 'FAILED']\n"
  "rnd = random.Random(2026)\n"
  "t0 = time.perf_counter()\n"
  "done = 0\n"
  "while done < rows:\n"
  "    n = min(batch, rows - done)\n"
  "    attempts, events = [], []\n"
  "    now = time.time_ns() // 1000\n"
  "    for i in range(done, done + n):\n"
  "        state = states[rnd.randrange(5)]\n"
  "        amount = rnd.randrange(1, 100000)\n"
  "        created = 1790000000000000 + i * 1000000\n"
  "        no = 'B%012d' % i\n"
  "        attempts.append((no, amount, '商品 %d' % (i % 1000), 'till-1', created, created,\n"
  "                         created + 300000000, state,\n"
  "                         '42000%015d' % i if state == 'PAID' else None, None, 0, 0, 0,\n"
  "                         None))\n"
  "        events.append((now, no, 'transition', '%s, %d fen' % (state, amount)))\n"
  "    db.execute('BEGIN IMMEDIATE')\n"
  "    db.executemany('INSERT INTO attempts (out_trade_no, amount, description, till_id,'\n"
  "                   ' created, updated, expires, state, transaction_id, code_url, refunded,'\n"
  "                   ' paid_at, late, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,'\n"
  "                   ' ?, ?)', attempts)\n"
  "    db.executemany('INSERT INTO events (time, out_trade_no, kind, detail)'\n"
  "                   ' VALUES (?, ?, ?, ?)', events)\n"
  "    db.execute('COMMIT')\n"
  "    done += n\n"
  "print(time.perf_counter() - t0)\n";

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      g_unlink (child);
    }
  g_rmdir (dir);
}

/* A fresh ledger file at @dir/compare-@run.db, created (and migrated) by Saoma. */
static char *
fresh_ledger (const char *dir,
              const char *who,
              guint       run)
{
  g_autofree char *name = g_strdup_printf ("compare-%s-%u.db", who, run);
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  return path;
}

static void
remove_ledger_file (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

/* Seconds to insert @rows attempts as the 1M run below does (objects built in the loop). */
static double
saoma_insert_seconds (const char *path,
                      gint64      rows)
{
  static const SaomaAttemptState states[] = { SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_PAID,
                                              SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_CLOSED,
                                              SAOMA_ATTEMPT_FAILED };
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026);
  gint64 t;

  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  t = g_get_monotonic_time ();
  for (gint64 done = 0; done < rows; )
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < BATCH && done < rows; i++, done++)
        {
          g_autofree char *no = g_strdup_printf ("B%012" G_GINT64_FORMAT, done);
          g_autofree char *tx = g_strdup_printf ("42000%015" G_GINT64_FORMAT, done);
          g_autofree char *desc = g_strdup_printf ("商品 %" G_GINT64_FORMAT, done % 1000);
          SaomaAttemptState state = states[g_rand_int_range (rand, 0, G_N_ELEMENTS (states))];
          gint64 created = G_GINT64_CONSTANT (1790000000000000) + done * USEC;

          g_ptr_array_add (batch, saoma_attempt_new_full (0, no, g_rand_int_range (rand, 1, 100000),
                                                          desc, "till-1", created, created,
                                                          created + 300 * USEC, state,
                                                          state == SAOMA_ATTEMPT_PAID ? tx : NULL,
                                                          NULL, 0, 0, FALSE));
        }

      if (!saoma_ledger_insert_many_sync (ledger, batch, &error))
        g_error ("%s", error->message);
    }

  return (g_get_monotonic_time () - t) / 1e6;
}

/* Seconds Python's loop took, or a negative number when it could not run. */
static double
python_insert_seconds (const char *path,
                       gint64      rows)
{
  g_autofree char *rows_arg = g_strdup_printf ("%" G_GINT64_FORMAT, rows);
  g_autofree char *batch_arg = g_strdup_printf ("%d", BATCH);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, "/usr/bin/python3", "-c", python_insert, path, rows_arg,
                           batch_arg, NULL);
  if (proc == NULL ||
      !g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error) ||
      !g_subprocess_get_successful (proc))
    {
      g_print ("python3 sqlite3 loop failed: %s\n", error ? error->message : err);
      return -1;
    }

  return g_ascii_strtod (out, NULL);
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* Formats @n with thousands separators, as the README's table does. */
static char *
thousands (double n)
{
  g_autofree char *digits = g_strdup_printf ("%.0f", n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

static void
compare_with_python (const char *dir,
                     gint64      rows)
{
  double saoma[3], python[3];
  gboolean have_python = g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE);
  g_autofree char *saoma_rate = NULL;
  g_autofree char *python_rate = NULL;
  g_autofree char *measure = NULL;

  for (guint run = 0; run < G_N_ELEMENTS (saoma); run++)
    {
      g_autofree char *saoma_path = fresh_ledger (dir, "saoma", run);
      g_autofree char *python_path = fresh_ledger (dir, "python", run);

      saoma[run] = saoma_insert_seconds (saoma_path, rows);
      python[run] = have_python ? python_insert_seconds (python_path, rows) : -1;
      if (python[run] < 0)
        have_python = FALSE;
      remove_ledger_file (saoma_path);
      remove_ledger_file (python_path);
    }

  qsort (saoma, G_N_ELEMENTS (saoma), sizeof (double), cmp_double);
  qsort (python, G_N_ELEMENTS (python), sizeof (double), cmp_double);
  saoma_rate = thousands (rows / saoma[1]);
  measure = g_strdup_printf ("ledger insert, %s attempts + events", thousands (rows));
  g_print ("insert vs python:  Saoma %s rows/s (median of 3: %.3f s)\n", saoma_rate, saoma[1]);

  if (!have_python)
    {
      g_print ("insert vs python:  skipped: /usr/bin/python3 is missing or failed\n");
      printf ("TABLE\t%s\t%s rows/s\t-\t-\t≥ 1.5×\n", measure, saoma_rate);
      fflush (stdout);
      return;
    }

  python_rate = thousands (rows / python[1]);
  /* printf, not g_print: these lines are UTF-8 whatever the locale (g_print would turn “×”
   * into “?” under LANG=C). */
  printf ("insert vs python:  python sqlite3.executemany %s rows/s (median of 3: %.3f s); "
          "Saoma %.2f× that\n", python_rate, python[1], python[1] / saoma[1]);
  printf ("TABLE\t%s\t%s rows/s\tpython sqlite3.executemany: %s rows/s\t%.2f×\t≥ 1.5×\n",
          measure, saoma_rate, python_rate, python[1] / saoma[1]);
  fflush (stdout);
}

/* The model reads asynchronously: waits until what is asked for has arrived. */
static void
settle (SaomaLedgerModel *model)
{
  while (saoma_ledger_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
}

/* The row at @pos, waiting for its page when it is a placeholder. */
static SaomaAttempt *
loaded_item (SaomaLedgerModel *model,
             guint             pos)
{
  SaomaAttempt *a = g_list_model_get_item (G_LIST_MODEL (model), pos);

  if (a != NULL && saoma_attempt_is_placeholder (a))
    {
      g_object_unref (a);
      settle (model);
      a = g_list_model_get_item (G_LIST_MODEL (model), pos);
    }

  return a;
}

int
main (int   argc,
      char *argv[])
{
  static const SaomaAttemptState states[] = { SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_PAID,
                                              SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_CLOSED,
                                              SAOMA_ATTEMPT_FAILED };
  gint64 rows = 1000000;
  gint64 day_rows = 100000;
  gint64 compare_rows = 100000;
  g_autofree char *base = NULL;
  gboolean shuffled = FALSE;
  GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT64, &rows, "Attempts in the ledger", "N" },
    { "day-rows", 0, 0, G_OPTION_ARG_INT64, &day_rows, "Attempts on the exported day", "M" },
    { "shuffled", 0, 0, G_OPTION_ARG_NONE, &shuffled, "Random creation times (worst case)", NULL },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &base, "Where to create the ledger", "DIR" },
    { "compare-rows", 0, 0, G_OPTION_ARG_INT64, &compare_rows,
      "Attempts in the side-by-side insert with Python (0: skip)", "K" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark the ledger");
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaLedgerModel) model = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(GArray) lat = NULL;
  GDate day;
  gint64 day_start, day_end, t, t_insert, t_open, t_walk, t_export;
  gint64 rss_before_walk, rss_after_walk;
  guint n_items, exported = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  day_rows = CLAMP (day_rows, 0, rows);

  dir = base ? g_build_filename (base, "saoma-bench-ledger", NULL)
             : g_dir_make_tmp ("saoma-bench-ledger-XXXXXX", &error);
  if (dir == NULL || g_mkdir_with_parents (dir, 0700) != 0)
    g_error ("Cannot create a directory: %s", error ? error->message : dir);
  path = g_build_filename (dir, "ledger.db", NULL);
  csv = g_build_filename (dir, "day.csv", NULL);

  g_date_clear (&day, 1);
  g_date_set_dmy (&day, 27, 11, 2026);
  saoma_export_day_range (&day, tz, &day_start, &day_end);

  g_print ("bench-ledger: %" G_GINT64_FORMAT " attempts, %" G_GINT64_FORMAT
           " on one day, %s, in %s\n", rows, day_rows,
           shuffled ? "random creation order" : "inserted in time order", dir);

  /* 0. Side by side with Python's sqlite3.executemany(). */
  if (compare_rows > 0)
    compare_with_python (dir, compare_rows);

  /* 1. Bulk insert. */
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  t = g_get_monotonic_time ();
  for (gint64 done = 0; done < rows; )
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < BATCH && done < rows; i++, done++)
        {
          g_autofree char *no = g_strdup_printf ("B%012" G_GINT64_FORMAT, done);
          g_autofree char *tx = g_strdup_printf ("42000%015" G_GINT64_FORMAT, done);
          g_autofree char *desc = g_strdup_printf ("商品 %" G_GINT64_FORMAT, done % 1000);
          SaomaAttemptState state = states[g_rand_int_range (rand, 0, G_N_ELEMENTS (states))];
          gint64 created;

          /* A year of history, then the busy day, inserted in time order as a till does
           * (--shuffled: random times, the worst case for locality). */
          if (shuffled)
            {
              if (done < rows - day_rows)
                created = day_start - (gint64) g_rand_int_range (rand, 1, 365 * 86400) * G_USEC_PER_SEC;
              else
                created = day_start + (gint64) g_rand_int_range (rand, 0, 86400) * G_USEC_PER_SEC;
            }
          else if (done < rows - day_rows)
            created = day_start - (rows - day_rows - done) * (365 * 86400 * USEC / (rows - day_rows + 1)) - 1;
          else
            created = day_start + (done - (rows - day_rows)) * (86400 * USEC / MAX (day_rows, 1));

          g_ptr_array_add (batch, saoma_attempt_new_full (0, no, g_rand_int_range (rand, 1, 100000),
                                                          desc, "till-1", created, created,
                                                          created + 300 * G_USEC_PER_SEC, state,
                                                          state == SAOMA_ATTEMPT_PAID ? tx : NULL,
                                                          NULL, 0, 0, FALSE));
        }

      if (!saoma_ledger_insert_many_sync (ledger, batch, &error))
        g_error ("%s", error->message);
    }
  t_insert = g_get_monotonic_time () - t;
  g_clear_object (&ledger);

  g_print ("insert:            %.0f rows/s (%" G_GINT64_FORMAT " rows in %.2f s, batches of %d)\n",
           rows / (t_insert / 1e6), rows, t_insert / 1e6, BATCH);

  /* 2. Cold-ish open: open, model, size. */
  t = g_get_monotonic_time ();
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  model = saoma_ledger_model_new (ledger);
  settle (model);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (model));
  t_open = g_get_monotonic_time () - t;
  g_assert_cmpuint (n_items, ==, rows);
  g_print ("open+model+count:  %.1f ms (%u items)\n", t_open / 1e3, n_items);

  /* 3. Random rows: get_item() itself never reads (a placeholder at once); this is the time
   * until the row has arrived from the store's thread. */
  lat = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 10000);
  for (guint i = 0; i < 10000 && n_items > 0; i++)
    {
      guint pos = g_rand_int_range (rand, 0, n_items);
      gint64 t0 = g_get_monotonic_time (), dt;
      g_autoptr(SaomaAttempt) a = loaded_item (model, pos);

      dt = g_get_monotonic_time () - t0;
      g_assert_nonnull (a);
      g_assert_false (saoma_attempt_is_placeholder (a));
      g_array_append_val (lat, dt);
    }
  if (lat->len > 0)
    {
      gint64 sum = 0;

      g_array_sort (lat, cmp_int64);
      for (guint i = 0; i < lat->len; i++)
        sum += g_array_index (lat, gint64, i);
      g_print ("random row load:   median %" G_GINT64_FORMAT " us, p99 %" G_GINT64_FORMAT
               " us, max %" G_GINT64_FORMAT " us, mean %.1f us (%u samples)\n",
               g_array_index (lat, gint64, lat->len / 2),
               g_array_index (lat, gint64, lat->len * 99 / 100),
               g_array_index (lat, gint64, lat->len - 1), (double) sum / lat->len, lat->len);
    }

  /* 4. Walk end to end. */
  rss_before_walk = rss_kb ();
  t = g_get_monotonic_time ();
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(SaomaAttempt) a = loaded_item (model, i);

      g_assert_nonnull (a);
    }
  t_walk = g_get_monotonic_time () - t;
  rss_after_walk = rss_kb ();
  g_print ("walk all items:    %.2f s (%.2f us/item)\n", t_walk / 1e6,
           n_items ? (double) t_walk / n_items : 0.0);
  g_print ("RSS:               %.1f MB before the walk, %.1f MB after\n",
           rss_before_walk / 1024.0, rss_after_walk / 1024.0);

  /* 5. Export the busy day. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (csv);
    g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE,
                                                       NULL, &error);
    GStatBuf st;

    g_assert_no_error (error);
    t = g_get_monotonic_time ();
    if (!saoma_export_day_to_stream (ledger, &day, tz, G_OUTPUT_STREAM (out), &exported, NULL,
                                     &error) ||
        !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error))
      g_error ("%s", error->message);
    t_export = g_get_monotonic_time () - t;
    g_assert_cmpint (exported, ==, day_rows);
    g_stat (csv, &st);
    g_print ("CSV export of day: %.0f ms (%u rows, %.1f MB)\n", t_export / 1e3, exported,
             st.st_size / 1048576.0);
  }

  g_clear_object (&model);
  g_clear_object (&ledger);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  remove_tree (dir);

  return 0;
}
