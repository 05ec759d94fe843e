// The room link https://HOST/r/#v1.<b64u(L)>.<b64u(g)>, and the invite link that
// adds .<b64u(T)>, a ticket secret (PROTOCOL §2, §8.4).
import { b64uDecode, b64uEncode } from './bytes.js';
import { ProtocolError } from './errors.js';

export const ROOM_PATH = '/r/';

/** `v1.<L>.<g>` (`v1.<L>.<g>.<T>` with a ticket), the part after '#'. */
export function formatFragment(linkShard, genesisHash, ticket = null) {
  const base = `v1.${b64uEncode(linkShard)}.${b64uEncode(genesisHash)}`;
  return ticket ? `${base}.${b64uEncode(ticket)}` : base;
}

/** The full link on `origin` (an invite link when `ticket` is given). */
export function linkUrl(origin, linkShard, genesisHash, ticket = null) {
  return `${origin}${ROOM_PATH}#${formatFragment(linkShard, genesisHash, ticket)}`;
}

/** { linkShard, genesisHash, ticket } from `v1.<L>.<g>[.<T>]` (a leading '#' is allowed). */
export function parseFragment(fragment) {
  const parts = fragment.replace(/^#/, '').split('.');
  if (parts.length !== 3 && parts.length !== 4) {
    throw new ProtocolError('link-malformed', 'expected v1.<L>.<g>[.<T>]');
  }
  if (parts[0] !== 'v1') throw new ProtocolError('link-version', parts[0].slice(0, 8));
  return {
    linkShard: b64uDecode(parts[1], 32, 'link-malformed'),
    genesisHash: b64uDecode(parts[2], 16, 'link-malformed'),
    ticket: parts.length === 4 ? b64uDecode(parts[3], 32, 'link-malformed') : null,
  };
}
