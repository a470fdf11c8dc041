/* saoma-pin-dialog.h: set or change the manager PIN (its salted hash lives in the keyring). */
#pragma once

#include <adwaita.h>

#include "core/saoma-pin-guard.h"
#include "saoma-types.h"

G_BEGIN_DECLS

/* The GSettings key that held "pbkdf2-sha256$…" before the keyring did. Never read as a PIN
 * any more (anyone with the session could write it): a value there only makes Saoma ask the
 * manager to set the PIN again, and is reset once that is done. */
#define SAOMA_PIN_SETTINGS_KEY "manager-pin-hash"

#define SAOMA_TYPE_PIN_DIALOG (saoma_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaPinDialog, saoma_pin_dialog, SAOMA, PIN_DIALOG, AdwWindow)

/* Asks for the current PIN when a valid one is set (with the guard's delays and lockout);
 * hashes and stores the new one off the main thread. */
GtkWindow     *saoma_pin_dialog_new                 (GtkWindow     *parent,
                                                     SaomaPinGuard *guard);
/* A Preferences row ("Manager PIN — Set…/Change…") that opens the dialog. */
GtkWidget     *saoma_pin_dialog_new_preferences_row (SaomaApplication *app);
/* The application's one guard (created and read from the keyring on first use); every window
 * that asks for the PIN uses it. */
SaomaPinGuard *saoma_pin_dialog_get_guard           (SaomaApplication *app);
/* TRUE when @guard has read a PIN Saoma stored. */
gboolean       saoma_pin_dialog_is_set              (SaomaPinGuard *guard);
/* Why refunds cannot ask for the PIN right now (a sentence for the manager), or NULL. */
const char    *saoma_pin_dialog_get_problem         (SaomaApplication *app);

G_END_DECLS
