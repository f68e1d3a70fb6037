// The stocktake page: choose a location (and whether what is inside it
// counts too), get what is recorded there, enter each count (typed, or one
// more per scan of the item's barcode; unlisted items are added as found),
// see the differences, and apply them as one stocktake (POST /api/stocktakes).
// Rows left blank are not counted. Past stocktakes are listed below. The
// counts typed are work the person would lose, so an ended session is
// answered on the page (api.js: signInHere).
import { api, signInHere } from './api.js';
import { $, el, fmt, int, toast, when, showError } from './ui.js';
import { attachPicker, requireChoices } from './picker.js';

signInHere();

const box = $('#stocktake');
const startForm = $('#start-form');
const where = attachPicker($('[data-picker]', startForm));
const found = attachPicker($('[data-picker]', $('#found-form')));
/** The stocktake in progress: the location, and one row per (item, place). */
let take = null;

const key = (itemId, locationId) => `${itemId}@${locationId}`;

function diffCell(row) {
  const counted = row.input.value === '' ? null : int(row.input.value);
  if (counted === null || Number.isNaN(counted)) return el('span', { class: 'muted' }, '—');
  const d = counted - row.recorded;
  return el('span', { class: d > 0 ? 'diff-plus' : d < 0 ? 'diff-minus' : 'muted' }, d > 0 ? `+${fmt(d)}` : d < 0 ? `−${fmt(-d)}` : '0');
}

function summary() {
  const rows = [...take.rows.values()];
  const counted = rows.filter((r) => r.input.value !== '');
  const differ = counted.filter((r) => int(r.input.value) !== r.recorded);
  $('#take-summary').textContent = `${fmt(counted.length)} of ${fmt(rows.length)} counted · ${fmt(differ.length)} ${differ.length === 1 ? 'difference' : 'differences'}`;
  for (const r of rows) r.diff.replaceChildren(diffCell(r));
}

function addRow({ item_id, item_name, location_id, location_path, quantity }, { foundHere = false } = {}) {
  const k = key(item_id, location_id);
  if (take.rows.has(k)) return take.rows.get(k);
  const input = el('input', {
    type: 'number', min: '0', step: '1', inputmode: 'numeric', class: 'count-input',
    'aria-label': `Counted ${item_name}${location_path ? ` in ${location_path}` : ''}`,
  });
  const diff = el('td', { class: 'num' });
  const row = { item_id, item_name, location_id, recorded: quantity, input, diff };
  input.addEventListener('input', summary);
  $('#count-rows').append(el('tr', { dataset: { item: item_id, location: location_id } },
    el('th', { scope: 'row' }, el('a', { href: `/inventory?item=${item_id}` }, item_name),
      foundHere ? el('span', { class: 'row-sub' }, 'found, not recorded') : null,
      location_path && location_id !== take.location.id ? el('span', { class: 'row-sub' }, location_path) : null),
    el('td', { class: 'num' }, fmt(quantity)),
    el('td', { class: 'num' }, input),
    diff));
  take.rows.set(k, row);
  return row;
}

async function start(location, recursive) {
  showError('#take-error', null);
  const params = new URLSearchParams({ id: String(location.id), content: 'true', limit: '1000', sort: 'item_name', order: 'asc' });
  if (recursive) params.set('recursive', 'true');
  const answer = await api.get(`/api/location?${params}`);
  take = { location, recursive, rows: new Map() };
  $('#count-rows').replaceChildren();
  for (const r of answer.items || []) {
    addRow({ ...r, location_id: r.location_id || location.id });
  }
  $('#counting-title').textContent = `Counting ${location.name}${recursive ? ' and what is inside' : ''}`;
  $('#counting').hidden = false;
  $('#take-result').hidden = true;
  box.hidden = true;
  summary();
  take.rows.values().next().value?.input.focus();
}

/** An item seen here: its row counts one more (added as found if unlisted). */
function seen(item) {
  const existing = [...take.rows.values()].find((r) => r.item_id === item.id);
  const row = existing || addRow({ item_id: item.id, item_name: item.name, location_id: take.location.id, quantity: 0 }, { foundHere: true });
  row.input.value = String((int(row.input.value) || 0) + 1);
  row.input.focus();
  summary();
  toast(`${item.name}: ${row.input.value}`);
}

async function scanned(code) {
  const m = /\/l\/i\/(\d+)\/?$/.exec(code);
  const items = m ? [await api.get(`/api/item?id=${m[1]}`)]
    : await api.get(`/api/item?${new URLSearchParams({ barcode: code, limit: '1' })}`);
  if (!items.length) {
    toast(`No item has the code ${code}.`);
    return;
  }
  seen(items[0]);
}

async function apply() {
  showError('#take-error', null);
  const counts = [...take.rows.values()].filter((r) => r.input.value !== '')
    .map((r) => ({ item_id: r.item_id, location_id: r.location_id, counted: int(r.input.value) }));
  if (!counts.length) {
    showError('#take-error', new Error('Nothing is counted yet.'));
    return;
  }
  try {
    const result = await api.post('/api/stocktakes', { location_id: take.location.id, recursive: take.recursive, counts });
    $('#result-title').textContent = `Stocktake ${result.stocktake.id}: ${fmt(result.stocktake.counted)} counted, ${fmt(result.stocktake.differences)} ${result.stocktake.differences === 1 ? 'difference' : 'differences'} applied`;
    $('#result-list').replaceChildren(...(result.differences.length ? result.differences.map((d) => el('li', {},
      el('a', { href: `/inventory?item=${d.item_id}` }, d.item_name),
      el('span', { class: 'qty' }, `${fmt(d.before)} → ${fmt(d.counted)} (${d.difference > 0 ? '+' : '−'}${fmt(Math.abs(d.difference))})`)))
      : [el('li', { class: 'muted' }, 'Everything was as recorded.')]));
    $('#take-result').hidden = false;
    $('#counting').hidden = true;
    box.hidden = false;
    take = null;
    loadPast();
  } catch (err) {
    showError('#take-error', err);
  }
}

async function loadPast() {
  const rows = await api.get('/api/stocktakes?limit=20');
  $('#past-list').replaceChildren(...(rows.length ? rows.map((s) => el('li', {},
    el('a', { href: `/locations?id=${s.location_id}` }, s.location_name),
    el('span', { class: 'muted small' }, ` ${s.username || ''} · ${when(s.created_at)}`),
    el('span', { class: 'qty' }, `${fmt(s.differences)} of ${fmt(s.counted)} differed`)))
    : [el('li', { class: 'muted' }, 'No stocktakes yet.')]));
}

startForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    requireChoices(startForm);
    await start(where.chosen, $('#take-recursive').checked);
  } catch (err) {
    showError(startForm, err);
  }
});
$('#found-form').addEventListener('picked', async (event) => {
  if (!event.detail || !take) return;
  seen(event.detail);
  found.set(null);
});
$('#found-form').addEventListener('submit', (event) => event.preventDefault());
$('#take-apply').addEventListener('click', apply);
$('#take-cancel').addEventListener('click', () => { take = null; $('#counting').hidden = true; box.hidden = false; });
$('#take-scan').addEventListener('click', async () => {
  const { scanOnce } = await import('./scanner.js');
  const code = await scanOnce('Scan an item');
  if (code) scanned(code).catch((err) => showError('#take-error', err));
});
// A keyboard-wedge scanner counts here instead of opening the item.
document.addEventListener('miauinv:scan', (event) => {
  if (!take) return;
  event.preventDefault();
  scanned(event.detail).catch((err) => showError('#take-error', err));
});

if (box.dataset.locationId) {
  where.set({ id: Number(box.dataset.locationId), name: box.dataset.locationName });
}
loadPast().catch(() => {});
