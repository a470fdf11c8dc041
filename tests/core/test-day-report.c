/* test-day-report.c: day close totals against hand-computed fixtures (+08:00, across midnight). */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "core/saoma-business-day.h"
#include "core/saoma-day-report.h"
#include "core/saoma-export.h"
#include "core/saoma-money.h"
#include "core/saoma-reconcile.h"
#include "core/saoma-totals.h"
#include "ledger/saoma-ledger.h"

#include "test-util.h"

static GTimeZone *tz8;

/* µs UTC of a wall-clock time in +08:00. */
static gint64
at (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) dt = g_date_time_new (tz8, y, mo, d, h, mi, s);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static SaomaAttempt *
attempt (gint64             id,
         const char        *out_trade_no,
         gint64             amount,
         SaomaAttemptState  state,
         gint64             created,
         gint64             paid_at,
         gint64             refunded,
         gboolean           late)
{
  return saoma_attempt_new_full (id, out_trade_no, amount, "商品, \"特价\"", "T01", created,
                                 created, created + 300 * G_USEC_PER_SEC, state,
                                 paid_at ? "4200000000000000000000000001" : NULL, NULL,
                                 refunded, paid_at, late);
}

static SaomaLedgerRefund *
refund (gint64            id,
        const char       *out_refund_no,
        const char       *out_trade_no,
        gint64            amount,
        SaomaRefundState  state,
        gint64            succeeded)
{
  SaomaLedgerRefund *r = g_new0 (SaomaLedgerRefund, 1);

  r->id = id;
  r->out_refund_no = g_strdup (out_refund_no);
  r->out_trade_no = g_strdup (out_trade_no);
  r->amount = amount;
  r->reason = g_strdup ("顾客退货");
  r->state = state;
  r->refund_id = g_strdup ("50300000000000000000000001");
  r->created = succeeded ? succeeded - 60 * G_USEC_PER_SEC : 1;
  r->updated = r->created;
  r->succeeded = state == SAOMA_REFUND_SUCCESS ? succeeded : 0;
  return r;
}

/*
 * The day 2026-11-20 in +08:00, i.e. [2026-11-19 16:00 UTC, 2026-11-20 16:00 UTC).
 *   A1  1000  created 11-19 23:58, paid 11-20 00:01:30        counted, hour 0
 *   A2   777  paid 11-19 23:59:59                             previous day
 *   A3  2550  paid 09:16, partially refunded                  counted, hour 9
 *   A4  1200  paid 09:41, refunded                            counted, hour 9
 *   A5 38850  paid 13:05:30, late payment                     counted, hour 13
 *   A6   500  created 23:59:30, paid 11-21 00:00:10           next day
 *   A7   999  CLOSED                                          not a payment
 *   A8   300  WAITING, created 15:00                          not final
 *   A9   123  PAID, paid_at unknown, created 20:00            counted (by creation), hour 20
 *   A10  400  UNKNOWN, created 11-21 08:00                    after the day: not listed
 *   A11  250  FAILED                                          not a payment
 * Payments: 5, 1000 + 2550 + 1200 + 38850 + 123 = 43723 fen.
 *   R1  550 of A3, SUCCESS 11-20 10:00                        counted
 *   R2 1200 of A4, SUCCESS 11-21 00:00:05                     next day
 *   R3  777 of A2, SUCCESS 11-20 00:00:00 exactly             counted (the day starts there)
 *   R4  100 of A1, PROCESSING                                 not money yet
 *   R5  200 of A5, SUCCESS 11-19 23:59:59                     previous day
 * Refunds: 2, 550 + 777 = 1327 fen. Net 42396 fen.
 */
static void
build_fixture (GPtrArray **out_attempts,
               GPtrArray **out_refunds,
               GPtrArray **out_unfinished)
{
  GPtrArray *attempts = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *refunds = g_ptr_array_new_with_free_func ((GDestroyNotify) saoma_ledger_refund_free);
  GPtrArray *unfinished = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (attempts, attempt (1, "A1", 1000, SAOMA_ATTEMPT_PAID,
                                      at (2026, 11, 19, 23, 58, 0), at (2026, 11, 20, 0, 1, 30),
                                      0, FALSE));
  g_ptr_array_add (attempts, attempt (2, "A2", 777, SAOMA_ATTEMPT_REFUNDED,
                                      at (2026, 11, 19, 23, 50, 0),
                                      at (2026, 11, 19, 23, 59, 59), 777, FALSE));
  g_ptr_array_add (attempts, attempt (3, "A3", 2550, SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
                                      at (2026, 11, 20, 9, 15, 0), at (2026, 11, 20, 9, 16, 0),
                                      550, FALSE));
  g_ptr_array_add (attempts, attempt (4, "A4", 1200, SAOMA_ATTEMPT_REFUNDED,
                                      at (2026, 11, 20, 9, 40, 0), at (2026, 11, 20, 9, 41, 0),
                                      1200, FALSE));
  g_ptr_array_add (attempts, attempt (5, "A5", 38850, SAOMA_ATTEMPT_PAID,
                                      at (2026, 11, 20, 13, 0, 0), at (2026, 11, 20, 13, 5, 30),
                                      0, TRUE));
  g_ptr_array_add (attempts, attempt (6, "A6", 500, SAOMA_ATTEMPT_PAID,
                                      at (2026, 11, 20, 23, 59, 30),
                                      at (2026, 11, 21, 0, 0, 10), 0, FALSE));
  g_ptr_array_add (attempts, attempt (7, "A7", 999, SAOMA_ATTEMPT_CLOSED,
                                      at (2026, 11, 20, 14, 0, 0), 0, 0, FALSE));
  g_ptr_array_add (attempts, attempt (8, "A8", 300, SAOMA_ATTEMPT_WAITING,
                                      at (2026, 11, 20, 15, 0, 0), 0, 0, FALSE));
  g_ptr_array_add (attempts, attempt (9, "A9", 123, SAOMA_ATTEMPT_PAID,
                                      at (2026, 11, 20, 20, 0, 0), 0, 0, FALSE));
  g_ptr_array_add (attempts, attempt (11, "A11", 250, SAOMA_ATTEMPT_FAILED,
                                      at (2026, 11, 20, 10, 0, 0), 0, 0, FALSE));

  g_ptr_array_add (unfinished, attempt (8, "A8", 300, SAOMA_ATTEMPT_WAITING,
                                        at (2026, 11, 20, 15, 0, 0), 0, 0, FALSE));
  g_ptr_array_add (unfinished, attempt (10, "A10", 400, SAOMA_ATTEMPT_UNKNOWN,
                                        at (2026, 11, 21, 8, 0, 0), 0, 0, FALSE));

  g_ptr_array_add (refunds, refund (1, "R1", "A3", 550, SAOMA_REFUND_SUCCESS,
                                    at (2026, 11, 20, 10, 0, 0)));
  g_ptr_array_add (refunds, refund (2, "R2", "A4", 1200, SAOMA_REFUND_SUCCESS,
                                    at (2026, 11, 21, 0, 0, 5)));
  g_ptr_array_add (refunds, refund (3, "R3", "A2", 777, SAOMA_REFUND_SUCCESS,
                                    at (2026, 11, 20, 0, 0, 0)));
  g_ptr_array_add (refunds, refund (4, "R4", "A1", 100, SAOMA_REFUND_PROCESSING, 0));
  g_ptr_array_add (refunds, refund (5, "R5", "A5", 200, SAOMA_REFUND_SUCCESS,
                                    at (2026, 11, 19, 23, 59, 59)));

  *out_attempts = attempts;
  *out_refunds = refunds;
  *out_unfinished = unfinished;
}

static SaomaDayReport *
fixture_report (void)
{
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  GDate date;

  build_fixture (&attempts, &refunds, &unfinished);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);
  return saoma_day_report_compute (&date, tz8, attempts, refunds, unfinished,
                                   at (2026, 11, 20, 23, 30, 0));
}

static void
test_totals (void)
{
  g_autoptr(SaomaDayReport) report = fixture_report ();
  GPtrArray *payments = saoma_day_report_get_payments (report);
  GPtrArray *refunds = saoma_day_report_get_refunds (report);
  GPtrArray *unfinished = saoma_day_report_get_unfinished (report);
  const char *expected_payments[] = { "A1", "A3", "A4", "A5", "A9" };

  g_assert_cmpstr (saoma_day_report_get_day_text (report), ==, "2026-11-20");
  g_assert_cmpint (saoma_day_report_get_start (report), ==, at (2026, 11, 20, 0, 0, 0));
  g_assert_cmpint (saoma_day_report_get_end (report), ==, at (2026, 11, 21, 0, 0, 0));

  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 5);
  g_assert_cmpint (saoma_day_report_get_payments_total (report), ==, 43723);
  g_assert_cmpuint (saoma_day_report_get_n_refunds (report), ==, 2);
  g_assert_cmpint (saoma_day_report_get_refunds_total (report), ==, 1327);
  g_assert_cmpint (saoma_day_report_get_net (report), ==, 42396);
  g_assert_cmpuint (saoma_day_report_get_n_late (report), ==, 1);

  g_assert_cmpuint (payments->len, ==, G_N_ELEMENTS (expected_payments));
  for (guint i = 0; i < payments->len; i++)
    g_assert_cmpstr (saoma_attempt_get_out_trade_no (payments->pdata[i]), ==,
                     expected_payments[i]);

  g_assert_cmpuint (refunds->len, ==, 2);
  g_assert_cmpstr (((SaomaLedgerRefund *) refunds->pdata[0])->out_refund_no, ==, "R3");
  g_assert_cmpstr (((SaomaLedgerRefund *) refunds->pdata[1])->out_refund_no, ==, "R1");

  g_assert_cmpuint (unfinished->len, ==, 1);
  g_assert_cmpstr (saoma_attempt_get_out_trade_no (unfinished->pdata[0]), ==, "A8");
}

static void
test_hours (void)
{
  g_autoptr(SaomaDayReport) report = fixture_report ();
  guint count_sum = 0;
  gint64 total_sum = 0;

  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 0), ==, 1);
  g_assert_cmpint (saoma_day_report_get_hour_total (report, 0), ==, 1000);
  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 9), ==, 2);
  g_assert_cmpint (saoma_day_report_get_hour_total (report, 9), ==, 3750);
  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 13), ==, 1);
  g_assert_cmpint (saoma_day_report_get_hour_total (report, 13), ==, 38850);
  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 20), ==, 1);
  g_assert_cmpint (saoma_day_report_get_hour_total (report, 20), ==, 123);
  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 23), ==, 0);
  g_assert_cmpint (saoma_day_report_get_max_hour_total (report), ==, 38850);

  for (guint h = 0; h < 24; h++)
    {
      count_sum += saoma_day_report_get_hour_count (report, h);
      total_sum += saoma_day_report_get_hour_total (report, h);
    }
  g_assert_cmpuint (count_sum, ==, saoma_day_report_get_n_payments (report));
  g_assert_cmpint (total_sum, ==, saoma_day_report_get_payments_total (report));
}

/* The same rows seen from the next day: A6 and R2 move in, the rest out. */
static void
test_next_day (void)
{
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  GDate date;

  build_fixture (&attempts, &refunds, &unfinished);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 21, G_DATE_NOVEMBER, 2026);
  report = saoma_day_report_compute (&date, tz8, attempts, refunds, unfinished, 0);

  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 1);
  g_assert_cmpint (saoma_day_report_get_payments_total (report), ==, 500);
  g_assert_cmpuint (saoma_day_report_get_n_refunds (report), ==, 1);
  g_assert_cmpint (saoma_day_report_get_refunds_total (report), ==, 1200);
  g_assert_cmpint (saoma_day_report_get_net (report), ==, -700);
  g_assert_cmpuint (saoma_day_report_get_hour_count (report, 0), ==, 1);
  /* Both non-final attempts were created before the 21st ended. */
  g_assert_cmpuint (saoma_day_report_get_unfinished (report)->len, ==, 2);
}

static void
test_csv (void)
{
  g_autoptr(SaomaDayReport) report = fixture_report ();
  g_autofree char *csv = saoma_day_report_to_csv (report);
  g_autoptr(GString) expected = g_string_new ("\xEF\xBB\xBF");

  g_string_append (expected,
    "report,field,value\r\n"
    "report,day,2026-11-20\r\n"
    "report,time_zone,'+08:00\r\n"
    "report,generated,2026-11-20 23:30:00\r\n"
    "\r\n"
    "summary,item,count,amount\r\n"
    "summary,payments,5,437.23\r\n"
    "summary,refunds,2,13.27\r\n"
    "summary,net,,423.96\r\n"
    "summary,late_payments,1\r\n"
    "summary,not_final,1\r\n"
    "\r\n"
    "hour,hour,count,amount\r\n");
  for (guint h = 0; h < 24; h++)
    {
      const char *row = "0,0.00";

      if (h == 0)
        row = "1,10.00";
      else if (h == 9)
        row = "2,37.50";
      else if (h == 13)
        row = "1,388.50";
      else if (h == 20)
        row = "1,1.23";
      g_string_append_printf (expected, "hour,%02u,%s\r\n", h, row);
    }
  g_string_append (expected,
    "\r\n"
    "payment,paid_time,till,out_trade_no,transaction_id,amount,refunded,state,description\r\n"
    "payment,2026-11-20 00:01:30,T01,A1,'4200000000000000000000000001,10.00,0.00,PAID,"
      "\"商品, \"\"特价\"\"\"\r\n"
    "payment,2026-11-20 09:16:00,T01,A3,'4200000000000000000000000001,25.50,5.50,"
      "PARTIALLY_REFUNDED,\"商品, \"\"特价\"\"\"\r\n"
    "payment,2026-11-20 09:41:00,T01,A4,'4200000000000000000000000001,12.00,12.00,REFUNDED,"
      "\"商品, \"\"特价\"\"\"\r\n"
    "payment,2026-11-20 13:05:30,T01,A5,'4200000000000000000000000001,388.50,0.00,PAID,"
      "\"商品, \"\"特价\"\"\"\r\n"
    "payment,2026-11-20 20:00:00,T01,A9,,1.23,0.00,PAID,\"商品, \"\"特价\"\"\"\r\n"
    "\r\n"
    "refund,success_time,out_refund_no,out_trade_no,refund_id,amount,reason\r\n"
    "refund,2026-11-20 00:00:00,R3,A2,'50300000000000000000000001,7.77,顾客退货\r\n"
    "refund,2026-11-20 10:00:00,R1,A3,'50300000000000000000000001,5.50,顾客退货\r\n"
    "\r\n"
    "not_final,created_time,till,out_trade_no,amount,state\r\n"
    "not_final,2026-11-20 15:00:00,T01,A8,3.00,WAITING\r\n");

  g_assert_cmpstr (csv, ==, expected->str);
}

static void
test_empty_day (void)
{
  g_autoptr(SaomaDayReport) report = NULL;
  g_autofree char *csv = NULL;
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 1, G_DATE_JANUARY, 2027);
  report = saoma_day_report_compute (&date, tz8, NULL, NULL, NULL, 0);
  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 0);
  g_assert_cmpint (saoma_day_report_get_net (report), ==, 0);
  g_assert_cmpint (saoma_day_report_get_max_hour_total (report), ==, 0);
  csv = saoma_day_report_to_csv (report);
  g_assert_nonnull (strstr (csv, "summary,payments,0,0.00\r\n"));
}

/* The loader on a real ledger, X report then Z close. Refund success times are the ledger's
 * real "now", so the day is today in +08:00 (the test reruns once if midnight passed). */
static gboolean
ledger_round (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now (tz8);
  g_autoptr(SaomaDayReport) report = NULL;
  g_autoptr(SaomaDayReport) again = NULL;
  g_autoptr(SaomaLedgerRefund) r = NULL;
  g_autoptr(SaomaLedgerRefund) done = NULL;
  g_autofree char *closed = NULL;
  int y = g_date_time_get_year (now), mo = g_date_time_get_month (now);
  int d = g_date_time_get_day_of_month (now);
  GDate date;
  struct {
    const char        *no;
    gint64             amount;
    gint64             created;
    gint64             paid;
    SaomaAttemptState  state;
  } rows[] = {
    { "L1", 1000, at (y, mo, d, 0, 0, 30), at (y, mo, d, 0, 1, 0), SAOMA_ATTEMPT_PAID },
    { "L2", 2000, at (y, mo, d, 0, 0, 0) - 60 * G_USEC_PER_SEC, at (y, mo, d, 0, 0, 20),
      SAOMA_ATTEMPT_PAID },
    { "L3", 3000, at (y, mo, d, 23, 59, 50), at (y, mo, d, 23, 59, 50) + 15 * G_USEC_PER_SEC,
      SAOMA_ATTEMPT_PAID },
    { "L4", 400, at (y, mo, d, 12, 0, 0), 0, SAOMA_ATTEMPT_WAITING },
    { "L5", 999, at (y, mo, d, 12, 5, 0), 0, SAOMA_ATTEMPT_CLOSED },
  };

  g_remove (path);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (rows[i].no, rows[i].amount, "测试", "T01",
                                                     rows[i].created,
                                                     rows[i].created + 300 * G_USEC_PER_SEC);
      g_autoptr(SaomaAttempt) inserted = saoma_ledger_insert_attempt_sync (ledger, a, &error);
      g_autoptr(SaomaAttempt) updated = NULL;
      SaomaAttemptUpdate update = { 0 };

      g_assert_no_error (error);
      update.state = rows[i].state;
      update.paid_at = rows[i].paid;
      update.transaction_id = rows[i].paid ? "4200000000000000000000000009" : NULL;
      updated = saoma_ledger_update_attempt_sync (ledger, rows[i].no, &update, &error);
      g_assert_no_error (error);
    }

  r = saoma_ledger_insert_refund_sync (ledger, "L1", "RL1", 250, "退货", &error);
  g_assert_no_error (error);
  done = saoma_ledger_update_refund_sync (ledger, "RL1", SAOMA_REFUND_SUCCESS, "503000009",
                                          "test", &error);
  g_assert_no_error (error);

  {
    g_autoptr(GDateTime) succeeded = g_date_time_new_from_unix_utc (done->succeeded
                                                                     / G_USEC_PER_SEC);
    g_autoptr(GDateTime) local = g_date_time_to_timezone (succeeded, tz8);

    if (g_date_time_get_day_of_month (local) != d)
      return FALSE;
  }

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, d, mo, y);

  /* X report: any time, no trace. */
  report = saoma_day_report_load_sync (ledger, &date, tz8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 2);
  g_assert_cmpint (saoma_day_report_get_payments_total (report), ==, 3000);
  g_assert_cmpuint (saoma_day_report_get_n_refunds (report), ==, 1);
  g_assert_cmpint (saoma_day_report_get_refunds_total (report), ==, 250);
  g_assert_cmpint (saoma_day_report_get_net (report), ==, 2750);
  g_assert_cmpuint (saoma_day_report_get_unfinished (report)->len, ==, 1);
  g_assert_null (saoma_day_report_find_close_sync (report, ledger, &error));
  g_assert_no_error (error);

  /* Z close: refused while L4 is not final … */
  g_assert_false (saoma_day_report_close_sync (report, ledger, FALSE, &error));
  g_assert_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_UNFINISHED);
  g_clear_error (&error);
  g_assert_null (saoma_day_report_find_close_sync (report, ledger, &error));

  /* … recorded with the manager's acknowledgement, and only once. */
  g_assert_true (saoma_day_report_close_sync (report, ledger, TRUE, &error));
  g_assert_no_error (error);
  closed = saoma_day_report_find_close_sync (report, ledger, &error);
  g_assert_no_error (error);
  g_assert_nonnull (closed);
  g_assert_nonnull (strstr (closed, "payments 2, 3000 fen; refunds 1, 250 fen; net 2750 fen"));
  g_assert_nonnull (strstr (closed, "acknowledged"));

  again = saoma_day_report_load_sync (ledger, &date, tz8, &error);
  g_assert_no_error (error);
  g_assert_false (saoma_day_report_close_sync (again, ledger, TRUE, &error));
  g_assert_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_ALREADY_CLOSED);

  return TRUE;
}

static void
test_ledger (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-day-report-XXXXXX", &error);
  g_autofree char *db = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;

  g_assert_no_error (error);
  if (!ledger_round (dir))
    g_assert_true (ledger_round (dir));

  db = g_build_filename (dir, "ledger.db", NULL);
  wal = g_strconcat (db, "-wal", NULL);
  shm = g_strconcat (db, "-shm", NULL);
  g_remove (db);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (dir);
}

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-day-report-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  GDate date;

  g_assert_no_error (error);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);
  saoma_day_report_load_async (SAOMA_STORE (ledger), &date, tz8, NULL, load_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  report = saoma_day_report_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 0);

  g_clear_object (&ledger);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_remove (wal);
    g_remove (shm);
  }
  g_remove (path);
  g_rmdir (dir);
}

/* The report file is the owner's only (0600), even over a world-readable one. */

/* The export's payment figures: its rows in a payment state, through saoma_money_parse(). */
static void
export_figures (SaomaLedger *ledger,
                const GDate *date,
                SaomaTotals *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;
  guint rows = 0;

  g_assert_true (saoma_export_day_to_stream (ledger, date, tz8, stream, &rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (stream, "", 1, NULL, NULL, &error));
  g_output_stream_close (stream, NULL, NULL);
  text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (stream));
  lines = g_strsplit (text, "\r\n", -1);
  *out = (SaomaTotals) SAOMA_TOTALS_INIT;
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);
      gint64 amount = 0;

      g_assert_cmpuint (g_strv_length (fields), ==, 8);
      if (g_strcmp0 (fields[6], "PAID") != 0 && g_strcmp0 (fields[6], "PARTIALLY_REFUNDED") != 0
          && g_strcmp0 (fields[6], "REFUNDED") != 0)
        continue;
      g_assert_true (saoma_money_parse (fields[4], G_MAXINT64, &amount, &error));
      g_assert_no_error (error);
      out->n_payments++;
      out->paid += amount;
    }
  g_assert_cmpuint (rows, ==, 7);
}

/* Issue 12.1: one definition of paid, refunded and net. History's summary
 * (saoma_totals_compute_async), Day Close, the export and reconciliation count the same
 * payments on the same ledger: a partly refunded payment stays paid at its full amount, a
 * wholly refunded one too, and cancelled, expired, failed and waiting attempts are no
 * payments. Refund success times are the ledger's "now", so the day is today (+08:00). */
static gboolean
one_definition_round (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now (tz8);
  g_autoptr(SaomaDayReport) report = NULL;
  g_autoptr(SaomaReconcile) reconcile = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  SaomaTotals day = SAOMA_TOTALS_INIT, history = SAOMA_TOTALS_INIT;
  SaomaTotals exported = SAOMA_TOTALS_INIT;
  int y = g_date_time_get_year (now), mo = g_date_time_get_month (now);
  int d = g_date_time_get_day_of_month (now);
  gint64 start_us, end_us;
  GDate date;
  struct {
    const char        *no;
    gint64             amount;
    SaomaAttemptState  state;
    int                minute;
  } rows[] = {
    { "D1", 3850, SAOMA_ATTEMPT_PAID, 1 },     /* ¥10 refunded: stays paid at ¥38.50 */
    { "D2", 1200, SAOMA_ATTEMPT_PAID, 2 },     /* wholly refunded: still a payment */
    { "D3", 500, SAOMA_ATTEMPT_PAID, 3 },
    { "D4", 999, SAOMA_ATTEMPT_CLOSED, 4 },    /* cancelled */
    { "D5", 300, SAOMA_ATTEMPT_CLOSED, 5 },    /* expired */
    { "D6", 250, SAOMA_ATTEMPT_FAILED, 6 },
    { "D7", 400, SAOMA_ATTEMPT_WAITING, 7 },
  };

  g_remove (path);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gint64 created = at (y, mo, d, 0, rows[i].minute, 0);
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (rows[i].no, rows[i].amount, "测试", "T01",
                                                     created, created + 300 * G_USEC_PER_SEC);
      g_autoptr(SaomaAttempt) inserted = saoma_ledger_insert_attempt_sync (ledger, a, &error);
      g_autoptr(SaomaAttempt) updated = NULL;
      SaomaAttemptUpdate update = { 0 };

      g_assert_no_error (error);
      update.state = rows[i].state;
      if (rows[i].state == SAOMA_ATTEMPT_PAID)
        {
          update.paid_at = created + 20 * G_USEC_PER_SEC;
          update.transaction_id = "4200000000000000000000000009";
        }
      updated = saoma_ledger_update_attempt_sync (ledger, rows[i].no, &update, &error);
      g_assert_no_error (error);
    }
  {
    const char *refunds[][2] = { { "D1", "RD1" }, { "D2", "RD2" } };
    const gint64 amounts[] = { 1000, 1200 };

    for (guint i = 0; i < G_N_ELEMENTS (refunds); i++)
      {
        g_autoptr(SaomaLedgerRefund) r = NULL;
        g_autoptr(SaomaLedgerRefund) done = NULL;

        r = saoma_ledger_insert_refund_sync (ledger, refunds[i][0], refunds[i][1], amounts[i],
                                             "退货", &error);
        g_assert_no_error (error);
        done = saoma_ledger_update_refund_sync (ledger, refunds[i][1], SAOMA_REFUND_SUCCESS,
                                                "503000009", "test", &error);
        g_assert_no_error (error);
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (done->succeeded
                                                                    / G_USEC_PER_SEC);
          g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz8);

          if (g_date_time_get_day_of_month (local) != d)
            return FALSE;
        }
      }
  }

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, d, mo, y);
  saoma_export_day_range (&date, tz8, &start_us, &end_us);

  /* Day Close. */
  report = saoma_day_report_load_sync (ledger, &date, tz8, &error);
  g_assert_no_error (error);
  saoma_day_report_get_totals (report, &day);
  g_assert_cmpuint (day.n_payments, ==, 3);
  g_assert_cmpint (day.paid, ==, 3850 + 1200 + 500);
  g_assert_cmpuint (day.n_refunds, ==, 2);
  g_assert_cmpint (day.refunded, ==, 2200);
  g_assert_cmpint (saoma_totals_get_net (&day), ==, 3350);

  /* History's summary: the same function, off the calling thread. */
  saoma_totals_compute_async (ledger, start_us, end_us, NULL, load_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (saoma_totals_compute_finish (result, &history, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (history.n_payments, ==, day.n_payments);
  g_assert_cmpint (history.paid, ==, day.paid);
  g_assert_cmpuint (history.n_refunds, ==, day.n_refunds);
  g_assert_cmpint (history.refunded, ==, day.refunded);

  /* The export. */
  export_figures (ledger, &date, &exported);
  g_assert_cmpuint (exported.n_payments, ==, day.n_payments);
  g_assert_cmpint (exported.paid, ==, day.paid);

  /* Reconciliation (no bill: the ledger's side only; its day is the Beijing day). */
  reconcile = saoma_reconcile_classify_sync (&date, NULL, ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_reconcile_get_local_count (reconcile), ==, day.n_payments);
  g_assert_cmpint (saoma_reconcile_get_local_total (reconcile), ==, day.paid);

  return TRUE;
}

static void
test_one_definition (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-totals-XXXXXX", &error);
  g_autofree char *db = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;

  g_assert_no_error (error);
  if (!one_definition_round (dir))
    g_assert_true (one_definition_round (dir));

  db = g_build_filename (dir, "ledger.db", NULL);
  wal = g_strconcat (db, "-wal", NULL);
  shm = g_strconcat (db, "-shm", NULL);
  g_remove (db);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (dir);
}

/* Issue 13: the day's totals by payment method (QR code 扫码 / payment code 付款码); a refund
 * counts under its order's method; the methods add up to the day; the CSV says them once a
 * payment code was taken. A3 and A5 of the fixture paid with a payment code. */
static void
test_by_method (void)
{
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  g_autoptr(SaomaDayReport) plain = fixture_report ();
  g_autofree char *csv = NULL;
  g_autofree char *plain_csv = saoma_day_report_to_csv (plain);
  SaomaTotals qr, code, all;
  GDate date;

  build_fixture (&attempts, &refunds, &unfinished);
  for (guint i = 0; i < attempts->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (attempts, i);

      if (g_str_equal (saoma_attempt_get_out_trade_no (a), "A3")
          || g_str_equal (saoma_attempt_get_out_trade_no (a), "A5"))
        saoma_attempt_set_method (a, SAOMA_PAYMENT_METHOD_MICROPAY);
    }
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);
  report = saoma_day_report_compute (&date, tz8, attempts, refunds, unfinished,
                                     at (2026, 11, 20, 23, 30, 0));

  saoma_day_report_get_method_totals (report, SAOMA_PAYMENT_METHOD_NATIVE, &qr);
  saoma_day_report_get_method_totals (report, SAOMA_PAYMENT_METHOD_MICROPAY, &code);
  saoma_day_report_get_totals (report, &all);
  /* A1 1000 + A4 1200 + A9 123; R3 777 of A2. */
  g_assert_cmpuint (qr.n_payments, ==, 3);
  g_assert_cmpint (qr.paid, ==, 2323);
  g_assert_cmpuint (qr.n_refunds, ==, 1);
  g_assert_cmpint (qr.refunded, ==, 777);
  /* A3 2550 + A5 38850; R1 550 of A3. */
  g_assert_cmpuint (code.n_payments, ==, 2);
  g_assert_cmpint (code.paid, ==, 41400);
  g_assert_cmpuint (code.n_refunds, ==, 1);
  g_assert_cmpint (code.refunded, ==, 550);
  g_assert_cmpuint (qr.n_payments + code.n_payments, ==, all.n_payments);
  g_assert_cmpint (qr.paid + code.paid, ==, all.paid);
  g_assert_cmpint (qr.refunded + code.refunded, ==, all.refunded);
  g_assert_true (saoma_day_report_has_micropay (report));

  csv = saoma_day_report_to_csv (report);
  g_assert_nonnull (strstr (csv, "summary,not_final,1\r\n"
                                 "summary,payments_native,3,23.23\r\n"
                                 "summary,refunds_native,1,7.77\r\n"
                                 "summary,net_native,,15.46\r\n"
                                 "summary,payments_micropay,2,414.00\r\n"
                                 "summary,refunds_micropay,1,5.50\r\n"
                                 "summary,net_micropay,,408.50\r\n\r\n"));
  /* A day of QR codes only: no lines by method (its CSV reads as before). */
  g_assert_false (saoma_day_report_has_micropay (plain));
  g_assert_null (strstr (plain_csv, "payments_native"));
}


/* Issue 12.5: the business day, Beijing time, with a day start: around midnight and 04:00. */
static void
test_business_day (void)
{
  g_autoptr(SaomaBusinessDay) midnight = saoma_business_day_new (NULL, 0);
  g_autoptr(SaomaBusinessDay) late_shop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-business-day-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(SaomaDayReport) report = NULL;
  guint start = 0;
  gint64 start_us, end_us;
  GDate date, day;
  struct { const char *no; gint64 amount; gint64 paid; } rows[] = {
    { "B1", 100, at (2026, 11, 20, 3, 59, 59) },   /* the 19th's late night */
    { "B2", 200, at (2026, 11, 20, 4, 0, 0) },     /* the 20th's first second */
    { "B3", 400, at (2026, 11, 20, 23, 59, 59) },
    { "B4", 800, at (2026, 11, 21, 0, 0, 0) },     /* after midnight: still the 20th */
    { "B5", 1600, at (2026, 11, 21, 3, 59, 59) },  /* the 20th's last second */
    { "B6", 3200, at (2026, 11, 21, 4, 0, 0) },    /* the 21st */
  };

  g_assert_no_error (error);
  g_assert_true (saoma_business_day_parse_start ("04:00", &start, &error));
  g_assert_cmpuint (start, ==, 240);
  g_assert_false (saoma_business_day_parse_start ("24:00", &start, NULL));
  g_assert_false (saoma_business_day_parse_start ("4:00", &start, NULL));
  late_shop = saoma_business_day_new (NULL, start);

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);

  /* Beijing midnight, whatever TZ says: 16:00 UTC the day before. */
  saoma_business_day_range (midnight, &date, &start_us, &end_us);
  g_assert_cmpint (start_us, ==, at (2026, 11, 20, 0, 0, 0));
  g_assert_cmpint (end_us, ==, at (2026, 11, 21, 0, 0, 0));
  saoma_business_day_of (midnight, at (2026, 11, 20, 23, 59, 59), &day);
  g_assert_cmpint (g_date_compare (&day, &date), ==, 0);
  saoma_business_day_of (midnight, at (2026, 11, 21, 0, 0, 0), &day);
  g_assert_cmpint (g_date_get_day (&day), ==, 21);

  saoma_business_day_range (late_shop, &date, &start_us, &end_us);
  g_assert_cmpint (start_us, ==, at (2026, 11, 20, 4, 0, 0));
  g_assert_cmpint (end_us, ==, at (2026, 11, 21, 4, 0, 0));
  saoma_business_day_of (late_shop, at (2026, 11, 21, 3, 59, 59), &day);
  g_assert_cmpint (g_date_compare (&day, &date), ==, 0);
  saoma_business_day_of (late_shop, at (2026, 11, 20, 3, 59, 59), &day);
  g_assert_cmpint (g_date_get_day (&day), ==, 19);
  saoma_business_day_of (late_shop, at (2026, 11, 21, 4, 0, 0), &day);
  g_assert_cmpint (g_date_get_day (&day), ==, 21);

  /* Day Close on a real ledger over that day. */
  path = g_build_filename (dir, "ledger.db", NULL);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gint64 created = rows[i].paid - 30 * G_USEC_PER_SEC;
      g_autoptr(SaomaAttempt) a = saoma_attempt_new (rows[i].no, rows[i].amount, "测试", "T01",
                                                     created, created + 300 * G_USEC_PER_SEC);
      g_autoptr(SaomaAttempt) inserted = saoma_ledger_insert_attempt_sync (ledger, a, &error);
      g_autoptr(SaomaAttempt) updated = NULL;
      SaomaAttemptUpdate update = { .state = SAOMA_ATTEMPT_PAID, .paid_at = rows[i].paid,
                                    .transaction_id = "4200000000000000000000000009" };

      g_assert_no_error (error);
      updated = saoma_ledger_update_attempt_sync (ledger, rows[i].no, &update, &error);
      g_assert_no_error (error);
    }
  report = saoma_day_report_load_business_sync (ledger, &date, late_shop, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 4);
  g_assert_cmpint (saoma_day_report_get_payments_total (report), ==, 200 + 400 + 800 + 1600);
  g_assert_false (saoma_day_report_get_carries_previous (report));
  g_clear_object (&report);
  report = saoma_day_report_load_business_sync (ledger, &date, midnight, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saoma_day_report_get_n_payments (report), ==, 3);
  g_assert_cmpint (saoma_day_report_get_payments_total (report), ==, 100 + 200 + 400);

  g_clear_object (&report);
  g_clear_object (&ledger);
  saoma_test_rm_rf (dir);
}

static void
test_csv_file_mode (void)
{
  g_autoptr(SaomaDayReport) report = fixture_report ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-report-mode-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "report.csv", NULL);
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_true (saoma_day_report_write_csv (report, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_unlink (path);

  g_assert_true (saoma_day_report_write_csv (report, path, &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  tz8 = g_time_zone_new_identifier ("+08:00");
  g_assert_nonnull (tz8);

  g_test_add_func ("/day-report/totals", test_totals);
  g_test_add_func ("/day-report/hours", test_hours);
  g_test_add_func ("/day-report/next-day", test_next_day);
  g_test_add_func ("/day-report/csv", test_csv);
  g_test_add_func ("/day-report/csv-file-mode", test_csv_file_mode);
  g_test_add_func ("/day-report/empty-day", test_empty_day);
  g_test_add_func ("/day-report/ledger-x-and-z", test_ledger);
  g_test_add_func ("/day-report/async", test_async);
  g_test_add_func ("/day-report/one-definition", test_one_definition);
  g_test_add_func ("/day-report/business-day", test_business_day);
  g_test_add_func ("/day-report/by-method", test_by_method);

  return g_test_run ();
}
