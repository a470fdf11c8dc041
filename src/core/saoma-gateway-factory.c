/* saoma-gateway-factory.c: the gateway factory: the one place outside the gateways that names
 * them. Apart from saoma-merchant.c so that a program that speaks v2 only (saoma-cli) links
 * neither the v3 gateway nor what it needs (GnuTLS's RSA, json-glib): see saoma-cli.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-merchant"

#include "config.h"

#include <string.h>

#include "saoma-merchant.h"
#include "saoma-wxpay2-gateway.h"
#include "saoma-wxpay3-gateway.h"
#include "wxpay/wxpay.h"

static gboolean
is_set (const char *text)
{
  return text != NULL && *text != '\0';
}

/* The contents of the PEM file @path (@what names it in errors; the contents never appear). */
static char *
read_pem (const char *path,
          const char *what,
          gsize      *out_len,
          GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;

  /* A PEM key is a few kB: anything far bigger is not one. */
  if (!g_file_get_contents (path, &contents, out_len, &local_error))
    {
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                   "cannot read the %s: %s", what, local_error->message);
      return NULL;
    }
  if (*out_len == 0 || *out_len > 64 * 1024)
    {
      memset (contents, 0, *out_len);
      g_free (contents);
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                   "the %s %s is not a PEM key", what, path);
      return NULL;
    }

  return contents;
}

static SaomaGateway *
new_wxpay3_gateway (const SaomaMerchant *merchant,
                    GError             **error)
{
  g_autoptr(Wxpay3Signer) signer = NULL;
  g_autoptr(Wxpay3Verifier) verifier = NULL;
  g_autoptr(Wxpay3Client) client = NULL;
  g_autoptr(GError) local_error = NULL;
  char *pem;
  gsize len = 0;

  gboolean platform_certs;

  /* No WeChat Pay public key at all: an older merchant, who verifies with the platform
   * certificates downloaded from WeChat (docs/wxpay-v3.md §1.3). Half of one is a mistake. */
  platform_certs = !is_set (merchant->wechatpay_public_key_path) && !is_set (merchant->wechatpay_public_key_id);
  if (!is_set (merchant->appid) || !is_set (merchant->mch_id) || !is_set (merchant->mch_serial) || !is_set (merchant->mch_private_key_path) || (!platform_certs && (!is_set (merchant->wechatpay_public_key_path) || !is_set (merchant->wechatpay_public_key_id))))
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                           "v3 needs the appid, mch_id, merchant private key and its serial, and "
                           "the WeChat Pay public key and its id (or neither: platform "
                           "certificates)");
      return NULL;
    }
  if (merchant->apiv3_key == NULL || strlen (merchant->apiv3_key) != 32)
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                           "v3 needs the 32-character APIv3 key");
      return NULL;
    }

  pem = read_pem (merchant->mch_private_key_path, "merchant private key", &len, error);
  if (pem == NULL)
    return NULL;
  signer = wxpay3_signer_new (merchant->mch_id, merchant->mch_serial, pem, len, &local_error);
  memset (pem, 0, len);
  g_free (pem);
  if (signer == NULL)
    {
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                   "the merchant private key %s is not usable: %s",
                   merchant->mch_private_key_path, local_error->message);
      return NULL;
    }

  verifier = wxpay3_verifier_new ();
  if (platform_certs)
    pem = NULL;
  else if ((pem = read_pem (merchant->wechatpay_public_key_path, "WeChat Pay public key", &len,
                            error)) == NULL)
    return NULL;
  if (pem != NULL && !wxpay3_verifier_add_public_key (verifier, merchant->wechatpay_public_key_id,
                                                      pem, len, &local_error))
    {
      g_free (pem);
      g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                   "the WeChat Pay public key %s is not usable: %s",
                   merchant->wechatpay_public_key_path, local_error->message);
      return NULL;
    }
  g_free (pem);

  client = wxpay3_client_new (merchant->base_uri, merchant->appid, signer, verifier);
  if (platform_certs)
    wxpay3_client_use_platform_certificates (client, merchant->apiv3_key,
                                             strlen (merchant->apiv3_key));
  if (is_set (merchant->backup_base_uri))
    g_object_set (client, "backup-base-uri", merchant->backup_base_uri, NULL);
  if (merchant->timeout_s > 0)
    g_object_set (client, "timeout", merchant->timeout_s, NULL);

  return SAOMA_GATEWAY (saoma_wxpay3_gateway_new_full (client, verifier, merchant->apiv3_key,
                                                       strlen (merchant->apiv3_key)));
}

/**
 * saoma_gateway_new_for_merchant:
 * @merchant: the merchant account
 * @error: return location for a %SAOMA_GATEWAY_ERROR
 *
 * The factory of gateways: the application and the headless commands never name a protocol's
 * implementation.
 *
 * Returns: (transfer full): the gateway, or %NULL with @error set
 */
SaomaGateway *
saoma_gateway_new_for_merchant (const SaomaMerchant *merchant,
                                GError             **error)
{
  g_return_val_if_fail (merchant != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (merchant->base_uri == NULL || *merchant->base_uri == '\0')
    {
      g_set_error_literal (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
                           "no gateway base URI");
      return NULL;
    }

  if (merchant->protocol == NULL || g_str_equal (merchant->protocol, "v2"))
    return saoma_merchant_new_v2_gateway (merchant, error);
  if (g_str_equal (merchant->protocol, "v3"))
    return new_wxpay3_gateway (merchant, error);

  g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
               "unknown gateway protocol “%s”", merchant->protocol);
  return NULL;
}

static void
certificates_fetched_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!wxpay3_client_refresh_certificates_finish (WXPAY3_CLIENT (source), result, &error))
    g_task_return_error (task, saoma_wxpay2_gateway_map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * saoma_gateway_fetch_verification_keys_async:
 * @gateway: a gateway from saoma_gateway_new_for_merchant()
 * @cancellable: (nullable): stops waiting
 * @callback: called with the result
 * @user_data: for @callback
 *
 * See saoma-merchant.h.
 */
void
saoma_gateway_fetch_verification_keys_async (SaomaGateway        *gateway,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  GTask *task;
  Wxpay3Client *client;

  g_return_if_fail (SAOMA_IS_GATEWAY (gateway));

  task = g_task_new (gateway, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_gateway_fetch_verification_keys_async);

  client = SAOMA_IS_WXPAY3_GATEWAY (gateway)
             ? saoma_wxpay3_gateway_get_client (SAOMA_WXPAY3_GATEWAY (gateway))
             : NULL;
  if (client == NULL || !wxpay3_client_get_uses_platform_certificates (client))
    {
      /* v2's key, or v3's public key: held since the gateway was made. */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  wxpay3_client_refresh_certificates_async (client, cancellable, certificates_fetched_cb, task);
}

/**
 * saoma_gateway_fetch_verification_keys_finish:
 * @gateway: the gateway
 * @result: the result
 * @error: a %SAOMA_GATEWAY_ERROR
 *
 * Returns: %TRUE when @gateway holds what it verifies answers with
 */
gboolean
saoma_gateway_fetch_verification_keys_finish (SaomaGateway  *gateway,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, gateway), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
