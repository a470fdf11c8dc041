/* saoma-day-report.h: the day close (日结): X report any time, Z close once the day is settled. */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-ledger.h"
#include "ledger/saoma-store.h"
#include "saoma-business-day.h"
#include "saoma-pin-guard.h"
#include "saoma-totals.h"

G_BEGIN_DECLS

#define SAOMA_DAY_REPORT_ERROR (saoma_day_report_error_quark ())

typedef enum {
  SAOMA_DAY_REPORT_ERROR_UNFINISHED,     /* Z close refused: attempts are not final */
  SAOMA_DAY_REPORT_ERROR_ALREADY_CLOSED, /* a Z close of this day is already recorded */
  SAOMA_DAY_REPORT_ERROR_FAILED,         /* ledger or file error (message says which) */
  SAOMA_DAY_REPORT_ERROR_NOT_CLOSED,     /* reopen refused: the day is not Z-closed */
} SaomaDayReportError;

GQuark saoma_day_report_error_quark (void);

#define SAOMA_TYPE_DAY_REPORT (saoma_day_report_get_type ())
G_DECLARE_FINAL_TYPE (SaomaDayReport, saoma_day_report, SAOMA, DAY_REPORT, GObject)

/*
 * What counts, for a local day [midnight, next midnight) in the report's time zone:
 *  - Payments: attempts now PAID, PARTIALLY_REFUNDED or REFUNDED whose payment time is in the
 *    day. The payment time is the attempt's paid_at (WeChat's time_end as the engine recorded
 *    it); an attempt without one (paid_at 0, e.g. written by an old version) falls back to its
 *    creation time. A payment is counted at its full amount on the day it was paid, whatever
 *    was refunded later: refunds are their own line. Candidates are attempts created from one
 *    day before the day up to its end (a Native order lives at most two hours).
 *  - Refunds: refunds in state SUCCESS whose success time (when the ledger learnt WeChat's
 *    SUCCESS) is in the day, whichever day the payment was. Pending ones are not money yet.
 *  - Net = payments total − refunds total (fen; may be negative).
 *  - Hourly buckets: payments by the local hour (0–23) of their payment time.
 *  - Not final: every attempt in the ledger not yet in a final state and created before the
 *    day's end (CREATED, SUBMITTED, WAITING, UNKNOWN, CLOSING): any of them may still become
 *    money of this day. A Z close is refused while there is one, unless the manager
 *    explicitly acknowledges them.
 * The lists are snapshots (SaomaAttempt / SaomaLedgerRefund), oldest first.
 */

/* Computes a report from candidate rows (the pure part, used by the loader and the tests):
 * @attempts (SaomaAttempt *), @refunds (SaomaLedgerRefund *), @unfinished (SaomaAttempt *) may
 * hold rows outside the day; they are filtered as described above. @generated_us: the time the
 * report is made (shown in the header). */
SaomaDayReport *saoma_day_report_compute      (const GDate *date,
                                               GTimeZone   *tz,
                                               GPtrArray   *attempts,
                                               GPtrArray   *refunds,
                                               GPtrArray   *unfinished,
                                               gint64       generated_us);
/* The same over [@start_us, @end_us) instead of the day's midnights (-1: the midnight). */
SaomaDayReport *saoma_day_report_compute_in_range (const GDate *date,
                                                   GTimeZone   *tz,
                                                   gint64       start_us,
                                                   gint64       end_us,
                                                   GPtrArray   *attempts,
                                                   GPtrArray   *refunds,
                                                   GPtrArray   *unfinished,
                                                   gint64       generated_us);
/* Reads one snapshot of the store (blocking: worker threads only), so the payments, refunds
 * and unfinished attempts agree with each other. @tz NULL: local. */
SaomaDayReport *saoma_day_report_load_from_snapshot (SaomaStoreSnapshot  *snapshot,
                                                     const GDate         *date,
                                                     GTimeZone           *tz,
                                                     GError             **error);
/* The same over a snapshot of @ledger opened here (blocking: worker threads and headless
 * commands only); it also counts the late payments still to decide (a ledger query: the
 * snapshot paths leave saoma_day_report_get_n_late_undecided() at 0).
 * A Z close is final (issue 12.2): a closed day ends where its close cut it (the time of the
 * report it closed), and what was paid after that, before midnight, is the next day's (its
 * report starts at that cut, saoma_day_report_get_carries_previous()). A day the manager
 * reopened runs to its midnight again until it is closed again. */
SaomaDayReport *saoma_day_report_load_sync    (SaomaLedger  *ledger,
                                               const GDate  *date,
                                               GTimeZone    *tz,
                                               GError      **error);
/* The same for the store's business day (zone and day start, e.g. 04:00; issue 12.5): the
 * report covers [date at day start, next date at day start). */
SaomaDayReport *saoma_day_report_load_business_sync (SaomaLedger            *ledger,
                                                     const GDate            *date,
                                                     const SaomaBusinessDay *business_day,
                                                     GError                **error);
SaomaDayReport *saoma_day_report_load_business_from_snapshot (SaomaStoreSnapshot     *snapshot,
                                                              const GDate            *date,
                                                              const SaomaBusinessDay *business_day,
                                                              GError                **error);
/* Opens a snapshot of @store and reads the report from it in a worker. */
void            saoma_day_report_load_async   (SaomaStore          *store,
                                               const GDate         *date,
                                               GTimeZone           *tz,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
SaomaDayReport *saoma_day_report_load_finish  (GAsyncResult  *result,
                                               GError       **error);

/* "2026-11-27" */
const char *saoma_day_report_get_day_text      (SaomaDayReport *self);
void        saoma_day_report_get_date          (SaomaDayReport *self,
                                                GDate          *out_date);
GTimeZone  *saoma_day_report_get_timezone      (SaomaDayReport *self);
gint64      saoma_day_report_get_start         (SaomaDayReport *self);
gint64      saoma_day_report_get_end           (SaomaDayReport *self);
gint64      saoma_day_report_get_generated     (SaomaDayReport *self);
guint       saoma_day_report_get_n_payments    (SaomaDayReport *self);
gint64      saoma_day_report_get_payments_total (SaomaDayReport *self);
guint       saoma_day_report_get_n_refunds     (SaomaDayReport *self);
gint64      saoma_day_report_get_refunds_total (SaomaDayReport *self);
gint64      saoma_day_report_get_net           (SaomaDayReport *self);
/* The four figures above as one SaomaTotals (the definition every view shares). */
void        saoma_day_report_get_totals        (SaomaDayReport *self,
                                                SaomaTotals    *out_totals);
/* The same totals for the orders of one payment method (QR code 扫码 = NATIVE, payment code
 * 付款码 = MICROPAY); a refund counts under its order's method. Their sum is the day's totals. */
void        saoma_day_report_get_method_totals (SaomaDayReport     *self,
                                                SaomaPaymentMethod  method,
                                                SaomaTotals        *out_totals);
/* TRUE when a payment or refund of the day is a payment code's (the CSV then has the lines
 * by method). */
gboolean    saoma_day_report_has_micropay      (SaomaDayReport *self);
/* Payments paid after the cashier had given up on them (late payments). */
guint       saoma_day_report_get_n_late        (SaomaDayReport *self);
/* Late payments (of any day up to this one) still waiting for the manager's decision
 * (saoma-late-payments.h); set by the loader, 0 from saoma_day_report_compute(). CSV
 * "summary,late_undecided,<count>" when not 0. */
guint       saoma_day_report_get_n_late_undecided (SaomaDayReport *self);
/* Sets that count from @ledger (the snapshot paths cannot see the decisions). Blocking. */
gboolean    saoma_day_report_count_late_sync   (SaomaDayReport *self,
                                                SaomaLedger    *ledger,
                                                GError        **error);
/* @hour 0–23 (local). */
guint       saoma_day_report_get_hour_count    (SaomaDayReport *self,
                                                guint           hour);
gint64      saoma_day_report_get_hour_total    (SaomaDayReport *self,
                                                guint           hour);
gint64      saoma_day_report_get_max_hour_total (SaomaDayReport *self);
/* Borrowed arrays. */
GPtrArray  *saoma_day_report_get_payments      (SaomaDayReport *self);
GPtrArray  *saoma_day_report_get_refunds       (SaomaDayReport *self);
GPtrArray  *saoma_day_report_get_unfinished    (SaomaDayReport *self);
/* The payment time used for @attempt (paid_at, or created when unknown). */
gint64      saoma_day_report_payment_time      (SaomaAttempt   *attempt);
/* "yyyy-MM-dd HH:mm:ss" of @time_us in the report's time zone. */
char       *saoma_day_report_format_time       (SaomaDayReport *self,
                                                gint64          time_us);

/*
 * CSV (RFC 4180, CRLF, UTF-8 with BOM, like saoma-export), in sections separated by an empty
 * record; every record starts with its section name so a spreadsheet filter works:
 *   report,day,<yyyy-MM-dd>          report,time_zone,<+08:00>     report,generated,<local time>
 *   and only when they apply: report,from,<local time> (the day starts at the previous day's Z
 *   close), report,until,<local time> and report,z_closed,<local time> (a Z-closed day),
 *   report,reopened,<local time>,<reason> (a manager reopened it)
 *   summary,payments,<count>,<yuan>  summary,refunds,<count>,<yuan> summary,net,,<yuan>
 *   summary,late_payments,<count>    summary,not_final,<count>
 *   and when a payment code was taken that day (saoma_day_report_has_micropay()), for each
 *   method (native, micropay): summary,payments_<m>,<count>,<yuan>
 *   summary,refunds_<m>,<count>,<yuan>  summary,net_<m>,,<yuan>
 *   hour,<00..23>,<count>,<yuan>
 *   payment,<paid local time>,<till>,<out_trade_no>,<transaction_id>,<yuan>,<refunded yuan>,
 *           <state>,<description>
 *   refund,<success local time>,<out_refund_no>,<out_trade_no>,<refund_id>,<yuan>,<reason>
 *   not_final,<created local time>,<till>,<out_trade_no>,<yuan>,<state>
 * each section preceded by its header record (e.g. "payment,paid_time,till,…").
 */
char       *saoma_day_report_to_csv            (SaomaDayReport *self);
gboolean    saoma_day_report_write_csv         (SaomaDayReport *self,
                                                const char     *path,
                                                GError        **error);

/* Z close: refused with SAOMA_DAY_REPORT_ERROR_UNFINISHED while attempts are not final and
 * @acknowledge_unfinished is FALSE, and with _ALREADY_CLOSED when the ledger already records a
 * Z close of the day. Records a "day-close" event (till-wide) with the totals. Blocking. */
gboolean    saoma_day_report_close_sync        (SaomaDayReport *self,
                                                SaomaLedger    *ledger,
                                                gboolean        acknowledge_unfinished,
                                                GError        **error);
void        saoma_day_report_close_async       (SaomaDayReport      *self,
                                                SaomaLedger         *ledger,
                                                gboolean             acknowledge_unfinished,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    saoma_day_report_close_finish      (SaomaDayReport  *self,
                                                GAsyncResult    *result,
                                                GError         **error);
/* The "day-close" event detail of the Z close that closes this day, or NULL when it is not
 * closed (never, or reopened since) (blocking). */
char       *saoma_day_report_find_close_sync   (SaomaDayReport *self,
                                                SaomaLedger    *ledger,
                                                GError        **error);
/* The same, read from @snapshot (blocking: worker threads only). */
char       *saoma_day_report_find_close_in_snapshot (SaomaDayReport      *self,
                                                     SaomaStoreSnapshot  *snapshot,
                                                     GError             **error);
/* The CSV of the report that Z close recorded, byte for byte as it was written then, for a
 * reprint; NULL when the day is not closed (blocking). */
char       *saoma_day_report_find_close_csv_sync (SaomaDayReport *self,
                                                  SaomaLedger    *ledger,
                                                  GError        **error);
/* Reopens a Z-closed day (the manager's decision): checks @pin with @pin_guard (its delays and
 * lockout), then records a till-wide "day-reopen" event with @reason (≤ 80 characters kept).
 * SAOMA_DAY_REPORT_ERROR_NOT_CLOSED when the day is not closed; SAOMA_PIN_ERROR for the PIN.
 * Blocking. */
gboolean    saoma_day_report_reopen_sync       (SaomaDayReport *self,
                                                SaomaLedger    *ledger,
                                                SaomaPinGuard  *pin_guard,
                                                const char     *pin,
                                                const char     *reason,
                                                GError        **error);
/* The same, for the app, in a worker, once the caller has checked the manager PIN. */
void        saoma_day_report_reopen_async      (SaomaDayReport      *self,
                                                SaomaLedger         *ledger,
                                                const char          *reason,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    saoma_day_report_reopen_finish     (SaomaDayReport  *self,
                                                GAsyncResult    *result,
                                                GError         **error);
/* When the loaded day's Z close was recorded (µs UTC), or 0 when it is not closed. */
gint64      saoma_day_report_get_closed_at     (SaomaDayReport *self);
/* When a manager last reopened the day (µs UTC), or 0; the report says so (CSV "reopened"). */
gint64      saoma_day_report_get_reopened_at   (SaomaDayReport *self);
const char *saoma_day_report_get_reopen_reason (SaomaDayReport *self);
/* TRUE when the day starts before its midnight: the previous day was Z-closed early, and its
 * later sales are this day's (CSV "from"). */
gboolean    saoma_day_report_get_carries_previous (SaomaDayReport *self);

G_END_DECLS
