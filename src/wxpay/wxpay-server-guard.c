/* wxpay-server-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SoupServer 3.2 has no body limit, no timeouts and no connection cap, so the guard watches each
 * connection from the outside (the approach of the simulator's connection table, made one
 * object that any server can attach): "request-started" is emitted when a connection is
 * accepted and again when a kept-alive connection starts its next request, and
 * soup_server_message_get_socket() names the connection. A connection is closed by shutting its
 * socket down (never by closing the fd under libsoup's feet while it reads): libsoup then reads
 * end-of-file, aborts the request and closes the socket, which ends the entry.
 *
 *   accept ──► READING (header-timeout: the whole request must arrive) ──► BUSY
 *                ▲                                                          │
 *                └── next request ◄── IDLE (idle-timeout) ◄── answer sent ◄─┘
 *
 * A body over "max-body" is refused as soon as its bytes (or its Content-Length) say so: the
 * connection is taken from libsoup, which would otherwise read and keep the body to its end
 * whatever the status, answered 413 by hand, and the rest is read and dropped for a moment so
 * that the client sees the answer instead of a reset.
 */

#define G_LOG_DOMAIN "wxpay"

#include "config.h"

#include "wxpay-server-guard.h"

/* After a 413, how long the rest of the body is drained (and dropped) before the close. */
#define DRAIN_TIME_MS 2000
#define DRAIN_BUFFER  (64 * 1024)

typedef enum
{
  CONN_READING,
  CONN_BUSY,
  CONN_IDLE,
} ConnPhase;

typedef struct
{
  GSocket  *socket; /* a reference, so that the key cannot be reused while watched */
  ConnPhase phase;
  gint64    deadline; /* monotonic µs; 0: none (BUSY, or the limit is off) */
} Conn;

struct _WxpayServerGuard
{
  GObject parent_instance;

  guint64  max_body;
  guint    header_timeout;
  guint    idle_timeout;
  guint    max_connections;
  gboolean make_room;

  GHashTable           *connections; /* GSocket → Conn (owned) */
  guint                 sweep_id;
  WxpayServerGuardStats stats;
};

enum
{
  PROP_0,
  PROP_MAX_BODY,
  PROP_HEADER_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_CONNECTIONS,
  PROP_MAKE_ROOM,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (WxpayServerGuard, wxpay_server_guard, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const char body_bytes_key[] = "wxpay-server-guard-body-bytes";
static const char refused_key[] = "wxpay-server-guard-refused";

static void
conn_free (Conn *conn)
{
  g_clear_object (&conn->socket);
  g_free (conn);
}

/* Both directions: libsoup's next read sees end-of-file and it drops the connection itself. */
static void
conn_shut (Conn *conn)
{
  conn->deadline = 0;
  if (!g_socket_is_closed (conn->socket))
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

/* Between two requests libsoup 3.2 does not watch the connection at all (it notices neither a
 * shutdown nor the client leaving), so an idle connection is closed outright; libsoup's next
 * use of the socket fails cleanly with G_IO_ERROR_CLOSED. */
static void
conn_close_idle (Conn *conn)
{
  conn_shut (conn);
  g_socket_close (conn->socket, NULL);
}

/* An idle connection the client closed reads end-of-file; libsoup would not notice before the
 * idle timeout and would hold the descriptor meanwhile. */
static gboolean
client_left (GSocket *socket)
{
  char         byte;
  GInputVector vector = { &byte, 1 };
  gint         flags = G_SOCKET_MSG_PEEK;

  if (g_socket_is_closed (socket) ||
      g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
    return FALSE;
  return g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL) <= 0;
}

/* Once a second while connections are open: a comparison per connection instead of a timer per
 * request. libsoup may keep a finished connection's GSocket object alive for a while after it
 * closed it, so a closed socket is what ends an entry. */
static gboolean
sweep_cb (gpointer user_data)
{
  WxpayServerGuard *self = user_data;
  gint64            now = g_get_monotonic_time ();
  GHashTableIter    iter;
  gpointer          value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->phase == CONN_IDLE && client_left (conn->socket))
        conn_close_idle (conn);
      else if (!g_socket_is_closed (conn->socket) && conn->deadline != 0 && now >= conn->deadline)
        {
          if (conn->phase == CONN_IDLE)
            {
              self->stats.closed_idle++;
              conn_close_idle (conn);
            }
          else
            {
              self->stats.closed_header_timeout++;
              conn_shut (conn);
            }
        }
      if (g_socket_is_closed (conn->socket))
        g_hash_table_iter_remove (&iter);
    }

  if (g_hash_table_size (self->connections) == 0)
    {
      self->sweep_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
prune (WxpayServerGuard *self)
{
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_socket_is_closed (key))
      g_hash_table_iter_remove (&iter);
}

static void
conn_set_phase (WxpayServerGuard *self,
                Conn             *conn,
                ConnPhase         phase)
{
  guint limit = 0;

  conn->phase = phase;
  switch (phase)
    {
    case CONN_READING:
      limit = self->header_timeout;
      break;
    case CONN_IDLE:
      limit = self->idle_timeout;
      break;
    case CONN_BUSY:
      break;
    default:
      g_assert_not_reached ();
    }
  conn->deadline = limit > 0 ? g_get_monotonic_time () + (gint64)limit * G_USEC_PER_SEC : 0;
}

static Conn *
conn_for (WxpayServerGuard  *self,
          SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;
}

/* --- 413 -------------------------------------------------------------------------------------- */

typedef struct
{
  GIOStream    *stream;
  GSocket      *socket;
  GCancellable *cancellable;
  guint         deadline_id;
  char         *buffer;
} Drain;

static void
drain_free (Drain *drain)
{
  g_clear_handle_id (&drain->deadline_id, g_source_remove);
  g_io_stream_close (drain->stream, NULL, NULL);
  g_object_unref (drain->stream);
  g_clear_object (&drain->socket);
  g_object_unref (drain->cancellable);
  g_free (drain->buffer);
  g_free (drain);
}

static gboolean
drain_deadline_cb (gpointer user_data)
{
  Drain *drain = user_data;

  drain->deadline_id = 0;
  g_cancellable_cancel (drain->cancellable);
  return G_SOURCE_REMOVE;
}

static void
drain_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Drain *drain = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      drain_free (drain);
      return;
    }
  /* Dropped: the point is to let the client finish writing and read the 413. */
  g_input_stream_read_async (G_INPUT_STREAM (source), drain->buffer, DRAIN_BUFFER,
                             G_PRIORITY_LOW, drain->cancellable, drain_read_cb, drain);
}

static void
answer_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Drain *drain = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      drain_free (drain);
      return;
    }
  /* Plain HTTP: end our side so that the client sees the whole answer, then drain. (Over TLS
   * the close_notify of the close says the same.) */
  if (drain->socket != NULL && !G_IS_TLS_CONNECTION (drain->stream))
    g_socket_shutdown (drain->socket, FALSE, TRUE, NULL);
  drain->buffer = g_malloc (DRAIN_BUFFER);
  drain->deadline_id = g_timeout_add (DRAIN_TIME_MS, drain_deadline_cb, drain);
  g_input_stream_read_async (g_io_stream_get_input_stream (drain->stream), drain->buffer,
                             DRAIN_BUFFER, G_PRIORITY_LOW, drain->cancellable, drain_read_cb,
                             drain);
}

static void
refuse_too_large (WxpayServerGuard  *self,
                  SoupServerMessage *msg)
{
  static const char answer[] =
    "HTTP/1.1 413 Request Entity Too Large\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 15\r\n"
    "Connection: close\r\n"
    "\r\n"
    "body too large\n";
  Conn    *conn = conn_for (self, msg);
  GSocket *socket = soup_server_message_get_socket (msg);
  g_autoptr(GIOStream) stream = NULL;
  Drain *drain;

  /* Once per message: libsoup may still report a chunk it had read before the theft. */
  if (g_object_get_data (G_OBJECT (msg), refused_key) != NULL)
    return;
  g_object_set_data (G_OBJECT (msg), refused_key, GINT_TO_POINTER (TRUE));

  if (conn != NULL)
    {
      /* No longer libsoup's, nor ours to time out: the drain has a deadline of its own. */
      g_hash_table_remove (self->connections, conn->socket);
    }
  self->stats.refused_too_large++;

  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  drain = g_new0 (Drain, 1);
  drain->stream = g_steal_pointer (&stream);
  drain->socket = socket != NULL ? g_object_ref (socket) : NULL;
  drain->cancellable = g_cancellable_new ();
  g_output_stream_write_all_async (g_io_stream_get_output_stream (drain->stream), answer,
                                   sizeof answer - 1, G_PRIORITY_DEFAULT, drain->cancellable,
                                   answer_written_cb, drain);
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  WxpayServerGuard   *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (self->max_body > 0 &&
      soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64)soup_message_headers_get_content_length (headers) > self->max_body)
    refuse_too_large (self, msg);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  WxpayServerGuard *self = user_data;
  guint64          *total = g_object_get_data (G_OBJECT (msg), body_bytes_key);

  if (total == NULL)
    {
      total = g_new0 (guint64, 1);
      g_object_set_data_full (G_OBJECT (msg), body_bytes_key, total, g_free);
    }
  /* Counted as the bytes arrive: a chunked body has no Content-Length to check up front. */
  *total += g_bytes_get_size (chunk);
  if (self->max_body > 0 && *total > self->max_body)
    refuse_too_large (self, msg);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  WxpayServerGuard *self = user_data;
  Conn             *conn = conn_for (self, msg);

  if (conn != NULL)
    conn_set_phase (self, conn, CONN_BUSY);
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  WxpayServerGuard *self = user_data;
  Conn             *conn = conn_for (self, msg);

  if (conn != NULL && conn->phase != CONN_READING)
    conn_set_phase (self, conn, CONN_IDLE);
}

/* The READING or IDLE connection whose deadline comes first (the longest waiting) is closed. */
static gboolean
evict_oldest (WxpayServerGuard *self)
{
  GHashTableIter iter;
  gpointer       value;
  Conn          *oldest = NULL;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->phase == CONN_BUSY || g_socket_is_closed (conn->socket))
        continue;
      /* Idle ones first: they are not even sending. */
      if (oldest == NULL || (conn->phase == CONN_IDLE && oldest->phase != CONN_IDLE) ||
          (conn->phase == oldest->phase && conn->deadline < oldest->deadline))
        oldest = conn;
    }
  if (oldest == NULL)
    return FALSE;

  self->stats.evicted++;
  if (oldest->phase == CONN_IDLE)
    conn_close_idle (oldest);
  else
    conn_shut (oldest);
  g_hash_table_remove (self->connections, oldest->socket);
  return TRUE;
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  WxpayServerGuard *self = user_data;
  GSocket          *socket = soup_server_message_get_socket (msg);
  Conn             *conn;

  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);

  if (socket == NULL)
    return;

  prune (self);
  conn = g_hash_table_lookup (self->connections, socket);
  if (conn != NULL)
    {
      /* The next request of a kept-alive connection: libsoup 3.2 starts it once its first
       * bytes arrive. */
      conn_set_phase (self, conn, CONN_READING);
      return;
    }

  /* At the cap the oldest connection that is not being answered makes room (a flood of slow
   * clients then cannot lock a genuine one out); when every one is being answered, the new one
   * is closed at once: queueing would hold a descriptor per waiting client, which is what the
   * cap bounds. */
  if (self->max_connections > 0 && g_hash_table_size (self->connections) >= self->max_connections &&
      !(self->make_room && evict_oldest (self)))
    {
      self->stats.refused_connections++;
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
      return;
    }

  conn = g_new0 (Conn, 1);
  conn->socket = g_object_ref (socket);
  g_hash_table_insert (self->connections, socket, conn);
  if (self->sweep_id == 0)
    self->sweep_id = g_timeout_add_seconds (1, sweep_cb, self);
  self->stats.peak = MAX (self->stats.peak, g_hash_table_size (self->connections));
  /* A new connection owes its first request at once: header-timeout from the accept. */
  conn_set_phase (self, conn, CONN_READING);
}

/* --- GObject ---------------------------------------------------------------------------------- */

static void
wxpay_server_guard_dispose (GObject *object)
{
  WxpayServerGuard *self = WXPAY_SERVER_GUARD (object);

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_hash_table_remove_all (self->connections);

  G_OBJECT_CLASS (wxpay_server_guard_parent_class)->dispose (object);
}

static void
wxpay_server_guard_finalize (GObject *object)
{
  WxpayServerGuard *self = WXPAY_SERVER_GUARD (object);

  g_hash_table_unref (self->connections);

  G_OBJECT_CLASS (wxpay_server_guard_parent_class)->finalize (object);
}

static void
wxpay_server_guard_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  WxpayServerGuard *self = WXPAY_SERVER_GUARD (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY:
      g_value_set_uint64 (value, self->max_body);
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
    case PROP_MAKE_ROOM:
      g_value_set_boolean (value, self->make_room);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_server_guard_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  WxpayServerGuard *self = WXPAY_SERVER_GUARD (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY:
      wxpay_server_guard_set_max_body (self, g_value_get_uint64 (value));
      break;
    case PROP_HEADER_TIMEOUT:
      wxpay_server_guard_set_header_timeout (self, g_value_get_uint (value));
      break;
    case PROP_IDLE_TIMEOUT:
      wxpay_server_guard_set_idle_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS:
      wxpay_server_guard_set_max_connections (self, g_value_get_uint (value));
      break;
    case PROP_MAKE_ROOM:
      if (self->make_room != g_value_get_boolean (value))
        {
          self->make_room = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_server_guard_class_init (WxpayServerGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS |
                      G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = wxpay_server_guard_dispose;
  object_class->finalize = wxpay_server_guard_finalize;
  object_class->get_property = wxpay_server_guard_get_property;
  object_class->set_property = wxpay_server_guard_set_property;

  properties[PROP_MAX_BODY] =
    g_param_spec_uint64 ("max-body", NULL, NULL, 0, G_MAXUINT64,
                         WXPAY_SERVER_GUARD_DEFAULT_MAX_BODY, flags);
  properties[PROP_HEADER_TIMEOUT] =
    g_param_spec_uint ("header-timeout", NULL, NULL, 0, G_MAXUINT,
                       WXPAY_SERVER_GUARD_DEFAULT_HEADER_TIMEOUT, flags);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 0, G_MAXUINT,
                       WXPAY_SERVER_GUARD_DEFAULT_IDLE_TIMEOUT, flags);
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 0, G_MAXUINT,
                       WXPAY_SERVER_GUARD_DEFAULT_MAX_CONNECTIONS, flags);

  /* At the cap, close the longest-waiting idle or slow connection for the new one (TRUE), or
   * close the new one (FALSE). */
  properties[PROP_MAKE_ROOM] = g_param_spec_boolean ("make-room", NULL, NULL, TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wxpay_server_guard_init (WxpayServerGuard *self)
{
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)conn_free);
}

/**
 * wxpay_server_guard_new:
 *
 * Returns: (transfer full): a guard with the default limits; attach it to a server.
 */
WxpayServerGuard *
wxpay_server_guard_new (void)
{
  return g_object_new (WXPAY_TYPE_SERVER_GUARD, NULL);
}

/**
 * wxpay_server_guard_attach:
 * @self: a #WxpayServerGuard
 * @server: the server to watch, before it listens
 *
 * The guard does not keep @server alive; its handlers go when the guard is finalized.
 */
void
wxpay_server_guard_attach (WxpayServerGuard *self,
                           SoupServer       *server)
{
  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));
  g_return_if_fail (SOUP_IS_SERVER (server));

  g_signal_connect_object (server, "request-started", G_CALLBACK (request_started_cb), self, 0);
  g_signal_connect_object (server, "request-read", G_CALLBACK (request_read_cb), self, 0);
  g_signal_connect_object (server, "request-finished", G_CALLBACK (request_finished_cb), self,
                           0);
}

/**
 * wxpay_server_guard_listen:
 * @self: a #WxpayServerGuard, attached to @server
 * @server: the server
 * @address: where to listen (port 0 picks a free one)
 * @error: return location for a #GError
 *
 * soup_server_listen() with a listen backlog as deep as the connection cap: GSocket's default
 * of 10 makes the kernel drop the SYN of any client that arrives while a flood of connections
 * waits to be accepted, and that client retries only after a second.
 *
 * Returns: %TRUE when listening
 */
gboolean
wxpay_server_guard_listen (WxpayServerGuard *self,
                           SoupServer       *server,
                           GSocketAddress   *address,
                           GError          **error)
{
  g_autoptr(GSocket) socket = NULL;

  g_return_val_if_fail (WXPAY_IS_SERVER_GUARD (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER (server), FALSE);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, MAX (128, (int)MIN (self->max_connections, 4096)));
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;

  return soup_server_listen_socket (server, socket, 0, error);
}

/**
 * wxpay_server_guard_get_stats:
 * @self: a #WxpayServerGuard
 * @stats: (out caller-allocates): filled with the counters and the connections now open
 */
void
wxpay_server_guard_get_stats (WxpayServerGuard      *self,
                              WxpayServerGuardStats *stats)
{
  GHashTableIter iter;
  gpointer       value;

  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));
  g_return_if_fail (stats != NULL);

  prune (self);
  *stats = self->stats;
  stats->open = g_hash_table_size (self->connections);
  stats->reading = stats->busy = stats->idle = 0;
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      switch (conn->phase)
        {
        case CONN_READING:
          stats->reading++;
          break;
        case CONN_BUSY:
          stats->busy++;
          break;
        case CONN_IDLE:
          stats->idle++;
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/**
 * wxpay_server_guard_close_all:
 * @self: a #WxpayServerGuard
 *
 * Shuts every watched connection down, so that a server that stops listening does not keep
 * its clients' descriptors.
 */
void
wxpay_server_guard_close_all (WxpayServerGuard *self)
{
  GHashTableIter iter;
  gpointer       value;

  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->phase == CONN_IDLE)
        conn_close_idle (conn);
      else
        conn_shut (conn);
    }
}

guint64
wxpay_server_guard_get_max_body (WxpayServerGuard *self)
{
  g_return_val_if_fail (WXPAY_IS_SERVER_GUARD (self), 0);
  return self->max_body;
}

/**
 * wxpay_server_guard_set_max_body:
 * @self: a #WxpayServerGuard
 * @max_body: the largest request body in bytes; 0: no limit
 */
void
wxpay_server_guard_set_max_body (WxpayServerGuard *self,
                                 guint64           max_body)
{
  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));

  if (self->max_body == max_body)
    return;
  self->max_body = max_body;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BODY]);
}

guint
wxpay_server_guard_get_header_timeout (WxpayServerGuard *self)
{
  g_return_val_if_fail (WXPAY_IS_SERVER_GUARD (self), 0);
  return self->header_timeout;
}

/**
 * wxpay_server_guard_set_header_timeout:
 * @self: a #WxpayServerGuard
 * @seconds: how long a request (headers and body) may take to arrive; 0: no limit
 *
 * Applies to requests that start after the call.
 */
void
wxpay_server_guard_set_header_timeout (WxpayServerGuard *self,
                                       guint             seconds)
{
  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));

  if (self->header_timeout == seconds)
    return;
  self->header_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEADER_TIMEOUT]);
}

guint
wxpay_server_guard_get_idle_timeout (WxpayServerGuard *self)
{
  g_return_val_if_fail (WXPAY_IS_SERVER_GUARD (self), 0);
  return self->idle_timeout;
}

/**
 * wxpay_server_guard_set_idle_timeout:
 * @self: a #WxpayServerGuard
 * @seconds: how long a kept-alive connection may wait for its next request; 0: no limit
 *
 * Applies to connections that go idle after the call.
 */
void
wxpay_server_guard_set_idle_timeout (WxpayServerGuard *self,
                                     guint             seconds)
{
  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));

  if (self->idle_timeout == seconds)
    return;
  self->idle_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

guint
wxpay_server_guard_get_max_connections (WxpayServerGuard *self)
{
  g_return_val_if_fail (WXPAY_IS_SERVER_GUARD (self), 0);
  return self->max_connections;
}

/**
 * wxpay_server_guard_set_max_connections:
 * @self: a #WxpayServerGuard
 * @max_connections: the most connections open at once; 0: no cap
 */
void
wxpay_server_guard_set_max_connections (WxpayServerGuard *self,
                                        guint             max_connections)
{
  g_return_if_fail (WXPAY_IS_SERVER_GUARD (self));

  if (self->max_connections == max_connections)
    return;
  self->max_connections = max_connections;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS]);
}
