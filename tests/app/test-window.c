/* test-window.c: the real application and window in-process, in demo mode (a real wxpay-sim
 * child, a real ledger file): a bad amount creates nothing, Enter shows a QR that zbarimg
 * decodes to the order's code_url, a second Enter creates nothing, Esc hides the QR at once,
 * and the history page lists the attempts. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include "core/saoma-checkout.h"
#include "saoma-application.h"
#include "ledger/saoma-ledger-model.h"
#include "saoma-history-page.h"
#include "saoma-qr-view.h"
#include "saoma-window.h"

static SaomaApplication *app;
static SaomaWindow *window;
static char *tmp;

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    guint _id = g_timeout_add_seconds (20, timeout_cb, (gpointer) #cond);       \
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
activate_entry (const char *text)
{
  GtkWidget *entry = saoma_window_get_amount_entry (window);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "activate");
}

static char *
decode_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *png = g_build_filename (tmp, "qr.png", NULL);
  g_autofree char *cmd = g_strdup_printf ("zbarimg -q --raw --nodbus %s", png);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  char *out = NULL;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return g_strdup ("");
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, png));
  if (!g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL))
    return g_strdup ("");
  return g_strstrip (out);
}

static gboolean
item_is_late_paid (GListModel *model,
                   guint       position)
{
  g_autoptr(SaomaAttempt) attempt = g_list_model_get_item (model, position);

  return attempt != NULL && saoma_attempt_get_state (attempt) == SAOMA_ATTEMPT_PAID &&
         saoma_attempt_get_late (attempt);
}

/* The till starts after the window's first frame: an amount typed and entered before it is
 * up is kept and answered ("still starting"), not dropped in silence. */
static void
test_enter_while_starting (void)
{
  GtkWidget *entry = saoma_window_get_amount_entry (window);
  GtkWidget *status = saoma_window_get_status_label (window);

  /* No main-loop iteration since activate: the window is not painted, the till not started. */
  g_assert_null (saoma_application_get_checkout (app));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "Starting…");
  activate_entry ("5");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "5");

  /* Once it is up, typing clears the message (the checkout flow below charges). */
  WAIT_FOR (saoma_application_get_checkout (app) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  g_assert_false (gtk_widget_has_css_class (entry, "error"));
}

static void
test_checkout_flow (void)
{
  SaomaCheckout *checkout;
  GtkWidget *qr = saoma_window_get_qr_view (window);
  GtkWidget *status = saoma_window_get_status_label (window);
  GListModel *history;
  g_autofree char *decoded = NULL;
  g_autofree char *code_url = NULL;
  g_autofree char *first_order = NULL;

  WAIT_FOR (saoma_application_get_checkout (app) != NULL);
  checkout = saoma_application_get_checkout (app);
  g_assert_true (saoma_application_get_demo (app));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "Ready");

  /* A bad amount: the parse error inline, nothing created. */
  activate_entry ("12.345");
  spin (200);
  g_assert_true (gtk_widget_has_css_class (saoma_window_get_amount_entry (window), "error"));
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_NONE);
  g_assert_false (saoma_checkout_get_busy (checkout));
  g_assert_null (saoma_checkout_get_out_trade_no (checkout));

  /* Typing clears the error. */
  gtk_editable_set_text (GTK_EDITABLE (saoma_window_get_amount_entry (window)), "1");
  g_assert_false (gtk_widget_has_css_class (saoma_window_get_amount_entry (window), "error"));

  /* Enter: a QR, and it is the order's code_url. */
  activate_entry ("38.5");
  g_assert_true (saoma_checkout_get_busy (checkout));
  WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
  code_url = g_strdup (saoma_checkout_get_code_url (checkout));
  first_order = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  g_assert_cmpint (saoma_checkout_get_amount (checkout), ==, 3850);
  gtk_test_widget_wait_for_draw (qr);
  decoded = decode_widget (qr);
  g_assert_cmpstr (decoded, ==, code_url);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==,
                   "Waiting for the customer to scan");

  /* A second Enter (or a double click on Charge) while busy creates nothing. */
  activate_entry ("99");
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL) &&
                  g_strcmp0 (saoma_checkout_get_out_trade_no (checkout), first_order) != 0);
  spin (200);
  g_assert_cmpstr (saoma_checkout_get_out_trade_no (checkout), ==, first_order);
  g_assert_cmpint (saoma_checkout_get_amount (checkout), ==, 3850);

  /* Esc: the QR is gone at once, the sale is cancelled. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL));
  g_assert_null (saoma_checkout_get_code_url (checkout));
  g_assert_null (saoma_qr_view_get_text (SAOMA_QR_VIEW (qr)));
  g_assert_false (saoma_checkout_get_busy (checkout));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "Cancelled");

  /* Typing starts the next sale; the history has both attempts. */
  activate_entry ("2");
  WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);
  g_assert_cmpstr (saoma_checkout_get_out_trade_no (checkout), !=, first_order);

  history = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (saoma_window_get_history_page (window)));
  g_assert_nonnull (history);
  /* The model reads its rows asynchronously (get_item never reads): wait for them too, not
   * only for the count, whichever main-loop iteration they arrive in. */
  WAIT_FOR (g_list_model_get_n_items (history) == 2 &&
            !saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (history)));
  {
    g_autoptr(SaomaAttempt) newest = g_list_model_get_item (history, 0);
    g_autoptr(SaomaAttempt) oldest = g_list_model_get_item (history, 1);

    g_assert_cmpint (saoma_attempt_get_amount (newest), ==, 200);
    g_assert_cmpstr (saoma_attempt_get_out_trade_no (oldest), ==, first_order);
  }

  /* "Simulate customer payment": the window says paid, loud and green. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.simulate-payment", NULL));
  WAIT_FOR (saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_PAID);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "Paid");
  g_assert_true (gtk_widget_has_css_class (status, "success"));
  g_assert_null (saoma_qr_view_get_text (SAOMA_QR_VIEW (qr)));
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (saoma_window_get_late_banner (window))));

  /* The customer pays the cancelled sale after all: a late payment, announced loudly. */
  saoma_application_simulate_payment_async (app, first_order, NULL, NULL, NULL);
  WAIT_FOR (gtk_revealer_get_reveal_child (GTK_REVEALER (saoma_window_get_late_banner (window))));
  g_assert_nonnull (strstr (saoma_window_get_late_text (window), first_order));
  g_assert_nonnull (strstr (saoma_window_get_late_text (window), "¥38.50"));
  WAIT_FOR (item_is_late_paid (history, 1));

  /* After a result, typing starts the next sale. */
  gtk_editable_set_text (GTK_EDITABLE (saoma_window_get_amount_entry (window)), "5");
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_NONE);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (status)), ==, "Ready");
}

/* The quit question's dialog, when one is shown. */
static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (item) && gtk_widget_get_visible (GTK_WIDGET (item)))
        return ADW_MESSAGE_DIALOG (item);
    }
  return NULL;
}

/* Issue 12.8: closing the window or Ctrl+Q during a live sale asks; "keep" keeps selling. */
static void
test_close_asks_during_sale (void)
{
  SaomaCheckout *checkout = saoma_application_get_checkout (app);
  AdwMessageDialog *dialog;

  g_assert_null (find_message_dialog ());
  activate_entry ("7");
  WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL);

  gtk_window_close (GTK_WINDOW (window));
  spin (200);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "keep");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "keep");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  /* Esc closes the dialog: its close response is "keep". */
  gtk_window_close (GTK_WINDOW (dialog));
  spin (200);
  g_assert_null (find_message_dialog ());
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (saoma_checkout_get_code_url (checkout));

  /* Ctrl+Q is app.quit: the same question. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  spin (200);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  gtk_window_close (GTK_WINDOW (dialog));
  spin (200);
  g_assert_null (find_message_dialog ());
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (saoma_checkout_get_code_url (checkout));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL));
}

/* A sale the last run left unfinished and paid after the restart (the engine emits
 * "late-payment::resumed", tests/core/test-checkout.c): the banner does not say that anyone
 * gave it up, and still offers the decision. */
static void
test_late_after_restart_wording (void)
{
  SaomaCheckout *checkout = saoma_application_get_checkout (app);
  g_autoptr(SaomaAttempt) attempt = saoma_attempt_new ("T01RESUMEDLATE0001", 1234, "resumed",
                                                       "T01", 0, 300 * G_USEC_PER_SEC);

  g_signal_emit_by_name (checkout, "late-payment::resumed", attempt);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (saoma_window_get_late_banner (window))));
  g_assert_nonnull (strstr (saoma_window_get_late_text (window), "T01RESUMEDLATE0001"));
  g_assert_nonnull (strstr (saoma_window_get_late_text (window), "¥12.34"));
  g_assert_nonnull (strstr (saoma_window_get_late_text (window),
                            "left unfinished when Saoma last closed"));
  g_assert_null (strstr (saoma_window_get_late_text (window), "given up"));
  gtk_revealer_set_reveal_child (GTK_REVEALER (saoma_window_get_late_banner (window)), FALSE);
}

/* The button of @root that activates @action, or NULL. */
static GtkWidget *
find_action_button (GtkWidget  *root,
                    const char *action)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child)
          && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action) == 0)
        return child;
      if ((found = find_action_button (child, action)) != NULL)
        return found;
    }
  return NULL;
}

/* Several late payments wait (issue 12.6): the cashier's banner reads them from the ledger and
 * its second button lists them in History ("Needs a decision"). */
static void
test_late_payments_listed (void)
{
  SaomaCheckout *checkout = saoma_application_get_checkout (app);
  GListModel *history = saoma_history_page_get_model (
    SAOMA_HISTORY_PAGE (saoma_window_get_history_page (window)));
  GtkWidget *review = find_action_button (GTK_WIDGET (window), "win.review-late-payments");
  GtkWidget *cancel = find_action_button (GTK_WIDGET (window), "win.cancel");
  g_autofree char *order = NULL;

  g_assert_nonnull (review);
  g_assert_nonnull (cancel);
  activate_entry ("3");
  /* The sale's buttons change with its texts, one frame after the code (code_first() in
   * saoma-window.c): Cancel can be clicked from then on (Esc works at once). */
  WAIT_FOR (saoma_checkout_get_code_url (checkout) != NULL && gtk_widget_is_sensitive (cancel));
  order = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL));
  saoma_application_simulate_payment_async (app, order, NULL, NULL, NULL);
  WAIT_FOR (gtk_revealer_get_reveal_child (GTK_REVEALER (saoma_window_get_late_banner (window)))
            && strstr (saoma_window_get_late_text (window), order) != NULL);
  /* The first sale's late payment (checkout-flow) waits too. */
  WAIT_FOR (gtk_widget_get_visible (review) && gtk_widget_is_sensitive (review));
  gtk_widget_activate (review);
  WAIT_FOR (!saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (history))
            && g_list_model_get_n_items (history) == 2
            && item_is_late_paid (history, 0) && item_is_late_paid (history, 1));
  saoma_window_show_page (window, "checkout");
}

static void
activate_cb (GApplication *application)
{
  window = SAOMA_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (application)));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_setenv ("LANGUAGE", "en", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  tmp = g_dir_make_tmp ("saoma-test-window-XXXXXX", NULL);
  data = g_build_filename (tmp, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }
  if (!g_find_program_in_path ("zbarimg"))
    {
      g_print ("1..0 # SKIP zbarimg is not installed\n");
      return 77;
    }

  app = saoma_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_cb), NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  g_assert_nonnull (window);

  g_test_add_func ("/window/enter-while-starting", test_enter_while_starting);
  g_test_add_func ("/window/checkout-flow", test_checkout_flow);
  g_test_add_func ("/window/close-asks-during-sale", test_close_asks_during_sale);
  g_test_add_func ("/window/late-payments-listed", test_late_payments_listed);
  g_test_add_func ("/window/late-after-restart-wording", test_late_after_restart_wording);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  /* Disposing the application stops the demo simulator. */
  g_clear_object (&app);
  return ret;
}
