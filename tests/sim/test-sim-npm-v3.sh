#!/bin/sh
# An independent API v3 client (wechatpay-axios-plugin from npm) creates, queries and closes a
# Native order against wxpay-sim --v3-dir and verifies every answer with its own code
# (peers/wechatpay-v3-native.cjs). Skips (77) when node/npm are missing or the package cannot be
# installed; the package goes under the build directory, never into the repository.
#
# usage: test-sim-npm-v3.sh WXPAY-SIM PEER-SCRIPT MODULES-DIR
set -eu
sim=$1 script=$2 modules=$3
package=wechatpay-axios-plugin@0.9.6

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "skip: no node/npm"
  exit 77
fi
if [ ! -d "$modules/node_modules/wechatpay-axios-plugin" ]; then
  mkdir -p "$modules"
  if ! npm install --prefix "$modules" --no-audit --no-fund --no-save --loglevel=error \
       "$package" >&2; then
    echo "skip: npm could not install $package"
    exit 77
  fi
fi

tmp=$(mktemp -d -t saoma-npm-v3.XXXXXX)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$sim" --port 0 --v3-dir "$tmp/v3" >"$tmp/url" &
sim_pid=$!
i=0
while [ ! -s "$tmp/url" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(head -n 1 "$tmp/url")
[ -n "$url" ] || { echo "wxpay-sim did not start"; exit 1; }

node "$script" "$modules" "$url" "$tmp/v3"
