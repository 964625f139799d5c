import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from './helpers/db.js';
import { ok, errorCode, referenceCurve, testApp, TEST_TOKEN, type J } from './helpers/api.js';
import { appendPoints, seriesId } from '../src/server/db/metrics.js';
import type { Database } from '../src/server/db/database.js';
import { encodeHidden, decodeHidden } from '../src/trainer/codec/index.js';
import { resolveRunConfig } from '../src/trainer/config.js';
import { createRun } from '../src/trainer/runs.js';

const N = 100_000;

/** A noisy decaying loss: 100k points, with a NaN and an Infinity in the middle. */
function lossSeries(n: number, seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pts = [];
  for (let i = 0; i < n; i++) {
    let value = 2 * Math.exp(-i / (n / 5)) + 0.3 * (rand() - 0.5);
    if (i === 777) value = NaN;
    if (i === 778) value = Infinity;
    pts.push({ step: i + 1, value, wallTime: i * 0.01 });
  }
  return pts;
}

async function seed(db: Database) {
  const cfg = (model: string, length: number) =>
    resolveRunConfig({ task: 'adding', taskOptions: { length }, model, units: 8, steps: 100 });
  const a = await createRun(db, cfg('rwa', 100), { experiment: 'adding: rwa vs lstm' });
  const b = await createRun(db, cfg('lstm', 100), { experiment: 'adding: rwa vs lstm' });
  const c = await createRun(db, cfg('gru', 1000));
  await db.prisma.run.update({ where: { id: a.id }, data: { status: 'SUCCEEDED', currentStep: 100 } });
  const big = lossSeries(N, 7);
  const t0 = performance.now();
  const train = await seriesId(db.prisma, a.id, 'loss', 'TRAIN');
  // NaN and Infinity go through appendPoints like any value (stored bit-exact).
  await appendPoints(db.prisma, train, big);
  const insertMs = performance.now() - t0;
  // Test loss every 100 steps: falls below 0.5 at step 1500, bounces back over at 1700, settles from 2000 on.
  const test = [];
  for (let step = 0; step <= 3000; step += 100) {
    const value = step >= 2000 ? 0.3 : step === 1500 || step === 1600 ? 0.4 : 1 - step / 10000;
    test.push({ step, value, wallTime: step / 100 });
  }
  await appendPoints(db.prisma, await seriesId(db.prisma, a.id, 'loss', 'TEST'), test);
  await appendPoints(
    db.prisma,
    await seriesId(db.prisma, b.id, 'loss', 'TEST'),
    test.map((p) => ({ ...p, value: p.value * 2 })),
  );
  const h = new Float32Array(20 * 8).map((_, i) => Math.sin(i / 7));
  const enc = encodeHidden(h, 20, 8);
  await db.prisma.hiddenStateSnapshot.create({
    data: {
      runId: a.id,
      step: 100,
      sample: 0,
      layer: 0,
      timeSteps: 20,
      units: 8,
      codec: enc.codec,
      codecParams: enc.params as object,
      data: new Uint8Array(enc.bytes),
      events: { markers: [3, 9] },
    },
  });
  return { a, b, c, big, insertMs, h };
}

const CURVE = `query ($id: Int!, $max: Int!, $w: Float!, $from: Int, $to: Int) {
  run(id: $id) { curve(metric: "loss", split: TRAIN, maxPoints: $max, smoothing: $w, fromStep: $from, toStep: $to) {
    totalPoints points { step fromStep toStep count value min max smoothed } } } }`;

function close(a: number | null, b: number | null, tol: number, what: string) {
  if (a === null || b === null || !Number.isFinite(b)) {
    assert.equal(a, Number.isFinite(b as number) ? b : null, what);
    return;
  }
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

for (const kind of dbKinds) {
  test(`${kind}: runs, experiments, curves, summaries and states are queryable`, async (t) => {
    const { app, db, close: done } = await testApp(kind, {}, { http: true });
    try {
      const { a, b, c, big, insertMs, h } = await seed(db);
      t.diagnostic(
        `${kind}: inserted ${N} points in ${insertMs.toFixed(0)} ms (${((N / insertMs) * 1000).toFixed(0)} points/s)`,
      );

      // Relay connection: ordering, pages, filters.
      const page1 = await ok(
        app,
        `{ runs(first: 2, orderBy: { field: ID, direction: ASC }) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id model } } } }`,
      );
      assert.equal(page1.runs.totalCount, 3);
      assert.deepEqual(
        page1.runs.edges.map((e: J) => e.node.id),
        [a.id, b.id],
      );
      assert.equal(page1.runs.pageInfo.hasNextPage, true);
      const page2 = await ok(
        app,
        `query ($after: String) { runs(first: 2, after: $after, orderBy: { field: ID, direction: ASC }) {
        pageInfo { hasNextPage hasPreviousPage } nodes { id } } }`,
        { after: page1.runs.pageInfo.endCursor },
      );
      assert.deepEqual(
        page2.runs.nodes.map((n: J) => n.id),
        [c.id],
      );
      assert.equal(page2.runs.pageInfo.hasNextPage, false);
      const filtered = await ok(
        app,
        `{ runs(filter: { models: ["lstm", "gru"], lengthMin: 500 }) { nodes { id length } } }`,
      );
      assert.deepEqual(filtered.runs.nodes, [{ id: c.id, length: 1000 }]);
      const byStatus = await ok(
        app,
        `{ runs(filter: { statuses: [SUCCEEDED], config: { units: 8 } }) { totalCount } }`,
      );
      assert.equal(byStatus.runs.totalCount, 1);
      const byLen = await ok(app, `{ runs(orderBy: { field: LENGTH, direction: DESC }) { nodes { id } } }`);
      assert.equal(byLen.runs.nodes[0].id, c.id);
      assert.equal((await errorCode(app, `{ runs(first: 100000) { totalCount } }`)).code, 'BAD_USER_INPUT');
      assert.equal((await errorCode(app, `{ runs(after: "nonsense") { totalCount } }`)).code, 'BAD_USER_INPUT');

      const exps = await ok(
        app,
        `{ experiments(filter: { nameContains: "RWA" }) { totalCount nodes { id name runCount
        runs(orderBy: { field: MODEL, direction: ASC }) { nodes { model } } } } }`,
      );
      assert.equal(exps.experiments.totalCount, 1);
      assert.equal(exps.experiments.nodes[0].runCount, 2);
      assert.deepEqual(exps.experiments.nodes[0].runs.nodes, [{ model: 'lstm' }, { model: 'rwa' }]);
      const one = await ok(app, `query ($id: Int!) { experiment(id: $id) { name } }`, {
        id: exps.experiments.nodes[0].id,
      });
      assert.equal(one.experiment.name, 'adding: rwa vs lstm');

      const run = await ok(
        app,
        `query ($id: Int!) { run(id: $id) { id task model length units config status
        experiment { name } series { name split points firstStep lastStep } checkpoints { step }
        timings { stepsPerSecond progress etaSeconds } } }`,
        { id: a.id },
      );
      assert.equal(run.run.config.units, 8);
      assert.equal(run.run.config.taskOptions.length, 100);
      assert.equal(run.run.experiment.name, 'adding: rwa vs lstm');
      assert.deepEqual(
        run.run.series.find((s: J) => s.split === 'TRAIN'),
        {
          name: 'loss',
          split: 'TRAIN',
          points: N,
          firstStep: 1,
          lastStep: N,
        },
      );
      assert.equal(run.run.timings.progress, 1);
      assert.ok(Math.abs(run.run.timings.stepsPerSecond - 100) < 0.01, String(run.run.timings.stepsPerSecond));
      assert.equal((await ok(app, `{ run(id: 999999) { id } }`)).run, null);

      // Curves against the JS reference, with and without smoothing, whole and zoomed.
      for (const [w, from, to] of [
        [0, null, null],
        [0.6, null, null],
        [0.99, null, null],
        [0.999, 30_000, 60_000],
        [0.9, 700, 900],
      ] as const) {
        const t0 = performance.now();
        const r = await ok(app, CURVE, { id: a.id, max: 1000, w, from, to });
        const ms = performance.now() - t0;
        t.diagnostic(
          `${kind}: 1000-point curve of ${N} points, smoothing ${w}, steps ${from ?? 1}..${to ?? N}: ${ms.toFixed(0)} ms`,
        );
        const ref = referenceCurve(big, {
          maxPoints: 1000,
          smoothing: w,
          ...(from ? { fromStep: from } : {}),
          ...(to ? { toStep: to } : {}),
        });
        const got = r.run.curve.points;
        assert.equal(got.length, ref.length);
        assert.ok(got.length <= 1000);
        for (let i = 0; i < ref.length; i++) {
          const g = got[i];
          const e = ref[i]!;
          assert.deepEqual([g.fromStep, g.toStep, g.count, g.step], [e.fromStep, e.toStep, e.count, e.toStep]);
          close(g.value, e.value, 0, `value ${i}`);
          close(g.min, e.min, 0, `min ${i}`);
          close(g.max, e.max, 0, `max ${i}`);
          close(g.smoothed, e.smoothed, 1e-9, `smoothed ${i} (w=${w})`);
        }
      }
      const tiny = await ok(app, CURVE, { id: a.id, max: 1, w: 0, from: 10, to: 20 });
      assert.deepEqual(
        tiny.run.curve.points.map((p: J) => [p.fromStep, p.toStep, p.count]),
        [[10, 20, 11]],
      );
      assert.equal(tiny.run.curve.totalPoints, 11);

      // Several runs in one request; a run without the series gets an empty curve.
      const overlay = await ok(
        app,
        `query ($ids: [Int!]!) { curves(runIds: $ids, metric: "loss", split: TEST, maxPoints: 10) {
        runId totalPoints points { step value } } }`,
        { ids: [a.id, b.id, c.id] },
      );
      assert.deepEqual(
        overlay.curves.map((x: J) => [x.runId, x.totalPoints]),
        [
          [a.id, 31],
          [b.id, 31],
          [c.id, 0],
        ],
      );
      assert.equal(overlay.curves[1].points.at(-1).value, 0.6);

      // Summaries in SQL.
      const sum = await ok(
        app,
        `query ($id: Int!) { run(id: $id) {
        summary(metric: "loss", split: TEST) { count first { step value } last { step value } best { step value } }
        settled: stepStaysBelow(threshold: 0.5, metric: "loss", split: TEST)
        never: stepStaysBelow(threshold: 0.1, metric: "loss", split: TEST)
        above: stepStaysAbove(threshold: 0.35, metric: "loss", split: TEST)
        none: summary(metric: "accuracy") { count } } }`,
        { id: a.id },
      );
      assert.deepEqual(sum.run.summary, {
        count: 31,
        first: { step: 0, value: 1 },
        last: { step: 3000, value: 0.3 },
        best: { step: 2000, value: 0.3 },
      });
      assert.equal(sum.run.settled, 2000);
      assert.equal(sum.run.never, null);
      assert.equal(sum.run.above, null);
      assert.equal(sum.run.none, null);

      // Hidden states: steps, bytes, decoded form.
      const st = await ok(
        app,
        `query ($id: Int!) { run(id: $id) { snapshotSteps
        states { step sample shape codec codecParams events byteLength dataBase64 }
        stateSnapshot(step: 100, sample: 0) { decoded } missing: stateSnapshot(step: 5) { id } } }`,
        { id: a.id },
      );
      assert.deepEqual(st.run.snapshotSteps, [100]);
      const s0 = st.run.states[0];
      assert.deepEqual(s0.shape, [20, 8]);
      assert.deepEqual(s0.events, { markers: [3, 9] });
      const bytes = Buffer.from(s0.dataBase64, 'base64');
      assert.equal(bytes.length, s0.byteLength);
      const fromBytes = decodeHidden(s0.codec, s0.codecParams, bytes);
      const decoded = st.run.stateSnapshot.decoded as number[][];
      assert.equal(decoded.length, 20);
      assert.equal(decoded[0]!.length, 8);
      assert.equal(decoded[3]![5], fromBytes[3 * 8 + 5]);
      assert.ok(Math.abs(decoded[3]![5]! - h[3 * 8 + 5]!) < 2 / 255);
      assert.equal(st.run.missing, null);

      // Bad arguments are coded.
      for (const [q, field] of [
        [`{ run(id: ${a.id}) { curve(maxPoints: 0) { totalPoints } } }`, 'maxPoints'],
        [`{ run(id: ${a.id}) { curve(smoothing: 1) { totalPoints } } }`, 'smoothing'],
        [`{ run(id: ${a.id}) { curve(metric: "drop table") { totalPoints } } }`, 'metric'],
      ] as const) {
        const e = await errorCode(app, q);
        assert.equal(e.code, 'BAD_USER_INPUT');
        assert.equal(e.extensions.field, field);
      }

      // CSV and JSON export over HTTP.
      const csv = await (await fetch(`${app.url}api/runs/${a.id}/curve.csv?metric=loss&split=TEST&maxPoints=5`)).text();
      assert.match(csv.split('\n')[0]!, /^step,from_step,to_step,count,value,min,max,smoothed/);
      assert.equal(csv.trim().split('\n').length, 1 + 5);
      const raw = await fetch(`${app.url}api/runs/${a.id}/curve.json?metric=loss&split=TRAIN&maxPoints=0&toStep=1000`);
      assert.equal(raw.status, 200);
      const rawBody = (await raw.json()) as { points: [number, number | null, number][] };
      assert.equal(rawBody.points.length, 1000);
      assert.equal(rawBody.points[777]![1], null);
      const t0 = performance.now();
      const all = await fetch(`${app.url}api/runs/${a.id}/export.csv`);
      const allText = await all.text();
      t.diagnostic(`${kind}: CSV export of ${N + 31} points: ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal(allText.trim().split('\n').length, 1 + N + 31);
      const json = (await (await fetch(`${app.url}api/runs/${b.id}/export.json`)).json()) as J;
      assert.equal(json.run.id, b.id);
      assert.equal(json.series[0].points.length, 31);
      assert.equal((await fetch(`${app.url}api/runs/999999/export.json`)).status, 404);
      assert.equal((await fetch(`${app.url}api/runs/${a.id}/export.json?token=wrong`)).status, 401);
      assert.equal((await fetch(`${app.url}api/runs/${a.id}/export.json?token=${TEST_TOKEN}`)).status, 200);
    } finally {
      await done();
    }
  });
}
