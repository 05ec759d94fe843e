// Chat delivery between browser sessions through the relay double: acknowledgements, resends
// after a reconnect, SYNC answers and gaps (tests/client/test_session_state_machine.py plays
// the same against any interleaving with the Python client).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHex } from '../../static/js/protocol/codec.js';
import { serverFrames } from '../../static/js/protocol/frames.js';
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { InnerKind, SEQ_AHEAD_MS, chatMessage, decodeChatMessage, decodeHello, decodeSync, decodeSynced, encodeChatMessage, encodeSynced, syncedAskersPerEnvelope } from '../../static/js/client/messages.js';
import { ABSENT_WAIT_MS, ANSWER_MESSAGES } from '../../static/js/client/delivery.js';
import { RelayDouble, founded, joined } from './relay-double.js';

/** A clock the test moves forward; all members share it. */
function sharedClock() {
  const clock = () => Date.now() + clock.offset;
  clock.offset = 0;
  return clock;
}

/** A clock that moves only when the test moves it (for waits timed to the millisecond). */
function stoppedClock() {
  const start = Date.now();
  const clock = () => start + clock.offset;
  clock.offset = 0;
  return clock;
}

/** Alice's open room with Bob and Carol, all introduced, on one clock, nothing seen yet. */
function trio(clock = sharedClock()) {
  const alice = founded('Alice', { clock });
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const bob = joined(alice, 'Bob', clock);
  relay.enter(bob);
  const carol = joined(alice, 'Carol', clock);
  relay.enter(carol);
  for (const events of relay.seen.values()) events.length = 0;
  return { alice, bob, carol, relay, clock };
}

/** [sender name, text] of every message `session` was shown. */
function shown(relay, session) {
  return relay.seen
    .get(session)
    .filter((event) => event.type === 'message')
    .map((event) => [event.member.name, event.text]);
}

/** What an envelope `session` sent carries inside (its inner kind and body). */
function inside(session, frame) {
  return openEnvelope(frame, session.linkKeys.roomId, session.mode, session.membership.epochs).plaintext;
}

/** The text of each TEXT envelope in `frames` and the SYNCED ones as { afterId, lastId,
 *  lastNumber, askers } (askers as member ids), in order, as `reader` (a session of the room)
 *  opens them. */
function answerOf(reader, frames) {
  return frames.map((frame) => {
    const { innerKind, body } = inside(reader, frame);
    if (innerKind === InnerKind.TEXT) return decodeChatMessage(body, reader.mode).text;
    assert.equal(innerKind, InnerKind.SYNCED);
    const done = decodeSynced(body);
    return { ...done, askers: done.askers.map(toHex) };
  });
}

/** [type, sender name, count or text] of chat events. */
function chat(events) {
  return events.filter((event) => ['message', 'missed'].includes(event.type)).map((event) => [event.type, event.member.name, event.count ?? event.text]);
}

/** A message id of `session`'s, from the envelope that carried it. */
function idOf(session, frame) {
  return decodeChatMessage(inside(session, frame).body, session.mode).id;
}

describe('a sender', () => {
  it("keeps a message pending until the relay's ACK names its envelope", () => {
    const { alice, bob, relay } = trio();
    const frame = alice.text('hello');
    assert.equal(alice.sent.pending.size, 1);
    assert.deepEqual(alice.receive(serverFrames.ack({ nonce: new Uint8Array(24) })), { events: [], replies: [] });
    assert.equal(alice.sent.pending.size, 1, 'an ACK for another envelope changes nothing');
    relay.send(alice, [frame]);
    relay.run();
    assert.equal(alice.sent.pending.size, 0);
    assert.deepEqual(shown(relay, bob), [['Alice', 'hello']]);
  });

  it('numbers its messages: id the seq of the first envelope, each naming the one before', () => {
    const { alice, bob } = trio();
    const first = inside(bob, alice.text('one'));
    const second = inside(bob, alice.text('two'));
    const one = decodeChatMessage(first.body, alice.mode);
    const two = decodeChatMessage(second.body, alice.mode);
    assert.deepEqual([one.id, one.number, one.prev, one.sentMs], [first.seq, 1, 0, first.timeMs]);
    assert.deepEqual([two.id, two.number, two.prev], [second.seq, 2, one.id]);
    const hello = decodeHello(inside(bob, alice.hello(false)).body);
    assert.deepEqual([hello.lastId, hello.lastNumber], [two.id, 2]);
  });

  it('refuses a text too long for the room before numbering it: no gap, nothing kept', () => {
    const { alice, bob, relay } = trio();
    assert.throws(() => alice.text('x'.repeat(8001)), RangeError);
    assert.deepEqual([alice.sent.lastNumber, alice.sent.pending.size, alice.sent.history.length], [0, 0, 0]);
    relay.send(alice, [alice.text('fits')]);
    relay.run();
    assert.deepEqual(shown(relay, bob), [['Alice', 'fits']]);
  });
});

describe('a reconnect', () => {
  it("sends again the message whose ACK was lost, and everyone shows it once", () => {
    const { alice, bob, carol, relay } = trio();
    relay.send(alice, [alice.text('hello')]); // fanned out; the connection drops before the ACK
    relay.comeBack(alice);
    relay.run();
    assert.deepEqual(shown(relay, bob), [['Alice', 'hello']]);
    assert.deepEqual(shown(relay, carol), [['Alice', 'hello']]);
    assert.equal(alice.sent.pending.size, 0);
  });

  it('sends a message that never reached the relay once back, in order before newer ones', () => {
    const { alice, bob, relay } = trio();
    alice.text('lost on the way'); // the socket was already dead
    relay.comeBack(alice);
    relay.send(alice, [alice.text('after')]);
    relay.run();
    assert.deepEqual(shown(relay, bob), [['Alice', 'lost on the way'], ['Alice', 'after']]);
    assert.equal(alice.sent.pending.size, 0);
  });

  it("asks for what was lost on its way to the member, and the sender's answer fills the gap", () => {
    const { alice, bob, carol, relay } = trio();
    relay.send(bob, [bob.text('one'), bob.text('two')]);
    relay.comeBack(carol); // whatever was on its way to Carol is lost
    relay.run();
    assert.deepEqual(shown(relay, carol), [['Bob', 'one'], ['Bob', 'two']]);
    assert.deepEqual(shown(relay, alice), [['Bob', 'one'], ['Bob', 'two']], 'the answer reaches Alice too: copies, not shown again');
  });
});

describe('a SYNC', () => {
  it("is answered by the sender it names, with what follows the asker's last message", () => {
    const { alice, bob, carol, relay } = trio();
    relay.send(bob, [bob.text('one')]);
    relay.run();
    const lost = [bob.text('two'), bob.text('three')]; // never reach anyone
    assert.equal(lost.length, 2);
    const [sync] = carol.syncFrames([bob.me.id, alice.me.id]);
    const entries = decodeSync(inside(bob, sync).body);
    assert.deepEqual(entries.map((entry) => [entry.afterNumber > 0, entry.afterId > 0]), [[true, true], [false, false]]);
    const fromAlice = answerOf(carol, alice.receive(sync).replies);
    const askers = [carol.me.id];
    assert.deepEqual(fromAlice, [{ afterId: 0, lastId: 0, lastNumber: 0, askers }], 'Alice answers for her own messages only: she has sent none');
    const answer = bob.receive(sync).replies;
    const afterId = entries[0].afterId;
    assert.deepEqual(answerOf(carol, answer), ['two', 'three', { afterId, lastId: bob.sent.lastId, lastNumber: 3, askers }], 'the resends, then SYNCED naming Carol');
    assert.ok(inside(carol, answer[2]).seq > bob.sent.lastId, 'sealed after the last message it names');
    const heard = answer.flatMap((frame) => carol.receive(frame).events);
    assert.deepEqual(heard.map((event) => event.text), ['two', 'three']);
  });

  it('is answered with SYNCED alone when nothing after the asker\'s last message is left', () => {
    const { bob, carol } = trio();
    const one = bob.text('one');
    carol.receive(one);
    const [sync] = carol.syncFrames([bob.me.id]);
    const answer = bob.receive(sync).replies;
    const id = idOf(carol, one);
    assert.deepEqual(answerOf(carol, answer), [{ afterId: id, lastId: id, lastNumber: 1, askers: [carol.me.id] }]);
    const { events, replies } = carol.receive(answer[0]);
    assert.deepEqual([events, replies], [[], []], 'nothing awaited: nothing to show');
  });

  it('is answered together with those right after it: one answer, one SYNCED, when the timer fires', () => {
    const { alice, bob, carol } = trio();
    const [one, two] = [bob.text('one'), bob.text('two')];
    carol.receive(one);
    carol.receive(two);
    alice.receive(one);
    const [fromCarol] = carol.syncFrames([bob.me.id]);
    const [fromAlice] = alice.syncFrames([bob.me.id]);
    const last = { lastId: idOf(carol, two), lastNumber: 2 };
    assert.deepEqual(answerOf(carol, bob.receive(fromCarol).replies), [{ afterId: idOf(carol, two), ...last, askers: [carol.me.id] }]);
    assert.deepEqual(bob.receive(fromAlice).replies, [], 'held back: an answer just went to the whole room');
    assert.deepEqual(answerOf(carol, bob.tick().replies), ['two', { afterId: idOf(carol, one), ...last, askers: [alice.me.id] }]);
    assert.deepEqual(bob.tick().replies, [], 'once');
  });

  it('that asks for more than the answer budget gets the rest in the next window, and only then SYNCED', () => {
    const { bob, carol, clock } = trio();
    const frames = Array.from({ length: ANSWER_MESSAGES + 3 }, (_, n) => bob.text(`m${n}`));
    const [sync] = carol.syncFrames([bob.me.id]);
    const first = answerOf(carol, bob.receive(sync).replies);
    assert.deepEqual(first, frames.slice(0, ANSWER_MESSAGES).map((_, n) => `m${n}`), 'cut by the budget: no SYNCED yet');
    assert.deepEqual(bob.tick().replies, [], 'the budget is spent for this window');
    clock.offset += 10_000;
    const rest = answerOf(carol, bob.tick().replies);
    const cut = idOf(carol, frames[ANSWER_MESSAGES - 1]);
    assert.deepEqual(rest, ['m32', 'm33', 'm34', { afterId: cut, lastId: bob.sent.lastId, lastNumber: ANSWER_MESSAGES + 3, askers: [carol.me.id] }]);
  });

  it('is ended by as many SYNCED as it takes to name every asker', () => {
    const { bob, carol } = trio();
    carol.receive(bob.text('one'));
    const size = syncedAskersPerEnvelope(bob.mode);
    const askers = Array.from({ length: size + 1 }, (_, n) => toHex(Uint8Array.of(n >> 8, n & 0xff, ...new Uint8Array(30))));
    for (const asker of askers) bob.sent.asked(asker, { sender: bob.member.edPk, afterId: bob.sent.lastId, afterNumber: 1 });
    const parts = answerOf(carol, bob.tick().replies);
    assert.deepEqual(parts.map((part) => part.askers.length), [size, 1]);
    assert.deepEqual(parts.flatMap((part) => part.askers), askers);
  });

  it('is answered by no resend and no SYNCED while the sender may not send', () => {
    const { bob, carol } = trio();
    carol.receive(bob.text('one'));
    const [sync] = carol.syncFrames([bob.me.id]);
    Object.defineProperty(bob, 'sendingPaused', { value: true, configurable: true });
    assert.deepEqual(bob.receive(sync).replies, []);
    delete bob.sendingPaused;
    assert.equal(answerOf(carol, bob.tick().replies).length, 1, 'the SYNCED goes once it may send');
  });

  it('goes out by itself when a message arrives before the one it follows', () => {
    const { bob, carol } = trio();
    const [one, two, three] = ['one', 'two', 'three'].map((text) => bob.text(text));
    carol.receive(one);
    const early = carol.receive(three);
    assert.deepEqual(early.events, []);
    assert.deepEqual(early.replies.map((frame) => inside(bob, frame).innerKind), [InnerKind.SYNC]);
    const answer = bob.receive(early.replies[0]).replies;
    assert.deepEqual(answerOf(carol, answer).slice(0, 2), ['two', 'three'], 'two and three, resent, then SYNCED');
    assert.equal(answer.length, 3);
    const heard = [two, ...answer].flatMap((frame) => carol.receive(frame).events);
    assert.deepEqual(heard.map((event) => event.text), ['two', 'three']);
  });
});

describe('a gap', () => {
  it("that its sender no longer holds shows as missed messages as soon as the sender's SYNCED comes", () => {
    const { bob, carol } = trio();
    const frames = ['one', 'two', 'three', 'four'].map((text) => bob.text(text));
    carol.receive(frames[0]);
    const asked = carol.receive(frames[3]);
    assert.deepEqual(asked.events, []);
    assert.deepEqual(carol.tick(), { events: [], replies: [] }, 'waiting, asked once');
    bob.sent.history.splice(0, 3); // Bob no longer holds one to three: he answers with four only
    const answer = asked.replies.flatMap((frame) => bob.receive(frame).replies);
    assert.deepEqual(answerOf(carol, answer).map((part) => part.afterId ?? part), ['four', idOf(carol, frames[0])]);
    assert.deepEqual(answerOf(carol, answer)[1].askers, [carol.me.id]);
    assert.deepEqual(carol.receive(answer[0]).events, [], 'a copy of four: still waiting');
    const { events } = carol.receive(answer[1]);
    assert.deepEqual(chat(events), [
      ['missed', 'Bob', 2],
      ['message', 'Bob', 'four'],
    ]);
    assert.deepEqual(carol.tick(), { events: [], replies: [] }, 'told once');
    assert.deepEqual(carol.receive(answer[1]).events, [], 'a SYNCED again (replayed) changes nothing');
    const late = carol.receive(frames[1]).events;
    assert.deepEqual(late.map((event) => [event.text, event.late]), [['two', true]], 'shown after its gap, marked late');
    assert.deepEqual(carol.receive(bob.text('five')).events.map((event) => [event.text, event.late]), [['five', false]]);
  });

  it("a forgery in Bob's name, a minute ahead with a huge number, hides none of his later messages", () => {
    const { alice: mallory, bob, carol, clock } = trio(); // any member can seal in Bob's name
    const one = bob.text('one');
    carol.receive(one);
    const now = clock();
    const fake = chatMessage(now + SEQ_AHEAD_MS, 2 ** 32 - 1, decodeChatMessage(inside(carol, one).body, carol.mode).id, now, 'forged');
    const plaintext = { innerKind: InnerKind.TEXT, sender: bob.member.edPk, seq: fake.id, head: mallory.membership.head, timeMs: now, body: encodeChatMessage(fake, mallory.mode) };
    const forged = seal(mallory.epoch, mallory.linkKeys.roomId, plaintext, mallory.mode);
    assert.deepEqual(carol.receive(forged).events.map((event) => event.text), ['forged']);
    const heard = ['two', 'three'].flatMap((text) => carol.receive(bob.text(text)).events);
    assert.deepEqual(heard.map((event) => event.text), ['two', 'three']);
    clock.offset += ABSENT_WAIT_MS;
    assert.deepEqual(carol.tick().events, [], 'no gap to show');
  });

  it('stays open on a SYNCED that names Carol but starts after what she lacks', () => {
    const { bob, carol } = trio();
    const frames = ['one', 'two', 'three', 'four'].map((text) => bob.text(text));
    carol.receive(frames[0]);
    carol.receive(frames[3]);
    const { lastId, lastNumber } = bob.sent;
    const afterTwo = encodeSynced({ afterId: idOf(carol, frames[1]), lastId, lastNumber, askers: [carol.member.edPk] });
    const { events: none, replies } = carol.receive(bob.seal(InnerKind.SYNCED, afterTwo));
    assert.deepEqual([none, replies], [[], []], 'it says nothing of two');
    const events = frames.slice(1, 3).flatMap((frame) => carol.receive(frame).events);
    assert.deepEqual(chat(events), [
      ['message', 'Bob', 'two'],
      ['message', 'Bob', 'three'],
      ['message', 'Bob', 'four'],
    ]);
  });
});

describe('a relay double run', () => {
  it('shows what Alice no longer holds as a gap with its count as soon as her answer arrives', () => {
    const { alice, bob, relay } = trio();
    relay.send(alice, [alice.text('seen')]);
    relay.run();
    relay.send(alice, [alice.text('gone one'), alice.text('gone two')]);
    relay.inbox.get(bob).length = 0; // Bob's connection is down: the relay has nowhere to send
    relay.run();
    alice.sent.history.length = 0; // as if she had sent 200 more since
    relay.send(alice, [alice.text('after')]);
    relay.run(); // Bob asks, Alice resends "after" (all she holds) and says she is done
    assert.deepEqual(chat(relay.seen.get(bob)), [
      ['message', 'Alice', 'seen'],
      ['missed', 'Alice', 2],
      ['message', 'Alice', 'after'],
    ]);
  });

  it('shows a gap whose sender never answers after a minute, through tick', () => {
    const { alice, bob, relay, clock } = trio(stoppedClock());
    relay.send(alice, [alice.text('seen')]);
    relay.run();
    relay.send(alice, [alice.text('missed')]);
    relay.inbox.get(bob).length = 0; // lost on its way to Bob
    relay.run();
    const after = bob.receive(alice.text('after')); // Bob's SYNC never reaches Alice
    assert.deepEqual(after.replies.map((frame) => inside(alice, frame).innerKind), [InnerKind.SYNC]);
    assert.deepEqual(chat(relay.seen.get(bob)), [['message', 'Alice', 'seen']]);
    clock.offset += ABSENT_WAIT_MS - 1;
    assert.deepEqual(bob.tick(), { events: [], replies: [] });
    clock.offset += 1;
    assert.deepEqual(chat(bob.tick().events), [
      ['missed', 'Alice', 1],
      ['message', 'Alice', 'after'],
    ]);
  });

  it("takes no answer to someone else as Bob's: he may have come back halfway through it", () => {
    const { alice, bob, relay } = trio();
    relay.send(alice, [alice.text('seen')]);
    relay.run();
    const seenId = alice.sent.lastId;
    relay.send(alice, [alice.text('missed')]);
    relay.inbox.get(bob).length = 0; // lost on its way to Bob
    relay.run();
    bob.receive(alice.text('after')); // Bob's own SYNC does not reach Alice yet
    const carol = new Uint8Array(32).fill(0x63);
    const { lastId, lastNumber } = alice.sent;
    const forCarol = bob.receive(alice.seal(InnerKind.SYNCED, encodeSynced({ afterId: seenId, lastId, lastNumber, askers: [carol] })));
    assert.deepEqual([forCarol.events, forCarol.replies], [[], []]);
    const forBob = bob.receive(alice.seal(InnerKind.SYNCED, encodeSynced({ afterId: seenId, lastId, lastNumber, askers: [carol, bob.member.edPk] })));
    assert.deepEqual(chat(forBob.events), [
      ['missed', 'Alice', 1],
      ['message', 'Alice', 'after'],
    ]);
  });

  it('refuses a SYNCED that names a message after its own envelope', () => {
    const { alice: mallory, bob, carol, clock } = trio(); // any member can seal in Bob's name
    const now = clock();
    const body = encodeSynced({ afterId: now, lastId: now + 1, lastNumber: 1, askers: [carol.member.edPk] });
    const plaintext = { innerKind: InnerKind.SYNCED, sender: bob.member.edPk, seq: now + 1, head: mallory.membership.head, timeMs: now, body };
    assert.equal(carol.receive(seal(mallory.epoch, mallory.linkKeys.roomId, plaintext, mallory.mode)).dropped, 'bad-message-id');
    assert.equal(carol.receive(seal(mallory.epoch, mallory.linkKeys.roomId, { ...plaintext, seq: now + 2 }, mallory.mode)).dropped, undefined);
  });
});
