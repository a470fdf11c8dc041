/* peer-gtk-window.c: bench-ui's floor for cold start: a bare GtkWindow with a label, nothing
 * else. After its first painted frame it prints its CPU time so far
 * ("SAOMA_STAGE first-frame-cpu <CLOCK_MONOTONIC µs> <CPU µs>") and
 * "SAOMA_FIRST_FRAME <CLOCK_MONOTONIC µs>", and exits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gtk/gtk.h>
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

int
main (void)
{
  GtkWidget *window;

  /* The stages Saoma stamps too (bench-ui prints them side by side). */
  printf ("SAOMA_STAGE main %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  if (!gtk_init_check ())
    return 77;
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), gtk_label_new ("Hello"));
  /* Saoma's window opens at its settings' default size: the same pixels to clear, paint and
   * hand to the X server, so the ratio is what Saoma adds, not what a bigger window costs. */
  gtk_window_set_default_size (GTK_WINDOW (window), PEER_WINDOW_WIDTH, PEER_WINDOW_HEIGHT);
  printf ("SAOMA_STAGE window-built %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_signal_connect_after (window, "realize", G_CALLBACK (realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  printf ("SAOMA_STAGE presented %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}
