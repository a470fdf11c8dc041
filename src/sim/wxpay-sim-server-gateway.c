/* wxpay-sim-server-gateway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The gateway pipeline: checks every request has in common, answers, signatures, faults.
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include "wxpay-sim-private.h"

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

void
wxpay_sim_call_free (Call *call)
{
  g_clear_handle_id (&call->latency_id, g_source_remove);
  g_clear_object (&call->msg);
  g_clear_pointer (&call->req, wxpay_params_unref);
  g_free (call);
}

gint64
wxpay_sim_now (WxpaySimServer *self)
{
  gint64 elapsed = g_get_monotonic_time () - self->mono_base;

  return self->real_base + (gint64)((double)elapsed * self->time_scale) + self->offset;
}

const char *
wxpay_sim_order_get (SimOrder   *order,
                     const char *name)
{
  const char *value = wxpay_params_get (order->request, name);

  return value != NULL ? value : "";
}

char *
wxpay_sim_format_compact (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);

  return wxpay_time_format (utc);
}

char *
wxpay_sim_format_iso (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S+08:00");
}

char *
wxpay_sim_random_alnum (guint length)
{
  static const char chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char *out = g_new (char, length + 1);

  for (guint i = 0; i < length; i++)
    out[i] = chars[g_random_int_range (0, sizeof chars - 1)];
  out[length] = '\0';

  return out;
}

char *
wxpay_sim_today_digits (gint64 now)
{
  g_autofree char *compact = wxpay_sim_format_compact (now);

  return g_strndup (compact, 8);
}

char *
wxpay_sim_new_transaction_id (WxpaySimServer *self,
                              gint64          now)
{
  g_autofree char *day = wxpay_sim_today_digits (now);

  self->counter++;
  return g_strdup_printf ("4200000000%s%010" G_GUINT64_FORMAT, day, self->counter % 10000000000);
}

char *
wxpay_sim_new_refund_id (WxpaySimServer *self,
                         gint64          now)
{
  g_autofree char *day = wxpay_sim_today_digits (now);

  self->counter++;
  return g_strdup_printf ("5030000000%s%011" G_GUINT64_FORMAT, day, self->counter % 100000000000);
}

gboolean
wxpay_sim_is_positive_int (const char *text,
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

gboolean
wxpay_sim_is_out_refund_no (const char *text)
{
  gsize len = text != NULL ? strlen (text) : 0;

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-|*@", *p) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
wxpay_sim_is_empty (const char *value)
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

WxpayParams *
wxpay_sim_business_fields (const WxpayParams *req)
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

gboolean
wxpay_sim_same_business_fields (const WxpayParams *stored,
                                const WxpayParams *req)
{
  g_autoptr(WxpayParams) other = wxpay_sim_business_fields (req);

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
/* Answers                                                                                     */

GBytes *
wxpay_sim_fail_bytes (const char *return_msg)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();

  wxpay_params_set (answer, "return_code", "FAIL");
  wxpay_params_set (answer, "return_msg", return_msg);

  return wxpay_xml_encode (answer);
}

/* The error XML of downloadbill (§11): error_code, never signed. */
GBytes *
wxpay_sim_bill_error_bytes (const char *return_msg,
                            const char *error_code)
{
  g_autoptr(WxpayParams) answer = wxpay_params_new ();

  wxpay_params_set (answer, "return_code", "FAIL");
  wxpay_params_set (answer, "return_msg", return_msg);
  wxpay_params_set (answer, "error_code", error_code);

  return wxpay_xml_encode (answer);
}

WxpayParams *
wxpay_sim_answer_new (Call       *call,
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

WxpayParams *
wxpay_sim_answer_error (Call       *call,
                        const char *err_code,
                        const char *err_code_des)
{
  WxpayParams *answer = wxpay_sim_answer_new (call, "FAIL");

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
GBytes *
wxpay_sim_finish_answer (Call        *call,
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

const char *
wxpay_sim_check_required (const WxpayParams *req,
                          const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (wxpay_sim_is_empty (wxpay_params_get (req, names[i])))
      return names[i];
  return NULL;
}

WxpayParams *
wxpay_sim_lack_params (Call       *call,
                       const char *name)
{
  g_autofree char *des = g_strdup_printf ("缺少参数%s", name);

  return wxpay_sim_answer_error (call, "LACK_PARAMS", des);
}

GBytes *
wxpay_sim_format_error (const char *name)
{
  g_autofree char *msg = g_strdup_printf ("%s参数格式错误", name);

  return wxpay_sim_fail_bytes (msg);
}

gboolean
wxpay_sim_max_length_ok (const WxpayParams *req,
                         const char        *name,
                         gsize              max)
{
  const char *value = wxpay_params_get (req, name);

  return value == NULL || strlen (value) <= max;
}

/* time_start / time_expire: NULL when fine, else the failing answer. */
GBytes *
wxpay_sim_check_times (Call      *call,
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

  if (!wxpay_sim_is_empty (time_start))
    {
      start = wxpay_time_parse (time_start);
      if (start == NULL)
        return wxpay_sim_format_error ("time_start");
      base = g_date_time_to_unix (start) * G_USEC_PER_SEC;
    }
  if (wxpay_sim_is_empty (time_expire))
    return NULL;

  expire = wxpay_time_parse (time_expire);
  if (expire == NULL)
    return wxpay_sim_format_error ("time_expire");
  expire_us = g_date_time_to_unix (expire) * G_USEC_PER_SEC;
  *out_expire = expire_us;

  if (reentry)
    return NULL;

  /* Without time_start the gap is measured from the sim's clock; allow for the client having
   * computed "now + 5 min" a moment before the request arrived, at second granularity. */
  if (expire_us - base < min_gap - (start == NULL ? USEC (5) : 0) || expire_us <= call->now)
    *out_business_error = wxpay_sim_answer_error (call, "PARAM_ERROR",
                                        "time_expire时间过短，刷卡至少1分钟，其他5分钟");
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Gateway: the pipeline                                                                       */

static GBytes *
process_call (Call *call)
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

  /* §7/§14: the client certificate is checked before anything else. */
  if (call->route->needs_certificate && self->client_ca != NULL)
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
        return wxpay_sim_fail_bytes ("证书验证失败");
    }

  if (strcmp (method, "POST") != 0)
    return wxpay_sim_fail_bytes ("请使用post方法");

  data = soup_message_body_flatten (body);
  bytes = g_bytes_get_data (data, &size);
  {
    gsize i = 0;

    while (i < size && g_ascii_isspace (bytes[i]))
      i++;
    if (i == size)
      return wxpay_sim_fail_bytes ("post数据为空");
  }
  /* wxpay_xml_decode() refuses anything that is not UTF-8 itself: only a refused body is
   * checked again, to tell an encoding error from an XML error. */
  call->req = wxpay_xml_decode (bytes, size, &error);
  if (call->req == NULL)
    {
      if (!g_utf8_validate (bytes, size, NULL))
        return wxpay_sim_fail_bytes ("编码格式错误，请使用UTF-8编码");
      return wxpay_sim_fail_bytes ("XML格式错误");
    }

  value = wxpay_params_get (call->req, "mch_id");
  if (wxpay_sim_is_empty (value))
    return wxpay_sim_fail_bytes ("缺少参数mch_id");
  if (strcmp (value, self->mch_id) != 0)
    return wxpay_sim_fail_bytes ("商户号mch_id或sub_mch_id不存在");
  value = wxpay_params_get (call->req, "appid");
  if (wxpay_sim_is_empty (value))
    return wxpay_sim_fail_bytes ("缺少参数appid");
  if (strcmp (value, self->appid) != 0)
    return wxpay_sim_fail_bytes ("appid和mch_id不匹配");
  value = wxpay_params_get (call->req, "nonce_str");
  if (wxpay_sim_is_empty (value))
    return wxpay_sim_fail_bytes ("缺少参数nonce_str");
  if (strlen (value) > 32)
    return wxpay_sim_format_error ("nonce_str");

  sign_type = wxpay_params_get (call->req, "sign_type");
  call->sign_type = WXPAY_SIGN_TYPE_MD5;
  if (!wxpay_sim_is_empty (sign_type) && !wxpay_sign_type_from_string (sign_type, &call->sign_type))
    return wxpay_sim_format_error ("sign_type");
  if (wxpay_sim_is_empty (wxpay_params_get (call->req, "sign")))
    return wxpay_sim_fail_bytes ("缺少参数sign");
  if (!wxpay_verify (call->req, call->sign_type, self->api_key))
    return wxpay_sim_fail_bytes ("签名错误");

  if (call->fault.systemerror)
    {
      if (call->route->api == wxpay_sim_api_downloadbill)
        return wxpay_sim_bill_error_bytes ("SYSTEMERROR", "20007");
      return wxpay_sim_finish_answer (call, wxpay_sim_answer_error (call, "SYSTEMERROR", "系统错误"));
    }

  return call->route->api (call);
}

static void
run_call (Call *call)
{
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

  if (call->route->v3)
    {
      wxpay_sim_v3_run (call);
      return;
    }

  call->now = wxpay_sim_now (call->self);
  call->content_type = "text/xml; charset=utf-8";
  body = process_call (call);

  /* The dangerous one: the request took effect, the answer is lost. */
  if (call->fault.drop_after)
    {
      drop_connection (call->msg);
      return;
    }

  respond_bytes (call->msg, SOUP_STATUS_OK, call->content_type, body);
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
  wxpay_sim_call_free (call);

  return G_SOURCE_REMOVE;
}

void
wxpay_sim_handle_gateway (WxpaySimServer      *self,
                          SoupServerMessage   *msg,
                          const WxpaySimRoute *route)
{
  Call *call = g_new0 (Call, 1);

  /* Counted as received, whatever the answer: tests check who called and how often. */
  if (self->calls == NULL)
    self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (self->calls, g_strdup (route->path),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->calls,
                                                                                route->path)) + 1));

  call->self = self;
  call->msg = g_object_ref (msg);
  call->route = route;
  /* A v3 fault names the request's own path (/v3/pay/transactions/native …). */
  wxpay_sim_faults_decide (self->faults, self->rand,
                           route->v3 ? g_uri_get_path (soup_server_message_get_uri (msg))
                                     : route->path,
                           &call->fault);

  if (call->fault.latency_ms > 0)
    {
      soup_server_message_pause (msg);
      call->latency_id = g_timeout_add (call->fault.latency_ms, latency_done_cb, call);
      g_ptr_array_add (self->paused, call);
      return;
    }

  run_call (call);
  wxpay_sim_call_free (call);
}

/**
 * wxpay_sim_server_count_calls:
 * @path: a gateway route ("/pay/closeorder", "/secapi/pay/refund" …)
 *
 * Returns: how many requests for @path the simulator received
 */
guint
wxpay_sim_server_count_calls (WxpaySimServer *self,
                              const char     *path)
{
  g_return_val_if_fail (WXPAY_IS_SIM_SERVER (self), 0);

  return self->calls ? GPOINTER_TO_UINT (g_hash_table_lookup (self->calls, path)) : 0;
}
