/* wxpay-sign.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "wxpay-sign"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/sha2.h>

#include "wxpay-sign.h"

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const char *
wxpay_sign_type_to_string (WxpaySignType type)
{
  switch (type)
    {
    case WXPAY_SIGN_TYPE_HMAC_SHA256:
      return "HMAC-SHA256";
    case WXPAY_SIGN_TYPE_MD5:
    default:
      return "MD5";
    }
}

gboolean
wxpay_sign_type_from_string (const char    *str,
                             WxpaySignType *out_type)
{
  WxpaySignType type;

  if (str == NULL)
    return FALSE;

  if (strcmp (str, "MD5") == 0)
    type = WXPAY_SIGN_TYPE_MD5;
  else if (strcmp (str, "HMAC-SHA256") == 0)
    type = WXPAY_SIGN_TYPE_HMAC_SHA256;
  else
    return FALSE;

  if (out_type != NULL)
    *out_type = type;

  return TRUE;
}

typedef struct {
  const char *name;
  const char *value;
  gsize       name_len;
  gsize       value_len;
} Field;

/* The fields of stringA (§2.1: "sign" and every empty value stay out), sorted by name: strcmp
 * on UTF-8 is byte order, which is what §2.1 asks for. An insertion sort: a message has 10–30
 * fields, where qsort()'s merge sort (a temporary buffer, a call per comparison) cost more
 * than the hash. Lengths are taken once here for the caller. */
static Field *
sorted_fields (const WxpayParams *params,
               Field             *stack,
               guint              stack_n,
               guint             *out_n)
{
  guint n = wxpay_params_get_size (params);
  Field *fields = n <= stack_n ? stack : g_new (Field, n);
  guint kept = 0;

  for (guint i = 0; i < n; i++)
    {
      Field f = { wxpay_params_get_name (params, i), wxpay_params_get_value (params, i) };
      guint j;

      if (f.value[0] == '\0' || strcmp (f.name, "sign") == 0)
        continue;
      f.name_len = strlen (f.name);
      f.value_len = strlen (f.value);
      for (j = kept; j > 0 && strcmp (fields[j - 1].name, f.name) > 0; j--)
        fields[j] = fields[j - 1];
      fields[j] = f;
      kept++;
    }
  *out_n = kept;

  return fields;
}

/* stringA of §2: the sorted fields joined as name=value&…, into @stack when it fits (else a
 * new buffer, returned in @out_heap for the caller to free). */
static char *
build_string_a (const WxpayParams *params,
                char              *stack,
                gsize              stack_size,
                char             **out_heap,
                gsize             *out_len)
{
  Field field_stack[48];
  Field *fields;
  gsize len = 0;
  char *str;
  char *p;
  guint n;

  fields = sorted_fields (params, field_stack, G_N_ELEMENTS (field_stack), &n);
  for (guint i = 0; i < n; i++)
    len += (i > 0) + fields[i].name_len + 1 + fields[i].value_len;

  *out_heap = NULL;
  if (len < stack_size)
    str = stack;
  else
    str = *out_heap = g_malloc (len + 1);
  p = str;
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        *p++ = '&';
      memcpy (p, fields[i].name, fields[i].name_len);
      p += fields[i].name_len;
      *p++ = '=';
      memcpy (p, fields[i].value, fields[i].value_len);
      p += fields[i].value_len;
    }
  *p = '\0';
  *out_len = len;
  if (fields != field_stack)
    g_free (fields);

  return str;
}

/**
 * wxpay_sign_string:
 * @params: the parameters
 *
 * Returns: (transfer full): stringA of §2, without "&key="
 */
char *
wxpay_sign_string (const WxpayParams *params)
{
  char *heap;
  char empty[1];
  gsize len;

  g_return_val_if_fail (params != NULL, NULL);

  /* No stack room: always a buffer of its own to return. */
  build_string_a (params, empty, 0, &heap, &len);

  return heap;
}

typedef struct {
  WxpaySignType type;
  union {
    struct md5_ctx         md5;
    struct hmac_sha256_ctx hmac;
  } u;
} Digest;

static void
digest_update (Digest     *d,
               const char *text,
               gsize       len)
{
  if (d->type == WXPAY_SIGN_TYPE_HMAC_SHA256)
    hmac_sha256_update (&d->u.hmac, len, (const uint8_t *)text);
  else
    md5_update (&d->u.md5, len, (const uint8_t *)text);
}

/* stringSignTemp = stringA + "&key=" + key, fed to the hash in three pieces: no copy of the key
 * is made, and nettle's contexts live on the stack (wiped afterwards). */
static char *
sign_internal (const WxpayParams *params,
               WxpaySignType      type,
               const char        *key)
{
  static const char hex[] = "0123456789ABCDEF";
  g_autofree char *heap = NULL;
  char stack[2048];
  const char *string_a;
  guint8 raw[SHA256_DIGEST_SIZE];
  gsize raw_len;
  gsize len;
  char *out;
  Digest d;

  d.type = type;
  if (type == WXPAY_SIGN_TYPE_HMAC_SHA256)
    {
      hmac_sha256_set_key (&d.u.hmac, strlen (key), (const uint8_t *)key);
      raw_len = SHA256_DIGEST_SIZE;
    }
  else
    {
      md5_init (&d.u.md5);
      raw_len = MD5_DIGEST_SIZE;
    }

  string_a = build_string_a (params, stack, sizeof stack, &heap, &len);
  digest_update (&d, string_a, len);
  digest_update (&d, len > 0 ? "&key=" : "key=", len > 0 ? 5 : 4);
  digest_update (&d, key, strlen (key));

  if (type == WXPAY_SIGN_TYPE_HMAC_SHA256)
    hmac_sha256_digest (&d.u.hmac, raw_len, raw);
  else
    md5_digest (&d.u.md5, raw_len, raw);

  out = g_malloc (2 * raw_len + 1);
  for (gsize i = 0; i < raw_len; i++)
    {
      out[2 * i] = hex[raw[i] >> 4];
      out[2 * i + 1] = hex[raw[i] & 0xf];
    }
  out[2 * raw_len] = '\0';

  /* The contexts hold key material (HMAC pads; MD5's buffer may hold the key's tail);
   * explicit_bzero() is not optimised away like a memset() before going out of scope. */
  explicit_bzero (&d, sizeof d);

  return out;
}

/**
 * wxpay_sign:
 * @params: the parameters ("sign" is ignored)
 * @type: the algorithm
 * @key: the 32-byte API key
 *
 * Returns: (transfer full): the upper-case hex signature
 */
char *
wxpay_sign (const WxpayParams *params,
            WxpaySignType      type,
            const char        *key)
{
  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return sign_internal (params, type, key);
}

/**
 * wxpay_params_sign:
 * @params: the parameters to sign in place
 * @type: the algorithm
 * @key: the API key
 *
 * Stores "sign". For HMAC-SHA256 "sign_type" is set first (it is part of the signed set); for
 * MD5 an existing "sign_type" is set to "MD5" so that it cannot contradict the signature.
 */
void
wxpay_params_sign (WxpayParams  *params,
                   WxpaySignType type,
                   const char   *key)
{
  g_autofree char *sign = NULL;

  g_return_if_fail (params != NULL);
  g_return_if_fail (key != NULL);

  if (type == WXPAY_SIGN_TYPE_HMAC_SHA256)
    wxpay_params_set (params, "sign_type", "HMAC-SHA256");
  else if (wxpay_params_contains (params, "sign_type"))
    wxpay_params_set (params, "sign_type", "MD5");

  sign = sign_internal (params, type, key);
  wxpay_params_set (params, "sign", sign);
}

/* Compares two strings of equal length in time that depends only on the length. */
static gboolean
equal_constant_time (const char *a,
                     const char *b,
                     gsize       len)
{
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= (guint8)a[i] ^ (guint8)b[i];

  return diff == 0;
}

/**
 * wxpay_verify:
 * @params: received parameters including "sign"
 * @type: the expected algorithm
 * @key: the API key
 *
 * Returns: %TRUE when "sign" is present and matches, compared in constant time
 */
gboolean
wxpay_verify (const WxpayParams *params,
              WxpaySignType      type,
              const char        *key)
{
  g_autofree char *expected = NULL;
  const char *received;
  gsize len;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  received = wxpay_params_get (params, "sign");
  if (received == NULL)
    return FALSE;

  len = type == WXPAY_SIGN_TYPE_HMAC_SHA256 ? 64 : 32;
  if (strlen (received) != len)
    return FALSE;

  expected = sign_internal (params, type, key);

  return equal_constant_time (expected, received, len);
}

/**
 * wxpay_verify_auto:
 * @params: received parameters including "sign"
 * @key: the API key
 * @out_type: (out) (optional): the algorithm that matched
 *
 * Picks the algorithm by the length of "sign" (32 → MD5, 64 → HMAC-SHA256).
 *
 * Returns: %TRUE when the signature is valid
 */
gboolean
wxpay_verify_auto (const WxpayParams *params,
                   const char        *key,
                   WxpaySignType     *out_type)
{
  const char *received;
  WxpaySignType type;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  received = wxpay_params_get (params, "sign");
  if (received == NULL)
    return FALSE;

  switch (strlen (received))
    {
    case 32:
      type = WXPAY_SIGN_TYPE_MD5;
      break;
    case 64:
      type = WXPAY_SIGN_TYPE_HMAC_SHA256;
      break;
    default:
      return FALSE;
    }

  if (!wxpay_verify (params, type, key))
    return FALSE;

  if (out_type != NULL)
    *out_type = type;

  return TRUE;
}

/* Fills @out with @len characters of [0-9A-Za-z], uniformly (rejection sampling). */
static void
random_alnum (char  *out,
              gsize  len)
{
  gsize filled = 0;

  while (filled < len)
    {
      guint8 buf[64];
      ssize_t got;

      /* The kernel's generator, as gnutls_rnd() was: a v2 program need not load GnuTLS for
       * it (saoma-cli). At most 256 bytes come whole once the pool is ready. */
      do
        got = getrandom (buf, sizeof buf, 0);
      while (got < 0 && errno == EINTR);
      if (got != (ssize_t) sizeof buf)
        g_error ("The kernel's random number generator failed: %s", g_strerror (errno));

      for (gsize i = 0; i < sizeof buf && filled < len; i++)
        {
          /* 248 = 4 × 62: drop the top bytes so every character is equally likely. */
          if (buf[i] < 248)
            out[filled++] = alnum[buf[i] % 62];
        }
    }
}

/**
 * wxpay_nonce_new:
 *
 * Returns: (transfer full): 32 random alphanumerics
 */
char *
wxpay_nonce_new (void)
{
  char *nonce = g_malloc (33);

  random_alnum (nonce, 32);
  nonce[32] = '\0';

  return nonce;
}

static char *
sanitise_till (const char *till_id)
{
  GString *str = g_string_new (NULL);

  for (const char *p = till_id ? till_id : ""; *p && str->len < 8; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (str, *p);
    }

  return g_string_free (str, FALSE);
}

static char *
make_number (const char *prefix,
             const char *till_id,
             GDateTime  *now,
             gsize       random_len)
{
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *till = sanitise_till (till_id);
  g_autofree char *stamp = NULL;
  char rnd[32];

  g_assert (random_len < sizeof rnd);

  /* The wall time of @now's own zone: the caller says which (the shop's, so that the number
   * reads like the time beside it); UTC for the system clock. */
  if (now != NULL)
    when = g_date_time_ref (now);
  else
    when = g_date_time_new_now_utc ();
  stamp = g_date_time_format (when, "%Y%m%d%H%M%S");

  random_alnum (rnd, random_len);
  rnd[random_len] = '\0';

  return g_strconcat (prefix, till, stamp, rnd, NULL);
}

/**
 * wxpay_out_trade_no_new:
 * @till_id: (nullable): the till id; only its first 8 alphanumerics are used
 * @now: (nullable): the current time (from the injected clock); %NULL for the system clock
 *
 * Returns: (transfer full): till + yyyyMMddHHmmss (in @now's time zone; UTC for %NULL) +
 *   random, 24–32 characters
 */
char *
wxpay_out_trade_no_new (const char *till_id,
                        GDateTime  *now)
{
  return make_number ("", till_id, now, 10);
}

/**
 * wxpay_out_refund_no_new:
 * @till_id: (nullable): the till id
 * @now: (nullable): the current time; %NULL for the system clock
 *
 * Returns: (transfer full): "R" + till + yyyyMMddHHmmss (in @now's time zone; UTC for %NULL)
 *   + random, ≤ 35 characters
 */
char *
wxpay_out_refund_no_new (const char *till_id,
                         GDateTime  *now)
{
  return make_number ("R", till_id, now, 12);
}

/**
 * wxpay_out_trade_no_is_valid:
 * @out_trade_no: (nullable): a candidate
 *
 * Returns: %TRUE for 6–32 characters of [0-9A-Za-z_-|*]
 */
gboolean
wxpay_out_trade_no_is_valid (const char *out_trade_no)
{
  gsize len;

  if (out_trade_no == NULL)
    return FALSE;

  len = strlen (out_trade_no);
  if (len < 6 || len > 32)
    return FALSE;

  for (const char *p = out_trade_no; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '|' && *p != '*')
        return FALSE;
    }

  return TRUE;
}

#define BEIJING_OFFSET (8 * 3600)

/**
 * wxpay_time_format:
 * @time: a time in any zone
 *
 * Returns: (transfer full): Beijing time as yyyyMMddHHmmss
 */
char *
wxpay_time_format (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;
  int year, month, day;

  g_return_val_if_fail (time != NULL, NULL);

  /* Beijing has had no daylight saving time since 1991: a fixed offset, computed on the Unix
   * time rather than through a GTimeZone and g_date_time_format() on every call. */
  local = g_date_time_new_from_unix_utc (g_date_time_to_unix (time) + BEIJING_OFFSET);
  if (local == NULL)
    return g_strdup ("");
  g_date_time_get_ymd (local, &year, &month, &day);

  return g_strdup_printf ("%d%02d%02d%02d%02d%02d", year, month, day,
                          g_date_time_get_hour (local), g_date_time_get_minute (local),
                          g_date_time_get_second (local));
}

static int
digits (const char *p,
        guint       n)
{
  int v = 0;

  for (guint i = 0; i < n; i++)
    v = v * 10 + (p[i] - '0');

  return v;
}

/**
 * wxpay_time_parse:
 * @text: Beijing time as exactly 14 digits yyyyMMddHHmmss
 *
 * Returns: (transfer full) (nullable): the time in UTC, or %NULL when @text is malformed
 */
GDateTime *
wxpay_time_parse (const char *text)
{
  g_autoptr(GDateTime) as_utc = NULL;
  int year, month, day, hour, minute, second;

  if (text == NULL || strlen (text) != 14)
    return NULL;

  for (guint i = 0; i < 14; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return NULL;
    }

  year = digits (text, 4);
  month = digits (text + 4, 2);
  day = digits (text + 6, 2);
  hour = digits (text + 8, 2);
  minute = digits (text + 10, 2);
  second = digits (text + 12, 2);

  /* Every field in range, and no normalisation: second 60 and 31 April are malformed. */
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > g_date_get_days_in_month (month, year) ||
      hour > 23 || minute > 59 || second > 59)
    return NULL;

  as_utc = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (as_utc == NULL)
    return NULL;

  return g_date_time_new_from_unix_utc (g_date_time_to_unix (as_utc) - BEIJING_OFFSET);
}
