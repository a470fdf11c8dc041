/* saoma-library.c: a shared library opened on first use, its functions looked up by name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For libraries a process may never need, whose absence is an error to report and not a
 * crash: libsecret in the manager PIN's guard (saoma-pin-guard.c) and the GUI's keyring
 * (src/app/saoma-keyring.c). Libraries every sale needs are forwarded by name instead, and a
 * missing one is fatal (saoma-lazy-symbol.h).
 */
#define G_LOG_DOMAIN "saoma-library"

#include "config.h"

#include <gio/gio.h>
#include <gmodule.h>

#include "saoma-library.h"

/**
 * saoma_library_load:
 * @library: this library's loading state (static)
 * @symbols: (array length=n_symbols): the functions to look up
 *
 * Opens @soname and fills every symbol's address, once per process; the library then stays for
 * the process's life, like a linked one. A failure is remembered and given again.
 *
 * Returns: %TRUE when every symbol was found, else %FALSE with the loader's complaint in @error
 */
gboolean
saoma_library_load (SaomaLibrary             *library,
                    const char               *soname,
                    const SaomaLibrarySymbol *symbols,
                    gsize                     n_symbols,
                    GError                  **error)
{
  if (g_once_init_enter (&library->once))
    {
      GModule *module = g_module_open (soname, G_MODULE_BIND_LOCAL);

      if (module == NULL)
        library->failure = g_strdup (g_module_error ());
      for (gsize i = 0; library->failure == NULL && i < n_symbols; i++)
        if (!g_module_symbol (module, symbols[i].name, symbols[i].where))
          library->failure = g_strdup (g_module_error ());
      if (module != NULL && library->failure != NULL)
        g_module_close (module);
      else if (module != NULL)
        g_module_make_resident (module);
      g_once_init_leave (&library->once, 1);
    }

  if (library->failure != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "cannot load %s: %s", soname,
                   library->failure);
      return FALSE;
    }
  return TRUE;
}
