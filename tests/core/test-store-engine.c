/* test-store-engine.c: the payment engine needs a SaomaStore, not SQLite. A store that is not
 * a SaomaLedger — it relays each call to a real ledger file on its own GTasks and counts the
 * calls — carries a payment from CREATED to PAID against an in-process wxpay-sim, and a second
 * engine recovers through it. Only the operations the engine uses are relayed: a call to any
 * other crashes the test. */
#include "config.h"

#include "core/saoma-checkout.h"
#include "core/saoma-wxpay2-gateway.h"
#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"
#include "sim/wxpay-sim-server.h"
#include "wxpay/wxpay.h"

#include "test-util.h"

/* --- A store that is not SQLite ------------------------------------------------------------ */

#define TEST_TYPE_RELAY_STORE (test_relay_store_get_type ())
G_DECLARE_FINAL_TYPE (TestRelayStore, test_relay_store, TEST, RELAY_STORE, GObject)

struct _TestRelayStore
{
  GObject     parent_instance;
  SaomaStore *inner;
  GHashTable *calls;   /* operation name → count */
};

static void test_relay_store_iface_init (SaomaStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestRelayStore, test_relay_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SAOMA_TYPE_STORE,
                                                      test_relay_store_iface_init))

typedef gpointer (*PtrFinish) (SaomaStore *store, GAsyncResult *result, GError **error);

typedef struct
{
  const char     *name;
  PtrFinish       finish;
  GDestroyNotify  result_free;
} RelayKind;

static const RelayKind insert_attempt_kind = {
  "insert_attempt", (PtrFinish) saoma_store_insert_attempt_finish, g_object_unref,
};
static const RelayKind update_attempt_kind = {
  "update_attempt", (PtrFinish) saoma_store_update_attempt_finish, g_object_unref,
};
static const RelayKind get_attempt_kind = {
  "get_attempt", (PtrFinish) saoma_store_get_attempt_finish, g_object_unref,
};
static const RelayKind list_unfinished_kind = {
  "list_unfinished", (PtrFinish) saoma_store_list_unfinished_finish,
  (GDestroyNotify) g_ptr_array_unref,
};
static const RelayKind list_events_kind = {
  "list_events", (PtrFinish) saoma_store_list_events_finish, (GDestroyNotify) g_ptr_array_unref,
};
static const RelayKind insert_refund_kind = {
  "insert_refund", (PtrFinish) saoma_store_insert_refund_finish,
  (GDestroyNotify) saoma_store_refund_free,
};
static const RelayKind update_refund_kind = {
  "update_refund", (PtrFinish) saoma_store_update_refund_finish,
  (GDestroyNotify) saoma_store_refund_free,
};
static const RelayKind list_refunds_kind = {
  "list_refunds", (PtrFinish) saoma_store_list_refunds_finish,
  (GDestroyNotify) g_ptr_array_unref,
};
static const RelayKind list_unfinished_refunds_kind = {
  "list_unfinished_refunds", (PtrFinish) saoma_store_list_unfinished_refunds_finish,
  (GDestroyNotify) g_ptr_array_unref,
};
static const RelayKind append_event_kind = { "append_event", NULL, NULL };
static const RelayKind insert_refund_leased_kind = {
  "insert_refund_leased", (PtrFinish) saoma_store_insert_refund_finish,
  (GDestroyNotify) saoma_store_refund_free,
};
static const RelayKind list_leases_kind = {
  "list_leases", (PtrFinish) saoma_store_list_leases_finish, (GDestroyNotify) g_ptr_array_unref,
};
static const RelayKind change_leases_kind = {
  "change_leases", (PtrFinish) saoma_store_change_leases_finish,
  (GDestroyNotify) g_ptr_array_unref,
};

/* The caller's task, on the relay (so callbacks see the relay as the source object). */
static GTask *
relay_task_new (SaomaStore          *store,
                const RelayKind     *kind,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  TestRelayStore *self = TEST_RELAY_STORE (store);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->calls, kind->name));

  g_hash_table_insert (self->calls, (gpointer) kind->name, GUINT_TO_POINTER (n + 1));
  g_task_set_task_data (task, (gpointer) kind, NULL);
  return task;
}

static void
relay_ptr_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const RelayKind *kind = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer value = kind->finish (SAOMA_STORE (source), result, &error);

  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, kind->result_free);
}

static gpointer
relay_ptr_finish (SaomaStore    *store,
                  GAsyncResult  *result,
                  GError       **error)
{
  g_assert_true (g_task_is_valid (result, store));
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
relay_bool_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (saoma_store_append_event_finish (SAOMA_STORE (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
relay_insert_attempt_async (SaomaStore          *store,
                            SaomaAttempt        *attempt,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = relay_task_new (store, &insert_attempt_kind, cancellable, callback, user_data);

  saoma_store_insert_attempt_async (TEST_RELAY_STORE (store)->inner, attempt, cancellable,
                                    relay_ptr_cb, task);
}

static void
relay_update_attempt_async (SaomaStore               *store,
                            const char               *out_trade_no,
                            const SaomaAttemptUpdate *update,
                            GCancellable             *cancellable,
                            GAsyncReadyCallback       callback,
                            gpointer                  user_data)
{
  GTask *task = relay_task_new (store, &update_attempt_kind, cancellable, callback, user_data);

  saoma_store_update_attempt_async (TEST_RELAY_STORE (store)->inner, out_trade_no, update,
                                    cancellable, relay_ptr_cb, task);
}

static void
relay_get_attempt_async (SaomaStore          *store,
                         const char          *out_trade_no,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = relay_task_new (store, &get_attempt_kind, cancellable, callback, user_data);

  saoma_store_get_attempt_async (TEST_RELAY_STORE (store)->inner, out_trade_no, cancellable,
                                 relay_ptr_cb, task);
}

static void
relay_append_event_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          const char          *kind,
                          const char          *detail,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = relay_task_new (store, &append_event_kind, cancellable, callback, user_data);

  saoma_store_append_event_async (TEST_RELAY_STORE (store)->inner, out_trade_no, kind, detail,
                                  cancellable, relay_bool_cb, task);
}

static void
relay_append_fenced_event_async (SaomaStore          *store,
                                 SaomaLeaseKind       lease_kind,
                                 const char          *lease_key,
                                 const char          *owner,
                                 const char          *out_trade_no,
                                 const char          *kind,
                                 const char          *detail,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = relay_task_new (store, &append_event_kind, cancellable, callback, user_data);

  saoma_store_append_fenced_event_async (TEST_RELAY_STORE (store)->inner, lease_kind, lease_key,
                                         owner, out_trade_no, kind, detail, cancellable,
                                         relay_bool_cb, task);
}

static gboolean
relay_bool_finish (SaomaStore    *store,
                   GAsyncResult  *result,
                   GError       **error)
{
  g_assert_true (g_task_is_valid (result, store));
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
relay_list_events_async (SaomaStore          *store,
                         const char          *out_trade_no,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = relay_task_new (store, &list_events_kind, cancellable, callback, user_data);

  saoma_store_list_events_async (TEST_RELAY_STORE (store)->inner, out_trade_no, cancellable,
                                 relay_ptr_cb, task);
}

static void
relay_list_unfinished_async (SaomaStore          *store,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = relay_task_new (store, &list_unfinished_kind, cancellable, callback, user_data);

  saoma_store_list_unfinished_async (TEST_RELAY_STORE (store)->inner, cancellable,
                                     relay_ptr_cb, task);
}

static void
relay_insert_refund_async (SaomaStore          *store,
                           const char          *out_trade_no,
                           const char          *out_refund_no,
                           gint64               amount,
                           const char          *reason,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = relay_task_new (store, &insert_refund_kind, cancellable, callback, user_data);

  saoma_store_insert_refund_async (TEST_RELAY_STORE (store)->inner, out_trade_no, out_refund_no,
                                   amount, reason, cancellable, relay_ptr_cb, task);
}

static void
relay_update_refund_async (SaomaStore          *store,
                           const char          *out_refund_no,
                           SaomaRefundState     state,
                           const char          *refund_id,
                           const char          *event_detail,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = relay_task_new (store, &update_refund_kind, cancellable, callback, user_data);

  saoma_store_update_refund_async (TEST_RELAY_STORE (store)->inner, out_refund_no, state,
                                   refund_id, event_detail, cancellable, relay_ptr_cb, task);
}

static void
relay_list_refunds_async (SaomaStore          *store,
                          const char          *out_trade_no,
                          gint64               start_us,
                          gint64               end_us,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task = relay_task_new (store, &list_refunds_kind, cancellable, callback, user_data);

  saoma_store_list_refunds_async (TEST_RELAY_STORE (store)->inner, out_trade_no, start_us,
                                  end_us, cancellable, relay_ptr_cb, task);
}

static void
relay_list_unfinished_refunds_async (SaomaStore          *store,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = relay_task_new (store, &list_unfinished_refunds_kind, cancellable, callback,
                                user_data);

  saoma_store_list_unfinished_refunds_async (TEST_RELAY_STORE (store)->inner, cancellable,
                                             relay_ptr_cb, task);
}

static void
relay_update_refund_fenced_async (SaomaStore          *store,
                                  const char          *out_refund_no,
                                  SaomaRefundState     state,
                                  const char          *refund_id,
                                  const char          *event_detail,
                                  const char          *owner,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task = relay_task_new (store, &update_refund_kind, cancellable, callback, user_data);

  saoma_store_update_refund_fenced_async (TEST_RELAY_STORE (store)->inner, out_refund_no, state,
                                          refund_id, event_detail, owner, cancellable,
                                          relay_ptr_cb, task);
}

static void
relay_insert_refund_leased_async (SaomaStore          *store,
                                  const char          *out_trade_no,
                                  const char          *out_refund_no,
                                  gint64               amount,
                                  const char          *reason,
                                  const char          *owner,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task = relay_task_new (store, &insert_refund_leased_kind, cancellable, callback,
                                user_data);

  saoma_store_insert_refund_leased_async (TEST_RELAY_STORE (store)->inner, out_trade_no,
                                          out_refund_no, amount, reason, owner, cancellable,
                                          relay_ptr_cb, task);
}

static void
relay_list_leases_async (SaomaStore          *store,
                         SaomaLeaseKind       kind,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = relay_task_new (store, &list_leases_kind, cancellable, callback, user_data);

  saoma_store_list_leases_async (TEST_RELAY_STORE (store)->inner, kind, cancellable,
                                 relay_ptr_cb, task);
}

static void
relay_change_leases_async (SaomaStore          *store,
                           SaomaLeaseChange     change,
                           const char          *owner,
                           GPtrArray           *leases,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = relay_task_new (store, &change_leases_kind, cancellable, callback, user_data);

  saoma_store_change_leases_async (TEST_RELAY_STORE (store)->inner, change, owner, leases,
                                   cancellable, relay_ptr_cb, task);
}

static void
test_relay_store_iface_init (SaomaStoreInterface *iface)
{
  iface->insert_attempt_async = relay_insert_attempt_async;
  iface->insert_attempt_finish = (gpointer) relay_ptr_finish;
  iface->update_attempt_async = relay_update_attempt_async;
  iface->update_attempt_finish = (gpointer) relay_ptr_finish;
  iface->get_attempt_async = relay_get_attempt_async;
  iface->get_attempt_finish = (gpointer) relay_ptr_finish;
  iface->append_event_async = relay_append_event_async;
  iface->append_event_finish = relay_bool_finish;
  iface->list_events_async = relay_list_events_async;
  iface->list_events_finish = (gpointer) relay_ptr_finish;
  iface->list_unfinished_async = relay_list_unfinished_async;
  iface->list_unfinished_finish = (gpointer) relay_ptr_finish;
  iface->insert_refund_async = relay_insert_refund_async;
  iface->insert_refund_finish = (gpointer) relay_ptr_finish;
  iface->update_refund_async = relay_update_refund_async;
  iface->update_refund_finish = (gpointer) relay_ptr_finish;
  iface->list_refunds_async = relay_list_refunds_async;
  iface->list_refunds_finish = (gpointer) relay_ptr_finish;
  iface->list_unfinished_refunds_async = relay_list_unfinished_refunds_async;
  iface->list_unfinished_refunds_finish = (gpointer) relay_ptr_finish;
  iface->update_refund_fenced_async = relay_update_refund_fenced_async;
  iface->insert_refund_leased_async = relay_insert_refund_leased_async;
  iface->list_leases_async = relay_list_leases_async;
  iface->list_leases_finish = (gpointer) relay_ptr_finish;
  iface->change_leases_async = relay_change_leases_async;
  iface->change_leases_finish = (gpointer) relay_ptr_finish;
  iface->append_fenced_event_async = relay_append_fenced_event_async;
}

static void
relay_object_signal_cb (TestRelayStore *self,
                        GObject        *object,
                        const char     *signal)
{
  g_signal_emit_by_name (self, signal, object);
}

static void
attempt_added_cb (SaomaStore     *inner,
                  SaomaAttempt   *attempt,
                  TestRelayStore *self)
{
  relay_object_signal_cb (self, G_OBJECT (attempt), "attempt-added");
}

static void
attempt_changed_cb (SaomaStore     *inner,
                    SaomaAttempt   *attempt,
                    TestRelayStore *self)
{
  relay_object_signal_cb (self, G_OBJECT (attempt), "attempt-changed");
}

static void
refund_changed_cb (SaomaStore     *inner,
                   const char     *out_refund_no,
                   TestRelayStore *self)
{
  g_signal_emit_by_name (self, "refund-changed", out_refund_no);
}

static void
test_relay_store_finalize (GObject *object)
{
  TestRelayStore *self = TEST_RELAY_STORE (object);

  g_signal_handlers_disconnect_by_data (self->inner, self);
  g_clear_object (&self->inner);
  g_clear_pointer (&self->calls, g_hash_table_unref);
  G_OBJECT_CLASS (test_relay_store_parent_class)->finalize (object);
}

static void
test_relay_store_class_init (TestRelayStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_relay_store_finalize;
}

static void
test_relay_store_init (TestRelayStore *self)
{
  self->calls = g_hash_table_new (g_str_hash, g_str_equal);
}

static TestRelayStore *
test_relay_store_new (SaomaStore *inner)
{
  TestRelayStore *self = g_object_new (TEST_TYPE_RELAY_STORE, NULL);

  self->inner = g_object_ref (inner);
  g_signal_connect (inner, "attempt-added", G_CALLBACK (attempt_added_cb), self);
  g_signal_connect (inner, "attempt-changed", G_CALLBACK (attempt_changed_cb), self);
  g_signal_connect (inner, "refund-changed", G_CALLBACK (refund_changed_cb), self);
  return self;
}

static guint
relay_calls (TestRelayStore *self,
             const char     *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->calls, name));
}

/* --- The engine on it ---------------------------------------------------------------------- */

typedef struct {
  char           *dir;
  SaomaLedger    *ledger;
  TestRelayStore *relay;
  WxpaySimServer *sim;
  WxpayClient    *client;
  SaomaClock     *clock;
  guint           changed;   /* "attempt-changed" heard on the relay */
} Fixture;

static void
changed_cb (SaomaStore   *store,
            SaomaAttempt *attempt,
            Fixture      *f)
{
  f->changed++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("saoma-store-engine-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "ledger.db", NULL);
  f->ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  f->relay = test_relay_store_new (SAOMA_STORE (f->ledger));
  g_signal_connect (f->relay, "attempt-changed", G_CALLBACK (changed_cb), f);

  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "time-scale", 0.001, "seed", (guint64)7, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->client = wxpay_client_new (wxpay_sim_server_get_base_uri (f->sim), WXPAY_SIM_DEFAULT_APPID,
                                WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY);
  f->clock = saoma_clock_new_manual (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC
                                     * G_USEC_PER_SEC);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->client);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->relay);
  g_clear_object (&f->ledger);
  g_clear_object (&f->clock);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  saoma_test_rm_rf (f->dir);
  g_free (f->dir);
}

static SaomaCheckout *
make_checkout (Fixture *f)
{
  g_autoptr(SaomaWxpay2Gateway) gateway = saoma_wxpay2_gateway_new (f->client);
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();

  g_free (config->notify_url);
  config->notify_url = g_strdup ("http://127.0.0.1:9/notify");
  return saoma_checkout_new (SAOMA_GATEWAY (gateway), SAOMA_STORE (f->relay), f->clock, config);
}

/* Runs the main loop until @checkout has nothing in flight (real time bounded). */
static void
settle (SaomaCheckout *checkout)
{
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds (20, saoma_test_guard_cb, &timed_out);

  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (saoma_checkout_get_pending_operations (checkout) == 0)
        break;
      g_main_context_iteration (NULL, TRUE);
      g_assert_false (timed_out);
    }
  g_source_remove (guard);
}

static void
advance (Fixture       *f,
         SaomaCheckout *checkout,
         int            seconds)
{
  for (int i = 0; i < seconds; i++)
    {
      wxpay_sim_server_advance_clock (f->sim, 1);
      saoma_clock_advance (f->clock, G_USEC_PER_SEC);
      settle (checkout);
    }
}

static void
recovered_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  guint *resumed = user_data;
  g_autoptr(GError) error = NULL;

  *resumed = saoma_checkout_recover_finish (SAOMA_CHECKOUT (source), result, &error);
  g_assert_no_error (error);
}

static void
test_paid_through_any_store (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(SaomaCheckout) checkout = make_checkout (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *otn = NULL;

  g_assert_true (saoma_checkout_get_store (checkout) == SAOMA_STORE (f->relay));
  g_assert_true (saoma_checkout_charge (checkout, 880, "Relay sale", &error));
  g_assert_no_error (error);
  otn = g_strdup (saoma_checkout_get_out_trade_no (checkout));
  settle (checkout);
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_WAITING);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  advance (f, checkout, 3);
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_PAID);

  /* Every durable step went through the relay: one insert, then CREATED → SUBMITTED →
   * WAITING → PAID as updates, with audit events; the views heard each change from it. */
  g_assert_cmpuint (relay_calls (f->relay, "insert_attempt"), ==, 1);
  g_assert_cmpuint (relay_calls (f->relay, "update_attempt"), >=, 3);
  g_assert_cmpuint (relay_calls (f->relay, "append_event"), >=, 1);
  g_assert_cmpuint (f->changed, >=, 3);

  /* And it is in the real file underneath. */
  attempt = saoma_ledger_get_attempt_sync (f->ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
  g_assert_cmpint (saoma_attempt_get_amount (attempt), ==, 880);
}

typedef struct {
  Fixture *f;
  guint    notified;
  guint    inserts_then;   /* the store's insert calls when the views first heard of the sale */
} ViewsSeen;

static void
busy_notified_cb (SaomaCheckout *checkout,
                  GParamSpec    *pspec,
                  ViewsSeen     *seen)
{
  if (seen->notified++ == 0)
    seen->inserts_then = relay_calls (seen->f->relay, "insert_attempt");
}

/* Issue 19: a sale's one durable write before its request is handed to the store before the
 * views hear of the sale, so the disk syncs while they change; what they hear is unchanged. */
static void
test_insert_before_views (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(SaomaCheckout) checkout = make_checkout (f);
  g_autoptr(GError) error = NULL;
  ViewsSeen seen = { f, 0, 0 };
  gulong id;

  id = g_signal_connect (checkout, "notify::busy", G_CALLBACK (busy_notified_cb), &seen);
  g_assert_true (saoma_checkout_charge (checkout, 660, "Early write", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen.notified, >=, 1);
  g_assert_cmpuint (seen.inserts_then, ==, 1);
  g_assert_true (saoma_checkout_get_busy (checkout));
  g_signal_handler_disconnect (checkout, id);

  settle (checkout);
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_WAITING);
  g_assert_cmpuint (relay_calls (f->relay, "insert_attempt"), ==, 1);
}

static void
test_recover_through_any_store (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(SaomaCheckout) first = make_checkout (f);
  g_autoptr(SaomaCheckout) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autofree char *otn = NULL;
  guint resumed = G_MAXUINT;

  /* The first engine leaves a WAITING attempt behind and goes away. */
  g_assert_true (saoma_checkout_charge (first, 1500, "Relay sale", &error));
  g_assert_no_error (error);
  otn = g_strdup (saoma_checkout_get_out_trade_no (first));
  settle (first);
  g_assert_cmpint (saoma_checkout_get_state (first), ==, SAOMA_CHECKOUT_WAITING);
  g_clear_object (&first);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* The payer pays meanwhile; a new engine finds the attempt through the relay. */
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  second = make_checkout (f);
  saoma_checkout_recover_async (second, NULL, recovered_cb, &resumed);
  for (int i = 0; i < 30 && resumed == G_MAXUINT; i++)
    advance (f, second, 1);
  g_assert_cmpuint (resumed, ==, 1);
  g_assert_cmpuint (relay_calls (f->relay, "list_unfinished"), ==, 1);

  attempt = saoma_ledger_get_attempt_sync (f->ledger, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saoma_attempt_get_state (attempt), ==, SAOMA_ATTEMPT_PAID);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store-engine/paid", Fixture, NULL, fixture_setup, test_paid_through_any_store,
              fixture_teardown);
  g_test_add ("/store-engine/insert-before-views", Fixture, NULL, fixture_setup,
              test_insert_before_views, fixture_teardown);
  g_test_add ("/store-engine/recover", Fixture, NULL, fixture_setup,
              test_recover_through_any_store, fixture_teardown);

  return g_test_run ();
}
