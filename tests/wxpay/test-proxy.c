/* test-proxy.c: WxpayClient reaches a loopback gateway directly and any other one through the
 * system's proxy resolver (here a test resolver registered as GIO's default, which counts its
 * lookups and names the test server as the proxy). */
#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "wxpay/wxpay.h"

#define APPID  "wxd930ea5d5a258f4f"
#define MCH_ID "10000100"
#define KEY    "192006250b4c09247ec02edce69f6a2d"

static guint lookups;
static char *proxy_uri;

#define TEST_TYPE_PROXY_RESOLVER (test_proxy_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestProxyResolver, test_proxy_resolver, TEST, PROXY_RESOLVER, GObject)

struct _TestProxyResolver
{
  GObject parent_instance;
};

static gboolean
resolver_is_supported (GProxyResolver *resolver)
{
  return TRUE;
}

static char **
resolver_lookup (GProxyResolver  *resolver,
                 const char      *uri,
                 GCancellable    *cancellable,
                 GError         **error)
{
  char *proxies[] = { proxy_uri, NULL };

  lookups++;
  return g_strdupv (proxies);
}

static void
resolver_lookup_async (GProxyResolver      *resolver,
                       const char          *uri,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_task_return_pointer (task, resolver_lookup (resolver, uri, cancellable, NULL),
                         (GDestroyNotify) g_strfreev);
}

static char **
resolver_lookup_finish (GProxyResolver  *resolver,
                        GAsyncResult    *result,
                        GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_proxy_resolver_iface_init (GProxyResolverInterface *iface)
{
  iface->is_supported = resolver_is_supported;
  iface->lookup = resolver_lookup;
  iface->lookup_async = resolver_lookup_async;
  iface->lookup_finish = resolver_lookup_finish;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProxyResolver, test_proxy_resolver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_PROXY_RESOLVER,
                                                      test_proxy_resolver_iface_init))

static void
test_proxy_resolver_class_init (TestProxyResolverClass *klass)
{
}

static void
test_proxy_resolver_init (TestProxyResolver *self)
{
}

typedef struct {
  SoupServer *server;
  guint       requests;
  char       *last_host;
  char       *base;
} Fixture;

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *f = user_data;
  static const char body[] =
    "<xml><return_code>FAIL</return_code><return_msg>test</return_msg></xml>";

  f->requests++;
  g_free (f->last_host);
  f->last_host = g_strdup (g_uri_get_host (soup_server_message_get_uri (msg)));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_STATIC, body, strlen (body));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, server_cb, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_free (proxy_uri);
  proxy_uri = g_strdup (f->base);
  lookups = 0;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_free (f->last_host);
  g_free (f->base);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* One orderquery; the answer (a FAIL) does not matter, only where the request went. */
static void
query (WxpayClient *client)
{
  g_autoptr(WxpayParams) request = wxpay_params_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(WxpayParams) answer = NULL;
  g_autoptr(GError) error = NULL;

  wxpay_params_set (request, "out_trade_no", "T01PROXY0001");
  wxpay_client_orderquery_async (client, request, NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  answer = wxpay_client_orderquery_finish (client, result, &error);
  g_assert_nonnull (error);
}

static void
test_loopback_direct (Fixture       *f,
                      gconstpointer  data)
{
  const char *bases[] = { f->base, NULL, NULL };
  g_autofree char *localhost = g_strdup_printf ("http://localhost:%s",
                                                strrchr (f->base, ':') + 1);

  bases[1] = localhost;
  for (guint i = 0; bases[i] != NULL; i++)
    {
      g_autoptr(WxpayClient) client = wxpay_client_new (bases[i], APPID, MCH_ID, KEY);
      guint before = f->requests;

      g_object_set (client, "timeout", 5, NULL);
      query (client);
      g_assert_cmpuint (f->requests, ==, before + 1);
      g_assert_cmpuint (lookups, ==, 0);
    }
}

static void
test_remote_proxied (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(WxpayClient) client = NULL;

  /* The test server stands in for the proxy; .invalid never resolves, so a request that
   * reaches the server went through the resolver's proxy. */
  client = wxpay_client_new ("http://wxpay.invalid", APPID, MCH_ID, KEY);
  /* The stand-in gateway speaks plain HTTP, which only loopback may otherwise. */
  g_object_set (client, "timeout", 5, "allow-remote-http", TRUE, NULL);
  query (client);
  g_assert_cmpuint (lookups, >=, 1);
  g_assert_cmpuint (f->requests, ==, 1);
  g_assert_cmpstr (f->last_host, ==, "wxpay.invalid");

  /* A loopback base with a remote backup: the backup would need the proxy, so it stays on. */
  g_clear_object (&client);
  lookups = 0;
  client = wxpay_client_new (f->base, APPID, MCH_ID, KEY);
  g_object_set (client, "backup-base-uri", "http://wxpay-backup.invalid", "timeout", 5,
                "allow-remote-http", TRUE, NULL);
  query (client);
  g_assert_cmpuint (lookups, >=, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Before anything asks for the default resolver. GIO registers its extension points lazily;
   * registering this one first is what it would do (a second registration returns it). */
  g_io_extension_point_set_required_type (
    g_io_extension_point_register (G_PROXY_RESOLVER_EXTENSION_POINT_NAME), G_TYPE_PROXY_RESOLVER);
  g_io_extension_point_implement (G_PROXY_RESOLVER_EXTENSION_POINT_NAME,
                                  TEST_TYPE_PROXY_RESOLVER, "saoma-test", 10000);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (g_proxy_resolver_get_default (),
                                             TEST_TYPE_PROXY_RESOLVER));

  g_test_add ("/client/proxy/loopback-direct", Fixture, NULL, fixture_setup,
              test_loopback_direct, fixture_teardown);
  g_test_add ("/client/proxy/remote-proxied", Fixture, NULL, fixture_setup,
              test_remote_proxied, fixture_teardown);

  return g_test_run ();
}
