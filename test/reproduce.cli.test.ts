import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbKinds, freshDatabase } from './helpers/db.js';
import { loadConfig } from '../src/server/config.js';
import { CliError, parseReproduceArgs, reproduceMain } from '../src/reproduce/cli.js';
import { tiny } from '../src/reproduce/grid.js';
import { generateReport } from '../src/report/generate.js';

test('the defaults: quick scale, every task, RWA and LSTM, one seed, waiting for the runs', () => {
  assert.deepEqual(parseReproduceArgs([]), {
    scale: 'quick',
    tasks: ['adding', 'copy', 'length', 'reber', 'mnist', 'permuted-mnist'],
    models: ['rwa', 'lstm'],
    layers: [1],
    lengths: [100, 1000],
    seeds: 1,
    beyond: false,
    wait: true,
    json: false,
  });
  assert.deepEqual(
    parseReproduceArgs([
      '--scale=paper',
      '--tasks',
      'length,permuted-mnist',
      '--models',
      'lstm',
      '--seeds',
      '3',
      '--layers',
      '2,3',
      '--lengths',
      '1000',
      '--units',
      '64',
      '--experiment-prefix',
      ' run 2 ',
      '--no-wait',
      '--json',
    ]),
    {
      scale: 'paper',
      tasks: ['length', 'permuted-mnist'],
      models: ['lstm'],
      layers: [2, 3],
      lengths: [1000],
      units: 64,
      seeds: 3,
      beyond: false,
      experimentPrefix: 'run 2',
      wait: false,
      json: true,
    },
  );
  assert.equal(parseReproduceArgs(['--help']), 'help');
  const beyond = parseReproduceArgs(['--beyond', '--units', '32']);
  assert.ok(beyond !== 'help');
  assert.equal(beyond.beyond, true);
  assert.equal(beyond.seeds, 3, '--beyond defaults to 3 seeds');
  assert.equal(beyond.units, 32);
});

test('every bad flag is an error naming the flag, the value and what is allowed', () => {
  const cases: [string[], RegExp][] = [
    [['--scale', 'huge'], /--scale huge .*quick, paper/],
    [
      ['--tasks', 'adding,sorting'],
      /--tasks adding,sorting: "sorting" is not one of adding, copy, length, reber, mnist, permuted-mnist/,
    ],
    [['--tasks', ''], /--tasks : "" is not one of/],
    [['--tasks', 'copy,copy'], /--tasks copy,copy: list each one once/],
    [['--models', 'rwa,transformer'], /--models rwa,transformer: "transformer" is not one of rwa, lstm, gru/],
    [['--seeds', '0'], /--seeds 0: expected an integer in 1\.\.20/],
    [['--seeds', '2.5'], /--seeds 2\.5: expected an integer in 1\.\.20/],
    [['--seeds', '21'], /--seeds 21: expected an integer in 1\.\.20/],
    [['--experiment-prefix', '  '], /--experiment-prefix " {2}": expected 1 to 150 characters/],
    [['--units', '0'], /--units 0: expected an integer in 1\.\.4096/],
    [['--units', '64.5'], /--units 64\.5: expected an integer in 1\.\.4096/],
    [['--layers', '1,9'], /--layers 1,9: "9" is not one of 1, 2, 3, 4, 5, 6, 7, 8/],
    [['--layers', '2,2'], /--layers 2,2: list each one once/],
    [['--lengths', '500'], /--lengths 500: "500" is not one of 100, 1000/],
    [['--depth', '2'], /Unknown option '--depth'/],
    [
      ['--beyond', '--models', 'rwa'],
      /--models rwa cannot be combined with --beyond, which sets its own tasks, models/,
    ],
    [['--beyond', '--layers', '2'], /--layers 2 cannot be combined with --beyond/],
    [['--scale'], /--scale.*argument missing/],
    [['adding'], /Unexpected argument 'adding'/],
  ];
  for (const [argv, message] of cases)
    assert.throws(
      () => parseReproduceArgs(argv),
      (err: unknown) => err instanceof CliError && message.test(err.message),
      argv.join(' '),
    );
});

for (const kind of dbKinds) {
  test(`${kind}: reproduce --scale quick --tasks adding (tiny) trains through the queue and the in-process worker; the report reads it`, async (t) => {
    const db = await freshDatabase(kind);
    const config = loadConfig({}, { heartbeatSeconds: 10, logLevel: 'error' });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rwa-reproduce-'));
    try {
      const lines: string[] = [];
      const write = (text: string) => void lines.push(text);
      const t0 = performance.now();
      const code = await reproduceMain(['--scale', 'quick', '--tasks', 'adding'], {
        db,
        config,
        shrink: tiny,
        write,
        tty: false,
      });
      t.diagnostic(`4 tiny runs queued and trained in ${(performance.now() - t0).toFixed(0)} ms`);
      const text = lines.join('');
      assert.equal(code, 0, text);
      assert.match(
        text,
        /queued 4 runs in 2 experiments \("reproduce quick: adding T=100", "reproduce quick: adding T=1000"\)/,
      );
      assert.match(text, /run \d+ \(adding T=1000, lstm, seed 1\): SUCCEEDED after 30 steps/);
      assert.match(text, /\[4\/4\]/);
      assert.match(text, /adding T=5, RWA: /);
      assert.match(
        text,
        /npx rwa-lab report "reproduce quick: adding T=100" "reproduce quick: adding T=1000" --out docs\/reproduction\/reproduce-quick/,
      );

      const runs = await db.prisma.run.findMany({ orderBy: { id: 'asc' }, include: { experiment: true } });
      assert.deepEqual(
        runs.map((r) => [r.experiment?.name, r.model, r.seed, r.length, r.units, r.status, r.currentStep]),
        [
          ['reproduce quick: adding T=100', 'rwa', 1, 5, 8, 'SUCCEEDED', 30],
          ['reproduce quick: adding T=100', 'lstm', 1, 5, 8, 'SUCCEEDED', 30],
          ['reproduce quick: adding T=1000', 'rwa', 1, 50, 8, 'SUCCEEDED', 30],
          ['reproduce quick: adding T=1000', 'lstm', 1, 50, 8, 'SUCCEEDED', 30],
        ],
      );
      assert.ok(
        runs.every((r) => r.jobId),
        'every run went through the job queue',
      );

      const report = await generateReport(db, {
        experiments: ['reproduce quick: adding T=100', 'reproduce quick: adding T=1000'],
        out,
      });
      assert.deepEqual(
        report.groups.map((g) => [g.label, g.rows.map((r) => [r.label, r.runs.length, r.runs[0]!.steps])]),
        [
          [
            'adding T=5',
            [
              ['RWA', 1, 30],
              ['LSTM', 1, 30],
            ],
          ],
          [
            'adding T=50',
            [
              ['RWA', 1, 30],
              ['LSTM', 1, 30],
            ],
          ],
        ],
      );

      // The same names again are refused; a new prefix with --no-wait only queues.
      const errors: string[] = [];
      const stderr = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((s: string) => (errors.push(s), true)) as typeof process.stderr.write;
      let again: number;
      try {
        again = await reproduceMain(['--tasks', 'adding'], { db, config, shrink: tiny, write });
      } finally {
        process.stderr.write = stderr;
      }
      assert.equal(again, 2);
      assert.match(errors.join(''), /"reproduce quick: adding T=100" already has 2 runs .*--experiment-prefix/);
      const queued = await reproduceMain(['--tasks', 'adding', '--no-wait', '--experiment-prefix', 'later', '--json'], {
        db,
        config,
        shrink: tiny,
        write,
      });
      assert.equal(queued, 0);
      const later = await db.prisma.run.findMany({ where: { experiment: { name: { startsWith: 'later: ' } } } });
      assert.equal(later.length, 4);
      assert.ok(later.every((r) => r.status === 'QUEUED' && r.jobId));
      const next = JSON.parse(lines.at(-1)!);
      assert.equal(next.event, 'next');
      assert.match(next.report, /"later: adding T=1000" --out docs\/reproduction\/later$/);
    } finally {
      await db.close();
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
}
