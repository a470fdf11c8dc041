/* test-settings-enums.c: every enum key of the GSettings schema has a C enum with a GType whose
 * values and nicks are exactly the schema's, so code reads g_settings_get_enum() as that type
 * and a nick or value changed on one side only fails here. Uses the schema compiled in the
 * build (GSETTINGS_SCHEMA_DIR) with the memory backend. */
#include "config.h"

#include <gio/gio.h>

#include "wxpay/wxpay.h"
#include "saoma-settings-types.h"

#define APP_ID "io.github.saoma.Cashier"

static const struct {
  const char *key;
  GType     (*get_type) (void);
} enum_keys[] = {
  { "gateway-mode", saoma_gateway_mode_get_type },
  { "sign-type", wxpay_sign_type_get_type },
  { "customer-display-single-monitor", saoma_single_monitor_get_type },
  { "api-version", saoma_api_version_get_type },
  { "demo-api-version", saoma_api_version_get_type },
  { "wechatpay-verification", saoma_wxpay3_verification_get_type },
};

static GType
type_of_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (enum_keys); i++)
    if (g_str_equal (enum_keys[i].key, key))
      return enum_keys[i].get_type ();
  return G_TYPE_INVALID;
}

static void
test_enum_keys_match (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  guint checked = 0;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);

  for (guint k = 0; keys[k] != NULL; k++)
    {
      g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, keys[k]);
      g_autoptr(GVariant) range = g_settings_schema_key_get_range (key);
      g_autoptr(GVariant) nicks = NULL;
      const char *kind = NULL;
      g_autoptr(GEnumClass) klass = NULL;
      GType type;

      g_variant_get (range, "(&sv)", &kind, &nicks);
      if (!g_str_equal (kind, "enum"))
        continue;

      type = type_of_key (keys[k]);
      g_test_message ("%s: %s", keys[k], g_type_name (type));
      if (type == G_TYPE_INVALID)
        g_error ("the enum key %s has no C enum GType", keys[k]);
      g_assert_true (G_TYPE_IS_ENUM (type));
      klass = g_type_class_ref (type);

      /* As many nicks in the schema as values in the enum … */
      g_assert_cmpuint (g_variant_n_children (nicks), ==, klass->n_values);

      /* … each value's nick is the schema's, and reads back as that value. */
      for (guint v = 0; v < klass->n_values; v++)
        {
          const GEnumValue *value = &klass->values[v];

          g_assert_true (g_settings_set_string (settings, keys[k], value->value_nick));
          g_assert_cmpint (g_settings_get_enum (settings, keys[k]), ==, value->value);
          g_assert_true (g_settings_set_enum (settings, keys[k], value->value));
          {
            g_autofree char *nick = g_settings_get_string (settings, keys[k]);

            g_assert_cmpstr (nick, ==, value->value_nick);
          }
        }
      g_settings_reset (settings, keys[k]);
      checked++;
    }

  /* Every enum this test knows is still an enum key of the schema. */
  g_assert_cmpuint (checked, ==, G_N_ELEMENTS (enum_keys));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/settings/enum-keys-match", test_enum_keys_match);

  return g_test_run ();
}
