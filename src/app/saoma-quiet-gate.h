/* saoma-quiet-gate.h: when the screens may show that a Native sale is being prepared. */
#pragma once

#include <glib-object.h>

#include "core/saoma-checkout.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_QUIET_GATE (saoma_quiet_gate_get_type ())
G_DECLARE_FINAL_TYPE (SaomaQuietGate, saoma_quiet_gate, SAOMA, QUIET_GATE, GObject)

/*
 * Between Enter and WeChat's answer (a few milliseconds) neither the cashier window nor the
 * customer display changes (issue 19): a frame drawn for "creating the payment" would make the
 * QR's frame wait for the next tick of GTK's frame clock. The gate is quiet while the checkout
 * prepares a Native sale, until SAOMA_BUSY_DELAY_MS has passed or saoma_quiet_gate_end() is
 * called (Esc); then "notify::quiet" tells both views to show the busy state. One gate per
 * checkout, shared by both views, so they change together.
 *
 * Property "quiet" (boolean, read-only; notified when it ends): read it through
 * saoma_quiet_gate_is_quiet(), which starts the wait when a preparing sale is first seen.
 */
SaomaQuietGate *saoma_quiet_gate_get      (SaomaCheckout  *checkout);
gboolean        saoma_quiet_gate_is_quiet (SaomaQuietGate *self);
void            saoma_quiet_gate_end      (SaomaQuietGate *self);

G_END_DECLS
