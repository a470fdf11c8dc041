/* test-report-pdf.c: the day close PDF — rendered by poppler (pdftoppm), read back (pdftotext).
 *
 * The in-process part renders a hand-computed report in Chinese; the headless part runs the
 * real `saoma --close-day … --pdf` and `--day-report` on a fixture ledger, in English and in
 * Chinese. PDFs and PNGs are kept under the build directory (tests/app/report-pdf/). */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/saoma-day-report.h"
#include "core/saoma-pin-guard.h"
#include "ledger/saoma-ledger.h"
#include "saoma-receipt.h"
#include "saoma-report-pdf.h"

static GTimeZone *tz8;
static char *out_dir;

static gint64
at (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) dt = g_date_time_new (tz8, y, mo, d, h, mi, s);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static char *
run_tool (const char * const *argv,
          const char * const *env_extra)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i += 2)
    env = g_environ_setenv (env, env_extra[i], env_extra[i + 1], TRUE);

  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", argv[0], out ? out : "", err ? err : "");
  return g_steal_pointer (&out);
}

/* pdftoppm draws every page; returns pdftotext's text of the whole document. */
static char *
render_and_read (const char *pdf,
                 const char *png_prefix)
{
  g_autofree char *first_png = g_strconcat (png_prefix, "-1.png", NULL);
  g_autofree char *out = NULL;
  const char *ppm[] = { "pdftoppm", "-png", "-r", "80", pdf, png_prefix, NULL };
  const char *txt[] = { "pdftotext", "-layout", "-enc", "UTF-8", pdf, "-", NULL };
  GStatBuf st;

  g_free (run_tool (ppm, NULL));
  g_assert_cmpint (g_stat (first_png, &st), ==, 0);
  /* A real page, not an empty raster. */
  g_assert_cmpint (st.st_size, >, 10000);

  return run_tool (txt, NULL);
}

static SaomaAttempt *
attempt (gint64             id,
         const char        *no,
         gint64             amount,
         SaomaAttemptState  state,
         gint64             created,
         gint64             paid_at)
{
  return saoma_attempt_new_full (id, no, amount, "测试商品", "T01", created, created, created,
                                 state, paid_at ? "4200000000202611200000000001" : NULL, NULL,
                                 0, paid_at, FALSE);
}

static SaomaLedgerRefund *
refund (const char *no,
        const char *otn,
        gint64      amount,
        gint64      succeeded)
{
  SaomaLedgerRefund *r = g_new0 (SaomaLedgerRefund, 1);

  r->out_refund_no = g_strdup (no);
  r->out_trade_no = g_strdup (otn);
  r->amount = amount;
  r->reason = g_strdup ("顾客退货");
  r->state = SAOMA_REFUND_SUCCESS;
  r->created = succeeded;
  r->succeeded = succeeded;
  return r;
}

/* Payments 12345 + 10000 = ¥223.45 on 2026-11-20 (+08:00), one of them paid at 00:00:30 after
 * being created the evening before; a refund of ¥100.00 that day: net ¥123.45; a closed
 * attempt (no money) and one still waiting. */
static SaomaDayReport *
fixture (void)
{
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) refunds = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 saoma_ledger_refund_free);
  g_autoptr(GPtrArray) unfinished = g_ptr_array_new_with_free_func (g_object_unref);
  GDate date;

  g_ptr_array_add (attempts, attempt (1, "T01MIDNIGHT0001", 12345, SAOMA_ATTEMPT_PAID,
                                      at (2026, 11, 19, 23, 59, 0),
                                      at (2026, 11, 20, 0, 0, 30)));
  g_ptr_array_add (attempts, attempt (2, "T01AFTERNOON001", 10000,
                                      SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
                                      at (2026, 11, 20, 14, 0, 0), at (2026, 11, 20, 14, 1, 0)));
  g_ptr_array_add (refunds, refund ("RT01AFTERNOON01", "T01AFTERNOON001", 10000,
                                    at (2026, 11, 20, 18, 30, 0)));
  g_ptr_array_add (unfinished, attempt (3, "T01STILLWAIT001", 500, SAOMA_ATTEMPT_WAITING,
                                        at (2026, 11, 20, 21, 0, 0), 0));
  g_ptr_array_add (attempts, attempt (4, "T01CLOSED000001", 100, SAOMA_ATTEMPT_CLOSED,
                                      at (2026, 11, 20, 10, 0, 0), 0));

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);
  return saoma_day_report_compute (&date, tz8, attempts, refunds, unfinished,
                                   at (2026, 11, 20, 23, 0, 0));
}

static void
test_pdf_chinese (void)
{
  g_autoptr(SaomaDayReport) report = fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = g_build_filename (out_dir, "report-zh_CN.pdf", NULL);
  g_autofree char *png = g_build_filename (out_dir, "report-zh_CN", NULL);
  g_autofree char *text = NULL;
  SaomaReportHeader header = { "小张南山店", "T01", "Z", NULL };

  g_assert_true (saoma_report_pdf_write (report, &header, pdf, &error));
  g_assert_no_error (error);
  text = render_and_read (pdf, png);

  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "日结报表"));
  g_assert_nonnull (strstr (text, "小张南山店"));
  g_assert_nonnull (strstr (text, "2026-11-20"));
  g_assert_nonnull (strstr (text, "¥223.45"));
  g_assert_nonnull (strstr (text, "-¥100.00"));
  g_assert_nonnull (strstr (text, "¥123.45"));
  g_assert_nonnull (strstr (text, "T01MIDNIGHT0001"));
  g_assert_nonnull (strstr (text, "00:00:30"));
  g_assert_nonnull (strstr (text, "T01STILLWAIT001"));
  g_assert_null (strstr (text, "T01CLOSED000001"));
  g_assert_cmpuint (saoma_report_n_pages (report, SAOMA_REPORT_PAGE_WIDTH,
                                          SAOMA_REPORT_PAGE_HEIGHT), ==, 1);
}

/* A long unfinished list flows onto more pages, and every row is printed exactly once. */
static void
test_pdf_pages (void)
{
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) unfinished = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(SaomaDayReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = g_build_filename (out_dir, "report-pages.pdf", NULL);
  g_autofree char *png = g_build_filename (out_dir, "report-pages", NULL);
  g_autofree char *text = NULL;
  GDate date;
  guint pages;

  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *no = g_strdup_printf ("T01PAY%06u", i);
      gint64 created = at (2026, 11, 20, 8, 0, 0) + (gint64) i * 60 * G_USEC_PER_SEC;

      g_ptr_array_add (attempts, attempt (i + 1, no, 100 + i, SAOMA_ATTEMPT_PAID, created,
                                          created + 30 * G_USEC_PER_SEC));
    }
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 20, G_DATE_NOVEMBER, 2026);
  report = saoma_day_report_compute (&date, tz8, attempts, NULL, unfinished, 0);
  pages = saoma_report_n_pages (report, SAOMA_REPORT_PAGE_WIDTH, SAOMA_REPORT_PAGE_HEIGHT);
  g_assert_cmpuint (pages, >=, 3);

  g_assert_true (saoma_report_pdf_write (report, NULL, pdf, &error));
  g_assert_no_error (error);
  text = render_and_read (pdf, png);
  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *no = g_strdup_printf ("T01PAY%06u", i);
      const char *first = strstr (text, no);

      g_assert_nonnull (first);
      g_assert_null (strstr (first + 1, no));
    }
  /* 120 payments of 100 + i fen: 12000 + 7140 = 19140 fen. */
  g_assert_nonnull (strstr (text, "¥191.40"));
}

#define MANAGER_PIN "135792"

/* The Z close wants the manager PIN (--pin-file): one set in a keyring file of this test
 * only (other tests set theirs meanwhile), which the commands it starts inherit. */
static char *
manager_pin_file (const char *dir)
{
  static char *keyring_dir;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, "pin", NULL);

  if (keyring_dir == NULL)
    {
      g_autofree char *keyring = NULL;
      g_autoptr(SaomaPinGuard) guard = NULL;

      keyring_dir = g_dir_make_tmp ("saoma-report-keyring-XXXXXX", &error);
      g_assert_no_error (error);
      keyring = g_build_filename (keyring_dir, "keyring", NULL);
      g_setenv ("SECRET_BACKEND", "file", TRUE);
      g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
      g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
      guard = saoma_pin_guard_new (NULL, NULL);
      g_assert_true (saoma_pin_guard_set_sync (guard, NULL, MANAGER_PIN, &error));
      g_assert_no_error (error);
    }
  g_assert_true (g_file_set_contents (path, MANAGER_PIN, -1, &error));
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  return path;
}

/* The real binary, headless, on a ledger file. */
static void
headless (const char *language,
          const char *title)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-report-cli-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "ledger.db", NULL);
  g_autofree char *pdf = g_strdup_printf ("%s/close-day-%s.pdf", out_dir, language);
  g_autofree char *png = g_strdup_printf ("%s/close-day-%s", out_dir, language);
  g_autofree char *xpdf = g_strdup_printf ("%s/x-report-%s.pdf", out_dir, language);
  g_autofree char *csv = g_strdup_printf ("%s/close-day-%s.csv", out_dir, language);
  g_autofree char *saoma = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "src", "app", "saoma",
                                             NULL);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *pin = manager_pin_file (dir);
  g_auto(GStrv) env = g_get_environ ();
  struct { const char *no; gint64 amount; gint64 created; gint64 paid; int state; } rows[] = {
    { "T01CLI0000001", 12345, at (2026, 11, 19, 23, 58, 0), at (2026, 11, 20, 0, 0, 5),
      SAOMA_ATTEMPT_PAID },
    { "T01CLI0000002", 10000, at (2026, 11, 20, 12, 0, 0), at (2026, 11, 20, 12, 0, 40),
      SAOMA_ATTEMPT_PAID },
    { "T01CLI0000003", 999, at (2026, 11, 20, 23, 59, 50), at (2026, 11, 21, 0, 0, 10),
      SAOMA_ATTEMPT_PAID },
    { "T01CLI0000004", 500, at (2026, 11, 20, 16, 0, 0), 0, SAOMA_ATTEMPT_UNKNOWN },
  };
  int status = 0;

  g_assert_no_error (error);
  g_remove (pdf);
  {
    g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (db, NULL, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
      {
        g_autoptr(SaomaAttempt) a = saoma_attempt_new (rows[i].no, rows[i].amount, "测试", "T01",
                                                       rows[i].created, rows[i].created);
        g_autoptr(SaomaAttempt) inserted = saoma_ledger_insert_attempt_sync (ledger, a, &error);
        g_autoptr(SaomaAttempt) updated = NULL;
        SaomaAttemptUpdate update = { 0 };

        g_assert_no_error (error);
        update.state = rows[i].state;
        update.paid_at = rows[i].paid;
        update.transaction_id = rows[i].paid ? "4200000000202611200000000002" : NULL;
        updated = saoma_ledger_update_attempt_sync (ledger, rows[i].no, &update, &error);
        g_assert_no_error (error);
      }
  }

  env = g_environ_setenv (env, "TZ", "CST-8", TRUE);
  env = g_environ_setenv (env, "LANG", "C.UTF-8", TRUE);
  env = g_environ_unsetenv (env, "LC_ALL");
  env = g_environ_setenv (env, "LANGUAGE", language, TRUE);

  /* X report: any time. */
  {
    const char *argv[] = { saoma, "--day-report", "2026-11-20", "--ledger", db, "--pdf", xpdf,
                           "--store", "小张南山店", "--till", "T01", NULL };

    g_spawn_sync (NULL, (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (out, "x-report 2026-11-20: 2 payments ¥223.45, 0 refunds ¥0.00, "
                                   "net ¥223.45, 1 not final"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* Z close refused while T01CLI0000004 is not final: nothing written. */
  {
    const char *argv[] = { saoma, "--close-day", "2026-11-20", "--ledger", db, "--pdf", pdf,
                           "--pin-file", pin, NULL };

    g_spawn_sync (NULL, (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "saoma: "));
    g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* With the manager's acknowledgement. */
  {
    const char *argv[] = { saoma, "--close-day", "2026-11-20", "--ledger", db, "--pdf", pdf,
                           "--csv", csv, "--acknowledge-unfinished", "--store", "小张南山店",
                           "--till", "T01", "--pin-file", pin, NULL };

    g_spawn_sync (NULL, (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("--close-day failed: %s", err);
    g_assert_nonnull (strstr (out, "closed 2026-11-20: 2 payments ¥223.45"));
    g_assert_nonnull (strstr (out, "(acknowledged)"));
  }

  text = render_and_read (pdf, png);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, title));
  g_assert_nonnull (strstr (text, "¥223.45"));
  g_assert_nonnull (strstr (text, "T01CLI0000001"));
  g_assert_null (strstr (text, "T01CLI0000003"));
  g_assert_nonnull (strstr (text, "T01CLI0000004"));
  g_assert_true (g_file_test (csv, G_FILE_TEST_EXISTS));

  g_remove (pin);
  g_remove (db);
  {
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);

    g_remove (wal);
    g_remove (shm);
  }
  g_rmdir (dir);
}

/* Receipts on 58 mm and 80 mm rolls: the page is the roll's width, and everything a customer
 * or the manager needs is on it. */
static void
receipt (SaomaReceipt     *r,
         SaomaReceiptRoll  roll,
         const char       *name,
         const char * const *expect)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = g_strdup_printf ("%s/%s.pdf", out_dir, name);
  g_autofree char *png = g_strdup_printf ("%s/%s", out_dir, name);
  g_autofree char *text = NULL;
  g_autofree char *info = NULL;
  g_autoptr(GtkPageSetup) setup = saoma_receipt_page_setup_new (r, roll);
  const char *pdfinfo[] = { "pdfinfo", pdf, NULL };
  double mm = roll == SAOMA_RECEIPT_ROLL_58MM ? 58.0 : 80.0;
  const char *size;

  g_assert_cmpfloat_with_epsilon (gtk_paper_size_get_width (gtk_page_setup_get_paper_size (setup),
                                                            GTK_UNIT_MM), mm, 0.01);
  g_assert_cmpfloat (gtk_page_setup_get_paper_height (setup, GTK_UNIT_MM), >, 40.0);

  g_assert_true (saoma_receipt_write_pdf (r, roll, pdf, &error));
  g_assert_no_error (error);
  text = render_and_read (pdf, png);
  for (guint i = 0; expect[i] != NULL; i++)
    if (strstr (text, expect[i]) == NULL)
      g_error ("“%s” not on the receipt:\n%s", expect[i], text);

  /* pdfinfo: "Page size:       164.409 x 253.346 pts" for 58 mm. */
  info = run_tool (pdfinfo, NULL);
  size = strstr (info, "Page size:");
  g_assert_nonnull (size);
  if (ABS (g_ascii_strtod (size + strlen ("Page size:"), NULL) - mm * 72.0 / 25.4) > 0.05)
    g_error ("not a %g mm page:\n%s", mm, info);
}

static void
test_receipts (void)
{
  g_autoptr(SaomaAttempt) paid = saoma_attempt_new_full (1, "T01RECEIPT000001", 3850, "奶茶 x2",
                                                         "T01", at (2026, 11, 20, 14, 0, 0),
                                                         at (2026, 11, 20, 14, 0, 40),
                                                         at (2026, 11, 20, 14, 5, 0),
                                                         SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
                                                         "4200000000202611200000012345", NULL,
                                                         1000, at (2026, 11, 20, 14, 0, 40),
                                                         FALSE);
  SaomaLedgerRefund refund = { 1, "RT01RECEIPT00001", "T01RECEIPT000001", 1000, "少一杯",
                               SAOMA_REFUND_SUCCESS, "50300000002026112000000054321",
                               at (2026, 11, 20, 15, 0, 0), at (2026, 11, 20, 15, 0, 9),
                               at (2026, 11, 20, 15, 0, 9) };
  g_autoptr(SaomaReceipt) pay = saoma_receipt_new_for_payment (paid, "小张南山店", "T01");
  g_autoptr(SaomaReceipt) back = saoma_receipt_new_for_refund (paid, &refund, "小张南山店", "T01");
  const char *pay_expect[] = { "小张南山店", "收款小票", "¥38.50", "T01RECEIPT000001",
                               "4200000000202611200000012345", NULL };
  const char *back_expect[] = { "小张南山店", "退款小票", "-¥10.00", "RT01RECEIPT00001",
                                "50300000002026112000000054321", "T01RECEIPT000001", "已退款",
                                NULL };

  receipt (pay, SAOMA_RECEIPT_ROLL_58MM, "receipt-payment-58mm", pay_expect);
  receipt (pay, SAOMA_RECEIPT_ROLL_80MM, "receipt-payment-80mm", pay_expect);
  receipt (back, SAOMA_RECEIPT_ROLL_58MM, "receipt-refund-58mm", back_expect);
  receipt (back, SAOMA_RECEIPT_ROLL_80MM, "receipt-refund-80mm", back_expect);
}

/* Issue 13 + 12.18: a receipt says how the order was paid; in demo mode receipts and the day
 * close PDF say "演示 / DEMO", outside it they do not. */
static void
test_demo_and_method (void)
{
  g_autoptr(SaomaAttempt) code = saoma_attempt_new_full (2, "T01CODE000000001", 1234, "茶",
                                                         "T01", at (2026, 11, 20, 9, 0, 0),
                                                         at (2026, 11, 20, 9, 0, 3),
                                                         at (2026, 11, 20, 9, 1, 0),
                                                         SAOMA_ATTEMPT_PAID,
                                                         "4200000000202611200000099999", NULL,
                                                         0, at (2026, 11, 20, 9, 0, 3), FALSE);
  g_autoptr(SaomaReceipt) demo = NULL;
  g_autoptr(SaomaReceipt) real = NULL;
  g_autoptr(SaomaDayReport) report = fixture ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = g_build_filename (out_dir, "report-demo.pdf", NULL);
  g_autofree char *png = g_build_filename (out_dir, "report-demo", NULL);
  g_autofree char *plain_pdf = g_build_filename (out_dir, "report-real.pdf", NULL);
  g_autofree char *plain_png = g_build_filename (out_dir, "report-real", NULL);
  g_autofree char *text = NULL;
  g_autofree char *plain_text = NULL;
  const char *demo_expect[] = { "演示 / DEMO", "付款码", "¥12.34", "T01CODE000000001", NULL };
  SaomaReportHeader header = { "小张南山店", "T01", "X", NULL, TRUE };
  SaomaReportHeader plain = { "小张南山店", "T01", "X", NULL, FALSE };
  GStatBuf st;

  saoma_attempt_set_method (code, SAOMA_PAYMENT_METHOD_MICROPAY);
  demo = saoma_receipt_new_for_payment (code, "小张南山店", "T01");
  saoma_receipt_set_demo (demo, TRUE);
  receipt (demo, SAOMA_RECEIPT_ROLL_58MM, "receipt-demo-58mm", demo_expect);

  real = saoma_receipt_new_for_payment (code, "小张南山店", "T01");
  saoma_receipt_set_demo (real, FALSE);
  {
    g_autofree char *real_pdf = g_build_filename (out_dir, "receipt-real.pdf", NULL);
    g_autofree char *real_png = g_build_filename (out_dir, "receipt-real", NULL);
    g_autofree char *real_text = NULL;

    g_assert_true (saoma_receipt_write_pdf (real, SAOMA_RECEIPT_ROLL_80MM, real_pdf, &error));
    g_assert_no_error (error);
    real_text = render_and_read (real_pdf, real_png);
    g_assert_null (strstr (real_text, "DEMO"));
    g_assert_nonnull (strstr (real_text, "付款码"));
  }

  g_assert_true (saoma_report_pdf_write (report, &header, pdf, &error));
  g_assert_no_error (error);
  /* Like every export, readable by its owner only. */
  g_assert_cmpint (g_stat (pdf, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  text = render_and_read (pdf, png);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "演示 / DEMO"));
  /* The line by payment method: everything of the fixture was a QR code sale. */
  g_assert_nonnull (strstr (text, "扫码"));
  g_assert_nonnull (strstr (text, "付款码"));

  g_assert_true (saoma_report_pdf_write (report, &plain, plain_pdf, &error));
  g_assert_no_error (error);
  plain_text = render_and_read (plain_pdf, plain_png);
  g_assert_null (strstr (plain_text, "DEMO"));
}

static void
test_headless_english (void)
{
  headless ("en", "Day close report");
}

static void
test_headless_chinese (void)
{
  headless ("zh_CN", "日结报表");
}

/* saoma-cli draws nothing: a report with --pdf is the renderer's (found through
 * $SAOMA_REPORT_RENDERER here), one without runs in saoma-cli even when no renderer exists. */
static void
test_renderer_split (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-report-split-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "ledger.db", NULL);
  g_autofree char *pdf = g_build_filename (dir, "x.pdf", NULL);
  g_autofree char *csv = g_build_filename (dir, "x.csv", NULL);
  g_autofree char *cli = g_strdup (g_getenv ("SAOMA_CLI"));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) env = g_get_environ ();
  int status = 0;

  g_assert_no_error (error);
  g_assert_nonnull (cli);
  {
    g_autoptr(SaomaLedger) ledger = saoma_ledger_open_sync (db, NULL, &error);

    g_assert_no_error (error);
  }
  env = g_environ_setenv (env, "SAOMA_REPORT_RENDERER", "/nonexistent/saoma-report-renderer",
                          TRUE);
  env = g_environ_setenv (env, "LANGUAGE", "en", TRUE);

  {
    const char *argv[] = { cli, "--day-report", "2026-11-20", "--ledger", db, "--csv", csv,
                           NULL };

    g_spawn_sync (NULL, (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("--day-report --csv failed: %s", err);
    g_assert_true (g_str_has_prefix (out, "x-report 2026-11-20: 0 payments"));
    g_assert_true (g_file_test (csv, G_FILE_TEST_EXISTS));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *argv[] = { cli, "--day-report", "2026-11-20", "--ledger", db, "--pdf", pdf,
                           NULL };

    g_spawn_sync (NULL, (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_cmpstr (out, ==, "");
    g_assert_nonnull (strstr (err, "saoma: cannot run /nonexistent/saoma-report-renderer"));
    g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
  }
  g_remove (csv);
  g_remove (db);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *podir = NULL;

  /* The in-process rendering speaks Chinese, from the catalogue built in this tree. */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_setenv ("LANG", "C.UTF-8", TRUE);
  g_unsetenv ("LC_ALL");
  setlocale (LC_ALL, "");
  podir = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, podir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  tz8 = g_time_zone_new_identifier ("+08:00");
  out_dir = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "tests", "app", "report-pdf", NULL);
  g_mkdir_with_parents (out_dir, 0755);

  g_test_add_func ("/report-pdf/chinese", test_pdf_chinese);
  g_test_add_func ("/report-pdf/pages", test_pdf_pages);
  g_test_add_func ("/report-pdf/receipts", test_receipts);
  g_test_add_func ("/report-pdf/demo-and-method", test_demo_and_method);
  g_test_add_func ("/report-pdf/headless-english", test_headless_english);
  g_test_add_func ("/report-pdf/headless-chinese", test_headless_chinese);
  g_test_add_func ("/report-pdf/renderer-split", test_renderer_split);

  return g_test_run ();
}
