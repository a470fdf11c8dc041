/* saoma-scan-capture.c: a barcode scanner's codes caught from a window's keyboard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-scan-capture"

#include "config.h"

#include <glib/gi18n.h>

#include "saoma-scan-capture.h"
#include "saoma-scan-detector.h"

struct _SaomaScanCapture
{
  GObject            parent_instance;

  GtkWindow         *window;   /* weak: it owns us */
  GtkEditable       *fallback; /* weak */
  SaomaScanDetector *detector;
  gboolean           enabled;
  guint              flush_id;
};

enum {
  PROP_0,
  PROP_ENABLED,
  PROP_GAP,
  PROP_FALLBACK,
  N_PROPS
};

enum {
  SCANNED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SaomaScanCapture, saoma_scan_capture, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The field typed digits belong to: the window's focused field if it takes text, else the
 * fallback. NULL when the digits have nowhere to go (a read-only amount during a sale). */
static GtkEditable *
target_field (SaomaScanCapture *self)
{
  GtkWidget *focus = self->window ? gtk_root_get_focus (GTK_ROOT (self->window)) : NULL;

  if (focus != NULL && GTK_IS_EDITABLE (focus))
    return gtk_editable_get_editable (GTK_EDITABLE (focus)) ? GTK_EDITABLE (focus) : NULL;
  if (self->fallback != NULL && gtk_editable_get_editable (self->fallback))
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->fallback));
      return self->fallback;
    }
  return NULL;
}

/* Typed digits land as if their keys had reached the field: over the selection, at the
 * cursor, in the order typed. */
static void
deliver_typed (SaomaScanCapture *self)
{
  g_autofree char *typed = saoma_scan_detector_take_typed (self->detector);
  GtkEditable *field;
  int start, end, position;

  if (typed == NULL)
    return;
  field = target_field (self);
  if (field == NULL)
    {
      if (self->window != NULL)
        gtk_widget_error_bell (GTK_WIDGET (self->window));
      return;
    }

  if (gtk_editable_get_selection_bounds (field, &start, &end))
    gtk_editable_delete_selection (field);
  position = gtk_editable_get_position (field);
  gtk_editable_insert_text (field, typed, -1, &position);
  gtk_editable_set_position (field, position);
}

static gboolean
flush_cb (gpointer user_data)
{
  SaomaScanCapture *self = user_data;

  self->flush_id = 0;
  saoma_scan_detector_flush (self->detector);
  deliver_typed (self);
  return G_SOURCE_REMOVE;
}

/* A typist who stops must still see the last digit: when no key follows a held one, it was
 * typed. The wait is a few gaps, so that a scan delivered late by a busy main loop (its events
 * queued together) is not cut; the decision itself uses the events' times. */
static void
schedule_flush (SaomaScanCapture *self)
{
  guint gap = saoma_scan_detector_get_gap (self->detector);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  self->flush_id = g_timeout_add (MAX (3 * gap, 150), flush_cb, self);
}

static gboolean
key_pressed_cb (SaomaScanCapture      *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self->window));
  guint32 time = gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller));
  SaomaScanAction action;

  /* A menu or popover has the keyboard: not ours. Shortcuts are never part of a scan. */
  if (!self->enabled ||
      (focus != NULL && gtk_widget_get_native (focus) != GTK_NATIVE (self->window)) ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      saoma_scan_detector_flush (self->detector);
      deliver_typed (self);
      return FALSE;
    }

  action = saoma_scan_detector_feed (self->detector, keyval, time);
  deliver_typed (self);

  switch (action)
    {
    case SAOMA_SCAN_HOLD:
      schedule_flush (self);
      return TRUE;

    case SAOMA_SCAN_CODE:
      {
        g_autofree char *code = saoma_scan_detector_take_code (self->detector);

        g_clear_handle_id (&self->flush_id, g_source_remove);
        g_signal_emit (self, signals[SCANNED], 0, code);
        return TRUE;
      }

    case SAOMA_SCAN_PASS:
    default:
      if (!saoma_scan_detector_is_holding (self->detector))
        g_clear_handle_id (&self->flush_id, g_source_remove);
      return FALSE;
    }
}

static void
saoma_scan_capture_dispose (GObject *object)
{
  SaomaScanCapture *self = SAOMA_SCAN_CAPTURE (object);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_weak_pointer (&self->window);
  g_clear_weak_pointer (&self->fallback);

  G_OBJECT_CLASS (saoma_scan_capture_parent_class)->dispose (object);
}

static void
saoma_scan_capture_finalize (GObject *object)
{
  SaomaScanCapture *self = SAOMA_SCAN_CAPTURE (object);

  g_clear_object (&self->detector);

  G_OBJECT_CLASS (saoma_scan_capture_parent_class)->finalize (object);
}

static void
saoma_scan_capture_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SaomaScanCapture *self = SAOMA_SCAN_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    case PROP_GAP:
      g_value_set_uint (value, saoma_scan_detector_get_gap (self->detector));
      break;

    case PROP_FALLBACK:
      g_value_set_object (value, self->fallback);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_scan_capture_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SaomaScanCapture *self = SAOMA_SCAN_CAPTURE (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      saoma_scan_capture_set_enabled (self, g_value_get_boolean (value));
      break;

    case PROP_GAP:
      if (saoma_scan_detector_get_gap (self->detector) != g_value_get_uint (value))
        {
          saoma_scan_detector_set_gap (self->detector, g_value_get_uint (value));
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_FALLBACK:
      saoma_scan_capture_set_fallback (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_scan_capture_class_init (SaomaScanCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_scan_capture_dispose;
  object_class->finalize = saoma_scan_capture_finalize;
  object_class->get_property = saoma_scan_capture_get_property;
  object_class->set_property = saoma_scan_capture_set_property;

  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GAP] =
    g_param_spec_uint ("gap", NULL, NULL, 1, 1000, SAOMA_SCAN_DEFAULT_GAP_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FALLBACK] =
    g_param_spec_object ("fallback", NULL, NULL, GTK_TYPE_EDITABLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SCANNED] =
    g_signal_new ("scanned", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
saoma_scan_capture_init (SaomaScanCapture *self)
{
  self->enabled = TRUE;
  self->detector = saoma_scan_detector_new (SAOMA_SCAN_DEFAULT_GAP_MS);
}

/**
 * saoma_scan_capture_new:
 * @window: the window whose keys are watched
 *
 * Returns: (transfer full): a new capture; it stops working when @window is gone
 */
SaomaScanCapture *
saoma_scan_capture_new (GtkWindow *window)
{
  SaomaScanCapture *self;
  GtkEventController *controller;

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);

  self = g_object_new (SAOMA_TYPE_SCAN_CAPTURE, NULL);
  g_set_weak_pointer (&self->window, window);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (window), controller);

  return self;
}

void
saoma_scan_capture_set_enabled (SaomaScanCapture *self,
                                gboolean          enabled)
{
  g_return_if_fail (SAOMA_IS_SCAN_CAPTURE (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  if (!enabled)
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      saoma_scan_detector_flush (self->detector);
      deliver_typed (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

gboolean
saoma_scan_capture_get_enabled (SaomaScanCapture *self)
{
  g_return_val_if_fail (SAOMA_IS_SCAN_CAPTURE (self), FALSE);

  return self->enabled;
}

void
saoma_scan_capture_set_fallback (SaomaScanCapture *self,
                                 GtkEditable      *fallback)
{
  g_return_if_fail (SAOMA_IS_SCAN_CAPTURE (self));
  g_return_if_fail (fallback == NULL || GTK_IS_EDITABLE (fallback));

  if (self->fallback == fallback)
    return;
  g_set_weak_pointer (&self->fallback, fallback);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FALLBACK]);
}

/**
 * saoma_scan_capture_new_preferences_group:
 * @settings: the app's settings
 *
 * Returns: (transfer floating): an #AdwPreferencesGroup with the scan-gap row
 */
GtkWidget *
saoma_scan_capture_new_preferences_group (GSettings *settings)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (10, 500, 5);

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Barcode Scanner"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("For payment codes: a USB scanner in keyboard mode, US layout, no prefix, Enter after the code."));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Largest gap between keys"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Milliseconds; faster digits ending in Enter are a scanned code. Raise it for a slow scanner."));
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  g_settings_bind (settings, "scan-gap", gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (spin)),
                   "value", G_SETTINGS_BIND_DEFAULT);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

  return group;
}
