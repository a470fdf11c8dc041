"""Peer for bench-ui's Enter -> QR drawn: the seed tutorial's own create + QR PNG path.

Origin: the Python code below (trans_xml_to_dict, trans_dict_to_xml, get_sign and the body of
wx_pay) is copied from the tutorial Saoma replaces, "Wechat--扫码支付" (Python3 + Django2.2 +
Vue, 2020-12-27), kept in the project's reference material as /work/shared/seed. Only what the
path needs is kept: sign, POST unifiedorder with requests, parse the answer with BeautifulSoup,
render the QR PNG with qrcode (Pillow) and save it, exactly as the seed does. The Django view
wrapper and the hard-coded merchant are replaced by the simulator's demo merchant and a loop that
times each sale against the same loopback wxpay-sim as bench-ui.

usage: /usr/bin/python3 seed-create-qr.py BASE-URL SALES WORKDIR
Prints "PEER_SEED_CREATE_QR <median ms> <worst ms> <sales>".
"""
import hashlib
import os
import random
import sys
import time

import qrcode
import requests
from bs4 import BeautifulSoup


# --- from the seed, unchanged ----------------------------------------------------------------
def trans_xml_to_dict(data_xml):
    soup = BeautifulSoup(data_xml, features='xml')
    xml = soup.find('xml')  # 解析XML
    if not xml:
        return {}
    data_dict = dict([(item.name, item.text) for item in xml.find_all()])
    return data_dict


def trans_dict_to_xml(data_dict):  # 定义字典转XML的函数
    data_xml = []
    for k in sorted(data_dict.keys()):  # 遍历字典排序后的key
        v = data_dict.get(k)  # 取出字典中key对应的value
        if k == 'detail' and not v.startswith('<![CDATA['):  # 添加XML标记
            v = '<![CDATA[{}]]>'.format(v)
        data_xml.append('<{key}>{value}</{key}>'.format(key=k, value=v))
    return '<xml>{}</xml>'.format(''.join(data_xml))  # 返回XML


def get_sign(data_dict, key):  # 签名函数，参数为签名的数据和密钥
    params_list = sorted(data_dict.items(), key=lambda e: e[0], reverse=False)
    params_str = "&".join(u"{}={}".format(k, v) for k, v in params_list) + '&key=' + key
    md5 = hashlib.md5()  # 使用MD5加密模式
    md5.update(params_str.encode())  # 将参数字符串传入
    sign = md5.hexdigest().upper()  # 完成加密并转为大写
    return sign
# ---------------------------------------------------------------------------------------------


MERCHANT = {'appid': 'wxd930ea5d5a258f4f', 'mch_id': '10000100',
            'key': '192006250b4c09247ec02edce69f6a2d'}


def wx_pay(base, total_fee, workdir):
    """The seed's wx_pay view body against BASE (the merchant is wxpay-sim's demo one)."""
    url = base.rstrip('/') + '/pay/unifiedorder'
    key = MERCHANT['key']
    body = '123123'
    out_trade_no = 'order_%s' % random.randrange(100000000, 999999999)
    params = {
        'appid': MERCHANT['appid'],
        'mch_id': MERCHANT['mch_id'],
        'notify_url': 'http://127.0.0.1:9/wx_back/',
        'product_id': 'goods_%s' % random.randrange(100000, 999999),
        'trade_type': 'NATIVE',
        'spbill_create_ip': '127.0.0.1',
        'total_fee': total_fee,
        'out_trade_no': out_trade_no,
        'body': body,
        'nonce_str': 'ibuaiVcKdpRxkhJA'
    }
    sign = get_sign(params, key)
    params.setdefault('sign', sign)
    xml = trans_dict_to_xml(params)
    response = requests.request('post', url, data=xml.encode())
    data_dict = trans_xml_to_dict(response.content)
    qrcode_name = os.path.join(workdir, out_trade_no + '.png')
    if data_dict.get('return_code') == 'SUCCESS' and data_dict.get('code_url'):
        img = qrcode.make(data_dict.get('code_url'))
        img.save(qrcode_name)
        return qrcode_name
    raise RuntimeError('unifiedorder failed: %r' % data_dict)


def main():
    base, sales, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if len(sys.argv) > 4:
        # Not the seed's: the demo merchant of a simulator started with --credentials-dir.
        import configparser
        ini = configparser.ConfigParser()
        ini.read(sys.argv[4], encoding='utf-8')
        MERCHANT.update({k: ini['merchant'][k] for k in ('appid', 'mch_id', 'key')})
    # One sale first, untimed: imports and lazy initialisation are start-up, not the sale.
    wx_pay(base, 1, workdir)
    times = []
    for i in range(sales):
        t0 = time.monotonic()
        png = wx_pay(base, 100 + i, workdir)
        times.append(time.monotonic() - t0)
        os.unlink(png)
    times.sort()
    print('PEER_SEED_CREATE_QR %.2f %.2f %d' % (times[len(times) // 2] * 1e3, times[-1] * 1e3,
                                                sales))


if __name__ == '__main__':
    main()
