/* wxpay-sim-credentials.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * wxpay-sim --credentials-dir DIR: a demo merchant of its own, made on first use and loaded
 * afterwards, so that nobody needs the official example key or a private key shipped in a
 * program. DIR (0700) holds, each file 0600:
 *
 *   merchant.ini  [merchant] appid, mch_id, key (32 random characters)
 *   ca.pem        a throwaway CA: clients trust it for the simulator's HTTPS, and the simulator
 *                 accepts /secapi/ client certificates it issued
 *   server.pem    the simulator's certificate for 127.0.0.1 and localhost, and its key
 *   client.pem    the merchant's client certificate (API 证书) and its key
 *
 * The CA's own key is thrown away once both certificates are issued: nothing can be signed
 * with it later. A missing or unreadable file makes a fresh set.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "wxpay-sim-private.h"

#define VALIDITY_DAYS (10 * 365)

typedef struct gnutls_x509_crt_int     X509Crt;
typedef struct gnutls_x509_privkey_int X509Key;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509Crt, gnutls_x509_crt_deinit)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509Key, gnutls_x509_privkey_deinit)

static gboolean
tls_check (int         rc,
           const char *what,
           GError    **error)
{
  if (rc >= 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make the demo credentials (%s): %s",
               what, gnutls_strerror (rc));
  return FALSE;
}

/* 32 characters of [0-9A-Za-z] from the system's key-grade generator, without modulo bias. */
static char *
random_api_key (GError **error)
{
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char             *key = g_malloc0 (33);
  guint             n = 0;

  while (n < 32)
    {
      guchar bytes[64];

      if (!tls_check (gnutls_rnd (GNUTLS_RND_KEY, bytes, sizeof bytes), "random", error))
        {
          g_free (key);
          return NULL;
        }
      for (guint i = 0; i < sizeof bytes && n < 32; i++)
        if (bytes[i] < 248) /* 248 = 4 × 62 */
          key[n++] = alphabet[bytes[i] % 62];
      memset (bytes, 0, sizeof bytes);
    }

  return key;
}

static gnutls_x509_privkey_t
new_key (GError **error)
{
  g_autoptr(X509Key) key = NULL;

  if (!tls_check (gnutls_x509_privkey_init (&key), "key", error) ||
      !tls_check (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
                  "key", error))
    return NULL;
  return g_steal_pointer (&key);
}

/* A certificate for @key named @cn; self-signed when @issuer is NULL. */
static gnutls_x509_crt_t
new_certificate (gnutls_x509_privkey_t key,
                 const char           *cn,
                 gboolean              is_ca,
                 const char           *purpose,
                 gnutls_x509_crt_t     issuer,
                 gnutls_x509_privkey_t issuer_key,
                 GError              **error)
{
  g_autoptr(X509Crt) crt = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s,O=wxpay-sim demo", cn);
  guchar           serial[16];
  guchar           key_id[64];
  size_t           key_id_size = sizeof key_id;
  time_t           now = time (NULL);

  if (!tls_check (gnutls_x509_crt_init (&crt), "certificate", error) ||
      !tls_check (gnutls_x509_crt_set_version (crt, 3), "version", error) ||
      !tls_check (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), "serial", error))
    return NULL;
  serial[0] &= 0x7f; /* a positive serial number */
  if (!tls_check (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), "serial", error) ||
      !tls_check (gnutls_x509_crt_set_activation_time (crt, now - 24 * 3600), "time", error) ||
      !tls_check (gnutls_x509_crt_set_expiration_time (crt, now + VALIDITY_DAYS * 24 * 3600),
                  "time", error) ||
      !tls_check (gnutls_x509_crt_set_dn (crt, dn, NULL), "name", error) ||
      !tls_check (gnutls_x509_crt_set_key (crt, key), "key", error) ||
      !tls_check (gnutls_x509_crt_set_basic_constraints (crt, is_ca, -1), "constraints", error))
    return NULL;
  if (!tls_check (gnutls_x509_crt_get_key_id (crt, 0, key_id, &key_id_size), "key id", error) ||
      !tls_check (gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size), "key id", error))
    return NULL;

  if (is_ca)
    {
      if (!tls_check (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN |
                                                            GNUTLS_KEY_CRL_SIGN),
                      "usage", error))
        return NULL;
    }
  else
    {
      if (!tls_check (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE),
                      "usage", error) ||
          !tls_check (gnutls_x509_crt_set_key_purpose_oid (crt, purpose, FALSE), "purpose", error))
        return NULL;
    }

  if (g_strcmp0 (purpose, GNUTLS_KP_TLS_WWW_SERVER) == 0)
    {
      static const guchar loopback[4] = { 127, 0, 0, 1 };

      if (!tls_check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                                            sizeof loopback, GNUTLS_FSAN_APPEND),
                      "address", error) ||
          !tls_check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost",
                                                            strlen ("localhost"), GNUTLS_FSAN_APPEND),
                      "address", error))
        return NULL;
    }

  if (issuer != NULL)
    {
      key_id_size = sizeof key_id;
      if (!tls_check (gnutls_x509_crt_get_subject_key_id (issuer, key_id, &key_id_size, NULL),
                      "issuer", error) ||
          !tls_check (gnutls_x509_crt_set_authority_key_id (crt, key_id, key_id_size), "issuer",
                      error))
        return NULL;
    }

  if (!tls_check (gnutls_x509_crt_sign2 (crt, issuer != NULL ? issuer : crt,
                                         issuer_key != NULL ? issuer_key : key,
                                         GNUTLS_DIG_SHA256, 0),
                  "signature", error))
    return NULL;

  return g_steal_pointer (&crt);
}

/* PEM of @crt, followed by @key's (PKCS #8, unencrypted) when @key is not NULL. */
static GString *
to_pem (gnutls_x509_crt_t     crt,
        gnutls_x509_privkey_t key,
        GError              **error)
{
  GString       *pem = g_string_new (NULL);
  gnutls_datum_t datum = { NULL, 0 };
  int            rc;

  rc = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &datum);
  if (!tls_check (rc, "export", error))
    return (g_string_free (pem, TRUE), NULL);
  g_string_append_len (pem, (const char *)datum.data, datum.size);
  gnutls_free (datum.data);

  if (key != NULL)
    {
      rc = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                              &datum);
      if (!tls_check (rc, "export", error))
        return (g_string_free (pem, TRUE), NULL);
      g_string_append_len (pem, (const char *)datum.data, datum.size);
      memset (datum.data, 0, datum.size);
      gnutls_free (datum.data);
    }

  return pem;
}

static gboolean
write_private (const char *dir,
               const char *name,
               GString    *contents,
               GError    **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gboolean         ok = g_file_set_contents_full (path, contents->str, contents->len,
                                                  G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);

  memset (contents->str, 0, contents->len);
  return ok;
}

static gboolean
create_all (const char *dir,
            GError    **error)
{
  g_autoptr(X509Key) ca_key = NULL;
  g_autoptr(X509Key) server_key = NULL;
  g_autoptr(X509Key) client_key = NULL;
  g_autoptr(X509Crt) ca = NULL;
  g_autoptr(X509Crt) server = NULL;
  g_autoptr(X509Crt) client = NULL;
  g_autoptr(GString) ca_pem = NULL;
  g_autoptr(GString) server_pem = NULL;
  g_autoptr(GString) client_pem = NULL;
  g_autoptr(GKeyFile) merchant = g_key_file_new ();
  g_autofree char *api_key = NULL;
  g_autofree char *merchant_text = NULL;
  g_autofree char *client_cn = g_strdup_printf ("%s demo merchant", WXPAY_SIM_DEFAULT_MCH_ID);
  GString         *text;
  gsize            length = 0;

  if ((ca_key = new_key (error)) == NULL || (server_key = new_key (error)) == NULL ||
      (client_key = new_key (error)) == NULL)
    return FALSE;
  ca = new_certificate (ca_key, "wxpay-sim demo CA", TRUE, NULL, NULL, NULL, error);
  if (ca == NULL)
    return FALSE;
  server = new_certificate (server_key, "127.0.0.1", FALSE, GNUTLS_KP_TLS_WWW_SERVER, ca, ca_key,
                            error);
  if (server == NULL)
    return FALSE;
  client = new_certificate (client_key, client_cn, FALSE, GNUTLS_KP_TLS_WWW_CLIENT, ca, ca_key,
                            error);
  if (client == NULL)
    return FALSE;

  if ((ca_pem = to_pem (ca, NULL, error)) == NULL ||
      (server_pem = to_pem (server, server_key, error)) == NULL ||
      (client_pem = to_pem (client, client_key, error)) == NULL)
    return FALSE;

  api_key = random_api_key (error);
  if (api_key == NULL)
    return FALSE;
  g_key_file_set_string (merchant, "merchant", "appid", WXPAY_SIM_DEFAULT_APPID);
  g_key_file_set_string (merchant, "merchant", "mch_id", WXPAY_SIM_DEFAULT_MCH_ID);
  g_key_file_set_string (merchant, "merchant", "key", api_key);
  memset (api_key, 0, strlen (api_key));
  merchant_text = g_key_file_to_data (merchant, &length, NULL);
  text = g_string_new_len (merchant_text, length);
  memset (merchant_text, 0, length);

  /* merchant.ini last: its presence says the set is complete. */
  if (!write_private (dir, "ca.pem", ca_pem, error) ||
      !write_private (dir, "server.pem", server_pem, error) ||
      !write_private (dir, "client.pem", client_pem, error) ||
      !write_private (dir, "merchant.ini", text, error))
    {
      g_string_free (text, TRUE);
      return FALSE;
    }
  g_string_free (text, TRUE);

  return TRUE;
}

static gboolean
load_all (const char          *dir,
          WxpaySimCredentials *out,
          GError             **error)
{
  g_autofree char *merchant_path = g_build_filename (dir, "merchant.ini", NULL);
  g_autofree char *ca_path = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *server_path = g_build_filename (dir, "server.pem", NULL);
  g_autoptr(GKeyFile) merchant = g_key_file_new ();

  if (!g_key_file_load_from_file (merchant, merchant_path, G_KEY_FILE_NONE, error))
    return FALSE;
  out->appid = g_key_file_get_string (merchant, "merchant", "appid", error);
  if (out->appid == NULL)
    return FALSE;
  out->mch_id = g_key_file_get_string (merchant, "merchant", "mch_id", error);
  if (out->mch_id == NULL)
    return FALSE;
  out->api_key = g_key_file_get_string (merchant, "merchant", "key", error);
  if (out->api_key == NULL)
    return FALSE;
  if (strlen (out->api_key) != 32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: the key is not 32 characters", merchant_path);
      return FALSE;
    }
  out->server_certificate = g_tls_certificate_new_from_file (server_path, error);
  if (out->server_certificate == NULL)
    return FALSE;
  out->client_ca = g_tls_file_database_new (ca_path, error);
  return out->client_ca != NULL;
}

void
wxpay_sim_credentials_clear (WxpaySimCredentials *credentials)
{
  g_clear_pointer (&credentials->appid, g_free);
  g_clear_pointer (&credentials->mch_id, g_free);
  if (credentials->api_key != NULL)
    memset (credentials->api_key, 0, strlen (credentials->api_key));
  g_clear_pointer (&credentials->api_key, g_free);
  g_clear_object (&credentials->server_certificate);
  g_clear_object (&credentials->client_ca);
}

/**
 * wxpay_sim_credentials_load:
 * @dir: the credentials directory (created 0700 when missing)
 * @out: (out caller-allocates): the merchant, the server certificate, the client CA
 * @error: return location for a #GError
 *
 * Loads the demo merchant of @dir, making a fresh one first when @dir holds none (or a broken
 * one).
 *
 * Returns: %TRUE when @out is filled
 */
gboolean
wxpay_sim_credentials_load (const char          *dir,
                            WxpaySimCredentials *out,
                            GError             **error)
{
  g_autoptr(GError) load_error = NULL;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }

  if (load_all (dir, out, &load_error))
    return TRUE;
  wxpay_sim_credentials_clear (out);
  if (!g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("Making new demo credentials in %s (%s)", dir, load_error->message);

  if (!create_all (dir, error))
    return FALSE;
  if (!load_all (dir, out, error))
    {
      wxpay_sim_credentials_clear (out);
      return FALSE;
    }
  return TRUE;
}
