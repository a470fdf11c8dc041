/* test-listener-limits.c: the notification listener, in a process of its own (listener-proc),
 * under a 200 MiB chunked body and a flood of slow and idle connections (issue 11.2, 11.3). */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/saoma-notify-listener.h"
#include "sim/wxpay-sim-server.h"
#include "test-util.h"

#define WAIT_UNTIL(cond) SAOMA_TEST_WAIT_UNTIL (cond, 30)

typedef struct
{
  char             *dir;
  WxpaySimServer   *sim;
  GSubprocess      *process;
  GDataInputStream *out;
  GPtrArray        *lines; /* what the helper printed, one line each */
  gboolean          reading;
  GPid              pid;
  guint             port;
} Fixture;

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;
  char    *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                             NULL, NULL);

  f->reading = FALSE;
  if (line == NULL)
    return;
  g_ptr_array_add (f->lines, line);
  f->reading = TRUE;
  g_data_input_stream_read_line_async (f->out, G_PRIORITY_DEFAULT, NULL, read_line_cb, f);
}

/* The helper's line starting with @prefix, once it printed it (bounded wait). */
static const char *
wait_line (Fixture    *f,
           const char *prefix)
{
  const char *found = NULL;

  WAIT_UNTIL (({
    for (guint i = 0; i < f->lines->len && found == NULL; i++)
      if (g_str_has_prefix (g_ptr_array_index (f->lines, i), prefix))
        found = g_ptr_array_index (f->lines, i);
    found != NULL;
  }));
  return found + strlen (prefix);
}

static char *
helper_path (void)
{
  const char *build = g_getenv ("SAOMA_BUILD_DIR");

  return g_build_filename (build ? build : BUILD_DIR, "tests", "core", "listener-proc", NULL);
}

/* Starts listener-proc with @first… (NULL-terminated) after --gateway and --ledger. */
static void
start_helper (Fixture    *f,
              const char *first,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ledger = g_build_filename (f->dir, "ledger.db", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, helper_path ());
  g_ptr_array_add (argv, g_strdup ("--gateway"));
  g_ptr_array_add (argv, g_strdup (wxpay_sim_server_get_base_uri (f->sim)));
  g_ptr_array_add (argv, g_strdup ("--ledger"));
  g_ptr_array_add (argv, g_strdup (ledger));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  /* The measure is the listener's own memory, not glibc's debugging allocator. */
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");
  f->process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  f->pid = (GPid)g_ascii_strtoll (g_subprocess_get_identifier (f->process), NULL, 10);
  f->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->process));
  f->reading = TRUE;
  g_data_input_stream_read_line_async (f->out, G_PRIORITY_DEFAULT, NULL, read_line_cb, f);

  f->port = (guint)g_ascii_strtoull (wait_line (f, "port "), NULL, 10);
  g_assert_cmpuint (f->port, >, 0);
}

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("saoma-listener-limits-XXXXXX", &error);
  g_assert_no_error (error);
  f->lines = g_ptr_array_new_with_free_func (g_free);
  f->sim = g_object_new (WXPAY_TYPE_SIM_SERVER, NULL);
  wxpay_sim_server_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  if (f->process != NULL)
    {
      /* Closing its standard input is the helper's signal to stop. */
      g_output_stream_close (g_subprocess_get_stdin_pipe (f->process), NULL, NULL);
      WAIT_UNTIL (!f->reading);
      g_assert_true (g_subprocess_wait_check (f->process, NULL, NULL));
    }
  g_clear_object (&f->out);
  g_clear_object (&f->process);
  wxpay_sim_server_shutdown (f->sim);
  g_clear_object (&f->sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->lines);
  saoma_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* A /proc/PID/status field in KiB (VmRSS, VmHWM). */
static gint64
proc_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char      *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, field);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

/* TCP connections to the listener's port that the helper holds open: its descriptors'
 * sockets, looked up in the kernel's table (established, half-closed or closing alike). */
static guint
held_connections (Fixture *f)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int)f->pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *table = NULL;
  g_auto(GStrv) rows = NULL;
  const char *name;
  guint       count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link_path = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (link_path, NULL);

      if (target != NULL && g_str_has_prefix (target, "socket:["))
        g_hash_table_add (inodes, g_strndup (target + 8, strlen (target) - 9));
    }

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL));
  rows = g_strsplit (table, "\n", -1);
  for (guint i = 1; rows[i] != NULL; i++)
    {
      g_auto(GStrv) cols = g_strsplit_set (g_strstrip (rows[i]), " ", -1);
      g_autoptr(GPtrArray) fields = g_ptr_array_new ();
      const char *colon;

      for (guint j = 0; cols[j] != NULL; j++)
        if (*cols[j] != '\0')
          g_ptr_array_add (fields, cols[j]);
      if (fields->len < 10)
        continue;
      colon = strchr (g_ptr_array_index (fields, 1), ':');
      /* local address, state (0A: LISTEN), inode */
      if (colon != NULL && g_ascii_strtoull (colon + 1, NULL, 16) == f->port &&
          g_strcmp0 (g_ptr_array_index (fields, 3), "0A") != 0 &&
          g_hash_table_contains (inodes, g_ptr_array_index (fields, 9)))
        count++;
    }
  return count;
}

static int
tcp_connect (guint port)
{
  struct sockaddr_in addr = { 0 };
  int                fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  return fd;
}

static void
send_all (int         fd,
          const char *text)
{
  gsize len = strlen (text);
  gsize done = 0;

  while (done < len)
    {
      gssize n = send (fd, text + done, len - done, MSG_NOSIGNAL);

      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

/* Reads until end-of-file or @timeout_ms; *@out_eof whether the peer closed. */
static GString *
read_until_eof (int       fd,
                guint     timeout_ms,
                gboolean *out_eof)
{
  GString *out = g_string_new (NULL);
  gint64   deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  *out_eof = FALSE;
  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64        left = (deadline - g_get_monotonic_time ()) / 1000;
      char          buf[4096];
      gssize        n;

      if (left <= 0 || poll (&pfd, 1, (int)left) <= 0)
        break;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        {
          *out_eof = TRUE;
          break;
        }
      g_string_append_len (out, buf, n);
    }
  return out;
}

/* Reads one answer without a body (headers up to the blank line), within @timeout_ms. */
static GString *
read_head (int   fd,
           guint timeout_ms)
{
  GString *out = g_string_new (NULL);
  gint64   deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (strstr (out->str, "\r\n\r\n") == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64        left = (deadline - g_get_monotonic_time ()) / 1000;
      char          buf[4096];
      gssize        n;

      if (left <= 0 || poll (&pfd, 1, (int)left) <= 0)
        break;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      g_string_append_len (out, buf, n);
    }
  return out;
}

/* One small POST answered by the listener over a connection of its own. */
static void
assert_listener_answers (Fixture *f)
{
  int      fd = tcp_connect (f->port);
  gboolean eof = FALSE;
  g_autoptr(GString) answer = NULL;

  send_all (fd, "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                "Content-Length: 11\r\n\r\n<xml></xml>");
  answer = read_until_eof (fd, 10000, &eof);
  close (fd);
  g_assert_true (eof);
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (answer->str, "FAIL"));
}

/* 11.2: a 200 MiB chunked body is refused with 413 after the first MiB, and the listener's
 * process does not grow by more than 20 MiB. */
static void
test_chunked_body (Fixture      *f,
                   gconstpointer data)
{
  const gsize      total = 200 * 1024 * 1024;
  const gsize      chunk = 64 * 1024;
  g_autofree char *payload = g_malloc (chunk);
  g_autofree char *frame = g_strdup_printf ("%zx\r\n", chunk);
  g_autoptr(GString) answer = NULL;
  gint64   rss_before, hwm_before, hwm_after;
  gboolean eof = FALSE;
  gsize    sent = 0;
  int      fd;

  start_helper (f, NULL);
  assert_listener_answers (f);
  rss_before = proc_status_kib (f->pid, "VmRSS:");
  hwm_before = proc_status_kib (f->pid, "VmHWM:");

  memset (payload, '<', chunk);
  fd = tcp_connect (f->port);
  send_all (fd, "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
  /* Until the whole body is out or the listener answers or closes. */
  while (sent < total)
    {
      struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
      gssize        n;

      g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        break;
      n = send (fd, frame, strlen (frame), MSG_NOSIGNAL);
      if (n > 0)
        n = send (fd, payload, chunk, MSG_NOSIGNAL);
      if (n > 0)
        n = send (fd, "\r\n", 2, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += chunk;
    }
  answer = read_until_eof (fd, 10000, &eof);
  close (fd);
  hwm_after = proc_status_kib (f->pid, "VmHWM:");

  g_test_message ("sent %zu MiB of 200 before the answer; RSS %" G_GINT64_FORMAT
                  " KiB before, peak grew by %" G_GINT64_FORMAT " KiB",
                  sent / (1024 * 1024), rss_before, hwm_after - hwm_before);
  g_print ("# listener RSS under a 200 MiB chunked POST: +%.1f MiB (peak; %zu MiB sent)\n",
           (hwm_after - hwm_before) / 1024.0, sent / (1024 * 1024));
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 413"));
  g_assert_true (eof);
  g_assert_cmpuint (sent, <, total);
  g_assert_cmpint (hwm_after - hwm_before, <, 20 * 1024);

  /* Announced too large: refused before a byte of the body is read. */
  fd = tcp_connect (f->port);
  send_all (fd, "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Length: 300000000\r\n\r\n<xml>");
  {
    g_autoptr(GString) early = read_until_eof (fd, 10000, &eof);

    g_assert_true (g_str_has_prefix (early->str, "HTTP/1.1 413"));
  }
  close (fd);

  assert_listener_answers (f);
}

/* 11.3: 300 requests stopped in their headers and 20 idle kept-alive connections are all
 * closed by the timeouts, and a genuine notification is answered meanwhile. */
static void
test_slow_connections (Fixture      *f,
                       gconstpointer data)
{
  const guint     n_slow = 300;
  const guint     n_idle = 20;
  g_autofree int *slow = g_new (int, n_slow);
  g_autofree int *idle = g_new (int, n_idle);
  g_autoptr(GError) error = NULL;
  g_autofree char *otn = NULL;
  g_autofree char *json = NULL;
  guint            held = G_MAXUINT;
  gint64           start;
  gint64           deadline;

  start_helper (f, "--header-timeout", "2", "--idle-timeout", "2", "--charge", "100", NULL);
  otn = g_strdup (wait_line (f, "otn "));
  g_test_message ("charged %s", otn);

  for (guint i = 0; i < n_idle; i++)
    {
      g_autoptr(GString) got = NULL;

      /* Answered, and kept alive (HTTP/1.1) for a next request that never comes. */
      idle[i] = tcp_connect (f->port);
      send_all (idle[i], "GET /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      got = read_head (idle[i], 5000);
      g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 405"));
      g_assert_null (strstr (got->str, "Connection: close"));
    }
  for (guint i = 0; i < n_slow; i++)
    {
      slow[i] = tcp_connect (f->port);
      send_all (slow[i], "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
    }
  g_test_message ("flood open");
  start = g_get_monotonic_time ();

  /* WeChat (the sim) pays and notifies: the helper polls only every 10 minutes, so PAID comes
   * from the notification, answered while the flood is still open. */
  g_assert_true (wxpay_sim_server_pay (f->sim, otn, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (wait_line (f, "PAID"), ==, "");
  g_test_message ("PAID %.2f s after the flood opened",
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
  WAIT_UNTIL ((g_free (json), json = wxpay_sim_server_dup_orders_json (f->sim),
               strstr (json, "\"acked\":true") != NULL));

  /* Every slow request and every idle connection is closed by the listener (2 s limits,
   * checked once a second: one deadline for them all, with room for a loaded machine). */
  deadline = start + 10 * G_USEC_PER_SEC;
  for (guint i = 0; i < n_slow + n_idle; i++)
    {
      int      fd = i < n_slow ? slow[i] : idle[i - n_slow];
      gint64   left_ms = MAX (1, (deadline - g_get_monotonic_time ()) / 1000);
      gboolean eof = FALSE;
      g_autoptr(GString) got = read_until_eof (fd, (guint)left_ms, &eof);

      g_assert_true (eof);
      close (fd);
    }

  /* And holds none of them. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      held = held_connections (f);
      if (held == 0)
        break;
      g_usleep (50 * 1000);
    }
  g_print ("# listener connections held after the header/idle timeouts: %u of %u\n", held,
           n_slow + n_idle);
  g_assert_cmpuint (held, ==, 0);

  assert_listener_answers (f);
}

/* At the connection cap a new client is still served: the longest-waiting slow request makes
 * room. */
static void
test_connection_cap (Fixture      *f,
                     gconstpointer data)
{
  int      slow[20];
  gboolean eof = FALSE;

  start_helper (f, "--header-timeout", "60", "--max-connections", "20", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    {
      slow[i] = tcp_connect (f->port);
      send_all (slow[i], "POST /wxpay/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
      /* One at a time, so that the oldest is known. */
      g_usleep (20 * 1000);
    }

  assert_listener_answers (f);
  {
    g_autoptr(GString) got = read_until_eof (slow[0], 5000, &eof);

    g_assert_true (eof);
  }
  /* The newer ones are left alone (their header timeout is a minute away). */
  {
    g_autoptr(GString) got = read_until_eof (slow[G_N_ELEMENTS (slow) - 1], 200, &eof);

    g_assert_false (eof);
  }
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    close (slow[i]);
}

int
main (int   argc,
      char *argv[])
{
  saoma_test_init (&argc, &argv);

  g_test_add ("/listener-limits/chunked-body", Fixture, NULL, fixture_setup, test_chunked_body,
              fixture_teardown);
  g_test_add ("/listener-limits/slow-connections", Fixture, NULL, fixture_setup,
              test_slow_connections, fixture_teardown);

  g_test_add ("/listener-limits/connection-cap", Fixture, NULL, fixture_setup,
              test_connection_cap, fixture_teardown);

  return g_test_run ();
}
