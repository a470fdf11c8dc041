/* wxpay.h: libwxpay, the WeChat Pay v2 and v3 protocols. GLib, GIO, libsoup 3, libxml2, GnuTLS. */
#pragma once

#include "wxpay-params.h"
#include "wxpay-error.h"
#include "wxpay-sign.h"
#include "wxpay-xml.h"
#include "wxpay-client.h"
#include "wxpay-notify.h"
#include "wxpay-bill.h"
#include "wxpay-server-guard.h"
#include "wxpay3-sign.h"
#include "wxpay3-crypto.h"
#include "wxpay3-error.h"
#include "wxpay3-client.h"
