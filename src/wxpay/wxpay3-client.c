/* wxpay3-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay3-client"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wxpay-error.h"
#include "wxpay-private.h"
#include "wxpay-sign.h"
#include "wxpay3-client.h"
#include "wxpay3-crypto.h"
#include "wxpay3-error.h"

/* Answers we read: a Transaction or a Refund is a few KiB. */
#define MAX_ANSWER (1024 * 1024)

typedef struct _Presign Presign;
static void presign_free (Presign *presign);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Presign, presign_free)

struct _Wxpay3Client
{
  GObject parent_instance;

  SoupSession    *session;
  char           *base_uri;
  char           *backup_base_uri;
  char           *appid;
  char           *user_agent;
  guint           timeout;
  Wxpay3Signer   *signer;
  Wxpay3Verifier *verifier;

  /* Platform-certificate mode (§1.3): the APIv3 key opens /v3/certificates. NULL: the
   * verifier's keys are all there is (public-key mode). */
  char           *apiv3_key;
  gsize           apiv3_key_len;
  gint64          certs_fetched_at;   /* monotonic µs of the last good download, 0: never */
  gint64          certs_tried_at;     /* monotonic µs of the last expiry-driven attempt */
  gint64          cert_margin_s;      /* download again when the last one expires within this */
  gint64          cert_interval_s;    /* at most one expiry-driven download per this */
  GPtrArray      *cert_waiters;       /* GTask: callers of the download in flight, if any */
  Presign        *presign;            /* the create signed ahead, if any */
};

/* As the official SDKs: certificates are downloaded again every 12 hours, and a day before the
 * last one known expires (WeChat publishes the next one well before). */
#define CERT_PERIOD_S      G_GINT64_CONSTANT (12 * 3600)
#define CERT_MARGIN_S      G_GINT64_CONSTANT (24 * 3600)
#define CERT_INTERVAL_S    60
/* A /v3/certificates answer lists a handful (two during a rotation). */
#define MAX_CERTIFICATES   16
#define NATIVE_CREATE_PATH "/v3/pay/transactions/native"

/* A request signed ahead is sent within this, or signed again: WeChat accepts a timestamp
 * five minutes off. */
#define PRESIGN_MAX_AGE_US (60 * G_USEC_PER_SEC)

/* A request signed ahead (wxpay3_client_native_create_prepare()). */
struct _Presign
{
  char   *path;
  GBytes *body;
  char   *authorization;
  gint64  signed_at;     /* monotonic µs */
};

enum
{
  PROP_0,
  PROP_BASE_URI,
  PROP_BACKUP_BASE_URI,
  PROP_APPID,
  PROP_TIMEOUT,
  PROP_USER_AGENT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (Wxpay3Client, wxpay3_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

typedef enum
{
  CALL_JSON,         /* a signed JSON answer */
  CALL_RAW,          /* the bill download: unsigned, returned as bytes */
  CALL_CERTIFICATES, /* /v3/certificates: verified with the certificates it carries */
} CallKind;

typedef struct
{
  char        *method;
  char        *path; /* and query: what is signed */
  GBytes      *body; /* NULL for GET */
  char        *authorization;
  CallKind     kind;
  gboolean     tried_backup;
  gboolean     sent;
  gboolean     refreshed; /* certificates downloaded again for this answer's serial */
  gulong       wrote_headers_id;
  SoupMessage *answer_msg;  /* kept while certificates are downloaded again */
  GBytes      *answer_body;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->method);
  g_free (data->path);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data->authorization);
  g_clear_object (&data->answer_msg);
  g_clear_pointer (&data->answer_body, g_bytes_unref);
  g_free (data);
}

static void send_request (GTask      *task,
                          const char *base_uri);

/* Every call's task: the pipeline decides whether a cancelled request was sent (CANCELLED vs
 * CONNECTION_LOST), so GTask does not answer CANCELLED on its own. */
static GTask *
new_task (Wxpay3Client       *self,
          gpointer            source_tag,
          GCancellable       *cancellable,
          GAsyncReadyCallback callback,
          gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

/* GObject ------------------------------------------------------------------------------------ */

static void
presign_free (Presign *presign)
{
  g_free (presign->path);
  g_clear_pointer (&presign->body, g_bytes_unref);
  g_free (presign->authorization);
  g_free (presign);
}

static void
wxpay3_client_finalize (GObject *object)
{
  Wxpay3Client *self = WXPAY3_CLIENT (object);

  g_clear_pointer (&self->presign, presign_free);
  g_clear_object (&self->session);
  g_free (self->base_uri);
  g_free (self->backup_base_uri);
  g_free (self->appid);
  g_free (self->user_agent);
  g_clear_pointer (&self->signer, wxpay3_signer_unref);
  g_clear_pointer (&self->verifier, wxpay3_verifier_unref);
  if (self->apiv3_key != NULL)
    memset (self->apiv3_key, 0, self->apiv3_key_len);
  g_free (self->apiv3_key);

  G_OBJECT_CLASS (wxpay3_client_parent_class)->finalize (object);
}

static void
wxpay3_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  Wxpay3Client *self = WXPAY3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      g_value_set_string (value, self->base_uri);
      break;
    case PROP_BACKUP_BASE_URI:
      g_value_set_string (value, self->backup_base_uri);
      break;
    case PROP_APPID:
      g_value_set_string (value, self->appid);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (Wxpay3Client *self,
            char        **field,
            const GValue *value,
            guint         prop_id)
{
  if (g_strcmp0 (*field, g_value_get_string (value)) == 0)
    return;
  g_free (*field);
  *field = g_value_dup_string (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
wxpay3_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  Wxpay3Client *self = WXPAY3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      set_string (self, &self->base_uri, value, prop_id);
      break;
    case PROP_BACKUP_BASE_URI:
      set_string (self, &self->backup_base_uri, value, prop_id);
      break;
    case PROP_APPID:
      set_string (self, &self->appid, value, prop_id);
      break;
    case PROP_TIMEOUT:
      if (self->timeout != g_value_get_uint (value))
        {
          self->timeout = g_value_get_uint (value);
          soup_session_set_timeout (self->session, self->timeout);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_USER_AGENT:
      set_string (self, &self->user_agent, value, prop_id);
      soup_session_set_user_agent (self->session, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay3_client_class_init (Wxpay3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = wxpay3_client_finalize;
  object_class->get_property = wxpay3_client_get_property;
  object_class->set_property = wxpay3_client_set_property;

  properties[PROP_BASE_URI] = g_param_spec_string ("base-uri", NULL, NULL, NULL, flags);
  properties[PROP_BACKUP_BASE_URI] =
    g_param_spec_string ("backup-base-uri", NULL, NULL, NULL, flags);
  properties[PROP_APPID] = g_param_spec_string ("appid", NULL, NULL, NULL, flags);
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, NULL, 1, 600, 10, flags);
  properties[PROP_USER_AGENT] = g_param_spec_string ("user-agent", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wxpay3_client_init (Wxpay3Client *self)
{
  self->timeout = 10;
  self->cert_margin_s = CERT_MARGIN_S;
  self->cert_interval_s = CERT_INTERVAL_S;
  self->user_agent = g_strdup ("Saoma/" PACKAGE_VERSION " libwxpay3");
  self->session = soup_session_new_with_options ("timeout", self->timeout, "user-agent",
                                                 self->user_agent, NULL);
}

/**
 * wxpay3_client_new:
 * @base_uri: `https://api.mch.weixin.qq.com` (or the simulator's)
 * @appid: the merchant's appid
 * @signer: the merchant's key (a reference is taken)
 * @verifier: WeChat Pay's keys (a reference is taken)
 *
 * Returns: (transfer full): a new client
 */
Wxpay3Client *
wxpay3_client_new (const char     *base_uri,
                   const char     *appid,
                   Wxpay3Signer   *signer,
                   Wxpay3Verifier *verifier)
{
  Wxpay3Client *self;

  g_return_val_if_fail (signer != NULL && verifier != NULL, NULL);

  self = g_object_new (WXPAY3_TYPE_CLIENT, "base-uri", base_uri, "appid", appid, NULL);
  self->signer = wxpay3_signer_ref (signer);
  self->verifier = wxpay3_verifier_ref (verifier);

  return self;
}

const char *
wxpay3_client_get_mchid (Wxpay3Client *self)
{
  g_return_val_if_fail (WXPAY3_IS_CLIENT (self), NULL);

  return wxpay3_signer_get_mchid (self->signer);
}

const char *
wxpay3_client_get_appid (Wxpay3Client *self)
{
  g_return_val_if_fail (WXPAY3_IS_CLIENT (self), NULL);

  return self->appid;
}

/* Platform certificates ---------------------------------------------------------------------- */

static void start_request (Wxpay3Client       *self,
                           const char         *method,
                           const char         *path_and_query,
                           JsonNode           *body,
                           CallKind            kind,
                           gpointer            source_tag,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data);
static JsonNode *check_answer (Wxpay3Client *self,
                               SoupMessage  *msg,
                               GBytes       *body,
                               GError      **error);

/**
 * wxpay3_client_use_platform_certificates:
 * @self: a #Wxpay3Client
 * @apiv3_key: the 32-byte APIv3 key (copied; wiped when the client goes)
 * @apiv3_key_len: its length
 *
 * Platform-certificate mode (§1.3), for merchants without a WeChat Pay public key: before the
 * first call, every 12 hours and a day before the last certificate expires, `GET
 * /v3/certificates` is asked; its certificates are opened with the APIv3 key, checked (serial,
 * validity) and the answer verified with one of them, then added to the verifier, where the
 * older ones stay until they expire (two serials valid during a rotation). An answer signed
 * by an unknown serial makes one more download before it is refused.
 */
void
wxpay3_client_use_platform_certificates (Wxpay3Client *self,
                                         const char   *apiv3_key,
                                         gsize         apiv3_key_len)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (apiv3_key != NULL);

  if (self->apiv3_key != NULL)
    memset (self->apiv3_key, 0, self->apiv3_key_len);
  g_free (self->apiv3_key);
  self->apiv3_key = g_memdup2 (apiv3_key, apiv3_key_len);
  self->apiv3_key_len = apiv3_key_len;
}

gboolean
wxpay3_client_get_uses_platform_certificates (Wxpay3Client *self)
{
  g_return_val_if_fail (WXPAY3_IS_CLIENT (self), FALSE);

  return self->apiv3_key != NULL;
}

/**
 * wxpay3_client_set_certificate_timing:
 * @self: a #Wxpay3Client
 * @margin_s: download again when the last certificate expires within this (default a day)
 * @interval_s: at most one such download per this many seconds (default 60)
 *
 * For tests, which cannot wait for a real certificate to come near its end.
 */
void
wxpay3_client_set_certificate_timing (Wxpay3Client *self,
                                      gint64        margin_s,
                                      gint64        interval_s)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  self->cert_margin_s = MAX (margin_s, 0);
  self->cert_interval_s = MAX (interval_s, 0);
}

static gboolean
certificates_due (Wxpay3Client *self)
{
  gint64 mono = g_get_monotonic_time ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 latest;

  if (self->apiv3_key == NULL)
    return FALSE;
  if (self->certs_fetched_at == 0 || mono - self->certs_fetched_at > CERT_PERIOD_S * G_USEC_PER_SEC)
    return TRUE;

  latest = wxpay3_verifier_get_latest_expiry (self->verifier);
  if (latest != G_MAXINT64 && latest - now < self->cert_margin_s && (self->certs_tried_at == 0 || mono - self->certs_tried_at >= self->cert_interval_s * G_USEC_PER_SEC))
    {
      self->certs_tried_at = mono;
      return TRUE;
    }

  return FALSE;
}

/* The /v3/certificates answer: every certificate opened and checked, the answer verified with
 * one of them (or one we already trust), then all of them kept. */
static gboolean
take_certificates (Wxpay3Client *self,
                   SoupMessage  *msg,
                   GBytes       *body,
                   GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  guint               status = soup_message_get_status (msg);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(Wxpay3Verifier) fresh = wxpay3_verifier_new ();
  g_autoptr(GPtrArray) pems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  gsize       len = 0;
  const char *data = g_bytes_get_data (body, &len);
  gboolean    parsed;
  JsonObject *root = NULL;
  JsonNode   *node;
  JsonArray  *list;
  gint64      now = g_get_real_time () / G_USEC_PER_SEC;

  parsed = len > 0 && len <= MAX_ANSWER && g_utf8_validate (data, (gssize)len, NULL) && json_parser_load_from_data (parser, data, (gssize)len, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser));
  if (parsed)
    root = json_node_get_object (json_parser_get_root (parser));

  if (status != 200)
    {
      const char *code = root != NULL
                           ? json_object_get_string_member_with_default (root, "code", NULL)
                           : NULL;

      /* Read unverified: whatever it says, no certificate comes of it. */
      if (g_strcmp0 (code, "RESOURCE_NOT_EXISTS") == 0)
        g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_RESOURCE_NOT_EXISTS,
                             "no platform certificates (RESOURCE_NOT_EXISTS): this merchant "
                             "verifies with the WeChat Pay public key; give its pub_key.pem "
                             "and PUB_KEY_ID_…");
      else
        g_set_error (error, WXPAY_ERROR, wxpay3_error_from_answer (status, code),
                     "/v3/certificates: %s (HTTP %u)", code != NULL ? code : "HTTP", status);
      return FALSE;
    }

  node = root != NULL ? json_object_get_member (root, "data") : NULL;
  list = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  if (list == NULL || json_array_get_length (list) == 0 || json_array_get_length (list) > MAX_CERTIFICATES)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                           "/v3/certificates: no certificate list");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode   *item_node = json_array_get_element (list, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (item_node) ? json_node_get_object (item_node)
                                                            : NULL;
      JsonNode   *sealed_node = item != NULL ? json_object_get_member (item, "encrypt_certificate")
                                             : NULL;
      JsonObject *sealed = sealed_node != NULL && JSON_NODE_HOLDS_OBJECT (sealed_node)
                             ? json_node_get_object (sealed_node)
                             : NULL;
      const char *serial_no = item != NULL
                                ? json_object_get_string_member_with_default (item, "serial_no",
                                                                              NULL)
                                : NULL;
      g_autoptr(GBytes) pem = NULL;
      g_autofree char *serial = NULL;
      gsize       pem_len = 0;
      const char *pem_data;

      if (sealed == NULL || serial_no == NULL || g_strcmp0 (json_object_get_string_member_with_default (sealed, "algorithm", NULL), "AEAD_AES_256_GCM") != 0)
        {
          g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                               "/v3/certificates: an entry without a sealed certificate");
          return FALSE;
        }
      /* The GCM tag is what vouches for the certificate: only WeChat holds our APIv3 key. */
      pem = wxpay3_aead_decrypt (self->apiv3_key, self->apiv3_key_len,
                                 json_object_get_string_member_with_default (sealed, "nonce", NULL),
                                 json_object_get_string_member_with_default (sealed,
                                                                             "associated_data",
                                                                             ""),
                                 json_object_get_string_member_with_default (sealed,
                                                                             "ciphertext", NULL),
                                 error);
      if (pem == NULL)
        return FALSE;
      pem_data = g_bytes_get_data (pem, &pem_len);
      if (!wxpay3_verifier_add_certificate (fresh, pem_data, pem_len, &serial, error))
        return FALSE;
      if (g_ascii_strcasecmp (serial, serial_no) != 0)
        {
          g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH,
                       "/v3/certificates: certificate %s listed as %s", serial, serial_no);
          return FALSE;
        }
      g_ptr_array_add (pems, g_strndup (pem_data, pem_len));
    }

  /* The answer is signed by one of the certificates it carries, or by one we already hold
   * (the old one during a rotation). */
  if (!wxpay3_verifier_verify (fresh, soup_message_headers_get_one (headers, "Wechatpay-Serial"),
                               soup_message_headers_get_one (headers, "Wechatpay-Signature"),
                               soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                               soup_message_headers_get_one (headers, "Wechatpay-Nonce"), data,
                               len, now, &local))
    {
      if (!g_error_matches (local, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!wxpay3_verifier_verify (self->verifier,
                                   soup_message_headers_get_one (headers, "Wechatpay-Serial"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Signature"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Nonce"),
                                   data, len, now, error))
        return FALSE;
    }

  for (guint i = 0; i < pems->len; i++)
    {
      const char *pem = g_ptr_array_index (pems, i);

      if (!wxpay3_verifier_add_certificate (self->verifier, pem, strlen (pem), NULL, error))
        return FALSE;
    }
  self->certs_fetched_at = g_get_monotonic_time ();
  g_debug ("platform certificates: %u downloaded", pems->len);

  return TRUE;
}

/**
 * wxpay3_client_refresh_certificates_async:
 * @self: a #Wxpay3Client in platform-certificate mode
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 *
 * Downloads the platform certificates now (see wxpay3_client_use_platform_certificates()).
 */
static void
certificates_downloaded_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  Wxpay3Client *self = WXPAY3_CLIENT (source);
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->cert_waiters);
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (ok)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

void
wxpay3_client_refresh_certificates_async (Wxpay3Client       *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  if (self->apiv3_key == NULL)
    {
      g_task_report_new_error (self, callback, user_data, wxpay3_client_refresh_certificates_async,
                               WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                               "no APIv3 key: not in platform-certificate mode");
      return;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wxpay3_client_refresh_certificates_async);
  /* Calls that start together (the checkout, the refunder's resume, a callback) share one
   * download: the first caller's cancellable does not cancel it for the others. */
  if (self->cert_waiters != NULL)
    {
      g_ptr_array_add (self->cert_waiters, task);
      return;
    }
  self->cert_waiters = g_ptr_array_new ();
  g_ptr_array_add (self->cert_waiters, task);
  start_request (self, "GET", "/v3/certificates", NULL, CALL_CERTIFICATES,
                 wxpay3_client_refresh_certificates_async, NULL, certificates_downloaded_cb,
                 NULL);
}

gboolean
wxpay3_client_refresh_certificates_finish (Wxpay3Client *self,
                                           GAsyncResult *result,
                                           GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A call waiting for the certificates to be downloaded first. */
typedef struct
{
  char               *method;
  char               *path;
  JsonNode           *body;
  GCancellable       *cancellable;
  GAsyncReadyCallback callback;
  gpointer            user_data;
} Pending;

static void
pending_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wxpay3Client *self = WXPAY3_CLIENT (source);
  Pending      *pending = user_data;
  g_autoptr(GError) error = NULL;

  if (!wxpay3_client_refresh_certificates_finish (self, result, &error) && wxpay3_verifier_get_latest_expiry (self->verifier) <= g_get_real_time () / G_USEC_PER_SEC)
    {
      /* No certificate to verify an answer with: the call is not sent at all. Said as a
       * connection failure on purpose: nothing reached WeChat, which proves nothing about an
       * earlier try of the same request (a CONFIG error would read as WeChat's refusal). */
      g_task_report_new_error (self, pending->callback, pending->user_data,
                               wxpay3_client_request_async, WXPAY_ERROR, WXPAY_ERROR_CONNECT,
                               "not sent: no WeChat Pay platform certificate to verify the "
                               "answer with: %s",
                               error->message);
    }
  else
    {
      /* A periodic download that failed while certificates still hold: carry on with them. */
      if (error != NULL)
        g_debug ("platform certificates not downloaded (%s); the ones held still verify",
                 error->message);
      start_request (self, pending->method, pending->path, pending->body, CALL_JSON,
                     wxpay3_client_request_async, pending->cancellable, pending->callback,
                     pending->user_data);
    }

  g_free (pending->method);
  g_free (pending->path);
  g_clear_pointer (&pending->body, json_node_unref);
  g_clear_object (&pending->cancellable);
  g_free (pending);
}

/* The certificates were downloaded again for an answer's unknown serial: check it once more. */
static void
recheck_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wxpay3Client *self = WXPAY3_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  CallData     *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonNode     *root;

  if (!wxpay3_client_refresh_certificates_finish (self, result, &error))
    g_debug ("%s %s: certificates not downloaded: %s", data->method, data->path, error->message);
  g_clear_error (&error);

  root = check_answer (self, data->answer_msg, data->answer_body, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, root, root != NULL ? (GDestroyNotify)json_node_unref : NULL);
}

/* The pipeline -------------------------------------------------------------------------------- */

static void
wrote_headers_cb (SoupMessage *msg,
                  CallData    *data)
{
  data->sent = TRUE;
}

/* Checks the signature (every answer that carries one), then the status, then the JSON. */
static JsonNode *
check_answer (Wxpay3Client *self,
              SoupMessage  *msg,
              GBytes       *body,
              GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char         *signature = soup_message_headers_get_one (headers, "Wechatpay-Signature");
  const char         *serial = soup_message_headers_get_one (headers, "Wechatpay-Serial");
  guint               status = soup_message_get_status (msg);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode   *root = NULL;
  gsize       len = 0;
  const char *data = g_bytes_get_data (body, &len);
  const char *code = NULL;
  const char *message = NULL;
  const char *detail_field = NULL;
  gboolean    parsed;

  if (signature == NULL && serial == NULL && status >= 400 && status < 500)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_HTTP_CLIENT, "HTTP %u %s (unsigned: not "
                                                                "WeChat Pay's answer)",
                   status, soup_message_get_reason_phrase (msg));
      return NULL;
    }
  if (signature == NULL && serial == NULL && status >= 500)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_HTTP_SERVER, "HTTP %u %s", status,
                   soup_message_get_reason_phrase (msg));
      return NULL;
    }

  /* An answer we cannot verify never decides anything: the outcome stays unknown. */
  if (!wxpay3_verifier_verify (self->verifier, serial, signature,
                               soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                               soup_message_headers_get_one (headers, "Wechatpay-Nonce"), data,
                               len, g_get_real_time () / G_USEC_PER_SEC, error))
    return NULL;

  if (len > MAX_ANSWER)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE, "answer too large");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  parsed = len > 0 && g_utf8_validate (data, (gssize)len, NULL) && json_parser_load_from_data (parser, data, (gssize)len, &local) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser));

  if (status >= 200 && status < 300 && status != 202)
    {
      if (len == 0)
        return NULL;
      if (!parsed)
        {
          g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                       "HTTP %u: not a JSON object", status);
          return NULL;
        }
      root = json_node_copy (json_parser_get_root (parser));
      return root;
    }

  if (parsed)
    {
      JsonObject *object = json_node_get_object (json_parser_get_root (parser));

      JsonNode   *detail = json_object_get_member (object, "detail");

      code = json_object_get_string_member_with_default (object, "code", NULL);
      message = json_object_get_string_member_with_default (object, "message", NULL);
      if (detail != NULL && JSON_NODE_HOLDS_OBJECT (detail))
        detail_field = json_object_get_string_member_with_default (json_node_get_object (detail),
                                                                   "field", NULL);
    }
  g_set_error (error, WXPAY_ERROR,
               wxpay3_error_from_answer_full (status, code, message, detail_field),
               "%s: %s (HTTP %u)", code != NULL ? code : "HTTP", message != NULL ? message : "",
               status);

  return NULL;
}

static void
send_and_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(GTask) task = user_data;
  Wxpay3Client *self = g_task_get_source_object (task);
  CallData     *data = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  JsonNode    *root;

  body = soup_session_send_and_read_finish (session, result, &error);
  if (msg != NULL)
    g_clear_signal_handler (&data->wrote_headers_id, msg);

  if (body == NULL)
    {
      g_autoptr(GError) mapped = wxpay_map_transport_error (error, data->sent);

      if (g_error_matches (mapped, WXPAY_ERROR, WXPAY_ERROR_CONNECT) && !data->tried_backup && !data->sent && self->backup_base_uri != NULL && *self->backup_base_uri != '\0' && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        {
          g_debug ("%s %s: cannot connect, trying the backup domain", data->method, data->path);
          data->tried_backup = TRUE;
          send_request (g_steal_pointer (&task), self->backup_base_uri);
          return;
        }

      g_debug ("%s %s: %s", data->method, data->path, mapped->message);
      g_task_return_error (task, g_steal_pointer (&mapped));
      return;
    }

  /* The Request-ID is what WeChat's support asks for: logged with every answer. */
  {
    const char *request_id = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Request-ID");

    g_debug ("%s %s → HTTP %u, Request-ID %s", data->method, data->path,
             soup_message_get_status (msg), request_id != NULL ? request_id : "(none)");
  }

  g_object_set_data (G_OBJECT (task), "wxpay3-status",
                     GUINT_TO_POINTER (soup_message_get_status (msg)));
  /* §6: the file itself is not signed; its SHA1 from the signed tradebill answer vouches for it
   * (checked by the caller). Errors still come as signed JSON. */
  if (data->kind == CALL_CERTIFICATES)
    {
      if (!take_certificates (self, msg, body, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  if (data->kind == CALL_RAW && soup_message_get_status (msg) == 200)
    {
      if (g_bytes_get_size (body) > WXPAY_GUNZIP_MAX_SIZE)
        g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED, "bill too large");
      else
        g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify)g_bytes_unref);
      return;
    }
  root = check_answer (self, msg, body, &error);
  /* Signed with a certificate we do not hold yet (a rotation): download them again once,
   * then verify this very answer again. */
  if (g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL) && self->apiv3_key != NULL && !data->refreshed)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_debug ("%s %s: signed by an unknown serial, downloading the platform certificates",
               data->method, data->path);
      data->refreshed = TRUE;
      data->answer_msg = g_object_ref (msg);
      data->answer_body = g_bytes_ref (body);

      wxpay3_client_refresh_certificates_async (self, cancellable, recheck_cb,
                                                g_steal_pointer (&task));
      return;
    }
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, root, root != NULL ? (GDestroyNotify)json_node_unref : NULL);
}

static void
send_request (GTask      *task,
              const char *base_uri)
{
  Wxpay3Client *self = g_task_get_source_object (task);
  CallData     *data = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char    *uri = NULL;
  SoupMessageHeaders *headers;
  gsize               base_len = strlen (base_uri);

  if (base_len > 0 && base_uri[base_len - 1] == '/')
    base_len--;
  uri = g_strdup_printf ("%.*s%s", (int)base_len, base_uri, data->path);

  msg = soup_message_new (data->method, uri);
  if (msg == NULL)
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "Invalid URI “%s”", uri);
      g_object_unref (task);
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* As in v2: every call may be repeated with the same body (a create is idempotent by its
   * out_trade_no, a refund by its out_refund_no), so a kept-alive connection may carry it;
   * libsoup still never re-sends a POST by itself. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_headers_replace (headers, "Authorization", data->authorization);
  if (data->body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", data->body);

  data->sent = FALSE;
  data->wrote_headers_id = g_signal_connect (msg, "wrote-headers",
                                             G_CALLBACK (wrote_headers_cb), data);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), send_and_read_cb, task);
}

static GBytes *
body_bytes (JsonNode *body)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

static char *
call_sign (Wxpay3Signer *signer,
           CallData     *data,
           GError      **error)
{
  g_autofree char *nonce = wxpay_nonce_new ();
  gsize len = 0;
  const char *bytes = data->body != NULL ? g_bytes_get_data (data->body, &len) : NULL;

  return wxpay3_signer_authorization (signer, data->method, data->path, bytes, len,
                                      g_get_real_time () / G_USEC_PER_SEC, nonce, error);
}

/* The request of @task (its CallData filled but for the signature) is the one signed ahead:
 * it takes that signature and is sent now. Used once, whatever comes of it. */
static gboolean
presign_take (Wxpay3Client *self,
              GTask       **task)
{
  CallData *data = g_task_get_task_data (*task);
  g_autoptr(Presign) presign = self->presign;

  if (presign == NULL || data->body == NULL || strcmp (data->method, "POST") != 0 ||
      strcmp (data->path, presign->path) != 0 || !g_bytes_equal (data->body, presign->body))
    {
      g_steal_pointer (&presign);
      return FALSE;
    }

  self->presign = NULL;
  if (g_get_monotonic_time () - presign->signed_at > PRESIGN_MAX_AGE_US)
    return FALSE;

  data->authorization = g_steal_pointer (&presign->authorization);
  send_request (g_steal_pointer (task), self->base_uri);
  return TRUE;
}

static void
start_request (Wxpay3Client       *self,
               const char         *method,
               const char         *path_and_query,
               JsonNode           *body,
               CallKind            kind,
               gpointer            source_tag,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  g_autoptr(GTask) task = new_task (self, source_tag, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  CallData   *data;

  if (self->base_uri == NULL || *self->base_uri == '\0' || self->appid == NULL || *self->appid == '\0')
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                               "v3 client: base URI or appid missing");
      return;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Cancelled before the request was sent");
      return;
    }

  data = g_new0 (CallData, 1);
  data->method = g_strdup (method);
  data->path = g_strdup (path_and_query);
  data->kind = kind;
  if (body != NULL)
    data->body = body_bytes (body);
  g_task_set_task_data (task, data, (GDestroyNotify)call_data_free);

  /* Signed ahead: sent now, or as soon as its signature is ready. */
  if (presign_take (self, &task))
    return;

  /* Signed once: a failover re-sends exactly these bytes. */
  data->authorization = call_sign (self->signer, data, &error);
  if (data->authorization == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  send_request (g_steal_pointer (&task), self->base_uri);
}

/**
 * wxpay3_client_request_async:
 * @self: a #Wxpay3Client
 * @method: "GET" or "POST"
 * @path_and_query: what is sent and signed, e.g. `/v3/pay/transactions/native`
 * @body: (nullable): the JSON body (borrowed)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 *
 * Signs and sends one call, then verifies its answer (see the header for the order).
 */
void
wxpay3_client_request_async (Wxpay3Client       *self,
                             const char         *method,
                             const char         *path_and_query,
                             JsonNode           *body,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path_and_query != NULL && g_str_has_prefix (path_and_query, "/v3/"));

  if (certificates_due (self))
    {
      Pending *pending = g_new0 (Pending, 1);

      pending->method = g_strdup (method);
      pending->path = g_strdup (path_and_query);
      pending->body = body != NULL ? json_node_copy (body) : NULL;
      pending->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
      pending->callback = callback;
      pending->user_data = user_data;
      wxpay3_client_refresh_certificates_async (self, cancellable, pending_cb, pending);
      return;
    }

  start_request (self, method, path_and_query, body, CALL_JSON, wxpay3_client_request_async,
                 cancellable, callback, user_data);
}

/**
 * wxpay3_client_request_finish:
 * @self: a #Wxpay3Client
 * @result: the result
 * @out_status: (out) (optional): the HTTP status of the answer, 0 without one
 * @error: a #WXPAY_ERROR, or G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full) (nullable): the verified answer, %NULL for an empty 2xx answer
 */
JsonNode *
wxpay3_client_request_finish (Wxpay3Client *self,
                              GAsyncResult *result,
                              guint        *out_status,
                              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (out_status != NULL)
    *out_status = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "wxpay3-status"));

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Typed calls --------------------------------------------------------------------------------- */

typedef enum
{
  KIND_CREATE,
  KIND_QUERY,
  KIND_CLOSE,
  KIND_REFUND,
  KIND_REFUND_QUERY,
  KIND_CODEPAY,
  KIND_REVERSE,
} Kind;

typedef struct
{
  Kind  kind;
  char *expected; /* out_trade_no / out_refund_no the answer must echo (nullable) */
} Typed;

static void
typed_free (Typed *typed)
{
  g_free (typed->expected);
  g_free (typed);
}

static gboolean
echo_ok (JsonObject *object,
         const char *name,
         const char *expected,
         GError    **error)
{
  const char *value = json_object_get_string_member_with_default (object, name, NULL);

  if (expected != NULL && g_strcmp0 (value, expected) != 0)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH, "answer %s is not %s", name,
                   expected);
      return FALSE;
    }

  return TRUE;
}

static void
typed_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Wxpay3Client *self = WXPAY3_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  Typed *typed = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint       status = 0;
  JsonObject *object;

  root = wxpay3_client_request_finish (self, result, &status, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (typed->kind == KIND_CLOSE)
    {
      if (status != 204)
        g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                                 "close answered HTTP %u, not 204", status);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (root == NULL)
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                               "HTTP %u without a body", status);
      return;
    }
  object = json_node_get_object (root);

  switch (typed->kind)
    {
    case KIND_CREATE:
      {
        const char *code_url = json_object_get_string_member_with_default (object, "code_url",
                                                                           NULL);

        if (code_url == NULL || !g_str_has_prefix (code_url, "weixin://") || strlen (code_url) > 512)
          g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                                   "no code_url in the answer");
        else
          g_task_return_pointer (task, g_strdup (code_url), g_free);
        return;
      }
    case KIND_REVERSE:
      if (!echo_ok (object, "mchid", wxpay3_signer_get_mchid (self->signer), &error) || !echo_ok (object, "out_trade_no", typed->expected, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    case KIND_CODEPAY:
    case KIND_QUERY:
      /* The same echo checks as v2: another merchant's or another order's answer is never ours. */
      if (!echo_ok (object, "mchid", wxpay3_signer_get_mchid (self->signer), &error) || !echo_ok (object, "appid", self->appid, &error) || !echo_ok (object, "out_trade_no", typed->expected, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      break;
    case KIND_REFUND:
    case KIND_REFUND_QUERY:
      if (!echo_ok (object, "out_refund_no", typed->expected, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      break;
    case KIND_CLOSE:
    default:
      break;
    }

  g_task_return_pointer (task, json_object_ref (object), (GDestroyNotify)json_object_unref);
}

static void
start_typed (Wxpay3Client       *self,
             Kind                kind,
             const char         *method,
             const char         *path,
             JsonNode           *body,
             const char         *expected,
             gpointer            source_tag,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  GTask *task = new_task (self, source_tag, cancellable, callback, user_data);
  Typed *typed = g_new0 (Typed, 1);

  typed->kind = kind;
  typed->expected = g_strdup (expected);
  g_task_set_task_data (task, typed, (GDestroyNotify)typed_free);

  wxpay3_client_request_async (self, method, path, body, cancellable, typed_done_cb, task);
}

static char *
escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

static JsonNode *
body_with (JsonObject *fields,
           const char *appid,
           const char *mchid)
{
  JsonObject *object = json_object_new ();
  JsonNode   *node = json_node_new (JSON_NODE_OBJECT);
  GList      *members = fields != NULL ? json_object_get_members (fields) : NULL;

  /* appid and mchid first, then the caller's fields in their order: the same fields give the
   * same bytes on every retry. */
  if (appid != NULL)
    json_object_set_string_member (object, "appid", appid);
  json_object_set_string_member (object, "mchid", mchid);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (strcmp (name, "appid") == 0 || strcmp (name, "mchid") == 0)
        continue;
      json_object_set_member (object, name, json_node_copy (json_object_get_member (fields, name)));
    }
  g_list_free (members);
  json_node_take_object (node, object);

  return node;
}

/* A call addressed by an order or refund number in its path: the number is bounded, escaped
 * between @prefix and @suffix and, but for a close (204, no body), echoed by the answer. A POST
 * carries mchid (and appid when @appid is set) and nothing else. */
typedef struct
{
  Kind        kind;
  const char *method;
  const char *prefix;
  const char *suffix;
  const char *key_name;
  gsize       key_max;
  gboolean    appid;
} Keyed;

static const Keyed close_call = { KIND_CLOSE, "POST", "/v3/pay/transactions/out-trade-no/",
                                  "/close", "out_trade_no", 32, FALSE };
static const Keyed reverse_call = { KIND_REVERSE, "POST", "/v3/pay/transactions/out-trade-no/",
                                    "/reverse", "out_trade_no", 32, TRUE };
static const Keyed refund_query_call = { KIND_REFUND_QUERY, "GET", "/v3/refund/domestic/refunds/",
                                         "", "out_refund_no", 64, FALSE };

static void
start_keyed (Wxpay3Client       *self,
             const Keyed        *call,
             const char         *key,
             gpointer            source_tag,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  g_autofree char *segment = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (key == NULL || *key == '\0' || strlen (key) > call->key_max)
    {
      g_task_report_new_error (self, callback, user_data, source_tag, WXPAY_ERROR,
                               WXPAY_ERROR_INVALID_ARGUMENT, "%s missing or too long",
                               call->key_name);
      return;
    }

  segment = escape (key);
  path = g_strconcat (call->prefix, segment, call->suffix, NULL);
  if (strcmp (call->method, "POST") == 0)
    body = body_with (NULL, call->appid ? self->appid : NULL,
                      wxpay3_signer_get_mchid (self->signer));
  start_typed (self, call->kind, call->method, path, body, call->kind == KIND_CLOSE ? NULL : key,
               source_tag, cancellable, callback, user_data);
}

void
wxpay3_client_native_create_async (Wxpay3Client       *self,
                                   JsonObject         *fields,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (fields != NULL);

  body = body_with (fields, self->appid, wxpay3_signer_get_mchid (self->signer));
  start_typed (self, KIND_CREATE, "POST", NATIVE_CREATE_PATH, body, NULL,
               wxpay3_client_native_create_async, cancellable, callback, user_data);
}

/**
 * wxpay3_client_native_create_prepare:
 * @self: a #Wxpay3Client
 * @fields: the fields a wxpay3_client_native_create_async() will be given (borrowed)
 *
 * Signs that create's request ahead (see the header). Replaces what was signed ahead before.
 */
void
wxpay3_client_native_create_prepare (Wxpay3Client *self,
                                     JsonObject   *fields)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  CallData call = { 0 };
  Presign *presign;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (fields != NULL);

  g_clear_pointer (&self->presign, presign_free);
  if (self->appid == NULL || *self->appid == '\0')
    return;

  body = body_with (fields, self->appid, wxpay3_signer_get_mchid (self->signer));
  presign = g_new0 (Presign, 1);
  presign->path = g_strdup (NATIVE_CREATE_PATH);
  presign->body = body_bytes (body);
  call.method = (char *)"POST";
  call.path = presign->path;
  call.body = presign->body;
  presign->authorization = call_sign (self->signer, &call, &error);
  presign->signed_at = g_get_monotonic_time ();
  if (presign->authorization == NULL)
    {
      /* The create signs its own, and says why if it fails again. */
      g_debug ("Signing ahead failed: %s", error->message);
      presign_free (presign);
      return;
    }
  self->presign = presign;
}

char *
wxpay3_client_native_create_finish (Wxpay3Client *self,
                                    GAsyncResult *result,
                                    GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
wxpay3_client_query_async (Wxpay3Client       *self,
                           const char         *out_trade_no,
                           const char         *transaction_id,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autofree char *mchid = NULL;
  g_autofree char *segment = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  if (out_trade_no == NULL && transaction_id == NULL)
    {
      g_task_report_new_error (self, callback, user_data, wxpay3_client_query_async,
                               WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT,
                               "out_trade_no or transaction_id needed");
      return;
    }

  mchid = escape (wxpay3_signer_get_mchid (self->signer));
  segment = escape (out_trade_no != NULL ? out_trade_no : transaction_id);
  path = g_strdup_printf ("/v3/pay/transactions/%s/%s?mchid=%s",
                          out_trade_no != NULL ? "out-trade-no" : "id", segment, mchid);
  start_typed (self, KIND_QUERY, "GET", path, NULL, out_trade_no, wxpay3_client_query_async,
               cancellable, callback, user_data);
}

JsonObject *
wxpay3_client_query_finish (Wxpay3Client *self,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
wxpay3_client_close_async (Wxpay3Client       *self,
                           const char         *out_trade_no,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  start_keyed (self, &close_call, out_trade_no, wxpay3_client_close_async, cancellable, callback,
               user_data);
}

gboolean
wxpay3_client_close_finish (Wxpay3Client *self,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
wxpay3_client_refund_async (Wxpay3Client       *self,
                            JsonObject         *fields,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(JsonNode) body = json_node_new (JSON_NODE_OBJECT);

  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (fields != NULL);

  /* A refund body carries neither appid nor mchid (§5). */
  json_node_set_object (body, fields);
  start_typed (self, KIND_REFUND, "POST", "/v3/refund/domestic/refunds", body,
               json_object_get_string_member_with_default (fields, "out_refund_no", NULL),
               wxpay3_client_refund_async, cancellable, callback, user_data);
}

JsonObject *
wxpay3_client_refund_finish (Wxpay3Client *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
wxpay3_client_refund_query_async (Wxpay3Client       *self,
                                  const char         *out_refund_no,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  start_keyed (self, &refund_query_call, out_refund_no, wxpay3_client_refund_query_async,
               cancellable, callback, user_data);
}

JsonObject *
wxpay3_client_refund_query_finish (Wxpay3Client *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Payment by code ----------------------------------------------------------------------------- */

/**
 * wxpay3_client_codepay_async:
 * @self: a #Wxpay3Client
 * @fields: description, out_trade_no, payer.auth_code, amount, scene_info … (borrowed); appid
 *   and mchid are added
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 *
 * POST /v3/pay/transactions/codepay (§3). A 202 answer is WXPAY_ERROR_USERPAYING (unknown:
 * query until it ends, as v2's micropay).
 */
void
wxpay3_client_codepay_async (Wxpay3Client       *self,
                             JsonObject         *fields,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));
  g_return_if_fail (fields != NULL);

  body = body_with (fields, self->appid, wxpay3_signer_get_mchid (self->signer));
  start_typed (self, KIND_CODEPAY, "POST", "/v3/pay/transactions/codepay", body,
               json_object_get_string_member_with_default (fields, "out_trade_no", NULL),
               wxpay3_client_codepay_async, cancellable, callback, user_data);
}

/**
 * wxpay3_client_codepay_finish:
 *
 * Returns: (transfer full): the paid Transaction, or %NULL
 */
JsonObject *
wxpay3_client_codepay_finish (Wxpay3Client *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * wxpay3_client_reverse_async:
 *
 * POST …/out-trade-no/{out_trade_no}/reverse with appid and mchid (§3; no client certificate).
 */
void
wxpay3_client_reverse_async (Wxpay3Client       *self,
                             const char         *out_trade_no,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  start_keyed (self, &reverse_call, out_trade_no, wxpay3_client_reverse_async, cancellable,
               callback, user_data);
}

gboolean
wxpay3_client_reverse_finish (Wxpay3Client *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Trade bill ---------------------------------------------------------------------------------- */

typedef struct
{
  char    *hash;
  gboolean gzip;
} BillData;

static void
bill_data_free (BillData *data)
{
  g_free (data->hash);
  g_free (data);
}

static void
bill_download_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BillData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bill = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *hash = NULL;

  if (bill == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* §6: hash_value is the SHA1 of the bill file itself, so a gzip download is inflated first
   * (a stream that does not inflate is as bad as one whose hash differs). */
  if (data->gzip)
    {
      g_autoptr(GBytes) inflated = NULL;

      if (!wxpay_bytes_is_gzip (bill))
        {
          g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED,
                                   "the GZIP bill download is not gzip");
          return;
        }
      inflated = wxpay_gunzip (bill, WXPAY_GUNZIP_MAX_SIZE, &error);
      if (inflated == NULL)
        {
          g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED,
                                   "the GZIP bill download does not inflate: %s",
                                   error->message);
          return;
        }
      g_bytes_unref (bill);
      bill = g_steal_pointer (&inflated);
    }

  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, bill);
  if (g_ascii_strcasecmp (hash, data->hash) != 0)
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED,
                               "the downloaded bill's SHA1 is not the one announced");
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&bill), (GDestroyNotify)g_bytes_unref);
}

static void
tradebill_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wxpay3Client *self = WXPAY3_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  BillData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = wxpay3_client_request_finish (self, result, NULL, &error);
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  JsonObject      *object;
  const char      *hash_type, *hash, *url;

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object = root != NULL ? json_node_get_object (root) : NULL;
  hash_type = object ? json_object_get_string_member_with_default (object, "hash_type", NULL) : NULL;
  hash = object ? json_object_get_string_member_with_default (object, "hash_value", NULL) : NULL;
  url = object ? json_object_get_string_member_with_default (object, "download_url", NULL) : NULL;
  uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL) : NULL;
  if (g_strcmp0 (hash_type, "SHA1") != 0 || hash == NULL || strlen (hash) != 40 || uri == NULL || !g_str_has_prefix (g_uri_get_path (uri), "/v3/billdownload/"))
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED,
                               "tradebill answer without a SHA1 or a download_url");
      return;
    }

  /* The download goes to our own gateway (the path and query of download_url, signed as
   * usual): an answer can never send us, and our Authorization, to another host. */
  data->hash = g_strdup (hash);
  path = g_uri_get_query (uri) != NULL
           ? g_strconcat (g_uri_get_path (uri), "?", g_uri_get_query (uri), NULL)
           : g_strdup (g_uri_get_path (uri));
  start_request (self, "GET", path, NULL, CALL_RAW, wxpay3_client_tradebill_async,
                 g_task_get_cancellable (task), bill_download_cb, g_object_ref (task));
}

/**
 * wxpay3_client_tradebill_async:
 * @self: a #Wxpay3Client
 * @bill_date: YYYY-MM-DD (Beijing)
 * @bill_type: (nullable): ALL (default), SUCCESS or REFUND
 * @gzip: ask for tar_type=GZIP (a tenth of the bytes on the wire)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 *
 * Asks for the day's trade bill, downloads it (inflating a GZIP download) and checks its SHA1
 * (§6).
 */
void
wxpay3_client_tradebill_async (Wxpay3Client       *self,
                               const char         *bill_date,
                               const char         *bill_type,
                               gboolean            gzip,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  BillData        *data;

  g_return_if_fail (WXPAY3_IS_CLIENT (self));

  if (bill_date == NULL || strlen (bill_date) != 10 || strspn (bill_date, "0123456789-") != 10)
    {
      g_task_report_new_error (self, callback, user_data, wxpay3_client_tradebill_async,
                               WXPAY_ERROR, WXPAY_ERROR_INVALID_ARGUMENT,
                               "bill_date must be YYYY-MM-DD");
      return;
    }
  if (bill_type == NULL)
    bill_type = "ALL";

  task = new_task (self, wxpay3_client_tradebill_async, cancellable, callback, user_data);
  data = g_new0 (BillData, 1);
  data->gzip = gzip;
  g_task_set_task_data (task, data, (GDestroyNotify)bill_data_free);
  path = g_strdup_printf ("/v3/bill/tradebill?bill_date=%s&bill_type=%s%s", bill_date, bill_type,
                          gzip ? "&tar_type=GZIP" : "");
  wxpay3_client_request_async (self, "GET", path, NULL, cancellable, tradebill_cb,
                               g_steal_pointer (&task));
}

/**
 * wxpay3_client_tradebill_finish:
 *
 * Returns: (transfer full): the bill text (amounts in yuan, cells with a back-tick, as v2's);
 *   WXPAY_ERROR_BILL_NOT_EXIST when nothing happened that day
 */
GBytes *
wxpay3_client_tradebill_finish (Wxpay3Client *self,
                                GAsyncResult *result,
                                GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Callbacks ----------------------------------------------------------------------------------- */

/**
 * wxpay3_callback_open:
 * @verifier: WeChat Pay's keys
 * @apiv3_key: the APIv3 key
 * @apiv3_key_len: its length (32)
 * @serial: (nullable): `Wechatpay-Serial`
 * @signature: (nullable): `Wechatpay-Signature`
 * @timestamp: (nullable): `Wechatpay-Timestamp`
 * @nonce: (nullable): `Wechatpay-Nonce`
 * @body: the raw body received
 * @now: Unix seconds
 * @out_event_type: (out) (optional) (transfer full): `event_type`
 * @error: a #WXPAY_ERROR
 *
 * Returns: (transfer full): the decrypted resource, or %NULL (answer the callback 4xx/5xx)
 */
JsonObject *
wxpay3_callback_open (Wxpay3Verifier *verifier,
                      const char     *apiv3_key,
                      gsize           apiv3_key_len,
                      const char     *serial,
                      const char     *signature,
                      const char     *timestamp,
                      const char     *nonce,
                      GBytes         *body,
                      gint64          now,
                      char          **out_event_type,
                      GError        **error)
{
  g_autoptr(JsonParser) outer = json_parser_new_immutable ();
  g_autoptr(JsonParser) inner = json_parser_new_immutable ();
  g_autoptr(GBytes) plain = NULL;
  JsonObject *object;
  JsonObject *resource;
  gsize       len;
  const char *data = g_bytes_get_data (body, &len);
  const char *algorithm;

  if (!wxpay3_verifier_verify (verifier, serial, signature, timestamp, nonce, data, len, now,
                               error))
    return NULL;

  if (len > MAX_ANSWER || !g_utf8_validate (data, (gssize)len, NULL) || !json_parser_load_from_data (outer, data, (gssize)len, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (outer)))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                           "callback is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (json_parser_get_root (outer));
  resource = json_object_has_member (object, "resource") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "resource"))
               ? json_object_get_object_member (object, "resource")
               : NULL;
  algorithm = resource != NULL
                ? json_object_get_string_member_with_default (resource, "algorithm", NULL)
                : NULL;
  if (g_strcmp0 (algorithm, "AEAD_AES_256_GCM") != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                           "callback resource missing or not AEAD_AES_256_GCM");
      return NULL;
    }

  plain = wxpay3_aead_decrypt (apiv3_key, apiv3_key_len,
                               json_object_get_string_member_with_default (resource, "nonce", NULL),
                               json_object_get_string_member_with_default (resource,
                                                                           "associated_data", ""),
                               json_object_get_string_member_with_default (resource,
                                                                           "ciphertext", NULL),
                               error);
  if (plain == NULL)
    return NULL;

  data = g_bytes_get_data (plain, &len);
  if (!g_utf8_validate (data, (gssize)len, NULL) || !json_parser_load_from_data (inner, data, (gssize)len, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (inner)))
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                           "callback resource is not a JSON object");
      return NULL;
    }

  if (out_event_type != NULL)
    *out_event_type = g_strdup (json_object_get_string_member_with_default (object, "event_type",
                                                                            NULL));

  return json_object_ref (json_node_get_object (json_parser_get_root (inner)));
}
