/**
 * Reads what a report needs from the database: the experiments' runs with their test curves, and the
 * authors' imported logs (source IMPORTED) of the same tasks as reference curves. Everything after this
 * file is pure (./summary.ts, ./markdown.ts, ./charts/).
 */
import type { Database } from '../server/db/database.js';
import { readPoints } from '../server/db/metrics.js';
import type { Point } from './metrics.js';

export interface RunRecord {
  id: number;
  experiment: string;
  model: string;
  task: string;
  length: number | null;
  layers: number;
  units: number;
  seed: number;
  status: string;
  source: 'TRAINED' | 'IMPORTED';
  /** The run's resolved config (RunConfig), as stored. */
  config: Record<string, unknown>;
  backend: string | null;
  totalSteps: number;
  currentStep: number;
  /** Test curves: 'loss' always, 'accuracy' for classification tasks. */
  test: { loss: Point[]; accuracy: Point[] };
}

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** An experiment name (or id) the database does not have; `known` lists what it has (up to 20). */
export class UnknownExperimentError extends ReportError {
  constructor(
    readonly experiment: string,
    readonly known: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

/** Prefix of the experiments `rwa-lab import paper-logs` creates. */
export const PAPER_LOGS_PREFIX = 'paper logs: ';

/**
 * Experiment names (or numeric ids); an unknown one is an error listing what there is. `runIds` (a share
 * link's runs) hides every experiment without one of those runs.
 */
export async function resolveExperiments(
  db: Database,
  names: readonly string[],
  includePaperLogs: boolean,
  runIds?: readonly number[],
): Promise<{ id: number; name: string }[]> {
  const all = await db.prisma.experiment.findMany({
    where: runIds ? { runs: { some: { id: { in: [...runIds] } } } } : {},
    select: { id: true, name: true },
    orderBy: { id: 'asc' },
  });
  const chosen: { id: number; name: string }[] = [];
  for (const name of names) {
    const found =
      all.find((e) => e.name === name) ?? (/^\d+$/.test(name) ? all.find((e) => e.id === Number(name)) : undefined);
    if (!found) {
      const known = all.map((e) => JSON.stringify(e.name));
      throw new UnknownExperimentError(
        name,
        all.slice(0, 20).map((e) => e.name),
        `no experiment ${JSON.stringify(name)} in the database; ${known.length ? `known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}` : 'it has none (train with rwa-lab train --experiment NAME)'}`,
      );
    }
    if (!chosen.some((e) => e.id === found.id)) chosen.push(found);
  }
  if (includePaperLogs) {
    const logs = all.filter((e) => e.name.startsWith(PAPER_LOGS_PREFIX) && !chosen.some((c) => c.id === e.id));
    if (logs.length === 0 && names.length === 0)
      throw new ReportError(
        'no imported paper logs in the database: run rwa-lab import paper-logs ../shared/reference/paper-logs first',
      );
    chosen.push(...logs);
  }
  return chosen;
}

const RUN_SELECT = {
  id: true,
  model: true,
  task: true,
  length: true,
  layers: true,
  units: true,
  seed: true,
  status: true,
  source: true,
  config: true,
  backend: true,
  totalSteps: true,
  currentStep: true,
  experiment: { select: { name: true } },
} as const;

type RunRow = {
  id: number;
  model: string;
  task: string;
  length: number | null;
  layers: number;
  units: number;
  seed: number;
  status: string;
  source: 'TRAINED' | 'IMPORTED';
  config: unknown;
  backend: string | null;
  totalSteps: number;
  currentStep: number;
  experiment: { name: string } | null;
};

async function withCurves(db: Database, runs: RunRow[]): Promise<RunRecord[]> {
  if (runs.length === 0) return [];
  const series = await db.prisma.metricSeries.findMany({
    where: { runId: { in: runs.map((r) => r.id) }, split: 'TEST', name: { in: ['loss', 'accuracy'] } },
    select: { id: true, runId: true, name: true },
  });
  const out: RunRecord[] = [];
  for (const r of runs) {
    const test: RunRecord['test'] = { loss: [], accuracy: [] };
    for (const s of series.filter((s) => s.runId === r.id))
      test[s.name as 'loss' | 'accuracy'] = await readPoints(db.prisma, s.id);
    out.push({
      id: r.id,
      experiment: r.experiment?.name ?? '',
      model: r.model,
      task: r.task,
      length: r.length,
      layers: r.layers,
      units: r.units,
      seed: r.seed,
      status: r.status,
      source: r.source,
      config: (r.config ?? {}) as Record<string, unknown>,
      backend: r.backend,
      totalSteps: r.totalSteps,
      currentStep: r.currentStep,
      test,
    });
  }
  return out;
}

/** The experiments' runs (only `runIds`, when given), in id order, with their test curves. */
export async function loadRuns(
  db: Database,
  experimentIds: readonly number[],
  runIds?: readonly number[],
): Promise<RunRecord[]> {
  const runs = await db.prisma.run.findMany({
    where: { experimentId: { in: [...experimentIds] }, ...(runIds ? { id: { in: [...runIds] } } : {}) },
    select: RUN_SELECT,
    orderBy: { id: 'asc' },
  });
  return withCurves(db, runs);
}

/** Imported paper-log runs of these (task, length) pairs (only `runIds`, when given), except the runs already loaded. */
export async function loadReferenceRuns(
  db: Database,
  tasks: readonly { task: string; length: number | null }[],
  except: readonly number[],
  runIds?: readonly number[],
): Promise<RunRecord[]> {
  if (tasks.length === 0) return [];
  const runs = await db.prisma.run.findMany({
    where: {
      source: 'IMPORTED',
      id: { notIn: [...except], ...(runIds ? { in: [...runIds] } : {}) },
      OR: tasks.map((t) => ({ task: t.task, length: t.length })),
    },
    select: RUN_SELECT,
    orderBy: { id: 'asc' },
  });
  return withCurves(db, runs);
}
