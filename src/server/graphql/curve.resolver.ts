/**
 * Curves and summaries: Run.curve, Query.curves (several runs in one SQL statement, for overlays),
 * Run.summary and the threshold steps. Everything is computed in SQL (src/server/db/curves.ts).
 */
import { Arg, Ctx, FieldResolver, Float, Int, Query, Resolver, Root } from 'type-graphql';
import { bucketedCurves, seriesSummary, settledStep, type CurveBucket } from '../db/curves.js';
import { assertRunReadable } from './access.js';
import type { Context } from './context.type.js';
import { Curve, MetricSummary, StepValue } from './curve.type.js';
import { Split } from './enums.type.js';
import { badInput, intInRange, metricName } from './errors.js';
import { Run } from './run.type.js';

export const MAX_CURVE_POINTS = 100_000;
export const MAX_CURVE_RUNS = 100;

export interface CurveArgs {
  metric: string;
  split: Split;
  maxPoints: number;
  smoothing: number;
  fromStep?: number | null;
  toStep?: number | null;
}

export function checkCurveArgs(a: CurveArgs): void {
  metricName('metric', a.metric);
  intInRange('maxPoints', a.maxPoints, 1, MAX_CURVE_POINTS);
  if (!(a.smoothing >= 0 && a.smoothing < 1))
    throw badInput(
      'smoothing',
      a.smoothing,
      `smoothing must be a number in [0, 1) (an EMA weight); got ${a.smoothing}`,
    );
  if (a.fromStep != null) intInRange('fromStep', a.fromStep, 0, 2147483647);
  if (a.toStep != null) intInRange('toStep', a.toStep, 0, 2147483647);
}

const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);

function toPoints(buckets: CurveBucket[]) {
  return buckets.map((b) => ({
    step: b.toStep,
    fromStep: b.fromStep,
    toStep: b.toStep,
    count: b.count,
    value: finite(b.value),
    min: finite(b.min),
    max: finite(b.max),
    smoothed: finite(b.smoothed),
    smoothedMin: finite(b.smoothedMin),
    smoothedMax: finite(b.smoothedMax),
    wallTime: b.wallTime,
  }));
}

/** Curves of several runs' series (metric, split), one statement. Runs without the series get empty curves. */
export async function loadCurves(ctx: Context, runIds: readonly number[], a: CurveArgs): Promise<Curve[]> {
  checkCurveArgs(a);
  const series = await ctx.db.prisma.metricSeries.findMany({
    where: { runId: { in: [...runIds] }, name: a.metric, split: a.split },
    select: { id: true, runId: true },
  });
  const buckets = await bucketedCurves(
    ctx.db.prisma,
    series.map((s) => s.id),
    a,
  );
  const bySeries = new Map<number, CurveBucket[]>();
  for (const b of buckets) {
    let list = bySeries.get(b.seriesId);
    if (!list) bySeries.set(b.seriesId, (list = []));
    list.push(b);
  }
  const seriesOfRun = new Map(series.map((s) => [s.runId, s.id]));
  return runIds.map((runId) => {
    const list = bySeries.get(seriesOfRun.get(runId) ?? -1) ?? [];
    return {
      runId,
      metric: a.metric,
      split: a.split,
      smoothing: a.smoothing,
      totalPoints: list.reduce((n, b) => n + b.count, 0),
      points: toPoints(list),
    };
  });
}

@Resolver(() => Run)
export class CurveResolver {
  @FieldResolver(() => Curve, { description: 'A metric series bucketed to at most maxPoints, optionally smoothed.' })
  async curve(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('metric', () => String, { defaultValue: 'loss' }) metric: string,
    @Arg('split', () => Split, { defaultValue: Split.TEST }) split: Split,
    @Arg('maxPoints', () => Int, { defaultValue: 1000 }) maxPoints: number,
    @Arg('smoothing', () => Float, {
      defaultValue: 0,
      description: 'EMA weight in [0, 1), applied to the full-resolution series before bucketing.',
    })
    smoothing: number,
    @Arg('fromStep', () => Int, { nullable: true }) fromStep: number | null,
    @Arg('toStep', () => Int, { nullable: true }) toStep: number | null,
  ): Promise<Curve> {
    const [curve] = await loadCurves(ctx, [run.id], { metric, split, maxPoints, smoothing, fromStep, toStep });
    return curve!;
  }

  @Query(() => [Curve], { description: 'The same curve of several runs, for overlays (one SQL statement).' })
  async curves(
    @Ctx() ctx: Context,
    @Arg('runIds', () => [Int]) runIds: number[],
    @Arg('metric', () => String, { defaultValue: 'loss' }) metric: string,
    @Arg('split', () => Split, { defaultValue: Split.TEST }) split: Split,
    @Arg('maxPoints', () => Int, { defaultValue: 1000 }) maxPoints: number,
    @Arg('smoothing', () => Float, { defaultValue: 0 }) smoothing: number,
    @Arg('fromStep', () => Int, { nullable: true }) fromStep: number | null,
    @Arg('toStep', () => Int, { nullable: true }) toStep: number | null,
  ): Promise<Curve[]> {
    if (runIds.length > MAX_CURVE_RUNS)
      throw badInput('runIds', runIds.length, `at most ${MAX_CURVE_RUNS} runs per curves query; got ${runIds.length}`);
    for (const id of runIds) assertRunReadable(ctx, id);
    return loadCurves(ctx, runIds, { metric, split, maxPoints, smoothing, fromStep, toStep });
  }

  @FieldResolver(() => MetricSummary, {
    nullable: true,
    description: 'Count, first, last, min, max and best of a series (null when the run has no such series).',
  })
  async summary(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('metric', () => String, { defaultValue: 'loss' }) metric: string,
    @Arg('split', () => Split, { defaultValue: Split.TEST }) split: Split,
  ): Promise<MetricSummary | null> {
    const id = await this.seriesOf(ctx, run.id, metric, split);
    if (id === null) return null;
    const s = await seriesSummary(ctx.db.prisma, id);
    const sv = (p: { step: number; value: number } | null): StepValue | null =>
      p && { step: p.step, value: finite(p.value) };
    const higherIsBetter = /acc/i.test(metric);
    return {
      runId: run.id,
      metric,
      split,
      count: s.count,
      first: sv(s.first),
      last: sv(s.last),
      min: sv(s.min),
      max: sv(s.max),
      best: sv(higherIsBetter ? s.max : s.min),
    };
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'First step from which the series stays strictly below threshold to its last point (null if never).',
  })
  async stepStaysBelow(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('threshold', () => Float) threshold: number,
    @Arg('metric', () => String, { defaultValue: 'loss' }) metric: string,
    @Arg('split', () => Split, { defaultValue: Split.TEST }) split: Split,
  ): Promise<number | null> {
    const id = await this.seriesOf(ctx, run.id, metric, split);
    return id === null ? null : settledStep(ctx.db.prisma, id, threshold, 'below');
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'First step from which the series stays strictly above threshold to its last point (null if never).',
  })
  async stepStaysAbove(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('threshold', () => Float) threshold: number,
    @Arg('metric', () => String, { defaultValue: 'accuracy' }) metric: string,
    @Arg('split', () => Split, { defaultValue: Split.TEST }) split: Split,
  ): Promise<number | null> {
    const id = await this.seriesOf(ctx, run.id, metric, split);
    return id === null ? null : settledStep(ctx.db.prisma, id, threshold, 'above');
  }

  private async seriesOf(ctx: Context, runId: number, metric: string, split: Split): Promise<number | null> {
    metricName('metric', metric);
    const s = await ctx.db.prisma.metricSeries.findUnique({
      where: { runId_name_split: { runId, name: metric, split } },
      select: { id: true },
    });
    return s?.id ?? null;
  }
}
