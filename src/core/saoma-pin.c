/* saoma-pin.c: the manager PIN as a salted PBKDF2-HMAC-SHA256 hash (nettle's PBKDF2). */
#define G_LOG_DOMAIN "saoma-pin"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <glib/gi18n-lib.h>
#include <nettle/pbkdf2.h>

#include "saoma-pin.h"

#define PIN_SCHEME "pbkdf2-sha256"

G_DEFINE_QUARK (saoma-pin-error-quark, saoma_pin_error)

static gboolean
is_digits (const char *pin,
           gsize       min,
           gsize       max)
{
  gsize len;

  if (pin == NULL)
    return FALSE;
  len = strlen (pin);
  if (len < min || len > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (pin[i] < '0' || pin[i] > '9')
      return FALSE;
  return TRUE;
}

gboolean
saoma_pin_check_rules (const char  *pin,
                       GError     **error)
{
  gsize len;

  if (pin == NULL || *pin == '\0')
    {
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID,
                           _("Enter the manager PIN."));
      return FALSE;
    }

  len = strlen (pin);
  for (gsize i = 0; i < len; i++)
    {
      if (pin[i] < '0' || pin[i] > '9')
        {
          g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID,
                               _("The PIN may contain digits only."));
          return FALSE;
        }
    }

  if (len < SAOMA_PIN_MIN_DIGITS || len > SAOMA_PIN_MAX_DIGITS)
    {
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID,
                   _("The PIN must have %d to %d digits."),
                   SAOMA_PIN_MIN_DIGITS, SAOMA_PIN_MAX_DIGITS);
      return FALSE;
    }

  return TRUE;
}

gint64
saoma_pin_retry_delay (guint failures)
{
  if (failures == 0)
    return 0;
  if (failures >= SAOMA_PIN_LOCKOUT_FAILURES)
    return SAOMA_PIN_LOCKOUT_US;
  /* 1, 2, 4, 8 s: a slip of the finger costs nothing, a guessing run a lot. */
  return (G_GINT64_CONSTANT (1) << (failures - 1)) * G_TIME_SPAN_SECOND;
}

gboolean
saoma_pin_random_bytes (guint8  *buf,
                        gsize    len,
                        GError **error)
{
  gsize done = 0;

  /* The kernel CSPRNG (what /dev/urandom serves), never GLib's g_random. */
  while (done < len)
    {
      ssize_t r = getrandom (buf + done, len - done, 0);

      if (r < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED,
                       "getrandom: %s", g_strerror (saved));
          return FALSE;
        }
      done += r;
    }

  return TRUE;
}

char *
saoma_pin_hash_sync (const char  *pin,
                     guint        iterations,
                     GError     **error)
{
  guint8 salt[SAOMA_PIN_SALT_SIZE];
  guint8 hash[SAOMA_PIN_HASH_SIZE];
  g_autofree char *salt_b64 = NULL;
  g_autofree char *hash_b64 = NULL;

  if (!saoma_pin_check_rules (pin, error))
    return NULL;

  if (iterations == 0)
    iterations = SAOMA_PIN_DEFAULT_ITERATIONS;
  if (iterations < SAOMA_PIN_MIN_ITERATIONS || iterations > SAOMA_PIN_MAX_ITERATIONS)
    {
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED,
                   "iteration count %u out of range", iterations);
      return NULL;
    }

  if (!saoma_pin_random_bytes (salt, sizeof salt, error))
    return NULL;

  pbkdf2_hmac_sha256 (strlen (pin), (const guint8 *) pin, iterations, sizeof salt, salt,
                      sizeof hash, hash);

  salt_b64 = g_base64_encode (salt, sizeof salt);
  hash_b64 = g_base64_encode (hash, sizeof hash);
  memset (hash, 0, sizeof hash);

  return g_strdup_printf (PIN_SCHEME "$%u$%s$%s", iterations, salt_b64, hash_b64);
}

typedef struct {
  guint   iterations;
  guint8 *salt;
  gsize   salt_len;
  guint8 *hash;
  gsize   hash_len;
} ParsedHash;

static void
parsed_hash_clear (ParsedHash *parsed)
{
  g_clear_pointer (&parsed->salt, g_free);
  if (parsed->hash != NULL)
    memset (parsed->hash, 0, parsed->hash_len);
  g_clear_pointer (&parsed->hash, g_free);
}

static gboolean
parse_encoded (const char  *encoded,
               ParsedHash  *parsed,
               GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 iterations;
  char *end = NULL;

  memset (parsed, 0, sizeof *parsed);

  if (encoded == NULL || *encoded == '\0')
    {
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET,
                           _("No manager PIN has been set. Set one in Preferences."));
      return FALSE;
    }

  parts = g_strsplit (encoded, "$", -1);
  if (g_strv_length (parts) != 4 || g_strcmp0 (parts[0], PIN_SCHEME) != 0)
    goto malformed;

  if (!g_ascii_isdigit (parts[1][0]))
    goto malformed;
  iterations = g_ascii_strtoull (parts[1], &end, 10);
  if (*end != '\0' || iterations < SAOMA_PIN_MIN_ITERATIONS
      || iterations > SAOMA_PIN_MAX_ITERATIONS)
    goto malformed;
  parsed->iterations = iterations;

  if (*parts[2] == '\0' || *parts[3] == '\0')
    goto malformed;
  parsed->salt = g_base64_decode (parts[2], &parsed->salt_len);
  parsed->hash = g_base64_decode (parts[3], &parsed->hash_len);
  if (parsed->salt_len < 8 || parsed->hash_len != SAOMA_PIN_HASH_SIZE)
    {
      parsed_hash_clear (parsed);
      goto malformed;
    }

  return TRUE;

malformed:
  g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_MALFORMED,
                       _("The stored manager PIN is damaged. Set a new one in Preferences."));
  return FALSE;
}

gboolean
saoma_pin_is_set (const char *encoded)
{
  ParsedHash parsed;

  if (!parse_encoded (encoded, &parsed, NULL))
    return FALSE;
  parsed_hash_clear (&parsed);
  return TRUE;
}

gboolean
saoma_pin_verify_sync (const char  *pin,
                       const char  *encoded,
                       GError     **error)
{
  ParsedHash parsed;
  guint8 computed[SAOMA_PIN_HASH_SIZE];
  guint8 diff = 0;
  g_autoptr(GError) rules_error = NULL;

  if (!parse_encoded (encoded, &parsed, error))
    return FALSE;

  /* A PIN that is not 4–12 digits can never match (4 and 5 were allowed before issue 11: the
   * hash format stays readable, though the keyring only ever holds 6+); still spend the same
   * time on it so the answer's delay does not tell which check failed. */
  if (!is_digits (pin, SAOMA_PIN_MIN_OLD_DIGITS, SAOMA_PIN_MAX_DIGITS))
    {
      g_set_error_literal (&rules_error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_INVALID, "");
      pin = "";
    }

  pbkdf2_hmac_sha256 (strlen (pin), (const guint8 *) pin, parsed.iterations, parsed.salt_len,
                      parsed.salt, sizeof computed, computed);

  for (gsize i = 0; i < sizeof computed; i++)
    diff |= computed[i] ^ parsed.hash[i];

  memset (computed, 0, sizeof computed);
  parsed_hash_clear (&parsed);

  if (diff != 0 || rules_error != NULL)
    {
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG,
                           _("Wrong manager PIN."));
      return FALSE;
    }

  return TRUE;
}

typedef struct {
  char *pin;
  char *encoded;
} PinTaskData;

static void
pin_task_data_free (PinTaskData *data)
{
  if (data->pin != NULL)
    {
      memset (data->pin, 0, strlen (data->pin));
      g_free (data->pin);
    }
  g_free (data->encoded);
  g_free (data);
}

static void
hash_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PinTaskData *data = task_data;
  GError *error = NULL;
  char *encoded;

  encoded = saoma_pin_hash_sync (data->pin, 0, &error);
  if (encoded == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, encoded, g_free);
}

void
saoma_pin_hash_async (const char          *pin,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PinTaskData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_pin_hash_async);
  data = g_new0 (PinTaskData, 1);
  data->pin = g_strdup (pin);
  g_task_set_task_data (task, data, (GDestroyNotify) pin_task_data_free);
  g_task_run_in_thread (task, hash_worker);
}

char *
saoma_pin_hash_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == saoma_pin_hash_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
verify_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  PinTaskData *data = task_data;
  GError *error = NULL;

  if (saoma_pin_verify_sync (data->pin, data->encoded, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
saoma_pin_verify_async (const char          *pin,
                        const char          *encoded,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PinTaskData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_pin_verify_async);
  data = g_new0 (PinTaskData, 1);
  data->pin = g_strdup (pin);
  data->encoded = g_strdup (encoded);
  g_task_set_task_data (task, data, (GDestroyNotify) pin_task_data_free);
  g_task_run_in_thread (task, verify_worker);
}

gboolean
saoma_pin_verify_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == saoma_pin_verify_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
