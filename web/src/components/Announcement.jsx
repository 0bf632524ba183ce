import { t } from '../i18n/index.js';

// An announcement (issue 13): only its sender (and moderators) post in
// it; a member's reply goes to the sender privately, through the normal
// reply route, which answers with the message in the direct conversation
// (redirected: true) and the composer opens that one. While the server
// still adds the members of a large role (expanding), the banner says so
// until a live event or a refresh brings the view without it.
export function AnnouncementBanner({ view, meId }) {
  if (!view.announcement && !view.expanding) return null;
  const sender = (view.members || []).find((m) => m.id === view.creator);
  return (
    <section class="announcement-banner" aria-label={t('announcement')} data-testid="announcement-banner">
      {view.announcement && (
        <p>
          <strong>{t('announcement')}</strong>
          {' — '}
          {view.creator === meId ? t('announcementMine') : t('announcementReplies', { name: sender ? sender.name : t('announcementSender') })}
        </p>
      )}
      {view.expanding && (
        <p class="hint" role="status" data-testid="expanding">
          {t('addingMembers')}
        </p>
      )}
    </section>
  );
}

/** recipientLabel is how a role or custom recipient type shows: "Role: support · 10,000 members". */
export function recipientLabel(item) {
  const kind = item.type === 'role' ? t('recipientRole') : item.type;
  const base = t('typedRecipient', { kind, name: item.name || item.id });
  return item.memberCount != null ? base + ' · ' + t('memberCount', { n: item.memberCount }) : base;
}

/** isTyped tells a role or custom-type recipient from a person. */
export function isTyped(item) {
  return !!item.type && item.type !== 'user';
}

/** startFields splits picked recipients into the start route's recipients, roles and to. */
export function startFields(people, announcement) {
  const out = { recipients: people.filter((p) => !isTyped(p)).map((p) => p.id) };
  const roles = people.filter((p) => p.type === 'role').map((p) => p.id);
  const to = people.filter((p) => isTyped(p) && p.type !== 'role').map((p) => ({ type: p.type, id: p.id }));
  if (roles.length) out.roles = roles;
  if (to.length) out.to = to;
  if (announcement && (roles.length || to.length)) out.announcement = true;
  return out;
}
