/* saoma-attempt-dialog.h: one payment attempt, its audit timeline and "Query now". */
#pragma once

#include <adwaita.h>

#include "core/saoma-checkout.h"
#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_ATTEMPT_DIALOG (saoma_attempt_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaAttemptDialog, saoma_attempt_dialog, SAOMA, ATTEMPT_DIALOG, AdwWindow)

/* Loads the attempt and its events asynchronously; follows the ledger's changes to it.
 * @checkout (nullable) enables "Query now" for a non-final attempt. */
GtkWindow *saoma_attempt_dialog_new (GtkWindow     *parent,
                                     SaomaLedger   *ledger,
                                     SaomaCheckout *checkout,
                                     const char    *out_trade_no);

G_END_DECLS
