/* saoma-clock.h: the injectable clock the engine takes its time and timers from. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_CLOCK (saoma_clock_get_type ())
G_DECLARE_FINAL_TYPE (SaomaClock, saoma_clock, SAOMA, CLOCK, GObject)

/* The real clock: g_get_real_time() and GLib timeouts on the thread-default main context. */
SaomaClock *saoma_clock_get_default   (void);
/* A manual clock starting at @start_us (µs since the epoch, UTC): time moves only with
 * saoma_clock_advance(), which fires due timeouts in order, synchronously. */
SaomaClock *saoma_clock_new_manual    (gint64 start_us);
gboolean    saoma_clock_is_manual     (SaomaClock *self);
gint64      saoma_clock_now           (SaomaClock *self);
GDateTime  *saoma_clock_now_datetime  (SaomaClock *self);
/* Like g_timeout_add_full (ms); returns an id for saoma_clock_remove(). One-shot: the callback's
 * return value is ignored. */
guint       saoma_clock_add_timeout   (SaomaClock    *self,
                                       guint          interval_ms,
                                       GSourceFunc    func,
                                       gpointer       data,
                                       GDestroyNotify notify);
void        saoma_clock_remove        (SaomaClock *self,
                                       guint       id);
/* Manual clocks only. */
void        saoma_clock_advance       (SaomaClock *self,
                                       gint64      delta_us);

G_END_DECLS
