/* fuzz-bill.c: the downloadbill parser on any bytes, as sent (raw text, or gzip when the bytes
 * start with its magic) and gzip-wrapped, so that the fuzzer's text also goes through the
 * decompressor. Oracles: no crash, no sanitizer report; an accepted bill's rows add up to its
 * summary.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "wxpay/wxpay.h"

#include "fuzz.h"

static void
parse (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayBill) bill = wxpay_bill_parse (bytes, &error);
  gint64 settlement = 0;

  if (bill == NULL)
    {
      if (error == NULL)
        fuzz_fail ("bill refused without an error");
      return;
    }

  for (guint i = 0; i < bill->rows->len; i++)
    {
      const WxpayBillRow *row = g_ptr_array_index (bill->rows, i);

      if (__builtin_add_overflow (settlement, row->settlement_fee, &settlement))
        fuzz_fail ("an accepted bill's amounts overflow");
    }
  if ((gint64)bill->rows->len != bill->summary_count)
    fuzz_fail ("an accepted bill has %u rows under a summary of %" G_GINT64_FORMAT,
             bill->rows->len, bill->summary_count);
  if (settlement != bill->summary_settlement_total)
    fuzz_fail ("an accepted bill's rows do not add up to its summary");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) raw = g_bytes_new (data, size);
  g_autoptr(GBytes) gz = NULL;

  fuzz_init_once ();

  parse (raw);
  gz = wxpay_bill_gzip (raw);
  if (gz != NULL)
    parse (gz);

  return 0;
}
