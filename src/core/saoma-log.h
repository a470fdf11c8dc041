/* saoma-log.h: text from the network made safe to log or print. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At most this many bytes of the input are shown; the rest becomes "…". */
#define SAOMA_LOG_ESCAPE_MAX 512

char *saoma_log_escape (const char *text);

G_END_DECLS
