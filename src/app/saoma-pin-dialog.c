/* saoma-pin-dialog.c: set or change the manager PIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-pin-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/saoma-pin.h"
#include "saoma-application.h"
#include "saoma-pin-dialog.h"

struct _SaomaPinDialog
{
  AdwWindow         parent_instance;

  SaomaPinGuard    *guard;
  GCancellable     *cancellable;

  AdwEntryRow      *current_row;
  AdwEntryRow      *new_row;
  AdwEntryRow      *repeat_row;
  GtkButton        *save_button;
  GtkSpinner       *spinner;
  GtkLabel         *message_label;
};

G_DEFINE_FINAL_TYPE (SaomaPinDialog, saoma_pin_dialog, ADW_TYPE_WINDOW)

#define GUARD_KEY "saoma-pin-guard"

static gboolean
has_legacy_key (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  if (settings == NULL)
    return FALSE;
  g_object_get (settings, "settings-schema", &schema, NULL);
  return schema != NULL && g_settings_schema_has_key (schema, SAOMA_PIN_SETTINGS_KEY);
}

static gboolean
has_legacy_hash (GSettings *settings)
{
  g_autofree char *hash = NULL;

  if (!has_legacy_key (settings))
    return FALSE;
  hash = g_settings_get_string (settings, SAOMA_PIN_SETTINGS_KEY);
  return hash[0] != '\0';
}

static void
guard_refreshed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (saoma_pin_guard_refresh_finish (SAOMA_PIN_GUARD (source), result, &error)
      == SAOMA_PIN_STATUS_UNAVAILABLE)
    g_warning ("Cannot read the manager PIN from the keyring: %s", error ? error->message : "?");
}

static void
guard_status_cb (SaomaPinGuard    *guard,
                 GParamSpec       *pspec,
                 SaomaApplication *app)
{
  GSettings *settings = saoma_application_get_settings (app);

  /* The PIN is in the keyring now: the old hash has done its last job (asking for this). */
  if (saoma_pin_guard_get_status (guard) == SAOMA_PIN_STATUS_SET && has_legacy_hash (settings))
    g_settings_reset (settings, SAOMA_PIN_SETTINGS_KEY);
}

SaomaPinGuard *
saoma_pin_dialog_get_guard (SaomaApplication *app)
{
  SaomaPinGuard *guard;

  g_return_val_if_fail (SAOMA_IS_APPLICATION (app), NULL);

  guard = g_object_get_data (G_OBJECT (app), GUARD_KEY);
  if (guard == NULL)
    {
      guard = saoma_pin_guard_new (NULL, saoma_application_get_store (app));
      g_object_set_data_full (G_OBJECT (app), GUARD_KEY, guard, g_object_unref);
      g_signal_connect_object (guard, "notify::status", G_CALLBACK (guard_status_cb), app, 0);
      saoma_pin_guard_refresh_async (guard, NULL, guard_refreshed_cb, NULL);
    }
  else
    saoma_pin_guard_set_store (guard, saoma_application_get_store (app));

  return guard;
}

gboolean
saoma_pin_dialog_is_set (SaomaPinGuard *guard)
{
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (guard), FALSE);

  return saoma_pin_guard_get_status (guard) == SAOMA_PIN_STATUS_SET;
}

const char *
saoma_pin_dialog_get_problem (SaomaApplication *app)
{
  SaomaPinGuard *guard = saoma_pin_dialog_get_guard (app);

  switch (saoma_pin_guard_get_status (guard))
    {
    case SAOMA_PIN_STATUS_NOT_SET:
      if (has_legacy_hash (saoma_application_get_settings (app)))
        return _("Saoma now keeps the manager PIN in the keyring. Set it again in Preferences.");
      return _("No manager PIN has been set. Set one in Preferences.");
    case SAOMA_PIN_STATUS_TAMPERED:
      return _("The manager PIN was changed outside Saoma, so it is not accepted. "
               "Set it again in Preferences.");
    case SAOMA_PIN_STATUS_UNAVAILABLE:
      return _("The keyring cannot be read, so the manager PIN cannot be checked.");
    case SAOMA_PIN_STATUS_UNKNOWN:
    case SAOMA_PIN_STATUS_SET:
    default:
      return NULL;
    }
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
update_rows (SaomaPinDialog *self)
{
  SaomaPinStatus status = saoma_pin_guard_get_status (self->guard);
  gboolean ask_current = status == SAOMA_PIN_STATUS_SET || status == SAOMA_PIN_STATUS_UNKNOWN;

  gtk_widget_set_visible (GTK_WIDGET (self->current_row), ask_current);
  if (status == SAOMA_PIN_STATUS_TAMPERED)
    {
      /* No old PIN can be asked for; say that this replacement is recorded. */
      gtk_label_set_text (self->message_label,
                          _("The stored manager PIN was changed outside Saoma and is not "
                            "accepted. Set a new one; the change is recorded."));
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
    }
}

static void
status_changed_cb (SaomaPinDialog *self)
{
  update_rows (self);
}

static void
pin_set_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SaomaPinDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_pin_guard_set_finish (SAOMA_PIN_GUARD (source), result, &error))
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        return;
      show_error (self, error->message);
      if (error->domain == SAOMA_PIN_ERROR
          && (error->code == SAOMA_PIN_ERROR_WRONG || error->code == SAOMA_PIN_ERROR_THROTTLED
              || error->code == SAOMA_PIN_ERROR_LOCKED))
        {
          gtk_editable_set_text (GTK_EDITABLE (self->current_row), "");
          gtk_widget_grab_focus (GTK_WIDGET (self->current_row));
        }
      return;
    }
  if (!g_cancellable_is_cancelled (self->cancellable))
    gtk_window_close (GTK_WINDOW (self));
}

static void
save_clicked_cb (SaomaPinDialog *self)
{
  const char *new_pin = gtk_editable_get_text (GTK_EDITABLE (self->new_row));
  const char *repeat = gtk_editable_get_text (GTK_EDITABLE (self->repeat_row));
  gboolean ask_current = gtk_widget_get_visible (GTK_WIDGET (self->current_row));
  g_autoptr(GError) error = NULL;

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
  gtk_label_set_text (self->message_label,
                      ask_current ? _("Checking the current PIN…") : _("Saving…"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
  /* The guard decides whether the current PIN is needed (it reads the keyring again). */
  saoma_pin_guard_set_async (self->guard,
                             gtk_editable_get_text (GTK_EDITABLE (self->current_row)), new_pin,
                             self->cancellable, pin_set_cb, g_object_ref (self));
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

  g_clear_object (&self->guard);
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
saoma_pin_dialog_new (GtkWindow     *parent,
                      SaomaPinGuard *guard)
{
  SaomaPinDialog *self;

  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (guard), NULL);

  self = g_object_new (SAOMA_TYPE_PIN_DIALOG, "transient-for", parent, NULL);
  self->guard = g_object_ref (guard);
  g_signal_connect_object (guard, "notify::status", G_CALLBACK (status_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update_rows (self);
  if (gtk_widget_get_visible (GTK_WIDGET (self->current_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->current_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->new_row));

  return GTK_WINDOW (self);
}

static void
update_row (AdwActionRow     *row,
            SaomaApplication *app)
{
  GtkButton *button = g_object_get_data (G_OBJECT (row), "button");
  SaomaPinGuard *guard = saoma_pin_dialog_get_guard (app);
  const char *problem = saoma_pin_dialog_get_problem (app);
  gboolean set = saoma_pin_dialog_is_set (guard);

  if (set)
    adw_action_row_set_subtitle (row, _("Set — refunds ask for it"));
  else if (problem != NULL && saoma_pin_guard_get_status (guard) != SAOMA_PIN_STATUS_NOT_SET)
    adw_action_row_set_subtitle (row, problem);
  else if (has_legacy_hash (saoma_application_get_settings (app)))
    adw_action_row_set_subtitle (row, _("Set it again — Saoma now keeps it in the keyring"));
  else
    adw_action_row_set_subtitle (row, _("Not set — refunds are not possible"));
  gtk_button_set_label (button, set ? _("Change…") : _("Set…"));
}

static void
row_status_cb (SaomaPinGuard *guard,
               GParamSpec    *pspec,
               AdwActionRow  *row)
{
  update_row (row, g_object_get_data (G_OBJECT (row), "app"));
}

static void
row_button_clicked_cb (GtkButton        *button,
                       SaomaApplication *app)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));

  gtk_window_present (saoma_pin_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                            saoma_pin_dialog_get_guard (app)));
}

GtkWidget *
saoma_pin_dialog_new_preferences_row (SaomaApplication *app)
{
  GtkWidget *row;
  GtkWidget *button;

  g_return_val_if_fail (SAOMA_IS_APPLICATION (app), NULL);

  row = adw_action_row_new ();
  button = gtk_button_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Manager PIN"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_object_set_data (G_OBJECT (row), "button", button);
  g_object_set_data_full (G_OBJECT (row), "app", g_object_ref (app), g_object_unref);
  g_signal_connect_data (button, "clicked", G_CALLBACK (row_button_clicked_cb),
                         g_object_ref (app), (GClosureNotify) g_object_unref, 0);
  g_signal_connect_object (saoma_pin_dialog_get_guard (app), "notify::status",
                           G_CALLBACK (row_status_cb), row, 0);
  update_row (ADW_ACTION_ROW (row), app);

  return row;
}
