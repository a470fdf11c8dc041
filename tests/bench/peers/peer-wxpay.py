#!/usr/bin/python3
# The peer of bench-wxpay's unifiedorder round trip, in plain Python: hashlib MD5 signing and
# xml.etree.ElementTree parsing, the way Python SDKs (wechatpy among them) do it. It is not
# wechatpy (PyPI is out of reach here); bench-wxpay labels it as what it is.
# Prints one line: "<ops per CPU second, median of the runs>" (process time: the machine is
# shared, and bench-wxpay counts its thread's CPU time alike).
#
# SPDX-License-Identifier: GPL-3.0-or-later
import hashlib
import hmac
import statistics
import sys
import time
import xml.etree.ElementTree as ET

KEY = "192006250b4c09247ec02edce69f6a2d"
REQUEST = {
    "appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "till1",
    "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "sign_type": "MD5",
    "body": "收银台-测试商品", "attach": "", "out_trade_no": "till120260101040000abcdefghij",
    "fee_type": "CNY", "total_fee": "1250", "spbill_create_ip": "127.0.0.1",
    "time_start": "20260101120000", "time_expire": "20260101121000",
    "notify_url": "https://example.com/wxpay/notify", "trade_type": "NATIVE",
    "product_id": "SKU001",
}


def sign(params):
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")
    return hashlib.md5(f"{text}&key={KEY}".encode()).hexdigest().upper()


def encode(params):
    fields = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in params.items())
    return f"<xml>{fields}</xml>".encode()


def round_trip():
    params = dict(REQUEST)
    params["sign"] = sign(params)
    body = encode(params)
    decoded = {child.tag: child.text or "" for child in ET.fromstring(body)}
    if not hmac.compare_digest(decoded["sign"], sign(decoded)):
        raise SystemExit("verification failed")


def run(seconds):
    ops = 0
    start = time.process_time()
    while True:
        for _ in range(64):
            round_trip()
        ops += 64
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return ops / elapsed


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
print(f"{statistics.median(run(1.0) for _ in range(runs)):.0f}")
