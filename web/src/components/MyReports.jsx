import { useEffect } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { longTime } from '../format.js';
import { myReports, loadMyReports, reviewedNotice } from '../reports.js';

// MyReports lists what the member reported, newest first, with its state
// and, once a moderator acted, the outcome; live `report` events update it.
export function MyReports() {
  useEffect(() => {
    loadMyReports();
    reviewedNotice.value = ''; // the notice pointed here
  }, []);
  const list = myReports.value;
  return (
    <section class="page" aria-labelledby="my-reports-title">
      <h1 id="my-reports-title">{t('myReports')}</h1>
      <p class="hint">{t('myReportsHelp')}</p>
      {list === null ? (
        <p role="status">{t('loading')}</p>
      ) : list.length === 0 ? (
        <p>{t('myReportsNone')}</p>
      ) : (
        <ul class="reports" data-testid="my-reports">
          {list.map((r) => (
            <li key={r.id} class="report-row" data-report={r.id} data-state={r.state}>
              <p>
                <strong>{r.message ? t('reportedMessage') : t('reportedConversation')}</strong>
                {' · '}
                {t('reason_' + r.reason)}
                {' · '}
                <time datetime={r.created}>{t('reportedOn', { date: longTime(r.created) })}</time>
              </p>
              {r.details && <p class="hint">{r.details}</p>}
              <p>
                <span class={'mark state-' + r.state}>{t('reportState_' + r.state)}</span>{' '}
                {r.outcome ? (
                  <span class="outcome">
                    {t('reportReviewed')} {t('outcome_' + r.outcome)}
                  </span>
                ) : null}
              </p>
              {r.thread && (
                <Link href={`/t/${r.thread}` + (r.message ? `?m=${r.message}` : '')}>{t('openConversation')}</Link>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// ReviewedNotice is the small notice that one of the member's reports
// was reviewed (a live event), with a link to the list.
export function ReviewedNotice() {
  // The live region is always there; only its content comes and goes, so
  // screen readers announce it.
  return (
    <div class="review-notice-region" role="status">
      {reviewedNotice.value && (
        <p class="review-notice" data-testid="report-reviewed">
          {t('reportReviewed')} <Link href="/reports" onClick={() => (reviewedNotice.value = '')}>{t('seeMyReports')}</Link>{' '}
          <button type="button" class="btn small ghost" onClick={() => (reviewedNotice.value = '')}>
            {t('dismissNotice')}
          </button>
        </p>
      )}
    </div>
  );
}
