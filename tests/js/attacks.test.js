// The attacks of issue 9 against the browser client, through a relay double that plays the
// malicious relay (tests/attacks/ plays them against the real relay with the Python client).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeBinding } from '../../static/js/protocol/binding.js';
import { toHex, utf8 } from '../../static/js/protocol/codec.js';
import { randomBytes } from '../../static/js/protocol/crypto.js';
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { serverFrames } from '../../static/js/protocol/frames.js';
import { EventKind, decodeEvent } from '../../static/js/protocol/governance/events.js';
import { parsePayload } from '../../static/js/protocol/governance/payloads.js';
import { openKeyshare, openRekey } from '../../static/js/client/rekey.js';
import { bindTag, deriveLinkKeys, memberKeys } from '../../static/js/client/keys.js';
import { InnerKind, SEQ_AHEAD_MS, chatMessage, encodeChatMessage, encodeHello } from '../../static/js/client/messages.js';
import { SEQ_LEAD_MS } from '../../static/js/client/replay.js';
import { OLD_EPOCH_GRACE_MS, SendingPaused } from '../../static/js/client/session.js';
import { RelayDouble, founded, joined } from './relay-double.js';

/** A clock the test moves forward (graces); all members share it. */
function sharedClock() {
  const clock = () => Date.now() + clock.offset;
  clock.offset = 0;
  return clock;
}

/** Alice (owner) with Bob and Mallory in an open room, all met. */
function room(clock = sharedClock()) {
  const alice = founded('Alice', { clock });
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const bob = joined(alice, 'Bob', clock);
  relay.enter(bob);
  const mallory = joined(alice, 'Mallory', clock);
  relay.enter(mallory);
  return { alice, bob, mallory, relay, clock };
}

/** A hello in `asId`'s name carrying `xPk`, sealed by the forger in `epoch`. */
let forgeries = 0;

function forgedHello(forger, asEdPk, xPk, epoch = forger.epoch) {
  const { roomId } = forger.linkKeys;
  const body = encodeHello({ xPk, bind: bindTag(epoch, roomId, asEdPk, xPk), name: 'Bob', wantsReply: false });
  const now = forger.clock();
  // A seq that neither a frame of the victim's (theirs follow the clock) nor an earlier forgery
  // took, so the replay guard cannot drop the forgery before the check under test sees it.
  const seq = now + SEQ_LEAD_MS / 2 + forgeries++;
  return seal(epoch, roomId, { innerKind: InnerKind.HELLO, sender: asEdPk, seq, head: forger.membership.head, timeMs: now, body }, forger.mode);
}

/** A text in `asEdPk`'s name with any sequence number the forger likes; its message is a
 *  first one, whose id is `seq` as far as a message's own rules let it be (else the message
 *  check, not the envelope's, would refuse it first). */
function forgedText(forger, asEdPk, text, seq) {
  const now = forger.clock();
  const body = encodeChatMessage(chatMessage(Math.min(seq, now + SEQ_AHEAD_MS), 1, 0, now, text), forger.mode);
  const plaintext = { innerKind: InnerKind.TEXT, sender: asEdPk, seq, head: forger.membership.head, timeMs: now, body };
  return seal(forger.epoch, forger.linkKeys.roomId, plaintext, forger.mode);
}

/** Alice kicks `target`; the relay appends the kick and her REKEY for everyone else. */
function kick({ alice, relay }, target, hiddenFrom = []) {
  relay.send(alice, alice.kick(target.me.id));
  for (let round = 0; round < 5 && relay.appends.length; round += 1) {
    const appended = relay.appends;
    relay.appends = [];
    for (const session of relay.sessions) if (session !== target && !hiddenFrom.includes(session)) relay.show(session, ...appended);
    relay.run();
  }
  return alice.membership.resolution.accepted.map((event) => event.raw);
}

/** Every epoch the thief opens from the REKEY and KEYSHARE events in `raws`. */
function stolenEpochs(thief, raws) {
  const events = raws.map(decodeEvent);
  const taken = [];
  for (const event of events.filter((e) => e.kind === EventKind.REKEY)) {
    const payload = parsePayload(event);
    for (const held of thief.membership.epochs.values()) {
      for (const entry of payload.entries) {
        try {
          taken.push(openRekey(payload, thief.linkKeys.roomId, held, entry.recipient, thief.member.xSecret));
        } catch {
          // not for the thief
        }
      }
    }
  }
  const confirms = events.filter((e) => e.kind === EventKind.REKEY).map((e) => parsePayload(e).confirm);
  for (const event of events.filter((e) => e.kind === EventKind.KEYSHARE)) {
    const payload = parsePayload(event);
    for (const confirm of confirms) {
      try {
        taken.push(openKeyshare(payload, thief.linkKeys.roomId, payload.recipient, thief.member.xSecret, confirm));
      } catch {
        // not for the thief
      }
    }
  }
  return taken;
}

describe('member keys come from the signed log only', () => {
  it("a forged hello in Bob's name with Mallory's key changes nothing, and her kick's REKEY is not hers", () => {
    const world = room();
    const { alice, bob, mallory, relay } = world;
    const heard = alice.receive(forgedHello(mallory, bob.member.edPk, mallory.member.xPk));
    assert.equal(heard.dropped, 'unbound-key');
    assert.deepEqual(alice.members.get(bob.me.id).xPk, bob.member.xPk);
    const log = kick(world, mallory);
    const [rekey] = log.filter((raw) => decodeEvent(raw).kind === EventKind.REKEY);
    assert.deepEqual(parsePayload(decodeEvent(rekey)).entries.map((e) => toHex(e.recipient)), [bob.me.id]);
    assert.deepEqual(stolenEpochs(mallory, log), []);
    assert.deepEqual(bob.epoch.msgKey, alice.epoch.msgKey);
    assert.throws(() => openEnvelope(alice.text('after'), mallory.linkKeys.roomId, mallory.mode, mallory.membership.epochs), /unknown-epoch/);
    assert.equal(relay.appends.length, 0);
  });

  it('an old-epoch hello soliciting a key share gets one sealed to the bound key only', () => {
    const world = room();
    const { alice, bob, mallory } = world;
    const log = kick(world, mallory);
    const epoch0 = [...mallory.membership.epochs.values()].find((epoch) => epoch.counter === 0);
    const own = alice.receive(forgedHello(mallory, bob.member.edPk, mallory.member.xPk, epoch0));
    assert.equal(own.replies.length, 0);
    const theirs = alice.receive(forgedHello(mallory, bob.member.edPk, bob.member.xPk, epoch0));
    const shares = theirs.replies.map((frame) => decodeEvent(frame.subarray(2))).filter((e) => e.kind === EventKind.KEYSHARE);
    assert.deepEqual(stolenEpochs(mallory, [...log, ...shares.map((e) => e.raw)]), []);
  });

  it("a relay-forged LEFT does not drop Bob from the next REKEY", () => {
    const world = room();
    const { alice, bob, mallory } = world;
    assert.equal(alice.receive(serverFrames.left({ edPk: bob.member.edPk })).events[0].type, 'left');
    const log = kick(world, mallory);
    const rekey = decodeEvent(log.find((raw) => decodeEvent(raw).kind === EventKind.REKEY));
    assert.deepEqual(parsePayload(rekey).entries.map((e) => toHex(e.recipient)), [bob.me.id]);
  });

  it('a knock whose binding the link did not sign is not shown', () => {
    const { alice } = room();
    const puppet = memberKeys();
    const relayAuth = deriveLinkKeys(randomBytes(32)).authSeed;
    const knock = serverFrames.knock({ edPk: puppet.edPk, binding: makeBinding(puppet, relayAuth, alice.linkKeys.roomId) });
    assert.deepEqual(alice.receive(knock).events, []);
    assert.equal(alice.knocks.size, 0);
    assert.throws(() => alice.admit(toHex(puppet.edPk)), /knocking/);
  });
});

describe('sequence numbers', () => {
  it("one forged frame with seq 2^53 - 1 does not mute Bob", () => {
    const { alice, bob, mallory } = room();
    assert.equal(alice.receive(forgedText(mallory, bob.member.edPk, 'mute bob', Number.MAX_SAFE_INTEGER)).dropped, 'bad-seq');
    assert.equal(alice.receive(bob.text('still heard')).events[0].text, 'still heard');
  });

  it('a forged plausible sequence number burns one slot only', () => {
    const { alice, bob, mallory } = room();
    const ahead = mallory.clock() + 30_000;
    const forged = alice.receive(forgedText(mallory, bob.member.edPk, 'forged but shown', ahead));
    assert.deepEqual(forged.events.map((event) => event.text), ['forged but shown']);
    for (const text of ['one', 'two']) assert.deepEqual(alice.receive(bob.text(text)).events.map((event) => event.text), [text]);
  });
});

describe('a removed member', () => {
  it("Mallory's text in the epoch she still holds is not shown, even before the old-epoch grace ends", () => {
    const world = room();
    const { bob, mallory } = world;
    kick(world, mallory);
    assert.equal(bob.state.epoch, 1);
    const heard = bob.receive(mallory.text('still here, trust me'));
    assert.equal(heard.dropped, 'not-a-member');
    assert.equal(heard.events.some((event) => event.type === 'message'), false);
  });
});

describe('a relay that withholds a kick', () => {
  it('the admin hides what a member left behind sends after the grace, warns, and pushes the events', () => {
    const world = room();
    const { alice, bob, mallory, clock } = world;
    kick(world, mallory, [bob]);
    assert.equal(bob.state.epoch, 0);
    clock.offset += OLD_EPOCH_GRACE_MS + 1_000;
    const leaked = bob.text('bob, unaware');
    assert.equal(openEnvelope(leaked, mallory.linkKeys.roomId, mallory.mode, mallory.membership.epochs).plaintext.timeMs > 0, true);
    const heard = alice.receive(leaked);
    assert.deepEqual(heard.events.map((e) => [e.type, e.oldEpoch]), [['behind', true]]);
    assert.equal(heard.dropped, 'old-epoch');
    for (const push of heard.replies) bob.receive(push);
    assert.equal(bob.state.epoch, 1);
    assert.deepEqual(bob.epoch.msgKey, alice.epoch.msgKey);
    assert.throws(() => openEnvelope(bob.text('caught up'), mallory.linkKeys.roomId, mallory.mode, mallory.membership.epochs), /unknown-epoch/);
  });

  it('a message hidden because it came in the old keys is not shown when it comes again in the new ones', () => {
    const world = room();
    const { alice, bob, mallory, clock } = world;
    kick(world, mallory, [bob]);
    clock.offset += OLD_EPOCH_GRACE_MS + 1_000;
    const heard = alice.receive(bob.text('bob, unaware'));
    assert.equal(heard.dropped, 'old-epoch');
    for (const push of heard.replies) bob.receive(push);
    assert.equal(bob.state.epoch, 1);
    // Bob's client never saw an ACK for it: after a reconnect it goes again, in the new keys.
    bob.sent.connectionLost();
    const [resent] = bob.resendUnsent();
    assert.deepEqual(alice.receive(resent).events.filter((event) => event.type === 'message'), []);
    assert.equal(alice.receive(bob.text('next')).events.find((event) => event.type === 'message').text, 'next');
  });

  it('a member who sees an epoch newer than its log stops sending and asks for the events', () => {
    const world = room();
    const { alice, bob, mallory } = world;
    kick(world, mallory, [bob]);
    const heard = bob.receive(alice.text('in the new keys'));
    assert.equal(heard.dropped, 'unknown-epoch');
    assert.equal(heard.events.at(-1).lagging, true);
    assert.equal(heard.replies.length, 1);
    assert.throws(() => bob.text('would leak to mallory'), SendingPaused);
    const answer = alice.receive(heard.replies[0]);
    for (const frame of answer.replies) bob.receive(frame);
    assert.equal(bob.state.epoch, 1);
    assert.equal(bob.sendingPaused, false);
  });
});

describe('a revived room', () => {
  it("a member holding the owner's signed end hands it to whoever is in the revived room", () => {
    const { alice, bob, relay } = room();
    relay.send(alice, alice.endRoom());
    const [end] = relay.appends;
    relay.appends = [];
    bob.receive(serverFrames.governance(end)); // only Bob saw the end; the relay revives the room
    assert.equal(bob.state.ended, true);
    const carol = joined(alice, 'Carol'); // the revived room's log has no end in it
    assert.equal(carol.state.ended, false);
    relay.enter(carol); // Carol binds; Bob sees the fork and sends everything he holds
    assert.equal(carol.state.ended, true);
    assert.equal(relay.seen.get(carol).some((event) => event.type === 'governance' && event.ended), true);
    assert.throws(() => carol.text('the room goes on'), SendingPaused);
  });
});

describe('refusal reasons', () => {
  it('a reason that is not a plain error code reads as unknown', async () => {
    const { decodeRefused, VERSION } = await import('../../static/js/protocol/frames.js');
    const frame = (text) => Uint8Array.of(VERSION, 0x88, ...new Uint8Array(32), ...utf8(text));
    assert.equal(decodeRefused(frame('re-verify your link at https://evil.example')).reason, 'unknown');
    assert.equal(decodeRefused(frame('__proto__')).reason, 'unknown');
    assert.equal(decodeRefused(frame('ticket-used')).reason, 'ticket-used');
  });
});
