// A client's checks of what the relay hands it against the link (PROTOCOL §3).
import { equal } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';
import { decodeGenesis, genesisHash, genesisSignaturesValid } from '../protocol/genesis.js';
import { vcommit } from './keys.js';

/** The decoded genesis if it and V match the link; else ProtocolError with the first failure.
 *  `asked` is { params, lockPk }: what the relay's LOCK_REQUIRED named on this socket and the
 *  lock key our passphrase gave under it (null: the relay asked for none). A genesis is locked
 *  exactly when the relay asked, with the same parameters, and its lock key is ours. */
export function verifyGenesisForLink(raw, serverShard, linkKeys, expectedHash, origin, nowSeconds, asked = null) {
  const genesis = decodeGenesis(raw);
  const { body } = genesis;
  if (!equal(genesisHash(raw), expectedHash)) throw new ProtocolError('genesis-hash-mismatch');
  if (!equal(body.roomId, linkKeys.roomId)) throw new ProtocolError('genesis-room-mismatch');
  if (!equal(body.authPk, linkKeys.authPk)) throw new ProtocolError('genesis-auth-mismatch');
  if (!genesisSignaturesValid(genesis)) throw new ProtocolError('genesis-bad-signature');
  // The detail names the origin the link was made for: the page tells the person where it belongs.
  if (body.origin !== origin) throw new ProtocolError('genesis-origin-mismatch', body.origin);
  if (serverShard.length !== 32 || !equal(vcommit(linkKeys.linkShard, serverShard), body.vcommit)) {
    throw new ProtocolError('shard-mismatch');
  }
  if ((body.lock === null) !== (asked === null)) throw new ProtocolError('lock-mismatch');
  if (body.lock !== null) {
    const { memoryKib, passes } = body.lock.params;
    if (memoryKib !== asked.params.memoryKib || passes !== asked.params.passes) throw new ProtocolError('lock-mismatch');
    if (!equal(asked.lockPk, body.lock.lockPk)) throw new ProtocolError('wrong-passphrase');
  }
  if (body.expiresAt <= nowSeconds) throw new ProtocolError('genesis-expired');
  return genesis;
}
