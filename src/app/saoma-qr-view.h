/* saoma-qr-view.h: a QR code drawn with crisp, integer-sized modules. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_QR_VIEW (saoma_qr_view_get_type ())
G_DECLARE_FINAL_TYPE (SaomaQrView, saoma_qr_view, SAOMA, QR_VIEW, GtkWidget)

/*
 * Property "text" (string, nullable): the payload, encoded at once by the setter (ECC level M,
 * 8-bit mode, case-sensitive). NULL or "" draws nothing but keeps the widget's size, so a
 * layout does not jump when a code comes and goes.
 *
 * The code is always dark (#000) modules on light (#fff) with a 4-module quiet zone, whatever
 * the theme; each module is a whole number of device pixels, centred in the allocation.
 */
GtkWidget  *saoma_qr_view_new              (void);
const char *saoma_qr_view_get_text         (SaomaQrView *self);
void        saoma_qr_view_set_text         (SaomaQrView *self,
                                            const char  *text);
/* Modules per side of the current code, without the quiet zone; 0 when there is none. */
guint       saoma_qr_view_get_module_count (SaomaQrView *self);

/* The quiet zone, in modules, on each side (the QR specification's minimum). */
#define SAOMA_QR_VIEW_QUIET_ZONE 4

G_END_DECLS
