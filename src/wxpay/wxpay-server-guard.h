/* wxpay-server-guard.h: what one connection may cost a SoupServer that faces the network. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define WXPAY_SERVER_GUARD_DEFAULT_MAX_BODY        (1024 * 1024)
#define WXPAY_SERVER_GUARD_DEFAULT_HEADER_TIMEOUT  10
#define WXPAY_SERVER_GUARD_DEFAULT_IDLE_TIMEOUT    30
#define WXPAY_SERVER_GUARD_DEFAULT_MAX_CONNECTIONS 256

#define WXPAY_TYPE_SERVER_GUARD (wxpay_server_guard_get_type ())
G_DECLARE_FINAL_TYPE (WxpayServerGuard, wxpay_server_guard, WXPAY, SERVER_GUARD, GObject)

/* Counters and the current connections by phase (wxpay_server_guard_get_stats()). */
typedef struct
{
  guint   open;                  /* connections watched now */
  guint   reading;               /* a request is arriving (header-timeout runs) */
  guint   busy;                  /* the request is read; the server owes the answer */
  guint   idle;                  /* kept alive between requests (idle-timeout runs) */
  guint   peak;                  /* most open at once */
  guint64 closed_header_timeout; /* closed because a request did not arrive in time */
  guint64 closed_idle;           /* closed after idle-timeout between requests */
  guint64 evicted;               /* closed to make room at the cap (the longest waiting) */
  guint64 refused_connections;   /* closed at accept: max-connections were busy */
  guint64 refused_too_large;     /* bodies answered 413 */
} WxpayServerGuardStats;

/*
 * Bounds what a client can make a SoupServer hold (libsoup 3.2 bounds none of it): a request
 * body larger than "max-body" bytes is answered 413 as soon as its Content-Length or its
 * arriving chunks say so, and never buffered; a request must arrive whole within
 * "header-timeout" seconds of the accept (or of its first byte on a kept-alive connection); a
 * kept-alive connection is closed after "idle-timeout" seconds without a request; at
 * "max-connections" open connections a new one makes room by closing the longest-waiting idle
 * or still-arriving one ("make-room", the default), or is closed at accept when all are being
 * answered or "make-room" is FALSE. 0 turns a limit off.
 * Deadlines are checked once a second, so a limit of N seconds closes after N to N+1 s.
 *
 * Attach one guard to a server before it listens; the limits may change at any time.
 */
WxpayServerGuard *wxpay_server_guard_new (void);
void              wxpay_server_guard_attach (WxpayServerGuard *self,
                                             SoupServer       *server);
gboolean          wxpay_server_guard_listen (WxpayServerGuard *self,
                                             SoupServer       *server,
                                             GSocketAddress   *address,
                                             GError          **error);
void              wxpay_server_guard_get_stats (WxpayServerGuard      *self,
                                                WxpayServerGuardStats *stats);
/* Closes every connection it watches (a server shutting down). */
void wxpay_server_guard_close_all (WxpayServerGuard *self);

guint64 wxpay_server_guard_get_max_body (WxpayServerGuard *self);
void    wxpay_server_guard_set_max_body (WxpayServerGuard *self,
                                         guint64           max_body);
guint   wxpay_server_guard_get_header_timeout (WxpayServerGuard *self);
void    wxpay_server_guard_set_header_timeout (WxpayServerGuard *self,
                                               guint             seconds);
guint   wxpay_server_guard_get_idle_timeout (WxpayServerGuard *self);
void    wxpay_server_guard_set_idle_timeout (WxpayServerGuard *self,
                                             guint             seconds);
guint   wxpay_server_guard_get_max_connections (WxpayServerGuard *self);
void    wxpay_server_guard_set_max_connections (WxpayServerGuard *self,
                                                guint             max_connections);

G_END_DECLS
