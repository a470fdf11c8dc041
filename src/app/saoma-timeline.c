/* saoma-timeline.c: the audit events of a payment as sentences people read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-timeline"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ledger/saoma-ledger.h"
#include "core/saoma-money.h"
#include "saoma-timeline.h"

/* The details are written by the engine in a fixed form (saoma-checkout.c,
 * saoma-micropay-job.c, saoma-refunder.c, the ledger's own transition and refund events,
 * saoma-native-flow.c and saoma-micropay-flow.c's describe functions): the words read here
 * are theirs. A detail in an unknown form still gets its kind's general sentence. */

static const char * const known_kinds[] = {
  "transition",
  "request",
  "response",
  "note",
  "notification",
  "refund",
  SAOMA_LEDGER_LATE_DECISION_KIND,
  SAOMA_LEDGER_STALE_KIND,
  "day-close",
  "day-close-report",
  "day-reopen",
  "manager-pin",
  NULL
};

const char * const *
saoma_timeline_known_kinds (void)
{
  return known_kinds;
}

void
saoma_timeline_entry_free (SaomaTimelineEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->sentence);
  g_free (entry);
}

static gboolean
has (const char *detail,
     const char *word)
{
  return strstr (detail, word) != NULL;
}

/* The word after the last "→ " ("orderquery → NOTPAY" → "NOTPAY"), up to a space, comma or
 * bracket; "" when there is none. */
static char *
answer_of (const char *detail)
{
  const char *arrow = g_strrstr (detail, "→ ");
  gsize n;

  if (arrow == NULL)
    return g_strdup ("");
  arrow += strlen ("→ ");
  n = strcspn (arrow, " ,;()");
  return g_strndup (arrow, n);
}

/* The code in the first "(…)" ("orderquery failed (NETWORK)" → "NETWORK"), or NULL. */
static char *
code_in_brackets (const char *detail)
{
  const char *open = strchr (detail, '(');
  const char *close;

  if (open == NULL || (close = strchr (open, ')')) == NULL || close == open + 1)
    return NULL;
  return g_strndup (open + 1, close - open - 1);
}

/* The amount of "… N fen …" as "¥x.yy", or NULL. No floating point: digits to fen. */
static char *
fen_before (const char *detail,
            const char *suffix)
{
  const char *end = strstr (detail, suffix);
  const char *start;
  guint64 fen = 0;

  if (end == NULL || end == detail)
    return NULL;
  start = end;
  while (start > detail && g_ascii_isdigit (start[-1]))
    start--;
  if (start == end || end - start > 15)
    return NULL;
  for (const char *p = start; p < end; p++)
    fen = fen * 10 + (guint64) (*p - '0');
  return saoma_money_format ((gint64) fen);
}

/* The state a transition detail leads to: "WAITING: …" → "WAITING", "PAID → REFUNDED, …" →
 * "REFUNDED", "CREATED, 3850 fen" → "CREATED". */
static char *
transition_target (const char *detail)
{
  gsize n = strspn (detail, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

  if (n > 0 && g_str_has_prefix (detail + n, " → "))
    return answer_of (detail);
  return g_strndup (detail, n);
}

static char *
transition_sentence (const char *detail)
{
  g_autofree char *to = transition_target (detail);

  if (g_str_equal (to, "CREATED"))
    {
      g_autofree char *amount = fen_before (detail, " fen");

      if (amount != NULL)
        /* Translators: %s is an amount such as ¥38.50 */
        return g_strdup_printf (_("Sale of %s started"), amount);
      return g_strdup (_("Sale started"));
    }
  if (g_str_equal (to, "SUBMITTED"))
    return g_strdup (_("Sending the order to WeChat Pay"));
  if (g_str_equal (to, "WAITING"))
    return g_strdup (_("QR code shown, waiting for the customer to pay"));
  if (g_str_equal (to, "CLOSING"))
    {
      if (has (detail, "cancelled"))
        return g_strdup (_("Cancelled by the cashier; still watching for a late payment"));
      if (has (detail, "expired"))
        return g_strdup (_("The QR code expired; still watching for a late payment"));
      if (has (detail, "gave up"))
        return g_strdup (_("WeChat Pay created the order after the sale was given up; closing it"));
      return g_strdup (_("Closing the unpaid order at WeChat Pay"));
    }
  if (g_str_equal (to, "UNKNOWN"))
    return g_strdup (_("No clear answer from WeChat Pay; asking again"));
  if (g_str_equal (to, "USERPAYING"))
    return g_strdup (_("The customer is entering the payment password"));
  if (g_str_equal (to, "PAID"))
    {
      if (has (detail, "bill"))
        return g_strdup (_("Recorded as paid from WeChat Pay’s bill (reconciliation)"));
      if (has (detail, "late payment"))
        return g_strdup (_("Paid late, after the sale was given up"));
      return g_strdup (_("Paid: WeChat Pay confirmed the payment"));
    }
  if (g_str_equal (to, "CLOSED"))
    return g_strdup (_("Order closed: not paid"));
  if (g_str_equal (to, "FAILED"))
    {
      g_autofree char *code = code_in_brackets (detail);

      if (has (detail, "before") || has (detail, "never"))
        return g_strdup (_("The order never reached WeChat Pay: nothing was charged"));
      if (code != NULL && (has (detail, "rejected") || has (detail, "refused")))
        /* Translators: %s is WeChat Pay's error code, e.g. NOTENOUGH */
        return g_strdup_printf (_("WeChat Pay refused the payment (%s)"), code);
      return g_strdup (_("Payment failed: nothing was charged"));
    }
  if (g_str_equal (to, "REVERSING"))
    return g_strdup (_("Cancelling the payment at WeChat Pay (reverse)"));
  if (g_str_equal (to, "REVOKED"))
    return g_strdup (_("Payment reversed: the customer was not charged"));
  if (g_str_equal (to, "PARTIALLY_REFUNDED") || g_str_equal (to, "REFUNDED"))
    {
      g_autofree char *amount = fen_before (detail, " fen refunded");

      if (g_str_equal (to, "REFUNDED"))
        return amount ? g_strdup_printf (_("Refunded in full (%s)"), amount)
                      : g_strdup (_("Refunded in full"));
      return amount ? g_strdup_printf (_("Partly refunded: %s in total"), amount)
                    : g_strdup (_("Partly refunded"));
    }

  return g_strdup (_("The payment’s state changed"));
}

static char *
request_sentence (const char *detail)
{
  if (g_str_has_prefix (detail, "unifiedorder"))
    return g_strdup (_("Order sent to WeChat Pay"));
  if (g_str_has_prefix (detail, "closeorder"))
    return g_strdup (_("Asked WeChat Pay to close the order"));
  if (g_str_has_prefix (detail, "micropay"))
    return g_strdup (_("Payment code sent to WeChat Pay"));
  if (g_str_has_prefix (detail, "reverse"))
    return g_strdup (_("Asked WeChat Pay to reverse the payment"));
  if (g_str_has_prefix (detail, "refund"))
    {
      g_autofree char *amount = NULL;
      const char *of = strstr (detail, " of ");

      /* "refund NO, 1000 of 3850 fen …": the first number is the refund's. */
      if (of != NULL)
        {
          g_autofree char *head = g_strndup (detail, of - detail);
          g_autofree char *with_unit = g_strconcat (head, " fen", NULL);

          amount = fen_before (with_unit, " fen");
        }
      if (amount != NULL)
        /* Translators: %s is an amount such as ¥10.00 */
        return g_strdup_printf (_("Refund of %s sent to WeChat Pay"), amount);
      return g_strdup (_("Refund sent to WeChat Pay"));
    }
  return g_strdup (_("Request sent to WeChat Pay"));
}

static char *
trade_state_sentence (const char *state)
{
  if (g_str_equal (state, "NOTPAY"))
    return g_strdup (_("WeChat Pay says: not paid yet"));
  if (g_str_equal (state, "SUCCESS"))
    return g_strdup (_("WeChat Pay says: paid"));
  if (g_str_equal (state, "USERPAYING"))
    return g_strdup (_("WeChat Pay says: the customer is entering the password"));
  if (g_str_equal (state, "CLOSED"))
    return g_strdup (_("WeChat Pay says: the order is closed"));
  if (g_str_equal (state, "REVOKED"))
    return g_strdup (_("WeChat Pay says: the payment was reversed"));
  if (g_str_equal (state, "PAYERROR"))
    return g_strdup (_("WeChat Pay says: the payment failed"));
  if (g_str_equal (state, "REFUND"))
    return g_strdup (_("WeChat Pay says: paid, and refunded"));
  if (g_str_equal (state, "ORDERNOTEXIST"))
    return g_strdup (_("WeChat Pay says: no such order"));
  /* Translators: %s is WeChat Pay's answer code */
  return g_strdup_printf (_("WeChat Pay answered: %s"), state[0] ? state : "?");
}

static char *
response_sentence (const char *detail)
{
  g_autofree char *answer = answer_of (detail);
  g_autofree char *code = code_in_brackets (detail);

  if (g_str_has_prefix (detail, "orderquery"))
    {
      if (has (detail, "failed"))
        /* Translators: %s is an error code, e.g. NETWORK or SYSTEMERROR */
        return g_strdup_printf (_("Could not ask WeChat Pay (%s); trying again"),
                                code ? code : "?");
      if (has (detail, "another out_trade_no"))
        return g_strdup (_("WeChat Pay answered about another order: ignored"));
      return trade_state_sentence (answer);
    }
  if (g_str_has_prefix (detail, "unifiedorder"))
    {
      if (has (detail, "not delivered"))
        return g_strdup_printf (_("The order did not reach WeChat Pay (%s); sending it again"),
                                code ? code : "?");
      if (has (detail, "unknown"))
        return g_strdup_printf (_("No clear answer to the order (%s); asking WeChat Pay"),
                                code ? code : "?");
      if (has (detail, "rejected"))
        return g_strdup_printf (_("WeChat Pay refused the order (%s)"), code ? code : "?");
      return g_strdup_printf (_("WeChat Pay answered the order: %s"), answer[0] ? answer : "?");
    }
  if (g_str_has_prefix (detail, "closeorder"))
    return g_strdup_printf (_("WeChat Pay answered the close request: %s"),
                            answer[0] ? answer : "?");
  if (g_str_has_prefix (detail, "micropay"))
    {
      if (g_str_equal (answer, "SUCCESS"))
        return g_strdup (_("WeChat Pay charged the payment code"));
      if (g_str_equal (answer, "USERPAYING"))
        return g_strdup (_("WeChat Pay says: the customer is entering the password"));
      return g_strdup_printf (_("WeChat Pay answered the payment code: %s"),
                              answer[0] ? answer : "?");
    }
  if (g_str_has_prefix (detail, "reverse"))
    {
      if (g_str_equal (answer, "SUCCESS"))
        return g_strdup (_("WeChat Pay reversed the payment"));
      return g_strdup_printf (_("WeChat Pay answered the reverse: %s"), answer[0] ? answer : "?");
    }
  if (g_str_has_prefix (detail, "refundquery"))
    {
      if (g_str_equal (answer, "SUCCESS"))
        return g_strdup (_("WeChat Pay says: the refund is done"));
      if (g_str_equal (answer, "PROCESSING"))
        return g_strdup (_("WeChat Pay says: the refund is on its way"));
      return g_strdup_printf (_("WeChat Pay answered about the refund: %s"),
                              answer[0] ? answer : "?");
    }
  if (g_str_has_prefix (detail, "refund"))
    {
      if (has (detail, "unknown"))
        return g_strdup (_("No clear answer to the refund; trying again"));
      if (g_str_equal (answer, "SUCCESS"))
        return g_strdup (_("WeChat Pay accepted the refund"));
      return g_strdup_printf (_("WeChat Pay answered about the refund: %s"),
                              answer[0] ? answer : "?");
    }
  return g_strdup (_("WeChat Pay answered"));
}

static char *
note_sentence (const char *detail)
{
  if (g_str_has_prefix (detail, "resumed by recovery"))
    return g_strdup (_("Picked up again after Saoma restarted"));
  if (g_str_has_prefix (detail, "late payment of an attempt resumed by recovery"))
    return g_strdup (_("Paid late: the sale was left unfinished when Saoma last closed"));
  if (g_str_has_prefix (detail, "cancelled by the cashier"))
    return g_strdup (_("Cancelled by the cashier"));
  if (g_str_has_prefix (detail, "amount mismatch"))
    return g_strdup (_("WeChat Pay reported a different amount: not marked paid"));
  if (g_str_has_prefix (detail, "refund") && has (detail, "not resumed"))
    return g_strdup (_("A refund could not be picked up again"));
  return g_strdup (_("Note recorded"));
}

static char *
notification_sentence (const char *detail)
{
  if (g_str_has_prefix (detail, "rejected"))
    return g_strdup (_("A payment notification was refused: wrong amount"));
  if (has (detail, "repeated"))
    return g_strdup (_("WeChat Pay sent its notification again"));
  if (has (detail, "already PAID"))
    return g_strdup (_("WeChat Pay sent a payment notification (already paid)"));
  if (has (detail, "confirming"))
    return g_strdup (_("WeChat Pay sent a payment notification; checking it"));
  return g_strdup (_("Payment notification received"));
}

/* "refund NO STATE …" (the refunder's own details): the word after the refund number. */
static char *
refund_word (const char *detail)
{
  g_auto(GStrv) words = g_strsplit (detail, " ", 4);

  const char *word = g_strv_length (words) >= 3 ? words[2] : "";

  return g_strndup (word, strcspn (word, ":,"));
}

static char *
refund_sentence (const char *detail)
{
  g_autofree char *to = answer_of (detail);
  g_autofree char *word = refund_word (detail);

  if (to[0] == '\0')
    {
      g_free (to);
      to = g_strdup (word);
    }

  if (has (detail, " CREATED, "))
    {
      g_autofree char *amount = fen_before (detail, " fen");

      if (amount != NULL)
        /* Translators: %s is an amount such as ¥10.00 */
        return g_strdup_printf (_("Refund of %s recorded"), amount);
      return g_strdup (_("Refund recorded"));
    }
  if (g_str_equal (to, "SUCCESS"))
    return g_strdup (_("Refund done: the money is on its way back to the customer"));
  if (g_str_equal (to, "FAILED") || g_str_equal (to, "CHANGE") ||
      g_str_equal (to, "REFUNDCLOSE"))
    return g_strdup (_("Refund failed"));
  if (g_str_equal (to, "PROCESSING") || g_str_equal (to, "UNKNOWN") ||
      g_str_equal (to, "accepted") || g_str_equal (to, "outcome"))
    return g_strdup (_("Refund in progress"));
  if (g_str_equal (to, "rejected"))
    return g_strdup (_("Refund failed"));
  return g_strdup (_("Refund updated"));
}

/* "KIND: DETAIL" of an engine that no longer held the payment (stopped past its lease while
 * another took it over): its own sentence, said to be no part of the payment's course. */
static char *
stale_sentence (const char *detail)
{
  const char *colon = strstr (detail, ": ");
  g_autofree char *kind = colon != NULL ? g_strndup (detail, colon - detail) : g_strdup (detail);
  g_autofree char *inner = saoma_timeline_sentence (kind, colon != NULL ? colon + 2 : "", NULL);

  /* Translators: %s is what that till recorded, e.g. "WeChat Pay answered: closed" */
  return g_strdup_printf (_("From a till that no longer handled this payment (not acted on): %s"),
                          inner);
}

/**
 * saoma_timeline_sentence:
 * @kind: the event's kind
 * @detail: (nullable): its detail
 * @out_mapped: (out) (optional): FALSE when @kind is unknown
 *
 * Returns: (transfer full): the translated sentence
 */
char *
saoma_timeline_sentence (const char *kind,
                         const char *detail,
                         gboolean   *out_mapped)
{
  if (out_mapped != NULL)
    *out_mapped = TRUE;
  if (detail == NULL)
    detail = "";
  if (kind == NULL)
    kind = "";

  if (g_str_equal (kind, "transition"))
    return transition_sentence (detail);
  if (g_str_equal (kind, "request"))
    return request_sentence (detail);
  if (g_str_equal (kind, "response"))
    return response_sentence (detail);
  if (g_str_equal (kind, "note"))
    return note_sentence (detail);
  if (g_str_equal (kind, "notification"))
    return notification_sentence (detail);
  if (g_str_equal (kind, "refund"))
    return refund_sentence (detail);
  if (g_str_equal (kind, SAOMA_LEDGER_LATE_DECISION_KIND))
    {
      if (g_str_has_prefix (detail, "honoured"))
        return g_strdup (_("Decision recorded: the sale stands (honoured)"));
      if (g_str_has_prefix (detail, "refunded"))
        return g_strdup (_("Decision recorded: the money was refunded"));
      return g_strdup (_("Decision recorded"));
    }
  if (g_str_equal (kind, SAOMA_LEDGER_STALE_KIND))
    return stale_sentence (detail);
  if (g_str_equal (kind, "day-close"))
    return g_strdup (_("Day closed (Z report)"));
  if (g_str_equal (kind, "day-close-report"))
    return g_strdup (_("Z report stored"));
  if (g_str_equal (kind, "day-reopen"))
    return g_strdup (_("Closed day reopened by the manager"));
  if (g_str_equal (kind, "manager-pin"))
    return g_strdup (_("Manager PIN event recorded"));

  if (out_mapped != NULL)
    *out_mapped = FALSE;
  return g_strdup (_("Event recorded"));
}

/**
 * saoma_timeline_sentence_repeated:
 * @count: how many such events in a row (≥ 1)
 *
 * Returns: (transfer full): the sentence for @count events
 */
char *
saoma_timeline_sentence_repeated (const char *kind,
                                  const char *detail,
                                  guint       count)
{
  g_autofree char *one = saoma_timeline_sentence (kind, detail, NULL);
  g_autofree char *answer = NULL;

  if (count <= 1)
    return g_steal_pointer (&one);

  /* The usual repeat, a query every few seconds while the customer has not paid, reads
   * best as one sentence. */
  if (g_strcmp0 (kind, "response") == 0 && detail != NULL &&
      g_str_has_prefix (detail, "orderquery") && !has (detail, "failed") &&
      g_str_equal ((answer = answer_of (detail)), "NOTPAY"))
    return g_strdup_printf (ngettext ("Asked WeChat Pay %u time: not paid yet",
                                      "Asked WeChat Pay %u times: not paid yet", count),
                            count);

  /* Translators: a timeline line said several times in a row, e.g. "Order sent to WeChat
   * Pay (3 times)" */
  return g_strdup_printf (ngettext ("%s (%u time)", "%s (%u times)", count), one, count);
}

/**
 * saoma_timeline_build:
 * @events: (element-type SaomaLedgerEvent): the events, oldest first
 *
 * Returns: (transfer container) (element-type SaomaTimelineEntry): one entry per run of
 *   events with the same sentence
 */
GPtrArray *
saoma_timeline_build (GPtrArray *events)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) saoma_timeline_entry_free);
  g_autofree char *run_sentence = NULL;
  const SaomaLedgerEvent *run_first = NULL;
  SaomaTimelineEntry *entry = NULL;

  g_return_val_if_fail (events != NULL, entries);

  for (guint i = 0; i < events->len; i++)
    {
      const SaomaLedgerEvent *event = g_ptr_array_index (events, i);
      g_autofree char *sentence = saoma_timeline_sentence (event->kind, event->detail, NULL);

      if (entry != NULL && g_strcmp0 (event->kind, run_first->kind) == 0 &&
          g_str_equal (sentence, run_sentence))
        {
          entry->count++;
          entry->last_time = event->time;
          g_free (entry->sentence);
          entry->sentence = saoma_timeline_sentence_repeated (run_first->kind, run_first->detail,
                                                              entry->count);
          continue;
        }

      entry = g_new0 (SaomaTimelineEntry, 1);
      entry->first_time = entry->last_time = event->time;
      entry->count = 1;
      entry->sentence = g_strdup (sentence);
      g_ptr_array_add (entries, entry);
      run_first = event;
      g_free (run_sentence);
      run_sentence = g_steal_pointer (&sentence);
    }

  return entries;
}
