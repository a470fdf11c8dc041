/* set-manager-pin.c: stores the manager PIN read from stdin in the keyring of the environment
 * (SECRET_BACKEND=file …), as Preferences would, for UI tests of the real binary. Never from
 * argv. Exit 0 when stored. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/saoma-pin-guard.h"

int
main (void)
{
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(GError) error = NULL;
  char pin[32] = { 0 };

  if (fgets (pin, sizeof pin, stdin) == NULL)
    return 2;
  pin[strcspn (pin, "\r\n")] = '\0';
  guard = saoma_pin_guard_new (NULL, NULL);
  if (!saoma_pin_guard_set_sync (guard, NULL, pin, &error))
    {
      g_printerr ("set-manager-pin: %s\n", error->message);
      return 1;
    }
  return 0;
}
