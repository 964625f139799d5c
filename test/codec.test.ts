/**
 * Hidden-state codec: the bounds (1000 x 250 in <= 128 KB, error <= 1/255 of the range) on a hard
 * random walk and on a real RWA h_t sequence; round trips; clear errors for unknown codecs and corrupt bytes.
 *   npx tsc -p . && node --test dist/test/codec.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import {
  CodecError,
  decodeHidden,
  encodeHidden,
  encodeHiddenAsync,
  HIDDEN_CODEC,
  RAW_CODEC,
  type EncodedHidden,
} from '../src/trainer/codec/index.js';
import { randomWalkSnapshot, rwaSnapshot } from '../src/trainer/codec/samples.js';

const T = 1000;
const N = 250;
const LIMIT = 128 * 1024;

function range(h: Float32Array): number {
  let min = Infinity;
  let max = -Infinity;
  for (const v of h) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return max - min;
}

function maxError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

/** Stores params as JSON, as the database does. */
const roundTrip = (e: EncodedHidden) => decodeHidden(e.codec, JSON.parse(JSON.stringify(e.params)), e.bytes);

const codecError = (code: string, re: RegExp) => (e: unknown) =>
  e instanceof CodecError && e.code === code && re.test(e.message);

describe('hidden-state codec', () => {
  const walk = randomWalkSnapshot(T, N);
  let rwa: Float32Array | undefined; // ~1 s of float64 forward pass: computed once
  const rwaData = () => (rwa ??= rwaSnapshot(T, N));

  it('random walk: the naive uint8 + time-delta + deflate needs more than 128 KB on this data', () => {
    let min = Infinity;
    for (const v of walk) min = Math.min(min, v);
    const r = range(walk);
    const q = Uint8Array.from(walk, (v) => Math.round(((v - min) / r) * 255));
    const d = Uint8Array.from(q, (v, i) => (v - (i >= N ? q[i - N]! : 0)) & 255);
    assert.ok(zlib.deflateSync(d, { level: 9 }).length > LIMIT);
  });

  for (const [name, data] of [
    ['a random walk', () => walk],
    ['an RWA h_t sequence on an adding sample', rwaData],
  ] as const) {
    it(`${name}: 1000 x 250 in at most 128 KB, error at most 1/255 of the range`, () => {
      const h = data();
      const encoded = encodeHidden(h, T, N);
      assert.equal(encoded.codec, HIDDEN_CODEC);
      assert.ok(encoded.bytes.length <= LIMIT, `${encoded.bytes.length} bytes`);
      const decoded = roundTrip(encoded);
      assert.ok(maxError(decoded, h) <= range(h) / 255, `max error ${maxError(decoded, h)} vs range ${range(h)}`);
    });
  }

  it('every layout and compression decodes to the same levels; re-encoding the result is lossless', async () => {
    const h = walk.subarray(0, 200 * N);
    const first = roundTrip(encodeHidden(h, 200, N));
    for (const layout of ['unit', 'time'] as const) {
      for (const compression of ['deflate', 'brotli'] as const) {
        const e = encodeHidden(h, 200, N, { layout, compression: [compression] });
        assert.deepEqual(e.params, { ...(e.params as object), layout, compression });
        assert.deepEqual(roundTrip(e), first);
      }
    }
    assert.ok(maxError(roundTrip(encodeHidden(first, 200, N)), first) <= range(first) / 255);
    const async = await encodeHiddenAsync(h, 200, N);
    assert.deepEqual(async, encodeHidden(h, 200, N));
  });

  it('handles a constant snapshot, one step, one unit, and ranges of a few ulps (losslessly)', () => {
    const constant = new Float32Array(30).fill(0.25);
    assert.deepEqual(roundTrip(encodeHidden(constant, 10, 3)), constant);
    const single = Float32Array.of(-0.5, 0.5, 0.1);
    assert.ok(maxError(roundTrip(encodeHidden(single, 1, 3)), single) <= 1 / 255);
    assert.ok(maxError(roundTrip(encodeHidden(single, 3, 1)), single) <= 1 / 255);
    const ulps = Float32Array.from({ length: 64 }, (_, i) => 0.75 + (i % 5) * 2 ** -24);
    const e = encodeHidden(ulps, 8, 8);
    assert.ok(maxError(roundTrip(e), ulps) <= range(ulps) / 255);
    const raw = encodeHidden(walk.subarray(0, 10 * N), 10, N, { raw: true });
    assert.equal(raw.codec, RAW_CODEC);
    assert.deepEqual(roundTrip(raw), walk.subarray(0, 10 * N));
  });

  it('rejects bad input with the reason', () => {
    assert.throws(
      () => encodeHidden(new Float32Array(5), 2, 3),
      codecError('BAD_INPUT', /expected T\*N = 6 values, got 5/),
    );
    assert.throws(() => encodeHidden(Float32Array.of(0, NaN), 1, 2), codecError('BAD_INPUT', /1 is not finite/));
    assert.throws(() => encodeHidden(new Float32Array(0), 0, 3), codecError('BAD_INPUT', /positive integers/));
  });

  describe('decoding', () => {
    const h = walk.subarray(0, 50 * N);
    const e = encodeHidden(h, 50, N);
    const e2 = encodeHidden(h, 50, N, { compression: ['deflate'] });

    it('names an unknown codec and the known ones', () =>
      assert.throws(
        () => decodeHidden('hidden-q129-v9', e.params, e.bytes),
        codecError('UNKNOWN_CODEC', /v9.*hidden-q129-v1/),
      ));

    it('rejects params that do not fit', () => {
      assert.throws(() => decodeHidden(e.codec, { ...e.params, T: 0 }, e.bytes), codecError('BAD_PARAMS', /params\.T/));
      assert.throws(
        () => decodeHidden(e.codec, { ...e.params, layout: 'diag' }, e.bytes),
        codecError('BAD_PARAMS', /layout/),
      );
      assert.throws(() => decodeHidden(e.codec, null, e.bytes), codecError('BAD_PARAMS', /object/));
      assert.throws(() => decodeHidden(e.codec, { ...e.params, T: 51 }, e.bytes), codecError('CORRUPT', /mismatch/));
    });

    it('detects corrupt and truncated bytes, for brotli and deflate', () => {
      for (const enc of [e, e2]) {
        const good = decodeHidden(enc.codec, enc.params, enc.bytes);
        for (let i = 0; i < enc.bytes.length; i += 41) {
          const bad = Buffer.from(enc.bytes);
          bad[i]! ^= 0x5a;
          let decoded: Float32Array | undefined;
          try {
            decoded = decodeHidden(enc.codec, enc.params, bad);
          } catch (err) {
            assert.ok(codecError('CORRUPT', /corrupt/)(err), String(err));
          }
          // A flip that survives must have hit unused padding bits: the data is then intact.
          if (decoded) assert.deepEqual(decoded, good, `byte ${i} changed the data undetected`);
          if (i > 0 && i < enc.bytes.length - 4) assert.equal(decoded, undefined, `byte ${i} flip undetected`);
        }
        const cut = enc.bytes.subarray(0, enc.bytes.length - 9);
        assert.throws(() => decodeHidden(enc.codec, enc.params, cut), codecError('CORRUPT', /corrupt/));
        assert.throws(() => decodeHidden(enc.codec, enc.params, Buffer.alloc(0)), codecError('CORRUPT', /corrupt/));
      }
    });
  });
});
