// The conversation: message log, member list, composer. Text only ever goes in via
// textContent; names only ever as ui/people.js draws them.
import { utf8 } from '../protocol/codec.js';
import { maxTextBytes } from '../client/messages.js';
import { byId, el, replaceKeepingFocus } from './dom.js';
import { clockTime } from './format.js';
import { displayName } from '../client/names.js';
import { personNodes } from './people.js';

export class ChatView {
  constructor({ onSend }) {
    this.log = byId('messages');
    this.memberList = byId('member-list');
    this.form = byId('composer');
    this.input = byId('composer-text');
    this.button = byId('send-button');
    this.note = byId('composer-note');
    this.limit = 0;
    this.enabled = false;
    this.paused = false;
    this.queued = false; // a message waits for the connection to come back
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit(onSend);
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit(onSend);
      }
    });
    this.input.addEventListener('input', () => this.checkLength());
  }

  /** Use the room's mode to know how long a message may be. */
  setMode(mode) {
    this.limit = maxTextBytes(mode);
  }

  /** `online`: connected (what waited for the connection goes out now). */
  setEnabled(enabled, online = enabled) {
    this.enabled = enabled;
    if (online) this.queued = false;
    this.input.disabled = !enabled;
    this.checkLength();
  }

  /** Connected but not allowed to send (a re-key is due): keep the text, explain why. */
  setPaused(paused) {
    this.paused = paused;
    this.checkLength();
  }

  checkLength() {
    const size = utf8(this.input.value).length;
    const tooLong = size > this.limit;
    this.button.disabled = !this.enabled || this.paused || size === 0 || tooLong;
    const waiting = this.queued ? 'Not sent yet: what you write goes out by itself once the connection is back.' : '';
    this.note.textContent = tooLong ? `Too long: ${size} of ${this.limit} bytes.` : waiting;
    return !tooLong && size > 0;
  }

  submit(onSend) {
    if (!this.enabled || this.paused || !this.checkLength()) return;
    // onSend answers true, 'queued' (it goes out once the connection is back), or why the
    // text was not sent
    const sent = onSend(this.input.value);
    if (sent === true || sent === 'queued') {
      this.queued ||= sent === 'queued';
      this.input.value = '';
      this.checkLength();
    } else {
      this.note.textContent = sent || 'Not sent: the connection is down. It will come back by itself.';
    }
  }

  /** A message from `member` (ours when `own`): name, "you" marker and code, time, text.
   *  A screen reader hears "<name>: <text>" (the code and time are for eyes, and the
   *  member list carries the code); the text's own direction comes from its first letters.
   *  `late`: it arrived after the gap shown for it, so it sits out of its sender's order. */
  addMessage(member, text, timeMs, own, late = false) {
    const meta = el(
      'div',
      { className: 'message__meta', attrs: { 'aria-hidden': 'true' } },
      ...personNodes(member, own ? member.id : null),
      el('time', { text: clockTime(timeMs), attrs: { datetime: new Date(timeMs).toISOString() } }),
      ...(late ? [' · late: it arrived after the gap above'] : []),
    );
    // The same cleaned name the page shows, isolated, but not a second `.name` on screen.
    const said = el('bdi', { text: displayName(member.name), attrs: { dir: 'auto' } });
    const spoken = el('span', { className: 'visually-hidden' }, said, `${own ? ' (you)' : ''}${late ? ' (late)' : ''}: `);
    const body = el('p', { className: 'message__text', text, attrs: { dir: 'auto' } });
    this.append(el('li', { className: own ? 'message message--own' : 'message' }, spoken, meta, body));
  }

  /** A line from the page itself; `parts` are strings and nodes (names come as nodes). */
  addNotice(...parts) {
    this.append(el('li', { className: 'message message--notice' }, ...parts));
  }

  append(item) {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.append(item);
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  /** The member list; `extras(member)` adds nodes after a name (role, admin actions). */
  setMembers(members, selfId, extras = () => []) {
    const items = [...members.values()]
      .sort((a, b) => (a.id === selfId ? -1 : b.id === selfId ? 1 : displayName(a.name).localeCompare(displayName(b.name))))
      .map((member) => el('li', { className: 'member', attrs: { 'data-id': member.id } }, ...personNodes(member, selfId), ...extras(member)));
    replaceKeepingFocus(this.memberList, items);
  }
}
