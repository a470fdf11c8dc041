/* saoma-gnutls-lazy.c: the cashier window's GnuTLS, loaded when first used, not at exec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnuTLS signs and verifies API v3's RSA (src/wxpay/wxpay3-sign.c) and reads a merchant's
 * certificate (saoma-merchant-check.c); nothing on the first frame does either, yet GnuTLS
 * brings p11-kit, libtasn1, libidn2, libunistring, hogweed and GMP, and mapping and relocating
 * them cost the GUI's cold start about 3 ms before main() (issue 19; measured with an empty
 * program linked against the GUI's libraries with and without GnuTLS, 200 runs each).
 *
 * As saoma-soup-lazy.c does for libsoup: this file defines, in the saoma executable only, the
 * GnuTLS functions the application calls; the first call dlopen()s GnuTLS and each forwards to
 * the real function, so the linker (--as-needed) no longer records GnuTLS as needed.
 * saoma-cli-v3, wxpay-sim and the tests link it as before. Every GnuTLS function the GUI calls
 * must be here: one that is missing makes the linker keep GnuTLS, which the policy test
 * `gui-lazy-soup` (tests/check-gui-lazy-soup.sh) refuses. The prototypes come from GnuTLS's own
 * headers, so a signature that differs does not compile.
 */
#define G_LOG_DOMAIN "saoma-gnutls-lazy"

#include "config.h"

#include "core/saoma-lazy-symbol.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define TLS_SONAME "libgnutls.so.30"
#define TLS_LAZY(ret, name, params, args) SAOMA_LAZY (TLS_SONAME, ret, name, params, args)
#define TLS_LAZY_VOID(name, params, args) SAOMA_LAZY_VOID (TLS_SONAME, name, params, args)

/* gnutls_free is a variable, not a function: a pointer to GnuTLS's deallocator, which callers
 * call through. Here it starts as a function that loads GnuTLS and calls the real one. */
static void
lazy_gnutls_free (void *ptr)
{
  gnutls_free_function *real = saoma_lazy_symbol (TLS_SONAME, "gnutls_free");

  (*real) (ptr);
}

gnutls_free_function gnutls_free = lazy_gnutls_free;

/* Each parameter list below is written as in GnuTLS's headers; clang-format would break them. */
/* clang-format off */
TLS_LAZY (const char *, gnutls_strerror, (int error), (error))
TLS_LAZY (int, gnutls_rnd, (gnutls_rnd_level_t level, void *data, size_t len), (level, data, len))

/* Private keys. */
TLS_LAZY (int, gnutls_privkey_init, (gnutls_privkey_t *key), (key))
TLS_LAZY_VOID (gnutls_privkey_deinit, (gnutls_privkey_t key), (key))
TLS_LAZY (int, gnutls_privkey_get_pk_algorithm, (gnutls_privkey_t key, unsigned int *bits),
          (key, bits))
TLS_LAZY (int, gnutls_privkey_import_x509,
          (gnutls_privkey_t pkey, gnutls_x509_privkey_t key, unsigned int flags),
          (pkey, key, flags))
TLS_LAZY (int, gnutls_privkey_import_x509_raw,
          (gnutls_privkey_t pkey, const gnutls_datum_t *data, gnutls_x509_crt_fmt_t format,
           const char *password, unsigned int flags),
          (pkey, data, format, password, flags))
TLS_LAZY (int, gnutls_privkey_sign_data,
          (gnutls_privkey_t signer, gnutls_digest_algorithm_t hash, unsigned int flags,
           const gnutls_datum_t *data, gnutls_datum_t *signature),
          (signer, hash, flags, data, signature))

/* Public keys. */
TLS_LAZY (int, gnutls_pubkey_init, (gnutls_pubkey_t *key), (key))
TLS_LAZY_VOID (gnutls_pubkey_deinit, (gnutls_pubkey_t key), (key))
TLS_LAZY (int, gnutls_pubkey_export2,
          (gnutls_pubkey_t key, gnutls_x509_crt_fmt_t format, gnutls_datum_t *out),
          (key, format, out))
TLS_LAZY (int, gnutls_pubkey_get_pk_algorithm, (gnutls_pubkey_t key, unsigned int *bits),
          (key, bits))
TLS_LAZY (int, gnutls_pubkey_import,
          (gnutls_pubkey_t key, const gnutls_datum_t *data, gnutls_x509_crt_fmt_t format),
          (key, data, format))
TLS_LAZY (int, gnutls_pubkey_import_privkey,
          (gnutls_pubkey_t key, gnutls_privkey_t pkey, unsigned int usage, unsigned int flags),
          (key, pkey, usage, flags))
TLS_LAZY (int, gnutls_pubkey_import_x509,
          (gnutls_pubkey_t key, gnutls_x509_crt_t crt, unsigned int flags), (key, crt, flags))
TLS_LAZY (int, gnutls_pubkey_verify_data2,
          (gnutls_pubkey_t pubkey, gnutls_sign_algorithm_t algo, unsigned int flags,
           const gnutls_datum_t *data, const gnutls_datum_t *signature),
          (pubkey, algo, flags, data, signature))

/* Certificates. */
TLS_LAZY (int, gnutls_x509_crt_init, (gnutls_x509_crt_t *cert), (cert))
TLS_LAZY_VOID (gnutls_x509_crt_deinit, (gnutls_x509_crt_t cert), (cert))
TLS_LAZY (int, gnutls_x509_crt_export2,
          (gnutls_x509_crt_t cert, gnutls_x509_crt_fmt_t format, gnutls_datum_t *out),
          (cert, format, out))
TLS_LAZY (time_t, gnutls_x509_crt_get_activation_time, (gnutls_x509_crt_t cert), (cert))
TLS_LAZY (time_t, gnutls_x509_crt_get_expiration_time, (gnutls_x509_crt_t cert), (cert))
TLS_LAZY (int, gnutls_x509_crt_get_serial,
          (gnutls_x509_crt_t cert, void *result, size_t *result_size),
          (cert, result, result_size))
TLS_LAZY (int, gnutls_x509_crt_import,
          (gnutls_x509_crt_t cert, const gnutls_datum_t *data, gnutls_x509_crt_fmt_t format),
          (cert, data, format))
TLS_LAZY (int, gnutls_x509_crt_set_activation_time, (gnutls_x509_crt_t cert, time_t act_time),
          (cert, act_time))
TLS_LAZY (int, gnutls_x509_crt_set_dn, (gnutls_x509_crt_t crt, const char *dn, const char **err),
          (crt, dn, err))
TLS_LAZY (int, gnutls_x509_crt_set_expiration_time, (gnutls_x509_crt_t cert, time_t exp_time),
          (cert, exp_time))
TLS_LAZY (int, gnutls_x509_crt_set_key, (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key),
          (crt, key))
TLS_LAZY (int, gnutls_x509_crt_set_key_usage, (gnutls_x509_crt_t crt, unsigned int usage),
          (crt, usage))
TLS_LAZY (int, gnutls_x509_crt_set_serial,
          (gnutls_x509_crt_t cert, const void *serial, size_t serial_size),
          (cert, serial, serial_size))
TLS_LAZY (int, gnutls_x509_crt_set_version, (gnutls_x509_crt_t crt, unsigned int version),
          (crt, version))
TLS_LAZY (int, gnutls_x509_crt_sign2,
          (gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key,
           gnutls_digest_algorithm_t dig, unsigned int flags),
          (crt, issuer, issuer_key, dig, flags))

/* X.509 private keys. */
TLS_LAZY (int, gnutls_x509_privkey_init, (gnutls_x509_privkey_t *key), (key))
TLS_LAZY_VOID (gnutls_x509_privkey_deinit, (gnutls_x509_privkey_t key), (key))
TLS_LAZY (int, gnutls_x509_privkey_export2_pkcs8,
          (gnutls_x509_privkey_t key, gnutls_x509_crt_fmt_t format, const char *password,
           unsigned int flags, gnutls_datum_t *out),
          (key, format, password, flags, out))
TLS_LAZY (int, gnutls_x509_privkey_generate,
          (gnutls_x509_privkey_t key, gnutls_pk_algorithm_t algo, unsigned int bits,
           unsigned int flags),
          (key, algo, bits, flags))
TLS_LAZY (int, gnutls_x509_privkey_get_pk_algorithm, (gnutls_x509_privkey_t key), (key))
TLS_LAZY (int, gnutls_x509_privkey_import,
          (gnutls_x509_privkey_t key, const gnutls_datum_t *data, gnutls_x509_crt_fmt_t format),
          (key, data, format))
TLS_LAZY (int, gnutls_x509_privkey_import2,
          (gnutls_x509_privkey_t key, const gnutls_datum_t *data, gnutls_x509_crt_fmt_t format,
           const char *password, unsigned int flags),
          (key, data, format, password, flags))
/* clang-format on */
