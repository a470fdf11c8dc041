/* test-messages.c: every engine error has words for the cashier and its detail one click away. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "core/saoma-checkout.h"
#include "core/saoma-money.h"
#include "core/saoma-wxpay2-gateway.h"
#include "wxpay/wxpay.h"
#include "saoma-messages.h"

static void
test_every_wxpay_error (void)
{
  for (int code = WXPAY_ERROR_INVALID_ARGUMENT; code <= WXPAY_ERROR_DECRYPT; code++)
    {
      g_autoptr(GError) wxpay_error = g_error_new (WXPAY_ERROR, code, "technical %d", code);
      /* The app sees what the v2 gateway makes of each protocol error. */
      g_autoptr(GError) error = saoma_wxpay2_gateway_map_error (wxpay_error);
      g_autofree char *words = saoma_messages_describe_error (error);
      g_autofree char *detail = saoma_messages_dup_error_detail (error);

      g_assert_nonnull (words);
      g_assert_cmpuint (strlen (words), >, 10);
      /* The cashier's words never carry the technical message… */
      g_assert_null (strstr (words, "technical"));
      /* …the detail does, with the symbolic code. */
      g_assert_nonnull (strstr (detail, "technical"));
      g_assert_nonnull (strstr (detail, wxpay_error_code_to_string (code)));
    }
}

static void
test_unknown_outcome_never_says_failed (void)
{
  for (int code = WXPAY_ERROR_INVALID_ARGUMENT; code <= WXPAY_ERROR_DECRYPT; code++)
    {
      g_autoptr(GError) wxpay_error = g_error_new (WXPAY_ERROR, code, "x");
      g_autoptr(GError) error = saoma_wxpay2_gateway_map_error (wxpay_error);
      g_autofree char *words = NULL;

      if (!wxpay_error_is_outcome_unknown (wxpay_error))
        continue;

      /* Maybe paid: the cashier must be told not to charge again, never that it failed. */
      words = saoma_messages_describe_error (error);
      g_assert_null (strstr (words, "failed"));
      g_assert_null (strstr (words, "no money was taken"));
    }
}

static void
test_money_errors_pass_through (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *words = NULL;
  gint64 fen;

  g_assert_false (saoma_money_parse ("12.345", SAOMA_MONEY_DEFAULT_MAX_FEN, &fen, &error));
  words = saoma_messages_describe_error (error);
  g_assert_cmpstr (words, ==, error->message);
}

static void
test_checkout_errors (void)
{
  for (int code = SAOMA_CHECKOUT_ERROR_BUSY; code <= SAOMA_CHECKOUT_ERROR_CANCELLED; code++)
    {
      g_autoptr(GError) error = g_error_new (SAOMA_CHECKOUT_ERROR, code, "technical");
      g_autofree char *words = saoma_messages_describe_error (error);

      g_assert_null (strstr (words, "technical"));
      g_assert_cmpuint (strlen (words), >, 10);
    }
}

/* A refused payment code (issue 13) tells the cashier what to ask the customer for, never the
 * generic "could not complete"; the refusals before any order are worded on their own. */
static void
test_payment_code_refusals (void)
{
  static const SaomaGatewayError gateway_codes[] = {
    SAOMA_GATEWAY_ERROR_NOT_ENOUGH, SAOMA_GATEWAY_ERROR_AUTH_CODE_EXPIRED,
    SAOMA_GATEWAY_ERROR_AUTH_CODE_INVALID, SAOMA_GATEWAY_ERROR_TRADE_ERROR,
    SAOMA_GATEWAY_ERROR_CARD_NOT_SUPPORTED, SAOMA_GATEWAY_ERROR_BUYER_MISMATCH,
  };
  static const SaomaCheckoutError checkout_codes[] = {
    SAOMA_CHECKOUT_ERROR_NOT_PAYMENT_CODE, SAOMA_CHECKOUT_ERROR_ALIPAY_CODE,
    SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE,
  };
  g_autoptr(GError) generic_error = g_error_new (SAOMA_GATEWAY_ERROR,
                                                 SAOMA_GATEWAY_ERROR_REJECTED, "x");
  g_autofree char *generic = saoma_messages_describe_error (generic_error);

  for (guint i = 0; i < G_N_ELEMENTS (gateway_codes); i++)
    {
      g_autoptr(GError) error = g_error_new (SAOMA_GATEWAY_ERROR, gateway_codes[i], "x");
      g_autofree char *words = saoma_messages_describe_error (error);

      g_assert_cmpstr (words, !=, generic);
      g_assert_nonnull (strstr (words, "Ask "));
    }

  for (guint i = 0; i < G_N_ELEMENTS (checkout_codes); i++)
    {
      g_autoptr(GError) error = g_error_new (SAOMA_CHECKOUT_ERROR, checkout_codes[i], "x");
      g_autofree char *words = saoma_messages_describe_error (error);

      g_assert_cmpstr (words, !=, generic);
      g_assert_cmpuint (strlen (words), >, 10);
    }

  {
    g_autoptr(GError) error = g_error_new (SAOMA_CHECKOUT_ERROR,
                                           SAOMA_CHECKOUT_ERROR_NO_CERTIFICATE, "x");
    g_autofree char *words = saoma_messages_describe_error (error);

    g_assert_nonnull (strstr (words, "certificate"));
  }
}

static void
test_state_labels (void)
{
  for (int s = SAOMA_ATTEMPT_CREATED; s <= SAOMA_ATTEMPT_STATE_LAST; s++)
    {
      const char *style = saoma_messages_state_style (s);

      g_assert_cmpstr (saoma_messages_state_label (s), !=, "?");
      g_assert_true (g_str_equal (style, "success") || g_str_equal (style, "accent") ||
                     g_str_equal (style, "warning") || g_str_equal (style, "error") ||
                     g_str_equal (style, "dim"));
    }
  g_assert_cmpstr (saoma_messages_state_style (SAOMA_ATTEMPT_PAID), ==, "success");
  /* Checking is not a failure. */
  g_assert_cmpstr (saoma_messages_state_style (SAOMA_ATTEMPT_UNKNOWN), ==, "accent");
}

static void
test_zh_cn (void)
{
  g_autofree char *localedir = g_build_filename (g_getenv ("SAOMA_BUILD_DIR"), "po", NULL);
  g_autoptr(GError) wxpay_error = g_error_new (WXPAY_ERROR, WXPAY_ERROR_NOTENOUGH, "x");
  g_autoptr(GError) error = saoma_wxpay2_gateway_map_error (wxpay_error);
  g_autofree char *words = NULL;

  if (g_getenv ("SAOMA_BUILD_DIR") == NULL)
    {
      g_test_skip ("SAOMA_BUILD_DIR is not set");
      return;
    }

  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_assert_cmpstr (saoma_messages_state_label (SAOMA_ATTEMPT_PAID), ==, "已收款");
  g_assert_cmpstr (saoma_messages_state_label (SAOMA_ATTEMPT_WAITING), ==, "待扫码");
  words = saoma_messages_describe_error (error);
  g_assert_nonnull (strstr (words, "余额不足"));
  g_unsetenv ("LANGUAGE");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "en", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/messages/every-wxpay-error", test_every_wxpay_error);
  g_test_add_func ("/messages/unknown-outcome-never-says-failed",
                   test_unknown_outcome_never_says_failed);
  g_test_add_func ("/messages/money-errors-pass-through", test_money_errors_pass_through);
  g_test_add_func ("/messages/checkout-errors", test_checkout_errors);
  g_test_add_func ("/messages/payment-code-refusals", test_payment_code_refusals);
  g_test_add_func ("/messages/state-labels", test_state_labels);
  g_test_add_func ("/messages/zh-cn", test_zh_cn);

  return g_test_run ();
}
