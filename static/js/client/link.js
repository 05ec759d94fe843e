// The room link https://HOST/r/#v2.<b64u(L)>.<b64u(g)>, and the invite link that
// adds .<b64u(T)>, a ticket secret (PROTOCOL §2, §8.4).
import { b64uDecode, b64uEncode } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';

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

// What a chat app or a sentence glues to a pasted link: none of these is a b64u
// character, and a link's last part is never empty, so no valid character goes.
const PASTED_TAIL = /[\s.,;:!?)\]}'"»>]+$/u;
// '%23' typed for '#': the browser sends what follows it to the server, in the path.
const ENCODED_HASH = /%23/i;

/** A fragment as pasted: percent-escapes decoded and trailing punctuation removed. */
export function cleanFragment(raw) {
  let text = raw.replace(/^#/, '');
  try {
    text = decodeURIComponent(text);
  } catch {
    // a stray '%': left as typed, and parsing then refuses it
  }
  return text.trim().replace(PASTED_TAIL, '');
}

/** Whether a fragment was meant as a room link (not an in-page anchor such as #main). */
export function looksLikeLink(fragment) {
  return /^v\d/i.test(fragment) || fragment.includes('.');
}

/**
 * What the address of the room page holds, from `location`'s pathname, hash and href:
 * - { kind: 'none' }: nothing after /r/ (a new room, or a page anchor);
 * - { kind: 'link', fragment, inPath }: a link; `inPath` when '%23' stood for '#', so the
 *   key reached the server in the request's path;
 * - { kind: 'incomplete' }: a '#' with nothing, or something broken, after it (a link
 *   that lost its fragment or its end on the way).
 */
export function readAddress({ pathname, hash, href }) {
  const encoded = pathname.search(ENCODED_HASH);
  const inPath = encoded >= 0;
  const raw = inPath ? pathname.slice(encoded + 3) : hash.slice(1);
  if (!inPath && !raw) return { kind: href.endsWith('#') ? 'incomplete' : 'none' };
  const fragment = cleanFragment(raw);
  if (!inPath && !looksLikeLink(fragment)) return { kind: 'none' };
  try {
    parseFragment(fragment);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { kind: error.code === 'link-version' ? 'old-version' : 'incomplete', inPath };
  }
  return { kind: 'link', fragment, inPath };
}
