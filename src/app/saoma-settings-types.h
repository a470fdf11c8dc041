/* saoma-settings-types.h: the enums behind the GSettings enum keys of io.github.saoma.Cashier.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Values and nicks equal the schema's <enum> types (test-settings-enums checks it), so
 * g_settings_get_enum() returns these and their GTypes name the nicks.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* io.github.saoma.Cashier.GatewayMode, key "gateway-mode". */
typedef enum {
  SAOMA_GATEWAY_MODE_DEMO,       /* the built-in simulator */
  SAOMA_GATEWAY_MODE_PRODUCTION, /* WeChat Pay, once a merchant is configured */
  SAOMA_GATEWAY_MODE_CUSTOM,     /* custom-gateway-url */
} SaomaGatewayMode;

/* io.github.saoma.Cashier.ApiVersion, keys "api-version" and "demo-api-version". */
typedef enum {
  SAOMA_API_VERSION_V2, /* the API key, XML, MD5 or HMAC-SHA256 */
  SAOMA_API_VERSION_V3, /* RSA keys, JSON */
} SaomaApiVersion;

/* io.github.saoma.Cashier.Wxpay3Verification, key "wechatpay-verification". */
typedef enum {
  SAOMA_WXPAY3_VERIFICATION_PUBLIC_KEY,            /* pub_key.pem and PUB_KEY_ID_… */
  SAOMA_WXPAY3_VERIFICATION_PLATFORM_CERTIFICATES, /* downloaded from /v3/certificates */
} SaomaWxpay3Verification;

/* io.github.saoma.Cashier.SingleMonitor, key "customer-display-single-monitor": the customer
 * display when no second monitor is connected. */
typedef enum {
  SAOMA_SINGLE_MONITOR_WINDOW, /* a normal window the cashier can move aside */
  SAOMA_SINGLE_MONITOR_HIDDEN, /* hidden: the cashier window shows the QR itself */
} SaomaSingleMonitor;

G_END_DECLS

#include "saoma-app-enums.h"
