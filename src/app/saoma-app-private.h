/* saoma-app-private.h: helpers shared by the app's sources, not part of any public header. */
#pragma once

#include <qrencode.h>
#include <glib.h>

G_BEGIN_DECLS

/* libqrencode has no GObject wrapper; this is the one place its cleanup is declared. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, QRcode_free)

/* How long a Native sale waits for WeChat's answer before the cashier window and the customer
 * display say that it is being created (issue 19). The answer normally comes within a few
 * milliseconds: the QR's frame is then the first thing either screen draws after Enter, as
 * GTK starts no frame sooner than 16.7 ms after the one before. Staff still see the busy state
 * when the network is slow; the usual "no flashing spinner" delay. */
#define SAOMA_BUSY_DELAY_MS 200

G_END_DECLS
