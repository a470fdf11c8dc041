/* set-manager-pin.c: stores a manager PIN in the keyring of the environment (the file keyring
 * of a UI test: SECRET_BACKEND=file), as Preferences → Manager PIN does, so that a UI test can
 * drive refunds and late-payment decisions through the real dialogs.
 *
 * usage: echo PIN | set-manager-pin   (a PIN never goes in argv) */
#include "config.h"

#include <stdio.h>

#include "core/saoma-pin-guard.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SaomaPinGuard) guard = NULL;
  g_autoptr(GError) error = NULL;
  char pin[32] = { 0 };

  if (argc != 1 || fgets (pin, sizeof pin, stdin) == NULL)
    {
      g_printerr ("usage: echo PIN | set-manager-pin\n");
      return 2;
    }
  g_strchomp (pin);

  guard = saoma_pin_guard_new (NULL, NULL);
  if (!saoma_pin_guard_set_sync (guard, NULL, pin, &error))
    {
      g_printerr ("set-manager-pin: %s\n", error->message);
      return 1;
    }

  return 0;
}
