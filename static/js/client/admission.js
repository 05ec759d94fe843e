// Getting into a room: CREATE, JOIN and REDEEM, until the relay lets us in. No I/O, no DOM.
// The twin of atopos_client/admission.py.
//
// Admission and being in the room are two lifecycles. Before the relay answers we hold only
// the link and our keys; the genesis, the server shard and everything built on them
// (membership, outbox, replay guard) exist only once a CREATED or a checked WELCOME
// arrives. Keeping the two apart means a RoomSession is made in the room, with nothing
// left null to guard.
import { makeBinding } from '../protocol/binding.js';
import { ProtocolError } from '../protocol/errors.js';
import { equal, fromHex, toHex } from '../protocol/codec.js';
import { randomBytes } from '../protocol/crypto.js';
import { paramsKey } from '../protocol/extra-lock.js';
import { decodeWelcome, encodeCreate, encodeEvent, encodeJoin, encodeUnlock } from '../protocol/frames.js';
import { genesisHash, signGenesis } from '../protocol/genesis.js';
import { EventKind, createEvent } from '../protocol/governance/events.js';
import { encode } from '../protocol/governance/payloads.js';
import { signJoin, signUnlock } from '../protocol/joinproof.js';
import { lockPublicKey, lockSeed, passphraseShard } from './extra-lock.js';
import { deriveLinkKeys, memberKeys, vcommit } from './keys.js';
import { formatFragment, linkUrl, parseFragment } from './link.js';
import { RoomSession } from './session.js';
import { signRedeem, ticketPublicKey } from './tickets.js';
import { verifyGenesisForLink } from './verification.js';

export class Admission {
  /** `linkShard`/`genesisHash` from the link; `keys` are fresh unless restored. */
  constructor({ origin, linkShard, genesisHash: hash, ticket = null, name = '', keys = memberKeys(), clock = Date.now }) {
    this.origin = origin;
    this.linkShard = linkShard;
    this.genesisHash = hash;
    this.ticket = ticket; // an invite link's ticket secret, until it is redeemed
    this.name = name;
    this.member = keys;
    this.clock = clock;
    this.linkKeys = deriveLinkKeys(linkShard);
    // Extra Lock: P per parameter set, derived once (seconds) and kept for reconnects.
    // Never the passphrase itself: it is dropped as soon as P is known.
    this.shards = new Map();
    this.challenge = new Uint8Array(32);
    this.asked = null; // the parameters this socket's LOCK_REQUIRED named
    this.pinned = null; // the genesis's parameters, once we were let in
    this.pending = null; // a creator's { genesis, serverShard } until CREATED
    // Kept so that coming back (a new socket, the same link) finds our log, epochs and
    // replay memory again instead of starting the room over.
    this.session = null;
  }

  /** A creator's admission under Extra Lock: P is derived first (seconds; `onProgress`). */
  static async newLockedRoom({ passphrase, params, onProgress, ...room }) {
    const linkShard = randomBytes(32);
    const shard = await passphraseShard(passphrase, deriveLinkKeys(linkShard).pwsalt, params, onProgress);
    return Admission.newRoom({ ...room, linkShard, lock: { params, shard } });
  }

  /** A creator's admission: fresh link shard, server shard and genesis (`lock`, from
   *  newLockedRoom, puts it under Extra Lock). */
  static newRoom({ origin, name, lifetimeSeconds, serverTimeMs, mode = 'direct', joinRule = 'open', clock = Date.now, linkShard = randomBytes(32), lock = null }) {
    const serverShard = randomBytes(32);
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
        lock: lock === null ? null : { params: lock.params, lockPk: lockPublicKey(linkShard, lock.shard) },
      },
      keys.edSeed,
      linkKeys.authSeed,
    );
    const admission = new Admission({ origin, linkShard, genesisHash: genesisHash(genesis.raw), name, keys, clock });
    if (lock !== null) {
      admission.shards.set(paramsKey(lock.params), lock.shard);
      admission.pinned = lock.params;
    }
    admission.pending = { genesis, serverShard };
    return admission;
  }

  /** An admission for the link in a fragment (`v2.<L>.<g>`, or an invite's `v2.<L>.<g>.<T>`). */
  static fromFragment(origin, fragment, name, keys, clock) {
    const { linkShard, genesisHash: hash, ticket } = parseFragment(fragment);
    return new Admission({ origin, linkShard, genesisHash: hash, ticket, name, keys, clock });
  }

  static fromStorage(origin, stored, clock = Date.now) {
    const keys = memberKeys(fromHex(stored.edSeed), fromHex(stored.xSecret));
    const admission = Admission.fromFragment(origin, stored.fragment, stored.name, keys, clock);
    for (const [params, shard] of stored.shards ?? []) admission.shards.set(params, fromHex(shard));
    return admission;
  }

  get fragment() {
    return formatFragment(this.linkShard, this.genesisHash);
  }

  get link() {
    return linkUrl(this.origin, this.linkShard, this.genesisHash);
  }

  /** Our member id (hex), the code people compare, known before anyone lets us in. */
  get memberId() {
    return toHex(this.member.edPk);
  }

  /** CREATE for the room newRoom() prepared. */
  createFrame(challenge) {
    if (this.pending === null) throw new Error('only an admission made by newRoom() creates a room');
    const { genesis, serverShard } = this.pending;
    return encodeCreate({ genesis: genesis.raw, serverShard, joinSignature: this.joinSignature(challenge) });
  }

  /** JOIN proving knowledge of the link for this challenge, with our keys' binding. */
  joinFrame(challenge) {
    this.challenge = challenge; // an UNLOCK signs the same proof
    this.asked = null; // a new socket: its relay has asked for nothing yet
    const { roomId, authSeed } = this.linkKeys;
    return encodeJoin({ roomId, edPk: this.member.edPk, binding: makeBinding(this.member, authSeed, roomId), joinSignature: this.joinSignature(challenge) });
  }

  joinSignature(challenge) {
    return signJoin(this.linkKeys.authSeed, this.origin, this.linkKeys.roomId, challenge, this.member.edPk, this.member.xPk);
  }

  /** The relay's LOCK_REQUIRED on this socket: once per socket, and once in, only with the
   *  genesis's parameters (a relay may not make us derive again and again, or sign with a
   *  cheaper key than the room's). True if P for them is known (a reconnect answers at once). */
  lockRequired(params) {
    if (this.asked !== null || (this.pinned !== null && paramsKey(this.pinned) !== paramsKey(params))) {
      throw new ProtocolError('lock-mismatch');
    }
    this.asked = params;
    return this.shards.has(paramsKey(params));
  }

  /** Derive P for `params` from the passphrase a person typed (seconds; `onProgress`). */
  async derivePassphrase(passphrase, params, onProgress) {
    const shard = await passphraseShard(passphrase, this.linkKeys.pwsalt, params, onProgress);
    this.shards.get(paramsKey(params))?.fill(0);
    this.shards.set(paramsKey(params), shard);
  }

  /** UNLOCK for this socket's LOCK_REQUIRED: the lock key's and our member key's signatures
   *  over our JOIN's proof (the second lets the relay tell a listed member coming back). */
  unlockFrame() {
    const seed = lockSeed(this.linkShard, this.passphraseShardFor(this.asked));
    const proof = [this.origin, this.linkKeys.roomId, this.challenge, this.member.edPk, this.member.xPk];
    return encodeUnlock(signUnlock(seed, ...proof), signUnlock(this.member.edSeed, ...proof));
  }

  /** P for a genesis's lock (`{ params }`), or empty without one. */
  passphraseShardFor(lock) {
    if (lock === null || lock === undefined) return new Uint8Array(0);
    const params = lock.params ?? lock;
    const shard = this.shards.get(paramsKey(params));
    if (shard === undefined) throw new Error('no passphrase was given for this room');
    return shard;
  }

  /** The relay stored the room: the session of its owner. */
  acceptCreated() {
    if (this.pending === null) throw new Error('no room was being created');
    const { genesis, serverShard } = this.pending;
    this.pending = null;
    return this.enter(genesis, serverShard);
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
   *  Returns the session in the room and how many GOVERNANCE frames (the room's log)
   *  follow the WELCOME: hand them to its catchUp() together, then send what its
   *  entered() returns. */
  acceptWelcome(frame) {
    const { serverShard, genesis, logLength } = decodeWelcome(frame);
    const asked = this.asked === null ? null : { params: this.asked, lockPk: lockPublicKey(this.linkShard, this.passphraseShardFor(this.asked)) };
    const verified = verifyGenesisForLink(genesis, serverShard, this.linkKeys, this.genesisHash, this.origin, Math.floor(this.clock() / 1000), asked);
    if (verified.body.lock !== null) this.pinned = verified.body.lock.params;
    return { session: this.enter(verified, serverShard), logLength };
  }

  enter(genesis, serverShard) {
    this.ticket = null; // spent or not needed: a reconnect must not redeem again
    const session = this.session;
    if (session !== null && session.inRoom && equal(genesis.raw, session.genesis.raw)) return session; // reconnecting keeps epochs
    this.session = new RoomSession(this, genesis, serverShard);
    return this.session;
  }

  /** What a tab keeps when its user chose to remember the room (wiped on leave). */
  toStorage() {
    return {
      fragment: this.fragment, // never the ticket: once redeemed it is spent
      edSeed: toHex(this.member.edSeed),
      xSecret: toHex(this.member.xSecret),
      name: this.name,
      // Extra Lock: P (never the passphrase), so a reload in this tab needs no retyping.
      ...(this.shards.size > 0 ? { shards: [...this.shards].map(([params, shard]) => [params, toHex(shard)]) } : {}),
    };
  }

  /** Overwrite every key this admission and its session hold; neither can be used afterwards. */
  wipe() {
    this.session?.wipe();
    for (const secret of [this.linkShard, this.member.edSeed, this.member.xSecret, this.linkKeys.authSeed]) {
      if (secret) secret.fill(0);
    }
    this.ticket?.fill(0);
    for (const shard of this.shards.values()) shard.fill(0);
    this.shards.clear();
    this.pending = null;
  }
}
