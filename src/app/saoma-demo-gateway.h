/* saoma-demo-gateway.h: the wxpay-sim process behind the demo mode. */
#pragma once

#include <gio/gio.h>

#include "core/saoma-merchant.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_DEMO_GATEWAY (saoma_demo_gateway_get_type ())
G_DECLARE_FINAL_TYPE (SaomaDemoGateway, saoma_demo_gateway, SAOMA, DEMO_GATEWAY, GObject)

/*
 * Runs `wxpay-sim --bind 127.0.0.1 --port 0` as a child process (SAOMA_WXPAY_SIM when set, as
 * build-aux/dev and the tests do for the build tree; else the installed one in bindir, else the
 * first in PATH), reads the base URL
 * from the first line of its stdout, and stops it in saoma_demo_gateway_stop() (SIGTERM, then
 * waits for it to exit) or when this process dies. The simulator runs with
 * --credentials-dir ~/.local/share/saoma/demo-merchant: a demo merchant of its own (random API
 * key, throwaway client certificate, files 0600), which the getters below read once it runs,
 * and --v3-dir ~/.local/share/saoma/demo-merchant/v3: the same merchant's API v3 keys.
 *
 * Property "base-uri" (string, NULL until started and again once stopped: a port the
 * simulator gave up may be reused by anyone).
 */
SaomaDemoGateway *saoma_demo_gateway_new          (const char *state_file);
const char       *saoma_demo_gateway_get_base_uri (SaomaDemoGateway *self);
/* The path of the simulator executable that would be started, or NULL. Owned. */
char             *saoma_demo_gateway_find_program (void);
void              saoma_demo_gateway_start_async  (SaomaDemoGateway   *self,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
gboolean          saoma_demo_gateway_start_finish (SaomaDemoGateway *self,
                                                   GAsyncResult     *result,
                                                   GError          **error);
void              saoma_demo_gateway_stop         (SaomaDemoGateway *self);
/* POST {base}/sim/orders/{out_trade_no}/pay: the customer pays. */
void              saoma_demo_gateway_pay_async    (SaomaDemoGateway   *self,
                                                   const char         *out_trade_no,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
gboolean          saoma_demo_gateway_pay_finish   (SaomaDemoGateway *self,
                                                   GAsyncResult     *result,
                                                   GError          **error);
const char       *saoma_demo_gateway_get_appid    (SaomaDemoGateway *self);
const char       *saoma_demo_gateway_get_mch_id   (SaomaDemoGateway *self);
const char       *saoma_demo_gateway_get_api_key  (SaomaDemoGateway *self);
const char       *saoma_demo_gateway_get_certificate_path (SaomaDemoGateway *self);
/* The demo merchant for the gateway factory, in @protocol ("v2": its certificate loaded;
 * "v3": its key files); NULL unless it runs. */
SaomaMerchant    *saoma_demo_gateway_dup_merchant (SaomaDemoGateway *self,
                                                   const char       *protocol);
const char       *saoma_demo_gateway_get_v3_dir   (SaomaDemoGateway *self);
/* {base}/sim/pay/{token} for a weixin://wxpay/bizpayurl?pr={token} code_url. Owned. */
char             *saoma_demo_gateway_dup_pay_page_uri (SaomaDemoGateway *self,
                                                       const char       *code_url);

G_END_DECLS
