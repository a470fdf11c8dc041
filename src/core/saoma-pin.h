/* saoma-pin.h: the manager PIN, kept only as a salted, slow hash (PBKDF2-HMAC-SHA256). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SAOMA_PIN_ERROR (saoma_pin_error_quark ())

typedef enum {
  SAOMA_PIN_ERROR_INVALID,     /* not 6–12 ASCII digits */
  SAOMA_PIN_ERROR_WRONG,       /* does not match the stored hash */
  SAOMA_PIN_ERROR_NOT_SET,     /* no PIN has been set yet */
  SAOMA_PIN_ERROR_MALFORMED,   /* the stored hash is not a "pbkdf2-sha256$…" string we accept */
  SAOMA_PIN_ERROR_FAILED,      /* no random bytes, or the keyring refused to store */
  SAOMA_PIN_ERROR_THROTTLED,   /* a wrong PIN a moment ago: wait before the next try */
  SAOMA_PIN_ERROR_LOCKED,      /* too many wrong PINs in a row: locked for a while */
  SAOMA_PIN_ERROR_TAMPERED,    /* the stored PIN was written outside Saoma: set it again */
  SAOMA_PIN_ERROR_UNAVAILABLE, /* no keyring (Secret Service) to read the PIN from */
} SaomaPinError;

GQuark saoma_pin_error_quark (void);

/* 10⁶ PINs at most one try per SAOMA_PIN_LOCKOUT_US once locked: years, not minutes. */
#define SAOMA_PIN_MIN_DIGITS 6
#define SAOMA_PIN_MAX_DIGITS 12
/* What verification still reads in a hash made before 6 digits were required. */
#define SAOMA_PIN_MIN_OLD_DIGITS 4
/* Iterations for new hashes; verification accepts any count from SAOMA_PIN_MIN_ITERATIONS up
 * to SAOMA_PIN_MAX_ITERATIONS (so the default can be raised later without locking anyone out).
 * 600,000 is OWASP's figure for PBKDF2-HMAC-SHA256; nettle computes it in ~85 ms on the till
 * (the old GHmac loop took 116 ms for 150,000), and it is what an offline guesser who copies
 * the keyring item pays per PIN. */
#define SAOMA_PIN_DEFAULT_ITERATIONS 600000
#define SAOMA_PIN_MIN_ITERATIONS     100000
#define SAOMA_PIN_MAX_ITERATIONS     10000000
#define SAOMA_PIN_SALT_SIZE          16
#define SAOMA_PIN_HASH_SIZE          32

/* Wrong PINs in a row: a growing wait after each (saoma_pin_retry_delay), and from
 * SAOMA_PIN_LOCKOUT_FAILURES on, a lockout of SAOMA_PIN_LOCKOUT_US after every further one. */
#define SAOMA_PIN_LOCKOUT_FAILURES 5
#define SAOMA_PIN_LOCKOUT_US       (15 * G_TIME_SPAN_MINUTE)

/* TRUE when @pin is 6–12 ASCII digits; otherwise SAOMA_PIN_ERROR_INVALID with a translatable
 * sentence. */
gboolean saoma_pin_check_rules (const char *pin,
                                GError    **error);

/* How long (µs) to refuse every try after @failures wrong PINs in a row: 0 for none, then 1, 2,
 * 4, 8 s, and SAOMA_PIN_LOCKOUT_US from SAOMA_PIN_LOCKOUT_FAILURES on. */
gint64   saoma_pin_retry_delay (guint failures);

/* @n random bytes from the kernel's CSPRNG into @buf. */
gboolean saoma_pin_random_bytes (guint8  *buf,
                                 gsize    n,
                                 GError **error);

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

/* Checks @pin (4–12 digits) against @encoded in constant time. No rate limit: the till checks
 * PINs only through SaomaPinGuard (saoma-pin-guard.h). @encoded NULL or "" fails with
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

/* TRUE when @encoded looks like a hash this module wrote. */
gboolean saoma_pin_is_set        (const char *encoded);

G_END_DECLS
