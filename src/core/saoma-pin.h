/* saoma-pin.h: the manager PIN, kept only as a salted, slow hash (PBKDF2-HMAC-SHA256). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SAOMA_PIN_ERROR (saoma_pin_error_quark ())

typedef enum {
  SAOMA_PIN_ERROR_INVALID,    /* not 4–8 ASCII digits */
  SAOMA_PIN_ERROR_WRONG,      /* does not match the stored hash */
  SAOMA_PIN_ERROR_NOT_SET,    /* no PIN has been set yet */
  SAOMA_PIN_ERROR_MALFORMED,  /* the stored hash is not a "pbkdf2-sha256$…" string we accept */
  SAOMA_PIN_ERROR_FAILED,     /* no random bytes */
} SaomaPinError;

GQuark saoma_pin_error_quark (void);

#define SAOMA_PIN_MIN_DIGITS 4
#define SAOMA_PIN_MAX_DIGITS 8
/* Iterations for new hashes; verification accepts any count from SAOMA_PIN_MIN_ITERATIONS up
 * to SAOMA_PIN_MAX_ITERATIONS (so the default can be raised later without locking anyone out). */
#define SAOMA_PIN_DEFAULT_ITERATIONS 150000
#define SAOMA_PIN_MIN_ITERATIONS     100000
#define SAOMA_PIN_MAX_ITERATIONS     10000000
#define SAOMA_PIN_SALT_SIZE          16
#define SAOMA_PIN_HASH_SIZE          32

/* TRUE when @pin is 4–8 ASCII digits; otherwise SAOMA_PIN_ERROR_INVALID with a translatable
 * sentence. */
gboolean saoma_pin_check_rules (const char *pin,
                                GError    **error);

/* PBKDF2 (RFC 8018) with HMAC-SHA256: @out_len bytes into @out. Exposed for the RFC 7914 test
 * vectors. */
void     saoma_pbkdf2_hmac_sha256 (const guint8 *password,
                                   gsize         password_len,
                                   const guint8 *salt,
                                   gsize         salt_len,
                                   guint         iterations,
                                   guint8       *out,
                                   gsize         out_len);

/* Hashes @pin (rules checked first) with a fresh 16-byte salt from the kernel's CSPRNG:
 * "pbkdf2-sha256$ITERATIONS$SALT_B64$HASH_B64". @iterations 0 means the default; values
 * below SAOMA_PIN_MIN_ITERATIONS are refused. Slow on purpose: never on the main thread — use
 * the _async variant there. */
char    *saoma_pin_hash_sync   (const char *pin,
                                guint       iterations,
                                GError    **error);
void     saoma_pin_hash_async  (const char         *pin,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
char    *saoma_pin_hash_finish (GAsyncResult *result,
                                GError      **error);

/* Checks @pin against @encoded in constant time. @encoded NULL or "" fails with
 * SAOMA_PIN_ERROR_NOT_SET; a mismatch with SAOMA_PIN_ERROR_WRONG. */
gboolean saoma_pin_verify_sync   (const char *pin,
                                  const char *encoded,
                                  GError    **error);
void     saoma_pin_verify_async  (const char         *pin,
                                  const char         *encoded,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
gboolean saoma_pin_verify_finish (GAsyncResult *result,
                                  GError      **error);

/* TRUE when @encoded looks like a hash this module wrote (for "PIN is set" in Preferences). */
gboolean saoma_pin_is_set        (const char *encoded);

G_END_DECLS
