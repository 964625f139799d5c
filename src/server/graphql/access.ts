/** Who may read and write what (see Access in context.type.ts). */
import type { Prisma } from '../../generated/prisma/client.js';
import type { Context } from './context.type.js';
import { apiError, notFound } from './errors.js';

export function requireRead(ctx: Context): void {
  if (ctx.access.role === 'none')
    throw apiError('UNAUTHENTICATED', 'queries on this server need a bearer token (Authorization: Bearer <token>)');
}

export function requireWrite(ctx: Context): void {
  if (ctx.access.role === 'admin') return;
  if (ctx.access.role === 'share')
    throw apiError('FORBIDDEN', 'a share token grants read access to its view only; mutations need the API token');
  throw apiError(
    'UNAUTHENTICATED',
    'mutations need the API token as a bearer token (Authorization: Bearer <token>); the server prints it at start',
  );
}

/** Where-clause restricting runs to what the caller may read. */
export function runScope(ctx: Context): Prisma.RunWhereInput {
  requireRead(ctx);
  return ctx.access.role === 'share' ? { id: { in: [...ctx.access.runIds] } } : {};
}

/** Throws NOT_FOUND for runs outside a share view (no hint that they exist). */
export function assertRunReadable(ctx: Context, runId: number): void {
  requireRead(ctx);
  if (ctx.access.role === 'share' && !ctx.access.runIds.has(runId)) throw notFound('run', runId);
}

/** Experiments are listed only to full readers; a share view names runs. */
export function requireFullRead(ctx: Context): void {
  requireRead(ctx);
  if (ctx.access.role === 'share')
    throw apiError('FORBIDDEN', 'a share token reads only the runs of its view (query shareView or run(id))');
}
