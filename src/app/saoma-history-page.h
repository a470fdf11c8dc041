/* saoma-history-page.h: every payment attempt of a day, with filters and search. */
#pragma once

#include <adwaita.h>

#include "core/saoma-checkout.h"
#include "ledger/saoma-ledger.h"

G_BEGIN_DECLS

#define SAOMA_TYPE_HISTORY_PAGE (saoma_history_page_get_type ())
G_DECLARE_FINAL_TYPE (SaomaHistoryPage, saoma_history_page, SAOMA, HISTORY_PAGE, AdwBin)

GtkWidget  *saoma_history_page_new          (void);
void        saoma_history_page_set_ledger   (SaomaHistoryPage *self,
                                             SaomaLedger      *ledger);
void        saoma_history_page_set_checkout (SaomaHistoryPage *self,
                                             SaomaCheckout    *checkout);
void        saoma_history_page_focus_search (SaomaHistoryPage *self);
/* @day: a moment of the business day to show (Beijing time, the day start setting), or NULL
 * for every day. */
void        saoma_history_page_set_day      (SaomaHistoryPage *self,
                                             GDateTime        *day);
/* The business day @date itself. */
void        saoma_history_page_set_date     (SaomaHistoryPage *self,
                                             const GDate      *date);
/* Minutes after midnight when the business day starts (the business-day-start setting). */
void        saoma_history_page_set_day_start (SaomaHistoryPage *self,
                                              guint             minutes);
/* The SaomaLedgerModel shown (NULL before the ledger is open); for tests and benchmarks. */
GListModel *saoma_history_page_get_model    (SaomaHistoryPage *self);
GtkWidget  *saoma_history_page_get_column_view (SaomaHistoryPage *self);
/* The cashier window's late-payment banner (issue 12.6) asks for these. */
void        saoma_history_page_refresh_late (SaomaHistoryPage *self);
void        saoma_history_page_show_late    (SaomaHistoryPage *self);

G_END_DECLS
