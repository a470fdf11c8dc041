/* saoma-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The headless commands of the saoma binary. Each command is one row of `commands[]`: the
 * option that selects it, its argument, and a run function; the options every command may
 * use live in `Cli` and `shared_entries`. To add a command (--close-day, --reconcile …), add a
 * run function and a row; add its own options to shared_entries.
 *
 * Exit status: 0 success (for --charge: paid), 1 the operation did not succeed, 2 usage error.
 *
 * Debugging aid for the crash test only: SAOMA_CRASH_AT=<point>[:<n>] makes the engine kill
 * its own process with SIGKILL at a named point (see saoma-checkout.c for the list).
 */

#define G_LOG_DOMAIN "saoma-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include <fcntl.h>
#include <gio/gunixoutputstream.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/saoma-flow.h"
#include "saoma-bench-stamp.h"
#include "saoma-cli.h"
#include "saoma-day-report.h"
#include "saoma-export.h"
#include "saoma-late-payments.h"
#include "saoma-lease.h"
#include "saoma-log.h"
#include "saoma-merchant.h"
#include "saoma-money.h"
#include "saoma-paths.h"
#include "saoma-pin-guard.h"
#include "saoma-reconcile.h"
#include "saoma-refunder.h"
#include "saoma-till.h"

/* What the CLI says of its own, in the user's words (core's English goes to the logs). */
typedef enum {
  CLI_WORD_TAKEN_OVER,       /* %s: the order number */
  CLI_WORD_LEFT_ALONE_PID,   /* %s: the order or refund number, %d: the owner's pid */
  CLI_WORD_LEFT_ALONE,       /* %s: the order or refund number */
} CliWord;

/* @format with its "%s" and "%d" filled, in order, by the NULL-terminated texts after it: the
 * formats are translations, so no printf reads them. */
static char *
fill_words (const char *format,
            ...)
{
  GString *text = g_string_new (NULL);
  const char *arg;
  va_list args;

  va_start (args, format);
  arg = va_arg (args, const char *);
  for (const char *p = format; *p != '\0'; p++)
    {
      if (p[0] == '%' && (p[1] == 's' || p[1] == 'd') && arg != NULL)
        {
          g_string_append (text, arg);
          arg = va_arg (args, const char *);
          p++;
        }
      else if (p[0] == '%' && p[1] == '%')
        g_string_append_c (text, *++p);
      else
        g_string_append_c (text, *p);
    }
  va_end (args);
  return g_string_free (text, FALSE);
}

/* The CLI's own sentences in the user's words, filled by fill_words(). */
static const char *
cli_word (CliWord word)
{
  static const char *const words[] = {
    [CLI_WORD_TAKEN_OVER] = N_("%s: another till took over this payment; "
                               "this one sent nothing more for it"),
    [CLI_WORD_LEFT_ALONE_PID] = N_("%s: owned by a running till (pid %d), left alone"),
    [CLI_WORD_LEFT_ALONE] = N_("%s: owned by another running till, left alone"),
  };

  return g_dgettext (GETTEXT_PACKAGE, words[word]);
}


#define EXIT_USAGE 2

/* The demo merchant of wxpay-sim (src/sim/wxpay-sim-server.h); core does not link the sim. */
#define DEMO_APPID  "wxd930ea5d5a258f4f"
#define DEMO_MCH_ID "10000100"
#define DEMO_KEY    "192006250b4c09247ec02edce69f6a2d"

typedef struct _Cli Cli;

typedef struct {
  const char *long_name;
  GOptionArg  arg;            /* G_OPTION_ARG_NONE or G_OPTION_ARG_STRING */
  const char *arg_description;
  const char *description;
  gboolean    needs_gateway;
  int       (*run) (Cli        *cli,
                    const char *value);
} CliCommand;

struct _Cli
{
  /* Shared options. */
  char      *body;
  char      *output;
  char      *ledger_path;
  char      *gateway;
  char      *appid;
  char      *mch_id;
  char      *key_file;
  char      *client_cert;
  char      *api;                /* "v2" (default) or "v3" */
  char      *mch_private_key;    /* v3: files and ids; the keys never on the command line */
  char      *mch_serial;
  char      *wechatpay_public_key;
  char      *wechatpay_public_key_id;
  char      *apiv3_key_file;
  char      *sim_v3_dir;
  char      *till;
  char      *notify_url;
  char      *notify_listen;
  char      *amount;
  char      *reason;
  char      *pin_file;
  char      *decision;
  gboolean   accounting;
  int        close_delay;
  int        poll_interval;
  int        slow_poll_interval;
  int        retry_interval;
  int        validity;
  int        timeout;
  gboolean   verbose;
  char      *auth_code;
  int        micropay_give_up;

  /* Per command: the string value, or the flag. */
  char      *values[8];
  gboolean   flags[8];

  /* Runtime. */
  SaomaCliGatewayNew gateway_new;
  char      *api_key;
  char      *apiv3_key;
  GMainLoop *loop;
  int        status;
};

static int run_charge     (Cli *cli, const char *value);
static int run_recover    (Cli *cli, const char *value);
static int run_export_day (Cli *cli, const char *value);
static int run_reconcile  (Cli *cli, const char *value);
static int run_refund     (Cli *cli, const char *value);
static int run_late       (Cli *cli, const char *value);
static int run_decide     (Cli *cli, const char *value);

static const CliCommand commands[] = {
  { "charge", G_OPTION_ARG_STRING, "AMOUNT",
    "Create an order for AMOUNT yuan, print its out_trade_no and code_url, wait until it is "
    "final and print PAID, CLOSED or FAILED: reason (exit 0 only when paid)",
    TRUE, run_charge },
  { "recover", G_OPTION_ARG_NONE, NULL,
    "Drive every unfinished attempt and refund in the ledger to a final state and print a "
    "summary (exit 1 when a refund cannot be resumed, e.g. without --client-cert)",
    TRUE, run_recover },
  { "export-day", G_OPTION_ARG_STRING, "YYYY-MM-DD",
    "Write the attempts of a local day as CSV (to --output, or stdout)",
    FALSE, run_export_day },
  { "reconcile", G_OPTION_ARG_STRING, "YYYY-MM-DD",
    "Download WeChat's bill of a Beijing day, compare it with the ledger and print every "
    "discrepancy (CSV of all lines to --output); exit 0 only when everything matches",
    TRUE, run_reconcile },
  { "refund", G_OPTION_ARG_STRING, "OUT_TRADE_NO",
    "Refund --amount YUAN of a paid order (with --reason TEXT) after checking the manager PIN "
    "of --pin-file; needs --client-cert for a real merchant; prints the out_refund_no, then "
    "SUCCESS (exit 0) or why not",
    TRUE, run_refund },
  { "late-payments", G_OPTION_ARG_NONE, NULL,
    "List the late payments still waiting for a decision (one per line: out_trade_no, yuan, "
    "paid time, state); exit 0",
    FALSE, run_late },
  { "decide-late", G_OPTION_ARG_STRING, "OUT_TRADE_NO",
    "Record the manager's --decision (honoured or refunded) on a late payment, with --reason "
    "TEXT and the manager PIN of --pin-file",
    FALSE, run_decide },
};

G_STATIC_ASSERT (G_N_ELEMENTS (commands) <= G_N_ELEMENTS (((Cli *)0)->values));

static void
cli_clear (Cli *cli)
{
  g_free (cli->body);
  g_free (cli->output);
  g_free (cli->ledger_path);
  g_free (cli->gateway);
  g_free (cli->appid);
  g_free (cli->mch_id);
  g_free (cli->key_file);
  g_free (cli->client_cert);
  g_free (cli->api);
  g_free (cli->mch_private_key);
  g_free (cli->mch_serial);
  g_free (cli->wechatpay_public_key);
  g_free (cli->wechatpay_public_key_id);
  g_free (cli->apiv3_key_file);
  g_free (cli->sim_v3_dir);
  if (cli->apiv3_key != NULL)
    {
      memset (cli->apiv3_key, 0, strlen (cli->apiv3_key));
      g_free (cli->apiv3_key);
    }
  g_free (cli->till);
  g_free (cli->notify_url);
  g_free (cli->notify_listen);
  g_free (cli->amount);
  g_free (cli->reason);
  g_free (cli->pin_file);
  g_free (cli->decision);
  if (cli->auth_code != NULL)
    explicit_bzero (cli->auth_code, strlen (cli->auth_code));
  g_free (cli->auth_code);
  for (guint i = 0; i < G_N_ELEMENTS (cli->values); i++)
    g_free (cli->values[i]);
  if (cli->api_key != NULL)
    {
      memset (cli->api_key, 0, strlen (cli->api_key));
      g_free (cli->api_key);
    }
  g_clear_pointer (&cli->loop, g_main_loop_unref);
}

/**
 * saoma_cli_fail:
 * @status: the exit status to return
 * @format: printf-style message
 *
 * Returns: @status
 */
int
saoma_cli_fail (int         status,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  g_autofree char *safe = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* One line whatever the message quotes (a gateway's words, a file name): control characters
   * are escaped, so that nothing read from the network can forge a line of our output. */
  safe = saoma_log_escape (message);
  fprintf (stderr, "saoma: %s\n", safe);
  fflush (stderr);
  return status;
}

static gboolean
is_command_arg (const char *arg,
                const char *name)
{
  gsize len = strlen (name);

  return g_str_has_prefix (arg, "--") && strncmp (arg + 2, name, len) == 0 &&
         (arg[2 + len] == '\0' || arg[2 + len] == '=');
}

/* Quiet by default: the engine's progress messages are for --verbose / G_MESSAGES_DEBUG. */
static gboolean log_verbose;

static GLogWriterOutput
cli_log_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (!log_verbose && (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) != 0)
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static gboolean
is_loopback_gateway (const char *gateway)
{
  g_autoptr(GUri) uri = g_uri_parse (gateway, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (uri == NULL)
    return FALSE;
  host = g_uri_get_host (uri);
  return g_strcmp0 (host, "127.0.0.1") == 0 || g_strcmp0 (host, "localhost") == 0 ||
         g_strcmp0 (host, "::1") == 0 || g_strcmp0 (host, "[::1]") == 0;
}

/* The first line of @path, stripped, at most @max_len bytes (ids and the APIv3 key). */
static char *
read_line_file (const char *path,
                const char *what,
                gsize       max_len,
                int        *out_status)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      *out_status = saoma_cli_fail (EXIT_USAGE, "cannot read the %s: %s", what, error->message);
      return NULL;
    }
  g_strstrip (contents);
  if (*contents == '\0' || strlen (contents) > max_len)
    {
      memset (contents, 0, len);
      g_free (contents);
      *out_status = saoma_cli_fail (EXIT_USAGE, "the %s file %s is empty or too long", what,
                                    path);
      return NULL;
    }
  return contents;
}

/* API v3: the key files and ids of the options, or, for a local gateway, what wxpay-sim wrote
 * in --sim-v3-dir for what is not given. The APIv3 key only ever comes from a file. */
static int
load_credentials_v3 (Cli     *cli,
                     gboolean loopback)
{
  int status = 0;

  if (cli->sim_v3_dir != NULL)
    {
      if (!loopback)
        return saoma_cli_fail (EXIT_USAGE, "--sim-v3-dir is for a local gateway (wxpay-sim) only");
      if (cli->mch_private_key == NULL)
        cli->mch_private_key = g_build_filename (cli->sim_v3_dir, "apiclient_key.pem", NULL);
      /* A simulator in platform-certificate mode leaves no public key there. */
      if (cli->wechatpay_public_key == NULL)
        {
          g_autofree char *path = g_build_filename (cli->sim_v3_dir, "pub_key.pem", NULL);

          if (g_file_test (path, G_FILE_TEST_EXISTS))
            cli->wechatpay_public_key = g_steal_pointer (&path);
        }
      if (cli->apiv3_key_file == NULL)
        cli->apiv3_key_file = g_build_filename (cli->sim_v3_dir, "apiv3_key.txt", NULL);
      if (cli->mch_serial == NULL)
        {
          g_autofree char *path = g_build_filename (cli->sim_v3_dir, "apiclient_serial.txt",
                                                    NULL);

          cli->mch_serial = read_line_file (path, "merchant serial", 64, &status);
          if (cli->mch_serial == NULL)
            return status;
        }
      if (cli->wechatpay_public_key_id == NULL && cli->wechatpay_public_key != NULL)
        {
          g_autofree char *path = g_build_filename (cli->sim_v3_dir, "pub_key_id.txt", NULL);

          cli->wechatpay_public_key_id = read_line_file (path, "WeChat Pay public key id", 64,
                                                         &status);
          if (cli->wechatpay_public_key_id == NULL)
            return status;
        }
    }

  /* Neither public key option: platform certificates, downloaded with the APIv3 key. */
  if (cli->mch_private_key == NULL || cli->mch_serial == NULL || (cli->wechatpay_public_key == NULL) != (cli->wechatpay_public_key_id == NULL) || cli->apiv3_key_file == NULL)
    return saoma_cli_fail (EXIT_USAGE,
                           "--api v3 needs --mch-private-key, --mch-serial, "
                           "--apiv3-key-file, and --wechatpay-public-key with "
                           "--wechatpay-public-key-id (neither: platform certificates) (or "
                           "--sim-v3-dir for a local gateway)");

  cli->apiv3_key = read_line_file (cli->apiv3_key_file, "APIv3 key", 32, &status);
  if (cli->apiv3_key == NULL)
    return status;
  if (strlen (cli->apiv3_key) != 32)
    return saoma_cli_fail (EXIT_USAGE, "the key file %s does not hold a 32-character APIv3 key",
                           cli->apiv3_key_file);

  if (cli->appid == NULL || cli->mch_id == NULL)
    {
      if (!loopback)
        return saoma_cli_fail (EXIT_USAGE,
                               "--appid and --mch-id are required for a non-local gateway");
      if (cli->appid == NULL)
        cli->appid = g_strdup (DEMO_APPID);
      if (cli->mch_id == NULL)
        cli->mch_id = g_strdup (DEMO_MCH_ID);
    }

  return 0;
}

/* The merchant credentials. The API key only ever comes from a file (never argv). */
static int
load_credentials (Cli *cli)
{
  g_autoptr(GUri) uri = NULL;
  gboolean loopback;

  if (cli->api_key != NULL || cli->apiv3_key != NULL)
    return 0; /* already loaded */

  if (cli->gateway == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--gateway URL is required (e.g. http://127.0.0.1:8765)");

  uri = g_uri_parse (cli->gateway, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return saoma_cli_fail (EXIT_USAGE, "--gateway “%s” is not an http(s) URL", cli->gateway);

  loopback = is_loopback_gateway (cli->gateway);

  if (g_strcmp0 (cli->api, "v3") == 0)
    return load_credentials_v3 (cli, loopback);

  if (cli->key_file != NULL)
    {
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_file_get_contents (cli->key_file, &contents, NULL, &error))
        return saoma_cli_fail (EXIT_USAGE, "cannot read the key file: %s", error->message);
      g_strstrip (contents);
      if (*contents == '\0')
        {
          memset (contents, 0, strlen (contents));
          return saoma_cli_fail (EXIT_USAGE, "the key file %s is empty", cli->key_file);
        }
      if (strlen (contents) != 32)
        {
          memset (contents, 0, strlen (contents));
          return saoma_cli_fail (EXIT_USAGE, "the key file %s does not hold a 32-character API key",
                                 cli->key_file);
        }
      cli->api_key = g_steal_pointer (&contents);
    }
  else if (loopback)
    cli->api_key = g_strdup (DEMO_KEY);
  else
    return saoma_cli_fail (EXIT_USAGE, "--key-file FILE is required for a non-local gateway");

  if (cli->appid == NULL || cli->mch_id == NULL)
    {
      if (!loopback)
        return saoma_cli_fail (EXIT_USAGE,
                               "--appid and --mch-id are required for a non-local gateway");
      if (cli->appid == NULL)
        cli->appid = g_strdup (DEMO_APPID);
      if (cli->mch_id == NULL)
        cli->mch_id = g_strdup (DEMO_MCH_ID);
    }

  return 0;
}

static SaomaLedger *
open_ledger (Cli     *cli,
             GError **error)
{
  g_autofree char *path = cli->ledger_path ? g_strdup (cli->ledger_path)
                                           : saoma_ledger_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create %s: %s", dir, g_strerror (saved));
      return NULL;
    }

  return saoma_ledger_open_sync (path, NULL, error);
}

/* The till's settings from the shared options (the engine's defaults otherwise). */
static SaomaTillConfig *
make_config (Cli *cli)
{
  SaomaTillConfig *config = saoma_till_config_new ();

  config->store_path = g_strdup (cli->ledger_path);
  if (cli->till != NULL)
    {
      g_free (config->till_id);
      config->till_id = g_strdup (cli->till);
    }
  config->notify_url = g_strdup (cli->notify_url);
  if (cli->close_delay >= 0)
    config->close_delay_s = (guint)cli->close_delay;
  if (cli->poll_interval > 0)
    config->poll_interval_ms = (guint)cli->poll_interval;
  if (cli->slow_poll_interval > 0)
    config->slow_poll_interval_ms = (guint)cli->slow_poll_interval;
  else if (cli->poll_interval > 0)
    config->slow_poll_interval_ms = MAX ((guint)cli->poll_interval,
                                         MIN (config->slow_poll_interval_ms,
                                              (guint)cli->poll_interval * 5));
  if (cli->retry_interval > 0)
    config->retry_interval_ms = (guint)cli->retry_interval;
  else if (cli->poll_interval > 0)
    config->retry_interval_ms = MIN (config->retry_interval_ms, (guint)cli->poll_interval);
  if (cli->validity > 0)
    config->validity_s = (guint)cli->validity;
  if (cli->poll_interval > 0)
    config->micropay_poll_ms = (guint)cli->poll_interval;
  if (cli->micropay_give_up > 0)
    config->micropay_give_up_s = (guint)cli->micropay_give_up;
  /* WeChat's gateway is never on this machine: a local one is a simulator, whose reverse
   * needs no certificate of ours. */
  config->micropay_demo = cli->gateway != NULL && is_loopback_gateway (cli->gateway);

  /* Refunds follow the same intervals as orders: --retry-interval, --poll-interval. */
  if (cli->retry_interval > 0)
    config->refund_retry_interval_ms = (guint)cli->retry_interval;
  if (cli->poll_interval > 0)
    config->refund_query_interval_ms = (guint)cli->poll_interval;

  return config;
}

static int
check_numbers (Cli *cli)
{
  if (cli->validity != 0 && cli->validity < 60)
    return saoma_cli_fail (EXIT_USAGE,
                           "--validity must be at least 60 seconds (WeChat wants 300 for NATIVE)");
  if (cli->poll_interval < 0 || cli->slow_poll_interval < 0 || cli->retry_interval < 0)
    return saoma_cli_fail (EXIT_USAGE, "intervals must be positive");
  if (cli->close_delay < -1)
    return saoma_cli_fail (EXIT_USAGE, "--close-delay must be 0 or more seconds");
  if (cli->timeout < 0)
    return saoma_cli_fail (EXIT_USAGE, "--timeout must be positive");
  if (cli->micropay_give_up < 0)
    return saoma_cli_fail (EXIT_USAGE, "--micropay-give-up must be positive");
  return 0;
}

/* The merchant of the shared options; the client certificate only for @with_certificate. */
static SaomaMerchant *
make_merchant (Cli     *cli,
               gboolean with_certificate)
{
  SaomaMerchant *merchant = saoma_merchant_new ();

  merchant->base_uri = g_strdup (cli->gateway);
  merchant->appid = g_strdup (cli->appid);
  merchant->mch_id = g_strdup (cli->mch_id);
  merchant->api_key = g_strdup (cli->api_key);
  merchant->timeout_s = cli->timeout > 0 ? (guint)cli->timeout : 0;
  if (g_strcmp0 (cli->api, "v3") == 0)
    {
      /* v3 signs every call with the merchant key: no client certificate. */
      g_free (merchant->protocol);
      merchant->protocol = g_strdup ("v3");
      merchant->apiv3_key = g_strdup (cli->apiv3_key);
      merchant->mch_private_key_path = g_strdup (cli->mch_private_key);
      merchant->mch_serial = g_strdup (cli->mch_serial);
      merchant->wechatpay_public_key_path = g_strdup (cli->wechatpay_public_key);
      merchant->wechatpay_public_key_id = g_strdup (cli->wechatpay_public_key_id);
      return merchant;
    }
  if (with_certificate && cli->client_cert != NULL)
    {
      merchant->certificate_path = g_strdup (cli->client_cert);
      /* WeChat's PKCS#12 password is the mch_id. */
      merchant->certificate_password = g_strdup (cli->mch_id);
    }

  return merchant;
}

static void
start_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Credentials, then the till (ledger, gateway, engine, listener), started; with @resume, the
 * till also drives last run's unfinished attempts and refunds. @ready_cb (optional) runs as
 * soon as the engine exists, before any recovery work can finish, to connect its signals. */
static int
till_init (Cli        *cli,
           gboolean    resume,
           gboolean    with_certificate,
           GCallback   ready_cb,
           gpointer    ready_data,
           SaomaTill **out_till)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaTillConfig) config = NULL;
  g_autoptr(SaomaMerchant) merchant = NULL;
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(SaomaTill) till = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  int status;

  if ((status = check_numbers (cli)) != 0)
    return status;
  if ((status = load_credentials (cli)) != 0)
    return status;

  config = make_config (cli);
  config->resume_at_start = resume;

  if (cli->notify_listen != NULL)
    {
      g_autofree char *address = g_strdup (cli->notify_listen);
      char *colon = strrchr (address, ':');
      guint64 port = 0;

      if (colon != NULL)
        {
          *colon = '\0';
          if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
            return saoma_cli_fail (EXIT_USAGE, "--notify-listen wants ADDRESS[:PORT]");
        }
      config->listen_address = g_steal_pointer (&address);
      config->listen_port = (guint)port;
      /* Without --notify-url, WeChat is told to post to the listener (payments and refunds). */
      config->listener_is_notify_url = TRUE;
    }

  /* The ledger opens on its worker thread while the gateway is made here (its HTTP session,
   * the certificate): the two overlap, and --charge's insert waits for neither in turn. The
   * till is given the gateway before the opening can complete (nothing runs this thread's
   * main context until then), so it brings the engine up as if it had had it from the start. */
  till = saoma_till_new (config, NULL, NULL);
  if (ready_cb != NULL)
    g_signal_connect (till, "notify::refunder", ready_cb, ready_data);
  saoma_till_start_async (till, NULL, start_done_cb, &result);

  merchant = make_merchant (cli, with_certificate);
  gateway = cli->gateway_new (merchant, &error);
  saoma_bench_stamp ("gateway", NULL);
  if (gateway == NULL)
    {
      /* The opening ends before the command does. */
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      return saoma_cli_fail (EXIT_USAGE, merchant->certificate_path != NULL
                                           ? "cannot load the client certificate: %s" : "%s",
                             error->message);
    }
  saoma_till_set_gateway (till, gateway);

  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  saoma_bench_stamp ("till-up", NULL);
  if (!saoma_till_start_finish (till, result, &error))
    {
      if (saoma_till_get_ledger (till) == NULL)
        return saoma_cli_fail (1, "cannot open the ledger: %s", error->message);
      return saoma_cli_fail (1, "%s", error->message);
    }

  *out_till = g_steal_pointer (&till);
  return 0;
}

/* A till that is shut down (listener stopped) when the command ends. */
typedef SaomaTill CliTill;

static void
till_stop (CliTill *till)
{
  saoma_till_shutdown (till);
  g_object_unref (till);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliTill, till_stop)

/* --- --charge ------------------------------------------------------------------------------ */

typedef struct {
  Cli           *cli;
  SaomaCheckout *checkout;
  char          *out_trade_no;
  gboolean       printed_code_url;
  gboolean       finished;
  SaomaAttemptState final_state;
  guint          signals_seen;
  gboolean       micropay;      /* --auth-code: its CLOSED is REVOKED */
  gboolean       taken_over;    /* another till drives it now */
} ChargeRun;

static void
print_code_url (ChargeRun  *run,
                const char *code_url)
{
  if (run->printed_code_url)
    return;
  run->printed_code_url = TRUE;
  printf ("%s\n", code_url ? code_url : "");
  fflush (stdout);
}

static void
code_url_changed_cb (SaomaCheckout *checkout,
                     GParamSpec    *pspec,
                     ChargeRun     *run)
{
  const char *code_url = saoma_checkout_get_code_url (checkout);

  if (code_url != NULL)
    print_code_url (run, code_url);
}

/* The line as soon as the verified answer is in: the attempt and SUBMITTED are durable and the
 * order is sent, so WAITING's write (which follows) does not have to delay it. */
static void
code_url_answered_cb (SaomaCheckout *checkout,
                      const char    *out_trade_no,
                      const char    *code_url,
                      ChargeRun     *run)
{
  if (g_strcmp0 (out_trade_no, run->out_trade_no) == 0)
    print_code_url (run, code_url);
}

static void
attempt_finished_cb (SaomaCheckout *checkout,
                     SaomaAttempt  *attempt,
                     ChargeRun     *run)
{
  if (g_strcmp0 (saoma_attempt_get_out_trade_no (attempt), run->out_trade_no) != 0)
    return;

  run->finished = TRUE;
  run->final_state = saoma_attempt_get_state (attempt);
  g_main_loop_quit (run->cli->loop);
}

/* This process was stopped long enough for a recovery to take the attempt over: it sent
 * nothing more for it; the other till's outcome is the one on record. */
static void
taken_over_cb (SaomaCheckout *checkout,
               const char    *out_trade_no,
               ChargeRun     *run)
{
  if (g_strcmp0 (out_trade_no, run->out_trade_no) != 0)
    return;

  run->taken_over = TRUE;
  g_main_loop_quit (run->cli->loop);
}

static gboolean
charge_signal_cb (gpointer user_data)
{
  ChargeRun *run = user_data;

  /* First Ctrl-C: the cashier gives up (hide, close after the delay, watch for a late
   * payment). Second: stop waiting; --recover finishes the job later. */
  if (run->signals_seen++ == 0)
    {
      fprintf (stderr, "saoma: cancelling %s; waiting for WeChat to close it (Ctrl-C again "
               "to stop waiting)\n", run->out_trade_no);
      saoma_checkout_cancel (run->checkout);
    }
  else
    g_main_loop_quit (run->cli->loop);

  return G_SOURCE_CONTINUE;
}

static int
run_charge (Cli        *cli,
            const char *value)
{
  g_autoptr(CliTill) till = NULL;
  g_autoptr(GError) error = NULL;
  SaomaCheckout *checkout;
  ChargeRun run = { 0 };
  gint64 amount = 0;
  guint sigint_id, sigterm_id;
  int status;

  if (!saoma_money_parse (value, SAOMA_MONEY_DEFAULT_MAX_FEN, &amount, &error))
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);

  /* A charge drives its own attempt only: --recover finishes the others. A payment code may
   * need a reverse, which needs the client certificate. */
  if ((status = till_init (cli, FALSE, cli->auth_code != NULL, NULL, NULL, &till)) != 0)
    return status;
  checkout = saoma_till_get_checkout (till);

  run.cli = cli;
  run.checkout = checkout;
  g_signal_connect (checkout, "notify::code-url", G_CALLBACK (code_url_changed_cb), &run);
  g_signal_connect (checkout, "code-url-answered", G_CALLBACK (code_url_answered_cb), &run);
  g_signal_connect (checkout, "attempt-finished", G_CALLBACK (attempt_finished_cb), &run);
  g_signal_connect (checkout, "taken-over", G_CALLBACK (taken_over_cb), &run);

  if (cli->auth_code != NULL)
    {
      /* A payment code: classified before anything is written or sent. */
      if (!saoma_checkout_charge_code (checkout, amount, cli->body, cli->auth_code, &error))
        return saoma_cli_fail (g_error_matches (error, SAOMA_CHECKOUT_ERROR,
                                                SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE) ||
                               g_error_matches (error, SAOMA_CHECKOUT_ERROR,
                                                SAOMA_CHECKOUT_ERROR_ALIPAY_CODE)
                                 ? EXIT_USAGE : 1,
                               "%s", error->message);
      run.micropay = TRUE;
      /* Nothing to show: no code_url line. */
      run.printed_code_url = TRUE;
    }
  else if (!saoma_checkout_charge (checkout, amount, cli->body, &error))
    return saoma_cli_fail (1, "%s", error->message);

  run.out_trade_no = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  printf ("%s\n", run.out_trade_no);
  fflush (stdout);

  sigint_id = g_unix_signal_add (SIGINT, charge_signal_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, charge_signal_cb, &run);

  g_main_loop_run (cli->loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (checkout, &run);

  print_code_url (&run, NULL);

  if (run.taken_over)
    {
      g_autofree char *message = NULL;

      printf ("TAKEN OVER\n");
      fflush (stdout);
      message = fill_words (cli_word (CLI_WORD_TAKEN_OVER), run.out_trade_no, NULL);

      status = saoma_cli_fail (1, "%s", message);
      g_free (run.out_trade_no);
      return status;
    }

  if (!run.finished)
    {
      printf ("%s\n", saoma_checkout_state_to_string (saoma_checkout_get_state (checkout)));
      fflush (stdout);
      g_free (run.out_trade_no);
      return saoma_cli_fail (1, "stopped waiting; run saoma --recover to finish this attempt");
    }

  if (run.final_state == SAOMA_ATTEMPT_FAILED)
    {
      const GError *reason = saoma_checkout_get_error (checkout);
      g_autofree char *message = saoma_log_escape (reason ? reason->message : "rejected");

      printf ("FAILED: %s\n", message);
      fflush (stdout);
      status = saoma_cli_fail (1, "payment failed: %s", message);
    }
  else
    {
      printf ("%s\n", saoma_flow_state_to_string (run.micropay ? SAOMA_FLOW_MICROPAY
                                                              : SAOMA_FLOW_NATIVE,
                                                 run.final_state));
      fflush (stdout);
      status = run.final_state == SAOMA_ATTEMPT_PAID ? 0 : 1;
    }

  g_free (run.out_trade_no);
  return status;
}

/* --- --recover ----------------------------------------------------------------------------- */

typedef struct {
  Cli        *cli;
  GHashTable *finals;          /* out_trade_no → attempt state name */
  GHashTable *refund_finals;   /* out_refund_no → refund state name (final ones only) */
  guint       count;
  guint       refund_count;
  guint       left_alone;      /* attempts and refunds another running till drives */
  GError     *error;
  gboolean    interrupted;
} RecoverRun;

/* One stderr line per attempt or refund another running till drives (DESIGN.md, "Ownership"):
 * it is not ours to finish, and the user learns whom to look at. */
static void
recover_left_alone (RecoverRun *run,
                    const char *key,
                    const char *owner)
{
  g_autofree char *message = NULL;
  g_autofree char *safe = NULL;
  gint64 pid;

  run->left_alone++;
  if (saoma_lease_owner_parse (owner, NULL, &pid, NULL, NULL))
    {
      g_autofree char *pid_text = g_strdup_printf ("%d", (int) pid);

      message = fill_words (cli_word (CLI_WORD_LEFT_ALONE_PID), key, pid_text, NULL);
    }
  else
    message = fill_words (cli_word (CLI_WORD_LEFT_ALONE), key, NULL);

  safe = saoma_log_escape (message);
  fprintf (stderr, "saoma: %s\n", safe);
}

static void
recover_attempt_left_alone_cb (SaomaCheckout *checkout,
                               SaomaAttempt  *attempt,
                               const char    *owner,
                               RecoverRun    *run)
{
  recover_left_alone (run, saoma_attempt_get_out_trade_no (attempt), owner);
}

static void
recover_refund_left_alone_cb (SaomaRefunder *refunder,
                              const char    *out_refund_no,
                              const char    *owner,
                              RecoverRun    *run)
{
  recover_left_alone (run, out_refund_no, owner);
}

static void
recover_finished_cb (SaomaCheckout *checkout,
                     SaomaAttempt  *attempt,
                     RecoverRun    *run)
{
  g_hash_table_replace (run->finals, g_strdup (saoma_attempt_get_out_trade_no (attempt)),
                        (gpointer) saoma_attempt_state_to_string (
                          saoma_attempt_get_state (attempt)));
}

static void
recover_refund_updated_cb (SaomaRefunder     *refunder,
                           SaomaLedgerRefund *row,
                           RecoverRun        *run)
{
  if (saoma_refund_state_is_final (row->state))
    g_hash_table_replace (run->refund_finals, g_strdup (row->out_refund_no),
                          (gpointer)saoma_refund_state_to_string (row->state));
}

/* The till's engine exists: follow what its recovery finishes. */
static void
recover_ready_cb (SaomaTill  *till,
                  GParamSpec *pspec,
                  RecoverRun *run)
{
  g_signal_connect (saoma_till_get_checkout (till), "attempt-finished",
                    G_CALLBACK (recover_finished_cb), run);
  g_signal_connect (saoma_till_get_refunder (till), "refund-updated",
                    G_CALLBACK (recover_refund_updated_cb), run);
  g_signal_connect (saoma_till_get_checkout (till), "left-alone",
                    G_CALLBACK (recover_attempt_left_alone_cb), run);
  g_signal_connect (saoma_till_get_refunder (till), "left-alone",
                    G_CALLBACK (recover_refund_left_alone_cb), run);
}

static void
recover_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RecoverRun *run = user_data;

  saoma_till_wait_recovered_finish (SAOMA_TILL (object), result, &run->count,
                                    &run->refund_count, &run->error);
  g_main_loop_quit (run->cli->loop);
}

static gboolean
recover_signal_cb (gpointer user_data)
{
  RecoverRun *run = user_data;

  run->interrupted = TRUE;
  g_main_loop_quit (run->cli->loop);
  return G_SOURCE_CONTINUE;
}

/* ": 2 PAID, 1 CLOSED" in the order of @names, counting the values of @finals. */
static void
append_tally (GString     *summary,
              GHashTable  *finals,
              const char **names,
              guint        n_names)
{
  for (guint i = 0, shown = 0; i < n_names; i++)
    {
      GHashTableIter iter;
      gpointer state;
      guint n = 0;

      g_hash_table_iter_init (&iter, finals);
      while (g_hash_table_iter_next (&iter, NULL, &state))
        if (g_strcmp0 (state, names[i]) == 0)
          n++;
      if (n == 0)
        continue;
      g_string_append_printf (summary, "%s %u %s", shown++ == 0 ? ":" : ",", n, names[i]);
    }
}

static int
run_recover (Cli        *cli,
             const char *value)
{
  const char *attempt_states[] = {
    saoma_attempt_state_to_string (SAOMA_ATTEMPT_PAID),
    saoma_attempt_state_to_string (SAOMA_ATTEMPT_CLOSED),
    saoma_attempt_state_to_string (SAOMA_ATTEMPT_FAILED),
    saoma_attempt_state_to_string (SAOMA_ATTEMPT_PARTIALLY_REFUNDED),
    saoma_attempt_state_to_string (SAOMA_ATTEMPT_REFUNDED),
  };
  const char *refund_states[] = {
    saoma_refund_state_to_string (SAOMA_REFUND_SUCCESS),
    saoma_refund_state_to_string (SAOMA_REFUND_REFUNDCLOSE),
    saoma_refund_state_to_string (SAOMA_REFUND_CHANGE),
    saoma_refund_state_to_string (SAOMA_REFUND_FAILED),
  };
  g_autoptr(CliTill) till = NULL;
  RecoverRun run = { 0 };
  g_autoptr(GString) summary = g_string_new (NULL);
  guint sigint_id, sigterm_id;
  guint unfinished;
  int status;

  run.cli = cli;
  run.finals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run.refund_finals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Before the till starts: its recovery begins as soon as the ledger is open. */
  sigint_id = g_unix_signal_add (SIGINT, recover_signal_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, recover_signal_cb, &run);

  /* The till resumes attempts and refunds; the client certificate lets refunds be resent. */
  status = till_init (cli, TRUE, TRUE, G_CALLBACK (recover_ready_cb), &run, &till);
  if (status == 0)
    {
      saoma_till_wait_recovered_async (till, NULL, recover_done_cb, &run);
      if (!run.interrupted)
        g_main_loop_run (cli->loop);
      g_signal_handlers_disconnect_by_data (saoma_till_get_checkout (till), &run);
      g_signal_handlers_disconnect_by_data (saoma_till_get_refunder (till), &run);
      g_signal_handlers_disconnect_by_data (till, &run);
    }

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (status != 0)
    ; /* till_init said why */
  else if (run.interrupted)
    status = saoma_cli_fail (1, "interrupted: %u attempts and %u refunds resolved so far",
                             g_hash_table_size (run.finals), g_hash_table_size (run.refund_finals));
  else if (run.error != NULL)
    status = saoma_cli_fail (1, "recovery failed: %s", run.error->message);
  else
    {
      g_string_append_printf (summary, "recovered %u", run.count);
      append_tally (summary, run.finals, attempt_states, G_N_ELEMENTS (attempt_states));
      g_string_append_printf (summary, "; refunds %u", run.refund_count);
      append_tally (summary, run.refund_finals, refund_states, G_N_ELEMENTS (refund_states));

      /* Resumed but not final: nothing could be sent (no certificate); still in the ledger
       * for a run that can. */
      unfinished = run.refund_count - MIN (run.refund_count,
                                           g_hash_table_size (run.refund_finals));
      if (unfinished > 0)
        g_string_append_printf (summary, "%s %u unfinished",
                                g_hash_table_size (run.refund_finals) > 0 ? "," : ":",
                                unfinished);
      if (run.left_alone > 0)
        g_string_append_printf (summary, "; left alone %u", run.left_alone);
      printf ("%s\n", summary->str);
      fflush (stdout);
      if (unfinished > 0)
        status = saoma_cli_fail (1, "%u refunds could not be resumed (is --client-cert missing?)",
                                 unfinished);
    }

  g_clear_error (&run.error);
  g_hash_table_unref (run.finals);
  g_hash_table_unref (run.refund_finals);
  return status;
}

/**
 * saoma_cli_fail_error:
 * @status: the exit status
 * @error: what went wrong
 *
 * saoma_cli_fail() with @error in the user's words (saoma_cli_error_words()).
 *
 * Returns: @status
 */
int
saoma_cli_fail_error (int           status,
                      const GError *error)
{
  g_autofree char *words = saoma_cli_error_words (error);

  return saoma_cli_fail (status, "%s", words);
}

/* --- --export-day -------------------------------------------------------------------------- */

/* Core writes English for the logs (STYLE.md: core does not translate); these are the
 * sentences of its errors in the user's words, each with its one "%s" where core put the order
 * number, the day or the ledger's own (technical, untranslated) message. */
static const struct {
  GQuark    (*domain) (void);
  int         code;
  const char *format;
} error_words[] = {
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_FAILED,
    N_("The ledger could not be read: %s") },
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_FAILED,
    N_("The decision could not be recorded: %s") },
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_NOT_FOUND,
    N_("There is no order %s.") },
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_NOT_LATE,
    N_("Order %s is not a late payment: there is nothing to decide.") },
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_ALREADY_DECIDED,
    N_("A decision on order %s is already recorded.") },
  { saoma_late_payment_error_quark, SAOMA_LATE_PAYMENT_ERROR_NOT_REFUNDED,
    N_("Order %s has not been refunded: refund it first.") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_FAILED,
    N_("The ledger could not be read: %s") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_FAILED,
    N_("The report could not be saved: %s") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_FAILED,
    N_("The day close could not be recorded: %s") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_FAILED,
    N_("The reopening could not be recorded: %s") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_ALREADY_CLOSED,
    N_("The day %s has already been closed.") },
  { saoma_day_report_error_quark, SAOMA_DAY_REPORT_ERROR_NOT_CLOSED,
    N_("The day %s is not closed.") },
};

/* The text @message holds where @format has its "%s", or NULL when @message is not @format's. */
static char *
error_words_argument (const char *message,
                      const char *format)
{
  const char *hole = strstr (format, "%s");
  gsize before, after, length = strlen (message);

  before = hole - format;
  after = strlen (hole + 2);
  if (length < before + after || strncmp (message, format, before) != 0
      || strcmp (message + length - after, hole + 2) != 0)
    return NULL;
  return g_strndup (message + before, length - before - after);
}

/**
 * saoma_cli_error_words:
 * @error: an error
 *
 * Returns: (transfer full): @error's message in the user's words
 */
char *
saoma_cli_error_words (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (error_words); i++)
    {
      g_autofree char *argument = NULL;

      if (error->domain != error_words[i].domain () || error->code != error_words[i].code)
        continue;
      argument = error_words_argument (error->message, error_words[i].format);
      if (argument != NULL)
        return fill_words (g_dgettext (GETTEXT_PACKAGE, error_words[i].format), argument, NULL);
    }
  return g_strdup (error->message);
}

/* The accountants' words in the user's language (core exports English keys). */
const char *
saoma_cli_accounting_word (const char *key,
                           gpointer    user_data)
{
  static const struct {
    const char *key;
    const char *context;
    const char *text;
  } words[] = {
    { "type", "export column", NC_("export column", "Type") },
    { "time", "export column", NC_("export column", "Time") },
    { "till", "export column", NC_("export column", "Till") },
    { "out_trade_no", "export column", NC_("export column", "Order number") },
    { "out_refund_no", "export column", NC_("export column", "Refund number") },
    { "wechat_id", "export column", NC_("export column", "WeChat number") },
    { "amount", "export column", NC_("export column", "Amount (yuan)") },
    { "state", "export column", NC_("export column", "State") },
    { "note", "export column", NC_("export column", "Note") },
    { "method", "export column", NC_("export column", "Method") },
    { "NATIVE", "payment method", NC_("payment method", "QR code") },
    { "MICROPAY", "payment method", NC_("payment method", "Payment code") },
    { "order", "export row", NC_("export row", "Order") },
    { "refund", "export row", NC_("export row", "Refund") },
    { "CREATED", "attempt state", NC_("attempt state", "Creating") },
    { "SUBMITTED", "attempt state", NC_("attempt state", "Sent") },
    { "WAITING", "attempt state", NC_("attempt state", "Waiting for scan") },
    { "UNKNOWN", "attempt state", NC_("attempt state", "Checking") },
    { "CLOSING", "attempt state", NC_("attempt state", "Closing") },
    { "PAID", "attempt state", NC_("attempt state", "Paid") },
    { "CLOSED", "attempt state", NC_("attempt state", "Closed") },
    { "FAILED", "attempt state", NC_("attempt state", "Failed") },
    { "PARTIALLY_REFUNDED", "attempt state", NC_("attempt state", "Partly refunded") },
    { "REFUNDED", "attempt state", NC_("attempt state", "Refunded") },
  };
  static const struct {
    const char *key;
    const char *text;
  } refund_words[] = {
    { "SUCCESS", NC_("refund state", "Refunded") },
    { "PROCESSING", NC_("refund state", "Processing") },
    { "REFUNDCLOSE", NC_("refund state", "Refund closed") },
    { "CHANGE", NC_("refund state", "Needs manual handling") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refund_words); i++)
    if (strcmp (key, refund_words[i].key) == 0)
      return g_dpgettext2 (GETTEXT_PACKAGE, "refund state", refund_words[i].text);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strcmp (key, words[i].key) == 0)
      return g_dpgettext2 (GETTEXT_PACKAGE, words[i].context, words[i].text);
  return key;
}

static int
run_export_day (Cli        *cli,
                const char *value)
{
  GDate day;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GOutputStream) stream = NULL;
  g_autoptr(GFile) file = NULL;
  guint rows = 0;

  if (!saoma_export_parse_date (value, &day, &error))
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);

  /* Never create a ledger just to export an empty day from a mistyped path. */
  if (cli->ledger_path != NULL && !g_file_test (cli->ledger_path, G_FILE_TEST_EXISTS))
    return saoma_cli_fail (1, "no ledger at %s", cli->ledger_path);

  ledger = open_ledger (cli, &error);
  if (ledger == NULL)
    return saoma_cli_fail (1, "cannot open the ledger: %s", error->message);

  if (cli->output != NULL)
    {
      file = g_file_new_for_commandline_arg (cli->output);
      /* 0600: a day's takings are the shop's business, not every local user's. */
      stream = G_OUTPUT_STREAM (saoma_export_create_file (file, NULL, &error));
      if (stream == NULL)
        return saoma_cli_fail (1, "cannot write %s: %s", cli->output, error->message);
    }
  else
    stream = g_unix_output_stream_new (STDOUT_FILENO, FALSE);

  if (!(cli->accounting
           ? saoma_export_flat_day_to_stream (ledger, &day, NULL, saoma_cli_accounting_word, NULL,
                                              stream, &rows, NULL, &error)
           : saoma_export_day_to_stream (ledger, &day, NULL, stream, &rows, NULL, &error)) ||
      !g_output_stream_close (stream, NULL, &error))
    return saoma_cli_fail (1, "export failed: %s", error->message);

  if (cli->output != NULL)
    fprintf (stderr, "saoma: wrote %u attempts to %s\n", rows, cli->output);

  return 0;
}

/* --- --reconcile (issue 7; the work is in saoma-reconcile.c) ------------------------------ */

static void
reconcile_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static int
run_reconcile (Cli        *cli,
               const char *value)
{
  GDate day;
  g_autoptr(GError) error = NULL;
  g_autoptr(CliTill) till = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaReconcile) reconcile = NULL;
  g_autofree char *bill_total = NULL;
  g_autofree char *local_total = NULL;
  guint n_items;
  int status;

  if (!saoma_export_parse_date (value, &day, &error))
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);
  if ((status = check_numbers (cli)) != 0 || (status = load_credentials (cli)) != 0)
    return status;
  if (cli->ledger_path != NULL && !g_file_test (cli->ledger_path, G_FILE_TEST_EXISTS))
    return saoma_cli_fail (1, "no ledger at %s", cli->ledger_path);

  /* Comparing is not driving: this till resumes nothing. */
  if ((status = till_init (cli, FALSE, FALSE, NULL, NULL, &till)) != 0)
    return status;

  saoma_reconcile_run_async (saoma_till_get_gateway (till), saoma_till_get_ledger (till), &day,
                             NULL, reconcile_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reconcile = saoma_reconcile_run_finish (result, &error);
  if (reconcile == NULL)
    return saoma_cli_fail (1, "reconciliation failed: %s", error->message);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (reconcile));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(SaomaReconcileItem) item = g_list_model_get_item (G_LIST_MODEL (reconcile), i);
      SaomaReconcileKind kind = saoma_reconcile_item_get_kind (item);
      gint64 w = saoma_reconcile_item_get_wechat_amount (item);
      gint64 l = saoma_reconcile_item_get_local_amount (item);
      g_autofree char *wechat = w >= 0 ? saoma_money_format_plain (w) : g_strdup ("-");
      g_autofree char *local = l >= 0 ? saoma_money_format_plain (l) : g_strdup ("-");
      g_autofree char *otn = NULL;
      g_autofree char *orn = NULL;
      g_autofree char *detail = NULL;

      if (!saoma_reconcile_kind_is_problem (kind))
        continue;
      /* The bill's lines are WeChat's text, unsigned: one escaped line per item. */
      otn = saoma_log_escape (saoma_reconcile_item_get_out_trade_no (item));
      orn = saoma_reconcile_kind_is_refund (kind)
              ? saoma_log_escape (saoma_reconcile_item_get_out_refund_no (item)) : g_strdup ("");
      detail = saoma_log_escape (saoma_reconcile_item_get_detail (item));
      printf ("%s %s%s%s wechat=%s local=%s: %s\n", saoma_reconcile_kind_to_string (kind), otn,
              saoma_reconcile_kind_is_refund (kind) ? " " : "", orn, wechat, local, detail);
    }

  bill_total = saoma_money_format_plain (saoma_reconcile_get_bill_total (reconcile));
  local_total = saoma_money_format_plain (saoma_reconcile_get_local_total (reconcile));
  printf ("reconciled %s: bill %s (%" G_GINT64_FORMAT " rows, %s), ledger %u payments %s, "
          "%u matched, %u discrepancies\n",
          saoma_reconcile_get_day_text (reconcile),
          saoma_reconcile_get_has_bill (reconcile) ? "present" : "none",
          saoma_reconcile_get_bill_count (reconcile), bill_total,
          saoma_reconcile_get_local_count (reconcile), local_total,
          saoma_reconcile_count_kind (reconcile, SAOMA_RECONCILE_MATCHED)
          + saoma_reconcile_count_kind (reconcile, SAOMA_RECONCILE_REFUND_MATCHED),
          saoma_reconcile_get_n_problems (reconcile));
  fflush (stdout);

  if (cli->output != NULL && !saoma_reconcile_write_csv (reconcile, cli->output, &error))
    return saoma_cli_fail (1, "cannot write %s: %s", cli->output, error->message);

  return saoma_reconcile_get_n_problems (reconcile) == 0 ? 0 : 1;
}

/* --- --refund (issue 12.21) ---------------------------------------------------------------- */

#define PIN_FILE_MAX 64

/**
 * saoma_cli_free_pin:
 * @pin: (nullable): a PIN from saoma_cli_read_pin_file()
 */
void
saoma_cli_free_pin (char *pin)
{
  if (pin == NULL)
    return;
  memset (pin, 0, strlen (pin));
  g_free (pin);
}

/**
 * saoma_cli_read_pin_file:
 * @path: the file holding the manager PIN
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the PIN, to free with saoma_cli_free_pin()
 */
char *
saoma_cli_read_pin_file (const char  *path,
                         GError     **error)
{
  char buf[PIN_FILE_MAX + 1];
  struct stat st;
  ssize_t n;
  int fd;
  char *start;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot read the PIN file %s: %s", path, g_strerror (saved));
      return NULL;
    }
  /* A PIN others can read is a PIN others know: refused like ssh refuses such a key. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || (st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "the PIN file %s must be a regular file readable by its owner only "
                   "(chmod 600)", path);
      return NULL;
    }
  n = read (fd, buf, sizeof buf);
  close (fd);
  if (n < 0 || n > PIN_FILE_MAX)
    {
      explicit_bzero (buf, sizeof buf);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the PIN file %s does not hold a PIN of 6 to 12 digits", path);
      return NULL;
    }
  buf[n] = '\0';
  start = g_strstrip (buf);
  len = strlen (start);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (start[i]))
      len = 0;
  if (len < 6 || len > 12)
    {
      explicit_bzero (buf, sizeof buf);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the PIN file %s does not hold a PIN of 6 to 12 digits", path);
      return NULL;
    }

  start = g_strndup (start, len);
  explicit_bzero (buf, sizeof buf);
  return start;
}

typedef char CliPin;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliPin, saoma_cli_free_pin)

static void
refund_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
refund_updated_cb (SaomaRefunder     *refunder,
                   SaomaLedgerRefund *row,
                   gboolean          *printed)
{
  /* The number first, as soon as it is durable: a script that loses the rest still knows
   * which refund to follow. */
  if (*printed)
    return;
  *printed = TRUE;
  printf ("%s\n", row->out_refund_no);
  fflush (stdout);
}

static int
run_refund (Cli        *cli,
            const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliTill) till = NULL;
  g_autoptr(CliPin) pin = NULL;
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  SaomaRefunder *refunder;
  gboolean printed = FALSE;
  gint64 amount = 0;
  int status;

  if (*value == '\0' || strlen (value) > 32)
    return saoma_cli_fail (EXIT_USAGE, "--refund wants the order's out_trade_no");
  if (cli->amount == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--refund needs --amount YUAN");
  if (!saoma_money_parse (cli->amount, SAOMA_MONEY_DEFAULT_MAX_FEN, &amount, &error))
    return saoma_cli_fail (EXIT_USAGE, "--amount: %s", error->message);
  if (cli->reason != NULL && g_utf8_strlen (cli->reason, -1) > 80)
    return saoma_cli_fail (EXIT_USAGE, "--reason is longer than 80 characters");
  if (cli->pin_file == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--refund needs --pin-file FILE (the manager PIN)");
  pin = saoma_cli_read_pin_file (cli->pin_file, &error);
  if (pin == NULL)
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);
  if (cli->ledger_path != NULL && !g_file_test (cli->ledger_path, G_FILE_TEST_EXISTS))
    return saoma_cli_fail (1, "no ledger at %s", cli->ledger_path);

  /* A refund drives its own refund only: --recover finishes the others. */
  if ((status = till_init (cli, FALSE, TRUE, NULL, NULL, &till)) != 0)
    return status;
  refunder = saoma_till_get_refunder (till);
  /* The same guard as the window's: its delays and lockout count across both. */
  guard = saoma_pin_guard_new (NULL, saoma_till_get_store (till));
  saoma_refunder_set_pin_guard (refunder, guard);
  g_signal_connect (refunder, "refund-updated", G_CALLBACK (refund_updated_cb), &printed);

  saoma_refunder_refund_async (refunder, value, amount, cli->reason, pin, NULL,
                               refund_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (refunder, &printed);

  row = saoma_refunder_refund_finish (refunder, result, &error);
  if (row == NULL)
    return saoma_cli_fail (1, "refund failed: %s", error->message);

  if (!printed)
    printf ("%s\n", row->out_refund_no);
  printf ("%s\n", saoma_refund_state_to_string (row->state));
  fflush (stdout);
  return row->state == SAOMA_REFUND_SUCCESS ? 0 : 1;
}

/* --- --late-payments, --decide-late (issue 12.6) -------------------------------------------- */

static SaomaLedger *
open_existing_ledger (Cli  *cli,
                      int  *out_status)
{
  g_autoptr(GError) error = NULL;
  SaomaLedger *ledger;

  if (cli->ledger_path != NULL && !g_file_test (cli->ledger_path, G_FILE_TEST_EXISTS))
    {
      *out_status = saoma_cli_fail (1, "no ledger at %s", cli->ledger_path);
      return NULL;
    }
  ledger = open_ledger (cli, &error);
  if (ledger == NULL)
    *out_status = saoma_cli_fail (1, "cannot open the ledger: %s", error->message);
  return ledger;
}

static int
run_late (Cli        *cli,
          const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GPtrArray) open = NULL;
  int status = 0;

  if ((ledger = open_existing_ledger (cli, &status)) == NULL)
    return status;
  open = saoma_late_payments_list_open_sync (ledger, &error);
  if (open == NULL)
    return saoma_cli_fail_error (1, error);

  for (guint i = 0; i < open->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (open, i);
      g_autofree char *amount = saoma_money_format_plain (saoma_attempt_get_amount (a));
      gint64 paid = saoma_attempt_get_paid_at (a);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (
        (paid > 0 ? paid : saoma_attempt_get_created (a)) / G_USEC_PER_SEC);
      g_autofree char *when_text = g_date_time_format (when, "%Y-%m-%d %H:%M:%S");

      printf ("%s %s %s %s\n", saoma_attempt_get_out_trade_no (a), amount, when_text,
              saoma_attempt_state_to_string (saoma_attempt_get_state (a)));
    }
  fflush (stdout);
  return 0;
}

static int
run_decide (Cli        *cli,
            const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(CliPin) pin = NULL;
  SaomaLateDecision decision;
  int status = 0;

  if (*value == '\0' || strlen (value) > 32)
    return saoma_cli_fail (EXIT_USAGE, "--decide-late wants the order's out_trade_no");
  if (!saoma_late_decision_from_string (cli->decision, &decision))
    return saoma_cli_fail (EXIT_USAGE, "--decide-late needs --decision honoured or refunded");
  if (cli->reason != NULL && g_utf8_strlen (cli->reason, -1) > 80)
    return saoma_cli_fail (EXIT_USAGE, "--reason is longer than 80 characters");
  if (cli->pin_file == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--decide-late needs --pin-file FILE (the manager PIN)");
  pin = saoma_cli_read_pin_file (cli->pin_file, &error);
  if (pin == NULL)
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);

  if ((ledger = open_existing_ledger (cli, &status)) == NULL)
    return status;
  guard = saoma_pin_guard_new (NULL, SAOMA_STORE (ledger));
  if (!saoma_pin_guard_check_sync (guard, pin, &error))
    return saoma_cli_fail (1, "%s", error->message);
  if (!saoma_late_payments_decide_sync (ledger, value, decision, cli->reason, &error))
    return saoma_cli_fail_error (1, error);

  printf ("%s %s\n", value, saoma_late_decision_to_string (decision));
  fflush (stdout);
  return 0;
}

/* --- Entry point --------------------------------------------------------------------------- */

/**
 * saoma_cli_wanted:
 * @argc: argument count
 * @argv: the arguments
 *
 * Returns: %TRUE when @argv selects a headless command of saoma_cli_run()
 */
gboolean
saoma_cli_wanted (int    argc,
                  char **argv)
{
  /* Only a command option makes this a headless run; anything else is the GUI's. */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
        if (is_command_arg (argv[i], commands[c].long_name))
          return TRUE;
    }
  return FALSE;
}

/**
 * saoma_cli_run:
 * @argc: argument count
 * @argv: the arguments (not modified)
 * @gateway_new: makes the commands' gateway
 * @v3_program: (nullable): the program that runs a command for API v3 when @gateway_new
 *   makes v2 gateways only, %NULL when it makes both
 * @out_status: (out): the exit status when a command ran
 *
 * Returns: %TRUE when @argv selected a headless command (it has run), %FALSE to start the GUI.
 */
gboolean
saoma_cli_run (int                 argc,
               char              **argv,
               SaomaCliGatewayNew  gateway_new,
               const char         *v3_program,
               int                *out_status)
{
  Cli cli = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  GOptionEntry entries[G_N_ELEMENTS (commands) + 1];
  const CliCommand *selected = NULL;
  guint selected_index = 0;
  int status;

  const GOptionEntry shared_entries[] = {
    { "body", 0, 0, G_OPTION_ARG_STRING, &cli.body,
      "What is sold (the order's body), for --charge", "TEXT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &cli.output,
      "Write to FILE instead of stdout", "FILE" },
    { "ledger", 0, 0, G_OPTION_ARG_FILENAME, &cli.ledger_path,
      "The ledger file (default $XDG_DATA_HOME/saoma/ledger.db)", "PATH" },
    { "gateway", 0, 0, G_OPTION_ARG_STRING, &cli.gateway,
      "Base URL of the WeChat Pay gateway or of a wxpay-sim", "URL" },
    { "appid", 0, 0, G_OPTION_ARG_STRING, &cli.appid,
      "Merchant appid (default: the demo merchant, for a local gateway only)", "APPID" },
    { "mch-id", 0, 0, G_OPTION_ARG_STRING, &cli.mch_id,
      "Merchant id (default: the demo merchant, for a local gateway only)", "MCH_ID" },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &cli.key_file,
      "Read the 32-character API key from FILE (never give the key itself)", "FILE" },
    { "client-cert", 0, 0, G_OPTION_ARG_FILENAME, &cli.client_cert,
      "The merchant client certificate with its key (PEM, or PKCS#12 with the mch_id as "
      "password), to resend unfinished refunds", "FILE" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &cli.api,
      "The WeChat Pay API: v2 (default) or v3", "v2|v3" },
    { "mch-private-key", 0, 0, G_OPTION_ARG_FILENAME, &cli.mch_private_key,
      "v3: the merchant API private key (apiclient_key.pem)", "FILE" },
    { "mch-serial", 0, 0, G_OPTION_ARG_STRING, &cli.mch_serial,
      "v3: the serial number of the merchant API certificate", "SERIAL" },
    { "wechatpay-public-key", 0, 0, G_OPTION_ARG_FILENAME, &cli.wechatpay_public_key,
      "v3: the WeChat Pay public key (pub_key.pem)", "FILE" },
    { "wechatpay-public-key-id", 0, 0, G_OPTION_ARG_STRING, &cli.wechatpay_public_key_id,
      "v3: the WeChat Pay public key id (PUB_KEY_ID_…)", "ID" },
    { "apiv3-key-file", 0, 0, G_OPTION_ARG_FILENAME, &cli.apiv3_key_file,
      "v3: read the 32-character APIv3 key from FILE (never give the key itself)", "FILE" },
    { "sim-v3-dir", 0, 0, G_OPTION_ARG_FILENAME, &cli.sim_v3_dir,
      "v3 with a local gateway: the files wxpay-sim wrote with --v3-dir DIR", "DIR" },
    { "till", 0, 0, G_OPTION_ARG_STRING, &cli.till,
      "Till id (device_info and out_trade_no prefix, default T01)", "ID" },
    { "close-delay", 0, 0, G_OPTION_ARG_INT, &cli.close_delay,
      "Seconds after creation before closeorder (default 300)", "SECONDS" },
    { "validity", 0, 0, G_OPTION_ARG_INT, &cli.validity,
      "QR validity / time_expire in seconds (default 300)", "SECONDS" },
    { "poll-interval", 0, 0, G_OPTION_ARG_INT, &cli.poll_interval,
      "Milliseconds between order queries while waiting (default 2000)", "MS" },
    { "slow-poll-interval", 0, 0, G_OPTION_ARG_INT, &cli.slow_poll_interval,
      "Milliseconds between queries while closing or checking (default 10000)", "MS" },
    { "retry-interval", 0, 0, G_OPTION_ARG_INT, &cli.retry_interval,
      "Milliseconds before re-sending an order whose outcome is unknown (default 2000)", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &cli.timeout,
      "Seconds before a gateway request times out (default 10)", "SECONDS" },
    { "notify-url", 0, 0, G_OPTION_ARG_STRING, &cli.notify_url,
      "notify_url sent with each order", "URL" },
    { "notify-listen", 0, 0, G_OPTION_ARG_STRING, &cli.notify_listen,
      "Receive payment notifications on ADDRESS[:PORT] (port 0: any)", "ADDRESS[:PORT]" },
    { "amount", 0, 0, G_OPTION_ARG_STRING, &cli.amount,
      "The amount in yuan, for --refund (e.g. 10.50)", "YUAN" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &cli.reason,
      "Why, for --refund (kept in the ledger and sent to WeChat, at most 80 characters)",
      "TEXT" },
    { "accounting", 0, 0, G_OPTION_ARG_NONE, &cli.accounting,
      "For --export-day: the accountants' table (orders and refunds, one flat table, headers "
      "and states in the user's language)", NULL },
    { "decision", 0, 0, G_OPTION_ARG_STRING, &cli.decision,
      "For --decide-late: honoured (the sale stands) or refunded (the money went back)",
      "DECISION" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &cli.pin_file,
      "Read the manager PIN from FILE (mode 0600; never give the PIN itself)", "FILE" },
    { "auth-code", 0, 0, G_OPTION_ARG_STRING, &cli.auth_code,
      "With --charge: charge the payer's payment code (付款码) instead of showing a QR; "
      "prints PAID, FAILED: reason or REVOKED", "CODE" },
    { "micropay-give-up", 0, 0, G_OPTION_ARG_INT, &cli.micropay_give_up,
      "Seconds after creation before an open payment-code charge is reversed (default 45)",
      "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &cli.verbose,
      "Print the engine's progress on stderr", NULL },
    { NULL }
  };

  g_return_val_if_fail (gateway_new != NULL, FALSE);
  g_return_val_if_fail (out_status != NULL, FALSE);

  if (!saoma_cli_wanted (argc, argv))
    return FALSE;

  cli.close_delay = -1;

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      entries[c] = (GOptionEntry) {
        commands[c].long_name, 0, 0, commands[c].arg,
        commands[c].arg == G_OPTION_ARG_NONE ? (gpointer)&cli.flags[c]
                                             : (gpointer)&cli.values[c],
        commands[c].description, commands[c].arg_description
      };
    }
  entries[G_N_ELEMENTS (commands)] = (GOptionEntry) { NULL };

  context = g_option_context_new ("- headless commands of the Saoma cashier");
  g_option_context_set_summary (context,
    "Without a command saoma starts the cashier window. The commands below need no display.");
  g_option_context_set_description (context,
    "Exit status: 0 success (--charge: paid), 1 failure, 2 usage error.\n"
    "The API key is read from --key-file only. A local --gateway (127.0.0.1) without\n"
    "credentials uses wxpay-sim's demo merchant.\n"
    "--api v3 reads its keys from files only: --mch-private-key, --wechatpay-public-key,\n"
    "--apiv3-key-file (with --mch-serial, --wechatpay-public-key-id); without the public key\n"
    "the platform certificates are downloaded instead; a local gateway may\n"
    "take them all from wxpay-sim's --v3-dir with --sim-v3-dir DIR.\n"
    "For the crash test only: SAOMA_CRASH_AT=POINT[:N] kills the process (SIGKILL) the N-th\n"
    "time the engine reaches POINT: after-insert, after-submitted, before-send, after-send,\n"
    "after-unknown, after-waiting, before-query, after-query, after-paid-query, after-paid,\n"
    "after-closing, before-close, after-close, after-closed, after-failed.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, shared_entries, NULL);
  g_option_context_set_help_enabled (context, TRUE);

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    {
      *out_status = saoma_cli_fail (EXIT_USAGE, "%s", error->message);
      cli_clear (&cli);
      return TRUE;
    }

  if (g_strv_length (args) > 1)
    {
      *out_status = saoma_cli_fail (EXIT_USAGE, "unexpected argument “%s”", args[1]);
      cli_clear (&cli);
      return TRUE;
    }

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      gboolean set = commands[c].arg == G_OPTION_ARG_NONE ? cli.flags[c]
                                                          : cli.values[c] != NULL;

      if (!set)
        continue;
      if (selected != NULL)
        {
          *out_status = saoma_cli_fail (EXIT_USAGE, "--%s and --%s cannot be combined",
                                        selected->long_name, commands[c].long_name);
          cli_clear (&cli);
          return TRUE;
        }
      selected = &commands[c];
      selected_index = c;
    }

  if (selected == NULL)
    {
      *out_status = saoma_cli_fail (EXIT_USAGE, "no command given");
      cli_clear (&cli);
      return TRUE;
    }

  if (cli.api != NULL && g_strcmp0 (cli.api, "v2") != 0 && g_strcmp0 (cli.api, "v3") != 0)
    {
      *out_status = saoma_cli_fail (EXIT_USAGE, "--api wants v2 or v3");
      cli_clear (&cli);
      return TRUE;
    }

  /* Parsed, so that "v3" is the option's value and not another option's; before anything is
   * read or written, so that the other program does the whole command. */
  if (v3_program != NULL && g_strcmp0 (cli.api, "v3") == 0)
    {
      cli_clear (&cli);
      *out_status = saoma_paths_exec (v3_program, argv);
      return TRUE;
    }
  cli.gateway_new = gateway_new;

  if (g_getenv ("G_MESSAGES_DEBUG") != NULL)
    cli.verbose = TRUE;
  log_verbose = cli.verbose;
  /* stdout is the commands' answer (out_trade_no, code_url, the outcome) that scripts read:
   * every log line, --verbose ones included, goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  if (cli.verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (cli_log_writer, NULL, NULL);

  saoma_bench_stamp ("parsed", selected->long_name);
  cli.loop = g_main_loop_new (NULL, FALSE);
  status = selected->run (&cli, cli.values[selected_index]);

  *out_status = status;
  cli_clear (&cli);
  return TRUE;
}
