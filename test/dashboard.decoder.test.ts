/**
 * The browser's hidden-state decoder (src/dashboard/codec/decode.ts, bundled here with esbuild) against the
 * Node encoder (src/trainer/codec): snapshots encoded in Node decode in Chromium to the very same float32
 * values as the Node decoder gives, for both layouts, the raw codec and a constant snapshot; corrupt bytes
 * and brotli payloads are refused with a message.
 *   npx tsc -p . && node --test dist/test/dashboard.decoder.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { decodeHidden, encodeHidden } from '../src/trainer/codec/index.js';
import { packageRoot } from '../src/server/paths.js';
import { chromiumMissing, launchChromium } from './helpers/browser.js';

/** A bounded random walk (T, N), the codec's hard case, with a few saturated units. */
function randomWalk(T: number, N: number, seed: number): Float32Array {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const h = new Float32Array(T * N);
  for (let j = 0; j < N; j++) {
    let v = 0;
    for (let t = 0; t < T; t++) {
      v = Math.max(-1, Math.min(1, v + 0.08 * rand()));
      h[t * N + j] = j % 17 === 0 ? Math.tanh(5 * v) : v;
    }
  }
  return h;
}

test(
  'snapshots encoded in Node decode identically in Chromium',
  { skip: chromiumMissing(), timeout: 60_000 },
  async () => {
    const bundle = await esbuild.build({
      entryPoints: [path.join(packageRoot, 'src', 'dashboard', 'codec', 'decode.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'rwaDecode',
      write: false,
      logLevel: 'silent',
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>decoder</title>');
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });

      const cases = [
        { name: '1000 x 250 random walk, unit-major', T: 1000, N: 250, h: randomWalk(1000, 250, 1), options: {} },
        {
          name: '120 x 33, time-major',
          T: 120,
          N: 33,
          h: randomWalk(120, 33, 2),
          options: { layout: 'time' as const },
        },
        { name: 'raw float32 codec', T: 50, N: 7, h: randomWalk(50, 7, 3), options: { raw: true } },
        { name: 'constant snapshot', T: 10, N: 4, h: new Float32Array(40).fill(0.25), options: {} },
      ];
      for (const c of cases) {
        const enc = encodeHidden(c.h, c.T, c.N, c.options);
        const expected = decodeHidden(enc.codec, enc.params, enc.bytes);
        const t0 = performance.now();
        const got = await page.evaluate(
          async ([codec, params, b64]) => {
            const w = window as unknown as {
              rwaDecode: {
                decodeHidden(c: string, p: unknown, b: Uint8Array): Promise<Float32Array>;
                base64ToBytes(s: string): Uint8Array;
              };
            };
            const started = performance.now();
            const h = await w.rwaDecode.decodeHidden(codec, params, w.rwaDecode.base64ToBytes(b64));
            const ms = performance.now() - started;
            let bin = '';
            const bytes = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
            for (let i = 0; i < bytes.length; i += 8192) bin += String.fromCharCode(...bytes.subarray(i, i + 8192));
            return { b64: btoa(bin), ms };
          },
          [enc.codec, enc.params, enc.bytes.toString('base64')] as [string, unknown, string],
        );
        const decoded = new Float32Array(new Uint8Array(Buffer.from(got.b64, 'base64')).buffer);
        assert.equal(decoded.length, c.T * c.N, c.name);
        assert.deepEqual(Buffer.from(decoded.buffer), Buffer.from(expected.buffer), `${c.name}: bit-identical to Node`);
        if (c.T === 1000)
          console.log(
            `# browser decode of 1000 x 250 (${enc.bytes.length} B): ${got.ms.toFixed(1)} ms in page, ${(performance.now() - t0).toFixed(0)} ms round trip`,
          );
      }

      const enc = encodeHidden(randomWalk(40, 8, 4), 40, 8);
      const refuse = (codec: string, params: unknown, bytes: Buffer) =>
        page.evaluate(
          async ([c, p, b64]) => {
            const w = window as unknown as {
              rwaDecode: {
                decodeHidden(c: string, p: unknown, b: Uint8Array): Promise<Float32Array>;
                base64ToBytes(s: string): Uint8Array;
              };
            };
            try {
              await w.rwaDecode.decodeHidden(c, p, w.rwaDecode.base64ToBytes(b64));
              return 'decoded';
            } catch (e) {
              return `${(e as Error).name}: ${(e as Error).message}`;
            }
          },
          [codec, params, bytes.toString('base64')] as [string, unknown, string],
        );
      const flipped = Buffer.from(enc.bytes);
      flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
      assert.match(
        await refuse(enc.codec, enc.params, flipped),
        /DecodeError: .*(corrupt|inflates|CRC|predictor|residual)/,
      );
      assert.match(await refuse('hidden-zz-v9', enc.params, enc.bytes), /unknown hidden-state codec/);
      const brotli = encodeHidden(randomWalk(40, 8, 4), 40, 8, { compression: ['brotli'] });
      assert.match(await refuse(brotli.codec, brotli.params, brotli.bytes), /cannot inflate "brotli"/);
      assert.match(
        await refuse(enc.codec, { ...enc.params, crc32: ((enc.params.crc32 as number) ^ 1) >>> 0 }, enc.bytes),
        /CRC-32/,
      );
    } finally {
      await browser.close();
    }
  },
);
