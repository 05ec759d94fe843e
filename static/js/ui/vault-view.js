// "Remember this room on this device" on the create and join forms, and "My rooms" on the
// room page: the page of the local key vault (PROTOCOL §2.2; client/vault.js seals and
// opens its records, vault-store.js keeps them in IndexedDB).
//
// A passphrase typed on a form is checked (or a new vault made) before the room is
// created or joined, so a wrong one is said before anything happens; the room is sealed
// only once the relay let us in, when its expiry and our Extra Lock shard are known. The
// vault's key stays in this page's memory only from the form to that moment, or while My
// rooms is unlocked, and is overwritten afterwards.
import { passphraseBytes, passphraseLongEnough } from '../client/extra-lock.js';
import { socketUrl } from '../client/connection.js';
import { parseFragment } from '../client/link.js';
import { peekRoom } from '../client/peek.js';
import { META_ID, Vault, VaultError, isRoomRecord } from '../client/vault.js';
import { byId, el, replaceKeepingFocus } from './dom.js';
import { describeDuration } from './format.js';
import { nameNode } from './people.js';
import { deleteLocalKeys, deleteRoom, listenForDeletion, readRecords, writeRecords } from './vault-store.js';

const FORMS = ['create', 'join'];
const SHORT = 'The passphrase needs at least 8 characters. Several words you can say aloud are best.';
const UNREADABLE = 'This browser keeps rooms that this page cannot open: another version of Atopos kept them, or they were changed. Delete local keys removes them.';

let pending = null; // { vault, fresh }: a form's choice, until the room is entered
let kept = false; // this tab's room is kept on this device
let unlocked = null; // My rooms, unlocked: { vault, entries, verdicts }
let openRoom = () => {};

const status = () => byId('status');

/** Whether anything is left of `passphrase` once normalised (white space alone is nothing). */
function typed(passphrase) {
  try {
    passphraseBytes(passphrase);
    return true;
  } catch {
    return false;
  }
}

function stretching(fraction, what) {
  status().textContent = `${what}… ${Math.round(fraction * 100)}%`;
}

/** Overwrite the key a form derived, if the room it was for never opened. */
export function forgetKeep() {
  pending?.vault.wipe();
  pending = null;
}

/** Overwrite My rooms' key and drop what it opened. */
function lockMyRooms() {
  unlocked?.vault.wipe();
  unlocked = null;
  byId('vault-list').replaceChildren();
}

/** Whether this device keeps a vault: its records, and whether it has rooms. */
async function keptRooms() {
  const records = await readRecords();
  return { records, exists: records.some((record) => record.id === META_ID), rooms: records.filter(isRoomRecord).length };
}

// ---- Remember this room on this device (create and join forms) ----

async function keepToggled(form) {
  const box = byId(`${form}-keep`);
  const fields = byId(`${form}-keep-fields`);
  fields.hidden = !box.checked;
  byId(`${form}-keep-error`).hidden = true;
  delete fields.dataset.vault;
  if (!box.checked) return;
  const { exists } = await keptRooms();
  byId(`${form}-keep-label`).textContent = exists
    ? 'Passphrase of your rooms on this device'
    : 'Choose a passphrase for your rooms on this device (at least 8 characters; several words are best)';
  // A new passphrase is typed twice: nothing opens this device's rooms without it.
  for (const part of fields.querySelectorAll('.keep-again')) part.hidden = exists;
  fields.dataset.vault = exists ? 'kept' : 'new';
  byId(`${form}-keep-passphrase`).focus();
}

/**
 * On submit: true to go on (nothing asked, or the passphrase is right or a new vault is
 * ready), false when the form now says what to fix. Locks My rooms: the page leaves it.
 */
export async function askToKeep(form) {
  lockMyRooms();
  forgetKeep();
  if (!byId(`${form}-keep`).checked) return true;
  const field = byId(`${form}-keep-passphrase`);
  const again = byId(`${form}-keep-again`);
  const error = byId(`${form}-keep-error`);
  const refuse = (text, focus = field) => {
    status().textContent = '';
    error.textContent = text;
    error.hidden = false;
    field.disabled = false;
    focus.focus();
    return false;
  };
  const { records, exists } = await keptRooms();
  if (!exists && !passphraseLongEnough(field.value)) return refuse(SHORT);
  if (!exists && field.value !== again.value) return refuse('The two passphrases differ. Type the same one twice: without it, nothing opens the rooms this device keeps.', again);
  if (!typed(field.value)) return refuse('Type the passphrase of your rooms on this device first.');
  error.hidden = true;
  field.disabled = true;
  again.value = '';
  stretching(0, exists ? 'Unlocking your rooms on this device' : 'Stretching the passphrase on this device');
  try {
    if (exists) {
      const vault = await Vault.unlock(records, field.value, (fraction) => stretching(fraction, 'Unlocking your rooms on this device'));
      field.value = '';
      if (vault === null) return refuse('That is not the passphrase of your rooms on this device. Type it again, or untick “Remember this room on this device”.');
      pending = { vault, fresh: null };
    } else {
      const made = await Vault.create(field.value, { onProgress: (fraction) => stretching(fraction, 'Stretching the passphrase on this device') });
      field.value = '';
      pending = { vault: made.vault, fresh: made.records };
    }
  } catch (problem) {
    if (!(problem instanceof VaultError)) throw problem;
    field.value = '';
    return refuse(UNREADABLE);
  }
  field.disabled = false;
  status().textContent = '';
  return true;
}

/** In the room: seal it into the vault if the form asked to; `say` adds a notice. */
export async function keepEntered(session, say) {
  if (pending === null) return;
  const { vault, fresh } = pending;
  pending = null;
  try {
    const entry = { room: session.admission.toStorage(), expiresAt: session.expiresAt, owner: session.isOwner, keptAt: Date.now() };
    const id = fresh === null ? vault.findRoom(await readRecords(), entry.room.fragment) : null;
    await writeRecords([...(fresh ?? []), vault.keepRoom(entry, id ?? undefined)]);
    kept = true;
    say('This device now keeps this room, locked with your passphrase: after this tab closes, open it again from ', el('strong', { text: 'My rooms' }), ' on the room page.');
  } catch {
    say('This room could not be kept on this device: this browser refused to store it, or another tab changed the rooms it keeps meanwhile. The room itself is not affected.');
  } finally {
    vault.wipe();
  }
}

/** What leaving says about this device: the room stays kept until deleted. */
export function keptNote() {
  return kept ? ' This device still keeps it, locked with your passphrase, under My rooms until you delete it there.' : '';
}

/** On "This tab kept no keys": point to My rooms when this device keeps rooms. */
export async function noteKeptRooms() {
  byId('forgotten-kept').hidden = (await keptRooms()).rooms === 0;
}

// ---- My rooms ----

/** The room page shows its create form: show My rooms above it, locked, if there are any. */
export async function showMyRooms() {
  const { rooms } = await keptRooms();
  if (rooms === 0 || byId('create-view').hidden) return;
  byId('vault-summary').textContent = `This browser keeps ${rooms === 1 ? '1 room' : `${rooms} rooms`} for you, locked with your passphrase.`;
  byId('vault-unlock-form').hidden = false;
  byId('vault-list').hidden = true;
  byId('vault-view').hidden = false;
  byId('vault-passphrase').focus();
}

function hideMyRooms(said) {
  lockMyRooms();
  byId('vault-view').hidden = true;
  status().textContent = said;
  byId('create-name').focus();
}

function verdictOf(entry) {
  if (entry.room === undefined) return 'unreadable';
  if (entry.expiresAt * 1000 <= Date.now()) return 'expired';
  return unlocked.verdicts.get(entry.id) ?? 'checking';
}

const STATE_TEXT = {
  checking: (left) => `Vanishes in ${left}. Checking that it is still there…`,
  available: (left) => `Still there. Vanishes in ${left}.`,
  unknown: (left) => `Could not check it just now. Unless its owner ended it, it vanishes in ${left}.`,
  unavailable: () => 'Ended: its owner ended it, and the server has forgotten it.',
  expired: () => 'Ended: its time ran out.',
  unreadable: () => 'This record does not open with your passphrase: it was changed, or another version of Atopos kept it.',
};

function roomItem(entry) {
  const verdict = verdictOf(entry);
  const state = { available: 'live', checking: 'live', unknown: 'live', unavailable: 'ended', expired: 'ended' }[verdict] ?? verdict;
  const titleId = `${entry.id}-title`;
  const { room } = entry;
  const who = room === undefined ? ['A room this page cannot read'] : [entry.owner ? 'A room you made' : 'A room you joined', ...(room.name ? [', as ', nameNode(room.name)] : [', with no name'])];
  const left = room === undefined ? '' : describeDuration(entry.expiresAt - Date.now() / 1000);
  const controls = [];
  if (state === 'live') controls.push(el('button', { className: 'button button--primary', text: 'Open', attrs: { type: 'button', 'data-action': 'open', 'aria-describedby': titleId } }));
  controls.push(el('button', { className: 'button', text: 'Delete', attrs: { type: 'button', 'data-action': 'delete', 'aria-describedby': titleId } }));
  return el(
    'li',
    { className: 'vault-room', attrs: { 'data-id': entry.id, 'data-state': state } },
    el('p', { className: 'vault-room__title', attrs: { id: titleId } }, ...who),
    el('p', { className: 'vault-room__state small', text: STATE_TEXT[verdict](left) }),
    ...controls,
  );
}

function renderList() {
  replaceKeepingFocus(byId('vault-list'), unlocked.entries.map(roomItem));
}

/** Ask the relay whether each unexpired room is still there (a PEEK joins nothing). */
function checkRooms() {
  const mine = unlocked;
  for (const entry of mine.entries) {
    if (verdictOf(entry) !== 'checking') continue;
    peekRoom({ url: socketUrl(window.location.origin), origin: window.location.origin, linkShard: parseFragment(entry.room.fragment).linkShard }).then((verdict) => {
      if (unlocked !== mine) return; // locked or opened meanwhile
      mine.verdicts.set(entry.id, verdict);
      renderList();
    });
  }
}

async function unlockMyRooms(event) {
  event.preventDefault();
  const field = byId('vault-passphrase');
  const error = byId('vault-error');
  const progress = byId('vault-progress');
  const submit = byId('vault-unlock-form').querySelector('button[type=submit]');
  const refuse = (text) => {
    progress.textContent = '';
    error.textContent = text;
    error.hidden = false;
    field.disabled = false;
    submit.disabled = false;
    field.focus();
  };
  if (!typed(field.value)) return refuse('Type the passphrase first.');
  error.hidden = true;
  field.disabled = true;
  submit.disabled = true;
  const unlocking = (fraction) => {
    progress.textContent = `Unlocking your rooms on this device… ${Math.round(fraction * 100)}%`;
  };
  unlocking(0);
  const records = await readRecords();
  let vault;
  try {
    vault = await Vault.unlock(records, field.value, unlocking);
  } catch (problem) {
    if (!(problem instanceof VaultError)) throw problem;
    field.value = '';
    return refuse(UNREADABLE);
  }
  field.value = '';
  if (vault === null) return refuse('That is not the passphrase of your rooms on this device. Nothing was opened.');
  lockMyRooms();
  // A record that does not open stays listed, so that it can be deleted.
  const entries = records.filter(isRoomRecord).map((record) => vault.openRoom(record) ?? { id: record.id });
  entries.sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0));
  unlocked = { vault, entries, verdicts: new Map() };
  progress.textContent = '';
  field.disabled = false;
  submit.disabled = false;
  byId('vault-unlock-form').hidden = true;
  byId('vault-summary').textContent = 'Unlocked. Open a room to go back in with the keys this device kept; Delete removes one room from this device.';
  const list = byId('vault-list');
  list.hidden = false;
  renderList();
  (list.querySelector('button') ?? list).focus();
  checkRooms();
  return undefined;
}

/** The delete dialog: `detail`, then `confirmed()` only if the person presses Delete. */
function confirmDeletion(title, detail, confirmed) {
  const dialog = byId('vault-delete-dialog');
  byId('vault-delete-title').textContent = title;
  byId('vault-delete-detail').textContent = detail;
  dialog.returnValue = '';
  dialog.onclose = () => {
    if (dialog.returnValue === 'delete') confirmed();
  };
  dialog.showModal();
}

function listClicked(event) {
  const button = event.target.closest('button[data-action]');
  if (button === null || unlocked === null) return;
  const { id } = button.closest('[data-id]').dataset;
  const entry = unlocked.entries.find((candidate) => candidate.id === id);
  if (button.dataset.action === 'open') {
    const { room } = entry;
    lockMyRooms();
    kept = true;
    openRoom(room);
    return;
  }
  const owned = entry.owner && verdictOf(entry) !== 'expired' && verdictOf(entry) !== 'unavailable';
  confirmDeletion(
    'Delete this room from this device?',
    `This device forgets its link and your keys in it. ${owned ? 'You made this room: once its keys are gone from here, nobody can end it early. ' : ''}This cannot be undone.`,
    async () => {
      await deleteRoom(id);
      if (unlocked === null) return;
      unlocked.entries = unlocked.entries.filter((candidate) => candidate.id !== id);
      if (unlocked.entries.length === 0) hideMyRooms('The room was deleted from this device. This browser keeps no room of this site now.');
      else {
        renderList();
        status().textContent = 'The room was deleted from this device.';
      }
    },
  );
}

function deleteAll() {
  confirmDeletion(
    'Delete local keys?',
    "This browser forgets every room it keeps for this site, locked or not, and every tab of this site here forgets the room it remembers. The rooms themselves go on for the people in them. This cannot be undone.",
    async () => {
      await deleteLocalKeys();
      hideMyRooms('Local keys deleted: this browser keeps nothing of this site’s rooms now. Links you opened may still be in its history.');
    },
  );
}

function revealButton(buttonId, fieldId) {
  const button = byId(buttonId);
  button.addEventListener('click', () => {
    const shown = byId(fieldId).type === 'text';
    byId(fieldId).type = shown ? 'password' : 'text';
    button.textContent = shown ? 'Show' : 'Hide';
    button.setAttribute('aria-pressed', String(!shown));
  });
}

/**
 * Wire the forms and My rooms. `onOpen(record)` goes into a kept room (an Admission.toStorage()
 * record); `onForgotten()` runs when another tab deleted local keys.
 */
export function setUpVault({ onOpen, onForgotten }) {
  openRoom = onOpen;
  for (const form of FORMS) {
    byId(`${form}-keep`).addEventListener('change', () => keepToggled(form));
    byId(`${form}-keep-reveal`).addEventListener('change', (event) => {
      for (const field of [`${form}-keep-passphrase`, `${form}-keep-again`]) byId(field).type = event.target.checked ? 'text' : 'password';
    });
  }
  revealButton('vault-passphrase-show', 'vault-passphrase');
  byId('vault-unlock-form').addEventListener('submit', unlockMyRooms);
  byId('vault-list').addEventListener('click', listClicked);
  byId('vault-delete-all').addEventListener('click', deleteAll);
  listenForDeletion(() => {
    forgetKeep();
    lockMyRooms();
    kept = false;
    onForgotten();
  });
}
