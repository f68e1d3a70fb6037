// The part of an item's form for what it carries besides its stock: sku,
// tags (comma-separated), barcodes (one per line) and custom fields (rows of
// name and value, added and removed here). Used by the items dialog and the
// item's own page; the markup is partials/item_extra_fields.html.
import { $, $$, el } from './ui.js';

let rowCount = 0;

/** Wires the custom field rows of `form`; returns how to fill and read them. */
export function itemExtras(form) {
  const rows = $('[data-field-rows]', form);

  function addRow(name = '', value = '') {
    rowCount += 1;
    const nameId = `field-name-${rowCount}`;
    const valueId = `field-value-${rowCount}`;
    const row = el('div', { class: 'field-pair', dataset: { fieldRow: '' } },
      el('label', { class: 'visually-hidden', for: nameId }, 'Field name'),
      el('input', { id: nameId, name: 'field_name', maxlength: '60', placeholder: 'Name, e.g. Voltage', autocomplete: 'off', value: name }),
      el('label', { class: 'visually-hidden', for: valueId }, 'Field value'),
      el('input', { id: valueId, name: 'field_value', maxlength: '2000', placeholder: 'Value, e.g. 5 V', autocomplete: 'off', value }),
      el('button', { type: 'button', class: 'btn btn-ghost btn-small danger', 'aria-label': 'Remove this field', onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
    return row;
  }

  $('[data-add-field]', form).addEventListener('click', () => addRow().querySelector('input').focus());
  // form.reset() empties inputs but keeps added rows: a new item starts without any.
  form.addEventListener('reset', () => rows.replaceChildren());

  return {
    /** Puts the item's sku, tags, barcodes and fields into the form. */
    fill(item) {
      form.elements.sku.value = item.sku || '';
      form.elements.tags.value = (item.tags || []).join(', ');
      form.elements.barcodes.value = (item.barcodes || []).join('\n');
      form.elements.min_quantity.value = item.min_quantity ?? 0;
      form.elements.reorder_quantity.value = item.reorder_quantity ?? '';
      rows.replaceChildren();
      for (const [name, value] of Object.entries(item.fields || {})) addRow(name, value);
    },
    /** The JSON fields for POST/PUT /api/item. Rows without a name or value are left out. */
    read(data) {
      const fields = {};
      for (const row of $$('[data-field-row]', rows)) {
        const [name, value] = $$('input', row).map((i) => i.value.trim());
        if (name || value) fields[name] = value;
      }
      const list = (text, sep) => String(text || '').split(sep).map((s) => s.trim()).filter(Boolean);
      return {
        sku: String(data.get('sku') || '').trim(),
        tags: list(data.get('tags'), ','),
        barcodes: list(data.get('barcodes'), /\r?\n/),
        fields,
        min_quantity: Number(data.get('min_quantity') || 0),
        reorder_quantity: data.get('reorder_quantity') ? Number(data.get('reorder_quantity')) : null,
      };
    },
  };
}
