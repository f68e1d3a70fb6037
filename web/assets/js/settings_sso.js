// Settings: sign-in providers. Each configured identity provider with the
// account's identity there: link one (the browser goes to the provider and
// comes back through /auth/oidc/callback), or unlink it while another way
// in remains (the server refuses the last one).
import { api, request, ApiError } from './api.js';
import { $, el, showError, when } from './ui.js';
import { withPassword } from './password_prompt.js';

const list = $('#sso-list');
const message = $('#sso-error');

async function startLink(provider, password) {
  const body = password === undefined ? { provider } : { provider, password };
  const { data } = await request('POST', '/api/sso/link', { body });
  location.assign(data.location);
}

async function link(p) {
  showError(message, null);
  try {
    await startLink(p.id);
  } catch (err) {
    // A session older than five minutes confirms with the password first.
    if (err instanceof ApiError && err.code === 'password_required') {
      withPassword(`Linking ${p.name} adds a way into your account: confirm with your password.`,
        `Link ${p.name}`, (password) => startLink(p.id, password));
      return;
    }
    showError(message, err);
  }
}

async function unlink(p) {
  showError(message, null);
  try {
    await request('DELETE', `/api/sso/identities?provider=${encodeURIComponent(p.id)}`);
    await load();
  } catch (err) {
    showError(message, err);
  }
}

function row(p) {
  const action = p.linked
    ? el('button', { type: 'button', class: 'btn btn-ghost btn-small danger' }, 'Unlink')
    : el('button', { type: 'button', class: 'btn btn-small' }, `Link your ${p.name} account`);
  action.addEventListener('click', () => (p.linked ? unlink(p) : link(p)));
  const about = p.linked
    ? el('span', { class: 'muted small' }, p.linked.email ? `${p.linked.email} · ` : '', 'linked ', when(p.linked.created_at),
      p.linked.last_login_at ? [' · last sign-in ', when(p.linked.last_login_at)] : ' · not used yet')
    : el('span', { class: 'muted small' }, 'not linked');
  return el('li', { class: 'passkey', dataset: { provider: p.id } },
    el('div', { class: 'passkey-main' }, el('strong', {}, p.name), about),
    action);
}

async function load() {
  const providers = await api.get('/api/sso/identities');
  list.replaceChildren(...providers.map(row));
}

if (list) load().catch((err) => showError(message, err));
