// One member's view of a room once the relay let it in (admission.js gets it there): keys,
// epochs, members, governance, sequence numbers. No I/O, no DOM. atopos_client/session.py
// follows the same steps; both speak docs/PROTOCOL.md. Governance lives in membership.js
// (the merged log and epochs), outbox.js (our own events) and logsync.js (catching up with
// other members); chat delivery (acknowledgements, resends, SYNC, order and gaps) in
// delivery.js.
//
// Events are plain objects tagged by `type` (atopos_client/events.py names their Python
// classes); the chat ones: { type: 'message', member, text, timeMs, messageId, late } (timeMs:
// when its sender first sent it; late: it arrived after a gap was shown for it, out of its
// sender's order) and { type: 'missed', member, count } (`count` messages from `member` were
// lost and nobody could send them again).
import { bindingValid, signLink } from '../protocol/binding.js';
import { equal, fromHex, toHex, utf8 } from '../protocol/codec.js';
import { randomBytes } from '../protocol/crypto.js';
import { ProtocolError } from '../protocol/errors.js';
import { Kind, ackForEnvelope, decodeAck, decodeGovernance, decodeKnock, decodeLeft, decodeRefused, encodeDecline } from '../protocol/frames.js';
import { GovernanceError } from '../protocol/governance/errors.js';
import { EventKind } from '../protocol/governance/events.js';
import { encode } from '../protocol/governance/payloads.js';
import { Inbox, SentMessages } from './delivery.js';
import { openEnvelope, seal } from './envelope.js';
import { bindTag, firstEpoch, roomSecret } from './keys.js';
import { linkUrl } from './link.js';
import { LogSync } from './logsync.js';
import { Membership } from './membership.js';
import {
  CATCH_UP,
  InnerKind,
  decodeChatMessage,
  decodeHello,
  decodeSync,
  decodeSynced,
  encodeChatMessage,
  encodeHello,
  encodeSync,
  encodeSynced,
  maxTextBytes,
  splitPieces,
  syncEntriesPerEnvelope,
  syncedAskersPerEnvelope,
} from './messages.js';
import { Outbox, acceptedIn } from './outbox.js';
import { ReplayGuard } from './replay.js';
import { ticketPublicKey } from './tickets.js';

// A member whose envelopes show it behind (an older epoch or head) is only flagged once our
// head has stood this long: an event in flight is no lag.
export const BEHIND_GRACE_MS = 5_000;
// Messages sealed in an epoch older than ours still show this long after we took the new
// one (they were in flight); later ones come from a member the relay kept in the old epoch,
// which a removed member can read: they are hidden.
export const OLD_EPOCH_GRACE_MS = 10_000;

/** Thrown by text() while this member may not send (a re-key is due, or the room ended). */
export class SendingPaused extends Error {}

/** A member as its hello presents it; the name is self-asserted. */
function member(edPk, xPk, name) {
  // shortId: the 64-bit code people compare (16 hex digits); never fewer bits.
  return Object.freeze({ edPk, xPk, name, id: toHex(edPk), shortId: toHex(edPk.subarray(0, 8)) });
}

const nothing = () => ({ events: [], replies: [] });

export class RoomSession {
  /** Made by an Admission (admission.js) once the relay let us in: CREATED, or a WELCOME
   *  whose genesis and server shard were checked against the link. */
  constructor(admission, genesis, serverShard) {
    this.admission = admission;
    this.origin = admission.origin;
    this.linkShard = admission.linkShard;
    this.genesisHash = admission.genesisHash;
    this.name = admission.name;
    this.member = admission.member;
    this.clock = admission.clock;
    this.linkKeys = admission.linkKeys;
    this.genesis = genesis;
    this.serverShard = serverShard;
    const now = this.clock();
    this.membership = new Membership(genesis, firstEpoch(roomSecret(this.linkShard, serverShard, this.genesisHash, admission.passphraseShardFor(genesis.body.lock))), this.member, now);
    this.outbox = new Outbox(genesis.body.roomId, this.member.edSeed);
    this.sync = new LogSync();
    this.guard = new ReplayGuard(now);
    this.sent = new SentMessages();
    this.inbox = new Inbox(now);
    this.seq = 0;
    this.members = new Map([[toHex(this.member.edPk), this.me]]);
    this.knocks = new Map(); // newcomers waiting, bindings checked: ed_pk hex -> { edPk, binding }
    this.invites = new Map(); // tickets made in this tab: ticket_pk hex -> secret
    this.introduced = false; // our hello (asking for answers) went out in the current epoch
    this.askedEpoch = -1;
    this.askedCatchUp = new Set();
    this.headSinceMs = now;
    this.announcing = false; // false while a fresh member catches up on the log it entered with
    this.shownPhrase = null; // the safety phrase this member was last told about
    this.beenIn = false; // entered() ran before: a later call follows a reconnect
    this.syncDue = false; // a reconnect's SYNC waits until we may send
  }

  get fragment() {
    return this.admission.fragment;
  }

  get link() {
    return this.admission.link;
  }

  get mode() {
    return this.genesis.body.routingMode;
  }

  get expiresAt() {
    return this.genesis.body.expiresAt;
  }

  /** Whether this member's key is the genesis owner's (only it may end the room). */
  get isOwner() {
    return equal(this.genesis.body.ownerEdPk, this.member.edPk);
  }

  /** False once wiped. */
  get inRoom() {
    return this.membership !== null;
  }

  /** The epoch to seal in: the current one, or the newest held while behind. */
  get epoch() {
    return this.membership.current ?? this.membership.latest;
  }

  get state() {
    return this.membership.state;
  }

  get phrase() {
    return this.membership.phrase;
  }

  get sendingPaused() {
    return this.membership.sendingPaused;
  }

  get isAdmin() {
    const state = this.state;
    return state.owner === this.me.id || state.admins.includes(this.me.id);
  }

  /** owner, admin or member, as the merged log says. */
  roleOf(id) {
    const state = this.state;
    if (id === state.owner) return 'owner';
    return state.admins.includes(id) ? 'admin' : 'member';
  }

  // Entering (after CREATED, or a WELCOME and its log) ------------------------------

  /** The log that follows a WELCOME, merged at once (one walk, not one per event). */
  catchUp(frames) {
    const raws = [];
    for (const frame of frames) {
      try {
        raws.push(decodeGovernance(frame));
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
      }
    }
    return this.merge(raws);
  }

  /** What to send once in the room and its log merged. A listed member says hello (and,
   *  back after a reconnect, resends and asks for what it missed); a newcomer in an open
   *  room first binds its keys to the log (BIND) and says hello once the log lists it, so
   *  nobody learns its X25519 key from anything but the signed log. */
  entered() {
    this.announcing = true;
    this.shownPhrase = this.phrase;
    const resuming = this.beenIn;
    this.beenIn = true;
    // Resends before the hello: a receiver told of our last message by the hello already holds it.
    if (this.membership.isMember(this.me.id)) return [...(resuming ? this.resume() : []), ...this.introduction()];
    const state = this.state;
    if (state.joinRule === 'open' && !state.locked && !state.ended) {
      const { roomId, authSeed } = this.linkKeys;
      const linkSig = signLink(authSeed, roomId, this.member.edPk, this.member.xPk);
      return this.push(EventKind.BIND, encode.bind({ xPk: this.member.xPk, linkSig }));
    }
    return [];
  }

  /** Back after a reconnect: send again what the relay never acknowledged, and ask every
   *  sender we follow for what we missed (PROTOCOL §4.5). */
  resume() {
    this.sent.connectionLost();
    this.syncDue = true;
    return this.catchUpOnMessages();
  }

  /** Once we may send: what the relay never acknowledged, then the SYNC a reconnect owes. */
  catchUpOnMessages() {
    if (this.sendingPaused) return []; // tick() sends them once we may
    const frames = this.resendUnsent();
    if (this.syncDue) {
      this.syncDue = false;
      frames.push(...this.syncFrames([...this.inbox.chains.keys()]));
    }
    return frames;
  }

  resendUnsent() {
    return this.sent.unsent().map((message) => this.carry(message));
  }

  /** SYNC envelopes naming the last message we hold from each of `senders` (member ids). */
  syncFrames(senders, epoch = this.epoch) {
    const entries = this.inbox.entries(senders.filter((id) => id !== this.me.id));
    const size = syncEntriesPerEnvelope(this.mode);
    const frames = [];
    for (let start = 0; start < entries.length; start += size) frames.push(this.seal(InnerKind.SYNC, encodeSync(entries.slice(start, start + size)), epoch));
    return frames;
  }

  /** Hello asking for answers once we hold the current epoch; else a hello in the newest
   *  epoch we hold, which an admin answers with a KEYSHARE (PROTOCOL §8.6). */
  introduction() {
    if (this.membership.current !== null) {
      this.introduced = true;
      return [this.hello(true)];
    }
    return this.askedEpoch !== this.state.epoch ? [this.hello(false)] : [];
  }

  get me() {
    return member(this.member.edPk, this.member.xPk, this.name);
  }

  // In the room ----------------------------------------------------------------

  /** A hello in the newest epoch held (or `epoch`). */
  hello(wantsReply, epoch = this.epoch) {
    this.askedEpoch = this.state.epoch;
    const bind = bindTag(epoch, this.linkKeys.roomId, this.member.edPk, this.member.xPk);
    const { lastId, lastNumber } = this.sent;
    return this.seal(InnerKind.HELLO, encodeHello({ xPk: this.member.xPk, bind, name: this.name, wantsReply, lastId, lastNumber }), epoch);
  }

  /** An envelope carrying a chat message; SendingPaused while this member may not send.
   *  The message stays pending until the relay acknowledges the envelope; after a reconnect
   *  it goes again with the same id (receivers show it once). */
  text(text) {
    if (this.sendingPaused) throw new SendingPaused("waiting for the room's new keys");
    // Refused before it is numbered: a message that never leaves must not leave a gap in
    // our numbers, nor sit in the history that SYNC answers resend.
    const size = utf8(text).length;
    if (size < 1 || size > maxTextBytes(this.mode)) throw new RangeError(`a message is 1 to ${maxTextBytes(this.mode)} bytes of UTF-8`);
    const now = this.clock();
    const message = this.sent.compose(text, this.nextSeq(now), now);
    return this.carry(message, message.id, now);
  }

  /** An envelope carrying `message` (a new one, or a resend with a fresh seq). */
  carry(message, seq = 0, now = 0) {
    let envelopeSeq = seq;
    let timeMs = now;
    if (!envelopeSeq) {
      timeMs = this.clock();
      envelopeSeq = this.nextSeq(timeMs);
    }
    const body = encodeChatMessage(message, this.mode);
    const plaintext = { innerKind: InnerKind.TEXT, sender: this.member.edPk, seq: envelopeSeq, head: this.membership.head, timeMs, body };
    const frame = seal(this.epoch, this.linkKeys.roomId, plaintext, this.mode);
    this.sent.carried(ackForEnvelope(frame).nonce, message);
    return frame;
  }

  bye() {
    return this.seal(InnerKind.BYE, new Uint8Array(0));
  }

  nextSeq(now) {
    // Above both the last number and the clock: a reloaded tab that keeps its member key
    // must not reuse numbers that receivers already saw.
    this.seq = Math.max(this.seq + 1, now);
    return this.seq;
  }

  seal(innerKind, body, epoch = this.epoch) {
    const now = this.clock();
    const plaintext = { innerKind, sender: this.member.edPk, seq: this.nextSeq(now), head: this.membership.head, timeMs: now, body };
    return seal(epoch, this.linkKeys.roomId, plaintext, this.mode);
  }

  /**
   * { events, replies } for a relayed frame. Frames failing any check are dropped
   * silently: the relay cannot make a member show forged, replayed or stale content,
   * nor take an event it cannot verify.
   */
  receive(frame) {
    try {
      switch (frame.length >= 2 ? frame[1] : -1) {
        case Kind.ENVELOPE:
          return this.envelope(frame);
        case Kind.ACK:
          this.sent.acknowledged(decodeAck(frame).nonce);
          return nothing();
        case Kind.GOVERNANCE:
          return this.merge([decodeGovernance(frame)]);
        case Kind.LEFT:
          return { events: this.left(decodeLeft(frame).edPk), replies: [] };
        case Kind.KNOCK:
          return { events: this.knock(decodeKnock(frame)), replies: [] };
        case Kind.REFUSED:
          return this.refused(decodeRefused(frame));
        default:
          return nothing();
      }
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof GovernanceError) return { events: [], replies: [], dropped: error.code };
      throw error;
    }
  }

  /** A newcomer waits: shown only if the link's auth key vouches for its keys, so a relay
   *  cannot make admins let in keys it invented. */
  knock({ edPk, binding }) {
    const state = this.state;
    const id = toHex(edPk);
    if (!bindingValid(binding, state.roomId, state.authPk, edPk)) return [];
    if (state.members.has(id) || state.removed.has(id)) return [];
    this.knocks.set(id, { edPk, binding, xPk: binding.xPk });
    return [{ type: 'knock', edPk, xPk: binding.xPk, id }];
  }

  envelope(frame) {
    const membership = this.membership;
    let opened;
    try {
      opened = openEnvelope(frame, this.linkKeys.roomId, this.mode, membership.epochs);
      // The relay never returns our own frames: one that comes back is an echo.
      if (equal(opened.plaintext.sender, this.member.edPk)) throw new ProtocolError('own-frame');
      this.guard.accept(opened.epoch.epochId, opened.plaintext, this.clock());
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (error.code === 'unknown-epoch') return this.unknownEpoch(new DataView(frame.buffer, frame.byteOffset + 2, 4).getUint32(0));
      return { events: [], replies: [], dropped: error.code };
    }
    const { plaintext, epoch } = opened;
    const events = [];
    const replies = [];
    const behind = this.behind(epoch, plaintext);
    const listed = membership.acceptsFrom(toHex(plaintext.sender));
    if (behind !== null) {
      // Even a sender the room we hold does not list (it ended) is taught what we know, so a
      // relay that revives an ended room or hides a kick is caught.
      replies.push(...behind.replies);
      if (listed) events.push(...behind.events);
      if (listed && this.hidden(epoch, plaintext)) {
        // Its id still counts as seen: a resend in newer keys would show it as if no removed
        // member could have read it.
        const message = decodeChatMessage(plaintext.body, this.mode);
        const passed = this.deliveries(this.inbox.passOver(toHex(plaintext.sender), message));
        return { events: [...events, ...passed.events], replies: [...replies, ...passed.replies], dropped: 'old-epoch' };
      }
    }
    if (!listed) return { events: [], replies, dropped: 'not-a-member' };
    const ask = this.sync.ask(plaintext.head, membership.knows(plaintext.head));
    if (ask !== null) replies.push(this.seal(InnerKind.GOV_REQUEST, ask, epoch));
    const handled = this.handle(epoch, plaintext);
    return { events: [...events, ...handled.events], replies: [...replies, ...handled.replies], dropped: handled.dropped };
  }

  /** A sender in an older epoch or with an older head lacks events we hold: push them
   *  (sealed in the epoch it can read) and say so, once per sender and head of ours. */
  behind(epoch, plaintext) {
    const membership = this.membership;
    const current = membership.current;
    const oldEpoch = current !== null && epoch.counter < current.counter;
    if (!oldEpoch && !membership.isBehind(plaintext.head)) return null;
    if (this.clock() - this.headSinceMs < BEHIND_GRACE_MS && !this.hidden(epoch, plaintext)) return nothing();
    const bodies = this.sync.push(plaintext.sender, membership.head, membership.held(), this.mode);
    if (bodies.length === 0) return nothing();
    const sender = this.members.get(toHex(plaintext.sender)) ?? member(plaintext.sender, new Uint8Array(0), '');
    return {
      events: [{ type: 'behind', member: sender, oldEpoch }],
      replies: bodies.map((body) => this.seal(InnerKind.GOV_EVENTS, body, epoch)),
    };
  }

  /** A message in an older epoch, well after we took the current one: a removed member may
   *  have read it, so it is not shown as if nothing happened. */
  hidden(epoch, plaintext) {
    const membership = this.membership;
    const current = membership.current;
    const since = membership.currentSinceMs();
    if (current === null || since === null || epoch.counter >= current.counter) return false;
    return this.clock() - since > OLD_EPOCH_GRACE_MS && plaintext.innerKind === InnerKind.TEXT;
  }

  /** Envelopes sealed in an epoch our log has not reached: ask members for the events we
   *  lack, and stop sending until we catch up (a withheld REKEY). */
  unknownEpoch(counter) {
    const membership = this.membership;
    const before = this.governanceView();
    if (!membership.sawUnknownEpoch(counter) || this.askedCatchUp.has(counter)) return { events: [], replies: [], dropped: 'unknown-epoch' };
    this.askedCatchUp.add(counter);
    const request = this.seal(InnerKind.GOV_REQUEST, CATCH_UP, membership.latest);
    const after = this.governanceView();
    return { events: changed(before, after) ? [after] : [], replies: [request], dropped: 'unknown-epoch' };
  }

  handle(epoch, { innerKind, sender, body }) {
    const id = toHex(sender);
    if (innerKind === InnerKind.HELLO) return this.helloFrom(epoch, sender, decodeHello(body));
    if (innerKind === InnerKind.GOV_REQUEST) {
      const membership = this.membership;
      const known = equal(body, CATCH_UP) || membership.knows(body);
      const bodies = this.sync.answer(sender, body, known, membership.head, membership.held(), this.mode);
      // Sealed in the epoch the request came in: the asker may hold no newer one.
      return { events: [], replies: bodies.map((events) => this.seal(InnerKind.GOV_EVENTS, events, epoch)) };
    }
    if (innerKind === InnerKind.GOV_EVENTS) return this.merge(this.sync.piecesFrom(sender, splitPieces(body)));
    if (innerKind === InnerKind.SYNC) return { events: [], replies: this.answerSync(id, body) };
    if (innerKind === InnerKind.SYNCED) {
      const done = decodeSynced(body);
      if (!done.askers.some((asker) => equal(asker, this.member.edPk))) return nothing(); // an answer to others: we may have come in halfway through it
      return this.deliveries(this.inbox.synced(id, done.afterId));
    }
    if (innerKind === InnerKind.BYE) {
      const known = this.members.get(id);
      this.members.delete(id);
      return { events: known ? [{ type: 'left', member: known }] : [], replies: [] };
    }
    return this.deliveries(this.inbox.accept(id, decodeChatMessage(body, this.mode), this.clock()));
  }

  /** A member asks what it missed: we answer for our own messages only, at once unless we
   *  just answered someone (then tick() answers everyone asking meanwhile, once). */
  answerSync(asker, body) {
    for (const entry of decodeSync(body)) {
      if (equal(entry.sender, this.member.edPk)) this.sent.asked(asker, entry);
    }
    return this.answers(true);
  }

  /** Resends owed to askers, ended by SYNCED once the answer is complete. */
  answers(atOnce = false) {
    if (this.sendingPaused) return [];
    const [messages, answered] = this.sent.owed(this.clock(), atOnce);
    const frames = messages.map((message) => this.carry(message));
    if (answered !== null) {
      const { lastId, lastNumber } = this.sent;
      // An asker may name an id we never sent (a forgery it was shown): nothing after it is
      // ours, and we hold nothing after our last.
      const afterId = Math.min(answered.afterId, lastId);
      const size = syncedAskersPerEnvelope(this.mode);
      for (let start = 0; start < answered.askers.length; start += size) {
        const askers = answered.askers.slice(start, start + size).map(fromHex);
        frames.push(this.seal(InnerKind.SYNCED, encodeSynced({ afterId, lastId, lastNumber, askers })));
      }
    }
    return frames;
  }

  /** { events, replies }: events for what the inbox lets us show, and a SYNC to whoever we
   *  now wait on. */
  deliveries(deliveries) {
    const events = deliveries.map((delivery) => {
      const author = this.members.get(delivery.sender) ?? member(fromHex(delivery.sender), new Uint8Array(0), '');
      if (delivery.type === 'missed') return { type: 'missed', member: author, count: delivery.count };
      const { text, sentMs, id } = delivery.message;
      return { type: 'message', member: author, text, timeMs: sentMs, messageId: id, late: delivery.late };
    });
    if (this.sendingPaused) return { events, replies: [] }; // the senders we wait on are asked once we may send
    const asks = this.inbox.toAsk(this.clock());
    return { events, replies: asks.length > 0 ? this.syncFrames(asks) : [] };
  }

  helloFrom(epoch, sender, hello) {
    const id = toHex(sender);
    // Keys come from the signed log only: a hello naming another key is a forgery (any
    // holder of the epoch can make its bind tag), never a key change.
    const bound = this.membership.boundKey(id);
    if (bound === null || !equal(hello.xPk, bound)) return { events: [], replies: [], dropped: 'unbound-key' };
    if (!equal(hello.bind, bindTag(epoch, this.linkKeys.roomId, sender, hello.xPk))) return { events: [], replies: [], dropped: 'bad-bind' };
    const known = this.members.has(id);
    const presented = member(sender, hello.xPk, hello.name);
    this.members.set(id, presented);
    const replies = hello.wantsReply ? [this.hello(false)] : [];
    for (const duty of this.membership.helloDuties(id, epoch)) replies.push(...this.push(duty.kind, duty.payload));
    this.inbox.hello(id, hello.lastId, hello.lastNumber, this.clock());
    const gaps = this.deliveries([]);
    const presence = known ? { type: 'renamed', member: presented } : { type: 'joined', member: presented };
    return { events: [presence, ...gaps.events], replies: [...replies, ...gaps.replies] };
  }

  /** The relay says a connection closed: presence only (keys follow the log). */
  left(edPk) {
    const id = toHex(edPk);
    if (this.knocks.delete(id)) return [{ type: 'knock-withdrawn', id }];
    const gone = this.members.get(id);
    this.members.delete(id);
    return gone ? [{ type: 'left', member: gone }] : [];
  }

  // Governance ---------------------------------------------------------------------

  /** Take events from the relay or a member; act on what they change. */
  merge(raws) {
    const membership = this.membership;
    const before = this.governanceView();
    const stateBefore = membership.state;
    const wasListed = membership.isMember(this.me.id);
    const behind = membership.current === null;
    const head = membership.head;
    const replies = [];
    for (const duty of membership.add(raws, this.clock())) replies.push(...this.push(duty.kind, duty.payload));
    if (!equal(membership.head, head)) this.headSinceMs = this.clock();
    replies.push(...this.outbox.settle(acceptedIn(membership.resolution), (known) => membership.knows(known), membership.state, membership.head));
    const events = this.settledKnocks().map((id) => ({ type: 'knock-withdrawn', id }));
    events.push(...this.changes(stateBefore, wasListed));
    events.push(...this.refusals());
    if (membership.isMember(this.me.id)) {
      if (!this.introduced || (behind && membership.current !== null)) replies.push(...this.introduction());
      else if (membership.current === null && this.askedEpoch !== membership.state.epoch) replies.push(this.hello(false)); // ask for the epoch we lack
    }
    for (const body of this.sync.offer(membership.forked, membership.held(), this.mode)) replies.push(this.seal(InnerKind.GOV_EVENTS, body));
    const after = this.governanceView();
    if (changed(before, after)) events.push(after);
    return { events, replies };
  }

  /** What everyone is told a merge changed: the states before and after, not the events,
   *  so a fork switch or a log pushed twice says each change once. Nothing for the log a
   *  member enters with, for its own arrival, or once it is out. */
  changes(before, wasListed) {
    const after = this.membership.state;
    const removed = [...after.removed].filter((id) => !before.removed.has(id)).map((id) => this.departed(id));
    const announce = this.announcing && wasListed && this.membership.isMember(this.me.id);
    const phrase = this.phrase;
    // A kick's REKEY follows at once and changes the phrase again: tell it once, after that.
    const phraseChanged = phrase !== this.shownPhrase && after.pendingKick === null;
    if (!announce) {
      this.shownPhrase = phrase;
      return [];
    }
    const events = removed.map((gone) => ({ type: 'removed', member: gone }));
    const promoted = after.admins.filter((id) => !before.admins.includes(id));
    // A removed admin is told as removed, not as demoted.
    const demoted = before.admins.filter((id) => !after.admins.includes(id) && !after.removed.has(id));
    events.push(...promoted.map((id) => ({ type: 'promoted', member: this.known(id) })));
    events.push(...demoted.map((id) => ({ type: 'demoted', member: this.known(id) })));
    if (after.locked && !before.locked) events.push({ type: 'locked' });
    if (after.joinRule !== before.joinRule) events.push({ type: 'join-rule', rule: after.joinRule });
    if (after.cap !== before.cap) events.push({ type: 'cap', cap: after.cap });
    if (phraseChanged) {
      this.shownPhrase = phrase;
      events.push({ type: 'phrase', phrase });
    }
    return events;
  }

  /** A member as presented (or by key alone), no longer shown as here: the log removed it. */
  departed(id) {
    const gone = this.known(id);
    this.members.delete(id);
    return gone;
  }

  known(id) {
    return this.members.get(id) ?? member(fromHex(id), new Uint8Array(0), '');
  }

  refused({ head, reason }) {
    const membership = this.membership;
    const replies = this.outbox.refused(reason, head, (known) => membership.knows(known), membership.state, membership.head);
    return { events: this.refusals(), replies };
  }

  refusals() {
    const refusals = this.outbox.takeRefusals();
    if (refusals.some((refusal) => refusal.kind === EventKind.REKEY)) this.membership.abandonRekey();
    return refusals.map(({ kind, reason }) => ({ type: 'refused', kind, reason }));
  }

  settledKnocks() {
    const state = this.membership.state;
    const settled = [...this.knocks.keys()].filter((id) => state.members.has(id) || state.removed.has(id));
    for (const id of settled) this.knocks.delete(id);
    return settled;
  }

  governanceView() {
    const membership = this.membership;
    return {
      type: 'governance',
      head: toHex(membership.head),
      phrase: membership.phrase,
      forked: membership.forked,
      paused: membership.sendingPaused,
      ended: membership.state.ended, // the log holds the owner's signed END_ROOM
      lagging: membership.lagging, // others send in an epoch our log has not reached
    };
  }

  push(kind, payload) {
    return this.outbox.push(kind, payload, this.membership.state, this.membership.head);
  }

  /** { events, replies }: what a timer finds. Gaps waited on long enough (shown as gaps),
   *  messages that may go again now that sending resumed, and a re-key when the kicking
   *  admin went quiet. */
  tick() {
    const now = this.clock();
    const frames = this.membership.tick(now).flatMap((duty) => this.push(duty.kind, duty.payload));
    frames.push(...this.catchUpOnMessages(), ...this.answers());
    const { events, replies } = this.deliveries(this.inbox.due(now));
    return { events, replies: [...frames, ...replies] };
  }

  // Governance actions (each returns the frames to send) -------------------------------

  /** Let in a newcomer whose knock (and its binding) this member has seen. */
  admit(id) {
    const knock = this.knocks.get(id);
    if (!knock) throw new Error('nobody with that key is knocking');
    return this.push(EventKind.ADMIT, encode.admit({ member: fromHex(id), binding: knock.binding }));
  }

  /** Turn a knocking newcomer away (not logged: the relay tells the newcomer). */
  decline(id) {
    this.knocks.delete(id);
    return [encodeDecline(fromHex(id))];
  }

  /** { frames, url }: an INVITE for `uses` admissions and the invite link carrying its secret. */
  invite(uses = 1, lifetimeSeconds = 86_400) {
    const secret = randomBytes(32);
    const ticketPk = ticketPublicKey(secret);
    const expiresAtMs = Math.min(this.clock() + lifetimeSeconds * 1000, this.expiresAt * 1000);
    this.invites.set(toHex(ticketPk), secret);
    const frames = this.push(EventKind.INVITE, encode.invite({ ticketPk, uses, expiresAtMs }));
    return { frames, url: this.inviteUrl(toHex(ticketPk)) };
  }

  /** The invite link for a ticket made in this tab. */
  inviteUrl(ticketPkHex) {
    return linkUrl(this.origin, this.linkShard, this.genesisHash, this.invites.get(ticketPkHex));
  }

  revokeInvite(ticketPkHex) {
    return this.push(EventKind.REVOKE_INVITE, encode.revokeInvite({ ticketPk: fromHex(ticketPkHex) }));
  }

  /** Remove a member and re-key. An open room switches to approval unless `keepRule`:
   *  otherwise the link alone would let the kicked member back in. */
  kick(id, keepRule = false) {
    const newRule = this.state.joinRule === 'open' && !keepRule ? 'approval' : null;
    return this.push(EventKind.KICK, encode.kick({ target: fromHex(id), newRule }));
  }

  promote(id) {
    return this.push(EventKind.PROMOTE, encode.target({ target: fromHex(id) }));
  }

  demote(id) {
    return this.push(EventKind.DEMOTE, encode.target({ target: fromHex(id) }));
  }

  setJoinRule(rule, cap = 0) {
    return this.push(EventKind.SET_JOIN_RULE, encode.setJoinRule({ rule, cap }));
  }

  lock() {
    return this.push(EventKind.LOCK, encode.empty());
  }

  /** END_ROOM, signed by the owner's member key: the relay ends the room when it appends it,
   *  and every member holds the signed proof that the owner ended it. */
  endRoom() {
    return this.push(EventKind.END_ROOM, encode.empty());
  }

  // Keeping and forgetting -----------------------------------------------------------

  /** Overwrite every room key this session holds; it cannot be used afterwards. The link and
   *  member keys are its admission's: Admission.wipe() overwrites those and calls this. */
  wipe() {
    for (const epoch of this.membership?.epochs.values() ?? []) for (const key of [epoch.secret, epoch.msgKey, epoch.bindKey]) key.fill(0);
    for (const secret of this.invites.values()) secret.fill(0);
    this.membership = null;
    this.outbox = null;
    this.genesis = null;
    this.members.clear();
    this.knocks.clear();
  }
}

function changed(before, after) {
  return ['head', 'paused', 'forked', 'ended', 'lagging'].some((field) => before[field] !== after[field]);
}
