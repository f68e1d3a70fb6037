// The projects page: each project can be opened to show and release what is
// allocated to it.
import { api } from './api.js';
import { el, fmt, toast } from './ui.js';
import { resourceList } from './list.js';

resourceList({
  endpoint: '/api/project',
  noun: 'project',
  detailLabel: 'Allocations',
  cells: (p) => [
    el('span', { class: 'strong' }, p.name),
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
  detail: async (project, reload) => {
    const full = await api.get(`/api/project?id=${project.id}&details=true`);
    const allocations = full.allocations || [];
    if (allocations.length === 0) {
      return el('p', { class: 'muted' }, 'Nothing is allocated yet. ', el('a', { href: '/inventory#allocate' }, 'Allocate items'), '.');
    }
    const error = el('p', { class: 'form-error', role: 'alert', hidden: true });
    const list = el('ul', { class: 'plain-list' }, allocations.map((a) => el('li', {},
      el('a', { href: `/inventory?item=${a.item_id}` }, a.item_name),
      el('span', { class: 'qty' }, `× ${fmt(a.quantity)}`),
      el('button', {
        type: 'button', class: 'btn btn-ghost btn-small',
        'aria-label': `Release ${a.item_name} from ${project.name}`,
        onclick: async () => {
          try {
            await api.del(`/api/association?id=${a.association_id}`);
            toast(`Released ${a.item_name}.`);
            reload();
          } catch (err) {
            error.textContent = err.message;
            error.hidden = false;
          }
        },
      }, 'Release'))));
    return el('div', {}, list, error);
  },
});
