/* saoma-ledger-private.h: shared between the ledger, its model and the ledger tests. */
#pragma once

#include <sqlite3.h>

#include "saoma-ledger.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* The columns saoma_ledger_attempt_from_stmt() expects, in order. */
#define SAOMA_LEDGER_ATTEMPT_COLUMNS \
  "id, out_trade_no, amount, description, till_id, created, updated, expires, state, " \
  "transaction_id, code_url, refunded, paid_at, late, request, method"

#define SAOMA_LEDGER_REFUND_COLUMNS \
  "id, out_refund_no, out_trade_no, amount, reason, state, refund_id, created, updated, succeeded"
#define SAOMA_LEDGER_EVENT_COLUMNS "id, time, out_trade_no, kind, detail"
#define SAOMA_LEDGER_UNFINISHED_STATES "('CREATED', 'SUBMITTED', 'WAITING', 'UNKNOWN', 'CLOSING')"

SaomaAttempt      *saoma_ledger_attempt_from_stmt (sqlite3_stmt *stmt);
SaomaLedgerRefund *saoma_ledger_refund_from_stmt  (sqlite3_stmt *stmt);
SaomaLedgerEvent  *saoma_ledger_event_from_stmt   (sqlite3_stmt *stmt);
/* A new read-only connection to the ledger's file (WAL: reads never wait for the writer). */
sqlite3      *saoma_ledger_open_reader           (SaomaLedger  *self,
                                                  GError      **error);
void          saoma_ledger_set_sqlite_error      (GError      **error,
                                                  sqlite3      *db,
                                                  const char   *what);
/* The schema: migration @version (1-based) and the newest version this build knows. */
const char   *saoma_ledger_migration_sql         (guint         version);
guint         saoma_ledger_schema_version        (void);

void          saoma_attempt_set_previous         (SaomaAttempt *self,
                                                  SaomaAttempt *previous);

G_END_DECLS
