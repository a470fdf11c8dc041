#!/usr/bin/python3
"""The customer display in the real saoma binary (demo mode) on two monitors.

Runs inside build-aux/dual-head/run-dual-head.sh (through test-customer-display.sh): Xorg with
the dummy driver, DUMMY0 at 0,0 and DUMMY1 at 1920,0, openbox. Starts saoma with its own
simulator, then checks what the customer sees from the X server: the display fills DUMMY1, the
cashier keeps the keyboard, the QR code on DUMMY1 decodes to the order's code_url, it goes away
once the customer paid, and F8 (app.customer-display) hides and shows the display. Then payment
codes (issue 13): with an amount typed the display shows it and "请出示付款码"; a scanned code
the simulator answers USERPAYING puts the password prompt on both screens, then paid (read
over AT-SPI, screenshots of both monitors).
Usage: test-customer-display.py BUILD_DIR. Speaks TAP.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saoma_ui as ui  # noqa: E402
from saoma_ui import decode, ok, pyatspi, scan  # noqa: E402

ui.use_build_dir(sys.argv[1])
ui.use_language("zh_CN")
DISPLAY_TITLE = "顾客屏"  # "Customer Display" in zh_CN: the run is in Chinese


def run(*args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        print("# %s failed: %s" % (" ".join(args), r.stderr.strip()), flush=True)
    return r


def wait_for(pred, timeout, step=0.2):
    return ui.wait_for(pred, timeout, step)


def display_geometry():
    """(x, y, width, height) of the mapped customer display, or None."""
    r = run("xdotool", "search", "--onlyvisible", "--name", "^%s$" % DISPLAY_TITLE, check=False)
    for wid in r.stdout.split():
        info = run("xwininfo", "-id", wid).stdout
        values = {}
        for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height",
                    "Map State"):
            m = re.search(r"%s:\s*(\S+)" % re.escape(key), info)
            values[key] = m.group(1) if m else None
        if values["Map State"] == "IsViewable":
            return tuple(int(values[k]) for k in ("Absolute upper-left X",
                                                  "Absolute upper-left Y", "Width", "Height"))
    return None


def shot(name, geometry="1920x1080+1920+0"):
    path = os.path.join(ui.shots, "display-app-%s.png" % name)
    run("import", "-window", "root", "-crop", geometry, "+repage", path)
    print("# screenshot %s" % path, flush=True)
    return path


ui.plan(15)

# This test drives the v2 demo (the default is v3, tested by test-v3-sale.py): set explicitly.
env = ui.setup(gsettings="keyfile", demo_api="v2", tmp_prefix="saoma-display-app-")

# The cashier works on the first monitor: the window manager places new windows under the
# pointer.
run("xdotool", "mousemove", "300", "300")

try:
    a = ui.App(accessible=False)
    orders = a.orders

    def cashier_has_keyboard():
        r = run("xdotool", "getactivewindow", "getwindowpid", check=False)
        name = run("xdotool", "getactivewindow", "getwindowname", check=False).stdout.strip()
        return r.stdout.strip() == str(a.pid) and name != DISPLAY_TITLE

    # 1. Fullscreen on the second monitor, by itself.
    geometry = wait_for(display_geometry, 20)
    ok(geometry == (1920, 0, 1920, 1080),
       "the display fills DUMMY1 (1920x1080+1920+0): %s" % (geometry,))
    shot("idle-zh_CN")

    # 2. The cashier window keeps the keyboard.
    ok(wait_for(cashier_has_keyboard, 10), "the cashier window has the keyboard focus")

    # 3. A sale typed at the till shows its code on the customer's monitor.
    run("xdotool", "type", "--delay", "50", "38.5")
    run("xdotool", "key", "Return")
    order = wait_for(lambda: next((o for o in orders() if o.get("code_url")), None), 15)
    decoded = wait_for(lambda: decode(shot("charging-zh_CN")), 15, 0.5)
    ok(order is not None and decoded == order["code_url"],
       "the QR code on DUMMY1 decodes to the order's code_url (%s)" % decoded)

    # 4. Paid: the code leaves the customer's screen.
    if order is not None:
        a.pay(order["out_trade_no"])
    gone = wait_for(lambda: decode(shot("paid-zh_CN")) == "", 15, 0.5)
    ok(gone, "no code on DUMMY1 once the customer paid")

    # 5. F8 hides the display…
    run("xdotool", "key", "F8")
    ok(wait_for(lambda: display_geometry() is None, 10), "F8 hides the customer display")

    # 6. …and shows it again, on the same monitor.
    run("xdotool", "key", "F8")
    geometry = wait_for(display_geometry, 10)
    ok(geometry == (1920, 0, 1920, 1080), "F8 brings it back on DUMMY1: %s" % (geometry,))

    # 7. Still no keyboard for the display.
    ok(wait_for(cashier_has_keyboard, 10), "the cashier window has the keyboard again")

    # Payment codes (issue 13), read from the app's accessible labels.
    def on_display(text):
        """Whether the customer display has a label reading @text. GTK 4.8 does not tell
        AT-SPI which stack page is shown, but the display clears the labels of the pages it
        does not show, so a label with the text is on screen."""
        acc_app = a.find_app()
        if acc_app is None:
            return False

        def match(a):
            try:
                return a.getRole() == pyatspi.ROLE_LABEL and a.name == text
            except Exception:
                return False
        try:
            for i in range(acc_app.childCount):
                window = acc_app.getChildAtIndex(i)
                if window is not None and window.name == DISPLAY_TITLE:
                    return pyatspi.findDescendant(window, match) is not None
        except Exception:
            return False
        return False

    status_description = "收款状态"

    def described(a):
        try:
            return a.description == status_description
        except Exception:
            return False

    def cashier_status():
        """The text of the cashier window's status title (described "收款状态")."""
        acc_app = a.find_app()
        try:
            acc = pyatspi.findDescendant(acc_app, described)
            t = acc.queryText()
            return t.getText(0, t.characterCount)
        except Exception:
            return None

    if pyatspi is None:
        for i in range(8):
            ok(False, "pyatspi (python3-pyatspi) is needed to read the screens")
    else:
        ui.x_server_realtime()

        # 8. An amount typed, no sale yet: the customer sees it and "show your payment code".
        n_orders = len(orders())
        run("xdotool", "type", "--delay", "120", "12.34")
        ok(wait_for(lambda: on_display("请出示付款码") and on_display("¥12.34"), 10),
           "with 12.34 typed the display shows ¥12.34 and 请出示付款码")
        shot("ready-zh_CN")
        shot("ready-cashier-zh_CN", "1920x1080+0+0")

        # 9–10. A scanned code the simulator answers USERPAYING (last digit 1): the password
        # prompt on both screens.
        scan("134567890123456791")
        ok(wait_for(lambda: on_display("请在手机上输入支付密码"), 15),
           "USERPAYING: the display says 请在手机上输入支付密码")
        ok(wait_for(lambda: cashier_status() == "请顾客在手机上输入密码", 10),
           "USERPAYING: the cashier window says 请顾客在手机上输入密码")
        shot("password-zh_CN")
        shot("password-cashier-zh_CN", "1920x1080+0+0")
        got = [o for o in orders() if o.get("trade_type") == "MICROPAY"]
        ok(len(orders()) == n_orders + 1 and len(got) == 1 and got[0].get("total_fee") == 1234,
           "one MICROPAY order for 1234 fen at the simulator")

        # 11. Paid 10 s later: the display thanks the customer.
        ok(wait_for(lambda: on_display("谢谢惠顾！"), 40),
           "after the password the display shows the thanks")
        shot("code-paid-zh_CN")

        # 12. The keyboard stayed with the cashier throughout.
        ok(cashier_has_keyboard(), "the cashier window kept the keyboard")

        # 13–14. The same prompts in English (a new run of the app).
        a.stop(10)
        env["LANGUAGE"] = "en"
        DISPLAY_TITLE = "Customer Display"
        status_description = "Payment status"
        a = ui.App(accessible=False)
        wait_for(display_geometry, 20)
        wait_for(cashier_has_keyboard, 10)
        wait_for(lambda: cashier_status() == "Ready", 20)
        run("xdotool", "type", "--delay", "120", "12.34")
        ok(wait_for(lambda: on_display("Show your payment code") and on_display("¥12.34"), 10),
           "in English the display shows ¥12.34 and “Show your payment code”")
        shot("ready-en")
        shot("ready-cashier-en", "1920x1080+0+0")
        scan("134567890123456801")
        ok(wait_for(lambda: on_display("Enter your payment password on your phone") and
                    cashier_status() == "Ask the customer to enter their password on their phone",
                    15),
           "in English both screens show the password prompt (%s)" % cashier_status())
        shot("password-en")
        shot("password-cashier-en", "1920x1080+0+0")
finally:
    ui.cleanup()

sys.exit(ui.exit_status())
