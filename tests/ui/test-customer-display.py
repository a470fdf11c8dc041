#!/usr/bin/python3
"""The customer display in the real saoma binary (demo mode) on two monitors.

Runs inside build-aux/dual-head/run-dual-head.sh (through test-customer-display.sh): Xorg with
the dummy driver, DUMMY0 at 0,0 and DUMMY1 at 1920,0, openbox. Starts saoma with its own
simulator, then checks what the customer sees from the X server: the display fills DUMMY1, the
cashier keeps the keyboard, the QR code on DUMMY1 decodes to the order's code_url, it goes away
once the customer paid, and F8 (app.customer-display) hides and shows the display.
Usage: test-customer-display.py BUILD_DIR. Speaks TAP.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

build_dir = sys.argv[1]
saoma = os.path.join(build_dir, "src", "app", "saoma")
shots = os.path.join(build_dir, "tests", "ui", "screenshots")
os.makedirs(shots, exist_ok=True)
DISPLAY_TITLE = "顾客屏"  # "Customer Display" in zh_CN: the run is in Chinese

count = 0
failed = False


def ok(cond, what):
    global count, failed
    count += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", count, what), flush=True)
    failed = failed or not cond
    return cond


def run(*args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        print("# %s failed: %s" % (" ".join(args), r.stderr.strip()), flush=True)
    return r


def wait_for(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


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
    path = os.path.join(shots, "display-app-%s.png" % name)
    run("import", "-window", "root", "-crop", geometry, "+repage", path)
    print("# screenshot %s" % path, flush=True)
    return path


def decode(path):
    r = run("zbarimg", "-q", "--raw", "--nodbus", path, check=False)
    return r.stdout.strip()


print("1..7", flush=True)

tmp = tempfile.mkdtemp(prefix="saoma-display-app-")
env = dict(os.environ)
env.update({
    "XDG_DATA_HOME": os.path.join(tmp, "data"),
    "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
    "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
    "GSETTINGS_BACKEND": "keyfile",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "LANGUAGE": "zh_CN", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
})
# This test drives the v2 demo (the default is v3, tested by test-v3-sale.py): set explicitly.
_keyfile = os.path.join(env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
os.makedirs(os.path.dirname(_keyfile), exist_ok=True)
with open(_keyfile, "w") as _f:
    _f.write("[io/github/saoma/Cashier]\ndemo-api-version='v2'\n")

# The cashier works on the first monitor: the window manager places new windows under the
# pointer.
run("xdotool", "mousemove", "300", "300")
app = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None, text=True)

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
        print("Bail out! the app did not start its simulator", flush=True)
        sys.exit(1)

    def http(method, path):
        req = urllib.request.Request(sim + path, data=b"" if method == "POST" else None,
                                     method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def orders():
        d = http("GET", "/sim/orders")
        return d if isinstance(d, list) else d.get("orders", [])

    def cashier_has_keyboard():
        r = run("xdotool", "getactivewindow", "getwindowpid", check=False)
        name = run("xdotool", "getactivewindow", "getwindowname", check=False).stdout.strip()
        return r.stdout.strip() == str(app.pid) and name != DISPLAY_TITLE

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
        http("POST", "/sim/orders/%s/pay" % order["out_trade_no"])
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
finally:
    if app.poll() is None:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            app.kill()
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(1 if failed else 0)
