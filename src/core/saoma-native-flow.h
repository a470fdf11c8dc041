/* saoma-native-flow.h: the Native (QR) payment flow as facts, answers and a pure decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here does I/O, reads a clock or touches a GObject: the checkout gathers the facts,
 * asks saoma_native_decide() what to do, and carries it out. The table in
 * tests/core/test-native-flow.c checks every decision without a gateway or a ledger.
 */
#pragma once

#include <glib.h>
#include "ledger/saoma-attempt.h"

G_BEGIN_DECLS

/* The verdict of the last answer, not acted on yet (consumed by the write it decides). */
typedef enum {
  SAOMA_NATIVE_NEWS_NONE,
  SAOMA_NATIVE_NEWS_CREATED,          /* unifiedorder → SUCCESS with a code_url */
  SAOMA_NATIVE_NEWS_CREATE_UNKNOWN,   /* unifiedorder outcome unknown, nothing on record yet */
  SAOMA_NATIVE_NEWS_CREATE_REJECTED,  /* definite "no", and no earlier request may have acted */
  SAOMA_NATIVE_NEWS_PAID,             /* orderquery SUCCESS/REFUND with the attempt's amount */
  SAOMA_NATIVE_NEWS_NOT_PAID,         /* orderquery NOTPAY & co. while giving up: close it */
  SAOMA_NATIVE_NEWS_CLOSED,           /* orderquery CLOSED/REVOKED */
  SAOMA_NATIVE_NEWS_PAY_ERROR,        /* orderquery PAYERROR */
} SaomaNativeNews;

/**
 * SaomaNativeFacts:
 *
 * What the engine knows about one Native attempt: its durable state, what it sent, and what
 * WeChat said. Times are µs since the epoch (0: never).
 */
typedef struct {
  SaomaAttemptState state;        /* the decided state; durable once no write is pending */
  gint64            created;
  gint64            expires;      /* time_expire: no order can be created after it */

  /* Machinery the decision waits for. */
  gboolean          inserted;     /* the CREATED row is durable */
  gboolean          writing;      /* a ledger write is queued or in flight */
  gboolean          net_busy;     /* a gateway request is in flight */

  /* The cashier's side. */
  gboolean          giving_up;    /* cancelled, expired, or resumed by recovery: no QR */
  gboolean          expired;      /* the give-up was the expiry (wording only) */
  gboolean          closing_owed; /* given up after SUBMITTED: CLOSING is to be recorded */
  gboolean          resumed;      /* driven by recovery: a last run may have sent anything */

  /* What we sent. */
  gboolean          sent;         /* SUBMITTED decided: the first request may leave */
  gboolean          requested;    /* a unifiedorder may have reached WeChat */
  gint64            last_send_at;
  gint64            last_query_at;
  gint64            close_retry_at; /* never close again before this */

  /* What WeChat said. */
  gboolean          exists;          /* WeChat confirmed the order */
  gboolean          not_exist;       /* ORDERNOTEXIST after the last unifiedorder */
  gint64            not_exist_at;
  gboolean          create_unknown;  /* some unifiedorder outcome was unknown */
  gboolean          create_rejected; /* a later unifiedorder was rejected (known) */
  gboolean          closed_ok;       /* closeorder succeeded or said ORDERCLOSED */
  gboolean          code_url_known;
  gboolean          reopened;        /* a notification contradicts a final, unpaid attempt */
  SaomaNativeNews   news;
  const char       *news_code;       /* interned protocol code or trade_state of the news */

  /* What is asked for. */
  gboolean          want_query;
  gboolean          want_send;
  gint64            send_at;
} SaomaNativeFacts;

/* The settings the decision depends on, in µs. */
typedef struct {
  gint64 poll;          /* query interval while the QR is shown */
  gint64 slow_poll;     /* query interval while giving up; close retry interval */
  gint64 retry;         /* re-send / re-query interval after a failure */
  gint64 close_delay;   /* closeorder not before created + this (the 5-minute rule) */
  gint64 send_margin;   /* no unifiedorder this close to time_expire */
} SaomaNativeTiming;

typedef enum {
  SAOMA_NATIVE_ACTION_NONE,   /* wait for the write or request in progress */
  SAOMA_NATIVE_ACTION_DONE,   /* final: nothing more, ever (until a notification) */
  SAOMA_NATIVE_ACTION_WAIT,   /* decide again at @at */
  SAOMA_NATIVE_ACTION_WRITE,  /* record state @to (why: @why) */
  SAOMA_NATIVE_ACTION_FAIL,   /* record FAILED (why: @why, reason: @fail) */
  SAOMA_NATIVE_ACTION_CREATE, /* send unifiedorder (identical parameters) */
  SAOMA_NATIVE_ACTION_QUERY,  /* send orderquery */
  SAOMA_NATIVE_ACTION_CLOSE,  /* send closeorder */
} SaomaNativeAction;

/* Why a state is written: each has its one audit text (saoma_native_decision_describe()). */
typedef enum {
  SAOMA_NATIVE_WHY_NONE,
  SAOMA_NATIVE_WHY_SUBMIT,                  /* SUBMITTED before the first send */
  SAOMA_NATIVE_WHY_CREATED,                 /* WAITING: code_url known, QR shown */
  SAOMA_NATIVE_WHY_CREATED_AFTER_GIVE_UP,   /* CLOSING: code_url came after the give-up */
  SAOMA_NATIVE_WHY_CODE_URL_AGAIN,          /* WAITING again after a failed write */
  SAOMA_NATIVE_WHY_CREATE_UNKNOWN,          /* UNKNOWN */
  SAOMA_NATIVE_WHY_CANCELLED,               /* CLOSING: the cashier cancelled */
  SAOMA_NATIVE_WHY_EXPIRED,                 /* CLOSING: the QR expired */
  SAOMA_NATIVE_WHY_NOT_PAID,                /* CLOSING: unpaid order of a give-up */
  SAOMA_NATIVE_WHY_PAID,                    /* PAID by orderquery */
  SAOMA_NATIVE_WHY_TRADE_CLOSED,            /* CLOSED by orderquery */
  SAOMA_NATIVE_WHY_PAY_ERROR,               /* FAILED: PAYERROR */
  SAOMA_NATIVE_WHY_CREATE_REJECTED,         /* FAILED: unifiedorder rejected */
  SAOMA_NATIVE_WHY_CANCELLED_UNSENT,        /* FAILED: cancelled before anything was sent */
  SAOMA_NATIVE_WHY_GIVEN_UP_UNSENT,         /* FAILED: SUBMITTED, given up before sending */
  SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_REJECT,  /* FAILED: ORDERNOTEXIST after a rejection */
  SAOMA_NATIVE_WHY_NOT_EXIST_AFTER_EXPIRE,  /* FAILED: ORDERNOTEXIST after time_expire */
} SaomaNativeWhy;

/* Which error a FAIL reports to the views. */
typedef enum {
  SAOMA_NATIVE_FAIL_NONE,
  SAOMA_NATIVE_FAIL_UNSENT,        /* cancelled before it was sent */
  SAOMA_NATIVE_FAIL_NEVER_REACHED, /* WeChat never had it */
  SAOMA_NATIVE_FAIL_GATEWAY,       /* WeChat's own refusal (the error on record) */
} SaomaNativeFail;

typedef struct {
  SaomaNativeAction action;
  gint64            at;     /* WAIT: when to decide again */
  SaomaAttemptState to;     /* WRITE, FAIL */
  SaomaNativeWhy    why;
  SaomaNativeFail   fail;
  gboolean          late;   /* WRITE PAID: paid after the cashier gave up */
  const char       *code;   /* borrowed from the facts: the code the audit text names */
} SaomaNativeDecision;

/* How a gateway call was answered, in the classes the flow distinguishes. */
typedef enum {
  SAOMA_NATIVE_ANSWER_OK,             /* create: a code_url; close: closed */
  SAOMA_NATIVE_ANSWER_ORDER_PAID,     /* known: ORDERPAID */
  SAOMA_NATIVE_ANSWER_ORDER_CLOSED,   /* known: ORDERCLOSED */
  SAOMA_NATIVE_ANSWER_ORDER_NOT_EXIST,/* known: ORDERNOTEXIST */
  SAOMA_NATIVE_ANSWER_NOT_JUDGED,     /* known not to have reached WeChat's judgement */
  SAOMA_NATIVE_ANSWER_REJECTED,       /* any other known failure */
  SAOMA_NATIVE_ANSWER_UNKNOWN,        /* outcome unknown: WeChat may have acted */
  /* orderquery answers with a trade state */
  SAOMA_NATIVE_ANSWER_TRADE_PAID,     /* SUCCESS/REFUND, amount matches */
  SAOMA_NATIVE_ANSWER_TRADE_WRONG_AMOUNT, /* contradicting: paid, but not this amount */
  SAOMA_NATIVE_ANSWER_TRADE_NOT_PAID, /* NOTPAY, USERPAYING, ACCEPT */
  SAOMA_NATIVE_ANSWER_TRADE_CLOSED,   /* CLOSED, REVOKED */
  SAOMA_NATIVE_ANSWER_TRADE_PAY_ERROR,
  SAOMA_NATIVE_ANSWER_TRADE_OTHER,    /* a trade_state we do not understand */
  SAOMA_NATIVE_ANSWER_FOREIGN,        /* contradicting: an answer for another order */
} SaomaNativeAnswer;

typedef enum {
  SAOMA_NATIVE_CALL_CREATE,
  SAOMA_NATIVE_CALL_QUERY,
  SAOMA_NATIVE_CALL_CLOSE,
} SaomaNativeCall;

SaomaNativeAnswer   saoma_native_answer_for_error     (const GError *error);

void                saoma_native_facts_init           (SaomaNativeFacts *facts,
                                                       gint64            created,
                                                       gint64            expires);
void                saoma_native_facts_resume         (SaomaNativeFacts *facts,
                                                       SaomaAttemptState state,
                                                       gboolean          code_url_known,
                                                       gint64            now);
gboolean            saoma_native_give_up              (SaomaNativeFacts *facts,
                                                       gboolean          expired);
void                saoma_native_requested            (SaomaNativeFacts *facts,
                                                       SaomaNativeCall   call,
                                                       gint64            now);
void                saoma_native_absorb               (SaomaNativeFacts        *facts,
                                                       SaomaNativeCall          call,
                                                       SaomaNativeAnswer        answer,
                                                       const char              *code,
                                                       gint64                   now,
                                                       const SaomaNativeTiming *timing);
void                saoma_native_carried_out          (SaomaNativeFacts          *facts,
                                                       const SaomaNativeDecision *decision,
                                                       gint64                     now);
void                saoma_native_write_failed         (SaomaNativeFacts *facts,
                                                       SaomaAttemptState durable);

SaomaNativeDecision saoma_native_first_write          (void);
gboolean            saoma_native_shows_qr             (const SaomaNativeFacts *facts);

SaomaNativeDecision saoma_native_decide               (const SaomaNativeFacts  *facts,
                                                       gint64                   now,
                                                       const SaomaNativeTiming *timing);
char               *saoma_native_decision_describe    (const SaomaNativeDecision *decision,
                                                       const char                *transaction_id);
const char         *saoma_native_action_to_string     (SaomaNativeAction action);

G_END_DECLS
