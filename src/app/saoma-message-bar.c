/* saoma-message-bar.c: a window's one-line news, in the layout, never over its content.
 *
 * A toast floats over the bottom of a window's content for its timeout: a list's last rows, a
 * button. Issue 12.13 asks that news never covers content, so a window's confirmations and
 * errors ("Saved as …", "The PIN is wrong") take a line of their own under the header bar:
 * revealing it moves the content down, hiding it moves it back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-message-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "saoma-message-bar.h"

struct _SaomaMessageBar
{
  AdwBin       parent_instance;

  GtkRevealer *revealer;
  GtkLabel    *label;
  guint        timeout_id;
};

G_DEFINE_FINAL_TYPE (SaomaMessageBar, saoma_message_bar, ADW_TYPE_BIN)

static gboolean
timeout_cb (gpointer user_data)
{
  SaomaMessageBar *self = user_data;

  self->timeout_id = 0;
  gtk_revealer_set_reveal_child (self->revealer, FALSE);
  return G_SOURCE_REMOVE;
}

/* A hidden line keeps no text: screen readers (and tests) would still find it. */
static void
child_revealed_cb (SaomaMessageBar *self,
                   GParamSpec      *pspec,
                   GtkRevealer     *revealer)
{
  if (!gtk_revealer_get_child_revealed (revealer) && !gtk_revealer_get_reveal_child (revealer))
    gtk_label_set_text (self->label, "");
}

static void
close_clicked_cb (SaomaMessageBar *self,
                  GtkButton       *button)
{
  saoma_message_bar_hide (self);
}

static void
saoma_message_bar_dispose (GObject *object)
{
  SaomaMessageBar *self = SAOMA_MESSAGE_BAR (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);

  G_OBJECT_CLASS (saoma_message_bar_parent_class)->dispose (object);
}

static void
saoma_message_bar_class_init (SaomaMessageBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_message_bar_dispose;
}

static void
saoma_message_bar_init (SaomaMessageBar *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-information-symbolic");
  GtkWidget *close = gtk_button_new_from_icon_name ("window-close-symbolic");

  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_xalign (self->label, 0);
  gtk_label_set_selectable (self->label, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->label), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, "", -1);
  gtk_widget_set_valign (close, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (close, "flat");
  gtk_widget_set_tooltip_text (close, _("Hide This Message"));
  g_signal_connect_object (close, "clicked", G_CALLBACK (close_clicked_cb), self,
                           G_CONNECT_SWAPPED);

  gtk_widget_add_css_class (box, "saoma-banner");
  gtk_widget_add_css_class (box, "notice");
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));
  gtk_box_append (GTK_BOX (box), close);
  gtk_revealer_set_child (self->revealer, box);
  g_signal_connect_object (self->revealer, "notify::child-revealed",
                           G_CALLBACK (child_revealed_cb), self, G_CONNECT_SWAPPED);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->revealer));
}

GtkWidget *
saoma_message_bar_new (void)
{
  return g_object_new (SAOMA_TYPE_MESSAGE_BAR, NULL);
}

/**
 * saoma_message_bar_show:
 * @self: a #SaomaMessageBar
 * @text: what to say (it replaces what the line said)
 * @timeout_seconds: how long it stays; 0 until hidden (news the reader must not miss)
 *
 * Shows @text on the line, above the content, which moves down for it.
 */
void
saoma_message_bar_show (SaomaMessageBar *self,
                        const char      *text,
                        guint            timeout_seconds)
{
  g_return_if_fail (SAOMA_IS_MESSAGE_BAR (self));
  g_return_if_fail (text != NULL);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  gtk_label_set_text (self->label, text);
  gtk_revealer_set_reveal_child (self->revealer, TRUE);
  if (timeout_seconds > 0)
    self->timeout_id = g_timeout_add_seconds (timeout_seconds, timeout_cb, self);
}

/**
 * saoma_message_bar_hide:
 * @self: a #SaomaMessageBar
 *
 * Hides the line; the content moves back up.
 */
void
saoma_message_bar_hide (SaomaMessageBar *self)
{
  g_return_if_fail (SAOMA_IS_MESSAGE_BAR (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  gtk_revealer_set_reveal_child (self->revealer, FALSE);
}

/**
 * saoma_message_bar_get_text:
 * @self: a #SaomaMessageBar
 *
 * Returns: what the line says ("" when hidden)
 */
const char *
saoma_message_bar_get_text (SaomaMessageBar *self)
{
  g_return_val_if_fail (SAOMA_IS_MESSAGE_BAR (self), NULL);

  return gtk_label_get_text (self->label);
}
