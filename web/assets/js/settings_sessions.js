// Settings: devices and sessions (each marked with where and when it was
// used, this one as "this device"), ending one or all others (and, ticked by
// default, every API token), and the account's recent security activity.
import { api } from './api.js';
import { $, el, toast, confirmAction, when } from './ui.js';
import { describeEvent } from './security_words.js';
import { reloadTokens, tokensEnded } from './settings_tokens.js';

const sessions = $('#session-list');
const activity = $('#activity-list');

function sessionRow(s) {
  return el('li', { class: 'token', 'data-session': s.id },
    el('strong', {}, s.device),
    s.current ? el('span', { class: 'badge' }, ' this device') : null,
    el('span', { class: 'muted small' }, ' ', s.ip || 'unknown address', ' · signed in ',
      s.signed_in_with ? `with ${s.signed_in_with} ` : '', when(s.created_at),
      ' · last active ', when(s.last_used_at)),
    s.current ? null : el('button', {
      type: 'button', class: 'btn btn-ghost btn-small danger', 'aria-label': `End the session on ${s.device}`,
      onclick: async () => {
        if (!await confirmAction(`End the session on ${s.device}? That device is signed out at once.`, 'End session')) return;
        await api.del(`/api/sessions?id=${encodeURIComponent(s.id)}`);
        toast('Session ended.');
        await loadSessions();
        await loadActivity();
      },
    }, 'End'));
}

async function loadSessions() {
  const list = await api.get('/api/sessions');
  sessions.replaceChildren(...list.map(sessionRow));
}

function eventRow(e) {
  return el('li', { class: 'token', 'data-event': e.kind },
    el('strong', {}, describeEvent(e)),
    el('span', { class: 'muted small' }, ' ', when(e.at), ' · ', e.device || 'unknown device', ' · ', e.ip || 'unknown address'));
}

async function loadActivity() {
  const page = await api.get('/api/security-events?limit=20');
  activity.replaceChildren(...(page.events.length ? page.events.map(eventRow) : [el('li', { class: 'muted' }, 'Nothing yet.')]));
}

$('#sessions-revoke-others').addEventListener('click', async () => {
  const revokeTokens = $('#sessions-revoke-tokens').checked;
  const question = revokeTokens
    ? 'End every session but this one, and revoke every API token? Every other device is signed out and every script stops at once.'
    : 'End every session but this one? Every other device is signed out at once; API tokens keep working.';
  if (!await confirmAction(question, 'End them')) return;
  const done = await api.post('/api/sessions/revoke-others', { revoke_tokens: revokeTokens });
  toast(`${done.ended === 1 ? 'One session ended' : `${done.ended} sessions ended`}${tokensEnded(done.tokens_revoked)}.`);
  await loadSessions();
  await loadActivity();
  await reloadTokens();
});

loadSessions();
loadActivity();
