/* saoma-preferences-window.h: merchant credentials, gateway and till settings. */
#pragma once

#include <adwaita.h>

#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_PREFERENCES_WINDOW (saoma_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (SaomaPreferencesWindow, saoma_preferences_window, SAOMA,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

SaomaPreferencesWindow *saoma_preferences_window_new (SaomaApplication *application);
/* "Test connection" for tests and screenshots: press it, then read what it said (NULL until
 * it ends). */
void        saoma_preferences_window_test_connection  (SaomaPreferencesWindow *self);
const char *saoma_preferences_window_get_test_message (SaomaPreferencesWindow *self);

G_END_DECLS
