'use strict';
// The emulator against the official Node.js OSS client, ali-oss (installed into target/node by
// scripts/setup-interop.sh). Run by tests/interop/test_ali_oss.py; can be run alone:
//
//   OSS_ENDPOINT=http://127.0.0.1:PORT OSS_BUCKET=b OSS_REGION=cn-hangzhou \
//   OSS_ACCESS_KEY_ID=ak OSS_ACCESS_KEY_SECRET=sk [OSS_SESSION_TOKEN=token] \
//   ALI_OSS_SIGNATURE=v4|v1 [ALI_OSS_ADDRESSING=path|ip] node tests/interop/ali_oss_test.js
//
// Prints one line per check, `ok <check>` or `FAIL <check>: <why>`, then a summary line, and exits
// non-zero when any check failed.

const path = require('path');
const dns = require('dns');
const crypto = require('crypto');

const OSS = require(path.join(__dirname, '..', '..', 'target', 'node', 'node_modules', 'ali-oss'));

// ----------------------------------------------------------------------------------------------
// CRC-64/XZ (ECMA-182 polynomial, reflected; init and xorout all ones), as OSS reports it in
// x-oss-hash-crc64ecma (unsigned decimal).
const CRC_TABLE = (() => {
  const poly = 0xc96c5795d7870f42n;
  const table = new Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    table[i] = c;
  }
  return table;
})();

function crc64(buf) {
  const mask = 0xffffffffffffffffn;
  let c = mask;
  for (const b of buf) c = CRC_TABLE[Number((c ^ BigInt(b)) & 0xffn)] ^ (c >> 8n);
  return (c ^ mask).toString();
}

// ----------------------------------------------------------------------------------------------
// Checks

let passed = 0;
let failed = 0;

function report(name, error) {
  if (error) {
    failed++;
    console.log(`FAIL ${name}: ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' | ') : error}`);
  } else {
    passed++;
    console.log(`ok ${name}`);
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

function eq(actual, expected, what) {
  if (String(actual) !== String(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(String(expected))}, got ${JSON.stringify(actual)}`);
  }
}

async function check(name, fn) {
  try {
    await fn();
    report(name);
  } catch (e) {
    report(name, e);
  }
}

// Runs fn, which must fail with an OSS error; returns that error.
async function rejected(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('the request succeeded but an error was expected');
}

function errInfo(e) {
  return `status=${e.status} code=${e.code} ec=${e.ecCode} message=${e.message}`;
}

// ----------------------------------------------------------------------------------------------

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    console.log(`FAIL setup: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const endpoint = new URL(env('OSS_ENDPOINT'));
const bucket = env('OSS_BUCKET');
const region = env('OSS_REGION', 'cn-hangzhou');
const accessKeyId = env('OSS_ACCESS_KEY_ID');
const accessKeySecret = env('OSS_ACCESS_KEY_SECRET');
const stsToken = process.env.OSS_SESSION_TOKEN || undefined;
const signature = env('ALI_OSS_SIGNATURE', 'v4');
const mode = `${signature}${stsToken ? '-sts' : ''}`;

// How ali-oss reaches a local server (lib/common/client/getReqUrl.js, lib/common/utils/createRequest.js):
//  - With an IP endpoint (127.0.0.1) it leaves the bucket out of the path and instead sends
//    `Host: <bucket>.oss-<region>.aliyuncs.com`: virtual-hosted addressing through the Host header,
//    meant for reaching a real OSS front end by address. `cname: true` does not change that and
//    would drop the bucket altogether.
//  - `sldEnable: true` (second-level domain) puts the bucket in the path, `/<bucket>/<key>`, and
//    signs `/<bucket>/<key>` (V1 resource and V4 canonical URI alike).
//  - A host name that is not an IP keeps the real Host header.
// So by default (ALI_OSS_ADDRESSING=path) the endpoint is given as `localhost:PORT` with sldEnable:
// plain path-style requests, as the other official SDKs send to an IP endpoint; localhost is
// resolved IPv4-first because the emulator listens on 127.0.0.1 only.
// ALI_OSS_ADDRESSING=ip keeps the IP endpoint and ali-oss's own Host-header addressing, which a
// server that understands virtual-hosted requests also serves.
const addressing = env('ALI_OSS_ADDRESSING', 'path');
if (addressing !== 'path' && addressing !== 'ip') {
  console.log(`FAIL setup: ALI_OSS_ADDRESSING must be path or ip, not ${addressing}`);
  process.exit(2);
}
dns.setDefaultResultOrder('ipv4first');
const clientEndpoint = addressing === 'ip' ? endpoint.origin : `${endpoint.protocol}//localhost:${endpoint.port}`;

function makeClient(overrides = {}) {
  const options = {
    endpoint: clientEndpoint,
    bucket,
    sldEnable: addressing === 'path',
    // ali-oss takes the endpoint-style region (oss-cn-hangzhou) and signs V4 with the bare id.
    region: `oss-${region}`,
    authorizationV4: signature === 'v4',
    accessKeyId,
    accessKeySecret,
    stsToken,
    secure: false,
    timeout: 20000,
    retryMax: 0,
    ...overrides,
  };
  if (options.stsToken) {
    // The token is static here; ali-oss wants a refresh function only so as not to warn.
    const { accessKeyId: id, accessKeySecret: secret, stsToken: token } = options;
    options.refreshSTSToken = async () => ({ accessKeyId: id, accessKeySecret: secret, stsToken: token });
    options.refreshSTSTokenInterval = 3600 * 1000;
  }
  return new OSS(options);
}

// Two append bodies: text, then every byte value (not valid UTF-8).
const FIRST = Buffer.from('2025-01-01T00:00:00Z first log line\n'.repeat(7));
const SECOND = Buffer.concat([Buffer.from([...Array(256).keys()]), Buffer.from('\r\n\x00tail', 'latin1')]);
const CONTENT = Buffer.concat([FIRST, SECOND]);

async function main() {
  await check('crc64 known vector', async () => {
    eq(crc64(Buffer.from('123456789')), 0x995dc9bbdf1939fan.toString(), "crc64('123456789')");
  });

  const client = makeClient();
  const prefix = `interop/ali-oss-${mode}-${addressing}/${crypto.randomBytes(4).toString('hex')}/`;
  const key = `${prefix}app.log`;

  let first;
  await check('append at position 0 creates the object', async () => {
    first = await client.append(key, FIRST, { position: 0, meta: { origin: 'interop', batch: '42' } });
    eq(first.res.status, 200, 'status');
    eq(first.nextAppendPosition, FIRST.length, 'nextAppendPosition');
    eq(first.res.headers['x-oss-hash-crc64ecma'], crc64(FIRST), 'x-oss-hash-crc64ecma');
  });

  await check('second append reports the CRC of the whole object', async () => {
    const second = await client.append(key, SECOND, { position: first.nextAppendPosition });
    eq(second.res.status, 200, 'status');
    eq(second.nextAppendPosition, CONTENT.length, 'nextAppendPosition');
    eq(second.res.headers['x-oss-hash-crc64ecma'], crc64(CONTENT), 'x-oss-hash-crc64ecma');
  });

  await check('wrong position is 409 PositionNotEqualToLength', async () => {
    for (const position of [0, CONTENT.length - 1, CONTENT.length + 10]) {
      const e = await rejected(() => client.append(key, SECOND, { position }));
      expect(e.status === 409 && e.code === 'PositionNotEqualToLength', `position ${position}: ${errInfo(e)}`);
      eq(e.ecCode, '0026-00000016', `position ${position}: EC`);
    }
  });

  await check('head reports Appendable, next position, CRC, length and metadata', async () => {
    const h = await client.head(key);
    eq(h.status, 200, 'status');
    const headers = h.res.headers;
    eq(headers['x-oss-object-type'], 'Appendable', 'x-oss-object-type');
    eq(headers['x-oss-next-append-position'], CONTENT.length, 'x-oss-next-append-position');
    eq(headers['x-oss-hash-crc64ecma'], crc64(CONTENT), 'x-oss-hash-crc64ecma');
    eq(headers['content-length'], CONTENT.length, 'content-length');
    expect(h.meta, `no x-oss-meta-* headers: ${JSON.stringify(headers)}`);
    eq(h.meta.origin, 'interop', 'x-oss-meta-origin');
    eq(h.meta.batch, '42', 'x-oss-meta-batch');
  });

  await check('ranged get', async () => {
    const start = FIRST.length - 5;
    const end = FIRST.length + 9;
    const r = await client.get(key, { headers: { Range: `bytes=${start}-${end}` } });
    eq(r.res.status, 206, 'status');
    expect(Buffer.compare(r.content, CONTENT.subarray(start, end + 1)) === 0, 'ranged content differs');
    eq(r.res.headers['content-range'], `bytes ${start}-${end}/${CONTENT.length}`, 'content-range');
  });

  await check('whole get', async () => {
    const r = await client.get(key);
    eq(r.res.status, 200, 'status');
    expect(Buffer.compare(r.content, CONTENT) === 0, 'content differs');
  });

  await check('append to a Normal object is 409 ObjectNotAppendable', async () => {
    const normal = `${prefix}normal.txt`;
    const put = await client.put(normal, FIRST);
    eq(put.res.status, 200, 'put status');
    eq(put.res.headers['x-oss-hash-crc64ecma'], crc64(FIRST), 'put x-oss-hash-crc64ecma');
    for (const position of [0, FIRST.length]) {
      const e = await rejected(() => client.append(normal, SECOND, { position }));
      expect(e.status === 409 && e.code === 'ObjectNotAppendable', `position ${position}: ${errInfo(e)}`);
      eq(e.ecCode, '0026-00000017', `position ${position}: EC`);
    }
    const h = await client.head(normal);
    eq(h.res.headers['x-oss-object-type'], 'Normal', 'x-oss-object-type');
  });

  await check('wrong secret is 403 SignatureDoesNotMatch', async () => {
    const bad = makeClient({ accessKeySecret: `${accessKeySecret}x` });
    const e = await rejected(() => bad.append(`${prefix}never.log`, FIRST, { position: 0 }));
    expect(e.status === 403 && e.code === 'SignatureDoesNotMatch', errInfo(e));
    const g = await rejected(() => bad.get(key));
    expect(g.status === 403 && g.code === 'SignatureDoesNotMatch', `get: ${errInfo(g)}`);
    const missing = await rejected(() => client.head(`${prefix}never.log`));
    eq(missing.status, 404, 'the rejected append created an object; head status');
  });

  await check('key with spaces, unicode and +', async () => {
    const odd = `${prefix}dir with space/日志 ünï+cødé+1.log`;
    const a = await client.append(odd, FIRST, { position: 0 });
    eq(a.nextAppendPosition, FIRST.length, 'nextAppendPosition');
    const b = await client.append(odd, SECOND, { position: a.nextAppendPosition });
    eq(b.nextAppendPosition, CONTENT.length, 'nextAppendPosition');
    eq(b.res.headers['x-oss-hash-crc64ecma'], crc64(CONTENT), 'x-oss-hash-crc64ecma');
    const e = await rejected(() => client.append(odd, SECOND, { position: 0 }));
    expect(e.status === 409 && e.code === 'PositionNotEqualToLength', errInfo(e));
    const r = await client.get(odd, { headers: { Range: 'bytes=3-20' } });
    expect(Buffer.compare(r.content, CONTENT.subarray(3, 21)) === 0, 'ranged content differs');
    await client.delete(odd);
  });

  await check('delete', async () => {
    const d = await client.delete(key);
    eq(d.res.status, 204, 'status');
    const e = await rejected(() => client.head(key));
    eq(e.status, 404, 'head after delete');
    const g = await rejected(() => client.get(key));
    expect(g.status === 404 && g.code === 'NoSuchKey', `get after delete: ${errInfo(g)}`);
    const again = await client.append(key, SECOND, { position: 0 });
    eq(again.nextAppendPosition, SECOND.length, 'append after delete: nextAppendPosition');
    eq(again.res.headers['x-oss-hash-crc64ecma'], crc64(SECOND), 'append after delete: CRC');
  });

  console.log(`ali-oss ${mode} ${addressing}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch(e => {
  console.log(`FAIL unexpected: ${e && e.stack}`);
  process.exitCode = 1;
});
