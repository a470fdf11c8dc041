/* test-scan-detector.c: the scanner/typing decision of SaomaScanDetector, as a table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each row is a sequence of keys, each pressed a given number of milliseconds after the one
 * before (the events' own times), and what must come out: the code scanned (or none), and the
 * digits handed back as typing, in order, with the keys that passed through written in
 * brackets ("12[.]34[Enter]"), so the order of delivery is checked too.
 */
#include "config.h"

#include <string.h>

#include <gdk/gdkkeysyms.h>

#include "saoma-scan-detector.h"

typedef struct {
  const char *name;
  guint       gap_ms;       /* the setting */
  const char *keys;         /* digits, '.', 'a', '\n' (Enter), 'K' (keypad 5), 'S' (Shift) */
  guint       step_ms;      /* between keys */
  guint       first_step;   /* after the previous row's … (0: same as step) */
  const char *code;         /* expected scanned code, NULL for none */
  const char *delivered;    /* typed digits and passed keys, in order */
  gboolean    flush_at_end; /* the caller's timer fired after the last key */
} Row;

static guint
keyval_for (char c)
{
  switch (c)
    {
    case '\n':
      return GDK_KEY_Return;
    case '.':
      return GDK_KEY_period;
    case 'a':
      return GDK_KEY_a;
    case 'K':
      return GDK_KEY_KP_5;
    case 'S':
      return GDK_KEY_Shift_L;
    default:
      return GDK_KEY_0 + (guint) (c - '0');
    }
}

static const char *
name_of (char c)
{
  switch (c)
    {
    case '\n':
      return "[Enter]";
    case '.':
      return "[.]";
    case 'a':
      return "[a]";
    case 'S':
      return "[Shift]";
    default:
      return NULL;
    }
}

/* Feeds @keys with @step_ms between them, the first at @t0; returns what was delivered. */
static char *
run (SaomaScanDetector *detector,
     const char        *keys,
     guint32            t0,
     guint              step_ms,
     GPtrArray         *codes)
{
  GString *out = g_string_new (NULL);
  guint32 t = t0;

  for (const char *k = keys; *k; k++, t += step_ms)
    {
      SaomaScanAction action = saoma_scan_detector_feed (detector, keyval_for (*k), t);
      g_autofree char *typed = saoma_scan_detector_take_typed (detector);

      if (typed != NULL)
        g_string_append (out, typed);
      if (action == SAOMA_SCAN_PASS)
        g_string_append (out, name_of (*k) ? name_of (*k) : "?");
      else if (action == SAOMA_SCAN_CODE)
        g_ptr_array_add (codes, saoma_scan_detector_take_code (detector));
    }
  return g_string_free (out, FALSE);
}

#define WECHAT "134567890123456780"

static const Row rows[] = {
  /* The brief's rows. */
  { "5 ms burst + Enter is a scan", 50, WECHAT "\n", 5, 0, WECHAT, "", FALSE },
  { "150 ms typing is typing", 50, WECHAT "\n", 150, 0, NULL, WECHAT "[Enter]", FALSE },
  { "fast \"12.34\" + Enter is an amount", 50, "12.34\n", 5, 0, NULL, "12[.]34[Enter]", FALSE },
  { "a short fast burst + Enter is a normal Enter", 50, "1234\n", 5, 0, NULL, "1234[Enter]",
    FALSE },
  { "15 digits are not a code", 50, "123456789012345\n", 5, 0, NULL,
    "123456789012345[Enter]", FALSE },
  { "16 digits are a code (Alipay's shortest)", 50, "2812345678901234\n", 5, 0,
    "2812345678901234", "", FALSE },
  { "a slow Enter after a fast burst is typing", 50, WECHAT "\n", 5, 80, NULL,
    WECHAT "[Enter]", FALSE },
  { "exactly the gap still counts", 50, WECHAT "\n", 50, 0, WECHAT, "", FALSE },
  { "one ms over the gap does not", 50, WECHAT "\n", 51, 0, NULL, WECHAT "[Enter]", FALSE },
  { "a wider gap setting takes a slower scanner", 120, WECHAT "\n", 100, 0, WECHAT, "",
    FALSE },
  { "keypad digits scan too", 50, "13456789012345678K\n", 5, 0, "134567890123456785", "",
    FALSE },
  { "a letter breaks a burst", 50, "12345678a901234567890\n", 5, 0, NULL,
    "12345678[a]901234567890[Enter]", FALSE },
  { "Shift alone neither breaks nor joins", 50, "S" WECHAT "\n", 5, 0, WECHAT, "[Shift]",
    FALSE },
  { "no key came: the held digits are typed", 50, "123", 5, 0, NULL, "123", TRUE },
  { "more than 32 digits are not a code", 50,
    "123456789012345678901234567890123456\n", 5, 0, NULL,
    "123456789012345678901234567890123456[Enter]", FALSE },
};

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const Row *row = &rows[i];
      g_autoptr(SaomaScanDetector) detector = saoma_scan_detector_new (row->gap_ms);
      g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *delivered = NULL;
      g_autofree char *tail = NULL;
      guint len = strlen (row->keys);

      g_test_message ("row %u: %s", i, row->name);
      if (row->first_step != 0)
        {
          /* All keys at step_ms, the last (Enter) first_step after the one before. */
          g_autofree char *head = g_strndup (row->keys, len - 1);
          g_autofree char *a = run (detector, head, 1000, row->step_ms, codes);
          g_autofree char *b = run (detector, row->keys + len - 1,
                                    1000 + (len - 2) * row->step_ms + row->first_step,
                                    row->step_ms, codes);
          delivered = g_strconcat (a, b, NULL);
        }
      else
        delivered = run (detector, row->keys, 1000, row->step_ms, codes);

      if (row->flush_at_end)
        saoma_scan_detector_flush (detector);
      tail = saoma_scan_detector_take_typed (detector);
      if (tail != NULL)
        {
          char *joined = g_strconcat (delivered, tail, NULL);
          g_free (delivered);
          delivered = joined;
        }

      g_assert_cmpstr (delivered, ==, row->delivered);
      if (row->code != NULL)
        {
          g_assert_cmpuint (codes->len, ==, 1);
          g_assert_cmpstr (g_ptr_array_index (codes, 0), ==, row->code);
        }
      else
        g_assert_cmpuint (codes->len, ==, 0);
      g_assert_false (saoma_scan_detector_is_holding (detector));
    }
}

/* Typed slowly, then scanned: the typed digits arrive in order, the code alone is scanned. */
static void
test_mixed (void)
{
  g_autoptr(SaomaScanDetector) detector = saoma_scan_detector_new (50);
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *typed = run (detector, "12.34", 1000, 150, codes);
  g_autofree char *scanned = NULL;
  g_autofree char *after = NULL;

  /* "4" is still held when the scan starts 400 ms later. */
  g_assert_cmpstr (typed, ==, "12[.]3");
  g_assert_true (saoma_scan_detector_is_holding (detector));
  scanned = run (detector, WECHAT "\n", 2000, 4, codes);
  g_assert_cmpstr (scanned, ==, "4");
  g_assert_cmpuint (codes->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (codes, 0), ==, WECHAT);

  /* A fast burst followed by a slow digit: all of it was typing. */
  after = run (detector, "1234567890123456789", 5000, 5, codes);
  g_assert_cmpstr (after, ==, "");
  g_free (after);
  after = run (detector, "9\n", 5000 + 18 * 5 + 300, 5, codes);
  g_assert_cmpstr (after, ==, "1234567890123456789" "9[Enter]");
  g_assert_cmpuint (codes->len, ==, 1);
}

/* The X server's millisecond clock wraps after 49.7 days; a scan across it is still a scan. */
static void
test_wrap (void)
{
  g_autoptr(SaomaScanDetector) detector = saoma_scan_detector_new (50);
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = run (detector, WECHAT "\n", G_MAXUINT32 - 40, 5, codes);

  g_assert_cmpstr (out, ==, "");
  g_assert_cmpuint (codes->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/scan-detector/table", test_table);
  g_test_add_func ("/scan-detector/mixed", test_mixed);
  g_test_add_func ("/scan-detector/wrap", test_wrap);

  return g_test_run ();
}
