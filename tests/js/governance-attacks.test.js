// Members and admins who break the log's rules: every browser member refuses their events,
// whatever the relay appends (PROTOCOL §8.3, §8.5). governance-vectors.test.js replays the
// Python reference's scenarios; these are the rules those scenarios leave unexercised.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHex } from '../../static/js/protocol/codec.js';
import { EventKind, MAX_EVENT_SIZE, createEvent, eventId } from '../../static/js/protocol/governance/events.js';
import { encode } from '../../static/js/protocol/governance/payloads.js';
import { Admission } from '../../static/js/client/admission.js';
import { ORIGIN, RelayDouble, founded, joined, signed } from './relay-double.js';

/** A clock the test moves forward; all members share it. */
function sharedClock() {
  const clock = () => Date.now() + clock.offset;
  clock.offset = 0;
  return clock;
}

/** Alice's open room with Bob, Mallory and Carol listed and introduced; `admins` are promoted,
 *  in that order, by Alice. */
function room({ admins = [], clock = sharedClock() } = {}) {
  const alice = founded('Alice', { clock });
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const people = { alice, relay, clock };
  for (const name of ['Bob', 'Mallory', 'Carol']) {
    const session = joined(alice, name, clock);
    relay.enter(session);
    people[name.toLowerCase()] = session;
  }
  for (const name of admins) {
    relay.showAll(signed(alice, EventKind.PROMOTE, encode.target({ target: people[name].member.edPk })));
    relay.run();
  }
  return people;
}

/** Every session the relay holds sees `raws` (an honest relay appends what it is given). */
function appendForAll(relay, ...raws) {
  relay.showAll(...raws);
  relay.run();
}

describe('who may end the room', () => {
  it("an admin's END_ROOM is refused: only the owner ends the room", () => {
    const { alice, bob, mallory, relay } = room({ admins: ['mallory'] });
    const end = signed(mallory, EventKind.END_ROOM, encode.empty());
    appendForAll(relay, end);
    for (const member of [alice, bob]) {
      assert.equal(member.membership.rejected.get(toHex(eventId(end))), 'not-authorized');
      assert.equal(member.state.ended, false);
    }
    assert.equal(bob.receive(alice.text('we are still here')).events[0].text, 'we are still here');
  });
});

describe('who may be kicked', () => {
  it("an admin's kick of the owner is refused: Alice stays listed and nobody waits for a re-key", () => {
    const { alice, bob, mallory, relay } = room({ admins: ['mallory'] });
    const kick = signed(mallory, EventKind.KICK, encode.kick({ target: alice.member.edPk, newRule: null }));
    appendForAll(relay, kick);
    for (const member of [alice, bob]) {
      assert.equal(member.membership.rejected.get(toHex(eventId(kick))), 'cannot-kick-owner');
      assert.equal(member.state.members.has(alice.me.id), true);
      assert.equal(member.state.removed.has(alice.me.id), false);
      assert.equal(member.sendingPaused, false);
    }
    assert.equal(bob.roleOf(alice.me.id), 'owner');
  });
});

describe('concurrent kicks', () => {
  /** Bob (the senior admin) kicks Mallory while Mallory kicks Carol on the same head, her
   *  kick chosen among those she can sign so that its id sorts before Bob's: the tie-break
   *  by id favours her, so only seniority can put Bob's kick first. */
  function race() {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const world = room({ admins: ['bob', 'mallory'] });
      const { bob, mallory, carol } = world;
      const bobs = signed(bob, EventKind.KICK, encode.kick({ target: mallory.member.edPk, newRule: null }));
      const hers = [null, 'approval', 'invite']
        .map((newRule) => signed(mallory, EventKind.KICK, encode.kick({ target: carol.member.edPk, newRule })))
        .find((raw) => toHex(eventId(raw)) < toHex(eventId(bobs)));
      if (hers !== undefined) return { ...world, bobs, hers };
    }
    throw new Error('no kick of Mallory sorted before Bob');
  }

  it("the junior admin being kicked cannot take Carol with her, even when her kick's id sorts first", () => {
    const { alice, carol, mallory, relay, bobs, hers } = race();
    relay.show(alice, hers, bobs);
    relay.show(carol, hers, bobs);
    relay.run();
    for (const member of [alice, carol]) {
      assert.equal(member.membership.rejected.get(toHex(eventId(hers))), 'author-removed');
      assert.equal(member.state.removed.has(mallory.me.id), true);
      assert.equal(member.state.members.has(carol.me.id), true);
      assert.equal(member.state.removed.has(carol.me.id), false);
    }
  });
});

describe('invite tickets', () => {
  it('an invite link used after it expired lets nobody in', () => {
    const clock = sharedClock();
    const { alice, bob, relay } = room({ clock });
    relay.send(alice, alice.setJoinRule('invite'));
    relay.publish();
    relay.run();
    const { frames, url } = alice.invite(1, 60);
    relay.send(alice, frames);
    relay.publish();
    relay.run();
    clock.offset += 61_000;
    const dave = Admission.fromFragment(ORIGIN, url.split('#')[1], 'Dave', undefined, clock);
    const redeem = dave.redeemFrame(alice.membership.head).subarray(2); // on the relay's INVITE_REQUIRED
    appendForAll(relay, redeem);
    for (const member of [alice, bob]) {
      assert.equal(member.state.joinRule, 'invite');
      assert.equal(member.membership.rejected.get(toHex(eventId(redeem))), 'invite-expired');
      assert.equal(member.state.members.has(dave.memberId), false);
      assert.equal([...member.state.invites.values()][0].used, 0);
    }
  });
});

describe('event size', () => {
  it("Mallory's signed event over 32 KiB is refused unread and never passed on", () => {
    const { alice, bob, mallory, relay } = room();
    const payload = new Uint8Array(MAX_EVENT_SIZE); // with its header, past the limit
    const unknownParent = new Uint8Array(32).fill(7); // an orphan is held, and shared, until its parent comes
    const big = createEvent(EventKind.REKEY, mallory.linkKeys.roomId, unknownParent, mallory.member.edSeed, payload).raw;
    assert.ok(big.length > MAX_EVENT_SIZE);
    appendForAll(relay, big);
    for (const member of [alice, bob]) {
      assert.equal(member.membership.rejected.get(toHex(eventId(big))), 'event-malformed');
      assert.equal(member.membership.held().some((raw) => raw.length === big.length), false);
    }
  });
});
