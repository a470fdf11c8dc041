/* saoma-refund-dialog.h: refund a paid order, in full or in part, behind the manager PIN. */
#pragma once

#include <adwaita.h>

#include "core/saoma-refunder.h"
#include "saoma-application.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_REFUND_DIALOG (saoma_refund_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SaomaRefundDialog, saoma_refund_dialog, SAOMA, REFUND_DIALOG, AdwWindow)

/* Loads @out_trade_no from the app's ledger; the amount starts at what is left to refund. The
 * refund runs on the app's refunder, so closing the dialog does not stop it. NULL (and a
 * warning) when the till is not ready yet. */
GtkWindow     *saoma_refund_dialog_new             (GtkWindow        *parent,
                                                    SaomaApplication *app,
                                                    const char       *out_trade_no);

/* The till's one SaomaRefunder, created on first use (or at start-up, by the application once
 * the checkout is ready) and kept on @app: it resumes unfinished refunds, follows the current
 * gateway client and loads the merchant client certificate and the PIN hash from the settings.
 * NULL while the checkout is not ready. */
SaomaRefunder *saoma_refund_dialog_ensure_refunder (SaomaApplication *app);

G_END_DECLS
