import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from './helpers/db.js';
import { describePaperLogFile, importPaperLogs, parsePaperLog } from '../src/trainer/import/paper-logs.js';
import { packageRoot } from '../src/server/paths.js';
import { generateReport } from '../src/report/generate.js';
import { finalValue, stepsToThreshold } from '../src/report/metrics.js';
import { paperRowFor } from '../src/report/paper.js';

const logsDir = path.join(packageRoot, '..', 'shared', 'reference', 'paper-logs');
const skip = !fs.existsSync(logsDir) && `no paper logs in ${logsDir}`;

test(
  'recomputed from the authors’ 14 logs, steps to threshold and final values equal the paper’s table',
  { skip },
  () => {
    const files = fs.readdirSync(logsDir).filter((f) => describePaperLogFile(f));
    assert.equal(files.length, 14);
    const computed: string[] = [];
    const expected: string[] = [];
    for (const name of files.sort()) {
      const file = describePaperLogFile(name)!;
      const options = file.length === null ? { length: 50 } : { length: file.length };
      const paper = paperRowFor(file.task, options)!;
      assert.ok(paper?.threshold && paper.steps, `${name}: a paper row with a threshold`);
      const text = execFileSync('xz', ['-dc', path.join(logsDir, name)], { encoding: 'utf8', maxBuffer: 256 << 20 });
      const log = parsePaperLog(text, name);
      const metric = paper.threshold.metric;
      const curve = log.test.map((p) => ({ step: p.step, value: metric === 'loss' ? p.cost : p.accuracy! }));
      const reach = stepsToThreshold(curve, paper.threshold.value, paper.threshold.direction);
      computed.push(`${paper.label} ${file.model}: ${reach.step}`);
      expected.push(`${paper.label} ${file.model}: ${paper.steps[file.model]}`);
      const finalCurve = log.test.map((p) => ({
        step: p.step,
        value: paper.final.metric === 'loss' ? p.cost : p.accuracy!,
      }));
      const final = finalValue(finalCurve)!;
      const theirs = paper.final.values[file.model];
      if (paper.final.metric === 'accuracy')
        assert.ok(Math.abs(final - theirs) < 0.0006, `${name}: final ${final} vs ${theirs}`);
      else assert.ok(Math.abs(final / theirs - 1) < 0.05, `${name}: final ${final} vs ${theirs}`);
    }
    assert.deepEqual(computed, expected);
  },
);

test(
  'imported paper logs report through the database: rows, agreement sentences, parameter counts, charts',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-logs-'));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'report-paper-'));
    const db = await freshDatabase('pglite');
    try {
      for (const f of ['reber_grammar_rwa_model.out.xz', 'reber_grammar_lstm_model.out.xz'])
        fs.copyFileSync(path.join(logsDir, f), path.join(dir, f));
      await importPaperLogs(db, dir);
      const report = await generateReport(db, { experiments: [], paperLogs: true, out });
      assert.deepEqual(
        report.groups.map((g) => [g.label, g.rows.map((r) => `${r.label}: ${r.steps?.mean}`)]),
        [['Reber', ['RWA (paper log): 600', 'LSTM (paper log): 1200']]],
      );
      assert.match(report.markdown, /\| Reber +\| RWA \(paper log\) +\| 1 +\| 600 +\| 600 +\| 99\.9% +\| 99\.9% +\|/);
      assert.match(report.markdown, /Steps to accuracy >= 99% agree with the paper: 1,200 vs 1,200/);
      assert.match(report.markdown, /Experiments: "paper logs: reber"/);
      // Reber: 7 inputs, 1 output (valid or not); RWA cell 2(F+N)N + FN + 3N with F = 7, N = 250, plus the readout.
      const rwaParams = 2 * (7 + 250) * 250 + 7 * 250 + 3 * 250 + 250 + 1;
      assert.equal(report.groups[0]!.rows[0]!.params?.mean, rwaParams);
      assert.deepEqual(
        report.files.map((f) => path.basename(f)),
        ['README.md', 'reber-T50-loss.svg', 'reber-T50-accuracy.svg'],
      );
      const svg = fs.readFileSync(path.join(out, 'reber-T50-accuracy.svg'), 'utf8');
      assert.equal((svg.match(/<path class="curve"/g) ?? []).length, 2);
      assert.match(svg, /stroke-dasharray="5,3"/, 'paper logs are dashed');
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
);
