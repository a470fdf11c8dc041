/* test-cli.c: the built saoma binary's headless commands, as real processes, against an
 * in-process wxpay-sim. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include <libsoup/soup.h>

#include "core/saoma-pin-guard.h"

#include "ledger/saoma-ledger.h"
#include "sim/wxpay-sim-server.h"

#include "test-util.h"

typedef struct {
  char           *dir;
  char           *ledger;
  WxpaySimServer *sim;
  const char     *gateway;
} Fixture;

static char *
saoma_path (void)
{
  const char *build = g_getenv ("SAOMA_BUILD_DIR");

  return g_build_filename (build ? build : BUILD_DIR, "src", "app", "saoma", NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-cli-XXXXXX", &error);
  g_assert_no_error (error);
  f->ledger = g_build_filename (f->dir, "ledger.db", NULL);

  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "close-min-age", 0u, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->gateway = wxpay_sim_server_get_base_uri (f->sim);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  saoma_test_rm_rf (f->dir);
  g_free (f->ledger);
  g_free (f->dir);
}

typedef struct {
  GSubprocess *process;
  gboolean     exited;
  char        *out;
  char        *err;
  char        *pid;   /* the process id, as a string (GSubprocess forgets it at exit) */
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err,
                                        &error);
  g_assert_no_error (error);
  run->exited = TRUE;
}

#define WAIT_UNTIL(cond) SAOMA_TEST_WAIT_UNTIL (cond, 30)

/* Starts @program with @args and @env ("NAME=VALUE" strings, NULL-terminated, nullable). */
static Run *
start_program_v (const char  *program,
                 const char  *crash_at,
                 const char **env,
                 const char  *first,
                 va_list      args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  g_ptr_array_add (argv, g_strdup (program));
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "en", TRUE);
  if (crash_at != NULL)
    g_subprocess_launcher_setenv (launcher, "SAOMA_CRASH_AT", crash_at, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata,
                                               &error);
  g_assert_no_error (error);
  run->pid = g_strdup (g_subprocess_get_identifier (run->process));
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicate_cb, run);
  return run;
}

/* Starts saoma with @args (NULL-terminated) and the given environment tweak. */
static Run *
start (const char *crash_at,
       const char *first,
       ...)
{
  g_autofree char *saoma = saoma_path ();
  Run *run;
  va_list args;

  va_start (args, first);
  run = start_program_v (saoma, crash_at, NULL, first, args);
  va_end (args);
  return run;
}

/* Starts @program (a path) with @env and @args. */
static Run *
start_program (const char  *program,
               const char **env,
               const char  *first,
               ...)
{
  Run *run;
  va_list args;

  va_start (args, first);
  run = start_program_v (program, NULL, env, first, args);
  va_end (args);
  return run;
}

static int
finish (Run *run)
{
  WAIT_UNTIL (run->exited);
  g_subprocess_wait (run->process, NULL, NULL);
  if (g_subprocess_get_if_signaled (run->process))
    return -g_subprocess_get_term_sig (run->process);
  return g_subprocess_get_exit_status (run->process);
}

static void
run_free (Run *run)
{
  g_clear_object (&run->process);
  g_free (run->out);
  g_free (run->err);
  g_free (run->pid);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; p && *p; p++)
    if (*p == '\n')
      n++;
  return n;
}

/* Bad input: one clear line on stderr, nothing on stdout, the usage status. */
static void
assert_usage_error (Run        *run,
                    int         expected_status,
                    const char *expected_text)
{
  int status = finish (run);

  g_test_message ("stderr: %s", run->err);
  g_assert_cmpint (status, ==, expected_status);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_cmpuint (count_lines (run->err), ==, 1);
  g_assert_true (g_str_has_prefix (run->err, "saoma: "));
  if (expected_text != NULL)
    g_assert_nonnull (strstr (run->err, expected_text));
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *empty_key = g_build_filename (f->dir, "empty.key", NULL);
  g_autofree char *missing_key = g_build_filename (f->dir, "missing.key", NULL);
  g_autofree char *no_ledger = g_build_filename (f->dir, "nope.db", NULL);
  struct {
    int         status;
    const char *text;
    const char *args[8];
  } cases[] = {
    { 2, "amount", { "--charge", "abc", "--gateway", f->gateway, "--ledger", f->ledger } },
    { 2, "zero", { "--charge", "0", "--gateway", f->gateway, "--ledger", f->ledger } },
    { 2, "decimal", { "--charge", "1.234", "--gateway", f->gateway, "--ledger", f->ledger } },
    { 2, NULL, { "--charge", "-1", "--gateway", f->gateway, "--ledger", f->ledger } },
    { 2, NULL, { "--charge", "1e3", "--gateway", f->gateway, "--ledger", f->ledger } },
    { 2, "--gateway", { "--charge", "12", "--ledger", f->ledger } },
    { 2, "http(s)", { "--charge", "12", "--gateway", "ftp://x", "--ledger", f->ledger } },
    { 2, "key file", { "--charge", "12", "--gateway", f->gateway, "--key-file", missing_key,
                       "--ledger", f->ledger } },
    { 2, "empty", { "--charge", "12", "--gateway", f->gateway, "--key-file", empty_key,
                    "--ledger", f->ledger } },
    { 2, "--key-file", { "--recover", "--gateway", "https://api.mch.weixin.qq.com",
                         "--ledger", f->ledger } },
    { 2, "date", { "--export-day", "2024-13-01", "--ledger", f->ledger } },
    { 2, NULL, { "--export-day", "yesterday", "--ledger", f->ledger } },
    { 1, "no ledger", { "--export-day", "2024-01-01", "--ledger", no_ledger } },
    { 2, "cannot be combined", { "--charge", "1", "--recover", "--ledger", f->ledger } },
    { 2, "--bogus", { "--charge", "1", "--bogus", "--ledger", f->ledger } },
    { 2, "--validity", { "--charge", "1", "--gateway", f->gateway, "--validity", "5",
                         "--ledger", f->ledger } },
  };

  g_assert_true (g_file_set_contents (empty_key, "  \n", -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char **a = cases[i].args;
      g_autoptr(Run) run = start (NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);

      g_test_message ("case %u: %s %s", i, a[0], a[1]);
      assert_usage_error (run, cases[i].status, cases[i].text);
    }

  /* Nothing was charged by any of them. */
  {
    g_autofree char *json = wxpay_sim_server_dup_orders_json (f->sim);

    g_assert_null (strstr (json, "out_trade_no"));
  }
}

/* An unreachable gateway: the attempt is FAILED (nothing was sent), exit 1, one stderr line. */
static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Run) run = start (NULL, "--charge", "12.50", "--gateway", "http://127.0.0.1:9",
                              "--ledger", f->ledger, NULL);
  g_auto(GStrv) lines = NULL;

  g_assert_cmpint (finish (run), ==, 1);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[0], "T01"));
  g_assert_cmpstr (lines[1], ==, "");
  g_assert_true (g_str_has_prefix (lines[2], "FAILED: "));
  g_assert_cmpuint (count_lines (run->err), ==, 1);
}

/* communicate() collects the output only at exit: the sim tells the out_trade_no first.
 * Waits until the sim knows an order (the charge's), returns its out_trade_no. */
static char *
wait_for_order (Fixture *f)
{
  char *otn = NULL;

  WAIT_UNTIL (({
    g_autofree char *json = wxpay_sim_server_dup_orders_json (f->sim);
    const char *p = strstr (json, "\"out_trade_no\":\"");

    if (p != NULL)
      {
        p += strlen ("\"out_trade_no\":\"");
        otn = g_strndup (p, strchr (p, '"') - p);
      }
    otn != NULL;
  }));

  return otn;
}

static char *
cli_path (void)
{
  const char *cli = g_getenv ("SAOMA_CLI");

  return cli != NULL ? g_strdup (cli) : g_build_filename (BUILD_DIR, "src", "cli", "saoma-cli",
                                                          NULL);
}

static SaomaAttemptState
ledger_state (Fixture    *f,
              const char *otn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(SaomaAttempt) attempt = NULL;

  g_assert_no_error (error);
  attempt = saoma_ledger_get_attempt_sync (ledger, otn, &error);
  g_assert_no_error (error);
  return saoma_attempt_get_state (attempt);
}

/* --charge, paid through the sim's control operation: prints out_trade_no, code_url, PAID. */
static void
test_charge_paid (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *key_file = g_build_filename (f->dir, "api.key", NULL);
  g_autofree char *otn = NULL;
  g_autofree char *csv_path = g_build_filename (f->dir, "day.csv", NULL);
  g_autofree char *csv = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) export = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_auto(GStrv) lines = NULL;

  /* The key from a file, with the whitespace editors leave. */
  g_assert_true (g_file_set_contents (key_file, WXPAY_SIM_DEFAULT_KEY "\n", -1, NULL));

  run = start (NULL, "--charge", "38.50", "--body", "Noodles", "--gateway", f->gateway,
               "--key-file", key_file, "--appid", WXPAY_SIM_DEFAULT_APPID,
               "--mch-id", WXPAY_SIM_DEFAULT_MCH_ID, "--ledger", f->ledger,
               "--poll-interval", "200", NULL);
  otn = wait_for_order (f);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  g_assert_cmpint (finish (run), ==, 0);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_true (g_str_has_prefix (lines[1], "weixin://wxpay/bizpayurl?pr="));
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_assert_cmpstr (run->err, ==, "");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_PAID);

  /* The key never shows up on disk next to the ledger. */
  {
    g_autofree char *db = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (f->ledger, &db, &len, NULL));
    g_assert_null (g_strstr_len (db, len, WXPAY_SIM_DEFAULT_KEY));
  }

  export = start (NULL, "--export-day", today, "--ledger", f->ledger, "--output", csv_path, NULL);
  g_assert_cmpint (finish (export), ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_nonnull (strstr (csv, otn));
  g_assert_nonnull (strstr (csv, ",38.50,0.00,PAID,Noodles"));
}

/* --charge --auth-code: a payment code (付款码). Prints out_trade_no then PAID / FAILED: reason;
 * exit 0 only when paid; an Alipay code or a bar code is a usage error that creates nothing. */
static void
test_charge_code (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Run) paid = NULL;
  g_autoptr(Run) poor = NULL;
  g_autoptr(Run) alipay = NULL;
  g_autoptr(Run) barcode = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;

  paid = start (NULL, "--charge", "12.34", "--auth-code", "134567890123456780", "--gateway",
                f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (paid), ==, 0);
  lines = g_strsplit (paid->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[1], ==, "PAID");
  g_assert_cmpint (ledger_state (f, lines[0]), ==, SAOMA_ATTEMPT_PAID);
  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  attempt = saoma_ledger_get_attempt_sync (ledger, lines[0], &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_method (attempt), ==, SAOMA_PAYMENT_METHOD_MICROPAY);
  g_assert_cmpint (saoma_attempt_get_amount (attempt), ==, 1234);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"trade_type\":\"MICROPAY\""));
  /* The code is spent, not stored. */
  {
    g_autofree char *db = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (f->ledger, &db, &len, NULL));
    g_assert_null (g_strstr_len (db, len, "134567890123456780"));
  }

  poor = start (NULL, "--charge", "12.34", "--auth-code", "134567890123456784", "--gateway",
                f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (poor), ==, 1);
  g_strfreev (lines);
  lines = g_strsplit (poor->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[1], "FAILED: NOTENOUGH"));
  g_assert_cmpint (ledger_state (f, lines[0]), ==, SAOMA_ATTEMPT_FAILED);

  alipay = start (NULL, "--charge", "12.34", "--auth-code", "281234567890123456", "--gateway",
                  f->gateway, "--ledger", f->ledger, NULL);
  assert_usage_error (alipay, 2, "Alipay");
  barcode = start (NULL, "--charge", "12.34", "--auth-code", "6901234567892", "--gateway",
                   f->gateway, "--ledger", f->ledger, NULL);
  assert_usage_error (barcode, 2, "payment code");
  g_free (json);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  /* Two orders: the paid one and the one without enough balance; none for the refusals. */
  g_assert_nonnull (strstr (json, lines[0]));
  {
    guint n = 0;

    for (const char *p = json; (p = strstr (p, "\"out_trade_no\":")) != NULL; p++)
      n++;
    g_assert_cmpuint (n, ==, 2);
  }
}

/* --verbose adds log lines on stderr only: stdout stays the three lines scripts read. The
 * export it is followed by is readable by its owner only. */
static void
test_verbose_stdout (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *key_file = g_build_filename (f->dir, "api.key", NULL);
  g_autofree char *csv_path = g_build_filename (f->dir, "verbose-day.csv", NULL);
  g_autofree char *otn = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) export = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_auto(GStrv) lines = NULL;
  GStatBuf st;

  g_assert_true (g_file_set_contents (key_file, WXPAY_SIM_DEFAULT_KEY, -1, NULL));
  run = start (NULL, "--charge", "1.25", "--verbose", "--gateway", f->gateway,
               "--key-file", key_file, "--appid", WXPAY_SIM_DEFAULT_APPID,
               "--mch-id", WXPAY_SIM_DEFAULT_MCH_ID, "--ledger", f->ledger,
               "--poll-interval", "200", NULL);
  otn = wait_for_order (f);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  g_assert_cmpint (finish (run), ==, 0);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_true (g_str_has_prefix (lines[1], "weixin://wxpay/bizpayurl?pr="));
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_assert_cmpstr (run->err, !=, "");

  export = start (NULL, "--export-day", today, "--ledger", f->ledger, "--output", csv_path, NULL);
  g_assert_cmpint (finish (export), ==, 0);
  g_assert_cmpint (g_stat (csv_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* With --notify-listen the sim's payment notification (confirmed by a query) ends the charge
 * long before the next poll would. */
static void
test_charge_notified (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *otn = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *json = NULL;
  gint64 paid_at;

  run = start (NULL, "--charge", "2", "--gateway", f->gateway, "--ledger", f->ledger,
               "--poll-interval", "600000", "--notify-listen", "127.0.0.1:0", NULL);
  otn = wait_for_order (f);
  /* The notify_url the till sent points at its own listener. */
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"notify_url\":\"http://127.0.0.1:"));
  g_assert_nonnull (strstr (json, "/wxpay/notify\""));

  paid_at = g_get_monotonic_time ();
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  g_assert_cmpint (finish (run), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - paid_at, <, 60 * G_USEC_PER_SEC);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_clear_pointer (&json, g_free);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"acked\":true"));
}

/* SIGTERM is the cashier's cancel: the order is closed at WeChat, exit 1, CLOSED. */
static void
test_charge_cancelled (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *otn = NULL;
  g_autoptr(Run) run = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *json = NULL;

  run = start (NULL, "--charge", "5", "--gateway", f->gateway, "--ledger", f->ledger,
               "--close-delay", "0", "--poll-interval", "200", NULL);
  otn = wait_for_order (f);
  g_subprocess_send_signal (run->process, SIGTERM);

  g_assert_cmpint (finish (run), ==, 1);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[2], ==, "CLOSED");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_CLOSED);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"state\":\"CLOSED\""));
}

static void
hostile_gateway_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autofree char *body = NULL;

  /* A definite rejection whose err_code_des carries a newline and a tab (what XML lets
   * through) that would forge a line of the till's output. */
  wxpay_params_set (answer, "return_code", "SUCCESS");
  wxpay_params_set (answer, "return_msg", "OK");
  wxpay_params_set (answer, "appid", WXPAY_SIM_DEFAULT_APPID);
  wxpay_params_set (answer, "mch_id", WXPAY_SIM_DEFAULT_MCH_ID);
  wxpay_params_set (answer, "nonce_str", nonce);
  wxpay_params_set (answer, "result_code", "FAIL");
  wxpay_params_set (answer, "err_code", "PARAM_ERROR");
  wxpay_params_set (answer, "err_code_des", "bad\nPAID\n\tsaoma: paid");
  wxpay_params_sign (answer, WXPAY_SIGN_TYPE_MD5, WXPAY_SIM_DEFAULT_KEY);
  body = wxpay_xml_encode_string (answer);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY, body, strlen (body));
}

/* A gateway's words reach the output escaped, on the lines they belong to. */
static void
test_escaped_output (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *gateway = NULL;
  g_auto(GStrv) lines = NULL;
  GSList *uris;

  soup_server_add_handler (server, NULL, hostile_gateway_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  gateway = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  run = start (NULL, "--charge", "3", "--gateway", gateway, "--ledger", f->ledger,
               "--poll-interval", "200", NULL);
  g_assert_cmpint (finish (run), ==, 1);
  g_test_message ("stdout: %s\nstderr: %s", run->out, run->err);

  /* out_trade_no, (no code_url), the result: nothing more on stdout, one line on stderr. */
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[2], "FAILED: "));
  g_assert_nonnull (strstr (lines[2], "bad\\nPAID\\n\\tsaoma: paid"));
  g_assert_cmpuint (count_lines (run->err), ==, 1);
  g_assert_nonnull (strstr (run->err, "bad\\nPAID\\n\\tsaoma: paid"));
  g_assert_null (strchr (run->err, '\t'));
}

static gboolean
advance_sim_cb (gpointer data)
{
  wxpay_sim_server_advance_clock (data, 1);
  return G_SOURCE_CONTINUE;
}

/* Killed after WAITING was written, paid meanwhile: --recover finds it PAID. */
static void
test_crash_recover (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *otn = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(Run) unpaid = NULL;
  g_autoptr(Run) recover2 = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  run = start ("after-waiting", "--charge", "7.77", "--gateway", f->gateway,
               "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (run), ==, -SIGKILL);
  lines = g_strsplit (run->out, "\n", -1);
  otn = g_strdup (lines[0]);
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_WAITING);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  recover = start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (recover), ==, 0);
  g_assert_cmpstr (recover->out, ==, "recovered 1: 1 PAID; refunds 0\n");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_PAID);

  /* Killed before anything was sent: recovery closes what re-entry creates, or fails it. */
  unpaid = start ("after-insert", "--charge", "1", "--gateway", f->gateway,
                  "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (unpaid), ==, -SIGKILL);
  recover2 = start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger,
                    "--close-delay", "0", "--poll-interval", "200", NULL);
  g_assert_cmpint (finish (recover2), ==, 0);
  g_assert_cmpstr (recover2->out, ==, "recovered 1: 1 CLOSED; refunds 0\n");
}

/* Refunds left unfinished by a killed run: --recover resends them with the same
 * out_refund_no (only with the client certificate) and follows them to SUCCESS. */
static void
test_recover_refunds (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaLedgerRefund) inserted = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(Run) without = NULL;
  g_autoptr(Run) with = NULL;
  g_autofree char *cert_dir = saoma_test_make_certificate ("cli");
  g_autofree char *pem = g_build_filename (cert_dir, "client.pem", NULL);
  g_autofree char *otn = NULL;
  g_autofree char *cert_text = NULL;
  g_autofree char *key_text = NULL;
  g_autofree char *both = NULL;
  g_autofree char *cert_path = g_build_filename (cert_dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (cert_dir, "key.pem", NULL);
  g_autofree char *json = NULL;
  guint advance;

  g_assert_no_error (error);
  g_file_get_contents (cert_path, &cert_text, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (key_path, &key_text, NULL, &error);
  g_assert_no_error (error);
  both = g_strconcat (cert_text, key_text, NULL);
  g_file_set_contents (pem, both, -1, &error);
  g_assert_no_error (error);

  /* A paid order, and a refund written (CREATED) by a run killed before it was sent. */
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);
  inserted = saoma_ledger_insert_refund_sync (ledger, otn, "T01R20261127000000001", 200,
                                              "退货", &error);
  g_assert_no_error (error);
  g_clear_object (&ledger);

  /* Without the certificate nothing can be sent: reported, left for a run that can. */
  without = start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (without), ==, 1);
  g_assert_cmpstr (without->out, ==, "recovered 0; refunds 1: 1 unfinished\n");
  g_assert_nonnull (strstr (without->err, "--client-cert"));
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_null (strstr (json, "T01R20261127000000001"));

  /* With it: sent once with the same out_refund_no, queried until WeChat says SUCCESS (the
   * simulator's clock is pushed past its processing time while we wait). */
  with = start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger,
                "--client-cert", pem, "--poll-interval", "100", "--retry-interval", "100",
                NULL);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (with), ==, 0);
  g_source_remove (advance);
  g_assert_cmpstr (with->out, ==, "recovered 0; refunds 1: 1 SUCCESS\n");

  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) refunds->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  attempt = saoma_ledger_get_attempt_sync (ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_clear_pointer (&json, g_free);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "T01R20261127000000001"));
  saoma_test_rm_rf (cert_dir);
}

/* The client certificate's PEM (certificate and key in one file) in a new directory. */
static char *
make_client_pem (char **out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = saoma_test_make_certificate ("cli");
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *cert_text = NULL;
  g_autofree char *key_text = NULL;
  g_autofree char *both = NULL;
  char *pem = g_build_filename (dir, "client.pem", NULL);

  g_file_get_contents (cert_path, &cert_text, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (key_path, &key_text, NULL, &error);
  g_assert_no_error (error);
  both = g_strconcat (cert_text, key_text, NULL);
  g_file_set_contents (pem, both, -1, &error);
  g_assert_no_error (error);

  *out_dir = g_steal_pointer (&dir);
  return pem;
}

/* --recover --notify-listen: a resumed refund carries the listener's refund URI as its
 * notify_url, and WeChat's refund notification makes the refunder query at once. The query
 * interval is ten minutes, so only the notification can finish it within the test's wait. */
static void
test_recover_refund_notified (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaLedgerRefund) inserted = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *cert_dir = NULL;
  g_autofree char *pem = make_client_pem (&cert_dir);
  g_autofree char *otn = NULL;
  guint advance;

  g_assert_no_error (error);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 500);
  inserted = saoma_ledger_insert_refund_sync (ledger, otn, "T01R20261127000000002", 120,
                                              "退货", &error);
  g_assert_no_error (error);
  g_clear_object (&ledger);

  run = start (NULL, "--recover", "--gateway", f->gateway, "--ledger", f->ledger,
               "--client-cert", pem, "--notify-listen", "127.0.0.1:0",
               "--retry-interval", "100", "--poll-interval", "600000", NULL);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (run), ==, 0);
  g_source_remove (advance);
  g_assert_cmpstr (run->out, ==, "recovered 0; refunds 1: 1 SUCCESS\n");

  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_assert_cmpint (((SaomaLedgerRefund *) refunds->pdata[0])->state, ==, SAOMA_REFUND_SUCCESS);
  saoma_test_rm_rf (cert_dir);
}


#define MANAGER_PIN "246813"

/* The manager PIN in the keyring of this run, as Preferences stores it; set once in main(),
 * before any command runs: libsecret's file backend refuses to write a file another process
 * changed (the commands count wrong PINs in it). */
static void
store_manager_pin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaPinGuard) guard = saoma_pin_guard_new (NULL, NULL);

  g_assert_true (saoma_pin_guard_set_sync (guard, NULL, MANAGER_PIN, &error));
  g_assert_no_error (error);
}

/* The manager PIN in a 0600 file, for --pin-file. */
static char *
set_manager_pin (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, "pin", NULL);

  g_assert_true (g_file_set_contents (path, MANAGER_PIN "\n", -1, &error));
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  return path;
}

static guint
count_refunds (Fixture    *f,
               const char *otn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(GPtrArray) refunds = NULL;

  g_assert_no_error (error);
  refunds = saoma_ledger_list_refunds_sync (ledger, otn, 0, 0, &error);
  g_assert_no_error (error);
  return refunds->len;
}

/* --refund: the PIN from a private file only, checked by the same guard as the window's,
 * then the refunder drives the refund to SUCCESS at the simulator. */
static void
test_refund (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(Run) ok = NULL;
  g_autoptr(Run) no_pin = NULL;
  g_autoptr(Run) open_pin = NULL;
  g_autoptr(Run) wrong = NULL;
  g_autoptr(Run) over = NULL;
  g_autofree char *cert_dir = NULL;
  g_autofree char *pem = make_client_pem (&cert_dir);
  g_autofree char *pin_file = set_manager_pin (f);
  g_autofree char *wrong_file = g_build_filename (f->dir, "wrong-pin", NULL);
  g_autofree char *otn = NULL;
  g_auto(GStrv) lines = NULL;
  guint advance;

  g_assert_no_error (error);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 3850);
  g_clear_object (&ledger);

  /* Usage errors write nothing: no PIN file, a PIN file others can read. */
  no_pin = start (NULL, "--refund", otn, "--amount", "10", "--gateway", f->gateway,
                  "--ledger", f->ledger, "--client-cert", pem, NULL);
  assert_usage_error (no_pin, 2, "--pin-file");
  g_assert_cmpint (g_chmod (pin_file, 0644), ==, 0);
  open_pin = start (NULL, "--refund", otn, "--amount", "10", "--gateway", f->gateway,
                    "--ledger", f->ledger, "--client-cert", pem, "--pin-file", pin_file, NULL);
  assert_usage_error (open_pin, 2, "chmod 600");
  g_assert_cmpint (g_chmod (pin_file, 0600), ==, 0);
  g_assert_cmpuint (count_refunds (f, otn), ==, 0);

  ok = start (NULL, "--refund", otn, "--amount", "10", "--reason", "退货", "--gateway",
              f->gateway, "--ledger", f->ledger, "--client-cert", pem, "--pin-file", pin_file,
              "--poll-interval", "100", "--retry-interval", "100", NULL);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (ok), ==, 0);
  g_source_remove (advance);
  g_test_message ("stderr: %s", ok->err);
  lines = g_strsplit (ok->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_test_message ("stdout: %s", ok->out);
  g_assert_true (g_str_has_prefix (lines[0], "RT01"));
  g_assert_cmpstr (lines[1], ==, "SUCCESS");
  g_assert_null (strstr (ok->err, MANAGER_PIN));

  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  attempt = saoma_ledger_get_attempt_sync (ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 1000);
  g_clear_object (&ledger);

  /* More than is left: refused before anything is written. */
  over = start (NULL, "--refund", otn, "--amount", "28.51", "--gateway", f->gateway,
                "--ledger", f->ledger, "--client-cert", pem, "--pin-file", pin_file, NULL);
  g_assert_cmpint (finish (over), ==, 1);
  g_assert_cmpuint (count_refunds (f, otn), ==, 1);

  /* A wrong PIN: refused, nothing written, the PIN in no message. */
  g_assert_true (g_file_set_contents (wrong_file, "999999", -1, &error));
  g_assert_cmpint (g_chmod (wrong_file, 0600), ==, 0);
  wrong = start (NULL, "--refund", otn, "--amount", "1", "--gateway", f->gateway,
                 "--ledger", f->ledger, "--client-cert", pem, "--pin-file", wrong_file, NULL);
  g_assert_cmpint (finish (wrong), ==, 1);
  g_test_message ("stderr: %s", wrong->err);
  g_assert_nonnull (strstr (wrong->err, "PIN"));
  g_assert_null (strstr (wrong->err, "999999"));
  g_assert_cmpstr (wrong->out, ==, "");
  g_assert_cmpuint (count_refunds (f, otn), ==, 1);
  saoma_test_rm_rf (cert_dir);
}


/* Today and tomorrow in +08:00 (the commands run with TZ=CST-8). */
static void
beijing_days (char **out_today,
              char **out_tomorrow)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  g_autoptr(GDateTime) next = g_date_time_add_days (now, 1);

  *out_today = g_date_time_format (now, "%Y-%m-%d");
  *out_tomorrow = g_date_time_format (next, "%Y-%m-%d");
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* Issue 13: a payment code's order refunded headless (--refund, PIN from a file), then the day's
 * report and the accountants' table: the sale and its refund under the payment code. */
static void
test_micropay_refund (Fixture       *f,
                      gconstpointer  data)
{
  const char *env[] = { "TZ=CST-8", NULL };
  g_autofree char *cli = cli_path ();
  g_autofree char *cert_dir = NULL;
  g_autofree char *pem = make_client_pem (&cert_dir);
  g_autofree char *pin_file = set_manager_pin (f);
  g_autofree char *csv_path = g_build_filename (f->dir, "x.csv", NULL);
  g_autofree char *today = NULL, *tomorrow = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(Run) paid = NULL;
  g_autoptr(Run) refund = NULL;
  g_autoptr(Run) report = NULL;
  g_autoptr(Run) flat = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  guint advance;

  paid = start (NULL, "--charge", "12.34", "--auth-code", "134567890123456785", "--gateway",
                f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (paid), ==, 0);
  lines = g_strsplit (paid->out, "\n", -1);
  g_assert_cmpstr (lines[1], ==, "PAID");

  refund = start (NULL, "--refund", lines[0], "--amount", "2.34", "--reason", "退货",
                  "--gateway", f->gateway, "--ledger", f->ledger, "--client-cert", pem,
                  "--pin-file", pin_file, "--poll-interval", "100", "--retry-interval", "100",
                  NULL);
  advance = g_timeout_add (50, advance_sim_cb, f->sim);
  g_assert_cmpint (finish (refund), ==, 0);
  g_source_remove (advance);
  g_assert_nonnull (strstr (refund->out, "SUCCESS"));

  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  attempt = saoma_ledger_get_attempt_sync (ledger, lines[0], &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_method (attempt), ==, SAOMA_PAYMENT_METHOD_MICROPAY);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  g_assert_cmpint (saoma_attempt_get_refunded (attempt), ==, 234);
  g_clear_object (&ledger);

  /* The day's report: the payment code's sale, its refund and its net, beside the QR codes'. */
  beijing_days (&today, &tomorrow);
  report = start_program (cli, env, "--day-report", today, "--csv", csv_path, "--ledger",
                          f->ledger, NULL);
  g_assert_cmpint (finish (report), ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_test_message ("%s", csv);
  g_assert_nonnull (strstr (csv, "summary,payments,1,12.34\r\n"));
  g_assert_nonnull (strstr (csv, "summary,payments_native,0,0.00\r\n"
                                 "summary,refunds_native,0,0.00\r\n"
                                 "summary,net_native,,0.00\r\n"
                                 "summary,payments_micropay,1,12.34\r\n"
                                 "summary,refunds_micropay,1,2.34\r\n"
                                 "summary,net_micropay,,10.00\r\n"));
  /* The accountants' table adds up to the same: 12.34 − 2.34. */
  flat = start_program (cli, env, "--export-day", today, "--accounting", "--ledger", f->ledger,
                        NULL);
  g_assert_cmpint (finish (flat), ==, 0);
  g_test_message ("%s", flat->out);
  g_assert_nonnull (strstr (flat->out, ",12.34,Partly refunded,"));
  g_assert_nonnull (strstr (flat->out, ",-2.34,Refunded,退货"));
  saoma_test_rm_rf (cert_dir);
}

/* --close-day: the manager PIN from a file; a Z close is final: a sale after it is the next
 * day's, the closed day reprints as it was (its stored CSV, byte for byte) until the manager
 * reopens it (PIN, recorded, said in the report). */
static void
test_close_day (Fixture       *f,
                gconstpointer  data)
{
  const char *env[] = { "TZ=CST-8", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autofree char *cli = cli_path ();
  g_autofree char *pin_file = set_manager_pin (f);
  g_autofree char *wrong_file = g_build_filename (f->dir, "wrong-pin", NULL);
  g_autofree char *csv1 = g_build_filename (f->dir, "z1.csv", NULL);
  g_autofree char *csv2 = g_build_filename (f->dir, "z2.csv", NULL);
  g_autofree char *today = NULL, *tomorrow = NULL;
  g_autofree char *yesterday = NULL;
  g_autofree char *otn1 = NULL, *otn2 = NULL;
  g_autofree char *text1 = NULL, *text2 = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(Run) no_pin = NULL;
  g_autoptr(Run) bad_start = NULL;
  g_autoptr(Run) late_start = NULL;
  g_autoptr(Run) yesterday_late = NULL;
  g_autoptr(Run) wrong = NULL;
  g_autoptr(Run) close1 = NULL;
  g_autoptr(Run) reprint = NULL;
  g_autoptr(Run) next_day = NULL;
  g_autoptr(Run) reopen_wrong = NULL;
  g_autoptr(Run) reopen = NULL;
  g_autoptr(Run) x_report = NULL;
  g_autoptr(Run) close2 = NULL;

  g_assert_no_error (error);
  beijing_days (&today, &tomorrow);
  {
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
    g_autoptr(GDateTime) now = g_date_time_new_now (tz);
    g_autoptr(GDateTime) before = g_date_time_add_days (now, -1);

    yesterday = g_date_time_format (before, "%Y-%m-%d");
  }
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn1 = saoma_test_paid_order (f->sim, client, ledger, 24131);

  no_pin = start_program (cli, env, "--close-day", today, "--ledger", f->ledger, NULL);
  assert_usage_error (no_pin, 2, "--pin-file");
  bad_start = start_program (cli, env, "--day-report", today, "--day-start", "24:00",
                             "--ledger", f->ledger, NULL);
  assert_usage_error (bad_start, 2, "HH:MM");
  /* With the day starting at 04:00, today's sale (after 04:00 or before) is in one of two
   * business days: never lost, never in both. */
  late_start = start_program (cli, env, "--day-report", today, "--day-start", "04:00",
                              "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (late_start), ==, 0);
  yesterday_late = start_program (cli, env, "--day-report", yesterday, "--day-start", "04:00",
                                  "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (yesterday_late), ==, 0);
  g_assert_true ((strstr (late_start->out, ": 1 payments ¥241.31") != NULL) !=
                 (strstr (yesterday_late->out, ": 1 payments ¥241.31") != NULL));

  g_assert_true (g_file_set_contents (wrong_file, "999999", -1, &error));
  g_assert_cmpint (g_chmod (wrong_file, 0600), ==, 0);
  /* Past the wait an earlier test's wrong PIN earns (1 s): this one is then checked. */
  g_usleep (1100 * G_USEC_PER_SEC / 1000);
  wrong = start_program (cli, env, "--close-day", today, "--ledger", f->ledger,
                         "--pin-file", wrong_file, NULL);
  g_assert_cmpint (finish (wrong), ==, 1);
  g_assert_nonnull (strstr (wrong->err, "PIN"));
  g_assert_cmpstr (wrong->out, ==, "");
  g_assert_null (strstr (wrong->err, "999999"));
  /* Past the wait two wrong PINs in a row earn (2 s). */
  g_usleep (2100 * G_USEC_PER_SEC / 1000);

  close1 = start_program (cli, env, "--close-day", today, "--ledger", f->ledger,
                          "--pin-file", pin_file, "--csv", csv1, NULL);
  g_assert_cmpint (finish (close1), ==, 0);
  g_test_message ("%s%s", close1->out, close1->err);
  expected = g_strdup_printf ("closed %s: 1 payments ¥241.31, 0 refunds ¥0.00, net ¥241.31, "
                              "0 not final\n", today);
  g_assert_cmpstr (close1->out, ==, expected);
  text1 = read_text (csv1);
  g_assert_nonnull (strstr (text1, "report,z_closed,"));

  /* One more sale after the close: not the closed day's. */
  otn2 = saoma_test_paid_order (f->sim, client, ledger, 1200);
  reprint = start_program (cli, env, "--close-day", today, "--ledger", f->ledger,
                           "--pin-file", pin_file, "--csv", csv2, NULL);
  g_assert_cmpint (finish (reprint), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("already closed %s: 1 payments ¥241.31, 0 refunds ¥0.00, "
                              "net ¥241.31, 0 not final\n", today);
  g_assert_cmpstr (reprint->out, ==, expected);
  text2 = read_text (csv2);
  g_assert_cmpstr (text2, ==, text1);
  g_assert_null (strstr (text2, otn2));

  next_day = start_program (cli, env, "--day-report", tomorrow, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (next_day), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("x-report %s: 1 payments ¥12.00, 0 refunds ¥0.00, net ¥12.00, "
                              "0 not final\n", tomorrow);
  g_assert_cmpstr (next_day->out, ==, expected);

  /* Reopening: the manager's PIN and a reason, recorded. */
  reopen_wrong = start_program (cli, env, "--reopen-day", today, "--ledger", f->ledger,
                                "--pin-file", wrong_file, "--reason", "forgot a sale", NULL);
  g_assert_cmpint (finish (reopen_wrong), ==, 1);
  g_usleep (1100 * G_USEC_PER_SEC / 1000);
  reopen = start_program (cli, env, "--reopen-day", today, "--ledger", f->ledger,
                          "--pin-file", pin_file, "--reason", "forgot a sale", NULL);
  g_assert_cmpint (finish (reopen), ==, 0);
  g_test_message ("%s", reopen->err);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("reopened %s\n", today);
  g_assert_cmpstr (reopen->out, ==, expected);

  x_report = start_program (cli, env, "--day-report", today, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (x_report), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("x-report %s: 2 payments ¥253.31, 0 refunds ¥0.00, net ¥253.31, "
                              "0 not final (reopened by the manager)\n", today);
  g_assert_cmpstr (x_report->out, ==, expected);

  close2 = start_program (cli, env, "--close-day", today, "--ledger", f->ledger,
                          "--pin-file", pin_file, "--csv", csv2, NULL);
  g_assert_cmpint (finish (close2), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("closed %s: 2 payments ¥253.31, 0 refunds ¥0.00, net ¥253.31, "
                              "0 not final (reopened by the manager)\n", today);
  g_assert_cmpstr (close2->out, ==, expected);
  g_clear_pointer (&text2, g_free);
  text2 = read_text (csv2);
  g_assert_nonnull (strstr (text2, "report,reopened,"));
  g_assert_nonnull (strstr (text2, "forgot a sale"));
  g_assert_nonnull (strstr (text2, otn2));
}


/* Late payments are a to-do list (issue 12.6): listed by every new process until the manager
 * records a decision, counted in the day report meanwhile. */
static void
test_late_payments (Fixture       *f,
                    gconstpointer  data)
{
  const char *env[] = { "TZ=CST-8", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaAttempt) late = NULL;
  g_autofree char *cli = cli_path ();
  g_autofree char *pin_file = set_manager_pin (f);
  g_autofree char *today = NULL, *tomorrow = NULL;
  g_autofree char *on_time = NULL, *otn = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(Run) list1 = NULL;
  g_autoptr(Run) report1 = NULL;
  g_autoptr(Run) not_late = NULL;
  g_autoptr(Run) not_refunded = NULL;
  g_autoptr(Run) no_pin = NULL;
  g_autoptr(Run) decide = NULL;
  g_autoptr(Run) again = NULL;
  g_autoptr(Run) list2 = NULL;
  g_autoptr(Run) report2 = NULL;
  SaomaAttemptUpdate update = { 0 };

  g_assert_no_error (error);
  beijing_days (&today, &tomorrow);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  on_time = saoma_test_paid_order (f->sim, client, ledger, 100);
  otn = saoma_test_paid_order (f->sim, client, ledger, 3850);
  /* Paid after the cashier gave up: what the engine flags. */
  update.late = TRUE;
  late = saoma_ledger_update_attempt_sync (ledger, otn, &update, &error);
  g_assert_no_error (error);
  g_assert_true (saoma_attempt_get_late (late));
  g_clear_object (&ledger);

  list1 = start_program (cli, env, "--late-payments", "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (list1), ==, 0);
  g_assert_true (g_str_has_prefix (list1->out, otn));
  g_assert_nonnull (strstr (list1->out, " 38.50 "));
  g_assert_cmpuint (count_lines (list1->out), ==, 1);

  report1 = start_program (cli, env, "--day-report", today, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (report1), ==, 0);
  expected = g_strdup_printf ("x-report %s: 2 payments ¥39.50, 0 refunds ¥0.00, net ¥39.50, "
                              "0 not final, 1 late payments to decide\n", today);
  g_assert_cmpstr (report1->out, ==, expected);

  no_pin = start_program (cli, env, "--decide-late", otn, "--decision", "honoured",
                          "--ledger", f->ledger, NULL);
  assert_usage_error (no_pin, 2, "--pin-file");
  not_late = start_program (cli, env, "--decide-late", on_time, "--decision", "honoured",
                            "--ledger", f->ledger, "--pin-file", pin_file, NULL);
  g_assert_cmpint (finish (not_late), ==, 1);
  g_assert_nonnull (strstr (not_late->err, "not a late payment"));
  not_refunded = start_program (cli, env, "--decide-late", otn, "--decision", "refunded",
                                "--ledger", f->ledger, "--pin-file", pin_file, NULL);
  g_assert_cmpint (finish (not_refunded), ==, 1);
  g_assert_nonnull (strstr (not_refunded->err, "not been refunded"));

  decide = start_program (cli, env, "--decide-late", otn, "--decision", "honoured",
                          "--reason", "customer took the goods", "--ledger", f->ledger,
                          "--pin-file", pin_file, NULL);
  g_assert_cmpint (finish (decide), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%s honoured\n", otn);
  g_assert_cmpstr (decide->out, ==, expected);
  again = start_program (cli, env, "--decide-late", otn, "--decision", "honoured",
                         "--ledger", f->ledger, "--pin-file", pin_file, NULL);
  g_assert_cmpint (finish (again), ==, 1);
  g_assert_nonnull (strstr (again->err, "already recorded"));

  list2 = start_program (cli, env, "--late-payments", "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (list2), ==, 0);
  g_assert_cmpstr (list2->out, ==, "");
  report2 = start_program (cli, env, "--day-report", today, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (report2), ==, 0);
  g_assert_null (strstr (report2->out, "late"));

  /* The decision is in the attempt's audit trail. */
  ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) events = saoma_ledger_list_events_sync (ledger, otn, &error);
    gboolean found = FALSE;

    g_assert_no_error (error);
    for (guint i = 0; i < events->len; i++)
      {
        SaomaLedgerEvent *event = g_ptr_array_index (events, i);

        if (g_strcmp0 (event->kind, SAOMA_LEDGER_LATE_DECISION_KIND) == 0)
          found = g_strcmp0 (event->detail, "honoured: customer took the goods") == 0;
      }
    g_assert_true (found);
  }
}


/* --export-day --accounting: the accountants' flat table, its words in the user's language. */
static void
test_export_accounting (Fixture       *f,
                        gconstpointer  data)
{
  const char *env[] = { "TZ=CST-8", "LANG=C.UTF-8", "LC_ALL=", "LANGUAGE=zh_CN", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (f->ledger, NULL, &error);
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *cli = cli_path ();
  g_autofree char *today = NULL, *tomorrow = NULL;
  g_autofree char *otn = NULL;

  g_assert_no_error (error);
  beijing_days (&today, &tomorrow);
  client = wxpay_client_new (f->gateway, WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                             WXPAY_SIM_DEFAULT_KEY);
  otn = saoma_test_paid_order (f->sim, client, ledger, 3850);
  g_clear_object (&ledger);

  run = start_program (cli, env, "--export-day", today, "--accounting", "--ledger", f->ledger,
                       NULL);
  g_assert_cmpint (finish (run), ==, 0);
  g_test_message ("%s", run->out);
  g_assert_true (g_str_has_prefix (run->out, "\xEF\xBB\xBF" "类型,时间,收银台,订单号,退款单号,"
                                             "微信单号,金额（元）,状态,备注,"
                                             "支付方式\r\n"));
  g_assert_nonnull (strstr (run->out, "\r\n订单,"));
  g_assert_nonnull (strstr (run->out, otn));
  g_assert_nonnull (strstr (run->out, ",38.50,已收款"));
  /* Issue 13: the method is part of the table, the CLI's as the app's. */
  g_assert_true (g_str_has_suffix (run->out, ",扫码\r\n"));
}

/* saoma-cli itself: the same --charge as saoma's, without the GUI binary in between. */
static void
test_headless_binary (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *cli = cli_path ();
  g_autofree char *otn = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) help = NULL;
  g_autoptr(Run) nothing = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  run = start_program (cli, NULL, "--charge", "0.01", "--gateway", f->gateway,
                       "--ledger", f->ledger, "--poll-interval", "200", NULL);
  otn = wait_for_order (f);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (finish (run), ==, 0);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_true (g_str_has_prefix (lines[1], "weixin://wxpay/bizpayurl?pr="));
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_PAID);

  /* Without a command: what it can do, on stdout for --help, else on stderr with status 2. */
  help = start_program (cli, NULL, "--help", NULL);
  g_assert_cmpint (finish (help), ==, 0);
  g_assert_nonnull (strstr (help->out, "--charge"));
  g_assert_nonnull (strstr (help->out, "--close-day"));
  nothing = start_program (cli, NULL, NULL);
  g_assert_cmpint (finish (nothing), ==, 2);
  g_assert_cmpstr (nothing->out, ==, "");
  g_assert_nonnull (strstr (nothing->err, "--recover"));
}

/* saoma hands every headless command to $SAOMA_CLI by exec: same process, same arguments. */
static void
test_forwarding (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *fake = g_build_filename (f->dir, "fake-cli", NULL);
  g_autofree char *fake_env = g_strconcat ("SAOMA_CLI=", fake, NULL);
  const char *env_fake[] = { fake_env, NULL };
  const char *env_missing[] = { "SAOMA_CLI=/nonexistent/saoma-cli", NULL };
  g_autofree char *saoma = saoma_path ();
  const char *commands[][2] = {
    { "--charge", "1" }, { "--recover", NULL }, { "--export-day", "2026-11-27" },
    { "--reconcile", "2026-11-27" }, { "--close-day", "2026-11-27" },
    { "--day-report=2026-11-27", NULL },
  };
  g_autoptr(Run) missing = NULL;

  g_assert_true (g_file_set_contents (fake, "#!/bin/sh\necho \"$$ $*\"\nexit 7\n", -1, NULL));
  g_assert_cmpint (g_chmod (fake, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const char *value = commands[i][1];
      g_autoptr(Run) run = NULL;
      g_autofree char *expected = NULL;

      if (value != NULL)
        run = start_program (saoma, env_fake, commands[i][0], value, "--ledger", f->ledger, NULL);
      else
        run = start_program (saoma, env_fake, commands[i][0], "--ledger", f->ledger, NULL);
      g_assert_cmpint (finish (run), ==, 7);
      expected = g_strdup_printf ("%s %s%s%s --ledger %s\n", run->pid, commands[i][0],
                                  value ? " " : "", value ? value : "", f->ledger);
      g_assert_cmpstr (run->out, ==, expected);
    }

  /* An installation without saoma-cli: one clear line, not the cashier window. */
  missing = start_program (saoma, env_missing, "--export-day", "2026-11-27",
                           "--ledger", f->ledger, NULL);
  assert_usage_error (missing, 1, "cannot run /nonexistent/saoma-cli");
}

/* --- API v3 ------------------------------------------------------------------------------- */

/* The simulator serves v3 with its keys in DIR/v3; returns DIR/v3. */
static char *
setup_v3 (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *v3_dir = g_build_filename (f->dir, "v3", NULL);

  g_assert_cmpint (g_mkdir (v3_dir, 0700), ==, 0);
  g_assert_true (wxpay_sim_server_setup_v3 (f->sim, v3_dir, &error));
  g_assert_no_error (error);
  return v3_dir;
}

static char *
read_stripped (const char *dir,
               const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return g_strstrip (contents);
}

/* A v3 charge end to end: signed requests, verified answers, and the payment learnt from the
 * simulator's encrypted callback on the till's own listener (the poll is ten minutes away).
 * Then the same with every key file and id named, the bill of the day reconciled over v3, and
 * recover finding nothing left to do. */
static void
test_v3_charge (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *v3_dir = setup_v3 (f);
  g_autofree char *key = g_build_filename (v3_dir, "apiclient_key.pem", NULL);
  g_autofree char *pub = g_build_filename (v3_dir, "pub_key.pem", NULL);
  g_autofree char *apiv3 = g_build_filename (v3_dir, "apiv3_key.txt", NULL);
  g_autofree char *serial = read_stripped (v3_dir, "apiclient_serial.txt");
  g_autofree char *pub_id = read_stripped (v3_dir, "pub_key_id.txt");
  g_autofree char *apiv3_key = read_stripped (v3_dir, "apiv3_key.txt");
  g_autofree char *otn = NULL;
  g_autofree char *otn2 = NULL;
  g_autofree char *json = NULL;
  g_autofree char *day = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) second = NULL;
  g_autoptr(Run) reconcile = NULL;
  g_autoptr(Run) recover = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) beijing = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) sim_now = NULL;
  g_autoptr(GDateTime) sim_day = NULL;
  g_auto(GStrv) lines = NULL;

  run = start (NULL, "--api", "v3", "--sim-v3-dir", v3_dir, "--charge", "12.34",
               "--gateway", f->gateway, "--ledger", f->ledger, "--poll-interval", "600000",
               "--notify-listen", "127.0.0.1:0", "--verbose", NULL);
  otn = wait_for_order (f);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"total_fee\":1234"));
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);

  g_assert_cmpint (finish (run), ==, 0);
  g_test_message ("stderr: %s", run->err);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_true (g_str_has_prefix (lines[1], "weixin://wxpay/bizpayurl?pr="));
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_PAID);
  /* Over v3 (the client logs each call's path with --verbose), never v2's XML paths. */
  g_assert_nonnull (strstr (run->err, "POST /v3/pay/transactions/native"));
  g_assert_null (strstr (run->err, "/pay/unifiedorder"));
  /* The simulator's v3 callback was acknowledged (204) by the till's listener. */
  g_clear_pointer (&json, g_free);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"acked\":true"));

  /* Every file and id named, found by polling this time. */
  second = start (NULL, "--api", "v3", "--mch-private-key", key, "--mch-serial", serial,
                  "--wechatpay-public-key", pub, "--wechatpay-public-key-id", pub_id,
                  "--apiv3-key-file", apiv3, "--appid", WXPAY_SIM_DEFAULT_APPID,
                  "--mch-id", WXPAY_SIM_DEFAULT_MCH_ID, "--charge", "0.05",
                  "--gateway", f->gateway, "--ledger", f->ledger, "--poll-interval", "200",
                  NULL);
  WAIT_UNTIL (({
    g_autofree char *orders = wxpay_sim_server_dup_orders_json (f->sim);
    const char *p = strstr (orders, "\"total_fee\":5,");

    p != NULL;
  }));
  g_clear_pointer (&json, g_free);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  {
    /* The second order is the one of 5 fen. */
    const char *p = strstr (json, "\"total_fee\":5,");
    const char *start_of = p;

    while (start_of > json && *start_of != '{')
      start_of--;
    p = strstr (start_of, "\"out_trade_no\":\"");
    g_assert_nonnull (p);
    p += strlen ("\"out_trade_no\":\"");
    otn2 = g_strndup (p, strchr (p, '"') - p);
  }
  g_assert_true (wxpay_sim_server_pay (f->sim, otn2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (finish (second), ==, 0);
  g_assert_nonnull (strstr (second->out, "\nPAID\n"));
  g_assert_cmpint (ledger_state (f, otn2), ==, SAOMA_ATTEMPT_PAID);

  /* The keys never show up next to the ledger. */
  {
    g_autofree char *db = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (f->ledger, &db, &len, NULL));
    g_assert_null (g_strstr_len (db, len, apiv3_key));
  }

  /* The simulator's day, in Beijing, reconciled from the v3 bill. */
  sim_now = g_date_time_new_from_unix_utc (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC);
  sim_day = g_date_time_to_timezone (sim_now, beijing);
  day = g_date_time_format (sim_day, "%Y-%m-%d");
  reconcile = start (NULL, "--api", "v3", "--sim-v3-dir", v3_dir, "--reconcile", day,
                     "--gateway", f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (reconcile), ==, 0);
  g_test_message ("reconcile: %s / %s", reconcile->out, reconcile->err);

  recover = start (NULL, "--api", "v3", "--sim-v3-dir", v3_dir, "--recover",
                   "--gateway", f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (recover), ==, 0);
}

/* A merchant without a WeChat Pay public key: no public key options (the simulator in
 * platform-certificate mode took pub_key.pem out of its directory), so saoma-cli downloads the
 * platform certificates, and the charge and its callback verify with them. Against a
 * public-key merchant the same options fail clearly, before any order is sent. */
static void
test_v3_platform_certificates (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *v3_dir = setup_v3 (f);
  g_autofree char *key = g_build_filename (v3_dir, "apiclient_key.pem", NULL);
  g_autofree char *apiv3 = g_build_filename (v3_dir, "apiv3_key.txt", NULL);
  g_autofree char *pub = g_build_filename (v3_dir, "pub_key.pem", NULL);
  g_autofree char *serial = read_stripped (v3_dir, "apiclient_serial.txt");
  g_autofree char *otn = NULL;
  g_autofree char *json = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(Run) unavailable = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  /* First a public-key merchant: asking for certificates is a clear error, nothing sent. */
  unavailable = start (NULL, "--api", "v3", "--mch-private-key", key, "--mch-serial", serial,
                       "--apiv3-key-file", apiv3, "--appid", WXPAY_SIM_DEFAULT_APPID,
                       "--mch-id", WXPAY_SIM_DEFAULT_MCH_ID, "--charge", "0.07",
                       "--gateway", f->gateway, "--ledger", f->ledger, NULL);
  g_assert_cmpint (finish (unavailable), !=, 0);
  g_test_message ("unavailable: %s / %s", unavailable->out, unavailable->err);
  g_assert_nonnull (strstr (unavailable->err, "RESOURCE_NOT_EXISTS"));
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_null (strstr (json, "\"total_fee\":7,"));

  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (pub, G_FILE_TEST_EXISTS));

  run = start (NULL, "--api", "v3", "--sim-v3-dir", v3_dir, "--charge", "4.56",
               "--gateway", f->gateway, "--ledger", f->ledger, "--poll-interval", "600000",
               "--notify-listen", "127.0.0.1:0", "--verbose", NULL);
  otn = wait_for_order (f);
  /* WeChat rotates its certificate while the customer pays: the callback names a serial the
   * till does not hold. It is refused (and the certificates downloaded), and WeChat's retry
   * (15 s later on the simulator's clock) verifies. The poll is ten minutes away. */
  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (({
    g_autofree char *orders = wxpay_sim_server_dup_orders_json (f->sim);

    strstr (orders, "\"attempts\":0") == NULL;
  }));
  WAIT_UNTIL (({
    g_autofree char *orders = wxpay_sim_server_dup_orders_json (f->sim);
    gboolean acked = strstr (orders, "\"acked\":true") != NULL;

    if (!acked)
      {
        wxpay_sim_server_advance_clock (f->sim, 16);
        g_usleep (100 * 1000);
      }
    acked;
  }));
  g_assert_cmpint (finish (run), ==, 0);
  g_test_message ("stderr: %s", run->err);
  lines = g_strsplit (run->out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, otn);
  g_assert_cmpstr (lines[2], ==, "PAID");
  g_assert_cmpint (ledger_state (f, otn), ==, SAOMA_ATTEMPT_PAID);
  g_assert_nonnull (strstr (run->err, "GET /v3/certificates"));
  /* Once at the start, once for the new serial. */
  {
    guint downloads = 0;

    for (const char *p = run->err; (p = strstr (p, "GET /v3/certificates →")) != NULL; p++)
      downloads++;
    g_assert_cmpuint (downloads, >=, 2);
  }
  /* The callback, signed with the certificate, verified and acknowledged. */
  g_clear_pointer (&json, g_free);
  json = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_nonnull (strstr (json, "\"acked\":true"));
}

/* v3 without its files, an unknown API, simulator files for a real gateway: usage errors. */
static void
test_v3_bad_input (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *v3_dir = setup_v3 (f);
  g_autoptr(Run) no_keys = NULL;
  g_autoptr(Run) unknown = NULL;
  g_autoptr(Run) remote_sim = NULL;

  no_keys = start (NULL, "--api", "v3", "--charge", "1", "--gateway",
                   "https://api.mch.weixin.qq.com", "--appid", "wx1", "--mch-id", "1",
                   "--ledger", f->ledger, NULL);
  assert_usage_error (no_keys, 2, "--apiv3-key-file");
  unknown = start (NULL, "--api", "v4", "--charge", "1", "--gateway", f->gateway,
                   "--ledger", f->ledger, NULL);
  assert_usage_error (unknown, 2, "--api wants v2 or v3");
  remote_sim = start (NULL, "--api", "v3", "--sim-v3-dir", v3_dir, "--charge", "1",
                      "--gateway", "https://api.mch.weixin.qq.com", "--ledger", f->ledger,
                      NULL);
  assert_usage_error (remote_sim, 2, "local gateway");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *saoma = saoma_path ();
  g_autofree char *keyring_dir = NULL;
  int status;

  saoma_test_init (&argc, &argv);
  /* The manager PIN (--refund, --close-day) in a keyring of this run only, shared with the
   * commands it starts through the environment. */
  keyring_dir = saoma_test_use_file_keyring ();
  store_manager_pin ();

  if (!g_file_test (saoma, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_print ("1..0 # SKIP %s is not built\n", saoma);
      return 0;
    }

#define ADD(path, func) \
  g_test_add ("/cli/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("bad-input", test_bad_input);
  ADD ("unreachable", test_unreachable);
  ADD ("escaped-output", test_escaped_output);
  ADD ("charge-paid", test_charge_paid);
  ADD ("charge-code", test_charge_code);
  ADD ("verbose-stdout", test_verbose_stdout);
  ADD ("charge-cancelled", test_charge_cancelled);
  ADD ("charge-notified", test_charge_notified);
  ADD ("crash-recover", test_crash_recover);
  ADD ("recover-refunds", test_recover_refunds);
  ADD ("recover-refund-notified", test_recover_refund_notified);
  ADD ("refund", test_refund);
  ADD ("close-day", test_close_day);
  ADD ("late-payments", test_late_payments);
  ADD ("export-accounting", test_export_accounting);
  ADD ("micropay-refund", test_micropay_refund);
  ADD ("headless-binary", test_headless_binary);
  ADD ("forwarding", test_forwarding);
  ADD ("v3/charge", test_v3_charge);
  ADD ("v3/bad-input", test_v3_bad_input);
  ADD ("v3/platform-certificates", test_v3_platform_certificates);

#undef ADD

  status = g_test_run ();
  saoma_test_rm_rf (keyring_dir);
  return status;
}
