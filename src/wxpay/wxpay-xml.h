/* wxpay-xml.h: the hardened XML codec for <xml> bodies (reference §1). */
#pragma once

#include <gio/gio.h>
#include "wxpay-params.h"

G_BEGIN_DECLS

#define WXPAY_XML_MAX_SIZE (1024 * 1024)
/* The most fields a decoded body may hold. The largest real message is a refundquery answer:
 * 8 order fields, the common ones (return_code … sign, about 12) and, per refund $n, 11 fields
 * plus 3 per coupon ($n_$m). Even 50 refunds (the most an order can have) with a coupon each
 * come to 20 + 50 × 14 = 720, under 1024; any other message has fewer than 100. */
#define WXPAY_XML_MAX_FIELDS 1024

/* <xml><name>value</name>…</xml>, values as CDATA (split around "]]>"); UTF-8, no declaration. */
GBytes      *wxpay_xml_encode      (const WxpayParams *params);
char        *wxpay_xml_encode_string (const WxpayParams *params);
/* Parses a flat document whose root is @root_name ("xml" for gateway bodies, "root" for a
 * decrypted refund req_info). Rejects with WXPAY_ERROR_MALFORMED_XML: any DOCTYPE or entity
 * declaration, bodies over WXPAY_XML_MAX_SIZE, non-UTF-8, a wrong root, nested elements,
 * attributes, nesting, comments that are not well-formed, processing instructions, more than
 * WXPAY_XML_MAX_FIELDS fields, duplicate fields, a truncated document. */
WxpayParams *wxpay_xml_decode_root (const char *data,
                                    gsize       length,
                                    const char *root_name,
                                    GError    **error);
WxpayParams *wxpay_xml_decode      (const char *data,
                                    gsize       length,
                                    GError    **error);

G_END_DECLS
