import { signal } from '@preact/signals';
import { Api } from './api.js';
import { options } from './state.js';

// Reports as the inbox shows them: the member's own (My reports, and a
// small notice when a moderator acts on one), and for moderators the
// number of open reports (the header's badge). Both follow the live
// `report` events: to the reporter {report, state, outcome, summary},
// to the moderators online {report, reason, created}.

/** The member's reports (GET /reports/mine), null until loaded. */
export const myReports = signal(null);

/** A report of the member's was just reviewed: its id, for a notice ('' when none). */
export const reviewedNotice = signal('');

/** Open reports for a moderator: n counted (at most a page), more when there are others. */
export const openReports = signal({ n: 0, more: false });

/** Bumped on every new report, so an open queue reloads. */
export const queueVersion = signal(0);

// The badge counts one page of the queue: bounded work, "50+" above it.
const COUNT_PAGE = 50;
let countGen = 0;

export async function loadMyReports() {
  try {
    myReports.value = (await Api.myReports()).items;
  } catch {
    if (myReports.value === null) myReports.value = [];
  }
}

/** loadOpenCount refreshes the moderator's badge (nothing for anyone else). */
export async function loadOpenCount() {
  if (!options.value.moderator) return;
  const gen = ++countGen;
  try {
    const page = await Api.modQueue('open', '', COUNT_PAGE);
    if (gen === countGen) openReports.value = { n: page.items.length, more: !!page.nextCursor };
  } catch {
    /* the next event or reconnect tries again */
  }
}

/** onReportEvent handles a live `report` event. */
export function onReportEvent(e) {
  if (e.state !== undefined) {
    // One of mine was handled: the list and a notice.
    const list = myReports.value;
    if (list && list.some((r) => r.id === e.report)) {
      myReports.value = list.map((r) => (r.id === e.report ? { ...r, state: e.state, outcome: e.outcome, summary: e.summary } : r));
    } else loadMyReports();
    if (e.state === 'dismissed' || e.state === 'actioned') reviewedNotice.value = e.report;
    return;
  }
  // A new report for the moderators.
  queueVersion.value++;
  loadOpenCount();
}

export function clearReports() {
  myReports.value = null;
  reviewedNotice.value = '';
  openReports.value = { n: 0, more: false };
}
