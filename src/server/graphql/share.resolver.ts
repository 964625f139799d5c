/** Share links: createShareLink (needs the API token) and shareView (needs only the share token). */
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { newShareToken } from '../auth.js';
import { requireWrite } from './access.js';
import type { Context } from './context.type.js';
import { badInput, intInRange, metricName } from './errors.js';
import { ShareLink, ShareView, ShareViewInput } from './share.type.js';

function linkOf(
  ctx: Context,
  row: { token: string; view: unknown; createdAt: Date; expiresAt: Date | null },
): ShareLink {
  return {
    token: row.token,
    url: `${ctx.baseUrl ?? '/'}share/${row.token}`,
    view: row.view as ShareView,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

@Resolver(() => ShareLink)
export class ShareResolver {
  @Mutation(() => ShareLink, {
    description: 'Saves a read-only view; its URL and token read those runs and nothing else.',
  })
  async createShareLink(
    @Ctx() ctx: Context,
    @Arg('view', () => ShareViewInput) input: ShareViewInput,
  ): Promise<ShareLink> {
    requireWrite(ctx);
    const runIds = [...new Set(input.runIds)];
    if (runIds.length < 1 || runIds.length > 100)
      throw badInput('view.runIds', input.runIds, `view.runIds must name 1 to 100 runs; got ${runIds.length}`);
    metricName('view.metric', input.metric);
    if (!(input.smoothing >= 0 && input.smoothing < 1))
      throw badInput('view.smoothing', input.smoothing, `view.smoothing must be in [0, 1); got ${input.smoothing}`);
    if (input.step != null) intInRange('view.step', input.step, 0, 2147483647);
    if (input.sample != null) intInRange('view.sample', input.sample, 0, 1_000_000);
    if (input.expiresInDays != null) intInRange('view.expiresInDays', input.expiresInDays, 1, 3650);
    const found = await ctx.db.prisma.run.findMany({ where: { id: { in: runIds } }, select: { id: true } });
    if (found.length !== runIds.length) {
      const missing = runIds.filter((id) => !found.some((r) => r.id === id));
      throw badInput('view.runIds', missing, `view.runIds: no run ${missing.join(', ')}`);
    }
    const view: ShareView = {
      runIds,
      metric: input.metric,
      split: input.split,
      smoothing: input.smoothing,
      step: input.step ?? null,
      sample: input.sample ?? null,
    };
    const row = await ctx.db.prisma.shareLink.create({
      data: {
        token: newShareToken(),
        view: view as unknown as object,
        expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      },
    });
    return linkOf(ctx, row);
  }

  @Query(() => ShareLink, {
    nullable: true,
    description: 'The view behind a share token (null when unknown or expired).',
  })
  async shareView(@Ctx() ctx: Context, @Arg('token', () => String) token: string): Promise<ShareLink | null> {
    if (token.length > 200) return null;
    const row = await ctx.db.prisma.shareLink.findUnique({ where: { token } });
    if (!row || (row.expiresAt && row.expiresAt <= new Date())) return null;
    return linkOf(ctx, row);
  }
}
