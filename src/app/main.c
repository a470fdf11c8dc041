/* main.c: the saoma binary: the GTK application; headless commands are saoma-cli's. */
#define G_LOG_DOMAIN "saoma"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "core/saoma-cli.h"
#include "core/saoma-paths.h"
#include "core/saoma-report-cli.h"
#include "core/saoma-secure.h"
#include "saoma-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  /* Before anything can load the API key or the PIN: no core file, no ptrace by others.
   * saoma-cli, which the headless commands become below, does the same (exec resets it). */
  if (!saoma_secure_process_init (&error))
    g_warning ("%s", error->message);

  if (g_getenv ("SAOMA_BENCH") != NULL)
    g_printerr ("SAOMA_STAGE main %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());

  /* `saoma --charge …` and the other headless commands keep working for scripts written
   * before saoma-cli existed: the same process becomes saoma-cli (exec keeps the pid, so a
   * supervisor's kill and the exit status reach the command itself). */
  if (saoma_cli_wanted (argc, argv) || saoma_report_cli_wanted (argc, argv))
    {
      g_autofree char *cli = saoma_paths_program ("SAOMA_CLI", BINDIR, "saoma-cli");

      return saoma_paths_exec (cli, argv);
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, saoma_paths_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  return saoma_application_run (argc, argv);
}
