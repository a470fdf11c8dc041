/* saoma-lazy-symbol.h: a library's functions defined by the executable and forwarded to the
 * library, which is dlopen()ed on the first call instead of mapped at exec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Used by src/app/saoma-soup-lazy.c (libsoup in the GUI) and src/wxpay/wxpay-xml-lazy.c
 * (libxml2 in saoma-cli and the GUI); each of those files forwards to one library.
 */
#pragma once

#include <dlfcn.h>
#include <glib.h>

G_BEGIN_DECLS

/* The symbol @name of @soname, loaded once per file. RTLD_NOW: a missing symbol fails here,
 * once, not in the middle of a sale; the library is a dependency of the package, so failing to
 * load it means a broken installation. */
static inline gpointer
saoma_lazy_symbol (const char *soname,
                   const char *name)
{
  static gsize once;
  static void *library;
  gpointer symbol;

  if (g_once_init_enter (&once))
    {
      library = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
      if (library == NULL)
        g_error ("Cannot load %s: %s", soname, dlerror ());
      g_once_init_leave (&once, 1);
    }
  symbol = dlsym (library, name);
  if (symbol == NULL)
    g_error ("%s has no %s: %s", soname, name, dlerror ());
  return symbol;
}

/* Each function looks its real one up once (a pointer-sized store: a race only looks it up
 * twice). */
#define SAOMA_LAZY_FN(soname, name)                                        \
  static __typeof__ (&name) real;                                          \
  __typeof__ (&name) fn = g_atomic_pointer_get (&real);                    \
                                                                           \
  if (fn == NULL)                                                          \
    {                                                                      \
      fn = (__typeof__ (&name))saoma_lazy_symbol (soname, #name);          \
      g_atomic_pointer_set (&real, fn);                                    \
    }

#define SAOMA_LAZY(soname, ret, name, params, args) \
  ret name params                                   \
  {                                                 \
    SAOMA_LAZY_FN (soname, name)                    \
    return fn args;                                 \
  }

#define SAOMA_LAZY_VOID(soname, name, params, args) \
  void name params                                  \
  {                                                 \
    SAOMA_LAZY_FN (soname, name)                    \
    fn args;                                        \
  }

G_END_DECLS
