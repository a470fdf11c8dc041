/* saoma-pin-dialog.h: set or change the manager PIN (kept only as a salted, slow hash). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The GSettings key that holds "pbkdf2-sha256$…" (never the PIN itself). */
#define SAOMA_PIN_SETTINGS_KEY "manager-pin-hash"

#define SAOMA_TYPE_PIN_DIALOG (saoma_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaPinDialog, saoma_pin_dialog, SAOMA, PIN_DIALOG, AdwWindow)

/* Asks for the current PIN first when one is set; hashes the new one off the main thread and
 * stores the hash in @settings. */
GtkWindow *saoma_pin_dialog_new             (GtkWindow *parent,
                                             GSettings *settings);
/* A Preferences row ("Manager PIN — Set…/Change…") that opens the dialog; for the Preferences
 * window. */
GtkWidget *saoma_pin_dialog_new_preferences_row (GSettings *settings);
/* TRUE when @settings has the PIN key (schema installed) and a PIN is set. */
gboolean   saoma_pin_dialog_is_set          (GSettings *settings);

G_END_DECLS
