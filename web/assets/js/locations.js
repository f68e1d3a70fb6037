// The locations page: the tree. The list (paged, sorted, in the URL like every
// list) holds the top level; a location with locations inside it has a toggle
// that loads them (`?parent_id=`, one page at a time, "Show more" for the
// next) as indented rows below it, with the same actions. Searching or showing
// the archived ones lists matches at any depth instead, each named by its
// path. Each name leads to the location's own page (place.js).
import { api } from './api.js';
import { $, $$, el, fmt } from './ui.js';
import { resourceList } from './list.js';

const PAGE = 25;
const expanded = new Set();

/** Indents a cell by its depth (through the CSSOM: the CSP refuses style attributes). */
function indented(node, depth) {
  node.style.setProperty('--depth', String(depth));
  return node;
}

/** Whether the list shows the tree (top level) rather than matches anywhere. */
const treeShown = (params) => !params.has('q') && !params.has('archived');

function toggle(loc) {
  const button = el('button', {
    type: 'button', class: 'tree-toggle', 'aria-expanded': String(expanded.has(loc.id)),
    'aria-label': `${expanded.has(loc.id) ? 'Collapse' : 'Expand'} ${loc.name}`,
    onclick: () => (expanded.has(loc.id) ? collapse(loc, button) : expand(loc, button)),
  }, el('span', { 'aria-hidden': 'true' }, '▸'));
  return button;
}

function nameCell(loc) {
  const flat = !document.body.dataset.tree;
  const link = el('a', { class: 'strong', href: `/locations?id=${loc.id}` }, flat ? loc.path : loc.name);
  const cell = indented(el('span', { class: 'tree-name' }), flat ? 0 : loc.depth);
  if (!flat && loc.child_locations > 0 && !loc.archived_at) cell.append(toggle(loc));
  else cell.append(el('span', { class: 'tree-spacer', 'aria-hidden': 'true' }));
  cell.append(link);
  return cell;
}

const list = resourceList({
  endpoint: '/api/location',
  noun: 'location',
  labels: 'locations',
  cells: (loc) => [nameCell(loc), fmt(loc.item_count), fmt(loc.total_units)],
  toBody: (data) => ({ name: String(data.get('name')).trim() }),
  fill: (form, loc) => { form.elements.name.value = loc.name; },
  scope: (params) => {
    if (treeShown(params)) params.set('top', 'true');
    if (treeShown(params)) document.body.dataset.tree = '1';
    else delete document.body.dataset.tree;
  },
  // A reload re-renders the top level: open the locations that were open.
  afterLoad: async (rows) => {
    if (!document.body.dataset.tree) return;
    for (const loc of rows) {
      if (expanded.has(loc.id)) await reopen(loc);
    }
  },
});

/** The rows below `id` (any depth) currently shown. */
const rowsUnder = (id) => $$(`tr[data-under~="${id}"]`);

/** The row after which rows inside `id` go: after its last shown descendant. */
function lastRowOf(id) {
  const under = rowsUnder(id);
  return under.length ? under[under.length - 1] : $(`tr[data-id="${id}"]`);
}

async function loadChildren(parent, offset) {
  const params = new URLSearchParams({ parent_id: String(parent.id), sort: 'name', order: 'asc', limit: String(PAGE), offset: String(offset) });
  const result = await api.list(`/api/location?${params}`);
  const parentRow = $(`tr[data-id="${parent.id}"]`);
  if (!parentRow) return;
  const under = `${parentRow.dataset.under || ''} ${parent.id}`.trim();
  $(`tr[data-more="${parent.id}"]`)?.remove();
  let after = lastRowOf(parent.id);
  const add = (tr) => { tr.dataset.under = under; after.after(tr); after = tr; };
  for (const child of result.data) {
    for (const tr of list.renderRow(child)) {
      tr.classList.add('tree-child');
      add(tr);
    }
    if (expanded.has(child.id)) await reopen(child);
    after = lastRowOf(parent.id);
  }
  const shown = offset + result.data.length;
  if (shown < (result.total ?? shown)) {
    const columns = $$('thead th', $('[data-list]')).length;
    const more = el('tr', { class: 'tree-child', dataset: { more: String(parent.id) } },
      el('td', { colspan: columns },
        indented(el('span', { class: 'tree-name' },
          el('span', { class: 'tree-spacer', 'aria-hidden': 'true' }),
          el('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => loadChildren(parent, shown) },
            `Show more in ${parent.name} (${fmt(result.total - shown)} left)`)), parent.depth + 1)));
    add(more);
  }
}

async function reopen(loc) {
  const button = $(`tr[data-id="${loc.id}"] .tree-toggle`);
  if (button) await expand(loc, button);
}

async function expand(loc, button) {
  expanded.add(loc.id);
  button.setAttribute('aria-expanded', 'true');
  button.setAttribute('aria-label', `Collapse ${loc.name}`);
  for (const tr of rowsUnder(loc.id)) tr.remove();
  try {
    await loadChildren(loc, 0);
  } catch (err) {
    const columns = $$('thead th', $('[data-list]')).length;
    $(`tr[data-id="${loc.id}"]`)?.after(el('tr', { dataset: { under: String(loc.id) } },
      el('td', { colspan: columns, class: 'form-error' }, err.message)));
  }
}

function collapse(loc, button) {
  expanded.delete(loc.id);
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-label', `Expand ${loc.name}`);
  for (const tr of rowsUnder(loc.id)) tr.remove();
}
