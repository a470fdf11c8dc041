/* saoma-history-page.c: every payment attempt of a day, with filters and search. */
#define G_LOG_DOMAIN "saoma-history-page"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-money.h"
#include "ledger/saoma-ledger-model.h"

#include "saoma-attempt-dialog.h"
#include "saoma-history-page.h"
#include "saoma-messages.h"

struct _SaomaHistoryPage
{
  AdwBin              parent_instance;

  SaomaLedger        *ledger;
  SaomaLedgerModel   *model;
  SaomaCheckout      *checkout;
  GDateTime          *day;          /* local midnight, NULL = every day */
  guint               summary_source;
  guint               spinner_source;   /* shows the spinner if still busy */
  GCancellable       *sum_cancellable;  /* the paid sum being read, or NULL */
  gboolean            sum_known;        /* paid_sum is that of the current filter */
  gint64              paid_sum;

  /* Template widgets */
  GtkMenuButton      *day_button;
  GtkLabel           *day_label;
  GtkPopover         *day_popover;
  GtkCalendar        *calendar;
  GtkDropDown        *state_dropdown;
  GtkSearchEntry     *search_entry;
  GtkLabel           *summary_label;
  GtkSpinner         *summary_spinner;
  GtkStack           *content_stack;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  AdwStatusPage      *empty_page;
};

G_DEFINE_FINAL_TYPE (SaomaHistoryPage, saoma_history_page, ADW_TYPE_BIN)

/* The state filter's rows, in the order of the GtkStringList in the .ui. */
static const int filter_states[] = {
  -1,
  SAOMA_ATTEMPT_PAID,
  SAOMA_ATTEMPT_WAITING,
  SAOMA_ATTEMPT_UNKNOWN,
  SAOMA_ATTEMPT_CLOSING,
  SAOMA_ATTEMPT_CLOSED,
  SAOMA_ATTEMPT_FAILED,
  SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
  SAOMA_ATTEMPT_REFUNDED,
};

static void
setup_text_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
setup_amount_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
setup_state_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_halign (label, GTK_ALIGN_START);
  gtk_widget_add_css_class (label, "state-badge");
  gtk_list_item_set_child (item, label);
}

static SaomaAttempt *
item_attempt (GtkListItem *item)
{
  return SAOMA_ATTEMPT (gtk_list_item_get_item (item));
}

/* A row whose page the store has not answered yet is a placeholder: it has no time, amount or
 * state, and showing its zeroes ("1970-01-01", "¥0.00", "Created") would be a lie. It stays
 * blank until items-changed hands the row its attempt. */
static gboolean
item_is_placeholder (GtkListItem *item)
{
  SaomaAttempt *attempt = item_attempt (item);

  return attempt == NULL || saoma_attempt_is_placeholder (attempt);
}

static void
bind_time_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  SaomaAttempt *attempt = item_attempt (item);
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (item_is_placeholder (item))
    {
      gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), "");
      return;
    }

  utc = g_date_time_new_from_unix_utc (saoma_attempt_get_created (attempt) / G_USEC_PER_SEC);
  local = utc ? g_date_time_to_local (utc) : NULL;
  text = local ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
bind_amount_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  g_autofree char *text = NULL;

  if (!item_is_placeholder (item))
    text = saoma_money_format (saoma_attempt_get_amount (item_attempt (item)));
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text ? text : "");
}

static void
bind_state_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  SaomaAttempt *attempt = item_attempt (item);
  SaomaAttemptState state = saoma_attempt_get_state (attempt);
  GtkWidget *label = gtk_list_item_get_child (item);
  const char *classes[] = { "state-badge", saoma_messages_state_style (state),
                            saoma_attempt_get_late (attempt) ? "late" : NULL, NULL };

  if (item_is_placeholder (item))
    {
      /* No badge at all: an empty coloured pill would still claim a state. */
      gtk_label_set_text (GTK_LABEL (label), "");
      gtk_widget_set_css_classes (label, (const char *[]) { NULL });
      return;
    }

  if (saoma_attempt_get_late (attempt) && state == SAOMA_ATTEMPT_PAID)
    {
      g_autofree char *text = g_strdup_printf ("%s · %s", saoma_messages_state_label (state),
                                               _("late"));
      gtk_label_set_text (GTK_LABEL (label), text);
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (label), saoma_messages_state_label (state));
    }
  gtk_widget_set_css_classes (label, classes);
}

static void
bind_out_trade_no_cb (GtkSignalListItemFactory *factory,
                      GtkListItem              *item,
                      gpointer                  user_data)
{
  const char *no = item_is_placeholder (item)
                     ? NULL : saoma_attempt_get_out_trade_no (item_attempt (item));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), no ? no : "");
}

static void
bind_transaction_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *item,
                     gpointer                  user_data)
{
  const char *id = saoma_attempt_get_transaction_id (item_attempt (item));

  if (item_is_placeholder (item))
    id = "";
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), id ? id : "—");
}

static gboolean
model_loading (SaomaHistoryPage *self)
{
  return self->model != NULL && saoma_ledger_model_get_loading (self->model);
}

/* A page read takes a millisecond or so while scrolling: the spinner only shows when the store
 * keeps the page waiting longer than that, so it does not flicker on every page. */
#define SPINNER_DELAY_MS 300

static gboolean
page_busy (SaomaHistoryPage *self)
{
  return model_loading (self) || self->sum_cancellable != NULL;
}

static gboolean
show_spinner_cb (gpointer user_data)
{
  SaomaHistoryPage *self = user_data;

  self->spinner_source = 0;
  if (page_busy (self))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->summary_spinner), TRUE);
      gtk_spinner_set_spinning (self->summary_spinner, TRUE);
    }

  return G_SOURCE_REMOVE;
}

static void
update_spinner (SaomaHistoryPage *self)
{
  if (page_busy (self))
    {
      if (self->spinner_source == 0 &&
          !gtk_widget_get_visible (GTK_WIDGET (self->summary_spinner)))
        self->spinner_source = g_timeout_add (SPINNER_DELAY_MS, show_spinner_cb, self);
      return;
    }

  g_clear_handle_id (&self->spinner_source, g_source_remove);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_spinner), FALSE);
  gtk_spinner_set_spinning (self->summary_spinner, FALSE);
}

static gboolean
update_summary_cb (gpointer user_data)
{
  SaomaHistoryPage *self = user_data;
  guint n;

  self->summary_source = 0;
  update_spinner (self);

  if (self->model == NULL)
    {
      gtk_label_set_text (self->summary_label, "");
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return G_SOURCE_REMOVE;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  /* While a count is read an empty list is not known to be empty: "No Payments" would flash
   * before the rows. */
  gtk_stack_set_visible_child_name (self->content_stack,
                                    n > 0 || model_loading (self) ? "list" : "empty");

  /* The paid sum is shown for one day (an indexed range read in the store's worker); over
   * every day it would read the whole ledger on each change, so only the count is shown. */
  if (self->day == NULL || !self->sum_known)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u payment", "%u payments", n), n);

      gtk_label_set_text (self->summary_label, text);
    }
  else
  {
    g_autofree char *paid = saoma_money_format (self->paid_sum);
    g_autofree char *text = NULL;

    /* Translators: “12 payments · ¥1,234.00 paid”; the first %u is the number of rows */
    text = g_strdup_printf (ngettext ("%u payment · %s paid", "%u payments · %s paid", n),
                            n, paid);
    gtk_label_set_text (self->summary_label, text);
  }

  return G_SOURCE_REMOVE;
}

static void
queue_update_summary (SaomaHistoryPage *self)
{
  if (self->summary_source == 0)
    self->summary_source = g_idle_add_full (G_PRIORITY_LOW, update_summary_cb, self, NULL);
}

static void
sum_ready_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SaomaHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 sum = 0;

  if (!saoma_ledger_model_sum_amount_finish (SAOMA_LEDGER_MODEL (source), result, &sum,
                                             &error))
    {
      /* Cancelled: a newer sum (or the page going away) replaced this one. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Cannot sum the day's payments: %s", error->message);
    }
  else
    {
      self->paid_sum = sum;
      self->sum_known = TRUE;
    }

  g_clear_object (&self->sum_cancellable);
  queue_update_summary (self);
}

/* Reads the paid sum again, in the store's worker: the filter or a row changed. Until it
 * arrives the summary shows the count and the spinner turns. */
static void
refresh_sum (SaomaHistoryPage *self)
{
  if (self->sum_cancellable != NULL)
    {
      g_cancellable_cancel (self->sum_cancellable);
      g_clear_object (&self->sum_cancellable);
    }

  self->sum_known = FALSE;
  if (self->model != NULL && self->day != NULL)
    {
      self->sum_cancellable = g_cancellable_new ();
      saoma_ledger_model_sum_amount_async (self->model, SAOMA_ATTEMPT_PAID,
                                           self->sum_cancellable, sum_ready_cb,
                                           g_object_ref (self));
    }

  queue_update_summary (self);
}

static void
model_items_changed_cb (SaomaHistoryPage *self,
                        guint             position,
                        guint             removed,
                        guint             added,
                        GListModel       *model)
{
  queue_update_summary (self);
}

static void
model_loading_cb (SaomaHistoryPage *self,
                  GParamSpec       *pspec,
                  GObject          *model)
{
  update_spinner (self);
  queue_update_summary (self);
}

/* A row was written: the sum may have changed (the count follows from items-changed). */
static void
ledger_attempt_cb (SaomaHistoryPage *self,
                   SaomaAttempt     *attempt,
                   SaomaLedger      *ledger)
{
  if (self->day != NULL)
    refresh_sum (self);
}

static void
apply_day (SaomaHistoryPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *text = NULL;

  if (self->day == NULL)
    {
      gtk_label_set_text (self->day_label, _("All Days"));
      if (self->model != NULL)
        saoma_ledger_model_set_day_range (self->model, 0, 0);
      refresh_sum (self);
      return;
    }

  if (g_date_time_get_year (now) == g_date_time_get_year (self->day) &&
      g_date_time_get_day_of_year (now) == g_date_time_get_day_of_year (self->day))
    text = g_strdup (_("Today"));
  else
    text = g_date_time_format (self->day, "%Y-%m-%d");
  gtk_label_set_text (self->day_label, text);

  if (self->model != NULL)
    {
      g_autoptr(GDateTime) next = g_date_time_add_days (self->day, 1);

      saoma_ledger_model_set_day_range (self->model,
                                        g_date_time_to_unix (self->day) * G_USEC_PER_SEC,
                                        g_date_time_to_unix (next) * G_USEC_PER_SEC);
    }
  refresh_sum (self);
}

void
saoma_history_page_set_day (SaomaHistoryPage *self,
                            GDateTime        *day)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  g_clear_pointer (&self->day, g_date_time_unref);
  if (day != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (day);

      self->day = g_date_time_new_local (g_date_time_get_year (local),
                                         g_date_time_get_month (local),
                                         g_date_time_get_day_of_month (local), 0, 0, 0);
    }

  apply_day (self);
}

static void
calendar_day_selected_cb (SaomaHistoryPage *self,
                          GtkCalendar      *calendar)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (calendar);

  saoma_history_page_set_day (self, date);
  gtk_popover_popdown (self->day_popover);
}

static void
today_clicked_cb (SaomaHistoryPage *self,
                  GtkButton        *button)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_calendar_select_day (self->calendar, now);
  saoma_history_page_set_day (self, now);
  gtk_popover_popdown (self->day_popover);
}

static void
all_days_clicked_cb (SaomaHistoryPage *self,
                     GtkButton        *button)
{
  saoma_history_page_set_day (self, NULL);
  gtk_popover_popdown (self->day_popover);
}

static void
state_selected_cb (SaomaHistoryPage *self,
                   GParamSpec       *pspec,
                   GtkDropDown      *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (self->model == NULL || selected >= G_N_ELEMENTS (filter_states))
    return;

  saoma_ledger_model_set_state_filter (self->model, filter_states[selected]);
  refresh_sum (self);
}

static void
search_changed_cb (SaomaHistoryPage *self,
                   GtkSearchEntry   *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (self->model == NULL)
    return;

  saoma_ledger_model_set_search_text (self->model, text[0] ? text : NULL);
  refresh_sum (self);
}

static void
row_activated_cb (SaomaHistoryPage *self,
                  guint             position,
                  GtkColumnView    *column_view)
{
  g_autoptr(SaomaAttempt) attempt = NULL;
  GtkWindow *dialog;
  GtkRoot *root;

  if (self->model == NULL || self->ledger == NULL)
    return;

  attempt = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  /* A row still loading has no order number to open. */
  if (attempt == NULL || saoma_attempt_is_placeholder (attempt))
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = saoma_attempt_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                     self->ledger, self->checkout,
                                     saoma_attempt_get_out_trade_no (attempt));
  gtk_window_present (dialog);
}

static void
saoma_history_page_dispose (GObject *object)
{
  SaomaHistoryPage *self = (SaomaHistoryPage *) object;

  g_clear_handle_id (&self->summary_source, g_source_remove);
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  if (self->sum_cancellable != NULL)
    g_cancellable_cancel (self->sum_cancellable);
  g_clear_object (&self->sum_cancellable);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->ledger != NULL)
    g_signal_handlers_disconnect_by_data (self->ledger, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_HISTORY_PAGE);

  g_clear_object (&self->model);
  g_clear_object (&self->ledger);
  g_clear_object (&self->checkout);

  G_OBJECT_CLASS (saoma_history_page_parent_class)->dispose (object);
}

static void
saoma_history_page_finalize (GObject *object)
{
  SaomaHistoryPage *self = (SaomaHistoryPage *) object;

  g_clear_pointer (&self->day, g_date_time_unref);

  G_OBJECT_CLASS (saoma_history_page_parent_class)->finalize (object);
}

static void
saoma_history_page_class_init (SaomaHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_history_page_dispose;
  object_class->finalize = saoma_history_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, day_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, day_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, day_popover);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, calendar);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, summary_spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, selection);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, setup_text_cb);
  gtk_widget_class_bind_template_callback (widget_class, setup_amount_cb);
  gtk_widget_class_bind_template_callback (widget_class, setup_state_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_time_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_amount_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_state_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_out_trade_no_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_transaction_cb);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, today_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, all_days_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, state_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
saoma_history_page_init (SaomaHistoryPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_widget_init_template (GTK_WIDGET (self));

  saoma_history_page_set_day (self, now);
  queue_update_summary (self);
}

GtkWidget *
saoma_history_page_new (void)
{
  return g_object_new (SAOMA_TYPE_HISTORY_PAGE, NULL);
}

void
saoma_history_page_set_ledger (SaomaHistoryPage *self,
                               SaomaLedger      *ledger)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  if (self->ledger == ledger)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->ledger != NULL)
    g_signal_handlers_disconnect_by_data (self->ledger, self);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->model);
  g_set_object (&self->ledger, ledger);

  if (ledger != NULL)
    {
      self->model = saoma_ledger_model_new (ledger);
      apply_day (self);
      state_selected_cb (self, NULL, self->state_dropdown);
      search_changed_cb (self, self->search_entry);
      g_signal_connect_object (self->model, "items-changed",
                               G_CALLBACK (model_items_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->model, "notify::loading",
                               G_CALLBACK (model_loading_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (ledger, "attempt-added",
                               G_CALLBACK (ledger_attempt_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (ledger, "attempt-changed",
                               G_CALLBACK (ledger_attempt_cb), self, G_CONNECT_SWAPPED);
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->model));
    }

  refresh_sum (self);
}

void
saoma_history_page_set_checkout (SaomaHistoryPage *self,
                                 SaomaCheckout    *checkout)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  g_set_object (&self->checkout, checkout);
}

void
saoma_history_page_focus_search (SaomaHistoryPage *self)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

GListModel *
saoma_history_page_get_model (SaomaHistoryPage *self)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_PAGE (self), NULL);

  return self->model ? G_LIST_MODEL (self->model) : NULL;
}

GtkWidget *
saoma_history_page_get_column_view (SaomaHistoryPage *self)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_PAGE (self), NULL);

  return GTK_WIDGET (self->column_view);
}
