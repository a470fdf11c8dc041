#!/bin/sh
# Fails when an installed program (arguments 3…) holds the path of the build or source tree
# (arguments 1 and 2) outside its debug information: an installed Saoma must find its helpers
# and catalogues in its prefix, never in the tree it was built in.
set -eu
build="$1"; source="$2"; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
for program in "$@"; do
  strip -o "$tmp/program" "$program"
  if strings "$tmp/program" | grep -F -e "$build" -e "$source" >"$tmp/hits"; then
    echo "not ok: $program knows the build tree:"; sed 's/^/  /' "$tmp/hits"; fail=1
  else
    echo "ok: $program holds no build-tree path"
  fi
done
exit $fail
