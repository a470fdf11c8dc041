/* saoma-window.h: the cashier window: amount, QR, countdown, status and history. */
#pragma once

#include <adwaita.h>

#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_WINDOW (saoma_window_get_type ())
G_DECLARE_FINAL_TYPE (SaomaWindow, saoma_window, SAOMA, WINDOW, AdwApplicationWindow)

SaomaWindow *saoma_window_new              (SaomaApplication *application);
/* For tests and benchmarks that drive the real window in-process. */
GtkWidget   *saoma_window_get_amount_entry (SaomaWindow *self);
GtkWidget   *saoma_window_get_qr_view      (SaomaWindow *self);
GtkWidget   *saoma_window_get_status_label (SaomaWindow *self);
GtkWidget   *saoma_window_get_history_page (SaomaWindow *self);
/* The late-payment banner (a GtkRevealer) and its text. */
GtkWidget   *saoma_window_get_late_banner  (SaomaWindow *self);
const char  *saoma_window_get_late_text    (SaomaWindow *self);
/* A message that stays until the cashier dismisses it (what start-up recovered). */
void         saoma_window_show_notice      (SaomaWindow *self,
                                            const char  *text);
/* Shows the "checkout" or "history" page. */
void         saoma_window_show_page        (SaomaWindow *self,
                                            const char  *name);

G_END_DECLS
