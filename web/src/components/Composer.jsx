import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { me } from '../state.js';
import { send, discard, pending } from '../thread-store.js';

// Drafts are kept per user and conversation, across reloads.
export function draftKey(threadId) {
  return `pbmessaging.draft.${me.value ? me.value.id : ''}.${threadId}`;
}

export function Composer({ threadId }) {
  const [text, setText] = useState(() => localStorage.getItem(draftKey(threadId)) || '');
  const ref = useRef(null);

  useEffect(() => {
    setText(localStorage.getItem(draftKey(threadId)) || '');
  }, [threadId]);

  // A discarded failed send comes back to an empty composer.
  useEffect(() => {
    window.addEventListener('pbm:restore', onRestore);
    return () => window.removeEventListener('pbm:restore', onRestore);
  });
  function onRestore(e) {
    if (e.detail.thread === threadId && !text) change(e.detail.body);
  }

  function change(v) {
    setText(v);
    if (v) localStorage.setItem(draftKey(threadId), v);
    else localStorage.removeItem(draftKey(threadId));
  }

  function submit(e) {
    if (e) e.preventDefault();
    const body = text.trim();
    if (!body) return;
    change('');
    send(threadId, body);
    ref.current && ref.current.focus();
  }

  function onKeyDown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <form class="composer" onSubmit={submit}>
      <label for="composer-input" class="sr-only">
        {t('composerLabel')}
      </label>
      <textarea
        id="composer-input"
        ref={ref}
        rows={Math.min(6, Math.max(1, text.split('\n').length))}
        value={text}
        placeholder={t('composerPlaceholder')}
        aria-describedby="composer-hint"
        onInput={(e) => change(e.currentTarget.value)}
        onKeyDown={onKeyDown}
      />
      <span id="composer-hint" class="sr-only">
        {t('composerHint')}
      </span>
      <button class="btn primary" type="submit" disabled={!text.trim()}>
        {t('send')}
      </button>
    </form>
  );
}

/** discardToComposer drops a failed send and offers its text back to the composer. */
export function discardToComposer(threadId, key) {
  const body = discard(threadId, key);
  if (body) window.dispatchEvent(new CustomEvent('pbm:restore', { detail: { thread: threadId, body } }));
}

export { pending };
