import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from './helpers/db.js';
import { gql, testApp, type J } from './helpers/api.js';
import type { App } from '../src/server/app.js';

const VALID = { task: 'adding', taskOptions: { length: 10 }, units: 8, steps: 30, evalEvery: 10, snapshotEvery: 10 };

/** Invalid values per setting: outside the range, not an integer, the wrong kind. */
const BAD: Record<string, unknown[]> = {
  layers: [0, 9, 1.5, -1, 1000, 2.25],
  units: [0, 4097, 2.5, -8, 100000, 0.1],
  steps: [0, 10_000_001, 0.5, -1, 2_000_000_000, 1.01],
  batchSize: [0, 10_001, 3.3, -5, 1_000_000, 0.9],
  learningRate: [0, -0.1, 1.5, 100, -1e-9, 1e9],
  clipNorm: [0, -1, 1e7, -0.5, 1e12, -1e-9],
  evalEvery: [0, 1.5, 10_000_001, -10, 2_000_000_000, 0.25],
  testSize: [0, 100_001, 2.2, -1, 1_000_000_000, 0.5],
  snapshotSamples: [-1, 17, 0.5, 100, -100, 1.5],
  snapshotEvery: [0, 7, 1.5, 15, -10, 10_000_001],
  checkpointEvery: [0, 10_000_001, 2.5, -1, 2_000_000_000, 0.5],
  seed: [-1, 2 ** 31, 1.5, -(2 ** 31), 3_000_000_000, 0.001],
  model: ['transformer', 'RWA', 'rwa ', 'lstm;drop'],
  engine: ['gpu', 'NATIVE', 'tfjs-node'],
  task: ['', 'sorting', 'ADDING', 'adding '],
  taskOptions: [{ length: 0 }, { length: 100_001 }, { length: 1.5 }, { length: 'x' }, { foo: 1 }, [], 5, 'length=10'],
};

interface Case {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  field?: string;
  value?: unknown;
}

function cases(): Case[] {
  const out: Case[] = [];
  const START = `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`;
  const COMPARE = `mutation ($i: StartComparisonInput!) { startComparison(input: $i) { id } }`;
  for (const [key, values] of Object.entries(BAD)) {
    for (const value of values) {
      const input = { ...VALID, [key]: value };
      out.push({
        name: `startRun ${key}=${JSON.stringify(value)}`,
        query: START,
        variables: { i: input },
        field: key,
        value,
      });
      out.push({
        name: `startComparison ${key}=${JSON.stringify(value)}`,
        query: COMPARE,
        variables: { i: { ...input, models: key === 'model' ? [value] : ['rwa', 'lstm'] } },
        field: key,
        value,
      });
    }
  }
  for (const models of [[], ['rwa', 'rwa'], ['rwa', 'nope'], ['rwa', 'lstm', 'gru', 'a', 'b', 'c', 'd', 'e', 'f']])
    out.push({ name: `models=${JSON.stringify(models)}`, query: COMPARE, variables: { i: { ...VALID, models } } });
  for (const experimentName of ['', '   ', 'x'.repeat(201)]) {
    out.push({
      name: `experimentName ${experimentName.length}`,
      query: START,
      variables: { i: { ...VALID, experimentName } },
    });
    out.push({
      name: `comparison experimentName ${experimentName.length}`,
      query: COMPARE,
      variables: { i: { ...VALID, models: ['rwa'], experimentName } },
    });
  }
  out.push({ name: 'experimentId missing', query: START, variables: { i: { ...VALID, experimentId: 999999 } } });
  const SHARE = `mutation ($v: ShareViewInput!) { createShareLink(view: $v) { token } }`;
  for (const v of [
    { runIds: [] },
    { runIds: [999999] },
    { runIds: [1], metric: 'a b' },
    { runIds: [1], smoothing: 1 },
    { runIds: [1], smoothing: -0.5 },
    { runIds: [1], expiresInDays: 0 },
    { runIds: [1], step: -1 },
    { runIds: [1], split: 'VALID' },
  ])
    out.push({ name: `share ${JSON.stringify(v)}`, query: SHARE, variables: { v } });
  const CURVE = `query ($id: Int!, $m: String!, $n: Int!, $w: Float!, $f: Int) { run(id: $id) { curve(metric: $m, maxPoints: $n, smoothing: $w, fromStep: $f) { totalPoints } } }`;
  for (const [m, n, w, f] of [
    ['loss', 0, 0, null],
    ['loss', 100_001, 0, null],
    ['loss', 10, -0.1, null],
    ['loss', 10, 1, null],
    ['', 10, 0, null],
    ['1loss', 10, 0, null],
    ['x'.repeat(65), 10, 0, null],
    ['loss', 10, 0, -1],
  ] as const)
    out.push({ name: `curve ${m} ${n} ${w} ${f}`, query: CURVE, variables: { id: 1, m, n, w, f } });
  // Wrong GraphQL types are refused while coercing variables.
  for (const i of [{ ...VALID, units: 'abc' }, { ...VALID, steps: 1e12 }, { ...VALID, task: 5 }, { units: 8 }])
    out.push({ name: `types ${JSON.stringify(i)}`, query: START, variables: { i } });
  return out;
}

async function counts(app: App) {
  const p = app.db.prisma;
  const [runs, experiments, links, series, jobs] = await Promise.all([
    p.run.count(),
    p.experiment.count(),
    p.shareLink.count(),
    p.metricSeries.count(),
    p.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM pgboss.job'),
  ]);
  return { runs, experiments, links, series, jobs: Number(jobs[0]!.n) };
}

for (const kind of dbKinds) {
  test(`${kind}: 200+ invalid inputs each get BAD_USER_INPUT naming the field and value, and write nothing`, async (t) => {
    const { app, close } = await testApp(kind, { workers: 0 }, { http: false });
    try {
      // One real run so that run 1 exists for the curve and share cases.
      const made = await gql<J>(app, `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`, { i: VALID });
      assert.equal(made.errors, undefined, JSON.stringify(made.errors));
      const before = await counts(app);
      const all = cases();
      t.diagnostic(`${all.length} invalid inputs`);
      assert.ok(all.length >= 200);
      for (const c of all) {
        const r = await gql(app, c.query, c.variables);
        assert.ok(r.errors?.length, `${c.name}: expected an error, got ${JSON.stringify(r.data)}`);
        const e = r.errors[0]!;
        assert.equal(e.extensions?.code, 'BAD_USER_INPUT', `${c.name}: ${JSON.stringify(e)}`);
        if (c.field !== undefined) {
          // Ours carry extensions.field; GraphQL's own type errors name the path ("i.layers") in the message.
          if (e.extensions?.field !== undefined)
            assert.match(String(e.extensions.field), new RegExp(`(^|\\.)${c.field}`), `${c.name}: field`);
          else assert.match(e.message, new RegExp(`"i\\.${c.field}"`), `${c.name}: ${e.message}`);
          if (c.field !== 'taskOptions') assert.ok(e.message.includes(c.field), `${c.name}: ${e.message}`);
        }
      }
      assert.deepEqual(await counts(app), before);
      // The message gives the allowed range, e.g. for units.
      const units = await gql(app, `mutation { startRun(input: { task: "adding", units: 5000 }) { id } }`);
      assert.match(units.errors![0]!.message, /units must be an integer in 1\.\.4096; got 5000/);
      assert.equal(units.errors![0]!.extensions?.value, 5000);
    } finally {
      await close();
    }
  });
}
