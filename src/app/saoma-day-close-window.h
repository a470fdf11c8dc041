/* saoma-day-close-window.h: the day close (日结): totals, hourly chart, X report, Z close. */
#pragma once

#include <adwaita.h>

#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_DAY_CLOSE_WINDOW (saoma_day_close_window_get_type ())
G_DECLARE_FINAL_TYPE (SaomaDayCloseWindow, saoma_day_close_window, SAOMA, DAY_CLOSE_WINDOW,
                      AdwWindow)

/* Opens on today's business day (Beijing time, the day start of the "business-day-start"
 * setting); the day picker chooses another. Follows the store live. Export PDF / the
 * accountants' CSV, print; the Z close asks for the manager PIN. Reports on @till's ledger;
 * @app gives the store name, the till id and demo mode of the header. */
GtkWindow *saoma_day_close_window_new      (GtkWindow        *parent,
                                            SaomaTill        *till,
                                            SaomaApplication *app);
/* Shows the business day @date and reloads. */
void       saoma_day_close_window_set_date (SaomaDayCloseWindow *self,
                                            const GDate         *date);

/* Writes the accountants' CSV (@pdf FALSE) or the PDF report of the day shown to @file. */
void       saoma_day_close_window_export_file (SaomaDayCloseWindow *self,
                                               GFile               *file,
                                               gboolean             pdf);

G_END_DECLS
