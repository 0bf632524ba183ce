import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, useRoute } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { me, threads, filters, nextCursor, inboxLoading, inboxError, loadInbox, loadMore, myTags, totals } from '../state.js';
import { shortTime, longTime, threadTitle, others, preview, namesOf } from '../format.js';
import { Avatars } from './Avatar.jsx';
import { selecting, selection, toggleSelected, setSelecting } from '../bulk.js';
import { BulkBar, InboxMenu, SelectToggle } from './InboxTools.jsx';

export function InboxList() {
  const f = filters.value;
  const [q, setQ] = useState(f.q);
  const sentinel = useRef(null);
  const [, params] = useRoute('/t/:id');
  const current = params && params.id;

  function setFilter(fields) {
    filters.value = { ...filters.value, ...fields };
    if (selecting.value) setSelecting(true); // a new list: nothing selected in it
    loadInbox();
  }

  // Search as you type, once typing pauses.
  useEffect(() => {
    if (q === filters.value.q) return;
    const id = setTimeout(() => setFilter({ q }), 250);
    return () => clearTimeout(id);
  }, [q]);

  // The next page when the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [sentinel.current]);

  const user = me.value;
  const list = threads.value;
  const filtered = f.unread || f.tag || f.q;
  const requests = totals.value.requests || 0;
  const boxLabel = f.box === 'archived' ? t('archived') : f.box === 'requests' ? t('requests') : t('inbox');
  return (
    <div class="inbox">
      <div class="filters">
        <div role="group" aria-label={t('boxes')} class="boxes">
          <button type="button" class="btn" aria-pressed={f.box === 'inbox'} onClick={() => setFilter({ box: 'inbox' })}>
            {t('inbox')}
          </button>
          <button type="button" class="btn" aria-pressed={f.box === 'archived'} onClick={() => setFilter({ box: 'archived' })}>
            {t('archived')}
          </button>
          {/* Requests: strangers' first messages, shown while there are any (or it is open). */}
          {(requests > 0 || f.box === 'requests') && (
            <button type="button" id="box-requests" class="btn" aria-pressed={f.box === 'requests'} onClick={() => setFilter({ box: 'requests' })}>
              {t('requests')}
              {requests > 0 && (
                <span class="badge" data-testid="requests-count" data-count={requests}>
                  <span aria-hidden="true">{requests}</span>
                  <span class="sr-only">{t('requestsCount', { n: requests })}</span>
                </span>
              )}
            </button>
          )}
        </div>
        <label class="search">
          <span class="sr-only">{t('search')}</span>
          <input type="search" value={q} placeholder={t('searchPlaceholder')} onInput={(e) => setQ(e.currentTarget.value)} maxLength={200} />
        </label>
        <div class="row">
          <label class="check">
            <input type="checkbox" checked={f.unread} onChange={(e) => setFilter({ unread: e.currentTarget.checked })} />
            {t('unreadOnly')}
          </label>
          {myTags.value.length > 0 && (
            <label class="tagfilter">
              <span class="sr-only">{t('tagFilter')}</span>
              <select value={f.tag} onChange={(e) => setFilter({ tag: e.currentTarget.value })}>
                <option value="">{t('allTags')}</option>
                {myTags.value.map((tag) => (
                  <option value={tag.id} key={tag.id}>
                    {tag.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span class="grow" />
          <SelectToggle />
          <InboxMenu />
        </div>
        {selecting.value && <BulkBar />}
      </div>
      <ul class="threads" aria-label={boxLabel} aria-busy={inboxLoading.value}>
        {list.map((th) => (
          <ThreadItem key={th.id} th={th} meId={user.id} current={th.id === current} select={selecting.value} selected={selection.value.has(th.id)} />
        ))}
      </ul>
      {!inboxLoading.value && list.length === 0 && <p class="empty">{filtered ? t('noMatches') : f.box === 'requests' ? t('noRequests') : t('noConversations')}</p>}
      {inboxError.value && (
        <p class="error" role="alert">
          {t('genericError')}{' '}
          <button type="button" class="linklike" onClick={loadInbox}>
            {t('retry')}
          </button>
        </p>
      )}
      {nextCursor.value && (
        <p ref={sentinel} class="more">
          {t('loadingMore')}
        </p>
      )}
    </div>
  );
}

// ThreadItem is one conversation of the list: a link to it, or in select
// mode a checkbox named by the conversation's title, the whole row its label.
function ThreadItem({ th, meId, current, select, selected }) {
  const people = others(th, meId);
  const title = threadTitle(th, meId);
  const Row = select ? 'label' : Link;
  const rowProps = select ? { class: 'row-select' } : { href: `/t/${th.id}`, 'aria-current': current ? 'page' : undefined };
  return (
    <li class={'thread' + (th.unread ? ' unread' : '') + (selected ? ' selected' : '')} data-thread={th.id}>
      <Row {...rowProps}>
        {select && <input type="checkbox" checked={selected} aria-labelledby={'tt-' + th.id} onChange={(e) => toggleSelected(th.id, e.currentTarget.checked)} />}
        <Avatars members={people.length ? people : th.members} />
        <span class="main">
          <span class="line">
            <span class="title" id={'tt-' + th.id}>
              {title}
            </span>
            <time datetime={th.lastActivity} title={longTime(th.lastActivity)}>
              {shortTime(th.lastActivity)}
            </time>
          </span>
          {th.subject && <span class="names">{namesOf(th, meId)}</span>}
          <span class="line">
            <span class="preview">{preview(th.lastMessage, meId)}</span>
            <span class="marks">
              {th.muted && (
                <span class="mark" title={t('muted')}>
                  <span aria-hidden="true">🔕</span>
                  <span class="sr-only">{t('muted')}</span>
                </span>
              )}
              {th.archived && <span class="mark tag">{t('archivedMark')}</span>}
              {(th.tags || []).map((tag) => tag.name && <span class="mark tag" key={tag.id}>{tag.name}</span>)}
              {th.unread > 0 && (
                <span class="badge" data-testid="thread-unread" data-count={th.unread}>
                  <span aria-hidden="true">{th.unread}</span>
                  <span class="sr-only">{t('unreadCount', { n: th.unread })}</span>
                </span>
              )}
            </span>
          </span>
        </span>
      </Row>
    </li>
  );
}
