/* test-customer-display.c: the customer display on a real two-monitor X server.
 *
 * Runs inside build-aux/dual-head/run-dual-head.sh (Xorg with the dummy driver: DUMMY0 at 0,0
 * and DUMMY1 at 1920,0, openbox), through test-customer-display.sh. The engine is the real
 * SaomaCheckout against an in-process WxpaySimServer on 127.0.0.1 with a real SQLite ledger;
 * the clock is manual, so polling and expiry happen exactly when the test says. Every state is
 * photographed from the X server (import -window root) and the code is read back with zbarimg.
 */
#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "core/saoma-checkout.h"
#include "core/saoma-money.h"
#include "core/saoma-wxpay2-gateway.h"
#include "ledger/saoma-ledger.h"
#include "wxpay-sim-server.h"

#include "saoma-customer-display.h"
#include "saoma-customer-display-preferences.h"
#include "saoma-qr-view.h"
#include "saoma-resources.h"

/* GNU gettext: bumped to make a changed LANGUAGE take effect in a running process. */
extern int _nl_msg_cat_cntr;

#define WAIT_S 15

static WxpaySimServer *sim;
static SaomaLedger *ledger;
static SaomaClock *clock_;
static SaomaCheckout *checkout;
static GSettings *settings;
static GtkWindow *cashier;
static char *tmpdir;
static char *shotdir;

/* Helpers */

#define assert_setting(key, expected)                                   \
  G_STMT_START {                                                        \
    g_autofree char *value_ = g_settings_get_string (settings, (key)); \
    g_assert_cmpstr (value_, ==, (expected));                           \
  } G_STMT_END

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

typedef gboolean (*Condition) (gpointer data);

static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
run (const char *command_line,
     int        *out_status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_command_line_sync (command_line, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (out_status != NULL)
    *out_status = status;
  else if (!g_spawn_check_wait_status (status, NULL))
    g_error ("“%s” failed: %s", command_line, err);

  return g_steal_pointer (&out);
}

static void
xrandr (const char *args)
{
  g_autofree char *line = g_strdup_printf ("xrandr %s", args);
  g_autofree char *out = run (line, NULL);
  /* The dummy driver reports an output as connected only after a full re-probe (GTK never
   * probes): one query makes the change visible to GTK. */
  g_autofree char *query = run ("xrandr --query", NULL);
}

/* The window as the X server has it: position and size on the root window. */
static GdkRectangle
x_geometry (GtkWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_autofree char *line = g_strdup_printf ("xwininfo -id %lu",
                                           (gulong) gdk_x11_surface_get_xid (surface));
  g_autofree char *out = run (line, NULL);
  GdkRectangle rect = { 0, };
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = g_strstrip (lines[i]);

      if (g_str_has_prefix (l, "Absolute upper-left X:"))
        rect.x = atoi (l + strlen ("Absolute upper-left X:"));
      else if (g_str_has_prefix (l, "Absolute upper-left Y:"))
        rect.y = atoi (l + strlen ("Absolute upper-left Y:"));
      else if (g_str_has_prefix (l, "Width:"))
        rect.width = atoi (l + strlen ("Width:"));
      else if (g_str_has_prefix (l, "Height:"))
        rect.height = atoi (l + strlen ("Height:"));
    }

  return rect;
}

/* Photographs @geometry ("WxH+X+Y") of the root window into screenshots/display-NAME.png. */
static char *screenshot (const char *geometry,
                         const char *name_format,
                         ...) G_GNUC_PRINTF (2, 3);

static char *
screenshot (const char *geometry,
            const char *name_format,
            ...)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, name_format);
  name = g_strdup_vprintf (name_format, args);
  va_end (args);
  path = g_strdup_printf ("%s/display-%s.png", shotdir, name);
  {
    g_autofree char *line = g_strdup_printf ("import -window root -crop %s +repage %s",
                                             geometry, path);
    g_autofree char *out = run (line, NULL);
  }

  g_test_message ("screenshot %s", path);
  return g_steal_pointer (&path);
}

/* The code in @path, or NULL when zbarimg finds none. */
static char *
decode (const char *path)
{
  g_autofree char *line = g_strdup_printf ("zbarimg -q --raw --nodbus %s", path);
  int status;
  g_autofree char *out = run (line, &status);

  if (!g_spawn_check_wait_status (status, NULL) || out == NULL || out[0] == '\0')
    return NULL;
  g_strchomp (out);
  return g_steal_pointer (&out);
}

/* Whether any label in the window, shown or not, contains @needle. */
static gboolean
any_label_contains (GtkWidget  *widget,
                    const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (any_label_contains (child, needle))
      return TRUE;

  return FALSE;
}

static SaomaQrView *
find_qr_view (GtkWidget *widget)
{
  if (SAOMA_IS_QR_VIEW (widget))
    return SAOMA_QR_VIEW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      SaomaQrView *found = find_qr_view (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Conditions */

typedef struct {
  SaomaCustomerDisplay *display;
  const char           *page;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *wait = data;
  GtkStack *stack = GTK_STACK (gtk_window_get_child (GTK_WINDOW (wait->display)));

  return g_strcmp0 (saoma_customer_display_get_page (wait->display), wait->page) == 0 &&
         !gtk_stack_get_transition_running (stack);
}

/* Waits for @page, settled and painted. */
static void
wait_page (SaomaCustomerDisplay *display,
           const char           *page)
{
  PageWait wait = { display, page };
  g_autofree char *what = g_strdup_printf ("the “%s” page", page);

  wait_until (page_shown, &wait, what);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (display));
  iterate_for (150);
}

static gboolean
checkout_state_is (gpointer data)
{
  return saoma_checkout_get_state (checkout) == GPOINTER_TO_INT (data);
}

static void
wait_state (SaomaCheckoutState state)
{
  g_autofree char *what = g_strdup_printf ("checkout state %d (now %d)", state,
                                           saoma_checkout_get_state (checkout));

  wait_until (checkout_state_is, GINT_TO_POINTER (state), what);
}

static gboolean
checkout_gave_up (gpointer data)
{
  SaomaCheckoutState state = saoma_checkout_get_state (checkout);

  return state == SAOMA_CHECKOUT_CLOSING || state == SAOMA_CHECKOUT_CLOSED;
}

static gboolean
checkout_quiet (gpointer data)
{
  return saoma_checkout_get_pending_operations (checkout) == 0;
}

/* Moves the manual clock (engine polls and timers), then lets the requests finish. */
static void
advance (gint64 seconds)
{
  wait_until (checkout_quiet, NULL, "the engine to settle");
  saoma_clock_advance (clock_, seconds * G_USEC_PER_SEC);
  wait_until (checkout_quiet, NULL, "the engine to settle");
}

static void
move_cashier (int x,
              int y)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (cashier));
  g_autofree char *line = g_strdup_printf ("xdotool windowmove %lu %d %d",
                                           (gulong) gdk_x11_surface_get_xid (surface), x, y);

  g_free (run (line, NULL));
}

static gboolean
display_on_connector (gpointer data)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gboolean found = FALSE;

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      GdkMonitor *monitor;

      if (!SAOMA_IS_CUSTOMER_DISPLAY (l->data))
        continue;
      monitor = saoma_customer_display_get_monitor (l->data);
      found = monitor != NULL && g_strcmp0 (gdk_monitor_get_connector (monitor), data) == 0;
    }
  g_list_free (toplevels);

  return found;
}

static gboolean
cashier_active (gpointer data)
{
  return gtk_window_is_active (cashier);
}

static gboolean
display_on_monitor (gpointer data)
{
  SaomaCustomerDisplay *display = data;
  GdkMonitor *monitor = saoma_customer_display_get_monitor (display);
  GdkRectangle geometry;

  if (monitor == NULL || !gtk_widget_get_mapped (GTK_WIDGET (display)) ||
      !gtk_window_is_fullscreen (GTK_WINDOW (display)))
    return FALSE;

  gdk_monitor_get_geometry (monitor, &geometry);
  return gtk_widget_get_width (GTK_WIDGET (display)) == geometry.width &&
         gtk_widget_get_height (GTK_WIDGET (display)) == geometry.height;
}

/* Asserts the display fills DUMMY1 (at 1920,0) as the X server sees it. */
static void
assert_fullscreen_on_second (SaomaCustomerDisplay *display,
                             int                   width,
                             int                   height)
{
  GdkMonitor *monitor;
  GdkRectangle rect;

  wait_until (display_on_monitor, display, "the display to fill its monitor");
  monitor = saoma_customer_display_get_monitor (display);
  g_assert_cmpstr (gdk_monitor_get_connector (monitor), ==, "DUMMY1");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (display));
  iterate_for (200);

  rect = x_geometry (GTK_WINDOW (display));
  g_assert_cmpint (rect.x, ==, 1920);
  g_assert_cmpint (rect.y, ==, 0);
  g_assert_cmpint (rect.width, ==, width);
  g_assert_cmpint (rect.height, ==, height);
}

/* Fixture */

static SaomaCustomerDisplay *
display_new (void)
{
  SaomaCustomerDisplay *display = saoma_customer_display_new (checkout);

  saoma_customer_display_set_cashier_window (display, cashier);
  return display;
}

static void
display_destroy (SaomaCustomerDisplay *display)
{
  gtk_window_destroy (GTK_WINDOW (display));
  iterate_for (100);
}

static void
set_language (const char *language)
{
  g_setenv ("LANGUAGE", language, TRUE);
  ++_nl_msg_cat_cntr;
}

static char *
charge (gint64 amount)
{
  g_autoptr(GError) error = NULL;

  saoma_checkout_reset (checkout);
  g_assert_true (saoma_checkout_charge (checkout, amount, "Saoma test", &error));
  g_assert_no_error (error);

  return g_strdup (saoma_checkout_get_out_trade_no (checkout));
}

/* Tests */

static void
run_flow (const char *language,
          gboolean    bilingual,
          const char *store_name)
{
  SaomaCustomerDisplay *display;
  g_autofree char *out_trade_no = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *path = NULL;
  g_autofree char *amount_text = NULL;
  g_autoptr(GError) error = NULL;
  const char *full = "1920x1080+1920+0";

  set_language (language);
  g_settings_set_boolean (settings, "customer-display-bilingual", bilingual);
  g_settings_set_string (settings, "store-name", store_name);

  display = display_new ();
  assert_fullscreen_on_second (display, 1920, 1080);
  /* The cashier keeps the keyboard: the display took no focus. */
  wait_until (cashier_active, NULL, "the cashier window to keep the focus");

  /* Idle: a welcome, no code, no amount. */
  wait_page (display, "idle");
  path = screenshot (full, "idle-%s", language);
  g_assert_null (decode (path));
  g_assert_false (any_label_contains (GTK_WIDGET (display), "¥"));
  g_clear_pointer (&path, g_free);

  /* The answer to unifiedorder is lost: the outcome is unknown, shown as "confirming". */
  g_assert_true (wxpay_sim_server_set_faults (sim, "{\"path\": \"/pay/unifiedorder\", "
                                                   "\"drop_after\": 1}", &error));
  g_assert_no_error (error);
  out_trade_no = charge (3850);
  amount_text = saoma_money_format (3850);
  wait_state (SAOMA_CHECKOUT_UNKNOWN);
  wait_page (display, "checking");
  path = screenshot (full, "checking-%s", language);
  g_assert_null (decode (path));
  g_clear_pointer (&path, g_free);

  /* Re-entry with the same out_trade_no gets the code: charging. */
  g_assert_true (wxpay_sim_server_set_faults (sim, NULL, &error));
  advance (3);
  wait_state (SAOMA_CHECKOUT_WAITING);
  g_assert_cmpstr (saoma_checkout_get_out_trade_no (checkout), ==, out_trade_no);
  wait_page (display, "charging");
  g_assert_true (any_label_contains (GTK_WIDGET (display), amount_text));
  path = screenshot (full, "charging-%s", language);
  decoded = decode (path);
  g_assert_nonnull (saoma_checkout_get_code_url (checkout));
  g_assert_cmpstr (decoded, ==, saoma_checkout_get_code_url (checkout));
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&decoded, g_free);

  /* The customer pays; the next poll sees it. */
  g_assert_true (wxpay_sim_server_pay (sim, out_trade_no, &error));
  g_assert_no_error (error);
  advance (3);
  wait_state (SAOMA_CHECKOUT_PAID);
  wait_page (display, "paid");
  g_assert_true (any_label_contains (GTK_WIDGET (display), amount_text));
  path = screenshot (full, "paid-%s", language);
  g_assert_null (decode (path));
  g_clear_pointer (&path, g_free);

  /* After the delay the welcome returns, with nothing left of the sale anywhere. The engine
   * still holds the paid attempt (the cashier has not started the next sale). */
  wait_page (display, "idle");
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_PAID);
  g_assert_false (any_label_contains (GTK_WIDGET (display), amount_text));
  g_assert_false (any_label_contains (GTK_WIDGET (display), "38.50"));
  g_assert_false (any_label_contains (GTK_WIDGET (display), "¥"));
  g_assert_null (saoma_qr_view_get_text (find_qr_view (GTK_WIDGET (display))));
  path = screenshot (full, "idle-after-paid-%s", language);
  g_assert_null (decode (path));
  g_clear_pointer (&path, g_free);

  /* Cancelled by the cashier: the code disappears at once, a short message, then idle. */
  g_clear_pointer (&out_trade_no, g_free);
  out_trade_no = charge (1200);
  wait_state (SAOMA_CHECKOUT_WAITING);
  wait_page (display, "charging");
  saoma_checkout_cancel (checkout);
  wait_page (display, "ended");
  g_assert_null (saoma_qr_view_get_text (find_qr_view (GTK_WIDGET (display))));
  path = screenshot (full, "cancelled-%s", language);
  g_assert_null (decode (path));
  g_clear_pointer (&path, g_free);
  wait_page (display, "idle");
  g_assert_false (any_label_contains (GTK_WIDGET (display), "12.00"));

  /* Expired: the countdown ran out. */
  g_clear_pointer (&out_trade_no, g_free);
  out_trade_no = charge (999);
  wait_state (SAOMA_CHECKOUT_WAITING);
  wait_page (display, "charging");
  wxpay_sim_server_advance_clock (sim, 301);
  advance (301);
  /* CLOSING, and CLOSED already when closeorder is allowed (the simulator's clock moved too). */
  wait_until (checkout_gave_up, NULL, "the attempt to expire");
  g_assert_cmpint (saoma_checkout_get_close_reason (checkout), ==, SAOMA_CLOSE_REASON_EXPIRED);
  wait_page (display, "ended");
  path = screenshot (full, "expired-%s", language);
  g_assert_null (decode (path));
  g_clear_pointer (&path, g_free);
  wait_page (display, "idle");
  g_assert_false (any_label_contains (GTK_WIDGET (display), "9.99"));

  /* Preferences' "Test display": a sample sale, then back to idle. */
  g_assert_true (saoma_customer_display_show_sample (display, 2));
  wait_page (display, "charging");
  path = screenshot (full, "sample-%s", language);
  decoded = decode (path);
  g_assert_cmpstr (decoded, ==, "weixin://wxpay/bizpayurl?pr=SAMPLE");
  g_clear_pointer (&path, g_free);
  wait_page (display, "idle");
  g_assert_false (any_label_contains (GTK_WIDGET (display), "8.88"));

  display_destroy (display);
}

static void
test_flow_zh_cn (void)
{
  run_flow ("zh_CN", TRUE, "扫码示范店");
}

static void
test_flow_en (void)
{
  run_flow ("en", FALSE, "Saoma Demo Store");
}

static gboolean
display_is_window (gpointer data)
{
  SaomaCustomerDisplay *display = data;

  return saoma_customer_display_get_monitor (display) == NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (display)) &&
         !gtk_window_is_fullscreen (GTK_WINDOW (display)) &&
         gtk_widget_get_width (GTK_WIDGET (display)) < 1920;
}

static gboolean
display_is_hidden (gpointer data)
{
  SaomaCustomerDisplay *display = data;

  return saoma_customer_display_get_monitor (display) == NULL &&
         !gtk_widget_get_visible (GTK_WIDGET (display));
}

static gboolean
n_monitors_is (gpointer data)
{
  return g_list_model_get_n_items (gdk_display_get_monitors (gdk_display_get_default ())) ==
         GPOINTER_TO_UINT (data);
}

/* Unplug the customer's monitor and plug it back, with either single-monitor setting. */
static void
test_hotplug (void)
{
  SaomaCustomerDisplay *display;
  g_autofree char *path = NULL;
  GdkRectangle rect;

  set_language ("en");
  g_settings_set_boolean (settings, "customer-display-bilingual", FALSE);
  g_settings_set_string (settings, "customer-display-single-monitor", "window");
  display = display_new ();
  assert_fullscreen_on_second (display, 1920, 1080);

  /* Configured by connector; the cashier's own monitor is never taken. */
  g_settings_set_string (settings, "customer-display-monitor", "DUMMY0");
  iterate_for (300);
  assert_fullscreen_on_second (display, 1920, 1080);
  g_settings_set_string (settings, "customer-display-monitor", "DUMMY1");
  iterate_for (300);
  assert_fullscreen_on_second (display, 1920, 1080);

  /* The cashier window moves to the second monitor: the display swaps to the first. */
  move_cashier (2400, 200);
  wait_until (display_on_connector, (gpointer) "DUMMY0", "the display to move to DUMMY0");
  wait_until (display_on_monitor, display, "the display to fill DUMMY0");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (display));
  iterate_for (200);
  rect = x_geometry (GTK_WINDOW (display));
  g_assert_cmpint (rect.x, ==, 0);
  g_assert_cmpint (rect.width, ==, 1920);
  move_cashier (200, 200);
  wait_until (display_on_connector, (gpointer) "DUMMY1", "the display to move back to DUMMY1");
  assert_fullscreen_on_second (display, 1920, 1080);

  /* "window": a normal window on the remaining monitor. */
  xrandr ("--output DUMMY1 --off");
  wait_until (n_monitors_is, GUINT_TO_POINTER (1), "GTK to see one monitor");
  wait_until (display_is_window, display, "the display to become a window");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (display));
  iterate_for (300);
  rect = x_geometry (GTK_WINDOW (display));
  g_assert_cmpint (rect.x + rect.width, <=, 1920);
  g_assert_cmpint (rect.width, <, 1920);
  path = screenshot ("1920x1080+0+0", "unplugged-window");
  g_clear_pointer (&path, g_free);

  xrandr ("--output DUMMY1 --auto --right-of DUMMY0");
  wait_until (n_monitors_is, GUINT_TO_POINTER (2), "GTK to see two monitors");
  assert_fullscreen_on_second (display, 1920, 1080);
  wait_until (cashier_active, NULL, "the cashier window to keep the focus");
  path = screenshot ("1920x1080+1920+0", "replugged");
  g_clear_pointer (&path, g_free);

  /* "hidden": gone while there is one monitor, back with the second. */
  g_settings_set_string (settings, "customer-display-single-monitor", "hidden");
  xrandr ("--output DUMMY1 --off");
  wait_until (n_monitors_is, GUINT_TO_POINTER (1), "GTK to see one monitor");
  wait_until (display_is_hidden, display, "the display to hide");
  xrandr ("--output DUMMY1 --auto --right-of DUMMY0");
  wait_until (n_monitors_is, GUINT_TO_POINTER (2), "GTK to see two monitors");
  assert_fullscreen_on_second (display, 1920, 1080);

  /* The action's property: off hides it, on brings it back. */
  saoma_customer_display_set_active (display, FALSE);
  wait_until (display_is_hidden, display, "the display to hide");
  saoma_customer_display_set_active (display, TRUE);
  assert_fullscreen_on_second (display, 1920, 1080);

  g_settings_reset (settings, "customer-display-single-monitor");
  g_settings_reset (settings, "customer-display-monitor");
  display_destroy (display);
}

/* A 7-inch 1024×600 customer screen: the code must still decode. */
static void
test_small_screen (void)
{
  SaomaCustomerDisplay *display;
  g_autofree char *out_trade_no = NULL;
  g_autofree char *path = NULL;
  g_autofree char *decoded = NULL;
  g_autoptr(GError) error = NULL;

  set_language ("zh_CN");
  g_settings_set_boolean (settings, "customer-display-bilingual", TRUE);
  g_settings_set_string (settings, "store-name", "扫码示范店");
  display = display_new ();
  assert_fullscreen_on_second (display, 1920, 1080);

  /* The mode is in xorg-dummy.conf; DUMMY1 gets it like run-dual-head.sh gives it 1920x1080. */
  g_free (run ("xrandr --addmode DUMMY1 1024x600", &(int) { 0 }));
  xrandr ("--output DUMMY1 --mode 1024x600 --right-of DUMMY0");
  assert_fullscreen_on_second (display, 1024, 600);

  out_trade_no = charge (3850);
  wait_state (SAOMA_CHECKOUT_WAITING);
  wait_page (display, "charging");
  path = screenshot ("1024x600+1920+0", "charging-1024x600-zh_CN");
  decoded = decode (path);
  g_assert_cmpstr (decoded, ==, saoma_checkout_get_code_url (checkout));
  g_clear_pointer (&path, g_free);

  g_assert_true (wxpay_sim_server_pay (sim, out_trade_no, &error));
  advance (3);
  wait_state (SAOMA_CHECKOUT_PAID);
  wait_page (display, "paid");
  path = screenshot ("1024x600+1920+0", "paid-1024x600-zh_CN");
  g_clear_pointer (&path, g_free);
  wait_page (display, "idle");
  path = screenshot ("1024x600+1920+0", "idle-1024x600-zh_CN");
  g_clear_pointer (&path, g_free);

  xrandr ("--output DUMMY1 --mode 1920x1080 --right-of DUMMY0");
  assert_fullscreen_on_second (display, 1920, 1080);
  display_destroy (display);
}

/* A widget of @type under @widget whose title (a preferences row) or action is @name. */
static GtkWidget *
find_widget (GtkWidget  *widget,
             GType       type,
             const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    {
      if (ADW_IS_PREFERENCES_ROW (widget) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), name) == 0)
        return widget;
      if (GTK_IS_ACTIONABLE (widget) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), name) == 0)
        return widget;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static char *
combo_item (AdwComboRow *row,
            guint        position)
{
  g_autoptr(GtkStringObject) item = g_list_model_get_item (adw_combo_row_get_model (row), position);

  return item != NULL ? g_strdup (gtk_string_object_get_string (item)) : NULL;
}

static gboolean
combo_has_n_items (gpointer data)
{
  AdwComboRow *row = ((gpointer *) data)[0];

  return g_list_model_get_n_items (adw_combo_row_get_model (row)) ==
         GPOINTER_TO_UINT (((gpointer *) data)[1]);
}

static void
sample_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  g_assert_true (saoma_customer_display_show_sample (user_data, 1));
}

/* Preferences: the monitors plugged in, by connector, bound to the settings; "Test display"
 * shows the sample through app.test-customer-display. */
static void
test_preferences (void)
{
  SaomaCustomerDisplay *display;
  GtkWindow *window;
  GtkWidget *group;
  AdwComboRow *monitor_row;
  AdwComboRow *single_row;
  GtkWidget *button;
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) sample = g_simple_action_new ("test-customer-display", NULL);
  g_autofree char *item = NULL;
  gpointer wait[2];

  set_language ("en");
  display = display_new ();
  assert_fullscreen_on_second (display, 1920, 1080);

  window = GTK_WINDOW (gtk_window_new ());
  group = saoma_customer_display_preferences_new ();
  gtk_window_set_child (window, group);
  g_signal_connect (sample, "activate", G_CALLBACK (sample_activated), display);
  g_action_map_add_action (G_ACTION_MAP (actions), G_ACTION (sample));
  gtk_widget_insert_action_group (GTK_WIDGET (window), "app", G_ACTION_GROUP (actions));
  gtk_window_set_default_size (window, 720, -1);
  gtk_window_present (window);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  iterate_for (300);
  {
    GdkRectangle rect = x_geometry (window);
    g_autofree char *geometry = g_strdup_printf ("%dx%d+%d+%d", rect.width, rect.height,
                                                 rect.x, rect.y);
    g_autofree char *path = screenshot (geometry, "preferences-en");
  }

  monitor_row = ADW_COMBO_ROW (find_widget (group, ADW_TYPE_COMBO_ROW, "_Monitor"));
  single_row = ADW_COMBO_ROW (find_widget (group, ADW_TYPE_COMBO_ROW, "With _one monitor"));
  button = find_widget (group, GTK_TYPE_BUTTON, "app.test-customer-display");
  g_assert_nonnull (monitor_row);
  g_assert_nonnull (single_row);
  g_assert_nonnull (button);

  /* Automatic, DUMMY0, DUMMY1. */
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (monitor_row)), ==, 3);
  g_assert_cmpuint (adw_combo_row_get_selected (monitor_row), ==, 0);
  item = combo_item (monitor_row, 2);
  g_assert_true (g_str_has_prefix (item, "DUMMY1"));
  g_clear_pointer (&item, g_free);

  adw_combo_row_set_selected (monitor_row, 2);
  assert_setting ("customer-display-monitor", "DUMMY1");
  iterate_for (100);
  assert_fullscreen_on_second (display, 1920, 1080);

  /* A monitor configured earlier and unplugged now stays listed, and selected. */
  g_settings_set_string (settings, "customer-display-monitor", "HDMI-9");
  wait[0] = monitor_row;
  wait[1] = GUINT_TO_POINTER (4);
  wait_until (combo_has_n_items, wait, "the unplugged monitor in the list");
  g_assert_cmpuint (adw_combo_row_get_selected (monitor_row), ==, 3);
  item = combo_item (monitor_row, 3);
  g_assert_cmpstr (item, ==, "HDMI-9 (not connected)");
  g_clear_pointer (&item, g_free);
  /* …and the display falls back to the automatic choice meanwhile. */
  iterate_for (100);
  assert_fullscreen_on_second (display, 1920, 1080);

  adw_combo_row_set_selected (monitor_row, 0);
  assert_setting ("customer-display-monitor", "");

  /* The single-monitor choice, both ways. */
  adw_combo_row_set_selected (single_row, 1);
  assert_setting ("customer-display-single-monitor", "window");
  g_settings_set_string (settings, "customer-display-single-monitor", "hidden");
  g_assert_cmpuint (adw_combo_row_get_selected (single_row), ==, 0);

  /* Unplugged, DUMMY1 leaves the list. */
  xrandr ("--output DUMMY1 --off");
  wait[1] = GUINT_TO_POINTER (2);
  wait_until (combo_has_n_items, wait, "DUMMY1 to leave the list");
  xrandr ("--output DUMMY1 --auto --right-of DUMMY0");
  wait[1] = GUINT_TO_POINTER (3);
  wait_until (combo_has_n_items, wait, "DUMMY1 to come back to the list");
  assert_fullscreen_on_second (display, 1920, 1080);

  /* "Test display". */
  g_signal_emit_by_name (button, "clicked");
  wait_page (display, "charging");
  g_assert_true (any_label_contains (GTK_WIDGET (display), "8.88"));
  wait_page (display, "idle");

  gtk_window_destroy (window);
  g_settings_reset (settings, "customer-display-monitor");
  g_settings_reset (settings, "customer-display-single-monitor");
  display_destroy (display);
}

static void
global_set_up (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaWxpay2Gateway) gateway = NULL;
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();
  g_autofree char *ledger_path = NULL;
  g_autofree char *out = NULL;
  const char *build_dir = g_getenv ("SAOMA_BUILD_DIR");

  tmpdir = g_dir_make_tmp ("saoma-display-XXXXXX", &error);
  g_assert_no_error (error);
  shotdir = g_build_filename (build_dir ? build_dir : tmpdir, "tests", "ui", "screenshots", NULL);
  g_mkdir_with_parents (shotdir, 0755);

  sim = wxpay_sim_server_new (WXPAY_SIM_DEFAULT_APPID, WXPAY_SIM_DEFAULT_MCH_ID,
                              WXPAY_SIM_DEFAULT_KEY);
  g_assert_true (wxpay_sim_server_listen (sim, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  client = wxpay_client_new (wxpay_sim_server_get_base_uri (sim), WXPAY_SIM_DEFAULT_APPID,
                             WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY);

  ledger_path = g_build_filename (tmpdir, "ledger.db", NULL);
  ledger = saoma_ledger_open_sync (ledger_path, NULL, &error);
  g_assert_no_error (error);

  clock_ = saoma_clock_new_manual (g_get_real_time ());
  gateway = saoma_wxpay2_gateway_new (client);
  checkout = saoma_checkout_new (SAOMA_GATEWAY (gateway), SAOMA_STORE (ledger), clock_, config);

  settings = g_settings_new (APP_ID);
  /* Long enough to photograph a result, short enough for a quick test. */
  g_settings_set_uint (settings, "customer-display-paid-delay", 3);

  /* The cashier works on the first monitor: put the pointer there so the window manager places
   * the cashier window on it. */
  out = run ("xdotool mousemove 400 300", NULL);
  cashier = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (cashier, "Cashier");
  gtk_window_set_default_size (cashier, 1000, 700);
  gtk_window_present (cashier);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (cashier));
}

int
main (int   argc,
      char *argv[])
{
  const char *build_dir = g_getenv ("SAOMA_BUILD_DIR");
  g_autofree char *localedir = NULL;
  int status;

  /* Translations from the build tree; LANGUAGE picks the language per test. */
  g_setenv ("LANG", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_ALL, "");
  localedir = g_build_filename (build_dir ? build_dir : BUILD_DIR, "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL || !gtk_init_check ())
    {
      g_print ("1..0 # SKIP no X display\n");
      return 0;
    }
  adw_init ();
  saoma_register_resource ();

  if (g_list_model_get_n_items (gdk_display_get_monitors (gdk_display_get_default ())) < 2)
    {
      g_print ("1..0 # SKIP needs two monitors (run-dual-head.sh)\n");
      return 0;
    }

  global_set_up ();

  /* zh_CN first: GLib decides once whether GtkBuilder translates, from the first catalogue. */
  g_test_add_func ("/customer-display/flow-zh_CN", test_flow_zh_cn);
  g_test_add_func ("/customer-display/flow-en", test_flow_en);
  g_test_add_func ("/customer-display/hotplug", test_hotplug);
  g_test_add_func ("/customer-display/small-screen", test_small_screen);
  g_test_add_func ("/customer-display/preferences", test_preferences);

  status = g_test_run ();

  gtk_window_destroy (cashier);
  g_clear_object (&checkout);
  g_clear_object (&settings);
  g_clear_object (&ledger);
  wxpay_sim_server_shutdown (sim);
  g_clear_object (&sim);

  return status;
}
