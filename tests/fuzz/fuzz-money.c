/* fuzz-money.c: saoma_money_parse() on any text. Oracles: no crash, no sanitizer report; an
 * accepted amount is in (0, max], came from valid UTF-8, and formats to text that parses back
 * to the same fen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "core/saoma-money.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  static const gint64 maxima[] = { 10000000, G_MAXINT64 };

  fuzz_init_once ();

  for (guint m = 0; m < G_N_ELEMENTS (maxima); m++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = -1;

      if (!saoma_money_parse (text, maxima[m], &fen, &error))
        {
          if (error == NULL || error->domain != SAOMA_MONEY_ERROR)
            fuzz_fail ("refused without a SAOMA_MONEY_ERROR");
          continue;
        }

      if (fen <= 0 || fen > maxima[m])
        fuzz_fail ("accepted %" G_GINT64_FORMAT " fen out of (0, %" G_GINT64_FORMAT "]", fen,
                 maxima[m]);
      if (!g_utf8_validate (text, -1, NULL))
        fuzz_fail ("accepted text that is not UTF-8");

      {
        g_autofree char *plain = saoma_money_format_plain (fen);
        g_autofree char *sign = saoma_money_format (fen);
        gint64 again = -1;

        if (!saoma_money_parse (plain, maxima[m], &again, NULL) || again != fen)
          fuzz_fail ("%s does not parse back to %" G_GINT64_FORMAT " fen", plain, fen);
        if (!saoma_money_parse (sign, maxima[m], &again, NULL) || again != fen)
          fuzz_fail ("%s does not parse back to %" G_GINT64_FORMAT " fen", sign, fen);
      }
    }

  return 0;
}
