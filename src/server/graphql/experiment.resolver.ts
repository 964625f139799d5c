/** Queries over experiments, and an experiment's runs. */
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Prisma } from '../../generated/prisma/client.js';
import { requireFullRead, runScope } from './access.js';
import { connection, pageWindow } from './connection.type.js';
import type { Context } from './context.type.js';
import { SortDirection } from './enums.type.js';
import { ExperimentFilter, ExperimentOrder, ExperimentOrderField } from './experiment.input.js';
import { Experiment, ExperimentConnection } from './experiment.type.js';
import { RunFilter, RunOrder } from './run.input.js';
import { runOrderBy, runWhere } from './run.resolver.js';
import { RunConnection } from './run.type.js';

function experimentWhere(filter: ExperimentFilter | null): Prisma.ExperimentWhereInput {
  const and: Prisma.ExperimentWhereInput[] = [];
  if (filter?.nameContains) and.push({ name: { contains: filter.nameContains, mode: 'insensitive' } });
  if (filter?.createdAfter) and.push({ createdAt: { gte: filter.createdAfter } });
  if (filter?.createdBefore) and.push({ createdAt: { lt: filter.createdBefore } });
  return { AND: and };
}

@Resolver(() => Experiment)
export class ExperimentResolver {
  @Query(() => ExperimentConnection, { description: 'Experiments, in pages (Relay).' })
  async experiments(
    @Ctx() ctx: Context,
    @Arg('filter', () => ExperimentFilter, { nullable: true }) filter: ExperimentFilter | null,
    @Arg('orderBy', () => ExperimentOrder, { nullable: true }) orderBy: ExperimentOrder | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<ExperimentConnection> {
    requireFullRead(ctx);
    const where = experimentWhere(filter);
    const { skip, take } = pageWindow(first, after);
    const dir = (orderBy?.direction ?? SortDirection.DESC) === SortDirection.ASC ? 'asc' : 'desc';
    const field = orderBy?.field ?? ExperimentOrderField.CREATED_AT;
    const [nodes, total] = await Promise.all([
      ctx.db.prisma.experiment.findMany({ where, orderBy: [{ [field]: dir }, { id: dir }], skip, take }),
      ctx.db.prisma.experiment.count({ where }),
    ]);
    return connection(nodes, skip, take, total);
  }

  @Query(() => Experiment, { nullable: true })
  async experiment(@Ctx() ctx: Context, @Arg('id', () => Int) id: number): Promise<Experiment | null> {
    requireFullRead(ctx);
    return ctx.db.prisma.experiment.findUnique({ where: { id } });
  }

  @FieldResolver(() => Int)
  async runCount(@Root() e: Experiment, @Ctx() ctx: Context): Promise<number> {
    return ctx.db.prisma.run.count({ where: { experimentId: e.id } });
  }

  @FieldResolver(() => RunConnection)
  async runs(
    @Root() e: Experiment,
    @Ctx() ctx: Context,
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | null,
    @Arg('orderBy', () => RunOrder, { nullable: true }) orderBy: RunOrder | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<RunConnection> {
    const where = { AND: [runScope(ctx), runWhere(filter), { experimentId: e.id }] };
    const { skip, take } = pageWindow(first, after);
    const [nodes, total] = await Promise.all([
      ctx.db.prisma.run.findMany({ where, orderBy: runOrderBy(orderBy), skip, take }),
      ctx.db.prisma.run.count({ where }),
    ]);
    return connection(nodes, skip, take, total);
  }
}
