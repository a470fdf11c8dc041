/* wxpay-gzip.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-gzip"

#include "config.h"

#include "wxpay-error.h"
#include "wxpay-private.h"

gboolean
wxpay_bytes_is_gzip (GBytes *data)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);

  return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static GBytes *
run_converter (GConverter *converter,
               GBytes     *data,
               gsize       max_size,
               GError    **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  static const guint8 nothing[1];
  gsize in_len = 0;
  const guint8 *in = g_bytes_get_data (data, &in_len);
  gsize in_pos = 0;
  guint8 buf[16384];

  /* Empty GBytes have no data pointer, and NULL + 0 is undefined behaviour (UBSan; found by
   * tests/fuzz/fuzz-bill, corpus entry "empty"). */
  if (in == NULL)
    in = nothing;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gsize bytes_read = 0;
      gsize bytes_written = 0;
      GConverterResult res;

      res = g_converter_convert (converter,
                                 in + in_pos, in_len - in_pos,
                                 buf, sizeof buf,
                                 G_CONVERTER_INPUT_AT_END,
                                 &bytes_read, &bytes_written,
                                 &local_error);
      if (res == G_CONVERTER_ERROR)
        {
          g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                       "Corrupt gzip data: %s", local_error->message);
          return NULL;
        }

      in_pos += bytes_read;
      g_byte_array_append (out, buf, bytes_written);

      if (out->len > max_size)
        {
          g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                               "Inflated data too large");
          return NULL;
        }

      if (res == G_CONVERTER_FINISHED)
        break;

      if (bytes_read == 0 && bytes_written == 0)
        {
          g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                               "Truncated gzip data");
          return NULL;
        }
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
wxpay_gunzip (GBytes  *data,
              gsize    max_size,
              GError **error)
{
  g_autoptr(GZlibDecompressor) dec = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

  g_return_val_if_fail (data != NULL, NULL);

  return run_converter (G_CONVERTER (dec), data, max_size, error);
}

GBytes *
wxpay_gzip (GBytes *data)
{
  g_autoptr(GZlibCompressor) enc = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);

  g_return_val_if_fail (data != NULL, NULL);

  return run_converter (G_CONVERTER (enc), data, G_MAXSIZE, NULL);
}
