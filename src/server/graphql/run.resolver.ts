/** Queries over runs: the runs connection, run(id), and the fields of Run that need the database. */
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Prisma } from '../../generated/prisma/client.js';
import { assertRunReadable, runScope } from './access.js';
import { connection, pageWindow } from './connection.type.js';
import type { Context } from './context.type.js';
import { Experiment } from './experiment.type.js';
import { badInput } from './errors.js';
import { RunFilter, RunOrder, RunOrderField } from './run.input.js';
import { Checkpoint, Run, RunConnection, RunTimings, SeriesInfo } from './run.type.js';
import { SortDirection } from './enums.type.js';

export function runWhere(filter: RunFilter | undefined | null): Prisma.RunWhereInput {
  if (!filter) return {};
  const and: Prisma.RunWhereInput[] = [];
  if (filter.ids) and.push({ id: { in: filter.ids } });
  if (filter.experimentId != null) and.push({ experimentId: filter.experimentId });
  if (filter.models) and.push({ model: { in: filter.models } });
  if (filter.tasks) and.push({ task: { in: filter.tasks } });
  if (filter.statuses) and.push({ status: { in: filter.statuses } });
  if (filter.length != null) and.push({ length: filter.length });
  if (filter.lengthMin != null) and.push({ length: { gte: filter.lengthMin } });
  if (filter.lengthMax != null) and.push({ length: { lte: filter.lengthMax } });
  if (filter.units != null) and.push({ units: filter.units });
  if (filter.layers != null) and.push({ layers: filter.layers });
  if (filter.seed != null) and.push({ seed: filter.seed });
  if (filter.createdAfter) and.push({ createdAt: { gte: filter.createdAfter } });
  if (filter.createdBefore) and.push({ createdAt: { lt: filter.createdBefore } });
  if (filter.config != null) {
    if (typeof filter.config !== 'object' || Array.isArray(filter.config))
      throw badInput('filter.config', filter.config, 'filter.config must be a JSON object of config fields');
    for (const [key, value] of Object.entries(filter.config)) {
      and.push({ config: { path: [key], equals: value as Prisma.InputJsonValue } });
    }
  }
  return and.length ? { AND: and } : {};
}

export function runOrderBy(order: RunOrder | undefined | null): Prisma.RunOrderByWithRelationInput[] {
  const field = order?.field ?? RunOrderField.CREATED_AT;
  const dir = (order?.direction ?? SortDirection.DESC) === SortDirection.ASC ? 'asc' : 'desc';
  const primary = {
    [field]: ['length', 'startedAt', 'finishedAt'].includes(field) ? { sort: dir, nulls: 'last' } : dir,
  };
  return [primary as Prisma.RunOrderByWithRelationInput, { id: dir }];
}

@Resolver(() => Run)
export class RunResolver {
  @Query(() => RunConnection, { description: 'Runs matching a filter, in pages (Relay).' })
  async runs(
    @Ctx() ctx: Context,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null,
    @Arg('orderBy', () => RunOrder, { nullable: true }) orderBy: RunOrder | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<RunConnection> {
    const where = { AND: [runScope(ctx), runWhere(filter)] };
    const { skip, take } = pageWindow(first, after);
    const [nodes, total] = await Promise.all([
      ctx.db.prisma.run.findMany({ where, orderBy: runOrderBy(orderBy), skip, take }),
      ctx.db.prisma.run.count({ where }),
    ]);
    return connection(nodes, skip, take, total);
  }

  @Query(() => Run, { nullable: true })
  async run(@Ctx() ctx: Context, @Arg('id', () => Int) id: number): Promise<Run | null> {
    assertRunReadable(ctx, id);
    return ctx.db.prisma.run.findUnique({ where: { id } });
  }

  @FieldResolver(() => Experiment, { nullable: true })
  async experiment(@Root() run: Run, @Ctx() ctx: Context): Promise<Experiment | null> {
    if (run.experimentId === null) return null;
    return ctx.db.prisma.experiment.findUnique({ where: { id: run.experimentId } });
  }

  @FieldResolver(() => [Checkpoint], { description: 'Saved checkpoints, newest first.' })
  async checkpoints(@Root() run: Run, @Ctx() ctx: Context): Promise<Checkpoint[]> {
    return ctx.db.prisma.$queryRaw<Checkpoint[]>`
      SELECT id, step, "createdAt", octet_length(params)::int AS "paramsBytes",
             octet_length(optimizer)::int AS "optimizerBytes"
      FROM "Checkpoint" WHERE "runId" = ${run.id} ORDER BY step DESC`;
  }

  @FieldResolver(() => [SeriesInfo], { description: 'The metric series stored for the run.' })
  async series(@Root() run: Run, @Ctx() ctx: Context): Promise<SeriesInfo[]> {
    const rows = await ctx.db.prisma.$queryRaw<
      { name: string; split: 'TRAIN' | 'TEST'; n: bigint; lo: number | null; hi: number | null }[]
    >`
      SELECT s.name, s.split::text AS split, count(p.step) AS n, min(p.step) AS lo, max(p.step) AS hi
      FROM "MetricSeries" s LEFT JOIN "MetricPoint" p ON p."seriesId" = s.id
      WHERE s."runId" = ${run.id} GROUP BY s.id ORDER BY s.name, s.split`;
    return rows.map((r) => ({ name: r.name, split: r.split, points: Number(r.n), firstStep: r.lo, lastStep: r.hi }));
  }

  @FieldResolver(() => RunTimings)
  async timings(@Root() run: Run, @Ctx() ctx: Context): Promise<RunTimings> {
    const end = run.finishedAt ?? (run.status === 'RUNNING' ? new Date() : run.heartbeatAt);
    const elapsedSeconds = run.startedAt && end ? (end.getTime() - run.startedAt.getTime()) / 1000 : null;
    // Speed from the training-loss series: steps over wall time between its first and last points.
    const rows = await ctx.db.prisma.$queryRaw<{ s0: number; w0: number; s1: number; w1: number }[]>`
      WITH s AS (SELECT id FROM "MetricSeries" WHERE "runId" = ${run.id} AND split = 'TRAIN' ORDER BY (name = 'loss') DESC, id LIMIT 1),
      a AS (SELECT step, "wallTime"::float8 AS w FROM "MetricPoint" WHERE "seriesId" = (SELECT id FROM s) ORDER BY step ASC LIMIT 1),
      b AS (SELECT step, "wallTime"::float8 AS w FROM "MetricPoint" WHERE "seriesId" = (SELECT id FROM s) ORDER BY step DESC LIMIT 1)
      SELECT a.step AS s0, a.w AS w0, b.step AS s1, b.w AS w1 FROM a, b`;
    let stepsPerSecond: number | null = null;
    const r = rows[0];
    if (r && r.s1 > r.s0 && r.w1 > r.w0) stepsPerSecond = (r.s1 - r.s0) / (r.w1 - r.w0);
    const left = run.totalSteps - run.currentStep;
    return {
      elapsedSeconds,
      stepsPerSecond,
      etaSeconds: run.status === 'RUNNING' && stepsPerSecond ? left / stepsPerSecond : null,
      progress: run.totalSteps > 0 ? run.currentStep / run.totalSteps : 0,
    };
  }
}
