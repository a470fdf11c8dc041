/* saoma-history-page.c: every payment attempt of a day, with filters and search. */
#define G_LOG_DOMAIN "saoma-history-page"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-business-day.h"
#include "core/saoma-late-payments.h"
#include "core/saoma-money.h"
#include "core/saoma-totals.h"
#include "ledger/saoma-ledger-model.h"

#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-history-page.h"
#include "saoma-history-row.h"
#include "saoma-messages.h"

struct _SaomaHistoryPage
{
  AdwBin              parent_instance;

  SaomaLedger        *ledger;
  SaomaLedgerModel   *model;
  SaomaCheckout      *checkout;
  SaomaBusinessDay   *business_day;  /* Beijing time, the shop's day start */
  GSettings          *settings;       /* business-day-start, when run by the application */
  GDate               date;           /* the business day shown */
  gboolean            all_days;       /* every day instead */
  guint               summary_source;
  guint               spinner_source;   /* shows the spinner if still busy */
  guint               totals_source;    /* a coalesced re-read of the totals */
  GCancellable       *sum_cancellable;  /* the day's totals being read, or NULL */
  gboolean            sum_known;        /* totals are those of the day shown */
  gboolean            first_load_done;  /* the model's first rows are painted: totals may be read */
  GdkFrameClock      *first_frame_clock; /* waited on for the frame showing the first rows */
  gulong              first_frame_handler;
  SaomaTotals         totals;
  GCancellable       *late_cancellable; /* the undecided late payments being read */
  guint               n_late;           /* late payments waiting for a decision */
  char               *late_first;       /* the oldest one's out_trade_no */
  SaomaHistoryColumns *columns;         /* the geometry the header and the rows share */
  GPtrArray          *live_items;       /* GtkListItem the list view keeps (set up) */
  guint               fill_source;      /* rows bound while the page is hidden, filled later */

  /* Template widgets */
  GtkMenuButton      *day_button;
  GtkLabel           *day_label;
  GtkPopover         *day_popover;
  GtkCalendar        *calendar;
  GtkDropDown        *state_dropdown;
  GtkSearchEntry     *search_entry;
  GtkLabel           *summary_label;
  GtkSpinner         *summary_spinner;
  GtkRevealer        *late_revealer;
  GtkLabel           *late_label;
  GtkStack           *content_stack;
  GtkBox             *header_box;
  GtkListView        *list_view;
  GtkSingleSelection *selection;
  AdwStatusPage      *empty_page;
};

G_DEFINE_FINAL_TYPE (SaomaHistoryPage, saoma_history_page, ADW_TYPE_BIN)

/* The filter row "Needs a decision": late payments without a recorded decision. */
#define FILTER_NEEDS_DECISION (-2)

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
  FILTER_NEEDS_DECISION,
};

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

/* @usec (µs UTC) in the business day's zone (Beijing by default), so the times read like the
 * order numbers and WeChat's own records beside them. */
static char *
format_shop_time (SaomaHistoryPage *self,
                  gint64            usec,
                  const char       *format)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) shop = NULL;

  if (usec <= 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  shop = utc ? g_date_time_to_timezone (utc, self->business_day->tz) : NULL;
  return shop ? g_date_time_format (shop, format) : g_strdup ("");
}

/* The row's labels say @item's attempt (blank for a placeholder). */
static void
fill_row (SaomaHistoryPage *self,
          GtkListItem      *item)
{
  SaomaHistoryRow *row = SAOMA_HISTORY_ROW (gtk_list_item_get_child (item));
  SaomaAttempt *attempt = item_attempt (item);
  GtkLabel *state_label = saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_STATE);
  g_autofree char *time = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *state = NULL;
  SaomaAttemptState attempt_state;
  const char *id;

  if (item_is_placeholder (item))
    {
      for (guint i = 0; i < SAOMA_HISTORY_N_COLUMNS; i++)
        gtk_label_set_text (saoma_history_row_get_cell (row, i), "");
      /* No badge at all: an empty coloured pill would still claim a state. */
      gtk_widget_set_css_classes (GTK_WIDGET (state_label), (const char *[]) { NULL });
      return;
    }

  time = format_shop_time (self, saoma_attempt_get_created (attempt), "%Y-%m-%d %H:%M:%S");
  gtk_label_set_text (saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_TIME), time);
  amount = saoma_money_format (saoma_attempt_get_amount (attempt));
  gtk_label_set_text (saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_AMOUNT), amount);
  gtk_label_set_text (saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_METHOD),
                      saoma_messages_method_label (saoma_attempt_get_method (attempt)));

  attempt_state = saoma_attempt_get_state (attempt);
  if (saoma_attempt_get_late (attempt) && attempt_state == SAOMA_ATTEMPT_PAID)
    state = g_strdup_printf ("%s · %s", saoma_messages_state_label (attempt_state), _("late"));
  gtk_label_set_text (state_label, state ? state : saoma_messages_state_label (attempt_state));
  gtk_widget_set_css_classes (GTK_WIDGET (state_label),
                              (const char *[]) { "state-badge",
                                                 saoma_messages_state_style (attempt_state),
                                                 saoma_attempt_get_late (attempt) ? "late" : NULL,
                                                 NULL });

  gtk_label_set_text (saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_OUT_TRADE_NO),
                      saoma_attempt_get_out_trade_no (attempt));
  id = saoma_attempt_get_transaction_id (attempt);
  gtk_label_set_text (saoma_history_row_get_cell (row, SAOMA_HISTORY_COLUMN_TRANSACTION),
                      id ? id : "—");
}

/* Whether the row at @position may be on screen: from a little above the list's visible part
 * to a little below it. Every row is as tall as the columns' height plus what the list adds
 * around it (padding, a separator: at most ROW_SLACK px), so its top is known within a few
 * pixels without asking the list, which may not have placed it yet. */
#define ROW_SLACK 16

static gboolean
position_on_screen (SaomaHistoryPage *self,
                    guint             position)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view));
  int height = saoma_history_columns_get_height (self->columns, GTK_WIDGET (self->list_view));
  double top = adj != NULL ? gtk_adjustment_get_value (adj) : 0;
  double shown = adj != NULL ? gtk_adjustment_get_page_size (adj) : 0;

  /* Before the list is first allocated (its page still hidden) its height is not known: the
   * page's, or a tall screen's. */
  if (shown <= 0)
    shown = gtk_widget_get_height (GTK_WIDGET (self));
  if (shown <= 0)
    shown = 2000;

  return position + 2 >= top / (height + ROW_SLACK) &&
         position <= (top + shown) / height + 2;
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              SaomaHistoryPage         *self)
{
  gtk_list_item_set_child (item, saoma_history_row_new (self->columns, FALSE));
  g_ptr_array_add (self->live_items, item);
}

static void
teardown_row_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 SaomaHistoryPage         *self)
{
  g_ptr_array_remove_fast (self->live_items, item);
}

/* GTK 4.8 binds about 200 rows however few are on screen: a row gets its labels (and the
 * work of laying out their text) when it is on screen, here or when the list scrolls to it
 * (rows_scrolled_cb). */
static void
fill_bound_row (SaomaHistoryPage *self,
                GtkListItem      *item)
{
  SaomaHistoryRow *row = SAOMA_HISTORY_ROW (gtk_list_item_get_child (item));

  if (saoma_history_row_has_cells (row) ||
      position_on_screen (self, gtk_list_item_get_position (item)))
    {
      saoma_history_row_ensure_cells (row);
      fill_row (self, item);
    }
}

static void
fill_bound_rows (SaomaHistoryPage *self)
{
  g_clear_handle_id (&self->fill_source, g_source_remove);
  for (guint i = 0; i < self->live_items->len; i++)
    {
      GtkListItem *item = g_ptr_array_index (self->live_items, i);

      if (gtk_list_item_get_position (item) != GTK_INVALID_LIST_POSITION &&
          gtk_list_item_get_item (item) != NULL)
        fill_bound_row (self, item);
    }
}

static gboolean
fill_bound_rows_cb (gpointer user_data)
{
  SaomaHistoryPage *self = user_data;

  self->fill_source = 0;
  fill_bound_rows (self);
  return G_SOURCE_REMOVE;
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             SaomaHistoryPage         *self)
{
  /* Hidden behind the checkout page, the list is bound again at every write of a sale (its
   * count changed): its rows are filled after the frames the till draws meanwhile, the QR's
   * and the paid page's, not before them (issue 19), and at once when the page is shown. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self->list_view)))
    {
      if (self->fill_source == 0)
        self->fill_source = g_idle_add_full (G_PRIORITY_LOW, fill_bound_rows_cb, self, NULL);
      return;
    }
  fill_bound_row (self, item);
}

/* The list scrolled or grew: rows now on screen that have no labels yet get them. */
static void
rows_scrolled_cb (SaomaHistoryPage *self,
                  GtkAdjustment    *adj)
{
  for (guint i = 0; i < self->live_items->len; i++)
    {
      GtkListItem *item = g_ptr_array_index (self->live_items, i);
      SaomaHistoryRow *row = SAOMA_HISTORY_ROW (gtk_list_item_get_child (item));
      guint position = gtk_list_item_get_position (item);

      if (position == GTK_INVALID_LIST_POSITION || gtk_list_item_get_item (item) == NULL ||
          saoma_history_row_has_cells (row) || !position_on_screen (self, position))
        continue;
      saoma_history_row_ensure_cells (row);
      fill_row (self, item);
    }
}

/* Shown: rows bound while hidden get their text before the page's first frame. */
static void
list_mapped_cb (SaomaHistoryPage *self)
{
  if (self->fill_source != 0)
    fill_bound_rows (self);
}

static gboolean
model_loading (SaomaHistoryPage *self)
{
  return self->model != NULL && saoma_ledger_model_get_loading (self->model);
}

/* A page read takes a millisecond or so while scrolling: the spinner only shows when the store
 * keeps the page waiting longer than that, so it does not flicker on every page. */
#define SPINNER_DELAY_MS 300
/* Writes come in bursts (a transition, its event, a refund): the totals are read once after. */
#define TOTALS_DELAY_MS  250

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

/* A filter or search narrows the rows: an empty list then means "nothing matches", not "no
 * payments that day". */
static gboolean
filter_active (SaomaHistoryPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return gtk_drop_down_get_selected (self->state_dropdown) != 0 || (text && text[0] != '\0');
}

/* "3 payments · ¥123.00 paid · ¥10.00 refunded · ¥113.00 net": SaomaTotals, the figures of
 * Day Close (saoma-totals.h), for the business day shown. */
static char *
format_totals (const SaomaTotals *totals)
{
  g_autofree char *paid = saoma_money_format (totals->paid);
  g_autofree char *refunded = saoma_money_format (totals->refunded);
  g_autofree char *net = saoma_money_format (saoma_totals_get_net (totals));
  g_autofree char *head = NULL;
  g_autofree char *refunded_text = NULL;
  g_autofree char *net_text = NULL;

  /* Translators: “12 payments · ¥1,234.00 paid”; the first %u is the number of rows */
  head = g_strdup_printf (ngettext ("%u payment · %s paid", "%u payments · %s paid",
                                    totals->n_payments),
                          totals->n_payments, paid);
  /* Translators: in the History's summary, after “… paid · ”: the day's successful refunds */
  refunded_text = g_strdup_printf (_("%s refunded"), refunded);
  /* Translators: in the History's summary: paid minus refunded */
  net_text = g_strdup_printf (_("%s net"), net);

  return g_strjoin (" · ", head, refunded_text, net_text, NULL);
}

static gboolean
update_summary_cb (gpointer user_data)
{
  SaomaHistoryPage *self = user_data;
  g_autofree char *text = NULL;
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
  if (n > 0 || model_loading (self))
    gtk_stack_set_visible_child_name (self->content_stack, "list");
  else
    gtk_stack_set_visible_child_name (self->content_stack,
                                      filter_active (self) ? "no-results" : "empty");

  /* The totals are read for one business day (an indexed range read in a worker); over every
   * day they would read the whole ledger on each change, so only the rows are counted. */
  if (self->all_days || !self->sum_known)
    text = g_strdup_printf (ngettext ("%u order", "%u orders", n), n);
  else
    {
      g_autofree char *totals = format_totals (&self->totals);

      if (filter_active (self))
        /* Translators: “4 shown · 12 payments · ¥1,234.00 paid · …”: rows that match the
         * filter, then the day's totals */
        text = g_strdup_printf (ngettext ("%u shown · %s", "%u shown · %s", n), n, totals);
      else
        text = g_steal_pointer (&totals);
    }
  gtk_label_set_text (self->summary_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary_label), text);

  return G_SOURCE_REMOVE;
}

static void
queue_update_summary (SaomaHistoryPage *self)
{
  if (self->summary_source == 0)
    self->summary_source = g_idle_add_full (G_PRIORITY_LOW, update_summary_cb, self, NULL);
}

static void
totals_ready_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SaomaHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  SaomaTotals totals = SAOMA_TOTALS_INIT;

  if (!saoma_totals_compute_finish (result, &totals, &error))
    {
      /* Cancelled: a newer read (or the page going away) replaced this one. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Cannot read the day's totals: %s", error->message);
    }
  else if (g_cancellable_is_cancelled (self->sum_cancellable))
    return;
  else
    {
      self->totals = totals;
      self->sum_known = TRUE;
    }

  g_clear_object (&self->sum_cancellable);
  queue_update_summary (self);
}

static void
day_range (SaomaHistoryPage *self,
           gint64           *start_us,
           gint64           *end_us)
{
  saoma_business_day_range (self->business_day, &self->date, start_us, end_us);
}

/* Reads the day's totals again, in a worker: the day or a row changed. Until they arrive the
 * summary shows the count and the spinner turns. The first read waits for the model's first
 * rows, so it never competes with the first frame. */
static void
refresh_totals (SaomaHistoryPage *self)
{
  gint64 start_us, end_us;

  g_clear_handle_id (&self->totals_source, g_source_remove);
  if (self->sum_cancellable != NULL)
    {
      g_cancellable_cancel (self->sum_cancellable);
      g_clear_object (&self->sum_cancellable);
    }

  if (self->ledger != NULL && !self->all_days && self->first_load_done)
    {
      day_range (self, &start_us, &end_us);
      self->sum_cancellable = g_cancellable_new ();
      saoma_totals_compute_async (self->ledger, start_us, end_us, self->sum_cancellable,
                                  totals_ready_cb, g_object_ref (self));
    }

  queue_update_summary (self);
}

/* The day changed: the old totals are not this day's. */
static void
refresh_sum (SaomaHistoryPage *self)
{
  self->sum_known = FALSE;
  refresh_totals (self);
}

static gboolean
totals_timeout_cb (gpointer user_data)
{
  SaomaHistoryPage *self = user_data;

  self->totals_source = 0;
  refresh_totals (self);
  return G_SOURCE_REMOVE;
}

static void
queue_refresh_totals (SaomaHistoryPage *self)
{
  if (self->totals_source == 0 && !self->all_days)
    self->totals_source = g_timeout_add (TOTALS_DELAY_MS, totals_timeout_cb, self);
}

/* The late payments still waiting for a decision (saoma-late-payments.h): a banner until one is
 * recorded, read from the ledger, so it is there again after a restart. */
static void
late_ready_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) open = saoma_late_payments_list_open_finish (result, &error);

  if (open == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the late payments: %s", error->message);
      return;
    }
  g_clear_object (&self->late_cancellable);

  self->n_late = open->len;
  g_clear_pointer (&self->late_first, g_free);
  if (open->len > 0)
    {
      SaomaAttempt *first = g_ptr_array_index (open, 0);
      g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (first));
      g_autofree char *text = NULL;

      self->late_first = g_strdup (saoma_attempt_get_out_trade_no (first));
      if (open->len == 1)
        /* Translators: %s is an amount, %s an order number */
        text = g_strdup_printf (_("A late payment needs a decision: %s for order %s. Open it "
                                  "and record whether the sale stands or the money went back."),
                                amount, self->late_first);
      else
        text = g_strdup_printf (ngettext ("%u late payment needs a decision.",
                                          "%u late payments need a decision.", open->len),
                                open->len);
      gtk_label_set_text (self->late_label, text);
    }
  gtk_revealer_set_reveal_child (self->late_revealer, open->len > 0);
}

/* A hidden banner keeps no text: screen readers (and tests) would still find it. */
static void
late_revealed_cb (SaomaHistoryPage *self,
                  GParamSpec       *pspec,
                  GtkRevealer      *revealer)
{
  if (!gtk_revealer_get_child_revealed (revealer) && !gtk_revealer_get_reveal_child (revealer))
    gtk_label_set_text (self->late_label, "");
}

static void
refresh_late (SaomaHistoryPage *self)
{
  if (self->late_cancellable != NULL)
    {
      g_cancellable_cancel (self->late_cancellable);
      g_clear_object (&self->late_cancellable);
    }
  if (self->ledger == NULL)
    {
      gtk_revealer_set_reveal_child (self->late_revealer, FALSE);
      return;
    }

  self->late_cancellable = g_cancellable_new ();
  saoma_late_payments_list_open_async (self->ledger, self->late_cancellable, late_ready_cb,
                                       g_object_ref (self));
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
stop_waiting_first_frame (SaomaHistoryPage *self)
{
  if (self->first_frame_clock != NULL)
    g_clear_signal_handler (&self->first_frame_handler, self->first_frame_clock);
  g_clear_object (&self->first_frame_clock);
}

static void
first_frame_painted_cb (SaomaHistoryPage *self)
{
  stop_waiting_first_frame (self);
  self->first_load_done = TRUE;
  refresh_totals (self);
  refresh_late (self);
  update_spinner (self);
  queue_update_summary (self);
}

/* The totals and the late payments are read once the first rows are on screen: their reads
 * (workers, the ledger's lock) never compete with the frame the cashier waits for. */
static void
wait_first_frame (SaomaHistoryPage *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->first_frame_clock != NULL)
    return;
  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      /* Not on screen: no frame to wait for. */
      first_frame_painted_cb (self);
      return;
    }

  self->first_frame_clock = g_object_ref (clock);
  self->first_frame_handler = g_signal_connect_swapped (clock, "after-paint",
                                                        G_CALLBACK (first_frame_painted_cb),
                                                        self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
model_loading_cb (SaomaHistoryPage *self,
                  GParamSpec       *pspec,
                  GObject          *model)
{
  if (!self->first_load_done && !model_loading (self))
    wait_first_frame (self);
  update_spinner (self);
  queue_update_summary (self);
}

/* A row was written: the totals may have changed (the count follows from items-changed), and
 * a late payment may have arrived. */
static void
ledger_attempt_cb (SaomaHistoryPage *self,
                   SaomaAttempt     *attempt,
                   SaomaLedger      *ledger)
{
  queue_refresh_totals (self);
  if (self->first_load_done && saoma_attempt_get_late (attempt))
    refresh_late (self);
}

static void
ledger_refund_cb (SaomaHistoryPage *self,
                  const char       *out_refund_no,
                  SaomaLedger      *ledger)
{
  queue_refresh_totals (self);
}

static void
apply_day (SaomaHistoryPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GDate today;
  gint64 start_us, end_us;
  g_autofree char *text = NULL;

  if (self->all_days)
    {
      gtk_label_set_text (self->day_label, _("All Days"));
      if (self->model != NULL)
        saoma_ledger_model_set_day_range (self->model, 0, 0);
      refresh_sum (self);
      return;
    }

  saoma_business_day_of (self->business_day, g_date_time_to_unix (now) * G_USEC_PER_SEC,
                         &today);
  if (g_date_compare (&today, &self->date) == 0)
    text = g_strdup (_("Today"));
  else
    {
      text = g_malloc (16);
      g_date_strftime (text, 16, "%Y-%m-%d", &self->date);
    }
  gtk_label_set_text (self->day_label, text);

  day_range (self, &start_us, &end_us);
  if (self->model != NULL)
    saoma_ledger_model_set_day_range (self->model, start_us, end_us);
  refresh_sum (self);
}

/**
 * saoma_history_page_set_day:
 * @day: (nullable): a moment of the business day to show (its start in the shop's zone is
 *   found with the day start setting), or %NULL for every day
 */
void
saoma_history_page_set_day (SaomaHistoryPage *self,
                            GDateTime        *day)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  self->all_days = day == NULL;
  if (day != NULL)
    saoma_business_day_of (self->business_day, g_date_time_to_unix (day) * G_USEC_PER_SEC,
                           &self->date);

  apply_day (self);
}

/**
 * saoma_history_page_set_date:
 * @date: the business day to show
 */
void
saoma_history_page_set_date (SaomaHistoryPage *self,
                             const GDate      *date)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (date != NULL && g_date_valid (date));

  self->all_days = FALSE;
  self->date = *date;
  apply_day (self);
}

static void
calendar_day_selected_cb (SaomaHistoryPage *self,
                          GtkCalendar      *calendar)
{
  g_autoptr(GDateTime) picked = gtk_calendar_get_date (calendar);
  GDate date;

  /* The calendar's cell is the business day's date itself, whatever the zone. */
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, g_date_time_get_day_of_month (picked),
                  g_date_time_get_month (picked), g_date_time_get_year (picked));
  saoma_history_page_set_date (self, &date);
  gtk_popover_popdown (self->day_popover);
}

static void
today_clicked_cb (SaomaHistoryPage *self,
                  GtkButton        *button)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

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
  int filter;

  if (self->model == NULL || selected >= G_N_ELEMENTS (filter_states))
    return;

  filter = filter_states[selected];
  saoma_ledger_model_set_undecided_late (self->model, filter == FILTER_NEEDS_DECISION);
  saoma_ledger_model_set_state_filter (self->model, filter >= 0 ? filter : -1);
  queue_update_summary (self);
}

/* "38.5", "38.50", "¥38.50" name an amount: core's money parser makes it fen (no floating
 * point), and rows of that amount match beside order and transaction numbers. */
static gint64
search_amount (const char *text)
{
  gint64 fen = 0;

  if (text == NULL || text[0] == '\0' ||
      !saoma_money_parse (text, G_MAXINT64 / 2, &fen, NULL))
    return 0;
  return fen;
}

static void
search_changed_cb (SaomaHistoryPage *self,
                   GtkSearchEntry   *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (self->model == NULL)
    return;

  saoma_ledger_model_set_search (self->model, text[0] ? text : NULL, search_amount (text));
  queue_update_summary (self);
}

static void
show_late_clicked_cb (SaomaHistoryPage *self,
                      GtkButton        *button)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (filter_states); i++)
    if (filter_states[i] == FILTER_NEEDS_DECISION)
      break;
  if (self->all_days == FALSE)
    saoma_history_page_set_day (self, NULL);
  gtk_drop_down_set_selected (self->state_dropdown, i);
}

/* A decision was recorded in the details: it changed no row, so the list and the banner are
 * read again. */
static void
late_decided_cb (SaomaHistoryPage *self,
                 const char       *out_trade_no,
                 GtkWindow        *dialog)
{
  if (self->model != NULL)
    saoma_ledger_model_refresh (self->model);
  refresh_late (self);
}


static void
row_activated_cb (SaomaHistoryPage *self,
                  guint             position,
                  GtkListView      *list_view)
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
  g_signal_connect_object (dialog, "late-decided", G_CALLBACK (late_decided_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
}

static void
saoma_history_page_dispose (GObject *object)
{
  SaomaHistoryPage *self = (SaomaHistoryPage *) object;

  g_clear_handle_id (&self->summary_source, g_source_remove);
  g_clear_handle_id (&self->fill_source, g_source_remove);
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  g_clear_handle_id (&self->totals_source, g_source_remove);
  stop_waiting_first_frame (self);
  if (self->sum_cancellable != NULL)
    g_cancellable_cancel (self->sum_cancellable);
  g_clear_object (&self->sum_cancellable);
  if (self->late_cancellable != NULL)
    g_cancellable_cancel (self->late_cancellable);
  g_clear_object (&self->late_cancellable);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
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

  g_clear_pointer (&self->business_day, saoma_business_day_free);
  g_clear_pointer (&self->late_first, g_free);
  g_clear_pointer (&self->columns, saoma_history_columns_unref);
  g_clear_pointer (&self->live_items, g_ptr_array_unref);

  G_OBJECT_CLASS (saoma_history_page_parent_class)->finalize (object);
}

/* Off screen (behind the checkout page) the page's content is hidden, not only unmapped: what
 * changes in it while a sale runs (a new row, a row's new state, the day's totals) then stops
 * at it, instead of asking the window for a new size. Under X11 GTK 4.8 answers that by
 * presenting the window again before its next frame, with round trips to the X server: the
 * frame of the sale's QR code or of its paid page waited for a page nobody sees (issue 19). */
static void
saoma_history_page_map (GtkWidget *widget)
{
  gtk_widget_set_visible (adw_bin_get_child (ADW_BIN (widget)), TRUE);

  GTK_WIDGET_CLASS (saoma_history_page_parent_class)->map (widget);
}

static void
saoma_history_page_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (saoma_history_page_parent_class)->unmap (widget);

  gtk_widget_set_visible (adw_bin_get_child (ADW_BIN (widget)), FALSE);
}

static void
saoma_history_page_class_init (SaomaHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_history_page_dispose;
  object_class->finalize = saoma_history_page_finalize;
  widget_class->map = saoma_history_page_map;
  widget_class->unmap = saoma_history_page_unmap;

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
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, late_revealer);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, late_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, header_box);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, selection);
  gtk_widget_class_bind_template_child (widget_class, SaomaHistoryPage, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, show_late_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, calendar_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, today_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, all_days_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, state_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

/* The business day's start moved (Preferences, or the reports' setting): the same date now
 * covers other hours. */
/* The setting's minutes, whichever integer type the schema gives the key (signed here, and
 * unsigned where Day Close added it): out of range reads as the nearest valid start. */
static guint
read_day_start (GSettings *settings)
{
  g_autoptr(GVariant) value = g_settings_get_value (settings, "business-day-start");

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return MIN (g_variant_get_uint32 (value), 24 * 60 - 1);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return (guint) CLAMP (g_variant_get_int32 (value), 0, 24 * 60 - 1);
  return 0;
}

static void
day_start_changed_cb (SaomaHistoryPage *self,
                      const char       *key,
                      GSettings        *settings)
{
  saoma_history_page_set_day_start (self, read_day_start (settings));
}

static void
saoma_history_page_init (SaomaHistoryPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GApplication *app = g_application_get_default ();

  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  self->columns = saoma_history_columns_new ();
  self->live_items = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Until it is first shown (saoma_history_page_map()). */
  gtk_widget_set_visible (adw_bin_get_child (ADW_BIN (self)), FALSE);

  gtk_box_append (self->header_box, saoma_history_row_new (self->columns, TRUE));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "teardown", G_CALLBACK (teardown_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  g_signal_connect_object (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view)),
                           "value-changed", G_CALLBACK (rows_scrolled_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view)),
                           "changed", G_CALLBACK (rows_scrolled_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list_view, "map", G_CALLBACK (list_mapped_cb), self,
                           G_CONNECT_SWAPPED);

  self->business_day = saoma_business_day_new (NULL, 0);
  g_signal_connect_object (self->late_revealer, "notify::child-revealed",
                           G_CALLBACK (late_revealed_cb), self, G_CONNECT_SWAPPED);
  g_date_clear (&self->date, 1);
  if (SAOMA_IS_APPLICATION (app) && saoma_application_get_settings (SAOMA_APPLICATION (app)))
    {
      GSettings *settings = saoma_application_get_settings (SAOMA_APPLICATION (app));
      GSettingsSchema *schema = NULL;

      g_object_get (settings, "settings-schema", &schema, NULL);
      if (schema != NULL && g_settings_schema_has_key (schema, "business-day-start"))
        {
          self->settings = g_object_ref (settings);
          self->business_day->day_start_minutes = read_day_start (settings);
          g_signal_connect_object (settings, "changed::business-day-start",
                                   G_CALLBACK (day_start_changed_cb), self, G_CONNECT_SWAPPED);
        }
      g_clear_pointer (&schema, g_settings_schema_unref);
    }

  saoma_history_page_set_day (self, now);
  queue_update_summary (self);
}

/**
 * saoma_history_page_set_day_start:
 * @minutes: when the business day starts, in minutes after midnight (Beijing time)
 *
 * Today's business day is shown again with the new start.
 */
void
saoma_history_page_set_day_start (SaomaHistoryPage *self,
                                  guint             minutes)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));
  g_return_if_fail (minutes < 24 * 60);

  if (self->business_day->day_start_minutes == minutes)
    return;
  self->business_day->day_start_minutes = minutes;
  if (self->all_days)
    apply_day (self);
  else
    saoma_history_page_set_day (self, now);
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
  self->first_load_done = FALSE;
  stop_waiting_first_frame (self);

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
      g_signal_connect_object (ledger, "refund-changed",
                               G_CALLBACK (ledger_refund_cb), self, G_CONNECT_SWAPPED);
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->model));
      /* The model's first rows come first; the totals and the late payments after them. */
      model_loading_cb (self, NULL, G_OBJECT (self->model));
    }
  else
    refresh_late (self);

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

/**
 * saoma_history_page_get_column_view:
 *
 * Returns: (transfer none): the list of rows (a #GtkListView, #GtkScrollable, the child of
 *   its scrolled window; the column titles are above it)
 */
GtkWidget *
saoma_history_page_get_column_view (SaomaHistoryPage *self)
{
  g_return_val_if_fail (SAOMA_IS_HISTORY_PAGE (self), NULL);

  return GTK_WIDGET (self->list_view);
}

/**
 * saoma_history_page_refresh_late:
 * @self: a #SaomaHistoryPage
 *
 * Reads the undecided late payments again, for its banner: a decision was recorded elsewhere
 * (the cashier window's banner opened the payment's details).
 */
void
saoma_history_page_refresh_late (SaomaHistoryPage *self)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  if (self->first_load_done)
    refresh_late (self);
}

/**
 * saoma_history_page_show_late:
 * @self: a #SaomaHistoryPage
 *
 * Lists the late payments that need a decision, as the banner's "Review Them" does.
 */
void
saoma_history_page_show_late (SaomaHistoryPage *self)
{
  g_return_if_fail (SAOMA_IS_HISTORY_PAGE (self));

  show_late_clicked_cb (self, NULL);
}
