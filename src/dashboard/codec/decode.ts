/**
 * The hidden-state snapshot decoder, in the browser: the inverse of the server's encoder
 * (src/trainer/codec/index.ts and transform.ts; the dashboard imports no server code, so the format is
 * re-implemented here and tested against the Node encoder in test/dashboard.decoder.test.ts).
 *
 *   const h = await decodeHidden(codec, params, base64ToBytes(dataBase64));   // Float32Array (T, N), time-major
 *
 * 'hidden-q129-v1': raw deflate -> [N predictor orders][N centre levels][T*N zigzagged residuals, unit- or
 * time-major]; each unit's levels are rebuilt by running its predictor (order 0: centre; 1: q[t-1];
 * 2: 2q[t-1] - q[t-2]) and adding the residual modulo 129; h = min + level * step.
 * 'hidden-f32-v1': raw deflate of float32 values. Both carry a CRC-32 of the inflated bytes.
 */
import { crc32 } from './crc32.js';

export const LEVELS = 129;

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

async function inflateRaw(bytes: Uint8Array, expected: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'));
  const out = new Uint8Array(expected);
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > expected) throw new DecodeError(`payload inflates to more than ${expected} bytes`);
      out.set(value, size);
      size += value.length;
    }
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`corrupt deflate payload: ${(e as Error).message}`);
  }
  if (size !== expected) throw new DecodeError(`payload inflates to ${size} bytes, expected ${expected}`);
  return out;
}

const unzigzag = (z: number) => (z & 1 ? -(z + 1) / 2 : z / 2);

/** Residual bytes (header + residuals) -> levels (T, N) time-major. */
export function fromResiduals(bytes: Uint8Array, T: number, N: number, layout: 'unit' | 'time'): Uint8Array {
  const levels = new Uint8Array(T * N);
  for (let j = 0; j < N; j++) {
    const order = bytes[j]!;
    const centre = bytes[N + j]!;
    if (order > 2 || centre >= LEVELS) throw new DecodeError(`unit ${j}: bad predictor header (${order}, ${centre})`);
    for (let t = 0; t < T; t++) {
      const z = bytes[2 * N + (layout === 'unit' ? j * T + t : t * N + j)]!;
      if (z >= LEVELS) throw new DecodeError(`residual byte ${z} out of range 0..${LEVELS - 1}`);
      let p: number;
      if (order === 0 || t === 0) p = centre;
      else if (order === 1 || t === 1) p = levels[(t - 1) * N + j]!;
      else p = 2 * levels[(t - 1) * N + j]! - levels[(t - 2) * N + j]!;
      const v = (p + unzigzag(z)) % LEVELS;
      levels[t * N + j] = v < 0 ? v + LEVELS : v;
    }
  }
  return levels;
}

function int(p: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = p[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new DecodeError(`params.${key} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** Decodes a stored snapshot into (T, N) float32 values, time-major (h_t is row t). */
export async function decodeHidden(codec: string, params: unknown, bytes: Uint8Array): Promise<Float32Array> {
  if (typeof params !== 'object' || params === null) throw new DecodeError('params must be an object');
  const p = params as Record<string, unknown>;
  const T = int(p, 'T', 1, 1e7);
  const N = int(p, 'N', 1, 1e6);
  const crc = int(p, 'crc32', 0, 2 ** 32 - 1);
  if (codec === 'hidden-f32-v1') {
    const payload = await inflateRaw(bytes, 4 * T * N);
    if (crc32(payload) !== crc) throw new DecodeError(`corrupt ${codec} payload (CRC-32 mismatch)`);
    return new Float32Array(payload.buffer);
  }
  if (codec !== 'hidden-q129-v1')
    throw new DecodeError(
      `unknown hidden-state codec ${JSON.stringify(codec)}; this dashboard decodes hidden-q129-v1 and hidden-f32-v1`,
    );
  int(p, 'levels', LEVELS, LEVELS);
  const { min, step, layout, compression } = p;
  if (typeof min !== 'number' || typeof step !== 'number' || !Number.isFinite(min) || !(step >= 0))
    throw new DecodeError('params.min and params.step must be finite numbers (step >= 0)');
  if (layout !== 'unit' && layout !== 'time')
    throw new DecodeError(`params.layout must be unit or time, got ${JSON.stringify(layout)}`);
  if (compression !== 'deflate')
    throw new DecodeError(
      `browsers cannot inflate ${JSON.stringify(compression)} snapshots; re-encode them with deflate`,
    );
  const payload = await inflateRaw(bytes, 2 * N + T * N);
  if (crc32(payload) !== crc) throw new DecodeError(`corrupt ${codec} payload (CRC-32 mismatch)`);
  const levels = fromResiduals(payload, T, N, layout);
  const h = new Float32Array(T * N);
  for (let i = 0; i < h.length; i++) h[i] = min + levels[i]! * step;
  return h;
}
