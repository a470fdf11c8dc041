/* wxpay-sim-server-pay-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pay page a phone opens from the QR code.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

static void
html_escape_append (GString    *out,
                    const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  g_string_append (out, escaped);
}

void
wxpay_sim_handle_pay_page (WxpaySimServer    *self,
                           SoupServerMessage *msg,
                           const char        *token)
{
  SimOrder *order = g_hash_table_lookup (self->by_token, token);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) html = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *amount = NULL;
  const char *result = NULL;
  gboolean posted = strcmp (method, "POST") == 0;

  g_string_append (html,
                   "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>wxpay-sim 模拟支付 · Simulated payment</title>"
                   "<style>body{font-family:sans-serif;max-width:28em;margin:2em auto;padding:0 1em}"
                   ".amount{font-size:2.5em;font-weight:bold}button{font-size:1.3em;padding:.5em 2em;"
                   "background:#07c160;color:#fff;border:0;border-radius:.3em}"
                   ".note{color:#888;font-size:.9em}</style></head><body>"
                   "<h1>模拟支付 <small>Simulated payment</small></h1>");

  if (order == NULL)
    {
      g_string_append (html, "<p>二维码无效 · Unknown QR code.</p></body></html>");
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        html->str, html->len);
      return;
    }

  if (posted)
    {
      if (wxpay_sim_apply_action (self, order, ACTION_PAY, &error))
        result = "<p class=\"result\"><strong>支付成功 · Payment successful</strong></p>";
    }
  else
    wxpay_sim_order_refresh (self, order, wxpay_sim_now (self));

  amount = wxpay_sim_format_yuan (order->total_fee);
  g_string_append (html, "<p>商户 · Merchant: ");
  html_escape_append (html, self->mch_id);
  g_string_append (html, " (");
  html_escape_append (html, self->appid);
  g_string_append (html, ")</p><p>商品 · Item: ");
  html_escape_append (html, wxpay_sim_order_get (order, "body"));
  g_string_append (html, "</p><p>订单号 · Order: ");
  html_escape_append (html, order->out_trade_no);
  g_string_append_printf (html, "</p><p class=\"amount\">¥%s</p><p>状态 · State: %s (%s)</p>",
                          amount, wxpay_sim_trade_state_names[order->state], wxpay_sim_trade_state_descs[order->state]);

  if (result != NULL)
    g_string_append (html, result);
  else if (error != NULL)
    {
      g_string_append (html, "<p class=\"result\"><strong>无法支付 · Cannot pay: ");
      html_escape_append (html, error->message);
      g_string_append (html, "</strong></p>");
    }
  else if (order->state == TRADE_NOTPAY || order->state == TRADE_USERPAYING)
    {
      g_string_append (html, "<form method=\"post\"><button type=\"submit\">确认支付 · Pay</button></form>");
    }

  g_string_append (html, "<p class=\"note\">演示环境，不涉及真实资金 · Demo only, no real money.</p>"
                         "</body></html>\n");
  soup_server_message_set_status (msg, error != NULL ? SOUP_STATUS_CONFLICT : SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    html->str, html->len);
}
