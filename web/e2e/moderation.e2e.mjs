// Reports and the moderator view: a member reports a message (a repeat
// gets the same thanks); a moderator in another browser profile sees the
// open-count badge go up live; the author can't delete or edit the
// reported message ("This message is under review."); the moderator opens
// the report, sees the sealed evidence with the reported message marked
// among its neighbours, and deletes it with a reason; the reporter is told
// live and finds the outcome in My reports; axe finds nothing serious on
// the queue and the report page; a member gets no Moderation entry, the
// moderation URL shows nothing and its code is never loaded; a suspended
// author sees the server's refusal in the composer.
// Shares the browser of suite.mjs (with members of its own); started by
// the Go test inbox_browser_test.go with the other inbox files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, send, waitMessage, shot, axe, INBOX } from './lib.mjs';
import { signedIn, openThread } from './suite.mjs';

const REPORTED = 'You are all idiots, click my link';
const UNDER_REVIEW = 'This message is under review.';
let reese, axel, mona;
let thread = '';
let reported = ''; // the reported message's id
let rp, ap, mp; // the reporter's, the author's and the moderator's pages

/** openCount is the moderator's open-reports badge (0 when it shows none). */
function waitOpen(page, n, timeout = 5000) {
  return page.waitForFunction(
    (n) => {
      const b = document.querySelector('[data-testid=open-reports]');
      return (b ? Number(b.dataset.count) : 0) === n;
    },
    n,
    { timeout, polling: 'raf' },
  );
}

async function openCount(page) {
  const b = page.locator('[data-testid=open-reports]');
  return (await b.count()) ? Number(await b.getAttribute('data-count')) : 0;
}

test('a member reports a message; the moderator badge goes up live; the author cannot delete or edit it meanwhile', async () => {
  [reese, axel, mona] = await Promise.all([user('reese', 'Reese Witherspoon'), user('axel', 'Axel Foley'), user('mona', 'Mona Lisa')]);
  // Mona moderates: moderator_roles holds "moderator" by default; only a superuser gives roles.
  await call('PATCH', `/api/collections/users/records/${mona.id}`, process.env.SUPERUSER_TOKEN, { roles: ['moderator'] });
  const started = await call('POST', '/api/messaging/threads', axel.token, { recipients: [reese.id], body: 'Hello Reese' });
  thread = started.thread.id;
  reported = (await call('POST', `/api/messaging/threads/${thread}/messages`, axel.token, { body: REPORTED })).id;
  await call('POST', `/api/messaging/threads/${thread}/messages`, reese.token, { body: 'Please stop.' });

  mp = await signedIn(mona);
  const link = mp.getByTestId('moderation-link');
  await link.waitFor();
  const before = (await call('GET', '/api/messaging/moderation/reports?state=open&limit=50', mona.token)).items.length;
  await waitOpen(mp, before);

  rp = await signedIn(reese);
  await openThread(rp, thread);
  const bubble = rp.locator('.bubble', { hasText: REPORTED });
  await bubble.hover();
  // Only others' messages have Report…: her own has none.
  assert.equal(await rp.locator('.bubble', { hasText: 'Please stop.' }).getByRole('button', { name: 'Report…' }).count(), 0);
  await bubble.getByRole('button', { name: 'Report…' }).click();
  const dialog = rp.getByRole('dialog', { name: 'Report this message' });
  await dialog.getByRole('radio', { name: 'Harassment or bullying' }).check();
  await dialog.getByLabel('Anything the moderators should know (optional)').fill('He insults everyone.');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.getByText('Thanks — a moderator will look at it.').waitFor();
  await shot(rp, 'report-dialog');
  await dialog.getByRole('button', { name: 'Close' }).click();

  // The moderator's badge, live.
  await waitOpen(mp, before + 1);

  // Reporting it again: the same thanks, still one report.
  await bubble.hover();
  await bubble.getByRole('button', { name: 'Report…' }).click();
  await dialog.getByRole('radio', { name: 'Spam' }).check();
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.getByText('Thanks — a moderator will look at it.').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  const mine = (await call('GET', '/api/messaging/reports/mine', reese.token)).items;
  assert.equal(mine.length, 1);
  assert.equal(mine[0].reason, 'harassment');
  assert.equal(await openCount(mp), before + 1);

  // The author: delete and edit are refused with the server's reason.
  ap = await signedIn(axel);
  await openThread(ap, thread);
  const his = ap.locator('.bubble', { hasText: REPORTED });
  await his.hover();
  await his.getByRole('button', { name: 'Delete message' }).click(); // the confirm is accepted by the watcher
  await his.getByRole('alert').filter({ hasText: UNDER_REVIEW }).waitFor();
  await his.hover();
  await his.getByRole('button', { name: 'Edit message' }).click();
  await ap.getByLabel('Edit your message').fill('I take it back');
  await ap.getByLabel('Edit your message').press('Enter');
  await ap.locator('form.edit').getByRole('alert').filter({ hasText: UNDER_REVIEW }).waitFor();
  await ap.getByLabel('Edit your message').press('Escape');
  assert.equal((await call('GET', `/api/messaging/threads/${thread}/messages`, axel.token)).items.find((m) => m.id === reported).body, REPORTED);
});

test('the moderator opens the report, sees the sealed evidence and deletes the message with a reason; the reporter is told live', async () => {
  await mp.getByTestId('moderation-link').click();
  const queue = mp.getByTestId('queue');
  const id = (await call('GET', '/api/messaging/reports/mine', reese.token)).items[0].id;
  const row = queue.locator(`[data-report="${id}"]`);
  await row.waitFor();
  assert.equal(await mp.getByRole('button', { name: 'Open', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await axe(mp), [], 'axe: the queue');
  await shot(mp, 'moderation-queue');

  await row.getByRole('link').click();
  await mp.waitForURL(new RegExp('/moderation/' + id + '$'));
  await mp.getByRole('heading', { name: 'Report: Harassment or bullying' }).waitFor();
  await mp.getByText('Reported by Reese Witherspoon').waitFor();
  await mp.getByText('About Axel Foley').waitFor();
  await mp.getByText('In their words: He insults everyone.').waitFor();
  // The evidence: the reported message marked, among its neighbours, and intact.
  const evidence = mp.getByTestId('evidence');
  assert.deepEqual(await evidence.locator('.evidence-row .body').allTextContents(), ['Hello Reese', REPORTED, 'Please stop.']);
  const marked = evidence.locator('.evidence-row.reported');
  assert.equal(await marked.count(), 1);
  assert.equal(await marked.getAttribute('data-id'), reported);
  assert.match(await marked.textContent(), /Reported message/);
  assert.equal(await mp.getByTestId('evidence-intact').getAttribute('data-intact'), 'true');
  assert.deepEqual(await axe(mp), [], 'axe: the report page');
  await shot(mp, 'moderation-report');

  // A reason is required.
  await mp.getByRole('button', { name: 'Delete message' }).click();
  await mp.getByRole('alert').filter({ hasText: 'Give a reason.' }).waitFor();
  await mp.getByLabel('Reason (required, kept in the audit log)').fill('Insults, rule 2');
  await mp.getByRole('button', { name: 'Delete message' }).click();
  await mp.getByText('Message deleted.').waitFor();
  await mp.waitForFunction(() => document.querySelector('[data-testid=report-state]')?.dataset.state === 'actioned');
  assert.equal(await mp.getByRole('button', { name: 'Dismiss' }).count(), 0, 'no actions on a closed report');
  await waitOpen(mp, 0).catch(async () => assert.fail('the badge did not drop: ' + (await openCount(mp))));

  // The reporter: a notice, live, and the outcome in My reports; the message shows deleted.
  const notice = rp.getByTestId('report-reviewed');
  await notice.waitFor();
  assert.match(await notice.textContent(), /Your report was reviewed\./);
  await rp.locator('.bubble.deleted', { hasText: 'This message was deleted.' }).waitFor();
  await notice.getByRole('link', { name: 'See my reports' }).click();
  const mine = rp.getByTestId('my-reports');
  await mine.locator(`[data-report="${id}"][data-state="actioned"]`).waitFor();
  await mine.getByText('Your report was reviewed. The message was deleted.').waitFor();
  await shot(rp, 'my-reports');
  // The queue now lists it under Actioned.
  await mp.getByRole('link', { name: 'Back to the reports' }).click();
  await mp.getByRole('button', { name: 'Actioned' }).click();
  await mp.getByTestId('queue').locator(`[data-report="${id}"]`).waitFor();
});

test('a member gets no Moderation entry, the moderation URL shows nothing and loads no moderator code', async () => {
  assert.equal(await rp.getByTestId('moderation-link').count(), 0);
  const chunks = [];
  rp.on('request', (r) => /Moderation-[\w-]+\.js/.test(r.url()) && chunks.push(r.url()));
  await rp.goto(INBOX + 'moderation');
  await rp.getByText('This page is for moderators.').waitFor();
  await rp.goto(INBOX + 'moderation/' + 'abcdefghijklmno');
  await rp.getByText('This page is for moderators.').waitFor();
  assert.equal(await rp.locator('[data-testid=queue], [data-testid=evidence]').count(), 0);
  assert.deepEqual(chunks, [], 'the moderator view is never downloaded by a member');
  // My reports is in the inbox menu too.
  await rp.goto(INBOX);
  await rp.getByRole('button', { name: 'Inbox options' }).click();
  await rp.getByRole('button', { name: 'My reports' }).click();
  await rp.getByRole('heading', { name: 'My reports' }).waitFor();
});

test("a suspended author sees the moderators' refusal in the composer, the text kept", async () => {
  await call('POST', `/api/messaging/moderation/users/${axel.id}/suspension`, mona.token, { suspended: true, reason: 'Repeated insults' });
  try {
    await send(ap, 'Let me explain');
    await ap.getByText('Not sent: Your messaging has been suspended by the moderators.').waitFor();
  } finally {
    await call('POST', `/api/messaging/moderation/users/${axel.id}/suspension`, mona.token, { suspended: false, reason: 'Lifted' });
  }
  await ap.getByRole('button', { name: 'Retry' }).click();
  await waitMessage(ap, 'Let me explain');
  await Promise.all([rp.close(), ap.close(), mp.close()]);
});
