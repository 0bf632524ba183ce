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
  // clientKey makes a send idempotent once the API supports it (issue 9);
  // until then the server ignores it.
  send: (id, body, clientKey) => api('POST', `/threads/${encodeURIComponent(id)}/messages`, { body, clientKey }),
  start: (recipients, subject, body, clientKey) => api('POST', '/threads', { recipients, subject, body, clientKey }),
  read: (id) => api('POST', `/threads/${encodeURIComponent(id)}/read`),
  unread: (id) => api('POST', `/threads/${encodeURIComponent(id)}/unread`),
  mute: (id, muted) => api('POST', `/threads/${encodeURIComponent(id)}/mute`, { muted }),
  archive: (id, archived) => api('POST', `/threads/${encodeURIComponent(id)}/archive`, { archived }),
  leave: (id) => api('POST', `/threads/${encodeURIComponent(id)}/leave`),
  addMembers: (id, users) => api('POST', `/threads/${encodeURIComponent(id)}/members`, { users }),
  // Issue 9 seam: removing someone from a group.
  removeMember: (id, userId) => api('DELETE', `/threads/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`),
  setTags: (id, tags) => api('PUT', `/threads/${encodeURIComponent(id)}/tags`, { tags }),
  deleteMessage: (id) => api('DELETE', `/messages/${encodeURIComponent(id)}`),
  // Issue 9 seam: editing a message.
  editMessage: (id, body) => api('PATCH', `/messages/${encodeURIComponent(id)}`, { body }),
  // Issue 9 seam: search across conversations.
  search: (q) => api('GET', '/search', undefined, q),
  totals: () => api('GET', '/unread'),
  recipients: (q) => api('GET', '/recipients', undefined, { q, limit: 8 }),
  blocks: () => api('GET', '/blocks'),
  block: (user) => api('POST', '/blocks', { user }),
  unblock: (user) => api('DELETE', `/blocks/${encodeURIComponent(user)}`),
  preferences: () => api('GET', '/preferences'),
  setPreferences: (p) => api('PATCH', '/preferences', p),
  // Issue 9 seam: the site's inbox options (message order, composer position).
  options: () => api('GET', '/options'),
  tags: () => pb.collection('tags').getFullList({ sort: 'name', fields: 'id,name,color' }),
  createTag: (name) => pb.collection('tags').create({ user: pb.authStore.record.id, name }),
};

/** newKey returns a fresh idempotency key for one composed message. */
export function newKey() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
