/* saoma-day-picker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-day-picker"

#include "config.h"

#include "saoma-day-picker.h"

void
saoma_day_picker_show (GtkMenuButton *button,
                       GtkCalendar   *calendar,
                       const GDate   *date,
                       gpointer       window)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (date != NULL && g_date_valid (date));

  /* Noon: the same calendar day in any time zone offset. */
  dt = g_date_time_new_local (g_date_get_year (date), g_date_get_month (date),
                              g_date_get_day (date), 12, 0, 0);
  g_signal_handlers_block_matched (calendar, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, window);
  gtk_calendar_select_day (calendar, dt);
  g_signal_handlers_unblock_matched (calendar, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, window);

  label = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                           g_date_get_day (date));
  gtk_menu_button_set_label (button, label);
}

void
saoma_day_picker_choose (GtkMenuButton *button,
                         GtkCalendar   *calendar,
                         gpointer       window,
                         SaomaDaySetter set_date)
{
  g_autoptr(GDateTime) dt = gtk_calendar_get_date (calendar);
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                  g_date_time_get_year (dt));
  gtk_menu_button_popdown (button);
  set_date (window, &date);
}

void
saoma_day_picker_step (const GDate   *current,
                       const char    *action_name,
                       gpointer       window,
                       SaomaDaySetter set_date)
{
  GDate date = *current;

  if (g_str_has_suffix (action_name, ".next-day"))
    g_date_add_days (&date, 1);
  else
    g_date_subtract_days (&date, 1);
  set_date (window, &date);
}
