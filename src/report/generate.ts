/**
 * Generates a reproduction report: reads the experiments (and the imported paper logs of their tasks),
 * computes every row, and writes README.md plus one SVG per chart into the output folder.
 *
 *   npx rwa-lab report "adding T=100" "adding T=1000" --out docs/reproduction
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../server/db/database.js';
import { taskCharts, type ChartFile } from './charts/task-charts.js';
import { loadReferenceRuns, loadRuns, resolveExperiments, ReportError } from './data.js';
import { renderMarkdown } from './markdown.js';
import { buildReport, type TaskGroup } from './summary.js';

export interface ReportOptions {
  experiments: readonly string[];
  /** Folder to write README.md and the SVGs into (created). */
  out: string;
  /** Also report every imported paper-log experiment (the authors' runs, recomputed). */
  paperLogs?: boolean;
  title?: string;
  /** The command line shown in the report. */
  command?: string;
  now?: Date;
}

export interface ReportResult {
  groups: TaskGroup[];
  markdown: string;
  /** Paths written, README.md first. */
  files: string[];
}

export interface ReportGroups {
  experiments: { id: number; name: string }[];
  /** Runs of the experiments (reference runs are in each group's `reference`). */
  runs: number;
  groups: TaskGroup[];
}

export interface ReportGroupsOptions {
  /** Also report every imported paper-log experiment. */
  paperLogs: boolean;
  /** Only these runs count, and only experiments with one of them exist (a share link's view). */
  runIds?: readonly number[];
  /** More runs than this is a ReportError, checked before any curve is read (default: no limit). */
  maxRuns?: number;
}

/**
 * Experiments to report rows: resolves the names (or ids), loads their runs and the imported paper logs of
 * the same tasks, and builds the groups. Shared by this command and the GraphQL `report` query.
 */
export async function reportGroups(
  db: Database,
  names: readonly string[],
  { paperLogs, runIds, maxRuns }: ReportGroupsOptions,
): Promise<ReportGroups> {
  const experiments = await resolveExperiments(db, names, paperLogs, runIds);
  if (maxRuns !== undefined) {
    const count = await db.prisma.run.count({
      where: { experimentId: { in: experiments.map((e) => e.id) }, ...(runIds ? { id: { in: [...runIds] } } : {}) },
    });
    if (count > maxRuns)
      throw new ReportError(`these experiments have ${count} runs; a report covers at most ${maxRuns}`);
  }
  const runs = await loadRuns(
    db,
    experiments.map((e) => e.id),
    runIds,
  );
  const tasks = [...new Map(runs.map((r) => [`${r.task}|${r.length}`, { task: r.task, length: r.length }])).values()];
  const reference = await loadReferenceRuns(
    db,
    tasks,
    runs.map((r) => r.id),
    runIds,
  );
  return { experiments, runs: runs.length, groups: buildReport(runs, reference) };
}

export async function generateReport(db: Database, options: ReportOptions): Promise<ReportResult> {
  const { experiments, runs, groups } = await reportGroups(db, options.experiments, {
    paperLogs: options.paperLogs ?? false,
  });
  if (experiments.length === 0) throw new ReportError('name at least one experiment (or --paper-logs)');
  if (runs === 0)
    throw new ReportError(`the experiments ${experiments.map((e) => JSON.stringify(e.name)).join(', ')} have no runs`);
  const charts = new Map<string, ChartFile[]>(groups.map((g) => [g.key, taskCharts(g)]));
  const names = experiments.map((e) => e.name);
  const markdown = renderMarkdown(groups, charts, {
    title: options.title ?? `Reproduction report: ${groups.map((g) => g.label).join(', ')}`,
    command:
      options.command ??
      [
        'rwa-lab report',
        ...options.experiments.map((n) => JSON.stringify(n)),
        ...(options.paperLogs ? ['--paper-logs'] : []),
      ].join(' '),
    experiments: names,
    source: db.kind === 'pglite' ? 'the embedded database' : `PostgreSQL ${db.location}`,
    generatedAt: options.now ?? new Date(),
  });
  fs.mkdirSync(options.out, { recursive: true });
  const files = [path.join(options.out, 'README.md')];
  fs.writeFileSync(files[0]!, markdown);
  for (const list of charts.values())
    for (const c of list) {
      const file = path.join(options.out, c.file);
      fs.writeFileSync(file, c.svg);
      files.push(file);
    }
  return { groups, markdown, files };
}
