/* listener-proc.c: a SaomaNotifyListener and its checkout in a process of their own, so that a
 * test can attack it over real sockets and read its memory and descriptors from /proc.
 *
 *   listener-proc --gateway URL --ledger PATH [--header-timeout S] [--idle-timeout S]
 *                 [--max-connections N] [--charge FEN]
 *
 * Prints "port N" once listening; with --charge, "otn OUT_TRADE_NO" once the order waits for
 * payment and then the attempt's final state. Polls only every 10 minutes, so a PAID seen
 * within the test comes from a notification. Runs until its standard input closes.
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/saoma-checkout.h"
#include "core/saoma-notify-listener.h"
#include "core/saoma-wxpay2-gateway.h"
#include "sim/wxpay-sim-server.h"

static char  *gateway_url;
static char  *ledger_path;
static int    header_timeout = -1;
static int    idle_timeout = -1;
static int    max_connections = -1;
static gint64 charge_fen;

static void
state_cb (SaomaCheckout *checkout,
          GParamSpec    *pspec,
          gpointer       user_data)
{
  static gboolean    told_otn;
  SaomaCheckoutState state = saoma_checkout_get_state (checkout);

  if (state == SAOMA_CHECKOUT_WAITING && !told_otn)
    {
      told_otn = TRUE;
      printf ("otn %s\n", saoma_checkout_get_out_trade_no (checkout));
    }
  else if (state == SAOMA_CHECKOUT_PAID || state == SAOMA_CHECKOUT_CLOSED ||
           state == SAOMA_CHECKOUT_FAILED)
    printf ("%s\n", saoma_checkout_state_to_string (state));
  fflush (stdout);
}

static void
stdin_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GMainLoop *loop = user_data;

  g_input_stream_skip_finish (G_INPUT_STREAM (object), result, NULL);
  g_main_loop_quit (loop);
}

int
main (int   argc,
      char *argv[])
{
  GOptionEntry entries[] = {
    { "gateway", 0, 0, G_OPTION_ARG_STRING, &gateway_url, "gateway", "URL" },
    { "ledger", 0, 0, G_OPTION_ARG_FILENAME, &ledger_path, "ledger", "PATH" },
    { "header-timeout", 0, 0, G_OPTION_ARG_INT, &header_timeout, "seconds", "S" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, "seconds", "S" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections, "connections", "N" },
    { "charge", 0, 0, G_OPTION_ARG_INT64, &charge_fen, "amount", "FEN" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();
  g_autoptr(SaomaCheckout) checkout = NULL;
  g_autoptr(SaomaNotifyListener) listener = NULL;
  g_autoptr(GInputStream) in = NULL;
  WxpayServerGuard *guard;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || gateway_url == NULL ||
      ledger_path == NULL)
    {
      g_printerr ("listener-proc: %s\n", error ? error->message : "--gateway and --ledger");
      return 2;
    }

  ledger = saoma_ledger_open_sync (ledger_path, NULL, &error);
  if (ledger == NULL)
    {
      g_printerr ("listener-proc: %s\n", error->message);
      return 1;
    }

  listener = saoma_notify_listener_new (NULL, NULL);
  guard = saoma_notify_listener_get_guard (listener);
  if (header_timeout >= 0)
    wxpay_server_guard_set_header_timeout (guard, (guint)header_timeout);
  if (idle_timeout >= 0)
    wxpay_server_guard_set_idle_timeout (guard, (guint)idle_timeout);
  if (max_connections >= 0)
    wxpay_server_guard_set_max_connections (guard, (guint)max_connections);
  if (!saoma_notify_listener_listen (listener, "127.0.0.1", 0, &error))
    {
      g_printerr ("listener-proc: %s\n", error->message);
      return 1;
    }

  gateway = saoma_wxpay2_gateway_new_for_merchant (gateway_url, WXPAY_SIM_DEFAULT_APPID,
                                                   WXPAY_SIM_DEFAULT_MCH_ID,
                                                   WXPAY_SIM_DEFAULT_KEY, 0);
  g_free (config->notify_url);
  config->notify_url = g_strdup (saoma_notify_listener_get_uri (listener));
  config->poll_interval_ms = 600000;
  config->slow_poll_interval_ms = 600000;
  checkout = saoma_checkout_new (gateway, SAOMA_STORE (ledger), NULL, config);
  saoma_notify_listener_set_checkout (listener, checkout);
  g_signal_connect (checkout, "notify::state", G_CALLBACK (state_cb), NULL);

  printf ("port %u\n", saoma_notify_listener_get_port (listener));
  fflush (stdout);

  if (charge_fen > 0 && !saoma_checkout_charge (checkout, charge_fen, "listener-proc", &error))
    {
      g_printerr ("listener-proc: %s\n", error->message);
      return 1;
    }

  /* Reading nothing but the end: the parent closes the pipe (or dies) to stop us. */
  in = g_unix_input_stream_new (0, FALSE);
  g_input_stream_skip_async (in, G_MAXSSIZE, G_PRIORITY_DEFAULT, NULL, stdin_closed_cb, loop);
  g_main_loop_run (loop);

  saoma_notify_listener_shutdown (listener);
  return 0;
}
