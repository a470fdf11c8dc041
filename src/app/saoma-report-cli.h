/* saoma-report-cli.h: the headless day close (--close-day, --day-report), with a PDF. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When @argv holds --close-day or --day-report, runs it (no display needed), stores the exit
 * status in @out_status and returns TRUE; FALSE otherwise. Called from main() before
 * saoma_cli_run(), because the PDF needs cairo, which the engine may not link. */
gboolean saoma_report_cli_run (int    argc,
                               char **argv,
                               int   *out_status);

G_END_DECLS
