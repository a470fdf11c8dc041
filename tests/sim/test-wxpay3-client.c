/* test-wxpay3-client.c: Wxpay3Client against the in-process wxpay-sim serving API v3: every
 * call, the known/unknown reading of every kind of failure, failover, cancellation, callbacks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sim-test-util.h"

typedef struct
{
  WxpaySimServer *sim;
  char           *dir;
  Wxpay3Signer   *signer;
  Wxpay3Verifier *verifier;
  Wxpay3Client   *client;
  char           *apiv3_key;
  char           *pub_key_id;
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
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pub = NULL;

  f->dir = g_dir_make_tmp ("saoma-wxpay3-XXXXXX", &error);
  g_assert_no_error (error);
  f->sim = sim_test_server_new (7, 1.0);
  g_assert_true (wxpay_sim_server_setup_v3 (f->sim, f->dir, &error));
  g_assert_no_error (error);

  key = read_text (f->dir, "apiclient_key.pem");
  serial = read_text (f->dir, "apiclient_serial.txt");
  pub = read_text (f->dir, "pub_key.pem");
  f->pub_key_id = read_text (f->dir, "pub_key_id.txt");
  f->apiv3_key = read_text (f->dir, "apiv3_key.txt");
  f->signer = wxpay3_signer_new (SIM_MCH_ID, serial, key, strlen (key), &error);
  g_assert_no_error (error);
  f->verifier = wxpay3_verifier_new ();
  g_assert_true (wxpay3_verifier_add_public_key (f->verifier, f->pub_key_id, pub, strlen (pub),
                                                 &error));
  f->client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), SIM_APPID, f->signer,
                                 f->verifier);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  const char *names[] = { "apiclient_key.pem", "apiclient_serial.txt", "pub_key.pem",
                          "pub_key_id.txt", "apiv3_key.txt", "sim_private_key.pem",
                          "sim_pub_key_id.txt" };

  g_clear_object (&f->client);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  g_clear_pointer (&f->signer, wxpay3_signer_unref);
  g_clear_pointer (&f->verifier, wxpay3_verifier_unref);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->apiv3_key);
  g_free (f->pub_key_id);
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
wait_result (Wait *wait)
{
  g_assert_true (sim_test_wait_flag (&wait->done, 20000));
  return wait->result;
}

static JsonObject *
native_fields (const char *out_trade_no,
               gint64      total,
               const char *notify_url)
{
  JsonObject *fields = json_object_new ();
  JsonObject *amount = json_object_new ();

  json_object_set_string_member (fields, "description", "Saoma v3 测试");
  json_object_set_string_member (fields, "out_trade_no", out_trade_no);
  json_object_set_string_member (fields, "notify_url",
                                 notify_url != NULL ? notify_url : "https://example.com/n");
  json_object_set_int_member (amount, "total", total);
  json_object_set_string_member (amount, "currency", "CNY");
  json_object_set_object_member (fields, "amount", amount);

  return fields;
}

static char *
create (Fixture      *f,
        Wxpay3Client *client,
        const char   *out_trade_no,
        gint64        total,
        GError      **error)
{
  g_autoptr(JsonObject) fields = native_fields (out_trade_no, total, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  wxpay3_client_native_create_async (client, fields, NULL, done_cb, &wait);
  result = wait_result (&wait);

  return wxpay3_client_native_create_finish (client, result, error);
}

static JsonObject *
query (Fixture    *f,
       const char *out_trade_no,
       const char *transaction_id,
       GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  wxpay3_client_query_async (f->client, out_trade_no, transaction_id, NULL, done_cb, &wait);
  result = wait_result (&wait);

  return wxpay3_client_query_finish (f->client, result, error);
}

static gboolean
close_order (Fixture    *f,
             const char *out_trade_no,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  wxpay3_client_close_async (f->client, out_trade_no, NULL, done_cb, &wait);
  result = wait_result (&wait);

  return wxpay3_client_close_finish (f->client, result, error);
}

static void
assert_unknown (const GError *error,
                WxpayError    code)
{
  g_assert_error (error, WXPAY_ERROR, code);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
}

static void
assert_known (const GError *error,
              WxpayError    code)
{
  g_assert_error (error, WXPAY_ERROR, code);
  g_assert_false (wxpay_error_is_outcome_unknown (error));
}

/* Calls ---------------------------------------------------------------------------------------- */

/* Issue 19: a create signed ahead (while the attempt is written) is sent with that signature,
 * not signed again; a create of other fields signs its own; used once. */
static void
test_prepared (Fixture      *f,
               gconstpointer data)
{
  guint64 n = wxpay3_signer_get_n_signatures (f->signer);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(JsonObject) fields = native_fields ("PRESIGN-1", 1200, NULL);
    g_autofree char *code_url = NULL;

    wxpay3_client_native_create_prepare (f->client, fields);
    code_url = create (f, f->client, "PRESIGN-1", 1200, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (code_url, "weixin://"));
    g_assert_cmpuint (wxpay3_signer_get_n_signatures (f->signer), ==, n + 1);
  }

  /* Another order signs its own; the one signed ahead is still sent with its signature. */
  {
    g_autoptr(JsonObject) fields = native_fields ("PRESIGN-3", 1400, NULL);
    g_autofree char *other_url = NULL;
    g_autofree char *code_url = NULL;

    wxpay3_client_native_create_prepare (f->client, fields);
    g_assert_cmpuint (wxpay3_signer_get_n_signatures (f->signer), ==, n + 2);
    other_url = create (f, f->client, "PRESIGN-4", 1500, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (wxpay3_signer_get_n_signatures (f->signer), ==, n + 3);
    code_url = create (f, f->client, "PRESIGN-3", 1400, &error);
    g_assert_no_error (error);
    g_assert_nonnull (code_url);
    g_assert_cmpuint (wxpay3_signer_get_n_signatures (f->signer), ==, n + 3);
    g_assert_cmpstr (code_url, !=, other_url);
  }

  /* Used once: the same create again signs again (a retry gets a fresh nonce and time). */
  {
    g_autofree char *code_url = create (f, f->client, "PRESIGN-3", 1400, &error);

    g_assert_no_error (error);
    g_assert_nonnull (code_url);
    g_assert_cmpuint (wxpay3_signer_get_n_signatures (f->signer), ==, n + 4);
  }
}

static void
test_native (Fixture      *f,
             gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("C3N");
  g_autofree char *code_url = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonObject) transaction = NULL;
  g_autoptr(JsonObject) by_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;

  code_url = create (f, f->client, otn, 3850, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (code_url, "weixin://wxpay/bizpayurl?pr="));
  /* The retry after an unknown outcome: same fields, same bytes, same order. */
  again = create (f, f->client, otn, 3850, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, code_url);

  transaction = query (f, otn, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (transaction, "trade_state"), ==, "NOTPAY");
  g_clear_pointer (&transaction, json_object_unref);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  transaction = query (f, otn, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (transaction, "trade_state"), ==, "SUCCESS");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (transaction,
                                                                              "amount"),
                                               "total"),
                   ==, 3850);
  transaction_id = g_strdup (json_object_get_string_member (transaction, "transaction_id"));

  by_id = query (f, NULL, transaction_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (by_id, "out_trade_no"), ==, otn);

  /* Paid: close refused (known), create with another amount refused (known). */
  g_assert_false (close_order (f, otn, &error));
  assert_known (error, WXPAY_ERROR_ORDERPAID);
  g_clear_error (&error);
  {
    g_autofree char *other = create (f, f->client, otn, 1, &error);

    g_assert_null (other);
    assert_known (error, WXPAY_ERROR_ORDERPAID);
    g_clear_error (&error);
  }

  /* Close an unpaid order once the five minutes are over: 204. */
  {
    g_autofree char *otn2 = sim_test_unique_no ("C3C");
    g_autofree char *url2 = create (f, f->client, otn2, 100, &error);
    g_autoptr(JsonObject) closed = NULL;

    g_assert_no_error (error);
    /* Too early: SYSTEM_ERROR, unknown, as v2's SYSTEMERROR. */
    g_assert_false (close_order (f, otn2, &error));
    assert_unknown (error, WXPAY_ERROR_SYSTEMERROR);
    g_clear_error (&error);

    wxpay_sim_server_advance_clock (f->sim, 301);
    g_assert_true (close_order (f, otn2, &error));
    g_assert_no_error (error);
    closed = query (f, otn2, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (closed, "trade_state"), ==, "CLOSED");

    /* Another body under the same number. */
    {
      g_autofree char *otn3 = sim_test_unique_no ("C3U");
      g_autofree char *first = create (f, f->client, otn3, 100, &error);
      g_autofree char *second = NULL;

      g_assert_no_error (error);
      second = create (f, f->client, otn3, 200, &error);
      g_assert_null (second);
      assert_known (error, WXPAY_ERROR_OUT_TRADE_NO_USED);
      g_clear_error (&error);
    }
  }

  /* No such order. */
  {
    g_autoptr(JsonObject) none = query (f, "C3NOSUCHORDER", NULL, &error);

    g_assert_null (none);
    assert_known (error, WXPAY_ERROR_ORDERNOTEXIST);
  }
}

static void
test_refunds (Fixture      *f,
              gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("C3R");
  g_autofree char *orn = sim_test_unique_no ("C3RR");
  g_autofree char *code_url = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) refund = NULL;
  g_autoptr(JsonObject) queried = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *amount = json_object_new ();

  code_url = create (f, f->client, otn, 1000, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));

  json_object_set_string_member (fields, "out_trade_no", otn);
  json_object_set_string_member (fields, "out_refund_no", orn);
  json_object_set_string_member (fields, "reason", "退货");
  json_object_set_int_member (amount, "refund", 300);
  json_object_set_int_member (amount, "total", 1000);
  json_object_set_string_member (amount, "currency", "CNY");
  json_object_set_object_member (fields, "amount", amount);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      Wait wait = { 0 };

      wxpay3_client_refund_async (f->client, fields, NULL, done_cb, &wait);
      result = wait_result (&wait);
      g_clear_pointer (&refund, json_object_unref);
      refund = wxpay3_client_refund_finish (f->client, result, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (refund, "status"), ==, "PROCESSING");
    }

  wxpay_sim_server_advance_clock (f->sim, 10);
  {
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    wxpay3_client_refund_query_async (f->client, orn, NULL, done_cb, &wait);
    result = wait_result (&wait);
    queried = wxpay3_client_refund_query_finish (f->client, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (queried, "status"), ==, "SUCCESS");
    g_assert_cmpstr (json_object_get_string_member (queried, "refund_id"), ==,
                     json_object_get_string_member (refund, "refund_id"));
  }
}

static void
test_tradebill (Fixture      *f,
                gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("C3T");
  g_autofree char *code_url = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) beijing = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 3600);
  g_autofree char *date = NULL;

  code_url = create (f, f->client, otn, 777, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  now = g_date_time_new_from_unix_utc (wxpay_sim_server_get_now (f->sim) / G_USEC_PER_SEC);
  beijing = g_date_time_to_timezone (now, tz);
  date = g_date_time_format (beijing, "%Y-%m-%d");

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GBytes) bill = NULL;
    Wait wait = { 0 };

    wxpay3_client_tradebill_async (f->client, date, NULL, FALSE, NULL, done_cb, &wait);
    result = wait_result (&wait);
    bill = wxpay3_client_tradebill_finish (f->client, result, &error);
    g_assert_no_error (error);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (bill, NULL), g_bytes_get_size (bill), otn));
  }
  /* tar_type=GZIP: the same bill, inflated, its SHA1 checked. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GAsyncResult) plain_result = NULL;
    g_autoptr(GBytes) bill = NULL;
    g_autoptr(GBytes) plain = NULL;
    Wait wait = { 0 };
    Wait plain_wait = { 0 };

    wxpay3_client_tradebill_async (f->client, date, "ALL", TRUE, NULL, done_cb, &wait);
    result = wait_result (&wait);
    bill = wxpay3_client_tradebill_finish (f->client, result, &error);
    g_assert_no_error (error);
    wxpay3_client_tradebill_async (f->client, date, "ALL", FALSE, NULL, done_cb, &plain_wait);
    plain_result = wait_result (&plain_wait);
    plain = wxpay3_client_tradebill_finish (f->client, plain_result, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (bill, plain));
  }
  /* A download that is not the file the signed answer hashed fails, gzipped or not, even
   * though it is well-formed (the sim changes one byte and re-compresses). */
  g_assert_true (wxpay_sim_server_set_faults (f->sim,
                                              "{\"corrupt_bill\":1,\"path\":\"/v3/billdownload/file\"}",
                                              &error));
  g_assert_no_error (error);
  for (int gzip = 0; gzip < 2; gzip++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) bill = NULL;
      Wait wait = { 0 };

      wxpay3_client_tradebill_async (f->client, date, "ALL", gzip, NULL, done_cb, &wait);
      result = wait_result (&wait);
      bill = wxpay3_client_tradebill_finish (f->client, result, &error);
      g_assert_null (bill);
      g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_BILL_FAILED);
      g_assert_nonnull (strstr (error->message, "SHA1"));
      g_clear_error (&error);
    }
  g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, &error));
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GBytes) bill = NULL;
    Wait wait = { 0 };

    wxpay3_client_tradebill_async (f->client, "2020-01-01", "ALL", FALSE, NULL, done_cb,
                                   &wait);
    result = wait_result (&wait);
    bill = wxpay3_client_tradebill_finish (f->client, result, &error);
    g_assert_null (bill);
    assert_known (error, WXPAY_ERROR_BILL_NOT_EXIST);
  }
}

static JsonObject *
codepay (Fixture    *f,
         const char *out_trade_no,
         const char *auth_code,
         gint64      total,
         GError    **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  JsonObject *payer = json_object_new ();
  JsonObject *amount = json_object_new ();
  JsonObject *scene = json_object_new ();
  Wait        wait = { 0 };

  json_object_set_string_member (fields, "description", "Saoma 付款码");
  json_object_set_string_member (fields, "out_trade_no", out_trade_no);
  json_object_set_string_member (payer, "auth_code", auth_code);
  json_object_set_object_member (fields, "payer", payer);
  json_object_set_int_member (amount, "total", total);
  json_object_set_string_member (amount, "currency", "CNY");
  json_object_set_object_member (fields, "amount", amount);
  json_object_set_string_member (scene, "device_ip", "127.0.0.1");
  json_object_set_object_member (fields, "scene_info", scene);

  wxpay3_client_codepay_async (f->client, fields, NULL, done_cb, &wait);
  result = wait_result (&wait);

  return wxpay3_client_codepay_finish (f->client, result, error);
}

static gboolean
reverse (Fixture    *f,
         const char *out_trade_no,
         GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  wxpay3_client_reverse_async (f->client, out_trade_no, NULL, done_cb, &wait);
  result = wait_result (&wait);

  return wxpay3_client_reverse_finish (f->client, result, error);
}

static void
test_codepay (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* Paid at once; the retry with the same body reads the same state. */
  {
    g_autofree char *otn = sim_test_unique_no ("C3P");
    g_autofree char *code = g_strdup_printf ("13%015u0", g_random_int ());
    g_autoptr(JsonObject) paid = codepay (f, otn, code, 500, &error);
    g_autoptr(JsonObject) again = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (paid, "trade_state"), ==, "SUCCESS");
    again = codepay (f, otn, code, 500, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (again, "transaction_id"), ==,
                     json_object_get_string_member (paid, "transaction_id"));
  }

  /* 202 USERPAYING: unknown, resolved by querying. */
  {
    g_autofree char *otn = sim_test_unique_no ("C3U");
    g_autofree char *code = g_strdup_printf ("13%015u1", g_random_int ());
    g_autoptr(JsonObject) none = codepay (f, otn, code, 500, &error);
    g_autoptr(JsonObject) later = NULL;

    g_assert_null (none);
    assert_unknown (error, WXPAY_ERROR_USERPAYING);
    g_clear_error (&error);
    wxpay_sim_server_advance_clock (f->sim, 11);
    later = query (f, otn, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (later, "trade_state"), ==, "SUCCESS");
  }

  /* Not enough money: known. */
  {
    g_autofree char *otn = sim_test_unique_no ("C3E");
    g_autofree char *code = g_strdup_printf ("13%015u4", g_random_int ());
    g_autoptr(JsonObject) none = codepay (f, otn, code, 500, &error);

    g_assert_null (none);
    assert_known (error, WXPAY_ERROR_NOTENOUGH);
    g_clear_error (&error);
  }

  /* Still waiting for the password: reversed, then REVOKED. */
  {
    g_autofree char *otn = sim_test_unique_no ("C3V");
    g_autofree char *code = g_strdup_printf ("13%015u2", g_random_int ());
    g_autoptr(JsonObject) none = codepay (f, otn, code, 500, &error);
    g_autoptr(JsonObject) after = NULL;

    g_assert_null (none);
    g_clear_error (&error);
    g_assert_true (reverse (f, otn, &error));
    g_assert_no_error (error);
    after = query (f, otn, NULL, &error);
    g_assert_cmpstr (json_object_get_string_member (after, "trade_state"), ==, "REVOKED");
  }

  /* A Native order cannot be reversed. */
  {
    g_autofree char *otn = sim_test_unique_no ("C3X");
    g_autofree char *code_url = create (f, f->client, otn, 100, &error);

    g_assert_no_error (error);
    g_assert_false (reverse (f, otn, &error));
    assert_known (error, WXPAY_ERROR_TRADE_ERROR);
  }
}

/* Failures ------------------------------------------------------------------------------------- */

static void
test_faults (Fixture      *f,
             gconstpointer data)
{
  static const struct
  {
    const char *fault;
    WxpayError  expected;
  } cases[] = {
    { "{\"systemerror\":1}", WXPAY_ERROR_SYSTEMERROR },
    { "{\"bad_sign\":1}", WXPAY_ERROR_BAD_SIGNATURE },
    { "{\"drop_after\":1}", WXPAY_ERROR_CONNECTION_LOST },
    { "{\"drop_before\":1}", WXPAY_ERROR_CONNECTION_LOST },
    { "{\"http_500\":1}", WXPAY_ERROR_HTTP_SERVER },
    { "{\"http_502\":1}", WXPAY_ERROR_HTTP_SERVER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *otn = sim_test_unique_no ("C3F");
      g_autofree char *code_url = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].fault);
      g_assert_true (wxpay_sim_server_set_faults (f->sim, cases[i].fault, &error));
      code_url = create (f, f->client, otn, 100, &error);
      g_assert_null (code_url);
      /* Every one of them may have created the order: never a known failure. */
      assert_unknown (error, cases[i].expected);
      g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, NULL));
    }
}

static void
test_keys (Fixture      *f,
           gconstpointer data)
{
  g_autofree char *otn = sim_test_unique_no ("C3K");
  g_autoptr(GError) error = NULL;
  char            *other_private = NULL;
  g_autofree char *other_public = NULL;
  g_autofree char *serial = read_text (f->dir, "apiclient_serial.txt");

  g_assert_true (wxpay3_generate_key_pair (&other_private, &other_public, NULL));

  /* Our signature refused: a configuration error, known (nothing was done). */
  {
    g_autoptr(Wxpay3Signer) wrong = wxpay3_signer_new (SIM_MCH_ID, serial, other_private,
                                                        strlen (other_private), NULL);
    g_autoptr(Wxpay3Client) client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim),
                                                         SIM_APPID, wrong, f->verifier);
    g_autofree char *code_url = create (f, client, otn, 100, &error);

    g_assert_null (code_url);
    assert_known (error, WXPAY_ERROR_SIGNERROR);
    g_clear_error (&error);
  }

  /* Answers signed by a key other than the one we hold under that id: unknown. */
  {
    g_autoptr(Wxpay3Verifier) impostor = wxpay3_verifier_new ();
    g_autoptr(Wxpay3Client) client = NULL;
    g_autofree char *code_url = NULL;

    g_assert_true (wxpay3_verifier_add_public_key (impostor, f->pub_key_id, other_public,
                                                   strlen (other_public), NULL));
    client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), SIM_APPID, f->signer,
                                impostor);
    code_url = create (f, client, otn, 100, &error);
    g_assert_null (code_url);
    assert_unknown (error, WXPAY_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  /* No key under the answer's serial. */
  {
    g_autoptr(Wxpay3Verifier) empty = wxpay3_verifier_new ();
    g_autoptr(Wxpay3Client) client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim),
                                                         SIM_APPID, f->signer, empty);
    g_autofree char *code_url = create (f, client, otn, 100, &error);

    g_assert_null (code_url);
    assert_unknown (error, WXPAY_ERROR_UNKNOWN_SERIAL);
    g_clear_error (&error);
  }

  /* The order was made by the second and third attempts all the same: a query finds it. */
  {
    g_autoptr(JsonObject) transaction = query (f, otn, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (transaction, "trade_state"), ==, "NOTPAY");
  }
  wxpay3_pem_free (other_private);
}

static void
test_failover (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GSocketService) placeholder = NULL;
  g_autofree char *dead = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3B");
  g_autofree char *code_url = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* A port nobody listens on: bind one, learn it, close it. */
  {
    g_autoptr(GSocketListener) listener = g_socket_listener_new ();

    port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
    g_assert_no_error (error);
    g_socket_listener_close (listener);
  }
  dead = g_strdup_printf ("http://127.0.0.1:%u", port);

  g_object_set (f->client, "base-uri", dead, "backup-base-uri",
                wxpay_sim_server_get_base_uri (f->sim), NULL);
  code_url = create (f, f->client, otn, 100, &error);
  g_assert_no_error (error);
  g_assert_nonnull (code_url);

  /* Never after the request may have been sent: a lost answer stays lost. */
  {
    g_autoptr(WxpaySimServer) backup = sim_test_server_new (8, 1.0);
    g_autofree char *otn2 = sim_test_unique_no ("C3L");
    g_autofree char *lost = NULL;
    g_autofree char *orders = NULL;

    g_assert_true (wxpay_sim_server_setup_v3 (backup, f->dir, NULL));
    g_object_set (f->client, "base-uri", wxpay_sim_server_get_base_uri (f->sim),
                  "backup-base-uri", wxpay_sim_server_get_base_uri (backup), NULL);
    g_assert_true (wxpay_sim_server_set_faults (f->sim, "{\"drop_after\":1}", NULL));
    lost = create (f, f->client, otn2, 100, &error);
    g_assert_null (lost);
    assert_unknown (error, WXPAY_ERROR_CONNECTION_LOST);
    orders = wxpay_sim_server_dup_orders_json (backup);
    g_assert_null (strstr (orders, otn2));
    wxpay_sim_server_shutdown (backup);
  }
}

static void
test_cancel (Fixture      *f,
             gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* Before anything is written: cancelled, known. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(JsonObject) fields = native_fields ("C3CANCEL0001", 100, NULL);
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *code_url = NULL;
    Wait             wait = { 0 };

    g_cancellable_cancel (cancellable);
    wxpay3_client_native_create_async (f->client, fields, cancellable, done_cb, &wait);
    result = wait_result (&wait);
    code_url = wxpay3_client_native_create_finish (f->client, result, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_false (wxpay_error_is_outcome_unknown (error));
    g_clear_error (&error);
  }

  /* After the request went out: the order may exist, unknown. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(JsonObject) fields = native_fields ("C3CANCEL0002", 100, NULL);
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *code_url = NULL;
    Wait             wait = { 0 };

    g_assert_true (wxpay_sim_server_set_faults (f->sim, "{\"latency_ms\":2000}", NULL));
    wxpay3_client_native_create_async (f->client, fields, cancellable, done_cb, &wait);
    sim_test_spin (300);
    g_cancellable_cancel (cancellable);
    result = wait_result (&wait);
    code_url = wxpay3_client_native_create_finish (f->client, result, &error);
    g_assert_null (code_url);
    assert_unknown (error, WXPAY_ERROR_CONNECTION_LOST);
    g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, NULL));
  }
}

/* Callbacks ------------------------------------------------------------------------------------ */

typedef struct
{
  Fixture *f;
  guint    opened;
  guint    refused;
  GError  *last_error;
  char    *event_type;
  char    *trade_state;
} Listener;

static void
listener_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query_params,
             gpointer           user_data)
{
  Listener           *l = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonObject) resource = NULL;
  g_autofree char *event_type = NULL;

  g_clear_error (&l->last_error);
  resource = wxpay3_callback_open (l->f->verifier, l->f->apiv3_key, strlen (l->f->apiv3_key),
                                   soup_message_headers_get_one (headers, "Wechatpay-Serial"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Signature"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Timestamp"),
                                   soup_message_headers_get_one (headers, "Wechatpay-Nonce"), body,
                                   g_get_real_time () / G_USEC_PER_SEC, &event_type,
                                   &l->last_error);
  if (resource == NULL)
    {
      l->refused++;
      soup_server_message_set_status (msg, 401, NULL);
      return;
    }

  l->opened++;
  g_free (l->event_type);
  l->event_type = g_steal_pointer (&event_type);
  g_free (l->trade_state);
  l->trade_state = g_strdup (json_object_get_string_member_with_default (resource, "trade_state",
                                                                         NULL));
  soup_server_message_set_status (msg, 200, NULL);
}

static void
test_callbacks (Fixture      *f,
                gconstpointer data)
{
  Listener l = { f, 0 };
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3W");
  g_autofree char *url = NULL;
  g_autofree char *code_url = NULL;
  GSList          *uris;
  Wait             wait = { 0 };

  soup_server_add_handler (server, "/notify", listener_cb, &l, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d/notify", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  fields = native_fields (otn, 500, url);
  wxpay3_client_native_create_async (f->client, fields, NULL, done_cb, &wait);
  result = wait_result (&wait);
  code_url = wxpay3_client_native_create_finish (f->client, result, &error);
  g_assert_no_error (error);

  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  for (guint i = 0; i < 200 && l.opened == 0; i++)
    sim_test_spin (25);
  g_assert_cmpuint (l.opened, ==, 1);
  g_assert_cmpstr (l.event_type, ==, "TRANSACTION.SUCCESS");
  g_assert_cmpstr (l.trade_state, ==, "SUCCESS");

  /* A SIGNTEST probe: refused as such. */
  {
    g_autofree char *escaped = g_uri_escape_string (url, NULL, TRUE);
    g_autofree char *control = g_strdup_printf ("%s/sim/v3/signtest?url=%s",
                                                wxpay_sim_server_get_base_uri (f->sim), escaped);
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autoptr(GBytes) answer = NULL;
    guint status = 0;

    answer = sim_test_http (session, "POST", control, "", 0, &status, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpuint (l.refused, ==, 1);
    g_assert_error (l.last_error, WXPAY_ERROR, WXPAY_ERROR_SIGNATURE_PROBE);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                    "\"rejected\":true"));
  }

  g_clear_error (&l.last_error);
  g_free (l.event_type);
  g_free (l.trade_state);
  soup_server_disconnect (server);
}

/* Platform-certificate mode ----------------------------------------------------------------- */

/* A client that holds no WeChat Pay key, only the APIv3 key: it must download them. */
static Wxpay3Client *
platform_client (Fixture         *f,
                 Wxpay3Verifier **out_verifier)
{
  Wxpay3Client *client;

  *out_verifier = wxpay3_verifier_new ();
  client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), SIM_APPID, f->signer,
                              *out_verifier);
  wxpay3_client_use_platform_certificates (client, f->apiv3_key, strlen (f->apiv3_key));
  g_assert_true (wxpay3_client_get_uses_platform_certificates (client));
  return client;
}

static void
test_platform_certificates (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wxpay3Verifier) verifier = NULL;
  g_autoptr(Wxpay3Client) client = NULL;
  g_autoptr(Wxpay3Client) public_key_client = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3P");
  g_autofree char *otn2 = sim_test_unique_no ("C3Q");
  g_autofree char *code_url = NULL;
  g_autofree char *path = NULL;

  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  g_assert_no_error (error);
  first = g_strdup (wxpay_sim_server_get_v3_platform_serial (f->sim));
  g_assert_nonnull (first);
  /* A merchant of this mode has no public key: the simulator took it out of its directory. */
  path = g_build_filename (f->dir, "pub_key.pem", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Downloaded, opened and checked before the first call; the answer verifies with it. */
  client = platform_client (f, &verifier);
  g_assert_false (wxpay3_verifier_has_serial (verifier, first));
  code_url = create (f, client, otn, 501, &error);
  g_assert_no_error (error);
  g_assert_nonnull (code_url);
  g_assert_true (wxpay3_verifier_has_serial (verifier, first));

  /* A client that only holds the public key cannot verify these answers: unknown serial, an
   * unknown outcome, whatever the answer says. */
  g_clear_pointer (&code_url, g_free);
  code_url = create (f, f->client, otn2, 502, &error);
  g_assert_null (code_url);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
  g_assert_true (wxpay_error_is_outcome_unknown (error));
  g_clear_error (&error);

  /* Rotation: a new certificate signs from now on. The answer's unknown serial makes the
   * client download again; both serials are then valid. */
  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  second = g_strdup (wxpay_sim_server_get_v3_platform_serial (f->sim));
  g_assert_cmpstr (first, !=, second);
  g_clear_pointer (&code_url, g_free);
  code_url = create (f, client, otn, 501, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay3_verifier_has_serial (verifier, first));
  g_assert_true (wxpay3_verifier_has_serial (verifier, second));

  /* A serial nobody published is refused even after a fresh download. */
  {
    g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
    g_autofree char *timestamp = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  g_get_real_time () / G_USEC_PER_SEC);

    g_assert_false (wxpay3_verifier_verify (verifier, "5157F09EFDC096DE15EBE81A47057A72",
                                            "c2lnbmF0dXJl", timestamp, "nonce", "{}", 2,
                                            g_get_real_time () / G_USEC_PER_SEC, &error));
    g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_UNKNOWN_SERIAL);
    g_clear_error (&error);
  }
}

/* The last certificate comes near its end: the next call downloads the list first, and finds
 * the successor WeChat published (not signing yet). */
static void
test_platform_refresh_before_expiry (Fixture      *f,
                                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wxpay3Verifier) verifier = NULL;
  g_autoptr(Wxpay3Client) client = NULL;
  g_autofree char *first = NULL;
  g_autofree char *next = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3E");
  g_autofree char *code_url = NULL;

  /* Twelve hours left: within the client's one-day margin. */
  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 12 * 3600, TRUE, &error));
  first = g_strdup (wxpay_sim_server_get_v3_platform_serial (f->sim));
  client = platform_client (f, &verifier);
  wxpay3_client_set_certificate_timing (client, 24 * 3600, 0);
  code_url = create (f, client, otn, 601, &error);
  g_assert_no_error (error);
  g_assert_true (wxpay3_verifier_has_serial (verifier, first));

  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, FALSE,
                                                               &error));
  /* Still signing with the first one. */
  g_assert_cmpstr (wxpay_sim_server_get_v3_platform_serial (f->sim), ==, first);
  {
    g_autoptr(JsonObject) answer = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    wxpay3_client_query_async (client, otn, NULL, NULL, done_cb, &wait);
    result = wait_result (&wait);
    answer = wxpay3_client_query_finish (client, result, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (wxpay3_verifier_get_latest_expiry (verifier), >,
                   g_get_real_time () / G_USEC_PER_SEC + 4 * 365 * 86400);

  /* A download that fails while the certificates held still verify does not stop the call
   * (here every call wants one: a margin longer than the certificates' life). */
  wxpay3_client_set_certificate_timing (client, 10 * 365 * 86400, 0);
  g_assert_true (wxpay_sim_server_set_faults (f->sim,
                                              "{\"http_500\":1,\"path\":\"/v3/certificates\"}",
                                              &error));
  {
    g_autoptr(JsonObject) answer = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    Wait wait = { 0 };

    wxpay3_client_query_async (client, otn, NULL, NULL, done_cb, &wait);
    result = wait_result (&wait);
    answer = wxpay3_client_query_finish (client, result, &error);
    g_assert_no_error (error);
  }
  g_assert_true (wxpay_sim_server_set_faults (f->sim, NULL, &error));
}

/* Certificates sealed with another APIv3 key do not open: nothing is trusted, nothing sent.
 * With the right key, two calls that start together share one download and both verify. */
static void
test_platform_wrong_key_and_together (Fixture      *f,
                                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wxpay3Verifier) verifier = wxpay3_verifier_new ();
  g_autoptr(Wxpay3Verifier) good_verifier = NULL;
  g_autoptr(Wxpay3Client) client = NULL;
  g_autoptr(Wxpay3Client) good = NULL;
  g_autoptr(JsonObject) fields_a = NULL;
  g_autoptr(JsonObject) fields_b = NULL;
  g_autoptr(GAsyncResult) result_a = NULL;
  g_autoptr(GAsyncResult) result_b = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3K");
  g_autofree char *otn_a = sim_test_unique_no ("C3A");
  g_autofree char *otn_b = sim_test_unique_no ("C3B");
  g_autofree char *code_url = NULL;
  g_autofree char *url_a = NULL;
  g_autofree char *url_b = NULL;
  g_autofree char *orders = NULL;
  Wait wait_a = { 0 };
  Wait wait_b = { 0 };

  g_assert_true (wxpay_sim_server_add_v3_platform_certificate (f->sim, 5 * 365 * 86400, TRUE,
                                                               &error));
  client = wxpay3_client_new (wxpay_sim_server_get_base_uri (f->sim), SIM_APPID, f->signer,
                              verifier);
  wxpay3_client_use_platform_certificates (client, "0123456789abcdef0123456789abcdef", 32);
  code_url = create (f, client, otn, 801, &error);
  g_assert_null (code_url);
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, "not sent"));
  g_clear_error (&error);
  g_assert_false (wxpay3_verifier_has_serial (verifier,
                                              wxpay_sim_server_get_v3_platform_serial (f->sim)));
  orders = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_null (strstr (orders, otn));

  good = platform_client (f, &good_verifier);
  fields_a = native_fields (otn_a, 802, NULL);
  fields_b = native_fields (otn_b, 803, NULL);
  wxpay3_client_native_create_async (good, fields_a, NULL, done_cb, &wait_a);
  wxpay3_client_native_create_async (good, fields_b, NULL, done_cb, &wait_b);
  result_a = wait_result (&wait_a);
  result_b = wait_result (&wait_b);
  url_a = wxpay3_client_native_create_finish (good, result_a, &error);
  g_assert_no_error (error);
  url_b = wxpay3_client_native_create_finish (good, result_b, &error);
  g_assert_no_error (error);
  g_assert_nonnull (url_a);
  g_assert_nonnull (url_b);
}

/* A public-key merchant has no platform certificates (RESOURCE_NOT_EXISTS): a client set up
 * for them says so, and sends nothing it could not verify. */
static void
test_platform_unavailable (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wxpay3Verifier) verifier = NULL;
  g_autoptr(Wxpay3Client) client = NULL;
  g_autofree char *otn = sim_test_unique_no ("C3U");
  g_autofree char *code_url = NULL;
  g_autofree char *orders = NULL;

  client = platform_client (f, &verifier);
  code_url = create (f, client, otn, 701, &error);
  g_assert_null (code_url);
  /* "Not sent" (CONNECT), never a refusal that a retry after an unknown outcome could read as
   * WeChat's word; the reason is in the message. */
  g_assert_error (error, WXPAY_ERROR, WXPAY_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, "RESOURCE_NOT_EXISTS"));
  g_assert_false (wxpay_error_is_outcome_unknown (error));
  orders = wxpay_sim_server_dup_orders_json (f->sim);
  g_assert_null (strstr (orders, otn));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/wxpay3/client/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("native", test_native);
  ADD ("prepared", test_prepared);
  ADD ("refunds", test_refunds);
  ADD ("tradebill", test_tradebill);
  ADD ("codepay", test_codepay);
  ADD ("faults", test_faults);
  ADD ("keys", test_keys);
  ADD ("failover", test_failover);
  ADD ("cancel", test_cancel);
  ADD ("callbacks", test_callbacks);
  ADD ("platform-certificates", test_platform_certificates);
  ADD ("platform-refresh-before-expiry", test_platform_refresh_before_expiry);
  ADD ("platform-unavailable", test_platform_unavailable);
  ADD ("platform-wrong-key-and-together", test_platform_wrong_key_and_together);
#undef ADD

  return g_test_run ();
}
