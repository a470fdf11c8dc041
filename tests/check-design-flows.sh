#!/bin/sh
# Fails when the flow diagrams in docs/DESIGN.md differ from the transition tables the store
# enforces (src/ledger/saoma-flow.c). With --update, rewrites those blocks from the code.
#   check-design-flows.sh FLOW-TABLE-PROGRAM DESIGN.md [--update]
set -eu
program=$1 design=$2 mode=${3:-check}
tables=$(mktemp) current=$(mktemp) rewritten=$(mktemp)
trap 'rm -f "$tables" "$current" "$rewritten"' EXIT
"$program" > "$tables"
# The design's blocks, markers included, in file order.
awk '/^<!-- flow:[a-z]+ -->$/ { on = 1 } on { print } /^<!-- \/flow:[a-z]+ -->$/ { on = 0 }' \
  "$design" > "$current"
if cmp -s "$tables" "$current"; then
  echo "ok: docs/DESIGN.md shows the flow tables of the code"
  exit 0
fi
if [ "$mode" = --update ]; then
  awk -v tables="$tables" '
    /^<!-- flow:[a-z]+ -->$/ {
      name = $0; sub(/^<!-- flow:/, "", name); sub(/ -->$/, "", name)
      skip = 1; printing = 0
      while ((getline line < tables) > 0) {
        if (line == "<!-- flow:" name " -->") printing = 1
        if (printing) print line
        if (line == "<!-- /flow:" name " -->") break
      }
      close(tables)
      next
    }
    skip && /^<!-- \/flow:[a-z]+ -->$/ { skip = 0; next }
    !skip { print }
  ' "$design" > "$rewritten"
  cat "$rewritten" > "$design"
  echo "updated $design"
  exit 0
fi
echo "not ok: the flow diagrams in $design differ from src/ledger/saoma-flow.c:"
diff -u "$current" "$tables" || true
echo "(run tests/check-design-flows.sh with --update to rewrite them)"
exit 1
