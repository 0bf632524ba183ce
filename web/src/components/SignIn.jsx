import { useEffect, useState } from 'preact/hooks';
import { pb } from '../api.js';
import { t } from '../i18n/index.js';

// Password sign-in, the OAuth2 providers the site enabled, and sign-up
// (the users create rule decides whether it is open: a refusal says so).
export function SignIn() {
  const [mode, setMode] = useState('in');
  const [methods, setMethods] = useState(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    pb.collection('users')
      .listAuthMethods()
      .then(setMethods)
      .catch(() => setMethods({ password: { enabled: true }, oauth2: { enabled: false, providers: [] } }));
  }, []);

  async function signIn(e) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      await pb.collection('users').authWithPassword(String(f.get('identity')).trim(), String(f.get('password')));
    } catch (err) {
      setError(err && err.status === 0 ? t('networkError') : t('signInFailed'));
    } finally {
      setBusy(false);
    }
  }

  async function signUp(e) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const data = Object.fromEntries([...f.entries()].map(([k, v]) => [k, String(v)]));
    if (!data.username) delete data.username;
    setBusy(true);
    setError('');
    try {
      await pb.collection('users').create(data);
      await pb.collection('users').authWithPassword(data.email, data.password);
    } catch (err) {
      if (err && err.status === 403) setError(t('signUpClosed'));
      else if (err && err.status === 0) setError(t('networkError'));
      else {
        const fields = (err && err.response && err.response.data) || {};
        const reason = Object.entries(fields).map(([k, v]) => `${k}: ${v.message}`).join(' ') || (err && err.message) || '';
        setError(t('signUpFailed', { reason }));
      }
    } finally {
      setBusy(false);
    }
  }

  async function oauth(provider) {
    setError('');
    try {
      await pb.collection('users').authWithOAuth2({ provider: provider.name });
    } catch {
      setError(t('genericError'));
    }
  }

  const providers = (methods && methods.oauth2 && methods.oauth2.enabled && methods.oauth2.providers) || [];
  const passwordOn = !methods || !methods.password || methods.password.enabled !== false;

  return (
    <main id="main" class="signin">
      <h1>{mode === 'in' ? t('signInTitle') : t('signUpTitle')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {mode === 'in' && passwordOn && (
        <form onSubmit={signIn} class="stack">
          <label>
            {t('identity')}
            <input name="identity" autocomplete="username" required />
          </label>
          <label>
            {t('password')}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button class="btn primary" disabled={busy}>
            {t('signIn')}
          </button>
        </form>
      )}
      {mode === 'in' && !passwordOn && <p>{t('passwordLoginOff')}</p>}
      {mode === 'up' && (
        <form onSubmit={signUp} class="stack">
          <label>
            {t('name')}
            <input name="name" autocomplete="name" />
          </label>
          <label>
            {t('username')}
            <input name="username" autocomplete="nickname" />
          </label>
          <label>
            {t('email')}
            <input name="email" type="email" autocomplete="email" required />
          </label>
          <label>
            {t('password')}
            <input name="password" type="password" autocomplete="new-password" minLength={8} required />
          </label>
          <label>
            {t('passwordConfirm')}
            <input name="passwordConfirm" type="password" autocomplete="new-password" minLength={8} required />
          </label>
          <button class="btn primary" disabled={busy}>
            {t('signUp')}
          </button>
        </form>
      )}
      {providers.length > 0 && mode === 'in' && (
        <div class="stack">
          <p>{t('orSignInWith')}</p>
          {providers.map((p) => (
            <button type="button" class="btn" key={p.name} onClick={() => oauth(p)}>
              {t('signInWith', { provider: p.displayName || p.name })}
            </button>
          ))}
        </div>
      )}
      <p>
        {mode === 'in' ? t('noAccount') : t('haveAccount')}{' '}
        <button type="button" class="linklike" onClick={() => { setMode(mode === 'in' ? 'up' : 'in'); setError(''); }}>
          {mode === 'in' ? t('signUp') : t('signIn')}
        </button>
      </p>
    </main>
  );
}
