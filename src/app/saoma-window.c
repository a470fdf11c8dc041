/* saoma-window.c: the cashier window: amount, QR, countdown, status and history. */
#define G_LOG_DOMAIN "saoma-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-bench-stamp.h"
#include "core/saoma-late-payments.h"
#include "core/saoma-micropay-flow.h"
#include "core/saoma-money.h"

#include "saoma-app-private.h"
#include "saoma-application.h"
#include "saoma-attempt-dialog.h"
#include "saoma-columns-layout.h"
#include "saoma-history-page.h"
#include "saoma-message-bar.h"
#include "saoma-messages.h"
#include "saoma-qr-view.h"
#include "saoma-quiet-gate.h"
#include "saoma-scan-capture.h"
#include "saoma-window.h"

struct _SaomaWindow
{
  AdwApplicationWindow  parent_instance;

  SaomaApplication     *application;
  SaomaCheckout        *checkout;
  GCancellable         *cancellable;
  char                 *late_out_trade_no; /* the late payment the banner's Details opens */
  gboolean              late_live;         /* its text is the engine's news, not the ledger's */
  guint                 n_late;            /* undecided late payments the ledger holds */
  SaomaLedger          *late_ledger;       /* where they are read (the till's) */
  GCancellable         *late_cancellable;  /* that read */
  char                 *late_text;         /* what the banner says while it is shown */
  gboolean              resetting;
  SaomaCheckoutPhase    shown_phase;       /* the phase the fields were last set for */
  guint                 refocus_source;
  GdkFrameClock        *rest_clock;        /* a new code's frame is on its way (code_first()) */
  gulong                rest_painted_handler;
  guint                 rest_source;
  gboolean              bench;
  gulong                bench_paint_handler;
  gulong                bench_phase_handlers[2];
  gulong                bench_layout_hook;
  gulong                bench_paint_hook;
  gboolean              bench_layout_pending;
  gboolean              bench_paint_pending;
  gboolean              bench_settle_pending;
  const char           *bench_paint_line;  /* SAOMA_QR_DRAWN or SAOMA_PAID_DRAWN */
  gulong                bench_count_handler;
  guint                 bench_frames;      /* painted since Enter, the QR's included */
  SaomaScanCapture     *scan_capture;      /* a scanner's codes, caught before the fields */
  gint64                ready_amount;      /* fen typed while idle: the till awaits a scan */

  /* Template widgets */
  AdwViewStack         *view_stack;
  GtkRevealer          *setup_error_revealer;
  GtkLabel             *setup_error_label;
  GtkRevealer          *demo_revealer;
  GtkRevealer          *late_revealer;
  GtkLabel             *late_label;
  GtkWidget            *late_review_button;
  SaomaMessageBar      *message_bar;
  GtkEntry             *amount_entry;
  GtkLabel             *amount_error_label;
  GtkEntry             *description_entry;
  SaomaColumnsLayout   *checkout_layout;
  GtkWidget            *status_card;
  GtkStack             *status_icon_stack;
  GtkSpinner           *status_spinner;
  GtkImage             *status_icon;
  GtkLabel             *status_title;
  GtkLabel             *status_amount;
  GtkLabel             *status_detail;
  GtkLabel             *status_reference;
  GtkMenuButton        *details_button;
  GtkLabel             *details_label;
  GtkOverlay           *qr_frame;
  GtkWidget            *qr_placeholder;
  GtkImage             *paid_icon;
  GtkLabel             *qr_placeholder_label;
  const char           *qr_page;        /* "empty", "qr" or "paid" (show_qr_page()) */
  SaomaQrView          *qr_view;
  GtkLabel             *countdown_label;
  GtkProgressBar       *countdown_bar;
  GtkWidget            *demo_box;
  GtkLabel             *demo_error_label;
  GtkMenuButton        *primary_menu_button;
  GMenuModel           *primary_menu;
  AdwBin               *history_bin;
  SaomaHistoryPage     *history_page;   /* NULL until built (ensure_history_page()) */
  guint                 history_source;
  guint                 painted_source;
  gboolean              painted;        /* the first frame is on screen */
};

G_DEFINE_FINAL_TYPE (SaomaWindow, saoma_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_READY_AMOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];


static const char *status_classes[] = { "paid", "failed", "checking", NULL };

/* A state change sets only what changed: setting a label's text or a style class, even to the
 * same value, makes GTK measure and lay out again (issue 19: 6.5 ms of layout per change). */
static void
set_label_text (GtkLabel   *label,
                const char *text)
{
  if (g_strcmp0 (gtk_label_get_text (label), text ? text : "") != 0)
    gtk_label_set_text (label, text ? text : "");
}

static void
set_css_class (GtkWidget  *widget,
               const char *name,
               gboolean    on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

/* Two translated sentences as one text: Chinese puts no space after "。". */
static char *
join_sentences (const char *first,
                const char *second)
{
  /* Translators: joins two sentences; in Chinese without a space between them. */
  return g_strdup_printf (C_("sentence joiner", "%s %s"), first, second);
}

/* Everything this window shows follows the engine's one "phase" (the customer display follows
 * the same one), never its own reading of state + busy. */
static SaomaCheckoutPhase
get_phase (SaomaWindow *self)
{
  return self->checkout ? saoma_checkout_get_phase (self->checkout) : SAOMA_CHECKOUT_PHASE_IDLE;
}

/* The code on screen: only while the phase says so, and only once WeChat gave one. */
static const char *
get_shown_code_url (SaomaWindow *self)
{
  if (get_phase (self) != SAOMA_CHECKOUT_PHASE_SHOW_QR)
    return NULL;
  return saoma_checkout_get_code_url (self->checkout);
}

/* Can a new sale start now? A cancelled or expired sale is still watched in the background
 * (CLOSING), but its phase is a result and the cashier may move on. */
static gboolean
can_charge (SaomaWindow *self)
{
  return self->checkout != NULL && !saoma_checkout_phase_is_active (get_phase (self));
}

/* The actions on the code itself: they come with it, in its frame (code_first()). */
static void
update_code_actions (SaomaWindow *self)
{
  gboolean demo = self->application && saoma_application_get_demo (self->application);
  const char *code_url = get_shown_code_url (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.simulate-payment",
                                 demo && code_url != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-pay-page",
                                 demo && code_url != NULL);
}

static void
update_actions (SaomaWindow *self)
{
  gboolean active = saoma_checkout_phase_is_active (get_phase (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.charge", can_charge (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", active);
  update_code_actions (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-late-payment",
                                 self->late_out_trade_no != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-late-payments",
                                 self->n_late > 1);
  gtk_widget_set_visible (self->late_review_button, self->n_late > 1);
}

static void
show_amount_error (SaomaWindow *self,
                   const char  *message)
{
  if (message != NULL)
    {
      gtk_label_set_text (self->amount_error_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->amount_error_label), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->amount_entry), "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (self->amount_entry),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                   -1);
    }
  else
    {
      gtk_label_set_text (self->amount_error_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->amount_error_label), FALSE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->amount_entry), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (self->amount_entry),
                                  GTK_ACCESSIBLE_STATE_INVALID);
    }
}

/* A scanned code that cannot be charged: said under the amount, which itself is not wrong. */
static void
show_code_message (SaomaWindow *self,
                   const char  *message)
{
  show_amount_error (self, NULL);
  gtk_label_set_text (self->amount_error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->amount_error_label), TRUE);
  gtk_widget_error_bell (GTK_WIDGET (self));
}

/* The paid page's check mark: at 160 px Adwaita has it as an SVG only, and a hidden image's
 * icon is still looked up and loaded with the window, which made the first frame load the SVG
 * pixbuf loader and librsvg (cold start, issue 19). Set after the first frame, so it is loaded
 * long before a payment shows it, or at the latest when one does. */
static void
ensure_paid_icon (SaomaWindow *self)
{
  if (self->paid_icon != NULL && gtk_image_get_storage_type (self->paid_icon) == GTK_IMAGE_EMPTY)
    gtk_image_set_from_icon_name (self->paid_icon, "object-select-symbolic");
}

/* Shows one of the QR card's three faces: "empty" (the placeholder), "qr" (the code) or "paid"
 * (the check mark). They lie on top of each other in qr_frame, each as big as the largest, and
 * the others are transparent: switching changes what is drawn and nothing else, so the frame
 * that brings a code lays nothing out (a GtkStack would allocate itself again, and GTK 4.8
 * would present the X11 toplevel again before that frame: round trips to the X server on the
 * path to the QR, issue 19). Transparent faces take no clicks and are hidden from screen
 * readers, as a stack's hidden pages were. */
static void
show_qr_page (SaomaWindow *self,
              const char  *page)
{
  struct { GtkWidget *widget; const char *name; } faces[] = {
    { self->qr_placeholder, "empty" },
    { GTK_WIDGET (self->qr_view), "qr" },
    { GTK_WIDGET (self->paid_icon), "paid" },
  };

  if (g_strcmp0 (self->qr_page, page) == 0)
    return;
  self->qr_page = page;

  for (guint i = 0; i < G_N_ELEMENTS (faces); i++)
    {
      gboolean shown = strcmp (faces[i].name, page) == 0;

      gtk_widget_set_opacity (faces[i].widget, shown ? 1.0 : 0.0);
      gtk_widget_set_can_target (faces[i].widget, shown);
      gtk_accessible_update_state (GTK_ACCESSIBLE (faces[i].widget),
                                   GTK_ACCESSIBLE_STATE_HIDDEN, !shown, -1);
    }
}

static void
set_status (SaomaWindow *self,
            const char  *icon_name,
            const char  *title,
            const char  *detail,
            const char  *style)
{
  if (icon_name == NULL)
    {
      gtk_stack_set_visible_child_name (self->status_icon_stack, "spinner");
      gtk_spinner_start (self->status_spinner);
    }
  else
    {
      gtk_stack_set_visible_child_name (self->status_icon_stack, "icon");
      gtk_spinner_stop (self->status_spinner);
      if (icon_name[0] == '\0')
        gtk_image_clear (self->status_icon);
      else if (g_strcmp0 (gtk_image_get_icon_name (self->status_icon), icon_name) != 0)
        gtk_image_set_from_icon_name (self->status_icon, icon_name);
    }

  set_css_class (GTK_WIDGET (self->status_icon), "success", g_strcmp0 (style, "paid") == 0);

  set_label_text (self->status_title, title);
  set_label_text (self->status_detail, detail);
  gtk_widget_set_visible (GTK_WIDGET (self->status_detail), detail != NULL && *detail);

  for (guint i = 0; status_classes[i]; i++)
    set_css_class (self->status_card, status_classes[i], g_strcmp0 (style, status_classes[i]) == 0);
}

static char *
format_countdown (int seconds)
{
  if (seconds < 0)
    return g_strdup ("--:--");

  return g_strdup_printf ("%02d:%02d", seconds / 60, seconds % 60);
}

/* A Native sale is being created: its QR code is coming. Its place (the QR page, the countdown,
 * the demo buttons) is set up now, hidden, so that the frame that shows the code only draws
 * it: no page switch, no label or progress bar whose text changes, no widget appearing, hence
 * no relayout of the window on that frame (issue 19). */
static gboolean
qr_coming (SaomaWindow *self)
{
  return get_phase (self) == SAOMA_CHECKOUT_PHASE_PREPARING &&
         saoma_checkout_get_method (self->checkout) != SAOMA_PAYMENT_METHOD_MICROPAY;
}

static void
update_countdown (SaomaWindow *self)
{
  const char *code_url = get_shown_code_url (self);
  int left = self->checkout ? saoma_checkout_get_seconds_left (self->checkout) : -1;
  int validity = 0;
  double fraction;
  g_autofree char *text = NULL;

  if (self->checkout != NULL)
    g_object_get (self->checkout, "validity", &validity, NULL);

  if (code_url == NULL && !qr_coming (self))
    left = -1;

  /* Hidden, not removed, so the card keeps its size when a code comes and goes. */
  gtk_widget_set_opacity (GTK_WIDGET (self->countdown_label), code_url != NULL ? 1.0 : 0.0);
  gtk_widget_set_opacity (GTK_WIDGET (self->countdown_bar), code_url != NULL ? 1.0 : 0.0);

  /* Nothing to count: the hidden text stays as it was. Setting it would relayout the window in
   * the frame that shows the paid page (or the cancelled one); the next sale sets its own
   * while its code is being created. */
  if (left < 0 && code_url == NULL)
    return;

  text = format_countdown (left);
  set_label_text (self->countdown_label, text);
  /* GtkProgressBar relays itself out on every set, even to the same value: this runs on every
   * change of the checkout, and an extra frame just before the QR delays the QR's own. */
  fraction = left > 0 && validity > 0 ? CLAMP ((double) left / validity, 0.0, 1.0) : 0.0;
  if (gtk_progress_bar_get_fraction (self->countdown_bar) != fraction)
    gtk_progress_bar_set_fraction (self->countdown_bar, fraction);
  set_css_class (GTK_WIDGET (self->countdown_label), "warning", left >= 0 && left <= 30);
}

/* The frame that shows the sale fully: the code's texts, one frame after the code
 * (code_first()). */
static void
bench_qr_settled_cb (GdkFrameClock *clock,
                     SaomaWindow   *self)
{
  g_signal_handlers_disconnect_by_func (clock, bench_qr_settled_cb, self);
  saoma_bench_stamp ("qr-settled", NULL);
}

static void
bench_qr_settled (SaomaWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (!self->bench_settle_pending || clock == NULL)
    return;
  self->bench_settle_pending = FALSE;
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (bench_qr_settled_cb), self, 0);
}

static void
bench_count_cb (GdkFrameClock *frame_clock,
                SaomaWindow   *self)
{
  self->bench_frames++;
}

/* Enter: counts the frames painted until the QR's (the quiet wait, quiet_while_preparing()). */
static void
bench_count_frames (SaomaWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (!self->bench || clock == NULL)
    return;
  g_clear_signal_handler (&self->bench_count_handler, clock);
  self->bench_frames = 0;
  self->bench_count_handler = g_signal_connect (clock, "after-paint",
                                                G_CALLBACK (bench_count_cb), self);
}

static void
bench_after_paint_cb (GdkFrameClock *frame_clock,
                      SaomaWindow   *self)
{
  /* The frame that drew the new QR code (or the paid page) has been painted. */
  g_print ("%s %" G_GINT64_FORMAT "\n", self->bench_paint_line, g_get_monotonic_time ());
  fflush (stdout);
  g_clear_signal_handler (&self->bench_paint_handler, frame_clock);
  if (self->bench_count_handler != 0 && g_str_equal (self->bench_paint_line, "SAOMA_QR_DRAWN"))
    {
      g_autofree char *n = g_strdup_printf ("%u", self->bench_frames - 1);

      g_clear_signal_handler (&self->bench_count_handler, frame_clock);
      saoma_bench_stamp ("frames-before-qr", n);
    }
}

/* The frame that will draw it starts (the wait for the frame clock ends), runs its tick
 * callbacks (update), lays out and starts painting: the stamps that split "frame painted" into
 * wait, update, layout and paint. */
static void
bench_frame_start_cb (GdkFrameClock *frame_clock,
                      SaomaWindow   *self)
{
  saoma_bench_stamp ("frame-start", NULL);
  g_clear_signal_handler (&self->bench_phase_handlers[0], frame_clock);
}

/* An emission hook, not a handler: GTK connected its own layout handler at realize, and hooks
 * run before every handler, so this marks the start of the layout phase. */
static gboolean
bench_layout_hook_cb (GSignalInvocationHint *hint,
                      guint                  n_params,
                      const GValue          *params,
                      gpointer               user_data)
{
  SaomaWindow *self = user_data;

  if (self->bench_layout_pending &&
      g_value_get_object (&params[0]) == (gpointer) gtk_widget_get_frame_clock (GTK_WIDGET (self)))
    {
      saoma_bench_stamp ("layout-start", NULL);
      self->bench_layout_pending = FALSE;
    }
  return TRUE;
}

/* The same for the paint phase: a handler would run after GTK's own, which draws the window
 * (snapshot and render), so its stamp was the end of the paint, not its start. */
static gboolean
bench_paint_hook_cb (GSignalInvocationHint *hint,
                     guint                  n_params,
                     const GValue          *params,
                     gpointer               user_data)
{
  SaomaWindow *self = user_data;

  if (self->bench_paint_pending &&
      g_value_get_object (&params[0]) == (gpointer) gtk_widget_get_frame_clock (GTK_WIDGET (self)))
    {
      saoma_bench_stamp ("paint-start", NULL);
      self->bench_paint_pending = FALSE;
    }
  return TRUE;
}

/* SAOMA_BENCH=1: prints @line with the time of the next painted frame. */
static void
bench_watch_paint (SaomaWindow *self,
                   const char  *line)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (!self->bench || clock == NULL)
    return;
  g_clear_signal_handler (&self->bench_paint_handler, clock);
  g_clear_signal_handler (&self->bench_phase_handlers[0], clock);
  g_clear_signal_handler (&self->bench_phase_handlers[1], clock);
  self->bench_paint_line = line;
  self->bench_phase_handlers[0] = g_signal_connect (clock, "before-paint",
                                                    G_CALLBACK (bench_frame_start_cb), self);
  if (self->bench_layout_hook == 0)
    self->bench_layout_hook =
      g_signal_add_emission_hook (g_signal_lookup ("layout", GDK_TYPE_FRAME_CLOCK), 0,
                                  bench_layout_hook_cb, self, NULL);
  self->bench_layout_pending = TRUE;
  if (self->bench_paint_hook == 0)
    self->bench_paint_hook =
      g_signal_add_emission_hook (g_signal_lookup ("paint", GDK_TYPE_FRAME_CLOCK), 0,
                                  bench_paint_hook_cb, self, NULL);
  self->bench_paint_pending = TRUE;
  self->bench_paint_handler = g_signal_connect (clock, "after-paint",
                                                G_CALLBACK (bench_after_paint_cb), self);
}

static void
update_qr (SaomaWindow *self)
{
  SaomaCheckoutPhase phase = get_phase (self);
  const char *code_url = get_shown_code_url (self);
  const char *current = saoma_qr_view_get_text (self->qr_view);
  gboolean paid = phase == SAOMA_CHECKOUT_PHASE_PAID || phase == SAOMA_CHECKOUT_PHASE_PAID_LATE;
  gboolean demo = self->application && saoma_application_get_demo (self->application);

  if (code_url != NULL)
    {
      if (g_strcmp0 (current, code_url) != 0)
        {
          saoma_qr_view_set_text (self->qr_view, code_url);
          saoma_bench_stamp ("qr-set", NULL);
          bench_watch_paint (self, "SAOMA_QR_DRAWN");
          self->bench_settle_pending = self->bench;
        }
      /* At once: a crossfade would show the code faint in its first frame. */
      show_qr_page (self, "qr");
    }
  else
    {
      /* Expired or cancelled: the code must vanish at once, not fade. */
      if (current != NULL)
        saoma_qr_view_set_text (self->qr_view, NULL);
      if (paid)
        ensure_paid_icon (self);
      if (self->bench && paid &&
          g_strcmp0 (self->qr_page, "paid") != 0)
        {
          saoma_bench_stamp ("paid-shown", NULL);
          bench_watch_paint (self, "SAOMA_PAID_DRAWN");
        }
      show_qr_page (self, paid ? "paid" : qr_coming (self) ? "qr" : "empty");
    }

  /* In demo mode the buttons keep their place: shown with a code, transparent and out of
   * reach without one (their actions are disabled then), so a code never resizes the card. */
  gtk_widget_set_visible (self->demo_box, demo);
  gtk_widget_set_opacity (self->demo_box, code_url != NULL ? 1.0 : 0.0);
  gtk_widget_set_can_target (self->demo_box, code_url != NULL);
  /* Nor read out by a screen reader while they cannot be seen. */
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->demo_box), GTK_ACCESSIBLE_STATE_HIDDEN,
                               code_url == NULL, -1);

  /* A scanned code has no QR: the card says what is going on instead of promising one. */
  set_label_text (self->qr_placeholder_label,
                  self->checkout != NULL && saoma_checkout_phase_is_active (phase) &&
                  saoma_checkout_get_method (self->checkout) == SAOMA_PAYMENT_METHOD_MICROPAY
                    ? _("Charging the customer’s payment code: no QR code needed")
                    : _("The payment QR code appears here"));
}

static void
update_status (SaomaWindow *self)
{
  SaomaCheckoutPhase phase = get_phase (self);
  gboolean paid = phase == SAOMA_CHECKOUT_PHASE_PAID || phase == SAOMA_CHECKOUT_PHASE_PAID_LATE;
  const GError *error = self->checkout ? saoma_checkout_get_error (self->checkout) : NULL;
  g_autofree char *amount = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *detail = NULL;
  const char *next_sale = _("Type a new amount to start the next sale.");
  gboolean show_amount = TRUE;
  gboolean loud = FALSE;
  gboolean code_sale = self->checkout != NULL &&
                       saoma_checkout_get_method (self->checkout) == SAOMA_PAYMENT_METHOD_MICROPAY;

  if (self->checkout == NULL)
    {
      const GError *setup_error = self->application ?
        saoma_application_get_setup_error (self->application) : NULL;

      if (setup_error != NULL)
        set_status (self, "dialog-error-symbolic", _("The till cannot start"),
                    _("Saoma could not open its records or reach the payment gateway."),
                    "failed");
      else
        /* The spinner from the second frame on: its icon is an SVG only (Adwaita's
         * process-working-symbolic), and loading the SVG loader and librsvg for it cost the
         * first frame ~6 ms of CPU (cold start, issue 19). Shown then, it is also ready for
         * the first sale's "Creating the payment…". */
        set_status (self, self->painted ? NULL : "", _("Starting…"),
                    _("Opening the records and connecting to the payment gateway."), NULL);
      show_amount = FALSE;
      error = setup_error;
    }
  else
    {
      switch (phase)
        {
        case SAOMA_CHECKOUT_PHASE_IDLE:
          /* With an amount typed the till also waits for a scanned payment code. */
          set_status (self, "saoma-cashier-symbolic", _("Ready"),
                      self->ready_amount > 0
                        ? _("Press Enter for a QR code, or scan the customer’s payment code.")
                        : _("Type the amount and press Enter."),
                      NULL);
          show_amount = FALSE;
          break;

        case SAOMA_CHECKOUT_PHASE_PREPARING:
          /* Written to the ledger first, before anything is sent. */
          if (code_sale)
            set_status (self, NULL, _("Charging the payment code…"),
                        _("Sending the customer’s payment code to WeChat Pay."), NULL);
          else
            set_status (self, NULL, _("Creating the payment…"),
                        _("Asking WeChat Pay for a QR code."), NULL);
          break;

        case SAOMA_CHECKOUT_PHASE_SHOW_QR:
          /* No spinner while the customer scans: its animation would repaint the window 60
           * times a second for minutes, and the paid page's frame would wait for its clock
           * (issue 19). The countdown shows the time passing. */
          set_status (self, "saoma-cashier-symbolic",
                      _("Waiting for the customer to scan"),
                      _("Ask the customer to scan the QR code with WeChat."), NULL);
          break;

        case SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD:
          set_status (self, NULL, _("Ask the customer to enter their password on their phone"),
                      _("The customer is confirming the payment on their phone — do not charge again."),
                      "checking");
          break;

        case SAOMA_CHECKOUT_PHASE_CHECKING:
          set_status (self, NULL, _("Checking the payment…"),
                      _("The answer from WeChat Pay was interrupted. Saoma is confirming whether the customer paid — do not charge again."),
                      "checking");
          break;

        case SAOMA_CHECKOUT_PHASE_EXPIRED:
          detail = join_sentences (_("The QR code expired before it was paid. No money was taken."),
                                   next_sale);
          set_status (self, "alarm-symbolic", _("Expired"), detail, NULL);
          break;

        case SAOMA_CHECKOUT_PHASE_CANCELLED:
          /* The order stays payable until WeChat confirms it closed (the 5-minute rule), so
           * "no money was taken" would not be true yet (issue 12, point 7). */
          detail = join_sentences (_("If the customer still pays, Saoma will tell you."),
                                   next_sale);
          set_status (self, "process-stop-symbolic", _("Cancelled"), detail, NULL);
          break;

        case SAOMA_CHECKOUT_PHASE_PAID_LATE:
          detail = join_sentences (_("The customer paid after the sale was given up. Honour the sale or refund it."),
                                   next_sale);
          set_status (self, "object-select-symbolic", _("Paid late"), detail, "paid");
          loud = TRUE;
          break;

        case SAOMA_CHECKOUT_PHASE_PAID:
          set_status (self, "object-select-symbolic", _("Paid"), next_sale, "paid");
          loud = TRUE;
          break;

        case SAOMA_CHECKOUT_PHASE_FAILED:
          {
            g_autofree char *described = NULL;

            if (code_sale && saoma_checkout_get_state (self->checkout) == SAOMA_CHECKOUT_CLOSED)
              /* Reversed: WeChat did not confirm it in time, the money went back. */
              described = g_strdup (_("WeChat Pay did not confirm the payment in time, so Saoma cancelled it. Ask the customer to pay again."));
            else
              described = error ? saoma_messages_describe_error (error)
                                : g_strdup (_("WeChat Pay could not complete the request."));
            detail = join_sentences (described, _("No money was taken."));
            set_status (self, "dialog-error-symbolic",
                        code_sale ? _("The payment did not go through")
                                  : _("The payment could not be created"),
                        detail, "failed");
          }
          break;

        case SAOMA_CHECKOUT_PHASE_TAKEN_OVER:
          /* This till was stopped (suspended) long enough for another to take the payment
           * over: that till finishes it; this one sends nothing more for it. */
          detail = join_sentences (_("This till was paused, so another till finished the payment. Check its result in History before charging again."),
                                   next_sale);
          set_status (self, "dialog-warning-symbolic", _("Another till took over this payment"),
                      detail, NULL);
          break;

        default:
          g_assert_not_reached ();
        }
    }

  /* Paid is loud: a big green title and amount. */
  set_css_class (GTK_WIDGET (self->status_title), "title-1", loud);
  set_css_class (GTK_WIDGET (self->status_title), "title-2", !loud);
  set_css_class (GTK_WIDGET (self->status_title), "success", loud);
  set_css_class (GTK_WIDGET (self->status_amount), "success", loud);

  if (show_amount)
    amount = saoma_money_format (saoma_checkout_get_amount (self->checkout));
  set_label_text (self->status_amount, amount);
  gtk_widget_set_visible (GTK_WIDGET (self->status_amount), amount != NULL);

  if (paid && saoma_checkout_get_transaction_id (self->checkout))
    reference = g_strdup_printf (_("Transaction %s\nOrder %s"),
                                 saoma_checkout_get_transaction_id (self->checkout),
                                 saoma_checkout_get_out_trade_no (self->checkout));
  else if (show_amount && saoma_checkout_get_out_trade_no (self->checkout) != NULL)
    reference = g_strdup_printf (_("Order %s"), saoma_checkout_get_out_trade_no (self->checkout));
  set_label_text (self->status_reference, reference);
  gtk_widget_set_visible (GTK_WIDGET (self->status_reference), reference != NULL);

  /* The technical detail stays one click away, also while an unknown outcome is checked. */
  if (error != NULL && !paid)
    {
      g_autofree char *technical = saoma_messages_dup_error_detail (error);

      set_label_text (self->details_label, technical);
      gtk_widget_set_visible (GTK_WIDGET (self->details_button), TRUE);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->details_button), FALSE);
    }
}

/* The amount and description fields follow the sale (issue 12, points 9 and 12): read-only while
 * a sale is on, so they always show what is charged; emptied when it ends, so the next sale
 * needs a newly typed amount and the next customer does not inherit the description. */
static void
update_fields (SaomaWindow *self)
{
  SaomaCheckoutPhase phase = get_phase (self);
  gboolean active = saoma_checkout_phase_is_active (phase);
  gboolean was_active = saoma_checkout_phase_is_active (self->shown_phase);

  gtk_editable_set_editable (GTK_EDITABLE (self->amount_entry), !active);
  gtk_editable_set_editable (GTK_EDITABLE (self->description_entry), !active);
  /* No caret in it either (style.css). */
  set_css_class (GTK_WIDGET (self->amount_entry), "sale-on", active);
  /* The amount as charged ("38.5" reads "38.50"), also over a key typed before the sale's
   * first frame made the field read-only (quiet_while_preparing()). */
  if (active)
    {
      gint64 fen = saoma_checkout_get_amount (self->checkout);
      g_autofree char *plain = saoma_money_format_plain (fen);

      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->amount_entry)), plain) != 0)
        {
          self->resetting = TRUE;
          gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), plain);
          self->resetting = FALSE;
        }
    }
  /* One narrow column: the code goes first while a sale is on, so it needs no scrolling. */
  saoma_columns_layout_set_reversed (self->checkout_layout, active);

  if (phase == self->shown_phase)
    return;
  self->shown_phase = phase;

  if (was_active && !active)
    {
      self->resetting = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), "");
      gtk_editable_set_text (GTK_EDITABLE (self->description_entry), "");
      self->resetting = FALSE;
      show_amount_error (self, NULL);
    }
  if (active)
    {
      gtk_label_set_text (self->demo_error_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->demo_error_label), FALSE);
    }
}

static gint64
get_max_amount (SaomaWindow *self)
{
  GSettings *settings = self->application ? saoma_application_get_settings (self->application)
                                          : NULL;

  return settings ? g_settings_get_int64 (settings, "max-amount") : SAOMA_MONEY_DEFAULT_MAX_FEN;
}

/* The amount typed while no sale is on: the till then waits for a scan as well as for Enter,
 * and the customer display shows it with "show your payment code" (issue 13). */
static void
update_ready_amount (SaomaWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->amount_entry));
  gint64 fen = 0;

  if (self->checkout == NULL || get_phase (self) != SAOMA_CHECKOUT_PHASE_IDLE ||
      !saoma_money_parse (text, get_max_amount (self), &fen, NULL))
    fen = 0;

  if (self->ready_amount == fen)
    return;
  self->ready_amount = fen;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY_AMOUNT]);
}

static void update_view (SaomaWindow *self);

/* Between Enter and WeChat's answer (a few milliseconds) nothing on screen changes (issue 19):
 * a frame drawn for "creating the payment" would make the QR's frame wait for the next tick of
 * GTK's frame clock, 16.7 ms after it. The window keeps its look, the amount field included,
 * until the QR (or any other outcome) comes, or the checkout's quiet gate ends (after
 * SAOMA_BUSY_DELAY_MS, shared with the customer display): then the busy state shows. What the
 * cashier does meanwhile follows the engine, not the screen: a second Enter is refused, Esc
 * cancels (escape_pressed_cb()). */
static gboolean
quiet_while_preparing (SaomaWindow *self)
{
  return self->checkout != NULL &&
         saoma_quiet_gate_is_quiet (saoma_quiet_gate_get (self->checkout));
}

static void
rest_cancel (SaomaWindow *self)
{
  g_clear_handle_id (&self->rest_source, g_source_remove);
  if (self->rest_clock != NULL)
    g_clear_signal_handler (&self->rest_painted_handler, self->rest_clock);
  g_clear_object (&self->rest_clock);
}

/* The busy state, or a new code's texts, at once: the cashier acts on the sale before the
 * screens caught up with it. The gate tells the customer display too. */
static void
end_quiet (SaomaWindow *self)
{
  rest_cancel (self);
  if (self->checkout != NULL)
    saoma_quiet_gate_end (saoma_quiet_gate_get (self->checkout));
  update_view (self);
}


static gboolean
rest_due_cb (gpointer user_data)
{
  SaomaWindow *self = user_data;

  rest_cancel (self);
  update_view (self);
  return G_SOURCE_REMOVE;
}

static void
rest_painted_cb (GdkFrameClock *clock,
                 SaomaWindow   *self)
{
  rest_due_cb (self);
}

/* A new code is drawn in a frame that changes nothing else's size: the code, the card's face
 * and the buttons that act on the code (simulate, open the pay page) change in it, by what is
 * drawn only, and all of them in the QR card: GTK 4.8 draws an X11 frame into one image the
 * size of the box around everything that changed, so the code's frame is the card's size, not
 * the window's. The texts that come with the code (the status, the amount as charged, the
 * order, the countdown) and the sale's buttons (Charge, Cancel) follow in the next frame, on
 * this window's clock: a new text asks the window for a new size, and GTK 4.8 answers that by
 * presenting the X11 toplevel again and measuring the window for its size hints before the
 * frame may start, round trips to the X server and the texts' layout that kept the code
 * waiting 7 ms (issue 19). Esc catches up at once (end_quiet()), and so does any other change
 * of the sale (paid, cancelled). The customer display shows the code with its own texts (one
 * page, laid out once). Returns %TRUE while the texts wait for that frame; a window that draws
 * none (minimised) gets them after 100 ms. */
static gboolean
code_first (SaomaWindow *self)
{
  const char *code_url;
  GdkFrameClock *clock;

  code_url = get_shown_code_url (self);
  if (self->rest_clock != NULL)
    {
      /* Only the code's own texts wait: anything else (paid, cancelled, expired) shows now,
       * with them. */
      if (code_url != NULL && g_strcmp0 (saoma_qr_view_get_text (self->qr_view), code_url) == 0)
        return TRUE;
      rest_cancel (self);
    }
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  if (code_url == NULL || clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      g_strcmp0 (saoma_qr_view_get_text (self->qr_view), code_url) == 0)
    return FALSE;

  update_qr (self);
  update_code_actions (self);
  self->rest_clock = g_object_ref (clock);
  self->rest_painted_handler = g_signal_connect (clock, "after-paint",
                                                 G_CALLBACK (rest_painted_cb), self);
  self->rest_source = g_timeout_add (100, rest_due_cb, self);
  return TRUE;
}

static void
update_view (SaomaWindow *self)
{
  if (quiet_while_preparing (self))
    return;
  if (code_first (self))
    return;

  update_ready_amount (self);
  update_status (self);
  update_fields (self);
  update_qr (self);
  update_countdown (self);
  update_actions (self);
  bench_qr_settled (self);
}

static void
checkout_notify_cb (SaomaWindow *self,
                    GParamSpec  *pspec,
                    GObject     *checkout)
{
  if (quiet_while_preparing (self))
    return;
  if (g_strcmp0 (pspec->name, "seconds-left") == 0 || g_strcmp0 (pspec->name, "validity") == 0)
    {
      /* The countdown is one of a new code's texts: it waits with them (code_first()). */
      if (self->rest_clock == NULL)
        update_countdown (self);
    }
  else
    update_view (self);
}

static void     refresh_late        (SaomaWindow *self);
static gboolean checkout_page_shown (SaomaWindow *self);

/* A banner's revealer is visible only while it shows something or slides: hidden, it would
 * still measure its child on every layout, the first frame's included (issue 19). */
static void
set_banner_shown (GtkRevealer *revealer,
                  gboolean     shown)
{
  if (shown)
    gtk_widget_set_visible (GTK_WIDGET (revealer), TRUE);
  gtk_revealer_set_reveal_child (revealer, shown);
  if (!shown && !gtk_revealer_get_child_revealed (revealer))
    gtk_widget_set_visible (GTK_WIDGET (revealer), FALSE);
}

static void
banner_revealed_cb (GtkRevealer *revealer)
{
  if (!gtk_revealer_get_child_revealed (revealer) && !gtk_revealer_get_reveal_child (revealer))
    gtk_widget_set_visible (GTK_WIDGET (revealer), FALSE);
}

/* Shown while a late payment waits, on the checkout page: History has its own banner saying
 * the same, and one banner does not repeat another (issue 12.13). */
static void
update_late_banner (SaomaWindow *self)
{
  gboolean shown = self->n_late > 0 && checkout_page_shown (self);

  if (shown)
    gtk_label_set_text (self->late_label, self->late_text != NULL ? self->late_text : "");
  set_banner_shown (self->late_revealer, shown);
}

/* A hidden banner keeps no text: screen readers (and tests) would still find it. */
static void
late_revealed_cb (SaomaWindow *self,
                  GParamSpec  *pspec,
                  GtkRevealer *revealer)
{
  if (!gtk_revealer_get_child_revealed (revealer) && !gtk_revealer_get_reveal_child (revealer))
    gtk_label_set_text (self->late_label, "");
}

static void
late_payment_cb (SaomaWindow  *self,
                 SaomaAttempt *attempt,
                 GObject      *checkout)
{
  g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (attempt));
  g_autofree char *text = NULL;
  GSignalInvocationHint *hint = g_signal_get_invocation_hint (checkout);
  /* "late-payment::resumed": a sale the last run left unfinished (quit or crash), which
   * nobody gave up; still a late payment to decide on. */
  gboolean resumed = hint != NULL && hint->detail == g_quark_from_static_string ("resumed");

  g_free (self->late_out_trade_no);
  self->late_out_trade_no = g_strdup (saoma_attempt_get_out_trade_no (attempt));
  self->late_live = TRUE;
  self->n_late = MAX (self->n_late, 1);

  if (resumed)
    /* Translators: %s is an amount (¥12.34), then an order number */
    text = g_strdup_printf (_("A payment left unfinished when Saoma last closed was paid: %s for order %s. Check with the customer, then honour the sale or refund it."),
                            amount, self->late_out_trade_no);
  else
    text = g_strdup_printf (_("Late payment received: %s for order %s, after the sale was given up. Honour the sale or refund it."),
                            amount, self->late_out_trade_no);
  g_free (self->late_text);
  self->late_text = g_steal_pointer (&text);
  /* The banner stays until a decision is recorded and has the Details button: no toast
   * repeating it, which never timed out, covered the page and ate the first Esc (issue 12,
   * points 10 and 13). */
  update_late_banner (self);

  gtk_widget_error_bell (GTK_WIDGET (self));
  update_actions (self);
  /* How many wait, this one included (the engine emits once the row is written); its words
   * above stay while it waits. */
  refresh_late (self);
}

/* The late payments still waiting for a decision, read from the ledger as History's banner
 * reads them (saoma-late-payments.h): the banner is there again after a restart, and goes only
 * once a decision is recorded (issue 12.6). */
static void
late_ready_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) open = saoma_late_payments_list_open_finish (result, &error);
  gboolean live_open = FALSE;

  if (open == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the late payments: %s", error->message);
      return;
    }
  g_clear_object (&self->late_cancellable);

  self->n_late = open->len;
  for (guint i = 0; self->late_live && i < open->len; i++)
    if (g_strcmp0 (saoma_attempt_get_out_trade_no (g_ptr_array_index (open, i)),
                   self->late_out_trade_no) == 0)
      live_open = TRUE;

  /* The engine's own words for the payment it just announced stay while it waits. */
  if (!live_open)
    {
      self->late_live = FALSE;
      g_clear_pointer (&self->late_out_trade_no, g_free);
      if (open->len > 0)
        {
          SaomaAttempt *first = g_ptr_array_index (open, 0);
          g_autofree char *amount = saoma_money_format (saoma_attempt_get_amount (first));
          g_autofree char *text = NULL;

          self->late_out_trade_no = g_strdup (saoma_attempt_get_out_trade_no (first));
          /* The same sentences as History's banner. */
          if (open->len == 1)
            /* Translators: %s is an amount, %s an order number */
            text = g_strdup_printf (_("A late payment needs a decision: %s for order %s. Open "
                                      "it and record whether the sale stands or the money went "
                                      "back."),
                                    amount, self->late_out_trade_no);
          else
            text = g_strdup_printf (ngettext ("%u late payment needs a decision.",
                                              "%u late payments need a decision.", open->len),
                                    open->len);
          g_free (self->late_text);
          self->late_text = g_steal_pointer (&text);
        }
      else
        g_clear_pointer (&self->late_text, g_free);
    }
  update_late_banner (self);
  update_actions (self);
}

static void
refresh_late (SaomaWindow *self)
{
  if (self->late_cancellable != NULL)
    g_cancellable_cancel (self->late_cancellable);
  g_clear_object (&self->late_cancellable);
  if (self->late_ledger == NULL)
    return;

  self->late_cancellable = g_cancellable_new ();
  saoma_late_payments_list_open_async (self->late_ledger, self->late_cancellable, late_ready_cb,
                                       g_object_ref (self));
}

/* A decision was recorded in a payment's details, wherever they were opened from (this banner,
 * History, Day Close): both banners read the ledger again. */
static void
late_decided_cb (SaomaWindow *self,
                 const char  *out_trade_no,
                 GtkWindow   *dialog)
{
  refresh_late (self);
  /* A history page not built yet reads the late payments when it is. */
  if (self->history_page != NULL)
    saoma_history_page_refresh_late (self->history_page);
}

static void
toplevels_changed_cb (SaomaWindow *self,
                      guint        position,
                      guint        removed,
                      guint        added,
                      GListModel  *toplevels)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (SAOMA_IS_ATTEMPT_DIALOG (item)
          && g_object_get_data (item, "saoma-window-watched") == NULL)
        {
          g_object_set_data (item, "saoma-window-watched", GINT_TO_POINTER (TRUE));
          g_signal_connect_object (item, "late-decided", G_CALLBACK (late_decided_cb), self,
                                   G_CONNECT_SWAPPED);
        }
    }
}

static void
set_late_ledger (SaomaWindow *self,
                 SaomaLedger *ledger)
{
  if (self->late_ledger == ledger)
    return;
  g_set_object (&self->late_ledger, ledger);
  refresh_late (self);
}

/* The history page is not on the first frame: it is built in an idle after that frame, or at
 * once when it is first asked for (shown, searched, or by a caller), so its widgets, list and
 * icons cost the cashier's start nothing (issue 19). It gets what the window already knows. */
static SaomaHistoryPage *
ensure_history_page (SaomaWindow *self)
{
  SaomaTill *till;

  if (self->history_page != NULL)
    return self->history_page;

  g_clear_handle_id (&self->history_source, g_source_remove);
  saoma_bench_stamp ("history-build", NULL);
  self->history_page = SAOMA_HISTORY_PAGE (saoma_history_page_new ());
  /* Hidden while the checkout is shown (visible_page_cb()). */
  gtk_widget_set_visible (GTK_WIDGET (self->history_page), !checkout_page_shown (self));
  adw_bin_set_child (self->history_bin, GTK_WIDGET (self->history_page));
  till = self->application != NULL ? saoma_application_get_till (self->application) : NULL;
  if (till != NULL)
    saoma_history_page_set_ledger (self->history_page, saoma_till_get_ledger (till));
  if (self->checkout != NULL)
    saoma_history_page_set_checkout (self->history_page, self->checkout);
  saoma_bench_stamp ("history-built", NULL);

  return self->history_page;
}

static gboolean
build_history_cb (gpointer user_data)
{
  SaomaWindow *self = user_data;

  self->history_source = 0;
  ensure_history_page (self);

  return G_SOURCE_REMOVE;
}

/* Once the first frame is on screen: the paid page's icon, and the "Starting…" spinner if the
 * till is not up yet. */
static gboolean
painted_cb (gpointer user_data)
{
  SaomaWindow *self = user_data;

  self->painted_source = 0;
  self->painted = TRUE;
  ensure_paid_icon (self);
  if (self->checkout == NULL)
    update_view (self);

  return G_SOURCE_REMOVE;
}

/* After the first painted frame, from the main loop (not inside the frame's after-paint): the
 * icon and spinner of painted_cb(), and the history page at low priority (behind the till's
 * start and any input). */
static void
history_after_paint_cb (GdkFrameClock *frame_clock,
                        gpointer       user_data)
{
  SaomaWindow *self = user_data;

  g_signal_handlers_disconnect_by_func (frame_clock, history_after_paint_cb, self);
  if (self->view_stack != NULL && self->painted_source == 0 && !self->painted)
    self->painted_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, painted_cb, self, NULL);
  /* history_bin is NULL once the window is disposed. */
  if (self->history_bin != NULL && self->history_page == NULL && self->history_source == 0)
    self->history_source = g_idle_add_full (G_PRIORITY_LOW, build_history_cb, self, NULL);
}

static void
realize_cb (SaomaWindow *self)
{
  g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (self)), "after-paint",
                           G_CALLBACK (history_after_paint_cb), self, 0);
}

static void
set_checkout (SaomaWindow   *self,
              SaomaCheckout *checkout)
{
  if (self->checkout == checkout)
    return;

  if (self->checkout != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->checkout, self);
      g_signal_handlers_disconnect_by_data (saoma_quiet_gate_get (self->checkout), self);
    }

  g_set_object (&self->checkout, checkout);

  if (checkout != NULL)
    {
      g_signal_connect_object (checkout, "notify", G_CALLBACK (checkout_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (saoma_quiet_gate_get (checkout), "notify::quiet",
                               G_CALLBACK (update_view), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (checkout, "late-payment", G_CALLBACK (late_payment_cb), self,
                               G_CONNECT_SWAPPED);
    }

  if (self->history_page != NULL)
    saoma_history_page_set_checkout (self->history_page, checkout);
  update_view (self);
}

static void
app_notify_cb (SaomaWindow *self,
               GParamSpec  *pspec,
               GObject     *application)
{
  const GError *setup_error = saoma_application_get_setup_error (self->application);
  SaomaTill *till;

  set_banner_shown (self->demo_revealer, saoma_application_get_demo (self->application));

  if (setup_error != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s\n%s",
                                               _("Saoma could not start the till."),
                                               setup_error->message);
      gtk_label_set_text (self->setup_error_label, text);
    }
  set_banner_shown (self->setup_error_revealer, setup_error != NULL);

  /* The history still reads SQLite directly until it moves onto the store's page source. */
  till = saoma_application_get_till (self->application);
  if (self->history_page != NULL)
    saoma_history_page_set_ledger (self->history_page,
                                   till ? saoma_till_get_ledger (till) : NULL);
  set_late_ledger (self, till ? saoma_till_get_ledger (till) : NULL);
  set_checkout (self, saoma_application_get_checkout (self->application));

  if (self->application != NULL)
    {
      g_autofree char *store = saoma_application_dup_store_name (self->application);

      gtk_entry_set_placeholder_text (self->description_entry, store);
    }

  update_view (self);
}

/* What is sold: the description typed, else the store's name (the placeholder). */
static char *
dup_description (SaomaWindow *self)
{
  g_autofree char *description = NULL;

  description = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->description_entry)));
  g_strstrip (description);
  if (description[0] == '\0')
    return g_strdup (gtk_entry_get_placeholder_text (self->description_entry));
  return g_steal_pointer (&description);
}

static void
charge (SaomaWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  const char *text;
  gint64 max_fen;
  gint64 fen = 0;

  /* A second Enter or a double click while a sale is active creates nothing, but says why:
   * a key that does nothing silently looks like a broken till. */
  if (!can_charge (self))
    {
      if (self->checkout != NULL)
        show_amount_error (self, _("This sale is still open. Wait for the payment, or press Esc to cancel it."));
      else
        /* The till starts after the window's first frame: the amount stays, and says so. */
        show_amount_error (self, _("The till is still starting. Press Enter again in a moment."));
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  if (self->bench)
    {
      g_print ("SAOMA_CHARGE %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
      fflush (stdout);
      bench_count_frames (self);
    }

  max_fen = get_max_amount (self);

  text = gtk_editable_get_text (GTK_EDITABLE (self->amount_entry));
  if (!saoma_money_parse (text, max_fen, &fen, &error))
    {
      g_autofree char *message = saoma_messages_describe_error (error);

      show_amount_error (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
      return;
    }

  description = dup_description (self);

  /* A previous result stays on screen until the next sale starts. */
  if (saoma_checkout_phase_is_result (get_phase (self)))
    {
      self->resetting = TRUE;
      saoma_checkout_reset (self->checkout);
      self->resetting = FALSE;
    }

  if (!saoma_checkout_charge (self->checkout, fen, description, &error))
    {
      g_autofree char *message = saoma_messages_describe_error (error);

      show_amount_error (self, message);
      return;
    }

  show_amount_error (self, NULL);

  /* The field shows the amount as charged, read-only, from the sale's first frame on
   * (update_fields()). Focus moves only when it is elsewhere: a move is a frame. */
  if (gtk_root_get_focus (GTK_ROOT (self)) !=
      GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (self->amount_entry))))
    gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

/* A payment code, scanned or typed by hand (issue 13): WeChat's is charged for the amount
 * typed; any other code creates no order and says why. */
static void
charge_code (SaomaWindow *self,
             const char  *code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  const char *text;
  gint64 fen = 0;

  if (self->checkout == NULL)
    return;

  /* The core's classifier: the same answer as saoma_checkout_charge_code() would give, but
   * before the amount is asked for. */
  switch (saoma_payment_code_classify (code))
    {
    case SAOMA_PAYMENT_CODE_WECHAT:
      break;
    case SAOMA_PAYMENT_CODE_ALIPAY:
      show_code_message (self, _("This is an Alipay payment code. Saoma takes WeChat Pay only."));
      return;
    case SAOMA_PAYMENT_CODE_INVALID:
    default:
      show_code_message (self, _("Not a payment code. Ask the customer to open the payment code in WeChat (Me → Services → Money) and scan it again."));
      return;
    }

  if (!can_charge (self))
    {
      show_amount_error (self, _("This sale is still open. Wait for the payment, or press Esc to cancel it."));
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }

  text = gtk_editable_get_text (GTK_EDITABLE (self->amount_entry));
  if (text[0] == '\0')
    {
      show_amount_error (self, _("Type the amount first, then scan the payment code again."));
      gtk_widget_error_bell (GTK_WIDGET (self));
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
      return;
    }
  if (!saoma_money_parse (text, get_max_amount (self), &fen, &error))
    {
      g_autofree char *message = saoma_messages_describe_error (error);

      show_amount_error (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
      return;
    }

  description = dup_description (self);
  if (saoma_checkout_phase_is_result (get_phase (self)))
    {
      self->resetting = TRUE;
      saoma_checkout_reset (self->checkout);
      self->resetting = FALSE;
    }

  if (!saoma_checkout_charge_code (self->checkout, fen, description, code, &error))
    {
      g_autofree char *message = saoma_messages_describe_error (error);

      /* No certificate (a real v2 merchant), busy: the core's refusal, plainly. */
      show_code_message (self, message);
      return;
    }

  show_amount_error (self, NULL);
  {
    g_autofree char *plain = saoma_money_format_plain (fen);

    self->resetting = TRUE;
    gtk_editable_set_text (GTK_EDITABLE (self->amount_entry), plain);
    self->resetting = FALSE;
  }
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

static void
scanned_cb (SaomaWindow      *self,
            const char       *code,
            SaomaScanCapture *capture)
{
  charge_code (self, code);
}

static void
scan_code_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       SaomaWindow      *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autoptr(GString) digits = g_string_new (NULL);

  if (g_strcmp0 (response, "charge") != 0)
    return;

  /* Payment codes are shown in groups of four; whatever spaces were typed are not part of it. */
  for (const char *p = gtk_editable_get_text (entry); *p; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (digits, *p);
  charge_code (self, digits->str);
}

/* "Scan Code" (Ctrl+K): the code typed by hand, when the scanner cannot read it. */
static void
scan_code_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);
  GtkWidget *dialog;
  GtkWidget *entry;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Payment Code"),
                                   _("Type the digits under the barcode of the customer’s payment code."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    /* No mnemonics: Enter charges, Esc cancels. */
                                    "cancel", C_("payment code dialog", "Cancel"),
                                    "charge", C_("payment code dialog", "Charge"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "charge",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "charge");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_DIGITS);
  /* The longest code with a space every four digits. */
  gtk_entry_set_max_length (GTK_ENTRY (entry), 40);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_widget_add_css_class (entry, "numeric");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Payment code"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);

  g_signal_connect_object (dialog, "response", G_CALLBACK (scan_code_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
amount_activate_cb (SaomaWindow *self,
                    GtkEntry    *entry)
{
  charge (self);
}

static void
amount_changed_cb (SaomaWindow *self,
                   GtkEditable *editable)
{
  if (self->resetting)
    return;
  /* A key typed while a sale's answer is awaited, before its field turned read-only: the
   * field gets the charged amount back with the sale's first frame (update_fields()). */
  if (self->checkout != NULL && saoma_checkout_phase_is_active (get_phase (self)))
    return;

  show_amount_error (self, NULL);

  /* After a result, typing starts the next sale. */
  if (saoma_checkout_phase_is_result (get_phase (self)))
    {
      self->resetting = TRUE;
      saoma_checkout_reset (self->checkout);
      self->resetting = FALSE;
    }

  if (self->ready_amount > 0 || get_phase (self) == SAOMA_CHECKOUT_PHASE_IDLE)
    {
      update_ready_amount (self);
      update_status (self);
    }
}

static void
charge_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  charge (SAOMA_WINDOW (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);

  if (self->checkout != NULL)
    saoma_checkout_cancel (self->checkout);
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

static void
simulate_payment_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SaomaWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_application_simulate_payment_finish (SAOMA_APPLICATION (object), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Translators: %s is a technical error message */
      text = g_strdup_printf (_("The simulator did not take the payment: %s"), error->message);
      gtk_label_set_text (self->demo_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->demo_error_label), TRUE);
    }
}

static void
simulate_payment_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);
  const char *out_trade_no;

  if (self->checkout == NULL)
    return;

  out_trade_no = saoma_checkout_get_out_trade_no (self->checkout);
  if (out_trade_no == NULL)
    return;

  saoma_application_simulate_payment_async (self->application, out_trade_no,
                                            self->cancellable, simulate_payment_cb,
                                            g_object_ref (self));
}

static void
open_pay_page_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);
  g_autofree char *uri = NULL;

  if (self->checkout == NULL)
    return;

  uri = saoma_application_dup_pay_page_uri (self->application,
                                            saoma_checkout_get_code_url (self->checkout));
  if (uri != NULL)
    gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

static void
show_late_payment_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);
  SaomaStore *store = saoma_application_get_store (self->application);
  GtkWindow *dialog;

  if (self->late_out_trade_no == NULL || store == NULL)
    return;

  dialog = saoma_attempt_dialog_new (GTK_WINDOW (self), store, self->checkout,
                                     self->late_out_trade_no);
  gtk_window_present (dialog);
}

/* Several wait: History lists them ("Needs a decision"). */
static void
review_late_payments_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);

  saoma_window_show_page (self, "history");
  saoma_history_page_show_late (ensure_history_page (self));
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  saoma_window_show_page (SAOMA_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
focus_amount_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  saoma_window_show_page (SAOMA_WINDOW (widget), "checkout");
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SaomaWindow *self = SAOMA_WINDOW (widget);

  saoma_window_show_page (self, "history");
  saoma_history_page_focus_search (ensure_history_page (self));
}

static gboolean
checkout_page_shown (SaomaWindow *self)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "checkout") == 0;
}

/* On the checkout page the keyboard belongs to the amount (issue 12, point 11): after a dialog,
 * a menu, a page switch or a click, digits typed must land in the amount field. A description
 * being typed keeps its focus. */
static void
return_focus_to_amount (SaomaWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (!checkout_page_shown (self))
    return;
  if (focus != NULL && (gtk_widget_is_ancestor (focus, GTK_WIDGET (self->description_entry)) ||
                        gtk_widget_is_ancestor (focus, GTK_WIDGET (self->amount_entry))))
    return;
  gtk_entry_grab_focus_without_selecting (self->amount_entry);
}

static void
is_active_cb (SaomaWindow *self,
              GParamSpec  *pspec,
              gpointer     user_data)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    return_focus_to_amount (self);
}

static void
visible_page_cb (SaomaWindow  *self,
                 GParamSpec   *pspec,
                 AdwViewStack *view_stack)
{
  /* A scan belongs to the checkout; on the history page the keys are the search's. */
  saoma_scan_capture_set_enabled (self->scan_capture, checkout_page_shown (self));
  if (!checkout_page_shown (self))
    ensure_history_page (self);
  /* Behind the checkout the history is not only unmapped but invisible: every write of a sale
   * rebinds its list, and a visible widget's change of size asks the window for a frame, one
   * the QR's would then wait for (issue 19). Shown, it is laid out in the page switch's frame. */
  if (self->history_page != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->history_page), !checkout_page_shown (self));
  update_late_banner (self);
  return_focus_to_amount (self);
}

static gboolean
refocus_idle_cb (gpointer user_data)
{
  SaomaWindow *self = user_data;

  self->refocus_source = 0;
  return_focus_to_amount (self);
  return G_SOURCE_REMOVE;
}

/* After GTK has given the focus back to the menu button. */
static void
menu_closed_cb (SaomaWindow *self,
                GtkPopover  *popover)
{
  if (self->refocus_source == 0)
    self->refocus_source = g_idle_add (refocus_idle_cb, self);
}

/* The main menu's popover, built when the menu is first opened (click or F10): with the window
 * it was a popover with a dozen widgets the first frame does not show (issue 19). */
static void
create_primary_menu (GtkMenuButton *button,
                     gpointer       user_data)
{
  SaomaWindow *self = user_data;

  if (gtk_menu_button_get_popover (button) != NULL)
    return;
  gtk_menu_button_set_menu_model (button, self->primary_menu);
  g_signal_connect_object (gtk_menu_button_get_popover (button), "closed",
                           G_CALLBACK (menu_closed_cb), self, G_CONNECT_SWAPPED);
}

/* Esc always cancels the sale on screen (issue 12, point 10): it is caught before any widget
 * inside the window (a toast, an entry) can take it for itself. An open menu closes first. */
static gboolean
escape_pressed_cb (SaomaWindow           *self,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   GtkEventControllerKey *controller)
{
  GtkWidget *focus;

  if (keyval != GDK_KEY_Escape || (state & gtk_accelerator_get_default_mod_mask ()) != 0)
    return FALSE;
  if (!saoma_checkout_phase_is_active (get_phase (self)))
    return FALSE;
  focus = gtk_root_get_focus (GTK_ROOT (self));
  if (focus != NULL && gtk_widget_get_native (focus) != GTK_NATIVE (self))
    return FALSE;

  /* Before the answer the window still looks idle, with Cancel off: it catches up first. */
  end_quiet (self);
  return gtk_widget_activate_action (GTK_WIDGET (self), "win.cancel", NULL);
}

/* A printable key nobody took (the focus is on a button, a label, nothing) goes to the amount
 * field, as if it had the focus. */
static gboolean
key_pressed_cb (SaomaWindow           *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  gunichar c = gdk_keyval_to_unicode (keyval);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0 || c == 0 ||
      !g_unichar_isprint (c))
    return FALSE;
  if (!checkout_page_shown (self) ||
      !gtk_editable_get_editable (GTK_EDITABLE (self->amount_entry)))
    return FALSE;
  if (focus != NULL &&
      (GTK_IS_EDITABLE (focus) || gtk_widget_get_native (focus) != GTK_NATIVE (self)))
    return FALSE;

  gtk_entry_grab_focus_without_selecting (self->amount_entry);
  return gtk_event_controller_key_forward (
    controller, GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (self->amount_entry))));
}

static gboolean
saoma_window_close_request (GtkWindow *window)
{
  SaomaWindow *self = SAOMA_WINDOW (window);
  GSettings *settings = self->application ? saoma_application_get_settings (self->application)
                                          : NULL;

  if (settings != NULL)
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
      if (!gtk_window_is_maximized (window))
        {
          g_settings_set_int (settings, "window-width", width);
          g_settings_set_int (settings, "window-height", height);
        }
    }

  return GTK_WINDOW_CLASS (saoma_window_parent_class)->close_request (window);
}

static void
saoma_window_dispose (GObject *object)
{
  SaomaWindow *self = (SaomaWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->refocus_source, g_source_remove);
  rest_cancel (self);
  g_clear_handle_id (&self->history_source, g_source_remove);
  g_clear_handle_id (&self->painted_source, g_source_remove);
  if (self->bench_layout_hook != 0)
    g_signal_remove_emission_hook (g_signal_lookup ("layout", GDK_TYPE_FRAME_CLOCK),
                                   self->bench_layout_hook);
  self->bench_layout_hook = 0;
  if (self->bench_paint_hook != 0)
    g_signal_remove_emission_hook (g_signal_lookup ("paint", GDK_TYPE_FRAME_CLOCK),
                                   self->bench_paint_hook);
  self->bench_paint_hook = 0;
  if (self->checkout != NULL)
    g_signal_handlers_disconnect_by_data (self->checkout, self);
  g_clear_object (&self->checkout);
  if (self->late_cancellable != NULL)
    g_cancellable_cancel (self->late_cancellable);
  g_clear_object (&self->late_cancellable);
  g_clear_object (&self->late_ledger);
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  g_clear_object (&self->application);

  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_WINDOW);
  self->history_page = NULL;  /* went with history_bin */

  G_OBJECT_CLASS (saoma_window_parent_class)->dispose (object);
}

static void
saoma_window_finalize (GObject *object)
{
  SaomaWindow *self = (SaomaWindow *) object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->scan_capture);
  g_clear_pointer (&self->late_out_trade_no, g_free);
  g_clear_pointer (&self->late_text, g_free);

  G_OBJECT_CLASS (saoma_window_parent_class)->finalize (object);
}

static void
saoma_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SaomaWindow *self = SAOMA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_READY_AMOUNT:
      g_value_set_int64 (value, self->ready_amount);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* win.show-help-overlay. The shortcuts window is built when first asked for, not with the
 * cashier window (GTK builds gtk/help-overlay.ui for every new window when the resource has
 * one; it is saoma-shortcuts-window.ui there so that it does not): cold start, issue 19. */
static void
show_help_overlay_activated (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  GtkApplicationWindow *window = user_data;
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/saoma/Cashier/saoma-shortcuts-window.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      /* Transient for, modal and hidden on close, as GTK's own; our action stays the one. */
      gtk_application_window_set_help_overlay (window, overlay);
    }
  gtk_window_present (GTK_WINDOW (overlay));
}

static void
saoma_window_class_init (SaomaWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = saoma_window_dispose;
  object_class->finalize = saoma_window_finalize;
  object_class->get_property = saoma_window_get_property;
  window_class->close_request = saoma_window_close_request;

  /* The amount (fen) typed while no sale is on, 0 otherwise: the customer display shows it
   * with "show your payment code" (issue 13). */
  properties[PROP_READY_AMOUNT] =
    g_param_spec_int64 ("ready-amount", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SAOMA_TYPE_QR_VIEW);
  g_type_ensure (SAOMA_TYPE_COLUMNS_LAYOUT);
  g_type_ensure (SAOMA_TYPE_MESSAGE_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, setup_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, setup_error_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, demo_revealer);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, late_revealer);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, late_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, late_review_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, message_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, amount_entry);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, amount_error_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, description_entry);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, checkout_layout);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_card);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_title);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_amount);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_detail);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, status_reference);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, details_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, details_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, qr_frame);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, qr_placeholder);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, paid_icon);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, qr_placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, qr_view);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, countdown_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, demo_box);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, demo_error_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, SaomaWindow, history_bin);
  gtk_widget_class_bind_template_callback (widget_class, amount_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, amount_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.charge", NULL, charge_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.simulate-payment", NULL,
                                   simulate_payment_action);
  gtk_widget_class_install_action (widget_class, "win.open-pay-page", NULL,
                                   open_pay_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-late-payment", NULL,
                                   show_late_payment_action);
  gtk_widget_class_install_action (widget_class, "win.review-late-payments", NULL,
                                   review_late_payments_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.focus-amount", NULL, focus_amount_action);
  gtk_widget_class_install_action (widget_class, "win.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "win.scan-code", NULL, scan_code_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "win.show-page", "s", "checkout");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "win.show-page", "s", "history");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK,
                                       "win.focus-amount", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.find", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.simulate-payment", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK,
                                       "win.scan-code", NULL);
}

static void
saoma_window_init (SaomaWindow *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  /* The card is as big as the largest of its faces, whichever is shown. */
  gtk_overlay_set_measure_overlay (self->qr_frame, self->qr_placeholder, TRUE);
  gtk_overlay_set_measure_overlay (self->qr_frame, GTK_WIDGET (self->paid_icon), TRUE);
  show_qr_page (self, "empty");

  /* A steady text cursor (issue 19). GTK 4.8 fades the cursor in and out with a tick callback,
   * so a focused field repaints the window 60 times a second for ten seconds after every key:
   * the amount field always has the focus, and while it blinks every frame the till draws — the
   * QR code's, the paid page's — waits for the next tick of that 60 Hz clock (0–16.7 ms). */
  g_object_set (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-cursor-blink", FALSE, NULL);

  /* First among the capture-phase controllers: a scanner's digits never reach a field. */
  self->scan_capture = saoma_scan_capture_new (GTK_WINDOW (self));
  saoma_scan_capture_set_fallback (self->scan_capture, GTK_EDITABLE (self->amount_entry));
  g_signal_connect_object (self->scan_capture, "scanned", G_CALLBACK (scanned_cb), self,
                           G_CONNECT_SWAPPED);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (escape_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_key_new ();
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);
  g_signal_connect (self, "realize", G_CALLBACK (realize_cb), NULL);
  /* In the window's action map, not a class action: GTK adds its own show-help-overlay there
   * unless the map has one already, and two actions of one name would be ambiguous. */
  {
    static const GActionEntry entries[] = {
      { "show-help-overlay", show_help_overlay_activated },
    };

    g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  }
  g_signal_connect_object (self->late_revealer, "notify::child-revealed",
                           G_CALLBACK (late_revealed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self->late_revealer, "notify::child-revealed",
                    G_CALLBACK (banner_revealed_cb), NULL);
  g_signal_connect (self->demo_revealer, "notify::child-revealed",
                    G_CALLBACK (banner_revealed_cb), NULL);
  g_signal_connect (self->setup_error_revealer, "notify::child-revealed",
                    G_CALLBACK (banner_revealed_cb), NULL);
  g_signal_connect_object (gtk_window_get_toplevels (), "items-changed",
                           G_CALLBACK (toplevels_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (visible_page_cb), self, G_CONNECT_SWAPPED);
  gtk_menu_button_set_create_popup_func (self->primary_menu_button, create_primary_menu, self,
                                         NULL);
  self->bench = g_strcmp0 (g_getenv ("SAOMA_BENCH"), "1") == 0;

  update_view (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}

SaomaWindow *
saoma_window_new (SaomaApplication *application)
{
  SaomaWindow *self;
  GSettings *settings;

  g_return_val_if_fail (SAOMA_IS_APPLICATION (application), NULL);

  self = g_object_new (SAOMA_TYPE_WINDOW, "application", application, NULL);
  self->application = g_object_ref (application);

  settings = saoma_application_get_settings (application);
  if (settings != NULL)
    {
      g_settings_bind (settings, "scan-gap", self->scan_capture, "gap", G_SETTINGS_BIND_GET);
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (settings, "window-width"),
                                   g_settings_get_int (settings, "window-height"));
      if (g_settings_get_boolean (settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }

  g_signal_connect_object (application, "notify", G_CALLBACK (app_notify_cb), self,
                           G_CONNECT_SWAPPED);
  app_notify_cb (self, NULL, G_OBJECT (application));
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));

  return self;
}

GtkWidget *
saoma_window_get_amount_entry (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->amount_entry);
}

GtkWidget *
saoma_window_get_qr_view (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->qr_view);
}

GtkWidget *
saoma_window_get_status_label (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->status_title);
}

/**
 * saoma_window_get_history_page:
 * @self: a #SaomaWindow
 *
 * Returns: (transfer none): the history page (a #SaomaHistoryPage), built now if the idle after
 *   the first frame has not built it yet
 */
GtkWidget *
saoma_window_get_history_page (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return GTK_WIDGET (ensure_history_page (self));
}

/**
 * saoma_window_show_notice:
 * @self: a #SaomaWindow
 * @text: what to say
 *
 * Shows @text on a line under the header bar that stays until hidden: news the cashier must not
 * miss.
 */
void
saoma_window_show_notice (SaomaWindow *self,
                          const char  *text)
{
  g_return_if_fail (SAOMA_IS_WINDOW (self));

  /* A line under the header bar, not a toast over the checkout's buttons (issue 12.13). */
  saoma_message_bar_show (self->message_bar, text, 0);
}

GtkWidget *
saoma_window_get_late_banner (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->late_revealer);
}

const char *
saoma_window_get_late_text (SaomaWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_WINDOW (self), NULL);

  return gtk_label_get_text (self->late_label);
}

void
saoma_window_show_page (SaomaWindow *self,
                        const char  *name)
{
  g_return_if_fail (SAOMA_IS_WINDOW (self));

  if (g_strcmp0 (name, "history") == 0)
    ensure_history_page (self);
  adw_view_stack_set_visible_child_name (self->view_stack, name);
  if (g_strcmp0 (name, "checkout") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->amount_entry));
}
