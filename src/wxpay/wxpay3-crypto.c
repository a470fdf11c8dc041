/* wxpay3-crypto.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AES-256-GCM with nettle (already linked for v2's signatures and refund notifications).
 */

#define G_LOG_DOMAIN "wxpay3"

#include "config.h"

#include <string.h>

#include <nettle/gcm.h>
#include <nettle/memops.h>

#include "wxpay-error.h"
#include "wxpay3-crypto.h"

/* A callback resource is a Transaction or a Refund: a few KiB. Bound what we decode. */
#define MAX_CIPHERTEXT_B64 (256 * 1024)
#define MAX_AAD            1024

static gboolean
check_inputs (const char *key,
              gsize       key_len,
              const char *nonce,
              const char *associated_data,
              GError    **error)
{
  if (key == NULL || key_len != WXPAY3_APIV3_KEY_LEN)
    {
      /* A 16-byte key would make AES-128-GCM (as one SDK test vector does); WeChat's APIv3
       * key is always 32 bytes, so anything else is a configuration mistake. */
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "v3: the APIv3 key must be %d bytes, not %" G_GSIZE_FORMAT,
                   WXPAY3_APIV3_KEY_LEN, key != NULL ? key_len : 0);
      return FALSE;
    }
  if (nonce == NULL || strlen (nonce) != WXPAY3_AEAD_NONCE_LEN)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                           "v3: AEAD nonce must be 12 bytes");
      return FALSE;
    }
  if (associated_data != NULL && strlen (associated_data) > MAX_AAD)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                           "v3: AEAD associated data too long");
      return FALSE;
    }

  return TRUE;
}

/**
 * wxpay3_aead_decrypt:
 * @key: the APIv3 key
 * @key_len: its length (must be 32)
 * @nonce: `resource.nonce`
 * @associated_data: (nullable): `resource.associated_data`
 * @ciphertext_b64: `resource.ciphertext`
 * @error: a #WXPAY_ERROR
 *
 * Returns: (transfer full): the plaintext, or %NULL
 */
GBytes *
wxpay3_aead_decrypt (const char *key,
                     gsize       key_len,
                     const char *nonce,
                     const char *associated_data,
                     const char *ciphertext_b64,
                     GError    **error)
{
  struct gcm_aes256_ctx ctx;
  g_autofree guint8    *input = NULL;
  gsize                 input_len = 0;
  guint8                tag[WXPAY3_AEAD_TAG_LEN];
  guint8               *plain;
  gsize                 plain_len;
  gsize                 aad_len = associated_data != NULL ? strlen (associated_data) : 0;

  if (!check_inputs (key, key_len, nonce, associated_data, error))
    return NULL;
  if (ciphertext_b64 == NULL || strlen (ciphertext_b64) > MAX_CIPHERTEXT_B64)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                           "v3: AEAD ciphertext missing or too long");
      return NULL;
    }
  for (const char *p = ciphertext_b64; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        {
          g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                               "v3: AEAD ciphertext is not base64");
          return NULL;
        }
    }

  input = g_base64_decode (ciphertext_b64, &input_len);
  if (input_len < WXPAY3_AEAD_TAG_LEN)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                           "v3: AEAD ciphertext shorter than its tag");
      return NULL;
    }

  plain_len = input_len - WXPAY3_AEAD_TAG_LEN;
  plain = g_malloc (plain_len + 1);

  gcm_aes256_set_key (&ctx, (const guint8 *)key);
  gcm_aes256_set_iv (&ctx, WXPAY3_AEAD_NONCE_LEN, (const guint8 *)nonce);
  if (aad_len > 0)
    gcm_aes256_update (&ctx, aad_len, (const guint8 *)associated_data);
  gcm_aes256_decrypt (&ctx, plain_len, plain, input);
  gcm_aes256_digest (&ctx, sizeof tag, tag);
  memset (&ctx, 0, sizeof ctx);

  if (!memeql_sec (tag, input + plain_len, WXPAY3_AEAD_TAG_LEN))
    {
      memset (plain, 0, plain_len);
      g_free (plain);
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT,
                           "v3: AEAD tag does not match (wrong APIv3 key or altered resource)");
      return NULL;
    }

  plain[plain_len] = '\0';
  return g_bytes_new_take (plain, plain_len);
}

/**
 * wxpay3_aead_encrypt:
 *
 * Returns: (transfer full): base64 of the ciphertext followed by the tag, or %NULL
 */
char *
wxpay3_aead_encrypt (const char *key,
                     gsize       key_len,
                     const char *nonce,
                     const char *associated_data,
                     const void *plaintext,
                     gsize       plaintext_len,
                     GError    **error)
{
  struct gcm_aes256_ctx ctx;
  g_autofree guint8    *out = NULL;
  gsize                 aad_len = associated_data != NULL ? strlen (associated_data) : 0;

  if (!check_inputs (key, key_len, nonce, associated_data, error))
    return NULL;

  out = g_malloc (plaintext_len + WXPAY3_AEAD_TAG_LEN);
  gcm_aes256_set_key (&ctx, (const guint8 *)key);
  gcm_aes256_set_iv (&ctx, WXPAY3_AEAD_NONCE_LEN, (const guint8 *)nonce);
  if (aad_len > 0)
    gcm_aes256_update (&ctx, aad_len, (const guint8 *)associated_data);
  gcm_aes256_encrypt (&ctx, plaintext_len, out, plaintext);
  gcm_aes256_digest (&ctx, WXPAY3_AEAD_TAG_LEN, out + plaintext_len);
  memset (&ctx, 0, sizeof ctx);

  return g_base64_encode (out, plaintext_len + WXPAY3_AEAD_TAG_LEN);
}
