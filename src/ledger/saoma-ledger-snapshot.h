/* saoma-ledger-snapshot.h: SaomaLedger's read snapshot (one read transaction on a private
 * read-only connection). */
#pragma once

#include "saoma-ledger.h"
#include "saoma-store-snapshot.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_LEDGER_SNAPSHOT (saoma_ledger_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (SaomaLedgerSnapshot, saoma_ledger_snapshot, SAOMA, LEDGER_SNAPSHOT,
                      SaomaStoreSnapshot)

/* Blocks: opens the connection and pins the snapshot. Call from a worker thread. */
SaomaStoreSnapshot *saoma_ledger_snapshot_new (SaomaLedger  *ledger,
                                               GError      **error);

G_END_DECLS
