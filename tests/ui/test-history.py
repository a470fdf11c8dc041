#!/usr/bin/python3
"""History and payment details (issues 12.1, 12.6, 12.14–12.16, 13) on the real saoma binary
under X (Xvfb), in demo mode, driven with xdotool like a cashier would.

- 12.1: refund ¥10 of a ¥38.50 sale in the details: History's header says ¥38.50 paid, ¥10.00
  refunded, ¥28.50 net (a partly refunded payment stays paid).
- 12.16: "38.5" in the search finds the ¥38.50 payment; "¥99.99" says "No Results".
- 13: the Method column says QR code.
- 12.14: the details' timeline reads as sentences with times ("QR code shown, waiting for the
  customer to pay"), the raw protocol notes behind "Protocol Details".
- 12.6: a late payment puts a banner on History that is still there after a restart, until
  the manager records a decision in its details; then it is gone.


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
    "GSETTINGS_BACKEND": "memory",
    "SAOMA_DEBUG_PRINT_SIM_URL": "1",
    "GSK_RENDERER": "cairo",
    "GTK_A11Y": "atspi",
    "LANGUAGE": LANG, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    # The manager PIN lives in a file keyring of this run (refunds and decisions ask for it).
    "SECRET_BACKEND": "file",
    "SECRET_FILE_TEST_PATH": os.path.join(tmp, "keyring"),
    "SECRET_FILE_TEST_PASSWORD": "test",
})
env.pop("GTK_DEBUG", None)

print("1..19", flush=True)

PIN = "135792"
pin_ok = subprocess.run([os.path.join(build_dir, "tests", "ui", "set-manager-pin")],
                        input=PIN + "\n", env=env, text=True).returncode == 0

procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)


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


class App:
    """One run of saoma: its process, its simulator and its accessible tree."""

    def __init__(self):
        self.proc = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None,
                                     text=True)
        procs.append(self.proc)
        self.sim = None
        end = time.monotonic() + 20
        while time.monotonic() < end:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("SAOMA_SIM_URL="):
                self.sim = line.strip().split("=", 1)[1]
                break
        if not self.sim:
            bail("the app did not start its simulator")
        self.acc = wait_for(self.find_app, 20, 0.25)
        if self.acc is None:
            bail("the app is not on the accessibility bus")
        if not wait_for(lambda: self.status() == tr("Ready"), 20):
            bail("the window did not become ready (%s)" % self.status())
        win = xdo("search", "--sync", "--onlyvisible", "--pid", str(self.proc.pid),
                  "--name", tr("Saoma Cashier")).split()
        if not win:
            bail("no window")
        self.win = win[0]
        xdo("windowmove", "--sync", self.win, "0", "0")
        xdo("windowsize", "--sync", self.win, "1024", "700")
        xdo("windowfocus", "--sync", self.win)
        time.sleep(0.5)

    def find_app(self):
        for a in pyatspi.Registry.getDesktop(0):
            try:
                if a is not None and a.get_process_id() == self.proc.pid:
                    return a
            except Exception:
                continue
        return None

    def http(self, method, path, body=None):
        req = urllib.request.Request(self.sim + path, data=body, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def orders(self):
        d = self.http("GET", "/sim/orders")
        return d if isinstance(d, list) else d.get("orders", [])

    def find(self, msgid, role=None, root=None):
        name = tr(msgid)
        with_mnemonic = raw(msgid)
        shown = with_mnemonic.replace("_", "")

        def match(a):
            try:
                n = a.name or ""
                return a is not None and (a.description == name or n in (name, shown) or
                                          n.startswith(name + " ") or
                                          n.startswith(with_mnemonic + " ")) and \
                    (role is None or a.getRole() == role)
            except Exception:
                return False
        try:
            return pyatspi.findDescendant(root or self.acc, match)
        except Exception:
            return None

    def find_label(self, pred, root=None):
        try:
            return pyatspi.findDescendant(
                root or self.acc, lambda a: a is not None and a.getRole() == pyatspi.ROLE_LABEL
                and showing(a) and pred(a.name or ""))
        except Exception:
            return None

    def status(self):
        acc = self.find("Payment status")
        return text_of(acc) if acc else None

    def windows(self):
        return xdo("search", "--onlyvisible", "--pid", str(self.proc.pid)).split()

    def sale(self, amount, fee):
        got = None
        for attempt in range(2):
            xdo("windowfocus", "--sync", self.win)
            xdo("key", "alt+1")
            time.sleep(0.6)
            xdo("key", "ctrl+l", "ctrl+a")
            xdo("type", "--delay", "20", amount)
            xdo("key", "Return")
            got = wait_for(lambda: [o for o in self.orders() if o.get("total_fee") == fee], 10)
            if got:
                break
            sys.stderr.write("no order for %s yet (%s), typing it again\n"
                             % (amount, self.status()))
        return got[0] if got else None

    def quit(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def text_of(acc):
    try:
        t = acc.queryText()
        return t.getText(0, t.characterCount)
    except Exception:
        return None


def showing(acc):
    """GTK 4.8 reports no SHOWING state: a widget that is not drawn has no size."""
    try:
        x, y, w, h = extents(acc)
        return w > 0 and h > 0
    except Exception:
        return False


def extents(acc):
    e = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    return (e.x, e.y, e.width, e.height)


def click_in(xid, acc):
    """Clicks @acc of the toplevel @xid (GTK 4 gives extents relative to its window)."""
    out = xdo("getwindowgeometry", "--shell", xid)
    g = dict(line.split("=", 1) for line in out.split() if "=" in line)
    x, y, w, h = extents(acc)
    xdo("mousemove", "--sync", str(int(g.get("X", 0)) + x + w // 2),
        str(int(g.get("Y", 0)) + y + h // 2))
    xdo("click", "1")


def scroll_down(xid):
    """Scrolls the details to their end (the timeline) with the mouse wheel."""
    out = xdo("getwindowgeometry", "--shell", xid)
    g = dict(line.split("=", 1) for line in out.split() if "=" in line)
    xdo("mousemove", "--sync", str(int(g.get("X", 0)) + 200), str(int(g.get("Y", 0)) + 300))
    xdo("click", "--repeat", "15", "--delay", "30", "5")
    time.sleep(0.6)


def money(fen):
    return "¥%d.%02d" % (fen // 100, fen % 100)


def open_row(a, number):
    """Double-clicks the History row of @number; returns the details window's X id."""
    before = set(a.windows())
    cell = wait_for(lambda: a.find_label(lambda n: n == number), 10)
    if cell is None:
        return None
    x, y, w, h = extents(cell)
    xdo("mousemove", "--sync", str(x + w // 2), str(y + h // 2))
    xdo("click", "--repeat", "2", "--delay", "80", "1")
    new = wait_for(lambda: [w for w in a.windows() if w not in before], 5)
    if not new:
        return None
    time.sleep(1.0)
    xdo("windowfocus", "--sync", new[0])
    return new[0]


def close_window(a, xid):
    # A toast takes the first Esc (libadwaita); the next one closes the window.
    for _ in range(3):
        xdo("windowfocus", "--sync", xid)
        xdo("key", "Escape")
        if wait_for(lambda: xid not in a.windows(), 3):
            break
    xdo("windowfocus", "--sync", a.win)
    time.sleep(0.3)


try:
    ok(pin_ok, "the manager PIN is stored in the test's keyring")
    a = App()

    # A ¥38.50 sale, paid.
    order = a.sale("38.5", 3850)
    ok(order is not None, "Enter creates one ¥38.50 order")
    number = order["out_trade_no"] if order else ""
    a.http("POST", "/sim/orders/%s/pay" % number)
    ok(wait_for(lambda: a.status() == tr("Paid"), 15), "the sale is paid (%s)" % a.status())

    # History: the row says how it was paid.
    xdo("key", "alt+2")
    time.sleep(0.8)
    ok(wait_for(lambda: a.find_label(lambda n: n == tr("QR code", "payment method")), 10),
       "the Method column says %r" % tr("QR code", "payment method"))

    # 12.1: refund ¥10 in the details.
    details = open_row(a, number)
    refund_ok = False
    if details:
        shot("history-details-paid")
        refund_button = a.find("_Refund…", pyatspi.ROLE_PUSH_BUTTON)
        if refund_button is not None:
            refund_button.queryAction().doAction(0)
            dialog = wait_for(lambda: [w for w in a.windows() if w not in (a.win, details)], 5)
            if dialog:
                time.sleep(1.0)
                xdo("windowfocus", "--sync", dialog[0])
                # Without a window manager the focus may not follow: click into the amount
                # field (the first row under the order's two lines) and select what it holds.
                xdo("mousemove", "--window", dialog[0], "200", "140")
                xdo("click", "1")
                time.sleep(0.3)
                xdo("key", "ctrl+a")
                xdo("type", "--delay", "30", "10")
                xdo("key", "Tab", "Tab")
                xdo("type", "--delay", "30", "test")
                xdo("key", "Tab")
                xdo("type", "--delay", "30", PIN)
                xdo("key", "Return")
                refund_ok = wait_for(lambda: a.find_label(
                    lambda n: "10.00" in n and tr("Refunded %s. WeChat Pay confirmed the refund.")
                    .split("%s")[0] in n), 30)
                shot("refund-done")
                close_window(a, dialog[0])
    ok(refund_ok, "the ¥10.00 refund is confirmed in its dialog")

    def summary_says(paid, refunded, net, n):
        want = [(tr("%u payment · %s paid") if n == 1 else
                 PO.get("%u payment · %s paid", "%u payments · %s paid")).replace(
                     "%u", str(n)).replace("%s", paid),
                tr("%s refunded").replace("%s", refunded), tr("%s net").replace("%s", net)]
        return a.find_label(lambda t: all(w in t for w in want))

    ok(wait_for(lambda: summary_says("¥38.50", "¥10.00", "¥28.50", 1), 15),
       "History's header: 1 payment · ¥38.50 paid · ¥10.00 refunded · ¥28.50 net")

    # 12.14: the timeline reads as sentences, the raw notes behind the expander.
    if details:
        xdo("windowfocus", "--sync", details)
        xdo("windowsize", "--sync", details, "640", "790")
        time.sleep(0.8)
        scroll_down(details)
        shown = tr("QR code shown, waiting for the customer to pay")
        ok(wait_for(lambda: a.find_label(lambda n: n == shown) or
                    a.find(shown), 10), "the timeline says %r" % shown)
        ok(wait_for(lambda: a.find_label(lambda n: n.startswith(
            tr("Partly refunded: %s in total").split("%s")[0])), 10),
           "the timeline says the payment is partly refunded")
        ok(a.find_label(lambda n: "unifiedorder" in n) is None,
           "no raw protocol note is shown outside the expander")
        shot("details-timeline")
        expander = a.find_label(lambda n: n in (tr("_Protocol Details"),
                                                raw("_Protocol Details").replace("_", "")))
        if expander is not None:
            click_in(details, expander)
            time.sleep(0.5)
            scroll_down(details)
        ok(wait_for(lambda: a.find_label(lambda n: "unifiedorder" in n), 5),
           "Protocol Details shows the raw notes")
        shot("details-protocol")
        close_window(a, details)
    else:
        for what in ("timeline sentence", "timeline refund", "no raw note", "expander"):
            ok(False, "no details window (%s)" % what)

    # 12.16: search by amount; nothing found says No Results.
    xdo("key", "ctrl+f")
    xdo("type", "--delay", "30", "38.5")
    ok(wait_for(lambda: a.find_label(lambda n: n == number), 5),
       "the search 38.5 finds the ¥38.50 payment")
    xdo("key", "ctrl+a")
    xdo("type", "--delay", "30", "99.99")
    ok(wait_for(lambda: a.find_label(lambda n: n == tr("No Results")), 5) and
       a.find_label(lambda n: n == tr("No Payments")) is None,
       "a search that finds nothing says %r" % tr("No Results"))
    xdo("key", "ctrl+a", "BackSpace")

    # 12.15: Query Now says WeChat's answer, for a sale still waiting, then once it is paid.
    # The answer's own label (the timeline may say the same from the engine's polling).
    def answer(text, prefix=False):
        try:
            return pyatspi.findDescendant(
                a.acc, lambda x: x is not None and x.getRole() == pyatspi.ROLE_LABEL and
                x.description == tr("WeChat Pay’s answer to Query Now") and
                ((x.name or "").startswith(text) if prefix else x.name == text))
        except Exception:
            return None

    waiting = a.sale("7", 700)
    wait_for(lambda: a.status() == tr("Waiting for the customer to scan"), 10)
    xdo("key", "alt+2")
    time.sleep(0.8)
    details = open_row(a, waiting["out_trade_no"]) if waiting else None
    answers = [None, None]
    if details:
        query = a.find("_Query Now", pyatspi.ROLE_PUSH_BUTTON)
        if query is not None:
            query.queryAction().doAction(0)
            answers[0] = wait_for(lambda: answer(tr("WeChat Pay says: not paid yet")), 15)
            shot("details-query-notpaid")
            a.http("POST", "/sim/orders/%s/pay" % waiting["out_trade_no"])
            time.sleep(0.5)
            # The notification may confirm it before the cashier asks again: the answer
            # shown follows (and a second Query Now, while the button is there, too).
            query = a.find("_Query Now", pyatspi.ROLE_PUSH_BUTTON)
            if query is not None and showing(query):
                try:
                    query.queryAction().doAction(0)
                except Exception:
                    pass
            paid_at = tr("WeChat Pay says: paid at %s").split("%s")[0]
            answers[1] = wait_for(lambda: answer(paid_at, prefix=True), 15)
            shot("details-query-paid")
        close_window(a, details)
    ok(answers[0], "Query Now says %r" % tr("WeChat Pay says: not paid yet"))
    ok(answers[1], "after the customer paid, Query Now says when")

    # 12.6: a late payment (cancelled, then paid at WeChat) waits for a decision.
    late = a.sale("12", 1200)
    wait_for(lambda: a.status() == tr("Waiting for the customer to scan"), 10)
    xdo("key", "Escape")
    wait_for(lambda: a.status() == tr("Cancelled"), 5)
    late_number = late["out_trade_no"] if late else "?"
    if late:
        a.http("POST", "/sim/orders/%s/pay" % late_number)
    xdo("key", "alt+2")

    def banner():
        lbl = a.find_label(lambda n: late_number in n and "12.00" in n and
                           tr("A late payment needs a decision: %s for order %s. Open it and "
                              "record whether the sale stands or the money went back.")
                           .split("%s")[0] in n)
        return lbl
    ok(wait_for(banner, 20), "History shows the late payment banner")

    # Restart: the banner is read from the ledger.
    a.quit()
    a = App()
    xdo("key", "alt+2")
    ok(wait_for(banner, 15), "after a restart the banner is still there")
    time.sleep(0.5)
    shot("history-late-banner")

    # Decide in the details: the sale stands.
    details = open_row(a, late_number)
    decided = False
    if details:
        time.sleep(0.5)
        shot("details-late")
        xdo("type", "--delay", "30", PIN)
        xdo("key", "Tab", "Return")
        decided = wait_for(lambda: a.find_label(
            lambda n: n == tr("Decision recorded: the sale stands (honoured)")), 15)
        shot("details-decided")
        close_window(a, details)
    ok(decided, "the decision is recorded in the timeline")
    ok(wait_for(lambda: banner() is None, 10), "and the banner is gone")
    a.quit()
    a = App()
    xdo("key", "alt+2")
    time.sleep(2.0)
    ok(banner() is None, "and stays gone after another restart")
finally:
    cleanup()

sys.exit(1 if failed else 0)
