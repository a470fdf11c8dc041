/* saoma-bench-stamp.h: stage stamps for tests/bench (SAOMA_BENCH=1), nothing otherwise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * saoma_bench_stamp:
 * @stage: a short name without spaces ("inserted", "sent", …)
 * @detail: (nullable): a word that identifies what the stage belongs to (an out_trade_no, a
 *   state name), or %NULL
 *
 * When the environment has SAOMA_BENCH=1, writes `SAOMA_STAGE <stage> <CLOCK_MONOTONIC µs>
 * [<detail>]` to stderr, for bench-ui to break a path down into stages; otherwise does nothing
 * (one cached check, no formatting).
 */
void saoma_bench_stamp (const char *stage,
                        const char *detail);

G_END_DECLS
