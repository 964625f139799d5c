/**
 * Orders of the hidden units for the heatmap, so structure shows (the article's figures sort nothing;
 * sorting by when a unit changes most turns scattered switches into a diagonal):
 *   index   as stored
 *   change  by the time of the unit's largest step-to-step change |h_t - h_{t-1}|
 *   peak    by the time of the unit's largest |h_t|
 *   mean    by the unit's mean value, highest first
 * Ties keep index order. h is (T, N) time-major.
 */
export type UnitOrderName = 'index' | 'change' | 'peak' | 'mean';

export function unitOrder(h: Float32Array, T: number, N: number, by: UnitOrderName): Int32Array {
  const order = Int32Array.from({ length: N }, (_, j) => j);
  if (by === 'index' || T === 0) return order;
  const key = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    if (by === 'mean') {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += h[t * N + j]!;
      key[j] = -sum / T;
    } else {
      let best = -1;
      let at = 0;
      for (let t = by === 'change' ? 1 : 0; t < T; t++) {
        const v = by === 'change' ? Math.abs(h[t * N + j]! - h[(t - 1) * N + j]!) : Math.abs(h[t * N + j]!);
        if (v > best) {
          best = v;
          at = t;
        }
      }
      key[j] = at;
    }
  }
  return order.sort((a, b) => key[a]! - key[b]! || a - b);
}
