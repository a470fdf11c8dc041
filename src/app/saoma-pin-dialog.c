/* saoma-pin-dialog.c: set or change the manager PIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-pin-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/saoma-pin.h"
#include "saoma-pin-dialog.h"

struct _SaomaPinDialog
{
  AdwWindow         parent_instance;

  GSettings        *settings;
  GCancellable     *cancellable;

  AdwEntryRow      *current_row;
  AdwEntryRow      *new_row;
  AdwEntryRow      *repeat_row;
  GtkButton        *save_button;
  GtkSpinner       *spinner;
  GtkLabel         *message_label;
};

G_DEFINE_FINAL_TYPE (SaomaPinDialog, saoma_pin_dialog, ADW_TYPE_WINDOW)

static gboolean
has_key (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  if (settings == NULL)
    return FALSE;
  g_object_get (settings, "settings-schema", &schema, NULL);
  return schema != NULL && g_settings_schema_has_key (schema, SAOMA_PIN_SETTINGS_KEY);
}

gboolean
saoma_pin_dialog_is_set (GSettings *settings)
{
  g_autofree char *hash = NULL;

  if (!has_key (settings))
    return FALSE;
  hash = g_settings_get_string (settings, SAOMA_PIN_SETTINGS_KEY);
  return saoma_pin_is_set (hash);
}

static void
set_busy (SaomaPinDialog *self,
          gboolean        busy)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->current_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->new_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->repeat_row), !busy);
}

static void
show_error (SaomaPinDialog *self,
            const char     *message)
{
  set_busy (self, FALSE);
  gtk_label_set_text (self->message_label, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
}

static void
hashed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SaomaPinDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = saoma_pin_hash_finish (result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (encoded == NULL)
    {
      show_error (self, error->message);
      return;
    }

  g_settings_set_string (self->settings, SAOMA_PIN_SETTINGS_KEY, encoded);
  gtk_window_close (GTK_WINDOW (self));
}

static void
store_new_pin (SaomaPinDialog *self)
{
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->new_row));

  gtk_label_set_text (self->message_label, _("Saving…"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
  saoma_pin_hash_async (pin, self->cancellable, hashed_cb, g_object_ref (self));
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SaomaPinDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_pin_verify_finish (result, &error))
    {
      if (!g_cancellable_is_cancelled (self->cancellable))
        show_error (self, error->message);
      return;
    }
  store_new_pin (self);
}

static void
save_clicked_cb (SaomaPinDialog *self)
{
  const char *new_pin = gtk_editable_get_text (GTK_EDITABLE (self->new_row));
  const char *repeat = gtk_editable_get_text (GTK_EDITABLE (self->repeat_row));
  g_autoptr(GError) error = NULL;

  if (!has_key (self->settings))
    {
      show_error (self, _("This installation cannot store a PIN (settings schema too old)."));
      return;
    }
  if (!saoma_pin_check_rules (new_pin, &error))
    {
      show_error (self, error->message);
      return;
    }
  if (strcmp (new_pin, repeat) != 0)
    {
      show_error (self, _("The two new PINs are not the same."));
      return;
    }

  set_busy (self, TRUE);
  if (saoma_pin_dialog_is_set (self->settings))
    {
      g_autofree char *hash = g_settings_get_string (self->settings, SAOMA_PIN_SETTINGS_KEY);

      gtk_label_set_text (self->message_label, _("Checking the current PIN…"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
      saoma_pin_verify_async (gtk_editable_get_text (GTK_EDITABLE (self->current_row)), hash,
                              self->cancellable, verified_cb, g_object_ref (self));
    }
  else
    store_new_pin (self);
}

static void
saoma_pin_dialog_dispose (GObject *object)
{
  SaomaPinDialog *self = SAOMA_PIN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_PIN_DIALOG);

  G_OBJECT_CLASS (saoma_pin_dialog_parent_class)->dispose (object);
}

static void
saoma_pin_dialog_finalize (GObject *object)
{
  SaomaPinDialog *self = SAOMA_PIN_DIALOG (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (saoma_pin_dialog_parent_class)->finalize (object);
}

static void
saoma_pin_dialog_class_init (SaomaPinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_pin_dialog_dispose;
  object_class->finalize = saoma_pin_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, current_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, new_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, repeat_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaPinDialog, message_label);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
saoma_pin_dialog_init (SaomaPinDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWindow *
saoma_pin_dialog_new (GtkWindow *parent,
                      GSettings *settings)
{
  SaomaPinDialog *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (SAOMA_TYPE_PIN_DIALOG, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);
  gtk_widget_set_visible (GTK_WIDGET (self->current_row), saoma_pin_dialog_is_set (settings));
  if (saoma_pin_dialog_is_set (settings))
    gtk_widget_grab_focus (GTK_WIDGET (self->current_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->new_row));

  return GTK_WINDOW (self);
}

static void
update_row (AdwActionRow *row,
            GSettings    *settings)
{
  GtkButton *button = g_object_get_data (G_OBJECT (row), "button");
  gboolean set = saoma_pin_dialog_is_set (settings);

  adw_action_row_set_subtitle (row, set ? _("Set — refunds ask for it")
                                        : _("Not set — refunds are not possible"));
  gtk_button_set_label (button, set ? _("Change…") : _("Set…"));
}

static void
settings_changed_cb (GSettings    *settings,
                     const char   *key,
                     AdwActionRow *row)
{
  update_row (row, settings);
}

static void
row_button_clicked_cb (GtkButton *button,
                       GSettings *settings)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));

  gtk_window_present (saoma_pin_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                            settings));
}

GtkWidget *
saoma_pin_dialog_new_preferences_row (GSettings *settings)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new ();

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Manager PIN"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_object_set_data (G_OBJECT (row), "button", button);
  g_signal_connect_data (button, "clicked", G_CALLBACK (row_button_clicked_cb),
                         g_object_ref (settings), (GClosureNotify) g_object_unref, 0);
  g_signal_connect_object (settings, "changed::" SAOMA_PIN_SETTINGS_KEY,
                           G_CALLBACK (settings_changed_cb), row, 0);
  update_row (ADW_ACTION_ROW (row), settings);
  gtk_widget_set_sensitive (button, has_key (settings));

  return row;
}
