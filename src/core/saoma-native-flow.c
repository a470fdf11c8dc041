/* saoma-native-flow.c: the Native (QR) payment flow of DESIGN.md, as pure functions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *            write before send        code_url (verified): QR shown, WAITING written
 *   CREATED ──────────────────▶ SUBMITTED ─────────────────▶ WAITING ───SUCCESS───▶ PAID
 *      │                         │     │ timeout/5xx       ▲     │                     ▲
 *      │ cancelled before  rejec-│     ▼                   │     │ cancel/expiry       │ late
 *      │ sending             ted │   UNKNOWN ──code_url────┘     ▼                     │ payment
 *      ▼                         │     └──cancel/expiry/NOTPAY─▶ CLOSING ──SUCCESS─────┘
 *    FAILED ◀────────────────────┘                               │
 *      ▲     ORDERNOTEXIST after time_expire (UNKNOWN, CLOSING)   └─ closeorder + query ─▶ CLOSED
 *
 * The checkout keeps a SaomaNativeFacts per attempt. Every gateway answer is folded into the
 * facts (saoma_native_absorb()), every give-up, notification and failed write too; after each
 * of these, and when a timer fires, saoma_native_decide() chooses the one next action from the
 * durable state and the facts: a ledger write, a request, a wait, or nothing. The rule that
 * keeps money safe: an attempt whose unifiedorder outcome was unknown is never FAILED unless
 * WeChat says ORDERNOTEXIST and the order can no longer come to exist (past its time_expire,
 * or our own re-entry with identical parameters was rejected).
 *
 * Every transition this flow writes (from → to: why); the store's table must allow each:
 *
 *   CREATED   → SUBMITTED: about to send unifiedorder (write before send)
 *   CREATED   → FAILED:    cancelled before unifiedorder was sent
 *   (a CREATED attempt resumed by recovery, which may have been sent by the last run:)
 *   CREATED   → UNKNOWN:   unifiedorder outcome unknown
 *   CREATED   → CLOSING:   found unpaid, or its code_url came, after the give-up
 *   CREATED   → PAID / CLOSED / FAILED: orderquery SUCCESS / CLOSED / PAYERROR;
 *                          ORDERNOTEXIST after time_expire or after a rejected re-entry
 *   SUBMITTED → UNKNOWN:   unifiedorder outcome unknown
 *   SUBMITTED → WAITING:   unifiedorder → code_url (the QR is already shown: see
 *                          saoma_native_shows_qr())
 *   SUBMITTED → CLOSING:   cancelled/expired after SUBMITTED; code_url after the give-up;
 *                          found unpaid while giving up
 *   SUBMITTED → FAILED:    unifiedorder rejected; PAYERROR; ORDERNOTEXIST after time_expire
 *                          or after a rejected re-entry
 *   SUBMITTED → PAID / CLOSED: orderquery SUCCESS / CLOSED (after ORDERPAID/ORDERCLOSED)
 *   UNKNOWN   → WAITING:   a re-entry returned the code_url
 *   UNKNOWN   → CLOSING:   cancelled/expired; found unpaid, or its code_url came, after it
 *   UNKNOWN   → PAID / CLOSED / FAILED: orderquery SUCCESS / CLOSED / PAYERROR; ORDERNOTEXIST
 *                          after time_expire or after a rejected re-entry
 *   WAITING   → CLOSING:   cancelled/expired (QR hidden, still watched)
 *   WAITING   → PAID / CLOSED / FAILED: orderquery SUCCESS / CLOSED / PAYERROR
 *   CLOSING   → CLOSING:   a code_url that came after the give-up is kept on record
 *   CLOSING   → PAID:      late payment (found by query, also after a closeorder ORDERPAID)
 *   CLOSING   → CLOSED:    closeorder + orderquery CLOSED
 *   CLOSING   → FAILED:    PAYERROR; ORDERNOTEXIST after time_expire or after a rejected
 *                          re-entry; given up after SUBMITTED but before the request left
 *   CLOSED    → PAID:      late payment a notification revealed (reopened)
 *   FAILED    → PAID:      late payment a notification revealed (reopened)
 *
 * A failed write is re-decided from the state on record (saoma_native_write_failed()), so the
 * same transitions may be asked for again; none other.
 */

#define G_LOG_DOMAIN "saoma-native-flow"

#include "config.h"

#include "saoma-gateway.h"
#include "saoma-native-flow.h"

/**
 * saoma_native_answer_for_error:
 * @error: (nullable): what a gateway call ended with
 *
 * Returns: the class of a non-trade answer: OK for %NULL, else by the error
 */
SaomaNativeAnswer
saoma_native_answer_for_error (const GError *error)
{
  if (error == NULL)
    return SAOMA_NATIVE_ANSWER_OK;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_PAID))
    return SAOMA_NATIVE_ANSWER_ORDER_PAID;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_CLOSED))
    return SAOMA_NATIVE_ANSWER_ORDER_CLOSED;
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
    return SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST;
  if (saoma_gateway_error_is_outcome_unknown (error))
    return SAOMA_NATIVE_ANSWER_UNKNOWN;
  /* Known errors that are not WeChat's judgement of the request: it never arrived (could not
   * connect, cancelled before sending, a proxy's 4xx) or was throttled. */
  if (g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONNECT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CANCELLED) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_HTTP_CLIENT) ||
      g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_RATE_LIMITED))
    return SAOMA_NATIVE_ANSWER_NOT_JUDGED;
  return SAOMA_NATIVE_ANSWER_REJECTED;
}

/**
 * saoma_native_facts_init:
 *
 * A fresh attempt: CREATED, not yet on record, nothing sent.
 */
void
saoma_native_facts_init (SaomaNativeFacts *facts,
                         gint64            created,
                         gint64            expires)
{
  *facts = (SaomaNativeFacts) { 0 };
  facts->state = SAOMA_ATTEMPT_CREATED;
  facts->created = created;
  facts->expires = expires;
}

/**
 * saoma_native_facts_resume:
 * @state: the state on record
 * @code_url_known: the record holds a code_url
 *
 * An attempt of an earlier run: whatever that run did, a request may have reached WeChat (even
 * from CREATED). Nobody shows its QR any more: it is watched, and closed after the close delay.
 */
void
saoma_native_facts_resume (SaomaNativeFacts *facts,
                           SaomaAttemptState state,
                           gboolean          code_url_known,
                           gint64            now)
{
  facts->state = state;
  facts->inserted = TRUE;
  facts->resumed = TRUE;
  facts->sent = TRUE;
  facts->requested = TRUE;
  facts->create_unknown = TRUE;
  facts->code_url_known = code_url_known;
  facts->exists = state == SAOMA_ATTEMPT_WAITING || code_url_known;
  facts->want_query = TRUE;
  facts->giving_up = TRUE;
  facts->expired = now >= facts->expires;
}

/**
 * saoma_native_give_up:
 * @expired: the QR expired (else the cashier cancelled)
 *
 * Returns: %FALSE when there was nothing to give up (already given up, or final)
 */
gboolean
saoma_native_give_up (SaomaNativeFacts *facts,
                      gboolean          expired)
{
  if (facts->giving_up || saoma_attempt_state_is_final (facts->state))
    return FALSE;

  facts->giving_up = TRUE;
  facts->expired = expired;
  /* A fresh attempt that was never sent fails instead (see the decision). */
  if (facts->inserted && facts->sent && facts->state != SAOMA_ATTEMPT_CLOSING)
    facts->closing_owed = TRUE;

  return TRUE;
}

/**
 * saoma_native_requested:
 *
 * A request of @call leaves now.
 */
void
saoma_native_requested (SaomaNativeFacts *facts,
                        SaomaNativeCall   call,
                        gint64            now)
{
  switch (call)
    {
    case SAOMA_NATIVE_CALL_CREATE:
      facts->want_send = FALSE;
      facts->not_exist = FALSE;
      facts->sent = TRUE;
      facts->requested = TRUE;
      facts->last_send_at = now;
      break;
    case SAOMA_NATIVE_CALL_QUERY:
      facts->want_query = FALSE;
      facts->last_query_at = now;
      break;
    case SAOMA_NATIVE_CALL_CLOSE:
    default:
      break;
    }
}

static void
absorb_create (SaomaNativeFacts        *f,
               SaomaNativeAnswer        answer,
               gint64                   now,
               const SaomaNativeTiming *timing)
{
  switch (answer)
    {
    case SAOMA_NATIVE_ANSWER_OK:
      f->exists = TRUE;
      f->not_exist = FALSE;
      f->create_rejected = FALSE;
      f->want_send = FALSE;
      f->code_url_known = TRUE;
      f->last_query_at = now;
      f->news = SAOMA_NATIVE_NEWS_CREATED;
      return;

    case SAOMA_NATIVE_ANSWER_ORDER_PAID:
    case SAOMA_NATIVE_ANSWER_ORDER_CLOSED:
      /* The order exists and is final at WeChat: a query gives the details. */
      f->exists = TRUE;
      f->not_exist = FALSE;
      f->want_send = FALSE;
      f->want_query = TRUE;
      return;

    case SAOMA_NATIVE_ANSWER_UNKNOWN:
      f->create_unknown = TRUE;
      f->want_send = TRUE;
      f->send_at = now + timing->retry;
      if (f->state == SAOMA_ATTEMPT_SUBMITTED || f->state == SAOMA_ATTEMPT_CREATED)
        f->news = SAOMA_NATIVE_NEWS_CREATE_UNKNOWN;
      return;

    case SAOMA_NATIVE_ANSWER_NOT_JUDGED:
      if (f->create_unknown || f->resumed)
        {
          /* This retry never got WeChat's verdict: it proves nothing about the earlier
           * request, so keep re-entering as after an unknown outcome. */
          f->want_send = TRUE;
          f->send_at = now + timing->retry;
          return;
        }
      break;

    case SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST:
    case SAOMA_NATIVE_ANSWER_REJECTED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT:
    case SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_CLOSED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR:
    case SAOMA_NATIVE_ANSWER_TRADE_OTHER:
    case SAOMA_NATIVE_ANSWER_FOREIGN:
    default:
      break;
    }

  if (!f->create_unknown && !f->resumed)
    {
      /* A definite rejection and no earlier request that may have acted: nothing exists. */
      f->news = SAOMA_NATIVE_NEWS_CREATE_REJECTED;
      return;
    }

  /* Rejected now, but an earlier request may have created it: ask WeChat. */
  f->create_rejected = TRUE;
  f->want_send = FALSE;
  f->want_query = TRUE;
}

static void
absorb_query (SaomaNativeFacts        *f,
              SaomaNativeAnswer        answer,
              gint64                   now,
              const SaomaNativeTiming *timing)
{
  f->last_query_at = now;

  switch (answer)
    {
    case SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST:
      if (f->reopened)
        /* A notification made us re-check a final attempt; WeChat does not confirm it. */
        f->reopened = FALSE;
      else if (!f->exists)
        {
          f->not_exist = TRUE;
          f->not_exist_at = now;
        }
      /* else WeChat answered for this order before: replication lag, ask again later. */
      return;

    case SAOMA_NATIVE_ANSWER_TRADE_PAID:
      f->exists = TRUE;
      if (f->state != SAOMA_ATTEMPT_PAID)
        f->news = SAOMA_NATIVE_NEWS_PAID;
      return;

    case SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT:
      /* Never mark money as paid on an answer that does not match the sale; a re-check a
       * notification asked for stays asked for. */
      f->exists = TRUE;
      return;

    case SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_CLOSED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR:
    case SAOMA_NATIVE_ANSWER_TRADE_OTHER:
      if (f->reopened)
        {
          /* A notification made us re-check a final attempt; WeChat does not confirm it. */
          f->reopened = FALSE;
          return;
        }
      break;

    case SAOMA_NATIVE_ANSWER_OK:
    case SAOMA_NATIVE_ANSWER_ORDER_PAID:
    case SAOMA_NATIVE_ANSWER_ORDER_CLOSED:
    case SAOMA_NATIVE_ANSWER_NOT_JUDGED:
    case SAOMA_NATIVE_ANSWER_REJECTED:
    case SAOMA_NATIVE_ANSWER_UNKNOWN:
    case SAOMA_NATIVE_ANSWER_FOREIGN:
    default:
      /* No news: ask again when due. A re-check asked for by a notification stays asked for:
       * the listener has acknowledged it, so WeChat will not send it again. */
      return;
    }

  if (answer == SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID)
    {
      f->exists = TRUE;
      f->not_exist = FALSE;
      if (f->closed_ok)
        {
          /* Seen right after a close: close again later rather than believe either. */
          f->closed_ok = FALSE;
          f->close_retry_at = now + timing->slow_poll;
        }
      if (f->giving_up)
        {
          if (f->state != SAOMA_ATTEMPT_CLOSING)
            f->news = SAOMA_NATIVE_NEWS_NOT_PAID;
        }
      else if (!f->code_url_known)
        {
          /* It exists but we never got its code_url: re-enter to fetch it. */
          f->want_send = TRUE;
          f->send_at = now;
        }
    }
  else if (answer == SAOMA_NATIVE_ANSWER_TRADE_CLOSED)
    {
      f->exists = TRUE;
      f->news = SAOMA_NATIVE_NEWS_CLOSED;
    }
  else if (answer == SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR)
    {
      f->exists = TRUE;
      f->news = SAOMA_NATIVE_NEWS_PAY_ERROR;
    }
  /* An unexpected trade_state: nothing learnt. */
}

static void
absorb_close (SaomaNativeFacts        *f,
              SaomaNativeAnswer        answer,
              gint64                   now,
              const SaomaNativeTiming *timing)
{
  /* Whatever happens next, never close again sooner than this. */
  f->close_retry_at = now + timing->slow_poll;

  switch (answer)
    {
    case SAOMA_NATIVE_ANSWER_OK:
    case SAOMA_NATIVE_ANSWER_ORDER_CLOSED:
      /* Closed: one more query decides between CLOSED and a payment that beat the close. */
      f->closed_ok = TRUE;
      f->want_query = TRUE;
      break;
    case SAOMA_NATIVE_ANSWER_ORDER_PAID:
      f->exists = TRUE;
      f->want_query = TRUE;
      break;
    case SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST:
      if (!f->exists)
        {
          f->not_exist = TRUE;
          f->not_exist_at = now;
        }
      else
        f->want_query = TRUE;
      break;
    case SAOMA_NATIVE_ANSWER_UNKNOWN:
      break;
    case SAOMA_NATIVE_ANSWER_NOT_JUDGED:
    case SAOMA_NATIVE_ANSWER_REJECTED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT:
    case SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID:
    case SAOMA_NATIVE_ANSWER_TRADE_CLOSED:
    case SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR:
    case SAOMA_NATIVE_ANSWER_TRADE_OTHER:
    case SAOMA_NATIVE_ANSWER_FOREIGN:
    default:
      /* TRADE_STATE_ERROR and the like: ask what state the order is in. */
      f->want_query = TRUE;
      break;
    }
}

/**
 * saoma_native_absorb:
 * @call: the request that was answered
 * @answer: the class of its answer
 * @code: (nullable): interned protocol code or trade_state of the answer, for the audit text
 *
 * Folds an answer into the facts. Verdicts that need a write become the facts' news; the
 * decision writes them.
 */
void
saoma_native_absorb (SaomaNativeFacts        *facts,
                     SaomaNativeCall          call,
                     SaomaNativeAnswer        answer,
                     const char              *code,
                     gint64                   now,
                     const SaomaNativeTiming *timing)
{
  SaomaNativeNews before;

  g_return_if_fail (facts != NULL && timing != NULL);

  before = facts->news;
  switch (call)
    {
    case SAOMA_NATIVE_CALL_CREATE:
      absorb_create (facts, answer, now, timing);
      break;
    case SAOMA_NATIVE_CALL_QUERY:
      absorb_query (facts, answer, now, timing);
      break;
    case SAOMA_NATIVE_CALL_CLOSE:
    default:
      absorb_close (facts, answer, now, timing);
      break;
    }

  if (facts->news != before)
    facts->news_code = code;
}

/**
 * saoma_native_write_failed:
 * @durable: the state still on record
 *
 * The one policy for a failed to_write (see SaomaOperation): the decided state falls back to the
 * durable one, and what depended on the write is undone so that it is decided again.
 */
void
saoma_native_write_failed (SaomaNativeFacts *facts,
                           SaomaAttemptState durable)
{
  gboolean lost_paid = facts->state == SAOMA_ATTEMPT_PAID;

  facts->state = durable;
  facts->writing = FALSE;
  /* A payment found for a CLOSED/FAILED attempt is not forgotten behind that final state:
   * query again, and record it then. */
  if (lost_paid && saoma_attempt_state_is_final (durable))
    facts->reopened = TRUE;
  /* SUBMITTED is not on record: nothing may be sent until it is. */
  if (!facts->requested)
    {
      facts->sent = FALSE;
      facts->want_send = FALSE;
    }
}

/**
 * saoma_native_carried_out:
 *
 * The decision is being carried out: what it consumed is no longer pending.
 */
void
saoma_native_carried_out (SaomaNativeFacts          *facts,
                          const SaomaNativeDecision *decision,
                          gint64                     now)
{
  switch (decision->action)
    {
    case SAOMA_NATIVE_ACTION_WRITE:
    case SAOMA_NATIVE_ACTION_FAIL:
      facts->state = decision->to;
      facts->writing = TRUE;
      facts->news = SAOMA_NATIVE_NEWS_NONE;
      facts->news_code = NULL;
      if (decision->to == SAOMA_ATTEMPT_CLOSING || saoma_attempt_state_is_final (decision->to))
        facts->closing_owed = FALSE;
      if (decision->to == SAOMA_ATTEMPT_PAID)
        facts->reopened = FALSE;
      if (decision->why == SAOMA_NATIVE_WHY_SUBMIT)
        {
          facts->sent = TRUE;
          facts->want_send = TRUE;
          facts->send_at = now;
        }
      break;
    case SAOMA_NATIVE_ACTION_DONE:
      facts->reopened = FALSE;
      break;
    case SAOMA_NATIVE_ACTION_CREATE:
      saoma_native_requested (facts, SAOMA_NATIVE_CALL_CREATE, now);
      facts->net_busy = TRUE;
      break;
    case SAOMA_NATIVE_ACTION_QUERY:
      saoma_native_requested (facts, SAOMA_NATIVE_CALL_QUERY, now);
      facts->net_busy = TRUE;
      break;
    case SAOMA_NATIVE_ACTION_CLOSE:
      saoma_native_requested (facts, SAOMA_NATIVE_CALL_CLOSE, now);
      facts->net_busy = TRUE;
      break;
    case SAOMA_NATIVE_ACTION_NONE:
    case SAOMA_NATIVE_ACTION_WAIT:
    default:
      break;
    }
}

/**
 * saoma_native_shows_qr:
 *
 * The QR is shown from the verified unifiedorder answer on, not from WAITING's write: the
 * attempt is already on record as SUBMITTED (or UNKNOWN) and the order was sent, so a crash or a
 * failed write before WAITING is durable leaves a row that recovery resolves by querying, and the
 * payer who scanned is found PAID by that query. The one durable write the contract requires on
 * the way to the QR is the one before the send. A failed WAITING write keeps the QR up (the
 * customer may already be paying) while the write is decided again.
 *
 * Returns: %TRUE while the cashier may show this attempt's code_url: WeChat gave it in this run
 * and nobody gave up (a resumed attempt is given up)
 */
gboolean
saoma_native_shows_qr (const SaomaNativeFacts *facts)
{
  g_return_val_if_fail (facts != NULL, FALSE);

  return facts->code_url_known && !facts->giving_up && !facts->resumed &&
         !saoma_attempt_state_is_final (facts->state);
}

/* --- The decision ------------------------------------------------------------------------- */

static SaomaNativeDecision
act (SaomaNativeAction action)
{
  return (SaomaNativeDecision){ .action = action };
}

static SaomaNativeDecision
to_write (SaomaAttemptState to,
          SaomaNativeWhy    why)
{
  return (SaomaNativeDecision){ .action = SAOMA_NATIVE_ACTION_WRITE, .to = to, .why = why };
}

static SaomaNativeDecision
to_fail (SaomaNativeWhy  why,
         SaomaNativeFail reason)
{
  SaomaNativeDecision d = { .action = SAOMA_NATIVE_ACTION_FAIL, .to = SAOMA_ATTEMPT_FAILED };

  d.why = why;
  d.fail = reason;
  return d;
}

/* @action once @at has come; a wait until then. */
static SaomaNativeDecision
when_due (SaomaNativeAction action,
          gint64            when,
          gint64            now)
{
  if (when > now)
    return (SaomaNativeDecision){ .action = SAOMA_NATIVE_ACTION_WAIT, .at = when };
  return act (action);
}

static gint64
query_due (const SaomaNativeFacts *f,
           gint64                  interval,
           gint64                  now)
{
  if (f->last_query_at == 0)
    return now;
  return f->last_query_at + interval;
}

/* Verdicts of the last answer: each is one write. */
static SaomaNativeDecision
decide_news (const SaomaNativeFacts *f)
{
  SaomaNativeDecision d;

  switch (f->news)
    {
    case SAOMA_NATIVE_NEWS_CREATED:
      if (f->giving_up)
        /* Answer to a request sent before the cashier gave up: keep the code_url on record
         * but never show it. */
        d = to_write (SAOMA_ATTEMPT_CLOSING, SAOMA_NATIVE_WHY_CREATED_AFTER_GIVE_UP);
      else
        d = to_write (SAOMA_ATTEMPT_WAITING, SAOMA_NATIVE_WHY_CREATED);
      break;
    case SAOMA_NATIVE_NEWS_CREATE_UNKNOWN:
      d = to_write (SAOMA_ATTEMPT_UNKNOWN, SAOMA_NATIVE_WHY_CREATE_UNKNOWN);
      break;
    case SAOMA_NATIVE_NEWS_CREATE_REJECTED:
      d = to_fail (SAOMA_NATIVE_WHY_CREATE_REJECTED, SAOMA_NATIVE_FAIL_GATEWAY);
      break;
    case SAOMA_NATIVE_NEWS_PAID:
      d = to_write (SAOMA_ATTEMPT_PAID, SAOMA_NATIVE_WHY_PAID);
      /* Late: the cashier gave up (CLOSING on record, or cancelled/expired in this run). An
       * attempt resumed by recovery and found paid at once was not given up by anyone. */
      d.late = f->state == SAOMA_ATTEMPT_CLOSING || f->reopened ||
               (f->giving_up && !f->resumed);
      break;
    case SAOMA_NATIVE_NEWS_NOT_PAID:
      d = to_write (SAOMA_ATTEMPT_CLOSING, SAOMA_NATIVE_WHY_NOT_PAID);
      break;
    case SAOMA_NATIVE_NEWS_CLOSED:
      d = to_write (SAOMA_ATTEMPT_CLOSED, SAOMA_NATIVE_WHY_TRADE_CLOSED);
      break;
    case SAOMA_NATIVE_NEWS_PAY_ERROR:
      d = to_fail (SAOMA_NATIVE_WHY_PAY_ERROR, SAOMA_NATIVE_FAIL_GATEWAY);
      break;
    case SAOMA_NATIVE_NEWS_NONE:
    default:
      g_assert_not_reached ();
    }

  d.code = f->news_code;
  return d;
}

/* An open attempt that has been sent (or may have been): find out, show, or close. */
static SaomaNativeDecision
decide_watch (const SaomaNativeFacts  *f,
              gint64                   now,
              const SaomaNativeTiming *t)
{
  if (!f->requested && f->giving_up)
    /* SUBMITTED is on record but the cashier gave up before the request left. */
    return to_fail (SAOMA_NATIVE_WHY_GIVEN_UP_UNSENT, SAOMA_NATIVE_FAIL_UNSENT);

  if (f->want_query || f->reopened)
    return act (SAOMA_NATIVE_ACTION_QUERY);

  if (!f->exists)
    {
      if (f->not_exist)
        {
          /* Proof of non-existence must be observed after time_expire: an order cannot be
           * created after it, whatever request may still be on its way. */
          if (f->create_rejected)
            return to_fail (SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_REJECT, SAOMA_NATIVE_FAIL_GATEWAY);
          if (f->not_exist_at >= f->expires)
            return to_fail (SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_EXPIRE,
                            SAOMA_NATIVE_FAIL_NEVER_REACHED);
          if (now >= f->expires - t->send_margin)
            /* Too close to time_expire to re-enter: prove non-existence after it. */
            return when_due (SAOMA_NATIVE_ACTION_QUERY,
                             MAX (f->expires, query_due (f, t->retry, now)), now);
          /* Re-entry with identical parameters either finds the order or creates it; either
           * way it then exists and can be closed or shown. */
          return when_due (SAOMA_NATIVE_ACTION_CREATE, MAX (now, f->last_send_at + t->retry), now);
        }
      if (f->want_send && !f->giving_up)
        return when_due (SAOMA_NATIVE_ACTION_CREATE, f->send_at, now);
      return when_due (SAOMA_NATIVE_ACTION_QUERY,
                       query_due (f, f->giving_up ? t->slow_poll : t->retry, now), now);
    }

  if (!f->giving_up)
    {
      if (f->want_send || !f->code_url_known)
        return when_due (SAOMA_NATIVE_ACTION_CREATE,
                         MAX (f->want_send ? f->send_at : now, f->last_send_at + t->retry), now);
      if (f->state != SAOMA_ATTEMPT_WAITING)
        /* The code_url is known but WAITING did not become durable (the write failed):
         * record it again, or the QR would never be shown. */
        return to_write (SAOMA_ATTEMPT_WAITING, SAOMA_NATIVE_WHY_CODE_URL_AGAIN);
      return when_due (SAOMA_NATIVE_ACTION_QUERY, query_due (f, t->poll, now), now);
    }

  /* Given up: watch slowly, close once the 5-minute rule allows, query after the close. */
  {
    gint64 close_allowed = f->created + t->close_delay;
    gint64 when;

    if (f->closed_ok)
      /* The first query after the close is immediate (want_query); these are retries. */
      return when_due (SAOMA_NATIVE_ACTION_QUERY, query_due (f, t->retry, now), now);
    if (now >= close_allowed)
      return when_due (SAOMA_NATIVE_ACTION_CLOSE, MAX (now, f->close_retry_at), now);

    when = MIN (query_due (f, t->slow_poll, now), close_allowed);
    if (when == close_allowed)
      /* Wake up at the close moment and decide again. */
      return (SaomaNativeDecision) { .action = SAOMA_NATIVE_ACTION_WAIT,
                                     .at = MAX (when, now) };
    return when_due (SAOMA_NATIVE_ACTION_QUERY, when, now);
  }
}

/**
 * saoma_native_first_write:
 *
 * The write a fresh attempt decides first, once it is inserted: SUBMITTED, about to send (the
 * decision of saoma_native_decide() for fresh facts that are inserted). The engine may make it
 * in the insert's own write (one sync to disk before the request leaves, issue 19); when that
 * write shows it, the engine carries it out as if decided (saoma_native_carried_out()).
 *
 * Returns: the decision
 */
SaomaNativeDecision
saoma_native_first_write (void)
{
  return to_write (SAOMA_ATTEMPT_SUBMITTED, SAOMA_NATIVE_WHY_SUBMIT);
}

/**
 * saoma_native_decide:
 * @facts: what is known
 * @now: µs since the epoch
 * @timing: the intervals
 *
 * The next action for one Native attempt. Pure: the same facts and time give the same answer.
 *
 * Returns: the decision
 */
SaomaNativeDecision
saoma_native_decide (const SaomaNativeFacts  *facts,
                     gint64                   now,
                     const SaomaNativeTiming *timing)
{
  const SaomaNativeFacts *f = facts;

  g_return_val_if_fail (facts != NULL && timing != NULL, act (SAOMA_NATIVE_ACTION_NONE));

  /* One durable write at a time, and nothing before the attempt itself is on record. */
  if (!f->inserted || f->writing)
    return act (SAOMA_NATIVE_ACTION_NONE);

  /* The last answer's verdict is recorded before anything else happens. */
  if (f->news != SAOMA_NATIVE_NEWS_NONE)
    return decide_news (f);

  /* The cashier's give-up is recorded at once, even with a request in flight. */
  if (f->closing_owed && f->state != SAOMA_ATTEMPT_CLOSING &&
      !saoma_attempt_state_is_final (f->state))
    return to_write (SAOMA_ATTEMPT_CLOSING,
                     f->expired ? SAOMA_NATIVE_WHY_EXPIRED : SAOMA_NATIVE_WHY_CANCELLED);

  /* One request at a time: its answer decides again. */
  if (f->net_busy)
    return act (SAOMA_NATIVE_ACTION_NONE);

  switch (f->state)
    {
    case SAOMA_ATTEMPT_PAID:
    case SAOMA_ATTEMPT_PARTIALLY_REFUNDED:
    case SAOMA_ATTEMPT_REFUNDED:
      return act (SAOMA_NATIVE_ACTION_DONE);

    case SAOMA_ATTEMPT_CLOSED:
    case SAOMA_ATTEMPT_FAILED:
      if (!f->reopened)
        return act (SAOMA_NATIVE_ACTION_DONE);
      /* A notification contradicts a final attempt: only queries, until one answers. */
      return when_due (SAOMA_NATIVE_ACTION_QUERY,
                       f->want_query ? now : query_due (f, timing->slow_poll, now), now);

    case SAOMA_ATTEMPT_CREATED:
    case SAOMA_ATTEMPT_SUBMITTED:
    case SAOMA_ATTEMPT_UNKNOWN:
    case SAOMA_ATTEMPT_WAITING:
    case SAOMA_ATTEMPT_CLOSING:
    default:
      if (!f->sent)
        {
          /* A fresh attempt: SUBMITTED is durable before the request leaves. */
          if (f->giving_up)
            return to_fail (SAOMA_NATIVE_WHY_CANCELLED_UNSENT, SAOMA_NATIVE_FAIL_UNSENT);
          return to_write (SAOMA_ATTEMPT_SUBMITTED, SAOMA_NATIVE_WHY_SUBMIT);
        }
      return decide_watch (f, now, timing);
    }
}

/**
 * saoma_native_decision_describe:
 * @transaction_id: (nullable): for PAID
 *
 * Returns: (transfer full): the audit text of a WRITE or FAIL ("PAID: …")
 */
char *
saoma_native_decision_describe (const SaomaNativeDecision *decision,
                                const char                *transaction_id)
{
  const char *code = decision->code ? decision->code : "?";

  switch (decision->why)
    {
    case SAOMA_NATIVE_WHY_SUBMIT:
      return g_strdup ("SUBMITTED: sending unifiedorder");
    case SAOMA_NATIVE_WHY_CREATED:
      return g_strdup ("WAITING: unifiedorder → SUCCESS, QR shown");
    case SAOMA_NATIVE_WHY_CREATED_AFTER_GIVE_UP:
      return g_strdup ("CLOSING: unifiedorder → SUCCESS after the cashier gave up");
    case SAOMA_NATIVE_WHY_CODE_URL_AGAIN:
      return g_strdup ("WAITING: code_url recorded again, QR shown");
    case SAOMA_NATIVE_WHY_CREATE_UNKNOWN:
      return g_strdup_printf ("UNKNOWN: unifiedorder outcome unknown (%s)", code);
    case SAOMA_NATIVE_WHY_CANCELLED:
      return g_strdup ("CLOSING: cancelled, QR hidden, still watching");
    case SAOMA_NATIVE_WHY_EXPIRED:
      return g_strdup ("CLOSING: expired, QR hidden, still watching");
    case SAOMA_NATIVE_WHY_NOT_PAID:
      return g_strdup_printf ("CLOSING: order is %s, closing", code);
    case SAOMA_NATIVE_WHY_PAID:
      return g_strdup_printf ("PAID: orderquery trade_state=SUCCESS, transaction_id=%s%s",
                              transaction_id ? transaction_id : "?",
                              decision->late ? " (late payment)" : "");
    case SAOMA_NATIVE_WHY_TRADE_CLOSED:
      return g_strdup_printf ("CLOSED: orderquery trade_state=%s", code);
    case SAOMA_NATIVE_WHY_PAY_ERROR:
      return g_strdup ("FAILED: orderquery trade_state=PAYERROR");
    case SAOMA_NATIVE_WHY_CREATE_REJECTED:
      return g_strdup_printf ("FAILED: unifiedorder rejected (%s)", code);
    case SAOMA_NATIVE_WHY_CANCELLED_UNSENT:
      return g_strdup ("FAILED: cancelled before unifiedorder was sent");
    case SAOMA_NATIVE_WHY_GIVEN_UP_UNSENT:
      return g_strdup ("FAILED: given up before unifiedorder was sent");
    case SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_REJECT:
      return g_strdup ("FAILED: ORDERNOTEXIST after a rejected unifiedorder");
    case SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_EXPIRE:
      return g_strdup ("FAILED: ORDERNOTEXIST after time_expire: never reached WeChat");
    case SAOMA_NATIVE_WHY_NONE:
    default:
      return g_strdup (saoma_native_action_to_string (decision->action));
    }
}

const char *
saoma_native_action_to_string (SaomaNativeAction action)
{
  switch (action)
    {
    case SAOMA_NATIVE_ACTION_NONE: return "none";
    case SAOMA_NATIVE_ACTION_DONE: return "done";
    case SAOMA_NATIVE_ACTION_WAIT: return "wait";
    case SAOMA_NATIVE_ACTION_WRITE: return "write";
    case SAOMA_NATIVE_ACTION_FAIL: return "fail";
    case SAOMA_NATIVE_ACTION_CREATE: return "create";
    case SAOMA_NATIVE_ACTION_QUERY: return "query";
    case SAOMA_NATIVE_ACTION_CLOSE: return "close";
    default: return "invalid";
    }
}
