/**
 * The native engine against the float64 oracle (../src/trainer/models/reference.ts): outputs and hidden
 * states, finite-difference gradients of every cell (masks of different lengths, 2 layers, several
 * readout steps), reproducibility (bit-identical runs; 1 vs 2 threads), Adam and clipping against a
 * float64 Adam in JS, and argument checking. Fails (does not skip) when the addon is not built.
 *   npx tsc -p . && node --test dist/test/native.engine.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CELL_KINDS,
  type AdamOptions,
  type CellKind,
  type Engine,
  type ModelSpec,
  type SequenceBatch,
} from '../src/trainer/engines/engine.js';
import { loadNativeAddon, loadNativeEngine, staleness } from '../src/trainer/engines/native/index.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { finiteDifferenceGradient, referenceForward } from '../src/trainer/models/reference.js';
import { Rng } from '../src/trainer/random.js';

function engine(threads = 2): Engine {
  const loaded = loadNativeEngine({ threads });
  if ('error' in loaded) assert.fail(`the native addon must be built for these tests: ${loaded.error}`);
  return loaded.engine;
}

const CELLS: CellKind[] = ['rwa', 'lstm', 'gru', 'rda'];

function spec(cell: CellKind, layers = 1, over: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, inputSize: 3, units: 5, layers, outputSize: 2, outputSteps: 2, ...over };
}

/** Random inputs; lengths[b] real steps for sequence b (a prefix mask), or no mask. */
function makeBatch(sp: ModelSpec, T: number, B: number, seed: number, lengths?: number[]): SequenceBatch {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: T * B * sp.inputSize }, () => rng.normal());
  if (!lengths) return { steps: T, batchSize: B, x };
  const mask = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) mask[t * B + b] = t < lengths[b]! ? 1 : 0;
  return { steps: T, batchSize: B, x, mask };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const ADAM: AdamOptions = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describe('native engine: forward', () => {
  it('reports what runs', () => {
    assert.match(engine(2).backend, /^native (avx512|avx2-fma|portable), 2 threads$/);
    assert.match(engine(1).backend, /^native (avx512|avx2-fma|portable), 1 thread$/);
  });

  for (const cell of CELLS) {
    it(`${cell}: outputs and captured hidden states match the float64 reference (masks, 2 layers)`, () => {
      const sp = spec(cell, 2);
      const params = initParams(sp, 3);
      const batch = makeBatch(sp, 7, 4, 9, [7, 5, 1, 0]);
      const model = engine().createModel(sp, params);
      const { outputs, hidden } = model.forward(batch, { captureHidden: [1, 3, 1] });
      const ref = referenceForward(sp, params, batch);
      assert.ok(maxAbsDiff(outputs, ref.outputs) < 1e-5);
      const top = ref.hidden[1]!;
      const N = sp.units;
      [1, 3, 1].forEach((b, i) => {
        const want = new Float64Array(7 * N);
        for (let t = 0; t < 7; t++) for (let j = 0; j < N; j++) want[t * N + j] = top[(t * 4 + b) * N + j]!;
        assert.ok(maxAbsDiff(hidden![i]!, want) < 1e-5, `hidden of sequence ${b}`);
      });
      const evalOut = model.forward(batch, { training: false }).outputs;
      assert.deepEqual(evalOut, outputs, 'evaluation mode must give the same bits');
      model.dispose();
    });
  }

  it('evaluation mode captures the same hidden states; one sequence on more threads than rows works', () => {
    const sp = spec('gru', 2, { outputSteps: 1 });
    const params = initParams(sp, 4);
    const batch = makeBatch(sp, 9, 1, 3);
    const ref = referenceForward(sp, params, batch);
    const model = engine(4).createModel(sp, params);
    const train = model.forward(batch, { captureHidden: [0] });
    const evalRun = model.forward(batch, { captureHidden: [0], training: false });
    assert.ok(maxAbsDiff(train.outputs, ref.outputs) < 1e-5);
    assert.deepEqual(evalRun.outputs, train.outputs);
    assert.deepEqual(evalRun.hidden, train.hidden);
    model.dispose();
  });

  it('the portable and AVX2 kernels (ARM64, x86 without AVX-512) give the same outputs and gradients', async () => {
    const { loadNativeAddon } = await import('../src/trainer/engines/native/index.js');
    const loaded = loadNativeAddon();
    if ('error' in loaded) assert.fail(loaded.error);
    const sp = spec('rwa', 2);
    const params = initParams(sp, 6);
    const batch = makeBatch(sp, 8, 5, 2, [8, 3, 8, 1, 6]);
    const dY = Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => Math.sin(i));
    const run = () => {
      const model = engine().createModel(sp, params);
      const { outputs } = model.forward(batch);
      model.backward(dY);
      const grads = model.gradients();
      model.dispose();
      return { outputs, grads };
    };
    const fast = run();
    const info = loaded.addon.info();
    const others = [...(info.cpuHasAvx512 ? (['avx2-fma'] as const) : []), 'portable' as const];
    try {
      for (const isa of others) {
        assert.equal(loaded.addon.setIsa(isa), isa);
        const other = run();
        assert.ok(maxAbsDiff(other.outputs, fast.outputs) < 1e-5, isa);
        assert.ok(maxAbsDiff(other.grads, fast.grads) < 1e-5, isa);
      }
    } finally {
      loaded.addon.setIsa('auto');
    }
  });

  it('rwa stays finite where the naive form overflows (large attention logits)', () => {
    const sp = spec('rwa', 1, { units: 4 });
    const params = initParams(sp, 1);
    const layout = paramLayout(sp);
    paramView(params, layout, 'l0.Wa').forEach((v, i, a) => (a[i] = v * 400));
    const batch = makeBatch(sp, 30, 3, 2);
    const ref = referenceForward(sp, params, batch);
    const naive = referenceForward(sp, params, batch, { naiveRwa: true });
    assert.ok(
      Array.from(naive.outputs).some((v) => !Number.isFinite(v)),
      'the test needs a case the naive form breaks',
    );
    const { outputs } = engine().createModel(sp, params).forward(batch);
    assert.ok(outputs.every(Number.isFinite));
    assert.ok(maxAbsDiff(outputs, ref.outputs) < 1e-4);
  });
});

describe('native engine: gradients against float64 finite differences', () => {
  const cases: { name: string; layers: number; T: number; B: number; lengths?: number[]; K: number }[] = [
    { name: '1 layer, no mask', layers: 1, T: 6, B: 3, K: 1 },
    { name: '1 layer, masks 6/4/1/0, 2 readout steps', layers: 1, T: 6, B: 4, lengths: [6, 4, 1, 0], K: 2 },
    { name: '2 layers, masks 5/3, 3 readout steps', layers: 2, T: 5, B: 2, lengths: [5, 3], K: 3 },
  ];
  for (const cell of CELLS) {
    for (const c of cases) {
      it(`${cell}: ${c.name}`, () => {
        const sp = spec(cell, c.layers, { outputSteps: c.K });
        const params = initParams(sp, 21);
        // non-zero biases so their gradients are tested away from the special point 0
        const rng = new Rng(4);
        for (const t of paramLayout(sp).tensors)
          if (t.key.startsWith('b')) for (let i = 0; i < t.size; i++) params[t.offset + i] += rng.range(-0.5, 0.5);
        const batch = makeBatch(sp, c.T, c.B, 13, c.lengths);
        const model = engine().createModel(sp, params);
        const { outputs } = model.forward(batch);
        const dY = Float32Array.from({ length: outputs.length }, () => rng.normal());
        model.backward(dY);
        const grad = model.gradients();
        const fd = finiteDifferenceGradient(sp, params, batch, dY);
        for (const t of paramLayout(sp).tensors) {
          for (let i = t.offset; i < t.offset + t.size; i++) {
            const tol = 2e-5 + 1e-4 * Math.abs(fd[i]!);
            assert.ok(
              Math.abs(grad[i]! - fd[i]!) <= tol,
              `${t.name}[${i - t.offset}]: native ${grad[i]} vs fd ${fd[i]}`,
            );
          }
        }
        model.dispose();
      });
    }
  }
});

/** A few training steps on a mid-size problem (enough rows and columns for 2 threads to split work). */
function train(e: Engine, cell: CellKind, steps: number, clipNorm?: number): { params: Float32Array; norms: number[] } {
  const sp: ModelSpec = { cell, inputSize: 3, units: 37, layers: 2, outputSize: 2, outputSteps: 1 };
  const model = e.createModel(sp, initParams(sp, 5));
  const norms: number[] = [];
  for (let s = 0; s < steps; s++) {
    const batch = makeBatch(sp, 40, 13, 100 + s, [40, 35, 30, 20, 40, 1, 2, 40, 40, 17, 40, 39, 5]);
    const { outputs } = model.forward(batch);
    model.backward(outputs.map((v) => v - 0.5)); // d/dy of 0.5 (y - 0.5)^2
    norms.push(model.adamStep({ ...ADAM, clipNorm }).gradNorm);
  }
  const params = model.getParams();
  model.dispose();
  return { params, norms };
}

describe('native engine: reproducibility', () => {
  for (const cell of CELLS) {
    it(`${cell}: the same seed and thread count give bit-identical weights; 1 vs 2 threads agree`, () => {
      const a = train(engine(2), cell, 4);
      const b = train(engine(2), cell, 4);
      assert.deepEqual(a.params, b.params);
      const one = train(engine(1), cell, 4);
      // The kernels partition work so no sum depends on the thread count; allow float rounding anyway.
      assert.ok(maxAbsDiff(one.params, a.params) <= 1e-6, `1 vs 2 threads: ${maxAbsDiff(one.params, a.params)}`);
    });

    it(`${cell}: 110 sequences (four blocks of weight-gradient rows) give the same bits on 1, 2 and 3 threads`, () => {
      const sp: ModelSpec = { cell, inputSize: 3, units: 37, layers: 2, outputSize: 2, outputSteps: 2 };
      const lengths = Array.from({ length: 110 }, (_, b) => 1 + ((b * 7) % 12));
      const batch = makeBatch(sp, 12, 110, 21, lengths);
      const dY = Float32Array.from({ length: 2 * 110 * 2 }, (_, i) => Math.cos(i) / 110);
      const runs = [1, 2, 3].map((threads) => {
        const model = engine(threads).createModel(sp, initParams(sp, 8));
        const { outputs } = model.forward(batch);
        model.backward(dY);
        const grads = model.gradients();
        model.dispose();
        return { outputs, grads };
      });
      for (const r of runs.slice(1)) assert.deepEqual(r, runs[0]);
    });
  }
});

describe('native engine: Adam and clipping', () => {
  /** float64 Adam on the same gradients. */
  function jsAdam(p: Float64Array, m: Float64Array, v: Float64Array, g: Float32Array, step: number, o: AdamOptions) {
    let norm2 = 0;
    for (const x of g) norm2 += x * x;
    const norm = Math.sqrt(norm2);
    const scale = o.clipNorm !== undefined && norm > o.clipNorm ? o.clipNorm / norm : 1;
    const bc1 = 1 - o.beta1 ** step;
    const bc2 = 1 - o.beta2 ** step;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! * scale;
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
      p[i] = p[i]! - (o.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + o.eps);
    }
    return norm;
  }

  for (const clipNorm of [undefined, 0.05]) {
    it(`matches a float64 Adam on the same gradients (clipNorm ${clipNorm})`, () => {
      const sp = spec('lstm', 1);
      const params = initParams(sp, 8);
      const model = engine().createModel(sp, params);
      const p = Float64Array.from(params);
      const m = new Float64Array(p.length);
      const v = new Float64Array(p.length);
      for (let step = 1; step <= 3; step++) {
        const batch = makeBatch(sp, 6, 3, step);
        const { outputs } = model.forward(batch);
        model.backward(outputs.map((y) => y * 3));
        const g = model.gradients();
        const want = jsAdam(p, m, v, g, step, { ...ADAM, clipNorm });
        if (clipNorm !== undefined) assert.ok(want > clipNorm, 'the test needs gradients above the clip norm');
        const { gradNorm } = model.adamStep({ ...ADAM, clipNorm });
        assert.ok(Math.abs(gradNorm - want) <= 1e-6 * want, `norm ${gradNorm} vs ${want}`);
        assert.ok(maxAbsDiff(model.getParams(), p) < 1e-6, `params after step ${step}`);
      }
      const state = model.getOptimizerState();
      assert.equal(state.step, 3);
      assert.ok(maxAbsDiff(state.m, m) < 1e-7 && maxAbsDiff(state.v, v) < 1e-9);
      model.dispose();
    });
  }

  it('clipping bounds the update: every step moves each weight by at most lr, whatever the scale', () => {
    const sp = spec('rwa', 1);
    const model = engine().createModel(sp, initParams(sp, 2));
    const before = model.getParams();
    const batch = makeBatch(sp, 5, 2, 1);
    const { outputs } = model.forward(batch);
    model.backward(outputs.map(() => 1e6));
    const { gradNorm } = model.adamStep({ ...ADAM, lr: 0.001, clipNorm: 1 });
    assert.ok(gradNorm > 1e5);
    assert.ok(maxAbsDiff(model.getParams(), before) <= 0.001 * 1.0001);
    model.dispose();
  });

  it('optimizer state round-trips, and a restored model continues identically', () => {
    const sp = spec('gru', 1);
    const e = engine();
    const a = e.createModel(sp, initParams(sp, 1));
    const batch = makeBatch(sp, 5, 3, 1);
    const step = (model: typeof a) => {
      const { outputs } = model.forward(batch);
      model.backward(outputs);
      model.adamStep(ADAM);
    };
    step(a);
    const b = e.createModel(sp, a.getParams());
    b.setOptimizerState(a.getOptimizerState());
    step(a);
    step(b);
    assert.deepEqual(b.getParams(), a.getParams());
    assert.deepEqual(b.getOptimizerState(), a.getOptimizerState());
  });
});

describe('native engine: bad arguments throw errors that name them', () => {
  const sp = spec('rwa', 1);
  const good = makeBatch(sp, 4, 2, 1);
  const fresh = () => engine().createModel(sp, initParams(sp, 1));

  it('createModel checks the spec and the parameter length', () => {
    const e = engine();
    assert.throws(() => e.createModel({ ...sp, cell: 'tcn' as CellKind }, new Float32Array(10)), /spec.cell/);
    assert.throws(() => e.createModel(sp, new Float32Array(3)), /params must have length/);
    assert.throws(
      () => e.createModel({ ...sp, units: 0 }, new Float32Array(paramLayout({ ...sp, units: 0 }).total)),
      /units/,
    );
    assert.throws(() => e.createModel({ ...sp, layers: 1.5 }, new Float32Array(1)), /layers|params/);
  });

  it('forward checks x, mask, steps, batchSize and captureHidden', () => {
    const m = fresh();
    const x = good.x;
    assert.throws(
      () => m.forward({ ...good, x: x.subarray(1) }),
      (e: Error) => e instanceof RangeError && /x must have length 24/.test(e.message),
    );
    assert.throws(
      () => m.forward({ ...good, x: Float64Array.from(x) as never }),
      (e: Error) => e instanceof TypeError && /x must be a Float32Array/.test(e.message),
    );
    assert.throws(() => m.forward({ ...good, mask: new Float32Array(7) }), /mask must have length 8/);
    assert.throws(() => m.forward({ ...good, mask: [1, 1] as never }), /mask must be a Float32Array/);
    assert.throws(() => m.forward({ ...good, steps: 0 }), /steps must be an integer/);
    assert.throws(() => m.forward({ ...good, steps: 2.5 }), /steps must be an integer/);
    assert.throws(() => m.forward({ ...good, batchSize: NaN }), /batchSize must be an integer/);
    assert.throws(() => m.forward({ ...good, steps: 1 }), /steps \(1\) must be >= the model's outputSteps/);
    assert.throws(() => m.forward(good, { captureHidden: [2] }), /captureHidden\[0\] must be a batch index in 0..1/);
    assert.throws(() => m.forward(good, { captureHidden: [-1] }), /captureHidden\[0\]/);
    m.forward(good); // still usable after the errors
    m.dispose();
  });

  it('backward needs a training forward and dOutputs of the right length', () => {
    const m = fresh();
    assert.throws(() => m.backward(new Float32Array(4)), /backward needs a preceding forward with training: true/);
    m.forward(good, { training: false });
    assert.throws(() => m.backward(new Float32Array(4)), /backward needs a preceding forward/);
    m.forward(good);
    assert.throws(() => m.backward(new Float32Array(5)), /dOutputs must have length 8/);
    assert.throws(() => m.backward(new Uint8Array(8) as never), /dOutputs must be a Float32Array/);
    m.backward(new Float32Array(8));
    m.dispose();
  });

  it('adamStep, setParams and setOptimizerState check their inputs', () => {
    const m = fresh();
    assert.throws(() => m.adamStep({ ...ADAM, lr: NaN }), /lr must be finite/);
    assert.throws(() => m.adamStep({ ...ADAM, beta1: 1 }), /beta1/);
    assert.throws(() => m.adamStep({ ...ADAM, eps: 0 }), /eps/);
    assert.throws(() => m.adamStep({ ...ADAM, clipNorm: -1 }), /clipNorm must be > 0/);
    assert.throws(() => m.setParams(new Float32Array(2)), /params must have length/);
    const st = m.getOptimizerState();
    assert.throws(() => m.setOptimizerState({ ...st, step: -1 }), /step must be an integer/);
    assert.throws(() => m.setOptimizerState({ ...st, v: new Float32Array(1) }), /v must have length/);
    m.dispose();
  });

  it('a disposed model refuses work instead of crashing', () => {
    const m = fresh();
    m.dispose();
    assert.throws(() => m.forward(good), /disposed/);
    assert.throws(() => m.getParams(), /disposed/);
    m.dispose(); // twice is harmless
  });
});

describe('native addon build check', () => {
  it('the built addon reports every cell kind and the attention readout, so it loads', () => {
    const loaded = loadNativeAddon();
    assert.ok('addon' in loaded, 'error' in loaded ? loaded.error : '');
    const info = loaded.addon.info();
    assert.deepEqual(info.cells, [...CELL_KINDS]);
    assert.deepEqual(info.readouts, ['linear', 'attention']);
    assert.equal(staleness(loaded.addon), null);
  });

  it('an addon built from older sources is refused, naming what it lacks', () => {
    const base = { isa: 'avx2-fma' as const, hardwareThreads: 2, cpuHasAvx2Fma: true, cpuHasAvx512: false };
    const fake = (extra: object) => ({ info: () => ({ ...base, ...extra }) });
    assert.equal(staleness(fake({})), 'it does not report its cells');
    assert.equal(
      staleness(fake({ cells: ['rwa', 'lstm', 'gru'], readouts: ['linear', 'attention'] })),
      'it lacks the cell rda',
    );
    assert.equal(staleness(fake({ cells: ['rwa', 'lstm'], readouts: ['linear'] })), 'it lacks the cells gru, rda');
    assert.equal(staleness(fake({ cells: [...CELL_KINDS], readouts: ['linear'] })), 'it lacks the attention readout');
  });
});
