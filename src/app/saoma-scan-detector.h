/* saoma-scan-detector.h: tells a barcode scanner's keystrokes from a person's typing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The default largest gap between two keys of one scan, in milliseconds (issue 13). */
#define SAOMA_SCAN_DEFAULT_GAP_MS 50
/* A payment code has at least this many digits (WeChat 18, Alipay 16–24) … */
#define SAOMA_SCAN_MIN_DIGITS 16
/* … and a burst longer than this is not a code: it is handed back as typing. */
#define SAOMA_SCAN_MAX_DIGITS 32

/* What the caller does with the key it fed. Before acting on it, the caller delivers the digits
 * saoma_scan_detector_take_typed() returns (typing, in the order typed). */
typedef enum {
  SAOMA_SCAN_PASS, /* deliver the key as usual */
  SAOMA_SCAN_HOLD, /* swallow it for now: it may be part of a scan */
  SAOMA_SCAN_CODE, /* swallow it: an Enter that ended a scan (saoma_scan_detector_take_code()) */
} SaomaScanAction;

#define SAOMA_TYPE_SCAN_DETECTOR (saoma_scan_detector_get_type ())
G_DECLARE_FINAL_TYPE (SaomaScanDetector, saoma_scan_detector, SAOMA, SCAN_DETECTOR, GObject)

/*
 * A pure decision over (keyval, time) pairs: no widget, no clock, no timer. A scanner in USB
 * keyboard mode types a code's digits and Enter a few milliseconds apart; a person is ten times
 * slower. A burst of at least SAOMA_SCAN_MIN_DIGITS digits, each key (Enter included) at most
 * "gap" ms after the one before, ending in Enter, is a scan. Digits are held while the burst
 * may still be one; as soon as it cannot (a slow key, another key, a short burst's Enter, too
 * many digits, or saoma_scan_detector_flush() when no key came), they are handed back as typing.
 * Times are the events' own (X server milliseconds, wrapping), so a busy main loop that
 * delivers a scan late does not split it.
 *
 * Property: "gap" (guint ms, 1–1000, default SAOMA_SCAN_DEFAULT_GAP_MS).
 */
SaomaScanDetector *saoma_scan_detector_new        (guint              gap_ms);
guint              saoma_scan_detector_get_gap    (SaomaScanDetector *self);
void               saoma_scan_detector_set_gap    (SaomaScanDetector *self,
                                                   guint              gap_ms);
/* Feeds one key press (a GDK keyval) at @time_ms (gdk_event_get_time()). */
SaomaScanAction    saoma_scan_detector_feed       (SaomaScanDetector *self,
                                                   guint              keyval,
                                                   guint32            time_ms);
/* No key came for a while: whatever is held is typing. */
void               saoma_scan_detector_flush      (SaomaScanDetector *self);
/* Whether digits are held (the caller keeps a timer to flush them). */
gboolean           saoma_scan_detector_is_holding (SaomaScanDetector *self);
/* The digits that turned out to be typed, in order ("1", "234"), or NULL; the caller owns it. */
char              *saoma_scan_detector_take_typed (SaomaScanDetector *self);
/* The code of the last SAOMA_SCAN_CODE, or NULL; the caller owns it. */
char              *saoma_scan_detector_take_code  (SaomaScanDetector *self);

G_END_DECLS
