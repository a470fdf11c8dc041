/* wxpay-sim-v3-credentials.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * wxpay-sim --v3-dir DIR: the API v3 keys of the demo merchant and of the simulator, made on
 * first use and loaded afterwards. DIR (0700) holds, each file 0600, what a merchant gets from
 * the merchant platform:
 *
 *   apiclient_key.pem     the merchant's API private key (signs requests)
 *   apiclient_serial.txt  its certificate's serial number
 *   pub_key.pem           the "WeChat Pay public key" (verifies answers and callbacks)
 *   pub_key_id.txt        its id, PUB_KEY_ID_…
 *   apiv3_key.txt         the 32-byte APIv3 key (decrypts callbacks)
 *
 * and, for the simulator alone, sim_private_key.pem: the private half of pub_key.pem, which
 * WeChat keeps and no merchant ever holds. A missing or unreadable file makes a fresh set.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "wxpay-sim-private.h"

static char *
random_from (const char *alphabet,
             guint       length,
             GError    **error)
{
  guint size = (guint)strlen (alphabet);
  /* Drop the top bytes so every character is equally likely. */
  guint limit = 256 - 256 % size;
  char *out = g_malloc0 (length + 1);
  guint n = 0;

  while (n < length)
    {
      guchar bytes[64];

      if (gnutls_rnd (GNUTLS_RND_KEY, bytes, sizeof bytes) != 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no random numbers");
          g_free (out);
          return NULL;
        }
      for (guint i = 0; i < sizeof bytes && n < length; i++)
        if (bytes[i] < limit)
          out[n++] = alphabet[bytes[i] % size];
      memset (bytes, 0, sizeof bytes);
    }

  return out;
}

static gboolean
write_file (const char *dir,
            const char *name,
            const char *contents,
            GError    **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_set_contents_full (path, contents, (gssize)strlen (contents),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static char *
read_file (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  return g_strstrip (contents);
}

static gboolean
finish (WxpaySimV3Credentials *out,
        const char            *merchant_pem,
        const char            *sim_pem,
        GError               **error)
{
  g_autoptr(Wxpay3Signer) merchant = NULL;
  g_autofree char *merchant_public = NULL;

  merchant = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, out->merchant_serial, merchant_pem,
                                strlen (merchant_pem), error);
  if (merchant == NULL)
    return FALSE;
  merchant_public = wxpay3_signer_dup_public_key_pem (merchant);

  out->merchants = wxpay3_verifier_new ();
  if (merchant_public == NULL || !wxpay3_verifier_add_public_key (out->merchants, out->merchant_serial, merchant_public,
                                                                  strlen (merchant_public), error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no merchant public key");
      return FALSE;
    }

  out->signer = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, out->pub_key_id, sim_pem,
                                   strlen (sim_pem), error);
  return out->signer != NULL;
}

static gboolean
load_all (const char            *dir,
          WxpaySimV3Credentials *out,
          GError               **error)
{
  g_autofree char *merchant_pem = read_file (dir, "apiclient_key.pem");
  g_autofree char *sim_pem = read_file (dir, "sim_private_key.pem");
  gboolean         ok;

  out->merchant_serial = read_file (dir, "apiclient_serial.txt");
  /* A platform-certificate run took pub_key_id.txt away from the merchant's files. */
  out->pub_key_id = read_file (dir, "pub_key_id.txt");
  if (out->pub_key_id == NULL)
    out->pub_key_id = read_file (dir, "sim_pub_key_id.txt");
  out->apiv3_key = read_file (dir, "apiv3_key.txt");

  if (merchant_pem == NULL || sim_pem == NULL || out->merchant_serial == NULL || out->pub_key_id == NULL || out->apiv3_key == NULL || strlen (out->apiv3_key) != WXPAY3_APIV3_KEY_LEN || !g_str_has_prefix (out->pub_key_id, "PUB_KEY_ID_"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "incomplete");
      ok = FALSE;
    }
  else
    ok = finish (out, merchant_pem, sim_pem, error);

  if (merchant_pem != NULL)
    memset (merchant_pem, 0, strlen (merchant_pem));
  if (sim_pem != NULL)
    memset (sim_pem, 0, strlen (sim_pem));

  return ok;
}

static gboolean
create_all (const char            *dir,
            WxpaySimV3Credentials *out,
            GError               **error)
{
  char            *merchant_pem = NULL;
  char            *sim_pem = NULL;
  g_autofree char *merchant_public = NULL;
  g_autofree char *sim_public = NULL;
  g_autofree char *digits = NULL;
  gboolean         ok = FALSE;

  if (!wxpay3_generate_key_pair (&merchant_pem, &merchant_public, error) || !wxpay3_generate_key_pair (&sim_pem, &sim_public, error))
    goto out;

  out->merchant_serial = random_from ("0123456789ABCDEF", 40, error);
  digits = random_from ("0123456789", 32, error);
  out->apiv3_key = random_from ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                                WXPAY3_APIV3_KEY_LEN, error);
  if (out->merchant_serial == NULL || digits == NULL || out->apiv3_key == NULL)
    goto out;
  out->pub_key_id = g_strconcat ("PUB_KEY_ID_", digits, NULL);

  if (dir != NULL)
    {
      g_autofree char *serial_line = g_strconcat (out->merchant_serial, "\n", NULL);
      g_autofree char *id_line = g_strconcat (out->pub_key_id, "\n", NULL);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                       g_strerror (saved));
          goto out;
        }
      /* An existing directory keeps its mode from mkdir: make sure nobody else can read it. */
      if (g_chmod (dir, 0700) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: cannot chmod", dir);
          goto out;
        }
      if (!write_file (dir, "apiclient_key.pem", merchant_pem, error) || !write_file (dir, "apiclient_serial.txt", serial_line, error) || !write_file (dir, "pub_key.pem", sim_public, error) || !write_file (dir, "pub_key_id.txt", id_line, error) || !write_file (dir, "apiv3_key.txt", out->apiv3_key, error) || !write_file (dir, "sim_private_key.pem", sim_pem, error) || !write_file (dir, "sim_pub_key_id.txt", id_line, error))
        goto out;
    }

  ok = finish (out, merchant_pem, sim_pem, error);

out:
  wxpay3_pem_free (merchant_pem);
  wxpay3_pem_free (sim_pem);
  return ok;
}

/**
 * wxpay_sim_v3_credentials_load:
 * @dir: (nullable): where to keep the keys; %NULL keeps them in memory only
 * @out: (out caller-allocates): zeroed on entry
 * @error: a #GError
 *
 * Returns: %TRUE with the keys loaded from @dir, or made (and written there)
 */
gboolean
wxpay_sim_v3_credentials_load (const char            *dir,
                               WxpaySimV3Credentials *out,
                               GError               **error)
{
  memset (out, 0, sizeof *out);

  if (dir != NULL)
    {
      if (load_all (dir, out, NULL))
        {
          out->dir = g_strdup (dir);
          return wxpay_sim_v3_credentials_set_public_key_files (out, TRUE, error);
        }
      wxpay_sim_v3_credentials_clear (out);
    }

  if (create_all (dir, out, error))
    {
      out->dir = g_strdup (dir);
      return TRUE;
    }

  wxpay_sim_v3_credentials_clear (out);
  return FALSE;
}

void
wxpay_sim_v3_credentials_clear (WxpaySimV3Credentials *credentials)
{
  g_clear_pointer (&credentials->signer, wxpay3_signer_unref);
  g_clear_pointer (&credentials->merchants, wxpay3_verifier_unref);
  g_clear_pointer (&credentials->merchant_serial, g_free);
  g_clear_pointer (&credentials->pub_key_id, g_free);
  g_clear_pointer (&credentials->dir, g_free);
  g_clear_pointer (&credentials->platform_certs, g_ptr_array_unref);
  if (credentials->apiv3_key != NULL)
    memset (credentials->apiv3_key, 0, strlen (credentials->apiv3_key));
  g_clear_pointer (&credentials->apiv3_key, g_free);
}

/**
 * wxpay_sim_v3_credentials_set_public_key_files:
 * @credentials: loaded credentials
 * @present: %TRUE: public-key mode, the merchant holds pub_key.pem and pub_key_id.txt (written
 *   back when a platform-certificate run removed them); %FALSE: platform-certificate mode,
 *   the merchant has neither (clients then download certificates)
 *
 * Returns: %FALSE when a file could not be written or removed
 */
gboolean
wxpay_sim_v3_credentials_set_public_key_files (WxpaySimV3Credentials *credentials,
                                               gboolean               present,
                                               GError               **error)
{
  g_autofree char *pem_path = NULL;
  g_autofree char *id_path = NULL;

  if (credentials->dir == NULL)
    return TRUE;

  pem_path = g_build_filename (credentials->dir, "pub_key.pem", NULL);
  id_path = g_build_filename (credentials->dir, "pub_key_id.txt", NULL);
  if (!present)
    {
      if ((g_unlink (pem_path) != 0 && errno != ENOENT) || (g_unlink (id_path) != 0 && errno != ENOENT))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot remove the public key",
                       credentials->dir);
          return FALSE;
        }
      return TRUE;
    }

  if (!g_file_test (pem_path, G_FILE_TEST_EXISTS) || !g_file_test (id_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *public_pem = wxpay3_signer_dup_public_key_pem (credentials->signer);
      g_autofree char *id_line = g_strconcat (credentials->pub_key_id, "\n", NULL);

      if (public_pem == NULL || !write_file (credentials->dir, "pub_key.pem", public_pem, error) || !write_file (credentials->dir, "pub_key_id.txt", id_line, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no public key");
          return FALSE;
        }
    }

  return TRUE;
}

static void
platform_cert_free (WxpaySimPlatformCert *cert)
{
  g_free (cert->serial);
  g_free (cert->pem);
  g_free (cert);
}

/**
 * wxpay_sim_v3_credentials_add_platform_cert:
 *
 * A new key and a certificate for it valid @lifetime_s seconds from now (real time: clients
 * check it against their own clock); with @sign_with_it it signs from now on.
 */
gboolean
wxpay_sim_v3_credentials_add_platform_cert (WxpaySimV3Credentials *credentials,
                                            gint64                 lifetime_s,
                                            gboolean               sign_with_it,
                                            GError               **error)
{
  char                 *private_pem = NULL;
  g_autofree char      *public_pem = NULL;
  g_autofree char      *serial = NULL;
  g_autofree char      *pem = NULL;
  g_autoptr(Wxpay3Signer) signer = NULL;
  WxpaySimPlatformCert *cert;
  gint64                now = g_get_real_time () / G_USEC_PER_SEC;

  if (!wxpay3_generate_key_pair (&private_pem, &public_pem, error))
    return FALSE;
  /* Backdated an hour, as issued certificates are: clocks differ. */
  pem = wxpay3_make_certificate (private_pem, now - 3600, now + lifetime_s, &serial, error);
  if (pem != NULL)
    signer = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, serial, private_pem,
                                strlen (private_pem), error);
  wxpay3_pem_free (private_pem);
  if (signer == NULL)
    return FALSE;

  if (credentials->platform_certs == NULL)
    {
      credentials->platform_certs = g_ptr_array_new_with_free_func ((GDestroyNotify)platform_cert_free);
      if (!wxpay_sim_v3_credentials_set_public_key_files (credentials, FALSE, error))
        return FALSE;
      /* The first certificate always signs: the public key is gone. */
      sign_with_it = TRUE;
    }

  cert = g_new0 (WxpaySimPlatformCert, 1);
  cert->serial = g_steal_pointer (&serial);
  cert->pem = g_steal_pointer (&pem);
  cert->not_before = now - 3600;
  cert->not_after = now + lifetime_s;
  g_ptr_array_add (credentials->platform_certs, cert);
  if (sign_with_it)
    {
      g_clear_pointer (&credentials->signer, wxpay3_signer_unref);
      credentials->signer = g_steal_pointer (&signer);
    }

  return TRUE;
}
