// Where a list is: its search, sort, order, page and page size, kept in the
// page's URL so that reload, back and forward return to the same place. Search
// and sort replace the current history entry (typing is not a history of its
// own); turning a page pushes one, so Back goes to the previous page.
// `pagedTable` is one searchable, sortable, paged table built on it (the
// inventory list, a location's contents, a project's allocations); list.js
// (items, locations, projects) uses the URL state with its own table.
import { $, $$, el, fmt } from './ui.js';

const KEYS = ['q', 'category', 'archived', 'tag', 'sort', 'order', 'page', 'limit'];

/** The list state in the URL, with `defaults` for what it does not say. */
export function readUrlState(defaults) {
  const params = new URLSearchParams(location.search);
  const state = { ...defaults };
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value !== '') state[key] = value;
  }
  state.page = Math.max(1, Number.parseInt(state.page, 10) || 1);
  state.limit = Math.min(200, Math.max(1, Number.parseInt(state.limit, 10) || defaults.limit));
  state.order = state.order === 'desc' ? 'desc' : 'asc';
  return state;
}

/** Writes the state into the URL, leaving out what equals its default and keeping other parameters (`id`). */
export function writeUrlState(state, defaults, push = false) {
  const url = new URL(location.href);
  for (const key of KEYS) {
    const value = state[key];
    if (value === undefined || value === null || value === '' || String(value) === String(defaults[key] ?? '')) {
      url.searchParams.delete(key);
    } else {
      url.searchParams.set(key, String(value));
    }
  }
  if (url.href === location.href) return;
  history[push ? 'pushState' : 'replaceState'](history.state, '', url);
}

/** The filter form's fields take the state's values (after a reload or back/forward). */
export function fillFilter(filter, state) {
  for (const field of filter.elements) {
    if (!field.name || !(field.name in state)) continue;
    if (field.type === 'checkbox') field.checked = String(state[field.name]) === field.value;
    else field.value = String(state[field.name] ?? '');
  }
}

/** Marks the sorted column (aria-sort) for the sort buttons inside `table`. */
export function markSort(table, state) {
  for (const button of $$('[data-sort]', table)) {
    const active = button.dataset.sort === state.sort;
    button.closest('th').setAttribute('aria-sort', active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
  }
}

/**
 * config: {
 *   root: element holding [data-filter], [data-list], [data-rows], [data-empty] and the pager,
 *   defaults: { sort, order, limit },
 *   fetchPage(URLSearchParams) -> Promise<{ data: rows, total }>   q, tag, sort, order, limit, offset
 *   renderRow(row, reload) -> <tr>,
 * }
 * A `[data-tag-filter]` in root shows the tag the list is filtered by (`?tag=`
 * in the URL), with a button that removes it.
 */
export function pagedTable({ root, defaults: given, fetchPage, renderRow }) {
  const defaults = { q: '', tag: '', page: 1, order: 'asc', ...given };
  const filter = $('[data-filter]', root);
  const table = $('[data-list]', root);
  const rows = $('[data-rows]', root);
  const empty = $('[data-empty]', root);
  const info = $('[data-pager-info]', root);
  const prev = $('[data-page="prev"]', root);
  const next = $('[data-page="next"]', root);
  const tagBox = $('[data-tag-filter]', root);
  let state = readUrlState(defaults);
  let asked = 0;

  function showTag() {
    if (!tagBox) return;
    tagBox.hidden = !state.tag;
    tagBox.replaceChildren(...(state.tag ? ['Tagged ', el('span', { class: 'tag' }, state.tag,
      el('button', {
        type: 'button', class: 'tag-remove', 'aria-label': `Show all, not only tagged ${state.tag}`,
        onclick: () => change({ tag: '', page: 1 }, true),
      }, '×'))] : []));
  }

  async function load() {
    const mine = ++asked;
    showTag();
    const params = new URLSearchParams({
      sort: state.sort, order: state.order, limit: String(state.limit), offset: String((state.page - 1) * state.limit),
    });
    if (state.q.trim()) params.set('q', state.q.trim());
    if (tagBox && state.tag) params.set('tag', state.tag);
    let result;
    try {
      result = await fetchPage(params);
    } catch (err) {
      if (mine !== asked) return;
      rows.replaceChildren(el('tr', {}, el('td', { colspan: $$('thead th', table).length, class: 'form-error' }, err.message)));
      return;
    }
    if (mine !== asked) return;
    const list = result.data || [];
    const total = result.total ?? list.length;
    // A page past the end (rows went away, or an old link): show the last one.
    if (list.length === 0 && state.page > 1 && total > 0) {
      state.page = Math.max(1, Math.ceil(total / state.limit));
      writeUrlState(state, defaults);
      return load();
    }
    const first = (state.page - 1) * state.limit;
    rows.replaceChildren(...list.map((row) => renderRow(row, load)));
    empty.hidden = list.length > 0;
    info.textContent = total === 0 ? '' : `${fmt(first + 1)}–${fmt(first + list.length)} of ${fmt(total)}`;
    prev.disabled = state.page <= 1;
    next.disabled = first + list.length >= total;
    $('[data-pager]', root).hidden = total <= state.limit && state.page === 1;
    return list;
  }

  function change(update, push = false) {
    Object.assign(state, update);
    writeUrlState(state, defaults, push);
    markSort(table, state);
    return load();
  }

  let timer;
  filter.addEventListener('input', (event) => {
    if (event.target.name !== 'q') return;
    clearTimeout(timer);
    timer = setTimeout(() => change({ q: event.target.value, page: 1 }), 200);
  });
  filter.addEventListener('change', (event) => {
    if (event.target.name === 'limit') change({ limit: Number(event.target.value), page: 1 });
  });
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    change({ q: filter.elements.q.value, page: 1 });
  });
  for (const button of $$('[data-sort]', table)) {
    button.addEventListener('click', () => {
      const key = button.dataset.sort;
      change({ sort: key, order: state.sort === key && state.order === 'asc' ? 'desc' : 'asc', page: 1 });
    });
  }
  prev.addEventListener('click', () => change({ page: Math.max(1, state.page - 1) }, true));
  next.addEventListener('click', () => change({ page: state.page + 1 }, true));
  window.addEventListener('popstate', () => {
    state = readUrlState(defaults);
    fillFilter(filter, state);
    markSort(table, state);
    load();
  });

  fillFilter(filter, state);
  markSort(table, state);
  load();
  return { reload: load };
}
