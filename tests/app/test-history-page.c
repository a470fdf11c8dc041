/* test-history-page.c: the real history page over a real ledger file of 20,000 attempts,
 * scrolled in jumps under Xvfb. A row whose page has not arrived yet (a placeholder) must
 * render blank, never as "1970-…" or "¥0.00"; once the pages arrive every row shows its
 * attempt; the day's paid sum comes from the store's worker and matches the rows. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "core/saoma-money.h"
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

static void
test_day_sum (void)
{
  g_autofree char *path = g_build_filename (tmp, "history-sum.db", NULL);
  g_autoptr(SaomaLedger) ledger = make_ledger (path);
  g_autoptr(GDateTime) first = first_day ();
  g_autoptr(GDateTime) day = g_date_time_add_days (first, 2);
  g_autoptr(GDateTime) next = g_date_time_add_days (first, 3);
  gint64 base = g_date_time_to_unix (first) * G_USEC_PER_SEC;
  gint64 start = g_date_time_to_unix (day) * G_USEC_PER_SEC;
  gint64 end = g_date_time_to_unix (next) * G_USEC_PER_SEC;
  g_autofree char *paid = NULL;
  g_autofree char *expected = NULL;
  GtkWidget *window, *page, *label;
  gint64 sum = 0;
  guint n = 0;

  for (guint i = 0; i < N_ROWS; i++)
    {
      gint64 created = base + (gint64) i * 60 * G_USEC_PER_SEC;

      if (created < start || created >= end)
        continue;
      n++;
      if (row_state (i) == SAOMA_ATTEMPT_PAID)
        sum += row_amount (i);
    }
  paid = saoma_money_format (sum);
  expected = g_strdup_printf ("%u payments · %s paid", n, paid);

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
  g_test_add_func ("/history/day-sum", test_day_sum);
  ret = g_test_run ();

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", tmp);
    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  }
  return ret;
}
