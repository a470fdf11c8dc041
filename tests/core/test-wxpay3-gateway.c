/* test-wxpay3-gateway.c: SaomaWxpay3Gateway against the in-process wxpay-sim serving API v3,
 * mirroring test-gateway.c: the request token (byte-identical retries), create, query, close,
 * refunds, the known/unknown class of failures, and what v3 does not do yet.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "core/saoma-merchant.h"
#include "core/saoma-wxpay3-gateway.h"
#include "sim/wxpay-sim-server.h"
#include "wxpay/wxpay.h"

typedef struct
{
  WxpaySimServer *sim;
  SaomaGateway   *gateway;
  char           *dir;
} Fixture;

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return g_strstrip (contents);
}

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pub = NULL;
  g_autofree char *pub_id = NULL;
  g_autoptr(Wxpay3Signer) signer = NULL;
  g_autoptr(Wxpay3Verifier) verifier = wxpay3_verifier_new ();
  g_autoptr(Wxpay3Client) client = NULL;

  f->dir = g_dir_make_tmp ("saoma-gw3-XXXXXX", &error);
  g_assert_no_error (error);
  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "seed", (guint64)11, NULL);
  g_assert_true (wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error));
  g_assert_true (wxpay_sim_server_setup_v3 (f->sim, f->dir, &error));
  g_assert_no_error (error);

  key = read_text (f->dir, "apiclient_key.pem");
  serial = read_text (f->dir, "apiclient_serial.txt");
  pub = read_text (f->dir, "pub_key.pem");
  pub_id = read_text (f->dir, "pub_key_id.txt");
  signer = wxpay3_signer_new (WXPAY_SIM_DEFAULT_MCH_ID, serial, key, strlen (key), &error);
  g_assert_no_error (error);
  g_assert_true (wxpay3_verifier_add_public_key (verifier, pub_id, pub, strlen (pub), &error));
  client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), WXPAY_SIM_DEFAULT_APPID,
                              signer, verifier);
  f->gateway = SAOMA_GATEWAY (saoma_wxpay3_gateway_new (client));
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  const char *names[] = { "apiclient_key.pem", "apiclient_serial.txt", "pub_key.pem",
                          "pub_key_id.txt", "apiv3_key.txt", "sim_private_key.pem",
                          "sim_pub_key_id.txt" };

  g_clear_object (&f->gateway);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static GAsyncResult *
wait_for (Wait *wait)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!wait->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (wait->done);

  return wait->result;
}

static char *
token_for (Fixture    *f,
           const char *out_trade_no,
           gint64      amount)
{
  SaomaNativeOrder order = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();
  char  *token;

  order.out_trade_no = (char *)out_trade_no;
  order.amount = amount;
  order.description = (char *)"扫码收银 v3";
  order.till_id = (char *)"T1";
  order.time_start = now;
  order.time_expire = now + 10 * 60 * G_USEC_PER_SEC;
  order.notify_url = (char *)"https://example.com/notify";
  order.client_ip = (char *)"127.0.0.1";
  token = saoma_gateway_build_native_request (f->gateway, &order, &error);
  g_assert_no_error (error);

  return token;
}

static SaomaNativeOrderResult *
create (Fixture    *f,
        const char *token,
        GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  saoma_gateway_create_native_order_async (f->gateway, token, NULL, done_cb, &wait);
  result = wait_for (&wait);
  return saoma_gateway_create_native_order_finish (f->gateway, result, error);
}

static SaomaOrderStatus *
query (Fixture    *f,
       const char *out_trade_no,
       GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  saoma_gateway_query_order_async (f->gateway, out_trade_no, NULL, done_cb, &wait);
  result = wait_for (&wait);
  return saoma_gateway_query_order_finish (f->gateway, result, error);
}

static gboolean
close_order (Fixture    *f,
             const char *out_trade_no,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  saoma_gateway_close_order_async (f->gateway, out_trade_no, NULL, done_cb, &wait);
  result = wait_for (&wait);
  return saoma_gateway_close_order_finish (f->gateway, result, error);
}

static char *
new_otn (Fixture *f)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return saoma_gateway_new_out_trade_no (f->gateway, "T1", now);
}

static void
test_identity (Fixture      *f,
               gconstpointer data)
{
  g_autofree char *merchant = saoma_gateway_dup_merchant (f->gateway);

  g_assert_cmpstr (saoma_gateway_get_protocol (f->gateway), ==, "v3");
  g_assert_cmpstr (merchant, ==, WXPAY_SIM_DEFAULT_APPID " / " WXPAY_SIM_DEFAULT_MCH_ID);
  g_assert_true (saoma_gateway_has_certificate (f->gateway));
}

static void
test_token (Fixture      *f,
            gconstpointer data)
{
  g_autofree char *otn = new_otn (f);
  g_autofree char *token = token_for (f, otn, 3850);
  g_autofree char *summary = saoma_gateway_describe_native_request (f->gateway, token);
  g_autoptr(GError) error = NULL;

  g_assert_true (saoma_gateway_check_native_request (f->gateway, token, otn, 3850, &error));
  g_assert_no_error (error);
  g_assert_false (saoma_gateway_check_native_request (f->gateway, token, otn, 3851, &error));
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (saoma_gateway_check_native_request (f->gateway, token, "OTHER000001", 3850,
                                                      &error));
  g_clear_error (&error);
  g_assert_false (saoma_gateway_check_native_request (f->gateway, "not json", otn, 3850, &error));
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (summary, "amount.total=3850"));
}

static void
test_native_life (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *otn = new_otn (f);
  g_autofree char *token = token_for (f, otn, 3850);
  g_autoptr(SaomaNativeOrderResult) first = NULL;
  g_autoptr(SaomaNativeOrderResult) retry = NULL;
  g_autoptr(SaomaOrderStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  first = create (f, token, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first->code_url, "weixin://wxpay/bizpayurl?pr="));
  /* The stored token repeats the request byte for byte: the same order, not a duplicate. */
  retry = create (f, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (retry->code_url, ==, first->code_url);

  status = query (f, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_NOTPAY);
  g_assert_cmpint (status->amount, ==, 3850);
  g_assert_null (status->transaction_id);
  g_clear_pointer (&status, saoma_order_status_free);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  status = query (f, otn, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_SUCCESS);
  g_assert_cmpstr (status->state_text, ==, "SUCCESS");
  g_assert_cmpint (status->amount, ==, 3850);
  g_assert_cmpint (status->payer_amount, ==, 3850);
  g_assert_nonnull (status->transaction_id);
  g_assert_cmpint (status->paid_at, >, 0);

  /* Paid: closing is refused, a known answer. */
  g_assert_false (close_order (f, otn, &error));
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_PAID);
  g_assert_false (saoma_gateway_error_is_outcome_unknown (error));
}

static void
test_close (Fixture      *f,
            gconstpointer data)
{
  g_autofree char *otn = new_otn (f);
  g_autofree char *token = token_for (f, otn, 100);
  g_autoptr(SaomaNativeOrderResult) created = NULL;
  g_autoptr(SaomaOrderStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  created = create (f, token, &error);
  g_assert_no_error (error);
  /* Too early (the five-minute rule): unknown, as v2's SYSTEMERROR. */
  g_assert_false (close_order (f, otn, &error));
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_SYSTEM_ERROR);
  g_assert_true (saoma_gateway_error_is_outcome_unknown (error));
  g_clear_error (&error);

  wxpay_sim_server_advance_clock (f->sim, 301);
  g_assert_true (close_order (f, otn, &error));
  g_assert_no_error (error);
  status = query (f, otn, &error);
  g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_CLOSED);

  /* No such order: known. */
  {
    g_autoptr(SaomaOrderStatus) none = query (f, "T1NOSUCHORDER0001", &error);

    g_assert_null (none);
    g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST);
    g_assert_false (saoma_gateway_error_is_outcome_unknown (error));
  }
}

static void
test_unknown_outcomes (Fixture      *f,
                       gconstpointer data)
{
  const char *faults[] = { "{\"systemerror\":1}", "{\"bad_sign\":1}", "{\"drop_after\":1}",
                           "{\"http_502\":1}" };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *otn = new_otn (f);
      g_autofree char *token = token_for (f, otn, 200);
      g_autoptr(SaomaNativeOrderResult) created = NULL;
      g_autoptr(SaomaNativeOrderResult) retried = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", faults[i]);
      g_assert_true (wxpay_sim_server_set_faults (f->sim, faults[i], NULL));
      created = create (f, token, &error);
      g_assert_null (created);
      g_assert_true (error->domain == SAOMA_GATEWAY_ERROR);
      g_assert_true (saoma_gateway_error_is_outcome_unknown (error));
      g_clear_error (&error);

      /* The retry with the stored token resolves it, whatever happened the first time. */
      g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, NULL));
      retried = create (f, token, &error);
      g_assert_no_error (error);
      g_assert_nonnull (retried->code_url);
    }
}

static void
test_refunds (Fixture      *f,
              gconstpointer data)
{
  g_autofree char *otn = new_otn (f);
  g_autofree char *token = token_for (f, otn, 1000);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *orn = saoma_gateway_new_out_refund_no (f->gateway, "T1", now);
  g_autoptr(SaomaNativeOrderResult) created = NULL;
  g_autoptr(SaomaRefundStatus) refund = NULL;
  g_autoptr(SaomaRefundStatus) queried = NULL;
  g_autoptr(GError) error = NULL;
  SaomaRefundRequest request = { 0 };

  created = create (f, token, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));

  request.out_trade_no = otn;
  request.out_refund_no = orn;
  request.total = 1000;
  request.amount = 250;
  request.reason = (char *)"退货";
  {
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    saoma_gateway_refund_async (f->gateway, &request, NULL, done_cb, &wait);
    result = wait_for (&wait);
    refund = saoma_gateway_refund_finish (f->gateway, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (refund->out_refund_no, ==, orn);
    g_assert_cmpint (refund->amount, ==, 250);
    g_assert_cmpint (refund->state, ==, SAOMA_GATEWAY_REFUND_PROCESSING);
  }

  wxpay_sim_server_advance_clock (f->sim, 10);
  {
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    saoma_gateway_query_refund_async (f->gateway, orn, NULL, done_cb, &wait);
    result = wait_for (&wait);
    queried = saoma_gateway_query_refund_finish (f->gateway, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (queried->state, ==, SAOMA_GATEWAY_REFUND_SUCCESS);
    g_assert_cmpstr (queried->refund_id, ==, refund->refund_id);
  }

  /* More than what is left: known (NOT_ENOUGH). */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(SaomaRefundStatus) too_much = NULL;
    g_autofree char *orn2 = g_strconcat (orn, "B", NULL);
    Wait             wait = { 0 };

    request.out_refund_no = orn2;
    request.amount = 900;
    saoma_gateway_refund_async (f->gateway, &request, NULL, done_cb, &wait);
    result = wait_for (&wait);
    too_much = saoma_gateway_refund_finish (f->gateway, result, &error);
    g_assert_null (too_much);
    g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_NOT_ENOUGH);
    g_assert_false (saoma_gateway_error_is_outcome_unknown (error));
  }
}

static void
test_not_yet (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  g_autoptr(GBytes) ok = saoma_gateway_notification_reply (f->gateway, TRUE, NULL);
  g_autoptr(GBytes) fail = saoma_gateway_notification_reply (f->gateway, FALSE, "x");
  SaomaGatewayEventKind kind = SAOMA_GATEWAY_EVENT_REFUND;
  SaomaGatewayEvent    *event;

  /* Refused (so WeChat retries), never accepted unverified. */
  event = saoma_gateway_parse_notification (f->gateway, body, SAOMA_NOTIFICATION_ANY, &kind,
                                            &error);
  g_assert_null (event);
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_NOT_SUPPORTED);
  g_assert_cmpint (kind, ==, SAOMA_GATEWAY_EVENT_PAYMENT);
  g_clear_error (&error);
  g_assert_cmpuint (g_bytes_get_size (ok), ==, 0);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (fail, NULL), g_bytes_get_size (fail),
                                  "\"FAIL\""));
}

/* The trade bill: the day's payments and refunds, through the unsigned, SHA1-checked download. */
static void
test_bill (Fixture      *f,
           gconstpointer data)
{
  g_autofree char *otn = new_otn (f);
  g_autofree char *token = token_for (f, otn, 1234);
  g_autoptr(SaomaNativeOrderResult) created = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) beijing = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDate) day = NULL;
  g_autoptr(SaomaBill) bill = NULL;
  gboolean found = FALSE;

  created = create (f, token, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));

  now = g_date_time_new_from_unix_utc (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC);
  beijing = g_date_time_to_timezone (now, tz);
  day = g_date_new_dmy (g_date_time_get_day_of_month (beijing),
                        g_date_time_get_month (beijing), g_date_time_get_year (beijing));
  {
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    saoma_gateway_download_bill_async (f->gateway, day, NULL, done_cb, &wait);
    result = wait_for (&wait);
    bill = saoma_gateway_download_bill_finish (f->gateway, result, &error);
    g_assert_no_error (error);
  }
  for (guint i = 0; i < bill->rows->len; i++)
    {
      SaomaBillRow *row = g_ptr_array_index (bill->rows, i);

      if (g_strcmp0 (row->out_trade_no, otn) == 0)
        {
          g_assert_cmpint (row->kind, ==, SAOMA_BILL_ROW_PAYMENT);
          g_assert_cmpint (row->amount, ==, 1234);
          found = TRUE;
        }
    }
  g_assert_true (found);
  g_assert_cmpint (bill->summary_total, >=, 1234);

  /* A day without anything: known, BILL_NOT_EXIST. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GDate) empty = g_date_new_dmy (1, 1, 2020);
    g_autoptr(SaomaBill) none = NULL;
    Wait wait = { 0 };

    saoma_gateway_download_bill_async (f->gateway, empty, NULL, done_cb, &wait);
    result = wait_for (&wait);
    none = saoma_gateway_download_bill_finish (f->gateway, result, &error);
    g_assert_null (none);
    g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_BILL_NOT_EXIST);
    g_assert_false (saoma_gateway_error_is_outcome_unknown (error));
  }
}

/* Payment by code: paid at once, USERPAYING (unknown) then paid, reversed. */
static void
test_pay_by_code (Fixture      *f,
                  gconstpointer data)
{
  const char *last_digits[] = { "0", "1" };

  for (guint i = 0; i < G_N_ELEMENTS (last_digits); i++)
    {
      g_autofree char *otn = new_otn (f);
      g_autofree char *code = g_strdup_printf ("13%015u%s", g_random_int (), last_digits[i]);
      g_autoptr(SaomaOrderStatus) status = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      SaomaCodePayment payment = { 0 };
      Wait             wait = { 0 };

      payment.out_trade_no = otn;
      payment.amount = 880;
      payment.description = (char *)"付款码";
      payment.till_id = (char *)"T1";
      payment.auth_code = code;
      payment.client_ip = (char *)"127.0.0.1";
      saoma_gateway_pay_by_code_async (f->gateway, &payment, NULL, done_cb, &wait);
      result = wait_for (&wait);
      status = saoma_gateway_pay_by_code_finish (f->gateway, result, &error);

      if (i == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_SUCCESS);
          g_assert_cmpint (status->amount, ==, 880);
          g_assert_nonnull (status->transaction_id);
        }
      else
        {
          g_autoptr(GAsyncResult) reversed = NULL;
          g_autoptr(SaomaOrderStatus) after = NULL;
          gboolean retry = TRUE;
          Wait     wait2 = { 0 };

          g_assert_null (status);
          g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_USER_PAYING);
          g_assert_true (saoma_gateway_error_is_outcome_unknown (error));
          g_clear_error (&error);

          saoma_gateway_reverse_async (f->gateway, otn, NULL, done_cb, &wait2);
          reversed = wait_for (&wait2);
          g_assert_true (saoma_gateway_reverse_finish (f->gateway, reversed, &retry, &error));
          g_assert_no_error (error);
          g_assert_false (retry);
          after = query (f, otn, &error);
          g_assert_cmpint (after->state, ==, SAOMA_TRADE_STATE_REVOKED);
        }
    }
}

/* Issue 12.5: numbers carry the shop's (Beijing) wall time, as with v2. */
static void
test_number_time (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDateTime) utc = g_date_time_new_utc (2026, 12, 2, 20, 32, 48);
  g_autofree char *order = saoma_gateway_new_out_trade_no (f->gateway, "T07", utc);
  g_autofree char *refund = saoma_gateway_new_out_refund_no (f->gateway, "T07", utc);

  g_assert_true (g_str_has_prefix (order, "T0720261203043248"));
  g_assert_true (g_str_has_prefix (refund, "RT0720261203043248"));
}

/* The factory: a v3 merchant with neither public key setting verifies with the platform
 * certificates (downloaded on the first call); half of one is a configuration error. */
static void
test_factory_platform_certificates (Fixture      *f,
                                    gconstpointer data)
{
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SaomaGateway) half = NULL;
  g_autoptr(SaomaNativeOrderResult) created = NULL;
  g_autofree char *otn = NULL;
  g_autofree char *token = NULL;

  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  g_assert_no_error (error);
  g_free (merchant->protocol);
  merchant->protocol = g_strdup ("v3");
  merchant->base_uri = g_strdup (wxpay_sim_server_get_base_uri (f->sim));
  merchant->appid = g_strdup (WXPAY_SIM_DEFAULT_APPID);
  merchant->mch_id = g_strdup (WXPAY_SIM_DEFAULT_MCH_ID);
  merchant->mch_private_key_path = g_build_filename (f->dir, "apiclient_key.pem", NULL);
  merchant->mch_serial = read_text (f->dir, "apiclient_serial.txt");
  merchant->apiv3_key = read_text (f->dir, "apiv3_key.txt");

  merchant->wechatpay_public_key_id = g_strdup ("PUB_KEY_ID_0000");
  half = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_null (half);
  g_assert_error (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_CONFIG);
  g_clear_error (&error);
  g_clear_pointer (&merchant->wechatpay_public_key_id, g_free);

  g_clear_object (&f->gateway);
  f->gateway = saoma_gateway_new_for_merchant (merchant, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saoma_gateway_get_protocol (f->gateway), ==, "v3");
  otn = new_otn (f);
  token = token_for (f, otn, 888);
  created = create (f, token, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (created->code_url, "weixin://"));

  /* A rotation in the middle: the next answer names the new certificate. */
  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  {
    g_autoptr(SaomaOrderStatus) status = query (f, otn, &error);

    g_assert_no_error (error);
    g_assert_cmpint (status->state, ==, SAOMA_TRADE_STATE_NOTPAY);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/wxpay3-gateway/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("identity", test_identity);
  ADD ("token", test_token);
  ADD ("native-life", test_native_life);
  ADD ("close", test_close);
  ADD ("unknown-outcomes", test_unknown_outcomes);
  ADD ("refunds", test_refunds);
  ADD ("not-yet", test_not_yet);
  ADD ("bill", test_bill);
  ADD ("pay-by-code", test_pay_by_code);
  ADD ("number-time", test_number_time);
  ADD ("factory-platform-certificates", test_factory_platform_certificates);
#undef ADD

  return g_test_run ();
}
