/* saoma-refund-flow.h: the refund flow as facts, answers and a pure decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No I/O, no clock, no GObject: the refunder gathers the facts, asks saoma_refund_decide()
 * what to do and carries it out. tests/core/test-refund-flow.c checks it by a table.
 */
#pragma once

#include <glib.h>
#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

/* What happened last, not acted on yet. */
typedef enum {
  SAOMA_REFUND_NEWS_NONE,          /* decide from the durable state (start, timer, back-off) */
  SAOMA_REFUND_NEWS_WRITTEN,       /* a transition became durable */
  SAOMA_REFUND_NEWS_HINT,          /* a notification: ask now rather than at the next timer */
  SAOMA_REFUND_NEWS_ACCEPTED,      /* refund → accepted, matching the request */
  SAOMA_REFUND_NEWS_SEND_UNKNOWN,  /* refund outcome unknown (or rate limited) */
  SAOMA_REFUND_NEWS_REFUSED,       /* refund → a definite no (see @news_config) */
  SAOMA_REFUND_NEWS_NOT_EXIST,     /* refundquery → REFUNDNOTEXIST */
  SAOMA_REFUND_NEWS_QUERY_FAILED,  /* refundquery → any other failure */
  SAOMA_REFUND_NEWS_CONTRADICTING, /* refundquery → another amount, or a status we do not know */
  SAOMA_REFUND_NEWS_STATUS,        /* refundquery → @news_status */
} SaomaRefundNews;

/**
 * SaomaRefundFacts:
 *
 * What the refunder knows about one refund.
 */
typedef struct {
  SaomaRefundState state;          /* on record */
  gboolean         fresh;          /* inserted by this process: no earlier send can exist */
  guint            n_sends;
  guint            n_queries;
  gboolean         writing;        /* a ledger write is in flight */
  gboolean         net_busy;       /* a request is in flight */
  gboolean         waiting;        /* a timer is armed */
  gboolean         rejected_retry; /* a retry was refused: FAILED if WeChat has no refund */
  SaomaRefundNews  news;
  gboolean         news_config;    /* REFUSED: nothing could be sent (no key, no certificate) */
  SaomaRefundState news_status;    /* STATUS: what refundquery says */
} SaomaRefundFacts;

/* In µs; after @fast_queries queries a refund is slow (bank card: days). */
typedef struct {
  gint64 retry;
  gint64 query;
  gint64 slow_query;
  guint  fast_queries;
} SaomaRefundTiming;

typedef enum {
  SAOMA_REFUND_ACTION_NONE,   /* wait for the write or request in progress */
  SAOMA_REFUND_ACTION_SEND,   /* send the refund (identical request, same out_refund_no) */
  SAOMA_REFUND_ACTION_QUERY,  /* send refundquery */
  SAOMA_REFUND_ACTION_WAIT,   /* decide again at @at */
  SAOMA_REFUND_ACTION_WRITE,  /* record state @to (why: @why) */
  SAOMA_REFUND_ACTION_FAIL,   /* record FAILED (why: @why) */
  SAOMA_REFUND_ACTION_END,    /* the job is over (how: @end) */
} SaomaRefundAction;

typedef enum {
  SAOMA_REFUND_WHY_NONE,
  SAOMA_REFUND_WHY_ACCEPTED,          /* PROCESSING: accepted by WeChat */
  SAOMA_REFUND_WHY_SEND_UNKNOWN,      /* UNKNOWN: outcome unknown, will resend */
  SAOMA_REFUND_WHY_BY_QUERY,          /* any: refundquery says so */
  SAOMA_REFUND_WHY_NOT_SENT_CONFIG,   /* FAILED: nothing left the machine */
  SAOMA_REFUND_WHY_REJECTED,          /* FAILED: WeChat refused the first request */
  SAOMA_REFUND_WHY_UNKNOWN_TO_WECHAT, /* FAILED: a retry was refused and WeChat has none */
  SAOMA_REFUND_WHY_RETRY_REFUSED,     /* QUERY: a retry was refused; only refundquery can tell */
} SaomaRefundWhy;

typedef enum {
  SAOMA_REFUND_END_NONE,
  SAOMA_REFUND_END_SUCCESS,      /* SUCCESS on record */
  SAOMA_REFUND_END_FINAL_STATE,  /* REFUNDCLOSE/CHANGE (or FAILED) on record */
  SAOMA_REFUND_END_REJECTED,     /* FAILED on record: the refusal is the outcome */
  SAOMA_REFUND_END_NOT_RESUMED,  /* resumed, but nothing can be sent from this process: left
                                    as it is on record for a run that can ask */
} SaomaRefundEnd;

typedef struct {
  SaomaRefundAction action;
  gint64            at;     /* WAIT */
  SaomaRefundState  to;     /* WRITE, FAIL */
  SaomaRefundWhy    why;
  SaomaRefundEnd    end;
} SaomaRefundDecision;

void                saoma_refund_facts_init   (SaomaRefundFacts *facts,
                                               SaomaRefundState  state,
                                               gboolean          fresh);
void                saoma_refund_absorb       (SaomaRefundFacts *facts,
                                               SaomaRefundNews   answer,
                                               gboolean          config,
                                               SaomaRefundState  status);
SaomaRefundDecision saoma_refund_decide       (const SaomaRefundFacts  *facts,
                                               gint64                   now,
                                               const SaomaRefundTiming *timing);
void                saoma_refund_carried_out  (SaomaRefundFacts          *facts,
                                               const SaomaRefundDecision *decision);
void                saoma_refund_written      (SaomaRefundFacts *facts,
                                               SaomaRefundState  state);
void                saoma_refund_write_failed (SaomaRefundFacts *facts);
const char         *saoma_refund_action_to_string (SaomaRefundAction action);

G_END_DECLS
