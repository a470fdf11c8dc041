/* saoma-merchant.h: a merchant account in domain words, and the gateway factory. */
#pragma once

#include <gio/gio.h>

#include "saoma-gateway.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_MERCHANT (saoma_merchant_get_type ())

/* v2's signature of requests; the rows of Preferences' sign type and the schema's values. */
typedef enum {
  SAOMA_MERCHANT_SIGN_MD5,
  SAOMA_MERCHANT_SIGN_HMAC_SHA256,
} SaomaMerchantSign;

/**
 * SaomaMerchant:
 *
 * Who the till charges for and where it asks: everything saoma_gateway_new_for_merchant()
 * needs, in protocol-neutral words. @api_key and @apiv3_key are secret: never log a
 * SaomaMerchant, and free it with saoma_merchant_free(), which wipes the keys.
 */
typedef struct {
  char              *protocol;         /* "v2" or "v3" (NULL means "v2") */
  char              *base_uri;         /* the gateway's base URI */
  char              *backup_base_uri;  /* nullable: tried once when the first cannot be reached */
  char              *appid;
  char              *mch_id;
  char              *api_key;          /* secret; nullable only for calls that sign nothing */
  SaomaMerchantSign  sign;
  char              *certificate_path; /* nullable: the merchant client certificate file */
  char              *certificate_password; /* nullable: PKCS#12 password (WeChat's: mch_id) */
  GTlsCertificate   *certificate;      /* nullable: a certificate already loaded (demo) */
  guint              timeout_s;        /* 0: the protocol client's default */
  /* v3 (api_key, sign and the certificate are v2's). The keys are read from their files
   * when the gateway is made, never kept in settings. */
  char              *apiv3_key;        /* secret: the 32-byte APIv3 key that opens callbacks */
  char              *mch_private_key_path; /* apiclient_key.pem: signs every request */
  char              *mch_serial;       /* the serial of that key's merchant certificate */
  char              *wechatpay_public_key_path; /* pub_key.pem: verifies answers, callbacks;
                                                 * NULL with the id: platform certificates */
  char              *wechatpay_public_key_id;   /* PUB_KEY_ID_… */
} SaomaMerchant;

GType          saoma_merchant_get_type (void) G_GNUC_CONST;
SaomaMerchant *saoma_merchant_new      (void);
SaomaMerchant *saoma_merchant_copy     (const SaomaMerchant *merchant);
void           saoma_merchant_free     (SaomaMerchant *merchant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaMerchant, saoma_merchant_free)

/* WeChat Pay's production gateway and its backup, for SaomaMerchant.base_uri. */
const char   *saoma_merchant_production_base_uri (void);
const char   *saoma_merchant_backup_base_uri     (void);

/* saoma_gateway_new_for_merchant() for a v2 merchant only (the protocol is not checked), in
 * saoma-merchant.c: for a program that must not link the v3 gateway (saoma-cli). */
SaomaGateway *saoma_merchant_new_v2_gateway (const SaomaMerchant *merchant,
                                             GError             **error);

/* The gateway for @merchant's protocol ("v2": SaomaWxpay2Gateway, with the client certificate
 * loaded when one is given; "v3": SaomaWxpay3Gateway, its keys read from their files, failing
 * with %SAOMA_GATEWAY_ERROR_CONFIG when one is missing or unreadable). Fails with %SAOMA_GATEWAY_ERROR_CONFIG for an unknown protocol or a
 * missing base URI, and with the loader's %SAOMA_GATEWAY_ERROR when the certificate cannot be
 * loaded (callers may go on without one: only refunds and reverse need it). */
SaomaGateway *saoma_gateway_new_for_merchant (const SaomaMerchant *merchant,
                                              GError             **error);

/* Gets what @gateway verifies answers with, now, rather than before its first call: a v3
 * gateway in platform-certificate mode downloads the certificates (§1.3); any other has
 * nothing to fetch and succeeds at once. Fails with a %SAOMA_GATEWAY_ERROR whose protocol code
 * (saoma_gateway_error_dup_protocol_code()) says why: "RESOURCE_NOT_EXISTS" (this merchant has
 * a public key, no certificates), "DECRYPT" (they do not open with the APIv3 key), or the
 * call's own ("SIGNERROR", "CONNECT" …). For "Test connection", which names the part. */
void          saoma_gateway_fetch_verification_keys_async  (SaomaGateway        *gateway,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean      saoma_gateway_fetch_verification_keys_finish (SaomaGateway        *gateway,
                                                            GAsyncResult        *result,
                                                            GError             **error);

G_END_DECLS
