/* main.c: the saoma binary: headless commands first, otherwise the GTK application. */
#define G_LOG_DOMAIN "saoma"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#ifdef HAVE_SAOMA_CLI
# include "core/saoma-cli.h"
#endif
#include "core/saoma-secure.h"
#include "saoma-application.h"
#include "saoma-report-cli.h"

/* Run from the build tree, use the catalogues built there (po/<lang>/LC_MESSAGES). */
static const char *
find_localedir (void)
{
  static char *dir;
  g_autofree char *exe = NULL;

  if (dir != NULL)
    return dir;

  if (g_getenv ("SAOMA_LOCALEDIR") != NULL)
    return dir = g_strdup (g_getenv ("SAOMA_LOCALEDIR"));

  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL && g_str_has_prefix (exe, BUILD_DIR "/"))
    return dir = g_build_filename (BUILD_DIR, "po", NULL);

  return dir = g_strdup (LOCALEDIR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  /* Before anything can load the API key or the PIN: no core file, no ptrace by others. */
  if (!saoma_secure_process_init (&error))
    g_warning ("%s", error->message);

  if (g_getenv ("SAOMA_BENCH") != NULL)
    g_printerr ("SAOMA_STAGE main %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, find_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  {
    int status;

    /* --close-day / --day-report: the day close with its PDF (cairo lives in the app). */
    if (saoma_report_cli_run (argc, argv, &status))
      return status;
  }

#ifdef HAVE_SAOMA_CLI
  {
    int status;

    /* --charge, --recover, --export-day … never need a display. */
    if (saoma_cli_run (argc, argv, &status))
      return status;
  }
#endif

  return saoma_application_run (argc, argv);
}
