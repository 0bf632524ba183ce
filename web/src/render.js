import { h } from 'preact';

/**
 * renderBody is the one place a message body becomes DOM. Today it is plain
 * text (Preact sets it as a text node, so markup in a body is shown, never
 * run). When the API sends its sanitized `html` (issue 9), this is where it
 * will be used instead — and only here.
 */
export function renderBody(message) {
  return h('div', { class: 'body' }, message.body);
}

/** renderFiles shows a message's attachments (issue 9 seam: the API has no `files` yet). */
export function renderFiles(message) {
  if (!message.files || !message.files.length) return null;
  return h(
    'ul',
    { class: 'files' },
    message.files.map((f) => {
      const url = typeof f === 'string' ? f : f.url;
      const name = typeof f === 'string' ? f.split('/').pop() : f.name;
      return h('li', { key: url }, h('a', { href: url, target: '_blank', rel: 'noopener' }, name));
    }),
  );
}
