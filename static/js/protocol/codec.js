// Byte layouts shared by every protocol module: big-endian integers, base64url, UTF-8.
import { ProtocolError } from './errors.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Concatenate byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Equal lengths and contents, compared without an early exit. */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Lower-case hex. */
export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Bytes from hex. */
export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Base64url without padding. */
export function b64uEncode(bytes) {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      out += B64U[(value >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += B64U[(value << (6 - bits)) & 63];
  return out;
}

/** Exactly `size` bytes from canonical unpadded base64url, else ProtocolError(`error`). */
export function b64uDecode(text, size, error) {
  if (typeof text !== 'string' || text.length !== Math.ceil((size * 8) / 6)) {
    throw new ProtocolError(error, 'wrong length');
  }
  const out = new Uint8Array(size);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const character of text) {
    const digit = B64U.indexOf(character);
    if (digit < 0) throw new ProtocolError(error, 'not base64url');
    value = ((value << 6) | digit) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      out[index] = (value >> (bits - 8)) & 0xff;
      index += 1;
      bits -= 8;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) throw new ProtocolError(error, 'not canonical base64url');
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(text) {
  return utf8Encoder.encode(text);
}

/** A string from UTF-8 bytes; throws on invalid UTF-8. */
export function fromUtf8(bytes) {
  return utf8Decoder.decode(bytes);
}

export function u8(value) {
  return Uint8Array.of(value);
}

export function u16(value) {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function u32(value) {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** 8 bytes from a Number (integers up to 2^53) or a BigInt. */
export function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** Reads a byte array front to back; any overrun throws ProtocolError(`error`). */
export class Reader {
  constructor(bytes, error) {
    this.bytes = bytes;
    this.offset = 0;
    this.error = error;
  }

  take(size) {
    const end = this.offset + size;
    if (size < 0 || end > this.bytes.length) throw new ProtocolError(this.error, 'truncated');
    const chunk = this.bytes.subarray(this.offset, end);
    this.offset = end;
    return chunk;
  }

  u8() {
    return this.take(1)[0];
  }

  u16() {
    const b = this.take(2);
    return (b[0] << 8) | b[1];
  }

  u32() {
    const b = this.take(4);
    return ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  }

  /** A u64 as a Number; values beyond 2^53 cannot be represented exactly and are refused. */
  u64() {
    const b = this.take(8);
    const value = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(this.error, 'integer too large');
    return Number(value);
  }

  remaining() {
    return this.bytes.length - this.offset;
  }

  rest() {
    return this.take(this.remaining());
  }

  end() {
    if (this.remaining() !== 0) throw new ProtocolError(this.error, 'trailing bytes');
  }
}
