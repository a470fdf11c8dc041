/* wxpay-sim-server-control.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The control API (/sim/...): play the customer, move the clock, inject faults.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* ------------------------------------------------------------------------------------------ */
/* Control API                                                                                 */

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              GString           *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str, json->len);
}

static void
respond_json_error (SoupServerMessage *msg,
                    guint              status,
                    const char        *code,
                    const char        *message)
{
  g_autoptr(GString) json = g_string_new ("{\"error\":");

  wxpay_sim_json_append_string (json, code);
  g_string_append (json, ",\"message\":");
  wxpay_sim_json_append_string (json, message);
  g_string_append_c (json, '}');
  respond_json (msg, status, json);
}

static void
append_notify_json (GString           *json,
                    const NotifyState *state)
{
  g_string_append_printf (json, "{\"attempts\":%u,\"acked\":%s}", state->attempts,
                          state->acked ? "true" : "false");
}

static void
append_time_json (GString *json,
                  gint64   time_us)
{
  if (time_us <= 0)
    g_string_append (json, "null");
  else
    {
      g_autofree char *iso = wxpay_sim_format_iso (time_us);

      wxpay_sim_json_append_string (json, iso);
    }
}

static void
append_order_json (WxpaySimServer *self,
                   GString        *json,
                   SimOrder       *order,
                   gint64          now)
{
  g_autofree char *code_url = g_strdup_printf ("weixin://wxpay/bizpayurl?pr=%s", order->token);
  g_autofree char *pay_page = g_strdup_printf ("%s/sim/pay/%s", self->base_uri, order->token);

  g_string_append (json, "{\"out_trade_no\":");
  wxpay_sim_json_append_string (json, order->out_trade_no);
  g_string_append (json, ",\"trade_type\":");
  wxpay_sim_json_append_string (json, order->trade_type);
  /* Which API made it: the app's UI tests check that the demo speaks v3. */
  g_string_append (json, ",\"api\":");
  wxpay_sim_json_append_string (json, wxpay_sim_order_is_v3 (order) ? "v3" : "v2");
  g_string_append (json, ",\"state\":");
  wxpay_sim_json_append_string (json, wxpay_sim_trade_state_names[order->state]);
  g_string_append_printf (json, ",\"total_fee\":%" G_GINT64_FORMAT, order->total_fee);
  g_string_append_printf (json, ",\"refunded_fee\":%" G_GINT64_FORMAT, wxpay_sim_order_refunded (order));
  g_string_append (json, ",\"transaction_id\":");
  wxpay_sim_json_append_string (json, order->transaction_id);
  g_string_append (json, ",\"body\":");
  wxpay_sim_json_append_string (json, wxpay_sim_order_get (order, "body"));
  g_string_append (json, ",\"attach\":");
  wxpay_sim_json_append_string (json, wxpay_sim_order_get (order, "attach"));
  g_string_append (json, ",\"notify_url\":");
  wxpay_sim_json_append_string (json, wxpay_sim_order_get (order, "notify_url"));
  g_string_append (json, ",\"sign_type\":");
  wxpay_sim_json_append_string (json, wxpay_sign_type_to_string (order->sign_type));
  g_string_append (json, ",\"token\":");
  wxpay_sim_json_append_string (json, order->token);
  g_string_append (json, ",\"code_url\":");
  wxpay_sim_json_append_string (json, strcmp (order->trade_type, "NATIVE") == 0 ? code_url : NULL);
  g_string_append (json, ",\"pay_page\":");
  wxpay_sim_json_append_string (json, pay_page);
  g_string_append (json, ",\"created\":");
  append_time_json (json, order->created);
  g_string_append (json, ",\"expire\":");
  append_time_json (json, order->expire);
  g_string_append (json, ",\"time_end\":");
  append_time_json (json, order->paid_at);
  g_string_append (json, ",\"notifications\":");
  append_notify_json (json, &order->notify);
  g_string_append (json, ",\"refunds\":[");
  for (guint j = 0; j < order->refunds->len; j++)
    {
      SimRefund *refund = g_ptr_array_index (order->refunds, j);

      if (j > 0)
        g_string_append_c (json, ',');
      g_string_append (json, "{\"out_refund_no\":");
      wxpay_sim_json_append_string (json, refund->out_refund_no);
      g_string_append (json, ",\"refund_id\":");
      wxpay_sim_json_append_string (json, refund->refund_id);
      g_string_append_printf (json, ",\"refund_fee\":%" G_GINT64_FORMAT, refund->refund_fee);
      g_string_append (json, ",\"status\":");
      wxpay_sim_json_append_string (json, wxpay_sim_refund_status (refund, now));
      g_string_append (json, ",\"created\":");
      append_time_json (json, refund->created);
      g_string_append (json, ",\"success_time\":");
      append_time_json (json, now >= refund->done_at ? refund->done_at : 0);
      g_string_append (json, ",\"notify_url\":");
      wxpay_sim_json_append_string (json, refund->notify_url);
      g_string_append (json, ",\"notifications\":");
      append_notify_json (json, &refund->notify);
      g_string_append_c (json, '}');
    }
  g_string_append (json, "]}");
}

GString *
wxpay_sim_orders_json (WxpaySimServer *self)
{
  GString *json = g_string_new ("{\"now\":");
  gint64 now = wxpay_sim_now (self);

  append_time_json (json, now);
  g_string_append (json, ",\"orders\":[");
  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);

      wxpay_sim_order_refresh (self, order, now);
      if (i > 0)
        g_string_append_c (json, ',');
      append_order_json (self, json, order, now);
    }
  g_string_append (json, "]}");

  return json;
}

gboolean
wxpay_sim_apply_action (WxpaySimServer *self,
                        SimOrder       *order,
                        OrderAction     action,
                        GError        **error)
{
  gint64 now = wxpay_sim_now (self);

  wxpay_sim_order_refresh (self, order, now);

  switch (order->state)
    {
    case TRADE_SUCCESS:
    case TRADE_REFUND:
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERPAID, "order %s is already paid",
                   order->out_trade_no);
      return FALSE;
    case TRADE_CLOSED:
    case TRADE_PAYERROR:
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERCLOSED, "order %s is closed (%s)",
                   order->out_trade_no, wxpay_sim_trade_state_names[order->state]);
      return FALSE;
    case TRADE_REVOKED:
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERREVERSED, "order %s is reversed",
                   order->out_trade_no);
      return FALSE;
    case TRADE_NOTPAY:
    case TRADE_USERPAYING:
    default:
      break;
    }

  switch (action)
    {
    case ACTION_PAY:
      wxpay_sim_mark_paid (self, order, now);
      break;
    case ACTION_USERPAYING:
      order->state = TRADE_USERPAYING;
      order->pending = PENDING_NONE;
      break;
    case ACTION_FAIL:
    default:
      order->state = TRADE_PAYERROR;
      order->pending = PENDING_NONE;
      break;
    }
  wxpay_sim_queue_save (self);

  return TRUE;
}

/* The in-process control API: @action on the order @out_trade_no. */
gboolean
wxpay_sim_apply_named_action (WxpaySimServer *self,
                              const char     *out_trade_no,
                              OrderAction     action,
                              GError        **error)
{
  SimOrder *order = g_hash_table_lookup (self->orders, out_trade_no);

  if (order == NULL)
    {
      g_set_error (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST, "no order %s", out_trade_no);
      return FALSE;
    }
  return wxpay_sim_apply_action (self, order, action, error);
}

static guint
status_for_error (const GError *error)
{
  if (g_error_matches (error, WXPAY_ERROR, WXPAY_ERROR_ORDERNOTEXIST))
    return SOUP_STATUS_NOT_FOUND;
  return SOUP_STATUS_CONFLICT;
}

typedef struct {
  WxpaySimServer *self;
  char           *out_trade_no;
} DelayedPay;

static gboolean
delayed_pay_cb (gpointer user_data)
{
  DelayedPay *pay = user_data;
  g_autoptr(GError) error = NULL;

  if (!pay->self->shut_down && !wxpay_sim_server_pay (pay->self, pay->out_trade_no, &error))
    g_message ("Delayed payment of %s failed: %s", pay->out_trade_no, error->message);

  g_object_unref (pay->self);
  g_free (pay->out_trade_no);
  g_free (pay);

  return G_SOURCE_REMOVE;
}

static void
handle_order_action (WxpaySimServer    *self,
                     SoupServerMessage *msg,
                     const char        *out_trade_no,
                     const char        *verb,
                     GHashTable        *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) json = NULL;
  SimOrder *order;
  OrderAction action;

  if (strcmp (verb, "pay") == 0)
    action = ACTION_PAY;
  else if (strcmp (verb, "userpaying") == 0)
    action = ACTION_USERPAYING;
  else if (strcmp (verb, "fail") == 0)
    action = ACTION_FAIL;
  else
    {
      respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND", "unknown order action");
      return;
    }

  order = g_hash_table_lookup (self->orders, out_trade_no);
  if (order == NULL)
    {
      respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "ORDERNOTEXIST", "no such out_trade_no");
      return;
    }

  if (action == ACTION_PAY && query != NULL && g_hash_table_contains (query, "delay_ms"))
    {
      guint64 delay_ms;
      DelayedPay *pay;

      if (!g_ascii_string_to_unsigned (g_hash_table_lookup (query, "delay_ms"), 10, 0, 3600000,
                                       &delay_ms, NULL))
        {
          respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR",
                              "delay_ms must be an integer between 0 and 3600000");
          return;
        }
      pay = g_new0 (DelayedPay, 1);
      pay->self = g_object_ref (self);
      pay->out_trade_no = g_strdup (out_trade_no);
      g_timeout_add ((guint)delay_ms, delayed_pay_cb, pay);

      json = g_string_new ("{\"out_trade_no\":");
      wxpay_sim_json_append_string (json, out_trade_no);
      g_string_append_printf (json, ",\"scheduled\":true,\"delay_ms\":%" G_GUINT64_FORMAT "}",
                              delay_ms);
      respond_json (msg, SOUP_STATUS_ACCEPTED, json);
      return;
    }

  if (!wxpay_sim_apply_action (self, order, action, &error))
    {
      respond_json_error (msg, status_for_error (error),
                          wxpay_error_code_to_string (error->code), error->message);
      return;
    }

  json = g_string_new (NULL);
  append_order_json (self, json, order, wxpay_sim_now (self));
  respond_json (msg, SOUP_STATUS_OK, json);
}

void
wxpay_sim_handle_control (WxpaySimServer    *self,
                          SoupServerMessage *msg,
                          const char        *path,
                          GHashTable        *query)
{
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = g_strsplit (path + 1, "/", -1);
  guint n = g_strv_length (parts);
  g_autoptr(GString) json = NULL;

  /* parts[0] is "sim". */
  if (n == 2 && strcmp (parts[1], "orders") == 0)
    {
      if (strcmp (method, "GET") != 0)
        goto bad_method;
      json = wxpay_sim_orders_json (self);
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 3 && strcmp (parts[1], "orders") == 0)
    {
      g_autofree char *out_trade_no = g_uri_unescape_string (parts[2], NULL);
      SimOrder *order = out_trade_no ? g_hash_table_lookup (self->orders, out_trade_no) : NULL;

      if (strcmp (method, "GET") != 0)
        goto bad_method;
      if (order == NULL)
        {
          respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "ORDERNOTEXIST", "no such out_trade_no");
          return;
        }
      wxpay_sim_order_refresh (self, order, wxpay_sim_now (self));
      json = g_string_new (NULL);
      append_order_json (self, json, order, wxpay_sim_now (self));
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 4 && strcmp (parts[1], "orders") == 0)
    {
      g_autofree char *out_trade_no = g_uri_unescape_string (parts[2], NULL);

      if (strcmp (method, "POST") != 0)
        goto bad_method;
      if (out_trade_no == NULL)
        {
          respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR", "bad out_trade_no");
          return;
        }
      handle_order_action (self, msg, out_trade_no, parts[3], query);
      return;
    }

  /* POST /sim/v3/signtest?url=URL: one WECHATPAY/SIGNTEST/ probe to URL; the answer says
   * which status the merchant gave it (anything but 4xx/5xx flags the merchant, §1.2). */
  if (n == 3 && strcmp (parts[1], "v3") == 0 && strcmp (parts[2], "signtest") == 0)
    {
      const char *url = query != NULL ? g_hash_table_lookup (query, "url") : NULL;

      if (strcmp (method, "POST") != 0)
        goto bad_method;
      if (!self->v3_enabled)
        {
          respond_json_error (msg, SOUP_STATUS_CONFLICT, "V3_OFF", "API v3 is not set up");
          return;
        }
      if (url == NULL || (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://")))
        {
          respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR", "url missing");
          return;
        }
      wxpay_sim_v3_signtest (self, msg, url);
      return;
    }

  /* POST /sim/v3/certificates/rotate[?lifetime=SECONDS][&sign=0]: a new platform certificate
   * (five years by default) that signs from now on (sign=0: served, not yet used). */
  if (n == 4 && strcmp (parts[1], "v3") == 0 && strcmp (parts[2], "certificates") == 0 && strcmp (parts[3], "rotate") == 0)
    {
      const char *lifetime = query != NULL ? g_hash_table_lookup (query, "lifetime") : NULL;
      const char *sign = query != NULL ? g_hash_table_lookup (query, "sign") : NULL;
      gint64      seconds = lifetime != NULL ? g_ascii_strtoll (lifetime, NULL, 10)
                                             : G_GINT64_CONSTANT (5) * 365 * 86400;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) answer = g_string_new ("{\"serial_no\":");

      if (strcmp (method, "POST") != 0)
        goto bad_method;
      if (!wxpay_sim_server_add_v3_platform_certificate (self, seconds, g_strcmp0 (sign, "0") != 0,
                                                         &error))
        {
          respond_json_error (msg, SOUP_STATUS_CONFLICT, "V3_CERT", error->message);
          return;
        }
      wxpay_sim_json_append_string (answer, wxpay_sim_server_get_v3_platform_serial (self));
      g_string_append_c (answer, '}');
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, answer->str,
                                        answer->len);
      return;
    }

  if (n >= 2 && strcmp (parts[1], "clock") == 0)
    {
      if (n == 3 && strcmp (parts[2], "advance") == 0)
        {
          const char *seconds_text = query != NULL ? g_hash_table_lookup (query, "seconds") : NULL;
          gint64 seconds;

          if (strcmp (method, "POST") != 0)
            goto bad_method;
          if (seconds_text == NULL ||
              !g_ascii_string_to_signed (seconds_text, 10, 0, G_MAXINT32, &seconds, NULL))
            {
              respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR",
                                  "seconds must be a non-negative integer");
              return;
            }
          wxpay_sim_server_advance_clock (self, seconds);
        }
      else if (n == 3 && strcmp (parts[2], "set") == 0)
        {
          const char *unix_text = query != NULL ? g_hash_table_lookup (query, "unix") : NULL;
          gint64 unix_seconds;

          if (strcmp (method, "POST") != 0)
            goto bad_method;
          if (unix_text == NULL ||
              !g_ascii_string_to_signed (unix_text, 10, 0, G_MAXINT64 / G_USEC_PER_SEC, &unix_seconds, NULL))
            {
              respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR",
                                  "unix must be seconds since the epoch");
              return;
            }
          wxpay_sim_server_set_now (self, unix_seconds * G_USEC_PER_SEC);
        }
      else if (n != 2 || strcmp (method, "GET") != 0)
        goto bad_method;

      json = g_string_new ("{\"now\":");
      append_time_json (json, wxpay_sim_now (self));
      g_string_append_printf (json, ",\"now_unix\":%" G_GINT64_FORMAT ",\"offset_seconds\":%"
                              G_GINT64_FORMAT ",\"time_scale\":", wxpay_sim_now (self) / G_USEC_PER_SEC,
                              self->offset / G_USEC_PER_SEC);
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append (json, g_ascii_dtostr (buf, sizeof buf, self->time_scale));
      }
      g_string_append_c (json, '}');
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 2 && strcmp (parts[1], "state") == 0)
    {
      if (strcmp (method, "GET") != 0)
        goto bad_method;
      json = g_string_new (NULL);
      g_mutex_lock (&self->save_lock);
      g_string_append_printf (json,
                              "{\"orders\":%u,\"orders_expired\":%" G_GUINT64_FORMAT
                              ",\"order_retention\":%" G_GUINT64_FORMAT
                              ",\"state_file\":%s,\"state_interval_ms\":%u"
                              ",\"state_writes\":%" G_GUINT64_FORMAT "}",
                              g_hash_table_size (self->orders), self->orders_expired,
                              self->order_retention / G_USEC_PER_SEC,
                              self->state_file != NULL ? "true" : "false", self->state_interval,
                              self->state_writes);
      g_mutex_unlock (&self->save_lock);
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 2 && strcmp (parts[1], "connections") == 0)
    {
      if (strcmp (method, "GET") != 0)
        goto bad_method;
      json = g_string_new (NULL);
      wxpay_sim_connections_append_json (self, json);
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 2 && strcmp (parts[1], "faults") == 0)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *current = NULL;

      if (strcmp (method, "POST") == 0)
        {
          g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
          g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

          if (!wxpay_sim_server_set_faults (self, text, &error))
            {
              respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "PARAM_ERROR", error->message);
              return;
            }
        }
      else if (strcmp (method, "DELETE") == 0)
        wxpay_sim_server_set_faults (self, NULL, NULL);
      else if (strcmp (method, "GET") != 0)
        goto bad_method;

      current = wxpay_sim_faults_to_json (self->faults);
      json = g_string_new ("{\"faults\":");
      g_string_append (json, current);
      g_string_append_c (json, '}');
      respond_json (msg, SOUP_STATUS_OK, json);
      return;
    }

  if (n == 3 && strcmp (parts[1], "pay") == 0)
    {
      if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0)
        goto bad_method;
      wxpay_sim_handle_pay_page (self, msg, parts[2]);
      return;
    }

  respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND", "no such control path");
  return;

bad_method:
  respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                      "wrong HTTP method for this control path");
}
