/* saoma-messages.h: engine states and errors in words a cashier understands. */
#pragma once

#include <glib.h>

#include "ledger/saoma-attempt.h"

G_BEGIN_DECLS

/* A translated sentence for @error (SAOMA_GATEWAY_ERROR, SAOMA_LEDGER_ERROR, SAOMA_MONEY_ERROR, G_IO_ERROR
 * …), without technical detail: that goes in saoma_messages_dup_error_detail(). */
char       *saoma_messages_describe_error    (const GError *error);
/* "saoma-gateway-error-quark 17 (ORDER_NOT_EXIST): ORDERNOTEXIST: <technical message>" — shown
 * one click away. */
char       *saoma_messages_dup_error_detail  (const GError *error);
/* A short translated label for a ledger state ("Paid", "Waiting for scan" …). */
const char *saoma_messages_state_label       (SaomaAttemptState state);
/* The style class of a state badge: "success", "warning", "error", "accent" or "dim". */
const char *saoma_messages_state_style       (SaomaAttemptState state);
/* A short translated name for how the customer paid ("QR code" / "Payment code"). */
const char *saoma_messages_method_label      (SaomaPaymentMethod method);

G_END_DECLS
