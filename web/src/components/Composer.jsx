import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { me, options } from '../state.js';
import { send, discard, pending } from '../thread-store.js';

// Drafts are kept per user and conversation, across reloads.
export function draftKey(threadId) {
  return `pbmessaging.draft.${me.value ? me.value.id : ''}.${threadId}`;
}

/** fileSize is a size for people: 512 KB, 10 MB. */
function fileSize(n) {
  if (n >= 1 << 20) return Math.round((n / (1 << 20)) * 10) / 10 + ' MB';
  return Math.max(1, Math.round(n / 1024)) + ' KB';
}

function typeAllowed(type, patterns) {
  // No list, or a type the browser doesn't know: the server decides (it
  // looks at the content anyway).
  if (!patterns || !patterns.length || !type) return true;
  return patterns.some((p) => p === type || (p.endsWith('/*') && type.startsWith(p.slice(0, -1))));
}

/**
 * checkFiles adds picked files to the ones already chosen under the site's
 * limits (options): it returns the files kept and the errors for the rest,
 * so a member learns before uploading what the server would refuse.
 */
export function checkFiles(have, picked) {
  const o = options.value;
  const errors = [];
  const keep = have.slice();
  if (o.maxAttachments < 0) return { files: have, errors: [t('attachmentsOff')] };
  for (const f of picked) {
    if (o.maxAttachments && keep.length >= o.maxAttachments) {
      errors.push(t('tooManyFiles', { n: o.maxAttachments }));
      break;
    }
    if (o.maxAttachmentSize && f.size > o.maxAttachmentSize) {
      errors.push(t('fileTooLarge', { name: f.name, max: fileSize(o.maxAttachmentSize) }));
      continue;
    }
    if (!typeAllowed(f.type, o.attachmentTypes)) {
      errors.push(t('fileType', { name: f.name }));
      continue;
    }
    keep.push(f);
  }
  return { files: keep, errors };
}

/** dropFiles hands files dropped on the thread to its composer. */
export function dropFiles(threadId, files) {
  window.dispatchEvent(new CustomEvent('pbm:files', { detail: { thread: threadId, files: [...files] } }));
}

export function Composer({ threadId }) {
  const [text, setText] = useState(() => localStorage.getItem(draftKey(threadId)) || '');
  const [files, setFiles] = useState([]);
  const [errors, setErrors] = useState([]);
  const ref = useRef(null);
  const picker = useRef(null);
  const filesOff = options.value.maxAttachments < 0;
  const [, navigate] = useLocation();

  useEffect(() => {
    setText(localStorage.getItem(draftKey(threadId)) || '');
    setFiles([]);
    setErrors([]);
  }, [threadId]);

  // A discarded failed send comes back to an empty composer; dropped files come here.
  useEffect(() => {
    window.addEventListener('pbm:restore', onRestore);
    window.addEventListener('pbm:files', onFiles);
    return () => {
      window.removeEventListener('pbm:restore', onRestore);
      window.removeEventListener('pbm:files', onFiles);
    };
  });
  function onRestore(e) {
    if (e.detail.thread === threadId && !text) change(e.detail.body);
  }
  function onFiles(e) {
    if (e.detail.thread === threadId) addFiles(e.detail.files);
  }

  function addFiles(picked) {
    const r = checkFiles(files, picked);
    setFiles(r.files);
    setErrors(r.errors);
  }

  function change(v) {
    setText(v);
    if (v) localStorage.setItem(draftKey(threadId), v);
    else localStorage.removeItem(draftKey(threadId));
  }

  function submit(e) {
    if (e) e.preventDefault();
    const body = text.trim();
    if (!body && !files.length) return;
    change('');
    // A reply to an announcement goes to its sender privately: open that conversation.
    send(threadId, body, files).then((msg) => msg && msg.redirected && msg.thread !== threadId && navigate(`/t/${msg.thread}`));
    setFiles([]);
    setErrors([]);
    ref.current && ref.current.focus();
  }

  function onKeyDown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  function onPaste(e) {
    const pasted = e.clipboardData && [...e.clipboardData.files];
    if (!pasted || !pasted.length || filesOff) return;
    e.preventDefault();
    addFiles(pasted);
  }

  return (
    <form class="composer" onSubmit={submit}>
      {(files.length > 0 || errors.length > 0) && (
        <div class="attachments">
          {files.length > 0 && (
            <ul class="chosen" aria-label={t('chosenFiles')}>
              {files.map((f, i) => (
                <li key={i} class="chip">
                  {f.name} <span class="hint">{fileSize(f.size)}</span>
                  <button type="button" class="btn small ghost" aria-label={t('removeFile', { name: f.name })} onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                    <span aria-hidden="true">×</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {errors.map((msg, i) => (
            <p key={i} class="error" role="alert">
              {msg}
            </p>
          ))}
        </div>
      )}
      <div class="compose-row">
        {!filesOff && (
          <>
            <input
              type="file"
              id="composer-files"
              ref={picker}
              multiple
              class="sr-only"
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => {
                addFiles([...e.currentTarget.files]);
                e.currentTarget.value = '';
              }}
            />
            <button type="button" class="btn" onClick={() => picker.current.click()} aria-label={t('attach')} title={t('attach')}>
              <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                <path d="M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5" />
              </svg>
            </button>
          </>
        )}
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
          onPaste={onPaste}
        />
        <span id="composer-hint" class="sr-only">
          {t('composerHint')}
        </span>
        <button class="btn primary" type="submit" disabled={!text.trim() && !files.length}>
          {t('send')}
        </button>
      </div>
    </form>
  );
}

/** discardToComposer drops a failed send and offers its text back to the composer. */
export function discardToComposer(threadId, key) {
  const body = discard(threadId, key);
  if (body) window.dispatchEvent(new CustomEvent('pbm:restore', { detail: { thread: threadId, body } }));
}

export { pending };
