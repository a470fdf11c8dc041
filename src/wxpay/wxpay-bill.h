/* wxpay-bill.h: the downloadbill text format (reference §11). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char   *trade_time;       /* "yyyy-MM-dd HH:mm:ss", Beijing time */
  char   *appid;
  char   *mch_id;
  char   *device_info;
  char   *transaction_id;
  char   *out_trade_no;
  char   *trade_type;
  char   *trade_state;      /* SUCCESS / REFUND / REVOKED */
  gint64  settlement_fee;   /* 应结订单金额 (or 总金额), fen */
  gint64  total_fee;        /* 订单金额, fen (falls back to settlement_fee) */
  char   *refund_id;
  char   *out_refund_no;
  gint64  refund_fee;       /* 退款金额, fen */
  char   *refund_status;
  char   *body;
  char   *attach;
} WxpayBillRow;

typedef struct {
  GPtrArray *columns;       /* header names (char *) */
  GPtrArray *rows;          /* WxpayBillRow * */
  gint64     summary_count; /* 总交易单数 */
  gint64     summary_settlement_total; /* 应结订单总金额 / 总交易额, fen */
  gint64     summary_refund_total;     /* 退款总金额, fen */
  gint64     summary_order_total;      /* 订单总金额, fen (-1 when absent) */
} WxpayBill;

/* Yuan text ("0.01", "12.5", "3") to fen without floating point. */
gboolean   wxpay_bill_yuan_to_fen (const char *text,
                                   gint64     *out_fen);
/* Parses the text of a bill (gunzip first if it starts with the gzip magic). Checks the summary
 * line against the rows (count and sums) and fails with WXPAY_ERROR_MALFORMED_RESPONSE when
 * they disagree. */
WxpayBill *wxpay_bill_parse       (GBytes  *data,
                                   GError **error);
void       wxpay_bill_free        (WxpayBill *bill);
/* The text format, for wxpay-sim: header, rows, summary header, summary line. */
/* Writes the current ("免充值券") format for @bill_type "ALL", "SUCCESS" or "REFUND": header,
 * one backtick-prefixed line per row (WxpayBillRow *), summary header, summary line; amounts
 * in yuan with two decimals; lines end in "\r\n". Columns not in WxpayBillRow get neutral
 * values (特约商户号 0, 货币种类 CNY, 手续费 0.00000 …). */
char         *wxpay_bill_format     (const char *bill_type,
                                     GPtrArray  *rows);
/* "0.01" for 1, "-12.50" for -1250. */
char         *wxpay_bill_fen_to_yuan (gint64 fen);
/* gzip of @text (tar_type=GZIP answers of wxpay-sim). */
GBytes       *wxpay_bill_gzip       (GBytes *text);
WxpayBillRow *wxpay_bill_row_new    (void);
WxpayBillRow *wxpay_bill_row_copy   (const WxpayBillRow *row);
void          wxpay_bill_row_free   (WxpayBillRow *row);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WxpayBillRow, wxpay_bill_row_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WxpayBill, wxpay_bill_free)

G_END_DECLS
