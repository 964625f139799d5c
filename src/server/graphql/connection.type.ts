/**
 * Relay connections: opaque cursors (base64 of an offset into the ordered result), first/after, total count.
 */
import { Field, ObjectType } from 'type-graphql';
import { badInput, intInRange } from './errors.js';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export const MAX_PAGE = 500;

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after', cursor, `after must be a cursor returned by this API; got ${JSON.stringify(cursor)}`);
  return Number(m[1]);
}

/** skip/take from first/after. */
export function pageWindow(first: number, after: string | null | undefined): { skip: number; take: number } {
  intInRange('first', first, 0, MAX_PAGE);
  const skip = after ? decodeCursor(after) + 1 : 0;
  return { skip, take: first };
}

export function connection<T>(nodes: T[], skip: number, take: number, totalCount: number) {
  return {
    totalCount,
    nodes,
    edges: nodes.map((node, i) => ({ cursor: encodeCursor(skip + i), node })),
    pageInfo: {
      hasNextPage: skip + nodes.length < totalCount,
      hasPreviousPage: skip > 0,
      startCursor: nodes.length ? encodeCursor(skip) : null,
      endCursor: nodes.length ? encodeCursor(skip + nodes.length - 1) : null,
    },
  } satisfies { totalCount: number; nodes: T[]; edges: unknown[]; pageInfo: PageInfo };
}
