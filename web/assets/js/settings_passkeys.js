// Settings: passkeys. The list, adding one (password, then the browser's own
// passkey dialog), removing one and removing all (each confirmed with the
// password in a dialog).
import { api, request } from './api.js';
import { $, el, onSubmit, showError, when } from './ui.js';
import { withPassword } from './password_prompt.js';
import {
  passkeyProblem, creationOptions, registrationJSON, browserError,
} from './webauthn.js';

const list = $('#passkey-list');
const listError = $('#passkey-list-error');
const addForm = $('#passkey-add-form');
const removeAll = $('#passkeys-remove-all');

// ── the list ────────────────────────────────────────────────────────────────

function row(passkey) {
  const used = passkey.last_used_at ? ['last used ', when(passkey.last_used_at)] : ['never used'];
  const remove = el('button', { type: 'button', class: 'btn btn-ghost btn-small danger' }, 'Remove');
  remove.setAttribute('aria-label', `Remove the passkey ${passkey.name}`);
  remove.addEventListener('click', () => withPassword(
    `Remove the passkey “${passkey.name}”? It can no longer log in to this account. Every other device is logged out.`,
    'Remove passkey',
    async (password) => {
      await request('DELETE', '/api/passkeys', { body: { id: passkey.id, password } });
      await load();
    },
  ));
  return el('li', { class: 'passkey', dataset: { id: passkey.id } },
    el('div', { class: 'passkey-main' },
      el('strong', { class: 'passkey-name' }, passkey.name),
      el('span', { class: 'muted small' }, 'added ', when(passkey.created_at), ' · ', ...used,
        passkey.backup_eligible ? ' · synced' : '')),
    remove);
}

async function load() {
  showError(listError, null);
  try {
    const passkeys = await api.get('/api/passkeys');
    list.replaceChildren(...(passkeys.length
      ? passkeys.map(row)
      : [el('li', { class: 'muted' }, 'No passkeys are registered for this account.')]));
    removeAll.hidden = passkeys.length === 0;
  } catch (err) {
    showError(listError, err);
  }
}

removeAll.addEventListener('click', () => withPassword(
  'Remove every passkey of this account? None of them can log in any more. Every other device is logged out.',
  'Remove all passkeys',
  async (password) => {
    await api.post('/api/passkeys/disable', { password });
    await load();
  },
));

// ── adding one ──────────────────────────────────────────────────────────────

const problem = passkeyProblem();
if (problem) {
  const note = $('#passkeys-unsupported');
  note.textContent = problem;
  note.hidden = false;
  addForm.querySelector('button[type=submit]').disabled = true;
}

onSubmit(addForm, async (data) => {
  const name = String(data.get('name')).trim();
  const started = await api.post('/api/passkeys/register/options', {
    name,
    password: String(data.get('password')),
  });
  let credential;
  try {
    credential = await navigator.credentials.create(creationOptions(started.options));
  } catch (err) {
    throw new Error(browserError(err, 'Add it again when you are ready.'));
  }
  await api.post('/api/passkeys/register/finish', {
    challenge_token: started.challenge_token,
    credential: registrationJSON(credential),
  });
  addForm.reset();
  const ok = addForm.querySelector('[data-ok]');
  ok.textContent = `The passkey “${name}” was added. Every other device was logged out.`;
  ok.hidden = false;
  await load();
});

load();
