// The label sheet page (`/labels`): the pickers add an item, a location or
// everything in a location to the sheet, Remove takes one off, and the
// server draws the sheet again (the choice lives in the URL, so a sheet can
// be bookmarked or sent). Print uses the browser's print with the sheet's
// exact sizes (labels.css).
import { $, $$ } from './ui.js';
import { attachPickers } from './picker.js';

const form = $('#labels-form');
const field = (name) => form.elements.namedItem(name);
const ids = (name) => field(name).value.split(',').filter(Boolean);

function add(name, id) {
  const list = ids(name);
  if (!list.includes(String(id))) list.push(String(id));
  field(name).value = list.join(',');
}

/** Sends the form without the pickers' own fields. */
function submit(extra = {}) {
  const params = new URLSearchParams();
  for (const name of ['items', 'locations', 'layout']) {
    const value = field(name).value;
    if (value) params.set(name, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  location.assign(`/labels?${params}`);
}

attachPickers(form);
form.addEventListener('picked', (event) => {
  const chosen = event.detail;
  if (!chosen) return;
  const name = event.target.querySelector('input[type=hidden]').name;
  if (name === 'add_item') add('items', chosen.id);
  else if (name === 'add_location') add('locations', chosen.id);
  else if (name === 'add_contents') { submit({ contents: chosen.id }); return; }
  submit();
});
field('layout').addEventListener('change', () => submit());
for (const button of $$('[data-remove-id]', form)) {
  button.addEventListener('click', () => {
    const name = button.dataset.removeKind === 'item' ? 'items' : 'locations';
    field(name).value = ids(name).filter((id) => id !== button.dataset.removeId).join(',');
    submit();
  });
}
$('#clear-labels').addEventListener('click', () => {
  field('items').value = '';
  field('locations').value = '';
  submit();
});
$('#print-labels').addEventListener('click', () => window.print());
form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
