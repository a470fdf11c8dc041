/* saoma-export.h: one local day of attempts as CSV, for the manager and for reconciliation. */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"

G_BEGIN_DECLS

/*
 * The CSV format (stable; scripts rely on it):
 *  - RFC 4180: fields separated by ",", records ended by CRLF; a field containing a comma, a
 *    double quote, CR or LF is enclosed in double quotes, with inner quotes doubled.
 *  - Against formula injection (OWASP): a field starting with "=", "+", "-", "@", tab or CR
 *    gets a leading apostrophe ("'=HYPERLINK(…)"), but a plain negative amount ("-12.50");
 *    so does a field of more than 15 digits only (transaction and refund ids), so that
 *    spreadsheets keep it as text instead of 4.2E+27. Scripts strip one leading "'".
 *  - UTF-8 with a byte order mark (EF BB BF), so spreadsheet programs show Chinese text.
 *  - One header row, then one row per attempt created in the day, oldest first
 *    (created, then id), whatever its state. The columns, in this order:
 *      local_time      creation time in the export's time zone, "yyyy-MM-dd HH:mm:ss"
 *      till            the till id ("" when none)
 *      out_trade_no    the merchant order number
 *      transaction_id  WeChat's transaction id ("" until paid)
 *      amount          yuan with exactly two decimals, e.g. "38.50" (computed from fen with
 *                      integer arithmetic)
 *      refunded        refunded yuan, two decimals ("0.00" when none)
 *      state           the ledger state name: CREATED, SUBMITTED, WAITING, UNKNOWN, CLOSING,
 *                      PAID, CLOSED, FAILED, PARTIALLY_REFUNDED, REFUNDED
 *      description     the order description ("" when none)
 *  - The day is [local midnight, next local midnight) in the given time zone, so it is 23 or
 *    25 hours long across a DST change.
 */
#define SAOMA_EXPORT_CSV_HEADER \
  "local_time,till,out_trade_no,transaction_id,amount,refunded,state,description"

/* The field quoting and record ending above, for the other CSV files of the till (day close,
 * reconciliation). */
void     saoma_export_append_csv_field  (GString    *buf,
                                         const char *value);
void     saoma_export_append_csv_record (GString    *buf,
                                         const char *first,
                                         ...) G_GNUC_NULL_TERMINATED;

/* Exports hold what the shop sold, to whom and when: every file the till writes for the
 * manager (CSV, reports) is created readable by its owner only (0600), also when @file
 * existed with wider permissions. saoma_export_create_file() opens @file for writing (replaced
 * on close); saoma_export_write_file() writes @contents (length @length, or -1 for a string)
 * atomically. */
GFileOutputStream *saoma_export_create_file (GFile         *file,
                                             GCancellable  *cancellable,
                                             GError       **error);
gboolean           saoma_export_write_file  (const char    *path,
                                             const char    *contents,
                                             gssize         length,
                                             GError       **error);

/* Strict "YYYY-MM-DD" (e.g. for --export-day); FALSE with a G_IO_ERROR_INVALID_ARGUMENT
 * naming the problem otherwise. */
gboolean saoma_export_parse_date   (const char    *text,
                                    GDate         *out_date,
                                    GError       **error);
/* [*@out_start_us, *@out_end_us): the µs UTC range of @date's local day in @tz (NULL: the
 * local time zone). */
void     saoma_export_day_range    (const GDate   *date,
                                    GTimeZone     *tz,
                                    gint64        *out_start_us,
                                    gint64        *out_end_us);

/* Writes the day's CSV to @out, streaming (rows are read and written in chunks, never all
 * held in memory). Does not close @out. Blocking: call it from a worker thread or a headless
 * command. @out_rows (nullable) receives the number of attempt rows written. */
gboolean saoma_export_day_to_stream (SaomaLedger   *ledger,
                                     const GDate   *date,
                                     GTimeZone     *tz,
                                     GOutputStream *out,
                                     guint         *out_rows,
                                     GCancellable  *cancellable,
                                     GError       **error);
/* The same, read from one snapshot of a store (blocking: worker threads only). */
gboolean saoma_export_day_from_snapshot (SaomaStoreSnapshot  *snapshot,
                                         const GDate         *date,
                                         GTimeZone           *tz,
                                         GOutputStream       *out,
                                         guint               *out_rows,
                                         GCancellable        *cancellable,
                                         GError             **error);
/* The same from a snapshot of @store, written in a worker thread; @out must not be used
 * until the callback runs. */
void     saoma_export_day_async     (SaomaStore          *store,
                                     const GDate         *date,
                                     GTimeZone           *tz,
                                     GOutputStream       *out,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* Returns the number of attempt rows written, or -1 with @error set. */
gint64   saoma_export_day_finish    (SaomaStore    *store,
                                     GAsyncResult  *result,
                                     GError       **error);

/*
 * The accountants' CSV (issue 12.17): one flat table, one row per attempt created in the day
 * and one per refund requested in it, all with the same columns, oldest first:
 *      type            "order" or "refund"
 *      time            creation time in the export's time zone, "yyyy-MM-dd HH:mm:ss"
 *      till            the till id
 *      out_trade_no    the merchant order number (of the refunded order for a refund)
 *      out_refund_no   the refund number ("" for an order)
 *      wechat_id       WeChat's transaction or refund id (as text, see above)
 *      amount          yuan with two decimals; a refund is negative, so that a SUM of the
 *                      SUCCESS and PAID… rows is the money kept
 *      state           the ledger state name (PAID…, or the refund's SUCCESS…)
 *      note            the description of an order, the reason of a refund
 *      method          how the order was paid, NATIVE (the till's QR code, 扫码) or MICROPAY
 *                      (the customer's payment code, 付款码); a refund has its order's
 *                      (issue 13: exports know the method; the app and saoma-cli write the
 *                      same table)
 * The words of the header row, of "order"/"refund", of the states and of the methods go
 * through @word (the
 * caller's language: core does not translate); with @word NULL they are the English keys
 * above. Same quoting, guard and BOM as the export above.
 */
#define SAOMA_EXPORT_FLAT_COLUMNS \
  "type,time,till,out_trade_no,out_refund_no,wechat_id,amount,state,note,method"

/* Returns the caller's word for @key (a column name, "order", "refund", a state name as
 * saoma_attempt_state_to_string() / saoma_refund_state_to_string() spell it, or a method as
 * saoma_payment_method_to_string() does). */
typedef const char *(*SaomaExportWordFunc) (const char *key,
                                            gpointer    user_data);

/* Writes the accountants' CSV of @date to @out (blocking); @out_rows (nullable) receives the
 * number of rows (orders and refunds). */
gboolean saoma_export_flat_day_to_stream (SaomaLedger         *ledger,
                                          const GDate         *date,
                                          GTimeZone           *tz,
                                          SaomaExportWordFunc  word,
                                          gpointer             user_data,
                                          GOutputStream       *out,
                                          guint               *out_rows,
                                          GCancellable        *cancellable,
                                          GError             **error);
/* The same over [@start_us, @end_us) (µs UTC), e.g. a business day that starts at 04:00
 * (saoma-business-day.h); times are shown in @tz. */
gboolean saoma_export_flat_range_to_stream (SaomaLedger         *ledger,
                                            gint64               start_us,
                                            gint64               end_us,
                                            GTimeZone           *tz,
                                            SaomaExportWordFunc  word,
                                            gpointer             user_data,
                                            GOutputStream       *out,
                                            guint               *out_rows,
                                            GCancellable        *cancellable,
                                            GError             **error);

G_END_DECLS
