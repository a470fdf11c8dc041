/* saoma-flow.h: the state machines the store enforces, as tables of allowed transitions. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A flow is one kind of durable record with its own named state enum:
 *
 *   SAOMA_FLOW_NATIVE    a Native (QR) payment attempt, states SaomaAttemptState
 *   SAOMA_FLOW_REFUND    a refund, states SaomaRefundState
 *   SAOMA_FLOW_MICROPAY  a micropay (付款码) attempt, states SaomaAttemptState under the
 *                        micropay names (saoma_flow_state_to_string()):
 *                        WAITING is USERPAYING (the payer is entering the password),
 *                        CLOSING is REVERSING (reverse owed or in progress), CLOSED is REVOKED
 *
 * An attempt follows the flow of its payment method (saoma_flow_for_method()). Micropay reuses
 * the attempt states so that the stored column, its CHECK constraint and every reader stay as
 * they are; only the table and the names differ.
 *
 * Each flow has a table of (from, to, why) rows: the only state changes the store writes.
 * A row with from == to allows re-writing the same state (with new fields or an event);
 * an update that leaves the state alone is not a transition and needs no row.
 */
typedef enum {
  SAOMA_FLOW_NATIVE,
  SAOMA_FLOW_REFUND,
  SAOMA_FLOW_MICROPAY,
} SaomaFlow;

#define SAOMA_FLOW_LAST SAOMA_FLOW_MICROPAY

typedef enum {
  /* The engine (SaomaCheckout, SaomaRefunder, the ledger's refund bookkeeping) writes it. */
  SAOMA_FLOW_BY_ENGINE = 1 << 0,
  /* Written only when recording an outcome learned outside the engine: test and benchmark
   * fixtures, imports. Kept so that what was accepted before the table stays accepted;
   * DESIGN.md's diagram leaves these out. */
  SAOMA_FLOW_BY_RECORD = 1 << 1,
} SaomaFlowWriter;

typedef struct {
  int              from;    /* a state of the flow's enum */
  int              to;
  SaomaFlowWriter  writer;
  const char      *why;     /* short English: what makes it happen */
} SaomaFlowTransition;

/* "native", "refund", "micropay". */
const char                *saoma_flow_to_string          (SaomaFlow  flow);
/* The flow an attempt of @method follows (a SaomaPaymentMethod; NATIVE for unknown values). */
SaomaFlow                  saoma_flow_for_method         (int        method);
/* The number of states of @flow (its enum's values are 0 … n - 1) and their names. */
guint                      saoma_flow_get_n_states       (SaomaFlow  flow);
const char                *saoma_flow_state_to_string    (SaomaFlow  flow,
                                                          int        state);
/* The table, in the order DESIGN.md's diagram lists it. */
const SaomaFlowTransition *saoma_flow_get_transitions    (SaomaFlow  flow,
                                                          gsize     *n_transitions);
/* The row for (@from, @to), or NULL when the flow never goes from @from to @to. */
const SaomaFlowTransition *saoma_flow_lookup             (SaomaFlow  flow,
                                                          int        from,
                                                          int        to);
gboolean                   saoma_flow_transition_allowed (SaomaFlow  flow,
                                                          int        from,
                                                          int        to);
/* The table as text, one "FROM → TO  why" line per row written by one of @writers, grouped
 * by FROM in table order: the source of DESIGN.md's diagram. */
char                      *saoma_flow_format_table       (SaomaFlow        flow,
                                                          SaomaFlowWriter  writers);

G_END_DECLS
