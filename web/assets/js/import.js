// The import page: a file (uploaded or pasted) is sent as a dry run first;
// the answer's counts and per-row errors are shown, and only a clean dry run
// enables the real import of the same text. A ZIP export is binary: it is
// sent as the chosen file itself, never as text. The pasted text is work the
// person would lose, so an ended session is answered on the page (api.js:
// signInHere) and the import goes on after signing in.
import { el, showError, tooLarge } from './ui.js';
import { request, signInHere } from './api.js';

signInHere();

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

/** Sends the file (or the text) to the import; resolves to its report. A
 *  refused file answers with a report too (its `errors`), which is shown
 *  like a dry run's; any other refusal is thrown. */
async function send(dryRun) {
  const zip = format.value === 'zip';
  if (zip && !archive) throw new Error('Choose the ZIP file the export wrote (it cannot be pasted).');
  const body = zip ? archive : text.value;
  const big = tooLarge('file', zip ? archive.size : new Blob([body]).size, Number(form.dataset.maxImport));
  if (big) throw big;
  const query = `format=${format.value}&what=items&dry_run=${dryRun}`;
  try {
    return (await request('POST', `/api/import?${query}`, { body, type: TYPES[format.value] || 'text/csv' })).data;
  } catch (err) {
    if (err.body && err.body.errors) return err.body;
    throw err;
  }
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
  showError(error, null);
  confirmButton.disabled = true;
  let report;
  try {
    report = await send(dryRun);
  } catch (err) {
    showError(error, err);
    return;
  }
  const clean = show(report, dryRun);
  confirmButton.disabled = !(dryRun && clean);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run(true);
});
confirmButton.addEventListener('click', () => run(false));
