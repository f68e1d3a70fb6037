// Settings: personal API tokens. The list (name, scope, made, last used,
// expiry), making one (its secret shown once, with a copy button; the
// password when this session logged in more than 5 minutes ago) and revoking
// one. The other settings that can revoke every token (password change, end
// all other sessions, 2FA on) read the list again through `reloadTokens`.
import { api } from './api.js';
import { $, el, onSubmit, toast, confirmAction, when, copyText, int } from './ui.js';

const list = $('#token-list');

function row(t) {
  const facts = [
    t.scope === 'write' ? 'read and write' : 'read only',
    el('span', {}, 'made ', when(t.created_at)),
    t.last_used_at ? el('span', {}, 'last used ', when(t.last_used_at)) : 'never used',
    t.expires_at ? `expires ${new Date(t.expires_at * 1000).toLocaleDateString()}` : 'never expires',
  ];
  return el('li', { class: 'token', 'data-token': String(t.id) },
    el('strong', {}, t.name),
    el('span', { class: 'muted small' }, ...facts.flatMap((f, i) => (i ? [' · ', f] : [' ', f]))),
    el('button', {
      type: 'button', class: 'btn btn-ghost btn-small danger', 'aria-label': `Revoke ${t.name}`,
      onclick: async () => {
        if (!await confirmAction(`Revoke the token “${t.name}”? Scripts using it stop working at once.`, 'Revoke')) return;
        await api.del(`/api/tokens?id=${t.id}`);
        toast('Token revoked.');
        await load();
      },
    }, 'Revoke'));
}

async function load() {
  const tokens = await api.get('/api/tokens');
  list.replaceChildren(...(tokens.length ? tokens.map(row) : [el('li', { class: 'muted' }, 'No tokens yet.')]));
}

/** Reads the list again after another setting revoked tokens. */
export const reloadTokens = load;

/** ", and 2 API tokens were revoked" after a change that ended some; "" when none. */
export function tokensEnded(n) {
  if (!n) return '';
  return n === 1 ? ', and 1 API token was revoked' : `, and ${n} API tokens were revoked`;
}

const form = $('#token-form');
const passwordField = $('#token-password-field');

onSubmit(form, async (data) => {
  const days = int(data.get('expires_in_days'));
  const password = passwordField.hidden ? '' : String(data.get('password') || '');
  let made;
  try {
    made = await api.post('/api/tokens', {
      name: String(data.get('name')).trim(),
      scope: data.get('scope'),
      ...(days === undefined ? {} : { expires_in_days: days }),
      ...(password ? { password } : {}),
    });
  } catch (err) {
    // The session logged in too long ago: the password is asked for beside
    // the form, which keeps what was typed; the error says why.
    if (err.code === 'password_required') passwordField.hidden = false;
    throw err;
  }
  form.reset();
  passwordField.hidden = true;
  $('#token-made-text').textContent = `“${made.name}” is made. Copy it now: it is not shown again.`;
  $('#token-made-value').value = made.token;
  $('#token-made').hidden = false;
  $('#token-made-value').select();
  await load();
});

$('#token-copy').addEventListener('click', async () => {
  toast(await copyText($('#token-made-value').value) ? 'Token copied.' : 'Select the token and copy it.');
});

load();
