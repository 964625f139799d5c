/**
 * Mutations on runs: start one, start a comparison, cancel, delete. Settings are validated by the trainer's
 * resolveRunConfig (the one validation of run settings); its RunConfigError becomes BAD_USER_INPUT naming
 * the field, the value and the allowed range. Everything is validated before anything is written.
 */
import { Arg, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import {
  resolveRunConfig,
  RunConfigError,
  taskLength,
  type RunConfig,
  type RunConfigInput,
} from '../../trainer/config.js';
import { createRun } from '../../trainer/runs.js';
import { enqueueRuns } from '../queue/queue.js';
import { requireWrite } from './access.js';
import type { Context } from './context.type.js';
import { apiError, badInput, notFound } from './errors.js';
import { RunSettingsInput, StartComparisonInput, StartRunInput } from './run.input.js';
import { Run } from './run.type.js';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED']);
const MAX_COMPARISON = 8;

function settings(input: RunSettingsInput): RunConfigInput {
  const out: RunConfigInput = {};
  const keys = [
    'model',
    'layers',
    'units',
    'steps',
    'batchSize',
    'learningRate',
    'clipNorm',
    'evalEvery',
    'testSize',
    'snapshotSamples',
    'snapshotEvery',
    'checkpointEvery',
    'seed',
    'engine',
  ] as const;
  for (const k of keys) if (input[k] !== undefined && input[k] !== null) out[k] = input[k];
  return out;
}

/** resolveRunConfig with its errors as GraphQL errors (field prefixed with the input path). */
export function runConfigFrom(input: RunConfigInput, path = 'input'): RunConfig {
  try {
    return resolveRunConfig(input);
  } catch (err) {
    if (err instanceof RunConfigError) throw badInput(`${path}.${err.field}`, err.value, err.message);
    throw err;
  }
}

function experimentNameOk(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200)
    throw badInput(field, name, `${field} must be 1 to 200 characters; got ${trimmed.length}`);
  return trimmed;
}

@Resolver(() => Run)
export class RunMutationResolver {
  @Mutation(() => Run, { description: 'Validates the settings, creates the run (QUEUED) and queues it for a worker.' })
  async startRun(@Ctx() ctx: Context, @Arg('input', () => StartRunInput) input: StartRunInput): Promise<Run> {
    requireWrite(ctx);
    const config = runConfigFrom({ ...settings(input), task: input.task, taskOptions: input.taskOptions });
    let experiment: string | undefined;
    if (input.experimentId != null) {
      const e = await ctx.db.prisma.experiment.findUnique({ where: { id: input.experimentId } });
      if (!e) throw badInput('input.experimentId', input.experimentId, `no experiment ${input.experimentId}`);
      experiment = e.name;
    } else if (input.experimentName != null)
      experiment = experimentNameOk(input.experimentName, 'input.experimentName');
    const run = await createRun(ctx.db, config, experiment ? { experiment } : {});
    return this.enqueue(ctx, [run.id]).then((runs) => runs[0]!);
  }

  @Mutation(() => [Run], {
    description: 'One run per model on the same task, data and seed, in one experiment; all are queued.',
  })
  async startComparison(
    @Ctx() ctx: Context,
    @Arg('input', () => StartComparisonInput) input: StartComparisonInput,
  ): Promise<Run[]> {
    requireWrite(ctx);
    const models = input.models;
    if (models.length < 1 || models.length > MAX_COMPARISON || new Set(models).size !== models.length)
      throw badInput(
        'input.models',
        models,
        `input.models must list 1 to ${MAX_COMPARISON} different models; got ${JSON.stringify(models)}`,
      );
    const configs = models.map((model, i) =>
      runConfigFrom(
        { ...settings(input), model, task: input.task, taskOptions: input.taskOptions },
        `input.models[${i}]`,
      ),
    );
    const first = configs[0]!;
    let name: string;
    if (input.experimentName != null) name = experimentNameOk(input.experimentName, 'input.experimentName');
    else {
      const T = taskLength(first);
      const base = `${first.task}${T === null ? '' : ` T=${T}`}: ${models.join(' vs ')}, seed ${first.seed}`;
      name = base;
      for (let n = 2; await ctx.db.prisma.experiment.findUnique({ where: { name } }); n++) name = `${base} (${n})`;
    }
    const ids: number[] = [];
    for (const config of configs) {
      const run = await createRun(ctx.db, config, {
        experiment: name,
        ...(input.description ? { description: input.description } : {}),
      });
      ids.push(run.id);
    }
    return this.enqueue(ctx, ids);
  }

  @Mutation(() => Run, {
    description: 'A queued run is cancelled at once; a running one stops after its current step (status CANCELLED).',
  })
  async cancelRun(@Ctx() ctx: Context, @Arg('id', () => Int) id: number): Promise<Run> {
    requireWrite(ctx);
    const prisma = ctx.db.prisma;
    const run = await prisma.run.findUnique({ where: { id } });
    if (!run) throw notFound('run', id);
    if (TERMINAL.has(run.status)) throw apiError('CONFLICT', `run ${id} has already finished (${run.status})`);
    const now = new Date();
    if (run.status === 'QUEUED') {
      const updated = await prisma.run.updateMany({
        where: { id, status: 'QUEUED' },
        data: { status: 'CANCELLED', cancelRequestedAt: now, finishedAt: now, error: 'cancelled before it started' },
      });
      if (updated.count === 1) {
        if (run.jobId && ctx.queue) await ctx.queue.cancel(run.jobId).catch(() => {});
        return prisma.run.findUniqueOrThrow({ where: { id } });
      }
    }
    await prisma.run.update({ where: { id }, data: { cancelRequestedAt: now } });
    ctx.worker?.cancelLocal(id);
    return prisma.run.findUniqueOrThrow({ where: { id } });
  }

  @Mutation(() => Int, {
    description: 'Deletes a run and everything it recorded (a running one is stopped); returns its id.',
  })
  async deleteRun(@Ctx() ctx: Context, @Arg('id', () => Int) id: number): Promise<number> {
    requireWrite(ctx);
    const run = await ctx.db.prisma.run.findUnique({ where: { id }, select: { status: true, jobId: true } });
    if (!run) throw notFound('run', id);
    if (run.status === 'QUEUED' && run.jobId && ctx.queue) await ctx.queue.cancel(run.jobId).catch(() => {});
    ctx.worker?.cancelLocal(id);
    await ctx.db.prisma.run.delete({ where: { id } });
    return id;
  }

  private async enqueue(ctx: Context, ids: number[]): Promise<Run[]> {
    if (!ctx.queue) throw apiError('CONFLICT', 'this server has no job queue');
    return enqueueRuns(ctx.db, ctx.queue, ids);
  }
}
