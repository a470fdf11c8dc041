/* saoma-refund-flow.c: the refund flow of DESIGN.md (point 9), as pure functions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *               accepted                        refundquery
 *   CREATED ─────────────────────▶ PROCESSING ──────────────▶ SUCCESS
 *      │                               ▲              ├─────▶ REFUNDCLOSE (no money moved)
 *      │ outcome unknown               │ accepted /   └─────▶ CHANGE (finish by hand)
 *      ├──────────────────▶ UNKNOWN ───┘ refundquery
 *      │ refused               │ ↺ sent again, the same out_refund_no
 *      ▼                       │
 *    FAILED ◀──────────────────┘ a refused retry, and WeChat has no such refund
 *    (never processed)
 *
 * A refund is inserted as CREATED before the job exists, so nothing is sent unrecorded. Every
 * answer is folded into the facts (saoma_refund_absorb()); saoma_refund_decide() then
 * chooses the one next action, by what happened last and the state on record.
 *
 * Every transition this flow writes (from → to: why); the store's table must allow each:
 *
 *   CREATED    → PROCESSING:  refund accepted by WeChat (or refundquery, resumed and refused)
 *   CREATED    → UNKNOWN:     refund outcome unknown (timeout, 5xx, rate limited)
 *   CREATED    → FAILED:      refused by WeChat at the first send; not sent (configuration);
 *                             resumed, refused, and unknown to WeChat (refundquery)
 *   CREATED    → SUCCESS / REFUNDCLOSE / CHANGE: resumed and refused, refundquery says so
 *   UNKNOWN    → PROCESSING:  a re-send was accepted, or refundquery says PROCESSING
 *   UNKNOWN    → SUCCESS / REFUNDCLOSE / CHANGE: refundquery
 *   UNKNOWN    → FAILED:      a retry was refused and WeChat has no such refund
 *   PROCESSING → SUCCESS / REFUNDCLOSE / CHANGE: refundquery
 */

#define G_LOG_DOMAIN "saoma-refund-flow"

#include "config.h"

#include "saoma-refund-flow.h"

/**
 * saoma_refund_facts_init:
 * @state: the state on record
 * @fresh: inserted by this process (else resumed: an earlier run may have sent it)
 */
void
saoma_refund_facts_init (SaomaRefundFacts *facts,
                         SaomaRefundState  state,
                         gboolean          fresh)
{
  *facts = (SaomaRefundFacts) { 0 };
  facts->state = state;
  facts->fresh = fresh;
}

/**
 * saoma_refund_absorb:
 * @answer: what the request's answer says (one of the answer classes of SaomaRefundNews)
 * @config: for REFUSED: nothing could be sent (no key, no certificate)
 * @status: for STATUS: the refund's state at WeChat
 */
void
saoma_refund_absorb (SaomaRefundFacts *facts,
                     SaomaRefundNews   answer,
                     gboolean          config,
                     SaomaRefundState  status)
{
  facts->news = answer;
  facts->news_config = answer == SAOMA_REFUND_NEWS_REFUSED && config;
  facts->news_status = status;
  /* Any refundquery answer about this refund settles a refused retry's question. */
  if (answer == SAOMA_REFUND_NEWS_STATUS || answer == SAOMA_REFUND_NEWS_CONTRADICTING)
    facts->rejected_retry = FALSE;
}

/* A write of @state became durable. */
void
saoma_refund_written (SaomaRefundFacts *facts,
                      SaomaRefundState  state)
{
  facts->state = state;
  facts->writing = FALSE;
  facts->news = SAOMA_REFUND_NEWS_WRITTEN;
}

/**
 * saoma_refund_write_failed:
 *
 * The one policy for a failed write (see saoma-operation.c): the state on record stays what
 * it was, the news that led to the write is dropped, and the next decision (after the
 * back-off) starts from the durable state: an identical re-send or a query re-learns it.
 */
void
saoma_refund_write_failed (SaomaRefundFacts *facts)
{
  facts->writing = FALSE;
  facts->news = SAOMA_REFUND_NEWS_NONE;
}

/**
 * saoma_refund_carried_out:
 *
 * The decision is being carried out: what it consumed is no longer pending.
 */
void
saoma_refund_carried_out (SaomaRefundFacts          *facts,
                          const SaomaRefundDecision *decision)
{
  if (decision->action == SAOMA_REFUND_ACTION_NONE)
    {
      /* A hint that cannot act now is dropped: the step in progress asks WeChat anyway. */
      if (facts->news == SAOMA_REFUND_NEWS_HINT)
        facts->news = SAOMA_REFUND_NEWS_NONE;
      return;
    }

  facts->news = SAOMA_REFUND_NEWS_NONE;
  facts->waiting = decision->action == SAOMA_REFUND_ACTION_WAIT;

  switch (decision->action)
    {
    case SAOMA_REFUND_ACTION_SEND:
      facts->n_sends++;
      facts->net_busy = TRUE;
      break;
    case SAOMA_REFUND_ACTION_QUERY:
      facts->n_queries++;
      facts->net_busy = TRUE;
      if (decision->why == SAOMA_REFUND_WHY_RETRY_REFUSED)
        facts->rejected_retry = TRUE;
      break;
    case SAOMA_REFUND_ACTION_WRITE:
    case SAOMA_REFUND_ACTION_FAIL:
      facts->writing = TRUE;
      break;
    case SAOMA_REFUND_ACTION_NONE:
    case SAOMA_REFUND_ACTION_WAIT:
    case SAOMA_REFUND_ACTION_END:
    default:
      break;
    }
}

/* --- The decision ------------------------------------------------------------------------- */

static SaomaRefundDecision
act (SaomaRefundAction action,
     SaomaRefundWhy    why)
{
  return (SaomaRefundDecision) { .action = action, .why = why };
}

static SaomaRefundDecision
wait_until (gint64 at)
{
  return (SaomaRefundDecision) { .action = SAOMA_REFUND_ACTION_WAIT, .at = at };
}

static SaomaRefundDecision
to_write (SaomaRefundState to,
          SaomaRefundWhy   why)
{
  return (SaomaRefundDecision) { .action = SAOMA_REFUND_ACTION_WRITE, .to = to, .why = why };
}

static SaomaRefundDecision
to_fail (SaomaRefundWhy why)
{
  return (SaomaRefundDecision) { .action = SAOMA_REFUND_ACTION_FAIL, .to = SAOMA_REFUND_FAILED,
                                 .why = why };
}

static SaomaRefundDecision
to_end (SaomaRefundEnd end)
{
  return (SaomaRefundDecision) { .action = SAOMA_REFUND_ACTION_END, .end = end };
}

static gint64
query_interval (const SaomaRefundFacts  *f,
                const SaomaRefundTiming *t)
{
  return f->n_queries < t->fast_queries ? t->query : MAX (t->query, t->slow_query);
}

/* Ask again later: an UNKNOWN refund is sent again, a PROCESSING one queried again. */
static SaomaRefundDecision
again_later (const SaomaRefundFacts  *f,
             gint64                   now,
             const SaomaRefundTiming *t)
{
  if (f->state == SAOMA_REFUND_UNKNOWN)
    return wait_until (now + t->retry);
  return wait_until (now + query_interval (f, t));
}

/* From the state on record alone: at the start, when a wait is over, after a failed write. */
static SaomaRefundDecision
decide_from_state (const SaomaRefundFacts *f)
{
  switch (f->state)
    {
    case SAOMA_REFUND_CREATED:
    case SAOMA_REFUND_UNKNOWN:
      /* Always the same request for one out_refund_no: WeChat treats it as the same refund. */
      return act (SAOMA_REFUND_ACTION_SEND, SAOMA_REFUND_WHY_NONE);
    case SAOMA_REFUND_PROCESSING:
      return act (SAOMA_REFUND_ACTION_QUERY, SAOMA_REFUND_WHY_NONE);
    case SAOMA_REFUND_SUCCESS:
      return to_end (SAOMA_REFUND_END_SUCCESS);
    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
    case SAOMA_REFUND_FAILED:
    default:
      return to_end (SAOMA_REFUND_END_FINAL_STATE);
    }
}

/* A transition just became durable: the next step of the new state. */
static SaomaRefundDecision
decide_written (const SaomaRefundFacts  *f,
                gint64                   now,
                const SaomaRefundTiming *t)
{
  switch (f->state)
    {
    case SAOMA_REFUND_CREATED:
      return act (SAOMA_REFUND_ACTION_SEND, SAOMA_REFUND_WHY_NONE);
    case SAOMA_REFUND_UNKNOWN:
      return wait_until (now + t->retry);
    case SAOMA_REFUND_PROCESSING:
      return wait_until (now + query_interval (f, t));
    case SAOMA_REFUND_SUCCESS:
      return to_end (SAOMA_REFUND_END_SUCCESS);
    case SAOMA_REFUND_REFUNDCLOSE:
    case SAOMA_REFUND_CHANGE:
      return to_end (SAOMA_REFUND_END_FINAL_STATE);
    case SAOMA_REFUND_FAILED:
    default:
      /* Only a refusal writes FAILED: it is the outcome. */
      return to_end (SAOMA_REFUND_END_REJECTED);
    }
}

/* The refund request was refused. */
static SaomaRefundDecision
decide_refused (const SaomaRefundFacts *f)
{
  if (f->news_config && !f->fresh)
    /* Resumed, and nothing can be sent now: an earlier run may have sent it, so it stays as
     * it is for a run that can ask. */
    return to_end (SAOMA_REFUND_END_NOT_RESUMED);

  if (f->news_config && f->n_sends == 1 && f->state == SAOMA_REFUND_CREATED)
    /* Nothing left the machine (no certificate, no key): the refund never existed. */
    return to_fail (SAOMA_REFUND_WHY_NOT_SENT_CONFIG);

  if (f->state == SAOMA_REFUND_UNKNOWN || f->n_sends > 1 || !f->fresh)
    /* A definite "no" to a retry of a request that may already have been accepted (e.g. a
     * parameter complaint after a lost answer, or a refund resumed after a crash that may
     * have been sent before): only refundquery can tell. */
    return act (SAOMA_REFUND_ACTION_QUERY, SAOMA_REFUND_WHY_RETRY_REFUSED);

  return to_fail (SAOMA_REFUND_WHY_REJECTED);
}

/**
 * saoma_refund_decide:
 * @facts: what is known
 * @now: µs since the epoch
 * @timing: the intervals
 *
 * The next action for one refund. Pure: the same facts and time give the same answer.
 *
 * Returns: the decision
 */
SaomaRefundDecision
saoma_refund_decide (const SaomaRefundFacts  *facts,
                     gint64                   now,
                     const SaomaRefundTiming *timing)
{
  const SaomaRefundFacts *f = facts;

  g_return_val_if_fail (facts != NULL && timing != NULL,
                        act (SAOMA_REFUND_ACTION_NONE, SAOMA_REFUND_WHY_NONE));

  /* One write and one request at a time: their completion decides again. */
  if (f->writing || f->net_busy)
    return act (SAOMA_REFUND_ACTION_NONE, SAOMA_REFUND_WHY_NONE);

  switch (f->news)
    {
    case SAOMA_REFUND_NEWS_NONE:
      return decide_from_state (f);

    case SAOMA_REFUND_NEWS_WRITTEN:
      return decide_written (f, now, timing);

    case SAOMA_REFUND_NEWS_HINT:
      /* Only a refund waiting for its next step is moved forward. */
      if (f->waiting &&
          (f->state == SAOMA_REFUND_PROCESSING || f->state == SAOMA_REFUND_UNKNOWN))
        return act (SAOMA_REFUND_ACTION_QUERY, SAOMA_REFUND_WHY_NONE);
      return act (SAOMA_REFUND_ACTION_NONE, SAOMA_REFUND_WHY_NONE);

    case SAOMA_REFUND_NEWS_ACCEPTED:
      return to_write (SAOMA_REFUND_PROCESSING, SAOMA_REFUND_WHY_ACCEPTED);

    case SAOMA_REFUND_NEWS_SEND_UNKNOWN:
      /* Maybe processed: keep the same out_refund_no and send the identical request again. */
      if (f->state == SAOMA_REFUND_UNKNOWN)
        return wait_until (now + timing->retry);
      return to_write (SAOMA_REFUND_UNKNOWN, SAOMA_REFUND_WHY_SEND_UNKNOWN);

    case SAOMA_REFUND_NEWS_REFUSED:
      return decide_refused (f);

    case SAOMA_REFUND_NEWS_NOT_EXIST:
      /* UNKNOWN after a lost answer, or CREATED resumed from an earlier run that may have sent
       * it: either way a refusal plus no refund at WeChat means it never happened. */
      if ((f->state == SAOMA_REFUND_UNKNOWN || f->state == SAOMA_REFUND_CREATED) &&
          f->rejected_retry)
        return to_fail (SAOMA_REFUND_WHY_UNKNOWN_TO_WECHAT);
      /* Our earlier request never arrived: send it again (same number) after the retry
       * interval; anything else asks again later. */
      return again_later (f, now, timing);

    case SAOMA_REFUND_NEWS_QUERY_FAILED:
      return again_later (f, now, timing);

    case SAOMA_REFUND_NEWS_CONTRADICTING:
      return wait_until (now + query_interval (f, timing));

    case SAOMA_REFUND_NEWS_STATUS:
      if (f->news_status == f->state)
        return wait_until (now + query_interval (f, timing));
      return to_write (f->news_status, SAOMA_REFUND_WHY_BY_QUERY);

    default:
      g_assert_not_reached ();
    }
}

const char *
saoma_refund_action_to_string (SaomaRefundAction action)
{
  switch (action)
    {
    case SAOMA_REFUND_ACTION_NONE: return "none";
    case SAOMA_REFUND_ACTION_SEND: return "send";
    case SAOMA_REFUND_ACTION_QUERY: return "query";
    case SAOMA_REFUND_ACTION_WAIT: return "wait";
    case SAOMA_REFUND_ACTION_WRITE: return "write";
    case SAOMA_REFUND_ACTION_FAIL: return "fail";
    case SAOMA_REFUND_ACTION_END: return "end";
    default: return "invalid";
    }
}
