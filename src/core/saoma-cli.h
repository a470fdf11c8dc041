/* saoma-cli.h: the headless commands of the saoma binary (no display needed). */
#pragma once

#include <glib.h>

#include "saoma-merchant.h"

G_BEGIN_DECLS

/* Makes a headless command's gateway: saoma_gateway_new_for_merchant() in a program that links
 * every protocol, saoma_merchant_new_v2_gateway() in saoma-cli, which links no v3 (GnuTLS's
 * RSA and json-glib cost a --charge a few milliseconds of dynamic loading) and hands a command
 * with --api v3 to saoma-cli-v3. */
typedef SaomaGateway *(*SaomaCliGatewayNew) (const SaomaMerchant *merchant,
                                             GError             **error);

/* When @argv holds a headless command (--charge, --recover, --export-day, and the ones other
 * modules register), runs it, stores its exit status in @out_status and returns TRUE.
 * Returns FALSE for anything else (the GUI then starts). With @v3_program, a command for API
 * v3 is handed to that program by exec instead (@gateway_new makes v2 gateways only). */
gboolean saoma_cli_run (int                 argc,
                        char              **argv,
                        SaomaCliGatewayNew  gateway_new,
                        const char         *v3_program,
                        int                *out_status);

/* TRUE when @argv holds one of saoma_cli_run()'s commands (the GUI forwards those to
 * saoma-cli). */
gboolean saoma_cli_wanted (int    argc,
                           char **argv);

/* How every headless command reports a failure: one line "saoma: MESSAGE" on stderr (line
 * breaks in the message become spaces). Returns @status, for `return saoma_cli_fail (…)`. */
int      saoma_cli_fail (int         status,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

/* Reads the manager PIN from @path for a headless command (--pin-file): never from argv,
 * where every user of the machine can read it. The file must be a regular file readable by
 * its owner only (like an ssh key), at most 64 bytes, holding 6 to 12 digits (surrounding
 * white space is ignored). Returns the PIN (free it with saoma_cli_free_pin()) or NULL with
 * @error naming the problem (never the file's contents). */
char    *saoma_cli_read_pin_file (const char  *path,
                                  GError     **error);
/* Wipes and frees a PIN from saoma_cli_read_pin_file() (NULL is fine). */
void     saoma_cli_free_pin      (char        *pin);
/* The words of the accountants' table (saoma-export.h) in the user's language: a
 * SaomaExportWordFunc, shared by --export-day --accounting and the app's exports. */
const char *saoma_cli_accounting_word (const char *key,
                                       gpointer    user_data);
/* @error's message in the user's language, for the errors whose English message core writes
 * for the logs (SAOMA_LATE_PAYMENT_ERROR, SAOMA_DAY_REPORT_ERROR): shared by the CLI and the
 * app. Any other error keeps its message. */
char       *saoma_cli_error_words     (const GError *error);
/* saoma_cli_fail() with @error in the user's language. Returns @status. */
int         saoma_cli_fail_error      (int           status,
                                       const GError *error);

G_END_DECLS
