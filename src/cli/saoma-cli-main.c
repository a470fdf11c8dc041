/* saoma-cli-main.c: saoma-cli, the headless commands of the Saoma cashier without GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Links the engine only (GLib/GIO, libsoup, libxml2, GnuTLS, SQLite): a script or a supervisor
 * that charges, recovers, exports or closes a day does not pay for loading GTK, libadwaita and
 * cairo, and a till without a display does not need them installed.
 *
 * The one thing it cannot do itself is drawing the day close PDF (cairo and Pango). A day close
 * or report with --pdf is handed as a whole, by exec, to saoma-report-renderer in libexecdir,
 * which runs the same saoma_report_cli_run() with a cairo writer. Handing over the whole
 * command, rather than spawning a renderer for the PDF alone after the close, keeps one process
 * reading the ledger once: the PDF, the CSV, the printed totals and the Z close recorded in the
 * ledger come from one snapshot, with no serialisation of the report between two processes and
 * no second read that could see a payment the first did not. Everything else runs here.
 *
 * Built twice. saoma-cli links the v2 gateway only: --charge pays for every library it maps
 * before its first byte is sent, and API v3's RSA (GnuTLS with p11-kit, libtasn1, GMP) and
 * json-glib were a third of that. A command with --api v3 is handed, whole and by exec before
 * anything is read or written, to saoma-cli-v3 in libexecdir: the same commands with every
 * protocol (SAOMA_CLI_V3 when it is built).
 */
#define G_LOG_DOMAIN "saoma-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "core/saoma-bench-stamp.h"
#include "core/saoma-cli.h"
#include "core/saoma-paths.h"
#include "core/saoma-report-cli.h"
#include "core/saoma-secure.h"

static const char usage[] =
  "Usage: saoma-cli COMMAND [OPTION…]\n"
  "\n"
  "Headless commands of the Saoma cashier (no display needed):\n"
  "  --charge AMOUNT             create a Native order, print out_trade_no and code_url, wait\n"
  "  --recover                   drive every unfinished attempt and refund to a final state\n"
  "  --export-day YYYY-MM-DD     the attempts of a local day as CSV\n"
  "  --reconcile YYYY-MM-DD      compare the ledger with WeChat's bill of a day\n"
  "  --refund OUT_TRADE_NO       refund --amount YUAN of a paid order (--pin-file FILE)\n"
  "  --late-payments             the late payments still waiting for a decision\n"
  "  --decide-late OUT_TRADE_NO  record --decision honoured|refunded (--pin-file FILE)\n"
  "  --close-day YYYY-MM-DD      Z close of a local day (--pin-file FILE; --pdf, --csv)\n"
  "  --reopen-day YYYY-MM-DD     reopen a Z-closed day (--pin-file FILE, --reason TEXT)\n"
  "  --day-report YYYY-MM-DD     X report of a local day (with --pdf FILE, --csv FILE)\n"
  "\n"
  "Each command's options: saoma-cli --charge 1 --help, saoma-cli --close-day 1 --help.\n";

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  saoma_bench_stamp ("main", NULL);

  /* Before the API key is read (--key-file) or the PIN checked: no core file, no ptrace. */
  if (!saoma_secure_process_init (&error))
    g_warning ("%s", error->message);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, saoma_paths_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (saoma_report_cli_wants_pdf (argc, argv))
    {
      g_autofree char *renderer = saoma_paths_program ("SAOMA_REPORT_RENDERER", LIBEXECDIR,
                                                       "saoma-report-renderer");

      return saoma_paths_exec (renderer, argv);
    }

  if (saoma_report_cli_run (argc, argv, NULL, &status))
    return status;
#ifdef SAOMA_CLI_V3
  if (saoma_cli_run (argc, argv, saoma_gateway_new_for_merchant, NULL, &status))
    return status;
#else
  {
    g_autofree char *v3_program = saoma_paths_program ("SAOMA_CLI_V3", LIBEXECDIR,
                                                       "saoma-cli-v3");

    if (saoma_cli_run (argc, argv, saoma_merchant_new_v2_gateway, v3_program, &status))
      return status;
  }
#endif

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage, stdout);
        return 0;
      }
  fputs (usage, stderr);
  return 2;
}
