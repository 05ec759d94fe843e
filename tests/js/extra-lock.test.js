// Extra Lock in the browser client agrees with libsodium on every shared vector
// (tests/vectors/extra_lock.json): Argon2id, normalising, the bounds, a locked room.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Reader, concat, toHex, u32 } from '../../static/js/protocol/codec.js';
import { decodeLockRequired, encodeLockRequired, encodeUnlock } from '../../static/js/protocol/frames.js';
import { decodeGenesis, genesisHash } from '../../static/js/protocol/genesis.js';
import { MAX_MEMORY_KIB, MAX_PASSES, MAX_WORK_KIB, MIN_MEMORY_KIB, MIN_PASSES, lockParams, readLockParams } from '../../static/js/protocol/extra-lock.js';
import { signUnlock } from '../../static/js/protocol/joinproof.js';
import { lockPublicKey, lockSeed, passphraseBytes, passphraseLongEnough, passphraseShard } from '../../static/js/client/extra-lock.js';
import { deriveLinkKeys, firstEpoch, memberKeys, roomSecret } from '../../static/js/client/keys.js';
import { b, load } from './vectors.js';

const vectors = load('extra_lock.json');

describe('Extra Lock: Argon2id to the lock key', () => {
  for (const testCase of vectors.derivations) {
    it(`${testCase.memory_kib} KiB x ${testCase.passes}: noble gives libsodium's P`, async () => {
      const params = lockParams(testCase.memory_kib, testCase.passes);
      const linkShard = b(testCase.link_shard);
      const { pwsalt } = deriveLinkKeys(linkShard);
      assert.equal(toHex(pwsalt), testCase.pwsalt);
      const shard = await passphraseShard(testCase.passphrase, pwsalt, params);
      assert.equal(toHex(shard), testCase.passphrase_shard);
      assert.equal(toHex(lockSeed(linkShard, shard)), testCase.lock_seed);
      assert.equal(toHex(lockPublicKey(linkShard, shard)), testCase.lock_pk);
    });
  }
});

describe('Extra Lock: passphrases are normalised', () => {
  for (const testCase of vectors.normalisation) {
    it(testCase.name, () => assert.equal(toHex(passphraseBytes(testCase.passphrase)), testCase.bytes));
  }
  it('a creator needs at least 8 characters, counted as people count them', () => {
    assert.equal(passphraseLongEnough('  short  '), false);
    assert.equal(passphraseLongEnough('東京の雨が好きです'), true);
  });
});

describe('Extra Lock: parameters stay inside the bounds', () => {
  it('the bounds are the shared ones', () => {
    assert.deepEqual(
      { min_memory_kib: MIN_MEMORY_KIB, max_memory_kib: MAX_MEMORY_KIB, min_passes: MIN_PASSES, max_passes: MAX_PASSES, max_work_kib: MAX_WORK_KIB },
      vectors.bounds,
    );
  });
  for (const testCase of vectors.params) {
    it(`${testCase.memory_kib} KiB x ${testCase.passes}: ${testCase.valid ? 'accepted' : 'refused'}`, () => {
      const read = () => readLockParams(new Reader(concat(u32(testCase.memory_kib), u32(testCase.passes)), 'malformed'));
      if (testCase.valid) assert.deepEqual(read(), { memoryKib: testCase.memory_kib, passes: testCase.passes });
      else assert.throws(read, (error) => error.code === 'malformed');
    });
  }
});

describe('Extra Lock: a locked room end to end', () => {
  const room = vectors.room;
  it('the passphrase, the genesis, the room secret and the UNLOCK frame', async () => {
    const params = lockParams(room.memory_kib, room.passes);
    const linkShard = b(room.link_shard);
    const keys = deriveLinkKeys(linkShard);
    const shard = await passphraseShard(room.passphrase, keys.pwsalt, params);
    assert.equal(toHex(shard), room.passphrase_shard);
    const genesis = decodeGenesis(b(room.genesis));
    assert.deepEqual(genesis.body.lock, { params, lockPk: b(room.lock_pk) });
    assert.equal(toHex(genesisHash(b(room.genesis))), room.genesis_hash);
    const secret = roomSecret(linkShard, b(room.server_shard), genesisHash(b(room.genesis)), shard);
    assert.equal(toHex(secret), room.room_secret);
    assert.equal(toHex(firstEpoch(secret).secret), room.epoch0_secret);
    const member = memberKeys(b(room.member_ed_seed), b(room.member_x_secret));
    const signature = signUnlock(lockSeed(linkShard, shard), room.origin, keys.roomId, b(room.challenge), member.edPk, member.xPk);
    assert.equal(toHex(signature), room.unlock_signature);
    const memberSignature = signUnlock(member.edSeed, room.origin, keys.roomId, b(room.challenge), member.edPk, member.xPk);
    assert.equal(toHex(memberSignature), room.member_unlock_signature);
    assert.equal(toHex(encodeUnlock(signature, memberSignature)), room.frames.unlock);
    assert.equal(toHex(encodeLockRequired(params)), room.frames.lock_required);
    assert.deepEqual(decodeLockRequired(b(room.frames.lock_required)).params, params);
  });
});
