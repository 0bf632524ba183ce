// Select mode and bulk actions: a member bulk-archives twenty
// conversations, which leave the inbox for Archived in this tab and, live,
// in another tab of hers; "Mark all read" drops the badge in both; axe
// finds nothing serious in select mode; at 375 px it fits and works with
// the keyboard.
// Shares the browser of suite.mjs (with members of its own); started by
// the Go test inbox_browser_test.go with the other inbox files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, waitTotal, shot, axe } from './lib.mjs';
import { signedIn, pageFor } from './suite.mjs';
import { signIn } from './lib.mjs';

let olive, pete, quinn;

/** rows is the number of conversations a page lists. */
const rows = (page) => page.locator('.threads > .thread').count();

function waitRows(page, n, timeout = 5000) {
  return page.waitForFunction((n) => document.querySelectorAll('.threads > .thread').length === n, n, { timeout, polling: 'raf' });
}

test('bulk-archive twenty conversations: they leave the inbox for Archived, in another tab too; mark all read drops the badge', async () => {
  [olive, pete, quinn] = await Promise.all([user('olive', 'Olive Oyl'), user('pete', 'Pete Puma'), user('quinn', 'Quinn Fabray')]);
  // Pete starts 21 groups with Olive and Quinn: all unread for Olive.
  for (let i = 1; i <= 20; i++) {
    const n = String(i).padStart(2, '0');
    await call('POST', '/api/messaging/threads', pete.token, { recipients: [olive.id, quinn.id], subject: 'Bulk ' + n, body: 'bulk message ' + n });
  }
  await call('POST', '/api/messaging/threads', pete.token, { recipients: [olive.id, quinn.id], subject: 'Keep me', body: 'stay in the inbox' });

  const o1 = await signedIn(olive);
  const o2 = await pageFor(olive); // a second tab of hers
  await signIn(o2, olive);
  await waitRows(o1, 21);
  await waitTotal(o1, 21);
  await waitTotal(o2, 21);

  await o1.getByRole('button', { name: 'Select', exact: true }).click();
  const bar = o1.getByRole('region', { name: 'Selected conversations' });
  await bar.getByRole('checkbox', { name: 'Select all' }).check();
  const count = o1.getByTestId('selected-count');
  assert.equal(await count.getAttribute('data-count'), '21');
  // A row's checkbox is named by its conversation.
  await o1.getByRole('checkbox', { name: 'Keep me' }).uncheck();
  assert.equal(await count.getAttribute('data-count'), '20');
  assert.equal(await count.textContent(), '20 selected');
  assert.ok(await bar.getByRole('checkbox', { name: 'Select all' }).evaluate((el) => el.indeterminate), 'select all shows a partial selection');
  assert.deepEqual(await axe(o1), [], 'axe: no serious or critical findings in select mode');
  await shot(o1, 'inbox-select-mode');

  const bulk = o1.waitForResponse((r) => r.url().endsWith('/api/messaging/threads/bulk') && r.ok());
  await bar.getByRole('group', { name: 'Actions for the selected conversations' }).getByRole('button', { name: 'Archive', exact: true }).click();
  const res = await (await bulk).json();
  assert.equal(res.action, 'archive');
  assert.equal(res.threads.length, 20);
  // Gone from the inbox here, and live in the other tab (which selected nothing).
  await waitRows(o1, 1);
  await waitRows(o2, 1);
  assert.equal(await o2.locator('.thread .title').textContent(), 'Keep me');
  await bar.getByText('20 conversations archived.').waitFor();
  assert.equal(await count.getAttribute('data-count'), '0', 'what left the list is not selected any more');
  // In Archived, in both tabs; still unread.
  const archived = await call('GET', '/api/messaging/threads?box=archived&limit=50', olive.token);
  assert.equal(archived.items.length, 20);
  await o2.getByRole('button', { name: 'Archived', exact: true }).click();
  await waitRows(o2, 20);
  await waitTotal(o2, 21);

  // Mark all read, from the inbox menu: both badges drop, the tab title too.
  await o1.getByRole('button', { name: 'Inbox options' }).click();
  await o1.getByRole('button', { name: 'Mark all read' }).click();
  await waitTotal(o1, 0);
  await waitTotal(o2, 0);
  assert.equal(await o2.title(), 'Messages');
  assert.equal(await o2.locator('.thread.unread').count(), 0, 'the archived rows lost their badges live');
  assert.equal((await call('GET', '/api/messaging/unread', olive.token)).messages, 0);
  await o1.close();
  await o2.close();
});

test('select mode at 375 px, by keyboard: move one conversation back to the inbox', async () => {
  const page = await pageFor(olive, { fresh: true, viewport: { width: 375, height: 740 } });
  await signIn(page, olive);
  await page.getByRole('button', { name: 'Archived', exact: true }).click();
  await waitRows(page, 20);
  const select = page.getByRole('button', { name: 'Select', exact: true });
  await select.focus();
  await page.keyboard.press('Enter');
  assert.equal(await select.getAttribute('aria-pressed'), 'true');
  // The focus is in the bar (on Done); the rows' checkboxes follow it in Tab order.
  await page.waitForFunction(() => document.activeElement && document.activeElement.textContent === 'Done');
  await page.getByRole('checkbox', { name: 'Bulk 01' }).focus();
  await page.keyboard.press('Space');
  assert.equal(await page.getByTestId('selected-count').getAttribute('data-count'), '1');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, 'no sideways scrolling in select mode');
  await shot(page, 'inbox-select-375');
  await page.getByRole('button', { name: 'Move to inbox' }).focus();
  await page.keyboard.press('Enter');
  await waitRows(page, 19);
  const inbox = await call('GET', '/api/messaging/threads?limit=50', olive.token);
  assert.deepEqual(inbox.items.map((x) => x.subject).sort(), ['Bulk 01', 'Keep me']);
  // Done leaves select mode: rows are links again.
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.locator('.threads input[type=checkbox]').count(), 0);
  assert.equal(await rows(page), 19);
  await page.close();
});

test('bulk tag, then delete for me after a confirmation', async () => {
  await call('POST', '/api/collections/tags/records', olive.token, { user: olive.id, name: 'club' });
  const page = await signedIn(olive);
  await waitRows(page, 2); // Keep me, Bulk 01
  await page.getByRole('button', { name: 'Select', exact: true }).click();
  await page.getByRole('checkbox', { name: 'Select all' }).check();
  await page.getByRole('button', { name: 'Tags…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Tag 2 conversations' });
  await dialog.getByRole('radio', { name: 'club' }).check();
  await dialog.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('.thread .mark.tag', { hasText: 'club' }).nth(1).waitFor();
  const tagged = await call('GET', '/api/messaging/threads?limit=50', olive.token);
  assert.ok(tagged.items.every((x) => x.tags.some((g) => g.name === 'club')), 'both tagged');
  // Delete for me: asks first (the page's confirm is accepted by the test's watcher).
  await page.getByRole('checkbox', { name: 'Bulk 01' }).uncheck();
  const asked = page.waitForEvent('dialog');
  await page.getByRole('button', { name: 'Delete for me' }).click();
  assert.match((await asked).message(), /Delete this conversation for you\?/);
  await waitRows(page, 1);
  assert.equal(await page.locator('.thread .title').textContent(), 'Bulk 01');
  const left = await call('GET', '/api/messaging/threads?limit=50', olive.token);
  assert.deepEqual(left.items.map((x) => x.subject), ['Bulk 01']);
  await page.close();
});
