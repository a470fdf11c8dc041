/* saoma-application.h: the AdwApplication (io.github.saoma.Cashier). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers resources, creates the single-instance application and runs it. */
int saoma_application_run (int    argc,
                           char **argv);

G_END_DECLS
