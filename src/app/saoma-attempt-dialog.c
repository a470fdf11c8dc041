/* saoma-attempt-dialog.c: one payment attempt, its audit timeline and "Query now". */
#define G_LOG_DOMAIN "saoma-attempt-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "core/saoma-business-day.h"
#include "core/saoma-cli.h"
#include "core/saoma-late-payments.h"
#include "core/saoma-money.h"
#include "core/saoma-pin-guard.h"
#include "ledger/saoma-store.h"

#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-message-bar.h"
#include "saoma-messages.h"
#include "saoma-pin-dialog.h"
#include "saoma-receipt.h"
#include "saoma-refund-dialog.h"
#include "saoma-timeline.h"

struct _SaomaAttemptDialog
{
  AdwWindow        parent_instance;

  SaomaStore      *store;   /* the ledger, through the storage interface only */
  SaomaCheckout   *checkout;
  GCancellable    *cancellable;
  char            *out_trade_no;
  SaomaAttempt    *attempt;
  gboolean         decided;        /* a late payment's decision is recorded */
  gboolean         events_loaded;  /* decided is known */
  gboolean         deciding;       /* a decision is being checked and written */
  gint64           query_since;    /* µs: "Query Now" was pressed; 0 when no answer is due */
  guint            query_source;   /* re-reads the events until the answer is in */
  guint            query_tries;

  SaomaMessageBar *message_bar;
  GtkButton       *query_button;
  GtkLabel        *query_answer_label;
  GtkLabel        *amount_label;
  GtkLabel        *state_label;
  GtkListBox      *fields_list;
  GtkListBox      *events_list;
  GtkLabel        *raw_label;
  GtkWidget       *decision_box;
  GtkLabel        *decision_status;
  GtkPasswordEntry *decision_pin;
  GtkButton       *honoured_button;
  GtkButton       *refunded_button;
};

G_DEFINE_FINAL_TYPE (SaomaAttemptDialog, saoma_attempt_dialog, ADW_TYPE_WINDOW)

enum {
  LATE_DECIDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* How long after "Query Now" the dialog keeps looking for WeChat's answer in the events. */
#define QUERY_POLL_MS   700
#define QUERY_MAX_TRIES 20

/* Times in the shop's zone (Beijing), like the order numbers and WeChat's records. */
static char *
format_shop (gint64      usec,
             const char *format)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) shop = NULL;
  g_autoptr(GTimeZone) tz = saoma_business_day_default_tz ();

  if (usec <= 0)
    return NULL;

  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return NULL;
  shop = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (shop, format);
}

static char *
format_time (gint64 usec)
{
  return format_shop (usec, "%Y-%m-%d %H:%M:%S");
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

/* A late payment without a decision asks for one, the PIN field first: it is what the dialog
 * was opened for. */
static void
update_decision_box (SaomaAttemptDialog *self)
{
  gboolean show = self->attempt != NULL && saoma_attempt_get_late (self->attempt) &&
                  self->events_loaded && !self->decided;

  if (show && !gtk_widget_get_visible (self->decision_box))
    {
      gtk_widget_set_visible (self->decision_box, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->decision_pin));
    }
  else if (!show)
    gtk_widget_set_visible (self->decision_box, FALSE);
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
  add_field (self, _("Method"), saoma_messages_method_label (saoma_attempt_get_method (attempt)));
  add_field (self, _("Description"), saoma_attempt_get_description (attempt));
  add_field (self, _("Till"), saoma_attempt_get_till_id (attempt));
  add_field (self, _("Created"), created);
  add_field (self, _("QR code valid until"), expires);
  add_field (self, _("Paid at"), paid_at);
  add_field (self, _("Refunded"), refunded);
  if (saoma_attempt_get_late (attempt))
    /* Given up by the cashier, or left unfinished by a quit or crash: the timeline says which. */
    add_field (self, _("Late payment"), _("Paid after the till had stopped waiting for it"));
  update_decision_box (self);

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

/* The answer to "Query Now" in plain words, from the first orderquery answer recorded after
 * the click: "WeChat Pay says: not paid yet", "Paid at 12:03", or why it could not ask. */
static void
show_query_answer (SaomaAttemptDialog *self,
                   GPtrArray          *events)
{
  g_autofree char *text = NULL;

  if (self->query_since == 0)
    return;

  for (guint i = 0; i < events->len && text == NULL; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);

      if (event->time < self->query_since || g_strcmp0 (event->kind, "response") != 0 ||
          event->detail == NULL || !g_str_has_prefix (event->detail, "orderquery"))
        continue;

      if (strstr (event->detail, "→ SUCCESS") != NULL)
        {
          gint64 paid_at = self->attempt ? saoma_attempt_get_paid_at (self->attempt) : 0;
          g_autofree char *at = format_shop (paid_at > 0 ? paid_at : event->time, "%H:%M");

          /* Translators: %s is a time such as 12:03 */
          text = g_strdup_printf (_("WeChat Pay says: paid at %s"), at);
        }
      else
        text = saoma_timeline_sentence (event->kind, event->detail, NULL);
    }

  if (text == NULL)
    return;

  self->query_since = 0;
  g_clear_handle_id (&self->query_source, g_source_remove);
  gtk_label_set_text (self->query_answer_label, text);
  /* A label, not a toast: it stays until the next question, and Esc still closes. */
  gtk_widget_set_visible (GTK_WIDGET (self->query_answer_label), TRUE);
}

static void
events_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SaomaAttemptDialog) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) raw = g_string_new (NULL);

  events = saoma_store_list_events_finish (SAOMA_STORE (object), result, &error);
  if (events == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot list the events of %s: %s", self->out_trade_no, error->message);
      return;
    }

  self->decided = FALSE;
  self->events_loaded = TRUE;
  for (guint i = 0; i < events->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (events, i);
      g_autofree char *time = format_time (event->time);

      if (g_strcmp0 (event->kind, SAOMA_LEDGER_LATE_DECISION_KIND) == 0)
        self->decided = TRUE;
      /* The protocol note itself, for whoever needs it, behind the expander. */
      g_string_append_printf (raw, "%s%s  %s  %s", raw->len ? "\n" : "", time ? time : "",
                              event->kind, event->detail ? event->detail : "");
    }
  gtk_label_set_text (self->raw_label, raw->str);

  remove_all_rows (self->events_list);
  entries = saoma_timeline_build (events);
  for (guint i = 0; i < entries->len; i++)
    {
      SaomaTimelineEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *first = format_shop (entry->first_time, "%H:%M:%S");
      g_autofree char *last = format_shop (entry->last_time, "%H:%M:%S");
      g_autofree char *when = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *time_label;

      if (entry->count > 1 && g_strcmp0 (first, last) != 0)
        when = g_strdup_printf ("%s–%s", first ? first : "", last ? last : "");
      else
        when = g_strdup (first ? first : "");
      time_label = gtk_label_new (when);
      gtk_widget_add_css_class (time_label, "numeric");
      gtk_widget_add_css_class (time_label, "dim-label");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), time_label);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entry->sentence);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_list_box_append (self->events_list, row);
    }

  if (events->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No events recorded"));
      gtk_list_box_append (self->events_list, row);
    }

  update_decision_box (self);
  show_query_answer (self, events);
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

  /* The answer shown is WeChat's latest word: once the payment is confirmed (by a query or
   * the notification), it says when. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->query_answer_label)) &&
      saoma_attempt_get_state (attempt) == SAOMA_ATTEMPT_PAID &&
      saoma_attempt_get_paid_at (attempt) > 0)
    {
      g_autofree char *at = format_shop (saoma_attempt_get_paid_at (attempt), "%H:%M");
      g_autofree char *text = g_strdup_printf (_("WeChat Pay says: paid at %s"), at);

      self->query_since = 0;
      g_clear_handle_id (&self->query_source, g_source_remove);
      gtk_label_set_text (self->query_answer_label, text);
    }
}

static gboolean
query_poll_cb (gpointer user_data)
{
  SaomaAttemptDialog *self = user_data;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      self->query_source = 0;
      return G_SOURCE_REMOVE;
    }

  reload (self);
  if (++self->query_tries < QUERY_MAX_TRIES)
    return G_SOURCE_CONTINUE;

  /* No answer recorded yet: the engine keeps asking; the timeline will show it. */
  self->query_source = 0;
  if (self->query_since != 0)
    {
      self->query_since = 0;
      gtk_label_set_text (self->query_answer_label,
                          _("No answer from WeChat Pay yet. Saoma keeps asking; the timeline "
                            "shows the answer when it comes."));
      gtk_widget_set_visible (GTK_WIDGET (self->query_answer_label), TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
query_clicked_cb (SaomaAttemptDialog *self,
                  GtkButton          *button)
{
  if (self->checkout == NULL)
    return;

  /* Answers recorded from now on are this click's (the ledger's clock is the real time). */
  self->query_since = g_get_real_time ();
  self->query_tries = 0;
  gtk_label_set_text (self->query_answer_label, _("Asking WeChat Pay about this payment…"));
  gtk_widget_set_visible (GTK_WIDGET (self->query_answer_label), TRUE);
  saoma_checkout_query_now (self->checkout, self->out_trade_no);
  /* The answer arrives as an attempt-changed, or only as a new event (still not paid). */
  g_clear_handle_id (&self->query_source, g_source_remove);
  self->query_source = g_timeout_add (QUERY_POLL_MS, query_poll_cb, self);
}

/* Late payment decisions (issue 12.6): the manager PIN, then the decision as an event of the
 * attempt, written in a worker (saoma_late_payments_decide_sync() is blocking). */

typedef struct {
  SaomaLedger       *ledger;
  char              *out_trade_no;
  SaomaLateDecision  decision;
} DecideData;

static void
decide_data_free (DecideData *data)
{
  g_clear_object (&data->ledger);
  g_free (data->out_trade_no);
  g_free (data);
}

static void
decide_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DecideData *data = task_data;
  GError *error = NULL;

  if (saoma_late_payments_decide_sync (data->ledger, data->out_trade_no, data->decision, NULL,
                                       &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
set_deciding (SaomaAttemptDialog *self,
              gboolean            deciding)
{
  self->deciding = deciding;
  gtk_widget_set_sensitive (GTK_WIDGET (self->honoured_button), !deciding);
  gtk_widget_set_sensitive (GTK_WIDGET (self->refunded_button), !deciding);
  gtk_widget_set_sensitive (GTK_WIDGET (self->decision_pin), !deciding);
}

static void
decided_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SaomaAttemptDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        return;
      set_deciding (self, FALSE);
      if (g_error_matches (error, SAOMA_LATE_PAYMENT_ERROR, SAOMA_LATE_PAYMENT_ERROR_NOT_REFUNDED))
        gtk_label_set_text (self->decision_status,
                            _("No refund of this payment has succeeded yet: refund it first, "
                              "or record that the sale stands."));
      else
        {
          g_autofree char *words = saoma_cli_error_words (error);

          gtk_label_set_text (self->decision_status, words);
        }
      return;
    }

  set_deciding (self, FALSE);
  self->decided = TRUE;
  gtk_widget_set_visible (self->decision_box, FALSE);
  /* On a line of its own, never over the timeline (issue 12.13). */
  saoma_message_bar_show (self->message_bar, _("Decision recorded"), 10);
  g_signal_emit (self, signals[LATE_DECIDED], 0, self->out_trade_no);
  reload (self);
}

static void
pin_checked_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaAttemptDialog *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!saoma_pin_guard_check_finish (SAOMA_PIN_GUARD (source), result, &error))
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        return;
      set_deciding (self, FALSE);
      gtk_label_set_text (self->decision_status, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->decision_pin));
      return;
    }

  gtk_label_set_text (self->decision_status, "");
  g_task_run_in_thread (task, decide_worker);
}

static void
decide (SaomaAttemptDialog *self,
        SaomaLateDecision   decision)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GTask) task = NULL;
  DecideData *data;
  const char *problem;

  if (self->deciding || !SAOMA_IS_LEDGER (self->store) || !SAOMA_IS_APPLICATION (app))
    return;

  /* The manager decides, as for a refund: the same PIN, delays and lockout. */
  problem = saoma_pin_dialog_get_problem (SAOMA_APPLICATION (app));
  if (problem != NULL)
    {
      gtk_label_set_text (self->decision_status, problem);
      return;
    }

  data = g_new0 (DecideData, 1);
  data->ledger = g_object_ref (SAOMA_LEDGER (self->store));
  data->out_trade_no = g_strdup (self->out_trade_no);
  data->decision = decision;
  task = g_task_new (self, self->cancellable, decided_cb, g_object_ref (self));
  g_task_set_source_tag (task, decide);
  g_task_set_task_data (task, data, (GDestroyNotify) decide_data_free);

  set_deciding (self, TRUE);
  gtk_label_set_text (self->decision_status, _("Checking the manager PIN…"));
  saoma_pin_guard_check_async (saoma_pin_dialog_get_guard (SAOMA_APPLICATION (app)),
                               gtk_editable_get_text (GTK_EDITABLE (self->decision_pin)),
                               self->cancellable, pin_checked_cb, g_steal_pointer (&task));
  gtk_editable_set_text (GTK_EDITABLE (self->decision_pin), "");
}

static void
honoured_clicked_cb (SaomaAttemptDialog *self,
                     GtkButton          *button)
{
  decide (self, SAOMA_LATE_DECISION_HONOURED);
}

static void
refunded_clicked_cb (SaomaAttemptDialog *self,
                     GtkButton          *button)
{
  decide (self, SAOMA_LATE_DECISION_REFUNDED);
}

static void
saoma_attempt_dialog_dispose (GObject *object)
{
  SaomaAttemptDialog *self = (SaomaAttemptDialog *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->query_source, g_source_remove);
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

  g_type_ensure (SAOMA_TYPE_MESSAGE_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-attempt-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, message_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, query_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, amount_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, state_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, fields_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, events_list);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, query_answer_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, raw_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, decision_box);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, decision_status);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, decision_pin);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, honoured_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaAttemptDialog, refunded_button);
  gtk_widget_class_bind_template_callback (widget_class, query_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, honoured_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, refunded_clicked_cb);

  /**
   * SaomaAttemptDialog::late-decided:
   * @out_trade_no: the late payment
   *
   * A decision on a late payment was recorded (an event: no attempt row changed).
   */
  signals[LATE_DECIDED] = g_signal_new ("late-decided", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                        G_TYPE_STRING);
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
