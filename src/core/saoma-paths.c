/* saoma-paths.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An installed binary must not know the build tree it came from: every helper is found in the
 * install prefix, and a run from the build tree says where its helpers are through environment
 * variables (build-aux/dev and the tests' environment set SAOMA_LOCALEDIR, SAOMA_CLI,
 * SAOMA_REPORT_RENDERER and SAOMA_WXPAY_SIM).
 */
#define G_LOG_DOMAIN "saoma-paths"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "saoma-cli.h"
#include "saoma-paths.h"

/**
 * saoma_paths_localedir:
 *
 * Returns: the directory holding `<lang>/LC_MESSAGES/saoma.mo`
 */
const char *
saoma_paths_localedir (void)
{
  const char *env = g_getenv ("SAOMA_LOCALEDIR");

  return env != NULL && *env != '\0' ? env : LOCALEDIR;
}

/**
 * saoma_paths_program:
 * @env_name: the environment variable that overrides the path
 * @install_dir: where the program is installed
 * @name: the program's file name
 *
 * Returns: (transfer full): the program's path (not checked: exec says what is wrong)
 */
char *
saoma_paths_program (const char *env_name,
                     const char *install_dir,
                     const char *name)
{
  const char *env = g_getenv (env_name);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (install_dir, name, NULL);
}

/**
 * saoma_paths_exec:
 * @program: the program to run
 * @argv: its arguments, %NULL-terminated
 *
 * Returns: 1, after a failed exec (it does not return otherwise)
 */
int
saoma_paths_exec (const char  *program,
                  char       **argv)
{
  int saved;

  execv (program, argv);
  saved = errno;
  return saoma_cli_fail (1, "cannot run %s: %s", program, g_strerror (saved));
}
