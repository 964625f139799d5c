import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbKinds } from './helpers/db.js';
import { http, ok, testApp, TEST_TOKEN, type J } from './helpers/api.js';
import type { App } from '../src/server/app.js';
import { RunWorker } from '../src/server/queue/worker.js';

/** A tiny training run: adding T=10, 8 units, 30 steps (well under a second of training). */
const TINY = {
  task: 'adding',
  taskOptions: { length: 10 },
  units: 8,
  steps: 30,
  batchSize: 20,
  testSize: 20,
  evalEvery: 10,
  snapshotSamples: 1,
  snapshotEvery: 10,
  checkpointEvery: 10,
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reads Server-Sent Events until `end`; returns the events. */
async function readEvents(app: App, ids: number[]): Promise<{ event: string; data: J }[]> {
  const res = await fetch(`${app.url}api/events?runs=${ids.join(',')}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: { event: string; data: J }[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  return events;
}

for (const kind of dbKinds) {
  test(`${kind}: a comparison started over HTTP trains to SUCCEEDED, watched live, with curves and states readable`, async (t) => {
    const { app, close } = await testApp(kind, { workers: 1 });
    try {
      const t0 = performance.now();
      const started = await http(
        app,
        `mutation ($input: StartComparisonInput!) { startComparison(input: $input) { id status model experimentId } }`,
        { input: { ...TINY, models: ['rwa', 'lstm'] } },
        TEST_TOKEN,
      );
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const runs = started.body.data!.startComparison as J[];
      assert.deepEqual(
        runs.map((r) => [r.model, r.status]),
        [
          ['rwa', 'QUEUED'],
          ['lstm', 'QUEUED'],
        ],
      );
      assert.equal(runs[0].experimentId, runs[1].experimentId);
      const events = await readEvents(
        app,
        runs.map((r) => r.id),
      );
      t.diagnostic(
        `${kind}: two 30-step runs queued, trained and watched in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      const end = events.at(-1)!;
      assert.equal(end.event, 'end');
      assert.deepEqual(
        end.data.runs.map((r: J) => r.status),
        ['SUCCEEDED', 'SUCCEEDED'],
      );
      assert.ok(
        events.some((e) => e.event === 'run' && e.data.status !== 'SUCCEEDED'),
        'saw the runs before they ended',
      );
      const last = events.filter((e) => e.event === 'run' && e.data.id === runs[0].id).at(-1)!;
      assert.equal(last.data.currentStep, 30);
      assert.ok(last.data.metrics.some((m: J) => m.name === 'loss' && m.split === 'TEST' && m.step === 30));

      const q = await http(
        app,
        `query ($ids: [Int!]!) { curves(runIds: $ids, metric: "loss", split: TRAIN, smoothing: 0.6) { runId totalPoints points { step smoothed } }
          runs(filter: { ids: $ids }, orderBy: { field: ID, direction: ASC }) { nodes { status currentStep engine workerHost
            checkpoints { step } snapshotSteps timings { stepsPerSecond } summary { last { step value } }
            stateSnapshot { shape decoded } } } }`,
        { ids: runs.map((r) => r.id) },
      );
      assert.equal(q.status, 200, JSON.stringify(q.body));
      const d = q.body.data!;
      assert.deepEqual(
        d.curves.map((c: J) => c.totalPoints),
        [30, 30],
      );
      for (const r of d.runs.nodes) {
        assert.equal(r.status, 'SUCCEEDED');
        assert.equal(r.currentStep, 30);
        assert.equal(r.workerHost, os.hostname());
        assert.deepEqual(r.snapshotSteps, [0, 10, 20, 30]);
        assert.equal(r.checkpoints[0].step, 30);
        assert.equal(r.summary.last.step, 30);
        assert.deepEqual(r.stateSnapshot.shape, [10, 8]);
        assert.equal(r.stateSnapshot.decoded.length, 10);
        assert.ok(r.timings.stepsPerSecond > 0);
      }
    } finally {
      await close();
    }
  });

  test(`${kind}: cancelRun stops a running run after its current step, and a queued one at once`, async () => {
    const { app, close } = await testApp(kind, { workers: 1 });
    try {
      const long = { ...TINY, steps: 1_000_000, checkpointEvery: 50, snapshotSamples: 0 };
      const a = (await ok(app, `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`, { i: long })).startRun;
      const b = (await ok(app, `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`, { i: long })).startRun;
      await waitFor('run a to train', async () => {
        const r = await app.db.prisma.run.findUnique({ where: { id: a.id } });
        return r?.status === 'RUNNING' && r.currentStep > 0;
      });
      const queued = await ok(app, `mutation ($id: Int!) { cancelRun(id: $id) { status error } }`, { id: b.id });
      assert.deepEqual(queued.cancelRun, { status: 'CANCELLED', error: 'cancelled before it started' });
      const t0 = Date.now();
      const running = await ok(app, `mutation ($id: Int!) { cancelRun(id: $id) { status } }`, { id: a.id });
      assert.equal(running.cancelRun.status, 'RUNNING');
      const done = await waitFor('run a to stop', async () => {
        const r = await app.db.prisma.run.findUnique({ where: { id: a.id } });
        return r?.status === 'CANCELLED' ? r : null;
      });
      assert.ok(Date.now() - t0 < 5000);
      assert.ok(done.currentStep > 0 && done.currentStep < 1_000_000);
      const cp = await app.db.prisma.checkpoint.findFirst({ where: { runId: a.id }, orderBy: { step: 'desc' } });
      assert.equal(cp?.step, done.currentStep, 'a checkpoint at the step it stopped');
      const again = await http(app, `mutation { cancelRun(id: ${a.id}) { status } }`, {}, TEST_TOKEN);
      assert.equal(again.body.errors?.[0]?.extensions?.code, 'CONFLICT');
      assert.equal((await ok(app, `mutation { deleteRun(id: ${a.id}) }`)).deleteRun, a.id);
      assert.equal(await app.db.prisma.run.count({ where: { id: a.id } }), 0);
      assert.equal(await app.db.prisma.metricSeries.count({ where: { runId: a.id } }), 0);
    } finally {
      await close();
    }
  });
}

if (dbKinds.includes('postgres')) {
  test('postgres: a worker process killed mid-run (SIGKILL) is recovered: its run resumes from its checkpoint elsewhere', async (t) => {
    const { app, db, close } = await testApp('postgres', { workers: 0, heartbeatSeconds: 10 });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rwa-worker-'));
    const child = spawn(process.execPath, [path.resolve('dist/src/server/worker-cli.js'), '--threads', '1'], {
      env: { ...process.env, DATABASE_URL: db.url, RWA_DATA_DIR: dataDir, RWA_HEARTBEAT_SECONDS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    let worker: RunWorker | null = null;
    try {
      const long = { ...TINY, steps: 1_000_000, checkpointEvery: 20, snapshotSamples: 0 };
      const { id } = (await ok(app, `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`, { i: long }))
        .startRun;
      const cp = await waitFor('a checkpoint from the child worker', () =>
        db.prisma.checkpoint.findFirst({ where: { runId: id, step: { gte: 40 } } }),
      ).catch((err: Error) => {
        throw new Error(`${err.message}; the child worker printed:\n${out}`);
      });
      const before = await db.prisma.run.findUniqueOrThrow({ where: { id } });
      assert.equal(before.status, 'RUNNING');
      const jobBefore = before.jobId;
      child.kill('SIGKILL');
      const killedAt = Date.now();
      worker = await RunWorker.start(db, app.queue, app.queue.config, { concurrency: 1 });
      const resumed = await waitFor(
        'the run to resume on the test worker',
        async () => {
          const r = await db.prisma.run.findUniqueOrThrow({ where: { id } });
          return worker!.runIds.includes(id) && r.status === 'RUNNING' && r.currentStep > cp.step ? r : null;
        },
        60_000,
      );
      void t;
      t.diagnostic(`recovered ${((Date.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL (heartbeat 10 s)`);
      assert.equal(resumed.jobId, jobBefore, 'the same job, retried');
      await ok(app, `mutation { cancelRun(id: ${id}) { id } }`, {});
      worker.cancelLocal(id);
      await waitFor(
        'the run to stop',
        async () => (await db.prisma.run.findUnique({ where: { id } }))?.status === 'CANCELLED',
      );
    } catch (err) {
      console.error(out);
      console.error(
        JSON.stringify(
          await db.prisma.$queryRawUnsafe(
            `SELECT name, state, retry_count, retry_limit, heartbeat_seconds, heartbeat_on, started_on, now() FROM pgboss.job`,
          ),
        ),
      );
      throw err;
    } finally {
      child.kill('SIGKILL');
      await worker?.stop();
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test('pglite: a run whose worker vanished more often than RWA_RUN_RETRIES allows is marked FAILED with the reason', async () => {
  const { app, db, close } = await testApp('pglite', { workers: 0, heartbeatSeconds: 10, runRetries: 0 });
  let worker: RunWorker | null = null;
  try {
    const { id } = (await ok(app, `mutation ($i: StartRunInput!) { startRun(input: $i) { id } }`, { i: TINY }))
      .startRun;
    // A "worker" claims the job and then never heartbeats: it died.
    const [job] = await app.queue.boss.fetch('rwa-train');
    assert.ok(job);
    await db.prisma.run.update({ where: { id }, data: { status: 'RUNNING', workerHost: 'gone-host' } });
    worker = await RunWorker.start(db, app.queue, app.queue.config, { concurrency: 1 });
    const failed = await waitFor(
      'the run to be marked FAILED',
      async () => {
        const r = await db.prisma.run.findUniqueOrThrow({ where: { id } });
        return r.status === 'FAILED' ? r : null;
      },
      40_000,
    );
    assert.match(failed.error ?? '', /lost its worker 1 time\(s\) \(no heartbeat for 10 s/);
  } finally {
    await worker?.stop();
    await close();
  }
});
