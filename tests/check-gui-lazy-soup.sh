#!/bin/sh
# Fails when the cashier GUI (argument 1) makes the dynamic loader map libsoup and the libraries
# it brings (Kerberos, nghttp2, libpsl…) at exec: saoma loads libsoup when it first speaks HTTP,
# after its first frame (src/app/saoma-soup-lazy.c; cold start, issue 19). Nor libxml2, GnuTLS
# or libsecret.
set -eu
gui="$1"
libs=$(ldd "$gui")
echo "$libs" | sed 's/^/# /'
# Sanity: ldd must have listed the libraries the GUI does load, or matching nothing proves nothing.
for need in libgtk-4 libadwaita-1 libsqlite3; do
  if ! echo "$libs" | grep -q "$need"; then echo "not ok: ldd did not list $need"; exit 1; fi
done

# refuse ALTERNATIVES: fails if the GUI maps any of lib(ALTERNATIVES). at exec.
refuse() {
  hits=$(echo "$libs" | grep -E "lib($1)\\." || true)
  if [ -n "$hits" ]; then
    echo "not ok: $gui maps at exec:"; echo "$hits"; exit 1
  fi
}
refuse 'soup-3|gssapi_krb5|krb5|nghttp2|psl'
# Nor libxml2 with ICU: the v2 codec opens it when a body first needs more than its own reader
# (src/wxpay/wxpay-xml-lazy.c).
refuse 'xml2|icuuc|icudata'
# Nor GnuTLS with p11-kit, libtasn1, libunistring and GMP: API v3's signatures and a merchant's
# certificate load it when first needed (src/app/saoma-gnutls-lazy.c).
refuse 'gnutls|p11-kit|tasn1|unistring|gmp'
# Nor libsecret with libgcrypt: the keyring opens it with GModule when first used.
refuse 'secret-1|gcrypt'
echo "ok: $gui maps neither libsoup nor libxml2 nor GnuTLS nor libsecret, nor their libraries, at exec"
