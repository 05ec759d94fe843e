// The room link https://HOST/r/#v2.<b64u(L)>.<b64u(g)>, and the invite link that
// adds .<b64u(T)>, a ticket secret (PROTOCOL §2, §8.4).
import { b64uDecode, b64uEncode } from './bytes.js';
import { ProtocolError } from './errors.js';

export const ROOM_PATH = '/r/';
export const LINK_VERSION = 'v2';

/** `v2.<L>.<g>` (`v2.<L>.<g>.<T>` with a ticket), the part after '#'. */
export function formatFragment(linkShard, genesisHash, ticket = null) {
  const base = `${LINK_VERSION}.${b64uEncode(linkShard)}.${b64uEncode(genesisHash)}`;
  return ticket ? `${base}.${b64uEncode(ticket)}` : base;
}

/** The full link on `origin` (an invite link when `ticket` is given). */
export function linkUrl(origin, linkShard, genesisHash, ticket = null) {
  return `${origin}${ROOM_PATH}#${formatFragment(linkShard, genesisHash, ticket)}`;
}

/** { linkShard, genesisHash, ticket } from `v2.<L>.<g>[.<T>]` (a leading '#' is allowed). */
export function parseFragment(fragment) {
  const parts = fragment.replace(/^#/, '').split('.');
  if (parts.length !== 3 && parts.length !== 4) {
    throw new ProtocolError('link-malformed', 'expected v2.<L>.<g>[.<T>]');
  }
  if (parts[0] !== LINK_VERSION) throw new ProtocolError('link-version', parts[0].slice(0, 8));
  return {
    linkShard: b64uDecode(parts[1], 32, 'link-malformed'),
    genesisHash: b64uDecode(parts[2], 16, 'link-malformed'),
    ticket: parts.length === 4 ? b64uDecode(parts[3], 32, 'link-malformed') : null,
  };
}
