/* saoma-cli.h: the headless commands of the saoma binary (no display needed). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When @argv holds a headless command (--charge, --recover, --export-day, and the ones other
 * modules register), runs it, stores its exit status in @out_status and returns TRUE.
 * Returns FALSE for anything else (the GUI then starts). */
gboolean saoma_cli_run (int    argc,
                        char **argv,
                        int   *out_status);

/* TRUE when @argv holds one of saoma_cli_run()'s commands (the GUI forwards those to
 * saoma-cli). */
gboolean saoma_cli_wanted (int    argc,
                           char **argv);

/* How every headless command reports a failure: one line "saoma: MESSAGE" on stderr (line
 * breaks in the message become spaces). Returns @status, for `return saoma_cli_fail (…)`. */
int      saoma_cli_fail (int         status,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
