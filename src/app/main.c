/* main.c: the saoma binary: headless commands first, otherwise the GTK application. */
#define G_LOG_DOMAIN "saoma"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "core/saoma-cli.h"
#include "saoma-application.h"

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* --charge, --recover, --export-day … never need a display. */
  if (saoma_cli_run (argc, argv, &status))
    return status;

  return saoma_application_run (argc, argv);
}
