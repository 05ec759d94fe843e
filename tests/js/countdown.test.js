// How a room's remaining life reads: coarse while it is long, to the second in its last ten
// minutes, and the one warning before it vanishes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeCountdown, vanishingWarning } from '../../static/js/ui/format.js';

describe('the countdown', () => {
  it('reads in hours and minutes while more than ten minutes are left', () => {
    assert.equal(describeCountdown(2 * 3600 + 5 * 60 + 30), '2 h 5 min');
    assert.equal(describeCountdown(10 * 60), '10 min');
  });

  it('reads to the second in the last ten minutes, so it moves every second', () => {
    assert.equal(describeCountdown(10 * 60 - 0.5), '9 min 59 s');
    assert.equal(describeCountdown(8 * 60 + 5), '8 min 5 s');
    assert.equal(describeCountdown(60), '1 min 0 s');
    assert.equal(describeCountdown(59.9), '59 s');
  });
});

describe('the warning before a room vanishes', () => {
  it('names the minutes left, rounded up, and what goes', () => {
    assert.equal(vanishingWarning(300), 'This room vanishes in 5 minutes. Everything in it will be gone.');
    assert.equal(vanishingWarning(241), 'This room vanishes in 5 minutes. Everything in it will be gone.');
    assert.equal(vanishingWarning(12), 'This room vanishes in 1 minute. Everything in it will be gone.');
  });
});
