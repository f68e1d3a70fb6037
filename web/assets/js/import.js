// The import page: a file (uploaded or pasted) is sent as a dry run first;
// the answer's counts and per-row errors are shown, and only a clean dry run
// enables the real import of the same text. A ZIP export is binary: it is
// sent as the chosen file itself, never as text.
import { el } from './ui.js';
import { goToLogin } from './api.js';

const form = document.getElementById('import-form');
const format = document.getElementById('import-format');
const file = document.getElementById('import-file');
const text = document.getElementById('import-text');
const confirmButton = document.getElementById('import-confirm');
const error = document.getElementById('import-error');
const result = document.getElementById('import-result');
const summary = document.getElementById('import-summary');
const rows = document.querySelector('#import-errors tbody');

let archive = null;

file.addEventListener('change', async () => {
  const chosen = file.files[0];
  if (!chosen) return;
  archive = chosen.name.toLowerCase().endsWith('.zip') ? chosen : null;
  text.value = archive ? '' : await chosen.text();
  if (archive) format.value = 'zip';
  else if (chosen.name.endsWith('.json')) format.value = 'json';
  invalidate();
});
text.addEventListener('input', invalidate);
format.addEventListener('change', invalidate);

function invalidate() {
  confirmButton.disabled = true;
}

function counts(map) {
  const parts = Object.entries(map || {}).map(([what, n]) => `${n} ${what}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

const TYPES = { json: 'application/json', zip: 'application/zip' };

async function send(dryRun) {
  const zip = format.value === 'zip';
  if (zip && !archive) {
    return { ok: false, body: { error: 'Choose the ZIP file the export wrote (it cannot be pasted).' } };
  }
  const query = `format=${format.value}&what=items&dry_run=${dryRun}`;
  const res = await fetch(`/api/import?${query}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': TYPES[format.value] || 'text/csv' },
    body: zip ? archive : text.value,
  });
  if (res.status === 401) goToLogin();
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, body };
}

function show(report, dryRun) {
  result.hidden = false;
  const errors = report.errors || [];
  const verb = dryRun ? 'would create' : 'created';
  summary.textContent = errors.length
    ? `${errors.length} problem(s): nothing ${dryRun ? 'would be' : 'was'} imported.`
    : `The import ${verb} ${counts(report.created)} and ${dryRun ? 'would update' : 'updated'} ${counts(report.updated)}.`;
  rows.replaceChildren(...errors.map((e) => el('tr', {},
    el('td', {}, e.row != null ? String(e.row) : (e.path || '')),
    el('td', {}, e.column || ''),
    el('td', {}, e.message))));
  for (const s of report.skipped || []) {
    rows.append(el('tr', {}, el('td', {}, s.path || ''), el('td', {}, s.column || ''), el('td', {}, s.message)));
  }
  return errors.length === 0;
}

async function run(dryRun) {
  error.hidden = true;
  confirmButton.disabled = true;
  const { ok, body } = await send(dryRun);
  if (!ok && !body.errors) {
    error.textContent = body.error || 'The import failed.';
    error.hidden = false;
    return;
  }
  const clean = show(body, dryRun);
  confirmButton.disabled = !(dryRun && clean);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run(true);
});
confirmButton.addEventListener('click', () => run(false));
