/* saoma-merchant.c: the merchant account, and its v2 gateway (saoma-gateway-factory.c has the
 * factory of every protocol).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-merchant"

#include "config.h"

#include <string.h>

#include "saoma-merchant.h"
#include "saoma-wxpay2-gateway.h"
#include "wxpay/wxpay.h"

G_DEFINE_BOXED_TYPE (SaomaMerchant, saoma_merchant, saoma_merchant_copy, saoma_merchant_free)

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/**
 * saoma_merchant_new:
 *
 * Returns: (transfer full): an empty v2 merchant (MD5 signatures)
 */
SaomaMerchant *
saoma_merchant_new (void)
{
  SaomaMerchant *merchant = g_new0 (SaomaMerchant, 1);

  merchant->protocol = g_strdup ("v2");
  return merchant;
}

/**
 * saoma_merchant_copy:
 * @merchant: a #SaomaMerchant
 *
 * Returns: (transfer full): a deep copy, the API key included
 */
SaomaMerchant *
saoma_merchant_copy (const SaomaMerchant *merchant)
{
  SaomaMerchant *copy;

  g_return_val_if_fail (merchant != NULL, NULL);

  copy = g_new0 (SaomaMerchant, 1);
  copy->protocol = g_strdup (merchant->protocol);
  copy->base_uri = g_strdup (merchant->base_uri);
  copy->backup_base_uri = g_strdup (merchant->backup_base_uri);
  copy->appid = g_strdup (merchant->appid);
  copy->mch_id = g_strdup (merchant->mch_id);
  copy->api_key = g_strdup (merchant->api_key);
  copy->sign = merchant->sign;
  copy->certificate_path = g_strdup (merchant->certificate_path);
  copy->certificate_password = g_strdup (merchant->certificate_password);
  copy->certificate = merchant->certificate ? g_object_ref (merchant->certificate) : NULL;
  copy->timeout_s = merchant->timeout_s;
  copy->apiv3_key = g_strdup (merchant->apiv3_key);
  copy->mch_private_key_path = g_strdup (merchant->mch_private_key_path);
  copy->mch_serial = g_strdup (merchant->mch_serial);
  copy->wechatpay_public_key_path = g_strdup (merchant->wechatpay_public_key_path);
  copy->wechatpay_public_key_id = g_strdup (merchant->wechatpay_public_key_id);

  return copy;
}

/**
 * saoma_merchant_free:
 * @merchant: (nullable): a #SaomaMerchant
 *
 * Frees @merchant; the API keys and the certificate password are overwritten first.
 */
void
saoma_merchant_free (SaomaMerchant *merchant)
{
  if (merchant == NULL)
    return;

  g_free (merchant->protocol);
  g_free (merchant->base_uri);
  g_free (merchant->backup_base_uri);
  g_free (merchant->appid);
  g_free (merchant->mch_id);
  wipe_free (merchant->api_key);
  g_free (merchant->certificate_path);
  wipe_free (merchant->certificate_password);
  g_clear_object (&merchant->certificate);
  wipe_free (merchant->apiv3_key);
  g_free (merchant->mch_private_key_path);
  g_free (merchant->mch_serial);
  g_free (merchant->wechatpay_public_key_path);
  g_free (merchant->wechatpay_public_key_id);
  g_free (merchant);
}

/**
 * saoma_merchant_production_base_uri:
 *
 * Returns: WeChat Pay's API gateway
 */
const char *
saoma_merchant_production_base_uri (void)
{
  return WXPAY_PRODUCTION_BASE_URI;
}

/**
 * saoma_merchant_backup_base_uri:
 *
 * Returns: WeChat Pay's backup API gateway
 */
const char *
saoma_merchant_backup_base_uri (void)
{
  return WXPAY_BACKUP_BASE_URI;
}

/**
 * saoma_merchant_new_v2_gateway:
 * @merchant: a v2 merchant
 * @error: return location for the certificate loader's %SAOMA_GATEWAY_ERROR
 *
 * The v2 half of saoma_gateway_new_for_merchant(), for a program that links no v3 (saoma-cli,
 * see saoma-cli.h): @merchant's protocol is not checked.
 *
 * Returns: (transfer full): the gateway, or %NULL with @error set
 */
SaomaGateway *
saoma_merchant_new_v2_gateway (const SaomaMerchant *merchant,
                               GError             **error)
{
  g_autoptr(SaomaGateway) gateway = NULL;
  WxpayClient *client;

  gateway = saoma_wxpay2_gateway_new_for_merchant (merchant->base_uri, merchant->appid,
                                                   merchant->mch_id, merchant->api_key,
                                                   merchant->timeout_s);
  client = saoma_wxpay2_gateway_get_client (SAOMA_WXPAY2_GATEWAY (gateway));
  if (merchant->backup_base_uri != NULL && *merchant->backup_base_uri != '\0')
    g_object_set (client, "backup-base-uri", merchant->backup_base_uri, NULL);
  g_object_set (client, "sign-type",
                merchant->sign == SAOMA_MERCHANT_SIGN_HMAC_SHA256 ? WXPAY_SIGN_TYPE_HMAC_SHA256
                                                                  : WXPAY_SIGN_TYPE_MD5,
                NULL);

  if (merchant->certificate != NULL)
    saoma_wxpay2_gateway_set_certificate (gateway, merchant->certificate);
  else if (merchant->certificate_path != NULL && *merchant->certificate_path != '\0' &&
           !saoma_wxpay2_gateway_load_certificate (gateway, merchant->certificate_path,
                                                   merchant->certificate_password, error))
    return NULL;

  return g_steal_pointer (&gateway);
}
