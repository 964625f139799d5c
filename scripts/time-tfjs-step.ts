/**
 * Milliseconds per training step (forward + backward through time + Adam) of the tfjs engine, by phase.
 * A hand tool for tuning, not a test; the full benchmark is scripts/bench-train.ts.
 *   npx tsc -p . && node dist/scripts/time-tfjs-step.js [cell=rwa] [T=100] [backend=wasm] [steps=5] [units=250] [gradChunk=25]
 */
import { createTfjsEngine, type TfjsBackend } from '../src/trainer/engines/tfjs/index.js';
import { DEFAULT_ADAM, type CellKind } from '../src/trainer/engines/engine.js';
import { initParams } from '../src/trainer/models/params.js';
import { Rng } from '../src/trainer/random.js';

const [cell = 'rwa', T = '100', backend = 'wasm', steps = '5', units = '250', chunk = '25'] = process.argv.slice(2);
const spec = { cell: cell as CellKind, inputSize: 2, units: Number(units), layers: 1, outputSize: 1, outputSteps: 1 };
const B = 100;
const engine = await createTfjsEngine({ backend: backend as TfjsBackend, gradChunk: Number(chunk) });
const rng = new Rng(1);
const batch = { steps: Number(T), batchSize: B, x: new Float32Array(Number(T) * B * 2).map(() => rng.uniform()) };
const dY = new Float32Array(B).map(() => rng.range(-1, 1) / B);
const model = engine.createModel(spec, initParams(spec, 1));
const phases = {
  forward: [] as number[],
  backward: [] as number[],
  adam: [] as number[],
  total: [] as number[],
  'total cpu': [] as number[],
};
// CPU time as well as wall time: the machine is shared, and the wasm back end runs on one thread.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let s = 0; s <= Number(steps); s++) {
  const c0 = cpuMs();
  const t0 = performance.now();
  model.forward(batch);
  const t1 = performance.now();
  model.backward(dY);
  const t2 = performance.now();
  model.adamStep(DEFAULT_ADAM);
  const t3 = performance.now();
  if (s === 0) continue; // warm-up
  phases.forward.push(t1 - t0);
  phases.backward.push(t2 - t1);
  phases.adam.push(t3 - t2);
  phases.total.push(t3 - t0);
  phases['total cpu'].push(cpuMs() - c0);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(
  `${engine.backend} ${cell} B=${B} N=${units} T=${T}: ` +
    Object.entries(phases)
      .map(([k, v]) => `${k} ${median(v).toFixed(0)} ms`)
      .join(', '),
);
model.dispose();
