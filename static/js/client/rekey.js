// A new epoch after a kick, and key shares (PROTOCOL §8.6), as in atopos_client/rekey.py.
import { concat, equal, u32 } from '../protocol/codec.js';
import { aeadOpen, aeadSeal, randomBytes, x25519PublicKey, x25519Shared } from '../protocol/crypto.js';
import { epochKeys } from './keys.js';
import { kdf } from '../protocol/labels.js';
import { ClientLabel } from './labels.js';
import { GovernanceError } from '../protocol/governance/errors.js';

function shared(secret, publicKey) {
  const result = x25519Shared(secret, publicKey);
  if (result === null) throw new GovernanceError('bad-rekey', 'low-order X25519 key');
  return result;
}

function sealKey(label, sharedEphemeral, sharedStatic, roomId, epochId, ephemeralPk, senderXPk, recipientXPk, context) {
  return kdf(concat(sharedEphemeral, sharedStatic), label, concat(roomId, epochId, ephemeralPk, senderXPk, recipientXPk, context));
}

/** E' from the fresh randomness R, the old epoch and the kick. */
export function nextEpoch(current, fresh, kickId) {
  return epochKeys(kdf(fresh, ClientLabel.EPOCH, concat(current.secret, kickId)), current.counter + 1);
}

/** { payload, epoch }: a REKEY payload sealing fresh randomness to each recipient { edPk, xPk }. */
export function buildRekey(roomId, current, kickId, adminXSecret, recipients) {
  const fresh = randomBytes(32);
  const ephemeral = randomBytes(32);
  const epoch = nextEpoch(current, fresh, kickId);
  const ephemeralPk = x25519PublicKey(ephemeral);
  const adminXPk = x25519PublicKey(adminXSecret);
  const entries = recipients.map(({ edPk, xPk }) => {
    const key = sealKey(ClientLabel.REKEY, shared(ephemeral, xPk), shared(adminXSecret, xPk), roomId, epoch.epochId, ephemeralPk, adminXPk, xPk, kickId);
    const nonce = randomBytes(24);
    return { recipient: edPk, nonce, ciphertext: aeadSeal(key, nonce, concat(roomId, edPk), fresh) };
  });
  return { payload: { kickId, counter: epoch.counter, confirm: epoch.confirm, ephemeralPk, adminXPk, entries }, epoch };
}

/** The new epoch, if this member is a recipient and the bundle checks out. */
export function openRekey(payload, roomId, current, myEdPk, myXSecret) {
  const entry = payload.entries.find((e) => equal(e.recipient, myEdPk));
  if (!entry) throw new GovernanceError('not-a-recipient');
  if (payload.counter !== current.counter + 1) throw new GovernanceError('wrong-epoch');
  const epochId = concat(u32(payload.counter), payload.confirm.subarray(0, 8));
  const key = sealKey(
    ClientLabel.REKEY,
    shared(myXSecret, payload.ephemeralPk),
    shared(myXSecret, payload.adminXPk),
    roomId,
    epochId,
    payload.ephemeralPk,
    payload.adminXPk,
    x25519PublicKey(myXSecret),
    payload.kickId,
  );
  const fresh = aeadOpen(key, entry.nonce, concat(roomId, myEdPk), entry.ciphertext);
  if (fresh === null) throw new GovernanceError('bad-rekey', 'entry does not open');
  const epoch = nextEpoch(current, fresh, payload.kickId);
  if (!equal(epoch.confirm, payload.confirm)) throw new GovernanceError('confirm-mismatch');
  return epoch;
}

/** A KEYSHARE payload giving `recipient` { edPk, xPk } the current epoch. */
export function buildKeyshare(roomId, current, sharerXSecret, recipient) {
  const ephemeral = randomBytes(32);
  const nonce = randomBytes(24);
  const ephemeralPk = x25519PublicKey(ephemeral);
  const sharerXPk = x25519PublicKey(sharerXSecret);
  const key = sealKey(
    ClientLabel.KEYSHARE,
    shared(ephemeral, recipient.xPk),
    shared(sharerXSecret, recipient.xPk),
    roomId,
    current.epochId,
    ephemeralPk,
    sharerXPk,
    recipient.xPk,
    recipient.edPk,
  );
  const ciphertext = aeadSeal(key, nonce, concat(roomId, recipient.edPk), current.secret);
  return { recipient: recipient.edPk, recipientXPk: recipient.xPk, counter: current.counter, ephemeralPk, sharerXPk, nonce, ciphertext };
}

/** The epoch a key share carries, checked against the confirm value its REKEY published. */
export function openKeyshare(payload, roomId, myEdPk, myXSecret, confirm) {
  if (!equal(payload.recipient, myEdPk)) throw new GovernanceError('not-a-recipient');
  const epochId = concat(u32(payload.counter), confirm.subarray(0, 8));
  const key = sealKey(
    ClientLabel.KEYSHARE,
    shared(myXSecret, payload.ephemeralPk),
    shared(myXSecret, payload.sharerXPk),
    roomId,
    epochId,
    payload.ephemeralPk,
    payload.sharerXPk,
    x25519PublicKey(myXSecret),
    myEdPk,
  );
  const secret = aeadOpen(key, payload.nonce, concat(roomId, myEdPk), payload.ciphertext);
  if (secret === null) throw new GovernanceError('bad-rekey', 'share does not open');
  const epoch = epochKeys(secret, payload.counter);
  if (!equal(epoch.confirm, confirm)) throw new GovernanceError('confirm-mismatch');
  return epoch;
}
