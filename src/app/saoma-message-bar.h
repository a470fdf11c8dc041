/* saoma-message-bar.h: a window's one-line news, in the layout, never over its content.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_MESSAGE_BAR (saoma_message_bar_get_type ())
G_DECLARE_FINAL_TYPE (SaomaMessageBar, saoma_message_bar, SAOMA, MESSAGE_BAR, AdwBin)

GtkWidget  *saoma_message_bar_new      (void);
void        saoma_message_bar_show     (SaomaMessageBar *self,
                                        const char      *text,
                                        guint            timeout_seconds);
void        saoma_message_bar_hide     (SaomaMessageBar *self);
const char *saoma_message_bar_get_text (SaomaMessageBar *self);

G_END_DECLS
