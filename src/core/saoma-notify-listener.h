/* saoma-notify-listener.h: receives WeChat Pay payment notifications for a checkout (§9). */
#pragma once

#include <gio/gio.h>

#include "saoma-checkout.h"

G_BEGIN_DECLS

#define SAOMA_NOTIFY_LISTENER_DEFAULT_PATH "/wxpay/notify"

#define SAOMA_TYPE_NOTIFY_LISTENER (saoma_notify_listener_get_type ())
G_DECLARE_FINAL_TYPE (SaomaNotifyListener, saoma_notify_listener, SAOMA, NOTIFY_LISTENER, GObject)

/*
 * An HTTP server (libsoup) that accepts POSTs on "path", verifies each payment notification
 * with the checkout's client (signature, appid, mch_id), checks it against the attempt
 * (known out_trade_no, total_fee) through saoma_checkout_apply_notification(), and answers
 * as §9 says: SUCCESS for an accepted one (duplicates included), FAIL with a reason otherwise.
 * Bodies are never logged (they carry a sign).
 *
 * Properties: "checkout" (may be set after listen, so the engine can be built with the
 * listener's URI as notify_url; until then notifications get FAIL), "path" (construct-only, default
 * SAOMA_NOTIFY_LISTENER_DEFAULT_PATH), "uri" (read-only: the notify_url to send, valid after
 * listen).
 * Signal "handled" (const char *out_trade_no (nullable), gboolean accepted): after each reply.
 */
SaomaNotifyListener *saoma_notify_listener_new      (SaomaCheckout *checkout,
                                                     const char    *path);
SaomaCheckout       *saoma_notify_listener_get_checkout (SaomaNotifyListener *self);
void                 saoma_notify_listener_set_checkout (SaomaNotifyListener *self,
                                                         SaomaCheckout       *checkout);
/* Listens on @address ("127.0.0.1", "0.0.0.0") and @port (0 picks a free one). */
gboolean             saoma_notify_listener_listen   (SaomaNotifyListener *self,
                                                     const char          *address,
                                                     guint                port,
                                                     GError             **error);
guint                saoma_notify_listener_get_port (SaomaNotifyListener *self);
/* "http://ADDRESS:PORT/PATH", or NULL before listen. */
const char          *saoma_notify_listener_get_uri  (SaomaNotifyListener *self);
void                 saoma_notify_listener_shutdown (SaomaNotifyListener *self);

G_END_DECLS
