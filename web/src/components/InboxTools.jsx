import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { t } from '../i18n/index.js';
import { errorText } from '../api.js';
import { filters, myTags, loadTags, threads, totals } from '../state.js';
import { selecting, selectedIds, setSelecting, selectAll, runBulk, readAll } from '../bulk.js';
import { Dialog } from './Dialog.jsx';
import { useMenu } from './useMenu.js';

const errTexts = () => ({ network: t('networkError'), generic: t('genericError') });

// SelectToggle turns select mode on and off.
export function SelectToggle() {
  return (
    <button type="button" class="btn small" aria-pressed={selecting.value} onClick={() => setSelecting(!selecting.value)}>
      {t('select')}
    </button>
  );
}

// InboxMenu is the inbox's "⋯" menu: mark all read.
export function InboxMenu() {
  const { expanded, setExpanded, button, menu, close } = useMenu();
  const [note, setNote] = useState('');
  const [, navigate] = useLocation();

  async function markAll() {
    close();
    setNote('');
    try {
      await readAll();
      setNote(t('allRead'));
    } catch (err) {
      setNote(errorText(err, errTexts()));
    }
  }

  const unread = totals.value.threads > 0;
  return (
    <div class="menu inbox-menu">
      <button type="button" class="btn" ref={button} aria-expanded={expanded} aria-controls="inbox-menu" onClick={() => setExpanded(!expanded)}>
        <span aria-hidden="true">⋯</span>
        <span class="sr-only">{t('inboxMenu')}</span>
      </button>
      <ul id="inbox-menu" ref={menu} class="menu-list" hidden={!expanded} onKeyDown={(e) => e.key === 'Escape' && close()}>
        <li>
          <button type="button" onClick={markAll} disabled={!unread}>
            {t('markAllRead')}
          </button>
        </li>
        <li>
          <button type="button" onClick={() => (setExpanded(false), navigate('/reports'))}>
            {t('myReports')}
          </button>
        </li>
      </ul>
      <p class="sr-only" role="status">
        {note}
      </p>
    </div>
  );
}

// BulkBar is select mode's toolbar: select all, the count, the actions.
export function BulkBar() {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [tagging, setTagging] = useState(false);
  const done = useRef(null);
  const ids = selectedIds.value;
  const n = ids.length;
  const listed = threads.value.length;
  const box = filters.value.box;

  // Done takes the focus when select mode opens, so the keyboard is in the bar.
  useEffect(() => {
    done.current && done.current.focus();
  }, []);

  async function act(action, tag) {
    if (!n || busy) return;
    if (action === 'delete' && !confirm(t('confirmBulkDelete', { n }))) return;
    setBusy(true);
    setError('');
    setStatus('');
    try {
      const changed = await runBulk(action, ids, tag);
      setStatus(t('bulkDone', { action, n: changed }));
    } catch (err) {
      setError(errorText(err, errTexts()));
    } finally {
      setBusy(false);
    }
  }

  const actions = [
    ['read', t('markRead')],
    ['unread', t('markUnread')],
    box === 'archived' ? ['unarchive', t('unarchive')] : ['archive', t('archive')],
    ['mute', t('mute')],
    ['unmute', t('unmute')],
  ];
  return (
    <section class="bulkbar" aria-label={t('selection')} data-testid="bulkbar">
      <div class="row">
        <label class="check">
          <input
            type="checkbox"
            checked={n > 0 && n === listed}
            indeterminate={n > 0 && n < listed}
            disabled={!listed}
            onChange={(e) => selectAll(e.currentTarget.checked)}
          />
          {t('selectAll')}
        </label>
        <span class="grow count" role="status" data-testid="selected-count" data-count={n}>
          {t('selectedCount', { n })}
        </span>
        <button type="button" class="btn small" ref={done} onClick={() => setSelecting(false)}>
          {t('doneSelecting')}
        </button>
      </div>
      <div class="row actions" role="group" aria-label={t('bulkActions')}>
        {actions.map(([a, label]) => (
          <button type="button" class="btn small" key={a} disabled={!n || busy} onClick={() => act(a)}>
            {label}
          </button>
        ))}
        <button type="button" class="btn small" disabled={!n || busy} onClick={() => setTagging(true)}>
          {t('tagsEllipsis')}
        </button>
        <button type="button" class="btn small danger" disabled={!n || busy} onClick={() => act('delete')}>
          {t('deleteForMe')}
        </button>
      </div>
      {(status || error) && (
        <p class={error ? 'error' : 'hint'} role={error ? 'alert' : undefined}>
          {error || status}
        </p>
      )}
      {/* Announced when an action is done: the count above changes by itself too. */}
      {tagging && (
        <BulkTagDialog
          n={n}
          onPick={(action, tag) => {
            setTagging(false);
            act(action, tag);
          }}
          onClose={() => setTagging(false)}
        />
      )}
    </section>
  );
}

// BulkTagDialog picks one of the member's tags to add to or remove from the selection.
function BulkTagDialog({ n, onPick, onClose }) {
  const [tag, setTag] = useState('');
  useEffect(() => {
    loadTags();
  }, []);
  const tags = myTags.value;
  return (
    <Dialog title={t('bulkTagsTitle', { n })} onClose={onClose}>
      {tags.length === 0 ? (
        <p>{t('noTags')}</p>
      ) : (
        <fieldset class="taglist">
          <legend class="sr-only">{t('tags')}</legend>
          {tags.map((g) => (
            <label class="check" key={g.id}>
              <input type="radio" name="bulk-tag" value={g.id} checked={tag === g.id} onChange={() => setTag(g.id)} />
              {g.name}
            </label>
          ))}
        </fieldset>
      )}
      <div class="row">
        <button type="button" class="btn primary" disabled={!tag} onClick={() => onPick('tag', tag)}>
          {t('addTagToSelected')}
        </button>
        <button type="button" class="btn" disabled={!tag} onClick={() => onPick('untag', tag)}>
          {t('removeTagFromSelected')}
        </button>
      </div>
    </Dialog>
  );
}
