/* wxpay-sim-server-connections.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a connection may cost the simulator: a bounded request body, a deadline to send a request,
 * a deadline to stay idle between requests, and a cap on open connections.
 *
 * SoupServer 3.2 has none of these, so the simulator watches each connection from the outside:
 * "request-started" is emitted when a connection is accepted and again when a kept-alive
 * connection starts waiting for its next request, and soup_server_message_get_socket() names the
 * connection. A connection is closed by shutting its socket down (never by closing the fd under
 * libsoup's feet): libsoup then reads end-of-file, aborts the request and closes the socket,
 * which removes it from the table.
 *
 *   new connection ──► READING (header-timeout: the whole request must arrive) ──► BUSY
 *                        ▲                                                          │
 *                        └── next request ◄── IDLE (idle-timeout) ◄── answer sent ◄─┘
 *
 * The deadlines are checked once a second, so a limit of N seconds closes after N to N+1 s.
 *
 * A body over WXPAY_XML_MAX_SIZE is refused with 413 as soon as its bytes (or its
 * Content-Length) say so; the rest is read and discarded for a moment so that the client sees the
 * answer instead of a reset, and never stored.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* After a 413, how long the rest of the body is drained (and dropped) before the close. */
#define DRAIN_TIME_MS 2000
#define DRAIN_BUFFER  (64 * 1024)

typedef enum
{
  CONN_READING, /* a request is arriving: header-timeout runs */
  CONN_BUSY,    /* the request is read; the simulator owes the answer */
  CONN_IDLE,    /* kept alive, waiting for the next request: idle-timeout runs */
} ConnPhase;

struct _WxpaySimConnection
{
  WxpaySimServer *self;     /* unowned: the server outlives its table */
  GSocket        *socket;   /* a reference, so that the key cannot be reused */
  ConnPhase       phase;
  gint64          deadline; /* monotonic µs; 0: none (BUSY, or the limit is off) */
};

static const char body_bytes_key[] = "wxpay-sim-body-bytes";

void
wxpay_sim_connection_free (WxpaySimConnection *conn)
{
  g_clear_object (&conn->socket);
  g_free (conn);
}

/* Both directions: libsoup's next read sees end-of-file and it drops the connection itself. */
static void
connection_shut (WxpaySimConnection *conn)
{
  conn->deadline = 0;
  if (!g_socket_is_closed (conn->socket))
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

/* Between two requests libsoup 3.2 does not watch the connection at all (it notices neither a
 * shutdown nor the client leaving), so an idle connection is closed outright; libsoup's next
 * use of the socket fails cleanly with G_IO_ERROR_CLOSED. */
static void
connection_close_idle (WxpaySimConnection *conn)
{
  connection_shut (conn);
  g_socket_close (conn->socket, NULL);
}

/* An idle connection the client closed reads end-of-file; libsoup would not notice until the
 * idle timeout, holding the descriptor meanwhile. */
static gboolean
client_left (GSocket *socket)
{
  char byte;
  GInputVector vector = { &byte, 1 };
  gint flags = G_SOCKET_MSG_PEEK;

  if (g_socket_is_closed (socket) ||
      g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
    return FALSE;
  return g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL) <= 0;
}

/* Once a second while connections are open: the deadlines cost a comparison per connection here
 * instead of a timer per request. libsoup closes a finished connection's socket but may keep
 * the GSocket object alive for a while, so a closed socket is what ends an entry. */
static gboolean
sweep_cb (gpointer user_data)
{
  WxpaySimServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      WxpaySimConnection *conn = value;

      if (conn->phase == CONN_IDLE && client_left (conn->socket))
        connection_close_idle (conn);
      else if (!g_socket_is_closed (conn->socket) && conn->deadline != 0 && now >= conn->deadline)
        {
          if (conn->phase == CONN_IDLE)
            {
              self->closed_idle++;
              connection_close_idle (conn);
            }
          else
            {
              self->closed_header_timeout++;
              connection_shut (conn);
            }
        }
      if (g_socket_is_closed (conn->socket))
        g_hash_table_iter_remove (&iter);
    }

  if (g_hash_table_size (self->connections) == 0)
    {
      self->connections_sweep_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
connections_prune (WxpaySimServer *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_socket_is_closed (key))
      g_hash_table_iter_remove (&iter);
}

static void
connection_set_phase (WxpaySimConnection *conn,
                      ConnPhase           phase)
{
  WxpaySimServer *self = conn->self;
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
    default:
      break;
    }
  conn->deadline = limit > 0 ? g_get_monotonic_time () + (gint64)limit * G_USEC_PER_SEC : 0;
}

static WxpaySimConnection *
connection_for (WxpaySimServer    *self,
                SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;
}

/* --- 413 -------------------------------------------------------------------------------------- */

typedef struct
{
  GIOStream    *stream;
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
  /* Dropped on the floor: the point is to let the client finish writing and read the 413. */
  g_input_stream_read_async (G_INPUT_STREAM (source), drain->buffer, DRAIN_BUFFER,
                             G_PRIORITY_LOW, drain->cancellable, drain_read_cb, drain);
}

static void
answer_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Drain   *drain = user_data;
  GSocket *socket = g_object_get_data (G_OBJECT (drain->stream), "GSocket");

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      drain_free (drain);
      return;
    }
  /* Plain HTTP: end our side so that the client sees the whole answer, then drain. (Over TLS
   * the close_notify of the close says the same.) */
  if (G_IS_SOCKET (socket) && !G_IS_TLS_CONNECTION (drain->stream))
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  drain->buffer = g_malloc (DRAIN_BUFFER);
  drain->deadline_id = g_timeout_add (DRAIN_TIME_MS, drain_deadline_cb, drain);
  g_input_stream_read_async (g_io_stream_get_input_stream (drain->stream), drain->buffer,
                             DRAIN_BUFFER, G_PRIORITY_LOW, drain->cancellable, drain_read_cb, drain);
}

static void
refuse_too_large (WxpaySimServer    *self,
                  SoupServerMessage *msg)
{
  static const char answer[] =
    "HTTP/1.1 413 Request Entity Too Large\r\n"
    "Server: wxpay-sim\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 26\r\n"
    "Connection: close\r\n"
    "\r\n"
    "wxpay-sim: body too large\n";
  WxpaySimConnection *conn = connection_for (self, msg);
  g_autoptr(GIOStream) stream = NULL;
  Drain *drain;

  if (conn != NULL)
    connection_set_phase (conn, CONN_BUSY);
  self->refused_too_large++;

  /* libsoup 3.2 reads a body to its end whatever the status says: take the connection away from
   * it, so that nothing more is read into memory, and answer by hand. */
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  drain = g_new0 (Drain, 1);
  drain->stream = g_steal_pointer (&stream);
  drain->cancellable = g_cancellable_new ();
  g_output_stream_write_all_async (g_io_stream_get_output_stream (drain->stream), answer,
                                   sizeof answer - 1, G_PRIORITY_DEFAULT, drain->cancellable,
                                   answer_written_cb, drain);
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  WxpaySimServer     *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > WXPAY_XML_MAX_SIZE)
    refuse_too_large (self, msg);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  WxpaySimServer *self = user_data;
  gsize           total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), body_bytes_key));

  /* Counted as the bytes arrive: a chunked body has no Content-Length to check up front. */
  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), body_bytes_key, GSIZE_TO_POINTER (total));
  if (total > WXPAY_XML_MAX_SIZE)
    refuse_too_large (self, msg);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  WxpaySimConnection *conn = connection_for (user_data, msg);

  if (conn != NULL)
    connection_set_phase (conn, CONN_BUSY);
}

static gboolean
accept_certificate_cb (SoupServerMessage   *msg,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  /* Let every client certificate through the handshake: /pay/ paths do not need one, and
   * /secapi/ paths answer 证书验证失败 like the real gateway instead of a bare TLS error. */
  return TRUE;
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  WxpaySimServer     *self = user_data;
  GSocket            *socket = soup_server_message_get_socket (msg);
  WxpaySimConnection *conn;

  if (self->client_ca != NULL)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);

  if (socket == NULL || self->shut_down)
    return;

  connections_prune (self);
  conn = g_hash_table_lookup (self->connections, socket);
  if (conn != NULL)
    {
      /* libsoup 3.2 starts the next request on a kept-alive connection once its first bytes
       * arrive. */
      connection_set_phase (conn, CONN_READING);
      return;
    }

  /* A new connection beyond the cap is closed at once: queueing would hold a descriptor per
   * waiting client, which is what the cap is there to bound. */
  if (self->max_connections > 0 && g_hash_table_size (self->connections) >= self->max_connections)
    {
      self->refused_connections++;
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
      return;
    }

  conn = g_new0 (WxpaySimConnection, 1);
  conn->self = self;
  conn->socket = g_object_ref (socket);
  g_hash_table_insert (self->connections, socket, conn);
  if (self->connections_sweep_id == 0)
    self->connections_sweep_id = g_timeout_add_seconds (1, sweep_cb, self);
  self->peak_connections = MAX (self->peak_connections, g_hash_table_size (self->connections));
  /* A new connection owes its first request at once: header-timeout from the accept. */
  connection_set_phase (conn, CONN_READING);
}

/**
 * wxpay_sim_connections_attach:
 * @self: a #WxpaySimServer
 *
 * Starts watching the connections of @self->server.
 */
static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  WxpaySimConnection *conn = connection_for (user_data, msg);

  if (conn != NULL && conn->phase != CONN_READING)
    connection_set_phase (conn, CONN_IDLE);
}

void
wxpay_sim_connections_attach (WxpaySimServer *self)
{
  g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
}

/**
 * wxpay_sim_connections_append_json:
 * @self: a #WxpaySimServer
 * @json: where to append
 *
 * The object of GET /sim/connections.
 */
void
wxpay_sim_connections_append_json (WxpaySimServer *self,
                                   GString        *json)
{
  guint          reading = 0, busy = 0, idle = 0;
  GHashTableIter iter;
  gpointer       value;

  connections_prune (self);
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      WxpaySimConnection *conn = value;

      switch (conn->phase)
        {
        case CONN_READING:
          reading++;
          break;
        case CONN_BUSY:
          busy++;
          break;
        case CONN_IDLE:
          idle++;
          break;
        default:
          g_assert_not_reached ();
        }
    }

  g_string_append_printf (json,
                          "{\"open\":%u,\"reading\":%u,\"busy\":%u,\"idle\":%u,\"peak\":%u,"
                          "\"max_connections\":%u,\"header_timeout\":%u,\"idle_timeout\":%u,"
                          "\"closed_header_timeout\":%" G_GUINT64_FORMAT
                          ",\"closed_idle\":%" G_GUINT64_FORMAT
                          ",\"refused_connections\":%" G_GUINT64_FORMAT
                          ",\"refused_too_large\":%" G_GUINT64_FORMAT
                          ",\"max_body\":%u}",
                          g_hash_table_size (self->connections), reading, busy, idle,
                          self->peak_connections, self->max_connections, self->header_timeout,
                          self->idle_timeout, self->closed_header_timeout, self->closed_idle,
                          self->refused_connections, self->refused_too_large,
                          (guint)WXPAY_XML_MAX_SIZE);
}
