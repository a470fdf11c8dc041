/* test-merchant-check.c: Preferences' checks of a merchant account and "Test connection",
 * against a real wxpay-sim (started as the demo mode does, with its v3 keys): the demo v3
 * merchant connects; each broken part (our key, our serial, WeChat Pay's public key, its id,
 * the network) fails naming that part; a platform-certificate merchant (a second simulator
 * with `--v3-platform-cert`) connects, and a wrong APIv3 key or a public-key-only merchant is
 * named; bad fields and key files are refused before any
 * request; a private key file readable by others is a warning. */
#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "saoma-demo-gateway.h"
#include "saoma-merchant-check.h"

static GMainLoop *loop;
static GAsyncResult *result;
static SaomaDemoGateway *demo;
static char *tmp;

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  g_clear_object (&result);
  result = g_object_ref (res);
  g_main_loop_quit (loop);
}

static GAsyncResult *
wait_result (void)
{
  g_main_loop_run (loop);
  return result;
}

/* Test connection of @merchant: TRUE, or the part it names in *@out_code. */
static gboolean
check (const SaomaMerchant *merchant,
       int                 *out_code,
       gboolean            *out_loose)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  saoma_merchant_check_connection_async (merchant, NULL, done_cb, NULL);
  ok = saoma_merchant_check_connection_finish (wait_result (), out_loose, &error);
  *out_code = -1;
  if (!ok)
    {
      g_assert_error (error, SAOMA_MERCHANT_CHECK_ERROR, error->code);
      g_test_message ("%s", error->message);
      g_assert_cmpstr (error->message, !=, "");
      *out_code = error->code;
    }
  return ok;
}

static SaomaMerchant *
demo_v3 (void)
{
  SaomaMerchant *merchant = saoma_demo_gateway_dup_merchant (demo, "v3");

  g_assert_nonnull (merchant);
  g_assert_cmpstr (merchant->protocol, ==, "v3");
  return merchant;
}

static char *
write_file (const char *name,
            const char *contents,
            gsize       len,
            int         mode)
{
  char *path = g_build_filename (tmp, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

/* The public half of the demo merchant's own key: an RSA public key WeChat Pay does not use. */
static char *
other_public_key (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t in, out = { NULL, 0 };
  gnutls_x509_privkey_t x509;
  gnutls_privkey_t key;
  gnutls_pubkey_t pub;
  char *path;

  g_assert_true (g_file_get_contents (merchant->mch_private_key_path, &pem, &len, NULL));
  in.data = (unsigned char *) pem;
  in.size = len;
  g_assert_cmpint (gnutls_x509_privkey_init (&x509), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import2 (x509, &in, GNUTLS_X509_FMT_PEM, NULL, 0), ==, 0);
  g_assert_cmpint (gnutls_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_privkey_import_x509 (key, x509, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), ==,
                   0);
  g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_privkey (pub, key, 0, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  path = write_file ("other_pub_key.pem", (const char *) out.data, out.size, 0644);
  gnutls_free (out.data);
  gnutls_pubkey_deinit (pub);
  gnutls_privkey_deinit (key);
  return path;
}

/* A private key that is not RSA (P-256). */
static char *
ec_private_key (void)
{
  gnutls_x509_privkey_t key;
  gnutls_datum_t out = { NULL, 0 };
  char *path;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0),
                   ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  path = write_file ("ec_key.pem", (const char *) out.data, out.size, 0600);
  gnutls_free (out.data);
  gnutls_x509_privkey_deinit (key);
  return path;
}

static void
test_demo_v3_connects (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  int code;
  gboolean loose = TRUE;

  g_assert_true (check (merchant, &code, &loose));
  /* The simulator writes its keys 0600. */
  g_assert_false (loose);
}

static void
test_demo_v2_connects (void)
{
  g_autoptr(SaomaMerchant) merchant = saoma_demo_gateway_dup_merchant (demo, "v2");
  int code;

  g_assert_true (check (merchant, &code, NULL));
  /* A wrong v2 key is refused by WeChat Pay: the API key is named. */
  memset (merchant->api_key, 'A', 32);
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_API_KEY);
}

static void
test_wrong_serial (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  int code;

  g_free (merchant->mch_serial);
  merchant->mch_serial = g_strdup ("0123456789ABCDEF0123456789ABCDEF01234567");
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_SIGNING);
}

static void
test_wrong_private_key (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  g_autofree char *dir = g_path_get_dirname (merchant->mch_private_key_path);
  int code;

  /* Another RSA key (the simulator's own) under the right serial: the signature is refused. */
  g_free (merchant->mch_private_key_path);
  merchant->mch_private_key_path = g_build_filename (dir, "sim_private_key.pem", NULL);
  g_assert_true (g_file_test (merchant->mch_private_key_path, G_FILE_TEST_EXISTS));
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_SIGNING);
}

static void
test_wrong_public_key (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  int code;

  g_free (merchant->wechatpay_public_key_path);
  merchant->wechatpay_public_key_path = other_public_key ();
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_VERIFYING);
}

static void
test_wrong_public_key_id (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  int code;

  g_free (merchant->wechatpay_public_key_id);
  merchant->wechatpay_public_key_id = g_strdup ("PUB_KEY_ID_0000000000000000000000000000000000");
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID);
}

static void
test_network (void)
{
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;
  int code;

  /* A port that was free a moment ago and is closed now: nobody answers. */
  g_assert_true (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_listener_close (listener);

  g_free (merchant->base_uri);
  merchant->base_uri = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_NETWORK);
}

/* A second simulator in platform-certificate mode (`--v3-platform-cert`), with the demo
 * merchant's appid and mch_id and v3 keys of its own in @dir: answers are signed with a
 * certificate served on /v3/certificates, sealed with the APIv3 key. */
static GSubprocess *
start_platform_cert_sim (const char *dir,
                         char      **out_base_uri)
{
  g_autofree char *program = saoma_demo_gateway_find_program ();
  g_autofree char *credentials = g_path_get_dirname (saoma_demo_gateway_get_v3_dir (demo));
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  GSubprocess *process;
  char *line;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--bind",
                              "127.0.0.1", "--port", "0", "--credentials-dir", credentials,
                              "--v3-dir", dir, "--v3-platform-cert", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strstrip (line);
  while (g_str_has_suffix (line, "/"))
    line[strlen (line) - 1] = '\0';
  g_assert_true (g_str_has_prefix (line, "http://127.0.0.1:"));
  *out_base_uri = line;
  return process;
}

static void
stop_sim (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, NULL));
  g_object_unref (process);
}

static char *
read_line_file (const char *dir,
                const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return g_strstrip (text);
}

/* The demo merchant as a platform-certificate one: no public key, no id. */
static SaomaMerchant *
platform_cert_merchant (const char *base_uri,
                        const char *dir)
{
  SaomaMerchant *merchant = demo_v3 ();

  g_free (merchant->base_uri);
  merchant->base_uri = g_strdup (base_uri);
  g_clear_pointer (&merchant->wechatpay_public_key_path, g_free);
  g_clear_pointer (&merchant->wechatpay_public_key_id, g_free);
  if (dir != NULL)
    {
      g_free (merchant->mch_private_key_path);
      merchant->mch_private_key_path = g_build_filename (dir, "apiclient_key.pem", NULL);
      g_free (merchant->mch_serial);
      merchant->mch_serial = read_line_file (dir, "apiclient_serial.txt");
      g_free (merchant->apiv3_key);
      merchant->apiv3_key = read_line_file (dir, "apiv3_key.txt");
    }
  return merchant;
}

static void
test_platform_certificates (void)
{
  g_autofree char *dir = g_build_filename (tmp, "platform-cert-v3", NULL);
  g_autofree char *base_uri = NULL;
  g_autofree char *public_key = NULL;
  GSubprocess *sim = start_platform_cert_sim (dir, &base_uri);
  int code;

  /* Such a merchant has no public key: the simulator took it away, as WeChat never gave one. */
  public_key = g_build_filename (dir, "pub_key.pem", NULL);
  g_assert_false (g_file_test (public_key, G_FILE_TEST_EXISTS));

  {
    g_autoptr(SaomaMerchant) merchant = platform_cert_merchant (base_uri, dir);
    g_autoptr(GError) error = NULL;

    /* No public key asked for in this mode. */
    g_assert_true (saoma_merchant_check_fields (merchant, &error));
    g_assert_no_error (error);
    /* Certificates downloaded, opened with the APIv3 key; the query's answer verified. */
    g_assert_true (check (merchant, &code, NULL));
  }

  {
    g_autoptr(SaomaMerchant) merchant = platform_cert_merchant (base_uri, dir);

    /* Another APIv3 key: the requests are signed all the same (the private key signs), but the
     * certificates do not open: the APIv3 key is named. */
    memset (merchant->apiv3_key, 'A', 32);
    g_assert_false (check (merchant, &code, NULL));
    g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY);
  }

  {
    g_autoptr(SaomaMerchant) merchant = platform_cert_merchant (base_uri, dir);

    /* Half a public key is a mistake, not platform-certificate mode. */
    merchant->wechatpay_public_key_id = g_strdup ("PUB_KEY_ID_0114232134912410000000000000");
    g_assert_false (check (merchant, &code, NULL));
    g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY);
  }

  stop_sim (sim);

  {
    /* The demo's simulator has a public key only: /v3/certificates answers
     * RESOURCE_NOT_EXISTS, and the test says this merchant has no platform certificates. */
    g_autoptr(SaomaMerchant) merchant = platform_cert_merchant (saoma_demo_gateway_get_base_uri (demo),
                                                                NULL);

    g_assert_false (check (merchant, &code, NULL));
    g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_PLATFORM_CERTIFICATES);
  }
}

static void
test_fields (void)
{
  static const struct {
    const char *field;
    const char *value;
    int         code;
  } cases[] = {
    { "mch_id", "12ab5678", SAOMA_MERCHANT_CHECK_ERROR_MCH_ID },
    { "mch_id", "123", SAOMA_MERCHANT_CHECK_ERROR_MCH_ID },
    { "mch_id", "12345678901234567", SAOMA_MERCHANT_CHECK_ERROR_MCH_ID },
    { "appid", "wx d930", SAOMA_MERCHANT_CHECK_ERROR_APPID },
    { "serial", "5157F09EFDC096DE15EBE81A47057A72XYZ", SAOMA_MERCHANT_CHECK_ERROR_SERIAL },
    { "serial", "", SAOMA_MERCHANT_CHECK_ERROR_SERIAL },
    { "id", "KEY_ID_0114232", SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID },
    { "id", "PUB_KEY_ID_", SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID },
    { "id", "PUB_KEY_ID_01 14", SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY_ID },
    { "apiv3", "0123456789abcdef", SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY },
    { "apiv3", "0123456789abcdef0123456789abcdef0", SAOMA_MERCHANT_CHECK_ERROR_APIV3_KEY },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SaomaMerchant) merchant = demo_v3 ();
      g_autoptr(GError) error = NULL;
      char **slot = g_str_equal (cases[i].field, "mch_id")   ? &merchant->mch_id
                    : g_str_equal (cases[i].field, "appid")  ? &merchant->appid
                    : g_str_equal (cases[i].field, "serial") ? &merchant->mch_serial
                    : g_str_equal (cases[i].field, "id")     ? &merchant->wechatpay_public_key_id
                                                             : &merchant->apiv3_key;
      int code;

      g_test_message ("%s = “%s”", cases[i].field, cases[i].value);
      g_free (*slot);
      *slot = g_strdup (cases[i].value);
      g_assert_false (saoma_merchant_check_fields (merchant, &error));
      g_assert_error (error, SAOMA_MERCHANT_CHECK_ERROR, cases[i].code);
      /* Test connection stops there too. */
      g_assert_false (check (merchant, &code, NULL));
      g_assert_cmpint (code, ==, cases[i].code);
    }
}

static void
test_key_files (void)
{
  g_autofree char *ec = ec_private_key ();
  g_autofree char *public = other_public_key ();
  g_autofree char *garbage = write_file ("garbage.pem", "not a key\n", 10, 0600);
  g_autofree char *missing = g_build_filename (tmp, "missing.pem", NULL);
  g_autofree char *loose_key = NULL;
  g_autoptr(SaomaMerchant) merchant = demo_v3 ();
  g_autofree char *pem = NULL;
  gsize len = 0;
  gboolean loose = FALSE;
  int code;

  struct {
    const char *path;
    gboolean    private_key;
  } bad[] = {
    { missing, TRUE },  /* unreadable */
    { garbage, TRUE },  /* not a key */
    { ec, TRUE },       /* not RSA */
    { public, TRUE },   /* a public key given as the private one */
    { missing, FALSE },
    { ec, FALSE },      /* a private key given as the public one */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      int expected = bad[i].private_key ? SAOMA_MERCHANT_CHECK_ERROR_PRIVATE_KEY
                                        : SAOMA_MERCHANT_CHECK_ERROR_PUBLIC_KEY;

      g_assert_false (saoma_merchant_check_key_file (bad[i].path, bad[i].private_key, NULL,
                                                     &error));
      g_assert_error (error, SAOMA_MERCHANT_CHECK_ERROR, expected);
      g_test_message ("%s", error->message);
    }

  /* Test connection names the private key when it is not RSA (no request is sent). */
  g_free (merchant->mch_private_key_path);
  merchant->mch_private_key_path = g_strdup (ec);
  g_assert_false (check (merchant, &code, NULL));
  g_assert_cmpint (code, ==, SAOMA_MERCHANT_CHECK_ERROR_PRIVATE_KEY);

  /* The right key, readable by everyone: it works, with a warning. */
  g_clear_pointer (&merchant, saoma_merchant_free);
  merchant = demo_v3 ();
  g_assert_true (g_file_get_contents (merchant->mch_private_key_path, &pem, &len, NULL));
  loose_key = write_file ("loose_key.pem", pem, len, 0644);
  g_free (merchant->mch_private_key_path);
  merchant->mch_private_key_path = g_strdup (loose_key);
  g_assert_true (check (merchant, &code, &loose));
  g_assert_true (loose);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *program = NULL;
  int ret;

  g_setenv ("LANGUAGE", "en", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  tmp = g_dir_make_tmp ("saoma-test-merchant-check-XXXXXX", NULL);
  data = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);

  g_test_init (&argc, &argv, NULL);
  loop = g_main_loop_new (NULL, FALSE);

  program = saoma_demo_gateway_find_program ();
  if (program == NULL)
    {
      g_print ("1..0 # SKIP wxpay-sim is not built\n");
      return 77;
    }
  demo = saoma_demo_gateway_new (NULL);
  saoma_demo_gateway_start_async (demo, NULL, done_cb, NULL);
  g_assert_true (saoma_demo_gateway_start_finish (demo, wait_result (), &error));
  g_assert_no_error (error);

  g_test_add_func ("/merchant-check/demo-v3-connects", test_demo_v3_connects);
  g_test_add_func ("/merchant-check/demo-v2-connects", test_demo_v2_connects);
  g_test_add_func ("/merchant-check/wrong-serial", test_wrong_serial);
  g_test_add_func ("/merchant-check/wrong-private-key", test_wrong_private_key);
  g_test_add_func ("/merchant-check/wrong-public-key", test_wrong_public_key);
  g_test_add_func ("/merchant-check/wrong-public-key-id", test_wrong_public_key_id);
  g_test_add_func ("/merchant-check/network", test_network);
  g_test_add_func ("/merchant-check/platform-certificates", test_platform_certificates);
  g_test_add_func ("/merchant-check/fields", test_fields);
  g_test_add_func ("/merchant-check/key-files", test_key_files);
  ret = g_test_run ();

  saoma_demo_gateway_stop (demo);
  g_clear_object (&demo);
  g_clear_object (&result);
  g_main_loop_unref (loop);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);

    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return ret;
}
