"""What the UI tests of tests/ui share: the words of po/zh_CN.po, TAP, a private environment, the
real saoma binary with the simulator it starts, its AT-SPI tree, xdotool and screenshots.

A test imports it from its own directory (meson runs the script from the source tree):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import saoma_ui as ui
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
build_dir = os.environ.get("SAOMA_BUILD_DIR", os.getcwd())


# ---- Words ----

def load_po(path):
    """msgid (with context as 'ctx\\x04id') → msgstr (msgstr[0] for plurals), from a .po file."""
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


PO = {}


def use_language(lang):
    """The language the app is run in (po/zh_CN.po's words for zh_CN, the msgids for en)."""
    global LANG, PO
    LANG = lang
    PO = load_po(os.path.join(source_dir, "po", "zh_CN.po")) if lang == "zh_CN" else {}


use_language(LANG)


def raw(msgid, ctx=None):
    """The translated text, mnemonic included."""
    return PO.get((ctx + "\x04" + msgid) if ctx else msgid, "") or msgid


def tr(msgid, ctx=None):
    """The text as the app shows it: translated, without its mnemonic."""
    text = re.sub(r"\(_[A-Za-z]\)", "", raw(msgid, ctx))
    return text.replace("_", "").replace("\\n", "\n")


# ---- TAP ----

n_test = 0
failed = False


def plan(n):
    print("1..%d" % n, flush=True)


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


def skip(why):
    print("1..0 # SKIP " + why)
    sys.exit(77)


def exit_status():
    return 1 if failed else 0


try:
    import pyatspi
except ImportError:
    pyatspi = None


def require_x(tools=("xdotool", "import", "zbarimg")):
    """Skips the test (77) without an X display, one of @tools or pyatspi."""
    if not os.environ.get("DISPLAY"):
        skip("no X display")
    for tool in tools:
        if shutil.which(tool) is None:
            skip("%s is not installed" % tool)
    if pyatspi is None:
        skip("pyatspi is not installed")


# ---- The run's environment ----

env = dict(os.environ)
tmp = None


def use_build_dir(path):
    """The build tree the app and the screenshots are in (default: SAOMA_BUILD_DIR, or here)."""
    global build_dir, saoma, shots
    build_dir = path
    saoma = os.path.join(build_dir, "src", "app", "saoma")
    shots = os.path.join(build_dir, "tests", "ui", "screenshots")


def setup(gsettings="memory", demo_api=None, keyring=False, tmp_prefix="saoma-ui-"):
    """A private home for the run (data, config, cache in a temporary directory) in LANG.

    @gsettings: "memory", or "keyfile" for settings that outlive a restart; @demo_api: the demo's
    protocol written in the settings ("v2"), or None for its default; @keyring: a file keyring
    of this run (SECRET_FILE_TEST_PATH) for the manager PIN."""
    global tmp
    os.makedirs(shots, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=tmp_prefix)
    env.update({
        "XDG_DATA_HOME": os.path.join(tmp, "data"),
        "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
        "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
        "GSETTINGS_BACKEND": gsettings,
        "SAOMA_DEBUG_PRINT_SIM_URL": "1",
        "GSK_RENDERER": "cairo",
        "GTK_A11Y": "atspi",
        "LANGUAGE": LANG, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    })
    env.pop("GTK_DEBUG", None)
    if demo_api is not None:
        keyfile = os.path.join(env["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
        os.makedirs(os.path.dirname(keyfile), exist_ok=True)
        with open(keyfile, "w") as f:
            f.write("[io/github/saoma/Cashier]\ndemo-api-version='%s'\n" % demo_api)
    if keyring:
        env.update({
            "SECRET_BACKEND": "file",
            "SECRET_FILE_TEST_PATH": os.path.join(tmp, "keyring"),
            "SECRET_FILE_TEST_PASSWORD": "test",
        })
    return env


def set_manager_pin(pin):
    """Stores @pin in the run's keyring as Preferences would (on stdin, never in argv)."""
    return subprocess.run([os.path.join(build_dir, "tests", "ui", "set-manager-pin")],
                          input=pin + "\n", env=env, text=True).returncode == 0


procs = []
realtime_pids = []


def cleanup():
    """Stops every app the test started and removes the run's home."""
    x_server_normal()
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


use_build_dir(build_dir)


# ---- X ----

def xdo(*args):
    return subprocess.run(["xdotool", *args], check=False, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


def geometry_of(xid):
    """xdotool's getwindowgeometry of @xid: {"X": …, "Y": …, "WIDTH": …, "HEIGHT": …}."""
    out = xdo("getwindowgeometry", "--shell", xid)
    return dict(line.split("=", 1) for line in out.split() if "=" in line)


def shot(name, say=False):
    """A screenshot of the screen, <build>/tests/ui/screenshots/<lang>-<name>.png."""
    path = os.path.join(shots, "%s-%s.png" % (LANG, name))
    subprocess.run(["import", "-window", "root", path], check=True, env=env)
    if say:
        print("# screenshot %s" % path, flush=True)
    return path


def decode(path):
    """The QR code's text in the image at @path (zbarimg), or ""."""
    r = subprocess.run(["zbarimg", "-q", "--raw", "--nodbus", path], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip()


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
    del realtime_pids[:]


def scan(code, delay=5):
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


# ---- AT-SPI ----

def text_of(acc):
    try:
        t = acc.queryText()
        return t.getText(0, t.characterCount)
    except Exception:
        return None


def extents(acc):
    # GTK 4 reports window coordinates.
    e = acc.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    return (e.x, e.y, e.width, e.height)


def showing(acc):
    """GTK 4.8 reports no SHOWING state: a widget that is not drawn has no size."""
    try:
        x, y, w, h = extents(acc)
        return w > 0 and h > 0
    except Exception:
        return False


def click(acc):
    """Clicks @acc of a window at the screen's origin."""
    x, y, w, h = extents(acc)
    xdo("mousemove", "--sync", str(x + w // 2), str(y + h // 2))
    xdo("click", "1")


def click_in(xid, acc):
    """Clicks @acc of the toplevel @xid (GTK 4 gives extents relative to its window)."""
    g = geometry_of(xid)
    x, y, w, h = extents(acc)
    xdo("mousemove", "--sync", str(int(g.get("X", 0)) + x + w // 2),
        str(int(g.get("Y", 0)) + y + h // 2))
    xdo("click", "1")


def named(msgid, role=None):
    """A predicate: an accessible named or described as @msgid is shown (optionally of @role)."""
    name = tr(msgid)
    with_mnemonic = raw(msgid)
    shown = with_mnemonic.replace("_", "")  # "商品描述(_E)" is shown as "商品描述(E)"

    def match(a):
        # GTK 4.8 names a widget "<its label, mnemonic included> <its label shown>".
        n = a.name or ""
        return (a.description == name or n in (name, shown) or n.startswith(name + " ") or
                n.startswith(with_mnemonic + " ")) and (role is None or a.getRole() == role)
    return match


def dump(acc, depth=0):
    """The accessible tree under @acc, on stderr (to see why a search failed)."""
    try:
        sys.stderr.write("%s%s %r %r\n" % ("  " * depth, acc.getRoleName(), acc.name,
                                            acc.description))
        for i in range(acc.childCount):
            dump(acc.getChildAtIndex(i), depth + 1)
    except Exception:
        pass


class App:
    """One run of saoma in the run's environment: its process, the simulator it started and
    its accessible tree. @accessible: wait for it on the accessibility bus (bails without)."""

    def __init__(self, accessible=True):
        self.proc = subprocess.Popen([saoma], env=env, stdout=subprocess.PIPE, stderr=None,
                                     text=True)
        procs.append(self.proc)
        self.pid = self.proc.pid
        self.sim = None
        self.acc = None
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
        if accessible:
            self.attach("the app is not on the accessibility bus")

    def find_app(self):
        for a in pyatspi.Registry.getDesktop(0):
            try:
                if a is not None and a.get_process_id() == self.proc.pid:
                    return a
            except Exception:
                continue
        return None

    def attach(self, bail_why=None):
        """Waits for the app on the accessibility bus; bails with @bail_why if it is not."""
        self.acc = wait_for(self.find_app, 20, 0.25)
        if self.acc is None and bail_why:
            bail(bail_why)
        return self.acc

    def http(self, method, path, body=None):
        """The simulator's control API: the JSON answer, or None."""
        req = urllib.request.Request(self.sim + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def orders(self):
        d = self.http("GET", "/sim/orders")
        return d if isinstance(d, list) else d.get("orders", [])

    def pay(self, out_trade_no):
        """The customer pays @out_trade_no (the simulator's control API)."""
        return self.http("POST", "/sim/orders/%s/pay" % out_trade_no)

    def find_where(self, pred, root=None):
        """The first accessible under @root (the app) for which @pred holds, or None."""
        try:
            return pyatspi.findDescendant(root or self.acc,
                                          lambda a: a is not None and pred(a))
        except Exception:
            return None

    def find(self, msgid, role=None, root=None):
        """The accessible named or described as @msgid (translated), or None."""
        match = named(msgid, role)

        def safe(a):
            try:
                return match(a)
            except Exception:
                return False
        return self.find_where(safe, root)

    def find_label(self, pred, root=None):
        """The first label on screen whose name satisfies @pred."""
        return self.find_where(lambda a: a.getRole() == pyatspi.ROLE_LABEL and showing(a) and
                               pred(a.name or ""), root)

    def text(self, msgid, role=None):
        acc = self.find(msgid, role)
        return text_of(acc) if acc else None

    def status(self):
        return self.text("Payment status")

    def find_menu_item(self, msgid):
        """The item @msgid of the open menu, or None."""
        name = tr(msgid)
        with_mnemonic = raw(msgid)
        shown = with_mnemonic.replace("_", "")
        try:
            items = pyatspi.findAllDescendants(
                self.acc, lambda a: a is not None and a.getRole() == pyatspi.ROLE_MENU_ITEM)
        except Exception:
            return None
        for a in items:
            n = a.name or ""
            if n in (name, shown) or n.startswith(name + " ") or \
                    n.startswith(with_mnemonic + " "):
                return a
        return None

    def amount_text(self):
        return self.text("Amount in yuan", pyatspi.ROLE_TEXT)

    def amount_error(self):
        acc = self.find("Amount error")
        return (text_of(acc) or "") if acc is not None else ""

    def windows(self):
        """The app's visible X windows."""
        return xdo("search", "--onlyvisible", "--pid", str(self.proc.pid)).split()

    def main_window(self):
        """The X id of the cashier window (waits for it), or None."""
        win = xdo("search", "--sync", "--onlyvisible", "--pid", str(self.proc.pid),
                  "--name", tr("Saoma Cashier")).split()
        return win[0] if win else None

    def wait_ready(self):
        """Bails unless the window says Ready within 20 s."""
        if not wait_for(lambda: self.status() == tr("Ready"), 20):
            bail("the window did not become ready (%s)" % self.status())

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
