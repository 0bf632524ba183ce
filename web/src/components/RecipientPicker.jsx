import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { Api } from '../api.js';
import { Avatar } from './Avatar.jsx';
import { isTyped, recipientLabel } from './Announcement.jsx';

/** key tells recipients apart across types (a role and a user may share an id). */
const key = (m) => (m.type || 'user') + ':' + m.id;

let pickerIds = 0;

// A combobox: type a name or username, pick with the arrow keys and Enter
// (or the pointer). Both the name and the username are shown, so two
// people called Bob can be told apart.
// typed: roles and custom recipient types (items with a type other than
// "user") may be picked too, shown as "Role: support · 10 members".
export function RecipientPicker({ value, onChange, label, autoFocus, exclude = [], typed = false }) {
  const [q, setQ] = useState('');
  const [items, setItems] = useState([]);
  const [active, setActive] = useState(-1);
  const [openList, setOpenList] = useState(false);
  const [uid] = useState(() => 'rp' + ++pickerIds);
  const input = useRef(null);

  // autofocus is not applied to elements added after the page loaded.
  useEffect(() => {
    if (autoFocus && input.current) input.current.focus();
  }, []);

  useEffect(() => {
    const term = q.trim();
    if (!term) {
      setItems([]);
      return;
    }
    let stale = false;
    const id = setTimeout(async () => {
      try {
        const res = await Api.recipients(term);
        if (stale) return;
        const taken = new Set([...value.map(key), ...exclude.map((id) => 'user:' + id)]);
        setItems(res.items.filter((m) => !taken.has(key(m)) && (typed || !isTyped(m))));
        setActive(0);
        setOpenList(true);
      } catch {
        if (!stale) setItems([]);
      }
    }, 150);
    return () => {
      stale = true;
      clearTimeout(id);
    };
  }, [q]);

  function pick(m) {
    onChange([...value, m]);
    setQ('');
    setItems([]);
    setOpenList(false);
    input.current && input.current.focus();
  }

  function onKeyDown(e) {
    if (e.key === 'ArrowDown' && items.length) {
      e.preventDefault();
      setOpenList(true);
      setActive((active + 1) % items.length);
    } else if (e.key === 'ArrowUp' && items.length) {
      e.preventDefault();
      setActive((active - 1 + items.length) % items.length);
    } else if (e.key === 'Enter' && openList && items[active]) {
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === 'Escape') {
      setOpenList(false);
    } else if (e.key === 'Backspace' && !q && value.length) {
      onChange(value.slice(0, -1));
    }
  }

  const showList = openList && q.trim() !== '';
  return (
    <div class="picker">
      <label for={uid + '-input'}>{label}</label>
      <div class="chips">
        {value.map((m) => (
          <span class={'chip' + (isTyped(m) ? ' typed' : '')} key={key(m)}>
            {isTyped(m) ? recipientLabel(m) : m.name}
            {m.username && m.username !== m.name && <span class="handle"> @{m.username}</span>}
            <button type="button" class="btn small ghost" aria-label={t('removeRecipient', { name: isTyped(m) ? recipientLabel(m) : m.name })} onClick={() => onChange(value.filter((x) => key(x) !== key(m)))}>
              <span aria-hidden="true">×</span>
            </button>
          </span>
        ))}
        <input
          id={uid + '-input'}
          ref={input}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={uid + '-list'}
          aria-activedescendant={showList && items[active] ? `${uid}-opt-${items[active].type || 'user'}-${items[active].id}` : undefined}
          aria-describedby={uid + '-hint'}
          autocomplete="off"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setOpenList(false), 150)}
          onFocus={() => items.length && setOpenList(true)}
        />
      </div>
      <p class="hint" id={uid + '-hint'}>
        {t('recipientsHint')}
      </p>
      <ul id={uid + '-list'} role="listbox" class="suggestions" aria-label={t('suggestions')} hidden={!showList}>
        {items.map((m, i) => (
          <li
            id={`${uid}-opt-${m.type || 'user'}-${m.id}`}
            role="option"
            key={key(m)}
            aria-selected={i === active}
            class={i === active ? 'active' : ''}
            onMouseDown={(e) => {
              e.preventDefault();
              pick(m);
            }}
          >
            {isTyped(m) ? (
              <span>{recipientLabel(m)}</span>
            ) : (
              <>
                <Avatar member={m} size={28} />
                <span>{m.name}</span>
                {m.username && <span class="handle">@{m.username}</span>}
              </>
            )}
          </li>
        ))}
        {showList && items.length === 0 && <li class="none" role="option" aria-disabled="true" aria-selected="false">{t('noRecipients')}</li>}
      </ul>
    </div>
  );
}
