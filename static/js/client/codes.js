// The member code people read to each other: the first 8 bytes (64 bits) of a
// member's Ed25519 key, as 16 hex digits in four groups ("5f3a 9c01 7b2e d4c8").
// 64 bits cannot be matched by grinding keys (the old 24-bit code was, in 212 s on
// one core). People glance at the start of a code, though, and 16 bits are easy to
// grind, so the page warns when two codes begin with the same CODE_START digits.

export const CODE_DIGITS = 16;
export const CODE_START = 4;

/** "5f3a 9c01 7b2e d4c8" for a member id (the hex of its ed_pk). */
export function memberCode(id) {
  return id.slice(0, CODE_DIGITS).replace(/(.{4})(?=.)/g, '$1 ');
}

/** The digits a glance takes in ("5f3a"). */
export function codeStart(id) {
  return id.slice(0, CODE_START);
}
