// Small DOM helpers shared by the page modules. Text is always set with
// textContent, never innerHTML, so nothing a user typed can become markup.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/**
 * The one way an error reaches the page: `err`'s message in its box, or the
 * box emptied and hidden when `err` is null. `where` is the box (an element or
 * a selector), or a form, whose `[data-error]` box is used and whose field the
 * error names (`err.field`) is marked invalid and focused.
 */
export function showError(where, err) {
  const target = typeof where === 'string' ? $(where) : where;
  if (!target) return;
  const form = target instanceof HTMLFormElement ? target : null;
  const box = form ? form.querySelector('[data-error]') : target;
  if (box) {
    box.textContent = !err ? '' : err instanceof Error ? err.message : String(err);
    box.hidden = !err;
  }
  if (!form) return;
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  let field = err && err.field ? form.querySelector(`[name="${CSS.escape(err.field)}"]`) : null;
  // A picker's id travels in a hidden input; the field to mark is its combobox.
  if (field && field.dataset.pickedBy) field = document.getElementById(field.dataset.pickedBy);
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}

export function clearError(form) {
  showError(form, null);
  const ok = form.querySelector('[data-ok]');
  if (ok) { ok.textContent = ''; ok.hidden = true; }
}

const MiB = 1024 * 1024;

/** A size for people: "3.2 MiB", "140 KiB", "512 bytes". */
export function fileSize(bytes) {
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${fmt(Math.round(bytes / 1024))} KiB`;
  return `${fmt(bytes)} bytes`;
}

/**
 * The error for a file over the server's limit, or null when it fits. The
 * limit (bytes) comes from the page (`data-max-*`, the server's own constant),
 * so the check here only saves uploading a file the server would refuse; a
 * missing limit leaves the decision to the server.
 */
export function tooLarge(what, bytes, limit) {
  if (!(limit > 0) || bytes <= limit) return null;
  const most = limit % MiB === 0 ? `${limit / MiB} MiB` : fileSize(limit);
  return new Error(`This ${what} is ${fileSize(bytes)}; the most MiauInv takes is ${most}.`);
}

/** Runs `action` for a form submit with the submit button disabled meanwhile. */
export function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(form);
    const buttons = form.querySelectorAll('button[type=submit]');
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    try {
      await action(new FormData(form));
    } catch (err) {
      showError(form, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute('aria-busy');
    }
  });
}

/** A whole number from a form field, or undefined when empty. */
export function int(value) {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) ? n : NaN;
}

export function toast(message, ms = 3500) {
  const box = $('#toast');
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, ms);
}

/** Says that a saved `noun` was saved, and warns when the server found
 *  another one whose name looks the same (`similar_to`: "Kitchen" and
 *  "Kitсhen" with a Cyrillic с), long enough to be read. */
export function toastSaved(message, saved, noun) {
  if (!saved || !saved.similar_to) return toast(message);
  toast(`${message} Careful: another ${noun} (#${saved.similar_to}) has a name that looks the same.`, 10000);
}

/** A toast with one button (e.g. Undo) that stays `ms` milliseconds; the
 * button runs `action` and closes the toast. */
export function toastAction(message, label, action, ms = 10000) {
  const box = $('#toast');
  if (!box) return;
  const button = el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-write': true, 'data-toast-action': '' }, label);
  button.addEventListener('click', () => { box.hidden = true; action(); }, { once: true });
  box.replaceChildren(el('span', {}, message), ' ', button);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, ms);
}

/** Runs a row's action on a list page: a refusal (e.g. the last admin) is
 *  shown in `box` rather than thrown, `done` is toasted on success, and the
 *  list is read again with `reload` either way, so it shows what the server
 *  holds. */
export async function runAction(box, action, done, reload) {
  showError(box, null);
  try {
    await action();
    if (done) toast(done);
  } catch (err) {
    showError(box, err);
  }
  await reload();
}

/** A confirmation dialog; resolves to true when the person confirms. */
export function confirmAction(text, okLabel = 'Delete') {
  const dialog = $('#confirm-dialog');
  $('#confirm-text', dialog).textContent = text;
  $('#confirm-ok', dialog).textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  $('#confirm-ok', dialog).focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

const number = new Intl.NumberFormat();
export const fmt = (n) => number.format(n ?? 0);

export function when(ts) {
  const date = new Date(ts * 1000);
  return el('time', { datetime: date.toISOString(), title: date.toLocaleString() }, relative(date));
}

function relative(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A name as a movement recorded it, with today's name beside it when the
 *  row has been renamed since: "Shelf A (now: Garage shelf)". */
function thenAndNow(then, now) {
  return now && then && now !== then ? `${then} (now: ${now})` : then || now || '?';
}

/**
 * Who made a movement and when. History a non-admin imported from a file is
 * recorded as theirs at the time of the import; what the file claimed (its
 * author and time) is shown beside it, never as fact.
 */
export function movementMeta(m) {
  const claim = m.claimed_by != null || m.claimed_at != null
    ? el('span', { class: 'move-claim' }, ' · imported from a file',
      m.claimed_by ? ` (says ${m.claimed_by}` : ' (',
      m.claimed_at != null ? [m.claimed_by ? ', ' : '', new Date(m.claimed_at * 1000).toLocaleDateString()] : '', ')')
    : null;
  return el('span', { class: 'move-meta' }, m.username ? `${m.username} · ` : '', when(m.created_at), claim);
}

/** Describes one movement (kinds: stock, transfer, allocation, total) in words. */
export function describeMovement(m, withItem = true) {
  const item = withItem ? `${thenAndNow(m.item_name, m.item_name_now)}: ` : '';
  const from = thenAndNow(m.location_name, m.location_name_now);
  const to = thenAndNow(m.to_location_name, m.to_location_name_now);
  const project = thenAndNow(m.project_name, m.project_name_now);
  const qty = fmt(Math.abs(m.delta));
  const after = fmt(m.quantity_after);
  switch (m.kind) {
    case 'transfer':
      return `${item}moved ${qty} from ${from} to ${to}`;
    case 'allocation':
      return m.delta >= 0
        ? `${item}${qty} allocated to ${project} (now ${after})`
        : `${item}${qty} released from ${project} (now ${after})`;
    case 'total':
      return `${item}total ${m.delta >= 0 ? 'raised' : 'lowered'} by ${qty} to ${after}`;
    case 'stock':
      return m.delta >= 0
        ? `${item}${qty} put into ${from} (now ${after})`
        : `${item}${qty} taken from ${from} (now ${after})`;
    case 'consume':
      return `${item}${qty} used up from ${from}${m.project_id ? ` for ${project}` : ''} (${after} left there)`;
    case 'count':
      return m.delta === 0
        ? `${item}counted ${after} at ${from}, as recorded`
        : `${item}counted ${after} at ${from} (${m.delta > 0 ? `${qty} found` : `${qty} missing`})${m.stocktake_id ? ` in stocktake ${m.stocktake_id}` : ''}`;
    default:
      return `${item}${m.delta >= 0 ? '+' : '−'}${qty}`;
  }
}

/** Copies text to the clipboard; falls back to a hidden textarea where the
 *  Clipboard API is missing (it needs a secure context). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch { /* fall through to the old way */ }
  }
  const area = el('textarea', { class: 'visually-hidden', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  return ok;
}

/** Saves `text` as a file named `name`, made in the browser (nothing is sent). */
export function downloadText(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
