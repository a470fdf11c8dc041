/* saoma-types.h: forward declarations of the types the app's headers pass around.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A header that only names a type in a prototype includes this instead of the type's header,
 * so that app headers do not include each other in a cycle through saoma-application.h. The
 * .c files include the headers of what they use.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The app. */
typedef struct _SaomaApplication              SaomaApplication;
typedef struct _SaomaAttemptDialog            SaomaAttemptDialog;
typedef struct _SaomaCustomerDisplay          SaomaCustomerDisplay;
typedef struct _SaomaDayCloseWindow           SaomaDayCloseWindow;
typedef struct _SaomaDemoGateway              SaomaDemoGateway;
typedef struct _SaomaHistoryPage              SaomaHistoryPage;
typedef struct _SaomaPinDialog                SaomaPinDialog;
typedef struct _SaomaPreferencesWindow        SaomaPreferencesWindow;
typedef struct _SaomaReconcileWindow          SaomaReconcileWindow;
typedef struct _SaomaRefundDialog             SaomaRefundDialog;
typedef struct _SaomaWindow                   SaomaWindow;

/* What the views are given (src/core, src/ledger). */
typedef struct _SaomaCheckout                 SaomaCheckout;
typedef struct _SaomaLedger                   SaomaLedger;
typedef struct _SaomaRefunder                 SaomaRefunder;
typedef struct _SaomaTill                     SaomaTill;

G_END_DECLS
