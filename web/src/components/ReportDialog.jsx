import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { Api, errorText } from '../api.js';
import { Dialog } from './Dialog.jsx';

/** The reasons a report may give, in the server's words (labels in en.js as reason_<value>). */
export const REASONS = ['spam', 'harassment', 'hate', 'sexual', 'violence', 'self_harm', 'illegal', 'other'];

// ReportDialog reports a message (message: its id) or a conversation
// (thread: its view; in a group the member may name who it is about).
// The server seals the evidence; a repeat returns the first report, so
// the thanks are the same either way.
export function ReportDialog({ message, thread, meId, onClose }) {
  const [reason, setReason] = useState('');
  const [details, setDetails] = useState('');
  const [about, setAbout] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const group = thread && thread.kind === 'group';

  async function submit(e) {
    e.preventDefault();
    if (!reason) return setError(t('pickReason'));
    setBusy(true);
    setError('');
    try {
      const target = message ? { message } : about ? { thread: thread.id, user: about } : { thread: thread.id };
      await Api.report(target, reason, details.trim());
      setDone(true);
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={message ? t('reportMessageTitle') : t('reportConversationTitle')} onClose={onClose}>
      {done ? (
        <p role="status" data-testid="report-thanks">
          {t('reportThanks')}
        </p>
      ) : (
        <form class="stack" onSubmit={submit}>
          <fieldset>
            <legend>{t('reportReason')}</legend>
            {REASONS.map((r) => (
              <div key={r}>
                <label class="check">
                  <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} />
                  {t('reason_' + r)}
                </label>
              </div>
            ))}
          </fieldset>
          {group && (
            <label>
              {t('reportAbout')}
              <select value={about} onChange={(e) => setAbout(e.currentTarget.value)}>
                <option value="">{t('reportAboutNobody')}</option>
                {thread.members
                  .filter((m) => m.id !== meId)
                  .map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.username && m.username !== m.name ? `${m.name} (@${m.username})` : m.name}
                    </option>
                  ))}
              </select>
            </label>
          )}
          <label>
            {t('reportDetails')}
            <textarea value={details} maxLength={2000} rows={3} onInput={(e) => setDetails(e.currentTarget.value)} />
          </label>
          <button class="btn primary" disabled={busy}>
            {t('sendReport')}
          </button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </Dialog>
  );
}
