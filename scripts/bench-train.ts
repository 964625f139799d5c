/**
 * Training-step benchmark: milliseconds per step (forward + backward through time + Adam) on the adding
 * task's shapes (batch 100, 250 units, F = 2, O = 1) for each engine, next to the PyTorch peer
 * (../shared/bench/peer-torch) measured in the same minute, and the native matrix kernel's GFLOP/s on the
 * products a step is made of (its peak sets the compute floor). Prints a table, then one JSON document.
 *
 *   npm run bench:train                                    # rwa, lstm, gru, rda at T = 100 and 1000
 *   npm run bench:train -- --models rwa --T 100 --steps 3  # a quick run
 *   node dist/scripts/bench-train.js --no-tfjs --no-peer --json bench.json
 *
 * Flags: --models rwa,lstm,gru,rda,lstm-attention  --T 100,1000  --steps N (timed steps, default 5; tfjs runs one step
 * without warm-up at T >= 1000: it takes seconds per step)  --warmup N (default 1)  --threads 1,2 (native thread counts; default 1 and all cores)
 * --no-tfjs  --no-peer  --peer-dir DIR  --json FILE.
 * The machine may be shared: compare ratios measured in the same run, not absolute times. CPU time is
 * printed next to wall time so a busy machine shows up as cpu < wall x threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  DEFAULT_ADAM,
  MODEL_KINDS,
  modelParts,
  type Engine,
  type ModelKind,
  type ModelSpec,
} from '../src/trainer/engines/engine.js';
import { loadNativeAddon, loadNativeEngine } from '../src/trainer/engines/native/index.js';
import { initParams } from '../src/trainer/models/params.js';
import { Rng } from '../src/trainer/random.js';

const B = 100;
const N = 250;
const F = 2;

interface Options {
  models: ModelKind[];
  T: number[];
  steps: number;
  warmup: number;
  threads: number[];
  tfjs: boolean;
  peer: boolean;
  peerDir: string;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cores = availableParallelism();
  const o: Options = {
    models: ['rwa', 'lstm', 'gru', 'rda'],
    T: [100, 1000],
    steps: 5,
    warmup: 1,
    threads: [...new Set([1, cores])],
    tfjs: true,
    peer: true,
    peerDir: join(repo, '..', 'shared', 'bench', 'peer-torch'),
  };
  const list = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`${flag} needs a value`);
    return v.split(',').map((s) => s.trim());
  };
  const int = (v: string, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const next = () => argv[++i];
    switch (flag) {
      case '--models':
        o.models = list(next(), flag).map((m) => {
          if (!(MODEL_KINDS as readonly string[]).includes(m))
            throw new Error(`--models: unknown model '${m}'; known: ${MODEL_KINDS.join(', ')}`);
          return m as ModelKind;
        });
        break;
      case '--T':
        o.T = list(next(), flag).map((v) => int(v, flag));
        break;
      case '--steps':
        o.steps = Math.max(1, int(next() ?? '', flag));
        break;
      case '--warmup':
        o.warmup = int(next() ?? '', flag);
        break;
      case '--threads':
        o.threads = list(next(), flag).map((v) => Math.max(1, int(v, flag)));
        break;
      case '--no-tfjs':
        o.tfjs = false;
        break;
      case '--no-peer':
        o.peer = false;
        break;
      case '--peer-dir':
        o.peerDir = next() ?? '';
        break;
      case '--json':
        o.json = next();
        break;
      default:
        throw new Error(`unknown flag '${flag}'; see the header of scripts/bench-train.ts`);
    }
  }
  return o;
}

/**
 * Matrix-product FLOPs of one training step: forward, input gradient and weight gradient, 2*B*(F+N)*G*T each
 * (the cell's; an attention readout at K = 1 adds O(B*T*N), negligible).
 */
function stepFlops(model: ModelKind, T: number): number {
  const G = { rwa: 2 * N, lstm: 4 * N, gru: 3 * N, rda: 3 * N }[modelParts(model).cell];
  return 3 * 2 * B * (F + N) * G * T;
}

interface StepTiming {
  ms: number;
  cpuMs: number;
  min: number;
}

function timeSteps(engine: Engine, model: ModelKind, T: number, steps: number, warmup: number): StepTiming {
  const { cell, readout } = modelParts(model);
  const spec: ModelSpec = { cell, readout, inputSize: F, units: N, layers: 1, outputSize: 1, outputSteps: 1 };
  const rng = new Rng(1);
  const x = new Float32Array(T * B * F);
  for (let i = 0; i < x.length; i += 2) [x[i], x[i + 1]] = [rng.uniform(), rng.uniform() < 2 / T ? 1 : 0];
  const batch = { steps: T, batchSize: B, x };
  const dY = new Float32Array(B).map(() => rng.range(-1, 1) / B);
  const net = engine.createModel(spec, initParams(spec, 1));
  const wall: number[] = [];
  const cpu: number[] = [];
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let s = 0; s < warmup + steps; s++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    net.forward(batch);
    net.backward(dY);
    net.adamStep(DEFAULT_ADAM);
    if (s >= warmup) {
      wall.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
    }
  }
  net.dispose();
  return { ms: median(wall), cpuMs: median(cpu), min: Math.min(...wall) };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The peer's median ms per step, or why it could not run. */
function peerStep(
  o: Options,
  cell: ModelKind,
  T: number,
  threads: number,
): { ms: number; min: number } | { error: string } {
  if (cell !== 'rwa' && cell !== 'lstm') return { error: `the peer has no ${cell.toUpperCase()}` };
  const steps = T >= 1000 ? Math.max(2, Math.min(o.steps, 5)) : Math.max(5, o.steps);
  const run = spawnSync(
    '/usr/bin/python3',
    ['bench_train.py', '--threads', '1', '--model', cell, '--T', String(T), '--steps', String(steps), '--warmup', '1'],
    {
      cwd: o.peerDir,
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
      timeout: 15 * 60 * 1000,
    },
  );
  const m = /median step\s+([\d.]+) ms \(min ([\d.]+)/.exec(run.stdout ?? '');
  if (!m) return { error: `peer failed: ${(run.stderr || run.stdout || String(run.error)).trim().split('\n').pop()}` };
  return { ms: Number(m[1]), min: Number(m[2]) };
}

function peerAvailable(o: Options): string | undefined {
  if (!existsSync(join(o.peerDir, 'bench_train.py'))) return `no peer benchmark at ${o.peerDir}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch is not installed (see ../shared/bench/peer-torch/README.md)';
  return undefined;
}

/**
 * The blocked sgemm on the products of one step: per-step forward and input gradient, and the weight gradient
 * over a block of rows (backward adds 3 steps x 50 batch rows at a time; also 25 steps x B as one product).
 */
function kernelGflops(threads: number[]): { shape: string; threads: number; gflops: number; cpuGflops: number }[] {
  const loaded = loadNativeAddon();
  if ('error' in loaded) return [];
  const a = loaded.addon;
  const W = F + N;
  const shapes: [string, boolean, boolean, number, number, number][] = [
    ['fwd rwa  (B x W) @ (W x 2N)', false, false, B, 2 * N, W],
    ['fwd lstm (B x W) @ (W x 4N)', false, false, B, 4 * N, W],
    ['dX  rwa  (B x 2N) @ (2N x N)^T', false, true, B, N, 2 * N],
    ['dX  lstm (B x 4N) @ (4N x N)^T', false, true, B, N, 4 * N],
    ['dW  rwa  (150 x W)^T @ (150 x 2N)', true, false, W, 2 * N, 150],
    ['dW  lstm (150 x W)^T @ (150 x 4N)', true, false, W, 4 * N, 150],
    ['dW  rwa  (25B x W)^T @ (25B x 2N)', true, false, W, 2 * N, 25 * B],
    ['dW  lstm (25B x W)^T @ (25B x 4N)', true, false, W, 4 * N, 25 * B],
  ];
  const out: { shape: string; threads: number; gflops: number; cpuGflops: number }[] = [];
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const rng = new Rng(3);
  for (const [name, ta, tb, M, Nc, K] of shapes) {
    const A = new Float32Array(M * K).map(() => rng.range(-1, 1));
    const Bm = new Float32Array(K * Nc).map(() => rng.range(-1, 1));
    const C = new Float32Array(M * Nc);
    const lda = ta ? M : K;
    const ldb = tb ? K : Nc;
    for (const th of threads) {
      const flops = 2 * M * Nc * K;
      const reps = Math.max(3, Math.round(2e9 / flops));
      let best = Infinity;
      let bestCpu = Infinity;
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        const c0 = cpuMs();
        for (let i = 0; i < reps; i++) a.sgemm(ta, tb, M, Nc, K, 1, A, lda, Bm, ldb, 0, C, Nc, th);
        best = Math.min(best, (performance.now() - t0) / reps);
        bestCpu = Math.min(bestCpu, (cpuMs() - c0) / reps);
      }
      // cpuGflops: per core, by process CPU time (the threads never spin), so a busy machine does not lower it
      out.push({ shape: name, threads: th, gflops: flops / best / 1e6, cpuGflops: flops / bestCpu / 1e6 });
    }
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const engines: { label: string; engine: Engine }[] = [];
  for (const th of o.threads) {
    const loaded = loadNativeEngine({ threads: th });
    if ('error' in loaded) console.warn(loaded.error);
    else engines.push({ label: loaded.engine.backend, engine: loaded.engine });
  }
  if (o.tfjs) {
    try {
      const { createTfjsEngine } = await import('../src/trainer/engines/tfjs/index.js');
      const engine = await createTfjsEngine();
      engines.push({ label: engine.backend, engine });
    } catch (err) {
      console.warn(`tfjs engine skipped: ${(err as Error).message}`);
    }
  }
  const peerProblem = o.peer ? peerAvailable(o) : 'disabled (--no-peer)';
  if (peerProblem) console.warn(`PyTorch peer skipped: ${peerProblem}`);
  const allThreads = Math.max(...o.threads);

  const kernel = kernelGflops(o.threads);
  const peakByThreads = new Map<number, number>();
  for (const k of kernel) peakByThreads.set(k.threads, Math.max(peakByThreads.get(k.threads) ?? 0, k.gflops));
  // One core's peak by CPU time: the floor of a step's total CPU time (all threads together), robust on a
  // shared machine where wall-clock peaks and steps both depend on what else runs.
  const corePeak = Math.max(0, ...kernel.filter((k) => k.threads === 1).map((k) => k.cpuGflops));

  const rows: Record<string, unknown>[] = [];
  const print = (cells: string[]) =>
    console.log(cells.map((c, i) => (i < 2 ? c.padEnd(34) : c.padStart(10))).join(' '));
  console.log(
    `\nms per training step, batch ${B}, ${N} units, F=${F}, O=1: median of ${o.steps} (wall, process cpu) and the ` +
      'fastest step (tfjs at T >= 1000: one step, no warm-up); GFLOP/s and the compute floor from the median; ' +
      'speed-up over the peer by medians and by fastest steps',
  );
  console.log(
    '"vs floor": wall ms over the floor at the kernel peak measured (wall clock) on as many threads; "cpu/floor": ' +
      `process CPU ms over the floor at one core's peak by CPU time (${corePeak.toFixed(1)} GFLOP/s), i.e. the total ` +
      'work of a step against the matrix products alone on one core',
  );
  print([
    'model T',
    'engine',
    'wall ms',
    'cpu ms',
    'min ms',
    'GFLOP/s',
    'vs floor',
    'cpu/floor',
    'peer/this',
    'min ratio',
  ]);
  for (const cell of o.models) {
    for (const T of o.T) {
      const flops = stepFlops(cell, T);
      const peer = peerProblem ? undefined : peerStep(o, cell, T, allThreads);
      const peerMs = peer && 'ms' in peer ? peer.ms : undefined;
      const peerMin = peer && 'min' in peer ? peer.min : undefined;
      if (peer && 'error' in peer) console.warn(`  peer ${cell} T=${T}: ${peer.error}`);
      if (peerMs !== undefined) {
        print([
          `${cell} T=${T}`,
          `pytorch peer (openblas ${allThreads} thr)`,
          peerMs.toFixed(1),
          '',
          peerMin!.toFixed(1),
          (flops / peerMs / 1e6).toFixed(1),
          '',
          '',
          '1.00',
          '1.00',
        ]);
        rows.push({ model: cell, T, engine: 'pytorch-peer', ms: peerMs, minMs: peerMin, gflops: flops / peerMs / 1e6 });
      }
      for (const { label, engine } of engines) {
        const isTfjs = engine.name === 'tfjs';
        const steps = isTfjs && T >= 1000 ? 1 : o.steps;
        const warmup = isTfjs && T >= 1000 ? 0 : o.warmup;
        const t = timeSteps(engine, cell, T, steps, warmup);
        const threads = Number(/(\d+) thread/.exec(label)?.[1] ?? 1);
        const peak = isTfjs ? undefined : peakByThreads.get(threads);
        const floorMs = peak ? flops / peak / 1e6 : undefined;
        const cpuFloorMs = !isTfjs && corePeak > 0 ? flops / corePeak / 1e6 : undefined;
        print([
          `${cell} T=${T}`,
          label,
          t.ms.toFixed(1),
          t.cpuMs.toFixed(1),
          t.min.toFixed(1),
          (flops / t.ms / 1e6).toFixed(1),
          floorMs ? `${(t.ms / floorMs).toFixed(2)}x` : '',
          cpuFloorMs ? `${(t.cpuMs / cpuFloorMs).toFixed(2)}x` : '',
          peerMs ? `${(peerMs / t.ms).toFixed(2)}x` : '',
          peerMin ? `${(peerMin / t.min).toFixed(2)}x` : '',
        ]);
        rows.push({
          model: cell,
          T,
          engine: label,
          ms: t.ms,
          cpuMs: t.cpuMs,
          minMs: t.min,
          gflops: flops / t.ms / 1e6,
          floorMs,
          cpuFloorMs,
          speedupVsPeer: peerMs ? peerMs / t.ms : undefined,
          speedupVsPeerMin: peerMin ? peerMin / t.min : undefined,
        });
      }
    }
  }
  console.log('\nnative sgemm kernel on the step products (best of 5; wall clock, and per core by CPU time)');
  for (const k of kernel)
    console.log(
      `  ${k.shape.padEnd(36)} ${String(k.threads).padStart(2)} thr ${k.gflops.toFixed(1).padStart(7)} GFLOP/s` +
        `  (cpu ${k.cpuGflops.toFixed(1).padStart(6)} per core)`,
    );
  const report = {
    machine: { cores: availableParallelism(), node: process.version },
    shape: { batch: B, units: N, inputSize: F, outputSize: 1 },
    stepGflop: Object.fromEntries(o.models.flatMap((c) => o.T.map((T) => [`${c} T=${T}`, stepFlops(c, T) / 1e9]))),
    kernelPeakGflops: Object.fromEntries(peakByThreads),
    kernelCorePeakGflopsByCpuTime: corePeak,
    kernel,
    steps: rows,
    peer: peerProblem ?? 'measured',
  };
  console.log(JSON.stringify(report, null, 2));
  if (o.json) writeFileSync(o.json, JSON.stringify(report, null, 2));
}

await main();
