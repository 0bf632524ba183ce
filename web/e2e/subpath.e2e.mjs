// The inbox mounted by a Go app of its own under a sub-path (INBOX_URL,
// e.g. http://127.0.0.1:PORT/messages/), beside the app's own pages.
// Started by webinbox's TestMountUnderSubPath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, INBOX, call, user, launch, watch, signIn, send, waitMessage, shot } from './lib.mjs';

let browser;
const problems = [];
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  assert.deepEqual(problems, []);
});

test('the inbox works under a sub-path: list, thread URL, reload, live message', async () => {
  const [ann, ben] = await Promise.all([user('ann', 'Ann Subpath'), user('ben', 'Ben Subpath')]);
  const started = await call('POST', '/api/messaging/threads', ann.token, { recipients: [ben.id], body: 'hello under a sub-path' });
  const id = started.thread.id;

  const a = watch(await (await browser.newContext()).newPage(), problems);
  const b = watch(await (await browser.newContext()).newPage(), problems);
  await signIn(a, ann);
  await signIn(b, ben);
  await b.locator(`.thread[data-thread="${id}"] a`).click();
  await b.waitForURL(INBOX + 't/' + id);
  await waitMessage(b, 'hello under a sub-path');
  await b.reload();
  await waitMessage(b, 'hello under a sub-path');
  await a.goto(INBOX + 't/' + id); // a deep link
  await waitMessage(a, 'hello under a sub-path');
  await send(a, 'live under a sub-path');
  await waitMessage(b, 'live under a sub-path');
  await shot(b, 'subpath-thread');
  // The site's own page is still the site's.
  const home = await a.goto(BASE + '/');
  assert.match(await home.text(), /the site's own page/);
  // Its unread badge, loaded from /messages/badge.js, links to the inbox there.
  await b.goto(BASE + '/');
  await call('POST', `/api/messaging/threads/${id}/messages`, ann.token, { body: 'for the badge' });
  const badge = b.getByRole('link', { name: '1 unread message', exact: true });
  await badge.waitFor();
  assert.equal(await badge.getAttribute('href'), INBOX);
});
