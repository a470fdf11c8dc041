/* test-refund-flow.c: the refund decision, by a table. No gateway, no ledger, no clock: each
 * row is facts (+ an answer folded in) + now → the expected decision. A sweep over every state
 * × every answer class then checks the refund rules of DESIGN.md. */
#include "config.h"

#include "core/saoma-refund-flow.h"

#define R(x)  SAOMA_REFUND_##x
#define A(x)  SAOMA_REFUND_ACTION_##x
#define W(x)  SAOMA_REFUND_WHY_##x
#define E(x)  SAOMA_REFUND_END_##x
#define NW(x) SAOMA_REFUND_NEWS_##x

#define SEC G_USEC_PER_SEC
#define T0  ((gint64)1764000000 * SEC)

static const SaomaRefundTiming timing = {
  .retry = 5 * SEC, .query = 10 * SEC, .slow_query = 60 * SEC, .fast_queries = 30,
};

typedef struct {
  const char       *name;
  SaomaRefundFacts  facts;
  gboolean          answered;
  SaomaRefundNews   answer;
  gboolean          config;
  SaomaRefundState  status;
  SaomaRefundAction action;
  SaomaRefundState  to;
  SaomaRefundWhy    why;
  SaomaRefundEnd    end;
  gint64            at;
} Row;

/* Inserted by this process (.n_sends: how often it was sent). */
#define FRESH(st)   .state = R (st), .fresh = TRUE
/* Resumed from the ledger: an earlier run may have sent it. */
#define RESUMED(st) .state = R (st), .fresh = FALSE
#define ANSWER(n)   .answered = TRUE, .answer = NW (n)

static const Row rows[] = {
  /* --- From the state on record: start, timer, back-off. --- */
  { "created/send", { RESUMED (CREATED) }, .action = A (SEND) },
  { "unknown/send-again", { RESUMED (UNKNOWN) }, .action = A (SEND) },
  { "processing/query", { RESUMED (PROCESSING) }, .action = A (QUERY) },
  { "success/end", { RESUMED (SUCCESS) }, .action = A (END), .end = E (SUCCESS) },
  { "refundclose/end", { RESUMED (REFUNDCLOSE) }, .action = A (END), .end = E (FINAL_STATE) },
  { "change/end", { RESUMED (CHANGE) }, .action = A (END), .end = E (FINAL_STATE) },
  { "failed/end", { RESUMED (FAILED) }, .action = A (END), .end = E (FINAL_STATE) },
  { "write-in-flight", { FRESH (CREATED), .writing = TRUE }, .action = A (NONE) },
  { "request-in-flight", { FRESH (PROCESSING), .net_busy = TRUE }, .action = A (NONE) },

  /* --- A transition became durable. --- */
  { "written/unknown-resend-later", { FRESH (UNKNOWN), .news = NW (WRITTEN) },
    .action = A (WAIT), .at = T0 + 5 * SEC },
  { "written/processing-query-later", { FRESH (PROCESSING), .news = NW (WRITTEN) },
    .action = A (WAIT), .at = T0 + 10 * SEC },
  { "written/processing-slow-after-30-queries", { FRESH (PROCESSING), .n_queries = 30,
                                                  .news = NW (WRITTEN) },
    .action = A (WAIT), .at = T0 + 60 * SEC },
  { "written/success", { FRESH (SUCCESS), .news = NW (WRITTEN) },
    .action = A (END), .end = E (SUCCESS) },
  { "written/refundclose", { FRESH (REFUNDCLOSE), .news = NW (WRITTEN) },
    .action = A (END), .end = E (FINAL_STATE) },
  { "written/change", { FRESH (CHANGE), .news = NW (WRITTEN) },
    .action = A (END), .end = E (FINAL_STATE) },
  { "written/failed-ends-with-the-refusal", { FRESH (FAILED), .news = NW (WRITTEN) },
    .action = A (END), .end = E (REJECTED) },

  /* --- A notification. --- */
  { "hint/processing-waiting", { FRESH (PROCESSING), .waiting = TRUE, .news = NW (HINT) },
    .action = A (QUERY) },
  { "hint/unknown-waiting", { FRESH (UNKNOWN), .waiting = TRUE, .news = NW (HINT) },
    .action = A (QUERY) },
  { "hint/created-waiting", { FRESH (CREATED), .waiting = TRUE, .news = NW (HINT) },
    .action = A (NONE) },
  { "hint/request-in-flight", { FRESH (PROCESSING), .net_busy = TRUE, .news = NW (HINT) },
    .action = A (NONE) },

  /* --- refund answered. --- */
  { "created+accepted", { FRESH (CREATED) }, ANSWER (ACCEPTED),
    .action = A (WRITE), .to = R (PROCESSING), .why = W (ACCEPTED) },
  { "unknown+accepted", { FRESH (UNKNOWN), .n_sends = 2 }, ANSWER (ACCEPTED),
    .action = A (WRITE), .to = R (PROCESSING), .why = W (ACCEPTED) },
  { "created+unknown", { FRESH (CREATED) }, ANSWER (SEND_UNKNOWN),
    .action = A (WRITE), .to = R (UNKNOWN), .why = W (SEND_UNKNOWN) },
  { "unknown+unknown-resend-later", { FRESH (UNKNOWN), .n_sends = 2 }, ANSWER (SEND_UNKNOWN),
    .action = A (WAIT), .at = T0 + 5 * SEC },
  { "created-first-send+refused", { FRESH (CREATED), .n_sends = 1 }, ANSWER (REFUSED),
    .action = A (FAIL), .to = R (FAILED), .why = W (REJECTED) },
  { "created-first-send+not-sent-config", { FRESH (CREATED), .n_sends = 1 }, ANSWER (REFUSED),
    .config = TRUE,
    .action = A (FAIL), .to = R (FAILED), .why = W (NOT_SENT_CONFIG) },
  { "resumed-created+config-left-as-is", { RESUMED (CREATED), .n_sends = 1 }, ANSWER (REFUSED),
    .config = TRUE, .action = A (END), .end = E (NOT_RESUMED) },
  { "resumed-unknown+config-left-as-is", { RESUMED (UNKNOWN), .n_sends = 1 }, ANSWER (REFUSED),
    .config = TRUE, .action = A (END), .end = E (NOT_RESUMED) },
  { "resumed-created+refused-queries", { RESUMED (CREATED), .n_sends = 1 }, ANSWER (REFUSED),
    .action = A (QUERY), .why = W (RETRY_REFUSED) },
  { "unknown+refused-queries", { FRESH (UNKNOWN), .n_sends = 2 }, ANSWER (REFUSED),
    .action = A (QUERY), .why = W (RETRY_REFUSED) },
  { "unknown+config-on-retry-queries", { FRESH (UNKNOWN), .n_sends = 2 }, ANSWER (REFUSED),
    .config = TRUE, .action = A (QUERY), .why = W (RETRY_REFUSED) },
  { "created-second-send+refused-queries", { FRESH (CREATED), .n_sends = 2 }, ANSWER (REFUSED),
    .action = A (QUERY), .why = W (RETRY_REFUSED) },

  /* --- refundquery answered. --- */
  { "processing+success", { FRESH (PROCESSING) }, ANSWER (STATUS), .status = R (SUCCESS),
    .action = A (WRITE), .to = R (SUCCESS), .why = W (BY_QUERY) },
  { "processing+refundclose", { FRESH (PROCESSING) }, ANSWER (STATUS),
    .status = R (REFUNDCLOSE), .action = A (WRITE), .to = R (REFUNDCLOSE), .why = W (BY_QUERY) },
  { "processing+change", { FRESH (PROCESSING) }, ANSWER (STATUS), .status = R (CHANGE),
    .action = A (WRITE), .to = R (CHANGE), .why = W (BY_QUERY) },
  { "processing+processing", { FRESH (PROCESSING), .n_queries = 3 }, ANSWER (STATUS),
    .status = R (PROCESSING), .action = A (WAIT), .at = T0 + 10 * SEC },
  { "processing+processing-slow", { FRESH (PROCESSING), .n_queries = 31 }, ANSWER (STATUS),
    .status = R (PROCESSING), .action = A (WAIT), .at = T0 + 60 * SEC },
  { "processing+contradicting", { FRESH (PROCESSING) }, ANSWER (CONTRADICTING),
    .action = A (WAIT), .at = T0 + 10 * SEC },
  { "processing+query-failed", { FRESH (PROCESSING) }, ANSWER (QUERY_FAILED),
    .action = A (WAIT), .at = T0 + 10 * SEC },
  { "processing+not-exist-asks-again", { FRESH (PROCESSING) }, ANSWER (NOT_EXIST),
    .action = A (WAIT), .at = T0 + 10 * SEC },
  { "unknown+processing", { FRESH (UNKNOWN) }, ANSWER (STATUS), .status = R (PROCESSING),
    .action = A (WRITE), .to = R (PROCESSING), .why = W (BY_QUERY) },
  { "unknown+success", { FRESH (UNKNOWN) }, ANSWER (STATUS), .status = R (SUCCESS),
    .action = A (WRITE), .to = R (SUCCESS), .why = W (BY_QUERY) },
  { "unknown+not-exist-resend-later", { FRESH (UNKNOWN) }, ANSWER (NOT_EXIST),
    .action = A (WAIT), .at = T0 + 5 * SEC },
  { "unknown+query-failed-resend-later", { FRESH (UNKNOWN) }, ANSWER (QUERY_FAILED),
    .action = A (WAIT), .at = T0 + 5 * SEC },
  { "unknown-refused+not-exist-fails", { FRESH (UNKNOWN), .n_sends = 2,
                                         .rejected_retry = TRUE }, ANSWER (NOT_EXIST),
    .action = A (FAIL), .to = R (FAILED), .why = W (UNKNOWN_TO_WECHAT) },
  { "resumed-created-refused+not-exist-fails", { RESUMED (CREATED), .rejected_retry = TRUE },
    ANSWER (NOT_EXIST), .action = A (FAIL), .to = R (FAILED), .why = W (UNKNOWN_TO_WECHAT) },
  { "resumed-created-refused+query-failed-asks-later", { RESUMED (CREATED),
                                                         .rejected_retry = TRUE },
    ANSWER (QUERY_FAILED), .action = A (WAIT), .at = T0 + 10 * SEC },
  { "unknown-refused+processing", { FRESH (UNKNOWN), .n_sends = 2, .rejected_retry = TRUE },
    ANSWER (STATUS), .status = R (PROCESSING),
    .action = A (WRITE), .to = R (PROCESSING), .why = W (BY_QUERY) },
  { "unknown-refused+contradicting", { FRESH (UNKNOWN), .n_sends = 2, .rejected_retry = TRUE },
    ANSWER (CONTRADICTING), .action = A (WAIT), .at = T0 + 10 * SEC },
};

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  SaomaRefundFacts facts = row->facts;
  SaomaRefundDecision d;

  if (row->answered)
    saoma_refund_absorb (&facts, row->answer, row->config, row->status);
  d = saoma_refund_decide (&facts, T0, &timing);

  g_assert_cmpstr (saoma_refund_action_to_string (d.action), ==,
                   saoma_refund_action_to_string (row->action));
  if (row->action == A (WRITE) || row->action == A (FAIL))
    {
      g_assert_cmpstr (saoma_refund_state_to_string (d.to), ==,
                       saoma_refund_state_to_string (row->to));
      g_assert_cmpint (d.why, ==, row->why);
    }
  if (row->action == A (QUERY))
    g_assert_cmpint (d.why, ==, row->why);
  if (row->action == A (END))
    g_assert_cmpint (d.end, ==, row->end);
  if (row->action == A (WAIT))
    g_assert_cmpint (d.at, ==, row->at);
}

/* What carrying a decision out consumes, and the one policy for a failed write. */
static void
test_carried_out_and_failed_write (void)
{
  SaomaRefundFacts facts;
  SaomaRefundDecision d;

  /* A refused retry is remembered until WeChat answers for the refund. */
  saoma_refund_facts_init (&facts, R (UNKNOWN), TRUE);
  facts.n_sends = 2;
  saoma_refund_absorb (&facts, NW (REFUSED), FALSE, R (UNKNOWN));
  d = saoma_refund_decide (&facts, T0, &timing);
  saoma_refund_carried_out (&facts, &d);
  g_assert_true (facts.rejected_retry);
  g_assert_cmpuint (facts.n_queries, ==, 1);
  g_assert_cmpint (facts.news, ==, NW (NONE));
  facts.net_busy = FALSE;
  saoma_refund_absorb (&facts, NW (CONTRADICTING), FALSE, R (UNKNOWN));
  g_assert_false (facts.rejected_retry);

  /* Sends are counted: the first refusal of a fresh refund fails it, a later one queries. */
  saoma_refund_facts_init (&facts, R (CREATED), TRUE);
  d = saoma_refund_decide (&facts, T0, &timing);
  g_assert_cmpint (d.action, ==, A (SEND));
  saoma_refund_carried_out (&facts, &d);
  g_assert_cmpuint (facts.n_sends, ==, 1);
  g_assert_true (facts.net_busy);

  /* PROCESSING could not be written: it stays CREATED on record; after the back-off the
   * identical request is sent again (WeChat answers for the same refund), never a new one. */
  facts.net_busy = FALSE;
  saoma_refund_absorb (&facts, NW (ACCEPTED), FALSE, R (CREATED));
  d = saoma_refund_decide (&facts, T0, &timing);
  g_assert_cmpint (d.to, ==, R (PROCESSING));
  saoma_refund_carried_out (&facts, &d);
  g_assert_true (facts.writing);
  saoma_refund_write_failed (&facts);
  g_assert_cmpint (facts.state, ==, R (CREATED));
  d = saoma_refund_decide (&facts, T0 + 5 * SEC, &timing);
  g_assert_cmpint (d.action, ==, A (SEND));

  /* SUCCESS could not be written: not reported done; queried again. */
  saoma_refund_facts_init (&facts, R (PROCESSING), TRUE);
  saoma_refund_absorb (&facts, NW (STATUS), FALSE, R (SUCCESS));
  d = saoma_refund_decide (&facts, T0, &timing);
  saoma_refund_carried_out (&facts, &d);
  saoma_refund_write_failed (&facts);
  d = saoma_refund_decide (&facts, T0 + 5 * SEC, &timing);
  g_assert_cmpint (d.action, ==, A (QUERY));

  /* Once durable, it ends. */
  saoma_refund_written (&facts, R (SUCCESS));
  d = saoma_refund_decide (&facts, T0 + 6 * SEC, &timing);
  g_assert_cmpint (d.action, ==, A (END));
  g_assert_cmpint (d.end, ==, E (SUCCESS));

  /* A hint that cannot act is dropped, not kept for the next timer. */
  saoma_refund_facts_init (&facts, R (CREATED), TRUE);
  facts.news = NW (HINT);
  facts.net_busy = TRUE;
  d = saoma_refund_decide (&facts, T0, &timing);
  saoma_refund_carried_out (&facts, &d);
  g_assert_cmpint (facts.news, ==, NW (NONE));
}

/* Every open state × every answer class × fresh/resumed × sends × a refused retry. */
static void
test_sweep (void)
{
  static const SaomaRefundState open_states[] = { R (CREATED), R (UNKNOWN), R (PROCESSING) };
  static const SaomaRefundState statuses[] = {
    R (PROCESSING), R (SUCCESS), R (REFUNDCLOSE), R (CHANGE),
  };
  guint checked = 0;

  for (guint s = 0; s < G_N_ELEMENTS (open_states); s++)
    for (int answer = NW (ACCEPTED); answer <= NW (STATUS); answer++)
      for (int variant = 0; variant < 16; variant++)
        for (guint st = 0; st < G_N_ELEMENTS (statuses); st++)
          {
            SaomaRefundFacts facts;
            SaomaRefundDecision d;
            gboolean config = (variant & 8) != 0;

            /* A refund is only sent from CREATED or UNKNOWN. */
            if (open_states[s] == R (PROCESSING) && answer <= NW (REFUSED))
              continue;

            saoma_refund_facts_init (&facts, open_states[s], (variant & 1) != 0);
            facts.n_sends = (variant & 2) ? 2 : 1;
            facts.rejected_retry = (variant & 4) != 0;
            saoma_refund_absorb (&facts, answer, config, statuses[st]);
            d = saoma_refund_decide (&facts, T0, &timing);
            checked++;

            /* Only WeChat's word records a refund as done or closed. */
            if (d.action == A (WRITE) &&
                (d.to == R (SUCCESS) || d.to == R (REFUNDCLOSE) || d.to == R (CHANGE)))
              {
                g_assert_cmpint (answer, ==, NW (STATUS));
                g_assert_cmpint (d.to, ==, statuses[st]);
              }
            /* FAILED only when no refund can exist at WeChat: refused at the first send of a
             * fresh refund, or refused on retry and unknown to WeChat. */
            if (d.action == A (FAIL))
              g_assert_true ((answer == NW (REFUSED) && facts.fresh && facts.n_sends == 1 &&
                              facts.state == R (CREATED)) ||
                             (answer == NW (NOT_EXIST) && facts.rejected_retry));
            /* An unknown outcome neither fails nor ends a refund. */
            if (answer == NW (SEND_UNKNOWN) || answer == NW (QUERY_FAILED) ||
                answer == NW (CONTRADICTING))
              g_assert_true (d.action != A (FAIL) && d.action != A (END));
            /* Open refunds only end by leaving them for a run that can send. */
            if (d.action == A (END))
              g_assert_cmpint (d.end, ==, E (NOT_RESUMED));
            /* A contradicting answer changes nothing on record. */
            if (answer == NW (CONTRADICTING))
              g_assert_cmpint (d.action, ==, A (WAIT));
          }

  g_assert_cmpuint (checked, >, 500);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/refund-flow/table/%s", rows[i].name);

      g_test_add_data_func (path, &rows[i], test_row);
    }
  g_test_add_func ("/refund-flow/carried-out-and-failed-write", test_carried_out_and_failed_write);
  g_test_add_func ("/refund-flow/sweep", test_sweep);

  return g_test_run ();
}
