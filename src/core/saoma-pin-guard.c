/* saoma-pin-guard.c: the manager PIN's verifier and failure count, kept in the keyring.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What this protects, and what it cannot.
 *
 * The till runs under the cashier's own desktop account, so anything that account can do, a
 * cashier at a shell can do too. Against that, the guard makes three things true:
 *
 * - Guessing is slow everywhere. Every path that asks for the PIN (refund dialog, refunder,
 *   Preferences' change-PIN, headless commands) goes through saoma_pin_guard_check_*, which
 *   counts a try in the keyring *before* computing the hash (a killed process still pays for
 *   its guess), refuses any try during the wait after a wrong one (1, 2, 4, 8 s) and, from the
 *   fifth wrong PIN in a row, locks for 15 minutes after each further one: 10⁶ PINs take years.
 *   Processes serialise on a lock file, so parallel guessers share one count.
 * - A hand-written verifier is refused. The verifier no longer lives in GSettings (where
 *   `gsettings set` or dconf-editor replace it in one line: that is how a hashlib-made hash was
 *   accepted); it lives in a Secret Service item together with the failure count, under an
 *   HMAC-SHA256 tag keyed by 32 random bytes created when the PIN is set. A pasted PBKDF2 string,
 *   a reset counter or any other edit of the item that is not Saoma's own write fails the tag:
 *   the PIN is refused ("changed outside Saoma, set it again").
 * - Replacing it is noticed. With no valid PIN (none, or a tampered one) Preferences sets a new
 *   one without asking for the old: anything else would lock a shop out of refunds for good,
 *   and someone who can delete the keyring item can reach that state anyway. So setting the
 *   PIN, with or without the old one, and every lockout are written to the ledger as till-wide
 *   "manager-pin" events, which the manager sees beside the refunds made afterwards.
 *
 * What it cannot do: someone with the unlocked session can read the keyring item (the tag key
 * sits beside the tag, as the API key sits in the same keyring), so they can forge a tag,
 * restore an older item to clear the count, try all 10⁶ six-digit PINs against the verifier
 * offline (600,000 PBKDF2 iterations each: about a CPU-day, much less on a GPU; a longer PIN
 * helps), or call WeChat's refund API with the merchant key and certificate without Saoma; setting the clock back needs root (and a clock that
 * moved back only restarts the wait). Keeping the PIN from the cashier's account needs another
 * account (a system service behind polkit), which is out of this till's reach. Upgrades: a hash
 * left in the old GSettings key is never accepted (it is exactly what could be forged); the
 * manager sets the PIN again in Preferences, once, and that is recorded.
 */
#define G_LOG_DOMAIN "saoma-pin-guard"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "saoma-library.h"
#include "saoma-pin.h"
#include "saoma-pin-guard.h"

#define RECORD_MAGIC  "saoma-pin 1"
#define RECORD_MAX    4096
#define TAG_KEY_SIZE  32
#define TAG_SIZE      32
#define PURPOSE       "manager-pin"
#define EVENT_KIND    "manager-pin"
#define MAX_FAILURES  1000000

struct _SaomaPinGuard
{
  GObject         parent_instance;

  SaomaClock     *clock;
  SaomaStore     *store;
  SaomaPinStatus  status;
};

enum {
  PROP_0,
  PROP_CLOCK,
  PROP_STORE,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SaomaPinGuard, saoma_pin_guard, G_TYPE_OBJECT)

const SecretSchema *
saoma_pin_guard_get_schema (void)
{
  static const SecretSchema schema = {
    SAOMA_PIN_GUARD_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "purpose", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* The keyring item ----------------------------------------------------------------------- */

typedef struct {
  char   *verifier;           /* "pbkdf2-sha256$…" */
  guint8  key[TAG_KEY_SIZE];  /* keys the tag */
  guint   failures;           /* wrong PINs in a row */
  gint64  last_failure;       /* µs UTC of the last one */
} Record;

static void
record_clear (Record *record)
{
  g_clear_pointer (&record->verifier, g_free);
  memset (record, 0, sizeof *record);
}

static void
compute_tag (const guint8 *key,
             const char   *body,
             gsize         body_len,
             guint8       *tag)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, TAG_KEY_SIZE);
  gsize len = TAG_SIZE;

  g_hmac_update (hmac, (const guchar *) body, body_len);
  g_hmac_get_digest (hmac, tag, &len);
}

/* "saoma-pin 1\nverifier …\nkey …\nfailures N\nlast-failure µs\ntag …\n" */
static char *
record_serialize (const Record *record)
{
  g_autofree char *key_b64 = g_base64_encode (record->key, sizeof record->key);
  g_autofree char *tag_b64 = NULL;
  GString *text = g_string_new (NULL);
  guint8 tag[TAG_SIZE];

  g_string_append_printf (text, RECORD_MAGIC "\nverifier %s\nkey %s\nfailures %u\n"
                          "last-failure %" G_GINT64_FORMAT "\n",
                          record->verifier, key_b64, record->failures, record->last_failure);
  compute_tag (record->key, text->str, text->len, tag);
  tag_b64 = g_base64_encode (tag, sizeof tag);
  g_string_append_printf (text, "tag %s\n", tag_b64);
  memset (key_b64, 0, strlen (key_b64));

  return g_string_free (text, FALSE);
}

static const char *
field (char       **lines,
       guint        index,
       const char  *name)
{
  gsize n = strlen (name);

  if (strncmp (lines[index], name, n) != 0 || lines[index][n] != ' ')
    return NULL;
  return lines[index] + n + 1;
}

static gboolean
parse_uint64 (const char *text,
              guint64     max,
              guint64    *out)
{
  char *end = NULL;

  if (text == NULL || !g_ascii_isdigit (text[0]) || strlen (text) > 20)
    return FALSE;
  *out = g_ascii_strtoull (text, &end, 10);
  return *end == '\0' && *out <= max;
}

/* SET with @record filled, or TAMPERED for anything Saoma did not write exactly so. */
static SaomaPinStatus
record_parse (const char *text,
              Record     *record)
{
  g_auto(GStrv) lines = NULL;
  g_autofree guint8 *key = NULL;
  g_autofree guint8 *tag = NULL;
  const char *value;
  const char *tag_line;
  guint8 expect[TAG_SIZE];
  gsize key_len = 0, tag_len = 0;
  guint64 failures, last_failure;
  guint8 diff = 0;

  memset (record, 0, sizeof *record);

  if (strlen (text) > RECORD_MAX || !g_str_has_prefix (text, RECORD_MAGIC "\n"))
    return SAOMA_PIN_STATUS_TAMPERED;
  lines = g_strsplit (text, "\n", -1);
  /* Six lines and the empty string after the last newline. */
  if (g_strv_length (lines) != 7 || lines[6][0] != '\0')
    return SAOMA_PIN_STATUS_TAMPERED;

  if ((value = field (lines, 1, "verifier")) == NULL || !saoma_pin_is_set (value))
    return SAOMA_PIN_STATUS_TAMPERED;
  record->verifier = g_strdup (value);

  if ((value = field (lines, 2, "key")) == NULL || *value == '\0')
    goto tampered;
  key = g_base64_decode (value, &key_len);
  if (key_len != TAG_KEY_SIZE)
    goto tampered;
  memcpy (record->key, key, TAG_KEY_SIZE);
  memset (key, 0, key_len);

  if (!parse_uint64 (field (lines, 3, "failures"), MAX_FAILURES, &failures)
      || !parse_uint64 (field (lines, 4, "last-failure"), G_MAXINT64, &last_failure))
    goto tampered;
  record->failures = failures;
  record->last_failure = last_failure;

  if ((value = field (lines, 5, "tag")) == NULL || *value == '\0')
    goto tampered;
  tag = g_base64_decode (value, &tag_len);
  if (tag_len != TAG_SIZE)
    goto tampered;

  /* The tag covers every byte before the "tag" line. */
  tag_line = strstr (text, "\ntag ");
  compute_tag (record->key, text, tag_line + 1 - text, expect);
  for (gsize i = 0; i < TAG_SIZE; i++)
    diff |= expect[i] ^ tag[i];
  if (diff != 0)
    goto tampered;

  return SAOMA_PIN_STATUS_SET;

tampered:
  record_clear (record);
  return SAOMA_PIN_STATUS_TAMPERED;
}

/* libsecret, opened when the keyring is first read or written rather than linked: most
 * headless commands never check a PIN, and mapping libsecret with libgcrypt and
 * libgpg-error cost `saoma-cli --charge` about a millisecond before its order went out
 * (tests/check-cli-links.sh keeps it out of saoma-cli's links). The non-variadic calls, so
 * that they can be called through a pointer. */
#define LIBSECRET_SONAME "libsecret-1.so.0"

typedef struct {
  char    *(*lookupv_sync)  (const SecretSchema *schema,
                             GHashTable         *attributes,
                             GCancellable       *cancellable,
                             GError            **error);
  gboolean (*storev_sync)   (const SecretSchema *schema,
                             GHashTable         *attributes,
                             const char         *collection,
                             const char         *label,
                             const char         *password,
                             GCancellable       *cancellable,
                             GError            **error);
  void     (*password_free) (char               *password);
} SecretCalls;

/* The calls, or NULL with the loader's complaint in @error (the same one every time). */
static const SecretCalls *
secret_calls (GError **error)
{
  static SecretCalls calls;
  static SaomaLibrary library;
  const SaomaLibrarySymbol symbols[] = {
    { "secret_password_lookupv_sync", (gpointer *) &calls.lookupv_sync },
    { "secret_password_storev_sync", (gpointer *) &calls.storev_sync },
    { "secret_password_free", (gpointer *) &calls.password_free },
  };

  return saoma_library_load (&library, LIBSECRET_SONAME, symbols, G_N_ELEMENTS (symbols), error)
           ? &calls : NULL;
}

/* The attributes of the one item. */
static GHashTable *
item_attributes (void)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer) "purpose", (gpointer) PURPOSE);
  return attributes;
}

/* Reads the item: NOT_SET, SET (@record filled), TAMPERED, or UNAVAILABLE with @error. */
static SaomaPinStatus
record_load (Record  *record,
             GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GHashTable) attributes = item_attributes ();
  const SecretCalls *secret_api;
  SaomaPinStatus status;
  char *secret = NULL;

  memset (record, 0, sizeof *record);
  secret_api = secret_calls (&local);
  if (secret_api != NULL)
    secret = secret_api->lookupv_sync (saoma_pin_guard_get_schema (), attributes, NULL, &local);
  if (local != NULL)
    {
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_UNAVAILABLE,
                   _("The keyring cannot be read, so the manager PIN cannot be checked (%s)."),
                   local->message);
      return SAOMA_PIN_STATUS_UNAVAILABLE;
    }
  if (secret == NULL)
    return SAOMA_PIN_STATUS_NOT_SET;

  status = record_parse (secret, record);
  secret_api->password_free (secret);
  return status;
}

static gboolean
record_store (const Record  *record,
              GError       **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GHashTable) attributes = item_attributes ();
  const SecretCalls *secret_api = secret_calls (&local);
  char *text = record_serialize (record);
  gboolean ok = FALSE;

  if (secret_api != NULL)
    /* Translators: the label of the keyring item that holds the manager PIN's hash */
    ok = secret_api->storev_sync (saoma_pin_guard_get_schema (), attributes,
                                  SECRET_COLLECTION_DEFAULT,
                                  _("Saoma manager PIN (salted hash)"), text, NULL, &local);
  memset (text, 0, strlen (text));
  g_free (text);
  if (!ok)
    {
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED,
                   _("The keyring refused to store the manager PIN (%s)."),
                   local != NULL ? local->message : "?");
      return FALSE;
    }
  return TRUE;
}

/* One process at a time reads, counts and writes the item: guessers in parallel share a count. */
static int
lock_take (GError **error)
{
  g_autofree char *path = g_build_filename (g_get_user_runtime_dir (), "saoma-pin.lock", NULL);
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED,
                   "cannot open %s: %s", path, g_strerror (saved));
      return -1;
    }
  while (flock (fd, LOCK_EX) < 0)
    {
      int saved = errno;

      if (saved == EINTR)
        continue;
      close (fd);
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_FAILED,
                   "cannot lock %s: %s", path, g_strerror (saved));
      return -1;
    }
  return fd;
}

static void
lock_release (int fd)
{
  if (fd >= 0)
    close (fd);
}

/* Operations (any thread) ---------------------------------------------------------------- */

typedef struct {
  SaomaPinStatus  status;  /* as read, for the "status" property */
  char           *event;   /* a ledger event to record, or NULL */
} Outcome;

static gboolean
status_error (SaomaPinStatus   status,
              GError         **error)
{
  switch (status)
    {
    case SAOMA_PIN_STATUS_SET:
      return TRUE;
    case SAOMA_PIN_STATUS_NOT_SET:
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_NOT_SET,
                           _("No manager PIN has been set. Set one in Preferences."));
      return FALSE;
    case SAOMA_PIN_STATUS_TAMPERED:
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_TAMPERED,
                           _("The manager PIN was changed outside Saoma, so it is not accepted. "
                             "Set it again in Preferences."));
      return FALSE;
    case SAOMA_PIN_STATUS_UNKNOWN:
    case SAOMA_PIN_STATUS_UNAVAILABLE:
    default:
      /* record_load() has set the error. */
      return FALSE;
    }
}

/* "HH:MM", rounded up: at the minute shown the wait is surely over. */
static char *
format_local_time (gint64 usec)
{
  gint64 minutes = (usec + G_TIME_SPAN_MINUTE - 1) / G_TIME_SPAN_MINUTE;
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (minutes * 60);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%H:%M") : g_strdup ("?");
}

/* FALSE with THROTTLED or LOCKED while the wait after the last wrong PIN runs. */
static gboolean
refuse_while_waiting (Record   *record,
                      gint64    now,
                      GError  **error)
{
  gint64 delay = saoma_pin_retry_delay (record->failures);
  gint64 remaining;

  if (delay == 0)
    return TRUE;

  /* A clock set back must not end the wait early; nor leave it running until the clock gets
   * back to the failure: the wait starts again from now. */
  if (now < record->last_failure)
    {
      record->last_failure = now;
      if (!record_store (record, error))
        return FALSE;
    }

  remaining = record->last_failure + delay - now;
  if (remaining <= 0)
    return TRUE;

  if (record->failures >= SAOMA_PIN_LOCKOUT_FAILURES)
    {
      g_autofree char *until = format_local_time (now + remaining);

      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_LOCKED,
                   _("Too many wrong manager PINs: locked until %s."), until);
    }
  else
    {
      int seconds = (remaining + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_THROTTLED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Wait %d second before trying the manager PIN again.",
                                "Wait %d seconds before trying the manager PIN again.",
                                seconds),
                   seconds);
    }
  return FALSE;
}

static gboolean
op_check (SaomaPinGuard  *self,
          const char     *pin,
          Outcome        *outcome,
          GError        **error)
{
  Record record;
  g_autoptr(GError) verify_error = NULL;
  gint64 now;
  int fd;

  fd = lock_take (error);
  if (fd < 0)
    return FALSE;

  outcome->status = record_load (&record, error);
  if (!status_error (outcome->status, error))
    {
      lock_release (fd);
      return FALSE;
    }

  /* The rules are public: a PIN that breaks them tells nothing, so it is no guess to count
   * (an empty Enter must not cost the manager a wait). */
  if (!saoma_pin_check_rules (pin, NULL))
    {
      lock_release (fd);
      record_clear (&record);
      g_set_error_literal (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG,
                           _("Wrong manager PIN."));
      return FALSE;
    }

  now = saoma_clock_now (self->clock);
  if (!refuse_while_waiting (&record, now, error))
    {
      lock_release (fd);
      record_clear (&record);
      return FALSE;
    }

  /* Counted before the slow hash: killing the process after seeing nothing costs the try.
   * The lock is held to the end, so a second check (another dialog, a double click) waits for
   * this one's answer instead of seeing its count as a wrong PIN. */
  record.failures = MIN (record.failures + 1, MAX_FAILURES);
  record.last_failure = now;
  if (!record_store (&record, error))
    {
      lock_release (fd);
      record_clear (&record);
      return FALSE;
    }

  if (saoma_pin_verify_sync (pin, record.verifier, &verify_error))
    {
      g_autoptr(GError) store_error = NULL;

      record.failures = 0;
      record.last_failure = 0;
      if (!record_store (&record, &store_error))
        g_warning ("Cannot clear the manager PIN's failure count: %s", store_error->message);
      lock_release (fd);
      record_clear (&record);
      return TRUE;
    }
  lock_release (fd);

  if (!g_error_matches (verify_error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG))
    {
      g_propagate_error (error, g_steal_pointer (&verify_error));
      record_clear (&record);
      return FALSE;
    }

  if (record.failures >= SAOMA_PIN_LOCKOUT_FAILURES)
    {
      g_autofree char *until = format_local_time (now + SAOMA_PIN_LOCKOUT_US);

      outcome->event = g_strdup_printf ("locked for %d min after %u wrong PINs in a row",
                                        (int) (SAOMA_PIN_LOCKOUT_US / G_TIME_SPAN_MINUTE),
                                        record.failures);
      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG,
                   _("Wrong manager PIN. Too many wrong tries: locked until %s."), until);
    }
  else
    {
      int seconds = saoma_pin_retry_delay (record.failures) / G_USEC_PER_SEC;

      g_set_error (error, SAOMA_PIN_ERROR, SAOMA_PIN_ERROR_WRONG,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Wrong manager PIN. Wait %d second before the next try.",
                                "Wrong manager PIN. Wait %d seconds before the next try.",
                                seconds),
                   seconds);
    }
  record_clear (&record);
  return FALSE;
}

static gboolean
op_set (SaomaPinGuard  *self,
        const char     *current_pin,
        const char     *new_pin,
        Outcome        *outcome,
        GError        **error)
{
  g_autofree char *verifier = NULL;
  Record record;
  const char *event;
  int fd;

  if (!saoma_pin_check_rules (new_pin, error))
    return FALSE;
  /* The slow hash before the lock: other tills' checks need not wait for it. */
  verifier = saoma_pin_hash_sync (new_pin, 0, error);
  if (verifier == NULL)
    return FALSE;

  fd = lock_take (error);
  if (fd < 0)
    return FALSE;
  outcome->status = record_load (&record, error);
  record_clear (&record);
  lock_release (fd);

  switch (outcome->status)
    {
    case SAOMA_PIN_STATUS_SET:
      if (!op_check (self, current_pin, outcome, error))
        return FALSE;
      event = "changed (the current PIN was given)";
      break;
    case SAOMA_PIN_STATUS_NOT_SET:
      event = "set while none was set (no PIN asked)";
      break;
    case SAOMA_PIN_STATUS_TAMPERED:
      event = "set again after the stored one was changed outside Saoma (no PIN asked)";
      break;
    case SAOMA_PIN_STATUS_UNKNOWN:
    case SAOMA_PIN_STATUS_UNAVAILABLE:
    default:
      return FALSE;
    }

  fd = lock_take (error);
  if (fd < 0)
    return FALSE;
  record.verifier = g_steal_pointer (&verifier);
  record.failures = 0;
  record.last_failure = 0;
  if (!saoma_pin_random_bytes (record.key, sizeof record.key, error)
      || !record_store (&record, error))
    {
      record_clear (&record);
      lock_release (fd);
      return FALSE;
    }
  record_clear (&record);
  lock_release (fd);

  g_free (outcome->event);
  outcome->event = g_strdup (event);
  outcome->status = SAOMA_PIN_STATUS_SET;
  return TRUE;
}

/* Back on the guard's thread ------------------------------------------------------------- */

static void
event_appended_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!saoma_store_append_event_finish (SAOMA_STORE (source), result, &error))
    g_warning ("Cannot record a manager PIN event: %s", error->message);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} AppendWait;

static void
event_appended_wait_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  AppendWait *wait = user_data;

  wait->ok = saoma_store_append_event_finish (SAOMA_STORE (source), result, &wait->error);
  wait->done = TRUE;
}

/* The synchronous API records its event before returning, as it always has; the store only
 * speaks async, so its answer is awaited on a private context that no other source runs on. */
static gboolean
append_event_wait (SaomaStore  *store,
                   const char  *detail,
                   GError     **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  AppendWait wait = { FALSE, FALSE, NULL };

  g_main_context_push_thread_default (context);
  saoma_store_append_event_async (store, NULL, EVENT_KIND, detail, NULL, event_appended_wait_cb,
                                  &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (!wait.ok)
    g_propagate_error (error, wait.error);
  return wait.ok;
}

static void
apply_outcome (SaomaPinGuard *self,
               Outcome       *outcome,
               gboolean       sync)
{
  if (outcome->status != SAOMA_PIN_STATUS_UNKNOWN && outcome->status != self->status)
    {
      if (outcome->status == SAOMA_PIN_STATUS_TAMPERED)
        g_message ("The manager PIN in the keyring was not written by Saoma: refused");
      self->status = outcome->status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }

  if (outcome->event != NULL && self->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!sync)
        saoma_store_append_event_async (self->store, NULL, EVENT_KIND, outcome->event, NULL,
                                        event_appended_cb, NULL);
      else if (!append_event_wait (self->store, outcome->event, &error))
        g_warning ("Cannot record a manager PIN event: %s", error->message);
    }
  g_clear_pointer (&outcome->event, g_free);
}

typedef enum {
  OP_REFRESH,
  OP_CHECK,
  OP_SET,
} OpKind;

typedef struct {
  OpKind   kind;
  char    *pin;
  char    *new_pin;
  Outcome  outcome;
} OpData;

static void
wipe_free (char *text)
{
  if (text != NULL)
    {
      memset (text, 0, strlen (text));
      g_free (text);
    }
}

static void
op_data_free (OpData *data)
{
  wipe_free (data->pin);
  wipe_free (data->new_pin);
  g_free (data->outcome.event);
  g_free (data);
}

static gboolean
op_run (SaomaPinGuard *self,
        OpData        *data,
        GError       **error)
{
  Record record;

  switch (data->kind)
    {
    case OP_REFRESH:
      {
        int fd = lock_take (error);

        if (fd < 0)
          return FALSE;
        data->outcome.status = record_load (&record, error);
        record_clear (&record);
        lock_release (fd);
        return data->outcome.status != SAOMA_PIN_STATUS_UNAVAILABLE;
      }
    case OP_CHECK:
      return op_check (self, data->pin, &data->outcome, error);
    case OP_SET:
      return op_set (self, data->pin, data->new_pin, &data->outcome, error);
    default:
      g_assert_not_reached ();
    }
}

static void
op_worker (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  GError *error = NULL;

  if (op_run (SAOMA_PIN_GUARD (source_object), task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
op_done_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  SaomaPinGuard *self = SAOMA_PIN_GUARD (source);
  OpData *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  apply_outcome (self, &data->outcome, FALSE);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_int (outer, self->status);
  else
    g_task_return_error (outer, error);
}

static void
op_start (SaomaPinGuard      *self,
          OpData             *data,
          gpointer            source_tag,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  g_autoptr(GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) inner = NULL;

  g_task_set_source_tag (outer, source_tag);
  /* The worker owns the data; the outcome is applied on this thread before @callback. */
  inner = g_task_new (self, NULL, op_done_cb, g_steal_pointer (&outer));
  g_task_set_task_data (inner, data, (GDestroyNotify) op_data_free);
  g_task_run_in_thread (inner, op_worker);
}

static gboolean
op_sync (SaomaPinGuard *self,
         OpData        *data,
         GError       **error)
{
  gboolean ok = op_run (self, data, error);

  apply_outcome (self, &data->outcome, TRUE);
  op_data_free (data);
  return ok;
}

static OpData *
op_data_new (OpKind      kind,
             const char *pin,
             const char *new_pin)
{
  OpData *data = g_new0 (OpData, 1);

  data->kind = kind;
  data->pin = g_strdup (pin);
  data->new_pin = g_strdup (new_pin);
  return data;
}

/* Public API ----------------------------------------------------------------------------- */

void
saoma_pin_guard_refresh_async (SaomaPinGuard      *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_PIN_GUARD (self));

  op_start (self, op_data_new (OP_REFRESH, NULL, NULL), saoma_pin_guard_refresh_async,
            cancellable, callback, user_data);
}

SaomaPinStatus
saoma_pin_guard_refresh_finish (SaomaPinGuard *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  GError *local = NULL;
  gssize status;

  g_return_val_if_fail (g_task_is_valid (result, self), SAOMA_PIN_STATUS_UNKNOWN);

  status = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return SAOMA_PIN_STATUS_UNAVAILABLE;
    }
  return status;
}

SaomaPinStatus
saoma_pin_guard_refresh_sync (SaomaPinGuard *self,
                              GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (self), SAOMA_PIN_STATUS_UNKNOWN);

  op_sync (self, op_data_new (OP_REFRESH, NULL, NULL), error);
  return self->status;
}

void
saoma_pin_guard_check_async (SaomaPinGuard      *self,
                             const char         *pin,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_PIN_GUARD (self));

  op_start (self, op_data_new (OP_CHECK, pin, NULL), saoma_pin_guard_check_async,
            cancellable, callback, user_data);
}

gboolean
saoma_pin_guard_check_finish (SaomaPinGuard *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  GError *local = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

gboolean
saoma_pin_guard_check_sync (SaomaPinGuard *self,
                            const char    *pin,
                            GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (self), FALSE);

  return op_sync (self, op_data_new (OP_CHECK, pin, NULL), error);
}

void
saoma_pin_guard_set_async (SaomaPinGuard      *self,
                           const char         *current_pin,
                           const char         *new_pin,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (SAOMA_IS_PIN_GUARD (self));

  op_start (self, op_data_new (OP_SET, current_pin, new_pin), saoma_pin_guard_set_async,
            cancellable, callback, user_data);
}

gboolean
saoma_pin_guard_set_finish (SaomaPinGuard *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return saoma_pin_guard_check_finish (self, result, error);
}

gboolean
saoma_pin_guard_set_sync (SaomaPinGuard *self,
                          const char    *current_pin,
                          const char    *new_pin,
                          GError       **error)
{
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (self), FALSE);

  return op_sync (self, op_data_new (OP_SET, current_pin, new_pin), error);
}

void
saoma_pin_guard_set_store (SaomaPinGuard *self,
                           SaomaStore    *store)
{
  g_return_if_fail (SAOMA_IS_PIN_GUARD (self));
  g_return_if_fail (store == NULL || SAOMA_IS_STORE (store));

  if (g_set_object (&self->store, store))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

SaomaPinStatus
saoma_pin_guard_get_status (SaomaPinGuard *self)
{
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (self), SAOMA_PIN_STATUS_UNKNOWN);

  return self->status;
}

/* GObject -------------------------------------------------------------------------------- */

static void
saoma_pin_guard_finalize (GObject *object)
{
  SaomaPinGuard *self = SAOMA_PIN_GUARD (object);

  g_clear_object (&self->clock);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (saoma_pin_guard_parent_class)->finalize (object);
}

static void
saoma_pin_guard_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  SaomaPinGuard *self = SAOMA_PIN_GUARD (object);

  switch (prop_id)
    {
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_pin_guard_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  SaomaPinGuard *self = SAOMA_PIN_GUARD (object);

  switch (prop_id)
    {
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_STORE:
      saoma_pin_guard_set_store (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_pin_guard_constructed (GObject *object)
{
  SaomaPinGuard *self = SAOMA_PIN_GUARD (object);

  G_OBJECT_CLASS (saoma_pin_guard_parent_class)->constructed (object);

  if (self->clock == NULL)
    self->clock = g_object_ref (saoma_clock_get_default ());
}

static void
saoma_pin_guard_class_init (SaomaPinGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_pin_guard_finalize;
  object_class->get_property = saoma_pin_guard_get_property;
  object_class->set_property = saoma_pin_guard_set_property;
  object_class->constructed = saoma_pin_guard_constructed;

  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, SAOMA_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, SAOMA_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, SAOMA_TYPE_PIN_STATUS, SAOMA_PIN_STATUS_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_pin_guard_init (SaomaPinGuard *self)
{
  self->status = SAOMA_PIN_STATUS_UNKNOWN;
}

SaomaPinGuard *
saoma_pin_guard_new (SaomaClock  *clock,
                     SaomaStore  *store)
{
  return g_object_new (SAOMA_TYPE_PIN_GUARD, "clock", clock, "store", store, NULL);
}
