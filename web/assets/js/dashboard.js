// The dashboard: statistics, items short of stock and recent movements,
// refreshed from the API when the page is shown again.
import { api } from './api.js';
import { $, $$, el, fmt, when, describeMovement } from './ui.js';

async function loadStats() {
  const stats = await api.get('/api/stats');
  for (const node of $$('[data-stat]')) {
    node.textContent = fmt(stats[node.dataset.stat]);
  }
  $('[data-stat="items_short"]').closest('.stat').classList.toggle('stat-alert', stats.items_short > 0);
  const short = stats.short_items || [];
  $('#short-empty').hidden = short.length > 0;
  $('#short-table').hidden = short.length === 0;
  $('#short-table tbody').replaceChildren(...short.map((s) => el('tr', {},
    el('td', {}, el('a', { href: `/inventory?item=${s.id}` }, s.name)),
    el('td', { class: 'num' }, fmt(s.stocked_quantity)),
    el('td', { class: 'num' }, fmt(s.allocated_quantity)),
    el('td', { class: 'num' }, el('span', { class: 'badge badge-danger' }, fmt(s.missing))))));
}

async function loadMovements() {
  const moves = await api.get('/api/movements?limit=10');
  $('#moves-empty').hidden = moves.length > 0;
  $('#moves-list').replaceChildren(...moves.map((m) => el('li', { class: `move move-${m.kind}` },
    el('span', { class: 'move-text' }, describeMovement(m)),
    m.note ? el('span', { class: 'move-note' }, m.note) : null,
    el('span', { class: 'move-meta' }, m.username ? `${m.username} · ` : '', when(m.created_at)))));
}

function refresh() {
  loadStats().catch((err) => showProblem(err));
  loadMovements().catch((err) => showProblem(err));
}

function showProblem(err) {
  const box = $('#moves-empty');
  box.textContent = err.message;
  box.hidden = false;
}

refresh();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
