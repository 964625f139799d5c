/**
 * Measures the hidden-state codec's variants on 1000 x 250 snapshots: size, max error, encode/decode ms.
 *   npx tsc -p . && node dist/src/trainer/codec/measure.js
 */
import zlib from 'node:zlib';
import { decodeHidden, encodeHidden, type EncodeOptions } from './index.js';
import { randomWalkSnapshot, rwaSnapshot } from './samples.js';
import { toResiduals } from './transform.js';

const T = 1000;
const N = 250;

/** The reference point: uint8 levels, delta over time (time-major), deflate level 9. */
function naive(h: Float32Array): number {
  let min = Infinity;
  let max = -Infinity;
  for (const v of h) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const q = Uint8Array.from(h, (v) => Math.round(((v - min) / (max - min)) * 255));
  const d = new Uint8Array(q.length);
  for (let i = 0; i < q.length; i++) d[i] = (q[i]! - (i >= N ? q[i - N]! : 0)) & 255;
  return zlib.deflateSync(d, { level: 9 }).length;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const time = <R>(f: () => R): [R, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
};

const data: [string, Float32Array][] = [
  ['random walk (sigma 0.035)', randomWalkSnapshot(T, N)],
  ['RWA, adding sample', rwaSnapshot(T, N)],
  ['RWA, W_g, W_a x 4', rwaSnapshot(T, N, 1, 4)],
];
const variants: [string, EncodeOptions][] = [
  ['unit-major, deflate (Z_FILTERED)', { compression: ['deflate'] }],
  ['time-major, deflate (Z_FILTERED)', { compression: ['deflate'], layout: 'time' }],
  ['time-major, brotli 10', { compression: ['brotli'], layout: 'time' }],
  ['default: unit-major, brotli 10', {}],
];

for (const [name, h] of data) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of h) [min, max] = [Math.min(min, v), Math.max(max, v)];
  console.log(`\n${name}: range ${(max - min).toFixed(3)}; naive uint8 + time-delta + deflate: ${kb(naive(h))}`);
  // What the per-unit predictor choice buys over plain first differences (same brotli settings).
  const levels = Uint8Array.from(h, (v) => Math.round(((v - min) / (max - min)) * 128));
  const firstOrder = zlib.brotliCompressSync(toResiduals(levels, T, N, 'unit', 1), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 10 },
  });
  console.log(`  first differences only, unit-major, brotli 10: ${kb(firstOrder.length)}`);
  for (const [label, options] of variants) {
    const [enc, encMs] = time(() => encodeHidden(h, T, N, options));
    const [dec, decMs] = time(() => decodeHidden(enc.codec, enc.params, enc.bytes));
    let err = 0;
    for (let i = 0; i < h.length; i++) err = Math.max(err, Math.abs(dec[i]! - h[i]!));
    const p = enc.params as { compression?: string };
    console.log(
      `  ${label.padEnd(38)} ${kb(enc.bytes.length).padStart(9)}  max error ${((err / (max - min)) * 255).toFixed(3)}/255 of range` +
        `  encode ${encMs.toFixed(0)} ms, decode ${decMs.toFixed(0)} ms (${p.compression ?? enc.codec})`,
    );
  }
}
