/* saoma-micropay-job.h: one micropay (付款码) attempt being driven, a SaomaOperation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to the checkout engine (like its Native Driver): SaomaCheckout creates a job per
 * scanned code and per micropay attempt recovery resumes; the job writes the attempt before
 * the pay call leaves, carries out what saoma_micropay_decide() chooses, and tells its owner
 * of every change through one callback.
 */
#pragma once

#include <gio/gio.h>
#include "ledger/saoma-store.h"
#include "saoma-clock.h"
#include "saoma-gateway.h"
#include "saoma-micropay-flow.h"

G_BEGIN_DECLS

typedef struct _SaomaMicropayJob SaomaMicropayJob;

/* Something the owner shows changed (a durable state, the error); @finished once it is final
 * on record (or could not even be recorded). */
typedef void (*SaomaMicropayJobNotify) (SaomaMicropayJob *job,
                                        gboolean          finished,
                                        gpointer          user_data);

SaomaMicropayJob  *saoma_micropay_job_new         (SaomaGateway              *gateway,
                                                   SaomaStore                *store,
                                                   SaomaClock                *clock,
                                                   GCancellable              *cancellable,
                                                   const SaomaMicropayTiming *timing,
                                                   const char                *out_trade_no,
                                                   gint64                     amount,
                                                   const char                *description,
                                                   const char                *till_id,
                                                   gint64                     created);
SaomaMicropayJob  *saoma_micropay_job_ref         (SaomaMicropayJob *job);
void               saoma_micropay_job_unref       (SaomaMicropayJob *job);
/* The owner is gone: no more steps, no more callbacks. */
void               saoma_micropay_job_detach      (SaomaMicropayJob *job);
void               saoma_micropay_job_set_notify  (SaomaMicropayJob       *job,
                                                   SaomaMicropayJobNotify  notify,
                                                   gpointer                user_data);

/* The engine's lease owner (saoma-lease.h): the attempt is inserted with it, and the job
 * renews it while it drives. Before start or resume. */
void               saoma_micropay_job_set_owner   (SaomaMicropayJob *job,
                                                   const char       *owner);
/* A new attempt: written (CREATED, method MICROPAY), then SUBMITTED, then the one pay call.
 * @auth_code is kept in memory only, until the pay call has left. */
void               saoma_micropay_job_start       (SaomaMicropayJob *job,
                                                   const char       *auth_code,
                                                   const char       *client_ip);
/* An attempt of an earlier run, as on record. */
void               saoma_micropay_job_resume      (SaomaMicropayJob *job,
                                                   SaomaAttempt     *attempt);
/* The cashier gives up: an unsent attempt fails, a sent one is reversed. */
void               saoma_micropay_job_cancel      (SaomaMicropayJob *job);
/* Ask WeChat now (not before the pay call has left). */
void               saoma_micropay_job_query_now   (SaomaMicropayJob *job);

const char        *saoma_micropay_job_get_out_trade_no (SaomaMicropayJob *job);
gint64             saoma_micropay_job_get_amount       (SaomaMicropayJob *job);
const char        *saoma_micropay_job_get_description  (SaomaMicropayJob *job);
/* The last durable snapshot; NULL until inserted. */
SaomaAttempt      *saoma_micropay_job_get_attempt      (SaomaMicropayJob *job);
/* The state on record: CREATED before the insert, FAILED when the insert failed. */
SaomaAttemptState  saoma_micropay_job_get_state        (SaomaMicropayJob *job);
gboolean           saoma_micropay_job_get_recorded     (SaomaMicropayJob *job);
gboolean           saoma_micropay_job_get_cancelled    (SaomaMicropayJob *job);
/* What went wrong last (WeChat's refusal for a FAILED attempt), or NULL. */
const GError      *saoma_micropay_job_get_error        (SaomaMicropayJob *job);
/* Another till took its attempt over (its lease lapsed while this process was stopped). */
gboolean           saoma_micropay_job_get_taken_over   (SaomaMicropayJob *job);
/* Requests and writes in flight, the insert included. */
guint              saoma_micropay_job_get_pending      (SaomaMicropayJob *job);
/* The job as the operation recovery counts. */
gpointer           saoma_micropay_job_get_operation    (SaomaMicropayJob *job);

G_END_DECLS
