/* saoma-micropay-flow.c: the micropay (付款码) flow of wxpay-v2.md §13.1, as pure functions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *           write before send          USERPAYING: query every 5 s
 *   CREATED ────────────────▶ SUBMITTED ──────────────────▶ USERPAYING ──SUCCESS──▶ PAID
 *      │ cancelled /           │  │  │ timeout, SYSTEMERROR      │                    ▲
 *      │ resumed unsent        │  │  ▼                           │ still open 45 s    │ final
 *      ▼      refused, PAYERROR│  │ UNKNOWN ──(query)────────────┤ after creation,    │ query
 *    FAILED ◀──────────────────┘  │                              ▼ or cancelled       │
 *      ▲                          └─ SUCCESS ─▶ PAID          REVERSING ──────────────┘
 *      └──── final query: PAYERROR, ORDERNOTEXIST ────────────── │ reverse (≥ 15 s after the
 *                                                                ▼ pay call, recall/errors
 *                                                             REVOKED   retried ≤ 10), query
 *
 * The pay call leaves exactly once, after SUBMITTED is on record, and is never repeated: a
 * second micropay could charge the code again if the first is still being processed. An open
 * outcome is resolved by orderquery; whatever is still open 45 s after creation (the moment
 * WeChat itself reverses an unpaid micropay) is reversed, then queried once more, and that
 * query decides: paid, revoked, failed, or (still open) another round of reverses. An attempt
 * resumed by recovery is queried first. A reversed or failed attempt is final: a new code
 * needs a new attempt with a new out_trade_no.
 *
 * Every transition this flow writes (from → to: why); the store's micropay table allows each:
 *
 *   CREATED    → SUBMITTED:  about to send micropay (write before send)
 *   CREATED    → FAILED:     cancelled before the pay call; resumed with nothing sent
 *   SUBMITTED  → PAID:       micropay SUCCESS; orderquery SUCCESS
 *   SUBMITTED  → USERPAYING: micropay/orderquery USERPAYING
 *   SUBMITTED  → UNKNOWN:    micropay outcome unknown
 *   SUBMITTED  → FAILED:     micropay refused; never reached WeChat; PAYERROR
 *   SUBMITTED  → REVOKED:    orderquery REVOKED/CLOSED (resumed)
 *   SUBMITTED  → REVERSING:  cancelled, or still open at the give-up
 *   UNKNOWN    → USERPAYING / PAID / REVOKED / FAILED (PAYERROR) / REVERSING: as above
 *   USERPAYING → PAID / REVOKED / FAILED (PAYERROR) / REVERSING: as above
 *   REVERSING  → PAID:       the final query finds it paid (the reverse did not take)
 *   REVERSING  → REVOKED:    the final query finds it REVOKED/CLOSED
 *   REVERSING  → FAILED:     the final query: PAYERROR, or ORDERNOTEXIST
 */

#define G_LOG_DOMAIN "saoma-micropay-flow"

#include "config.h"

#include <string.h>

#include "saoma-gateway.h"
#include "saoma-micropay-flow.h"

#define SEC G_USEC_PER_SEC

const SaomaMicropayTiming saoma_micropay_default_timing = {
  .poll = 5 * SEC,
  .unknown_wait = 5 * SEC,
  .reverse_after = 15 * SEC,
  .give_up = 45 * SEC,
  .reverse_retry = 5 * SEC,
  .reverse_max = 10,
  .round_wait = 30 * SEC,
};

/**
 * saoma_micropay_answer_for_error:
 * @error: (nullable): what a micropay, orderquery or reverse call ended with
 *
 * Returns: the class of an error answer (PAID for %NULL on micropay; the caller classifies
 *   successful answers itself)
 */
SaomaMicropayAnswer
saoma_micropay_answer_for_error (const GError *error)
{
  if (error == NULL)
    return SAOMA_MICROPAY_ANSWER_PAID;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_USER_PAYING))
    return SAOMA_MICROPAY_ANSWER_USERPAYING;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
    return SAOMA_MICROPAY_ANSWER_NOT_EXIST;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_PAID) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_CLOSED) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_REVERSED))
    return SAOMA_MICROPAY_ANSWER_ORDER_ENDED;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_MISMATCH))
    return SAOMA_MICROPAY_ANSWER_WRONG;
  if (saoma_gateway_error_is_outcome_unknown (error))
    return SAOMA_MICROPAY_ANSWER_UNKNOWN;
  /* The request never got WeChat's judgement: it did not leave, or a proxy turned it away. */
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONNECT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CANCELLED) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_HTTP_CLIENT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_RATE_LIMITED))
    return SAOMA_MICROPAY_ANSWER_NOT_SENT;
  return SAOMA_MICROPAY_ANSWER_REFUSED;
}

/**
 * saoma_micropay_facts_init:
 *
 * A fresh attempt: CREATED, not yet on record, nothing sent.
 */
void
saoma_micropay_facts_init (SaomaMicropayFacts *facts,
                           gint64              created)
{
  *facts = (SaomaMicropayFacts) { 0 };
  facts->state = SAOMA_ATTEMPT_CREATED;
  facts->created = created;
}

/**
 * saoma_micropay_facts_resume:
 * @state: the state on record
 * @updated: when the record last changed (the pay call left just after SUBMITTED was
 *   written, so no later than a second after this for a SUBMITTED record, and before it for
 *   any later state)
 *
 * An attempt of an earlier run. CREATED was never sent (write before send); anything later
 * may have been: it is queried first, and reversed if still open past the give-up.
 */
void
saoma_micropay_facts_resume (SaomaMicropayFacts *facts,
                             SaomaAttemptState   state,
                             gint64              created,
                             gint64              updated,
                             gint64              now)
{
  saoma_micropay_facts_init (facts, created);
  facts->state = state;
  facts->inserted = TRUE;
  facts->resumed = TRUE;
  facts->sent = state != SAOMA_ATTEMPT_CREATED;
  facts->requested = facts->sent;
  facts->pay_at = MAX (created, updated) + SEC;
  facts->query_at = now;
}

/**
 * saoma_micropay_give_up:
 *
 * The cashier cancels: an unsent attempt fails, a sent one is reversed (not before the 15 s).
 *
 * Returns: %FALSE when there was nothing to give up
 */
gboolean
saoma_micropay_give_up (SaomaMicropayFacts *facts)
{
  if (facts->giving_up || saoma_attempt_state_is_final (facts->state) ||
      facts->state == SAOMA_ATTEMPT_CLOSING)
    return FALSE;

  facts->giving_up = TRUE;
  return TRUE;
}

static void
set_news (SaomaMicropayFacts *f,
          SaomaMicropayNews   news,
          const char         *code)
{
  f->news = news;
  f->news_code = code;
}

static void
absorb_pay (SaomaMicropayFacts        *f,
            SaomaMicropayAnswer        answer,
            const char                *code,
            gint64                     now,
            const SaomaMicropayTiming *t)
{
  switch (answer)
    {
    case SAOMA_MICROPAY_ANSWER_PAID:
      set_news (f, SAOMA_MICROPAY_NEWS_PAID, code);
      return;
    case SAOMA_MICROPAY_ANSWER_USERPAYING:
      f->query_at = now + t->poll;
      if (f->state == SAOMA_ATTEMPT_SUBMITTED)
        set_news (f, SAOMA_MICROPAY_NEWS_USERPAYING, code);
      return;
    case SAOMA_MICROPAY_ANSWER_REFUSED:
      /* A definite "no" to the only pay call there is: no order was charged. */
      set_news (f, SAOMA_MICROPAY_NEWS_REFUSED, code);
      return;
    case SAOMA_MICROPAY_ANSWER_NOT_SENT:
      set_news (f, SAOMA_MICROPAY_NEWS_NEVER_REACHED, code);
      return;
    case SAOMA_MICROPAY_ANSWER_ORDER_ENDED:
      /* The order exists and has ended: its state tells how. */
      f->query_at = now;
      return;
    case SAOMA_MICROPAY_ANSWER_NOTPAY:
    case SAOMA_MICROPAY_ANSWER_UNKNOWN:
    case SAOMA_MICROPAY_ANSWER_REVOKED:
    case SAOMA_MICROPAY_ANSWER_PAY_ERROR:
    case SAOMA_MICROPAY_ANSWER_NOT_EXIST:
    case SAOMA_MICROPAY_ANSWER_WRONG:
    case SAOMA_MICROPAY_ANSWER_REVERSED:
    case SAOMA_MICROPAY_ANSWER_RECALL:
    default:
      /* SYSTEMERROR, timeout, lost answer: wait, then ask (§13.1 step 2). */
      f->query_at = now + t->unknown_wait;
      if (f->state == SAOMA_ATTEMPT_SUBMITTED)
        set_news (f, SAOMA_MICROPAY_NEWS_UNKNOWN, code);
      return;
    }
}

static void
absorb_query (SaomaMicropayFacts        *f,
              SaomaMicropayAnswer        answer,
              const char                *code,
              gint64                     now,
              const SaomaMicropayTiming *t)
{
  gboolean reversing = f->state == SAOMA_ATTEMPT_CLOSING;

  f->query_at = now + t->poll;

  switch (answer)
    {
    case SAOMA_MICROPAY_ANSWER_PAID:
      f->queried = TRUE;
      set_news (f, SAOMA_MICROPAY_NEWS_PAID, code);
      return;
    case SAOMA_MICROPAY_ANSWER_REVOKED:
      f->queried = TRUE;
      set_news (f, SAOMA_MICROPAY_NEWS_REVOKED, code);
      return;
    case SAOMA_MICROPAY_ANSWER_PAY_ERROR:
      f->queried = TRUE;
      set_news (f, SAOMA_MICROPAY_NEWS_PAY_ERROR, code);
      return;
    case SAOMA_MICROPAY_ANSWER_USERPAYING:
    case SAOMA_MICROPAY_ANSWER_NOTPAY:
      f->queried = TRUE;
      if (reversing && f->reverse_done)
        {
          /* The reverse did not take: another round, a little later. */
          f->reverse_done = FALSE;
          f->reverse_calls = 0;
          f->reverse_at = now + t->round_wait;
        }
      else if (answer == SAOMA_MICROPAY_ANSWER_USERPAYING && !reversing &&
               f->state != SAOMA_ATTEMPT_WAITING)
        set_news (f, SAOMA_MICROPAY_NEWS_USERPAYING, code);
      return;
    case SAOMA_MICROPAY_ANSWER_NOT_EXIST:
      f->queried = TRUE;
      /* Only after the reverse is no order proof enough: before it, a pay call still being
       * processed may yet create one (the official demo fails at once; we do not). */
      if (reversing && f->reverse_done)
        set_news (f, SAOMA_MICROPAY_NEWS_NEVER_EXISTED, code);
      return;
    case SAOMA_MICROPAY_ANSWER_ORDER_ENDED:
    case SAOMA_MICROPAY_ANSWER_UNKNOWN:
    case SAOMA_MICROPAY_ANSWER_NOT_SENT:
    case SAOMA_MICROPAY_ANSWER_REFUSED:
    case SAOMA_MICROPAY_ANSWER_WRONG:
    case SAOMA_MICROPAY_ANSWER_REVERSED:
    case SAOMA_MICROPAY_ANSWER_RECALL:
    default:
      /* Nothing learnt: ask again when due. */
      return;
    }
}

static void
absorb_reverse (SaomaMicropayFacts        *f,
                SaomaMicropayAnswer        answer,
                gint64                     now,
                const SaomaMicropayTiming *t)
{
  f->reverse_calls++;

  switch (answer)
    {
    case SAOMA_MICROPAY_ANSWER_RECALL:
    case SAOMA_MICROPAY_ANSWER_UNKNOWN:
    case SAOMA_MICROPAY_ANSWER_NOT_SENT:
    case SAOMA_MICROPAY_ANSWER_WRONG:
      /* recall=Y, or no answer or an error: call again, within the documented limit. */
      if (f->reverse_calls < t->reverse_max)
        {
          f->reverse_at = now + t->reverse_retry;
          return;
        }
      break;
    case SAOMA_MICROPAY_ANSWER_REVERSED:
    case SAOMA_MICROPAY_ANSWER_NOT_EXIST:
    case SAOMA_MICROPAY_ANSWER_REFUSED:
    case SAOMA_MICROPAY_ANSWER_ORDER_ENDED:
    case SAOMA_MICROPAY_ANSWER_PAID:
    case SAOMA_MICROPAY_ANSWER_USERPAYING:
    case SAOMA_MICROPAY_ANSWER_NOTPAY:
    case SAOMA_MICROPAY_ANSWER_REVOKED:
    case SAOMA_MICROPAY_ANSWER_PAY_ERROR:
    default:
      /* Done, or a definite refusal (REVERSE_EXPIRE, already refunded): the query decides. */
      break;
    }

  f->reverse_done = TRUE;
  f->query_at = now;
}

/**
 * saoma_micropay_absorb:
 * @call: the request that was answered
 * @answer: the class of its answer
 * @code: (nullable): interned protocol code or trade_state, for the audit text
 *
 * Folds an answer into the facts; verdicts that need a write become the facts' news.
 */
void
saoma_micropay_absorb (SaomaMicropayFacts        *facts,
                       SaomaMicropayCall          call,
                       SaomaMicropayAnswer        answer,
                       const char                *code,
                       gint64                     now,
                       const SaomaMicropayTiming *timing)
{
  g_return_if_fail (facts != NULL && timing != NULL);

  facts->net_busy = FALSE;
  switch (call)
    {
    case SAOMA_MICROPAY_CALL_PAY:
      absorb_pay (facts, answer, code, now, timing);
      break;
    case SAOMA_MICROPAY_CALL_QUERY:
      absorb_query (facts, answer, code, now, timing);
      break;
    case SAOMA_MICROPAY_CALL_REVERSE:
    default:
      absorb_reverse (facts, answer, now, timing);
      break;
    }

  /* A final state on record is never contradicted by a later answer. */
  if (saoma_attempt_state_is_final (facts->state))
    set_news (facts, SAOMA_MICROPAY_NEWS_NONE, NULL);
}

/**
 * saoma_micropay_write_failed:
 * @durable: the state still on record
 *
 * The one policy for a failed write (see SaomaOperation): fall back to the durable state; a
 * verdict that did not become durable is asked for again by a query, never re-sent.
 */
void
saoma_micropay_write_failed (SaomaMicropayFacts *facts,
                             SaomaAttemptState   durable,
                             gint64              now)
{
  facts->state = durable;
  facts->writing = FALSE;
  if (!facts->requested)
    facts->sent = durable != SAOMA_ATTEMPT_CREATED;
  else
    facts->query_at = now;
}

/**
 * saoma_micropay_carried_out:
 *
 * The decision is being carried out: what it consumed is no longer pending.
 */
void
saoma_micropay_carried_out (SaomaMicropayFacts          *facts,
                            const SaomaMicropayDecision *decision,
                            gint64                       now)
{
  switch (decision->action)
    {
    case SAOMA_MICROPAY_ACTION_WRITE:
    case SAOMA_MICROPAY_ACTION_FAIL:
      facts->state = decision->to;
      facts->writing = TRUE;
      set_news (facts, SAOMA_MICROPAY_NEWS_NONE, NULL);
      if (decision->why == SAOMA_MICROPAY_WHY_SUBMIT)
        facts->sent = TRUE;
      break;
    case SAOMA_MICROPAY_ACTION_PAY:
      facts->requested = TRUE;
      facts->pay_at = now;
      facts->net_busy = TRUE;
      break;
    case SAOMA_MICROPAY_ACTION_QUERY:
    case SAOMA_MICROPAY_ACTION_REVERSE:
      facts->net_busy = TRUE;
      break;
    case SAOMA_MICROPAY_ACTION_NONE:
    case SAOMA_MICROPAY_ACTION_DONE:
    case SAOMA_MICROPAY_ACTION_WAIT:
    default:
      break;
    }
}

/* --- The decision ------------------------------------------------------------------------- */

static SaomaMicropayDecision
act (SaomaMicropayAction action)
{
  return (SaomaMicropayDecision){ .action = action };
}

static SaomaMicropayDecision
to_write (SaomaAttemptState to,
          SaomaMicropayWhy  why)
{
  return (SaomaMicropayDecision){ .action = SAOMA_MICROPAY_ACTION_WRITE, .to = to, .why = why };
}

static SaomaMicropayDecision
to_fail (SaomaMicropayWhy why)
{
  return (SaomaMicropayDecision){ .action = SAOMA_MICROPAY_ACTION_FAIL,
                                  .to = SAOMA_ATTEMPT_FAILED, .why = why };
}

/* @action once @when has come; else wait until @wake (≤ @when). */
static SaomaMicropayDecision
when_due (SaomaMicropayAction action,
          gint64              when,
          gint64              wake,
          gint64              now)
{
  if (when <= now)
    return act (action);
  return (SaomaMicropayDecision){ .action = SAOMA_MICROPAY_ACTION_WAIT, .at = MIN (when, wake) };
}

static SaomaMicropayDecision
decide_news (const SaomaMicropayFacts *f)
{
  SaomaMicropayDecision d;

  switch (f->news)
    {
    case SAOMA_MICROPAY_NEWS_PAID:
      d = to_write (SAOMA_ATTEMPT_PAID, SAOMA_MICROPAY_WHY_PAID);
      break;
    case SAOMA_MICROPAY_NEWS_USERPAYING:
      d = to_write (SAOMA_ATTEMPT_WAITING, SAOMA_MICROPAY_WHY_USERPAYING);
      break;
    case SAOMA_MICROPAY_NEWS_UNKNOWN:
      d = to_write (SAOMA_ATTEMPT_UNKNOWN, SAOMA_MICROPAY_WHY_UNKNOWN);
      break;
    case SAOMA_MICROPAY_NEWS_REVOKED:
      d = to_write (SAOMA_ATTEMPT_CLOSED, SAOMA_MICROPAY_WHY_REVOKED);
      break;
    case SAOMA_MICROPAY_NEWS_REFUSED:
      d = to_fail (SAOMA_MICROPAY_WHY_REFUSED);
      break;
    case SAOMA_MICROPAY_NEWS_PAY_ERROR:
      d = to_fail (SAOMA_MICROPAY_WHY_PAY_ERROR);
      break;
    case SAOMA_MICROPAY_NEWS_NEVER_EXISTED:
      d = to_fail (SAOMA_MICROPAY_WHY_NEVER_EXISTED);
      break;
    case SAOMA_MICROPAY_NEWS_NEVER_REACHED:
      d = to_fail (SAOMA_MICROPAY_WHY_NEVER_REACHED);
      break;
    case SAOMA_MICROPAY_NEWS_NONE:
    default:
      g_assert_not_reached ();
    }

  d.code = f->news_code;
  return d;
}

/**
 * saoma_micropay_decide:
 * @facts: what is known
 * @now: µs since the epoch
 * @timing: the intervals
 *
 * The next action for one micropay attempt. Pure: the same facts and time give the same
 * answer. Never NONE or DONE for an open attempt with nothing in progress.
 *
 * Returns: the decision
 */
SaomaMicropayDecision
saoma_micropay_decide (const SaomaMicropayFacts  *facts,
                       gint64                     now,
                       const SaomaMicropayTiming *timing)
{
  const SaomaMicropayFacts *f = facts;
  const SaomaMicropayTiming *t = timing;
  gint64 give_up_at;

  g_return_val_if_fail (facts != NULL && timing != NULL, act (SAOMA_MICROPAY_ACTION_NONE));

  /* One durable write at a time, and nothing before the attempt itself is on record. */
  if (!f->inserted || f->writing)
    return act (SAOMA_MICROPAY_ACTION_NONE);

  if (f->news != SAOMA_MICROPAY_NEWS_NONE)
    return decide_news (f);

  if (saoma_attempt_state_is_final (f->state))
    return act (SAOMA_MICROPAY_ACTION_DONE);

  if (!f->sent)
    {
      if (f->giving_up)
        return to_fail (SAOMA_MICROPAY_WHY_CANCELLED_UNSENT);
      if (f->resumed)
        return to_fail (SAOMA_MICROPAY_WHY_UNSENT);
      return to_write (SAOMA_ATTEMPT_SUBMITTED, SAOMA_MICROPAY_WHY_SUBMIT);
    }

  if (!f->requested)
    {
      /* SUBMITTED is on record; the pay call has not left. */
      if (f->giving_up)
        return to_fail (SAOMA_MICROPAY_WHY_CANCELLED_UNSENT);
      if (f->net_busy)
        return act (SAOMA_MICROPAY_ACTION_NONE);
      return act (SAOMA_MICROPAY_ACTION_PAY);
    }

  /* Still open at the give-up (or cancelled): REVERSING is recorded at once, even with a
   * request in flight. A resumed attempt is asked about first. */
  give_up_at = f->created + t->give_up;
  if (f->state != SAOMA_ATTEMPT_CLOSING && (!f->resumed || f->queried) &&
      (f->giving_up || now >= give_up_at))
    return to_write (SAOMA_ATTEMPT_CLOSING,
                     f->giving_up ? SAOMA_MICROPAY_WHY_CANCELLED : SAOMA_MICROPAY_WHY_GIVE_UP);

  if (f->net_busy)
    return act (SAOMA_MICROPAY_ACTION_NONE);

  if (f->state == SAOMA_ATTEMPT_CLOSING)
    {
      if (f->reverse_done)
        return when_due (SAOMA_MICROPAY_ACTION_QUERY, f->query_at, f->query_at, now);
      /* Never sooner than 15 s after the pay call (§13.1 step 4). */
      {
        gint64 when = MAX (f->pay_at + t->reverse_after, f->reverse_at);

        return when_due (SAOMA_MICROPAY_ACTION_REVERSE, when, when, now);
      }
    }

  /* Open: query when due, and wake at the give-up to reverse. */
  if (f->resumed && !f->queried)
    return act (SAOMA_MICROPAY_ACTION_QUERY);
  return when_due (SAOMA_MICROPAY_ACTION_QUERY, f->query_at, give_up_at, now);
}

/**
 * saoma_micropay_decision_describe:
 * @transaction_id: (nullable): for PAID
 *
 * Returns: (transfer full): the audit text of a WRITE or FAIL
 */
char *
saoma_micropay_decision_describe (const SaomaMicropayDecision *decision,
                                  const char                  *transaction_id)
{
  const char *code = decision->code ? decision->code : "?";

  switch (decision->why)
    {
    case SAOMA_MICROPAY_WHY_SUBMIT:
      return g_strdup ("SUBMITTED: sending micropay");
    case SAOMA_MICROPAY_WHY_PAID:
      return g_strdup_printf ("PAID: %s, transaction_id=%s", code,
                              transaction_id ? transaction_id : "?");
    case SAOMA_MICROPAY_WHY_USERPAYING:
      return g_strdup ("USERPAYING: the payer is entering the password");
    case SAOMA_MICROPAY_WHY_UNKNOWN:
      return g_strdup_printf ("UNKNOWN: micropay outcome unknown (%s)", code);
    case SAOMA_MICROPAY_WHY_GIVE_UP:
      return g_strdup ("REVERSING: still open at the give-up, reversing");
    case SAOMA_MICROPAY_WHY_CANCELLED:
      return g_strdup ("REVERSING: cancelled, reversing");
    case SAOMA_MICROPAY_WHY_REVOKED:
      return g_strdup_printf ("REVOKED: orderquery trade_state=%s", code);
    case SAOMA_MICROPAY_WHY_REFUSED:
      return g_strdup_printf ("FAILED: micropay refused (%s)", code);
    case SAOMA_MICROPAY_WHY_PAY_ERROR:
      return g_strdup ("FAILED: orderquery trade_state=PAYERROR");
    case SAOMA_MICROPAY_WHY_NEVER_EXISTED:
      return g_strdup ("FAILED: reversed, and no order exists");
    case SAOMA_MICROPAY_WHY_NEVER_REACHED:
      return g_strdup_printf ("FAILED: micropay never reached WeChat (%s)", code);
    case SAOMA_MICROPAY_WHY_CANCELLED_UNSENT:
      return g_strdup ("FAILED: cancelled before micropay was sent");
    case SAOMA_MICROPAY_WHY_UNSENT:
      return g_strdup ("FAILED: micropay was never sent");
    case SAOMA_MICROPAY_WHY_NONE:
    default:
      return g_strdup (saoma_micropay_action_to_string (decision->action));
    }
}

const char *
saoma_micropay_action_to_string (SaomaMicropayAction action)
{
  switch (action)
    {
    case SAOMA_MICROPAY_ACTION_NONE: return "none";
    case SAOMA_MICROPAY_ACTION_DONE: return "done";
    case SAOMA_MICROPAY_ACTION_WAIT: return "wait";
    case SAOMA_MICROPAY_ACTION_WRITE: return "write";
    case SAOMA_MICROPAY_ACTION_FAIL: return "fail";
    case SAOMA_MICROPAY_ACTION_PAY: return "pay";
    case SAOMA_MICROPAY_ACTION_QUERY: return "query";
    case SAOMA_MICROPAY_ACTION_REVERSE: return "reverse";
    default: return "invalid";
    }
}

/* --- Payment codes ------------------------------------------------------------------------ */

static gboolean
all_digits (const char *s,
            gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/**
 * saoma_payment_code_classify:
 * @code: (nullable): what the scanner typed, without its Enter
 *
 * WeChat's payment code is 18 digits matching `^1[0-6][0-9]{16}$`; Alipay's is 16–24 digits
 * starting with 25–30. Anything else is not a payment code (a bar code of an article, a
 * slip of the scanner).
 *
 * Returns: what @code is
 */
SaomaPaymentCodeKind
saoma_payment_code_classify (const char *code)
{
  gsize len;
  int prefix;

  if (code == NULL)
    return SAOMA_PAYMENT_CODE_INVALID;

  len = strnlen (code, 25);
  if (len < 16 || len > 24 || !all_digits (code, len))
    return SAOMA_PAYMENT_CODE_INVALID;

  prefix = (code[0] - '0') * 10 + (code[1] - '0');
  if (len == 18 && prefix >= 10 && prefix <= 16)
    return SAOMA_PAYMENT_CODE_WECHAT;
  if (prefix >= 25 && prefix <= 30)
    return SAOMA_PAYMENT_CODE_ALIPAY;
  return SAOMA_PAYMENT_CODE_INVALID;
}
