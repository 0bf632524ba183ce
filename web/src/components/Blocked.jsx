import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { Api } from '../api.js';
import { Avatar } from './Avatar.jsx';

export function Blocked() {
  const [items, setItems] = useState(null);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  async function load() {
    try {
      setItems((await Api.blocks()).items);
    } catch {
      setError(t('genericError'));
    }
  }
  useEffect(() => {
    load();
  }, []);
  async function unblock(m) {
    try {
      await Api.unblock(m.id);
      setNote(t('unblockName', { name: m.name }) + ' ✓');
      load();
    } catch {
      setError(t('genericError'));
    }
  }
  return (
    <section class="page">
      <h1>{t('blockedPeople')}</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="sr-only" role="status">{note}</p>
      {items === null && <p role="status">{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('blockedNone')}</p>}
      {items && items.length > 0 && (
        <ul class="people">
          {items.map((m) => (
            <li key={m.id}>
              <Avatar member={m} size={32} />
              <span>
                {m.name} {m.username && <span class="handle">@{m.username}</span>}
              </span>
              <button type="button" class="btn" onClick={() => unblock(m)} aria-label={t('unblockName', { name: m.name })}>
                {t('unblock')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
