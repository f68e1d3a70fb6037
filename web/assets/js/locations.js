// The locations page: each location can be opened to show what it holds.
import { api } from './api.js';
import { el, fmt } from './ui.js';
import { resourceList } from './list.js';

resourceList({
  endpoint: '/api/location',
  noun: 'location',
  detailLabel: 'Contents',
  cells: (loc) => [el('span', { class: 'strong' }, loc.name), fmt(loc.item_count), fmt(loc.total_units)],
  toBody: (data) => ({ name: String(data.get('name')).trim() }),
  fill: (form, loc) => { form.elements.name.value = loc.name; },
  detail: async (loc) => {
    const full = await api.get(`/api/location?id=${loc.id}&content=true`);
    if (!full.items || full.items.length === 0) return el('p', { class: 'muted' }, `${loc.name} is empty.`);
    return el('ul', { class: 'plain-list' }, full.items.map((s) => el('li', {},
      el('a', { href: `/inventory?item=${s.item_id}` }, s.item_name),
      el('span', { class: 'qty' }, `× ${fmt(s.quantity)}`))));
  },
});
