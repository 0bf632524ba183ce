// The texts of the site badge (badge.js, <messaging-unread>), kept apart
// so that the badge loads these few and not the inbox's whole catalog.
// They are part of the inbox's catalog too: en.js spreads them in, so a
// translation has the same keys in both files.
export default {
  unreadTotal: (p) => (p.n === 1 ? '1 unread message' : `${p.n} unread messages`),
};
