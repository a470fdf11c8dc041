/* saoma-customer-display.h: the customer-facing screen of one till. */
#pragma once

#include <gtk/gtk.h>

#include "core/saoma-checkout.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_CUSTOMER_DISPLAY (saoma_customer_display_get_type ())
G_DECLARE_FINAL_TYPE (SaomaCustomerDisplay, saoma_customer_display, SAOMA, CUSTOMER_DISPLAY,
                      GtkWindow)

/*
 * A window bound to the same SaomaCheckout as the cashier window; it has no controls and shows
 * nothing but the current sale (never a previous one): welcome, amount + QR + countdown,
 * "confirming", paid, expired/cancelled, then welcome again.
 *
 * Properties:
 *   "checkout" (SaomaCheckout, nullable): the engine it mirrors.
 *   "cashier-window" (GtkWindow, nullable, not owned): the monitor holding it is avoided.
 *   "active" (gboolean): whether the display is wanted at all; bound to the
 *     customer-display-enabled setting. Expose it as the stateful app action
 *     "app.customer-display" with g_property_action_new ("customer-display", display, "active").
 *   "monitor" (GdkMonitor, read-only, nullable): where it is fullscreen now; NULL when it is a
 *     normal window (single monitor) or hidden.
 *   "ready-amount" (gint64 fen): the amount typed at the till while no sale is on (the cashier
 *     window's "ready-amount"); above 0 the idle screen shows it with "show your payment code".
 *
 * Placement follows the settings customer-display-monitor, customer-display-single-monitor
 * and the monitors being plugged and unplugged, without a restart.
 */
SaomaCustomerDisplay *saoma_customer_display_new                (SaomaCheckout *checkout);
SaomaCheckout        *saoma_customer_display_get_checkout       (SaomaCustomerDisplay *self);
void                  saoma_customer_display_set_checkout       (SaomaCustomerDisplay *self,
                                                                 SaomaCheckout        *checkout);
GtkWindow            *saoma_customer_display_get_cashier_window (SaomaCustomerDisplay *self);
void                  saoma_customer_display_set_cashier_window (SaomaCustomerDisplay *self,
                                                                 GtkWindow            *window);
gboolean              saoma_customer_display_get_active         (SaomaCustomerDisplay *self);
void                  saoma_customer_display_set_active         (SaomaCustomerDisplay *self,
                                                                 gboolean              active);
GdkMonitor           *saoma_customer_display_get_monitor        (SaomaCustomerDisplay *self);
/* Re-evaluates where the display goes now (normally automatic). */
void                  saoma_customer_display_place              (SaomaCustomerDisplay *self);
/* The monitor the settings and the cashier window's position choose, or NULL when there is
 * none besides the cashier's. Pure: does not move anything. */
GdkMonitor           *saoma_customer_display_choose_monitor     (SaomaCustomerDisplay *self);
/* Preferences' "Test display": shows a sample sale (¥8.88 and a sample QR code) for
 * @seconds on the chosen monitor, even when the display is turned off. Returns FALSE and shows
 * nothing while a real sale is on the screen. */
gboolean              saoma_customer_display_show_sample        (SaomaCustomerDisplay *self,
                                                                 guint                 seconds);
/* The name of the page shown: "idle", "ready", "charging", "checking", "paid" or "ended". */
const char           *saoma_customer_display_get_page           (SaomaCustomerDisplay *self);
gint64                saoma_customer_display_get_ready_amount   (SaomaCustomerDisplay *self);
void                  saoma_customer_display_set_ready_amount   (SaomaCustomerDisplay *self,
                                                                 gint64                fen);

G_END_DECLS
