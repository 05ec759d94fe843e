// Loading the shared vectors for the node tests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fromHex } from '../../static/js/protocol/codec.js';
import { deriveLinkKeys, firstEpoch, roomSecret } from '../../static/js/client/keys.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

export function load(name) {
  return JSON.parse(readFileSync(join(directory, name), 'utf8'));
}

export const b = fromHex;

export function derivation(roomName) {
  return load('derivation.json').cases.find((c) => c.name === roomName);
}

/** { roomId, mode, epoch } of a vector room, derived from its inputs. */
export function roomContext(roomName) {
  const { inputs, outputs } = derivation(roomName);
  const keys = deriveLinkKeys(b(inputs.link_shard));
  const secret = roomSecret(b(inputs.link_shard), b(inputs.server_shard), b(outputs.genesis_hash));
  return { roomId: keys.roomId, mode: inputs.routing_mode, epoch: firstEpoch(secret) };
}
