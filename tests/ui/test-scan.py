#!/usr/bin/python3
"""Payment codes (付款码) at the window (issue 13), on the real saoma binary under X (Xvfb), in
demo mode, driven with xdotool like a USB barcode scanner in keyboard mode would.

- 12.34, then an 18-digit WeChat code typed 5 ms per key + Enter: paid, no digit in the amount
  field, and the simulator's order is trade_type=MICROPAY for 1234 fen.
- The same digits typed 150 ms per key are typing: they land in the amount field and charge
  nothing (no order).
- An Alipay code shows its message and creates no order; so does a code that is not a payment
  code, and a WeChat code scanned before any amount was typed.
- A code whose last digit is 1 (the simulator answers USERPAYING, then pays 10 s later) shows
  the password prompt, then paid.
- "Type Code by Hand" (Ctrl+K) charges a code typed into its field, through the same path.
- NOTENOUGH (last digit 4): the sale did not go through, and the cashier is told what to ask.
Orders are counted at the simulator before and after each step to prove "no order".
Screenshots: _build/tests/ui/screenshots/<lang>-scan-*.png. Prints TAP.

usage: test-scan.py [--lang en|zh_CN]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saoma_ui as ui  # noqa: E402
from saoma_ui import ok, scan, tr, wait_for, xdo  # noqa: E402

ui.require_x()
ui.setup()

ui.plan(17)

ui.x_server_realtime()
print("# X server at real-time priority: %s" % (ui.realtime_pids or "no (not allowed)"), flush=True)

WECHAT_PAID = "134567890123456780"       # last digit 0: paid at once
WECHAT_SLOW = "134567890123456790"       # typed by a person: never sent
WECHAT_PASSWORD = "134567890123456781"   # last digit 1: USERPAYING, paid 10 s later
WECHAT_NO_AMOUNT = "134567890123456800"
WECHAT_BY_HAND = "134567890123456810"
WECHAT_NOT_ENOUGH = "134567890123456824"  # last digit 4: NOTENOUGH
ALIPAY = "281234567890123456"
NOT_A_CODE = "999999999999999999"

try:
    a = ui.App()
    orders, status, amount_text, amount_error = a.orders, a.status, a.amount_text, a.amount_error

    def shot(name):
        return ui.shot("scan-" + name, say=True)

    def detail():
        return a.text("Payment status details")

    def type_amount(text):
        xdo("key", "ctrl+a")
        xdo("key", "BackSpace")
        xdo("type", "--delay", "120", text)
        wait_for(lambda: amount_text() == text, 3)

    a.wait_ready()
    win = a.main_window() or ui.bail("no window")
    xdo("windowfocus", "--sync", win)
    xdo("windowsize", "--sync", win, "1024", "700")
    time.sleep(0.5)

    # 1. An amount typed: the till waits for Enter or a scan, and says so.
    type_amount("12.34")
    ok(wait_for(lambda: detail() == tr("Press Enter for a QR code, or scan the customer’s payment code."), 5),
       "with an amount typed the status invites a scan (%s)" % detail())
    shot("ready")

    # 2. An Alipay code: its message, no order, the amount untouched.
    before = len(orders())
    scan(ALIPAY, 5)
    alipay = tr("This is an Alipay payment code. Saoma takes WeChat Pay only.")
    ok(wait_for(lambda: amount_error() == alipay, 5),
       "an Alipay code says so (%s)" % amount_error())
    time.sleep(1)
    ok(len(orders()) == before, "an Alipay code creates no order (%d → %d)"
       % (before, len(orders())))
    ok(amount_text() == "12.34", "the code did not land in the amount field (%r)" % amount_text())
    shot("alipay")

    # 3. Not a payment code: its message, no order.
    scan(NOT_A_CODE, 5)
    not_a_code = tr("Not a payment code. Ask the customer to open the payment code in WeChat "
                    "(Me → Services → Money) and scan it again.")
    ok(wait_for(lambda: amount_error() == not_a_code, 5) and len(orders()) == before,
       "a code that is no payment code says so and creates no order (%s)" % amount_error())

    # 4. The same digits as a WeChat code, typed by a person at 150 ms a key: typing.
    xdo("key", "ctrl+a")
    xdo("key", "BackSpace")
    scan(WECHAT_SLOW, 150)
    time.sleep(1.5)
    ok(amount_text() == WECHAT_SLOW,
       "typed slowly, every digit lands in the amount field (%r)" % amount_text())
    ok(len(orders()) == before and status() != tr("Paid"),
       "typed slowly, nothing is charged (%d orders, status %s)" % (len(orders()), status()))
    shot("typed-slowly")

    # 5. 12.34, then the code at 5 ms a key + Enter: a scan, paid, a MICROPAY order.
    type_amount("12.34")
    scan(WECHAT_PAID, 5)
    ok(wait_for(lambda: status() == tr("Paid"), 20), "a scanned WeChat code is paid (%s)" % status())
    got = [o for o in orders() if o.get("trade_type") == "MICROPAY"]
    ok(len(orders()) == before + 1 and len(got) == 1 and got[0].get("total_fee") == 1234,
       "the simulator has one new order, MICROPAY for 1234 fen (%s)"
       % [(o.get("trade_type"), o.get("total_fee")) for o in orders()])
    shot("paid")

    # 6. A code scanned before any amount: asks for the amount, no order.
    before = len(orders())
    scan(WECHAT_NO_AMOUNT, 5)
    ok(wait_for(lambda: amount_error() == tr("Type the amount first, then scan the payment code again."), 5),
       "a code without an amount asks for the amount (%s)" % amount_error())
    time.sleep(1)
    ok(len(orders()) == before, "a code without an amount creates no order")

    # 7. USERPAYING: the password prompt, then paid.
    type_amount("56.78")
    scan(WECHAT_PASSWORD, 5)
    prompt = tr("Ask the customer to enter their password on their phone")
    ok(wait_for(lambda: status() == prompt, 15),
       "USERPAYING shows the password prompt (%s)" % status())
    shot("password")
    ok(wait_for(lambda: status() == tr("Paid"), 40),
       "after the password the sale is paid (%s)" % status())

    # 8. Ctrl+K: the code typed by hand, in groups of four, through the same path.
    before = len(orders())
    type_amount("9.90")
    xdo("key", "ctrl+k")
    time.sleep(1)
    shot("by-hand")
    xdo("type", "--delay", "30", " ".join(WECHAT_BY_HAND[i:i + 4] for i in range(0, 18, 4)))
    xdo("key", "Return")
    ok(wait_for(lambda: status() == tr("Paid"), 20), "a code typed by hand is paid (%s)" % status())
    mine = [o for o in orders() if o.get("total_fee") == 990]
    ok(len(orders()) == before + 1 and len(mine) == 1 and mine[0].get("trade_type") == "MICROPAY",
       "the code typed by hand made one MICROPAY order for 990 fen")

    # 9. NOTENOUGH: not paid, and the words say what to ask the customer.
    type_amount("3")
    scan(WECHAT_NOT_ENOUGH, 5)
    ok(wait_for(lambda: status() == tr("The payment did not go through"), 20),
       "a refused code says the payment did not go through (%s)" % status())
    advice = tr("The customer’s balance is not enough. Ask them to choose another card in WeChat, "
                "or to pay another way.")
    ok((detail() or "").startswith(advice), "and what to ask the customer (%s)" % detail())
    shot("not-enough")
finally:
    ui.cleanup()

sys.exit(ui.exit_status())
