/* peer-adw-window.c: bench-ui's second floor for cold start: the smallest AdwApplication with
 * an AdwApplicationWindow (header bar and a status page), what every libadwaita application
 * pays before its own code runs. After its first painted frame it prints its CPU time so far
 * ("SAOMA_STAGE first-frame-cpu <CLOCK_MONOTONIC µs> <CPU µs>") and
 * "SAOMA_FIRST_FRAME <CLOCK_MONOTONIC µs>", and exits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The window-width and window-height defaults of data/io.github.saoma.Cashier.gschema.xml. */
#define PEER_WINDOW_WIDTH  1100
#define PEER_WINDOW_HEIGHT 720

static void
painted_cb (GdkFrameClock *clock,
            gpointer       user_data)
{
  struct timespec cpu = { 0, 0 };

  /* As Saoma: the CPU time of all threads so far, then the stamp. */
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu);
  printf ("SAOMA_STAGE first-frame-cpu %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
          g_get_monotonic_time (), (gint64) cpu.tv_sec * G_USEC_PER_SEC + cpu.tv_nsec / 1000);
  printf ("SAOMA_FIRST_FRAME %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  fflush (stdout);
  exit (0);
}

/* The first frame's layout and paint phases end (GTK's own handlers ran first), as Saoma's. */
static void
phase_cb (GdkFrameClock *clock,
          gpointer       stage)
{
  printf ("SAOMA_STAGE %s %" G_GINT64_FORMAT "\n", (const char *) stage, g_get_monotonic_time ());
  g_signal_handlers_disconnect_by_func (clock, phase_cb, stage);
}

static void
realize_cb (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  printf ("SAOMA_STAGE realized %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_signal_connect (clock, "layout", G_CALLBACK (phase_cb), (gpointer) "first-layout");
  g_signal_connect (clock, "paint", G_CALLBACK (phase_cb), (gpointer) "first-paint");
  g_signal_connect (clock, "after-paint", G_CALLBACK (painted_cb), NULL);
}

/* The stages Saoma stamps too (bench-ui prints them side by side). */
static void
stamp (const char *stage)
{
  printf ("SAOMA_STAGE %s %" G_GINT64_FORMAT "\n", stage, g_get_monotonic_time ());
}

static void
startup_cb (GApplication *app)
{
  /* Connected after AdwApplication's own startup: libadwaita is initialised. */
  stamp ("adw-startup-done");
}

static void
activate_cb (GApplication *app)
{
  GtkWidget *window;

  stamp ("activate");
  window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (page), "Hello");
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), page);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  /* As the bare window: Saoma's default size, the same pixels to paint. */
  gtk_window_set_default_size (GTK_WINDOW (window), PEER_WINDOW_WIDTH, PEER_WINDOW_HEIGHT);
  stamp ("window-built");
  g_signal_connect_after (window, "realize", G_CALLBACK (realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  printf ("SAOMA_STAGE presented %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;

  stamp ("main");
  /* The same flags as Saoma's: with a session bus both pay for registering their name. */
  app = adw_application_new ("io.github.saoma.BenchPeer", G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect_after (app, "startup", G_CALLBACK (startup_cb), NULL);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
