/**
 * A small recorded reproduction for report tests, written straight into the database (no training): two
 * experiments of adding T=100 (RWA seeds 1 and 2, LSTM seed 1; and one GRU run in the second), an unrelated
 * experiment, and the authors' RWA log imported as a paper-log run. Test curves every 100 steps to 3,000,
 * with wall times, so steps to threshold, final values and speeds are all defined.
 */
import type { Database } from '../../src/server/db/database.js';
import { appendPoints, seriesId } from '../../src/server/db/metrics.js';
import { resolveRunConfig } from '../../src/trainer/config.js';
import { createRun } from '../../src/trainer/runs.js';

export const REPORT_EXPERIMENTS = {
  rwaLstm: 'reproduce quick: adding T=100',
  gru: 'reproduce quick: adding T=100 gru',
  other: 'scratch: copy T=10',
  paper: 'paper logs: adding T=100',
};

/** Test loss every 100 steps: decays as scale·exp(-step/tau), with seconds = step / stepsPerSecond. */
function curve(scale: number, tau: number, stepsPerSecond: number) {
  const points = [];
  for (let step = 0; step <= 3000; step += 100)
    points.push({ step, value: scale * Math.exp(-step / tau), wallTime: step / stepsPerSecond });
  return points;
}

export interface RecordedReport {
  rwa: number[];
  lstm: number;
  gru: number;
  other: number;
  paperRwa: number;
}

export async function recordReportData(db: Database): Promise<RecordedReport> {
  const adding = (model: string, seed: number) =>
    resolveRunConfig({ task: 'adding', taskOptions: { length: 100 }, model, seed, units: 8, steps: 3000 });
  const made = async (config: ReturnType<typeof adding>, experiment: string, points: ReturnType<typeof curve>) => {
    const run = await createRun(db, config, { experiment });
    await db.prisma.run.update({ where: { id: run.id }, data: { status: 'SUCCEEDED', currentStep: 3000 } });
    await appendPoints(db.prisma, await seriesId(db.prisma, run.id, 'loss', 'TEST'), points);
    return run.id;
  };
  // RWA crosses MSE 0.01 around step 1,200 (seed 1) and 1,500 (seed 2); LSTM never within 3,000 steps.
  const rwa = [
    await made(adding('rwa', 1), REPORT_EXPERIMENTS.rwaLstm, curve(0.5, 300, 50)),
    await made(adding('rwa', 2), REPORT_EXPERIMENTS.rwaLstm, curve(0.5, 380, 40)),
  ];
  const lstm = await made(adding('lstm', 1), REPORT_EXPERIMENTS.rwaLstm, curve(0.2, 3000, 25));
  const gru = await made(adding('gru', 1), REPORT_EXPERIMENTS.gru, curve(0.4, 500, 30));
  const other = await made(
    resolveRunConfig({ task: 'copy', taskOptions: { length: 10 }, model: 'rwa', units: 8, steps: 3000 }),
    REPORT_EXPERIMENTS.other,
    curve(0.1, 1000, 60),
  );
  // The authors' RWA log: 250 units, as `rwa-lab import paper-logs` stores it (no wall times).
  const config = resolveRunConfig({ task: 'adding', taskOptions: { length: 100 }, model: 'rwa', steps: 3000 });
  const experiment = await db.prisma.experiment.create({ data: { name: REPORT_EXPERIMENTS.paper } });
  const paper = await db.prisma.run.create({
    data: {
      experimentId: experiment.id,
      model: 'rwa',
      task: 'adding',
      length: 100,
      units: 250,
      layers: 1,
      config: config as unknown as object,
      seed: config.seed,
      status: 'SUCCEEDED',
      source: 'IMPORTED',
      engine: 'imported',
      totalSteps: 3000,
      currentStep: 3000,
    },
  });
  await appendPoints(
    db.prisma,
    await seriesId(db.prisma, paper.id, 'loss', 'TEST'),
    curve(0.5, 250, 1).map((p) => ({ ...p, wallTime: 0 })),
  );
  return { rwa, lstm, gru, other, paperRwa: paper.id };
}
