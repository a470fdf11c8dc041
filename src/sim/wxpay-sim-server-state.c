/* wxpay-sim-server-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The state file (--state): orders kept across restarts.
 *
 * The whole file is rewritten, at most once per state-interval milliseconds (a burst of requests
 * costs one write) and once more at shutdown (SIGTERM/SIGINT in wxpay-sim). The text is made on
 * the main loop; the write happens in a worker thread. Each text has a generation number and a
 * write never replaces a newer one, so the synchronous write at shutdown cannot be overtaken by a
 * slower background write.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* ------------------------------------------------------------------------------------------ */
/* State file                                                                                  */

static GBytes *
state_serialize (WxpaySimServer *self)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  gsize length = 0;
  char *data;

  g_key_file_set_int64 (file, "sim", "clock", wxpay_sim_now (self));
  g_key_file_set_uint64 (file, "sim", "counter", self->counter);

  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);
      g_autofree char *group = g_strconcat ("order ", order->out_trade_no, NULL);
      g_autofree char *request = wxpay_xml_encode_string (order->request);

      g_key_file_set_string (file, group, "out_trade_no", order->out_trade_no);
      g_key_file_set_string (file, group, "trade_type", order->trade_type);
      g_key_file_set_string (file, group, "token", order->token);
      g_key_file_set_string (file, group, "prepay_id", order->prepay_id);
      if (order->transaction_id != NULL)
        g_key_file_set_string (file, group, "transaction_id", order->transaction_id);
      g_key_file_set_string (file, group, "request", request);
      g_key_file_set_string (file, group, "sign_type", wxpay_sign_type_to_string (order->sign_type));
      g_key_file_set_int64 (file, group, "total_fee", order->total_fee);
      g_key_file_set_int64 (file, group, "created", order->created);
      g_key_file_set_int64 (file, group, "expire", order->expire);
      g_key_file_set_int64 (file, group, "paid_at", order->paid_at);
      g_key_file_set_int64 (file, group, "closed_at", order->closed_at);
      g_key_file_set_string (file, group, "state", wxpay_sim_trade_state_names[order->state]);
      g_key_file_set_integer (file, group, "pending", order->pending);
      g_key_file_set_int64 (file, group, "pending_until", order->pending_until);
      g_key_file_set_integer (file, group, "notify_attempts", order->notify.attempts);
      g_key_file_set_boolean (file, group, "notify_acked", order->notify.acked);

      for (guint j = 0; j < order->refunds->len; j++)
        {
          SimRefund *refund = g_ptr_array_index (order->refunds, j);
          g_autofree char *rgroup = g_strconcat ("refund ", refund->out_refund_no, NULL);

          g_key_file_set_string (file, rgroup, "out_trade_no", order->out_trade_no);
          g_key_file_set_string (file, rgroup, "out_refund_no", refund->out_refund_no);
          g_key_file_set_string (file, rgroup, "refund_id", refund->refund_id);
          if (refund->notify_url != NULL)
            g_key_file_set_string (file, rgroup, "notify_url", refund->notify_url);
          g_key_file_set_int64 (file, rgroup, "refund_fee", refund->refund_fee);
          g_key_file_set_int64 (file, rgroup, "created", refund->created);
          g_key_file_set_int64 (file, rgroup, "done_at", refund->done_at);
          if (refund->abnormal)
            g_key_file_set_boolean (file, rgroup, "abnormal", TRUE);
          g_key_file_set_integer (file, rgroup, "notify_attempts", refund->notify.attempts);
          g_key_file_set_boolean (file, rgroup, "notify_acked", refund->notify.acked);
        }
    }

  data = g_key_file_to_data (file, &length, NULL);
  return g_bytes_new_take (data, length);
}

/* Writes @data unless a newer generation is already on disk. Any thread. */
static void
state_write (WxpaySimServer *self,
             GBytes         *data,
             guint64         generation)
{
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const char *bytes = g_bytes_get_data (data, &size);

  g_mutex_lock (&self->save_lock);
  if (generation > self->saved_generation)
    {
      /* Atomic replace (write to a temporary file, fsync, rename), owner-only. */
      if (g_file_set_contents_full (self->state_file, bytes, size,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        {
          self->saved_generation = generation;
          self->state_writes++;
        }
      else
        g_warning ("Cannot save the simulator state to %s: %s", self->state_file, error->message);
    }
  g_mutex_unlock (&self->save_lock);
}

typedef struct {
  GBytes  *data;
  guint64  generation;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_bytes_unref (job->data);
  g_free (job);
}

static void
save_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveJob *job = task_data;

  state_write (source_object, job->data, job->generation);
  g_task_return_boolean (task, TRUE);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  WxpaySimServer *self = WXPAY_SIM_SERVER (source);

  self->save_in_flight = FALSE;
  if (self->save_dirty)
    {
      self->save_dirty = FALSE;
      wxpay_sim_queue_save (self);
    }
}

/* Synchronously, on the calling thread: for shutdown. */
void
wxpay_sim_save_state (WxpaySimServer *self)
{
  g_autoptr(GBytes) data = NULL;

  if (self->state_file == NULL)
    return;

  data = state_serialize (self);
  state_write (self, data, ++self->generation);
}

static gboolean
save_cb (gpointer user_data)
{
  WxpaySimServer *self = user_data;
  g_autoptr(GTask) task = NULL;
  SaveJob *job;

  self->save_id = 0;
  if (self->save_in_flight)
    {
      self->save_dirty = TRUE;
      return G_SOURCE_REMOVE;
    }

  job = g_new0 (SaveJob, 1);
  job->data = state_serialize (self);
  job->generation = ++self->generation;
  self->save_in_flight = TRUE;
  task = g_task_new (self, NULL, save_done_cb, NULL);
  g_task_set_source_tag (task, save_cb);
  g_task_set_task_data (task, job, (GDestroyNotify)save_job_free);
  g_task_run_in_thread (task, save_worker);

  return G_SOURCE_REMOVE;
}

void
wxpay_sim_queue_save (WxpaySimServer *self)
{
  if (self->state_file == NULL || self->shut_down)
    return;
  if (self->save_in_flight)
    {
      self->save_dirty = TRUE;
      return;
    }
  /* Batched: the first change after a write schedules the next one, later changes join it. */
  if (self->save_id == 0)
    self->save_id = g_timeout_add (self->state_interval, save_cb, self);
}

static gboolean
parse_trade_state (const char *name,
                   TradeState *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (wxpay_sim_trade_state_names); i++)
    {
      if (g_strcmp0 (name, wxpay_sim_trade_state_names[i]) == 0)
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

void
wxpay_sim_load_state (WxpaySimServer *self)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  gint64 clock;

  if (self->state_file == NULL || !g_file_test (self->state_file, G_FILE_TEST_EXISTS))
    return;

  if (!g_key_file_load_from_file (file, self->state_file, G_KEY_FILE_NONE, &error))
    {
      g_warning ("Cannot load the simulator state from %s: %s", self->state_file, error->message);
      return;
    }

  /* The clock never runs backwards across a restart. */
  clock = g_key_file_get_int64 (file, "sim", "clock", NULL);
  if (clock > wxpay_sim_now (self))
    self->offset += clock - wxpay_sim_now (self);
  self->counter = MAX (self->counter, g_key_file_get_uint64 (file, "sim", "counter", NULL));

  groups = g_key_file_get_groups (file, NULL);
  for (guint pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; groups[i] != NULL; i++)
        {
          const char *group = groups[i];

          if (pass == 0 && g_str_has_prefix (group, "order "))
            {
              g_autofree char *request = g_key_file_get_string (file, group, "request", NULL);
              g_autofree char *state = g_key_file_get_string (file, group, "state", NULL);
              g_autofree char *sign_type = g_key_file_get_string (file, group, "sign_type", NULL);
              g_autofree char *trade_type = g_key_file_get_string (file, group, "trade_type", NULL);
              WxpayParams *business;
              SimOrder *order;
              TradeState trade_state;

              if (request == NULL || trade_type == NULL || !parse_trade_state (state, &trade_state))
                continue;
              business = wxpay_xml_decode (request, strlen (request), NULL);
              if (business == NULL)
                continue;

              order = g_new0 (SimOrder, 1);
              order->out_trade_no = g_key_file_get_string (file, group, "out_trade_no", NULL);
              order->trade_type = g_steal_pointer (&trade_type);
              order->token = g_key_file_get_string (file, group, "token", NULL);
              order->prepay_id = g_key_file_get_string (file, group, "prepay_id", NULL);
              order->transaction_id = g_key_file_get_string (file, group, "transaction_id", NULL);
              order->request = business;
              if (!wxpay_sign_type_from_string (sign_type, &order->sign_type))
                order->sign_type = WXPAY_SIGN_TYPE_MD5;
              order->total_fee = g_key_file_get_int64 (file, group, "total_fee", NULL);
              order->created = g_key_file_get_int64 (file, group, "created", NULL);
              order->expire = g_key_file_get_int64 (file, group, "expire", NULL);
              order->paid_at = g_key_file_get_int64 (file, group, "paid_at", NULL);
              order->closed_at = g_key_file_get_int64 (file, group, "closed_at", NULL);
              order->state = trade_state;
              order->pending = g_key_file_get_integer (file, group, "pending", NULL);
              order->pending_until = g_key_file_get_int64 (file, group, "pending_until", NULL);
              order->notify.attempts = g_key_file_get_integer (file, group, "notify_attempts", NULL);
              order->notify.acked = g_key_file_get_boolean (file, group, "notify_acked", NULL);
              order->refunds = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_refund_free);

              if (order->out_trade_no == NULL || order->token == NULL ||
                  g_hash_table_contains (self->orders, order->out_trade_no))
                {
                  wxpay_sim_order_free (order);
                  continue;
                }
              g_hash_table_insert (self->orders, order->out_trade_no, order);
              g_hash_table_insert (self->by_token, order->token, order);
              if (order->transaction_id != NULL)
                g_hash_table_insert (self->by_transaction, order->transaction_id, order);
              if (!wxpay_sim_is_empty (wxpay_sim_order_get (order, "auth_code")))
                g_hash_table_add (self->auth_codes, g_strdup (wxpay_sim_order_get (order, "auth_code")));
              g_ptr_array_add (self->order_list, order);

              if (order->paid_at > 0 && !order->notify.acked &&
                  order->notify.attempts <= G_N_ELEMENTS (wxpay_sim_notify_intervals))
                wxpay_sim_start_payment_notification (self, order);
            }
          else if (pass == 1 && g_str_has_prefix (group, "refund "))
            {
              g_autofree char *out_trade_no = g_key_file_get_string (file, group, "out_trade_no", NULL);
              SimOrder *order = out_trade_no ? g_hash_table_lookup (self->orders, out_trade_no) : NULL;
              SimRefund *refund;

              if (order == NULL)
                continue;
              refund = g_new0 (SimRefund, 1);
              refund->order = order;
              refund->out_refund_no = g_key_file_get_string (file, group, "out_refund_no", NULL);
              refund->refund_id = g_key_file_get_string (file, group, "refund_id", NULL);
              refund->notify_url = g_key_file_get_string (file, group, "notify_url", NULL);
              refund->refund_fee = g_key_file_get_int64 (file, group, "refund_fee", NULL);
              refund->created = g_key_file_get_int64 (file, group, "created", NULL);
              refund->done_at = g_key_file_get_int64 (file, group, "done_at", NULL);
              refund->abnormal = g_key_file_get_boolean (file, group, "abnormal", NULL);
              refund->notify.attempts = g_key_file_get_integer (file, group, "notify_attempts", NULL);
              refund->notify.acked = g_key_file_get_boolean (file, group, "notify_acked", NULL);
              if (refund->out_refund_no == NULL || refund->refund_id == NULL ||
                  g_hash_table_contains (self->refunds, refund->out_refund_no))
                {
                  wxpay_sim_refund_free (refund);
                  continue;
                }
              g_ptr_array_add (order->refunds, refund);
              g_hash_table_insert (self->refunds, refund->out_refund_no, refund);
              g_hash_table_insert (self->refunds_by_id, refund->refund_id, refund);
              if (!refund->notify.acked && refund->notify.attempts <= G_N_ELEMENTS (wxpay_sim_notify_intervals))
                wxpay_sim_refund_notify_start (self, refund);
            }
        }
    }
}
