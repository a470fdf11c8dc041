/* fuzz-req-info.c: refund notification req_info decryption (base64, AES-256-ECB, PKCS#7) and
 * the <root> decode of what it yields, on any text; and the encryption round trip of any
 * UTF-8 plaintext. Oracles: no crash, no sanitizer report; decrypt (encrypt (x)) == x.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "wxpay/wxpay.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  static const char * const keys[] = { FUZZ_KEY, FUZZ_REFUND_KEY };

  fuzz_init_once ();

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *plain = wxpay_refund_req_info_decrypt (text, keys[k], &error);

      if (plain == NULL)
        {
          if (error == NULL)
            fuzz_fail ("req_info refused without an error");
          continue;
        }

      {
        g_autoptr(GError) xml_error = NULL;
        g_autoptr(WxpayParams) p = wxpay_xml_decode_root (plain, strlen (plain), "root",
                                                          &xml_error);

        if (p == NULL && xml_error == NULL)
          fuzz_fail ("decrypted req_info refused without an error");
      }
    }

  /* Decryption gives valid UTF-8 or an error, so only such text can come back. */
  if (*text != '\0' && g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *cipher = wxpay_refund_req_info_encrypt (text, FUZZ_KEY);
      g_autoptr(GError) error = NULL;
      g_autofree char *back = wxpay_refund_req_info_decrypt (cipher, FUZZ_KEY, &error);

      if (g_strcmp0 (back, text) != 0)
        fuzz_fail ("req_info encryption does not round-trip: %s",
                 error ? error->message : "different text");
    }

  return 0;
}
