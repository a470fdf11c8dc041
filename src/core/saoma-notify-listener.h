/* saoma-notify-listener.h: receives WeChat Pay payment (§9) and refund (§10) notifications. */
#pragma once

#include <gio/gio.h>

#include "saoma-checkout.h"
#include "saoma-refunder.h"
#include "wxpay/wxpay-server-guard.h"

G_BEGIN_DECLS

#define SAOMA_NOTIFY_LISTENER_DEFAULT_PATH "/wxpay/notify"
#define SAOMA_NOTIFY_LISTENER_REFUND_PATH  "/wxpay/refund-notify"
#define SAOMA_NOTIFY_LISTENER_DEFAULT_REPLAY_WINDOW 60

#define SAOMA_TYPE_NOTIFY_LISTENER (saoma_notify_listener_get_type ())
G_DECLARE_FINAL_TYPE (SaomaNotifyListener, saoma_notify_listener, SAOMA, NOTIFY_LISTENER, GObject)

/*
 * An HTTP server (libsoup) that accepts POSTs on "path", has the checkout's gateway verify each
 * payment notification (signature, merchant ids) in one parse, checks it against the attempt
 * (known out_trade_no, total_fee) through saoma_checkout_apply_notification(), and answers
 * as §9 says: SUCCESS for an accepted one (duplicates included), FAIL with a reason otherwise.
 * Bodies are never logged (they carry a sign).
 *
 * Properties: "checkout" (may be set after listen, so the engine can be built with the
 * listener's URI as notify_url; until then notifications get FAIL, or HTTP 503 when neither a
 * checkout nor a refunder gives a gateway to word the reply), "path" (construct-only, default
 * SAOMA_NOTIFY_LISTENER_DEFAULT_PATH), "uri" (read-only: the notify_url to send, valid after
 * listen).
 * Signal "handled" (const char *out_trade_no (nullable), gboolean accepted): after each reply.
 *
 * Refund notifications (§10) are accepted on "refund-path" (default
 * SAOMA_NOTIFY_LISTENER_REFUND_PATH; "refund-uri" is the refund request's notify_url) and, when
 * the gateway classifies them as refunds, on "path" too. The "refunder"'s gateway decrypts and
 * verifies them (merchant ids too): one that does not verify is answered FAIL and changes
 * nothing. A genuine one is only a hint: saoma_refunder_hint() makes the refunder confirm it
 * with refundquery; a refund it is not driving is looked up in the ledger (unknown: FAIL; not
 * final: followed). Signal "refund-handled" (const char *out_refund_no (nullable),
 * gboolean accepted) after each such reply.
 *
 * Limits (issue 11): the SoupServer carries a WxpayServerGuard (saoma_notify_listener_get_guard():
 * bodies over 1 MiB answered 413 as they arrive, header and idle timeouts, a connection cap).
 * Replays: within "replay-window" seconds (default SAOMA_NOTIFY_LISTENER_DEFAULT_REPLAY_WINDOW,
 * 0 off) a verified notification of an order that was already answered for good (PAID, not
 * ours, wrong amount), or that already went through the whole path a few times, is answered
 * again from memory: no ledger read, event, query or log line. The window's repeats are logged
 * and, for an order of the ledger, recorded as one "notification" event when it ends.
 */
SaomaNotifyListener *saoma_notify_listener_new      (SaomaCheckout *checkout,
                                                     const char    *path);
SaomaCheckout       *saoma_notify_listener_get_checkout (SaomaNotifyListener *self);
void                 saoma_notify_listener_set_checkout (SaomaNotifyListener *self,
                                                         SaomaCheckout       *checkout);
SaomaRefunder       *saoma_notify_listener_get_refunder (SaomaNotifyListener *self);
void                 saoma_notify_listener_set_refunder (SaomaNotifyListener *self,
                                                         SaomaRefunder       *refunder);
/* Listens on @address ("127.0.0.1", "0.0.0.0") and @port (0 picks a free one). */
gboolean             saoma_notify_listener_listen   (SaomaNotifyListener *self,
                                                     const char          *address,
                                                     guint                port,
                                                     GError             **error);
guint                saoma_notify_listener_get_port (SaomaNotifyListener *self);
/* "http://ADDRESS:PORT/PATH", or NULL before listen. */
const char          *saoma_notify_listener_get_uri  (SaomaNotifyListener *self);
/* "http://ADDRESS:PORT/REFUND-PATH", or NULL before listen. */
const char          *saoma_notify_listener_get_refund_uri (SaomaNotifyListener *self);
void                 saoma_notify_listener_shutdown (SaomaNotifyListener *self);
WxpayServerGuard    *saoma_notify_listener_get_guard (SaomaNotifyListener *self);
guint                saoma_notify_listener_get_replay_window (SaomaNotifyListener *self);
void                 saoma_notify_listener_set_replay_window (SaomaNotifyListener *self,
                                                              guint                seconds);

G_END_DECLS
