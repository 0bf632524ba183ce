// The unread badge (badge.js, <messaging-unread>) on a site's own page
// (SITE_URL, a file of the app's pb_public that embeds it with the two
// lines of the README), beside the inbox on the same origin. Started by
// the Go test badge_browser_test.go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, INBOX, call, user, launch, watch, signIn, axe, shot, proxy } from './lib.mjs';

const SITE = process.env.SITE_URL;
let browser, ann, ben, thread;
const problems = [];

// Counts the page's EventSource connections and tells which are still
// open, so a test can see the realtime connection close.
function trackEventSources() {
  const all = [];
  window.__eventSources = all;
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      all.push(this);
    }
  };
}
const openEventSources = (page) => page.evaluate(() => window.__eventSources.filter((e) => e.readyState !== 2).length);

/** sitePage opens the site's page in ctx, with its API requests recorded. */
async function sitePage(ctx, url = SITE) {
  const page = watch(await ctx.newPage(), problems);
  await page.addInitScript(trackEventSources);
  page.api = [];
  page.on('request', (r) => {
    if (r.url().startsWith(BASE + '/api/')) page.api.push(r.method() + ' ' + r.url().slice(BASE.length));
  });
  await page.goto(url);
  await page.waitForFunction(() => !!customElements.get('messaging-unread'));
  return page;
}

/** shown is what a badge shows: null when nothing, else its digits, label, link and colour. */
function shown(page, sel = '#badge') {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const b = host.shadowRoot.querySelector('[part~=badge]');
    const box = host.getBoundingClientRect();
    if (!b) return box.width || box.height || host.dataset.count ? { leftover: true } : null;
    return {
      count: host.dataset.count,
      digits: b.querySelector('[aria-hidden=true]').textContent,
      tag: b.localName,
      href: b.getAttribute('href'),
      background: getComputedStyle(b).backgroundColor,
      visible: box.width > 0 && box.height > 0,
    };
  }, sel);
}

/** waitCount waits until the badge shows n (0: nothing at all). */
function waitCount(page, n, sel = '#badge', timeout = 5000) {
  return page.waitForFunction(
    ([sel, n]) => {
      const host = document.querySelector(sel);
      const b = host && host.shadowRoot && host.shadowRoot.querySelector('[part~=badge]');
      return n ? !!b && host.dataset.count === String(n) : !b && !host.hasAttribute('data-count');
    },
    [sel, n],
    { timeout, polling: 'raf' },
  );
}

const sendAsBen = (body) => call('POST', `/api/messaging/threads/${thread}/messages`, ben.token, { body });

before(async () => {
  assert.ok(SITE, 'SITE_URL');
  browser = await launch();
  [ann, ben] = await Promise.all([user('badgeann', 'Ann Badge'), user('badgeben', 'Ben Badge')]);
  const started = await call('POST', '/api/messaging/threads', ben.token, { recipients: [ann.id], body: 'first, unread' });
  thread = started.thread.id;
  await sendAsBen('second, unread');
});

after(async () => {
  await browser?.close();
  assert.deepEqual(problems, [], 'page errors or script dialogs');
});

test('signed out, or with an expired token: nothing shown and nothing asked of the server', async () => {
  const ctx = await browser.newContext();
  const page = await sitePage(ctx);
  await page.waitForTimeout(500); // time for a request or a render it must not make
  assert.equal(await shown(page), null);
  assert.equal(await shown(page, '#plain'), null);
  assert.deepEqual(page.api, [], 'no API request when signed out');
  assert.equal(await openEventSources(page), 0);

  // A token past its expiry is as good as none.
  const [head, , sig] = ann.token.split('.');
  const payload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(ann.token.split('.')[1], 'base64url')), exp: 1 })).toString('base64url');
  await page.evaluate((v) => localStorage.setItem('pocketbase_auth', v), JSON.stringify({ token: `${head}.${payload}.${sig}`, record: { id: ann.id } }));
  await page.reload();
  await page.waitForFunction(() => !!customElements.get('messaging-unread'));
  await page.waitForTimeout(500);
  assert.equal(await shown(page), null);
  assert.deepEqual(page.api, []);
  await ctx.close();
});

test('a token the server refuses: nothing shown, the connection closed', async () => {
  const ctx = await browser.newContext();
  // Not expired, but its signature is wrong: the server answers 401.
  const [head, payload, sig] = ann.token.split('.');
  const forged = `${head}.${payload}.${sig.slice(0, -4)}AAAA`;
  await ctx.addInitScript((v) => localStorage.setItem('pocketbase_auth', v), JSON.stringify({ token: forged, record: { id: ann.id } }));
  const page = watch(await ctx.newPage(), problems);
  await page.addInitScript(trackEventSources);
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/messaging/unread'));
  await page.goto(SITE);
  assert.equal((await refused).status(), 401);
  await page.waitForFunction(() => window.__eventSources.length > 0 && window.__eventSources.every((e) => e.readyState === 2));
  assert.equal(await shown(page), null);
  await ctx.close();
});

test('signed in: the count, live as messages arrive and are read, gone on sign-out', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const site = await sitePage(ctx);
  assert.equal(await shown(site), null);

  // Signing in in the inbox, another tab of the same browser, shows the
  // count on the site's page without a reload.
  await site.evaluate(() => (window.__notReloaded = true));
  const inbox = watch(await ctx.newPage(), problems);
  await signIn(inbox, ann);
  await waitCount(site, 2);
  const b = await shown(site);
  assert.equal(b.digits, '2');
  assert.equal(b.tag, 'a');
  assert.equal(b.href, INBOX, 'links to the inbox beside badge.js');
  assert.ok(b.visible);
  assert.equal(b.background, 'rgb(1, 2, 3)', "the site's ::part(badge) rule applies");
  await site.getByRole('link', { name: '2 unread messages', exact: true }).waitFor(); // the label screen readers get
  // The same count in a badge inside the site's own link: no link of its own.
  await waitCount(site, 2, '#plain');
  await site.getByRole('link', { name: 'Your messages 2 unread messages', exact: true }).waitFor();
  assert.equal((await shown(site, '#plain')).tag, 'span');
  assert.equal(await openEventSources(site), 1, 'one connection for both badges');
  assert.deepEqual(await axe(site), [], 'axe: no serious or critical findings');

  // Another member writes: the count rises live.
  await sendAsBen('third, live');
  await waitCount(site, 3);
  await site.getByRole('link', { name: '3 unread messages', exact: true }).waitFor();
  await shot(site, 'site-badge');

  // Reading in the inbox: the count drops to nothing.
  await inbox.bringToFront();
  await inbox.locator(`.thread[data-thread="${thread}"] a`).click();
  await inbox.locator('.bubble .body', { hasText: 'third, live' }).waitFor();
  await waitCount(site, 0);
  await waitCount(site, 0, '#plain');

  // New activity brings it back; signing out in the inbox takes it away.
  await inbox.goto(INBOX);
  await inbox.locator('.inbox').waitFor();
  await sendAsBen('fourth, while the inbox lists');
  await waitCount(site, 1);
  await inbox.getByRole('button', { name: 'Sign out' }).click();
  await waitCount(site, 0);
  await site.waitForFunction(() => window.__eventSources.every((e) => e.readyState === 2));
  await sendAsBen('fifth, after sign-out');
  await site.waitForTimeout(700);
  assert.equal(await shown(site), null, 'nothing after sign-out, even as messages arrive');
  assert.equal(await site.evaluate(() => window.__notReloaded), true, 'the site page never reloaded');
  await ctx.close();
});

test('a dropped realtime connection catches up on reconnect; removing the badges closes it', async () => {
  const px = await proxy(BASE);
  try {
    const ctx = await browser.newContext();
    await ctx.addInitScript((v) => localStorage.setItem('pocketbase_auth', v), JSON.stringify({ token: ann.token, record: { id: ann.id } }));
    await sendAsBen('for the reconnect test');
    const page = await sitePage(ctx, px.url + new URL(SITE).pathname);
    const n = (await call('GET', '/api/messaging/unread', ann.token)).messages;
    await waitCount(page, n);

    // The connection drops and every event meanwhile is lost (PocketBase
    // replays nothing): on reconnect the badge fetches the totals again.
    px.drop();
    await sendAsBen('sent while the badge was offline');
    await page.waitForTimeout(1000);
    assert.equal(await page.evaluate(() => document.querySelector('#badge').dataset.count), String(n), 'offline: no update');
    px.resume();
    await waitCount(page, n + 1, '#badge', 15000);

    // Removing every badge closes the connection; putting one back opens one.
    await page.evaluate(() => {
      window.__kept = [...document.querySelectorAll('messaging-unread')];
      window.__kept.forEach((el) => el.remove());
    });
    await page.waitForFunction(() => window.__eventSources.every((e) => e.readyState === 2));
    await page.evaluate(() => document.body.append(window.__kept[0]));
    await waitCount(page, n + 1);
    assert.equal(await openEventSources(page), 1);
    await ctx.close();
  } finally {
    await px.close();
  }
});

test('the server down when the page loads: the badge tries again, with backoff, and shows once it is back', async () => {
  const ctx = await browser.newContext();
  await ctx.addInitScript((v) => localStorage.setItem('pocketbase_auth', v), JSON.stringify({ token: ann.token, record: { id: ann.id } }));
  // The page and badge.js load; every API request (the realtime
  // connection first) is refused until the server is "back".
  let down = true;
  const refused = [];
  await ctx.route(/\/api\//, (route) => {
    if (!down) return route.continue();
    refused.push(Date.now());
    return route.abort('connectionrefused');
  });
  const page = await sitePage(ctx);
  await page.waitForTimeout(2500);
  assert.equal(await shown(page), null, 'nothing while the server is down');
  assert.ok(refused.length >= 2, `tried again: ${refused.length} attempts`);
  down = false;
  const n = (await call('GET', '/api/messaging/unread', ann.token)).messages;
  assert.ok(n > 0);
  await waitCount(page, n, '#badge', 15000);
  assert.equal(await openEventSources(page), 1, 'one connection');
  await ctx.close();
});
