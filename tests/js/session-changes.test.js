// What every member is told when the room's log changes its people or rules: the session
// events the page turns into "Bob was removed by an admin", "The room is now locked"…
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { randomBytes } from '../../static/js/protocol/crypto.js';
import { serverFrames } from '../../static/js/protocol/frames.js';
import { EventKind } from '../../static/js/protocol/governance/events.js';
import { encode } from '../../static/js/protocol/governance/payloads.js';
import { ticketPublicKey } from '../../static/js/client/tickets.js';
import { Admission } from '../../static/js/client/admission.js';
import { ORIGIN, joined, signed, trio } from './relay-double.js';

const CHANGES = new Set(['removed', 'promoted', 'demoted', 'locked', 'join-rule', 'cap', 'phrase']);

/** Alice's open room with Bob and Carol, all introduced, and nothing seen yet. */
function quietTrio() {
  const room = trio();
  for (const events of room.relay.seen.values()) events.length = 0;
  return room;
}

/** `session`'s change events since the room was set up, as [type, detail] pairs. */
function changesSeen(relay, session) {
  return relay.seen
    .get(session)
    .filter((event) => CHANGES.has(event.type))
    .map((event) => [event.type, event.member?.name ?? event.rule ?? event.cap ?? event.phrase ?? null]);
}

/** An admin's action, appended by an honest relay for everyone until the room is quiet. */
function act(relay, author, frames) {
  relay.send(author, frames);
  while (relay.appends.length) {
    relay.publish();
    relay.run();
  }
}

describe('changes every member is told', () => {
  it('a kick reads as a removal by an admin for everyone, and the closed connection adds no "left"', () => {
    const { alice, bob, carol, relay } = quietTrio();
    act(relay, alice, alice.kick(bob.me.id));
    const { events } = carol.receive(serverFrames.left({ edPk: bob.member.edPk }));
    assert.deepEqual(events, []);
    for (const member of [alice, carol]) {
      assert.deepEqual(changesSeen(relay, member), [
        ['removed', 'Bob'],
        ['join-rule', 'approval'],
        ['phrase', alice.phrase],
      ]);
    }
  });

  it('the safety phrase is announced once per kick, after its re-key, and is the one everyone holds', () => {
    const { alice, bob, carol, relay } = quietTrio();
    act(relay, alice, alice.kick(bob.me.id, true));
    assert.equal(carol.epoch.counter, 1);
    assert.deepEqual(changesSeen(relay, carol), [
      ['removed', 'Bob'],
      ['phrase', carol.phrase],
    ]);
    assert.equal(carol.phrase, alice.phrase);
  });

  it('promotion, demotion, rule, cap and lock are each told to a member who did not act', () => {
    const { alice, bob, carol, relay } = quietTrio();
    act(relay, alice, alice.promote(bob.me.id));
    act(relay, alice, alice.demote(bob.me.id));
    act(relay, alice, alice.setJoinRule('invite', 12));
    act(relay, alice, alice.lock());
    const told = changesSeen(relay, carol).filter(([type]) => type !== 'phrase');
    assert.deepEqual(told, [
      ['promoted', 'Bob'],
      ['demoted', 'Bob'],
      ['join-rule', 'invite'],
      ['cap', 12],
      ['locked', null],
    ]);
    assert.equal(changesSeen(relay, carol).filter(([type]) => type === 'phrase').length, 4);
  });

  it('a newcomer is told nothing about the log it catches up on, nor about its own arrival', () => {
    const { alice, bob, relay } = quietTrio();
    act(relay, alice, alice.promote(bob.me.id));
    act(relay, alice, alice.setJoinRule('open', 9));
    const dave = joined(alice, 'Dave');
    relay.enter(dave);
    assert.deepEqual(changesSeen(relay, dave), []);
    assert.equal(dave.state.members.has(dave.me.id), true);
  });

  it('an owner coming back to a remembered room is told nothing about the log it catches up on', () => {
    const { alice, bob, relay } = quietTrio();
    act(relay, alice, alice.promote(bob.me.id));
    act(relay, alice, alice.lock());
    const returning = Admission.fromStorage(ORIGIN, alice.admission.toStorage());
    const log = alice.membership.resolution.accepted.map((event) => serverFrames.governance(event.raw));
    const welcome = serverFrames.welcome({ serverShard: alice.welcome.subarray(2, 34), genesis: alice.genesis.raw, logLength: log.length });
    const { session: back } = returning.acceptWelcome(welcome);
    const { events } = back.catchUp(log);
    back.entered();
    assert.equal(back.isOwner, true);
    assert.deepEqual(events.filter((event) => CHANGES.has(event.type)), []);
  });

  it('a member who was there is told the newcomer changed the phrase (an open room lists each key)', () => {
    const { alice, carol, relay } = quietTrio();
    const before = carol.phrase;
    relay.enter(joined(alice, 'Dave'));
    assert.notEqual(carol.phrase, before);
    assert.deepEqual(changesSeen(relay, carol), [['phrase', carol.phrase]]);
  });

  it('events shown again, or from both sides of a fork, are told once', () => {
    const { alice, bob, carol, relay } = quietTrio();
    act(relay, alice, alice.promote(bob.me.id));
    // The relay shows Alice a new rule and Bob an invite, on the same parent.
    relay.show(alice, signed(alice, EventKind.SET_JOIN_RULE, encode.setJoinRule({ rule: 'approval', cap: 0 })));
    relay.show(bob, signed(bob, EventKind.INVITE, encode.invite({ ticketPk: ticketPublicKey(randomBytes(32)), uses: 2, expiresAtMs: 2 ** 40 })));
    relay.run();
    relay.send(alice, [alice.text('hello')]);
    relay.run();
    relay.send(carol, [carol.text('hi')]);
    relay.run();
    assert.equal(bob.membership.forked, true);
    for (const member of [alice, bob]) {
      const rules = changesSeen(relay, member).filter(([type]) => type === 'join-rule');
      assert.deepEqual(rules, [['join-rule', 'approval']]);
    }
    const phrases = changesSeen(relay, bob).filter(([type]) => type === 'phrase');
    assert.equal(phrases.at(-1)[1], alice.phrase);
    assert.equal(new Set(phrases.map(([, phrase]) => phrase)).size, phrases.length, 'no phrase told twice');
    const count = relay.seen.get(bob).length;
    relay.show(bob, ...alice.membership.held());
    relay.run();
    assert.equal(relay.seen.get(bob).length, count);
  });
});
