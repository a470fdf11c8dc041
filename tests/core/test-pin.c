/* test-pin.c: the manager PIN hash (PBKDF2-HMAC-SHA256), rules and verification. */
#include "config.h"

#include <string.h>
#include <nettle/pbkdf2.h>

#include "core/saoma-pin.h"

static char *
hex (const guint8 *data,
     gsize         len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* RFC 7914 §11 (PBKDF2-HMAC-SHA256 vectors), through nettle as saoma-pin.c calls it. */
static void
test_pbkdf2_vectors (void)
{
  guint8 out[64];
  g_autofree char *h1 = NULL;
  g_autofree char *h2 = NULL;

  pbkdf2_hmac_sha256 (6, (const guint8 *) "passwd", 1, 4, (const guint8 *) "salt", sizeof out,
                      out);
  h1 = hex (out, sizeof out);
  g_assert_cmpstr (h1, ==,
                   "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                   "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");

  pbkdf2_hmac_sha256 (8, (const guint8 *) "Password", 80000, 4, (const guint8 *) "NaCl",
                      sizeof out, out);
  h2 = hex (out, sizeof out);
  g_assert_cmpstr (h2, ==,
                   "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                   "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

static void
test_rules (void)
{
  /* New PINs: 6 to 12 digits (issue 11 point 6). */
  const char *good[] = { "123456", "00000000", "9876543", "123456789012" };
  const char *bad[] = { "", "123", "1234", "12345", "1234567890123", "12a456", " 123456",
                        "123456 ", "１２３４５６", "-12345", "12.456" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (saoma_pin_check_rules (good[i], NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (saoma_pin_check_rules (bad[i], &error));
      g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID);
      g_assert_nonnull (error->message);
    }

  g_assert_false (saoma_pin_check_rules (NULL, NULL));
}

static void
test_hash_format (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *hash = NULL;
  gsize salt_len, hash_len;
  guint8 expect[32];

  a = saoma_pin_hash_sync ("246802", 0, &error);
  g_assert_no_error (error);
  b = saoma_pin_hash_sync ("246802", 0, &error);
  g_assert_no_error (error);

  /* Never the PIN in clear; a fresh salt each time. */
  g_assert_null (strstr (a, "246802"));
  g_assert_cmpstr (a, !=, b);

  parts = g_strsplit (a, "$", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_cmpstr (parts[0], ==, "pbkdf2-sha256");
  g_assert_cmpuint (g_ascii_strtoull (parts[1], NULL, 10), >=, 100000);
  salt = g_base64_decode (parts[2], &salt_len);
  hash = g_base64_decode (parts[3], &hash_len);
  g_assert_cmpuint (salt_len, ==, 16);
  g_assert_cmpuint (hash_len, ==, 32);

  /* The stored hash is exactly PBKDF2 of the PIN with the stored salt. */
  pbkdf2_hmac_sha256 (6, (const guint8 *) "246802", g_ascii_strtoull (parts[1], NULL, 10),
                      salt_len, salt, sizeof expect, expect);
  g_assert_cmpmem (expect, sizeof expect, hash, hash_len);

  g_assert_true (saoma_pin_is_set (a));
  g_assert_false (saoma_pin_is_set (NULL));
  g_assert_false (saoma_pin_is_set (""));
  g_assert_false (saoma_pin_is_set ("246802"));
}

static void
test_hash_rejects (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_null (saoma_pin_hash_sync ("12", 0, &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID);

  /* Fast hashes are refused. */
  g_assert_null (saoma_pin_hash_sync ("123456", 1000, &error2));
  g_assert_error (error2, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED);
}

static void
test_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  const char *wrong[] = { "1357", "13579", "135799", "0000", "abcd", "", "13579 " };

  encoded = saoma_pin_hash_sync ("135790", 100000, &error);
  g_assert_no_error (error);

  g_assert_true (saoma_pin_verify_sync ("135790", encoded, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) e = NULL;

      g_assert_false (saoma_pin_verify_sync (wrong[i], encoded, &e));
      g_assert_error (e, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);
    }
}

static void
test_verify_stored (void)
{
  const char *malformed[] = {
    "pbkdf2-sha256$100000$AAAA",
    "md5$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$-100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
    "pbkdf2-sha256$100000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "1234",
  };
  g_autoptr(GError) error = NULL;

  g_assert_false (saoma_pin_verify_sync ("1234", NULL, &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET);
  g_clear_error (&error);
  g_assert_false (saoma_pin_verify_sync ("1234", "", &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET);

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(GError) e = NULL;

      g_assert_false (saoma_pin_verify_sync ("1234", malformed[i], &e));
      g_assert_error (e, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_MALFORMED);
    }
}

/* A hash written elsewhere (Python's hashlib.pbkdf2_hmac) verifies: the format is portable. */
static void
test_verify_foreign (void)
{
  /* hashlib.pbkdf2_hmac('sha256', b'4321', bytes(range(16)), 100000) */
  const char *encoded = "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw==$"
                        "4Z2VB+QLd/u3UD+u3OfLTr+MaCCot0bZ36n8q4mexl0=";

  g_assert_true (saoma_pin_verify_sync ("4321", encoded, NULL));
  g_assert_false (saoma_pin_verify_sync ("4322", encoded, NULL));
}

static void
async_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  GMainContext *context = g_main_context_default ();

  saoma_pin_hash_async ("864200", NULL, async_cb, &r1);
  while (r1 == NULL)
    g_main_context_iteration (context, TRUE);
  encoded = saoma_pin_hash_finish (r1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (encoded);

  saoma_pin_verify_async ("864200", encoded, NULL, async_cb, &r2);
  while (r2 == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_true (saoma_pin_verify_finish (r2, &error));
  g_assert_no_error (error);

  saoma_pin_verify_async ("864300", encoded, NULL, async_cb, &r3);
  while (r3 == NULL)
    g_main_context_iteration (context, TRUE);
  g_assert_false (saoma_pin_verify_finish (r3, &error));
  g_assert_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pin/pbkdf2-vectors", test_pbkdf2_vectors);
  g_test_add_func ("/pin/rules", test_rules);
  g_test_add_func ("/pin/hash-format", test_hash_format);
  g_test_add_func ("/pin/hash-rejects", test_hash_rejects);
  g_test_add_func ("/pin/verify", test_verify);
  g_test_add_func ("/pin/verify-stored", test_verify_stored);
  g_test_add_func ("/pin/verify-foreign", test_verify_foreign);
  g_test_add_func ("/pin/async", test_async);

  return g_test_run ();
}
