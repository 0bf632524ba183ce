import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n/index.js';

/** Dialog is a modal dialog with a title and a Close button; onClose runs however it closes. */
export function Dialog({ title, onClose, children, class: cls }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title" class={cls}>
      <h2 id="dialog-title">{title}</h2>
      {children}
      <button type="button" class="btn" onClick={() => ref.current.close()}>
        {t('close')}
      </button>
    </dialog>
  );
}
