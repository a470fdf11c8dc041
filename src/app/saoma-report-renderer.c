/* saoma-report-renderer.c: the day close with its PDF, for saoma-cli (installed in libexecdir).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * saoma-cli links no cairo; a --close-day or --day-report with --pdf is exec'd here with the
 * same arguments (see src/cli/saoma-cli-main.c for why the whole command and not the PDF
 * alone). This program links the engine, cairo and Pango, never GTK: it is the same
 * saoma_report_cli_run() with the PDF writer of saoma-report-pdf.c.
 */
#define G_LOG_DOMAIN "saoma-report-renderer"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "core/saoma-cli.h"
#include "core/saoma-paths.h"
#include "core/saoma-report-cli.h"
#include "saoma-report-pdf.h"

static gboolean
write_pdf (SaomaDayReport     *report,
           const char         *store_name,
           const char         *till_id,
           SaomaReportCliKind  kind,
           const char         *path,
           GError            **error)
{
  g_autofree char *note = NULL;
  SaomaReportHeader header = { 0 };

  switch (kind)
    {
    case SAOMA_REPORT_CLI_Z_CLOSE_ACKNOWLEDGED:
      note = g_strdup_printf (_("Closed with %u payments not final yet, confirmed by the "
                                "manager."),
                              saoma_day_report_get_unfinished (report)->len);
      break;
    case SAOMA_REPORT_CLI_Z_REPRINT:
      note = g_strdup (_("Reprint of a day already closed."));
      break;
    case SAOMA_REPORT_CLI_X_REPORT:
    case SAOMA_REPORT_CLI_Z_CLOSE:
    default:
      break;
    }

  header.store_name = store_name;
  header.till_id = till_id;
  header.kind_label = kind == SAOMA_REPORT_CLI_X_REPORT ? _("X report") : _("Z close");
  header.note = note;
  return saoma_report_pdf_write (report, &header, path, error);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, saoma_paths_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!saoma_report_cli_run (argc, argv, write_pdf, &status))
    status = saoma_cli_fail (2, "expects --close-day or --day-report");
  return status;
}
