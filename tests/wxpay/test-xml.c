/* test-xml.c: the hardened <xml> codec (round trips and hostile input).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"

static WxpayParams *
decode_str (const char *text,
            GError    **error)
{
  return wxpay_xml_decode (text, strlen (text), error);
}

static void
assert_rejected (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = decode_str (text, &error);

  g_assert_null (p);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
}

static void
test_round_trip (void)
{
  static const char * const values[] = {
    "plain", "a]]>b", "]]>", "]]]]>>", "x]]", "<tag attr=\"1\">&amp;</tag>", "&lt;", "a & b < c",
    "收银台-测试商品 ¥0.01", "{\"store_info\":{\"id\":\"SZ001\",\"name\":\"南山店\"}}",
    "  leading and trailing spaces  ", "line1\nline2\r\nline3\ttab", "", "'\"", NULL
  };
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autoptr(WxpayParams) q = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  guint i;

  for (i = 0; values[i] != NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("field_%u", i);

      wxpay_params_set (p, name, values[i]);
    }

  text = wxpay_xml_encode_string (p);
  g_assert_true (g_str_has_prefix (text, "<xml>"));
  g_assert_true (g_str_has_suffix (text, "</xml>"));
  g_assert_null (strstr (text, "<?xml"));

  q = decode_str (text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wxpay_params_get_size (q), ==, i);
  for (i = 0; values[i] != NULL; i++)
    {
      g_assert_cmpstr (wxpay_params_get_name (q, i), ==, wxpay_params_get_name (p, i));
      g_assert_cmpstr (wxpay_params_get_value (q, i), ==, values[i]);
    }

  bytes = wxpay_xml_encode (p);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text, strlen (text));
}

static void
test_escaped_text_and_forms (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  p = decode_str ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<xml>\n  <a>x &lt; y &amp;&amp; z &gt; 0 &#20013;</a>\n"
                  "  <b><![CDATA[c1]]>mid<![CDATA[c2]]></b>\n  <c/>\n  <d></d>\n"
                  "  <!-- a comment -->\n  <e><![CDATA[]]></e>\n</xml>\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "a"), ==, "x < y && z > 0 中");
  g_assert_cmpstr (wxpay_params_get (p, "b"), ==, "c1midc2");
  g_assert_cmpstr (wxpay_params_get (p, "c"), ==, "");
  g_assert_cmpstr (wxpay_params_get (p, "d"), ==, "");
  g_assert_cmpstr (wxpay_params_get (p, "e"), ==, "");
  g_assert_cmpuint (wxpay_params_get_size (p), ==, 5);
}

static void
test_root_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;
  const char *doc = "<root><refund_status>SUCCESS</refund_status></root>";

  p = wxpay_xml_decode_root (doc, strlen (doc), "root", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "refund_status"), ==, "SUCCESS");

  assert_rejected (doc);
  assert_rejected ("<XML><a>1</a></XML>");
  assert_rejected ("<html><a>1</a></html>");
  assert_rejected ("<x:xml xmlns:x=\"urn:x\"><a>1</a></x:xml>");
}

static void
test_xxe_external_entity (void)
{
  assert_rejected ("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
                   "<xml><a>&xxe;</a></xml>");
  assert_rejected ("<!DOCTYPE xml SYSTEM \"http://127.0.0.1:1/evil.dtd\"><xml><a>1</a></xml>");
  assert_rejected ("<!DOCTYPE xml [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
                   "<xml><a>1</a></xml>");
}

static void
test_billion_laughs (void)
{
  GString *doc = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE xml [\n"
                               "<!ENTITY lol \"lol\">\n");

  for (guint i = 1; i < 10; i++)
    {
      g_string_append_printf (doc, "<!ENTITY lol%u \"", i);
      for (guint j = 0; j < 10; j++)
        g_string_append_printf (doc, i == 1 ? "&lol;" : "&lol%u;", i - 1);
      g_string_append (doc, "\">\n");
    }
  g_string_append (doc, "]>\n<xml><a>&lol9;</a></xml>");

  assert_rejected (doc->str);
  g_string_free (doc, TRUE);
}

static void
test_doctype_alone (void)
{
  assert_rejected ("<!DOCTYPE xml><xml><a>1</a></xml>");
  assert_rejected ("<xml><!DOCTYPE xml><a>1</a></xml>");
  /* An undeclared entity is not well-formed without a DTD. */
  assert_rejected ("<xml><a>&undeclared;</a></xml>");
}

static void
test_markup_in_cdata_is_data (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = decode_str ("<xml><a><![CDATA[<!DOCTYPE x><!ENTITY y>]]></a></xml>",
                                         &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "a"), ==, "<!DOCTYPE x><!ENTITY y>");
}

static void
test_too_large (void)
{
  gsize size = 10 * 1024 * 1024;
  g_autofree char *doc = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;
  gsize prefix = strlen ("<xml><a>");

  memcpy (doc, "<xml><a>", prefix);
  memset (doc + prefix, 'x', size - prefix);
  memcpy (doc + size - strlen ("</a></xml>"), "</a></xml>", strlen ("</a></xml>"));
  doc[size] = '\0';

  p = wxpay_xml_decode (doc, size, &error);
  g_assert_null (p);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);

  /* Just under the limit is fine. */
  {
    gsize ok = WXPAY_XML_MAX_SIZE;
    g_autoptr(WxpayParams) q = NULL;

    memcpy (doc + ok - strlen ("</a></xml>"), "</a></xml>", strlen ("</a></xml>"));
    q = wxpay_xml_decode (doc, ok, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (strlen (wxpay_params_get (q, "a")), ==, ok - prefix - strlen ("</a></xml>"));
  }
}

static void
test_truncated (void)
{
  const char *full = "<xml><return_code><![CDATA[SUCCESS]]></return_code><a>1</a></xml>";

  for (gsize len = 1; len < strlen (full); len++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayParams) p = wxpay_xml_decode (full, len, &error);

      g_assert_null (p);
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
    }
}

static void
test_structure (void)
{
  assert_rejected ("<xml><a><b>1</b></a></xml>");
  assert_rejected ("<xml><a>1</a><a>2</a></xml>");
  assert_rejected ("<xml><a x=\"1\">1</a></xml>");
  assert_rejected ("<xml id=\"1\"><a>1</a></xml>");
  assert_rejected ("<xml>text<a>1</a></xml>");
  assert_rejected ("<xml><a>1</a></xml><xml></xml>");
  assert_rejected ("<xml><a>1</b></xml>");
  assert_rejected ("<xml><?pi data?><a>1</a></xml>");
  assert_rejected ("not xml at all");
}

static void
test_encoding (void)
{
  const char bad_utf8[] = "<xml><a>\xC3\x28</a></xml>";
  const char gbk[] = "<?xml version=\"1.0\" encoding=\"GBK\"?><xml><a>\xCA\xD5\xD2\xF8</a></xml>";
  const char with_nul[] = "<xml><a>1\0</a></xml>";
  const char latin1_decl[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><xml><a>收银</a></xml>";
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = NULL;

  /* The bytes are UTF-8 whatever the declaration says: no reinterpretation as Latin-1. */
  p = wxpay_xml_decode (latin1_decl, sizeof latin1_decl - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "a"), ==, "收银");

  g_assert_null (wxpay_xml_decode (bad_utf8, sizeof bad_utf8 - 1, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);

  g_assert_null (wxpay_xml_decode (gbk, sizeof gbk - 1, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);

  g_assert_null (wxpay_xml_decode (with_nul, sizeof with_nul - 1, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
}

static void
test_empty (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (wxpay_xml_decode ("", 0, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);
  g_assert_null (wxpay_xml_decode (NULL, 0, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
  g_clear_error (&error);
  assert_rejected ("   \n");

  {
    g_autoptr(WxpayParams) p = decode_str ("<xml></xml>", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (wxpay_params_get_size (p), ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wxpay/xml/round-trip", test_round_trip);
  g_test_add_func ("/wxpay/xml/escaped-text-and-forms", test_escaped_text_and_forms);
  g_test_add_func ("/wxpay/xml/root-name", test_root_name);
  g_test_add_func ("/wxpay/xml/hostile/xxe", test_xxe_external_entity);
  g_test_add_func ("/wxpay/xml/hostile/billion-laughs", test_billion_laughs);
  g_test_add_func ("/wxpay/xml/hostile/doctype-alone", test_doctype_alone);
  g_test_add_func ("/wxpay/xml/markup-in-cdata", test_markup_in_cdata_is_data);
  g_test_add_func ("/wxpay/xml/hostile/too-large", test_too_large);
  g_test_add_func ("/wxpay/xml/hostile/truncated", test_truncated);
  g_test_add_func ("/wxpay/xml/hostile/structure", test_structure);
  g_test_add_func ("/wxpay/xml/hostile/encoding", test_encoding);
  g_test_add_func ("/wxpay/xml/hostile/empty", test_empty);

  return g_test_run ();
}
