/* saoma-merchant.c: the gateway factory: the one place outside the gateways that names them.
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

  return copy;
}

/**
 * saoma_merchant_free:
 * @merchant: (nullable): a #SaomaMerchant
 *
 * Frees @merchant; the API key and the certificate password are overwritten first.
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

static SaomaGateway *
new_wxpay2_gateway (const SaomaMerchant *merchant,
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

/**
 * saoma_gateway_new_for_merchant:
 * @merchant: the merchant account
 * @error: return location for a %SAOMA_GATEWAY_ERROR
 *
 * The factory of gateways: the application and the headless commands never name a protocol's
 * implementation. A new protocol (API v3) adds its branch here.
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
    return new_wxpay2_gateway (merchant, error);

  g_set_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG,
               "unknown gateway protocol “%s”", merchant->protocol);
  return NULL;
}
