// One room connection: challenge, handshake (waiting for an admin or redeeming an
// invite when the room asks), relaying frames to the session, and reconnecting with
// backoff when the network (not the room) goes away. The twin of atopos_client/connection.py.
import { ProtocolError } from '../protocol/errors.js';
import { CloseCode, Kind, decodeChallenge, decodeInviteRequired, decodeLockRequired, decodeRefused, frameKind } from '../protocol/frames.js';

const ROOM_OVER = new Set([CloseCode.ROOM_ENDED, CloseCode.ROOM_EXPIRED, CloseCode.ROOM_UNAVAILABLE]);
const MAX_BACKOFF_SECONDS = 30;
const TICK_MS = 2000;

/** The room socket URL for a page origin: same host, ws or wss. */
export function socketUrl(origin) {
  const url = new URL('/ws/v1', origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * Drives one member's socket. Callbacks: onStatus(state, detail), onWaiting(why),
 * onEntered(session), onEvents(events), onOver(code), onFailed(reason, code), and
 * onLocked(params, wrong) when the room is under Extra Lock and wants its passphrase
 * (`wrong`: the last one was refused); answer with unlock(passphrase). `why` is 'approval' (an admin must let us in) or 'invite' (redeeming a ticket);
 * onFailed's reason is 'full', 'refused', 'unverifiable', 'invite-required' or
 * 'not-admitted' (then `code` is the relay's reason, e.g. 'declined' or 'ticket-used');
 * with 'unverifiable', `detail` is the ProtocolError's (the genesis's origin for
 * 'genesis-origin-mismatch').
 * onStatus's states are 'connecting', 'reconnecting' (detail: seconds until the next try),
 * 'reconnecting-now' and 'connected' (detail: true when we are back after a lost connection).
 * `admission` (admission.js) gets us in; `makeAdmission(serverTimeMs)` builds a creator's
 * once the relay's clock is known. `session` is the RoomSession once the relay let us in.
 */
export class RoomConnection {
  constructor({ admission = null, makeAdmission = null, url, callbacks, WebSocketImpl = globalThis.WebSocket, random = Math.random }) {
    this.admission = admission;
    this.makeAdmission = makeAdmission;
    this.session = null;
    this.url = url;
    this.callbacks = callbacks;
    this.WebSocketImpl = WebSocketImpl;
    this.random = random;
    this.socket = null;
    this.state = 'idle';
    this.attempt = 0;
    this.timer = null;
    this.ticker = null;
    this.logLeft = 0; // GOVERNANCE frames still to come after a WELCOME
    this.logFrames = []; // the room's log, merged at once when the last frame arrives
    this.refusal = null; // why the relay will not admit us (a REFUSED before 4403)
    this.lock = null; // Extra Lock parameters from the relay's LOCK_REQUIRED
    this.wasIn = false; // entered the room on an earlier socket: the next entry is a comeback
  }

  start() {
    this.open();
  }

  open() {
    this.state = 'handshake';
    this.callbacks.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting-now');
    const socket = new this.WebSocketImpl(this.url);
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => this.onFrame(socket, event.data);
    socket.onclose = (event) => this.onClose(socket, event.code);
    this.socket = socket;
  }

  onFrame(socket, data) {
    if (socket !== this.socket || !(data instanceof ArrayBuffer)) return;
    const frame = new Uint8Array(data);
    try {
      if (this.state === 'handshake') this.handshake(frame);
      else if (this.state === 'log') this.catchUp(frame);
      else if (this.state === 'open') this.deliver(this.session.receive(frame));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.fail('unverifiable', error.code, error.detail);
    }
  }

  handshake(frame) {
    const kind = frameKind(frame);
    if (kind === Kind.CHALLENGE) {
      const { challenge, serverTimeMs } = decodeChallenge(frame);
      if (this.admission === null) this.admission = this.makeAdmission(serverTimeMs);
      this.send(this.admission.pending ? this.admission.createFrame(challenge) : this.admission.joinFrame(challenge));
    } else if (kind === Kind.CREATED) {
      this.session = this.admission.acceptCreated();
      this.entered({ events: [], replies: [] });
    } else if (kind === Kind.WELCOME) {
      // throws ProtocolError if the relay's answer does not match the link
      const { session, logLength } = this.admission.acceptWelcome(frame);
      this.session = session;
      this.logLeft = logLength;
      this.logFrames = [];
      this.state = 'log';
      if (this.logLeft === 0) this.entered({ events: [], replies: [] });
    } else if (kind === Kind.PENDING) {
      this.callbacks.onWaiting('approval');
    } else if (kind === Kind.INVITE_REQUIRED) {
      if (this.admission.ticket === null) {
        this.fail('invite-required', 'invite-required');
        return;
      }
      this.callbacks.onWaiting('invite');
      this.send(this.admission.redeemFrame(decodeInviteRequired(frame).head));
    } else if (kind === Kind.LOCK_REQUIRED) {
      this.lock = decodeLockRequired(frame).params;
      // throws ProtocolError('lock-mismatch') for a second one, or other parameters than the room's
      if (this.admission.lockRequired(this.lock)) this.send(this.admission.unlockFrame());
      else this.callbacks.onLocked?.(this.lock, false);
    } else if (kind === Kind.REFUSED) {
      this.refusal = decodeRefused(frame).reason;
      // The socket stays open for another try; the page asks again.
      if (this.refusal === 'wrong-passphrase' && this.lock !== null) this.callbacks.onLocked?.(this.lock, true);
    }
  }

  /** Answer LOCK_REQUIRED with a passphrase a person typed: Argon2id (seconds without a
   *  JIT; `onProgress(fraction)`), then UNLOCK. False if the socket went away meanwhile. */
  async unlock(passphrase, onProgress) {
    const params = this.lock;
    const socket = this.socket;
    if (params === null) return false;
    await this.admission.derivePassphrase(passphrase, params, onProgress);
    return socket === this.socket && this.send(this.admission.unlockFrame());
  }

  /** The room's log, right after the WELCOME: merged in one go before we say hello. */
  catchUp(frame) {
    this.logFrames.push(frame);
    this.logLeft -= 1;
    if (this.logLeft === 0) {
      const merged = this.session.catchUp(this.logFrames);
      this.logFrames = [];
      this.entered(merged);
    }
  }

  entered(merged) {
    const back = this.wasIn;
    this.wasIn = true;
    this.state = 'open';
    this.attempt = 0;
    this.callbacks.onStatus('connected', back);
    this.callbacks.onEntered(this.session);
    this.deliver(merged);
    // Bind our keys to the log (an open room) or say hello (PROTOCOL §5.2); back after a
    // reconnect, also resend what the relay never acknowledged and ask for what we missed.
    for (const frame of this.session.entered()) this.send(frame);
    clearInterval(this.ticker);
    this.ticker = setInterval(() => {
      if (this.state === 'open') this.deliver(this.session.tick());
    }, TICK_MS);
  }

  deliver({ events, replies }) {
    for (const reply of replies) this.send(reply);
    if (events.length) this.callbacks.onEvents(events);
  }

  /** Seal a chat message (SendingPaused while a re-key is due) and send it; true if it went
   *  out now. While the connection is down (or coming back) the message waits in the
   *  session: it goes out once we are back, like every message the relay did not
   *  acknowledge. Never before we are in the room again: a relay closes a socket that sends
   *  envelopes during its handshake. */
  sendText(text) {
    const frame = this.session.text(text);
    return this.state === 'open' && this.send(frame);
  }

  /** Our messages the relay has not yet confirmed it passed on. */
  get unacknowledged() {
    return this.session?.sent.pending.size ?? 0;
  }

  /** Send a frame if the socket is open; false otherwise. */
  send(frame) {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(frame);
    return true;
  }

  onClose(socket, code) {
    if (socket !== this.socket || this.state === 'left' || this.state === 'failed') return;
    this.socket = null;
    clearInterval(this.ticker);
    if (ROOM_OVER.has(code) || code === CloseCode.KICKED) {
      this.state = 'over';
      this.callbacks.onOver(code);
    } else if (code === CloseCode.ADMISSION_REFUSED) {
      this.fail('not-admitted', this.refusal ?? 'refused');
    } else if (code === CloseCode.ROOM_FULL) {
      this.fail('full', code);
    } else if (code >= 4100 && code < 4200) {
      this.fail('refused', code);
    } else if (this.admission?.pending && this.state === 'handshake' && this.attempt > 0) {
      this.fail('refused', code); // a room being created is not retried twice
    } else {
      this.retry(code === CloseCode.RATE_LIMITED ? 3 : 0);
    }
  }

  retry(extra) {
    this.state = 'waiting';
    this.attempt += 1;
    const base = Math.min(MAX_BACKOFF_SECONDS, 2 ** (this.attempt - 1 + extra));
    const seconds = Math.max(1, Math.round(base * (0.5 + this.random() / 2)));
    this.callbacks.onStatus('reconnecting', seconds);
    this.timer = setTimeout(() => this.open(), seconds * 1000);
  }

  fail(reason, code, detail = '') {
    this.state = 'failed';
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.callbacks.onFailed(reason, code, detail);
  }

  /** Say goodbye and close; nothing more happens on this connection. */
  leave() {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    if (this.state === 'open') this.send(this.session.bye());
    this.state = 'left';
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }
}
