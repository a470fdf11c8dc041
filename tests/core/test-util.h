/* test-util.h: set-up shared by the core tests (linked into each of them). */
#pragma once

#include <gio/gio.h>

#include "core/saoma-gateway.h"
#include "ledger/saoma-ledger.h"
#include "wxpay/wxpay.h"
#include "wxpay-sim-server.h"

G_BEGIN_DECLS

/* Removes @path and the files directly in it (test directories are flat). */
void             saoma_test_rm_rf             (const char *path);

/* A throwaway merchant client certificate (certtool, ECDSA, CN = the sim's mch_id): a new
 * directory holding cert.pem and key.pem. */
char            *saoma_test_make_certificate  (const char *name);
GTlsCertificate *saoma_test_load_certificate  (const char *dir);

/* wxpay_client_call_async() run to completion on the thread-default main context. */
WxpayParams     *saoma_test_call_sync         (WxpayClient       *client,
                                               const char        *path,
                                               const WxpayParams *request,
                                               GError           **error);

/* An order created and paid at @sim through @client; returns the orderquery answer (SUCCESS). */
WxpayParams     *saoma_test_sim_pay           (WxpaySimServer *sim,
                                               WxpayClient    *client,
                                               const char     *out_trade_no,
                                               gint64          amount,
                                               const char     *body);

/* An order created and paid at @sim through @client, and the same order PAID in @ledger (what
 * the checkout engine would have written). Returns its out_trade_no. */
char            *saoma_test_paid_order        (WxpaySimServer *sim,
                                               WxpayClient    *client,
                                               SaomaLedger    *ledger,
                                               gint64          amount);

/* API v3 on @sim, its keys made in @dir (flat, for saoma_test_rm_rf()), and the
 * SaomaWxpay3Gateway a merchant would build from those files (callbacks verified and opened).
 * @out_client (nullable) receives a reference to its client. */
SaomaGateway    *saoma_test_v3_gateway        (WxpaySimServer *sim,
                                               const char     *dir,
                                               Wxpay3Client  **out_client);

/* An order created through @gateway (either protocol), paid at @sim, queried through @gateway
 * and recorded PAID in @ledger. Returns its out_trade_no; @out_transaction_id and
 * @out_paid_at (nullable) receive what the query said. */
char            *saoma_test_gateway_paid_order (WxpaySimServer *sim,
                                                SaomaGateway   *gateway,
                                                SaomaLedger    *ledger,
                                                const char     *out_trade_no,
                                                gint64          amount,
                                                char          **out_transaction_id,
                                                gint64         *out_paid_at);

/* Points libsecret at its file backend in a new directory (hermetic: never the developer's
 * keyring; call before any libsecret use). Returns the directory, for saoma_test_rm_rf(). */
char            *saoma_test_use_file_keyring  (void);
/* Deletes the manager PIN's keyring item (as someone with the session could). */
void             saoma_test_clear_pin         (void);

/* g_test_init(), with GIO's debug chatter kept out of the TAP log unless G_MESSAGES_DEBUG. */
void             saoma_test_init              (int           *argc,
                                               char        ***argv);

/* A GAsyncReadyCallback storing a reference to the result in *(GAsyncResult **) @user_data. */
void             saoma_test_result_cb         (GObject      *source,
                                               GAsyncResult *result,
                                               gpointer      user_data);

gboolean         saoma_test_guard_cb          (gpointer data);

/* Spins the default main context until @cond holds; fails the test after @seconds. */
#define SAOMA_TEST_WAIT_UNTIL(cond, seconds)                                   \
  G_STMT_START {                                                               \
    gboolean timed_out_ = FALSE;                                               \
    guint guard_ = g_timeout_add_seconds ((seconds), saoma_test_guard_cb,      \
                                          &timed_out_);                        \
    while (!(cond))                                                            \
      {                                                                        \
        g_main_context_iteration (NULL, TRUE);                                 \
        g_assert_false (timed_out_);                                           \
      }                                                                        \
    g_source_remove (guard_);                                                  \
  } G_STMT_END

G_END_DECLS
