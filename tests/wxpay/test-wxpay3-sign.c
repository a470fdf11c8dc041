/* test-wxpay3-sign.c: API v3 primitives against the vectors of docs/vectors/v3 (copied to
 * tests/data/wxpay/v3): request signatures, the Authorization header, answer and callback
 * verification (skew, raw body, SIGNTEST, serial rotation), AES-256-GCM, the §1.4 error table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <nettle/gcm.h>

#include "wxpay/wxpay.h"

#define VECTOR_SERIAL "D7CE59D1F522D701"
#define VECTOR_TIME   1624523846
#define AES_KEY       "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"

static char *
read_v3 (const char *name,
         gsize      *len)
{
  const char      *dir = g_getenv ("SAOMA_TEST_DATA");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  path = g_build_filename (dir != NULL ? dir : BUILD_SRCDIR "/tests/data", "wxpay", "v3", name,
                           NULL);
  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);

  return contents;
}

/* The callback vector: headers by name, and the raw body. */
typedef struct
{
  GHashTable *headers;
  char       *body;
  gsize       body_len;
} Callback;

static void
callback_load (Callback *cb)
{
  g_autofree char *text = read_v3 ("notify-headers.txt", NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  cb->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon == NULL)
        continue;
      g_hash_table_insert (cb->headers, g_strndup (lines[i], (gsize)(colon - lines[i])),
                           g_strstrip (g_strdup (colon + 1)));
    }
  cb->body = read_v3 ("notify-body.json", &cb->body_len);
}

static void
callback_clear (Callback *cb)
{
  g_hash_table_unref (cb->headers);
  g_free (cb->body);
}

static const char *
header (Callback   *cb,
        const char *name)
{
  const char *value = g_hash_table_lookup (cb->headers, name);

  g_assert_nonnull (value);
  return value;
}

static Wxpay3Verifier *
vector_verifier (void)
{
  g_autofree char *pem = NULL;
  g_autofree char *serial = NULL;
  g_autoptr(GError) error = NULL;
  gsize           len;
  Wxpay3Verifier *verifier = wxpay3_verifier_new ();

  pem = read_v3 ("notify-cert.pem", &len);
  g_assert_true (wxpay3_verifier_add_certificate (verifier, pem, len, &serial, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (serial, ==, VECTOR_SERIAL);

  return verifier;
}

static Wxpay3Signer *
vector_signer (void)
{
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  gsize         len;
  Wxpay3Signer *signer;

  pem = read_v3 ("rsa-test-key.pem", &len);
  signer = wxpay3_signer_new ("1900000001", VECTOR_SERIAL, pem, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signer);

  return signer;
}

/* §1.1 ----------------------------------------------------------------------------------------- */

static void
test_sign_vector (void)
{
  g_autoptr(Wxpay3Signer) signer = vector_signer ();
  g_autofree char *expected = read_v3 ("sign-source.sig.b64", NULL);
  g_autofree char *source = read_v3 ("sign-source.txt", NULL);
  g_autofree char *sig = NULL;
  g_autoptr(GError) error = NULL;

  g_strstrip (expected);
  g_strstrip (source);
  g_assert_cmpstr (source, ==, "source");

  sig = wxpay3_signer_sign (signer, source, strlen (source), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sig, ==, expected);
}

static void
test_request_message (void)
{
  g_autoptr(GBytes) official = wxpay3_request_message ("GET", "/v3/certificates", 1554208460,
                                                        "593BEC0C930BF1AFEB40B4A08C8FB242", NULL,
                                                        0);
  g_autoptr(GBytes) post = wxpay3_request_message ("POST", "/v3/pay/transactions/native", 7,
                                                    "N", "{\"a\":1}", 7);
  g_autoptr(GBytes) answer = wxpay3_answer_message ("7", "N", NULL, 0);
  const char *expected = "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";
  gsize       len;
  const char *data = g_bytes_get_data (official, &len);

  g_assert_cmpmem (data, len, expected, strlen (expected));
  data = g_bytes_get_data (post, &len);
  expected = "POST\n/v3/pay/transactions/native\n7\nN\n{\"a\":1}\n";
  g_assert_cmpmem (data, len, expected, strlen (expected));
  /* A 204 answer: the body line is empty. */
  data = g_bytes_get_data (answer, &len);
  g_assert_cmpmem (data, len, "7\nN\n\n", 5);
}

static void
test_authorization_round_trip (void)
{
  g_autoptr(Wxpay3Signer) signer = vector_signer ();
  g_autoptr(Wxpay3Verifier) verifier = vector_verifier ();
  g_autoptr(GError) error = NULL;
  const char      *body = "{\"mchid\":\"1900000001\"}";
  g_autofree char *value = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) other = NULL;
  Wxpay3Authorization auth;

  value = wxpay3_signer_authorization (signer, "POST", "/v3/pay/transactions/out-trade-no/T1/close",
                                       body, strlen (body), 1554208460, "593BEC0C", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (value, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\","));

  g_assert_true (wxpay3_authorization_parse (value, &auth, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (auth.mchid, ==, "1900000001");
  g_assert_cmpstr (auth.nonce_str, ==, "593BEC0C");
  g_assert_cmpstr (auth.timestamp, ==, "1554208460");
  g_assert_cmpstr (auth.serial_no, ==, VECTOR_SERIAL);

  /* What the server checks: the same five lines, signed by the merchant key. */
  message = wxpay3_request_message ("POST", "/v3/pay/transactions/out-trade-no/T1/close",
                                    1554208460, "593BEC0C", body, strlen (body));
  g_assert_true (wxpay3_verifier_verify_message (verifier, auth.serial_no, auth.signature,
                                                 message, VECTOR_TIME, &error));
  g_assert_no_error (error);

  /* One byte of the body changed: refused. */
  other = wxpay3_request_message ("POST", "/v3/pay/transactions/out-trade-no/T1/close",
                                  1554208460, "593BEC0C", "{\"mchid\":\"1900000002\"}",
                                  strlen (body));
  g_assert_false (wxpay3_verifier_verify_message (verifier, auth.serial_no, auth.signature,
                                                  other, VECTOR_TIME, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  wxpay3_authorization_clear (&auth);

  /* The order of the five items is free. */
  g_assert_true (wxpay3_authorization_parse (
    "WECHATPAY2-SHA256-RSA2048 signature=\"c2ln\", serial_no=\"S\",timestamp=\"1\","
    "nonce_str=\"n\",mchid=\"m\"",
    &auth, NULL));
  g_assert_cmpstr (auth.signature, ==, "c2ln");
  wxpay3_authorization_clear (&auth);
}

static void
test_authorization_parse_rejects (void)
{
  g_autofree char *long_value = g_strnfill (3000, 'a');
  g_autofree char *too_long = g_strdup_printf (
    "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x\"",
    long_value);
  const char *bad[] = {
    "",
    "Bearer x",
    "WECHATPAY2-SHA256-RSA2048",
    "WECHATPAY2-SHA256-RSA2048mchid=\"m\"",
    /* missing signature */
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\"",
    /* repeated */
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\",mchid=\"m\",nonce_str=\"n\",timestamp=\"1\","
    "serial_no=\"s\",signature=\"x\"",
    /* unknown item */
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x\",extra=\"y\"",
    /* unquoted, unterminated, trailing comma, no comma */
    "WECHATPAY2-SHA256-RSA2048 mchid=m,nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x\"",
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x",
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x\",",
    "WECHATPAY2-SHA256-RSA2048 mchid=\"m\" nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\","
    "signature=\"x\"",
    too_long,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      Wxpay3Authorization auth;

      g_test_message ("case %u", i);
      g_assert_false (wxpay3_authorization_parse (bad[i], &auth, &error));
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT);
      g_assert_null (auth.mchid);
      g_assert_null (auth.signature);
    }
}

static void
test_signer_rejects_bad_keys (void)
{
  g_autofree char *pem = read_v3 ("rsa-test-key.pem", NULL);
  g_autofree char *cert = read_v3 ("notify-cert.pem", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (wxpay3_signer_new ("1900000001", VECTOR_SERIAL, cert, strlen (cert), &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_null (wxpay3_signer_new ("1900000001", "", pem, strlen (pem), &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_null (wxpay3_signer_new ("", VECTOR_SERIAL, pem, strlen (pem), &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);
  /* The key truncated. */
  g_assert_null (wxpay3_signer_new ("1900000001", VECTOR_SERIAL, pem, strlen (pem) / 2, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
}

/* §1.2 ----------------------------------------------------------------------------------------- */

static gboolean
verify_callback (Wxpay3Verifier *verifier,
                 Callback       *cb,
                 const char     *serial,
                 const char     *signature,
                 const char     *body,
                 gsize           body_len,
                 gint64          now,
                 GError        **error)
{
  return wxpay3_verifier_verify (verifier, serial, signature, header (cb, "Wechatpay-Timestamp"),
                                 header (cb, "Wechatpay-Nonce"), body, body_len, now, error);
}

static void
test_callback_vector (void)
{
  g_autoptr(Wxpay3Verifier) verifier = vector_verifier ();
  g_autoptr(GError) error = NULL;
  Callback    cb;
  const char *serial;
  const char *sig;

  callback_load (&cb);
  serial = header (&cb, "Wechatpay-Serial");
  sig = header (&cb, "Wechatpay-Signature");

  g_assert_true (verify_callback (verifier, &cb, serial, sig, cb.body, cb.body_len, VECTOR_TIME,
                                  &error));
  g_assert_no_error (error);

  /* The raw bytes, not a re-serialisation: the same JSON with a space added fails. */
  {
    g_autoptr(GString) spaced = g_string_new (cb.body);

    g_string_replace (spaced, "\",\"", "\", \"", 1);
    g_assert_false (verify_callback (verifier, &cb, serial, sig, spaced->str, spaced->len,
                                     VECTOR_TIME, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    g_assert_true (wxpay_error_is_outcome_unknown (error));
    g_clear_error (&error);
  }

  /* One byte of the body flipped. */
  {
    g_autofree char *tampered = g_strdup (cb.body);

    tampered[10] ^= 1;
    g_assert_false (verify_callback (verifier, &cb, serial, sig, tampered, cb.body_len,
                                     VECTOR_TIME, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  /* Garbage and empty signatures. */
  g_assert_false (verify_callback (verifier, &cb, serial, "!!notbase64", cb.body, cb.body_len,
                                   VECTOR_TIME, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (verify_callback (verifier, &cb, serial, "", cb.body, cb.body_len, VECTOR_TIME,
                                   &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Another serial: not a key we hold. */
  g_assert_false (verify_callback (verifier, &cb, "PUB_KEY_ID_0000000000000000", sig, cb.body,
                                   cb.body_len, VECTOR_TIME, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
  g_clear_error (&error);
  g_assert_false (verify_callback (verifier, &cb, NULL, sig, cb.body, cb.body_len, VECTOR_TIME,
                                   &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
  g_clear_error (&error);

  /* The certificate expired in 2031: a signature checked after that is refused. */
  {
    g_autoptr(GBytes) message = wxpay3_answer_message (header (&cb, "Wechatpay-Timestamp"),
                                                        header (&cb, "Wechatpay-Nonce"), cb.body,
                                                        cb.body_len);

    g_assert_true (wxpay3_verifier_verify_message (verifier, serial, sig, message, VECTOR_TIME,
                                                   NULL));
    g_assert_false (wxpay3_verifier_verify_message (verifier, serial, sig, message,
                                                    1951000000, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
    g_clear_error (&error);
    g_assert_cmpint (wxpay3_verifier_get_earliest_expiry (verifier), ==, 1934873723);
  }

  callback_clear (&cb);
}

static void
test_skew (void)
{
  g_autoptr(Wxpay3Verifier) verifier = vector_verifier ();
  Callback     cb;
  const gint64 ok[] = { VECTOR_TIME - 299, VECTOR_TIME, VECTOR_TIME + 299 };
  const gint64 stale[] = { VECTOR_TIME - 300, VECTOR_TIME + 300, VECTOR_TIME + 86400, 0 };

  callback_load (&cb);

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (verify_callback (verifier, &cb, header (&cb, "Wechatpay-Serial"),
                                      header (&cb, "Wechatpay-Signature"), cb.body, cb.body_len,
                                      ok[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (stale); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (verify_callback (verifier, &cb, header (&cb, "Wechatpay-Serial"),
                                       header (&cb, "Wechatpay-Signature"), cb.body,
                                       cb.body_len, stale[i], &error));
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_STALE_TIMESTAMP);
      g_assert_true (wxpay_error_is_outcome_unknown (error));
    }

  /* Malformed timestamps are never "close enough". */
  {
    const char *bad[] = { "", "16245238460000", "1624523846x", "-1624523846", " 1624523846" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) error = NULL;

        g_assert_false (wxpay3_verifier_verify (verifier, header (&cb, "Wechatpay-Serial"),
                                                header (&cb, "Wechatpay-Signature"), bad[i],
                                                header (&cb, "Wechatpay-Nonce"), cb.body,
                                                cb.body_len, VECTOR_TIME, &error));
        g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
      }
  }

  callback_clear (&cb);
}

static void
test_signtest (void)
{
  g_autoptr(Wxpay3Verifier) verifier = vector_verifier ();
  g_autoptr(GError) error = NULL;
  g_autofree char *probe = NULL;
  Callback         cb;

  callback_load (&cb);

  /* Even a probe that carries the real signature after the prefix fails. */
  probe = g_strconcat (WXPAY3_SIGNTEST_PREFIX, header (&cb, "Wechatpay-Signature"), NULL);
  g_assert_false (verify_callback (verifier, &cb, header (&cb, "Wechatpay-Serial"), probe,
                                   cb.body, cb.body_len, VECTOR_TIME, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_SIGNATURE_PROBE);
  g_clear_error (&error);

  /* Whatever the serial and timestamp: the probe is named as such. */
  g_assert_false (verify_callback (verifier, &cb, "PUB_KEY_ID_UNKNOWN", probe, cb.body,
                                   cb.body_len, 0, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_SIGNATURE_PROBE);
  g_clear_error (&error);

  callback_clear (&cb);
}

static void
test_serial_rotation (void)
{
  g_autoptr(Wxpay3Verifier) verifier = vector_verifier ();
  g_autoptr(Wxpay3Signer) old_signer = vector_signer ();
  g_autoptr(Wxpay3Signer) new_signer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = wxpay3_answer_message ("1700000000", "nonce", "{}", 2);
  const char      *key_id = "PUB_KEY_ID_0119000000012026120500000000000001";
  char            *private_pem = NULL;
  g_autofree char *public_pem = NULL;
  g_autofree char *old_sig = NULL;
  g_autofree char *new_sig = NULL;
  gsize            len;
  const char      *data = g_bytes_get_data (message, &len);

  g_assert_true (wxpay3_generate_key_pair (&private_pem, &public_pem, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (private_pem, "-----BEGIN PRIVATE KEY-----"));
  g_assert_true (g_str_has_prefix (public_pem, "-----BEGIN PUBLIC KEY-----"));
  new_signer = wxpay3_signer_new ("1900000001", key_id, private_pem, strlen (private_pem),
                                  &error);
  g_assert_no_error (error);
  wxpay3_pem_free (private_pem);

  /* During the switch-over both the certificate and the public key verify. */
  g_assert_true (wxpay3_verifier_add_public_key (verifier, key_id, public_pem,
                                                 strlen (public_pem), &error));
  g_assert_no_error (error);
  old_sig = wxpay3_signer_sign (old_signer, data, len, NULL);
  new_sig = wxpay3_signer_sign (new_signer, data, len, NULL);
  g_assert_true (wxpay3_verifier_verify (verifier, VECTOR_SERIAL, old_sig, "1700000000",
                                         "nonce", "{}", 2, 1700000000, &error));
  g_assert_true (wxpay3_verifier_verify (verifier, key_id, new_sig, "1700000000", "nonce", "{}",
                                         2, 1700000000, &error));
  g_assert_no_error (error);

  /* Each signature only under its own serial. */
  g_assert_false (wxpay3_verifier_verify (verifier, key_id, old_sig, "1700000000", "nonce",
                                          "{}", 2, 1700000000, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (wxpay3_verifier_verify (verifier, VECTOR_SERIAL, new_sig, "1700000000",
                                          "nonce", "{}", 2, 1700000000, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* The certificate retired: only the public key remains. */
  g_assert_true (wxpay3_verifier_remove (verifier, VECTOR_SERIAL));
  g_assert_false (wxpay3_verifier_has_serial (verifier, VECTOR_SERIAL));
  g_assert_false (wxpay3_verifier_verify (verifier, VECTOR_SERIAL, old_sig, "1700000000",
                                          "nonce", "{}", 2, 1700000000, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
  g_clear_error (&error);
  g_assert_true (wxpay3_verifier_verify (verifier, key_id, new_sig, "1700000000", "nonce", "{}",
                                         2, 1700000000, &error));
  g_assert_cmpint (wxpay3_verifier_get_earliest_expiry (verifier), ==, G_MAXINT64);

  /* Not a public key. */
  g_assert_false (wxpay3_verifier_add_public_key (verifier, "PUB_KEY_ID_X", "junk", 4, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
}

/* §4.2 ----------------------------------------------------------------------------------------- */

static void
test_aes_256_gcm_vector (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autofree char *sealed = NULL;
  gsize            len;
  const char      *data;

  plain = wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25RW", "associatedData",
                               "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (plain, &len);
  g_assert_cmpmem (data, len, "message", 7);

  sealed = wxpay3_aead_encrypt (AES_KEY, 32, "uluk4a9R25RW", "associatedData", "message", 7,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sealed, ==, "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");

  /* Another AAD, another key, a flipped bit of the tag: never opens. */
  g_assert_null (wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25RW", "certificate",
                                      "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_null (wxpay3_aead_decrypt ("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", 32, "uluk4a9R25RW",
                                      "associatedData", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
                                      &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_null (wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25RW", "associatedData",
                                      "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwA=", &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
  g_clear_error (&error);
  /* Shorter than a tag, not base64, a nonce of the wrong size. */
  g_assert_null (wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25RW", "", "AAAA", &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_null (wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25RW", "", "a b", &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_null (wxpay3_aead_decrypt (AES_KEY, 32, "uluk4a9R25R", "associatedData",
                                      "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);
}

/* The SDKs' callback vector was sealed with the 16-byte key testMchAPIv3Key0, i.e. AES-128-GCM:
 * libwxpay refuses that key as a configuration error, and the vector itself is checked here with
 * nettle's AES-128-GCM so the test proves the refusal is about the key, not the data. */
static void
test_sixteen_byte_key_caveat (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char      *plaintext = read_v3 ("notify-plaintext.json", NULL);
  g_autofree guint8    *input = NULL;
  g_autofree guint8    *out = NULL;
  gsize                 input_len;
  guint8                tag[16];
  struct gcm_aes128_ctx ctx;
  JsonObject           *resource;
  const char           *nonce, *aad, *ciphertext;
  Callback              cb;

  callback_load (&cb);
  g_assert_true (json_parser_load_from_data (parser, cb.body, (gssize)cb.body_len, &error));
  resource = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                            "resource");
  nonce = json_object_get_string_member (resource, "nonce");
  aad = json_object_get_string_member (resource, "associated_data");
  ciphertext = json_object_get_string_member (resource, "ciphertext");

  g_assert_null (wxpay3_aead_decrypt ("testMchAPIv3Key0", 16, nonce, aad, ciphertext, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);

  /* Nor does the 16-byte key padded out to 32 open it. */
  g_assert_null (wxpay3_aead_decrypt ("testMchAPIv3Key0testMchAPIv3Key0", 32, nonce, aad,
                                      ciphertext, &error));
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_DECRYPT);

  input = g_base64_decode (ciphertext, &input_len);
  out = g_malloc0 (input_len);
  gcm_aes128_set_key (&ctx, (const guint8 *)"testMchAPIv3Key0");
  gcm_aes128_set_iv (&ctx, strlen (nonce), (const guint8 *)nonce);
  gcm_aes128_update (&ctx, strlen (aad), (const guint8 *)aad);
  gcm_aes128_decrypt (&ctx, input_len - 16, out, input);
  gcm_aes128_digest (&ctx, 16, tag);
  g_assert_cmpmem (tag, 16, input + input_len - 16, 16);
  g_assert_cmpmem (out, input_len - 16, plaintext, strlen (plaintext));

  callback_clear (&cb);
}

/* §1.4 ----------------------------------------------------------------------------------------- */

static void
test_error_table (void)
{
  static const struct
  {
    guint       status;
    const char *code;
    WxpayError  expected;
    gboolean    unknown;
  } rows[] = {
    { 400, "PARAM_ERROR", WXPAY_ERROR_PARAM_ERROR, FALSE },
    { 400, "INVALID_REQUEST", WXPAY_ERROR_INVALID_REQUEST, FALSE },
    { 400, "APPID_MCHID_NOT_MATCH", WXPAY_ERROR_APPID_MCHID_NOT_MATCH, FALSE },
    { 400, "MCH_NOT_EXISTS", WXPAY_ERROR_MCHID_NOT_EXIST, FALSE },
    { 400, "ORDER_CLOSED", WXPAY_ERROR_ORDERCLOSED, FALSE },
    { 401, "SIGN_ERROR", WXPAY_ERROR_SIGNERROR, FALSE },
    { 403, "OUT_TRADE_NO_USED", WXPAY_ERROR_OUT_TRADE_NO_USED, FALSE },
    { 403, "NO_AUTH", WXPAY_ERROR_NOAUTH, FALSE },
    { 403, "RULE_LIMIT", WXPAY_ERROR_RULE_LIMIT, FALSE },
    { 403, "TRADE_ERROR", WXPAY_ERROR_TRADE_ERROR, FALSE },
    { 403, "NOT_ENOUGH", WXPAY_ERROR_NOTENOUGH, FALSE },
    { 404, "ORDER_NOT_EXIST", WXPAY_ERROR_ORDERNOTEXIST, FALSE },
    { 404, "ORDERNOTEXIST", WXPAY_ERROR_ORDERNOTEXIST, FALSE },
    { 404, "RESOURCE_NOT_EXISTS", WXPAY_ERROR_RESOURCE_NOT_EXISTS, FALSE },
    { 400, "NO_STATEMENT_EXIST", WXPAY_ERROR_BILL_NOT_EXIST, FALSE },
    { 400, "STATEMENT_CREATING", WXPAY_ERROR_BILL_CREATING, FALSE },
    { 429, "FREQUENCY_LIMITED", WXPAY_ERROR_RATE_LIMITED, TRUE },
    { 429, NULL, WXPAY_ERROR_RATE_LIMITED, TRUE },
    { 500, "SYSTEM_ERROR", WXPAY_ERROR_SYSTEMERROR, TRUE },
    { 500, "BANK_ERROR", WXPAY_ERROR_BANKERROR, TRUE },
    { 202, "USERPAYING", WXPAY_ERROR_USERPAYING, TRUE },
    { 202, NULL, WXPAY_ERROR_USERPAYING, TRUE },
    { 502, NULL, WXPAY_ERROR_HTTP_SERVER, TRUE },
    { 503, "SOMETHING_NEW", WXPAY_ERROR_HTTP_SERVER, TRUE },
    /* Undocumented: unknown, as v2's undocumented err_code. */
    { 400, "SOMETHING_NEW", WXPAY_ERROR_UNKNOWN_ERR_CODE, TRUE },
    { 404, NULL, WXPAY_ERROR_UNKNOWN_ERR_CODE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      WxpayError code = wxpay3_error_from_answer (rows[i].status, rows[i].code);
      g_autoptr(GError) error = g_error_new (WXPAY_ERROR, code, "x");

      g_test_message ("%u %s", rows[i].status, rows[i].code);
      g_assert_cmpint (code, ==, rows[i].expected);
      g_assert_cmpint (wxpay_error_is_outcome_unknown (error), ==, rows[i].unknown);
    }

  /* Verification failures of every kind leave an answer's outcome unknown. */
  {
    const WxpayError unknown[] = { WXPAY_ERROR_BAD_SIGNATURE, WXPAY_ERROR_UNKNOWN_SERIAL,
                                   WXPAY_ERROR_STALE_TIMESTAMP, WXPAY_ERROR_SIGNATURE_PROBE,
                                   WXPAY_ERROR_DECRYPT };

    for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
      {
        g_autoptr(GError) error = g_error_new (WXPAY_ERROR, unknown[i], "x");

        g_assert_true (wxpay_error_is_outcome_unknown (error));
        g_assert_cmpstr (wxpay_error_code_to_string (unknown[i]), !=, "UNKNOWN");
      }
  }
}

/* §1.4 and §3 give no code for a bad payment code: the refusal is read from its detail and
 * message, and is a known failure of v2's kind. Other 400s keep their codes. */
static void
test_error_payment_code (void)
{
  static const struct
  {
    guint       status;
    const char *code;
    const char *message;
    const char *field;
    WxpayError  expected;
  } rows[] = {
    { 400, "INVALID_REQUEST", "二维码已过期，请用户在微信上刷新后再试", "/payer/auth_code",
      WXPAY_ERROR_AUTHCODEEXPIRE },
    { 400, "INVALID_REQUEST", "二维码已过期，请用户在微信上刷新后再试", NULL,
      WXPAY_ERROR_AUTHCODEEXPIRE },
    { 400, "INVALID_REQUEST", "每个二维码仅限使用一次，请刷新再试", "/payer/auth_code",
      WXPAY_ERROR_AUTH_CODE_INVALID },
    { 400, "PARAM_ERROR", "auth_code无效", NULL, WXPAY_ERROR_AUTH_CODE_INVALID },
    { 400, "PARAM_ERROR", "invalid", "/payer/auth_code", WXPAY_ERROR_AUTH_CODE_INVALID },
    { 400, "AUTHCODEEXPIRE", NULL, NULL, WXPAY_ERROR_AUTHCODEEXPIRE },
    { 400, "AUTH_CODE_INVALID", NULL, NULL, WXPAY_ERROR_AUTH_CODE_INVALID },
    /* Not about the payment code: unchanged. */
    { 400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致", NULL,
      WXPAY_ERROR_INVALID_REQUEST },
    { 400, "PARAM_ERROR", "参数格式错误", "/amount/total", WXPAY_ERROR_PARAM_ERROR },
    { 400, "INVALID_REQUEST", "下载链接无效或已过期", NULL, WXPAY_ERROR_INVALID_REQUEST },
    { 403, "TRADE_ERROR", "二维码已过期", NULL, WXPAY_ERROR_TRADE_ERROR },
    { 500, "SYSTEM_ERROR", "付款码", "/payer/auth_code", WXPAY_ERROR_SYSTEMERROR },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      WxpayError code = wxpay3_error_from_answer_full (rows[i].status, rows[i].code,
                                                       rows[i].message, rows[i].field);
      g_autoptr(GError) error = g_error_new (WXPAY_ERROR, code, "x");

      g_test_message ("%u %s %s", rows[i].status, rows[i].code, rows[i].message);
      g_assert_cmpint (code, ==, rows[i].expected);
      if (rows[i].status == 400)
        g_assert_false (wxpay_error_is_outcome_unknown (error));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wxpay3/sign/vector", test_sign_vector);
  g_test_add_func ("/wxpay3/sign/request-message", test_request_message);
  g_test_add_func ("/wxpay3/sign/authorization", test_authorization_round_trip);
  g_test_add_func ("/wxpay3/sign/authorization-rejects", test_authorization_parse_rejects);
  g_test_add_func ("/wxpay3/sign/bad-keys", test_signer_rejects_bad_keys);
  g_test_add_func ("/wxpay3/verify/callback-vector", test_callback_vector);
  g_test_add_func ("/wxpay3/verify/skew", test_skew);
  g_test_add_func ("/wxpay3/verify/signtest", test_signtest);
  g_test_add_func ("/wxpay3/verify/serial-rotation", test_serial_rotation);
  g_test_add_func ("/wxpay3/aead/vector", test_aes_256_gcm_vector);
  g_test_add_func ("/wxpay3/aead/sixteen-byte-key", test_sixteen_byte_key_caveat);
  g_test_add_func ("/wxpay3/error/table", test_error_table);
  g_test_add_func ("/wxpay3/error/payment-code", test_error_payment_code);

  return g_test_run ();
}
