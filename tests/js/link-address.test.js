import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanFragment, readAddress } from '../../static/js/client/link.js';
import { load } from './vectors.js';

const VALID = load('links.json').cases.find((testCase) => testCase.name === 'valid').fragment;
const INVITE = `${VALID}.${'A'.repeat(43)}`;
const at = (pathname, hash = '') => ({ pathname, hash, href: `https://chat.example.org${pathname}${hash}` });

describe('a pasted link is read as its sender meant it', () => {
  for (const tail of ['.', ',', ';', ':', '!', '?', ')', ']', '}', "'", '"', '»', '>', ' ', '\n', ').', '%22', '%C2%BB', '%20']) {
    it(`trailing ${JSON.stringify(tail)} is dropped`, () => {
      assert.deepEqual(readAddress(at('/r/', `#${VALID}${tail}`)), { kind: 'link', fragment: VALID, inPath: false });
    });
  }

  it('never trims a b64u character: a link ending in "-" or "_" stays whole', () => {
    for (const end of ['-', '_', 'A', '9']) {
      const fragment = `v2.x.y${end}`;
      assert.equal(cleanFragment(`#${fragment}`), fragment);
    }
  });

  it('keeps an invite link with its ticket', () => {
    assert.deepEqual(readAddress(at('/r/', `#${INVITE}.`)), { kind: 'link', fragment: INVITE, inPath: false });
  });

  it('understands %23 written for # and says the key went to the server', () => {
    assert.deepEqual(readAddress(at(`/r/%23${VALID}`)), { kind: 'link', fragment: VALID, inPath: true });
  });
});

describe('a link that lost its end says so', () => {
  const cases = {
    'a bare #': at('/r/', '#'),
    'the version alone': at('/r/', '#v2.'),
    'the key cut short': at('/r/', `#${VALID.slice(0, 30)}`),
    'the hash part cut short': at('/r/', `#${VALID.slice(0, -3)}`),
    'a %23 with nothing after it': at('/r/%23'),
  };
  for (const [name, address] of Object.entries(cases)) {
    it(`${name}: incomplete`, () => assert.equal(readAddress(address).kind, 'incomplete'));
  }

  it('a link of another version is told apart', () => {
    assert.equal(readAddress(at('/r/', `#${VALID.replace('v2.', 'v1.')}`)).kind, 'old-version');
  });
});

describe('what is not a link is left alone', () => {
  it('no fragment: a new room', () => assert.deepEqual(readAddress(at('/r/')), { kind: 'none' }));
  it('an in-page anchor such as the skip link', () => assert.deepEqual(readAddress(at('/r/', '#main')), { kind: 'none' }));
});
