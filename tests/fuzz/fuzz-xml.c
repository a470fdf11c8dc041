/* fuzz-xml.c: the hardened XML decoder and signature verification on any bytes.
 * Oracles: no crash, no sanitizer report; the decoder (single-pass reader first) and libxml2's
 * alone agree on every body: both refuse it with the same message, or both decode the same
 * fields; a decoded body re-encodes to a body that decodes to the same fields; verification
 * agrees with a fresh signature over the same fields.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "wxpay/wxpay.h"
#include "wxpay/wxpay-private.h"

#include "fuzz.h"

static void
check_round_trip (const WxpayParams *params,
                  const char        *root)
{
  g_autofree char *xml = wxpay_xml_encode_string (params);
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayParams) again = NULL;

  /* The encoder always writes <xml>; a <root> body is compared through it too. */
  again = wxpay_xml_decode (xml, strlen (xml), &error);
  if (again == NULL)
    fuzz_fail ("re-encoded %s body does not decode: %s", root, error->message);
  if (wxpay_params_get_size (again) != wxpay_params_get_size (params))
    fuzz_fail ("re-encoded body has %u fields, not %u", wxpay_params_get_size (again),
             wxpay_params_get_size (params));
  for (guint i = 0; i < wxpay_params_get_size (params); i++)
    {
      if (g_strcmp0 (wxpay_params_get_name (again, i), wxpay_params_get_name (params, i)) != 0 ||
          g_strcmp0 (wxpay_params_get_value (again, i), wxpay_params_get_value (params, i)) != 0)
        fuzz_fail ("field %u changed in a round trip", i);
    }
}

static void
check_same_as_libxml (const uint8_t     *data,
                      size_t             size,
                      const char        *root,
                      const WxpayParams *params,
                      const GError      *error)
{
  g_autoptr(GError) reference_error = NULL;
  g_autoptr(WxpayParams) reference = wxpay_xml_decode_root_libxml ((const char *)data, size,
                                                                   root, &reference_error);

  if ((params == NULL) != (reference == NULL))
    fuzz_fail ("<%s> body %s, but libxml2 alone %s it", root, params ? "decoded" : "refused",
               reference ? "decodes" : "refuses");
  if (params == NULL)
    {
      if (g_strcmp0 (error->message, reference_error->message) != 0)
        fuzz_fail ("refused with “%s”, libxml2 alone with “%s”", error->message,
                   reference_error->message);
      return;
    }
  if (wxpay_params_get_size (reference) != wxpay_params_get_size (params))
    fuzz_fail ("%u fields decoded, libxml2 alone %u", wxpay_params_get_size (params),
               wxpay_params_get_size (reference));
  for (guint i = 0; i < wxpay_params_get_size (params); i++)
    {
      if (g_strcmp0 (wxpay_params_get_name (reference, i), wxpay_params_get_name (params, i)) != 0 ||
          g_strcmp0 (wxpay_params_get_value (reference, i), wxpay_params_get_value (params, i)) != 0)
        fuzz_fail ("field %u differs from libxml2's", i);
    }
}

static void
check_signatures (WxpayParams *params)
{
  WxpaySignType type = WXPAY_SIGN_TYPE_MD5;
  gboolean verified = wxpay_verify_auto (params, FUZZ_KEY, &type);

  if (verified)
    {
      g_autofree char *expected = wxpay_sign (params, type, FUZZ_KEY);

      if (g_strcmp0 (expected, wxpay_params_get (params, "sign")) != 0)
        fuzz_fail ("a signature verified that is not the signature");
    }

  /* Signing what was decoded must verify. */
  wxpay_params_sign (params, WXPAY_SIGN_TYPE_HMAC_SHA256, FUZZ_KEY);
  if (!wxpay_verify (params, WXPAY_SIGN_TYPE_HMAC_SHA256, FUZZ_KEY))
    fuzz_fail ("a fresh HMAC-SHA256 signature does not verify");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const roots[] = { "xml", "root" };

  fuzz_init_once ();

  for (guint r = 0; r < G_N_ELEMENTS (roots); r++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WxpayParams) params = wxpay_xml_decode_root ((const char *)data, size, roots[r],
                                                              &error);

      check_same_as_libxml (data, size, roots[r], params, error);
      if (params == NULL)
        {
          if (error == NULL || !g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML))
            fuzz_fail ("refused without a MALFORMED_XML error");
          continue;
        }
      if (wxpay_params_get_size (params) > WXPAY_XML_MAX_FIELDS)
        fuzz_fail ("more fields than the cap");
      check_round_trip (params, roots[r]);
      check_signatures (params);
    }

  return 0;
}
