/* test-ledger-model.c: the lazy history model against a real ledger file. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-ledger-model.h"

#define T0  G_GINT64_CONSTANT (1790000000000000)
#define SEC G_GINT64_CONSTANT (1000000)

typedef struct
{
  char             *dir;
  char             *path;
  SaomaLedger      *ledger;
  SaomaLedgerModel *model;
  GArray           *changes;  /* Change */
} Fixture;

typedef struct
{
  guint pos, removed, added;
} Change;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-model-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  g_clear_object (&f->model);
  g_clear_object (&f->ledger);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_array_unref (f->changes);
}

static void
items_changed_cb (GListModel *model,
                  guint       pos,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  Change c = { pos, removed, added };

  g_array_append_val (f->changes, c);
}

/* Waiting code: the model reads the store asynchronously; let every pending read land. */
static void
settle_model (SaomaLedgerModel *model)
{
  while (saoma_ledger_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
}

static void
settle (Fixture *f)
{
  settle_model (f->model);
}

static void
make_model (Fixture *f)
{
  f->model = saoma_ledger_model_new (f->ledger);
  /* The count arrives asynchronously, as one items-changed (0, 0, n) nobody here asserts. */
  settle (f);
  g_signal_connect (f->model, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_object_set_data (G_OBJECT (f->model), "test-changes", f->changes);
}

static void
assert_changes (Fixture *f,
                guint    n,
                ...)
{
  va_list args;

  va_start (args, n);
  g_assert_cmpuint (f->changes->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      Change *c = &g_array_index (f->changes, Change, i);

      g_assert_cmpuint (c->pos, ==, va_arg (args, guint));
      g_assert_cmpuint (c->removed, ==, va_arg (args, guint));
      g_assert_cmpuint (c->added, ==, va_arg (args, guint));
    }
  va_end (args);
  g_array_set_size (f->changes, 0);
}

/* The filter, evaluated independently of the model (reference semantics). */
typedef struct
{
  gint64      start, end;
  int         state;
  const char *search;
} Filter;

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_ascii_strdown (haystack, -1);
  n = g_ascii_strdown (needle, -1);
  return strstr (h, n) != NULL;
}

static gboolean
filter_matches (const Filter *flt,
                SaomaAttempt *a)
{
  if (flt->start && saoma_attempt_get_created (a) < flt->start)
    return FALSE;
  if (flt->end && saoma_attempt_get_created (a) >= flt->end)
    return FALSE;
  if (flt->state >= 0 && (int) saoma_attempt_get_state (a) != flt->state)
    return FALSE;
  if (flt->search && !contains_ci (saoma_attempt_get_out_trade_no (a), flt->search) &&
      !contains_ci (saoma_attempt_get_transaction_id (a), flt->search))
    return FALSE;
  return TRUE;
}

/* Every attempt passing @flt, newest first, read with the ledger's plain API. */
static GPtrArray *
expected (Fixture      *f,
          const Filter *flt)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = saoma_ledger_list_range_sync (f->ledger, G_MININT64, G_MAXINT64,
                                                           &error);
  GPtrArray *ret = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert_no_error (error);
  for (guint i = all->len; i > 0; i--)
    if (filter_matches (flt, all->pdata[i - 1]))
      g_ptr_array_add (ret, g_object_ref (all->pdata[i - 1]));

  return ret;
}

/* Waiting code: a row whose page is not loaded is a placeholder until the page arrives (with
 * an items-changed that only replaces placeholders, which the tests do not count). */
static SaomaAttempt *
get_loaded_item (GListModel *model,
                 guint       pos)
{
  SaomaAttempt *got = g_list_model_get_item (model, pos);

  if (got != NULL && saoma_attempt_is_placeholder (got))
    {
      GArray *changes = g_object_get_data (G_OBJECT (model), "test-changes");
      guint len = changes != NULL ? changes->len : 0;

      g_object_unref (got);
      settle_model (SAOMA_LEDGER_MODEL (model));
      if (changes != NULL)
        g_array_set_size (changes, len);
      got = g_list_model_get_item (model, pos);
    }

  return got;
}

static void
assert_item (GListModel   *model,
             guint         pos,
             SaomaAttempt *want)
{
  g_autoptr(SaomaAttempt) got = get_loaded_item (model, pos);

  g_assert_nonnull (got);
  g_assert_false (saoma_attempt_is_placeholder (got));
  g_assert_cmpint (saoma_attempt_get_id (got), ==, saoma_attempt_get_id (want));
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (got), ==,
                   saoma_attempt_get_out_trade_no (want));
  g_assert_cmpint (saoma_attempt_get_state (got), ==, saoma_attempt_get_state (want));
  g_assert_cmpint (saoma_attempt_get_amount (got), ==, saoma_attempt_get_amount (want));
}

static void
assert_model_equals (Fixture      *f,
                     const Filter *flt)
{
  g_autoptr(GPtrArray) want = expected (f, flt);
  GListModel *model = G_LIST_MODEL (f->model);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, want->len);
  /* Backwards first, so pages are fetched far from any known bound. */
  for (guint i = want->len; i > 0; i--)
    assert_item (model, i - 1, want->pdata[i - 1]);
  for (guint i = 0; i < want->len; i++)
    assert_item (model, i, want->pdata[i]);
  g_assert_null (g_list_model_get_item (model, want->len));
}

static SaomaAttempt *
add (Fixture    *f,
     const char *no,
     gint64      created)
{
  g_autoptr(SaomaAttempt) a = saoma_attempt_new (no, 100, NULL, "till", created, created + 1);
  g_autoptr(GError) error = NULL;
  SaomaAttempt *ret = saoma_ledger_insert_attempt_sync (f->ledger, a, &error);

  if (f->model != NULL)
    settle (f);

  g_assert_no_error (error);
  return ret;
}

static void
set_state (Fixture           *f,
           const char        *no,
           SaomaAttemptState  state,
           const char        *transaction_id)
{
  SaomaAttemptUpdate u = { .state = state, .transaction_id = transaction_id };
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) a = saoma_ledger_update_attempt_sync (f->ledger, no, &u, &error);

  g_assert_no_error (error);
  if (f->model != NULL)
    settle (f);
}

/* @n rows with shuffled and partly equal created times, a mix of states and ids. */
static void
fill (Fixture *f,
      guint    n,
      guint32  seed)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  static const SaomaAttemptState states[] = { SAOMA_ATTEMPT_PAID, SAOMA_ATTEMPT_CLOSED,
                                              SAOMA_ATTEMPT_FAILED, SAOMA_ATTEMPT_WAITING };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *no = g_strdup_printf ("S%05u%s", i, i % 97 == 0 ? "_x" : "");
      g_autofree char *tx = g_strdup_printf ("4200%08u", i * 7);
      SaomaAttemptState state = states[g_rand_int_range (rand, 0, G_N_ELEMENTS (states))];
      /* Many rows share a second, so the id tie-break matters. */
      gint64 created = T0 + g_rand_int_range (rand, 0, n / 3 + 1) * SEC;

      g_ptr_array_add (rows, saoma_attempt_new_full (0, no, 1 + i, "desc", "till", created,
                                                     created, created + 300 * SEC, state,
                                                     state == SAOMA_ATTEMPT_PAID ? tx : NULL,
                                                     NULL, 0, 0, FALSE));
    }

  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, rows, &error));
  g_assert_no_error (error);
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  Filter all = { 0, 0, -1, NULL };
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  fill (f, 10000, 1);
  make_model (f);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (f->model)) == SAOMA_TYPE_ATTEMPT);

  want = expected (f, &all);
  g_assert_cmpuint (want->len, ==, 10000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 10000);

  /* Random jumps, as a scrollbar drag does. */
  for (guint i = 0; i < 3000; i++)
    {
      guint pos = g_rand_int_range (rand, 0, want->len);

      assert_item (G_LIST_MODEL (f->model), pos, want->pdata[pos]);
    }

  assert_model_equals (f, &all);
  g_assert_cmpuint (f->changes->len, ==, 0);
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  Filter flt = { 0, 0, -1, NULL };
  guint before;

  fill (f, 3000, 2);
  make_model (f);

  before = g_list_model_get_n_items (G_LIST_MODEL (f->model));
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_PAID);
  settle (f);
  flt.state = SAOMA_ATTEMPT_PAID;
  {
    g_autoptr(GPtrArray) want = expected (f, &flt);

    assert_changes (f, 1, 0, before, want->len);
    g_assert_cmpuint (want->len, >, 500);
    g_assert_cmpuint (want->len, <, 1000);
  }
  assert_model_equals (f, &flt);

  /* Setting the same filter again is not a change. */
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_PAID);
  settle (f);
  g_assert_cmpuint (f->changes->len, ==, 0);

  saoma_ledger_model_set_day_range (f->model, T0 + 100 * SEC, T0 + 400 * SEC);

  settle (f);
  flt.start = T0 + 100 * SEC;
  flt.end = T0 + 400 * SEC;
  assert_model_equals (f, &flt);
  g_assert_cmpint (saoma_ledger_model_sum_amount (f->model, SAOMA_ATTEMPT_PAID), >, 0);
  {
    g_autoptr(GPtrArray) want = expected (f, &flt);
    gint64 sum = 0;

    for (guint i = 0; i < want->len; i++)
      sum += saoma_attempt_get_amount (want->pdata[i]);
    g_assert_cmpint (saoma_ledger_model_sum_amount (f->model, SAOMA_ATTEMPT_PAID), ==, sum);
    g_assert_cmpint (saoma_ledger_model_sum_amount (f->model, SAOMA_ATTEMPT_CLOSED), ==, 0);
  }

  saoma_ledger_model_set_state_filter (f->model, -1);

  settle (f);
  flt.state = -1;
  assert_model_equals (f, &flt);

  /* Search: a substring of out_trade_no or transaction_id, ASCII case-insensitive. */
  g_array_set_size (f->changes, 0);
  saoma_ledger_model_set_day_range (f->model, 0, 0);
  settle (f);
  flt.start = flt.end = 0;
  saoma_ledger_model_set_search_text (f->model, "s0012");
  settle (f);
  flt.search = "s0012";
  assert_model_equals (f, &flt);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 10);

  /* "_" and "%" are literal, not LIKE wildcards. */
  saoma_ledger_model_set_search_text (f->model, "_");
  settle (f);
  flt.search = "_";
  assert_model_equals (f, &flt);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, (3000 + 96) / 97);
  saoma_ledger_model_set_search_text (f->model, "%");
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 0);

  /* A transaction id (only PAID rows have one). */
  saoma_ledger_model_set_search_text (f->model, "420000000007");
  settle (f);
  flt.search = "420000000007";
  assert_model_equals (f, &flt);

  saoma_ledger_model_set_search_text (f->model, "   ");

  settle (f);
  flt.search = NULL;
  assert_model_equals (f, &flt);
}

/* Search by amount (issue 12.16): the page parses "38.50" to 3850 fen and passes it beside the
 * text; rows of exactly that amount match, as well as numbers containing the text. The
 * "Needs a decision" filter lists late payments until a decision event is recorded. */
static void
test_search_amount_and_undecided (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  static const struct { const char *no; gint64 amount; gboolean late; } spec[] = {
    { "A0001", 3850, FALSE }, { "A0002", 385, FALSE }, { "A0003", 38500, FALSE },
    { "A0004", 3850, TRUE }, { "A3850", 100, FALSE }, { "A0006", 1200, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (spec); i++)
    g_ptr_array_add (rows, saoma_attempt_new_full (0, spec[i].no, spec[i].amount, "d", "till",
                                                   T0 + i * SEC, T0 + i * SEC, T0 + 300 * SEC,
                                                   SAOMA_ATTEMPT_PAID, NULL, NULL, 0, 0,
                                                   spec[i].late));
  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, rows, &error));
  g_assert_no_error (error);
  make_model (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 6);

  /* "38.50" is ¥38.50: the two 3850 fen rows, not ¥3.85 nor ¥385.00. */
  saoma_ledger_model_set_search (f->model, "38.50", 3850);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 2);
  /* "3850" names ¥3,850.00 (no row) and is a substring of the order number A3850. */
  saoma_ledger_model_set_search (f->model, "3850", 385000);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 1);
  /* The same text without an amount is a plain substring search. */
  saoma_ledger_model_set_search (f->model, "38.50", 0);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 0);
  saoma_ledger_model_set_search (f->model, NULL, 0);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 6);

  /* A new 3850 fen row while the search is on is inserted (the model matches it in C too). */
  saoma_ledger_model_set_search (f->model, "¥38.50", 3850);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 2);
  {
    g_autoptr(SaomaAttempt) more = saoma_attempt_new_full (0, "A0007", 3850, "d", "till",
                                                           T0 + 10 * SEC, T0 + 10 * SEC,
                                                           T0 + 300 * SEC,
                                                           SAOMA_ATTEMPT_PAID, NULL, NULL, 0,
                                                           0, FALSE);
    g_autoptr(SaomaAttempt) in = saoma_ledger_insert_attempt_sync (f->ledger, more, &error);

    g_assert_no_error (error);
    settle (f);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 3);
  }
  saoma_ledger_model_set_search (f->model, NULL, 0);

  /* Needs a decision: the two late rows, until one is decided. */
  saoma_ledger_model_set_undecided_late (f->model, TRUE);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 2);
  g_assert_true (saoma_ledger_append_event_sync (f->ledger, "A0004",
                                                 SAOMA_LEDGER_LATE_DECISION_KIND, "honoured",
                                                 &error));
  g_assert_no_error (error);
  saoma_ledger_model_refresh (f->model);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 1);
  {
    g_autoptr(SaomaAttempt) left = g_list_model_get_item (G_LIST_MODEL (f->model), 0);

    g_assert_cmpstr (saoma_attempt_get_out_trade_no (left), ==, "A0006");
  }
  saoma_ledger_model_set_undecided_late (f->model, FALSE);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 7);
}

static void
test_items_changed (Fixture       *f,
                    gconstpointer  data)
{
  Filter flt = { 0, 0, -1, NULL };
  g_autoptr(SaomaAttempt) a = NULL;

  fill (f, 2000, 3);
  make_model (f);
  /* Touch the far end so bounds exist that changes must shift. */
  assert_model_equals (f, &flt);

  /* Newest: position 0. */
  g_object_unref (add (f, "NEW1", T0 + 10000 * SEC));
  assert_changes (f, 1, 0, 0, 1);
  assert_model_equals (f, &flt);

  /* An old timestamp lands where it belongs, not at 0. */
  a = add (f, "MID1", T0 + 300 * SEC + 1);
  {
    g_autoptr(GPtrArray) want = expected (f, &flt);
    guint pos = 0;

    while (saoma_attempt_get_id (want->pdata[pos]) != saoma_attempt_get_id (a))
      pos++;
    g_assert_cmpuint (pos, >, 100);
    assert_changes (f, 1, pos, 0, 1);
  }
  assert_model_equals (f, &flt);

  /* A change in place. */
  set_state (f, "MID1", SAOMA_ATTEMPT_SUBMITTED, NULL);
  {
    g_autoptr(GPtrArray) want = expected (f, &flt);
    guint pos = 0;

    while (saoma_attempt_get_id (want->pdata[pos]) != saoma_attempt_get_id (a))
      pos++;
    assert_changes (f, 1, pos, 1, 1);
  }
  assert_model_equals (f, &flt);

  /* Under a state filter: leaving it removes, entering it inserts, at the right place. */
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_SUBMITTED);
  settle (f);
  flt.state = SAOMA_ATTEMPT_SUBMITTED;
  assert_changes (f, 1, 0, 2002, 1);
  g_object_unref (add (f, "NEW2", T0 + 20000 * SEC));     /* CREATED: not shown */
  g_assert_cmpuint (f->changes->len, ==, 0);
  set_state (f, "NEW2", SAOMA_ATTEMPT_SUBMITTED, NULL);
  assert_changes (f, 1, 0, 0, 1);
  set_state (f, "NEW1", SAOMA_ATTEMPT_SUBMITTED, NULL);
  assert_changes (f, 1, 1, 0, 1);
  assert_model_equals (f, &flt);
  set_state (f, "MID1", SAOMA_ATTEMPT_WAITING, NULL);
  assert_changes (f, 1, 2, 1, 0);
  set_state (f, "NEW2", SAOMA_ATTEMPT_WAITING, NULL);
  assert_changes (f, 1, 0, 1, 0);
  assert_model_equals (f, &flt);
  set_state (f, "MID1", SAOMA_ATTEMPT_PAID, NULL);      /* neither before nor after */
  g_assert_cmpuint (f->changes->len, ==, 0);

  /* Search matching on a transaction id that arrives with the payment. */
  saoma_ledger_model_set_state_filter (f->model, -1);
  settle (f);
  g_array_set_size (f->changes, 0);
  saoma_ledger_model_set_search_text (f->model, "wx-special");
  settle (f);
  flt = (Filter) { 0, 0, -1, "wx-special" };
  assert_changes (f, 1, 0, 2003, 0);
  set_state (f, "NEW1", SAOMA_ATTEMPT_PAID, "WX-SPECIAL-1");
  assert_changes (f, 1, 0, 0, 1);
  assert_model_equals (f, &flt);
}

/* The first @n rows are in the model's pages now (no read, no placeholder) and right. */
static void
assert_cached_prefix (Fixture      *f,
                      const Filter *flt,
                      guint         n)
{
  g_autoptr(GPtrArray) want = expected (f, flt);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, want->len);
  for (guint i = 0; i < MIN (n, want->len); i++)
    {
      g_autoptr(SaomaAttempt) got = g_list_model_get_item (G_LIST_MODEL (f->model), i);

      if (saoma_attempt_is_placeholder (got))
        g_error ("row %u is not in the model's pages after a change", i);
      g_assert_cmpint (saoma_attempt_get_id (got), ==, saoma_attempt_get_id (want->pdata[i]));
      g_assert_cmpint (saoma_attempt_get_state (got), ==,
                       saoma_attempt_get_state (want->pdata[i]));
    }
  g_assert_false (saoma_ledger_model_get_loading (f->model));
}

/* A write moves the pages the model holds with it: every other row it had is still there,
 * without a read and without an items-changed of its own, so a list view keeps its widgets
 * (issue 19: a sale writes its row four or five times, and the hidden history built its rows
 * again on each write, on the way to the QR code). */
static void
test_pages_follow_changes (Fixture       *f,
                           gconstpointer  data)
{
  Filter all = { 0, 0, -1, NULL };
  Filter paid = { 0, 0, SAOMA_ATTEMPT_PAID, NULL };
  g_autoptr(GPtrArray) want = NULL;
  guint pos;

  fill (f, 300, 11);
  make_model (f);
  /* The count came with the first 4 pages. */
  assert_cached_prefix (f, &all, 256);

  /* A sale: its row goes in at the top, then changes in place. */
  g_object_unref (add (f, "SALE1", T0 + 10000 * SEC));
  assert_changes (f, 1, 0, 0, 1);
  assert_cached_prefix (f, &all, 256);
  set_state (f, "SALE1", SAOMA_ATTEMPT_SUBMITTED, NULL);
  assert_changes (f, 1, 0, 1, 1);
  set_state (f, "SALE1", SAOMA_ATTEMPT_WAITING, NULL);
  set_state (f, "SALE1", SAOMA_ATTEMPT_PAID, "4200SALE1");
  assert_changes (f, 2, 0, 1, 1, 0, 1, 1);
  assert_cached_prefix (f, &all, 256);

  /* An old row in the middle of the pages is paid. */
  want = expected (f, &all);
  for (pos = 70; saoma_attempt_get_state (want->pdata[pos]) != SAOMA_ATTEMPT_WAITING; pos++)
    g_assert_cmpuint (pos, <, 250);
  set_state (f, saoma_attempt_get_out_trade_no (want->pdata[pos]), SAOMA_ATTEMPT_PAID,
             "4200LATE");
  assert_changes (f, 1, pos, 1, 1);
  assert_cached_prefix (f, &all, 256);

  /* Under a filter, rows leave (the pages close up behind them) and come in. */
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_PAID);
  settle (f);
  g_array_set_size (f->changes, 0);
  assert_cached_prefix (f, &paid, 256);
  set_state (f, "SALE1", SAOMA_ATTEMPT_REFUNDED, NULL);
  assert_changes (f, 1, 0, 1, 0);
  assert_cached_prefix (f, &paid, 255);
  g_object_unref (add (f, "SALE2", T0 + 20000 * SEC));
  set_state (f, "SALE2", SAOMA_ATTEMPT_SUBMITTED, NULL);
  set_state (f, "SALE2", SAOMA_ATTEMPT_WAITING, NULL);
  set_state (f, "SALE2", SAOMA_ATTEMPT_PAID, "4200SALE2");
  assert_changes (f, 1, 0, 0, 1);
  assert_cached_prefix (f, &paid, 255);
  assert_model_equals (f, &paid);
}

/* Many removals and insertions around known bounds keep random access exact. */
static void
test_bounds_follow_changes (Fixture       *f,
                            gconstpointer  data)
{
  Filter flt = { 0, 0, SAOMA_ATTEMPT_WAITING, NULL };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  fill (f, 6000, 4);
  make_model (f);
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_WAITING);
  settle (f);
  assert_model_equals (f, &flt);
  g_array_set_size (f->changes, 0);

  all = saoma_ledger_list_range_sync (f->ledger, G_MININT64, G_MAXINT64, &error);
  for (guint round = 0; round < 200; round++)
    {
      SaomaAttempt *victim = all->pdata[g_rand_int_range (rand, 0, all->len)];
      SaomaAttemptState now;
      g_autoptr(SaomaAttempt) cur = saoma_ledger_get_attempt_sync (f->ledger,
                                                                   saoma_attempt_get_out_trade_no (victim),
                                                                   &error);
      g_autoptr(GPtrArray) want = NULL;
      g_autoptr(GPtrArray) want_before = expected (f, &flt);
      guint n_before = g_list_model_get_n_items (G_LIST_MODEL (f->model));
      guint pos;

      now = saoma_attempt_get_state (cur);
      if (now != SAOMA_ATTEMPT_WAITING && now != SAOMA_ATTEMPT_UNKNOWN)
        continue;
      set_state (f, saoma_attempt_get_out_trade_no (victim),
                 now == SAOMA_ATTEMPT_WAITING ? SAOMA_ATTEMPT_UNKNOWN : SAOMA_ATTEMPT_WAITING,
                 NULL);
      g_assert_cmpuint (f->changes->len, ==, 1);
      want = expected (f, &flt);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, want->len);
      pos = g_array_index (f->changes, Change, 0).pos;
      if (now == SAOMA_ATTEMPT_WAITING)
        {
          g_assert_cmpuint (want->len, ==, n_before - 1);
          g_assert_cmpint (saoma_attempt_get_id (want_before->pdata[pos]), ==,
                           saoma_attempt_get_id (cur));
          assert_changes (f, 1, pos, 1, 0);
        }
      else
        {
          g_assert_cmpuint (want->len, ==, n_before + 1);
          g_assert_cmpint (saoma_attempt_get_id (want->pdata[pos]), ==, saoma_attempt_get_id (cur));
          assert_item (G_LIST_MODEL (f->model), pos, want->pdata[pos]);
          assert_changes (f, 1, pos, 0, 1);
        }

      for (guint k = 0; k < 20; k++)
        {
          guint p = g_rand_int_range (rand, 0, want->len);

          assert_item (G_LIST_MODEL (f->model), p, want->pdata[p]);
        }
    }

  assert_model_equals (f, &flt);
}

/* A count arrives with the first rows: when the list view learns it (the one items-changed)
 * the first pages are already there, so the rows it builds at once are never placeholders
 * that it would have to build again. */
typedef struct
{
  guint checked;
  guint placeholders;
} FirstRows;

static void
first_rows_cb (GListModel *model,
               guint       pos,
               guint       removed,
               guint       added,
               FirstRows  *seen)
{
  for (guint i = 0; i < MIN (added, 256); i++)
    {
      g_autoptr(SaomaAttempt) item = g_list_model_get_item (model, pos + i);

      seen->checked++;
      if (saoma_attempt_is_placeholder (item))
        seen->placeholders++;
    }
}

static void
test_count_with_first_rows (Fixture       *f,
                            gconstpointer  data)
{
  FirstRows seen = { 0 };

  fill (f, 1000, 5);
  f->model = saoma_ledger_model_new (f->ledger);
  g_signal_connect (f->model, "items-changed", G_CALLBACK (first_rows_cb), &seen);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 1000);
  g_assert_cmpuint (seen.checked, ==, 256);
  g_assert_cmpuint (seen.placeholders, ==, 0);

  /* A new filter too. */
  seen = (FirstRows) { 0 };
  saoma_ledger_model_set_state_filter (f->model, SAOMA_ATTEMPT_PAID);
  settle (f);
  g_assert_cmpuint (seen.checked, >, 0);
  g_assert_cmpuint (seen.placeholders, ==, 0);
}

/* get_item() never reads the database: a row whose page is not loaded is a placeholder at
 * once, replaced through items-changed when the page arrives from the store's thread. */
static void
test_never_blocks (Fixture       *f,
                   gconstpointer  data)
{
  Filter all = { 0, 0, -1, NULL };
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(SaomaAttempt) first = NULL;
  g_autoptr(SaomaAttempt) again = NULL;
  g_autoptr(SaomaAttempt) loaded = NULL;
  gboolean replaced = FALSE;

  fill (f, 1000, 5);
  make_model (f);
  want = expected (f, &all);

  first = g_list_model_get_item (G_LIST_MODEL (f->model), 500);
  g_assert_nonnull (first);
  g_assert_true (saoma_attempt_is_placeholder (first));
  g_assert_cmpint (saoma_attempt_get_id (first), ==, 0);
  g_assert_true (saoma_ledger_model_get_loading (f->model));
  /* Asking again before the page arrives asks the store once. */
  again = g_list_model_get_item (G_LIST_MODEL (f->model), 501);
  g_assert_true (saoma_attempt_is_placeholder (again));

  while (saoma_ledger_model_get_loading (f->model))
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < f->changes->len; i++)
    {
      Change *c = &g_array_index (f->changes, Change, i);

      if (c->pos <= 500 && 500 < c->pos + c->added && c->removed == c->added)
        replaced = TRUE;
    }
  g_assert_true (replaced);
  g_assert_cmpuint (f->changes->len, ==, 1);

  loaded = g_list_model_get_item (G_LIST_MODEL (f->model), 500);
  g_assert_false (saoma_attempt_is_placeholder (loaded));
  g_assert_cmpint (saoma_attempt_get_id (loaded), ==, saoma_attempt_get_id (want->pdata[500]));
}

static void
test_async_writes (Fixture       *f,
                   gconstpointer  data)
{
  Filter flt = { 0, 0, -1, NULL };
  guint pending = 0;

  make_model (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 0);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *no = g_strdup_printf ("AS%02u", i);
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (no, 5, NULL, NULL, T0 + i * SEC, T0);

      saoma_ledger_insert_attempt_async (f->ledger, a, NULL, NULL, NULL);
      pending++;
    }

  /* Nothing shows before the writes are committed and signalled on this thread. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 0);
  while (f->changes->len < pending)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < pending; i++)
    {
      Change *c = &g_array_index (f->changes, Change, i);

      g_assert_cmpuint (c->pos, ==, 0);
      g_assert_cmpuint (c->removed, ==, 0);
      g_assert_cmpuint (c->added, ==, 1);
    }
  assert_model_equals (f, &flt);

  /* A model created while signals are still queued does not count rows twice. */
  {
    g_autoptr(SaomaAttempt) a = saoma_attempt_new ("LATE", 5, NULL, NULL, T0 + 99 * SEC, T0);
    g_autoptr(GError) error = NULL;
    g_autoptr(SaomaLedgerModel) second = NULL;
    g_autoptr(SaomaAttempt) got = NULL;

    saoma_ledger_insert_attempt_async (f->ledger, a, NULL, NULL, NULL);
    /* Wait for the commit (a get is queued behind the insert), not for its signal. */
    got = saoma_ledger_get_attempt_sync (f->ledger, "LATE", &error);
    while (got == NULL)
      {
        g_clear_error (&error);
        g_usleep (1000);
        got = saoma_ledger_get_attempt_sync (f->ledger, "LATE", &error);
      }
    second = saoma_ledger_model_new (f->ledger);
    settle_model (second);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 21);
    /* The signal reaches both models in the same dispatch; the old one counts it, the new
     * one already had it. */
    while (g_list_model_get_n_items (G_LIST_MODEL (f->model)) < 21)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 21);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->model)), ==, 21);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/ledger-model/paging", test_paging);
  ADD ("/ledger-model/filters", test_filters);
  ADD ("/ledger-model/items-changed", test_items_changed);
  ADD ("/ledger-model/bounds-follow-changes", test_bounds_follow_changes);
  ADD ("/ledger-model/pages-follow-changes", test_pages_follow_changes);
  ADD ("/ledger-model/async-writes", test_async_writes);
  ADD ("/ledger-model/never-blocks", test_never_blocks);
  ADD ("/ledger-model/count-with-first-rows", test_count_with_first_rows);
  ADD ("/ledger-model/search-amount-and-undecided", test_search_amount_and_undecided);
#undef ADD

  return g_test_run ();
}
