/* saoma-ledger-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-ledger"

#include "config.h"

#include "saoma-ledger-private.h"
#include "saoma-ledger-snapshot.h"
#include "saoma-store.h"

/* SaomaStore for SaomaLedger: the history's page source, the read snapshot, and the rest of
 * the interface forwarded to the ledger's own API. */

/* The history's page source (SaomaStore's count, fetch, locate and sum). The filter becomes
 * SQL with named parameters; rows are ordered newest first by (created DESC, id DESC). */

typedef struct
{
  char *where;
  char *like;   /* %…% with %, _ and \ escaped, or NULL */
} FilterSql;

static void
filter_sql_clear (FilterSql *sql)
{
  g_clear_pointer (&sql->where, g_free);
  g_clear_pointer (&sql->like, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FilterSql, filter_sql_clear)

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

static void
filter_sql_init (FilterSql              *sql,
                 const SaomaStoreFilter *filter)
{
  GString *s = g_string_new ("1");

  if (filter->day_start != 0)
    g_string_append (s, " AND created >= :start");
  if (filter->day_end != 0)
    g_string_append (s, " AND created < :end");
  if (filter->state >= 0)
    g_string_append (s, " AND state = :state");
  if (filter->search != NULL && filter->search[0] != '\0')
    {
      g_string_append (s, " AND (out_trade_no LIKE :like ESCAPE '\\'"
                          " OR transaction_id LIKE :like ESCAPE '\\'");
      if (filter->search_amount > 0)
        g_string_append (s, " OR amount = :amount");
      g_string_append (s, ")");
      sql->like = like_escape (filter->search);
    }
  if (filter->undecided_late)
    g_string_append (s, " AND late = 1 AND NOT EXISTS (SELECT 1 FROM events"
                        " WHERE events.out_trade_no = attempts.out_trade_no"
                        " AND events.kind = '" SAOMA_LEDGER_LATE_DECISION_KIND "')");
  sql->where = g_string_free (s, FALSE);
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
bind_named_text (sqlite3_stmt *stmt,
                 const char   *name,
                 const char   *value)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  if (idx > 0)
    ledger_bind_text (stmt, idx, value);
}

static sqlite3_stmt *
prepare_filtered (sqlite3                 *db,
                  const SaomaStoreFilter  *filter,
                  const FilterSql         *sql,
                  GError                 **error,
                  const char              *format,
                  ...) G_GNUC_PRINTF (5, 6);

/* Prepares @format (printf-style) and binds the filter's parameters. */
static sqlite3_stmt *
prepare_filtered (sqlite3                 *db,
                  const SaomaStoreFilter  *filter,
                  const FilterSql         *sql,
                  GError                 **error,
                  const char              *format,
                  ...)
{
  g_autofree char *text = NULL;
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (!(stmt = ledger_prepare (db, text, error)))
    return NULL;

  bind_named_int64 (stmt, ":start", filter->day_start);
  bind_named_int64 (stmt, ":end", filter->day_end);
  if (filter->state >= 0)
    bind_named_text (stmt, ":state", saoma_attempt_state_to_string (filter->state));
  bind_named_text (stmt, ":like", sql->like);
  bind_named_int64 (stmt, ":amount", filter->search_amount);

  return stmt;
}

static gboolean
step_int64 (sqlite3       *db,
            sqlite3_stmt  *stmt,
            gint64        *out,
            GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      saoma_ledger_set_sqlite_error (error, db, "Cannot read the history");
      return FALSE;
    }

  *out = sqlite3_column_int64 (stmt, 0);

  return TRUE;
}

/* On the write queue: ordered with the writes, so "attempt-added" of every attempt up to the
 * newest id counted was emitted before this op's callback runs, and none after it. */
static gpointer
count_attempts_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  const SaomaStoreFilter *filter = &args->filter;
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) count = NULL;
  g_autoptr(sqlite3_stmt) max_id = NULL;
  gint64 *result = g_new0 (gint64, 2);

  filter_sql_init (&sql, filter);

  /* Without a day range or search, the per-state counts answer at once; a day range is an
   * index range, a search is a scan. */
  if (filter->day_start == 0 && filter->day_end == 0 && sql.like == NULL &&
      !filter->undecided_late)
    count = prepare_filtered (self->db, filter, &sql, error,
                              "SELECT COALESCE (SUM (n), 0) FROM attempt_counts%s",
                              filter->state >= 0 ? " WHERE state = :state" : "");
  else
    count = prepare_filtered (self->db, filter, &sql, error,
                              "SELECT count(*) FROM attempts WHERE %s", sql.where);

  if (count == NULL ||
      !(max_id = ledger_prepare (self->db, "SELECT COALESCE (MAX (id), 0) FROM attempts", error)) ||
      !step_int64 (self->db, count, &result[0], error) ||
      !step_int64 (self->db, max_id, &result[1], error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

static gpointer
locate_attempt_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 *result = g_new0 (gint64, 1);

  filter_sql_init (&sql, &args->filter);

  /* For a new row, rows with a higher id were inserted after it: their "attempt-added" comes
   * later, so they are not counted yet. */
  stmt = prepare_filtered (self->db, &args->filter, &sql, error,
                           "SELECT count(*) FROM attempts WHERE %s"
                           " AND created >= :c AND (created > :c OR id > :i)%s", sql.where,
                           args->added ? " AND id < :i" : "");
  if (stmt != NULL)
    {
      bind_named_int64 (stmt, ":c", saoma_attempt_get_created (args->attempt));
      bind_named_int64 (stmt, ":i", saoma_attempt_get_id (args->attempt));
    }

  if (stmt == NULL || !step_int64 (self->db, stmt, result, error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

/* On the read thread. */
static gpointer
sum_amount_op (SaomaLedger   *self,
               const OpArgs  *args,
               GPtrArray     *emits,
               GError       **error)
{
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 *result = g_new0 (gint64, 1);

  filter_sql_init (&sql, &args->filter);
  stmt = prepare_filtered (self->reader, &args->filter, &sql, error,
                           "SELECT COALESCE (SUM (amount), 0) FROM attempts"
                           " WHERE %s AND state = :sum_state", sql.where);
  if (stmt != NULL)
    bind_named_text (stmt, ":sum_state", saoma_attempt_state_to_string (args->sum_state));

  if (stmt == NULL || !step_int64 (self->reader, stmt, result, error))
    {
      g_free (result);
      return NULL;
    }

  return result;
}

#define KEY_AT_OR_AFTER " AND created <= :c AND (created < :c OR id <= :i)"

static void
bind_key (sqlite3_stmt        *stmt,
          const SaomaStoreKey *key)
{
  bind_named_int64 (stmt, ":c", key->created);
  bind_named_int64 (stmt, ":i", key->id);
}

/* On the read thread: the page of args->n rows at args->start, read from the anchor the
 * caller knows (the nearest key at or before start). Far from any anchor, one pass over the
 * covering index records a key every args->n rows on the way, which the caller keeps, so the
 * walk is paid once. */
static gpointer
fetch_attempts_op (SaomaLedger   *self,
                   const OpArgs  *args,
                   GPtrArray     *emits,
                   GError       **error)
{
  const SaomaStoreFilter *filter = &args->filter;
  g_auto(FilterSql) sql = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(SaomaStorePage) page = g_new0 (SaomaStorePage, 1);
  SaomaStoreKey from = args->anchor;
  gboolean has_from = args->has_anchor;
  guint n = MAX (args->n, 1);
  guint offset;
  int rc;

  page->start = args->start;
  page->items = g_ptr_array_new_with_free_func (g_object_unref);
  page->keys = g_array_new (FALSE, FALSE, sizeof (SaomaStoreKey));
  filter_sql_init (&sql, filter);

  if (sqlite3_exec (self->reader, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    {
      saoma_ledger_set_sqlite_error (error, self->reader, "Cannot read the history");
      return NULL;
    }

  offset = args->start - (has_from ? from.pos : 0);
  if (offset > 4 * n)
    {
      guint pos = has_from ? from.pos : 0;
      SaomaStoreKey last = from;
      gboolean has_last = has_from;

      stmt = prepare_filtered (self->reader, filter, &sql, error,
                               "SELECT created, id FROM attempts WHERE %s%s"
                               " ORDER BY created DESC, id DESC",
                               sql.where, has_from ? KEY_AT_OR_AFTER : "");
      if (stmt == NULL)
        goto failed;
      if (has_from)
        bind_key (stmt, &from);

      while (pos <= args->start && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          if (pos % n == 0 || pos == args->start)
            {
              SaomaStoreKey key = { sqlite3_column_int64 (stmt, 0),
                                    sqlite3_column_int64 (stmt, 1), pos };

              g_array_append_val (page->keys, key);
              last = key;
              has_last = TRUE;
            }
          pos++;
        }
      g_clear_pointer (&stmt, sqlite3_finalize);

      from = last;
      has_from = has_last;
      offset = args->start - (has_from ? from.pos : 0);
    }

  stmt = prepare_filtered (self->reader, filter, &sql, error,
                           "SELECT " SAOMA_LEDGER_ATTEMPT_COLUMNS " FROM attempts"
                           " WHERE %s%s ORDER BY created DESC, id DESC LIMIT :n OFFSET :o",
                           sql.where, has_from ? KEY_AT_OR_AFTER : "");
  if (stmt == NULL)
    goto failed;
  if (has_from)
    bind_key (stmt, &from);
  bind_named_int64 (stmt, ":n", n);
  bind_named_int64 (stmt, ":o", offset);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (page->items, saoma_ledger_attempt_from_stmt (stmt));

  if (rc != SQLITE_DONE)
    {
      saoma_ledger_set_sqlite_error (error, self->reader, "Cannot read the history");
      goto failed;
    }

  if (page->items->len > 0)
    {
      SaomaAttempt *first = g_ptr_array_index (page->items, 0);
      SaomaStoreKey key = { saoma_attempt_get_created (first), saoma_attempt_get_id (first),
                            args->start };

      g_array_append_val (page->keys, key);
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_exec (self->reader, "COMMIT", NULL, NULL, NULL);

  return g_steal_pointer (&page);

failed:
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_exec (self->reader, "ROLLBACK", NULL, NULL, NULL);
  return NULL;
}

/* SaomaStore */

static void
snapshot_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  SaomaStoreSnapshot *snapshot;

  snapshot = saoma_ledger_snapshot_new (SAOMA_LEDGER (source_object), &error);
  if (snapshot == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, snapshot, g_object_unref);
}

static void
ledger_open_snapshot_async (SaomaStore          *store,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, ledger_open_snapshot_async);
  g_task_run_in_thread (task, snapshot_worker);
}

static SaomaStoreSnapshot *
ledger_open_snapshot_finish (SaomaStore    *store,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ledger_count_attempts_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  ledger_queue_op (SAOMA_LEDGER (store), count_attempts_op, &(OpArgs) { .filter = *filter }, g_free,
                   ledger_count_attempts_async, cancellable, callback, user_data);
}

static gboolean
ledger_count_attempts_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              guint         *out_n_items,
                              gint64        *out_newest_id,
                              GError       **error)
{
  g_autofree gint64 *counts = ledger_finish_op (SAOMA_LEDGER (store), result,
                                                ledger_count_attempts_async, error);

  if (counts == NULL)
    return FALSE;

  if (out_n_items != NULL)
    *out_n_items = (guint) CLAMP (counts[0], 0, G_MAXUINT);
  if (out_newest_id != NULL)
    *out_newest_id = counts[1];

  return TRUE;
}

static void
ledger_fetch_attempts_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             const SaomaStoreKey    *anchor,
                             guint                   start,
                             guint                   n,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  SaomaLedger *self = SAOMA_LEDGER (store);

  ledger_queue_op_on (self, self->read_pool, fetch_attempts_op,
                      &(OpArgs) { .filter = *filter,
                                  .anchor = anchor ? *anchor : (SaomaStoreKey) { 0 },
                                  .has_anchor = anchor != NULL, .start = start, .n = n },
                      (GDestroyNotify) saoma_store_page_free, ledger_fetch_attempts_async,
                      cancellable, callback, user_data);
}

static SaomaStorePage *
ledger_fetch_attempts_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              GError       **error)
{
  return ledger_finish_op (SAOMA_LEDGER (store), result, ledger_fetch_attempts_async, error);
}

static void
ledger_locate_attempt_async (SaomaStore             *store,
                             const SaomaStoreFilter *filter,
                             SaomaAttempt           *attempt,
                             gboolean                added,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  ledger_queue_op (SAOMA_LEDGER (store), locate_attempt_op,
                   &(OpArgs) { .filter = *filter, .attempt = attempt, .added = added }, g_free,
                   ledger_locate_attempt_async, cancellable, callback, user_data);
}

static gboolean
ledger_locate_attempt_finish (SaomaStore    *store,
                              GAsyncResult  *result,
                              guint         *out_position,
                              GError       **error)
{
  g_autofree gint64 *pos = ledger_finish_op (SAOMA_LEDGER (store), result,
                                             ledger_locate_attempt_async,
                                             error);

  if (pos == NULL)
    return FALSE;

  if (out_position != NULL)
    *out_position = (guint) CLAMP (*pos, 0, G_MAXUINT);

  return TRUE;
}

static void
ledger_sum_amount_async (SaomaStore             *store,
                         const SaomaStoreFilter *filter,
                         SaomaAttemptState       state,
                         GCancellable           *cancellable,
                         GAsyncReadyCallback     callback,
                         gpointer                user_data)
{
  SaomaLedger *self = SAOMA_LEDGER (store);

  ledger_queue_op_on (self, self->read_pool, sum_amount_op,
                      &(OpArgs) { .filter = *filter, .sum_state = state }, g_free,
                      ledger_sum_amount_async, cancellable, callback, user_data);
}

static gboolean
ledger_sum_amount_finish (SaomaStore    *store,
                          GAsyncResult  *result,
                          gint64        *out_sum,
                          GError       **error)
{
  g_autofree gint64 *sum = ledger_finish_op (SAOMA_LEDGER (store), result, ledger_sum_amount_async,
                                             error);

  if (sum == NULL)
    return FALSE;

  if (out_sum != NULL)
    *out_sum = *sum;

  return TRUE;
}

/* The rest of SaomaStore is the ledger's own API. */

static void
ledger_insert_attempt_async (SaomaStore          *store,
                             SaomaAttempt        *attempt,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  saoma_ledger_insert_attempt_async (SAOMA_LEDGER (store), attempt, cancellable, callback,
                                     user_data);
}

static SaomaAttempt       *
ledger_insert_attempt_finish (SaomaStore   *store,
                              GAsyncResult *result,
                              GError       **error)
{
  return saoma_ledger_insert_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_insert_attempt_then_async (SaomaStore               *store,
                                  SaomaAttempt             *attempt,
                                  const SaomaAttemptUpdate *then,
                                  GCancellable             *cancellable,
                                  GAsyncReadyCallback       callback,
                                  gpointer                  user_data)
{
  saoma_ledger_insert_attempt_then_async (SAOMA_LEDGER (store), attempt, then, cancellable,
                                          callback, user_data);
}

static SaomaAttempt *
ledger_insert_attempt_then_finish (SaomaStore    *store,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return saoma_ledger_insert_attempt_then_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_update_attempt_async (SaomaStore               *store,
                             const char               *out_trade_no,
                             const SaomaAttemptUpdate *update,
                             GCancellable             *cancellable,
                             GAsyncReadyCallback      callback,
                             gpointer                 user_data)
{
  saoma_ledger_update_attempt_async (SAOMA_LEDGER (store), out_trade_no, update, cancellable,
                                     callback, user_data);
}

static SaomaAttempt       *
ledger_update_attempt_finish (SaomaStore   *store,
                              GAsyncResult *result,
                              GError       **error)
{
  return saoma_ledger_update_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_get_attempt_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  saoma_ledger_get_attempt_async (SAOMA_LEDGER (store), out_trade_no, cancellable, callback,
                                  user_data);
}

static SaomaAttempt       *
ledger_get_attempt_finish (SaomaStore   *store,
                           GAsyncResult *result,
                           GError       **error)
{
  return saoma_ledger_get_attempt_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_append_event_async (SaomaStore          *store,
                           const char          *out_trade_no,
                           const char          *kind,
                           const char          *detail,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_ledger_append_event_async (SAOMA_LEDGER (store), out_trade_no, kind, detail, cancellable,
                                   callback, user_data);
}

static void
ledger_append_fenced_event_async (SaomaStore          *store,
                                  SaomaLeaseKind       lease_kind,
                                  const char          *lease_key,
                                  const char          *owner,
                                  const char          *out_trade_no,
                                  const char          *kind,
                                  const char          *detail,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  saoma_ledger_append_fenced_event_async (SAOMA_LEDGER (store), lease_kind, lease_key, owner,
                                          out_trade_no, kind, detail, cancellable, callback,
                                          user_data);
}

static gboolean
ledger_append_event_finish (SaomaStore   *store,
                            GAsyncResult *result,
                            GError       **error)
{
  return saoma_ledger_append_event_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_events_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  saoma_ledger_list_events_async (SAOMA_LEDGER (store), out_trade_no, cancellable, callback,
                                  user_data);
}

static GPtrArray          *
ledger_list_events_finish (SaomaStore   *store,
                           GAsyncResult *result,
                           GError       **error)
{
  return saoma_ledger_list_events_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_unfinished_async (SaomaStore          *store,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  saoma_ledger_list_unfinished_async (SAOMA_LEDGER (store), cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_unfinished_finish (SaomaStore   *store,
                               GAsyncResult *result,
                               GError       **error)
{
  return saoma_ledger_list_unfinished_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_range_async (SaomaStore          *store,
                         gint64              start_us,
                         gint64              end_us,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  saoma_ledger_list_range_async (SAOMA_LEDGER (store), start_us, end_us, cancellable, callback,
                                 user_data);
}

static GPtrArray          *
ledger_list_range_finish (SaomaStore   *store,
                          GAsyncResult *result,
                          GError       **error)
{
  return saoma_ledger_list_range_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_insert_refund_async (SaomaStore          *store,
                            const char          *out_trade_no,
                            const char          *out_refund_no,
                            gint64              amount,
                            const char          *reason,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  saoma_ledger_insert_refund_async (SAOMA_LEDGER (store), out_trade_no, out_refund_no, amount,
                                    reason, cancellable, callback, user_data);
}

static SaomaLedgerRefund  *
ledger_insert_refund_finish (SaomaStore   *store,
                             GAsyncResult *result,
                             GError       **error)
{
  return saoma_ledger_insert_refund_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_update_refund_async (SaomaStore          *store,
                            const char          *out_refund_no,
                            SaomaRefundState    state,
                            const char          *refund_id,
                            const char          *event_detail,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  saoma_ledger_update_refund_async (SAOMA_LEDGER (store), out_refund_no, state, refund_id,
                                    event_detail, cancellable, callback, user_data);
}

static void
ledger_update_refund_fenced_async (SaomaStore          *store,
                                   const char          *out_refund_no,
                                   SaomaRefundState     state,
                                   const char          *refund_id,
                                   const char          *event_detail,
                                   const char          *owner,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  saoma_ledger_update_refund_fenced_async (SAOMA_LEDGER (store), out_refund_no, state, refund_id,
                                           event_detail, owner, cancellable, callback,
                                           user_data);
}

static SaomaLedgerRefund  *
ledger_update_refund_finish (SaomaStore   *store,
                             GAsyncResult *result,
                             GError       **error)
{
  return saoma_ledger_update_refund_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_refunds_async (SaomaStore          *store,
                           const char          *out_trade_no,
                           gint64              start_us,
                           gint64              end_us,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_ledger_list_refunds_async (SAOMA_LEDGER (store), out_trade_no, start_us, end_us,
                                   cancellable, callback, user_data);
}

static GPtrArray          *
ledger_list_refunds_finish (SaomaStore   *store,
                            GAsyncResult *result,
                            GError       **error)
{
  return saoma_ledger_list_refunds_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_list_unfinished_refunds_async (SaomaStore          *store,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  saoma_ledger_list_unfinished_refunds_async (SAOMA_LEDGER (store), cancellable, callback,
                                              user_data);
}

static GPtrArray          *
ledger_list_unfinished_refunds_finish (SaomaStore   *store,
                                       GAsyncResult *result,
                                       GError       **error)
{
  return saoma_ledger_list_unfinished_refunds_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_insert_refund_leased_async (SaomaStore          *store,
                                   const char          *out_trade_no,
                                   const char          *out_refund_no,
                                   gint64               amount,
                                   const char          *reason,
                                   const char          *owner,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  saoma_ledger_insert_refund_leased_async (SAOMA_LEDGER (store), out_trade_no, out_refund_no,
                                           amount, reason, owner, cancellable, callback,
                                           user_data);
}

static void
ledger_list_leases_async (SaomaStore          *store,
                          SaomaLeaseKind       kind,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  saoma_ledger_list_leases_async (SAOMA_LEDGER (store), kind, cancellable, callback, user_data);
}

static GPtrArray *
ledger_list_leases_finish (SaomaStore    *store,
                           GAsyncResult  *result,
                           GError       **error)
{
  return saoma_ledger_list_leases_finish (SAOMA_LEDGER (store), result, error);
}

static void
ledger_change_leases_async (SaomaStore          *store,
                            SaomaLeaseChange     change,
                            const char          *owner,
                            GPtrArray           *leases,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  saoma_ledger_change_leases_async (SAOMA_LEDGER (store), change, owner, leases, cancellable,
                                    callback, user_data);
}

static GPtrArray *
ledger_change_leases_finish (SaomaStore    *store,
                             GAsyncResult  *result,
                             GError       **error)
{
  return saoma_ledger_change_leases_finish (SAOMA_LEDGER (store), result, error);
}

void
saoma_ledger_store_iface_init (SaomaStoreInterface *iface)
{
  iface->insert_attempt_async = ledger_insert_attempt_async;
  iface->insert_attempt_then_async = ledger_insert_attempt_then_async;
  iface->insert_attempt_then_finish = ledger_insert_attempt_then_finish;
  iface->insert_attempt_finish = ledger_insert_attempt_finish;
  iface->update_attempt_async = ledger_update_attempt_async;
  iface->update_attempt_finish = ledger_update_attempt_finish;
  iface->get_attempt_async = ledger_get_attempt_async;
  iface->get_attempt_finish = ledger_get_attempt_finish;
  iface->append_event_async = ledger_append_event_async;
  iface->append_event_finish = ledger_append_event_finish;
  iface->list_events_async = ledger_list_events_async;
  iface->list_events_finish = ledger_list_events_finish;
  iface->list_unfinished_async = ledger_list_unfinished_async;
  iface->list_unfinished_finish = ledger_list_unfinished_finish;
  iface->list_range_async = ledger_list_range_async;
  iface->list_range_finish = ledger_list_range_finish;
  iface->insert_refund_async = ledger_insert_refund_async;
  iface->insert_refund_finish = ledger_insert_refund_finish;
  iface->update_refund_async = ledger_update_refund_async;
  iface->update_refund_finish = ledger_update_refund_finish;
  iface->list_refunds_async = ledger_list_refunds_async;
  iface->list_refunds_finish = ledger_list_refunds_finish;
  iface->list_unfinished_refunds_async = ledger_list_unfinished_refunds_async;
  iface->list_unfinished_refunds_finish = ledger_list_unfinished_refunds_finish;
  iface->open_snapshot_async = ledger_open_snapshot_async;
  iface->open_snapshot_finish = ledger_open_snapshot_finish;
  iface->count_attempts_async = ledger_count_attempts_async;
  iface->count_attempts_finish = ledger_count_attempts_finish;
  iface->fetch_attempts_async = ledger_fetch_attempts_async;
  iface->fetch_attempts_finish = ledger_fetch_attempts_finish;
  iface->locate_attempt_async = ledger_locate_attempt_async;
  iface->locate_attempt_finish = ledger_locate_attempt_finish;
  iface->sum_amount_async = ledger_sum_amount_async;
  iface->sum_amount_finish = ledger_sum_amount_finish;
  iface->update_refund_fenced_async = ledger_update_refund_fenced_async;
  iface->insert_refund_leased_async = ledger_insert_refund_leased_async;
  iface->list_leases_async = ledger_list_leases_async;
  iface->list_leases_finish = ledger_list_leases_finish;
  iface->change_leases_async = ledger_change_leases_async;
  iface->change_leases_finish = ledger_change_leases_finish;
  iface->append_fenced_event_async = ledger_append_fenced_event_async;
}
