/* saoma-lease.h: one owner per attempt and per refund (DESIGN.md, "Ownership").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ledger/saoma-store.h"

G_BEGIN_DECLS

/* The owner renews its leases this often; another engine takes a lease over once its
 * heartbeat is older than three of these (a process that stopped renewing), or at once when
 * the owner's process on this machine is gone. */
#define SAOMA_LEASE_INTERVAL_S      10
#define SAOMA_LEASE_LAPSE_INTERVALS 3

typedef enum
{
  SAOMA_LEASE_FREE,     /* nobody holds it (released, final, or from before leases) */
  SAOMA_LEASE_MINE,     /* this process holds it */
  SAOMA_LEASE_HELD,     /* another owner, alive as far as we can tell, heartbeat fresh */
  SAOMA_LEASE_LAPSED,   /* its heartbeat is older than the lapse */
  SAOMA_LEASE_ORPHANED, /* its owner's process on this machine is gone */
} SaomaLeaseVerdict;

char             *saoma_lease_owner_new (const char *till_id);
gboolean          saoma_lease_owner_parse (const char *owner,
                                           char      **out_boot_id,
                                           gint64     *out_pid,
                                           guint64    *out_start_time,
                                           char      **out_till_id);
gint64            saoma_lease_interval_us (void);
SaomaLeaseVerdict saoma_lease_judge (const char *owner,
                                     gint64      heartbeat,
                                     gint64      now,
                                     const char *self_owner);
gboolean          saoma_lease_verdict_takes (SaomaLeaseVerdict verdict);

/* Recovery's take-over: the leases of every unfinished row of one kind, judged; those that may
 * be taken are claimed in one compare-and-set write. */
typedef struct
{
  GHashTable *won;  /* key → SaomaLedgerLease, ours now */
  GHashTable *held; /* key → SaomaLedgerLease, left to their living owner */
} SaomaLeaseTakeOver;

void                saoma_lease_take_over_async (SaomaStore         *store,
                                                 SaomaLeaseKind      kind,
                                                 const char         *owner,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
SaomaLeaseTakeOver *saoma_lease_take_over_finish (GAsyncResult *result,
                                                  GError      **error);
void                saoma_lease_take_over_free (SaomaLeaseTakeOver *take_over);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaLeaseTakeOver, saoma_lease_take_over_free)

/* One row's lease for @owner, before an engine drives it outside a recovery (a refund opened
 * from the history): taken when nobody living holds it (a compare-and-set, like a take-over),
 * already @owner's counts as taken; else FALSE with the living holder in @out_holder. */
void                saoma_lease_claim_async (SaomaStore         *store,
                                             SaomaLeaseKind      kind,
                                             const char         *key,
                                             const char         *owner,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
gboolean            saoma_lease_claim_finish (GAsyncResult *result,
                                              char        **out_holder,
                                              GError      **error);

/* The heartbeat of one owner on one store: every lease its engines hold, renewed in one write
 * every interval while any is held. Shared by the engines of a process (checkout, refunder). */
typedef struct _SaomaLeaseKeeper SaomaLeaseKeeper;

/* After each renewal, for each lease it was for: @kept, renewed; else it was not (another
 * engine took the row over while this process was stopped or starved past the lapse), and the
 * keeper no longer holds it. */
typedef void (*SaomaLeaseNewsFunc) (SaomaLeaseKind kind,
                                    const char    *key,
                                    gboolean       kept,
                                    gpointer       user_data);

SaomaLeaseKeeper *saoma_lease_keeper_get (SaomaStore *store,
                                          const char *owner);
void              saoma_lease_keeper_unref (SaomaLeaseKeeper *keeper);
const char       *saoma_lease_keeper_get_owner (SaomaLeaseKeeper *keeper);
void              saoma_lease_keeper_hold (SaomaLeaseKeeper  *keeper,
                                           SaomaLeaseKind     kind,
                                           const char        *key,
                                           SaomaLeaseNewsFunc news,
                                           gpointer           user_data);
gboolean          saoma_lease_keeper_is_fresh (SaomaLeaseKeeper *keeper,
                                               SaomaLeaseKind    kind,
                                               const char       *key);
void              saoma_lease_keeper_renew_now (SaomaLeaseKeeper *keeper);
void              saoma_lease_keeper_drop (SaomaLeaseKeeper *keeper,
                                           SaomaLeaseKind    kind,
                                           const char       *key,
                                           gboolean          release);
guint             saoma_lease_keeper_get_n_held (SaomaLeaseKeeper *keeper);

G_END_DECLS
