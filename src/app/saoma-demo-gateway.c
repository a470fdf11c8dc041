/* saoma-demo-gateway.c: the wxpay-sim process behind the demo mode. */
#define G_LOG_DOMAIN "saoma-demo-gateway"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>


#include "saoma-demo-gateway.h"

/* How long the simulator gets to save its state and exit before it is killed. */
#define STOP_TIMEOUT_MS 3000

struct _SaomaDemoGateway
{
  GObject           parent_instance;

  char             *state_file;
  char             *credentials_dir;
  char             *base_uri;
  /* The demo merchant, read from credentials_dir once the simulator runs. */
  char             *appid;
  char             *mch_id;
  char             *api_key;
  char             *certificate_path;
  GTlsCertificate  *certificate;
  /* API v3: the files wxpay-sim --v3-dir wrote (keys stay in their files, 0600). */
  char             *v3_dir;
  char             *mch_serial;
  char             *wechatpay_public_key_id;
  char             *apiv3_key;
  GSubprocess      *process;
  GDataInputStream *stdout_stream;
  GCancellable     *cancellable;
  SoupSession      *session;
};

enum {
  PROP_0,
  PROP_BASE_URI,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaDemoGateway, saoma_demo_gateway, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
child_setup (gpointer user_data)
{
  /* A simulator outliving a crashed till would hold demo orders nobody watches. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

char *
saoma_demo_gateway_find_program (void)
{
  const char *env = g_getenv ("SAOMA_WXPAY_SIM");
  g_autofree char *installed = NULL;

  /* A run from the build tree names the simulator built with it (build-aux/dev, the tests). */
  if (env != NULL && *env != '\0')
    return g_strdup (env);

  installed = g_build_filename (BINDIR, "wxpay-sim", NULL);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);

  return g_find_program_in_path ("wxpay-sim");
}

/* Anything the simulator prints after its URL is only logged, but must be read so its
 * stdout pipe never fills up and blocks it. */
static void
drain_line_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaDemoGateway) self = user_data;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                    NULL, &error);
  if (line == NULL)
    return;

  g_debug ("wxpay-sim: %s", line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (object), G_PRIORITY_LOW,
                                       self->cancellable, drain_line_cb, g_object_ref (self));
}

typedef struct {
  char            *appid;
  char            *mch_id;
  char            *api_key;
  GTlsCertificate *certificate;
  char            *mch_serial;
  char            *wechatpay_public_key_id;
  char            *apiv3_key;
} Credentials;

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
credentials_free (Credentials *credentials)
{
  g_free (credentials->appid);
  g_free (credentials->mch_id);
  wipe_free (credentials->api_key);
  g_clear_object (&credentials->certificate);
  g_free (credentials->mch_serial);
  g_free (credentials->wechatpay_public_key_id);
  wipe_free (credentials->apiv3_key);
  g_free (credentials);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Credentials, credentials_free)

/* The first line of @name in @dir, at most @max bytes (the simulator's v3 files are one line). */
static char *
read_line (const char *dir,
           const char *name,
           gsize       max,
           GError    **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  contents[strcspn (contents, "\r\n")] = '\0';
  if (contents[0] == '\0' || strlen (contents) > max)
    {
      wipe_free (contents);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty or too long", path);
      return NULL;
    }
  return contents;
}

/* merchant.ini and client.pem of the simulator's --credentials-dir (see its README section),
 * and the one-line files of its --v3-dir (the key files are only named, never read here). */
static void
load_credentials_worker (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  SaomaDemoGateway *self = source_object;
  g_autofree char *merchant_path = g_build_filename (self->credentials_dir, "merchant.ini", NULL);
  g_autoptr(GKeyFile) merchant = g_key_file_new ();
  g_autoptr(Credentials) credentials = g_new0 (Credentials, 1);
  GError *error = NULL;

  if (!g_key_file_load_from_file (merchant, merchant_path, G_KEY_FILE_NONE, &error) ||
      (credentials->appid = g_key_file_get_string (merchant, "merchant", "appid", &error)) == NULL ||
      (credentials->mch_id = g_key_file_get_string (merchant, "merchant", "mch_id", &error)) == NULL ||
      (credentials->api_key = g_key_file_get_string (merchant, "merchant", "key", &error)) == NULL ||
      (credentials->certificate = g_tls_certificate_new_from_file (self->certificate_path,
                                                                   &error)) == NULL ||
      (credentials->mch_serial = read_line (self->v3_dir, "apiclient_serial.txt", 64,
                                            &error)) == NULL ||
      (credentials->wechatpay_public_key_id = read_line (self->v3_dir, "pub_key_id.txt", 64,
                                                         &error)) == NULL ||
      (credentials->apiv3_key = read_line (self->v3_dir, "apiv3_key.txt", 32, &error)) == NULL)
    {
      g_prefix_error (&error, "the demo merchant in %s: ", self->credentials_dir);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&credentials), (GDestroyNotify)credentials_free);
}

static void
first_line_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaomaDemoGateway *self = g_task_get_source_object (task);
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                    NULL, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (line != NULL)
    g_strstrip (line);

  if (line == NULL ||
      !(g_str_has_prefix (line, "http://127.0.0.1:") || g_str_has_prefix (line, "https://")))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "wxpay-sim did not print its address (got “%s”)",
                               line ? line : "end of output");
      saoma_demo_gateway_stop (self);
      return;
    }

  while (g_str_has_suffix (line, "/"))
    line[strlen (line) - 1] = '\0';

  /* The simulator has written its credentials before printing its address. */
  g_task_set_task_data (task, g_steal_pointer (&line), g_free);
  g_task_run_in_thread (task, load_credentials_worker);
}

void
saoma_demo_gateway_start_async (SaomaDemoGateway   *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *program = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SAOMA_IS_DEMO_GATEWAY (self));
  g_return_if_fail (self->process == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_demo_gateway_start_async);

  program = saoma_demo_gateway_find_program ();
  if (program == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "the wxpay-sim program was not found");
      return;
    }

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, program);
  g_ptr_array_add (argv, (char *) "--bind");
  g_ptr_array_add (argv, (char *) "127.0.0.1");
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, (char *) "0");
  if (self->state_file != NULL)
    {
      g_ptr_array_add (argv, (char *) "--state");
      g_ptr_array_add (argv, self->state_file);
    }
  /* The demo merchant's key and client certificate live in a directory of the demo's own,
   * made by the simulator on first use (0600): nothing secret is compiled into Saoma. */
  g_ptr_array_add (argv, (char *) "--credentials-dir");
  g_ptr_array_add (argv, self->credentials_dir);
  /* Its API v3 keys too, whichever protocol the demo speaks: switching is then instant. */
  g_ptr_array_add (argv, (char *) "--v3-dir");
  g_ptr_array_add (argv, self->v3_dir);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                &error);
  if (self->process == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("started %s (pid %s)", program, g_subprocess_get_identifier (self->process));
  self->stdout_stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  g_data_input_stream_read_line_async (self->stdout_stream, G_PRIORITY_DEFAULT, cancellable,
                                       first_line_cb, g_steal_pointer (&task));
}

gboolean
saoma_demo_gateway_start_finish (SaomaDemoGateway *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_autoptr(Credentials) credentials = NULL;

  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  credentials = g_task_propagate_pointer (G_TASK (result), error);
  if (credentials == NULL)
    {
      saoma_demo_gateway_stop (self);
      return FALSE;
    }

  /* Taken here, on the caller's thread, so that the getters never race the worker. */
  self->appid = g_steal_pointer (&credentials->appid);
  self->mch_id = g_steal_pointer (&credentials->mch_id);
  self->api_key = g_steal_pointer (&credentials->api_key);
  g_set_object (&self->certificate, credentials->certificate);
  self->mch_serial = g_steal_pointer (&credentials->mch_serial);
  self->wechatpay_public_key_id = g_steal_pointer (&credentials->wechatpay_public_key_id);
  self->apiv3_key = g_steal_pointer (&credentials->apiv3_key);

  g_free (self->base_uri);
  self->base_uri = g_strdup (g_task_get_task_data (G_TASK (result)));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URI]);

  g_data_input_stream_read_line_async (self->stdout_stream, G_PRIORITY_LOW, self->cancellable,
                                       drain_line_cb, g_object_ref (self));
  return TRUE;
}

static void
child_exited_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
stop_deadline_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* SIGTERM lets the simulator write its state file one last time; it is waited for (on a
 * private context, bounded) so that when this returns the child is gone: its port is free and
 * its state final before a new simulator may load it. */
static void
terminate_child (GSubprocess *process)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) deadline = g_timeout_source_new (STOP_TIMEOUT_MS);
  gboolean exited = FALSE;
  gboolean late = FALSE;

  g_main_context_push_thread_default (context);
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, child_exited_cb, &exited);
  g_source_set_callback (deadline, stop_deadline_cb, &late, NULL);
  g_source_attach (deadline, context);
  while (!exited && !late)
    g_main_context_iteration (context, TRUE);
  if (!exited)
    {
      g_warning ("wxpay-sim did not stop within %d ms; killing it", STOP_TIMEOUT_MS);
      g_subprocess_force_exit (process);
      while (!exited)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (deadline);
  g_main_context_pop_thread_default (context);
}

/**
 * saoma_demo_gateway_stop:
 * @self: a #SaomaDemoGateway
 *
 * Stops the simulator and waits (at most a few seconds) until it has exited. Afterwards
 * "base-uri" is %NULL: the old address may already belong to another process.
 */
void
saoma_demo_gateway_stop (SaomaDemoGateway *self)
{
  g_return_if_fail (SAOMA_IS_DEMO_GATEWAY (self));

  g_cancellable_cancel (self->cancellable);
  if (self->process != NULL)
    {
      terminate_child (self->process);
      g_clear_object (&self->process);
    }
  g_clear_object (&self->stdout_stream);

  g_clear_pointer (&self->appid, g_free);
  g_clear_pointer (&self->mch_id, g_free);
  g_clear_pointer (&self->api_key, wipe_free);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->mch_serial, g_free);
  g_clear_pointer (&self->wechatpay_public_key_id, g_free);
  g_clear_pointer (&self->apiv3_key, wipe_free);

  if (self->base_uri != NULL)
    {
      g_clear_pointer (&self->base_uri, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URI]);
    }
}

static void
pay_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  if (status < 200 || status >= 300)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "the simulator answered HTTP %u: %.*s", status,
                               (int) MIN (g_bytes_get_size (body), 200),
                               (const char *) g_bytes_get_data (body, NULL));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
saoma_demo_gateway_pay_async (SaomaDemoGateway   *self,
                              const char         *out_trade_no,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *uri = NULL;

  g_return_if_fail (SAOMA_IS_DEMO_GATEWAY (self));
  g_return_if_fail (out_trade_no != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_demo_gateway_pay_async);

  if (self->base_uri == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "the simulator is not running");
      return;
    }

  escaped = g_uri_escape_string (out_trade_no, NULL, FALSE);
  uri = g_strdup_printf ("%s/sim/orders/%s/pay", self->base_uri, escaped);
  message = soup_message_new (SOUP_METHOD_POST, uri);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                                    pay_cb, g_steal_pointer (&task));
}

gboolean
saoma_demo_gateway_pay_finish (SaomaDemoGateway *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
saoma_demo_gateway_dup_pay_page_uri (SaomaDemoGateway *self,
                                     const char       *code_url)
{
  const char *pr;
  g_autofree char *token = NULL;
  gsize len;

  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  if (self->base_uri == NULL || code_url == NULL)
    return NULL;

  pr = strstr (code_url, "pr=");
  if (pr == NULL)
    return NULL;
  pr += 3;
  len = strcspn (pr, "&#");
  if (len == 0)
    return NULL;
  token = g_strndup (pr, len);

  return g_strdup_printf ("%s/sim/pay/%s", self->base_uri, token);
}

const char *
saoma_demo_gateway_get_base_uri (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->base_uri;
}

static void
saoma_demo_gateway_dispose (GObject *object)
{
  SaomaDemoGateway *self = (SaomaDemoGateway *) object;

  saoma_demo_gateway_stop (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (saoma_demo_gateway_parent_class)->dispose (object);
}

static void
saoma_demo_gateway_finalize (GObject *object)
{
  SaomaDemoGateway *self = (SaomaDemoGateway *) object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->base_uri, g_free);
  g_clear_pointer (&self->state_file, g_free);
  g_clear_pointer (&self->credentials_dir, g_free);
  g_clear_pointer (&self->certificate_path, g_free);
  g_clear_pointer (&self->v3_dir, g_free);

  G_OBJECT_CLASS (saoma_demo_gateway_parent_class)->finalize (object);
}

static void
saoma_demo_gateway_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SaomaDemoGateway *self = SAOMA_DEMO_GATEWAY (object);

  switch (prop_id)
    {
    case PROP_BASE_URI:
      g_value_set_string (value, self->base_uri);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_demo_gateway_class_init (SaomaDemoGatewayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_demo_gateway_dispose;
  object_class->finalize = saoma_demo_gateway_finalize;
  object_class->get_property = saoma_demo_gateway_get_property;

  properties[PROP_BASE_URI] =
    g_param_spec_string ("base-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
saoma_demo_gateway_init (SaomaDemoGateway *self)
{
  self->cancellable = g_cancellable_new ();
  self->session = soup_session_new_with_options ("timeout", 10, NULL);
}

SaomaDemoGateway *
saoma_demo_gateway_new (const char *state_file)
{
  SaomaDemoGateway *self = g_object_new (SAOMA_TYPE_DEMO_GATEWAY, NULL);

  self->state_file = g_strdup (state_file);
  self->credentials_dir = g_build_filename (g_get_user_data_dir (), "saoma", "demo-merchant", NULL);
  self->certificate_path = g_build_filename (self->credentials_dir, "client.pem", NULL);
  self->v3_dir = g_build_filename (self->credentials_dir, "v3", NULL);

  return self;
}

/**
 * saoma_demo_gateway_get_appid:
 * @self: a #SaomaDemoGateway
 *
 * Returns: (nullable): the demo merchant's appid, %NULL unless the simulator runs
 */
const char *
saoma_demo_gateway_get_appid (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->base_uri != NULL ? self->appid : NULL;
}

/**
 * saoma_demo_gateway_get_mch_id:
 * @self: a #SaomaDemoGateway
 *
 * Returns: (nullable): the demo merchant's mch_id, %NULL unless the simulator runs
 */
const char *
saoma_demo_gateway_get_mch_id (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->base_uri != NULL ? self->mch_id : NULL;
}

/**
 * saoma_demo_gateway_get_api_key:
 * @self: a #SaomaDemoGateway
 *
 * Returns: (nullable): the demo merchant's API key (random, made by the simulator), %NULL
 *   unless the simulator runs. Never log it.
 */
const char *
saoma_demo_gateway_get_api_key (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->base_uri != NULL ? self->api_key : NULL;
}

/**
 * saoma_demo_gateway_get_certificate_path:
 * @self: a #SaomaDemoGateway
 *
 * Returns: the PEM file of the demo merchant's client certificate and key (made by the
 *   simulator on its first start)
 */
const char *
saoma_demo_gateway_get_certificate_path (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->certificate_path;
}

/**
 * saoma_demo_gateway_get_v3_dir:
 * @self: a #SaomaDemoGateway
 *
 * Returns: the simulator's --v3-dir: the demo merchant's API v3 files (see wxpay-sim)
 */
const char *
saoma_demo_gateway_get_v3_dir (SaomaDemoGateway *self)
{
  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);

  return self->v3_dir;
}

/**
 * saoma_demo_gateway_dup_merchant:
 * @self: a #SaomaDemoGateway
 * @protocol: "v2" or "v3"
 *
 * Returns: (transfer full) (nullable): the demo merchant on the running simulator for
 *   saoma_gateway_new_for_merchant(): for v2 its client certificate loaded (refunds), for v3
 *   its key files; %NULL when the simulator does not run
 */
SaomaMerchant *
saoma_demo_gateway_dup_merchant (SaomaDemoGateway *self,
                                 const char       *protocol)
{
  SaomaMerchant *merchant;

  g_return_val_if_fail (SAOMA_IS_DEMO_GATEWAY (self), NULL);
  g_return_val_if_fail (g_strcmp0 (protocol, "v2") == 0 || g_strcmp0 (protocol, "v3") == 0,
                        NULL);

  if (self->base_uri == NULL)
    return NULL;

  merchant = saoma_merchant_new ();
  g_free (merchant->protocol);
  merchant->protocol = g_strdup (protocol);
  merchant->base_uri = g_strdup (self->base_uri);
  merchant->appid = g_strdup (self->appid);
  merchant->mch_id = g_strdup (self->mch_id);
  if (g_str_equal (protocol, "v2"))
    {
      merchant->api_key = g_strdup (self->api_key);
      merchant->certificate = self->certificate ? g_object_ref (self->certificate) : NULL;
      return merchant;
    }

  merchant->apiv3_key = g_strdup (self->apiv3_key);
  merchant->mch_private_key_path = g_build_filename (self->v3_dir, "apiclient_key.pem", NULL);
  merchant->mch_serial = g_strdup (self->mch_serial);
  merchant->wechatpay_public_key_path = g_build_filename (self->v3_dir, "pub_key.pem", NULL);
  merchant->wechatpay_public_key_id = g_strdup (self->wechatpay_public_key_id);
  return merchant;
}
