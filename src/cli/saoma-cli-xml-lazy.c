/* saoma-cli-xml-lazy.c: saoma-cli's libxml2, loaded when a body first needs it, not at exec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The v2 codec reads the gateway's flat <xml> bodies with its own single-pass reader and hands
 * libxml2 only what that reader does not take (a declaration, a comment, a DOCTYPE, anything
 * malformed: src/wxpay/wxpay-xml.c). A charge against WeChat or wxpay-sim never gets there, yet
 * libxml2 brings ICU (its data and libstdc++) and liblzma, and mapping and relocating them cost
 * `saoma-cli --charge` 2.5 to 3 ms of its 9 before main() (issue 10, point 7; measured with an
 * empty program linked against saoma-cli's libraries with and without libxml2).
 *
 * As src/app/saoma-soup-lazy.c does for libsoup in the GUI: this file defines, in saoma-cli
 * only, the libxml2 functions the codec calls; the first call dlopen()s libxml2 and each
 * forwards to the real function. Because the executable defines them, the linker
 * (--as-needed) no longer records libxml2 as needed. Every libxml2 function the codec calls
 * must be here: one that is missing makes the linker keep libxml2, which the policy test
 * `cli-links-no-gtk` (tests/check-cli-links.sh) refuses. The prototypes come from libxml2's own
 * headers, so a signature that differs does not compile.
 */
#define G_LOG_DOMAIN "saoma-cli"

#include "config.h"

#include <dlfcn.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

static void *
xml_library (void)
{
  static gsize once;
  static void *library;

  if (g_once_init_enter (&once))
    {
      /* RTLD_NOW: a missing symbol fails here, once. libxml2 is a dependency of the package,
       * as libsoup is: without it the installation is broken. */
      library = dlopen ("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
      if (library == NULL)
        g_error ("Cannot load libxml2: %s", dlerror ());
      g_once_init_leave (&once, 1);
    }
  return library;
}

static gpointer
xml_symbol (const char *name)
{
  gpointer symbol = dlsym (xml_library (), name);

  if (symbol == NULL)
    g_error ("libxml2 has no %s: %s", name, dlerror ());
  return symbol;
}

/* Each function looks its real one up once (a pointer-sized store: a race only looks it up
 * twice). */
#define XML_LAZY(ret, name, params, args)            \
  ret name params                                    \
  {                                                  \
    static ret (*real) params;                       \
    ret (*fn) params = g_atomic_pointer_get (&real); \
                                                     \
    if (fn == NULL)                                  \
      {                                              \
        fn = (ret (*) params)xml_symbol (#name);     \
        g_atomic_pointer_set (&real, fn);            \
      }                                              \
    return fn args;                                  \
  }

#define XML_LAZY_VOID(name, params, args)             \
  void name params                                    \
  {                                                   \
    static void (*real) params;                       \
    void (*fn) params = g_atomic_pointer_get (&real); \
                                                      \
    if (fn == NULL)                                   \
      {                                               \
        fn = (void (*) params)xml_symbol (#name);     \
        g_atomic_pointer_set (&real, fn);             \
      }                                               \
    fn args;                                          \
  }

/* Each parameter list below is written as in libxml2's headers; clang-format would break them. */
/* clang-format off */
XML_LAZY_VOID (xmlInitParser, (void), ())
XML_LAZY (xmlParserCtxtPtr, xmlNewParserCtxt, (void), ())
XML_LAZY_VOID (xmlFreeParserCtxt, (xmlParserCtxtPtr ctxt), (ctxt))
XML_LAZY_VOID (xmlStopParser, (xmlParserCtxtPtr ctxt), (ctxt))
XML_LAZY (int, xmlDictSize, (xmlDictPtr dict), (dict))
XML_LAZY (xmlDocPtr, xmlCtxtReadMemory,
          (xmlParserCtxtPtr ctxt, const char *buffer, int size, const char *URL,
           const char *encoding, int options),
          (ctxt, buffer, size, URL, encoding, options))
XML_LAZY_VOID (xmlFreeDoc, (xmlDocPtr cur), (cur))
/* clang-format on */
