// The payload of each event kind (PROTOCOL §8.2).
import { encodeBinding, readBinding } from '../binding.js';
import { Reader, concat, u16, u32, u64, u8 } from '../codec.js';
import { ProtocolError } from '../errors.js';
import { JOIN_RULES } from '../join-rules.js';
import { GovernanceError } from './errors.js';
import { EventKind, MALFORMED } from './events.js';

export const MAX_TICKET_USES = 1000;

function rule(code, allowNone) {
  if (allowNone && code === 0) return null;
  if (code >= JOIN_RULES.length) throw new GovernanceError(MALFORMED, 'join rule');
  return JOIN_RULES[code];
}

function parse(kind, reader) {
  switch (kind) {
    case EventKind.ADMIT: {
      const member = reader.take(32);
      const binding = readBinding(reader);
      return { member, binding, xPk: binding.xPk };
    }
    case EventKind.BIND:
      return { xPk: reader.take(32), linkSig: reader.take(64) };
    case EventKind.INVITE:
      return { ticketPk: reader.take(32), uses: reader.u16(), expiresAtMs: reader.u64() };
    case EventKind.REVOKE_INVITE:
      return { ticketPk: reader.take(32) };
    case EventKind.REDEEM:
      return { ticketPk: reader.take(32), xPk: reader.take(32), timeMs: reader.u64(), ticketSignature: reader.take(64) };
    case EventKind.KICK: {
      const target = reader.take(32);
      return { target, newRule: rule(reader.u8(), true) };
    }
    case EventKind.PROMOTE:
    case EventKind.DEMOTE:
      return { target: reader.take(32) };
    case EventKind.SET_JOIN_RULE:
      return { rule: rule(reader.u8(), false), cap: reader.u16() };
    case EventKind.LOCK:
    case EventKind.END_ROOM:
      return {};
    case EventKind.REKEY: {
      const head = { kickId: reader.take(32), counter: reader.u32(), confirm: reader.take(32), ephemeralPk: reader.take(32), adminXPk: reader.take(32) };
      const count = reader.u16();
      const entries = [];
      for (let i = 0; i < count; i += 1) entries.push({ recipient: reader.take(32), nonce: reader.take(24), ciphertext: reader.take(48) });
      return { ...head, entries };
    }
    default:
      return {
        recipient: reader.take(32),
        recipientXPk: reader.take(32),
        counter: reader.u32(),
        ephemeralPk: reader.take(32),
        sharerXPk: reader.take(32),
        nonce: reader.take(24),
        ciphertext: reader.take(48),
      };
  }
}

/** The typed payload of `event`; GovernanceError event-malformed if it does not parse. */
export function parsePayload(event) {
  const reader = new Reader(event.payload, MALFORMED);
  try {
    const payload = parse(event.kind, reader);
    reader.end();
    return payload;
  } catch (error) {
    if (error instanceof ProtocolError) throw new GovernanceError(MALFORMED, error.message);
    throw error;
  }
}

/** Payload encoders, for the events a browser member writes. */
export const encode = Object.freeze({
  admit: ({ member, binding }) => concat(member, encodeBinding(binding)),
  bind: ({ xPk, linkSig }) => concat(xPk, linkSig),
  invite: ({ ticketPk, uses, expiresAtMs }) => concat(ticketPk, u16(uses), u64(expiresAtMs)),
  revokeInvite: ({ ticketPk }) => ticketPk,
  redeem: ({ ticketPk, xPk, timeMs, ticketSignature }) => concat(ticketPk, xPk, u64(timeMs), ticketSignature),
  kick: ({ target, newRule }) => concat(target, u8(newRule ? JOIN_RULES.indexOf(newRule) : 0)),
  target: ({ target }) => target,
  setJoinRule: ({ rule: value, cap }) => concat(u8(JOIN_RULES.indexOf(value)), u16(cap)),
  empty: () => new Uint8Array(0),
  rekey: ({ kickId, counter, confirm, ephemeralPk, adminXPk, entries }) =>
    concat(kickId, u32(counter), confirm, ephemeralPk, adminXPk, u16(entries.length), ...entries.map((e) => concat(e.recipient, e.nonce, e.ciphertext))),
  keyshare: ({ recipient, recipientXPk, counter, ephemeralPk, sharerXPk, nonce, ciphertext }) =>
    concat(recipient, recipientXPk, u32(counter), ephemeralPk, sharerXPk, nonce, ciphertext),
});
