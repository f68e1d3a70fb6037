// The scanner, loaded only when it is first needed (the Scan button, a
// keyboard-wedge burst, a form's "Scan its label"). It reads MiauInv's QR
// labels (their URL ends in /l/i/N or /l/l/N: open that page) and product
// codes (EAN/UPC, Code-128: looked up with /api/item?barcode=). The camera is
// read with the browser's BarcodeDetector where it exists, else with the
// vendored ZXing decoder in a worker (scan_worker.js). It beeps and vibrates
// on a read and keeps scanning (continuous mode) until closed. Nothing is
// fetched from outside MiauInv.
import { api } from './api.js';
import { el, toast } from './ui.js';
import { attachPicker } from './picker.js';

const NATIVE_FORMATS = ['qr_code', 'ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128'];
/** The same code again within this time is the same scan. */
const REPEAT_MS = 2500;

// ── decoding ──────────────────────────────────────────────────────────────

let worker = null;
let asked = 0;
const waiting = new Map();

function fallbackWorker() {
  if (!worker) {
    worker = new Worker(new URL('./scan_worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => {
      const { id, codes, error } = event.data;
      const done = waiting.get(id);
      waiting.delete(id);
      if (done) done(error ? Promise.reject(new Error(error)) : codes);
    };
  }
  return worker;
}

/** Codes in an ImageData, read by the vendored decoder: [{text, format}]. */
export function decodeImageData(image) {
  const id = ++asked;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    fallbackWorker().postMessage({ id, image });
  });
}

async function nativeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    const formats = NATIVE_FORMATS.filter((f) => supported.includes(f));
    return formats.includes('qr_code') ? new window.BarcodeDetector({ formats }) : null;
  } catch {
    return null;
  }
}

// ── what a code means ─────────────────────────────────────────────────────

/** A MiauInv label's page, from its URL (whatever address it was printed with). */
export function labelTarget(text) {
  const m = /\/l\/([il])\/(\d+)\/?$/.exec(text.trim());
  if (!m) return null;
  return m[1] === 'i' ? `/inventory?item=${m[2]}` : `/locations?id=${m[2]}`;
}

/** Beep and buzz where the device lets us. */
function feedback() {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 1046;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.09);
    tone.onended = () => audio.close();
  } catch { /* no audio: the vibration and the text remain */ }
  navigator.vibrate?.(70);
}

// ── the dialog ────────────────────────────────────────────────────────────

let ui = null;

function buildDialog() {
  const video = el('video', { playsinline: true, muted: true, 'aria-label': 'Camera' });
  const found = el('div', { class: 'scanner-found', 'aria-live': 'polite' });
  const status = el('p', { class: 'muted small' });
  const manual = el('input', { type: 'text', inputmode: 'text', autocomplete: 'off', 'aria-label': 'Code', placeholder: 'Or type a code…' });
  const form = el('form', { class: 'scanner-manual', method: 'post', action: '/no-script' }, manual, el('button', { type: 'submit', class: 'btn btn-ghost' }, 'Look up'));
  const title = el('h2', { id: 'scanner-title' }, 'Scan');
  const dialog = el('dialog', { class: 'dialog scanner', id: 'scanner', 'aria-labelledby': 'scanner-title' },
    title, el('div', { class: 'scanner-view' }, video), status, found, form,
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'btn btn-ghost', 'data-close': true }, 'Close')));
  document.body.append(dialog);
  ui = { dialog, video, found, status, manual, form, title, stream: null, running: false, onCode: null };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = manual.value.trim();
    if (code) ui.onCode?.(code);
    manual.value = '';
  });
  dialog.addEventListener('close', stopCamera);
  return ui;
}

function stopCamera() {
  if (!ui) return;
  ui.running = false;
  ui.stream?.getTracks().forEach((t) => t.stop());
  ui.stream = null;
  ui.video.srcObject = null;
}

async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    ui.status.textContent = 'The camera needs a secure (HTTPS) connection. Type the code below, or use a USB scanner.';
    return;
  }
  try {
    ui.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    ui.status.textContent = 'The camera is not available. Type the code below, or use a USB scanner.';
    return;
  }
  ui.video.srcObject = ui.stream;
  await ui.video.play().catch(() => {});
  ui.status.textContent = 'Point the camera at a label or barcode.';
  ui.running = true;
  const detector = await nativeDetector();
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let last = { text: '', at: 0 };
  while (ui.running) {
    let codes = [];
    try {
      if (detector) {
        codes = (await detector.detect(ui.video)).map((c) => ({ text: c.rawValue, format: c.format }));
      } else if (ui.video.videoWidth) {
        const scale = Math.min(1, 800 / ui.video.videoWidth);
        canvas.width = Math.round(ui.video.videoWidth * scale);
        canvas.height = Math.round(ui.video.videoHeight * scale);
        context.drawImage(ui.video, 0, 0, canvas.width, canvas.height);
        codes = await decodeImageData(context.getImageData(0, 0, canvas.width, canvas.height));
      }
    } catch (err) {
      ui.status.textContent = `The decoder failed: ${err.message}`;
    }
    const code = codes[0];
    if (code && ui.running && !(code.text === last.text && Date.now() - last.at < REPEAT_MS)) {
      last = { text: code.text, at: Date.now() };
      feedback();
      ui.onCode?.(code.text);
    }
    await new Promise((r) => setTimeout(r, detector ? 120 : 60));
  }
}

function open(title, onCode) {
  if (!ui) buildDialog();
  ui.title.textContent = title;
  ui.found.replaceChildren();
  ui.status.textContent = '';
  ui.onCode = onCode;
  if (!ui.dialog.open) {
    ui.dialog.showModal();
    startCamera();
  }
  return ui;
}

/** Scans one code and resolves to its text (null when closed without one). */
export function scanOnce(title = 'Scan') {
  return new Promise((resolve) => {
    const scanner = open(title, (code) => {
      scanner.onCode = null;
      scanner.dialog.close();
      resolve(code);
    });
    scanner.dialog.addEventListener('close', () => resolve(null), { once: true });
  });
}

/** The scanner of the top bar: keeps reading until closed. */
export function openScanner() {
  open('Scan a label or barcode', (code) => handleCode(code, { inScanner: true }));
}

// ── after a read ──────────────────────────────────────────────────────────

const button = (label, onclick, cls = 'btn btn-small') => el('button', { type: 'button', class: cls, onclick }, label);
const link = (label, href, cls = 'btn btn-small') => el('a', { class: cls, href }, label);

/** What was found: the item with the ways to go on. */
function showItem(item, code) {
  ui.found.replaceChildren(
    el('p', {}, el('strong', {}, item.name), ` · ${code}`),
    link('Open', `/inventory?item=${item.id}`),
    el('span', { 'data-write': true },
      link('Take', `/inventory?item=${item.id}#shelf-take`, 'btn btn-ghost btn-small'),
      link('Put', `/inventory?item=${item.id}#shelf-put`, 'btn btn-ghost btn-small'),
      link('Count', `/inventory?item=${item.id}#shelf-count`, 'btn btn-ghost btn-small')));
}

/** An unknown code: make an item with it, or give it to an item that has none. */
function showUnknown(code) {
  const name = el('input', { type: 'text', 'aria-label': 'Name of the new item', placeholder: 'Name of the new item', required: true });
  const create = el('form', { class: 'scanner-manual', method: 'post', action: '/no-script', 'data-write': true }, name, el('button', { type: 'submit', class: 'btn btn-small' }, 'Create'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const item = await api.post('/api/item', { name: name.value.trim(), total_quantity: 0, barcodes: [code] });
      location.assign(`/inventory?item=${item.id}`);
    } catch (err) {
      toast(err.message);
    }
  });
  const pickerId = `scan-add-${Date.now()}`;
  const input = el('input', { id: pickerId, type: 'text', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': `${pickerId}-list`, autocomplete: 'off', placeholder: 'Type an item…' });
  const root = el('div', { class: 'field picker', 'data-picker': 'item', 'data-write': true },
    el('label', { for: pickerId }, 'Add this barcode to an existing item'), input,
    el('input', { type: 'hidden', name: 'item_id', 'data-picked-by': pickerId }),
    el('ul', { id: `${pickerId}-list`, class: 'picker-list', role: 'listbox', hidden: true }));
  ui.found.replaceChildren(
    el('p', {}, 'No item has the code ', el('code', {}, code), '.'),
    el('p', { class: 'small', 'data-write': true }, 'Create an item with this barcode:'), create, root);
  root.addEventListener('picked', async (event) => {
    if (!event.detail) return;
    try {
      const item = await api.get(`/api/item?id=${event.detail.id}`);
      await api.put(`/api/item?id=${item.id}`, { barcodes: [...(item.barcodes || []), code] });
      location.assign(`/inventory?item=${item.id}`);
    } catch (err) {
      toast(err.message);
    }
  });
  attachPicker(root);
}

/**
 * Acts on a scanned code. A label opens its page. A product code opens its
 * item (from a keyboard wedge) or shows it with its actions (in the
 * scanner); an unknown one offers to create or extend an item.
 */
export async function handleCode(code, { inScanner = false } = {}) {
  const target = labelTarget(code);
  if (target) {
    location.assign(target);
    return;
  }
  let items = [];
  try {
    items = await api.get(`/api/item?${new URLSearchParams({ barcode: code, limit: '2' })}`);
  } catch (err) {
    toast(err.message);
    return;
  }
  if (items.length === 1 && !inScanner) {
    location.assign(`/inventory?item=${items[0].id}`);
    return;
  }
  if (!inScanner) open('Scanned', (next) => handleCode(next, { inScanner: true }));
  if (items.length >= 1) showItem(items[0], code);
  else showUnknown(code);
}
