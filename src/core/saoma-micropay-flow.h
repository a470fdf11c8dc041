/* saoma-micropay-flow.h: the micropay (付款码) flow as facts, answers and a pure decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Like saoma-native-flow.h: nothing here does I/O, reads a clock or touches a GObject. The job
 * gathers the facts, asks saoma_micropay_decide() what to do, and carries it out; the table in
 * tests/core/test-micropay-flow.c checks every decision without a gateway or a ledger. States
 * are attempt states under micropay's names (src/ledger/saoma-flow.h): WAITING is USERPAYING,
 * CLOSING is REVERSING, CLOSED is REVOKED.
 */
#pragma once

#include <glib.h>
#include "ledger/saoma-attempt.h"

G_BEGIN_DECLS

/* How a gateway call was answered, in the classes the flow distinguishes. */
typedef enum {
  SAOMA_MICROPAY_ANSWER_PAID,        /* micropay SUCCESS; orderquery SUCCESS/REFUND, this amount */
  SAOMA_MICROPAY_ANSWER_USERPAYING,  /* the payer is entering the password */
  SAOMA_MICROPAY_ANSWER_NOTPAY,      /* orderquery NOTPAY/ACCEPT: open, nothing to record */
  SAOMA_MICROPAY_ANSWER_UNKNOWN,     /* outcome unknown: timeout, lost answer, SYSTEMERROR… */
  SAOMA_MICROPAY_ANSWER_NOT_SENT,    /* known never to have reached WeChat (connect, cancel) */
  SAOMA_MICROPAY_ANSWER_REFUSED,     /* a final refusal: AUTHCODEEXPIRE, NOTENOUGH, … */
  SAOMA_MICROPAY_ANSWER_ORDER_ENDED, /* ORDERPAID/ORDERCLOSED/ORDERREVERSED: ask its state */
  SAOMA_MICROPAY_ANSWER_REVOKED,     /* orderquery REVOKED/CLOSED */
  SAOMA_MICROPAY_ANSWER_PAY_ERROR,   /* orderquery PAYERROR */
  SAOMA_MICROPAY_ANSWER_NOT_EXIST,   /* ORDERNOTEXIST */
  SAOMA_MICROPAY_ANSWER_WRONG,       /* contradicting (other order, other amount): ignored */
  SAOMA_MICROPAY_ANSWER_REVERSED,    /* reverse SUCCESS, recall=N */
  SAOMA_MICROPAY_ANSWER_RECALL,      /* reverse SUCCESS, recall=Y: call it again */
} SaomaMicropayAnswer;

typedef enum {
  SAOMA_MICROPAY_CALL_PAY,
  SAOMA_MICROPAY_CALL_QUERY,
  SAOMA_MICROPAY_CALL_REVERSE,
} SaomaMicropayCall;

/* A verdict of the last answer, not recorded yet (consumed by the write it decides). */
typedef enum {
  SAOMA_MICROPAY_NEWS_NONE,
  SAOMA_MICROPAY_NEWS_PAID,
  SAOMA_MICROPAY_NEWS_USERPAYING,
  SAOMA_MICROPAY_NEWS_UNKNOWN,
  SAOMA_MICROPAY_NEWS_REFUSED,
  SAOMA_MICROPAY_NEWS_PAY_ERROR,
  SAOMA_MICROPAY_NEWS_REVOKED,
  SAOMA_MICROPAY_NEWS_NEVER_EXISTED,
  SAOMA_MICROPAY_NEWS_NEVER_REACHED,
} SaomaMicropayNews;

/**
 * SaomaMicropayFacts:
 *
 * What the job knows about one micropay attempt. Times are µs since the epoch (0: never).
 */
typedef struct {
  SaomaAttemptState state;          /* the decided state; durable once no write is pending */
  gint64            created;

  gboolean          inserted;       /* the CREATED row is durable */
  gboolean          writing;        /* a ledger write is queued or in flight */
  gboolean          net_busy;       /* a gateway request is in flight */

  gboolean          resumed;        /* driven by recovery: the last run may have sent it */
  gboolean          queried;        /* an orderquery was answered in this run */
  gboolean          giving_up;      /* the cashier cancelled */

  gboolean          sent;           /* SUBMITTED decided: the pay call may leave */
  gboolean          requested;      /* the pay call may have reached WeChat */
  gint64            pay_at;         /* when it left (an upper bound when resumed) */
  gint64            query_at;       /* the next orderquery, not before */

  guint             reverse_calls;  /* reverse calls in this round */
  gint64            reverse_at;     /* the next reverse, not before */
  gboolean          reverse_done;   /* the round is over: the final orderquery decides */

  SaomaMicropayNews news;
  const char       *news_code;      /* interned protocol code of the news, for the audit text */
} SaomaMicropayFacts;

/* The settings the decision depends on, in µs (wxpay-v2.md §13.1). */
typedef struct {
  gint64 poll;           /* orderquery interval while open (5 s) */
  gint64 unknown_wait;   /* first orderquery after an unknown outcome (5 s) */
  gint64 reverse_after;  /* no reverse earlier than this after the pay call (15 s) */
  gint64 give_up;        /* reverse what is still open this long after creation (45 s) */
  gint64 reverse_retry;  /* between reverse calls of one round */
  guint  reverse_max;    /* reverse calls per round (10, the official demo) */
  gint64 round_wait;     /* a new round when the final query finds the order still open */
} SaomaMicropayTiming;

/* The defaults of the protocol's documentation. */
extern const SaomaMicropayTiming saoma_micropay_default_timing;

typedef enum {
  SAOMA_MICROPAY_ACTION_NONE,    /* wait for the write or request in progress */
  SAOMA_MICROPAY_ACTION_DONE,    /* final */
  SAOMA_MICROPAY_ACTION_WAIT,    /* decide again at @at */
  SAOMA_MICROPAY_ACTION_WRITE,   /* record state @to */
  SAOMA_MICROPAY_ACTION_FAIL,    /* record FAILED */
  SAOMA_MICROPAY_ACTION_PAY,     /* send micropay (once, ever) */
  SAOMA_MICROPAY_ACTION_QUERY,   /* send orderquery */
  SAOMA_MICROPAY_ACTION_REVERSE, /* send reverse */
} SaomaMicropayAction;

/* Why a state is written: each has its one audit text (saoma_micropay_decision_describe()). */
typedef enum {
  SAOMA_MICROPAY_WHY_NONE,
  SAOMA_MICROPAY_WHY_SUBMIT,           /* SUBMITTED before the pay call */
  SAOMA_MICROPAY_WHY_PAID,             /* PAID: micropay or orderquery SUCCESS */
  SAOMA_MICROPAY_WHY_USERPAYING,       /* USERPAYING: the payer enters the password */
  SAOMA_MICROPAY_WHY_UNKNOWN,          /* UNKNOWN: pay outcome unknown */
  SAOMA_MICROPAY_WHY_GIVE_UP,          /* REVERSING: still open at the give-up */
  SAOMA_MICROPAY_WHY_CANCELLED,        /* REVERSING: the cashier cancelled */
  SAOMA_MICROPAY_WHY_REVOKED,          /* REVOKED: orderquery REVOKED/CLOSED */
  SAOMA_MICROPAY_WHY_REFUSED,          /* FAILED: micropay refused */
  SAOMA_MICROPAY_WHY_PAY_ERROR,        /* FAILED: orderquery PAYERROR */
  SAOMA_MICROPAY_WHY_NEVER_EXISTED,    /* FAILED: reversed, and no order exists */
  SAOMA_MICROPAY_WHY_NEVER_REACHED,    /* FAILED: the pay call never reached WeChat */
  SAOMA_MICROPAY_WHY_CANCELLED_UNSENT, /* FAILED: cancelled before the pay call */
  SAOMA_MICROPAY_WHY_UNSENT,           /* FAILED: resumed, never sent (write before send) */
} SaomaMicropayWhy;

typedef struct {
  SaomaMicropayAction action;
  gint64              at;    /* WAIT */
  SaomaAttemptState   to;    /* WRITE, FAIL */
  SaomaMicropayWhy    why;
  const char         *code;  /* borrowed from the facts */
} SaomaMicropayDecision;

SaomaMicropayAnswer   saoma_micropay_answer_for_error   (const GError *error);

void                  saoma_micropay_facts_init         (SaomaMicropayFacts *facts,
                                                         gint64              created);
void                  saoma_micropay_facts_resume       (SaomaMicropayFacts *facts,
                                                         SaomaAttemptState   state,
                                                         gint64              created,
                                                         gint64              updated,
                                                         gint64              now);
gboolean              saoma_micropay_give_up            (SaomaMicropayFacts *facts);
void                  saoma_micropay_absorb             (SaomaMicropayFacts         *facts,
                                                         SaomaMicropayCall           call,
                                                         SaomaMicropayAnswer         answer,
                                                         const char                 *code,
                                                         gint64                      now,
                                                         const SaomaMicropayTiming  *timing);
void                  saoma_micropay_carried_out        (SaomaMicropayFacts          *facts,
                                                         const SaomaMicropayDecision *decision,
                                                         gint64                       now);
void                  saoma_micropay_write_failed       (SaomaMicropayFacts *facts,
                                                         SaomaAttemptState   durable,
                                                         gint64              now);
SaomaMicropayDecision saoma_micropay_decide             (const SaomaMicropayFacts  *facts,
                                                         gint64                     now,
                                                         const SaomaMicropayTiming *timing);
char                 *saoma_micropay_decision_describe  (const SaomaMicropayDecision *decision,
                                                         const char                  *txid);
const char           *saoma_micropay_action_to_string   (SaomaMicropayAction action);

/* What a scanned or typed code is (issue 13). */
typedef enum {
  SAOMA_PAYMENT_CODE_INVALID,  /* not a payment code */
  SAOMA_PAYMENT_CODE_WECHAT,   /* 18 digits, 10–16…: charge it */
  SAOMA_PAYMENT_CODE_ALIPAY,   /* 16–24 digits starting 25–30: not supported */
} SaomaPaymentCodeKind;

SaomaPaymentCodeKind  saoma_payment_code_classify       (const char *code);

G_END_DECLS
