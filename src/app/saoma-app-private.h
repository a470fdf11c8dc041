/* saoma-app-private.h: helpers shared by the app's sources, not part of any public header. */
#pragma once

#include <qrencode.h>
#include <glib.h>

G_BEGIN_DECLS

/* libqrencode has no GObject wrapper; this is the one place its cleanup is declared. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, QRcode_free)

G_END_DECLS
