/* saoma-pin-guard.h: the manager PIN's verifier and failure count, in the keyring, checked with a
 * growing delay and a lockout. Every path that asks for the PIN goes through one of these. */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "ledger/saoma-store.h"
#include "saoma-clock.h"
#include "saoma-core-enums.h"

G_BEGIN_DECLS

/* libsecret schema of the one keyring item (attribute "purpose" = "manager-pin"). */
#define SAOMA_PIN_GUARD_SCHEMA_NAME "io.github.saoma.Cashier.ManagerPin"

typedef enum {
  SAOMA_PIN_STATUS_UNKNOWN,     /* the keyring has not been read yet */
  SAOMA_PIN_STATUS_NOT_SET,     /* no PIN: refunds are refused; Preferences sets one */
  SAOMA_PIN_STATUS_SET,         /* a PIN Saoma stored */
  SAOMA_PIN_STATUS_TAMPERED,    /* the keyring item was not written by Saoma: refused */
  SAOMA_PIN_STATUS_UNAVAILABLE, /* no keyring to read */
} SaomaPinStatus;

#define SAOMA_TYPE_PIN_GUARD (saoma_pin_guard_get_type ())
G_DECLARE_FINAL_TYPE (SaomaPinGuard, saoma_pin_guard, SAOMA, PIN_GUARD, GObject)

const SecretSchema *saoma_pin_guard_get_schema (void);

/* @clock: (nullable): the default clock when NULL; @store: (nullable): where setting the PIN
 * and lockouts are recorded as till-wide "manager-pin" events. */
SaomaPinGuard  *saoma_pin_guard_new              (SaomaClock  *clock,
                                                  SaomaStore  *store);
/* Where setting the PIN and lockouts are recorded from now on (the store may open later). */
void            saoma_pin_guard_set_store        (SaomaPinGuard *self,
                                                  SaomaStore    *store);
/* The status of the last read of the keyring ("status" property, notified on change). */
SaomaPinStatus  saoma_pin_guard_get_status       (SaomaPinGuard *self);

/* Reads the keyring item again and updates "status". */
void            saoma_pin_guard_refresh_async    (SaomaPinGuard      *self,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
SaomaPinStatus  saoma_pin_guard_refresh_finish   (SaomaPinGuard *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);
SaomaPinStatus  saoma_pin_guard_refresh_sync     (SaomaPinGuard *self,
                                                  GError       **error);

/* Checks @pin: SAOMA_PIN_ERROR_THROTTLED or _LOCKED while the wait after earlier wrong PINs
 * runs (nothing checked, nothing counted), _WRONG (counted before the hash is computed, so a
 * killed process still pays), _NOT_SET, _TAMPERED or _UNAVAILABLE. The right PIN clears the
 * count. The slow parts run off the calling thread in the _async variant. */
void            saoma_pin_guard_check_async      (SaomaPinGuard      *self,
                                                  const char         *pin,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean        saoma_pin_guard_check_finish     (SaomaPinGuard *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);
gboolean        saoma_pin_guard_check_sync       (SaomaPinGuard *self,
                                                  const char    *pin,
                                                  GError       **error);

/* Stores @new_pin (6–12 digits). While a valid PIN is set, @current_pin must pass a check
 * (same delays and lockout); when none is set or the stored one was tampered with, none is
 * needed and the ledger records that the PIN was set without one. */
void            saoma_pin_guard_set_async        (SaomaPinGuard      *self,
                                                  const char         *current_pin,
                                                  const char         *new_pin,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean        saoma_pin_guard_set_finish       (SaomaPinGuard *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);
gboolean        saoma_pin_guard_set_sync         (SaomaPinGuard *self,
                                                  const char    *current_pin,
                                                  const char    *new_pin,
                                                  GError       **error);

G_END_DECLS
