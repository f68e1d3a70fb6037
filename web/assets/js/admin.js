// The admin page: people (role, disable/enable, reset link, end sessions,
// delete), invitations (create, list, revoke). Every action is one call to
// /api/admin/…; the list is read again after each, so it always shows what
// the server holds.
import { api } from './api.js';
import { $, el, onSubmit, toast, confirmAction, when, copyText, int, runAction } from './ui.js';
import './admin_security.js';

const ROLES = ['viewer', 'editor', 'admin'];
const me = document.querySelector('.user-name')?.textContent;

/** Shows a one-time link to hand over. The server builds it from the
 *  configured public address, never from a request; with none configured it
 *  answers the path alone (`origin_configured: false`), and the dialog says
 *  where to put it. */
function showLink(title, text, link) {
  const dialog = $('#link-dialog');
  $('#link-title', dialog).textContent = title;
  $('#link-text', dialog).textContent = text;
  $('#link-url', dialog).value = link.url;
  const note = $('#link-no-origin', dialog);
  note.hidden = link.origin_configured !== false;
  $('[data-here]', note).textContent = location.origin;
  dialog.showModal();
  $('#link-url', dialog).select();
}
$('#link-copy').addEventListener('click', async () => {
  toast(await copyText($('#link-url').value) ? 'Link copied.' : 'Select the link and copy it.');
});

/** Runs an admin action; a refusal (e.g. the last admin) is shown, not thrown. */
const act = (action, done) => runAction($('#users-error'), action, done, loadUsers);

function userRow(u) {
  const role = el('select', {
    'aria-label': `Role of ${u.username}`,
    onchange: () => act(() => api.put(`/api/admin/users?id=${encodeURIComponent(u.id)}`, { role: role.value }), `${u.username} is now ${role.value}.`),
  }, ...ROLES.map((r) => el('option', { value: r, selected: r === u.role }, r)));
  const id = encodeURIComponent(u.id);
  const signIn = [u.password ? 'password' : 'no password'];
  for (const provider of u.sso_providers || []) signIn.push(provider);
  signIn.push(u.two_factor_enabled ? '2FA on' : '2FA off', u.passkeys ? `${u.passkeys} passkey${u.passkeys === 1 ? '' : 's'}` : 'no passkeys');
  if (u.api_tokens) signIn.push(`${u.api_tokens} API token${u.api_tokens === 1 ? '' : 's'}`);
  return el('tr', { 'data-user': u.username, class: u.disabled ? 'is-disabled' : '' },
    el('th', { scope: 'row' }, u.username, u.username === me ? el('span', { class: 'muted' }, ' (you)') : null, u.disabled ? el('span', { class: 'badge' }, ' disabled') : null),
    el('td', {}, role),
    el('td', {}, when(u.created_at)),
    el('td', {}, u.last_login_at ? when(u.last_login_at) : 'never'),
    el('td', {}, signIn.join(' · ')),
    el('td', {}, String(u.active_sessions)),
    el('td', { class: 'row-actions' },
      el('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        onclick: () => act(() => api.put(`/api/admin/users?id=${id}`, { disabled: !u.disabled }), u.disabled ? `${u.username} is enabled.` : `${u.username} is disabled; their sessions and API tokens ended.`),
      }, u.disabled ? 'Enable' : 'Disable'),
      el('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        onclick: () => act(async () => {
          const link = await api.post(`/api/admin/users/reset-link?id=${id}`, {});
          showLink(`Password reset for ${u.username}`, 'Give this link to the person. It works once, for 24 hours; their sessions and API tokens end when they use it.', link);
        }),
      }, 'Reset password'),
      el('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        onclick: () => act(() => api.post(`/api/admin/users/end-sessions?id=${id}`, {}), `Every session and API token of ${u.username} ended.`),
      }, 'End sessions'),
      el('button', {
        type: 'button', class: 'btn btn-small btn-ghost danger',
        onclick: async () => {
          if (!await confirmAction(`Delete the account “${u.username}”? Their sessions, passkeys and API tokens go with it; the inventory history keeps their name.`)) return;
          await act(() => api.del(`/api/admin/users?id=${id}`), `${u.username} was deleted.`);
        },
      }, 'Delete')));
}

async function loadUsers() {
  const users = await api.get('/api/admin/users');
  $('[data-users]').replaceChildren(...users.map(userRow));
}

function inviteItem(i) {
  const until = new Date(i.expires_at * 1000).toLocaleString();
  const what = {
    pending: `${i.role}, open until ${until}`,
    used: `${i.role}, used by ${i.used_by || 'a deleted account'}`,
    revoked: `${i.role}, revoked`,
    expired: `${i.role}, expired`,
  }[i.state];
  return el('li', { 'data-invite': String(i.id), class: `invite invite-${i.state}` },
    el('span', {}, `Invitation ${i.id}: ${what}`, i.created_by ? el('span', { class: 'muted' }, ` · made by ${i.created_by}`) : null),
    i.state === 'pending' ? el('button', {
      type: 'button', class: 'btn btn-small btn-ghost danger',
      onclick: async () => { await api.del(`/api/admin/invites?id=${i.id}`); toast('Invitation revoked.'); await loadInvites(); },
    }, 'Revoke') : null);
}

async function loadInvites() {
  const invites = await api.get('/api/admin/invites');
  $('#invite-list').replaceChildren(...(invites.length ? invites.map(inviteItem) : [el('li', { class: 'muted' }, 'No invitations yet.')]));
}

onSubmit($('#invite-form'), async (data) => {
  const invite = await api.post('/api/admin/invites', { role: data.get('role'), expires_in_days: int(data.get('expires_in_days')) });
  showLink(`Invitation as ${invite.role}`, 'Give this link to the person who should join. It works once, until it expires.', invite);
  await loadInvites();
});

loadUsers();
loadInvites();
