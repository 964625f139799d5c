/**
 * The training loop, top to bottom. It knows the task, the engine and the recorder, never the database.
 *
 *   const result = await train({ config, engine, recorder });
 *
 * Per step: batch `step` of the task (a pure function of seed and step, so a resumed run sees the same
 * data) -> forward -> loss -> backward through time -> clip + Adam. Every evalEvery steps the fixed test
 * set is evaluated; every snapshotEvery steps (and at step 0 and the end) the hidden states of the first
 * snapshotSamples test sequences are captured and compressed; every checkpointEvery steps (and at the end,
 * and on cancel) weights and optimiser state are saved. NaN/Inf loss or gradients stop the run as DIVERGED.
 */
import type { RunConfig } from './config.js';
import { DEFAULT_ADAM, modelParts, type Engine, type ModelSpec, type OptimizerState } from './engines/engine.js';
import { computeLoss } from './loss.js';
import { initParams } from './models/params.js';
import type { FinalStatus, MetricRecord, Recorder } from './recorder.js';
import { hostName } from './recorder.js';
import { encodeHiddenAsync } from './codec/index.js';
import { createTask } from './tasks/index.js';
import type { JsonValue, Task, TaskBatch } from './tasks/task.js';

export interface ResumePoint {
  step: number;
  params: Float32Array;
  optimizer: OptimizerState;
}

export interface TrainOptions {
  config: RunConfig;
  engine: Engine;
  recorder: Recorder;
  /** Aborting stops the run after the current step, as CANCELLED (with a checkpoint to resume from). */
  signal?: AbortSignal;
  /** Continue from a checkpoint instead of fresh weights. */
  resume?: ResumePoint;
  /** When the run first started (wall times are measured from it); default now. */
  startedAt?: Date;
  /** Called after every step with the live status. */
  onProgress?: (progress: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  stepsPerSecond: number;
  etaSeconds: number;
  trainLoss: number;
  testLoss?: number;
  testAccuracy?: number;
}

export interface TrainResult {
  status: FinalStatus;
  /** Completed training steps. */
  step: number;
  lastTest?: { step: number; loss: number; accuracy?: number };
  error?: string;
  divergedStep?: number;
}

export function modelSpecFor(config: RunConfig, task: Task): ModelSpec {
  const { cell, readout } = modelParts(config.model);
  return {
    cell,
    ...(readout === 'attention' ? { readout } : {}),
    inputSize: task.inputSize,
    units: config.units,
    layers: config.layers,
    outputSize: task.outputSize,
    outputSteps: task.outputSteps,
  };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, engine, recorder, signal } = options;
  const task = createTask(config.task, config.taskOptions, config.seed);
  const spec = modelSpecFor(config, task);
  const shape = (B: number) => ({ K: spec.outputSteps, B, O: spec.outputSize });
  const adam = {
    ...DEFAULT_ADAM,
    lr: config.learningRate,
    ...(config.clipNorm === null ? {} : { clipNorm: config.clipNorm }),
  };
  const startMs = (options.startedAt ?? new Date()).getTime();
  const wall = () => (Date.now() - startMs) / 1000;

  const model = engine.createModel(spec, options.resume?.params ?? initParams(spec, config.seed));
  try {
    if (options.resume) model.setOptimizerState(options.resume.optimizer);
    const startStep = options.resume?.step ?? 0;
    const testChunks = chunks(task.testSet(config.testSize), config.batchSize, task);
    const snapshotBatch =
      config.snapshotSamples > 0 ? sliceBatch(testChunks[0]!.batch, 0, config.snapshotSamples, task) : null;
    await recorder.started({ engine: engine.name, backend: engine.backend, workerHost: hostName(), startStep });

    const evaluate = (step: number) => {
      let lossSum = 0;
      let accSum = 0;
      let count = 0;
      for (const { batch } of testChunks) {
        const { outputs } = model.forward(batch, { training: false });
        const r = computeLoss(task.loss, outputs, batch.targets, shape(batch.batchSize));
        lossSum += r.loss * r.count;
        accSum += (r.accuracy ?? 0) * r.count;
        count += r.count;
      }
      const test = {
        step,
        loss: lossSum / count,
        ...(task.metrics.includes('accuracy') ? { accuracy: accSum / count } : {}),
      };
      return test;
    };

    const snapshot = async (step: number) => {
      if (!snapshotBatch) return;
      const samples = [...Array(snapshotBatch.batchSize).keys()];
      const { outputs, hidden } = model.forward(snapshotBatch, { training: false, captureHidden: samples });
      const O = spec.outputSize;
      const K = spec.outputSteps;
      for (const b of samples) {
        const encoded = await encodeHiddenAsync(hidden![b]!, task.sequenceSteps, spec.units);
        const prediction: number[] = [];
        for (let k = 0; k < K; k++)
          for (let o = 0; o < O; o++) prediction.push(outputs[(k * snapshotBatch.batchSize + b) * O + o]!);
        const width = task.loss === 'softmax' ? 1 : O;
        const target: number[] = [];
        for (let k = 0; k < K; k++)
          for (let o = 0; o < width; o++)
            target.push(snapshotBatch.targets[(k * snapshotBatch.batchSize + b) * width + o]!);
        await recorder.snapshot({
          step,
          sample: b,
          layer: spec.layers - 1,
          timeSteps: task.sequenceSteps,
          units: spec.units,
          codec: encoded.codec,
          codecParams: encoded.params as unknown as JsonValue,
          data: encoded.bytes,
          events: {
            ...snapshotBatch.events[b]!,
            length: snapshotBatch.lengths[b]!,
            target,
            prediction,
            loss: task.loss,
          },
        });
      }
    };

    const checkpoint = (step: number) =>
      recorder.checkpoint({ step, params: model.getParams(), optimizer: model.getOptimizerState() });

    let lastTest: TrainResult['lastTest'];
    const recordTest = async (step: number) => {
      lastTest = evaluate(step);
      const points: MetricRecord[] = [{ name: 'loss', split: 'TEST', step, value: lastTest.loss, wallTime: wall() }];
      if (lastTest.accuracy !== undefined)
        points.push({ name: 'accuracy', split: 'TEST', step, value: lastTest.accuracy, wallTime: wall() });
      await recorder.metrics(points);
    };

    if (startStep === 0) {
      await recordTest(0);
      await snapshot(0);
    }

    const t0 = performance.now();
    let step = startStep;
    let result: TrainResult | undefined;
    while (step < config.steps) {
      const batch = task.trainBatch(step, config.batchSize);
      const { outputs } = model.forward(batch);
      const { loss, dOutputs, accuracy } = computeLoss(task.loss, outputs, batch.targets, shape(config.batchSize));
      if (!Number.isFinite(loss)) {
        result = {
          status: 'DIVERGED',
          step,
          divergedStep: step + 1,
          error: `training loss became ${loss} at step ${step + 1}`,
        };
        break;
      }
      model.backward(dOutputs);
      const { gradNorm } = model.adamStep(adam);
      if (!Number.isFinite(gradNorm)) {
        result = {
          status: 'DIVERGED',
          step,
          divergedStep: step + 1,
          error: `gradient norm became ${gradNorm} at step ${step + 1}`,
        };
        break;
      }
      step += 1;

      const points: MetricRecord[] = [
        { name: 'loss', split: 'TRAIN', step, value: loss, wallTime: wall() },
        { name: 'grad_norm', split: 'TRAIN', step, value: gradNorm, wallTime: wall() },
      ];
      if (accuracy !== undefined)
        points.push({ name: 'accuracy', split: 'TRAIN', step, value: accuracy, wallTime: wall() });
      await recorder.metrics(points);
      const last = step === config.steps;
      if (step % config.evalEvery === 0 || last) await recordTest(step);
      if (step % config.snapshotEvery === 0 || last) await snapshot(step);
      if (step % config.checkpointEvery === 0 || last) await checkpoint(step);

      const rate = (step - startStep) / ((performance.now() - t0) / 1000);
      const progress: TrainProgress = {
        step,
        totalSteps: config.steps,
        stepsPerSecond: rate,
        etaSeconds: (config.steps - step) / rate,
        trainLoss: loss,
        ...(lastTest ? { testLoss: lastTest.loss } : {}),
        ...(lastTest?.accuracy !== undefined ? { testAccuracy: lastTest.accuracy } : {}),
      };
      await recorder.progress(progress);
      options.onProgress?.(progress);
      // Let signals, cancellation and I/O in before the next (synchronous) step.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted && !last) {
        await checkpoint(step);
        result = { status: 'CANCELLED', step, error: `cancelled after step ${step}` };
        break;
      }
    }
    result ??= { status: 'SUCCEEDED', step };
    if (lastTest) result.lastTest = lastTest;
    await recorder.finished({
      status: result.status,
      step: result.step,
      ...(result.error ? { error: result.error } : {}),
      ...(result.divergedStep ? { divergedStep: result.divergedStep } : {}),
    });
    return result;
  } finally {
    model.dispose();
  }
}

/** The test set cut into batches of at most `size` sequences. */
function chunks(batch: TaskBatch, size: number, task: Task): { batch: TaskBatch }[] {
  const out: { batch: TaskBatch }[] = [];
  for (let from = 0; from < batch.batchSize; from += size)
    out.push({ batch: sliceBatch(batch, from, Math.min(from + size, batch.batchSize), task) });
  return out;
}

/** Sequences [from, to) of a time-major batch, copied. */
export function sliceBatch(batch: TaskBatch, from: number, to: number, task: Task): TaskBatch {
  const B = batch.batchSize;
  const n = to - from;
  if (from === 0 && to === B) return batch;
  const T = batch.steps;
  const F = task.inputSize;
  const K = task.outputSteps;
  const width = task.loss === 'softmax' ? 1 : task.outputSize;
  const x = new Float32Array(T * n * F);
  const mask = batch.mask ? new Float32Array(T * n) : undefined;
  for (let t = 0; t < T; t++) {
    x.set(batch.x.subarray((t * B + from) * F, (t * B + to) * F), t * n * F);
    if (mask) mask.set(batch.mask!.subarray(t * B + from, t * B + to), t * n);
  }
  const targets = new Float32Array(K * n * width);
  for (let k = 0; k < K; k++)
    targets.set(batch.targets.subarray((k * B + from) * width, (k * B + to) * width), k * n * width);
  const out: TaskBatch = {
    steps: T,
    batchSize: n,
    x,
    targets,
    lengths: batch.lengths.slice(from, to),
    events: batch.events.slice(from, to),
  };
  if (mask) out.mask = mask;
  return out;
}
