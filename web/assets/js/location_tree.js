// A location's own page, the parts about the tree: the locations inside it
// (one page at a time, from `?parent_id=`), creating one inside it, and moving
// it into another location (chosen with the location picker) or to the top
// level. A refused move (into itself or something inside it, too deep, a
// sibling with the same name) shows the server's sentence in the dialog.
import { api } from './api.js';
import { $, el, fmt, onSubmit, toast, toastSaved, clearError, showError } from './ui.js';
import { attachPicker, requireChoices } from './picker.js';

const PAGE = 25;

/** The "Locations inside" card of location `id`. */
export function insideList(id) {
  const rows = $('[data-inside-rows]');
  const empty = $('[data-inside-empty]');
  const pager = $('[data-inside-pager]');
  const info = $('[data-inside-info]');
  const prev = $('[data-inside-page="prev"]');
  const next = $('[data-inside-page="next"]');
  let offset = 0;

  async function load() {
    const params = new URLSearchParams({ parent_id: String(id), sort: 'name', order: 'asc', limit: String(PAGE), offset: String(offset) });
    let result;
    try {
      result = await api.list(`/api/location?${params}`);
    } catch (err) {
      rows.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'form-error' }, err.message)));
      return;
    }
    const list = result.data || [];
    const total = result.total ?? list.length;
    rows.replaceChildren(...list.map((loc) => el('tr', { dataset: { id: loc.id } },
      el('th', { scope: 'row' }, el('a', { class: 'strong', href: `/locations?id=${loc.id}` }, loc.name),
        loc.child_locations ? el('span', { class: 'muted small' }, ` · ${fmt(loc.child_locations)} inside`) : null),
      el('td', { class: 'num' }, fmt(loc.item_count)),
      el('td', { class: 'num' }, fmt(loc.total_units)))));
    empty.hidden = list.length > 0;
    pager.hidden = total <= PAGE;
    info.textContent = total === 0 ? '' : `${fmt(offset + 1)}–${fmt(offset + list.length)} of ${fmt(total)}`;
    prev.disabled = offset === 0;
    next.disabled = offset + list.length >= total;
  }

  prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  next.addEventListener('click', () => { offset += PAGE; load(); });
  load();
  return { reload: load };
}

/** "New location here": a location created inside `id`. */
export function newInside(id, onCreated) {
  const button = $('#new-inside-button');
  const dialog = $('#new-inside-dialog');
  const form = $('#new-inside-form');
  if (!button) return;
  button.addEventListener('click', () => {
    form.reset();
    clearError(form);
    dialog.showModal();
    form.elements.name.focus();
  });
  onSubmit(form, async (data) => {
    const created = await api.post('/api/location', { name: String(data.get('name')).trim(), parent_id: id });
    dialog.close();
    toastSaved(`Created ${created.path}.`, created, 'location');
    onCreated(created);
  });
}

/** "Move into…": the picker chooses the new parent; "Move to top level" clears it. */
export function moveDialog(id) {
  const button = $('#move-button');
  const dialog = $('#move-dialog');
  const form = $('#move-form');
  if (!button) return;
  const picker = attachPicker($('[data-picker]', form));

  async function move(parent) {
    const moved = await api.put(`/api/location?id=${id}`, { parent_id: parent });
    dialog.close();
    toast(`Moved to ${moved.path}.`);
    // The breadcrumbs are the server's: reload the page to show the new way here.
    location.reload();
  }

  button.addEventListener('click', () => {
    form.reset();
    picker.set(null);
    clearError(form);
    dialog.showModal();
    picker.input.focus();
  });
  onSubmit(form, async () => {
    requireChoices(form);
    await move(picker.chosen.id);
  });
  $('#move-top').addEventListener('click', async () => {
    clearError(form);
    try {
      await move(null);
    } catch (err) {
      showError(form, err);
    }
  });
}
