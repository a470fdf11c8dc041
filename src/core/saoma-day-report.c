/* saoma-day-report.c: counts and sums of one local day, hour by hour, and the Z close.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-day-report"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ledger/saoma-ledger-snapshot.h"
#include "saoma-business-day.h"
#include "saoma-day-report.h"
#include "saoma-export.h"
#include "saoma-late-payments.h"
#include "saoma-money.h"
#include "saoma-totals.h"

#define CLOSE_EVENT_KIND "day-close"
/* The report of a Z close as it was made (its CSV), so that a reprint is that report. */
#define CLOSE_REPORT_EVENT_KIND "day-close-report"
/* The manager reopened a Z-closed day (with the PIN): its close no longer ends it. */
#define REOPEN_EVENT_KIND "day-reopen"
#define ONE_DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)

struct _SaomaDayReport
{
  GObject     parent_instance;

  GDate       date;
  char       *day_text;
  GTimeZone  *tz;
  gint64      start_us;
  gint64      end_us;
  gint64      generated_us;
  /* The Z close that ends the day (0: none, or reopened since); the earlier start when the
   * previous day was Z-closed before its end (its later sales are this day's). */
  gint64      closed_at;
  gint64      reopened_at;
  char       *reopen_reason;
  gint64      nominal_start_us;

  guint       n_payments;
  gint64      payments_total;
  guint       n_refunds;
  gint64      refunds_total;
  guint       n_late;
  guint       n_late_undecided;
  guint       hour_count[24];
  gint64      hour_total[24];
  /* The same figures by payment method (a refund counts under its order's method). */
  SaomaTotals by_method[SAOMA_PAYMENT_METHOD_LAST + 1];

  GPtrArray  *payments;    /* SaomaAttempt * */
  GPtrArray  *refunds;     /* SaomaLedgerRefund * */
  GPtrArray  *unfinished;  /* SaomaAttempt * */
};

G_DEFINE_FINAL_TYPE (SaomaDayReport, saoma_day_report, G_TYPE_OBJECT)
/* The messages are English, for the logs; saoma_cli_error_words() says them in the user's
 * words, so each keeps the format its entry there has. */
G_DEFINE_QUARK (saoma-day-report-error-quark, saoma_day_report_error)

static void
saoma_day_report_finalize (GObject *object)
{
  SaomaDayReport *self = SAOMA_DAY_REPORT (object);

  g_free (self->day_text);
  g_free (self->reopen_reason);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_clear_pointer (&self->payments, g_ptr_array_unref);
  g_clear_pointer (&self->refunds, g_ptr_array_unref);
  g_clear_pointer (&self->unfinished, g_ptr_array_unref);

  G_OBJECT_CLASS (saoma_day_report_parent_class)->finalize (object);
}

static void
saoma_day_report_class_init (SaomaDayReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = saoma_day_report_finalize;
}

static void
saoma_day_report_init (SaomaDayReport *self)
{
  g_date_clear (&self->date, 1);
  self->payments = g_ptr_array_new_with_free_func (g_object_unref);
  self->refunds = g_ptr_array_new_with_free_func ((GDestroyNotify) saoma_ledger_refund_free);
  self->unfinished = g_ptr_array_new_with_free_func (g_object_unref);
}

static SaomaLedgerRefund *
refund_copy (const SaomaLedgerRefund *refund)
{
  SaomaLedgerRefund *copy = g_new0 (SaomaLedgerRefund, 1);

  *copy = *refund;
  copy->out_refund_no = g_strdup (refund->out_refund_no);
  copy->out_trade_no = g_strdup (refund->out_trade_no);
  copy->reason = g_strdup (refund->reason);
  copy->refund_id = g_strdup (refund->refund_id);
  return copy;
}

gint64
saoma_day_report_payment_time (SaomaAttempt *attempt)
{
  return saoma_totals_payment_time (attempt);
}

static int
compare_payments (gconstpointer a,
                  gconstpointer b)
{
  SaomaAttempt *x = *(SaomaAttempt **) a;
  SaomaAttempt *y = *(SaomaAttempt **) b;
  gint64 tx = saoma_day_report_payment_time (x);
  gint64 ty = saoma_day_report_payment_time (y);

  if (tx != ty)
    return tx < ty ? -1 : 1;
  return saoma_attempt_get_id (x) < saoma_attempt_get_id (y) ? -1
         : saoma_attempt_get_id (x) > saoma_attempt_get_id (y);
}

static int
compare_refunds (gconstpointer a,
                 gconstpointer b)
{
  const SaomaLedgerRefund *x = *(SaomaLedgerRefund **) a;
  const SaomaLedgerRefund *y = *(SaomaLedgerRefund **) b;

  if (x->succeeded != y->succeeded)
    return x->succeeded < y->succeeded ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static int
compare_created (gconstpointer a,
                 gconstpointer b)
{
  SaomaAttempt *x = *(SaomaAttempt **) a;
  SaomaAttempt *y = *(SaomaAttempt **) b;

  if (saoma_attempt_get_created (x) != saoma_attempt_get_created (y))
    return saoma_attempt_get_created (x) < saoma_attempt_get_created (y) ? -1 : 1;
  return saoma_attempt_get_id (x) < saoma_attempt_get_id (y) ? -1
         : saoma_attempt_get_id (x) > saoma_attempt_get_id (y);
}

/* An index into by_method[] (a method this build does not know counts as a QR code sale). */
static guint
method_index (int method)
{
  return method >= 0 && method <= SAOMA_PAYMENT_METHOD_LAST ? (guint) method
                                                             : SAOMA_PAYMENT_METHOD_NATIVE;
}

static guint
local_hour (GTimeZone *tz,
            gint64     time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_get_hour (local);
}

/**
 * saoma_day_report_compute:
 * @date: the local day
 * @tz: (nullable): its time zone; %NULL for the local one
 * @attempts: (element-type SaomaAttempt): candidate attempts
 * @refunds: (element-type SaomaLedgerRefund) (nullable): candidate refunds
 * @unfinished: (element-type SaomaAttempt) (nullable): non-final attempts
 * @generated_us: when the report is made
 *
 * Returns: (transfer full): the report
 */
SaomaDayReport *
saoma_day_report_compute (const GDate *date,
                          GTimeZone   *tz,
                          GPtrArray   *attempts,
                          GPtrArray   *refunds,
                          GPtrArray   *unfinished,
                          gint64       generated_us)
{
  return saoma_day_report_compute_in_range (date, tz, -1, -1, attempts, refunds, unfinished,
                                            generated_us);
}

/**
 * saoma_day_report_compute_in_range:
 * @date: the business day
 * @tz: (nullable): its time zone; %NULL for the local one
 * @start_us: the first µs of the day, or -1 for its midnight
 * @end_us: the µs after its last one, or -1 for the next midnight
 * @attempts: (element-type SaomaAttempt): candidate attempts
 * @refunds: (element-type SaomaLedgerRefund) (nullable): candidate refunds
 * @unfinished: (element-type SaomaAttempt) (nullable): non-final attempts
 * @generated_us: when the report is made
 *
 * Returns: (transfer full): the report
 */
SaomaDayReport *
saoma_day_report_compute_in_range (const GDate *date,
                                   GTimeZone   *tz,
                                   gint64       start_us,
                                   gint64       end_us,
                                   GPtrArray   *attempts,
                                   GPtrArray   *refunds,
                                   GPtrArray   *unfinished,
                                   gint64       generated_us)
{
  SaomaDayReport *self;
  SaomaTotals totals = SAOMA_TOTALS_INIT;
  GHashTable *seen;
  g_autoptr(GHashTable) methods = NULL;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  self = g_object_new (SAOMA_TYPE_DAY_REPORT, NULL);
  self->date = *date;
  self->tz = tz ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  self->day_text = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date),
                                    g_date_get_month (date), g_date_get_day (date));
  saoma_export_day_range (date, self->tz, &self->start_us, &self->end_us);
  self->nominal_start_us = self->start_us;
  if (start_us >= 0)
    self->start_us = start_us;
  if (end_us >= 0)
    self->end_us = end_us;
  self->generated_us = generated_us;

  /* The method of each order the candidates know: a refund counts under its order's method
   * (the loader adds the orders of the day's refunds that were paid on an earlier day). */
  methods = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; attempts != NULL && i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);

      g_hash_table_insert (methods, (gpointer) saoma_attempt_get_out_trade_no (attempt),
                           GINT_TO_POINTER (saoma_attempt_get_method (attempt)));
    }

  /* The same attempt may come from several queries (e.g. a candidate that is also still
   * unfinished); count each out_trade_no once. */
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; attempts != NULL && i < attempts->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (attempts, i);
      gint64 when = saoma_day_report_payment_time (attempt);
      guint hour;

      if (g_hash_table_contains (seen, saoma_attempt_get_out_trade_no (attempt)))
        continue;
      /* The one definition of a payment of the day (saoma-totals.h). */
      if (!saoma_totals_add_payment (&totals, attempt, self->start_us, self->end_us))
        continue;
      g_hash_table_add (seen, (gpointer) saoma_attempt_get_out_trade_no (attempt));
      saoma_totals_add_payment (&self->by_method[method_index (saoma_attempt_get_method (attempt))],
                                attempt, self->start_us, self->end_us);

      g_ptr_array_add (self->payments, g_object_ref (attempt));
      if (saoma_attempt_get_late (attempt))
        self->n_late++;
      hour = local_hour (self->tz, when);
      self->hour_count[hour]++;
      self->hour_total[hour] += saoma_attempt_get_amount (attempt);
    }
  g_hash_table_unref (seen);

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; refunds != NULL && i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);

      if (g_hash_table_contains (seen, refund->out_refund_no))
        continue;
      if (!saoma_totals_add_refund (&totals, refund, self->start_us, self->end_us))
        continue;
      g_hash_table_add (seen, refund->out_refund_no);
      saoma_totals_add_refund (&self->by_method[method_index (GPOINTER_TO_INT (
                                 g_hash_table_lookup (methods, refund->out_trade_no)))],
                               refund, self->start_us, self->end_us);

      g_ptr_array_add (self->refunds, refund_copy (refund));
    }
  g_hash_table_unref (seen);
  self->n_payments = totals.n_payments;
  self->payments_total = totals.paid;
  self->n_refunds = totals.n_refunds;
  self->refunds_total = totals.refunded;

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; unfinished != NULL && i < unfinished->len; i++)
    {
      SaomaAttempt *attempt = g_ptr_array_index (unfinished, i);

      if (saoma_attempt_state_is_final (saoma_attempt_get_state (attempt)))
        continue;
      if (saoma_attempt_get_created (attempt) >= self->end_us)
        continue;
      if (!g_hash_table_add (seen, (gpointer) saoma_attempt_get_out_trade_no (attempt)))
        continue;
      g_ptr_array_add (self->unfinished, g_object_ref (attempt));
    }
  g_hash_table_unref (seen);

  g_ptr_array_sort (self->payments, compare_payments);
  g_ptr_array_sort (self->refunds, compare_refunds);
  g_ptr_array_sort (self->unfinished, compare_created);

  return self;
}

/* Z close and reopen records of one day. Event ids grow with time, so the later record of
 * the two decides: a close after the last reopen ends the day. */
typedef struct {
  SaomaLedgerEvent *close;   /* the last "Z close DAY" (borrowed), or NULL */
  SaomaLedgerEvent *reopen;  /* the last "Z reopen DAY" (borrowed), or NULL */
} DayState;

static gboolean
day_state_is_closed (const DayState *state)
{
  return state->close != NULL && (state->reopen == NULL || state->close->id > state->reopen->id);
}

static void
find_day_state (GPtrArray  *closes,
                GPtrArray  *reopens,
                const char *day_text,
                DayState   *out)
{
  g_autofree char *close_prefix = g_strdup_printf ("Z close %s ", day_text);
  g_autofree char *reopen_prefix = g_strdup_printf ("Z reopen %s:", day_text);

  out->close = NULL;
  out->reopen = NULL;
  for (guint i = 0; closes != NULL && i < closes->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (closes, i);

      if (g_str_has_prefix (event->detail, close_prefix))
        out->close = event;
    }
  for (guint i = 0; reopens != NULL && i < reopens->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (reopens, i);

      if (g_str_has_prefix (event->detail, reopen_prefix))
        out->reopen = event;
    }
}

/* Where a Z close cut the day: the "cut at <µs>" it recorded (the time of the report it
 * closed), or the time of the record for a close written before there was one. */
static gint64
close_cut (SaomaLedgerEvent *close)
{
  const char *cut = strstr (close->detail, "; cut at ");
  gint64 value;

  if (cut != NULL && g_ascii_string_to_signed (cut + strlen ("; cut at "), 10, 0, G_MAXINT64,
                                               &value, NULL))
    return value;
  return close->time;
}

static GError *
read_error (GError *local_error)
{
  return g_error_new (SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                      "The ledger could not be read: %s", local_error->message);
}

static gboolean
list_day_events (SaomaStoreSnapshot  *snapshot,
                 GPtrArray          **out_closes,
                 GPtrArray          **out_reopens,
                 GError             **error)
{
  g_autoptr(GError) local_error = NULL;

  *out_closes = saoma_store_snapshot_list_till_events (snapshot, CLOSE_EVENT_KIND,
                                                       &local_error);
  if (*out_closes != NULL)
    *out_reopens = saoma_store_snapshot_list_till_events (snapshot, REOPEN_EVENT_KIND,
                                                          &local_error);
  if (local_error != NULL)
    {
      g_clear_pointer (out_closes, g_ptr_array_unref);
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                   "The ledger could not be read: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_refunded_orders (SaomaStoreSnapshot  *snapshot,
                     GPtrArray           *attempts,
                     GPtrArray           *refunds,
                     GError             **error)
{
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = attempts->len;

  for (guint i = 0; i < n; i++)
    g_hash_table_add (known, (gpointer) saoma_attempt_get_out_trade_no (
                               g_ptr_array_index (attempts, i)));
  for (guint i = 0; i < refunds->len; i++)
    {
      SaomaLedgerRefund *refund = g_ptr_array_index (refunds, i);
      SaomaAttempt *order;

      if (g_hash_table_contains (known, refund->out_trade_no))
        continue;
      order = saoma_store_snapshot_get_attempt (snapshot, refund->out_trade_no, error);
      if (order == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          continue;
        }
      /* Outside the day's payment range, so it is no payment of the day: only its method is
       * read. */
      g_ptr_array_add (attempts, order);
      g_hash_table_add (known, (gpointer) saoma_attempt_get_out_trade_no (order));
    }
  return TRUE;
}

/**
 * saoma_day_report_load_sync:
 * @ledger: the ledger
 * @date: the local day
 * @tz: (nullable): the store's time zone; %NULL for the local one
 * @error: return location for an error
 *
 * Returns: (transfer full): the report, or %NULL
 */
SaomaDayReport *
saoma_day_report_load_sync (SaomaLedger  *ledger,
                            const GDate  *date,
                            GTimeZone    *tz,
                            GError      **error)
{
  g_autoptr(GTimeZone) zone = tz ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  g_autoptr(SaomaBusinessDay) day = saoma_business_day_new (zone, 0);

  return saoma_day_report_load_business_sync (ledger, date, day, error);
}

/**
 * saoma_day_report_load_from_snapshot:
 * @snapshot: a snapshot of the store
 * @date: the local day
 * @tz: (nullable): the store's time zone; %NULL for the local one
 * @error: return location for an error
 *
 * Returns: (transfer full): the report, or %NULL
 */
SaomaDayReport *
saoma_day_report_load_from_snapshot (SaomaStoreSnapshot  *snapshot,
                                     const GDate         *date,
                                     GTimeZone           *tz,
                                     GError             **error)
{
  g_autoptr(GTimeZone) zone = tz ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  g_autoptr(SaomaBusinessDay) day = saoma_business_day_new (zone, 0);

  return saoma_day_report_load_business_from_snapshot (snapshot, date, day, error);
}

/**
 * saoma_day_report_load_business_sync:
 * @ledger: the ledger
 * @date: the business day
 * @business_day: the store's rule (zone and day start)
 * @error: return location for an error
 *
 * One snapshot of @ledger, plus the late payments still to decide (a query of the ledger).
 *
 * Returns: (transfer full): the report, or %NULL
 */
SaomaDayReport *
saoma_day_report_load_business_sync (SaomaLedger            *ledger,
                                     const GDate            *date,
                                     const SaomaBusinessDay *business_day,
                                     GError                **error)
{
  g_autoptr(SaomaStoreSnapshot) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;
  SaomaDayReport *report;

  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  if (!(snapshot = saoma_ledger_snapshot_new (ledger, &local_error)))
    {
      g_propagate_error (error, read_error (local_error));
      return NULL;
    }
  report = saoma_day_report_load_business_from_snapshot (snapshot, date, business_day, error);
  if (report == NULL)
    return NULL;

  if (!saoma_day_report_count_late_sync (report, ledger, error))
    {
      g_object_unref (report);
      return NULL;
    }
  return report;
}

/**
 * saoma_day_report_count_late_sync:
 * @self: a report
 * @ledger: the ledger
 * @error: return location for an error
 *
 * Counts the late payments (created before the report's end) still waiting for a decision,
 * for saoma_day_report_get_n_late_undecided(). Blocking: worker threads only.
 *
 * Returns: %TRUE when counted
 */
gboolean
saoma_day_report_count_late_sync (SaomaDayReport  *self,
                                  SaomaLedger     *ledger,
                                  GError         **error)
{
  g_autoptr(GPtrArray) late = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);

  late = saoma_late_payments_list_open_sync (ledger, error);
  if (late == NULL)
    return FALSE;
  /* "Every payment is final" is not true while a late payment waits for a decision, whichever
   * day it was paid. */
  self->n_late_undecided = 0;
  for (guint i = 0; i < late->len; i++)
    if (saoma_attempt_get_created (g_ptr_array_index (late, i)) < self->end_us)
      self->n_late_undecided++;
  return TRUE;
}

/**
 * saoma_day_report_load_business_from_snapshot:
 * @snapshot: a snapshot of the store
 * @date: the business day
 * @business_day: the store's rule (zone and day start)
 * @error: return location for an error
 *
 * Returns: (transfer full): the report, or %NULL
 */
SaomaDayReport *
saoma_day_report_load_business_from_snapshot (SaomaStoreSnapshot     *snapshot,
                                              const GDate            *date,
                                              const SaomaBusinessDay *business_day,
                                              GError                **error)
{
  GTimeZone *zone = business_day->tz;
  g_autoptr(GPtrArray) attempts = NULL;
  g_autoptr(GPtrArray) refunds = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GPtrArray) closes = NULL;
  g_autoptr(GPtrArray) reopens = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *day_text = NULL;
  g_autofree char *prev_text = NULL;
  SaomaDayReport *report;
  DayState state, prev_state;
  gint64 start_us, end_us, prev_start_us, prev_end_us, nominal_start_us;
  GDate prev;

  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (snapshot), NULL);
  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);
  g_return_val_if_fail (business_day != NULL, NULL);

  saoma_business_day_range (business_day, date, &start_us, &end_us);
  nominal_start_us = start_us;
  prev = *date;
  g_date_subtract_days (&prev, 1);
  saoma_business_day_range (business_day, &prev, &prev_start_us, &prev_end_us);

  if (!list_day_events (snapshot, &closes, &reopens, error))
    return NULL;
  day_text = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                              g_date_get_day (date));
  prev_text = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&prev),
                               g_date_get_month (&prev), g_date_get_day (&prev));
  find_day_state (closes, reopens, day_text, &state);
  find_day_state (closes, reopens, prev_text, &prev_state);

  /* A Z close is final: what was paid after the previous day's close, before midnight, is
   * this day's; this day ends at its own close. */
  if (day_state_is_closed (&prev_state))
    {
      gint64 cut = close_cut (prev_state.close);

      if (cut < start_us)
        start_us = MAX (cut, prev_start_us);
    }
  if (day_state_is_closed (&state))
    end_us = CLAMP (close_cut (state.close), start_us, end_us);

  if (!(attempts = saoma_store_snapshot_list_attempts (snapshot, start_us - ONE_DAY_US, end_us,
                                                       NULL, &local_error)) ||
      !(refunds = saoma_store_snapshot_list_refunds_succeeded (snapshot, start_us, end_us,
                                                               &local_error)) ||
      !(unfinished = saoma_store_snapshot_list_unfinished (snapshot, &local_error)))
    {
      g_propagate_error (error, read_error (local_error));
      return NULL;
    }

  /* A refund of an order paid on an earlier day counts under that order's method. */
  if (!add_refunded_orders (snapshot, attempts, refunds, &local_error))
    {
      g_propagate_error (error, read_error (local_error));
      return NULL;
    }

  report = saoma_day_report_compute_in_range (date, zone, start_us, end_us, attempts, refunds,
                                              unfinished, g_get_real_time ());
  report->nominal_start_us = nominal_start_us;
  if (day_state_is_closed (&state))
    report->closed_at = state.close->time;
  if (state.reopen != NULL)
    {
      const char *reason = strchr (state.reopen->detail, ':');

      report->reopened_at = state.reopen->time;
      report->reopen_reason = g_strstrip (g_strdup (reason != NULL ? reason + 1 : ""));
    }
  return report;
}

typedef struct {
  SaomaStoreSnapshot *snapshot;
  GDate               date;
  GTimeZone          *tz;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->snapshot);
  g_clear_pointer (&data->tz, g_time_zone_unref);
  g_free (data);
}

static void
load_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;
  SaomaDayReport *report;

  report = saoma_day_report_load_from_snapshot (data->snapshot, &data->date, data->tz, &error);
  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, g_object_unref);
}

static void
load_snapshot_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->snapshot = saoma_store_open_snapshot_finish (SAOMA_STORE (source), result, &error);
  if (data->snapshot == NULL)
    {
      g_task_return_error (task, read_error (error));
      return;
    }

  g_task_run_in_thread (task, load_worker);
}

/**
 * saoma_day_report_load_async:
 * @store: the store
 * @date: the local day
 * @tz: (nullable): the store's time zone; %NULL for the local one
 *
 * Opens one snapshot of @store and computes the report from it in a worker.
 */
void
saoma_day_report_load_async (SaomaStore          *store,
                             const GDate         *date,
                             GTimeZone           *tz,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  LoadData *data;

  g_return_if_fail (SAOMA_IS_STORE (store));
  g_return_if_fail (date != NULL && g_date_valid (date));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_day_report_load_async);
  data = g_new0 (LoadData, 1);
  data->date = *date;
  data->tz = tz ? g_time_zone_ref (tz) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  saoma_store_open_snapshot_async (store, cancellable, load_snapshot_cb, task);
}

/**
 * saoma_day_report_load_finish:
 *
 * Returns: (transfer full): the report, or %NULL
 */
SaomaDayReport *
saoma_day_report_load_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
saoma_day_report_get_day_text (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->day_text;
}

void
saoma_day_report_get_date (SaomaDayReport *self,
                           GDate          *out_date)
{
  g_return_if_fail (SAOMA_IS_DAY_REPORT (self));
  *out_date = self->date;
}

GTimeZone *
saoma_day_report_get_timezone (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->tz;
}

gint64
saoma_day_report_get_start (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->start_us;
}

gint64
saoma_day_report_get_end (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->end_us;
}

gint64
saoma_day_report_get_generated (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->generated_us;
}

guint
saoma_day_report_get_n_payments (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->n_payments;
}

gint64
saoma_day_report_get_payments_total (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->payments_total;
}

guint
saoma_day_report_get_n_refunds (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->n_refunds;
}

gint64
saoma_day_report_get_refunds_total (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->refunds_total;
}

/**
 * saoma_day_report_get_totals:
 * @self: a report
 * @out_totals: (out caller-allocates): the day's totals, as every view counts them
 */
void
saoma_day_report_get_totals (SaomaDayReport *self,
                             SaomaTotals    *out_totals)
{
  g_return_if_fail (SAOMA_IS_DAY_REPORT (self));
  g_return_if_fail (out_totals != NULL);

  out_totals->n_payments = self->n_payments;
  out_totals->paid = self->payments_total;
  out_totals->n_refunds = self->n_refunds;
  out_totals->refunded = self->refunds_total;
}

/**
 * saoma_day_report_get_method_totals:
 * @self: a report
 * @method: a payment method
 * @out_totals: (out caller-allocates): the day's totals of @method's orders
 */
void
saoma_day_report_get_method_totals (SaomaDayReport     *self,
                                    SaomaPaymentMethod  method,
                                    SaomaTotals        *out_totals)
{
  g_return_if_fail (SAOMA_IS_DAY_REPORT (self));
  g_return_if_fail (out_totals != NULL);
  g_return_if_fail (method <= SAOMA_PAYMENT_METHOD_LAST);

  *out_totals = self->by_method[method];
}

gboolean
saoma_day_report_has_micropay (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);

  return self->by_method[SAOMA_PAYMENT_METHOD_MICROPAY].n_payments > 0
         || self->by_method[SAOMA_PAYMENT_METHOD_MICROPAY].n_refunds > 0;
}

gint64
saoma_day_report_get_net (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->payments_total - self->refunds_total;
}

guint
saoma_day_report_get_n_late (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->n_late;
}

guint
saoma_day_report_get_n_late_undecided (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->n_late_undecided;
}

guint
saoma_day_report_get_hour_count (SaomaDayReport *self,
                                 guint           hour)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  g_return_val_if_fail (hour < 24, 0);
  return self->hour_count[hour];
}

gint64
saoma_day_report_get_hour_total (SaomaDayReport *self,
                                 guint           hour)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  g_return_val_if_fail (hour < 24, 0);
  return self->hour_total[hour];
}

gint64
saoma_day_report_get_max_hour_total (SaomaDayReport *self)
{
  gint64 max = 0;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  for (guint h = 0; h < 24; h++)
    max = MAX (max, self->hour_total[h]);
  return max;
}

/**
 * saoma_day_report_get_payments:
 *
 * Returns: (transfer none) (element-type SaomaAttempt): payments of the day, oldest first
 */
GPtrArray *
saoma_day_report_get_payments (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->payments;
}

/**
 * saoma_day_report_get_refunds:
 *
 * Returns: (transfer none) (element-type SaomaLedgerRefund): refunds of the day
 */
GPtrArray *
saoma_day_report_get_refunds (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->refunds;
}

/**
 * saoma_day_report_get_unfinished:
 *
 * Returns: (transfer none) (element-type SaomaAttempt): attempts not final
 */
GPtrArray *
saoma_day_report_get_unfinished (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->unfinished;
}

char *
saoma_day_report_format_time (SaomaDayReport *self,
                              gint64          time_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);

  utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  local = g_date_time_to_timezone (utc, self->tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/* CSV ------------------------------------------------------------------------------------ */

static char *
time_zone_text (SaomaDayReport *self)
{
  g_autoptr(GDateTime) start = NULL;
  gint64 offset;
  gint64 minutes;

  start = g_date_time_new_from_unix_utc (self->start_us / G_USEC_PER_SEC);
  offset = g_time_zone_get_offset (self->tz,
                                   g_time_zone_find_interval (self->tz, G_TIME_TYPE_UNIVERSAL,
                                                              self->start_us / G_USEC_PER_SEC));
  minutes = ABS (offset) / 60;
  return g_strdup_printf ("%c%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                          offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

char *
saoma_day_report_to_csv (SaomaDayReport *self)
{
  GString *out;
  g_autofree char *tz_text = NULL;
  g_autofree char *generated = NULL;
  g_autofree char *n_pay = NULL, *pay_total = NULL, *n_ref = NULL, *ref_total = NULL;
  g_autofree char *net = NULL, *n_late = NULL, *n_unfinished = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);

  out = g_string_new ("\xEF\xBB\xBF");
  tz_text = time_zone_text (self);
  generated = saoma_day_report_format_time (self, self->generated_us);

  saoma_export_append_csv_record (out, "report", "field", "value", NULL);
  saoma_export_append_csv_record (out, "report", "day", self->day_text, NULL);
  saoma_export_append_csv_record (out, "report", "time_zone", tz_text, NULL);
  saoma_export_append_csv_record (out, "report", "generated", generated, NULL);
  if (self->start_us != self->nominal_start_us)
    {
      g_autofree char *from = saoma_day_report_format_time (self, self->start_us);

      saoma_export_append_csv_record (out, "report", "from", from, NULL);
    }
  if (self->closed_at != 0)
    {
      g_autofree char *until = saoma_day_report_format_time (self, self->end_us);
      g_autofree char *closed = saoma_day_report_format_time (self, self->closed_at);

      saoma_export_append_csv_record (out, "report", "until", until, NULL);
      saoma_export_append_csv_record (out, "report", "z_closed", closed, NULL);
    }
  if (self->reopened_at != 0)
    {
      g_autofree char *reopened = saoma_day_report_format_time (self, self->reopened_at);

      saoma_export_append_csv_record (out, "report", "reopened", reopened,
                                      self->reopen_reason ? self->reopen_reason : "", NULL);
    }
  g_string_append (out, "\r\n");

  n_pay = g_strdup_printf ("%u", self->n_payments);
  pay_total = saoma_money_format_plain (self->payments_total);
  n_ref = g_strdup_printf ("%u", self->n_refunds);
  ref_total = saoma_money_format_plain (self->refunds_total);
  net = saoma_money_format_plain (saoma_day_report_get_net (self));
  n_late = g_strdup_printf ("%u", self->n_late);
  n_unfinished = g_strdup_printf ("%u", self->unfinished->len);
  saoma_export_append_csv_record (out, "summary", "item", "count", "amount", NULL);
  saoma_export_append_csv_record (out, "summary", "payments", n_pay, pay_total, NULL);
  saoma_export_append_csv_record (out, "summary", "refunds", n_ref, ref_total, NULL);
  saoma_export_append_csv_record (out, "summary", "net", "", net, NULL);
  saoma_export_append_csv_record (out, "summary", "late_payments", n_late, NULL);
  saoma_export_append_csv_record (out, "summary", "not_final", n_unfinished, NULL);
  if (self->n_late_undecided > 0)
    {
      g_autofree char *n = g_strdup_printf ("%u", self->n_late_undecided);

      saoma_export_append_csv_record (out, "summary", "late_undecided", n, NULL);
    }
  /* By method once a payment code was taken (a day of QR codes only reads as before). */
  if (saoma_day_report_has_micropay (self))
    for (guint m = 0; m <= SAOMA_PAYMENT_METHOD_LAST; m++)
      {
        const SaomaTotals *t = &self->by_method[m];
        g_autofree char *name = g_ascii_strdown (saoma_payment_method_to_string (m), -1);
        g_autofree char *pay_key = g_strconcat ("payments_", name, NULL);
        g_autofree char *ref_key = g_strconcat ("refunds_", name, NULL);
        g_autofree char *net_key = g_strconcat ("net_", name, NULL);
        g_autofree char *pc = g_strdup_printf ("%u", t->n_payments);
        g_autofree char *pt = saoma_money_format_plain (t->paid);
        g_autofree char *rc = g_strdup_printf ("%u", t->n_refunds);
        g_autofree char *rt = saoma_money_format_plain (t->refunded);
        g_autofree char *nt = saoma_money_format_plain (saoma_totals_get_net (t));

        saoma_export_append_csv_record (out, "summary", pay_key, pc, pt, NULL);
        saoma_export_append_csv_record (out, "summary", ref_key, rc, rt, NULL);
        saoma_export_append_csv_record (out, "summary", net_key, "", nt, NULL);
      }
  g_string_append (out, "\r\n");

  saoma_export_append_csv_record (out, "hour", "hour", "count", "amount", NULL);
  for (guint h = 0; h < 24; h++)
    {
      g_autofree char *hour = g_strdup_printf ("%02u", h);
      g_autofree char *count = g_strdup_printf ("%u", self->hour_count[h]);
      g_autofree char *total = saoma_money_format_plain (self->hour_total[h]);

      saoma_export_append_csv_record (out, "hour", hour, count, total, NULL);
    }
  g_string_append (out, "\r\n");

  saoma_export_append_csv_record (out, "payment", "paid_time", "till", "out_trade_no", "transaction_id", "amount",
              "refunded", "state", "description", NULL);
  for (guint i = 0; i < self->payments->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (self->payments, i);
      g_autofree char *when = saoma_day_report_format_time (self,
                                                            saoma_day_report_payment_time (a));
      g_autofree char *amount = saoma_money_format_plain (saoma_attempt_get_amount (a));
      g_autofree char *refunded = saoma_money_format_plain (saoma_attempt_get_refunded (a));
      const char *till = saoma_attempt_get_till_id (a);
      const char *txid = saoma_attempt_get_transaction_id (a);
      const char *desc = saoma_attempt_get_description (a);

      saoma_export_append_csv_record (out, "payment", when, till ? till : "", saoma_attempt_get_out_trade_no (a),
                  txid ? txid : "", amount, refunded,
                  saoma_attempt_state_to_string (saoma_attempt_get_state (a)),
                  desc ? desc : "", NULL);
    }
  g_string_append (out, "\r\n");

  saoma_export_append_csv_record (out, "refund", "success_time", "out_refund_no", "out_trade_no", "refund_id",
              "amount", "reason", NULL);
  for (guint i = 0; i < self->refunds->len; i++)
    {
      SaomaLedgerRefund *r = g_ptr_array_index (self->refunds, i);
      g_autofree char *when = saoma_day_report_format_time (self, r->succeeded);
      g_autofree char *amount = saoma_money_format_plain (r->amount);

      saoma_export_append_csv_record (out, "refund", when, r->out_refund_no, r->out_trade_no,
                  r->refund_id ? r->refund_id : "", amount, r->reason ? r->reason : "", NULL);
    }
  g_string_append (out, "\r\n");

  saoma_export_append_csv_record (out, "not_final", "created_time", "till", "out_trade_no", "amount", "state", NULL);
  for (guint i = 0; i < self->unfinished->len; i++)
    {
      SaomaAttempt *a = g_ptr_array_index (self->unfinished, i);
      g_autofree char *when = saoma_day_report_format_time (self, saoma_attempt_get_created (a));
      g_autofree char *amount = saoma_money_format_plain (saoma_attempt_get_amount (a));
      const char *till = saoma_attempt_get_till_id (a);

      saoma_export_append_csv_record (out, "not_final", when, till ? till : "", saoma_attempt_get_out_trade_no (a),
                  amount, saoma_attempt_state_to_string (saoma_attempt_get_state (a)), NULL);
    }

  return g_string_free (out, FALSE);
}

gboolean
saoma_day_report_write_csv (SaomaDayReport  *self,
                            const char      *path,
                            GError         **error)
{
  g_autofree char *csv = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  csv = saoma_day_report_to_csv (self);
  if (!saoma_export_write_file (path, csv, -1, &local_error))
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                   "The report could not be saved: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Z close ----------------------------------------------------------------------------------- */

/**
 * saoma_day_report_find_close_in_snapshot:
 * @snapshot: a snapshot of the store (the one the report was read from, so the answer agrees
 *   with the figures)
 *
 * Blocking: worker threads only.
 *
 * Returns: (transfer full) (nullable): the detail of the Z close that closes this day, or
 *   %NULL (never closed, or reopened since; with @error set when the store could not be read)
 */
char *
saoma_day_report_find_close_in_snapshot (SaomaDayReport      *self,
                                         SaomaStoreSnapshot  *snapshot,
                                         GError             **error)
{
  g_autoptr(GPtrArray) closes = NULL;
  g_autoptr(GPtrArray) reopens = NULL;
  DayState state;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  g_return_val_if_fail (SAOMA_IS_STORE_SNAPSHOT (snapshot), NULL);

  if (!list_day_events (snapshot, &closes, &reopens, error))
    return NULL;
  find_day_state (closes, reopens, self->day_text, &state);
  /* A reopened day is not closed until it is closed again. */
  return day_state_is_closed (&state) ? g_strdup (state.close->detail) : NULL;
}

char *
saoma_day_report_find_close_sync (SaomaDayReport  *self,
                                  SaomaLedger     *ledger,
                                  GError         **error)
{
  g_autoptr(SaomaStoreSnapshot) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  /* The ledger as it is now (a close just written included). */
  if (!(snapshot = saoma_ledger_snapshot_new (ledger, &local_error)))
    {
      g_propagate_error (error, read_error (local_error));
      return NULL;
    }

  return saoma_day_report_find_close_in_snapshot (self, snapshot, error);
}

/**
 * saoma_day_report_find_close_csv_sync:
 * @self: a report
 * @ledger: the ledger
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the CSV of the report the day's Z close recorded, as it
 *   was then; %NULL (no error) when the day is not closed
 */
char *
saoma_day_report_find_close_csv_sync (SaomaDayReport  *self,
                                      SaomaLedger     *ledger,
                                      GError         **error)
{
  g_autoptr(GPtrArray) closes = NULL;
  g_autoptr(GPtrArray) reopens = NULL;
  g_autoptr(GPtrArray) reports = NULL;
  g_autoptr(SaomaStoreSnapshot) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *prefix = NULL;
  DayState state;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), NULL);

  if (!(snapshot = saoma_ledger_snapshot_new (ledger, &local_error)))
    {
      g_propagate_error (error, read_error (local_error));
      return NULL;
    }
  if (!list_day_events (snapshot, &closes, &reopens, error))
    return NULL;
  find_day_state (closes, reopens, self->day_text, &state);
  if (!day_state_is_closed (&state))
    return NULL;

  reports = saoma_store_snapshot_list_till_events (snapshot, CLOSE_REPORT_EVENT_KIND,
                                                   &local_error);
  if (reports == NULL)
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                   "The ledger could not be read: %s", local_error->message);
      return NULL;
    }
  /* The report written right after that close record. */
  prefix = g_strdup_printf ("%s\n", self->day_text);
  for (guint i = 0; i < reports->len; i++)
    {
      SaomaLedgerEvent *event = g_ptr_array_index (reports, i);

      if (event->id > state.close->id && g_str_has_prefix (event->detail, prefix))
        return g_strdup (event->detail + strlen (prefix));
    }
  return NULL;
}

gboolean
saoma_day_report_close_sync (SaomaDayReport  *self,
                             SaomaLedger     *ledger,
                             gboolean         acknowledge_unfinished,
                             GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *earlier = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *tz_text = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *stored = NULL;
  gint64 cut;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);

  if (self->unfinished->len > 0 && !acknowledge_unfinished)
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_UNFINISHED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The day cannot be closed: %u payment is not final yet. Wait "
                                "for it to finish, or confirm the close as manager.",
                                "The day cannot be closed: %u payments are not final yet. Wait "
                                "for them to finish, or confirm the close as manager.",
                                self->unfinished->len),
                   self->unfinished->len);
      return FALSE;
    }

  earlier = saoma_day_report_find_close_sync (self, ledger, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (earlier != NULL)
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_ALREADY_CLOSED,
                   "The day %s has already been closed.", self->day_text);
      return FALSE;
    }

  /* The day ends where this report was made (or at its midnight when made later): whatever
   * is paid after it belongs to the next day, so the closed figures never change. */
  cut = CLAMP (self->generated_us, self->start_us, self->end_us);
  tz_text = time_zone_text (self);
  detail = g_strdup_printf ("Z close %s (%s): payments %u, %" G_GINT64_FORMAT " fen; refunds %u, %"
                            G_GINT64_FORMAT " fen; net %" G_GINT64_FORMAT " fen; not final %u%s%s"
                            "; cut at %" G_GINT64_FORMAT,
                            self->day_text, tz_text, self->n_payments, self->payments_total,
                            self->n_refunds, self->refunds_total,
                            saoma_day_report_get_net (self), self->unfinished->len,
                            self->unfinished->len > 0 ? " (acknowledged by the manager)" : "",
                            self->reopened_at != 0 ? " (after a reopen)" : "", cut);

  if (!saoma_ledger_append_event_sync (ledger, NULL, CLOSE_EVENT_KIND, detail, &local_error))
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                   "The day close could not be recorded: %s", local_error->message);
      return FALSE;
    }

  self->closed_at = g_get_real_time ();
  self->end_us = cut;
  /* The report as it was closed, for reprints. Without it (a crash right here) a reprint is
   * computed again up to the cut. */
  csv = saoma_day_report_to_csv (self);
  stored = g_strdup_printf ("%s\n%s", self->day_text, csv);
  if (!saoma_ledger_append_event_sync (ledger, NULL, CLOSE_REPORT_EVENT_KIND, stored,
                                       &local_error))
    g_warning ("The report of the Z close of %s could not be stored: %s", self->day_text,
               local_error->message);

  return TRUE;
}

/* The "day-reopen" event of @day_text (the till's, not an order's), with @why. Blocking. */
static gboolean
record_reopen (const char   *day_text,
               SaomaLedger  *ledger,
               const char   *why,
               GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *detail = g_strdup_printf ("Z reopen %s: %s", day_text, why);

  if (!saoma_ledger_append_event_sync (ledger, NULL, REOPEN_EVENT_KIND, detail, &local_error))
    {
      g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_FAILED,
                   "The reopening could not be recorded: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * saoma_day_report_reopen_sync:
 * @self: the report of a Z-closed day
 * @ledger: the ledger
 * @pin_guard: what checks the manager PIN
 * @pin: the manager PIN
 * @reason: why (kept in the ledger, at most 80 characters)
 * @error: return location for an error
 *
 * Reopens a Z-closed day after checking the manager PIN: recorded in the ledger ("day-reopen"),
 * the day's reports say so from then on, and it can be closed again. Blocking.
 *
 * Returns: %TRUE when reopened
 */
gboolean
saoma_day_report_reopen_sync (SaomaDayReport  *self,
                              SaomaLedger     *ledger,
                              SaomaPinGuard   *pin_guard,
                              const char      *pin,
                              const char      *reason,
                              GError         **error)
{
  g_autofree char *closed = NULL;
  g_autofree char *why = NULL;

  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (SAOMA_IS_LEDGER (ledger), FALSE);
  g_return_val_if_fail (SAOMA_IS_PIN_GUARD (pin_guard), FALSE);

  closed = saoma_day_report_find_close_sync (self, ledger, error);
  if (closed == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_NOT_CLOSED,
                     "The day %s is not closed.", self->day_text);
      return FALSE;
    }
  if (!saoma_pin_guard_check_sync (pin_guard, pin != NULL ? pin : "", error))
    return FALSE;

  why = g_utf8_substring (reason != NULL ? reason : "", 0, 80);
  g_strdelimit (why, "\r\n", ' ');
  if (!record_reopen (self->day_text, ledger, why, error))
    return FALSE;
  self->closed_at = 0;
  self->reopened_at = g_get_real_time ();
  g_free (self->reopen_reason);
  self->reopen_reason = g_steal_pointer (&why);
  return TRUE;
}

gint64
saoma_day_report_get_closed_at (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->closed_at;
}

gint64
saoma_day_report_get_reopened_at (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), 0);
  return self->reopened_at;
}

const char *
saoma_day_report_get_reopen_reason (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), NULL);
  return self->reopen_reason;
}

gboolean
saoma_day_report_get_carries_previous (SaomaDayReport *self)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  return self->start_us < self->nominal_start_us;
}

typedef struct {
  SaomaLedger *ledger;
  gboolean     acknowledge;
} CloseData;

static void
close_data_free (CloseData *data)
{
  g_clear_object (&data->ledger);
  g_free (data);
}

static void
close_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CloseData *data = task_data;
  GError *error = NULL;

  if (saoma_day_report_close_sync (source_object, data->ledger, data->acknowledge, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
saoma_day_report_close_async (SaomaDayReport      *self,
                              SaomaLedger         *ledger,
                              gboolean             acknowledge_unfinished,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CloseData *data;

  g_return_if_fail (SAOMA_IS_DAY_REPORT (self));
  g_return_if_fail (SAOMA_IS_LEDGER (ledger));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_day_report_close_async);
  data = g_new0 (CloseData, 1);
  data->ledger = g_object_ref (ledger);
  data->acknowledge = acknowledge_unfinished;
  g_task_set_task_data (task, data, (GDestroyNotify) close_data_free);
  g_task_run_in_thread (task, close_worker);
}

gboolean
saoma_day_report_close_finish (SaomaDayReport  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  SaomaLedger *ledger;
  char        *day_text;
  char        *why;
} ReopenData;

static void
reopen_data_free (ReopenData *data)
{
  g_clear_object (&data->ledger);
  g_free (data->day_text);
  g_free (data->why);
  g_free (data);
}

static void
reopen_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ReopenData *data = task_data;
  GError *error = NULL;
  g_autofree char *closed = NULL;

  /* Closed when the manager asked: read again, not taken from the report on screen. */
  closed = saoma_day_report_find_close_sync (source_object, data->ledger, &error);
  if (closed == NULL)
    {
      if (error == NULL)
        g_set_error (&error, SAOMA_DAY_REPORT_ERROR, SAOMA_DAY_REPORT_ERROR_NOT_CLOSED,
                     "The day %s is not closed.", data->day_text);
      g_task_return_error (task, error);
      return;
    }
  if (!record_reopen (data->day_text, data->ledger, data->why, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * saoma_day_report_reopen_async:
 * @self: the report of a Z-closed day
 * @ledger: the ledger
 * @reason: why (kept in the ledger, at most 80 characters)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when recorded
 * @user_data: for @callback
 *
 * Records, in a worker thread, that the manager reopened the day, as
 * saoma_day_report_reopen_sync() does; the caller has checked the manager PIN first (the app's
 * guard, on its own thread, as for the Z close). @self is left as it was: load the day again.
 */
void
saoma_day_report_reopen_async (SaomaDayReport      *self,
                               SaomaLedger         *ledger,
                               const char          *reason,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReopenData *data;

  g_return_if_fail (SAOMA_IS_DAY_REPORT (self));
  g_return_if_fail (SAOMA_IS_LEDGER (ledger));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, saoma_day_report_reopen_async);
  data = g_new0 (ReopenData, 1);
  data->ledger = g_object_ref (ledger);
  data->day_text = g_strdup (self->day_text);
  data->why = g_utf8_substring (reason != NULL ? reason : "", 0, 80);
  g_strdelimit (data->why, "\r\n", ' ');
  g_task_set_task_data (task, data, (GDestroyNotify) reopen_data_free);
  g_task_run_in_thread (task, reopen_worker);
}

gboolean
saoma_day_report_reopen_finish (SaomaDayReport  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (SAOMA_IS_DAY_REPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
