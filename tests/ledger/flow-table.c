/* flow-table.c: prints every flow's transition table as docs/DESIGN.md shows it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test by itself: tests/check-design-flows.sh compares its output with the blocks between
 * "<!-- flow:NAME -->" markers in docs/DESIGN.md, so the design's diagrams cannot drift from
 * the tables the store enforces (run the script with --update to rewrite them).
 */
#include <stdio.h>

#include "ledger/saoma-flow.h"

int
main (void)
{
  for (int flow = 0; flow <= SAOMA_FLOW_LAST; flow++)
    {
      g_autofree char *table = saoma_flow_format_table (flow, SAOMA_FLOW_BY_ENGINE);

      printf ("<!-- flow:%s -->\n```\n%s```\n<!-- /flow:%s -->\n",
              saoma_flow_to_string (flow), table, saoma_flow_to_string (flow));
    }
  return 0;
}
