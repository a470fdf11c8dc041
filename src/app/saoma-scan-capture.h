/* saoma-scan-capture.h: a barcode scanner's codes caught from a window's keyboard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_SCAN_CAPTURE (saoma_scan_capture_get_type ())
G_DECLARE_FINAL_TYPE (SaomaScanCapture, saoma_scan_capture, SAOMA, SCAN_CAPTURE, GObject)

/*
 * Watches @window's keys in the capture phase (before any widget inside sees them) and tells
 * a scan from typing with a SaomaScanDetector over the events' own times. Digits are held while
 * they may be a scan, so a code never lands in a field; digits that turn out typed are put, in
 * order, where they would have gone (the focused field of the window, else "fallback").
 *
 * Properties:
 *   "enabled" (gboolean, default TRUE): when FALSE every key passes untouched.
 *   "gap" (guint ms): the largest gap between two keys of a scan (the scan-gap setting).
 *   "fallback" (GtkEditable, nullable): where typed digits go when no field has the focus.
 * Signals:
 *   "scanned" (const char *code): a scan ended with Enter; the code is digits only.
 */
SaomaScanCapture *saoma_scan_capture_new          (GtkWindow        *window);
void              saoma_scan_capture_set_enabled  (SaomaScanCapture *self,
                                                   gboolean          enabled);
gboolean          saoma_scan_capture_get_enabled  (SaomaScanCapture *self);
void              saoma_scan_capture_set_fallback (SaomaScanCapture *self,
                                                   GtkEditable      *fallback);

/* Preferences' "Barcode Scanner" group: one row for the scan-gap setting of @settings. */
GtkWidget        *saoma_scan_capture_new_preferences_group (GSettings *settings);

G_END_DECLS
