/**
 * The lossless half of the hidden-state codec: quantised levels <-> prediction residual bytes.
 *
 * Levels q[t, j] are integers in 0..M-1 (M = LEVELS = 129). Each unit j gets its own predictor, the one
 * whose residuals look cheapest (sum of log2(1 + |r|)):
 *   order 0: p = c_j (the unit's median level; units that follow a white-noise input),
 *   order 1: p = q[t-1]           (random-walk-like units),
 *   order 2: p = 2 q[t-1] - q[t-2] (units on a smooth trend),
 * with p = c_j before the first step the order needs. Residuals r = q - p are taken modulo M into
 * -64..64 and zigzagged (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...), so every residual is one byte 0..128 and
 * the decoder, running the same predictor on the levels it has already rebuilt, recovers q exactly.
 *
 * Byte stream (before deflate/brotli): N order bytes, N centre bytes, then the T*N residuals, unit-major
 * (all of unit 0's steps, then unit 1's: long runs of small residuals, one unit's statistics at a time)
 * or time-major.
 */
export const LEVELS = 129;
const HALF = (LEVELS - 1) / 2;

export type Layout = 'unit' | 'time';
export type Order = 0 | 1 | 2;

const zigzag = (d: number) => (d >= 0 ? 2 * d : -2 * d - 1);
const unzigzag = (z: number) => (z & 1 ? -(z + 1) / 2 : z / 2);
/** d modulo LEVELS, into -HALF..HALF. */
const wrap = (d: number) => {
  let r = d % LEVELS;
  if (r > HALF) r -= LEVELS;
  else if (r < -HALF) r += LEVELS;
  return r;
};

function predict(order: Order, centre: number, q: (t: number) => number, t: number): number {
  if (order === 0 || t === 0) return centre;
  if (order === 1 || t === 1) return q(t - 1);
  return 2 * q(t - 1) - q(t - 2);
}

function median(values: Uint8Array): number {
  const counts = new Uint32Array(LEVELS);
  for (const v of values) counts[v]!++;
  let seen = 0;
  for (let v = 0; v < LEVELS; v++) {
    seen += counts[v]!;
    if (2 * seen >= values.length) return v;
  }
  return HALF;
}

/** levels (T, N) time-major -> residual bytes (header + residuals). forceOrder pins every unit's predictor. */
export function toResiduals(levels: Uint8Array, T: number, N: number, layout: Layout, forceOrder?: Order): Uint8Array {
  const out = new Uint8Array(2 * N + T * N);
  const unit = new Uint8Array(T);
  const residual = [new Uint8Array(T), new Uint8Array(T), new Uint8Array(T)];
  for (let j = 0; j < N; j++) {
    for (let t = 0; t < T; t++) unit[t] = levels[t * N + j]!;
    const centre = median(unit);
    const q = (t: number) => unit[t]!;
    let best: Order = 1;
    let bestCost = Infinity;
    for (const order of [1, 2, 0] as Order[]) {
      if (forceOrder !== undefined && order !== forceOrder) continue;
      let cost = 0;
      const r = residual[order]!;
      for (let t = 0; t < T; t++) {
        const d = wrap(unit[t]! - predict(order, centre, q, t));
        r[t] = zigzag(d);
        cost += Math.log2(1 + Math.abs(d));
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = order;
      }
    }
    out[j] = best;
    out[N + j] = centre;
    const r = residual[best]!;
    for (let t = 0; t < T; t++) out[2 * N + (layout === 'unit' ? j * T + t : t * N + j)] = r[t]!;
  }
  return out;
}

/** Inverse of toResiduals; throws on bytes no encoder could have written. */
export function fromResiduals(bytes: Uint8Array, T: number, N: number, layout: Layout): Uint8Array {
  if (bytes.length !== 2 * N + T * N)
    throw new RangeError(`expected ${2 * N + T * N} residual bytes for T=${T}, N=${N}, got ${bytes.length}`);
  const levels = new Uint8Array(T * N);
  for (let j = 0; j < N; j++) {
    const order = bytes[j]!;
    const centre = bytes[N + j]!;
    if (order > 2 || centre >= LEVELS) throw new RangeError(`unit ${j}: bad predictor header (${order}, ${centre})`);
    const q = (t: number) => levels[t * N + j]!;
    for (let t = 0; t < T; t++) {
      const z = bytes[2 * N + (layout === 'unit' ? j * T + t : t * N + j)]!;
      if (z >= LEVELS) throw new RangeError(`residual byte ${z} out of range 0..${LEVELS - 1}`);
      const v = (predict(order as Order, centre, q, t) + unzigzag(z)) % LEVELS;
      levels[t * N + j] = v < 0 ? v + LEVELS : v;
    }
  }
  return levels;
}
