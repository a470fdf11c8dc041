/* saoma-wxpay2-gateway.h: the WeChat Pay API v2 gateway (XML, MD5/HMAC-SHA256 signatures). */
#pragma once

#include "saoma-gateway.h"
#include "wxpay/wxpay-client.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_WXPAY2_GATEWAY (saoma_wxpay2_gateway_get_type ())
G_DECLARE_FINAL_TYPE (SaomaWxpay2Gateway, saoma_wxpay2_gateway, SAOMA, WXPAY2_GATEWAY, GObject)

/*
 * Wraps a WxpayClient: the only place in core that knows v2 paths and field names. Every
 * WXPAY_ERROR becomes the SAOMA_GATEWAY_ERROR of the same known/unknown class (see
 * saoma_wxpay2_gateway_map_error()); the message starts with v2's code ("ORDERNOTEXIST: …").
 * The Native request token is the GVariant text of the unifiedorder business fields, in the
 * format ledgers have stored since requests were first kept, so old attempts still resume.
 *
 * Property: "client" (WxpayClient, construct-only).
 */
SaomaWxpay2Gateway *saoma_wxpay2_gateway_new        (WxpayClient *client);
WxpayClient        *saoma_wxpay2_gateway_get_client (SaomaWxpay2Gateway *self);
/* A gateway with its own client for @base_uri and the merchant's credentials (@api_key is
 * handed to the client and never kept here); @timeout_s 0 keeps the client's default. For
 * callers that should not know libwxpay (the headless commands). */
SaomaGateway       *saoma_wxpay2_gateway_new_for_merchant (const char *base_uri,
                                                           const char *appid,
                                                           const char *mch_id,
                                                           const char *api_key,
                                                           guint       timeout_s);
/* Loads the merchant client certificate (PKCS#12 with @password, a PEM with its key, or
 * WeChat's apiclient_cert.pem beside apiclient_key.pem) into the gateway's client: refunds
 * and reverse need it. */
gboolean            saoma_wxpay2_gateway_load_certificate (SaomaGateway *gateway,
                                                           const char   *path,
                                                           const char   *password,
                                                           GError      **error);
/* @error in SAOMA_GATEWAY_ERROR (a copy when it is not a WXPAY_ERROR). */
GError             *saoma_wxpay2_gateway_map_error  (const GError *error);
/* The text of a downloadbill answer as a typed bill (_BILL_INVALID when it does not add up). */
SaomaBill          *saoma_wxpay2_gateway_parse_bill (GBytes  *data,
                                                     GError **error);

void                saoma_wxpay2_gateway_set_certificate  (SaomaGateway    *gateway,
                                                           GTlsCertificate *certificate);

G_END_DECLS
