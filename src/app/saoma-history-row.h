/* saoma-history-row.h: one row of the history, its cells side by side at shared column widths. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The history's columns, left to right. */
typedef enum
{
  SAOMA_HISTORY_COLUMN_TIME,
  SAOMA_HISTORY_COLUMN_AMOUNT,
  SAOMA_HISTORY_COLUMN_METHOD,
  SAOMA_HISTORY_COLUMN_STATE,
  SAOMA_HISTORY_COLUMN_OUT_TRADE_NO,
  SAOMA_HISTORY_COLUMN_TRANSACTION,
  SAOMA_HISTORY_N_COLUMNS
} SaomaHistoryColumn;

/*
 * The geometry every row of one history shares (reference counted): the widths of the
 * columns and the height of a row, measured once from the texts a column can hold, so that a
 * row is placed without measuring its labels.
 */
typedef struct _SaomaHistoryColumns SaomaHistoryColumns;

SaomaHistoryColumns *saoma_history_columns_new   (void);
SaomaHistoryColumns *saoma_history_columns_ref   (SaomaHistoryColumns *columns);
void                 saoma_history_columns_unref (SaomaHistoryColumns *columns);
/* The height of one row (measured on first use with @widget's font). */
int                  saoma_history_columns_get_height (SaomaHistoryColumns *columns,
                                                       GtkWidget           *widget);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaomaHistoryColumns, saoma_history_columns_unref)

#define SAOMA_TYPE_HISTORY_ROW (saoma_history_row_get_type ())

G_DECLARE_FINAL_TYPE (SaomaHistoryRow, saoma_history_row, SAOMA, HISTORY_ROW, GtkWidget)

/*
 * A row of the history: one GtkLabel per column, placed at the columns' widths, with the
 * fixed height of SaomaHistoryColumns (so a list view of 200 rows measures none of them). Its
 * labels are made on the first saoma_history_row_ensure_cells() call: the page makes them
 * only for rows that are on screen, and the rows a GTK 4.8 list view keeps beyond them stay
 * empty widgets until they are scrolled to. A header row holds the column titles.
 */
GtkWidget *saoma_history_row_new          (SaomaHistoryColumns *columns,
                                           gboolean             header);
gboolean   saoma_history_row_ensure_cells (SaomaHistoryRow     *self);
gboolean   saoma_history_row_has_cells    (SaomaHistoryRow     *self);
/* The label of @column, or %NULL while the row has no cells. */
GtkLabel  *saoma_history_row_get_cell     (SaomaHistoryRow     *self,
                                           SaomaHistoryColumn   column);

G_END_DECLS
