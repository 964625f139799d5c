/** The GraphQL schema, built from the type-graphql classes. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CurveResolver } from './curve.resolver.js';
import { ExperimentResolver } from './experiment.resolver.js';
import { HealthResolver } from './health.resolver.js';
import { ReportResolver } from './report.resolver.js';
import { RunMutationResolver } from './run-mutation.resolver.js';
import { RunResolver } from './run.resolver.js';
import { ShareResolver } from './share.resolver.js';
import { RunStatesResolver, StateSnapshotResolver } from './state.resolver.js';

let built: Promise<GraphQLSchema> | undefined;

export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [
      HealthResolver,
      ExperimentResolver,
      RunResolver,
      CurveResolver,
      RunStatesResolver,
      StateSnapshotResolver,
      RunMutationResolver,
      ShareResolver,
      ReportResolver,
    ],
    validate: false,
  });
  return built;
}
