// Managing a conversation: a group left by a member, archiving, blocking,
// history and back/forward, removing a group member, the site's message
// order and composer position.
// Shares the browser and members of suite.mjs; started by the Go test
// inbox_browser_test.go with the other inbox files (see suite.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INBOX, call, send, waitMessage, shot, settings } from './lib.mjs';
import { alice, bob, carol, dave, signedIn, openThread, direct } from './suite.mjs';

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

    // Newer messages go in above what the reader is looking at: it stays put.
    const g = await call('POST', '/api/messaging/threads', carol.token, { recipients: [alice.id, dave.id], subject: 'Scroll keeper', body: 'scroll 0' });
    for (let i = 1; i < 30; i++) await call('POST', `/api/messaging/threads/${g.thread.id}/messages`, carol.token, { body: `scroll ${i}` });
    await openThread(a, g.thread.id, 'Scroll keeper');
    await waitMessage(a, 'scroll 29');
    const box = a.locator('.messages');
    await box.evaluate((el) => (el.scrollTop = 500));
    await a.waitForTimeout(300); // the scroll handler has run
    const anchor = () =>
      box.evaluate((el) => {
        const top = el.getBoundingClientRect().top;
        const b = [...el.querySelectorAll('.bubble[data-id]')].find((x) => x.getBoundingClientRect().top >= top);
        return { id: b.dataset.id, y: b.getBoundingClientRect().top - top };
      });
    const was = await anchor();
    for (const body of ['newer 1', 'newer 2', 'newer 3']) await call('POST', `/api/messaging/threads/${g.thread.id}/messages`, carol.token, { body });
    await waitMessage(a, 'newer 3');
    const y = await box.evaluate((el, id) => el.querySelector(`.bubble[data-id="${id}"]`).getBoundingClientRect().top - el.getBoundingClientRect().top, was.id);
    assert.ok(Math.abs(y - was.y) <= 2, `the message read stays in place: ${was.y} -> ${y}`);
    await a.close();
  } finally {
    await settings({ message_order: '', composer_position: '' });
  }
});
