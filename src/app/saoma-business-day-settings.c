/* saoma-business-day-settings.c: the business day setting (issue 12.5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-business-day-settings"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "saoma-business-day-settings.h"

/**
 * saoma_business_day_new_from_settings:
 * @settings: the application's settings
 *
 * Returns: (transfer full): the business day (Beijing time, the configured day start)
 */
SaomaBusinessDay *
saoma_business_day_new_from_settings (GSettings *settings)
{
  guint start;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  start = g_settings_get_uint (settings, SAOMA_BUSINESS_DAY_START_KEY);
  return saoma_business_day_new (NULL, MIN (start, 1439));
}

void
saoma_business_day_today (const SaomaBusinessDay *business_day,
                          GDate                  *out_date)
{
  g_return_if_fail (business_day != NULL);
  g_return_if_fail (out_date != NULL);

  saoma_business_day_of (business_day, g_get_real_time (), out_date);
}

/* The spin button shows and reads "HH:MM"; its value is minutes. */
static gboolean
start_output_cb (GtkSpinButton *spin,
                 gpointer       user_data)
{
  guint minutes = (guint) gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin));
  char text[8];

  g_snprintf (text, sizeof text, "%02u:%02u", minutes / 60, minutes % 60);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (spin)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
start_input_cb (GtkSpinButton *spin,
                double        *new_value,
                gpointer       user_data)
{
  guint minutes;

  if (!saoma_business_day_parse_start (gtk_editable_get_text (GTK_EDITABLE (spin)), &minutes,
                                       NULL))
    return GTK_INPUT_ERROR;
  *new_value = minutes;
  return TRUE;
}

/**
 * saoma_business_day_preferences_group_new:
 * @settings: the application's settings
 *
 * Returns: (transfer floating): an #AdwPreferencesGroup
 */
GtkWidget *
saoma_business_day_preferences_group_new (GSettings *settings)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row = adw_action_row_new ();
  GtkAdjustment *adjustment = gtk_adjustment_new (0, 0, 1439, 15, 60, 0);
  GtkWidget *spin = gtk_spin_button_new (adjustment, 1, 0);

  g_return_val_if_fail (G_IS_SETTINGS (settings), group);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Business Day"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Day starts at"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Beijing time. Day Close, exports, reconciliation and History "
                                 "count a day from here; 04:00 keeps a late night in the "
                                 "evening's day."));
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 5);
  gtk_widget_add_css_class (spin, "numeric");
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Day starts at"), -1);
  g_signal_connect (spin, "output", G_CALLBACK (start_output_cb), NULL);
  g_signal_connect (spin, "input", G_CALLBACK (start_input_cb), NULL);
  g_settings_bind (settings, SAOMA_BUSINESS_DAY_START_KEY, adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return group;
}
