/* test-phase.c: the checkout's one "phase" for the views. The rule (saoma_checkout_phase_for)
 * over every combination of its facts, the enum GTypes of the public enums, and the property
 * on a real engine (in-process wxpay-sim, real ledger file): notified once per change, and a
 * cancel shows at once, before the CLOSING write is durable. */
#include "config.h"

#include <glib/gstdio.h>

#include "core/saoma-checkout.h"
#include "core/saoma-reconcile-item.h"
#include "core/saoma-wxpay2-gateway.h"
#include "ledger/saoma-ledger.h"
#include "sim/wxpay-sim-server.h"
#include "wxpay/wxpay.h"

#include "test-util.h"

#define P(x) SAOMA_CHECKOUT_PHASE_##x

static const SaomaCheckoutState all_states[] = {
  SAOMA_CHECKOUT_NONE, SAOMA_CHECKOUT_CREATED, SAOMA_CHECKOUT_SUBMITTED, SAOMA_CHECKOUT_WAITING,
  SAOMA_CHECKOUT_UNKNOWN, SAOMA_CHECKOUT_CLOSING, SAOMA_CHECKOUT_PAID, SAOMA_CHECKOUT_CLOSED,
  SAOMA_CHECKOUT_FAILED,
};
static const SaomaCloseReason all_reasons[] = {
  SAOMA_CLOSE_REASON_NONE, SAOMA_CLOSE_REASON_EXPIRED, SAOMA_CLOSE_REASON_CANCELLED,
};

static const char *
phase_nick (SaomaCheckoutPhase phase)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SAOMA_TYPE_CHECKOUT_PHASE);
  GEnumValue *value = g_enum_get_value (klass, phase);

  return value ? value->value_nick : "(not a phase)";
}

/* The views' life of a sale, row by row, as the engine reports it. */
static void
test_rule_rows (void)
{
  static const struct {
    SaomaCheckoutState state;
    gboolean           busy;
    SaomaCloseReason   reason;
    gboolean           late;
    SaomaCheckoutPhase phase;
    const char        *why;
    gboolean           verified; /* the code_url came in a verified answer */
  } rows[] = {
    { SAOMA_CHECKOUT_NONE, FALSE, SAOMA_CLOSE_REASON_NONE, FALSE, P (IDLE), "no attempt" },
    { SAOMA_CHECKOUT_NONE, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (PREPARING),
      "charge pressed, CREATED not yet durable" },
    { SAOMA_CHECKOUT_CREATED, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (PREPARING), "CREATED" },
    { SAOMA_CHECKOUT_SUBMITTED, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (PREPARING),
      "unifiedorder in flight" },
    /* The QR from the verified answer on: WAITING's write is queued, not waited for. */
    { SAOMA_CHECKOUT_SUBMITTED, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (SHOW_QR),
      "code_url verified, WAITING not yet durable (or its write failed)", TRUE },
    { SAOMA_CHECKOUT_UNKNOWN, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (SHOW_QR),
      "a re-entry gave the code_url, WAITING not yet durable", TRUE },
    { SAOMA_CHECKOUT_WAITING, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (SHOW_QR), "QR up", TRUE },
    { SAOMA_CHECKOUT_WAITING, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (SHOW_QR), "QR up" },
    { SAOMA_CHECKOUT_SUBMITTED, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "Esc with the QR up before WAITING was durable", TRUE },
    { SAOMA_CHECKOUT_UNKNOWN, TRUE, SAOMA_CLOSE_REASON_NONE, FALSE, P (CHECKING),
      "unifiedorder outcome unknown" },
    /* Esc / expiry: shown at once, whatever is still durable. */
    { SAOMA_CHECKOUT_NONE, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "Esc before the CREATED write landed" },
    { SAOMA_CHECKOUT_SUBMITTED, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "Esc while unifiedorder is in flight" },
    { SAOMA_CHECKOUT_WAITING, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "Esc, CLOSING write in flight" },
    { SAOMA_CHECKOUT_WAITING, FALSE, SAOMA_CLOSE_REASON_EXPIRED, FALSE, P (EXPIRED),
      "expired, CLOSING write in flight" },
    { SAOMA_CHECKOUT_UNKNOWN, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "Esc while checking" },
    { SAOMA_CHECKOUT_CLOSING, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "CLOSING on record" },
    { SAOMA_CHECKOUT_CLOSING, FALSE, SAOMA_CLOSE_REASON_EXPIRED, FALSE, P (EXPIRED),
      "CLOSING on record (expired)" },
    { SAOMA_CHECKOUT_CLOSED, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (CANCELLED),
      "closed at WeChat" },
    { SAOMA_CHECKOUT_CLOSED, FALSE, SAOMA_CLOSE_REASON_EXPIRED, FALSE, P (EXPIRED),
      "closed at WeChat (expired)" },
    /* Final states on record win over the give-up. */
    { SAOMA_CHECKOUT_PAID, FALSE, SAOMA_CLOSE_REASON_NONE, FALSE, P (PAID), "paid" },
    { SAOMA_CHECKOUT_PAID, FALSE, SAOMA_CLOSE_REASON_CANCELLED, TRUE, P (PAID_LATE),
      "paid after Esc" },
    { SAOMA_CHECKOUT_PAID, FALSE, SAOMA_CLOSE_REASON_EXPIRED, TRUE, P (PAID_LATE),
      "paid after expiry" },
    { SAOMA_CHECKOUT_FAILED, FALSE, SAOMA_CLOSE_REASON_NONE, FALSE, P (FAILED),
      "WeChat has no order" },
    { SAOMA_CHECKOUT_FAILED, FALSE, SAOMA_CLOSE_REASON_CANCELLED, FALSE, P (FAILED),
      "Esc before anything was sent: FAILED on record" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      SaomaCheckoutPhase got = saoma_checkout_phase_for (rows[i].state, rows[i].busy,
                                                         rows[i].reason, rows[i].late,
                                                         rows[i].verified);

      if (got != rows[i].phase)
        g_error ("%s: %s, expected %s", rows[i].why, phase_nick (got),
                 phase_nick (rows[i].phase));
    }
}

/* Every combination of (state, busy, close reason, late, code_url verified): properties that
 * must hold for all. */
static void
test_rule_all_combinations (void)
{
  guint n = 0;

  for (guint s = 0; s < G_N_ELEMENTS (all_states); s++)
    for (guint r = 0; r < G_N_ELEMENTS (all_reasons); r++)
      for (int busy = 0; busy < 2; busy++)
        for (int late = 0; late < 2; late++)
          for (int verified = 0; verified < 2; verified++)
            {
              SaomaCheckoutState state = all_states[s];
              SaomaCloseReason reason = all_reasons[r];
              SaomaCheckoutPhase phase = saoma_checkout_phase_for (state, busy, reason, late,
                                                                   verified);
              gboolean final = state == SAOMA_CHECKOUT_PAID || state == SAOMA_CHECKOUT_CLOSED ||
                               state == SAOMA_CHECKOUT_FAILED;
              /* What the engine can report: busy means not final, not given up; CLOSING is only
               * ever written after a give-up. */
              gboolean reachable = !busy || (!final && reason == SAOMA_CLOSE_REASON_NONE &&
                                             state != SAOMA_CHECKOUT_CLOSING);

              n++;
              g_test_message ("%s busy=%d %d late=%d verified=%d → %s",
                              saoma_checkout_state_to_string (state), busy, reason, late, verified,
                              phase_nick (phase));

              /* A phase, one of the enum's values. */
              g_assert_cmpstr (phase_nick (phase), !=, "(not a phase)");
              /* Native never waits for a password. */
              g_assert_cmpint (phase, !=, P (AWAITING_PASSWORD));
              /* Exactly one of idle / active / result. */
              g_assert_cmpint ((phase == P (IDLE)) + saoma_checkout_phase_is_active (phase) +
                               saoma_checkout_phase_is_result (phase), ==, 1);

              if (reachable)
                {
                  /* The cashier may cancel exactly while the engine is busy. */
                  g_assert_cmpint (saoma_checkout_phase_is_active (phase), ==, busy);
                }

              /* The QR only once WeChat's verified answer gave it (WAITING on record, or its
               * write queued or retried over SUBMITTED/UNKNOWN) and nobody gave up. */
              if (phase == P (SHOW_QR))
                g_assert_true (busy && (state == SAOMA_CHECKOUT_WAITING ||
                                        (verified && (state == SAOMA_CHECKOUT_CREATED ||
                                                      state == SAOMA_CHECKOUT_SUBMITTED ||
                                                      state == SAOMA_CHECKOUT_UNKNOWN))));
              /* ... and always then: a verified code_url is never left unshown. */
              if (busy && reason == SAOMA_CLOSE_REASON_NONE &&
                  (state == SAOMA_CHECKOUT_WAITING ||
                   (verified && (state == SAOMA_CHECKOUT_SUBMITTED ||
                                 state == SAOMA_CHECKOUT_UNKNOWN))))
                g_assert_cmpint (phase, ==, P (SHOW_QR));

              if (state == SAOMA_CHECKOUT_PAID)
                g_assert_cmpint (phase, ==, late ? P (PAID_LATE) : P (PAID));
              else if (state == SAOMA_CHECKOUT_FAILED)
                g_assert_cmpint (phase, ==, P (FAILED));
              else if (!busy && (reason != SAOMA_CLOSE_REASON_NONE ||
                                 state == SAOMA_CHECKOUT_CLOSING || state == SAOMA_CHECKOUT_CLOSED))
                /* Given up: what the cashier did shows at once, whatever is durable yet. */
                g_assert_cmpint (phase, ==, reason == SAOMA_CLOSE_REASON_EXPIRED ? P (EXPIRED)
                                                                                 : P (CANCELLED));

              if (phase == P (IDLE))
                g_assert_true (state == SAOMA_CHECKOUT_NONE && !busy &&
                               reason == SAOMA_CLOSE_REASON_NONE);
            }

  g_assert_cmpuint (n, ==, 9 * 3 * 2 * 2 * 2);
}

/* The public enums are GTypes, and the properties are typed with them. */
/* The micropay rule: the password prompt, checking while open or reversing, and a reversed
 * attempt that took nothing reads as failed unless the cashier cancelled it. Never the QR. */
static void
test_rule_code (void)
{
  static const struct {
    SaomaCheckoutState state;
    gboolean           busy;
    gboolean           cancelled;
    SaomaCheckoutPhase phase;
  } rows[] = {
    { SAOMA_CHECKOUT_NONE, TRUE, FALSE, SAOMA_CHECKOUT_PHASE_PREPARING },
    { SAOMA_CHECKOUT_NONE, FALSE, FALSE, SAOMA_CHECKOUT_PHASE_IDLE },
    { SAOMA_CHECKOUT_SUBMITTED, TRUE, FALSE, SAOMA_CHECKOUT_PHASE_PREPARING },
    { SAOMA_CHECKOUT_WAITING, TRUE, FALSE, SAOMA_CHECKOUT_PHASE_AWAITING_PASSWORD },
    { SAOMA_CHECKOUT_WAITING, FALSE, TRUE, SAOMA_CHECKOUT_PHASE_CANCELLED },
    { SAOMA_CHECKOUT_UNKNOWN, TRUE, FALSE, SAOMA_CHECKOUT_PHASE_CHECKING },
    { SAOMA_CHECKOUT_CLOSING, TRUE, FALSE, SAOMA_CHECKOUT_PHASE_CHECKING },
    { SAOMA_CHECKOUT_CLOSING, FALSE, TRUE, SAOMA_CHECKOUT_PHASE_CANCELLED },
    { SAOMA_CHECKOUT_CLOSED, FALSE, FALSE, SAOMA_CHECKOUT_PHASE_FAILED },
    { SAOMA_CHECKOUT_CLOSED, FALSE, TRUE, SAOMA_CHECKOUT_PHASE_CANCELLED },
    { SAOMA_CHECKOUT_FAILED, FALSE, FALSE, SAOMA_CHECKOUT_PHASE_FAILED },
    { SAOMA_CHECKOUT_PAID, FALSE, FALSE, SAOMA_CHECKOUT_PHASE_PAID },
    { SAOMA_CHECKOUT_PAID, FALSE, TRUE, SAOMA_CHECKOUT_PHASE_PAID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpint (saoma_checkout_phase_for_code (rows[i].state, rows[i].busy,
                                                    rows[i].cancelled), ==, rows[i].phase);

  for (SaomaCheckoutState st = SAOMA_CHECKOUT_NONE; st <= SAOMA_CHECKOUT_FAILED; st++)
    for (int busy = 0; busy <= 1; busy++)
      for (int cancelled = 0; cancelled <= 1; cancelled++)
        g_assert_cmpint (saoma_checkout_phase_for_code (st, busy, cancelled), !=,
                         SAOMA_CHECKOUT_PHASE_SHOW_QR);
}

static void
test_enum_types (void)
{
  g_autoptr(GEnumClass) phases = g_type_class_ref (SAOMA_TYPE_CHECKOUT_PHASE);
  GObjectClass *klass;
  GParamSpec *pspec;

  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_CHECKOUT_STATE));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_CLOSE_REASON));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_CHECKOUT_ERROR));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_RECONCILE_KIND));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_ATTEMPT_STATE));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_REFUND_STATE));
  g_assert_true (G_TYPE_IS_ENUM (SAOMA_TYPE_LEDGER_ERROR));

  /* Ten phases, and TAKEN_OVER (DESIGN.md, "Ownership"). */
  g_assert_cmpuint (phases->n_values, ==, 11);
  g_assert_cmpstr (g_enum_get_value (phases, P (SHOW_QR))->value_nick, ==, "show-qr");
  g_assert_cmpstr (g_enum_get_value (phases, P (PAID_LATE))->value_nick, ==, "paid-late");
  g_assert_cmpstr (g_enum_get_value (phases, P (TAKEN_OVER))->value_nick, ==, "taken-over");

  klass = g_type_class_ref (SAOMA_TYPE_CHECKOUT);
  pspec = g_object_class_find_property (klass, "phase");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->value_type == SAOMA_TYPE_CHECKOUT_PHASE);
  g_assert_true (g_object_class_find_property (klass, "state")->value_type ==
                 SAOMA_TYPE_CHECKOUT_STATE);
  g_assert_true (g_object_class_find_property (klass, "close-reason")->value_type ==
                 SAOMA_TYPE_CLOSE_REASON);
  g_type_class_unref (klass);

  klass = g_type_class_ref (SAOMA_TYPE_ATTEMPT);
  g_assert_true (g_object_class_find_property (klass, "state")->value_type ==
                 SAOMA_TYPE_ATTEMPT_STATE);
  g_type_class_unref (klass);

  klass = g_type_class_ref (SAOMA_TYPE_RECONCILE_ITEM);
  g_assert_true (g_object_class_find_property (klass, "kind")->value_type ==
                 SAOMA_TYPE_RECONCILE_KIND);
  g_type_class_unref (klass);

  {
    g_autoptr(SaomaAttempt) attempt = saoma_attempt_new_full (1, "T01X", 100, "x", "T01", 0, 0,
                                                              0, SAOMA_ATTEMPT_CLOSING, NULL,
                                                              NULL, 0, 0, FALSE);
    SaomaAttemptState state = SAOMA_ATTEMPT_CREATED;

    g_object_get (attempt, "state", &state, NULL);
    g_assert_cmpint (state, ==, SAOMA_ATTEMPT_CLOSING);
  }
}

/* --- A real engine ------------------------------------------------------------------------- */

typedef struct {
  GArray *seen; /* SaomaCheckoutPhase, one per notify::phase */
} Record;

static void
phase_notify_cb (SaomaCheckout *checkout,
                 GParamSpec    *pspec,
                 Record        *record)
{
  SaomaCheckoutPhase phase = P (IDLE);

  g_object_get (checkout, "phase", &phase, NULL);
  g_assert_cmpint (phase, ==, saoma_checkout_get_phase (checkout));
  g_array_append_val (record->seen, phase);
}

static void
assert_seen (Record                   *record,
             const SaomaCheckoutPhase *expected,
             guint                     n)
{
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);

  for (guint i = 0; i < record->seen->len; i++)
    g_string_append_printf (got, "%s ", phase_nick (g_array_index (record->seen,
                                                                   SaomaCheckoutPhase, i)));
  for (guint i = 0; i < n; i++)
    g_string_append_printf (want, "%s ", phase_nick (expected[i]));
  g_assert_cmpstr (got->str, ==, want->str);
}

static void
test_engine_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("saoma-phase-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
  g_autoptr(SaomaLedger) ledger = NULL;
  g_autoptr(WxpaySimServer) sim = NULL;
  g_autoptr(WxpayClient) client = NULL;
  g_autoptr(SaomaWxpay2Gateway) gateway = NULL;
  g_autoptr(SaomaCheckoutConfig) config = saoma_checkout_config_new ();
  g_autoptr(SaomaCheckout) checkout = NULL;
  Record record = { g_array_new (FALSE, FALSE, sizeof (SaomaCheckoutPhase)) };
  static const SaomaCheckoutPhase to_qr[] = { P (PREPARING), P (SHOW_QR) };
  static const SaomaCheckoutPhase to_cancelled[] = { P (PREPARING), P (SHOW_QR), P (CANCELLED) };
  static const SaomaCheckoutPhase to_idle[] = {
    P (PREPARING), P (SHOW_QR), P (CANCELLED), P (IDLE)
  };

  g_assert_no_error (error);
  ledger = saoma_ledger_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  sim = g_object_new (WXPAY_TYPE_SIM_SERVER, "seed", (guint64) 7, NULL);
  wxpay_sim_server_listen (sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  client = wxpay_client_new (wxpay_sim_server_get_base_uri (sim), WXPAY_SIM_DEFAULT_APPID,
                             WXPAY_SIM_DEFAULT_MCH_ID, WXPAY_SIM_DEFAULT_KEY);
  g_free (config->notify_url);
  config->notify_url = g_strdup ("http://127.0.0.1:9/notify");
  gateway = saoma_wxpay2_gateway_new (client);
  checkout = saoma_checkout_new (SAOMA_GATEWAY (gateway), SAOMA_STORE (ledger), NULL, config);
  g_signal_connect (checkout, "notify::phase", G_CALLBACK (phase_notify_cb), &record);
  g_assert_cmpint (saoma_checkout_get_phase (checkout), ==, P (IDLE));

  g_assert_true (saoma_checkout_charge (checkout, 1234, "phase", &error));
  g_assert_no_error (error);
  g_assert_cmpint (saoma_checkout_get_phase (checkout), ==, P (PREPARING));
  SAOMA_TEST_WAIT_UNTIL (saoma_checkout_get_phase (checkout) == P (SHOW_QR), 20);
  assert_seen (&record, to_qr, G_N_ELEMENTS (to_qr));
  g_assert_nonnull (saoma_checkout_get_code_url (checkout));
  /* The QR comes with the verified answer; WAITING's write lands after it (no new phase). */
  SAOMA_TEST_WAIT_UNTIL (saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_WAITING, 20);
  assert_seen (&record, to_qr, G_N_ELEMENTS (to_qr));

  /* Cancel: CANCELLED at once, while WAITING is still what the ledger holds. */
  saoma_checkout_cancel (checkout);
  g_assert_cmpint (saoma_checkout_get_state (checkout), ==, SAOMA_CHECKOUT_WAITING);
  g_assert_cmpint (saoma_checkout_get_phase (checkout), ==, P (CANCELLED));
  g_assert_null (saoma_checkout_get_code_url (checkout));
  assert_seen (&record, to_cancelled, G_N_ELEMENTS (to_cancelled));

  /* CLOSING lands: other properties change, the phase does not (and is not re-notified). */
  SAOMA_TEST_WAIT_UNTIL (saoma_checkout_get_state (checkout) == SAOMA_CHECKOUT_CLOSING, 20);
  SAOMA_TEST_WAIT_UNTIL (saoma_checkout_get_pending_operations (checkout) == 0, 20);
  assert_seen (&record, to_cancelled, G_N_ELEMENTS (to_cancelled));

  saoma_checkout_reset (checkout);
  g_assert_cmpint (saoma_checkout_get_phase (checkout), ==, P (IDLE));
  assert_seen (&record, to_idle, G_N_ELEMENTS (to_idle));

  g_signal_handlers_disconnect_by_data (checkout, &record);
  g_clear_object (&checkout);
  g_clear_object (&client);
  wxpay_sim_server_shutdown (sim);
  g_clear_object (&ledger);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  saoma_test_rm_rf (dir);
  g_array_unref (record.seen);
}

int
main (int   argc,
      char *argv[])
{
  saoma_test_init (&argc, &argv);

  g_test_add_func ("/phase/rule/rows", test_rule_rows);
  g_test_add_func ("/phase/rule/all-combinations", test_rule_all_combinations);
  g_test_add_func ("/phase/rule/code", test_rule_code);
  g_test_add_func ("/phase/enum-types", test_enum_types);
  g_test_add_func ("/phase/engine/cancel", test_engine_cancel);

  return g_test_run ();
}
