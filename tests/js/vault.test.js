// The local key vault (PROTOCOL §2.2): what "Remember this room on this device" seals into a
// browser's IndexedDB, and what opens it again. Alice keeps her rooms under a passphrase;
// Mallory copies the browser's files and has the records, not the passphrase.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { concat, fromUtf8, toHex, utf8 } from '../../static/js/protocol/codec.js';
import { aeadOpen, argon2id } from '../../static/js/protocol/crypto.js';
import { lockParams } from '../../static/js/protocol/extra-lock.js';
import { Admission } from '../../static/js/client/admission.js';
import { DEFAULT_LOCK_PARAMS, passphraseBytes } from '../../static/js/client/extra-lock.js';
import { parseFragment } from '../../static/js/client/link.js';
import { CHECK_ID, DEFAULT_VAULT_PARAMS, META_ID, ROOM_PREFIX, VAULT_FORMAT, Vault, VaultError, isRoomRecord, newRoomId, recordAad } from '../../static/js/client/vault.js';
import { load } from './vectors.js';

const ORIGIN = 'https://chat.example.org';
const LINK = load('links.json').cases.find((testCase) => testCase.name === 'valid').fragment;
const PASSPHRASE = 'four calm herons at dusk';

/** What a tab's Admission.toStorage() gives for Alice in the vector room (with Extra Lock's P). */
function aliceEntry(name = 'Alice', { shard = true } = {}) {
  const admission = Admission.fromFragment(ORIGIN, LINK, name);
  if (shard) admission.shards.set('12288:1', new Uint8Array(32).fill(7));
  return { room: admission.toStorage(), expiresAt: 1_900_000_000, owner: true, keptAt: 1_800_000_000_000 };
}

/** Every way a secret of the entry could appear in stored bytes. */
function secretsOf(entry) {
  const { linkShard } = parseFragment(entry.room.fragment);
  return [entry.room.fragment, toHex(linkShard), entry.room.fragment.split('.')[1], entry.room.edSeed, entry.room.xSecret, entry.room.name];
}

function containsText(bytes, text) {
  return Buffer.from(bytes).includes(Buffer.from(text, 'utf8'));
}

describe('a new vault', () => {
  let made;
  before(async () => {
    made = await Vault.create(PASSPHRASE);
  });

  it('keeps its format, a fresh 16-byte salt and its Argon2id parameters in a meta record, and nothing else in the clear', () => {
    const [meta] = made.records;
    assert.deepEqual(Object.keys(meta).sort(), ['format', 'id', 'memoryKib', 'passes', 'salt']);
    assert.equal(meta.id, META_ID);
    assert.equal(meta.format, VAULT_FORMAT);
    assert.equal(meta.salt.length, 16);
    assert.deepEqual({ memoryKib: meta.memoryKib, passes: meta.passes }, { ...DEFAULT_VAULT_PARAMS });
  });

  it('is stretched at least as hard as Extra Lock (memory and passes)', () => {
    assert.ok(DEFAULT_VAULT_PARAMS.memoryKib >= DEFAULT_LOCK_PARAMS.memoryKib);
    assert.ok(DEFAULT_VAULT_PARAMS.passes >= DEFAULT_LOCK_PARAMS.passes);
    assert.ok(DEFAULT_VAULT_PARAMS.memoryKib * DEFAULT_VAULT_PARAMS.passes > DEFAULT_LOCK_PARAMS.memoryKib * DEFAULT_LOCK_PARAMS.passes);
  });

  it('uses as its key Argon2id of the normalised passphrase over its salt, and nothing else', async () => {
    const [meta] = made.records;
    const expected = await argon2id(passphraseBytes(PASSPHRASE), meta.salt, { memoryKib: meta.memoryKib, passes: meta.passes, size: 32 });
    assert.equal(toHex(made.vault.key), toHex(expected));
  });

  it('gets a salt of its own: two vaults with one passphrase have different keys', async () => {
    const other = await Vault.create(PASSPHRASE, { params: DEFAULT_LOCK_PARAMS });
    assert.notEqual(toHex(other.records[0].salt), toHex(made.records[0].salt));
    assert.notEqual(toHex(other.vault.key), toHex(made.vault.key));
  });

  it('holds a check record sealed under the key, its AAD naming the format and "check"', () => {
    const check = made.records[1];
    assert.equal(check.id, CHECK_ID);
    assert.equal(check.nonce.length, 24);
    assert.equal(fromUtf8(aeadOpen(made.vault.key, check.nonce, concat(utf8('atopos/vault/v1\0'), utf8('check')), check.sealed)), 'atopos vault check');
  });

  it('needs a passphrase of at least 8 characters', async () => {
    await assert.rejects(Vault.create(' seven  '), (error) => error instanceof VaultError && error.code === 'passphrase-short');
  });
});

describe('sealing and opening a room', () => {
  let made;
  let alice;
  let records;
  before(async () => {
    made = await Vault.create(PASSPHRASE);
    alice = aliceEntry();
    records = [...made.records, made.vault.keepRoom(alice)];
  });

  it("opens again with Alice's passphrase exactly as Admission.toStorage() gave it", async () => {
    const vault = await Vault.unlock(records, PASSPHRASE);
    const { id, ...entry } = vault.openRoom(records[2]);
    assert.deepEqual(entry, alice);
    assert.equal(id, records[2].id);
    assert.ok(id.startsWith(ROOM_PREFIX));
    const again = Admission.fromStorage(ORIGIN, entry.room);
    assert.equal(again.memberId, Admission.fromStorage(ORIGIN, alice.room).memberId);
    assert.equal(again.fragment, LINK);
    assert.equal(toHex(again.shards.get('12288:1')), '07'.repeat(32));
  });

  it('opens with the passphrase as pasted, surrounding spaces and all (normalised as Extra Lock does)', async () => {
    assert.notEqual(await Vault.unlock(records, `  ${PASSPHRASE}\n`), null);
  });

  it('recognises a wrong passphrase by its check record, and opens nothing', async () => {
    assert.equal(await Vault.unlock(records, 'four calm herons at dawn'), null);
  });

  it('gives Mallory, who has the records but not the passphrase, none of the room in the clear', () => {
    const stored = records.map((record) => concat(utf8(JSON.stringify({ ...record, nonce: undefined, sealed: undefined })), record.nonce ?? new Uint8Array(0), record.sealed ?? record.salt));
    for (const secret of secretsOf(alice)) {
      for (const bytes of stored) assert.equal(containsText(bytes, secret), false, secret);
    }
    assert.doesNotMatch(records[2].id, new RegExp(secretsOf(alice).slice(1, 5).join('|')));
  });

  it('seals each record under a fresh 24-byte nonce: the same room sealed twice differs', () => {
    const first = made.vault.keepRoom(aliceEntry(), 'room.same');
    const second = made.vault.keepRoom(aliceEntry(), 'room.same');
    assert.equal(first.nonce.length, 24);
    assert.notEqual(toHex(first.nonce), toHex(second.nonce));
    assert.notEqual(toHex(first.sealed), toHex(second.sealed));
  });

  it('makes every room record the same size, whatever the name and whether there is an Extra Lock shard', () => {
    const sizes = new Set(
      [aliceEntry('A'), aliceEntry('Ａｌｉｃｅ von der Vogelweide-Świętokrzyska 東京の雨', { shard: false }), aliceEntry('', { shard: false })].map(
        (entry) => made.vault.keepRoom(entry).sealed.length,
      ),
    );
    assert.deepEqual([...sizes], [1024 + 16]);
  });

  it('finds the record that keeps the same link, so keeping a room twice replaces it', () => {
    assert.equal(made.vault.findRoom(records, LINK), records[2].id);
    assert.equal(made.vault.findRoom(records, 'v2.' + 'A'.repeat(43) + '.' + 'A'.repeat(22)), null);
  });

  it('never keeps an invite link: its ticket is spent once redeemed', () => {
    const entry = aliceEntry();
    entry.room.fragment = `${LINK}.${'A'.repeat(43)}`;
    assert.throws(() => made.vault.keepRoom(entry), VaultError);
  });

  it('names a room record by random bytes only', () => {
    assert.match(newRoomId(), /^room\.[0-9a-f]{32}$/);
    assert.notEqual(newRoomId(), newRoomId());
    assert.ok(isRoomRecord(records[2]));
    assert.equal(isRoomRecord(records[0]) || isRoomRecord(records[1]), false);
  });
});

describe('a record Mallory changed does not open', () => {
  let vault;
  let record;
  before(async () => {
    const made = await Vault.create(PASSPHRASE);
    vault = made.vault;
    record = vault.keepRoom(aliceEntry());
  });

  const flipped = (bytes, index) => {
    const copy = bytes.slice();
    copy[index] ^= 1;
    return copy;
  };

  for (const [what, change] of [
    ['one bit of the sealed room', (r) => ({ ...r, sealed: flipped(r.sealed, 100) })],
    ['one bit of the tag', (r) => ({ ...r, sealed: flipped(r.sealed, r.sealed.length - 1) })],
    ['one bit of the nonce', (r) => ({ ...r, nonce: flipped(r.nonce, 0) })],
    ['the sealed room cut short', (r) => ({ ...r, sealed: r.sealed.slice(0, -1) })],
    ['a nonce of the wrong size', (r) => ({ ...r, nonce: r.nonce.slice(0, 12) })],
  ]) {
    it(`with ${what}`, () => {
      assert.notEqual(vault.openRoom(record), null);
      assert.equal(vault.openRoom(change(record)), null);
    });
  }

  it('moved to another id: the AAD binds each record to its own', () => {
    assert.equal(vault.openRoom({ ...record, id: newRoomId() }), null);
  });

  it('moved into the check record: the check then fails, as for a wrong passphrase', async () => {
    const made = await Vault.create(PASSPHRASE, { params: DEFAULT_LOCK_PARAMS });
    const swapped = [made.records[0], { ...made.vault.keepRoom(aliceEntry()), id: CHECK_ID }];
    assert.equal(await Vault.unlock(swapped, PASSPHRASE), null);
  });

  it('under another format version: the AAD names the version', () => {
    assert.deepEqual(recordAad(record.id), concat(utf8('atopos/vault/v1\0'), utf8(record.id)));
    const v2 = concat(utf8('atopos/vault/v2\0'), utf8(record.id));
    assert.equal(aeadOpen(vault.key, record.nonce, v2, record.sealed), null);
  });

  it('after the key is wiped, nothing opens', async () => {
    const made = await Vault.create(PASSPHRASE, { params: DEFAULT_LOCK_PARAMS });
    const kept = made.vault.keepRoom(aliceEntry());
    made.vault.wipe();
    assert.equal(toHex(made.vault.key), '00'.repeat(32));
    assert.equal(made.vault.openRoom(kept), null);
  });
});

describe('a vault this page cannot read is refused before any derivation', () => {
  let records;
  before(async () => {
    records = (await Vault.create(PASSPHRASE, { params: DEFAULT_LOCK_PARAMS })).records;
  });
  const withMeta = (change) => [{ ...records[0], ...change }, records[1]];

  for (const [what, change, code] of [
    ['another format', { format: 2 }, 'vault-format'],
    ['a short salt', { salt: new Uint8Array(8) }, 'vault-format'],
    ['parameters weaker than Extra Lock', { memoryKib: 4096, passes: 1 }, 'vault-params'],
    ['parameters past PROTOCOL §2.1 bounds (minutes of work)', { memoryKib: 65536, passes: 16 }, 'vault-params'],
  ]) {
    it(`a meta record with ${what}`, async () => {
      await assert.rejects(Vault.unlock(withMeta(change), PASSPHRASE), (error) => error instanceof VaultError && error.code === code);
    });
  }

  it('records without a meta or a check record', async () => {
    await assert.rejects(Vault.unlock([records[1]], PASSPHRASE), VaultError);
    await assert.rejects(Vault.unlock([records[0]], PASSPHRASE), VaultError);
  });

  it('a creator may not choose parameters below Extra Lock either', async () => {
    await assert.rejects(Vault.create(PASSPHRASE, { params: lockParams(4096, 1) }), VaultError);
  });
});
