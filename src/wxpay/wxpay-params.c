/* wxpay-params.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-params"

#include "config.h"

#include <string.h>

#include "wxpay-params.h"
#include "wxpay-private.h"

struct _WxpayParams
{
  gatomicrefcount ref_count;
  /* Parallel arrays keep insertion order. Most sets are small (≤ ~30), where a linear scan
   * beats hashing; a decoded body may hold up to WXPAY_XML_MAX_FIELDS, and a scan per added
   * field made decoding quadratic, so past INDEX_THRESHOLD names a hash index (name → position
   * + 1) is kept beside them. */
  char      **names;
  char      **values;
  guint       len;
  guint       alloc;
  GHashTable *index;
  /* The strings of a decoded body, in one allocation (wxpay_params_new_block()): not freed one
   * by one. Any other string is the set's own. */
  char       *block;
  gsize       block_size;
};

#define INDEX_THRESHOLD 32

G_DEFINE_BOXED_TYPE (WxpayParams, wxpay_params, wxpay_params_ref, wxpay_params_unref)

static gboolean
in_block (const WxpayParams *self,
          const char        *str)
{
  /* As integers: strings of other allocations are compared too. */
  return self->block != NULL && (guintptr)str >= (guintptr)self->block &&
         (guintptr)str < (guintptr)self->block + self->block_size;
}

/* Frees a name or (wiped first) a value the set owns; one of the block is only wiped. */
static void
free_string (WxpayParams *self,
             char        *str,
             gboolean     wipe)
{
  if (wipe)
    explicit_bzero (str, strlen (str));
  if (!in_block (self, str))
    g_free (str);
}

static int
find_index (const WxpayParams *self,
            const char        *name)
{
  g_assert (self != NULL);
  g_assert (name != NULL);

  if (self->index != NULL)
    return (int)GPOINTER_TO_UINT (g_hash_table_lookup (self->index, name)) - 1;

  /* The first byte first: names of a message mostly differ there, and it saves a call. */
  for (guint i = 0; i < self->len; i++)
    {
      const char *candidate = self->names[i];

      if (candidate[0] == name[0] && strcmp (candidate, name) == 0)
        return (int)i;
    }

  return -1;
}

/* Keys are the names the arrays hold, values their position + 1. */
static void
update_index (WxpayParams *self)
{
  g_clear_pointer (&self->index, g_hash_table_unref);
  if (self->len <= INDEX_THRESHOLD)
    return;

  self->index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < self->len; i++)
    g_hash_table_insert (self->index, self->names[i], GUINT_TO_POINTER (i + 1));
}

/* Takes @name and @value (the set's own, or strings of its block). */
static void
append_take (WxpayParams *self,
             char        *name,
             char        *value)
{
  if (self->len == self->alloc)
    {
      self->alloc *= 2;
      self->names = g_renew (char *, self->names, self->alloc);
      self->values = g_renew (char *, self->values, self->alloc);
    }
  self->names[self->len] = name;
  self->values[self->len] = value;
  self->len++;
  if (self->index != NULL)
    g_hash_table_insert (self->index, name, GUINT_TO_POINTER (self->len));
  else if (self->len > INDEX_THRESHOLD)
    update_index (self);
}

static void
append (WxpayParams *self,
        const char  *name,
        const char  *value)
{
  append_take (self, g_strdup (name), g_strdup (value));
}

static WxpayParams *
params_new_sized (guint alloc)
{
  WxpayParams *self = g_new0 (WxpayParams, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->alloc = MAX (alloc, 1);
  self->names = g_new (char *, self->alloc);
  self->values = g_new (char *, self->alloc);

  return self;
}

/**
 * wxpay_params_new:
 *
 * Returns: (transfer full): an empty parameter set
 */
WxpayParams *
wxpay_params_new (void)
{
  /* Room for a typical request or answer (17–30 fields) without growing. */
  return params_new_sized (32);
}

WxpayParams *
wxpay_params_new_block (gsize   size,
                        char  **out_block)
{
  WxpayParams *self = params_new_sized (32);

  self->block = g_malloc (MAX (size, 1));
  self->block_size = MAX (size, 1);
  *out_block = self->block;

  return self;
}

gboolean
wxpay_params_add_unique_block (WxpayParams *self,
                               char        *name,
                               char        *value)
{
  g_assert (self != NULL);
  g_assert (in_block (self, name) && *name != '\0');
  g_assert (in_block (self, value));

  if (find_index (self, name) >= 0)
    return FALSE;

  append_take (self, name, value);

  return TRUE;
}

WxpayParams *
wxpay_params_ref (WxpayParams *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

void
wxpay_params_unref (WxpayParams *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_clear_pointer (&self->index, g_hash_table_unref);
      /* Values may be secrets-adjacent (sign); clear them before freeing. */
      for (guint i = 0; i < self->len; i++)
        {
          free_string (self, self->names[i], FALSE);
          free_string (self, self->values[i], TRUE);
        }
      /* Its values were wiped above; the rest of it was never written (a body's size is
       * reserved, hostile ones of 1 MiB included, and only what was decoded is touched). */
      g_free (self->block);
      g_free (self->names);
      g_free (self->values);
      g_free (self);
    }
}

/**
 * wxpay_params_copy:
 * @self: a #WxpayParams
 *
 * Returns: (transfer full): a deep copy of @self
 */
WxpayParams *
wxpay_params_copy (const WxpayParams *self)
{
  WxpayParams *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = params_new_sized (MAX (self->len, 32));
  for (guint i = 0; i < self->len; i++)
    append (copy, self->names[i], self->values[i]);

  return copy;
}

/**
 * wxpay_params_set:
 * @self: a #WxpayParams
 * @name: the parameter name
 * @value: (nullable): the UTF-8 value; %NULL removes @name
 *
 * Replaces the value when @name exists (keeping its position), appends otherwise.
 */
void
wxpay_params_set (WxpayParams *self,
                  const char  *name,
                  const char  *value)
{
  int idx;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && *name != '\0');

  if (value == NULL)
    {
      wxpay_params_remove (self, name);
      return;
    }

  idx = find_index (self, name);
  if (idx >= 0)
    {
      char *old = self->values[idx];

      if (old == value)
        return;
      self->values[idx] = g_strdup (value);
      free_string (self, old, TRUE);
    }
  else
    append (self, name, value);
}

gboolean
wxpay_params_add_unique (WxpayParams *self,
                         const char  *name,
                         const char  *value)
{
  g_assert (self != NULL);
  g_assert (name != NULL && *name != '\0');
  g_assert (value != NULL);

  if (find_index (self, name) >= 0)
    return FALSE;

  append (self, name, value);

  return TRUE;
}

gboolean
wxpay_params_add_unique_take (WxpayParams *self,
                              char        *name,
                              char        *value)
{
  g_assert (self != NULL);
  g_assert (name != NULL && *name != '\0');
  g_assert (value != NULL);

  if (find_index (self, name) >= 0)
    {
      g_free (name);
      explicit_bzero (value, strlen (value));
      g_free (value);
      return FALSE;
    }

  append_take (self, name, value);

  return TRUE;
}

void
wxpay_params_set_int64 (WxpayParams *self,
                        const char  *name,
                        gint64       value)
{
  char buf[32];

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  wxpay_params_set (self, name, buf);
}

gboolean
wxpay_params_remove (WxpayParams *self,
                     const char  *name)
{
  int idx;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  idx = find_index (self, name);
  if (idx < 0)
    return FALSE;

  /* The index holds the removed name and positions that shift: it goes first, comes back
   * after. Removal is rare (the client drops "sign" from small sets). */
  g_clear_pointer (&self->index, g_hash_table_unref);
  free_string (self, self->names[idx], FALSE);
  free_string (self, self->values[idx], TRUE);
  memmove (self->names + idx, self->names + idx + 1, (self->len - idx - 1) * sizeof (char *));
  memmove (self->values + idx, self->values + idx + 1, (self->len - idx - 1) * sizeof (char *));
  self->len--;
  update_index (self);

  return TRUE;
}

/**
 * wxpay_params_get:
 * @self: a #WxpayParams
 * @name: the parameter name
 *
 * Returns: (nullable): the value, or %NULL when absent
 */
const char *
wxpay_params_get (const WxpayParams *self,
                  const char        *name)
{
  int idx;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  idx = find_index (self, name);
  if (idx < 0)
    return NULL;

  return self->values[idx];
}

/**
 * wxpay_params_get_int64:
 * @self: a #WxpayParams
 * @name: the parameter name
 * @out_value: (out) (optional): the value
 *
 * Returns: %TRUE when present and a plain unsigned base-10 integer that fits a gint64
 */
gboolean
wxpay_params_get_int64 (const WxpayParams *self,
                        const char        *name,
                        gint64            *out_value)
{
  const char *text;
  guint64 v = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  text = wxpay_params_get (self, name);
  if (text == NULL || *text == '\0' || strlen (text) > 19)
    return FALSE;

  for (const char *p = text; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return FALSE;
      v = v * 10 + (guint64)(*p - '0');
    }

  if (v > G_MAXINT64)
    return FALSE;

  if (out_value != NULL)
    *out_value = (gint64)v;

  return TRUE;
}

gboolean
wxpay_params_contains (const WxpayParams *self,
                       const char        *name)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return find_index (self, name) >= 0;
}

guint
wxpay_params_get_size (const WxpayParams *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->len;
}

const char *
wxpay_params_get_name (const WxpayParams *self,
                       guint              index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->len, NULL);

  return self->names[index];
}

const char *
wxpay_params_get_value (const WxpayParams *self,
                        guint              index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->len, NULL);

  return self->values[index];
}
