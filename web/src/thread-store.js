import { signal, batch } from '@preact/signals';
import { Api, newKey, pb, upload } from './api.js';
import { patchThread, putThreadOnTop, threads } from './state.js';

// The open thread: its view, its loaded messages (ascending by seq), the
// cursors on both sides, and this tab's pending sends. live.js feeds it.

// open: {id, view, messages, older, newer, hasNewer, loadingOlder, loadingNewer,
//        error, firstUnreadSeq, gone, loaded, highlight}
export const open = signal(null);
export const pending = signal({}); // thread id -> [{key, body, files, progress, status: 'sending'|'failed', error}]
export const announcement = signal(''); // the text of the aria-live region

const PAGE = 50;

function sortMessages(list) {
  return list.sort((a, b) => a.seq - b.seq);
}

/** mergeMessages adds or replaces messages by id, keeping seq order. */
function mergeMessages(have, add) {
  const byId = new Map(have.map((m) => [m.id, m]));
  for (const m of add) byId.set(m.id, { ...byId.get(m.id), ...m });
  return sortMessages([...byId.values()]);
}

function update(id, fn) {
  const cur = open.value;
  if (!cur || cur.id !== id) return;
  open.value = { ...cur, ...fn(cur) };
}

function me() {
  return pb.authStore.record && pb.authStore.record.id;
}

const AUTHOR_PAGES = 10; // of 100 members: the first 1,000 members by id

/**
 * findAuthors names the open group's authors that its view doesn't list:
 * a view carries only the first 50 members, so in a bigger group it pages
 * the members route (at most AUTHOR_PAGES pages, once per missing author)
 * and keeps what it finds in authors. Authors it doesn't find (people who
 * left, or past those pages) keep the fallback name.
 */
async function findAuthors(id) {
  const cur = open.value;
  if (!cur || cur.id !== id || !cur.view || cur.view.kind !== 'group') return;
  const view = cur.view;
  if (!(view.memberCount > (view.members || []).length)) return;
  const known = new Set([...view.members.map((m) => m.id), ...Object.keys(cur.authors || {}), ...(cur.authorsSought || [])]);
  const missing = new Set(cur.messages.filter((m) => m.author && !m.authorDeleted && !m.system && !known.has(m.author)).map((m) => m.author));
  if (!missing.size) return;
  update(id, (c) => ({ authorsSought: [...(c.authorsSought || []), ...missing] }));
  const found = {};
  let cursor = '';
  try {
    for (let i = 0; i < AUTHOR_PAGES && missing.size; i++) {
      const page = await Api.members(id, cursor, 100);
      for (const m of page.items) {
        found[m.id] = m;
        missing.delete(m.id);
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
  } catch {
    /* names stay as they are */
  }
  update(id, (c) => ({ authors: { ...(c.authors || {}), ...found } }));
}

/** authorsOf maps member ids to members: the view's, and those findAuthors found. */
export function authorsOf(cur) {
  const byId = new Map(Object.entries(cur.authors || {}));
  for (const m of (cur.view && cur.view.members) || []) byId.set(m.id, m);
  return byId;
}

/** newestSeq is the seq of the newest loaded message (0 when none). */
export function newestSeq(cur) {
  return cur && cur.messages.length ? cur.messages[cur.messages.length - 1].seq : 0;
}

/**
 * openThread loads a thread in one round trip: at a message (a search hit)
 * when at is set, else at the first unread one (around=first_unread: the
 * messages before it and the unread ones from it on). A thread with nothing
 * unread opens at its newest page.
 */
export async function openThread(id, at) {
  open.value = {
    id, view: null, messages: [], older: '', newer: '', hasNewer: false, loadingOlder: false, loadingNewer: false,
    error: '', firstUnreadSeq: 0, gone: false, loaded: false, highlight: at || '',
  };
  const listed = threads.value.find((x) => x.id === id);
  const q = at ? { around: at, limit: PAGE } : listed && !listed.unread ? { limit: PAGE } : { around: 'first_unread', limit: PAGE * 2 };
  try {
    const [view, page] = await Promise.all([Api.thread(id), Api.messages(id, q)]);
    const lastRead = view.lastReadSeq || 0;
    const mine = me();
    const unread = view.unread > 0 ? page.items.filter((m) => m.seq > lastRead && m.author !== mine && !m.system) : [];
    update(id, () => ({
      view,
      messages: sortMessages(page.items.slice()),
      older: page.hasOlder ? page.olderCursor : '',
      newer: page.newerCursor,
      hasNewer: page.hasNewer,
      firstUnreadSeq: unread.length ? Math.min(...unread.map((m) => m.seq)) : 0,
      loaded: true,
    }));
    patchThread(id, { unread: view.unread, lastReadSeq: view.lastReadSeq, members: view.members });
    findAuthors(id);
  } catch (err) {
    update(id, () => ({ error: err && err.status === 404 ? 'notFound' : err && err.status === 400 && at ? 'badHit' : 'error', loaded: true }));
  }
}

/** loadOlder adds the page before the oldest loaded message. */
export async function loadOlder() {
  const cur = open.value;
  if (!cur || !cur.older || cur.loadingOlder) return false;
  update(cur.id, () => ({ loadingOlder: true }));
  try {
    const page = await Api.messages(cur.id, { limit: PAGE, before: cur.older });
    update(cur.id, (c) => ({ messages: mergeMessages(c.messages, page.items), older: page.hasOlder ? page.olderCursor : '', loadingOlder: false }));
    findAuthors(cur.id);
    return true;
  } catch {
    update(cur.id, () => ({ loadingOlder: false }));
    return false;
  }
}

/** loadNewer adds the page after the newest loaded message (a thread opened in its past). */
export async function loadNewer() {
  const cur = open.value;
  if (!cur || !cur.hasNewer || cur.loadingNewer) return false;
  update(cur.id, () => ({ loadingNewer: true }));
  try {
    const page = await Api.messages(cur.id, { limit: PAGE, after: String(newestSeq(cur)) });
    update(cur.id, (c) => ({ messages: mergeMessages(c.messages, page.items), newer: page.newerCursor, hasNewer: page.hasNewer, loadingNewer: false }));
    findAuthors(cur.id);
    return true;
  } catch {
    update(cur.id, () => ({ loadingNewer: false }));
    return false;
  }
}

/** jumpToNewest replaces the loaded window by the newest page. */
export async function jumpToNewest(id) {
  try {
    const page = await Api.messages(id, { limit: PAGE });
    update(id, () => ({ messages: sortMessages(page.items.slice()), older: page.hasOlder ? page.olderCursor : '', newer: page.newerCursor, hasNewer: false, highlight: '' }));
  } catch {
    /* the next event or reconnect tries again */
  }
}

const CATCHUP_PAGES = 6;

/**
 * replaceRange puts a fresh copy of the messages from seq lo to hi in
 * place of the loaded ones: within that range the server's answer is the
 * truth (edits and deletions made while offline), outside it nothing moves.
 */
function replaceRange(have, got, lo, hi) {
  const keep = have.filter((m) => m.seq < lo || m.seq > hi);
  return mergeMessages(keep, got);
}

/**
 * catchUp brings the open thread up to date after a dropped connection
 * (PocketBase replays nothing). It fetches the loaded window again from its
 * oldest message on (after=), so edits and deletions made meanwhile show,
 * and goes on past the newest one for what arrived, a few pages at most;
 * past that it starts over from the newest page. A thread opened in its
 * past stops at the newest message shown (the rest loads on scroll), or
 * after those few pages. The view comes again too (read receipts, members).
 */
export async function catchUp() {
  const cur = open.value;
  if (!cur || !cur.loaded || cur.error) return;
  try {
    const view = await Api.thread(cur.id);
    update(cur.id, () => ({ view }));
    const lo = cur.messages.length ? cur.messages[0].seq : newestSeq(cur) + 1;
    const hi = newestSeq(cur);
    let after = String(Math.max(0, lo - 1));
    let got = [];
    for (let i = 0; i < CATCHUP_PAGES; i++) {
      const page = await Api.messages(cur.id, { limit: 100, after });
      got = got.concat(page.items);
      after = page.newerCursor;
      const last = got.length ? got[got.length - 1].seq : 0;
      if (!page.hasNewer || (cur.hasNewer && last >= hi)) {
        // Up to the newest message fetched: one that came live meanwhile stays.
        const upTo = cur.hasNewer ? hi : Math.max(hi, last);
        update(cur.id, (c) => ({
          messages: replaceRange(c.messages, got.filter((m) => m.seq <= upTo), lo, upTo),
          ...(cur.hasNewer ? {} : { newer: page.newerCursor }),
        }));
        return;
      }
    }
    // A long window: refresh what came, newest page if the thread is at its end.
    if (!cur.hasNewer) return jumpToNewest(cur.id);
    const upTo = got.length ? got[got.length - 1].seq : lo - 1;
    update(cur.id, (c) => ({ messages: replaceRange(c.messages, got, lo, upTo) }));
  } catch (err) {
    if (err && err.status === 404) update(cur.id, () => ({ gone: true }));
  }
}

export async function reloadView(id) {
  try {
    const view = await Api.thread(id);
    update(id, () => ({ view }));
    return view;
  } catch (err) {
    if (err && err.status === 404) update(id, () => ({ gone: true }));
    return null;
  }
}

export function setView(id, fields) {
  update(id, (c) => ({ view: c.view ? { ...c.view, ...fields } : c.view }));
}

/**
 * addMessages puts live, sent or edited messages into the open thread and
 * drops the matching pending sends (matched by the clientKey the server
 * echoes to the sender). While the newest messages aren't loaded (a thread
 * opened in its past) a new one is left for loadNewer, so no gap shows.
 */
export function addMessages(threadId, msgs) {
  update(threadId, (c) => {
    const have = new Set(c.messages.map((m) => m.id));
    const add = c.hasNewer ? msgs.filter((m) => have.has(m.id)) : msgs;
    return add.length ? { messages: mergeMessages(c.messages, add) } : {};
  });
  findAuthors(threadId);
  const list = pending.value[threadId];
  if (!list || !list.length) return;
  // Live events don't carry the key (only the sender's own response
  // does): until that response, a sending message of the same text is this one.
  let rest = list;
  for (const m of msgs) {
    if (m.author !== me() || m.system) continue;
    let i = m.clientKey ? rest.findIndex((p) => p.key === m.clientKey) : -1;
    if (i < 0 && !m.clientKey) i = rest.findIndex((p) => p.status === 'sending' && !p.files.length && p.body.trim() === m.body);
    if (i >= 0) rest = rest.filter((_, j) => j !== i);
  }
  if (rest !== list) pending.value = { ...pending.value, [threadId]: rest };
}

export function markDeleted(threadId, msg) {
  update(threadId, (c) => ({ messages: c.messages.map((m) => (m.id === msg.id ? { ...m, ...msg, deleted: true, body: '', html: '', files: [] } : m)) }));
}

function setPending(threadId, fn) {
  pending.value = { ...pending.value, [threadId]: fn(pending.value[threadId] || []) };
}

/** send queues a message (text and files) as pending and sends it; retry() resends with the same key. */
export function send(threadId, body, files = []) {
  const p = { key: newKey(), body, files, progress: 0, status: 'sending', error: '' };
  setPending(threadId, (l) => [...l, p]);
  return deliver(threadId, p.key);
}

export function retry(threadId, key) {
  return deliver(threadId, key);
}

/** discard drops a failed send and returns its text. */
export function discard(threadId, key) {
  const p = (pending.value[threadId] || []).find((x) => x.key === key);
  setPending(threadId, (l) => l.filter((x) => x.key !== key));
  return p ? p.body : '';
}

async function deliver(threadId, key) {
  const p = (pending.value[threadId] || []).find((x) => x.key === key);
  if (!p) return;
  setPending(threadId, (l) => l.map((x) => (x.key === key ? { ...x, status: 'sending', error: '', progress: 0 } : x)));
  const progress = (f) => setPending(threadId, (l) => l.map((x) => (x.key === key ? { ...x, progress: f } : x)));
  try {
    const msg = p.files.length ? await upload(threadId, p.body, key, p.files, progress) : await Api.send(threadId, p.body, key);
    if (msg && msg.redirected && msg.thread !== threadId) return redirected(threadId, key, msg);
    const cur = open.value;
    batch(() => {
      setPending(threadId, (l) => l.filter((x) => x.key !== key));
      addMessages(threadId, [msg]);
      // Replying to a message request accepts it (the server did): it leaves Requests.
      patchThread(threadId, { lastMessage: msg, lastActivity: msg.created, request: false });
      if (cur && cur.id === threadId && cur.view && cur.view.request) setView(threadId, { request: false });
    });
    if (cur && cur.id === threadId && cur.hasNewer) jumpToNewest(threadId);
    return msg;
  } catch (err) {
    setPending(threadId, (l) => l.map((x) => (x.key === key ? { ...x, status: 'failed', error: err } : x)));
  }
}

/**
 * redirected handles a reply to an announcement that the server posted in
 * the direct conversation with its sender (redirected: true, thread: that
 * conversation's id): the pending send leaves the announcement, and the
 * direct conversation comes to the top of the list. The caller opens it.
 */
async function redirected(threadId, key, msg) {
  setPending(threadId, (l) => l.filter((x) => x.key !== key));
  try {
    putThreadOnTop(await Api.thread(msg.thread));
  } catch {
    /* the live event brings it */
  }
  return msg;
}

/** edit changes the body of one's own message; the answer replaces it in the thread. */
export async function edit(threadId, id, body) {
  const msg = await Api.editMessage(id, body);
  addMessages(threadId, [msg]);
  return msg;
}

export { putThreadOnTop };
