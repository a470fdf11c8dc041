/* saoma-business-day.c: the store's business day.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-business-day"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "saoma-business-day.h"

#define MINUTES_PER_DAY 1440

GTimeZone *
saoma_business_day_default_tz (void)
{
  /* A fixed offset, not "Asia/Shanghai": no tzdata needed, and China has no DST. */
  return g_time_zone_new_identifier ("+08:00");
}

/**
 * saoma_business_day_shop_time:
 * @now: (nullable): a time; %NULL for the system clock
 *
 * Returns: (transfer full): @now in the shop's (Beijing) zone
 */
GDateTime *
saoma_business_day_shop_time (GDateTime *now)
{
  g_autoptr(GTimeZone) tz = saoma_business_day_default_tz ();
  g_autoptr(GDateTime) utc = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_utc ();

  return g_date_time_to_timezone (utc, tz);
}

/**
 * saoma_business_day_new:
 * @tz: (nullable): the store's zone; Beijing when %NULL
 * @day_start_minutes: when the day starts, in minutes after local midnight (< 1440)
 *
 * Returns: (transfer full): the business day rule
 */
SaomaBusinessDay *
saoma_business_day_new (GTimeZone *tz,
                        guint      day_start_minutes)
{
  SaomaBusinessDay *self;

  g_return_val_if_fail (day_start_minutes < MINUTES_PER_DAY, NULL);

  self = g_new0 (SaomaBusinessDay, 1);
  self->tz = tz != NULL ? g_time_zone_ref (tz) : saoma_business_day_default_tz ();
  self->day_start_minutes = day_start_minutes;
  return self;
}

void
saoma_business_day_free (SaomaBusinessDay *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_free (self);
}

static gint64
start_of (const SaomaBusinessDay *self,
          const GDate            *date)
{
  g_autoptr(GDateTime) start = g_date_time_new (self->tz, g_date_get_year (date),
                                                g_date_get_month (date), g_date_get_day (date),
                                                self->day_start_minutes / 60,
                                                self->day_start_minutes % 60, 0);

  return g_date_time_to_unix (start) * G_USEC_PER_SEC;
}

void
saoma_business_day_range (const SaomaBusinessDay *self,
                          const GDate            *date,
                          gint64                 *out_start_us,
                          gint64                 *out_end_us)
{
  GDate next;

  g_return_if_fail (self != NULL);
  g_return_if_fail (date != NULL && g_date_valid (date));
  g_return_if_fail (out_start_us != NULL && out_end_us != NULL);

  /* The next date's start, not start + 24 h: days are 23 or 25 h across DST. */
  next = *date;
  g_date_add_days (&next, 1);
  *out_start_us = start_of (self, date);
  *out_end_us = start_of (self, &next);
}

void
saoma_business_day_of (const SaomaBusinessDay *self,
                       gint64                  time_us,
                       GDate                  *out_date)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  gint64 seconds;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out_date != NULL);

  /* Whole seconds, rounded down also before 1970. */
  seconds = time_us / G_USEC_PER_SEC - (time_us % G_USEC_PER_SEC < 0 ? 1 : 0);
  utc = g_date_time_new_from_unix_utc (seconds);
  local = g_date_time_to_timezone (utc, self->tz);
  g_date_clear (out_date, 1);
  g_date_set_dmy (out_date, g_date_time_get_day_of_month (local), g_date_time_get_month (local),
                  g_date_time_get_year (local));
  /* Before the day start on the clock: still the previous business day. */
  if (g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local) <
      (int) self->day_start_minutes)
    g_date_subtract_days (out_date, 1);
}

gboolean
saoma_business_day_parse_start (const char  *text,
                                guint       *out_minutes,
                                GError     **error)
{
  guint h, m;

  g_return_val_if_fail (out_minutes != NULL, FALSE);

  if (text == NULL || strlen (text) != 5 || text[2] != ':' || !g_ascii_isdigit (text[0]) ||
      !g_ascii_isdigit (text[1]) || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    goto invalid;
  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59)
    goto invalid;
  *out_minutes = h * 60 + m;
  return TRUE;

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” is not a day start; use HH:MM, like 04:00", text ? text : "");
  return FALSE;
}
