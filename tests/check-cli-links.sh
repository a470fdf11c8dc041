#!/bin/sh
# Fails when saoma-cli (argument 1) links, directly or through another library, GTK, libadwaita,
# cairo, Pango, graphene or gdk-pixbuf: the headless commands must not load the display stack.
set -eu
cli="$1"
libs=$(ldd "$cli")
echo "$libs" | sed 's/^/# /'
# Sanity: ldd must have listed the engine's libraries, or matching nothing proves nothing.
for need in libglib-2.0 libsoup-3.0 libsqlite3; do
  if ! echo "$libs" | grep -q "$need"; then echo "not ok: ldd did not list $need"; exit 1; fi
done
hits=$(echo "$libs" | grep -E 'lib(gtk-4|gtk-3|gdk|adwaita|cairo|pango|graphene|gdk_pixbuf|gsk)' || true)
if [ -n "$hits" ]; then
  echo "not ok: $cli links the display stack:"; echo "$hits"; exit 1
fi
# Nor what its commonest command, --charge on API v2, never calls (issue 10, point 7: each
# library mapped is start-up time): libsecret and its libgcrypt are opened when the manager
# PIN is first checked; GnuTLS and json-glib serve API v3, which saoma-cli-v3 runs; libxml2 (with
# ICU, libstdc++ and liblzma) is opened when a body first needs more than the v2 codec's
# single-pass reader (src/wxpay/wxpay-xml-lazy.c).
lean_hits=$(echo "$libs" | grep -E 'lib(secret-1|gcrypt|gnutls|json-glib-1.0|p11-kit|hogweed|gmp|xml2|icuuc|icudata|stdc\+\+)\.' || true)
if [ -n "$lean_hits" ]; then
  echo "not ok: $cli loads what --charge never calls:"; echo "$lean_hits"; exit 1
fi
echo "ok: $cli links no GTK, libadwaita, cairo, Pango, graphene or gdk-pixbuf"
echo "ok: $cli loads neither libsecret nor GnuTLS nor json-glib nor libxml2 at exec"
