// Entry point of /r/: creates a room, or joins the one whose link is in the fragment.
// The fragment is read once and removed from the address bar and this history entry
// (the browser has already recorded the link in its history on disk: no page can undo
// that). Keys live in this page's memory only, unless the member asks this tab to
// remember the room (storage.js); then sessionStorage keeps them until they leave. Asked to
// remember it on this device, the page seals them into the local key vault (vault-view.js).
import { ProtocolError } from '../protocol/errors.js';
import { CloseCode } from '../protocol/frames.js';
import { Admission } from '../client/admission.js';
import { DEFAULT_LOCK_PARAMS, passphraseBytes, passphraseLongEnough, passphraseShard } from '../client/extra-lock.js';
import { deriveLinkKeys } from '../client/keys.js';
import { randomBytes } from '../protocol/crypto.js';
import { memberCode } from '../client/codes.js';
import { RoomConnection, socketUrl } from '../client/connection.js';
import { parseFragment, readAddress } from '../client/link.js';
import { ownName } from '../client/names.js';
import { peekRoom } from '../client/peek.js';
import { refusalText, refusedActionText } from '../client/refusals.js';
import { SendingPaused } from '../client/session.js';
import { ChatView } from './chat.js';
import { byId, el, showView } from './dom.js';
import { describeCountdown, vanishingWarning } from './format.js';
import { CHANGE_NOTICES, GovernanceView } from './governance.js';
import { clashLines, codeNode, findClashes, nameNode } from './people.js';
import { drawQr } from './qr.js';
import { forgetRoom, loadRoom, markInRoom, saveRoom, unmarkInRoom, wasInRoom } from './storage.js';
import { askWhetherOpen, holdRoom, takeOver } from './tabs.js';
import { askToKeep, forgetKeep, keepEntered, keptNote, noteKeptRooms, setUpVault, showMyRooms } from './vault-view.js';

const app = byId('room-app');
const status = byId('status');
const origin = window.location.origin;
let connection = null;
let expiryTimer = null;
let warnedSession = null; // the session whose room we already warned is about to vanish
let chat = null;
let governance = null;
let remember = false; // the member ticked "Remember this room in this tab"
let backNote = ''; // what the conversation says first when this page came back to a room
let releaseTab = () => {}; // stops answering other tabs about the room this tab is in

const STATUS_TEXT = {
  connecting: 'Connecting…',
  'reconnecting-now': 'Reconnecting…',
  connected: 'Connected. Messages are end-to-end encrypted.',
};
const BACK_ONLINE = 'Back online. Messages are end-to-end encrypted.';

/** `detail`: seconds until the next try while reconnecting; true once connected again after a
 *  lost connection (then the conversation says so too, where the gap in it began to close). */
function setStatus(state, detail) {
  status.dataset.state = state;
  if (state === 'reconnecting') status.textContent = `Connection lost. Reconnecting in ${detail} s…`;
  else status.textContent = state === 'connected' && detail ? BACK_ONLINE : STATUS_TEXT[state] ?? state;
  if (state === 'connected' && detail) chat?.addNotice('Back online.');
  // Once in a room, a message written while the connection comes back waits in the session
  // and goes out when it is back (RoomConnection.sendText): the composer stays usable.
  const comingBack = state.startsWith('reconnecting') && Boolean(connection?.session?.inRoom);
  chat?.setEnabled(state === 'connected' || comingBack, state === 'connected');
}

function waiting(why) {
  byId('waiting-title').textContent = why === 'invite' ? 'Using your invite…' : 'Waiting to be let in';
  byId('waiting-detail').textContent =
    why === 'invite'
      ? 'Checking your invite link with the room.'
      : 'This room asks an admin to let each newcomer in. Someone in the room sees your request now.';
  byId('waiting-id').textContent = memberCode(connection.admission.memberId);
  status.textContent = why === 'invite' ? 'Redeeming the invite…' : 'Waiting for an admin…';
  showView('waiting-view');
}

/** Read the address once and erase any link in it from the address bar and this history entry. */
function takeAddress() {
  const address = readAddress(window.location);
  if (address.kind !== 'none') unmarkInRoom();
  byId('path-key-note').hidden = !address.inPath;
  return address;
}

/** The technical code, for whoever helps: a muted line under the words a person acts on. */
function showCode(id, code) {
  byId(id).textContent = code ? `Code: ${code}` : '';
  byId(id).hidden = !code;
}

function fail(title, detail, code = '') {
  unmarkInRoom();
  forgetKeep();
  byId('error-title').textContent = title;
  byId('error-detail').textContent = detail;
  byId('error-host').hidden = true;
  showCode('error-code', code);
  status.textContent = '';
  showView('error-view');
}

/** The page origin a genesis names, if it is one a link can point to; else null. */
function linkableOrigin(named) {
  try {
    const url = new URL(named);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === named ? named : null;
  } catch {
    return null;
  }
}

/** A link made on another host: name it, and link to its room page without the key. */
function failElsewhere(named, code) {
  const host = linkableOrigin(named);
  fail('This link was made for another site', host ? `It belongs to ${host}, not ${origin}.` : 'It belongs to another address than this one.', code);
  if (host === null) return;
  byId('error-host-link').href = `${host}/r/`;
  byId('error-host-link').textContent = `${host}/r/`;
  byId('error-host').hidden = false;
}

const UNAVAILABLE_TITLE = 'This room has ended, or the link is not complete';
const UNAVAILABLE_DETAIL =
  'Ask for the link again. Rooms vanish when their owner ends them or when they expire, and the server then forgets them, so a room that ended and a link with a letter missing look the same.';

function over(title, detail, code = '') {
  connection?.leave();
  connection = null;
  releaseTab();
  clearInterval(expiryTimer);
  forgetRoom();
  forgetKeep();
  unmarkInRoom();
  // The link (the key) and the invite links leave the page with the keys.
  byId('share-link').value = '';
  const qr = byId('share-qr');
  qr.getContext('2d').clearRect(0, 0, qr.width, qr.height);
  byId('invite-list').replaceChildren();
  byId('ended-title').textContent = title;
  byId('ended-detail').textContent = detail;
  showCode('ended-code', code);
  status.textContent = '';
  status.dataset.state = 'ended';
  showView('ended-view');
}

const WARN_BEFORE_SECONDS = 5 * 60;

function showExpiry(session) {
  const warning = byId('expiry-warning');
  const update = () => {
    const left = session.expiresAt - Date.now() / 1000;
    byId('expiry').textContent = left > 0 ? `Vanishes in ${describeCountdown(left)}` : 'Vanishing now';
    // Written once (an alert that changed every second would drown the conversation for a
    // screen reader), and not again when a reconnect shows the chat afresh.
    if (left > 0 && left <= WARN_BEFORE_SECONDS && warnedSession !== session) {
      warnedSession = session;
      warning.textContent = vanishingWarning(left);
    }
  };
  update();
  clearInterval(expiryTimer);
  expiryTimer = setInterval(update, 1000); // the countdown moves every second in its last minutes
}

function refreshMembers(session) {
  chat.setMembers(session.members, session.me.id, (member) => governance.memberExtras(member));
  const people = [
    ...[...session.members.values()].map(({ id, name }) => ({ id, name })),
    ...(session.isAdmin ? [...session.knocks.keys()].map((id) => ({ id, name: null })) : []),
  ];
  const lines = clashLines(findClashes(people));
  byId('clash-list').replaceChildren(...lines);
  byId('clash-warning').hidden = lines.length === 0;
}

function enterChat(session) {
  if (remember) saveRoom(session.admission.toStorage());
  chat.setMode(session.mode);
  governance.attach(session);
  chat.setPaused(session.sendingPaused);
  refreshMembers(session);
  const link = session.link;
  byId('share-link').value = link;
  drawQr(byId('share-qr'), link);
  showExpiry(session);
  showView('chat-view');
  // The conversation and the composer come first, for the owner too: the invite and
  // admin tools open from the Invite button. A room with nobody else in it says where.
  if (session.isOwner && session.members.size === 1 && !app.dataset.hinted) {
    app.dataset.hinted = 'yes';
    chat.addNotice('Nobody else is here yet. Press ', el('strong', { text: 'Invite' }), " to share the room's link.");
  }
  // The create and join forms (Extra Lock, My rooms) can leave the page scrolled down.
  window.scrollTo(0, 0);
  byId('composer-text').focus();
  // Where the composer is docked at the screen's bottom (phones), the room's header, log
  // and composer fill the screen once the page scrolls past the site's own header.
  if (getComputedStyle(document.querySelector('.composer-dock')).position === 'fixed') byId('chat-view').scrollIntoView({ block: 'start' });
}

function handleEvents(session, events) {
  for (const event of events) {
    const who = (member) => [nameNode(member.name), ' (', codeNode(member.id), ')'];
    if (event.type === 'message') chat.addMessage(event.member, event.text, event.timeMs, false, event.late);
    else if (event.type === 'missed') chat.addNotice(`Missed ${event.count === 1 ? '1 message' : `${event.count} messages`} from `, ...who(event.member), '. Nobody could send them again.');
    else if (event.type === 'joined') chat.addNotice(...who(event.member), ' is here.');
    else if (event.type === 'left') chat.addNotice(...who(event.member), ' left.');
    else if (event.type === 'knock' && session.isAdmin) chat.addNotice('Someone (', codeNode(event.id), ') asks to join.');
    else if (event.type === 'refused') chat.addNotice(refusedActionText(event.reason));
    else if (event.type === 'governance' && event.forked) chat.addNotice('Warning: the server showed people different versions of this room. Compare safety phrases.');
    else if (event.type === 'governance' && event.lagging)
      chat.addNotice("Warning: others already use newer keys this tab has not received (someone was probably removed). Sending is paused while this tab asks the others for what it missed.");
    else if (event.type === 'governance' && event.ended) chat.addNotice('The owner ended this room.');
    else if (event.type === 'behind' && event.oldEpoch)
      chat.addNotice(
        'Warning: ',
        ...who(event.member),
        ' still uses the keys from before a removal, so the removed person may read what they send. Their newer messages are hidden; their app was sent the changes.',
      );
    else if (event.type === 'behind') chat.addNotice(...who(event.member), " has not seen the room's latest changes; their app was sent them.");
    else if (Object.hasOwn(CHANGE_NOTICES, event.type)) chat.addNotice(...CHANGE_NOTICES[event.type](event, who));
  }
  governance.render();
  chat.setPaused(session.sendingPaused);
  refreshMembers(session);
}

/** Send what a governance action produced. */
function act(frames) {
  for (const frame of frames) connection.send(frame);
}

function governanceActions() {
  const session = () => connection.session;
  return {
    admit: (id) => act(session().admit(id)),
    decline: (id) => {
      act(session().decline(id));
      governance.render();
    },
    kick: (id) => act(session().kick(id)),
    promote: (id) => act(session().promote(id)),
    demote: (id) => act(session().demote(id)),
    setRule: (rule, cap) => act(session().setJoinRule(rule, cap)),
    lock: () => act(session().lock()),
    invite: (uses, seconds) => act(session().invite(uses, seconds).frames),
    revoke: (pk) => act(session().revokeInvite(pk)),
    copy: (link) => copyText(link),
  };
}

/** In the room: say what a reload keeps, and answer other tabs of this browser. */
function entered(session) {
  enterChat(session);
  keepEntered(session, (...parts) => chat.addNotice(...parts));
  if (backNote) {
    chat.addNotice(backNote);
    backNote = '';
  }
  releaseTab();
  releaseTab = holdRoom(session.linkKeys.roomId, () => {
    const record = session.admission.toStorage();
    connection?.leave();
    session.admission.wipe();
    over('This room moved to another tab', 'You took it over in another tab of this browser, which now holds its keys. This tab has none left.');
    return { record, remember };
  });
}

function roomOver(code) {
  if (code === CloseCode.KICKED) {
    connection?.admission?.wipe();
    over('You were removed from this room', 'An admin removed you. The room has new keys that this tab does not have.');
  } else if (code === CloseCode.ROOM_UNAVAILABLE && !connection?.session?.inRoom) {
    over(UNAVAILABLE_TITLE, UNAVAILABLE_DETAIL, `room-unavailable (${code})`);
  } else {
    over(
      'This room has ended',
      code === CloseCode.ROOM_EXPIRED
        ? 'It reached the end of its lifetime. The server has forgotten it.'
        : 'Rooms vanish when their owner ends them or when they expire. The server has forgotten this one.',
    );
  }
}

function connectionFailed(reason, code, detail) {
  forgetRoom();
  // `code` is the relay's refusal reason here: only our own words for it are shown
  if (reason === 'not-admitted' || reason === 'invite-required') fail(...refusalText(code));
  else if (reason === 'full') fail('This room is full', 'It has as many people as it may hold. Try again later.');
  else if (code === 'genesis-origin-mismatch') failElsewhere(detail, code);
  else if (reason === 'unverifiable')
    fail(
      'This link is not complete, or was changed',
      "The room this server holds does not match the link, so nothing was decrypted. Ask for the link again and copy it whole.",
      code,
    );
  else fail('The room could not be opened', 'The server refused the connection. Try again later, or ask for the link again.', `refused (${Number(code) || 'unknown'})`);
}

function connect({ admission = null, makeAdmission = null }) {
  connection = new RoomConnection({
    admission,
    makeAdmission,
    url: socketUrl(origin),
    callbacks: {
      onStatus: setStatus,
      onWaiting: waiting,
      onEntered: entered,
      onEvents: (events) => handleEvents(connection.session, events),
      onOver: roomOver,
      onFailed: connectionFailed,
      onLocked: askPassphrase,
    },
  });
  connection.start();
}

const GUESSES_PER_SOCKET = 3; // PROTOCOL §2.1: the third wrong passphrase closes the socket
let wrongGuesses = 0;

/** Argon2id's progress, in words a person reads while they wait. */
function stretching(fraction) {
  return `Stretching the passphrase on this device… ${Math.round(fraction * 100)}%`;
}

/** The relay wants the room's passphrase (Extra Lock); `wrong`: the last one was refused. */
function askPassphrase(params, wrong) {
  const form = byId('unlock-form');
  const field = byId('unlock-passphrase');
  const error = byId('unlock-error');
  wrongGuesses = wrong ? wrongGuesses + 1 : 0;
  const left = GUESSES_PER_SOCKET - wrongGuesses;
  error.textContent = wrong ? `That is not the passphrase. ${left === 1 ? 'One more try' : `${left} more tries`} before you need to open the link again.` : '';
  error.hidden = !wrong;
  byId('unlock-progress').textContent = '';
  form.querySelector('button[type=submit]').disabled = false;
  field.disabled = false;
  field.value = '';
  status.textContent = 'This room needs its passphrase.';
  showView('unlock-view');
  field.focus();
  form.onsubmit = async (event) => {
    event.preventDefault();
    try {
      passphraseBytes(field.value); // the same test the derivation makes: nothing left after trimming
    } catch {
      error.textContent = 'Type the passphrase first.';
      error.hidden = false;
      field.focus();
      return;
    }
    form.querySelector('button[type=submit]').disabled = true;
    field.disabled = true;
    error.hidden = true;
    const progress = byId('unlock-progress');
    progress.textContent = stretching(0);
    const sent = await connection.unlock(field.value, (fraction) => {
      progress.textContent = stretching(fraction);
    });
    field.value = '';
    progress.textContent = sent ? 'Checking the passphrase with the room…' : '';
  };
}

/** A Show/Hide button for a passphrase field. */
function revealToggle(buttonId, fieldId) {
  const button = byId(buttonId);
  button.addEventListener('click', () => {
    const shown = byId(fieldId).type === 'text';
    byId(fieldId).type = shown ? 'password' : 'text';
    button.textContent = shown ? 'Show' : 'Hide';
    button.setAttribute('aria-pressed', String(!shown));
  });
}

/** true once the message went out, 'queued' when it waits for the connection to come back,
 *  else why it was not sent (the composer keeps the text). */
function sendText(text) {
  const session = connection?.session;
  if (!session?.inRoom) return false;
  let sent;
  try {
    sent = connection.sendText(text);
  } catch (error) {
    if (error instanceof SendingPaused) return 'Not sent yet: the room is getting new keys after a removal. Try again in a moment.';
    throw error;
  }
  chat.addMessage(session.me, text, Date.now(), true);
  return sent || 'queued';
}

/** Copy a link; where the clipboard is off (Tor Browser often), select `field` instead. */
async function copyText(text, field = null) {
  const note = byId('copy-status');
  try {
    await navigator.clipboard.writeText(text);
    note.textContent = 'Link copied.';
  } catch {
    field?.select();
    note.textContent = field ? 'Press Ctrl+C (or ⌘C) to copy the selected link.' : 'Select the link and press Ctrl+C (or ⌘C) to copy it.';
  }
}

function toggleShare(open) {
  const button = byId('share-toggle');
  const panel = byId('share-panel');
  const show = open ?? panel.hidden;
  panel.hidden = !show;
  button.setAttribute('aria-expanded', String(show));
}

function setUpCreate() {
  const select = byId('create-lifetime');
  const fallback = Number(app.dataset.defaultLifetime);
  for (const entry of app.dataset.lifetimes.split(',')) {
    const [seconds, label] = entry.split(':');
    select.append(el('option', { text: label, attrs: { value: seconds } }));
  }
  select.value = String(fallback);
  const rule = byId('create-rule');
  rule.value = app.dataset.joinRule || 'open';
  const lock = byId('create-lock');
  lock.addEventListener('change', () => {
    byId('create-lock-fields').hidden = !lock.checked;
    if (lock.checked) byId('create-passphrase').focus();
  });
  revealToggle('create-passphrase-show', 'create-passphrase');
  byId('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = ownName(byId('create-name').value);
    const lifetimeSeconds = Number(select.value);
    const joinRule = rule.value;
    const passphraseField = byId('create-passphrase');
    const error = byId('create-passphrase-error');
    if (lock.checked && !passphraseLongEnough(passphraseField.value)) {
      error.textContent = 'The passphrase needs at least 8 characters. Several words you can say aloud are best.';
      error.hidden = false;
      passphraseField.focus();
      return;
    }
    if (lock.checked && passphraseField.value !== byId('create-passphrase-again').value) {
      error.textContent = 'The two passphrases differ. Type the same one twice: it cannot be changed later.';
      error.hidden = false;
      byId('create-passphrase-again').focus();
      return;
    }
    error.hidden = true;
    remember = byId('create-remember').checked;
    const submit = byId('create-form').querySelector('button[type=submit]');
    submit.disabled = true;
    if (!(await askToKeep('create'))) return void (submit.disabled = false);
    // Extra Lock: P is derived before the socket opens (its challenge lasts 30 s only).
    const linkShard = randomBytes(32);
    let extraLock = null;
    if (lock.checked) {
      const params = DEFAULT_LOCK_PARAMS;
      passphraseField.disabled = true;
      status.textContent = stretching(0);
      const shard = await passphraseShard(passphraseField.value, deriveLinkKeys(linkShard).pwsalt, params, (fraction) => {
        status.textContent = stretching(fraction);
      });
      passphraseField.value = '';
      byId('create-passphrase-again').value = '';
      extraLock = { params, shard };
    }
    markInRoom();
    connect({
      makeAdmission: (serverTimeMs) =>
        Admission.newRoom({ origin, name, lifetimeSeconds, serverTimeMs, joinRule, mode: app.dataset.mode, linkShard, lock: extraLock }),
    });
  });
  showView('create-view');
  status.textContent = '';
  byId('create-name').focus();
  showMyRooms();
}

let joinFragment = ''; // the link the join form is for (a pasted link replaces it)

function setUpJoin(fragment) {
  joinFragment = fragment;
  const form = byId('join-form');
  form.querySelector('button').disabled = false;
  if (!form.dataset.ready) {
    form.dataset.ready = 'yes';
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      form.querySelector('button').disabled = true;
      if (!(await askToKeep('join'))) return void (form.querySelector('button').disabled = false);
      remember = byId('join-remember').checked;
      const admission = Admission.fromFragment(origin, joinFragment, ownName(byId('join-name').value));
      // Remembered from the start, so a reload while waiting to be let in knocks with the
      // same code. Not with an invite link: the stored record never holds the ticket.
      if (remember && admission.ticket === null) saveRoom(admission.toStorage());
      connect({ admission });
    });
  }
  showView('join-view');
  status.textContent = '';
  byId('join-name').focus();
}

/** A link: is the room open in another tab here, is it there at all; then the name form. */
async function openLink(fragment) {
  status.textContent = 'Checking the link…';
  const { linkShard } = parseFragment(fragment);
  const { roomId } = Admission.fromFragment(origin, fragment, '').linkKeys;
  // A peek proves the link without joining: nobody in the room sees it (PROTOCOL §5.2).
  const [elsewhere, verdict] = await Promise.all([askWhetherOpen(roomId), peekRoom({ url: socketUrl(origin), origin, linkShard })]);
  if (elsewhere) offerTakeOver(roomId);
  else if (verdict === 'unavailable') over(UNAVAILABLE_TITLE, UNAVAILABLE_DETAIL, 'room-unavailable (4004)');
  else setUpJoin(fragment);
}

/** A remembered room: a duplicated tab copies session storage, so ask the other tabs first. */
async function rejoin(admission) {
  const { roomId } = admission.linkKeys;
  if (await askWhetherOpen(roomId)) offerTakeOver(roomId);
  else connect({ admission });
}

function offerTakeOver(roomId) {
  status.textContent = '';
  showView('elsewhere-view');
  const button = byId('take-over-button');
  button.focus();
  button.onclick = async () => {
    button.disabled = true;
    const handed = await takeOver(roomId);
    button.disabled = false;
    if (handed === null) {
      fail('The other tab did not answer', 'It may have closed or left the room. Open the room link again.', 'no-handover');
      return;
    }
    remember = handed.remember;
    backNote = 'You moved this room here from another tab. Earlier messages are not kept: only what is sent from now on shows here.';
    markInRoom();
    connect({ admission: Admission.fromStorage(origin, handed.record) });
  };
}

function setUpControls() {
  chat = new ChatView({ onSend: sendText });
  revealToggle('unlock-passphrase-show', 'unlock-passphrase');
  governance = new GovernanceView(governanceActions());
  setUpVault({ onOpen: openKept, onForgotten: () => (remember = false) });
  byId('share-toggle').addEventListener('click', () => toggleShare());
  byId('copy-button').addEventListener('click', () => copyText(byId('share-link').value, byId('share-link')));
  const leave = () => {
    connection?.leave();
    connection?.admission?.wipe();
    over('You left the room', `Its keys were wiped from this tab. The link still works while the room lasts.${keptNote()}`);
  };
  byId('leave-button').addEventListener('click', leave);
  byId('waiting-cancel').addEventListener('click', leave);
  const dialog = byId('end-dialog');
  byId('end-button').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', () => {
    const session = connection?.session;
    if (dialog.returnValue !== 'end' || !session?.inRoom) return;
    // The owner's signed END_ROOM: the relay ends the room when it appends it.
    act(session.endRoom());
  });
}

/** A reload of a room this tab did not remember: say so, and what to do. */
function showForgotten() {
  status.textContent = '';
  showView('forgotten-view');
  noteKeptRooms();
}

/** A room from My rooms (this device's vault): back in with the keys it kept. */
function openKept(record) {
  remember = false;
  backNote = 'You opened this room from My rooms. Earlier messages are not kept, not by this device and not by the server: only what is sent from now on shows here.';
  markInRoom();
  rejoin(Admission.fromStorage(origin, record));
}

function route() {
  const address = takeAddress();
  const stored = loadRoom();
  const fragment = address.kind === 'link' ? address.fragment : '';
  const remembered = Boolean(stored?.edSeed) && (address.kind === 'none' || stored.fragment === fragment);
  try {
    if (remembered) {
      remember = true;
      backNote = 'You are back after a reload. Earlier messages are not kept, not by this tab and not by the server: only what is sent from now on shows here.';
      markInRoom();
      rejoin(Admission.fromStorage(origin, stored));
    } else if (address.kind === 'link') {
      forgetRoom(); // this tab now holds another room: what it remembered of the last one goes
      markInRoom();
      openLink(fragment);
    } else if (address.kind === 'incomplete') {
      forgetRoom();
      fail('This link is not complete', 'Part of it was lost on the way: the key is the long part after “#”. Ask for the link again and copy it whole.', 'link-incomplete');
    } else if (address.kind === 'old-version') {
      forgetRoom();
      fail('This link is for another version of Atopos', 'This site cannot open it. Ask for a new link made on this site.', 'link-version');
    } else if (wasInRoom()) {
      showForgotten();
    } else {
      setUpCreate();
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    forgetRoom();
    fail('This link is not complete, or was changed', 'Ask for the link again and copy it whole.', error.code);
  }
}

/** A link pasted into the address bar of this open page changes only the fragment. */
function linkPasted() {
  const busy = connection !== null && !['left', 'failed', 'over'].includes(connection.state);
  if (readAddress(window.location).kind === 'none') return; // an in-page anchor
  if (!busy) {
    // Start from a clean page: nothing of the room that was here carries over.
    window.location.reload();
    return;
  }
  markInRoom(); // the pasted link leaves the address bar
  chat?.addNotice('That link was not opened here, because this tab is in a room. Leave this room first, or open the link in a new tab.');
}

function main() {
  setUpControls();
  window.addEventListener('hashchange', linkPasted);
  route();
}

main();
