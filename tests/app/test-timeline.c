/* test-timeline.c: every event the ledger holds reads as a sentence (issue 12.14).
 *
 * A table of real details (as the engine writes them) and their sentences, in English and in
 * zh_CN; repeats collapse; and every kind written anywhere in src/ (found by scanning the
 * sources, so a new kind without a sentence fails here) has one. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include "saoma-timeline.h"
#include "ledger/saoma-ledger.h"

typedef struct {
  const char *kind;
  const char *detail;
  const char *en;
  const char *zh;
} Row;

/* Details copied from what saoma-checkout.c, saoma-micropay-job.c, saoma-refunder.c, the
 * notification listener, the flows' describe functions and the ledger write. */
static const Row rows[] = {
  { "transition", "CREATED, 3850 fen", "Sale of ¥38.50 started", "开始收款 ¥38.50" },
  { "transition", "SUBMITTED: sending unifiedorder", "Sending the order to WeChat Pay",
    "正在向微信支付下单" },
  { "transition", "WAITING: unifiedorder → SUCCESS, QR shown",
    "QR code shown, waiting for the customer to pay", "二维码已显示，等待顾客付款" },
  { "transition", "CLOSING: cancelled, QR hidden, still watching",
    "Cancelled by the cashier; still watching for a late payment", NULL },
  { "transition", "CLOSING: expired, QR hidden, still watching",
    "The QR code expired; still watching for a late payment", NULL },
  { "transition", "CLOSING: order is NOTPAY, closing", "Closing the unpaid order at WeChat Pay",
    NULL },
  { "transition", "UNKNOWN: unifiedorder outcome unknown (NETWORK)",
    "No clear answer from WeChat Pay; asking again", NULL },
  { "transition", "PAID: orderquery trade_state=SUCCESS, transaction_id=4200001",
    "Paid: WeChat Pay confirmed the payment", "已付款：微信支付确认收款" },
  { "transition", "PAID: orderquery trade_state=SUCCESS, transaction_id=42 (late payment)",
    "Paid late, after the sale was given up", NULL },
  { "transition", "CLOSED: orderquery trade_state=CLOSED", "Order closed: not paid", NULL },
  { "transition", "FAILED: cancelled before unifiedorder was sent",
    "The order never reached WeChat Pay: nothing was charged", NULL },
  { "transition", "FAILED: micropay refused (NOTENOUGH)",
    "WeChat Pay refused the payment (NOTENOUGH)", NULL },
  { "transition", "USERPAYING: the payer is entering the password",
    "The customer is entering the payment password", NULL },
  { "transition", "REVERSING: cancelled, reversing",
    "Cancelling the payment at WeChat Pay (reverse)", NULL },
  { "transition", "REVOKED: orderquery trade_state=REVOKED",
    "Payment reversed: the customer was not charged", NULL },
  { "transition", "PAID → PARTIALLY_REFUNDED, 1000 fen refunded",
    "Partly refunded: ¥10.00 in total", "部分退款：共退 ¥10.00" },
  { "transition", "PARTIALLY_REFUNDED → REFUNDED, 3850 fen refunded",
    "Refunded in full (¥38.50)", NULL },
  { "transition", "WAITING → CLOSING", "Closing the unpaid order at WeChat Pay", NULL },
  { "transition", "recorded from WeChat's bill (reconciliation: paid only at WeChat)",
    "The payment’s state changed", NULL },
  { "request", "unifiedorder total_fee=3850 time_expire=20261203041559",
    "Order sent to WeChat Pay", "已向微信支付下单" },
  { "request", "closeorder", "Asked WeChat Pay to close the order", NULL },
  { "request", "micropay total_fee=1234", "Payment code sent to WeChat Pay", NULL },
  { "request", "reverse (call 1)", "Asked WeChat Pay to reverse the payment", NULL },
  { "request", "refund R01, 1000 of 3850 fen", "Refund of ¥10.00 sent to WeChat Pay", NULL },
  { "response", "orderquery → NOTPAY", "WeChat Pay says: not paid yet", "微信支付：尚未付款" },
  { "response", "orderquery → SUCCESS", "WeChat Pay says: paid", NULL },
  { "response", "orderquery → USERPAYING",
    "WeChat Pay says: the customer is entering the password", NULL },
  { "response", "orderquery failed (NETWORK)", "Could not ask WeChat Pay (NETWORK); trying again",
    NULL },
  { "response", "orderquery → ORDERNOTEXIST", "WeChat Pay says: no such order", NULL },
  { "response", "unifiedorder not delivered (NETWORK), retrying",
    "The order did not reach WeChat Pay (NETWORK); sending it again", NULL },
  { "response", "unifiedorder outcome unknown (SYSTEMERROR)",
    "No clear answer to the order (SYSTEMERROR); asking WeChat Pay", NULL },
  { "response", "closeorder → SUCCESS", "WeChat Pay answered the close request: SUCCESS", NULL },
  { "response", "micropay → SUCCESS", "WeChat Pay charged the payment code", NULL },
  { "response", "micropay → USERPAYING",
    "WeChat Pay says: the customer is entering the password", NULL },
  { "response", "reverse → SUCCESS, recall=N", "WeChat Pay reversed the payment", NULL },
  { "response", "refund R01 → SUCCESS (accepted)", "WeChat Pay accepted the refund", NULL },
  { "response", "refundquery R01 → PROCESSING", "WeChat Pay says: the refund is on its way",
    NULL },
  { "note", "resumed by recovery from WAITING", "Picked up again after Saoma restarted", NULL },
  { "note", "late payment of an attempt resumed by recovery: left unfinished by the last run, "
            "not given up by the cashier",
    "Paid late: the sale was left unfinished when Saoma last closed",
    "超时到账：上次关闭收银台时这笔收款尚未完成" },
  { "note", "cancelled by the cashier", "Cancelled by the cashier", NULL },
  { "note", "amount mismatch in orderquery: not marked paid",
    "WeChat Pay reported a different amount: not marked paid", NULL },
  { "notification", "payment notification, confirming by orderquery",
    "WeChat Pay sent a payment notification; checking it", NULL },
  { "notification", "notification repeated 3 times (answered SUCCESS from memory)",
    "WeChat Pay sent its notification again", NULL },
  { "notification", "rejected: total_fee 1 differs from the amount",
    "A payment notification was refused: wrong amount", NULL },
  { "refund", "refund R01 CREATED, 1000 fen", "Refund of ¥10.00 recorded", "已登记退款 ¥10.00" },
  { "refund", "refund R01 PROCESSING → SUCCESS",
    "Refund done: the money is on its way back to the customer", NULL },
  { "refund", "refund R01 UNKNOWN → FAILED", "Refund failed", NULL },
  { "refund", "refund R01 accepted by WeChat", "Refund in progress", NULL },
  { "refund", "refund R01 SUCCESS by refundquery",
    "Refund done: the money is on its way back to the customer", NULL },
  { "refund", "refund R01 rejected: NOTENOUGH", "Refund failed", NULL },
  { SAOMA_LEDGER_LATE_DECISION_KIND, "honoured", "Decision recorded: the sale stands (honoured)",
    NULL },
  { SAOMA_LEDGER_LATE_DECISION_KIND, "refunded: gave the money back",
    "Decision recorded: the money was refunded", NULL },
  { "day-close", "2026-11-27", "Day closed (Z report)", NULL },
  { "day-close-report", "…", "Z report stored", NULL },
  { "day-reopen", "2026-11-27", "Closed day reopened by the manager", NULL },
  { "manager-pin", "set", "Manager PIN event recorded", NULL },
  { SAOMA_LEDGER_STALE_KIND, "response: orderquery → NOTPAY",
    "From a till that no longer handled this payment (not acted on): WeChat Pay says: not paid "
    "yet", "来自已不再处理这笔付款的收银台（未采用）：微信支付：尚未付款" },
};

static void
use_language (const char *lang)
{
  g_setenv ("LANGUAGE", lang, TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  /* Make gettext notice the change of LANGUAGE. */
  textdomain (textdomain (NULL));
}

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gboolean mapped = FALSE;
      g_autofree char *text = saoma_timeline_sentence (rows[i].kind, rows[i].detail, &mapped);

      g_test_message ("%s / %s → %s", rows[i].kind, rows[i].detail, text);
      g_assert_true (mapped);
      g_assert_cmpstr (text, ==, rows[i].en);
    }
}

static void
test_table_zh (void)
{
  use_language ("zh_CN");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *text = saoma_timeline_sentence (rows[i].kind, rows[i].detail, NULL);

      /* Every sentence is translated: none is left in English. */
      g_assert_cmpstr (text, !=, rows[i].en);
      if (rows[i].zh != NULL)
        g_assert_cmpstr (text, ==, rows[i].zh);
    }
  use_language ("en");
}

static void
test_unknown_kind (void)
{
  gboolean mapped = TRUE;
  g_autofree char *text = saoma_timeline_sentence ("no-such-kind", "x", &mapped);

  g_assert_false (mapped);
  g_assert_nonnull (text);
}

static SaomaLedgerEvent *
event (gint64      time,
       const char *kind,
       const char *detail)
{
  SaomaLedgerEvent *e = g_new0 (SaomaLedgerEvent, 1);

  e->time = time;
  e->kind = g_strdup (kind);
  e->detail = g_strdup (detail);
  return e;
}

static void
test_collapse (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (
    (GDestroyNotify) saoma_ledger_event_free);
  g_autoptr(GPtrArray) entries = NULL;
  SaomaTimelineEntry *e;

  g_ptr_array_add (events, event (1, "transition", "CREATED, 3850 fen"));
  g_ptr_array_add (events, event (2, "request", "unifiedorder total_fee=3850"));
  for (guint i = 0; i < 14; i++)
    g_ptr_array_add (events, event (10 + i, "response", "orderquery → NOTPAY"));
  g_ptr_array_add (events, event (30, "response", "orderquery failed (NETWORK)"));
  g_ptr_array_add (events, event (31, "response", "orderquery failed (NETWORK)"));
  g_ptr_array_add (events, event (40, "response", "orderquery → NOTPAY"));

  entries = saoma_timeline_build (events);
  g_assert_cmpuint (entries->len, ==, 5);
  e = g_ptr_array_index (entries, 2);
  g_assert_cmpuint (e->count, ==, 14);
  g_assert_cmpint (e->first_time, ==, 10);
  g_assert_cmpint (e->last_time, ==, 23);
  g_assert_cmpstr (e->sentence, ==, "Asked WeChat Pay 14 times: not paid yet");
  e = g_ptr_array_index (entries, 3);
  g_assert_cmpstr (e->sentence, ==, "Could not ask WeChat Pay (NETWORK); trying again (2 times)");
  e = g_ptr_array_index (entries, 4);
  g_assert_cmpuint (e->count, ==, 1);
  g_assert_cmpstr (e->sentence, ==, "WeChat Pay says: not paid yet");

  use_language ("zh_CN");
  {
    g_autofree char *zh = saoma_timeline_sentence_repeated ("response", "orderquery → NOTPAY", 14);

    g_assert_cmpstr (zh, ==, "已查询微信支付 14 次：尚未付款");
  }
  use_language ("en");
}

/* Every kind the sources write: string literals passed as the kind of an event
 * (driver_event / job_event / saoma_operation_event / append_event / ledger_insert_event /
 * .event_kind =), and the *_KIND macros. A kind the timeline does not know fails. */
static void
collect_kinds (const char *path,
               GHashTable *kinds)
{
  static const char *patterns[] = {
    "(?:driver_event|job_event)\\s*\\(\\s*\\w+\\s*,\\s*\"([a-z-]+)\"",
    "saoma_operation_event\\s*\\([^,]+,\\s*\"([a-z-]+)\"",
    "append_event_(?:async|sync)\\s*\\([^,]+,[^,]+,\\s*\"([a-z-]+)\"",
    "ledger_insert_event\\s*\\([^,]+,[^,]+,[^,]+,\\s*\"([a-z-]+)\"",
    "event_kind\\s*=\\s*\"([a-z-]+)\"",
    "#define\\s+\\w*KIND\\w*\\s+\"([a-z-]+)\"",
    "event_kind \\? event_kind : \"([a-z-]+)\"",
  };
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(GRegex) re = g_regex_new (patterns[i], G_REGEX_MULTILINE, 0, &error);
      g_autoptr(GMatchInfo) match = NULL;

      g_assert_no_error (error);
      g_regex_match (re, text, 0, &match);
      while (g_match_info_matches (match))
        {
          g_hash_table_add (kinds, g_match_info_fetch (match, 1));
          g_match_info_next (match, NULL);
        }
    }
}

static void
walk (const char *dir,
      GHashTable *kinds)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        walk (path, kinds);
      else if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h"))
        collect_kinds (path, kinds);
    }
}

static void
test_every_written_kind (void)
{
  g_autofree char *src = g_build_filename (BUILD_SRCDIR, "src", NULL);
  g_autoptr(GHashTable) kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;
  guint unmapped = 0;

  walk (src, kinds);
  /* The scan finds what it should: the kinds of the engine's main paths. */
  g_assert_true (g_hash_table_contains (kinds, "transition"));
  g_assert_true (g_hash_table_contains (kinds, "response"));
  g_assert_true (g_hash_table_contains (kinds, "day-close"));
  g_assert_cmpuint (g_hash_table_size (kinds), >=, 8);

  g_hash_table_iter_init (&iter, kinds);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gboolean mapped = FALSE;
      g_autofree char *text = saoma_timeline_sentence (key, "", &mapped);

      g_test_message ("written kind: %s", (const char *) key);
      if (!mapped || !g_strv_contains (saoma_timeline_known_kinds (), key))
        {
          g_test_message ("event kind \"%s\" is written but has no timeline sentence",
                          (const char *) key);
          unmapped++;
        }
    }
  g_assert_cmpuint (unmapped, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  if (g_getenv ("SAOMA_LOCALEDIR") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SAOMA_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/timeline/table", test_table);
  g_test_add_func ("/timeline/table-zh", test_table_zh);
  g_test_add_func ("/timeline/unknown-kind", test_unknown_kind);
  g_test_add_func ("/timeline/collapse", test_collapse);
  g_test_add_func ("/timeline/every-written-kind", test_every_written_kind);

  return g_test_run ();
}
