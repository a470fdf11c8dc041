/* wxpay3-crypto.h: AEAD_AES_256_GCM resources of API v3 callbacks and certificates (§4.2). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The APIv3 key is 32 ASCII bytes, used as they are (never hex- or base64-decoded). */
#define WXPAY3_APIV3_KEY_LEN 32
/* WeChat's nonces are 12 ASCII bytes; GCM's tag is the last 16 bytes of the ciphertext. */
#define WXPAY3_AEAD_NONCE_LEN 12
#define WXPAY3_AEAD_TAG_LEN   16

/* Opens base64 @ciphertext (ciphertext then tag) with the 32-byte @key; a key of any other
 * length is WXPAY_ERROR_CONFIG, a tag that does not match WXPAY_ERROR_DECRYPT. */
GBytes *wxpay3_aead_decrypt (const char *key,
                             gsize       key_len,
                             const char *nonce,
                             const char *associated_data,
                             const char *ciphertext_b64,
                             GError    **error);
/* The other direction (the simulator's callbacks): base64 of ciphertext then tag. */
char *wxpay3_aead_encrypt (const char *key,
                           gsize       key_len,
                           const char *nonce,
                           const char *associated_data,
                           const void *plaintext,
                           gsize       plaintext_len,
                           GError    **error);

G_END_DECLS
