/* saoma-attempt-dialog.h: one payment attempt, its audit timeline and "Query now". */
#pragma once

#include <adwaita.h>

#include "core/saoma-checkout.h"
#include "ledger/saoma-store.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_ATTEMPT_DIALOG (saoma_attempt_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaAttemptDialog, saoma_attempt_dialog, SAOMA, ATTEMPT_DIALOG, AdwWindow)

/* Loads the attempt and its events asynchronously from @store (a SaomaStore); follows the
 * store's changes to it. @checkout (nullable) enables "Query now" for a non-final attempt.
 * @store is untyped while the reports still hand over their SaomaLedger (which is a
 * SaomaStore); it becomes SaomaStore * once they hold the till's store. */
GtkWindow *saoma_attempt_dialog_new (GtkWindow     *parent,
                                     gpointer       store,
                                     SaomaCheckout *checkout,
                                     const char    *out_trade_no);

G_END_DECLS
