/**
 * Query.report: the reproduction report of experiments (by name or id, as `rwa-lab report`), computed by
 * the report's own code (src/report/generate.ts reportGroups, src/report/summary.ts buildReport) and
 * returned as data for the dashboard's Report view. A share token reads the report of its view's runs only.
 */
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { ReportError, UnknownExperimentError } from '../../report/data.js';
import { reportGroups } from '../../report/generate.js';
import type { ReportRow as RowData, TaskGroup } from '../../report/summary.js';
import { requireRead } from './access.js';
import type { Context } from './context.type.js';
import { badInput } from './errors.js';
import { Report, ReportGroup, ReportRow } from './report.type.js';

export const MAX_REPORT_EXPERIMENTS = 100;
/** Runs of the named experiments (reference logs aside): each one's test curves are read in full. */
export const MAX_REPORT_RUNS = 1000;

function row(r: RowData): ReportRow {
  return {
    label: r.label,
    model: r.model,
    layers: r.layers,
    units: r.units,
    source: r.source,
    runIds: r.runs.map((s) => s.run.id),
    runs: r.runs.length,
    reached: r.reached,
    longestSteps: Math.max(...r.runs.map((s) => s.steps)),
    steps: r.steps,
    final: r.final,
    wallSeconds: r.wallSeconds,
    stepsPerSecond: r.stepsPerSecond,
    params: r.params,
    paperSteps: r.paperSteps,
    paperFinal: r.paperFinal,
    differences: r.differences,
    verdict: r.verdict,
  };
}

export function reportGroup(g: TaskGroup): ReportGroup {
  return {
    key: g.key,
    label: g.label,
    task: g.task,
    length: g.length,
    threshold: g.threshold ?? null,
    paperThreshold: g.paper?.threshold !== undefined,
    finalMetric: g.finalMetric,
    lossUnit: g.lossUnit,
    paperTrainingSteps: g.paper?.trainingSteps ?? null,
    paperNote: g.paper?.note ?? null,
    sentences: g.sentences,
    beyond: g.beyond,
    rows: g.rows.map(row),
    referenceRunIds: g.reference.map((s) => s.run.id),
  };
}

function checkNames(names: readonly string[], paperLogs: boolean): string[] {
  if (names.length > MAX_REPORT_EXPERIMENTS)
    throw badInput(
      'experiments',
      names.length,
      `at most ${MAX_REPORT_EXPERIMENTS} experiments per report; got ${names.length}`,
    );
  if (names.length === 0 && !paperLogs)
    throw badInput('experiments', names, 'name at least one experiment (or set paperLogs: true)');
  for (const name of names)
    if (name.length < 1 || name.length > 200)
      throw badInput(
        'experiments',
        name.slice(0, 200),
        `an experiment name or id is 1 to 200 characters; got ${name.length}`,
      );
  return [...new Set(names)];
}

@Resolver(() => Report)
export class ReportResolver {
  @Query(() => Report, {
    description:
      'The reproduction report of experiments (names or ids), as `rwa-lab report` computes it: per task, our ' +
      "steps to threshold, final value, wall time, speed and parameters beside the paper's, with verdicts. " +
      "paperLogs adds every imported paper-log experiment as rows (the authors' runs, recomputed).",
  })
  async report(
    @Ctx() ctx: Context,
    @Arg('experiments', () => [String]) experiments: string[],
    @Arg('paperLogs', () => Boolean, { defaultValue: false }) paperLogs: boolean,
  ): Promise<Report> {
    requireRead(ctx);
    const names = checkNames(experiments, paperLogs);
    const runIds = ctx.access.role === 'share' ? [...ctx.access.runIds] : undefined;
    try {
      const report = await reportGroups(ctx.db, names, { paperLogs, runIds, maxRuns: MAX_REPORT_RUNS });
      return { experiments: report.experiments, groups: report.groups.map(reportGroup) };
    } catch (e) {
      if (e instanceof UnknownExperimentError)
        throw badInput('experiments', e.experiment, e.message, { known: e.known });
      if (e instanceof ReportError) throw badInput('experiments', names, e.message);
      throw e;
    }
  }
}
