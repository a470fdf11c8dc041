/* test-preferences.c: Preferences → Merchant in the real application, in-process, against its
 * demo wxpay-sim (v3 keys included), in English and Chinese: the v2 and v3 groups follow "API
 * version"; "Test connection" with the demo merchant's v3 credentials says connected; with a
 * wrong WeChat Pay public key id, a wrong serial or a key file that is not RSA it names that
 * part, in the window's language. Screenshots of each (tests/app/screenshots). */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "core/saoma-checkout.h"
#include "saoma-application.h"
#include "saoma-preferences-window.h"
#include "saoma-settings-types.h"
#include "saoma-window.h"

static char *shots;
static char *tmp;

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    guint _id = g_timeout_add_seconds (60, timeout_cb, (gpointer) #cond);       \
    while (!(cond))                                                             \
      g_main_context_iteration (NULL, TRUE);                                    \
    g_source_remove (_id);                                                      \
  } G_STMT_END

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *png = g_strdup_printf ("%s/%s-%s.png", shots, name, g_getenv ("LANGUAGE"));
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, png));
  g_test_message ("screenshot: %s", png);
}

/* Scrolls the Merchant page to its end (its groups are taller than the screen). */
static void
scroll_to_end (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_SCROLLED_WINDOW (c) && gtk_widget_get_mapped (c))
        {
          GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (c));

          gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
        }
      scroll_to_end (c);
    }
}

static GtkWidget *
child (SaomaPreferencesWindow *prefs,
       const char             *id)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (prefs),
                                                   SAOMA_TYPE_PREFERENCES_WINDOW, id);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

/* Presses Test and waits for what it says. */
static const char *
test_connection (SaomaPreferencesWindow *prefs)
{
  saoma_preferences_window_test_connection (prefs);
  WAIT_FOR (saoma_preferences_window_get_test_message (prefs) != NULL);
  spin (300);
  scroll_to_end (GTK_WIDGET (prefs));
  spin (300);
  g_test_message ("Test connection: %s", saoma_preferences_window_get_test_message (prefs));
  return saoma_preferences_window_get_test_message (prefs);
}

static void
run_flow (void)
{
  g_autoptr(SaomaApplication) app = saoma_application_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaMerchant) demo = NULL;
  g_autofree char *ec_key = NULL;
  SaomaPreferencesWindow *prefs;
  GSettings *settings;
  GtkWindow *window;
  const char *said;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR (saoma_application_get_checkout (app) != NULL);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  settings = saoma_application_get_settings (app);

  /* The demo speaks v3 by default. */
  g_assert_cmpint (g_settings_get_enum (settings, "demo-api-version"), ==, SAOMA_API_VERSION_V3);
  demo = saoma_application_dup_demo_merchant (app);
  g_assert_nonnull (demo);
  g_assert_cmpstr (demo->protocol, ==, "v3");

  prefs = saoma_preferences_window_new (app);
  gtk_window_set_transient_for (GTK_WINDOW (prefs), window);
  gtk_window_set_default_size (GTK_WINDOW (prefs), 680, 1180);
  gtk_window_present (GTK_WINDOW (prefs));
  spin (500);

  /* v2 (the default for a merchant): the v2 group only. */
  g_assert_true (gtk_widget_get_visible (child (prefs, "v2_group")));
  g_assert_false (gtk_widget_get_visible (child (prefs, "v3_group")));
  /* No client certificate: the row says what needs one, payment codes included (issue 13). */
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (child (prefs, "cert_row"))), ==,
                   _("None — needed for refunds and for payment codes (to reverse one whose outcome is unknown)"));
  screenshot (GTK_WIDGET (prefs), "preferences-merchant-v2");

  /* v3, filled in as a shop would from its merchant platform files (here: the demo's). */
  g_settings_set_string (settings, "appid", demo->appid);
  g_settings_set_string (settings, "mch-id", demo->mch_id);
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (prefs, "api_version_row")),
                              SAOMA_API_VERSION_V3);
  g_assert_cmpint (g_settings_get_enum (settings, "api-version"), ==, SAOMA_API_VERSION_V3);
  g_assert_false (gtk_widget_get_visible (child (prefs, "v2_group")));
  g_assert_true (gtk_widget_get_visible (child (prefs, "v3_group")));
  g_settings_set_string (settings, "mch-private-key-path", demo->mch_private_key_path);
  g_settings_set_string (settings, "wechatpay-public-key-path", demo->wechatpay_public_key_path);
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "serial_row")), demo->mch_serial);
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "public_key_id_row")),
                         demo->wechatpay_public_key_id);
  g_assert_cmpstr (g_settings_get_string (settings, "mch-serial"), ==, demo->mch_serial);
  /* Typed, not saved: Test uses it as typed. */
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "apiv3_key_row")), demo->apiv3_key);
  g_settings_set_string (settings, "custom-gateway-url", demo->base_uri);
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (prefs, "gateway_row")),
                              SAOMA_GATEWAY_MODE_CUSTOM);
  g_assert_cmpint (g_settings_get_enum (settings, "gateway-mode"), ==, SAOMA_GATEWAY_MODE_CUSTOM);

  said = test_connection (prefs);
  g_assert_cmpstr (said, ==,
                   _("Connected: WeChat Pay accepted our signature and its answer verified."));
  screenshot (GTK_WIDGET (prefs), "preferences-merchant-v3-connected");

  /* Saved (Enter in the APIv3 key row): the key goes to the keyring and the till leaves demo
   * mode for this v3 merchant, and charges through it. */
  g_signal_emit_by_name (child (prefs, "apiv3_key_row"), "apply");
  /* Stored: the row is emptied (the key now lives only in the keyring). */
  WAIT_FOR (gtk_editable_get_text (GTK_EDITABLE (child (prefs, "apiv3_key_row")))[0] == '\0');
  WAIT_FOR (!saoma_application_get_demo (app) && saoma_application_get_checkout (app) != NULL &&
            g_str_equal (G_OBJECT_TYPE_NAME (saoma_checkout_get_gateway (
                           saoma_application_get_checkout (app))), "SaomaWxpay3Gateway"));
  {
    SaomaCheckout *checkout = saoma_application_get_checkout (app);

    g_assert_true (saoma_checkout_charge (checkout, 123, "v3", &error));
    g_assert_no_error (error);
    WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
    saoma_checkout_cancel (checkout);
  }
  /* The stored key serves Test too (nothing typed). */
  g_assert_cmpstr (test_connection (prefs), ==,
                   _("Connected: WeChat Pay accepted our signature and its answer verified."));

  /* A wrong WeChat Pay public key id: marked while typed, and named by the test. */
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "public_key_id_row")),
                         "PUB_KEY_ID_0000000000000000000000000000000000");
  said = test_connection (prefs);
  g_assert_cmpstr (said, ==,
                   _("WeChat Pay signed its answer with another key: the WeChat Pay public key ID is wrong."));
  screenshot (GTK_WIDGET (prefs), "preferences-merchant-v3-wrong-id");
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "public_key_id_row")), "KEY_1");
  g_assert_true (gtk_widget_has_css_class (child (prefs, "public_key_id_row"), "error"));
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "public_key_id_row")),
                         demo->wechatpay_public_key_id);
  g_assert_false (gtk_widget_has_css_class (child (prefs, "public_key_id_row"), "error"));

  /* Another serial: WeChat Pay refuses our signature. */
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "serial_row")),
                         "0123456789ABCDEF0123456789ABCDEF01234567");
  said = test_connection (prefs);
  g_assert_cmpstr (said, ==,
                   _("WeChat Pay refused our signature: the merchant private key, its certificate serial number or the merchant number is wrong."));
  screenshot (GTK_WIDGET (prefs), "preferences-merchant-v3-wrong-serial");
  gtk_editable_set_text (GTK_EDITABLE (child (prefs, "serial_row")), demo->mch_serial);

  /* A key file that is not a key: its row says so, and so does the test. */
  ec_key = g_build_filename (tmp, "not-a-key.pem", NULL);
  g_assert_true (g_file_set_contents (ec_key, "-----BEGIN EC PRIVATE KEY-----\n", -1, NULL));
  g_settings_set_string (settings, "mch-private-key-path", ec_key);
  said = test_connection (prefs);
  g_assert_true (g_str_has_prefix (said, "“not-a-key.pem”"));
  g_settings_set_string (settings, "mch-private-key-path", demo->mch_private_key_path);
  g_assert_cmpstr (test_connection (prefs), ==,
                   _("Connected: WeChat Pay accepted our signature and its answer verified."));

  /* Platform certificates: offered and tried; this merchant (the demo's) has a public key
   * only, so WeChat Pay has no certificates for it, and the test says so. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (prefs, "verification_row")),
                              SAOMA_WXPAY3_VERIFICATION_PLATFORM_CERTIFICATES);
  g_assert_false (gtk_widget_get_visible (child (prefs, "public_key_row")));
  {
    const char *subtitle =
      adw_action_row_get_subtitle (ADW_ACTION_ROW (child (prefs, "verification_row")));

    /* Nothing left of "not available in this version". */
    g_assert_true (subtitle == NULL || subtitle[0] == '\0');
  }
  said = test_connection (prefs);
  g_assert_true (strstr (said, _("Platform certificates")) != NULL);
  g_assert_cmpstr (said, ==,
                   _("Platform certificates: WeChat Pay has none for this merchant, which verifies with the WeChat Pay public key (微信支付公钥): choose it and give pub_key.pem and its ID."));
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (prefs, "verification_row")),
                              SAOMA_WXPAY3_VERIFICATION_PUBLIC_KEY);

  gtk_window_destroy (GTK_WINDOW (prefs));
  spin (200);
  gtk_window_destroy (window);
}

static void
test_english (void)
{
  if (g_test_subprocess ())
    {
      /* A broken key file, once the merchant is live, is warned about by the application. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      run_flow ();
      return;
    }
  g_setenv ("LANGUAGE", "en", TRUE);
  g_test_trap_subprocess (NULL, 180 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR | G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

static void
test_chinese (void)
{
  if (g_test_subprocess ())
    {
      /* A broken key file, once the merchant is live, is warned about by the application. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      run_flow ();
      return;
    }
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_test_trap_subprocess (NULL, 180 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR | G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data = NULL;
  g_autofree char *podir = NULL;
  g_autofree char *keyring = NULL;
  int ret;

  g_setenv ("LANG", "C.UTF-8", TRUE);
  g_unsetenv ("LC_ALL");
  setlocale (LC_ALL, "");
  podir = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, podir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The language subprocesses share the parent's directory (removed by the parent only). */
  if (g_getenv ("SAOMA_TEST_PREFERENCES_DIR") != NULL)
    tmp = g_strdup (g_getenv ("SAOMA_TEST_PREFERENCES_DIR"));
  else
    tmp = g_dir_make_tmp ("saoma-test-preferences-XXXXXX", NULL);
  g_setenv ("SAOMA_TEST_PREFERENCES_DIR", tmp, TRUE);
  data = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  keyring = g_build_filename (tmp, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  g_setenv ("XDG_RUNTIME_DIR", tmp, TRUE);
  shots = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "tests", "app", "screenshots", NULL);
  g_mkdir_with_parents (shots, 0755);

  g_test_init (&argc, &argv, NULL);
  if (!g_test_subprocess () && g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }
  if (g_test_subprocess () && !gtk_init_check ())
    g_error ("no display");

  g_test_add_func ("/preferences/english", test_english);
  g_test_add_func ("/preferences/chinese", test_chinese);
  ret = g_test_run ();

  if (!g_test_subprocess ())
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);

      g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
    }
  return ret;
}
