/* saoma-merchant-check.c: what Preferences checks of a merchant account, and "Test connection".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every message names one part of the account in the shop's words, so that whoever sets up
 * the till knows which file or field to look at again.
 */
#define G_LOG_DOMAIN "saoma-merchant-check"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <sys/stat.h>

#include "saoma-merchant-check.h"
#include "saoma-messages.h"

/* A PEM key is a few kB: anything far bigger is not one (and is not read whole). */
#define MAX_KEY_FILE (64 * 1024)

G_DEFINE_QUARK (saoma-merchant-check-error-quark, saoma_merchant_check_error)

static gboolean
is_v3 (const SaomaMerchant *merchant)
{
  return g_strcmp0 (merchant->protocol, "v3") == 0;
}

/* Neither the WeChat Pay public key nor its id: the merchant verifies with the platform
 * certificates (docs/wxpay-v3.md §1.3), as the gateway factory decides. */
static gboolean
uses_platform_certificates (const SaomaMerchant *merchant)
{
  return is_v3 (merchant) &&
         (merchant->wechatpay_public_key_path == NULL ||
          merchant->wechatpay_public_key_path[0] == '\0') &&
         (merchant->wechatpay_public_key_id == NULL || merchant->wechatpay_public_key_id[0] == '\0');
}

static gboolean
all_of (const char *text,
        const char *accept,
        gsize       min,
        gsize       max)
{
  gsize len = text != NULL ? strlen (text) : 0;

  return len >= min && len <= max && strspn (text, accept) == len;
}

#define DIGITS   "0123456789"
#define HEX      "0123456789abcdefABCDEF"
#define ALNUM    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define PUB_KEY_ID_PREFIX "PUB_KEY_ID_"

/**
 * saoma_merchant_check_fields:
 * @merchant: the account as typed in Preferences
 * @error: a %SAOMA_MERCHANT_CHECK_ERROR naming the first wrong field
 *
 * Returns: %TRUE when every field of @merchant's protocol has the right shape
 */
gboolean
saoma_merchant_check_fields (const SaomaMerchant *merchant,
                             GError             **error)
{
  g_return_val_if_fail (merchant != NULL, FALSE);

  /* appids are "wx" and 16 hex digits today; only the alphabet and a bound are enforced. */
  if (!all_of (merchant->appid, ALNUM, 2, 32))
    {
      g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_APPID,
                           _("The App ID (appid) is missing or is not letters and digits only."));
      return FALSE;
    }
  if (!all_of (merchant->mch_id, DIGITS, 6, 16))
    {
      g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_MCH_ID,
                           _("The merchant number (mch_id) must be 6 to 16 digits."));
      return FALSE;
    }

  if (!is_v3 (merchant))
    {
      if (merchant->api_key == NULL || strlen (merchant->api_key) != 32)
        {
          g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR,
                               SAOMA_MERCHANT_CHECK_ERROR_API_KEY,
                               _("A WeChat Pay v2 API key has exactly 32 characters."));
          return FALSE;
        }
      return TRUE;
    }

  if (merchant->mch_private_key_path == NULL || merchant->mch_private_key_path[0] == '\0')
    {
      g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR,
                           SAOMA_MERCHANT_CHECK_ERROR_PRIVATE_KEY,
                           _("Choose the merchant private key file (apiclient_key.pem)."));
      return FALSE;
    }
  /* WeChat's certificate serials are 40 hexadecimal digits. */
  if (!all_of (merchant->mch_serial, HEX, 8, 64))
    {
      g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_SERIAL,
                           _("The certificate serial number must be 8 to 64 hexadecimal digits (0–9, A–F)."));
      return FALSE;
    }
  /* Platform certificates: nothing of WeChat Pay's to check here, they are downloaded. */
  if (!uses_platform_certificates (merchant))
    {
      if (merchant->wechatpay_public_key_path == NULL ||
          merchant->wechatpay_public_key_path[0] == '\0')
        {
          g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR,
                               SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY,
                               _("Choose the WeChat Pay public key file (pub_key.pem)."));
          return FALSE;
        }
      if (merchant->wechatpay_public_key_id == NULL ||
          !g_str_has_prefix (merchant->wechatpay_public_key_id, PUB_KEY_ID_PREFIX) ||
          !all_of (merchant->wechatpay_public_key_id + strlen (PUB_KEY_ID_PREFIX), ALNUM "_", 1,
                   64))
        {
          g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR,
                               SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID,
                               _("The WeChat Pay public key ID starts with PUB_KEY_ID_ followed by digits."));
          return FALSE;
        }
    }
  if (merchant->apiv3_key == NULL || strlen (merchant->apiv3_key) != 32)
    {
      g_set_error_literal (error, SAOMA_MERCHANT_CHECK_ERROR,
                           SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY,
                           _("The APIv3 key has exactly 32 characters (you set it on the merchant platform)."));
      return FALSE;
    }

  return TRUE;
}

static void
wipe_free (char  *data,
           gsize  len)
{
  if (data != NULL)
    memset (data, 0, len);
  g_free (data);
}

/* TRUE when @data (PEM) holds an RSA key of the kind asked for. */
static gboolean
pem_is_rsa_key (const char *data,
                gsize       len,
                gboolean    private_key)
{
  gnutls_datum_t datum = { (unsigned char *) data, (unsigned int) len };
  gboolean rsa = FALSE;

  if (private_key)
    {
      gnutls_x509_privkey_t key;

      if (gnutls_x509_privkey_init (&key) < 0)
        return FALSE;
      if (gnutls_x509_privkey_import2 (key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0) >= 0)
        rsa = gnutls_x509_privkey_get_pk_algorithm (key) == GNUTLS_PK_RSA;
      gnutls_x509_privkey_deinit (key);
    }
  else
    {
      gnutls_pubkey_t key;

      if (gnutls_pubkey_init (&key) < 0)
        return FALSE;
      if (gnutls_pubkey_import (key, &datum, GNUTLS_X509_FMT_PEM) >= 0)
        rsa = gnutls_pubkey_get_pk_algorithm (key, NULL) == GNUTLS_PK_RSA;
      gnutls_pubkey_deinit (key);
    }

  return rsa;
}

/**
 * saoma_merchant_check_key_file:
 * @path: the file
 * @private_key: %TRUE for the merchant private key, %FALSE for the WeChat Pay public key
 * @out_loose: (out) (optional): the private key file can be read by others than its owner
 * @error: a %SAOMA_MERCHANT_CHECK_ERROR (_PRIVATE_KEY or _PUBLIC_KEY)
 *
 * Reads the file (blocking): never on the UI thread.
 *
 * Returns: %TRUE when @path holds an RSA key of that kind
 */
gboolean
saoma_merchant_check_key_file (const char *path,
                               gboolean    private_key,
                               gboolean   *out_loose,
                               GError    **error)
{
  int code = private_key ? SAOMA_MERCHANT_CHECK_ERROR_PRIVATE_KEY
                         : SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY;
  g_autofree char *name = g_path_get_basename (path);
  GStatBuf st;
  char *data = NULL;
  gsize len = 0;
  gboolean rsa;

  g_return_val_if_fail (path != NULL, FALSE);

  if (out_loose != NULL)
    *out_loose = FALSE;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode) ||
      !g_file_get_contents (path, &data, &len, NULL))
    {
      g_set_error (error, SAOMA_MERCHANT_CHECK_ERROR, code,
                   private_key ? _("The merchant private key file “%s” cannot be read.")
                               : _("The WeChat Pay public key file “%s” cannot be read."),
                   name);
      return FALSE;
    }
  if (len == 0 || len > MAX_KEY_FILE)
    {
      wipe_free (data, len);
      g_set_error (error, SAOMA_MERCHANT_CHECK_ERROR, code,
                   private_key ? _("“%s” is not a merchant private key file (apiclient_key.pem).")
                               : _("“%s” is not a WeChat Pay public key file (pub_key.pem)."),
                   name);
      return FALSE;
    }

  rsa = pem_is_rsa_key (data, len, private_key);
  wipe_free (data, len);
  if (!rsa)
    {
      g_set_error (error, SAOMA_MERCHANT_CHECK_ERROR, code,
                   private_key ? _("“%s” is not an RSA private key: choose apiclient_key.pem from the merchant platform.")
                               : _("“%s” is not an RSA public key: choose pub_key.pem from the merchant platform."),
                   name);
      return FALSE;
    }

  if (private_key && out_loose != NULL)
    *out_loose = (st.st_mode & 0077) != 0;
  return TRUE;
}

/* Test connection ----------------------------------------------------------------------------- */

typedef struct {
  SaomaMerchant *merchant;
  SaomaGateway  *gateway;
  gboolean       loose;
} Check;

static void
check_free (Check *check)
{
  saoma_merchant_free (check->merchant);
  g_clear_object (&check->gateway);
  g_free (check);
}

static void
files_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Check *check = task_data;
  GError *error = NULL;

  if (!saoma_merchant_check_key_file (check->merchant->mch_private_key_path, TRUE,
                                      &check->loose, &error) ||
      (!uses_platform_certificates (check->merchant) &&
       !saoma_merchant_check_key_file (check->merchant->wechatpay_public_key_path, FALSE, NULL,
                                       &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/* The gateway's error, as the part of the account it points at. */
static GError *
part_of (const SaomaMerchant *merchant,
         const GError        *error)
{
  g_autofree char *code = saoma_gateway_error_dup_protocol_code (error);
  gboolean v3 = is_v3 (merchant);

  if (error->domain == G_IO_ERROR ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONNECT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_TIMEOUT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONNECTION_LOST))
    return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_NETWORK,
                                _("WeChat Pay could not be reached: check the network connection and the gateway address."));

  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_REFUSED))
    {
      if (v3)
        return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR,
                                    SAOMA_MERCHANT_CHECK_ERROR_SIGNING,
                                    _("WeChat Pay refused our signature: the merchant private key, its certificate serial number or the merchant number is wrong."));
      return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_API_KEY,
                                  _("WeChat Pay refused our signature: the API key or the signature type is wrong."));
    }

  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BAD_SIGNATURE))
    {
      if (!v3)
        return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR,
                                    SAOMA_MERCHANT_CHECK_ERROR_API_KEY,
                                    _("WeChat Pay's answer does not carry a valid signature: the API key or the signature type is wrong."));
      if (g_strcmp0 (code, "UNKNOWN_SERIAL") == 0)
        return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR,
                                    SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID,
                                    _("WeChat Pay signed its answer with another key: the WeChat Pay public key ID is wrong."));
      return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR,
                                  SAOMA_MERCHANT_CHECK_ERROR_VERIFYING,
                                  _("WeChat Pay's answer does not verify: the WeChat Pay public key file is wrong."));
    }

  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_APPID_UNKNOWN) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MCH_ID_UNKNOWN) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_APPID_MCH_ID_MISMATCH))
    return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_ACCOUNT,
                                _("WeChat Pay does not know this App ID with this merchant number."));

  {
    g_autofree char *words = saoma_messages_describe_error (error);

    return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_GATEWAY,
                                words);
  }
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(SaomaOrderStatus) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = saoma_gateway_query_order_finish (SAOMA_GATEWAY (object), result, &error);
  /* A signed, verified "no such order" (or any verified order): signing and verifying work. */
  if (answer != NULL ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_message ("Test connection: %s", error->message);
  g_task_return_error (task, part_of (check->merchant, error));
}

static void
query_order (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *out_trade_no = NULL;

  /* An order number that was never used: the answer is "no such order", signed. */
  out_trade_no = saoma_gateway_new_out_trade_no (check->gateway, "TEST", now);
  saoma_gateway_query_order_async (check->gateway, out_trade_no, g_task_get_cancellable (task),
                                   query_cb, g_object_ref (task));
}

/* Why the platform certificates could not be had, as the part of the account to look at. */
static GError *
certificates_part_of (const SaomaMerchant *merchant,
                      const GError        *error)
{
  g_autofree char *code = saoma_gateway_error_dup_protocol_code (error);

  /* A merchant that has a WeChat Pay public key has no platform certificates (§1.3). */
  if (g_strcmp0 (code, "RESOURCE_NOT_EXISTS") == 0)
    return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR,
                                SAOMA_MERCHANT_CHECK_ERROR_PLATFORM_CERTIFICATES,
                                _("Platform certificates: WeChat Pay has none for this merchant, which verifies with the WeChat Pay public key (微信支付公钥): choose it and give pub_key.pem and its ID."));
  /* Only the APIv3 key opens them: WeChat sealed them with the key set on its platform. */
  if (g_strcmp0 (code, "DECRYPT") == 0)
    return g_error_new_literal (SAOMA_MERCHANT_CHECK_ERROR, SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY,
                                _("The platform certificates cannot be opened: the APIv3 key is wrong."));
  return part_of (merchant, error);
}

static void
verification_keys_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!saoma_gateway_fetch_verification_keys_finish (SAOMA_GATEWAY (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_message ("Test connection: %s", error->message);
      g_task_return_error (task, certificates_part_of (check->merchant, error));
      return;
    }

  query_order (task);
}

static void
query (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A temporary gateway: the till's own changes only when the settings do. */
  check->gateway = saoma_gateway_new_for_merchant (check->merchant, &error);
  if (check->gateway == NULL)
    {
      g_autofree char *words = saoma_messages_describe_error (error);

      g_message ("Test connection: %s", error->message);
      g_task_return_new_error (task, SAOMA_MERCHANT_CHECK_ERROR,
                               SAOMA_MERCHANT_CHECK_ERROR_GATEWAY, "%s", words);
      return;
    }

  /* The platform certificates first, on their own: a query would only say "not sent", which
   * reads as the network, whereas their download names the APIv3 key or a public-key-only
   * merchant. (Nothing to fetch for the other modes.) */
  saoma_gateway_fetch_verification_keys_async (check->gateway, g_task_get_cancellable (task),
                                               verification_keys_cb, g_object_ref (task));
}

static void
files_checked_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  query (outer);
}

/**
 * saoma_merchant_check_connection_async:
 * @merchant: the account (copied)
 * @cancellable: (nullable): stops waiting
 * @callback: called with the result
 * @user_data: for @callback
 *
 * Checks @merchant's fields, its key files (v3, in a thread), then asks the gateway about an
 * order that cannot exist. Never blocks the caller.
 */
void
saoma_merchant_check_connection_async (const SaomaMerchant *merchant,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;
  GError *error = NULL;

  g_return_if_fail (merchant != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_merchant_check_connection_async);
  check = g_new0 (Check, 1);
  check->merchant = saoma_merchant_copy (merchant);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  if (!saoma_merchant_check_fields (merchant, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (is_v3 (merchant))
    {
      GTask *files = g_task_new (NULL, cancellable, files_checked_cb, g_object_ref (task));

      g_task_set_task_data (files, check, NULL);
      g_task_run_in_thread (files, files_worker);
      g_object_unref (files);
      return;
    }

  query (task);
}

/**
 * saoma_merchant_check_connection_finish:
 * @result: the result
 * @out_loose: (out) (optional): the private key file can be read by others
 * @error: a %SAOMA_MERCHANT_CHECK_ERROR naming the wrong part, or a cancellation
 *
 * Returns: %TRUE when WeChat Pay accepted our signature and its answer verified
 */
gboolean
saoma_merchant_check_connection_finish (GAsyncResult *result,
                                        gboolean     *out_loose,
                                        GError      **error)
{
  Check *check;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  check = g_task_get_task_data (G_TASK (result));
  if (out_loose != NULL)
    *out_loose = check->loose;
  return g_task_propagate_boolean (G_TASK (result), error);
}
