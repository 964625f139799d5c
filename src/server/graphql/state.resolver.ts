/** Hidden-state snapshots of a run: which steps have them, the compressed bytes, and a decoded form. */
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { decodeHidden } from '../../trainer/codec/index.js';
import type { Context } from './context.type.js';
import { apiError, intInRange } from './errors.js';
import { Run } from './run.type.js';
import { StateSnapshot } from './state.type.js';

@Resolver(() => Run)
export class RunStatesResolver {
  @FieldResolver(() => [Int], { description: 'Steps at which hidden states were captured, ascending.' })
  async snapshotSteps(@Root() run: Run, @Ctx() ctx: Context): Promise<number[]> {
    const rows = await ctx.db.prisma.hiddenStateSnapshot.findMany({
      where: { runId: run.id },
      distinct: ['step'],
      orderBy: { step: 'asc' },
      select: { step: true },
    });
    return rows.map((r) => r.step);
  }

  @FieldResolver(() => [StateSnapshot], {
    description: 'Every snapshot (samples, layers) at a step; the latest step when none is given.',
  })
  async states(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('step', () => Int, { nullable: true }) step: number | null,
  ): Promise<StateSnapshot[]> {
    let at = step;
    if (at === null) {
      const last = await ctx.db.prisma.hiddenStateSnapshot.findFirst({
        where: { runId: run.id },
        orderBy: { step: 'desc' },
        select: { step: true },
      });
      if (!last) return [];
      at = last.step;
    }
    return ctx.db.prisma.hiddenStateSnapshot.findMany({
      where: { runId: run.id, step: at },
      orderBy: [{ sample: 'asc' }, { layer: 'asc' }],
    });
  }

  @FieldResolver(() => StateSnapshot, {
    nullable: true,
    description: 'One snapshot; the latest step when none is given.',
  })
  async stateSnapshot(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('step', () => Int, { nullable: true }) step: number | null,
    @Arg('sample', () => Int, { defaultValue: 0 }) sample: number,
    @Arg('layer', () => Int, { defaultValue: 0 }) layer: number,
  ): Promise<StateSnapshot | null> {
    intInRange('sample', sample, 0, 1_000_000);
    intInRange('layer', layer, 0, 1000);
    return ctx.db.prisma.hiddenStateSnapshot.findFirst({
      where: { runId: run.id, sample, layer, ...(step === null ? {} : { step }) },
      orderBy: { step: 'desc' },
    });
  }
}

@Resolver(() => StateSnapshot)
export class StateSnapshotResolver {
  @FieldResolver(() => [Int], { description: '[timeSteps, units]' })
  shape(@Root() s: StateSnapshot): number[] {
    return [s.timeSteps, s.units];
  }

  @FieldResolver(() => Int, { description: 'Size of the compressed bytes.' })
  byteLength(@Root() s: StateSnapshot): number {
    return s.data.byteLength;
  }

  @FieldResolver(() => String, { description: 'The compressed bytes, base64, for the client to decode.' })
  dataBase64(@Root() s: StateSnapshot): string {
    return Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64');
  }

  @FieldResolver(() => [[Number]], {
    description: 'The decoded states as timeSteps rows of units numbers (h_t per row), for scripts.',
  })
  decoded(@Root() s: StateSnapshot): number[][] {
    let h: Float32Array;
    try {
      h = decodeHidden(s.codec, s.codecParams, s.data);
    } catch (err) {
      throw apiError('CONFLICT', `snapshot ${s.id} cannot be decoded: ${(err as Error).message}`);
    }
    const rows: number[][] = new Array(s.timeSteps);
    for (let t = 0; t < s.timeSteps; t++) rows[t] = Array.from(h.subarray(t * s.units, (t + 1) * s.units));
    return rows;
  }
}
