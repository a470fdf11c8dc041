/* saoma-customer-display.c: the customer-facing screen of one till.
 *
 * Copyright 2026 The Saoma authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "saoma-customer-display"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "core/saoma-money.h"

#include "saoma-app-private.h"
#include "saoma-application.h"
#include "saoma-customer-display.h"
#include "saoma-qr-view.h"
#include "saoma-quiet-gate.h"
#include "saoma-settings-types.h"

#define SAMPLE_AMOUNT   888
#define SAMPLE_CODE_URL "weixin://wxpay/bizpayurl?pr=SAMPLE"

/* A customer-facing message: the English source (translated for the UI language) and the
 * Chinese, so the bilingual mode can add "the other language" under whichever is shown. */
typedef struct {
  const char *english;
  const char *chinese;
} Phrase;

static const Phrase welcome_phrase = { N_("Welcome"), "欢迎光临" };
static const Phrase scan_phrase = { N_("Scan with WeChat to pay"), "请使用微信扫一扫" };
static const Phrase show_code_phrase = { N_("Show your payment code"), "请出示付款码" };
static const Phrase checking_phrase = { N_("Confirming your payment…"), "正在确认您的付款…" };
static const Phrase password_phrase = {
  N_("Enter your payment password on your phone"), "请在手机上输入支付密码"
};
static const Phrase thanks_phrase = { N_("Thank you!"), "谢谢惠顾！" };
static const Phrase expired_phrase = { N_("This code has expired"), "二维码已过期" };
static const Phrase cancelled_phrase = { N_("Payment cancelled"), "付款已取消" };
static const Phrase failed_phrase = { N_("Payment not completed"), "付款未完成" };

struct _SaomaCustomerDisplay
{
  GtkWindow       parent_instance;

  SaomaCheckout  *checkout;
  GtkWindow      *cashier_window;    /* weak */
  GdkSurface     *cashier_surface;   /* weak, while the cashier window is realized */
  GSettings      *settings;
  GListModel     *monitors;
  GdkMonitor     *monitor;           /* where it is fullscreen now */
  GdkRectangle    monitor_geometry;
  gboolean        active;
  gint64          ready_amount;      /* fen typed at the till while no sale is on */

  guint           place_idle_id;

  /* The result of a sale stays for customer-display-paid-delay seconds, then the welcome
   * screen comes back even though the engine still holds the final attempt. */
  char           *dismissed_trade_no;
  char           *dismiss_trade_no;
  guint           dismiss_id;


  gboolean        sample;
  guint           sample_seconds;
  gint64          sample_end_us;
  guint           sample_tick_id;

  GtkCssProvider *css;
  int             scale_width;
  int             scale_height;
  int             amount_px;
  int             amount_width;
  guint           rescale_idle_id;
  GdkSurface     *surface;           /* weak, ours while realized */
  gulong          surface_layout_id;
  gulong          cashier_enter_id;
  GdkMonitor     *last_cashier_monitor; /* weak: where the cashier window was last seen */
  GtkWindow      *focus_return;      /* weak: the window that had the keyboard before us */
  guint           focus_return_id;
  guint           cashier_watch_id;

  /* Template children. */
  GtkStack       *stack;
  GtkLabel       *idle_store_label;
  GtkLabel       *welcome_label;
  GtkLabel       *welcome_secondary;
  GtkWidget      *charge_info;
  GtkLabel       *sample_label;
  GtkLabel       *charge_store_label;
  GtkLabel       *amount_caption;
  GtkLabel       *amount_label;
  GtkLabel       *scan_label;
  GtkLabel       *scan_secondary;
  GtkWidget      *countdown_box;
  GtkLabel       *countdown_label;
  GtkProgressBar *countdown_bar;
  SaomaQrView    *qr_view;
  GtkSpinner     *qr_spinner;
  GtkSpinner     *checking_spinner;
  GtkLabel       *checking_label;
  GtkLabel       *checking_secondary;
  GtkImage       *paid_icon;
  GtkLabel       *paid_amount;
  GtkLabel       *paid_thanks;
  GtkLabel       *paid_secondary;
  GtkImage       *ended_icon;
  GtkLabel       *ended_title;
  GtkLabel       *ended_secondary;
  GtkLabel       *ready_amount_label;
  GtkLabel       *ready_label;
  GtkLabel       *ready_secondary;
};

enum {
  PROP_0,
  PROP_CHECKOUT,
  PROP_CASHIER_WINDOW,
  PROP_ACTIVE,
  PROP_MONITOR,
  PROP_READY_AMOUNT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SaomaCustomerDisplay, saoma_customer_display, GTK_TYPE_WINDOW)

static GParamSpec *properties[N_PROPS];

static void update (SaomaCustomerDisplay *self);
static void queue_place (SaomaCustomerDisplay *self);

static void
set_label (GtkLabel   *label,
           const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text ? text : "") != 0)
    gtk_label_set_label (label, text ? text : "");
}

static void
set_phrase (SaomaCustomerDisplay *self,
            GtkLabel             *primary,
            GtkLabel             *secondary,
            const Phrase         *phrase)
{
  const char *shown = phrase ? _(phrase->english) : NULL;
  const char *other = NULL;

  set_label (primary, shown);

  if (phrase != NULL && g_settings_get_boolean (self->settings, "customer-display-bilingual"))
    other = strcmp (shown, phrase->english) != 0 ? phrase->english : phrase->chinese;

  set_label (secondary, other);
  gtk_widget_set_visible (GTK_WIDGET (secondary), other != NULL);
}

/* What is shown follows the engine's one "phase" (the cashier window follows the same one),
 * never this window's own reading of state + busy. */
static SaomaCheckoutPhase
get_phase (SaomaCustomerDisplay *self)
{
  return self->checkout ? saoma_checkout_get_phase (self->checkout) : SAOMA_CHECKOUT_PHASE_IDLE;
}

/* Fits the amount into the column beside the code: large, but never wider than the room. */
static void
apply_amount_size (SaomaCustomerDisplay *self)
{
  const char *text = gtk_label_get_label (self->amount_label);
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
  glong n_chars = MAX (4, g_utf8_strlen (text, -1));
  /* A tabular digit is about 0.6 em wide in the UI fonts. */
  int px = MIN (self->amount_px, (int) (self->amount_width / (0.62 * n_chars)));

  px = MAX (px, 12);
  pango_attr_list_insert (attrs, pango_attr_size_new_absolute (px * PANGO_SCALE));
  gtk_label_set_attributes (self->amount_label, attrs);
}

static void
format_countdown (SaomaCustomerDisplay *self,
                  int                   seconds_left,
                  int                   validity)
{
  g_autofree char *text = NULL;

  if (seconds_left < 0)
    {
      gtk_widget_set_visible (self->countdown_box, FALSE);
      set_label (self->countdown_label, NULL);
      return;
    }

  /* TRANSLATORS: the countdown on the customer display, minutes:seconds */
  text = g_strdup_printf (_("Valid for %d:%02d"), seconds_left / 60, seconds_left % 60);
  set_label (self->countdown_label, text);
  gtk_progress_bar_set_fraction (self->countdown_bar,
                                 validity > 0 ? CLAMP ((double) seconds_left / validity, 0., 1.)
                                              : 0.);
  gtk_widget_set_visible (self->countdown_box, TRUE);
}

static gboolean
dismiss_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;

  self->dismiss_id = 0;
  g_free (self->dismissed_trade_no);
  self->dismissed_trade_no = g_steal_pointer (&self->dismiss_trade_no);
  update (self);

  return G_SOURCE_REMOVE;
}

/* Once per attempt: its result stays on screen for the configured delay, then the welcome. */
static void
schedule_dismiss (SaomaCustomerDisplay *self,
                  const char           *out_trade_no)
{
  if (self->dismiss_id != 0 && g_strcmp0 (self->dismiss_trade_no, out_trade_no) == 0)
    return;

  g_clear_handle_id (&self->dismiss_id, g_source_remove);
  g_free (self->dismiss_trade_no);
  self->dismiss_trade_no = g_strdup (out_trade_no);
  self->dismiss_id =
    g_timeout_add_seconds (g_settings_get_uint (self->settings, "customer-display-paid-delay"),
                           dismiss_cb, self);
}

static void
cancel_dismiss (SaomaCustomerDisplay *self)
{
  g_clear_handle_id (&self->dismiss_id, g_source_remove);
  g_clear_pointer (&self->dismiss_trade_no, g_free);
}

static void
end_sample (SaomaCustomerDisplay *self)
{
  self->sample = FALSE;
  g_clear_handle_id (&self->sample_tick_id, g_source_remove);
}

static void
show_charging (SaomaCustomerDisplay *self,
               gint64                amount,
               const char           *code_url,
               int                   seconds_left,
               int                   validity)
{
  g_autofree char *amount_text = saoma_money_format (amount);

  set_label (self->amount_label, amount_text);
  apply_amount_size (self);
  set_phrase (self, self->scan_label, self->scan_secondary, &scan_phrase);
  format_countdown (self, seconds_left, validity);
  saoma_qr_view_set_text (self->qr_view, code_url);
  /* Between Enter and WeChat's answer there is no code yet: a spinner holds its place. */
  gtk_widget_set_visible (GTK_WIDGET (self->qr_spinner), code_url == NULL);
  gtk_spinner_set_spinning (self->qr_spinner, code_url == NULL);
}

/* As the cashier window (saoma-window.c, quiet_while_preparing()), through the checkout's one
 * quiet gate: between Enter and WeChat's answer nothing changes on this screen either, unless
 * the answer takes SAOMA_BUSY_DELAY_MS or the cashier presses Esc; the code's page is then the
 * first frame of the sale, and no frame of ours delays the cashier's (issue 19). Both screens
 * read the same gate, so they still agree. */
static gboolean
quiet_while_preparing (SaomaCustomerDisplay *self)
{
  return !self->sample && self->checkout != NULL &&
         saoma_quiet_gate_is_quiet (saoma_quiet_gate_get (self->checkout));
}

/* Everything on screen is derived from the engine (or the sample) here, every time; whatever
 * a page does not show is cleared, so no earlier sale can linger anywhere in the window. */
static void
update (SaomaCustomerDisplay *self)
{
  SaomaCheckoutPhase phase = get_phase (self);
  const char *out_trade_no = NULL;
  const char *page = "idle";
  g_autofree char *store_name = g_settings_get_string (self->settings, "store-name");
  g_autofree char *paid_text = NULL;
  g_autofree char *ready_text = NULL;
  gboolean charging_shown = FALSE;
  const Phrase *checking = NULL;

  if (quiet_while_preparing (self))
    return;

  g_strstrip (store_name);

  if (self->checkout != NULL)
    out_trade_no = saoma_checkout_get_out_trade_no (self->checkout);

  /* A real sale always wins over the sample. */
  if (self->sample && saoma_checkout_phase_is_active (phase))
    end_sample (self);

  if (!saoma_checkout_phase_is_result (phase))
    cancel_dismiss (self);
  if (phase == SAOMA_CHECKOUT_PHASE_IDLE)
    g_clear_pointer (&self->dismissed_trade_no, g_free);

  set_label (self->idle_store_label, store_name);
  gtk_widget_set_visible (GTK_WIDGET (self->idle_store_label), store_name[0] != '\0');
  set_label (self->charge_store_label, store_name);
  gtk_widget_set_visible (GTK_WIDGET (self->charge_store_label), store_name[0] != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->sample_label), self->sample);
  set_phrase (self, self->welcome_label, self->welcome_secondary, &welcome_phrase);

  if (self->sample)
    {
      gint64 left = (self->sample_end_us - g_get_monotonic_time () + G_USEC_PER_SEC - 1) /
                    G_USEC_PER_SEC;

      page = "charging";
      charging_shown = TRUE;
      show_charging (self, SAMPLE_AMOUNT, SAMPLE_CODE_URL, (int) MAX (left, 0),
                     (int) self->sample_seconds);
    }
  else if (saoma_checkout_phase_is_result (phase) && out_trade_no != NULL &&
           g_strcmp0 (out_trade_no, self->dismissed_trade_no) == 0)
    {
      page = "idle";
    }
  else
    {
      switch (phase)
        {
        case SAOMA_CHECKOUT_PHASE_PREPARING:
        case SAOMA_CHECKOUT_PHASE_SHOW_QR:
          /* A scanned payment code has no QR to wait for: it is being charged. */
          if (saoma_checkout_get_method (self->checkout) == SAOMA_PAYMENT_METHOD_MICROPAY)
            {
              page = "checking";
              checking = &checking_phrase;
              break;
            }
          {
            int validity = 0;

            g_object_get (self->checkout, "validity", &validity, NULL);
            page = "charging";
            charging_shown = TRUE;
            /* While preparing there is no code yet: the spinner holds its place. */
            show_charging (self,
                           saoma_checkout_get_amount (self->checkout),
                           phase == SAOMA_CHECKOUT_PHASE_SHOW_QR
                             ? saoma_checkout_get_code_url (self->checkout) : NULL,
                           saoma_checkout_get_seconds_left (self->checkout),
                           validity);
          }
          break;

        case SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD:
          page = "checking";
          checking = &password_phrase;
          break;

        case SAOMA_CHECKOUT_PHASE_CHECKING:
          page = "checking";
          checking = &checking_phrase;
          break;

        case SAOMA_CHECKOUT_PHASE_PAID:
        case SAOMA_CHECKOUT_PHASE_PAID_LATE:
          page = "paid";
          paid_text = saoma_money_format (saoma_checkout_get_amount (self->checkout));
          schedule_dismiss (self, out_trade_no);
          break;

        case SAOMA_CHECKOUT_PHASE_EXPIRED:
        case SAOMA_CHECKOUT_PHASE_CANCELLED:
        case SAOMA_CHECKOUT_PHASE_FAILED:
          {
            const Phrase *phrase = &failed_phrase;
            const char *icon = "dialog-warning-symbolic";

            if (phase == SAOMA_CHECKOUT_PHASE_EXPIRED)
              {
                phrase = &expired_phrase;
                icon = "alarm-symbolic";
              }
            else if (phase == SAOMA_CHECKOUT_PHASE_CANCELLED)
              {
                phrase = &cancelled_phrase;
                icon = "window-close-symbolic";
              }
            page = "ended";
            set_phrase (self, self->ended_title, self->ended_secondary, phrase);
            gtk_image_set_from_icon_name (self->ended_icon, icon);
            schedule_dismiss (self, out_trade_no);
          }
          break;

        /* Another till shows this payment now: nothing here for the customer. */
        case SAOMA_CHECKOUT_PHASE_TAKEN_OVER:
        case SAOMA_CHECKOUT_PHASE_IDLE:
        default:
          /* The cashier typed the amount: the customer gets the phone ready (issue 13). */
          if (self->ready_amount > 0)
            {
              page = "ready";
              ready_text = saoma_money_format (self->ready_amount);
            }
          else
            page = "idle";
          break;
        }
    }

  set_label (self->ready_amount_label, ready_text);
  set_phrase (self, self->ready_label, self->ready_secondary,
              ready_text != NULL ? &show_code_phrase : NULL);

  if (!charging_shown)
    {
      set_label (self->amount_label, NULL);
      set_label (self->countdown_label, NULL);
      saoma_qr_view_set_text (self->qr_view, NULL);
      gtk_spinner_set_spinning (self->qr_spinner, FALSE);
    }

  set_label (self->paid_amount, paid_text);
  if (g_str_equal (page, "paid"))
    set_phrase (self, self->paid_thanks, self->paid_secondary, &thanks_phrase);
  else
    set_phrase (self, self->paid_thanks, self->paid_secondary, NULL);

  set_phrase (self, self->checking_label, self->checking_secondary, checking);
  gtk_spinner_set_spinning (self->checking_spinner, g_str_equal (page, "checking"));

  if (!g_str_equal (page, "ended"))
    set_phrase (self, self->ended_title, self->ended_secondary, NULL);

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
checkout_notify_cb (SaomaCustomerDisplay *self,
                    GParamSpec           *pspec,
                    SaomaCheckout        *checkout)
{
  update (self);
}

static void
settings_changed_cb (SaomaCustomerDisplay *self,
                     const char           *key,
                     GSettings            *settings)
{
  if (g_str_equal (key, "customer-display-monitor") ||
      g_str_equal (key, "customer-display-single-monitor"))
    queue_place (self);
  else if (g_str_equal (key, "store-name") ||
           g_str_equal (key, "customer-display-bilingual"))
    update (self);
}

/* Scaling: everything is sized from the window, so a 7-inch 1024×600 screen and a 1080p one
 * show the same composition. */

static int
scaled (double value,
        double unit)
{
  return MAX (1, (int) lround (value * unit));
}

static void
apply_scale (SaomaCustomerDisplay *self,
             int                   width,
             int                   height)
{
  g_autoptr(GString) css = NULL;
  double u;
  int qr;

  if (width <= 0 || height <= 0 ||
      (width == self->scale_width && height == self->scale_height))
    return;

  self->scale_width = width;
  self->scale_height = height;
  u = CLAMP (MIN (height / 1080., width / 1440.), 0.3, 3.);

  /* The code gets most of the height; the card's padding is part of it. */
  qr = (int) MIN (height * 0.62, width * 0.42);
  gtk_widget_set_size_request (GTK_WIDGET (self->qr_view), qr, qr);
  self->amount_px = scaled (168, u);
  self->amount_width = MAX (100, width - qr - scaled (64 + 120 + 96 + 96, u));
  gtk_widget_set_size_request (self->charge_info, MIN (self->amount_width, scaled (820, u)), -1);
  apply_amount_size (self);

  gtk_image_set_pixel_size (self->paid_icon, scaled (150, u));
  gtk_image_set_pixel_size (self->ended_icon, scaled (120, u));
  gtk_widget_set_size_request (GTK_WIDGET (self->checking_spinner), scaled (128, u), scaled (128, u));
  gtk_widget_set_size_request (GTK_WIDGET (self->qr_spinner), scaled (96, u), scaled (96, u));

  css = g_string_new (NULL);
#define RULE(...) g_string_append_printf (css, "saomacustomerdisplay " __VA_ARGS__)
  /* The customer's screen keeps its own light palette whatever the cashier's theme is. */
  g_string_append (css, "saomacustomerdisplay.background { background-color: #f6f7f9;"
                        " color: #17191c; }\n");
  RULE (".page { border-spacing: %dpx; padding: %dpx; }\n", scaled (28, u), scaled (48, u));
  RULE (".page.charging { border-spacing: %dpx; }\n", scaled (120, u));
  RULE (".welcome-box { border-spacing: %dpx; }\n", scaled (20, u));
  RULE (".store-name { font-size: %dpx; font-weight: 600; color: #5b6068; }\n", scaled (64, u));
  RULE (".welcome { font-size: %dpx; font-weight: 800; letter-spacing: %dpx; }\n",
        scaled (176, u), scaled (8, u));
  RULE (".accent-bar { min-width: %dpx; min-height: %dpx; border-radius: %dpx;"
        " background-color: #07c160; margin-bottom: %dpx; }\n",
        scaled (160, u), scaled (10, u), scaled (5, u), scaled (8, u));
  RULE (".accepted { font-size: %dpx; font-weight: 600; color: #06984b;"
        " background-color: #e3f6ec; border-radius: 9999px; padding: %dpx %dpx; }\n",
        scaled (36, u), scaled (14, u), scaled (40, u));
  RULE (".secondary { font-size: %dpx; color: #6b7079; }\n", scaled (44, u));
  RULE (".hint { font-size: %dpx; color: #8a8f98; }\n", scaled (36, u));
  RULE (".title { font-size: %dpx; font-weight: 700; }\n", scaled (96, u));
  RULE (".charge-info { border-spacing: %dpx; }\n", scaled (18, u));
  RULE (".charge-store { font-size: %dpx; font-weight: 600; color: #5b6068; }\n",
        scaled (40, u));
  RULE (".caption { font-size: %dpx; color: #6b7079; }\n", scaled (44, u));
  RULE (".amount { font-weight: 800; color: #17191c; }\n");
  RULE (".instruction { font-size: %dpx; font-weight: 700; color: #06984b; }\n",
        scaled (58, u));
  RULE (".countdown { border-spacing: %dpx; margin-top: %dpx; }\n",
        scaled (14, u), scaled (28, u));
  RULE (".countdown label { font-size: %dpx; color: #5b6068; }\n", scaled (40, u));
  RULE (".countdown progressbar > trough { min-height: %dpx; min-width: %dpx;"
        " border-radius: %dpx; background-color: #e3e5e8; }\n",
        scaled (14, u), scaled (360, u), scaled (7, u));
  RULE (".countdown progressbar > trough > progress { min-height: %dpx; border-radius: %dpx;"
        " background-color: #07c160; }\n", scaled (14, u), scaled (7, u));
  RULE (".qr-card { background-color: #ffffff; border-radius: %dpx; padding: %dpx;"
        " box-shadow: 0 %dpx %dpx rgba(0, 0, 0, 0.10); }\n",
        scaled (36, u), scaled (36, u), scaled (8, u), scaled (40, u));
  RULE (".qr-card spinner { color: #8a8f98; }\n");
  RULE (".badge { border-radius: 9999px; padding: %dpx; color: #ffffff; }\n", scaled (44, u));
  RULE (".paid .badge { background-color: #07c160; }\n");
  RULE (".paid .title { color: #06984b; }\n");
  RULE (".paid-amount { font-size: %dpx; font-weight: 800; }\n", scaled (128, u));
  RULE (".thanks { font-size: %dpx; font-weight: 600; }\n", scaled (64, u));
  RULE (".ended .badge { background-color: #9aa0a8; }\n");
  RULE (".sample-badge { font-size: %dpx; font-weight: 700; color: #ffffff;"
        " background-color: #e8833a; border-radius: %dpx; padding: %dpx %dpx; }\n",
        scaled (30, u), scaled (12, u), scaled (6, u), scaled (20, u));
#undef RULE

  gtk_css_provider_load_from_data (self->css, css->str, -1);
}

static gboolean
rescale_idle_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;

  self->rescale_idle_id = 0;
  apply_scale (self,
               gtk_widget_get_width (GTK_WIDGET (self)),
               gtk_widget_get_height (GTK_WIDGET (self)));

  return G_SOURCE_REMOVE;
}

/* Not applied inside the layout pass itself: new sizes there would re-enter it. */
static void
surface_layout_cb (SaomaCustomerDisplay *self,
                   int                   width,
                   int                   height,
                   GdkSurface           *surface)
{
  if (width != self->scale_width || height != self->scale_height)
    {
      if (self->rescale_idle_id == 0)
        self->rescale_idle_id = g_idle_add (rescale_idle_cb, self);
    }
}

/* Placement. */

static gboolean
monitor_is_usable (GdkMonitor *monitor)
{
  GdkRectangle geometry;

  if (monitor == NULL || !gdk_monitor_is_valid (monitor))
    return FALSE;

  /* A monitor that was just plugged in has no geometry yet (it arrives with notify). */
  gdk_monitor_get_geometry (monitor, &geometry);
  return geometry.width > 0 && geometry.height > 0;
}

static GdkMonitor *
cashier_monitor (SaomaCustomerDisplay *self)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));
  guint n = g_list_model_get_n_items (self->monitors);

  if (self->cashier_window != NULL && gtk_widget_get_mapped (GTK_WIDGET (self->cashier_window)))
    {
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (self->cashier_window));
      GdkMonitor *monitor = gdk_display_get_monitor_at_surface (display, surface);

      if (monitor != NULL)
        return monitor;
    }

  /* No cashier window (yet): the cashier works on the first monitor. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);

      if (monitor_is_usable (monitor))
        return monitor;
    }

  return NULL;
}

static void
set_monitor (SaomaCustomerDisplay *self,
             GdkMonitor           *monitor)
{
  if (g_set_object (&self->monitor, monitor))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MONITOR]);
}

/* Which of our other windows has the keyboard now (the cashier window at start-up, before the
 * window manager gave it the focus). */
static void
remember_focus (SaomaCustomerDisplay *self)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != (gpointer) self && gtk_window_is_active (l->data))
      {
        g_set_weak_pointer (&self->focus_return, l->data);
        return;
      }

  if (self->focus_return == NULL && self->cashier_window != NULL)
    g_set_weak_pointer (&self->focus_return, self->cashier_window);
}

static gboolean
return_focus_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;

  self->focus_return_id = 0;
  if (self->focus_return != NULL && gtk_widget_get_visible (GTK_WIDGET (self->focus_return)))
    gtk_window_present (self->focus_return);

  return G_SOURCE_REMOVE;
}

/* The customer display has nothing to type into, but the cashier types all day: GTK 4 cannot
 * map, move or fullscreen a window without the window manager focusing it, so whenever the
 * display gets the keyboard, it goes straight back. */
static void
is_active_cb (SaomaCustomerDisplay *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)) && self->focus_return_id == 0)
    self->focus_return_id = g_idle_add (return_focus_cb, self);
}

static void
show_keeping_focus (SaomaCustomerDisplay *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    return;

  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  if (self->focus_return != NULL && gtk_widget_get_visible (GTK_WIDGET (self->focus_return)))
    gtk_window_present (self->focus_return);
}

static void
place (SaomaCustomerDisplay *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  GdkMonitor *target;
  gboolean was_fullscreen;

  remember_focus (self);

  if (!self->active && !self->sample)
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      set_monitor (self, NULL);
      return;
    }

  target = saoma_customer_display_choose_monitor (self);

  if (target != NULL)
    {
      GdkRectangle geometry;

      gdk_monitor_get_geometry (target, &geometry);
      if (target != self->monitor ||
          !gdk_rectangle_equal (&geometry, &self->monitor_geometry) ||
          !gtk_widget_get_visible (GTK_WIDGET (self)) ||
          !gtk_window_is_fullscreen (window))
        {
          g_debug ("Fullscreen on %s (%dx%d+%d+%d)",
                   gdk_monitor_get_connector (target),
                   geometry.width, geometry.height, geometry.x, geometry.y);
          self->monitor_geometry = geometry;
          /* Without a window manager fullscreen moves the window but keeps its size. */
          gtk_window_set_default_size (window, geometry.width, geometry.height);
          apply_scale (self, geometry.width, geometry.height);
          gtk_window_fullscreen_on_monitor (window, target);
          show_keeping_focus (self);
        }
      set_monitor (self, target);
      return;
    }

  was_fullscreen = self->monitor != NULL || gtk_window_is_fullscreen (window);
  set_monitor (self, NULL);
  self->monitor_geometry = (GdkRectangle) { 0, };

  if (!self->sample &&
      g_settings_get_enum (self->settings, "customer-display-single-monitor") ==
      SAOMA_SINGLE_MONITOR_HIDDEN)
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return;
    }

  /* One monitor, shared with the cashier: a normal window the cashier can move aside. Leaving
   * fullscreen on a mapped window lets the window manager restore a screen-sized window, so
   * map it afresh at a window's size. */
  g_debug ("No monitor of its own: a window (was fullscreen: %d, visible: %d)",
           was_fullscreen, gtk_widget_get_visible (GTK_WIDGET (self)));
  if (was_fullscreen || !gtk_widget_get_visible (GTK_WIDGET (self)))
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      gtk_window_unfullscreen (window);
      gtk_window_set_default_size (window, 800, 600);
      apply_scale (self, 800, 600);
    }
  show_keeping_focus (self);
}

static gboolean
place_idle_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;

  self->place_idle_id = 0;
  place (self);

  return G_SOURCE_REMOVE;
}

static void
queue_place (SaomaCustomerDisplay *self)
{
  if (self->place_idle_id == 0)
    self->place_idle_id = g_idle_add (place_idle_cb, self);
}

static void
monitor_notify_cb (SaomaCustomerDisplay *self,
                   GParamSpec           *pspec,
                   GdkMonitor           *monitor)
{
  queue_place (self);
}

static void
watch_monitors (SaomaCustomerDisplay *self,
                guint                 position,
                guint                 added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);

      /* A new monitor's connector and geometry arrive after items-changed. */
      g_signal_connect_object (monitor, "notify::geometry",
                               G_CALLBACK (monitor_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (monitor, "notify::connector",
                               G_CALLBACK (monitor_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (monitor, "notify::valid",
                               G_CALLBACK (monitor_notify_cb), self, G_CONNECT_SWAPPED);
    }
}

static void
monitors_changed_cb (SaomaCustomerDisplay *self,
                     guint                 position,
                     guint                 removed,
                     guint                 added,
                     GListModel           *monitors)
{
  watch_monitors (self, position, added);
  queue_place (self);
}

static void
cashier_enter_monitor_cb (SaomaCustomerDisplay *self,
                          GdkMonitor           *monitor,
                          GdkSurface           *surface)
{
  queue_place (self);
}

/* GDK 4.8 on X11 does not tell when a window moves to another monitor (enter-monitor comes
 * with later versions), so look where the cashier window is, once a second. */
static gboolean
cashier_watch_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;
  GdkMonitor *now = cashier_monitor (self);

  if (now != self->last_cashier_monitor)
    {
      g_set_weak_pointer (&self->last_cashier_monitor, now);
      queue_place (self);
    }

  return G_SOURCE_CONTINUE;
}

static void
cashier_unrealize_cb (SaomaCustomerDisplay *self,
                      GtkWidget            *cashier)
{
  if (self->cashier_surface != NULL)
    g_clear_signal_handler (&self->cashier_enter_id, self->cashier_surface);
  self->cashier_enter_id = 0;
  g_clear_weak_pointer (&self->cashier_surface);
}

static void
cashier_realize_cb (SaomaCustomerDisplay *self,
                    GtkWidget            *cashier)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (cashier));

  cashier_unrealize_cb (self, cashier);
  g_set_weak_pointer (&self->cashier_surface, surface);
  self->cashier_enter_id =
    g_signal_connect_object (surface, "enter-monitor",
                             G_CALLBACK (cashier_enter_monitor_cb), self, G_CONNECT_SWAPPED);
  queue_place (self);
}

static void
saoma_customer_display_realize (GtkWidget *widget)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (widget);

  GTK_WIDGET_CLASS (saoma_customer_display_parent_class)->realize (widget);

  g_set_weak_pointer (&self->surface, gtk_native_get_surface (GTK_NATIVE (self)));
  self->surface_layout_id =
    g_signal_connect_object (self->surface, "layout",
                             G_CALLBACK (surface_layout_cb), self, G_CONNECT_SWAPPED);
}

static void
saoma_customer_display_unrealize (GtkWidget *widget)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (widget);

  /* Only our handler: GtkNative's own handlers on the surface carry the same data. */
  if (self->surface != NULL)
    g_clear_signal_handler (&self->surface_layout_id, self->surface);
  self->surface_layout_id = 0;
  g_clear_weak_pointer (&self->surface);

  GTK_WIDGET_CLASS (saoma_customer_display_parent_class)->unrealize (widget);
}

static void
saoma_customer_display_dispose (GObject *object)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (object);

  /* GTK 4.8 connects the window to its fullscreen monitor's "invalidate" without a weak
   * reference: unfullscreen drops that handler, or unplugging the monitor after the window is
   * gone would call into freed memory. */
  gtk_window_unfullscreen (GTK_WINDOW (self));
  saoma_customer_display_set_cashier_window (self, NULL);
  g_clear_weak_pointer (&self->focus_return);
  g_clear_handle_id (&self->focus_return_id, g_source_remove);
  g_clear_handle_id (&self->cashier_watch_id, g_source_remove);
  g_clear_handle_id (&self->place_idle_id, g_source_remove);
  g_clear_handle_id (&self->rescale_idle_id, g_source_remove);
  cancel_dismiss (self);
  end_sample (self);

  if (self->css != NULL)
    {
      gtk_style_context_remove_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                                     GTK_STYLE_PROVIDER (self->css));
      g_clear_object (&self->css);
    }

  g_clear_object (&self->checkout);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);
  g_clear_object (&self->monitors);

  /* No gtk_widget_dispose_template(): on GTK 4.8 it unparents the window's child behind
   * GtkWindow's back, which then unparents it again. GtkWindow disposes the child itself. */

  G_OBJECT_CLASS (saoma_customer_display_parent_class)->dispose (object);
}

static void
saoma_customer_display_finalize (GObject *object)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (object);

  g_clear_pointer (&self->dismissed_trade_no, g_free);
  g_clear_pointer (&self->dismiss_trade_no, g_free);

  G_OBJECT_CLASS (saoma_customer_display_parent_class)->finalize (object);
}

static void
saoma_customer_display_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      g_value_set_object (value, self->checkout);
      break;

    case PROP_CASHIER_WINDOW:
      g_value_set_object (value, self->cashier_window);
      break;

    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;

    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;

    case PROP_READY_AMOUNT:
      g_value_set_int64 (value, self->ready_amount);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_customer_display_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  SaomaCustomerDisplay *self = SAOMA_CUSTOMER_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_CHECKOUT:
      saoma_customer_display_set_checkout (self, g_value_get_object (value));
      break;

    case PROP_CASHIER_WINDOW:
      saoma_customer_display_set_cashier_window (self, g_value_get_object (value));
      break;

    case PROP_ACTIVE:
      saoma_customer_display_set_active (self, g_value_get_boolean (value));
      break;

    case PROP_READY_AMOUNT:
      saoma_customer_display_set_ready_amount (self, g_value_get_int64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
saoma_customer_display_class_init (SaomaCustomerDisplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_customer_display_dispose;
  object_class->finalize = saoma_customer_display_finalize;
  object_class->get_property = saoma_customer_display_get_property;
  object_class->set_property = saoma_customer_display_set_property;

  widget_class->realize = saoma_customer_display_realize;
  widget_class->unrealize = saoma_customer_display_unrealize;

  properties[PROP_CHECKOUT] =
    g_param_spec_object ("checkout", NULL, NULL,
                         SAOMA_TYPE_CHECKOUT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_CASHIER_WINDOW] =
    g_param_spec_object ("cashier-window", NULL, NULL,
                         GTK_TYPE_WINDOW,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL,
                         GDK_TYPE_MONITOR,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_READY_AMOUNT] =
    g_param_spec_int64 ("ready-amount", NULL, NULL, 0, G_MAXINT64, 0,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SAOMA_TYPE_QR_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-customer-display.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, stack);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, idle_store_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, welcome_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, welcome_secondary);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, charge_info);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, sample_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, charge_store_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, amount_caption);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, amount_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, scan_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, scan_secondary);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, countdown_box);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, countdown_bar);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, qr_view);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, qr_spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, checking_spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, checking_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, checking_secondary);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, paid_icon);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, paid_amount);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, paid_thanks);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, paid_secondary);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ended_icon);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ended_title);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ended_secondary);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ready_amount_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ready_label);
  gtk_widget_class_bind_template_child (widget_class, SaomaCustomerDisplay, ready_secondary);

  gtk_widget_class_set_css_name (widget_class, "saomacustomerdisplay");
}

static void
saoma_customer_display_init (SaomaCustomerDisplay *self)
{
  GdkDisplay *display;

  gtk_widget_init_template (GTK_WIDGET (self));

  display = gtk_widget_get_display (GTK_WIDGET (self));
  self->css = gtk_css_provider_new ();
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (self->css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  apply_scale (self, 800, 600);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed",
                           G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
  g_settings_bind (self->settings, "customer-display-enabled", self, "active",
                   G_SETTINGS_BIND_DEFAULT);

  self->monitors = g_object_ref (gdk_display_get_monitors (display));
  watch_monitors (self, 0, g_list_model_get_n_items (self->monitors));
  g_signal_connect_object (self->monitors, "items-changed",
                           G_CALLBACK (monitors_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);

  /* Demo mode (issue 12.18): a small corner mark over every page, while the app is in it. */
  if (SAOMA_IS_APPLICATION (g_application_get_default ()))
    {
      GtkWidget *overlay = gtk_overlay_new ();
      GtkWidget *mark = gtk_label_new ("演示 / DEMO");
      g_autoptr(GtkWidget) pages = g_object_ref (gtk_window_get_child (GTK_WINDOW (self)));

      gtk_window_set_child (GTK_WINDOW (self), overlay);
      gtk_overlay_set_child (GTK_OVERLAY (overlay), pages);
      gtk_widget_set_halign (mark, GTK_ALIGN_END);
      gtk_widget_set_valign (mark, GTK_ALIGN_START);
      gtk_widget_add_css_class (mark, "saoma-demo-mark");
      gtk_overlay_add_overlay (GTK_OVERLAY (overlay), mark);
      g_object_bind_property (g_application_get_default (), "demo", mark, "visible",
                              G_BINDING_SYNC_CREATE);
    }

  update (self);
}

/**
 * saoma_customer_display_new:
 * @checkout: (nullable): the engine to mirror
 *
 * Returns: (transfer none): a new display, owned by GTK like every toplevel (destroy it with
 *   gtk_window_destroy()); it places and shows itself, per the settings, from the main loop
 */
SaomaCustomerDisplay *
saoma_customer_display_new (SaomaCheckout *checkout)
{
  g_return_val_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout), NULL);

  return g_object_new (SAOMA_TYPE_CUSTOMER_DISPLAY, "checkout", checkout, NULL);
}

SaomaCheckout *
saoma_customer_display_get_checkout (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), NULL);

  return self->checkout;
}

void
saoma_customer_display_set_checkout (SaomaCustomerDisplay *self,
                                     SaomaCheckout        *checkout)
{
  g_return_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self));
  g_return_if_fail (checkout == NULL || SAOMA_IS_CHECKOUT (checkout));

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
      g_signal_connect_object (checkout, "notify",
                               G_CALLBACK (checkout_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (saoma_quiet_gate_get (checkout), "notify::quiet",
                               G_CALLBACK (update), self, G_CONNECT_SWAPPED);
    }

  cancel_dismiss (self);
  g_clear_pointer (&self->dismissed_trade_no, g_free);
  update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKOUT]);
}

GtkWindow *
saoma_customer_display_get_cashier_window (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), NULL);

  return self->cashier_window;
}

void
saoma_customer_display_set_cashier_window (SaomaCustomerDisplay *self,
                                           GtkWindow            *window)
{
  g_return_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self));
  g_return_if_fail (window == NULL || GTK_IS_WINDOW (window));

  if (self->cashier_window == window)
    return;

  if (self->cashier_window != NULL)
    {
      cashier_unrealize_cb (self, GTK_WIDGET (self->cashier_window));
      g_signal_handlers_disconnect_by_data (self->cashier_window, self);
    }

  g_set_weak_pointer (&self->cashier_window, window);
  g_clear_weak_pointer (&self->last_cashier_monitor);
  g_clear_handle_id (&self->cashier_watch_id, g_source_remove);

  if (window != NULL)
    {
      self->cashier_watch_id = g_timeout_add_seconds (1, cashier_watch_cb, self);
      g_signal_connect_object (window, "realize",
                               G_CALLBACK (cashier_realize_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (window, "unrealize",
                               G_CALLBACK (cashier_unrealize_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (window, "map",
                               G_CALLBACK (queue_place), self, G_CONNECT_SWAPPED);
      if (gtk_widget_get_realized (GTK_WIDGET (window)))
        cashier_realize_cb (self, GTK_WIDGET (window));
    }

  if (!gtk_widget_in_destruction (GTK_WIDGET (self)))
    {
      queue_place (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CASHIER_WINDOW]);
    }
}

gboolean
saoma_customer_display_get_active (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), FALSE);

  return self->active;
}

void
saoma_customer_display_set_active (SaomaCustomerDisplay *self,
                                   gboolean              active)
{
  g_return_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self));

  active = !!active;
  if (self->active == active)
    return;

  self->active = active;
  queue_place (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

/**
 * saoma_customer_display_get_monitor:
 *
 * Returns: (nullable) (transfer none): the monitor the display is fullscreen on
 */
GdkMonitor *
saoma_customer_display_get_monitor (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), NULL);

  return self->monitor;
}

/**
 * saoma_customer_display_choose_monitor:
 *
 * The configured monitor (by connector or model) when it is plugged in and does not hold the
 * cashier window; otherwise the first monitor that does not hold the cashier window.
 *
 * Returns: (nullable) (transfer none): the monitor for the display
 */
GdkMonitor *
saoma_customer_display_choose_monitor (SaomaCustomerDisplay *self)
{
  g_autofree char *wanted = NULL;
  GdkMonitor *avoid;
  guint n;

  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), NULL);

  avoid = cashier_monitor (self);
  n = g_list_model_get_n_items (self->monitors);
  wanted = g_settings_get_string (self->settings, "customer-display-monitor");

  if (wanted[0] != '\0')
    {
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);

          /* Covering the cashier's own screen would stop the till: never. */
          if (monitor == avoid || !monitor_is_usable (monitor))
            continue;
          if (g_strcmp0 (gdk_monitor_get_connector (monitor), wanted) == 0 ||
              g_strcmp0 (gdk_monitor_get_model (monitor), wanted) == 0)
            return monitor;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (self->monitors, i);

      if (monitor != avoid && monitor_is_usable (monitor))
        return monitor;
    }

  return NULL;
}

void
saoma_customer_display_place (SaomaCustomerDisplay *self)
{
  g_return_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self));

  g_clear_handle_id (&self->place_idle_id, g_source_remove);
  place (self);
}

static gboolean
sample_tick_cb (gpointer data)
{
  SaomaCustomerDisplay *self = data;

  if (g_get_monotonic_time () >= self->sample_end_us)
    {
      self->sample_tick_id = 0;
      end_sample (self);
      update (self);
      queue_place (self);
      return G_SOURCE_REMOVE;
    }

  update (self);
  return G_SOURCE_CONTINUE;
}

gboolean
saoma_customer_display_show_sample (SaomaCustomerDisplay *self,
                                    guint                 seconds)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), FALSE);
  g_return_val_if_fail (seconds > 0, FALSE);

  /* Never over a real sale. */
  if (saoma_checkout_phase_is_active (get_phase (self)))
    return FALSE;

  end_sample (self);
  self->sample = TRUE;
  self->sample_seconds = seconds;
  self->sample_end_us = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  self->sample_tick_id = g_timeout_add (250, sample_tick_cb, self);
  update (self);
  saoma_customer_display_place (self);

  return TRUE;
}

const char *
saoma_customer_display_get_page (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

gint64
saoma_customer_display_get_ready_amount (SaomaCustomerDisplay *self)
{
  g_return_val_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self), 0);

  return self->ready_amount;
}

void
saoma_customer_display_set_ready_amount (SaomaCustomerDisplay *self,
                                         gint64                fen)
{
  g_return_if_fail (SAOMA_IS_CUSTOMER_DISPLAY (self));
  g_return_if_fail (fen >= 0);

  if (self->ready_amount == fen)
    return;
  self->ready_amount = fen;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY_AMOUNT]);
}
