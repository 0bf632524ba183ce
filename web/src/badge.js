import PocketBase, { getTokenPayload } from 'pocketbase';
import texts from './i18n/en-badge.js';

// badge.js: the unread badge for a site's own pages, on the app's origin.
// A site owner embeds it with two lines:
//
//   <script type="module" src="/badge.js"></script>
//   <messaging-unread></messaging-unread>
//
// It shares the inbox's sign-in (the SDK's LocalAuthStore, localStorage
// "pocketbase_auth"), shows the member's unread message total, kept live
// over the "messaging" realtime topic, and shows nothing to someone signed
// out, with a token the server refuses, or with nothing unread. It is its
// own entry of the build: the SDK and these few texts, not Preact or the
// inbox.
//
// Attributes: href (where the badge links; default: the inbox, which is
// served beside this script) and nolink (a plain count, e.g. inside a link
// of the site's own). Styling: the part "badge", the custom properties
// --messaging-unread-background and --messaging-unread-color, and the
// host's data-count attribute, set while a count shows.

const TOPIC = 'messaging';
// The inbox lives where this script is served: "/" for the app,
// "/messages/" when a Go app mounts it there.
const INBOX = import.meta.url.replace(/[?#].*$/, '').replace(/[^/]*$/, '');

const pb = new PocketBase(location.origin);
pb.autoCancellation(false);

// One live connection per page, however many badges it has.
const badges = new Set();
let count = 0; // unread messages, 0 while signed out
let session = 0; // bumped on every start and stop: late answers of an old one are dropped
let fetches = 0; // bumped by every event: a fetch older than an event is dropped
let unsubscribers = [];
let userId = '';
let expiry = 0;
// The SDK retries a dropped connection, never a first one that failed (the
// server down or unreachable when the page loads): start tries again after
// 1, 2, 4 … s, at most a minute apart, until it connects.
let retryTimer = 0;
let failures = 0;
const RETRY_MAX = 60000;

function show(n) {
  count = n > 0 ? n : 0;
  for (const b of badges) b.render();
}

// stop closes the connection and shows nothing; it returns its session,
// which a start that called it owns unless another start or stop came since.
async function stop() {
  const my = ++session;
  clearTimeout(expiry);
  clearTimeout(retryTimer);
  userId = '';
  const u = unsubscribers;
  unsubscribers = [];
  show(0);
  // Dropping the last listener closes the SDK's realtime connection.
  for (const f of u) await f().catch(() => {});
  return my;
}

async function start(retrying) {
  if (!retrying) failures = 0;
  const my = await stop();
  if (my !== session || !badges.size || !pb.authStore.isValid) return;
  userId = (pb.authStore.record && pb.authStore.record.id) || '';
  // Show nothing once the token expires, as if signed out (setTimeout
  // holds at most ~24 days; a later expiry is checked again then).
  const left = (getTokenPayload(pb.authStore.token).exp || 0) * 1000 - Date.now();
  expiry = setTimeout(start, Math.min(Math.max(left, 0), 2 ** 31 - 1));
  try {
    // The topic first, then PB_CONNECT: its listeners run on every later
    // connect, after the SDK has re-sent the subscriptions. PocketBase
    // replays nothing after a dropped connection, so each reconnect fetches
    // the totals again.
    const offs = [await pb.realtime.subscribe(TOPIC, (e) => onEvent(my, e))];
    offs.push(await pb.realtime.subscribe('PB_CONNECT', () => refresh(my)));
    if (my !== session) {
      for (const f of offs) await f().catch(() => {});
      return;
    }
    unsubscribers = offs;
  } catch {
    // No realtime connection: show nothing rather than a count that goes
    // stale, drop the listeners the failed subscribe left, and try again.
    if (my !== session) return;
    await pb.realtime.unsubscribe(TOPIC).catch(() => {});
    await pb.realtime.unsubscribe('PB_CONNECT').catch(() => {});
    if (my !== session) return;
    const wait = Math.min(RETRY_MAX, 1000 * 2 ** failures++);
    retryTimer = setTimeout(() => start(true), wait * (0.8 + Math.random() * 0.4));
    return;
  }
  failures = 0;
  refresh(my);
}

async function refresh(my) {
  const mine = ++fetches;
  try {
    const t = await pb.send('/api/messaging/unread', {});
    if (my === session && mine === fetches) show(t.messages);
  } catch (err) {
    // A token the server refuses (expired, revoked, another app's):
    // nothing to show, and no connection kept open for it.
    if (my === session && (err.status === 401 || err.status === 403)) stop();
  }
}

function onEvent(my, e) {
  if (my !== session || !e) return;
  if (e.totals) {
    fetches++;
    show(e.totals.messages);
  } else if (e.type === 'removed') {
    refresh(my); // no longer in a thread: its unread messages no longer count
  }
}

// Sign-in and sign-out, in this tab or another one (the LocalAuthStore
// follows the storage events of other tabs). A refreshed token of the same
// member keeps the connection and only re-reads the totals.
pb.authStore.onChange(() => {
  if (!badges.size) return;
  const id = pb.authStore.isValid && pb.authStore.record ? pb.authStore.record.id : '';
  if (id && id === userId && unsubscribers.length) refresh(session);
  else start();
});

const CSS = `
:host { display: inline-block; vertical-align: middle; }
:host(:not([data-count])) { display: none; }
[part~=badge] {
  display: inline-block; box-sizing: border-box; min-width: 1.6em; padding: 0 0.45em; border-radius: 999px;
  background: var(--messaging-unread-background, #c5221f); color: var(--messaging-unread-color, #fff);
  font-size: 0.75em; font-weight: 700; line-height: 1.6; text-align: center; text-decoration: none;
}
a:focus-visible { outline: 2px solid; outline-offset: 2px; }
@media (forced-colors: active) { [part~=badge] { border: 1px solid; } }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

let sheet = null;
function styleInto(root) {
  // A constructed sheet, not a <style> element, so that a page whose CSP
  // refuses inline styles still styles the badge.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } else {
    const s = document.createElement('style');
    s.textContent = CSS;
    root.append(s);
  }
}

class MessagingUnread extends HTMLElement {
  static get observedAttributes() {
    return ['href', 'nolink'];
  }

  constructor() {
    super();
    this._root = this.attachShadow({ mode: 'open' });
    styleInto(this._root);
    this._shown = '';
  }

  connectedCallback() {
    const first = !badges.size;
    badges.add(this);
    this.render();
    if (first && !unsubscribers.length) start();
  }

  disconnectedCallback() {
    badges.delete(this);
    // A badge moved in the page is removed and added again at once:
    // close the connection only if no badge is back by then.
    queueMicrotask(() => {
      if (!badges.size) stop();
    });
  }

  attributeChangedCallback() {
    this._shown = '';
    this.render();
  }

  render() {
    const n = badges.has(this) ? count : 0;
    const link = this.hasAttribute('nolink') ? '' : this.getAttribute('href') || INBOX;
    const key = n ? n + ' ' + link : '';
    if (key === this._shown) return;
    this._shown = key;
    for (const el of [...this._root.childNodes]) if (el.nodeName !== 'STYLE') el.remove();
    if (!n) {
      this.removeAttribute('data-count');
      return;
    }
    this.setAttribute('data-count', String(n));
    const box = document.createElement(link ? 'a' : 'span');
    if (link) box.href = link;
    box.setAttribute('part', 'badge');
    const digits = document.createElement('span');
    digits.setAttribute('aria-hidden', 'true');
    digits.textContent = n > 99 ? '99+' : String(n);
    const label = document.createElement('span');
    label.className = 'sr';
    label.textContent = texts.unreadTotal({ n });
    box.append(digits, label);
    this._root.append(box);
  }
}

if (!customElements.get('messaging-unread')) customElements.define('messaging-unread', MessagingUnread);
