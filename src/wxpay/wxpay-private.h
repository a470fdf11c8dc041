/* wxpay-private.h: helpers shared inside libwxpay (not installed, not for other modules). */
#pragma once

#include <gio/gio.h>

#include "wxpay-params.h"

G_BEGIN_DECLS

/* The largest bill we are willing to inflate: a day of a busy till is a few MiB. */
#define WXPAY_GUNZIP_MAX_SIZE (256 * 1024 * 1024)

gboolean  wxpay_bytes_is_gzip (GBytes  *data);
/* Inflates a gzip stream held in memory; fails with WXPAY_ERROR_MALFORMED_RESPONSE on a
 * corrupt/truncated stream or when the output would exceed @max_size. */
GBytes   *wxpay_gunzip        (GBytes  *data,
                               gsize    max_size,
                               GError **error);
/* The inverse, for wxpay-sim and tests. */
GBytes   *wxpay_gzip          (GBytes  *data);

/* Appends @name=@value unless @name is present (then returns FALSE and changes nothing): one
 * scan where wxpay_params_contains() + wxpay_params_set() take two. */
gboolean  wxpay_params_add_unique (WxpayParams *self,
                                   const char  *name,
                                   const char  *value);
/* The same, taking ownership of @name and @value (freed, the value wiped, when @name is
 * present): the decoder's strings are made once, never copied again. */
gboolean  wxpay_params_add_unique_take (WxpayParams *self,
                                        char        *name,
                                        char        *value);

/* A set whose strings may live in one block of @size bytes (returned in @out_block, freed with
 * the set): a decoder copies a body's names and values there, and adds them with
 * wxpay_params_add_unique_block() (FALSE, nothing added, when @name is present). */
WxpayParams *wxpay_params_new_block      (gsize         size,
                                          char        **out_block);
gboolean     wxpay_params_add_unique_block (WxpayParams *self,
                                            char        *name,
                                            char        *value);

/* The libxml2 decoder alone (no fast path): the reference the single-pass reader is tested
 * against, and what decides every body that reader does not take. */
WxpayParams *wxpay_xml_decode_root_libxml (const char *data,
                                           gsize       length,
                                           const char *root_name,
                                           GError    **error);

/* Transport failures read as WXPAY_ERROR: CONNECT only when nothing reached a server, CANCELLED
 * only before anything was written (wxpay-client.c; the v3 client uses it too). */
GError   *wxpay_map_transport_error (const GError *error,
                                     gboolean      sent);

G_END_DECLS
