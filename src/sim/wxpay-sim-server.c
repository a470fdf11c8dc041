/* wxpay-sim-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A WeChat Pay v2 gateway on a SoupServer. Every behaviour follows docs/wxpay-v2.md (§16 is the
 * checklist); where the reference leaves a choice open, the choice is written next to the code
 * and in src/sim/README.md. Order state changes that depend on time (expiry, a micropay that
 * waits for the user's password, a refund that is processing) are evaluated lazily against the
 * simulator's clock, so advancing the clock needs no timers; only notification deliveries are
 * scheduled.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

enum {
  PROP_0,
  PROP_APPID,
  PROP_MCH_ID,
  PROP_API_KEY,
  PROP_SEED,
  PROP_TIME_SCALE,
  PROP_CLOSE_MIN_AGE,
  PROP_TLS_CERTIFICATE,
  PROP_CLIENT_CA,
  PROP_STATE_FILE,
  PROP_HEADER_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_CONNECTIONS,
  PROP_ORDER_RETENTION,
  PROP_STATE_INTERVAL,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (WxpaySimServer, wxpay_sim_server, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
/* The routing table: every gateway path the simulator answers, and its API. */
static const WxpaySimRoute routes[] = {
  { "/pay/unifiedorder", wxpay_sim_api_unifiedorder, FALSE },
  { "/pay/orderquery", wxpay_sim_api_orderquery, FALSE },
  { "/pay/closeorder", wxpay_sim_api_closeorder, FALSE },
  { "/pay/micropay", wxpay_sim_api_micropay, FALSE },
  { "/secapi/pay/reverse", wxpay_sim_api_reverse, TRUE },
  { "/secapi/pay/refund", wxpay_sim_api_refund, TRUE },
  { "/pay/refundquery", wxpay_sim_api_refundquery, FALSE },
  { "/pay/downloadbill", wxpay_sim_api_downloadbill, FALSE },
  /* API v3: every path under the prefix, routed again inside wxpay-sim-server-v3.c. */
  { "/v3/", NULL, FALSE, TRUE },
};

static const WxpaySimRoute *
route_lookup (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (routes[i].v3 ? g_str_has_prefix (path, routes[i].path) : strcmp (path, routes[i].path) == 0)
      return &routes[i];
  return NULL;
}

/* How often (real seconds) finished orders are looked at for expiry. */
#define SWEEP_INTERVAL 60

static gboolean
sweep_cb (gpointer user_data)
{
  wxpay_sim_orders_expire (user_data);
  return G_SOURCE_CONTINUE;
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  WxpaySimServer *self = user_data;
  const WxpaySimRoute *route;

  if (self->shut_down)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (g_str_has_prefix (path, "/sim/"))
    wxpay_sim_handle_control (self, msg, path, query);
  else if ((route = route_lookup (path)) != NULL)
    wxpay_sim_handle_gateway (self, msg, route);
  else
    {
      static const char text[] = "wxpay-sim: no such path\n";

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* GObject                                                                                     */

static void
wxpay_sim_server_constructed (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->constructed (object);

  if (self->appid == NULL)
    self->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  if (self->mch_id == NULL)
    self->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  if (self->api_key == NULL)
    self->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);

  self->rand = g_rand_new_with_seed_array ((const guint32 *)&self->seed, 2);
  self->real_base = g_get_real_time ();
  self->mono_base = g_get_monotonic_time ();
  self->counter = (guint64)g_random_int_range (0, 1000000) * 1000;

  self->server = soup_server_new ("server-header", "wxpay-sim ", NULL);
  if (self->tls_certificate != NULL)
    soup_server_set_tls_certificate (self->server, self->tls_certificate);
  if (self->client_ca != NULL)
    {
      /* Requested, not required: only /secapi/ needs the certificate (checked per request). */
      soup_server_set_tls_database (self->server, self->client_ca);
      soup_server_set_tls_auth_mode (self->server, G_TLS_AUTHENTICATION_REQUESTED);
    }
  wxpay_sim_connections_attach (self);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  self->session = soup_session_new_with_options ("timeout", 10, "user-agent", "wxpay-sim", NULL);

  wxpay_sim_load_state (self);
  if (self->order_retention > 0)
    {
      wxpay_sim_orders_expire (self);
      self->sweep_id = g_timeout_add_seconds (SWEEP_INTERVAL, sweep_cb, self);
    }
}

static void
wxpay_sim_server_dispose (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  wxpay_sim_server_shutdown (self);
  g_clear_object (&self->server);
  g_clear_object (&self->guard);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->dispose (object);
}

static void
wxpay_sim_server_finalize (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  g_mutex_clear (&self->save_lock);
  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
  g_clear_pointer (&self->paused, g_ptr_array_unref);
  g_clear_pointer (&self->auth_codes, g_hash_table_unref);
  g_clear_pointer (&self->calls, g_hash_table_unref);
  g_clear_pointer (&self->refunds_by_id, g_hash_table_unref);
  g_clear_pointer (&self->refunds, g_hash_table_unref);
  g_clear_pointer (&self->by_transaction, g_hash_table_unref);
  g_clear_pointer (&self->by_token, g_hash_table_unref);
  g_clear_pointer (&self->order_list, g_ptr_array_unref);
  g_clear_pointer (&self->orders, g_hash_table_unref);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->client_ca);
  g_free (self->base_uri);
  g_free (self->state_file);
  g_free (self->appid);
  g_free (self->mch_id);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  wxpay_sim_v3_credentials_clear (&self->v3);
  g_clear_pointer (&self->v3_bills, g_hash_table_unref);

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->finalize (object);
}

static void
wxpay_sim_server_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WxpaySimServer *self = WXPAY_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPID:
      g_value_set_string (value, self->appid);
      break;
    case PROP_MCH_ID:
      g_value_set_string (value, self->mch_id);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_TIME_SCALE:
      g_value_set_double (value, self->time_scale);
      break;
    case PROP_CLOSE_MIN_AGE:
      g_value_set_uint (value, self->close_min_age);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_CLIENT_CA:
      g_value_set_object (value, self->client_ca);
      break;
    case PROP_STATE_FILE:
      g_value_set_string (value, self->state_file);
      break;
    case PROP_HEADER_TIMEOUT:
      g_value_set_uint (value, self->header_timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_ORDER_RETENTION:
      g_value_set_uint (value, (guint)(self->order_retention / G_USEC_PER_SEC));
      break;
    case PROP_STATE_INTERVAL:
      g_value_set_uint (value, self->state_interval);
      break;
    case PROP_API_KEY:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_sim_server_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  WxpaySimServer *self = WXPAY_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPID:
      self->appid = g_value_dup_string (value);
      break;
    case PROP_MCH_ID:
      self->mch_id = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      self->api_key = g_value_dup_string (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_TIME_SCALE:
      self->time_scale = g_value_get_double (value);
      break;
    case PROP_CLOSE_MIN_AGE:
      self->close_min_age = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      self->tls_certificate = g_value_dup_object (value);
      break;
    case PROP_CLIENT_CA:
      self->client_ca = g_value_dup_object (value);
      break;
    case PROP_STATE_FILE:
      self->state_file = g_value_dup_string (value);
      break;
    case PROP_HEADER_TIMEOUT:
      self->header_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_ORDER_RETENTION:
      self->order_retention = (guint64)g_value_get_uint (value) * G_USEC_PER_SEC;
      break;
    case PROP_STATE_INTERVAL:
      self->state_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_sim_server_class_init (WxpaySimServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                      G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = wxpay_sim_server_constructed;
  object_class->dispose = wxpay_sim_server_dispose;
  object_class->finalize = wxpay_sim_server_finalize;
  object_class->get_property = wxpay_sim_server_get_property;
  object_class->set_property = wxpay_sim_server_set_property;

  properties[PROP_APPID] =
    g_param_spec_string ("appid", NULL, NULL, NULL, flags);
  properties[PROP_MCH_ID] =
    g_param_spec_string ("mch-id", NULL, NULL, NULL, flags);
  /* Write-only: the key is never readable back, so it cannot leak through a property dump. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_TIME_SCALE] =
    g_param_spec_double ("time-scale", NULL, NULL, 0.001, 1000000.0, 1.0, flags);
  properties[PROP_CLOSE_MIN_AGE] =
    g_param_spec_uint ("close-min-age", NULL, NULL, 0, G_MAXUINT32, 300, flags);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_CLIENT_CA] =
    g_param_spec_object ("client-ca", NULL, NULL, G_TYPE_TLS_DATABASE, flags);
  properties[PROP_STATE_FILE] =
    g_param_spec_string ("state-file", NULL, NULL, NULL, flags);
  properties[PROP_HEADER_TIMEOUT] =
    g_param_spec_uint ("header-timeout", NULL, NULL, 0, 3600, WXPAY_SIM_DEFAULT_HEADER_TIMEOUT,
                       flags);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, 86400, WXPAY_SIM_DEFAULT_IDLE_TIMEOUT, flags);
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 0, 1000000,
                       WXPAY_SIM_DEFAULT_MAX_CONNECTIONS, flags);
  /* Seconds on the simulator's clock; 0 keeps every order (the default for in-process use). */
  properties[PROP_ORDER_RETENTION] =
    g_param_spec_uint ("order-retention", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_STATE_INTERVAL] =
    g_param_spec_uint ("state-interval", NULL, NULL, 1, 3600000, WXPAY_SIM_DEFAULT_STATE_INTERVAL,
                       flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wxpay_sim_server_init (WxpaySimServer *self)
{
  self->time_scale = 1.0;
  self->close_min_age = 300;
  self->header_timeout = WXPAY_SIM_DEFAULT_HEADER_TIMEOUT;
  self->idle_timeout = WXPAY_SIM_DEFAULT_IDLE_TIMEOUT;
  self->max_connections = WXPAY_SIM_DEFAULT_MAX_CONNECTIONS;
  self->state_interval = WXPAY_SIM_DEFAULT_STATE_INTERVAL;
  g_mutex_init (&self->save_lock);
  self->cancellable = g_cancellable_new ();
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_fault_free);
  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)wxpay_sim_order_free);
  self->order_list = g_ptr_array_new ();
  self->by_token = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_transaction = g_hash_table_new (g_str_hash, g_str_equal);
  self->refunds = g_hash_table_new (g_str_hash, g_str_equal);
  self->refunds_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->auth_codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_delivery_free);
  self->paused = g_ptr_array_new ();
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

/**
 * wxpay_sim_server_new:
 * @appid: (nullable): the simulated merchant's appid, %NULL for %WXPAY_SIM_DEFAULT_APPID
 * @mch_id: (nullable): its mch_id, %NULL for %WXPAY_SIM_DEFAULT_MCH_ID
 * @api_key: (nullable): its 32-byte API key, %NULL for %WXPAY_SIM_DEFAULT_KEY
 *
 * Returns: (transfer full): a simulator, not yet listening
 */
WxpaySimServer *
wxpay_sim_server_new (const char *appid,
                      const char *mch_id,
                      const char *api_key)
{
  return g_object_new (WXPAY_TYPE_SIM_SERVER,
                       "appid", appid,
                       "mch-id", mch_id,
                       "api-key", api_key,
                       NULL);
}

/**
 * wxpay_sim_server_listen:
 * @self: a #WxpaySimServer
 * @address: an IP address to bind ("127.0.0.1")
 * @port: the port, 0 for any free one
 * @error: return location for a #GError
 *
 * Starts listening (HTTPS when #WxpaySimServer:tls-certificate is set).
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_listen (WxpaySimServer *self,
                         const char     *address,
                         guint           port,
                         GError        **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;
  GSList *uris;
  GUri *uri;
  g_autofree char *host = NULL;

  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (self->base_uri == NULL, FALSE);

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);

  /* Our own socket for a deep accept queue: GSocket's default backlog of 10 makes a burst of
   * new connections (a benchmark, many tills) see resets, which a client must read as "outcome
   * unknown". Faults are the simulator's to inject, not the kernel's. */
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (listener, 1024);
  if (!g_socket_bind (listener, socket_address, TRUE, error) || !g_socket_listen (listener, error))
    return FALSE;
  if (!soup_server_listen_socket (self->server, listener,
                                  self->tls_certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return FALSE;

  uris = soup_server_get_uris (self->server);
  g_return_val_if_fail (uris != NULL, FALSE);
  uri = uris->data;
  host = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
    ? g_strdup_printf ("[%s]", address)
    : g_strdup (address);
  self->base_uri = g_strdup_printf ("%s://%s:%d", self->tls_certificate != NULL ? "https" : "http",
                                    host, g_uri_get_port (uri));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  return TRUE;
}

/**
 * wxpay_sim_server_get_base_uri:
 * @self: a #WxpaySimServer
 *
 * Returns: (nullable): "http://127.0.0.1:PORT" (or https), %NULL before listening
 */
const char *
wxpay_sim_server_get_base_uri (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  return self->base_uri;
}

/**
 * wxpay_sim_server_shutdown:
 * @self: a #WxpaySimServer
 *
 * Stops listening and delivering, and writes the state file. Idempotent.
 */
void
wxpay_sim_server_shutdown (WxpaySimServer *self)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));

  if (self->shut_down)
    return;

  if (self->save_id != 0)
    {
      g_clear_handle_id (&self->save_id, g_source_remove);
    }
  wxpay_sim_save_state (self);
  self->shut_down = TRUE;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  while (self->paused->len > 0)
    {
      Call *call = g_ptr_array_steal_index (self->paused, self->paused->len - 1);

      soup_server_message_set_status (call->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (call->msg);
      wxpay_sim_call_free (call);
    }
  if (self->server != NULL)
    soup_server_disconnect (self->server);
}

/**
 * wxpay_sim_server_pay:
 * @self: a #WxpaySimServer
 * @out_trade_no: an order
 * @error: return location for a #GError in %WXPAY_ERROR (ORDERNOTEXIST, ORDERPAID, ORDERCLOSED,
 *   ORDERREVERSED)
 *
 * The customer pays @out_trade_no now; its notification starts.
 *
 * Returns: %TRUE when the order is now paid
 */
gboolean
wxpay_sim_server_pay (WxpaySimServer *self,
                      const char     *out_trade_no,
                      GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return wxpay_sim_apply_named_action (self, out_trade_no, ACTION_PAY, error);
}

/**
 * wxpay_sim_server_set_user_paying:
 * @self: a #WxpaySimServer
 * @out_trade_no: an unpaid order
 * @error: return location for a #GError
 *
 * The customer scanned and is entering the password: the order shows USERPAYING.
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_set_user_paying (WxpaySimServer *self,
                                  const char     *out_trade_no,
                                  GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return wxpay_sim_apply_named_action (self, out_trade_no, ACTION_USERPAYING, error);
}

/**
 * wxpay_sim_server_fail:
 * @self: a #WxpaySimServer
 * @out_trade_no: an unpaid order
 * @error: return location for a #GError
 *
 * The payment fails (the bank refused): the order ends PAYERROR.
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_fail (WxpaySimServer *self,
                       const char     *out_trade_no,
                       GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return wxpay_sim_apply_named_action (self, out_trade_no, ACTION_FAIL, error);
}

/**
 * wxpay_sim_server_advance_clock:
 * @self: a #WxpaySimServer
 * @seconds: how far to move the simulator's clock forward
 *
 * Expiry, the close rule, refund processing, micropay password waits, bills and the notification
 * schedule all follow the simulator's clock.
 */
void
wxpay_sim_server_advance_clock (WxpaySimServer *self,
                                gint64          seconds)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->offset += USEC (seconds);
  wxpay_sim_orders_expire (self);
  wxpay_sim_schedule_deliveries (self);
  wxpay_sim_queue_save (self);
}

/**
 * wxpay_sim_server_set_now:
 * @self: a #WxpaySimServer
 * @now_us: the simulator's new now, µs since the epoch (UTC)
 *
 * Puts the simulator's clock at @now_us (it keeps running from there at #WxpaySimServer:time-scale),
 * for tests whose own clock is fake. Going backwards is allowed but leaves existing orders with
 * times in the future.
 */
void
wxpay_sim_server_set_now (WxpaySimServer *self,
                          gint64          now_us)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));

  self->offset += now_us - wxpay_sim_now (self);
  wxpay_sim_orders_expire (self);
  wxpay_sim_schedule_deliveries (self);
  wxpay_sim_queue_save (self);
}

/**
 * wxpay_sim_server_get_now:
 * @self: a #WxpaySimServer
 *
 * Returns: the simulator's notion of now, µs since the epoch (UTC)
 */
gint64
wxpay_sim_server_get_now (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), 0);

  return wxpay_sim_now (self);
}

/**
 * wxpay_sim_server_set_faults:
 * @self: a #WxpaySimServer
 * @faults_json: (nullable): a fault selection (see src/sim/README.md), %NULL clears
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @faults_json was valid (the previous selection is kept otherwise)
 */
gboolean
wxpay_sim_server_set_faults (WxpaySimServer *self,
                             const char     *faults_json,
                             GError        **error)
{
  GPtrArray *faults;

  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);

  faults = wxpay_sim_faults_parse (faults_json, error);
  if (faults == NULL)
    return FALSE;

  g_clear_pointer (&self->faults, g_ptr_array_unref);
  self->faults = faults;

  return TRUE;
}

/**
 * wxpay_sim_server_dup_orders_json:
 * @self: a #WxpaySimServer
 *
 * Returns: (transfer full): the JSON of GET /sim/orders
 */
char *
wxpay_sim_server_dup_orders_json (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  return g_string_free (wxpay_sim_orders_json (self), FALSE);
}
