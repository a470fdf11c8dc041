/* test-keyring.c: the API key goes to the Secret Service (libsecret's file backend here). */
#include "config.h"

#include <glib/gstdio.h>

#include "saoma-keyring.h"

static GMainLoop *loop;
static GAsyncResult *result;

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  result = g_object_ref (res);
  g_main_loop_quit (loop);
}

static GAsyncResult *
wait_result (void)
{
  g_main_loop_run (loop);
  return result;
}

static void
test_roundtrip (void)
{
  const char *key = "192006250b4c09247ec02edce69f6a2d";
  g_autoptr(GError) error = NULL;
  char *found;

  saoma_keyring_store_async ("1900000109", key, NULL, done_cb, NULL);
  g_assert_true (saoma_keyring_store_finish (wait_result (), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  saoma_keyring_lookup_async ("1900000109", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, key);
  saoma_keyring_free_key (found);
  g_clear_object (&result);

  /* Another merchant has no key. */
  saoma_keyring_lookup_async ("1900000110", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_no_error (error);
  g_assert_null (found);
  g_clear_object (&result);

  saoma_keyring_clear_async ("1900000109", NULL, done_cb, NULL);
  g_assert_true (saoma_keyring_clear_finish (wait_result (), &error));
  g_clear_object (&result);

  saoma_keyring_lookup_async ("1900000109", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_no_error (error);
  g_assert_null (found);
  g_clear_object (&result);
}

/* The APIv3 key has an item of its own: a v2 lookup never returns it, nor the reverse. */
static void
test_apiv3_key_apart (void)
{
  const char *v2 = "192006250b4c09247ec02edce69f6a2d";
  const char *v3 = "0123456789abcdefghijklmnopqrstuv";
  g_autoptr(GError) error = NULL;
  char *found;

  saoma_keyring_store_item_async (SAOMA_KEYRING_APIV3_KEY, "1900000111", v3, NULL, done_cb,
                                  NULL);
  g_assert_true (saoma_keyring_store_finish (wait_result (), &error));
  g_clear_object (&result);

  saoma_keyring_lookup_async ("1900000111", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_no_error (error);
  g_assert_null (found);
  g_clear_object (&result);

  saoma_keyring_store_async ("1900000111", v2, NULL, done_cb, NULL);
  g_assert_true (saoma_keyring_store_finish (wait_result (), &error));
  g_clear_object (&result);

  saoma_keyring_lookup_item_async (SAOMA_KEYRING_APIV3_KEY, "1900000111", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, v3);
  saoma_keyring_free_key (found);
  g_clear_object (&result);

  saoma_keyring_lookup_async ("1900000111", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_cmpstr (found, ==, v2);
  saoma_keyring_free_key (found);
  g_clear_object (&result);

  /* Forgetting one leaves the other. */
  saoma_keyring_clear_item_async (SAOMA_KEYRING_APIV3_KEY, "1900000111", NULL, done_cb, NULL);
  g_assert_true (saoma_keyring_clear_finish (wait_result (), &error));
  g_clear_object (&result);
  saoma_keyring_lookup_item_async (SAOMA_KEYRING_APIV3_KEY, "1900000111", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_null (found);
  g_clear_object (&result);
  saoma_keyring_lookup_async ("1900000111", NULL, done_cb, NULL);
  found = saoma_keyring_lookup_finish (wait_result (), &error);
  g_assert_cmpstr (found, ==, v2);
  saoma_keyring_free_key (found);
  g_clear_object (&result);
  saoma_keyring_clear_async ("1900000111", NULL, done_cb, NULL);
  g_assert_true (saoma_keyring_clear_finish (wait_result (), &error));
  g_clear_object (&result);
}

static void
test_key_not_in_settings_dir (void)
{
  /* The file backend writes only its encrypted keyring; nothing lands in the config dir. */
  const char *config = g_getenv ("XDG_CONFIG_HOME");
  g_autoptr(GDir) dir = g_dir_open (config, 0, NULL);

  g_assert_nonnull (dir);
  g_assert_null (g_dir_read_name (dir));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp = g_dir_make_tmp ("saoma-keyring-XXXXXX", NULL);
  g_autofree char *keyring = g_build_filename (tmp, "keyring", NULL);
  g_autofree char *config = g_build_filename (tmp, "config", NULL);
  int ret;

  g_mkdir (config, 0700);
  /* Hermetic: libsecret's file backend, never the developer's keyring. */
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);

  g_test_init (&argc, &argv, NULL);
  loop = g_main_loop_new (NULL, FALSE);

  g_test_add_func ("/keyring/roundtrip", test_roundtrip);
  g_test_add_func ("/keyring/apiv3-key-apart", test_apiv3_key_apart);
  g_test_add_func ("/keyring/key-not-in-settings-dir", test_key_not_in_settings_dir);

  ret = g_test_run ();
  g_unlink (keyring);
  g_rmdir (config);
  g_rmdir (tmp);
  return ret;
}
