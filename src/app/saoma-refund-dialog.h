/* saoma-refund-dialog.h: refund a paid order, in full or in part, behind the manager PIN. */
#pragma once

#include <adwaita.h>

#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_REFUND_DIALOG (saoma_refund_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaRefundDialog, saoma_refund_dialog, SAOMA, REFUND_DIALOG, AdwWindow)

/* Loads @out_trade_no from @till's ledger; the amount starts at what is left to refund. The
 * refund runs on @till's refunder (which also resumed last run's refunds at start), so closing
 * the dialog does not stop it. @app gives the settings, the store name for the receipt and the
 * manager PIN's state. NULL (and a warning) when the till is not up yet. */
GtkWindow *saoma_refund_dialog_new (GtkWindow        *parent,
                                    SaomaTill        *till,
                                    SaomaApplication *app,
                                    const char       *out_trade_no);

G_END_DECLS
