import { useEffect, useRef, useState } from 'preact/hooks';
import { Router, Route, Switch, Link, useLocation, useSearch } from 'wouter-preact';
import { basePath, pb } from '../api.js';
import { t } from '../i18n/index.js';
import { me, totals, connected, loadInbox, loadTotals, loadTags, loadOptions, signOut, options, optionsReady } from '../state.js';
import { openReports, loadOpenCount, clearReports } from '../reports.js';
import { startLive, stopLive } from '../live.js';
import { SignIn } from './SignIn.jsx';
import { InboxList } from './InboxList.jsx';
import { Thread } from './Thread.jsx';
import { NewConversation } from './NewConversation.jsx';
import { Settings } from './Settings.jsx';
import { Blocked } from './Blocked.jsx';
import { Search } from './Search.jsx';
import { MyReports, ReviewedNotice } from './MyReports.jsx';

export function App() {
  const user = me.value;
  useEffect(() => {
    const n = totals.value.messages;
    document.title = n > 0 ? t('titleUnread', { n, title: t('appName') }) : t('appName');
  }, [totals.value.messages]);

  useEffect(() => {
    if (!user) return;
    // Stay signed in: refresh the token now; a revoked one signs out.
    pb.collection('users').authRefresh().catch((err) => {
      if (err && (err.status === 401 || err.status === 403 || err.status === 404)) signOut();
    });
    loadInbox();
    loadTotals();
    loadTags();
    loadOptions().then(loadOpenCount);
    startLive();
    return () => {
      stopLive();
      clearReports();
    };
  }, [user && user.id]);

  return <Router base={basePath}>{user ? <Shell user={user} /> : <SignIn />}</Router>;
}

function Shell({ user }) {
  const [location] = useLocation();
  const view = location === '/' || location === '' ? 'list' : 'detail';
  const n = totals.value.messages;
  return (
    <div class="app">
      <a class="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header class="top">
        <Link href="/" class="brand">
          <span>{t('appName')}</span>
          {n > 0 && (
            <span class="badge total" data-testid="total-unread" data-count={n}>
              <span aria-hidden="true">{n}</span>
              <span class="sr-only">{t('unreadTotal', { n })}</span>
            </span>
          )}
        </Link>
        <HeaderSearch />
        <nav aria-label={t('mainNav')}>
          <Link href="/new" class="btn primary icon-new" title={t('newConversation')}>
            <span class="label">{t('newConversation')}</span>
          </Link>
          {options.value.moderator && <ModerationLink />}
          <Link href="/settings" class="btn icon-settings" title={t('settings')}>
            <span class="label">{t('settings')}</span>
          </Link>
          <button type="button" class="btn icon-signout" onClick={signOut} title={t('signedInAs', { name: user.name || user.username || user.email })}>
            <span class="label">{t('signOut')}</span>
          </button>
        </nav>
      </header>
      {!connected.value && (
        <p class="offline" role="status">
          {t('offline')}
        </p>
      )}
      <ReviewedNotice />
      <div class="layout" data-view={view}>
        <aside class="sidebar" aria-label={t('conversations')}>
          <InboxList />
        </aside>
        <main id="main" class="content" tabIndex={-1}>
          <Switch>
            <Route path="/t/:id">{(p) => <ThreadRoute id={p.id} />}</Route>
            <Route path="/search" component={Search} />
            <Route path="/new" component={NewConversation} />
            <Route path="/settings" component={Settings} />
            <Route path="/blocked" component={Blocked} />
            <Route path="/reports" component={MyReports} />
            <Route path="/moderation">{() => <ModerationRoute id="" />}</Route>
            <Route path="/moderation/:id">{(p) => <ModerationRoute id={p.id} />}</Route>
            <Route>
              <p class="empty">{t('pickConversation')}</p>
            </Route>
          </Switch>
        </main>
      </div>
    </div>
  );
}

// ModerationLink is the moderators' header entry, with the number of open
// reports (updated live from `report` events).
function ModerationLink() {
  const { n, more } = openReports.value;
  return (
    <Link href="/moderation" class="btn" data-testid="moderation-link">
      <span>{t('moderation')}</span>
      {n > 0 && (
        <span class="badge" data-testid="open-reports" data-count={n}>
          <span aria-hidden="true">
            {n}
            {more ? '+' : ''}
          </span>
          <span class="sr-only">{t('openReports', { n, more })}</span>
        </span>
      )}
    </Link>
  );
}

// The moderator view is a chunk of its own, loaded when a moderator opens
// it: members never download it, and it never shows to them (the server
// refuses its routes to anyone but moderators anyway).
let moderationModule = null;
function ModerationRoute({ id }) {
  const [mod, setMod] = useState(moderationModule);
  const allowed = options.value.moderator;
  useEffect(() => {
    if (!allowed || mod) return;
    import('./Moderation.jsx').then((m) => {
      moderationModule = m;
      setMod(m);
    });
  }, [allowed]);
  if (!optionsReady.value) return <p class="empty" role="status">{t('loading')}</p>;
  if (!allowed) return <p class="empty">{t('notModerator')}</p>;
  if (!mod) return <p class="empty" role="status">{t('loading')}</p>;
  return id ? <mod.ReportPage id={id} /> : <mod.Queue />;
}

// ThreadRoute opens a thread, at a message when the URL says ?m=<id>.
function ThreadRoute({ id }) {
  const at = new URLSearchParams(useSearch()).get('m') || '';
  return <Thread key={id + '/' + at} id={id} at={at} />;
}

// HeaderSearch searches messages across every conversation. On a narrow
// screen it is an icon button that opens the field in the header's place,
// so the header stays one line.
function HeaderSearch() {
  const [, navigate] = useLocation();
  const [opened, setOpened] = useState(false);
  const field = useRef(null);
  const toggle = useRef(null);
  function submit(e) {
    e.preventDefault();
    const q = new FormData(e.currentTarget).get('q').trim();
    if (!q) return;
    setOpened(false);
    navigate('/search?q=' + encodeURIComponent(q));
  }
  function open() {
    setOpened(true);
    setTimeout(() => field.current && field.current.focus(), 0);
  }
  function close() {
    setOpened(false);
    setTimeout(() => toggle.current && toggle.current.focus(), 0);
  }
  return (
    <form role="search" class={'header-search' + (opened ? ' opened' : '')} onSubmit={submit}>
      <button type="button" ref={toggle} class="btn search-toggle" aria-label={t('searchMessages')} title={t('searchMessages')} aria-expanded={opened ? 'true' : 'false'} aria-controls="header-q" onClick={open}>
        <span aria-hidden="true">⌕</span>
      </button>
      <label class="search-field">
        <span class="sr-only">{t('searchMessages')}</span>
        <input
          id="header-q"
          ref={field}
          type="search"
          name="q"
          maxLength={200}
          placeholder={t('searchMessagesPlaceholder')}
          onKeyDown={(e) => e.key === 'Escape' && opened && (e.preventDefault(), close())}
        />
      </label>
      <button type="button" class="btn search-close" aria-label={t('closeSearch')} title={t('closeSearch')} onClick={close}>
        <span aria-hidden="true">×</span>
      </button>
    </form>
  );
}
