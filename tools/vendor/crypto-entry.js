// Everything the browser client takes from the audited noble libraries.
// static/js/protocol/crypto.js is the only module that imports the bundle built from this.
export { blake2b } from '@noble/hashes/blake2.js';
export { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
export { ed25519, x25519 } from '@noble/curves/ed25519.js';
export { argon2idAsync } from '@noble/hashes/argon2.js';
