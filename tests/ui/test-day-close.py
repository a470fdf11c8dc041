#!/usr/bin/python3
"""Day Close on the real saoma binary under X (Xvfb), in demo mode, driven with xdotool
(issue 12, points 2, 3 and 6; issue 13 by method).

- 3: the Z close needs the manager PIN and its confirmation's default answer is Cancel:
  "Close Day" then Enter, Enter does not close the day; a wrong PIN does not close it; the right
  PIN does.
- 2: a sale after the Z close is in the next business day, and the closed day's figures do not
  change.
- 6: while a late payment waits for a decision Day Close does not say that every payment is
  final; a line says how many wait.
- 13: the totals by payment method (QR code / payment code).

The manager PIN is stored first by tests/ui/set-manager-pin (as Preferences would) in a keyring
file of this run only. Prints TAP. usage: test-day-close.py [--lang en|zh_CN]
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
    """msgid (with context as 'ctx\\x04id') → msgstr, from a .po file."""
    table = {}
    entry = {}
    key = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            m = re.match(r'^(msgctxt|msgid|msgstr(?:\[0\])?) "(.*)"$', line)
            if m:
                key = m.group(1)
                if key == "msgctxt" or (key == "msgid" and "msgid" in entry):
                    if "msgid" in entry:
                        entry = {}
                entry[key] = m.group(2)
            elif line.startswith('"') and key:
                entry[key] += line[1:-1]
            elif not line:
                if "msgid" in entry and "msgstr" in entry:
                    k = entry["msgid"]
                    if "msgctxt" in entry:
                        k = entry["msgctxt"] + "\x04" + k
                    table[k] = entry["msgstr"]
                elif "msgid" in entry and "msgstr[0]" in entry:
                    table[entry["msgid"]] = entry["msgstr[0]"]
                entry = {}
                key = None
    if "msgid" in entry and "msgstr" in entry:
        table[entry["msgid"]] = entry["msgstr"]
    return table


PO = load_po(os.path.join(source_dir, "po", "zh_CN.po")) if LANG == "zh_CN" else {}


def raw(msgid, ctx=None):
    """The translated text, mnemonic included."""
    return PO.get((ctx + "\x04" + msgid) if ctx else msgid, "") or msgid


def tr(msgid, ctx=None):
    """The text as the app shows it: translated, without its mnemonic."""
    text = re.sub(r"\(_[A-Za-z]\)", "", raw(msgid, ctx))
    return text.replace("_", "").replace("\\n", "\n")


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
    "GSETTINGS_BACKEND": "memory",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "GTK_A11Y": "atspi",
    "LANGUAGE": LANG, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
})
env.pop("GTK_DEBUG", None)
# A keyring of this run only, holding the manager PIN (never in argv).
PIN = "246813"
env.update({
    "SECRET_BACKEND": "file",
    "SECRET_FILE_TEST_PATH": os.path.join(tmp, "keyring"),
    "SECRET_FILE_TEST_PASSWORD": "test",
})
set_pin = subprocess.run([os.path.join(build_dir, "tests", "ui", "set-manager-pin")],
                         input=PIN + "\n", env=env, text=True)
if set_pin.returncode != 0:
    print("Bail out! the manager PIN could not be stored", flush=True)
    sys.exit(1)

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

    acc_app = wait_for(find_app, 20, 0.25)
    if acc_app is None:
        bail("the app is not on the accessibility bus")

    def find(msgid, role=None, root=None):
        name = tr(msgid)
        with_mnemonic = raw(msgid)
        shown = with_mnemonic.replace("_", "")  # "商品描述(_E)" is shown as "商品描述(E)"

        def match(a):
            try:
                # GTK 4.8 names a widget "<its label, mnemonic included> <its label shown>".
                n = a.name or ""
                return a is not None and (a.description == name or n in (name, shown) or
                                          n.startswith(name + " ") or
                                          n.startswith(with_mnemonic + " ")) and \
                    (role is None or a.getRole() == role)
            except Exception:
                return False
        try:
            return pyatspi.findDescendant(root or acc_app, match)
        except Exception:
            return None

    def dump(acc=None, depth=0):
        acc = acc or acc_app
        try:
            sys.stderr.write("%s%s %r %r\n" % ("  " * depth, acc.getRoleName(), acc.name,
                                                acc.description))
            for i in range(acc.childCount):
                dump(acc.getChildAtIndex(i), depth + 1)
        except Exception:
            pass

    def text_of(acc):
        try:
            t = acc.queryText()
            return t.getText(0, t.characterCount)
        except Exception:
            return None

    def showing(acc):
        try:
            return acc.getState().contains(pyatspi.STATE_SHOWING)
        except Exception:
            return False

    def extents(acc):
        # GTK 4 reports window coordinates; the window sits at the screen's origin.
        e = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        return (e.x, e.y, e.width, e.height)

    def click(acc):
        x, y, w, h = extents(acc)
        xdo("mousemove", "--sync", str(x + w // 2), str(y + h // 2))
        xdo("click", "1")

    def find_menu_item(msgid):
        name = tr(msgid)
        with_mnemonic = raw(msgid)
        shown = with_mnemonic.replace("_", "")
        try:
            items = pyatspi.findAllDescendants(
                acc_app, lambda a: a is not None and a.getRole() == pyatspi.ROLE_MENU_ITEM)
        except Exception:
            return None
        for a in items:
            n = a.name or ""
            if n in (name, shown) or n.startswith(name + " ") or \
                    n.startswith(with_mnemonic + " "):
                return a
        return None

    def status():
        acc = find("Payment status")
        return text_of(acc) if acc else None

    def amount_text():
        acc = find("Amount in yuan", pyatspi.ROLE_TEXT)
        return text_of(acc) if acc else None

    def description_text():
        acc = find("D_escription", pyatspi.ROLE_TEXT)
        return text_of(acc) if acc else None

    def amount_error():
        acc = find("Amount error")
        return (text_of(acc) or "") if acc is not None else ""

    if not wait_for(lambda: status() == tr("Ready"), 20):
        bail("the window did not become ready (%s)" % status())

    win = xdo("search", "--sync", "--onlyvisible", "--name", tr("Saoma Cashier")).split()
    if not win:
        bail("no window")
    win = win[0]
    xdo("windowmove", "--sync", win, "0", "0")
    xdo("windowfocus", "--sync", win)

    def sale(amount, fee):
        """Types the amount, Enter, and pays the order at the simulator."""
        xdo("windowfocus", "--sync", win)
        xdo("key", "ctrl+l")
        xdo("type", "--delay", "20", amount)
        xdo("key", "Return")
        order = wait_for(lambda: [o for o in orders() if o.get("total_fee") == fee and
                                  o.get("trade_state") != "SUCCESS"], 10)
        if not order:
            return False
        http("POST", "/sim/orders/%s/pay" % order[0]["out_trade_no"])
        return wait_for(lambda: status() == tr("Paid"), 15)

    def day_close_frame():
        """The Day Close window's accessible (searches stay inside it)."""
        try:
            for i in range(acc_app.childCount):
                a = acc_app.getChildAtIndex(i)
                if a is not None and a.getRole() == pyatspi.ROLE_FRAME and \
                        a.name == tr("Day Close"):
                    return a
        except Exception:
            pass
        return None

    def label_with(text):
        root = day_close_frame()
        if root is None:
            return None
        try:
            return pyatspi.findDescendant(
                root, lambda a: a is not None and a.getRole() == pyatspi.ROLE_LABEL and
                text in (a.name or ""))
        except Exception:
            return None

    def any_named(text, root=None):
        root = root or day_close_frame()
        if root is None:
            return None
        try:
            return pyatspi.findDescendant(root, lambda a: a is not None and text in (a.name or ""))
        except Exception:
            return None

    closed_text = tr("This day is closed (Z). The figures below are counted again from the "
                     "ledger.")

    ok(sale("38.5", 3850), "a ¥38.50 sale is paid (%s)" % status())

    # Day Close from the main menu.
    menu = find("Main Menu", pyatspi.ROLE_TOGGLE_BUTTON) or find("Main Menu")
    click(menu)
    item = wait_for(lambda: find_menu_item("_Day Close…"), 5)
    if item is None:
        dump()
        bail("no Day Close menu item")
    item.queryAction().doAction(0)
    day_close = wait_for(lambda: [w for w in xdo("search", "--onlyvisible", "--name",
                                                 "^%s$" % tr("Day Close")).split() if w != win], 10)
    if not day_close:
        bail("Day Close did not open")
    day_close = day_close[0]
    xdo("windowmove", "--sync", day_close, "0", "0")
    xdo("windowfocus", "--sync", day_close)
    if not ok(wait_for(lambda: label_with("¥38.50"), 10), "Day Close shows the ¥38.50 paid"):
        dump()
    ok(wait_for(lambda: any_named(tr("QR code", "payment method")), 5) is not None and
       any_named(tr("Payment code", "payment method")) is not None,
       "Day Close shows the totals by payment method")
    time.sleep(0.5)
    shot("day-close-x")

    def windows():
        return set(xdo("search", "--onlyvisible", "--pid", str(app.pid)).split())

    def open_confirm():
        before = windows()
        xdo("windowfocus", "--sync", day_close)
        # The button's mnemonic in the UI's language ("_Close Day (Z)…", "日结(_Z)…").
        letter = re.search(r"_([A-Za-z])", raw("_Close Day (Z)…")).group(1).lower()
        xdo("key", "alt+" + letter)
        new = wait_for(lambda: windows() - before, 5)
        if not new:
            return None
        dialog = sorted(new)[0]
        time.sleep(0.6)
        xdo("windowfocus", "--sync", dialog)
        return dialog

    # 3: Close Day, Enter, Enter: the day stays open.
    dialog = open_confirm()
    ok(dialog is not None, "the Close Day button's mnemonic opens the Z close confirmation")
    shot("day-close-z-confirm")
    xdo("key", "Return")
    time.sleep(0.4)
    xdo("key", "Return")
    time.sleep(1.5)
    ok(label_with(closed_text) is None, "Enter, Enter does not close the day")
    xdo("key", "Escape")
    time.sleep(0.5)
    ok(dialog not in windows(), "Esc leaves the confirmation")

    # 3: a wrong PIN does not close it.
    dialog = open_confirm()
    xdo("type", "--delay", "30", "999999")
    xdo("key", "Return")
    wrong = tr("Wrong manager PIN.")
    ok(wait_for(lambda: any_named(wrong, acc_app), 10) is not None,
       "a wrong PIN is refused (%r)" % wrong)
    time.sleep(0.5)
    shot("day-close-wrong-pin")
    ok(label_with(closed_text) is None, "a wrong PIN does not close the day")

    # 3: the right PIN closes it (after the wait a wrong PIN costs).
    time.sleep(1.5)
    dialog = open_confirm()
    xdo("type", "--delay", "30", PIN)
    xdo("key", "Return")
    ok(wait_for(lambda: label_with(closed_text), 10) is not None,
       "the right PIN closes the day")
    time.sleep(0.5)
    shot("day-close-z-closed")

    # 2: a sale after the close is the next business day's; the closed day does not change.
    ok(sale("12.34", 1234), "a ¥12.34 sale after the Z close is paid (%s)" % status())
    time.sleep(1.5)
    ok(label_with("¥38.50") is not None and label_with("¥12.34") is None and
       label_with(closed_text) is not None,
       "the closed day still shows ¥38.50 and not the new sale")
    xdo("windowfocus", "--sync", day_close)
    xdo("key", "alt+Next")
    ok(wait_for(lambda: label_with("¥12.34"), 10) is not None,
       "the next business day has the ¥12.34 sale")

    # 6: a late payment waits for a decision: said, and not "every payment is final".
    xdo("windowfocus", "--sync", win)
    xdo("key", "ctrl+l")
    xdo("type", "--delay", "20", "5.67")
    xdo("key", "Return")
    late = wait_for(lambda: [o for o in orders() if o.get("total_fee") == 567], 10)
    wait_for(lambda: status() == tr("Waiting for the customer to scan"), 10)
    xdo("key", "Escape")
    wait_for(lambda: status() == tr("Cancelled"), 5)
    if late:
        http("POST", "/sim/orders/%s/pay" % late[0]["out_trade_no"])
    one_waits = tr("%u late payment waits for a decision (honoured or refunded).").replace(
        "%u", "1")
    ok(wait_for(lambda: any_named(one_waits), 20) is not None,
       "Day Close says a late payment waits (%r)" % one_waits)
    ok(any_named(tr("Every payment of the day is final.")) is None,
       "and does not say that every payment is final")
    xdo("windowfocus", "--sync", day_close)
    time.sleep(0.5)
    shot("day-close-late")
finally:
    cleanup()

sys.exit(1 if failed else 0)
