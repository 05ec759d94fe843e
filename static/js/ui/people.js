// How a person appears on the page: their name isolated in a <bdi>, then, as separate
// elements, the "you" marker, role badges and their member code. A name is text in its
// own element, so nothing a member types can look like a marker or a badge the page
// draws, and nothing it contains can reorder the words around it.
import { CODE_START, codeStart, memberCode } from '../client/codes.js';
import { el } from './dom.js';
import { cleanName, displayName, nameSkeleton } from '../client/names.js';

/** A member's name, cleaned and isolated from the text around it. */
export function nameNode(raw, fallback) {
  return el('bdi', { className: 'name', text: displayName(raw, fallback), attrs: { dir: 'auto' } });
}

/** A member's 16-digit code, in four groups. */
export function codeNode(id) {
  return el('span', {
    className: 'code',
    text: memberCode(id),
    attrs: { title: "This person's code: the start of their key in this room. Compare it with them over another channel." },
  });
}

/** The marker on our own entries: a badge the page draws, never text in a name. */
export function youNode() {
  return el('span', { className: 'badge badge--you', text: 'you' });
}

/** Name, the "you" marker when `id` is ours, and code, as separate nodes. */
export function personNodes(member, selfId, fallback) {
  return [nameNode(member.name, fallback), ...(member.id === selfId ? [youNode()] : []), codeNode(member.id)];
}

/** A member's name and code as plain words, for labels (aria-label, never shown as HTML). */
export function personLabel(member) {
  return `${displayName(member.name)} ${memberCode(member.id)}`;
}

/**
 * People a glance could confuse: those whose codes start with the same digits, and
 * those whose names look alike. `people` are { id, name } (name null for someone
 * still asking to join, who shows no name). Returns [{ kind: 'code' | 'name', people }],
 * each group holding two or more people.
 */
export function findClashes(people) {
  const byCode = groupBy(people, (person) => codeStart(person.id));
  const shown = people.filter((person) => person.name !== null);
  const byLook = groupBy(shown, (person) => nameSkeleton(displayName(person.name)));
  // Several nameless members all show "Someone" and claim nothing; one who names
  // itself like them (or "Someone") does.
  const claims = (group) => group.some((person) => cleanName(person.name) !== '');
  return [
    ...[...byCode.values()].filter((group) => group.length > 1).map((group) => ({ kind: 'code', people: group })),
    ...[...byLook.values()].filter((group) => group.length > 1 && claims(group)).map((group) => ({ kind: 'name', people: group })),
  ];
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/** One line per clash, in words, for the warning above the conversation. */
export function clashLines(clashes) {
  return clashes.map(({ kind, people }) => {
    const who = people.flatMap((person, index) => [
      ...(index === 0 ? [] : [index === people.length - 1 ? ' and ' : ', ']),
      person.name === null ? 'someone asking to join' : nameNode(person.name),
      ' (',
      codeNode(person.id),
      ')',
    ]);
    const why =
      kind === 'code'
        ? `: their codes start with the same ${CODE_START} digits. Compare all 16 digits with each of them over another channel.`
        : ': their names look alike. Only their codes tell them apart.';
    return el('li', { className: `clash clash--${kind}` }, ...who, why);
  });
}
