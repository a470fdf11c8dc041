/* wxpay-sim-server-notify.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notifications: the section 9 schedule and its deliveries.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* §9: the intervals between deliveries of an unacknowledged notification, in seconds. */
const guint wxpay_sim_notify_intervals[] = {
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
};

/* ------------------------------------------------------------------------------------------ */
/* Notifications                                                                               */

void
wxpay_sim_delivery_free (Delivery *delivery)
{
  g_free (delivery->out_trade_no);
  g_free (delivery->out_refund_no);
  g_free (delivery);
}

static void deliver (WxpaySimServer *self,
                     Delivery       *delivery);

static gboolean
deliveries_due_cb (gpointer user_data)
{
  WxpaySimServer *self = user_data;
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  gint64 now = wxpay_sim_now (self);

  self->timer_id = 0;

  for (guint i = 0; i < self->deliveries->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (self->deliveries, i);

      if (!delivery->in_flight && delivery->due <= now)
        g_ptr_array_add (due, delivery);
    }
  for (guint i = 0; i < due->len; i++)
    deliver (self, g_ptr_array_index (due, i));

  wxpay_sim_schedule_deliveries (self);

  return G_SOURCE_REMOVE;
}

void
wxpay_sim_schedule_deliveries (WxpaySimServer *self)
{
  gint64 next = G_MAXINT64;
  gint64 now;
  gint64 wait_ms;

  if (self->shut_down)
    return;

  g_clear_handle_id (&self->timer_id, g_source_remove);

  for (guint i = 0; i < self->deliveries->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (self->deliveries, i);

      if (!delivery->in_flight)
        next = MIN (next, delivery->due);
    }
  if (next == G_MAXINT64)
    return;

  now = wxpay_sim_now (self);
  wait_ms = next <= now ? 0 : (gint64)((double)(next - now) / self->time_scale / 1000.0) + 1;
  self->timer_id = g_timeout_add ((guint)MIN (wait_ms, G_MAXINT32), deliveries_due_cb, self);
}

static WxpayParams *
payment_notification (WxpaySimServer *self,
                      SimOrder       *order,
                      gboolean        wrong_amount)
{
  WxpayParams *params = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();
  g_autofree char *sign = NULL;

  wxpay_params_set (params, "return_code", "SUCCESS");
  wxpay_params_set (params, "return_msg", "OK");
  wxpay_params_set (params, "appid", self->appid);
  wxpay_params_set (params, "mch_id", self->mch_id);
  wxpay_params_set (params, "nonce_str", nonce);
  wxpay_params_set (params, "result_code", "SUCCESS");
  wxpay_sim_add_payment_fields (params, order, order->total_fee + (wrong_amount ? 1 : 0));
  /* §9: HMAC-SHA256 orders get HMAC-signed notifications without a sign_type element. */
  sign = wxpay_sign (params, order->sign_type, self->api_key);
  wxpay_params_set (params, "sign", sign);

  return params;
}

static char *
refund_notification (WxpaySimServer *self,
                     SimRefund      *refund)
{
  SimOrder *order = refund->order;
  g_autoptr(WxpayParams) root = wxpay_params_new ();
  g_autoptr(WxpayParams) outer = wxpay_params_new ();
  g_autofree char *success_time = wxpay_sim_format_beijing (refund->done_at);
  g_autofree char *xml = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *req_info = NULL;
  g_autofree char *nonce = wxpay_nonce_new ();

  wxpay_params_set (root, "transaction_id", order->transaction_id);
  wxpay_params_set (root, "out_trade_no", order->out_trade_no);
  wxpay_params_set (root, "refund_id", refund->refund_id);
  wxpay_params_set (root, "out_refund_no", refund->out_refund_no);
  wxpay_params_set_int64 (root, "total_fee", order->total_fee);
  wxpay_params_set_int64 (root, "settlement_total_fee", order->total_fee);
  wxpay_params_set_int64 (root, "refund_fee", refund->refund_fee);
  wxpay_params_set_int64 (root, "settlement_refund_fee", refund->refund_fee);
  wxpay_params_set (root, "refund_status", "SUCCESS");
  wxpay_params_set (root, "success_time", success_time);
  wxpay_params_set (root, "refund_recv_accout", "支付用户零钱");
  wxpay_params_set (root, "refund_account", "REFUND_SOURCE_UNSETTLED_FUNDS");
  wxpay_params_set (root, "refund_request_source", "API");

  /* §10: the plaintext's root element is <root>, not <xml>. */
  xml = wxpay_xml_encode_string (root);
  g_assert (g_str_has_prefix (xml, "<xml>") && g_str_has_suffix (xml, "</xml>"));
  plain = g_strdup_printf ("<root>%.*s</root>", (int)(strlen (xml) - 11), xml + 5);
  req_info = wxpay_refund_req_info_encrypt (plain, self->api_key);

  wxpay_params_set (outer, "return_code", "SUCCESS");
  wxpay_params_set (outer, "appid", self->appid);
  wxpay_params_set (outer, "mch_id", self->mch_id);
  wxpay_params_set (outer, "nonce_str", nonce);
  wxpay_params_set (outer, "req_info", req_info);

  return wxpay_xml_encode_string (outer);
}

typedef struct {
  WxpaySimServer *self;
  Delivery       *delivery;    /* NULL for a fire-and-forget extra (duplicate / wrong amount) */
  gboolean        v3;          /* acknowledged by the status alone (§4.3 of the v3 reference) */
  GTask          *probe;       /* a SIGNTEST probe: returns the merchant's HTTP status */
} DeliveryOp;

static void
delivery_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DeliveryOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  WxpaySimServer *self = op->self;
  Delivery *delivery = op->delivery;
  gboolean acked = FALSE;
  SimOrder *order;
  NotifyState *state = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (op->probe != NULL)
    {
      if (error != NULL)
        g_task_return_error (op->probe, g_steal_pointer (&error));
      else
        g_task_return_int (op->probe, soup_message_get_status (msg));
      g_object_unref (op->probe);
      g_object_unref (self);
      g_free (op);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || delivery == NULL)
    {
      g_object_unref (self);
      g_free (op);
      return;
    }

  if (op->v3)
    acked = body != NULL && (soup_message_get_status (msg) == SOUP_STATUS_OK
                             || soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT);
  else if (body != NULL && soup_message_get_status (msg) == SOUP_STATUS_OK)
    {
      gsize size;
      const char *data = g_bytes_get_data (body, &size);
      g_autoptr(WxpayParams) reply = wxpay_xml_decode (data, size, NULL);

      acked = reply != NULL && g_strcmp0 (wxpay_params_get (reply, "return_code"), "SUCCESS") == 0;
    }

  delivery->in_flight = FALSE;
  order = g_hash_table_lookup (self->orders, delivery->out_trade_no);
  if (order != NULL && delivery->out_refund_no == NULL)
    state = &order->notify;
  else if (order != NULL)
    {
      SimRefund *refund = g_hash_table_lookup (self->refunds, delivery->out_refund_no);

      if (refund != NULL)
        state = &refund->notify;
    }

  if (state != NULL)
    {
      state->attempts++;
      state->acked = state->acked || acked;
    }

  if (acked || state == NULL || state->attempts > G_N_ELEMENTS (wxpay_sim_notify_intervals))
    g_ptr_array_remove (self->deliveries, delivery);
  else
    delivery->due = wxpay_sim_now (self) + USEC (wxpay_sim_notify_intervals[state->attempts - 1]);

  wxpay_sim_queue_save (self);
  wxpay_sim_schedule_deliveries (self);
  g_object_unref (self);
  g_free (op);
}

static void
post_notification (WxpaySimServer *self,
                   const char     *url,
                   const char     *xml,
                   Delivery       *delivery)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  g_autoptr(GBytes) body = NULL;
  DeliveryOp *op;

  if (msg == NULL)
    {
      g_warning ("Cannot notify the invalid URL %s", url);
      if (delivery != NULL)
        g_ptr_array_remove (self->deliveries, delivery);
      return;
    }

  body = g_bytes_new (xml, strlen (xml));
  soup_message_set_request_body_from_bytes (msg, "text/xml", body);

  op = g_new0 (DeliveryOp, 1);
  op->self = g_object_ref (self);
  op->delivery = delivery;
  if (delivery != NULL)
    delivery->in_flight = TRUE;

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    delivery_done_cb, op);
}

/**
 * wxpay_sim_post_v3_notification:
 * @signature_override: (nullable): sent instead of the real signature (SIGNTEST probes)
 * @delivery: (nullable): the scheduled delivery; %NULL for an extra or a probe
 * @probe: (nullable): a task that gets the merchant's status
 *
 * POSTs a v3 callback with the Wechatpay-* headers of §4.1.
 */
void
wxpay_sim_post_v3_notification (WxpaySimServer *self,
                                const char     *url,
                                GBytes         *body,
                                const char     *signature_override,
                                Delivery       *delivery,
                                GTask          *probe)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  SoupMessageHeaders *headers;
  DeliveryOp *op;

  if (msg == NULL)
    {
      g_warning ("Cannot notify the invalid URL %s", url);
      if (delivery != NULL)
        g_ptr_array_remove (self->deliveries, delivery);
      if (probe != NULL)
        {
          g_task_return_new_error (probe, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad URL");
          g_object_unref (probe);
        }
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  wxpay_sim_v3_sign_headers (self, headers, body, FALSE);
  if (signature_override != NULL)
    soup_message_headers_replace (headers, "Wechatpay-Signature", signature_override);
  soup_message_headers_replace (headers, "Wechatpay-Signature-Type", WXPAY3_AUTH_SCHEMA);

  op = g_new0 (DeliveryOp, 1);
  op->self = g_object_ref (self);
  op->delivery = delivery;
  op->v3 = TRUE;
  op->probe = probe;
  if (delivery != NULL)
    delivery->in_flight = TRUE;

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    delivery_done_cb, op);
}

static void
deliver_v3 (WxpaySimServer *self,
            SimOrder       *order,
            Delivery       *delivery,
            gboolean        duplicate,
            gboolean        wrong_amount)
{
  SimRefund *refund = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *url;

  if (delivery->out_refund_no != NULL)
    {
      refund = g_hash_table_lookup (self->refunds, delivery->out_refund_no);
      if (refund == NULL)
        {
          g_ptr_array_remove (self->deliveries, delivery);
          return;
        }
      url = refund->notify_url;
    }
  else
    {
      url = wxpay_sim_order_get (order, "notify_url");
      if (wrong_amount)
        {
          g_autoptr(GBytes) forged = wxpay_sim_v3_callback_body (self, order, NULL, TRUE);

          wxpay_sim_post_v3_notification (self, url, forged, NULL, NULL, NULL);
        }
    }

  body = wxpay_sim_v3_callback_body (self, order, refund, FALSE);
  wxpay_sim_post_v3_notification (self, url, body, NULL, delivery, NULL);
  if (duplicate)
    wxpay_sim_post_v3_notification (self, url, body, NULL, NULL, NULL);
}

static void
deliver (WxpaySimServer *self,
         Delivery       *delivery)
{
  SimOrder *order = g_hash_table_lookup (self->orders, delivery->out_trade_no);
  gboolean duplicate = FALSE;
  gboolean wrong_amount = FALSE;
  g_autofree char *xml = NULL;
  const char *url;

  if (order == NULL)
    {
      g_ptr_array_remove (self->deliveries, delivery);
      return;
    }

  wxpay_sim_faults_decide_notify (self->faults, self->rand, &duplicate, &wrong_amount);

  if (wxpay_sim_order_is_v3 (order) && self->v3_enabled)
    {
      deliver_v3 (self, order, delivery, duplicate, wrong_amount);
      return;
    }

  if (delivery->out_refund_no == NULL)
    {
      g_autoptr(WxpayParams) params = payment_notification (self, order, FALSE);

      url = wxpay_sim_order_get (order, "notify_url");
      xml = wxpay_xml_encode_string (params);
      if (wrong_amount)
        {
          g_autoptr(WxpayParams) forged = payment_notification (self, order, TRUE);
          g_autofree char *forged_xml = wxpay_xml_encode_string (forged);

          post_notification (self, url, forged_xml, NULL);
        }
    }
  else
    {
      SimRefund *refund = g_hash_table_lookup (self->refunds, delivery->out_refund_no);

      if (refund == NULL)
        {
          g_ptr_array_remove (self->deliveries, delivery);
          return;
        }
      url = refund->notify_url;
      xml = refund_notification (self, refund);
    }

  post_notification (self, url, xml, delivery);
  if (duplicate)
    post_notification (self, url, xml, NULL);
}
