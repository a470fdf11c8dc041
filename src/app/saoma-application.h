/* saoma-application.h: the AdwApplication (io.github.saoma.Cashier). */
#pragma once

#include <adwaita.h>

#include "core/saoma-till.h"
#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_APPLICATION (saoma_application_get_type ())
G_DECLARE_FINAL_TYPE (SaomaApplication, saoma_application, SAOMA, APPLICATION, AdwApplication)

/*
 * The application owns what every window shares: the settings, the demo simulator when no
 * merchant is configured, and the one SaomaTill (store, gateway, checkout, refunder,
 * listener, recovery), made once the gateway is known (after the first window is shown).
 * Preferences swap the gateway through saoma_till_set_gateway().
 *
 * Properties (read-only, notified on change):
 *   "settings" (GSettings), "till" (SaomaTill, NULL until the gateway is known),
 *   "store" (SaomaStore, the till's, NULL until opened),
 *   "checkout" (SaomaCheckout, NULL until the store and the gateway are ready),
 *   "demo" (gboolean: the simulator is the gateway), "demo-base-uri" (string, nullable),
 *   "setup-error" (GError boxed, nullable: why the till could not start).
 */

/* Registers resources, creates the single-instance application and runs it. */
int               saoma_application_run              (int    argc,
                                                      char **argv);
/* Registers the app's GResource; idempotent (for tests that build widgets in-process). */
void              saoma_application_register_resources (void);

SaomaApplication *saoma_application_new              (void);
GSettings        *saoma_application_get_settings     (SaomaApplication *self);
SaomaStore       *saoma_application_get_store        (SaomaApplication *self);
SaomaCheckout    *saoma_application_get_checkout     (SaomaApplication *self);
SaomaTill        *saoma_application_get_till         (SaomaApplication *self);
gboolean          saoma_application_get_demo         (SaomaApplication *self);
const char       *saoma_application_get_demo_base_uri (SaomaApplication *self);
/* The demo merchant on the running simulator (for a temporary gateway); NULL otherwise. */
SaomaMerchant    *saoma_application_dup_demo_merchant (SaomaApplication *self);
/* The merchant of Preferences (protocol of "api-version") with @key from the keyring. */
SaomaMerchant    *saoma_application_dup_merchant      (SaomaApplication *self,
                                                       const char       *key);
const GError     *saoma_application_get_setup_error  (SaomaApplication *self);
/* The store name to show: the setting, or a neutral translated default. Owned. */
char             *saoma_application_dup_store_name   (SaomaApplication *self);
/* Re-reads the merchant settings and the keyring and swaps the gateway (after Preferences). */
void              saoma_application_reload_gateway   (SaomaApplication *self);

/* Demo mode only: the customer pays @out_trade_no on the simulator. */
void              saoma_application_simulate_payment_async  (SaomaApplication   *self,
                                                             const char         *out_trade_no,
                                                             GCancellable       *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer            user_data);
gboolean          saoma_application_simulate_payment_finish (SaomaApplication *self,
                                                             GAsyncResult     *result,
                                                             GError          **error);
/* Demo mode only: the simulator's customer page for a code_url (weixin://…?pr=TOKEN). Owned,
 * NULL outside demo mode or when @code_url has no token. */
char             *saoma_application_dup_pay_page_uri (SaomaApplication *self,
                                                      const char       *code_url);

G_END_DECLS
