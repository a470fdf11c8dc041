/* saoma-export.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-export"

#include "config.h"

#include <string.h>

#include "saoma-export.h"
#include "saoma-money.h"
#include "ledger/saoma-ledger-snapshot.h"

/* Rows are gathered up to this size, then written: few syscalls, bounded memory. */
#define CHUNK_SIZE (64 * 1024)

typedef struct
{
  GTimeZone     *tz;
  GOutputStream *out;
  GCancellable  *cancellable;
  GString       *buf;
  guint          rows;
} ExportState;

typedef struct
{
  GDate          date;
  GTimeZone     *tz;
  GOutputStream *out;
  SaomaStoreSnapshot *snapshot;
} ExportTask;

static void
export_task_free (gpointer data)
{
  ExportTask *t = data;

  g_clear_pointer (&t->tz, g_time_zone_unref);
  g_clear_object (&t->out);
  g_clear_object (&t->snapshot);
  g_free (t);
}

/**
 * saoma_export_create_file:
 * @file: where the export goes
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GIOError
 *
 * Opens @file for an export, mode 0600 whatever the umask and whatever mode a file it
 * replaces had.
 *
 * Returns: (transfer full) (nullable): the stream; the file is in place once it is closed
 */
GFileOutputStream *
saoma_export_create_file (GFile         *file,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  /* REPLACE_DESTINATION: a new file is written and renamed over the old one, so its mode is
   * the private one rather than the old file's. */
  return g_file_replace (file, NULL, FALSE,
                         G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                         cancellable, error);
}

/**
 * saoma_export_write_file:
 * @path: where the export goes
 * @contents: the bytes
 * @length: their length, or -1 when @contents is a string
 * @error: return location for a #GFileError
 *
 * Writes @path atomically with mode 0600 (g_file_set_contents() uses 0666 less the umask).
 *
 * Returns: %TRUE when written
 */
gboolean
saoma_export_write_file (const char  *path,
                         const char  *contents,
                         gssize       length,
                         GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  return g_file_set_contents_full (path, contents, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT |
                                   G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                   0600, error);
}

/**
 * saoma_export_parse_date:
 * @text: a date such as "2026-11-27"
 * @out_date: (out caller-allocates): the date
 *
 * Returns: %TRUE when @text is exactly a valid YYYY-MM-DD date
 */
gboolean
saoma_export_parse_date (const char  *text,
                         GDate       *out_date,
                         GError     **error)
{
  guint y, m, d;

  g_return_val_if_fail (out_date != NULL, FALSE);

  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    goto invalid;

  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      goto invalid;

  y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
  m = (text[5] - '0') * 10 + (text[6] - '0');
  d = (text[8] - '0') * 10 + (text[9] - '0');

  if (!g_date_valid_dmy (d, m, y))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a date in the calendar", text);
      return FALSE;
    }

  g_date_clear (out_date, 1);
  g_date_set_dmy (out_date, d, m, y);

  return TRUE;

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” is not a date; use YYYY-MM-DD, like 2026-11-27", text ? text : "");
  return FALSE;
}

static gint64
to_us (GDateTime *dt)
{
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

/**
 * saoma_export_day_range:
 * @date: a valid date
 * @tz: (nullable): the time zone of the day, or %NULL for the local one
 * @out_start_us: (out): the first µs (UTC) of the day
 * @out_end_us: (out): the first µs (UTC) of the next day
 */
void
saoma_export_day_range (const GDate *date,
                        GTimeZone   *tz,
                        gint64      *out_start_us,
                        gint64      *out_end_us)
{
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  GDate next;

  g_return_if_fail (date != NULL && g_date_valid (date));
  g_return_if_fail (out_start_us != NULL && out_end_us != NULL);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();

  /* Midnight of the next calendar day, not start + 24 h: days are 23 or 25 h across DST. */
  next = *date;
  g_date_add_days (&next, 1);

  start = g_date_time_new (tz, g_date_get_year (date), g_date_get_month (date),
                           g_date_get_day (date), 0, 0, 0);
  end = g_date_time_new (tz, g_date_get_year (&next), g_date_get_month (&next),
                         g_date_get_day (&next), 0, 0, 0);

  *out_start_us = to_us (start);
  *out_end_us = to_us (end);
}

/* Significant digits a spreadsheet keeps of a number: it reads cells as IEEE doubles. */
#define MAX_NUMBER_DIGITS 15

/* "12", "12.50": at most MAX_NUMBER_DIGITS digits, one optional decimal point inside. */
static gboolean
is_plain_number (const char *p)
{
  guint digits = 0;
  gboolean point = FALSE;

  for (; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digits++;
      else if (*p == '.' && !point && digits > 0 && g_ascii_isdigit (p[1]))
        point = TRUE;
      else
        return FALSE;
    }

  return digits > 0 && digits <= MAX_NUMBER_DIGITS;
}

/* OWASP's rule against CSV (formula) injection: a cell that starts with "=", "+", "-", "@",
 * tab or CR is a formula, or its start, to Excel and LibreOffice, so a description such as
 * =HYPERLINK(…) typed at a till or sent by a customer would run on the manager's computer.
 * Such a cell gets a leading apostrophe, which spreadsheets take as "text follows" and which
 * no formula can start with. A plain negative amount ("-12.50") is no formula and is kept as a
 * number. The same apostrophe keeps long digit strings (transaction ids have 28 digits, refund
 * ids 29+) as text: as numbers they would show as 4.2E+27 and lose their last digits.
 * "=\"…\"" is the other common way to force text, but it is itself a formula, and a tab
 * before the value (WeChat's own bills use a backtick) is one of the very characters the rule
 * is about; the apostrophe is OWASP's recommendation, and a script strips one leading "'". */
static gboolean
needs_text_guard (const char *value)
{
  switch (value[0])
    {
    case '=':
    case '+':
    case '@':
    case '\t':
    case '\r':
      return TRUE;

    case '-':
      return !is_plain_number (value + 1);

    default:
      break;
    }

  for (const char *p = value; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }

  return strlen (value) > MAX_NUMBER_DIGITS;
}

/**
 * saoma_export_append_csv_field:
 * @buf: the CSV being written
 * @value: (nullable): the field; %NULL writes an empty one
 *
 * Appends @value as one RFC 4180 field: as it is, or in double quotes (inner quotes doubled)
 * when it holds a comma, a double quote, CR or LF; with a leading apostrophe when a
 * spreadsheet would otherwise run it as a formula or round it as a number (see
 * saoma-export.h).
 */
void
saoma_export_append_csv_field (GString    *buf,
                               const char *value)
{
  if (value == NULL)
    return;

  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      if (needs_text_guard (value))
        g_string_append_c (buf, '\'');
      g_string_append (buf, value);
      return;
    }

  g_string_append_c (buf, '"');
  if (needs_text_guard (value))
    g_string_append_c (buf, '\'');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (buf, '"');
      g_string_append_c (buf, *p);
    }
  g_string_append_c (buf, '"');
}

/**
 * saoma_export_append_csv_record:
 * @buf: the CSV being written
 * @first: the first field
 * @...: more fields (none may be %NULL; use "" for an empty one), then %NULL
 *
 * Appends one record: the fields separated by commas, then CRLF.
 */
void
saoma_export_append_csv_record (GString    *buf,
                                const char *first,
                                ...)
{
  va_list args;
  const char *field;

  saoma_export_append_csv_field (buf, first);
  va_start (args, first);
  while ((field = va_arg (args, const char *)) != NULL)
    {
      g_string_append_c (buf, ',');
      saoma_export_append_csv_field (buf, field);
    }
  va_end (args);
  g_string_append (buf, "\r\n");
}

static gboolean
flush (ExportState  *state,
       GError      **error)
{
  if (state->buf->len == 0)
    return TRUE;

  if (!g_output_stream_write_all (state->out, state->buf->str, state->buf->len, NULL,
                                  state->cancellable, error))
    return FALSE;

  g_string_truncate (state->buf, 0);

  return TRUE;
}

static gboolean
write_row_cb (SaomaAttempt  *attempt,
              gpointer       user_data,
              GError       **error)
{
  ExportState *state = user_data;
  GString *buf = state->buf;
  gint64 created = saoma_attempt_get_created (attempt);
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *refunded = NULL;
  int y, mo, d;

  /* Whole seconds, rounded down also before 1970. */
  utc = g_date_time_new_from_unix_utc (created / G_USEC_PER_SEC -
                                       (created % G_USEC_PER_SEC < 0 ? 1 : 0));
  local = g_date_time_to_timezone (utc, state->tz);
  g_date_time_get_ymd (local, &y, &mo, &d);
  g_string_append_printf (buf, "%04d-%02d-%02d %02d:%02d:%02d,", y, mo, d,
                          g_date_time_get_hour (local), g_date_time_get_minute (local),
                          g_date_time_get_second (local));

  saoma_export_append_csv_field (buf, saoma_attempt_get_till_id (attempt));
  g_string_append_c (buf, ',');
  saoma_export_append_csv_field (buf, saoma_attempt_get_out_trade_no (attempt));
  g_string_append_c (buf, ',');
  saoma_export_append_csv_field (buf, saoma_attempt_get_transaction_id (attempt));
  g_string_append_c (buf, ',');

  amount = saoma_money_format_plain (saoma_attempt_get_amount (attempt));
  refunded = saoma_money_format_plain (saoma_attempt_get_refunded (attempt));
  g_string_append (buf, amount);
  g_string_append_c (buf, ',');
  g_string_append (buf, refunded);
  g_string_append_c (buf, ',');
  g_string_append (buf, saoma_attempt_state_to_string (saoma_attempt_get_state (attempt)));
  g_string_append_c (buf, ',');
  saoma_export_append_csv_field (buf, saoma_attempt_get_description (attempt));
  g_string_append (buf, "\r\n");

  state->rows++;

  if (buf->len >= CHUNK_SIZE)
    return flush (state, error);

  return TRUE;
}

/**
 * saoma_export_day_to_stream:
 * @ledger: the ledger
 * @date: the local day
 * @tz: (nullable): its time zone, or %NULL for the local one
 * @out: where the CSV goes (not closed)
 * @out_rows: (out) (optional): the number of attempt rows written
 *
 * Writes the CSV described in saoma-export.h. Blocking (runs the query and writes on the
 * calling thread).
 *
 * Returns: %TRUE on success
 */
gboolean
saoma_export_day_to_stream (SaomaLedger    *ledger,
                            const GDate    *date,
                            GTimeZone      *tz,
                            GOutputStream  *out,
                            guint          *out_rows,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autoptr(SaomaStoreSnapshot) snapshot = NULL;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);

  if (!(snapshot = saoma_ledger_snapshot_new (ledger, error)))
    return FALSE;

  return saoma_export_day_from_snapshot (snapshot, date, tz, out, out_rows, cancellable, error);
}

/**
 * saoma_export_day_from_snapshot:
 * @snapshot: a snapshot of the store
 *
 * saoma_export_day_to_stream() over a snapshot already open (blocking: worker threads only).
 *
 * Returns: %TRUE on success
 */
gboolean
saoma_export_day_from_snapshot (SaomaStoreSnapshot  *snapshot,
                                const GDate         *date,
                                GTimeZone           *tz,
                                GOutputStream       *out,
                                guint               *out_rows,
                                GCancellable        *cancellable,
                                GError             **error)
{
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(GString) buf = NULL;
  ExportState state = { 0 };
  gint64 start, end;

  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (snapshot), FALSE);
  g_return_val_if_fail (date != NULL && g_date_valid (date), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();

  saoma_export_day_range (date, tz, &start, &end);

  buf = g_string_sized_new (CHUNK_SIZE + 1024);
  g_string_append (buf, "\xEF\xBB\xBF" SAOMA_EXPORT_CSV_HEADER "\r\n");

  state.tz = tz;
  state.out = out;
  state.cancellable = cancellable;
  state.buf = buf;

  if (!saoma_store_snapshot_foreach_attempt (snapshot, start, end, write_row_cb, &state,
                                             cancellable, error) ||
      !flush (&state, error) ||
      !g_output_stream_flush (out, cancellable, error))
    return FALSE;

  if (out_rows != NULL)
    *out_rows = state.rows;

  return TRUE;
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportTask *t = task_data;
  g_autoptr(GError) error = NULL;
  guint rows = 0;

  if (!saoma_export_day_from_snapshot (t->snapshot, &t->date, t->tz, t->out, &rows,
                                       cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, rows);
}

static void
export_snapshot_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportTask *t = g_task_get_task_data (task);
  GError *error = NULL;

  t->snapshot = saoma_store_open_snapshot_finish (SAOMA_STORE (source), result, &error);
  if (t->snapshot == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_run_in_thread (task, export_worker);
}

/**
 * saoma_export_day_async:
 *
 * Opens a snapshot of @store and writes the day's CSV from it in a worker thread.
 */
void
saoma_export_day_async (SaomaStore          *store,
                        const GDate         *date,
                        GTimeZone           *tz,
                        GOutputStream       *out,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  ExportTask *t;

  g_return_if_fail (SAOMA_IS_STORE (store));
  g_return_if_fail (date != NULL && g_date_valid (date));
  g_return_if_fail (G_IS_OUTPUT_STREAM (out));

  t = g_new0 (ExportTask, 1);
  t->date = *date;
  t->tz = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  t->out = g_object_ref (out);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_export_day_async);
  g_task_set_task_data (task, t, export_task_free);
  saoma_store_open_snapshot_async (store, cancellable, export_snapshot_cb, task);
}

gint64
saoma_export_day_finish (SaomaStore    *store,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == saoma_export_day_async, -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/* The accountants' CSV ----------------------------------------------------------------------- */

typedef struct {
  gint64  time;
  gint64  id;
  gboolean refund;
  gpointer row;  /* SaomaAttempt * or SaomaLedgerRefund * (borrowed) */
} FlatRow;

static int
compare_flat (gconstpointer a,
              gconstpointer b)
{
  const FlatRow *x = a;
  const FlatRow *y = b;

  if (x->time != y->time)
    return x->time < y->time ? -1 : 1;
  if (x->refund != y->refund)
    return x->refund ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static const char *
flat_word (SaomaExportWordFunc  word,
           gpointer             user_data,
           const char          *key)
{
  const char *text = word != NULL ? word (key, user_data) : NULL;

  return text != NULL ? text : key;
}

static char *
flat_time (GTimeZone *tz,
           gint64     time_us)
{
  /* Whole seconds, rounded down also before 1970. */
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (
    time_us / G_USEC_PER_SEC - (time_us % G_USEC_PER_SEC < 0 ? 1 : 0));
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/**
 * saoma_export_flat_range_to_stream:
 * @ledger: the ledger
 * @start_us: the first µs (UTC) of the range
 * @end_us: the µs after its last one
 * @tz: (nullable): its time zone; %NULL for the local one
 * @word: (nullable) (scope call): the caller's words
 * @user_data: for @word
 * @out: where the CSV goes (not closed)
 * @out_rows: (out) (optional): the number of rows written
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE when written
 */
gboolean
saoma_export_flat_range_to_stream (SaomaLedger         *ledger,
                                   gint64               start_us,
                                   gint64               end_us,
                                   GTimeZone           *tz,
                                   SaomaExportWordFunc  word,
                                   gpointer             user_data,
                                   GOutputStream       *out,
                                   guint               *out_rows,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  static const char *const columns[] = { "type", "time", "till", "out_trade_no",
                                         "out_refund_no", "wechat_id", "amount", "state",
                                         "note", "method" };
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GString) buf = g_string_new ("\xEF\xBB\xBF");
  g_autoptr(GHashTable) methods = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (start_us <= end_us, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();

  attempts = saoma_ledger_list_range_sync (ledger, start_us, end_us, error);
  if (attempts == NULL)
    return FALSE;
  refunds = saoma_ledger_list_refunds_sync (ledger, NULL, start_us, end_us, error);
  if (refunds == NULL)
    return FALSE;

  rows = g_array_sized_new (FALSE, FALSE, sizeof (FlatRow), attempts->len + refunds->len);
  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (attempts, i);
      FlatRow row = { saoma_attempt_get_created (a), saoma_attempt_get_id (a), FALSE, a };

      g_array_append_val (rows, row);
      g_hash_table_insert (methods, (gpointer) saoma_attempt_get_out_trade_no (a),
                           (gpointer) saoma_payment_method_to_string (
                             saoma_attempt_get_method (a)));
    }
  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *r = g_ptr_array_index (refunds, i);
      FlatRow row = { r->created, r->id, TRUE, r };

      g_array_append_val (rows, row);
    }
  g_array_sort (rows, compare_flat);

  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    {
      if (c > 0)
        g_string_append_c (buf, ',');
      saoma_export_append_csv_field (buf, flat_word (word, user_data, columns[c]));
    }
  g_string_append (buf, "\r\n");

  for (guint i = 0; i < rows->len; i++)
    {
      FlatRow *row = &g_array_index (rows, FlatRow, i);
      g_autofree char *when = flat_time (tz, row->time);
      g_autofree char *amount = NULL;

      if (row->refund)
        {
          SaomaLedgerRefund *r = row->row;
          const char *method = g_hash_table_lookup (methods, r->out_trade_no);

          /* The refund of an order of an earlier day: its method is read from the ledger. */
          if (method == NULL)
            {
              g_autoptr(SaomaAttempt) order = saoma_ledger_get_attempt_sync (ledger,
                                                                             r->out_trade_no,
                                                                             NULL);

              method = saoma_payment_method_to_string (
                order != NULL ? saoma_attempt_get_method (order) : SAOMA_PAYMENT_METHOD_NATIVE);
            }

          /* A refund takes money back: negative, so a spreadsheet's SUM is what is kept. */
          amount = saoma_money_format_plain (-r->amount);
          saoma_export_append_csv_record (buf, flat_word (word, user_data, "refund"), when, "",
                                          r->out_trade_no, r->out_refund_no,
                                          r->refund_id ? r->refund_id : "", amount,
                                          flat_word (word, user_data,
                                                     saoma_refund_state_to_string (r->state)),
                                          r->reason ? r->reason : "",
                                          flat_word (word, user_data, method), NULL);
        }
      else
        {
          SaomaAttempt *a = row->row;
          const char *till = saoma_attempt_get_till_id (a);
          const char *txid = saoma_attempt_get_transaction_id (a);
          const char *desc = saoma_attempt_get_description (a);

          amount = saoma_money_format_plain (saoma_attempt_get_amount (a));
          saoma_export_append_csv_record (buf, flat_word (word, user_data, "order"), when,
                                          till ? till : "", saoma_attempt_get_out_trade_no (a),
                                          "", txid ? txid : "", amount,
                                          flat_word (word, user_data,
                                                     saoma_attempt_state_to_string (
                                                       saoma_attempt_get_state (a))),
                                          desc ? desc : "",
                                          flat_word (word, user_data,
                                                     saoma_payment_method_to_string (
                                                       saoma_attempt_get_method (a))),
                                          NULL);
        }
    }

  if (!g_output_stream_write_all (out, buf->str, buf->len, NULL, cancellable, error))
    return FALSE;
  if (out_rows != NULL)
    *out_rows = rows->len;
  return TRUE;
}

/**
 * saoma_export_flat_day_to_stream:
 * @ledger: the ledger
 * @date: the day
 * @tz: (nullable): its time zone; %NULL for the local one
 * @word: (nullable) (scope call): the caller's words
 * @user_data: for @word
 * @out: where the CSV goes (not closed)
 * @out_rows: (out) (optional): the number of rows written
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Returns: %TRUE when written
 */
gboolean
saoma_export_flat_day_to_stream (SaomaLedger         *ledger,
                                 const GDate         *date,
                                 GTimeZone           *tz,
                                 SaomaExportWordFunc  word,
                                 gpointer             user_data,
                                 GOutputStream       *out,
                                 guint               *out_rows,
                                 GCancellable        *cancellable,
                                 GError             **error)
{
  g_autoptr(GTimeZone) local = NULL;
  gint64 start_us, end_us;

  g_return_val_if_fail (date != NULL && g_date_valid (date), FALSE);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();
  saoma_export_day_range (date, tz, &start_us, &end_us);
  return saoma_export_flat_range_to_stream (ledger, start_us, end_us, tz, word, user_data, out,
                                            out_rows, cancellable, error);
}
