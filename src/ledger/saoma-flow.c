/* saoma-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "saoma-flow.h"
#include "saoma-ledger.h"

#define N(state) SAOMA_ATTEMPT_##state
#define E SAOMA_FLOW_BY_ENGINE
#define X SAOMA_FLOW_BY_RECORD

/*
 * The Native payment flow (DESIGN.md, "The payment contract"). Every row is a write that
 * SaomaCheckout or the ledger's refund bookkeeping performs; nothing else is accepted. A
 * record of money taken (→ PAID) is accepted from every state that is not already past it:
 * WeChat's word that it took the money must never bounce off the ledger.
 */
static const SaomaFlowTransition native_transitions[] = {
  { N (CREATED), N (SUBMITTED), E, "unifiedorder is about to be sent (written before it leaves)" },
  { N (CREATED), N (UNKNOWN), E, "unifiedorder outcome unknown before SUBMITTED was on record" },
  { N (CREATED), N (CLOSING), E, "given up while the order's fate was still open" },
  { N (CREATED), N (FAILED), E, "cancelled or given up before unifiedorder was sent" },
  { N (CREATED), N (PAID), E, "WeChat reports it paid" },

  { N (SUBMITTED), N (WAITING), E, "unifiedorder → SUCCESS, QR shown" },
  { N (SUBMITTED), N (UNKNOWN), E, "unifiedorder outcome unknown (timeout, network, SYSTEMERROR)" },
  { N (SUBMITTED), N (CLOSING), E,
    "expired or cancelled after sending, or SUCCESS after giving up" },
  { N (SUBMITTED), N (PAID), E, "WeChat reports it paid" },
  { N (SUBMITTED), N (CLOSED), E, "orderquery: CLOSED or REVOKED" },
  { N (SUBMITTED), N (FAILED), E, "unifiedorder rejected, PAYERROR, or given up before it left" },

  { N (WAITING), N (WAITING), E, "a re-entered unifiedorder → SUCCESS again (same code_url)" },
  { N (WAITING), N (CLOSING), E, "expired or cancelled: QR hidden, closing the order" },
  { N (WAITING), N (PAID), E, "WeChat reports it paid" },
  { N (WAITING), N (CLOSED), E, "orderquery: CLOSED or REVOKED" },
  { N (WAITING), N (FAILED), E, "orderquery: PAYERROR, or the order does not exist" },

  { N (UNKNOWN), N (WAITING), E, "a re-entered unifiedorder → SUCCESS, QR shown" },
  { N (UNKNOWN), N (CLOSING), E, "expired or cancelled while the outcome was unknown" },
  { N (UNKNOWN), N (PAID), E, "WeChat reports it paid" },
  { N (UNKNOWN), N (CLOSED), E, "orderquery: CLOSED or REVOKED" },
  { N (UNKNOWN), N (FAILED), E, "rejected, PAYERROR, or the order never existed" },

  { N (CLOSING), N (CLOSING), E, "unifiedorder → SUCCESS arrived after the cashier gave up" },
  { N (CLOSING), N (PAID), E, "paid after the cashier gave up (late payment)" },
  { N (CLOSING), N (CLOSED), E, "closeorder → SUCCESS, or orderquery: CLOSED" },
  { N (CLOSING), N (FAILED), E, "orderquery: PAYERROR, or the order never existed" },

  { N (PAID), N (PAID), E, "WeChat confirms the payment again" },
  { N (PAID), N (PARTIALLY_REFUNDED), E, "a refund of part of the amount succeeded" },
  { N (PAID), N (REFUNDED), E, "refunds of the whole amount succeeded" },
  { N (PARTIALLY_REFUNDED), N (PARTIALLY_REFUNDED), E, "another partial refund succeeded" },
  { N (PARTIALLY_REFUNDED), N (REFUNDED), E, "the rest of the amount was refunded" },

  { N (CLOSED), N (PAID), E, "late payment: WeChat took the money after the order was closed" },
  { N (FAILED), N (PAID), E, "late payment: WeChat took the money after the attempt failed" },

  /* Outcomes recorded as found, never by the engine. */
  { N (CREATED), N (WAITING), X, "recorded with its QR already shown" },
  { N (CREATED), N (CLOSED), X, "recorded as already closed" },
  { N (WAITING), N (UNKNOWN), X, "recorded as unknown again" },
};

#undef N
#define R(state) SAOMA_REFUND_##state

/* The refund flow (SaomaRefunder). SUCCESS, REFUNDCLOSE, CHANGE and FAILED are final. */
static const SaomaFlowTransition refund_transitions[] = {
  { R (CREATED), R (UNKNOWN), E, "refund outcome unknown (timeout, network, SYSTEMERROR)" },
  { R (CREATED), R (PROCESSING), E, "refund → SUCCESS: accepted by WeChat" },
  { R (CREATED), R (SUCCESS), E, "refundquery: SUCCESS" },
  { R (CREATED), R (REFUNDCLOSE), E, "refundquery: REFUNDCLOSE" },
  { R (CREATED), R (CHANGE), E, "refundquery: CHANGE" },
  { R (CREATED), R (FAILED), E, "refund rejected, never processed" },

  { R (UNKNOWN), R (UNKNOWN), E, "a retried refund's outcome is unknown again" },
  { R (UNKNOWN), R (PROCESSING), E, "a retried refund or refundquery: accepted" },
  { R (UNKNOWN), R (SUCCESS), E, "refundquery: SUCCESS" },
  { R (UNKNOWN), R (REFUNDCLOSE), E, "refundquery: REFUNDCLOSE" },
  { R (UNKNOWN), R (CHANGE), E, "refundquery: CHANGE" },
  { R (UNKNOWN), R (FAILED), E, "rejected, and no earlier request was accepted" },

  { R (PROCESSING), R (PROCESSING), E, "refundquery: still PROCESSING (refund_id recorded)" },
  { R (PROCESSING), R (SUCCESS), E, "refundquery: SUCCESS" },
  { R (PROCESSING), R (REFUNDCLOSE), E, "refundquery: REFUNDCLOSE" },
  { R (PROCESSING), R (CHANGE), E, "refundquery: CHANGE" },
};

#undef R
/* The micropay names of the attempt states (see saoma-flow.h). */
enum {
  MICROPAY_CREATED = SAOMA_ATTEMPT_CREATED,
  MICROPAY_SUBMITTED = SAOMA_ATTEMPT_SUBMITTED,
  MICROPAY_USERPAYING = SAOMA_ATTEMPT_WAITING,
  MICROPAY_UNKNOWN = SAOMA_ATTEMPT_UNKNOWN,
  MICROPAY_REVERSING = SAOMA_ATTEMPT_CLOSING,
  MICROPAY_PAID = SAOMA_ATTEMPT_PAID,
  MICROPAY_REVOKED = SAOMA_ATTEMPT_CLOSED,
  MICROPAY_FAILED = SAOMA_ATTEMPT_FAILED,
  MICROPAY_PARTIALLY_REFUNDED = SAOMA_ATTEMPT_PARTIALLY_REFUNDED,
  MICROPAY_REFUNDED = SAOMA_ATTEMPT_REFUNDED,
};
#define M(state) MICROPAY_##state

/*
 * The micropay (付款码) flow (wxpay-v2.md §13.1; SaomaMicropayJob, saoma-micropay-flow.c). The
 * pay call is sent once, after SUBMITTED is on record; whatever it answers, every attempt ends
 * PAID, FAILED or REVOKED. No row leaves a final state except the refund bookkeeping: a
 * micropay order gets no notification, and a reversed or failed one can never be paid.
 */
static const SaomaFlowTransition micropay_transitions[] = {
  { M (CREATED), M (SUBMITTED), E, "micropay is about to be sent (written before it leaves)" },
  { M (CREATED), M (FAILED), E, "cancelled, or found unsent after a crash" },

  { M (SUBMITTED), M (USERPAYING), E, "micropay or orderquery: USERPAYING (password)" },
  { M (SUBMITTED), M (UNKNOWN), E, "micropay outcome unknown (timeout, network, SYSTEMERROR)" },
  { M (SUBMITTED), M (REVERSING), E, "outcome still open at the give-up, or cancelled" },
  { M (SUBMITTED), M (PAID), E, "micropay → SUCCESS, or orderquery: SUCCESS" },
  { M (SUBMITTED), M (REVOKED), E, "orderquery: REVOKED or CLOSED" },
  { M (SUBMITTED), M (FAILED), E, "micropay refused (AUTHCODEEXPIRE, NOTENOUGH…), PAYERROR" },

  { M (USERPAYING), M (REVERSING), E, "still USERPAYING at the give-up, or cancelled" },
  { M (USERPAYING), M (PAID), E, "orderquery: SUCCESS" },
  { M (USERPAYING), M (REVOKED), E, "orderquery: REVOKED or CLOSED" },
  { M (USERPAYING), M (FAILED), E, "orderquery: PAYERROR" },

  { M (UNKNOWN), M (USERPAYING), E, "orderquery: USERPAYING (password)" },
  { M (UNKNOWN), M (REVERSING), E, "outcome still open at the give-up, or cancelled" },
  { M (UNKNOWN), M (PAID), E, "orderquery: SUCCESS" },
  { M (UNKNOWN), M (REVOKED), E, "orderquery: REVOKED or CLOSED" },
  { M (UNKNOWN), M (FAILED), E, "orderquery: PAYERROR" },

  { M (REVERSING), M (PAID), E, "final orderquery: SUCCESS (the reverse did not take)" },
  { M (REVERSING), M (REVOKED), E, "reverse done and the final orderquery agrees" },
  { M (REVERSING), M (FAILED), E, "final orderquery: PAYERROR, or the order never existed" },

  { M (PAID), M (PAID), E, "WeChat confirms the payment again" },
  { M (PAID), M (PARTIALLY_REFUNDED), E, "a refund of part of the amount succeeded" },
  { M (PAID), M (REFUNDED), E, "refunds of the whole amount succeeded" },
  { M (PARTIALLY_REFUNDED), M (PARTIALLY_REFUNDED), E, "another partial refund succeeded" },
  { M (PARTIALLY_REFUNDED), M (REFUNDED), E, "the rest of the amount was refunded" },
};

#undef M
#undef E
#undef X

typedef struct {
  const char                *name;
  guint                      n_states;
  const char *             (*state_to_string) (int state);
  const SaomaFlowTransition *transitions;
  gsize                      n_transitions;
} FlowInfo;

static const char *
native_state_to_string (int state)
{
  return saoma_attempt_state_to_string ((SaomaAttemptState) state);
}

static const char *
refund_state_to_string (int state)
{
  return saoma_refund_state_to_string ((SaomaRefundState) state);
}

/* The micropay names of the reused attempt states. */
static const char *
micropay_state_to_string (int state)
{
  switch (state)
    {
    case SAOMA_ATTEMPT_WAITING:
      return "USERPAYING";
    case SAOMA_ATTEMPT_CLOSING:
      return "REVERSING";
    case SAOMA_ATTEMPT_CLOSED:
      return "REVOKED";
    default:
      return saoma_attempt_state_to_string ((SaomaAttemptState) state);
    }
}

static const FlowInfo flows[] = {
  [SAOMA_FLOW_NATIVE] = {
    "native", SAOMA_ATTEMPT_STATE_LAST + 1, native_state_to_string,
    native_transitions, G_N_ELEMENTS (native_transitions),
  },
  [SAOMA_FLOW_REFUND] = {
    "refund", SAOMA_REFUND_FAILED + 1, refund_state_to_string,
    refund_transitions, G_N_ELEMENTS (refund_transitions),
  },
  [SAOMA_FLOW_MICROPAY] = {
    "micropay", SAOMA_ATTEMPT_STATE_LAST + 1, micropay_state_to_string,
    micropay_transitions, G_N_ELEMENTS (micropay_transitions),
  },
};

static const FlowInfo *
flow_info (SaomaFlow flow)
{
  g_return_val_if_fail ((guint) flow <= SAOMA_FLOW_LAST, NULL);

  return &flows[flow];
}

const char *
saoma_flow_to_string (SaomaFlow flow)
{
  const FlowInfo *info = flow_info (flow);

  return info ? info->name : NULL;
}

/**
 * saoma_flow_for_method:
 * @method: a #SaomaPaymentMethod
 *
 * Returns: the flow whose table an attempt of @method follows
 */
SaomaFlow
saoma_flow_for_method (int method)
{
  return method == SAOMA_PAYMENT_METHOD_MICROPAY ? SAOMA_FLOW_MICROPAY : SAOMA_FLOW_NATIVE;
}

guint
saoma_flow_get_n_states (SaomaFlow flow)
{
  const FlowInfo *info = flow_info (flow);

  return info ? info->n_states : 0;
}

const char *
saoma_flow_state_to_string (SaomaFlow flow,
                            int       state)
{
  const FlowInfo *info = flow_info (flow);

  if (info == NULL || state < 0 || (guint) state >= info->n_states)
    return NULL;

  return info->state_to_string (state);
}

/**
 * saoma_flow_get_transitions:
 * @n_transitions: (out): the number of rows
 *
 * Returns: (array length=n_transitions) (transfer none): every allowed transition of @flow
 */
const SaomaFlowTransition *
saoma_flow_get_transitions (SaomaFlow  flow,
                            gsize     *n_transitions)
{
  const FlowInfo *info = flow_info (flow);

  g_return_val_if_fail (n_transitions != NULL, NULL);

  *n_transitions = info ? info->n_transitions : 0;

  return info ? info->transitions : NULL;
}

/**
 * saoma_flow_lookup:
 *
 * Returns: (nullable) (transfer none): the table's row for (@from, @to)
 */
const SaomaFlowTransition *
saoma_flow_lookup (SaomaFlow flow,
                   int       from,
                   int       to)
{
  const FlowInfo *info = flow_info (flow);

  if (info == NULL)
    return NULL;

  /* Thirty-odd rows: a scan costs less than the statement it guards. */
  for (gsize i = 0; i < info->n_transitions; i++)
    {
      if (info->transitions[i].from == from && info->transitions[i].to == to)
        return &info->transitions[i];
    }

  return NULL;
}

gboolean
saoma_flow_transition_allowed (SaomaFlow flow,
                               int       from,
                               int       to)
{
  return saoma_flow_lookup (flow, from, to) != NULL;
}

/**
 * saoma_flow_format_table:
 * @writers: which rows to include (SAOMA_FLOW_BY_ENGINE for the design's diagram)
 *
 * Returns: (transfer full): the rows as text, one per line
 */
char *
saoma_flow_format_table (SaomaFlow       flow,
                         SaomaFlowWriter writers)
{
  const FlowInfo *info = flow_info (flow);
  GString *out = g_string_new (NULL);

  if (info == NULL)
    return g_string_free (out, FALSE);

  for (guint from = 0; from < info->n_states; from++)
    {
      for (gsize i = 0; i < info->n_transitions; i++)
        {
          const SaomaFlowTransition *row = &info->transitions[i];

          if ((guint) row->from != from || (row->writer & writers) == 0)
            continue;

          g_string_append_printf (out, "%-18s → %-18s  %s\n", info->state_to_string (row->from),
                                  info->state_to_string (row->to), row->why);
        }
    }

  return g_string_free (out, FALSE);
}
