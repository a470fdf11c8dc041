/* saoma-wxpay3-gateway.h: SaomaGateway over WeChat Pay API v3 (Wxpay3Client). */
#pragma once

#include "saoma-gateway.h"
#include "wxpay/wxpay3-client.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_WXPAY3_GATEWAY (saoma_wxpay3_gateway_get_type ())
G_DECLARE_FINAL_TYPE (SaomaWxpay3Gateway, saoma_wxpay3_gateway, SAOMA, WXPAY3_GATEWAY, GObject)

SaomaWxpay3Gateway *saoma_wxpay3_gateway_new (Wxpay3Client *client);
SaomaWxpay3Gateway *saoma_wxpay3_gateway_new_full (Wxpay3Client   *client,
                                                   Wxpay3Verifier *verifier,
                                                   const char     *apiv3_key,
                                                   gsize           apiv3_key_len);
Wxpay3Client       *saoma_wxpay3_gateway_get_client (SaomaWxpay3Gateway *self);

G_END_DECLS
