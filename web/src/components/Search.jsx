import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { Api, errorText } from '../api.js';
import { me } from '../state.js';
import { shortTime, longTime, threadTitle } from '../format.js';

// Search: messages across one's conversations, or within one (?thread=).
// The query lives in the URL, so back returns to the results. A result
// links to its thread opened at the hit (/t/{thread}?m={message}).
export function Search() {
  const params = new URLSearchParams(useSearch());
  const q = params.get('q') || '';
  const thread = params.get('thread') || '';
  const [, navigate] = useLocation();
  const [text, setText] = useState(q);
  const [res, setRes] = useState(null);
  const [error, setError] = useState('');
  const [more, setMore] = useState(false);
  const input = useRef(null);

  useEffect(() => {
    setText(q);
    setRes(null);
    setError('');
    if (!q.trim()) return;
    let live = true;
    Api.search({ q, thread: thread || undefined, limit: 20 })
      .then((r) => live && setRes(r))
      .catch((err) => live && setError(errorText(err, { network: t('networkError'), generic: t('genericError') })));
    return () => (live = false);
  }, [q, thread]);

  useEffect(() => {
    input.current && input.current.focus();
  }, [thread]);

  async function loadMore() {
    if (!res || !res.nextCursor || more) return;
    setMore(true);
    try {
      const r = await Api.search({ q, thread: thread || undefined, limit: 20, before: res.nextCursor });
      setRes({ items: res.items.concat(r.items), threads: res.threads.concat(r.threads), nextCursor: r.nextCursor });
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
    setMore(false);
  }

  function submit(e) {
    e.preventDefault();
    const sp = new URLSearchParams();
    sp.set('q', text.trim());
    if (thread) sp.set('thread', thread);
    navigate('/search?' + sp.toString());
  }

  const user = me.value;
  const byId = new Map(((res && res.threads) || []).map((x) => [x.id, x]));
  const scope = thread && byId.get(thread);
  return (
    <section class="page search-page" aria-labelledby="search-title">
      <h1 id="search-title">{thread ? t('searchInThreadTitle') : t('searchMessagesTitle')}</h1>
      {thread && (
        <p class="hint">
          {scope ? t('searchScope', { title: threadTitle(scope, user.id) }) : ''}{' '}
          <Link href={'/search?q=' + encodeURIComponent(q)}>{t('searchEverywhere')}</Link>
        </p>
      )}
      <form role="search" class="row" onSubmit={submit}>
        <label class="grow">
          <span class="sr-only">{t('searchMessages')}</span>
          <input ref={input} type="search" name="q" value={text} maxLength={200} placeholder={t('searchMessagesPlaceholder')} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button class="btn primary">{t('searchButton')}</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="status">
        {q && !res && !error ? t('loading') : res ? t('searchCount', { n: res.items.length, more: !!res.nextCursor }) : ''}
      </p>
      {res && (
        <ol class="hits">
          {res.items.map((m) => {
            const th = byId.get(m.thread);
            return (
              <li key={m.id} class="hit-item">
                <Link href={`/t/${m.thread}?m=${m.id}`} class="hit-link">
                  <span class="line">
                    <span class="title">{th ? threadTitle(th, user.id) : ''}</span>
                    <time datetime={m.created} title={longTime(m.created)}>
                      {shortTime(m.created)}
                    </time>
                  </span>
                  {/* The snippet is the server's HTML-escaped text with the matches in <mark>. */}
                  <span class="snippet" dangerouslySetInnerHTML={{ __html: m.snippet }} />
                </Link>
              </li>
            );
          })}
        </ol>
      )}
      {res && res.nextCursor && (
        <button type="button" class="btn" onClick={loadMore} disabled={more}>
          {t('moreResults')}
        </button>
      )}
    </section>
  );
}
