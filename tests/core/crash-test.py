#!/usr/bin/python3
"""The crash test: real processes, real kill -9, then recovery, then the books must agree.

A wxpay-sim executable runs with faults on (dropped connections before and after processing,
SYSTEMERROR, HTTP 500, bad response signatures, latency), reproducible from a seed. `saoma
--charge` is run again and again against it and killed with SIGKILL at every transition point
of the engine (SAOMA_CRASH_AT) and at random moments (kill -9 from here after a random delay);
the sim pays some orders through its control API (some while the till runs, some after it
died), other charges are cancelled (SIGTERM). `saoma --recover` runs between batches (and is
itself killed at random now and then). At the end the ledger is compared with GET /sim/orders:

  - every order the sim has as paid is PAID in the ledger (else: a loss),
  - no ledger state contradicts the sim (PAID/CLOSED/FAILED, amounts, transaction ids),
  - no attempt is left non-final,
  - no charge produced two orders: every sim order belongs to exactly one charge run, and an
    order exists at the sim only if its attempt was written to the ledger first.

Micropay (付款码): `saoma --charge AMOUNT --auth-code CODE` runs are mixed in, each with a new
code whose last digit picks the simulator's outcome (paid at once, USERPAYING then paid or
failed, AUTHCODEEXPIRE, NOTENOUGH), killed at every micropay transition point and at random
moments. On top of the checks above: a micropay attempt is PAID exactly when the sim's order is
SUCCESS, REVOKED (CLOSED) only when it is REVOKED, FAILED only when it is PAYERROR, REVOKED or
absent; the pay call is never sent twice (one order per code).

Environment: SAOMA_BUILD_DIR (set by meson), SAOMA_CRASH_RUNS (default 220, or --runs),
SAOMA_CRASH_MICROPAY_RUNS (default 40, or --micropay-runs; 0 leaves micropay out),
SAOMA_CRASH_SEED (default 20261127), SAOMA_CRASH_API (v2, the default, or v3: the sim started
with --v3-dir, saoma with --api v3 --sim-v3-dir; or --api), SAOMA_CRASH_PER_POINT (kills at
each named point, default max(8, runs / 2 / points); or --per-point), SAOMA_CRASH_BUDGET
(seconds, default 170; or --budget). Exit status 0 only when losses and contradictions are 0
and at least min(200, runs) runs were made.
"""

import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

def parse_args():
    import argparse
    parser = argparse.ArgumentParser(description="The crash test (see the module's text).")
    parser.add_argument("build", nargs="?", help="the build directory (else SAOMA_BUILD_DIR)")
    parser.add_argument("--api", choices=("v2", "v3"),
                        default=os.environ.get("SAOMA_CRASH_API", "v2"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("SAOMA_CRASH_RUNS", "220")))
    parser.add_argument("--per-point", type=int,
                        default=int(os.environ.get("SAOMA_CRASH_PER_POINT", "0")))
    parser.add_argument("--micropay-runs", type=int,
                        default=int(os.environ.get("SAOMA_CRASH_MICROPAY_RUNS", "40")))
    parser.add_argument("--budget", type=float,
                        default=float(os.environ.get("SAOMA_CRASH_BUDGET", "170")))
    return parser.parse_args()


ARGS = parse_args()
BUILD = os.environ.get("SAOMA_BUILD_DIR") or ARGS.build
if not BUILD:
    sys.exit("crash-test: set SAOMA_BUILD_DIR or pass the build directory")

SAOMA = os.path.join(BUILD, "src", "app", "saoma")
SIM = os.path.join(BUILD, "src", "sim", "wxpay-sim")
RUNS = ARGS.runs
SEED = int(os.environ.get("SAOMA_CRASH_SEED", "20261127"))
BUDGET_S = ARGS.budget
API = ARGS.api
PER_POINT = ARGS.per_point
MICROPAY_RUNS = ARGS.micropay_runs
MICROPAY_BUDGET_S = float(os.environ.get("SAOMA_CRASH_MICROPAY_BUDGET", "50"))
# The calls whose outcome is made unknown on purpose, in each protocol.
CREATE_PATH = "/pay/unifiedorder" if API == "v2" else "/v3/pay/transactions/native"
MICROPAY_PATH = "/pay/micropay" if API == "v2" else "/v3/pay/transactions/codepay"

# Every transition point of the engine (saoma-checkout.c crash_point()).
POINTS = [
    "after-insert", "after-submitted", "before-send", "after-send", "after-unknown",
    "after-waiting", "before-query", "after-query", "after-paid-query", "after-paid",
    "after-closing", "before-close", "after-close", "after-closed",
]
NEEDS_PAY = {"after-paid-query", "after-paid"}
NEEDS_CANCEL = {"after-closing", "before-close", "after-close", "after-closed"}
# Reached many times per run: also crash at a later occurrence.
REPEATED = {"before-query", "after-query"}
# Reached only after an unknown outcome: make those more likely for these runs.
NEEDS_UNKNOWN = {"after-unknown"}

FINAL = {"PAID", "CLOSED", "FAILED", "PARTIALLY_REFUNDED", "REFUNDED"}

# Every transition point of a micropay attempt (saoma-micropay-job.c), and the code digit
# (the sim's outcome) or fault that reaches it.
MICROPAY_POINTS = [
    "after-insert", "after-submitted", "before-pay", "after-pay", "after-unknown",
    "after-waiting", "before-query", "after-query", "after-paid-query", "after-paid",
    "after-closing", "before-reverse", "after-reverse", "after-closed", "after-failed",
]
MICROPAY_DIGITS = {"after-waiting": "12", "before-query": "12", "after-query": "12",
                   "after-closing": "12", "before-reverse": "12", "after-reverse": "12",
                   "after-closed": "12", "after-paid-query": "0", "after-paid": "0",
                   "after-failed": "34"}
MICROPAY_GIVE_UP_S = 2
used_codes = set()
# Named-point runs that ended before their point, by point: which attempts to read in the ledger
# when a point is never reached.
missed = collections.defaultdict(list)

FAULTS = [
    {"latency_ms": 15},
    {"drop_before": 0.06, "drop_after": 0.10, "systemerror": 0.08, "http_500": 0.04,
     "bad_sign": 0.04},
]
# An after-unknown run needs its create (or pay) call's outcome to be unknown. A rule that only
# may strike made the point a matter of luck: the sim's rules combine, so a micropay try was
# unknown 75 % of the time and all four tries missed now and then ("points never reached:
# micropay after-unknown"). So each such run gets one rule that surely strikes (rate 1 rolls no
# luck), taking the kinds of unknown outcome in turn: the answer lost after the call took effect,
# SYSTEMERROR, an HTTP 500, a badly signed answer.
UNKNOWN_KINDS = ("drop_after", "systemerror", "http_500", "bad_sign")


def unknown_faults(path, tries):
    """The faults of the @tries-th after-unknown run (counted from 0) for calls to @path."""
    return FAULTS + [{"path": path, UNKNOWN_KINDS[tries % len(UNKNOWN_KINDS)]: 1.0}]


rng = random.Random(SEED)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(msg):
    print(msg, flush=True)


class Sim:
    def __init__(self, workdir):
        self.stderr = open(os.path.join(workdir, "sim.log"), "w")
        args = [SIM, "--port", "0", "--seed", str(SEED), "--close-min-age", "0"]
        self.v3_dir = None
        if API == "v3":
            # The sim writes the demo merchant's v3 keys here; saoma reads them (--sim-v3-dir).
            self.v3_dir = os.path.join(workdir, "v3")
            os.mkdir(self.v3_dir, 0o700)
            args += ["--v3-dir", self.v3_dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise SystemExit("crash-test: wxpay-sim did not start: %r" % self.url)

    def call(self, method, path, body=None):
        data = body.encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with opener.open(req, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def set_faults(self, faults):
        status, text = self.call("POST", "/sim/faults", json.dumps(faults))
        if status != 200:
            raise SystemExit("crash-test: cannot set faults: %s %s" % (status, text))

    def pay(self, otn):
        status, _ = self.call("POST", "/sim/orders/%s/pay" % otn)
        return status == 200

    def orders(self):
        status, text = self.call("GET", "/sim/orders")
        if status != 200:
            raise SystemExit("crash-test: GET /sim/orders failed: %s" % status)
        return json.loads(text)["orders"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


CLIENT_CERT = None


def make_client_cert(workdir):
    """A throwaway client certificate: reverse is a /secapi/ call (the sim here takes it over
    plain http, so it is never presented, but the client refuses /secapi/ without one)."""
    key = os.path.join(workdir, "client-key.pem")
    cert = os.path.join(workdir, "client-cert.pem")
    tmpl = os.path.join(workdir, "client.tmpl")
    with open(tmpl, "w") as f:
        f.write('cn = "10000100"\nexpiration_days = 2\ntls_www_client\n')
    subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", key],
                   check=True, capture_output=True)
    subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", key, "--template",
                    tmpl, "--outfile", cert], check=True, capture_output=True)
    combined = os.path.join(workdir, "client.pem")
    with open(combined, "w") as out:
        out.write(open(cert).read() + open(key).read())
    os.chmod(combined, 0o600)
    return combined


def saoma_args(sim, ledger):
    # Fast schedules: a whole charge lives in well under a second (a payment code's in a few).
    args = ["--gateway", sim.url, "--ledger", ledger, "--close-delay", "0",
            "--poll-interval", "40", "--retry-interval", "40", "--slow-poll-interval", "80",
            "--timeout", "2", "--micropay-give-up", str(MICROPAY_GIVE_UP_S)]
    if API == "v3":
        args += ["--api", "v3", "--sim-v3-dir", sim.v3_dir]
    if CLIENT_CERT:
        args += ["--client-cert", CLIENT_CERT]
    return args


def new_auth_code(digit):
    """A payment code never used before (18 digits, 10–15…), ending in @digit."""
    while True:
        code = "1%d%s%s" % (rng.randint(0, 5), "".join(rng.choice("0123456789") for _ in range(15)),
                            digit)
        if code not in used_codes:
            used_codes.add(code)
            return code


def micropay_run(sim, ledger, point, action, stats):
    """One `saoma --charge --auth-code`; returns its out_trade_no (or None)."""
    env = dict(os.environ)
    env.pop("G_MESSAGES_DEBUG", None)
    env.pop("SAOMA_CRASH_AT", None)
    if point is not None:
        crash_at = point
        if point in REPEATED and rng.random() < 0.5:
            crash_at = "%s:%d" % (point, rng.randint(2, 4))
        env["SAOMA_CRASH_AT"] = crash_at
    digit = rng.choice(MICROPAY_DIGITS.get(point, "0000112234"))
    amount = "%d.%02d" % (rng.randint(0, 300), rng.randint(1, 99))
    proc = subprocess.Popen([SAOMA, "--charge", amount, "--auth-code", new_auth_code(digit)] +
                            saoma_args(sim, ledger),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    otn = proc.stdout.readline().strip() or None
    we_killed = False

    if point is None or action == "cancel":
        time.sleep(rng.uniform(0.0, 1.0 if action == "cancel" else 2.5))
        if proc.poll() is None:
            if action == "cancel":
                proc.send_signal(signal.SIGTERM)
            else:
                proc.kill()
                we_killed = True

    if wait_or_kill(proc, 20):
        stats["stuck (killed after 20 s)"] += 1
        we_killed = True
    out = proc.stdout.read()
    proc.stdout.close()
    rc = proc.returncode

    if rc == -signal.SIGKILL and not we_killed:
        stats["micropay kills"] += 1
        stats["micropay kill at " + point] += 1
    elif rc == -signal.SIGKILL:
        stats["micropay kills"] += 1
        stats["micropay random-moment kills"] += 1
    else:
        last = out.strip().splitlines()[-1] if out.strip() else "(nothing)"
        stats["micropay ended " + last.split(":")[0]] += 1
        if point is not None:
            missed["micropay " + point].append("%s ended %s" % (otn, last.split(":")[0]))
    return otn


def wait_or_kill(proc, timeout):
    try:
        proc.wait(timeout)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return True


def sim_state(sim, otn):
    for order in sim.orders():
        if order["out_trade_no"] == otn:
            return order["state"]
    return None


def charge_run(sim, ledger, index, point, action, stats):
    """One `saoma --charge`; returns its out_trade_no (or None)."""
    env = dict(os.environ)
    env.pop("G_MESSAGES_DEBUG", None)
    crash_at = None
    if point is not None:
        crash_at = point
        if point in REPEATED and rng.random() < 0.5:
            crash_at = "%s:%d" % (point, rng.randint(2, 4))
        env["SAOMA_CRASH_AT"] = crash_at
    else:
        env.pop("SAOMA_CRASH_AT", None)

    amount = "%d.%02d" % (rng.randint(0, 300), rng.randint(1, 99))
    proc = subprocess.Popen([SAOMA, "--charge", amount] + saoma_args(sim, ledger),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True)
    otn = proc.stdout.readline().strip() or None
    we_killed = False

    # A named point early in the attempt's life should be reached before the pay/cancel that
    # ends the run; random-moment runs act at any time.
    if point is not None and point not in NEEDS_PAY | NEEDS_CANCEL:
        delay = rng.uniform(0.25, 0.45)
    else:
        delay = rng.uniform(0.0, 0.25)
    time.sleep(delay)
    if proc.poll() is None:
        if action == "pay" and otn:
            paid = False
            deadline = time.monotonic() + 2.0
            while proc.poll() is None and time.monotonic() < deadline:
                if sim.pay(otn):
                    paid = True
                    stats["paid while running"] += 1
                    break
                time.sleep(0.02)
            if not paid and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        elif action == "cancel":
            proc.send_signal(signal.SIGTERM)
        elif action == "kill":
            proc.kill()
            we_killed = True

    if wait_or_kill(proc, 20):
        stats["stuck (killed after 20 s)"] += 1
        we_killed = True
    out = proc.stdout.read()
    proc.stdout.close()
    rc = proc.returncode

    if rc == -signal.SIGKILL and not we_killed:
        stats["kills"] += 1
        stats["kill at " + point] += 1
    elif rc == -signal.SIGKILL:
        stats["kills"] += 1
        stats["random-moment kills"] += 1
    else:
        last = out.strip().splitlines()[-1] if out.strip() else "(nothing)"
        stats["ended " + last.split(":")[0]] += 1
        if point is not None:
            missed[point].append("%s ended %s" % (otn, last.split(":")[0]))

    # The customer pays after the till died: recovery must find it.
    if rc == -signal.SIGKILL and otn and rng.random() < 0.3:
        if sim_state(sim, otn) == "NOTPAY" and sim.pay(otn):
            stats["paid after the kill"] += 1

    return otn


def recover(sim, ledger, stats, may_kill):
    if may_kill and rng.random() < 0.3:
        proc = subprocess.Popen([SAOMA, "--recover"] + saoma_args(sim, ledger),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, 0.3))
        if proc.poll() is None:
            proc.kill()
            stats["recover kills"] += 1
        proc.wait()
    proc = subprocess.run([SAOMA, "--recover"] + saoma_args(sim, ledger),
                          capture_output=True, text=True, timeout=120)
    stats["recover runs"] += 1
    if proc.returncode != 0:
        raise SystemExit("crash-test: saoma --recover failed (%d): %s" %
                         (proc.returncode, proc.stderr.strip()))
    return proc.stdout.strip()


def verify(sim, ledger, otns):
    db = sqlite3.connect("file:%s?mode=ro" % ledger, uri=True)
    rows = {otn: (state, amount, txid) for otn, state, amount, txid in
            db.execute("SELECT out_trade_no, state, amount, transaction_id FROM attempts")}
    micropay = {otn for (otn,) in
                db.execute("SELECT out_trade_no FROM attempts WHERE method = 'MICROPAY'")}
    db.close()
    orders = sim.orders()

    problems = collections.Counter()
    details = []

    def problem(kind, text):
        problems[kind] += 1
        if len(details) < 20:
            details.append("%s: %s" % (kind, text))

    seen = collections.Counter(o["out_trade_no"] for o in orders)
    for otn, n in seen.items():
        if n > 1:
            problem("two orders for one charge", otn)
    run_set = set(o for o in otns if o)
    if len(run_set) != len([o for o in otns if o]):
        problem("two charges with one out_trade_no", "")

    for order in orders:
        otn = order["out_trade_no"]
        if otn not in run_set:
            problem("order from no charge", otn)
        if otn not in rows:
            problem("sent before written", otn)
            if order["state"] in ("SUCCESS", "REFUND"):
                problem("LOSS", "%s paid at the sim, not in the ledger" % otn)
            continue
        state, amount, txid = rows[otn]
        if order["state"] in ("SUCCESS", "REFUND") and state != "PAID":
            problem("LOSS", "%s paid at the sim, %s in the ledger" % (otn, state))
        if state == "PAID" and order["state"] not in ("SUCCESS", "REFUND"):
            problem("contradiction", "%s PAID in the ledger, %s at the sim" % (otn, order["state"]))
        if otn in micropay:
            if order["trade_type"] != "MICROPAY":
                problem("contradiction", "%s MICROPAY in the ledger, %s at the sim" %
                        (otn, order["trade_type"]))
            if state == "CLOSED" and order["state"] != "REVOKED":
                problem("contradiction", "%s REVOKED in the ledger, %s at the sim" %
                        (otn, order["state"]))
            if state == "FAILED" and order["state"] not in ("PAYERROR", "REVOKED"):
                problem("contradiction", "%s FAILED in the ledger, %s at the sim" %
                        (otn, order["state"]))
        else:
            if state == "CLOSED" and order["state"] != "CLOSED":
                problem("contradiction", "%s CLOSED in the ledger, %s at the sim" %
                        (otn, order["state"]))
            if state == "FAILED" and order["state"] not in ("CLOSED", "PAYERROR"):
                problem("contradiction", "%s FAILED in the ledger, %s at the sim" %
                        (otn, order["state"]))
        if amount != order["total_fee"]:
            problem("contradiction", "%s amount %s vs %s" % (otn, amount, order["total_fee"]))
        if state == "PAID" and txid != order["transaction_id"]:
            problem("contradiction", "%s transaction_id %s vs %s" % (otn, txid, order["transaction_id"]))

    by_state = collections.Counter(state for state, _, _ in rows.values())
    for otn, (state, _, _) in rows.items():
        if state not in FINAL:
            problem("left non-final", "%s %s" % (otn, state))
        if otn not in seen and state in ("PAID", "CLOSED"):
            problem("contradiction", "%s %s in the ledger, unknown at the sim" % (otn, state))
        if otn not in run_set:
            problem("attempt from no charge", otn)

    by_state = collections.Counter(
        ("MICROPAY " if otn in micropay else "") +
        ("REVOKED" if otn in micropay and state == "CLOSED" else state)
        for otn, (state, _, _) in rows.items())
    return by_state, problems, details, len(orders)


def audit_can_fail(sim, ledger, otns, workdir):
    """The checks above must be able to fail: damage copies of the ledger and expect them to
    be reported (a lost payment, an attempt missing while its order exists)."""
    import shutil
    ok = True
    for damage, expected in (
            ("UPDATE attempts SET state = 'CLOSED' WHERE id = "
             "(SELECT min(id) FROM attempts WHERE state = 'PAID')", "LOSS"),
            ("DELETE FROM attempts WHERE id = (SELECT min(id) FROM attempts WHERE state = 'CLOSED')",
             "sent before written"),
            ("UPDATE attempts SET state = 'UNKNOWN' WHERE id = (SELECT max(id) FROM attempts)",
             "left non-final")):
        copy = os.path.join(workdir, "damaged.db")
        db = sqlite3.connect(ledger)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        shutil.copyfile(ledger, copy)
        db = sqlite3.connect(copy)
        db.execute(damage)
        db.commit()
        db.close()
        _, problems, _, _ = verify(sim, copy, otns)
        if problems[expected] == 0:
            log("audit self-check: %r was not reported as %r" % (damage, expected))
            ok = False
        os.unlink(copy)
    return ok


def main():
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="saoma-crash-")
    ledger = os.path.join(workdir, "ledger.db")
    stats = collections.Counter()
    otns = []

    for exe in (SAOMA, SIM):
        if not os.access(exe, os.X_OK):
            log("1..0 # SKIP %s is not built" % exe)
            return 0

    global CLIENT_CERT
    CLIENT_CERT = make_client_cert(workdir)
    sim = Sim(workdir)
    try:
        sim.set_faults(FAULTS)
        log("crash-test: API %s, seed %d, sim %s, ledger %s" % (API, SEED, sim.url, ledger))

        # Every point several times, then random moments; all in a shuffled order.
        plan = []
        per_point = PER_POINT or max(8, (RUNS // 2) // len(POINTS))
        for point in POINTS:
            for _ in range(per_point):
                if point in NEEDS_PAY:
                    action = "pay"
                elif point in NEEDS_CANCEL:
                    action = "cancel"
                else:
                    action = rng.choice(["pay", "pay", "cancel"])
                plan.append((point, action))
        while len(plan) < RUNS:
            plan.append((None, rng.choice(["kill", "kill", "kill", "pay", "cancel"])))
        rng.shuffle(plan)

        for index, (point, action) in enumerate(plan):
            if point in NEEDS_UNKNOWN:
                sim.set_faults(unknown_faults(CREATE_PATH, stats["unknown tries"]))
                stats["unknown tries"] += 1
            otns.append(charge_run(sim, ledger, index, point, action, stats))
            if point in NEEDS_UNKNOWN:
                sim.set_faults(FAULTS)
            stats["runs"] += 1
            if (index + 1) % 30 == 0:
                summary = recover(sim, ledger, stats, may_kill=True)
                log("crash-test: %d runs, %s" % (index + 1, summary))
            if time.monotonic() - started > BUDGET_S:
                log("crash-test: time budget reached after %d runs" % (index + 1))
                break

        # Micropay: every point twice, then random moments (killed or cancelled), shuffled;
        # recovery every 20 runs.
        mp_started = time.monotonic()
        mp_plan = []
        for point in (MICROPAY_POINTS if MICROPAY_RUNS > 0 else []):
            # An unknown outcome needs the fault to strike: more tries.
            for _ in range(4 if point == "after-unknown" else 2):
                # A cancel could end the attempt before a later point: only where it leads.
                mp_plan.append((point, "cancel" if point == "after-closing" else "run"))
        while len(mp_plan) < MICROPAY_RUNS:
            mp_plan.append((None, rng.choice(["kill", "kill", "kill", "cancel"])))
        rng.shuffle(mp_plan)
        for index, (point, action) in enumerate(mp_plan):
            # Past the budget only the random moments are left out: every named point still
            # gets its runs (a slow machine must not leave one unreached).
            if point is None and time.monotonic() - mp_started > MICROPAY_BUDGET_S:
                stats["micropay random runs left out"] += 1
                continue
            # A named point is reached by the code's outcome, so only latency there (faults
            # could end the attempt before it); the random moments and recovery get them all.
            if point == "after-unknown":
                sim.set_faults(unknown_faults(MICROPAY_PATH, stats["micropay unknown tries"]))
                stats["micropay unknown tries"] += 1
            elif point is not None:
                sim.set_faults(FAULTS[:1])
            otns.append(micropay_run(sim, ledger, point, action, stats))
            if point is not None:
                sim.set_faults(FAULTS)
            stats["micropay runs"] += 1
            if (index + 1) % 20 == 0:
                summary = recover(sim, ledger, stats, may_kill=True)
                log("crash-test: %d micropay runs, %s" % (index + 1, summary))
            if (time.monotonic() - mp_started > MICROPAY_BUDGET_S and
                    not stats["micropay budget reached"]):
                stats["micropay budget reached"] = 1
                log("crash-test: micropay time budget reached after %d runs: only the named "
                    "points from here on" % (index + 1))

        # Let in-flight delayed requests land before the last word, then recover everything.
        time.sleep(0.2)
        summary = recover(sim, ledger, stats, may_kill=False)
        log("crash-test: final %s" % summary)

        by_state, problems, details, n_orders = verify(sim, ledger, otns)
        audit_ok = audit_can_fail(sim, ledger, otns, workdir)
    finally:
        sim.stop()

    log("")
    log("runs: %d (time %.0f s)" % (stats["runs"], time.monotonic() - started))
    log("kills: %d (%d at named points, %d at random moments); recover runs %d, recover kills %d"
        % (stats["kills"], stats["kills"] - stats["random-moment kills"],
           stats["random-moment kills"], stats["recover runs"], stats["recover kills"]))
    log("kill points:")
    for point in POINTS:
        log("  %-18s %d" % (point, stats["kill at " + point]))
    for key in sorted(k for k in stats if k.startswith("ended ")):
        log("%s: %d" % (key, stats[key]))
    log("paid while running: %d, paid after the kill: %d" %
        (stats["paid while running"], stats["paid after the kill"]))
    log("ledger: %s; sim orders: %d" %
        (", ".join("%s %d" % kv for kv in sorted(by_state.items())), n_orders))
    losses = problems["LOSS"]
    others = sum(problems.values()) - losses
    log("losses: %d" % losses)
    log("contradictions / invariant violations: %d" % others)
    for line in details:
        log("  " + line)
    if stats["stuck (killed after 20 s)"]:
        log("stuck charges: %d" % stats["stuck (killed after 20 s)"])

    log("micropay runs: %d; kills: %d (%d at random moments)" %
        (stats["micropay runs"], stats["micropay kills"], stats["micropay random-moment kills"]))
    if stats["micropay random runs left out"]:
        log("micropay random-moment runs left out past the time budget: %d" %
            stats["micropay random runs left out"])
    log("micropay kill points:")
    for point in MICROPAY_POINTS:
        log("  %-18s %d" % (point, stats["micropay kill at " + point]))
    for key in sorted(k for k in stats if k.startswith("micropay ended ")):
        log("%s: %d" % (key, stats[key]))

    untriggered = [p for p in POINTS if stats["kill at " + p] == 0]
    untriggered += ["micropay " + p for p in (MICROPAY_POINTS if MICROPAY_RUNS > 0 else [])
                    if stats["micropay kill at " + p] == 0]
    if untriggered:
        log("points never reached: %s" % ", ".join(untriggered))
        for point in untriggered:
            log("  %s: runs ended before it: %s" % (point, ", ".join(missed[point]) or "none"))

    if not audit_ok:
        log("the audit did not notice a damaged copy of the ledger")
    ok = (audit_ok and losses == 0 and others == 0 and not untriggered and
          stats["stuck (killed after 20 s)"] == 0 and stats["runs"] >= min(200, RUNS))
    log("crash-test: %s" % ("PASS" if ok else "FAIL (ledger and sim log kept in %s)" % workdir))
    if ok:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
