#!/usr/bin/python3
# A stand-in for wechatpy in bench-wxpay's unifiedorder round trip. wechatpy itself cannot be
# installed here (PyPI is out of reach, Debian does not package it); this loop does what its
# v2 client does for one request, following wechatpy's documented algorithm with Debian's
# python3-xmltodict, the XML library wechatpy depends on:
#  - sign: the non-empty parameters but "sign", sorted by name, joined "k=v&…", then
#    "&key=KEY", MD5, upper-case hex;
#  - encode: the body built by string formatting, "<xml>\n", one "<k><![CDATA[v]]></k>\n" per
#    parameter in sorted order, the sign last;
#  - decode: xmltodict.parse(body)["xml"], then the signature checked over a copy without
#    "sign".
# It is written for this benchmark, not wechatpy's code: bench-wxpay labels it as what it is.
# Prints one line: "<ops per CPU second, median of the runs>" (process time, like
# peer-wxpay.py; bench-wxpay counts its thread's CPU time alike).
#
# SPDX-License-Identifier: GPL-3.0-or-later
import copy
import hashlib
import statistics
import sys
import time

import xmltodict

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


def calculate_signature(params, api_key):
    pieces = [f"{k}={params[k]}".encode() for k in sorted(params) if params[k]]
    pieces.append(f"key={api_key}".encode())
    return hashlib.md5(b"&".join(pieces)).hexdigest().upper()


def check_signature(params, api_key):
    params = copy.deepcopy(params)
    sign = params.pop("sign", "")
    return sign == calculate_signature(params, api_key)


def dict_to_xml(params, sign):
    xml = ["<xml>\n"]
    for k in sorted(params):
        xml.append(f"<{k}><![CDATA[{params[k]}]]></{k}>\n")
    xml.append(f"<sign><![CDATA[{sign}]]></sign>\n</xml>")
    return "".join(xml)


def round_trip():
    params = dict(REQUEST)
    body = dict_to_xml(params, calculate_signature(params, KEY)).encode()
    decoded = xmltodict.parse(body)["xml"]
    # xmltodict gives None for an empty element; wechatpy's check skips empty values alike.
    if not check_signature(decoded, KEY):
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
