import { t } from './i18n/index.js';
import { fileName } from './render.js';

/** parseDate reads PocketBase's "2006-01-02 15:04:05.000Z". */
export function parseDate(s) {
  if (!s) return null;
  const d = new Date(s.replace(' ', 'T'));
  return isNaN(d) ? null : d;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });
const longFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** shortTime is the inbox's time: the time today, the weekday this week, else the date. */
export function shortTime(s) {
  const d = parseDate(s);
  if (!d) return '';
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 864e5);
  if (days <= 0) return timeFmt.format(d);
  if (days < 7) return dayFmt.format(d);
  return dateFmt.format(d);
}

export function clockTime(s) {
  const d = parseDate(s);
  return d ? timeFmt.format(d) : '';
}

export function longTime(s) {
  const d = parseDate(s);
  return d ? longFmt.format(d) : '';
}

export function dayKey(s) {
  const d = parseDate(s);
  return d ? startOfDay(d) : 0;
}

export function dayLabel(s) {
  const d = parseDate(s);
  if (!d) return '';
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 864e5);
  if (days === 0) return t('today');
  if (days === 1) return t('yesterday');
  return fullFmt.format(d);
}

export function initials(name) {
  const parts = (name || '?').trim().split(/\s+/).filter(Boolean);
  const s = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || '?').slice(0, 2);
  return s.toUpperCase();
}

export function hue(id) {
  let h = 0;
  for (const c of id || '') h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

/** others are the thread's members but me. */
export function others(thread, meId) {
  return (thread.members || []).filter((m) => m.id !== meId);
}

/**
 * othersCount is how many members there are besides me. A view lists at
 * most the first 50 members (members), so the count comes from memberCount.
 */
export function othersCount(thread, meId) {
  const listed = others(thread, meId).length;
  return thread.memberCount ? Math.max(listed, thread.memberCount - 1) : listed;
}

/** namesOf names the first max other members, and how many more there are. */
export function namesOf(thread, meId, max = 5) {
  const people = others(thread, meId);
  const names = people.slice(0, max).map((m) => m.name).join(', ');
  const more = othersCount(thread, meId) - Math.min(people.length, max);
  return more > 0 ? (names ? names + ' ' : '') + t('andMore', { n: more }) : names;
}

/** threadTitle is the subject, else the other members' names. */
export function threadTitle(thread, meId) {
  if (thread.subject) return thread.subject;
  return namesOf(thread, meId) || t('you');
}

/** preview is the inbox's one-line view of a message. */
export function preview(msg, meId) {
  if (!msg) return t('noMessagesYet');
  if (msg.deleted) return t('deletedMessage');
  let text = msg.body.replace(/\s+/g, ' ');
  if (!text && msg.files && msg.files.length) text = msg.files.map((f) => t('attachment', { name: fileName(f.name) })).join(', ');
  return msg.author === meId && !msg.system ? t('youPrefix') + text : text;
}
