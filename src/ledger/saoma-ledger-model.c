/* saoma-ledger-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger-model"

#include "config.h"

#include <string.h>

#include "saoma-ledger-model.h"
#include "saoma-store.h"

/*
 * Rows are ordered newest first by the key (created DESC, id DESC); both parts never change, so
 * a row's position only moves when rows newer than it start or stop matching the filter.
 *
 * The model never reads the database itself: it asks the store (SaomaStore's page source)
 * for the filtered count, for pages of PAGE_SIZE rows and for the position of a changed row,
 * asynchronously. get_item() answers from a few cached pages; a row whose page is not there
 * yet is a placeholder (saoma_attempt_is_placeholder()), and the page is requested; when it
 * arrives, items-changed replaces the placeholders in place.
 *
 * The model keeps "bounds": keys of rows whose position is known (from pages read, and from
 * the keys the store walked past), passed back as anchors so a page far down the list is an
 * indexed range read, not an OFFSET scan. Adding or removing a row shifts the bounds older
 * than it by one.
 *
 * Ordering: the count and the positions are read on the store's write queue, so a count
 * includes exactly the writes whose signals were delivered before its answer; signals that
 * arrive while a count is pending are therefore already in it and are skipped. Changes are
 * applied one at a time, in signal order. Every change of the list (a row moving, a new
 * filter) starts a new generation; pages asked for in an older one are dropped on arrival.
 *
 * A new count is announced together with the first rows: the first N_PREFETCH pages are
 * asked for right after the count, on the same ordered queue (so they read the same rows),
 * and the one items-changed waits for them. A list view builds and binds row widgets for its
 * first couple of hundred positions as soon as it learns the count; if those rows were
 * placeholders, GTK 4.8 would throw every such widget away and build it again when its page
 * replaced the placeholder (a different item), which was most of the history's first frame.
 */

#define PAGE_SIZE  64
#define N_PAGES    8
#define N_PREFETCH 4

typedef struct
{
  guint      start;
  GPtrArray *items;
  guint64    used;
} Page;

typedef struct
{
  SaomaAttempt *attempt;
  gboolean      added;
  gboolean      was;
  gboolean      is;
} PendingChange;

struct _SaomaLedgerModel
{
  GObject           parent_instance;

  SaomaLedger      *ledger;
  SaomaStore       *store;
  GCancellable     *cancellable;

  gint64            day_start;
  gint64            day_end;
  int               state_filter;
  char             *search_text;
  char             *search_folded;  /* ASCII-lowercased, for matching snapshots in C */
  gint64            search_amount;  /* > 0: the search also matches this amount (fen) */
  gboolean          undecided_late; /* only late payments without a decision */

  guint             n_items;
  /* The newest row id when n_items was counted. */
  gint64            counted_id;
  gboolean          counting;
  /* The count read while counting, announced when the first pages are in too. */
  gboolean          count_in;
  guint             counted_n;
  gint64            counted_newest;
  guint             prefetching;    /* first pages of this count not arrived yet */
  guint             generation;
  GArray           *bounds;         /* SaomaStoreKey, ascending pos (= descending key) */
  Page              pages[N_PAGES];
  guint64           page_clock;
  GHashTable       *fetching;       /* page start → TRUE, this generation */
  guint             n_requests;     /* count, fetch and locate requests in flight */
  GQueue            changes;        /* PendingChange, the head's position being read */
  gboolean          locating;
  gboolean          loading;
};

enum {
  PROP_0,
  PROP_LEDGER,
  PROP_DAY_START,
  PROP_DAY_END,
  PROP_STATE_FILTER,
  PROP_SEARCH_TEXT,
  PROP_N_ITEMS,
  PROP_LOADING,
  N_PROPS
};

static void list_model_iface_init (GListModelInterface *iface);
static void next_change (SaomaLedgerModel *self);

G_DEFINE_FINAL_TYPE_WITH_CODE (SaomaLedgerModel, saoma_ledger_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GParamSpec *properties[N_PROPS];

/* Key order: TRUE when (c1, i1) is newer (earlier in the list) than (c2, i2). */
static inline gboolean
key_newer (gint64 c1,
           gint64 i1,
           gint64 c2,
           gint64 i2)
{
  return c1 > c2 || (c1 == c2 && i1 > i2);
}

static SaomaStoreFilter
current_filter (SaomaLedgerModel *self)
{
  return (SaomaStoreFilter) { self->day_start, self->day_end, self->state_filter,
                              self->search_text, self->search_text ? self->search_amount : 0,
                              self->undecided_late };
}

static void
update_loading (SaomaLedgerModel *self)
{
  gboolean loading = self->n_requests > 0 || !g_queue_is_empty (&self->changes);

  if (loading == self->loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
request_started (SaomaLedgerModel *self)
{
  self->n_requests++;
  update_loading (self);
}

static void
request_done (SaomaLedgerModel *self)
{
  g_assert (self->n_requests > 0);
  self->n_requests--;
  update_loading (self);
}

/* Forgets the requests in flight (their answers are of the list before a change), not the
 * pages: apply_change() moves those with the change (move_pages()). */
static void
new_request_generation (SaomaLedgerModel *self)
{
  self->generation++;
  g_hash_table_remove_all (self->fetching);
}

/* Forgets every page and every request of the generation that ends. */
static void
new_generation (SaomaLedgerModel *self)
{
  new_request_generation (self);
  for (guint i = 0; i < N_PAGES; i++)
    g_clear_pointer (&self->pages[i].items, g_ptr_array_unref);
}

static gboolean
matches (SaomaLedgerModel *self,
         SaomaAttempt     *attempt)
{
  gint64 created = saoma_attempt_get_created (attempt);

  if (self->day_start != 0 && created < self->day_start)
    return FALSE;
  if (self->day_end != 0 && created >= self->day_end)
    return FALSE;
  if (self->state_filter >= 0 && (int) saoma_attempt_get_state (attempt) != self->state_filter)
    return FALSE;
  /* A decision is an event, not a change of the row: a late row matches until the page
   * refreshes the model after recording one (saoma_ledger_model_refresh()). */
  if (self->undecided_late && !saoma_attempt_get_late (attempt))
    return FALSE;

  if (self->search_folded != NULL)
    {
      const char *fields[] = { saoma_attempt_get_out_trade_no (attempt),
                               saoma_attempt_get_transaction_id (attempt) };

      if (self->search_amount > 0 && saoma_attempt_get_amount (attempt) == self->search_amount)
        return TRUE;

      /* Mirrors SQL LIKE: case-insensitive for ASCII only. */
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          g_autofree char *folded = NULL;

          if (fields[i] == NULL)
            continue;
          folded = g_ascii_strdown (fields[i], -1);
          if (strstr (folded, self->search_folded) != NULL)
            return TRUE;
        }

      return FALSE;
    }

  return TRUE;
}

/* Index of the last bound with pos ≤ @pos, or -1. */
static int
find_bound (SaomaLedgerModel *self,
            guint             pos)
{
  int lo = 0, hi = (int) self->bounds->len - 1, found = -1;

  while (lo <= hi)
    {
      int mid = (lo + hi) / 2;

      if (g_array_index (self->bounds, SaomaStoreKey, mid).pos <= pos)
        {
          found = mid;
          lo = mid + 1;
        }
      else
        hi = mid - 1;
    }

  return found;
}

static void
add_bound (SaomaLedgerModel    *self,
           const SaomaStoreKey *key)
{
  int i = find_bound (self, key->pos);

  if (i >= 0 && g_array_index (self->bounds, SaomaStoreKey, i).pos == key->pos)
    return;

  g_array_insert_val (self->bounds, i + 1, *key);
}

/* A row with key (@created, @id) starts (@delta = 1) or stops (-1) matching. */
static void
shift_bounds (SaomaLedgerModel *self,
              gint64            created,
              gint64            id,
              int               delta)
{
  for (guint i = self->bounds->len; i > 0; i--)
    {
      SaomaStoreKey *b = &g_array_index (self->bounds, SaomaStoreKey, i - 1);

      if (b->created == created && b->id == id)
        {
          /* A row that stopped matching cannot anchor a position any more. */
          if (delta < 0)
            g_array_remove_index (self->bounds, i - 1);
          continue;
        }

      /* Bounds are in key order: once one is newer than the row, all before it are. */
      if (key_newer (b->created, b->id, created, id))
        break;

      b->pos += delta;
    }
}

static void
items_changed (SaomaLedgerModel *self,
               guint             position,
               guint             removed,
               guint             added)
{
  guint old = self->n_items;

  self->n_items = self->n_items - removed + added;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (old != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Pages */

typedef struct
{
  SaomaLedgerModel *self;
  guint             generation;
  guint             start;
  gboolean          prefetch;
} FetchData;

static void announce_count (SaomaLedgerModel *self);

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  FetchData *data = user_data;
  g_autoptr(SaomaLedgerModel) self = data->self;
  g_autoptr(SaomaStorePage) page = NULL;
  g_autoptr(GError) error = NULL;
  Page *victim;
  guint n;

  page = saoma_store_fetch_attempts_finish (SAOMA_STORE (source), result, &error);
  if (page == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Cannot read the history: %s", error->message);

  if (data->generation != self->generation)
    goto out;

  /* A failed read may be asked for again by the next get_item(). */
  g_hash_table_remove (self->fetching, GUINT_TO_POINTER (data->start));
  if (data->prefetch)
    {
      g_assert (self->prefetching > 0);
      self->prefetching--;
    }
  if (page == NULL)
    goto announce;

  for (guint i = 0; i < page->keys->len; i++)
    add_bound (self, &g_array_index (page->keys, SaomaStoreKey, i));

  victim = &self->pages[0];
  for (guint i = 0; i < N_PAGES; i++)
    {
      if (self->pages[i].items == NULL)
        {
          victim = &self->pages[i];
          break;
        }
      if (self->pages[i].used < victim->used)
        victim = &self->pages[i];
    }

  g_clear_pointer (&victim->items, g_ptr_array_unref);
  victim->items = g_steal_pointer (&page->items);
  victim->start = data->start;
  victim->used = ++self->page_clock;

  /* The placeholders handed out for this page become the rows. (A first page of a count
   * not announced yet replaced none: the count's items-changed brings it.) */
  if (!data->prefetch)
    {
      n = MIN (PAGE_SIZE, self->n_items - MIN (data->start, self->n_items));
      if (n > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), data->start, n, n);
    }

announce:
  if (data->prefetch && self->count_in && self->prefetching == 0)
    announce_count (self);

out:
  request_done (self);
  g_free (data);
}

static void
request_page (SaomaLedgerModel *self,
              guint             start,
              gboolean          prefetch)
{
  SaomaStoreFilter filter = current_filter (self);
  FetchData *data;
  int i;

  if (g_hash_table_contains (self->fetching, GUINT_TO_POINTER (start)))
    return;

  g_hash_table_add (self->fetching, GUINT_TO_POINTER (start));
  data = g_new0 (FetchData, 1);
  data->self = g_object_ref (self);
  data->generation = self->generation;
  data->start = start;
  data->prefetch = prefetch;
  request_started (self);

  i = find_bound (self, start);
  saoma_store_fetch_attempts_async (self->store, &filter,
                                    i >= 0 ? &g_array_index (self->bounds, SaomaStoreKey, i)
                                           : NULL,
                                    start, PAGE_SIZE, self->cancellable, fetch_cb, data);
}

static GType
saoma_ledger_model_get_item_type (GListModel *model)
{
  return SAOMA_TYPE_ATTEMPT;
}

static guint
saoma_ledger_model_get_n_items (GListModel *model)
{
  return SAOMA_LEDGER_MODEL (model)->n_items;
}

static gpointer
saoma_ledger_model_get_item (GListModel *model,
                             guint       position)
{
  SaomaLedgerModel *self = SAOMA_LEDGER_MODEL (model);
  guint start = position - position % PAGE_SIZE;

  if (position >= self->n_items)
    return NULL;

  /* While a new filter is being counted, positions belong to the old one, and the pages
   * kept are the new one's: wait for the count. */
  if (self->counting)
    return saoma_attempt_new_placeholder ();

  for (guint i = 0; i < N_PAGES; i++)
    {
      Page *page = &self->pages[i];

      if (page->items != NULL && page->start == start)
        {
          page->used = ++self->page_clock;
          if (position - start < page->items->len)
            return g_object_ref (g_ptr_array_index (page->items, position - start));
          /* The store has fewer rows than our count (a change not yet signalled). */
          return saoma_attempt_new_placeholder ();
        }
    }

  request_page (self, start, FALSE);

  return saoma_attempt_new_placeholder ();
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = saoma_ledger_model_get_item_type;
  iface->get_n_items = saoma_ledger_model_get_n_items;
  iface->get_item = saoma_ledger_model_get_item;
}

/* Counting */

typedef struct
{
  SaomaLedgerModel *self;
  guint             generation;
} CountData;

static void
pending_change_free (gpointer data)
{
  PendingChange *change = data;

  g_object_unref (change->attempt);
  g_free (change);
}

static void
count_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  CountData *data = user_data;
  g_autoptr(SaomaLedgerModel) self = data->self;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  gint64 newest = 0;

  if (!saoma_store_count_attempts_finish (SAOMA_STORE (source), result, &n, &newest, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Cannot count the history: %s", error->message);

  if (data->generation != self->generation)
    goto out;

  if (error != NULL)
    {
      /* Keep showing what was there (its pages are gone: they load again); changes flow
       * again. The new filter's first pages are dropped. */
      new_generation (self);
      self->prefetching = 0;
      self->counting = FALSE;
      goto out;
    }

  self->count_in = TRUE;
  self->counted_n = n;
  self->counted_newest = newest;
  if (self->prefetching == 0)
    announce_count (self);

out:
  request_done (self);
  g_free (data);
}

/* The new filter's list (count and first pages in) replaces the old one in one change. */
static void
announce_count (SaomaLedgerModel *self)
{
  guint old = self->n_items, n = self->counted_n;

  self->n_items = n;
  self->counted_id = self->counted_newest;
  self->counting = FALSE;
  self->count_in = FALSE;
  if (old != 0 || n != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, n);
  if (old != n)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
recount (SaomaLedgerModel *self)
{
  SaomaStoreFilter filter = current_filter (self);
  CountData *data = g_new0 (CountData, 1);

  /* Whatever was queued is in the new count. */
  g_queue_clear_full (&self->changes, pending_change_free);
  new_generation (self);
  g_array_set_size (self->bounds, 0);
  self->counting = TRUE;
  self->count_in = FALSE;

  data->self = g_object_ref (self);
  data->generation = self->generation;
  request_started (self);
  saoma_store_count_attempts_async (self->store, &filter, self->cancellable, count_cb, data);

  /* Queued right behind the count, from this thread, so no write comes between them: the
   * pages read the rows the count counted. */
  self->prefetching = N_PREFETCH;
  for (guint i = 0; i < N_PREFETCH; i++)
    request_page (self, i * PAGE_SIZE, TRUE);
}

/* Changes */

/* The item at @pos of the list as it was, from the cached pages, or %NULL. */
static SaomaAttempt *
cached_item (SaomaLedgerModel *self,
             guint             pos)
{
  guint start = pos - pos % PAGE_SIZE;

  for (guint i = 0; i < N_PAGES; i++)
    if (self->pages[i].items != NULL && self->pages[i].start == start)
      return pos - start < self->pages[i].items->len ?
             g_ptr_array_index (self->pages[i].items, pos - start) : NULL;

  return NULL;
}

/* Moves the cached pages with one change of the list: @delta = 1, @attempt inserted at @pos;
 * -1, the row at @pos removed; 0, the row at @pos replaced by @attempt. A page whose new rows
 * are all known (from itself, its neighbour, @attempt) is kept, the others are dropped and
 * read again when asked for. A sale writes its row four or five times; keeping the pages
 * keeps every other row's item, and a list view keeps their widgets: it dropped and built
 * them all again on every write, on the way to the sale's QR code and its paid page (issue
 * 19). @n_old is the length of the list before the change. */
static void
move_pages (SaomaLedgerModel *self,
            guint             pos,
            int               delta,
            SaomaAttempt     *attempt,
            guint             n_old)
{
  guint n_new = (guint) ((int) n_old + delta);
  GPtrArray *moved[N_PAGES] = { NULL, };

  for (guint i = 0; i < N_PAGES; i++)
    {
      Page *page = &self->pages[i];
      guint end;

      if (page->items == NULL)
        continue;

      end = MIN (page->start + PAGE_SIZE, n_new);
      moved[i] = g_ptr_array_new_full (PAGE_SIZE, g_object_unref);
      for (guint p = page->start; p < end; p++)
        {
          SaomaAttempt *item;

          if (p < pos)
            item = cached_item (self, p);
          else if (p == pos && delta >= 0)
            item = attempt;
          else
            item = cached_item (self, (guint) ((int) p - delta));

          if (item == NULL)
            {
              g_clear_pointer (&moved[i], g_ptr_array_unref);
              break;
            }
          g_ptr_array_add (moved[i], g_object_ref (item));
        }
      /* A page past the end of the list, or one that is empty now. */
      if (moved[i] != NULL && moved[i]->len == 0)
        g_clear_pointer (&moved[i], g_ptr_array_unref);
    }

  for (guint i = 0; i < N_PAGES; i++)
    {
      g_clear_pointer (&self->pages[i].items, g_ptr_array_unref);
      self->pages[i].items = moved[i];
    }
}

static void
apply_change (SaomaLedgerModel *self,
              PendingChange    *change,
              guint             pos)
{
  gint64 created = saoma_attempt_get_created (change->attempt);
  gint64 id = saoma_attempt_get_id (change->attempt);
  guint n = self->n_items;

  /* Positions move: page requests of before are stale (their pages are moved here). */
  new_request_generation (self);

  if (change->added || !change->was)
    {
      /* Added, or starts matching: in at @pos. */
      pos = MIN (pos, n);
      shift_bounds (self, created, id, 1);
      move_pages (self, pos, 1, change->attempt, n);
      items_changed (self, pos, 0, 1);
    }
  else if (change->is)
    {
      if (pos < n)
        {
          move_pages (self, pos, 0, change->attempt, n);
          items_changed (self, pos, 1, 1);
        }
    }
  else
    {
      shift_bounds (self, created, id, -1);
      if (pos < n)
        {
          move_pages (self, pos, -1, NULL, n);
          items_changed (self, pos, 1, 0);
        }
    }
}

typedef struct
{
  SaomaLedgerModel *self;
  guint             generation;
} LocateData;

static void
locate_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  LocateData *data = user_data;
  g_autoptr(SaomaLedgerModel) self = data->self;
  g_autoptr(GError) error = NULL;
  PendingChange *change;
  guint pos = 0;

  if (!saoma_store_locate_attempt_finish (SAOMA_STORE (source), result, &pos, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Cannot place a changed row in the history: %s", error->message);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;

  self->locating = FALSE;
  /* A recount since then replaced the queue (and counted this change). */
  if (data->generation == self->generation && (change = g_queue_pop_head (&self->changes)))
    {
      if (error == NULL)
        apply_change (self, change, pos);
      pending_change_free (change);
    }

  next_change (self);

out:
  request_done (self);
  g_free (data);
}

static void
next_change (SaomaLedgerModel *self)
{
  PendingChange *change = g_queue_peek_head (&self->changes);
  SaomaStoreFilter filter = current_filter (self);
  LocateData *data;

  if (change == NULL || self->locating)
    {
      update_loading (self);
      return;
    }

  self->locating = TRUE;
  data = g_new0 (LocateData, 1);
  data->self = g_object_ref (self);
  data->generation = self->generation;
  request_started (self);
  saoma_store_locate_attempt_async (self->store, &filter, change->attempt, change->added,
                                    self->cancellable, locate_cb, data);
}

static void
queue_change (SaomaLedgerModel *self,
              SaomaAttempt     *attempt,
              gboolean          added,
              gboolean          was,
              gboolean          is)
{
  PendingChange *change = g_new0 (PendingChange, 1);

  change->attempt = g_object_ref (attempt);
  change->added = added;
  change->was = was;
  change->is = is;
  g_queue_push_tail (&self->changes, change);
  next_change (self);
}

static void
attempt_added_cb (SaomaLedgerModel *self,
                  SaomaAttempt     *attempt,
                  SaomaLedger      *ledger)
{
  /* While counting, a delivered signal is a write the count includes. */
  if (self->counting || saoma_attempt_get_id (attempt) <= self->counted_id ||
      !matches (self, attempt))
    return;

  queue_change (self, attempt, TRUE, FALSE, TRUE);
}

static void
attempt_changed_cb (SaomaLedgerModel *self,
                    SaomaAttempt     *attempt,
                    SaomaLedger      *ledger)
{
  SaomaAttempt *previous = saoma_attempt_get_previous (attempt);
  gboolean is, was;

  if (self->counting)
    return;

  is = matches (self, attempt);
  was = previous != NULL ? matches (self, previous) : is;
  if (!was && !is)
    return;

  queue_change (self, attempt, FALSE, was, is);
}

static void
refilter (SaomaLedgerModel *self)
{
  recount (self);
}

static void
saoma_ledger_model_constructed (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->constructed (object);

  g_return_if_fail (SAOMA_IS_LEDGER (self->ledger));

  self->store = SAOMA_STORE (self->ledger);
  g_signal_connect_object (self->ledger, "attempt-added",
                           G_CALLBACK (attempt_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->ledger, "attempt-changed",
                           G_CALLBACK (attempt_changed_cb), self, G_CONNECT_SWAPPED);

  recount (self);
}

static void
saoma_ledger_model_dispose (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;

  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < N_PAGES; i++)
    g_clear_pointer (&self->pages[i].items, g_ptr_array_unref);
  g_queue_clear_full (&self->changes, pending_change_free);
  g_clear_object (&self->ledger);
  self->store = NULL;

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->dispose (object);
}

static void
saoma_ledger_model_finalize (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->bounds, g_array_unref);
  g_clear_pointer (&self->fetching, g_hash_table_unref);
  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->search_folded, g_free);

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->finalize (object);
}

static void
sum_store_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gint64 sum = 0;

  if (saoma_store_sum_amount_finish (SAOMA_STORE (source), result, &sum, &error))
    g_task_return_int (task, sum);
  else
    g_task_return_error (task, error);
}

static void
sum_ready_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
saoma_ledger_model_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SaomaLedgerModel *self = SAOMA_LEDGER_MODEL (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      g_value_set_object (value, self->ledger);
      break;

    case PROP_DAY_START:
      g_value_set_int64 (value, self->day_start);
      break;

    case PROP_DAY_END:
      g_value_set_int64 (value, self->day_end);
      break;

    case PROP_STATE_FILTER:
      g_value_set_int (value, self->state_filter);
      break;

    case PROP_SEARCH_TEXT:
      g_value_set_string (value, self->search_text);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_ledger_model_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SaomaLedgerModel *self = SAOMA_LEDGER_MODEL (object);

  switch (prop_id)
    {
    case PROP_LEDGER:
      self->ledger = g_value_dup_object (value);
      break;

    case PROP_DAY_START:
      saoma_ledger_model_set_day_range (self, g_value_get_int64 (value), self->day_end);
      break;

    case PROP_DAY_END:
      saoma_ledger_model_set_day_range (self, self->day_start, g_value_get_int64 (value));
      break;

    case PROP_STATE_FILTER:
      saoma_ledger_model_set_state_filter (self, g_value_get_int (value));
      break;

    case PROP_SEARCH_TEXT:
      saoma_ledger_model_set_search_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_ledger_model_class_init (SaomaLedgerModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = saoma_ledger_model_constructed;
  object_class->dispose = saoma_ledger_model_dispose;
  object_class->finalize = saoma_ledger_model_finalize;
  object_class->get_property = saoma_ledger_model_get_property;
  object_class->set_property = saoma_ledger_model_set_property;

  properties[PROP_LEDGER] =
    g_param_spec_object ("ledger", NULL, NULL, SAOMA_TYPE_LEDGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DAY_START] =
    g_param_spec_int64 ("day-start", NULL, NULL, G_MININT64, G_MAXINT64, 0, rw);
  properties[PROP_DAY_END] =
    g_param_spec_int64 ("day-end", NULL, NULL, G_MININT64, G_MAXINT64, 0, rw);
  properties[PROP_STATE_FILTER] =
    g_param_spec_int ("state-filter", NULL, NULL, -1, SAOMA_ATTEMPT_STATE_LAST, -1, rw);
  properties[PROP_SEARCH_TEXT] =
    g_param_spec_string ("search-text", NULL, NULL, NULL, rw);
  /* GListModel gained its own "n-items" only in GLib 2.76. */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* TRUE while the count, a page or a changed row's position is being read. */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_ledger_model_init (SaomaLedgerModel *self)
{
  self->state_filter = -1;
  self->bounds = g_array_new (FALSE, FALSE, sizeof (SaomaStoreKey));
  self->fetching = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->changes);
}

/**
 * saoma_ledger_model_new:
 * @ledger: an open #SaomaLedger
 *
 * Returns: (transfer full): a model of every attempt in @ledger, newest first
 */
SaomaLedgerModel *
saoma_ledger_model_new (SaomaLedger *ledger)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  return g_object_new (SAOMA_TYPE_LEDGER_MODEL, "ledger", ledger, NULL);
}

/**
 * saoma_ledger_model_set_day_range:
 * @start_us: first µs (UTC) included, or 0 for no lower bound
 * @end_us: first µs (UTC) excluded, or 0 for no upper bound
 *
 * Emits one items-changed (0, old count, new count) when the range changed.
 */
void
saoma_ledger_model_set_day_range (SaomaLedgerModel *self,
                                  gint64            start_us,
                                  gint64            end_us)
{
  gboolean start_changed, end_changed;

  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  start_changed = self->day_start != start_us;
  end_changed = self->day_end != end_us;
  if (!start_changed && !end_changed)
    return;

  self->day_start = start_us;
  self->day_end = end_us;
  refilter (self);

  if (start_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAY_START]);
  if (end_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAY_END]);
}

/**
 * saoma_ledger_model_set_state_filter:
 * @state: -1 for every state, else a #SaomaAttemptState
 */
void
saoma_ledger_model_set_state_filter (SaomaLedgerModel *self,
                                     int               state)
{
  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));
  g_return_if_fail (state >= -1 && state <= SAOMA_ATTEMPT_STATE_LAST);

  if (self->state_filter == state)
    return;

  self->state_filter = state;
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_FILTER]);
}

/**
 * saoma_ledger_model_set_search_text:
 * @text: (nullable): a substring of out_trade_no or transaction_id (ASCII case-insensitive;
 *   surrounding spaces ignored), or %NULL / "" for no search
 */
void
saoma_ledger_model_set_search_text (SaomaLedgerModel *self,
                                    const char       *text)
{
  saoma_ledger_model_set_search (self, text, 0);
}

/**
 * saoma_ledger_model_set_search:
 * @text: (nullable): as saoma_ledger_model_set_search_text()
 * @amount: > 0: an attempt of exactly this amount (fen) matches too; the caller parses the
 *   text as money (the ledger knows no money syntax), 0 when it is not an amount
 */
void
saoma_ledger_model_set_search (SaomaLedgerModel *self,
                               const char       *text,
                               gint64            amount)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  if (text != NULL)
    {
      stripped = g_strstrip (g_strdup (text));
      if (stripped[0] == '\0')
        g_clear_pointer (&stripped, g_free);
    }

  if (stripped == NULL)
    amount = 0;
  if (g_strcmp0 (stripped, self->search_text) == 0 && amount == self->search_amount)
    return;

  self->search_amount = MAX (amount, 0);
  g_free (self->search_text);
  self->search_text = g_steal_pointer (&stripped);
  g_clear_pointer (&self->search_folded, g_free);
  if (self->search_text != NULL)
    self->search_folded = g_ascii_strdown (self->search_text, -1);

  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
}

/**
 * saoma_ledger_model_set_undecided_late:
 * @undecided: %TRUE to list only late payments still waiting for a decision
 */
void
saoma_ledger_model_set_undecided_late (SaomaLedgerModel *self,
                                       gboolean          undecided)
{
  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  undecided = !!undecided;
  if (self->undecided_late == undecided)
    return;

  self->undecided_late = undecided;
  refilter (self);
}

/**
 * saoma_ledger_model_refresh:
 *
 * Counts and reads the rows again: for what changes no attempt row (a late payment's
 * decision is an event), so no "attempt-changed" tells the model.
 */
void
saoma_ledger_model_refresh (SaomaLedgerModel *self)
{
  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  refilter (self);
}

/**
 * saoma_ledger_model_sum_amount:
 * @state: the state to sum
 *
 * Blocks on a read of the ledger; prefer saoma_ledger_model_sum_amount_async().
 *
 * Returns: the sum in fen of the amounts of the attempts that pass the filter and are in
 *   @state
 */
gint64
saoma_ledger_model_sum_amount (SaomaLedgerModel  *self,
                               SaomaAttemptState  state)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  gint64 sum = 0;

  g_return_val_if_fail (SAOMA_IS_LEDGER_MODEL (self), 0);

  /* The store's async read, waited for on a private context: the caller asked to block. */
  g_main_context_push_thread_default (context);
  saoma_ledger_model_sum_amount_async (self, state, NULL, sum_ready_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  saoma_ledger_model_sum_amount_finish (self, result, &sum, NULL);

  return sum;
}

/**
 * saoma_ledger_model_sum_amount_async:
 * @state: the state to sum
 *
 * Sums, in a worker, the amounts of the attempts that pass the current filter and are in
 * @state.
 */
void
saoma_ledger_model_sum_amount_async (SaomaLedgerModel    *self,
                                     SaomaAttemptState    state,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  SaomaStoreFilter filter;
  GTask *task;

  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  /* The result's source is the model, as its _finish expects; the store's answer is passed
   * on. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_ledger_model_sum_amount_async);
  filter = current_filter (self);
  saoma_store_sum_amount_async (self->store, &filter, state, cancellable, sum_store_cb, task);
}

gboolean
saoma_ledger_model_sum_amount_finish (SaomaLedgerModel  *self,
                                      GAsyncResult      *result,
                                      gint64            *out_sum,
                                      GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 sum;

  g_return_val_if_fail (SAOMA_IS_LEDGER_MODEL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  sum = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (out_sum != NULL)
    *out_sum = sum;
  return TRUE;
}

/**
 * saoma_ledger_model_get_loading:
 *
 * Returns: %TRUE while the model waits for the store (a count, a page, a changed row's
 *   position); placeholders may be showing
 */
gboolean
saoma_ledger_model_get_loading (SaomaLedgerModel *self)
{
  g_return_val_if_fail (SAOMA_IS_LEDGER_MODEL (self), FALSE);

  return self->loading;
}
