// The notifications admin page: channels (add, edit, enable, test, delete)
// and the recent deliveries, all through /api/admin/notifications. Secrets
// are never shown: the server only says whether a channel has one.
import { api } from './api.js';
import { $, $$, el, onSubmit, toast, confirmAction, when, runAction, showError } from './ui.js';

const form = $('#channel-form');
const SECRET_LABEL = { webhook: 'Signing secret', ntfy: 'Access token (optional)', email: 'Password' };
const EVENT_WORDS = { 'item.low': 'low', 'item.short': 'short', 'item.back_above_min': 'back above min', digest: 'digest', test: 'test', 'account.security': 'security notices' };

function showKind() {
  const kind = form.elements.kind.value;
  for (const box of $$('[data-kind]', form)) box.hidden = box.dataset.kind !== kind;
  $('[data-secret-label]', form).textContent = SECRET_LABEL[kind];
  $('[data-generate]', form).hidden = kind !== 'webhook';
  // Security notices go to each account's own address, by email only.
  if (kind !== 'email') $('[value="account.security"]', form).checked = false;
}
form.elements.kind.addEventListener('change', showKind);

$('[data-generate]', form).addEventListener('click', () => {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  form.elements.secret.type = 'text';
  form.elements.secret.value = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  toast('Copy the secret to your receiver now: it is not shown again after saving.');
});

function editing() { return form.elements.id.value; }

function stopEditing() {
  form.elements.id.value = '';
  form.elements.kind.disabled = false;
  form.elements.secret.type = 'password';
  $('#channel-form-title').textContent = 'New channel';
  $('[data-save]', form).textContent = 'Add the channel';
  $('[data-cancel]', form).hidden = true;
  $('[data-secret-hint]', form).textContent = '';
}
form.addEventListener('reset', () => setTimeout(() => { stopEditing(); showKind(); }));

function edit(c) {
  form.reset();
  setTimeout(() => {
    form.elements.id.value = c.id;
    form.elements.name.value = c.name;
    form.elements.kind.value = c.kind;
    form.elements.kind.disabled = true;
    form.elements.enabled.checked = c.enabled;
    for (const box of $$('[name=events]', form)) box.checked = c.events.includes(box.value);
    for (const [k, v] of Object.entries(c.settings || {})) if (form.elements[k]) form.elements[k].value = v;
    $('[data-secret-hint]', form).textContent = c.secret_set ? '(set; leave empty to keep it)' : '';
    $('#channel-form-title').textContent = `Edit ${c.name}`;
    $('[data-save]', form).textContent = 'Save';
    $('[data-cancel]', form).hidden = false;
    showKind();
    form.elements.name.focus();
  });
}

function settingsFrom(data, kind) {
  const v = (k) => String(data.get(k) || '').trim();
  if (kind === 'webhook') return { url: v('url') };
  if (kind === 'ntfy') return { server: v('server'), topic: v('topic') };
  return { host: v('host'), port: Number(v('port') || 0), security: v('security'), user: v('user'), from: v('from'), to: v('to') };
}

onSubmit(form, async (data) => {
  const kind = form.elements.kind.value;
  const body = {
    name: String(data.get('name') || ''),
    enabled: form.elements.enabled.checked,
    events: data.getAll('events'),
    settings: settingsFrom(data, kind),
  };
  const secret = String(data.get('secret') || '');
  if (secret) body.secret = secret;
  if (editing()) {
    await api.put(`/api/admin/notifications?id=${editing()}`, body);
    toast('Channel saved.');
  } else {
    await api.post('/api/admin/notifications', { kind, ...body });
    toast('Channel added.');
  }
  form.reset();
  await load();
});

const act = (action, done) => runAction($('#channels-error'), action, done, load);

function describe(c) {
  const s = c.settings || {};
  if (c.kind === 'webhook') return s.url;
  if (c.kind === 'ntfy') return `${s.server}/${s.topic}`;
  return `${s.host}:${s.port} → ${s.to}`;
}

function channelRow(c) {
  return el('tr', { 'data-channel': c.name },
    el('th', { scope: 'row' }, c.name, el('div', { class: 'small muted' }, describe(c))),
    el('td', {}, c.kind),
    el('td', {}, el('input', {
      type: 'checkbox', checked: c.enabled, 'aria-label': `${c.name} sends`,
      onchange: (e) => act(() => api.put(`/api/admin/notifications?id=${c.id}`, { enabled: e.target.checked })),
    })),
    el('td', {}, c.events.map((e) => EVENT_WORDS[e] || e).join(', ') || el('span', { class: 'muted' }, 'none')),
    el('td', { class: 'row-actions' },
      el('button', { type: 'button', class: 'btn btn-small', 'data-test': '', onclick: () => act(() => api.post(`/api/admin/notifications/test?id=${c.id}`, {}), `A test message to ${c.name} is on its way.`) }, 'Send test'),
      el('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => edit(c) }, 'Edit'),
      el('button', {
        type: 'button', class: 'btn btn-small btn-ghost',
        onclick: async () => { if (await confirmAction(`Delete the channel ${c.name}?`)) act(() => api.del(`/api/admin/notifications?id=${c.id}`), 'Channel deleted.'); },
      }, 'Delete')));
}

function deliveryRow(d) {
  const status = el('span', { class: `badge${d.status === 'failed' ? ' badge-danger' : d.status === 'pending' ? ' badge-warn' : ''}` }, d.status);
  return el('tr', { 'data-delivery': d.status },
    el('td', {}, when(d.updated_at)),
    el('td', {}, d.channel),
    el('td', {}, EVENT_WORDS[d.event] || d.event, d.item_name ? el('span', { class: 'muted' }, ` · ${d.item_name}`) : null),
    el('td', {}, status),
    el('td', { class: 'num' }, String(d.attempts)),
    el('td', { class: 'small' }, d.last_error || ''));
}

async function load() {
  const data = await api.get('/api/admin/notifications');
  $('[data-channels]').replaceChildren(...(data.channels.length ? data.channels.map(channelRow)
    : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No channels yet: add one below.'))]));
  $('[data-deliveries]').replaceChildren(...data.deliveries.map(deliveryRow));
  $('#deliveries-empty').hidden = data.deliveries.length > 0;
}

$('[data-refresh]').addEventListener('click', () => load());
showKind();
load().catch((err) => showError('#channels-error', err));
