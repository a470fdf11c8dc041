/* saoma-attempt-dialog.c: one payment attempt, its audit timeline and "Query now". */
#define G_LOG_DOMAIN "saoma-attempt-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-money.h"
#include "ledger/saoma-store.h"

#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-messages.h"
#include "saoma-receipt.h"
#include "saoma-refund-dialog.h"

struct _SaomaAttemptDialog
{
  AdwWindow        parent_instance;

  SaomaStore      *store;   /* the ledger, through the storage interface only */
  SaomaCheckout   *checkout;
  GCancellable    *cancellable;
  char            *out_trade_no;
  SaomaAttempt    *attempt;

  AdwToastOverlay *toast_overlay;
  GtkButton       *query_button;
  GtkLabel        *amount_label;
  GtkLabel        *state_label;
  GtkListBox      *fields_list;
  GtkListBox      *events_list;
};

G_DEFINE_FINAL_TYPE (SaomaAttemptDialog, saoma_attempt_dialog, ADW_TYPE_WINDOW)

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (usec <= 0)
    return NULL;

  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return NULL;
  local = g_date_time_to_local (utc);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

static void
remove_all_rows (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_field (SaomaAttemptDialog *self,
           const char         *title,
           const char         *value)
{
  GtkWidget *row;
  GtkWidget *label;

  if (value == NULL || value[0] == '\0')
    return;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  label = gtk_label_new (value);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_tooltip_text (label, value);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_list_box_append (self->fields_list, row);
}

static void
show_attempt (SaomaAttemptDialog *self)
{
  SaomaAttempt *attempt = self->attempt;
  SaomaAttemptState state = saoma_attempt_get_state (attempt);
  const char *classes[] = { "state-badge", saoma_messages_state_style (state), NULL };
  g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (attempt));
  g_autofree char *created = format_time (saoma_attempt_get_created (attempt));
  g_autofree char *expires = format_time (saoma_attempt_get_expires (attempt));
  g_autofree char *paid_at = format_time (saoma_attempt_get_paid_at (attempt));
  g_autofree char *refunded = NULL;

  gtk_label_set_text (self->amount_label, amount);
  gtk_label_set_text (self->state_label, saoma_messages_state_label (state));
  gtk_widget_set_css_classes (GTK_WIDGET (self->state_label), classes);

  if (saoma_attempt_get_refunded (attempt) > 0)
    refunded = saoma_money_format (saoma_attempt_get_refunded (attempt));

  remove_all_rows (self->fields_list);
  add_field (self, _("Order number"), saoma_attempt_get_out_trade_no (attempt));
  add_field (self, _("Transaction ID"), saoma_attempt_get_transaction_id (attempt));
  add_field (self, _("Description"), saoma_attempt_get_description (attempt));
  add_field (self, _("Till"), saoma_attempt_get_till_id (attempt));
  add_field (self, _("Created"), created);
  add_field (self, _("QR code valid until"), expires);
  add_field (self, _("Paid at"), paid_at);
  add_field (self, _("Refunded"), refunded);
  if (saoma_attempt_get_late (attempt))
    add_field (self, _("Late payment"), _("Paid after the sale was given up"));

  /* Only an attempt that is not final can be asked about. */
  gtk_widget_set_visible (GTK_WIDGET (self->query_button),
                          self->checkout != NULL && !saoma_attempt_state_is_final (state));

  /* Refunds and receipts (issue 7): for money that was paid. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attempt.refund",
                                 state == SAOMA_ATTEMPT_PAID
                                 || state == SAOMA_ATTEMPT_PARTIALLY_REFUNDED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attempt.print-receipt",
                                 state == SAOMA_ATTEMPT_PAID
                                 || state == SAOMA_ATTEMPT_PARTIALLY_REFUNDED
                                 || state == SAOMA_ATTEMPT_REFUNDED);
}

static void
refund_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SaomaAttemptDialog *self = SAOMA_ATTEMPT_DIALOG (widget);
  GApplication *app = g_application_get_default ();
  GtkWindow *dialog;

  if (!SAOMA_IS_APPLICATION (app) || saoma_application_get_till (SAOMA_APPLICATION (app)) == NULL)
    return;
  dialog = saoma_refund_dialog_new (GTK_WINDOW (self),
                                    saoma_application_get_till (SAOMA_APPLICATION (app)),
                                    SAOMA_APPLICATION (app), self->out_trade_no);
  if (dialog != NULL)
    gtk_window_present (dialog);
}

static void
print_receipt_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  SaomaAttemptDialog *self = SAOMA_ATTEMPT_DIALOG (widget);
  GApplication *app = g_application_get_default ();
  g_autofree char *store = NULL;
  g_autofree char *till = NULL;
  g_autoptr(SaomaReceipt) receipt = NULL;

  if (self->attempt == NULL)
    return;
  if (SAOMA_IS_APPLICATION (app))
    {
      store = saoma_application_dup_store_name (SAOMA_APPLICATION (app));
      till = g_settings_get_string (saoma_application_get_settings (SAOMA_APPLICATION (app)),
                                    "till-id");
    }
  receipt = saoma_receipt_new_for_payment (self->attempt, store, till);
  saoma_receipt_print (receipt, GTK_WINDOW (self), SAOMA_RECEIPT_ROLL_80MM);
}

static void
events_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SaomaAttemptDialog) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = saoma_store_list_events_finish (SAOMA_STORE (object), result, &error);
  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot list the events of %s: %s", self->out_trade_no, error->message);
      return;
    }

  remove_all_rows (self->events_list);
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);
      g_autofree char *time = format_time (event->time);
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", time ? time : "", event->kind);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), event->detail);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (self->events_list, row);
    }

  if (events->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No events recorded"));
      gtk_list_box_append (self->events_list, row);
    }
}

static void
attempt_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SaomaAttemptDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  SaomaAttempt *attempt;

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (object), result, &error);
  if (attempt == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->amount_label, _("This payment is not in the records."));
      return;
    }

  g_clear_object (&self->attempt);
  self->attempt = attempt;
  show_attempt (self);
}

static void
reload (SaomaAttemptDialog *self)
{
  saoma_store_get_attempt_async (self->store, self->out_trade_no, self->cancellable,
                                 attempt_cb, g_object_ref (self));
  saoma_store_list_events_async (self->store, self->out_trade_no, self->cancellable,
                                 events_cb, g_object_ref (self));
}

static void
attempt_changed_cb (SaomaAttemptDialog *self,
                    SaomaAttempt       *attempt,
                    SaomaStore         *store)
{
  if (g_strcmp0 (saoma_attempt_get_out_trade_no (attempt), self->out_trade_no) != 0)
    return;

  g_set_object (&self->attempt, attempt);
  show_attempt (self);
  saoma_store_list_events_async (self->store, self->out_trade_no, self->cancellable,
                                 events_cb, g_object_ref (self));
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  SaomaAttemptDialog *self = user_data;

  if (!g_cancellable_is_cancelled (self->cancellable))
    reload (self);

  return G_SOURCE_REMOVE;
}

static void
query_clicked_cb (SaomaAttemptDialog *self,
                  GtkButton          *button)
{
  if (self->checkout == NULL)
    return;

  saoma_checkout_query_now (self->checkout, self->out_trade_no);
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Asking WeChat Pay about this payment…")));
  /* The answer arrives as an attempt-changed, or only as a new event (still not paid). */
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 2, reload_timeout_cb, g_object_ref (self),
                              g_object_unref);
}

static void
saoma_attempt_dialog_dispose (GObject *object)
{
  SaomaAttemptDialog *self = (SaomaAttemptDialog *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->checkout);
  g_clear_object (&self->attempt);

  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_ATTEMPT_DIALOG);

  G_OBJECT_CLASS (saoma_attempt_dialog_parent_class)->dispose (object);
}

static void
saoma_attempt_dialog_finalize (GObject *object)
{
  SaomaAttemptDialog *self = (SaomaAttemptDialog *) object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->out_trade_no, g_free);

  G_OBJECT_CLASS (saoma_attempt_dialog_parent_class)->finalize (object);
}

static void
saoma_attempt_dialog_class_init (SaomaAttemptDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_attempt_dialog_dispose;
  object_class->finalize = saoma_attempt_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-attempt-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, query_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, amount_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, state_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, fields_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, events_list);
  gtk_widget_class_bind_template_callback (widget_class, query_clicked_cb);
  gtk_widget_class_install_action (widget_class, "attempt.refund", NULL, refund_action);
  gtk_widget_class_install_action (widget_class, "attempt.print-receipt", NULL,
                                   print_receipt_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
saoma_attempt_dialog_init (SaomaAttemptDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attempt.refund", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "attempt.print-receipt", FALSE);
}

/**
 * saoma_attempt_dialog_new:
 * @parent: (nullable): the window it is transient for
 * @store: (type SaomaStore): the store the attempt is read from
 * @checkout: (nullable): enables "Query now" for a non-final attempt
 * @out_trade_no: the attempt to show
 *
 * Returns: (transfer none): the dialog, not yet shown, owned by GTK like every toplevel
 */
GtkWindow *
saoma_attempt_dialog_new (GtkWindow     *parent,
                          gpointer       store,
                          SaomaCheckout *checkout,
                          const char    *out_trade_no)
{
  SaomaAttemptDialog *self;

  g_return_val_if_fail (SAOMA_IS_STORE (store), NULL);
  g_return_val_if_fail (!checkout || SAOMA_IS_CHECKOUT (checkout), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  self = g_object_new (SAOMA_TYPE_ATTEMPT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->store = g_object_ref (store);
  self->checkout = checkout ? g_object_ref (checkout) : NULL;
  self->out_trade_no = g_strdup (out_trade_no);
  gtk_label_set_text (self->amount_label, "");

  g_signal_connect_object (store, "attempt-changed", G_CALLBACK (attempt_changed_cb), self,
                           G_CONNECT_SWAPPED);
  reload (self);

  return GTK_WINDOW (self);
}
