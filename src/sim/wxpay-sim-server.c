/* wxpay-sim-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A WeChat Pay v2 gateway on a SoupServer. Every behaviour follows docs/wxpay-v2.md (§16 is the
 * checklist); where the reference leaves a choice open, the choice is written next to the code
 * and in src/sim/README.md. Order state changes that depend on time (expiry, a micropay that
 * waits for the user's password, a refund that is processing) are evaluated lazily against the
 * simulator's clock, so advancing the clock needs no timers; only notification deliveries are
 * scheduled.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wxpay-sim-server.h"
#include "wxpay-sim-private.h"

#define USEC(seconds) ((gint64)(seconds) * G_USEC_PER_SEC)

/* code_url and prepay_id are valid for two hours (§4.4). */
#define CODE_URL_LIFETIME USEC (2 * 3600)
/* How long a simulated refund stays PROCESSING, and a micropay waits for the password. */
#define REFUND_PROCESSING_TIME USEC (5)
#define USERPAYING_TIME USEC (10)
#define MAX_REFUNDS_PER_ORDER 50
#define REFUNDQUERY_PAGE 10
/* Above ¥1000 a micropay needs the password (§13). */
#define MICROPAY_PASSWORD_ABOVE 100000
#define REVERSE_MAX_AGE USEC (7 * 24 * 3600)
#define SIM_OPENID "oSaomaSim0000000000000000001"

/* §9: the intervals between deliveries of an unacknowledged notification, in seconds. */
static const guint notify_intervals[] = {
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
};

typedef enum {
  TRADE_NOTPAY,
  TRADE_USERPAYING,
  TRADE_SUCCESS,
  TRADE_REFUND,
  TRADE_CLOSED,
  TRADE_REVOKED,
  TRADE_PAYERROR,
} TradeState;

static const char * const trade_state_names[] = {
  "NOTPAY", "USERPAYING", "SUCCESS", "REFUND", "CLOSED", "REVOKED", "PAYERROR",
};

static const char * const trade_state_descs[] = {
  "订单未支付",
  "需要用户输入支付密码",
  "支付成功",
  "订单发生过退款，退款详情请查询退款单",
  "订单已关闭",
  "订单已撤销",
  "支付失败，请重新下单支付",
};

typedef enum {
  PENDING_NONE,
  PENDING_SUCCESS,   /* USERPAYING, then paid */
  PENDING_FAILURE,   /* USERPAYING, then PAYERROR */
} PendingOutcome;

typedef struct {
  guint    attempts;
  gboolean acked;
} NotifyState;

typedef struct _SimOrder SimOrder;

typedef struct {
  SimOrder   *order;          /* unowned back pointer */
  char       *out_refund_no;
  char       *refund_id;
  char       *notify_url;
  gint64      refund_fee;
  gint64      created;
  gint64      done_at;        /* PROCESSING until then, SUCCESS after */
  NotifyState notify;
} SimRefund;

struct _SimOrder {
  char          *out_trade_no;
  char          *trade_type;
  char          *token;
  char          *prepay_id;
  char          *transaction_id;
  WxpayParams   *request;     /* the business fields of the creating request */
  WxpaySignType  sign_type;
  gint64         total_fee;
  gint64         created;
  gint64         expire;      /* 0: never */
  gint64         paid_at;
  gint64         closed_at;
  TradeState     state;
  PendingOutcome pending;
  gint64         pending_until;
  GPtrArray     *refunds;     /* SimRefund *, owned */
  NotifyState    notify;
};

typedef struct {
  char    *out_trade_no;
  char    *out_refund_no;     /* NULL: the payment notification */
  gint64   due;
  gboolean in_flight;
} Delivery;

struct _WxpaySimServer {
  GObject          parent_instance;

  char            *appid;
  char            *mch_id;
  char            *api_key;
  guint64          seed;
  double           time_scale;
  guint            close_min_age;
  GTlsCertificate *tls_certificate;
  GTlsDatabase    *client_ca;
  char            *state_file;

  SoupServer      *server;
  char            *base_uri;
  SoupSession     *session;
  GCancellable    *cancellable;
  GRand           *rand;
  GPtrArray       *faults;

  GHashTable      *orders;          /* out_trade_no → SimOrder (owned) */
  GPtrArray       *order_list;      /* creation order, unowned */
  GHashTable      *by_token;
  GHashTable      *by_transaction;
  GHashTable      *refunds;         /* out_refund_no → SimRefund (owned by the order) */
  GHashTable      *refunds_by_id;
  GHashTable      *auth_codes;      /* used micropay codes */
  GPtrArray       *deliveries;      /* Delivery * */
  GPtrArray       *paused;          /* Call * held for latency */

  gint64           real_base;
  gint64           mono_base;
  gint64           offset;
  guint64          counter;
  guint            timer_id;
  guint            save_id;
  gboolean         shut_down;
};

enum {
  PROP_0,
  PROP_APPID,
  PROP_MCH_ID,
  PROP_API_KEY,
  PROP_SEED,
  PROP_TIME_SCALE,
  PROP_CLOSE_MIN_AGE,
  PROP_TLS_CERTIFICATE,
  PROP_CLIENT_CA,
  PROP_STATE_FILE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (WxpaySimServer, wxpay_sim_server, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* One gateway request being handled. */
typedef struct {
  WxpaySimServer        *self;
  SoupServerMessage     *msg;
  char                  *path;
  WxpaySimFaultDecision  fault;
  WxpayParams           *req;
  WxpaySignType          sign_type;
  gint64                 now;
  guint                  latency_id;
} Call;

static void schedule_deliveries (WxpaySimServer *self);
static void queue_save          (WxpaySimServer *self);

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static void
sim_refund_free (SimRefund *refund)
{
  g_free (refund->out_refund_no);
  g_free (refund->refund_id);
  g_free (refund->notify_url);
  g_free (refund);
}

static void
sim_order_free (SimOrder *order)
{
  g_free (order->out_trade_no);
  g_free (order->trade_type);
  g_free (order->token);
  g_free (order->prepay_id);
  g_free (order->transaction_id);
  g_clear_pointer (&order->request, wxpay_params_unref);
  g_clear_pointer (&order->refunds, g_ptr_array_unref);
  g_free (order);
}

static void
delivery_free (Delivery *delivery)
{
  g_free (delivery->out_trade_no);
  g_free (delivery->out_refund_no);
  g_free (delivery);
}

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->latency_id, g_source_remove);
  g_clear_object (&call->msg);
  g_clear_pointer (&call->req, wxpay_params_unref);
  g_free (call->path);
  g_free (call);
}

static gint64
sim_now (WxpaySimServer *self)
{
  gint64 elapsed = g_get_monotonic_time () - self->mono_base;

  return self->real_base + (gint64)((double)elapsed * self->time_scale) + self->offset;
}

static const char *
order_get (SimOrder   *order,
           const char *name)
{
  const char *value = wxpay_params_get (order->request, name);

  return value != NULL ? value : "";
}

static char *
format_compact (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);

  return wxpay_time_format (utc);
}

static char *
format_iso (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S+08:00");
}

static char *
random_alnum (guint length)
{
  static const char chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char *out = g_new (char, length + 1);

  for (guint i = 0; i < length; i++)
    out[i] = chars[g_random_int_range (0, sizeof chars - 1)];
  out[length] = '\0';

  return out;
}

static char *
today_digits (gint64 now)
{
  g_autofree char *compact = format_compact (now);

  return g_strndup (compact, 8);
}

static char *
new_transaction_id (WxpaySimServer *self,
                    gint64          now)
{
  g_autofree char *day = today_digits (now);

  self->counter++;
  return g_strdup_printf ("4200000000%s%010" G_GUINT64_FORMAT, day, self->counter % 10000000000);
}

static char *
new_refund_id (WxpaySimServer *self,
               gint64          now)
{
  g_autofree char *day = today_digits (now);

  self->counter++;
  return g_strdup_printf ("5030000000%s%011" G_GUINT64_FORMAT, day, self->counter % 100000000000);
}

static gboolean
is_positive_int (const char *text,
                 gint64     *out)
{
  gint64 value;

  if (text == NULL || text[0] == '\0' || text[0] == '0')
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  if (strlen (text) > 15)
    return FALSE;
  value = g_ascii_strtoll (text, NULL, 10);
  if (value <= 0)
    return FALSE;
  if (out != NULL)
    *out = value;
  return TRUE;
}

static gboolean
is_out_refund_no (const char *text)
{
  gsize len = text != NULL ? strlen (text) : 0;

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-|*@", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_empty (const char *value)
{
  return value == NULL || value[0] == '\0';
}

/* The fields that identify a request for re-entry: everything but the envelope. */
static gboolean
is_envelope_field (const char *name)
{
  return strcmp (name, "appid") == 0 || strcmp (name, "mch_id") == 0 ||
         strcmp (name, "nonce_str") == 0 || strcmp (name, "sign") == 0 ||
         strcmp (name, "sign_type") == 0;
}

static WxpayParams *
business_fields (const WxpayParams *req)
{
  WxpayParams *out = wxpay_params_new ();

  for (guint i = 0; i < wxpay_params_get_size (req); i++)
    {
      const char *name = wxpay_params_get_name (req, i);
      const char *value = wxpay_params_get_value (req, i);

      if (!is_envelope_field (name) && value[0] != '\0')
        wxpay_params_set (out, name, value);
    }

  return out;
}

static gboolean
same_business_fields (const WxpayParams *stored,
                      const WxpayParams *req)
{
  g_autoptr(WxpayParams) other = business_fields (req);

  if (wxpay_params_get_size (other) != wxpay_params_get_size (stored))
    return FALSE;
  for (guint i = 0; i < wxpay_params_get_size (other); i++)
    {
      const char *mine = wxpay_params_get (stored, wxpay_params_get_name (other, i));

      if (g_strcmp0 (mine, wxpay_params_get_value (other, i)) != 0)
        return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Orders and their lazy transitions                                                           */

static void
start_payment_notification (WxpaySimServer *self,
                            SimOrder       *order)
{
  Delivery *delivery;

  if (strcmp (order->trade_type, "MICROPAY") == 0 || is_empty (order_get (order, "notify_url")))
    return;

  delivery = g_new0 (Delivery, 1);
  delivery->out_trade_no = g_strdup (order->out_trade_no);
  delivery->due = sim_now (self);
  g_ptr_array_add (self->deliveries, delivery);
  schedule_deliveries (self);
}

static void
mark_paid (WxpaySimServer *self,
           SimOrder       *order,
           gint64          when)
{
  order->state = TRADE_SUCCESS;
  order->pending = PENDING_NONE;
  order->paid_at = when;
  if (order->transaction_id == NULL)
    {
      order->transaction_id = new_transaction_id (self, when);
      g_hash_table_insert (self->by_transaction, order->transaction_id, order);
    }
  start_payment_notification (self, order);
  queue_save (self);
}

static void
order_refresh (WxpaySimServer *self,
               SimOrder       *order,
               gint64          now)
{
  if (order->state == TRADE_USERPAYING && order->pending != PENDING_NONE &&
      now >= order->pending_until)
    {
      if (order->pending == PENDING_SUCCESS)
        mark_paid (self, order, order->pending_until);
      else
        order->state = TRADE_PAYERROR;
      order->pending = PENDING_NONE;
      queue_save (self);
    }

  if ((order->state == TRADE_NOTPAY ||
       (order->state == TRADE_USERPAYING && order->pending == PENDING_NONE)) &&
      order->expire > 0 && now >= order->expire)
    {
      order->state = TRADE_CLOSED;
      order->closed_at = order->expire;
      queue_save (self);
    }
}

static SimOrder *
lookup_order (WxpaySimServer *self,
              const char     *transaction_id,
              const char     *out_trade_no,
              gint64          now)
{
  SimOrder *order = NULL;

  if (!is_empty (transaction_id))
    order = g_hash_table_lookup (self->by_transaction, transaction_id);
  else if (!is_empty (out_trade_no))
    order = g_hash_table_lookup (self->orders, out_trade_no);

  if (order != NULL)
    order_refresh (self, order, now);

  return order;
}

static gint64
order_refunded (SimOrder *order)
{
  gint64 sum = 0;

  for (guint i = 0; i < order->refunds->len; i++)
    sum += ((SimRefund *)g_ptr_array_index (order->refunds, i))->refund_fee;

  return sum;
}

static const char *
refund_status (SimRefund *refund,
               gint64     now)
{
  return now >= refund->done_at ? "SUCCESS" : "PROCESSING";
}

static SimOrder *
add_order (WxpaySimServer *self,
           const char     *out_trade_no,
           const char     *trade_type,
           WxpayParams    *business,
           WxpaySignType   sign_type,
           gint64          total_fee,
           gint64          now,
           gint64          expire)
{
  SimOrder *order = g_new0 (SimOrder, 1);
  g_autofree char *stamp = format_compact (now);
  g_autofree char *rnd = random_alnum (20);

  order->out_trade_no = g_strdup (out_trade_no);
  order->trade_type = g_strdup (trade_type);
  do
    {
      g_free (order->token);
      order->token = random_alnum (12);
    }
  while (g_hash_table_contains (self->by_token, order->token));
  order->prepay_id = g_strdup_printf ("wx%s%s", stamp, rnd);
  order->request = business;
  order->sign_type = sign_type;
  order->total_fee = total_fee;
  order->created = now;
  order->expire = expire;
  order->state = TRADE_NOTPAY;
  order->refunds = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_refund_free);

  g_hash_table_insert (self->orders, order->out_trade_no, order);
  g_hash_table_insert (self->by_token, order->token, order);
  g_ptr_array_add (self->order_list, order);
  queue_save (self);

  return order;
}

/* ------------------------------------------------------------------------------------------ */
/* Answers                                                                                     */

static GBytes *
fail_bytes (const char *return_msg)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();

  wxpay_params_set (answer, "return_code", "FAIL");
  wxpay_params_set (answer, "return_msg", return_msg);

  return wxpay_xml_encode (answer);
}

/* The error XML of downloadbill (§11): error_code, never signed. */
static GBytes *
bill_error_bytes (const char *return_msg,
                  const char *error_code)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();

  wxpay_params_set (answer, "return_code", "FAIL");
  wxpay_params_set (answer, "return_msg", return_msg);
  wxpay_params_set (answer, "error_code", error_code);

  return wxpay_xml_encode (answer);
}

static WxpayParams *
answer_new (Call       *call,
            const char *result_code)
{
  WxpayParams *answer = wxpay_params_new ();
  g_autofree char *nonce = wxpay_nonce_new ();

  wxpay_params_set (answer, "return_code", "SUCCESS");
  wxpay_params_set (answer, "return_msg", "OK");
  wxpay_params_set (answer, "appid", call->self->appid);
  wxpay_params_set (answer, "mch_id", call->self->mch_id);
  wxpay_params_set (answer, "nonce_str", nonce);
  wxpay_params_set (answer, "result_code", result_code);

  return answer;
}

static WxpayParams *
answer_error (Call       *call,
              const char *err_code,
              const char *err_code_des)
{
  WxpayParams *answer = answer_new (call, "FAIL");

  wxpay_params_set (answer, "err_code", err_code);
  wxpay_params_set (answer, "err_code_des", err_code_des);

  return answer;
}

static void
corrupt_sign (WxpayParams *params)
{
  g_autofree char *sign = g_strdup (wxpay_params_get (params, "sign"));

  if (sign == NULL || sign[0] == '\0')
    return;
  sign[0] = sign[0] == 'A' ? 'B' : 'A';
  wxpay_params_set (params, "sign", sign);
}

/* Signs (return_code=SUCCESS only, with the request's algorithm, without adding a sign_type
 * element) and encodes; the bad_sign fault corrupts the signature here. */
static GBytes *
finish_answer (Call        *call,
               WxpayParams *answer)
{
  g_autoptr(WxpayParams) owned = answer;

  if (g_strcmp0 (wxpay_params_get (answer, "return_code"), "SUCCESS") == 0)
    {
      g_autofree char *sign = wxpay_sign (answer, call->sign_type, call->self->api_key);

      wxpay_params_set (answer, "sign", sign);
      if (call->fault.bad_sign)
        corrupt_sign (answer);
    }

  return wxpay_xml_encode (answer);
}

static void
respond_bytes (SoupServerMessage *msg,
               guint              status,
               const char        *content_type,
               GBytes            *body)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, data, size);
}

static void
drop_connection (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Gateway: validation helpers                                                                 */

static const char *
check_required (const WxpayParams *req,
                const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (is_empty (wxpay_params_get (req, names[i])))
      return names[i];
  return NULL;
}

static WxpayParams *
lack_params (Call       *call,
             const char *name)
{
  g_autofree char *des = g_strdup_printf ("缺少参数%s", name);

  return answer_error (call, "LACK_PARAMS", des);
}

static GBytes *
format_error (const char *name)
{
  g_autofree char *msg = g_strdup_printf ("%s参数格式错误", name);

  return fail_bytes (msg);
}

static gboolean
max_length_ok (const WxpayParams *req,
               const char        *name,
               gsize              max)
{
  const char *value = wxpay_params_get (req, name);

  return value == NULL || strlen (value) <= max;
}

/* time_start / time_expire: NULL when fine, else the failing answer. */
static GBytes *
check_times (Call      *call,
             gboolean   micropay,
             gboolean   reentry,
             gint64    *out_expire,
             WxpayParams **out_business_error)
{
  const char *time_start = wxpay_params_get (call->req, "time_start");
  const char *time_expire = wxpay_params_get (call->req, "time_expire");
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) expire = NULL;
  gint64 base = call->now;
  gint64 expire_us;
  gint64 min_gap = micropay ? USEC (60) : USEC (300);

  *out_expire = 0;
  *out_business_error = NULL;

  if (!is_empty (time_start))
    {
      start = wxpay_time_parse (time_start);
      if (start == NULL)
        return format_error ("time_start");
      base = g_date_time_to_unix (start) * G_USEC_PER_SEC;
    }
  if (is_empty (time_expire))
    return NULL;

  expire = wxpay_time_parse (time_expire);
  if (expire == NULL)
    return format_error ("time_expire");
  expire_us = g_date_time_to_unix (expire) * G_USEC_PER_SEC;
  *out_expire = expire_us;

  if (reentry)
    return NULL;

  /* Without time_start the gap is measured from the sim's clock; allow for the client having
   * computed "now + 5 min" a moment before the request arrived, at second granularity. */
  if (expire_us - base < min_gap - (start == NULL ? USEC (5) : 0) || expire_us <= call->now)
    *out_business_error = answer_error (call, "PARAM_ERROR",
                                        "time_expire时间过短，刷卡至少1分钟，其他5分钟");
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Gateway: the APIs                                                                           */

/* The checks unifiedorder and micropay share (§4.1, §13.1). */
static GBytes *
check_order_fields (Call       *call,
                    const char *out_trade_no,
                    gint64     *out_total_fee)
{
  if (!wxpay_out_trade_no_is_valid (out_trade_no))
    return format_error ("out_trade_no");
  if (!is_positive_int (wxpay_params_get (call->req, "total_fee"), out_total_fee))
    return fail_bytes ("invalid total_fee");
  if (!max_length_ok (call->req, "body", 127))
    return fail_bytes ("body参数长度有误");
  return NULL;
}

static GBytes *
api_unifiedorder (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = {
    "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type", NULL
  };
  const char *missing = check_required (call->req, required);
  const char *trade_type = wxpay_params_get (call->req, "trade_type");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *notify_url = wxpay_params_get (call->req, "notify_url");
  const char *fee_type = wxpay_params_get (call->req, "fee_type");
  g_autoptr(GInetAddress) ip = NULL;
  WxpayParams *business_error = NULL;
  SimOrder *order;
  GBytes *bad;
  gint64 total_fee;
  gint64 expire;
  WxpayParams *answer;

  if (missing != NULL)
    return finish_answer (call, lack_params (call, missing));

  if ((bad = check_order_fields (call, out_trade_no, &total_fee)) != NULL)
    return bad;
  if (!max_length_ok (call->req, "attach", 127))
    return fail_bytes ("attach参数长度有误");
  if (!max_length_ok (call->req, "device_info", 32))
    return format_error ("device_info");
  if (!max_length_ok (call->req, "product_id", 32))
    return format_error ("product_id");
  if (strcmp (trade_type, "NATIVE") != 0 && strcmp (trade_type, "JSAPI") != 0 &&
      strcmp (trade_type, "APP") != 0 && strcmp (trade_type, "MWEB") != 0)
    return format_error ("trade_type");
  ip = g_inet_address_new_from_string (wxpay_params_get (call->req, "spbill_create_ip"));
  if (ip == NULL || !max_length_ok (call->req, "spbill_create_ip", 64))
    return format_error ("spbill_create_ip");
  /* §4.1: an absolute http(s) URL without a query string. */
  if ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) ||
      strchr (notify_url, '?') != NULL || strlen (notify_url) > 256)
    return format_error ("notify_url");
  if (!is_empty (fee_type) && strcmp (fee_type, "CNY") != 0)
    return format_error ("fee_type");

  if (strcmp (trade_type, "NATIVE") == 0 && is_empty (wxpay_params_get (call->req, "product_id")))
    return finish_answer (call, answer_error (call, "PARAM_ERROR",
                                              "当trade_type是'NATIVE'时，需指定非空的product_id值"));
  if (strcmp (trade_type, "JSAPI") == 0 && is_empty (wxpay_params_get (call->req, "openid")))
    return finish_answer (call, answer_error (call, "PARAM_ERROR",
                                              "trade_type=JSAPI时（即JSAPI支付），必须传openid"));

  order = lookup_order (self, NULL, out_trade_no, call->now);

  bad = check_times (call, FALSE, order != NULL, &expire, &business_error);
  if (bad != NULL)
    return bad;

  if (order != NULL)
    {
      /* §4.4 re-entry: the state decides first, then the parameters. */
      g_clear_pointer (&business_error, wxpay_params_unref);
      switch (order->state)
        {
        case TRADE_SUCCESS:
        case TRADE_REFUND:
          return finish_answer (call, answer_error (call, "ORDERPAID", "该订单已支付"));
        case TRADE_CLOSED:
        case TRADE_PAYERROR:
          return finish_answer (call, answer_error (call, "ORDERCLOSED", "该订单已关闭"));
        case TRADE_REVOKED:
          return finish_answer (call, answer_error (call, "ORDERREVERSED", "该订单已撤销"));
        case TRADE_NOTPAY:
        case TRADE_USERPAYING:
        default:
          break;
        }
      if (strcmp (order->trade_type, "MICROPAY") == 0)
        return finish_answer (call, answer_error (call, "OUT_TRADE_NO_USED", "商户订单号重复"));
      if (!same_business_fields (order->request, call->req))
        return finish_answer (call, answer_error (call, "INVALID_REQUEST", "201 商户订单号重复"));
    }
  else
    {
      gint64 effective;

      if (business_error != NULL)
        return finish_answer (call, business_error);

      /* The QR is dead after two hours whatever time_expire says. */
      effective = call->now + CODE_URL_LIFETIME;
      if (expire > 0 && expire < effective)
        effective = expire;
      order = add_order (self, out_trade_no, trade_type, business_fields (call->req),
                         call->sign_type, total_fee, call->now, effective);
    }

  answer = answer_new (call, "SUCCESS");
  if (!is_empty (wxpay_params_get (call->req, "device_info")))
    wxpay_params_set (answer, "device_info", wxpay_params_get (call->req, "device_info"));
  wxpay_params_set (answer, "trade_type", order->trade_type);
  wxpay_params_set (answer, "prepay_id", order->prepay_id);
  if (strcmp (order->trade_type, "NATIVE") == 0)
    {
      g_autofree char *code_url = g_strdup_printf ("weixin://wxpay/bizpayurl?pr=%s", order->token);

      wxpay_params_set (answer, "code_url", code_url);
    }
  if (strcmp (order->trade_type, "MWEB") == 0)
    {
      g_autofree char *mweb = g_strdup_printf ("%s/sim/pay/%s", self->base_uri, order->token);

      wxpay_params_set (answer, "mweb_url", mweb);
    }

  return finish_answer (call, answer);
}

static void
add_payment_fields (WxpayParams *answer,
                    SimOrder    *order,
                    gint64       total_fee)
{
  g_autofree char *time_end = format_compact (order->paid_at);

  if (!is_empty (order_get (order, "device_info")))
    wxpay_params_set (answer, "device_info", order_get (order, "device_info"));
  wxpay_params_set (answer, "openid", SIM_OPENID);
  wxpay_params_set (answer, "is_subscribe", "N");
  wxpay_params_set (answer, "trade_type", order->trade_type);
  wxpay_params_set (answer, "bank_type", "OTHERS");
  wxpay_params_set_int64 (answer, "total_fee", total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", total_fee);
  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set (answer, "attach", order_get (order, "attach"));
  wxpay_params_set (answer, "time_end", time_end);
}

static GBytes *
api_orderquery (Call *call)
{
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (is_empty (transaction_id) && is_empty (out_trade_no))
    return finish_answer (call, lack_params (call, "out_trade_no"));

  order = lookup_order (call->self, transaction_id, out_trade_no, call->now);
  if (order == NULL)
    return finish_answer (call, answer_error (call, "ORDERNOTEXIST", "订单不存在"));

  answer = answer_new (call, "SUCCESS");
  if (order->transaction_id != NULL && order->paid_at > 0)
    add_payment_fields (answer, order, order->total_fee);
  else
    {
      /* §5: an unpaid order answers only with its number (+attach) and its state. */
      wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
      wxpay_params_set (answer, "attach", order_get (order, "attach"));
      wxpay_params_set (answer, "trade_type", order->trade_type);
    }
  wxpay_params_set (answer, "trade_state", trade_state_names[order->state]);
  wxpay_params_set (answer, "trade_state_desc", trade_state_descs[order->state]);

  return finish_answer (call, answer);
}

static GBytes *
api_closeorder (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (is_empty (out_trade_no))
    return finish_answer (call, lack_params (call, "out_trade_no"));

  order = lookup_order (self, NULL, out_trade_no, call->now);
  if (order == NULL)
    return finish_answer (call, answer_error (call, "ORDERNOTEXIST", "订单不存在"));

  switch (order->state)
    {
    case TRADE_SUCCESS:
    case TRADE_REFUND:
      return finish_answer (call, answer_error (call, "ORDERPAID", "订单已支付，不能发起关单"));
    case TRADE_CLOSED:
      return finish_answer (call, answer_error (call, "ORDERCLOSED", "订单已关闭，无需继续调用"));
    case TRADE_REVOKED:
    case TRADE_PAYERROR:
    case TRADE_USERPAYING:
      return finish_answer (call, answer_error (call, "TRADE_STATE_ERROR", "订单状态错误"));
    case TRADE_NOTPAY:
    default:
      break;
    }

  /* §6: not earlier than close-min-age after creation. The real gateway's answer to a too-early
   * close is SYSTEMERROR "system error" (community report [S27]); reproduced as such. */
  if (call->now < order->created + USEC (self->close_min_age))
    return finish_answer (call, answer_error (call, "SYSTEMERROR", "system error"));

  order->state = TRADE_CLOSED;
  order->closed_at = call->now;
  queue_save (self);

  answer = answer_new (call, "SUCCESS");
  wxpay_params_set (answer, "result_msg", "OK");
  return finish_answer (call, answer);
}

static void
refund_notify_start (WxpaySimServer *self,
                     SimRefund      *refund)
{
  Delivery *delivery;

  if (is_empty (refund->notify_url))
    return;

  delivery = g_new0 (Delivery, 1);
  delivery->out_trade_no = g_strdup (refund->order->out_trade_no);
  delivery->out_refund_no = g_strdup (refund->out_refund_no);
  delivery->due = MAX (refund->done_at, sim_now (self));
  g_ptr_array_add (self->deliveries, delivery);
  schedule_deliveries (self);
}

static WxpayParams *
refund_answer (Call      *call,
               SimRefund *refund)
{
  SimOrder *order = refund->order;
  WxpayParams *answer = answer_new (call, "SUCCESS");

  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set (answer, "out_refund_no", refund->out_refund_no);
  wxpay_params_set (answer, "refund_id", refund->refund_id);
  wxpay_params_set_int64 (answer, "refund_fee", refund->refund_fee);
  wxpay_params_set_int64 (answer, "settlement_refund_fee", refund->refund_fee);
  wxpay_params_set_int64 (answer, "total_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "settlement_total_fee", order->total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", order->total_fee);
  wxpay_params_set (answer, "cash_fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_refund_fee", refund->refund_fee);
  wxpay_params_set (answer, "coupon_refund_fee", "0");
  wxpay_params_set (answer, "coupon_refund_count", "0");

  return answer;
}

static GBytes *
api_refund (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = { "out_refund_no", "total_fee", "refund_fee", NULL };
  const char *missing = check_required (call->req, required);
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *out_refund_no = wxpay_params_get (call->req, "out_refund_no");
  const char *notify_url = wxpay_params_get (call->req, "notify_url");
  SimRefund *refund;
  SimOrder *order;
  gint64 total_fee;
  gint64 refund_fee;

  if (missing == NULL && is_empty (transaction_id) && is_empty (out_trade_no))
    missing = "out_trade_no";
  if (missing != NULL)
    return finish_answer (call, lack_params (call, missing));

  if (!is_out_refund_no (out_refund_no))
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "out_refund_no参数格式错误"));
  if (!is_positive_int (wxpay_params_get (call->req, "total_fee"), &total_fee))
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "invalid total_fee"));
  if (!is_positive_int (wxpay_params_get (call->req, "refund_fee"), &refund_fee))
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "invalid refund_fee"));
  if (!is_empty (notify_url) &&
      ((!g_str_has_prefix (notify_url, "http://") && !g_str_has_prefix (notify_url, "https://")) ||
       strchr (notify_url, '?') != NULL))
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "notify_url参数格式错误"));

  order = lookup_order (self, transaction_id, out_trade_no, call->now);
  if (order == NULL && !is_empty (transaction_id))
    return finish_answer (call, answer_error (call, "INVALID_TRANSACTIONID", "无效transaction_id"));
  if (order == NULL || (order->state != TRADE_SUCCESS && order->state != TRADE_REFUND))
    return finish_answer (call, answer_error (call, "ORDERNOTEXIST", "订单不存在或未支付"));

  /* §7: the same out_refund_no is refunded once; a retry gets the same refund back. */
  refund = g_hash_table_lookup (self->refunds, out_refund_no);
  if (refund != NULL)
    {
      if (refund->order != order || refund->refund_fee != refund_fee || total_fee != order->total_fee)
        return finish_answer (call, answer_error (call, "PARAM_ERROR",
                                                  "订单金额或退款金额与之前请求不一致，请核实后再试"));
      return finish_answer (call, refund_answer (call, refund));
    }

  if (total_fee != order->total_fee)
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "订单金额不一致"));
  if (refund_fee > total_fee)
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "退款金额大于订单金额"));
  if (order->refunds->len >= MAX_REFUNDS_PER_ORDER)
    return finish_answer (call, answer_error (call, "ERROR", "订单退款次数超过限制（最多50次）"));
  if (order_refunded (order) >= order->total_fee)
    return finish_answer (call, answer_error (call, "ERROR", "订单已全额退款"));
  if (order_refunded (order) + refund_fee > order->total_fee)
    return finish_answer (call, answer_error (call, "ERROR", "累计退款金额大于支付金额"));

  refund = g_new0 (SimRefund, 1);
  refund->order = order;
  refund->out_refund_no = g_strdup (out_refund_no);
  refund->refund_id = new_refund_id (self, call->now);
  refund->notify_url = g_strdup (is_empty (notify_url) ? NULL : notify_url);
  refund->refund_fee = refund_fee;
  refund->created = call->now;
  refund->done_at = call->now + REFUND_PROCESSING_TIME;
  g_ptr_array_add (order->refunds, refund);
  g_hash_table_insert (self->refunds, refund->out_refund_no, refund);
  g_hash_table_insert (self->refunds_by_id, refund->refund_id, refund);
  order->state = TRADE_REFUND;
  refund_notify_start (self, refund);
  queue_save (self);

  return finish_answer (call, refund_answer (call, refund));
}

static GBytes *
api_refundquery (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *refund_id = wxpay_params_get (call->req, "refund_id");
  const char *out_refund_no = wxpay_params_get (call->req, "out_refund_no");
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *offset_text = wxpay_params_get (call->req, "offset");
  g_autoptr(GPtrArray) selected = g_ptr_array_new ();
  SimOrder *order = NULL;
  WxpayParams *answer;
  guint64 offset = 0;
  guint total = 0;

  if (!is_empty (offset_text) &&
      !g_ascii_string_to_unsigned (offset_text, 10, 0, G_MAXUINT, &offset, NULL))
    return finish_answer (call, answer_error (call, "PARAM_ERROR", "offset参数格式错误"));

  /* §8: refund_id > out_refund_no > transaction_id > out_trade_no. */
  if (!is_empty (refund_id) || !is_empty (out_refund_no))
    {
      SimRefund *refund = !is_empty (refund_id)
        ? g_hash_table_lookup (self->refunds_by_id, refund_id)
        : g_hash_table_lookup (self->refunds, out_refund_no);

      if (refund == NULL)
        return finish_answer (call, answer_error (call, "REFUNDNOTEXIST", "退款订单查询失败"));
      order = refund->order;
      g_ptr_array_add (selected, refund);
      total = 1;
    }
  else if (!is_empty (transaction_id) || !is_empty (out_trade_no))
    {
      order = lookup_order (self, transaction_id, out_trade_no, call->now);
      if (order == NULL && !is_empty (transaction_id))
        return finish_answer (call, answer_error (call, "INVALID_TRANSACTIONID", "无效transaction_id"));
      if (order == NULL || order->refunds->len == 0)
        return finish_answer (call, answer_error (call, "REFUNDNOTEXIST", "退款订单查询失败"));
      total = order->refunds->len;
      if (offset >= total)
        return finish_answer (call, answer_error (call, "PARAM_ERROR", "offset超出范围"));
      for (guint i = offset; i < total && selected->len < REFUNDQUERY_PAGE; i++)
        g_ptr_array_add (selected, g_ptr_array_index (order->refunds, i));
    }
  else
    return finish_answer (call, lack_params (call, "out_trade_no"));

  answer = answer_new (call, "SUCCESS");
  wxpay_params_set_int64 (answer, "total_refund_count", total);
  wxpay_params_set (answer, "transaction_id", order->transaction_id);
  wxpay_params_set (answer, "out_trade_no", order->out_trade_no);
  wxpay_params_set_int64 (answer, "total_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "settlement_total_fee", order->total_fee);
  wxpay_params_set (answer, "fee_type", "CNY");
  wxpay_params_set_int64 (answer, "cash_fee", order->total_fee);
  wxpay_params_set_int64 (answer, "refund_count", selected->len);

  for (guint n = 0; n < selected->len; n++)
    {
      SimRefund *refund = g_ptr_array_index (selected, n);
      const char *status = refund_status (refund, call->now);

#define SET_N(name, value) G_STMT_START {                                  \
        g_autofree char *key_ = g_strdup_printf ("%s_%u", name, n);        \
        wxpay_params_set (answer, key_, value);                            \
      } G_STMT_END
#define SET_N_INT(name, value) G_STMT_START {                              \
        g_autofree char *key_ = g_strdup_printf ("%s_%u", name, n);        \
        wxpay_params_set_int64 (answer, key_, value);                      \
      } G_STMT_END

      SET_N ("out_refund_no", refund->out_refund_no);
      SET_N ("refund_id", refund->refund_id);
      SET_N ("refund_channel", "ORIGINAL");
      SET_N_INT ("refund_fee", refund->refund_fee);
      SET_N_INT ("settlement_refund_fee", refund->refund_fee);
      SET_N ("coupon_refund_fee", "0");
      SET_N ("coupon_refund_count", "0");
      SET_N ("refund_status", status);
      SET_N ("refund_account", "REFUND_SOURCE_UNSETTLED_FUNDS");
      SET_N ("refund_recv_accout", "支付用户零钱");
      if (strcmp (status, "SUCCESS") == 0)
        {
          g_autofree char *when = wxpay_sim_format_beijing (refund->done_at);

          SET_N ("refund_success_time", when);
        }
#undef SET_N
#undef SET_N_INT
    }

  return finish_answer (call, answer);
}

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
  g_autofree char *day = today_digits (time_us);

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
  r->device_info = order_get (order, "device_info");
  r->transaction_id = order->transaction_id;
  r->out_trade_no = order->out_trade_no;
  r->openid = SIM_OPENID;
  r->trade_type = order->trade_type;
  r->total_fee = order->total_fee;
  r->body = order_get (order, "body");
  r->attach = order_get (order, "attach");
  return r;
}

static GBytes *
api_downloadbill (Call        *call,
                  const char **out_content_type)
{
  WxpaySimServer *self = call->self;
  const char *bill_date = wxpay_params_get (call->req, "bill_date");
  const char *bill_type = wxpay_params_get (call->req, "bill_type");
  const char *tar_type = wxpay_params_get (call->req, "tar_type");
  const char *device_info = wxpay_params_get (call->req, "device_info");
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *date_time = NULL;
  g_autoptr(GBytes) text = NULL;
  gboolean any = FALSE;

  if (is_empty (bill_date))
    return bill_error_bytes ("missing parameter", "20001");
  if (is_empty (bill_type))
    bill_type = "ALL";
  if (strcmp (bill_type, "ALL") != 0 && strcmp (bill_type, "SUCCESS") != 0 &&
      strcmp (bill_type, "REFUND") != 0 && strcmp (bill_type, "RECHARGE_REFUND") != 0)
    return bill_error_bytes ("invalid bill_type", "20001");
  date_time = g_strconcat (bill_date, "000000", NULL);
  parsed = strlen (bill_date) == 8 ? wxpay_time_parse (date_time) : NULL;
  if (parsed == NULL)
    return bill_error_bytes ("data format error", "20001");
  if (!is_empty (tar_type) && strcmp (tar_type, "GZIP") != 0)
    return bill_error_bytes ("data format error", "20001");

  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);

      order_refresh (self, order, call->now);
      if (order->paid_at == 0 || order->transaction_id == NULL)
        continue;
      if (!is_empty (device_info) && g_strcmp0 (order_get (order, "device_info"), device_info) != 0)
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
          r->refund_success_time = call->now >= refund->done_at ? refund->done_at : 0;
          r->trade_state = "REFUND";
          r->refund_id = refund->refund_id;
          r->out_refund_no = refund->out_refund_no;
          r->refund_fee = refund->refund_fee;
          r->refund_status = refund_status (refund, call->now);
          g_ptr_array_add (records, r);
          any = TRUE;
        }
    }

  /* No successful transaction that day (or a recharge-refund bill, which this merchant never
   * has): the documented "No Bill Exist", error_code 20002. */
  if (!any || strcmp (bill_type, "RECHARGE_REFUND") == 0)
    return bill_error_bytes ("No Bill Exist", "20002");

  g_ptr_array_sort (records, compare_records);
  text = wxpay_sim_bill_format (bill_type, records);

  if (!is_empty (tar_type))
    {
      *out_content_type = "application/x-gzip";
      return wxpay_sim_gzip (text);
    }

  *out_content_type = "text/plain; charset=utf-8";
  return g_steal_pointer (&text);
}

typedef enum {
  MAGIC_SUCCESS,
  MAGIC_USERPAYING_SUCCESS,
  MAGIC_USERPAYING_FAILURE,
  MAGIC_AUTHCODEEXPIRE,
  MAGIC_NOTENOUGH,
} MicropayMagic;

/* §13: 18 digits starting with 10–15; the last digit selects the simulated outcome. */
static gboolean
parse_auth_code (const char    *auth_code,
                 MicropayMagic *out)
{
  if (strlen (auth_code) != 18 || auth_code[0] != '1' || auth_code[1] < '0' || auth_code[1] > '5')
    return FALSE;
  for (const char *p = auth_code; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;

  switch (auth_code[17])
    {
    case '1': *out = MAGIC_USERPAYING_SUCCESS; break;
    case '2': *out = MAGIC_USERPAYING_FAILURE; break;
    case '3': *out = MAGIC_AUTHCODEEXPIRE; break;
    case '4': *out = MAGIC_NOTENOUGH; break;
    default: *out = MAGIC_SUCCESS; break;
    }
  return TRUE;
}

static GBytes *
micropay_state_answer (Call     *call,
                       SimOrder *order)
{
  WxpayParams *answer;

  switch (order->state)
    {
    case TRADE_SUCCESS:
      answer = answer_new (call, "SUCCESS");
      add_payment_fields (answer, order, order->total_fee);
      return finish_answer (call, answer);
    case TRADE_USERPAYING:
      return finish_answer (call, answer_error (call, "USERPAYING", "需要用户输入支付密码"));
    case TRADE_PAYERROR:
      return finish_answer (call, answer_error (call, "NOTENOUGH", "余额不足"));
    case TRADE_REFUND:
      return finish_answer (call, answer_error (call, "ORDERPAID", "订单已支付"));
    case TRADE_REVOKED:
      return finish_answer (call, answer_error (call, "ORDERREVERSED", "订单已撤销"));
    case TRADE_CLOSED:
    case TRADE_NOTPAY:
    default:
      return finish_answer (call, answer_error (call, "ORDERCLOSED", "订单已关闭"));
    }
}

static GBytes *
api_micropay (Call *call)
{
  WxpaySimServer *self = call->self;
  static const char * const required[] = {
    "body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code", NULL
  };
  const char *missing = check_required (call->req, required);
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  const char *auth_code = wxpay_params_get (call->req, "auth_code");
  g_autoptr(GInetAddress) ip = NULL;
  WxpayParams *business_error = NULL;
  MicropayMagic magic;
  SimOrder *order;
  GBytes *bad;
  gint64 total_fee;
  gint64 expire;

  if (missing != NULL)
    return finish_answer (call, lack_params (call, missing));
  if ((bad = check_order_fields (call, out_trade_no, &total_fee)) != NULL)
    return bad;
  ip = g_inet_address_new_from_string (wxpay_params_get (call->req, "spbill_create_ip"));
  if (ip == NULL)
    return format_error ("spbill_create_ip");

  order = lookup_order (self, NULL, out_trade_no, call->now);
  bad = check_times (call, TRUE, order != NULL, &expire, &business_error);
  if (bad != NULL)
    return bad;

  if (order != NULL)
    {
      g_clear_pointer (&business_error, wxpay_params_unref);
      if (strcmp (order->trade_type, "MICROPAY") != 0)
        return finish_answer (call, answer_error (call, "OUT_TRADE_NO_USED", "商户订单号重复"));
      if (!same_business_fields (order->request, call->req))
        return finish_answer (call, answer_error (call, "INVALID_REQUEST", "201 商户订单号重复"));
      return micropay_state_answer (call, order);
    }
  if (business_error != NULL)
    return finish_answer (call, business_error);

  if (!parse_auth_code (auth_code, &magic))
    return finish_answer (call, answer_error (call, "AUTH_CODE_ERROR", "auth_code参数错误"));
  if (g_hash_table_contains (self->auth_codes, auth_code))
    return finish_answer (call, answer_error (call, "AUTH_CODE_INVALID",
                                              "101 每个二维码仅限使用一次，请刷新再试"));
  if (magic == MAGIC_AUTHCODEEXPIRE)
    return finish_answer (call, answer_error (call, "AUTHCODEEXPIRE",
                                              "二维码已过期，请用户在微信上刷新后再试"));

  g_hash_table_add (self->auth_codes, g_strdup (auth_code));
  order = add_order (self, out_trade_no, "MICROPAY", business_fields (call->req),
                     call->sign_type, total_fee, call->now, expire);

  switch (magic)
    {
    case MAGIC_NOTENOUGH:
      order->state = TRADE_PAYERROR;
      break;
    case MAGIC_USERPAYING_SUCCESS:
    case MAGIC_USERPAYING_FAILURE:
      order->state = TRADE_USERPAYING;
      order->pending = magic == MAGIC_USERPAYING_SUCCESS ? PENDING_SUCCESS : PENDING_FAILURE;
      order->pending_until = call->now + USERPAYING_TIME;
      break;
    case MAGIC_SUCCESS:
    case MAGIC_AUTHCODEEXPIRE:
    default:
      if (total_fee > MICROPAY_PASSWORD_ABOVE)
        {
          order->state = TRADE_USERPAYING;
          order->pending = PENDING_SUCCESS;
          order->pending_until = call->now + USERPAYING_TIME;
        }
      else
        mark_paid (self, order, call->now);
      break;
    }
  queue_save (self);

  return micropay_state_answer (call, order);
}

static GBytes *
api_reverse (Call *call)
{
  WxpaySimServer *self = call->self;
  const char *transaction_id = wxpay_params_get (call->req, "transaction_id");
  const char *out_trade_no = wxpay_params_get (call->req, "out_trade_no");
  SimOrder *order;
  WxpayParams *answer;

  if (is_empty (transaction_id) && is_empty (out_trade_no))
    {
      answer = lack_params (call, "out_trade_no");
      wxpay_params_set (answer, "recall", "N");
      return finish_answer (call, answer);
    }

  order = lookup_order (self, transaction_id, out_trade_no, call->now);
  if (order == NULL)
    answer = answer_error (call, "ORDERNOTEXIST", "订单不存在");
  else if (strcmp (order->trade_type, "MICROPAY") != 0)
    answer = answer_error (call, "TRADE_ERROR", "非付款码支付订单不能撤销");
  else if (call->now - order->created > REVERSE_MAX_AGE)
    answer = answer_error (call, "REVERSE_EXPIRE", "订单已超过可撤销时间，请使用退款接口");
  else if (order->state == TRADE_REFUND)
    answer = answer_error (call, "TRADE_ERROR", "订单已发生退款，不能撤销");
  else
    {
      /* An unpaid order is closed, a paid one refunded to the user: both end REVOKED. */
      order->state = TRADE_REVOKED;
      order->pending = PENDING_NONE;
      order->closed_at = call->now;
      queue_save (self);
      answer = answer_new (call, "SUCCESS");
    }

  wxpay_params_set (answer, "recall", "N");
  return finish_answer (call, answer);
}

/* ------------------------------------------------------------------------------------------ */
/* Gateway: the pipeline                                                                       */

static gboolean
is_gateway_path (const char *path)
{
  static const char * const paths[] = {
    "/pay/unifiedorder", "/pay/orderquery", "/pay/closeorder", "/secapi/pay/refund",
    "/pay/refundquery", "/pay/downloadbill", "/pay/micropay", "/secapi/pay/reverse",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    if (strcmp (path, paths[i]) == 0)
      return TRUE;
  return FALSE;
}

static GBytes *
process_call (Call        *call,
              const char **out_content_type)
{
  WxpaySimServer *self = call->self;
  SoupMessageBody *body = soup_server_message_get_request_body (call->msg);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  const char *method = soup_server_message_get_method (call->msg);
  const char *sign_type;
  const char *value;
  gsize size;
  const char *bytes;

  *out_content_type = "text/xml; charset=utf-8";

  /* §7/§14: the client certificate is checked before anything else. */
  if (g_str_has_prefix (call->path, "/secapi/") && self->client_ca != NULL)
    {
      GTlsCertificate *peer = soup_server_message_get_tls_peer_certificate (call->msg);
      GTlsCertificateFlags flags = G_TLS_CERTIFICATE_GENERIC_ERROR;

      /* The handshake accepted any certificate (accept_certificate_cb); judge it here, against
       * the merchant CA, for the paths that need it. */
      if (peer != NULL)
        flags = g_tls_database_verify_chain (self->client_ca, peer,
                                             G_TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT,
                                             NULL, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL);
      if (flags != 0)
        return fail_bytes ("证书验证失败");
    }

  if (strcmp (method, "POST") != 0)
    return fail_bytes ("请使用post方法");

  data = soup_message_body_flatten (body);
  bytes = g_bytes_get_data (data, &size);
  {
    gsize i = 0;

    while (i < size && g_ascii_isspace (bytes[i]))
      i++;
    if (i == size)
      return fail_bytes ("post数据为空");
  }
  /* wxpay_xml_decode() refuses anything that is not UTF-8 itself: only a refused body is
   * checked again, to tell an encoding error from an XML error. */
  call->req = wxpay_xml_decode (bytes, size, &error);
  if (call->req == NULL)
    {
      if (!g_utf8_validate (bytes, size, NULL))
        return fail_bytes ("编码格式错误，请使用UTF-8编码");
      return fail_bytes ("XML格式错误");
    }

  value = wxpay_params_get (call->req, "mch_id");
  if (is_empty (value))
    return fail_bytes ("缺少参数mch_id");
  if (strcmp (value, self->mch_id) != 0)
    return fail_bytes ("商户号mch_id或sub_mch_id不存在");
  value = wxpay_params_get (call->req, "appid");
  if (is_empty (value))
    return fail_bytes ("缺少参数appid");
  if (strcmp (value, self->appid) != 0)
    return fail_bytes ("appid和mch_id不匹配");
  value = wxpay_params_get (call->req, "nonce_str");
  if (is_empty (value))
    return fail_bytes ("缺少参数nonce_str");
  if (strlen (value) > 32)
    return format_error ("nonce_str");

  sign_type = wxpay_params_get (call->req, "sign_type");
  call->sign_type = WXPAY_SIGN_TYPE_MD5;
  if (!is_empty (sign_type) && !wxpay_sign_type_from_string (sign_type, &call->sign_type))
    return format_error ("sign_type");
  if (is_empty (wxpay_params_get (call->req, "sign")))
    return fail_bytes ("缺少参数sign");
  if (!wxpay_verify (call->req, call->sign_type, self->api_key))
    return fail_bytes ("签名错误");

  if (call->fault.systemerror)
    {
      if (strcmp (call->path, "/pay/downloadbill") == 0)
        return bill_error_bytes ("SYSTEMERROR", "20007");
      return finish_answer (call, answer_error (call, "SYSTEMERROR", "系统错误"));
    }

  if (strcmp (call->path, "/pay/unifiedorder") == 0)
    return api_unifiedorder (call);
  if (strcmp (call->path, "/pay/orderquery") == 0)
    return api_orderquery (call);
  if (strcmp (call->path, "/pay/closeorder") == 0)
    return api_closeorder (call);
  if (strcmp (call->path, "/secapi/pay/refund") == 0)
    return api_refund (call);
  if (strcmp (call->path, "/pay/refundquery") == 0)
    return api_refundquery (call);
  if (strcmp (call->path, "/pay/downloadbill") == 0)
    return api_downloadbill (call, out_content_type);
  if (strcmp (call->path, "/pay/micropay") == 0)
    return api_micropay (call);
  return api_reverse (call);
}

static void
run_call (Call *call)
{
  const char *content_type = NULL;
  g_autoptr(GBytes) body = NULL;

  if (call->fault.drop_before)
    {
      drop_connection (call->msg);
      return;
    }
  if (call->fault.http_status != 0)
    {
      g_autofree char *text = g_strdup_printf ("<html><body><h1>%u</h1></body></html>",
                                               call->fault.http_status);
      g_autoptr(GBytes) page = g_bytes_new (text, strlen (text));

      respond_bytes (call->msg, call->fault.http_status, "text/html", page);
      return;
    }

  call->now = sim_now (call->self);
  body = process_call (call, &content_type);

  /* The dangerous one: the request took effect, the answer is lost. */
  if (call->fault.drop_after)
    {
      drop_connection (call->msg);
      return;
    }

  respond_bytes (call->msg, SOUP_STATUS_OK, content_type, body);
}

static gboolean
latency_done_cb (gpointer user_data)
{
  Call *call = user_data;

  call->latency_id = 0;
  g_ptr_array_remove (call->self->paused, call);
  run_call (call);
  if (!call->fault.drop_before && !call->fault.drop_after)
    soup_server_message_unpause (call->msg);
  call_free (call);

  return G_SOURCE_REMOVE;
}

static void
handle_gateway (WxpaySimServer    *self,
                SoupServerMessage *msg,
                const char        *path)
{
  Call *call = g_new0 (Call, 1);

  call->self = self;
  call->msg = g_object_ref (msg);
  call->path = g_strdup (path);
  wxpay_sim_faults_decide (self->faults, self->rand, path, &call->fault);

  if (call->fault.latency_ms > 0)
    {
      soup_server_message_pause (msg);
      call->latency_id = g_timeout_add (call->fault.latency_ms, latency_done_cb, call);
      g_ptr_array_add (self->paused, call);
      return;
    }

  run_call (call);
  call_free (call);
}

/* ------------------------------------------------------------------------------------------ */
/* Notifications                                                                               */

static void deliver (WxpaySimServer *self,
                     Delivery       *delivery);

static gboolean
deliveries_due_cb (gpointer user_data)
{
  WxpaySimServer *self = user_data;
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  gint64 now = sim_now (self);

  self->timer_id = 0;

  for (guint i = 0; i < self->deliveries->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (self->deliveries, i);

      if (!delivery->in_flight && delivery->due <= now)
        g_ptr_array_add (due, delivery);
    }
  for (guint i = 0; i < due->len; i++)
    deliver (self, g_ptr_array_index (due, i));

  schedule_deliveries (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_deliveries (WxpaySimServer *self)
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

  now = sim_now (self);
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
  add_payment_fields (params, order, order->total_fee + (wrong_amount ? 1 : 0));
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

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || delivery == NULL)
    {
      g_object_unref (self);
      g_free (op);
      return;
    }

  if (body != NULL && soup_message_get_status (msg) == SOUP_STATUS_OK)
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

  if (acked || state == NULL || state->attempts > G_N_ELEMENTS (notify_intervals))
    g_ptr_array_remove (self->deliveries, delivery);
  else
    delivery->due = sim_now (self) + USEC (notify_intervals[state->attempts - 1]);

  queue_save (self);
  schedule_deliveries (self);
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

  if (delivery->out_refund_no == NULL)
    {
      g_autoptr(WxpayParams) params = payment_notification (self, order, FALSE);

      url = order_get (order, "notify_url");
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

/* ------------------------------------------------------------------------------------------ */
/* State file                                                                                  */

static void
save_state (WxpaySimServer *self)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  if (self->state_file == NULL)
    return;

  g_key_file_set_int64 (file, "sim", "clock", sim_now (self));
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
      g_key_file_set_string (file, group, "state", trade_state_names[order->state]);
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
          g_key_file_set_integer (file, rgroup, "notify_attempts", refund->notify.attempts);
          g_key_file_set_boolean (file, rgroup, "notify_acked", refund->notify.acked);
        }
    }

  /* g_key_file_save_to_file() writes through g_file_set_contents(): atomic replace. */
  if (!g_key_file_save_to_file (file, self->state_file, &error))
    g_warning ("Cannot save the simulator state to %s: %s", self->state_file, error->message);
}

static gboolean
save_cb (gpointer user_data)
{
  WxpaySimServer *self = user_data;

  self->save_id = 0;
  save_state (self);

  return G_SOURCE_REMOVE;
}

static void
queue_save (WxpaySimServer *self)
{
  /* Coalesced so that a burst of requests costs one write. */
  if (self->state_file != NULL && self->save_id == 0 && !self->shut_down)
    self->save_id = g_timeout_add (50, save_cb, self);
}

static gboolean
parse_trade_state (const char *name,
                   TradeState *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (trade_state_names); i++)
    {
      if (g_strcmp0 (name, trade_state_names[i]) == 0)
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
load_state (WxpaySimServer *self)
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
  if (clock > sim_now (self))
    self->offset += clock - sim_now (self);
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
              order->refunds = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_refund_free);

              if (order->out_trade_no == NULL || order->token == NULL ||
                  g_hash_table_contains (self->orders, order->out_trade_no))
                {
                  sim_order_free (order);
                  continue;
                }
              g_hash_table_insert (self->orders, order->out_trade_no, order);
              g_hash_table_insert (self->by_token, order->token, order);
              if (order->transaction_id != NULL)
                g_hash_table_insert (self->by_transaction, order->transaction_id, order);
              if (!is_empty (order_get (order, "auth_code")))
                g_hash_table_add (self->auth_codes, g_strdup (order_get (order, "auth_code")));
              g_ptr_array_add (self->order_list, order);

              if (order->paid_at > 0 && !order->notify.acked &&
                  order->notify.attempts <= G_N_ELEMENTS (notify_intervals))
                start_payment_notification (self, order);
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
              refund->notify.attempts = g_key_file_get_integer (file, group, "notify_attempts", NULL);
              refund->notify.acked = g_key_file_get_boolean (file, group, "notify_acked", NULL);
              if (refund->out_refund_no == NULL || refund->refund_id == NULL ||
                  g_hash_table_contains (self->refunds, refund->out_refund_no))
                {
                  sim_refund_free (refund);
                  continue;
                }
              g_ptr_array_add (order->refunds, refund);
              g_hash_table_insert (self->refunds, refund->out_refund_no, refund);
              g_hash_table_insert (self->refunds_by_id, refund->refund_id, refund);
              if (!refund->notify.acked && refund->notify.attempts <= G_N_ELEMENTS (notify_intervals))
                refund_notify_start (self, refund);
            }
        }
    }
}

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
      g_autofree char *iso = format_iso (time_us);

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
  g_string_append (json, ",\"state\":");
  wxpay_sim_json_append_string (json, trade_state_names[order->state]);
  g_string_append_printf (json, ",\"total_fee\":%" G_GINT64_FORMAT, order->total_fee);
  g_string_append_printf (json, ",\"refunded_fee\":%" G_GINT64_FORMAT, order_refunded (order));
  g_string_append (json, ",\"transaction_id\":");
  wxpay_sim_json_append_string (json, order->transaction_id);
  g_string_append (json, ",\"body\":");
  wxpay_sim_json_append_string (json, order_get (order, "body"));
  g_string_append (json, ",\"attach\":");
  wxpay_sim_json_append_string (json, order_get (order, "attach"));
  g_string_append (json, ",\"notify_url\":");
  wxpay_sim_json_append_string (json, order_get (order, "notify_url"));
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
      wxpay_sim_json_append_string (json, refund_status (refund, now));
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

static GString *
orders_json (WxpaySimServer *self)
{
  GString *json = g_string_new ("{\"now\":");
  gint64 now = sim_now (self);

  append_time_json (json, now);
  g_string_append (json, ",\"orders\":[");
  for (guint i = 0; i < self->order_list->len; i++)
    {
      SimOrder *order = g_ptr_array_index (self->order_list, i);

      order_refresh (self, order, now);
      if (i > 0)
        g_string_append_c (json, ',');
      append_order_json (self, json, order, now);
    }
  g_string_append (json, "]}");

  return json;
}

typedef enum {
  ACTION_PAY,
  ACTION_USERPAYING,
  ACTION_FAIL,
} OrderAction;

static gboolean
apply_action (WxpaySimServer *self,
              SimOrder       *order,
              OrderAction     action,
              GError        **error)
{
  gint64 now = sim_now (self);

  order_refresh (self, order, now);

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
                   order->out_trade_no, trade_state_names[order->state]);
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
      mark_paid (self, order, now);
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
  queue_save (self);

  return TRUE;
}

/* The in-process control API: @action on the order @out_trade_no. */
static gboolean
apply_named_action (WxpaySimServer *self,
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
  return apply_action (self, order, action, error);
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

  if (!apply_action (self, order, action, &error))
    {
      respond_json_error (msg, status_for_error (error),
                          wxpay_error_code_to_string (error->code), error->message);
      return;
    }

  json = g_string_new (NULL);
  append_order_json (self, json, order, sim_now (self));
  respond_json (msg, SOUP_STATUS_OK, json);
}

static void
html_escape_append (GString    *out,
                    const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  g_string_append (out, escaped);
}

static void
handle_pay_page (WxpaySimServer    *self,
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
      if (apply_action (self, order, ACTION_PAY, &error))
        result = "<p class=\"result\"><strong>支付成功 · Payment successful</strong></p>";
    }
  else
    order_refresh (self, order, sim_now (self));

  amount = wxpay_sim_format_yuan (order->total_fee);
  g_string_append (html, "<p>商户 · Merchant: ");
  html_escape_append (html, self->mch_id);
  g_string_append (html, " (");
  html_escape_append (html, self->appid);
  g_string_append (html, ")</p><p>商品 · Item: ");
  html_escape_append (html, order_get (order, "body"));
  g_string_append (html, "</p><p>订单号 · Order: ");
  html_escape_append (html, order->out_trade_no);
  g_string_append_printf (html, "</p><p class=\"amount\">¥%s</p><p>状态 · State: %s (%s)</p>",
                          amount, trade_state_names[order->state], trade_state_descs[order->state]);

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

static void
handle_control (WxpaySimServer    *self,
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
      json = orders_json (self);
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
      order_refresh (self, order, sim_now (self));
      json = g_string_new (NULL);
      append_order_json (self, json, order, sim_now (self));
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
      append_time_json (json, sim_now (self));
      g_string_append_printf (json, ",\"now_unix\":%" G_GINT64_FORMAT ",\"offset_seconds\":%"
                              G_GINT64_FORMAT ",\"time_scale\":", sim_now (self) / G_USEC_PER_SEC,
                              self->offset / G_USEC_PER_SEC);
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append (json, g_ascii_dtostr (buf, sizeof buf, self->time_scale));
      }
      g_string_append_c (json, '}');
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
      handle_pay_page (self, msg, parts[2]);
      return;
    }

  respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND", "no such control path");
  return;

bad_method:
  respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                      "wrong HTTP method for this control path");
}

static gboolean
accept_certificate_cb (SoupServerMessage   *msg,
                       GTlsCertificate     *certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  /* Let every client certificate through the handshake: /pay/ paths do not need one, and
   * /secapi/ paths answer 证书验证失败 like the real gateway instead of a bare TLS error. */
  return TRUE;
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  WxpaySimServer *self = user_data;

  if (self->shut_down)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (g_str_has_prefix (path, "/sim/"))
    handle_control (self, msg, path, query);
  else if (is_gateway_path (path))
    handle_gateway (self, msg, path);
  else
    {
      static const char text[] = "wxpay-sim: no such path\n";

      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* GObject                                                                                     */

static void
wxpay_sim_server_constructed (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->constructed (object);

  if (self->appid == NULL)
    self->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  if (self->mch_id == NULL)
    self->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  if (self->api_key == NULL)
    self->api_key = g_strdup (WXPAY_SIM_DEFAULT_KEY);

  self->rand = g_rand_new_with_seed_array ((const guint32 *)&self->seed, 2);
  self->real_base = g_get_real_time ();
  self->mono_base = g_get_monotonic_time ();
  self->counter = (guint64)g_random_int_range (0, 1000000) * 1000;

  self->server = soup_server_new ("server-header", "wxpay-sim ", NULL);
  if (self->tls_certificate != NULL)
    soup_server_set_tls_certificate (self->server, self->tls_certificate);
  if (self->client_ca != NULL)
    {
      /* Requested, not required: only /secapi/ needs the certificate (checked per request). */
      soup_server_set_tls_database (self->server, self->client_ca);
      soup_server_set_tls_auth_mode (self->server, G_TLS_AUTHENTICATION_REQUESTED);
      g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), NULL);
    }
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  self->session = soup_session_new_with_options ("timeout", 10, "user-agent", "wxpay-sim", NULL);

  load_state (self);
}

static void
wxpay_sim_server_dispose (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  wxpay_sim_server_shutdown (self);
  g_clear_object (&self->server);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->dispose (object);
}

static void
wxpay_sim_server_finalize (GObject *object)
{
  WxpaySimServer *self = (WxpaySimServer *)object;

  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
  g_clear_pointer (&self->paused, g_ptr_array_unref);
  g_clear_pointer (&self->auth_codes, g_hash_table_unref);
  g_clear_pointer (&self->refunds_by_id, g_hash_table_unref);
  g_clear_pointer (&self->refunds, g_hash_table_unref);
  g_clear_pointer (&self->by_transaction, g_hash_table_unref);
  g_clear_pointer (&self->by_token, g_hash_table_unref);
  g_clear_pointer (&self->order_list, g_ptr_array_unref);
  g_clear_pointer (&self->orders, g_hash_table_unref);
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->client_ca);
  g_free (self->base_uri);
  g_free (self->state_file);
  g_free (self->appid);
  g_free (self->mch_id);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);

  G_OBJECT_CLASS (wxpay_sim_server_parent_class)->finalize (object);
}

static void
wxpay_sim_server_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WxpaySimServer *self = WXPAY_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPID:
      g_value_set_string (value, self->appid);
      break;
    case PROP_MCH_ID:
      g_value_set_string (value, self->mch_id);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_TIME_SCALE:
      g_value_set_double (value, self->time_scale);
      break;
    case PROP_CLOSE_MIN_AGE:
      g_value_set_uint (value, self->close_min_age);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_CLIENT_CA:
      g_value_set_object (value, self->client_ca);
      break;
    case PROP_STATE_FILE:
      g_value_set_string (value, self->state_file);
      break;
    case PROP_API_KEY:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_sim_server_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  WxpaySimServer *self = WXPAY_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPID:
      self->appid = g_value_dup_string (value);
      break;
    case PROP_MCH_ID:
      self->mch_id = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      self->api_key = g_value_dup_string (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_TIME_SCALE:
      self->time_scale = g_value_get_double (value);
      break;
    case PROP_CLOSE_MIN_AGE:
      self->close_min_age = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      self->tls_certificate = g_value_dup_object (value);
      break;
    case PROP_CLIENT_CA:
      self->client_ca = g_value_dup_object (value);
      break;
    case PROP_STATE_FILE:
      self->state_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wxpay_sim_server_class_init (WxpaySimServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                      G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = wxpay_sim_server_constructed;
  object_class->dispose = wxpay_sim_server_dispose;
  object_class->finalize = wxpay_sim_server_finalize;
  object_class->get_property = wxpay_sim_server_get_property;
  object_class->set_property = wxpay_sim_server_set_property;

  properties[PROP_APPID] =
    g_param_spec_string ("appid", NULL, NULL, NULL, flags);
  properties[PROP_MCH_ID] =
    g_param_spec_string ("mch-id", NULL, NULL, NULL, flags);
  /* Write-only: the key is never readable back, so it cannot leak through a property dump. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_TIME_SCALE] =
    g_param_spec_double ("time-scale", NULL, NULL, 0.001, 1000000.0, 1.0, flags);
  properties[PROP_CLOSE_MIN_AGE] =
    g_param_spec_uint ("close-min-age", NULL, NULL, 0, G_MAXUINT32, 300, flags);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_CLIENT_CA] =
    g_param_spec_object ("client-ca", NULL, NULL, G_TYPE_TLS_DATABASE, flags);
  properties[PROP_STATE_FILE] =
    g_param_spec_string ("state-file", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wxpay_sim_server_init (WxpaySimServer *self)
{
  self->time_scale = 1.0;
  self->close_min_age = 300;
  self->cancellable = g_cancellable_new ();
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_fault_free);
  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)sim_order_free);
  self->order_list = g_ptr_array_new ();
  self->by_token = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_transaction = g_hash_table_new (g_str_hash, g_str_equal);
  self->refunds = g_hash_table_new (g_str_hash, g_str_equal);
  self->refunds_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->auth_codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify)delivery_free);
  self->paused = g_ptr_array_new ();
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

/**
 * wxpay_sim_server_new:
 * @appid: (nullable): the simulated merchant's appid, %NULL for %WXPAY_SIM_DEFAULT_APPID
 * @mch_id: (nullable): its mch_id, %NULL for %WXPAY_SIM_DEFAULT_MCH_ID
 * @api_key: (nullable): its 32-byte API key, %NULL for %WXPAY_SIM_DEFAULT_KEY
 *
 * Returns: (transfer full): a simulator, not yet listening
 */
WxpaySimServer *
wxpay_sim_server_new (const char *appid,
                      const char *mch_id,
                      const char *api_key)
{
  return g_object_new (WXPAY_TYPE_SIM_SERVER,
                       "appid", appid,
                       "mch-id", mch_id,
                       "api-key", api_key,
                       NULL);
}

/**
 * wxpay_sim_server_listen:
 * @self: a #WxpaySimServer
 * @address: an IP address to bind ("127.0.0.1")
 * @port: the port, 0 for any free one
 * @error: return location for a #GError
 *
 * Starts listening (HTTPS when #WxpaySimServer:tls-certificate is set).
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_listen (WxpaySimServer *self,
                         const char     *address,
                         guint           port,
                         GError        **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;
  GSList *uris;
  GUri *uri;
  g_autofree char *host = NULL;

  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (self->base_uri == NULL, FALSE);

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);

  /* Our own socket for a deep accept queue: GSocket's default backlog of 10 makes a burst of
   * new connections (a benchmark, many tills) see resets, which a client must read as "outcome
   * unknown". Faults are the simulator's to inject, not the kernel's. */
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (listener, 1024);
  if (!g_socket_bind (listener, socket_address, TRUE, error) || !g_socket_listen (listener, error))
    return FALSE;
  if (!soup_server_listen_socket (self->server, listener,
                                  self->tls_certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return FALSE;

  uris = soup_server_get_uris (self->server);
  g_return_val_if_fail (uris != NULL, FALSE);
  uri = uris->data;
  host = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
    ? g_strdup_printf ("[%s]", address)
    : g_strdup (address);
  self->base_uri = g_strdup_printf ("%s://%s:%d", self->tls_certificate != NULL ? "https" : "http",
                                    host, g_uri_get_port (uri));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  return TRUE;
}

/**
 * wxpay_sim_server_get_base_uri:
 * @self: a #WxpaySimServer
 *
 * Returns: (nullable): "http://127.0.0.1:PORT" (or https), %NULL before listening
 */
const char *
wxpay_sim_server_get_base_uri (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  return self->base_uri;
}

/**
 * wxpay_sim_server_shutdown:
 * @self: a #WxpaySimServer
 *
 * Stops listening and delivering, and writes the state file. Idempotent.
 */
void
wxpay_sim_server_shutdown (WxpaySimServer *self)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));

  if (self->shut_down)
    return;

  if (self->save_id != 0)
    {
      g_clear_handle_id (&self->save_id, g_source_remove);
    }
  save_state (self);
  self->shut_down = TRUE;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  while (self->paused->len > 0)
    {
      Call *call = g_ptr_array_steal_index (self->paused, self->paused->len - 1);

      soup_server_message_set_status (call->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (call->msg);
      call_free (call);
    }
  if (self->server != NULL)
    soup_server_disconnect (self->server);
}

/**
 * wxpay_sim_server_pay:
 * @self: a #WxpaySimServer
 * @out_trade_no: an order
 * @error: return location for a #GError in %WXPAY_ERROR (ORDERNOTEXIST, ORDERPAID, ORDERCLOSED,
 *   ORDERREVERSED)
 *
 * The customer pays @out_trade_no now; its notification starts.
 *
 * Returns: %TRUE when the order is now paid
 */
gboolean
wxpay_sim_server_pay (WxpaySimServer *self,
                      const char     *out_trade_no,
                      GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return apply_named_action (self, out_trade_no, ACTION_PAY, error);
}

/**
 * wxpay_sim_server_set_user_paying:
 * @self: a #WxpaySimServer
 * @out_trade_no: an unpaid order
 * @error: return location for a #GError
 *
 * The customer scanned and is entering the password: the order shows USERPAYING.
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_set_user_paying (WxpaySimServer *self,
                                  const char     *out_trade_no,
                                  GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return apply_named_action (self, out_trade_no, ACTION_USERPAYING, error);
}

/**
 * wxpay_sim_server_fail:
 * @self: a #WxpaySimServer
 * @out_trade_no: an unpaid order
 * @error: return location for a #GError
 *
 * The payment fails (the bank refused): the order ends PAYERROR.
 *
 * Returns: %TRUE on success
 */
gboolean
wxpay_sim_server_fail (WxpaySimServer *self,
                       const char     *out_trade_no,
                       GError        **error)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (out_trade_no != NULL, FALSE);

  return apply_named_action (self, out_trade_no, ACTION_FAIL, error);
}

/**
 * wxpay_sim_server_advance_clock:
 * @self: a #WxpaySimServer
 * @seconds: how far to move the simulator's clock forward
 *
 * Expiry, the close rule, refund processing, micropay password waits, bills and the notification
 * schedule all follow the simulator's clock.
 */
void
wxpay_sim_server_advance_clock (WxpaySimServer *self,
                                gint64          seconds)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->offset += USEC (seconds);
  schedule_deliveries (self);
  queue_save (self);
}

/**
 * wxpay_sim_server_set_now:
 * @self: a #WxpaySimServer
 * @now_us: the simulator's new now, µs since the epoch (UTC)
 *
 * Puts the simulator's clock at @now_us (it keeps running from there at #WxpaySimServer:time-scale),
 * for tests whose own clock is fake. Going backwards is allowed but leaves existing orders with
 * times in the future.
 */
void
wxpay_sim_server_set_now (WxpaySimServer *self,
                          gint64          now_us)
{
  g_return_if_fail (WXPAY_IS_SIM_SERVER (self));

  self->offset += now_us - sim_now (self);
  schedule_deliveries (self);
  queue_save (self);
}

/**
 * wxpay_sim_server_get_now:
 * @self: a #WxpaySimServer
 *
 * Returns: the simulator's notion of now, µs since the epoch (UTC)
 */
gint64
wxpay_sim_server_get_now (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), 0);

  return sim_now (self);
}

/**
 * wxpay_sim_server_set_faults:
 * @self: a #WxpaySimServer
 * @faults_json: (nullable): a fault selection (see src/sim/README.md), %NULL clears
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @faults_json was valid (the previous selection is kept otherwise)
 */
gboolean
wxpay_sim_server_set_faults (WxpaySimServer *self,
                             const char     *faults_json,
                             GError        **error)
{
  GPtrArray *faults;

  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), FALSE);

  faults = wxpay_sim_faults_parse (faults_json, error);
  if (faults == NULL)
    return FALSE;

  g_clear_pointer (&self->faults, g_ptr_array_unref);
  self->faults = faults;

  return TRUE;
}

/**
 * wxpay_sim_server_dup_orders_json:
 * @self: a #WxpaySimServer
 *
 * Returns: (transfer full): the JSON of GET /sim/orders
 */
char *
wxpay_sim_server_dup_orders_json (WxpaySimServer *self)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), NULL);

  return g_string_free (orders_json (self), FALSE);
}
