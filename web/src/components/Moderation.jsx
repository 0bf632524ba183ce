import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { Api, errorText } from '../api.js';
import { longTime } from '../format.js';
import { queueVersion, loadOpenCount } from '../reports.js';

// The moderator view (a lazily loaded chunk): the report queue and one
// report with its sealed evidence and the actions. It reads nothing but
// the moderation routes: a moderator sees what was reported and its
// neighbours as sealed, never the rest of anyone's conversations.

const STATES = ['open', 'escalated', 'dismissed', 'actioned'];
const ACTIONS = ['dismiss', 'delete', 'suspend', 'escalate'];
const errTexts = () => ({ network: t('networkError'), generic: t('genericError') });

/** Queue lists the reports of one state (?state=, open by default), oldest first, paged by cursor. */
export function Queue() {
  const search = new URLSearchParams(useSearch());
  const state = STATES.includes(search.get('state')) ? search.get('state') : 'open';
  const [, navigate] = useLocation();
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const gen = useRef(0);

  async function load(more) {
    const g = more ? gen.current : ++gen.current;
    setBusy(true);
    setError('');
    try {
      const page = await Api.modQueue(state, more ? cursor : '');
      if (g !== gen.current) return;
      setItems(more ? (items || []).concat(page.items.filter((r) => !(items || []).some((x) => x.id === r.id))) : page.items);
      setCursor(page.nextCursor);
    } catch (err) {
      if (g === gen.current) setError(errorText(err, errTexts()));
    } finally {
      if (g === gen.current) setBusy(false);
    }
  }

  // Again on a new report (live), for the open and escalated tabs.
  useEffect(() => {
    load(false);
  }, [state, state === 'open' ? queueVersion.value : 0]);

  return (
    <section class="page moderation" aria-labelledby="queue-title">
      <h1 id="queue-title">{t('moderationTitle')}</h1>
      <div class="boxes" role="group" aria-label={t('queueStates')}>
        {STATES.map((s) => (
          <button type="button" key={s} class="btn" aria-pressed={s === state} onClick={() => navigate('/moderation?state=' + s)}>
            {t('queueState_' + s)}
          </button>
        ))}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items === null ? (
        <p role="status">{t('loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('queueEmpty')}</p>
      ) : (
        <ul class="reports" data-testid="queue">
          {items.map((r) => (
            <li key={r.id} class="report-row" data-report={r.id}>
              <Link href={`/moderation/${r.id}`}>
                <strong>{t('reason_' + r.reason)}</strong>
                {' · '}
                {r.message ? t('reportedMessage') : t('reportedConversation')}
              </Link>
              <p class="hint">
                <time datetime={r.created}>{t('reportedOn', { date: longTime(r.created) })}</time>
                {r.details ? ' · ' + r.details : ''}
              </p>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="btn" disabled={busy} onClick={() => load(true)}>
          {t('moreReports')}
        </button>
      )}
    </section>
  );
}

/** ReportPage shows one report, its sealed evidence and the actions. */
export function ReportPage({ id }) {
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');
  const [status, setStatus] = useState(''); // what the last action did (its form goes with the open state)
  const heading = useRef(null);

  async function load() {
    try {
      setReport(await Api.modReport(id));
      setError('');
    } catch (err) {
      setError(err && err.status === 404 ? t('reportNotFound') : errorText(err, errTexts()));
    }
  }
  useEffect(() => {
    setReport(null);
    setStatus('');
    load();
  }, [id]);
  useEffect(() => {
    if (report && heading.current) heading.current.focus();
  }, [report && report.id]);

  if (error && !report) {
    return (
      <section class="page">
        <p role="alert">{error}</p>
        <Link href="/moderation">{t('backToQueue')}</Link>
      </section>
    );
  }
  if (!report) return <p class="empty" role="status">{t('loading')}</p>;
  const people = report.people || {};
  const name = (uid) => (uid && people[uid] ? people[uid].name : t('unknownUser'));
  const ev = report.evidence || { messages: [] };
  return (
    <section class="page moderation" aria-labelledby="report-title">
      <Link href={'/moderation?state=' + report.state}>{t('backToQueue')}</Link>
      <h1 id="report-title" tabIndex={-1} ref={heading}>
        {t('reportTitle')}: {t('reason_' + report.reason)}
      </h1>
      <ul class="facts">
        <li>{t('reportedBy', { name: name(report.reporter) })}</li>
        {report.author && <li>{t('reportAboutName', { name: name(report.author) })}</li>}
        <li>{report.message ? t('reportedMessage') : t('reportedConversation')}</li>
        <li>
          <time datetime={report.created}>{t('reportedOn', { date: longTime(report.created) })}</time>
        </li>
        {report.details && <li>{t('reportDetailsIs', { details: report.details })}</li>}
        <li data-testid="report-state" data-state={report.state}>
          {t('reportStateIs', { state: t('queueState_' + report.state) })}
        </li>
        {report.handledBy && <li>{t('handledBy', { name: name(report.handledBy), outcome: t('modOutcome_' + report.outcome) })}</li>}
      </ul>
      <h2>{t('evidence')}</h2>
      <p class="hint">
        {t('evidenceHelp')} {ev.sealed && t('evidenceSealed', { date: longTime(ev.sealed) })}
      </p>
      <p class={report.evidenceIntact ? 'intact' : 'error'} data-testid="evidence-intact" data-intact={String(!!report.evidenceIntact)}>
        {report.evidenceIntact ? t('evidenceIntact') : t('evidenceBroken')}
      </p>
      {ev.messages.length === 0 ? (
        <p>{t('noEvidence')}</p>
      ) : (
        <ol class="evidence" data-testid="evidence">
          {ev.messages.map((m) => (
            <EvidenceRow key={m.id} m={m} reported={m.id === ev.message} name={name} />
          ))}
        </ol>
      )}
      {/* An escalated report is the superusers' (the server refuses moderators). */}
      {report.state === 'open' && <Actions report={report} onDone={(action) => (setStatus(t('actDone', { action })), load())} />}
      <p class="status" role="status">
        {status}
      </p>
    </section>
  );
}

// EvidenceRow is one sealed message: its body as plain text (never HTML),
// the reported one marked, with its earlier versions.
function EvidenceRow({ m, reported, name }) {
  return (
    <li class={'evidence-row' + (reported ? ' reported' : '')} data-id={m.id} aria-current={reported ? 'true' : undefined}>
      <p class="author">
        <span class="name">{name(m.author)}</span> <time datetime={m.created}>{longTime(m.created)}</time>
        {reported && <span class="mark reported-mark">{t('reportedMark')}</span>}
        {m.edited && <span class="edited">{t('edited')}</span>}
      </p>
      {m.deleted ? <p class="body deleted">{t('deletedWhenSealed')}</p> : <p class="body">{m.body}</p>}
      {m.versions && m.versions.length > 0 && (
        <details>
          <summary>{t('earlierVersions')}</summary>
          <ol class="versions">
            {m.versions.map((v, i) => (
              <li key={i}>
                <p class="body">{v.body}</p>
                <p class="hint">{t('versionReplaced', { date: longTime(v.replaced) })}</p>
              </li>
            ))}
          </ol>
        </details>
      )}
    </li>
  );
}

// Actions: each needs a reason, kept in the audit log. Delete needs a
// reported message, suspend a reported member.
function Actions({ report, onDone }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const field = useRef(null);

  async function act(action) {
    if (!reason.trim()) {
      setError(t('modReasonRequired'));
      field.current && field.current.focus();
      return;
    }
    setBusy(true);
    setError('');
    try {
      await Api.modAct(report.id, action, reason.trim());
      setReason('');
      queueVersion.value++;
      loadOpenCount();
      await onDone(action);
    } catch (err) {
      setError(errorText(err, errTexts()));
    } finally {
      setBusy(false);
    }
  }

  const allowed = ACTIONS.filter((a) => (a !== 'delete' || report.message) && (a !== 'suspend' || report.author) && (a !== 'escalate' || report.state === 'open'));
  return (
    <section class="mod-actions" aria-labelledby="actions-title">
      <h2 id="actions-title">{t('moderationActions')}</h2>
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('modReason')}
          <textarea ref={field} required rows={2} maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <div class="row">
          {allowed.map((a) => (
            <button type="button" key={a} class={'btn' + (a === 'delete' || a === 'suspend' ? ' danger' : '')} disabled={busy} onClick={() => act(a)}>
              {t('act_' + a)}
            </button>
          ))}
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
