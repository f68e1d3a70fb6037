// A searchable, sortable, paged list of one API resource with a create/edit
// dialog and delete confirmation. Items, locations and projects pages each
// configure it with their columns and form. Search, sort, order and page live
// in the URL (paged.js), so reload and back/forward keep your place.
import { api } from './api.js';
import { $, $$, el, onSubmit, confirmAction, toast, toastSaved, clearError, showError } from './ui.js';
import { readUrlState, writeUrlState, fillFilter } from './paged.js';

/**
 * config: {
 *   endpoint: '/api/item', noun: 'item',
 *   cells(row) -> Array<Node|string>        one per column in the template
 *   toBody(formData, editing) -> object     the JSON for POST/PUT
 *   fill(form, row)                         put a row into the form for editing
 *   detail?(row) -> Promise<Node>           content of the expandable detail row
 *   scope?(params)                          narrows the query (the locations tree: one level)
 *   defaultSort: 'name'
 * }
 * Returns { reload, renderRow } (renderRow: a row's <tr>s, with its actions).
 */
export function resourceList(config) {
  const table = $('[data-list]');
  const rows = $('[data-rows]', table);
  const filter = $('[data-filter]');
  const dialog = $('#edit-dialog');
  const form = $('#edit-form');
  const title = $('#edit-title');
  const info = $('[data-pager-info]');
  const prev = $('[data-page="prev"]');
  const next = $('[data-page="next"]');
  const columns = $$('thead th', table).length;
  const defaults = { q: '', category: '', archived: '', sort: config.defaultSort || 'name', order: 'asc', page: 1, limit: 25 };
  const state = { editing: null, open: new Set() };
  // A page turn is a step in the history; searching and sorting are not.
  let pushNext = false;

  function fromUrl() {
    const saved = readUrlState(defaults);
    fillFilter(filter, saved);
    Object.assign(state, { sort: saved.sort, order: saved.order, offset: (saved.page - 1) * saved.limit });
  }
  fromUrl();

  function toUrl(params, limit) {
    writeUrlState({
      q: params.get('q') || '', category: params.get('category') || '', archived: params.get('archived') || '',
      sort: state.sort, order: state.order, page: Math.floor(state.offset / limit) + 1, limit,
    }, defaults, pushNext);
    pushNext = false;
  }

  function query() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(filter)) {
      if (String(value).trim()) params.set(key, String(value).trim());
    }
    params.set('sort', state.sort);
    params.set('order', state.order);
    params.set('offset', String(state.offset));
    config.scope?.(params);
    return params;
  }

  async function load() {
    const params = query();
    const limit = Number(params.get('limit')) || 25;
    let result;
    try {
      result = await api.list(`${config.endpoint}?${params}`);
    } catch (err) {
      rows.replaceChildren(el('tr', {}, el('td', { colspan: columns, class: 'form-error' }, err.message)));
      return;
    }
    const list = result.data || [];
    const total = result.total ?? list.length;
    if (list.length === 0 && state.offset > 0 && total > 0) {
      state.offset = Math.max(0, Math.floor((total - 1) / limit) * limit);
      return load();
    }
    toUrl(params, limit);
    rows.replaceChildren(...list.flatMap(renderRow));
    showError('[data-list-error]', null);
    const filtered = params.has('q') || params.has('category');
    $('[data-empty]').hidden = list.length > 0;
    $('[data-empty-hint]').hidden = filtered;
    info.textContent = total === 0 ? '' : `${state.offset + 1}–${state.offset + list.length} of ${total}`;
    prev.disabled = state.offset === 0;
    next.disabled = state.offset + list.length >= total;
    $('[data-pager]').hidden = total <= limit && state.offset === 0;
    config.afterLoad?.(list);
  }

  // Rows chosen for a label sheet (`config.labels`: "items" or "locations"),
  // kept across pages and searches until the sheet is opened.
  const picked = new Set();
  const labelsLink = config.labels ? $('#labels-selected') : null;
  function showPicked() {
    labelsLink.hidden = picked.size === 0;
    labelsLink.textContent = `Print ${picked.size} label${picked.size === 1 ? '' : 's'}`;
    labelsLink.href = `/labels?${config.labels}=${[...picked].join(',')}`;
  }
  function pickBox(row) {
    return el('input', {
      type: 'checkbox', class: 'pick-label', checked: picked.has(row.id),
      'aria-label': `Choose ${row.name} for labels`,
      onchange: (event) => {
        if (event.target.checked) picked.add(row.id); else picked.delete(row.id);
        showPicked();
      },
    });
  }

  function renderRow(row) {
    const actions = el('td', { class: 'row-actions' });
    if (labelsLink) actions.append(pickBox(row));
    if (config.detail) {
      const open = state.open.has(row.id);
      actions.append(el('button', {
        type: 'button', class: 'btn btn-ghost btn-small', 'aria-expanded': String(open),
        'aria-controls': `detail-${row.id}`, onclick: () => toggle(row),
      }, config.detailLabel || 'Details'));
    }
    if (row.archived_at) {
      // Archived rows keep their history and take no changes until restored.
      actions.append(el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small', onclick: () => restore(row), 'aria-label': `Restore ${row.name}` }, 'Restore'));
    } else {
      actions.append(
        el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small', onclick: () => edit(row), 'aria-label': `Edit ${row.name}` }, 'Edit'),
        el('button', { 'data-write': true, type: 'button', class: 'btn btn-ghost btn-small danger', onclick: () => remove(row), 'aria-label': `Delete ${row.name}` }, 'Delete'),
      );
    }
    const tr = el('tr', { dataset: { id: row.id } }, config.cells(row).map((cell, i) => {
      const cls = $$('thead th', table)[i]?.className || '';
      return el('td', { class: cls }, cell);
    }), actions);
    const out = [tr];
    if (config.detail && state.open.has(row.id)) {
      const cell = el('td', { colspan: columns }, el('p', { class: 'muted' }, 'Loading…'));
      out.push(el('tr', { class: 'detail-row', id: `detail-${row.id}` }, cell));
      config.detail(row, load).then((node) => cell.replaceChildren(node))
        .catch((err) => cell.replaceChildren(el('p', { class: 'form-error' }, err.message)));
    }
    return out;
  }

  function toggle(row) {
    if (state.open.has(row.id)) state.open.delete(row.id);
    else state.open.add(row.id);
    load();
  }

  function openForm(row) {
    state.editing = row;
    form.reset();
    clearError(form);
    title.textContent = row ? title.dataset.titleEdit : title.dataset.titleNew;
    if (row) config.fill(form, row);
    dialog.showModal();
    form.querySelector('input, textarea, select')?.focus();
  }

  const edit = (row) => openForm(row);

  async function remove(row) {
    const question = `Delete ${config.noun} “${row.name}”? If it has history it is archived instead: `
      + 'hidden from this list, kept with its history, and restorable under “Archived”.';
    if (!(await confirmAction(question))) return;
    try {
      const result = await api.del(`${config.endpoint}?id=${row.id}`);
      toast(result.archived ? `Archived ${row.name}.` : `Deleted ${row.name}.`);
      await load();
    } catch (err) {
      showError('[data-list-error]', err);
    }
  }

  async function restore(row) {
    try {
      await api.post(`${config.endpoint}/restore?id=${row.id}`);
      toast(`Restored ${row.name}.`);
      await load();
    } catch (err) {
      showError('[data-list-error]', err);
    }
  }

  onSubmit(form, async (data) => {
    const body = config.toBody(data, state.editing);
    if (state.editing) {
      const saved = await api.put(`${config.endpoint}?id=${state.editing.id}`, body);
      toastSaved(`Saved ${body.name || state.editing.name}.`, saved, config.noun);
    } else {
      const created = await api.post(config.endpoint, body);
      toastSaved(`Created ${body.name}.`, created, config.noun);
    }
    dialog.close();
    load();
  });

  for (const button of $$('[data-sort]', table)) {
    button.addEventListener('click', () => {
      const key = button.dataset.sort;
      state.order = state.sort === key && state.order === 'asc' ? 'desc' : 'asc';
      state.sort = key;
      state.offset = 0;
      markSort();
      load();
    });
  }

  function markSort() {
    for (const button of $$('[data-sort]', table)) {
      const th = button.closest('th');
      const active = button.dataset.sort === state.sort;
      th.setAttribute('aria-sort', active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  let timer;
  filter.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.offset = 0; load(); }, 200);
  });
  filter.addEventListener('submit', (event) => { event.preventDefault(); state.offset = 0; load(); });
  filter.addEventListener('change', () => { state.offset = 0; load(); });
  prev.addEventListener('click', () => {
    const limit = Number(query().get('limit')) || 25;
    state.offset = Math.max(0, state.offset - limit);
    pushNext = true;
    load();
  });
  next.addEventListener('click', () => {
    state.offset += Number(query().get('limit')) || 25;
    pushNext = true;
    load();
  });
  window.addEventListener('popstate', () => {
    fromUrl();
    markSort();
    load();
  });
  $('#new-button').addEventListener('click', () => openForm(null));

  markSort();
  load();
  if (location.hash === '#new') openForm(null);
  return { reload: load, renderRow };
}
