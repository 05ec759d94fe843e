// The browser client's governance reproduces every vector of the Python reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHex } from '../../static/js/protocol/codec.js';
import { decodeGenesis } from '../../static/js/protocol/genesis.js';
import { epochKeys } from '../../static/js/client/keys.js';
import { decodeEvent } from '../../static/js/protocol/governance/events.js';
import { resolve } from '../../static/js/protocol/governance/forkchoice.js';
import { parsePayload } from '../../static/js/protocol/governance/payloads.js';
import { safetyPhrase } from '../../static/js/client/phrase.js';
import { buildKeyshare, buildRekey, openKeyshare, openRekey } from '../../static/js/client/rekey.js';
import { stateHash } from '../../static/js/protocol/governance/state.js';
import { redeemValid } from '../../static/js/protocol/governance/tickets.js';
import { ticketPublicKey } from '../../static/js/client/tickets.js';
import { WORDS } from '../../static/js/client/words.js';
import { b, load } from './vectors.js';

const vectors = load('governance.json');
const genesis = decodeGenesis(b(vectors.genesis));
const events = Object.fromEntries(Object.entries(vectors.events).map(([name, item]) => [name, b(item.raw)]));
const names = new Map(Object.entries(vectors.events).map(([name, item]) => [item.id, name]));
const actors = vectors.actors;
const nameOf = (hex) => Object.keys(actors).find((name) => actors[name].ed_pk === hex);

describe('governance scenarios', () => {
  for (const scenario of vectors.scenarios) {
    it(`${scenario.name}: same accepted order, rejections, head, state and phrase`, () => {
      const result = resolve(genesis, scenario.events.map((name) => events[name]));
      assert.deepEqual(result.accepted.map((event) => names.get(toHex(event.id))), scenario.accepted);
      assert.deepEqual(Object.fromEntries([...result.rejected].map(([id, code]) => [names.get(id), code])), scenario.rejected);
      assert.deepEqual([...result.orphans].map((id) => names.get(id)).sort(), scenario.orphans);
      assert.equal(toHex(result.head), scenario.head);
      assert.equal(result.forked, scenario.forked);
      const hash = stateHash(result.state);
      assert.equal(toHex(hash), scenario.state_hash);
      assert.equal(safetyPhrase(hash), scenario.phrase);
      assert.deepEqual(result.state.admins.map(nameOf), scenario.state.admins);
      assert.deepEqual([...result.state.members].map(nameOf).sort(), scenario.state.members);
      assert.deepEqual([...result.state.removed].map(nameOf).sort(), scenario.state.removed);
      assert.equal(result.state.joinRule, scenario.state.join_rule);
      assert.equal(result.state.epoch, scenario.state.epoch);
    });
  }
});

describe('invalid events', () => {
  for (const testCase of vectors.invalid_events) {
    it(`${testCase.name}: ${testCase.error}`, () => {
      assert.throws(() => decodeEvent(b(testCase.raw)), (error) => error.code === testCase.error);
    });
  }
});

it('ticket key and redeem signature match', () => {
  const tickets = vectors.tickets;
  assert.equal(toHex(ticketPublicKey(b(tickets.secret))), tickets.public_key);
  const ada = actors.ada;
  assert.ok(redeemValid(b(tickets.public_key), b(tickets.redeem_signature), genesis.body.roomId, b(ada.ed_pk), b(ada.x_pk), tickets.redeem_time_ms));
});

it('the recorded re-key and key share open to the recorded epoch', () => {
  const vector = vectors.rekey;
  const roomId = genesis.body.roomId;
  const epoch0 = epochKeys(b(vector.epoch0_secret), 0);
  const payload = parsePayload(decodeEvent(events.rekey));
  const ada = actors[vector.recipient];
  const epoch1 = openRekey(payload, roomId, epoch0, b(ada.ed_pk), b(ada.x_secret));
  assert.equal(toHex(epoch1.secret), vector.epoch1_secret);
  assert.equal(toHex(epoch1.epochId), vector.epoch1_id);
  const dee = actors[vector.keyshare_recipient];
  const raw = b(vector.keyshare_payload);
  const share = parsePayload({ kind: 12, payload: raw });
  const shared = openKeyshare(share, roomId, b(dee.ed_pk), b(dee.x_secret), payload.confirm);
  assert.equal(toHex(shared.secret), vector.epoch1_secret);
});

it('a bundle made in the browser opens for its recipients only', () => {
  const roomId = genesis.body.roomId;
  const epoch0 = epochKeys(b(vectors.rekey.epoch0_secret), 0);
  const kickId = b(vectors.rekey.kick_id);
  const [ada, ben] = [actors.ada, actors.ben];
  const { payload, epoch } = buildRekey(roomId, epoch0, kickId, b(actors.owner.x_secret), [{ edPk: b(ada.ed_pk), xPk: b(ada.x_pk) }]);
  assert.deepEqual(openRekey(payload, roomId, epoch0, b(ada.ed_pk), b(ada.x_secret)).secret, epoch.secret);
  assert.throws(() => openRekey(payload, roomId, epoch0, b(ben.ed_pk), b(ben.x_secret)), (error) => error.code === 'not-a-recipient');
  const share = buildKeyshare(roomId, epoch, b(actors.owner.x_secret), { edPk: b(ben.ed_pk), xPk: b(ben.x_pk) });
  assert.deepEqual(openKeyshare(share, roomId, b(ben.ed_pk), b(ben.x_secret), epoch.confirm).secret, epoch.secret);
});

describe('safety phrase words', () => {
  it('maps every byte to the same word as the terminal', () => {
    assert.deepEqual([...WORDS], load('words.json').words);
  });
});
