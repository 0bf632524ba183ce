// The web inbox in real headless Chromium, against a running app
// (BASE_URL). Started by the Go test inbox_browser_test.go; run by hand
// with BASE_URL=http://127.0.0.1:8090 node web/e2e/inbox.e2e.mjs on an
// empty pb_data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  BASE, INBOX, call, user, launch, watch, signIn, send, waitMessage, waitTotal, totalBadge, shot, axe, proxy, percentile, settings, png,
} from './lib.mjs';

let browser;
let alice, bob, carol, dave;
const problems = [];
const contexts = {};

async function pageFor(u, opts = {}) {
  if (!contexts[u.username] || opts.fresh) {
    contexts[u.username] = await browser.newContext({ viewport: opts.viewport || { width: 1100, height: 760 } });
  }
  const page = watch(await contexts[u.username].newPage(), problems);
  return page;
}

async function signedIn(u, opts) {
  const page = await pageFor(u, opts);
  await signIn(page, u);
  return page;
}

/** openThread clicks a conversation in the list, by id or by title. */
async function openThread(page, idOrTitle, title) {
  const byId = /^[a-z0-9]{15}$/.test(idOrTitle);
  await page.locator(byId ? `.thread[data-thread="${idOrTitle}"] a` : '.thread a').filter(byId ? {} : { hasText: idOrTitle }).first().click();
  await page.locator('#thread-title', { hasText: title || (byId ? '' : idOrTitle) }).waitFor();
  if (byId) await page.waitForURL(new RegExp('/t/' + idOrTitle + '$'));
}

before(async () => {
  browser = await launch();
  [alice, bob, carol, dave] = await Promise.all([
    user('alice', 'Alice Liddell'), user('bob', 'Bob Builder'), user('carol', 'Carol Danvers'), user('dave', 'Dave Bowman'),
  ]);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(problems, [], 'page errors, CSP violations or script dialogs');
});

test('first load is at most 150 KB of gzipped JS and CSS, served with the CSP', async () => {
  // Not watched: the inline script below is refused on purpose.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const files = [];
  page.on('response', (r) => {
    const type = r.request().resourceType();
    if (type === 'script' || type === 'stylesheet') files.push(r.body().then((b) => ({ url: r.url(), b })));
  });
  const res = await page.goto(INBOX, { waitUntil: 'networkidle' });
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'self'/);
  const loaded = await Promise.all(files);
  const gz = loaded.reduce((n, f) => n + zlib.gzipSync(f.b, { level: 9 }).length, 0);
  const raw = loaded.reduce((n, f) => n + f.b.length, 0);
  console.log(`first load: ${loaded.length} JS/CSS files, ${raw} bytes, ${gz} bytes gzipped (budget 153600)`);
  assert.ok(loaded.length >= 2);
  assert.ok(gz <= 150 * 1024, `first load ${gz} bytes gzipped`);
  await page.getByLabel('Email or username').waitFor();
  // Inline script is refused by the page's policy.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    return window.__inline === 1;
  });
  assert.equal(ran, false, 'an inline script ran');
  await ctx.close();
});

let direct; // alice <-> bob
test('two members exchange messages live, badges updating; send-to-appear latency', async () => {
  const a = await signedIn(alice);
  const b = await signedIn(bob);
  // Alice starts the conversation in the UI.
  await a.getByRole('link', { name: 'New conversation' }).click();
  await a.getByLabel('To').fill('bob');
  await a.getByRole('option', { name: /Bob Builder/ }).click();
  await a.getByLabel('Message', { exact: true }).fill('Hi Bob, first message');
  await a.getByRole('button', { name: 'Send', exact: true }).click();
  await a.locator('#thread-title', { hasText: 'Bob Builder' }).waitFor();
  direct = a.url().split('/t/')[1];
  await shot(a, 'thread');
  // Bob sees it arrive: the conversation, its badge and the total.
  await b.locator('.thread', { hasText: 'Hi Bob, first message' }).waitFor();
  await waitTotal(b, 1);
  assert.equal(await b.locator(`.thread[data-thread="${direct}"] [data-testid=thread-unread]`).getAttribute('data-count'), '1');
  assert.match(await b.title(), /^\(1\) /);
  await openThread(b, 'Alice Liddell');
  await waitTotal(b, 0);
  assert.equal(await b.locator('.divider').count(), 1, 'a "New messages" divider above the first unread');
  // Back and forth, timing each message from Enter to its appearance.
  const times = [];
  for (let i = 0; i < 16; i++) {
    const [from, to] = i % 2 ? [b, a] : [a, b];
    const text = `ping ${i} ${Math.random().toString(36).slice(2, 8)}`;
    const t0 = Date.now();
    await send(from, text);
    const t1 = await waitMessage(to, text);
    times.push(t1 - t0);
  }
  times.sort((x, y) => x - y);
  console.log(`send-to-appear latency over ${times.length} messages: p50 ${percentile(times, 50)} ms, p95 ${percentile(times, 95)} ms, max ${times[times.length - 1]} ms`);
  assert.ok(percentile(times, 50) < 1000, 'p50 under a second');
  // Neither side has anything unread: both threads are open.
  await waitTotal(a, 0);
  await waitTotal(b, 0);
  await shot(a, 'inbox');
  await a.close();
  await b.close();
});

test('one member, two tabs: reading in one drops the badge in the other', async () => {
  const tab1 = await signedIn(bob);
  const tab2 = await pageFor(bob); // same profile: already signed in
  await tab2.goto(INBOX);
  await tab2.locator('.inbox').waitFor();
  await call('POST', `/api/messaging/threads/${direct}/messages`, alice.token, { body: 'two tabs' });
  await waitTotal(tab1, 1);
  await waitTotal(tab2, 1);
  await openThread(tab1, 'Alice Liddell');
  await waitTotal(tab2, 0);
  await waitTotal(tab1, 0);
  await tab1.close();
  await tab2.close();
});

test('a group: started with a subject, one member leaves, the others see the note', async () => {
  const a = await signedIn(alice);
  await a.getByRole('link', { name: 'New conversation' }).click();
  for (const who of ['Bob Builder', 'Carol Danvers']) {
    await a.getByLabel('To').fill(who.split(' ')[0]);
    await a.getByRole('option', { name: new RegExp(who) }).click();
  }
  await a.getByLabel('Subject (optional)').fill('Saturday climb');
  await a.getByLabel('Message', { exact: true }).fill('Climbing on Saturday?');
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await a.locator('#thread-title', { hasText: 'Saturday climb' }).waitFor();
  const c = await signedIn(carol);
  await openThread(c, 'Saturday climb');
  await c.getByRole('button', { name: 'Conversation options' }).click();
  await c.getByRole('button', { name: 'Leave conversation' }).click();
  await c.locator('.empty').first().waitFor();
  await c.locator('.thread', { hasText: 'Saturday climb' }).waitFor({ state: 'detached' });
  await a.locator('.system', { hasText: 'Carol Danvers left the conversation.' }).waitFor();
  await a.locator('.participants', { hasNotText: 'Carol' }).waitFor();
  await a.close();
  await c.close();
});

test('archive, then the conversation returns to the inbox on new activity', async () => {
  const b = await signedIn(bob);
  await openThread(b, direct, 'Alice Liddell');
  await b.getByRole('button', { name: 'Conversation options' }).click();
  await b.getByRole('button', { name: 'Archive', exact: true }).click();
  await b.locator(`.threads .thread[data-thread="${direct}"]`).waitFor({ state: 'detached' });
  await b.getByRole('button', { name: 'Archived', exact: true }).click();
  await b.locator(`.thread[data-thread="${direct}"]`, { hasText: 'Archived' }).waitFor();
  await b.getByRole('button', { name: 'Inbox', exact: true }).click();
  await b.locator(`.thread[data-thread="${direct}"]`).waitFor({ state: 'detached' });
  await call('POST', `/api/messaging/threads/${direct}/messages`, alice.token, { body: 'back from the archive' });
  await b.locator(`.thread[data-thread="${direct}"]`, { hasText: 'back from the archive' }).waitFor();
  await b.close();
});

test('blocked: the sender gets the generic error, keeps the text, and retries once unblocked', async () => {
  const b = await signedIn(bob);
  await openThread(b, direct, 'Alice Liddell');
  await b.getByRole('button', { name: 'Conversation options' }).click();
  await b.getByRole('button', { name: 'Block Alice Liddell' }).click();
  await b.getByText('Alice Liddell is blocked.').waitFor();
  const a = await signedIn(alice);
  await openThread(a, direct, 'Bob Builder');
  await send(a, 'are you there?');
  const failed = a.locator('[data-pending=failed]');
  await failed.waitFor();
  assert.match(await failed.textContent(), /Unable to send message\./);
  assert.match(await failed.textContent(), /are you there\?/);
  await b.getByRole('link', { name: 'Settings' }).click();
  await b.getByRole('link', { name: 'Blocked people' }).click();
  await shot(b, 'blocked');
  await b.getByRole('button', { name: 'Unblock Alice Liddell' }).click();
  await b.getByText('You have not blocked anyone.').waitFor();
  await a.getByRole('button', { name: 'Retry', exact: true }).click();
  await waitMessage(a, 'are you there?');
  await b.goto(INBOX + 't/' + direct);
  await waitMessage(b, 'are you there?');
  assert.equal(await b.locator('.bubble .body', { hasText: 'are you there?' }).count(), 1, 'one copy');
  await a.close();
  await b.close();
});

test('back and forward move between threads without a page load; a thread URL reloads', async () => {
  const a = await signedIn(alice);
  await openThread(a, direct, 'Bob Builder');
  await a.evaluate(() => (window.__samePage = true));
  await openThread(a, 'Saturday climb');
  await a.goBack();
  await a.locator('#thread-title', { hasText: 'Bob Builder' }).waitFor();
  await a.goForward();
  await a.locator('#thread-title', { hasText: 'Saturday climb' }).waitFor();
  assert.equal(await a.evaluate(() => window.__samePage), true, 'no page load');
  const url = a.url();
  await a.reload();
  await a.locator('#thread-title', { hasText: 'Saturday climb' }).waitFor();
  assert.equal(a.url(), url);
  await a.close();
});

test('Markdown renders from the server html; markup and a javascript: link stay harmless', async () => {
  await settings({ text_format: 'markdown' });
  try {
    const a = await signedIn(alice);
    const b = await signedIn(bob);
    await openThread(a, direct, 'Bob Builder');
    await openThread(b, direct, 'Alice Liddell');
    const evil = '<img src=x onerror=alert(1)>';
    await send(a, evil);
    await send(a, '[click me](javascript:alert(1)) and **bold** and [a site](https://example.com)');
    await waitMessage(b, evil);
    const rich = b.locator('.bubble .body', { hasText: 'click me and bold and a site' });
    await rich.waitFor();
    assert.equal(await rich.locator('strong').textContent(), 'bold');
    assert.equal(await rich.locator('a').count(), 1, 'only the https link is a link');
    assert.equal(await rich.locator('a').getAttribute('href'), 'https://example.com');
    assert.match(await rich.locator('a').getAttribute('rel'), /noopener/);
    assert.equal(await b.locator('.messages img, .messages a[href^="javascript"]').count(), 0);
    await b.waitForTimeout(200);
    await a.close();
    await b.close();
  } finally {
    await settings({ text_format: '' });
  }
});

test('an edit: inline editor, Escape cancels, the other member sees it live marked "edited"', async () => {
  const a = await signedIn(alice);
  const b = await signedIn(bob);
  await openThread(a, direct, 'Bob Builder');
  await openThread(b, direct, 'Alice Liddell');
  await send(a, 'edit me soon');
  await waitMessage(b, 'edit me soon');
  const id = await a.locator('.bubble:not(.pending)', { has: a.locator('.body', { hasText: /^edit me soon$/ }) }).getAttribute('data-id');
  const mine = a.locator(`.bubble[data-id="${id}"]`);
  await mine.getByRole('button', { name: 'Edit message' }).click();
  const box = a.getByLabel('Edit your message');
  await box.fill('not this');
  await box.press('Escape');
  await box.waitFor({ state: 'detached' });
  assert.equal(await mine.locator('.body').textContent(), 'edit me soon');
  // Bob's copy has no edit action: not his message.
  assert.equal(await b.locator(`.bubble[data-id="${id}"]`).getByRole('button', { name: 'Edit message' }).count(), 0);
  await mine.getByRole('button', { name: 'Edit message' }).click();
  await a.getByLabel('Edit your message').fill('edited for real');
  await a.getByLabel('Edit your message').press('Enter');
  const theirs = b.locator(`.bubble[data-id="${id}"]`);
  await theirs.locator('.body', { hasText: /^edited for real$/ }).waitFor();
  await theirs.locator('.edited').waitFor();
  await mine.locator('.edited').waitFor();
  await a.close();
  await b.close();
});

test('attachments: an image sent and seen with its thumbnail, a progress bar while uploading, a refused type', async () => {
  const a = await signedIn(alice);
  const b = await signedIn(bob);
  await openThread(a, direct, 'Bob Builder');
  await openThread(b, direct, 'Alice Liddell');
  await a.locator('#composer-files').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: png(64, 48, [220, 30, 30]) });
  await a.getByRole('list', { name: 'Files to send' }).getByText('red.png').waitFor();
  await send(a, 'a red square');
  for (const p of [a, b]) {
    await waitMessage(p, 'a red square');
    const bubble = p.locator('.bubble:not(.pending)', { hasText: 'a red square' });
    const img = bubble.locator('.files img');
    await img.waitFor();
    await p.waitForFunction(
      (el) => el.complete && el.naturalWidth > 0,
      await img.elementHandle(),
    );
    assert.match(await img.getAttribute('src'), /thumb=100x100.*token=/);
    assert.match(await bubble.locator('.files a').getAttribute('href'), /^\/api\/files\/.*\.png\?token=/);
    assert.equal(await bubble.locator('.files a').getAttribute('data-file'), 'red.png');
  }
  await shot(b, 'attachment');
  // A slow upload shows its progress.
  const cdp = await a.context().newCDPSession(a);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await a.locator('#composer-files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(600 * 1024, 'notes ') });
  await send(a, 'the notes');
  await a.locator('[data-pending=sending] progress').waitFor({ timeout: 3000 });
  await shot(a, 'uploading');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await b.locator('.bubble:not(.pending)', { hasText: 'the notes' }).locator('.files a', { hasText: 'notes.txt' }).waitFor({ timeout: 15000 });
  // A type the site doesn't take is refused before any upload, with a clear error.
  await a.locator('#composer-files').setInputFiles({ name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  await a.getByRole('alert').filter({ hasText: 'drawing.svg: this type of file cannot be sent.' }).waitFor();
  assert.equal(await a.getByRole('list', { name: 'Files to send' }).count(), 0);
  await a.close();
  await b.close();
});

test('search: across conversations from the header, jumping to the hit in its thread; and within one', async () => {
  await call('POST', `/api/messaging/threads/${direct}/messages`, alice.token, { body: 'the secret word is xylophone' });
  for (let i = 0; i < 120; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, k) => call('POST', `/api/messaging/threads/${direct}/messages`, bob.token, { body: `filler ${i + k}` })));
  }
  const a = await signedIn(alice);
  await a.locator('.header-search input').fill('Xylophone');
  await a.locator('.header-search input').press('Enter');
  const hit = a.locator('.hit-link', { hasText: 'xylophone' });
  await hit.waitFor();
  assert.equal(await hit.locator('.snippet mark').textContent(), 'xylophone');
  await shot(a, 'search');
  await hit.click();
  await a.waitForURL(/\/t\/[a-z0-9]+\?m=/);
  const bubble = a.locator('.bubble.hit', { hasText: 'the secret word is xylophone' });
  await bubble.waitFor();
  const [box, at] = [await a.locator('.messages').boundingBox(), await bubble.boundingBox()];
  assert.ok(at.y >= box.y && at.y + at.height <= box.y + box.height, 'the hit is on screen');
  // Newer messages load on scrolling down from the hit.
  await a.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await waitMessage(a, 'filler 119', 10000).catch(async () => {
    await a.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await waitMessage(a, 'filler 119', 10000);
  });
  // Within this conversation, from its menu.
  await a.getByRole('button', { name: 'Conversation options' }).click();
  await a.getByRole('button', { name: 'Search in conversation' }).click();
  await a.getByRole('heading', { name: 'Search this conversation' }).waitFor();
  await a.getByRole('searchbox', { name: 'Search messages' }).last().fill('filler');
  await a.getByRole('button', { name: 'Search', exact: true }).click();
  await a.locator('.hit-link').first().waitFor();
  const titles = await a.locator('.hit-link .title').allTextContents();
  assert.ok(titles.length > 0 && titles.every((x) => x === 'Bob Builder'), 'hits only from this conversation: ' + titles);
  await a.close();
});

test('"Seen" under my message once the other person read it, gone when they turn read receipts off', async () => {
  const a = await signedIn(alice);
  const b = await signedIn(bob);
  await openThread(a, direct, 'Bob Builder');
  await send(a, 'did you see this?');
  await waitMessage(a, 'did you see this?');
  const mine = a.locator('.bubble:not(.pending)', { hasText: 'did you see this?' });
  assert.equal(await mine.locator('.seen').count(), 0, 'not seen yet');
  await openThread(b, direct, 'Alice Liddell');
  await mine.locator('.seen').waitFor();
  assert.equal(await a.locator('.bubble .seen').count(), 1, 'one "Seen", under the newest message read');
  await b.getByRole('link', { name: 'Settings' }).click();
  await b.getByLabel('Read receipts').uncheck();
  await b.getByText('Saved.').waitFor();
  await a.reload();
  await waitMessage(a, 'did you see this?');
  assert.equal(await a.locator('.bubble .seen').count(), 0, 'no "Seen" with receipts off');
  await b.getByLabel('Read receipts').check();
  await b.getByText('Saved.').waitFor();
  await a.close();
  await b.close();
});

test('the starter removes someone from a group; only the starter gets the action', async () => {
  await call('POST', '/api/messaging/threads', alice.token, { recipients: [bob.id, dave.id], subject: 'Book club', body: 'Who reads?' });
  const d = await signedIn(dave);
  await d.locator('.thread', { hasText: 'Book club' }).waitFor();
  const b = await signedIn(bob);
  await openThread(b, 'Book club');
  await b.getByRole('button', { name: 'Conversation options' }).click();
  await b.getByRole('button', { name: 'Add people' }).waitFor();
  await b.waitForTimeout(300);
  assert.equal(await b.getByRole('button', { name: 'Remove people' }).count(), 0, 'not for members who did not start it');
  const a = await signedIn(alice);
  await openThread(a, 'Book club');
  await a.getByRole('button', { name: 'Conversation options' }).click();
  await a.getByRole('button', { name: 'Remove people' }).click();
  await a.getByRole('button', { name: 'Remove Dave Bowman' }).click();
  await a.locator('.system', { hasText: /removed Dave Bowman/ }).waitFor();
  await a.getByRole('button', { name: 'Close' }).click();
  await a.locator('.participants', { hasNotText: 'Dave' }).waitFor();
  await b.locator('.system', { hasText: /removed Dave Bowman/ }).waitFor();
  await d.locator('.thread', { hasText: 'Book club' }).waitFor({ state: 'detached' });
  await a.close();
  await b.close();
  await d.close();
});

test('newest-first order and the composer on top, as the site settings say', async () => {
  await settings({ message_order: 'newest_first', composer_position: 'top' });
  try {
    const a = await signedIn(alice);
    await openThread(a, direct, 'Bob Builder');
    await a.locator('.messages[data-order=newest_first]').waitFor();
    const seqs = await a.locator('.bubble[data-seq]').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    assert.ok(seqs.length > 1 && seqs.every((s, i) => i === 0 || s < seqs[i - 1]), 'newest first: ' + seqs.slice(0, 5));
    const [composer, list] = [await a.locator('.composer').boundingBox(), await a.locator('.messages').boundingBox()];
    assert.ok(composer.y < list.y, 'composer above the messages');
    await send(a, 'on top now');
    await waitMessage(a, 'on top now');
    assert.equal(await a.locator('.bubble:not(.pending) .body').first().textContent(), 'on top now');
    await shot(a, 'newest-first');
    await a.close();
  } finally {
    await settings({ message_order: '', composer_position: '' });
  }
});

test('at 375 px: the list, then the thread with a way back', async () => {
  const page = await pageFor(bob, { fresh: true, viewport: { width: 375, height: 740 } });
  await signIn(page, bob);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, 'no sideways scrolling');
  await shot(page, 'inbox-375');
  await openThread(page, direct, 'Alice Liddell');
  assert.equal(await page.locator('.sidebar').isVisible(), false);
  assert.ok((await overflow()) <= 0, 'no sideways scrolling in the thread');
  await shot(page, 'thread-375');
  await page.getByRole('link', { name: 'Back to conversations' }).click();
  await page.locator('.threads').waitFor();
  await page.close();
});

test('keyboard only: start a conversation and send a message', async () => {
  const page = await pageFor(dave, { fresh: true });
  await page.goto(INBOX);
  // Sign in with the keyboard too.
  await page.keyboard.press('Tab');
  await page.keyboard.type(dave.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type('browser-pass-1');
  await page.keyboard.press('Enter');
  await page.locator('.inbox').waitFor();
  let found = false;
  for (let i = 0; i < 10 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement.textContent === 'New conversation');
  }
  assert.ok(found, '"New conversation" reachable with Tab');
  await page.keyboard.press('Enter');
  // The recipient field takes the focus.
  await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('role') === 'combobox');
  await page.keyboard.type('alice');
  await page.getByRole('option', { name: /Alice Liddell/ }).waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Hello from the keyboard');
  await page.keyboard.press('Enter');
  await page.locator('#thread-title', { hasText: 'Alice Liddell' }).waitFor();
  await waitMessage(page, 'Hello from the keyboard');
  // And a reply from the composer, which has the focus after Tab-ing to it.
  await page.getByLabel('Write a message').focus();
  await page.keyboard.type('Second line?');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('Yes.');
  await page.keyboard.press('Enter');
  await waitMessage(page, 'Second line?\nYes.');
  await page.close();
});

test('no serious or critical accessibility findings on the main screens', async () => {
  const page = await signedIn(alice);
  const screens = {};
  screens.inbox = await axe(page);
  await openThread(page, direct, 'Bob Builder');
  screens.thread = await axe(page);
  await page.getByRole('link', { name: 'New conversation' }).click();
  await page.getByLabel('To').fill('b');
  await page.getByRole('option').first().waitFor();
  screens.newConversation = await axe(page);
  await shot(page, 'new-conversation');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Receive private messages').waitFor();
  screens.settings = await axe(page);
  await shot(page, 'settings');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByRole('link', { name: 'Messages', exact: false }).first().click();
  screens.inboxDark = await axe(page);
  await openThread(page, direct, 'Bob Builder');
  await shot(page, 'thread-dark');
  const found = Object.entries(screens).flatMap(([s, vs]) => vs.map((v) => `${s}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target).join(' ')}`));
  assert.deepEqual(found, []);
  await page.close();
});

test('a dropped realtime connection comes back and shows what arrived meanwhile', async () => {
  const px = await proxy(BASE);
  try {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const b = watch(await ctx.newPage(), problems);
    await signIn(b, bob, px.url + new URL(INBOX).pathname);
    await openThread(b, direct, 'Alice Liddell');
    await send(b, 'before the drop');
    await waitMessage(b, 'before the drop');
    px.drop();
    await b.locator('.offline').waitFor();
    await call('POST', `/api/messaging/threads/${direct}/messages`, alice.token, { body: 'sent while you were away' });
    await call('POST', '/api/messaging/threads', alice.token, { recipients: [bob.id, dave.id], subject: 'While offline', body: 'a new group' });
    await new Promise((r) => setTimeout(r, 1500));
    px.resume();
    await waitMessage(b, 'sent while you were away', 20000);
    await b.locator('.thread', { hasText: 'While offline' }).waitFor({ timeout: 10000 });
    await b.locator('.offline').waitFor({ state: 'detached' });
    await ctx.close();
  } finally {
    await px.close();
  }
});

test('a 10,000-message thread opens at its newest page quickly', async (t) => {
  const id = process.env.BIG_THREAD;
  if (!id) return t.skip('no BIG_THREAD seeded');
  const big = { email: process.env.BIG_USER, username: 'big' };
  const page = await pageFor(big, { fresh: true });
  await page.goto(INBOX);
  await page.getByLabel('Email or username').fill(big.email);
  await page.getByLabel('Password').fill(process.env.BIG_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.inbox').waitFor();
  const t0 = Date.now();
  await page.goto(INBOX + 't/' + id);
  await page.locator('.bubble').first().waitFor();
  const reload = Date.now() - t0;
  await page.getByRole('link', { name: 'Messages' }).first().click();
  const t1 = Date.now();
  await page.locator(`.thread[data-thread="${id}"] a`).click();
  await page.locator('.bubble').first().waitFor();
  const click = Date.now() - t1;
  // Scrolling up loads older pages without moving what is on screen.
  const box = page.locator('.messages');
  const before = await box.evaluate((el) => el.querySelector('.bubble').dataset.seq);
  await box.evaluate((el) => (el.scrollTop = 0));
  await page.waitForFunction((seq) => {
    const el = document.querySelector('.messages');
    const first = el.querySelector('.bubble').dataset.seq;
    return first !== seq && el.scrollTop > 0;
  }, before);
  console.log(`10,000-message thread: open by URL (page load) ${reload} ms, from the inbox ${click} ms`);
  assert.ok(click < 3000);
  await page.close();
});
