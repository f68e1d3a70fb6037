// The items page.
import { api } from './api.js';
import { el, int, fmt } from './ui.js';
import { resourceList } from './list.js';
import { itemExtras } from './item_form.js';

const extras = itemExtras(document.getElementById('edit-form'));

function availability(item) {
  const cls = item.available_quantity < 0 ? 'badge badge-danger'
    : item.available_quantity === 0 ? 'badge badge-warn' : 'badge badge-ok';
  return el('span', { class: cls }, fmt(item.available_quantity));
}

resourceList({
  endpoint: '/api/item',
  noun: 'item',
  labels: 'items',
  cells: (item) => [
    [el('a', { href: `/inventory?item=${item.id}`, class: 'strong' }, item.name),
      item.sku ? el('span', { class: 'row-sub' }, item.sku) : null],
    item.category ? el('span', { class: 'tag' }, item.category) : el('span', { class: 'muted' }, '—'),
    fmt(item.total_quantity),
    fmt(item.stocked_quantity),
    fmt(item.allocated_quantity),
    availability(item),
  ],
  toBody: (data) => ({
    name: String(data.get('name')).trim(),
    category: String(data.get('category')).trim(),
    description: String(data.get('description')).trim(),
    total_quantity: int(data.get('total_quantity')) ?? 0,
    ...extras.read(data),
  }),
  fill: (form, item) => {
    form.elements.name.value = item.name;
    form.elements.category.value = item.category || '';
    form.elements.description.value = item.description || '';
    form.elements.total_quantity.value = item.total_quantity;
    extras.fill(item);
  },
  afterLoad: loadCategories,
});

async function loadCategories() {
  try {
    // A bounded sample (the API's largest page) keeps this cheap at any size.
    const items = await api.get('/api/item?sort=category&limit=1000');
    const names = [...new Set(items.map((i) => i.category).filter(Boolean))].sort();
    document.getElementById('category-list').replaceChildren(...names.map((n) => el('option', { value: n })));
  } catch {
    // The suggestions are a convenience; the list itself shows any real error.
  }
}
