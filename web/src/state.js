import { signal, computed, batch } from '@preact/signals';
import { pb, Api } from './api.js';

// The inbox's shared state. Components read these signals; only the
// functions below (and live.js, which calls them) write them.

export const me = signal(pb.authStore.isValid ? pb.authStore.record : null);
pb.authStore.onChange(() => {
  me.value = pb.authStore.isValid ? pb.authStore.record : null;
});

/**
 * Unread totals for the header badge and the tab title: {threads, messages},
 * and requests, the pending message requests (their own badge: the server
 * leaves them out of threads and messages).
 */
export const totals = signal({ threads: 0, messages: 0, requests: 0 });

/** The inbox list and its filters; box is inbox, archived or requests. */
export const filters = signal({ box: 'inbox', unread: false, tag: '', q: '' });
export const threads = signal([]); // ThreadView items, newest activity first
export const nextCursor = signal('');
export const inboxLoading = signal(false);
export const inboxError = signal('');

/** The user's own tags, for the filter and the tags dialog. */
export const myTags = signal([]);

/** Whether the realtime connection is up (false after a drop, until it is back). */
export const connected = signal(true);

/**
 * The site's inbox options (GET /api/messaging/options), with the server's
 * defaults until they arrive: message order, composer position, the edit
 * window (-1: no editing) and the attachment limits (-1: no files).
 */
export const options = signal({
  messageOrder: 'oldest_first',
  composerPosition: 'bottom',
  maxBodyLength: 10000,
  editWindowMinutes: 15,
  maxAttachments: 5,
  maxAttachmentSize: 10 << 20,
  attachmentTypes: [],
  moderator: false, // the caller holds a moderator role: the moderator view shows
});

/** Whether the options have come (the moderator view waits for them). */
export const optionsReady = signal(false);

export const unreadTitle = computed(() => totals.value.messages);

let inboxGen = 0;

function inboxQuery(cursor) {
  const f = filters.value;
  const q = { box: f.box, limit: 30 };
  if (f.unread) q.unread = 1;
  if (f.tag) q.tag = f.tag;
  if (f.q.trim()) q.q = f.q.trim();
  if (cursor) q.cursor = cursor;
  return q;
}

/** loadInbox fetches the first page for the current filters, replacing the list. */
export async function loadInbox() {
  const gen = ++inboxGen;
  inboxLoading.value = true;
  try {
    const page = await Api.inbox(inboxQuery(''));
    if (gen !== inboxGen) return;
    batch(() => {
      threads.value = page.items;
      nextCursor.value = page.nextCursor;
      inboxError.value = '';
    });
  } catch (err) {
    if (gen === inboxGen) inboxError.value = 'error';
  } finally {
    if (gen === inboxGen) inboxLoading.value = false;
  }
}

/** loadMore appends the next page, if any. */
export async function loadMore() {
  if (!nextCursor.value || inboxLoading.value) return;
  const gen = inboxGen;
  inboxLoading.value = true;
  try {
    const page = await Api.inbox(inboxQuery(nextCursor.value));
    if (gen !== inboxGen) return;
    const seen = new Set(threads.value.map((t) => t.id));
    batch(() => {
      threads.value = threads.value.concat(page.items.filter((t) => !seen.has(t.id)));
      nextCursor.value = page.nextCursor;
    });
  } catch {
    if (gen === inboxGen) inboxError.value = 'error';
  } finally {
    if (gen === inboxGen) inboxLoading.value = false;
  }
}

let totalsGen = 0;

/** setTotals shows totals that came with a live event: newer than any answer still on its way. */
export function setTotals(t) {
  totalsGen++;
  totals.value = t;
}

export async function loadTotals() {
  const gen = ++totalsGen;
  try {
    const t = await Api.totals();
    if (gen === totalsGen) totals.value = t; // an older answer arriving late
  } catch {
    /* the next event or reconnect brings them */
  }
}

export async function loadTags() {
  try {
    myTags.value = await Api.tags();
  } catch {
    myTags.value = [];
  }
}

export async function loadOptions() {
  try {
    const o = await Api.options();
    options.value = { ...options.value, ...o };
  } catch {
    /* keep the defaults; the server checks every limit anyway */
  }
  optionsReady.value = true;
}

/** belongs tells whether a thread view fits the current inbox filters. */
export function belongs(t) {
  const f = filters.value;
  if (!inBox(t, f.box)) return false;
  if (f.unread && !t.unread) return false;
  if (f.tag && !(t.tags || []).some((x) => x.id === f.tag)) return false;
  if (f.q.trim()) return false; // a search is the server's to answer
  return true;
}

/** patchThread merges fields into a listed thread; it keeps the list order. */
export function patchThread(id, fields) {
  let found = false;
  const next = threads.value.map((t) => {
    if (t.id !== id) return t;
    found = true;
    return { ...t, ...fields };
  });
  if (found) threads.value = next.filter((t) => t.id !== id || belongsLoose(t));
  return found;
}

// A thread patched into a state that no longer fits the box (archived in
// the inbox, or the other way round) leaves the list; other filters are
// left alone until the next load, so a thread being read doesn't vanish
// from under the pointer.
function belongsLoose(t) {
  return inBox(t, filters.value.box);
}

// inBox tells whether a thread view goes in a box: a message request
// waiting for the member's answer (t.request) only in Requests.
function inBox(t, box) {
  if (box === 'requests') return !!t.request;
  return !t.request && !!t.archived === (box === 'archived');
}

/** putThreadOnTop puts a fresh thread view first in the list, if it fits. */
export function putThreadOnTop(view) {
  const rest = threads.value.filter((t) => t.id !== view.id);
  threads.value = belongs(view) || (threads.value.some((t) => t.id === view.id) && belongsLoose(view)) ? [view, ...rest] : rest;
}

export function removeThread(id) {
  threads.value = threads.value.filter((t) => t.id !== id);
}

export function signOut() {
  pb.authStore.clear();
  pb.realtime.unsubscribe();
  batch(() => {
    threads.value = [];
    nextCursor.value = '';
    setTotals({ threads: 0, messages: 0, requests: 0 });
    myTags.value = [];
    options.value = { ...options.value, moderator: false };
    optionsReady.value = false;
  });
}
