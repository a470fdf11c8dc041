/* wxpay3-sign.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * API v3 signatures: SHA256withRSA (PKCS#1 v1.5) with GnuTLS, which keeps the key material in
 * its own (wiped) memory. Nothing here logs a key, a signature or a message.
 */

#define G_LOG_DOMAIN "wxpay3"

#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "wxpay-error.h"
#include "wxpay3-sign.h"

/* Bounds on what we accept from the other side (headers are attacker-controlled). */
#define MAX_AUTH_HEADER   2048
#define MAX_ITEM          1024
#define MAX_PEM           (64 * 1024)
#define MAX_SIGNATURE_B64 1024
#define MAX_NONCE         64
#define MAX_SERIAL        128

struct _Wxpay3Signer
{
  gatomicrefcount  ref_count;
  char            *mchid;
  char            *serial_no;
  gnutls_privkey_t key;
  /* One signature at a time per key, so that a signer may be shared between threads (the
   * simulator's and a client's in one test process); it also guards the count. */
  GMutex           sign_lock;
  guint64          n_signatures;   /* under sign_lock */
};

typedef struct
{
  gnutls_pubkey_t key;
  gint64          not_before; /* Unix seconds; G_MININT64 for a bare public key */
  gint64          not_after;  /* G_MAXINT64 for a bare public key */
} VerifierKey;

struct _Wxpay3Verifier
{
  gatomicrefcount ref_count;
  GHashTable     *keys; /* serial → VerifierKey */
};

static gboolean
is_printable_ascii (const char *text,
                    gsize       max)
{
  gsize n = 0;

  for (const char *p = text; *p; p++, n++)
    {
      if (n >= max || *p < 0x21 || *p > 0x7e || *p == '"')
        return FALSE;
    }

  return n > 0;
}

/* Signer ------------------------------------------------------------------------------------- */

/**
 * wxpay3_signer_new:
 * @mchid: the merchant number
 * @serial_no: the serial of the merchant API certificate (`apiclient_serial`)
 * @private_key_pem: the contents of `apiclient_key.pem` (PKCS#8 or PKCS#1, no password)
 * @pem_len: its length
 * @error: WXPAY_ERROR_CONFIG when the key is not an RSA key of at least 2048 bits
 *
 * Returns: (transfer full): a new signer, or %NULL
 */
Wxpay3Signer *
wxpay3_signer_new (const char *mchid,
                   const char *serial_no,
                   const char *private_key_pem,
                   gsize       pem_len,
                   GError    **error)
{
  g_autoptr(Wxpay3Signer) self = NULL;
  gnutls_datum_t datum;
  unsigned int   bits = 0;
  int            ret;

  g_return_val_if_fail (private_key_pem != NULL, NULL);

  if (mchid == NULL || !is_printable_ascii (mchid, 32))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "v3: mchid missing");
      return NULL;
    }
  if (serial_no == NULL || !is_printable_ascii (serial_no, MAX_SERIAL))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: merchant certificate serial missing or malformed");
      return NULL;
    }
  if (pem_len == 0 || pem_len > MAX_PEM)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: merchant private key empty or too large");
      return NULL;
    }

  self = g_new0 (Wxpay3Signer, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->sign_lock);
  self->mchid = g_strdup (mchid);
  self->serial_no = g_strdup (serial_no);

  if ((ret = gnutls_privkey_init (&self->key)) < 0)
    {
      self->key = NULL;
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "v3: %s", gnutls_strerror (ret));
      return NULL;
    }

  datum.data = (unsigned char *)private_key_pem;
  datum.size = (unsigned int)pem_len;
  ret = gnutls_privkey_import_x509_raw (self->key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "v3: merchant private key does not load: %s", gnutls_strerror (ret));
      return NULL;
    }

  if (gnutls_privkey_get_pk_algorithm (self->key, &bits) != GNUTLS_PK_RSA || bits < 2048)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: merchant private key is not RSA of 2048 bits or more");
      return NULL;
    }

  return g_steal_pointer (&self);
}

Wxpay3Signer *
wxpay3_signer_ref (Wxpay3Signer *signer)
{
  g_return_val_if_fail (signer != NULL, NULL);

  g_atomic_ref_count_inc (&signer->ref_count);
  return signer;
}

void
wxpay3_signer_unref (Wxpay3Signer *signer)
{
  if (signer == NULL || !g_atomic_ref_count_dec (&signer->ref_count))
    return;

  if (signer->key != NULL)
    gnutls_privkey_deinit (signer->key);
  g_mutex_clear (&signer->sign_lock);
  g_free (signer->mchid);
  g_free (signer->serial_no);
  g_free (signer);
}

/**
 * wxpay3_signer_get_n_signatures:
 *
 * Returns: how many signatures @signer made (tests: a request signed ahead is not signed again)
 */
guint64
wxpay3_signer_get_n_signatures (Wxpay3Signer *signer)
{
  guint64 n;

  g_return_val_if_fail (signer != NULL, 0);

  g_mutex_lock (&signer->sign_lock);
  n = signer->n_signatures;
  g_mutex_unlock (&signer->sign_lock);
  return n;
}

const char *
wxpay3_signer_get_mchid (Wxpay3Signer *signer)
{
  g_return_val_if_fail (signer != NULL, NULL);

  return signer->mchid;
}

const char *
wxpay3_signer_get_serial_no (Wxpay3Signer *signer)
{
  g_return_val_if_fail (signer != NULL, NULL);

  return signer->serial_no;
}

/**
 * wxpay3_signer_dup_public_key_pem:
 * @signer: a #Wxpay3Signer
 *
 * Returns: (transfer full) (nullable): the public half of the signer's key as PEM
 */
char *
wxpay3_signer_dup_public_key_pem (Wxpay3Signer *signer)
{
  gnutls_pubkey_t pub = NULL;
  gnutls_datum_t  pem = { NULL, 0 };
  char           *out = NULL;

  g_return_val_if_fail (signer != NULL, NULL);

  if (gnutls_pubkey_init (&pub) < 0)
    return NULL;
  if (gnutls_pubkey_import_privkey (pub, signer->key, 0, 0) >= 0 && gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_PEM, &pem) >= 0)
    {
      out = g_strndup ((const char *)pem.data, pem.size);
      gnutls_free (pem.data);
    }
  gnutls_pubkey_deinit (pub);

  return out;
}

/**
 * wxpay3_signer_sign:
 * @signer: a #Wxpay3Signer
 * @data: the message
 * @len: its length
 * @error: WXPAY_ERROR_CONFIG when GnuTLS cannot sign
 *
 * Returns: (transfer full): the base64 of the SHA256withRSA signature, or %NULL
 */
char *
wxpay3_signer_sign (Wxpay3Signer *signer,
                    const void   *data,
                    gsize         len,
                    GError      **error)
{
  gnutls_datum_t in = { (unsigned char *)data, (unsigned int)len };
  gnutls_datum_t sig = { NULL, 0 };
  char          *out;
  int            ret;

  g_return_val_if_fail (signer != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len > G_MAXUINT)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT,
                           "v3: message too large to sign");
      return NULL;
    }

  g_mutex_lock (&signer->sign_lock);
  ret = gnutls_privkey_sign_data (signer->key, GNUTLS_DIG_SHA256, 0, &in, &sig);
  signer->n_signatures++;
  g_mutex_unlock (&signer->sign_lock);
  if (ret < 0)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "v3: signing failed: %s",
                   gnutls_strerror (ret));
      return NULL;
    }

  out = g_base64_encode (sig.data, sig.size);
  gnutls_free (sig.data);

  return out;
}

/**
 * wxpay3_request_message:
 *
 * Returns: (transfer full): the bytes a request signature covers (§1.1)
 */
GBytes *
wxpay3_request_message (const char *method,
                        const char *canonical_url,
                        gint64      timestamp,
                        const char *nonce,
                        const void *body,
                        gsize       body_len)
{
  GString *message = g_string_new (NULL);

  g_string_append_printf (message, "%s\n%s\n%" G_GINT64_FORMAT "\n%s\n", method, canonical_url,
                          timestamp, nonce);
  if (body != NULL)
    g_string_append_len (message, body, (gssize)body_len);
  g_string_append_c (message, '\n');

  return g_string_free_to_bytes (message);
}

/**
 * wxpay3_answer_message:
 *
 * Returns: (transfer full): the bytes an answer's or callback's signature covers (§1.2)
 */
GBytes *
wxpay3_answer_message (const char *timestamp,
                       const char *nonce,
                       const void *body,
                       gsize       body_len)
{
  GString *message = g_string_new (NULL);

  g_string_append_printf (message, "%s\n%s\n", timestamp, nonce);
  if (body != NULL)
    g_string_append_len (message, body, (gssize)body_len);
  g_string_append_c (message, '\n');

  return g_string_free_to_bytes (message);
}

/**
 * wxpay3_signer_authorization:
 * @signer: a #Wxpay3Signer
 * @method: "GET", "POST" …
 * @canonical_url: path and query as sent (`/v3/pay/transactions/native`)
 * @body: (nullable): the exact bytes sent
 * @body_len: their length
 * @timestamp: Unix seconds
 * @nonce: a random string (wxpay_nonce_new())
 * @error: a #WXPAY_ERROR
 *
 * Returns: (transfer full): `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…`, or %NULL
 */
char *
wxpay3_signer_authorization (Wxpay3Signer *signer,
                             const char   *method,
                             const char   *canonical_url,
                             const void   *body,
                             gsize         body_len,
                             gint64        timestamp,
                             const char   *nonce,
                             GError      **error)
{
  g_autoptr(GBytes) message = NULL;
  g_autofree char *signature = NULL;
  gsize            len;
  const char      *data;

  g_return_val_if_fail (signer != NULL, NULL);
  g_return_val_if_fail (method != NULL && canonical_url != NULL && nonce != NULL, NULL);

  if (!is_printable_ascii (nonce, MAX_NONCE) || !is_printable_ascii (canonical_url, 4096) || canonical_url[0] != '/')
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT,
                           "v3: bad nonce or URL to sign");
      return NULL;
    }

  message = wxpay3_request_message (method, canonical_url, timestamp, nonce, body, body_len);
  data = g_bytes_get_data (message, &len);
  signature = wxpay3_signer_sign (signer, data, len, error);
  if (signature == NULL)
    return NULL;

  return g_strdup_printf (WXPAY3_AUTH_SCHEMA " mchid=\"%s\",nonce_str=\"%s\",timestamp=\""
                                             "%" G_GINT64_FORMAT "\",serial_no=\"%s\",signature=\"%s\"",
                          signer->mchid, nonce, timestamp, signer->serial_no, signature);
}

/* Authorization header ----------------------------------------------------------------------- */

void
wxpay3_authorization_clear (Wxpay3Authorization *auth)
{
  g_clear_pointer (&auth->mchid, g_free);
  g_clear_pointer (&auth->nonce_str, g_free);
  g_clear_pointer (&auth->timestamp, g_free);
  g_clear_pointer (&auth->serial_no, g_free);
  g_clear_pointer (&auth->signature, g_free);
}

static gboolean
auth_fail (Wxpay3Authorization *out,
           GError             **error,
           const char          *why)
{
  wxpay3_authorization_clear (out);
  g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT, "v3 Authorization: %s", why);
  return FALSE;
}

/**
 * wxpay3_authorization_parse:
 * @header: the header value
 * @out: (out caller-allocates): zeroed on entry; cleared again on failure
 * @error: WXPAY_ERROR_INVALID_ARGUMENT
 *
 * Returns: %TRUE when @header has the schema and each of the five items exactly once
 */
gboolean
wxpay3_authorization_parse (const char          *header,
                            Wxpay3Authorization *out,
                            GError             **error)
{
  const char *p;
  gsize       schema_len = strlen (WXPAY3_AUTH_SCHEMA);

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);

  if (header == NULL || strlen (header) > MAX_AUTH_HEADER)
    return auth_fail (out, error, "missing or too long");
  if (strncmp (header, WXPAY3_AUTH_SCHEMA, schema_len) != 0 || header[schema_len] != ' ')
    return auth_fail (out, error, "not " WXPAY3_AUTH_SCHEMA);

  p = header + schema_len;
  while (*p == ' ')
    p++;

  while (*p != '\0')
    {
      const char *name = p;
      const char *value;
      const char *end;
      gsize       name_len;
      char      **slot;

      while (*p != '\0' && *p != '=')
        p++;
      if (*p != '=' || p[1] != '"')
        return auth_fail (out, error, "item without a quoted value");
      name_len = (gsize)(p - name);
      value = p + 2;
      end = strchr (value, '"');
      if (end == NULL || (gsize)(end - value) > MAX_ITEM)
        return auth_fail (out, error, "unterminated or too long value");

#define IS(literal) (name_len == strlen (literal) && strncmp (name, literal, name_len) == 0)
      if (IS ("mchid"))
        slot = &out->mchid;
      else if (IS ("nonce_str"))
        slot = &out->nonce_str;
      else if (IS ("timestamp"))
        slot = &out->timestamp;
      else if (IS ("serial_no"))
        slot = &out->serial_no;
      else if (IS ("signature"))
        slot = &out->signature;
      else
        return auth_fail (out, error, "unknown item");
#undef IS

      if (*slot != NULL)
        return auth_fail (out, error, "item repeated");
      *slot = g_strndup (value, (gsize)(end - value));

      p = end + 1;
      if (*p == ',')
        {
          p++;
          while (*p == ' ')
            p++;
          if (*p == '\0')
            return auth_fail (out, error, "trailing comma");
        }
      else if (*p != '\0')
        return auth_fail (out, error, "items not separated by commas");
    }

  if (out->mchid == NULL || out->nonce_str == NULL || out->timestamp == NULL || out->serial_no == NULL || out->signature == NULL)
    return auth_fail (out, error, "an item is missing");

  return TRUE;
}

/* Verifier ----------------------------------------------------------------------------------- */

static void
verifier_key_free (VerifierKey *key)
{
  gnutls_pubkey_deinit (key->key);
  g_free (key);
}

/**
 * wxpay3_verifier_new:
 *
 * Returns: (transfer full): an empty serial → key map
 */
Wxpay3Verifier *
wxpay3_verifier_new (void)
{
  Wxpay3Verifier *self = g_new0 (Wxpay3Verifier, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)verifier_key_free);

  return self;
}

Wxpay3Verifier *
wxpay3_verifier_ref (Wxpay3Verifier *verifier)
{
  g_return_val_if_fail (verifier != NULL, NULL);

  g_atomic_ref_count_inc (&verifier->ref_count);
  return verifier;
}

void
wxpay3_verifier_unref (Wxpay3Verifier *verifier)
{
  if (verifier == NULL || !g_atomic_ref_count_dec (&verifier->ref_count))
    return;

  g_hash_table_unref (verifier->keys);
  g_free (verifier);
}

static gboolean
check_rsa (gnutls_pubkey_t key,
           GError        **error)
{
  unsigned int bits = 0;

  if (gnutls_pubkey_get_pk_algorithm (key, &bits) != GNUTLS_PK_RSA || bits < 2048)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: WeChat Pay key is not RSA of 2048 bits or more");
      return FALSE;
    }

  return TRUE;
}

/**
 * wxpay3_verifier_add_public_key:
 * @verifier: a #Wxpay3Verifier
 * @key_id: the id answers name in `Wechatpay-Serial` (`PUB_KEY_ID_…`)
 * @pem: a `PUBLIC KEY` PEM (`pub_key.pem`)
 * @pem_len: its length
 * @error: WXPAY_ERROR_CONFIG
 *
 * Returns: %TRUE when the key was added (or replaced the one of the same id)
 */
gboolean
wxpay3_verifier_add_public_key (Wxpay3Verifier *verifier,
                                const char     *key_id,
                                const char     *pem,
                                gsize           pem_len,
                                GError        **error)
{
  gnutls_pubkey_t key = NULL;
  gnutls_datum_t  datum = { (unsigned char *)pem, (unsigned int)pem_len };
  VerifierKey    *entry;
  int             ret;

  g_return_val_if_fail (verifier != NULL && pem != NULL, FALSE);

  if (key_id == NULL || !is_printable_ascii (key_id, MAX_SERIAL))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: WeChat Pay public key id missing or malformed");
      return FALSE;
    }
  if (pem_len == 0 || pem_len > MAX_PEM)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: WeChat Pay public key empty or too large");
      return FALSE;
    }

  gnutls_pubkey_init (&key);
  ret = gnutls_pubkey_import (key, &datum, GNUTLS_X509_FMT_PEM);
  if (ret < 0)
    {
      gnutls_pubkey_deinit (key);
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "v3: WeChat Pay public key does not load: %s", gnutls_strerror (ret));
      return FALSE;
    }
  if (!check_rsa (key, error))
    {
      gnutls_pubkey_deinit (key);
      return FALSE;
    }

  entry = g_new0 (VerifierKey, 1);
  entry->key = key;
  entry->not_before = G_MININT64;
  entry->not_after = G_MAXINT64;
  g_hash_table_replace (verifier->keys, g_strdup (key_id), entry);

  return TRUE;
}

/**
 * wxpay3_verifier_add_certificate:
 * @verifier: a #Wxpay3Verifier
 * @pem: a platform certificate
 * @pem_len: its length
 * @out_serial: (out) (optional) (transfer full): its serial, upper-case hex
 * @error: WXPAY_ERROR_CONFIG
 *
 * Returns: %TRUE when the certificate was added under its serial
 */
gboolean
wxpay3_verifier_add_certificate (Wxpay3Verifier *verifier,
                                 const char     *pem,
                                 gsize           pem_len,
                                 char          **out_serial,
                                 GError        **error)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_pubkey_t   key = NULL;
  gnutls_datum_t    datum = { (unsigned char *)pem, (unsigned int)pem_len };
  guint8            serial[64];
  size_t            serial_len = sizeof serial;
  GString          *hex;
  VerifierKey      *entry;
  int               ret;

  g_return_val_if_fail (verifier != NULL && pem != NULL, FALSE);

  if (pem_len == 0 || pem_len > MAX_PEM)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "v3: platform certificate empty or too large");
      return FALSE;
    }

  gnutls_x509_crt_init (&crt);
  ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM);
  if (ret >= 0)
    ret = gnutls_x509_crt_get_serial (crt, serial, &serial_len);
  if (ret >= 0)
    {
      gnutls_pubkey_init (&key);
      ret = gnutls_pubkey_import_x509 (key, crt, 0);
    }
  if (ret < 0)
    {
      if (key != NULL)
        gnutls_pubkey_deinit (key);
      gnutls_x509_crt_deinit (crt);
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "v3: platform certificate does not load: %s", gnutls_strerror (ret));
      return FALSE;
    }
  if (!check_rsa (key, error))
    {
      gnutls_pubkey_deinit (key);
      gnutls_x509_crt_deinit (crt);
      return FALSE;
    }

  entry = g_new0 (VerifierKey, 1);
  entry->key = key;
  entry->not_before = gnutls_x509_crt_get_activation_time (crt);
  entry->not_after = gnutls_x509_crt_get_expiration_time (crt);
  gnutls_x509_crt_deinit (crt);

  /* DER adds a 00 byte before a serial whose top bit is set; WeChat writes it without. */
  hex = g_string_new (NULL);
  for (size_t i = 0; i < serial_len; i++)
    {
      if (hex->len == 0 && serial[i] == 0 && i + 1 < serial_len)
        continue;
      g_string_append_printf (hex, "%02X", serial[i]);
    }

  if (out_serial != NULL)
    *out_serial = g_strdup (hex->str);
  g_hash_table_replace (verifier->keys, g_string_free (hex, FALSE), entry);

  return TRUE;
}

gboolean
wxpay3_verifier_remove (Wxpay3Verifier *verifier,
                        const char     *serial)
{
  g_return_val_if_fail (verifier != NULL && serial != NULL, FALSE);

  return g_hash_table_remove (verifier->keys, serial);
}

gboolean
wxpay3_verifier_has_serial (Wxpay3Verifier *verifier,
                            const char     *serial)
{
  g_return_val_if_fail (verifier != NULL, FALSE);

  return serial != NULL && g_hash_table_contains (verifier->keys, serial);
}

gint64
wxpay3_verifier_get_earliest_expiry (Wxpay3Verifier *verifier)
{
  GHashTableIter iter;
  VerifierKey   *key;
  gint64         earliest = G_MAXINT64;

  g_return_val_if_fail (verifier != NULL, G_MAXINT64);

  g_hash_table_iter_init (&iter, verifier->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&key))
    earliest = MIN (earliest, key->not_after);

  return earliest;
}

/**
 * wxpay3_verifier_verify_message:
 * @verifier: a #Wxpay3Verifier
 * @serial: (nullable): the key's serial or id (`Wechatpay-Serial`)
 * @signature: (nullable): base64 (`Wechatpay-Signature`)
 * @message: the signed bytes
 * @now: Unix seconds, to check a certificate's validity
 * @error: a #WXPAY_ERROR
 *
 * Returns: %TRUE when @signature is a SHA256withRSA signature of @message by @serial's key
 */
gboolean
wxpay3_verifier_verify_message (Wxpay3Verifier *verifier,
                                const char     *serial,
                                const char     *signature,
                                GBytes         *message,
                                gint64          now,
                                GError        **error)
{
  VerifierKey       *key;
  g_autofree guint8 *raw = NULL;
  gsize              raw_len = 0;
  gsize              len;
  gnutls_datum_t     data;
  gnutls_datum_t     sig;

  g_return_val_if_fail (verifier != NULL && message != NULL, FALSE);

  if (signature == NULL || *signature == '\0')
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE, "v3: no signature");
      return FALSE;
    }
  /* A probe must fail whatever else it carries: checked before anything can pass it. */
  if (g_str_has_prefix (signature, WXPAY3_SIGNTEST_PREFIX))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_SIGNATURE_PROBE,
                           "v3: WECHATPAY/SIGNTEST/ signature probe");
      return FALSE;
    }
  if (serial == NULL || strlen (serial) > MAX_SERIAL || (key = g_hash_table_lookup (verifier->keys, serial)) == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL,
                   "v3: signed by serial %.*s, which is not a key we hold", MAX_SERIAL,
                   serial != NULL && is_printable_ascii (serial, MAX_SERIAL) ? serial : "(bad)");
      return FALSE;
    }
  if (now < key->not_before || now > key->not_after)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL,
                   "v3: certificate %s is not valid now", serial);
      return FALSE;
    }
  if (strlen (signature) > MAX_SIGNATURE_B64)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "v3: signature too long");
      return FALSE;
    }
  for (const char *p = signature; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        {
          g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                               "v3: signature is not base64");
          return FALSE;
        }
    }

  raw = g_base64_decode (signature, &raw_len);
  data.data = (unsigned char *)g_bytes_get_data (message, &len);
  data.size = (unsigned int)len;
  sig.data = raw;
  sig.size = (unsigned int)raw_len;

  if (raw_len == 0 || gnutls_pubkey_verify_data2 (key->key, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) < 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "v3: signature does not verify");
      return FALSE;
    }

  return TRUE;
}

/**
 * wxpay3_verifier_verify:
 * @verifier: a #Wxpay3Verifier
 * @serial: (nullable): `Wechatpay-Serial`
 * @signature: (nullable): `Wechatpay-Signature`
 * @timestamp: (nullable): `Wechatpay-Timestamp`
 * @nonce: (nullable): `Wechatpay-Nonce`
 * @body: (nullable): the raw body received
 * @body_len: its length
 * @now: Unix seconds
 * @error: a #WXPAY_ERROR
 *
 * Returns: %TRUE when the answer or callback is signed by a key we hold, within 300 s
 */
gboolean
wxpay3_verifier_verify (Wxpay3Verifier *verifier,
                        const char     *serial,
                        const char     *signature,
                        const char     *timestamp,
                        const char     *nonce,
                        const void     *body,
                        gsize           body_len,
                        gint64          now,
                        GError        **error)
{
  g_autoptr(GBytes) message = NULL;
  gint64 ts;

  g_return_val_if_fail (verifier != NULL, FALSE);

  if (signature != NULL && g_str_has_prefix (signature, WXPAY3_SIGNTEST_PREFIX))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_SIGNATURE_PROBE,
                           "v3: WECHATPAY/SIGNTEST/ signature probe");
      return FALSE;
    }
  if (timestamp == NULL || *timestamp == '\0' || strlen (timestamp) > 12 || strspn (timestamp, "0123456789") != strlen (timestamp) || nonce == NULL || !is_printable_ascii (nonce, MAX_NONCE))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                           "v3: timestamp or nonce missing or malformed");
      return FALSE;
    }

  ts = g_ascii_strtoll (timestamp, NULL, 10);
  if (ts - now >= WXPAY3_MAX_SKEW || now - ts >= WXPAY3_MAX_SKEW)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_STALE_TIMESTAMP,
                   "v3: timestamp %" G_GINT64_FORMAT " is %" G_GINT64_FORMAT " s from now",
                   ts, ts - now);
      return FALSE;
    }

  message = wxpay3_answer_message (timestamp, nonce, body, body_len);

  return wxpay3_verifier_verify_message (verifier, serial, signature, message, now, error);
}

/* Key pairs ---------------------------------------------------------------------------------- */

void
wxpay3_pem_free (char *pem)
{
  if (pem == NULL)
    return;

  memset (pem, 0, strlen (pem));
  g_free (pem);
}

/**
 * wxpay3_generate_key_pair:
 * @out_private_pem: (out) (transfer full): PKCS#8 PEM, free with wxpay3_pem_free()
 * @out_public_pem: (out) (transfer full): SubjectPublicKeyInfo PEM
 * @error: WXPAY_ERROR_CONFIG
 *
 * Returns: %TRUE with a new RSA-2048 key pair
 */
gboolean
wxpay3_generate_key_pair (char   **out_private_pem,
                          char   **out_public_pem,
                          GError **error)
{
  gnutls_x509_privkey_t x509 = NULL;
  gnutls_privkey_t      priv = NULL;
  gnutls_pubkey_t       pub = NULL;
  gnutls_datum_t        priv_pem = { NULL, 0 };
  gnutls_datum_t        pub_pem = { NULL, 0 };
  int                   ret;

  g_return_val_if_fail (out_private_pem != NULL && out_public_pem != NULL, FALSE);

  gnutls_x509_privkey_init (&x509);
  ret = gnutls_x509_privkey_generate (x509, GNUTLS_PK_RSA, 2048, 0);
  if (ret >= 0)
    ret = gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                             &priv_pem);
  if (ret >= 0)
    ret = gnutls_privkey_init (&priv);
  if (ret >= 0)
    ret = gnutls_privkey_import_x509 (priv, x509, 0);
  if (ret >= 0)
    ret = gnutls_pubkey_init (&pub);
  if (ret >= 0)
    ret = gnutls_pubkey_import_privkey (pub, priv, 0, 0);
  if (ret >= 0)
    ret = gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_PEM, &pub_pem);

  if (ret >= 0)
    {
      *out_private_pem = g_strndup ((const char *)priv_pem.data, priv_pem.size);
      *out_public_pem = g_strndup ((const char *)pub_pem.data, pub_pem.size);
    }
  else
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "v3: key generation failed: %s",
                   gnutls_strerror (ret));
    }

  if (priv_pem.data != NULL)
    {
      memset (priv_pem.data, 0, priv_pem.size);
      gnutls_free (priv_pem.data);
    }
  gnutls_free (pub_pem.data);
  if (pub != NULL)
    gnutls_pubkey_deinit (pub);
  /* Imported without GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE: both are ours to release. */
  if (priv != NULL)
    gnutls_privkey_deinit (priv);
  gnutls_x509_privkey_deinit (x509);

  return ret >= 0;
}

/**
 * wxpay3_make_certificate:
 * @private_pem: the PKCS#8 key the certificate is for (and self-signed with)
 * @not_before: Unix seconds
 * @not_after: Unix seconds
 * @out_serial: (out) (transfer full): the serial as WeChat writes it (upper-case hex)
 * @error: WXPAY_ERROR_CONFIG
 *
 * A self-signed "platform certificate" for the simulator and tests: WeChat's are issued by
 * its own CA, which a simulator cannot be.
 *
 * Returns: (transfer full): the certificate PEM, or %NULL
 */
char *
wxpay3_make_certificate (const char *private_pem,
                         gint64      not_before,
                         gint64      not_after,
                         char      **out_serial,
                         GError    **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t     crt = NULL;
  gnutls_datum_t        datum = { (unsigned char *)private_pem, (unsigned int)strlen (private_pem) };
  gnutls_datum_t        out = { NULL, 0 };
  guint8                serial[16];
  GString              *hex = NULL;
  char                 *pem = NULL;
  int                   ret;

  g_return_val_if_fail (private_pem != NULL && out_serial != NULL, NULL);

  ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  /* A positive serial with a non-zero first byte: its hex is the same with or without DER's
   * sign padding. */
  serial[0] = (guint8)((serial[0] & 0x7f) | 0x10);
  if (ret >= 0)
    ret = gnutls_x509_privkey_init (&key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_PEM);
  if (ret >= 0)
    ret = gnutls_x509_crt_init (&crt);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_version (crt, 3);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_dn (crt, "CN=Tenpay.com sign,OU=Tenpay.com CA Center,O=Tenpay.com,"
                                       "L=Shenzhen,ST=Guangdong,C=CN",
                                  NULL);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_activation_time (crt, (time_t)not_before);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_expiration_time (crt, (time_t)not_after);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_key (crt, key);
  if (ret >= 0)
    ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (ret >= 0)
    ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (ret >= 0)
    ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out);

  if (ret >= 0)
    {
      pem = g_strndup ((const char *)out.data, out.size);
      hex = g_string_new (NULL);
      for (gsize i = 0; i < sizeof serial; i++)
        g_string_append_printf (hex, "%02X", serial[i]);
      *out_serial = g_string_free (hex, FALSE);
    }
  else
    g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "v3: cannot make a certificate: %s",
                 gnutls_strerror (ret));

  gnutls_free (out.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);

  return pem;
}

/**
 * wxpay3_verifier_get_latest_expiry:
 *
 * Returns: Unix time at which the last certificate expires (G_MAXINT64 when a bare public key
 *   is held, G_MININT64 when nothing is): when it comes near, new certificates are due
 */
gint64
wxpay3_verifier_get_latest_expiry (Wxpay3Verifier *verifier)
{
  GHashTableIter iter;
  VerifierKey   *key;
  gint64         latest = G_MININT64;

  g_return_val_if_fail (verifier != NULL, G_MININT64);

  g_hash_table_iter_init (&iter, verifier->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&key))
    latest = MAX (latest, key->not_after);

  return latest;
}
