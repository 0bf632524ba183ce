import { batch } from '@preact/signals';
import { pb, Api } from './api.js';
import { t } from './i18n/index.js';
import { setTotals, threads, patchThread, putThreadOnTop, removeThread, belongs, loadInbox, loadTotals, myTags, connected, filters } from './state.js';
import { showBulk } from './bulk.js';
import { onReportEvent, loadOpenCount } from './reports.js';
import { open, addMessages, markDeleted, catchUp, reloadView, setView, announcement, newestSeq, authorsOf } from './thread-store.js';

// The live channel: the plugin's "messaging" realtime topic. Every tab
// has its own connection and gets every event of its user, so tabs and
// devices stay in step without talking to each other. PocketBase replays
// nothing after a dropped connection: on every reconnect the inbox, the
// totals and the open thread's newest page are fetched again.

export const TOPIC = 'messaging';

let unsubscribers = [];
let liveGen = 0;

export async function startLive() {
  await stopLive();
  const gen = ++liveGen;
  pb.realtime.onDisconnect = (active) => {
    if (active.length) connected.value = false;
  };
  // The topic first, then PB_CONNECT, whose listeners run on every later
  // connect after the SDK has re-sent the subscriptions. The first loads
  // (App) run alongside the subscribing, so anything that happened before
  // the topic was subscribed is fetched again once it is: a message sent
  // meanwhile would otherwise wait for the next event to show.
  const offs = [await pb.realtime.subscribe(TOPIC, onEvent)];
  offs.push(
    await pb.realtime.subscribe('PB_CONNECT', () => {
      connected.value = true;
      catchUpAll();
    }),
  );
  unsubscribers = offs;
  if (gen !== liveGen) return stopLive(); // signed out meanwhile
  catchUpAll();
}

export async function stopLive() {
  liveGen++;
  const u = unsubscribers;
  unsubscribers = [];
  for (const f of u) {
    try {
      await f();
    } catch {
      /* already gone */
    }
  }
}

export function catchUpAll() {
  loadInbox();
  loadTotals();
  loadOpenCount();
  catchUp().then(markOpenReadIfSeen);
}

function isOpen(threadId) {
  return open.value && open.value.id === threadId && open.value.loaded && !open.value.error;
}

let readTimer = 0;
/**
 * markOpenReadIfSeen marks the open thread read when this tab shows it, up
 * to the newest message shown (upTo): a thread opened in its past, with
 * newer messages not loaded yet, keeps those unread.
 */
export function markOpenReadIfSeen() {
  const cur = open.value;
  if (!cur || !cur.loaded || cur.error || cur.gone || document.visibilityState !== 'visible') return;
  const listed = threads.value.find((x) => x.id === cur.id);
  const unread = listed ? listed.unread : cur.view && cur.view.unread;
  const lastRead = Math.max((listed && listed.lastReadSeq) || 0, (cur.view && cur.view.lastReadSeq) || 0);
  const upTo = newestSeq(cur);
  if (!unread || upTo <= lastRead) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => Api.read(cur.id, String(upTo)).catch(() => {}), 150);
}
document.addEventListener('visibilitychange', markOpenReadIfSeen);

function tagObjects(ids) {
  const byId = new Map(myTags.value.map((x) => [x.id, x]));
  return ids.map((id) => byId.get(id) || { id, name: '', color: '' });
}

async function refreshListed(threadId, moveToTop) {
  try {
    const view = await Api.thread(threadId);
    if (moveToTop) putThreadOnTop(view);
    else patchThread(threadId, view);
  } catch (err) {
    if (err && err.status === 404) removeThread(threadId);
  }
}

/**
 * requestAnswered shows a message request answered (state: accepted or
 * declined): accepted, it leaves Requests for the inbox; declined, it is
 * gone for this member (an open view of it says so).
 */
export function requestAnswered(id, state) {
  batch(() => {
    if (state === 'declined') {
      removeThread(id);
      if (open.value && open.value.id === id) open.value = { ...open.value, gone: true, declined: true };
      return;
    }
    const wasListed = threads.value.some((x) => x.id === id);
    patchThread(id, { request: false });
    if (isOpen(id)) setView(id, { request: false });
    if (!wasListed && filters.value.box === 'inbox') loadInbox();
  });
}

function onEvent(e) {
  if (!e || !e.type) return;
  const id = e.thread;
  const me = pb.authStore.record && pb.authStore.record.id;
  batch(() => {
    if (e.totals) setTotals(e.totals);
    switch (e.type) {
      case 'message': {
        const listed = threads.value.find((x) => x.id === id);
        if (listed && !listed.archived && filters.value.box === 'inbox' && belongs({ ...listed, unread: e.unread })) {
          putThreadOnTop({ ...listed, lastMessage: e.message, lastActivity: e.message.created, unread: e.unread });
        } else {
          // New, archived (new activity brings it back) or filtered: ask.
          refreshListed(id, true);
        }
        if (isOpen(id)) {
          addMessages(id, [e.message]);
          if (e.message.author !== me) {
            const who = authorsOf(open.value).get(e.message.author);
            const name = e.message.system ? '' : who ? who.name : t('deletedUser');
            announcement.value = e.message.system ? e.message.body : t('messageFrom', { name, body: e.message.body });
            markOpenReadIfSeen();
          }
          if (e.message.system) reloadView(id);
        }
        break;
      }
      case 'deleted':
      case 'edited': {
        const listed = threads.value.find((x) => x.id === id);
        if (listed && listed.lastMessage && listed.lastMessage.id === e.message.id) patchThread(id, { lastMessage: e.message, unread: e.unread });
        else if (e.unread !== undefined) patchThread(id, { unread: e.unread });
        if (isOpen(id)) {
          if (e.type === 'deleted') markDeleted(id, e.message);
          else addMessages(id, [e.message]);
        }
        break;
      }
      case 'read':
        patchThread(id, { unread: e.unread, lastReadSeq: e.lastReadSeq });
        if (isOpen(id)) setView(id, { unread: e.unread, lastReadSeq: e.lastReadSeq });
        break;
      case 'seen': // the other member of a direct thread read up to seq
        if (isOpen(id)) setView(id, { peerLastReadSeq: e.seq });
        break;
      case 'membership': {
        const fields = { muted: e.muted, archived: e.archived, tags: tagObjects(e.tags || []) };
        const wasListed = threads.value.some((x) => x.id === id);
        patchThread(id, fields);
        if (!wasListed && filters.value.box !== 'requests' && !!e.archived === (filters.value.box === 'archived')) loadInbox();
        if (isOpen(id)) setView(id, fields);
        break;
      }
      case 'members':
        if (threads.value.some((x) => x.id === id)) refreshListed(id, false);
        if (isOpen(id)) reloadView(id);
        break;
      case 'bulk': // a bulk action or read-all, in this tab or another: one event for all its threads
                showBulk(e.action, e.threads || []);
        break;
      case 'report': // a new report (moderators), or one of mine was handled
        onReportEvent(e);
        break;
      case 'request': // accepted or declined, here or in another tab
        requestAnswered(id, e.state);
        break;
      case 'removed':
        removeThread(id);
        if (open.value && open.value.id === id) open.value = { ...open.value, gone: true };
        break;
    }
  });
}
