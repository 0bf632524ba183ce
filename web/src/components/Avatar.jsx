import { initials, hue } from '../format.js';

// A member's picture, or their initials on a colour of their own. Names
// are always shown beside it, so it is decorative for screen readers.
export function Avatar({ member, size = 40 }) {
  const style = { width: size + 'px', height: size + 'px' };
  if (member && member.avatar) {
    return <img class="avatar" src={member.avatar + '?thumb=100x100'} alt="" style={style} loading="lazy" />;
  }
  const name = member ? member.name : '?';
  return (
    <span class="avatar initials" aria-hidden="true" style={{ ...style, '--hue': hue(member && member.id) }}>
      {initials(name)}
    </span>
  );
}

/** Avatars shows up to two members' avatars, stacked, for a group. */
export function Avatars({ members }) {
  if (members.length <= 1) return <Avatar member={members[0]} />;
  return (
    <span class="avatars">
      <Avatar member={members[0]} size={28} />
      <Avatar member={members[1]} size={28} />
    </span>
  );
}
