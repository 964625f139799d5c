/** RDA test fixtures: set the discount, and the RWA that shares an RDA's weights. */
import type { ModelSpec } from '../../src/trainer/engines/engine.js';
import { paramLayout, paramView } from '../../src/trainer/models/params.js';

/** A copy of `params` with every bgamma set to `bias` and every Wgamma scaled by `wScale`. */
export function setDiscount(spec: ModelSpec, params: Float32Array, bias: number, wScale = 1): Float32Array {
  const p = Float32Array.from(params);
  const layout = paramLayout(spec);
  for (let l = 0; l < spec.layers; l++) {
    paramView(p, layout, `l${l}.bgamma`).fill(bias);
    paramView(p, layout, `l${l}.Wgamma`).forEach((w, i, a) => (a[i] = w * wScale));
  }
  return p;
}

/** The RWA whose Wu, bu, Wg, bg, Wa, s and readout are the RDA's (Wgamma and bgamma dropped). */
export function rwaSharing(spec: ModelSpec, rda: Float32Array): { spec: ModelSpec; params: Float32Array } {
  const rwaSpec: ModelSpec = { ...spec, cell: 'rwa' };
  const from = paramLayout(spec);
  const to = paramLayout(rwaSpec);
  const params = new Float32Array(to.total);
  for (const t of to.tensors) params.set(paramView(rda, from, t.name), t.offset);
  return { spec: rwaSpec, params };
}
