/* saoma-keyring.h: the merchant API key in the Secret Service (never in GSettings or files). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* libsecret schema "io.github.saoma.Cashier.ApiKey" with one attribute, "mch_id". */
#define SAOMA_KEYRING_SCHEMA_NAME "io.github.saoma.Cashier.ApiKey"
/* The APIv3 key (32 bytes, opens v3 callbacks): its own schema, attribute "apiv3_mch_id". */
#define SAOMA_KEYRING_APIV3_SCHEMA_NAME "io.github.saoma.Cashier.ApiV3Key"

typedef enum {
  SAOMA_KEYRING_API_KEY,   /* v2's API key */
  SAOMA_KEYRING_APIV3_KEY, /* v3's APIv3 key */
} SaomaKeyringItem;

/* Looks up the key for @mch_id: the key (owned, to be freed with saoma_keyring_free_key),
 * NULL without error when there is none, or NULL with an error (no keyring, locked …). */
void      saoma_keyring_lookup_async   (const char         *mch_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
char     *saoma_keyring_lookup_finish  (GAsyncResult *result,
                                        GError      **error);
void      saoma_keyring_store_async    (const char         *mch_id,
                                        const char         *api_key,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean  saoma_keyring_store_finish   (GAsyncResult *result,
                                        GError      **error);
void      saoma_keyring_clear_async    (const char         *mch_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean  saoma_keyring_clear_finish   (GAsyncResult *result,
                                        GError      **error);
/* The same for either kind of key (the finish functions above serve both). */
void      saoma_keyring_lookup_item_async (SaomaKeyringItem    item,
                                           const char         *mch_id,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
void      saoma_keyring_store_item_async  (SaomaKeyringItem    item,
                                           const char         *mch_id,
                                           const char         *api_key,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
void      saoma_keyring_clear_item_async  (SaomaKeyringItem    item,
                                           const char         *mch_id,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
/* Wipes and frees a key returned by lookup. */
void      saoma_keyring_free_key       (char *api_key);
/* TRUE when @error means there is no usable keyring (no Secret Service on the bus). */
gboolean  saoma_keyring_error_is_unavailable (const GError *error);

G_END_DECLS
