// A member's key binding: which X25519 key receives a member's re-keys (PROTOCOL §5.2, §8.2).
// Two signatures over "atopos/v2/member\0" ‖ room_id ‖ ed_pk ‖ x_pk: the member's own
// (nobody binds another X25519 key to someone's signing key) and the room auth key's (only
// a link holder vouches, so a relay cannot invent a newcomer). Re-keys and key shares are
// sealed only to keys a binding in the signed log names, never to a key from a hello.
// atopos_protocol/binding.py is the reference.
import { concat } from './codec.js';
import { isValidPoint, x25519Shared } from './crypto.js';
import { Prefix, signPrefixed, verifyPrefixedCached } from './signatures.js';

export const BINDING_SIZE = 32 + 64 + 64;
// Any fixed scalar: X25519 with a low-order point gives all zeros whatever the scalar.
const PROBE_SCALAR = Uint8Array.from({ length: 32 }, (_, index) => index + 1);

/** Not a low-order point: a re-key sealed to it would carry no secret (and fail). */
export function x25519Usable(xPk) {
  return xPk instanceof Uint8Array && xPk.length === 32 && x25519Shared(PROBE_SCALAR, xPk) !== null;
}

function message(roomId, edPk, xPk) {
  return concat(roomId, edPk, xPk);
}

/** `edSeed`'s own signature binding `xPk` to its key in `roomId`. */
export function signMember(edSeed, edPk, roomId, xPk) {
  return signPrefixed(edSeed, Prefix.MEMBER, message(roomId, edPk, xPk));
}

/** The room auth key's signature: a link holder vouches for this key pair. */
export function signLink(authSeed, roomId, edPk, xPk) {
  return signPrefixed(authSeed, Prefix.MEMBER, message(roomId, edPk, xPk));
}

/** True when the room's auth key signed this key pair. */
export function linkSigValid(authPk, roomId, edPk, xPk, linkSig) {
  return verifyPrefixedCached(authPk, Prefix.MEMBER, message(roomId, edPk, xPk), linkSig);
}

/** The binding a member presents when it joins: { xPk, memberSig, linkSig }. */
export function makeBinding(member, authSeed, roomId) {
  return Object.freeze({
    xPk: member.xPk,
    memberSig: signMember(member.edSeed, member.edPk, roomId, member.xPk),
    linkSig: signLink(authSeed, roomId, member.edPk, member.xPk),
  });
}

/** Both signatures verify strictly and both keys are usable points. */
export function bindingValid(binding, roomId, authPk, edPk) {
  if (!isValidPoint(edPk) || !x25519Usable(binding.xPk)) return false;
  const signed = message(roomId, edPk, binding.xPk);
  return (
    verifyPrefixedCached(edPk, Prefix.MEMBER, signed, binding.memberSig) &&
    verifyPrefixedCached(authPk, Prefix.MEMBER, signed, binding.linkSig)
  );
}

export function encodeBinding({ xPk, memberSig, linkSig }) {
  return concat(xPk, memberSig, linkSig);
}

/** A binding read from `reader` (a bytes.js Reader). */
export function readBinding(reader) {
  return Object.freeze({ xPk: reader.take(32), memberSig: reader.take(64), linkSig: reader.take(64) });
}
