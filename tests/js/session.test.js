// Two browser sessions through a pretend relay: create, verify, talk, replay, leave, forget.
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { serverFrames } from '../../static/js/protocol/frames.js';
import { signGenesis } from '../../static/js/protocol/genesis.js';
import { memberKeys } from '../../static/js/client/keys.js';
import { Admission } from '../../static/js/client/admission.js';
import { ORIGIN, RelayDouble, founded, joined } from './relay-double.js';

/** Alice's open room, and Bob who joined it: his keys bound in the log, hellos exchanged. */
function room() {
  const alice = founded('Alice');
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const bob = joined(alice, 'Bob');
  relay.enter(bob);
  return { alice, bob, relay, welcome: alice.welcome };
}

it('a joiner verifies the welcome and reaches the creator\'s epoch', () => {
  const { alice, bob } = room();
  assert.deepEqual(bob.epoch.msgKey, alice.epoch.msgKey);
  assert.equal(alice.isOwner, true);
  assert.equal(bob.isOwner, false);
});

it('a newcomer binds its keys first, then hellos are answered and build the member list', () => {
  const alice = founded('Alice');
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const bob = joined(alice, 'Bob');
  const [bind] = bob.entered();
  assert.equal(bind[1], 0x04, 'an EVENT frame: BIND before any hello');
  relay.add(bob);
  relay.send(bob, [bind]);
  relay.publish();
  relay.run();
  const joinedEvents = relay.seen.get(alice).filter((event) => event.type === 'joined');
  assert.deepEqual(joinedEvents.map((event) => event.member.name), ['Bob']);
  assert.deepEqual([...alice.members.values()].map((m) => m.name).sort(), ['Alice', 'Bob']);
  assert.deepEqual([...bob.members.values()].map((m) => m.name).sort(), ['Alice', 'Bob']);
});

it('a hello from a key the log does not list is dropped', () => {
  const { alice } = room();
  const stranger = joined(alice, 'Stranger');
  const heard = alice.receive(stranger.hello(true));
  assert.deepEqual(heard.events, []);
  assert.equal(heard.dropped, 'not-a-member');
  assert.equal(alice.members.has(stranger.me.id), false);
});

it('a message from a key the log does not list is not shown', () => {
  const { alice } = room();
  const stranger = joined(alice, 'Stranger'); // holds the link and the epoch, never bound its keys
  const heard = alice.receive(stranger.text('believe me, I am Bob'));
  assert.deepEqual(heard.events, []);
  assert.equal(heard.dropped, 'not-a-member');
});

it('messages arrive decrypted, and a replayed frame is dropped', () => {
  const { alice, bob } = room();
  const frame = alice.text('hello, bob');
  const first = bob.receive(frame);
  assert.equal(first.events[0].text, 'hello, bob');
  const replay = bob.receive(frame);
  assert.deepEqual(replay.events, []);
  assert.equal(replay.dropped, 'replay');
});

it('a member\'s own frame echoed back by the relay is dropped, not shown', () => {
  const { alice, bob } = room();
  const said = alice.text('said once');
  assert.equal(bob.receive(said).events[0].text, 'said once');
  const echoed = alice.receive(said);
  assert.deepEqual(echoed.events, []);
  assert.equal(echoed.dropped, 'own-frame');
  const bye = alice.receive(alice.bye());
  assert.equal(bye.dropped, 'own-frame');
  assert.equal(bob.receive(alice.text('still heard')).events[0].text, 'still heard');
});

it('a welcome with a swapped server shard is refused', () => {
  const { alice, welcome } = room();
  const forged = welcome.slice();
  forged[5] ^= 1; // inside V
  const victim = Admission.fromFragment(ORIGIN, alice.fragment, 'Victim');
  assert.throws(() => victim.acceptWelcome(forged), (error) => error.code === 'shard-mismatch');
  assert.equal(victim.session, null);
});

it("a genesis Mallory signed with the link, naming herself owner, is refused: it is not the link's", () => {
  const { alice, welcome } = room();
  const mallory = memberKeys();
  const { roomId, authPk, authSeed } = alice.linkKeys;
  const body = { ...alice.genesis.body, roomId, authPk, ownerEdPk: mallory.edPk, ownerXPk: mallory.xPk };
  const forged = signGenesis(body, mallory.edSeed, authSeed); // same room, key, origin and V
  const serverShard = welcome.subarray(2, 34);
  const bob = Admission.fromFragment(ORIGIN, alice.fragment, 'Bob');
  assert.throws(() => bob.acceptWelcome(serverFrames.welcome({ serverShard, genesis: forged.raw })), (error) => error.code === 'genesis-hash-mismatch');
  assert.equal(bob.session, null);
});

it('a LEFT frame or a bye removes the member', () => {
  const { alice, bob } = room();
  alice.receive(bob.hello(false));
  const left = alice.receive(serverFrames.left({ edPk: bob.member.edPk }));
  assert.equal(left.events[0].member.name, 'Bob');
  alice.receive(bob.hello(false));
  assert.equal(alice.receive(bob.bye()).events[0].type, 'left');
  assert.equal(alice.members.size, 1);
});

it('storage keeps what a reload needs, and a restored session speaks as the same member', () => {
  const { alice, bob, welcome } = room();
  bob.receive(alice.text('before reload'));
  // A reload takes far longer than a millisecond; the restored tab's clock has moved on.
  const later = () => Date.now() + 50;
  const returning = Admission.fromStorage(ORIGIN, JSON.parse(JSON.stringify(alice.admission.toStorage())), later);
  assert.deepEqual(returning.member.edPk, alice.member.edPk);
  const { session: restored } = returning.acceptWelcome(welcome);
  assert.equal(restored.isOwner, true);
  assert.equal(bob.receive(restored.text('after reload')).events[0].text, 'after reload');
});

it('wiping overwrites the keys the admission and its session held', () => {
  const { bob } = room();
  const { linkShard, member } = bob;
  const { msgKey } = bob.epoch;
  bob.admission.wipe();
  assert.ok(linkShard.every((byte) => byte === 0));
  assert.ok(member.edSeed.every((byte) => byte === 0));
  assert.ok(msgKey.every((byte) => byte === 0));
  assert.equal(bob.inRoom, false);
});

it("a WELCOME on a new socket for the same room keeps Bob's session, its log and replay memory", () => {
  const { alice, bob, welcome } = room();
  const frame = alice.text('before the network dropped');
  bob.receive(frame);
  const { session: again } = bob.admission.acceptWelcome(welcome);
  assert.equal(again, bob);
  assert.equal(bob.receive(frame).dropped, 'replay');
  assert.equal(bob.receive(alice.text('after')).events[0].text, 'after');
});

it('only an admission made for a new room sends CREATE', () => {
  const { alice } = room();
  const bob = Admission.fromFragment(ORIGIN, alice.fragment, 'Bob');
  assert.throws(() => bob.createFrame(new Uint8Array(32)), /only an admission made by newRoom/);
  assert.throws(() => bob.acceptCreated(), /no room was being created/);
});
