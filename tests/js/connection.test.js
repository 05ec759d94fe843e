// The page's connection across a lost socket: a message written while it is down waits and
// goes out once back, the page hears that it is back, and what the session's timer finds
// (a gap shown as missed messages) reaches the page (atopos_client/connection.py is the twin).
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { Kind, ackForEnvelope, serverFrames } from '../../static/js/protocol/frames.js';
import { ABSENT_WAIT_MS } from '../../static/js/client/delivery.js';
import { RoomConnection } from '../../static/js/client/connection.js';
import { RelayDouble, founded, joined } from './relay-double.js';

/** A socket the test plays the relay on. */
class FakeSocket {
  static opened = [];

  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    FakeSocket.opened.push(this);
  }

  send(frame) {
    this.sent.push(frame);
  }

  close() {
    this.readyState = 3;
  }

  /** The relay sends `frame`. */
  deliver(frame) {
    this.onmessage({ data: new Uint8Array(frame).buffer });
  }

  /** The network drops the socket. */
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose({ code });
  }

  envelopes() {
    return this.sent.filter((frame) => frame[1] === Kind.ENVELOPE);
  }
}

/** setTimeout and setInterval held by the test, fired when it says (restored by restore()). */
function heldTimers() {
  const real = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'].map((name) => [name, globalThis[name]]);
  const timers = new Map();
  let next = 1;
  const hold = (repeat) => (callback) => {
    timers.set(next, { callback, repeat });
    next += 1;
    return next - 1;
  };
  globalThis.setTimeout = hold(false);
  globalThis.setInterval = hold(true);
  globalThis.clearTimeout = (id) => timers.delete(id);
  globalThis.clearInterval = (id) => timers.delete(id);
  return {
    fire(repeat) {
      for (const [id, timer] of [...timers]) {
        if (timer.repeat !== repeat) continue;
        if (!repeat) timers.delete(id);
        timer.callback();
      }
    },
    restore() {
      for (const [name, value] of real) globalThis[name] = value;
    },
  };
}

/** The relay's side of a (re)join: CHALLENGE, then WELCOME and the log `room` holds. */
function admit(socket, room) {
  socket.deliver(serverFrames.challenge({ challenge: new Uint8Array(32), serverTimeMs: room.clock() }));
  const log = room.membership.resolution.accepted.map((event) => event.raw);
  socket.deliver(serverFrames.welcome({ serverShard: room.welcome.subarray(2, 34), genesis: room.genesis.raw, logLength: log.length }));
  for (const raw of log) socket.deliver(serverFrames.governance(raw));
}

it('a message written while the socket is down goes out once back; the page hears it is back and what tick finds', () => {
  const timers = heldTimers();
  try {
    const clock = () => Date.now() + clock.offset;
    clock.offset = 0;
    const alice = founded('Alice', { clock });
    const relay = new RelayDouble(alice);
    relay.enter(alice);
    const bob = joined(alice, 'Bob', clock);
    relay.enter(bob);
    const statuses = [];
    const heard = [];
    const connection = new RoomConnection({
      admission: alice.admission,
      url: 'wss://chat.example.org/ws/v1',
      WebSocketImpl: FakeSocket,
      random: () => 0,
      callbacks: {
        onStatus: (state, detail) => statuses.push([state, detail]),
        onWaiting: () => {},
        onEntered: () => {},
        onEvents: (events) => heard.push(...events.filter((event) => ['message', 'missed'].includes(event.type))),
        onOver: () => assert.fail('the room is not over'),
        onFailed: (reason) => assert.fail(`failed: ${reason}`),
      },
    });
    connection.start();
    const first = FakeSocket.opened.at(-1);
    admit(first, alice);
    assert.equal(connection.state, 'open');
    assert.deepEqual(statuses.at(-1), ['connected', false]);

    first.drop();
    assert.equal(connection.state, 'waiting');
    assert.equal(connection.sendText('while away'), false);
    timers.fire(false); // the retry
    const second = FakeSocket.opened.at(-1);
    assert.notEqual(second, first);
    assert.equal(connection.sendText('during the handshake'), false);
    assert.deepEqual(second.envelopes(), [], 'no envelope before the relay let us in again');
    assert.equal(connection.unacknowledged, 2);

    admit(second, alice);
    assert.deepEqual(statuses.at(-1), ['connected', true]);
    const shown = second.envelopes().flatMap((frame) => bob.receive(frame).events.filter((event) => event.type === 'message'));
    assert.deepEqual(shown.map((event) => event.text), ['while away', 'during the handshake']);
    for (const frame of second.envelopes()) second.deliver(serverFrames.ack(ackForEnvelope(frame)));
    assert.equal(connection.unacknowledged, 0);

    const [one, , three] = ['one', 'two', 'three'].map((text) => bob.text(text));
    second.deliver(one);
    second.deliver(three);
    assert.deepEqual(heard.map((event) => event.text), ['one']);
    clock.offset += ABSENT_WAIT_MS; // Bob never answers the SYNC (this double keeps it)
    timers.fire(true); // the session's tick
    assert.deepEqual(
      heard.map((event) => [event.type, event.count ?? event.text]),
      [
        ['message', 'one'],
        ['missed', 1],
        ['message', 'three'],
      ],
    );
    connection.leave();
  } finally {
    timers.restore();
  }
});
