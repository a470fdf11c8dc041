/* test-history-page.c: the real history page over a real ledger file of 20,000 attempts,
 * scrolled in jumps under Xvfb. A row whose page has not arrived yet (a placeholder) must
 * render blank, never as "1970-…" or "¥0.00"; once the pages arrive every row shows its
 * attempt; the day's paid sum comes from the store's worker and matches the rows. The summary
 * is SaomaTotals (core's one definition, what Day Close shows) for the business day: refunds
 * do not unpay a payment, cancelled attempts are no payments. Search finds an amount, and an
 * empty search result says "No Results", not the empty day's text. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "core/saoma-business-day.h"
#include "core/saoma-money.h"
#include "core/saoma-totals.h"
#include "ledger/saoma-ledger-model.h"
#include "saoma-application.h"
#include "saoma-history-page.h"

#define N_ROWS 20000

static char *tmp;

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    guint _id = g_timeout_add_seconds (30, timeout_cb, (gpointer) #cond);       \
    while (!(cond))                                                             \
      g_main_context_iteration (NULL, TRUE);                                    \
    g_source_remove (_id);                                                      \
  } G_STMT_END

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static void
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);

  gtk_widget_queue_draw (widget);
  WAIT_FOR (painted);
  g_signal_handler_disconnect (clock, handler);
}

/* The local midnight of 2026-11-01, where the rows start (one a minute). */
static GDateTime *
first_day (void)
{
  return g_date_time_new_local (2026, 11, 1, 0, 0, 0);
}

static gint64
row_amount (guint i)
{
  return 100 + i % 1000;
}

static SaomaAttemptState
row_state (guint i)
{
  return i % 3 == 0 ? SAOMA_ATTEMPT_PAID : SAOMA_ATTEMPT_CLOSED;
}

static SaomaLedger *
make_ledger (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) day = first_day ();
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 base = g_date_time_to_unix (day) * G_USEC_PER_SEC;

  g_assert_no_error (error);
  for (guint i = 0; i < N_ROWS; i++)
    {
      g_autofree char *no = g_strdup_printf ("T01H%012u", i);
      g_autofree char *tx = g_strdup_printf ("42000%015u", i);
      gint64 created = base + (gint64) i * 60 * G_USEC_PER_SEC;
      SaomaAttemptState state = row_state (i);

      g_ptr_array_add (rows, saoma_attempt_new_full (0, no, row_amount (i), "test", "T01", created,
                                                     created, created + 300 * G_USEC_PER_SEC,
                                                     state,
                                                     state == SAOMA_ATTEMPT_PAID ? tx : NULL,
                                                     NULL, 0, 0, FALSE));
    }
  g_assert_true (saoma_ledger_insert_many_sync (ledger, rows, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&ledger);
}

typedef struct
{
  guint amounts;        /* amount cells shown */
  guint blank_amounts;  /* of which blank: placeholders */
  guint dated;          /* time cells showing a date of the rows */
} Seen;

/* Walks every label under @widget (the column view's cells; rows the view keeps beyond the
 * visible ones too) and fails on anything a placeholder's zeroes would print. Amount cells
 * are the right-aligned ones. */
static void
check_labels (GtkWidget *widget,
              Seen      *seen)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        {
          const char *text = gtk_label_get_text (GTK_LABEL (child));

          if (strstr (text, "1970-") != NULL)
            g_error ("a row shows the epoch: \"%s\"", text);
          if (strcmp (text, "¥0.00") == 0 || strcmp (text, "0.00") == 0)
            g_error ("a row shows a zero amount: \"%s\"", text);

          if (gtk_label_get_xalign (GTK_LABEL (child)) == 1.0f)
            {
              seen->amounts++;
              if (text[0] == '\0')
                seen->blank_amounts++;
            }
          if (g_str_has_prefix (text, "2026-11-"))
            seen->dated++;
        }

      check_labels (child, seen);
    }
}

static void
test_scroll_placeholders (void)
{
  g_autofree char *path = g_build_filename (tmp, "history.db", NULL);
  g_autoptr(SaomaLedger) ledger = make_ledger (path);
  GtkWidget *window, *page, *view;
  GtkAdjustment *adj;
  GListModel *model;
  Seen total = { 0 }, last = { 0 };

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 640);
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), NULL);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_frame_clock (window) != NULL);

  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));
  WAIT_FOR (g_list_model_get_n_items (model) == N_ROWS);
  view = saoma_history_page_get_column_view (SAOMA_HISTORY_PAGE (page));
  adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

  /* Jumps far beyond the pages the model keeps, so each lands on rows not read yet. */
  for (guint i = 0; i < 120; i++)
    {
      double upper = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
      double to = i % 2 ? upper * g_test_rand_double_range (0, 1) : upper * (i / 2) / 60.0;

      /* The view binds the rows of the new position at once (placeholders, whose pages are
       * then read in the store's thread); they must be blank now and filled after. */
      gtk_adjustment_set_value (adj, to);
      check_labels (view, &total);
      wait_for_paint (window);
      check_labels (view, &total);
    }

  g_test_message ("amount cells painted %u, blank (placeholders) %u", total.amounts,
                  total.blank_amounts);
  /* The test saw placeholders on screen (else it proves nothing)… */
  g_assert_cmpuint (total.blank_amounts, >, 0);

  /* …and when the store has answered, every row shows its attempt. */
  WAIT_FOR (!saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)));
  wait_for_paint (window);
  check_labels (view, &last);
  g_assert_cmpuint (last.amounts, >, 5);
  g_assert_cmpuint (last.blank_amounts, ==, 0);
  g_assert_cmpuint (last.dated, ==, last.amounts);

  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWidget *
find_label_with (GtkWidget  *widget,
                 const char *needle)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && strstr (gtk_label_get_text (GTK_LABEL (child)), needle))
        return child;
      if ((found = find_label_with (child, needle)) != NULL)
        return found;
    }

  return NULL;
}

/* The summary as the page writes it, from totals (English). */
static char *
summary_text (const SaomaTotals *t)
{
  g_autofree char *paid = saoma_money_format (t->paid);
  g_autofree char *refunded = saoma_money_format (t->refunded);
  g_autofree char *net = saoma_money_format (saoma_totals_get_net (t));

  return g_strdup_printf ("%u payment%s · %s paid · %s refunded · %s net", t->n_payments,
                          t->n_payments == 1 ? "" : "s", paid, refunded, net);
}

/* The rows of @view (a list view) whose allocation is at least partly inside it: those shown. */
static guint
check_rows_on_screen (GtkWidget *view,
                      Seen      *on_screen)
{
  int height = gtk_widget_get_height (view);
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (view); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t bounds;
      Seen seen = { 0 };

      /* (A row the view keeps for its focus tracker but does not lay out is a few pixels of
       * padding at the top.) */
      if (!gtk_widget_get_visible (row) || !gtk_widget_compute_bounds (row, view, &bounds) ||
          bounds.size.height < 10 || bounds.origin.y >= height ||
          bounds.origin.y + bounds.size.height <= 0)
        continue;

      /* A row on screen has its labels, and they say its attempt. */
      check_labels (row, &seen);
      g_assert_cmpuint (seen.amounts, ==, 1);
      g_assert_cmpuint (seen.blank_amounts, ==, 0);
      g_assert_cmpuint (seen.dated, ==, 1);
      on_screen->amounts += seen.amounts;
      n++;
    }

  return n;
}

/* GTK 4.8 keeps about 200 rows bound whatever the height of the list: only the rows on screen
 * have labels (the first frame lays out no text it does not show), and rows scrolled to get
 * theirs before they are drawn. */
static void
test_labels_on_screen (void)
{
  g_autofree char *path = g_build_filename (tmp, "labels.db", NULL);
  g_autoptr(SaomaLedger) ledger = make_ledger (path);
  GtkWidget *window, *page, *view;
  GtkAdjustment *adj;
  GListModel *model;
  Seen all = { 0 }, shown = { 0 };
  guint n_rows = 0, n_shown;

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 640);
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), NULL);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_frame_clock (window) != NULL);
  wait_for_paint (window);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);

  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));
  WAIT_FOR (g_list_model_get_n_items (model) == N_ROWS &&
            !saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)));
  wait_for_paint (window);
  view = saoma_history_page_get_column_view (SAOMA_HISTORY_PAGE (page));
  adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

  for (GtkWidget *row = gtk_widget_get_first_child (view); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    n_rows++;
  check_labels (view, &all);
  n_shown = check_rows_on_screen (view, &shown);
  g_test_message ("rows kept %u, on screen %u, with labels %u", n_rows, n_shown, all.amounts);
  g_assert_cmpuint (n_shown, >, 5);
  /* The rows on screen, and no more than a few around them (before the list is first laid
   * out, its height is guessed from the page's). */
  g_assert_cmpuint (all.amounts, >=, n_shown);
  g_assert_cmpuint (all.amounts, <=, n_shown + 10);

  /* Scrolled a few screens down (within the rows kept, so no page is read): the rows now on
   * screen have their labels in the first frame that shows them. */
  gtk_adjustment_set_value (adj, 3 * gtk_adjustment_get_page_size (adj));
  wait_for_paint (window);
  memset (&shown, 0, sizeof shown);
  n_shown = check_rows_on_screen (view, &shown);
  g_assert_cmpuint (n_shown, >, 5);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_day_sum (void)
{
  g_autofree char *path = g_build_filename (tmp, "history-sum.db", NULL);
  g_autoptr(SaomaLedger) ledger = make_ledger (path);
  g_autoptr(GDateTime) first = first_day ();
  g_autoptr(GDateTime) day = g_date_time_add_days (first, 2);
  g_autoptr(SaomaBusinessDay) business_day = saoma_business_day_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  gint64 base = g_date_time_to_unix (first) * G_USEC_PER_SEC;
  gint64 start, end;
  GDate date;
  g_autofree char *paid = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *from_core = NULL;
  SaomaTotals core = SAOMA_TOTALS_INIT;
  GtkWidget *window, *page, *label;
  gint64 sum = 0;
  guint n = 0;

  /* The business day (Beijing, starting at midnight) that holds @day. */
  saoma_business_day_of (business_day, g_date_time_to_unix (day) * G_USEC_PER_SEC, &date);
  saoma_business_day_range (business_day, &date, &start, &end);
  for (guint i = 0; i < N_ROWS; i++)
    {
      gint64 created = base + (gint64) i * 60 * G_USEC_PER_SEC;

      if (created < start || created >= end)
        continue;
      if (row_state (i) == SAOMA_ATTEMPT_PAID)
        {
          n++;
          sum += row_amount (i);
        }
    }
  g_assert_cmpuint (n, >, 0);
  paid = saoma_money_format (sum);
  expected = g_strdup_printf ("%u payments · %s paid · ¥0.00 refunded · %s net", n, paid, paid);
  /* Core's figures for the same day agree with the rows counted here. */
  g_assert_true (saoma_totals_compute_sync (ledger, start, end, &core, &error));
  g_assert_no_error (error);
  from_core = summary_text (&core);
  g_assert_cmpstr (from_core, ==, expected);

  window = gtk_window_new ();
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), day);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  gtk_window_present (GTK_WINDOW (window));

  WAIT_FOR ((label = find_label_with (page, " paid")) != NULL &&
            strcmp (gtk_label_get_text (GTK_LABEL (label)), expected) == 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The first @type under @widget that is the page's own: a drop-down keeps a search entry of
 * its own in its popup. */
static GtkWidget *
find_widget_of_type (GtkWidget *widget,
                     GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_POPOVER (child) || GTK_IS_DROP_DOWN (child))
        continue;
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_widget_of_type (child, type)) != NULL)
        return found;
    }

  return NULL;
}

static gboolean
first_row_loaded (GListModel *model)
{
  g_autoptr(SaomaAttempt) first = g_list_model_get_item (model, 0);

  return first != NULL && !saoma_attempt_is_placeholder (first);
}

static SaomaAttempt *
paid_now (const char        *no,
          gint64             amount,
          gint64             created,
          SaomaAttemptState  state)
{
  return saoma_attempt_new_full (0, no, amount, "test", "T01", created, created,
                                 created + 300 * G_USEC_PER_SEC, state,
                                 state == SAOMA_ATTEMPT_PAID ? "4200000000000001" : NULL, NULL,
                                 0, state == SAOMA_ATTEMPT_PAID ? created : 0, FALSE);
}

static void
refund (SaomaLedger *ledger,
        const char  *no,
        const char  *refund_no,
        gint64       amount)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) created = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;

  created = saoma_ledger_insert_refund_sync (ledger, no, refund_no, amount, "test", &error);
  g_assert_no_error (error);
  done = saoma_ledger_update_refund_sync (ledger, refund_no, SAOMA_REFUND_SUCCESS, "5030001",
                                          NULL, &error);
  g_assert_no_error (error);
}

/* Issue 12.1 on one ledger: a ¥38.50 sale partly refunded (¥10) stays ¥38.50 paid; a cancelled
 * and a failed attempt are no payments; History's header says what core's SaomaTotals (Day
 * Close's figures) say. Then 12.16: "38.5", "38.50" and "¥38.50" find the ¥38.50 payment;
 * nothing found shows "No Results". */
static void
test_totals_and_search (void)
{
  g_autofree char *path = g_build_filename (tmp, "history-totals.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(SaomaBusinessDay) business_day = saoma_business_day_new (NULL, 0);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gint64 now_us = g_get_real_time ();
  gint64 start, end;
  GDate today;
  SaomaTotals core = SAOMA_TOTALS_INIT;
  g_autofree char *expected = NULL;
  GtkWidget *window, *page, *label, *search, *stack;
  GListModel *model;
  const char *amounts[] = { "38.5", "38.50", "¥38.50" };

  g_assert_no_error (error);
  saoma_business_day_of (business_day, now_us, &today);
  saoma_business_day_range (business_day, &today, &start, &end);
  /* Rows a few seconds old, inside today's business day even just after it began. */
  now_us = MAX (now_us - 6 * G_USEC_PER_SEC, start);
  g_ptr_array_add (rows, paid_now ("H0001", 3850, now_us, SAOMA_ATTEMPT_PAID));
  g_ptr_array_add (rows, paid_now ("H0002", 1200, now_us + 1, SAOMA_ATTEMPT_PAID));
  g_ptr_array_add (rows, paid_now ("H0003", 500, now_us + 2, SAOMA_ATTEMPT_CLOSED));
  g_ptr_array_add (rows, paid_now ("H0004", 700, now_us + 3, SAOMA_ATTEMPT_FAILED));
  g_ptr_array_add (rows, paid_now ("H0005", 300, now_us + 4, SAOMA_ATTEMPT_PAID));
  g_assert_true (saoma_ledger_insert_many_sync (ledger, rows, &error));
  g_assert_no_error (error);
  refund (ledger, "H0001", "R0001", 1000);
  refund (ledger, "H0005", "R0005", 300);

  g_assert_true (saoma_totals_compute_sync (ledger, start, end, &core, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (core.n_payments, ==, 3);
  g_assert_cmpint (core.paid, ==, 3850 + 1200 + 300);
  g_assert_cmpint (core.refunded, ==, 1300);
  expected = summary_text (&core);
  g_assert_cmpstr (expected, ==, "3 payments · ¥53.50 paid · ¥13.00 refunded · ¥40.50 net");

  window = gtk_window_new ();
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_day (SAOMA_HISTORY_PAGE (page), now);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  gtk_window_present (GTK_WINDOW (window));

  WAIT_FOR ((label = find_label_with (page, " paid")) != NULL &&
            strcmp (gtk_label_get_text (GTK_LABEL (label)), expected) == 0);

  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));
  search = find_widget_of_type (page, GTK_TYPE_SEARCH_ENTRY);
  stack = find_widget_of_type (page, GTK_TYPE_STACK);
  g_assert_nonnull (search);
  g_assert_nonnull (stack);
  g_assert_nonnull (gtk_stack_get_child_by_name (GTK_STACK (stack), "no-results"));
  WAIT_FOR (g_list_model_get_n_items (model) == 5);

  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      g_autoptr(SaomaAttempt) found = NULL;

      gtk_editable_set_text (GTK_EDITABLE (search), amounts[i]);
      WAIT_FOR (g_list_model_get_n_items (model) == 1 &&
                !saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)));
      WAIT_FOR (first_row_loaded (model));
      found = g_list_model_get_item (model, 0);
      g_assert_cmpstr (saoma_attempt_get_out_trade_no (found), ==, "H0001");
      WAIT_FOR (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (stack)), "list") == 0);
      /* The day's totals stay the day's; the rows shown are counted beside them. */
      WAIT_FOR ((label = find_label_with (page, " paid")) != NULL &&
                g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), "1 shown · ") &&
                strstr (gtk_label_get_text (GTK_LABEL (label)), expected) != NULL);
    }

  /* Nothing matches: "No Results", not "No Payments" (the day has payments). */
  gtk_editable_set_text (GTK_EDITABLE (search), "¥99.99");
  WAIT_FOR (g_list_model_get_n_items (model) == 0 &&
            !saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)));
  WAIT_FOR (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (stack)), "no-results") == 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* 12.5: the business day starts at the day start setting. With 04:00, a sale at 01:30 Beijing
 * time belongs to the evening before; with 00:00 to its own date. */
static void
test_day_start (void)
{
  g_autofree char *path = g_build_filename (tmp, "history-day-start.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GTimeZone) beijing = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) late_night = g_date_time_new (beijing, 2026, 11, 28, 1, 30, 0);
  g_autoptr(GDateTime) evening = g_date_time_new (beijing, 2026, 11, 27, 21, 0, 0);
  GtkWidget *window, *page;
  GListModel *model;
  GDate date;

  g_assert_no_error (error);
  g_ptr_array_add (rows, paid_now ("N0001", 1000,
                                   g_date_time_to_unix (evening) * G_USEC_PER_SEC,
                                   SAOMA_ATTEMPT_PAID));
  g_ptr_array_add (rows, paid_now ("N0002", 2000,
                                   g_date_time_to_unix (late_night) * G_USEC_PER_SEC,
                                   SAOMA_ATTEMPT_PAID));
  g_assert_true (saoma_ledger_insert_many_sync (ledger, rows, &error));
  g_assert_no_error (error);

  window = gtk_window_new ();
  page = saoma_history_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  saoma_history_page_set_ledger (SAOMA_HISTORY_PAGE (page), ledger);
  gtk_window_present (GTK_WINDOW (window));
  model = saoma_history_page_get_model (SAOMA_HISTORY_PAGE (page));

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 27, 11, 2026);
  saoma_history_page_set_date (SAOMA_HISTORY_PAGE (page), &date);
  WAIT_FOR (!saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)) &&
            g_list_model_get_n_items (model) == 1);

  /* A late shop: the day runs 04:00 to 04:00, the 01:30 sale is the 27th's. */
  saoma_history_page_set_day_start (SAOMA_HISTORY_PAGE (page), 4 * 60);
  saoma_history_page_set_date (SAOMA_HISTORY_PAGE (page), &date);
  WAIT_FOR (!saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)) &&
            g_list_model_get_n_items (model) == 2);
  WAIT_FOR (find_label_with (page, "2 payments · ¥30.00 paid") != NULL);

  /* And the 28th no longer holds it. */
  g_date_set_dmy (&date, 28, 11, 2026);
  saoma_history_page_set_date (SAOMA_HISTORY_PAGE (page), &date);
  WAIT_FOR (!saoma_ledger_model_get_loading (SAOMA_LEDGER_MODEL (model)) &&
            g_list_model_get_n_items (model) == 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LANGUAGE", "en", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_skip ("no display");
      return 0;
    }
  adw_init ();
  saoma_application_register_resources ();

  tmp = g_dir_make_tmp ("saoma-test-history-XXXXXX", NULL);
  g_assert_nonnull (tmp);

  g_test_add_func ("/history/scroll-placeholders", test_scroll_placeholders);
  g_test_add_func ("/history/labels-on-screen", test_labels_on_screen);
  g_test_add_func ("/history/day-sum", test_day_sum);
  g_test_add_func ("/history/totals-and-search", test_totals_and_search);
  g_test_add_func ("/history/day-start", test_day_start);
  ret = g_test_run ();

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return ret;
}
