/* saoma-preferences-window.c: merchant credentials, gateway and till settings. */
#define G_LOG_DOMAIN "saoma-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-merchant.h"

#include "saoma-application.h"
#include "saoma-customer-display-preferences.h"
#include "saoma-keyring.h"
#include "saoma-messages.h"
#include "saoma-pin-dialog.h"
#include "saoma-preferences-window.h"
#include "saoma-business-day-settings.h"
#include "saoma-settings-types.h"

struct _SaomaPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  SaomaApplication     *application;
  GSettings            *settings;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;

  AdwComboRow          *gateway_row;
  AdwEntryRow          *custom_url_row;
  AdwEntryRow          *appid_row;
  AdwEntryRow          *mch_id_row;
  AdwPasswordEntryRow  *api_key_row;
  AdwActionRow         *key_status_row;
  GtkButton            *forget_key_button;
  AdwComboRow          *sign_type_row;
  AdwActionRow         *cert_row;
  GtkButton            *cert_clear_button;
  AdwActionRow         *test_row;
  GtkSpinner           *test_spinner;
  GtkButton            *test_button;
  AdwEntryRow          *store_name_row;
  AdwEntryRow          *till_id_row;
  GtkSpinButton        *validity_spin;
  GtkSpinButton        *poll_spin;
  GtkSpinButton        *close_delay_spin;
  AdwEntryRow          *notify_url_row;
  GtkSpinButton        *port_spin;
};

G_DEFINE_FINAL_TYPE (SaomaPreferencesWindow, saoma_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
toast (SaomaPreferencesWindow *self,
       const char             *text)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
}

static const char *
keyring_unavailable_message (void)
{
  return _("No keyring is available, so the API key cannot be stored safely. Start GNOME Keyring (or another Secret Service) and try again.");
}

static void
key_status_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  char *key;

  key = saoma_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (key != NULL)
    adw_action_row_set_subtitle (self->key_status_row, _("An API key is stored in the keyring."));
  else if (saoma_keyring_error_is_unavailable (error))
    adw_action_row_set_subtitle (self->key_status_row, keyring_unavailable_message ());
  else if (error != NULL)
    adw_action_row_set_subtitle (self->key_status_row, error->message);
  else
    adw_action_row_set_subtitle (self->key_status_row,
                                 _("No API key stored yet: type it above and press Enter."));
  gtk_widget_set_visible (GTK_WIDGET (self->forget_key_button), key != NULL);
  saoma_keyring_free_key (key);
}

static void
update_key_status (SaomaPreferencesWindow *self)
{
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");

  if (mch_id[0] == '\0')
    {
      adw_action_row_set_subtitle (self->key_status_row,
                                   _("Enter the merchant number first; the key is stored for it."));
      gtk_widget_set_visible (GTK_WIDGET (self->forget_key_button), FALSE);
      return;
    }

  saoma_keyring_lookup_async (mch_id, self->cancellable, key_status_cb, g_object_ref (self));
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_keyring_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_message ("Cannot store the API key: %s", error->message);
      adw_action_row_set_subtitle (self->key_status_row, keyring_unavailable_message ());
      toast (self, _("The API key was not saved: no keyring is available."));
      return;
    }

  /* The key now lives only in the keyring. */
  gtk_editable_set_text (GTK_EDITABLE (self->api_key_row), "");
  toast (self, _("API key saved in the keyring."));
  update_key_status (self);
  saoma_application_reload_gateway (self->application);
}

static void
api_key_apply_cb (SaomaPreferencesWindow *self,
                  AdwEntryRow            *row)
{
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");
  g_autofree char *key = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  g_strstrip (key);
  if (mch_id[0] == '\0')
    {
      toast (self, _("Enter the merchant number first."));
      return;
    }
  if (strlen (key) != 32)
    {
      toast (self, _("A WeChat Pay v2 API key has exactly 32 characters."));
      return;
    }

  saoma_keyring_store_async (mch_id, key, self->cancellable, store_key_cb, g_object_ref (self));
  memset (key, 0, strlen (key));
}

static void
forget_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!saoma_keyring_clear_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, _("The API key could not be removed from the keyring."));
      return;
    }

  toast (self, _("API key removed. Saoma is back in demo mode."));
  update_key_status (self);
  saoma_application_reload_gateway (self->application);
}

static void
forget_key_clicked_cb (SaomaPreferencesWindow *self,
                       GtkButton              *button)
{
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");

  saoma_keyring_clear_async (mch_id, self->cancellable, forget_key_cb, g_object_ref (self));
}

static void
gateway_selected_cb (SaomaPreferencesWindow *self,
                     GParamSpec             *pspec,
                     AdwComboRow            *row)
{
  /* The rows are in the order of SaomaGatewayMode. */
  guint selected = adw_combo_row_get_selected (row);

  if (self->settings == NULL || selected > SAOMA_GATEWAY_MODE_CUSTOM)
    return;

  if (g_settings_get_enum (self->settings, "gateway-mode") != (int) selected)
    g_settings_set_enum (self->settings, "gateway-mode", selected);
  gtk_widget_set_visible (GTK_WIDGET (self->custom_url_row),
                          selected == SAOMA_GATEWAY_MODE_CUSTOM);
}

static void
sign_type_selected_cb (SaomaPreferencesWindow *self,
                       GParamSpec             *pspec,
                       AdwComboRow            *row)
{
  /* The rows are in the order of SaomaMerchantSign. */
  guint selected = adw_combo_row_get_selected (row);

  if (self->settings == NULL || selected > SAOMA_MERCHANT_SIGN_HMAC_SHA256)
    return;

  if (g_settings_get_enum (self->settings, "sign-type") != (int) selected)
    g_settings_set_enum (self->settings, "sign-type", selected);
}

static void
update_cert_row (SaomaPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "client-cert-path");

  if (path[0] == '\0')
    adw_action_row_set_subtitle (self->cert_row, _("None — needed only for refunds"));
  else
    adw_action_row_set_subtitle (self->cert_row, path);
  gtk_widget_set_visible (GTK_WIDGET (self->cert_clear_button), path[0] != '\0');
}

static void
chooser_response_cb (SaomaPreferencesWindow *self,
                     int                     response,
                     GtkNativeDialog        *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "client-cert-path", path);
    }

  g_clear_object (&self->chooser);
  update_cert_row (self);
}

static void
cert_choose_clicked_cb (SaomaPreferencesWindow *self,
                        GtkButton              *button)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_mime_type (filter, "application/x-pem-file");

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Choose the Merchant Certificate"),
                                               GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Choose"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
cert_clear_clicked_cb (SaomaPreferencesWindow *self,
                       GtkButton              *button)
{
  g_settings_set_string (self->settings, "client-cert-path", "");
  update_cert_row (self);
}

/* Test connection: an orderquery for an order that cannot exist. */

static void
test_done (SaomaPreferencesWindow *self,
           const char             *message)
{
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  adw_action_row_set_subtitle (self->test_row, message);
}

static void
orderquery_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(SaomaOrderStatus) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = saoma_gateway_query_order_finish (SAOMA_GATEWAY (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (answer != NULL
      || g_error_matches (error, SAOMA_GATEWAY_ERROR, SAOMA_GATEWAY_ERROR_ORDER_NOT_EXIST))
    {
      /* A signed, verified "no such order": the account, the key and the signature work. */
      test_done (self, _("Connected: WeChat Pay accepted the credentials."));
      return;
    }

  {
    g_autofree char *words = saoma_messages_describe_error (error);
    g_autofree char *detail = saoma_messages_dup_error_detail (error);
    g_autofree char *text = g_strdup_printf ("%s\n%s", words, detail);

    test_done (self, text);
  }
}

static void
run_test (SaomaPreferencesWindow *self,
          const char             *api_key)
{
  g_autoptr(SaomaMerchant) merchant = saoma_merchant_new ();
  g_autoptr(SaomaGateway) gateway = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out_trade_no = NULL;
  SaomaGatewayMode mode = g_settings_get_enum (self->settings, "gateway-mode");

  if (mode == SAOMA_GATEWAY_MODE_DEMO)
    {
      g_clear_pointer (&merchant, saoma_merchant_free);
      merchant = saoma_application_dup_demo_merchant (self->application);
      if (merchant == NULL)
        {
          test_done (self, _("The demo simulator is not running."));
          return;
        }
    }
  else
    {
      g_autofree char *custom = g_settings_get_string (self->settings, "custom-gateway-url");

      if (mode == SAOMA_GATEWAY_MODE_CUSTOM)
        {
          if (custom[0] == '\0')
            {
              test_done (self, _("Enter the custom gateway URL first."));
              return;
            }
          merchant->base_uri = g_steal_pointer (&custom);
        }
      else
        {
          merchant->base_uri = g_strdup (saoma_merchant_production_base_uri ());
          merchant->backup_base_uri = g_strdup (saoma_merchant_backup_base_uri ());
        }
      merchant->appid = g_settings_get_string (self->settings, "appid");
      merchant->mch_id = g_settings_get_string (self->settings, "mch-id");
      merchant->api_key = g_strdup (api_key);
      merchant->sign = g_settings_get_enum (self->settings, "sign-type");
    }

  /* A temporary gateway: the till's own is swapped only when the settings are saved. The
   * certificate is not involved (orderquery does not use it). */
  gateway = saoma_gateway_new_for_merchant (merchant, &error);
  if (gateway == NULL)
    {
      g_autofree char *words = saoma_messages_describe_error (error);

      test_done (self, words);
      return;
    }

  /* A query for an order that cannot exist proves the account, the key and the signature. */
  out_trade_no = saoma_gateway_new_out_trade_no (gateway, "TEST", now);
  saoma_gateway_query_order_async (gateway, out_trade_no, self->cancellable, orderquery_cb,
                                   g_object_ref (self));
}

static void
test_key_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  char *key;

  key = saoma_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (key == NULL)
    {
      test_done (self, error ? keyring_unavailable_message ()
                             : _("No API key is stored: type it in the API key row first."));
      return;
    }

  run_test (self, key);
  saoma_keyring_free_key (key);
}

static void
test_clicked_cb (SaomaPreferencesWindow *self,
                 GtkButton              *button)
{
  g_autofree char *appid = g_settings_get_string (self->settings, "appid");
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");
  const char *typed_key = gtk_editable_get_text (GTK_EDITABLE (self->api_key_row));
  SaomaGatewayMode mode = g_settings_get_enum (self->settings, "gateway-mode");

  gtk_spinner_start (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), FALSE);
  adw_action_row_set_subtitle (self->test_row, _("Asking WeChat Pay…"));

  if (mode == SAOMA_GATEWAY_MODE_DEMO)
    {
      run_test (self, NULL);
      return;
    }

  if (appid[0] == '\0' || mch_id[0] == '\0')
    {
      test_done (self, _("Enter the appid and the merchant number first."));
      return;
    }

  /* A key typed but not yet saved is tested as typed. */
  if (typed_key[0] != '\0')
    {
      run_test (self, typed_key);
      return;
    }

  saoma_keyring_lookup_async (mch_id, self->cancellable, test_key_cb, g_object_ref (self));
}

static void
mch_id_changed_cb (SaomaPreferencesWindow *self,
                   const char             *key,
                   GSettings              *settings)
{
  update_key_status (self);
}

static void
saoma_preferences_window_dispose (GObject *object)
{
  SaomaPreferencesWindow *self = (SaomaPreferencesWindow *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), SAOMA_TYPE_PREFERENCES_WINDOW);

  g_clear_object (&self->settings);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (saoma_preferences_window_parent_class)->dispose (object);
}

static void
saoma_preferences_window_finalize (GObject *object)
{
  SaomaPreferencesWindow *self = (SaomaPreferencesWindow *) object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (saoma_preferences_window_parent_class)->finalize (object);
}

static void
saoma_preferences_window_class_init (SaomaPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = saoma_preferences_window_dispose;
  object_class->finalize = saoma_preferences_window_finalize;

  g_type_ensure (SAOMA_TYPE_CUSTOMER_DISPLAY_PREFERENCES);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, gateway_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, custom_url_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, appid_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, mch_id_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, api_key_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, forget_key_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, sign_type_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, cert_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, cert_clear_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, test_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, store_name_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, till_id_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, validity_spin);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, poll_spin);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, close_delay_spin);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, notify_url_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, port_spin);
  gtk_widget_class_bind_template_callback (widget_class, gateway_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_type_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, api_key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, forget_key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
}

static void
saoma_preferences_window_init (SaomaPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

SaomaPreferencesWindow *
saoma_preferences_window_new (SaomaApplication *application)
{
  SaomaPreferencesWindow *self;
  GSettings *settings;

  g_return_val_if_fail (SAOMA_IS_APPLICATION (application), NULL);

  self = g_object_new (SAOMA_TYPE_PREFERENCES_WINDOW, NULL);
  self->application = g_object_ref (application);
  settings = saoma_application_get_settings (application);
  self->settings = g_object_ref (settings);

  adw_combo_row_set_selected (self->gateway_row, g_settings_get_enum (settings, "gateway-mode"));
  gtk_widget_set_visible (GTK_WIDGET (self->custom_url_row),
                          g_settings_get_enum (settings, "gateway-mode") ==
                            SAOMA_GATEWAY_MODE_CUSTOM);
  adw_combo_row_set_selected (self->sign_type_row, g_settings_get_enum (settings, "sign-type"));

  g_settings_bind (settings, "custom-gateway-url", self->custom_url_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "appid", self->appid_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "mch-id", self->mch_id_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "store-name", self->store_name_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "till-id", self->till_id_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notify-url", self->notify_url_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "qr-validity", gtk_spin_button_get_adjustment (self->validity_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "poll-interval-ms", gtk_spin_button_get_adjustment (self->poll_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "close-delay", gtk_spin_button_get_adjustment (self->close_delay_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "listener-port", gtk_spin_button_get_adjustment (self->port_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (settings, "changed::mch-id", G_CALLBACK (mch_id_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update_cert_row (self);
  update_key_status (self);

  /* The manager PIN for refunds (issue 7), beside the certificate refunds need. */
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                               GTK_WIDGET (self->cert_row), ADW_TYPE_PREFERENCES_GROUP)),
                             saoma_pin_dialog_new_preferences_row (application));
  /* The business day (issue 12.5): a group of its own on the Till page. */
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (gtk_widget_get_ancestor (
                              GTK_WIDGET (self->store_name_row), ADW_TYPE_PREFERENCES_PAGE)),
                            ADW_PREFERENCES_GROUP (
                              saoma_business_day_preferences_group_new (settings)));

  return self;
}
