/* bench-wxpay.c: throughput of signing, verification and the XML codec on typical bodies.
 * Prints one plain line per measurement: "<name>: <ops>/s", and TABLE rows for the headline
 * figure, a unifiedorder round trip (sign + encode + decode + verify), beside the same loop in
 * Python: hashlib + ElementTree (tests/bench/peers/peer-wxpay.py), and wechatpy's method —
 * xmltodict.parse + hashlib, the way its v2 client signs, builds and reads a body — written
 * for this bench (tests/bench/peers/peer-wechatpy-method.py): wechatpy itself cannot be
 * installed here (PyPI is out of reach, Debian does not package it), so that row names the
 * stand-in, never wechatpy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wxpay/wxpay.h"

#define KEY "192006250b4c09247ec02edce69f6a2d"
#define RUN_USEC (1500 * 1000)

static WxpayParams *
unifiedorder_request (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "appid", "wxd930ea5d5a258f4f");
  wxpay_params_set (p, "mch_id", "10000100");
  wxpay_params_set (p, "device_info", "till1");
  wxpay_params_set (p, "nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
  wxpay_params_set (p, "sign_type", "MD5");
  wxpay_params_set (p, "body", "收银台-测试商品");
  wxpay_params_set (p, "attach", "");
  wxpay_params_set (p, "out_trade_no", "till120260101040000abcdefghij");
  wxpay_params_set (p, "fee_type", "CNY");
  wxpay_params_set (p, "total_fee", "1250");
  wxpay_params_set (p, "spbill_create_ip", "127.0.0.1");
  wxpay_params_set (p, "time_start", "20260101120000");
  wxpay_params_set (p, "time_expire", "20260101121000");
  wxpay_params_set (p, "notify_url", "https://example.com/wxpay/notify");
  wxpay_params_set (p, "trade_type", "NATIVE");
  wxpay_params_set (p, "product_id", "SKU001");

  return p;
}

static WxpayParams *
unifiedorder_response (void)
{
  WxpayParams *p = wxpay_params_new ();

  wxpay_params_set (p, "return_code", "SUCCESS");
  wxpay_params_set (p, "return_msg", "OK");
  wxpay_params_set (p, "appid", "wxd930ea5d5a258f4f");
  wxpay_params_set (p, "mch_id", "10000100");
  wxpay_params_set (p, "device_info", "till1");
  wxpay_params_set (p, "nonce_str", "IITRi8Iabbblz1Jc");
  wxpay_params_set (p, "result_code", "SUCCESS");
  wxpay_params_set (p, "prepay_id", "wx201410272009395522657a690389285100");
  wxpay_params_set (p, "trade_type", "NATIVE");
  wxpay_params_set (p, "code_url", "weixin://wxpay/bizpayurl?pr=WcQWsdlzz");
  wxpay_params_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);

  return p;
}

typedef void (*BenchFunc) (gpointer data);

static gint64
thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);

  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Operations per second of this thread's CPU time: the machine is shared, and wall-clock
 * rates moved by 2× between runs under load; the Python peer counts its process time alike. */
static double
run_once (BenchFunc func,
          gpointer  data,
          gint64    usec)
{
  gint64 start = thread_cpu_usec ();
  gint64 elapsed;
  guint64 ops = 0;

  do
    {
      for (guint i = 0; i < 64; i++)
        func (data);
      ops += 64;
      elapsed = thread_cpu_usec () - start;
    }
  while (elapsed < usec);

  return (double)ops * G_USEC_PER_SEC / (double)elapsed;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* The median of @runs one-second runs, in operations per second. */
static double
bench_median (BenchFunc func,
              gpointer  data,
              guint     runs)
{
  g_autofree double *rates = g_new (double, runs);

  for (guint i = 0; i < runs; i++)
    rates[i] = run_once (func, data, G_USEC_PER_SEC);
  qsort (rates, runs, sizeof *rates, compare_double);

  return rates[runs / 2];
}

/* "123,456" */
static char *
format_thousands (double value)
{
  g_autofree char *digits = g_strdup_printf ("%.0f", value);
  GString *out = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

static void
bench (const char *name,
       BenchFunc   func,
       gpointer    data)
{
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;
  guint64 ops = 0;

  do
    {
      for (guint i = 0; i < 64; i++)
        func (data);
      ops += 64;
      elapsed = g_get_monotonic_time () - start;
    }
  while (elapsed < RUN_USEC);

  g_print ("%s: %.0f ops/s (%" G_GUINT64_FORMAT " ops in %.2f s)\n", name,
           (double)ops * G_USEC_PER_SEC / (double)elapsed, ops, (double)elapsed / G_USEC_PER_SEC);
}

static void
sign_verify_md5 (gpointer data)
{
  WxpayParams *p = data;

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  if (!wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, KEY))
    g_error ("MD5 verification failed");
}

static void
sign_verify_hmac (gpointer data)
{
  WxpayParams *p = data;

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY);
  if (!wxpay_verify (p, WXPAY_SIGN_TYPE_HMAC_SHA256, KEY))
    g_error ("HMAC verification failed");
}

static void
xml_round_trip (gpointer data)
{
  WxpayParams *p = data;
  g_autofree char *xml = wxpay_xml_encode_string (p);
  g_autoptr(WxpayParams) back = wxpay_xml_decode (xml, strlen (xml), NULL);

  if (back == NULL || wxpay_params_get_size (back) != wxpay_params_get_size (p))
    g_error ("XML round trip failed");
}

static void
decode_verify_response (gpointer data)
{
  const char *xml = data;
  g_autoptr(WxpayParams) p = wxpay_xml_decode (xml, strlen (xml), NULL);

  if (p == NULL || !wxpay_verify (p, WXPAY_SIGN_TYPE_MD5, KEY))
    g_error ("response check failed");
}

/* What one side of a unifiedorder does with its request: the till signs and encodes it, the
 * gateway decodes and verifies it. */
static void
unifiedorder_round_trip (gpointer data)
{
  g_autoptr(WxpayParams) p = wxpay_params_copy (data);
  g_autofree char *xml = NULL;
  g_autoptr(WxpayParams) back = NULL;

  wxpay_params_sign (p, WXPAY_SIGN_TYPE_MD5, KEY);
  xml = wxpay_xml_encode_string (p);
  back = wxpay_xml_decode (xml, strlen (xml), NULL);
  if (back == NULL || !wxpay_verify (back, WXPAY_SIGN_TYPE_MD5, KEY))
    g_error ("unifiedorder round trip failed");
}

/* A Python loop's median rate, or 0 when it cannot run (no Debian python3, or for the
 * xmltodict loop no python3-xmltodict). */
static double
python_peer (const char *script)
{
  g_autofree char *path = g_build_filename (BUILD_SRCDIR, "tests", "bench", "peers", script,
                                            NULL);
  const char *argv[] = { "/usr/bin/python3", path, "5", NULL };
  g_autofree char *out = NULL;
  int status = 0;

  if (!g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE) ||
      !g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                     NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return 0;

  return g_ascii_strtod (out, NULL);
}

static void
bench_round_trip (void)
{
  g_autoptr(WxpayParams) req = unifiedorder_request ();
  double saoma = bench_median (unifiedorder_round_trip, req, 5);
  double peer = python_peer ("peer-wxpay.py");
  double method = python_peer ("peer-wechatpy-method.py");
  g_autofree char *saoma_text = format_thousands (saoma);

  printf ("unifiedorder round trip (sign+encode+decode+verify, MD5): %.0f ops/s per CPU second"
          " (median of 5)\n", saoma);
  if (peer > 0)
    {
      g_autofree char *peer_text = format_thousands (peer);

      printf ("Python hashlib+ElementTree loop: %.0f ops/s per CPU second (median of 5)\n", peer);
      printf ("TABLE\tunifiedorder round trip (sign+encode+decode+verify), per CPU second"
              "\t%s ops/s\tPython hashlib+ElementTree loop: %s ops/s\t%.1f×\t-\n",
              saoma_text, peer_text, saoma / peer);
    }
  else
    printf ("TABLE\tunifiedorder round trip (sign+encode+decode+verify), per CPU second"
            "\t%s ops/s\tPython hashlib+ElementTree loop: not run (no /usr/bin/python3)\t-\t-\n",
            saoma_text);
  if (method > 0)
    {
      g_autofree char *method_text = format_thousands (method);

      printf ("wechatpy's method (xmltodict.parse + hashlib) loop: %.0f ops/s per CPU second"
              " (median of 5)\n", method);
      printf ("TABLE\tunifiedorder round trip vs wechatpy's method, per CPU second\t%s ops/s\t"
              "wechatpy's method: xmltodict.parse + hashlib (wechatpy itself not installable):"
              " %s ops/s\t%.1f×\t≥ 10×\n", saoma_text, method_text, saoma / method);
    }
  else
    printf ("TABLE\tunifiedorder round trip vs wechatpy's method, per CPU second\t%s ops/s\t"
            "wechatpy's method: not run (no python3-xmltodict; wechatpy itself not installable)"
            "\t-\t≥ 10×\n", saoma_text);
}

/* The decode time of hostile bodies of the size limit (the shapes that were quadratic: many
 * fields, a comment full of "--", an unterminated CDATA section; and a valid body of
 * many character references): the median of 5 decodes of each, and the worst of those. */
static void
bench_hostile_bodies (void)
{
  static const char * const names[] = {
    "many fields", "comment of dashes", "unterminated CDATA", "character references",
  };
  double worst = 0;
  const char *worst_name = NULL;

  for (guint b = 0; b < G_N_ELEMENTS (names); b++)
    {
      g_autoptr(GString) doc = g_string_new ("<xml>");
      double times[5];

      switch (b)
        {
        case 0:
          for (guint i = 0; doc->len + 32 < WXPAY_XML_MAX_SIZE; i++)
            g_string_append_printf (doc, "<f%u/>", i);
          break;
        case 1:
          g_string_append (doc, "<!--");
          while (doc->len + 16 < WXPAY_XML_MAX_SIZE)
            g_string_append (doc, "--");
          g_string_append (doc, "-->");
          break;
        case 2:
          g_string_append (doc, "<a><![CDATA[");
          while (doc->len + 16 < WXPAY_XML_MAX_SIZE)
            g_string_append (doc, "]]");
          break;
        default:
          g_string_append (doc, "<a>");
          while (doc->len + 32 < WXPAY_XML_MAX_SIZE)
            g_string_append (doc, "&#20013;&lt;");
          g_string_append (doc, "</a>");
          break;
        }
      g_string_append (doc, "</xml>");

      for (guint r = 0; r < G_N_ELEMENTS (times); r++)
        {
          gint64 start = g_get_monotonic_time ();
          g_autoptr(WxpayParams) p = wxpay_xml_decode (doc->str, doc->len, NULL);

          times[r] = (g_get_monotonic_time () - start) / 1000.0;
        }
      qsort (times, G_N_ELEMENTS (times), sizeof times[0], compare_double);
      printf ("hostile 1 MiB body (%s): %.1f ms (median of 5)\n", names[b], times[2]);
      if (times[2] > worst)
        {
          worst = times[2];
          worst_name = names[b];
        }
    }

  printf ("TABLE\tdecode of the worst 1 MiB hostile XML body (%s)\t%.1f ms\t-\t-\t< 50 ms\n",
          worst_name, worst);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(WxpayParams) req_md5 = unifiedorder_request ();
  g_autoptr(WxpayParams) req_hmac = unifiedorder_request ();
  g_autoptr(WxpayParams) resp = unifiedorder_response ();
  g_autoptr(WxpayParams) signed_req = unifiedorder_request ();
  g_autofree char *resp_xml = wxpay_xml_encode_string (resp);

  wxpay_params_sign (signed_req, WXPAY_SIGN_TYPE_MD5, KEY);

  g_print ("bench-wxpay: unifiedorder request %u fields, response %u fields (%zu bytes XML)\n",
           wxpay_params_get_size (signed_req), wxpay_params_get_size (resp), strlen (resp_xml));
  bench ("sign+verify MD5 (unifiedorder request)", sign_verify_md5, req_md5);
  bench ("sign+verify HMAC-SHA256 (unifiedorder request)", sign_verify_hmac, req_hmac);
  bench ("XML encode+decode (unifiedorder request)", xml_round_trip, signed_req);
  bench ("XML encode+decode (unifiedorder response)", xml_round_trip, resp);
  bench ("XML decode+verify MD5 (unifiedorder response)", decode_verify_response, resp_xml);
  bench_round_trip ();
  bench_hostile_bodies ();

  return 0;
}
