import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Migration bookkeeping of the connected database.' })
export class MigrationStatus {
  @Field(() => Int, { description: 'Migrations shipped with this version.' })
  known!: number;

  @Field(() => Int, { description: 'Of those, applied to the database.' })
  applied!: number;

  @Field(() => [String], { description: 'Shipped but not applied (empty when up to date).' })
  pending!: string[];

  @Field(() => String, { nullable: true })
  latest!: string | null;

  @Field(() => Boolean)
  upToDate!: boolean;
}

@ObjectType({ description: 'Is the server up, and on what.' })
export class Health {
  @Field(() => String, { description: 'rwa-lab version.' })
  version!: string;

  @Field(() => String, { description: '`pglite` (embedded) or `postgres`.' })
  databaseKind!: string;

  @Field(() => String, { description: 'Data folder or server URL, without credentials.' })
  databaseLocation!: string;

  @Field(() => MigrationStatus)
  migrations!: MigrationStatus;
}
