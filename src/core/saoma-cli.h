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

G_END_DECLS
