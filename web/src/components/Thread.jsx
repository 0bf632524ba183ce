import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { me, threads, options } from '../state.js';
import { open, openThread, loadOlder, pending, retry, announcement } from '../thread-store.js';
import { markOpenReadIfSeen } from '../live.js';
import { Api, errorText } from '../api.js';
import { clockTime, longTime, dayKey, dayLabel, others, threadTitle } from '../format.js';
import { renderBody, renderFiles } from '../render.js';
import { Avatar } from './Avatar.jsx';
import { Composer, discardToComposer } from './Composer.jsx';
import { ThreadMenu } from './ThreadMenu.jsx';

export function Thread({ id }) {
  useEffect(() => {
    openThread(id).then(markOpenReadIfSeen);
    announcement.value = '';
  }, [id]);

  const cur = open.value;
  const user = me.value;
  if (!cur || cur.id !== id || !cur.loaded) {
    return <p class="empty" role="status">{t('loading')}</p>;
  }
  if (cur.error || cur.gone) {
    return (
      <div class="empty">
        <p role="alert">{cur.gone ? t('threadGone') : cur.error === 'notFound' ? t('threadNotFound') : t('genericError')}</p>
        <Link href="/">{t('back')}</Link>
      </div>
    );
  }
  const view = cur.view;
  const listed = threads.value.find((x) => x.id === id);
  const state = listed ? { ...view, muted: listed.muted, archived: listed.archived, tags: listed.tags } : view;
  const people = others(view, user.id);
  const above = options.value.composerPosition === 'above';
  return (
    <section class={'thread-view' + (above ? ' composer-above' : '')} aria-labelledby="thread-title">
      <header class="thread-head">
        <Link href="/" class="btn back" aria-label={t('back')}>
          <span aria-hidden="true">←</span>
        </Link>
        <div class="who">
          <h1 id="thread-title">{threadTitle(view, user.id)}</h1>
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
        </div>
        <ThreadMenu thread={state} meId={user.id} />
      </header>
      <MessageList cur={cur} meId={user.id} members={view.members} />
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement.value}
      </div>
      <Composer threadId={id} />
    </section>
  );
}

function MessageList({ cur, meId, members }) {
  const box = useRef(null);
  const keep = useRef(null); // distance from the bottom to restore after prepending older messages
  const first = useRef(true);
  const stick = useRef(true); // at the bottom: new messages keep it there
  const lastCount = useRef(0);
  const byId = new Map(members.map((m) => [m.id, m]));
  const mine = pending.value[cur.id] || [];

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (first.current) {
      first.current = false;
      const divider = el.querySelector('.divider');
      if (divider) el.scrollTop = Math.max(0, divider.offsetTop - el.offsetTop - 8);
      else el.scrollTop = el.scrollHeight;
    } else if (keep.current !== null) {
      el.scrollTop = el.scrollHeight - keep.current;
      keep.current = null;
    } else if (stick.current || mine.length > lastCount.current) {
      el.scrollTop = el.scrollHeight;
    }
    lastCount.current = mine.length;
  });

  async function onScroll() {
    const el = box.current;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 200 && cur.older && !cur.loadingOlder) {
      keep.current = el.scrollHeight - el.scrollTop;
      const added = await loadOlder();
      if (!added) keep.current = null;
    }
  }

  const rows = [];
  let lastDay = 0;
  let group = null;
  const view = cur.view;
  // "Seen" (issue 9 seam): the other member of a direct thread read up to here.
  const peerSeq = view.peerLastReadSeq || 0;
  let lastMineSeq = 0;
  for (const m of cur.messages) if (m.author === meId) lastMineSeq = m.seq;
  for (const m of cur.messages) {
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
    if (m.seq === cur.firstUnreadSeq) {
      rows.push(
        <li class="divider" key="divider">
          <span>{t('newMessages')}</span>
        </li>,
      );
      group = null;
    }
    if (m.system) {
      rows.push(
        <li class="system" key={m.id} data-seq={m.seq}>
          {renderBody(m)}
        </li>,
      );
      group = null;
      continue;
    }
    const authorKey = m.authorDeleted ? '#deleted' : m.author;
    if (!group || group.author !== authorKey) {
      const who = m.authorDeleted ? { id: '', name: t('deletedUser') } : byId.get(m.author) || { id: m.author, name: t('deletedUser') };
      group = { author: authorKey, items: [], who, mine: m.author === meId, key: m.id };
      rows.push(group);
    }
    group.items.push(m);
  }

  return (
    <div class="messages" ref={box} onScroll={onScroll} tabIndex={0} role="region" aria-label={t('messageList')}>
      {cur.older ? <p class="more">{cur.loadingOlder ? t('loadingOlder') : ''}</p> : <p class="more">{t('beginning')}</p>}
      <ol>
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
                  <Bubble key={m.id} m={m} mine={r.mine} seen={r.mine && m.seq === lastMineSeq && peerSeq >= m.seq} />
                ))}
              </div>
            </li>
          ) : (
            r
          ),
        )}
        {mine.map((p) => (
          <li class="group mine" key={p.key}>
            <div class="bubbles">
              <div class={'bubble pending ' + p.status} data-pending={p.status}>
                <div class="body">{p.body}</div>
                {p.status === 'sending' ? (
                  <p class="status">{t('sending')}</p>
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
        ))}
      </ol>
    </div>
  );
}

function Bubble({ m, mine, seen }) {
  async function del() {
    if (!confirm(t('confirmDeleteMessage'))) return;
    try {
      await Api.deleteMessage(m.id);
    } catch {
      alert(t('genericError'));
    }
  }
  return (
    <div class={'bubble' + (m.deleted ? ' deleted' : '')} data-seq={m.seq} data-id={m.id}>
      {m.deleted ? <p class="body">{t('deletedMessage')}</p> : renderBody(m)}
      {!m.deleted && renderFiles(m)}
      {m.edited && <span class="edited">{t('edited')}</span>}
      {seen && <span class="seen">{t('seen')}</span>}
      {mine && !m.deleted && (
        <button type="button" class="btn small ghost del" onClick={del} aria-label={t('deleteMessage')} title={t('deleteMessage')}>
          <span aria-hidden="true">🗑</span>
        </button>
      )}
    </div>
  );
}
