/* saoma-reconcile-window.h: reconciliation (对账) against WeChat's bill, with actions. */
#pragma once

#include <adwaita.h>

#include "saoma-types.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_RECONCILE_WINDOW (saoma_reconcile_window_get_type ())
G_DECLARE_FINAL_TYPE (SaomaReconcileWindow, saoma_reconcile_window, SAOMA, RECONCILE_WINDOW,
                      AdwWindow)

/* Opens on yesterday (Beijing): WeChat makes a day's bill the next morning. Compares @till's
 * ledger with its gateway's bill; "Query now" and "Follow" act through @till's checkout and
 * refunder. */
GtkWindow *saoma_reconcile_window_new      (GtkWindow *parent,
                                            SaomaTill *till);
void       saoma_reconcile_window_set_date (SaomaReconcileWindow *self,
                                            const GDate          *date);
/* Downloads the bill and compares (what the "Compare" button does). */
void       saoma_reconcile_window_compare  (SaomaReconcileWindow *self);

G_END_DECLS
