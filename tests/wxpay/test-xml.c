/* test-xml.c: the hardened <xml> codec (round trips and hostile input).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "wxpay/wxpay.h"
#include "wxpay/wxpay-private.h"

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

/* Hostile bodies up to the size limit: each is refused or decoded, never in quadratic time.
 * The bound is generous (the decoder needs a few ms for any of them) so that only a return of
 * quadratic behaviour (seconds to minutes per body) fails it, never a loaded machine. */
typedef void (*BodyFill) (GString *doc, gsize budget);

static void
repeat_until (GString    *doc,
              const char *unit,
              gsize       budget)
{
  while (doc->len + strlen (unit) <= budget)
    g_string_append (doc, unit);
}

static void
fill_many_fields (GString *doc,
                  gsize    budget)
{
  for (guint i = 0; doc->len + 32 <= budget; i++)
    g_string_append_printf (doc, "<f%u/>", i);
}

static void
fill_many_valued_fields (GString *doc,
                         gsize    budget)
{
  for (guint i = 0; doc->len + 64 <= budget; i++)
    g_string_append_printf (doc, "<f%u>%u</f%u>", i, i, i);
}

static void
fill_same_field (GString *doc,
                 gsize    budget)
{
  repeat_until (doc, "<a/>", budget);
}

static void
fill_comment_dashes (GString *doc,
                     gsize    budget)
{
  g_string_append (doc, "<!--");
  repeat_until (doc, "--", budget - 3);
  g_string_append (doc, "-->");
}

static void
fill_comment_dash_pairs (GString *doc,
                         gsize    budget)
{
  g_string_append (doc, "<!--");
  repeat_until (doc, "a-", budget - 3);
  g_string_append (doc, "-->");
}

static void
fill_long_comment (GString *doc,
                   gsize    budget)
{
  g_string_append (doc, "<!--");
  repeat_until (doc, "comment ", budget - 3);
  g_string_append (doc, "-->");
}

static void
fill_many_comments (GString *doc,
                    gsize    budget)
{
  repeat_until (doc, "<!---->", budget);
}

static void
fill_unterminated_comment (GString *doc,
                           gsize    budget)
{
  g_string_append (doc, "<a>");
  repeat_until (doc, "<!--", budget);
}

static void
fill_unterminated_cdata (GString *doc,
                         gsize    budget)
{
  g_string_append (doc, "<a><![CDATA[");
  repeat_until (doc, "]]", budget);
}

static void
fill_many_cdata_openers (GString *doc,
                         gsize    budget)
{
  g_string_append (doc, "<a>");
  repeat_until (doc, "<![CDATA[", budget);
}

static void
fill_many_cdata (GString *doc,
                 gsize    budget)
{
  g_string_append (doc, "<a>");
  repeat_until (doc, "<![CDATA[x]]>", budget - 4);
  g_string_append (doc, "</a>");
}

static void
fill_attributes (GString *doc,
                 gsize    budget)
{
  g_string_append (doc, "<a");
  for (guint i = 0; doc->len + 32 <= budget; i++)
    g_string_append_printf (doc, " x%u=\"\"", i);
  g_string_append (doc, "/>");
}

static void
fill_namespaces (GString *doc,
                 gsize    budget)
{
  g_string_append (doc, "<a");
  for (guint i = 0; doc->len + 40 <= budget; i++)
    g_string_append_printf (doc, " xmlns:n%u=\"u\"", i);
  g_string_append (doc, "/>");
}

static void
fill_char_refs (GString *doc,
                gsize    budget)
{
  g_string_append (doc, "<a>");
  repeat_until (doc, "&#20013;&#x4e2d;&lt;&amp;", budget - 4);
  g_string_append (doc, "</a>");
}

static void
fill_deep (GString *doc,
           gsize    budget)
{
  repeat_until (doc, "<a>", budget);
}

static void
fill_lt (GString *doc,
         gsize    budget)
{
  repeat_until (doc, "<", budget);
}

static void
fill_bang (GString *doc,
           gsize    budget)
{
  repeat_until (doc, "<!-", budget);
}

static void
fill_long_name (GString *doc,
                gsize    budget)
{
  g_string_append_c (doc, '<');
  repeat_until (doc, "n", budget - 2);
  g_string_append (doc, "/>");
}

static void
fill_pis (GString *doc,
          gsize    budget)
{
  repeat_until (doc, "<?p?>", budget);
}

static void
fill_split_values (GString *doc,
                   gsize    budget)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autoptr(GString) value = g_string_new (NULL);
  g_autofree char *xml = NULL;

  /* Every "]]>" and CR makes the encoder close and reopen a CDATA section. */
  while (value->len * 8 + 64 < budget)
    g_string_append (value, "]]>\r");
  wxpay_params_set (p, "a", value->str);
  xml = wxpay_xml_encode_string (p);
  /* Without the "<xml>" that the caller already wrote. */
  g_string_append (doc, xml + 5);
  g_string_truncate (doc, doc->len - 6);
}

static void
test_worst_case_time (void)
{
  static const struct
  {
    const char *name;
    BodyFill    fill;
  } bodies[] = {
    { "many empty fields", fill_many_fields },
    { "many fields with values", fill_many_valued_fields },
    { "one field repeated", fill_same_field },
    { "comment of dashes", fill_comment_dashes },
    { "comment of a- pairs", fill_comment_dash_pairs },
    { "long comment", fill_long_comment },
    { "many comments", fill_many_comments },
    { "unterminated comments", fill_unterminated_comment },
    { "unterminated CDATA", fill_unterminated_cdata },
    { "many CDATA openers", fill_many_cdata_openers },
    { "many CDATA sections", fill_many_cdata },
    { "attribute list", fill_attributes },
    { "namespace declarations", fill_namespaces },
    { "character references", fill_char_refs },
    { "deep nesting", fill_deep },
    { "only <", fill_lt },
    { "only <!-", fill_bang },
    { "long element name", fill_long_name },
    { "processing instructions", fill_pis },
    { "split CDATA values", fill_split_values },
  };
  gint64 worst = 0;
  const char *worst_name = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GString) doc = g_string_new ("<xml>");
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayParams) p = NULL;
      gint64 start, elapsed;

      bodies[i].fill (doc, WXPAY_XML_MAX_SIZE - 6);
      g_string_append (doc, "</xml>");
      g_assert_cmpuint (doc->len, <=, WXPAY_XML_MAX_SIZE);
      g_assert_cmpuint (doc->len, >, WXPAY_XML_MAX_SIZE - 64);

      start = g_get_monotonic_time ();
      p = wxpay_xml_decode (doc->str, doc->len, &error);
      elapsed = g_get_monotonic_time () - start;

      /* Refused with the codec's own error, or decoded: nothing else. */
      if (p == NULL)
        g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
      else
        g_assert_no_error (error);
      g_test_message ("%-26s %s in %.1f ms%s%s", bodies[i].name, p ? "decoded" : "refused",
                      elapsed / 1000.0, error ? ": " : "", error ? error->message : "");
      g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
      if (elapsed > worst)
        {
          worst = elapsed;
          worst_name = bodies[i].name;
        }
    }

  g_test_message ("worst 1 MiB body: %s, %.1f ms", worst_name, worst / 1000.0);
}

/* A refundquery answer for 50 refunds with a coupon each is the largest real body: admitted.
 * One field more than the cap is refused. */
static void
test_field_cap (void)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();
  g_autoptr(WxpayParams) q = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  static const char * const per_refund[] = {
    "out_refund_no", "refund_id", "refund_channel", "refund_fee", "settlement_refund_fee",
    "coupon_refund_fee", "coupon_refund_count", "refund_status", "refund_account",
    "refund_recv_accout", "refund_success_time",
  };

  wxpay_params_set (p, "return_code", "SUCCESS");
  wxpay_params_set (p, "total_refund_count", "50");
  wxpay_params_set (p, "refund_count", "50");
  for (guint n = 0; n < 50; n++)
    {
      for (guint f = 0; f < G_N_ELEMENTS (per_refund); f++)
        {
          g_autofree char *name = g_strdup_printf ("%s_%u", per_refund[f], n);

          wxpay_params_set (p, name, "1");
        }
      for (const char *const *c = (const char *const[]){ "coupon_type", "coupon_refund_id",
                                                         "coupon_refund_fee", NULL }; *c; c++)
        {
          g_autofree char *name = g_strdup_printf ("%s_%u_0", *c, n);

          wxpay_params_set (p, name, "1");
        }
    }
  g_assert_cmpuint (wxpay_params_get_size (p), ==, 3 + 50 * 14);

  xml = wxpay_xml_encode_string (p);
  q = wxpay_xml_decode (xml, strlen (xml), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wxpay_params_get_size (q), ==, wxpay_params_get_size (p));
  g_assert_cmpstr (wxpay_params_get (q, "refund_success_time_49"), ==, "1");
  g_clear_pointer (&q, wxpay_params_unref);
  g_clear_pointer (&xml, g_free);

  while (wxpay_params_get_size (p) < WXPAY_XML_MAX_FIELDS)
    {
      g_autofree char *name = g_strdup_printf ("extra_%u", wxpay_params_get_size (p));

      wxpay_params_set (p, name, "x");
    }
  xml = wxpay_xml_encode_string (p);
  q = wxpay_xml_decode (xml, strlen (xml), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wxpay_params_get_size (q), ==, WXPAY_XML_MAX_FIELDS);
  g_clear_pointer (&q, wxpay_params_unref);
  g_clear_pointer (&xml, g_free);

  wxpay_params_set (p, "one_too_many", "x");
  xml = wxpay_xml_encode_string (p);
  q = wxpay_xml_decode (xml, strlen (xml), &error);
  g_assert_null (q);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML);
}

/* Comments that XML itself forbids ("--" inside) are refused before libxml2, which is
 * quadratic on them; well-formed ones stay harmless. */
static void
test_comments_and_cdata (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) p = decode_str ("<xml><!-- a - b --><a><!--x-->1<!---->2</a></xml>",
                                         &error);

  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (p, "a"), ==, "12");

  assert_rejected ("<xml><!-- a -- b --><a>1</a></xml>");
  assert_rejected ("<xml><!-- a ---><a>1</a></xml>");
  assert_rejected ("<xml><a>1</a><!-- never closed </xml>");
  assert_rejected ("<xml><a><![CDATA[never closed</a></xml>");
  assert_rejected ("<?xml version=\"1.0\"?><?other?><xml><a>1</a></xml>");
  assert_rejected ("<xml><a >1</a ><b/ ></xml>x");
  assert_rejected ("<xml><a xmlns=\"urn:x\">1</a></xml>");
  assert_rejected ("<xml><n:a>1</n:a></xml>");
  assert_rejected ("<xml><a>1</a><a/></xml>");
}

/* Lookups stay right across the switch to a hash index and removals. */
static void
test_params_index (void)
{
  g_autoptr(WxpayParams) p = wxpay_params_new ();

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("k%u", i);
      g_autofree char *value = g_strdup_printf ("v%u", i);

      wxpay_params_set (p, name, value);
    }
  g_assert_cmpstr (wxpay_params_get (p, "k0"), ==, "v0");
  g_assert_cmpstr (wxpay_params_get (p, "k99"), ==, "v99");
  g_assert_true (wxpay_params_remove (p, "k10"));
  g_assert_null (wxpay_params_get (p, "k10"));
  g_assert_cmpstr (wxpay_params_get (p, "k11"), ==, "v11");
  g_assert_cmpstr (wxpay_params_get_name (p, 10), ==, "k11");
  wxpay_params_set (p, "k50", "changed");
  g_assert_cmpstr (wxpay_params_get_value (p, 49), ==, "changed");
  wxpay_params_set (p, "k10", "back");
  g_assert_cmpstr (wxpay_params_get_name (p, 99), ==, "k10");
  g_assert_cmpstr (wxpay_params_get (p, "k10"), ==, "back");
  for (guint i = 0; i < 90; i++)
    {
      g_autofree char *name = g_strdup_printf ("k%u", i);

      wxpay_params_remove (p, name);
    }
  g_assert_cmpuint (wxpay_params_get_size (p), ==, 10);
  g_assert_cmpstr (wxpay_params_get (p, "k95"), ==, "v95");
  g_assert_null (wxpay_params_get (p, "k10"));
  {
    g_autoptr(WxpayParams) copy = wxpay_params_copy (p);

    g_assert_cmpstr (wxpay_params_get (copy, "k99"), ==, "v99");
  }
}

/* The decoder (its single-pass reader first) against libxml2's alone on @data: the same
 * refusal, or the same fields. Returns TRUE when the body decoded. */
static gboolean
assert_same_as_libxml (const char *data,
                       gsize       length,
                       const char *root)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reference_error = NULL;
  g_autoptr(WxpayParams) p = wxpay_xml_decode_root (data, length, root, &error);
  g_autoptr(WxpayParams) q = wxpay_xml_decode_root_libxml (data, length, root,
                                                           &reference_error);

  if ((p == NULL) != (q == NULL))
    {
      g_autofree char *shown = g_strescape (data, NULL);

      g_test_message ("body: %s", shown);
      g_assert_cmpint (p == NULL, ==, q == NULL);
    }
  if (p == NULL)
    {
      g_assert_nonnull (error);
      g_assert_nonnull (reference_error);
      g_assert_cmpstr (error->message, ==, reference_error->message);
      return FALSE;
    }
  g_assert_cmpuint (wxpay_params_get_size (p), ==, wxpay_params_get_size (q));
  for (guint i = 0; i < wxpay_params_get_size (p); i++)
    {
      g_assert_cmpstr (wxpay_params_get_name (p, i), ==, wxpay_params_get_name (q, i));
      g_assert_cmpstr (wxpay_params_get_value (p, i), ==, wxpay_params_get_value (q, i));
    }

  return TRUE;
}

/* Pieces that sit on the border of what the single-pass reader takes. */
static const char * const mutation_tokens[] = {
  "<", ">", "&", ";", "]]>", "]", "<![CDATA[", "<!--", "-->", "<?", "?>", "<!DOCTYPE x>",
  "/", "/>", "</", "\r", "\r\n", "\n", "\t", " ", "\x01", "\x0b", "\x7f", "\xc2\x85",
  "\xef\xbf\xbe", "\xef\xbf\xbd", "\xef\xbb\xbf", "&lt;", "&gt;", "&amp;", "&apos;",
  "&quot;", "&lt", "&foo;", "&#13;", "&#x0D;", "&#X41;", "&#0;", "&#x1;", "&#xFFFE;",
  "&#x10FFFF;", "&#x110000;", "&#0000065;", "&#;", "&#x;", "&#99999999999;", "a='1'",
  " b=\"2\"", "xmlns=\"u\"", "n:", ":", "-", ".", "0", "中", "<xml>", "</xml>", "<root>",
  "</root>", "<a>", "</a>", "<a/>", "<sign>", "</sign>", "<?xml version=\"1.0\"?>",
};

static void
mutate (GString *doc,
        GRand   *rand)
{
  guint at = doc->len ? g_rand_int_range (rand, 0, doc->len + 1) : 0;
  guint span_len = g_rand_int_range (rand, 1, 40);

  switch (g_rand_int_range (rand, 0, 5))
    {
    case 0: /* insert a token */
      g_string_insert (doc, at,
                       mutation_tokens[g_rand_int_range (rand, 0,
                                                         G_N_ELEMENTS (mutation_tokens))]);
      break;
    case 1: /* delete a few bytes */
      if (at < doc->len)
        g_string_erase (doc, at, MIN (doc->len - at, span_len % 12));
      break;
    case 2: /* replace a byte */
      if (at < doc->len)
        doc->str[at] = (char)g_rand_int_range (rand, 0, 256);
      break;
    case 3: /* repeat a span (duplicates, nesting) */
      if (at < doc->len)
        {
          g_autofree char *span = g_strndup (doc->str + at, MIN (doc->len - at, span_len));

          g_string_insert (doc, g_rand_int_range (rand, 0, doc->len + 1), span);
        }
      break;
    default: /* cut the end */
      g_string_truncate (doc, at);
      break;
    }
}

/* The single-pass reader takes a subset of what libxml2 takes, with the same fields: over the
 * fuzz corpora, the encoder's output and tens of thousands of mutations of them. */
static void
test_same_as_libxml (void)
{
  static const char * const dirs[] = { "xml", "notify" };
  static const char * const extra[] = {
    "<xml><a>1</a></xml>", " \n<xml >\t<a >x</a ><b/><c /></xml >\n ",
    "<xml><a>&lt;&gt;&amp;&apos;&quot;&#13;&#x4E2D;&#0000065;</a></xml>",
    "<xml><a>x]y]]z</a><b><![CDATA[]]]]><![CDATA[>]]></b></xml>",
    "<xml><a>\xe4\xb8\xad\xef\xbf\xbd\xc2\x85\x7f</a></xml>",
    "<root><out_refund_no>R1</out_refund_no></root>", "<xml></xml>", "<xml/>",
  };
  g_autoptr(GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(WxpayParams) encoded = wxpay_params_new ();
  guint decoded = 0, total = 0;

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *path = g_build_filename (BUILD_SRCDIR, "tests", "fuzz", "corpus", dirs[d],
                                                NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_build_filename (path, name, NULL);
          char *contents;
          gsize len;

          g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
          g_ptr_array_add (seeds, g_bytes_new_take (contents, len));
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
    g_ptr_array_add (seeds, g_bytes_new_static (extra[i], strlen (extra[i])));
  wxpay_params_set (encoded, "a", "x]]>y\rz\n<&>\"'\t中");
  wxpay_params_set (encoded, "b", "");
  wxpay_params_set (encoded, "sign", "ABC");
  g_ptr_array_add (seeds, wxpay_xml_encode (encoded));
  g_assert_cmpuint (seeds->len, >=, 20);

  for (guint i = 0; i < seeds->len; i++)
    {
      gsize len;
      const char *seed = g_bytes_get_data (g_ptr_array_index (seeds, i), &len);

      for (guint m = 0; m < 2000; m++)
        {
          g_autoptr(GString) doc = g_string_new_len (seed, len);
          guint rounds = m == 0 ? 0 : (guint)g_rand_int_range (rand, 1, 4);

          for (guint r = 0; r < rounds; r++)
            mutate (doc, rand);
          decoded += assert_same_as_libxml (doc->str, doc->len, "xml");
          decoded += assert_same_as_libxml (doc->str, doc->len, "root");
          total += 2;
        }
    }
  /* Both sides were exercised: many mutations still decode, many do not. */
  g_test_message ("%u of %u bodies decoded", decoded, total);
  g_assert_cmpuint (decoded, >, total / 50);
  g_assert_cmpuint (decoded, <, total - total / 20);
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
  g_test_add_func ("/wxpay/xml/hostile/worst-case-time", test_worst_case_time);
  g_test_add_func ("/wxpay/xml/hostile/field-cap", test_field_cap);
  g_test_add_func ("/wxpay/xml/hostile/comments-and-cdata", test_comments_and_cdata);
  g_test_add_func ("/wxpay/xml/params-index", test_params_index);
  g_test_add_func ("/wxpay/xml/same-as-libxml", test_same_as_libxml);

  return g_test_run ();
}
