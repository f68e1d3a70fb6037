// /admin: the security log of every account, filtered by account, with
// older events a page at a time.
import { api } from './api.js';
import { $, el, when } from './ui.js';
import { describeEvent } from './security_words.js';

const list = $('#security-events');
const filter = $('#security-user');
const more = $('#security-more');
let before = null;

function eventRow(e) {
  return el('li', { class: 'token', 'data-event': e.kind },
    el('strong', {}, e.username || '—'), ' ',
    el('span', {}, describeEvent(e)),
    el('span', { class: 'muted small' }, ' ', when(e.at), ' · ', e.device || 'unknown device', ' · ', e.ip || 'unknown address'));
}

async function load(append) {
  const who = filter.value ? `user_id=${encodeURIComponent(filter.value)}` : 'all=true';
  const page = await api.get(`/api/security-events?${who}&limit=50${append && before ? `&before=${before}` : ''}`);
  const rows = page.events.map(eventRow);
  if (append) list.append(...rows);
  else list.replaceChildren(...(rows.length ? rows : [el('li', { class: 'muted' }, 'Nothing recorded.')]));
  before = page.next_before;
  more.hidden = !before;
}

async function loadAccounts() {
  const users = await api.get('/api/admin/users');
  filter.append(...users.map((u) => el('option', { value: u.id }, u.username)));
}

filter.addEventListener('change', () => load(false));
more.addEventListener('click', () => load(true));
loadAccounts();
load(false);
