/* saoma-business-day.h: the store's business day (issue 12.5). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One business day for every figure of the till: Beijing time by default (WeChat's bills and
 * time fields are Beijing time), starting at a configurable wall-clock time (00:00 by default;
 * a late shop sets e.g. 04:00 so that its 01:30 sales count in the evening's day).
 * The day of date D is [D at day start, D+1 at day start) in the zone: 23 or 25 hours across a
 * DST change in zones that have one.
 */
typedef struct {
  GTimeZone *tz;
  guint      day_start_minutes;  /* 0 … 1439 after local midnight */
} SaomaBusinessDay;

/* The default zone: Beijing (UTC+8, no DST). */
GTimeZone        *saoma_business_day_default_tz   (void);
/* @now (NULL: the system clock) in the shop's zone: order and refund numbers carry its wall
 * time, so that they read like the times beside them. */
GDateTime        *saoma_business_day_shop_time    (GDateTime              *now);

/* @tz: (nullable): Beijing when NULL; @day_start_minutes < 1440. */
SaomaBusinessDay *saoma_business_day_new          (GTimeZone              *tz,
                                                   guint                   day_start_minutes);
void              saoma_business_day_free         (SaomaBusinessDay       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaBusinessDay, saoma_business_day_free)

/* [*@out_start_us, *@out_end_us): the µs UTC range of the business day @date. */
void              saoma_business_day_range        (const SaomaBusinessDay *self,
                                                   const GDate            *date,
                                                   gint64                 *out_start_us,
                                                   gint64                 *out_end_us);
/* The business day @time_us (µs UTC) belongs to. */
void              saoma_business_day_of           (const SaomaBusinessDay *self,
                                                   gint64                  time_us,
                                                   GDate                  *out_date);
/* Strict "HH:MM" (00:00–23:59) into minutes; FALSE with a G_IO_ERROR_INVALID_ARGUMENT. */
gboolean          saoma_business_day_parse_start  (const char             *text,
                                                   guint                  *out_minutes,
                                                   GError                **error);

G_END_DECLS
