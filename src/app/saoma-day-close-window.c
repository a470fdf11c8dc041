/* saoma-day-close-window.c: the day close (日结) for the manager.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-day-close-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-cli.h"
#include "core/saoma-day-report.h"
#include "core/saoma-export.h"
#include "core/saoma-money.h"
#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-business-day-settings.h"
#include "saoma-day-close-window.h"
#include "saoma-day-picker.h"
#include "saoma-hour-chart.h"
#include "saoma-message-bar.h"
#include "saoma-messages.h"
#include "saoma-pin-dialog.h"
#include "saoma-report-pdf.h"

/* Changes of the store are gathered this long before the report is counted again. */
#define RELOAD_DELAY_MS 300

struct _SaomaDayCloseWindow
{
  AdwWindow             parent_instance;

  SaomaApplication     *app;     /* the store name and the till id for the report's header */
  SaomaTill            *till;    /* the ledger it reports on, the checkout for "Query now" */
  SaomaDayReport       *report;
  char                 *closed_detail;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  gboolean              chooser_pdf;   /* the export chooser saves a PDF, not a CSV */
  GtkEditable          *confirm_pin;   /* weak: the Z close dialog's PIN field */
  GtkEditable          *confirm_reason; /* weak: the reopen dialog's reason field */
  const char           *confirm_close; /* its answer that closes: "close" or "close-anyway" */
  SaomaBusinessDay     *business_day;  /* the store's day (Beijing, its day start) */
  GDate                 date;
  gboolean              loading;
  guint                 load_serial;   /* only the newest load is shown */
  guint                 reload_id;     /* a recount after a change of the store */
  gboolean              closing;       /* the PIN check and the Z close are running */

  SaomaMessageBar      *message_bar;
  GtkMenuButton        *date_button;
  GtkCalendar          *calendar;
  GtkLabel             *status_label;
  AdwActionRow         *payments_row;
  AdwActionRow         *refunds_row;
  GtkLabel             *payments_label;
  GtkLabel             *refunds_label;
  GtkLabel             *net_label;
  AdwActionRow         *qr_row;
  AdwActionRow         *code_row;
  GtkLabel             *qr_label;
  GtkLabel             *code_label;
  SaomaHourChart       *hour_chart;
  GtkLabel             *unfinished_title;
  GtkListBox           *unfinished_list;
  GtkButton            *close_button;
  GtkButton            *reopen_button;
};

G_DEFINE_FINAL_TYPE (SaomaDayCloseWindow, saoma_day_close_window, ADW_TYPE_WINDOW)

static void reload (SaomaDayCloseWindow *self);

/* News on a line of its own under the header bar, never over the figures (issue 12.13). */
static void
toast (SaomaDayCloseWindow *self,
       const char          *text)
{
  saoma_message_bar_show (self->message_bar, text, 10);
}

static void
update_actions (SaomaDayCloseWindow *self)
{
  gboolean have = self->report != NULL && !self->loading;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.export-pdf", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.export-csv", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.print", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.z-close",
                                 have && self->closed_detail == NULL && !self->closing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.reopen",
                                 have && self->closed_detail != NULL && !self->closing);
  /* A closed day offers to reopen it instead of a close it cannot have. */
  gtk_widget_set_visible (GTK_WIDGET (self->reopen_button),
                          self->report != NULL && self->closed_detail != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->close_button),
                          self->report == NULL || self->closed_detail == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.x-report", !self->loading);
}

static void
header_for (SaomaDayCloseWindow *self,
            SaomaReportHeader   *header,
            char               **store,
            char               **till)
{
  GSettings *settings = saoma_application_get_settings (self->app);

  *store = saoma_application_dup_store_name (self->app);
  *till = g_settings_get_string (settings, "till-id");
  header->store_name = *store;
  header->till_id = *till;
  header->kind_label = self->closed_detail != NULL ? _("Z close") : _("X report");
  header->note = NULL;
  header->demo = saoma_application_get_demo (self->app);
}

static void
remove_rows (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

/* One payment method's line: what it took (the suffix), its counts and refunds (the subtitle). */
static void
show_method (SaomaDayCloseWindow *self,
             SaomaPaymentMethod   method,
             AdwActionRow        *row,
             GtkLabel            *label)
{
  SaomaTotals totals;
  g_autofree char *paid = NULL;
  g_autofree char *refunded = NULL;
  g_autofree char *net = NULL;
  g_autofree char *pay_count = NULL;
  g_autofree char *ref_count = NULL;
  g_autofree char *subtitle = NULL;

  saoma_day_report_get_method_totals (self->report, method, &totals);
  paid = saoma_money_format (totals.paid);
  refunded = saoma_money_format (-totals.refunded);
  net = saoma_money_format (saoma_totals_get_net (&totals));
  pay_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payment", "%u payments",
                                            totals.n_payments),
                               totals.n_payments);
  ref_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u refund", "%u refunds",
                                            totals.n_refunds),
                               totals.n_refunds);
  if (totals.n_refunds > 0)
    /* TRANSLATORS: a payment method's line in Day Close: "3 payments · 1 refund -¥7.77 · net
     * ¥15.46" */
    subtitle = g_strdup_printf (_("%s · %s %s · net %s"), pay_count, ref_count, refunded, net);
  else
    /* TRANSLATORS: a payment method's line in Day Close without refunds: "3 payments · net
     * ¥15.46" */
    subtitle = g_strdup_printf (_("%s · net %s"), pay_count, net);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_label_set_text (label, paid);
}

static void
show_report (SaomaDayCloseWindow *self)
{
  SaomaDayReport *report = self->report;
  GPtrArray *unfinished = saoma_day_report_get_unfinished (report);
  g_autofree char *payments = saoma_money_format (saoma_day_report_get_payments_total (report));
  g_autofree char *refunds = saoma_money_format (-saoma_day_report_get_refunds_total (report));
  g_autofree char *net = saoma_money_format (saoma_day_report_get_net (report));
  g_autofree char *pay_count = NULL;
  g_autofree char *ref_count = NULL;
  g_autofree char *open_title = NULL;
  guint late = saoma_day_report_get_n_late_undecided (report);

  pay_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u payment", "%u payments",
                                            saoma_day_report_get_n_payments (report)),
                               saoma_day_report_get_n_payments (report));
  ref_count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u refund", "%u refunds",
                                            saoma_day_report_get_n_refunds (report)),
                               saoma_day_report_get_n_refunds (report));
  adw_action_row_set_subtitle (self->payments_row, pay_count);
  adw_action_row_set_subtitle (self->refunds_row, ref_count);
  gtk_label_set_text (self->payments_label, payments);
  gtk_label_set_text (self->refunds_label, refunds);
  gtk_label_set_text (self->net_label, net);
  saoma_hour_chart_set_report (self->hour_chart, report);
  show_method (self, SAOMA_PAYMENT_METHOD_NATIVE, self->qr_row, self->qr_label);
  show_method (self, SAOMA_PAYMENT_METHOD_MICROPAY, self->code_row, self->code_label);

  open_title = g_strdup_printf (_("Not final yet (%u)"), unfinished->len);
  gtk_label_set_text (self->unfinished_title, open_title);
  remove_rows (self->unfinished_list);
  for (guint i = 0; i < unfinished->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (unfinished, i);
      g_autofree char *when = saoma_day_report_format_time (report,
                                                            saoma_attempt_get_created (attempt));
      g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (attempt));
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", when,
                                                   saoma_messages_state_label (
                                                     saoma_attempt_get_state (attempt)));
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *label = gtk_label_new (amount);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     saoma_attempt_get_out_trade_no (attempt));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "out-trade-no",
                              g_strdup (saoma_attempt_get_out_trade_no (attempt)), g_free);
      gtk_list_box_append (self->unfinished_list, row);
    }
  /* Not "final" while a late payment still waits for the manager's decision (issue 12.6),
   * whether or not other payments are still open: a line of its own says how many wait. */
  if (late > 0)
    {
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *late_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                 "%u late payment waits for a "
                                                                 "decision (honoured or "
                                                                 "refunded).",
                                                                 "%u late payments wait for a "
                                                                 "decision (honoured or "
                                                                 "refunded).", late),
                                                    late);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), late_text);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "dialog-warning-symbolic");
      gtk_widget_add_css_class (row, "warning");
      gtk_list_box_prepend (self->unfinished_list, row);
    }
  else if (unfinished->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("Every payment of the day is final."));
      gtk_list_box_append (self->unfinished_list, row);
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "success");
  if (self->closed_detail != NULL)
    {
      gtk_label_set_text (self->status_label, _("This day is closed (Z). The figures below are "
                                                "counted again from the ledger."));
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "success");
    }
  else if (saoma_day_report_get_reopened_at (report) != 0)
    {
      g_autofree char *when = saoma_day_report_format_time (report,
                                                            saoma_day_report_get_reopened_at (
                                                              report));
      const char *reason = saoma_day_report_get_reopen_reason (report);
      g_autofree char *text = NULL;

      /* Said before anything else: its earlier Z close no longer ends it. */
      if (reason != NULL && *reason != '\0')
        text = g_strdup_printf (_("This day was closed (Z), then reopened by the manager at %s "
                                  "(%s). It is open until it is closed again."), when, reason);
      else
        text = g_strdup_printf (_("This day was closed (Z), then reopened by the manager at %s. "
                                  "It is open until it is closed again."), when);
      gtk_label_set_text (self->status_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "warning");
    }
  else if (unfinished->len > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u payment is not final yet: the "
                                                            "day can be closed only with a "
                                                            "manager's confirmation.",
                                                            "%u payments are not final yet: "
                                                            "the day can be closed only with "
                                                            "a manager's confirmation.",
                                                            unfinished->len),
                                               unfinished->len);

      gtk_label_set_text (self->status_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "warning");
    }
  else
    gtk_label_set_text (self->status_label, _("X report: the day so far. Nothing is recorded "
                                              "until you close the day."));
}

/* Loading: the report and whether the day was closed, from one snapshot of the store (so the
 * "closed" banner and the figures agree), read in a worker thread. */

typedef struct {
  SaomaStoreSnapshot *snapshot;
  SaomaLedger    *ledger;  /* nullable: the late payments to decide are counted from it */
  GDate           date;
  SaomaBusinessDay *business_day;
  guint           serial;
  SaomaDayReport *report;
  char           *closed;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_pointer (&data->business_day, saoma_business_day_free);
  g_clear_object (&data->snapshot);
  g_clear_object (&data->ledger);
  g_clear_object (&data->report);
  g_free (data->closed);
  g_free (data);
}

static void
load_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;

  data->report = saoma_day_report_load_business_from_snapshot (data->snapshot, &data->date,
                                                               data->business_day, &error);
  if (data->report == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  data->closed = saoma_day_report_find_close_in_snapshot (data->report, data->snapshot, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (data->ledger != NULL && !saoma_day_report_count_late_sync (data->report, data->ledger,
                                                                 &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (source);
  LoadData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && data->serial == self->load_serial)
        {
          g_autofree char *words = saoma_cli_error_words (error);

          self->loading = FALSE;
          gtk_label_set_text (self->status_label, words);
          update_actions (self);
        }
      return;
    }

  /* Only the newest load counts (the day or the store may have changed meanwhile). */
  if (data->serial != self->load_serial)
    return;

  self->loading = FALSE;
  g_set_object (&self->report, data->report);
  g_free (self->closed_detail);
  self->closed_detail = g_steal_pointer (&data->closed);
  show_report (self);
  update_actions (self);
}

static void
snapshot_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->snapshot = saoma_store_open_snapshot_finish (SAOMA_STORE (source), result, &error);
  if (data->snapshot == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_run_in_thread (task, load_worker);
}

static void
reload (SaomaDayCloseWindow *self)
{
  SaomaStore *store = saoma_till_get_store (self->till);
  GTask *task;
  LoadData *data;

  g_clear_handle_id (&self->reload_id, g_source_remove);

  if (store == NULL)
    {
      gtk_label_set_text (self->status_label, _("The ledger is not open yet."));
      return;
    }

  self->loading = TRUE;
  update_actions (self);
  task = g_task_new (self, self->cancellable, loaded_cb, NULL);
  data = g_new0 (LoadData, 1);
  data->date = self->date;
  data->serial = ++self->load_serial;
  data->business_day = saoma_business_day_new (self->business_day->tz,
                                               self->business_day->day_start_minutes);
  if (saoma_till_get_ledger (self->till) != NULL)
    data->ledger = g_object_ref (saoma_till_get_ledger (self->till));
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  saoma_store_open_snapshot_async (store, self->cancellable, snapshot_cb, task);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  SaomaDayCloseWindow *self = user_data;

  self->reload_id = 0;
  reload (self);
  return G_SOURCE_REMOVE;
}

/* Day Close follows the store live (issue 12.4): a payment, a refund or a close changes what
 * the report says, so it is counted again shortly after (a burst of changes costs one read). */
static void
store_changed_cb (SaomaDayCloseWindow *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (RELOAD_DELAY_MS, reload_timeout_cb, self);
}

static void
business_day_changed_cb (SaomaDayCloseWindow *self,
                         const char          *key,
                         GSettings           *settings)
{
  g_clear_pointer (&self->business_day, saoma_business_day_free);
  self->business_day = saoma_business_day_new_from_settings (settings);
  reload (self);
}

void
saoma_day_close_window_set_date (SaomaDayCloseWindow *self,
                                 const GDate         *date)
{
  g_return_if_fail (SAOMA_IS_DAY_CLOSE_WINDOW (self));
  g_return_if_fail (date != NULL && g_date_valid (date));

  self->date = *date;
  saoma_day_picker_show (self->date_button, self->calendar, date, self);
  reload (self);
}

static void
calendar_day_selected_cb (SaomaDayCloseWindow *self,
                          GtkCalendar         *calendar)
{
  saoma_day_picker_choose (self->date_button, calendar, self,
                           (SaomaDaySetter) saoma_day_close_window_set_date);
}

static void
step_day_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  saoma_day_picker_step (&SAOMA_DAY_CLOSE_WINDOW (widget)->date, action_name, widget,
                         (SaomaDaySetter) saoma_day_close_window_set_date);
}

static void
x_report_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  reload (SAOMA_DAY_CLOSE_WINDOW (widget));
}

static void
unfinished_activated_cb (SaomaDayCloseWindow *self,
                         GtkListBoxRow       *row)
{
  const char *out_trade_no = g_object_get_data (G_OBJECT (row), "out-trade-no");

  if (out_trade_no == NULL)
    return;
  gtk_window_present (saoma_attempt_dialog_new (GTK_WINDOW (self),
                                                saoma_till_get_ledger (self->till),
                                                saoma_till_get_checkout (self->till),
                                                out_trade_no));
}

/* Z close -----------------------------------------------------------------------------
 *
 * A Z close is final, so it asks for the manager PIN (issue 12.3), checked by the one guard of
 * the application (its delays and lockout), and its confirmation's default answer is Cancel:
 * Enter, Enter never closes a day. The close itself runs only once the PIN was accepted. */

/* What the manager confirmed: the Z close, or reopening a closed day (below); both run only once
 * the PIN was accepted, and both end by reading the day again. */
typedef struct {
  SaomaDayCloseWindow *self;        /* owned */
  SaomaDayReport      *report;      /* the report the manager confirmed */
  gboolean             acknowledge; /* close: with attempts still open */
  char                *reason;      /* reopen: why; NULL for a close */
} ManagerRequest;

static void
manager_request_free (ManagerRequest *request)
{
  g_clear_object (&request->self);
  g_clear_object (&request->report);
  g_free (request->reason);
  g_free (request);
}

static void
close_failed (SaomaDayCloseWindow *self,
              const char          *message)
{
  self->closing = FALSE;
  update_actions (self);
  toast (self, message);
}

static void
manager_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ManagerRequest *request = user_data;
  SaomaDayCloseWindow *self = request->self;
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (request->reason != NULL)
    done = saoma_day_report_reopen_finish (SAOMA_DAY_REPORT (source), result, &error);
  else
    done = saoma_day_report_close_finish (SAOMA_DAY_REPORT (source), result, &error);

  if (!g_cancellable_is_cancelled (self->cancellable))
    {
      if (!done)
        {
          g_autofree char *words = saoma_cli_error_words (error);

          close_failed (self, words);
        }
      else
        {
          /* No toast over the list: the status line says the day is closed, or reopened when
           * and why, once read again (issue 12.13). */
          self->closing = FALSE;
          saoma_message_bar_hide (self->message_bar);
          reload (self);
        }
    }
  manager_request_free (request);
}

static void
manager_pin_checked_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  ManagerRequest *request = user_data;
  SaomaDayCloseWindow *self = request->self;
  SaomaLedger *ledger;
  g_autoptr(GError) error = NULL;

  if (!saoma_pin_guard_check_finish (SAOMA_PIN_GUARD (source), result, &error))
    {
      if (!g_cancellable_is_cancelled (self->cancellable))
        close_failed (self, error->message);
      manager_request_free (request);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      manager_request_free (request);
      return;
    }
  ledger = saoma_till_get_ledger (self->till);
  if (request->reason != NULL)
    saoma_day_report_reopen_async (request->report, ledger, request->reason, self->cancellable,
                                   manager_done_cb, request);
  else
    saoma_day_report_close_async (request->report, ledger, request->acknowledge,
                                  self->cancellable, manager_done_cb, request);
}

/* Takes @request; the PIN is checked by the application's one guard (its delays, lockout). */
static void
manager_request_start (SaomaDayCloseWindow *self,
                       ManagerRequest      *request,
                       const char          *pin)
{
  request->self = g_object_ref (self);
  request->report = g_object_ref (self->report);
  self->closing = TRUE;
  update_actions (self);
  saoma_pin_guard_check_async (saoma_pin_dialog_get_guard (self->app), pin != NULL ? pin : "",
                               self->cancellable, manager_pin_checked_cb, request);
}

static void
confirm_response_cb (AdwMessageDialog    *dialog,
                     const char          *response,
                     SaomaDayCloseWindow *self)
{
  gboolean acknowledge = g_strcmp0 (response, "close-anyway") == 0;
  GtkEditable *pin_row = self->confirm_pin;
  g_autofree char *pin = NULL;
  ManagerRequest *request;

  if (pin_row != NULL)
    {
      pin = g_strdup (gtk_editable_get_text (pin_row));
      /* The PIN stays in this process's memory no longer than needed. */
      gtk_editable_set_text (pin_row, "");
    }
  if (self->report == NULL || self->closing
      || (!acknowledge && g_strcmp0 (response, "close") != 0))
    return;

  request = g_new0 (ManagerRequest, 1);
  request->acknowledge = acknowledge;
  manager_request_start (self, request, pin);
}

/* The close answer is offered only once a PIN is typed. */
static void
pin_changed_cb (GtkEditable         *pin_row,
                SaomaDayCloseWindow *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_widget_get_root (GTK_WIDGET (pin_row)));

  adw_message_dialog_set_response_enabled (dialog, self->confirm_close,
                                           *gtk_editable_get_text (pin_row) != '\0');
}

/* Enter in the PIN field, with a PIN typed, is the manager's answer; with none it is nothing. */
static void
pin_activated_cb (AdwEntryRow         *pin_row,
                  SaomaDayCloseWindow *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_widget_get_root (GTK_WIDGET (pin_row)));
  const char *close = self->confirm_close;
  g_autoptr(AdwMessageDialog) keep = NULL;

  if (*gtk_editable_get_text (GTK_EDITABLE (pin_row)) == '\0'
      || !adw_message_dialog_get_response_enabled (dialog, close))
    return;
  /* As a click on the answer does: respond, then close (a second, "cancel" answer is then
   * ignored: the close is under way). */
  keep = g_object_ref (dialog);
  adw_message_dialog_response (dialog, close);
  gtk_window_close (GTK_WINDOW (dialog));
}

/* The fields under a manager's confirmation: a reason when @reason_row is given, the PIN, and
 * why the PIN cannot be checked now (the guard's lockout or keyring), if so. @changed is
 * called when a field changes (to enable the answer); Enter in the PIN answers. */
static GtkWidget *
manager_rows (SaomaDayCloseWindow *self,
              GtkWidget          **reason_row,
              GtkWidget          **pin_row,
              GCallback            changed)
{
  const char *problem = saoma_pin_dialog_get_problem (self->app);
  GtkWidget *rows = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (rows), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (rows, "boxed-list");
  if (reason_row != NULL)
    {
      *reason_row = adw_entry_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (*reason_row), _("Reason"));
      gtk_editable_set_max_width_chars (GTK_EDITABLE (*reason_row), 80);
      g_signal_connect_object (*reason_row, "changed", changed, self, 0);
      gtk_list_box_append (GTK_LIST_BOX (rows), *reason_row);
    }
  *pin_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (*pin_row), _("Manager PIN"));
  gtk_editable_set_max_width_chars (GTK_EDITABLE (*pin_row), 12);
  g_signal_connect_object (*pin_row, "changed", changed, self, 0);
  g_signal_connect_object (*pin_row, "entry-activated", G_CALLBACK (pin_activated_cb), self, 0);
  gtk_list_box_append (GTK_LIST_BOX (rows), *pin_row);
  if (problem != NULL)
    {
      GtkWidget *why = gtk_label_new (problem);

      gtk_label_set_wrap (GTK_LABEL (why), TRUE);
      gtk_label_set_xalign (GTK_LABEL (why), 0);
      gtk_widget_add_css_class (why, "error");
      gtk_widget_set_margin_top (why, 6);
      gtk_list_box_append (GTK_LIST_BOX (rows), why);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (gtk_widget_get_parent (why)), FALSE);
    }
  return rows;
}

static void
z_close_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (widget);
  const char *close_response;
  guint open;
  AdwMessageDialog *dialog;
  GtkWidget *pin_row;
  g_autofree char *heading = NULL;

  if (self->report == NULL || self->closing)
    return;

  open = saoma_day_report_get_unfinished (self->report)->len;
  heading = g_strdup_printf (_("Close %s?"), saoma_day_report_get_day_text (self->report));
  if (open == 0)
    {
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading,
                                                           _("The totals are recorded in the "
                                                             "ledger as the Z close of this "
                                                             "day. A day is closed once.")));
      close_response = "close";
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                        "close", _("Close _Day"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "close", ADW_RESPONSE_SUGGESTED);
    }
  else
    {
      g_autofree char *body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u payment is not final yet. It "
                                                            "may still turn into money of "
                                                            "this day. Close anyway, as "
                                                            "manager?",
                                                            "%u payments are not final yet. "
                                                            "They may still turn into money "
                                                            "of this day. Close anyway, as "
                                                            "manager?",
                                                            open),
                                               open);

      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));
      close_response = "close-anyway";
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                        "close-anyway", _("Close _Anyway"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "close-anyway",
                                                  ADW_RESPONSE_DESTRUCTIVE);
    }
  /* Enter, Enter must not close the day for good. */
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_response_enabled (dialog, close_response, FALSE);
  self->confirm_close = close_response;

  adw_message_dialog_set_extra_child (dialog,
                                      manager_rows (self, NULL, &pin_row,
                                                    G_CALLBACK (pin_changed_cb)));
  g_set_weak_pointer (&self->confirm_pin, GTK_EDITABLE (pin_row));

  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Reopen ----------------------------------------------------------------------------
 *
 * The manager may reopen a Z-closed day (issue 12.2), as saoma-cli --reopen-day does: behind
 * the manager PIN (the same guard as the Z close), with a reason, recorded in the ledger; the
 * day's reports then say it was reopened. Cancel is the default answer. */

static void
reopen_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    SaomaDayCloseWindow *self)
{
  g_autofree char *pin = NULL;
  g_autofree char *reason = NULL;
  ManagerRequest *request;

  if (self->confirm_pin != NULL)
    {
      pin = g_strdup (gtk_editable_get_text (self->confirm_pin));
      /* The PIN stays in this process's memory no longer than needed. */
      gtk_editable_set_text (self->confirm_pin, "");
    }
  if (self->confirm_reason != NULL)
    reason = g_strstrip (g_strdup (gtk_editable_get_text (self->confirm_reason)));
  if (self->report == NULL || self->closing || self->closed_detail == NULL
      || g_strcmp0 (response, "reopen") != 0 || reason == NULL || *reason == '\0')
    return;

  request = g_new0 (ManagerRequest, 1);
  request->reason = g_steal_pointer (&reason);
  manager_request_start (self, request, pin);
}

/* "Reopen Day" is offered only once a PIN and a reason are typed. */
static void
reopen_changed_cb (GtkEditable         *editable,
                   SaomaDayCloseWindow *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_widget_get_root (GTK_WIDGET (editable)));
  g_autofree char *reason = NULL;

  if (self->confirm_pin == NULL || self->confirm_reason == NULL)
    return;
  reason = g_strstrip (g_strdup (gtk_editable_get_text (self->confirm_reason)));
  adw_message_dialog_set_response_enabled (dialog, "reopen",
                                           *gtk_editable_get_text (self->confirm_pin) != '\0'
                                           && *reason != '\0');
}

static void
reopen_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *reason_row;
  GtkWidget *pin_row;
  g_autofree char *heading = NULL;

  if (self->report == NULL || self->closing || self->closed_detail == NULL)
    return;

  heading = g_strdup_printf (_("Reopen %s?"), saoma_day_report_get_day_text (self->report));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
    GTK_WINDOW (self), heading,
    _("Its Z close no longer ends the day: what is paid until it is closed again counts in "
      "it, and its reports say that the manager reopened it. The reopening and its reason are "
      "recorded in the ledger.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "reopen", _("_Reopen Day"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "reopen", ADW_RESPONSE_DESTRUCTIVE);
  /* As for the Z close: Enter, Enter must not change a closed day. */
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_response_enabled (dialog, "reopen", FALSE);
  self->confirm_close = "reopen";

  adw_message_dialog_set_extra_child (dialog,
                                      manager_rows (self, &reason_row, &pin_row,
                                                    G_CALLBACK (reopen_changed_cb)));
  g_set_weak_pointer (&self->confirm_pin, GTK_EDITABLE (pin_row));
  g_set_weak_pointer (&self->confirm_reason, GTK_EDITABLE (reason_row));

  g_signal_connect_object (dialog, "response", G_CALLBACK (reopen_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (reason_row);
}

/* Export ------------------------------------------------------------------------------ */

/* An export reads the ledger again when it is written (issue 12.4): it says what is true at
 * that time, and the time it was made, whatever the window showed before. */
typedef struct {
  SaomaLedger      *ledger;
  SaomaBusinessDay *business_day;
  GDate             date;
  char             *path;
  gboolean          pdf;
  gboolean          demo;
  char             *store;
  char             *till;
  char             *kind;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->ledger);
  g_clear_pointer (&data->business_day, saoma_business_day_free);
  g_free (data->path);
  g_free (data->store);
  g_free (data->till);
  g_free (data->kind);
  g_free (data);
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  SaomaReportHeader header = { data->store, data->till, data->kind, NULL, data->demo };
  g_autoptr(SaomaDayReport) report = NULL;
  GError *error = NULL;
  gboolean ok;

  report = saoma_day_report_load_business_sync (data->ledger, &data->date, data->business_day,
                                                &error);
  if (report == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (data->pdf)
    ok = saoma_report_pdf_write (report, &header, data->path, &error);
  else
    {
      /* The accountants' flat table (issue 12.17) of the same range the report counts (up to
       * the Z close's cut for a closed day), its words in the UI's language. */
      g_autoptr(GFile) file = g_file_new_for_path (data->path);
      g_autoptr(GFileOutputStream) out = saoma_export_create_file (file, cancellable, &error);

      ok = out != NULL
           && saoma_export_flat_range_to_stream (data->ledger, saoma_day_report_get_start (report),
                                                 saoma_day_report_get_end (report),
                                                 saoma_day_report_get_timezone (report),
                                                 saoma_cli_accounting_word, NULL,
                                                 G_OUTPUT_STREAM (out), NULL, cancellable,
                                                 &error)
           && g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, &error);
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (source);
  ExportData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_path_get_basename (data->path);
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *words = saoma_cli_error_words (error);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, words);
      return;
    }
  text = g_strdup_printf (_("Saved %s"), name);
  toast (self, text);
}

/**
 * saoma_day_close_window_export_file:
 * @self: the window
 * @file: where to write (a local path)
 * @pdf: %TRUE for the PDF report, %FALSE for the accountants' CSV
 *
 * Writes the day's export in a worker, reading the ledger again first; a toast says "Saved
 * NAME" (or why not) when done. What the export menu does once a file is chosen.
 */
void
saoma_day_close_window_export_file (SaomaDayCloseWindow *self,
                                    GFile               *file,
                                    gboolean             pdf)
{
  g_autoptr(GTask) task = NULL;
  SaomaReportHeader header;
  ExportData *data;

  g_return_if_fail (SAOMA_IS_DAY_CLOSE_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (g_file_peek_path (file) == NULL || saoma_till_get_ledger (self->till) == NULL)
    return;
  data = g_new0 (ExportData, 1);
  data->ledger = g_object_ref (saoma_till_get_ledger (self->till));
  data->business_day = saoma_business_day_new (self->business_day->tz,
                                               self->business_day->day_start_minutes);
  data->date = self->date;
  data->path = g_file_get_path (file);
  data->pdf = pdf;
  header_for (self, &header, &data->store, &data->till);
  data->kind = g_strdup (header.kind_label);
  data->demo = header.demo;
  task = g_task_new (self, self->cancellable, exported_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_worker);
}

static void
export_response_cb (SaomaDayCloseWindow *self,
                    int                  response,
                    GtkNativeDialog     *chooser)
{
  gboolean pdf = self->chooser_pdf;
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->report != NULL)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    saoma_day_close_window_export_file (self, file, pdf);
}

static void
export (SaomaDayCloseWindow *self,
        gboolean             pdf)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now (self->business_day->tz);
  g_autofree char *made = g_date_time_format (now, "%H%M%S");
  g_autofree char *name = NULL;

  if (self->report == NULL)
    return;

  /* The name says when the file was made (its PDF says it inside too). */
  name = g_strdup_printf ("saoma-day-close-%s-made-%s.%s",
                          saoma_day_report_get_day_text (self->report), made,
                          pdf ? "pdf" : "csv");
  gtk_file_filter_set_name (filter, pdf ? _("PDF documents") : _("CSV spreadsheets"));
  gtk_file_filter_add_pattern (filter, pdf ? "*.pdf" : "*.csv");

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (pdf ? _("Export the Day Close as PDF")
                                                   : _("Export the Day Close as CSV"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  self->chooser_pdf = pdf;
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (export_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
export_pdf_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  export (SAOMA_DAY_CLOSE_WINDOW (widget), TRUE);
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  export (SAOMA_DAY_CLOSE_WINDOW (widget), FALSE);
}

/* Print -------------------------------------------------------------------------------- */

typedef struct {
  SaomaDayReport    *report;
  SaomaReportHeader  header;
  char              *store;
  char              *till;
} PrintData;

static void
print_data_free (PrintData *data)
{
  g_clear_object (&data->report);
  g_free (data->store);
  g_free (data->till);
  g_free (data);
}

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                PrintData         *data)
{
  gtk_print_operation_set_n_pages (operation,
                                   saoma_report_n_pages (data->report,
                                                         gtk_print_context_get_width (context),
                                                         gtk_print_context_get_height (context)));
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              PrintData         *data)
{
  saoma_report_draw_page (data->report, &data->header,
                          gtk_print_context_get_cairo_context (context),
                          gtk_print_context_get_width (context),
                          gtk_print_context_get_height (context), page_nr);
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (widget);
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GtkPageSetup) setup = NULL;
  g_autoptr(GtkPaperSize) a4 = NULL;
  g_autoptr(GError) error = NULL;
  PrintData *data;

  if (self->report == NULL)
    return;

  data = g_new0 (PrintData, 1);
  data->report = g_object_ref (self->report);
  header_for (self, &data->header, &data->store, &data->till);

  operation = gtk_print_operation_new ();
  a4 = gtk_paper_size_new (GTK_PAPER_NAME_A4);
  setup = gtk_page_setup_new ();
  gtk_page_setup_set_paper_size_and_default_margins (setup, a4);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_job_name (operation, _("Day close report"));
  /* Both handlers go when the operation does; the first one's closure owns @data. */
  g_signal_connect_data (operation, "begin-print", G_CALLBACK (begin_print_cb), data,
                         (GClosureNotify) print_data_free, 0);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), data);

  gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                           GTK_WINDOW (self), &error);
  if (error != NULL)
    toast (self, error->message);
}

/* GObject ------------------------------------------------------------------------------ */

static void
saoma_day_close_window_dispose (GObject *object)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_object (&self->chooser);
  g_clear_weak_pointer (&self->confirm_pin);
  g_clear_weak_pointer (&self->confirm_reason);
  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_DAY_CLOSE_WINDOW);

  G_OBJECT_CLASS (saoma_day_close_window_parent_class)->dispose (object);
}

static void
saoma_day_close_window_finalize (GObject *object)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (object);

  g_clear_object (&self->app);
  g_clear_object (&self->till);
  g_clear_object (&self->report);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->business_day, saoma_business_day_free);
  g_free (self->closed_detail);

  G_OBJECT_CLASS (saoma_day_close_window_parent_class)->finalize (object);
}

static void
saoma_day_close_window_class_init (SaomaDayCloseWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_day_close_window_dispose;
  object_class->finalize = saoma_day_close_window_finalize;

  g_type_ensure (SAOMA_TYPE_HOUR_CHART);
  g_type_ensure (SAOMA_TYPE_MESSAGE_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/"
                                               "saoma-day-close-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, message_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, date_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, calendar);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, payments_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, refunds_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, payments_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, refunds_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, net_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, qr_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, code_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, qr_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, code_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, hour_chart);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, unfinished_title);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, unfinished_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, close_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, reopen_button);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, unfinished_activated_cb);

  gtk_widget_class_install_action (widget_class, "day-close.previous-day", NULL,
                                   step_day_action);
  gtk_widget_class_install_action (widget_class, "day-close.next-day", NULL, step_day_action);
  gtk_widget_class_install_action (widget_class, "day-close.x-report", NULL, x_report_action);
  gtk_widget_class_install_action (widget_class, "day-close.z-close", NULL, z_close_action);
  gtk_widget_class_install_action (widget_class, "day-close.reopen", NULL, reopen_action);
  gtk_widget_class_install_action (widget_class, "day-close.export-pdf", NULL,
                                   export_pdf_action);
  gtk_widget_class_install_action (widget_class, "day-close.export-csv", NULL,
                                   export_csv_action);
  gtk_widget_class_install_action (widget_class, "day-close.print", NULL, print_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK,
                                       "day-close.print", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, GDK_ALT_MASK,
                                       "day-close.previous-day", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, GDK_ALT_MASK,
                                       "day-close.next-day", NULL);
}

static void
saoma_day_close_window_init (SaomaDayCloseWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_date_clear (&self->date, 1);
  update_actions (self);
}

GtkWindow *
saoma_day_close_window_new (GtkWindow        *parent,
                            SaomaTill        *till,
                            SaomaApplication *app)
{
  SaomaDayCloseWindow *self;
  SaomaStore *store;
  GSettings *settings;
  GDate today;

  g_return_val_if_fail (SAOMA_IS_TILL (till), NULL);
  g_return_val_if_fail (SAOMA_IS_APPLICATION (app), NULL);

  self = g_object_new (SAOMA_TYPE_DAY_CLOSE_WINDOW, "transient-for", parent,
                       "application", app, NULL);
  self->app = g_object_ref (app);
  self->till = g_object_ref (till);
  settings = saoma_application_get_settings (app);
  self->business_day = saoma_business_day_new_from_settings (settings);
  g_signal_connect_object (settings, "changed::" SAOMA_BUSINESS_DAY_START_KEY,
                           G_CALLBACK (business_day_changed_cb), self, G_CONNECT_SWAPPED);
  store = saoma_till_get_store (till);
  if (store != NULL)
    {
      g_signal_connect_object (store, "attempt-added", G_CALLBACK (store_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (store, "attempt-changed", G_CALLBACK (store_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (store, "refund-changed", G_CALLBACK (store_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  /* Today is the store's business day that holds now (Beijing time, its day start). */
  g_date_clear (&today, 1);
  saoma_business_day_today (self->business_day, &today);
  saoma_day_close_window_set_date (self, &today);

  return GTK_WINDOW (self);
}
