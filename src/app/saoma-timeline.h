/* saoma-timeline.h: the audit events of a payment as sentences people read (issue 12.14). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The ledger's events are short English protocol notes ("orderquery → NOTPAY"). The payment
 * details show each as a translated sentence instead, and keep the note itself for whoever
 * needs it. A run of events that says the same thing (a query every few seconds) is one entry
 * with its count. Pure functions: no ledger, no clock, no GTK.
 */

/* One line of the timeline. */
typedef struct {
  gint64  first_time;  /* µs UTC of its first event */
  gint64  last_time;   /* µs UTC of its last event (== first_time when count is 1) */
  guint   count;       /* events collapsed into it, ≥ 1 */
  char   *sentence;    /* translated, the count included when > 1 */
} SaomaTimelineEntry;

void saoma_timeline_entry_free (SaomaTimelineEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaTimelineEntry, saoma_timeline_entry_free)

/* Every event kind the engine, the ledger and the reports write (NULL-terminated). A kind
 * that is not here has no sentence of its own (tests/core/check-event-kinds.sh). */
const char * const *saoma_timeline_known_kinds (void);

/* The translated sentence of one event (never NULL). *@out_mapped (nullable) is FALSE for a
 * kind it does not know: the sentence then says only that something was recorded. */
char      *saoma_timeline_sentence (const char *kind,
                                    const char *detail,
                                    gboolean   *out_mapped);

/* The sentence for @count (≥ 1) such events in a row. */
char      *saoma_timeline_sentence_repeated (const char *kind,
                                             const char *detail,
                                             guint       count);

/* @events (SaomaLedgerEvent *, oldest first) as timeline entries, repeats in a row collapsed.
 * Returns: (transfer container) (element-type SaomaTimelineEntry) */
GPtrArray *saoma_timeline_build (GPtrArray *events);

G_END_DECLS
