/* saoma-day-close-window.c: the day close (日结) for the manager.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-day-close-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-day-report.h"
#include "core/saoma-money.h"
#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-day-close-window.h"
#include "saoma-day-picker.h"
#include "saoma-hour-chart.h"
#include "saoma-messages.h"
#include "saoma-report-pdf.h"

struct _SaomaDayCloseWindow
{
  AdwWindow             parent_instance;

  SaomaApplication     *app;     /* the store name and the till id for the report's header */
  SaomaTill            *till;    /* the ledger it reports on, the checkout for "Query now" */
  SaomaDayReport       *report;
  char                 *closed_detail;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  GDate                 date;
  gboolean              loading;

  AdwToastOverlay      *toast_overlay;
  GtkMenuButton        *date_button;
  GtkCalendar          *calendar;
  GtkLabel             *status_label;
  AdwActionRow         *payments_row;
  AdwActionRow         *refunds_row;
  GtkLabel             *payments_label;
  GtkLabel             *refunds_label;
  GtkLabel             *net_label;
  SaomaHourChart       *hour_chart;
  GtkLabel             *unfinished_title;
  GtkListBox           *unfinished_list;
  GtkButton            *close_button;
};

G_DEFINE_FINAL_TYPE (SaomaDayCloseWindow, saoma_day_close_window, ADW_TYPE_WINDOW)

static void reload (SaomaDayCloseWindow *self);

static void
toast (SaomaDayCloseWindow *self,
       const char          *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
update_actions (SaomaDayCloseWindow *self)
{
  gboolean have = self->report != NULL && !self->loading;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.export-pdf", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.export-csv", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.print", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-close.z-close",
                                 have && self->closed_detail == NULL);
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
}

static void
remove_rows (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
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
  if (unfinished->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      guint late = saoma_day_report_get_n_late_undecided (self->report);
      g_autofree char *late_text = NULL;

      /* Not "final" while a late payment still waits for the manager's decision. */
      if (late > 0)
        late_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "%u late payment waits for a decision "
                                                  "(honoured or refunded).",
                                                  "%u late payments wait for a decision "
                                                  "(honoured or refunded).", late),
                                     late);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     late_text != NULL ? late_text
                                                       : _("Every payment of the day is final."));
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
  SaomaDayReport *report;
  char           *closed;
} LoadData;

static void
load_data_free (LoadData *data)
{
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

  data->report = saoma_day_report_load_from_snapshot (data->snapshot, &data->date, NULL,
                                                      &error);
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
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->loading = FALSE;
          gtk_label_set_text (self->status_label, error->message);
          update_actions (self);
        }
      return;
    }

  /* Only the newest load counts (the day may have changed meanwhile). */
  if (g_date_compare (&data->date, &self->date) != 0)
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
  if (saoma_till_get_ledger (self->till) != NULL)
    data->ledger = g_object_ref (saoma_till_get_ledger (self->till));
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  saoma_store_open_snapshot_async (store, self->cancellable, snapshot_cb, task);
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

/* Z close ----------------------------------------------------------------------------- */

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SaomaDayCloseWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_day_report_close_finish (SAOMA_DAY_REPORT (source), result, &error))
    {
      if (!g_cancellable_is_cancelled (self->cancellable))
        toast (self, error->message);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  toast (self, _("The day is closed."));
  reload (self);
}

static void
confirm_response_cb (AdwMessageDialog    *dialog,
                     const char          *response,
                     SaomaDayCloseWindow *self)
{
  gboolean acknowledge = g_strcmp0 (response, "close-anyway") == 0;

  if (self->report == NULL || (!acknowledge && g_strcmp0 (response, "close") != 0))
    return;

  saoma_day_report_close_async (self->report, saoma_till_get_ledger (self->till),
                                acknowledge, self->cancellable, closed_cb, g_object_ref (self));
}

static void
z_close_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SaomaDayCloseWindow *self = SAOMA_DAY_CLOSE_WINDOW (widget);
  guint open;
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;

  if (self->report == NULL)
    return;

  open = saoma_day_report_get_unfinished (self->report)->len;
  heading = g_strdup_printf (_("Close %s?"), saoma_day_report_get_day_text (self->report));
  if (open == 0)
    {
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading,
                                                           _("The totals are recorded in the "
                                                             "ledger as the Z close of this "
                                                             "day. A day is closed once.")));
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                        "close", _("Close _Day"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "close", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "close");
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
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                        "close-anyway", _("Close _Anyway"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "close-anyway",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "cancel");
    }
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Export ------------------------------------------------------------------------------ */

typedef struct {
  SaomaDayReport *report;
  char           *path;
  gboolean        pdf;
  char           *store;
  char           *till;
  char           *kind;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->report);
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
  SaomaReportHeader header = { data->store, data->till, data->kind, NULL };
  GError *error = NULL;
  gboolean ok;

  if (data->pdf)
    ok = saoma_report_pdf_write (data->report, &header, data->path, &error);
  else
    ok = saoma_day_report_write_csv (data->report, data->path, &error);

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
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  text = g_strdup_printf (_("Saved %s"), name);
  toast (self, text);
}

static void
export_response_cb (SaomaDayCloseWindow *self,
                    int                  response,
                    GtkNativeDialog     *chooser)
{
  gboolean pdf = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "pdf"));
  g_autoptr(GFile) file = NULL;
  g_autoptr(GTask) task = NULL;
  SaomaReportHeader header;
  ExportData *data;

  if (response == GTK_RESPONSE_ACCEPT && self->report != NULL)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL || g_file_peek_path (file) == NULL)
    return;

  data = g_new0 (ExportData, 1);
  data->report = g_object_ref (self->report);
  data->path = g_file_get_path (file);
  data->pdf = pdf;
  header_for (self, &header, &data->store, &data->till);
  data->kind = g_strdup (header.kind_label);
  task = g_task_new (self, self->cancellable, exported_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_worker);
}

static void
export (SaomaDayCloseWindow *self,
        gboolean             pdf)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name = NULL;

  if (self->report == NULL)
    return;

  name = g_strdup_printf ("saoma-day-close-%s.%s", saoma_day_report_get_day_text (self->report),
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
  g_object_set_data (G_OBJECT (self->chooser), "pdf", GINT_TO_POINTER (pdf));
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
  g_signal_connect (operation, "begin-print", G_CALLBACK (begin_print_cb), data);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), data);
  g_object_set_data_full (G_OBJECT (operation), "print-data", data,
                          (GDestroyNotify) print_data_free);

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
  g_clear_object (&self->chooser);
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
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/"
                                               "saoma-day-close-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, date_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, calendar);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, payments_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, refunds_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, payments_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, refunds_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, net_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, hour_chart);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, unfinished_title);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, unfinished_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaDayCloseWindow, close_button);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, unfinished_activated_cb);

  gtk_widget_class_install_action (widget_class, "day-close.previous-day", NULL,
                                   step_day_action);
  gtk_widget_class_install_action (widget_class, "day-close.next-day", NULL, step_day_action);
  gtk_widget_class_install_action (widget_class, "day-close.x-report", NULL, x_report_action);
  gtk_widget_class_install_action (widget_class, "day-close.z-close", NULL, z_close_action);
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
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GDate today;

  g_return_val_if_fail (SAOMA_IS_TILL (till), NULL);
  g_return_val_if_fail (SAOMA_IS_APPLICATION (app), NULL);

  self = g_object_new (SAOMA_TYPE_DAY_CLOSE_WINDOW, "transient-for", parent,
                       "application", app, NULL);
  self->app = g_object_ref (app);
  self->till = g_object_ref (till);
  g_date_clear (&today, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  saoma_day_close_window_set_date (self, &today);

  return GTK_WINDOW (self);
}
