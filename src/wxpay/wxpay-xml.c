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

/**
 * wxpay_xml_encode_string:
 * @params: the parameters
 *
 * Returns: (transfer full): `<xml><name><![CDATA[value]]></name>…</xml>`
 */
char *
wxpay_xml_encode_string (const WxpayParams *params)
{
  GString *out;
  guint n;

  g_return_val_if_fail (params != NULL, NULL);

  n = wxpay_params_get_size (params);
  {
    /* "<name><![CDATA[value]]></name>" is 2 × name + value + 17 bytes; splits around "]]>"
     * and CR are rare, and only cost a reallocation. */
    gsize size = 16;

    for (guint i = 0; i < n; i++)
      size += 2 * strlen (wxpay_params_get_name (params, i)) +
              strlen (wxpay_params_get_value (params, i)) + 17;
    out = g_string_sized_new (size);
  }
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

/**
 * wxpay_xml_decode_root:
 * @data: the body
 * @length: its length in bytes
 * @root_name: the expected root element ("xml" or "root")
 * @error: return location for a %WXPAY_ERROR_MALFORMED_XML error
 *
 * Parses a flat document with DTDs, entities, network access and nesting refused, in one pass
 * (libxml2's SAX2 interface: no tree is built) and in time linear in @length.
 *
 * Returns: (transfer full) (nullable): the fields in document order
 */
WxpayParams *
wxpay_xml_decode_root (const char *data,
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
