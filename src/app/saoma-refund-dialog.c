/* saoma-refund-dialog.c: refund a paid order behind the manager PIN, until WeChat says SUCCESS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-refund-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-money.h"
#include "core/saoma-pin.h"
#include "core/saoma-till.h"
#include "saoma-application.h"
#include "saoma-pin-dialog.h"
#include "saoma-receipt.h"
#include "saoma-refund-dialog.h"

struct _SaomaRefundDialog
{
  AdwWindow          parent_instance;

  SaomaApplication  *app;      /* the settings, the store name, the manager PIN's guard */
  SaomaRefunder     *refunder;
  SaomaStore        *store;
  GCancellable      *cancellable;
  char              *out_trade_no;
  SaomaAttempt      *attempt;
  SaomaLedgerRefund *done;
  gint64             left;
  gboolean           running;

  GtkLabel          *summary_label;
  GtkListBox        *form_list;
  AdwEntryRow       *amount_row;
  AdwEntryRow       *reason_row;
  AdwEntryRow       *pin_row;
  GtkButton         *refund_button;
  GtkButton         *receipt_button;
  GtkButton         *close_button;
  GtkSpinner        *spinner;
  GtkLabel          *status_label;
};

G_DEFINE_FINAL_TYPE (SaomaRefundDialog, saoma_refund_dialog, ADW_TYPE_WINDOW)

/* The dialog --------------------------------------------------------------------------- */

static void
set_status (SaomaRefundDialog *self,
            const char        *text,
            const char        *style)
{
  gtk_label_set_text (self->status_label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "success");
  if (style != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), style);
}

static void
update_sensitivity (SaomaRefundDialog *self)
{
  gboolean can = self->attempt != NULL && self->left > 0 && !self->running && self->done == NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->form_list), can);
  gtk_widget_set_sensitive (GTK_WIDGET (self->refund_button), can);
  gtk_spinner_set_spinning (self->spinner, self->running);
}

static void
update_summary (SaomaRefundDialog *self)
{
  g_autofree char *paid = saoma_money_format (saoma_attempt_get_amount (self->attempt));
  g_autofree char *left = saoma_money_format (self->left);
  g_autofree char *text = NULL;

  /* Translators: order number, amount paid, amount that can still be refunded. */
  text = g_strdup_printf (_("Order %s\nPaid %s · left to refund %s"),
                          saoma_attempt_get_out_trade_no (self->attempt), paid, left);
  gtk_label_set_text (self->summary_label, text);
}

static void
refunds_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SaomaRefundDialog) self = user_data;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *left_text = NULL;
  gint64 committed = 0;

  refunds = saoma_store_list_refunds_finish (SAOMA_STORE (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (refunds == NULL)
    {
      set_status (self, error->message, "error");
      return;
    }

  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *r = g_ptr_array_index (refunds, i);

      if (r->state != SAOMA_REFUND_FAILED && r->state != SAOMA_REFUND_REFUNDCLOSE)
        committed += r->amount;
    }
  self->left = MAX (0, saoma_attempt_get_amount (self->attempt) - committed);
  update_summary (self);

  left_text = saoma_money_format_plain (self->left);
  gtk_editable_set_text (GTK_EDITABLE (self->amount_row), left_text);

  if (self->left <= 0)
    set_status (self, _("Nothing is left to refund on this order."), NULL);
  else if (saoma_refunder_get_gateway (self->refunder) == NULL
           || !saoma_gateway_has_certificate (saoma_refunder_get_gateway (self->refunder)))
    set_status (self, _("Refunds need the merchant client certificate (apiclient_cert). "
                        "Choose it in Preferences."), "error");
  else if (saoma_pin_dialog_get_problem (self->app) != NULL)
    set_status (self, saoma_pin_dialog_get_problem (self->app), "error");

  update_sensitivity (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
}

static void
attempt_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SaomaRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  SaomaAttempt *attempt;
  SaomaAttemptState state;

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_object (&attempt);
      return;
    }
  if (attempt == NULL)
    {
      set_status (self, error->message, "error");
      return;
    }

  g_set_object (&self->attempt, attempt);
  g_object_unref (attempt);
  state = saoma_attempt_get_state (attempt);
  if (state != SAOMA_ATTEMPT_PAID && state != SAOMA_ATTEMPT_PARTIALLY_REFUNDED)
    {
      self->left = 0;
      update_summary (self);
      set_status (self, state == SAOMA_ATTEMPT_REFUNDED
                          ? _("This order has already been refunded in full.")
                          : _("Only a paid order can be refunded."), NULL);
      update_sensitivity (self);
      return;
    }

  saoma_store_list_refunds_async (self->store, self->out_trade_no, 0, 0, self->cancellable,
                                  refunds_loaded_cb, g_object_ref (self));
}

static void
refund_updated_cb (SaomaRefunder     *refunder,
                   SaomaLedgerRefund *row,
                   SaomaRefundDialog *self)
{
  if (!self->running || g_strcmp0 (row->out_trade_no, self->out_trade_no) != 0)
    return;

  switch (row->state)
    {
    case SAOMA_REFUND_CREATED:
      set_status (self, _("Refund recorded. Sending it to WeChat Pay…"), NULL);
      break;
    case SAOMA_REFUND_UNKNOWN:
      set_status (self, _("No clear answer from WeChat Pay yet. Trying again with the same "
                          "refund number, so the customer is refunded only once…"), NULL);
      break;
    case SAOMA_REFUND_PROCESSING:
      set_status (self, _("WeChat Pay accepted the refund and is processing it. Waiting for "
                          "the result…"), NULL);
      break;
    case SAOMA_REFUND_SUCCESS:
    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
    case SAOMA_REFUND_FAILED:
    default:
      /* The final word comes with the completion. */
      break;
    }
}

static void
refund_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SaomaRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  SaomaLedgerRefund *row;

  row = saoma_refunder_refund_finish (SAOMA_REFUNDER (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_pointer (&row, saoma_store_refund_free);
      return;
    }

  self->running = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->pin_row), "");

  if (row == NULL)
    {
      set_status (self, error->message, "error");
      update_sensitivity (self);
      if (g_error_matches (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG)
          || g_error_matches (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_THROTTLED))
        gtk_widget_grab_focus (GTK_WIDGET (self->pin_row));
      else
        gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
      return;
    }

  self->done = row;
  self->left = MAX (0, self->left - row->amount);
  update_summary (self);
  {
    g_autofree char *amount = saoma_money_format (row->amount);
    g_autofree char *text = g_strdup_printf (_("Refunded %s. WeChat Pay confirmed the refund."),
                                             amount);

    set_status (self, text, "success");
  }
  gtk_button_set_label (self->close_button, _("_Close"));
  gtk_widget_set_visible (GTK_WIDGET (self->refund_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_button), TRUE);
  update_sensitivity (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->receipt_button));
}

static void
refund_clicked_cb (SaomaRefundDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->amount_row));
  g_autoptr(GError) error = NULL;
  gint64 amount = 0;

  if (self->running || self->done != NULL || self->attempt == NULL)
    return;

  /* Parsed like a charge: the same strict rules, over what is left on the order. */
  if (!saoma_money_parse (text, G_MAXINT64 / 2, &amount, &error))
    {
      set_status (self, error->message, "error");
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
      return;
    }
  if (amount > self->left)
    {
      g_autofree char *asked = saoma_money_format (amount);
      g_autofree char *left = saoma_money_format (self->left);
      g_autofree char *message = g_strdup_printf (_("Cannot refund %s: only %s is left to "
                                                    "refund on this order."), asked, left);

      set_status (self, message, "error");
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
      return;
    }

  self->running = TRUE;
  update_sensitivity (self);
  set_status (self, _("Checking the manager PIN…"), NULL);
  saoma_refunder_refund_async (self->refunder, self->out_trade_no, amount,
                               gtk_editable_get_text (GTK_EDITABLE (self->reason_row)),
                               gtk_editable_get_text (GTK_EDITABLE (self->pin_row)),
                               self->cancellable, refund_done_cb, g_object_ref (self));
}

static void
full_clicked_cb (SaomaRefundDialog *self)
{
  g_autofree char *text = saoma_money_format_plain (self->left);

  gtk_editable_set_text (GTK_EDITABLE (self->amount_row), text);
}

static void
receipt_clicked_cb (SaomaRefundDialog *self)
{
  GSettings *settings = saoma_application_get_settings (self->app);
  g_autofree char *store = saoma_application_dup_store_name (self->app);
  g_autofree char *till = g_settings_get_string (settings, "till-id");
  g_autoptr(SaomaReceipt) receipt = NULL;

  if (self->done == NULL || self->attempt == NULL)
    return;

  receipt = saoma_receipt_new_for_refund (self->attempt, self->done, store, till);
  saoma_receipt_print (receipt, GTK_WINDOW (self), SAOMA_RECEIPT_ROLL_80MM);
}

static void
saoma_refund_dialog_dispose (GObject *object)
{
  SaomaRefundDialog *self = SAOMA_REFUND_DIALOG (object);

  /* Stops waiting; the refund itself goes on in the refunder. */
  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_REFUND_DIALOG);

  G_OBJECT_CLASS (saoma_refund_dialog_parent_class)->dispose (object);
}

static void
saoma_refund_dialog_finalize (GObject *object)
{
  SaomaRefundDialog *self = SAOMA_REFUND_DIALOG (object);

  g_clear_object (&self->app);
  g_clear_object (&self->refunder);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->attempt);
  g_clear_pointer (&self->done, saoma_store_refund_free);
  g_free (self->out_trade_no);

  G_OBJECT_CLASS (saoma_refund_dialog_parent_class)->finalize (object);
}

static void
saoma_refund_dialog_class_init (SaomaRefundDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_refund_dialog_dispose;
  object_class->finalize = saoma_refund_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-refund-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, form_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, amount_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, pin_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, refund_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, receipt_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, close_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaRefundDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, refund_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, full_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, receipt_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
saoma_refund_dialog_init (SaomaRefundDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWindow *
saoma_refund_dialog_new (GtkWindow        *parent,
                         SaomaTill        *till,
                         SaomaApplication *app,
                         const char       *out_trade_no)
{
  SaomaRefundDialog *self;
  SaomaRefunder *refunder;

  g_return_val_if_fail (SAOMA_IS_TILL (till), NULL);
  g_return_val_if_fail (SAOMA_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (out_trade_no != NULL, NULL);

  refunder = saoma_till_get_refunder (till);
  if (refunder == NULL)
    {
      g_warning ("Refunds are not available before the till is ready");
      return NULL;
    }

  self = g_object_new (SAOMA_TYPE_REFUND_DIALOG, "transient-for", parent, NULL);
  self->app = g_object_ref (app);
  self->refunder = g_object_ref (refunder);
  self->store = g_object_ref (saoma_till_get_store (till));
  self->out_trade_no = g_strdup (out_trade_no);
  gtk_label_set_text (self->summary_label, out_trade_no);
  g_signal_connect_object (refunder, "refund-updated", G_CALLBACK (refund_updated_cb), self, 0);

  saoma_store_get_attempt_async (self->store, out_trade_no, self->cancellable,
                                 attempt_loaded_cb, g_object_ref (self));

  return GTK_WINDOW (self);
}
