/* wxpay-notify.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-notify"

#include "config.h"

#include <string.h>

#include <nettle/aes.h>
#include <nettle/md5.h>

#include "wxpay-error.h"
#include "wxpay-notify.h"
#include "wxpay-sign.h"
#include "wxpay-xml.h"

#define AES_BLOCK 16

/* §10: the AES-256 key is the 32 ASCII characters of the lower-case MD5 hex of the API key. */
static void
derive_key (const char *api_key,
            guint8      key[32])
{
  static const char hex[] = "0123456789abcdef";
  struct md5_ctx ctx;
  guint8 digest[MD5_DIGEST_SIZE];

  /* nettle rather than GChecksum: its state holds the API key and is freed unwiped. */
  md5_init (&ctx);
  md5_update (&ctx, strlen (api_key), (const uint8_t *)api_key);
  md5_digest (&ctx, sizeof digest, digest);
  for (guint i = 0; i < MD5_DIGEST_SIZE; i++)
    {
      key[2 * i] = hex[digest[i] >> 4];
      key[2 * i + 1] = hex[digest[i] & 0xf];
    }
  explicit_bzero (&ctx, sizeof ctx);
  explicit_bzero (digest, sizeof digest);
}

static gboolean
check_common (WxpayParams *params,
              const char  *appid,
              const char  *mch_id,
              GError     **error)
{
  const char *return_code = wxpay_params_get (params, "return_code");

  if (g_strcmp0 (return_code, "SUCCESS") != 0)
    {
      const char *msg = wxpay_params_get (params, "return_msg");

      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL,
                   "Notification return_code is not SUCCESS: %s", msg ? msg : "(no return_msg)");
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_ids (WxpayParams *params,
           const char  *appid,
           const char  *mch_id,
           GError     **error)
{
  if (g_strcmp0 (wxpay_params_get (params, "appid"), appid) != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH,
                           "Notification appid is not ours");
      return FALSE;
    }
  if (g_strcmp0 (wxpay_params_get (params, "mch_id"), mch_id) != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH,
                           "Notification mch_id is not ours");
      return FALSE;
    }

  return TRUE;
}

static gboolean
verify_payment (WxpayParams *params,
                const char  *appid,
                const char  *mch_id,
                const char  *api_key,
                GError     **error)
{
  if (!check_common (params, appid, mch_id, error))
    return FALSE;

  if (!wxpay_verify_auto (params, api_key, NULL))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "Notification signature missing or wrong");
      return FALSE;
    }

  return check_ids (params, appid, mch_id, error);
}

/**
 * wxpay_notify_parse_payment:
 * @body: the POSTed body
 * @length: its length
 * @appid: our appid
 * @mch_id: our mch_id
 * @api_key: the API key
 * @error: return location for a %WXPAY_ERROR error
 *
 * result_code is left to the caller (a FAIL notification must still be acknowledged).
 *
 * Returns: (transfer full) (nullable): the verified fields
 */
WxpayParams *
wxpay_notify_parse_payment (const char *body,
                            gsize       length,
                            const char *appid,
                            const char *mch_id,
                            const char *api_key,
                            GError    **error)
{
  g_autoptr(WxpayParams) params = NULL;

  g_return_val_if_fail (appid != NULL, NULL);
  g_return_val_if_fail (mch_id != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  params = wxpay_xml_decode (body, length, error);
  if (params == NULL)
    return NULL;

  if (!verify_payment (params, appid, mch_id, api_key, error))
    return NULL;

  return g_steal_pointer (&params);
}

/**
 * wxpay_refund_req_info_encrypt:
 * @plaintext_xml: the `<root>` document
 * @api_key: the API key
 *
 * Returns: (transfer full): base64 of AES-256-ECB(PKCS#7(@plaintext_xml))
 */
char *
wxpay_refund_req_info_encrypt (const char *plaintext_xml,
                               const char *api_key)
{
  struct aes256_ctx ctx;
  guint8 key[32];
  g_autofree guint8 *buf = NULL;
  gsize len, padded;
  guint8 pad;
  char *b64;

  g_return_val_if_fail (plaintext_xml != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  len = strlen (plaintext_xml);
  pad = AES_BLOCK - (len % AES_BLOCK);
  padded = len + pad;
  buf = g_malloc (padded);
  memcpy (buf, plaintext_xml, len);
  memset (buf + len, pad, pad);

  derive_key (api_key, key);
  aes256_set_encrypt_key (&ctx, key);
  /* nettle's aes256_encrypt on a multiple of the block size is exactly ECB. */
  aes256_encrypt (&ctx, padded, buf, buf);
  /* explicit_bzero(): a memset() of a buffer about to go out of scope may be optimised away. */
  explicit_bzero (key, sizeof key);
  explicit_bzero (&ctx, sizeof ctx);

  b64 = g_base64_encode (buf, padded);

  return b64;
}

static gboolean
is_base64_text (const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=' &&
          *p != '\n' && *p != '\r' && *p != ' ')
        return FALSE;
    }

  return TRUE;
}

/**
 * wxpay_refund_req_info_decrypt:
 * @req_info_b64: the req_info text
 * @api_key: the API key
 * @error: return location for a %WXPAY_ERROR_BAD_SIGNATURE error
 *
 * Returns: (transfer full) (nullable): the decrypted `<root>` XML text
 */
char *
wxpay_refund_req_info_decrypt (const char *req_info_b64,
                               const char *api_key,
                               GError    **error)
{
  struct aes256_ctx ctx;
  guint8 key[32];
  g_autofree guint8 *buf = NULL;
  gsize len = 0;
  guint8 pad;

  g_return_val_if_fail (req_info_b64 != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  if (!is_base64_text (req_info_b64))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "req_info is not base64");
      return NULL;
    }

  buf = g_base64_decode (req_info_b64, &len);
  if (len == 0 || len % AES_BLOCK != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "req_info is not a whole number of AES blocks");
      return NULL;
    }

  derive_key (api_key, key);
  aes256_set_decrypt_key (&ctx, key);
  aes256_decrypt (&ctx, len, buf, buf);
  /* explicit_bzero(): a memset() of a buffer about to go out of scope may be optimised away. */
  explicit_bzero (key, sizeof key);
  explicit_bzero (&ctx, sizeof ctx);

  /* Authenticity of a refund notification rests on this padding and the XML that follows. */
  pad = buf[len - 1];
  if (pad == 0 || pad > AES_BLOCK)
    goto bad_padding;
  for (gsize i = len - pad; i < len; i++)
    {
      if (buf[i] != pad)
        goto bad_padding;
    }
  len -= pad;

  if (!g_utf8_validate_len ((const char *)buf, len, NULL))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "req_info does not decrypt to UTF-8 (wrong key?)");
      return NULL;
    }

  return g_strndup ((const char *)buf, len);

bad_padding:
  g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                       "req_info has bad padding (wrong key?)");
  return NULL;
}

/* The decrypted <root> of a decoded refund notification (§10). */
static WxpayParams *
decrypt_refund (WxpayParams *outer,
                const char  *appid,
                const char  *mch_id,
                const char  *api_key,
                GError     **error)
{
  g_autoptr(WxpayParams) inner = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *plain = NULL;
  const char *req_info;

  if (!check_common (outer, appid, mch_id, error))
    return NULL;

  if (!check_ids (outer, appid, mch_id, error))
    return NULL;

  req_info = wxpay_params_get (outer, "req_info");
  if (req_info == NULL || *req_info == '\0')
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_XML,
                           "Refund notification has no req_info");
      return NULL;
    }

  plain = wxpay_refund_req_info_decrypt (req_info, api_key, error);
  if (plain == NULL)
    return NULL;

  inner = wxpay_xml_decode_root (plain, strlen (plain), "root", &local_error);
  if (inner == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                   "req_info does not decrypt to a <root> document: %s", local_error->message);
      return NULL;
    }

  return g_steal_pointer (&inner);
}

/**
 * wxpay_notify_parse_refund:
 * @body: the POSTed body
 * @length: its length
 * @appid: our appid
 * @mch_id: our mch_id
 * @api_key: the API key
 * @error: return location for a %WXPAY_ERROR error
 *
 * Returns: (transfer full) (nullable): the fields of the decrypted `<root>`
 */
WxpayParams *
wxpay_notify_parse_refund (const char *body,
                           gsize       length,
                           const char *appid,
                           const char *mch_id,
                           const char *api_key,
                           GError    **error)
{
  g_autoptr(WxpayParams) outer = NULL;

  g_return_val_if_fail (appid != NULL, NULL);
  g_return_val_if_fail (mch_id != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  outer = wxpay_xml_decode (body, length, error);
  if (outer == NULL)
    return NULL;

  return decrypt_refund (outer, appid, mch_id, api_key, error);
}

/**
 * wxpay_notify_reply:
 * @success: whether the notification was accepted
 * @message: (nullable): return_msg; "OK" when %NULL
 *
 * Returns: (transfer full): the reply body
 */
GBytes *
wxpay_notify_reply (gboolean    success,
                    const char *message)
{
  g_autoptr(WxpayParams) params = wxpay_params_new ();

  wxpay_params_set (params, "return_code", success ? "SUCCESS" : "FAIL");
  wxpay_params_set (params, "return_msg", message ? message : "OK");

  return wxpay_xml_encode (params);
}

/**
 * wxpay_notify_parse:
 * @body: the POSTed body
 * @length: its length
 * @appid: our appid
 * @mch_id: our mch_id
 * @api_key: the API key
 * @refund_only: accept refund notifications only (the refund path)
 * @out_is_refund: (out): whether it was a refund notification
 * @error: return location for a %WXPAY_ERROR error
 *
 * Decodes @body once and verifies it as a refund notification when it carries a req_info
 * (the only kind that does) or @refund_only, else as a payment notification.
 *
 * Returns: (transfer full) (nullable): the verified payment fields or the decrypted refund's
 */
WxpayParams *
wxpay_notify_parse (const char *body,
                    gsize       length,
                    const char *appid,
                    const char *mch_id,
                    const char *api_key,
                    gboolean    refund_only,
                    gboolean   *out_is_refund,
                    GError    **error)
{
  g_autoptr(WxpayParams) params = NULL;

  g_return_val_if_fail (appid != NULL, NULL);
  g_return_val_if_fail (mch_id != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);
  g_return_val_if_fail (out_is_refund != NULL, NULL);

  params = wxpay_xml_decode (body, length, error);
  if (params == NULL)
    return NULL;

  *out_is_refund = refund_only || wxpay_params_contains (params, "req_info");
  if (*out_is_refund)
    return decrypt_refund (params, appid, mch_id, api_key, error);

  if (!verify_payment (params, appid, mch_id, api_key, error))
    return NULL;

  return g_steal_pointer (&params);
}
