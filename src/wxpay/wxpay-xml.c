/* wxpay-xml.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-xml"

#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "wxpay-error.h"
#include "wxpay-private.h"
#include "wxpay-xml.h"

static void
append_cdata (GString    *out,
              const char *value)
{
  const char *p = value;

  g_string_append (out, "<![CDATA[");
  for (;;)
    {
      const char *special = strpbrk (p, "]\r");

      if (special == NULL)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, special - p);

      if (*special == '\r')
        {
          /* XML parsers turn a literal CR (even in CDATA) into LF; a character reference
           * survives, and the signature is over the value, so it must survive. */
          g_string_append (out, "]]>&#13;<![CDATA[");
          p = special + 1;
        }
      else if (special[1] == ']' && special[2] == '>')
        {
          /* "]]>" cannot appear inside one CDATA section: close after "]]", reopen before ">". */
          g_string_append (out, "]]]]><![CDATA[>");
          p = special + 3;
        }
      else
        {
          g_string_append_c (out, ']');
          p = special + 1;
        }
    }
  g_string_append (out, "]]>");
}

/* The general encoder: any value, split around "]]>" and CR. */
static char *
encode_split (const WxpayParams *params,
              gsize              size)
{
  GString *out = g_string_sized_new (size);
  guint n = wxpay_params_get_size (params);

  g_string_append (out, "<xml>");
  for (guint i = 0; i < n; i++)
    {
      const char *name = wxpay_params_get_name (params, i);

      g_string_append_c (out, '<');
      g_string_append (out, name);
      g_string_append_c (out, '>');
      append_cdata (out, wxpay_params_get_value (params, i));
      g_string_append (out, "</");
      g_string_append (out, name);
      g_string_append_c (out, '>');
    }
  g_string_append (out, "</xml>");

  return g_string_free (out, FALSE);
}

static char *
put (char       *p,
     const char *text,
     gsize       len)
{
  memcpy (p, text, len);
  return p + len;
}

/**
 * wxpay_xml_encode_string:
 * @params: the parameters
 *
 * Returns: (transfer full): `<xml><name><![CDATA[value]]></name>…</xml>`
 */
char *
wxpay_xml_encode_string (const WxpayParams *params)
{
  /* "<xml></xml>", and per field "<name><![CDATA[value]]></name>": 2 × name + value + 17. */
  gsize size = 11;
  char *out, *p;
  guint n;

  g_return_val_if_fail (params != NULL, NULL);

  n = wxpay_params_get_size (params);
  for (guint i = 0; i < n; i++)
    {
      const char *value = wxpay_params_get_value (params, i);

      /* A "]" or CR needs splitting (rare: values are ids, amounts, text of the shop). */
      if (strpbrk (value, "]\r") != NULL)
        return encode_split (params, size + 64 * n);
      size += 2 * strlen (wxpay_params_get_name (params, i)) + strlen (value) + 17;
    }

  /* Each field's pieces copied once into a buffer of the exact size. */
  p = out = g_malloc (size + 1);
  p = put (p, "<xml>", 5);
  for (guint i = 0; i < n; i++)
    {
      const char *name = wxpay_params_get_name (params, i);
      const char *value = wxpay_params_get_value (params, i);
      gsize name_len = strlen (name);

      *p++ = '<';
      p = put (p, name, name_len);
      p = put (p, "><![CDATA[", 10);
      p = put (p, value, strlen (value));
      p = put (p, "]]></", 5);
      p = put (p, name, name_len);
      *p++ = '>';
    }
  p = put (p, "</xml>", 6);
  *p = '\0';
  g_assert ((gsize)(p - out) == size);

  return out;
}

/**
 * wxpay_xml_encode:
 * @params: the parameters
 *
 * Returns: (transfer full): the UTF-8 body
 */
GBytes *
wxpay_xml_encode (const WxpayParams *params)
{
  char *str;

  g_return_val_if_fail (params != NULL, NULL);

  str = wxpay_xml_encode_string (params);

  return g_bytes_new_take (str, strlen (str));
}

static const char *
find_bytes (const char *hay,
            const char *end,
            const char *needle)
{
  gsize nlen = strlen (needle);

  for (const char *p = hay; p + nlen <= end; p++)
    {
      p = memchr (p, *needle, end - p);
      if (p == NULL || p + nlen > end)
        return NULL;
      if (memcmp (p, needle, nlen) == 0)
        return p;
    }

  return NULL;
}

static gboolean
set_malformed (GError    **error,
               const char *message)
{
  g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML, message);
  return FALSE;
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A lexical pass before libxml2 sees anything, linear in the body: every construct that a flat
 * <xml> body never has and that costs libxml2 more than linear time, or could reach a DTD, is
 * refused here.
 *
 *  - Markup declarations (<!DOCTYPE, <!ENTITY, <!ELEMENT …) outside CDATA sections and comments:
 *    no DTD, no entity and no entity expansion can exist by construction.
 *  - Comments that are not well-formed ("--" inside, or no "-->"): libxml2 2.9.14 rescans a
 *    comment on every "--" (512 KiB of them took 16 s). A well-formed comment stays allowed.
 *  - Unterminated CDATA sections.
 *  - Processing instructions, but an XML declaration at the very start.
 *  - Attributes, namespace declarations included: libxml2 checks each new attribute of a tag
 *    against every earlier one, and a WeChat Pay body has none. */
static gboolean
prelex (const char *data,
        gsize       length,
        GError    **error)
{
  const char *end = data + length;
  const char *p = data;

  if (length >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  if (end - p >= 6 && memcmp (p, "<?xml", 5) == 0 && is_space (p[5]))
    {
      const char *close = find_bytes (p + 6, end, "?>");

      if (close == NULL)
        return set_malformed (error, "Unterminated XML declaration");
      p = close + 2;
    }

  while (p < end)
    {
      const char *lt = memchr (p, '<', end - p);

      if (lt == NULL)
        return TRUE;
      p = lt + 1;
      if (p == end)
        return TRUE; /* truncated; libxml2 refuses it */

      if (*p == '!')
        {
          if (end - lt >= 9 && memcmp (lt, "<![CDATA[", 9) == 0)
            {
              const char *close = find_bytes (lt + 9, end, "]]>");

              if (close == NULL)
                return set_malformed (error, "Unterminated CDATA section");
              p = close + 3;
            }
          else if (end - lt >= 4 && memcmp (lt, "<!--", 4) == 0)
            {
              const char *dashes = find_bytes (lt + 4, end, "--");

              if (dashes == NULL || dashes + 2 >= end || dashes[2] != '>')
                return set_malformed (error, "Malformed or unterminated comment");
              p = dashes + 3;
            }
          else
            return set_malformed (error, "XML body contains a DOCTYPE or markup declaration");
        }
      else if (*p == '?')
        return set_malformed (error, "Processing instruction in the XML body");
      else
        {
          /* A tag: optional "/", a name, blanks, optional "/", then ">"; anything else after
           * the name is an attribute. What is not even that is left to libxml2 to refuse. */
          if (*p == '/')
            p++;
          while (p < end && !is_space (*p) && *p != '/' && *p != '>' && *p != '<' &&
                 *p != '=' && *p != '"' && *p != '\'')
            p++;
          while (p < end && is_space (*p))
            p++;
          if (p < end && *p != '/' && *p != '>' && *p != '<')
            return set_malformed (error, "Element has attributes");
        }
    }

  return TRUE;
}

static void
init_libxml_once (void)
{
  static gsize init = 0;

  if (g_once_init_enter (&init))
    {
      xmlInitParser ();
      g_once_init_leave (&init, 1);
    }
}

/* The state of one single-pass (SAX) decode. */
typedef struct
{
  xmlParserCtxt *ctxt;
  const char    *root_name;
  WxpayParams   *params;
  GString       *value;
  guint          depth;
  const char    *failure; /* set once, with the parser stopped */
} Decoder;

/* Callbacks receive the parser context (its default user data); the decode is its _private. */
static Decoder *
decoder_of (void *ctx)
{
  return ((xmlParserCtxt *)ctx)->_private;
}

static void
decoder_fail (Decoder    *self,
              const char *message)
{
  if (self->failure == NULL)
    self->failure = message;
  xmlStopParser (self->ctxt);
}

static gboolean
is_blank_len (const xmlChar *text,
              int            len)
{
  for (int i = 0; i < len; i++)
    {
      if (!is_space ((char)text[i]))
        return FALSE;
    }

  return TRUE;
}

static void
sax_start_element (void           *ctx,
                   const xmlChar  *localname,
                   const xmlChar  *prefix,
                   const xmlChar  *uri,
                   int             nb_namespaces,
                   const xmlChar **namespaces,
                   int             nb_attributes,
                   int             nb_defaulted,
                   const xmlChar **attributes)
{
  Decoder *self = decoder_of (ctx);

  if (self->failure != NULL)
    return;

  if (prefix != NULL || uri != NULL || nb_namespaces != 0)
    return decoder_fail (self, "Element in a namespace");
  if (nb_attributes != 0)
    return decoder_fail (self, "Element has attributes");

  switch (self->depth)
    {
    case 0:
      if (strcmp ((const char *)localname, self->root_name) != 0)
        return decoder_fail (self, "XML body has the wrong root element");
      break;

    case 1:
      if (wxpay_params_get_size (self->params) >= WXPAY_XML_MAX_FIELDS)
        return decoder_fail (self, "Too many fields in the XML body");
      g_string_truncate (self->value, 0);
      break;

    default:
      return decoder_fail (self, "Nested element inside a field");
    }

  self->depth++;
}

static void
sax_end_element (void          *ctx,
                 const xmlChar *localname,
                 const xmlChar *prefix,
                 const xmlChar *uri)
{
  Decoder *self = decoder_of (ctx);

  if (self->failure != NULL)
    return;

  self->depth--;
  if (self->depth == 1 &&
      !wxpay_params_add_unique (self->params, (const char *)localname, self->value->str))
    decoder_fail (self, "Duplicate field in the XML body");
}

/* Text and CDATA alike: a field's value is its text and CDATA concatenated. */
static void
sax_characters (void          *ctx,
                const xmlChar *text,
                int            len)
{
  Decoder *self = decoder_of (ctx);

  if (self->failure != NULL)
    return;

  if (self->depth == 2)
    g_string_append_len (self->value, (const char *)text, len);
  else if (!is_blank_len (text, len))
    decoder_fail (self, "Text outside a field");
}

/* libxml2 keeps parsing after a fatal error (without calling back), recording one error per
 * bad construct; a body of a million bad tags cost half a second that way. The first error
 * ends the parse. */
static void
sax_error (void        *ctx,
           xmlError    *err)
{
  Decoder *self = decoder_of (ctx);

  if (err != NULL && err->level >= XML_ERR_ERROR)
    decoder_fail (self, "XML body is not well-formed");
}

static void
sax_refuse_subset (void          *ctx,
                   const xmlChar *name,
                   const xmlChar *external_id,
                   const xmlChar *system_id)
{
  decoder_fail (decoder_of (ctx), "XML body has a DTD");
}

static void
sax_refuse_pi (void          *ctx,
               const xmlChar *target,
               const xmlChar *data)
{
  decoder_fail (decoder_of (ctx), "Processing instruction in the XML body");
}

static void
sax_refuse_reference (void          *ctx,
                      const xmlChar *name)
{
  decoder_fail (decoder_of (ctx), "Entity reference in the XML body");
}

/* No entity exists but the five predefined ones, which libxml2 resolves before asking. */
static xmlEntity *
sax_no_entity (void          *ctx,
               const xmlChar *name)
{
  return NULL;
}

static void
sax_refuse_entity_decl (void          *ctx,
                        const xmlChar *name,
                        int            type,
                        const xmlChar *public_id,
                        const xmlChar *system_id,
                        xmlChar       *content)
{
  decoder_fail (decoder_of (ctx), "XML body declares an entity");
}

static const xmlSAXHandler decoder_sax;

static void
free_parser (gpointer data)
{
  xmlFreeParserCtxt (data);
}

/* One parser context per thread, reused: creating one (its dictionary, stacks and input
 * buffers) cost as much as parsing a typical body. */
static GPrivate thread_ctxt = G_PRIVATE_INIT (free_parser);

/* Interned names survive between bodies; hostile bodies full of fresh names would grow the
 * dictionary without bound, so past this many the context is replaced. */
#define MAX_DICT_NAMES 4096

static xmlParserCtxt *
thread_parser (void)
{
  xmlParserCtxt *ctxt = g_private_get (&thread_ctxt);

  if (ctxt != NULL)
    {
      /* Taken while in use, so that a (theoretical) nested decode gets its own. */
      g_private_set (&thread_ctxt, NULL);
      return ctxt;
    }

  init_libxml_once ();
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    g_error ("Out of memory creating an XML parser");
  /* The context owns its handler block: ours is copied in (no tree, no entity table). */
  memcpy (ctxt->sax, &decoder_sax, sizeof decoder_sax);
  ctxt->userData = ctxt;

  return ctxt;
}

static void
release_parser (xmlParserCtxt *ctxt)
{
  if (g_private_get (&thread_ctxt) != NULL ||
      (ctxt->dict != NULL && xmlDictSize (ctxt->dict) > MAX_DICT_NAMES))
    {
      xmlFreeParserCtxt (ctxt);
      return;
    }

  g_private_set (&thread_ctxt, ctxt);
}

static const xmlSAXHandler decoder_sax = {
  .internalSubset = sax_refuse_subset,
  .externalSubset = sax_refuse_subset,
  .getEntity = sax_no_entity,
  .getParameterEntity = sax_no_entity,
  .entityDecl = sax_refuse_entity_decl,
  .reference = sax_refuse_reference,
  .characters = sax_characters,
  .cdataBlock = sax_characters,
  .ignorableWhitespace = sax_characters,
  .processingInstruction = sax_refuse_pi,
  .initialized = XML_SAX2_MAGIC,
  .serror = sax_error,
  .startElementNs = sax_start_element,
  .endElementNs = sax_end_element,
};

/* The libxml2 decoder (SAX2: no tree is built), after the lexical pass: the reference for what
 * a body means and the judge of every body the single-pass reader below does not take. */
WxpayParams *
wxpay_xml_decode_root_libxml (const char *data,
                              gsize       length,
                              const char *root_name,
                              GError    **error)
{
  g_autoptr(WxpayParams) params = NULL;
  g_autoptr(GString) value = NULL;
  Decoder decoder = { 0 };
  xmlParserCtxt *ctxt;
  xmlDoc *doc;
  gboolean well_formed;

  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL || length == 0)
    return set_malformed (error, "Empty XML body"), NULL;

  if (length > WXPAY_XML_MAX_SIZE)
    return set_malformed (error, "XML body too large"), NULL;

  /* Also refuses NUL bytes, which would cut libxml2's view of the text short. */
  if (!g_utf8_validate_len (data, length, NULL))
    return set_malformed (error, "XML body is not valid UTF-8"), NULL;

  if (!prelex (data, length, error))
    return NULL;

  ctxt = thread_parser ();
  params = wxpay_params_new ();
  value = g_string_sized_new (128);
  decoder.ctxt = ctxt;
  decoder.root_name = root_name;
  decoder.params = params;
  decoder.value = value;
  ctxt->_private = &decoder;

  /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID, no network. The
   * text is UTF-8 (checked above) whatever an encoding declaration says: IGNORE_ENC keeps
   * libxml2 from switching, and naming no encoding keeps it from routing every byte through
   * a UTF-8 to UTF-8 converter. The context is reset first: nothing of the previous body
   * survives but interned names. */
  doc = xmlCtxtReadMemory (ctxt, data, (int)length, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                           XML_PARSE_IGNORE_ENC);
  if (doc != NULL) /* never: no startDocument handler builds one */
    xmlFreeDoc (doc);
  ctxt->_private = NULL;
  /* xmlCtxtReadMemory() clears these on the next call only. */
  well_formed = ctxt->wellFormed && ctxt->nsWellFormed;
  release_parser (ctxt);

  if (decoder.failure != NULL)
    return set_malformed (error, decoder.failure), NULL;

  if (!well_formed || decoder.depth != 0)
    return set_malformed (error, "XML body is not well-formed"), NULL;

  return g_steal_pointer (&params);
}

/* --- The single-pass reader ------------------------------------------------------------------
 *
 * Every gateway body has one shape: <xml>, then child elements holding text and CDATA, nothing
 * else. The reader below takes exactly that shape in one pass over the bytes, without
 * libxml2 (whose parser context, dictionary and callbacks cost more than the rest of a
 * round trip together). It never refuses anything itself: whatever it does not know for
 * certain to be well-formed and to mean what it reads — a declaration, a BOM, a comment, a
 * PI, a DOCTYPE, an attribute, a prefix, a name outside ASCII, nesting, an entity other than
 * the five predefined ones or a character reference, a raw CR (line ends are normalised), a
 * control character, bytes that are not UTF-8, U+FFFE/U+FFFF, "]]>" in text, an unterminated section, a duplicate, too
 * many fields, text outside a field — makes it give the body to the libxml2 decoder above,
 * which decides as before, with the same errors. So it accepts a subset of what that decoder
 * accepts, with the same fields (tests/wxpay/test-xml.c and the fuzz harness check both). */

/* The bytes a run of text or CDATA stops at: 1 for markup, references and "]" (of "]]>"); 2
 * for CR and C0 controls but tab and LF; 3 for a byte of a multi-byte character (checked). */
static const guint8 text_stop[256] = {
  [0x00 ... 0x08] = 2, [0x0B] = 2, [0x0C] = 2, [0x0D ... 0x1F] = 2,
  ['<'] = 1, ['&'] = 1, [']'] = 1,
  [0x80 ... 0xFF] = 3,
};

/* The length of the UTF-8 sequence at @p (a byte ≥ 0x80) when it is valid (shortest form, no
 * surrogate, ≤ U+10FFFF) and a character XML allows (not U+FFFE or U+FFFF); 0 otherwise. */
static gsize
utf8_char_len (const guchar *p,
               const guchar *end)
{
  gsize avail = end - p;

  if (p[0] < 0xC2)
    return 0;
  if (p[0] < 0xE0)
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (p[0] < 0xF0)
    {
      if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
          (p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
          (p[0] == 0xEF && p[1] == 0xBF && (p[2] & 0xFE) == 0xBE))
        return 0;
      return 3;
    }
  if (p[0] < 0xF5)
    {
      if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
          (p[3] & 0xC0) != 0x80 || (p[0] == 0xF0 && p[1] < 0x90) ||
          (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
      return 4;
    }

  return 0;
}

/* Skips plain text (what needs no decoding and is certainly valid): returns the first byte
 * that is markup, a reference, "]", or not allowed (a control, CR, bad UTF-8), or @end. */
static const char *
skip_plain (const char *p,
            const char *end)
{
  for (;;)
    {
      gsize len;

      while (p < end && text_stop[(guchar)*p] == 0)
        p++;
      if (p == end || text_stop[(guchar)*p] != 3)
        return p;
      if ((len = utf8_char_len ((const guchar *)p, (const guchar *)end)) == 0)
        return p;
      p += len;
    }
}

static gboolean
is_name_start (guchar c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static gboolean
is_name_char (guchar c)
{
  return is_name_start (c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Skips blanks (a CR among blanks between tags is a blank either way). */
static const char *
skip_space (const char *p,
            const char *end)
{
  while (p < end && is_space (*p))
    p++;

  return p;
}

/* A name of ASCII letters, digits, "_", "-" and "." (no prefix), followed by a blank, "/" or
 * ">": its end, or NULL. */
static const char *
scan_name (const char *p,
           const char *end)
{
  if (p == end || !is_name_start (*p))
    return NULL;
  for (p++; p < end && is_name_char (*p); p++)
    ;
  if (p == end || !(is_space (*p) || *p == '/' || *p == '>'))
    return NULL;

  return p;
}

/* @p after "</": "name" blanks ">" with @name of @len bytes; the end, or NULL. */
static const char *
scan_end_tag (const char *p,
              const char *end,
              const char *name,
              gsize       len)
{
  if ((gsize)(end - p) < len + 1 || memcmp (p, name, len) != 0)
    return NULL;
  p = skip_space (p + len, end);
  if (p == end || *p != '>')
    return NULL;

  return p + 1;
}

/* A field's value as it is read: nothing yet, one span of the body (most values: one CDATA
 * section or one run of text, copied once at the end), or pieces gathered in @buf. */
typedef struct
{
  const char *span;
  gsize       span_len;
  guint       parts; /* 0, 1 (the span) or 2 (@buf) */
  GString    *buf;
} Value;

static void
value_to_buf (Value *v)
{
  g_string_truncate (v->buf, 0);
  if (v->parts == 1)
    g_string_append_len (v->buf, v->span, v->span_len);
  v->parts = 2;
}

/* @text lives in the body (it may stay a span). */
static void
value_add_span (Value      *v,
                const char *text,
                gsize       len)
{
  if (len == 0)
    return;
  if (v->parts == 0)
    {
      v->span = text;
      v->span_len = len;
      v->parts = 1;
      return;
    }
  if (v->parts == 1)
    value_to_buf (v);
  g_string_append_len (v->buf, text, len);
}

static void
value_add_copy (Value      *v,
                const char *text,
                gsize       len)
{
  if (v->parts != 2)
    value_to_buf (v);
  g_string_append_len (v->buf, text, len);
}

/* Copies @text of @len bytes and a NUL to @cur: the copy, with @cur moved past it. */
static char *
copy_to (char      **cur,
         const char *text,
         gsize       len)
{
  char *copy = *cur;

  memcpy (copy, text, len);
  copy[len] = '\0';
  *cur += len + 1;

  return copy;
}

static char *
value_copy_to (const Value *v,
               char       **cur)
{
  switch (v->parts)
    {
    case 0:
      return copy_to (cur, "", 0);
    case 1:
      return copy_to (cur, v->span, v->span_len);
    default:
      return copy_to (cur, v->buf->str, v->buf->len);
    }
}

/* @p after "&": a predefined entity or a character reference of a character XML allows.
 * Appends it and returns the end, or NULL. */
static const char *
scan_reference (const char *p,
                const char *end,
                Value      *value)
{
  static const struct { const char *name; gsize len; const char *c; } predefined[] = {
    { "lt;", 3, "<" }, { "gt;", 3, ">" }, { "amp;", 4, "&" }, { "apos;", 5, "'" },
    { "quot;", 5, "\"" },
  };
  char utf8[8];
  gunichar c = 0;
  guint digits = 0;

  if (p < end && *p != '#')
    {
      for (guint i = 0; i < G_N_ELEMENTS (predefined); i++)
        {
          if ((gsize)(end - p) >= predefined[i].len &&
              memcmp (p, predefined[i].name, predefined[i].len) == 0)
            {
              value_add_copy (value, predefined[i].c, 1);
              return p + predefined[i].len;
            }
        }
      return NULL;
    }

  if (++p < end && *p == 'x')
    {
      for (p++; p < end && g_ascii_isxdigit (*p) && digits < 8; p++, digits++)
        c = c * 16 + g_ascii_xdigit_value (*p);
    }
  else
    {
      for (; p < end && g_ascii_isdigit (*p) && digits < 8; p++, digits++)
        c = c * 10 + (*p - '0');
    }
  if (digits == 0 || p == end || *p != ';')
    return NULL;
  /* XML's Char production. */
  if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
        (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)))
    return NULL;
  value_add_copy (value, utf8, g_unichar_to_utf8 (c, utf8));

  return p + 1;
}

/* @p after "<![CDATA[": the section's text, up to "]]>", into @value. Returns the end, or NULL
 * (unterminated, or a byte text may not have). */
static const char *
scan_cdata (const char *p,
            const char *end,
            Value      *value)
{
  const char *start = p;
  const char *close = NULL;

  /* The end first, by its ">" (memchr): an unterminated section of "]]]…", a hostile body's
   * favourite, is given to libxml2 without a byte-by-byte pass over it. */
  for (const char *gt = p + 2; gt < end && (gt = memchr (gt, '>', end - gt)) != NULL; gt++)
    {
      if (gt[-1] == ']' && gt[-2] == ']')
        {
          close = gt - 2;
          break;
        }
    }
  if (close == NULL)
    return NULL;

  for (; p < close; p++)
    {
      guint8 stop = text_stop[(guchar)*p];
      gsize len;

      if (G_LIKELY (stop == 0 || stop == 1)) /* "<", "&" and "]" are text here */
        continue;
      if (stop == 2) /* CR, a control */
        return NULL;
      if ((len = utf8_char_len ((const guchar *)p, (const guchar *)close)) == 0)
        return NULL;
      p += len - 1;
    }
  value_add_span (value, start, close - start);

  return close + 3;
}

/* One field's content after its start tag, up to and including its end tag, into @value.
 * Returns the end, or NULL. */
static const char *
scan_content (const char *p,
              const char *end,
              const char *name,
              gsize       name_len,
              Value      *value)
{
  for (;;)
    {
      const char *run = p;

      p = skip_plain (p, end);
      value_add_span (value, run, p - run);
      if (p == end)
        return NULL;

      switch (*p)
        {
        case '<':
          if (end - p >= 2 && p[1] == '/')
            return scan_end_tag (p + 2, end, name, name_len);
          if (end - p >= 9 && memcmp (p, "<![CDATA[", 9) == 0)
            {
              if (!(p = scan_cdata (p + 9, end, value)))
                return NULL;
              break;
            }
          return NULL;

        case '&':
          if (!(p = scan_reference (p + 1, end, value)))
            return NULL;
          break;

        case ']':
          if (end - p >= 3 && p[1] == ']' && p[2] == '>')
            return NULL;
          value_add_span (value, p, 1);
          p++;
          break;

        default: /* CR, a control character, bad UTF-8, U+FFFE/U+FFFF */
          return NULL;
        }
    }
}

/* The fields of a body of the gateway's shape, or NULL when libxml2 must decide. @data is at
 * most WXPAY_XML_MAX_SIZE bytes; every byte of it is checked here (UTF-8 included). */
static WxpayParams *
fast_decode (const char *data,
             gsize       length,
             const char *root_name)
{
  g_autoptr(WxpayParams) params = NULL;
  g_autoptr(GString) buf = NULL;
  const char *end = data + length;
  gsize root_len = strlen (root_name);
  const char *p = skip_space (data, end);
  char *block, *cur;
  guint n = 0;

  /* "<root" blanks ">" */
  if ((gsize)(end - p) < root_len + 2 || *p != '<' || memcmp (p + 1, root_name, root_len) != 0)
    return NULL;
  p = skip_space (p + 1 + root_len, end);
  if (p == end || *p != '>')
    return NULL;
  p++;

  /* The names and values, each with its NUL, in one block: a field's name and value (decoded
   * references are never longer than written) fit in the bytes of its tags and content. */
  params = wxpay_params_new_block (length, &block);
  cur = block;
  buf = g_string_new (NULL);
  for (;;)
    {
      Value value = { .buf = buf };
      const char *name, *name_end;

      p = skip_space (p, end);
      if (end - p < 2 || *p != '<')
        return NULL;
      p++;
      if (*p == '/')
        {
          p = scan_end_tag (p + 1, end, root_name, root_len);
          if (p == NULL || skip_space (p, end) != end)
            return NULL;
          return g_steal_pointer (&params);
        }

      name = p;
      if (!(name_end = scan_name (p, end)))
        return NULL;
      p = skip_space (name_end, end);
      if (p < end && *p == '/')
        {
          if (end - p < 2 || p[1] != '>')
            return NULL;
          p += 2;
        }
      else if (p < end && *p == '>')
        {
          if (!(p = scan_content (p + 1, end, name, name_end - name, &value)))
            return NULL;
        }
      else
        return NULL;

      if (++n > WXPAY_XML_MAX_FIELDS)
        return NULL;
      {
        char *name_copy = copy_to (&cur, name, name_end - name);
        char *value_copy = value_copy_to (&value, &cur);

        g_assert (cur <= block + length);
        if (!wxpay_params_add_unique_block (params, name_copy, value_copy))
          return NULL;
      }
    }
}

/**
 * wxpay_xml_decode_root:
 * @data: the body
 * @length: its length in bytes
 * @root_name: the expected root element ("xml" or "root")
 * @error: return location for a %WXPAY_ERROR_MALFORMED_XML error
 *
 * Parses a flat document with DTDs, entities, network access and nesting refused, in one pass
 * and in time linear in @length: the gateway's own shape by a single-pass reader, anything
 * else by libxml2 (SAX2, no tree), which accepts and refuses exactly as before.
 *
 * Returns: (transfer full) (nullable): the fields in document order
 */
WxpayParams *
wxpay_xml_decode_root (const char *data,
                       gsize       length,
                       const char *root_name,
                       GError    **error)
{
  WxpayParams *params;

  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data != NULL && length > 0 && length <= WXPAY_XML_MAX_SIZE &&
      (params = fast_decode (data, length, root_name)) != NULL)
    return params;

  return wxpay_xml_decode_root_libxml (data, length, root_name, error);
}

/**
 * wxpay_xml_decode:
 * @data: the body
 * @length: its length in bytes
 * @error: return location for a %WXPAY_ERROR_MALFORMED_XML error
 *
 * wxpay_xml_decode_root() with root "xml".
 *
 * Returns: (transfer full) (nullable): the fields
 */
WxpayParams *
wxpay_xml_decode (const char *data,
                  gsize       length,
                  GError    **error)
{
  return wxpay_xml_decode_root (data, length, "xml", error);
}
