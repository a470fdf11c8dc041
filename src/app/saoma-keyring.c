/* saoma-keyring.c: the merchant API key in the Secret Service. */
#define G_LOG_DOMAIN "saoma-keyring"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "core/saoma-library.h"
#include "saoma-keyring.h"

/* libsecret, opened when the keyring is first used rather than linked: the GUI reads the key
 * after its first frame, and libsecret with libgcrypt and libgpg-error mapped at exec cost the
 * cold start about 1.5 ms of CPU before main() (issue 19; tests/check-gui-lazy-soup.sh and
 * tests/ui/test-first-frame.py keep it out). The non-variadic calls, so that they can be called
 * through a pointer (as saoma-pin-guard.c does for the manager PIN). */
#define LIBSECRET_SONAME "libsecret-1.so.0"

typedef struct {
  void     (*lookupv)         (const SecretSchema *schema,
                               GHashTable         *attributes,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
  char    *(*lookup_finish)   (GAsyncResult       *result,
                               GError            **error);
  void     (*storev)          (const SecretSchema *schema,
                               GHashTable         *attributes,
                               const char         *collection,
                               const char         *label,
                               const char         *password,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
  gboolean (*store_finish)    (GAsyncResult       *result,
                               GError            **error);
  void     (*clearv)          (const SecretSchema *schema,
                               GHashTable         *attributes,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
  gboolean (*clear_finish)    (GAsyncResult       *result,
                               GError            **error);
  void     (*password_free)   (char               *password);
  GQuark   (*error_get_quark) (void);
} SecretCalls;

/* The calls, or NULL with the loader's complaint in @error (the same one every time). */
static const SecretCalls *
secret_calls (GError **error)
{
  static SecretCalls calls;
  static SaomaLibrary library;
  const SaomaLibrarySymbol symbols[] = {
    { "secret_password_lookupv", (gpointer *) &calls.lookupv },
    { "secret_password_lookup_finish", (gpointer *) &calls.lookup_finish },
    { "secret_password_storev", (gpointer *) &calls.storev },
    { "secret_password_store_finish", (gpointer *) &calls.store_finish },
    { "secret_password_clearv", (gpointer *) &calls.clearv },
    { "secret_password_clear_finish", (gpointer *) &calls.clear_finish },
    { "secret_password_free", (gpointer *) &calls.password_free },
    { "secret_error_get_quark", (gpointer *) &calls.error_get_quark },
  };

  return saoma_library_load (&library, LIBSECRET_SONAME, symbols, G_N_ELEMENTS (symbols), error)
           ? &calls : NULL;
}

/* The attributes of @item's schema for @mch_id. */
static GHashTable *
item_attributes (SaomaKeyringItem item,
                 const char      *mch_id);

/* One schema per kind of key, and an attribute name of its own for the APIv3 key: some
 * Secret Service backends (libsecret's file backend) match by attributes alone, and a lookup
 * matches every item that has at least its attributes, so a v2 API key and an APIv3 key of one
 * merchant must not share an attribute set. */
static const SecretSchema *
saoma_keyring_get_schema_for (SaomaKeyringItem item)
{
  static const SecretSchema api_key = {
    SAOMA_KEYRING_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "mch_id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  static const SecretSchema apiv3_key = {
    SAOMA_KEYRING_APIV3_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "apiv3_mch_id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return item == SAOMA_KEYRING_APIV3_KEY ? &apiv3_key : &api_key;
}

/* The attribute that holds the merchant number in @item's schema. */
static const char *
attribute_name (SaomaKeyringItem item)
{
  return item == SAOMA_KEYRING_APIV3_KEY ? "apiv3_mch_id" : "mch_id";
}

static GHashTable *
item_attributes (SaomaKeyringItem item,
                 const char      *mch_id)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (gpointer) attribute_name (item), g_strdup (mch_id));
  return attributes;
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  const SecretCalls *secret = secret_calls (NULL);
  char *key;

  key = secret->lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, key, (GDestroyNotify) secret->password_free);
}

void
saoma_keyring_lookup_async (const char         *mch_id,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  saoma_keyring_lookup_item_async (SAOMA_KEYRING_API_KEY, mch_id, cancellable, callback,
                                   user_data);
}

/**
 * saoma_keyring_lookup_item_async:
 * @item: which key
 * @mch_id: the merchant number it belongs to
 *
 * Like saoma_keyring_lookup_async() for any kind of key; finish with
 * saoma_keyring_lookup_finish().
 */
void
saoma_keyring_lookup_item_async (SaomaKeyringItem    item,
                                 const char         *mch_id,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GError) error = NULL;
  const SecretCalls *secret;

  g_return_if_fail (mch_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_keyring_lookup_async);
  secret = secret_calls (&error);
  if (secret == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  attributes = item_attributes (item, mch_id);
  secret->lookupv (saoma_keyring_get_schema_for (item), attributes, cancellable, lookup_cb,
                   g_steal_pointer (&task));
}

char *
saoma_keyring_lookup_finish (GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_calls (NULL)->store_finish (result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
saoma_keyring_store_async (const char         *mch_id,
                           const char         *api_key,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_keyring_store_item_async (SAOMA_KEYRING_API_KEY, mch_id, api_key, cancellable, callback,
                                  user_data);
}

/**
 * saoma_keyring_store_item_async:
 * @item: which key
 *
 * Like saoma_keyring_store_async() for any kind of key.
 */
void
saoma_keyring_store_item_async (SaomaKeyringItem    item,
                                const char         *mch_id,
                                const char         *api_key,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GError) error = NULL;
  const SecretCalls *secret;

  g_return_if_fail (mch_id != NULL);
  g_return_if_fail (api_key != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_keyring_store_async);
  secret = secret_calls (&error);
  if (secret == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (item == SAOMA_KEYRING_APIV3_KEY)
    /* Translators: the label of the keyring item; %s is the merchant number */
    label = g_strdup_printf (_("Saoma WeChat Pay APIv3 key for merchant %s"), mch_id);
  else
    /* Translators: the label of the keyring item; %s is the merchant number */
    label = g_strdup_printf (_("Saoma WeChat Pay API key for merchant %s"), mch_id);
  attributes = item_attributes (item, mch_id);
  secret->storev (saoma_keyring_get_schema_for (item), attributes, SECRET_COLLECTION_DEFAULT,
                  label, api_key, cancellable, store_cb, g_steal_pointer (&task));
}

gboolean
saoma_keyring_store_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  secret_calls (NULL)->clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
saoma_keyring_clear_async (const char         *mch_id,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  saoma_keyring_clear_item_async (SAOMA_KEYRING_API_KEY, mch_id, cancellable, callback,
                                  user_data);
}

/**
 * saoma_keyring_clear_item_async:
 * @item: which key
 *
 * Like saoma_keyring_clear_async() for any kind of key.
 */
void
saoma_keyring_clear_item_async (SaomaKeyringItem    item,
                                const char         *mch_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GError) error = NULL;
  const SecretCalls *secret;

  g_return_if_fail (mch_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_keyring_clear_async);
  secret = secret_calls (&error);
  if (secret == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  attributes = item_attributes (item, mch_id);
  secret->clearv (saoma_keyring_get_schema_for (item), attributes, cancellable, clear_cb,
                  g_steal_pointer (&task));
}

gboolean
saoma_keyring_clear_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
saoma_keyring_free_key (char *api_key)
{
  /* A key came from libsecret, which is loaded by then. */
  if (api_key != NULL)
    secret_calls (NULL)->password_free (api_key);
}

gboolean
saoma_keyring_error_is_unavailable (const GError *error)
{
  const SecretCalls *secret;

  if (error == NULL)
    return FALSE;

  /* No Secret Service on the session bus, no bus at all, or a keyring that refuses us (or
   * no libsecret: G_IO_ERROR). */
  if (error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR)
    return TRUE;
  secret = secret_calls (NULL);
  return secret != NULL && error->domain == secret->error_get_quark ();
}
