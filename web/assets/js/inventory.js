// The inventory pages. `/inventory`: one page of items at a time (searchable,
// sortable, its place kept in the URL), each with where it is as chips and
// quick actions that open the forms with the item chosen. `/inventory?item=N`:
// that item's own page with its figures, locations, allocations and paged
// history, tags (links to the list filtered by that tag), custom fields, sku
// and barcodes, and the form that edits those. Both carry the forms to put into stock, move and allocate, whose
// item, location and project fields are type-to-search pickers.
import { api } from './api.js';
import { $, $$, el, toastAction, fmt, int, onSubmit, toast, describeMovement, movementMeta, confirmAction, showError } from './ui.js';
import { attachPickers, requireChoices, searchKind } from './picker.js';
import { pagedTable } from './paged.js';
import { itemExtras } from './item_form.js';

/** How many location chips a row shows before "+N more". */
const CHIPS = 4;
const HISTORY_PAGE = 20;

const forms = {
  stock: $('#stock-form'),
  move: $('#move-form'),
  allocate: $('#allocate-form'),
};
const anyLocation = searchKind('location');

/** A move starts where the item is: with an item chosen, "From" suggests
 *  only the locations holding it, with how many are there. */
async function whereTheItemIs(q) {
  const item = pickers.move.item_id.chosen;
  if (!item) return anyLocation(q);
  const params = new URLSearchParams({ item_id: String(item.id), sort: 'location_name', order: 'asc', limit: '8' });
  if (q) params.set('q', q);
  const rows = await api.get(`/api/stock?${params}`);
  return rows.map((s) => ({ id: s.location_id, name: s.location_name, detail: `${fmt(s.quantity)} of ${item.name} here` }));
}

const pickers = {
  stock: attachPickers(forms.stock),
  move: attachPickers(forms.move, { from_location_id: whereTheItemIs }),
  allocate: attachPickers(forms.allocate),
};
const detail = $('#item-detail');
let reload = async () => {};

function availability(item) {
  const cls = item.available_quantity < 0 ? 'badge badge-danger'
    : item.available_quantity === 0 ? 'badge badge-warn' : 'badge badge-ok';
  return el('span', { class: cls }, fmt(item.available_quantity));
}

const itemHref = (id) => `/inventory?item=${id}`;
const tagHref = (tag) => `/inventory?${new URLSearchParams({ tag })}`;

/** The item's tags as links to the inventory filtered by each. */
function tagChips(tags, cls = 'tag') {
  return (tags || []).map((t) => el('a', { class: cls, href: tagHref(t) }, t));
}

/** A field value: a web address becomes a link (opened without handing this
 *  page to it), anything else stays text. */
function fieldValue(value) {
  let url = null;
  try { url = new URL(value); } catch { /* not an address */ }
  if (url && (url.protocol === 'https:' || url.protocol === 'http:')) {
    return el('a', { href: url.href, rel: 'noopener noreferrer', target: '_blank' }, value);
  }
  return value;
}
const locationHref = (id) => `/locations?id=${id}`;

/** Where an item is: "Shelf A ×6", "Van ×4", … as links to the locations. */
function locationChips(item) {
  const places = item.locations || [];
  if (places.length === 0) return el('span', { class: 'muted small' }, 'Not in any location');
  const shown = places.slice(0, CHIPS).map((p) => el('a', { class: 'loc-chip', href: locationHref(p.location_id) },
    el('span', {}, p.location_name), el('b', {}, `×${fmt(p.quantity)}`)));
  if (places.length > CHIPS) {
    shown.push(el('a', { class: 'loc-chip more', href: itemHref(item.id) }, `+${places.length - CHIPS} more`));
  }
  return el('span', { class: 'loc-chips' }, shown);
}

/**
 * Opens a form with the item chosen and moves on to its next field. A move
 * starts from where the item has most units.
 */
function quick(kind, item) {
  pickers[kind].item_id.set(item);
  const next = { stock: 'location_id', move: 'to_location_id', allocate: 'project_id' }[kind];
  if (kind === 'move' && item.locations?.length) {
    const most = item.locations[0];
    pickers.move.from_location_id.set({ id: most.location_id, name: most.location_name });
  }
  forms[kind].closest('section').scrollIntoView({ block: 'start', behavior: 'smooth' });
  pickers[kind][next].input.focus({ preventScroll: true });
}

/** The primary photo's thumbnail, loaded only when the row scrolls into view. */
function rowThumb(item) {
  if (!item.photo_id) return null;
  return el('img', {
    class: 'row-thumb', src: `/api/item/photo?id=${item.photo_id}&size=thumb`, alt: '', loading: 'lazy', decoding: 'async', width: 40, height: 40,
  });
}

function itemRow(item) {
  const action = (kind, label, text) => el('button', {
    'data-write': true, type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `${label} ${item.name}`, onclick: () => quick(kind, item),
  }, text);
  return el('tr', { dataset: { id: item.id } },
    el('th', { scope: 'row' },
      rowThumb(item),
      el('a', { href: itemHref(item.id), class: 'strong' }, item.name),
      item.sku || item.category
        ? el('span', { class: 'row-sub' }, [item.sku, item.category].filter(Boolean).join(' · ')) : null,
      item.tags?.length ? el('span', { class: 'row-tags' }, tagChips(item.tags, 'tag tag-small')) : null),
    el('td', {}, locationChips(item)),
    el('td', { class: 'num hide-phone' }, fmt(item.stocked_quantity)),
    el('td', { class: 'num hide-phone' }, fmt(item.allocated_quantity)),
    el('td', { class: 'num' }, availability(item)),
    el('td', { class: 'row-actions' },
      action('stock', 'Put into stock:', 'Stock'),
      action('move', 'Move', 'Move'),
      action('allocate', 'Allocate', 'Allocate')));
}

function startList() {
  const table = pagedTable({
    root: $('#item-list'),
    defaults: { sort: 'name', order: 'asc', limit: 50 },
    fetchPage: (params) => api.list(`/api/item?locations=true&${params}`),
    renderRow: itemRow,
  });
  reload = table.reload;
}

// ── one item's page ────────────────────────────────────────────────────────

const itemId = detail ? Number(detail.dataset.itemId) : null;
let historyPage = 0;
/** This page's item as last loaded (figures and locations). */
let thisItem = null;

async function loadItem() {
  const field = (name) => $(`[data-detail="${name}"]`, detail);
  const [item, allocations] = await Promise.all([
    api.get(`/api/item?id=${itemId}&locations=true`),
    api.list(`/api/association?item_id=${itemId}&sort=project_name&limit=200`),
  ]);
  field('numbers').replaceChildren(...[
    ['Total', item.total_quantity], ['Stocked', item.stocked_quantity], ['Unstocked', item.unstocked_quantity],
    ['Allocated', item.allocated_quantity], ['Available', item.available_quantity],
  ].map(([label, n]) => el('span', { class: 'chip' }, el('span', { class: 'chip-label' }, label), fmt(n))));
  const codes = [item.sku ? `SKU ${item.sku}` : null, ...(item.barcodes || []).map((b) => `Barcode ${b}`)];
  field('codes').replaceChildren(...codes.filter(Boolean).map((c) => el('span', { class: 'code' }, c)));
  field('tags').replaceChildren(...tagChips(item.tags).map((a) => el('li', {}, a)));
  const fields = Object.entries(item.fields || {});
  field('fields').replaceChildren(...fields.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, fieldValue(value)))));
  field('fields-box').hidden = fields.length === 0;
  const places = item.locations || [];
  thisItem = item;
  field('locations').replaceChildren(...(places.length ? places.map((p) => el('li', {},
    el('a', { href: locationHref(p.location_id) }, p.location_name),
    el('span', { class: 'qty' }, `× ${fmt(p.quantity)}`)))
    : [el('li', { class: 'muted' }, 'Not in any location.')]));
  const list = allocations.data || [];
  const more = (allocations.total ?? list.length) - list.length;
  field('allocations').replaceChildren(...(list.length ? list.map(allocationRow)
    : [el('li', { class: 'muted' }, 'Not allocated to any project.')]),
  ...(more > 0 ? [el('li', { class: 'muted' }, `and ${fmt(more)} more`)] : []));
  for (const kind of Object.keys(pickers)) {
    if (!pickers[kind].item_id.chosen) pickers[kind].item_id.set(item);
  }
  return item;
}

function allocationRow(a) {
  const input = el('input', {
    type: 'number', min: '1', step: '1', value: a.quantity, class: 'qty-input', inputmode: 'numeric',
    'aria-label': `Quantity of ${a.item_name} for ${a.project_name}`,
  });
  return el('li', {},
    el('a', { href: `/projects?id=${a.project_id}` }, a.project_name),
    el('span', { class: 'qty' }, input),
    el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small', onclick: () => changeAllocation(a, input) }, 'Update'),
    el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small danger', onclick: () => release(a) }, 'Release'));
}

const allocError = (err) => showError('#alloc-error', err);

async function changeAllocation(a, input) {
  allocError(null);
  try {
    await api.put(`/api/association?id=${a.id}`, { quantity: int(input.value) });
    await offerUndo(`Allocation of ${a.item_name} to ${a.project_name} changed.`, a.item_id);
    await reload();
  } catch (err) {
    allocError(err);
  }
}

async function release(a) {
  allocError(null);
  if (!(await confirmAction(`Release ${a.quantity} × ${a.item_name} from ${a.project_name}?`, 'Release'))) return;
  try {
    await api.del(`/api/association?id=${a.id}`);
    await offerUndo(`Released ${a.item_name} from ${a.project_name}.`, a.item_id);
    await reload();
  } catch (err) {
    allocError(err);
  }
}

async function loadHistory() {
  const result = await api.list(`/api/item/history?id=${itemId}&limit=${HISTORY_PAGE}&offset=${historyPage * HISTORY_PAGE}`);
  const moves = result.data || [];
  const total = result.total ?? moves.length;
  // The item's newest movement can be undone from here (the server refuses
  // an older one anyway: 409 later_changes).
  $('[data-detail="history"]', detail).replaceChildren(...(moves.length ? moves.map((m, n) => el('li', { class: `move move-${m.kind}` },
    el('span', { class: 'move-text' }, describeMovement(m, false)),
    m.note ? el('span', { class: 'move-note' }, m.note) : null,
    movementMeta(m),
    historyPage === 0 && n === 0 && m.kind !== 'total' ? el('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-write': true, 'data-undo': m.id, onclick: () => undoMovement(m.id) }, 'Undo') : null))
    : [el('li', { class: 'muted' }, 'Nothing has happened to this item yet.')]));
  const first = historyPage * HISTORY_PAGE;
  $('#history-pager').hidden = total <= HISTORY_PAGE;
  $('#history-info').textContent = total ? `${fmt(first + 1)}–${fmt(first + moves.length)} of ${fmt(total)}` : '';
  $('#history-prev').disabled = historyPage === 0;
  $('#history-next').disabled = first + moves.length >= total;
}

/** The history page in the URL (`history=N`, from 1), so reload and
 *  back/forward keep the page a person was reading. */
function historyFromUrl() {
  const n = Number(new URL(location.href).searchParams.get('history'));
  return Number.isInteger(n) && n > 1 ? n - 1 : 0;
}

function turnHistory(page) {
  historyPage = Math.max(0, page);
  const url = new URL(location.href);
  if (historyPage) url.searchParams.set('history', String(historyPage + 1));
  else url.searchParams.delete('history');
  history.pushState(history.state, '', url);
  loadHistory();
}

function startItem() {
  historyPage = historyFromUrl();
  reload = () => Promise.all([loadItem(), loadHistory()]);
  // The quick actions (shelf.js) say when they changed the item.
  document.addEventListener('miauinv:changed', () => reload());
  $('#history-prev').addEventListener('click', () => turnHistory(historyPage - 1));
  $('#history-next').addEventListener('click', () => turnHistory(historyPage + 1));
  window.addEventListener('popstate', () => { historyPage = historyFromUrl(); loadHistory(); });
  for (const link of $$('[data-quick]', detail)) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      if (thisItem) quick(link.dataset.quick, thisItem);
    });
  }
  const detailsForm = $('#details-form');
  const extras = itemExtras(detailsForm);
  onSubmit(detailsForm, async (d) => {
    const item = await api.put(`/api/item?id=${itemId}`, extras.read(d));
    extras.fill(item);
    toast('Tags, fields and codes saved.');
    await reload();
  });
  // A location's page links here with ?from=ID#move: the move starts there.
  reload().then(([item]) => {
    extras.fill(item);
    const from = Number(new URLSearchParams(location.search).get('from'));
    const place = from && (item.locations || []).find((p) => p.location_id === from);
    if (place) pickers.move.from_location_id.set({ id: place.location_id, name: place.location_name });
  }).catch((err) => allocError(err));
}

// ── the forms ──────────────────────────────────────────────────────────────

// On an item's page the forms stay on that item.
async function afterChange(kind, message) {
  const changed = pickers[kind].item_id.chosen;
  const keep = itemId ? changed : null;
  forms[kind].reset();
  if (keep) pickers[kind].item_id.set(keep);
  await offerUndo(message, changed && changed.id);
  await reload();
}

// After an action the toast offers Undo for 10 s: it undoes the item's newest
// movement, the one the action just wrote.
async function offerUndo(message, item) {
  const [newest] = item ? await api.get(`/api/item/history?id=${item}&limit=1`).catch(() => []) : [];
  if (!newest) { toast(message); return; }
  toastAction(message, 'Undo', () => undoMovement(newest.id));
}

async function undoMovement(id) {
  try {
    await api.post('/api/movements/undo', { movement_id: id });
    toast('Undone.');
  } catch (err) {
    toast(err.message);
  }
  await reload();
}

const note = (d) => String(d.get('note') || '').trim() || undefined;

/** The one row of `path` for this item and place, if there is one. */
async function existing(path, itemKey, placeKey, itemIdValue, placeId) {
  const rows = await api.get(`${path}?${itemKey}=${itemIdValue}&${placeKey}=${placeId}&limit=1`);
  return rows[0] || null;
}

onSubmit(forms.stock, async (d) => {
  requireChoices(forms.stock);
  const item = int(d.get('item_id'));
  const place = int(d.get('location_id'));
  const quantity = int(d.get('quantity'));
  const row = await existing('/api/stock', 'item_id', 'location_id', item, place);
  if (row) {
    await api.put(`/api/stock?id=${row.id}`, { quantity, note: note(d) });
  } else {
    await api.post('/api/stock', { item_id: item, location_id: place, quantity, note: note(d) });
  }
  await afterChange('stock', 'Stock saved.');
});

onSubmit(forms.move, async (d) => {
  requireChoices(forms.move);
  await api.post('/api/stock/transfer', {
    item_id: int(d.get('item_id')),
    from_location_id: int(d.get('from_location_id')),
    to_location_id: int(d.get('to_location_id')),
    quantity: int(d.get('quantity')),
    note: note(d),
  });
  await afterChange('move', 'Stock moved.');
});

// Allocating an item the project already has adds to that allocation.
onSubmit(forms.allocate, async (d) => {
  requireChoices(forms.allocate);
  const item = int(d.get('item_id'));
  const project = int(d.get('project_id'));
  const quantity = int(d.get('quantity'));
  const row = await existing('/api/association', 'item_id', 'project_id', item, project);
  if (row) {
    await api.put(`/api/association?id=${row.id}`, { quantity: row.quantity + quantity, note: note(d) });
  } else {
    await api.post('/api/association', { item_id: item, project_id: project, quantity, note: note(d) });
  }
  await afterChange('allocate', 'Allocated.');
});

if (detail) startItem();
else startList();
