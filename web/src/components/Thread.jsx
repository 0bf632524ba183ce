import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { me, threads, options, filters, loadInbox, loadTotals } from '../state.js';
import { open, openThread, loadOlder, loadNewer, pending, retry, announcement, edit, authorsOf } from '../thread-store.js';
import { markOpenReadIfSeen, requestAnswered } from '../live.js';
import { Api, errorText } from '../api.js';
import { clockTime, longTime, dayKey, dayLabel, others, threadTitle, parseDate, namesOf } from '../format.js';
import { renderBody, renderFiles } from '../render.js';
import { Avatar } from './Avatar.jsx';
import { Composer, discardToComposer, dropFiles } from './Composer.jsx';
import { ThreadMenu } from './ThreadMenu.jsx';
import { MemberCount } from './Members.jsx';
import { AnnouncementBanner } from './Announcement.jsx';
import { ReportDialog } from './ReportDialog.jsx';

// Thread shows one conversation; at is a message to open it at (a search
// hit), highlighted; without it the thread opens at the first unread.
export function Thread({ id, at }) {
  useEffect(() => {
    openThread(id, at).then(markOpenReadIfSeen);
    announcement.value = '';
  }, [id, at]);

  const cur = open.value;
  const user = me.value;
  if (!cur || cur.id !== id || !cur.loaded) {
    return <p class="empty" role="status">{t('loading')}</p>;
  }
  if (cur.declined) {
    return (
      <div class="empty">
        <p role="alert">{t('requestDeclined')}</p>
        <Link href="/">{t('backToRequests')}</Link>
      </div>
    );
  }
  if (cur.error || cur.gone) {
    return (
      <div class="empty">
        <p role="alert">{cur.gone ? t('threadGone') : cur.error === 'notFound' ? t('threadNotFound') : cur.error === 'badHit' ? t('hitGone') : t('genericError')}</p>
        <Link href="/">{t('back')}</Link>
      </div>
    );
  }
  const view = cur.view;
  const listed = threads.value.find((x) => x.id === id);
  const state = listed ? { ...view, muted: listed.muted, archived: listed.archived, tags: listed.tags } : view;
  const people = others(view, user.id);
  const above = options.value.composerPosition === 'top';
  return (
    <section
      class={'thread-view' + (above ? ' composer-above' : '')}
      aria-labelledby="thread-title"
      onDragOver={(e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files') && e.preventDefault()}
      onDrop={(e) => {
        if (!e.dataTransfer || !e.dataTransfer.files.length) return;
        e.preventDefault();
        dropFiles(id, e.dataTransfer.files);
      }}
    >
      <header class="thread-head">
        <Link href="/" class="btn back" aria-label={t('back')}>
          <span aria-hidden="true">←</span>
        </Link>
        <div class="who">
          <h1 id="thread-title">{threadTitle(view, user.id)}</h1>
          {view.kind === 'group' ? (
            // A group: its size (a button to the paged list of everyone) and the first few names.
            <p class="participants">
              <MemberCount view={view} />
              {' · '}
              <span class="sr-only">{t('participants')}: </span>
              {namesOf(view, user.id, 3)}
            </p>
          ) : (
            <p class="participants">
              <span class="sr-only">{t('participants')}: </span>
              {people.map((m, i) => (
                <span key={m.id}>
                  {i > 0 && ', '}
                  {m.name}
                  {m.username && m.username !== m.name && <span class="handle"> @{m.username}</span>}
                </span>
              ))}
            </p>
          )}
        </div>
        <ThreadMenu thread={state} meId={user.id} />
      </header>
      {view.request && <RequestBanner view={view} cur={cur} meId={user.id} />}
      <AnnouncementBanner view={view} meId={user.id} />
      <MessageList cur={cur} meId={user.id} />
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement.value}
      </div>
      <Composer threadId={id} />
    </section>
  );
}

// RequestBanner shows a message request waiting for the member's answer:
// who wrote, and Accept (to the inbox) or Decline (gone; the sender isn't
// told). Replying accepts too. Accepting puts the focus in the composer;
// declining goes back to the Requests box, its button focused.
function RequestBanner({ view, cur, meId }) {
  const [, navigate] = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  // Who asked: the author of the first message shown from someone else, or
  // the other member of a direct conversation.
  const first = cur.messages.find((m) => !m.system && m.author && m.author !== meId);
  const who = (first && view.members.find((m) => m.id === first.author)) || others(view, meId)[0];
  const name = who ? who.name : t('deletedUser');

  async function answer(accept) {
    if (!accept && !confirm(t('confirmDecline', { name }))) return;
    setBusy(true);
    setError('');
    try {
      await (accept ? Api.acceptRequest(view.id) : Api.declineRequest(view.id));
    } catch (err) {
      setBusy(false);
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
      return;
    }
    loadTotals();
    if (accept) {
      requestAnswered(view.id, 'accepted');
      // It is in the inbox now: show the inbox, with the conversation in it.
      if (filters.value.box === 'requests') {
        filters.value = { ...filters.value, box: 'inbox' };
        loadInbox();
      }
      setTimeout(() => {
        const box = document.getElementById('composer-input');
        box && box.focus();
      }, 0);
    } else {
      navigate('/');
      requestAnswered(view.id, 'declined');
      if (filters.value.box !== 'requests') {
        filters.value = { ...filters.value, box: 'requests' };
        loadInbox();
      }
      setTimeout(() => {
        const box = document.getElementById('box-requests');
        box && box.focus();
      }, 0);
    }
  }

  return (
    <section class="request-banner" aria-labelledby="request-title" aria-describedby="request-help" data-testid="request-banner">
      <h2 id="request-title">{t('requestFrom', { name })}</h2>
      <p id="request-help" class="hint">
        {t('requestHelp', { name })}
      </p>
      <div class="row">
        <button type="button" class="btn primary" disabled={busy} onClick={() => answer(true)}>
          {t('acceptRequest')}
        </button>
        <button type="button" class="btn" disabled={busy} onClick={() => answer(false)}>
          {t('declineRequest')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function MessageList({ cur, meId }) {
  const box = useRef(null);
  const keep = useRef(null); // distance from the far end to restore after adding older messages
  const first = useRef(true);
  const stick = useRef(true); // at the newest end: new messages keep it there
  const lastCount = useRef(0);
  const anchor = useRef(null); // newest first: the message at the top of the view before this render
  const byId = authorsOf(cur); // the view's members and the authors found past them
  const mine = pending.value[cur.id] || [];
  const newestFirst = options.value.messageOrder === 'newest_first';
  // Newest first, newer messages go in above what the reader looks at:
  // note where the first message in view is before the DOM changes, to put
  // it back there after (the browser's scroll anchoring is off for .messages).
  if (newestFirst && box.current && !first.current) anchor.current = firstInView(box.current);
  const [, setClock] = useState(0);
  const closes = nextEditClose(cur.messages, meId);

  // One timer for the soonest edit window to close: the list renders again
  // then, and that message's edit button goes (the next timer is for the next one).
  useEffect(() => {
    if (!closes) return;
    const timer = setTimeout(() => setClock(Date.now()), Math.min(Math.max(closes - Date.now(), 0) + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [closes]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const toNewest = () => (el.scrollTop = newestFirst ? 0 : el.scrollHeight);
    if (first.current) {
      first.current = false;
      const target = el.querySelector('.hit') || el.querySelector('.divider');
      if (target) {
        const top = target.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop;
        el.scrollTop = Math.max(0, top - (target.classList.contains('hit') ? el.clientHeight / 3 : 8));
      } else toNewest();
    } else if (keep.current !== null) {
      // Older messages went in at the top (oldest first): keep what is on screen where it was.
      if (!newestFirst) el.scrollTop = el.scrollHeight - keep.current;
      keep.current = null;
    } else if (stick.current || mine.length > lastCount.current) {
      toNewest();
    } else if (newestFirst && anchor.current) {
      const { seq, offset } = anchor.current;
      const now = el.querySelector(`[data-seq="${seq}"]`);
      if (now) el.scrollTop += now.getBoundingClientRect().top - el.getBoundingClientRect().top - offset;
    }
    anchor.current = null;
    lastCount.current = mine.length;
  });

  async function onScroll() {
    const el = box.current;
    const fromTop = el.scrollTop;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    const [olderGap, newerGap] = newestFirst ? [fromBottom, fromTop] : [fromTop, fromBottom];
    stick.current = newerGap < 80 && !cur.hasNewer;
    if (olderGap < 200 && cur.older && !cur.loadingOlder) {
      keep.current = el.scrollHeight - el.scrollTop;
      const added = await loadOlder();
      if (!added) keep.current = null;
    }
    if (newerGap < 200 && cur.hasNewer && !cur.loadingNewer) {
      if (await loadNewer()) markOpenReadIfSeen();
    }
  }

  const rows = [];
  let lastDay = 0;
  let group = null;
  const view = cur.view;
  // "Seen": the other member of a direct thread read up to peerLastReadSeq;
  // it shows under my newest message at or below it.
  const peerSeq = view.peerLastReadSeq || 0;
  let seenSeq = 0;
  for (const m of cur.messages) if (m.author === meId && !m.system && !m.deleted && m.seq <= peerSeq) seenSeq = m.seq;
  const list = newestFirst ? cur.messages.slice().reverse() : cur.messages;
  const divider = (
    <li class="divider" key="divider">
      <span>{t('newMessages')}</span>
    </li>
  );
  for (const m of list) {
    const day = dayKey(m.created);
    if (day !== lastDay) {
      rows.push(
        <li class="day" key={'d' + day}>
          <span>{dayLabel(m.created)}</span>
        </li>,
      );
      lastDay = day;
      group = null;
    }
    if (!newestFirst && m.seq === cur.firstUnreadSeq) {
      rows.push(divider);
      group = null;
    }
    if (m.system) {
      rows.push(
        <li class={'system' + (m.id === cur.highlight ? ' hit' : '')} key={m.id} data-seq={m.seq}>
          {renderBody(m)}
        </li>,
      );
      group = null;
    } else {
      const authorKey = m.authorDeleted ? '#deleted' : m.author;
      if (!group || group.author !== authorKey) {
        const who = m.authorDeleted ? { id: '', name: t('deletedUser') } : byId.get(m.author) || { id: m.author, name: t('deletedUser') };
        group = { author: authorKey, items: [], who, mine: m.author === meId, key: m.id };
        rows.push(group);
      }
      group.items.push(m);
    }
    if (newestFirst && m.seq === cur.firstUnreadSeq) {
      rows.push(divider);
      group = null;
    }
  }

  const pendingRows = mine.map((p) => (
    <li class="group mine" key={p.key}>
      <div class="bubbles">
        <div class={'bubble pending ' + p.status} data-pending={p.status}>
          {p.body && <div class="body">{p.body}</div>}
          {p.files.length > 0 && (
            <ul class="files uploading">
              {p.files.map((f, i) => (
                <li key={i} class="file">
                  <span class="name">{f.name}</span>
                </li>
              ))}
            </ul>
          )}
          {p.status === 'sending' ? (
            p.files.length > 0 ? (
              <label class="status">
                {t('uploading')}{' '}
                <progress max="1" value={p.progress} aria-label={t('uploadProgress')}>
                  {Math.round(p.progress * 100)}%
                </progress>
              </label>
            ) : (
              <p class="status">{t('sending')}</p>
            )
          ) : (
            <p class="status error" role="alert">
              {t('sendFailed', { reason: errorText(p.error, { network: t('networkError'), generic: t('genericError') }) })}{' '}
              <button type="button" class="btn small" onClick={() => retry(cur.id, p.key)}>
                {t('retrySend')}
              </button>{' '}
              <button type="button" class="btn small" onClick={() => discardToComposer(cur.id, p.key)}>
                {t('discard')}
              </button>
            </p>
          )}
        </div>
      </div>
    </li>
  ));

  const older = cur.older ? <p class="more">{cur.loadingOlder ? t('loadingOlder') : ''}</p> : <p class="more">{t('beginning')}</p>;
  const newer = cur.hasNewer ? <p class="more">{cur.loadingNewer ? t('loadingNewer') : ''}</p> : null;
  return (
    <div
      class="messages"
      ref={box}
      onScroll={onScroll}
      tabIndex={0}
      role="region"
      aria-label={t('messageList')}
      data-order={newestFirst ? 'newest_first' : 'oldest_first'}
    >
      {newestFirst ? newer : older}
      <ol>
        {newestFirst && pendingRows}
        {rows.map((r) =>
          r.items ? (
            <li class={'group' + (r.mine ? ' mine' : '')} key={r.key}>
              {!r.mine && <Avatar member={r.who} size={32} />}
              <div class="bubbles">
                <p class="author">
                  <span class="name">{r.mine ? t('you') : r.who.name}</span>{' '}
                  <time datetime={r.items[0].created} title={longTime(r.items[0].created)}>
                    {clockTime(r.items[0].created)}
                  </time>
                </p>
                {r.items.map((m) => (
                  <Bubble key={m.id} m={m} threadId={cur.id} mine={r.mine} seen={r.mine && m.seq === seenSeq} hit={m.id === cur.highlight} canEdit={r.mine && editable(m.created)} />
                ))}
              </div>
            </li>
          ) : (
            r
          ),
        )}
        {!newestFirst && pendingRows}
      </ol>
      {newestFirst ? older : newer}
    </div>
  );
}

/** firstInView is the first message (by data-seq) showing in the list el, and its offset from el's top. */
function firstInView(el) {
  const top = el.getBoundingClientRect().top;
  for (const m of el.querySelectorAll('[data-seq]')) {
    const r = m.getBoundingClientRect();
    if (r.bottom > top) return { seq: m.dataset.seq, offset: r.top - top };
  }
  return null;
}

/** editClosesAt is when the edit window (options) closes for a message sent at created (0: never open). */
function editClosesAt(created) {
  const w = options.value.editWindowMinutes;
  if (w == null || w < 0) return 0;
  const d = parseDate(created);
  return d ? d.getTime() + w * 60000 : 0;
}

/** editable tells whether the edit window is still open for a message sent at created. */
function editable(created) {
  return Date.now() < editClosesAt(created);
}

/** nextEditClose is the soonest time an edit window of one's own shown messages closes (0: none open). */
function nextEditClose(messages, meId) {
  const now = Date.now();
  let soonest = 0;
  for (const m of messages) {
    if (m.author !== meId || m.system || m.deleted) continue;
    const at = editClosesAt(m.created);
    if (at > now && (!soonest || at < soonest)) soonest = at;
  }
  return soonest;
}

// canEdit comes from the list, which renders again when an edit window
// closes: a Bubble whose props are unchanged doesn't (signals' sCU).
function Bubble({ m, threadId, mine, seen, hit, canEdit }) {
  const [editing, setEditing] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [error, setError] = useState('');
  const editBtn = useRef(null);
  const reportBtn = useRef(null);
  async function del() {
    if (!confirm(t('confirmDeleteMessage'))) return;
    setError('');
    try {
      await Api.deleteMessage(m.id);
    } catch (err) {
      // e.g. 403 "This message is under review." while a report holds it.
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }
  function stopEditing() {
    setEditing(false);
    setTimeout(() => editBtn.current && editBtn.current.focus(), 0);
  }
  return (
    <div class={'bubble' + (m.deleted ? ' deleted' : '') + (hit ? ' hit' : '')} data-seq={m.seq} data-id={m.id}>
      {m.deleted ? (
        <p class="body">{t('deletedMessage')}</p>
      ) : editing ? (
        <EditBox threadId={threadId} m={m} onDone={stopEditing} />
      ) : (
        renderBody(m)
      )}
      {!m.deleted && renderFiles(m)}
      {m.edited && !m.deleted && (
        <span class="edited" title={longTime(m.edited)}>
          {t('edited')}
        </span>
      )}
      {seen && <span class="seen">{t('seen')}</span>}
      {mine && !m.deleted && !editing && (
        <span class="actions">
          {canEdit && (m.body || !m.files || !m.files.length) && (
            <button type="button" class="btn small ghost" ref={editBtn} onClick={() => setEditing(true)} aria-label={t('editMessage')} title={t('editMessage')}>
              <span aria-hidden="true">✎</span>
            </button>
          )}
          <button type="button" class="btn small ghost del" onClick={del} aria-label={t('deleteMessage')} title={t('deleteMessage')}>
            <span aria-hidden="true">🗑</span>
          </button>
        </span>
      )}
      {!mine && !m.deleted && (
        <span class="actions theirs">
          <button type="button" class="btn small ghost" ref={reportBtn} onClick={() => setReporting(true)} aria-label={t('reportMessage')} title={t('reportMessage')}>
            <span aria-hidden="true">⚑</span>
          </button>
        </span>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {reporting && (
        <ReportDialog
          message={m.id}
          onClose={() => {
            setReporting(false);
            setTimeout(() => reportBtn.current && reportBtn.current.focus(), 0);
          }}
        />
      )}
    </div>
  );
}

// EditBox is the inline editor of one's own message: Enter saves,
// Shift+Enter breaks the line, Escape cancels.
function EditBox({ threadId, m, onDone }) {
  const [text, setText] = useState(m.body);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
  }, []);
  async function save(e) {
    if (e) e.preventDefault();
    const body = text.trim();
    if (!body || busy) return;
    if (body === m.body) return onDone();
    setBusy(true);
    setError('');
    try {
      await edit(threadId, m.id, body);
      onDone();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }
  function onKeyDown(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onDone();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) save(e);
  }
  return (
    <form class="edit" onSubmit={save}>
      <label class="sr-only" for={'edit-' + m.id}>
        {t('editLabel')}
      </label>
      <textarea id={'edit-' + m.id} ref={ref} value={text} rows={Math.min(8, Math.max(2, text.split('\n').length))} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={onKeyDown} aria-describedby={'edit-hint-' + m.id} />
      <span id={'edit-hint-' + m.id} class="hint">
        {t('editHint')}
      </span>
      <span class="row">
        <button class="btn small primary" disabled={busy || !text.trim()}>
          {t('save')}
        </button>
        <button type="button" class="btn small" onClick={onDone}>
          {t('cancel')}
        </button>
      </span>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
