/* saoma-preferences-window.c: merchant credentials, gateway and till settings. */
#define G_LOG_DOMAIN "saoma-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "core/saoma-merchant.h"

#include "saoma-application.h"
#include "saoma-customer-display-preferences.h"
#include "saoma-keyring.h"
#include "saoma-merchant-check.h"
#include "saoma-message-bar.h"
#include "saoma-messages.h"
#include "saoma-pin-dialog.h"
#include "saoma-preferences-window.h"
#include "saoma-scan-capture.h"
#include "saoma-business-day-settings.h"
#include "saoma-settings-types.h"

/* One keyring key's rows; user_data of its keyring calls, which also hold a window reference. */
typedef struct
{
  SaomaPreferencesWindow *window;
  SaomaKeyringItem        item;
  AdwPasswordEntryRow    *entry_row;
  AdwActionRow           *status_row;
  GtkButton              *forget_button;
} SecretRows;

struct _SaomaPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  SaomaApplication     *application;
  GSettings            *settings;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  gboolean              chooser_private_key;  /* the key chooser is for the private key */

  AdwComboRow          *gateway_row;
  AdwEntryRow          *custom_url_row;
  AdwComboRow          *demo_api_row;
  AdwComboRow          *api_version_row;
  AdwPreferencesGroup  *v2_group;
  AdwPreferencesGroup  *v3_group;
  AdwActionRow         *private_key_row;
  AdwEntryRow          *serial_row;
  AdwComboRow          *verification_row;
  AdwActionRow         *public_key_row;
  AdwEntryRow          *public_key_id_row;
  AdwPasswordEntryRow  *apiv3_key_row;
  AdwActionRow         *apiv3_status_row;
  GtkButton            *forget_apiv3_button;
  char                 *test_message;
  AdwEntryRow          *appid_row;
  AdwEntryRow          *mch_id_row;
  AdwPasswordEntryRow  *api_key_row;
  AdwActionRow         *key_status_row;
  GtkButton            *forget_key_button;
  SecretRows            secrets[2];  /* by SaomaKeyringItem */
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
  SaomaMessageBar      *v2_message;
  SaomaMessageBar      *v3_message;
};

G_DEFINE_FINAL_TYPE (SaomaPreferencesWindow, saoma_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
toast (SaomaPreferencesWindow *self,
       const char             *text)
{
  /* Under the keys' rows of the API version shown, on a line of its own: a toast would cover
   * the page's last rows (issue 12.13). */
  gboolean v3 = gtk_widget_get_visible (GTK_WIDGET (self->v3_group));

  saoma_message_bar_show (v3 ? self->v3_message : self->v2_message, text, 10);
}

static const char *
keyring_unavailable_message (void)
{
  return _("No keyring is available, so the API key cannot be stored safely. Start GNOME Keyring (or another Secret Service) and try again.");
}

/* The two keys kept in the keyring, v2's API key and v3's APIv3 key, are typed, stored, shown and
 * forgotten the same way; only their words differ. */
typedef struct
{
  const char *stored;
  const char *none;
  const char *wrong_length;
  const char *not_saved;
  const char *saved;
  const char *not_removed;
  const char *removed;
} SecretWords;

static const SecretWords secret_words[] = {
  [SAOMA_KEYRING_API_KEY] = {
    N_("An API key is stored in the keyring."),
    N_("No API key stored yet: type it above and press Enter."),
    N_("A WeChat Pay v2 API key has exactly 32 characters."),
    N_("The API key was not saved: no keyring is available."),
    N_("API key saved in the keyring."),
    N_("The API key could not be removed from the keyring."),
    N_("API key removed. Saoma is back in demo mode."),
  },
  [SAOMA_KEYRING_APIV3_KEY] = {
    N_("An APIv3 key is stored in the keyring."),
    N_("No APIv3 key stored yet: type it above and press Enter."),
    N_("The APIv3 key has exactly 32 characters (you set it on the merchant platform)."),
    N_("The APIv3 key was not saved: no keyring is available."),
    N_("APIv3 key saved in the keyring."),
    N_("The APIv3 key could not be removed from the keyring."),
    N_("APIv3 key removed. Saoma is back in demo mode."),
  },
};

static void
secret_rows_init (SecretRows             *rows,
                  SaomaPreferencesWindow *window,
                  SaomaKeyringItem        item,
                  AdwPasswordEntryRow    *entry_row,
                  AdwActionRow           *status_row,
                  GtkButton              *forget_button)
{
  *rows = (SecretRows) { window, item, entry_row, status_row, forget_button };
}

static void
secret_status_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SecretRows *rows = user_data;
  g_autoptr(SaomaPreferencesWindow) self = rows->window;
  const SecretWords *words = &secret_words[rows->item];
  g_autoptr(GError) error = NULL;
  char *key;

  key = saoma_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (key != NULL)
    adw_action_row_set_subtitle (rows->status_row, _(words->stored));
  else if (saoma_keyring_error_is_unavailable (error))
    adw_action_row_set_subtitle (rows->status_row, keyring_unavailable_message ());
  else if (error != NULL)
    adw_action_row_set_subtitle (rows->status_row, error->message);
  else
    adw_action_row_set_subtitle (rows->status_row, _(words->none));
  gtk_widget_set_visible (GTK_WIDGET (rows->forget_button), key != NULL);
  saoma_keyring_free_key (key);
}

static void
update_secret_status (SecretRows *rows)
{
  SaomaPreferencesWindow *self = rows->window;
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");

  if (mch_id[0] == '\0')
    {
      adw_action_row_set_subtitle (rows->status_row,
                                   _("Enter the merchant number first; the key is stored for it."));
      gtk_widget_set_visible (GTK_WIDGET (rows->forget_button), FALSE);
      return;
    }

  g_object_ref (self);
  saoma_keyring_lookup_item_async (rows->item, mch_id, self->cancellable, secret_status_cb, rows);
}

static void
secret_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SecretRows *rows = user_data;
  g_autoptr(SaomaPreferencesWindow) self = rows->window;
  const SecretWords *words = &secret_words[rows->item];
  g_autoptr(GError) error = NULL;

  if (!saoma_keyring_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_message ("Cannot store the %s: %s",
                 rows->item == SAOMA_KEYRING_APIV3_KEY ? "APIv3 key" : "API key", error->message);
      adw_action_row_set_subtitle (rows->status_row, keyring_unavailable_message ());
      toast (self, _(words->not_saved));
      return;
    }

  /* The key now lives only in the keyring. */
  gtk_editable_set_text (GTK_EDITABLE (rows->entry_row), "");
  toast (self, _(words->saved));
  update_secret_status (rows);
  saoma_application_reload_gateway (self->application);
}

static void
secret_apply (SecretRows *rows)
{
  SaomaPreferencesWindow *self = rows->window;
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");
  g_autofree char *key = g_strdup (gtk_editable_get_text (GTK_EDITABLE (rows->entry_row)));

  g_strstrip (key);
  if (mch_id[0] == '\0')
    toast (self, _("Enter the merchant number first."));
  else if (strlen (key) != 32)
    toast (self, _(secret_words[rows->item].wrong_length));
  else
    {
      g_object_ref (self);
      saoma_keyring_store_item_async (rows->item, mch_id, key, self->cancellable,
                                      secret_stored_cb, rows);
    }
  memset (key, 0, strlen (key));
}

static void
secret_forgotten_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SecretRows *rows = user_data;
  g_autoptr(SaomaPreferencesWindow) self = rows->window;
  const SecretWords *words = &secret_words[rows->item];
  g_autoptr(GError) error = NULL;

  if (!saoma_keyring_clear_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, _(words->not_removed));
      return;
    }

  toast (self, _(words->removed));
  update_secret_status (rows);
  saoma_application_reload_gateway (self->application);
}

static void
secret_forget (SecretRows *rows)
{
  SaomaPreferencesWindow *self = rows->window;
  g_autofree char *mch_id = g_settings_get_string (self->settings, "mch-id");

  g_object_ref (self);
  saoma_keyring_clear_item_async (rows->item, mch_id, self->cancellable, secret_forgotten_cb, rows);
}

static void
api_key_apply_cb (SaomaPreferencesWindow *self,
                  AdwEntryRow            *row)
{
  secret_apply (&self->secrets[SAOMA_KEYRING_API_KEY]);
}

static void
forget_key_clicked_cb (SaomaPreferencesWindow *self,
                       GtkButton              *button)
{
  secret_forget (&self->secrets[SAOMA_KEYRING_API_KEY]);
}

static void
apiv3_key_apply_cb (SaomaPreferencesWindow *self,
                    AdwEntryRow            *row)
{
  secret_apply (&self->secrets[SAOMA_KEYRING_APIV3_KEY]);
}

static void
forget_apiv3_clicked_cb (SaomaPreferencesWindow *self,
                         GtkButton              *button)
{
  secret_forget (&self->secrets[SAOMA_KEYRING_APIV3_KEY]);
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

  /* v2's reverse needs it too: a payment code whose outcome is unknown is undone by reverse,
   * so without it the till refuses payment codes (issue 13). */
  if (path[0] == '\0')
    adw_action_row_set_subtitle (self->cert_row,
                                 _("None — needed for refunds and for payment codes (to reverse one whose outcome is unknown)"));
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

/* API v3 ------------------------------------------------------------------------------------- */

static gboolean
is_v3 (SaomaPreferencesWindow *self)
{
  return g_settings_get_enum (self->settings, "api-version") == SAOMA_API_VERSION_V3;
}

static gboolean
uses_platform_certificates (SaomaPreferencesWindow *self)
{
  return g_settings_get_enum (self->settings, "wechatpay-verification") ==
         SAOMA_WXPAY3_VERIFICATION_PLATFORM_CERTIFICATES;
}

static void
update_groups (SaomaPreferencesWindow *self)
{
  gboolean v3 = is_v3 (self);
  gboolean certificates = uses_platform_certificates (self);

  gtk_widget_set_visible (GTK_WIDGET (self->v2_group), !v3);
  gtk_widget_set_visible (GTK_WIDGET (self->v3_group), v3);
  gtk_widget_set_visible (GTK_WIDGET (self->public_key_row), !certificates);
  gtk_widget_set_visible (GTK_WIDGET (self->public_key_id_row), !certificates);
}

static void
set_enum_from_row (SaomaPreferencesWindow *self,
                   const char             *key,
                   AdwComboRow            *row,
                   guint                   last)
{
  guint selected = adw_combo_row_get_selected (row);

  if (self->settings == NULL || selected > last)
    return;
  if (g_settings_get_enum (self->settings, key) != (int) selected)
    g_settings_set_enum (self->settings, key, selected);
  update_groups (self);
}

static void
demo_api_selected_cb (SaomaPreferencesWindow *self,
                      GParamSpec             *pspec,
                      AdwComboRow            *row)
{
  /* The rows are in the order of SaomaApiVersion. */
  set_enum_from_row (self, "demo-api-version", row, SAOMA_API_VERSION_V3);
}

static void
api_version_selected_cb (SaomaPreferencesWindow *self,
                         GParamSpec             *pspec,
                         AdwComboRow            *row)
{
  set_enum_from_row (self, "api-version", row, SAOMA_API_VERSION_V3);
}

static void
verification_selected_cb (SaomaPreferencesWindow *self,
                          GParamSpec             *pspec,
                          AdwComboRow            *row)
{
  /* The rows are in the order of SaomaWxpay3Verification. */
  set_enum_from_row (self, "wechatpay-verification", row,
                     SAOMA_WXPAY3_VERIFICATION_PLATFORM_CERTIFICATES);
}

/* A field that cannot be right is marked while it is typed (the reason comes with Test). */
static void
mark (GtkWidget *row,
      gboolean   wrong)
{
  if (wrong)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

static gboolean
field_wrong (const char *text,
             const char *accept,
             gsize       min,
             gsize       max)
{
  gsize len = strlen (text);

  /* Empty is "not filled in yet", not wrong. */
  return len > 0 && (len < min || len > max || strspn (text, accept) != len);
}

static void
field_changed_cb (SaomaPreferencesWindow *self,
                  GtkEditable            *editable)
{
  const char *text = gtk_editable_get_text (editable);
  GtkWidget *row = GTK_WIDGET (editable);

  if (row == GTK_WIDGET (self->mch_id_row))
    mark (row, field_wrong (text, "0123456789", 6, 16));
  else if (row == GTK_WIDGET (self->appid_row))
    mark (row, field_wrong (text, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                            2, 32));
  else if (row == GTK_WIDGET (self->serial_row))
    mark (row, field_wrong (text, "0123456789abcdefABCDEF", 8, 64));
  else if (row == GTK_WIDGET (self->public_key_id_row))
    mark (row, text[0] != '\0' && (!g_str_has_prefix (text, "PUB_KEY_ID_") ||
                                   field_wrong (text + 11, "0123456789abcdefghijklmnopqrstuvwxyz"
                                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ_", 1, 64) ||
                                   text[11] == '\0'));
}

/* A key file's row: its path and what is wrong with it (checked off the UI thread). */
typedef struct {
  char    *path;
  gboolean private_key;
  gboolean loose;
} KeyFileCheck;

static void
key_file_check_free (KeyFileCheck *check)
{
  g_free (check->path);
  g_free (check);
}

static void
key_file_worker (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  KeyFileCheck *check = task_data;
  GError *error = NULL;

  if (!saoma_merchant_check_key_file (check->path, check->private_key, &check->loose, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
key_file_checked_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SaomaPreferencesWindow *self = SAOMA_PREFERENCES_WINDOW (object);
  KeyFileCheck *check = g_task_get_task_data (G_TASK (result));
  AdwActionRow *row = check->private_key ? self->private_key_row : self->public_key_row;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf ("%s\n%s", check->path, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
    }
  else
    {
      text = check->loose
               ? g_strdup_printf ("%s\n%s", check->path,
                                  _("Warning: other users of this computer can read this key. Make it readable by you only (chmod 600)."))
               : g_strdup (check->path);
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
    }
  adw_action_row_set_subtitle (row, text);
}

static void
update_key_file_row (SaomaPreferencesWindow *self,
                     gboolean                private_key)
{
  const char *key = private_key ? "mch-private-key-path" : "wechatpay-public-key-path";
  g_autofree char *path = g_settings_get_string (self->settings, key);
  AdwActionRow *row = private_key ? self->private_key_row : self->public_key_row;
  g_autoptr(GTask) task = NULL;
  KeyFileCheck *check;

  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  if (path[0] == '\0')
    {
      adw_action_row_set_subtitle (row, _("None chosen"));
      return;
    }

  adw_action_row_set_subtitle (row, path);
  check = g_new0 (KeyFileCheck, 1);
  check->path = g_steal_pointer (&path);
  check->private_key = private_key;
  task = g_task_new (self, self->cancellable, key_file_checked_cb, NULL);
  g_task_set_task_data (task, check, (GDestroyNotify) key_file_check_free);
  g_task_run_in_thread (task, key_file_worker);
}

static void
key_chooser_response_cb (SaomaPreferencesWindow *self,
                         int                     response,
                         GtkNativeDialog        *chooser)
{
  gboolean private_key = self->chooser_private_key;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings,
                               private_key ? "mch-private-key-path" : "wechatpay-public-key-path",
                               path);
    }

  /* The row follows the setting (key_path_changed_cb). */
  g_clear_object (&self->chooser);
}

static void
choose_key_file (SaomaPreferencesWindow *self,
                 gboolean                private_key)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Keys (PEM)"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.key");
  gtk_file_filter_add_mime_type (filter, "application/x-pem-file");

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (private_key ? _("Choose the Merchant Private Key")
                                                           : _("Choose the WeChat Pay Public Key"),
                                               GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Choose"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  self->chooser_private_key = private_key;
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (key_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
private_key_choose_clicked_cb (SaomaPreferencesWindow *self,
                               GtkButton              *button)
{
  choose_key_file (self, TRUE);
}

static void
public_key_choose_clicked_cb (SaomaPreferencesWindow *self,
                              GtkButton              *button)
{
  choose_key_file (self, FALSE);
}

/* Test connection: a query for an order that cannot exist (saoma-merchant-check.c). */

static void
test_done (SaomaPreferencesWindow *self,
           const char             *message)
{
  gtk_spinner_stop (self->test_spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), TRUE);
  adw_action_row_set_subtitle (self->test_row, message);
  g_free (self->test_message);
  self->test_message = g_strdup (message);
}

static void
connection_checked_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(SaomaPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean loose = FALSE;

  if (!saoma_merchant_check_connection_finish (result, &loose, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        test_done (self, error->message);
      return;
    }

  if (loose)
    {
      g_autofree char *text = g_strdup_printf (
        "%s\n%s", _("Connected: WeChat Pay accepted our signature and its answer verified."),
        _("Warning: other users of this computer can read the private key. Make it readable by you only (chmod 600)."));

      test_done (self, text);
      return;
    }
  test_done (self, _("Connected: WeChat Pay accepted our signature and its answer verified."));
}

static void
run_test (SaomaPreferencesWindow *self,
          const char             *key)
{
  g_autoptr(SaomaMerchant) merchant = NULL;
  SaomaGatewayMode mode = g_settings_get_enum (self->settings, "gateway-mode");

  if (mode == SAOMA_GATEWAY_MODE_DEMO)
    {
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

      if (mode == SAOMA_GATEWAY_MODE_CUSTOM && custom[0] == '\0')
        {
          test_done (self, _("Enter the custom gateway URL first."));
          return;
        }
      merchant = saoma_application_dup_merchant (self->application, key);
      /* orderquery needs no client certificate: a bad one must not hide the answer. */
      g_clear_pointer (&merchant->certificate_path, g_free);
    }

  saoma_merchant_check_connection_async (merchant, self->cancellable, connection_checked_cb,
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
      if (error != NULL)
        test_done (self, keyring_unavailable_message ());
      else if (is_v3 (self))
        test_done (self, _("No APIv3 key is stored: type it in the APIv3 key row first."));
      else
        test_done (self, _("No API key is stored: type it in the API key row first."));
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
  gboolean v3 = is_v3 (self);
  const char *typed_key = gtk_editable_get_text (GTK_EDITABLE (v3 ? self->apiv3_key_row
                                                                   : self->api_key_row));
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

  saoma_keyring_lookup_item_async (v3 ? SAOMA_KEYRING_APIV3_KEY : SAOMA_KEYRING_API_KEY, mch_id,
                                   self->cancellable, test_key_cb, g_object_ref (self));
}

/**
 * saoma_preferences_window_get_test_message:
 * @self: a #SaomaPreferencesWindow
 *
 * Returns: (nullable): what the last "Test connection" said, %NULL before it ended (tests)
 */
const char *
saoma_preferences_window_get_test_message (SaomaPreferencesWindow *self)
{
  g_return_val_if_fail (SAOMA_IS_PREFERENCES_WINDOW (self), NULL);

  return self->test_message;
}

/**
 * saoma_preferences_window_test_connection:
 * @self: a #SaomaPreferencesWindow
 *
 * Presses "Test" (tests and screenshots); the answer comes as
 * saoma_preferences_window_get_test_message().
 */
void
saoma_preferences_window_test_connection (SaomaPreferencesWindow *self)
{
  g_return_if_fail (SAOMA_IS_PREFERENCES_WINDOW (self));

  g_clear_pointer (&self->test_message, g_free);
  test_clicked_cb (self, self->test_button);
}

static void
key_path_changed_cb (SaomaPreferencesWindow *self,
                     const char             *key,
                     GSettings              *settings)
{
  update_key_file_row (self, g_str_equal (key, "mch-private-key-path"));
}

static void
mch_id_changed_cb (SaomaPreferencesWindow *self,
                   const char             *key,
                   GSettings              *settings)
{
  update_secret_status (&self->secrets[SAOMA_KEYRING_API_KEY]);
  update_secret_status (&self->secrets[SAOMA_KEYRING_APIV3_KEY]);
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
  g_clear_pointer (&self->test_message, g_free);

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
  g_type_ensure (SAOMA_TYPE_MESSAGE_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/saoma/Cashier/saoma-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, gateway_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, custom_url_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, demo_api_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, api_version_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, v2_group);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, v3_group);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, private_key_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, serial_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, verification_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, public_key_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, public_key_id_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, apiv3_key_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, apiv3_status_row);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow,
                                        forget_apiv3_button);
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
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, v2_message);
  gtk_widget_class_bind_template_child (widget_class, SaomaPreferencesWindow, v3_message);
  gtk_widget_class_bind_template_callback (widget_class, gateway_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_type_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, api_key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, forget_key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cert_clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, demo_api_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, api_version_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, verification_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, private_key_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, public_key_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, apiv3_key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, forget_apiv3_clicked_cb);
}

static void
saoma_preferences_window_init (SaomaPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  secret_rows_init (&self->secrets[SAOMA_KEYRING_API_KEY], self, SAOMA_KEYRING_API_KEY,
                    self->api_key_row, self->key_status_row, self->forget_key_button);
  secret_rows_init (&self->secrets[SAOMA_KEYRING_APIV3_KEY], self, SAOMA_KEYRING_APIV3_KEY,
                    self->apiv3_key_row, self->apiv3_status_row, self->forget_apiv3_button);
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
  adw_combo_row_set_selected (self->demo_api_row, g_settings_get_enum (settings,
                                                                       "demo-api-version"));
  adw_combo_row_set_selected (self->api_version_row, g_settings_get_enum (settings,
                                                                          "api-version"));
  adw_combo_row_set_selected (self->verification_row,
                              g_settings_get_enum (settings, "wechatpay-verification"));
  g_settings_bind (settings, "mch-serial", self->serial_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "wechatpay-public-key-id", self->public_key_id_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

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
  g_signal_connect_object (settings, "changed::mch-private-key-path",
                           G_CALLBACK (key_path_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::wechatpay-public-key-path",
                           G_CALLBACK (key_path_changed_cb), self, G_CONNECT_SWAPPED);
  update_cert_row (self);
  update_secret_status (&self->secrets[SAOMA_KEYRING_API_KEY]);
  update_secret_status (&self->secrets[SAOMA_KEYRING_APIV3_KEY]);
  update_key_file_row (self, TRUE);
  update_key_file_row (self, FALSE);
  update_groups (self);

  /* The manager PIN for refunds (issue 7), beside the certificate refunds need. */
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                               GTK_WIDGET (self->cert_row), ADW_TYPE_PREFERENCES_GROUP)),
                             saoma_pin_dialog_new_preferences_row (application));
  /* The scanner's one setting, in its own group on the Till page (issue 13). */
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (gtk_widget_get_ancestor (
                              GTK_WIDGET (self->store_name_row), ADW_TYPE_PREFERENCES_PAGE)),
                            ADW_PREFERENCES_GROUP (
                              saoma_scan_capture_new_preferences_group (settings)));
  /* The business day (issue 12.5): a group of its own on the Till page. */
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (gtk_widget_get_ancestor (
                              GTK_WIDGET (self->store_name_row), ADW_TYPE_PREFERENCES_PAGE)),
                            ADW_PREFERENCES_GROUP (
                              saoma_business_day_preferences_group_new (settings)));

  return self;
}
