#!/bin/sh
# Fails when a source file with translatable strings is missing from po/POTFILES.in, or when
# POTFILES.in names a file that does not exist.
set -eu
top="$1"
cd "$top"
fail=0
listed=$(grep -v '^#' po/POTFILES.in | grep -v '^[[:space:]]*$' | sort -u)
for f in $listed; do
  if [ ! -f "$f" ]; then
    echo "not ok: po/POTFILES.in lists $f, which does not exist"
    fail=1
  fi
done
found=$(grep -lE '(^|[^A-Za-z0-9_])(N?_|C_|NC_|g?ngettext|g_dngettext)[[:space:]]*\(|translatable="yes"' \
          -r src data --include='*.c' --include='*.h' --include='*.ui' --include='*.xml' \
          --include='*.in' 2>/dev/null | sort -u)
# The desktop file and the metainfo are translated through their .in files.
for f in data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml; do
  [ -f "$f" ] && found=$(printf '%s\n%s\n' "$found" "$f")
done
for f in $(printf '%s\n' "$found" | sort -u); do
  case "$f" in
    *.gresource.xml) continue ;;
  esac
  if ! printf '%s\n' "$listed" | grep -qxF "$f"; then
    echo "not ok: $f has translatable strings but is missing from po/POTFILES.in"
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "ok: po/POTFILES.in lists every file with translatable strings"
exit $fail
