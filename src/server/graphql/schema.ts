/** The GraphQL schema, built from the type-graphql classes. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver } from './health.resolver.js';

let built: Promise<GraphQLSchema> | undefined;

export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [HealthResolver], validate: false });
  return built;
}
