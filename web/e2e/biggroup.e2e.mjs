// A group of 120: thread views carry memberCount and only the first 50
// members, so the header says "120 members" and its dialog pages through
// everyone as it scrolls; the inbox finds the group by a member past the
// first 50.
// Shares the browser of suite.mjs (with members of its own); started by
// the Go test inbox_browser_test.go with the other inbox files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, PASSWORD, settings, axe, shot } from './lib.mjs';
import { signedIn } from './suite.mjs';

test('a 120-member group: "120 members" in the header, a dialog that pages everyone, search by a late member', async (t) => {
  const root = process.env.SUPERUSER_TOKEN;
  if (!root) return t.skip('needs SUPERUSER_TOKEN');
  const before = await call('GET', '/api/collections/messaging_settings/records/messagingconfig', root);
  // A group this size, started by a new account: both limits raised for this test.
  await settings({ max_group_size: 200, new_account_max_recipients: 0 });
  try {
    // 119 members made by the superuser, ten at a time, and Gina, who starts the group.
    const ids = [];
    for (let i = 1; i <= 119; i += 10) {
      const batch = [];
      for (let j = i; j < i + 10 && j <= 119; j++) {
        const n = String(j).padStart(3, '0');
        batch.push(call('POST', '/api/collections/users/records', root, { email: `bg${n}@example.com`, password: PASSWORD, passwordConfirm: PASSWORD, name: `Member ${n}`, username: `bg${n}` }).catch(async (e) => {
          if (e.status !== 400) throw e; // made by an earlier run against the same app
          return (await call('GET', `/api/collections/users/records?filter=${encodeURIComponent(`username='bg${n}'`)}`, root)).items[0];
        }));
      }
      ids.push(...(await Promise.all(batch)).map((u) => u.id));
    }
    const gina = await user('gina', 'Gina Group');
    const started = await call('POST', '/api/messaging/threads', gina.token, { recipients: ids, subject: 'Big group', body: 'Welcome, all 120 of us' });
    const view = started.thread;
    assert.equal(view.memberCount, 120);
    assert.ok(view.members.length <= 50, 'the view carries at most 50 members');

    const page = await signedIn(gina);
    const memberCalls = [];
    page.on('request', (r) => r.url().includes(`/threads/${view.id}/members`) && memberCalls.push(new URL(r.url()).search));
    // The inbox row: the subject, the first five names and how many more.
    const row = page.locator(`.thread[data-thread="${view.id}"]`);
    await row.locator('.names', { hasText: 'and 114 more' }).waitFor();
    await row.locator('a').click();
    await page.locator('#thread-title', { hasText: 'Big group' }).waitFor();
    const count = page.getByRole('button', { name: '120 members' });
    await count.waitFor();
    await page.locator('.participants', { hasText: 'and 116 more' }).waitFor();

    await count.click();
    const dialog = page.getByRole('dialog', { name: '120 members' });
    const list = dialog.getByTestId('member-list');
    // Pages of 50 come as the list scrolls, until everyone is there.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=member-list] li:not(.more)').length >= 50);
    for (let i = 0; i < 10 && (await list.locator('li:not(.more)').count()) < 120; i++) {
      await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(150);
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=member-list] li:not(.more)').length === 120);
    await page.waitForFunction(() => document.querySelector('[data-testid=member-list]').getAttribute('aria-busy') === 'false');
    const names = await list.locator('li:not(.more)').allTextContents();
    assert.equal(new Set(names).size, 120, 'everyone once');
    assert.ok(names.some((n) => n.includes('Member 119')) && names.some((n) => n.includes('Gina Group')));
    assert.equal(memberCalls.length, 3, `three pages of members: ${memberCalls.join(' ')}`);
    assert.ok(memberCalls.slice(1).every((q) => q.includes('cursor=')), 'later pages follow the cursor');
    assert.deepEqual(await axe(page), [], 'axe: no serious or critical findings on the members dialog');
    await shot(page, 'members-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), '120 members', 'the focus goes back to the button');

    // A message from someone past the first 50 members shows their name
    // (found through the members route), live and after a reload.
    const late = await call('POST', '/api/collections/users/auth-with-password', null, { identity: 'bg119@example.com', password: PASSWORD });
    await call('POST', `/api/messaging/threads/${view.id}/messages`, late.token, { body: 'Hello from number 119' });
    const lateGroup = page.locator('.group', { hasText: 'Hello from number 119' });
    await lateGroup.locator('.author .name', { hasText: 'Member 119' }).waitFor();
    await page.reload();
    await lateGroup.locator('.author .name', { hasText: 'Member 119' }).waitFor();

    // The inbox's search by person finds the group by someone past the first 50.
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('bg119');
    await page.waitForFunction((id) => {
      const rows = document.querySelectorAll('.threads > .thread');
      return rows.length === 1 && rows[0].dataset.thread === id;
    }, view.id);
    await page.close();
  } finally {
    await settings({ max_group_size: before.max_group_size, new_account_max_recipients: before.new_account_max_recipients });
  }
});
