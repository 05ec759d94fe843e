// Before asking for a name, ask the relay whether the link's room is there (PEEK,
// PROTOCOL §5.2). A peek proves the link but offers no member keys: the relay lets
// nobody in, tells nobody, and answers AVAILABLE or closes with 4004 as it does for
// every unavailable room, so only a link holder learns anything.
import { ProtocolError } from '../protocol/errors.js';
import { CloseCode, Kind, decodeChallenge, encodePeek, frameKind } from '../protocol/frames.js';
import { signPeek } from '../protocol/joinproof.js';
import { deriveLinkKeys } from './keys.js';

const PEEK_TIMEOUT_MS = 10_000;

/**
 * 'available', 'unavailable' (4004: ended, expired, never existed, or a link that does
 * not match) or 'unknown' (rate-limited, offline, an old relay): the page then offers
 * to join as before, since only 4004 says anything about the room.
 */
export function peekRoom({ url, origin, linkShard, WebSocketImpl = globalThis.WebSocket }) {
  const { authSeed, roomId } = deriveLinkKeys(linkShard);
  return new Promise((resolve) => {
    let verdict = 'unknown';
    const socket = new WebSocketImpl(url);
    socket.binaryType = 'arraybuffer';
    const timer = setTimeout(() => socket.close(1000), PEEK_TIMEOUT_MS);
    socket.onmessage = (event) => {
      if (!(event.data instanceof ArrayBuffer)) return;
      const frame = new Uint8Array(event.data);
      try {
        const kind = frameKind(frame);
        if (kind === Kind.CHALLENGE) {
          const { challenge } = decodeChallenge(frame);
          socket.send(encodePeek({ roomId, peekSignature: signPeek(authSeed, origin, roomId, challenge) }));
        } else if (kind === Kind.AVAILABLE) {
          verdict = 'available';
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        socket.close(1000);
      }
    };
    socket.onclose = (event) => {
      clearTimeout(timer);
      resolve(event.code === CloseCode.ROOM_UNAVAILABLE ? 'unavailable' : verdict);
    };
  });
}
