// The dashboard: statistics, items short of stock and recent movements,
// refreshed from the API when the page is shown again.
import { api } from './api.js';
import { $, el, describeMovement, movementMeta, showError } from './ui.js';

// The figures and the short-of-stock table are rendered by the server (one
// template, dashboard.html); to refresh them the page fetches itself again and
// takes those parts over, so there is no second renderer here.
async function loadStats() {
  const res = await fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  if (!res.ok) throw new Error(`The dashboard could not be refreshed (${res.status}).`);
  const fresh = new DOMParser().parseFromString(await res.text(), 'text/html');
  for (const selector of ['.stats', '#short-empty', '#short-table', '#reorder-empty', '#reorder-table']) {
    const now = $(selector);
    const next = fresh.querySelector(selector);
    // A page without them (the login page after the session ended) changes nothing.
    if (now && next) now.replaceWith(document.importNode(next, true));
  }
}

async function loadMovements() {
  const moves = await api.get('/api/movements?limit=10');
  $('#moves-empty').hidden = moves.length > 0;
  $('#moves-list').replaceChildren(...moves.map((m) => el('li', { class: `move move-${m.kind}` },
    el('span', { class: 'move-text' }, describeMovement(m)),
    m.note ? el('span', { class: 'move-note' }, m.note) : null,
    movementMeta(m))));
}

function refresh() {
  loadStats().catch((err) => showProblem(err));
  loadMovements().catch((err) => showProblem(err));
}

const showProblem = (err) => showError('#moves-empty', err);

refresh();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
