/* saoma-columns-layout.h: side by side when the width allows, one column when it does not. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SAOMA_TYPE_COLUMNS_LAYOUT (saoma_columns_layout_get_type ())

G_DECLARE_FINAL_TYPE (SaomaColumnsLayout, saoma_columns_layout, SAOMA, COLUMNS_LAYOUT,
                      GtkLayoutManager)

GtkLayoutManager *saoma_columns_layout_new         (void);
int               saoma_columns_layout_get_spacing (SaomaColumnsLayout *self);
void              saoma_columns_layout_set_spacing (SaomaColumnsLayout *self,
                                                    int                 spacing);
gboolean          saoma_columns_layout_get_folded  (SaomaColumnsLayout *self);
void              saoma_columns_layout_set_reversed (SaomaColumnsLayout *self,
                                                     gboolean            reversed);

G_END_DECLS
