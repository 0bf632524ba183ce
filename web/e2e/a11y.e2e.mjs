// Accessibility: a 375 px wide screen, the keyboard only, axe-core's
// findings on the main screens.
// Shares the browser and members of suite.mjs; started by the Go test
// inbox_browser_test.go with the other inbox files (see suite.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INBOX, call, signIn, waitMessage, shot, axe } from './lib.mjs';
import { alice, bob, dave, pageFor, signedIn, openThread, direct } from './suite.mjs';

test('at 375 px: the list, then the thread with a way back', async () => {
  const page = await pageFor(bob, { fresh: true, viewport: { width: 375, height: 740 } });
  await signIn(page, bob);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, 'no sideways scrolling');
  const header = async () => (await page.locator('header.top').boundingBox()).height;
  assert.ok((await header()) <= 60, `the header is one line: ${await header()} px high`);
  await shot(page, 'inbox-375');
  // Search is an icon button there that opens the field, still one line.
  await page.getByRole('button', { name: 'Search messages' }).click();
  await page.getByRole('searchbox', { name: 'Search messages' }).fill('first');
  assert.ok((await header()) <= 60, `one line with the field open: ${await header()} px`);
  assert.ok((await overflow()) <= 0, 'no sideways scrolling with the field open');
  await page.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
  await page.waitForURL(/\/search\?q=first$/);
  await page.goBack();
  await page.locator('.threads').waitFor();
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

test('the email choice: radio buttons in a labelled group, saved on change, kept after a reload', async () => {
  const page = await signedIn(dave);
  await page.getByRole('link', { name: 'Settings' }).click();
  const group = page.getByRole('group', { name: 'Email about new messages' });
  // The site's default is named (GET /api/messaging/options) and is what a new member has.
  const siteDefault = group.getByRole('radio', { name: 'Site default (one email per conversation)' });
  await siteDefault.waitFor();
  assert.ok(await siteDefault.isChecked(), 'a new member follows the site default');
  assert.equal(await group.getByRole('radio').count(), 4);
  const saved = () => page.waitForResponse((r) => r.url().endsWith('/api/messaging/preferences') && r.request().method() === 'PATCH' && r.ok());
  let done = saved();
  await group.getByRole('radio', { name: 'A daily digest' }).check();
  await done;
  await page.getByText('Saved.').waitFor();
  await page.reload();
  await group.getByRole('radio', { name: 'A daily digest' }).waitFor();
  assert.ok(await group.getByRole('radio', { name: 'A daily digest' }).isChecked(), 'still the digest after a reload');
  assert.equal(await group.locator('input[type=radio]:checked').count(), 1);
  assert.equal((await call('GET', '/api/messaging/preferences', dave.token)).emailNotifications, 'digest');
  assert.deepEqual(await axe(page), [], 'axe: no serious or critical findings on the settings page');
  // The keyboard moves through the group, and each move is saved.
  done = saved();
  await group.getByRole('radio', { name: 'A daily digest' }).focus();
  await page.keyboard.press('ArrowDown');
  await done;
  assert.ok(await group.getByRole('radio', { name: 'No emails' }).isChecked());
  assert.equal((await call('GET', '/api/messaging/preferences', dave.token)).emailNotifications, 'none');
  done = saved();
  await siteDefault.check();
  await done;
  assert.equal((await call('GET', '/api/messaging/preferences', dave.token)).emailNotifications, 'default');
  await page.close();
});
