/* saoma-money.h: the only conversions between text and fen (DESIGN.md, "Money"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SAOMA_MONEY_ERROR (saoma_money_error_quark ())

typedef enum {
  SAOMA_MONEY_ERROR_EMPTY,           /* "Enter an amount" */
  SAOMA_MONEY_ERROR_INVALID,         /* not a plain decimal number ("12,5", "1e3", "abc") */
  SAOMA_MONEY_ERROR_NEGATIVE,
  SAOMA_MONEY_ERROR_ZERO,
  SAOMA_MONEY_ERROR_TOO_MANY_DECIMALS,
  SAOMA_MONEY_ERROR_TOO_LARGE,       /* over @max_fen, or overflowing */
} SaomaMoneyError;

GQuark   saoma_money_error_quark (void);

/* Default maximum for one charge: ¥100,000.00. */
#define SAOMA_MONEY_DEFAULT_MAX_FEN G_GINT64_CONSTANT (10000000)

/* Parses "12", "12.5", "12.50", full-width digits and dot (NFKC-folded), surrounding spaces;
 * an optional leading "¥"/"￥". Result > 0 and ≤ @max_fen. The GError message is a complete,
 * translatable sentence (gettext domain "saoma") naming what is wrong. */
gboolean saoma_money_parse       (const char *text,
                                  gint64      max_fen,
                                  gint64     *out_fen,
                                  GError    **error);
/* 1250 → "¥12.50"; negative values as "-¥12.50". */
char    *saoma_money_format      (gint64 fen);
/* 1250 → "12.50" (for CSV and bills). */
char    *saoma_money_format_plain (gint64 fen);

G_END_DECLS
