/* saoma-report-cli.c: the headless day close.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   saoma --close-day YYYY-MM-DD --pin-file FILE [--pdf FILE] [--csv FILE]
 *         [--acknowledge-unfinished]
 *   saoma --reopen-day YYYY-MM-DD --pin-file FILE --reason TEXT
 *   saoma --day-report YYYY-MM-DD [--pdf FILE] [--csv FILE]
 * with --ledger PATH, --store NAME, --till ID. The day is a local day (TZ decides).
 * --close-day checks the manager PIN (read from --pin-file, never argv), then records the Z
 * close in the ledger; it is refused (exit 1, nothing written) while an attempt is not final,
 * unless --acknowledge-unfinished. A day already closed is reprinted as it was closed (its
 * CSV is the one stored at the close; no PIN needed, nothing recorded). --reopen-day (manager
 * PIN) records that a closed day is open again. --day-report is the X report: any time,
 * nothing recorded.
 * Exit status: 0 success, 1 failure or refusal, 2 usage error.
 *
 * The engine links no cairo, so the PDF is written through the caller's SaomaReportCliPdfFunc:
 * saoma-cli has none and hands a command with --pdf to the renderer executable, which runs this
 * same code with its cairo writer (see src/cli/saoma-cli-main.c).
 */
#define G_LOG_DOMAIN "saoma-report-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "saoma-business-day.h"
#include "saoma-cli.h"
#include "saoma-day-report.h"
#include "saoma-export.h"
#include "saoma-money.h"
#include "saoma-pin-guard.h"
#include "saoma-report-cli.h"

#define EXIT_USAGE 2

static gboolean
has_option (int         argc,
            char      **argv,
            const char *name)
{
  gsize len = strlen (name);

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strncmp (argv[i], name, len) == 0 && (argv[i][len] == '\0' || argv[i][len] == '='))
        return TRUE;
    }
  return FALSE;
}

/* Store name and till from the app's settings when its schema is installed. */
static char *
setting (const char *key)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, key))
    return NULL;
  settings = g_settings_new (APP_ID);
  return g_settings_get_string (settings, key);
}

typedef char CliPin;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliPin, saoma_cli_free_pin)

static int
run_reopen (const char *day_text,
            const char *ledger_path,
            const char *pin_file,
            const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(CliPin) pin = NULL;
  g_autofree char *path = NULL;
  GDate date;

  if (!saoma_export_parse_date (day_text, &date, &error))
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);
  if (pin_file == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--reopen-day needs --pin-file FILE (the manager PIN)");
  if (reason == NULL || *g_strstrip ((char *) reason) == '\0')
    return saoma_cli_fail (EXIT_USAGE, "--reopen-day needs --reason TEXT (it is recorded)");
  pin = saoma_cli_read_pin_file (pin_file, &error);
  if (pin == NULL)
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);

  path = ledger_path ? g_strdup (ledger_path) : saoma_ledger_default_path ();
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return saoma_cli_fail (1, "no ledger at %s", path);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  if (ledger == NULL)
    return saoma_cli_fail (1, "cannot open the ledger: %s", error->message);
  report = saoma_day_report_load_sync (ledger, &date, NULL, &error);
  if (report == NULL)
    return saoma_cli_fail_error (1, error);

  guard = saoma_pin_guard_new (NULL, SAOMA_STORE (ledger));
  if (!saoma_day_report_reopen_sync (report, ledger, guard, pin, reason, &error))
    return saoma_cli_fail_error (1, error);

  printf ("reopened %s\n", saoma_day_report_get_day_text (report));
  fflush (stdout);
  return 0;
}

static int
run (const char *close_day,
     const char *x_day,
     const char *ledger_path,
     const char *pdf,
     const char *csv,
     const char *store,
     const char *till,
     gboolean    acknowledge,
     const char *pin_file,
     const char *day_start,
     SaomaReportCliPdfFunc write_pdf)
{
  g_autoptr(SaomaBusinessDay) business_day = NULL;
  guint start_minutes = 0;
  g_autoptr(CliPin) pin = NULL;
  g_autofree char *stored_csv = NULL;
  g_autofree char *late_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  g_autofree char *path = NULL;
  g_autofree char *store_setting = NULL;
  g_autofree char *till_setting = NULL;
  g_autofree char *payments = NULL, *refunds = NULL, *net = NULL;
  SaomaReportCliKind kind;
  const char *day_text = close_day ? close_day : x_day;
  gboolean reprint = FALSE;
  GDate date;

  if (!saoma_export_parse_date (day_text, &date, &error))
    return saoma_cli_fail (EXIT_USAGE, "%s", error->message);
  /* Refused before anything is recorded: a Z close without the PDF asked for is a half done
   * command. */
  if (pdf != NULL && write_pdf == NULL)
    return saoma_cli_fail (1, "this program cannot write PDF files");
  /* The Z close is the manager's (issue 12.3): the PIN, from a file only. */
  if (close_day != NULL && pin_file == NULL)
    return saoma_cli_fail (EXIT_USAGE, "--close-day needs --pin-file FILE (the manager PIN)");
  if (close_day != NULL)
    {
      pin = saoma_cli_read_pin_file (pin_file, &error);
      if (pin == NULL)
        return saoma_cli_fail (EXIT_USAGE, "%s", error->message);
    }

  path = ledger_path ? g_strdup (ledger_path) : saoma_ledger_default_path ();
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return saoma_cli_fail (1, "no ledger at %s", path);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  if (ledger == NULL)
    return saoma_cli_fail (1, "cannot open the ledger: %s", error->message);

  /* The business day: the local zone (TZ), from midnight or from --day-start. */
  if (day_start != NULL && !saoma_business_day_parse_start (day_start, &start_minutes, &error))
    return saoma_cli_fail (EXIT_USAGE, "--day-start: %s", error->message);
  {
    g_autoptr(GTimeZone) local = g_time_zone_new_local ();

    business_day = saoma_business_day_new (local, start_minutes);
  }
  report = saoma_day_report_load_business_sync (ledger, &date, business_day, &error);
  if (report == NULL)
    return saoma_cli_fail_error (1, error);

  if (close_day != NULL)
    {
      g_autofree char *closed = saoma_day_report_find_close_sync (report, ledger, &error);

      if (error != NULL)
        return saoma_cli_fail_error (1, error);
      reprint = closed != NULL;
    }
  if (close_day != NULL && !reprint)
    {
      g_autoptr(SaomaPinGuard) guard = saoma_pin_guard_new (NULL, SAOMA_STORE (ledger));

      /* Refused before the PIN is asked when it could not close anyway. */
      if (saoma_day_report_get_unfinished (report)->len > 0 && !acknowledge)
        {
          saoma_day_report_close_sync (report, ledger, FALSE, &error);
          return saoma_cli_fail_error (1, error);
        }
      if (!saoma_pin_guard_check_sync (guard, pin, &error))
        return saoma_cli_fail_error (1, error);
      if (!saoma_day_report_close_sync (report, ledger, acknowledge, &error))
        {
          if (!g_error_matches (error, SAOMA_DAY_REPORT_ERROR,
                                SAOMA_DAY_REPORT_ERROR_ALREADY_CLOSED))
            return saoma_cli_fail_error (1, error);
          reprint = TRUE;
          g_clear_error (&error);
        }
    }
  if (reprint)
    {
      /* Reprinted as it was closed: the CSV stored with the close, byte for byte. */
      stored_csv = saoma_day_report_find_close_csv_sync (report, ledger, &error);
      if (error != NULL)
        return saoma_cli_fail_error (1, error);
    }

  if (close_day == NULL)
    kind = SAOMA_REPORT_CLI_X_REPORT;
  else if (reprint)
    kind = SAOMA_REPORT_CLI_Z_REPRINT;
  else if (saoma_day_report_get_unfinished (report)->len > 0)
    kind = SAOMA_REPORT_CLI_Z_CLOSE_ACKNOWLEDGED;
  else
    kind = SAOMA_REPORT_CLI_Z_CLOSE;

  if (store == NULL)
    store = store_setting = setting ("store-name");
  if (till == NULL)
    till = till_setting = setting ("till-id");
  if (pdf != NULL && !write_pdf (report, store, till, kind, pdf, &error))
    return saoma_cli_fail_error (1, error);
  if (csv != NULL && stored_csv != NULL)
    {
      if (!saoma_export_write_file (csv, stored_csv, -1, &error))
        return saoma_cli_fail_error (1, error);
    }
  else if (csv != NULL && !saoma_day_report_write_csv (report, csv, &error))
    return saoma_cli_fail_error (1, error);

  if (saoma_day_report_get_n_late_undecided (report) > 0)
    late_text = g_strdup_printf (", %u late payments to decide",
                                 saoma_day_report_get_n_late_undecided (report));
  payments = saoma_money_format (saoma_day_report_get_payments_total (report));
  refunds = saoma_money_format (saoma_day_report_get_refunds_total (report));
  net = saoma_money_format (saoma_day_report_get_net (report));
  printf ("%s %s: %u payments %s, %u refunds %s, net %s, %u not final%s%s%s\n",
          close_day ? (reprint ? "already closed" : "closed") : "x-report",
          saoma_day_report_get_day_text (report), saoma_day_report_get_n_payments (report),
          payments, saoma_day_report_get_n_refunds (report), refunds, net,
          saoma_day_report_get_unfinished (report)->len,
          (close_day && !reprint && saoma_day_report_get_unfinished (report)->len > 0)
            ? " (acknowledged)" : "",
          saoma_day_report_get_reopened_at (report) != 0 ? " (reopened by the manager)" : "",
          late_text != NULL ? late_text : "");
  fflush (stdout);

  return 0;
}

/**
 * saoma_report_cli_wanted:
 * @argc: argument count
 * @argv: the arguments
 *
 * Returns: %TRUE when @argv holds --close-day or --day-report
 */
gboolean
saoma_report_cli_wanted (int    argc,
                         char **argv)
{
  return has_option (argc, argv, "--close-day") || has_option (argc, argv, "--day-report") ||
         has_option (argc, argv, "--reopen-day");
}

/**
 * saoma_report_cli_wants_pdf:
 * @argc: argument count
 * @argv: the arguments
 *
 * Returns: %TRUE when @argv is a day close or report that asks for --pdf
 */
gboolean
saoma_report_cli_wants_pdf (int    argc,
                            char **argv)
{
  return saoma_report_cli_wanted (argc, argv) && has_option (argc, argv, "--pdf");
}

/**
 * saoma_report_cli_run:
 * @argc: argument count
 * @argv: the arguments (not modified)
 * @write_pdf: (nullable): writes the PDF of --pdf; %NULL refuses --pdf
 * @out_status: (out): the exit status when a command ran
 *
 * Returns: %TRUE when --close-day or --day-report was given (it has run)
 */
gboolean
saoma_report_cli_run (int                   argc,
                      char                **argv,
                      SaomaReportCliPdfFunc write_pdf,
                      int                  *out_status)
{
  g_autofree char *close_day = NULL;
  g_autofree char *x_day = NULL;
  g_autofree char *ledger = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *store = NULL;
  g_autofree char *till = NULL;
  g_autofree char *reopen_day = NULL;
  g_autofree char *pin_file = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *day_start = NULL;
  gboolean acknowledge = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  const GOptionEntry entries[] = {
    { "close-day", 0, 0, G_OPTION_ARG_STRING, &close_day,
      "Z close of a local day: record it in the ledger and print its report", "YYYY-MM-DD" },
    { "day-report", 0, 0, G_OPTION_ARG_STRING, &x_day,
      "X report of a local day (any time, nothing recorded)", "YYYY-MM-DD" },
    { "pdf", 0, 0, G_OPTION_ARG_FILENAME, &pdf, "Write the report as PDF to FILE", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv, "Write the report as CSV to FILE", "FILE" },
    { "ledger", 0, 0, G_OPTION_ARG_FILENAME, &ledger,
      "The ledger file (default $XDG_DATA_HOME/saoma/ledger.db)", "PATH" },
    { "store", 0, 0, G_OPTION_ARG_STRING, &store, "Store name in the header", "NAME" },
    { "till", 0, 0, G_OPTION_ARG_STRING, &till, "Till id in the header", "ID" },
    { "acknowledge-unfinished", 0, 0, G_OPTION_ARG_NONE, &acknowledge,
      "Close the day even though some attempts are not final (manager's decision)", NULL },
    { "reopen-day", 0, 0, G_OPTION_ARG_STRING, &reopen_day,
      "Reopen a Z-closed local day (manager PIN, --reason): recorded in the ledger",
      "YYYY-MM-DD" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file,
      "Read the manager PIN from FILE (mode 0600; never give the PIN itself)", "FILE" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Why the day is reopened", "TEXT" },
    { "day-start", 0, 0, G_OPTION_ARG_STRING, &day_start,
      "When the business day starts (default 00:00; e.g. 04:00 for a late shop)", "HH:MM" },
    { NULL }
  };

  g_return_val_if_fail (out_status != NULL, FALSE);

  if (!saoma_report_cli_wanted (argc, argv))
    return FALSE;

  context = g_option_context_new ("- the day close of the Saoma cashier");
  g_option_context_add_main_entries (context, entries, NULL);
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    *out_status = saoma_cli_fail (EXIT_USAGE, "%s", error->message);
  else if (g_strv_length (args) > 1)
    *out_status = saoma_cli_fail (EXIT_USAGE, "unexpected argument “%s”", args[1]);
  else if ((close_day != NULL) + (x_day != NULL) + (reopen_day != NULL) > 1)
    *out_status = saoma_cli_fail (EXIT_USAGE, "--close-day, --day-report and --reopen-day "
                                  "cannot be combined");
  else if (reopen_day != NULL)
    *out_status = run_reopen (reopen_day, ledger, pin_file, reason);
  else
    *out_status = run (close_day, x_day, ledger, pdf, csv, store, till, acknowledge, pin_file,
                       day_start, write_pdf);

  return TRUE;
}
