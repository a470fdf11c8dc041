/* saoma-scan-detector.c: tells a barcode scanner's keystrokes from a person's typing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-scan-detector"

#include "config.h"

/* Key symbols only (plain #defines): this file uses no widget and no GDK call. */
#include <gdk/gdkkeysyms.h>

#include "saoma-scan-detector.h"

struct _SaomaScanDetector
{
  GObject  parent_instance;

  guint    gap_ms;
  GString *held;      /* digits of the burst that may still be a scan */
  guint32  last_time; /* of the burst's last key */
  GString *typed;     /* digits that turned out to be typed, not yet taken */
  char    *code;
};

enum {
  PROP_0,
  PROP_GAP,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaScanDetector, saoma_scan_detector, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* The digit a key types ('0'–'9', keypad included), or 0. */
static char
key_digit (guint keyval)
{
  if (keyval >= GDK_KEY_0 && keyval <= GDK_KEY_9)
    return (char) ('0' + (keyval - GDK_KEY_0));
  if (keyval >= GDK_KEY_KP_0 && keyval <= GDK_KEY_KP_9)
    return (char) ('0' + (keyval - GDK_KEY_KP_0));
  return 0;
}

static gboolean
key_is_enter (guint keyval)
{
  return keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;
}

/* Shift, Control … pressed alone type nothing: they neither extend nor end a burst. */
static gboolean
key_is_modifier (guint keyval)
{
  return (keyval >= GDK_KEY_Shift_L && keyval <= GDK_KEY_Hyper_R) ||
         keyval == GDK_KEY_ISO_Level3_Shift || keyval == GDK_KEY_Mode_switch ||
         keyval == GDK_KEY_Num_Lock;
}

/* Server times wrap after 49 days: the unsigned difference is still right. */
static gboolean
within_gap (SaomaScanDetector *self,
            guint32            time_ms)
{
  return (guint32) (time_ms - self->last_time) <= self->gap_ms;
}

/* The burst cannot be a scan any more: its digits were typed. */
static void
release_held (SaomaScanDetector *self)
{
  g_string_append_len (self->typed, self->held->str, self->held->len);
  g_string_truncate (self->held, 0);
}

static void
saoma_scan_detector_finalize (GObject *object)
{
  SaomaScanDetector *self = SAOMA_SCAN_DETECTOR (object);

  g_string_free (self->held, TRUE);
  g_string_free (self->typed, TRUE);
  g_free (self->code);

  G_OBJECT_CLASS (saoma_scan_detector_parent_class)->finalize (object);
}

static void
saoma_scan_detector_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  SaomaScanDetector *self = SAOMA_SCAN_DETECTOR (object);

  switch (prop_id)
    {
    case PROP_GAP:
      g_value_set_uint (value, self->gap_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_scan_detector_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  SaomaScanDetector *self = SAOMA_SCAN_DETECTOR (object);

  switch (prop_id)
    {
    case PROP_GAP:
      saoma_scan_detector_set_gap (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_scan_detector_class_init (SaomaScanDetectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_scan_detector_finalize;
  object_class->get_property = saoma_scan_detector_get_property;
  object_class->set_property = saoma_scan_detector_set_property;

  properties[PROP_GAP] =
    g_param_spec_uint ("gap", NULL, NULL, 1, 1000, SAOMA_SCAN_DEFAULT_GAP_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_scan_detector_init (SaomaScanDetector *self)
{
  self->gap_ms = SAOMA_SCAN_DEFAULT_GAP_MS;
  self->held = g_string_new (NULL);
  self->typed = g_string_new (NULL);
}

/**
 * saoma_scan_detector_new:
 * @gap_ms: the largest gap between two keys of one scan (1–1000 ms)
 *
 * Returns: (transfer full): a new detector
 */
SaomaScanDetector *
saoma_scan_detector_new (guint gap_ms)
{
  return g_object_new (SAOMA_TYPE_SCAN_DETECTOR, "gap", CLAMP (gap_ms, 1, 1000), NULL);
}

guint
saoma_scan_detector_get_gap (SaomaScanDetector *self)
{
  g_return_val_if_fail (SAOMA_IS_SCAN_DETECTOR (self), 0);

  return self->gap_ms;
}

void
saoma_scan_detector_set_gap (SaomaScanDetector *self,
                             guint              gap_ms)
{
  g_return_if_fail (SAOMA_IS_SCAN_DETECTOR (self));

  gap_ms = CLAMP (gap_ms, 1, 1000);
  if (self->gap_ms == gap_ms)
    return;
  self->gap_ms = gap_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GAP]);
}

/**
 * saoma_scan_detector_feed:
 * @keyval: the GDK keyval pressed
 * @time_ms: the event's time (gdk_event_get_time()), not when it was handled
 *
 * Returns: what to do with this key, once saoma_scan_detector_take_typed() was delivered
 */
SaomaScanAction
saoma_scan_detector_feed (SaomaScanDetector *self,
                          guint              keyval,
                          guint32            time_ms)
{
  char digit;

  g_return_val_if_fail (SAOMA_IS_SCAN_DETECTOR (self), SAOMA_SCAN_PASS);

  if (key_is_modifier (keyval))
    return SAOMA_SCAN_PASS;

  digit = key_digit (keyval);
  if (digit != 0)
    {
      /* A slow key starts a new burst: the one before was typed. */
      if (self->held->len > 0 && !within_gap (self, time_ms))
        release_held (self);
      /* Longer than any code: a key held down or a digit string pasted as keys. */
      if (self->held->len >= SAOMA_SCAN_MAX_DIGITS)
        {
          release_held (self);
          g_string_append_c (self->typed, digit);
          return SAOMA_SCAN_HOLD;
        }
      g_string_append_c (self->held, digit);
      self->last_time = time_ms;
      return SAOMA_SCAN_HOLD;
    }

  if (key_is_enter (keyval) && self->held->len >= SAOMA_SCAN_MIN_DIGITS &&
      within_gap (self, time_ms))
    {
      g_free (self->code);
      self->code = g_strndup (self->held->str, self->held->len);
      g_string_truncate (self->held, 0);
      return SAOMA_SCAN_CODE;
    }

  /* Any other key, a slow Enter or the Enter after a short burst ("12.34"): typing. */
  release_held (self);
  return SAOMA_SCAN_PASS;
}

void
saoma_scan_detector_flush (SaomaScanDetector *self)
{
  g_return_if_fail (SAOMA_IS_SCAN_DETECTOR (self));

  release_held (self);
}

gboolean
saoma_scan_detector_is_holding (SaomaScanDetector *self)
{
  g_return_val_if_fail (SAOMA_IS_SCAN_DETECTOR (self), FALSE);

  return self->held->len > 0;
}

char *
saoma_scan_detector_take_typed (SaomaScanDetector *self)
{
  char *typed;

  g_return_val_if_fail (SAOMA_IS_SCAN_DETECTOR (self), NULL);

  if (self->typed->len == 0)
    return NULL;
  typed = g_strndup (self->typed->str, self->typed->len);
  g_string_truncate (self->typed, 0);
  return typed;
}

char *
saoma_scan_detector_take_code (SaomaScanDetector *self)
{
  g_return_val_if_fail (SAOMA_IS_SCAN_DETECTOR (self), NULL);

  return g_steal_pointer (&self->code);
}
