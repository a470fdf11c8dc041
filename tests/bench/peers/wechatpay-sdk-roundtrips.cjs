// Peer for bench-sim: unifiedorder + orderquery round trips through an independent WeChat Pay
// v2 SDK from the npm registry (wechatpay-axios-plugin: axios, fast-xml-parser, node:crypto),
// against the same loopback wxpay-sim, the same workload as bench-sim (NATIVE orders, then a
// query expecting NOTPAY, N pairs in flight for S seconds). The SDK signs every request and
// verifies every answer's signature, as WxpayClient does.
//
// usage: node wechatpay-sdk-roundtrips.cjs MODULES-DIR BASE-URL SECONDS IN-FLIGHT
// MODULES-DIR holds node_modules/wechatpay-axios-plugin (installed by `build-aux/dev bench`
// under _build, never into the repository). Prints one line: "PEER_ROUND_TRIPS <pairs/s>
// <pairs> <errors> <p50 ms>".
'use strict';

const path = require('node:path');
const crypto = require('node:crypto');
const http = require('node:http');

const [modules, base, secondsText, inFlightText] = process.argv.slice(2);
const { Wechatpay } = require(path.join(modules, 'node_modules', 'wechatpay-axios-plugin'));

// The simulator's demo merchant (wxpay-sim's defaults, the official example key).
const appid = 'wxd930ea5d5a258f4f';
const mchid = '10000100';
const secret = '192006250b4c09247ec02edce69f6a2d';

const seconds = Number(secondsText || 3);
const inFlight = Number(inFlightText || 16);

// Kept-alive connections, as WxpayClient uses for every call but /secapi/.
const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
// APIv3 is not used here, but the constructor insists on its keys: a throwaway pair.
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const wxpay = new Wechatpay({
  mchid,
  secret,
  serial: 'BENCH-MERCHANT-SERIAL',
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  certs: { 'BENCH-PLATFORM-SERIAL': publicKey.export({ type: 'spki', format: 'pem' }) },
  baseURL: base.endsWith('/') ? base : `${base}/`,
  httpAgent: agent,
});

function beijing(date) {
  const t = new Date(date.getTime() + 8 * 3600 * 1000).toISOString();
  return t.slice(0, 19).replace(/[-T:]/g, '');
}

let seq = 0;
let pairs = 0;
let errors = 0;
const latencies = [];
const deadline = Date.now() + seconds * 1000;

async function pair() {
  const now = new Date();
  const outTradeNo = `PEER${process.pid}${(seq++).toString().padStart(9, '0')}`;
  const started = process.hrtime.bigint();
  try {
    const order = await wxpay.v2.pay.unifiedorder.post({
      appid,
      mch_id: mchid,
      body: '收银台-压测',
      out_trade_no: outTradeNo,
      total_fee: '1',
      spbill_create_ip: '127.0.0.1',
      notify_url: 'http://127.0.0.1:9/notify',
      trade_type: 'NATIVE',
      product_id: 'BENCH',
      time_start: beijing(now),
      time_expire: beijing(new Date(now.getTime() + 600 * 1000)),
    });
    if (!order.data.code_url)
      throw new Error(`unifiedorder: ${JSON.stringify(order.data)}`);
    const query = await wxpay.v2.pay.orderquery.post({
      appid, mch_id: mchid, out_trade_no: outTradeNo,
    });
    if (query.data.trade_state !== 'NOTPAY')
      throw new Error(`orderquery: ${JSON.stringify(query.data)}`);
    pairs++;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  } catch (e) {
    if (errors++ < 3)
      console.error(`peer: ${e.message}`);
  }
}

async function worker() {
  while (Date.now() < deadline)
    await pair();
}

(async () => {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  const p50 = latencies.length ? latencies[latencies.length >> 1] : 0;
  console.log(`PEER_ROUND_TRIPS ${(pairs / elapsed).toFixed(1)} ${pairs} ${errors} ${p50.toFixed(2)}`);
  agent.destroy();
})();
