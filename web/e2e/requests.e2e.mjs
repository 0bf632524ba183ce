// Who can message me, message requests and the anti-spam refusals: a
// member chooses "strangers go to Requests" in Settings; a stranger's first
// message waits there (its own badge, not the inbox's count nor the tab
// title's), the stranger can't write again until it is accepted; a second
// stranger's request is declined and disappears; a 429 shows the server's
// message in the composer and in the new-conversation form, text kept.
// Shares the browser of suite.mjs (with members of its own); started by
// the Go test inbox_browser_test.go with the other inbox files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, send, waitMessage, shot, settings, axe, totalBadge } from './lib.mjs';
import { signedIn, pageFor, openThread } from './suite.mjs';

const WAITING = "Your message request hasn't been accepted yet.";
let rita, sam, tess;
let r; // rita's page, kept open across the tests
let r2; // a second tab of rita's
let samThread = '';

/** requestsBadge is the Requests box's count (0 when it shows none). */
async function requestsBadge(page) {
  const b = page.locator('[data-testid=requests-count]');
  return (await b.count()) ? Number(await b.getAttribute('data-count')) : 0;
}

function waitRequests(page, n, timeout = 5000) {
  return page.waitForFunction(
    (n) => {
      const b = document.querySelector('[data-testid=requests-count]');
      return (b ? Number(b.dataset.count) : 0) === n;
    },
    n,
    { timeout, polling: 'raf' },
  );
}

test('Settings: "Who can message me" is a labelled radio group, saved on change', async () => {
  [rita, sam, tess] = await Promise.all([user('rita', 'Rita Hayworth'), user('sam', 'Sam Spade'), user('tess', 'Tess Trueheart')]);
  r = await signedIn(rita);
  await r.getByRole('link', { name: 'Settings' }).click();
  const group = r.getByRole('group', { name: 'Who can message me' });
  // The site's default is named (GET /api/messaging/options) and is what a new member has.
  const siteDefault = group.getByRole('radio', { name: 'Site default (everyone)' });
  await siteDefault.waitFor();
  assert.ok(await siteDefault.isChecked(), 'a new member follows the site default');
  assert.equal(await group.getByRole('radio').count(), 5);
  const saved = r.waitForResponse((x) => x.url().endsWith('/api/messaging/preferences') && x.request().method() === 'PATCH' && x.ok());
  await group.getByRole('radio', { name: 'Everyone — strangers go to Requests' }).check();
  await saved;
  await r.getByText('Saved.').waitFor();
  assert.equal((await call('GET', '/api/messaging/preferences', rita.token)).whoCanMessage, 'requests');
  await shot(r, 'settings-who-can-message');
  await r.reload();
  await group.getByRole('radio', { name: 'Everyone — strangers go to Requests' }).waitFor();
  assert.ok(await group.getByRole('radio', { name: 'Everyone — strangers go to Requests' }).isChecked(), 'kept after a reload');
});

test("a stranger's request waits in Requests, with its own badge, not in the inbox nor the title; the stranger can't write again until it is accepted", async () => {
  await r.getByRole('link', { name: 'Messages' }).first().click();
  await r.locator('.inbox').waitFor();
  assert.equal(await r.getByRole('button', { name: /^Requests/ }).count(), 0, 'no Requests box while there are none');
  r2 = await pageFor(rita);
  await r2.goto(r.url());
  await r2.locator('.inbox').waitFor();

  const s = await signedIn(sam);
  await s.getByRole('link', { name: 'New conversation' }).click();
  await s.getByLabel('To').fill('rita');
  await s.getByRole('option', { name: /Rita Hayworth/ }).click();
  await s.getByLabel('Message', { exact: true }).fill('Hello Rita, Sam Spade here.');
  await s.getByLabel('Message', { exact: true }).press('Enter');
  await s.locator('#thread-title', { hasText: 'Rita Hayworth' }).waitFor();
  samThread = new URL(s.url()).pathname.split('/').pop();

  // Live: the Requests box shows with its badge; the inbox, its count and the title don't move.
  await waitRequests(r, 1);
  await waitRequests(r2, 1);
  assert.equal(await r.locator('.threads .thread').count(), 0, 'not in the inbox');
  assert.equal(await totalBadge(r), 0, 'not in the unread total');
  assert.equal(await r.title(), 'Messages', 'not in the tab title');
  assert.equal((await call('GET', '/api/messaging/unread', rita.token)).requests, 1);

  // The stranger's second message is refused with the server's words; the text stays.
  await send(s, 'Are you there?');
  const failed = s.locator('[data-pending=failed]');
  await failed.waitFor();
  assert.ok((await failed.textContent()).includes(WAITING), await failed.textContent());
  assert.match(await failed.textContent(), /Are you there\?/);

  // The Requests box lists it; opening it shows the banner.
  await r2.getByRole('button', { name: /^Requests/ }).click();
  await r2.locator(`.thread[data-thread="${samThread}"]`).waitFor();
  await r.getByRole('button', { name: /^Requests/ }).click();
  await openThread(r, samThread, 'Sam Spade');
  const banner = r.getByRole('region', { name: 'Sam Spade wants to message you' });
  await banner.waitFor();
  await waitMessage(r, 'Hello Rita, Sam Spade here.');
  assert.deepEqual(await axe(r), [], 'axe: no serious or critical findings on a request');
  await shot(r, 'request');
  assert.equal(await r.title(), 'Messages', 'still not in the tab title once read');

  // Accept: to the inbox, the focus in the composer; live in the other tab.
  await banner.getByRole('button', { name: 'Accept' }).click();
  await banner.waitFor({ state: 'detached' });
  await r.getByRole('button', { name: 'Inbox', exact: true, pressed: true }).waitFor();
  await r.locator(`.threads .thread[data-thread="${samThread}"]`).waitFor();
  await r.waitForFunction(() => document.activeElement && document.activeElement.id === 'composer-input');
  await waitRequests(r, 0);
  await r2.locator(`.thread[data-thread="${samThread}"]`).waitFor({ state: 'detached' });
  await waitRequests(r2, 0);
  assert.equal((await call('GET', '/api/messaging/unread', rita.token)).requests, 0);

  // Now the stranger can write: the kept message goes with Retry.
  await s.getByRole('button', { name: 'Retry', exact: true }).click();
  await waitMessage(s, 'Are you there?');
  await waitMessage(r, 'Are you there?');
  await s.close();
});

test('replying to a request accepts it', async () => {
  const dan = await user('dan', 'Dan Dare');
  const th = (await call('POST', '/api/messaging/threads', dan.token, { recipients: [rita.id], body: 'Dan here, hi.' })).thread.id;
  await waitRequests(r, 1);
  await r.getByRole('button', { name: /^Requests/ }).click();
  await openThread(r, th, 'Dan Dare');
  await r.getByRole('region', { name: 'Dan Dare wants to message you' }).waitFor();
  await send(r, 'Hi Dan.');
  await waitMessage(r, 'Hi Dan.');
  await r.getByRole('region', { name: 'Dan Dare wants to message you' }).waitFor({ state: 'detached' });
  await waitRequests(r, 0);
  await r.locator(`.threads .thread[data-thread="${th}"]`).waitFor({ state: 'detached' });
  await call('POST', `/api/messaging/threads/${th}/messages`, dan.token, { body: 'Thanks!' });
  await waitMessage(r, 'Thanks!');
});

test('a declined request disappears for the member; the stranger sees nothing change', async () => {
  const t0 = (await call('POST', '/api/messaging/threads', tess.token, { recipients: [rita.id], body: 'Buy my course!' })).thread.id;
  await waitRequests(r, 1);
  await waitRequests(r2, 1);
  await r2.locator(`.thread[data-thread="${t0}"]`).waitFor(); // r2 shows the Requests box
  await r.getByRole('button', { name: /^Requests/ }).click();
  await openThread(r, t0, 'Tess Trueheart');
  const banner = r.getByRole('region', { name: 'Tess Trueheart wants to message you' });
  await banner.getByRole('button', { name: 'Decline' }).click(); // the confirmation is accepted (suite.mjs's watch)
  await r.waitForURL((u) => !u.pathname.includes('/t/'));
  await r.locator(`.thread[data-thread="${t0}"]`).waitFor({ state: 'detached' });
  await r.waitForFunction(() => document.activeElement && document.activeElement.id === 'box-requests');
  await waitRequests(r, 0);
  await r2.locator(`.thread[data-thread="${t0}"]`).waitFor({ state: 'detached' });
  await waitRequests(r2, 0);
  await assert.rejects(call('GET', `/api/messaging/threads/${t0}`, rita.token), (e) => e.status === 404);

  // Tess: her conversation as before, and the same answer to a second message.
  const tp = await signedIn(tess);
  await openThread(tp, t0, 'Rita Hayworth');
  await waitMessage(tp, 'Buy my course!');
  assert.equal(await tp.locator('[data-testid=request-banner]').count(), 0);
  await send(tp, 'Last chance!');
  const failed = tp.locator('[data-pending=failed]');
  await failed.waitFor();
  assert.ok((await failed.textContent()).includes(WAITING), await failed.textContent());
  assert.match(await failed.textContent(), /Last chance!/);
  await tp.close();
  await r2.close();
});

test('over the anti-spam limit: the server\'s message in the composer and the new-conversation form, text kept', async () => {
  const before = await call('GET', '/api/collections/messaging_settings/records/messagingconfig', process.env.SUPERUSER_TOKEN);
  await settings({ messages_per_minute: '1' });
  try {
    const s = await signedIn(sam);
    await openThread(s, samThread, 'Rita Hayworth');
    // Use up this minute's one message (it may be used already).
    for (let i = 0; i < 3; i++) {
      try {
        await call('POST', `/api/messaging/threads/${samThread}/messages`, sam.token, { body: 'one a minute ' + i });
      } catch (e) {
        if (e.status === 429) break;
        throw e;
      }
    }
    await send(s, 'Too fast?');
    const failed = s.locator('[data-pending=failed]');
    await failed.waitFor();
    assert.match(await failed.textContent(), /You can send 1 message a minute\. Please try again in \d+ seconds?\./);
    assert.match(await failed.textContent(), /Too fast\?/);
    // Discard gives the text back to the composer.
    await s.getByRole('button', { name: 'Discard' }).click();
    assert.equal(await s.getByLabel('Write a message').inputValue(), 'Too fast?');

    await s.getByRole('link', { name: 'New conversation' }).click();
    await s.getByLabel('To').fill('tess');
    await s.getByRole('option', { name: /Tess Trueheart/ }).click();
    await s.getByLabel('Message', { exact: true }).fill('Hello Tess');
    await s.getByLabel('Message', { exact: true }).press('Enter');
    const alert = s.locator('.page .error[role=alert]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /a minute\. Please try again in \d+ seconds?\./);
    assert.equal(await s.getByLabel('Message', { exact: true }).inputValue(), 'Hello Tess', 'the text is kept');
    await shot(s, 'rate-limited');
    await s.close();
  } finally {
    await settings({ messages_per_minute: before.messages_per_minute }); // as the suite left it
  }
  await r.close();
});
