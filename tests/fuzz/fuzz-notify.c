/* fuzz-notify.c: payment and refund notification parsing and verification (signature,
 * appid/mch_id, req_info decryption) on any body. Oracles: no crash, no sanitizer report; an
 * accepted payment notification carries a signature that verifies and the merchant's ids.
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
  const char *body = (const char *)data;

  fuzz_init_once ();

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WxpayParams) p = wxpay_notify_parse_payment (body, size, FUZZ_APPID, FUZZ_MCH_ID,
                                                           FUZZ_KEY, &error);

    if (p == NULL && error == NULL)
      fuzz_fail ("payment notification refused without an error");
    if (p != NULL &&
        (!wxpay_verify_auto (p, FUZZ_KEY, NULL) ||
         g_strcmp0 (wxpay_params_get (p, "appid"), FUZZ_APPID) != 0 ||
         g_strcmp0 (wxpay_params_get (p, "mch_id"), FUZZ_MCH_ID) != 0))
      fuzz_fail ("an unverified payment notification was accepted");
  }

  {
    static const char * const merchants[][3] = {
      { FUZZ_APPID, FUZZ_MCH_ID, FUZZ_KEY },
      { FUZZ_REFUND_APPID, FUZZ_REFUND_MCH_ID, FUZZ_REFUND_KEY },
    };

    for (guint m = 0; m < G_N_ELEMENTS (merchants); m++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(WxpayParams) r = wxpay_notify_parse_refund (body, size, merchants[m][0],
                                                              merchants[m][1], merchants[m][2],
                                                              &error);

        if (r == NULL && error == NULL)
          fuzz_fail ("refund notification refused without an error");
      }
  }

  return 0;
}
