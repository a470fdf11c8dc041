/* saoma-day-picker.h: the day chooser of the day close and reconciliation windows. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Both windows have a GtkMenuButton whose popover holds a GtkCalendar, and "…previous-day" /
 * "…next-day" actions. The window keeps the date; these helpers keep the controls in step.
 */

typedef void (*SaomaDaySetter) (gpointer     window,
                                const GDate *date);

/* Shows @date as "YYYY-MM-DD" on @button and selects it in @calendar, without running the
 * handlers @window connected to @calendar (they would set the date once more). */
void saoma_day_picker_show        (GtkMenuButton *button,
                                   GtkCalendar   *calendar,
                                   const GDate   *date,
                                   gpointer       window);
/* For the calendar's "day-selected": pops @button down and sets the chosen day. */
void saoma_day_picker_choose      (GtkMenuButton *button,
                                   GtkCalendar   *calendar,
                                   gpointer       window,
                                   SaomaDaySetter set_date);
/* For the "…previous-day" and "…next-day" actions: sets the day before or after @current. */
void saoma_day_picker_step        (const GDate   *current,
                                   const char    *action_name,
                                   gpointer       window,
                                   SaomaDaySetter set_date);

G_END_DECLS
