/* test-secure.c: the process protection of saoma-secure.c, in a forked child and in the real
 * saoma binary (no core file with the API key in it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "core/saoma-secure.h"
#include "test-util.h"

/* Runs in a forked child: exit status 0 when the helper left it non-dumpable. */
static void
test_child_not_dumpable (void)
{
  pid_t pid;
  int status = 0;

  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 1);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (!saoma_secure_process_init (NULL))
        _exit (2);
      _exit (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && saoma_secure_process_is_protected ()
             ? 0 : 1);
    }

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  /* The parent, which did not call it, is untouched. */
  g_assert_false (saoma_secure_process_is_protected ());
}

static void
allow_core_files (gpointer data)
{
  struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

  setrlimit (RLIMIT_CORE, &unlimited);
}

/* Whether a process that crashes in @dir writes a core file here at all (kernel.core_pattern,
 * limits): without that, the binary's check below proves nothing. */
static gboolean
environment_dumps_core (const char *dir)
{
  pid_t pid = fork ();
  int status = 0;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      allow_core_files (NULL);
      if (chdir (dir) != 0)
        _exit (3);
      raise (SIGSEGV);
      _exit (4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  return WIFSIGNALED (status) && WCOREDUMP (status);
}

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GSocketConnection **out = user_data;

  *out = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);
  g_assert_nonnull (*out);
}

/* The real saoma, killed by SIGSEGV while it holds the (demo) merchant key and waits for the
 * gateway's answer, leaves no core file. */
static void
test_saoma_writes_no_core (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-secure-XXXXXX", &error);
  g_autofree char *ledger = g_build_filename (dir, "ledger.db", NULL);
  g_autofree char *saoma = g_build_filename (g_getenv ("SAOMA_BUILD_DIR") ?: BUILD_DIR, "src",
                                             "app", "saoma", NULL);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *gateway = NULL;
  g_autoptr(GDir) listing = NULL;
  guint16 port;
  GPid pid = 0;
  int status = 0;
  const char *name;

  g_assert_no_error (error);
  if (!environment_dumps_core (dir))
    {
      saoma_test_rm_rf (dir);
      g_test_skip ("this machine writes no core files (kernel.core_pattern or limits)");
      return;
    }
  saoma_test_rm_rf (dir);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);

  /* A gateway that accepts the connection and never answers: saoma sits in its main loop. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  gateway = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_socket_listener_accept_async (listener, NULL, accepted_cb, &connection);

  {
    const char *argv[] = { saoma, "--charge", "1", "--gateway", gateway, "--ledger", ledger,
                           NULL };

    g_spawn_async (dir, (char **)argv, NULL,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                   G_SPAWN_STDERR_TO_DEV_NULL,
                   allow_core_files, NULL, &pid, &error);
    g_assert_no_error (error);
  }
  SAOMA_TEST_WAIT_UNTIL (connection != NULL, 30);

  g_assert_cmpint (kill (pid, SIGSEGV), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGSEGV);
  g_assert_false (WCOREDUMP (status));

  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_false (g_str_has_prefix (name, "core"));

  saoma_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secure/child-not-dumpable", test_child_not_dumpable);
  g_test_add_func ("/secure/saoma-writes-no-core", test_saoma_writes_no_core);

  return g_test_run ();
}
