/* test-micropay-flow.c: the micropay decision, by a table. No gateway, no ledger, no clock:
 * each row is facts (+ an answer folded in) + now → the expected decision. A sweep over every
 * state × call × answer class then checks the rules of issue 13: the pay call leaves once,
 * every write is a row of the store's micropay table, an open attempt always has a next step,
 * no reverse within 15 s of the pay call. Payment codes are classified by a second table. */
#include "config.h"

#include "core/saoma-gateway.h"
#include "core/saoma-micropay-flow.h"
#include "ledger/saoma-flow.h"

#define S(x) SAOMA_ATTEMPT_##x
#define A(x) SAOMA_MICROPAY_ACTION_##x
#define W(x) SAOMA_MICROPAY_WHY_##x
#define C(x) SAOMA_MICROPAY_CALL_##x
#define N(x) SAOMA_MICROPAY_ANSWER_##x

/* Micropay's names of the reused states: WAITING is USERPAYING, CLOSING is REVERSING,
 * CLOSED is REVOKED (src/ledger/saoma-flow.h). */

#define SEC G_USEC_PER_SEC
#define T0  ((gint64)1764000000 * SEC)  /* created; the pay call left at T0 + 1 s */
#define SENT (T0 + SEC)

static const SaomaMicropayTiming timing = {
  .poll = 5 * SEC, .unknown_wait = 5 * SEC, .reverse_after = 15 * SEC, .give_up = 45 * SEC,
  .reverse_retry = 5 * SEC, .reverse_max = 10, .round_wait = 30 * SEC,
};

/* Facts of an attempt on record whose pay call has left. */
#define OPEN(st) .state = S (st), .inserted = TRUE, .sent = TRUE, .requested = TRUE, \
                 .created = T0, .pay_at = SENT

typedef struct {
  const char           *name;
  SaomaMicropayFacts    facts;
  gboolean              answered;
  SaomaMicropayCall     call;
  SaomaMicropayAnswer   answer;
  gint64                now;
  SaomaMicropayAction   action;
  SaomaAttemptState     to;     /* WRITE, FAIL */
  SaomaMicropayWhy      why;
  gint64                at;     /* WAIT */
} Row;

#define ANSWER(c, n) .answered = TRUE, .call = C (c), .answer = N (n)

static const Row rows[] = {
  /* --- No answer: what the facts alone decide. --- */
  { "not-inserted", { .state = S (CREATED), .created = T0 }, .now = T0, .action = A (NONE) },
  { "write-pending", { OPEN (WAITING), .writing = TRUE }, .now = T0, .action = A (NONE) },
  { "fresh/submit-before-send", { .state = S (CREATED), .inserted = TRUE, .created = T0 },
    .now = T0, .action = A (WRITE), .to = S (SUBMITTED), .why = W (SUBMIT) },
  { "fresh/cancelled-unsent", { .state = S (CREATED), .inserted = TRUE, .giving_up = TRUE,
                                .created = T0 }, .now = T0,
    .action = A (FAIL), .to = S (FAILED), .why = W (CANCELLED_UNSENT) },
  { "submitted/pay", { .state = S (SUBMITTED), .inserted = TRUE, .sent = TRUE, .created = T0 },
    .now = T0, .action = A (PAY) },
  { "submitted/cancelled-before-it-left", { .state = S (SUBMITTED), .inserted = TRUE,
                                            .sent = TRUE, .giving_up = TRUE, .created = T0 },
    .now = T0, .action = A (FAIL), .to = S (FAILED), .why = W (CANCELLED_UNSENT) },
  { "pay-in-flight", { OPEN (SUBMITTED), .net_busy = TRUE }, .now = SENT + SEC,
    .action = A (NONE) },
  { "paid/done", { OPEN (PAID) }, .now = T0, .action = A (DONE) },
  { "refunded/done", { OPEN (REFUNDED) }, .now = T0, .action = A (DONE) },
  { "revoked/done", { OPEN (CLOSED) }, .now = T0, .action = A (DONE) },
  { "failed/done", { OPEN (FAILED) }, .now = T0, .action = A (DONE) },

  /* Querying while open: every 5 s, waking at the give-up. */
  { "userpaying/query-not-due", { OPEN (WAITING), .query_at = SENT + 5 * SEC },
    .now = SENT + 2 * SEC, .action = A (WAIT), .at = SENT + 5 * SEC },
  { "userpaying/query-due", { OPEN (WAITING), .query_at = SENT + 5 * SEC },
    .now = SENT + 5 * SEC, .action = A (QUERY) },
  { "unknown/wake-at-give-up", { OPEN (UNKNOWN), .query_at = T0 + 48 * SEC },
    .now = T0 + 44 * SEC, .action = A (WAIT), .at = T0 + 45 * SEC },
  { "userpaying/give-up-at-45s", { OPEN (WAITING), .query_at = T0 + 46 * SEC },
    .now = T0 + 45 * SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (GIVE_UP) },
  { "unknown/give-up-with-query-in-flight", { OPEN (UNKNOWN), .net_busy = TRUE },
    .now = T0 + 45 * SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (GIVE_UP) },
  { "userpaying/44s-not-yet", { OPEN (WAITING), .query_at = T0 + 50 * SEC },
    .now = T0 + 45 * SEC - 1, .action = A (WAIT), .at = T0 + 45 * SEC },
  { "cancelled/reversing-recorded", { OPEN (WAITING), .giving_up = TRUE },
    .now = SENT + 2 * SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (CANCELLED) },

  /* Reversing: not before 15 s after the pay call, then retries, then the final query. */
  { "reversing/not-before-15s", { OPEN (CLOSING), .giving_up = TRUE }, .now = SENT + 2 * SEC,
    .action = A (WAIT), .at = SENT + 15 * SEC },
  { "reversing/at-15s", { OPEN (CLOSING), .giving_up = TRUE }, .now = SENT + 15 * SEC,
    .action = A (REVERSE) },
  { "reversing/at-45s", { OPEN (CLOSING) }, .now = T0 + 45 * SEC, .action = A (REVERSE) },
  { "reversing/retry-not-due", { OPEN (CLOSING), .reverse_calls = 1,
                                 .reverse_at = T0 + 50 * SEC }, .now = T0 + 46 * SEC,
    .action = A (WAIT), .at = T0 + 50 * SEC },
  { "reversing/final-query", { OPEN (CLOSING), .reverse_done = TRUE,
                               .query_at = T0 + 46 * SEC }, .now = T0 + 46 * SEC,
    .action = A (QUERY) },
  { "reversing/request-in-flight", { OPEN (CLOSING), .net_busy = TRUE }, .now = T0 + 46 * SEC,
    .action = A (NONE) },

  /* Resumed by recovery. */
  { "resumed/created-was-never-sent", { .state = S (CREATED), .inserted = TRUE, .resumed = TRUE,
                                        .created = T0 }, .now = T0 + 100 * SEC,
    .action = A (FAIL), .to = S (FAILED), .why = W (UNSENT) },
  { "resumed/queries-first-even-past-the-window", { OPEN (SUBMITTED), .resumed = TRUE,
                                                   .query_at = T0 + 100 * SEC },
    .now = T0 + 100 * SEC, .action = A (QUERY) },
  { "resumed/queried-past-the-window-reverses", { OPEN (WAITING), .resumed = TRUE,
                                                  .queried = TRUE,
                                                  .query_at = T0 + 105 * SEC },
    .now = T0 + 100 * SEC, .action = A (WRITE), .to = S (CLOSING), .why = W (GIVE_UP) },
  { "resumed/reversing-reverses", { .state = S (CLOSING), .inserted = TRUE, .sent = TRUE,
                                  .requested = TRUE, .created = T0, .pay_at = T0 + 20 * SEC,
                                  .resumed = TRUE },
    .now = T0 + 100 * SEC, .action = A (REVERSE) },

  /* --- An answer folded in, then the decision. --- */
  { "pay/success", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, PAID),
    .now = SENT + SEC, .action = A (WRITE), .to = S (PAID), .why = W (PAID) },
  { "pay/userpaying", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, USERPAYING),
    .now = SENT + SEC, .action = A (WRITE), .to = S (WAITING), .why = W (USERPAYING) },
  { "pay/systemerror", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, UNKNOWN),
    .now = SENT + SEC, .action = A (WRITE), .to = S (UNKNOWN), .why = W (UNKNOWN) },
  { "pay/refused", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, REFUSED),
    .now = SENT + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (REFUSED) },
  { "pay/never-reached", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, NOT_SENT),
    .now = SENT + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (NEVER_REACHED) },
  { "pay/order-ended-asks", { OPEN (SUBMITTED), .net_busy = TRUE }, ANSWER (PAY, ORDER_ENDED),
    .now = SENT + SEC, .action = A (QUERY) },
  { "pay/refused-after-cancel", { OPEN (CLOSING), .net_busy = TRUE }, ANSWER (PAY, REFUSED),
    .now = SENT + SEC, .action = A (FAIL), .to = S (FAILED), .why = W (REFUSED) },
  { "pay/userpaying-after-cancel-reverses-later", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (PAY, USERPAYING), .now = SENT + SEC, .action = A (WAIT), .at = SENT + 15 * SEC },
  { "pay/unknown-waits-5s", { OPEN (UNKNOWN), .net_busy = TRUE }, ANSWER (PAY, UNKNOWN),
    .now = SENT + SEC, .action = A (WAIT), .at = SENT + 6 * SEC },

  { "query/paid", { OPEN (WAITING), .net_busy = TRUE }, ANSWER (QUERY, PAID),
    .now = SENT + 10 * SEC, .action = A (WRITE), .to = S (PAID), .why = W (PAID) },
  { "query/payerror", { OPEN (WAITING), .net_busy = TRUE }, ANSWER (QUERY, PAY_ERROR),
    .now = SENT + 10 * SEC, .action = A (FAIL), .to = S (FAILED), .why = W (PAY_ERROR) },
  { "query/revoked-by-wechat", { OPEN (UNKNOWN), .net_busy = TRUE }, ANSWER (QUERY, REVOKED),
    .now = SENT + 10 * SEC, .action = A (WRITE), .to = S (CLOSED), .why = W (REVOKED) },
  { "query/unknown-becomes-userpaying", { OPEN (UNKNOWN), .net_busy = TRUE },
    ANSWER (QUERY, USERPAYING), .now = SENT + 10 * SEC,
    .action = A (WRITE), .to = S (WAITING), .why = W (USERPAYING) },
  { "query/still-userpaying-polls", { OPEN (WAITING), .net_busy = TRUE },
    ANSWER (QUERY, USERPAYING), .now = SENT + 10 * SEC, .action = A (WAIT),
    .at = SENT + 15 * SEC },
  { "query/not-exist-before-reverse-keeps-asking", { OPEN (UNKNOWN), .net_busy = TRUE },
    ANSWER (QUERY, NOT_EXIST), .now = SENT + 10 * SEC, .action = A (WAIT),
    .at = SENT + 15 * SEC },
  { "query/error-keeps-asking", { OPEN (UNKNOWN), .net_busy = TRUE }, ANSWER (QUERY, UNKNOWN),
    .now = SENT + 10 * SEC, .action = A (WAIT), .at = SENT + 15 * SEC },
  { "query/wrong-amount-is-not-paid", { OPEN (UNKNOWN), .net_busy = TRUE },
    ANSWER (QUERY, WRONG), .now = SENT + 10 * SEC, .action = A (WAIT), .at = SENT + 15 * SEC },

  { "reverse/done-then-final-query", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (REVERSE, REVERSED), .now = T0 + 46 * SEC, .action = A (QUERY) },
  { "reverse/recall-retries", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (REVERSE, RECALL), .now = T0 + 46 * SEC, .action = A (WAIT), .at = T0 + 51 * SEC },
  { "reverse/error-retries", { OPEN (CLOSING), .net_busy = TRUE, .reverse_calls = 3 },
    ANSWER (REVERSE, UNKNOWN), .now = T0 + 60 * SEC, .action = A (WAIT), .at = T0 + 65 * SEC },
  { "reverse/tenth-call-ends-the-round", { OPEN (CLOSING), .net_busy = TRUE,
                                           .reverse_calls = 9 },
    ANSWER (REVERSE, UNKNOWN), .now = T0 + 90 * SEC, .action = A (QUERY) },
  { "reverse/not-exist-then-final-query", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (REVERSE, NOT_EXIST), .now = T0 + 46 * SEC, .action = A (QUERY) },
  { "reverse/expired-then-final-query", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (REVERSE, REFUSED), .now = T0 + 46 * SEC, .action = A (QUERY) },

  { "final-query/revoked", { OPEN (CLOSING), .net_busy = TRUE, .reverse_done = TRUE },
    ANSWER (QUERY, REVOKED), .now = T0 + 47 * SEC,
    .action = A (WRITE), .to = S (CLOSED), .why = W (REVOKED) },
  { "final-query/paid-after-all", { OPEN (CLOSING), .net_busy = TRUE, .reverse_done = TRUE },
    ANSWER (QUERY, PAID), .now = T0 + 47 * SEC,
    .action = A (WRITE), .to = S (PAID), .why = W (PAID) },
  { "final-query/not-exist-fails", { OPEN (CLOSING), .net_busy = TRUE, .reverse_done = TRUE },
    ANSWER (QUERY, NOT_EXIST), .now = T0 + 47 * SEC,
    .action = A (FAIL), .to = S (FAILED), .why = W (NEVER_EXISTED) },
  { "final-query/payerror-fails", { OPEN (CLOSING), .net_busy = TRUE, .reverse_done = TRUE },
    ANSWER (QUERY, PAY_ERROR), .now = T0 + 47 * SEC,
    .action = A (FAIL), .to = S (FAILED), .why = W (PAY_ERROR) },
  { "final-query/still-open-new-round", { OPEN (CLOSING), .net_busy = TRUE,
                                          .reverse_done = TRUE, .reverse_calls = 10 },
    ANSWER (QUERY, USERPAYING), .now = T0 + 47 * SEC, .action = A (WAIT), .at = T0 + 77 * SEC },
  { "final-query/error-asks-again", { OPEN (CLOSING), .net_busy = TRUE, .reverse_done = TRUE },
    ANSWER (QUERY, UNKNOWN), .now = T0 + 47 * SEC, .action = A (WAIT), .at = T0 + 52 * SEC },
  { "query/before-reverse-not-exist-no-fail", { OPEN (CLOSING), .net_busy = TRUE },
    ANSWER (QUERY, NOT_EXIST), .now = T0 + 10 * SEC, .action = A (WAIT), .at = SENT + 15 * SEC },
  { "late-answer/final-stays-final", { OPEN (PAID), .net_busy = TRUE },
    ANSWER (QUERY, REVOKED), .now = T0 + 47 * SEC, .action = A (DONE) },
};

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  SaomaMicropayFacts facts = row->facts;
  SaomaMicropayDecision d;

  if (row->answered)
    saoma_micropay_absorb (&facts, row->call, row->answer, "CODE", row->now, &timing);

  d = saoma_micropay_decide (&facts, row->now, &timing);

  g_assert_cmpstr (saoma_micropay_action_to_string (d.action), ==,
                   saoma_micropay_action_to_string (row->action));
  if (row->action == A (WRITE) || row->action == A (FAIL))
    {
      g_assert_cmpint (d.to, ==, row->to);
      g_assert_cmpint (d.why, ==, row->why);
    }
  if (row->action == A (WAIT))
    g_assert_cmpint (d.at, ==, row->at);
}

static const SaomaMicropayCall all_calls[] = { C (PAY), C (QUERY), C (REVERSE) };

/* Every state × every call × every answer class × times around the edges: the decision keeps
 * the rules. */
static void
test_sweep (void)
{
  static const gint64 times[] = { SENT, SENT + 14 * SEC, SENT + 15 * SEC, T0 + 44 * SEC,
                                  T0 + 45 * SEC, T0 + 300 * SEC };
  guint checked = 0;

  for (SaomaAttemptState st = 0; st <= SAOMA_ATTEMPT_STATE_LAST; st++)
    for (guint c = 0; c < G_N_ELEMENTS (all_calls); c++)
      for (SaomaMicropayAnswer a = 0; a <= N (RECALL); a++)
        for (guint ti = 0; ti < G_N_ELEMENTS (times); ti++)
          for (int resumed = 0; resumed <= 1; resumed++)
            for (int reverse_done = 0; reverse_done <= 1; reverse_done++)
              {
                SaomaMicropayFacts f = { OPEN (SUBMITTED) };
                SaomaMicropayDecision d;
                gint64 now = times[ti];

                if (st == S (CREATED))
                  continue;
                f.state = st;
                f.resumed = resumed;
                f.queried = resumed;
                f.reverse_done = reverse_done && st == S (CLOSING);
                f.net_busy = TRUE;
                saoma_micropay_absorb (&f, all_calls[c], a, "X", now, &timing);
                d = saoma_micropay_decide (&f, now, &timing);

                /* The pay call has left: it never leaves again. */
                g_assert_cmpint (d.action, !=, A (PAY));
                /* Every write is a row of the store's table. */
                if (d.action == A (WRITE) || d.action == A (FAIL))
                  {
                    if (!saoma_flow_transition_allowed (SAOMA_FLOW_MICROPAY, st, d.to))
                      g_error ("%s → %s is not in the micropay table",
                               saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, st),
                               saoma_flow_state_to_string (SAOMA_FLOW_MICROPAY, d.to));
                  }
                /* Open and idle: there is always a next step; final: nothing more. */
                if (saoma_attempt_state_is_final (st))
                  g_assert_cmpint (d.action, ==, A (DONE));
                else
                  {
                    g_assert_cmpint (d.action, !=, A (NONE));
                    g_assert_cmpint (d.action, !=, A (DONE));
                  }
                /* No reverse within 15 s of the pay call. */
                if (d.action == A (REVERSE))
                  g_assert_cmpint (now, >=, SENT + 15 * SEC);
                if (d.action == A (WAIT))
                  g_assert_cmpint (d.at, >, now);
                /* Only a reversed, paid or refused attempt is final: USERPAYING never is. */
                if (a == N (USERPAYING) && (d.action == A (FAIL) || d.to == S (CLOSED)))
                  g_assert_not_reached ();
                checked++;
              }

  g_test_message ("%u combinations checked", checked);
}

/* Driven to the end with an answer for every request, each open outcome ends PAID, FAILED or
 * REVOKED, within a bounded number of steps, and the pay call leaves exactly once. */
static void
test_every_attempt_ends (void)
{
  for (SaomaMicropayAnswer first = 0; first <= N (RECALL); first++)
    for (SaomaMicropayAnswer query = 0; query <= N (RECALL); query++)
      for (SaomaMicropayAnswer rev = 0; rev <= N (RECALL); rev++)
        {
          SaomaMicropayFacts f;
          gint64 now = T0;
          guint pays = 0;
          guint steps;

          saoma_micropay_facts_init (&f, T0);
          f.inserted = TRUE;
          for (steps = 0; steps < 2000; steps++)
            {
              SaomaMicropayDecision d = saoma_micropay_decide (&f, now, &timing);
              SaomaMicropayCall call;
              SaomaMicropayAnswer answer;

              if (d.action == A (DONE))
                break;
              g_assert_cmpint (d.action, !=, A (NONE));
              if (d.action == A (WAIT))
                {
                  g_assert_cmpint (d.at, >, now);
                  now = d.at;
                  continue;
                }
              saoma_micropay_carried_out (&f, &d, now);
              if (d.action == A (WRITE) || d.action == A (FAIL))
                {
                  f.writing = FALSE;
                  continue;
                }
              if (d.action == A (PAY))
                {
                  pays++;
                  call = C (PAY);
                  answer = first;
                }
              else if (d.action == A (QUERY))
                {
                  call = C (QUERY);
                  /* The order settles after a few answers, as WeChat's does. */
                  answer = steps < 40 ? query : N (REVOKED);
                }
              else
                {
                  call = C (REVERSE);
                  answer = rev;
                }
              now += SEC / 10;
              saoma_micropay_absorb (&f, call, answer, "X", now, &timing);
            }

          g_assert_cmpuint (pays, ==, 1);
          g_assert_true (f.state == S (PAID) || f.state == S (FAILED) || f.state == S (CLOSED));
        }
}

/* Resumed from every state on record: CREATED fails (never sent), the others are asked about
 * before anything else, and nothing is ever paid again. */
static void
test_resume (void)
{
  for (SaomaAttemptState st = 0; st <= SAOMA_ATTEMPT_STATE_LAST; st++)
    {
      SaomaMicropayFacts f;
      SaomaMicropayDecision d;

      saoma_micropay_facts_resume (&f, st, T0, T0 + 2 * SEC, T0 + 100 * SEC);
      d = saoma_micropay_decide (&f, T0 + 100 * SEC, &timing);
      g_assert_cmpint (d.action, !=, A (PAY));
      if (st == S (CREATED))
        g_assert_cmpint (d.why, ==, W (UNSENT));
      else if (st == S (CLOSING))
        g_assert_cmpint (d.action, ==, A (REVERSE));
      else if (saoma_attempt_state_is_final (st))
        g_assert_cmpint (d.action, ==, A (DONE));
      else
        g_assert_cmpint (d.action, ==, A (QUERY));
    }

  /* A SUBMITTED record: the pay call left just after it; no reverse before 15 s from then. */
  {
    SaomaMicropayFacts f;
    SaomaMicropayDecision d;

    saoma_micropay_facts_resume (&f, S (CLOSING), T0, T0 + 10 * SEC, T0 + 12 * SEC);
    d = saoma_micropay_decide (&f, T0 + 12 * SEC, &timing);
    g_assert_cmpint (d.action, ==, A (WAIT));
    g_assert_cmpint (d.at, >=, T0 + 25 * SEC);
  }
}

/* What the answers of the gateway become. */
static void
test_answer_for_error (void)
{
  static const struct {
    SaomaGatewayError code;
    SaomaMicropayAnswer answer;
  } cases[] = {
    { SAOMA_GATEWAY_ERROR_USER_PAYING, N (USERPAYING) },
    { SAOMA_GATEWAY_ERROR_SYSTEM_ERROR, N (UNKNOWN) },
    { SAOMA_GATEWAY_ERROR_TIMEOUT, N (UNKNOWN) },
    { SAOMA_GATEWAY_ERROR_CONNECTION_LOST, N (UNKNOWN) },
    { SAOMA_GATEWAY_ERROR_CONNECT, N (NOT_SENT) },
    { SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED, N (REFUSED) },
    { SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID, N (REFUSED) },
    { SAOMA_GATEWAY_ERROR_NOT_ENOUGH, N (REFUSED) },
    { SAOMA_GATEWAY_ERROR_TRADE_ERROR, N (REFUSED) },
    { SAOMA_GATEWAY_ERROR_ORDER_PAID, N (ORDER_ENDED) },
    { SAOMA_GATEWAY_ERROR_ORDER_REVERSED, N (ORDER_ENDED) },
    { SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST, N (NOT_EXIST) },
    { SAOMA_GATEWAY_ERROR_MISMATCH, N (WRONG) },
  };

  g_assert_cmpint (saoma_micropay_answer_for_error (NULL), ==, N (PAID));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (SAOMA_GATEWAY_ERROR, cases[i].code, "x");

      g_assert_cmpint (saoma_micropay_answer_for_error (error), ==, cases[i].answer);
    }
}

static void
test_code_classify (void)
{
  static const struct {
    const char *code;
    SaomaPaymentCodeKind kind;
  } cases[] = {
    { "134567890123456780", SAOMA_PAYMENT_CODE_WECHAT },
    { "104567890123456781", SAOMA_PAYMENT_CODE_WECHAT },
    { "164567890123456781", SAOMA_PAYMENT_CODE_WECHAT },
    { "174567890123456781", SAOMA_PAYMENT_CODE_INVALID },   /* 17… is not WeChat's */
    { "094567890123456781", SAOMA_PAYMENT_CODE_INVALID },
    { "13456789012345678", SAOMA_PAYMENT_CODE_INVALID },    /* 17 digits */
    { "1345678901234567801", SAOMA_PAYMENT_CODE_INVALID },  /* 19 digits */
    { "13456789012345678a", SAOMA_PAYMENT_CODE_INVALID },
    { "２８１２３４５６７８９０１２３４５６", SAOMA_PAYMENT_CODE_INVALID },
    { "2812345678901234", SAOMA_PAYMENT_CODE_ALIPAY },      /* 16 */
    { "281234567890123456", SAOMA_PAYMENT_CODE_ALIPAY },    /* 18 */
    { "301234567890123456789012", SAOMA_PAYMENT_CODE_ALIPAY }, /* 24 */
    { "3012345678901234567890123", SAOMA_PAYMENT_CODE_INVALID }, /* 25 */
    { "251234567890123", SAOMA_PAYMENT_CODE_INVALID },      /* 15 */
    { "311234567890123456", SAOMA_PAYMENT_CODE_INVALID },
    { "241234567890123456", SAOMA_PAYMENT_CODE_INVALID },
    { "6901234567892", SAOMA_PAYMENT_CODE_INVALID },        /* an EAN-13 */
    { "", SAOMA_PAYMENT_CODE_INVALID },
    { " 134567890123456780", SAOMA_PAYMENT_CODE_INVALID },
  };

  g_assert_cmpint (saoma_payment_code_classify (NULL), ==, SAOMA_PAYMENT_CODE_INVALID);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].code);
      g_assert_cmpint (saoma_payment_code_classify (cases[i].code), ==, cases[i].kind);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strconcat ("/micropay-flow/row/", rows[i].name, NULL);

      g_test_add_data_func (path, &rows[i], test_row);
    }
  g_test_add_func ("/micropay-flow/sweep", test_sweep);
  g_test_add_func ("/micropay-flow/every-attempt-ends", test_every_attempt_ends);
  g_test_add_func ("/micropay-flow/resume", test_resume);
  g_test_add_func ("/micropay-flow/answer-for-error", test_answer_for_error);
  g_test_add_func ("/micropay-flow/code-classify", test_code_classify);

  return g_test_run ();
}
