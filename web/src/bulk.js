import { signal, computed, batch } from '@preact/signals';
import { Api } from './api.js';
import { threads, filters, setTotals, loadInbox, myTags } from './state.js';
import { open, setView, reloadView, openThread } from './thread-store.js';

// Select mode of the inbox and the bulk actions (POST /threads/bulk and
// /threads/read-all). The selection is kept as ids; what is acted on is
// the part of it still listed (a thread that left the box meanwhile, live,
// is not acted on unseen).

export const selecting = signal(false);
export const selection = signal(new Set());

/** selectedIds are the selected threads still in the list, in list order. */
export const selectedIds = computed(() => threads.value.filter((x) => selection.value.has(x.id)).map((x) => x.id));

/** The server takes at most this many threads per request (messaging.MaxBulkThreads). */
const CHUNK = 100;

export function setSelecting(on) {
  batch(() => {
    selecting.value = on;
    selection.value = new Set();
  });
}

export function toggleSelected(id, on) {
  const next = new Set(selection.value);
  if (on) next.add(id);
  else next.delete(id);
  selection.value = next;
}

export function selectAll(on) {
  selection.value = on ? new Set(threads.value.map((x) => x.id)) : new Set();
}

/**
 * runBulk applies action to ids, 100 at a time, and shows the result at
 * once (the live "bulk" event then does the same in every tab, this one
 * included). tag is a tag id for tag/untag. It resolves with the number of
 * threads changed and throws the first failed request's error (the chunks
 * before it are done: each is all or nothing on the server).
 */
export async function runBulk(action, ids, tag) {
  let done = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const res = await Api.bulk(action, ids.slice(i, i + CHUNK), tag);
    done += res.threads.length;
    batch(() => {
      setTotals(res.totals);
      showBulk(action, res.threads, tag);
    });
  }
  return done;
}

/** readAll marks every conversation of the inbox and archive read. */
export async function readAll() {
  const res = await Api.readAll();
  batch(() => {
    setTotals(res.totals);
    showBulk('read-all', res.threads);
  });
  return res.threads.length;
}

/**
 * showBulk shows what a bulk action did to threads (from the response, or
 * the live event, which has no tag id): the listed threads are patched
 * where the result is known, and the list is fetched again where it isn't
 * (unread counts, a tag, threads coming into the box shown).
 */
export function showBulk(action, ids, tag) {
  const set = new Set(ids);
  const box = filters.value.box;
  let reload = false;
  let fields = null;
  const tagObj = tag && myTags.value.find((x) => x.id === tag);
  switch (action) {
    case 'read':
    case 'read-all':
      fields = () => ({ unread: 0 });
      break;
    case 'archive':
    case 'unarchive': {
      const archived = action === 'archive';
      fields = () => ({ archived });
      // Threads may come into the box shown: only the server has them.
      if (box === (archived ? 'archived' : 'inbox')) reload = true;
      break;
    }
    case 'mute':
    case 'unmute':
      fields = () => ({ muted: action === 'mute' });
      break;
    case 'tag':
    case 'untag':
      if (!tagObj) reload = true;
      else fields = (x) => ({ tags: action === 'tag' ? (x.tags || []).filter((g) => g.id !== tag).concat([tagObj]) : (x.tags || []).filter((g) => g.id !== tag) });
      break;
    case 'delete': // delete for me: gone from every box until someone writes
      threads.value = threads.value.filter((x) => !set.has(x.id));
      break;
    default: // unread, and anything newer than this code
      reload = true;
  }
  if (fields) {
    const boxOf = (x) => (x.request ? 'requests' : x.archived ? 'archived' : 'inbox');
    threads.value = threads.value.map((x) => (set.has(x.id) ? { ...x, ...fields(x) } : x)).filter((x) => !set.has(x.id) || boxOf(x) === box);
  }
  if (reload) loadInbox();
  const cur = open.value;
  if (cur && set.has(cur.id) && cur.loaded && !cur.error) {
    if (action === 'delete') openThread(cur.id, ''); // its messages so far are hidden now
    else if (fields && cur.view) setView(cur.id, fields(cur.view));
    else reloadView(cur.id);
  }
}
