// Display names are chosen by each member, unverified, and shown to everyone, so a
// name must never be able to disguise itself or rearrange the page around it. Before
// a name is shown it loses every control, formatting and invisible character (bidi
// overrides, zero-width joiners, private-use and unassigned code points, line and
// paragraph separators), its spacing is collapsed and it is NFKC-normalised. Where it
// is shown, it sits in an isolated <bdi> (ui/people.js), so even an allowed
// right-to-left name cannot reorder the sentence around it.
//
// Look-alike names (Latin "Alice" and Cyrillic "Аlice") stay legal: people write in
// many scripts. nameSkeleton() reduces a name to what it looks like, by Unicode's
// confusable mapping (UTS #39, through the vendored unhomoglyph), case-folding and
// dropping accents, so the page can warn when two members' names look the same.
import unhomoglyph from '../../vendor/unhomoglyph-1.0.6.js';
import { utf8 } from '../protocol/codec.js';
import { MAX_NAME_BYTES } from './messages.js';

/** What a member with no (or an empty) name is called. */
export const NO_NAME = 'Someone';

// Cc control, Cf format (bidi controls, zero-width characters, tags), Co private use,
// Cs lone surrogates, Cn unassigned (noncharacters too), Zl/Zp line and paragraph
// separators, and whatever Unicode says renders as nothing (Hangul fillers,
// variation selectors, the combining grapheme joiner).
const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;
const SPACES = /\s+/gu;
const MARKS = /\p{M}/gu;

/** `raw` with nothing hidden, spacing collapsed and NFKC-normalised ('' if nothing is left). */
export function cleanName(raw) {
  if (typeof raw !== 'string') return '';
  // Strip before normalising (so a hidden character cannot keep two letters from
  // composing) and after (in case normalisation exposes one).
  const visible = raw.replace(HIDDEN, '').normalize('NFKC').replace(HIDDEN, '');
  return visible.replace(SPACES, ' ').trim();
}

/** Our own name as we send it: cleaned, and cut to the hello's 64 bytes at a character boundary. */
export function ownName(raw) {
  const characters = Array.from(cleanName(raw));
  while (utf8(characters.join('')).length > MAX_NAME_BYTES) characters.pop();
  return characters.join('').trim();
}

/** The name to show for `raw`: cleaned, or `fallback` when nothing visible is left. */
export function displayName(raw, fallback = NO_NAME) {
  return cleanName(raw) || fallback;
}

function withoutMarks(text) {
  return text.normalize('NFD').replace(MARKS, '');
}

/**
 * What a name looks like, for comparison only (never shown): cleaned, accents dropped,
 * every character replaced by the one it is confusable with (UTS #39 confusables, so
 * Cyrillic "А" and Latin "A" agree, as do "I" and "l"), then case-folded.
 */
export function nameSkeleton(raw) {
  const look = (text) => withoutMarks(unhomoglyph(withoutMarks(text)));
  // Case-folding can produce a character with a confusable of its own, so map again after it.
  return look(look(cleanName(raw)).toLowerCase()).toLowerCase();
}

/** True when two names would look the same on screen (and are not both empty). */
export function namesLookAlike(first, second) {
  if (!cleanName(first) && !cleanName(second)) return false; // two nameless members claim nothing
  return nameSkeleton(displayName(first)) === nameSkeleton(displayName(second));
}
