#!/usr/bin/python3
"""The cashier's keys, words and small screens (issue 12, points 7, 9–12, 19), on the real saoma
binary under X (Xvfb), in demo mode, driven with xdotool like a cashier would.

- 19: the window at 800×600 and 1024×600 (POS screens) shows the whole checkout page, the QR
  decodes from a screenshot of the screen, the window keeps its width between the pages; a
  narrow window shows one column, the QR code first while a sale is on.
- 9: while a QR is up the amount field cannot be typed into and Enter says why; after "Paid" a
  second Enter charges nothing: the next sale needs a newly typed amount.
- 12: the description is cleared after the sale.
- 7: a cancelled sale does not claim that no money was taken.
- 10: Esc cancels the sale, also right after a late payment was announced.
- 11: after a mouse click on a button, the main menu, Preferences and About, digits typed land
  in the amount field.

Prints TAP. usage: test-cashier.py [--lang en|zh_CN]
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
    "GSETTINGS_BACKEND": "keyfile",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "GTK_A11Y": "atspi",
    "LANGUAGE": LANG, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
})
env.pop("GTK_DEBUG", None)
# This test drives the v2 demo (the default is v3, tested by test-v3-sale.py): set explicitly.
_keyfile = os.path.join(env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
os.makedirs(os.path.dirname(_keyfile), exist_ok=True)
with open(_keyfile, "w") as _f:
    _f.write("[io/github/saoma/Cashier]\ndemo-api-version='v2'\n")

print("1..30", flush=True)

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

    def geometry():
        out = xdo("getwindowgeometry", "--shell", win)
        g = dict(line.split("=", 1) for line in out.split() if "=" in line)
        return int(g.get("WIDTH", 0)), int(g.get("HEIGHT", 0))

    def resize(w, h):
        xdo("windowmove", "--sync", win, "0", "0")
        xdo("windowsize", "--sync", win, str(w), str(h))
        wait_for(lambda: geometry() == (w, h), 5)
        time.sleep(0.5)

    def inside(acc, w, h):
        x, y, ew, eh = extents(acc)
        return x >= 0 and y >= 0 and x + ew <= w and y + eh <= h and ew > 0 and eh > 0

    other_windows = [w for w in xdo("search", "--onlyvisible", "--pid", str(app.pid)).split()
                     if w != win]
    xdo("windowfocus", "--sync", win)
    resize(800, 600)
    ok(geometry() == (800, 600), "the window takes 800×600 (%s)" % (geometry(),))
    shot("800x600-idle")

    # 19 + 12: a sale at 800×600, with a description.
    xdo("key", "alt+e")
    xdo("type", "--delay", "20", "Tea")
    xdo("key", "ctrl+l")
    xdo("type", "--delay", "20", "38.5")
    xdo("key", "Return")
    got = wait_for(lambda: orders(), 10)
    ok(len(got) == 1 and got[0].get("total_fee") == 3850, "Enter creates one ¥38.50 order")
    order = got[0] if got else {}
    decoded = ""
    path = None
    end = time.monotonic() + 10
    while time.monotonic() < end and decoded != order.get("code_url"):
        path = shot("800x600-qr")
        decoded = decode(path)
        time.sleep(0.2)
    ok(decoded and decoded == order.get("code_url"),
       "at 800×600 the QR on screen decodes to the order's code_url (%r)" % decoded)
    qr = find("Payment QR code")
    charge_button = find("_Charge", pyatspi.ROLE_PUSH_BUTTON)
    cancel_button = find("Ca_ncel Sale", pyatspi.ROLE_PUSH_BUTTON)
    ok(qr is not None and inside(qr, 800, 600), "at 800×600 the whole QR is in the window (%s)"
       % (extents(qr) if qr else None,))
    ok(charge_button is not None and cancel_button is not None and
       inside(charge_button, 800, 600) and inside(cancel_button, 800, 600),
       "at 800×600 the Charge and Cancel buttons are in the window")
    ok(extents(qr)[0] > extents(charge_button)[0] + extents(charge_button)[2],
       "at 800×600 the QR is beside the amount (two columns)")

    # 9: while the QR is up, the amount cannot be typed into and Enter says why.
    xdo("type", "--delay", "20", "7")
    time.sleep(0.3)
    ok(amount_text() == "38.50", "typing 7 while ¥38.50 is charged leaves it (%r)" % amount_text())
    xdo("key", "Return")
    ok(wait_for(lambda: amount_error(), 3),
       "Enter while the QR is up says why it does nothing (%r)" % amount_error())
    ok(len(orders()) == 1, "and creates no order")

    # 19: the window keeps its width between the pages.
    xdo("key", "alt+2")
    time.sleep(0.6)
    width_history = geometry()
    shot("800x600-history")
    xdo("key", "alt+1")
    time.sleep(0.6)
    ok(width_history == (800, 600) and geometry() == (800, 600),
       "the window stays 800×600 on both pages (%s, %s)" % (width_history, geometry()))

    # 11: a mouse click on "Simulate Customer Payment", then digits go to the amount.
    simulate = find("_Simulate Customer Payment", pyatspi.ROLE_PUSH_BUTTON)
    ok(simulate is not None and inside(simulate, 800, 600),
       "at 800×600 the simulate button is in the window")
    if simulate is not None:
        click(simulate)
    ok(wait_for(lambda: status() == tr("Paid"), 15), "the click pays (%s)" % status())
    time.sleep(0.3)
    shot("800x600-paid")

    # 9 + 12: after Paid the fields are empty; Enter again charges nothing.
    ok(amount_text() == "" and description_text() == "",
       "after the sale the amount and description are empty (%r, %r)"
       % (amount_text(), description_text()))
    xdo("key", "Return")
    time.sleep(0.8)
    ok(len(orders()) == 1, "a second Enter after Paid charges nothing (%d orders)" % len(orders()))
    ok(amount_error() != "", "and says what to do (%r)" % amount_error())
    xdo("type", "--delay", "20", "9")
    ok(wait_for(lambda: amount_text() == "9", 3),
       "after a click on a button, typed digits land in the amount (%r)" % amount_text())

    # 11: the main menu, Preferences and About give the focus back to the amount.
    def through_menu(item, close_keys, digit):
        xdo("key", "ctrl+a", "BackSpace")
        menu = find("Main Menu", pyatspi.ROLE_TOGGLE_BUTTON) or find("Main Menu")
        if menu is None:
            return "no menu button"
        click(menu)
        entry = wait_for(lambda: find_menu_item(item), 5)
        if entry is None:
            dump()
            return "no menu item %r" % tr(item)
        # The popover is a surface of its own: GTK's extents are relative to it, so the item is
        # activated through its accessible action (what a click on it does).
        try:
            entry.queryAction().doAction(0)
        except Exception as e:
            return "cannot activate %r: %s" % (tr(item), e)
        dialog = wait_for(lambda: [w for w in xdo("search", "--onlyvisible", "--pid",
                                                  str(app.pid)).split()
                                   if w != win and w not in other_windows], 5)
        if not dialog:
            return "no dialog opened"
        time.sleep(1.0)
        # No window manager: give the dialog the keyboard as one would by clicking it.
        xdo("windowfocus", "--sync", dialog[0])
        for k in close_keys:
            xdo("key", k)
            time.sleep(0.5)
        if xdo("search", "--onlyvisible", "--pid", str(app.pid)).split().count(dialog[0]):
            return "the dialog did not close"
        xdo("windowfocus", "--sync", win)
        time.sleep(0.5)
        xdo("type", "--delay", "20", digit)
        return wait_for(lambda: amount_text() == digit, 3) or amount_text()

    r = through_menu("_Preferences", ["Escape"], "3")
    ok(r is True, "after Preferences from the menu, digits land in the amount (%r)" % (r,))
    r = through_menu("_About Saoma Cashier", ["Escape"], "4")
    ok(r is True, "after About, digits land in the amount (%r)" % (r,))
    xdo("key", "ctrl+a", "BackSpace")
    menu = find("Main Menu", pyatspi.ROLE_TOGGLE_BUTTON) or find("Main Menu")
    click(menu)
    time.sleep(0.8)
    xdo("key", "Escape")
    time.sleep(0.5)
    xdo("type", "--delay", "20", "5")
    ok(wait_for(lambda: amount_text() == "5", 3),
       "after the menu is opened and closed, digits land in the amount (%r)" % amount_text())

    # 7 + 10: a sale cancelled with Esc says the truth; Esc still cancels after a late payment.
    xdo("key", "ctrl+l", "ctrl+a")
    xdo("type", "--delay", "20", "12")
    xdo("key", "Return")
    second = wait_for(lambda: [o for o in orders() if o.get("total_fee") == 1200], 10)
    ok(bool(second), "a newly typed amount starts the next sale")
    wait_for(lambda: status() == tr("Waiting for the customer to scan"), 10)
    xdo("key", "Escape")
    ok(wait_for(lambda: status() == tr("Cancelled"), 5), "Esc cancels (%s)" % status())
    detail = find("Payment status details")
    detail_text = text_of(detail) if detail else ""
    no_money = tr("The sale was cancelled. No money was taken.")
    ok(detail_text and no_money not in detail_text and
       tr("If the customer still pays, Saoma will tell you.") in detail_text,
       "the cancel message does not say no money was taken (%r)" % detail_text)
    shot("800x600-cancelled")

    if second:
        http("POST", "/sim/orders/%s/pay" % second[0]["out_trade_no"])
    def late_banner():
        # The banner's label names the order and its amount (GTK 4.8 names a label after its
        # text; the history's cells name only one of them).
        if not second:
            return None
        number = second[0]["out_trade_no"]
        try:
            return pyatspi.findDescendant(
                acc_app, lambda a: a is not None and a.getRole() == pyatspi.ROLE_LABEL and
                number in (a.name or "") and "12.00" in (a.name or ""))
        except Exception:
            return None
    ok(wait_for(late_banner, 15), "the late payment is announced by the banner")
    time.sleep(0.3)
    shot("800x600-late")

    xdo("key", "ctrl+l")
    xdo("type", "--delay", "20", "6")
    xdo("key", "Return")
    ok(wait_for(lambda: status() == tr("Waiting for the customer to scan"), 10),
       "the next sale shows its QR (%s)" % status())
    xdo("key", "Escape")
    ok(wait_for(lambda: status() == tr("Cancelled"), 3),
       "one Esc cancels it, with the late payment announced (%s)" % status())

    # 19: 1024×600, the QR decodes; a narrow window stacks the columns.
    resize(1024, 600)
    xdo("key", "ctrl+l")
    xdo("type", "--delay", "20", "8.8")
    xdo("key", "Return")
    third = wait_for(lambda: [o for o in orders() if o.get("total_fee") == 880], 10)
    decoded = ""
    end = time.monotonic() + 10
    while third and time.monotonic() < end and decoded != third[0].get("code_url"):
        decoded = decode(shot("1024x600-qr"))
        time.sleep(0.2)
    ok(third and decoded == third[0].get("code_url"),
       "at 1024×600 the QR decodes to the order's code_url (%r)" % decoded)
    qr = find("Payment QR code")
    ok(qr is not None and inside(qr, 1024, 600), "at 1024×600 the whole QR is in the window")
    xdo("key", "alt+2")
    time.sleep(0.6)
    w_history = geometry()
    shot("1024x600-history")
    xdo("key", "alt+1")
    time.sleep(0.4)
    ok(w_history == (1024, 600) and geometry() == (1024, 600),
       "the window stays 1024×600 on both pages (%s, %s)" % (w_history, geometry()))

    resize(600, 600)
    shot("600x600-qr")
    amount_acc = find("Amount in yuan", pyatspi.ROLE_TEXT)
    ok(geometry()[0] == 600 and qr is not None and amount_acc is not None and
       extents(amount_acc)[1] > extents(qr)[1] + extents(qr)[3] and inside(qr, 600, 600),
       "a 600 px wide window shows one column, the QR first while the sale is on (%s, %s)"
       % (extents(qr) if qr else None, geometry()))
    xdo("key", "Escape")
    time.sleep(0.3)
    ok(status() == tr("Cancelled"), "Esc cancels at 600 px too (%s)" % status())
finally:
    cleanup()

sys.exit(1 if failed else 0)
