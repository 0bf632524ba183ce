import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { Api, errorText } from '../api.js';
import { Avatar } from './Avatar.jsx';
import { Dialog } from './Dialog.jsx';

// A conversation's people. A thread view carries memberCount and at most
// its first 50 members, so the header counts from memberCount and the
// dialog pages GET /threads/{id}/members as it scrolls.

/** MemberCount is the header's "N members" button, which opens the dialog. */
export function MemberCount({ view }) {
  const [opened, setOpened] = useState(false);
  const button = useRef(null);
  const n = view.memberCount || (view.members || []).length;
  return (
    <>
      <button type="button" class="linklike member-count" ref={button} aria-haspopup="dialog" onClick={() => setOpened(true)}>
        {t('memberCount', { n })}
      </button>
      {opened && (
        <MembersDialog
          threadId={view.id}
          count={n}
          onClose={() => {
            setOpened(false);
            button.current && button.current.focus();
          }}
        />
      )}
    </>
  );
}

function MembersDialog({ threadId, count, onClose }) {
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState('');
  const loading = useRef(false);
  const sentinel = useRef(null);

  async function more() {
    if (loading.current || done) return;
    loading.current = true;
    try {
      const page = await Api.members(threadId, cursor);
      setItems((have) => {
        const seen = new Set(have.map((m) => m.id));
        return have.concat(page.items.filter((m) => !seen.has(m.id)));
      });
      setCursor(page.nextCursor);
      setDone(!page.nextCursor);
      setError('');
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    } finally {
      loading.current = false;
    }
  }

  // The first page, then the next one whenever the end of the list shows.
  useEffect(() => {
    more();
  }, []);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || done || error) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && more(), { root: el.parentElement });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, done, error]);

  return (
    <Dialog title={t('membersTitle', { n: count })} onClose={onClose} class="members-dialog">
      {/* Focusable, so the keyboard scrolls it (and so loads the next pages). */}
      <ul class="member-list" tabIndex={0} aria-label={t('membersTitle', { n: count })} aria-busy={!done && !error} data-testid="member-list">
        {items.map((m) => (
          <li key={m.id}>
            <Avatar member={m} size={28} />
            <span>
              {m.name}
              {m.username && m.username !== m.name && <span class="handle"> @{m.username}</span>}
            </span>
          </li>
        ))}
        {!done && !error && (
          <li ref={sentinel} class="more" aria-hidden="true">
            {t('loadingMembers')}
          </li>
        )}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}{' '}
          <button type="button" class="linklike" onClick={() => (setError(''), more())}>
            {t('retry')}
          </button>
        </p>
      )}
    </Dialog>
  );
}
