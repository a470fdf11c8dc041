#!/bin/sh
# Fails when a module includes a header its layer must not know (DESIGN.md, "Dependency direction").
set -eu
src="$1/src"
fail=0
check() { # dir pattern what
  hits=$(grep -rnE "$2" "$src/$1" --include='*.c' --include='*.h' 2>/dev/null || true)
  if [ -n "$hits" ]; then echo "not ok: $3 in src/$1:"; echo "$hits"; fail=1; else echo "ok: no $3 in src/$1"; fi
}
gtk='#[[:space:]]*include[[:space:]]*[<"](gtk/|gdk/|adwaita|libadwaita|gsk/|qrencode|cairo)'
sql='#[[:space:]]*include[[:space:]]*[<"]sqlite3'
soupxml='#[[:space:]]*include[[:space:]]*[<"](libxml/|gnutls/)'
for d in wxpay ledger core sim cli; do check $d "$gtk" "GTK/cairo headers"; done
for d in wxpay core sim app cli; do check $d "$sql" "SQLite headers"; done
check ledger '#[[:space:]]*include[[:space:]]*[<"](libsoup/|libxml/|gnutls/|wxpay)' "protocol headers"
check core "$soupxml" "libxml2/GnuTLS headers (core goes through libwxpay)"
# The app speaks to SaomaTill and SaomaGateway; saoma_gateway_new_for_merchant() builds clients.
check app '#[[:space:]]*include[[:space:]]*[<"](wxpay/|wxpay-)' "protocol (libwxpay) headers"
# The app talks to the demo simulator as a process; the demo merchant's credentials come from
# the simulator's --credentials-dir, never from simulator headers.
check app '#[[:space:]]*include[[:space:]]*[<"](sim/|wxpay-sim)' "simulator headers"
exit $fail
