#!/usr/bin/python3
"""The real saoma binary, driven like a cashier would: under X (Xvfb), in demo mode.

Types a bad amount (error shown, no order), then a good one and Enter; decodes the QR from a
screenshot with zbarimg and compares it with the order's code_url in the simulator; checks a
second Enter creates nothing; injects 3 s of gateway latency and checks the countdown keeps
moving; pays through the simulator's control API; checks the window says paid and the history
lists the order. Prints TAP.

usage: test-checkout.py [--lang en|zh_CN]
"""

import json
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saoma_ui as ui  # noqa: E402
from saoma_ui import decode, ok, shot, text_of, tr, wait_for, xdo  # noqa: E402

# The words the test looks for, as the app shows them in the test's language.
WORDS = {key: tr(msgid) for key, msgid in {
    "status": "Payment status", "amount_error": "Amount error", "time_left": "Time left",
    "ready": "Ready", "paid": "Paid", "waiting": "Waiting for the customer to scan",
    "title": "Saoma Cashier"}.items()}

ui.require_x()
# This test drives the v2 demo (the default is v3, tested by test-v3-sale.py): set explicitly.
ui.setup(gsettings="keyfile", demo_api="v2")

ui.plan(15)

try:
    a = ui.App()
    app, sim, http, orders = a.proc, a.sim, a.http, a.orders

    def find(name):
        # Labels that change text carry a fixed accessible description (GTK 4.8 renames a
        # label's accessible after its text).
        return a.find_where(lambda x: x.description == name or x.name == name)

    def status():
        acc = find(WORDS["status"])
        return text_of(acc) if acc else None

    ok(wait_for(lambda: status() == WORDS["ready"], 20) or False,
       "the window starts and is ready (status “%s”)" % status())

    # The demo buttons keep their place without a code (issue 19), transparent: a screen reader
    # must not offer them either.
    ok(a.find("_Simulate Customer Payment") is None,
       "without a code the demo buttons are not read out")

    win = xdo("search", "--sync", "--onlyvisible", "--name", WORDS["title"]).split()
    if win:
        xdo("windowfocus", "--sync", win[0])
    time.sleep(0.3)
    shot("idle")

    # 1. A bad amount: the error is shown inline and no order is created.
    xdo("type", "--delay", "20", "12.345")
    xdo("key", "Return")
    err = wait_for(lambda: (lambda a: a if a and text_of(a) else None)(find(WORDS["amount_error"])), 5)
    ok(err is not None, "a bad amount shows an inline error: %s" % (text_of(err) if err else None))
    shot("error")
    time.sleep(0.5)
    ok(len(orders()) == 0, "a bad amount creates no order")

    # 2. A good amount and Enter: the QR on screen is the order's code_url.
    xdo("key", "ctrl+a")
    xdo("type", "--delay", "20", "38.5")
    t0 = time.monotonic()
    xdo("key", "Return")
    got = wait_for(lambda: orders(), 10)
    ok(len(got) == 1, "Enter creates exactly one order")
    order = got[0] if got else {}
    ok(order.get("total_fee") == 3850, "the order is for 3850 fen (%s)" % order.get("total_fee"))
    ok(order.get("api") == "v2", "the demo set to v2 in the settings speaks v2 (%s)" % order.get("api"))

    decoded = ""
    path = None
    end = time.monotonic() + 10
    while time.monotonic() < end:
        path = shot("charging")
        decoded = decode(path)
        if decoded:
            break
        time.sleep(0.2)
    ok(decoded and decoded == order.get("code_url"),
       "the QR decodes to the order's code_url (%r vs %r, %.2f s after Enter)"
       % (decoded, order.get("code_url"), time.monotonic() - t0))

    # 3. A second Enter while the sale is active creates nothing.
    xdo("key", "Return")
    xdo("key", "Return")
    time.sleep(0.8)
    ok(len(orders()) == 1, "a second Enter while busy creates nothing")
    ok(status() == WORDS["waiting"], "the status says waiting for the scan (%s)" % status())

    # 4. With 3 s of gateway latency the window keeps repainting: the countdown moves.
    http("POST", "/sim/faults", json.dumps({"latency_ms": 3000}).encode())
    time.sleep(0.5)
    countdown = find(WORDS["time_left"])
    first = text_of(countdown)
    shot_a = open(shot("latency-a"), "rb").read()
    time.sleep(1.3)
    second = text_of(countdown)
    shot_b = open(shot("latency-b"), "rb").read()
    ok(first and second and first != second,
       "with 3 s latency the countdown advances (%s → %s)" % (first, second))
    ok(shot_a != shot_b, "with 3 s latency the screen keeps repainting")
    http("DELETE", "/sim/faults")

    # 5. The customer pays: the window says paid, the history lists the order.
    http("POST", "/sim/orders/%s/pay" % order["out_trade_no"])
    ok(wait_for(lambda: status() == WORDS["paid"], 20) or False,
       "the window shows paid (%s)" % status())
    time.sleep(0.3)
    shot("paid")

    xdo("key", "alt+2")
    row = wait_for(lambda: find(order["out_trade_no"]), 10)
    ok(row is not None, "the history lists %s" % order["out_trade_no"])
    time.sleep(0.3)
    shot("history")
    xdo("key", "alt+1")

    # 6. Quitting stops the simulator the app started.
    app.send_signal(signal.SIGTERM)
    app.wait(10)

    def sim_gone():
        try:
            urllib.request.urlopen(sim + "/sim/orders", timeout=1)
            return False
        except Exception:
            return True
    ok(wait_for(sim_gone, 5), "the simulator stops with the app")
finally:
    ui.cleanup()

sys.exit(ui.exit_status())
