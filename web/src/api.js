import PocketBase from 'pocketbase';

// The API lives at the site's root, wherever the inbox is mounted.
export const pb = new PocketBase(location.origin);
pb.autoCancellation(false);

/** The inbox's own URL path (the <base href> the server wrote), without a trailing slash. */
export const basePath = new URL(document.baseURI).pathname.replace(/\/$/, '');

/** api calls /api/messaging{path}; it throws the SDK's ClientResponseError. */
export function api(method, path, body, query) {
  return pb.send('/api/messaging' + path, { method, body, query });
}

/** errorText is what to show for a failed call: the server's own message when it has one. */
export function errorText(err, fallback) {
  if (err && err.status === 0) return fallback.network;
  const msg = err && err.response && err.response.message;
  if (msg) return msg;
  return fallback.generic;
}

export const Api = {
  inbox: (q) => api('GET', '/threads', undefined, q),
  thread: (id) => api('GET', `/threads/${encodeURIComponent(id)}`),
  messages: (id, q) => api('GET', `/threads/${encodeURIComponent(id)}/messages`, undefined, q),
  // clientKey makes a send idempotent: a retry with the same key returns the original.
  send: (id, body, clientKey) => api('POST', `/threads/${encodeURIComponent(id)}/messages`, { body, clientKey }),
  // extra: roles, to and announcement (issue 13), sent only when set.
  start: (recipients, subject, body, clientKey, extra) => api('POST', '/threads', { recipients, subject, body, clientKey, ...extra }),
  // upTo: the newest message shown; later ones stay unread.
  read: (id, upTo) => api('POST', `/threads/${encodeURIComponent(id)}/read`, upTo ? { upTo } : undefined),
  unread: (id) => api('POST', `/threads/${encodeURIComponent(id)}/unread`),
  mute: (id, muted) => api('POST', `/threads/${encodeURIComponent(id)}/mute`, { muted }),
  archive: (id, archived) => api('POST', `/threads/${encodeURIComponent(id)}/archive`, { archived }),
  acceptRequest: (id) => api('POST', `/threads/${encodeURIComponent(id)}/accept`),
  declineRequest: (id) => api('POST', `/threads/${encodeURIComponent(id)}/decline`),
  leave: (id) => api('POST', `/threads/${encodeURIComponent(id)}/leave`),
  addMembers: (id, users) => api('POST', `/threads/${encodeURIComponent(id)}/members`, { users }),
  removeMember: (id, userId) => api('DELETE', `/threads/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`),
  setTags: (id, tags) => api('PUT', `/threads/${encodeURIComponent(id)}/tags`, { tags }),
  // One action on up to 100 conversations: {action, threads, totals}.
  bulk: (action, ids, tag) => api('POST', '/threads/bulk', tag ? { action, threads: ids, tag } : { action, threads: ids }),
  readAll: () => api('POST', '/threads/read-all'),
  // A page of a thread's current members, ordered by id: {items, nextCursor}.
  members: (id, cursor, limit = 50) => api('GET', `/threads/${encodeURIComponent(id)}/members`, undefined, cursor ? { limit, cursor } : { limit }),
  deleteMessage: (id) => api('DELETE', `/messages/${encodeURIComponent(id)}`),
  editMessage: (id, body) => api('PATCH', `/messages/${encodeURIComponent(id)}`, { body }),
  // q: {q, thread?, before?, limit?}; items carry an HTML-escaped snippet.
  search: (q) => api('GET', '/search', undefined, q),
  totals: () => api('GET', '/unread'),
  recipients: (q) => api('GET', '/recipients', undefined, { q, limit: 8 }),
  blocks: () => api('GET', '/blocks'),
  block: (user) => api('POST', '/blocks', { user }),
  unblock: (user) => api('DELETE', `/blocks/${encodeURIComponent(user)}`),
  preferences: () => api('GET', '/preferences'),
  setPreferences: (p) => api('PATCH', '/preferences', p),
  // The site's inbox options: layout, edit window, attachment limits.
  options: () => api('GET', '/options'),
  // Reports: target is {message} or {thread, user?}; the same report again returns the first.
  report: (target, reason, details) => api('POST', '/reports', { ...target, reason, details }),
  myReports: () => api('GET', '/reports/mine', undefined, { limit: 100 }),
  // Moderators only (the server answers 403 to anyone else).
  modQueue: (state, cursor, limit = 30) => api('GET', '/moderation/reports', undefined, cursor ? { state, limit, cursor } : { state, limit }),
  modReport: (id) => api('GET', `/moderation/reports/${encodeURIComponent(id)}`),
  modAct: (id, action, reason) => api('POST', `/moderation/reports/${encodeURIComponent(id)}`, { action, reason }),
  tags: () => pb.collection('tags').getFullList({ sort: 'name', fields: 'id,name,color' }),
  createTag: (name) => pb.collection('tags').create({ user: pb.authStore.record.id, name }),
};

/** newKey returns a fresh idempotency key for one composed message. */
export function newKey() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * upload sends a message with files as multipart/form-data through
 * XMLHttpRequest, the one browser API that reports upload progress:
 * onProgress gets a fraction from 0 to 1. It resolves with the message and
 * rejects with an error shaped like the SDK's ({status, response}).
 */
export function upload(threadId, body, clientKey, files, onProgress) {
  const form = new FormData();
  form.append('body', body);
  form.append('clientKey', clientKey);
  for (const f of files) form.append('files', f, f.name);
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', pb.buildURL(`/api/messaging/threads/${encodeURIComponent(threadId)}/messages`));
    if (pb.authStore.token) x.setRequestHeader('Authorization', pb.authStore.token);
    x.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded / e.total);
    x.onload = () => {
      let json = null;
      try {
        json = JSON.parse(x.responseText);
      } catch {
        /* not JSON: a proxy's page */
      }
      if (x.status >= 200 && x.status < 300) resolve(json);
      else reject({ status: x.status, response: json || {} });
    };
    x.onerror = () => reject({ status: 0, response: {} });
    x.send(form);
  });
}

// Files are protected: a URL needs a file token (PocketBase's, valid for
// about 3 minutes). One token serves every file; it is renewed before it
// runs out, and whoever shows files re-renders when it changes.
let token = '';
let tokenAt = 0;
let tokenReq = null;
const tokenListeners = new Set();

/** fileToken returns the current file token, fetching one when needed. */
export function fileToken() {
  if (token && Date.now() - tokenAt < 120000) return Promise.resolve(token);
  if (!tokenReq) {
    tokenReq = pb.files
      .getToken()
      .then((tk) => {
        token = tk;
        tokenAt = Date.now();
        tokenListeners.forEach((f) => f(tk));
        return tk;
      })
      .finally(() => (tokenReq = null));
  }
  return tokenReq;
}

/** cachedFileToken is the token if it is fresh, else '' (and a fetch is started). */
export function cachedFileToken() {
  if (token && Date.now() - tokenAt < 120000) return token;
  fileToken().catch(() => {});
  return '';
}

export function onFileToken(f) {
  tokenListeners.add(f);
  return () => tokenListeners.delete(f);
}

/** withToken appends the file token to a file's url (which may already have a query). */
export function withToken(url, tk) {
  return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(tk);
}
