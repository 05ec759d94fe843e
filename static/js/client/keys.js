// Key material from the link shard to epoch keys (PROTOCOL §2, §4.1).
import { concat, u32 } from '../protocol/codec.js';
import { ed25519PublicKey, randomBytes, x25519PublicKey } from '../protocol/crypto.js';
import { kdf } from '../protocol/labels.js';
import { roomIdFor } from '../protocol/room-id.js';
import { ClientLabel } from './labels.js';

const EMPTY = new Uint8Array(0);

/** Room id, auth key pair and Argon2id salt from L. Extra Lock's key comes from L and P
 *  (extra-lock.js): the room id must be found before anyone asks for P. */
export function deriveLinkKeys(linkShard) {
  if (linkShard.length !== 32) throw new Error('the link shard is 32 bytes');
  const authSeed = kdf(linkShard, ClientLabel.AUTH);
  const authPk = ed25519PublicKey(authSeed);
  return Object.freeze({
    linkShard,
    roomId: roomIdFor(authPk),
    authSeed,
    authPk,
    pwsalt: kdf(linkShard, ClientLabel.PWSALT, EMPTY, 16),
  });
}


/** The link holder's MAC of the server shard V, kept in the genesis. */
export function vcommit(linkShard, serverShard) {
  return kdf(linkShard, ClientLabel.VCOMMIT, serverShard);
}

/** S = KDF(L, atopos1-secret, V ‖ P ‖ g): the keyed shard combiner. */
export function roomSecret(linkShard, serverShard, genesisHash, passphraseShard = EMPTY) {
  if (serverShard.length !== 32 || genesisHash.length !== 16) throw new Error('V is 32 bytes and g is 16');
  return kdf(linkShard, ClientLabel.SECRET, concat(serverShard, passphraseShard, genesisHash));
}

/** The keys of one epoch, all derived from its secret E. */
export function epochKeys(secret, counter) {
  const confirm = kdf(secret, ClientLabel.CONFIRM);
  return Object.freeze({
    counter,
    secret,
    msgKey: kdf(secret, ClientLabel.MSG),
    confirm,
    bindKey: kdf(secret, ClientLabel.BIND),
    kcv: kdf(secret, ClientLabel.KCV, EMPTY, 16),
    // counter ‖ confirm[0:8]: two branches may both reach the same counter.
    epochId: concat(u32(counter), confirm.subarray(0, 8)),
  });
}

/** Epoch 0, from the room secret S. */
export function firstEpoch(roomSecretValue) {
  return epochKeys(kdf(roomSecretValue, ClientLabel.EPOCH0), 0);
}

/** A member's bind tag: only holders of the epoch secret can make it. */
export function bindTag(epoch, roomId, edPk, xPk) {
  return kdf(epoch.bindKey, ClientLabel.BINDTAG, concat(roomId, edPk, xPk));
}

/** A member's per-room, per-tab keys from their seeds (random unless given). */
export function memberKeys(edSeed = randomBytes(32), xSecret = randomBytes(32)) {
  return Object.freeze({ edSeed, xSecret, edPk: ed25519PublicKey(edSeed), xPk: x25519PublicKey(xSecret) });
}
