/* saoma-qr-view.c: a QR code drawn with crisp, integer-sized modules.
 *
 * Copyright 2026 The Saoma authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-qr-view"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "saoma-app-private.h"
#include "saoma-qr-view.h"

/* A payment code_url ("weixin://wxpay/bizpayurl?pr=…") is a version 3 code: reserve its size
 * while there is none, so a layout does not jump when the code appears. */
#define PLACEHOLDER_MODULES 29
#define MIN_MODULE_PX       4
#define NATURAL_MODULE_PX   8

struct _SaomaQrView
{
  GtkWidget      parent_instance;

  char          *text;
  /* One byte per module, row-major, 1 = dark; NULL when there is no code. Copied out of the
   * QRcode so that snapshot() never touches libqrencode. */
  guint8        *modules;
  guint          n_modules;

  /* The last drawing, reused while the allocation and scale stay the same. */
  GdkTexture    *cache;
  int            cache_x;         /* where it goes, in device pixels */
  int            cache_y;
  int            cache_width;
  int            cache_height;
  int            cache_scale;
};

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaQrView, saoma_qr_view, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

/* The last code encoded, for the next view that shows it: the cashier window and the customer
 * display show the same code, and it is encoded once (issue 19). Main thread only, as the
 * views are. */
static struct
{
  char   *text;
  guint8 *modules;
  guint   n_modules;
} last_code;

static gboolean
encode (const char *text,
        guint8    **out_modules,
        guint      *out_n_modules)
{
  g_autoptr(QRcode) code = NULL;
  guint n;
  guint8 *modules;

  if (g_strcmp0 (last_code.text, text) == 0)
    {
      *out_modules = g_memdup2 (last_code.modules,
                                (gsize) last_code.n_modules * last_code.n_modules);
      *out_n_modules = last_code.n_modules;
      return TRUE;
    }

  /* Version 0: the smallest that fits. Case-sensitive 8-bit keeps the URL byte for byte. */
  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      int saved_errno = errno;

      g_warning ("Cannot encode a QR code of %zu bytes: %s",
                 strlen (text), g_strerror (saved_errno));
      return FALSE;
    }

  n = (guint) code->width;
  modules = g_malloc (n * n);
  for (guint i = 0; i < n * n; i++)
    modules[i] = code->data[i] & 1;

  g_free (last_code.text);
  g_free (last_code.modules);
  last_code.text = g_strdup (text);
  last_code.modules = g_memdup2 (modules, (gsize) n * n);
  last_code.n_modules = n;

  *out_modules = modules;
  *out_n_modules = n;

  return TRUE;
}

static guint
layout_modules (SaomaQrView *self)
{
  return (self->n_modules > 0 ? self->n_modules : PLACEHOLDER_MODULES) +
         2 * SAOMA_QR_VIEW_QUIET_ZONE;
}

/* Draws the code into an image of device pixels, for a widget of @width × @height logical
 * pixels: one texture node to draw, not one rectangle per run of dark modules. Those hundreds
 * of nodes cost the QR's frame about 1.5 ms on this machine's cairo renderer, most of it in
 * GSK walking and clipping them (issue 19); the image is a few hundred rows copied from one
 * row per module row, and it is drawn 1:1, so every module edge stays on a pixel edge.
 *
 * Three bytes a pixel, 0 or 255 each: black and white read the same in any channel order.
 * GTK 4.8 draws a texture on cairo by converting it to cairo's premultiplied ARGB32 each time
 * it is drawn, directly from R8G8B8 but through floats from any ARGB32 format, its own
 * included: that conversion alone took the QR's frame 1 ms. */
static GdkTexture *
build_texture (SaomaQrView *self,
               int          width,
               int          height,
               int          scale,
               int         *out_x,
               int         *out_y)
{
  guint total = self->n_modules + 2 * SAOMA_QR_VIEW_QUIET_ZONE;
  int available = MIN (width, height) * scale;
  gsize module = (gsize) MAX (1, available / (int) total);
  gsize size = module * total;
  gsize stride = size * 3;
  g_autoptr(GBytes) bytes = NULL;
  guchar *pixels;

  pixels = g_malloc (size * stride);
  for (guint my = 0; my < total; my++)
    {
      guchar *row = pixels + my * module * stride;
      guint y = my - SAOMA_QR_VIEW_QUIET_ZONE;

      /* The module row's first pixel row, white, with its dark modules black… */
      memset (row, 0xff, stride);
      if (my >= SAOMA_QR_VIEW_QUIET_ZONE && y < self->n_modules)
        for (guint x = 0; x < self->n_modules; x++)
          if (self->modules[y * self->n_modules + x])
            memset (row + (x + SAOMA_QR_VIEW_QUIET_ZONE) * module * 3, 0, module * 3);

      /* … copied down to the module's other pixel rows. */
      for (gsize r = 1; r < module; r++)
        memcpy (row + r * stride, row, stride);
    }

  /* Centred, but on whole device pixels: a half pixel would blur every module edge. */
  *out_x = (width * scale - (int) size) / 2;
  *out_y = (height * scale - (int) size) / 2;
  bytes = g_bytes_new_take (pixels, size * stride);
  return gdk_memory_texture_new ((int) size, (int) size, GDK_MEMORY_R8G8B8, bytes, stride);
}

static void
saoma_qr_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  SaomaQrView *self = SAOMA_QR_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);

  if (self->modules == NULL || width <= 0 || height <= 0)
    return;

  if (self->cache == NULL ||
      self->cache_width != width ||
      self->cache_height != height ||
      self->cache_scale != scale)
    {
      g_clear_object (&self->cache);
      self->cache = build_texture (self, width, height, scale, &self->cache_x, &self->cache_y);
      self->cache_width = width;
      self->cache_height = height;
      self->cache_scale = scale;
    }

  gtk_snapshot_save (snapshot);
  gtk_snapshot_scale (snapshot, 1.f / scale, 1.f / scale);
  gtk_snapshot_append_texture (snapshot, self->cache,
                               &GRAPHENE_RECT_INIT (self->cache_x, self->cache_y,
                                                    gdk_texture_get_width (self->cache),
                                                    gdk_texture_get_height (self->cache)));
  gtk_snapshot_restore (snapshot);
}

static void
saoma_qr_view_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  guint total = layout_modules (SAOMA_QR_VIEW (widget));

  *minimum = (int) total * MIN_MODULE_PX;
  *natural = (int) total * NATURAL_MODULE_PX;
}

static void
saoma_qr_view_finalize (GObject *object)
{
  SaomaQrView *self = SAOMA_QR_VIEW (object);

  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->modules, g_free);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (saoma_qr_view_parent_class)->finalize (object);
}

static void
saoma_qr_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SaomaQrView *self = SAOMA_QR_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_qr_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SaomaQrView *self = SAOMA_QR_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      saoma_qr_view_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_qr_view_class_init (SaomaQrViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = saoma_qr_view_finalize;
  object_class->get_property = saoma_qr_view_get_property;
  object_class->set_property = saoma_qr_view_set_property;

  widget_class->snapshot = saoma_qr_view_snapshot;
  widget_class->measure = saoma_qr_view_measure;

  /**
   * SaomaQrView:text:
   *
   * The encoded payload; %NULL or empty for no code.
   */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "saomaqrview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
saoma_qr_view_init (SaomaQrView *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("QR code for payment"),
                                  -1);
}

/**
 * saoma_qr_view_new:
 *
 * Returns: (transfer floating): a view showing no code
 */
GtkWidget *
saoma_qr_view_new (void)
{
  return g_object_new (SAOMA_TYPE_QR_VIEW, NULL);
}

/**
 * saoma_qr_view_get_text:
 *
 * Returns: (nullable): the encoded payload
 */
const char *
saoma_qr_view_get_text (SaomaQrView *self)
{
  g_return_val_if_fail (SAOMA_IS_QR_VIEW (self), NULL);

  return self->text;
}

/**
 * saoma_qr_view_set_text:
 * @text: (nullable): the payload, or %NULL / "" for none
 *
 * Encodes @text now, so drawing never has to.
 */
void
saoma_qr_view_set_text (SaomaQrView *self,
                        const char  *text)
{
  guint8 *modules = NULL;
  guint n_modules = 0;
  guint old_total;

  g_return_if_fail (SAOMA_IS_QR_VIEW (self));

  if (text != NULL && text[0] == '\0')
    text = NULL;

  if (g_strcmp0 (self->text, text) == 0)
    return;

  if (text != NULL && !encode (text, &modules, &n_modules))
    {
      modules = NULL;
      n_modules = 0;
    }

  old_total = layout_modules (self);

  g_free (self->text);
  self->text = g_strdup (text);
  g_free (self->modules);
  self->modules = modules;
  self->n_modules = n_modules;
  g_clear_object (&self->cache);

  if (layout_modules (self) != old_total)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

guint
saoma_qr_view_get_module_count (SaomaQrView *self)
{
  g_return_val_if_fail (SAOMA_IS_QR_VIEW (self), 0);

  return self->n_modules;
}
