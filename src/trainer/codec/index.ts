/**
 * Hidden-state snapshot codec: the h_t sequence (T, N) of one test sample, small enough to keep at every
 * evaluation, accurate to 1/255 of the snapshot's range.
 *
 *   const { codec, params, bytes } = encodeHidden(h, T, N);   // store all three
 *   const h2 = decodeHidden(codec, params, bytes);           // Float32Array (T, N)
 *
 * Codec 'hidden-q129-v1' (the normal one):
 * 1. Quantise per snapshot: step = (max - min) / 128, q = round((h - min) / step) in 0..128, so the
 *    error is at most step / 2 = range / 256 (< range / 255); the encoder checks the float32 result.
 * 2. Predict each unit over time (./transform.ts: per-unit order 0, 1 or 2 on the integer levels, so the
 *    decoder reproduces them exactly), residuals modulo 129, zigzag, one byte each, unit-major.
 * 3. Compress with raw deflate (level 9, Z_FILTERED) by default: the dashboard inflates it in the browser
 *    with DecompressionStream('deflate-raw'), which has no brotli. Brotli (quality 10) can be asked for
 *    and is decodable: ~4% smaller on noise-like residuals (100 vs 104 KB on the random walk below) and
 *    better where units saturate. Given several compressors the encoder keeps the smallest result.
 *    params.crc32 covers the residual bytes (brotli has no checksum of its own).
 * Codec 'hidden-f32-v1': raw float32 + deflate, used only when quantising cannot meet the bound (a
 * snapshot whose range is a few float32 ulps) or in tests.
 * Measurements (src/trainer/codec/measure.ts, 1000 x 250): a bounded random walk on which uint8 +
 * time-delta + deflate takes 139 KB: 100 KB (~0.3 s to encode, ~10 ms to decode); an RWA forward pass on
 * an adding sample: 4 KB (~60 ms). The residuals of the random walk are at their entropy: only a coarser
 * step, which the error bound forbids, would make them smaller.
 *
 * Unknown codec names, params that do not fit and corrupt bytes throw a CodecError.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { crc32 } from './crc32.js';
import { fromResiduals, LEVELS, toResiduals, type Layout } from './transform.js';

export const HIDDEN_CODEC = 'hidden-q129-v1';
export const RAW_CODEC = 'hidden-f32-v1';
export const CODECS = [HIDDEN_CODEC, RAW_CODEC] as const;
export type CodecName = (typeof CODECS)[number];
export type Compression = 'deflate' | 'brotli';

export interface QuantisedParams {
  T: number;
  N: number;
  /** Level 0 decodes to min, level q to min + q * step. */
  min: number;
  step: number;
  levels: number;
  layout: Layout;
  compression: Compression;
  /** CRC-32 of the uncompressed residual bytes. */
  crc32: number;
}
export interface RawParams {
  T: number;
  N: number;
  crc32: number;
}

export interface EncodedHidden {
  codec: CodecName;
  params: QuantisedParams | RawParams;
  bytes: Buffer;
}

export interface EncodeOptions {
  /**
   * Which compressors to try; the smallest result is kept. Default ['deflate']: browsers inflate raw deflate
   * natively (DecompressionStream('deflate-raw')) but not brotli, and brotli saves only ~4% here.
   */
  compression?: readonly Compression[];
  layout?: Layout;
  /** Use the lossless float32 codec. */
  raw?: boolean;
}

export type CodecErrorCode = 'UNKNOWN_CODEC' | 'BAD_INPUT' | 'BAD_PARAMS' | 'CORRUPT';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const BROTLI: zlib.BrotliOptions = {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 10, [zlib.constants.BROTLI_PARAM_LGWIN]: 22 },
};
const DEFLATE: zlib.ZlibOptions = { level: 9, strategy: zlib.constants.Z_FILTERED };

const compressSync = (c: Compression, b: Uint8Array) =>
  c === 'brotli' ? zlib.brotliCompressSync(b, BROTLI) : zlib.deflateRawSync(b, DEFLATE);
const brotliAsync = promisify(zlib.brotliCompress);
const deflateAsync = promisify(zlib.deflateRaw);
const compressAsync = (c: Compression, b: Uint8Array): Promise<Buffer> =>
  c === 'brotli' ? brotliAsync(b, BROTLI) : deflateAsync(b, DEFLATE);

interface Prepared {
  codec: CodecName;
  params: Omit<QuantisedParams, 'compression'> | RawParams;
  payload: Uint8Array;
  compressions: readonly Compression[];
}

function prepare(h: Float32Array, T: number, N: number, options: EncodeOptions): Prepared {
  if (!Number.isInteger(T) || !Number.isInteger(N) || T < 1 || N < 1)
    throw new CodecError('BAD_INPUT', `T and N must be positive integers, got T=${T}, N=${N}`);
  if (h.length !== T * N) throw new CodecError('BAD_INPUT', `expected T*N = ${T * N} values, got ${h.length}`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    if (!Number.isFinite(v)) throw new CodecError('BAD_INPUT', `hidden state ${i} is not finite: ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const raw = (): Prepared => {
    const payload = new Uint8Array(h.buffer.slice(h.byteOffset, h.byteOffset + h.byteLength));
    return { codec: RAW_CODEC, params: { T, N, crc32: crc32(payload) }, payload, compressions: ['deflate'] };
  };
  if (options.raw) return raw();

  const step = (max - min) / (LEVELS - 1);
  const levels = new Uint8Array(T * N);
  const bound = (max - min) / 255;
  for (let i = 0; i < h.length; i++) {
    const q = step > 0 ? Math.round((h[i]! - min) / step) : 0;
    levels[i] = q;
    // The decoder's float32 value must be within the bound; only fails for ranges of a few ulps.
    if (Math.abs(Math.fround(min + q * step) - h[i]!) > bound) return raw();
  }
  const layout = options.layout ?? 'unit';
  const payload = toResiduals(levels, T, N, layout);
  return {
    codec: HIDDEN_CODEC,
    params: { T, N, min, step, levels: LEVELS, layout, crc32: crc32(payload) },
    payload,
    compressions: options.compression ?? ['deflate'],
  };
}

function finish(p: Prepared, compressed: Buffer[]): EncodedHidden {
  let best = 0;
  for (let i = 1; i < compressed.length; i++) if (compressed[i]!.length < compressed[best]!.length) best = i;
  const params = p.codec === HIDDEN_CODEC ? { ...p.params, compression: p.compressions[best]! } : p.params;
  return { codec: p.codec, params: params as EncodedHidden['params'], bytes: compressed[best]! };
}

/** Encodes one (T, N) time-major snapshot. Up to ~0.3 s at 1000 x 250 (brotli); see encodeHiddenAsync. */
export function encodeHidden(h: Float32Array, T: number, N: number, options: EncodeOptions = {}): EncodedHidden {
  const p = prepare(h, T, N, options);
  return finish(
    p,
    p.compressions.map((c) => compressSync(c, p.payload)),
  );
}

/** Same result as encodeHidden; the compression runs on libuv's thread pool, off the event loop. */
export async function encodeHiddenAsync(
  h: Float32Array,
  T: number,
  N: number,
  options: EncodeOptions = {},
): Promise<EncodedHidden> {
  const p = prepare(h, T, N, options);
  return finish(p, await Promise.all(p.compressions.map((c) => compressAsync(c, p.payload))));
}

function intParam(params: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = params[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new CodecError('BAD_PARAMS', `params.${key} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function inflate(compression: unknown, bytes: Uint8Array, expected: number): Buffer {
  try {
    const options = { maxOutputLength: expected + 1 };
    if (compression === 'brotli') return zlib.brotliDecompressSync(bytes, options);
    if (compression === 'deflate') return zlib.inflateRawSync(bytes, options);
  } catch (e) {
    throw new CodecError('CORRUPT', `corrupt ${String(compression)} payload: ${(e as Error).message}`);
  }
  throw new CodecError(
    'BAD_PARAMS',
    `params.compression must be deflate or brotli, got ${JSON.stringify(compression)}`,
  );
}

/** Decodes what encodeHidden wrote back into a (T, N) Float32Array. */
export function decodeHidden(codec: string, params: unknown, bytes: Uint8Array): Float32Array {
  if (!(CODECS as readonly string[]).includes(codec))
    throw new CodecError(
      'UNKNOWN_CODEC',
      `unknown hidden-state codec ${JSON.stringify(codec)}; known: ${CODECS.join(', ')}`,
    );
  if (typeof params !== 'object' || params === null) throw new CodecError('BAD_PARAMS', 'params must be an object');
  const p = params as Record<string, unknown>;
  const T = intParam(p, 'T', 1, 1e7);
  const N = intParam(p, 'N', 1, 1e6);
  const crc = intParam(p, 'crc32', 0, 2 ** 32 - 1);
  if (codec === RAW_CODEC) {
    const payload = inflate('deflate', bytes, 4 * T * N);
    if (payload.length !== 4 * T * N || crc32(payload) !== crc)
      throw new CodecError('CORRUPT', `corrupt ${codec} payload (length or CRC-32 mismatch)`);
    return new Float32Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length));
  }
  intParam(p, 'levels', LEVELS, LEVELS);
  const { min, step, layout } = p;
  if (typeof min !== 'number' || typeof step !== 'number' || !Number.isFinite(min) || !(step >= 0))
    throw new CodecError('BAD_PARAMS', `params.min and params.step must be finite numbers (step >= 0)`);
  if (layout !== 'unit' && layout !== 'time')
    throw new CodecError('BAD_PARAMS', `params.layout must be unit or time, got ${JSON.stringify(layout)}`);
  const payload = inflate(p.compression, bytes, 2 * N + T * N);
  if (payload.length !== 2 * N + T * N || crc32(payload) !== crc)
    throw new CodecError('CORRUPT', `corrupt ${codec} payload (length or CRC-32 mismatch)`);
  let levels: Uint8Array;
  try {
    levels = fromResiduals(payload, T, N, layout);
  } catch (e) {
    throw new CodecError('CORRUPT', `corrupt ${codec} payload: ${(e as Error).message}`);
  }
  const h = new Float32Array(T * N);
  for (let i = 0; i < h.length; i++) h[i] = min + levels[i]! * step;
  return h;
}
