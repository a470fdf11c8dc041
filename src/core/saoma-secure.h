/* saoma-secure.h: process-wide protection of the secrets a till holds in memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean saoma_secure_process_init (GError **error);
gboolean saoma_secure_process_is_protected (void);

G_END_DECLS
