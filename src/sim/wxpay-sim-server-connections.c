/* wxpay-sim-server-connections.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a connection may cost the simulator: a bounded request body, a deadline to send a request,
 * a deadline to stay idle between requests, and a cap on open connections. The work is done by
 * libwxpay's WxpayServerGuard, shared with the till's notification listener; the simulator keeps
 * its own policy at the cap (a new connection beyond it is closed at once, as documented),
 * its TLS client-certificate hook and the JSON of GET /sim/connections.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include "wxpay-sim-private.h"

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
  WxpaySimServer *self = user_data;

  if (self->client_ca != NULL)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
}

/**
 * wxpay_sim_connections_attach:
 * @self: a #WxpaySimServer
 *
 * Starts watching the connections of @self->server with the limits of its construct
 * properties.
 */
void
wxpay_sim_connections_attach (WxpaySimServer *self)
{
  self->guard = g_object_new (WXPAY_TYPE_SERVER_GUARD,
                              "max-body", (guint64)WXPAY_XML_MAX_SIZE,
                              "header-timeout", self->header_timeout,
                              "idle-timeout", self->idle_timeout,
                              "max-connections", self->max_connections,
                              "make-room", FALSE,
                              NULL);
  wxpay_server_guard_attach (self->guard, self->server);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
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
  WxpayServerGuardStats stats;

  wxpay_server_guard_get_stats (self->guard, &stats);
  g_string_append_printf (json,
                          "{\"open\":%u,\"reading\":%u,\"busy\":%u,\"idle\":%u,\"peak\":%u,"
                          "\"max_connections\":%u,\"header_timeout\":%u,\"idle_timeout\":%u,"
                          "\"closed_header_timeout\":%" G_GUINT64_FORMAT
                          ",\"closed_idle\":%" G_GUINT64_FORMAT
                          ",\"refused_connections\":%" G_GUINT64_FORMAT
                          ",\"refused_too_large\":%" G_GUINT64_FORMAT ",\"max_body\":%u}",
                          stats.open, stats.reading, stats.busy, stats.idle, stats.peak,
                          self->max_connections, self->header_timeout, self->idle_timeout,
                          stats.closed_header_timeout, stats.closed_idle,
                          stats.refused_connections, stats.refused_too_large,
                          (guint)WXPAY_XML_MAX_SIZE);
}
