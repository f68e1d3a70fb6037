// The projects page: each project's name leads to its own page with its
// allocations (place.js).
import { el, fmt } from './ui.js';
import { resourceList } from './list.js';

resourceList({
  endpoint: '/api/project',
  noun: 'project',
  cells: (p) => [
    el('a', { class: 'strong', href: `/projects?id=${p.id}` }, p.name),
    p.description ? el('span', { class: 'clip' }, p.description) : el('span', { class: 'muted' }, '—'),
    fmt(p.item_count),
    fmt(p.allocated_units),
  ],
  toBody: (data) => ({
    name: String(data.get('name')).trim(),
    description: String(data.get('description')).trim(),
  }),
  fill: (form, p) => {
    form.elements.name.value = p.name;
    form.elements.description.value = p.description || '';
  },
});
