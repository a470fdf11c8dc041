/* bench-pin.c: what one manager PIN check costs (prints numbers; not a pass/fail test).
 *
 *   bench-pin [--runs N]
 *
 * Measures, as medians of N runs: PBKDF2-HMAC-SHA256 at the default iteration count through
 * saoma_pin_verify_sync() (nettle); the same derivation in Python's hashlib (OpenSSL) when
 * /usr/bin/python3 is there; and a whole SaomaPinGuard check (lock file, keyring read, count
 * written before the hash, reset after it) against libsecret's file backend in a temporary
 * directory (never the user's keyring).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/saoma-pin.h"
#include "core/saoma-pin-guard.h"

#define PIN "246810"

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *ms)
{
  g_array_sort (ms, cmp_double);
  return g_array_index (ms, double, ms->len / 2);
}

/* hashlib.pbkdf2_hmac with the same parameters, timed inside Python; -1 when unavailable. */
static double
hashlib_ms (guint runs)
{
  g_autofree char *script = g_strdup_printf (
    "import hashlib, time, statistics\n"
    "t = []\n"
    "for _ in range(%u):\n"
    "    s = time.perf_counter()\n"
    "    hashlib.pbkdf2_hmac('sha256', b'" PIN "', bytes(16), %u)\n"
    "    t.append((time.perf_counter() - s) * 1000)\n"
    "print(statistics.median(t))\n",
    runs, SAOMA_PIN_DEFAULT_ITERATIONS);
  const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
  g_autofree char *out = NULL;
  int status = 0;

  if (!g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE)
      || !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                        NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return -1;
  return g_ascii_strtod (out, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = g_dir_make_tmp ("saoma-bench-pin-XXXXXX", NULL);
  g_autofree char *keyring = g_build_filename (dir, "keyring", NULL);
  g_autofree char *lock = g_build_filename (dir, "saoma-pin.lock", NULL);
  g_autoptr(GArray) raw = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) guarded = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  guint runs = 9;
  double raw_ms, guard_ms, peer_ms;

  if (argc == 3 && strcmp (argv[1], "--runs") == 0)
    runs = MAX (1, atoi (argv[2]));

  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "bench", TRUE);
  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);

  encoded = saoma_pin_hash_sync (PIN, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      g_assert_true (saoma_pin_verify_sync (PIN, encoded, NULL));
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (raw, ms);
    }

  guard = saoma_pin_guard_new (NULL, NULL);
  g_assert_true (saoma_pin_guard_set_sync (guard, NULL, PIN, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      g_assert_true (saoma_pin_guard_check_sync (guard, PIN, &error));
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (guarded, ms);
    }

  raw_ms = median (raw);
  guard_ms = median (guarded);
  peer_ms = hashlib_ms (runs);

  printf ("PBKDF2-HMAC-SHA256, %u iterations, median of %u: nettle %.1f ms",
           SAOMA_PIN_DEFAULT_ITERATIONS, runs, raw_ms);
  if (peer_ms > 0)
    printf (", python hashlib %.1f ms", peer_ms);
  printf ("\nwhole guarded check (lock, keyring read, count, hash, reset): %.1f ms\n", guard_ms);

  if (peer_ms > 0)
    printf ("TABLE\tmanager PIN hash, PBKDF2-HMAC-SHA256 × %u\t%.0f ms\tpython hashlib.pbkdf2_hmac: "
             "%.0f ms\t%.2f×\t-\n", SAOMA_PIN_DEFAULT_ITERATIONS, raw_ms, peer_ms,
             peer_ms / raw_ms);
  else
    printf ("TABLE\tmanager PIN hash, PBKDF2-HMAC-SHA256 × %u\t%.0f ms\t-\t-\t-\n",
             SAOMA_PIN_DEFAULT_ITERATIONS, raw_ms);
  printf ("TABLE\tmanager PIN check through the keyring guard\t%.0f ms\t-\t-\t-\n", guard_ms);

  g_clear_object (&guard);
  g_unlink (keyring);
  g_unlink (lock);
  g_rmdir (dir);
  return 0;
}
