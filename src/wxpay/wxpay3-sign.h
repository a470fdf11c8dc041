/* wxpay3-sign.h: API v3 signatures (reference §1.1, §1.2): the merchant's signer, the
 * `Authorization` header, and the verifier of answers and callbacks (serial → key map). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The answer's timestamp must be within this many seconds of ours (§1.2: reject at ≥ 300). */
#define WXPAY3_MAX_SKEW 300
/* The schema of the Authorization header. */
#define WXPAY3_AUTH_SCHEMA "WECHATPAY2-SHA256-RSA2048"
/* Signatures starting with this are WeChat's probes: they must never verify (§1.2). */
#define WXPAY3_SIGNTEST_PREFIX "WECHATPAY/SIGNTEST/"

/**
 * Wxpay3Signer:
 *
 * The merchant's API private key (`apiclient_key.pem`) with its certificate serial and mchid.
 * The key material stays inside GnuTLS and is never logged or copied out.
 */
typedef struct _Wxpay3Signer Wxpay3Signer;

Wxpay3Signer *wxpay3_signer_new (const char *mchid,
                                 const char *serial_no,
                                 const char *private_key_pem,
                                 gsize       pem_len,
                                 GError    **error);
Wxpay3Signer *wxpay3_signer_ref (Wxpay3Signer *signer);
void          wxpay3_signer_unref (Wxpay3Signer *signer);
const char   *wxpay3_signer_get_mchid (Wxpay3Signer *signer);
guint64       wxpay3_signer_get_n_signatures (Wxpay3Signer *signer);
const char   *wxpay3_signer_get_serial_no (Wxpay3Signer *signer);
/* base64 of SHA256withRSA (PKCS#1 v1.5) over @data. */
char *wxpay3_signer_sign (Wxpay3Signer *signer,
                          const void   *data,
                          gsize         len,
                          GError      **error);
/* The whole `Authorization` header value for one request; @body may be NULL (GET). */
char *wxpay3_signer_authorization (Wxpay3Signer *signer,
                                   const char   *method,
                                   const char   *canonical_url,
                                   const void   *body,
                                   gsize         body_len,
                                   gint64        timestamp,
                                   const char   *nonce,
                                   GError      **error);
/* The `PUBLIC KEY` PEM of the signer's key (what the other side verifies with). */
char *wxpay3_signer_dup_public_key_pem (Wxpay3Signer *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wxpay3Signer, wxpay3_signer_unref)

/* METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n (§1.1); @body NULL or empty gives an empty line. */
GBytes *wxpay3_request_message (const char *method,
                                const char *canonical_url,
                                gint64      timestamp,
                                const char *nonce,
                                const void *body,
                                gsize       body_len);
/* TIMESTAMP\nNONCE\nBODY\n (§1.2), over the raw bytes received. */
GBytes *wxpay3_answer_message (const char *timestamp,
                               const char *nonce,
                               const void *body,
                               gsize       body_len);

/**
 * Wxpay3Authorization:
 *
 * The five items of a parsed `Authorization` header (what the simulator, and a merchant's
 * callback listener in tests, check).
 */
typedef struct
{
  char *mchid;
  char *nonce_str;
  char *timestamp;
  char *serial_no;
  char *signature;
} Wxpay3Authorization;

/* FALSE (WXPAY_ERROR_INVALID_ARGUMENT) unless @header is the schema and exactly the five
 * quoted items, each once, bounded in length. */
gboolean wxpay3_authorization_parse (const char          *header,
                                     Wxpay3Authorization *out,
                                     GError             **error);
void     wxpay3_authorization_clear (Wxpay3Authorization *auth);

/**
 * Wxpay3Verifier:
 *
 * The keys WeChat Pay signs with, by serial: the WeChat Pay public key (`PUB_KEY_ID_…`) and/or
 * platform certificates (their serial in upper-case hex). Several may be valid at once (public
 * key switch-over, certificate rotation); a certificate only verifies within its validity.
 */
typedef struct _Wxpay3Verifier Wxpay3Verifier;

Wxpay3Verifier *wxpay3_verifier_new (void);
Wxpay3Verifier *wxpay3_verifier_ref (Wxpay3Verifier *verifier);
void            wxpay3_verifier_unref (Wxpay3Verifier *verifier);
/* A `-----BEGIN PUBLIC KEY-----` PEM under @key_id (a PUB_KEY_ID_… or, in the simulator, a
 * merchant certificate serial). Replaces a key of the same id. */
gboolean wxpay3_verifier_add_public_key (Wxpay3Verifier *verifier,
                                         const char     *key_id,
                                         const char     *pem,
                                         gsize           pem_len,
                                         GError        **error);
/* A platform certificate (PEM); @out_serial (nullable) receives its serial. */
gboolean wxpay3_verifier_add_certificate (Wxpay3Verifier *verifier,
                                          const char     *pem,
                                          gsize           pem_len,
                                          char          **out_serial,
                                          GError        **error);
gboolean wxpay3_verifier_remove (Wxpay3Verifier *verifier,
                                 const char     *serial);
gboolean wxpay3_verifier_has_serial (Wxpay3Verifier *verifier,
                                     const char     *serial);
/* Unix time after which the certificates expire first (G_MAXINT64 without one), to refresh. */
gint64 wxpay3_verifier_get_earliest_expiry (Wxpay3Verifier *verifier);
/* Unix time at which the last key expires (G_MAXINT64 with a bare public key, G_MININT64
 * when empty): new platform certificates are due before then. */
gint64 wxpay3_verifier_get_latest_expiry (Wxpay3Verifier *verifier);
/*
 * Checks a signature over TIMESTAMP\nNONCE\nBODY\n: a SIGNTEST probe fails with
 * WXPAY_ERROR_SIGNATURE_PROBE, an unknown serial with WXPAY_ERROR_UNKNOWN_SERIAL, a timestamp
 * ≥ 300 s from @now (Unix seconds) with WXPAY_ERROR_STALE_TIMESTAMP, anything else wrong with
 * WXPAY_ERROR_BAD_SIGNATURE. All of them leave an answer's outcome unknown.
 */
gboolean wxpay3_verifier_verify (Wxpay3Verifier *verifier,
                                 const char     *serial,
                                 const char     *signature,
                                 const char     *timestamp,
                                 const char     *nonce,
                                 const void     *body,
                                 gsize           body_len,
                                 gint64          now,
                                 GError        **error);
/* The signature check alone, over any message (the simulator checks requests with it); no
 * timestamp rule. Same errors as wxpay3_verifier_verify(). */
gboolean wxpay3_verifier_verify_message (Wxpay3Verifier *verifier,
                                         const char     *serial,
                                         const char     *signature,
                                         GBytes         *message,
                                         gint64          now,
                                         GError        **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wxpay3Verifier, wxpay3_verifier_unref)

G_END_DECLS

G_BEGIN_DECLS

/* A fresh RSA-2048 key pair as PEM: PKCS#8 private key (to wipe and free with
 * wxpay3_pem_free()) and `PUBLIC KEY`. For the simulator and tests; a merchant's key comes
 * from WeChat's certificate tool. */
gboolean wxpay3_generate_key_pair (char   **out_private_pem,
                                   char   **out_public_pem,
                                   GError **error);
/* Wipes and frees a PEM that holds a private key. */
void wxpay3_pem_free (char *pem);
/* A self-signed certificate for @private_pem's key, valid from @not_before to @not_after (Unix
 * seconds): the simulator's "platform certificate". @out_serial: its upper-case hex serial. */
char *wxpay3_make_certificate (const char *private_pem,
                               gint64      not_before,
                               gint64      not_after,
                               char      **out_serial,
                               GError    **error);

G_END_DECLS
