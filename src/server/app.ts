/**
 * The server as a value: open the database, migrate, serve HTTP. main.ts runs it; tests start it on a
 * free port against a fresh database.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { applyMigrations } from './db/migrate.js';
import { graphqlSchema } from './graphql/schema.js';
import type { Context } from './graphql/context.type.js';
import { createHttpServer } from './http.js';
import { packageRoot } from './paths.js';

export interface App {
  url: string;
  db: Database;
  apollo: ApolloServer<Context>;
  /** Migrations applied at this start. */
  migrated: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this (already open) database instead of opening config.database; the app will not close it. */
  db?: Database;
}

export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  const db = options.db ?? (await openDatabase(config.database));
  try {
    const migrated = await applyMigrations(db);
    const apollo = new ApolloServer<Context>({ schema: await graphqlSchema(), introspection: true });
    await apollo.start();
    const server = createHttpServer({
      apollo,
      context: async () => ({ db, config }),
      staticDir: dashboardDir(),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
      db,
      apollo,
      migrated,
      async close() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await apollo.stop();
        if (!options.db) await db.close();
      },
    };
  } catch (err) {
    if (!options.db) await db.close();
    throw err;
  }
}

/** The built dashboard when present, else its sources (a plain page needs no build). */
function dashboardDir(): string {
  return path.join(packageRoot, 'src', 'dashboard');
}
