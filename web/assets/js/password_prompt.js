// The settings page's password dialog (partials/password_dialog.html): an
// action that needs the account's password asks for it here.
import { $, onSubmit, clearError } from './ui.js';

const dialog = $('#password-dialog');
const dialogForm = $('form', dialog);
let confirmed = null;

/** Asks for the password; `action(password)` runs on submit and its errors are
 *  shown in the dialog, which closes only when it succeeds. */
export function withPassword(text, okLabel, action) {
  dialogForm.reset();
  clearError(dialogForm);
  $('#password-dialog-text').textContent = text;
  $('#password-dialog-ok').textContent = okLabel;
  confirmed = action;
  dialog.showModal();
  $('#password-dialog-input').focus();
}

onSubmit(dialogForm, async (data) => {
  await confirmed(String(data.get('password')));
  dialog.close();
});
