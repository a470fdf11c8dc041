#!/bin/sh
# Fails when a catalogue has untranslated or fuzzy messages, or does not compile.
set -eu
po="$1"
out=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1)
echo "$out"
case "$out" in
  *untranslated*|*fuzzy*) echo "not ok: $po is incomplete"; exit 1 ;;
esac
echo "ok: $po is complete"
