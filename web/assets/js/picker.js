// Type-to-search pickers: an ARIA combobox (role=combobox on the text field, a
// listbox of options, aria-activedescendant for the highlighted one) that asks
// the API for a few matching rows as you type. It never holds every row, so it
// stays instant at any inventory size. A keystroke asks at once (no debounce
// delay to wait out); while one question is in flight, only the latest text
// is asked next, so fast typing costs one request per answer, not per key. Keys: Down/Up move through the
// suggestions (Down also opens them), Enter chooses, Escape closes (or clears).
// Used by the stock, move and allocate forms and by the top bar's quick-find.
import { api } from './api.js';
import { el, fmt } from './ui.js';

const LIMIT = 8;

const plural = (n, one, many) => `${fmt(n)} ${n === 1 ? one : many}`;

/** What each kind of row says about itself in a suggestion: enough to choose. */
const KINDS = {
  item: {
    path: '/api/item',
    detail: (r) => `${r.category || 'No category'} · ${fmt(r.available_quantity)} available`,
  },
  location: {
    path: '/api/location',
    // A nested location's path tells apart two "Shelf A"s in different rooms.
    detail: (r) => `${r.depth ? `${r.path} · ` : ''}${plural(r.total_units, 'unit', 'units')} · ${plural(r.item_count, 'item', 'items')}`,
  },
  project: {
    path: '/api/project',
    detail: (r) => `${plural(r.allocated_units, 'unit', 'units')} allocated · ${plural(r.item_count, 'item', 'items')}`,
  },
};

/** A search function over one list endpoint: the first few names matching `q`, in natural order. */
export function searchKind(kind) {
  const { path, detail } = KINDS[kind];
  return async (q) => {
    const params = new URLSearchParams({ sort: 'name', order: 'asc', limit: String(LIMIT) });
    if (q) params.set('q', q);
    const rows = await api.get(`${path}?${params}`);
    return rows.map((row) => ({ id: row.id, name: row.name, detail: detail(row), row }));
  };
}

/**
 * Makes `input` (role=combobox) suggest from `list` (role=listbox).
 * options: { search(q) -> Promise<[{id, name, detail}]>, onChoose(result), minChars }
 */
export function combobox(input, list, { search, onChoose, minChars = 0 }) {
  let results = [];
  let active = -1;
  let asked = 0;
  let inFlight = false;
  let askAgain = false;
  const optionId = (i) => `${list.id}-option-${i}`;

  function setOpen(open) {
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (!open) setActive(-1);
  }

  function setActive(i) {
    active = i;
    list.querySelectorAll('[role=option]').forEach((option, j) => option.setAttribute('aria-selected', String(j === i)));
    if (i < 0) {
      input.removeAttribute('aria-activedescendant');
      return;
    }
    input.setAttribute('aria-activedescendant', optionId(i));
    document.getElementById(optionId(i))?.scrollIntoView({ block: 'nearest' });
  }

  function render(note) {
    active = -1;
    if (note || results.length === 0) {
      list.replaceChildren(el('li', { class: 'picker-note', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false' }, note || 'Nothing matches.'));
      return;
    }
    list.replaceChildren(...results.map((r, i) => el('li', {
      id: optionId(i), role: 'option', 'aria-selected': 'false', class: 'picker-option',
      // Keeps the focus in the field, so choosing with a tap or click does not blur it first.
      onmousedown: (event) => event.preventDefault(),
      onclick: () => choose(i),
    }, el('span', { class: 'picker-name' }, r.name), r.detail ? el('span', { class: 'picker-detail' }, r.detail) : null)));
  }

  // One question at a time: text typed while one is in flight is asked as soon
  // as it returns, and an answer for text already typed over is not shown.
  async function lookup() {
    const q = input.value.trim();
    const mine = ++asked;
    if (q.length < minChars) {
      results = [];
      list.removeAttribute('aria-busy');
      setOpen(false);
      return;
    }
    if (inFlight) {
      askAgain = true;
      return;
    }
    inFlight = true;
    list.setAttribute('aria-busy', 'true');
    let found;
    let failure = null;
    try {
      found = await search(q);
    } catch (err) {
      failure = err.message;
    }
    inFlight = false;
    if (askAgain) {
      askAgain = false;
      if (mine !== asked) {
        lookup();
        return;
      }
    }
    if (mine !== asked) return;
    results = failure === null ? found : [];
    render(failure);
    list.removeAttribute('aria-busy');
    setOpen(document.activeElement === input);
  }

  function choose(i) {
    const chosen = results[i];
    if (!chosen) return;
    input.value = chosen.name;
    setOpen(false);
    onChoose(chosen);
  }

  input.addEventListener('input', lookup);
  input.addEventListener('keydown', (event) => {
    const open = !list.hidden;
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (!open) lookup();
        else if (results.length) setActive((active + 1) % results.length);
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (open && results.length) setActive(active <= 0 ? results.length - 1 : active - 1);
        break;
      case 'Enter':
        // With suggestions showing, Enter chooses (the highlighted one, else
        // the best match) instead of submitting the form.
        if (open && results.length) {
          event.preventDefault();
          choose(active >= 0 ? active : 0);
        }
        break;
      case 'Escape':
        if (open) {
          event.preventDefault();
          event.stopPropagation();
          setOpen(false);
        } else if (input.value) {
          event.preventDefault();
          input.value = '';
          input.dispatchEvent(new Event('input', { bubbles: true }));
        }
        break;
      case 'Tab':
        setOpen(false);
        break;
      default:
    }
  });
  input.addEventListener('blur', () => setOpen(false));

  return {
    lookup,
    /** The suggestions last shown. */
    get results() { return results; },
  };
}

/**
 * A form's picker (partials/picker.html): the combobox shows the name, the
 * hidden input beside it carries the chosen id. Typing anything else clears the
 * choice, so a form never sends an id the field no longer shows.
 * Returns { set({id, name} | null), get chosen }; also kept as `root.picker`.
 */
export function attachPicker(root, search = searchKind(root.dataset.picker)) {
  const input = root.querySelector('[role=combobox]');
  const hidden = root.querySelector('input[type=hidden]');
  let chosen = null;

  function set(row) {
    chosen = row ? { id: row.id, name: row.name } : null;
    hidden.value = row ? String(row.id) : '';
    input.value = row ? row.name : '';
    input.removeAttribute('aria-invalid');
    root.dispatchEvent(new CustomEvent('picked', { bubbles: true, detail: chosen }));
  }

  const box = combobox(input, root.querySelector('[role=listbox]'), { search, onChoose: set });
  input.addEventListener('input', () => {
    if (chosen && input.value !== chosen.name) {
      chosen = null;
      hidden.value = '';
    }
  });
  // Leaving the field with exactly a suggestion's name typed counts as choosing it.
  input.addEventListener('blur', () => {
    const text = input.value.trim().toLowerCase();
    if (chosen || !text) return;
    const same = box.results.filter((r) => r.name.toLowerCase() === text);
    if (same.length === 1) set(same[0]);
  });
  input.form?.addEventListener('reset', () => { chosen = null; hidden.value = ''; });

  const picker = { set, input, get chosen() { return chosen; } };
  root.picker = picker;
  return picker;
}

/**
 * Attaches every picker inside `scope`; returns them by their hidden field's
 * name. `searches` may give a field its own search function (by that name).
 */
export function attachPickers(scope = document, searches = {}) {
  const byName = {};
  for (const root of scope.querySelectorAll('[data-picker]')) {
    const name = root.querySelector('input[type=hidden]').name;
    const picker = searches[name] ? attachPicker(root, searches[name]) : attachPicker(root);
    byName[name] = picker;
  }
  return byName;
}

/** Refuses a submit whose pickers have nothing chosen, naming the field. */
export function requireChoices(form) {
  for (const root of form.querySelectorAll('[data-picker]')) {
    if (root.picker && !root.picker.chosen) {
      const label = root.querySelector('label').textContent.trim().toLowerCase();
      const err = new Error(`Choose ${label === 'item' ? 'an item' : `a ${label === 'from' || label === 'to' ? 'location' : label}`} from the suggestions.`);
      err.field = root.querySelector('input[type=hidden]').name;
      throw err;
    }
  }
}
