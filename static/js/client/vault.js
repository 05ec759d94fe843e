// The local key vault (PROTOCOL §2.2): the rooms a person asked this device to remember,
// sealed under a key stretched from a passphrase they chose. It lives in the browser's own
// storage and is never sent. No DOM and no storage here: ui/vault-store.js keeps the
// records in IndexedDB, this module makes and opens them.
//
// A record is { id, nonce, sealed }, each sealed on its own, so deleting one room never
// needs the passphrase; the AAD names the format and the record's id, so a record moved to
// another id (or another format) does not open. Only the meta record is in the clear: the
// format, the Argon2id salt and parameters, which are needed before there is a key.
import { concat, fromUtf8, toHex, utf8 } from '../protocol/codec.js';
import { aeadOpen, aeadSeal, argon2id, randomBytes } from '../protocol/crypto.js';
import { lockParams, withinBounds } from '../protocol/extra-lock.js';
import { DEFAULT_LOCK_PARAMS, passphraseBytes, passphraseLongEnough } from './extra-lock.js';
import { parseFragment } from './link.js';

export const VAULT_FORMAT = 1;
/** OWASP's minimum for Argon2id (19 MiB, 2 passes): about three times Extra Lock's work
 *  (12 MiB, 1 pass). Nothing limits guesses at a copied profile, as the relay limits them
 *  for a room; and a person pays it once per visit, not once per join. */
export const DEFAULT_VAULT_PARAMS = lockParams(19456, 2);
export const META_ID = 'meta';
export const CHECK_ID = 'check';
export const ROOM_PREFIX = 'room.';

const SALT_SIZE = 16;
const NONCE_SIZE = 24;
const KEY_SIZE = 32;
// A room's plaintext is padded to a multiple of this, so every record has the same size
// whatever the name's length and whether the room has Extra Lock.
const PADDED_SIZE = 1024;
const CHECK_PLAINTEXT = utf8('atopos vault check');

/** Why a vault could not be made or opened (not a wrong passphrase: that is `null`). */
export class VaultError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
  }
}

/** "atopos/vault/v1\0" ‖ id: what every record's tag also covers. */
export function recordAad(id) {
  return concat(utf8(`atopos/vault/v${VAULT_FORMAT}\0`), utf8(id));
}

/** A fresh, meaningless id for a room record (nothing of the room is in it). */
export function newRoomId() {
  return ROOM_PREFIX + toHex(randomBytes(16));
}

export function isRoomRecord(record) {
  return typeof record?.id === 'string' && record.id.startsWith(ROOM_PREFIX);
}

/** The meta record's parameters, refused when unknown, outside PROTOCOL §2.1's bounds or
 *  weaker than Extra Lock's: a planted meta cannot make this page derive for minutes. */
function checkedMeta(meta) {
  if (meta?.id !== META_ID || meta.format !== VAULT_FORMAT) throw new VaultError('vault-format', String(meta?.format));
  const { salt, memoryKib, passes } = meta;
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_SIZE) throw new VaultError('vault-format', 'salt');
  if (!withinBounds(memoryKib, passes) || memoryKib < DEFAULT_LOCK_PARAMS.memoryKib || passes < DEFAULT_LOCK_PARAMS.passes) {
    throw new VaultError('vault-params', `${memoryKib}:${passes}`);
  }
  return meta;
}

function deriveKey(passphrase, meta, onProgress) {
  return argon2id(passphraseBytes(passphrase), meta.salt, { memoryKib: meta.memoryKib, passes: meta.passes, size: KEY_SIZE }, onProgress);
}

function padded(bytes) {
  const out = new Uint8Array(Math.max(1, Math.ceil(bytes.length / PADDED_SIZE)) * PADDED_SIZE).fill(0x20); // JSON ignores trailing spaces
  out.set(bytes);
  return out;
}

/** What a room record holds, checked before it is sealed. */
function roomEntry({ room, expiresAt, owner, keptAt }) {
  parseFragment(room.fragment); // throws on anything but a link
  if (room.fragment.split('.').length !== 3) throw new VaultError('vault-entry', 'an invite ticket is never kept');
  for (const field of ['edSeed', 'xSecret']) if (!/^[0-9a-f]{64}$/.test(room[field])) throw new VaultError('vault-entry', field);
  if (!Number.isSafeInteger(expiresAt) || !Number.isSafeInteger(keptAt)) throw new VaultError('vault-entry', 'times');
  const kept = { fragment: room.fragment, edSeed: room.edSeed, xSecret: room.xSecret, name: String(room.name ?? '') };
  if (room.shards?.length) kept.shards = room.shards;
  return { room: kept, expiresAt, owner: owner === true, keptAt };
}

export class Vault {
  constructor(meta, key) {
    this.meta = meta;
    this.key = key;
  }

  /** A new vault for `passphrase` (at least 8 characters): the Vault, and the meta and check
   *  records to store with the first room. */
  static async create(passphrase, { params = DEFAULT_VAULT_PARAMS, onProgress = undefined } = {}) {
    if (!passphraseLongEnough(passphrase)) throw new VaultError('passphrase-short');
    const meta = checkedMeta({ id: META_ID, format: VAULT_FORMAT, salt: randomBytes(SALT_SIZE), memoryKib: params.memoryKib, passes: params.passes });
    const vault = new Vault(meta, await deriveKey(passphrase, meta, onProgress));
    return { vault, records: [meta, vault.seal(CHECK_ID, CHECK_PLAINTEXT)] };
  }

  /** The vault `records` hold, opened with `passphrase`; null when it is not the passphrase
   *  (the check record does not open). Throws VaultError for a vault this page cannot read. */
  static async unlock(records, passphrase, onProgress = undefined) {
    const meta = checkedMeta(records.find((record) => record.id === META_ID));
    const check = records.find((record) => record.id === CHECK_ID);
    if (check === undefined) throw new VaultError('vault-format', 'no check record');
    const vault = new Vault(meta, await deriveKey(passphrase, meta, onProgress));
    const opened = vault.open(check);
    if (opened === null || fromUtf8(opened) !== fromUtf8(CHECK_PLAINTEXT)) {
      vault.wipe();
      return null;
    }
    return vault;
  }

  /** { id, nonce, sealed }: `plaintext` under a fresh 24-byte nonce, the AAD naming `id`. */
  seal(id, plaintext) {
    const nonce = randomBytes(NONCE_SIZE);
    return { id, nonce, sealed: aeadSeal(this.key, nonce, recordAad(id), plaintext) };
  }

  /** The plaintext, or null for a record this key did not seal under this id and format. */
  open(record) {
    const { id, nonce, sealed } = record ?? {};
    if (typeof id !== 'string' || !(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE || !(sealed instanceof Uint8Array)) return null;
    return aeadOpen(this.key, nonce, recordAad(id), sealed);
  }

  /** A room record: `entry` is { room (Admission.toStorage()), expiresAt (s), owner, keptAt (ms) }. */
  keepRoom(entry, id = newRoomId()) {
    if (!id.startsWith(ROOM_PREFIX)) throw new VaultError('vault-entry', 'id');
    return this.seal(id, padded(utf8(JSON.stringify(roomEntry(entry)))));
  }

  /** A room record's entry with its `id`, or null if it does not open. */
  openRoom(record) {
    if (!isRoomRecord(record)) return null;
    const plaintext = this.open(record);
    if (plaintext === null) return null;
    try {
      return { id: record.id, ...roomEntry(JSON.parse(fromUtf8(plaintext))) };
    } catch {
      return null; // sealed by this key yet not a room: nothing to offer
    }
  }

  /** The id of the room record among `records` that keeps the link `fragment`, or null. */
  findRoom(records, fragment) {
    return records.map((record) => this.openRoom(record)).find((entry) => entry?.room.fragment === fragment)?.id ?? null;
  }

  /** Overwrite the key: this vault opens and seals nothing afterwards. */
  wipe() {
    this.key.fill(0);
  }
}
