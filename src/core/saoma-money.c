/* saoma-money.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-money"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "saoma-money.h"

G_DEFINE_QUARK (saoma-money-error-quark, saoma_money_error)

/* Long garbage is cut in messages: the cashier needs a hint, not an echo of a paste. */
#define MAX_ECHO_CHARS 24

static const char *
skip_spaces (const char *p)
{
  while (*p && g_unichar_isspace (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);

  return p;
}

/* Strips Unicode white space at both ends, in place. */
static char *
strip_unicode (char *text)
{
  const char *start = skip_spaces (text);
  char *end = text + strlen (text);

  while (end > start)
    {
      char *prev = g_utf8_prev_char (end);

      if (!g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }

  *end = '\0';
  memmove (text, start, end - start + 1);

  return text;
}

static void
set_invalid (GError     **error,
             const char  *shown)
{
  g_autofree char *echo = NULL;

  if (g_utf8_strlen (shown, -1) > MAX_ECHO_CHARS)
    {
      g_autofree char *head = g_utf8_substring (shown, 0, MAX_ECHO_CHARS);

      echo = g_strconcat (head, "…", NULL);
    }
  else
    echo = g_strdup (shown);

  g_set_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_INVALID,
               /* Translators: %s is what the cashier typed. */
               _("“%s” is not an amount. Use digits and an optional decimal point, like 38.50."),
               echo);
}

static void
set_too_large (GError **error,
               gint64   max_fen)
{
  g_autofree char *max = saoma_money_format (max_fen);

  g_set_error (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_TOO_LARGE,
               /* Translators: %s is an amount such as ¥100,000.00. */
               _("The amount is more than the maximum of %s for one payment."), max);
}

/* Removes thousands separators from @number when they stand where saoma_money_format() puts
 * them ("1,000", "12,345.60"); FALSE for a comma anywhere else ("1,00", "1,000.0,0", ",5"). */
static gboolean
remove_group_separators (GString *number)
{
  const char *point = strchr (number->str, '.');
  gsize int_len = point ? (gsize) (point - number->str) : number->len;
  gsize first_comma = int_len;
  GString *plain;

  if (strchr (number->str, ',') == NULL)
    return TRUE;
  if (point != NULL && strchr (point, ',') != NULL)
    return FALSE;

  for (gsize i = 0; i < int_len; i++)
    if (number->str[i] == ',')
      {
        first_comma = i;
        break;
      }
  /* One to three digits, then groups of exactly ",ddd". */
  if (first_comma == 0 || first_comma > 3 || (int_len - first_comma) % 4 != 0)
    return FALSE;
  for (gsize i = first_comma; i < int_len; i++)
    if ((number->str[i] == ',') != ((i - first_comma) % 4 == 0))
      return FALSE;

  plain = g_string_new (NULL);
  for (gsize i = 0; i < number->len; i++)
    if (number->str[i] != ',')
      g_string_append_c (plain, number->str[i]);
  g_string_assign (number, plain->str);
  g_string_free (plain, TRUE);

  return TRUE;
}

/*
 * Parses the plain number @p ("12", "12.5", "12.50") to fen without ever overflowing.
 * Returns the error code to report, or -1 on success.
 */
static int
parse_number (const char *p,
              gint64      max_fen,
              gint64     *out_fen)
{
  gint64 yuan = 0;
  gint64 fen = 0;
  guint n_int = 0;
  guint n_dec = 0;

  for (; g_ascii_isdigit (*p); p++, n_int++)
    {
      int d = *p - '0';

      if (yuan > (G_MAXINT64 - d) / 10)
        {
          /* Keep reading: "1e99999…" is still not a number, and says so. */
          while (g_ascii_isdigit (*p))
            p++;
          if (*p == '.')
            for (p++; g_ascii_isdigit (*p); p++)
              ;
          return *p == '\0' ? SAOMA_MONEY_ERROR_TOO_LARGE : SAOMA_MONEY_ERROR_INVALID;
        }
      yuan = yuan * 10 + d;
    }

  if (n_int == 0)
    return SAOMA_MONEY_ERROR_INVALID;

  if (*p == '.')
    {
      for (p++; g_ascii_isdigit (*p); p++, n_dec++)
        if (n_dec < 2)
          fen = fen * 10 + (*p - '0');

      if (n_dec == 0 || *p != '\0')
        return SAOMA_MONEY_ERROR_INVALID;
      if (n_dec > 2)
        return SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS;
      if (n_dec == 1)
        fen *= 10;
    }
  else if (*p != '\0')
    return SAOMA_MONEY_ERROR_INVALID;

  if (yuan > (G_MAXINT64 - fen) / 100)
    return SAOMA_MONEY_ERROR_TOO_LARGE;

  *out_fen = yuan * 100 + fen;

  if (*out_fen == 0)
    return SAOMA_MONEY_ERROR_ZERO;
  if (*out_fen > max_fen)
    return SAOMA_MONEY_ERROR_TOO_LARGE;

  return -1;
}

/**
 * saoma_money_parse:
 * @text: what the cashier typed
 * @max_fen: the largest accepted amount, in fen (> 0)
 * @out_fen: (out): the amount in fen
 * @error: a #SAOMA_MONEY_ERROR with a complete, translated sentence
 *
 * Parses an amount strictly: digits with an optional decimal point and at most two decimals,
 * more than zero and at most @max_fen. The text is NFKC-folded first, so full-width digits,
 * "．" and "￥" from a Chinese input method work; the ideographic full stop "。" is accepted
 * as the decimal point too, since Chinese punctuation mode types it for ".". Surrounding
 * spaces (also U+3000) and one leading "¥" or "￥" are ignored. There is no floating point.
 *
 * Returns: %TRUE and sets @out_fen when @text is a valid amount
 */
gboolean
saoma_money_parse (const char  *text,
                   gint64       max_fen,
                   gint64      *out_fen,
                   GError     **error)
{
  g_autofree char *folded = NULL;
  g_autoptr(GString) number = NULL;
  const char *p;
  gboolean negative = FALSE;
  gint64 fen = 0;
  int code;

  g_return_val_if_fail (max_fen > 0, FALSE);
  g_return_val_if_fail (out_fen != NULL, FALSE);

  /* g_utf8_normalize() and the scans below expect valid UTF-8: given an overlong form such as
   * "\xc0\xb1" they decode it as "1". A keyboard never types one; a paste or a file might. */
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    {
      set_invalid (error, "?");
      return FALSE;
    }

  if (text == NULL || !(folded = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC)))
    {
      if (text != NULL && *text != '\0')
        {
          set_invalid (error, "?");
          return FALSE;
        }
      folded = g_strdup ("");
    }

  strip_unicode (folded);

  if (folded[0] == '\0')
    {
      g_set_error_literal (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_EMPTY,
                           _("Enter an amount."));
      return FALSE;
    }

  /* An optional sign and currency sign, in either order ("-¥1", "¥-1"), then the number. */
  p = folded;
  if (*p == '-')
    {
      negative = TRUE;
      p = skip_spaces (p + 1);
    }
  if (g_str_has_prefix (p, "¥"))
    p = skip_spaces (p + strlen ("¥"));
  if (*p == '-' && !negative)
    {
      negative = TRUE;
      p = skip_spaces (p + 1);
    }

  number = g_string_new (NULL);
  for (; *p; p = g_utf8_next_char (p))
    {
      if (g_str_has_prefix (p, "。"))
        g_string_append_c (number, '.');
      else
        g_string_append_unichar (number, g_utf8_get_char (p));
    }

  /* What saoma_money_format() shows ("¥1,000.00") reads back as the same amount. */
  if (!remove_group_separators (number))
    code = SAOMA_MONEY_ERROR_INVALID;
  else
    code = parse_number (number->str, max_fen, &fen);

  /* "-0" is zero; any other well-formed negative number is negative. */
  if (negative && code != SAOMA_MONEY_ERROR_INVALID && code != SAOMA_MONEY_ERROR_ZERO)
    code = SAOMA_MONEY_ERROR_NEGATIVE;

  switch (code)
    {
    case -1:
      *out_fen = fen;
      return TRUE;

    case SAOMA_MONEY_ERROR_INVALID:
      set_invalid (error, folded);
      return FALSE;

    case SAOMA_MONEY_ERROR_NEGATIVE:
      g_set_error_literal (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_NEGATIVE,
                           _("The amount cannot be negative."));
      return FALSE;

    case SAOMA_MONEY_ERROR_ZERO:
      g_set_error_literal (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_ZERO,
                           _("The amount must be more than zero."));
      return FALSE;

    case SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS:
      g_set_error_literal (error, SAOMA_MONEY_ERROR, SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS,
                           _("Amounts have at most two decimal places (fen)."));
      return FALSE;

    case SAOMA_MONEY_ERROR_TOO_LARGE:
      set_too_large (error, max_fen);
      return FALSE;

    case SAOMA_MONEY_ERROR_EMPTY:
    default:
      g_assert_not_reached ();
    }
}

static char *
format_fen (gint64      fen,
            const char *symbol)
{
  /* Magnitude as unsigned, so G_MININT64 has one too. */
  guint64 abs_fen = fen < 0 ? (guint64) (-(fen + 1)) + 1 : (guint64) fen;

  return g_strdup_printf ("%s%s%" G_GUINT64_FORMAT ".%02u",
                          fen < 0 ? "-" : "", symbol,
                          abs_fen / 100, (guint) (abs_fen % 100));
}

/**
 * saoma_money_format:
 * @fen: an amount in fen
 *
 * The amount as people read it, thousands grouped; saoma_money_format_plain() is the one for
 * machines (CSV, bills, the amount field).
 *
 * Returns: (transfer full): "¥12.50" for 1250, "¥100,000.00" for 10000000, "-¥12.50" for -1250
 */
char *
saoma_money_format (gint64 fen)
{
  /* Magnitude as unsigned, so G_MININT64 has one too. */
  guint64 abs_fen = fen < 0 ? (guint64) (-(fen + 1)) + 1 : (guint64) fen;
  char digits[24];
  GString *text = g_string_new (fen < 0 ? "-¥" : "¥");
  gsize len;

  g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, abs_fen / 100);
  len = strlen (digits);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (text, ',');
      g_string_append_c (text, digits[i]);
    }
  g_string_append_printf (text, ".%02u", (guint) (abs_fen % 100));

  return g_string_free (text, FALSE);
}

/**
 * saoma_money_format_plain:
 * @fen: an amount in fen
 *
 * Returns: (transfer full): "12.50" for 1250, "-12.50" for -1250 (for CSV and bills)
 */
char *
saoma_money_format_plain (gint64 fen)
{
  return format_fen (fen, "");
}
