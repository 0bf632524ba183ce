import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { cachedFileToken, onFileToken, withToken } from './api.js';

/**
 * renderBody is the one place a message body becomes DOM. A message's
 * `html` is the server's rendering of the body, sanitized there (a few
 * formatting tags, links only to http/https/mailto): it is the only
 * server text this inbox ever sets as HTML. System notes and messages
 * without html (a pending send) are plain text, which Preact sets as a text
 * node. The page's CSP forbids inline script besides.
 */
export function renderBody(message) {
  if (message.html && !message.system) {
    return h('div', { class: 'body rich', dangerouslySetInnerHTML: { __html: message.html } });
  }
  return h('div', { class: 'body' }, message.body);
}

/** renderFiles shows a message's attachments: images as thumbnails, the rest as links. */
export function renderFiles(message) {
  if (!message.files || !message.files.length) return null;
  return h(Files, { files: message.files });
}

/**
 * fileName is a stored file's name as its sender named it: PocketBase adds
 * "_" and 10 random characters before the extension when it stores a file.
 */
export function fileName(stored) {
  return stored.replace(/_[a-z0-9]{10}(\.[^.]*)?$/, '$1');
}

// useFileToken re-renders when the shared file token arrives or is renewed.
function useFileToken() {
  const [tk, setTk] = useState(cachedFileToken);
  useEffect(() => onFileToken(setTk), []);
  return tk;
}

function Files({ files }) {
  const tk = useFileToken();
  return h(
    'ul',
    { class: 'files' },
    files.map((f) => {
      const href = tk ? withToken(f.url, tk) : undefined;
      const content = f.thumb
        ? tk
          ? h('img', { src: withToken(f.thumb, tk), alt: '', loading: 'lazy', width: 100, height: 100 })
          : h('span', { class: 'thumb-wait', 'aria-hidden': 'true' })
        : null;
      return h(
        'li',
        { key: f.url, class: f.thumb ? 'image' : 'file' },
        h('a', { href, target: '_blank', rel: 'noopener', 'data-file': fileName(f.name), title: fileName(f.name) }, content, h('span', { class: f.thumb ? 'sr-only' : 'name' }, fileName(f.name))),
      );
    }),
  );
}
