/* saoma-library.h: a shared library opened on first use, its functions looked up by name. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One function to look up: its name and where its address goes. */
typedef struct
{
  const char *name;
  gpointer   *where;
} SaomaLibrarySymbol;

/* The state of one library's loading; static, zero-initialised. */
typedef struct
{
  gsize  once;
  char  *failure;  /* the loader's complaint, or NULL once loaded */
} SaomaLibrary;

gboolean saoma_library_load (SaomaLibrary             *library,
                             const char               *soname,
                             const SaomaLibrarySymbol *symbols,
                             gsize                     n_symbols,
                             GError                  **error);

G_END_DECLS
