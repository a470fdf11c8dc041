#!/bin/sh
# Fails when a catalogue does not compile, has fuzzy or untranslated messages, lacks a message
# the sources (po/POTFILES.in) ask for, or keeps one they no longer use.
#
# usage: check-translation.sh CATALOGUE.po [SOURCE-ROOT]
set -eu
po="$1"
root="${2:-}"
out=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1)
echo "$out"
case "$out" in
  *untranslated*|*fuzzy*) echo "not ok: $po is incomplete"; exit 1 ;;
esac
[ -n "$root" ] || { echo "ok: $po is complete"; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The keywords of meson's i18n "glib" preset (po/meson.build), which builds the real template.
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  -D "$root" -f "$root/po/POTFILES.in" -o "$tmp/saoma.pot"
msgmerge --quiet --no-fuzzy-matching "$po" "$tmp/saoma.pot" -o "$tmp/merged.po"
# msgattrib prints the header's empty msgid too: not a message.
missing=$(msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep -c '^msgid' || true)
[ "$missing" -gt 0 ] && missing=$((missing - 1))
unused=$(grep -c '^#~ msgid' "$tmp/merged.po" || true)
if [ "$missing" -gt 0 ]; then
  echo "not ok: $po has no translation for $missing message(s) in the sources:"
  msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep -A1 '^#:' | grep -v '^--'
fi
if [ "$unused" -gt 0 ]; then
  echo "not ok: $po keeps $unused message(s) no source uses:"
  grep '^#~ msgid' "$tmp/merged.po"
fi
[ "$missing" -eq 0 ] && [ "$unused" -eq 0 ] || exit 1
echo "ok: $po translates every message of the sources and nothing else"
