import { useEffect, useState } from 'preact/hooks';
import { useLocation, useSearch } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { Api, errorText, newKey, pb } from '../api.js';
import { putThreadOnTop } from '../state.js';
import { RecipientPicker } from './RecipientPicker.jsx';
import { isTyped, startFields } from './Announcement.jsx';

// A new conversation: one recipient is a direct conversation (the
// existing one is reused), several make a group. ?to=<username or user id>
// fills in a recipient, for "Send message" buttons on a site's pages.
export function NewConversation() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const [people, setPeople] = useState([]);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [key] = useState(newKey);
  const [announce, setAnnounce] = useState(false);
  // A role or custom-type recipient (issue 13) makes a group, and may make an announcement.
  const typed = people.some(isTyped);
  const group = people.length > 1 || typed;

  useEffect(() => {
    const to = new URLSearchParams(search).get('to');
    if (!to) return;
    resolveRecipient(to).then((m) => m && setPeople((p) => (p.some((x) => x.id === m.id) ? p : [...p, m])));
  }, [search]);

  async function submit(e) {
    if (e) e.preventDefault();
    if (!people.length) return setError(t('pickRecipient'));
    if (!body.trim()) return setError(t('emptyBody'));
    setBusy(true);
    setError('');
    try {
      const { recipients, ...extra } = startFields(people, announce);
      const res = await Api.start(recipients, group ? subject.trim() : '', body.trim(), key, extra);
      putThreadOnTop(res.thread);
      navigate(`/t/${res.thread.id}`);
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="page">
      <h1>{t('newConversation')}</h1>
      <form class="stack" onSubmit={submit}>
        <RecipientPicker value={people} onChange={setPeople} label={t('to')} autoFocus typed />
        {typed && (
          <div>
            <label class="check">
              <input type="checkbox" checked={announce} onChange={(e) => setAnnounce(e.currentTarget.checked)} aria-describedby="announce-help" />
              {t('announcementCheck')}
            </label>
            <p class="hint" id="announce-help">
              {t('announcementHelp')}
            </p>
          </div>
        )}
        {group && (
          <label>
            {t('subject')}
            <input value={subject} maxLength={200} onInput={(e) => setSubject(e.currentTarget.value)} />
          </label>
        )}
        <label>
          {t('message')}
          <textarea
            rows={4}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                submit();
              }
            }}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="btn primary" disabled={busy}>
          {busy ? t('sending') : t('start')}
        </button>
      </form>
    </section>
  );
}

async function resolveRecipient(to) {
  try {
    const res = await Api.recipients(to);
    const m = res.items.find((x) => x.id === to || (x.username && x.username.toLowerCase() === to.toLowerCase()));
    if (m) return m;
  } catch {
    /* fall through */
  }
  // A user id: readable where the users view rule allows it; else the
  // id alone still addresses the message.
  if (/^[a-z0-9]{15}$/.test(to)) {
    try {
      const u = await pb.collection('users').getOne(to, { fields: 'id,name,username' });
      return { id: u.id, name: u.name || u.username || to, username: u.username || '' };
    } catch {
      return { id: to, name: to, username: '' };
    }
  }
  return null;
}
