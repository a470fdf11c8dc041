/* saoma-merchant-check.h: what Preferences checks of a merchant account, and "Test connection".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "core/saoma-merchant.h"

G_BEGIN_DECLS

#define SAOMA_MERCHANT_CHECK_ERROR (saoma_merchant_check_error_quark ())

/**
 * SaomaMerchantCheckError:
 *
 * The part of a merchant account that is wrong. The error's message says it in plain,
 * translated words for the shop (never a key, never a file's contents).
 */
typedef enum {
  SAOMA_MERCHANT_CHECK_ERROR_APPID,          /* missing or not an appid */
  SAOMA_MERCHANT_CHECK_ERROR_MCH_ID,         /* missing or not digits */
  SAOMA_MERCHANT_CHECK_ERROR_API_KEY,        /* v2: the API key (length, or refused) */
  SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY,      /* v3: not 32 bytes */
  SAOMA_MERCHANT_CHECK_ERROR_PRIVATE_KEY,    /* unreadable, not a PEM key, not RSA */
  SAOMA_MERCHANT_CHECK_ERROR_SERIAL,         /* not a hexadecimal serial */
  SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY,     /* unreadable, not a public key */
  SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID,  /* not PUB_KEY_ID_…, or not the one WeChat uses */
  SAOMA_MERCHANT_CHECK_ERROR_PLATFORM_CERTIFICATES, /* none to download (public key only) */
  SAOMA_MERCHANT_CHECK_ERROR_SIGNING,        /* WeChat Pay refused our signature */
  SAOMA_MERCHANT_CHECK_ERROR_VERIFYING,      /* WeChat Pay's answer does not verify */
  SAOMA_MERCHANT_CHECK_ERROR_ACCOUNT,        /* WeChat Pay does not know the appid / mch_id */
  SAOMA_MERCHANT_CHECK_ERROR_NETWORK,        /* WeChat Pay could not be reached */
  SAOMA_MERCHANT_CHECK_ERROR_GATEWAY,        /* any other answer */
} SaomaMerchantCheckError;

GQuark    saoma_merchant_check_error_quark (void);

/* The fields alone, no file read: bounds and shapes (digits, hex, the PUB_KEY_ID_ prefix, the
 * 32-byte APIv3 key) of @merchant's protocol. */
gboolean  saoma_merchant_check_fields      (const SaomaMerchant *merchant,
                                            GError             **error);

/* A v3 key file: readable, at most 64 kB, a PEM RSA private key (@private_key TRUE) or public
 * key. *@out_loose (optional) is TRUE when a private key file may be read by others than its
 * owner (mode beyond 0600): a warning, not an error. Blocking: call it off the UI thread. */
gboolean  saoma_merchant_check_key_file    (const char *path,
                                            gboolean    private_key,
                                            gboolean   *out_loose,
                                            GError    **error);

/* Test connection: the fields, then (v3) the key files in a thread, then (platform
 * certificates: neither public key nor its id) the certificates' download, then a query for an
 * order that cannot exist through the gateway @merchant makes. A signed, verified "no such order"
 * proves signing and verifying; anything else fails with the part that is wrong. */
void      saoma_merchant_check_connection_async  (const SaomaMerchant *merchant,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* *@out_loose (optional): the private key file is readable by others (see above). */
gboolean  saoma_merchant_check_connection_finish (GAsyncResult *result,
                                                  gboolean     *out_loose,
                                                  GError      **error);

G_END_DECLS
