// The room id (PROTOCOL §2): the relay checks it against a CREATE's auth key.
import { Label, unkeyedHash } from './labels.js';

export const ROOM_ID_SIZE = 16;

/** A hash of the room's auth key, so only its holder can CREATE under it. */
export function roomIdFor(authPk) {
  return unkeyedHash(Label.RID, authPk, ROOM_ID_SIZE);
}
