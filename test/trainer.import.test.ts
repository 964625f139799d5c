import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from './helpers/db.js';
import { describePaperLogFile, importPaperLogs, parsePaperLog } from '../src/trainer/import/paper-logs.js';
import { readPoints } from '../src/server/db/metrics.js';
import { packageRoot } from '../src/server/paths.js';

const logsDir = path.join(packageRoot, '..', 'shared', 'reference', 'paper-logs');

test('log lines parse; TensorFlow noise is skipped; a malformed Iteration line names its line number', () => {
  const log = parsePaperLog(
    [
      'W tensorflow/core/platform/cpu_feature_guard.cc:45] The TensorFlow library was not compiled to use SSE4.1',
      'Iteration: 0 Dataset: train Cost: 1.0020663743 Accuracy: 48.0',
      'Iteration: 0 Dataset: test Cost: 0.996 Accuracy: 46.0',
      'Iteration: 1 Dataset: train Cost: 2.5e-05',
      '',
    ].join('\n'),
  );
  assert.deepEqual(log.train, [
    { step: 0, cost: 1.0020663743, accuracy: 0.48 },
    { step: 1, cost: 2.5e-5 },
  ]);
  assert.deepEqual(log.test, [{ step: 0, cost: 0.996, accuracy: 0.46 }]);
  assert.throws(
    () => parsePaperLog('Iteration: 0 Dataset: train Cost: 1\nIteration: x Dataset: test', 'f.out'),
    /f\.out:2: not a log line/,
  );
});

test('log file names map to task, length and model', () => {
  assert.deepEqual(describePaperLogFile('adding_problem_1000_rwa_model.out.xz'), {
    task: 'adding',
    length: 1000,
    model: 'rwa',
  });
  assert.deepEqual(describePaperLogFile('copy_problem_100_lstm_model.out'), {
    task: 'copy',
    length: 100,
    model: 'lstm',
  });
  assert.deepEqual(describePaperLogFile('reber_grammar_rwa_model.out.xz'), {
    task: 'reber',
    length: null,
    model: 'rwa',
  });
  assert.equal(describePaperLogFile('LICENSE'), null);
});

test(
  'the authors’ Reber logs import as IMPORTED runs with train and test curves; re-import replaces them',
  { skip: !fs.existsSync(logsDir) && `no ${logsDir}` },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paper-logs-'));
    const db = await freshDatabase('pglite');
    try {
      for (const f of ['reber_grammar_rwa_model.out.xz', 'reber_grammar_lstm_model.out.xz', 'README.md'])
        fs.copyFileSync(path.join(logsDir, f), path.join(dir, f));
      const first = await importPaperLogs(db, dir);
      assert.deepEqual(
        first.map((r) => r.file),
        ['reber_grammar_lstm_model.out.xz', 'reber_grammar_rwa_model.out.xz'],
      );
      const again = await importPaperLogs(db, dir);
      assert.equal(await db.prisma.run.count(), 2, 're-import replaces instead of duplicating');
      const run = await db.prisma.run.findUniqueOrThrow({
        where: { id: again[1]!.runId },
        include: { experiment: true, series: true },
      });
      assert.equal(run.source, 'IMPORTED');
      assert.equal(run.model, 'rwa');
      assert.equal(run.units, 250);
      assert.equal(run.experiment!.name, 'paper logs: reber');
      const testAcc = run.series.find((s) => s.name === 'accuracy' && s.split === 'TEST')!;
      const points = await readPoints(db.prisma, testAcc.id);
      assert.equal(points[0]!.step, 0);
      assert.equal(points[1]!.step, 100);
      assert.ok(
        points.at(-1)!.value > 0.99,
        `the paper's RWA reaches ~99.9% on Reber; imported ${points.at(-1)!.value}`,
      );
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
