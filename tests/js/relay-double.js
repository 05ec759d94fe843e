// A relay test double for browser sessions: envelopes go to everyone else (and each is
// acknowledged to its sender after the fan-out, as the relay does), governance events reach
// only the sessions a test chooses (so it can equivocate).
import { Kind, ackForEnvelope, decodeGovernance, serverFrames } from '../../static/js/protocol/frames.js';
import { createEvent } from '../../static/js/protocol/governance/events.js';
import { Admission } from '../../static/js/client/admission.js';

export const ORIGIN = 'https://chat.example.org';

export function founded(name = 'Alice', options = {}) {
  const admission = Admission.newRoom({ origin: ORIGIN, name, lifetimeSeconds: 3600, serverTimeMs: Date.now(), ...options });
  const { genesis, serverShard } = admission.pending;
  const session = admission.acceptCreated();
  session.welcome = serverFrames.welcome({ serverShard, genesis: genesis.raw });
  return session;
}

/** A member who joined `room` with its link and got the log `room` holds. */
export function joined(room, name, clock = undefined) {
  const admission = Admission.fromFragment(ORIGIN, room.fragment, name, undefined, clock);
  const log = room.membership.resolution.accepted.map((event) => event.raw);
  const welcome = serverFrames.welcome({ serverShard: room.welcome.subarray(2, 34), genesis: room.genesis.raw, logLength: log.length });
  const { session } = admission.acceptWelcome(welcome);
  session.catchUp(log.map((raw) => serverFrames.governance(raw)));
  session.welcome = room.welcome;
  return session;
}

/** Alice's open room with Bob and Carol, whose keys the log binds, all introduced. */
export function trio() {
  const alice = founded('Alice');
  const relay = new RelayDouble(alice);
  relay.enter(alice);
  const bob = joined(alice, 'Bob');
  relay.enter(bob);
  const carol = joined(alice, 'Carol');
  relay.enter(carol);
  return { alice, bob, carol, relay };
}

/** An event `session` signs on its head (or on `parent`). */
export function signed(session, kind, payload, parent = null) {
  return createEvent(kind, session.linkKeys.roomId, parent ?? session.membership.head, session.member.edSeed, payload).raw;
}

export class RelayDouble {
  constructor(...sessions) {
    this.sessions = sessions;
    this.inbox = new Map(sessions.map((s) => [s, []]));
    this.seen = new Map(sessions.map((s) => [s, []]));
    this.appends = []; // events sessions asked to append; this relay decides on them
  }

  show(session, ...raws) {
    for (const raw of raws) this.inbox.get(session).push(serverFrames.governance(raw));
  }

  showAll(...raws) {
    for (const session of this.sessions) this.show(session, ...raws);
  }

  add(session) {
    this.sessions.push(session);
    this.inbox.set(session, []);
    this.seen.set(session, []);
  }

  /** Append what sessions asked to append, for everyone, as an honest relay does. */
  publish() {
    const appended = this.appends;
    this.appends = [];
    this.showAll(...appended);
    return appended;
  }

  /** The session is in: its entering frames go out, its BIND (an open room) is appended for
   *  everyone, and everyone answers hellos. */
  enter(session) {
    if (!this.sessions.includes(session)) this.add(session);
    this.send(session, session.entered());
    this.publish();
    this.run();
  }

  send(sender, frames) {
    for (const frame of frames) {
      if (frame[1] === Kind.ENVELOPE) {
        for (const session of this.sessions) if (session !== sender) this.inbox.get(session).push(frame);
        this.inbox.get(sender).push(serverFrames.ack(ackForEnvelope(frame)));
      } else if (frame[1] === Kind.EVENT) {
        this.appends.push(frame.subarray(2));
      }
    }
  }

  /** `session`'s connection drops and comes back on a new socket: what was on its way to it
   *  is lost, then a second WELCOME (the same session), the log again and what its entered()
   *  sends (hello, resends, SYNC). */
  comeBack(session, log = session.membership.resolution.accepted.map((event) => event.raw)) {
    this.inbox.get(session).length = 0;
    const welcome = serverFrames.welcome({ serverShard: session.welcome.subarray(2, 34), genesis: session.genesis.raw, logLength: log.length });
    const { session: again } = session.admission.acceptWelcome(welcome);
    if (again !== session) throw new Error('a new socket to the same room must keep the session');
    const { events, replies } = session.catchUp(log.map((raw) => serverFrames.governance(raw)));
    this.seen.get(session).push(...events);
    this.send(session, [...replies, ...session.entered()]);
  }

  run(rounds = 200) {
    for (let round = 0; round < rounds; round += 1) {
      const pending = this.sessions.filter((s) => this.inbox.get(s).length > 0);
      if (pending.length === 0) return;
      for (const session of pending) {
        const { events, replies } = session.receive(this.inbox.get(session).shift());
        this.seen.get(session).push(...events);
        this.send(session, replies);
      }
    }
    throw new Error('the sessions never went quiet');
  }
}

export { decodeGovernance };
