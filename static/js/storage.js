// What a tab keeps so that a reload rejoins: sessionStorage only (this tab, until it
// closes), and wiped the moment the member leaves or the room ends.
const KEY = 'atopos.room.v1';

/** The stored room of this tab, or null. */
export function loadRoom() {
  try {
    const raw = globalThis.sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** Keep `record` (a link fragment, member seeds, name, owner capability). */
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
