/* test-native-flow.c: the Native payment decision, by a table. No gateway, no ledger, no
 * clock: each row is facts (+ an answer folded in) + now → the expected decision. A sweep over
 * every state × every call × every answer class then checks the safety rules of DESIGN.md. */
#include "config.h"

#include "core/saoma-native-flow.h"

#define S(x) SAOMA_ATTEMPT_##x
#define A(x) SAOMA_NATIVE_ACTION_##x
#define W(x) SAOMA_NATIVE_WHY_##x
#define C(x) SAOMA_NATIVE_CALL_##x
#define N(x) SAOMA_NATIVE_ANSWER_##x

#define SEC G_USEC_PER_SEC
#define T0  ((gint64)1764000000 * SEC)  /* created */
#define EXP (T0 + 300 * SEC)            /* time_expire */

static const SaomaNativeTiming timing = {
  .poll = 2 * SEC, .slow_poll = 10 * SEC, .retry = 2 * SEC, .close_delay = 300 * SEC,
  .send_margin = 2 * SEC,
};

/* Facts of an attempt on record whose unifiedorder has left. */
#define OPEN(st)  .state = S (st), .inserted = TRUE, .sent = TRUE, .requested = TRUE, \
                  .created = T0, .expires = EXP
/* ... and WeChat gave its code_url. */
#define SHOWN(st) OPEN (st), .exists = TRUE, .code_url_known = TRUE
/* ... resumed by recovery: anything may have been sent. */
#define RESUMED   .resumed = TRUE, .create_unknown = TRUE, .giving_up = TRUE

typedef struct {
  const char          *name;
  SaomaNativeFacts     facts;
  gboolean             answered;
  SaomaNativeCall      call;
  SaomaNativeAnswer    answer;
  gint64               now;
  SaomaNativeAction    action;
  SaomaAttemptState    to;     /* WRITE, FAIL */
  SaomaNativeWhy       why;
  gint64               at;     /* WAIT */
  gboolean             late;
  SaomaNativeFail      fail;
} Row;

#define ANSWER(c, n) .answered = TRUE, .call = C (c), .answer = N (n)

static const Row rows[] = {
  /* --- No answer: what the facts alone decide. --- */
  { "not-inserted", { .state = S (CREATED), .created = T0, .expires = EXP }, .now = T0,
    .action = A (NONE) },
  { "write-pending", { OPEN (WAITING), .writing = TRUE, .want_query = TRUE }, .now = T0,
    .action = A (NONE) },
  { "fresh/submit-before-send", { .state = S (CREATED), .inserted = TRUE, .created = T0,
                                  .expires = EXP }, .now = T0,
    .action = A (WRITE), .to = S (SUBMITTED), .why = W (SUBMIT) },
  { "fresh/cancelled-unsent", { .state = S (CREATED), .inserted = TRUE, .giving_up = TRUE,
                                .created = T0, .expires = EXP }, .now = T0,
    .action = A (FAIL), .to = S (FAILED), .why = W (CANCELLED_UNSENT),
    .fail = SAOMA_NATIVE_FAIL_UNSENT },
  { "submitted/send", { .state = S (SUBMITTED), .inserted = TRUE, .sent = TRUE,
                        .want_send = TRUE, .send_at = T0, .created = T0, .expires = EXP },
    .now = T0, .action = A (CREATE) },
  { "closing/given-up-unsent", { .state = S (CLOSING), .inserted = TRUE, .sent = TRUE,
                                 .giving_up = TRUE, .created = T0, .expires = EXP },
    .now = T0, .action = A (FAIL), .to = S (FAILED), .why = W (GIVEN_UP_UNSENT),
    .fail = SAOMA_NATIVE_FAIL_UNSENT },
  { "give-up/recorded-with-request-in-flight", { OPEN (SUBMITTED), .net_busy = TRUE,
                                                 .giving_up = TRUE, .closing_owed = TRUE },
    .now = T0 + SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (CANCELLED) },
  { "give-up/expired", { SHOWN (WAITING), .giving_up = TRUE, .expired = TRUE,
                         .closing_owed = TRUE }, .now = EXP,
    .action = A (WRITE), .to = S (CLOSING), .why = W (EXPIRED) },
  { "request-in-flight", { SHOWN (WAITING), .net_busy = TRUE }, .now = T0,
    .action = A (NONE) },
  { "paid/done", { SHOWN (PAID) }, .now = T0, .action = A (DONE) },
  { "partially-refunded/done", { SHOWN (PARTIALLY_REFUNDED) }, .now = T0, .action = A (DONE) },
  { "refunded/done", { SHOWN (REFUNDED) }, .now = T0, .action = A (DONE) },
  { "closed/done", { SHOWN (CLOSED) }, .now = T0, .action = A (DONE) },
  { "failed/done", { OPEN (FAILED) }, .now = T0, .action = A (DONE) },
  { "paid/reopened-is-done", { SHOWN (PAID), .reopened = TRUE }, .now = T0, .action = A (DONE) },
  { "failed/reopened-query-now", { OPEN (FAILED), .reopened = TRUE, .want_query = TRUE,
                                   .last_query_at = T0 }, .now = T0 + SEC,
    .action = A (QUERY) },
  { "failed/reopened-query-slowly", { OPEN (FAILED), .reopened = TRUE,
                                      .last_query_at = T0 + 5 * SEC }, .now = T0 + 10 * SEC,
    .action = A (WAIT), .at = T0 + 15 * SEC },
  { "waiting/poll-not-due", { SHOWN (WAITING), .last_query_at = T0 + 9 * SEC },
    .now = T0 + 10 * SEC, .action = A (WAIT), .at = T0 + 11 * SEC },
  { "waiting/poll-due", { SHOWN (WAITING), .last_query_at = T0 + 8 * SEC },
    .now = T0 + 10 * SEC, .action = A (QUERY) },
  { "waiting/query-now", { SHOWN (WAITING), .want_query = TRUE, .last_query_at = T0 + 9 * SEC },
    .now = T0 + 10 * SEC, .action = A (QUERY) },
  { "waiting/reentry-not-before-retry", { SHOWN (WAITING), .want_send = TRUE,
                                          .send_at = T0 + 10 * SEC,
                                          .last_send_at = T0 + 9 * SEC },
    .now = T0 + 10 * SEC, .action = A (WAIT), .at = T0 + 11 * SEC },
  { "submitted/code-url-recorded-again", { SHOWN (SUBMITTED) }, .now = T0 + SEC,
    .action = A (WRITE), .to = S (WAITING), .why = W (CODE_URL_AGAIN) },
  { "unknown/resend-later", { OPEN (UNKNOWN), .create_unknown = TRUE, .want_send = TRUE,
                              .send_at = T0 + 12 * SEC }, .now = T0 + 10 * SEC,
    .action = A (WAIT), .at = T0 + 12 * SEC },
  { "unknown/resend-now", { OPEN (UNKNOWN), .create_unknown = TRUE, .want_send = TRUE,
                            .send_at = T0 + 10 * SEC }, .now = T0 + 10 * SEC,
    .action = A (CREATE) },
  { "unknown/giving-up-queries-not-sends", { OPEN (UNKNOWN), RESUMED, .want_send = TRUE,
                                             .send_at = T0 }, .now = T0 + 10 * SEC,
    .action = A (QUERY) },
  { "unknown/giving-up-slow-query", { OPEN (UNKNOWN), RESUMED,
                                      .last_query_at = T0 + 5 * SEC }, .now = T0 + 10 * SEC,
    .action = A (WAIT), .at = T0 + 15 * SEC },
  { "not-exist/reentry", { OPEN (UNKNOWN), .create_unknown = TRUE, .not_exist = TRUE,
                           .not_exist_at = T0 + 9 * SEC, .last_send_at = T0 + 5 * SEC },
    .now = T0 + 10 * SEC, .action = A (CREATE) },
  { "not-exist/reentry-not-before-retry", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                            .not_exist = TRUE, .not_exist_at = T0 + 9 * SEC,
                                            .last_send_at = T0 + 9 * SEC },
    .now = T0 + 10 * SEC, .action = A (WAIT), .at = T0 + 11 * SEC },
  { "not-exist/near-time-expire-waits-for-it", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                                 .not_exist = TRUE,
                                                 .not_exist_at = EXP - 2 * SEC,
                                                 .last_query_at = EXP - 2 * SEC },
    .now = EXP - SEC, .action = A (WAIT), .at = EXP },
  { "not-exist/seen-before-expire-asks-again-after", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                                       .not_exist = TRUE,
                                                       .not_exist_at = EXP - SEC,
                                                       .last_query_at = EXP - SEC },
    .now = EXP + 5 * SEC, .action = A (QUERY) },
  { "not-exist/after-time-expire-fails", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                           .not_exist = TRUE, .not_exist_at = EXP },
    .now = EXP + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (NOT_EXIST_AFTER_EXPIRE),
    .fail = SAOMA_NATIVE_FAIL_NEVER_REACHED },
  { "not-exist/after-rejected-reentry-fails", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                                .create_rejected = TRUE, .not_exist = TRUE,
                                                .not_exist_at = T0 + 9 * SEC },
    .now = T0 + 10 * SEC, .action = A (FAIL), .to = S (FAILED),
    .why = W (NOT_EXIST_AFTER_REJECT), .fail = SAOMA_NATIVE_FAIL_GATEWAY },
  { "closing/before-close-delay", { SHOWN (CLOSING), .giving_up = TRUE,
                                    .last_query_at = T0 + 95 * SEC }, .now = T0 + 100 * SEC,
    .action = A (WAIT), .at = T0 + 105 * SEC },
  { "closing/wake-at-close-moment", { SHOWN (CLOSING), .giving_up = TRUE,
                                      .last_query_at = T0 + 295 * SEC },
    .now = T0 + 296 * SEC, .action = A (WAIT), .at = T0 + 300 * SEC },
  { "closing/close-at-delay", { SHOWN (CLOSING), .giving_up = TRUE,
                                .last_query_at = T0 + 295 * SEC }, .now = T0 + 300 * SEC,
    .action = A (CLOSE) },
  { "closing/close-not-before-retry", { SHOWN (CLOSING), .giving_up = TRUE,
                                        .close_retry_at = T0 + 310 * SEC },
    .now = T0 + 305 * SEC, .action = A (WAIT), .at = T0 + 310 * SEC },
  { "closing/closed-ok-requery", { SHOWN (CLOSING), .giving_up = TRUE, .closed_ok = TRUE,
                                   .last_query_at = T0 + 304 * SEC },
    .now = T0 + 305 * SEC, .action = A (WAIT), .at = T0 + 306 * SEC },

  /* --- unifiedorder answered. --- */
  { "submitted+create-ok", { OPEN (SUBMITTED) }, ANSWER (CREATE, OK), .now = T0 + SEC,
    .action = A (WRITE), .to = S (WAITING), .why = W (CREATED) },
  { "submitted-given-up+create-ok", { OPEN (SUBMITTED), .giving_up = TRUE }, ANSWER (CREATE, OK),
    .now = T0 + SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (CREATED_AFTER_GIVE_UP) },
  { "submitted+create-unknown", { OPEN (SUBMITTED) }, ANSWER (CREATE, UNKNOWN), .now = T0 + SEC,
    .action = A (WRITE), .to = S (UNKNOWN), .why = W (CREATE_UNKNOWN) },
  { "submitted+create-rejected", { OPEN (SUBMITTED) }, ANSWER (CREATE, REJECTED),
    .now = T0 + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (CREATE_REJECTED),
    .fail = SAOMA_NATIVE_FAIL_GATEWAY },
  { "submitted+create-not-delivered", { OPEN (SUBMITTED) }, ANSWER (CREATE, NOT_JUDGED),
    .now = T0 + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (CREATE_REJECTED),
    .fail = SAOMA_NATIVE_FAIL_GATEWAY },
  { "submitted+create-orderpaid", { OPEN (SUBMITTED) }, ANSWER (CREATE, ORDER_PAID),
    .now = T0 + SEC, .action = A (QUERY) },
  { "unknown+create-ok", { OPEN (UNKNOWN), .create_unknown = TRUE }, ANSWER (CREATE, OK),
    .now = T0 + 5 * SEC, .action = A (WRITE), .to = S (WAITING), .why = W (CREATED) },
  { "unknown+create-unknown", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (CREATE, UNKNOWN), .now = T0 + 5 * SEC, .action = A (WAIT), .at = T0 + 7 * SEC },
  { "unknown+create-not-delivered-retries", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (CREATE, NOT_JUDGED), .now = T0 + 5 * SEC, .action = A (WAIT), .at = T0 + 7 * SEC },
  { "unknown+create-rejected-queries", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (CREATE, REJECTED), .now = T0 + 5 * SEC, .action = A (QUERY) },
  { "unknown+create-orderclosed-queries", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (CREATE, ORDER_CLOSED), .now = T0 + 5 * SEC, .action = A (QUERY) },
  { "resumed-created+create-unknown", { OPEN (CREATED), RESUMED }, ANSWER (CREATE, UNKNOWN),
    .now = T0 + 5 * SEC, .action = A (WRITE), .to = S (UNKNOWN), .why = W (CREATE_UNKNOWN) },
  { "resumed-created+create-rejected-queries", { OPEN (CREATED), RESUMED },
    ANSWER (CREATE, REJECTED), .now = T0 + 5 * SEC, .action = A (QUERY) },

  /* --- orderquery answered. --- */
  { "waiting+paid", { SHOWN (WAITING) }, ANSWER (QUERY, TRADE_PAID), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID) },
  { "waiting-given-up+paid-is-late", { SHOWN (WAITING), .giving_up = TRUE },
    ANSWER (QUERY, TRADE_PAID), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID), .late = TRUE },
  { "closing+paid-is-late", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (QUERY, TRADE_PAID), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID), .late = TRUE },
  { "resumed-unknown+paid-is-not-late", { OPEN (UNKNOWN), RESUMED },
    ANSWER (QUERY, TRADE_PAID), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID) },
  { "resumed-closing+paid-is-late", { SHOWN (CLOSING), RESUMED },
    ANSWER (QUERY, TRADE_PAID), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID), .late = TRUE },
  { "waiting+wrong-amount-is-not-paid", { SHOWN (WAITING) }, ANSWER (QUERY, TRADE_WRONG_AMOUNT),
    .now = T0 + 20 * SEC, .action = A (WAIT), .at = T0 + 22 * SEC },
  { "waiting+foreign-answer-ignored", { SHOWN (WAITING) }, ANSWER (QUERY, FOREIGN),
    .now = T0 + 20 * SEC, .action = A (WAIT), .at = T0 + 22 * SEC },
  { "waiting+notpay", { SHOWN (WAITING) }, ANSWER (QUERY, TRADE_NOT_PAID),
    .now = T0 + 20 * SEC, .action = A (WAIT), .at = T0 + 22 * SEC },
  { "unknown-given-up+notpay-closes", { OPEN (UNKNOWN), RESUMED }, ANSWER (QUERY, TRADE_NOT_PAID),
    .now = T0 + 20 * SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (NOT_PAID) },
  { "unknown+notpay-fetches-code-url", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                         .last_send_at = T0 + 5 * SEC },
    ANSWER (QUERY, TRADE_NOT_PAID), .now = T0 + 20 * SEC, .action = A (CREATE) },
  { "closing-closed+notpay-closes-again-later", { SHOWN (CLOSING), .giving_up = TRUE,
                                                  .closed_ok = TRUE },
    ANSWER (QUERY, TRADE_NOT_PAID), .now = T0 + 310 * SEC,
    .action = A (WAIT), .at = T0 + 320 * SEC },
  { "closing-closed+closed", { SHOWN (CLOSING), .giving_up = TRUE, .closed_ok = TRUE },
    ANSWER (QUERY, TRADE_CLOSED), .now = T0 + 310 * SEC,
    .action = A (WRITE), .to = S (CLOSED), .why = W (TRADE_CLOSED) },
  { "waiting+closed", { SHOWN (WAITING) }, ANSWER (QUERY, TRADE_CLOSED), .now = T0 + 20 * SEC,
    .action = A (WRITE), .to = S (CLOSED), .why = W (TRADE_CLOSED) },
  { "waiting+payerror", { SHOWN (WAITING) }, ANSWER (QUERY, TRADE_PAY_ERROR),
    .now = T0 + 20 * SEC, .action = A (FAIL), .to = S (FAILED), .why = W (PAY_ERROR),
    .fail = SAOMA_NATIVE_FAIL_GATEWAY },
  { "waiting+query-unknown", { SHOWN (WAITING) }, ANSWER (QUERY, UNKNOWN),
    .now = T0 + 20 * SEC, .action = A (WAIT), .at = T0 + 22 * SEC },
  { "waiting+query-rejected", { SHOWN (WAITING) }, ANSWER (QUERY, REJECTED),
    .now = T0 + 20 * SEC, .action = A (WAIT), .at = T0 + 22 * SEC },
  { "waiting+orderquery-not-exist-contradicts", { SHOWN (WAITING) },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = T0 + 20 * SEC,
    .action = A (WAIT), .at = T0 + 22 * SEC },
  { "unknown+not-exist-reenters", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                    .last_send_at = T0 + 5 * SEC },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = T0 + 10 * SEC, .action = A (CREATE) },
  { "unknown+not-exist-after-time-expire-fails", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = EXP + SEC, .action = A (FAIL), .to = S (FAILED),
    .why = W (NOT_EXIST_AFTER_EXPIRE), .fail = SAOMA_NATIVE_FAIL_NEVER_REACHED },
  { "unknown+not-exist-at-time-expire-fails", { OPEN (UNKNOWN), .create_unknown = TRUE },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = EXP, .action = A (FAIL), .to = S (FAILED),
    .why = W (NOT_EXIST_AFTER_EXPIRE), .fail = SAOMA_NATIVE_FAIL_NEVER_REACHED },
  { "rejected-reentry+not-exist-fails", { OPEN (UNKNOWN), .create_unknown = TRUE,
                                          .create_rejected = TRUE },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = T0 + 10 * SEC, .action = A (FAIL),
    .to = S (FAILED), .why = W (NOT_EXIST_AFTER_REJECT), .fail = SAOMA_NATIVE_FAIL_GATEWAY },
  { "failed-reopened+paid-is-late", { OPEN (FAILED), .reopened = TRUE },
    ANSWER (QUERY, TRADE_PAID), .now = EXP + 60 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID), .late = TRUE },
  { "closed-reopened+paid-is-late", { SHOWN (CLOSED), .reopened = TRUE },
    ANSWER (QUERY, TRADE_PAID), .now = EXP + 60 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID), .late = TRUE },
  { "failed-reopened+not-exist-is-done", { OPEN (FAILED), .reopened = TRUE },
    ANSWER (QUERY, ORDER_NOT_EXIST), .now = EXP + 60 * SEC, .action = A (DONE) },
  { "closed-reopened+notpay-is-done", { SHOWN (CLOSED), .reopened = TRUE },
    ANSWER (QUERY, TRADE_NOT_PAID), .now = EXP + 60 * SEC, .action = A (DONE) },
  { "failed-reopened+query-unknown-asks-again", { OPEN (FAILED), .reopened = TRUE },
    ANSWER (QUERY, UNKNOWN), .now = EXP + 60 * SEC, .action = A (WAIT), .at = EXP + 70 * SEC },
  { "failed-reopened+wrong-amount-asks-again", { OPEN (FAILED), .reopened = TRUE },
    ANSWER (QUERY, TRADE_WRONG_AMOUNT), .now = EXP + 60 * SEC,
    .action = A (WAIT), .at = EXP + 70 * SEC },

  /* --- closeorder answered (after the 5-minute rule). --- */
  { "closing+close-ok-queries", { SHOWN (CLOSING), .giving_up = TRUE }, ANSWER (CLOSE, OK),
    .now = T0 + 301 * SEC, .action = A (QUERY) },
  { "closing+close-orderclosed-queries", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (CLOSE, ORDER_CLOSED), .now = T0 + 301 * SEC, .action = A (QUERY) },
  { "closing+close-orderpaid-queries", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (CLOSE, ORDER_PAID), .now = T0 + 301 * SEC, .action = A (QUERY) },
  { "closing+close-unknown-closes-again-later", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (CLOSE, UNKNOWN), .now = T0 + 301 * SEC, .action = A (WAIT), .at = T0 + 311 * SEC },
  { "closing+close-rejected-queries", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (CLOSE, REJECTED), .now = T0 + 301 * SEC, .action = A (QUERY) },
  { "closing-never-created+close-not-exist-fails", { OPEN (CLOSING), RESUMED },
    ANSWER (CLOSE, ORDER_NOT_EXIST), .now = T0 + 301 * SEC, .action = A (FAIL),
    .to = S (FAILED), .why = W (NOT_EXIST_AFTER_EXPIRE), .fail = SAOMA_NATIVE_FAIL_NEVER_REACHED },
  { "closing-created+close-not-exist-contradicts", { SHOWN (CLOSING), .giving_up = TRUE },
    ANSWER (CLOSE, ORDER_NOT_EXIST), .now = T0 + 301 * SEC, .action = A (QUERY) },
};

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  SaomaNativeFacts facts = row->facts;
  SaomaNativeDecision decision;

  if (row->answered)
    saoma_native_absorb (&facts, row->call, row->answer, "CODE", row->now, &timing);
  decision = saoma_native_decide (&facts, row->now, &timing);

  g_assert_cmpstr (saoma_native_action_to_string (decision.action), ==,
                   saoma_native_action_to_string (row->action));
  if (row->action == A (WRITE) || row->action == A (FAIL))
    {
      g_assert_cmpstr (saoma_attempt_state_to_string (decision.to), ==,
                       saoma_attempt_state_to_string (row->to));
      g_assert_cmpint (decision.why, ==, row->why);
      g_assert_cmpint (decision.late, ==, row->late);
      g_assert_cmpint (decision.fail, ==, row->fail);
    }
  if (row->action == A (WAIT))
    g_assert_cmpint (decision.at, ==, row->at);

  /* Pure: asked again, the same answer. */
  {
    SaomaNativeDecision again = saoma_native_decide (&facts, row->now, &timing);

    g_assert_cmpint (again.action, ==, decision.action);
    g_assert_cmpint (again.at, ==, decision.at);
    g_assert_cmpint (again.to, ==, decision.to);
    g_assert_cmpint (again.why, ==, decision.why);
  }
}

/* The audit texts the tests and the crash test read. */
static void
test_describe (void)
{
  SaomaNativeFacts facts = { SHOWN (WAITING) };
  SaomaNativeDecision d;
  g_autofree char *closed = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *unknown = NULL;

  saoma_native_absorb (&facts, C (QUERY), N (TRADE_CLOSED), "CLOSED", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  closed = saoma_native_decision_describe (&d, NULL);
  g_assert_cmpstr (closed, ==, "CLOSED: orderquery trade_state=CLOSED");

  facts = (SaomaNativeFacts) { SHOWN (CLOSING), .giving_up = TRUE };
  saoma_native_absorb (&facts, C (QUERY), N (TRADE_PAID), "SUCCESS", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  paid = saoma_native_decision_describe (&d, "4200");
  g_assert_cmpstr (paid, ==, "PAID: orderquery trade_state=SUCCESS, transaction_id=4200 "
                             "(late payment)");

  facts = (SaomaNativeFacts) { OPEN (SUBMITTED) };
  saoma_native_absorb (&facts, C (CREATE), N (UNKNOWN), "TIMEOUT", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  unknown = saoma_native_decision_describe (&d, NULL);
  g_assert_cmpstr (unknown, ==, "UNKNOWN: unifiedorder outcome unknown (TIMEOUT)");
}

/* Give-up and the one policy for a failed write. */
static void
test_give_up_and_failed_write (void)
{
  SaomaNativeFacts facts = { SHOWN (WAITING) };
  SaomaNativeDecision d;

  /* Given up after SUBMITTED: CLOSING is recorded. */
  g_assert_true (saoma_native_give_up (&facts, TRUE));
  g_assert_false (saoma_native_give_up (&facts, FALSE));
  d = saoma_native_decide (&facts, T0 + 10 * SEC, &timing);
  g_assert_cmpint (d.action, ==, A (WRITE));
  g_assert_cmpint (d.to, ==, S (CLOSING));
  g_assert_cmpint (d.why, ==, W (EXPIRED));
  saoma_native_carried_out (&facts, &d, T0 + 10 * SEC);
  g_assert_false (facts.closing_owed);
  g_assert_true (facts.writing);

  /* Before SUBMITTED was decided: it fails unsent, nothing to close. */
  facts = (SaomaNativeFacts) { .state = S (CREATED), .inserted = TRUE, .created = T0,
                               .expires = EXP };
  g_assert_true (saoma_native_give_up (&facts, FALSE));
  g_assert_false (facts.closing_owed);
  d = saoma_native_decide (&facts, T0, &timing);
  g_assert_cmpint (d.action, ==, A (FAIL));
  g_assert_cmpint (d.why, ==, W (CANCELLED_UNSENT));

  /* A final attempt has nothing to give up. */
  facts = (SaomaNativeFacts) { SHOWN (PAID) };
  g_assert_false (saoma_native_give_up (&facts, FALSE));

  /* SUBMITTED could not be written: nothing is sent, SUBMITTED is decided again. */
  facts = (SaomaNativeFacts) { .state = S (CREATED), .inserted = TRUE, .created = T0,
                               .expires = EXP };
  d = saoma_native_decide (&facts, T0, &timing);
  saoma_native_carried_out (&facts, &d, T0);
  g_assert_true (facts.sent);
  saoma_native_write_failed (&facts, S (CREATED));
  g_assert_false (facts.sent);
  g_assert_false (facts.want_send);
  d = saoma_native_decide (&facts, T0 + SEC, &timing);
  g_assert_cmpint (d.action, ==, A (WRITE));
  g_assert_cmpint (d.to, ==, S (SUBMITTED));

  /* WAITING could not be written: the code_url is recorded again. */
  facts = (SaomaNativeFacts) { OPEN (SUBMITTED) };
  saoma_native_absorb (&facts, C (CREATE), N (OK), "OK", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  saoma_native_carried_out (&facts, &d, T0);
  saoma_native_write_failed (&facts, S (SUBMITTED));
  d = saoma_native_decide (&facts, T0 + SEC, &timing);
  g_assert_cmpint (d.action, ==, A (WRITE));
  g_assert_cmpint (d.why, ==, W (CODE_URL_AGAIN));

  /* A late PAID behind FAILED could not be written: it is not forgotten (re-checked). */
  facts = (SaomaNativeFacts) { OPEN (FAILED), .reopened = TRUE };
  saoma_native_absorb (&facts, C (QUERY), N (TRADE_PAID), "SUCCESS", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  g_assert_cmpint (d.to, ==, S (PAID));
  saoma_native_carried_out (&facts, &d, T0);
  g_assert_false (facts.reopened);
  saoma_native_write_failed (&facts, S (FAILED));
  g_assert_true (facts.reopened);
  d = saoma_native_decide (&facts, T0 + 10 * SEC, &timing);
  g_assert_cmpint (d.action, ==, A (QUERY));
}

/* Issue 19: the QR from the verified answer on, while WAITING's write is queued, in flight or
 * failed; never before the code_url, never once given up or resumed, never after a final
 * state is decided. */
static void
test_shows_qr (void)
{
  SaomaNativeFacts facts = { OPEN (SUBMITTED) };
  SaomaNativeDecision d;

  /* unifiedorder in flight: no code_url yet. */
  g_assert_false (saoma_native_shows_qr (&facts));

  /* The verified answer: shown before the WAITING write is even decided ... */
  saoma_native_absorb (&facts, C (CREATE), N (OK), "OK", T0, &timing);
  g_assert_true (saoma_native_shows_qr (&facts));
  /* ... and while it is queued or in flight. */
  d = saoma_native_decide (&facts, T0, &timing);
  g_assert_cmpint (d.action, ==, A (WRITE));
  g_assert_cmpint (d.to, ==, S (WAITING));
  saoma_native_carried_out (&facts, &d, T0);
  g_assert_true (saoma_native_shows_qr (&facts));
  /* A failed write keeps it up while WAITING is decided again. */
  saoma_native_write_failed (&facts, S (SUBMITTED));
  g_assert_true (saoma_native_shows_qr (&facts));
  d = saoma_native_decide (&facts, T0 + SEC, &timing);
  g_assert_cmpint (d.why, ==, W (CODE_URL_AGAIN));
  saoma_native_carried_out (&facts, &d, T0 + SEC);
  g_assert_true (saoma_native_shows_qr (&facts));

  /* Given up: hidden at once. */
  g_assert_true (saoma_native_give_up (&facts, FALSE));
  g_assert_false (saoma_native_shows_qr (&facts));

  /* A re-entry after an unknown outcome gives the code_url: shown over UNKNOWN. */
  facts = (SaomaNativeFacts) { OPEN (UNKNOWN), .create_unknown = TRUE };
  g_assert_false (saoma_native_shows_qr (&facts));
  saoma_native_absorb (&facts, C (CREATE), N (OK), "OK", T0, &timing);
  g_assert_true (saoma_native_shows_qr (&facts));

  /* The code_url after the give-up: kept on record, never shown. */
  facts = (SaomaNativeFacts) { OPEN (SUBMITTED), .giving_up = TRUE, .closing_owed = TRUE };
  saoma_native_absorb (&facts, C (CREATE), N (OK), "OK", T0, &timing);
  g_assert_false (saoma_native_shows_qr (&facts));

  /* An attempt of an earlier run with a code_url on record: nobody shows it. */
  facts = (SaomaNativeFacts) { .created = T0, .expires = EXP };
  saoma_native_facts_resume (&facts, S (WAITING), TRUE, T0);
  g_assert_false (saoma_native_shows_qr (&facts));

  /* A final state decided (paid): the views follow the durable state from here. */
  facts = (SaomaNativeFacts) { SHOWN (WAITING) };
  g_assert_true (saoma_native_shows_qr (&facts));
  saoma_native_absorb (&facts, C (QUERY), N (TRADE_PAID), "SUCCESS", T0, &timing);
  d = saoma_native_decide (&facts, T0, &timing);
  saoma_native_carried_out (&facts, &d, T0);
  g_assert_false (saoma_native_shows_qr (&facts));
}

/* Every state × every call × every answer class × given up or not: the rules of DESIGN.md. */
static void
test_sweep (void)
{
  static const SaomaAttemptState open_states[] = {
    S (CREATED), S (SUBMITTED), S (UNKNOWN), S (WAITING), S (CLOSING),
  };
  static const SaomaAttemptState final_states[] = { S (CLOSED), S (FAILED) };
  static const gint64 times[] = { T0 + SEC, T0 + 299 * SEC, EXP - SEC, EXP, EXP + 60 * SEC };
  guint checked = 0;

  for (guint s = 0; s < G_N_ELEMENTS (open_states) + G_N_ELEMENTS (final_states); s++)
    for (int call = C (CREATE); call <= C (CLOSE); call++)
      for (int answer = N (OK); answer <= N (FOREIGN); answer++)
        for (int variant = 0; variant < 8; variant++)
          for (guint t = 0; t < G_N_ELEMENTS (times); t++)
            {
              gboolean final = s >= G_N_ELEMENTS (open_states);
              SaomaAttemptState state = final ? final_states[s - G_N_ELEMENTS (open_states)]
                                              : open_states[s];
              SaomaNativeFacts facts = { OPEN (CREATED) };
              SaomaNativeFacts before;
              SaomaNativeDecision d;
              gint64 now = times[t];

              /* Which requests can be in flight: a final attempt only re-checks by query. */
              if (final && call != C (QUERY))
                continue;
              if (call == C (QUERY) && answer == N (OK))
                continue;
              if (call != C (QUERY) && answer >= N (TRADE_PAID))
                continue;

              facts.state = state;
              facts.giving_up = (variant & 1) != 0 || state == S (CLOSING);
              facts.create_unknown = (variant & 2) != 0;
              facts.exists = (variant & 4) != 0;
              facts.code_url_known = facts.exists;
              facts.reopened = final;
              before = facts;
              saoma_native_absorb (&facts, call, answer, "CODE", now, &timing);
              d = saoma_native_decide (&facts, now, &timing);
              checked++;

              /* Only WeChat's word that this amount was paid records PAID. */
              if (d.to == S (PAID) && (d.action == A (WRITE)))
                g_assert_cmpint (answer, ==, N (TRADE_PAID));
              /* An unknown outcome never fails an attempt. */
              if (answer == N (UNKNOWN))
                g_assert_cmpint (d.action, !=, A (FAIL));
              /* A contradicting answer decides nothing the facts did not already decide. */
              if (answer == N (FOREIGN) || answer == N (TRADE_WRONG_AMOUNT))
                {
                  SaomaNativeDecision d0;

                  before.last_query_at = now;
                  before.exists |= answer == N (TRADE_WRONG_AMOUNT);
                  d0 = saoma_native_decide (&before, now, &timing);
                  g_assert_cmpint (d.action, ==, d0.action);
                  g_assert_cmpint (d.to, ==, d0.to);
                }
              /* A final attempt only ever becomes PAID. */
              if (final && (d.action == A (WRITE) || d.action == A (FAIL)))
                g_assert_cmpint (d.to, ==, S (PAID));
              /* No QR once given up. */
              if (facts.giving_up && d.action == A (WRITE))
                g_assert_cmpint (d.to, !=, S (WAITING));
              if (facts.giving_up)
                g_assert_false (saoma_native_shows_qr (&facts));
              /* The QR only with a code_url WeChat gave. */
              if (saoma_native_shows_qr (&facts))
                g_assert_true (facts.code_url_known);
              /* An order that may exist is never FAILED before its time_expire, unless our
               * identical re-entry was refused and WeChat has no such order. */
              if (d.action == A (FAIL) && facts.requested && now < EXP &&
                  d.why != W (CREATE_REJECTED) && d.why != W (PAY_ERROR))
                g_assert_cmpint (d.why, ==, W (NOT_EXIST_AFTER_REJECT));
              /* A definite refusal fails only an attempt nothing earlier may have created. */
              if (d.why == W (CREATE_REJECTED))
                g_assert_false (facts.create_unknown || facts.resumed);
            }

  g_assert_cmpuint (checked, >, 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/native-flow/table/%s", rows[i].name);

      g_test_add_data_func (path, &rows[i], test_row);
    }
  g_test_add_func ("/native-flow/describe", test_describe);
  g_test_add_func ("/native-flow/give-up-and-failed-write", test_give_up_and_failed_write);
  g_test_add_func ("/native-flow/sweep", test_sweep);
  g_test_add_func ("/native-flow/shows-qr", test_shows_qr);

  return g_test_run ();
}
