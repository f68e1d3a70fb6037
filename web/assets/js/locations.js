// The locations page: each location's name leads to its own page with its
// contents (place.js).
import { el, fmt } from './ui.js';
import { resourceList } from './list.js';

resourceList({
  endpoint: '/api/location',
  noun: 'location',
  cells: (loc) => [el('a', { class: 'strong', href: `/locations?id=${loc.id}` }, loc.name), fmt(loc.item_count), fmt(loc.total_units)],
  toBody: (data) => ({ name: String(data.get('name')).trim() }),
  fill: (form, loc) => { form.elements.name.value = loc.name; },
});
