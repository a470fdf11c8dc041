/* test-qr-view.c: SaomaQrView draws a code that decodes, on whole pixels, in any theme. */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "saoma-qr-view.h"

#define SHORT_URL "weixin://wxpay/bizpayurl?pr=Ab3dEf9"
#define LONG_URL  "https://pay.example.com/native/checkout?out_trade_no=T01-20261127-000123" \
                  "&total_fee=3850&body=Saoma%20Demo%20Store&nonce=Zx81QpL0aB3cD4eF5gH6iJ7kL8" \
                  "&sign=9A0A8659F005D6984697E2CA0A9CF3B7&Case=MiXeD"

static gboolean have_display;

typedef struct {
  GtkWindow   *window;
  SaomaQrView *view;
  char        *tmpdir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (!have_display)
    return;

  fixture->tmpdir = g_dir_make_tmp ("saoma-qr-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->window = GTK_WINDOW (gtk_window_new ());
  fixture->view = SAOMA_QR_VIEW (saoma_qr_view_new ());
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->view));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (!have_display)
    return;

  gtk_window_destroy (fixture->window);
  if (g_getenv ("SAOMA_TEST_KEEP") == NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (fixture->tmpdir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (fixture->tmpdir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (fixture->tmpdir);
    }
  g_free (fixture->tmpdir);
}

static gboolean
skip_without_display (void)
{
  if (!have_display)
    g_test_skip ("no display");
  return !have_display;
}

/* Shows the window at @width × @height and waits until the view has that allocation. */
static void
show_at (Fixture *fixture,
         int      width,
         int      height)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  gtk_window_set_default_size (fixture->window, width, height);
  gtk_window_present (fixture->window);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));

  while (gtk_widget_get_width (GTK_WIDGET (fixture->view)) != width ||
         gtk_widget_get_height (GTK_WIDGET (fixture->view)) != height)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the view is %d×%d, not %d×%d",
                 gtk_widget_get_width (GTK_WIDGET (fixture->view)),
                 gtk_widget_get_height (GTK_WIDGET (fixture->view)), width, height);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
}

/* The view alone, over a mid-grey backdrop (so a missing quiet zone cannot pass for white). */
static GdkTexture *
render (Fixture *fixture)
{
  GtkWidget *widget = GTK_WIDGET (fixture->view);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { .5f, .5f, .5f, 1.f },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));

  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static char *
decode (Fixture    *fixture,
        GdkTexture *texture,
        const char *name)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, name, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "zbarimg", "-q", "--raw", "--nodbus", path, NULL };
  int status;

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    return NULL;
  /* --raw ends the symbol with one newline. */
  if (g_str_has_suffix (out, "\n"))
    out[strlen (out) - 1] = '\0';

  return g_steal_pointer (&out);
}

/* Every module is a square of whole pixels at the position the formula gives, pure black or
 * pure white, inside a white quiet zone; nothing is drawn outside the code. */
static void
assert_integer_modules (SaomaQrView *view,
                        GdkTexture  *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  guint n = saoma_qr_view_get_module_count (view);
  int total = (int) n + 2 * SAOMA_QR_VIEW_QUIET_ZONE;
  int module = MAX (1, MIN (width, height) / total);
  int size = module * total;
  int ox = (width - size) / 2;
  int oy = (height - size) / 2;
  gsize stride = (gsize) width * 4;
  g_autofree guchar *pixels = g_malloc (stride * height);

  g_assert_cmpuint (n, >=, 21);
  gdk_texture_download (texture, pixels, stride);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guchar *p = pixels + y * stride + x * 4;
        gboolean inside = x >= ox && x < ox + size && y >= oy && y < oy + size;

        if (!inside)
          {
            /* The grey backdrop shows through. */
            g_assert_cmpint (p[0], ==, 0x80);
            g_assert_cmpint (p[1], ==, 0x80);
            g_assert_cmpint (p[2], ==, 0x80);
            continue;
          }
        else
          {
            int mx = (x - ox) / module - SAOMA_QR_VIEW_QUIET_ZONE;
            int my = (y - oy) / module - SAOMA_QR_VIEW_QUIET_ZONE;
            /* The module's first pixel decides; each pixel of the module must match it. */
            const guchar *first = pixels + (oy + (my + SAOMA_QR_VIEW_QUIET_ZONE) * module) * stride
                                  + (ox + (mx + SAOMA_QR_VIEW_QUIET_ZONE) * module) * 4;

            g_assert_true (p[3] == 0xff);
            g_assert_true ((p[0] == 0 && p[1] == 0 && p[2] == 0) ||
                           (p[0] == 0xff && p[1] == 0xff && p[2] == 0xff));
            g_assert_true (memcmp (p, first, 4) == 0);

            if (mx < 0 || my < 0 || mx >= (int) n || my >= (int) n)
              g_assert_cmpint (p[0], ==, 0xff);   /* quiet zone */
            else if (mx < 7 && my < 7)
              {
                /* The top-left finder pattern: a dark ring, a light ring, a dark 3×3 centre. */
                gboolean ring = mx == 0 || my == 0 || mx == 6 || my == 6;
                gboolean centre = mx >= 2 && mx <= 4 && my >= 2 && my <= 4;

                g_assert_cmpint (p[0], ==, (ring || centre) ? 0 : 0xff);
              }
          }
      }
}

static void
check_at_sizes (Fixture    *fixture,
                const char *text,
                const char *tag)
{
  static const struct { int width, height; } sizes[] = {
    { 120, 120 }, { 200, 150 }, { 333, 333 }, { 257, 411 }, { 640, 480 },
  };

  saoma_qr_view_set_text (fixture->view, text);
  g_assert_cmpstr (saoma_qr_view_get_text (fixture->view), ==, text);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GdkTexture) texture = NULL;
      g_autofree char *name = g_strdup_printf ("%s-%dx%d.png", tag, sizes[i].width,
                                               sizes[i].height);
      g_autofree char *decoded = NULL;
      int minimum;

      /* A window cannot be smaller than the view's minimum. */
      gtk_widget_measure (GTK_WIDGET (fixture->view), GTK_ORIENTATION_HORIZONTAL, -1,
                          &minimum, NULL, NULL, NULL);
      if (MIN (sizes[i].width, sizes[i].height) < minimum)
        continue;

      show_at (fixture, sizes[i].width, sizes[i].height);
      texture = render (fixture);
      assert_integer_modules (fixture->view, texture);
      decoded = decode (fixture, texture, name);
      g_test_message ("%s at %dx%d: %s", tag, sizes[i].width, sizes[i].height, decoded);
      g_assert_cmpstr (decoded, ==, text);
    }
}

static void
test_decodes_short (Fixture       *fixture,
                    gconstpointer  data)
{
  if (skip_without_display ())
    return;
  check_at_sizes (fixture, SHORT_URL, "short");
}

static void
test_decodes_long (Fixture       *fixture,
                   gconstpointer  data)
{
  if (skip_without_display ())
    return;
  check_at_sizes (fixture, LONG_URL, "long");
}

static void
test_dark_theme (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GtkCssProvider) css = NULL;
  GtkSettings *settings;

  if (skip_without_display ())
    return;

  settings = gtk_settings_get_default ();
  g_object_set (settings, "gtk-application-prefer-dark-theme", TRUE, NULL);
  /* A hostile theme: light text on black everywhere must not leak into the code. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (css,
                                   "window { background: black; color: white; }"
                                   "saomaqrview { color: white; }",
                                   -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_USER);

  check_at_sizes (fixture, SHORT_URL, "dark");

  gtk_style_context_remove_provider_for_display (gdk_display_get_default (),
                                                 GTK_STYLE_PROVIDER (css));
  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = NULL;
  guint notified = 0;
  int minimum, natural;
  int empty_minimum;
  gsize stride;
  g_autofree guchar *pixels = NULL;

  if (skip_without_display ())
    return;

  g_signal_connect (fixture->view, "notify::text", G_CALLBACK (count_notify_cb), &notified);

  gtk_widget_measure (GTK_WIDGET (fixture->view), GTK_ORIENTATION_HORIZONTAL, -1,
                      &empty_minimum, &natural, NULL, NULL);
  g_assert_cmpint (empty_minimum, >, 0);
  g_assert_cmpint (natural, >=, empty_minimum);

  saoma_qr_view_set_text (fixture->view, SHORT_URL);
  saoma_qr_view_set_text (fixture->view, SHORT_URL);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (saoma_qr_view_get_module_count (fixture->view), >=, 21);
  gtk_widget_measure (GTK_WIDGET (fixture->view), GTK_ORIENTATION_VERTICAL, -1,
                      &minimum, &natural, NULL, NULL);
  /* At least 4 px per module with the quiet zone. */
  g_assert_cmpint (minimum, >=,
                   4 * ((int) saoma_qr_view_get_module_count (fixture->view) + 8));

  /* "" is no code, like NULL: nothing is drawn, the size is kept for the next code. */
  saoma_qr_view_set_text (fixture->view, "");
  g_assert_cmpuint (notified, ==, 2);
  g_assert_null (saoma_qr_view_get_text (fixture->view));
  g_assert_cmpuint (saoma_qr_view_get_module_count (fixture->view), ==, 0);
  gtk_widget_measure (GTK_WIDGET (fixture->view), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, ==, empty_minimum);
  saoma_qr_view_set_text (fixture->view, NULL);
  g_assert_cmpuint (notified, ==, 2);

  show_at (fixture, 200, 200);
  texture = render (fixture);
  stride = 200 * 4;
  pixels = g_malloc (stride * 200);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 0; i < stride * 200; i += 4)
    g_assert_cmpint (pixels[i], ==, 0x80);

  /* The property is the same value. */
  g_object_set (fixture->view, "text", SHORT_URL, NULL);
  g_assert_cmpuint (notified, ==, 3);
  g_assert_cmpstr (saoma_qr_view_get_text (fixture->view), ==, SHORT_URL);
}

static void
test_accessible (Fixture       *fixture,
                 gconstpointer  data)
{
  if (skip_without_display ())
    return;

  gtk_test_accessible_assert_role (fixture->view, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_property (fixture->view, GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "QR code for payment");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* English strings, whatever the caller's locale. */
  g_setenv ("LANGUAGE", "C", TRUE);
  have_display = gtk_init_check ();

  g_test_add ("/qr-view/decodes-short", Fixture, NULL,
              fixture_set_up, test_decodes_short, fixture_tear_down);
  g_test_add ("/qr-view/decodes-long", Fixture, NULL,
              fixture_set_up, test_decodes_long, fixture_tear_down);
  g_test_add ("/qr-view/dark-theme", Fixture, NULL,
              fixture_set_up, test_dark_theme, fixture_tear_down);
  g_test_add ("/qr-view/empty", Fixture, NULL,
              fixture_set_up, test_empty, fixture_tear_down);
  g_test_add ("/qr-view/accessible", Fixture, NULL,
              fixture_set_up, test_accessible, fixture_tear_down);

  return g_test_run ();
}
