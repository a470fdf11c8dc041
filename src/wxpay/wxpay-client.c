/* wxpay-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-client"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wxpay-client.h"
#include "wxpay-error.h"
#include "wxpay-notify.h"
#include "wxpay-private.h"
#include "wxpay-sign.h"
#include "wxpay-xml.h"

struct _WxpayClient
{
  GObject          parent_instance;

  SoupSession     *session;
  char            *base_uri;
  char            *backup_base_uri;
  char            *appid;
  char            *mch_id;
  char            *api_key;
  char            *user_agent;
  GTlsCertificate *tls_certificate;
  GTlsDatabase    *tls_database;
  WxpaySignType    sign_type;
  guint            timeout;
  gboolean         direct;       /* every gateway is on loopback: no proxy resolver */
  gboolean         allow_remote_http;
};

enum {
  PROP_0,
  PROP_BASE_URI,
  PROP_BACKUP_BASE_URI,
  PROP_APPID,
  PROP_MCH_ID,
  PROP_API_KEY,
  PROP_SIGN_TYPE,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_DATABASE,
  PROP_TIMEOUT,
  PROP_USER_AGENT,
  PROP_ALLOW_REMOTE_HTTP,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (WxpayClient, wxpay_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

typedef enum {
  CALL_XML,
  CALL_BILL,
} CallKind;

typedef struct {
  char         *path;
  GBytes       *body;
  CallKind      kind;
  WxpaySignType sign_type;
  gboolean      secapi;
  gboolean      tried_backup;
  gboolean      sent;
  gulong        wrote_headers_id;
} CallData;

static void send_request (GTask      *task,
                          const char *base_uri);

static gboolean
is_loopback_uri (const char *uri)
{
  g_autoptr(GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *host = parsed ? g_uri_get_host (parsed) : NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* A gateway on this machine (wxpay-sim, a local relay) is reached directly: no proxy stands
 * between a process and its own loopback interface, and asking the desktop's proxy resolver
 * would load libproxy and the dconf settings backend (and their libraries) into a headless
 * command that only talks to 127.0.0.1. Any other gateway keeps the system's proxy settings. */
static void
update_proxy_resolver (WxpayClient *self)
{
  gboolean direct = is_loopback_uri (self->base_uri) &&
                    (self->backup_base_uri == NULL || is_loopback_uri (self->backup_base_uri));

  if (direct == self->direct)
    return;
  self->direct = direct;
  soup_session_set_proxy_resolver (self->session, direct ? NULL : g_proxy_resolver_get_default ());
}

static void
call_data_free (CallData *data)
{
  g_free (data->path);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data);
}

static void
secure_free (char *str)
{
  if (str != NULL)
    {
      explicit_bzero (str, strlen (str));
      g_free (str);
    }
}

static gboolean
set_string (char       **ptr,
            const char  *value)
{
  if (g_strcmp0 (*ptr, value) == 0)
    return FALSE;

  g_free (*ptr);
  *ptr = g_strdup (value);

  return TRUE;
}

static void
wxpay_client_dispose (GObject *object)
{
  WxpayClient *self = (WxpayClient *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (wxpay_client_parent_class)->dispose (object);
}

static void
wxpay_client_finalize (GObject *object)
{
  WxpayClient *self = (WxpayClient *)object;

  g_free (self->base_uri);
  g_free (self->backup_base_uri);
  g_free (self->appid);
  g_free (self->mch_id);
  g_free (self->user_agent);
  g_clear_pointer (&self->api_key, secure_free);

  G_OBJECT_CLASS (wxpay_client_parent_class)->finalize (object);
}

static void
wxpay_client_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  WxpayClient *self = WXPAY_CLIENT (object);

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
    case PROP_MCH_ID:
      g_value_set_string (value, self->mch_id);
      break;
    case PROP_SIGN_TYPE:
      g_value_set_enum (value, self->sign_type);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_ALLOW_REMOTE_HTTP:
      g_value_set_boolean (value, self->allow_remote_http);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_client_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  WxpayClient *self = WXPAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      if (set_string (&self->base_uri, g_value_get_string (value)))
        {
          update_proxy_resolver (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_BACKUP_BASE_URI:
      if (set_string (&self->backup_base_uri, g_value_get_string (value)))
        {
          update_proxy_resolver (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_APPID:
      if (set_string (&self->appid, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_MCH_ID:
      if (set_string (&self->mch_id, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_API_KEY:
      wxpay_client_set_api_key (self, g_value_get_string (value));
      break;
    case PROP_SIGN_TYPE:
      {
        WxpaySignType type = g_value_get_enum (value);

        if (type != self->sign_type)
          {
            self->sign_type = type;
            g_object_notify_by_pspec (object, pspec);
          }
      }
      break;
    case PROP_TLS_CERTIFICATE:
      if (g_set_object (&self->tls_certificate, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_TLS_DATABASE:
      if (g_set_object (&self->tls_database, g_value_get_object (value)))
        {
          soup_session_set_tls_database (self->session, self->tls_database);
          g_object_notify_by_pspec (object, pspec);
        }
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
      if (set_string (&self->user_agent, g_value_get_string (value)))
        {
          soup_session_set_user_agent (self->session, self->user_agent);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ALLOW_REMOTE_HTTP:
      if (self->allow_remote_http != g_value_get_boolean (value))
        {
          self->allow_remote_http = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_client_class_init (WxpayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wxpay_client_dispose;
  object_class->finalize = wxpay_client_finalize;
  object_class->get_property = wxpay_client_get_property;
  object_class->set_property = wxpay_client_set_property;

  properties[PROP_BASE_URI] =
    g_param_spec_string ("base-uri", NULL, NULL, WXPAY_PRODUCTION_BASE_URI,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BACKUP_BASE_URI] =
    g_param_spec_string ("backup-base-uri", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_APPID] =
    g_param_spec_string ("appid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MCH_ID] =
    g_param_spec_string ("mch-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Write-only on purpose: the key never leaves the client through a getter. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SIGN_TYPE] =
    g_param_spec_enum ("sign-type", NULL, NULL, WXPAY_TYPE_SIGN_TYPE, WXPAY_SIGN_TYPE_MD5,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL, G_TYPE_TLS_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, 3600, 10,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS |
                       G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL, "saoma/" PACKAGE_VERSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);

  /**
   * WxpayClient:allow-remote-http:
   *
   * Plain http:// is refused for any gateway but a loopback one (WXPAY_ERROR_CONFIG): it would
   * carry the signed fields and the outcome of payments in the clear. Only a test that stands
   * a local server in for a remote gateway (through a proxy) sets this; a till never does.
   */
  properties[PROP_ALLOW_REMOTE_HTTP] =
    g_param_spec_boolean ("allow-remote-http", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wxpay_client_init (WxpayClient *self)
{
  self->session = soup_session_new ();
  self->sign_type = WXPAY_SIGN_TYPE_MD5;
  self->timeout = (guint)-1; /* forces the construct property to apply */
}

/**
 * wxpay_client_new:
 * @base_uri: (nullable): "https://api.mch.weixin.qq.com" or a simulator's URI
 * @appid: the appid
 * @mch_id: the merchant id
 * @api_key: (nullable): the 32-byte API key
 *
 * Returns: (transfer full): a new client
 */
WxpayClient *
wxpay_client_new (const char *base_uri,
                  const char *appid,
                  const char *mch_id,
                  const char *api_key)
{
  WxpayClient *self;

  self = g_object_new (WXPAY_TYPE_CLIENT,
                       "base-uri", base_uri ? base_uri : WXPAY_PRODUCTION_BASE_URI,
                       "appid", appid,
                       "mch-id", mch_id,
                       NULL);
  wxpay_client_set_api_key (self, api_key);

  return self;
}

const char *
wxpay_client_get_base_uri (WxpayClient *self)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  return self->base_uri;
}

const char *
wxpay_client_get_appid (WxpayClient *self)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  return self->appid;
}

const char *
wxpay_client_get_mch_id (WxpayClient *self)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  return self->mch_id;
}

WxpaySignType
wxpay_client_get_sign_type (WxpayClient *self)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), WXPAY_SIGN_TYPE_MD5);

  return self->sign_type;
}

/**
 * wxpay_client_set_api_key:
 * @self: a #WxpayClient
 * @api_key: (nullable): the API key; %NULL or "" clears it
 *
 * The key is kept in memory only and wiped when replaced.
 */
void
wxpay_client_set_api_key (WxpayClient *self,
                          const char  *api_key)
{
  g_return_if_fail (WXPAY_IS_CLIENT (self));

  if (g_strcmp0 (self->api_key, api_key) == 0)
    return;

  g_clear_pointer (&self->api_key, secure_free);
  if (api_key != NULL && *api_key != '\0')
    self->api_key = g_strdup (api_key);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_KEY]);
}

gboolean
wxpay_client_has_api_key (WxpayClient *self)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), FALSE);

  return self->api_key != NULL;
}

/**
 * wxpay_client_verify_params:
 * @self: a #WxpayClient
 * @params: received parameters with "sign"
 * @out_type: (out) (optional): the algorithm, chosen by the length of "sign"
 *
 * Returns: %TRUE when the signature is valid under the client's key
 */
gboolean
wxpay_client_verify_params (WxpayClient       *self,
                            const WxpayParams *params,
                            WxpaySignType     *out_type)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (params != NULL, FALSE);

  if (self->api_key == NULL)
    return FALSE;

  return wxpay_verify_auto (params, self->api_key, out_type);
}

static gboolean
check_config (WxpayClient *self,
              GError     **error)
{
  if (self->api_key == NULL)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "No API key configured");
      return FALSE;
    }
  if (self->appid == NULL || *self->appid == '\0' ||
      self->mch_id == NULL || *self->mch_id == '\0')
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "appid and mch_id must be configured");
      return FALSE;
    }

  return TRUE;
}

/**
 * wxpay_client_parse_payment_notification:
 * @self: a #WxpayClient
 * @body: the POSTed body
 * @length: its length
 * @error: return location for an error
 *
 * wxpay_notify_parse_payment() with the client's appid, mch_id and key.
 *
 * Returns: (transfer full) (nullable): the verified fields
 */
WxpayParams *
wxpay_client_parse_payment_notification (WxpayClient *self,
                                         const char  *body,
                                         gsize        length,
                                         GError     **error)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  if (!check_config (self, error))
    return NULL;

  return wxpay_notify_parse_payment (body, length, self->appid, self->mch_id, self->api_key,
                                     error);
}

/**
 * wxpay_client_parse_notification:
 * @self: a #WxpayClient
 * @body: the POSTed body
 * @length: its length
 * @refund_only: accept refund notifications only
 * @out_is_refund: (out): whether it was a refund notification
 * @error: return location for an error
 *
 * wxpay_notify_parse() with the client's appid, mch_id and key.
 *
 * Returns: (transfer full) (nullable): the verified fields
 */
WxpayParams *
wxpay_client_parse_notification (WxpayClient *self,
                                 const char  *body,
                                 gsize        length,
                                 gboolean     refund_only,
                                 gboolean    *out_is_refund,
                                 GError     **error)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  if (!check_config (self, error))
    return NULL;

  return wxpay_notify_parse (body, length, self->appid, self->mch_id, self->api_key,
                             refund_only, out_is_refund, error);
}

/**
 * wxpay_client_parse_refund_notification:
 * @self: a #WxpayClient
 * @body: the POSTed body
 * @length: its length
 * @error: return location for an error
 *
 * wxpay_notify_parse_refund() with the client's appid, mch_id and key.
 *
 * Returns: (transfer full) (nullable): the decrypted `<root>` fields
 */
WxpayParams *
wxpay_client_parse_refund_notification (WxpayClient *self,
                                        const char  *body,
                                        gsize        length,
                                        GError     **error)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);

  if (!check_config (self, error))
    return NULL;

  return wxpay_notify_parse_refund (body, length, self->appid, self->mch_id, self->api_key,
                                    error);
}

/* Transport errors → WXPAY_ERROR. Only failures that prove the request never reached an HTTP
 * server become WXPAY_ERROR_CONNECT (known); everything else may have been processed. */
static GError *
map_transport_error (const GError *error,
                     gboolean      sent)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (!sent)
        return g_error_copy (error);
      return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECTION_LOST,
                          "Cancelled after the request was sent: %s", error->message);
    }

  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECT, "Cannot resolve host: %s",
                        error->message);

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_HOST_NOT_FOUND:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_PROXY_FAILED:
        case G_IO_ERROR_PROXY_AUTH_FAILED:
        case G_IO_ERROR_PROXY_NEED_AUTH:
        case G_IO_ERROR_PROXY_NOT_ALLOWED:
          return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECT, "Cannot connect: %s",
                              error->message);
        case G_IO_ERROR_TIMED_OUT:
          return g_error_new (WXPAY_ERROR, WXPAY_ERROR_TIMEOUT, "Timed out: %s",
                              error->message);
        default:
          break;
        }
    }

  if (error->domain == G_TLS_ERROR)
    {
      switch (error->code)
        {
        case G_TLS_ERROR_UNAVAILABLE:
        case G_TLS_ERROR_NOT_TLS:
        case G_TLS_ERROR_BAD_CERTIFICATE:
        case G_TLS_ERROR_HANDSHAKE:
        case G_TLS_ERROR_CERTIFICATE_REQUIRED:
          /* The peer refused us (or we refused it) during or right after the handshake: an
           * HTTP server never got a request it accepted. */
          return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECT, "TLS failure: %s",
                              error->message);
        default:
          if (!sent)
            return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECT, "TLS failure: %s",
                                error->message);
          break;
        }
    }

  if (error->domain == SOUP_SESSION_ERROR && error->code == SOUP_SESSION_ERROR_PARSING)
    return g_error_new (WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                        "Unparsable HTTP answer: %s", error->message);

  return g_error_new (WXPAY_ERROR, WXPAY_ERROR_CONNECTION_LOST,
                      "Connection lost: %s", error->message);
}

static gboolean
check_http_status (SoupMessage *msg,
                   GError     **error)
{
  guint status = soup_message_get_status (msg);

  if (status >= 200 && status < 300)
    return TRUE;

  if (status >= 400 && status < 500)
    g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_HTTP_CLIENT, "HTTP %u %s", status,
                 soup_message_get_reason_phrase (msg));
  else
    g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_HTTP_SERVER, "HTTP %u %s", status,
                 soup_message_get_reason_phrase (msg));

  return FALSE;
}

static WxpayParams *
check_xml_answer (WxpayClient  *self,
                  CallData     *data,
                  GBytes       *body,
                  GError      **error)
{
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *return_code;
  const char *result_code;
  gsize len = 0;
  const char *text = g_bytes_get_data (body, &len);

  answer = wxpay_xml_decode (text, len, &local_error);
  if (answer == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                   "Answer is not a valid <xml> body: %s", local_error->message);
      return NULL;
    }

  return_code = wxpay_params_get (answer, "return_code");
  if (g_strcmp0 (return_code, "FAIL") == 0)
    {
      const char *msg = wxpay_params_get (answer, "return_msg");

      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL, "return_code=FAIL: %s",
                   msg ? msg : "(no return_msg)");
      return NULL;
    }
  if (g_strcmp0 (return_code, "SUCCESS") != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                           "Answer has no valid return_code");
      return NULL;
    }

  if (!wxpay_verify (answer, data->sign_type, self->api_key))
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_BAD_SIGNATURE,
                   "Answer signature (%s) missing or wrong",
                   wxpay_sign_type_to_string (data->sign_type));
      return NULL;
    }

  if (g_strcmp0 (wxpay_params_get (answer, "appid"), self->appid) != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH,
                           "Answer appid is not ours");
      return NULL;
    }
  if (g_strcmp0 (wxpay_params_get (answer, "mch_id"), self->mch_id) != 0)
    {
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MISMATCH,
                           "Answer mch_id is not ours");
      return NULL;
    }

  result_code = wxpay_params_get (answer, "result_code");
  if (g_strcmp0 (result_code, "SUCCESS") == 0)
    return g_steal_pointer (&answer);

  if (g_strcmp0 (result_code, "FAIL") == 0)
    {
      const char *err_code = wxpay_params_get (answer, "err_code");
      const char *err_code_des = wxpay_params_get (answer, "err_code_des");

      g_set_error (error, WXPAY_ERROR, wxpay_error_from_err_code (err_code), "%s: %s",
                   err_code ? err_code : "(no err_code)",
                   err_code_des ? err_code_des : "");
      return NULL;
    }

  g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                       "Answer has no valid result_code");
  return NULL;
}

static gboolean
ascii_contains_casefold (const char *haystack,
                         const char *needle)
{
  gsize nlen = strlen (needle);

  for (const char *p = haystack; p && *p; p++)
    {
      if (g_ascii_strncasecmp (p, needle, nlen) == 0)
        return TRUE;
    }

  return FALSE;
}

static GBytes *
check_bill_answer (GBytes  *body,
                   GError **error)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (body, &len);
  gsize start = 0;

  if (wxpay_bytes_is_gzip (body))
    return wxpay_gunzip (body, WXPAY_GUNZIP_MAX_SIZE, error);

  while (start < len && g_ascii_isspace (text[start]))
    start++;

  /* As the official SDK does: an answer whose trimmed text starts with '<' is an error XML. */
  if (start < len && text[start] == '<')
    {
      g_autoptr(WxpayParams) answer = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *msg;

      answer = wxpay_xml_decode (text + start, len - start, &local_error);
      if (answer == NULL)
        {
          g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_MALFORMED_RESPONSE,
                       "downloadbill answer is not a valid <xml> body: %s",
                       local_error->message);
          return NULL;
        }

      msg = wxpay_params_get (answer, "return_msg");
      if (msg != NULL && ascii_contains_casefold (msg, "No Bill Exist"))
        g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_NOT_EXIST, "downloadbill: %s", msg);
      else if (msg != NULL && ascii_contains_casefold (msg, "Bill Creating"))
        g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_CREATING, "downloadbill: %s", msg);
      else
        g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED, "downloadbill: %s",
                     msg ? msg : "(no return_msg)");
      return NULL;
    }

  return g_bytes_ref (body);
}

static void
wrote_headers_cb (SoupMessage *msg,
                  CallData    *data)
{
  data->sent = TRUE;
}

static void
send_and_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(GTask) task = user_data;
  WxpayClient *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  SoupMessage *msg;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  msg = soup_session_get_async_result_message (session, result);
  body = soup_session_send_and_read_finish (session, result, &error);
  /* By id: a match by function walks every handler libsoup keeps on the message. */
  if (msg != NULL)
    g_clear_signal_handler (&data->wrote_headers_id, msg);

  if (body == NULL)
    {
      g_autoptr(GError) mapped = map_transport_error (error, data->sent);

      if (g_error_matches (mapped, WXPAY_ERROR, WXPAY_ERROR_CONNECT) &&
          !data->tried_backup && !data->sent &&
          self->backup_base_uri != NULL && *self->backup_base_uri != '\0' &&
          !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        {
          g_debug ("Connect failure on %s, trying the backup domain", data->path);
          data->tried_backup = TRUE;
          send_request (g_steal_pointer (&task), self->backup_base_uri);
          return;
        }

      g_task_return_error (task, g_steal_pointer (&mapped));
      return;
    }

  if (!check_http_status (msg, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->kind == CALL_BILL)
    {
      GBytes *bill = check_bill_answer (body, &error);

      if (bill == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, bill, (GDestroyNotify)g_bytes_unref);
    }
  else
    {
      WxpayParams *answer = check_xml_answer (self, data, body, &error);

      if (answer == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, answer, (GDestroyNotify)wxpay_params_unref);
    }
}

/* Plain HTTP carries the signed fields, the answers and (for a simulator) the outcome of
 * payments in the clear: it is allowed to loopback only (wxpay-sim, tests), where nothing
 * leaves the machine. Everything else must be HTTPS. */
static gboolean
base_uri_allowed (WxpayClient *self,
                  const char  *uri,
                  GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) address = NULL;
  const char *scheme;
  const char *host;

  if (parsed == NULL || g_uri_get_host (parsed) == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "Invalid gateway URI “%s”", uri);
      return FALSE;
    }

  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0)
    {
      if (self->allow_remote_http || g_ascii_strcasecmp (host, "localhost") == 0)
        return TRUE;
      address = g_inet_address_new_from_string (host);
      if (address != NULL && g_inet_address_get_is_loopback (address))
        return TRUE;
    }

  g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
               "The gateway “%s” must use https:// (plain http:// is for loopback only)", uri);
  return FALSE;
}

static void
send_request (GTask      *task,
              const char *base_uri)
{
  WxpayClient *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *uri = NULL;
  gsize base_len = strlen (base_uri);
  GError *error = NULL;

  if (!base_uri_allowed (self, base_uri, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  /* Tolerate a trailing slash in the configured base URI. */
  if (base_len > 0 && base_uri[base_len - 1] == '/')
    base_len--;
  uri = g_strdup_printf ("%.*s%s", (int)base_len, base_uri, data->path);

  msg = soup_message_new (SOUP_METHOD_POST, uri);
  if (msg == NULL)
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_CONFIG, "Invalid URI “%s”", uri);
      g_object_unref (task);
      return;
    }

  /* A redirect would turn the POST into a GET or repeat it somewhere else. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* libsoup opens a new connection (TCP, TLS handshake, proxy lookup) for every request whose
   * method is not idempotent, i.e. for every POST, unless told otherwise. Every v2 call may be
   * repeated with identical fields (re-entry, wxpay-v2.md §0 item 6; queries only read), so a
   * kept-alive connection may carry it. libsoup still never re-sends a POST by itself: one lost
   * on a connection the server closed meanwhile fails as CONNECTION_LOST (outcome unknown), as
   * any lost answer does. /secapi/ calls keep a fresh connection: the client certificate is
   * presented in the handshake, which a reused connection may have done without it. */
  if (!data->secapi)
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_request_body_from_bytes (msg, "text/xml; charset=utf-8", data->body);
  if (data->secapi)
    soup_message_set_tls_client_certificate (msg, self->tls_certificate);

  data->sent = FALSE;
  data->wrote_headers_id = g_signal_connect (msg, "wrote-headers",
                                             G_CALLBACK (wrote_headers_cb), data);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task),
                                    send_and_read_cb, task);
}

static WxpayParams *
build_signed_request (WxpayClient       *self,
                      const WxpayParams *request)
{
  g_autofree char *nonce = wxpay_nonce_new ();
  WxpayParams *params;

  params = request ? wxpay_params_copy (request) : wxpay_params_new ();
  wxpay_params_remove (params, "sign");
  wxpay_params_set (params, "appid", self->appid);
  wxpay_params_set (params, "mch_id", self->mch_id);
  wxpay_params_set (params, "nonce_str", nonce);
  wxpay_params_set (params, "sign_type", wxpay_sign_type_to_string (self->sign_type));
  wxpay_params_sign (params, self->sign_type, self->api_key);

  return params;
}

static void
start_call (WxpayClient        *self,
            const char         *path,
            CallKind            kind,
            const WxpayParams  *request,
            gpointer            source_tag,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(WxpayParams) signed_request = NULL;
  g_autoptr(GError) error = NULL;
  CallData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);

  if (!check_config (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_str_has_prefix (path, "/secapi/") && self->tls_certificate == NULL)
    {
      g_task_return_new_error (task, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                               "%s needs the merchant client certificate", path);
      return;
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Cancelled before the request was sent");
      return;
    }

  signed_request = build_signed_request (self, request);

  data = g_new0 (CallData, 1);
  data->path = g_strdup (path);
  data->kind = kind;
  data->sign_type = self->sign_type;
  data->secapi = g_str_has_prefix (path, "/secapi/");
  data->body = wxpay_xml_encode (signed_request);
  g_task_set_task_data (task, data, (GDestroyNotify)call_data_free);

  send_request (g_steal_pointer (&task), self->base_uri);
}

/**
 * wxpay_client_call_async:
 * @self: a #WxpayClient
 * @path: the API path, e.g. "/pay/orderquery"
 * @request: (nullable): business fields (borrowed)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 *
 * Signs and POSTs @request, then checks the answer (see the header for the order).
 */
void
wxpay_client_call_async (WxpayClient        *self,
                         const char         *path,
                         const WxpayParams  *request,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_return_if_fail (WXPAY_IS_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  start_call (self, path, CALL_XML, request, wxpay_client_call_async,
              cancellable, callback, user_data);
}

/**
 * wxpay_client_call_finish:
 * @self: a #WxpayClient
 * @result: the result
 * @error: return location for a %WXPAY_ERROR (or %G_IO_ERROR_CANCELLED) error
 *
 * Returns: (transfer full) (nullable): the verified answer
 */
WxpayParams *
wxpay_client_call_finish (WxpayClient  *self,
                          GAsyncResult *result,
                          GError      **error)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

#define WXPAY_DEFINE_CALL(name, api_path)                                          \
  void                                                                             \
  wxpay_client_##name##_async (WxpayClient        *self,                           \
                               const WxpayParams  *request,                        \
                               GCancellable       *cancellable,                    \
                               GAsyncReadyCallback callback,                       \
                               gpointer            user_data)                      \
  {                                                                                \
    g_return_if_fail (WXPAY_IS_CLIENT (self));                                     \
    start_call (self, api_path, CALL_XML, request, wxpay_client_##name##_async,    \
                cancellable, callback, user_data);                                 \
  }                                                                                \
                                                                                   \
  WxpayParams *                                                                    \
  wxpay_client_##name##_finish (WxpayClient  *self,                                \
                                GAsyncResult *result,                              \
                                GError      **error)                               \
  {                                                                                \
    g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);                           \
    g_return_val_if_fail (g_task_is_valid (result, self), NULL);                   \
    return g_task_propagate_pointer (G_TASK (result), error);                      \
  }

WXPAY_DEFINE_CALL (unifiedorder, "/pay/unifiedorder")
WXPAY_DEFINE_CALL (orderquery, "/pay/orderquery")
WXPAY_DEFINE_CALL (closeorder, "/pay/closeorder")
WXPAY_DEFINE_CALL (refund, "/secapi/pay/refund")
WXPAY_DEFINE_CALL (refundquery, "/pay/refundquery")
WXPAY_DEFINE_CALL (micropay, "/pay/micropay")
WXPAY_DEFINE_CALL (reverse, "/secapi/pay/reverse")

/**
 * wxpay_client_downloadbill_async:
 * @self: a #WxpayClient
 * @bill_date: yyyyMMdd
 * @bill_type: "ALL", "SUCCESS" or "REFUND"
 * @gzip: ask for tar_type=GZIP
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once when done
 * @user_data: data for @callback
 */
void
wxpay_client_downloadbill_async (WxpayClient        *self,
                                 const char         *bill_date,
                                 const char         *bill_type,
                                 gboolean            gzip,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(WxpayParams) request = NULL;

  g_return_if_fail (WXPAY_IS_CLIENT (self));
  g_return_if_fail (bill_date != NULL);

  request = wxpay_params_new ();
  wxpay_params_set (request, "bill_date", bill_date);
  wxpay_params_set (request, "bill_type", bill_type ? bill_type : "ALL");
  if (gzip)
    wxpay_params_set (request, "tar_type", "GZIP");

  start_call (self, "/pay/downloadbill", CALL_BILL, request, wxpay_client_downloadbill_async,
              cancellable, callback, user_data);
}

/**
 * wxpay_client_downloadbill_finish:
 * @self: a #WxpayClient
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the bill text, gunzipped when it came compressed
 */
GBytes *
wxpay_client_downloadbill_finish (WxpayClient  *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (WXPAY_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A PEM or PKCS#12 file without a key still loads; the readable private-key properties (GLib
 * 2.70) tell. The copies are wiped at once. */
static gboolean
certificate_has_key (GTlsCertificate *cert)
{
  g_autofree char *key_pem = NULL;
  GByteArray *key_der = NULL;
  gboolean has_key;

  g_object_get (cert, "private-key-pem", &key_pem, "private-key", &key_der, NULL);
  has_key = key_pem != NULL || key_der != NULL;
  if (key_pem != NULL)
    explicit_bzero (key_pem, strlen (key_pem));
  if (key_der != NULL)
    {
      explicit_bzero (key_der->data, key_der->len);
      g_byte_array_unref (key_der);
    }

  return has_key;
}

static gboolean
looks_like_pem (GBytes *data)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  for (gsize i = 0; i + 10 <= len && i < 4096; i++)
    {
      if (memcmp (text + i, "-----BEGIN", 10) == 0)
        return TRUE;
    }

  return FALSE;
}

/* The outcome of loading a client certificate as WXPAY_ERROR_CONFIG: @cert (owned, nullable)
 * failed with @load_error, or must carry its private key to be of any use for mutual TLS. */
static GTlsCertificate *
checked_client_certificate (GTlsCertificate *cert,
                            const GError    *load_error,
                            GError         **error)
{
  if (cert == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "Cannot load the client certificate: %s", load_error->message);
      return NULL;
    }

  if (!certificate_has_key (cert))
    {
      g_object_unref (cert);
      g_set_error_literal (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                           "The client certificate has no private key");
      return NULL;
    }

  return cert;
}

/**
 * wxpay_load_client_certificate:
 * @path: a PEM file holding certificate and key, or a PKCS#12 file (apiclient_cert.p12)
 * @password: (nullable): the PKCS#12 password (WeChat's default is the mch_id)
 * @error: return location for a %WXPAY_ERROR_CONFIG error
 *
 * Returns: (transfer full) (nullable): the merchant client certificate with its private key
 */
GTlsCertificate *
wxpay_load_client_certificate (const char *path,
                               const char *password,
                               GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *contents = NULL;
  GTlsCertificate *cert;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_CONFIG,
                   "Cannot read the client certificate: %s", local_error->message);
      return NULL;
    }
  data = g_bytes_new_take (g_steal_pointer (&contents), len);

  if (looks_like_pem (data))
    cert = g_tls_certificate_new_from_file (path, &local_error);
  else
    cert = g_tls_certificate_new_from_pkcs12 (g_bytes_get_data (data, NULL), len, password,
                                              &local_error);

  return checked_client_certificate (cert, local_error, error);
}

/**
 * wxpay_load_client_certificate_pem:
 * @cert_path: apiclient_cert.pem
 * @key_path: apiclient_key.pem
 * @error: return location for a %WXPAY_ERROR_CONFIG error
 *
 * Returns: (transfer full) (nullable): the merchant client certificate
 */
GTlsCertificate *
wxpay_load_client_certificate_pem (const char *cert_path,
                                   const char *key_path,
                                   GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GTlsCertificate *cert;

  g_return_val_if_fail (cert_path != NULL, NULL);
  g_return_val_if_fail (key_path != NULL, NULL);

  cert = g_tls_certificate_new_from_files (cert_path, key_path, &local_error);

  return checked_client_certificate (cert, local_error, error);
}

/**
 * wxpay_map_transport_error:
 * @error: a libsoup/GIO/TLS error
 * @sent: whether the request headers were written
 *
 * The v2 client's reading of transport failures, shared with the v3 client so both protocols
 * tell "not sent" from "maybe processed" the same way.
 *
 * Returns: (transfer full): the WXPAY_ERROR (or the cancellation) for @error
 */
GError *
wxpay_map_transport_error (const GError *error,
                           gboolean      sent)
{
  return map_transport_error (error, sent);
}
