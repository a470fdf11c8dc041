#!/usr/bin/python3
"""What the cashier's first frame loads (cold start, issue 19): the real saoma binary under X,
with the dynamic loader saying which libraries it maps (LD_DEBUG=files) and the app stamping its
first painted frame (SAOMA_BENCH=1), in one stream, in order.

Before the first frame nothing may map librsvg or GdkPixbuf's SVG loader (the window's own
symbolic icon is pre-rendered, the "Starting…" spinner and the paid page's check mark come
after it), nor libsecret with libgcrypt (the keyring is read after it). After it, the window
still gets to "Ready". Prints TAP.

usage: test-first-frame.py [--lang en|zh_CN]
"""

import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import saoma_ui as ui  # noqa: E402
from saoma_ui import ok, text_of, tr, wait_for  # noqa: E402

LATE = {
    "librsvg-2.so": "librsvg",
    "libpixbufloader-svg.so": "GdkPixbuf's SVG loader",
    "libsecret-1.so": "libsecret",
    "libgcrypt.so": "libgcrypt",
}

ui.require_x(tools=())
ui.setup()
ui.plan(4)

try:
    env = dict(ui.env, SAOMA_BENCH="1", LD_DEBUG="files")
    proc = subprocess.Popen([ui.saoma], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    ui.procs.append(proc)
    mapped = []
    painted = False
    for line in proc.stdout:
        if line.startswith("SAOMA_FIRST_FRAME "):
            painted = True
            break
        # "  pid:\tfile=/usr/lib/…/libfoo.so.1 [0];  generating link map": a library mapped.
        if "file=" in line and "generating link map" in line:
            mapped.append(line.split("file=", 1)[1].split(" ", 1)[0])
    # The rest of the stream (the loader keeps talking) is read and dropped, so the app never
    # blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()

    ok(painted, "the window painted its first frame")
    ok(len(mapped) > 20, "the loader listed what it mapped (%d libraries)" % len(mapped))
    early = sorted({why for path in mapped for lib, why in LATE.items()
                    if os.path.basename(path).startswith(lib)})
    ok(not early, "nothing before the first frame maps %s (mapped: %s)"
       % (", ".join(LATE.values()), ", ".join(early) or "none of them"))

    # The till still starts after the first frame.
    a = ui.App.__new__(ui.App)
    a.proc, a.pid, a.sim, a.acc = proc, proc.pid, None, None
    a.attach("the app is not on the accessibility bus")
    status = wait_for(lambda: a.find("Payment status"), 20)
    ok(status is not None and wait_for(lambda: text_of(status) == tr("Ready"), 30),
       "the window says Ready once the till is up")
finally:
    ui.cleanup()

sys.exit(ui.exit_status())
