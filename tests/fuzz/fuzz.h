/* fuzz.h: what every harness in tests/fuzz shares.
 *
 * A harness defines LLVMFuzzerTestOneInput(). Built with clang and -fsanitize=fuzzer
 * (`build-aux/dev fuzz`), libFuzzer drives it; in the normal build, replay-main.c feeds it every
 * file of its corpus (suite "fuzz"), so each input that once found a bug stays a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

/* The merchants of the vectors in tests/data/wxpay (docs/wxpay-v2.md). */
#define FUZZ_KEY        "192006250b4c09247ec02edce69f6a2d"
#define FUZZ_APPID      "wxd930ea5d5a258f4f"
#define FUZZ_MCH_ID     "10000100"
#define FUZZ_REFUND_KEY "OF4Ne3znh8KqL0V4NqmALQa0uXMYKcEk"
#define FUZZ_REFUND_APPID  "wx4f4bc4dec97d474b"
#define FUZZ_REFUND_MCH_ID "12345678"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A broken oracle: abort(), which libFuzzer catches and saves the input for (g_error() ends
 * in a breakpoint trap, which it does not). */
#define fuzz_fail(...)                                                         \
  G_STMT_START {                                                               \
    fprintf (stderr, "fuzz: " __VA_ARGS__);                                    \
    fputc ('\n', stderr);                                                      \
    abort ();                                                                  \
  } G_STMT_END

/* A critical or a warning from GLib is a bug found too. Debug and info messages go nowhere. */
static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }

  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_init_once (void)
{
  static gboolean done;

  if (!done)
    {
      g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
      done = TRUE;
    }
}

/* @data as a NUL-terminated string, cut at its first NUL (what a C API taking a string sees). */
static inline char *
fuzz_strndup (const uint8_t *data,
              size_t         size)
{
  return g_strndup ((const char *)data, size);
}
