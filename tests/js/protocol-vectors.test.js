// The browser client reproduces every shared vector byte for byte (run: make test-js).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHex } from '../../static/js/protocol/codec.js';
import { ed25519StrictVerify, plainVerify } from '../../static/js/protocol/crypto.js';
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { bindingValid, makeBinding } from '../../static/js/protocol/binding.js';
import { ackForEnvelope, decodeAck, decodeChallenge, decodeKnock, decodeLeft, decodeWelcome, encodeCreate, encodeDecline, encodeJoin, encodePeek, serverFrames } from '../../static/js/protocol/frames.js';
import { InnerKind, decodeChatMessage, decodeHello, decodeSync, decodeSynced, encodeChatMessage, encodeHello, encodeSync, encodeSynced } from '../../static/js/client/messages.js';
import { eventId, genesisHash, signGenesis } from '../../static/js/protocol/genesis.js';
import { lockPublicKey, passphraseShard } from '../../static/js/client/extra-lock.js';
import { joinProofBody, peekProofBody, signJoin, signPeek } from '../../static/js/protocol/joinproof.js';
import { bindTag, deriveLinkKeys, firstEpoch, memberKeys, roomSecret, vcommit } from '../../static/js/client/keys.js';
import { formatFragment, parseFragment } from '../../static/js/client/link.js';
import { REFUSAL_TEXT, REFUSED_ACTION } from '../../static/js/client/refusals.js';
import { ReplayGuard } from '../../static/js/client/replay.js';
import { verifyGenesisForLink } from '../../static/js/client/verification.js';
import { b, load, roomContext } from './vectors.js';

const derivations = load('derivation.json').cases;

function errorCode(action) {
  try {
    action();
  } catch (error) {
    if (error.code) return error.code;
    throw error;
  }
  return null;
}

describe('derivation chain', () => {
  for (const { name, inputs, outputs } of derivations) {
    it(`${name}: L, V and member keys give every derived value`, () => {
      const linkShard = b(inputs.link_shard);
      const serverShard = b(inputs.server_shard);
      const owner = memberKeys(b(inputs.owner_ed_seed), b(inputs.owner_x_secret));
      const member = memberKeys(b(inputs.member_ed_seed), b(inputs.member_x_secret));
      const keys = deriveLinkKeys(linkShard);
      const genesis = signGenesis(
        {
          roomId: keys.roomId,
          origin: inputs.origin,
          authPk: keys.authPk,
          ownerEdPk: owner.edPk,
          ownerXPk: owner.xPk,
          joinRule: inputs.join_rule,
          routingMode: inputs.routing_mode,
          expiresAt: inputs.expires_at,
          vcommit: vcommit(linkShard, serverShard),
        },
        owner.edSeed,
        keys.authSeed,
      );
      const g = genesisHash(genesis.raw);
      const secret = roomSecret(linkShard, serverShard, g);
      const epoch = firstEpoch(secret);
      const actual = {
        room_id: keys.roomId,
        auth_seed: keys.authSeed,
        auth_pk: keys.authPk,
        pwsalt: keys.pwsalt,
        vcommit: vcommit(linkShard, serverShard),
        owner_ed_pk: owner.edPk,
        owner_x_pk: owner.xPk,
        member_ed_pk: member.edPk,
        member_x_pk: member.xPk,
        genesis_body: genesis.bodyBytes,
        genesis: genesis.raw,
        genesis_hash: g,
        event_id: eventId(genesis.raw),
        room_secret: secret,
        epoch0_secret: epoch.secret,
        msg_key: epoch.msgKey,
        confirm: epoch.confirm,
        bind_key: epoch.bindKey,
        kcv: epoch.kcv,
        epoch_id: epoch.epochId,
        owner_bind_tag: bindTag(epoch, keys.roomId, owner.edPk, owner.xPk),
        member_bind_tag: bindTag(epoch, keys.roomId, member.edPk, member.xPk),
      };
      for (const [field, value] of Object.entries(actual)) assert.equal(toHex(value), outputs[field], field);
      assert.equal(formatFragment(linkShard, g), outputs.link_fragment);
    });

    it(`${name}: peek proof and frame match, and the proof is no join proof`, () => {
      const keys = deriveLinkKeys(b(inputs.link_shard));
      const args = [inputs.origin, keys.roomId, b(inputs.challenge)];
      assert.equal(toHex(peekProofBody(...args)), outputs.peek_proof_body);
      const peekSignature = signPeek(keys.authSeed, ...args);
      assert.equal(toHex(peekSignature), outputs.peek_signature);
      assert.notEqual(outputs.peek_signature, outputs.join_signature);
      assert.equal(toHex(encodePeek({ roomId: keys.roomId, peekSignature })), outputs.frames.peek);
    });

    it(`${name}: join proof and frames match`, () => {
      const keys = deriveLinkKeys(b(inputs.link_shard));
      const owner = memberKeys(b(inputs.owner_ed_seed), b(inputs.owner_x_secret));
      const member = memberKeys(b(inputs.member_ed_seed), b(inputs.member_x_secret));
      const challenge = b(inputs.challenge);
      const args = [inputs.origin, keys.roomId, challenge, member.edPk, member.xPk];
      assert.equal(toHex(joinProofBody(...args)), outputs.join_proof_body);
      const joinSignature = signJoin(keys.authSeed, ...args);
      assert.equal(toHex(joinSignature), outputs.join_signature);

      const frames = outputs.frames;
      const binding = makeBinding(member, keys.authSeed, keys.roomId);
      assert.equal(toHex(binding.memberSig), outputs.member_binding.member_sig);
      assert.equal(toHex(binding.linkSig), outputs.member_binding.link_sig);
      assert.equal(bindingValid(binding, keys.roomId, keys.authPk, member.edPk), true);
      assert.equal(bindingValid({ ...binding, xPk: owner.xPk }, keys.roomId, keys.authPk, member.edPk), false);
      assert.equal(toHex(encodeJoin({ roomId: keys.roomId, edPk: member.edPk, binding, joinSignature })), frames.join);
      const ownerJoin = signJoin(keys.authSeed, inputs.origin, keys.roomId, challenge, owner.edPk, owner.xPk);
      const create = encodeCreate({ genesis: b(outputs.genesis), serverShard: b(inputs.server_shard), joinSignature: ownerJoin });
      assert.equal(toHex(create), frames.create);
      const knock = decodeKnock(b(frames.knock));
      assert.equal(toHex(knock.edPk), outputs.member_ed_pk);
      assert.equal(toHex(serverFrames.knock(knock)), frames.knock);
      assert.equal(toHex(encodeDecline(member.edPk)), frames.decline);

      const parsedChallenge = decodeChallenge(b(frames.challenge));
      assert.equal(toHex(parsedChallenge.challenge), inputs.challenge);
      assert.equal(parsedChallenge.serverTimeMs, inputs.server_time_ms);
      assert.equal(toHex(serverFrames.challenge(parsedChallenge)), frames.challenge);
      const welcome = decodeWelcome(b(frames.welcome));
      assert.equal(toHex(welcome.serverShard), inputs.server_shard);
      assert.equal(toHex(welcome.genesis), outputs.genesis);
      assert.equal(toHex(decodeLeft(b(frames.left)).edPk), outputs.member_ed_pk);
      assert.equal(toHex(serverFrames.created()), frames.created);
    });
  }
});

/** A body decoded and encoded again by the inner kind's own codec. */
function reencoded({ innerKind, body }, mode) {
  if (innerKind === InnerKind.TEXT) return encodeChatMessage(decodeChatMessage(body, mode), mode);
  if (innerKind === InnerKind.HELLO) return encodeHello(decodeHello(body));
  if (innerKind === InnerKind.SYNC) return encodeSync(decodeSync(body));
  if (innerKind === InnerKind.SYNCED) return encodeSynced(decodeSynced(body));
  if (innerKind === InnerKind.BYE) return body;
  throw new Error(`no codec for inner kind ${innerKind}`);
}

describe('envelopes', () => {
  const vectors = load('envelopes.json');
  for (const testCase of vectors.valid) {
    it(`${testCase.name}: seals to the frame and opens to the plaintext`, () => {
      const { roomId, mode, epoch } = roomContext(testCase.room);
      const p = testCase.plaintext;
      const plaintext = { innerKind: p.inner_kind, sender: b(p.sender), seq: p.seq, head: b(p.head), timeMs: p.time_ms, body: b(p.body) };
      const frame = seal(epoch, roomId, plaintext, mode, b(testCase.nonce));
      assert.equal(toHex(frame), testCase.frame);
      const opened = openEnvelope(frame, roomId, mode, new Map([[toHex(epoch.epochId), epoch]]));
      assert.equal(opened.epoch, epoch);
      assert.deepEqual({ ...opened.plaintext }, plaintext);
      assert.equal(toHex(reencoded(plaintext, mode)), p.body, 'the body decodes and encodes back to the same bytes');
      assert.deepEqual(decodeAck(serverFrames.ack(ackForEnvelope(frame))).nonce, b(testCase.nonce));
    });
  }
  for (const testCase of vectors.invalid) {
    it(`${testCase.name}: refused with ${testCase.error}`, () => {
      const { roomId, mode, epoch } = roomContext(testCase.room);
      const guard = new ReplayGuard(testCase.admitted_at_ms);
      for (const [sender, seq, timeMs] of testCase.seen) guard.noteSeen(epoch.epochId, b(sender), seq, timeMs);
      const code = errorCode(() => {
        const opened = openEnvelope(b(testCase.frame), roomId, mode, new Map([[toHex(epoch.epochId), epoch]]));
        guard.accept(opened.epoch.epochId, opened.plaintext, testCase.now_ms);
      });
      assert.equal(code, testCase.error);
    });
  }
});

/** What a client that answered LOCK_REQUIRED(`asked`) with `passphrase` holds (null: it
 *  was asked for nothing). Argon2id is asynchronous; the check itself is not. */
async function askedOf(testCase, linkShard, salt) {
  if (testCase.asked === null) return null;
  const params = { memoryKib: testCase.asked.memory_kib, passes: testCase.asked.passes };
  return { params, lockPk: lockPublicKey(linkShard, await passphraseShard(testCase.passphrase, salt, params)) };
}

describe('genesis checks against the link', () => {
  for (const testCase of load('genesis.json').cases) {
    it(`${testCase.name}: ${testCase.error ?? 'accepted'}`, async () => {
      const link = parseFragment(testCase.link_fragment);
      const keys = deriveLinkKeys(link.linkShard);
      const asked = await askedOf(testCase, link.linkShard, keys.pwsalt);
      const code = errorCode(() =>
        verifyGenesisForLink(b(testCase.genesis), b(testCase.server_shard), keys, link.genesisHash, testCase.origin, testCase.now_seconds, asked),
      );
      assert.equal(code, testCase.error);
    });
  }
});

describe('links', () => {
  for (const testCase of load('links.json').cases) {
    it(`${testCase.name}: ${testCase.error ?? 'parses'}`, () => {
      let parsed = null;
      const code = errorCode(() => {
        parsed = parseFragment(testCase.fragment);
      });
      assert.equal(code, testCase.error);
      if (!testCase.error) {
        assert.equal(toHex(parsed.linkShard), testCase.parsed.link_shard);
        assert.equal(toHex(parsed.genesisHash), testCase.parsed.genesis_hash);
        assert.equal(parsed.ticket ? toHex(parsed.ticket) : null, testCase.parsed.ticket);
        assert.equal(formatFragment(parsed.linkShard, parsed.genesisHash, parsed.ticket), testCase.fragment.replace(/^#/, ''));
      }
    });
  }
});

describe('strict Ed25519', () => {
  for (const testCase of load('ed25519.json').cases) {
    it(`${testCase.name}: ${testCase.valid ? 'valid' : 'invalid'}`, () => {
      const args = [b(testCase.public_key), b(testCase.message), b(testCase.signature)];
      assert.equal(ed25519StrictVerify(...args), testCase.valid);
      // noble alone (zip215: false) accepts some of these; the point checks are what refuse them.
      assert.equal(plainVerify(...args), testCase.plain_noble_accepts);
    });
  }
});

describe('refusal codes', () => {
  const codes = load('refusals.json');

  it('the page has its own words for every admission refusal the terminal knows', () => {
    assert.deepEqual(Object.keys(REFUSAL_TEXT).sort(), codes.admission);
  });

  it('the page has its own words for every refused change the terminal knows', () => {
    assert.deepEqual(Object.keys(REFUSED_ACTION).sort(), codes.action);
  });
});
