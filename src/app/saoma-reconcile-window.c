/* saoma-reconcile-window.c: WeChat's bill against the ledger, and what to do about each line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-reconcile-window"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/saoma-money.h"
#include "core/saoma-reconcile.h"
#include "core/saoma-till.h"
#include "ledger/saoma-store.h"
#include "saoma-attempt-dialog.h"
#include "saoma-day-picker.h"
#include "saoma-message-bar.h"
#include "saoma-messages.h"
#include "saoma-reconcile-window.h"

struct _SaomaReconcileWindow
{
  AdwWindow             parent_instance;

  SaomaTill            *till;
  SaomaReconcile       *result;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  GDate                 date;
  gboolean              running;

  SaomaMessageBar      *message_bar;
  GtkMenuButton        *date_button;
  GtkCalendar          *calendar;
  GtkSpinner           *spinner;
  GtkLabel             *summary_label;
  GtkColumnView        *column_view;
};

G_DEFINE_FINAL_TYPE (SaomaReconcileWindow, saoma_reconcile_window, ADW_TYPE_WINDOW)

typedef enum {
  COL_KIND,
  COL_NUMBER,
  COL_METHOD,
  COL_TIME,
  COL_WECHAT,
  COL_LOCAL,
  COL_DETAIL,
  COL_ACTION,
} Column;

static void
toast (SaomaReconcileWindow *self,
       const char           *text)
{
  /* On a line of its own, never over the comparison (issue 12.13). */
  saoma_message_bar_show (self->message_bar, text, 10);
}

static const char *
kind_label (SaomaReconcileKind kind)
{
  switch (kind)
    {
    case SAOMA_RECONCILE_MATCHED:
      return _("Matched");
    case SAOMA_RECONCILE_ONLY_WECHAT:
      return _("Only at WeChat");
    case SAOMA_RECONCILE_ONLY_LOCAL:
      return _("Only in the till");
    case SAOMA_RECONCILE_AMOUNT_MISMATCH:
      return _("Amount differs");
    case SAOMA_RECONCILE_STATE_MISMATCH:
      return _("State differs");
    case SAOMA_RECONCILE_REFUND_MATCHED:
      return _("Refund matched");
    case SAOMA_RECONCILE_REFUND_ONLY_WECHAT:
      return _("Refund only at WeChat");
    case SAOMA_RECONCILE_REFUND_ONLY_LOCAL:
      return _("Refund only in the till");
    case SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH:
      return _("Refund amount differs");
    case SAOMA_RECONCILE_REFUND_STATE_MISMATCH:
      return _("Refund state differs");
    default:
      return "";
    }
}

/* What a line means and what to do, in the manager's words (the technical detail from the
 * engine is the tooltip). */
static const char *
kind_explanation (SaomaReconcileKind kind)
{
  switch (kind)
    {
    case SAOMA_RECONCILE_ONLY_WECHAT:
      return _("Paid at WeChat, missing in the till: record it, then deliver or refund.");
    case SAOMA_RECONCILE_ONLY_LOCAL:
      return _("Paid in the till, not on WeChat's bill: query it.");
    case SAOMA_RECONCILE_AMOUNT_MISMATCH:
      return _("The amounts differ: check the payment.");
    case SAOMA_RECONCILE_STATE_MISMATCH:
      return _("WeChat and the till disagree on the state: query it.");
    case SAOMA_RECONCILE_REFUND_ONLY_WECHAT:
      return _("Refunded at WeChat, not recorded in the till.");
    case SAOMA_RECONCILE_REFUND_ONLY_LOCAL:
      return _("Refund in the till, not on WeChat's bill: follow it.");
    case SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH:
      return _("The refund amounts differ: check the refund.");
    case SAOMA_RECONCILE_REFUND_STATE_MISMATCH:
      return _("WeChat and the till disagree on the refund: follow it.");
    case SAOMA_RECONCILE_MATCHED:
    case SAOMA_RECONCILE_REFUND_MATCHED:
    default:
      return "";
    }
}

/* What the button of a line does. */
typedef enum {
  ACTION_NONE,
  ACTION_QUERY,
  ACTION_RECORD,
  ACTION_FOLLOW,
  ACTION_DETAILS,
} LineAction;

static LineAction
line_action (SaomaReconcileKind kind)
{
  switch (kind)
    {
    case SAOMA_RECONCILE_ONLY_LOCAL:
    case SAOMA_RECONCILE_STATE_MISMATCH:
      return ACTION_QUERY;
    case SAOMA_RECONCILE_ONLY_WECHAT:
      return ACTION_RECORD;
    case SAOMA_RECONCILE_REFUND_ONLY_LOCAL:
    case SAOMA_RECONCILE_REFUND_STATE_MISMATCH:
      return ACTION_FOLLOW;
    case SAOMA_RECONCILE_AMOUNT_MISMATCH:
    case SAOMA_RECONCILE_REFUND_AMOUNT_MISMATCH:
    case SAOMA_RECONCILE_REFUND_ONLY_WECHAT:
      return ACTION_DETAILS;
    case SAOMA_RECONCILE_MATCHED:
    case SAOMA_RECONCILE_REFUND_MATCHED:
    default:
      return ACTION_NONE;
    }
}

static const char *
action_label (LineAction action)
{
  switch (action)
    {
    case ACTION_QUERY:
      return _("Query");
    case ACTION_RECORD:
      return _("Record");
    case ACTION_FOLLOW:
      return _("Follow");
    case ACTION_DETAILS:
      return _("Details");
    case ACTION_NONE:
    default:
      return NULL;
    }
}

static const char *
action_tooltip (LineAction action)
{
  switch (action)
    {
    case ACTION_QUERY:
      return _("Ask WeChat Pay for the state of this payment now");
    case ACTION_RECORD:
      return _("Record this payment in the ledger, so it can be delivered or refunded");
    case ACTION_FOLLOW:
      return _("Ask WeChat Pay for the state of this refund until it is final");
    case ACTION_DETAILS:
      return _("Show the payment and its timeline");
    case ACTION_NONE:
    default:
      return NULL;
    }
}

/* Record a payment found only at WeChat ---------------------------------------------------- */

typedef struct {
  SaomaReconcileWindow *self;
  SaomaReconcileItem   *item;
} RecordData;

static void
record_data_free (RecordData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->item);
  g_free (data);
}

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RecordData *data = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;

  attempt = saoma_store_update_attempt_finish (SAOMA_STORE (source), result, &error);
  if (!g_cancellable_is_cancelled (data->self->cancellable))
    {
      if (attempt == NULL)
        toast (data->self, error->message);
      else
        {
          toast (data->self, _("Payment recorded. Deliver the goods, or refund it from the "
                               "history."));
          saoma_reconcile_window_compare (data->self);
        }
    }
  record_data_free (data);
}

static void
inserted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RecordData *data = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  SaomaAttemptUpdate update = { 0 };

  attempt = saoma_store_insert_attempt_finish (SAOMA_STORE (source), result, &error);
  if (attempt == NULL)
    {
      if (!g_cancellable_is_cancelled (data->self->cancellable))
        toast (data->self, error->message);
      record_data_free (data);
      return;
    }

  update.state = SAOMA_ATTEMPT_PAID;
  update.transaction_id = saoma_reconcile_item_get_transaction_id (data->item);
  update.paid_at = saoma_reconcile_item_get_time (data->item);
  update.event_kind = "transition";
  update.event_detail = "recorded from WeChat's bill (reconciliation: paid only at WeChat)";
  saoma_store_update_attempt_async (SAOMA_STORE (source),
                                    saoma_reconcile_item_get_out_trade_no (data->item), &update,
                                    NULL, recorded_cb, data);
}

static void
record_payment (SaomaReconcileWindow *self,
                SaomaReconcileItem   *item)
{
  SaomaStore *store = saoma_till_get_store (self->till);
  const char *till = saoma_till_get_config (self->till)->till_id;
  g_autoptr(SaomaAttempt) attempt = NULL;
  gint64 when = saoma_reconcile_item_get_time (item);
  RecordData *data;

  if (store == NULL || saoma_reconcile_item_get_wechat_amount (item) <= 0)
    return;

  attempt = saoma_attempt_new (saoma_reconcile_item_get_out_trade_no (item),
                               saoma_reconcile_item_get_wechat_amount (item),
                               _("Recorded from WeChat's bill"), till, when, when);
  data = g_new0 (RecordData, 1);
  data->self = g_object_ref (self);
  data->item = g_object_ref (item);
  saoma_store_insert_attempt_async (store, attempt, NULL, inserted_cb, data);
}

static void
followed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SaomaReconcileWindow) self = user_data;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;

  row = saoma_refunder_follow_finish (SAOMA_REFUNDER (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (row == NULL)
    toast (self, error->message);
  else
    {
      g_autofree char *amount = saoma_money_format (row->amount);
      g_autofree char *text = g_strdup_printf (_("Refund %s of %s: WeChat Pay confirmed it."),
                                               row->out_refund_no, amount);

      toast (self, text);
    }
}

static void
action_clicked_cb (GtkButton            *button,
                   SaomaReconcileWindow *self)
{
  GtkListItem *list_item = g_object_get_data (G_OBJECT (button), "list-item");
  SaomaReconcileItem *item = gtk_list_item_get_item (list_item);
  SaomaCheckout *checkout = saoma_till_get_checkout (self->till);
  const char *out_trade_no;

  if (item == NULL)
    return;
  out_trade_no = saoma_reconcile_item_get_out_trade_no (item);

  switch (line_action (saoma_reconcile_item_get_kind (item)))
    {
    case ACTION_QUERY:
      if (checkout != NULL)
        {
          saoma_checkout_query_now (checkout, out_trade_no);
          toast (self, _("Asked WeChat Pay. Compare again in a moment."));
        }
      break;

    case ACTION_RECORD:
      record_payment (self, item);
      break;

    case ACTION_FOLLOW:
      {
        SaomaRefunder *refunder = saoma_till_get_refunder (self->till);

        if (refunder != NULL)
          {
            saoma_refunder_follow_async (refunder, saoma_reconcile_item_get_out_refund_no (item),
                                         self->cancellable, followed_cb, g_object_ref (self));
            toast (self, _("Following the refund with WeChat Pay…"));
          }
      }
      break;

    case ACTION_DETAILS:
      gtk_window_present (saoma_attempt_dialog_new (GTK_WINDOW (self),
                                                    saoma_till_get_ledger (self->till),
                                                    checkout, out_trade_no));
      break;

    case ACTION_NONE:
    default:
      break;
    }
}

/* Columns ------------------------------------------------------------------------------ */

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  GtkWidget *widget;

  if (column == COL_ACTION)
    {
      widget = gtk_button_new ();
      gtk_widget_add_css_class (widget, "flat");
      g_object_set_data (G_OBJECT (widget), "list-item", list_item);
      g_signal_connect (widget, "clicked", G_CALLBACK (action_clicked_cb), user_data);
    }
  else
    {
      widget = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (widget),
                            column == COL_WECHAT || column == COL_LOCAL ? 1.0 : 0.0);
      if (column == COL_DETAIL)
        {
          gtk_label_set_wrap (GTK_LABEL (widget), TRUE);
          gtk_label_set_width_chars (GTK_LABEL (widget), 24);
          gtk_label_set_max_width_chars (GTK_LABEL (widget), 48);
        }
      if (column == COL_WECHAT || column == COL_LOCAL || column == COL_NUMBER
          || column == COL_TIME)
        gtk_widget_add_css_class (widget, "numeric");
      gtk_label_set_selectable (GTK_LABEL (widget), column == COL_NUMBER);
    }
  gtk_list_item_set_child (list_item, widget);
}

static char *
amount_text (gint64 fen)
{
  return fen >= 0 ? saoma_money_format (fen) : g_strdup ("—");
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "column"));
  SaomaReconcileItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *widget = gtk_list_item_get_child (list_item);
  SaomaReconcileKind kind = saoma_reconcile_item_get_kind (item);
  g_autofree char *text = NULL;

  switch (column)
    {
    case COL_KIND:
      gtk_label_set_text (GTK_LABEL (widget), kind_label (kind));
      gtk_widget_remove_css_class (widget, "error");
      gtk_widget_remove_css_class (widget, "success");
      gtk_widget_add_css_class (widget, saoma_reconcile_kind_is_problem (kind) ? "error"
                                                                               : "success");
      break;

    case COL_NUMBER:
      if (saoma_reconcile_kind_is_refund (kind))
        text = g_strdup_printf ("%s\n%s", saoma_reconcile_item_get_out_refund_no (item),
                                saoma_reconcile_item_get_out_trade_no (item));
      else
        text = g_strdup (saoma_reconcile_item_get_out_trade_no (item));
      gtk_label_set_text (GTK_LABEL (widget), text);
      break;

    case COL_METHOD:
      {
        const char *name = saoma_reconcile_item_get_method (item);
        SaomaPaymentMethod method;

        /* The ledger's or the bill's word for it; another trade type as WeChat spells it. */
        if (name != NULL && saoma_payment_method_from_string (name, &method))
          gtk_label_set_text (GTK_LABEL (widget), saoma_messages_method_label (method));
        else
          gtk_label_set_text (GTK_LABEL (widget), name != NULL ? name : "");
      }
      break;

    case COL_TIME:
      if (saoma_reconcile_item_get_time (item) > 0)
        text = saoma_reconcile_format_time (saoma_reconcile_item_get_time (item));
      gtk_label_set_text (GTK_LABEL (widget), text ? text : "");
      break;

    case COL_WECHAT:
      text = amount_text (saoma_reconcile_item_get_wechat_amount (item));
      gtk_label_set_text (GTK_LABEL (widget), text);
      break;

    case COL_LOCAL:
      text = amount_text (saoma_reconcile_item_get_local_amount (item));
      gtk_label_set_text (GTK_LABEL (widget), text);
      break;

    case COL_DETAIL:
      gtk_label_set_text (GTK_LABEL (widget), kind_explanation (kind));
      gtk_widget_set_tooltip_text (widget, saoma_reconcile_item_get_detail (item));
      break;

    case COL_ACTION:
      {
        LineAction action = line_action (kind);

        gtk_widget_set_visible (widget, action != ACTION_NONE);
        if (action != ACTION_NONE)
          {
            gtk_button_set_label (GTK_BUTTON (widget), action_label (action));
            gtk_widget_set_tooltip_text (widget, action_tooltip (action));
          }
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
add_column (SaomaReconcileWindow *self,
            Column                column,
            const char           *title,
            gboolean              expand)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) view_column = NULL;

  g_object_set_data (G_OBJECT (factory), "column", GINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), self);
  view_column = gtk_column_view_column_new (title, g_object_ref (factory));
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->column_view, view_column);
}

/* Comparing ---------------------------------------------------------------------------- */

static void
update_actions (SaomaReconcileWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reconcile.compare", !self->running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reconcile.export-csv",
                                 self->result != NULL && !self->running);
  gtk_spinner_set_spinning (self->spinner, self->running);
}

static void
show_result (SaomaReconcileWindow *self)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autofree char *bill = saoma_money_format (saoma_reconcile_get_bill_total (self->result));
  g_autofree char *local = saoma_money_format (saoma_reconcile_get_local_total (self->result));
  g_autofree char *text = NULL;
  guint problems = saoma_reconcile_get_n_problems (self->result);
  guint local_count = saoma_reconcile_get_local_count (self->result);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->result)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  if (!saoma_reconcile_get_has_bill (self->result))
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "WeChat has no bill for %s (no payment that day). The "
                                         "till has %u payment, %s.",
                                         "WeChat has no bill for %s (no payment that day). The "
                                         "till has %u payments, %s.", local_count),
                            saoma_reconcile_get_day_text (self->result), local_count, local);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "WeChat's bill: %s in %u lines. The till: %u payment, "
                                         "%s.",
                                         "WeChat's bill: %s in %u lines. The till: %u payments, "
                                         "%s.", local_count),
                            bill, (guint) saoma_reconcile_get_bill_count (self->result),
                            local_count, local);

  {
    g_autofree char *verdict = problems == 0
      ? g_strdup (_("Everything matches."))
      : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u line needs attention.",
                                      "%u lines need attention.", problems), problems);
    /* Translators: joins two sentences; in Chinese without a space between them. */
    g_autofree char *full = g_strdup_printf (C_("sentence joiner", "%s %s"), text, verdict);

    gtk_label_set_text (self->summary_label, full);
  }
  gtk_widget_remove_css_class (GTK_WIDGET (self->summary_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->summary_label), "warning");
  gtk_widget_add_css_class (GTK_WIDGET (self->summary_label),
                            problems == 0 ? "success" : "warning");
}

static void
compared_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SaomaReconcileWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  SaomaReconcile *reconcile = saoma_reconcile_run_finish (result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_clear_object (&reconcile);
      return;
    }

  self->running = FALSE;
  if (reconcile == NULL)
    {
      gtk_label_set_text (self->summary_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->summary_label), "warning");
      update_actions (self);
      return;
    }

  g_set_object (&self->result, reconcile);
  g_object_unref (reconcile);
  show_result (self);
  update_actions (self);
}

void
saoma_reconcile_window_compare (SaomaReconcileWindow *self)
{
  SaomaCheckout *checkout;
  SaomaLedger *ledger;

  g_return_if_fail (SAOMA_IS_RECONCILE_WINDOW (self));

  checkout = saoma_till_get_checkout (self->till);
  ledger = saoma_till_get_ledger (self->till);
  if (checkout == NULL || ledger == NULL || self->running)
    return;

  self->running = TRUE;
  gtk_label_set_text (self->summary_label, _("Downloading WeChat's bill…"));
  update_actions (self);
  saoma_reconcile_run_async (saoma_till_get_gateway (self->till), ledger, &self->date,
                             self->cancellable, compared_cb, g_object_ref (self));
}

void
saoma_reconcile_window_set_date (SaomaReconcileWindow *self,
                                 const GDate          *date)
{
  g_return_if_fail (SAOMA_IS_RECONCILE_WINDOW (self));
  g_return_if_fail (date != NULL && g_date_valid (date));

  self->date = *date;
  saoma_day_picker_show (self->date_button, self->calendar, date, self);

  g_clear_object (&self->result);
  gtk_column_view_set_model (self->column_view, NULL);
  gtk_label_set_text (self->summary_label,
                      _("Press Compare to download WeChat's bill of this day (Beijing time) and "
                        "compare it with the ledger."));
  update_actions (self);
}

static void
calendar_day_selected_cb (SaomaReconcileWindow *self,
                          GtkCalendar          *calendar)
{
  saoma_day_picker_choose (self->date_button, calendar, self,
                           (SaomaDaySetter) saoma_reconcile_window_set_date);
}

static void
step_day_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  saoma_day_picker_step (&SAOMA_RECONCILE_WINDOW (widget)->date, action_name, widget,
                         (SaomaDaySetter) saoma_reconcile_window_set_date);
}

static void
compare_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  saoma_reconcile_window_compare (SAOMA_RECONCILE_WINDOW (widget));
}

static void
export_response_cb (SaomaReconcileWindow *self,
                    int                   response,
                    GtkNativeDialog      *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *csv = NULL;
  gsize len;

  if (response == GTK_RESPONSE_ACCEPT && self->result != NULL)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL)
    return;

  /* A few hundred lines at most: written asynchronously by GIO. */
  csv = saoma_reconcile_to_csv (self->result);
  len = strlen (csv);
  bytes = g_bytes_new_take (g_steal_pointer (&csv), len);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                       NULL, NULL);
  toast (self, _("Reconciliation saved as CSV."));
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  SaomaReconcileWindow *self = SAOMA_RECONCILE_WINDOW (widget);
  g_autofree char *name = NULL;

  if (self->result == NULL)
    return;

  name = g_strdup_printf ("saoma-reconcile-%s.csv", saoma_reconcile_get_bill_date (self->result));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Export the Reconciliation as CSV"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (export_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* GObject ------------------------------------------------------------------------------ */

static void
saoma_reconcile_window_dispose (GObject *object)
{
  SaomaReconcileWindow *self = SAOMA_RECONCILE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_RECONCILE_WINDOW);

  G_OBJECT_CLASS (saoma_reconcile_window_parent_class)->dispose (object);
}

static void
saoma_reconcile_window_finalize (GObject *object)
{
  SaomaReconcileWindow *self = SAOMA_RECONCILE_WINDOW (object);

  g_clear_object (&self->till);
  g_clear_object (&self->result);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (saoma_reconcile_window_parent_class)->finalize (object);
}

static void
saoma_reconcile_window_class_init (SaomaReconcileWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_reconcile_window_dispose;
  object_class->finalize = saoma_reconcile_window_finalize;

  g_type_ensure (SAOMA_TYPE_MESSAGE_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/"
                                               "saoma-reconcile-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, message_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, date_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, calendar);
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaReconcileWindow, column_view);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);

  gtk_widget_class_install_action (widget_class, "reconcile.previous-day", NULL,
                                   step_day_action);
  gtk_widget_class_install_action (widget_class, "reconcile.next-day", NULL, step_day_action);
  gtk_widget_class_install_action (widget_class, "reconcile.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "reconcile.export-csv", NULL,
                                   export_csv_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
saoma_reconcile_window_init (SaomaReconcileWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_date_clear (&self->date, 1);

  add_column (self, COL_KIND, _("Result"), FALSE);
  add_column (self, COL_NUMBER, _("Order / refund number"), FALSE);
  add_column (self, COL_METHOD, C_("export column", "Method"), FALSE);
  add_column (self, COL_TIME, _("Time (Beijing)"), FALSE);
  add_column (self, COL_WECHAT, _("WeChat"), FALSE);
  add_column (self, COL_LOCAL, _("Till"), FALSE);
  add_column (self, COL_DETAIL, _("Detail"), TRUE);
  add_column (self, COL_ACTION, NULL, FALSE);
  update_actions (self);
}

GtkWindow *
saoma_reconcile_window_new (GtkWindow *parent,
                            SaomaTill *till)
{
  SaomaReconcileWindow *self;
  g_autoptr(GTimeZone) beijing = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) now = g_date_time_new_now (beijing);
  GDate yesterday;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (SAOMA_IS_TILL (till), NULL);

  /* The parent's application keeps it alive and gives it the app's accelerators. */
  self = g_object_new (SAOMA_TYPE_RECONCILE_WINDOW, "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->till = g_object_ref (till);
  g_date_clear (&yesterday, 1);
  g_date_set_dmy (&yesterday, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  g_date_subtract_days (&yesterday, 1);
  saoma_reconcile_window_set_date (self, &yesterday);

  return GTK_WINDOW (self);
}
