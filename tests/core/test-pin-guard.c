/* test-pin-guard.c: the manager PIN in the keyring (libsecret's file backend, a real SQLite
 * ledger): tamper detection, the delay schedule on an injected clock, the lockout across a
 * restart, one count for parallel guessers. */
#include "config.h"

#include <string.h>
#include <libsecret/secret.h>

#include "core/saoma-clock.h"
#include "core/saoma-pin.h"
#include "core/saoma-pin-guard.h"
#include "ledger/saoma-ledger.h"
#include "test-util.h"

#define PIN    "246810"
#define OTHER  "135791"
#define T0     G_GINT64_CONSTANT (1795000000000000) /* 2026-11-19 UTC, any fixed instant */
#define SECOND G_TIME_SPAN_SECOND

/* hashlib.pbkdf2_hmac('sha256', b'432100', bytes(range(16)), 100000): a verifier made outside
 * Saoma, in the format Saoma writes. */
#define HASHLIB_VERIFIER "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw==$" \
                         "/LjDCErR1Iyc7zZ27x677SEFkK7Ool61C9yPkQsu35c="
#define HASHLIB_PIN      "432100"

typedef struct {
  char          *dir;
  SaomaLedger   *ledger;
  SaomaClock    *clock;
  SaomaPinGuard *guard;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  fixture->dir = g_dir_make_tmp ("saoma-pin-guard-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "ledger.db", NULL);
  fixture->ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  fixture->clock = saoma_clock_new_manual (T0);
  saoma_test_clear_pin ();
  fixture->guard = saoma_pin_guard_new (fixture->clock, SAOMA_STORE (fixture->ledger));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->guard);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fixture->ledger);
  g_clear_object (&fixture->clock);
  saoma_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

static char *
keyring_text (void)
{
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_sync (saoma_pin_guard_get_schema (), NULL, &error,
                                              "purpose", "manager-pin", NULL);
  char *copy;

  g_assert_no_error (error);
  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

/* Writes @text as the keyring item, the way anyone with the session can (secret-tool store). */
static void
keyring_write (const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (secret_password_store_sync (saoma_pin_guard_get_schema (),
                                             SECRET_COLLECTION_DEFAULT, "by hand", text, NULL,
                                             &error, "purpose", "manager-pin", NULL));
  g_assert_no_error (error);
}

static guint
count_events (Fixture    *fixture,
              const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = saoma_ledger_list_till_events_sync (fixture->ledger,
                                                                    "manager-pin", &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (strstr (event->detail, needle) != NULL)
        n++;
    }
  return n;
}

static void
expect_check (SaomaPinGuard *guard,
              const char    *pin,
              gint           code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = saoma_pin_guard_check_sync (guard, pin, &error);

  if (code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, SAOMA_PIN_ERROR, code);
      /* Never the PIN in a message. */
      if (pin[0] != '\0')
        g_assert_null (strstr (error->message, pin));
    }
}

static void
test_delay_schedule (void)
{
  g_assert_cmpint (saoma_pin_retry_delay (0), ==, 0);
  g_assert_cmpint (saoma_pin_retry_delay (1), ==, 1 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (2), ==, 2 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (3), ==, 4 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (4), ==, 8 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (5), ==, 15 * 60 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (6), ==, 15 * 60 * SECOND);
  g_assert_cmpint (saoma_pin_retry_delay (1000000), ==, 15 * 60 * SECOND);
}

static void
test_set_and_check (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (saoma_pin_guard_refresh_sync (fixture->guard, NULL), ==,
                   SAOMA_PIN_STATUS_NOT_SET);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_NOT_SET);

  /* New PINs have 6 to 12 digits. */
  g_assert_false (saoma_pin_guard_set_sync (fixture->guard, NULL, "12345", &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID);
  g_assert_false (saoma_pin_guard_set_sync (fixture->guard, NULL, "1234567890123", &error2));
  g_assert_error (error2, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID);
  g_assert_cmpint (saoma_pin_guard_get_status (fixture->guard), ==, SAOMA_PIN_STATUS_NOT_SET);

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  g_assert_cmpint (saoma_pin_guard_get_status (fixture->guard), ==, SAOMA_PIN_STATUS_SET);
  g_assert_cmpuint (count_events (fixture, "set while none was set"), ==, 1);

  /* The keyring holds a salted hash, never the PIN. */
  text = keyring_text ();
  g_assert_nonnull (strstr (text, "verifier pbkdf2-sha256$"));
  g_assert_null (strstr (text, PIN));

  expect_check (fixture->guard, PIN, -1);
  expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
}

/* Each wait is exact on the injected clock; tries during a wait are refused unchecked. */
static void
test_delays (Fixture       *fixture,
             gconstpointer  data)
{
  const gint64 waits[] = { 1, 2, 4, 8 };

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (waits); i++)
    {
      expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
      /* Even the right PIN waits: a wait is not a hint. */
      expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_THROTTLED);
      saoma_clock_advance (fixture->clock, waits[i] * SECOND - 1);
      expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_THROTTLED);
      saoma_clock_advance (fixture->clock, 1);
    }

  /* The fifth wrong PIN in a row locks for 15 minutes, and says so in the ledger. */
  expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
  g_assert_cmpuint (count_events (fixture, "locked for 15 min after 5 wrong PINs"), ==, 1);
  saoma_clock_advance (fixture->clock, 15 * 60 * SECOND - 1);
  {
    /* The message names the minute (local time, rounded up) from which the PIN works again. */
    gint64 until = saoma_clock_now (fixture->clock) + 1;
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc ((until + 60 * SECOND - 1)
                                                              / (60 * SECOND) * 60);
    g_autoptr(GDateTime) local = g_date_time_to_local (utc);
    g_autofree char *hhmm = g_date_time_format (local, "%H:%M");
    g_autoptr(GError) error = NULL;

    g_assert_false (saoma_pin_guard_check_sync (fixture->guard, PIN, &error));
    g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_LOCKED);
    g_assert_nonnull (strstr (error->message, hhmm));
  }
  saoma_clock_advance (fixture->clock, 1);

  /* The right PIN clears the count: the next slip costs one second again. */
  expect_check (fixture->guard, PIN, -1);
  expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
  saoma_clock_advance (fixture->clock, SECOND);
  expect_check (fixture->guard, PIN, -1);
  expect_check (fixture->guard, PIN, -1);
}

/* Empty or malformed input is no guess: refused at once, no wait. */
static void
test_rules_not_counted (Fixture       *fixture,
                        gconstpointer  data)
{
  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  for (guint i = 0; i < 20; i++)
    expect_check (fixture->guard, i % 2 ? "" : "12a456", SAOMA_PIN_ERROR_WRONG);
  expect_check (fixture->guard, PIN, -1);
}

/* The lockout is in the keyring: a new guard (a restarted till, another process) sees it. */
static void
test_lockout_survives_restart (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(SaomaClock) later = NULL;

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  for (guint i = 0; i < SAOMA_PIN_LOCKOUT_FAILURES; i++)
    {
      expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
      saoma_clock_advance (fixture->clock, saoma_pin_retry_delay (i + 1) < 60 * SECOND
                                             ? saoma_pin_retry_delay (i + 1) : 0);
    }

  g_clear_object (&fixture->guard);
  later = saoma_clock_new_manual (saoma_clock_now (fixture->clock) + 60 * SECOND);
  fixture->guard = saoma_pin_guard_new (later, SAOMA_STORE (fixture->ledger));
  g_assert_cmpint (saoma_pin_guard_refresh_sync (fixture->guard, NULL), ==,
                   SAOMA_PIN_STATUS_SET);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_LOCKED);

  /* Nor does changing the PIN get round it. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (saoma_pin_guard_set_sync (fixture->guard, PIN, OTHER, &error));
    g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_LOCKED);
  }

  saoma_clock_advance (later, 14 * 60 * SECOND);
  expect_check (fixture->guard, PIN, -1);
}

/* A clock set back does not end a wait: it starts again from the new "now". */
static void
test_clock_set_back (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(SaomaClock) earlier = saoma_clock_new_manual (T0 - 24 * 3600 * SECOND);

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  for (guint i = 0; i < SAOMA_PIN_LOCKOUT_FAILURES - 1; i++)
    {
      expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
      saoma_clock_advance (fixture->clock, saoma_pin_retry_delay (i + 1));
    }
  expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);

  g_clear_object (&fixture->guard);
  fixture->guard = saoma_pin_guard_new (earlier, SAOMA_STORE (fixture->ledger));
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_LOCKED);
  saoma_clock_advance (earlier, 15 * 60 * SECOND - 1);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_LOCKED);
  saoma_clock_advance (earlier, 1);
  expect_check (fixture->guard, PIN, -1);
}

/* Changing the PIN asks for the current one, through the same count. */
static void
test_change (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  /* No current PIN: refused (not a guess, so not counted). */
  g_assert_false (saoma_pin_guard_set_sync (fixture->guard, NULL, OTHER, &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);
  /* A wrong current PIN is a guess like any other. */
  g_assert_false (saoma_pin_guard_set_sync (fixture->guard, "999999", OTHER, &error2));
  g_assert_error (error2, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_THROTTLED);
  saoma_clock_advance (fixture->clock, SECOND);
  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, PIN, OTHER, NULL));
  g_assert_cmpuint (count_events (fixture, "changed (the current PIN was given)"), ==, 1);
  expect_check (fixture->guard, OTHER, -1);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_WRONG);
}

/* A verifier written by hand into the keyring, or any edit of Saoma's item, is refused. */
static void
test_tampered (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *swapped = NULL;
  g_auto(GStrv) lines = NULL;

  /* The naive way: hashlib's string as the item. */
  keyring_write (HASHLIB_VERIFIER);
  g_assert_cmpint (saoma_pin_guard_refresh_sync (fixture->guard, NULL), ==,
                   SAOMA_PIN_STATUS_TAMPERED);
  expect_check (fixture->guard, HASHLIB_PIN, SAOMA_PIN_ERROR_TAMPERED);

  /* Saoma's own item with the failure count reset by hand. */
  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  g_assert_cmpuint (count_events (fixture, "changed outside Saoma"), ==, 1);
  expect_check (fixture->guard, OTHER, SAOMA_PIN_ERROR_WRONG);
  text = keyring_text ();
  g_assert_nonnull (strstr (text, "\nfailures 1\n"));
  lines = g_strsplit (text, "\nfailures 1\n", 2);
  edited = g_strjoin ("\nfailures 0\n", lines[0], lines[1], NULL);
  keyring_write (edited);
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_TAMPERED);
  g_assert_cmpint (saoma_pin_guard_get_status (fixture->guard), ==, SAOMA_PIN_STATUS_TAMPERED);

  /* Saoma's item, well formed, with hashlib's verifier in place of the real one. */
  keyring_write (text);
  g_assert_cmpint (saoma_pin_guard_refresh_sync (fixture->guard, NULL), ==,
                   SAOMA_PIN_STATUS_SET);
  {
    g_auto(GStrv) parts = g_strsplit (text, "\n", -1);

    g_free (parts[1]);
    parts[1] = g_strdup ("verifier " HASHLIB_VERIFIER);
    swapped = g_strjoinv ("\n", parts);
  }
  keyring_write (swapped);
  expect_check (fixture->guard, HASHLIB_PIN, SAOMA_PIN_ERROR_TAMPERED);

  /* Deleting the item leaves no PIN: refunds stop until the manager sets one, recorded. */
  saoma_test_clear_pin ();
  expect_check (fixture->guard, PIN, SAOMA_PIN_ERROR_NOT_SET);
}

static void
parallel_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GArray *codes = user_data;
  g_autoptr(GError) error = NULL;
  gint code = -1;

  if (!saoma_pin_guard_check_finish (SAOMA_PIN_GUARD (source), result, &error))
    code = error->code;
  g_array_append_val (codes, code);
}

/* Parallel guesses (threads here, processes alike: one lock file) share one count. */
static void
test_parallel (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GArray) codes = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr(SaomaPinGuard) second = saoma_pin_guard_new (fixture->clock, NULL);
  guint wrong = 0, throttled = 0;

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  for (guint i = 0; i < 6; i++)
    saoma_pin_guard_check_async (i % 2 ? second : fixture->guard, OTHER, NULL, parallel_cb,
                                 codes);
  SAOMA_TEST_WAIT_UNTIL (codes->len == 6, 60);

  for (guint i = 0; i < codes->len; i++)
    {
      gint code = g_array_index (codes, gint, i);

      if (code == SAOMA_PIN_ERROR_WRONG)
        wrong++;
      else if (code == SAOMA_PIN_ERROR_THROTTLED)
        throttled++;
    }
  g_assert_cmpuint (wrong, ==, 1);
  g_assert_cmpuint (throttled, ==, 5);
}

/* Two right PINs at once (two dialogs, a double click) both pass: one waits for the other. */
static void
test_parallel_right (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GArray) codes = g_array_new (FALSE, FALSE, sizeof (gint));

  g_assert_true (saoma_pin_guard_set_sync (fixture->guard, NULL, PIN, NULL));
  for (guint i = 0; i < 4; i++)
    saoma_pin_guard_check_async (fixture->guard, PIN, NULL, parallel_cb, codes);
  SAOMA_TEST_WAIT_UNTIL (codes->len == 4, 60);
  for (guint i = 0; i < codes->len; i++)
    g_assert_cmpint (g_array_index (codes, gint, i), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = saoma_test_use_file_keyring ();
  int ret;

  saoma_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/pin-guard/delay-schedule", test_delay_schedule);
  ADD ("/pin-guard/set-and-check", test_set_and_check);
  ADD ("/pin-guard/delays", test_delays);
  ADD ("/pin-guard/rules-not-counted", test_rules_not_counted);
  ADD ("/pin-guard/lockout-survives-restart", test_lockout_survives_restart);
  ADD ("/pin-guard/clock-set-back", test_clock_set_back);
  ADD ("/pin-guard/change", test_change);
  ADD ("/pin-guard/tampered", test_tampered);
  ADD ("/pin-guard/parallel", test_parallel);
  ADD ("/pin-guard/parallel-right", test_parallel_right);

  ret = g_test_run ();
  saoma_test_rm_rf (keyring_dir);
  return ret;
}
