// One location's page (`/locations?id=N`: what it holds) or one project's page
// (`/projects?id=N`: what is allocated to it). The contents come one page at a
// time from the API's paged contents, searchable and sortable, the place in
// the URL like every list. A location's page also lists the locations inside
// it, and its contents may include theirs ("Include what is inside", each row
// then saying where it is).
import { api } from './api.js';
import { $, el, fmt, toast, toastAction, confirmAction, showError } from './ui.js';
import { pagedTable } from './paged.js';
import { insideList, moveDialog, newInside } from './location_tree.js';

const head = $('#place');
const kind = head.dataset.kind;
const id = Number(head.dataset.id);
const name = head.dataset.name;

const CONTENTS = {
  location: { path: `/api/location?id=${id}&content=true`, rows: 'items' },
  project: { path: `/api/project?id=${id}&details=true`, rows: 'allocations' },
};

const recursive = $('#recursive');

async function fetchPage(params) {
  const { path, rows } = CONTENTS[kind];
  const inside = recursive?.checked ? '&recursive=true' : '';
  const result = await api.list(`${path}${inside}&${params}`);
  return { data: result.data[rows] || [], total: result.total };
}

async function release(row, reload) {
  if (!(await confirmAction(`Release ${row.quantity} × ${row.item_name} from ${name}?`, 'Release'))) return;
  try {
    await api.del(`/api/association?id=${row.association_id}`);
    toast(`Released ${row.item_name}.`);
    reload();
  } catch (err) {
    showError('[data-list-error]', err);
  }
}

/** −/+ on a location's row: take one (used up) or put one more in. */
async function step(row, by, reload) {
  const at = row.location_id || id;
  try {
    if (by < 0) {
      const done = await api.post('/api/stock/consume', { item_id: row.item_id, location_id: at, quantity: 1 });
      toastAction(`Took 1 × ${row.item_name}.`, 'Undo', () => undoTake(done.movement_id, reload));
    } else {
      await api.put(`/api/stock?id=${row.stock_id}`, { quantity: row.quantity + 1 });
      toast(`Put 1 × ${row.item_name}.`);
    }
    reload();
  } catch (err) {
    showError('[data-list-error]', err);
  }
}

async function undoTake(movement, reload) {
  try {
    await api.post('/api/movements/undo', { movement_id: movement });
    toast('Undone.');
  } catch (err) {
    showError('[data-list-error]', err);
  }
  reload();
}

function steps(row, reload) {
  return el('span', { class: 'qty-steps', 'data-write': true },
    el('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Take one ${row.item_name}`, onclick: () => step(row, -1, reload) }, '−'),
    el('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Put one more ${row.item_name}`, onclick: () => step(row, 1, reload) }, '+'));
}

function renderRow(row, reload) {
  const action = kind === 'location'
    ? [steps(row, reload), el('a', { 'data-write': true, class: 'btn btn-ghost btn-small', href: `/inventory?item=${row.item_id}&from=${id}#move`, 'aria-label': `Move ${row.item_name} from ${name}` }, 'Move')]
    : el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small danger', 'aria-label': `Release ${row.item_name} from ${name}`, onclick: () => release(row, reload) }, 'Release');
  // With what is inside: where the row is, unless right here.
  const where = row.location_path && row.location_id !== id
    ? el('a', { class: 'muted small where', href: `/locations?id=${row.location_id}` }, row.location_path)
    : null;
  return el('tr', { dataset: { id: row.item_id } },
    el('th', { scope: 'row' }, el('a', { href: `/inventory?item=${row.item_id}`, class: 'strong' }, row.item_name),
      where ? el('br') : null, where),
    el('td', { class: 'num' }, fmt(row.quantity)),
    el('td', { class: 'row-actions' }, action));
}

const contents = pagedTable({
  root: $('main'),
  defaults: { sort: 'item_name', order: 'asc', limit: 50 },
  fetchPage,
  renderRow,
});

if (kind === 'location') {
  const inside = insideList(id);
  newInside(id, () => inside.reload());
  moveDialog(id);
  recursive.addEventListener('change', () => contents.reload());
}
