// What the web inbox's browser test files (inbox-live, thread, messages,
// search, a11y, requests, bigthread .e2e.mjs) share: one browser, four members, a
// browser profile per member and the alice–bob conversation (direct).
//
// Importing this module registers the hooks that launch the browser
// before the first test and close it after the last, failing the run on
// any page error, CSP violation or script dialog seen meanwhile. The Go
// test inbox_browser_test.go runs all the files in one node process, in
// order (browsertest.RunScripts), so they share one browser launch and
// each file builds on what the earlier ones left. A file also runs on its
// own against a running app: BASE_URL=http://127.0.0.1:8090 node
// web/e2e/thread.e2e.mjs.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, user, launch, watch, signIn, settings } from './lib.mjs';

export let browser;
export let alice, bob, carol, dave;
export const problems = [];
const contexts = {};

before(async () => {
  // The members are new accounts and the files send in bursts: the
  // anti-spam limits (30 messages a minute, new accounts' conversations a
  // day, new people a week) are off, as a site owner may set them;
  // requests.e2e.mjs turns one on for its own test.
  if (process.env.SUPERUSER_TOKEN) {
    await settings({ messages_per_minute: '0', new_account_conversations_per_day: '0', new_people_per_week: '0' });
  }
  browser = await launch();
  [alice, bob, carol, dave] = await Promise.all([
    user('alice', 'Alice Liddell'), user('bob', 'Bob Builder'), user('carol', 'Carol Danvers'), user('dave', 'Dave Bowman'),
  ]);
  if (!directInUI) {
    direct = (await call('POST', '/api/messaging/threads', alice.token, { recipients: [bob.id], body: 'Hi Bob, first message' })).thread.id;
  }
});

after(async () => {
  await browser?.close();
  assert.deepEqual(problems, [], 'page errors, CSP violations or script dialogs');
});

/** pageFor opens a watched page in u's browser profile (a new one with opts.fresh). */
export async function pageFor(u, opts = {}) {
  if (!contexts[u.username] || opts.fresh) {
    contexts[u.username] = await browser.newContext({ viewport: opts.viewport || { width: 1100, height: 760 } });
  }
  const page = watch(await contexts[u.username].newPage(), problems);
  return page;
}

export async function signedIn(u, opts) {
  const page = await pageFor(u, opts);
  await signIn(page, u);
  return page;
}

/** openThread clicks a conversation in the list, by id or by title. */
export async function openThread(page, idOrTitle, title) {
  const byId = /^[a-z0-9]{15}$/.test(idOrTitle);
  await page.locator(byId ? `.thread[data-thread="${idOrTitle}"] a` : '.thread a').filter(byId ? {} : { hasText: idOrTitle }).first().click();
  await page.locator('#thread-title', { hasText: title || (byId ? '' : idOrTitle) }).waitFor();
  if (byId) await page.waitForURL(new RegExp('/t/' + idOrTitle + '$'));
}

/** direct is the alice–bob conversation, used by most files. */
export let direct = '';
let directInUI = false;

/**
 * directStartedInUI says that a test of this run starts the alice–bob
 * conversation in the UI (inbox-live's second one) and records it with
 * setDirect; without it, as when a later file runs on its own, the before
 * hook starts it through the API (one direct conversation per pair).
 */
export function directStartedInUI() {
  directInUI = true;
}

export function setDirect(id) {
  direct = id;
}
