/* saoma-business-day-settings.h: the store's business day from GSettings, and its Preferences
 * group. */
#pragma once

#include <adwaita.h>

#include "core/saoma-business-day.h"

G_BEGIN_DECLS

/* The GSettings key: minutes after midnight (Beijing time) when the business day starts. The
 * History page reads the same key. */
#define SAOMA_BUSINESS_DAY_START_KEY "business-day-start"

/* The business day the settings say (Beijing time, their day start); free with
 * saoma_business_day_free(). */
SaomaBusinessDay *saoma_business_day_new_from_settings (GSettings              *settings);
/* The business day that holds now. */
void              saoma_business_day_today             (const SaomaBusinessDay *business_day,
                                                        GDate                  *out_date);
/* A Preferences group of its own: "Business Day — Day starts at HH:MM", bound to the key. */
GtkWidget        *saoma_business_day_preferences_group_new (GSettings *settings);

G_END_DECLS
