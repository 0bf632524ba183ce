// Messages in a conversation: Markdown, editing, attachments, "Seen".
// Shares the browser and members of suite.mjs; started by the Go test
// inbox_browser_test.go with the other inbox files (see suite.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, waitMessage, shot, settings, png, signIn, watch, call } from './lib.mjs';
import { alice, bob, browser, problems, signedIn, openThread, direct } from './suite.mjs';

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

test('the edit button goes away when the edit window closes, with nothing else re-rendering', async () => {
  const before = await call('GET', '/api/collections/messaging_settings/records/messagingconfig', process.env.SUPERUSER_TOKEN);
  await settings({ edit_window_minutes: 1 });
  // The browser's clock is Playwright's: the window (a minute, the
  // setting's unit) closes by jumping ahead rather than by waiting.
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  try {
    const a = watch(await ctx.newPage(), problems);
    await a.clock.install();
    await signIn(a, alice);
    await openThread(a, direct, 'Bob Builder');
    await send(a, 'edit me within the minute');
    await waitMessage(a, 'edit me within the minute');
    const bubble = a.locator('.bubble:not(.pending)', { has: a.locator('.body', { hasText: /^edit me within the minute$/ }) });
    const editBtn = bubble.getByRole('button', { name: 'Edit message' });
    await editBtn.waitFor();
    await a.clock.fastForward(50 * 1000);
    await a.waitForTimeout(300);
    assert.equal(await editBtn.count(), 1, 'still inside the window');
    await a.clock.fastForward(15 * 1000);
    await editBtn.waitFor({ state: 'detached', timeout: 3000 });
    assert.equal(await bubble.getByRole('button', { name: 'Delete message' }).count(), 1, 'deleting has no window');
  } finally {
    await ctx.close();
    await settings({ edit_window_minutes: before.edit_window_minutes });
  }
});
