/* saoma-ledger-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger-model"

#include "config.h"

#include <string.h>

#include "saoma-ledger-model.h"
#include "saoma-ledger-private.h"

/*
 * Rows are ordered newest first by the key (created DESC, id DESC); both parts never change, so
 * a row's position only moves when rows newer than it start or stop matching the filter.
 *
 * The model keeps the filtered count, a few cached pages of PAGE_SIZE snapshots, and "bounds":
 * keys of rows whose position is known, each with the number of matching rows strictly newer
 * than it. A page is read with an indexed range query starting at the nearest bound at or
 * before it (OFFSET < a page or so), so random access is not O(position). When no bound is
 * near, one pass over the covering index from the nearest bound records a bound every
 * PAGE_SIZE rows on the way, once. Adding or removing a row shifts the bounds older than it by
 * one, so bounds stay exact without re-reading.
 *
 * get_item() runs on the caller's (UI) thread and does at most one such bounded, indexed read
 * of PAGE_SIZE rows on a private read-only connection (WAL: never waits for the writer).
 */

#define PAGE_SIZE  64
#define N_PAGES    8
/* Up to this many rows past a bound are skipped with OFFSET instead of walking the index. */
#define MAX_OFFSET (4 * PAGE_SIZE)

typedef struct
{
  gint64 created;
  gint64 id;
  guint  pos;
} Bound;

typedef struct
{
  guint      start;
  GPtrArray *items;
  guint64    used;
} Page;

struct _SaomaLedgerModel
{
  GObject      parent_instance;

  SaomaLedger *ledger;
  sqlite3     *db;

  gint64       day_start;
  gint64       day_end;
  int          state_filter;
  char        *search_text;
  char        *search_folded;   /* ASCII-lowercased, for matching snapshots in C */
  char        *like_pattern;    /* %…% with %, _ and \ escaped */
  char        *where;           /* SQL for the filter, with named parameters */

  guint        n_items;
  /* The newest row id when n_items was counted: "attempt-added" for rows up to it was
   * queued before the count and is already in it. */
  gint64       counted_id;
  GArray      *bounds;          /* Bound, ascending pos (= descending key) */
  Page         pages[N_PAGES];
  guint64      page_clock;
};

enum {
  PROP_0,
  PROP_LEDGER,
  PROP_DAY_START,
  PROP_DAY_END,
  PROP_STATE_FILTER,
  PROP_SEARCH_TEXT,
  PROP_N_ITEMS,
  N_PROPS
};

static void list_model_iface_init (GListModelInterface *iface);

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

static void
drop_pages (SaomaLedgerModel *self)
{
  for (guint i = 0; i < N_PAGES; i++)
    g_clear_pointer (&self->pages[i].items, g_ptr_array_unref);
}

static void
build_where (SaomaLedgerModel *self)
{
  GString *s = g_string_new ("1");

  if (self->day_start != 0)
    g_string_append (s, " AND created >= :start");
  if (self->day_end != 0)
    g_string_append (s, " AND created < :end");
  if (self->state_filter >= 0)
    g_string_append (s, " AND state = :state");
  if (self->like_pattern != NULL)
    g_string_append (s, " AND (out_trade_no LIKE :like ESCAPE '\\'"
                        " OR transaction_id LIKE :like ESCAPE '\\')");

  g_free (self->where);
  self->where = g_string_free (s, FALSE);
}

static void
bind_named_int64 (sqlite3_stmt *stmt,
                  const char   *name,
                  gint64        value)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  if (idx > 0)
    sqlite3_bind_int64 (stmt, idx, value);
}

static void
bind_filter (SaomaLedgerModel *self,
             sqlite3_stmt     *stmt)
{
  int idx;

  bind_named_int64 (stmt, ":start", self->day_start);
  bind_named_int64 (stmt, ":end", self->day_end);
  if ((idx = sqlite3_bind_parameter_index (stmt, ":state")) > 0)
    sqlite3_bind_text (stmt, idx, saoma_attempt_state_to_string (self->state_filter), -1,
                       SQLITE_STATIC);
  if ((idx = sqlite3_bind_parameter_index (stmt, ":like")) > 0)
    sqlite3_bind_text (stmt, idx, self->like_pattern, -1, SQLITE_STATIC);
}

static sqlite3_stmt *
prepare_filtered (SaomaLedgerModel *self,
                  const char       *format,
                  ...) G_GNUC_PRINTF (2, 3);

/* Prepares @format (printf-style) and binds the filter's parameters. */
static sqlite3_stmt *
prepare_filtered (SaomaLedgerModel *self,
                  const char       *format,
                  ...)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  va_list args;

  if (self->db == NULL)
    return NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("Cannot query the ledger: %s", sqlite3_errmsg (self->db));
      return NULL;
    }

  bind_filter (self, stmt);

  return stmt;
}

static gint64
query_int64 (sqlite3_stmt *stmt)
{
  gint64 ret = 0;

  if (stmt == NULL)
    return 0;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    ret = sqlite3_column_int64 (stmt, 0);
  else
    g_warning ("Cannot query the ledger: %s", sqlite3_errmsg (sqlite3_db_handle (stmt)));

  return ret;
}

/* Counts the filtered rows and notes the newest id, in one read transaction. */
static void
recount (SaomaLedgerModel *self)
{
  g_autoptr(sqlite3_stmt) count = NULL;
  g_autoptr(sqlite3_stmt) max_id = NULL;

  self->n_items = 0;
  if (self->db == NULL)
    return;

  sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL);
  /* Without a day range or search, the per-state counts kept by triggers answer at once;
   * a day range is an index range, a search is a scan (bounded by the data, not the UI). */
  if (self->day_start == 0 && self->day_end == 0 && self->like_pattern == NULL)
    count = prepare_filtered (self, "SELECT COALESCE (SUM (n), 0) FROM attempt_counts%s",
                              self->state_filter >= 0 ? " WHERE state = :state" : "");
  else
    count = prepare_filtered (self, "SELECT count(*) FROM attempts WHERE %s", self->where);
  max_id = prepare_filtered (self, "SELECT COALESCE (MAX (id), 0) FROM attempts%s", "");
  self->n_items = (guint) query_int64 (count);
  self->counted_id = query_int64 (max_id);
  sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
}

/* The position @attempt has (or would have) under the filter: matching rows newer than it. */
static guint
position_of (SaomaLedgerModel *self,
             SaomaAttempt     *attempt,
             gboolean          added)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  /* For a new row, rows with a higher id were inserted after it: their "attempt-added" is
   * still queued, so they are not in the model yet. */
  stmt = prepare_filtered (self,
                           "SELECT count(*) FROM attempts WHERE %s"
                           " AND created >= :c AND (created > :c OR id > :i)%s", self->where,
                           added ? " AND id < :i" : "");
  if (stmt == NULL)
    return 0;

  bind_named_int64 (stmt, ":c", saoma_attempt_get_created (attempt));
  bind_named_int64 (stmt, ":i", saoma_attempt_get_id (attempt));

  return (guint) query_int64 (stmt);
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

  if (self->search_folded != NULL)
    {
      const char *fields[] = { saoma_attempt_get_out_trade_no (attempt),
                               saoma_attempt_get_transaction_id (attempt) };

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

      if (g_array_index (self->bounds, Bound, mid).pos <= pos)
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
add_bound (SaomaLedgerModel *self,
           gint64            created,
           gint64            id,
           guint             pos)
{
  int i = find_bound (self, pos);
  Bound b = { created, id, pos };

  if (i >= 0 && g_array_index (self->bounds, Bound, i).pos == pos)
    return;

  g_array_insert_val (self->bounds, i + 1, b);
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
      Bound *b = &g_array_index (self->bounds, Bound, i - 1);

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
bind_key (sqlite3_stmt *stmt,
          const Bound  *b)
{
  bind_named_int64 (stmt, ":c", b->created);
  bind_named_int64 (stmt, ":i", b->id);
}

#define KEY_AT_OR_AFTER " AND created <= :c AND (created < :c OR id <= :i)"

/* Walks the index from @from, recording a bound at each page start up to @target. */
static const Bound *
walk_to (SaomaLedgerModel *self,
         const Bound      *from,
         guint             target)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint pos = from != NULL ? from->pos : 0;
  Bound start = from != NULL ? *from : (Bound) { 0 };
  int i;

  stmt = prepare_filtered (self, "SELECT created, id FROM attempts WHERE %s%s"
                           " ORDER BY created DESC, id DESC",
                           self->where, from != NULL ? KEY_AT_OR_AFTER : "");
  if (stmt == NULL)
    return NULL;
  if (from != NULL)
    bind_key (stmt, &start);

  while (pos <= target && sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (pos % PAGE_SIZE == 0 || pos == target)
        add_bound (self, sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1), pos);
      pos++;
    }

  i = find_bound (self, target);
  if (i < 0)
    return NULL;

  return &g_array_index (self->bounds, Bound, i);
}

static GPtrArray *
fetch_page (SaomaLedgerModel *self,
            guint             start)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  const Bound *from = NULL;
  Bound key;
  guint offset;
  int i;

  i = find_bound (self, start);
  if (i >= 0)
    from = &g_array_index (self->bounds, Bound, i);

  offset = start - (from != NULL ? from->pos : 0);
  if (offset > MAX_OFFSET)
    {
      from = walk_to (self, from, start);
      offset = start - (from != NULL ? from->pos : 0);
    }

  /* add_bound() below may move the array. */
  if (from != NULL)
    key = *from;

  stmt = prepare_filtered (self, "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                           " WHERE %s%s ORDER BY created DESC, id DESC LIMIT :n OFFSET :o",
                           self->where, from != NULL ? KEY_AT_OR_AFTER : "");
  if (stmt == NULL)
    return NULL;
  if (from != NULL)
    bind_key (stmt, &key);
  bind_named_int64 (stmt, ":n", PAGE_SIZE);
  bind_named_int64 (stmt, ":o", offset);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (items, saoma_ledger_attempt_from_stmt (stmt));

  if (items->len > 0 && start % PAGE_SIZE == 0)
    {
      SaomaAttempt *first = g_ptr_array_index (items, 0);

      add_bound (self, saoma_attempt_get_created (first), saoma_attempt_get_id (first), start);
    }

  return g_steal_pointer (&items);
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
  Page *victim = &self->pages[0];

  if (position >= self->n_items)
    return NULL;

  for (guint i = 0; i < N_PAGES; i++)
    {
      Page *page = &self->pages[i];

      if (page->items != NULL && page->start == start)
        {
          page->used = ++self->page_clock;
          if (position - start < page->items->len)
            return g_object_ref (g_ptr_array_index (page->items, position - start));
          /* The file has fewer rows than our count (a change not yet signalled). */
          return NULL;
        }

      if (page->items == NULL)
        victim = page;
      else if (victim->items != NULL && page->used < victim->used)
        victim = page;
    }

  g_clear_pointer (&victim->items, g_ptr_array_unref);
  victim->items = fetch_page (self, start);
  victim->start = start;
  victim->used = ++self->page_clock;

  if (victim->items == NULL || position - start >= victim->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (victim->items, position - start));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = saoma_ledger_model_get_item_type;
  iface->get_n_items = saoma_ledger_model_get_n_items;
  iface->get_item = saoma_ledger_model_get_item;
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

static void
attempt_added_cb (SaomaLedgerModel *self,
                  SaomaAttempt     *attempt,
                  SaomaLedger      *ledger)
{
  guint pos;

  if (saoma_attempt_get_id (attempt) <= self->counted_id || !matches (self, attempt))
    return;

  pos = position_of (self, attempt, TRUE);
  drop_pages (self);
  shift_bounds (self, saoma_attempt_get_created (attempt), saoma_attempt_get_id (attempt), 1);
  items_changed (self, MIN (pos, self->n_items), 0, 1);
}

static void
attempt_changed_cb (SaomaLedgerModel *self,
                    SaomaAttempt     *attempt,
                    SaomaLedger      *ledger)
{
  SaomaAttempt *previous = saoma_attempt_get_previous (attempt);
  gboolean is = matches (self, attempt);
  gboolean was = previous != NULL ? matches (self, previous) : is;
  gint64 created = saoma_attempt_get_created (attempt);
  gint64 id = saoma_attempt_get_id (attempt);
  guint pos;

  if (!was && !is)
    return;

  pos = position_of (self, attempt, FALSE);
  drop_pages (self);

  if (was && is)
    {
      if (pos < self->n_items)
        items_changed (self, pos, 1, 1);
    }
  else if (was)
    {
      shift_bounds (self, created, id, -1);
      if (pos < self->n_items)
        items_changed (self, pos, 1, 0);
    }
  else
    {
      shift_bounds (self, created, id, 1);
      items_changed (self, MIN (pos, self->n_items), 0, 1);
    }
}

static void
refilter (SaomaLedgerModel *self)
{
  guint old = self->n_items;

  build_where (self);
  drop_pages (self);
  g_array_set_size (self->bounds, 0);
  recount (self);

  if (old != 0 || self->n_items != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->n_items);
  if (old != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
saoma_ledger_model_constructed (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->constructed (object);

  g_return_if_fail (SAOMA_IS_LEDGER (self->ledger));

  self->db = saoma_ledger_open_reader (self->ledger, &error);
  if (self->db == NULL)
    g_warning ("%s", error->message);

  g_signal_connect_object (self->ledger, "attempt-added",
                           G_CALLBACK (attempt_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->ledger, "attempt-changed",
                           G_CALLBACK (attempt_changed_cb), self, G_CONNECT_SWAPPED);

  build_where (self);
  recount (self);
}

static void
saoma_ledger_model_dispose (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;

  drop_pages (self);
  g_clear_object (&self->ledger);

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->dispose (object);
}

static void
saoma_ledger_model_finalize (GObject *object)
{
  SaomaLedgerModel *self = (SaomaLedgerModel *)object;

  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_pointer (&self->bounds, g_array_unref);
  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->search_folded, g_free);
  g_clear_pointer (&self->like_pattern, g_free);
  g_clear_pointer (&self->where, g_free);

  G_OBJECT_CLASS (saoma_ledger_model_parent_class)->finalize (object);
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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_ledger_model_init (SaomaLedgerModel *self)
{
  self->state_filter = -1;
  self->bounds = g_array_new (FALSE, FALSE, sizeof (Bound));
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

static char *
like_escape (const char *text)
{
  GString *s = g_string_new ("%");

  for (const char *p = text; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');

  return g_string_free (s, FALSE);
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
  g_autofree char *stripped = NULL;

  g_return_if_fail (SAOMA_IS_LEDGER_MODEL (self));

  if (text != NULL)
    {
      stripped = g_strstrip (g_strdup (text));
      if (stripped[0] == '\0')
        g_clear_pointer (&stripped, g_free);
    }

  if (g_strcmp0 (stripped, self->search_text) == 0)
    return;

  g_free (self->search_text);
  self->search_text = g_steal_pointer (&stripped);
  g_clear_pointer (&self->search_folded, g_free);
  g_clear_pointer (&self->like_pattern, g_free);
  if (self->search_text != NULL)
    {
      self->search_folded = g_ascii_strdown (self->search_text, -1);
      self->like_pattern = like_escape (self->search_text);
    }

  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
}

/**
 * saoma_ledger_model_sum_amount:
 * @state: the state to sum
 *
 * Returns: the sum in fen of the amounts of the attempts that pass the filter and are in
 *   @state
 */
gint64
saoma_ledger_model_sum_amount (SaomaLedgerModel  *self,
                               SaomaAttemptState  state)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int idx;

  g_return_val_if_fail (SAOMA_IS_LEDGER_MODEL (self), 0);

  stmt = prepare_filtered (self, "SELECT COALESCE (SUM (amount), 0) FROM attempts"
                           " WHERE %s AND state = :sum_state", self->where);
  if (stmt == NULL)
    return 0;
  if ((idx = sqlite3_bind_parameter_index (stmt, ":sum_state")) > 0)
    sqlite3_bind_text (stmt, idx, saoma_attempt_state_to_string (state), -1, SQLITE_STATIC);

  return query_int64 (stmt);
}
