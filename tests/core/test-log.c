/* test-log.c: saoma_log_escape(), and the gateway errors built with it. */
#include "config.h"

#include <string.h>

#include "core/saoma-log.h"
#include "core/saoma-wxpay2-gateway.h"
#include "wxpay/wxpay.h"
#include "test-util.h"

static void
assert_escape (const char *in,
               const char *expected)
{
  g_autofree char *out = saoma_log_escape (in);

  g_assert_cmpstr (out, ==, expected);
}

static void
test_escape (void)
{
  g_autofree char *long_in = g_strnfill (SAOMA_LOG_ESCAPE_MAX + 100, 'a');
  g_autofree char *long_out = saoma_log_escape (long_in);

  assert_escape (NULL, "(null)");
  assert_escape ("", "");
  assert_escape ("T01 OK 38.50", "T01 OK 38.50");
  /* Kept: Chinese, full-width punctuation, a backslash. */
  assert_escape ("签名错误：金额不符 a\\b", "签名错误：金额不符 a\\b");
  /* A forged log line, a carriage return, a terminal escape, NUL-free C0 and DEL. */
  assert_escape ("bad\nsaoma-checkout-Message: PAID", "bad\\nsaoma-checkout-Message: PAID");
  assert_escape ("x\r\ty", "x\\r\\ty");
  assert_escape ("\x1b[2Kgone\x7f\x01", "\\x1b[2Kgone\\x7f\\x01");
  /* C1 (NEL), the line separator, a right-to-left override. */
  assert_escape ("a\xc2\x85"
                 "b",
                 "a\\u{0085}b");
  assert_escape ("a\xe2\x80\xa8"
                 "b",
                 "a\\u{2028}b");
  assert_escape ("txt\xe2\x80\xae"
                 "gpj.exe",
                 "txt\\u{202e}gpj.exe");
  /* Not UTF-8: byte by byte (an overlong '1', a lone continuation byte). */
  assert_escape ("\xc0\xb1|\x80", "\\xc0\\xb1|\\x80");
  /* Escaped text is left as it is. */
  assert_escape ("bad\\nsaoma", "bad\\nsaoma");

  /* Bounded. */
  g_assert_true (g_str_has_suffix (long_out, "…"));
  g_assert_cmpuint (strlen (long_out), ==, SAOMA_LOG_ESCAPE_MAX + strlen ("…"));
}

/* An unauthenticated return_msg, carried by libwxpay's error into a gateway error: one line. */
static void
test_gateway_error (void)
{
  g_autoptr(GError) wxpay = g_error_new_literal (WXPAY_ERROR, WXPAY_ERROR_RETURN_FAIL,
                                                  "return_code FAIL: x\n"
                                                  "saoma-checkout-Message: T01 PAID");
  g_autoptr(GError) mapped = saoma_wxpay2_gateway_map_error (wxpay);

  g_assert_true (mapped->domain == SAOMA_GATEWAY_ERROR);
  g_assert_null (strchr (mapped->message, '\n'));
  g_assert_nonnull (strstr (mapped->message, "x\\nsaoma-checkout-Message: T01 PAID"));
}

int
main (int   argc,
      char *argv[])
{
  saoma_test_init (&argc, &argv);

  g_test_add_func ("/log/escape", test_escape);
  g_test_add_func ("/log/gateway-error", test_gateway_error);

  return g_test_run ();
}
