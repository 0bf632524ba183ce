import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { Api, errorText, pb } from '../api.js';
import { myTags, loadTags, removeThread, patchThread, loadTotals } from '../state.js';
import { reloadView, setView } from '../thread-store.js';
import { others } from '../format.js';
import { RecipientPicker } from './RecipientPicker.jsx';
import { Dialog } from './Dialog.jsx';
import { ReportDialog } from './ReportDialog.jsx';
import { useMenu } from './useMenu.js';

// The conversation menu: a disclosure button and a list of actions, and
// two dialogs (tags, add people).
export function ThreadMenu({ thread, meId }) {
  const { expanded, setExpanded, button, menu, close: closeMenu } = useMenu();
  const [dialog, setDialog] = useState('');
  const [error, setError] = useState('');
  const [, navigate] = useLocation();
  const group = thread.kind === 'group';
  const other = others(thread, meId)[0];
  // Only a group's starter may remove people (the server answers 403 to
  // anyone else): the starter is the thread record's created_by.
  const [starter, setStarter] = useState('');
  useEffect(() => {
    if (!group) return;
    let live = true;
    pb.collection('threads')
      .getOne(thread.id, { fields: 'created_by' })
      .then((r) => live && setStarter(r.created_by))
      .catch(() => {});
    return () => (live = false);
  }, [thread.id, group]);

  async function run(fn) {
    setExpanded(false);
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
    button.current && button.current.focus();
  }

  const id = thread.id;
  const actions = [
    [thread.muted ? t('unmute') : t('mute'), () => run(async () => {
      const v = await Api.mute(id, !thread.muted);
      patchThread(id, { muted: v.muted });
      setView(id, { muted: v.muted });
    })],
    [thread.archived ? t('unarchive') : t('archive'), () => run(async () => {
      const v = await Api.archive(id, !thread.archived);
      patchThread(id, { archived: v.archived });
      setView(id, { archived: v.archived });
    })],
    [t('markUnread'), () => run(async () => {
      const v = await Api.unread(id);
      patchThread(id, { unread: v.unread, lastReadSeq: v.lastReadSeq });
      loadTotals();
      navigate('/');
    })],
    [t('tags'), () => { setExpanded(false); setDialog('tags'); }],
    [t('searchInThread'), () => { setExpanded(false); navigate('/search?thread=' + encodeURIComponent(id)); }],
  ];
  if (group) {
    actions.push([t('addPeople'), () => { setExpanded(false); setDialog('add'); }]);
    if (starter === meId && others(thread, meId).length) actions.push([t('removePeople'), () => { setExpanded(false); setDialog('remove'); }]);
    actions.push([t('leave'), () => run(async () => {
      if (!confirm(t('confirmLeave'))) return;
      await Api.leave(id);
      removeThread(id);
      navigate('/');
    })]);
  } else if (other) {
    actions.push([t('block', { name: other.name }), () => run(async () => {
      if (!confirm(t('confirmBlock', { name: other.name }))) return;
      await Api.block(other.id);
      setError(t('blocked', { name: other.name }));
    })]);
  }

  actions.push([t('reportConversation'), () => { setExpanded(false); setDialog('report'); }]);

  return (
    <div class="menu">
      <button
        type="button"
        class="btn"
        ref={button}
        aria-expanded={expanded}
        aria-controls={'menu-' + id}
        onClick={() => setExpanded(!expanded)}
      >
        <span aria-hidden="true">⋯</span>
        <span class="sr-only">{t('menu')}</span>
      </button>
      <ul id={'menu-' + id} ref={menu} class="menu-list" hidden={!expanded} onKeyDown={(e) => e.key === 'Escape' && closeMenu()}>
        {actions.map(([label, fn]) => (
          <li key={label}>
            <button type="button" onClick={fn}>
              {label}
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p class="notice" role="status">
          {error}
        </p>
      )}
      {dialog === 'tags' && <TagsDialog thread={thread} onClose={() => { setDialog(''); button.current && button.current.focus(); }} />}
      {dialog === 'add' && <AddPeopleDialog thread={thread} onClose={() => { setDialog(''); button.current && button.current.focus(); }} />}
      {dialog === 'report' && <ReportDialog thread={thread} meId={meId} onClose={() => { setDialog(''); button.current && button.current.focus(); }} />}
      {dialog === 'remove' && <RemovePeopleDialog thread={thread} meId={meId} onClose={() => { setDialog(''); button.current && button.current.focus(); }} />}
    </div>
  );
}

function TagsDialog({ thread, onClose }) {
  const [selected, setSelected] = useState(() => new Set((thread.tags || []).map((x) => x.id)));
  const [name, setName] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    loadTags();
  }, []);

  async function save(next) {
    setError('');
    try {
      const v = await Api.setTags(thread.id, [...next]);
      setSelected(new Set(v.tags.map((x) => x.id)));
      patchThread(thread.id, { tags: v.tags });
      setView(thread.id, { tags: v.tags });
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }

  function toggle(tagId, on) {
    const next = new Set(selected);
    if (on) next.add(tagId);
    else next.delete(tagId);
    setSelected(next);
    save(next);
  }

  async function create(e) {
    e.preventDefault();
    const n = name.trim();
    if (!n) return;
    try {
      const tag = await Api.createTag(n);
      setName('');
      await loadTags();
      toggle(tag.id, true);
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }

  return (
    <Dialog title={t('manageTags')} onClose={onClose}>
      {myTags.value.length === 0 && <p>{t('noTags')}</p>}
      <ul class="taglist">
        {myTags.value.map((tag) => (
          <li key={tag.id}>
            <label class="check">
              <input type="checkbox" checked={selected.has(tag.id)} onChange={(e) => toggle(tag.id, e.currentTarget.checked)} />
              {tag.name}
            </label>
          </li>
        ))}
      </ul>
      <form onSubmit={create} class="row">
        <label>
          <span class="sr-only">{t('newTag')}</span>
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder={t('newTag')} maxLength={50} />
        </label>
        <button class="btn">{t('createTag')}</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </Dialog>
  );
}

function AddPeopleDialog({ thread, onClose }) {
  const [people, setPeople] = useState([]);
  const [error, setError] = useState('');
  async function add(e) {
    e.preventDefault();
    if (!people.length) return;
    try {
      await Api.addMembers(thread.id, people.map((p) => p.id));
      await reloadView(thread.id);
      onClose();
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }
  return (
    <Dialog title={t('addPeople')} onClose={onClose}>
      <form onSubmit={add} class="stack">
        <RecipientPicker value={people} onChange={setPeople} label={t('to')} autoFocus exclude={thread.members.map((m) => m.id)} />
        <button class="btn primary">{t('add')}</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </Dialog>
  );
}

function RemovePeopleDialog({ thread, meId, onClose }) {
  const [error, setError] = useState('');
  const people = others(thread, meId);
  async function remove(m) {
    if (!confirm(t('confirmRemove', { name: m.name }))) return;
    setError('');
    try {
      await Api.removeMember(thread.id, m.id);
      await reloadView(thread.id);
    } catch (err) {
      setError(errorText(err, { network: t('networkError'), generic: t('genericError') }));
    }
  }
  return (
    <Dialog title={t('removePeople')} onClose={onClose}>
      <ul class="people">
        {people.map((m) => (
          <li key={m.id}>
            <span>
              {m.name}
              {m.username && m.username !== m.name && <span class="handle"> @{m.username}</span>}
            </span>
            <button type="button" class="btn small" onClick={() => remove(m)} aria-label={t('removePerson', { name: m.name })}>
              {t('remove')}
            </button>
          </li>
        ))}
      </ul>
      {error && <p class="error" role="alert">{error}</p>}
    </Dialog>
  );
}
