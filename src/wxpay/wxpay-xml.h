/* wxpay-xml.h: the hardened XML codec for <xml> bodies (reference §1). */
#pragma once

#include <gio/gio.h>
#include "wxpay-params.h"

G_BEGIN_DECLS

#define WXPAY_XML_MAX_SIZE (1024 * 1024)

/* <xml><name>value</name>…</xml>, values as CDATA (split around "]]>"); UTF-8, no declaration. */
GBytes      *wxpay_xml_encode      (const WxpayParams *params);
char        *wxpay_xml_encode_string (const WxpayParams *params);
/* Parses a flat document whose root is @root_name ("xml" for gateway bodies, "root" for a
 * decrypted refund req_info). Rejects with WXPAY_ERROR_MALFORMED_XML: any DOCTYPE or entity
 * declaration, bodies over WXPAY_XML_MAX_SIZE, non-UTF-8, a wrong root, nested elements,
 * attributes-only nesting, duplicate fields, a truncated document. */
WxpayParams *wxpay_xml_decode_root (const char *data,
                                    gsize       length,
                                    const char *root_name,
                                    GError    **error);
WxpayParams *wxpay_xml_decode      (const char *data,
                                    gsize       length,
                                    GError    **error);

G_END_DECLS
