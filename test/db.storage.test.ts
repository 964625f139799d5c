import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { dbKinds, freshDatabase } from './helpers/db.js';
import { appendPoints, readPoints, seriesId, type MetricPointInput } from '../src/server/db/metrics.js';
import type { Database } from '../src/server/db/database.js';
import { PrismaClient } from '../src/generated/prisma/client.js';

async function newRun(db: Database) {
  const experiment = await db.prisma.experiment.create({ data: { name: `storage ${crypto.randomUUID()}` } });
  return db.prisma.run.create({
    data: {
      experimentId: experiment.id,
      model: 'rwa',
      task: 'adding',
      length: 100,
      units: 250,
      config: { model: 'rwa', task: 'adding', length: 100, units: 250 },
      seed: 1,
      totalSteps: 100_000,
    },
  });
}

for (const kind of dbKinds) {
  test(`${kind}: 100,000 metric points inserted in batches read back complete and in step order`, async () => {
    const db = await freshDatabase(kind);
    try {
      const run = await newRun(db);
      const series = await seriesId(db.prisma, run.id, 'loss', 'TEST');
      assert.equal(await seriesId(db.prisma, run.id, 'loss', 'TEST'), series, 'series lookup is stable');
      const points: MetricPointInput[] = [];
      for (let step = 0; step < 100_000; step++)
        points.push({ step, value: Math.exp(-step / 1e4) + step * 1e-9, wallTime: step * 0.01 });
      // Inserted out of order, in several calls, as a recorder flushing batches would.
      const t0 = performance.now();
      await appendPoints(db.prisma, series, points.slice(50_000));
      await appendPoints(db.prisma, series, points.slice(0, 50_000));
      const insertMs = performance.now() - t0;
      const t1 = performance.now();
      const back = await readPoints(db.prisma, series);
      const readMs = performance.now() - t1;
      console.log(`# ${kind}: insert 100k points ${insertMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms`);
      assert.equal(back.length, 100_000);
      for (let i = 0; i < back.length; i++) {
        if (back[i]!.step !== i || back[i]!.value !== points[i]!.value) {
          assert.fail(`point ${i}: got ${JSON.stringify(back[i])}, want ${JSON.stringify(points[i])}`);
        }
      }
      assert.ok(Math.abs(back[99_999]!.wallTime - 999.99) < 1e-4, 'wall time is kept to float4 precision');
      const window = await readPoints(db.prisma, series, 1000, 1009);
      assert.deepEqual(
        window.map((p) => p.step),
        [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009],
      );
      // Re-recording a step (a resumed run) replaces the value instead of failing.
      await appendPoints(db.prisma, series, [{ step: 5, value: 42, wallTime: 1 }]);
      assert.equal((await readPoints(db.prisma, series, 5, 5))[0]!.value, 42);
    } finally {
      await db.close();
    }
  });

  test(`${kind}: NaN and +-Infinity values round-trip, through the raw driver and through a plain PrismaClient`, async () => {
    const db = await freshDatabase(kind);
    const plain = new PrismaClient({ adapter: db.adapter });
    try {
      const run = await newRun(db);
      const odd = [NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE, 0.1, -1.5e300];
      const points = odd.map((value, step) => ({ step, value, wallTime: step === 1 ? Infinity : step * 0.5 }));
      for (const [name, client] of [
        ['raw', db.prisma],
        ['prisma', plain],
      ] as const) {
        const series = await seriesId(db.prisma, run.id, `odd_${name}`, 'TEST');
        await appendPoints(client, series, points);
        const back = await readPoints(db.prisma, series);
        assert.deepEqual(
          back.map((p) => p.value),
          odd,
          `${name}: values`,
        );
        assert.deepEqual(
          back.map((p) => p.wallTime),
          [0, Infinity, 1, 1.5, 2, 2.5, 3, 3.5],
          `${name}: wall times`,
        );
        // Replacing a non-finite value by a finite one (and back) works too.
        await appendPoints(client, series, [{ step: 0, value: 1, wallTime: 0 }]);
        await appendPoints(client, series, [{ step: 2, value: NaN, wallTime: 0 }]);
        const after = await readPoints(db.prisma, series, 0, 2);
        assert.deepEqual(
          after.map((p) => p.value),
          [1, Infinity, NaN],
        );
      }
      for (const step of [1.5, 2 ** 31, NaN])
        await assert.rejects(appendPoints(db.prisma, 1, [{ step, value: 0, wallTime: 0 }]), /not an int4/);
    } finally {
      await plain.$disconnect();
      await db.close();
    }
  });

  test(`${kind}: hidden-state and checkpoint bytes round-trip exactly; deleting a run removes its data`, async () => {
    const db = await freshDatabase(kind);
    try {
      const run = await newRun(db);
      const bytes = crypto.randomBytes(200_000);
      bytes[0] = 0;
      bytes[1] = 255;
      const events = { markers: [3, 71], length: 100, target: 0.93, prediction: 0.91 };
      await db.prisma.hiddenStateSnapshot.create({
        data: {
          runId: run.id,
          step: 100,
          sample: 0,
          timeSteps: 100,
          units: 250,
          codec: 'test-v1',
          codecParams: { scale: 0.5 },
          data: bytes,
          events,
        },
      });
      const snap = await db.prisma.hiddenStateSnapshot.findUniqueOrThrow({
        where: { runId_step_sample_layer: { runId: run.id, step: 100, sample: 0, layer: 0 } },
      });
      assert.ok(Buffer.from(snap.data).equals(bytes), 'snapshot bytes differ after the round trip');
      assert.deepEqual(snap.events, events);

      const params = Buffer.from(new Float32Array([1.5, -2, Number.MIN_VALUE, 3.4e38]).buffer);
      await db.prisma.checkpoint.create({ data: { runId: run.id, step: 100, params, optimizer: Buffer.alloc(0) } });
      const ckpt = await db.prisma.checkpoint.findFirstOrThrow({ where: { runId: run.id } });
      assert.ok(Buffer.from(ckpt.params).equals(params));

      const series = await seriesId(db.prisma, run.id, 'loss', 'TRAIN');
      await appendPoints(db.prisma, series, [{ step: 1, value: 1, wallTime: 0 }]);
      await db.prisma.run.delete({ where: { id: run.id } });
      assert.equal(await db.prisma.metricPoint.count({ where: { seriesId: series } }), 0);
      assert.equal(await db.prisma.hiddenStateSnapshot.count(), 0);
      assert.equal(await db.prisma.checkpoint.count(), 0);
    } finally {
      await db.close();
    }
  });

  test(`${kind}: every test database starts empty`, async () => {
    const db = await freshDatabase(kind);
    try {
      assert.equal(await db.prisma.run.count(), 0);
      assert.equal(await db.prisma.experiment.count(), 0);
    } finally {
      await db.close();
    }
  });
}
