/* wxpay-sim.c: the wxpay-sim executable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "wxpay-sim-private.h"

static const char description[] =
  "wxpay-sim simulates the WeChat Pay API v2 gateway (XML, MD5/HMAC-SHA256 signatures) for\n"
  "Native QR payments, micropay, refunds and bills, on plain HTTP (or HTTPS with --tls-cert).\n"
  "The first line printed on stdout is the base URL, e.g. http://127.0.0.1:8765.\n"
  "Without credentials it uses the demo merchant: appid " WXPAY_SIM_DEFAULT_APPID ", mch_id "
  WXPAY_SIM_DEFAULT_MCH_ID ",\nkey " WXPAY_SIM_DEFAULT_KEY " (the official example key).\n"
  "\n"
  "Gateway paths: /pay/unifiedorder /pay/orderquery /pay/closeorder /secapi/pay/refund\n"
  "  /pay/refundquery /pay/downloadbill /pay/micropay /secapi/pay/reverse\n"
  "  closeorder before --close-min-age seconds: result_code=FAIL err_code=SYSTEMERROR\n"
  "  err_code_des \"system error\" (what the real gateway answers to a too-early close).\n"
  "\n"
  "Control API (plain JSON on the same port):\n"
  "  POST   /sim/orders/{out_trade_no}/pay[?delay_ms=N]   the customer pays\n"
  "  POST   /sim/orders/{out_trade_no}/userpaying         the customer is entering the password\n"
  "  POST   /sim/orders/{out_trade_no}/fail               the payment fails (PAYERROR)\n"
  "  GET    /sim/orders                                  every order, refunds, notifications\n"
  "  GET    /sim/orders/{out_trade_no}                   one order\n"
  "  POST   /sim/clock/advance?seconds=N                 move the simulator's clock forward\n"
  "  POST   /sim/clock/set?unix=SECONDS                  set the simulator's clock\n"
  "  GET    /sim/clock                                   the simulator's clock\n"
  "  POST   /sim/faults    (JSON body)  DELETE /sim/faults  GET /sim/faults\n"
  "  GET    /sim/pay/{token}  a page to pay the code_url weixin://wxpay/bizpayurl?pr={token}\n"
  "\n"
  "Faults: a JSON object or a list of objects; rates are probabilities 0..1 rolled with a\n"
  "random generator seeded by --seed (rate 1 always applies), \"path\" limits an object to one\n"
  "gateway path (notification faults ignore it):\n"
  "  {\"latency_ms\":3000, \"drop_before\":0.1, \"drop_after\":0.1, \"http_500\":0.05,\n"
  "   \"http_502\":0.05, \"systemerror\":0.1, \"bad_sign\":0.05, \"dup_notify\":0.5,\n"
  "   \"wrong_amount_notify\":0.0, \"path\":\"/pay/unifiedorder\"}\n"
  "  drop_before: connection closed unread; drop_after: processed, answer lost;\n"
  "  http_500/502: error page, not processed; systemerror: signed SYSTEMERROR, not processed;\n"
  "  bad_sign: answer signature corrupted; dup_notify: each notification sent twice;\n"
  "  wrong_amount_notify: an extra, correctly signed notification with total_fee+1.\n"
  "\n"
  "Micropay auth_code (18 digits starting 10..15), by last digit:\n"
  "  0,5-9 paid at once (over 1000 yuan: USERPAYING, paid 10 s later)\n"
  "  1 USERPAYING, paid 10 s later      2 USERPAYING, PAYERROR 10 s later\n"
  "  3 AUTHCODEEXPIRE (no order)        4 NOTENOUGH (order ends PAYERROR)\n"
  "  any other shape: AUTH_CODE_ERROR; a code used twice: AUTH_CODE_INVALID\n"
  "\n"
  "Limits: a request body over 1 MiB (Content-Length or counted as a chunked body arrives) is\n"
  "  answered 413 and never stored; see --header-timeout, --idle-timeout, --max-connections.\n"
  "  GET /sim/connections counts open connections and what the limits closed.\n"
  "  A finished order (paid, refunded, closed, reversed, failed) is forgotten --order-retention\n"
  "  hours after its last change; GET /sim/state counts orders, expiries and state writes.\n"
  "\n"
  "Notifications are POSTed to notify_url until acknowledged, 15s 15s 30s 3m 10m 20m 30m 30m\n"
  "30m 60m 3h 3h 3h 6h 6h apart, divided by --time-scale. Refunds stay PROCESSING 5 s.\n"
  "\n"
  "Examples:\n"
  "  wxpay-sim --port 8765\n"
  "  wxpay-sim --port 0 --seed 42 --time-scale 60 --state /tmp/sim.state\n"
  "  wxpay-sim --key-file key.txt --appid wx0000000000000000 --mch-id 1230000109\n"
  "  wxpay-sim --tls-cert server.pem --tls-key server.key --client-ca ca.pem\n"
  "  wxpay-sim --credentials-dir ~/.local/share/wxpay-sim/demo --https\n"
  "  curl -X POST http://127.0.0.1:8765/sim/orders/ORDER001/pay\n"
  "  curl -X POST -d '{\"drop_after\":1,\"path\":\"/pay/unifiedorder\"}' http://127.0.0.1:8765/sim/faults\n";

static GMainLoop *main_loop;

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (main_loop);
  return G_SOURCE_CONTINUE;
}

static char *
read_key_file (const char *path,
               GError    **error)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  return g_strdup (g_strstrip (contents));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpaySimServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) client_ca = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *appid = NULL;
  g_autofree char *mch_id = NULL;
  g_autofree char *key = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *client_ca_file = NULL;
  g_autofree char *state_file = NULL;
  g_autofree char *credentials_dir = NULL;
  g_autofree char *v3_dir = NULL;
  gboolean v3_platform_cert = FALSE;
  WxpaySimCredentials credentials = { 0 };
  gboolean https = FALSE;
  g_autofree char *seed_text = NULL;
  int port = 0;
  double time_scale = 1.0;
  int close_min_age = 300;
  int header_timeout = WXPAY_SIM_DEFAULT_HEADER_TIMEOUT;
  int idle_timeout = WXPAY_SIM_DEFAULT_IDLE_TIMEOUT;
  int max_connections = WXPAY_SIM_DEFAULT_MAX_CONNECTIONS;
  int order_retention = 48;
  int state_interval = WXPAY_SIM_DEFAULT_STATE_INTERVAL;
  guint64 seed = 0;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "TCP port to listen on; 0 (the default) picks a free one", "N" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      "IP address to bind (default 127.0.0.1; 0.0.0.0 lets a phone reach the pay page)", "ADDR" },
    { "appid", 0, 0, G_OPTION_ARG_STRING, &appid,
      "The merchant's appid (default " WXPAY_SIM_DEFAULT_APPID ")", "APPID" },
    { "mch-id", 0, 0, G_OPTION_ARG_STRING, &mch_id,
      "The merchant id (default " WXPAY_SIM_DEFAULT_MCH_ID ")", "MCH_ID" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key,
      "The 32-character API key (visible in ps; prefer --key-file)", "KEY" },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      "Read the API key from FILE (surrounding whitespace ignored)", "FILE" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_text,
      "Seed of the fault generator: the same seed and requests give the same faults (default 0)", "S" },
    { "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &time_scale,
      "Speed of the simulator's clock and notification schedule (default 1 = real time; 60 = a minute per second)", "X" },
    { "close-min-age", 0, 0, G_OPTION_ARG_INT, &close_min_age,
      "Seconds after creation before closeorder is allowed (default 300, the documented 5 minutes)", "SECONDS" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      "Serve HTTPS with this PEM certificate (needs --tls-key)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
      "The PEM private key of --tls-cert", "FILE" },
    { "client-ca", 0, 0, G_OPTION_ARG_FILENAME, &client_ca_file,
      "Require a client certificate issued by this CA on /secapi/ paths (needs --tls-cert)", "FILE" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state_file,
      "Keep orders in FILE (written atomically) so a restarted simulator still knows them", "FILE" },
    { "header-timeout", 0, 0, G_OPTION_ARG_INT, &header_timeout,
      "Seconds a request (headers and body) may take to arrive before its connection is closed "
      "(default " G_STRINGIFY (WXPAY_SIM_DEFAULT_HEADER_TIMEOUT) "; 0: no limit)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Seconds a kept-alive connection may wait for its next request (default "
      G_STRINGIFY (WXPAY_SIM_DEFAULT_IDLE_TIMEOUT) "; 0: no limit)", "SECONDS" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      "Open connections at most; a new one beyond them is closed at once (default "
      G_STRINGIFY (WXPAY_SIM_DEFAULT_MAX_CONNECTIONS) "; 0: no cap)", "N" },
    { "credentials-dir", 0, 0, G_OPTION_ARG_FILENAME, &credentials_dir,
      "A demo merchant of its own, kept in DIR (made on first use, files 0600): a random API key "
      "and a throwaway CA with a server and a client certificate", "DIR" },
    { "https", 0, 0, G_OPTION_ARG_NONE, &https,
      "With --credentials-dir: serve HTTPS with DIR/server.pem and require a client certificate "
      "issued by DIR/ca.pem on /secapi/", NULL },
    { "v3-dir", 0, 0, G_OPTION_ARG_FILENAME, &v3_dir,
      "Serve API v3 under /v3/ beside v2, with keys kept in DIR (made on first use; DIR 0700, "
      "files 0600): apiclient_key.pem, apiclient_serial.txt, pub_key.pem, pub_key_id.txt, "
      "apiv3_key.txt, as a merchant gets them", "DIR" },
    { "v3-platform-cert", 0, 0, G_OPTION_ARG_NONE, &v3_platform_cert,
      "With --v3-dir: platform-certificate mode: answers and callbacks are signed with a "
      "certificate served (sealed with the APIv3 key) on /v3/certificates; pub_key.pem and "
      "pub_key_id.txt leave DIR. Without it /v3/certificates answers RESOURCE_NOT_EXISTS",
      NULL },
    { "order-retention", 0, 0, G_OPTION_ARG_INT, &order_retention,
      "Hours (on the simulator's clock) a finished order is kept after its last change "
      "(default 48: bills of today and yesterday stay complete; 0: keep every order)", "HOURS" },
    { "state-interval", 0, 0, G_OPTION_ARG_INT, &state_interval,
      "With --state: milliseconds between two rewrites of the state file at most (default "
      G_STRINGIFY (WXPAY_SIM_DEFAULT_STATE_INTERVAL) ")", "MS" },
    { NULL }
  };

  context = g_option_context_new ("- WeChat Pay v2 gateway simulator");
  g_option_context_set_summary (context,
                                "A faithful WeChat Pay API v2 gateway for demos and tests: "
                                "real signatures, order states, notifications, refunds, bills and faults.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wxpay-sim: %s\n", error->message);
      return 2;
    }

  if (port < 0 || port > 65535)
    {
      g_printerr ("wxpay-sim: --port must be between 0 and 65535\n");
      return 2;
    }
  if (close_min_age < 0)
    {
      g_printerr ("wxpay-sim: --close-min-age must not be negative\n");
      return 2;
    }
  if (header_timeout < 0 || header_timeout > 3600 || idle_timeout < 0 || idle_timeout > 86400)
    {
      g_printerr ("wxpay-sim: --header-timeout must be 0..3600 and --idle-timeout 0..86400\n");
      return 2;
    }
  if (order_retention < 0 || order_retention > 24 * 366 * 10)
    {
      g_printerr ("wxpay-sim: --order-retention must be between 0 and 87840 hours\n");
      return 2;
    }
  if (state_interval < 1 || state_interval > 3600000)
    {
      g_printerr ("wxpay-sim: --state-interval must be between 1 and 3600000 ms\n");
      return 2;
    }
  if (max_connections < 0 || max_connections > 1000000)
    {
      g_printerr ("wxpay-sim: --max-connections must be between 0 and 1000000\n");
      return 2;
    }
  if (!(time_scale >= 0.001 && time_scale <= 1000000.0))
    {
      g_printerr ("wxpay-sim: --time-scale must be between 0.001 and 1000000\n");
      return 2;
    }
  if (seed_text != NULL && !g_ascii_string_to_unsigned (seed_text, 10, 0, G_MAXUINT64, &seed, &error))
    {
      g_printerr ("wxpay-sim: --seed: %s\n", error->message);
      return 2;
    }
  if (credentials_dir != NULL &&
      (key != NULL || key_file != NULL || appid != NULL || mch_id != NULL || tls_cert != NULL ||
       tls_key != NULL || client_ca_file != NULL))
    {
      g_printerr ("wxpay-sim: --credentials-dir sets the merchant and the certificates; it does "
                  "not go with --key, --key-file, --appid, --mch-id, --tls-cert or --client-ca\n");
      return 2;
    }
  if (https && credentials_dir == NULL)
    {
      g_printerr ("wxpay-sim: --https needs --credentials-dir (or use --tls-cert and --tls-key)\n");
      return 2;
    }
  if (credentials_dir != NULL)
    {
      if (!wxpay_sim_credentials_load (credentials_dir, &credentials, &error))
        {
          g_printerr ("wxpay-sim: --credentials-dir: %s\n", error->message);
          return 2;
        }
      appid = g_strdup (credentials.appid);
      mch_id = g_strdup (credentials.mch_id);
      key = g_strdup (credentials.api_key);
      if (https)
        {
          certificate = g_object_ref (credentials.server_certificate);
          client_ca = g_object_ref (credentials.client_ca);
        }
      wxpay_sim_credentials_clear (&credentials);
    }
  if (key_file != NULL)
    {
      g_free (key);
      key = read_key_file (key_file, &error);
      if (key == NULL)
        {
          g_printerr ("wxpay-sim: --key-file: %s\n", error->message);
          return 2;
        }
    }
  if (key != NULL && strlen (key) != 32)
    {
      g_printerr ("wxpay-sim: the API key must be exactly 32 characters\n");
      return 2;
    }
  if ((tls_cert == NULL) != (tls_key == NULL))
    {
      g_printerr ("wxpay-sim: --tls-cert and --tls-key go together\n");
      return 2;
    }
  if (client_ca_file != NULL && tls_cert == NULL)
    {
      g_printerr ("wxpay-sim: --client-ca needs --tls-cert and --tls-key\n");
      return 2;
    }
  if (tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (certificate == NULL)
        {
          g_printerr ("wxpay-sim: --tls-cert: %s\n", error->message);
          return 2;
        }
    }
  if (client_ca_file != NULL)
    {
      client_ca = g_tls_file_database_new (client_ca_file, &error);
      if (client_ca == NULL)
        {
          g_printerr ("wxpay-sim: --client-ca: %s\n", error->message);
          return 2;
        }
    }

  server = g_object_new (WXPAY_TYPE_SIM_SERVER,
                         "appid", appid,
                         "mch-id", mch_id,
                         "api-key", key,
                         "seed", seed,
                         "time-scale", time_scale,
                         "close-min-age", (guint)close_min_age,
                         "tls-certificate", certificate,
                         "client-ca", client_ca,
                         "state-file", state_file,
                         "header-timeout", (guint)header_timeout,
                         "idle-timeout", (guint)idle_timeout,
                         "max-connections", (guint)max_connections,
                         "order-retention", (guint)order_retention * 3600,
                         "state-interval", (guint)state_interval,
                         NULL);
  if (key != NULL)
    memset (key, 0, strlen (key));

  if (v3_dir != NULL && !wxpay_sim_server_setup_v3 (server, v3_dir, &error))
    {
      g_printerr ("wxpay-sim: --v3-dir: %s\n", error->message);
      return 2;
    }
  if (v3_platform_cert && v3_dir == NULL)
    {
      g_printerr ("wxpay-sim: --v3-platform-cert needs --v3-dir\n");
      return 2;
    }
  /* Five years, as WeChat's platform certificates. */
  if (v3_platform_cert && !wxpay_sim_server_add_v3_platform_certificate (server,
                                                                         G_GINT64_CONSTANT (5) * 365 * 86400,
                                                                         TRUE, &error))
    {
      g_printerr ("wxpay-sim: --v3-platform-cert: %s\n", error->message);
      return 2;
    }

  if (!wxpay_sim_server_listen (server, bind != NULL ? bind : "127.0.0.1", (guint)port, &error))
    {
      g_printerr ("wxpay-sim: cannot listen: %s\n", error->message);
      return 1;
    }

  /* Before the URL: whoever reads it may stop us at once, and must find the state saved. */
  main_loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, NULL);
  g_unix_signal_add (SIGTERM, quit_cb, NULL);

  /* The first line of stdout is the contract with whoever spawned us. */
  printf ("%s\n", wxpay_sim_server_get_base_uri (server));
  fflush (stdout);

  g_main_loop_run (main_loop);

  /* Writes the state file one last time. */
  wxpay_sim_server_shutdown (server);
  g_clear_pointer (&main_loop, g_main_loop_unref);

  return 0;
}
