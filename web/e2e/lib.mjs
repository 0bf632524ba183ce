// Shared helpers of the browser tests: the API over fetch, Debian's
// chromium through playwright-core, a TCP proxy that can drop connections.
import { chromium } from 'playwright-core';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

export const BASE = process.env.BASE_URL; // the app's origin
export const INBOX = process.env.INBOX_URL || BASE + '/'; // where the inbox is mounted
export const SHOTS = process.env.SCREENSHOTS || '';
export const PASSWORD = 'browser-pass-1';

export async function call(method, url, token, body) {
  const res = await fetch(BASE + url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  if (!res.ok) throw Object.assign(new Error(`${method} ${url}: ${res.status} ${text}`), { status: res.status, json });
  return json;
}

/** user signs up (or signs in) a member and returns {id, email, token, name, username}. */
export async function user(username, name) {
  const email = `${username}@example.com`;
  try {
    await call('POST', '/api/collections/users/records', null, { email, password: PASSWORD, passwordConfirm: PASSWORD, name, username });
  } catch (e) {
    if (e.status !== 400) throw e;
  }
  const auth = await call('POST', '/api/collections/users/auth-with-password', null, { identity: email, password: PASSWORD });
  return { id: auth.record.id, email, token: auth.token, name, username };
}

/** launch starts Debian's chromium; playwright gives every launch a fresh temporary profile. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** watch fails the test on any page error, CSP violation or dialog (a body that ran script). */
export function watch(page, problems) {
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('dialog', (d) => {
    if (d.type() === 'confirm') return d.accept();
    problems.push('dialog: ' + d.type() + ' ' + d.message());
    return d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push('csp: ' + m.text());
  });
  return page;
}

/**
 * traceApi records a page's API calls (the last 40, and those still
 * waiting), and returns a function that prints them with the page's text:
 * what a test that timed out shows, so a failure seen once can be read.
 */
export function traceApi(page) {
  const calls = [];
  const waiting = new Map();
  page.on('request', (r) => {
    if (r.url().includes('/api/')) waiting.set(r, Date.now());
  });
  const done = (r, what) => {
    if (!waiting.has(r)) return;
    const u = new URL(r.url());
    calls.push(`${r.method()} ${u.pathname}${u.search} ${what} ${Date.now() - waiting.get(r)} ms`);
    waiting.delete(r);
    if (calls.length > 40) calls.shift();
  };
  page.on('requestfinished', async (r) => done(r, String((await r.response())?.status())));
  page.on('requestfailed', (r) => done(r, r.failure()?.errorText));
  return async () => {
    const now = Date.now();
    const open = [...waiting].map(([r, t]) => `${r.method()} ${r.url()} waiting ${now - t} ms`);
    const text = await page.locator('body').innerText().catch((e) => String(e));
    console.log(`page ${page.url()}\n  api calls:\n    ${calls.join('\n    ')}\n  still waiting:\n    ${open.join('\n    ')}\n  text: ${text.slice(0, 600)}`);
  };
}

export async function signIn(page, u, url = INBOX) {
  await page.goto(url);
  await page.locator('.inbox, input[name=identity]').first().waitFor();
  if (await page.locator('.inbox').count()) return; // still signed in
  await page.getByLabel('Email or username').fill(u.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.inbox').waitFor();
}

export async function totalBadge(page) {
  const b = page.locator('[data-testid=total-unread]');
  return (await b.count()) ? Number(await b.getAttribute('data-count')) : 0;
}

export async function waitTotal(page, n, timeout = 5000) {
  await page.waitForFunction(
    (n) => {
      const b = document.querySelector('[data-testid=total-unread]');
      return (b ? Number(b.dataset.count) : 0) === n;
    },
    n,
    { timeout, polling: 'raf' },
  );
}

export async function send(page, text) {
  const box = page.getByLabel('Write a message');
  await box.fill(text);
  await box.press('Enter');
}

/** waitMessage waits for a bubble with exactly text and returns Date.now() in the page when it appeared. */
export function waitMessage(page, text, timeout = 5000) {
  return page
    .waitForFunction(
      (text) => ([...document.querySelectorAll('.bubble:not(.pending) .body')].some((b) => b.textContent === text) ? Date.now() : 0),
      text,
      { timeout, polling: 'raf' },
    )
    .then((h) => h.jsonValue());
}

export async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

export function axeSource() {
  const require = createRequire(import.meta.url);
  return fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
}

/** axe runs axe-core in the page (through the debugger protocol, which the CSP doesn't govern). */
export async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource() + '\n;0');
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** proxy forwards 127.0.0.1:<port> to target; drop() cuts every connection and refuses new ones until resume(). */
export function proxy(targetUrl) {
  const target = new URL(targetUrl);
  const sockets = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        drop() {
          refusing = true;
          for (const s of sockets) s.destroy();
        },
        resume() {
          refusing = false;
        },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(r));
        },
      });
    });
  });
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** settings changes the site's messaging settings as a superuser (SUPERUSER_TOKEN). */
export function settings(fields) {
  return call('PATCH', '/api/collections/messaging_settings/records/messagingconfig', process.env.SUPERUSER_TOKEN, fields);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** png makes a w×h PNG of one colour, a real image PocketBase can make thumbnails of. */
export function png(w, h, [r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
