// The inventory page: where every item is (item × location), putting stock
// into a location, moving it, allocating to and releasing from projects, and
// one item's detail with its movement history (`/inventory?item=ID`).
import { api } from './api.js';
import { $, $$, el, fmt, int, onSubmit, toast, fillSelect, when, describeMovement, confirmAction } from './ui.js';

// Lists without a limit return every row; this page shows all of them at once.
const ALL = 'sort=name&order=asc';
const data = { items: [], locations: [], projects: [], stock: [], associations: [] };

async function loadAll() {
  const [items, locations, projects, stock, associations] = await Promise.all([
    api.get(`/api/item?${ALL}`),
    api.get(`/api/location?${ALL}`),
    api.get(`/api/project?${ALL}`),
    api.get('/api/stock?sort=location_name'),
    api.get('/api/association?sort=project_name'),
  ]);
  Object.assign(data, { items, locations, projects, stock, associations });
  for (const select of $$('select[data-options]')) {
    const kind = select.dataset.options;
    const placeholder = { items: 'Choose an item…', locations: 'Choose a location…', projects: 'Choose a project…' }[kind];
    fillSelect(select, data[kind], placeholder);
  }
  renderMatrix();
  renderAllocations();
  const itemId = Number(new URLSearchParams(location.search).get('item'));
  if (itemId) await showItem(itemId);
}

function availability(item) {
  const cls = item.available_quantity < 0 ? 'badge badge-danger'
    : item.available_quantity === 0 ? 'badge badge-warn' : 'badge badge-ok';
  return el('span', { class: cls }, fmt(item.available_quantity));
}

function renderMatrix() {
  const table = $('#matrix');
  const needle = $('#matrix-filter').value.trim().toLowerCase();
  const used = data.locations.filter((l) => data.stock.some((s) => s.location_id === l.id));
  const items = data.items.filter((i) => !needle || i.name.toLowerCase().includes(needle));
  $('#matrix-empty').hidden = data.stock.length > 0;
  table.hidden = data.stock.length === 0;
  table.tHead.replaceChildren(el('tr', {},
    el('th', { scope: 'col' }, 'Item'),
    used.map((l) => el('th', { scope: 'col', class: 'num' }, l.name)),
    el('th', { scope: 'col', class: 'num' }, 'Stocked'),
    el('th', { scope: 'col', class: 'num' }, 'Allocated'),
    el('th', { scope: 'col', class: 'num' }, 'Available')));
  table.tBodies[0].replaceChildren(...items.map((item) => el('tr', {},
    el('th', { scope: 'row' }, el('a', { href: `?item=${item.id}`, onclick: (e) => { e.preventDefault(); openItem(item.id); } }, item.name)),
    used.map((l) => {
      const row = data.stock.find((s) => s.item_id === item.id && s.location_id === l.id);
      return el('td', { class: row ? 'num' : 'num muted' }, row ? fmt(row.quantity) : '·');
    }),
    el('td', { class: 'num' }, fmt(item.stocked_quantity)),
    el('td', { class: 'num' }, fmt(item.allocated_quantity)),
    el('td', { class: 'num' }, availability(item)))));
}

function renderAllocations() {
  const body = $('#alloc-table tbody');
  $('#alloc-empty').hidden = data.associations.length > 0;
  $('#alloc-table').hidden = data.associations.length === 0;
  body.replaceChildren(...data.associations.map((a) => {
    const input = el('input', {
      type: 'number', min: '1', step: '1', value: a.quantity, class: 'qty-input', inputmode: 'numeric',
      'aria-label': `Quantity of ${a.item_name} for ${a.project_name}`,
    });
    return el('tr', {},
      el('td', {}, a.project_name),
      el('td', {}, el('a', { href: `?item=${a.item_id}`, onclick: (e) => { e.preventDefault(); openItem(a.item_id); } }, a.item_name)),
      el('td', { class: 'num' }, input),
      el('td', { class: 'row-actions' },
        el('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => changeAllocation(a, input) }, 'Update'),
        el('button', { type: 'button', class: 'btn btn-ghost btn-small danger', onclick: () => release(a) }, 'Release')));
  }));
}

function allocError(err) {
  const box = $('#alloc-error');
  box.textContent = err ? err.message : '';
  box.hidden = !err;
}

async function changeAllocation(a, input) {
  allocError(null);
  try {
    await api.put(`/api/association?id=${a.id}`, { quantity: int(input.value) });
    toast(`${a.item_name} for ${a.project_name}: ${input.value}.`);
    await loadAll();
  } catch (err) {
    allocError(err);
  }
}

async function release(a) {
  allocError(null);
  if (!(await confirmAction(`Release ${a.quantity} × ${a.item_name} from ${a.project_name}?`, 'Release'))) return;
  try {
    await api.del(`/api/association?id=${a.id}`);
    toast(`Released ${a.item_name} from ${a.project_name}.`);
    await loadAll();
  } catch (err) {
    allocError(err);
  }
}

function openItem(id) {
  history.pushState(null, '', `?item=${id}`);
  showItem(id);
}

async function showItem(id) {
  const panel = $('#item-detail');
  const [item, history] = await Promise.all([
    api.get(`/api/item?id=${id}`),
    api.get(`/api/item/history?id=${id}`),
  ]);
  const field = (name) => $(`[data-detail="${name}"]`, panel);
  field('name').textContent = item.name;
  field('category').textContent = item.category || 'Item';
  field('description').textContent = item.description || '';
  field('description').hidden = !item.description;
  field('numbers').replaceChildren(...[
    ['Total', item.total_quantity], ['Stocked', item.stocked_quantity], ['Unstocked', item.unstocked_quantity],
    ['Allocated', item.allocated_quantity], ['Available', item.available_quantity],
  ].map(([label, n]) => el('span', { class: 'chip' }, el('span', { class: 'chip-label' }, label), fmt(n))));
  const stock = data.stock.filter((s) => s.item_id === id);
  field('locations').replaceChildren(...(stock.length ? stock.map((s) => el('li', {}, s.location_name, el('span', { class: 'qty' }, `× ${fmt(s.quantity)}`)))
    : [el('li', { class: 'muted' }, 'Not in any location.')]));
  const allocations = data.associations.filter((a) => a.item_id === id);
  field('allocations').replaceChildren(...(allocations.length ? allocations.map((a) => el('li', {}, a.project_name, el('span', { class: 'qty' }, `× ${fmt(a.quantity)}`)))
    : [el('li', { class: 'muted' }, 'Not allocated to any project.')]));
  field('history').replaceChildren(...(history.length ? history.map((m) => el('li', { class: `move move-${m.kind}` },
    el('span', { class: 'move-text' }, describeMovement(m, false)),
    m.note ? el('span', { class: 'move-note' }, m.note) : null,
    el('span', { class: 'move-meta' }, m.username ? `${m.username} · ` : '', when(m.created_at))))
    : [el('li', { class: 'muted' }, 'Nothing has happened to this item yet.')]));
  for (const select of $$('select[name=item_id]')) select.value = String(id);
  panel.hidden = false;
  panel.scrollIntoView({ block: 'start' });
  $('#detail-title').setAttribute('tabindex', '-1');
  $('#detail-title').focus({ preventScroll: true });
}

$('#detail-close').addEventListener('click', () => {
  $('#item-detail').hidden = true;
  history.pushState(null, '', location.pathname);
});
window.addEventListener('popstate', () => {
  const id = Number(new URLSearchParams(location.search).get('item'));
  if (id) showItem(id); else $('#item-detail').hidden = true;
});
$('#matrix-filter').addEventListener('input', renderMatrix);

async function afterChange(form, message) {
  form.reset();
  toast(message);
  await loadAll();
}

const note = (d) => String(d.get('note') || '').trim() || undefined;

onSubmit($('#stock-form'), async (d) => {
  const itemId = int(d.get('item_id'));
  const locationId = int(d.get('location_id'));
  const quantity = int(d.get('quantity'));
  const existing = data.stock.find((s) => s.item_id === itemId && s.location_id === locationId);
  if (existing) {
    await api.put(`/api/stock?id=${existing.id}`, { quantity, note: note(d) });
  } else {
    await api.post('/api/stock', { item_id: itemId, location_id: locationId, quantity, note: note(d) });
  }
  await afterChange($('#stock-form'), 'Stock saved.');
});

onSubmit($('#move-form'), async (d) => {
  await api.post('/api/stock/transfer', {
    item_id: int(d.get('item_id')),
    from_location_id: int(d.get('from_location_id')),
    to_location_id: int(d.get('to_location_id')),
    quantity: int(d.get('quantity')),
    note: note(d),
  });
  await afterChange($('#move-form'), 'Stock moved.');
});

// Allocating an item the project already has adds to that allocation.
onSubmit($('#allocate-form'), async (d) => {
  const itemId = int(d.get('item_id'));
  const projectId = int(d.get('project_id'));
  const quantity = int(d.get('quantity'));
  const existing = data.associations.find((a) => a.item_id === itemId && a.project_id === projectId);
  if (existing) {
    await api.put(`/api/association?id=${existing.id}`, { quantity: existing.quantity + quantity, note: note(d) });
  } else {
    await api.post('/api/association', { item_id: itemId, project_id: projectId, quantity, note: note(d) });
  }
  await afterChange($('#allocate-form'), 'Allocated.');
});

loadAll().catch((err) => {
  const box = $('#matrix-empty');
  box.textContent = err.message;
  box.hidden = false;
});
