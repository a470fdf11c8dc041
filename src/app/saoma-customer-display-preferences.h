/* saoma-customer-display-preferences.h: the customer display's group in Preferences. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_CUSTOMER_DISPLAY_PREFERENCES (saoma_customer_display_preferences_get_type ())
G_DECLARE_FINAL_TYPE (SaomaCustomerDisplayPreferences, saoma_customer_display_preferences,
                      SAOMA, CUSTOMER_DISPLAY_PREFERENCES, AdwPreferencesGroup)

/*
 * An AdwPreferencesGroup bound to the customer-display-* settings: on/off, the monitor (by
 * connector, listing the monitors plugged in now), what to do with a single monitor, bilingual
 * text, how long a result stays, and "Test display" (activates app.test-customer-display).
 * Put it in a preferences page: <object class="SaomaCustomerDisplayPreferences"/>.
 */
GtkWidget *saoma_customer_display_preferences_new (void);

G_END_DECLS
