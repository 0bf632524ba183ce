// Search: across conversations from the header, and within one.
// Shares the browser and members of suite.mjs; started by the Go test
// inbox_browser_test.go with the other inbox files (see suite.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, waitMessage, shot } from './lib.mjs';
import { alice, bob, signedIn, direct } from './suite.mjs';

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
