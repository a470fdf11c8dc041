#!/usr/bin/python3
"""saoma-cli reads an answer that only libxml2 takes, with libxml2 loaded on first need.

saoma-cli does not map libxml2 at exec (tests/check-cli-links.sh): the v2 codec's single-pass
reader takes the gateway's flat bodies, and libxml2 is dlopen()ed the first time a body needs
it (src/wxpay/wxpay-xml-lazy.c). Here a gateway on loopback answers unifiedorder with an XML
declaration and a comment before <xml>, which the single-pass reader hands to libxml2: the
code_url must be printed all the same, and the process must have libxml2 mapped by then.

Environment: SAOMA_CLI (set by meson), the saoma-cli under test.
"""

import hashlib
import hmac
import http.server
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

# wxpay-sim's demo merchant: saoma-cli's defaults for a gateway on loopback.
DEMO_KEY = "192006250b4c09247ec02edce69f6a2d"
CODE_URL = "weixin://wxpay/bizpayurl?pr=xmlfallback1"


def fields_of(body):
    """The fields of a flat <xml> request (saoma writes every value as CDATA)."""
    return dict(re.findall(r"<(\w+)><!\[CDATA\[(.*?)\]\]></\1>", body, re.S))


def sign(fields, sign_type):
    text = "&".join("%s=%s" % (k, fields[k]) for k in sorted(fields)
                    if k != "sign" and fields[k] != "") + "&key=" + DEMO_KEY
    if sign_type == "HMAC-SHA256":
        digest = hmac.new(DEMO_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    else:
        digest = hashlib.md5(text.encode()).hexdigest()
    return digest.upper()


class Gateway(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        request = fields_of(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
        if self.path != "/pay/unifiedorder":
            # Only the order matters here; the process is killed after its code_url.
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = {
            "return_code": "SUCCESS", "return_msg": "OK",
            "appid": request["appid"], "mch_id": request["mch_id"],
            "nonce_str": "fallbacknonce", "result_code": "SUCCESS",
            "prepay_id": "wx2026fallback", "trade_type": "NATIVE", "code_url": CODE_URL,
        }
        answer["sign"] = sign(answer, request.get("sign_type", "MD5"))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                "<!-- a declaration and a comment: not the single-pass reader's shape -->\n"
                "<xml>" + "".join("<%s><![CDATA[%s]]></%s>" % (k, v, k)
                                  for k, v in answer.items()) + "</xml>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    cli = os.environ.get("SAOMA_CLI")
    if not cli:
        print("not ok: SAOMA_CLI is not set")
        return 1

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = "http://127.0.0.1:%d" % server.server_address[1]

    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen([cli, "--charge", "0.01", "--gateway", gateway,
                                  "--ledger", os.path.join(tmp, "ledger.db")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = []
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([child.stdout], [], [], 1)
                if not ready:
                    continue
                line = child.stdout.readline().decode().strip()
                if not line:
                    break
                lines.append(line)
                if line.startswith("weixin://"):
                    break
            maps = None
            try:
                with open("/proc/%d/maps" % child.pid) as f:
                    maps = f.read()
            except OSError as e:
                # saoma-cli makes itself non-dumpable: only root may read its maps.
                print("# cannot read the child's maps (%s): that check is left out" % e)
        finally:
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate()
        server.shutdown()

    print("# stdout: %r" % lines)
    if CODE_URL not in lines:
        print("not ok: no code_url from an answer with a declaration; stderr:")
        print("# " + err.decode(errors="replace").replace("\n", "\n# "))
        return 1
    print("ok: the code_url of an answer only libxml2 reads was printed")
    if maps is not None:
        if "libxml2.so" not in maps:
            print("not ok: libxml2 is not mapped, yet a body went past the single-pass reader")
            return 1
        print("ok: libxml2 was loaded for that answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
