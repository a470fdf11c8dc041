/* saoma-soup-lazy.c: the cashier window's libsoup, loaded when first used, not at exec.
 *
 * libsoup brings ten libraries with it (Kerberos and GSSAPI, brotli, nghttp2, libpsl, libidn2…):
 * loading and relocating them costs the GUI 8 ms of CPU before main() (issue 19, cold start;
 * measured with an empty program linked against them, see README, Performance), and nothing
 * on the first frame speaks HTTP. This file defines, in the saoma executable only, the libsoup
 * functions the application calls; the first call dlopen()s libsoup and each forwards to the
 * real function. Because the executable defines them, the linker (--as-needed) no longer
 * records libsoup as needed; saoma-cli, wxpay-sim and the tests link libsoup as before.
 *
 * Every libsoup function the GUI calls must be here: one that is missing makes the linker keep
 * libsoup (test-no-early-soup checks the executable). The prototypes come from libsoup's own
 * header, so a signature that differs does not compile.
 */
#define G_LOG_DOMAIN "saoma-soup-lazy"

#include "config.h"

#include "core/saoma-lazy-symbol.h"

#include <libsoup/soup.h>

#define SOUP_LAZY(ret, name, params, args) SAOMA_LAZY ("libsoup-3.0.so.0", ret, name, params, args)
#define SOUP_LAZY_VOID(name, params, args) SAOMA_LAZY_VOID ("libsoup-3.0.so.0", name, params, args)

/* Each parameter list below is written as in libsoup's header; clang-format would break them. */
/* clang-format off */
/* Types and errors. */
SOUP_LAZY (GType, soup_session_get_type, (void), ())
SOUP_LAZY (GType, soup_server_get_type, (void), ())
SOUP_LAZY (GQuark, soup_session_error_quark, (void), ())

/* Messages. */
SOUP_LAZY (SoupMessage *, soup_message_new, (const char *method, const char *uri_string),
           (method, uri_string))
SOUP_LAZY_VOID (soup_message_add_flags, (SoupMessage *msg, SoupMessageFlags flags), (msg, flags))
SOUP_LAZY (const char *, soup_message_get_reason_phrase, (SoupMessage *msg), (msg))
SOUP_LAZY (SoupMessageHeaders *, soup_message_get_request_headers, (SoupMessage *msg), (msg))
SOUP_LAZY (SoupMessageHeaders *, soup_message_get_response_headers, (SoupMessage *msg), (msg))
SOUP_LAZY (SoupStatus, soup_message_get_status, (SoupMessage *msg), (msg))
SOUP_LAZY_VOID (soup_message_set_request_body_from_bytes,
                (SoupMessage *msg, const char *content_type, GBytes *bytes),
                (msg, content_type, bytes))
SOUP_LAZY_VOID (soup_message_set_tls_client_certificate,
                (SoupMessage *msg, GTlsCertificate *certificate), (msg, certificate))
SOUP_LAZY (GBytes *, soup_message_body_flatten, (SoupMessageBody *body), (body))
SOUP_LAZY (goffset, soup_message_headers_get_content_length, (SoupMessageHeaders *hdrs), (hdrs))
SOUP_LAZY (SoupEncoding, soup_message_headers_get_encoding, (SoupMessageHeaders *hdrs), (hdrs))
SOUP_LAZY (const char *, soup_message_headers_get_one,
           (SoupMessageHeaders *hdrs, const char *name), (hdrs, name))
SOUP_LAZY_VOID (soup_message_headers_replace,
                (SoupMessageHeaders *hdrs, const char *name, const char *value),
                (hdrs, name, value))

/* Sessions. */
SOUP_LAZY (SoupSession *, soup_session_new, (void), ())
SOUP_LAZY_VOID (soup_session_abort, (SoupSession *session), (session))
SOUP_LAZY (SoupMessage *, soup_session_get_async_result_message,
           (SoupSession *session, GAsyncResult *result), (session, result))
SOUP_LAZY_VOID (soup_session_send_and_read_async,
                (SoupSession *session, SoupMessage *msg, int io_priority,
                 GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data),
                (session, msg, io_priority, cancellable, callback, user_data))
SOUP_LAZY (GBytes *, soup_session_send_and_read_finish,
           (SoupSession *session, GAsyncResult *result, GError **error),
           (session, result, error))
SOUP_LAZY_VOID (soup_session_set_proxy_resolver,
                (SoupSession *session, GProxyResolver *proxy_resolver),
                (session, proxy_resolver))
SOUP_LAZY_VOID (soup_session_set_timeout, (SoupSession *session, guint timeout),
                (session, timeout))
SOUP_LAZY_VOID (soup_session_set_tls_database, (SoupSession *session, GTlsDatabase *tls_database),
                (session, tls_database))
SOUP_LAZY_VOID (soup_session_set_user_agent, (SoupSession *session, const char *user_agent),
                (session, user_agent))

/* clang-format on */

/* libsoup's own two are g_object_new_valist() of the type, which is what they do here. */
SoupSession *
soup_session_new_with_options (const char *optname1,
                               ...)
{
  SoupSession *session;
  va_list      ap;

  va_start (ap, optname1);
  session = (SoupSession *)g_object_new_valist (SOUP_TYPE_SESSION, optname1, ap);
  va_end (ap);

  return session;
}

SoupServer *
soup_server_new (const char *optname1,
                 ...)
{
  SoupServer *server;
  va_list     ap;

  va_start (ap, optname1);
  server = (SoupServer *)g_object_new_valist (SOUP_TYPE_SERVER, optname1, ap);
  va_end (ap);

  return server;
}

/* clang-format off */
/* The notify listener's server. */
SOUP_LAZY_VOID (soup_server_add_handler,
                (SoupServer *server, const char *path, SoupServerCallback callback,
                 gpointer user_data, GDestroyNotify destroy),
                (server, path, callback, user_data, destroy))
SOUP_LAZY_VOID (soup_server_disconnect, (SoupServer *server), (server))
SOUP_LAZY (GSList *, soup_server_get_uris, (SoupServer *server), (server))
SOUP_LAZY (gboolean, soup_server_listen_socket,
           (SoupServer *server, GSocket *socket, SoupServerListenOptions options, GError **error),
           (server, socket, options, error))
SOUP_LAZY (const char *, soup_server_message_get_method, (SoupServerMessage *msg), (msg))
SOUP_LAZY (SoupMessageBody *, soup_server_message_get_request_body, (SoupServerMessage *msg),
           (msg))
SOUP_LAZY (SoupMessageHeaders *, soup_server_message_get_request_headers,
           (SoupServerMessage *msg), (msg))
SOUP_LAZY (SoupMessageHeaders *, soup_server_message_get_response_headers,
           (SoupServerMessage *msg), (msg))
SOUP_LAZY (GSocket *, soup_server_message_get_socket, (SoupServerMessage *msg), (msg))
SOUP_LAZY_VOID (soup_server_message_pause, (SoupServerMessage *msg), (msg))
SOUP_LAZY_VOID (soup_server_message_unpause, (SoupServerMessage *msg), (msg))
SOUP_LAZY_VOID (soup_server_message_set_response,
                (SoupServerMessage *msg, const char *content_type, SoupMemoryUse resp_use,
                 const char *resp_body, gsize resp_length),
                (msg, content_type, resp_use, resp_body, resp_length))
SOUP_LAZY_VOID (soup_server_message_set_status,
                (SoupServerMessage *msg, guint status_code, const char *reason_phrase),
                (msg, status_code, reason_phrase))
SOUP_LAZY (GIOStream *, soup_server_message_steal_connection, (SoupServerMessage *msg), (msg))
/* clang-format on */

/* SOUP_METHOD_POST reads and fills this cache of the interned "POST" (a variable libsoup
 * exports). Defined here, it is the one libsoup uses too once loaded (the executable's symbols
 * come first), and it only ever holds g_intern_static_string ("POST"). */
gpointer _SOUP_METHOD_POST;
