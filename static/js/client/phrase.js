// The safety phrase: five words from the state hash, to compare out of band.
import { WORDS } from './words.js';

export function safetyPhrase(stateHashBytes) {
  return Array.from(stateHashBytes.subarray(0, 5), (byte) => WORDS[byte]).join(' ');
}
