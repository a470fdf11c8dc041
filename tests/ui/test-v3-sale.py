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

LANG = "en"
if "--lang" in sys.argv:
    LANG = sys.argv[sys.argv.index("--lang") + 1]

source_dir = os.environ.get("SAOMA_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def load_po(path):
    """msgid → msgstr (msgstr[0] for plurals) from a .po file."""
    table = {}
    entry = {}
    key = None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n") + [""]:
            line = line.strip()
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) "(.*)"$', line)
            if m:
                key = m.group(1)
                entry[key] = m.group(2)
            elif line.startswith('"') and key:
                entry[key] += line[1:-1]
            elif not line:
                if "msgid" in entry and ("msgstr" in entry or "msgstr[0]" in entry):
                    k = entry["msgid"]
                    if "msgctxt" in entry:
                        k = entry["msgctxt"] + "\x04" + k
                    table[k] = entry.get("msgstr", entry.get("msgstr[0]"))
                entry = {}
                key = None
    return table


PO = load_po(os.path.join(source_dir, "po", "zh_CN.po")) if LANG == "zh_CN" else {}


def raw(msgid):
    return PO.get(msgid, "") or msgid


def tr(msgid):
    """The text as the app shows it: translated, without its mnemonic."""
    return re.sub(r"\(_[A-Za-z]\)", "", raw(msgid)).replace("_", "")


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

tmp = tempfile.mkdtemp(prefix="saoma-v3-ui-")
env = dict(os.environ)
env.update({
    "XDG_DATA_HOME": os.path.join(tmp, "data"),
    "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
    "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
    # Settings that outlive a restart (the recovery message is told at the next start).
    "GSETTINGS_BACKEND": "keyfile",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "GTK_A11Y": "atspi",
    "LANGUAGE": LANG, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
})
env.pop("GTK_DEBUG", None)
# The demo protocol is left at its default (v3): no setting is written.

print("1..13", flush=True)

app = None


def start():
    global app
    app = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None, text=True)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        line = app.stdout.readline()
        if not line:
            break
        if line.startswith("SAOMA_SIM_URL="):
            return line.strip().split("=", 1)[1]
    bail("the app did not start its simulator")


def stop():
    if app is not None and app.poll() is None:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            app.kill()


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


def xdo(*args):
    return subprocess.run(["xdotool", *args], check=False, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def shot(name):
    path = os.path.join(shots, "%s-%s.png" % (LANG, name))
    subprocess.run(["import", "-window", "root", path], check=True, env=env)
    return path


def decode(path):
    r = subprocess.run(["zbarimg", "-q", "--raw", "--nodbus", path], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip()


def find_app():
    for a in pyatspi.Registry.getDesktop(0):
        try:
            if a is not None and a.get_process_id() == app.pid:
                return a
        except Exception:
            continue
    return None


def find(root, pred):
    try:
        return pyatspi.findDescendant(root, lambda a: a is not None and pred(a))
    except Exception:
        return None


def named(msgid, role=None):
    name = tr(msgid)
    shown = raw(msgid).replace("_", "")

    def match(a):
        n = a.name or ""
        return (a.description == name or n in (name, shown) or n.startswith(name + " ") or
                n.startswith(raw(msgid) + " ")) and (role is None or a.getRole() == role)
    return match


def text_of(acc):
    try:
        t = acc.queryText()
        return t.getText(0, t.characterCount)
    except Exception:
        return None


def focus_window():
    win = xdo("search", "--sync", "--onlyvisible", "--name", tr("Saoma Cashier")).split()
    if win:
        xdo("windowfocus", "--sync", win[0])
    time.sleep(0.3)


def status(acc_app):
    acc = find(acc_app, named("Payment status"))
    return text_of(acc) if acc else None


def orders(sim):
    with urllib.request.urlopen(sim + "/sim/orders", timeout=10) as r:
        d = json.loads(r.read())
    return d if isinstance(d, list) else d.get("orders", [])


def dialog_open(acc_app):
    return find(acc_app, named("A Payment Is in Progress"))


try:
    sim = start()
    acc_app = wait_for(find_app, 20, 0.25)
    if acc_app is None:
        bail("the app is not on the accessibility bus")
    ok(wait_for(lambda: status(acc_app) == tr("Ready"), 20) or False,
       "the window starts in demo mode and is ready (%s)" % status(acc_app))
    focus_window()

    # 1. A v3 demo sale, end to end.
    xdo("type", "--delay", "20", "12.34")
    t0 = time.monotonic()
    xdo("key", "Return")
    got = wait_for(lambda: orders(sim), 10)
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
    urllib.request.urlopen(urllib.request.Request(
        sim + "/sim/orders/%s/pay" % order.get("out_trade_no"), method="POST"), timeout=10)
    ok(wait_for(lambda: status(acc_app) == tr("Paid"), 20) or False,
       "the window shows paid (%s)" % status(acc_app))
    paid = [o for o in orders(sim) if o.get("out_trade_no") == order.get("out_trade_no")]
    ok(paid and paid[0].get("state") == "SUCCESS", "the simulator's v3 order is paid")
    shot("v3-paid")

    # 2. Another sale, left on screen; Ctrl+Q asks, Esc keeps selling.
    focus_window()
    xdo("type", "--delay", "20", "5")
    xdo("key", "Return")
    live = wait_for(lambda: [o for o in orders(sim) if o.get("total_fee") == 500], 10)
    live_no = live[0]["out_trade_no"] if live else None
    wait_for(lambda: status(acc_app) == tr("Waiting for the customer to scan"), 10)
    xdo("key", "ctrl+q")
    dialog = wait_for(lambda: dialog_open(acc_app), 10)
    ok(dialog is not None, "Ctrl+Q during a live sale asks first")
    time.sleep(0.5)
    shot("quit-dialog")
    xdo("key", "Escape")
    time.sleep(1.0)
    ok(app.poll() is None and not dialog_open(acc_app) and
       status(acc_app) == tr("Waiting for the customer to scan"),
       "Esc keeps selling: the dialog closes, the sale goes on (%s)" % status(acc_app))

    # 3. Ctrl+Q, "Quit Anyway": the process exits.
    focus_window()
    xdo("key", "ctrl+q")
    wait_for(lambda: dialog_open(acc_app), 10)
    quit_button = wait_for(lambda: find(acc_app, named("_Quit Anyway", pyatspi.ROLE_PUSH_BUTTON)),
                           10)
    if quit_button is not None:
        quit_button.queryAction().doAction(0)
    try:
        code = app.wait(15)
    except subprocess.TimeoutExpired:
        code = None
    ok(code is not None, "“Quit Anyway” quits (exit status %s)" % code)

    # 4. The next start resumes the sale; the customer pays (an unpaid one would be told once
    # its QR code has expired, 5 minutes on); the window says what it recovered.
    sim = start()
    acc_app = wait_for(find_app, 20, 0.25)
    if acc_app is None:
        bail("the app is not on the accessibility bus after the restart")
    urllib.request.urlopen(urllib.request.Request(
        sim + "/sim/orders/%s/pay" % live_no, method="POST"), timeout=10)
    expected = (tr("Recovered %u unfinished payment from last time: %s")
                .replace("%u", "1").replace("%s", tr("%s paid").replace("%s", "¥5.00")))

    def notice():
        acc = find(acc_app, lambda a: (a.name or "").startswith(expected[:12]))
        return acc.name if acc else None
    said = wait_for(notice, 30, 0.5)
    ok(said == expected, "the restart says what it recovered (%r)" % said)
    shot("recovered")
    state = [o.get("state") for o in orders(sim) if o.get("out_trade_no") == live_no]
    ok(state == ["SUCCESS"], "the interrupted sale %s is the one paid (%s)" % (live_no, state))
    ok(status(acc_app) == tr("Ready"), "the window is ready for the next sale (%s)"
       % status(acc_app))

    # 5. Said once: another start says nothing.
    stop()
    sim = start()
    acc_app = wait_for(find_app, 20, 0.25)
    wait_for(lambda: status(acc_app) == tr("Ready"), 20)
    time.sleep(2)
    ok(acc_app is not None and notice() is None, "the next start does not repeat it")

    # 6. A crash during a sale (kill -9): the next start says the same of it.
    focus_window()
    xdo("type", "--delay", "20", "7")
    xdo("key", "Return")
    crashed = wait_for(lambda: [o for o in orders(sim) if o.get("total_fee") == 700], 10)
    wait_for(lambda: status(acc_app) == tr("Waiting for the customer to scan"), 10)
    app.kill()
    app.wait(10)
    time.sleep(0.5)  # the simulator saves its state as it follows its parent
    sim = start()
    acc_app = wait_for(find_app, 20, 0.25)
    if crashed:
        urllib.request.urlopen(urllib.request.Request(
            sim + "/sim/orders/%s/pay" % crashed[0]["out_trade_no"], method="POST"), timeout=10)
    expected = (tr("Recovered %u unfinished payment from last time: %s")
                .replace("%u", "1").replace("%s", tr("%s paid").replace("%s", "¥7.00")))
    said = wait_for(notice, 30, 0.5) if acc_app is not None else None
    ok(said == expected, "after a crash the restart says what it recovered (%r)" % said)
finally:
    stop()
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(1 if failed else 0)
