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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

LANG = "en"
if "--lang" in sys.argv:
    LANG = sys.argv[sys.argv.index("--lang") + 1]

# The words the test looks for, in each language (the zh_CN ones are po/zh_CN.po's).
WORDS = {
    "en": {"status": "Payment status", "amount_error": "Amount error", "time_left": "Time left",
           "ready": "Ready", "paid": "Paid", "waiting": "Waiting for the customer to scan",
           "title": "Saoma Cashier"},
    "zh_CN": {"status": "收款状态", "amount_error": "金额错误", "time_left": "剩余时间",
              "ready": "请输入金额", "paid": "已收款", "waiting": "等待顾客扫码",
              "title": "扫码收银台"},
}[LANG]

n_test = 0
failed = False


def ok(cond, what):
    global n_test, failed
    n_test += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n_test, what), flush=True)
    if not cond:
        failed = True
    return cond


def bail(why):
    print("Bail out! " + why, flush=True)
    sys.exit(1)


if not os.environ.get("DISPLAY"):
    print("1..0 # SKIP no X display")
    sys.exit(77)
for tool in ("xdotool", "import", "zbarimg"):
    if shutil.which(tool) is None:
        print("1..0 # SKIP %s is not installed" % tool)
        sys.exit(77)

try:
    import pyatspi
except ImportError:
    print("1..0 # SKIP pyatspi is not installed")
    sys.exit(77)

build_dir = os.environ.get("SAOMA_BUILD_DIR", os.getcwd())
saoma = os.path.join(build_dir, "src", "app", "saoma")
shots = os.path.join(build_dir, "tests", "ui", "screenshots")
os.makedirs(shots, exist_ok=True)

tmp = tempfile.mkdtemp(prefix="saoma-ui-")
env = dict(os.environ)
env.update({
    "XDG_DATA_HOME": os.path.join(tmp, "data"),
    "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
    "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
    "GSETTINGS_BACKEND": "keyfile",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "GTK_A11Y": "atspi",
})
env.pop("GTK_DEBUG", None)
# This test drives the v2 demo (the default is v3, tested by test-v3-sale.py): set explicitly.
_keyfile = os.path.join(env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
os.makedirs(os.path.dirname(_keyfile), exist_ok=True)
with open(_keyfile, "w") as _f:
    _f.write("[io/github/saoma/Cashier]\ndemo-api-version='v2'\n")
if LANG == "zh_CN":
    env.update({"LANGUAGE": "zh_CN", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
else:
    env.update({"LANGUAGE": "en", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})

print("1..14", flush=True)

app = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None, text=True)


def cleanup():
    if app.poll() is None:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            app.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


try:
    sim = None
    end = time.monotonic() + 20
    while time.monotonic() < end:
        line = app.stdout.readline()
        if not line:
            break
        if line.startswith("SAOMA_SIM_URL="):
            sim = line.strip().split("=", 1)[1]
            break
    if not sim:
        bail("the app did not start its simulator")

    def http(method, path, body=None):
        req = urllib.request.Request(sim + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def orders():
        d = http("GET", "/sim/orders")
        return d if isinstance(d, list) else d.get("orders", [])

    def xdo(*args):
        subprocess.run(["xdotool", *args], check=False, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def shot(name):
        path = os.path.join(shots, "%s-%s.png" % (LANG, name))
        subprocess.run(["import", "-window", "root", path], check=True, env=env)
        return path

    def decode(path):
        r = subprocess.run(["zbarimg", "-q", "--raw", "--nodbus", path], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip()

    # AT-SPI: our application and its labels, found by their accessible names.
    def find_app():
        desktop = pyatspi.Registry.getDesktop(0)
        for a in desktop:
            try:
                if a is not None and a.get_process_id() == app.pid:
                    return a
            except Exception:
                continue
        return None

    acc_app = wait_for(find_app, 20, 0.25)
    if acc_app is None:
        bail("the app is not on the accessibility bus")

    def find(name):
        # Labels that change text carry a fixed accessible description (GTK 4.8 renames a
        # label's accessible after its text).
        return pyatspi.findDescendant(
            acc_app, lambda a: a is not None and (a.description == name or a.name == name))

    def text_of(acc):
        try:
            t = acc.queryText()
            return t.getText(0, t.characterCount)
        except Exception:
            return None

    def status():
        acc = find(WORDS["status"])
        return text_of(acc) if acc else None

    ok(wait_for(lambda: status() == WORDS["ready"], 20) or False,
       "the window starts and is ready (status “%s”)" % status())

    win = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", WORDS["title"]],
                         env=env, stdout=subprocess.PIPE, text=True).stdout.split()
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
    cleanup()

sys.exit(1 if failed else 0)
