/* saoma-application.c: placeholder until the cashier window exists. */
#define G_LOG_DOMAIN "saoma-application"

#include "config.h"

#include <glib/gi18n.h>

#include "saoma-application.h"

int
saoma_application_run (int    argc,
                       char **argv)
{
  g_printerr ("saoma: the cashier window is not built yet; use --charge, --recover or "
              "--export-day\n");
  return 1;
}
