/* saoma-report-cli.h: the headless day close (--close-day, --day-report). */
#pragma once

#include <gio/gio.h>

#include "saoma-day-report.h"

G_BEGIN_DECLS

/* What the report is, for its header (the writer words it: core does not translate). */
typedef enum {
  SAOMA_REPORT_CLI_X_REPORT,              /* --day-report */
  SAOMA_REPORT_CLI_Z_CLOSE,               /* --close-day, recorded now */
  SAOMA_REPORT_CLI_Z_CLOSE_ACKNOWLEDGED,  /* recorded now with attempts not final */
  SAOMA_REPORT_CLI_Z_REPRINT,             /* the day was already closed */
} SaomaReportCliKind;

/* Writes @report as a PDF to @path; @store_name and @till_id (nullable) go in its header. The
 * engine cannot draw (no cairo in core): the program that can passes its writer to
 * saoma_report_cli_run(). */
typedef gboolean (*SaomaReportCliPdfFunc) (SaomaDayReport     *report,
                                           const char         *store_name,
                                           const char         *till_id,
                                           SaomaReportCliKind  kind,
                                           const char         *path,
                                           GError            **error);

/* TRUE when @argv holds --close-day, --day-report or --reopen-day. */
gboolean saoma_report_cli_wanted    (int                   argc,
                                     char                **argv);
/* TRUE when @argv holds --close-day or --day-report together with --pdf. */
gboolean saoma_report_cli_wants_pdf (int                   argc,
                                     char                **argv);

/* When @argv holds --close-day, --day-report or --reopen-day, runs it (no display needed), stores the exit
 * status in @out_status and returns TRUE; FALSE otherwise. With @write_pdf NULL, --pdf is
 * refused (exit 1) before anything is recorded. */
gboolean saoma_report_cli_run       (int                   argc,
                                     char                **argv,
                                     SaomaReportCliPdfFunc write_pdf,
                                     int                  *out_status);

G_END_DECLS
