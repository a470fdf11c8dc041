/* saoma-customer-display-preferences.c: the customer display's group in Preferences.
 *
 * Copyright 2026 The Saoma authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-customer-display-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "saoma-customer-display-preferences.h"
#include "saoma-settings-types.h"

struct _SaomaCustomerDisplayPreferences
{
  AdwPreferencesGroup  parent_instance;

  GSettings           *settings;
  GListModel          *monitors;
  /* The connector each row of monitor_row stands for; "" is automatic. */
  GPtrArray           *connectors;
  guint                rebuild_id;
  gboolean             updating;

  GtkSwitch           *enabled_switch;
  AdwComboRow         *monitor_row;
  AdwComboRow         *single_row;
  GtkSwitch           *bilingual_switch;
  GtkSpinButton       *delay_spin;
};

G_DEFINE_FINAL_TYPE (SaomaCustomerDisplayPreferences, saoma_customer_display_preferences,
                     ADW_TYPE_PREFERENCES_GROUP)

/* Rows of single_row, in the order of the .ui (not the enum's). */
static const SaomaSingleMonitor single_monitor_rows[] = {
  SAOMA_SINGLE_MONITOR_HIDDEN,
  SAOMA_SINGLE_MONITOR_WINDOW,
};

static gboolean
single_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SAOMA_TYPE_SINGLE_MONITOR);
  GEnumValue *chosen = g_enum_get_value_by_nick (klass, g_variant_get_string (variant, NULL));

  for (guint i = 0; chosen != NULL && i < G_N_ELEMENTS (single_monitor_rows); i++)
    if (single_monitor_rows[i] == (SaomaSingleMonitor) chosen->value)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }

  return FALSE;
}

static GVariant *
single_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SAOMA_TYPE_SINGLE_MONITOR);
  guint i = g_value_get_uint (value);

  if (i >= G_N_ELEMENTS (single_monitor_rows))
    return NULL;

  return g_variant_new_string (g_enum_get_value (klass, single_monitor_rows[i])->value_nick);
}

static char *
describe_monitor (GdkMonitor *monitor)
{
  GdkRectangle geometry;
  const char *model = gdk_monitor_get_model (monitor);

  gdk_monitor_get_geometry (monitor, &geometry);
  if (model != NULL && model[0] != '\0')
    return g_strdup_printf ("%s · %s · %d×%d", gdk_monitor_get_connector (monitor), model,
                            geometry.width, geometry.height);

  return g_strdup_printf ("%s · %d×%d", gdk_monitor_get_connector (monitor),
                          geometry.width, geometry.height);
}

/* The list is by connector, because that is what the setting stores: a monitor keeps its
 * connector when others are plugged in, not its index. */
static void
rebuild (SaomaCustomerDisplayPreferences *self)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GtkStringList) model = NULL;
  g_auto(GStrv) strv = NULL;
  g_autofree char *wanted = g_settings_get_string (self->settings, "customer-display-monitor");
  guint selected = 0;
  guint n = g_list_model_get_n_items (self->monitors);

  self->updating = TRUE;

  g_ptr_array_set_size (self->connectors, 0);
  g_strv_builder_add (names, _("Automatic"));
  g_ptr_array_add (self->connectors, g_strdup (""));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);
      const char *connector = gdk_monitor_get_connector (monitor);
      g_autofree char *name = NULL;

      /* A monitor just plugged in has no connector yet; it comes back with notify. */
      if (connector == NULL)
        continue;

      name = describe_monitor (monitor);
      if (g_str_equal (connector, wanted))
        selected = self->connectors->len;
      g_strv_builder_add (names, name);
      g_ptr_array_add (self->connectors, g_strdup (connector));
    }

  if (wanted[0] != '\0' && selected == 0)
    {
      /* TRANSLATORS: a monitor chosen for the customer display that is unplugged now */
      g_autofree char *name = g_strdup_printf (_("%s (not connected)"), wanted);

      selected = self->connectors->len;
      g_strv_builder_add (names, name);
      g_ptr_array_add (self->connectors, g_strdup (wanted));
    }

  strv = g_strv_builder_end (names);
  model = gtk_string_list_new ((const char * const *) strv);
  adw_combo_row_set_model (self->monitor_row, G_LIST_MODEL (model));
  adw_combo_row_set_selected (self->monitor_row, selected);

  self->updating = FALSE;
}

static gboolean
rebuild_idle_cb (gpointer data)
{
  SaomaCustomerDisplayPreferences *self = data;

  self->rebuild_id = 0;
  rebuild (self);

  return G_SOURCE_REMOVE;
}

static void
queue_rebuild (SaomaCustomerDisplayPreferences *self)
{
  if (self->rebuild_id == 0)
    self->rebuild_id = g_idle_add (rebuild_idle_cb, self);
}

static void
watch_monitors (SaomaCustomerDisplayPreferences *self,
                guint                            position,
                guint                            added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);

      g_signal_connect_object (monitor, "notify::connector",
                               G_CALLBACK (queue_rebuild), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (monitor, "notify::geometry",
                               G_CALLBACK (queue_rebuild), self, G_CONNECT_SWAPPED);
    }
}

static void
monitors_changed_cb (SaomaCustomerDisplayPreferences *self,
                     guint                            position,
                     guint                            removed,
                     guint                            added,
                     GListModel                      *monitors)
{
  watch_monitors (self, position, added);
  queue_rebuild (self);
}

static void
monitor_selected_cb (SaomaCustomerDisplayPreferences *self)
{
  guint selected = adw_combo_row_get_selected (self->monitor_row);

  if (self->updating || selected >= self->connectors->len)
    return;

  g_settings_set_string (self->settings, "customer-display-monitor",
                         g_ptr_array_index (self->connectors, selected));
}

static void
saoma_customer_display_preferences_dispose (GObject *object)
{
  SaomaCustomerDisplayPreferences *self = SAOMA_CUSTOMER_DISPLAY_PREFERENCES (object);

  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  g_clear_object (&self->settings);
  g_clear_object (&self->monitors);
  g_clear_pointer (&self->connectors, g_ptr_array_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_CUSTOMER_DISPLAY_PREFERENCES);

  G_OBJECT_CLASS (saoma_customer_display_preferences_parent_class)->dispose (object);
}

static void
saoma_customer_display_preferences_class_init (SaomaCustomerDisplayPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_customer_display_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-customer-display-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplayPreferences,
                                        enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplayPreferences,
                                        monitor_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplayPreferences,
                                        single_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplayPreferences,
                                        bilingual_switch);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplayPreferences,
                                        delay_spin);
}

static void
saoma_customer_display_preferences_init (SaomaCustomerDisplayPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->connectors = g_ptr_array_new_with_free_func (g_free);
  self->settings = g_settings_new (APP_ID);

  g_settings_bind (self->settings, "customer-display-enabled",
                   self->enabled_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "customer-display-bilingual",
                   self->bilingual_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "customer-display-paid-delay",
                   gtk_spin_button_get_adjustment (self->delay_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "customer-display-single-monitor",
                                self->single_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                single_get_mapping, single_set_mapping, NULL, NULL);

  self->monitors = g_object_ref (gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (self))));
  watch_monitors (self, 0, g_list_model_get_n_items (self->monitors));
  g_signal_connect_object (self->monitors, "items-changed",
                           G_CALLBACK (monitors_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::customer-display-monitor",
                           G_CALLBACK (queue_rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor_row, "notify::selected",
                           G_CALLBACK (monitor_selected_cb), self, G_CONNECT_SWAPPED);
  rebuild (self);
}

GtkWidget *
saoma_customer_display_preferences_new (void)
{
  return g_object_new (SAOMA_TYPE_CUSTOMER_DISPLAY_PREFERENCES, NULL);
}
