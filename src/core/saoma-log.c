/* saoma-log.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Anything that came from the network (an unauthenticated return_msg, an out_trade_no in a
 * notification, a bill's detail) may carry a newline that forges a log line, a terminal escape
 * sequence, or a bidirectional override that reorders what the reader sees. It goes through
 * saoma_log_escape() before it reaches a log, a GError message or the CLI's output.
 */

#include "config.h"

#include <string.h>

#include "saoma-log.h"

/* Characters that are printable in the sense of g_unichar_isprint() but still change how the
 * line reads: line and paragraph separators, bidirectional embeddings, overrides and isolates. */
static gboolean
is_layout_control (gunichar c)
{
  return c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c ||
         c == 0xfeff;
}

/**
 * saoma_log_escape:
 * @text: (nullable): untrusted text
 *
 * Escapes, on one line, every control character (C0, DEL, C1), the characters that reorder or
 * break a line (U+2028, U+2029, bidirectional controls) and any byte that is not UTF-8. \n,
 * \r and \t read as such, other characters as \xHH or \u{HHHH}. Printable text, Chinese
 * included, is kept, and so is the backslash: text that was escaped once is not escaped again
 * (the gateway's messages are escaped where they are made and may be printed by the CLI), and
 * text that only looks escaped cannot break a line either. At most %SAOMA_LOG_ESCAPE_MAX bytes
 * of @text are shown.
 *
 * Returns: (transfer full): the escaped text; "(null)" for %NULL
 */
char *
saoma_log_escape (const char *text)
{
  GString    *out;
  const char *p;
  const char *end;
  gsize       len;

  if (text == NULL)
    return g_strdup ("(null)");

  len = strlen (text);
  end = text + MIN (len, SAOMA_LOG_ESCAPE_MAX);
  out = g_string_sized_new (MIN (len, SAOMA_LOG_ESCAPE_MAX) + 8);

  for (p = text; p < end;)
    {
      guchar   byte = (guchar)*p;
      gunichar c;

      if (byte < 0x80)
        {
          switch (byte)
            {
            case '\n':
              g_string_append (out, "\\n");
              break;
            case '\r':
              g_string_append (out, "\\r");
              break;
            case '\t':
              g_string_append (out, "\\t");
              break;
            default:
              if (byte < 0x20 || byte == 0x7f)
                g_string_append_printf (out, "\\x%02x", byte);
              else
                g_string_append_c (out, (char)byte);
            }
          p++;
          continue;
        }

      c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          /* Not UTF-8 (or cut by the bound): shown byte by byte. */
          g_string_append_printf (out, "\\x%02x", byte);
          p++;
          continue;
        }

      if ((c >= 0x80 && c <= 0x9f) || is_layout_control (c) || !g_unichar_isprint (c))
        g_string_append_printf (out, "\\u{%04x}", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }

  if (len > SAOMA_LOG_ESCAPE_MAX)
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}
