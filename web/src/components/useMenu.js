import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A disclosure menu's state: whether it is open, the refs of its button
 * and its list, and close(), which gives focus back to the button. Opening
 * focuses the first item; a click outside closes it.
 */
export function useMenu() {
  const [expanded, setExpanded] = useState(false);
  const button = useRef(null);
  const menu = useRef(null);

  useEffect(() => {
    if (!expanded) return;
    const first = menu.current && menu.current.querySelector('button');
    first && first.focus();
    function onDoc(e) {
      if (menu.current && !menu.current.contains(e.target) && e.target !== button.current) setExpanded(false);
    }
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [expanded]);

  function close() {
    setExpanded(false);
    button.current && button.current.focus();
  }

  return { expanded, setExpanded, button, menu, close };
}
