/**
 * Imports the RWA paper authors' training logs as runs with source IMPORTED, so the dashboard and reports
 * can overlay "paper RWA" and "paper LSTM" on our own runs.
 *
 *   npx rwa-lab import paper-logs ../shared/reference/paper-logs
 *
 * A log is lines `Iteration: N Dataset: train|test Cost: C [Accuracy: A]`, one file per (task, length,
 * model), named like adding_problem_1000_rwa_model.out(.xz). Costs are MSE for adding and bits for copy,
 * length and Reber: the units our runs record, so curves compare directly. Re-importing a file replaces
 * its run. .xz files are read through the `xz` program (Debian's xz-utils).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../server/db/database.js';
import { appendPoints, seriesId, type MetricPointInput } from '../../server/db/metrics.js';
import { resolveRunConfig, taskLength, type RunConfig } from '../config.js';

export interface PaperLogPoint {
  step: number;
  cost: number;
  /** Fraction in [0, 1] (the logs print percent). */
  accuracy?: number;
}

export interface PaperLog {
  train: PaperLogPoint[];
  test: PaperLogPoint[];
}

const LINE =
  /^Iteration:\s*(\d+)\s+Dataset:\s*(train|test)\s+Cost:\s*([-+\d.eE]+|nan|inf)(?:\s+Accuracy:\s*([-+\d.eE]+))?\s*$/;

/** Parses a log. Lines not starting with `Iteration:` (TensorFlow's own warnings) are skipped; a malformed
 * `Iteration:` line is an error naming its number. */
export function parsePaperLog(text: string, source = 'log'): PaperLog {
  const log: PaperLog = { train: [], test: [] };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line.startsWith('Iteration:')) return;
    const m = LINE.exec(line);
    if (!m)
      throw new Error(
        `${source}:${i + 1}: not a log line ("Iteration: N Dataset: train|test Cost: C"): ${JSON.stringify(line.slice(0, 80))}`,
      );
    const point: PaperLogPoint = { step: Number(m[1]), cost: Number(m[3]) };
    if (m[4] !== undefined) point.accuracy = Number(m[4]) / 100;
    log[m[2] as 'train' | 'test'].push(point);
  });
  return log;
}

export interface PaperLogFile {
  task: 'adding' | 'copy' | 'length' | 'reber';
  length: number | null;
  model: 'rwa' | 'lstm';
}

/** What a log file is, from its name; null for other files (README, LICENSE). */
export function describePaperLogFile(name: string): PaperLogFile | null {
  const problem = /^(adding|copy|length)_problem_(\d+)_(rwa|lstm)_model\.out(?:\.xz)?$/.exec(name);
  if (problem)
    return {
      task: problem[1] as PaperLogFile['task'],
      length: Number(problem[2]),
      model: problem[3] as 'rwa' | 'lstm',
    };
  const reber = /^reber_grammar_(rwa|lstm)_model\.out(?:\.xz)?$/.exec(name);
  if (reber) return { task: 'reber', length: null, model: reber[1] as 'rwa' | 'lstm' };
  return null;
}

/** The run config of the authors' settings for a log (250 units, Adam 0.001, batch 100, test every 100). */
export function paperConfig(file: PaperLogFile, steps: number): RunConfig {
  const taskOptions: Record<string, unknown> = {};
  if (file.length !== null) taskOptions.length = file.length;
  if (file.task === 'copy') taskOptions.variant = 'paper';
  return resolveRunConfig({
    task: file.task,
    taskOptions,
    model: file.model,
    steps: Math.max(1, steps),
    snapshotSamples: 0,
  });
}

export function experimentNameFor(file: PaperLogFile): string {
  return `paper logs: ${file.task}${file.length === null ? '' : ` T=${file.length}`}`;
}

function readLog(filePath: string): string {
  if (!filePath.endsWith('.xz')) return fs.readFileSync(filePath, 'utf8');
  try {
    return execFileSync('xz', ['-dc', filePath], { encoding: 'utf8', maxBuffer: 256 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      throw new Error(
        `reading ${filePath} needs the xz program: apt-get install xz-utils (or unpack it with xz -d first)`,
      );
    throw err;
  }
}

export interface ImportedRun {
  file: string;
  runId: number;
  experiment: string;
  points: number;
}

/** Imports every log in `dir`; returns one entry per file imported. */
export async function importPaperLogs(db: Database, dir: string): Promise<ImportedRun[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`paper-logs: ${dir} is not a folder`);
  const files = fs
    .readdirSync(dir)
    .filter((name) => describePaperLogFile(name))
    .sort();
  if (files.length === 0)
    throw new Error(`paper-logs: no log files (like adding_problem_100_rwa_model.out.xz) in ${dir}`);
  const imported: ImportedRun[] = [];
  for (const name of files) {
    const file = describePaperLogFile(name)!;
    const log = parsePaperLog(readLog(path.join(dir, name)), name);
    const lastStep = Math.max(0, ...log.train.map((p) => p.step + 1), ...log.test.map((p) => p.step));
    const config = paperConfig(file, lastStep);
    const experimentName = experimentNameFor(file);
    const experiment = await db.prisma.experiment.upsert({
      where: { name: experimentName },
      create: {
        name: experimentName,
        description: `Training logs of Ostmeyer & Cowell's own runs (${file.task}), imported from ${name}`,
      },
      update: {},
    });
    // Re-importing replaces the earlier import of the same file.
    const previous = await db.prisma.run.findMany({
      where: { experimentId: experiment.id, source: 'IMPORTED', model: file.model },
    });
    if (previous.length) await db.prisma.run.deleteMany({ where: { id: { in: previous.map((r) => r.id) } } });
    const run = await db.prisma.run.create({
      data: {
        experimentId: experiment.id,
        model: file.model,
        task: file.task,
        length: taskLength(config),
        units: config.units,
        layers: 1,
        config: config as unknown as object,
        seed: config.seed,
        status: 'SUCCEEDED',
        source: 'IMPORTED',
        engine: 'imported',
        backend: `paper authors' log ${name}`,
        totalSteps: lastStep,
        currentStep: lastStep,
      },
    });
    let points = 0;
    const write = async (
      name: string,
      split: 'TRAIN' | 'TEST',
      series: PaperLogPoint[],
      pick: (p: PaperLogPoint) => number | undefined,
    ) => {
      const values: MetricPointInput[] = [];
      // Iteration i's train cost is measured on the batch of update i: after it, our step i + 1.
      for (const p of series) {
        const v = pick(p);
        if (v !== undefined && Number.isFinite(v))
          values.push({ step: split === 'TRAIN' ? p.step + 1 : p.step, value: v, wallTime: 0 });
      }
      if (values.length === 0) return;
      await appendPoints(db.prisma, await seriesId(db.prisma, run.id, name, split), values);
      points += values.length;
    };
    await write('loss', 'TRAIN', log.train, (p) => p.cost);
    await write('loss', 'TEST', log.test, (p) => p.cost);
    await write('accuracy', 'TRAIN', log.train, (p) => p.accuracy);
    await write('accuracy', 'TEST', log.test, (p) => p.accuracy);
    imported.push({ file: name, runId: run.id, experiment: experimentName, points });
  }
  return imported;
}
