// The only module that touches the crypto library (noble, vendored by `make vendor`).
// Everything here is a thin, documented wrapper; no primitive is implemented here.
import {
  argon2idAsync,
  blake2b as nobleBlake2b,
  ed25519,
  x25519,
  xchacha20poly1305,
} from '../../vendor/noble-ciphers-2.4.0_noble-curves-2.4.0_noble-hashes-2.4.0.js';

/** `n` bytes from the platform CSPRNG. */
export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/**
 * BLAKE2b (RFC 7693). `key` may be empty (unkeyed); `personal` and `salt` must be
 * 16 bytes, as noble demands and as PyNaCl pads them.
 */
export function blake2b(message, { key, personal, salt, size }) {
  const options = { dkLen: size, personalization: personal, salt };
  if (key && key.length > 0) options.key = key; // 1..64 bytes; omitted means unkeyed
  return nobleBlake2b(message, options);
}

/** XChaCha20-Poly1305 (IETF): 32-byte key, 24-byte nonce; returns ciphertext ‖ 16-byte tag. */
export function aeadSeal(key, nonce, aad, plaintext) {
  return xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

/** The plaintext, or null when the tag does not verify. */
export function aeadOpen(key, nonce, aad, ciphertext) {
  try {
    return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext);
  } catch {
    return null;
  }
}

/** Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKey(seed) {
  return ed25519.getPublicKey(seed);
}

/** Deterministic Ed25519 signature (RFC 8032) by the key made from `seed`. */
export function ed25519Sign(seed, message) {
  return ed25519.sign(message, seed);
}

/** Canonical, not small-order, in the prime-order subgroup (libsodium's is_valid_point). */
export function isValidPoint(encoded) {
  if (!(encoded instanceof Uint8Array) || encoded.length !== 32) return false;
  try {
    const point = ed25519.Point.fromBytes(encoded, false); // false: refuse y >= p (ZIP-215 off)
    return !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    return false;
  }
}

/**
 * Strict Ed25519 (PROTOCOL §1.2). With A and R in the prime-order subgroup, noble's
 * cofactored check accepts exactly what libsodium's cofactorless check accepts.
 */
export function ed25519StrictVerify(publicKey, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!isValidPoint(publicKey) || !isValidPoint(signature.subarray(0, 32))) return false;
  return plainVerify(publicKey, message, signature);
}

/** noble's RFC 8032 verification alone (zip215: false); only tests call this directly. */
export function plainVerify(publicKey, message, signature) {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** X25519 public key of a 32-byte secret (clamped as RFC 7748 says, like libsodium). */
export function x25519PublicKey(secret) {
  return x25519.getPublicKey(secret);
}

/** X25519 shared secret, or null for a low-order public key (all-zero result), as libsodium refuses. */
export function x25519Shared(secret, publicKey) {
  try {
    const shared = x25519.getSharedSecret(secret, publicKey);
    return shared.some((byte) => byte !== 0) ? shared : null;
  } catch {
    return null;
  }
}

/**
 * Argon2id (RFC 9106, version 0x13), one lane, `size` bytes. Asynchronous: noble hands the
 * event loop back every few milliseconds, so the page keeps answering while it derives
 * (seconds without a JIT). `onProgress(fraction)` is called as it goes.
 */
export function argon2id(password, salt, { memoryKib, passes, size }, onProgress = undefined) {
  return argon2idAsync(password, salt, { m: memoryKib, t: passes, p: 1, dkLen: size, onProgress });
}
