/* wxpay-xml.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-xml"

#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "wxpay-error.h"
#include "wxpay-private.h"
#include "wxpay-xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

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
  out = g_string_sized_new (64 + n * 48);
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
      if (*p == *needle && memcmp (p, needle, nlen) == 0)
        return p;
    }

  return NULL;
}

/* A lexical pass before libxml2 sees anything: any markup declaration (<!DOCTYPE, <!ENTITY,
 * <!ELEMENT …) outside CDATA sections and comments is refused, so no DTD, no entity and no
 * entity expansion can exist by construction. */
static gboolean
has_markup_declaration (const char *data,
                        gsize       length)
{
  const char *end = data + length;
  const char *p = data;

  while (p < end)
    {
      const char *lt = memchr (p, '<', end - p);

      if (lt == NULL)
        return FALSE;

      if (end - lt >= 9 && memcmp (lt, "<![CDATA[", 9) == 0)
        {
          const char *close = find_bytes (lt + 9, end, "]]>");

          if (close == NULL)
            return FALSE; /* truncated; libxml2 will refuse it */
          p = close + 3;
        }
      else if (end - lt >= 4 && memcmp (lt, "<!--", 4) == 0)
        {
          const char *close = find_bytes (lt + 4, end, "-->");

          if (close == NULL)
            return FALSE;
          p = close + 3;
        }
      else if (end - lt >= 2 && lt[1] == '!')
        {
          return TRUE;
        }
      else
        {
          p = lt + 1;
        }
    }

  return FALSE;
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

static gboolean
set_malformed (GError    **error,
               const char *message)
{
  g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML, message);
  return FALSE;
}

static gboolean
is_blank (const xmlChar *text)
{
  for (const xmlChar *p = text; p && *p; p++)
    {
      if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
        return FALSE;
    }

  return TRUE;
}

/* The value of a leaf element: its text and CDATA children concatenated. */
static gboolean
leaf_value (xmlNode    *element,
            GString    *out,
            GError    **error)
{
  for (xmlNode *child = element->children; child != NULL; child = child->next)
    {
      switch (child->type)
        {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (child->content != NULL)
            g_string_append (out, (const char *)child->content);
          break;

        case XML_COMMENT_NODE:
          break;

        case XML_ELEMENT_NODE:
          return set_malformed (error, "Nested element inside a field");

        case XML_ATTRIBUTE_NODE:
        case XML_ENTITY_REF_NODE:
        case XML_ENTITY_NODE:
        case XML_PI_NODE:
        case XML_DOCUMENT_NODE:
        case XML_DOCUMENT_TYPE_NODE:
        case XML_DOCUMENT_FRAG_NODE:
        case XML_NOTATION_NODE:
        case XML_HTML_DOCUMENT_NODE:
        case XML_DTD_NODE:
        case XML_ELEMENT_DECL:
        case XML_ATTRIBUTE_DECL:
        case XML_ENTITY_DECL:
        case XML_NAMESPACE_DECL:
        case XML_XINCLUDE_START:
        case XML_XINCLUDE_END:
#ifdef LIBXML_DOCB_ENABLED
        case XML_DOCB_DOCUMENT_NODE:
#endif
        default:
          return set_malformed (error, "Unexpected node inside a field");
        }
    }

  return TRUE;
}

/**
 * wxpay_xml_decode_root:
 * @data: the body
 * @length: its length in bytes
 * @root_name: the expected root element ("xml" or "root")
 * @error: return location for a %WXPAY_ERROR_MALFORMED_XML error
 *
 * Parses a flat document with DTDs, entities, network access and nesting refused.
 *
 * Returns: (transfer full) (nullable): the fields in document order
 */
WxpayParams *
wxpay_xml_decode_root (const char *data,
                       gsize       length,
                       const char *root_name,
                       GError    **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(WxpayParams) params = NULL;
  g_autoptr(GString) value = NULL;
  xmlNode *root;

  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL || length == 0)
    return set_malformed (error, "Empty XML body"), NULL;

  if (length > WXPAY_XML_MAX_SIZE)
    return set_malformed (error, "XML body too large"), NULL;

  /* Also refuses NUL bytes, which would cut libxml2's view of the text short. */
  if (!g_utf8_validate_len (data, length, NULL))
    return set_malformed (error, "XML body is not valid UTF-8"), NULL;

  if (has_markup_declaration (data, length))
    return set_malformed (error, "XML body contains a DOCTYPE or markup declaration"), NULL;

  init_libxml_once ();

  /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID, no network.
   * The text is UTF-8 (checked above) whatever an encoding declaration says: IGNORE_ENC keeps
   * libxml2 from switching, and naming no encoding keeps it from routing every byte through
   * a UTF-8 to UTF-8 converter, which cost a third of the parse. */
  doc = xmlReadMemory (data, (int)length, NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                       XML_PARSE_IGNORE_ENC);
  if (doc == NULL)
    return set_malformed (error, "XML body is not well-formed"), NULL;

  if (doc->intSubset != NULL || doc->extSubset != NULL)
    return set_malformed (error, "XML body has a DTD"), NULL;

  root = xmlDocGetRootElement (doc);
  if (root == NULL || root->ns != NULL || xmlStrcmp (root->name, (const xmlChar *)root_name) != 0)
    return set_malformed (error, "XML body has the wrong root element"), NULL;

  if (root->properties != NULL)
    return set_malformed (error, "XML root element has attributes"), NULL;

  params = wxpay_params_new ();
  value = g_string_sized_new (64);

  for (xmlNode *node = root->children; node != NULL; node = node->next)
    {
      const char *name;

      if (node->type == XML_COMMENT_NODE)
        continue;

      if (node->type == XML_TEXT_NODE)
        {
          if (!is_blank (node->content))
            return set_malformed (error, "Text outside a field"), NULL;
          continue;
        }

      if (node->type != XML_ELEMENT_NODE)
        return set_malformed (error, "Unexpected node in the XML body"), NULL;

      if (node->properties != NULL || node->ns != NULL)
        return set_malformed (error, "Field element has attributes"), NULL;

      name = (const char *)node->name;
      g_string_truncate (value, 0);
      if (!leaf_value (node, value, error))
        return NULL;

      if (!wxpay_params_add_unique (params, name, value->str))
        return set_malformed (error, "Duplicate field in the XML body"), NULL;
    }

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
