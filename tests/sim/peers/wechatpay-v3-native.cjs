// An independent API v3 client against wxpay-sim: wechatpay-axios-plugin (npm; axios and
// node:crypto) creates, queries and closes a Native order with the merchant files of
// `wxpay-sim --v3-dir`, and verifies every answer's Wechatpay-Signature with its own code
// (the WeChat Pay public key under its PUB_KEY_ID_…). Then the simulator is asked to corrupt
// answer signatures, and the SDK must refuse them.
//
// usage: node wechatpay-v3-native.cjs MODULES-DIR BASE-URL V3-DIR
// Prints "ok …" lines; exits non-zero on the first failure.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [modules, base, dir] = process.argv.slice(2);
const { Wechatpay } = require(path.join(modules, 'node_modules', 'wechatpay-axios-plugin'));

const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8').trim();
const mchid = '10000100';
const appid = 'wxd930ea5d5a258f4f';
const pubKeyId = read('pub_key_id.txt');

const wxpay = new Wechatpay({
  mchid,
  serial: read('apiclient_serial.txt'),
  privateKey: read('apiclient_key.pem'),
  certs: { [pubKeyId]: read('pub_key.pem') },
  baseURL: base.endsWith('/') ? base : `${base}/`,
});

function control(method, pathname, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(pathname, base), { method }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body || '');
  });
}

async function main() {
  const outTradeNo = `NPMV3${process.pid}${Date.now()}`.slice(0, 32);

  const created = await wxpay.v3.pay.transactions.native.post({
    appid,
    mchid,
    description: 'Saoma npm peer',
    out_trade_no: outTradeNo,
    notify_url: 'https://example.com/wxpay/notify',
    amount: { total: 1234, currency: 'CNY' },
  });
  assert.equal(created.status, 200);
  assert.match(created.data.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  assert.equal(created.headers['wechatpay-serial'], pubKeyId);
  console.log('ok create', outTradeNo);

  const queried = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
    params: { mchid },
    out_trade_no: outTradeNo,
  });
  assert.equal(queried.status, 200);
  assert.equal(queried.data.trade_state, 'NOTPAY');
  assert.equal(queried.data.amount.total, 1234);
  assert.equal(queried.data.mchid, mchid);
  console.log('ok query NOTPAY');

  // The simulator keeps v2's five-minute close rule: move its clock on.
  assert.equal(await control('POST', '/sim/clock/advance?seconds=301'), 200);
  const closed = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post(
    { mchid }, { out_trade_no: outTradeNo },
  );
  assert.equal(closed.status, 204);
  console.log('ok close 204');

  const after = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
    params: { mchid },
    out_trade_no: outTradeNo,
  });
  assert.equal(after.data.trade_state, 'CLOSED');
  console.log('ok query CLOSED');

  // The SDK's own verification is live: a corrupted signature is refused.
  assert.equal(await control('POST', '/sim/faults', '{"bad_sign":1}'), 200);
  await assert.rejects(
    wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid }, out_trade_no: outTradeNo }),
    (err) => /SIGNATURE/.test(String(err.code || err.message || err)),
  );
  assert.equal(await control('POST', '/sim/faults', '[]'), 200);
  console.log('ok bad signature refused');
}

main().catch((err) => {
  console.error('FAIL', err && err.stack ? err.stack : err);
  if (err && err.response) console.error(err.response.status, JSON.stringify(err.response.data));
  process.exit(1);
});
