import { signal, batch } from '@preact/signals';
import { Api, newKey, pb } from './api.js';
import { patchThread, putThreadOnTop } from './state.js';

// The open thread: its view, its loaded messages (ascending by seq), the
// cursor to older ones, and this tab's pending sends. live.js feeds it.

export const open = signal(null); // {id, view, messages, older, loadingOlder, error, firstUnreadSeq, gone}
export const pending = signal({}); // thread id -> [{key, body, status: 'sending'|'failed', error}]
export const announcement = signal(''); // the text of the aria-live region

const PAGE = 50;
// A thread opens at its first unread message: at most this many pages are
// read to reach it (the "around" cursor of issue 9 will make it one).
const MAX_CATCHUP_PAGES = 10;

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

/** openThread loads a thread and its newest messages, back to its first unread one. */
export async function openThread(id) {
  open.value = { id, view: null, messages: [], older: '', loadingOlder: false, error: '', firstUnreadSeq: 0, gone: false, loaded: false };
  try {
    const [view, first] = await Promise.all([Api.thread(id), Api.messages(id, { limit: PAGE })]);
    let items = first.items;
    let older = first.nextCursor;
    const lastRead = view.lastReadSeq || 0;
    for (let i = 0; i < MAX_CATCHUP_PAGES && older && view.unread > 0 && items.length && items[items.length - 1].seq > lastRead + 1; i++) {
      const page = await Api.messages(id, { limit: PAGE, before: older });
      items = items.concat(page.items);
      older = page.nextCursor;
    }
    const mine = pb.authStore.record && pb.authStore.record.id;
    const firstUnread = view.unread > 0 ? items.filter((m) => m.seq > lastRead && m.author !== mine && !m.system).map((m) => m.seq) : [];
    update(id, () => ({
      view,
      messages: sortMessages(items.slice()),
      older,
      firstUnreadSeq: firstUnread.length ? Math.min(...firstUnread) : 0,
      loaded: true,
    }));
    patchThread(id, { unread: view.unread, lastReadSeq: view.lastReadSeq, members: view.members });
  } catch (err) {
    update(id, () => ({ error: err && err.status === 404 ? 'notFound' : 'error', loaded: true }));
  }
}

/** loadOlder prepends the page before the oldest loaded message. */
export async function loadOlder() {
  const cur = open.value;
  if (!cur || !cur.older || cur.loadingOlder) return false;
  update(cur.id, () => ({ loadingOlder: true }));
  try {
    const page = await Api.messages(cur.id, { limit: PAGE, before: cur.older });
    update(cur.id, (c) => ({ messages: mergeMessages(c.messages, page.items), older: page.nextCursor, loadingOlder: false }));
    return true;
  } catch {
    update(cur.id, () => ({ loadingOlder: false }));
    return false;
  }
}

/** catchUp merges the newest page into the open thread (after a dropped connection). */
export async function catchUp() {
  const cur = open.value;
  if (!cur || !cur.loaded || cur.error) return;
  try {
    const [view, page] = await Promise.all([Api.thread(cur.id), Api.messages(cur.id, { limit: PAGE })]);
    update(cur.id, (c) => {
      const newest = c.messages.length ? c.messages[c.messages.length - 1].seq : 0;
      // A gap bigger than a page: start over from the newest page.
      const gap = page.nextCursor && page.items.length && page.items[page.items.length - 1].seq > newest + 1;
      return gap
        ? { view, messages: sortMessages(page.items.slice()), older: page.nextCursor }
        : { view, messages: mergeMessages(c.messages, page.items) };
    });
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

/** addMessages puts live or sent messages into the open thread; it drops the matching pending sends. */
export function addMessages(threadId, msgs) {
  update(threadId, (c) => ({ messages: mergeMessages(c.messages, msgs) }));
  const mine = pb.authStore.record && pb.authStore.record.id;
  const list = pending.value[threadId];
  if (!list || !list.length) return;
  let rest = list;
  for (const m of msgs) {
    if (m.author !== mine) continue;
    // The server may echo the key (issue 9); until then, the oldest
    // pending send of the same text is this one.
    let i = m.clientKey ? rest.findIndex((p) => p.key === m.clientKey) : -1;
    if (i < 0) i = rest.findIndex((p) => p.status === 'sending' && p.body.trim() === m.body);
    if (i >= 0) rest = rest.filter((_, j) => j !== i);
  }
  if (rest !== list) pending.value = { ...pending.value, [threadId]: rest };
}

export function markDeleted(threadId, msg) {
  update(threadId, (c) => ({ messages: c.messages.map((m) => (m.id === msg.id ? { ...m, ...msg, deleted: true, body: '', html: '' } : m)) }));
}

function setPending(threadId, fn) {
  pending.value = { ...pending.value, [threadId]: fn(pending.value[threadId] || []) };
}

/** send queues body as a pending message and sends it; retry() resends with the same key. */
export function send(threadId, body) {
  const p = { key: newKey(), body, status: 'sending', error: '' };
  setPending(threadId, (l) => [...l, p]);
  return deliver(threadId, p.key);
}

export function retry(threadId, key) {
  return deliver(threadId, key);
}

export function discard(threadId, key) {
  const p = (pending.value[threadId] || []).find((x) => x.key === key);
  setPending(threadId, (l) => l.filter((x) => x.key !== key));
  return p ? p.body : '';
}

async function deliver(threadId, key) {
  const p = (pending.value[threadId] || []).find((x) => x.key === key);
  if (!p) return;
  setPending(threadId, (l) => l.map((x) => (x.key === key ? { ...x, status: 'sending', error: '' } : x)));
  try {
    const msg = await Api.send(threadId, p.body, key);
    batch(() => {
      setPending(threadId, (l) => l.filter((x) => x.key !== key));
      addMessages(threadId, [msg]);
      patchThread(threadId, { lastMessage: msg, lastActivity: msg.created });
    });
  } catch (err) {
    setPending(threadId, (l) => l.map((x) => (x.key === key ? { ...x, status: 'failed', error: err } : x)));
  }
}

export { putThreadOnTop };
