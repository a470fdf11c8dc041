/* saoma-secure.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "saoma-secure"

#include "config.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "saoma-secure.h"

/**
 * saoma_secure_process_init:
 * @error: return location for a #GIOError
 *
 * Marks the process non-dumpable: no core file is written when it crashes, and processes of
 * the same user (a debugger, another program the cashier runs) cannot ptrace it or read its
 * memory through /proc. The API key, the keyring secrets and the manager PIN live in this
 * process's memory; an audit found the API key twice in a core file of `saoma --charge`.
 * Call it first thing in main(), before any secret is loaded, in every executable that holds
 * merchant secrets (not in wxpay-sim). The core-size limit is dropped to 0 as well, so that a
 * later setuid-style change of the dumpable flag still writes no core.
 *
 * Returns: %TRUE when the process is protected
 */
gboolean
saoma_secure_process_init (GError **error)
{
  struct rlimit no_core = { 0, 0 };

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot mark the process non-dumpable: %s", g_strerror (saved));
      return FALSE;
    }

  /* Best effort: the flag above is what counts. */
  (void)setrlimit (RLIMIT_CORE, &no_core);

  return TRUE;
}

/**
 * saoma_secure_process_is_protected:
 *
 * Returns: %TRUE when the process is non-dumpable (saoma_secure_process_init() ran)
 */
gboolean
saoma_secure_process_is_protected (void)
{
  return prctl (PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}
