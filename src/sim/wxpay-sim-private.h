/* wxpay-sim-private.h: helpers shared by the files of wxpay-sim (not for other modules). */
#pragma once

#include <gio/gio.h>

#include "wxpay/wxpay.h"

G_BEGIN_DECLS

/* --- JSON (wxpay-sim-json.c) -------------------------------------------------------------
 * The control API speaks JSON but the sim must build on a bare Debian 12 with the project's
 * package list, which has no json-glib: a tiny strict parser into GVariant is enough for the
 * fault selections, and answers are written with GString. */

/* Objects become a{sv}, arrays av, numbers d, strings s, true/false b, null mv. */
GVariant *wxpay_sim_json_parse         (const char *text,
                                        gssize      length,
                                        GError    **error);
void      wxpay_sim_json_append_string (GString    *out,
                                        const char *value);

/* --- Faults (wxpay-sim-faults.c) ---------------------------------------------------------- */

typedef struct {
  char   *path;                 /* NULL: every gateway path */
  guint   latency_ms;
  double  drop_before;
  double  drop_after;
  double  http_500;
  double  http_502;
  double  systemerror;
  double  bad_sign;
  double  dup_notify;
  double  wrong_amount_notify;
} WxpaySimFault;

/* What the rolls decided for one gateway request. */
typedef struct {
  guint    latency_ms;
  gboolean drop_before;
  guint    http_status;           /* 0, 500 or 502 */
  gboolean systemerror;
  gboolean drop_after;
  gboolean bad_sign;
} WxpaySimFaultDecision;

void       wxpay_sim_fault_free     (WxpaySimFault *fault);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WxpaySimFault, wxpay_sim_fault_free)
/* A JSON object or a list of them; NULL or "" clears (an empty array). */
GPtrArray *wxpay_sim_faults_parse   (const char *json,
                                     GError    **error);
char      *wxpay_sim_faults_to_json (GPtrArray *faults);
void       wxpay_sim_faults_decide  (GPtrArray             *faults,
                                     GRand                 *rand,
                                     const char            *path,
                                     WxpaySimFaultDecision *out);
/* Rolls the notification faults (they apply whatever "path" says). */
void       wxpay_sim_faults_decide_notify (GPtrArray *faults,
                                           GRand     *rand,
                                           gboolean  *out_duplicate,
                                           gboolean  *out_wrong_amount);

/* --- Bills (wxpay-sim-bill.c) ------------------------------------------------------------- */

typedef enum {
  WXPAY_SIM_BILL_PAYMENT,      /* a payment (交易状态 SUCCESS, or REVOKED when reversed) */
  WXPAY_SIM_BILL_REFUND,       /* a refund request (交易状态 REFUND) */
} WxpaySimBillKind;

typedef struct {
  WxpaySimBillKind kind;
  gint64      time;            /* µs UTC: payment time, or the refund request time */
  const char *appid;
  const char *mch_id;
  const char *device_info;
  const char *transaction_id;
  const char *out_trade_no;
  const char *openid;
  const char *trade_type;
  const char *trade_state;     /* SUCCESS / REFUND / REVOKED */
  gint64      total_fee;       /* fen */
  gint64      pay_time;        /* µs UTC: the payment time (refund rows too) */
  gint64      refund_success_time; /* µs UTC, 0 when not yet */
  const char *refund_id;
  const char *out_refund_no;
  gint64      refund_fee;      /* fen */
  const char *refund_status;   /* SUCCESS / PROCESSING */
  const char *body;
  const char *attach;
} WxpaySimBillRecord;

/* @bill_type "ALL", "SUCCESS" or "REFUND"; @records (WxpaySimBillRecord *) already filtered to
 * the bill day and sorted. The text of §11: header, backtick-prefixed rows, summary. */
GBytes *wxpay_sim_bill_format (const char *bill_type,
                               GPtrArray  *records);
GBytes *wxpay_sim_gzip        (GBytes     *data);

/* "yyyy-MM-dd HH:mm:ss" in Beijing time for @time_us (µs UTC). */
char   *wxpay_sim_format_beijing (gint64 time_us);
/* fen as yuan with two decimals ("0.01", "-3.20"), integer arithmetic only. */
char   *wxpay_sim_format_yuan    (gint64 fen);

G_END_DECLS
