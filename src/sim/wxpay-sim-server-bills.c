/* wxpay-sim-server-bills.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * downloadbill: the records of a bill day (wxpay-sim-bill.c writes the text).
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

static gint
compare_records (gconstpointer a,
                 gconstpointer b)
{
  const WxpaySimBillRecord *ra = *(const WxpaySimBillRecord * const *)a;
  const WxpaySimBillRecord *rb = *(const WxpaySimBillRecord * const *)b;

  return ra->time < rb->time ? -1 : ra->time > rb->time ? 1 : 0;
}

static gboolean
same_day (gint64      time_us,
          const char *bill_date)
{
  g_autofree char *day = wxpay_sim_today_digits (time_us);

  return strcmp (day, bill_date) == 0;
}

/* A bill line with the order's fields (§11); the caller adds the payment's or refund's. */
static WxpaySimBillRecord *
bill_record_new (WxpaySimServer    *self,
                 SimOrder          *order,
                 WxpaySimBillKind   kind)
{
  WxpaySimBillRecord *r = g_new0 (WxpaySimBillRecord, 1);

  r->kind = kind;
  r->pay_time = order->paid_at;
  r->appid = self->appid;
  r->mch_id = self->mch_id;
  r->device_info = wxpay_sim_order_get (order, "device_info");
  r->transaction_id = order->transaction_id;
  r->out_trade_no = order->out_trade_no;
  r->openid = SIM_OPENID;
  r->trade_type = order->trade_type;
  r->total_fee = order->total_fee;
  r->body = wxpay_sim_order_get (order, "body");
  r->attach = wxpay_sim_order_get (order, "attach");
  return r;
}

/**
 * wxpay_sim_bill_for_day:
 * @bill_date: yyyyMMdd (Beijing)
 * @bill_type: ALL, SUCCESS or REFUND
 * @device_info: (nullable): only this till's orders
 *
 * Returns: (transfer full) (nullable): the bill text of §11, %NULL when nothing happened that
 *   day (v2's "No Bill Exist", v3's NO_STATEMENT_EXIST)
 */
GBytes *
wxpay_sim_bill_for_day (WxpaySimServer *self,
                        const char     *bill_date,
                        const char     *bill_type,
                        const char     *device_info,
                        gint64          now)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  gboolean any = FALSE;

  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);

      wxpay_sim_order_refresh (self, order, now);
      if (order->paid_at == 0 || order->transaction_id == NULL)
        continue;
      if (!wxpay_sim_is_empty (device_info) && g_strcmp0 (wxpay_sim_order_get (order, "device_info"), device_info) != 0)
        continue;

      if (same_day (order->paid_at, bill_date))
        {
          WxpaySimBillRecord *r = bill_record_new (self, order, WXPAY_SIM_BILL_PAYMENT);

          r->time = order->paid_at;
          r->trade_state = order->state == TRADE_REVOKED ? "REVOKED" : "SUCCESS";
          g_ptr_array_add (records, r);
          any = TRUE;
        }

      for (guint j = 0; j < order->refunds->len; j++)
        {
          SimRefund *refund = g_ptr_array_index (order->refunds, j);
          WxpaySimBillRecord *r;

          /* §11: a refund is on the bill of the day it was requested. */
          if (!same_day (refund->created, bill_date))
            continue;
          r = bill_record_new (self, order, WXPAY_SIM_BILL_REFUND);
          r->time = refund->created;
          r->refund_success_time = now >= refund->done_at ? refund->done_at : 0;
          r->trade_state = "REFUND";
          r->refund_id = refund->refund_id;
          r->out_refund_no = refund->out_refund_no;
          r->refund_fee = refund->refund_fee;
          r->refund_status = wxpay_sim_refund_status (refund, now);
          g_ptr_array_add (records, r);
          any = TRUE;
        }
    }

  if (!any)
    return NULL;

  g_ptr_array_sort (records, compare_records);
  return wxpay_sim_bill_format (bill_type, records);
}

GBytes *
wxpay_sim_api_downloadbill (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *bill_date = wxpay_params_get (call->req, "bill_date");
  const char *bill_type = wxpay_params_get (call->req, "bill_type");
  const char *tar_type = wxpay_params_get (call->req, "tar_type");
  const char *device_info = wxpay_params_get (call->req, "device_info");
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *date_time = NULL;
  g_autoptr(GBytes) text = NULL;

  if (wxpay_sim_is_empty (bill_date))
    return wxpay_sim_bill_error_bytes ("missing parameter", "20001");
  if (wxpay_sim_is_empty (bill_type))
    bill_type = "ALL";
  if (strcmp (bill_type, "ALL") != 0 && strcmp (bill_type, "SUCCESS") != 0 &&
      strcmp (bill_type, "REFUND") != 0 && strcmp (bill_type, "RECHARGE_REFUND") != 0)
    return wxpay_sim_bill_error_bytes ("invalid bill_type", "20001");
  date_time = g_strconcat (bill_date, "000000", NULL);
  parsed = strlen (bill_date) == 8 ? wxpay_time_parse (date_time) : NULL;
  if (parsed == NULL)
    return wxpay_sim_bill_error_bytes ("data format error", "20001");
  if (!wxpay_sim_is_empty (tar_type) && strcmp (tar_type, "GZIP") != 0)
    return wxpay_sim_bill_error_bytes ("data format error", "20001");

  /* No successful transaction that day (or a recharge-refund bill, which this merchant never
   * has): the documented "No Bill Exist", error_code 20002. */
  if (strcmp (bill_type, "RECHARGE_REFUND") != 0)
    text = wxpay_sim_bill_for_day (self, bill_date, bill_type, device_info, call->now);
  if (text == NULL)
    return wxpay_sim_bill_error_bytes ("No Bill Exist", "20002");

  if (!wxpay_sim_is_empty (tar_type))
    {
      call->content_type = "application/x-gzip";
      return wxpay_sim_gzip (text);
    }

  call->content_type = "text/plain; charset=utf-8";
  return g_steal_pointer (&text);
}
