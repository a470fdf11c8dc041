/* test-tls.c: HTTPS and the merchant client certificate (/secapi/), with a throwaway CA,
 * server and client certificates made by certtool at test time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "wxpay/wxpay.h"

#define KEY    "192006250b4c09247ec02edce69f6a2d"
#define APPID  "wxd930ea5d5a258f4f"
#define MCH_ID "10000100"

static char *tmpdir;

typedef struct {
  SoupServer   *server;
  GSocketService *service;
  GTlsCertificate *server_cert;
  GTlsAuthenticationMode auth_mode;
  guint         n_handshakes_failed;
  GHashTable   *verified_ports;   /* client port → TRUE when it showed a trusted certificate */
  char         *base;
  WxpayClient  *client;
  GTlsDatabase *ca_db;
  guint         n_requests;
  guint         n_with_cert;
  GAsyncResult *result;
} Fixture;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
certtool (const char *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("certtool"));
  va_start (args, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (tmpdir, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("certtool failed: %s", err);
}

static void
write_file (const char *name,
            const char *contents)
{
  g_autofree char *path = tmp_path (name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
make_certificates (void)
{
  g_autoptr(GError) error = NULL;

  tmpdir = g_dir_make_tmp ("wxpay-tls-XXXXXX", &error);
  g_assert_no_error (error);

  write_file ("ca.tmpl", "cn = \"Saoma Test CA\"\nca\ncert_signing_key\nexpiration_days = 2\n");
  write_file ("server.tmpl", "cn = \"127.0.0.1\"\nip_address = \"127.0.0.1\"\n"
                             "dns_name = \"localhost\"\ntls_www_server\nsigning_key\n"
                             "encryption_key\nexpiration_days = 2\n");
  write_file ("client.tmpl", "cn = \"" MCH_ID "\"\ntls_www_client\nsigning_key\n"
                             "expiration_days = 2\n");

  /* ECDSA keys: generated in milliseconds, unlike RSA. */
  certtool ("--generate-privkey", "--key-type=ecdsa", "--outfile", "ca.key", NULL);
  certtool ("--generate-self-signed", "--load-privkey", "ca.key", "--template", "ca.tmpl",
            "--outfile", "ca.pem", NULL);
  certtool ("--generate-privkey", "--key-type=ecdsa", "--outfile", "server.key", NULL);
  certtool ("--generate-certificate", "--load-privkey", "server.key",
            "--load-ca-certificate", "ca.pem", "--load-ca-privkey", "ca.key",
            "--template", "server.tmpl", "--outfile", "server.pem", NULL);
  certtool ("--generate-privkey", "--key-type=ecdsa", "--outfile", "client.key", NULL);
  certtool ("--generate-certificate", "--load-privkey", "client.key",
            "--load-ca-certificate", "ca.pem", "--load-ca-privkey", "ca.key",
            "--template", "client.tmpl", "--outfile", "client.pem", NULL);
  certtool ("--to-p12", "--load-certificate", "client.pem", "--load-privkey", "client.key",
            "--p12-name", "apiclient", "--password", MCH_ID, "--outder",
            "--outfile", "client.p12", NULL);

  /* A client certificate no CA we trust has signed. */
  certtool ("--generate-privkey", "--key-type=ecdsa", "--outfile", "rogue.key", NULL);
  certtool ("--generate-self-signed", "--load-privkey", "rogue.key", "--template", "client.tmpl",
            "--outfile", "rogue.pem", NULL);

  /* cert + key in one PEM, the other layout merchants use. */
  {
    g_autofree char *cert_path = tmp_path ("client.pem");
    g_autofree char *key_path = tmp_path ("client.key");
    g_autofree char *cert = NULL;
    g_autofree char *key = NULL;
    g_autofree char *both = NULL;

    g_file_get_contents (cert_path, &cert, NULL, &error);
    g_assert_no_error (error);
    g_file_get_contents (key_path, &key, NULL, &error);
    g_assert_no_error (error);
    both = g_strconcat (cert, key, NULL);
    write_file ("client-combined.pem", both);
  }
}

static void
remove_certificates (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = tmp_path (name);

      g_unlink (path);
    }
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(WxpayParams) request = NULL;
  g_autoptr(WxpayParams) answer = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autofree char *xml = NULL;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  gboolean peer = g_hash_table_contains (f->verified_ports,
                                         GUINT_TO_POINTER (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote))));

  f->n_requests++;
  if (peer)
    f->n_with_cert++;

  request = wxpay_xml_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  g_assert_nonnull (request);
  g_assert_true (wxpay_verify (request, WXPAY_SIGN_TYPE_MD5, KEY));

  /* What WeChat does for /secapi/ without a usable certificate. */
  if (g_str_has_prefix (path, "/secapi/") &&
      !peer)
    {
      soup_server_message_set_status (msg, 400, "No required SSL certificate was sent");
      return;
    }

  wxpay_params_set (answer, "return_code", "SUCCESS");
  wxpay_params_set (answer, "return_msg", "OK");
  wxpay_params_set (answer, "appid", APPID);
  wxpay_params_set (answer, "mch_id", MCH_ID);
  wxpay_params_set (answer, "nonce_str", nonce);
  wxpay_params_set (answer, "result_code", "SUCCESS");
  if (g_str_equal (path, "/secapi/pay/refund"))
    {
      wxpay_params_set (answer, "out_refund_no", wxpay_params_get (request, "out_refund_no"));
      wxpay_params_set (answer, "refund_id", "50000000000000000000000000001");
      wxpay_params_set (answer, "refund_fee", wxpay_params_get (request, "refund_fee"));
    }
  else if (g_str_equal (path, "/secapi/pay/reverse"))
    wxpay_params_set (answer, "recall", "N");
  else
    wxpay_params_set (answer, "trade_state", "NOTPAY");
  wxpay_params_sign (answer, WXPAY_SIGN_TYPE_MD5, KEY);

  xml = wxpay_xml_encode_string (answer);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY, xml, strlen (xml));
}

/* libsoup 3.2's SoupServer cannot accept a client certificate (glib-networking asks through
 * "accept-certificate", which SoupServer does not expose before 3.4), so the test terminates
 * TLS itself and hands the decrypted stream to the SoupServer. The client side is the real
 * thing either way. */
static gboolean
accept_certificate_cb (GTlsConnection       *conn,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return errors == 0;
}

typedef struct {
  Fixture           *f;
  GSocketConnection *socket_conn;
} Pending;

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  GIOStream *tls = G_IO_STREAM (object);

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, &error))
    {
      g_test_message ("server handshake failed: %s", error->message);
      p->f->n_handshakes_failed++;
      g_io_stream_close (tls, NULL, NULL);
    }
  else
    {
      g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (p->socket_conn, NULL);
      g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (p->socket_conn, NULL);

      if (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)) != NULL &&
          g_tls_connection_get_peer_certificate_errors (G_TLS_CONNECTION (tls)) == 0)
        g_hash_table_add (p->f->verified_ports,
                          GUINT_TO_POINTER (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote))));
      soup_server_accept_iostream (p->f->server, tls, local, remote, &error);
      g_assert_no_error (error);
    }

  g_object_unref (tls);
  g_object_unref (p->socket_conn);
  g_free (p);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;
  Pending *p;

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), f->server_cert, &error);
  g_assert_no_error (error);
  g_object_set (tls, "authentication-mode", f->auth_mode, "database", f->ca_db, NULL);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), f);

  p = g_new0 (Pending, 1);
  p->f = f;
  p->socket_conn = g_object_ref (connection);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL,
                                    handshake_cb, p);

  return TRUE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *server_pem = tmp_path ("server.pem");
  g_autofree char *server_key = tmp_path ("server.key");
  g_autofree char *ca_pem = tmp_path ("ca.pem");
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  f->auth_mode = GPOINTER_TO_UINT (data);
  f->verified_ports = g_hash_table_new (NULL, NULL);
  f->server_cert = g_tls_certificate_new_from_files (server_pem, server_key, &error);
  g_assert_no_error (error);
  f->ca_db = g_tls_file_database_new (ca_pem, &error);
  g_assert_no_error (error);

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, server_cb, f, NULL);

  f->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), addr, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (f->service, "incoming", G_CALLBACK (incoming_cb), f);
  g_socket_service_start (f->service);

  f->base = g_strdup_printf ("https://127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));

  f->client = wxpay_client_new (f->base, APPID, MCH_ID, KEY);
  g_object_set (f->client, "tls-database", f->ca_db, "timeout", 5, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->client);
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_clear_object (&f->service);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->server_cert);
  g_clear_pointer (&f->verified_ports, g_hash_table_unref);
  g_clear_object (&f->ca_db);
  g_clear_object (&f->result);
  g_free (f->base);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  f->result = g_object_ref (result);
}

static WxpayParams *
run_refund (Fixture *f,
            GError **error)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();

  wxpay_params_set (req, "out_trade_no", "till120260101040000abcdefghij");
  wxpay_params_set (req, "out_refund_no", "RT120260101040000abcdefghijkl");
  wxpay_params_set (req, "total_fee", "100");
  wxpay_params_set (req, "refund_fee", "40");

  g_clear_object (&f->result);
  wxpay_client_refund_async (f->client, req, NULL, result_cb, f);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return wxpay_client_refund_finish (f->client, f->result, error);
}

static WxpayParams *
run_orderquery (Fixture *f,
                GError **error)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();

  wxpay_params_set (req, "out_trade_no", "till120260101040000abcdefghij");
  g_clear_object (&f->result);
  wxpay_client_orderquery_async (f->client, req, NULL, result_cb, f);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return wxpay_client_orderquery_finish (f->client, f->result, error);
}

static void
set_client_cert_pem (Fixture *f)
{
  g_autofree char *cert = tmp_path ("client.pem");
  g_autofree char *key = tmp_path ("client.key");
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) tls = wxpay_load_client_certificate_pem (cert, key, &error);

  g_assert_no_error (error);
  g_object_set (f->client, "tls-certificate", tls, NULL);
}

static void
test_https_without_client_cert (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* Ordinary calls need no client certificate. */
  answer = run_orderquery (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "trade_state"), ==, "NOTPAY");

  /* /secapi/ is refused locally before anything is sent. */
  g_clear_pointer (&answer, wxpay_params_unref);
  answer = run_refund (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpuint (f->n_requests, ==, 1);
}

static void
test_refund_with_pem (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  set_client_cert_pem (f);
  answer = run_refund (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "refund_id"), ==, "50000000000000000000000000001");
  g_assert_cmpstr (wxpay_params_get (answer, "refund_fee"), ==, "40");
  g_assert_cmpuint (f->n_with_cert, ==, 1);
}

static void
test_reverse_with_pem (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(WxpayParams) req = wxpay_params_new ();
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  set_client_cert_pem (f);
  wxpay_params_set (req, "out_trade_no", "till120260101040000abcdefghij");
  wxpay_client_reverse_async (f->client, req, NULL, result_cb, f);
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  answer = wxpay_client_reverse_finish (f->client, f->result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wxpay_params_get (answer, "recall"), ==, "N");
}

static void
test_refund_with_pkcs12 (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *p12 = tmp_path ("client.p12");
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  tls = wxpay_load_client_certificate (p12, "wrong-password", &error);
  g_assert_null (tls);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);

  tls = wxpay_load_client_certificate (p12, MCH_ID, &error);
  g_assert_no_error (error);
  g_object_set (f->client, "tls-certificate", tls, NULL);

  answer = run_refund (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->n_with_cert, ==, 1);
}

static void
test_refund_with_combined_pem (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *combined = tmp_path ("client-combined.pem");
  g_autofree char *cert_only = tmp_path ("client.pem");
  g_autofree char *missing = tmp_path ("does-not-exist.pem");
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* A certificate without its key is useless for mutual TLS. */
  tls = wxpay_load_client_certificate (cert_only, NULL, &error);
  g_assert_null (tls);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);

  tls = wxpay_load_client_certificate (missing, NULL, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG);
  g_clear_error (&error);

  tls = wxpay_load_client_certificate (combined, NULL, &error);
  g_assert_no_error (error);
  g_object_set (f->client, "tls-certificate", tls, NULL);
  answer = run_refund (f, &error);
  g_assert_no_error (error);
}

/* The server demands a certificate from a CA it trusts; a self-signed one fails the handshake
 * or is refused right after it: known outcome either way, and no handler ever ran. */
static void
test_rogue_client_cert (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *cert = tmp_path ("rogue.pem");
  g_autofree char *key = tmp_path ("rogue.key");
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  tls = wxpay_load_client_certificate_pem (cert, key, &error);
  g_assert_no_error (error);
  g_object_set (f->client, "tls-certificate", tls, NULL);

  answer = run_refund (f, &error);
  g_assert_null (answer);
  g_assert_nonnull (error);
  g_test_message ("rogue certificate: %s %d: %s", g_quark_to_string (error->domain),
                  error->code, error->message);
  g_assert_true (error->domain == WXPAY_ERROR);
  g_assert_cmpuint (f->n_requests, ==, 0);
  g_assert_cmpuint (f->n_handshakes_failed, >=, 1);
}

static void
test_untrusted_server (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GTlsBackend) backend = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;
  GTlsDatabase *system_db;

  /* Back to the system trust store, which does not know our test CA. */
  backend = g_object_ref (g_tls_backend_get_default ());
  system_db = g_tls_backend_get_default_database (backend);
  g_object_set (f->client, "tls-database", system_db, NULL);
  g_object_unref (system_db);

  answer = run_orderquery (f, &error);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECT);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  g_assert_cmpuint (f->n_requests, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_printerr ("No TLS backend (glib-networking): skipping\n");
      return 77;
    }
  if (g_find_program_in_path ("certtool") == NULL)
    {
      g_printerr ("certtool (gnutls-bin) not found: skipping\n");
      return 77;
    }

  make_certificates ();

#define ADD(path, mode, func) \
  g_test_add ("/wxpay/tls/" path, Fixture, GUINT_TO_POINTER (mode), fixture_setup, func, \
              fixture_teardown)

  ADD ("https-without-client-cert", G_TLS_AUTHENTICATION_REQUESTED, test_https_without_client_cert);
  ADD ("refund-with-pem", G_TLS_AUTHENTICATION_REQUESTED, test_refund_with_pem);
  ADD ("reverse-with-pem", G_TLS_AUTHENTICATION_REQUESTED, test_reverse_with_pem);
  ADD ("refund-with-pkcs12", G_TLS_AUTHENTICATION_REQUESTED, test_refund_with_pkcs12);
  ADD ("refund-with-combined-pem", G_TLS_AUTHENTICATION_REQUESTED, test_refund_with_combined_pem);
  ADD ("rogue-client-cert", G_TLS_AUTHENTICATION_REQUIRED, test_rogue_client_cert);
  ADD ("untrusted-server", G_TLS_AUTHENTICATION_REQUESTED, test_untrusted_server);

  ret = g_test_run ();
  remove_certificates ();

  return ret;
}
