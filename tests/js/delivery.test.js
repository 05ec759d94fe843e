// Receivers show each message once, in its sender's order, and show what was lost as a gap; a
// sender keeps its messages until the relay acknowledges them (tests/client/test_delivery.py
// is the Python twin).
//
// Bob's messages reach Alice through a relay that may repeat, reorder and drop them; Mallory
// (a member, so she can seal anything in Bob's name) forges messages to hide Bob's. The inbox
// must never show a message twice, never show Bob's messages out of his order except one that
// arrives after its gap was shown, and never hide a real message because of a forgery.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHex } from '../../static/js/protocol/codec.js';
import {
  ABSENT_WAIT_MS,
  ANSWER_COALESCE_MS,
  ANSWER_MESSAGES,
  ANSWER_WINDOW_MS,
  Chain,
  HELD_PER_SENDER,
  HISTORY_BYTES,
  HISTORY_MESSAGES,
  Inbox,
  SHOWN_IDS_KEPT,
  SentMessages,
  answered,
} from '../../static/js/client/delivery.js';
import { chatMessage } from '../../static/js/client/messages.js';

const BOB = toHex(new Uint8Array(32).fill(0x62));
const CAROL = toHex(new Uint8Array(32).fill(0x63));
const NOW = 1_800_000_000_000;
const nonce = (character) => new Uint8Array(24).fill(character.charCodeAt(0));
/** A SYNC entry naming the last of Alice's messages its asker holds (Alice answers). */
const entry = (afterId, afterNumber) => ({ sender: new Uint8Array(32).fill(0x61), afterId, afterNumber });

/** `asker`'s sync to Alice arrives and is answered at once, as a session does: the resends. */
function answer(sent, asker, syncEntry, nowMs) {
  sent.asked(asker, syncEntry);
  return sent.owed(nowMs, true)[0];
}

/** Bob's messages 1..count as his client numbers them. */
function bobsMessages(count, start = NOW) {
  const sent = new SentMessages();
  return Array.from({ length: count }, (_, i) => sent.compose(`bob ${i + 1}`, start + 10 * (i + 1), start + 10 * (i + 1)));
}

function texts(deliveries) {
  return deliveries.map((d) => (d.type === 'shown' ? d.message.text : `<missed ${d.count}>`));
}

function aliceReceives(inbox, messages, now = NOW) {
  return texts(messages.flatMap((message) => inbox.accept(BOB, message, now)));
}

/** A seeded generator, so that a failing random case can be run again. */
function random(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (low, high) => low + Math.floor(next() * (high - low + 1));
  const shuffle = (items) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { next, int, shuffle, bool: () => next() < 0.5 };
}

/** Swap a Chain method for the length of `action` (the Python tests monkeypatch it). */
function withChainMethod(name, replacement, action) {
  const kept = Chain.prototype[name];
  Chain.prototype[name] = replacement(kept);
  try {
    return action();
  } finally {
    Chain.prototype[name] = kept;
  }
}

describe('the inbox', () => {
  it('shows messages in order as they come', () => {
    assert.deepEqual(aliceReceives(new Inbox(NOW), bobsMessages(3)), ['bob 1', 'bob 2', 'bob 3']);
  });

  it('shows a copy once', () => {
    const [one, two] = bobsMessages(2);
    assert.deepEqual(aliceReceives(new Inbox(NOW), [one, two, one, two, two]), ['bob 1', 'bob 2']);
  });

  it('holds a message that overtook another until that one arrives, then shows both in order', () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    assert.deepEqual(aliceReceives(inbox, [one, three]), ['bob 1']);
    assert.deepEqual(inbox.toAsk(NOW), [BOB]);
    assert.deepEqual(inbox.toAsk(NOW), [], 'asked once');
    assert.deepEqual(aliceReceives(inbox, [two]), ['bob 2', 'bob 3']);
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS), []);
  });

  it('shows what the sender no longer holds as a gap with its count at once when its SYNCED comes, then what waited', () => {
    const [one, , , four, five] = bobsMessages(5);
    const inbox = new Inbox(NOW);
    assert.deepEqual(aliceReceives(inbox, [one, five, four]), ['bob 1']);
    assert.deepEqual(inbox.toAsk(NOW), [BOB]);
    assert.deepEqual(inbox.due(NOW + 100), [], 'no gap before the answer ends');
    // Bob has sent again all he still holds after 1 (neither 2 nor 3): SYNCED ends it.
    assert.deepEqual(texts(inbox.synced(BOB, one.id)), ['<missed 2>', 'bob 4', 'bob 5']);
    assert.deepEqual(inbox.synced(BOB, one.id), [], 'told once');
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS), [], 'no longer waiting');
    assert.deepEqual(aliceReceives(inbox, [bobsMessages(6)[5]]), ['bob 6'], 'later ones show as they come');
  });

  it('changes nothing on an answer from after what Alice lacks (Bob answered Carol, who had more)', () => {
    const [one, two, three, four] = bobsMessages(4);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, four]);
    assert.deepEqual(inbox.synced(BOB, two.id), []);
    assert.deepEqual(aliceReceives(inbox, [two, three]), ['bob 2', 'bob 3', 'bob 4']);
  });

  it('changes nothing on a SYNCED while it waits for nothing, or from a sender it does not follow', () => {
    const [one, two] = bobsMessages(2);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, two]);
    assert.deepEqual(inbox.synced(BOB, one.id), []);
    assert.deepEqual(inbox.synced(CAROL, 0), []);
    assert.deepEqual(aliceReceives(inbox, [bobsMessages(3)[2]]), ['bob 3'], 'and the next message still follows on');
  });

  it("takes the baseline as what it holds when it has shown nothing of the sender's yet", () => {
    // Bob sent 1 to 5 before Alice came in; she gets 7, not 6, and Bob no longer holds 6.
    const messages = bobsMessages(7, NOW - 100);
    const inbox = new Inbox(NOW - 100);
    inbox.hello(BOB, messages[4].id, 5, NOW);
    assert.deepEqual(aliceReceives(inbox, [messages[6]]), []);
    assert.deepEqual(inbox.toAsk(NOW), [BOB]);
    assert.deepEqual(inbox.synced(BOB, messages[5].id), [], 'an answer that began after 6 says nothing of 6');
    assert.deepEqual(texts(inbox.synced(BOB, messages[4].id)), ['<missed 1>', 'bob 7']);
  });

  it('waits for a sender that does not answer, and asks again when its hello says it is back', () => {
    // Bob does not answer (his connection dropped too: a relay that dies tells nobody).
    const [one, , three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, three]);
    assert.deepEqual(inbox.toAsk(NOW), [BOB]);
    assert.deepEqual(inbox.due(NOW + 20_000), []);
    assert.deepEqual(inbox.toAsk(NOW + 20_000), [], 'asked once while he is away');
    inbox.hello(BOB, three.id, three.number, NOW + 20_000);
    assert.deepEqual(inbox.toAsk(NOW + 20_000), [BOB]);
    assert.deepEqual(texts(inbox.synced(BOB, one.id)), ['<missed 1>', 'bob 3']);
  });

  it('shows the gap after a minute when the sender never answers', () => {
    const [one, , three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, three]);
    assert.deepEqual(inbox.toAsk(NOW), [BOB]);
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS - 1), []);
    assert.deepEqual(texts(inbox.due(NOW + ABSENT_WAIT_MS)), ['<missed 1>', 'bob 3']);
  });

  it('shows a message arriving after its gap late, never twice', () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, three]);
    inbox.due(NOW + ABSENT_WAIT_MS);
    const late = inbox.accept(BOB, two, NOW + ABSENT_WAIT_MS + 1);
    assert.deepEqual(late.map((d) => [d.message.text, d.late]), [['bob 2', true]]);
    assert.deepEqual(inbox.accept(BOB, two, NOW + ABSENT_WAIT_MS + 2), []);
  });

  it('starts waiting when a hello names a later message (Alice was away; nobody resends 2 and 3)', () => {
    const [one, , three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one]);
    inbox.hello(BOB, three.id, three.number, NOW);
    const asks = inbox.toAsk(NOW);
    assert.deepEqual(asks, [BOB]);
    assert.deepEqual(inbox.entries(asks), [{ sender: new Uint8Array(32).fill(0x62), afterId: one.id, afterNumber: 1 }]);
    assert.deepEqual(texts(inbox.synced(BOB, one.id)), ['<missed 2>']);
  });

  it('fills the gap a hello announced with the answer to a SYNC', () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one]);
    inbox.hello(BOB, three.id, three.number, NOW);
    assert.deepEqual(aliceReceives(inbox, [two, three]), ['bob 2', 'bob 3']);
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS), []);
  });

  it('takes a first hello as a baseline, not a gap: what Bob said before Alice came is not owed to her', () => {
    const earlier = bobsMessages(5, NOW - 60_000);
    const inbox = new Inbox(NOW);
    inbox.hello(BOB, earlier.at(-1).id, 5, NOW);
    const later = new SentMessages();
    later.lastId = earlier.at(-1).id;
    later.lastNumber = 5;
    const six = later.compose('bob 6', NOW + 5, NOW + 5);
    assert.deepEqual(aliceReceives(inbox, [six]), ['bob 6']);
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS), []);
    assert.deepEqual(inbox.entries([BOB, CAROL]).map((e) => [e.afterId, e.afterNumber]), [[six.id, 6], [0, 0]]);
  });

  it('never shows a resend from before Alice was let in (Bob answering Carol)', () => {
    assert.deepEqual(aliceReceives(new Inbox(NOW), bobsMessages(2, NOW - 10 * 60_000)), []);
  });

  it("cannot be made to hide Bob's next messages by a forgery with a huge number and an id a minute ahead", () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one]);
    const forged = chatMessage(NOW + 60_000, 2 ** 32 - 1, one.id, NOW, 'forged');
    assert.deepEqual(aliceReceives(inbox, [forged, two, three]), ['forged', 'bob 2', 'bob 3']);
    assert.deepEqual(inbox.due(NOW + ABSENT_WAIT_MS), []);
  });

  it("cannot be made to hide Bob's messages by a forged hello", () => {
    const [one, two] = bobsMessages(2);
    const inbox = new Inbox(NOW);
    inbox.hello(BOB, NOW + 59_000, 2 ** 32 - 1, NOW); // before Bob's own hello
    assert.deepEqual(aliceReceives(inbox, [one, two]), ['bob 1', 'bob 2']);
  });

  it("loses only the one message whose exact id a forger guessed (the documented limit)", () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one]);
    const forged = chatMessage(two.id, 2, one.id, two.sentMs, 'forged');
    assert.deepEqual(aliceReceives(inbox, [forged, two, three]), ['forged', 'bob 3']);
  });

  it('shows the gap at once when too many messages wait behind it', () => {
    const messages = bobsMessages(HELD_PER_SENDER + 3);
    const shown = aliceReceives(new Inbox(NOW), [messages[0], ...messages.slice(2)]);
    assert.deepEqual(shown.slice(0, 3), ['bob 1', '<missed 1>', 'bob 3']);
    assert.equal(shown.length, messages.length);
  });

  it('orders each sender on its own', () => {
    const inbox = new Inbox(NOW);
    const carolOne = new SentMessages().compose('carol 1', NOW + 1, NOW + 1);
    assert.equal(inbox.accept(BOB, bobsMessages(1)[0], NOW).length, 1);
    assert.deepEqual(inbox.accept(BOB, chatMessage(NOW + 99, 3, NOW + 50, NOW + 99, 'bob 3'), NOW), []);
    assert.deepEqual(texts(inbox.accept(CAROL, carolOne, NOW)), ['carol 1']);
  });

  it('lets what waited for a passed-over message follow on, and never shows a copy of it', () => {
    const [one, two, three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    aliceReceives(inbox, [one, three]);
    assert.deepEqual(texts(inbox.passOver(BOB, two)), ['bob 3']);
    assert.deepEqual(aliceReceives(inbox, [two]), []);
  });

  it('forgets the oldest shown ids past its bound, and still takes their copies as copies', () => {
    const messages = bobsMessages(SHOWN_IDS_KEPT + 2);
    const inbox = new Inbox(NOW);
    assert.equal(aliceReceives(inbox, messages).length, messages.length);
    const chain = inbox.chains.get(BOB);
    assert.equal(chain.shown.size, SHOWN_IDS_KEPT);
    assert.equal(chain.forgottenBelow, messages[1].id);
    assert.deepEqual(aliceReceives(inbox, messages.slice(0, 3)), []);
  });
});

/** Whatever the relay repeats, reorders and drops, and whatever gaps time out: no message
 *  shows twice, every message that arrives shows, and everything not late is in order. */
function anyDeliveryShowsEachMessageOnceInOrder() {
  for (let seed = 1; seed <= 300; seed += 1) {
    const r = random(seed);
    const count = r.int(1, 12);
    const messages = bobsMessages(count);
    const dropped = new Set(Array.from({ length: r.int(0, 6) }, () => r.int(0, 11)));
    const arriving = messages.filter((_, i) => !dropped.has(i));
    for (let copies = r.int(0, 12); copies > 0; copies -= 1) {
      const i = r.int(0, 11);
      if (i < count) arriving.push(messages[i]);
    }
    const order = r.shuffle(arriving);
    const inbox = new Inbox(NOW);
    const deliveries = [];
    order.forEach((message, step) => {
      deliveries.push(...inbox.accept(BOB, message, NOW + step));
      if (r.bool()) deliveries.push(...inbox.due(NOW + step + ABSENT_WAIT_MS));
    });
    deliveries.push(...inbox.due(NOW + order.length + ABSENT_WAIT_MS));
    const shown = deliveries.filter((d) => d.type === 'shown');
    const numbers = shown.map((d) => d.message.number);
    assert.equal(new Set(numbers).size, numbers.length, `seed ${seed}: a message shown twice`);
    assert.deepEqual(new Set(numbers), new Set(arriving.map((m) => m.number)), `seed ${seed}: an arriving message not shown`);
    const inOrder = shown.filter((d) => !d.late).map((d) => d.message.number);
    assert.deepEqual(inOrder, [...inOrder].sort((a, b) => a - b), `seed ${seed}: out of order`);
  }
}

/** Mallory slips forged messages in Bob's name anywhere into his stream: every real message
 *  of Bob's still shows, once. (A forgery that takes the exact id of a message Bob has yet to
 *  send hides that one message: the inbox test above.) */
function forgeriesNeverHideARealMessage() {
  for (let seed = 1; seed <= 300; seed += 1) {
    const r = random(seed);
    const messages = bobsMessages(8);
    const realIds = new Set(messages.map((m) => m.id));
    const stream = [...messages];
    for (let forged = r.int(0, 6); forged > 0; forged -= 1) {
      const id = r.int(NOW, NOW + 60_000);
      if (realIds.has(id)) continue;
      const number = r.int(1, 2 ** 32 - 1);
      const prev = number === 1 ? 0 : Math.min(id - 1, messages[r.int(0, 99) % 8].id);
      stream.splice(r.int(0, stream.length), 0, chatMessage(id, number, prev, NOW, 'forged'));
    }
    const inbox = new Inbox(NOW);
    const deliveries = stream.flatMap((message, step) => inbox.accept(BOB, message, NOW + step));
    deliveries.push(...inbox.due(NOW + stream.length + ABSENT_WAIT_MS));
    const real = deliveries.filter((d) => d.type === 'shown' && messages.includes(d.message)).map((d) => d.message.text);
    assert.deepEqual(real.sort(), messages.map((m) => m.text).sort(), `seed ${seed}`);
  }
}

describe('random deliveries', () => {
  it('whatever the relay repeats, reorders and drops: each arriving message shows once, in order unless late (300 cases)', () => {
    anyDeliveryShowsEachMessageOnceInOrder();
  });

  it("forgeries slipped anywhere into Bob's stream never hide one of his real messages (300 cases)", () => {
    forgeriesNeverHideARealMessage();
  });

  it('can fail: without the id memory a message shows twice', () => {
    assert.throws(() => withChainMethod('copy', () => () => false, anyDeliveryShowsEachMessageOnceInOrder), /shown twice/);
  });

  it('can fail: with a high-water mark a forgery a minute ahead hides Bob', () => {
    const highWaterMark = (kept) =>
      function copy(message) {
        return kept.call(this, message) || (this.shown.size > 0 && message.id <= Math.max(...this.shown.keys()));
      };
    assert.throws(() => withChainMethod('copy', highWaterMark, forgeriesNeverHideARealMessage), /seed/);
  });
});

describe('sent messages', () => {
  it('numbers each message after the last, its id the seq of its first envelope', () => {
    const sent = new SentMessages();
    const first = sent.compose('one', NOW, NOW);
    const second = sent.compose('two', NOW + 3, NOW + 2);
    assert.deepEqual([first.number, first.prev, first.id], [1, 0, NOW]);
    assert.deepEqual([second.number, second.prev, second.id, second.sentMs], [2, NOW, NOW + 3, NOW + 2]);
    assert.deepEqual([sent.lastId, sent.lastNumber], [NOW + 3, 2]);
  });

  it("keeps a message pending until its envelope's ACK, and only that envelope's", () => {
    const sent = new SentMessages();
    const message = sent.compose('hi', NOW, NOW);
    sent.carried(nonce('n'), message);
    assert.deepEqual(sent.unsent(), []);
    sent.acknowledged(nonce('x'));
    assert.deepEqual([...sent.pending.values()], [message]);
    sent.acknowledged(nonce('n'));
    assert.equal(sent.pending.size, 0);
    assert.deepEqual(sent.unsent(), []);
  });

  it('sends unacknowledged messages again, in order, after a lost connection', () => {
    const sent = new SentMessages();
    const first = sent.compose('one', NOW, NOW);
    const second = sent.compose('two', NOW + 1, NOW + 1);
    const third = sent.compose('three', NOW + 2, NOW + 2);
    for (const [character, message] of [['1', first], ['2', second], ['3', third]]) sent.carried(nonce(character), message);
    sent.acknowledged(nonce('1'));
    assert.deepEqual(sent.unsent(), []);
    sent.connectionLost();
    assert.deepEqual(sent.unsent(), [second, third]);
    assert.deepEqual([second.prev, second.number], [first.id, 2]);
    sent.acknowledged(nonce('2')); // an ACK for the closed connection's envelope means nothing now
    assert.deepEqual(sent.unsent(), [second, third]);
  });

  it("answers a SYNC with what follows the asker's last message, then says whom it answered from where", () => {
    const sent = new SentMessages();
    const messages = Array.from({ length: 5 }, (_, n) => sent.compose(`m${n}`, NOW + n, NOW + n));
    assert.deepEqual(sent.owed(NOW), [[], null], 'nothing owed: no answer');
    sent.asked(CAROL, entry(messages[1].id, 2));
    assert.deepEqual(sent.owed(NOW, true), [messages.slice(2), answered(messages[1].id, [CAROL])]);
    sent.asked(BOB, entry(0, 0));
    assert.deepEqual(sent.owed(NOW + ANSWER_COALESCE_MS, true), [messages, answered(0, [BOB])], 'a new answer names only its own askers');
  });

  it('still says it is done when an answer has nothing left to resend', () => {
    // Bob no longer holds anything after what Carol names: SYNCED tells her at once.
    const sent = new SentMessages();
    const messages = Array.from({ length: 3 }, (_, n) => sent.compose(`m${n}`, NOW + n, NOW + n));
    sent.asked(CAROL, entry(messages[2].id, 3));
    assert.deepEqual(sent.owed(NOW, true), [[], answered(messages[2].id, [CAROL])]);
    assert.deepEqual(sent.owed(NOW + 1), [[], null], 'said once');
  });

  it('answers syncs that come right after an answer together, once, when its timer fires', () => {
    // After a relay restart Bob and Carol both ask: Alice answers Bob at once and then both,
    // from the earliest message either lacks, in one resend (it reaches the whole room).
    const sent = new SentMessages();
    const messages = Array.from({ length: 6 }, (_, n) => sent.compose(`m${n}`, NOW + n, NOW + n));
    assert.deepEqual(answer(sent, BOB, entry(messages[3].id, 4), NOW), messages.slice(4));
    sent.asked(CAROL, entry(messages[1].id, 2));
    assert.deepEqual(sent.owed(NOW + 10, true), [[], null], 'held for the timer: no SYNCED yet');
    assert.deepEqual(answer(sent, BOB, entry(messages[2].id, 3), NOW + 20), []);
    assert.deepEqual(sent.owed(NOW + 1_000), [messages.slice(2), answered(messages[1].id, [CAROL, BOB])], 'each asker once, in the order they asked');
    assert.deepEqual(sent.owed(NOW + 1_100), [[], null]);
  });

  it('holds back a sync right after an answer that resent nothing, too (that answer was a SYNCED)', () => {
    const sent = new SentMessages();
    const messages = Array.from({ length: 3 }, (_, n) => sent.compose(`m${n}`, NOW + n, NOW + n));
    sent.asked(CAROL, entry(messages[2].id, 3));
    assert.deepEqual(sent.owed(NOW, true), [[], answered(messages[2].id, [CAROL])]);
    sent.asked(BOB, entry(messages[2].id, 3));
    assert.deepEqual(sent.owed(NOW + 10, true), [[], null]);
    assert.deepEqual(sent.owed(NOW + 1_000), [[], answered(messages[2].id, [BOB])], 'the timer answers it');
    sent.asked(CAROL, entry(messages[2].id, 3));
    assert.deepEqual(sent.owed(NOW + 1_000 + ANSWER_COALESCE_MS, true), [[], answered(messages[2].id, [CAROL])], 'at once again once the moment passed');
  });

  it('goes on with an answer the budget cut in the next window, and only then says it is done', () => {
    const sent = new SentMessages();
    const messages = Array.from({ length: ANSWER_MESSAGES + 8 }, (_, n) => sent.compose(`m${n}`, NOW + n, NOW + n));
    sent.asked(CAROL, entry(0, 0));
    assert.deepEqual(sent.owed(NOW, true), [messages.slice(0, ANSWER_MESSAGES), null]);
    sent.asked(BOB, entry(messages[ANSWER_MESSAGES + 1].id, ANSWER_MESSAGES + 2)); // within the part to come
    assert.deepEqual(sent.owed(NOW + ANSWER_WINDOW_MS - 1), [[], null]);
    const doneAfter = messages[ANSWER_MESSAGES - 1].id;
    assert.deepEqual(sent.owed(NOW + ANSWER_WINDOW_MS), [messages.slice(ANSWER_MESSAGES), answered(doneAfter, [CAROL, BOB])]);
    assert.deepEqual(sent.owed(NOW + ANSWER_WINDOW_MS + 1), [[], null]);
  });

  it('keeps its last 200 messages to answer with, at most 256 KiB of them', () => {
    const sent = new SentMessages();
    for (let n = 0; n < HISTORY_MESSAGES + 50; n += 1) sent.compose(`m${n}`, NOW + n, NOW + n);
    assert.equal(sent.history.length, HISTORY_MESSAGES);
    assert.equal(sent.history[0].text, 'm50');
    const big = new SentMessages();
    for (let n = 0; n < 40; n += 1) big.compose('x'.repeat(8000), NOW + n, NOW + n);
    assert.equal(big.history.length, Math.floor(HISTORY_BYTES / 8000));
    assert.ok(big.historyBytes <= HISTORY_BYTES);
  });

  it('answers at most 32 messages per 10 s, however often Mallory asks', () => {
    const sent = new SentMessages();
    for (let n = 0; n < HISTORY_MESSAGES + 50; n += 1) sent.compose(`m${n}`, NOW + n, NOW + n);
    let resent = 0;
    for (let i = 0; i < 20; i += 1) resent += answer(sent, CAROL, entry(0, 0), NOW + i).length;
    for (let i = 0; i < 20; i += 1) resent += sent.owed(NOW + 100 + i)[0].length; // the timer, meanwhile
    assert.equal(resent, ANSWER_MESSAGES);
    assert.equal(sent.owed(NOW + ANSWER_WINDOW_MS)[0].length, ANSWER_MESSAGES);
  });
});

describe('what a sync names', () => {
  it('names the last message before the gap, not a forgery a minute ahead', () => {
    const [one, , three] = bobsMessages(3);
    const inbox = new Inbox(NOW);
    const forged = chatMessage(NOW + 59_000, 2 ** 32 - 1, one.id, NOW, 'forged');
    assert.deepEqual(aliceReceives(inbox, [one, forged, three]), ['bob 1', 'forged']);
    const [entry] = inbox.entries(inbox.toAsk(NOW));
    assert.deepEqual([entry.afterId, entry.afterNumber], [one.id, 1]);
    assert.deepEqual(inbox.synced(BOB, forged.id), [], 'an answer after the forgery covers nothing we lack');
  });
});
