// What a tab keeps of a room. By default nothing secret: the link and member keys
// live only in this page's memory, so a reload or a closed tab drops
// them. Only when the member ticks "Remember this room in this tab" does the page write
// them to sessionStorage (this tab, until it closes; browsers may write it to disk),
// and it wipes them the moment the member leaves, is removed, or the room ends.
//
// Separately, the tab's history entry carries a marker with no secret in it, so that a
// reload can say plainly that this tab kept no keys instead of offering a new room.
const KEY = 'atopos.room.v1';
const MARK = 'atopos.room';

/** The room this tab was asked to remember, or null. */
export function loadRoom() {
  try {
    const raw = globalThis.sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** Remember `record` (link fragment, member seeds, name): only on request. */
export function saveRoom(record) {
  try {
    globalThis.sessionStorage.setItem(KEY, JSON.stringify(record));
  } catch {
    // Storage can be off (private modes): then a reload simply needs the link again.
  }
}

/** Forget the room in this tab. */
export function forgetRoom() {
  try {
    globalThis.sessionStorage.removeItem(KEY);
  } catch {
    // nothing was stored
  }
}

/** This page's address without a link: no fragment, and nothing from a '%23' written for '#'. */
function addressWithoutLink() {
  const { pathname, search } = globalThis.location;
  const encodedHash = pathname.search(/%23/i);
  return encodedHash < 0 ? pathname + search : pathname.slice(0, encodedHash);
}

/** Mark this history entry as a room page (no secret: a reload then explains itself). */
export function markInRoom() {
  globalThis.history.replaceState({ [MARK]: true }, '', addressWithoutLink());
}

/** Clear the mark (the room is over: a reload offers a new room). */
export function unmarkInRoom() {
  globalThis.history.replaceState(null, '', addressWithoutLink());
}

/** Whether this history entry was a room page before the reload. */
export function wasInRoom() {
  return globalThis.history.state?.[MARK] === true;
}
