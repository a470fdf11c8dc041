/* test-money.c: the only conversions between text and fen. */

#include "config.h"

#include "core/saoma-money.h"

#define MAX_FEN SAOMA_MONEY_DEFAULT_MAX_FEN

static void
test_accepts (void)
{
  static const struct {
    const char *text;
    gint64      fen;
  } cases[] = {
    { "12", 1200 },
    { "12.5", 1250 },
    { "12.50", 1250 },
    { "38.5", 3850 },
    { "0.01", 1 },
    { "0.1", 10 },
    { "007", 700 },
    { " 12.50 ", 1250 },
    { "\t12\n", 1200 },
    { "１２．５０", 1250 },                 /* full-width digits and dot */
    { "\u3000１２．５\u3000", 1250 },       /* ideographic spaces around */
    { "１２。５", 1250 },                   /* Chinese punctuation mode's full stop */
    { "¥12.50", 1250 },
    { "￥12.50", 1250 },
    { "￥ 8", 800 },
    { "100000", 10000000 },                 /* exactly the default maximum */
    { "99999.99", 9999999 },
    { "¥1,000.00", 100000 },                /* as saoma_money_format() shows it */
    { "12,345.6", 1234560 },
    { "100,000", 10000000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = -1;

      g_test_message ("parsing “%s”", cases[i].text);
      g_assert_true (saoma_money_parse (cases[i].text, MAX_FEN, &fen, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fen, ==, cases[i].fen);
    }
}

static void
test_rejects (void)
{
  static const struct {
    const char      *text;
    SaomaMoneyError  code;
    const char      *message;
  } cases[] = {
    { "", SAOMA_MONEY_ERROR_EMPTY, "Enter an amount." },
    { "   ", SAOMA_MONEY_ERROR_EMPTY, "Enter an amount." },
    { "\u3000", SAOMA_MONEY_ERROR_EMPTY, "Enter an amount." },
    { "¥", SAOMA_MONEY_ERROR_INVALID,
      "“¥” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "0", SAOMA_MONEY_ERROR_ZERO, "The amount must be more than zero." },
    { "0.00", SAOMA_MONEY_ERROR_ZERO, "The amount must be more than zero." },
    { "-0", SAOMA_MONEY_ERROR_ZERO, "The amount must be more than zero." },
    { "-1", SAOMA_MONEY_ERROR_NEGATIVE, "The amount cannot be negative." },
    { "-12.50", SAOMA_MONEY_ERROR_NEGATIVE, "The amount cannot be negative." },
    { "¥-3", SAOMA_MONEY_ERROR_NEGATIVE, "The amount cannot be negative." },
    { "1.234", SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS,
      "Amounts have at most two decimal places (fen)." },
    { "0.001", SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS,
      "Amounts have at most two decimal places (fen)." },
    { "1,00", SAOMA_MONEY_ERROR_INVALID,
      "“1,00” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { ",500", SAOMA_MONEY_ERROR_INVALID,
      "“,500” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "1000,000", SAOMA_MONEY_ERROR_INVALID,
      "“1000,000” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "1,000.0,0", SAOMA_MONEY_ERROR_INVALID,
      "“1,000.0,0” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "1e3", SAOMA_MONEY_ERROR_INVALID,
      "“1e3” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "12,5", SAOMA_MONEY_ERROR_INVALID,
      "“12,5” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "abc", SAOMA_MONEY_ERROR_INVALID,
      "“abc” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "12.", SAOMA_MONEY_ERROR_INVALID,
      "“12.” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { ".5", SAOMA_MONEY_ERROR_INVALID,
      "“.5” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "1.2.3", SAOMA_MONEY_ERROR_INVALID,
      "“1.2.3” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "+5", SAOMA_MONEY_ERROR_INVALID,
      "“+5” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "1 2", SAOMA_MONEY_ERROR_INVALID,
      "“1 2” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "0x10", SAOMA_MONEY_ERROR_INVALID,
      "“0x10” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "NaN", SAOMA_MONEY_ERROR_INVALID,
      "“NaN” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "１２，５", SAOMA_MONEY_ERROR_INVALID,   /* NFKC folds the comma too: still not a dot */
      "“12,5” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "١٢", SAOMA_MONEY_ERROR_INVALID,       /* Arabic-Indic digits are not folded */
      "“١٢” is not an amount. Use digits and an optional decimal point, like 38.50." },
    { "12345678901234567890abcdefghijkl", SAOMA_MONEY_ERROR_INVALID,
      "“12345678901234567890abcd…” is not an amount. Use digits and an optional decimal "
      "point, like 38.50." },
    { "100000.01", SAOMA_MONEY_ERROR_TOO_LARGE,
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
    { "12345678901234567890", SAOMA_MONEY_ERROR_TOO_LARGE,     /* 20 digits */
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
    { "92233720368547759", SAOMA_MONEY_ERROR_TOO_LARGE,        /* × 100 overflows gint64 */
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
    { "92233720368547758.08", SAOMA_MONEY_ERROR_TOO_LARGE,
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
    { "9223372036854775807", SAOMA_MONEY_ERROR_TOO_LARGE,      /* G_MAXINT64 yuan */
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
    { "99999999999999999999999999999999999999.5", SAOMA_MONEY_ERROR_TOO_LARGE,
      "The amount is more than the maximum of ¥100,000.00 for one payment." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = -42;

      g_test_message ("parsing “%s”", cases[i].text);
      g_assert_false (saoma_money_parse (cases[i].text, MAX_FEN, &fen, &error));
      g_assert_error (error, SAOMA_MONEY_ERROR, (int) cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_cmpint (fen, ==, -42);
    }

  /* NULL and invalid UTF-8 are handled, not crashed on. */
  {
    g_autoptr(GError) error = NULL;
    gint64 fen;

    g_assert_false (saoma_money_parse (NULL, MAX_FEN, &fen, &error));
    g_assert_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_EMPTY);
    g_clear_error (&error);
    g_assert_false (saoma_money_parse ("12\xff", MAX_FEN, &fen, &error));
    g_assert_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_INVALID);
  }
}

static void
test_max (void)
{
  g_autoptr(GError) error = NULL;
  gint64 fen = 0;

  g_assert_true (saoma_money_parse ("50", 5000, &fen, &error));
  g_assert_cmpint (fen, ==, 5000);
  g_assert_false (saoma_money_parse ("50.01", 5000, &fen, &error));
  g_assert_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==,
                   "The amount is more than the maximum of ¥50.00 for one payment.");
  g_clear_error (&error);

  /* The largest representable amount, with the largest maximum. */
  g_assert_true (saoma_money_parse ("92233720368547758.07", G_MAXINT64, &fen, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fen, ==, G_MAXINT64);
  g_assert_false (saoma_money_parse ("92233720368547758.08", G_MAXINT64, &fen, &error));
  g_assert_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_TOO_LARGE);
}

static void
test_format (void)
{
  static const struct {
    gint64      fen;
    const char *text;
    const char *plain;
  } cases[] = {
    { 1250, "¥12.50", "12.50" },
    { 1, "¥0.01", "0.01" },
    { 10, "¥0.10", "0.10" },
    { 0, "¥0.00", "0.00" },
    { 100, "¥1.00", "1.00" },
    { 10000000, "¥100,000.00", "100000.00" },
    { 100000, "¥1,000.00", "1000.00" },
    { 99999, "¥999.99", "999.99" },
    { -12345678, "-¥123,456.78", "-123456.78" },
    { -1250, "-¥12.50", "-12.50" },
    { -5, "-¥0.05", "-0.05" },
    { G_MAXINT64, "¥92,233,720,368,547,758.07", "92233720368547758.07" },
    { G_MININT64, "-¥92,233,720,368,547,758.08", "-92233720368547758.08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = saoma_money_format (cases[i].fen);
      g_autofree char *plain = saoma_money_format_plain (cases[i].fen);

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (plain, ==, cases[i].plain);
    }
}

/* format → parse is the identity for every amount a till can charge. */
static void
test_round_trip (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);

  for (guint i = 0; i < 20000; i++)
    {
      gint64 fen = i < 1000 ? i + 1 : g_rand_int_range (rand, 1, MAX_FEN) + 1;
      g_autofree char *text = saoma_money_format (fen);
      g_autofree char *plain = saoma_money_format_plain (fen);
      g_autoptr(GError) error = NULL;
      gint64 back = 0;

      g_assert_true (saoma_money_parse (text, MAX_FEN, &back, &error));
      g_assert_cmpint (back, ==, fen);
      g_assert_true (saoma_money_parse (plain, MAX_FEN, &back, &error));
      g_assert_cmpint (back, ==, fen);
    }
}

/* Byte sequences that are not UTF-8 are not amounts, even when a lenient decoder would read
 * digits in them (overlong forms of "1", "0" and "."). */
static void
test_invalid_utf8 (void)
{
  static const char * const texts[] = {
    "\xc0\xb1", "\xc0\xb1\xc0\xb0\xc0\xb0", "1\xc0\xae" "50", "\xe0\x80\xb1",
    "\xf0\x80\x80\xb1", "1\xff", "\xed\xa0\x80" "1", "12\x80",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = -1;

      g_assert_false (saoma_money_parse (texts[i], 10000000, &fen, &error));
      g_assert_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_INVALID);
      g_assert_cmpint (fen, ==, -1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/money/accepts", test_accepts);
  g_test_add_func ("/money/rejects", test_rejects);
  g_test_add_func ("/money/max", test_max);
  g_test_add_func ("/money/format", test_format);
  g_test_add_func ("/money/round-trip", test_round_trip);
  g_test_add_func ("/money/invalid-utf8", test_invalid_utf8);

  return g_test_run ();
}
