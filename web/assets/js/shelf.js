// The quick actions at the shelf on an item's page, made for a phone in one
// hand: Take (units used up: `/api/stock/consume`, optionally for a project),
// Put (units into a location's stock), Move (a transfer, the target chosen by
// scanning its label or by typing) and Count (`/api/stock/count`). One dialog
// serves all four; its fields follow the action. After each change the page's
// own module reloads the figures and history (the `miauinv:changed` event).
import { api } from './api.js';
import { $, el, fmt, int, onSubmit, toast, toastAction } from './ui.js';
import { attachPicker } from './picker.js';

const box = $('#shelf');
const dialog = $('#shelf-dialog');
const form = $('#shelf-form');

const ACTIONS = {
  take: { title: 'Take', from: true, place: false, project: true, quantity: 'How many to take' },
  put: { title: 'Put into stock', from: false, place: true, project: false, quantity: 'How many to put' },
  move: { title: 'Move', from: true, place: true, project: false, quantity: 'How many to move', placeLabel: 'To' },
  count: { title: 'Count', from: false, place: true, project: false, quantity: 'How many are there' },
};

const itemId = box ? Number(box.dataset.itemId) : 0;
const itemName = box?.dataset.itemName || '';
const place = box ? attachPicker($('[data-picker]', form)) : null;
/** The action the dialog is open for, and the item's rows when it opened. */
let current = 'take';
let stockRows = [];

function show(name, visible) {
  const field = $(`[data-shelf-field="${name}"]`, form);
  field.hidden = !visible;
  for (const input of field.querySelectorAll('input, select')) input.disabled = !visible;
}

function fillFrom() {
  $('#shelf-from').replaceChildren(...stockRows.map((s) => el('option', { value: s.location_id },
    `${s.location_path || s.location_name} (${fmt(s.quantity)})`)));
}

async function fillProjects() {
  const rows = await api.get(`/api/association?item_id=${itemId}&sort=project_name&limit=200`);
  $('#shelf-project').replaceChildren(el('option', { value: '' }, 'No project'),
    ...rows.map((a) => el('option', { value: a.project_id }, `${a.project_name} (${fmt(a.quantity)} allocated)`)));
}

/** What the hint under the quantity says: what is at the chosen place. */
function hint() {
  const here = current === 'count' || current === 'put'
    ? stockRows.find((s) => s.location_id === place.chosen?.id)
    : stockRows.find((s) => s.location_id === int($('#shelf-from').value));
  $('#shelf-hint').textContent = here ? `${fmt(here.quantity)} recorded there.` : (current === 'count' && place.chosen ? 'None recorded there.' : '');
  if (current === 'count' && here && !$('#shelf-quantity').dataset.touched) $('#shelf-quantity').value = String(here.quantity);
}

export async function openAction(action, { placeRow } = {}) {
  current = action;
  const spec = ACTIONS[action];
  form.reset();
  delete $('#shelf-quantity').dataset.touched;
  $('[data-error]', form).hidden = true;
  $('#shelf-title').textContent = `${spec.title}: ${itemName}`;
  $('#shelf-submit').textContent = spec.title;
  $('#shelf-quantity-label').textContent = spec.quantity;
  $('label', $('[data-shelf-field="place"]', form)).textContent = spec.placeLabel || 'Location';
  stockRows = await api.get(`/api/stock?item_id=${itemId}&sort=quantity&order=desc&limit=200`);
  show('from', spec.from);
  show('place', spec.place);
  show('project', spec.project);
  if (spec.from) fillFrom();
  if (spec.project) await fillProjects();
  place.set(null);
  if (placeRow) place.set(placeRow);
  else if ((action === 'count' || action === 'put') && stockRows.length) {
    place.set({ id: stockRows[0].location_id, name: stockRows[0].location_name });
  }
  $('#shelf-quantity').value = action === 'count' ? '' : '1';
  hint();
  dialog.showModal();
  (spec.place && !place.chosen ? place.input : $('#shelf-quantity')).focus();
}

const note = (d) => String(d.get('note') || '').trim() || undefined;

function needPlace() {
  if (!place.chosen) {
    const err = new Error('Choose a location from the suggestions, or scan its label.');
    err.field = 'place';
    throw err;
  }
  return place.chosen.id;
}

/** Put adds to the row already there, or makes one. */
async function put(locationId, quantity, d) {
  const row = stockRows.find((s) => s.location_id === locationId);
  if (row) await api.put(`/api/stock?id=${row.id}`, { quantity: row.quantity + quantity, note: note(d) });
  else await api.post('/api/stock', { item_id: itemId, location_id: locationId, quantity, note: note(d) });
}

async function submit(d) {
  const quantity = int(d.get('quantity'));
  let message;
  let movement = null;
  if (current === 'take') {
    const project = d.get('project');
    ({ movement_id: movement } = await api.post('/api/stock/consume', {
      item_id: itemId, location_id: int(d.get('from')), quantity,
      ...(project ? { project_id: int(project) } : {}), note: note(d),
    }));
    message = `Took ${fmt(quantity)} × ${itemName}.`;
  } else if (current === 'put') {
    await put(needPlace(), quantity, d);
    message = `Put ${fmt(quantity)} × ${itemName} into ${place.chosen.name}.`;
  } else if (current === 'move') {
    const to = needPlace();
    await api.post('/api/stock/transfer', {
      item_id: itemId, from_location_id: int(d.get('from')), to_location_id: to, quantity, note: note(d),
    });
    message = `Moved ${fmt(quantity)} × ${itemName} to ${place.chosen.name}.`;
  } else {
    const r = await api.post('/api/stock/count', { item_id: itemId, location_id: needPlace(), counted: quantity, note: note(d) });
    movement = r.movement_id;
    message = r.difference === 0 ? `Counted ${fmt(quantity)}: as recorded.`
      : `Counted ${fmt(quantity)}: ${fmt(Math.abs(r.difference))} ${r.difference > 0 ? 'found' : 'missing'}.`;
  }
  dialog.close();
  // A take or a count can be undone for 10 s: units back, allocation and
  // total included (the server refuses when something changed since).
  if (movement) toastAction(message, 'Undo', () => undo(movement));
  else toast(message);
  document.dispatchEvent(new CustomEvent('miauinv:changed'));
}

async function undo(movement) {
  try {
    await api.post('/api/movements/undo', { movement_id: movement });
    toast('Undone.');
  } catch (err) {
    toast(err.message);
  }
  document.dispatchEvent(new CustomEvent('miauinv:changed'));
}

/** A scanned location label (`…/l/l/ID`) chooses the target. */
async function scanPlace() {
  const { scanOnce } = await import('./scanner.js');
  const code = await scanOnce('Scan the location’s label');
  const match = code && /\/l\/l\/(\d+)\/?$/.exec(code);
  if (!match) {
    if (code) toast('That is not a MiauInv location label.');
    return;
  }
  const loc = await api.get(`/api/location?id=${match[1]}`);
  place.set({ id: loc.id, name: loc.name });
  hint();
}

if (box) {
  for (const button of box.querySelectorAll('[data-shelf]')) {
    button.addEventListener('click', () => openAction(button.dataset.shelf));
  }
  for (const step of form.querySelectorAll('[data-step]')) {
    step.addEventListener('click', () => {
      const input = $('#shelf-quantity');
      input.value = String(Math.max(0, (int(input.value) || 0) + Number(step.dataset.step)));
      input.dataset.touched = '1';
    });
  }
  $('#shelf-quantity').addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
  $('#shelf-from').addEventListener('change', hint);
  form.addEventListener('picked', hint);
  $('#shelf-scan-place').addEventListener('click', () => scanPlace().catch((err) => toast(err.message)));
  onSubmit(form, submit);
  // `/inventory?item=N#shelf-take` (from the scanner's menu) opens an action.
  const wanted = location.hash.startsWith('#shelf-') ? location.hash.slice(7) : '';
  if (ACTIONS[wanted]) openAction(wanted);
}
