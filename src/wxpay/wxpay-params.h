/* wxpay-params.h: an ordered set of WeChat Pay v2 parameters, the unit of signing and of XML. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define WXPAY_TYPE_PARAMS (wxpay_params_get_type ())

/**
 * WxpayParams:
 *
 * An ordered name → value map (insertion order kept, names unique). Values are UTF-8 text
 * exactly as they go on the wire / came off it. Reference counted, not thread-safe for writes.
 */
typedef struct _WxpayParams WxpayParams;

GType        wxpay_params_get_type  (void) G_GNUC_CONST;
WxpayParams *wxpay_params_new       (void);
WxpayParams *wxpay_params_ref       (WxpayParams *self);
void         wxpay_params_unref     (WxpayParams *self);
WxpayParams *wxpay_params_copy      (const WxpayParams *self);
/* Replaces the value when @name exists (keeping its position), appends otherwise; a %NULL
 * @value removes @name. */
void         wxpay_params_set       (WxpayParams *self,
                                     const char  *name,
                                     const char  *value);
void         wxpay_params_set_int64 (WxpayParams *self,
                                     const char  *name,
                                     gint64       value);
gboolean     wxpay_params_remove    (WxpayParams *self,
                                     const char  *name);
/* Returns %NULL when absent. */
const char  *wxpay_params_get       (const WxpayParams *self,
                                     const char        *name);
/* TRUE when present and a plain base-10 integer (no sign, no spaces, fits gint64). */
gboolean     wxpay_params_get_int64 (const WxpayParams *self,
                                     const char        *name,
                                     gint64            *out_value);
gboolean     wxpay_params_contains  (const WxpayParams *self,
                                     const char        *name);
guint        wxpay_params_get_size  (const WxpayParams *self);
const char  *wxpay_params_get_name  (const WxpayParams *self,
                                     guint              index);
const char  *wxpay_params_get_value (const WxpayParams *self,
                                     guint              index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WxpayParams, wxpay_params_unref)

G_END_DECLS
