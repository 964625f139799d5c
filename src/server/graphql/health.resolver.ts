import { Ctx, Query, Resolver } from 'type-graphql';
import { Health } from './health.type.js';
import type { Context } from './context.type.js';
import { migrationState } from '../db/migrate.js';
import { packageVersion } from '../paths.js';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { description: 'Version, database kind and migration state.' })
  async health(@Ctx() { db }: Context): Promise<Health> {
    const state = await migrationState(db);
    return {
      version: packageVersion,
      databaseKind: db.kind,
      databaseLocation: db.location,
      migrations: { ...state, upToDate: state.pending.length === 0 },
    };
  }
}
