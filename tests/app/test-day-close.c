/* test-day-close.c: the real application in demo mode (a real wxpay-sim child, a real ledger):
 * a paid sale, a refund through the refund dialog behind the manager PIN (a wrong PIN first),
 * then the day close window and the reconciliation window — in English and in Chinese, each in
 * its own process. Screenshots are kept in the build tree (tests/app/screenshots/). */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/saoma-business-day.h"
#include "core/saoma-checkout.h"
#include "core/saoma-day-report.h"
#include "core/saoma-pin.h"
#include "core/saoma-pin-guard.h"
#include "core/saoma-reconcile.h"
#include "core/saoma-wxpay2-gateway.h"
#include "wxpay/wxpay.h"
#include "saoma-application.h"
#include "saoma-customer-display.h"
#include "saoma-day-close-window.h"
#include "saoma-pin-dialog.h"
#include "saoma-reconcile-window.h"
#include "saoma-refund-dialog.h"

#define PIN "258046"
/* hashlib.pbkdf2_hmac('sha256', b'432100', bytes(range(16)), 100000), in Saoma's format. */
#define HASHLIB_VERIFIER "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw==$" \
                         "/LjDCErR1Iyc7zZ27x677SEFkK7Ool61C9yPkQsu35c="
#define HASHLIB_PIN      "432100"

static char *shots;

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
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *png = g_strdup_printf ("%s/%s-%s.png", shots, name, g_getenv ("LANGUAGE"));
  GskRenderer *renderer;
  int width, height;

  /* A window presented a moment ago on a loaded machine may not be allocated and drawn yet:
   * its snapshot would be empty. */
  WAIT_FOR (gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  for (int tries = 0; node == NULL && tries < 200; tries++)
    {
      if (tries > 0)
        spin (50);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, png));
  g_test_message ("screenshot: %s", png);
}

/* Depth-first search for a widget by its template id / buildable id: not public, so walk the
 * tree and match by type and a predicate. */
typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find (GtkWidget     *root,
      Match          match,
      gconstpointer  data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (match (child, data))
        return child;
      if ((found = find (child, match, data)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)),
                                              label) == 0;
}

static gboolean
is_spin_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_SPIN_BUTTON (widget);
}

static gboolean
label_contains (GtkWidget     *widget,
                gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

static gboolean
has_label_with (GtkWidget  *root,
                const char *text)
{
  return find (root, label_contains, text) != NULL;
}

static GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GListModel) toplevels = gtk_window_get_toplevels ();

  g_object_ref (toplevels);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

static void
paid_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (saoma_application_simulate_payment_finish (SAOMA_APPLICATION (source), result,
                                                            &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
wait_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
set_entry_row (GtkWidget  *dialog,
               const char *title,
               const char *text)
{
  GtkWidget *row = find (dialog, is_row_titled, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static gboolean
settings_key_empty (GSettings  *settings,
                    const char *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  return value[0] == '\0';
}

static gboolean
file_has_data (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size > 0;
}

static void
late_cb (SaomaCheckout *checkout,
         SaomaAttempt  *attempt,
         gboolean      *late)
{
  *late = TRUE;
}

static char *
pdf_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-layout", "-enc", "UTF-8", pdf, "-", NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  if (g_find_program_in_path ("pdftotext") == NULL)
    return NULL;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  return out;
}

static const char *
row_subtitle (GtkWidget  *root,
              const char *title)
{
  GtkWidget *row = find (root, is_row_titled, title);

  return row != NULL ? adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) : NULL;
}

static gboolean
subtitle_has (GtkWidget  *root,
              const char *title,
              const char *text)
{
  const char *subtitle = row_subtitle (root, title);

  return subtitle != NULL && strstr (subtitle, text) != NULL;
}

static void
run_flow (void)
{
  gboolean late = FALSE;
  g_autofree char *late_no = NULL;
  g_autoptr(SaomaApplication) app = saoma_application_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  SaomaCheckout *checkout;
  SaomaRefunder *refunder;
  GtkWindow *parent;
  GtkWindow *dialog;
  GtkWindow *day_close;
  GtkWindow *reconcile;
  GtkWidget *refund_button;
  g_autofree char *out_trade_no = NULL;
  gboolean paid = FALSE;

  /* This flow drives the v2 client directly: the demo speaks v2 (the memory backend is shared
   * with the application's settings). */
  {
    g_autoptr(GSettings) settings = g_settings_new ("io.github.saoma.Cashier");

    g_settings_set_string (settings, "demo-api-version", "v2");
  }

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR (saoma_application_get_checkout (app) != NULL);
  checkout = saoma_application_get_checkout (app);
  parent = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (saoma_application_get_demo (app));

  /* Demo mode marks the customer display (issue 12.18): a small corner label. */
  {
    GtkWindow *display = find_toplevel (SAOMA_TYPE_CUSTOMER_DISPLAY);
    GtkWidget *mark;

    g_assert_nonnull (display);
    mark = find (GTK_WIDGET (display), label_contains, "演示 / DEMO");
    g_assert_nonnull (mark);
    g_assert_true (gtk_widget_get_visible (mark));
  }

  /* The manager PIN, set through its dialog (as from Preferences): mismatched PINs are
   * refused, then a hash — never the PIN — lands in the keyring. */
  {
    GSettings *settings = saoma_application_get_settings (app);
    SaomaPinGuard *guard = saoma_pin_dialog_get_guard (app);
    GtkWindow *pin_dialog;
    GtkWidget *save;
    g_autoptr(GError) naive_error = NULL;
    g_autofree char *verifier = NULL;
    char *secret;

    /* A hash written into the settings by hand (made with hashlib, the naive way) is no PIN:
     * refunds stay refused, and Saoma asks for the PIN to be set again. */
    g_settings_set_string (settings, SAOMA_PIN_SETTINGS_KEY, HASHLIB_VERIFIER);
    WAIT_FOR (saoma_pin_guard_get_status (guard) != SAOMA_PIN_STATUS_UNKNOWN);
    g_assert_false (saoma_pin_guard_check_sync (guard, HASHLIB_PIN, &naive_error));
    g_assert_error (naive_error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET);
    g_clear_error (&naive_error);
    g_assert_cmpstr (saoma_pin_dialog_get_problem (app), ==,
                     _("Saoma now keeps the manager PIN in the keyring. Set it again in "
                       "Preferences."));

    pin_dialog = saoma_pin_dialog_new (parent, guard);
    g_assert_false (saoma_pin_dialog_is_set (guard));
    gtk_window_present (pin_dialog);
    save = find (GTK_WIDGET (pin_dialog), is_button_labelled, _("_Save"));
    g_assert_nonnull (save);
    set_entry_row (GTK_WIDGET (pin_dialog), _("New PIN"), PIN);
    set_entry_row (GTK_WIDGET (pin_dialog), _("Repeat New PIN"), "258147");
    g_signal_emit_by_name (save, "clicked");
    WAIT_FOR (has_label_with (GTK_WIDGET (pin_dialog), _("The two new PINs are not the same.")));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (pin_dialog));
    screenshot (GTK_WIDGET (pin_dialog), "pin-dialog");
    set_entry_row (GTK_WIDGET (pin_dialog), _("Repeat New PIN"), PIN);
    g_object_add_weak_pointer (G_OBJECT (pin_dialog), (gpointer *) &pin_dialog);
    g_signal_emit_by_name (save, "clicked");
    WAIT_FOR (saoma_pin_dialog_is_set (guard));
    WAIT_FOR (pin_dialog == NULL);
    secret = secret_password_lookup_sync (saoma_pin_guard_get_schema (), NULL, &error,
                                          "purpose", "manager-pin", NULL);
    g_assert_no_error (error);
    hash = g_strdup (secret);
    secret_password_free (secret);
    g_assert_null (strstr (hash, PIN));
    verifier = g_strndup (strstr (hash, "\nverifier ") + strlen ("\nverifier "),
                          strcspn (strstr (hash, "\nverifier ") + 1, "\n") - strlen ("verifier "));
    g_assert_true (saoma_pin_verify_sync (PIN, verifier, &error));
    g_assert_no_error (error);
    /* The hand-written settings value is gone once the PIN is in the keyring. */
    WAIT_FOR (settings_key_empty (settings, SAOMA_PIN_SETTINGS_KEY));

    /* Changing it asks for the current PIN, and a wrong one counts like any wrong PIN. */
    pin_dialog = saoma_pin_dialog_new (parent, guard);
    gtk_window_present (pin_dialog);
    save = find (GTK_WIDGET (pin_dialog), is_button_labelled, _("_Save"));
    set_entry_row (GTK_WIDGET (pin_dialog), _("Current PIN"), "999999");
    set_entry_row (GTK_WIDGET (pin_dialog), _("New PIN"), "135791");
    set_entry_row (GTK_WIDGET (pin_dialog), _("Repeat New PIN"), "135791");
    g_signal_emit_by_name (save, "clicked");
    WAIT_FOR (has_label_with (GTK_WIDGET (pin_dialog), _("Wrong manager PIN.")));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (pin_dialog));
    screenshot (GTK_WIDGET (pin_dialog), "pin-dialog-wrong-current");
    gtk_window_destroy (pin_dialog);
    g_assert_false (saoma_pin_guard_check_sync (guard, PIN, &naive_error));
    g_assert_true (g_error_matches (naive_error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_THROTTLED));
    /* The PIN is unchanged once the one-second wait is over. */
    g_usleep (G_USEC_PER_SEC);
    g_assert_true (saoma_pin_guard_check_sync (guard, PIN, &error));
    g_assert_no_error (error);
  }

  /* A sale of ¥38.50, paid by the (simulated) customer. */
  g_assert_true (saoma_checkout_charge (checkout, 3850, "测试商品", &error));
  g_assert_no_error (error);
  WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
  out_trade_no = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  saoma_application_simulate_payment_async (app, out_trade_no, NULL, paid_cb, &paid);
  WAIT_FOR (paid && saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_PAID);
  saoma_checkout_reset (checkout);

  /* The refund dialog: a wrong PIN is refused and writes nothing; the right one refunds. */
  refunder = saoma_till_get_refunder (saoma_application_get_till (app));
  g_assert_nonnull (refunder);
  saoma_refunder_set_query_interval (refunder, 500);
  dialog = saoma_refund_dialog_new (parent, saoma_application_get_till (app), app,
                                    out_trade_no);
  gtk_window_present (dialog);
  refund_button = find (GTK_WIDGET (dialog), is_button_labelled, _("_Refund"));
  g_assert_nonnull (refund_button);
  WAIT_FOR (gtk_widget_get_sensitive (refund_button));

  set_entry_row (GTK_WIDGET (dialog), _("Amount to refund (¥)"), "10");
  set_entry_row (GTK_WIDGET (dialog), _("Reason (shown to the customer)"), "尺码不合适");
  set_entry_row (GTK_WIDGET (dialog), _("Manager PIN"), "111111");
  g_signal_emit_by_name (refund_button, "clicked");
  WAIT_FOR (has_label_with (GTK_WIDGET (dialog), _("Wrong manager PIN.")));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  screenshot (GTK_WIDGET (dialog), "refund-wrong-pin");

  /* Right after a wrong PIN even the right one waits (a second here), unchecked. */
  set_entry_row (GTK_WIDGET (dialog), _("Manager PIN"), PIN);
  g_signal_emit_by_name (refund_button, "clicked");
  {
    g_autofree char *wait_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
      "Wait %d second before trying the manager PIN again.",
      "Wait %d seconds before trying the manager PIN again.", 1), 1);

    WAIT_FOR (has_label_with (GTK_WIDGET (dialog), wait_text));
  }
  g_usleep (G_USEC_PER_SEC);

  /* Over-refund: more than the ¥38.50 paid. */
  set_entry_row (GTK_WIDGET (dialog), _("Amount to refund (¥)"), "40");
  set_entry_row (GTK_WIDGET (dialog), _("Manager PIN"), PIN);
  g_signal_emit_by_name (refund_button, "clicked");
  WAIT_FOR (has_label_with (GTK_WIDGET (dialog), "¥38.50"));

  set_entry_row (GTK_WIDGET (dialog), _("Amount to refund (¥)"), "10");
  set_entry_row (GTK_WIDGET (dialog), _("Manager PIN"), PIN);
  g_signal_emit_by_name (refund_button, "clicked");
  WAIT_FOR (has_label_with (GTK_WIDGET (dialog), "¥10.00")
            && !gtk_widget_get_visible (refund_button));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  screenshot (GTK_WIDGET (dialog), "refund-done");
  gtk_window_destroy (dialog);

  /* The day close: ¥38.50 paid, ¥10.00 refunded, net ¥28.50, nothing open. */
  day_close = saoma_day_close_window_new (parent, saoma_application_get_till (app), app);
  gtk_window_present (day_close);
  WAIT_FOR (has_label_with (GTK_WIDGET (day_close), "¥28.50"));
  g_assert_true (has_label_with (GTK_WIDGET (day_close), "¥38.50"));
  g_assert_true (has_label_with (GTK_WIDGET (day_close), "-¥10.00"));
  spin (300);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (day_close));
  screenshot (GTK_WIDGET (day_close), "day-close");

  /* Issue 13: by payment method: the QR code took it all (net ¥28.50), the payment code
   * nothing. */
  WAIT_FOR (subtitle_has (GTK_WIDGET (day_close), C_("payment method", "QR code"), "¥28.50"));
  g_assert_true (subtitle_has (GTK_WIDGET (day_close), C_("payment method", "Payment code"),
                               "¥0.00"));

  /* Issue 12.5: the business day's start (Preferences, the same key History reads) moves what
   * Day Close counts: with the day starting at 23:59 today's sales are the previous day's. */
  {
    GSettings *settings = saoma_application_get_settings (app);

    g_settings_set_uint (settings, "business-day-start", 1439);
    WAIT_FOR (!has_label_with (GTK_WIDGET (day_close), "¥28.50"));
    g_settings_set_uint (settings, "business-day-start", 0);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), "¥28.50"));
  }

  /* Issue 12.17 + 12.18: the export menu writes the accountants' flat table (words in the UI's
   * language, the method last) and a PDF marked as demo (the app is in demo mode). */
  {
    g_autofree char *csv_path = g_strdup_printf ("%s/day-close-%s.csv", shots,
                                                 g_getenv ("LANGUAGE"));
    g_autofree char *pdf_path = g_strdup_printf ("%s/day-close-%s.pdf", shots,
                                                 g_getenv ("LANGUAGE"));
    g_autoptr(GFile) csv_file = g_file_new_for_path (csv_path);
    g_autoptr(GFile) pdf_file = g_file_new_for_path (pdf_path);
    g_autofree char *csv = NULL;
    g_autofree char *text = NULL;
    g_autofree char *header = NULL;
    g_autofree char *order_row = NULL;
    GStatBuf st;

    g_unlink (csv_path);
    g_unlink (pdf_path);
    /* Each is done when its toast names it ("Saved NAME"). */
    saoma_day_close_window_export_file (SAOMA_DAY_CLOSE_WINDOW (day_close), csv_file, FALSE);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), strrchr (csv_path, '/') + 1));
    saoma_day_close_window_export_file (SAOMA_DAY_CLOSE_WINDOW (day_close), pdf_file, TRUE);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), strrchr (pdf_path, '/') + 1));
    g_assert_true (file_has_data (csv_path) && file_has_data (pdf_path));

    g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
    g_test_message ("%s", csv);
    g_assert_cmpint (g_stat (csv_path, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
    header = g_strdup_printf ("\xEF\xBB\xBF%s,%s,", C_("export column", "Type"),
                              C_("export column", "Time"));
    g_assert_true (g_str_has_prefix (csv, header));
    g_assert_nonnull (strstr (csv, C_("export column", "Method")));
    order_row = g_strdup_printf ("\r\n%s,", C_("export row", "Order"));
    g_assert_nonnull (strstr (csv, order_row));
    g_assert_nonnull (strstr (csv, ",38.50,"));
    g_assert_nonnull (strstr (csv, ",-10.00,"));
    g_assert_nonnull (strstr (csv, out_trade_no));
    g_assert_nonnull (strstr (csv, C_("payment method", "QR code")));

    text = pdf_text (pdf_path);
    if (text != NULL)
      {
        g_test_message ("%s", text);
        g_assert_nonnull (strstr (text, "演示 / DEMO"));
        g_assert_nonnull (strstr (text, "¥28.50"));
      }
  }

  /* Z close from the window (issue 12.3): its default answer is Cancel and the close answer
   * needs a PIN; a wrong PIN closes nothing; the right one closes and it is shown as closed. */
  gtk_widget_activate_action (GTK_WIDGET (day_close), "day-close.z-close", NULL);
  WAIT_FOR (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  {
    AdwMessageDialog *confirm = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

    g_assert_cmpstr (adw_message_dialog_get_default_response (confirm), ==, "cancel");
    g_assert_false (adw_message_dialog_get_response_enabled (confirm, "close"));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (confirm));
    screenshot (GTK_WIDGET (confirm), "day-close-z-confirm");
    set_entry_row (GTK_WIDGET (confirm), _("Manager PIN"), "999999");
    g_assert_true (adw_message_dialog_get_response_enabled (confirm, "close"));
    adw_message_dialog_response (confirm, "close");
    gtk_window_close (GTK_WINDOW (confirm));
  }
  WAIT_FOR (has_label_with (GTK_WIDGET (day_close), _("Wrong manager PIN.")));
  spin (300);
  screenshot (GTK_WIDGET (day_close), "day-close-wrong-pin");
  g_assert_false (has_label_with (GTK_WIDGET (day_close), _("This day is closed (Z). The "
                                                            "figures below are counted again "
                                                            "from the ledger.")));
  /* The wait after a wrong PIN (a second). */
  g_usleep (G_USEC_PER_SEC + G_USEC_PER_SEC / 5);
  while (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL)
    spin (100);
  gtk_widget_activate_action (GTK_WIDGET (day_close), "day-close.z-close", NULL);
  WAIT_FOR (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  set_entry_row (GTK_WIDGET (find_toplevel (ADW_TYPE_MESSAGE_DIALOG)), _("Manager PIN"), PIN);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG)),
                               "close");
  WAIT_FOR (has_label_with (GTK_WIDGET (day_close), _("This day is closed (Z). The figures "
                                                      "below are counted again from the "
                                                      "ledger.")));
  spin (300);
  screenshot (GTK_WIDGET (day_close), "day-close-closed");

  /* Issue 12.2 + 12.4: a sale after the Z close is the next business day's; the closed day,
   * followed live, still says ¥28.50. */
  {
    gboolean after_paid = FALSE;

    g_assert_true (saoma_checkout_charge (checkout, 1234, NULL, &error));
    g_assert_no_error (error);
    WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
    saoma_application_simulate_payment_async (app, saoma_checkout_get_out_trade_no (checkout),
                                              NULL, paid_cb, &after_paid);
    WAIT_FOR (after_paid && saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_PAID);
    saoma_checkout_reset (checkout);
    spin (800);
    g_assert_true (has_label_with (GTK_WIDGET (day_close), "¥28.50"));
    g_assert_false (has_label_with (GTK_WIDGET (day_close), "¥12.34"));
  }

  /* The day picker: Alt+Page Down's action shows the next (business) day, and back. */
  {
    g_autoptr(GTimeZone) beijing = g_time_zone_new_identifier ("+08:00");
    g_autoptr(GDateTime) now = g_date_time_new_now (beijing);
    g_autoptr(GDateTime) next = g_date_time_add_days (now, 1);
    g_autofree char *today_text = g_date_time_format (now, "%Y-%m-%d");
    g_autofree char *next_text = g_date_time_format (next, "%Y-%m-%d");

    g_assert_true (has_label_with (GTK_WIDGET (day_close), today_text));
    gtk_widget_activate_action (GTK_WIDGET (day_close), "day-close.next-day", NULL);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), next_text) &&
              !has_label_with (GTK_WIDGET (day_close), "¥28.50"));
    /* The sale after the Z close belongs to it. */
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), "¥12.34"));
    /* A sale the cashier gave up on gets paid (a late payment): that day no longer says every
     * payment is final, but how many wait for a decision (12.6); it follows live (12.4). */
    {
      gboolean after_paid = FALSE;
      gulong late_id = g_signal_connect (checkout, "late-payment", G_CALLBACK (late_cb),
                                         &late);

      g_assert_true (saoma_checkout_charge (checkout, 567, NULL, &error));
      g_assert_no_error (error);
      WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
      late_no = g_strdup (saoma_checkout_get_out_trade_no (checkout));
      saoma_checkout_cancel (checkout);
      after_paid = FALSE;
      saoma_application_simulate_payment_async (app, late_no, NULL, paid_cb, &after_paid);
      WAIT_FOR (after_paid && late);
      saoma_checkout_reset (checkout);
      {
        g_autofree char *waits = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "%u late payment waits for a "
                                                               "decision (honoured or "
                                                               "refunded).",
                                                               "%u late payments wait for a "
                                                               "decision (honoured or "
                                                               "refunded).", 1), 1);

        /* The store changed: the window counts again by itself. */
        WAIT_FOR (find (GTK_WIDGET (day_close), is_row_titled, waits) != NULL);
        g_assert_null (find (GTK_WIDGET (day_close), is_row_titled,
                             _("Every payment of the day is final.")));
        spin (300);
        screenshot (GTK_WIDGET (day_close), "day-close-late-waits");
      }
      g_signal_handler_disconnect (checkout, late_id);
    }
    gtk_widget_activate_action (GTK_WIDGET (day_close), "day-close.previous-day", NULL);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), today_text) &&
              has_label_with (GTK_WIDGET (day_close), "¥28.50"));
  }

  /* A day the manager reopened is shown as such (issue 12.2). */
  {
    g_autoptr(SaomaDayReport) closed = NULL;
    g_autoptr(SaomaBusinessDay) beijing_day = saoma_business_day_new (NULL, 0);
    g_auto(GStrv) parts = g_strsplit (_("This day was closed (Z), then reopened by the manager "
                                        "at %s (%s). It is open until it is closed again."),
                                      "%s", 2);
    GDate today;

    g_date_clear (&today, 1);
    saoma_business_day_of (beijing_day, g_get_real_time (), &today);
    closed = saoma_day_report_load_business_sync (saoma_till_get_ledger (
                                                    saoma_application_get_till (app)),
                                                  &today, beijing_day, &error);
    g_assert_no_error (error);
    g_assert_true (saoma_day_report_reopen_sync (closed, saoma_till_get_ledger (
                                                           saoma_application_get_till (app)),
                                                 saoma_pin_dialog_get_guard (app), PIN,
                                                 "少收一笔", &error));
    g_assert_no_error (error);
    gtk_widget_activate_action (GTK_WIDGET (day_close), "day-close.x-report", NULL);
    WAIT_FOR (has_label_with (GTK_WIDGET (day_close), parts[0])
              && has_label_with (GTK_WIDGET (day_close), "少收一笔"));
    spin (300);
    screenshot (GTK_WIDGET (day_close), "day-close-reopened");
  }

  /* Issue 13: a payment code (付款码) charged in the reopened day is counted under its method,
   * followed live. */
  {
    g_autofree char *code = g_strdup_printf ("1345678901%07u0", g_random_int_range (0, 9999999));

    g_assert_true (saoma_checkout_charge_code (checkout, 1234, NULL, code, &error));
    g_assert_no_error (error);
    WAIT_FOR (saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_PAID);
    saoma_checkout_reset (checkout);
    WAIT_FOR (subtitle_has (GTK_WIDGET (day_close), C_("payment method", "Payment code"),
                            "¥12.34"));
    spin (300);
    screenshot (GTK_WIDGET (day_close), "day-close-by-method");
  }
  gtk_window_destroy (day_close);

  /* Preferences have the manager PIN row, and it says a PIN is set. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  WAIT_FOR (find_toplevel (ADW_TYPE_PREFERENCES_WINDOW) != NULL);
  {
    GtkWindow *prefs = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
    GtkWidget *row = find (GTK_WIDGET (prefs), is_row_titled, _("Manager PIN"));

    g_assert_nonnull (row);
    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                     _("Set — refunds ask for it"));
    /* The business day's start (issue 12.5), in a group of its own, bound to the key. */
    row = find (GTK_WIDGET (prefs), is_row_titled, _("Day starts at"));
    g_assert_nonnull (row);
    {
      GtkWidget *start = find (row, is_spin_button, NULL);

      g_assert_nonnull (start);
      g_settings_set_uint (saoma_application_get_settings (app), "business-day-start", 240);
      WAIT_FOR (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (start)), "04:00") == 0);
      adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs),
                                               ADW_PREFERENCES_PAGE (gtk_widget_get_ancestor (
                                                 row, ADW_TYPE_PREFERENCES_PAGE)));
      spin (300);
      gtk_test_widget_wait_for_draw (GTK_WIDGET (prefs));
      screenshot (GTK_WIDGET (prefs), "preferences-business-day");
      gtk_editable_set_text (GTK_EDITABLE (start), "00:00");
      gtk_spin_button_update (GTK_SPIN_BUTTON (start));
      g_assert_cmpuint (g_settings_get_uint (saoma_application_get_settings (app),
                                             "business-day-start"), ==, 0);
    }
    gtk_window_destroy (prefs);
  }

  /* Reconciliation of today's (Beijing) bill: the payment and the refund match. */
  reconcile = saoma_reconcile_window_new (parent, saoma_application_get_till (app));
  {
    g_autoptr(GTimeZone) beijing = g_time_zone_new_identifier ("+08:00");
    g_autoptr(GDateTime) now = g_date_time_new_now (beijing);
    GDate today;

    g_date_clear (&today, 1);
    g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                    g_date_time_get_year (now));
    saoma_reconcile_window_set_date (SAOMA_RECONCILE_WINDOW (reconcile), &today);
  }
  gtk_window_present (reconcile);
  saoma_reconcile_window_compare (SAOMA_RECONCILE_WINDOW (reconcile));
  WAIT_FOR (has_label_with (GTK_WIDGET (reconcile), _("Everything matches.")));
  /* The bill's MICROPAY row (the payment code above) matches too, and each line says its
   * method (issue 13). */
  WAIT_FOR (has_label_with (GTK_WIDGET (reconcile), C_("payment method", "Payment code"))
            && has_label_with (GTK_WIDGET (reconcile), C_("payment method", "QR code")));
  spin (300);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (reconcile));
  screenshot (GTK_WIDGET (reconcile), "reconcile");

  /* An order paid at WeChat that the till never recorded: found, then recorded with "Record". */
  {
    g_autoptr(WxpayParams) request = wxpay_params_new ();
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(WxpayParams) answer = NULL;
    GtkWidget *record;
    gboolean paid_elsewhere = FALSE;

    wxpay_params_set (request, "body", "另一台收银机");
    wxpay_params_set (request, "out_trade_no", "T09ELSEWHERE0001");
    wxpay_params_set_int64 (request, "total_fee", 1234);
    wxpay_params_set (request, "spbill_create_ip", "127.0.0.1");
    wxpay_params_set (request, "notify_url", "http://127.0.0.1:9/notify");
    wxpay_params_set (request, "trade_type", "NATIVE");
    wxpay_params_set (request, "product_id", "SAOMA");
    wxpay_client_unifiedorder_async (saoma_wxpay2_gateway_get_client (
                                       SAOMA_WXPAY2_GATEWAY (saoma_checkout_get_gateway (checkout))), request, NULL,
                                     wait_result_cb, &result);
    WAIT_FOR (result != NULL);
    answer = wxpay_client_unifiedorder_finish (saoma_wxpay2_gateway_get_client (
                                       SAOMA_WXPAY2_GATEWAY (saoma_checkout_get_gateway (checkout))), result,
                                               &error);
    g_assert_no_error (error);
    saoma_application_simulate_payment_async (app, "T09ELSEWHERE0001", NULL, paid_cb,
                                              &paid_elsewhere);
    WAIT_FOR (paid_elsewhere);

    saoma_reconcile_window_compare (SAOMA_RECONCILE_WINDOW (reconcile));
    WAIT_FOR (has_label_with (GTK_WIDGET (reconcile), _("Only at WeChat")));
    spin (300);
    gtk_test_widget_wait_for_draw (GTK_WIDGET (reconcile));
    screenshot (GTK_WIDGET (reconcile), "reconcile-only-wechat");

    record = find (GTK_WIDGET (reconcile), is_button_labelled, _("Record"));
    g_assert_nonnull (record);
    g_signal_emit_by_name (record, "clicked");
    WAIT_FOR (has_label_with (GTK_WIDGET (reconcile), _("Everything matches.")));
  }
  gtk_window_destroy (reconcile);

  /* The cashier window's menu opens both windows through app actions. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "day-close", NULL);
  WAIT_FOR (find_toplevel (SAOMA_TYPE_DAY_CLOSE_WINDOW) != NULL);
  gtk_window_destroy (find_toplevel (SAOMA_TYPE_DAY_CLOSE_WINDOW));
  g_action_group_activate_action (G_ACTION_GROUP (app), "reconcile", NULL);
  WAIT_FOR (find_toplevel (SAOMA_TYPE_RECONCILE_WINDOW) != NULL);
  gtk_window_destroy (find_toplevel (SAOMA_TYPE_RECONCILE_WINDOW));

  gtk_window_destroy (parent);
  spin (200);
}

/* Without a window manager GTK warns when focus moves between windows (the cashier window's
 * entry keeps it); that is not this test's business. */
static gboolean
fatal_filter (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
  return strstr (message, "did not receive a focus-out event") == NULL;
}

static void
test_english (void)
{
  if (g_test_subprocess ())
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      g_test_log_set_fatal_handler (fatal_filter, NULL);
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
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      g_test_log_set_fatal_handler (fatal_filter, NULL);
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
  g_autofree char *tmp = NULL;
  g_autofree char *data = NULL;
  g_autofree char *podir = NULL;
  g_autofree char *keyring = NULL;

  g_setenv ("LANG", "C.UTF-8", TRUE);
  g_unsetenv ("LC_ALL");
  setlocale (LC_ALL, "");
  podir = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, podir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  tmp = g_dir_make_tmp ("saoma-test-day-close-XXXXXX", NULL);
  data = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* A keyring of this process's own (each language runs in a new subprocess). */
  keyring = g_build_filename (tmp, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  g_setenv ("XDG_RUNTIME_DIR", tmp, TRUE);
  shots = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "tests", "app", "screenshots", NULL);
  g_mkdir_with_parents (shots, 0755);

  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }
  saoma_application_register_resources ();

  g_test_add_func ("/day-close/english", test_english);
  g_test_add_func ("/day-close/chinese", test_chinese);

  return g_test_run ();
}
