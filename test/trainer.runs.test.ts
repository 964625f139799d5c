import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dbKinds, freshDatabase } from './helpers/db.js';
import { resolveRunConfig } from '../src/trainer/config.js';
import { createRun, executeRun, latestCheckpoint } from '../src/trainer/runs.js';
import { decodeHidden } from '../src/trainer/codec/index.js';
import { readPoints } from '../src/server/db/metrics.js';
import { packageRoot } from '../src/server/paths.js';
import { parseTrainArgs } from '../src/trainer/cli/train.js';

const config = resolveRunConfig({
  task: 'adding',
  taskOptions: { length: 10 },
  units: 8,
  steps: 30,
  evalEvery: 10,
  snapshotEvery: 10,
  checkpointEvery: 10,
  snapshotSamples: 2,
});

for (const kind of dbKinds) {
  test(`${kind}: a run recorded through Prisma reads back complete`, async () => {
    const db = await freshDatabase(kind);
    try {
      const run = await createRun(db, config, { experiment: 'recording test' });
      assert.equal(run.status, 'QUEUED');
      const result = await executeRun(db, run.id, { threads: 1 });
      assert.equal(result.status, 'SUCCEEDED');

      const stored = await db.prisma.run.findUniqueOrThrow({ where: { id: run.id }, include: { experiment: true } });
      assert.equal(stored.status, 'SUCCEEDED');
      assert.equal(stored.currentStep, 30);
      assert.equal(stored.length, 10);
      assert.equal(stored.engine, 'native');
      assert.match(stored.backend!, /native .*1 thread/);
      assert.ok(stored.startedAt && stored.finishedAt && stored.finishedAt >= stored.startedAt);
      assert.equal(stored.experiment!.name, 'recording test');
      assert.deepEqual(stored.config, JSON.parse(JSON.stringify(config)), 'the full resolved config is stored');

      const series = await db.prisma.metricSeries.findMany({
        where: { runId: run.id },
        orderBy: [{ name: 'asc' }, { split: 'asc' }],
      });
      assert.deepEqual(
        series.map((s) => `${s.name}/${s.split}`),
        ['grad_norm/TRAIN', 'loss/TRAIN', 'loss/TEST'],
      );
      const trainLoss = await readPoints(db.prisma, series[1]!.id);
      assert.deepEqual(
        trainLoss.map((p) => p.step),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      assert.ok(trainLoss.every((p) => Number.isFinite(p.value) && p.wallTime >= 0));
      const testLoss = await readPoints(db.prisma, series[2]!.id);
      assert.deepEqual(
        testLoss.map((p) => p.step),
        [0, 10, 20, 30],
      );
      assert.equal(testLoss.at(-1)!.value, result.lastTest!.loss);

      const snaps = await db.prisma.hiddenStateSnapshot.findMany({
        where: { runId: run.id },
        orderBy: [{ step: 'asc' }, { sample: 'asc' }],
      });
      assert.equal(snaps.length, 4 * 2);
      const h = decodeHidden(snaps.at(-1)!.codec, snaps.at(-1)!.codecParams, snaps.at(-1)!.data);
      assert.equal(h.length, 10 * 8);
      assert.ok(h.every((v) => v >= -1 && v <= 1));

      const ckpt = await latestCheckpoint(db, run.id);
      assert.equal(ckpt!.step, 30);
      assert.equal(await db.prisma.checkpoint.count({ where: { runId: run.id } }), 2, 'older checkpoints are pruned');
      assert.equal(ckpt!.optimizer.step, 30);
    } finally {
      await db.close();
    }
  });
}

test('CLI flags: bad values are rejected naming the flag, the value and the allowed range', () => {
  const bad: [string[], RegExp][] = [
    [['--task', 'adding', '--length', '1'], /--length: task adding: length must be an integer in 2\.\.100000; got "1"/],
    [['--task', 'sorting'], /--task: task must be one of adding, copy, length, reber, mnist; got "sorting"/],
    [
      ['--task', 'adding', '--model', 'transformer'],
      /--model: model must be one of rwa, lstm, gru, .*lstm-attention; got "transformer"/,
    ],
    [['--task', 'adding', '--lr', '2'], /--lr: learningRate must be a number in \(0, 1\]; got "2"/],
    [['--task', 'adding', '--compare', 'rwa,rwa'], /list each model once/],
    [['--task', 'adding', '--units=-3'], /--units: units must be an integer in 1\.\.4096/],
    [['--task', 'adding', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--resume', '3', '--units', '8'], /--resume continues a run with its stored config; drop --units/],
    [['--task', 'adding', '--option', 'variant'], /expected key=value/],
    [['--task', 'copy', '--option', 'colour=red'], /--option colour: task copy has no option "colour"/],
  ];
  for (const [argv, message] of bad) assert.throws(() => parseTrainArgs(argv), message, argv.join(' '));
  const ok = parseTrainArgs(['--task', 'adding', '--length', '100', '--compare', 'rwa,lstm', '--steps', '50']);
  assert.notEqual(ok, 'help');
  if (ok !== 'help') {
    assert.deepEqual(
      ok.configs.map((c) => c.model),
      ['rwa', 'lstm'],
    );
    assert.equal(ok.configs[0]!.seed, ok.configs[1]!.seed, 'a comparison shares the seed');
    assert.equal(ok.experiment, 'adding T=100: rwa vs lstm');
  }
});

test('rwa-lab train records a comparison into the embedded database and reports as JSON', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rwa-cli-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        path.join(packageRoot, 'bin', 'rwa-lab.js'),
        'train',
        '--task',
        'adding',
        '--length',
        '8',
        '--units',
        '4',
        '--steps',
        '20',
        '--compare',
        'rwa,gru',
        '--json',
      ],
      { env: { ...process.env, RWA_DATA_DIR: dataDir, DATABASE_URL: '' } },
    );
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; runId: number; status?: string; engine?: string });
    const finished = events.filter((e) => e.event === 'finished');
    assert.deepEqual(
      finished.map((e) => [e.runId, e.status]),
      [
        [1, 'SUCCEEDED'],
        [2, 'SUCCEEDED'],
      ],
    );
    assert.ok(events.some((e) => e.event === 'started' && e.engine === 'native'));
    const failed = await promisify(execFile)(
      process.execPath,
      [path.join(packageRoot, 'bin', 'rwa-lab.js'), 'train', '--task', 'adding', '--units', 'many'],
      {
        env: { ...process.env, RWA_DATA_DIR: dataDir },
      },
    ).catch((err: { code: number; stderr: string }) => err);
    assert.equal((failed as { code: number }).code, 2);
    assert.match((failed as { stderr: string }).stderr, /--units: units must be an integer in 1\.\.4096; got "many"/);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('run settings: an empty string is an error, not a request for the default', async () => {
  const { resolveRunConfig: resolve, RunConfigError } = await import('../src/trainer/config.js');
  for (const [field, input] of [
    ['model', { task: 'adding', model: '' }],
    ['units', { task: 'adding', units: '' }],
    ['engine', { task: 'adding', engine: '' }],
  ] as const) {
    assert.throws(
      () => resolve(input),
      (err: unknown) => err instanceof RunConfigError && err.field === field && err.message.includes('""'),
      field,
    );
  }
});

test('rwa-lab train: SIGTERM cancels after the current step with a checkpoint, and --resume finishes the run', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rwa-cli-term-'));
  const bin = path.join(packageRoot, 'bin', 'rwa-lab.js');
  const env = { ...process.env, RWA_DATA_DIR: dataDir, DATABASE_URL: '' };
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        bin,
        'train',
        '--task',
        'adding',
        '--length',
        '8',
        '--units',
        '4',
        '--steps',
        '2000',
        '--eval-every',
        '500',
        '--json',
      ],
      { env },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      // Signal once training is under way (the started event comes after the run is created).
      if (out.includes('"event":"started"') && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 130, out);
    const finished = JSON.parse(out.trim().split('\n').at(-1)!) as { event: string; status: string; step: number };
    assert.equal(finished.event, 'finished');
    assert.equal(finished.status, 'CANCELLED');

    assert.ok(finished.step < 2000, `cancelled at step ${finished.step}`);
    const resumed = await promisify(execFile)(process.execPath, [bin, 'train', '--resume', '1', '--json'], { env });
    const events = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; status?: string; step?: number });
    assert.deepEqual(events.at(-1)!.status, 'SUCCEEDED');
    assert.equal(events.at(-1)!.step, 2000);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
