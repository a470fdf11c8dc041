/* saoma-notify-listener.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notifications are hints (DESIGN.md rule 6): the listener only verifies and forwards them;
 * the checkout confirms each payment with an orderquery before anything is marked paid, and
 * the refunder each refund with a refundquery before the money counts as returned.
 */

#define G_LOG_DOMAIN "saoma-notify-listener"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "saoma-log.h"
#include "saoma-notify-listener.h"

/* WeChat's notifications are small; anything bigger is refused (by the guard, as it arrives). */
#define MAX_BODY_SIZE WXPAY_SERVER_GUARD_DEFAULT_MAX_BODY

/* Within a replay window, how many notifications of one order go through the whole path (a
 * ledger read or an event, maybe an orderquery) before the rest are answered from memory. More
 * than one, because a hint that came before the payment is worth repeating once it is made. */
#define REPLAY_BURST 3
/* Orders remembered at once; beyond it notifications simply take the whole path. */
#define REPLAY_MAX_ORDERS 4096

struct _SaomaNotifyListener
{
  GObject        parent_instance;

  SaomaCheckout *checkout;
  SaomaRefunder *refunder;
  char          *path;
  char          *refund_path;
  char          *uri;
  char          *refund_uri;
  SoupServer    *server;
  WxpayServerGuard *guard;
  GCancellable  *cancellable;

  guint          replay_window;  /* seconds; 0: every notification takes the whole path */
  GHashTable    *seen;           /* "P:out_trade_no" / "R:out_refund_no" → Seen (owned) */
  guint          seen_sweep_id;
};

/*
 * What was answered to the verified notifications of one order in the current window. A
 * replay costs a parse and a signature check, nothing more: no ledger write, no query, no log
 * line; the window's repeats are recorded once when it ends.
 */
typedef struct {
  char        *out_trade_no;
  char        *out_refund_no; /* refunds only */
  SaomaStore  *store;         /* where the repeats are recorded (known orders only) */
  gint64       window_end;    /* monotonic µs */
  guint        forwarded;     /* took the whole path in this window */
  guint        repeats;       /* answered from memory in this window */
  gboolean     answered;
  gboolean     success;
  gboolean     settled;       /* the answer cannot change: no need to ask again */
  char        *message;
} Seen;

enum {
  PROP_0,
  PROP_CHECKOUT,
  PROP_PATH,
  PROP_URI,
  PROP_REFUNDER,
  PROP_REFUND_PATH,
  PROP_REFUND_URI,
  PROP_REPLAY_WINDOW,
  N_PROPS
};

enum {
  HANDLED,
  REFUND_HANDLED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SaomaNotifyListener, saoma_notify_listener, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct {
  SaomaNotifyListener *self;
  SoupServerMessage   *msg;
  SaomaGateway        *gateway;
  SaomaGatewayEvent   *event;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->msg);
  g_clear_object (&data->gateway);
  g_clear_pointer (&data->event, saoma_gateway_event_free);
  g_free (data);
}


/* --- Replays ---------------------------------------------------------------------------------- */

static void
seen_free (Seen *seen)
{
  g_clear_object (&seen->store);
  g_free (seen->out_trade_no);
  g_free (seen->out_refund_no);
  g_free (seen->message);
  g_free (seen);
}

static void
append_event_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!saoma_store_append_event_finish (SAOMA_STORE (object), result, &error))
    g_message ("Could not record repeated notifications: %s", error->message);
}

/* The end of a window: its repeats become one log line and, for an order of ours, one audit
 * event. */
static void
seen_flush (Seen *seen)
{
  g_autofree char *otn = NULL;
  g_autofree char *detail = NULL;

  if (seen->repeats == 0)
    return;

  otn = saoma_log_escape (seen->out_refund_no ? seen->out_refund_no : seen->out_trade_no);
  detail = g_strdup_printf ("%s repeated %u times (answered %s from memory)",
                            seen->out_refund_no ? "refund notification" : "notification",
                            seen->repeats, seen->success ? "SUCCESS" : "FAIL");
  g_message ("%s: %s", otn, detail);
  if (seen->store != NULL)
    saoma_store_append_event_async (seen->store, seen->out_trade_no, "notification", detail,
                                    NULL, append_event_cb, NULL);
  seen->repeats = 0;
}

static gboolean
seen_sweep_cb (gpointer user_data)
{
  SaomaNotifyListener *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->seen);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Seen *seen = value;

      if (now >= seen->window_end)
        {
          seen_flush (seen);
          g_hash_table_iter_remove (&iter);
        }
    }

  if (g_hash_table_size (self->seen) == 0)
    {
      self->seen_sweep_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Forgets every window, recording their repeats (a new engine, or the end). */
static void
seen_clear (SaomaNotifyListener *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->seen);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    seen_flush (value);
  g_hash_table_remove_all (self->seen);
  g_clear_handle_id (&self->seen_sweep_id, g_source_remove);
}

static char *
seen_key (SaomaGatewayEventKind kind,
          const char           *id)
{
  return g_strconcat (kind == SAOMA_GATEWAY_EVENT_REFUND ? "R:" : "P:", id, NULL);
}

/* The window of a verified notification's order, opened when needed; NULL when replays are not
 * limited or too many orders are remembered. */
static Seen *
seen_for_event (SaomaNotifyListener     *self,
                const SaomaGatewayEvent *event)
{
  gboolean refund = event->kind == SAOMA_GATEWAY_EVENT_REFUND;
  const char *id = refund ? event->out_refund_no : event->out_trade_no;
  g_autofree char *key = NULL;
  Seen *seen;

  if (self->replay_window == 0 || id == NULL || *id == '\0')
    return NULL;

  key = seen_key (event->kind, id);
  seen = g_hash_table_lookup (self->seen, key);
  if (seen != NULL && g_get_monotonic_time () >= seen->window_end)
    {
      seen_flush (seen);
      g_hash_table_remove (self->seen, key);
      seen = NULL;
    }
  if (seen != NULL)
    return seen;

  if (g_hash_table_size (self->seen) >= REPLAY_MAX_ORDERS)
    return NULL;

  seen = g_new0 (Seen, 1);
  seen->out_trade_no = g_strdup (event->out_trade_no);
  seen->out_refund_no = refund ? g_strdup (id) : NULL;
  seen->window_end = g_get_monotonic_time () + (gint64)self->replay_window * G_USEC_PER_SEC;
  g_hash_table_insert (self->seen, g_steal_pointer (&key), seen);
  if (self->seen_sweep_id == 0)
    self->seen_sweep_id = g_timeout_add_seconds (1, seen_sweep_cb, self);
  return seen;
}

/* Keeps the answer given to @id's notification for the repeats of its window. @store (when
 * the order is ours) is where the repeats will be recorded. */
static void
seen_answer (SaomaNotifyListener  *self,
             SaomaGatewayEventKind kind,
             const char           *id,
             gboolean              success,
             const char           *message,
             gboolean              settled,
             SaomaStore           *store)
{
  g_autofree char *key = NULL;
  Seen *seen;

  if (id == NULL)
    return;
  key = seen_key (kind, id);
  seen = g_hash_table_lookup (self->seen, key);
  if (seen == NULL)
    return;

  seen->answered = TRUE;
  seen->success = success;
  seen->settled = settled;
  g_free (seen->message);
  seen->message = g_strdup (message);
  if (store != NULL && seen->store == NULL && seen->out_trade_no != NULL)
    seen->store = g_object_ref (store);
}

/* --- Replies ---------------------------------------------------------------------------------- */

/* The gateway words the reply (@gateway NULL: nobody can verify anything yet, so WeChat is
 * told to come back later). */
static void
write_reply (SaomaGateway      *gateway,
             SoupServerMessage *msg,
             guint              status,
             gboolean           success,
             const char        *message)
{
  g_autoptr(GBytes) body = NULL;
  gsize len = 0;
  const char *data;
  const char *content_type = NULL;

  if (gateway == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  body = saoma_gateway_notification_reply (gateway, success, message);
  data = g_bytes_get_data (body, &len);
  /* An ordinary answer takes the protocol's status (v3: the status, not the body, decides
   * whether WeChat retries); a transport refusal (too large) keeps its own. */
  if (status == SOUP_STATUS_OK)
    status = saoma_gateway_notification_reply_status (gateway, success, &content_type);
  else
    saoma_gateway_notification_reply_status (gateway, success, &content_type);
  soup_server_message_set_status (msg, status, NULL);
  if (status == SOUP_STATUS_NO_CONTENT)
    return;
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, data, len);
}

/* @id and @message may come from the network (a verified notification's ids, a parser's
 * complaint about an unauthenticated body): escaped, so that they cannot forge a log line. */
static void
send_reply (SaomaGateway      *gateway,
            SoupServerMessage *msg,
            guint              status,
            gboolean           success,
            const char        *message,
            const char        *what,
            const char        *id)
{
  g_autofree char *safe_id = id ? saoma_log_escape (id) : g_strdup ("?");
  g_autofree char *safe_message = saoma_log_escape (message);

  write_reply (gateway, msg, status, success, message);

  if (success && gateway != NULL)
    g_debug ("%s for %s acknowledged", what, safe_id);
  else
    g_message ("%s for %s refused: %s", what, safe_id, safe_message);
}

static void
reply (SaomaNotifyListener *self,
       SaomaGateway        *gateway,
       SoupServerMessage   *msg,
       guint                status,
       gboolean             success,
       const char          *message,
       const char          *out_trade_no)
{
  send_reply (gateway, msg, status, success, message, "Notification", out_trade_no);
  g_signal_emit (self, signals[HANDLED], 0, out_trade_no, success);
}

static void
refund_reply (SaomaNotifyListener *self,
              SaomaGateway        *gateway,
              SoupServerMessage   *msg,
              gboolean             success,
              const char          *message,
              const char          *out_refund_no)
{
  send_reply (gateway, msg, SOUP_STATUS_OK, success, message, "Refund notification",
              out_refund_no);
  g_signal_emit (self, signals[REFUND_HANDLED], 0, out_refund_no, success);
}

/* An order this engine does not drive: answer from the ledger so that duplicates of an
 * already-recorded payment stop, and anything else is retried by WeChat later. */
static void
get_attempt_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  LookupData *data = user_data;
  g_autoptr(SaomaAttempt) attempt = NULL;
  g_autoptr(GError) error = NULL;
  const char *out_trade_no = data->event->out_trade_no;

  attempt = saoma_store_get_attempt_finish (SAOMA_STORE (object), result, &error);

  soup_server_message_unpause (data->msg);

  if (attempt == NULL)
    {
      /* Not ours (a failed read is only a reason to be asked again). */
      seen_answer (data->self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, FALSE,
                   "unknown out_trade_no",
                   g_error_matches (error, SAOMA_LEDGER_ERROR, SAOMA_LEDGER_ERROR_NOT_FOUND),
                   NULL);
      reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE,
             "unknown out_trade_no", out_trade_no);
    }
  else if (data->event->amount != saoma_attempt_get_amount (attempt))
    {
      g_autofree char *safe_otn = saoma_log_escape (out_trade_no);

      g_message ("Notification for %s with a total_fee that differs from the ledger", safe_otn);
      seen_answer (data->self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, FALSE,
                   "total_fee mismatch", TRUE, SAOMA_STORE (object));
      reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE, "total_fee mismatch",
             out_trade_no);
    }
  else
    {
      SaomaAttemptState state = saoma_attempt_get_state (attempt);

      if (state == SAOMA_ATTEMPT_PAID || state == SAOMA_ATTEMPT_PARTIALLY_REFUNDED ||
          state == SAOMA_ATTEMPT_REFUNDED)
        {
          seen_answer (data->self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, TRUE, "OK", TRUE,
                       SAOMA_STORE (object));
          reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, TRUE, "OK",
                 out_trade_no);
        }
      else
        {
          g_autofree char *safe_otn = saoma_log_escape (out_trade_no);

          /* Recorded but not driven here (not yet recovered, or already given up): let WeChat
           * retry; recovery or reconciliation will settle it. */
          g_message ("Notification for %s, %s in the ledger and not driven by this till",
                     safe_otn, saoma_attempt_state_to_string (state));
          seen_answer (data->self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, FALSE,
                       "order not active on this till", FALSE, SAOMA_STORE (object));
          reply (data->self, data->gateway, data->msg, SOUP_STATUS_OK, FALSE,
                 "order not active on this till", out_trade_no);
        }
    }

  lookup_data_free (data);
}

static void
follow_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autofree char *out_refund_no = user_data;
  g_autoptr(SaomaLedgerRefund) row = NULL;
  g_autoptr(GError) error = NULL;

  row = saoma_refunder_follow_finish (SAOMA_REFUNDER (object), result, &error);
  if (row == NULL)
    {
      g_autofree char *safe_orn = saoma_log_escape (out_refund_no);
      g_autofree char *safe_message = saoma_log_escape (error->message);

      g_message ("Refund %s resumed after a notification: %s", safe_orn, safe_message);
    }
}

/* A refund the refunder is not driving: the ledger decides whether it is ours. */
static void
list_refunds_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LookupData *data = user_data;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GError) error = NULL;
  const char *out_refund_no = data->event->out_refund_no;
  const SaomaLedgerRefund *found = NULL;

  refunds = saoma_store_list_refunds_finish (SAOMA_STORE (object), result, &error);
  soup_server_message_unpause (data->msg);

  for (guint i = 0; refunds != NULL && i < refunds->len; i++)
    {
      const SaomaLedgerRefund *row = g_ptr_array_index (refunds, i);

      if (g_strcmp0 (row->out_refund_no, out_refund_no) == 0)
        found = row;
    }

  if (refunds == NULL)
    refund_reply (data->self, data->gateway, data->msg, FALSE, "ledger unavailable",
                  out_refund_no);
  else if (found == NULL)
    {
      seen_answer (data->self, SAOMA_GATEWAY_EVENT_REFUND, out_refund_no, FALSE,
                   "unknown out_refund_no", TRUE, NULL);
      refund_reply (data->self, data->gateway, data->msg, FALSE, "unknown out_refund_no",
                    out_refund_no);
    }
  else
    {
      /* Recorded but not followed (e.g. left by an earlier run): follow it now; the query,
       * not this notification, will move it. A final one is simply acknowledged again. */
      if (!saoma_refund_state_is_final (found->state) && data->self->refunder != NULL)
        saoma_refunder_follow_async (data->self->refunder, out_refund_no, NULL, follow_cb,
                                     g_strdup (out_refund_no));
      seen_answer (data->self, SAOMA_GATEWAY_EVENT_REFUND, out_refund_no, TRUE, "OK",
                   saoma_refund_state_is_final (found->state), SAOMA_STORE (object));
      refund_reply (data->self, data->gateway, data->msg, TRUE, "OK", out_refund_no);
    }

  lookup_data_free (data);
}

/* A verified refund notification: only a hint for the refunder (§10). */
static void
handle_refund (SaomaNotifyListener *self,
               SaomaGateway        *gateway,
               SoupServerMessage   *msg,
               SaomaGatewayEvent   *event)
{
  LookupData *data;

  if (self->refunder == NULL)
    {
      refund_reply (self, gateway, msg, FALSE, "not ready", NULL);
      return;
    }

  if (event->out_refund_no == NULL || *event->out_refund_no == '\0' ||
      event->out_trade_no == NULL || *event->out_trade_no == '\0')
    {
      refund_reply (self, gateway, msg, FALSE, "out_refund_no or out_trade_no missing", NULL);
      return;
    }

  if (saoma_refunder_hint (self->refunder, event->out_refund_no))
    {
      /* The refunder confirms it with a refundquery: a repeat may still be worth a hint. */
      seen_answer (self, SAOMA_GATEWAY_EVENT_REFUND, event->out_refund_no, TRUE, "OK", FALSE,
                   saoma_refunder_get_store (self->refunder));
      refund_reply (self, gateway, msg, TRUE, "OK", event->out_refund_no);
      return;
    }

  data = g_new0 (LookupData, 1);
  data->self = g_object_ref (self);
  data->msg = g_object_ref (msg);
  data->gateway = g_object_ref (gateway);
  data->event = saoma_gateway_event_copy (event);
  soup_server_message_pause (msg);
  saoma_store_list_refunds_async (saoma_refunder_get_store (self->refunder),
                                  event->out_trade_no, 0, 0, self->cancellable,
                                  list_refunds_cb, data);
}

static void
handle_payment (SaomaNotifyListener *self,
                SaomaGateway        *gateway,
                SoupServerMessage   *msg,
                SaomaGatewayEvent   *event)
{
  g_autoptr(GError) error = NULL;
  const char *out_trade_no = event->out_trade_no;

  if (self->checkout == NULL)
    {
      reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, "not ready", NULL);
      return;
    }

  if (!saoma_checkout_apply_notification (self->checkout, event, &error))
    {
      if (g_error_matches (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_UNKNOWN_ORDER))
        {
          LookupData *data = g_new0 (LookupData, 1);

          data->self = g_object_ref (self);
          data->msg = g_object_ref (msg);
          data->gateway = g_object_ref (gateway);
          data->event = saoma_gateway_event_copy (event);
          soup_server_message_pause (msg);
          saoma_store_get_attempt_async (saoma_checkout_get_store (self->checkout),
                                         out_trade_no, self->cancellable, get_attempt_cb, data);
          return;
        }

      /* A wrong amount or a notification without success stays wrong for its repeats. */
      seen_answer (self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, FALSE, error->message,
                   g_error_matches (error, SAOMA_CHECKOUT_ERROR,
                                    SAOMA_CHECKOUT_ERROR_AMOUNT_MISMATCH) ||
                     g_error_matches (error, SAOMA_CHECKOUT_ERROR, SAOMA_CHECKOUT_ERROR_INVALID),
                   saoma_checkout_get_store (self->checkout));
      reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, error->message, out_trade_no);
      return;
    }

  /* Once the engine has the attempt PAID, a repeat changes nothing; before, it is a hint that
   * may come after the payment and is let through up to REPLAY_BURST times a window. */
  seen_answer (self, SAOMA_GATEWAY_EVENT_PAYMENT, out_trade_no, TRUE, "OK",
               g_strcmp0 (saoma_checkout_get_out_trade_no (self->checkout), out_trade_no) == 0 &&
                 saoma_checkout_get_state (self->checkout) == SAOMA_CHECKOUT_PAID,
               saoma_checkout_get_store (self->checkout));
  reply (self, gateway, msg, SOUP_STATUS_OK, TRUE, "OK", out_trade_no);
}

/* The gateway that verifies what arrives on a path: the refunder's for refunds, the checkout's
 * for payments, either when only one is set (they share the merchant's credentials). */
static SaomaGateway *
pick_gateway (SaomaNotifyListener *self,
              gboolean             refund_path)
{
  SaomaGateway *checkout_gateway = self->checkout ? saoma_checkout_get_gateway (self->checkout)
                                                  : NULL;
  SaomaGateway *refund_gateway = self->refunder ? saoma_refunder_get_gateway (self->refunder)
                                                : NULL;

  if (refund_path)
    return refund_gateway ? refund_gateway : checkout_gateway;
  return checkout_gateway ? checkout_gateway : refund_gateway;
}

/* NULL, empty, or 1 to 64 characters of WeChat's out_trade_no alphabet. */
static gboolean
plain_id (const char *id)
{
  gsize len;

  /* Absent or empty: the checks that follow name what is missing. */
  if (id == NULL || *id == '\0')
    return TRUE;
  len = strlen (id);
  if (len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && strchr ("_-|*@", id[i]) == NULL)
      return FALSE;
  return TRUE;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SaomaNotifyListener *self = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SaomaGatewayEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  const char *method = soup_server_message_get_method (msg);
  gboolean refund_path = g_strcmp0 (path, self->refund_path) == 0;
  SaomaGateway *gateway;
  SaomaGatewayEventKind kind;
  Seen *seen;

  if (!refund_path && g_strcmp0 (path, self->path) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  if (g_strcmp0 (method, SOUP_METHOD_POST) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "POST");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  gateway = pick_gateway (self, refund_path);
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  /* The guard refuses larger bodies as they arrive; this only backs it up. */
  if (g_bytes_get_size (body) > MAX_BODY_SIZE)
    {
      send_reply (gateway, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, FALSE, "body too large",
                  "Notification", NULL);
      return;
    }

  if (gateway == NULL)
    {
      send_reply (NULL, msg, SOUP_STATUS_SERVICE_UNAVAILABLE, FALSE, "not ready",
                  "Notification", NULL);
      return;
    }

  /* One parse tells a refund from a payment and verifies it. */
  event = saoma_gateway_parse_http_notification (gateway,
                                                 soup_server_message_get_request_headers (msg),
                                                 body,
                                                 refund_path ? SAOMA_NOTIFICATION_REFUND
                                                             : SAOMA_NOTIFICATION_ANY,
                                                 &kind, &error);
  if (event == NULL)
    {
      /* The message names the check that failed, never the sign or the key. */
      if (kind == SAOMA_GATEWAY_EVENT_REFUND)
        refund_reply (self, gateway, msg, FALSE, error->message, NULL);
      else
        reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, error->message, NULL);
      return;
    }

  /* Our numbers are short and plain (WeChat allows [0-9A-Za-z_-|*@], at most 32 or 64): any
   * other is not ours, and is refused before it reaches a log line, the ledger or the memory. */
  if (!plain_id (event->out_trade_no) || !plain_id (event->out_refund_no))
    {
      if (event->kind == SAOMA_GATEWAY_EVENT_REFUND)
        refund_reply (self, gateway, msg, FALSE, "invalid out_refund_no or out_trade_no", NULL);
      else
        reply (self, gateway, msg, SOUP_STATUS_OK, FALSE, "invalid out_trade_no", NULL);
      return;
    }

  seen = seen_for_event (self, event);
  if (seen != NULL && (seen->settled || seen->forwarded >= REPLAY_BURST))
    {
      gboolean success = seen->answered && seen->success;

      /* Verified, and already answered in this window: the same answer again, without a
       * ledger read, an event, a query or a log line (the window's end records them). */
      seen->repeats++;
      write_reply (gateway, msg, SOUP_STATUS_OK, success,
                   seen->answered ? seen->message : "being processed, retry later");
      g_signal_emit (self, signals[event->kind == SAOMA_GATEWAY_EVENT_REFUND ? REFUND_HANDLED
                                                                             : HANDLED],
                     0, event->kind == SAOMA_GATEWAY_EVENT_REFUND ? event->out_refund_no
                                                                  : event->out_trade_no,
                     success);
      return;
    }
  if (seen != NULL)
    seen->forwarded++;

  if (event->kind == SAOMA_GATEWAY_EVENT_REFUND)
    handle_refund (self, gateway, msg, event);
  else
    handle_payment (self, gateway, msg, event);
}

static void
saoma_notify_listener_dispose (GObject *object)
{
  SaomaNotifyListener *self = (SaomaNotifyListener *)object;

  saoma_notify_listener_shutdown (self);
  g_clear_object (&self->guard);
  g_clear_object (&self->checkout);
  g_clear_object (&self->refunder);

  G_OBJECT_CLASS (saoma_notify_listener_parent_class)->dispose (object);
}

static void
saoma_notify_listener_finalize (GObject *object)
{
  SaomaNotifyListener *self = (SaomaNotifyListener *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->refund_path, g_free);
  g_clear_pointer (&self->uri, g_free);
  g_clear_pointer (&self->refund_uri, g_free);

  G_OBJECT_CLASS (saoma_notify_listener_parent_class)->finalize (object);
}

static void
saoma_notify_listener_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  SaomaNotifyListener *self = SAOMA_NOTIFY_LISTENER (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      g_value_set_object (value, self->checkout);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_REFUNDER:
      g_value_set_object (value, self->refunder);
      break;
    case PROP_REFUND_PATH:
      g_value_set_string (value, self->refund_path);
      break;
    case PROP_REFUND_URI:
      g_value_set_string (value, self->refund_uri);
      break;
    case PROP_REPLAY_WINDOW:
      g_value_set_uint (value, self->replay_window);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_notify_listener_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  SaomaNotifyListener *self = SAOMA_NOTIFY_LISTENER (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      saoma_notify_listener_set_checkout (self, g_value_get_object (value));
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      if (self->path == NULL || self->path[0] != '/')
        {
          g_free (self->path);
          self->path = g_strdup (SAOMA_NOTIFY_LISTENER_DEFAULT_PATH);
        }
      break;
    case PROP_REFUNDER:
      saoma_notify_listener_set_refunder (self, g_value_get_object (value));
      break;
    case PROP_REFUND_PATH:
      g_free (self->refund_path);
      self->refund_path = g_value_dup_string (value);
      if (self->refund_path == NULL || self->refund_path[0] != '/')
        {
          g_free (self->refund_path);
          self->refund_path = g_strdup (SAOMA_NOTIFY_LISTENER_REFUND_PATH);
        }
      break;
    case PROP_REPLAY_WINDOW:
      saoma_notify_listener_set_replay_window (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_notify_listener_class_init (SaomaNotifyListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = saoma_notify_listener_dispose;
  object_class->finalize = saoma_notify_listener_finalize;
  object_class->get_property = saoma_notify_listener_get_property;
  object_class->set_property = saoma_notify_listener_set_property;

  properties[PROP_CHECKOUT] =
    g_param_spec_object ("checkout", NULL, NULL, SAOMA_TYPE_CHECKOUT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, SAOMA_NOTIFY_LISTENER_DEFAULT_PATH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REFUNDER] =
    g_param_spec_object ("refunder", NULL, NULL, SAOMA_TYPE_REFUNDER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REFUND_PATH] =
    g_param_spec_string ("refund-path", NULL, NULL, SAOMA_NOTIFY_LISTENER_REFUND_PATH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REFUND_URI] =
    g_param_spec_string ("refund-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REPLAY_WINDOW] =
    g_param_spec_uint ("replay-window", NULL, NULL, 0, 24 * 60 * 60,
                       SAOMA_NOTIFY_LISTENER_DEFAULT_REPLAY_WINDOW,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HANDLED] =
    g_signal_new ("handled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[REFUND_HANDLED] =
    g_signal_new ("refund-handled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
saoma_notify_listener_init (SaomaNotifyListener *self)
{
  self->path = g_strdup (SAOMA_NOTIFY_LISTENER_DEFAULT_PATH);
  self->refund_path = g_strdup (SAOMA_NOTIFY_LISTENER_REFUND_PATH);
  self->cancellable = g_cancellable_new ();
  self->replay_window = SAOMA_NOTIFY_LISTENER_DEFAULT_REPLAY_WINDOW;
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)seen_free);
  /* Before listen, so that its limits can be tuned first. */
  self->guard = wxpay_server_guard_new ();
}

/**
 * saoma_notify_listener_new:
 * @checkout: (nullable): the engine notifications are applied to
 * @path: (nullable): the URL path, default SAOMA_NOTIFY_LISTENER_DEFAULT_PATH
 *
 * Returns: (transfer full): a listener; call saoma_notify_listener_listen().
 */
SaomaNotifyListener *
saoma_notify_listener_new (SaomaCheckout *checkout,
                           const char    *path)
{
  g_return_val_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout), NULL);

  return g_object_new (SAOMA_TYPE_NOTIFY_LISTENER,
                       "checkout", checkout,
                       "path", path ? path : SAOMA_NOTIFY_LISTENER_DEFAULT_PATH,
                       NULL);
}

SaomaCheckout *
saoma_notify_listener_get_checkout (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->checkout;
}

void
saoma_notify_listener_set_checkout (SaomaNotifyListener *self,
                                    SaomaCheckout       *checkout)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));
  g_return_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout));

  if (g_set_object (&self->checkout, checkout))
    {
      /* Answers remembered for the old engine are not this one's. */
      seen_clear (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKOUT]);
    }
}

SaomaRefunder *
saoma_notify_listener_get_refunder (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->refunder;
}

/**
 * saoma_notify_listener_set_refunder:
 * @self: a #SaomaNotifyListener
 * @refunder: (nullable): where refund notifications are sent as hints
 *
 * Until a refunder is set, refund notifications are answered FAIL (WeChat retries them).
 */
void
saoma_notify_listener_set_refunder (SaomaNotifyListener *self,
                                    SaomaRefunder       *refunder)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));
  g_return_if_fail (refunder == NULL || SAOMA_IS_REFUNDER (refunder));

  if (g_set_object (&self->refunder, refunder))
    {
      seen_clear (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUNDER]);
    }
}

gboolean
saoma_notify_listener_listen (SaomaNotifyListener *self,
                              const char          *address,
                              guint                port,
                              GError             **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(SoupServer) server = NULL;
  GSList *uris;

  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  inet = g_inet_address_new_from_string (address ? address : "127.0.0.1");
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }

  server = soup_server_new ("server-header", "saoma-notify ", NULL);
  wxpay_server_guard_attach (self->guard, server);
  soup_server_add_handler (server, NULL, server_callback, self, NULL);

  sockaddr = g_inet_socket_address_new (inet, (guint16)port);
  if (!wxpay_server_guard_listen (self->guard, server, sockaddr, error))
    return FALSE;

  uris = soup_server_get_uris (server);
  if (uris != NULL)
    {
      GUri *bound = uris->data;
      g_autofree char *host = g_inet_address_to_string (inet);

      g_autofree char *base = g_strdup_printf (g_inet_address_get_family (inet)
                                                 == G_SOCKET_FAMILY_IPV6
                                                 ? "http://[%s]:%d" : "http://%s:%d",
                                               host, g_uri_get_port (bound));

      self->uri = g_strconcat (base, self->path, NULL);
      self->refund_uri = g_strconcat (base, self->refund_path, NULL);
    }
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->server = g_steal_pointer (&server);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URI]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUND_URI]);

  return TRUE;
}

guint
saoma_notify_listener_get_port (SaomaNotifyListener *self)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), 0);

  if (self->uri == NULL)
    return 0;

  uri = g_uri_parse (self->uri, G_URI_FLAGS_NONE, NULL);
  return uri ? (guint)g_uri_get_port (uri) : 0;
}

const char *
saoma_notify_listener_get_uri (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->uri;
}

const char *
saoma_notify_listener_get_refund_uri (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->refund_uri;
}

void
saoma_notify_listener_shutdown (SaomaNotifyListener *self)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));

  g_cancellable_cancel (self->cancellable);
  seen_clear (self);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  if (self->guard != NULL)
    wxpay_server_guard_close_all (self->guard);
}

/**
 * saoma_notify_listener_get_guard:
 * @self: a #SaomaNotifyListener
 *
 * The limits on what a client may make the listener hold (body size, header and idle
 * timeouts, connections); tune them before listen.
 *
 * Returns: (transfer none): the listener's guard
 */
WxpayServerGuard *
saoma_notify_listener_get_guard (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), NULL);
  return self->guard;
}

guint
saoma_notify_listener_get_replay_window (SaomaNotifyListener *self)
{
  g_return_val_if_fail (SAOMA_IS_NOTIFY_LISTENER (self), 0);
  return self->replay_window;
}

/**
 * saoma_notify_listener_set_replay_window:
 * @self: a #SaomaNotifyListener
 * @seconds: how long the answer to an order's notification is remembered; 0: not at all
 */
void
saoma_notify_listener_set_replay_window (SaomaNotifyListener *self,
                                         guint                seconds)
{
  g_return_if_fail (SAOMA_IS_NOTIFY_LISTENER (self));

  if (self->replay_window == seconds)
    return;
  self->replay_window = seconds;
  seen_clear (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLAY_WINDOW]);
}
