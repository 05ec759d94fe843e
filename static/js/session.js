// One member's view of a room: keys, epochs, members, governance, sequence numbers.
// No I/O, no DOM. rooms/client/session.py follows the same steps; both speak
// docs/PROTOCOL.md. Governance lives in gov/membership.js (the merged log and epochs),
// gov/outbox.js (our own events) and gov/logsync.js (catching up with other members).
import { equal, fromHex, fromUtf8, toHex } from './bytes.js';
import { randomBytes } from './crypto.js';
import { ProtocolError } from './errors.js';
import {
  Kind,
  decodeGovernance,
  decodeKnock,
  decodeLeft,
  decodeRefused,
  decodeWelcome,
  encodeCreate,
  encodeDecline,
  encodeEnd,
  encodeEvent,
  encodeJoin,
} from './frames.js';
import { genesisHash, signGenesis } from './genesis.js';
import { signJoin } from './joinproof.js';
import { GovernanceError } from './gov/errors.js';
import { EventKind, createEvent } from './gov/events.js';
import { LogSync } from './gov/logsync.js';
import { Membership } from './gov/membership.js';
import { Outbox, acceptedIn } from './gov/outbox.js';
import { encode } from './gov/payloads.js';
import { signRedeem, ticketPublicKey } from './gov/tickets.js';
import { bindTag, deriveLinkKeys, firstEpoch, memberKeys, ownerCapabilityHash, roomSecret, vcommit } from './keys.js';
import { formatFragment, linkUrl, parseFragment } from './link.js';
import { InnerKind, decodeHello, encodeHello, encodeText, splitEvents } from './messages.js';
import { openEnvelope, seal } from './envelope.js';
import { ReplayGuard } from './replay.js';
import { verifyGenesisForLink } from './verification.js';

/** Thrown by text() while a removal's re-key is due. */
export class SendingPaused extends Error {}

/** A member as its hello presents it; the name is self-asserted. */
function member(edPk, xPk, name) {
  return Object.freeze({ edPk, xPk, name, id: toHex(edPk), shortId: toHex(edPk.subarray(0, 3)) });
}

export class RoomSession {
  /** `linkShard`/`genesisHash` from the link; `member` keys are fresh unless restored. */
  constructor({ origin, linkShard, genesisHash, ticket = null, name = '', keys = memberKeys(), clock = Date.now }) {
    this.origin = origin;
    this.linkShard = linkShard;
    this.genesisHash = genesisHash;
    this.ticket = ticket; // an invite link's ticket secret, until it is redeemed
    this.name = name;
    this.member = keys;
    this.clock = clock;
    this.linkKeys = deriveLinkKeys(linkShard);
    this.ownerCapability = null;
    this.pending = null;
    this.genesis = null;
    this.membership = null;
    this.outbox = null;
    this.sync = new LogSync();
    this.guard = null;
    this.seq = 0;
    this.members = new Map();
    this.knocks = new Map(); // newcomers waiting: ed_pk hex -> { edPk, xPk }
    this.invites = new Map(); // tickets made in this tab: ticket_pk hex -> secret
    this.askedEpoch = -1;
  }

  /** A creator's session: fresh link shard, server shard, owner capability and genesis. */
  static newRoom({ origin, name, lifetimeSeconds, serverTimeMs, mode = 'direct', joinRule = 'open', clock = Date.now }) {
    const linkShard = randomBytes(32);
    const serverShard = randomBytes(32);
    const capability = randomBytes(32);
    const keys = memberKeys();
    const linkKeys = deriveLinkKeys(linkShard);
    const genesis = signGenesis(
      {
        roomId: linkKeys.roomId,
        origin,
        authPk: linkKeys.authPk,
        ownerEdPk: keys.edPk,
        ownerXPk: keys.xPk,
        joinRule,
        routingMode: mode,
        expiresAt: Math.floor(serverTimeMs / 1000) + lifetimeSeconds,
        vcommit: vcommit(linkShard, serverShard),
      },
      keys.edSeed,
      linkKeys.authSeed,
    );
    const session = new RoomSession({ origin, linkShard, genesisHash: genesisHash(genesis.raw), name, keys, clock });
    session.pending = { genesis, serverShard, capability };
    return session;
  }

  /** A session for the link in a fragment (`v1.<L>.<g>`, or an invite's `v1.<L>.<g>.<T>`). */
  static fromFragment(origin, fragment, name, keys, clock) {
    const { linkShard, genesisHash: hash, ticket } = parseFragment(fragment);
    return new RoomSession({ origin, linkShard, genesisHash: hash, ticket, name, keys, clock });
  }

  get fragment() {
    return formatFragment(this.linkShard, this.genesisHash);
  }

  get link() {
    return linkUrl(this.origin, this.linkShard, this.genesisHash);
  }

  get mode() {
    return this.genesis.body.routingMode;
  }

  get expiresAt() {
    return this.genesis.body.expiresAt;
  }

  get isOwner() {
    return this.ownerCapability !== null;
  }

  get inRoom() {
    return this.membership !== null;
  }

  /** The epoch to seal in: the current one, or the newest held while behind. */
  get epoch() {
    if (this.membership === null) return null;
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

  // Handshake ------------------------------------------------------------------

  createFrame(challenge) {
    const { genesis, serverShard, capability } = this.pending;
    return encodeCreate({
      genesis: genesis.raw,
      serverShard,
      ownerCapabilityHash: ownerCapabilityHash(capability),
      joinSignature: this.joinSignature(challenge),
    });
  }

  joinFrame(challenge) {
    return encodeJoin({ roomId: this.linkKeys.roomId, edPk: this.member.edPk, xPk: this.member.xPk, joinSignature: this.joinSignature(challenge) });
  }

  joinSignature(challenge) {
    return signJoin(this.linkKeys.authSeed, this.origin, this.linkKeys.roomId, challenge, this.member.edPk, this.member.xPk);
  }

  /** The relay stored the room: enter it as its owner. */
  acceptCreated() {
    const { genesis, serverShard, capability } = this.pending;
    this.pending = null;
    this.ownerCapability = capability;
    this.enter(genesis, serverShard);
  }

  /** A REDEEM on `head` (from the relay's INVITE_REQUIRED), proving the invite link's ticket. */
  redeemFrame(head) {
    if (this.ticket === null) throw new Error('this room admits by invitation: open it with an invite link');
    const now = this.clock();
    const { roomId } = this.linkKeys;
    const ticketSignature = signRedeem(this.ticket, roomId, this.member.edPk, this.member.xPk, now);
    const payload = encode.redeem({ ticketPk: ticketPublicKey(this.ticket), xPk: this.member.xPk, timeMs: now, ticketSignature });
    return encodeEvent(createEvent(EventKind.REDEEM, roomId, head, this.member.edSeed, payload).raw);
  }

  /** Check the genesis and V against the link (throws ProtocolError), then enter.
   *  Returns how many GOVERNANCE frames (the room's log) follow the WELCOME. */
  acceptWelcome(frame) {
    const { serverShard, genesis, logLength } = decodeWelcome(frame);
    const verified = verifyGenesisForLink(genesis, serverShard, this.linkKeys, this.genesisHash, this.origin, Math.floor(this.clock() / 1000));
    this.enter(verified, serverShard);
    return logLength;
  }

  enter(genesis, serverShard) {
    this.ticket = null; // spent or not needed: a reconnect must not redeem again
    if (this.membership !== null && equal(genesis.raw, this.genesis.raw)) return; // reconnecting keeps epochs
    this.genesis = genesis;
    const epoch0 = firstEpoch(roomSecret(this.linkShard, serverShard, this.genesisHash));
    this.membership = new Membership(genesis, epoch0, this.member);
    this.outbox = new Outbox(genesis.body.roomId, this.member.edSeed);
    this.guard = new ReplayGuard(this.clock());
    this.members = new Map([[toHex(this.member.edPk), this.me]]);
  }

  get me() {
    return member(this.member.edPk, this.member.xPk, this.name);
  }

  // In the room ----------------------------------------------------------------

  /** A hello in the newest epoch held: a member behind on keys says hello in an older
   *  one, and an admin answers with a KEYSHARE (PROTOCOL §8.6). */
  hello(wantsReply) {
    this.askedEpoch = this.state.epoch;
    const bind = bindTag(this.epoch, this.linkKeys.roomId, this.member.edPk, this.member.xPk);
    return this.seal(InnerKind.HELLO, encodeHello({ xPk: this.member.xPk, bind, name: this.name, wantsReply }));
  }

  /** A chat message; SendingPaused while a removal's re-key is due. */
  text(text) {
    if (this.sendingPaused) throw new SendingPaused("waiting for the room's new keys after a removal");
    return this.seal(InnerKind.TEXT, encodeText(text, this.mode));
  }

  bye() {
    return this.seal(InnerKind.BYE, new Uint8Array(0));
  }

  endFrame() {
    if (!this.isOwner) throw new Error("only the room's creator can end it");
    return encodeEnd(this.ownerCapability);
  }

  seal(innerKind, body) {
    const now = this.clock();
    // Above both the last number and the clock: a reloaded tab keeps its member key
    // and must not reuse numbers that receivers already saw.
    this.seq = Math.max(this.seq + 1, now);
    const plaintext = { innerKind, sender: this.member.edPk, seq: this.seq, head: this.membership.head, timeMs: now, body };
    return seal(this.epoch, this.linkKeys.roomId, plaintext, this.mode);
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
        case Kind.GOVERNANCE:
          return this.merge([decodeGovernance(frame)]);
        case Kind.LEFT:
          return { events: this.left(decodeLeft(frame).edPk), replies: [] };
        case Kind.KNOCK: {
          const knock = decodeKnock(frame);
          this.knocks.set(toHex(knock.edPk), knock);
          return { events: [{ type: 'knock', edPk: knock.edPk, xPk: knock.xPk, id: toHex(knock.edPk) }], replies: [] };
        }
        case Kind.REFUSED:
          return this.refused(decodeRefused(frame));
        default:
          return { events: [], replies: [] };
      }
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof GovernanceError) return { events: [], replies: [], dropped: error.code };
      throw error;
    }
  }

  envelope(frame) {
    const membership = this.membership;
    let opened;
    try {
      opened = openEnvelope(frame, this.linkKeys.roomId, this.mode, membership.epochs);
      // The relay never returns our own frames: one that comes back is an echo, a
      // replay the guard (which records only others' frames) would otherwise take.
      if (equal(opened.plaintext.sender, this.member.edPk)) throw new ProtocolError('own-frame');
      this.guard.accept(opened.epoch.epochId, opened.plaintext, this.clock());
    } catch (error) {
      if (error instanceof ProtocolError) return { events: [], replies: [], dropped: error.code };
      throw error;
    }
    const { plaintext, epoch } = opened;
    if (!membership.acceptsFrom(toHex(plaintext.sender))) return { events: [], replies: [], dropped: 'not-a-member' };
    const replies = [];
    const ask = this.sync.ask(plaintext.head, membership.knows(plaintext.head));
    if (ask !== null) replies.push(this.seal(InnerKind.GOV_REQUEST, ask));
    const handled = this.handle(epoch, plaintext);
    return { events: handled.events, replies: [...replies, ...handled.replies] };
  }

  handle(epoch, { innerKind, sender, body, timeMs }) {
    const id = toHex(sender);
    if (innerKind === InnerKind.HELLO) return this.helloFrom(epoch, sender, decodeHello(body));
    if (innerKind === InnerKind.GOV_REQUEST) {
      const membership = this.membership;
      const bodies = this.sync.answer(body, membership.knows(body), membership.held(), this.mode);
      return { events: [], replies: bodies.map((events) => this.seal(InnerKind.GOV_EVENTS, events)) };
    }
    if (innerKind === InnerKind.GOV_EVENTS) return this.merge(splitEvents(body));
    const known = this.members.get(id);
    if (innerKind === InnerKind.BYE) {
      this.members.delete(id);
      return { events: known ? [{ type: 'left', member: known }] : [], replies: [] };
    }
    const author = known ?? member(sender, new Uint8Array(0), '');
    return { events: [{ type: 'message', member: author, text: fromUtf8(body), timeMs }], replies: [] };
  }

  helloFrom(epoch, sender, hello) {
    if (!equal(hello.bind, bindTag(epoch, this.linkKeys.roomId, sender, hello.xPk))) return { events: [], replies: [] };
    const id = toHex(sender);
    const known = this.members.has(id);
    const presented = member(sender, hello.xPk, hello.name);
    this.members.set(id, presented);
    this.membership.sawHello(id);
    const replies = hello.wantsReply ? [this.hello(false)] : [];
    for (const duty of this.membership.helloDuties(id, hello.xPk, epoch)) replies.push(...this.push(duty.kind, duty.payload));
    return { events: known ? [{ type: 'renamed', member: presented }] : [{ type: 'joined', member: presented }], replies };
  }

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
    const behind = membership.current === null;
    const replies = [];
    for (const duty of membership.add(raws, this.online(), this.clock())) replies.push(...this.push(duty.kind, duty.payload));
    replies.push(...this.outbox.settle(acceptedIn(membership.resolution), (head) => membership.knows(head), membership.state, membership.head));
    const events = this.settledKnocks().map((id) => ({ type: 'knock-withdrawn', id }));
    events.push(...this.refusals());
    if (behind && membership.current !== null) replies.push(this.hello(true)); // now we can read, and be read
    else if (membership.current === null && this.askedEpoch !== membership.state.epoch) replies.push(this.hello(false)); // ask for the epoch we lack
    for (const body of this.sync.offer(membership.forked, membership.held(), this.mode)) replies.push(this.seal(InnerKind.GOV_EVENTS, body));
    const after = this.governanceView();
    if (after.head !== before.head || after.paused !== before.paused || after.forked !== before.forked) events.push(after);
    return { events, replies };
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
    return { type: 'governance', head: toHex(membership.head), phrase: membership.phrase, forked: membership.forked, paused: membership.sendingPaused };
  }

  online() {
    const online = new Map();
    for (const [id, known] of this.members) if (known.xPk.length) online.set(id, known.xPk);
    return online;
  }

  push(kind, payload) {
    return this.outbox.push(kind, payload, this.membership.state, this.membership.head);
  }

  /** Frames a timer should send: a re-key when the kicking admin went quiet. */
  tick() {
    return this.membership.tick(this.online(), this.clock()).flatMap((duty) => this.push(duty.kind, duty.payload));
  }

  // Governance actions (each returns the frames to send) -------------------------------

  /** Let a newcomer in: one knocking now, or any key pair given in full. */
  admit(id, xPk = null) {
    const knock = this.knocks.get(id);
    const key = xPk ?? knock?.xPk;
    if (!key) throw new Error('nobody with that key is knocking');
    return this.push(EventKind.ADMIT, encode.admit({ member: fromHex(id), xPk: key }));
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

  /** END_ROOM, signed by the owner's member key (works after a reload, unlike END). */
  endRoom() {
    return this.push(EventKind.END_ROOM, encode.empty());
  }

  // Keeping and forgetting -----------------------------------------------------------

  /** What sessionStorage keeps so a reload can rejoin (wiped on leave). */
  toStorage() {
    return {
      fragment: this.fragment, // never the ticket: once redeemed it is spent
      edSeed: toHex(this.member.edSeed),
      xSecret: toHex(this.member.xSecret),
      name: this.name,
      ownerCapability: this.ownerCapability ? toHex(this.ownerCapability) : null,
    };
  }

  static fromStorage(origin, stored, clock = Date.now) {
    const keys = memberKeys(fromHex(stored.edSeed), fromHex(stored.xSecret));
    const session = RoomSession.fromFragment(origin, stored.fragment, stored.name, keys, clock);
    session.ownerCapability = stored.ownerCapability ? fromHex(stored.ownerCapability) : null;
    return session;
  }

  /** Overwrite every key this session holds; it cannot be used afterwards. */
  wipe() {
    for (const secret of [this.linkShard, this.member.edSeed, this.member.xSecret, this.ownerCapability, this.linkKeys.authSeed]) {
      if (secret) secret.fill(0);
    }
    for (const epoch of this.membership?.epochs.values() ?? []) for (const key of [epoch.secret, epoch.msgKey, epoch.bindKey]) key.fill(0);
    for (const secret of this.invites.values()) secret.fill(0);
    this.ticket?.fill(0);
    this.membership = null;
    this.outbox = null;
    this.genesis = null;
    this.members.clear();
    this.knocks.clear();
  }
}
