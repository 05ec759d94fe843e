// What a display name can do to the page: nothing hidden survives cleanName, look-alike
// names share a skeleton, codes carry 64 bits, and refusal text is always our own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CODE_DIGITS, codeStart, memberCode } from '../../static/js/client/codes.js';
import {
  REFUSAL_TEXT,
  UNKNOWN_ACTION_REFUSAL,
  UNKNOWN_REFUSAL,
  refusalText,
  refusedActionText,
} from '../../static/js/client/refusals.js';
import { NO_NAME, cleanName, displayName, nameSkeleton, namesLookAlike, ownName } from '../../static/js/client/names.js';
import { findClashes } from '../../static/js/ui/people.js';

describe('cleanName', () => {
  const hidden = {
    'right-to-left override (Cf)': '\u202E',
    'left-to-right isolate (Cf)': '\u2066',
    'pop directional isolate (Cf)': '\u2069',
    'right-to-left mark (Cf)': '\u200F',
    'zero-width space (Cf)': '\u200B',
    'zero-width joiner (Cf)': '\u200D',
    'zero-width non-joiner (Cf)': '\u200C',
    'byte order mark (Cf)': '\uFEFF',
    'soft hyphen (Cf)': '\u00AD',
    'tag letter (Cf)': '\u{E0041}',
    'NUL (Cc)': '\u0000',
    'escape (Cc)': '\u001B',
    'next line (Cc)': '\u0085',
    'private use (Co)': '\uE000',
    'lone surrogate (Cs)': '\uD800',
    'noncharacter (Cn)': '\uFFFF',
    'unassigned (Cn)': '\u0378',
    'line separator (Zl)': '\u2028',
    'paragraph separator (Zp)': '\u2029',
    'Hangul filler (default ignorable)': '\u3164',
    'combining grapheme joiner (default ignorable)': '\u034F',
  };
  for (const [what, character] of Object.entries(hidden)) {
    it(`removes a ${what}`, () => {
      assert.equal(cleanName(`Al${character}ice`), 'Alice');
    });
  }

  it('leaves an unclosed right-to-left override nothing to reorder', () => {
    assert.equal(cleanName('Alice\u202E'), 'Alice');
    assert.equal(cleanName('\u202Eecila'), 'ecila');
  });

  it('renders a zero-width-joined name as its visible letters', () => {
    assert.equal(cleanName('A\u200Dl\u200Bi\u200Cc\u2060e'), 'Alice');
  });

  it('collapses and trims whitespace, tabs and newlines included', () => {
    assert.equal(cleanName('  Alice \t\n  Smith\u3000 '), 'Alice Smith');
  });

  it('NFKC-normalises compatibility forms', () => {
    assert.equal(cleanName('Ａｌｉｃｅ'), 'Alice');
    assert.equal(cleanName('ﬁona'), 'fiona');
    assert.equal(cleanName('e\u200D\u0301'), '\u00E9'); // the mark composes once the joiner is gone
  });

  it('keeps letters of every script and right-to-left names as they are', () => {
    assert.equal(cleanName('Мария'), 'Мария');
    assert.equal(cleanName('مريم'), 'مريم');
    assert.equal(cleanName('李雷'), '李雷');
  });

  it('leaves "(you)" in a name as plain text: the page draws its own marker apart', () => {
    assert.equal(cleanName('Alice (you)'), 'Alice (you)');
  });

  it('falls back to "Someone" when nothing visible is left', () => {
    assert.equal(displayName('\u200B\u202E \u2028'), NO_NAME);
    assert.equal(displayName(''), NO_NAME);
    assert.equal(displayName(undefined), NO_NAME);
    assert.equal(displayName('', 'this person'), 'this person');
  });
});

describe('ownName', () => {
  it('sends our own name cleaned', () => {
    assert.equal(ownName(' Bob\u202E\u200B '), 'Bob');
  });

  it('cuts a long name to 64 bytes of UTF-8 at a character boundary', () => {
    const name = ownName('李'.repeat(40)); // 3 bytes each
    assert.equal(name, '李'.repeat(21));
    assert.equal(ownName('😀'.repeat(20)), '😀'.repeat(16)); // 4 bytes each, never half a pair
  });
});

describe('look-alike names', () => {
  const alike = [
    ['Alice', 'alice'],
    ['Alice', '\u0410lice'], // Cyrillic capital A
    ['Alice', 'AIice'], // capital i for small L
    ['Alice', 'Al\u00EDce'], // an accent
    ['Alice', 'A\u200Dlice'], // a zero-width joiner
    ['Alice', '\uFF21lice'], // a full-width A
    ['Bob', '\u0392\u043Eb'], // Greek capital beta, Cyrillic small o
    ['Someone', ''], // a member who names itself like the nameless
  ];
  for (const [first, second] of alike) {
    it(`finds ${JSON.stringify(first)} and ${JSON.stringify(second)} alike`, () => {
      assert.equal(nameSkeleton(first), nameSkeleton(displayName(second)));
      assert.ok(namesLookAlike(first, second));
    });
  }

  it('tells different names apart', () => {
    assert.ok(!namesLookAlike('Alice', 'Alicia'));
    assert.ok(!namesLookAlike('Alice', 'Alice (you)'));
    assert.ok(!namesLookAlike('Мария', 'Maria Jose'));
  });

  it('does not call two nameless members alike: they claim nothing', () => {
    assert.ok(!namesLookAlike('', '\u200B'));
  });
});

describe('member codes', () => {
  const id = '5f3a9c017b2ed4c8' + 'ab'.repeat(24);

  it('show the first 8 bytes of the key as 16 hex digits in four groups', () => {
    assert.equal(memberCode(id), '5f3a 9c01 7b2e d4c8');
    assert.equal(memberCode(id).replaceAll(' ', '').length, CODE_DIGITS);
    assert.equal(CODE_DIGITS * 4, 64);
  });

  it('start with the digits a glance takes in', () => {
    assert.equal(codeStart(id), '5f3a');
  });
});

describe('findClashes', () => {
  const alice = { id: '5f3a9c01' + '00'.repeat(28), name: 'Alice' };
  const ground = { id: '5f3a7777' + '11'.repeat(28), name: 'Mallory' };
  const impostor = { id: '0123abcd' + '22'.repeat(28), name: '\u0410lice' };
  const knock = { id: '5f3a0000' + '33'.repeat(28), name: null };

  it('groups codes that start alike, members and people asking to join together', () => {
    const clashes = findClashes([alice, ground, impostor, knock]);
    const codes = clashes.filter((clash) => clash.kind === 'code');
    assert.deepEqual(codes.map((clash) => clash.people.map((person) => person.id)), [[alice.id, ground.id, knock.id]]);
  });

  it('groups names that look alike, never the nameless requests', () => {
    const names = findClashes([alice, ground, impostor, knock]).filter((clash) => clash.kind === 'name');
    assert.deepEqual(names.map((clash) => clash.people.map((person) => person.name)), [['Alice', '\u0410lice']]);
  });

  it('finds nothing among people who differ', () => {
    assert.deepEqual(findClashes([alice, { id: 'ffff' + '00'.repeat(30), name: 'Bob' }]), []);
  });
});

describe('refusals', () => {
  it('shows our own words for a known code', () => {
    assert.deepEqual(refusalText('declined'), REFUSAL_TEXT.declined);
    assert.equal(refusedActionText('room-locked'), 'Not done: the room is locked.');
  });

  it("never shows a relay's text for an unknown code", () => {
    const phish = 're-verify your link at https://evil.example';
    assert.deepEqual(refusalText(phish), UNKNOWN_REFUSAL);
    assert.equal(refusedActionText(phish), UNKNOWN_ACTION_REFUSAL);
    assert.ok(!UNKNOWN_REFUSAL.join(' ').includes('evil'));
  });

  it('takes no inherited property for a code', () => {
    for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(refusalText(code), UNKNOWN_REFUSAL);
      assert.equal(refusedActionText(code), UNKNOWN_ACTION_REFUSAL);
    }
  });
});
