/* saoma-till.h: one till, composed: store, gateway, checkout, refunder, listener, recovery. */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"
#include "saoma-checkout.h"
#include "saoma-clock.h"
#include "saoma-gateway.h"
#include "saoma-merchant.h"
#include "saoma-notify-listener.h"
#include "saoma-refunder.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_TILL_CONFIG (saoma_till_config_get_type ())

/**
 * SaomaTillConfig:
 *
 * A till's settings, copied by saoma_till_new(). saoma_till_config_new() fills in the engine's
 * defaults (those of saoma_checkout_config_new()); times are seconds or milliseconds.
 */
typedef struct {
  char     *till_id;               /* "T01" */
  char     *store_path;            /* the ledger file; NULL: saoma_ledger_default_path() */
  char     *notify_url;            /* nullable: see listener_is_notify_url, else the default */
  char     *listen_address;        /* nullable: no notification listener ("127.0.0.1") */
  guint     listen_port;           /* 0: any free port */
  gboolean  listener_optional;     /* a listener that cannot start is a warning, not an error */
  gboolean  listener_is_notify_url; /* when notify_url is NULL: send the listener's URIs as the
                                      * orders' and the refunds' notify_url */
  gboolean  resume_at_start;       /* TRUE: start() resumes last run's attempts and refunds */
  guint     validity_s;
  guint     poll_interval_ms;
  guint     slow_poll_interval_ms;
  guint     close_delay_s;
  guint     retry_interval_ms;
  gint64    max_amount;            /* fen */
  guint     refund_retry_interval_ms; /* 0: the refunder's default */
  guint     refund_query_interval_ms; /* 0: the refunder's default */
  guint     micropay_poll_ms;      /* 0: the checkout's default (SaomaCheckoutConfig) */
  guint     micropay_give_up_s;    /* 0: the checkout's default */
  gboolean  micropay_demo;         /* a loopback simulator: micropay without a certificate */
} SaomaTillConfig;

GType            saoma_till_config_get_type (void) G_GNUC_CONST;
SaomaTillConfig *saoma_till_config_new      (void);
SaomaTillConfig *saoma_till_config_copy     (const SaomaTillConfig *config);
void             saoma_till_config_free     (SaomaTillConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaTillConfig, saoma_till_config_free)

#define SAOMA_TYPE_TILL (saoma_till_get_type ())
G_DECLARE_FINAL_TYPE (SaomaTill, saoma_till, SAOMA, TILL, GObject)

/*
 * The one composition root (DESIGN.md): nothing else creates a checkout, a refunder or a
 * notification listener, or a protocol client (saoma_gateway_new_for_merchant() does).
 *
 * saoma_till_start_async() opens the store, and once a gateway is known (given to new() or
 * later to set_gateway()) brings the engine up: the listener (when configured), the checkout,
 * the refunder (wired to the listener for refund notifications), then — with
 * "resume-at-start" — the recovery of every attempt and every refund the last run left
 * unfinished, which goes on in the background (saoma_till_wait_recovered_async()).
 *
 * Properties (read-only, notified on change): "store" (NULL until open), "gateway",
 * "checkout", "refunder", "listener" (NULL until the engine is up, or without a listener),
 * "recovering" (gboolean: start-up recovery is under way).
 */
SaomaTill           *saoma_till_new           (const SaomaTillConfig *config,
                                               SaomaGateway          *gateway,
                                               SaomaClock            *clock);
const SaomaTillConfig *saoma_till_get_config  (SaomaTill *self);
SaomaStore          *saoma_till_get_store     (SaomaTill *self);
/* Transitional: the store as SaomaLedger for the SQLite-only reports (NULL otherwise). */
SaomaLedger         *saoma_till_get_ledger    (SaomaTill *self);
SaomaGateway        *saoma_till_get_gateway   (SaomaTill *self);
SaomaCheckout       *saoma_till_get_checkout  (SaomaTill *self);
SaomaRefunder       *saoma_till_get_refunder  (SaomaTill *self);
SaomaNotifyListener *saoma_till_get_listener  (SaomaTill *self);
gboolean             saoma_till_get_recovering (SaomaTill *self);

/* New credentials (Preferences): the checkout and the refunder take @gateway for new work;
 * attempts and refunds in flight keep the one they started with. The first gateway given to a
 * started till brings its engine up. */
void                 saoma_till_set_gateway   (SaomaTill    *self,
                                               SaomaGateway *gateway);

/* Opens the store and, with a gateway, brings the engine up (see above). Completes once the
 * till can charge (or, without a gateway yet, once the store is open); recovery is not waited
 * for. Errors: the store's; the listener's unless "listener_optional". */
void                 saoma_till_start_async   (SaomaTill          *self,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
gboolean             saoma_till_start_finish  (SaomaTill     *self,
                                               GAsyncResult  *result,
                                               GError       **error);

/* Completes when start-up recovery is over: every attempt and refund it resumed is final (or
 * could not be resumed: a refund without the client certificate). *@out_attempts and
 * *@out_refunds (optional) are the numbers resumed. Completes at once when there was no
 * recovery. */
void                 saoma_till_wait_recovered_async  (SaomaTill          *self,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean             saoma_till_wait_recovered_finish (SaomaTill     *self,
                                                       GAsyncResult  *result,
                                                       guint         *out_attempts,
                                                       guint         *out_refunds,
                                                       GError       **error);

/* Stops the listener and cancels start-up recovery (attempts and refunds stay in the store
 * for the next start). */
void                 saoma_till_shutdown      (SaomaTill *self);

G_END_DECLS
