#!/usr/bin/python3
"""API v3 in the app (issue 14) and quitting during a sale (issue 12, point 8), on the real saoma
binary under X (Xvfb), in demo mode with its default settings, driven like a cashier would.

- A v3 demo sale end to end: type an amount, Enter, the QR decoded by zbarimg from a screenshot
  is the order's code_url, the simulator's order was made through API v3 (control API), the
  customer pays through the simulator, the window says paid.
- After a crash during a sale (kill -9), the next start says the same.
- Ctrl+Q during a live sale asks first ("Keep Selling" is the default): Esc keeps selling (the
  sale and the process go on); Ctrl+Q again, "Quit Anyway": the process exits. The next start
  resumes watching it; the customer pays meanwhile, and the window says what it recovered,
  naming the sale ("Recovered 1 unfinished payment from last time: ¥5.00 paid").

Prints TAP. usage: test-v3-sale.py [--lang en|zh_CN]
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saoma_ui as ui  # noqa: E402
from saoma_ui import decode, ok, shot, tr, wait_for, xdo  # noqa: E402

ui.require_x()
import pyatspi  # noqa: E402

# Settings that outlive a restart (the recovery message is told at the next start). The demo
# protocol is left at its default (v3): no setting is written.
ui.setup(gsettings="keyfile", tmp_prefix="saoma-v3-ui-")

ui.plan(14)

a = None


def focus_window():
    win = a.main_window()
    if win:
        xdo("windowfocus", "--sync", win)
    time.sleep(0.3)


def dialog_open():
    return a.find("A Payment Is in Progress")


try:
    a = ui.App()
    ok(wait_for(lambda: a.status() == tr("Ready"), 20) or False,
       "the window starts in demo mode and is ready (%s)" % a.status())
    focus_window()

    # 1. A v3 demo sale, end to end.
    xdo("type", "--delay", "20", "12.34")
    t0 = time.monotonic()
    xdo("key", "Return")
    got = wait_for(lambda: a.orders(), 10)
    order = got[0] if len(got) == 1 else {}
    ok(order.get("api") == "v3" and order.get("total_fee") == 1234,
       "Enter makes one order of 1234 fen through API v3 (%s, %s)"
       % (order.get("api"), order.get("total_fee")))
    decoded = ""
    end = time.monotonic() + 10
    while time.monotonic() < end and not decoded:
        decoded = decode(shot("v3-charging"))
        if not decoded:
            time.sleep(0.2)
    ok(decoded and decoded == order.get("code_url"),
       "the QR on screen decodes to the v3 order's code_url (%r, %.2f s after Enter)"
       % (decoded, time.monotonic() - t0))
    # The status, the amount and the order follow the code one frame later (issue 19).
    ok(wait_for(lambda: a.status() == tr("Waiting for the customer to scan"), 5) or False,
       "the status follows the code (%s)" % a.status())
    shot("v3-charging")
    a.pay(order.get("out_trade_no"))
    ok(wait_for(lambda: a.status() == tr("Paid"), 20) or False,
       "the window shows paid (%s)" % a.status())
    paid = [o for o in a.orders() if o.get("out_trade_no") == order.get("out_trade_no")]
    ok(paid and paid[0].get("state") == "SUCCESS", "the simulator's v3 order is paid")
    shot("v3-paid")

    # 2. Another sale, left on screen; Ctrl+Q asks, Esc keeps selling.
    focus_window()
    xdo("type", "--delay", "20", "5")
    xdo("key", "Return")
    live = wait_for(lambda: [o for o in a.orders() if o.get("total_fee") == 500], 10)
    live_no = live[0]["out_trade_no"] if live else None
    wait_for(lambda: a.status() == tr("Waiting for the customer to scan"), 10)
    xdo("key", "ctrl+q")
    dialog = wait_for(lambda: dialog_open(), 10)
    ok(dialog is not None, "Ctrl+Q during a live sale asks first")
    time.sleep(0.5)
    shot("quit-dialog")
    xdo("key", "Escape")
    time.sleep(1.0)
    ok(a.proc.poll() is None and not dialog_open() and
       a.status() == tr("Waiting for the customer to scan"),
       "Esc keeps selling: the dialog closes, the sale goes on (%s)" % a.status())

    # 3. Ctrl+Q, "Quit Anyway": the process exits.
    focus_window()
    xdo("key", "ctrl+q")
    wait_for(lambda: dialog_open(), 10)
    quit_button = wait_for(lambda: a.find("_Quit Anyway", pyatspi.ROLE_PUSH_BUTTON), 10)
    if quit_button is not None:
        quit_button.queryAction().doAction(0)
    try:
        code = a.proc.wait(15)
    except subprocess.TimeoutExpired:
        code = None
    ok(code is not None, "“Quit Anyway” quits (exit status %s)" % code)

    # 4. The next start resumes the sale; the customer pays (an unpaid one would be told once
    # its QR code has expired, 5 minutes on); the window says what it recovered.
    a = ui.App(accessible=False)
    a.attach("the app is not on the accessibility bus after the restart")
    a.pay(live_no)
    expected = (tr("Recovered %u unfinished payment from last time: %s")
                .replace("%u", "1").replace("%s", tr("%s paid").replace("%s", "¥5.00")))

    def notice():
        acc = a.find_where(lambda x: (x.name or "").startswith(expected[:12]))
        return acc.name if acc else None
    said = wait_for(notice, 30, 0.5)
    ok(said == expected, "the restart says what it recovered (%r)" % said)
    shot("recovered")
    state = [o.get("state") for o in a.orders() if o.get("out_trade_no") == live_no]
    ok(state == ["SUCCESS"], "the interrupted sale %s is the one paid (%s)" % (live_no, state))
    ok(a.status() == tr("Ready"), "the window is ready for the next sale (%s)"
       % a.status())

    # 5. Said once: another start says nothing.
    a.stop()
    a = ui.App(accessible=False)
    a.attach()
    wait_for(lambda: a.status() == tr("Ready"), 20)
    time.sleep(2)
    ok(a.acc is not None and notice() is None, "the next start does not repeat it")

    # 6. A crash during a sale (kill -9): the next start says the same of it.
    focus_window()
    xdo("type", "--delay", "20", "7")
    xdo("key", "Return")
    crashed = wait_for(lambda: [o for o in a.orders() if o.get("total_fee") == 700], 10)
    wait_for(lambda: a.status() == tr("Waiting for the customer to scan"), 10)
    a.proc.kill()
    a.proc.wait(10)
    time.sleep(0.5)  # the simulator saves its state as it follows its parent
    a = ui.App(accessible=False)
    a.attach()
    if crashed:
        a.pay(crashed[0]["out_trade_no"])
    expected = (tr("Recovered %u unfinished payment from last time: %s")
                .replace("%u", "1").replace("%s", tr("%s paid").replace("%s", "¥7.00")))
    said = wait_for(notice, 30, 0.5) if a.acc is not None else None
    ok(said == expected, "after a crash the restart says what it recovered (%r)" % said)
finally:
    ui.cleanup()

sys.exit(ui.exit_status())
