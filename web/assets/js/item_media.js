// The photos and attachments on an item's page (/inventory?item=N): a gallery
// of thumbnails (tap to enlarge in a dialog, make primary, delete), photo
// uploads from a file or a phone's camera, and the attachments list (upload,
// download, delete). Uploads go through api.js with a progress bar; the size
// limits are the server's, read from the page (data-max-photo,
// data-max-attachment). A chosen file is work the person would lose, so an
// ended session is answered on the page (api.js: signInHere).
import { api, request, signInHere } from './api.js';
import { $, el, toast, when, confirmAction, showError, fileSize, tooLarge } from './ui.js';

signInHere();

const root = $('#item-media');
const itemId = root ? Number(root.dataset.itemId) : null;
const dialog = $('#photo-dialog');
/** The photo open in the dialog. */
let shown = null;

/** Uploads `file` with a progress bar; resolves to the answer's JSON. */
async function upload(path, file, type, bar) {
  bar.hidden = false;
  bar.value = 0;
  const onProgress = (loaded, total) => {
    bar.max = total;
    bar.value = loaded;
  };
  try {
    return (await request('POST', path, { body: file, type, onProgress })).data;
  } finally {
    bar.hidden = true;
  }
}

const photoUrl = (id, thumb) => `/api/item/photo?id=${id}${thumb ? '&size=thumb' : ''}`;

function photoTile(photo, index, count) {
  const label = `Photo ${index + 1} of ${count}${photo.primary ? ' (primary)' : ''}`;
  return el('li', { class: photo.primary ? 'primary' : null },
    el('button', { type: 'button', class: 'thumb', 'aria-label': `Open ${label}`, dataset: { photoId: photo.id }, onclick: () => openPhoto(photo, label) },
      el('img', { src: photoUrl(photo.id, true), alt: label, loading: 'lazy', decoding: 'async' })),
    photo.primary ? el('span', { class: 'badge badge-ok' }, 'Primary') : null);
}

function attachmentRow(a) {
  return el('li', { dataset: { attachmentId: a.id } },
    el('a', { href: `/api/item/attachment?id=${a.id}`, download: a.filename }, a.filename),
    el('span', { class: 'muted small' }, ` ${fileSize(a.size)} · ${when(a.created_at)}`),
    el('button', {
      'data-write': true, type: 'button', class: 'btn btn-ghost btn-small danger', 'aria-label': `Delete ${a.filename}`,
      onclick: () => removeAttachment(a),
    }, 'Delete'));
}

async function load() {
  const item = await api.get(`/api/item?id=${itemId}`);
  const photos = item.photos || [];
  const attachments = item.attachments || [];
  $('[data-media="photos"]', root).replaceChildren(...photos.map((p, i) => photoTile(p, i, photos.length)));
  $('[data-media="no-photos"]', root).hidden = photos.length > 0;
  $('[data-media="attachments"]', root).replaceChildren(...attachments.map(attachmentRow));
  $('[data-media="no-attachments"]', root).hidden = attachments.length > 0;
}

function openPhoto(photo, label) {
  shown = photo;
  const img = $('#photo-full', dialog);
  img.src = photoUrl(photo.id, false);
  img.alt = label;
  $('#photo-primary', dialog).hidden = photo.primary;
  dialog.showModal();
}

async function makePrimary() {
  if (!shown) return;
  try {
    await api.put(`/api/item/photo?id=${shown.id}`, { primary: true });
    dialog.close();
    toast('This photo is now the primary one.');
    await load();
  } catch (err) {
    dialog.close();
    showError('#photo-error', err);
  }
}

async function deletePhoto() {
  if (!shown) return;
  const photo = shown;
  dialog.close();
  if (!(await confirmAction('Delete this photo? This cannot be undone.', 'Delete'))) return;
  try {
    await api.del(`/api/item/photo?id=${photo.id}`);
    toast('Photo deleted.');
    await load();
  } catch (err) {
    showError('#photo-error', err);
  }
}

async function removeAttachment(a) {
  showError('#attachment-error', null);
  if (!(await confirmAction(`Delete ${a.filename}? This cannot be undone.`, 'Delete'))) return;
  try {
    await api.del(`/api/item/attachment?id=${a.id}`);
    toast(`${a.filename} deleted.`);
    await load();
  } catch (err) {
    showError('#attachment-error', err);
  }
}

async function addPhoto(input) {
  const file = input.files[0];
  input.value = '';
  showError('#photo-error', null);
  if (!file) return;
  const big = tooLarge('photo', file.size, Number(root.dataset.maxPhoto));
  if (big) {
    showError('#photo-error', big);
    return;
  }
  try {
    await upload(`/api/item/photo?id=${itemId}`, file, file.type || 'image/jpeg', $('#photo-progress'));
    toast('Photo added.');
    await load();
  } catch (err) {
    showError('#photo-error', err);
  }
}

async function addAttachment(input) {
  const file = input.files[0];
  input.value = '';
  showError('#attachment-error', null);
  if (!file) return;
  const big = tooLarge('file', file.size, Number(root.dataset.maxAttachment));
  if (big) {
    showError('#attachment-error', big);
    return;
  }
  const path = `/api/item/attachment?id=${itemId}&filename=${encodeURIComponent(file.name)}`;
  try {
    await upload(path, file, file.type, $('#attachment-progress'));
    toast(`${file.name} added.`);
    await load();
  } catch (err) {
    showError('#attachment-error', err);
  }
}

if (root) {
  $('#photo-input')?.addEventListener('change', (event) => addPhoto(event.target));
  $('#attachment-input')?.addEventListener('change', (event) => addAttachment(event.target));
  $('#photo-primary', dialog).addEventListener('click', makePrimary);
  $('#photo-delete', dialog).addEventListener('click', deletePhoto);
  load().catch((err) => showError('#photo-error', err));
}
