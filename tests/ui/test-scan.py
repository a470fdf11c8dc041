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

print("1..17", flush=True)

app = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None, text=True)


def cleanup():
    x_server_normal()
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


realtime_pids = []


def x_server_realtime():
    """Under XTEST, the X server stamps each key when it handles it: on a loaded machine it
    can be descheduled between two keys of one burst for longer than the scan gap, which a
    USB scanner's kernel-stamped keys never are. As root (how the UI suites run) the test's
    own X server gets a real-time priority for the scans; without the right it stays as is."""
    display = os.environ.get("DISPLAY", "").split(".")[0]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) in ("Xvfb", "Xorg") and display in argv[1:]:
            if subprocess.run(["chrt", "-f", "-p", "10", pid], check=False,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                realtime_pids.append(pid)


def x_server_normal():
    """The X server is shared with the other UI tests: back to normal scheduling."""
    for pid in realtime_pids:
        subprocess.run(["chrt", "-o", "-p", "0", pid], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


x_server_realtime()
print("# X server at real-time priority: %s" % (realtime_pids or "no (not allowed)"), flush=True)
WECHAT_PAID = "134567890123456780"       # last digit 0: paid at once
WECHAT_SLOW = "134567890123456790"       # typed by a person: never sent
WECHAT_PASSWORD = "134567890123456781"   # last digit 1: USERPAYING, paid 10 s later
WECHAT_NO_AMOUNT = "134567890123456800"
WECHAT_BY_HAND = "134567890123456810"
WECHAT_NOT_ENOUGH = "134567890123456824"  # last digit 4: NOTENOUGH
ALIPAY = "281234567890123456"
NOT_A_CODE = "999999999999999999"

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

    def http(method, path):
        req = urllib.request.Request(sim + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def orders():
        d = http("GET", "/sim/orders")
        return d if isinstance(d, list) else d.get("orders", [])

    def xdo(*args):
        return subprocess.run(["xdotool", *args], check=False, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout

    def scan(code, delay):
        # One xdotool run, the digits and Enter, @delay ms a key: a scanner's keystrokes
        # ("type" would send "\n" as Linefeed, and a second run for Enter may come late). A
        # scanner's keys come from hardware at a steady pace; xdotool on a loaded machine can
        # be descheduled between two keys for longer than the gap, so it runs real-time where
        # allowed (root, as the UI suites run), else as it is.
        args = ["xdotool", "key", "--delay", str(delay), *list(code), "Return"]
        r = subprocess.run(["chrt", "-f", "10", *args], check=False, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            subprocess.run(args, check=False, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    def shot(name):
        path = os.path.join(shots, "%s-scan-%s.png" % (LANG, name))
        subprocess.run(["import", "-window", "root", path], check=True, env=env)
        print("# screenshot %s" % path, flush=True)
        return path

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

    def find(msgid, role=None):
        name = tr(msgid)

        def match(a):
            try:
                # GTK 4.8 may name a widget "<its label> <its text>".
                n = a.name or ""
                return a is not None and (a.description == name or n == name or
                                          n.startswith(name + " ")) and \
                    (role is None or a.getRole() == role)
            except Exception:
                return False
        try:
            return pyatspi.findDescendant(acc_app, match)
        except Exception:
            return None

    def text_of(acc):
        try:
            t = acc.queryText()
            return t.getText(0, t.characterCount)
        except Exception:
            return None

    def status():
        acc = find("Payment status")
        return text_of(acc) if acc else None

    def detail():
        acc = find("Payment status details")
        return text_of(acc) if acc else None

    def amount_text():
        acc = find("Amount in yuan", pyatspi.ROLE_TEXT)
        return text_of(acc) if acc else None

    def amount_error():
        acc = find("Amount error")
        return (text_of(acc) or "") if acc is not None else ""

    def type_amount(text):
        xdo("key", "ctrl+a")
        xdo("key", "BackSpace")
        xdo("type", "--delay", "120", text)
        wait_for(lambda: amount_text() == text, 3)

    if not wait_for(lambda: status() == tr("Ready"), 20):
        bail("the window did not become ready (%s)" % status())
    win = xdo("search", "--sync", "--onlyvisible", "--name", tr("Saoma Cashier")).split()
    if not win:
        bail("no window")
    xdo("windowfocus", "--sync", win[0])
    xdo("windowsize", "--sync", win[0], "1024", "700")
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
    cleanup()

sys.exit(1 if failed else 0)
