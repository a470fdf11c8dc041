/* wxpay-sim-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

#define MAX_DEPTH 16

typedef struct {
  const char *p;
  const char *end;
  GError    **error;     /* may be NULL: the caller does not want the message */
  gboolean    failed;    /* the first failure wins; later ones are consequences */
} Parser;

static GVariant *parse_value (Parser *parser,
                              guint   depth);

static gboolean
fail (Parser     *parser,
      const char *what)
{
  if (!parser->failed)
    g_set_error (parser->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "invalid JSON: %s", what);
  parser->failed = TRUE;
  return FALSE;
}

static void
skip_ws (Parser *parser)
{
  while (parser->p < parser->end &&
         (*parser->p == ' ' || *parser->p == '\t' || *parser->p == '\n' || *parser->p == '\r'))
    parser->p++;
}

static gboolean
expect (Parser *parser,
        char    c)
{
  skip_ws (parser);
  if (parser->p >= parser->end || *parser->p != c)
    return FALSE;
  parser->p++;
  return TRUE;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static char *
parse_string (Parser *parser)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (!expect (parser, '"'))
    {
      fail (parser, "expected a string");
      return NULL;
    }

  while (parser->p < parser->end && *parser->p != '"')
    {
      char c = *parser->p++;

      if ((guchar)c < 0x20)
        {
          fail (parser, "control character in a string");
          return NULL;
        }
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }
      if (parser->p >= parser->end)
        break;
      c = *parser->p++;
      switch (c)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar ch = 0;

            if (parser->end - parser->p < 4)
              {
                fail (parser, "short \\u escape");
                return NULL;
              }
            for (guint i = 0; i < 4; i++)
              {
                int v = hex_value (parser->p[i]);

                if (v < 0)
                  {
                    fail (parser, "bad \\u escape");
                    return NULL;
                  }
                ch = ch * 16 + v;
              }
            parser->p += 4;
            /* Surrogates are not needed for paths and fault names; refuse them. */
            if (ch >= 0xD800 && ch <= 0xDFFF)
              {
                fail (parser, "surrogate escapes are not supported");
                return NULL;
              }
            g_string_append_unichar (out, ch);
          }
          break;
        default:
          fail (parser, "bad escape");
          return NULL;
        }
    }

  if (parser->p >= parser->end)
    {
      fail (parser, "unterminated string");
      return NULL;
    }
  parser->p++;

  if (!g_utf8_validate (out->str, out->len, NULL))
    {
      fail (parser, "string is not UTF-8");
      return NULL;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GVariant *
parse_number (Parser *parser)
{
  const char *start = parser->p;
  g_autofree char *text = NULL;
  char *endptr = NULL;
  double value;

  while (parser->p < parser->end &&
         (g_ascii_isdigit (*parser->p) || strchr ("+-.eE", *parser->p) != NULL))
    parser->p++;

  text = g_strndup (start, parser->p - start);
  value = g_ascii_strtod (text, &endptr);
  if (text[0] == '\0' || endptr == NULL || *endptr != '\0')
    {
      fail (parser, "bad number");
      return NULL;
    }

  return g_variant_new_double (value);
}

static gboolean
match_word (Parser     *parser,
            const char *word)
{
  gsize len = strlen (word);

  if ((gsize)(parser->end - parser->p) < len || memcmp (parser->p, word, len) != 0)
    return FALSE;
  parser->p += len;
  return TRUE;
}

static GVariant *
parse_object (Parser *parser,
              guint   depth)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  parser->p++;
  skip_ws (parser);
  if (parser->p < parser->end && *parser->p == '}')
    {
      parser->p++;
      return g_variant_builder_end (&builder);
    }

  for (;;)
    {
      g_autofree char *key = parse_string (parser);
      GVariant *value;

      if (key == NULL)
        return NULL;
      if (!expect (parser, ':'))
        {
          fail (parser, "expected ':'");
          return NULL;
        }
      value = parse_value (parser, depth + 1);
      if (value == NULL)
        return NULL;
      g_variant_builder_add (&builder, "{sv}", key, value);

      skip_ws (parser);
      if (parser->p < parser->end && *parser->p == ',')
        {
          parser->p++;
          continue;
        }
      if (parser->p < parser->end && *parser->p == '}')
        {
          parser->p++;
          return g_variant_builder_end (&builder);
        }
      fail (parser, "expected ',' or '}'");
      return NULL;
    }
}

static GVariant *
parse_array (Parser *parser,
             guint   depth)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));

  parser->p++;
  skip_ws (parser);
  if (parser->p < parser->end && *parser->p == ']')
    {
      parser->p++;
      return g_variant_builder_end (&builder);
    }

  for (;;)
    {
      GVariant *value = parse_value (parser, depth + 1);

      if (value == NULL)
        return NULL;
      g_variant_builder_add (&builder, "v", value);

      skip_ws (parser);
      if (parser->p < parser->end && *parser->p == ',')
        {
          parser->p++;
          continue;
        }
      if (parser->p < parser->end && *parser->p == ']')
        {
          parser->p++;
          return g_variant_builder_end (&builder);
        }
      fail (parser, "expected ',' or ']'");
      return NULL;
    }
}

static GVariant *
parse_value (Parser *parser,
             guint   depth)
{
  if (depth > MAX_DEPTH)
    {
      fail (parser, "nested too deeply");
      return NULL;
    }

  skip_ws (parser);
  if (parser->p >= parser->end)
    {
      fail (parser, "unexpected end");
      return NULL;
    }

  switch (*parser->p)
    {
    case '{':
      return parse_object (parser, depth);
    case '[':
      return parse_array (parser, depth);
    case '"':
      {
        char *str = parse_string (parser);

        return str != NULL ? g_variant_new_take_string (str) : NULL;
      }
    default:
      break;
    }

  if (match_word (parser, "true"))
    return g_variant_new_boolean (TRUE);
  if (match_word (parser, "false"))
    return g_variant_new_boolean (FALSE);
  if (match_word (parser, "null"))
    return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);

  return parse_number (parser);
}

GVariant *
wxpay_sim_json_parse (const char *text,
                      gssize      length,
                      GError    **error)
{
  Parser parser = { 0 };
  g_autoptr(GVariant) value = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);

  parser.p = text;
  parser.end = text + length;
  parser.error = error;

  value = parse_value (&parser, 0);
  if (value == NULL)
    return NULL;

  skip_ws (&parser);
  if (parser.p != parser.end)
    {
      fail (&parser, "trailing data");
      return NULL;
    }

  return g_variant_ref_sink (g_steal_pointer (&value));
}

void
wxpay_sim_json_append_string (GString    *out,
                              const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = *p;

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}
