/* saoma-paths.h: where Saoma's programs and catalogues are, installed or in a build tree. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The message catalogues: $SAOMA_LOCALEDIR when set, else the installed localedir. */
const char *saoma_paths_localedir   (void);
/* A program of Saoma's: the path in the environment variable @env_name when set, else @name in
 * the installed @install_dir (BINDIR or LIBEXECDIR of config.h). Never NULL. */
char       *saoma_paths_program     (const char *env_name,
                                     const char *install_dir,
                                     const char *name);
/* Replaces this process with @program, keeping @argv (argv[0] too, so messages and --help name
 * the command the user typed) and the process id (a supervisor's signals reach the program).
 * Returns only when the exec failed, with the exit status to use after saying why on stderr. */
int         saoma_paths_exec        (const char  *program,
                                     char       **argv) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
