/* wxpay-sim-faults.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-sim"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "wxpay-sim-private.h"

/* A selection is a list of flat objects: two levels. */
#define MAX_DEPTH 16

typedef struct {
  const char *name;
  gsize       offset;
} RateField;

static const RateField rate_fields[] = {
  { "drop_before", G_STRUCT_OFFSET (WxpaySimFault, drop_before) },
  { "drop_after", G_STRUCT_OFFSET (WxpaySimFault, drop_after) },
  { "http_500", G_STRUCT_OFFSET (WxpaySimFault, http_500) },
  { "http_502", G_STRUCT_OFFSET (WxpaySimFault, http_502) },
  { "systemerror", G_STRUCT_OFFSET (WxpaySimFault, systemerror) },
  { "bad_sign", G_STRUCT_OFFSET (WxpaySimFault, bad_sign) },
  { "dup_notify", G_STRUCT_OFFSET (WxpaySimFault, dup_notify) },
  { "wrong_amount_notify", G_STRUCT_OFFSET (WxpaySimFault, wrong_amount_notify) },
  { "corrupt_bill", G_STRUCT_OFFSET (WxpaySimFault, corrupt_bill) },
  { "refund_abnormal", G_STRUCT_OFFSET (WxpaySimFault, refund_abnormal) },
};

#define RATE(fault, field) (*(double *)((char *)(fault) + (field)->offset))

void
wxpay_sim_fault_free (WxpaySimFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->path);
  g_free (fault);
}

static gboolean
number_of (JsonNode   *value,
           const char *name,
           double     *out,
           GError    **error)
{
  GType type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;

  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "\"%s\" must be a number", name);
      return FALSE;
    }
  *out = json_node_get_double (value);
  return TRUE;
}

static WxpaySimFault *
fault_from_node (JsonNode *node,
                 GError  **error)
{
  g_autoptr(WxpaySimFault) fault = g_new0 (WxpaySimFault, 1);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "a fault selection is a JSON object");
      return NULL;
    }

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      gboolean known = FALSE;
      double number;

      if (strcmp (key, "path") == 0)
        {
          known = TRUE;
          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            {
              g_free (fault->path);
              fault->path = json_node_dup_string (value);
              if (fault->path[0] != '/')
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "\"path\" must start with '/'");
                  return NULL;
                }
            }
          else if (!JSON_NODE_HOLDS_NULL (value))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"path\" must be a string or null");
              return NULL;
            }
        }
      else if (strcmp (key, "latency_ms") == 0)
        {
          known = TRUE;
          if (!number_of (value, key, &number, error))
            return NULL;
          if (!(number >= 0 && number <= 600000))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "\"latency_ms\" must be between 0 and 600000");
              return NULL;
            }
          fault->latency_ms = (guint)number;
        }
      else
        {
          for (guint i = 0; i < G_N_ELEMENTS (rate_fields); i++)
            {
              if (strcmp (key, rate_fields[i].name) != 0)
                continue;
              known = TRUE;
              if (!number_of (value, key, &number, error))
                return NULL;
              if (!(number >= 0.0 && number <= 1.0))
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "\"%s\" is a rate between 0 and 1", key);
                  return NULL;
                }
              RATE (fault, &rate_fields[i]) = number;
            }
        }

      if (!known)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown fault \"%s\"", key);
          return NULL;
        }
    }

  return g_steal_pointer (&fault);
}

/* json-glib recurses once per nesting level and has no limit of its own: a selection is at most
 * a list of flat objects, so anything nested deeper is refused before it is parsed. */
static gboolean
nesting_ok (const char *json,
            gsize       length)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = json[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_DEPTH)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

GPtrArray *
wxpay_sim_faults_parse (const char *json,
                        GError    **error)
{
  g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func ((GDestroyNotify)wxpay_sim_fault_free);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  if (json == NULL)
    return g_steal_pointer (&faults);

  {
    g_autofree char *copy = g_strstrip (g_strdup (json));

    if (copy[0] == '\0')
      return g_steal_pointer (&faults);
  }

  if (!nesting_ok (json, strlen (json)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "invalid JSON: nested too deeply");
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, json, -1, &parse_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "invalid JSON: %s",
                   parse_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "invalid JSON: empty");
      return NULL;
    }

  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          WxpaySimFault *fault = fault_from_node (json_array_get_element (array, i), error);

          if (fault == NULL)
            return NULL;
          g_ptr_array_add (faults, fault);
        }
    }
  else
    {
      WxpaySimFault *fault = fault_from_node (root, error);

      if (fault == NULL)
        return NULL;
      g_ptr_array_add (faults, fault);
    }

  return g_steal_pointer (&faults);
}

char *
wxpay_sim_faults_to_json (GPtrArray *faults)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; faults != NULL && i < faults->len; i++)
    {
      const WxpaySimFault *fault = g_ptr_array_index (faults, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"path\":");
      wxpay_sim_json_append_string (out, fault->path);
      g_string_append_printf (out, ",\"latency_ms\":%u", fault->latency_ms);
      for (guint j = 0; j < G_N_ELEMENTS (rate_fields); j++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append_printf (out, ",\"%s\":%s", rate_fields[j].name,
                                  g_ascii_dtostr (buf, sizeof buf, RATE (fault, &rate_fields[j])));
        }
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');

  return g_string_free (out, FALSE);
}

/* Rolls only for non-zero rates, so a selection's random sequence depends only on the seed and
 * the order of requests, and rate 1.0 never consumes luck. */
static gboolean
roll (GRand  *rand,
      double  rate)
{
  if (rate <= 0.0)
    return FALSE;
  if (rate >= 1.0)
    return TRUE;
  return g_rand_double (rand) < rate;
}

void
wxpay_sim_faults_decide (GPtrArray             *faults,
                         GRand                 *rand,
                         const char            *path,
                         WxpaySimFaultDecision *out)
{
  memset (out, 0, sizeof *out);

  for (guint i = 0; faults != NULL && i < faults->len; i++)
    {
      const WxpaySimFault *fault = g_ptr_array_index (faults, i);

      if (fault->path != NULL && g_strcmp0 (fault->path, path) != 0)
        continue;

      out->latency_ms = MAX (out->latency_ms, fault->latency_ms);
      if (roll (rand, fault->drop_before))
        out->drop_before = TRUE;
      if (out->http_status == 0 && roll (rand, fault->http_500))
        out->http_status = 500;
      if (out->http_status == 0 && roll (rand, fault->http_502))
        out->http_status = 502;
      if (roll (rand, fault->systemerror))
        out->systemerror = TRUE;
      if (roll (rand, fault->drop_after))
        out->drop_after = TRUE;
      if (roll (rand, fault->bad_sign))
        out->bad_sign = TRUE;
      if (roll (rand, fault->corrupt_bill))
        out->corrupt_bill = TRUE;
      if (roll (rand, fault->refund_abnormal))
        out->refund_abnormal = TRUE;
    }
}

void
wxpay_sim_faults_decide_notify (GPtrArray *faults,
                                GRand     *rand,
                                gboolean  *out_duplicate,
                                gboolean  *out_wrong_amount)
{
  *out_duplicate = FALSE;
  *out_wrong_amount = FALSE;

  for (guint i = 0; faults != NULL && i < faults->len; i++)
    {
      const WxpaySimFault *fault = g_ptr_array_index (faults, i);

      if (roll (rand, fault->dup_notify))
        *out_duplicate = TRUE;
      if (roll (rand, fault->wrong_amount_notify))
        *out_wrong_amount = TRUE;
    }
}
