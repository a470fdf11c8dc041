/* saoma-bench-stamp.c: stage stamps for tests/bench (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "saoma-bench-stamp.h"

void
saoma_bench_stamp (const char *stage,
                   const char *detail)
{
  static gsize enabled;
  gint64       now;

  /* 1 = off, 2 = on: the environment is read once, then every call costs one load. */
  if (g_once_init_enter (&enabled))
    g_once_init_leave (&enabled, g_strcmp0 (g_getenv ("SAOMA_BENCH"), "1") == 0 ? 2 : 1);
  if (enabled != 2)
    return;

  /* The clock first: the time is the stage's, not the end of the formatting. stderr is
   * unbuffered, so the line is out before the next stage can start. */
  now = g_get_monotonic_time ();
  fprintf (stderr, "SAOMA_STAGE %s %" G_GINT64_FORMAT "%s%s\n", stage, now,
           detail != NULL ? " " : "", detail != NULL ? detail : "");
}
