import en from './en.js';

// One catalog today; a translation is another file of the same keys.
const catalog = en;

/** t returns the text for key, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const v = catalog[key];
  if (v === undefined) return key;
  if (typeof v === 'function') return v(params);
  return v.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
}
