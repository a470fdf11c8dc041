/* saoma-notify-listener.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notifications are hints (DESIGN.md rule 6): the listener only verifies and forwards them;
 * the checkout confirms each payment with an orderquery before anything is marked paid, and
 * the refunder each refund with a refundquery before the money counts as returned.
 */

#define G_LOG_DOMAIN "saoma-notify-listener"

#include "config.h"

#include <libsoup/soup.h>

#include "saoma-notify-listener.h"

/* WeChat's notifications are small; anything bigger is refused before it is parsed. */
#define MAX_BODY_SIZE (1024 * 1024)

struct _SaomaNotifyListener
{
  GObject        parent_instance;

  SaomaCheckout *checkout;
  SaomaRefunder *refunder;
  char          *path;
  char          *refund_path;
  char          *uri;
  char          *refund_uri;
  SoupServer    *server;
  GCancellable  *cancellable;
};

enum {
  PROP_0,
  PROP_CHECKOUT,
  PROP_PATH,
  PROP_URI,
  PROP_REFUNDER,
  PROP_REFUND_PATH,
  PROP_REFUND_URI,
  N_PROPS
};

enum {
  HANDLED,
  REFUND_HANDLED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SaomaNotifyListener, saoma_notify_listener, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct {
  SaomaNotifyListener *self;
  SoupServerMessage   *msg;
  SaomaGateway        *gateway;
  SaomaGatewayEvent   *event;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->msg);
  g_clear_object (&data->gateway);
  g_clear_pointer (&data->event, saoma_gateway_event_free);
  g_free (data);
}

/* The gateway words the reply (@gateway NULL: nobody can verify anything yet, so WeChat is
 * told to come back later). */
static void
send_reply (SaomaGateway      *gateway,
            SoupServerMessage *msg,
            guint              status,
            gboolean           success,
            const char        *message,
            const char        *what,
            const char        *id)
{
  g_autoptr(GBytes) body = NULL;
  gsize len = 0;
  const char *data;

  if (gateway == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      g_message ("%s for %s refused: %s", what, id ? id : "?", message);
      return;
    }

  body = saoma_gateway_notification_reply (gateway, success, message);
  data = g_bytes_get_data (body, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/xml; charset=utf-8", SOUP_MEMORY_COPY, data, len);

  if (success)
    g_debug ("%s for %s acknowledged", what, id ? id : "?");
  else
    g_message ("%s for %s refused: %s", what, id ? id : "?", message);
}

static void
reply (SaomaNotifyListener *self,
       SaomaGateway        *gateway,
       SoupServerMessage   *msg,
       guint                status,
       gboolean             success,
       const char          *message,
       const char          *out_trade_no)
{
  send_reply (gateway, msg, status, success, message, "Notification", out_trade_no);
  g_signal_emit (self, signals[HANDLED], 0, out_trade_no, success);
}

static void
refund_reply (SaomaNotifyListener *self,
              SaomaGateway        *gateway,
              SoupServerMessage   *msg,
              gboolean             success,
              const char          *message,
              const char          *out_refund_no)
{
  send_reply (gateway, msg, SOUP_STATUS_OK, success, message, "Refund notification",
              out_refund_no);
  g_signal_emit (self, signals[REFUND_HANDLED], 0, out_refund_no, success);
}

/* An order this engine does not drive: answer from the ledger so that duplicates of an
 * already-recorded payment stop, and anything else is retried by WeChat later. */
static void
get_attempt_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  LookupData *data = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  const char *out_trade_no = data->event->out_trade_no;

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (object), result, &error);

  soup_server_message_unpause (data->msg);

  if (attempt == NULL)
    {
      reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE,
             "unknown out_trade_no", out_trade_no);
    }
  else if (data->event->amount != saoma_attempt_get_amount (attempt))
    {
      g_message ("Notification for %s with a total_fee that differs from the ledger",
                 out_trade_no);
      reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE, "total_fee mismatch",
             out_trade_no);
    }
  else
    {
      SaomaAttemptState state = saoma_attempt_get_state (attempt);

      if (state == SAOMA_ATTEMPT_PAID || state == SAOMA_ATTEMPT_PARTIALLY_REFUNDED ||
          state == SAOMA_ATTEMPT_REFUNDED)
        reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, TRUE, "OK",
               out_trade_no);
      else
        {
          /* Recorded but not driven here (not yet recovered, or already given up): let WeChat
           * retry; recovery or reconciliation will settle it. */
          g_message ("Notification for %s, %s in the ledger and not driven by this till",
                     out_trade_no, saoma_attempt_state_to_string (state));
          reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE,
                 "order not active on this till", out_trade_no);
        }
    }

  lookup_data_free (data);
}

/* Refuse an announced oversized body before reading it. */
static void
early_callback (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_content_length (headers) > MAX_BODY_SIZE)
    soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
}

static void
follow_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autofree char *out_refund_no = user_data;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;

  row = saoma_refunder_follow_finish (SAOMA_REFUNDER (object), result, &error);
  if (row == NULL)
    g_message ("Refund %s resumed after a notification: %s", out_refund_no, error->message);
}

/* A refund the refunder is not driving: the ledger decides whether it is ours. */
static void
list_refunds_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LookupData *data = user_data;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  const char *out_refund_no = data->event->out_refund_no;
  const SaomaLedgerRefund *found = NULL;

  refunds = saoma_store_list_refunds_finish (SAOMA_STORE (object), result, &error);
  soup_server_message_unpause (data->msg);

  for (guint i = 0; refunds != NULL && i < refunds->len; i++)
    {
      const SaomaLedgerRefund *row = g_ptr_array_index (refunds, i);

      if (g_strcmp0 (row->out_refund_no, out_refund_no) == 0)
        found = row;
    }

  if (refunds == NULL)
    refund_reply (data->self, data->gateway, data->msg, FALSE, "ledger unavailable",
                  out_refund_no);
  else if (found == NULL)
    refund_reply (data->self, data->gateway, data->msg, FALSE, "unknown out_refund_no",
                  out_refund_no);
  else
    {
      /* Recorded but not followed (e.g. left by an earlier run): follow it now; the query,
       * not this notification, will move it. A final one is simply acknowledged again. */
      if (!saoma_refund_state_is_final (found->state) && data->self->refunder != NULL)
        saoma_refunder_follow_async (data->self->refunder, out_refund_no, NULL, follow_cb,
                                     g_strdup (out_refund_no));
      refund_reply (data->self, data->gateway, data->msg, TRUE, "OK", out_refund_no);
    }

  lookup_data_free (data);
}

/* A verified refund notification: only a hint for the refunder (§10). */
static void
handle_refund (SaomaNotifyListener *self,
               SaomaGateway        *gateway,
               SoupServerMessage   *msg,
               SaomaGatewayEvent   *event)
{
  LookupData *data;

  if (self->refunder == NULL)
    {
      refund_reply (self, gateway, msg, FALSE, "not ready", NULL);
      return;
    }

  if (event->out_refund_no == NULL || *event->out_refund_no == '\0' ||
      event->out_trade_no == NULL || *event->out_trade_no == '\0')
    {
      refund_reply (self, gateway, msg, FALSE, "out_refund_no or out_trade_no missing", NULL);
      return;
    }

  if (saoma_refunder_hint (self->refunder, event->out_refund_no))
    {
      refund_reply (self, gateway, msg, TRUE, "OK", event->out_refund_no);
      return;
    }

  data = g_new0 (LookupData, 1);
  data->self = g_object_ref (self);
  data->msg = g_object_ref (msg);
  data->gateway = g_object_ref (gateway);
  data->event = saoma_gateway_event_copy (event);
  soup_server_message_pause (msg);
  saoma_store_list_refunds_async (saoma_refunder_get_store (self->refunder),
                                  event->out_trade_no, 0, 0, self->cancellable,
                                  list_refunds_cb, data);
}

static void
handle_payment (SaomaNotifyListener *self,
                SaomaGateway        *gateway,
                SoupServerMessage   *msg,
                SaomaGatewayEvent   *event)
{
  g_autoptr(GError) error = NULL;
  const char *out_trade_no = event->out_trade_no;

  if (self->checkout == NULL)
    {
      reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, "not ready", NULL);
      return;
    }

  if (!saoma_checkout_apply_notification (self->checkout, event, &error))
    {
      if (g_error_matches (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER))
        {
          LookupData *data = g_new0 (LookupData, 1);

          data->self = g_object_ref (self);
          data->msg = g_object_ref (msg);
          data->gateway = g_object_ref (gateway);
          data->event = saoma_gateway_event_copy (event);
          soup_server_message_pause (msg);
          saoma_store_get_attempt_async (saoma_checkout_get_store (self->checkout),
                                         out_trade_no, self->cancellable, get_attempt_cb, data);
          return;
        }

      reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, error->message, out_trade_no);
      return;
    }

  reply (self, gateway, msg, SOUP_STATUS_OK, TRUE, "OK", out_trade_no);
}

/* The gateway that verifies what arrives on a path: the refunder's for refunds, the checkout's
 * for payments, either when only one is set (they share the merchant's credentials). */
static SaomaGateway *
pick_gateway (SaomaNotifyListener *self,
              gboolean             refund_path)
{
  SaomaGateway *checkout_gateway = self->checkout ? saoma_checkout_get_gateway (self->checkout)
                                                  : NULL;
  SaomaGateway *refund_gateway = self->refunder ? saoma_refunder_get_gateway (self->refunder)
                                                : NULL;

  if (refund_path)
    return refund_gateway ? refund_gateway : checkout_gateway;
  return checkout_gateway ? checkout_gateway : refund_gateway;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SaomaNotifyListener *self = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SaomaGatewayEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  const char *method = soup_server_message_get_method (msg);
  gboolean refund_path = g_strcmp0 (path, self->refund_path) == 0;
  SaomaGateway *gateway;
  SaomaGatewayEventKind kind;

  if (!refund_path && g_strcmp0 (path, self->path) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  if (g_strcmp0 (method, SOUP_METHOD_POST) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  gateway = pick_gateway (self, refund_path);
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  if (g_bytes_get_size (body) > MAX_BODY_SIZE)
    {
      send_reply (gateway, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, FALSE, "body too large",
                  "Notification", NULL);
      return;
    }

  if (gateway == NULL)
    {
      send_reply (NULL, msg, SOUP_STATUS_SERVICE_UNAVAILABLE, FALSE, "not ready",
                  "Notification", NULL);
      return;
    }

  /* One parse tells a refund from a payment and verifies it. */
  event = saoma_gateway_parse_notification (gateway, body,
                                            refund_path ? SAOMA_NOTIFICATION_REFUND
                                                        : SAOMA_NOTIFICATION_ANY,
                                            &kind, &error);
  if (event == NULL)
    {
      /* The message names the check that failed, never the sign or the key. */
      if (kind == SAOMA_GATEWAY_EVENT_REFUND)
        refund_reply (self, gateway, msg, FALSE, error->message, NULL);
      else
        reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, error->message, NULL);
      return;
    }

  if (event->kind == SAOMA_GATEWAY_EVENT_REFUND)
    handle_refund (self, gateway, msg, event);
  else
    handle_payment (self, gateway, msg, event);
}

static void
saoma_notify_listener_dispose (GObject *object)
{
  SaomaNotifyListener *self = (SaomaNotifyListener *)object;

  saoma_notify_listener_shutdown (self);
  g_clear_object (&self->checkout);
  g_clear_object (&self->refunder);

  G_OBJECT_CLASS (saoma_notify_listener_parent_class)->dispose (object);
}

static void
saoma_notify_listener_finalize (GObject *object)
{
  SaomaNotifyListener *self = (SaomaNotifyListener *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->refund_path, g_free);
  g_clear_pointer (&self->uri, g_free);
  g_clear_pointer (&self->refund_uri, g_free);

  G_OBJECT_CLASS (saoma_notify_listener_parent_class)->finalize (object);
}

static void
saoma_notify_listener_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  SaomaNotifyListener *self = SAOMA_NOTIFY_LISTENER (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      g_value_set_object (value, self->checkout);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_REFUNDER:
      g_value_set_object (value, self->refunder);
      break;
    case PROP_REFUND_PATH:
      g_value_set_string (value, self->refund_path);
      break;
    case PROP_REFUND_URI:
      g_value_set_string (value, self->refund_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_notify_listener_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  SaomaNotifyListener *self = SAOMA_NOTIFY_LISTENER (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      saoma_notify_listener_set_checkout (self, g_value_get_object (value));
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      if (self->path == NULL || self->path[0] != '/')
        {
          g_free (self->path);
          self->path = g_strdup (SAOMA_NOTIFY_LISTENER_DEFAULT_PATH);
        }
      break;
    case PROP_REFUNDER:
      saoma_notify_listener_set_refunder (self, g_value_get_object (value));
      break;
    case PROP_REFUND_PATH:
      g_free (self->refund_path);
      self->refund_path = g_value_dup_string (value);
      if (self->refund_path == NULL || self->refund_path[0] != '/')
        {
          g_free (self->refund_path);
          self->refund_path = g_strdup (SAOMA_NOTIFY_LISTENER_REFUND_PATH);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_notify_listener_class_init (SaomaNotifyListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_notify_listener_dispose;
  object_class->finalize = saoma_notify_listener_finalize;
  object_class->get_property = saoma_notify_listener_get_property;
  object_class->set_property = saoma_notify_listener_set_property;

  properties[PROP_CHECKOUT] =
    g_param_spec_object ("checkout", NULL, NULL, SAOMA_TYPE_CHECKOUT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, SAOMA_NOTIFY_LISTENER_DEFAULT_PATH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REFUNDER] =
    g_param_spec_object ("refunder", NULL, NULL, SAOMA_TYPE_REFUNDER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REFUND_PATH] =
    g_param_spec_string ("refund-path", NULL, NULL, SAOMA_NOTIFY_LISTENER_REFUND_PATH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REFUND_URI] =
    g_param_spec_string ("refund-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HANDLED] =
    g_signal_new ("handled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[REFUND_HANDLED] =
    g_signal_new ("refund-handled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
saoma_notify_listener_init (SaomaNotifyListener *self)
{
  self->path = g_strdup (SAOMA_NOTIFY_LISTENER_DEFAULT_PATH);
  self->refund_path = g_strdup (SAOMA_NOTIFY_LISTENER_REFUND_PATH);
  self->cancellable = g_cancellable_new ();
}

/**
 * saoma_notify_listener_new:
 * @checkout: (nullable): the engine notifications are applied to
 * @path: (nullable): the URL path, default SAOMA_NOTIFY_LISTENER_DEFAULT_PATH
 *
 * Returns: (transfer full): a listener; call saoma_notify_listener_listen().
 */
SaomaNotifyListener *
saoma_notify_listener_new (SaomaCheckout *checkout,
                           const char    *path)
{
  g_return_val_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout), NULL);

  return g_object_new (SAOMA_TYPE_NOTIFY_LISTENER,
                       "checkout", checkout,
                       "path", path ? path : SAOMA_NOTIFY_LISTENER_DEFAULT_PATH,
                       NULL);
}

SaomaCheckout *
saoma_notify_listener_get_checkout (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->checkout;
}

void
saoma_notify_listener_set_checkout (SaomaNotifyListener *self,
                                    SaomaCheckout       *checkout)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));
  g_return_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout));

  if (g_set_object (&self->checkout, checkout))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKOUT]);
}

SaomaRefunder *
saoma_notify_listener_get_refunder (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->refunder;
}

/**
 * saoma_notify_listener_set_refunder:
 * @self: a #SaomaNotifyListener
 * @refunder: (nullable): where refund notifications are sent as hints
 *
 * Until a refunder is set, refund notifications are answered FAIL (WeChat retries them).
 */
void
saoma_notify_listener_set_refunder (SaomaNotifyListener *self,
                                    SaomaRefunder       *refunder)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));
  g_return_if_fail (refunder == NULL || SAOMA_IS_REFUNDER (refunder));

  if (g_set_object (&self->refunder, refunder))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUNDER]);
}

gboolean
saoma_notify_listener_listen (SaomaNotifyListener *self,
                              const char          *address,
                              guint                port,
                              GError             **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(SoupServer) server = NULL;
  GSList *uris;

  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  inet = g_inet_address_new_from_string (address ? address : "127.0.0.1");
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }

  server = soup_server_new ("server-header", "saoma-notify ", NULL);
  soup_server_add_early_handler (server, NULL, early_callback, self, NULL);
  soup_server_add_handler (server, NULL, server_callback, self, NULL);

  sockaddr = g_inet_socket_address_new (inet, (guint16)port);
  if (!soup_server_listen (server, sockaddr, 0, error))
    return FALSE;

  uris = soup_server_get_uris (server);
  if (uris != NULL)
    {
      GUri *bound = uris->data;
      g_autofree char *host = g_inet_address_to_string (inet);

      g_autofree char *base = g_strdup_printf (g_inet_address_get_family (inet)
                                                 == G_SOCKET_FAMILY_IPV6
                                                 ? "http://[%s]:%d" : "http://%s:%d",
                                               host, g_uri_get_port (bound));

      self->uri = g_strconcat (base, self->path, NULL);
      self->refund_uri = g_strconcat (base, self->refund_path, NULL);
    }
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->server = g_steal_pointer (&server);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URI]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUND_URI]);

  return TRUE;
}

guint
saoma_notify_listener_get_port (SaomaNotifyListener *self)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), 0);

  if (self->uri == NULL)
    return 0;

  uri = g_uri_parse (self->uri, G_URI_FLAGS_NONE, NULL);
  return uri ? (guint)g_uri_get_port (uri) : 0;
}

const char *
saoma_notify_listener_get_uri (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->uri;
}

const char *
saoma_notify_listener_get_refund_uri (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->refund_uri;
}

void
saoma_notify_listener_shutdown (SaomaNotifyListener *self)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));

  g_cancellable_cancel (self->cancellable);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
}
