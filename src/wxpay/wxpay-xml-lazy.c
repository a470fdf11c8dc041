/* wxpay-xml-lazy.c: libxml2 for saoma-cli and the GUI, loaded when a body first needs it, not
 * at exec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The v2 codec reads the gateway's flat <xml> bodies with its own single-pass reader and hands
 * libxml2 only what that reader does not take (a declaration, a comment, a DOCTYPE, anything
 * malformed: src/wxpay/wxpay-xml.c). A charge against WeChat or wxpay-sim never gets there, yet
 * libxml2 brings ICU (its data and libstdc++) and liblzma, and mapping and relocating them cost
 * `saoma-cli --charge` 2.5 to 3 ms of its 9 before main() (issue 10, point 7; measured with an
 * empty program linked against saoma-cli's libraries with and without libxml2), and the GUI's
 * cold start as much (issue 19).
 *
 * As src/app/saoma-soup-lazy.c does for libsoup in the GUI: this file is compiled into each
 * executable (saoma-cli and saoma), not into a library, and defines the libxml2 functions the
 * codec calls; the first call dlopen()s libxml2 and each forwards to the real function.
 * Because the executable defines them, the linker (--as-needed) no longer records libxml2 as
 * needed. Every libxml2 function the codec calls must be here: one that is missing makes the
 * linker keep libxml2, which the policy tests `cli-links-no-gtk` (tests/check-cli-links.sh) and
 * `gui-lazy-soup` (tests/check-gui-lazy-soup.sh) refuse. The prototypes come from libxml2's own
 * headers, so a signature that differs does not compile. It lives with the codec (core reaches
 * libxml2 only through libwxpay) and takes only the header-only loader from core.
 */
#define G_LOG_DOMAIN "wxpay-xml-lazy"

#include "config.h"

#include "core/saoma-lazy-symbol.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#define XML_LAZY(ret, name, params, args) SAOMA_LAZY ("libxml2.so.2", ret, name, params, args)
#define XML_LAZY_VOID(name, params, args) SAOMA_LAZY_VOID ("libxml2.so.2", name, params, args)

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
