// Browser sessions governing a room through a relay double: the same behaviours as
// tests/client/ on the Python side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeBinding } from '../../static/js/protocol/binding.js';
import { toHex } from '../../static/js/protocol/codec.js';
import { VERSION } from '../../static/js/protocol/frames.js';
import { EventKind, decodeEvent, eventId } from '../../static/js/protocol/governance/events.js';
import { encode, parsePayload } from '../../static/js/protocol/governance/payloads.js';
import { ticketPublicKey } from '../../static/js/client/tickets.js';
import { randomBytes } from '../../static/js/protocol/crypto.js';
import { SendingPaused } from '../../static/js/client/session.js';
import { RelayDouble, founded, joined, signed, trio } from './relay-double.js';

/** Alice kicks Bob; the relay shows the kick, then her REKEY, to Alice and Carol. */
function kickBob({ alice, bob, carol, relay }) {
  const kick = signed(alice, EventKind.KICK, encode.kick({ target: bob.member.edPk, newRule: null }));
  relay.show(alice, kick);
  relay.show(carol, kick);
  relay.run();
  return kick;
}

describe('kick and re-key', () => {
  it('the kicking admin seals the new epoch to every listed member but the kicked one', () => {
    const room = trio();
    kickBob(room);
    const [rekey] = room.relay.appends;
    const payload = parsePayload(decodeEvent(rekey));
    assert.deepEqual(payload.entries.map((entry) => toHex(entry.recipient)), [toHex(room.carol.member.edPk)]);
  });

  it('members pause until the REKEY, then share epoch 1 and the kicked member cannot read it', () => {
    const room = trio();
    const { alice, bob, carol, relay } = room;
    kickBob(room);
    assert.equal(carol.sendingPaused, true);
    assert.throws(() => carol.text('too early'), SendingPaused);
    relay.show(alice, ...relay.appends);
    relay.show(carol, ...relay.appends);
    relay.run();
    assert.equal(carol.sendingPaused, false);
    assert.equal(carol.epoch.counter, 1);
    assert.deepEqual(carol.epoch.msgKey, alice.epoch.msgKey);
    const secret = alice.text('bob must not read this');
    assert.equal(carol.receive(secret).events[0].text, 'bob must not read this');
    const heard = bob.receive(secret);
    assert.equal(heard.dropped, 'unknown-epoch');
    assert.equal(heard.events.some((event) => event.type === 'message'), false);
  });

  it('a REKEY whose signature fails is refused and changes nothing', () => {
    const room = trio();
    kickBob(room);
    const rekey = room.relay.appends[0].slice();
    rekey[rekey.length - 5] ^= 1;
    room.relay.show(room.carol, rekey);
    room.relay.run();
    assert.equal(room.carol.membership.rejected.get(toHex(eventId(rekey))), 'bad-signature');
    assert.equal(room.carol.sendingPaused, true);
  });

  it('a newcomer at a later epoch gets it from an admin through a KEYSHARE', () => {
    const room = trio();
    const { alice, carol, relay } = room;
    const kick = kickBob(room);
    relay.show(alice, ...relay.appends);
    relay.show(carol, ...relay.appends);
    relay.run();
    const rekey = relay.appends[0];
    relay.appends = [];
    const dave = joined(alice, 'Dave');
    relay.add(dave);
    const binding = makeBinding(dave.member, dave.linkKeys.authSeed, dave.linkKeys.roomId);
    const admit = signed(alice, EventKind.ADMIT, encode.admit({ member: dave.member.edPk, binding }));
    relay.show(alice, admit);
    relay.show(carol, admit);
    relay.show(dave, kick, rekey, admit);
    relay.run();
    assert.equal(dave.sendingPaused, true);
    relay.run();
    const share = relay.appends.find((raw) => decodeEvent(raw).kind === EventKind.KEYSHARE);
    relay.show(dave, share);
    relay.run();
    assert.equal(dave.epoch.counter, 1);
    assert.deepEqual(dave.epoch.msgKey, alice.epoch.msgKey);
  });
});

describe('a relay that equivocates', () => {
  function split() {
    const alice = founded('Alice');
    const relay = new RelayDouble(alice);
    relay.enter(alice);
    const bob = joined(alice, 'Bob');
    relay.enter(bob);
    relay.showAll(signed(alice, EventKind.PROMOTE, encode.target({ target: bob.member.edPk })));
    relay.run();
    relay.show(alice, signed(alice, EventKind.SET_JOIN_RULE, encode.setJoinRule({ rule: 'approval', cap: 0 })));
    relay.show(bob, signed(bob, EventKind.INVITE, encode.invite({ ticketPk: ticketPublicKey(randomBytes(32)), uses: 2, expiresAtMs: 2 ** 40 })));
    relay.run();
    return { alice, bob, relay };
  }

  it('is detected by both members once they exchange heads', () => {
    const { alice, bob, relay } = split();
    assert.equal(alice.membership.forked, false);
    relay.send(alice, [alice.text('hello')]);
    relay.send(bob, [bob.text('hi')]);
    relay.run();
    assert.equal(alice.membership.forked, true);
    assert.equal(bob.membership.forked, true);
    assert.equal(relay.seen.get(alice).filter((e) => e.type === 'governance').at(-1).forked, true);
  });

  it('leaves both on the same head and the same safety phrase', () => {
    const { alice, bob, relay } = split();
    relay.send(alice, [alice.text('hello')]);
    relay.run();
    assert.deepEqual(alice.membership.head, bob.membership.head);
    assert.equal(alice.phrase, bob.phrase);
    assert.equal(alice.state.joinRule, 'approval');
    assert.equal(alice.state.invites.size, 1);
  });
});

describe('the outbox', () => {
  it('an action the state forbids is refused locally, with the rule it breaks', () => {
    const { bob } = trio();
    assert.deepEqual(bob.promote(bob.me.id), []);
    const { events } = bob.merge([]);
    assert.deepEqual(events, [{ type: 'refused', kind: EventKind.PROMOTE, reason: 'not-authorized' }]);
  });

  it('re-bases on the relay head after a stale-parent refusal', () => {
    const { alice, bob, relay } = trio();
    const [first] = alice.promote(bob.me.id);
    const other = signed(alice, EventKind.LOCK, encode.empty());
    relay.show(alice, other);
    relay.run();
    const refused = Uint8Array.of(VERSION, 0x88, ...decodeEvent(other).id, ...new TextEncoder().encode('stale-parent'));
    const { replies } = alice.receive(refused);
    assert.equal(replies.length, 1);
    assert.notDeepEqual(replies[0], first);
    assert.deepEqual(decodeEvent(replies[0].subarray(2)).parent, eventId(other));
  });
});
