import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { Link } from 'wouter-preact';
import { Api } from '../api.js';
import { options } from '../state.js';

// The member's own preferences. A setting shows only when the server
// reports it: a switch, or one of a few choices.
const SETTINGS = [
  { key: 'messagingOff', label: 'messagingOn', help: 'messagingOnHelp', inverted: true },
  {
    key: 'emailNotifications',
    label: 'emails',
    help: 'emailsHelp',
    choices: { default: 'emailDefault', conversation: 'emailConversation', digest: 'emailDigest', none: 'emailNone' },
    // What "the site's default" is, in words, from GET /api/messaging/options
    // (absent from an older server: the choice then says only "Site default").
    site: { conversation: 'emailModeConversation', digest: 'emailModeDigest', none: 'emailModeNone' },
  },
  {
    key: 'whoCanMessage',
    label: 'whoCanMessage',
    help: 'whoCanMessageHelp',
    choices: { default: 'reachDefault', everyone: 'reachEveryone', contacts: 'reachContacts', nobody: 'reachNobody', requests: 'reachRequests' },
    site: { everyone: 'reachModeEveryone', contacts: 'reachModeContacts', nobody: 'reachModeNobody', requests: 'reachModeRequests' },
  },
  { key: 'readReceiptsOff', label: 'receiptsOn', help: 'receiptsOnHelp', inverted: true },
];

export function Settings() {
  const [prefs, setPrefs] = useState(null);
  const [status, setStatus] = useState('');
  useEffect(() => {
    Api.preferences()
      .then(setPrefs)
      .catch(() => setStatus(t('genericError')));
  }, []);

  // The box shows the new value at once: a re-render while the request
  // is out (clearing the status is one) would otherwise put the stored
  // value back under the member's click. A failure restores it.
  async function change(key, value) {
    const before = prefs;
    setPrefs({ ...prefs, [key]: value });
    setStatus('');
    try {
      const next = await Api.setPreferences({ [key]: value });
      setPrefs(next);
      setStatus(t('saved'));
    } catch {
      setPrefs(before);
      setStatus(t('genericError'));
    }
  }

  return (
    <section class="page">
      <h1>{t('settingsTitle')}</h1>
      {prefs === null && !status && <p role="status">{t('loading')}</p>}
      {prefs && (
        <form class="stack" onSubmit={(e) => e.preventDefault()}>
          {SETTINGS.filter((s) => s.key in prefs).map((s) =>
            s.choices ? (
              <Choice key={s.key} setting={s} value={prefs[s.key]} onChange={(v) => change(s.key, v)} />
            ) : (
              <div key={s.key}>
                <label class="check">
                  <input
                    type="checkbox"
                    name={s.key}
                    checked={s.inverted ? !prefs[s.key] : !!prefs[s.key]}
                    aria-describedby={s.help ? s.key + '-help' : undefined}
                    onChange={(e) => change(s.key, s.inverted ? !e.currentTarget.checked : e.currentTarget.checked)}
                  />
                  {t(s.label)}
                </label>
                {s.help && (
                  <p class="hint" id={s.key + '-help'}>
                    {t(s.help)}
                  </p>
                )}
              </div>
            ),
          )}
        </form>
      )}
      <p role="status" class="status">
        {status}
      </p>
      <p>
        <Link href="/blocked">{t('blockedPeople')}</Link>
      </p>
      <p>
        <Link href="/reports">{t('myReports')}</Link>
      </p>
    </section>
  );
}

// Choice is one setting of a few values: radio buttons in a fieldset, so
// a screen reader announces the question with each answer.
function Choice({ setting: s, value, onChange }) {
  const site = s.site && s.site[options.value[s.key]];
  return (
    <fieldset aria-describedby={s.help ? s.key + '-help' : undefined}>
      <legend>{t(s.label)}</legend>
      {Object.entries(s.choices).map(([v, label]) => (
        <div key={v}>
          <label class="check">
            <input type="radio" name={s.key} value={v} checked={value === v} onChange={() => onChange(v)} />
            {t(label, { site: site ? t(site) : '' })}
          </label>
        </div>
      ))}
      {s.help && (
        <p class="hint" id={s.key + '-help'}>
          {t(s.help)}
        </p>
      )}
    </fieldset>
  );
}
