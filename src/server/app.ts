/**
 * The server as a value: open the database, migrate, start the job queue (and, unless told otherwise,
 * an in-process worker), serve HTTP. main.ts runs it; tests start it on a free port against a fresh
 * database.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import type { Config } from './config.js';
import { accessFor, bearerToken, ensureApiToken } from './auth.js';
import { openDatabase, type Database } from './db/database.js';
import { applyMigrations } from './db/migrate.js';
import { graphqlSchema } from './graphql/schema.js';
import type { Context } from './graphql/context.type.js';
import { queryLimitsPlugin } from './graphql/limits.js';
import { createHttpServer } from './http.js';
import { packageRoot } from './paths.js';
import { RunQueue } from './queue/queue.js';
import { RunWorker } from './queue/worker.js';
import { apiRoutes } from './routes.js';

export interface App {
  url: string;
  db: Database;
  apollo: ApolloServer<Context>;
  queue: RunQueue;
  /** The in-process worker, when config.workers > 0. */
  worker: RunWorker | null;
  /** The bearer token mutations need. */
  apiToken: string;
  /** True when the token was generated at this start (main prints it). */
  apiTokenGenerated: boolean;
  /** Migrations applied at this start. */
  migrated: string[];
  /** Context for in-process operations (tests): admin access unless given. */
  context(access?: Context['access']): Context;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this (already open) database instead of opening config.database; the app will not close it. */
  db?: Database;
  /** Do not serve HTTP (in-process use only). */
  noHttp?: boolean;
}

export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  const db = options.db ?? (await openDatabase(config.database));
  let queue: RunQueue | undefined;
  let worker: RunWorker | null = null;
  try {
    const migrated = await applyMigrations(db);
    const token = ensureApiToken(config);
    queue = await RunQueue.open(db, config);
    if (config.workers > 0) worker = await RunWorker.start(db, queue, config, { concurrency: config.workers });
    const apollo = new ApolloServer<Context>({
      schema: await graphqlSchema(),
      introspection: true,
      plugins: [queryLimitsPlugin({ maxDepth: config.maxQueryDepth, maxCost: config.maxQueryCost })],
    });
    await apollo.start();
    let baseUrl = config.publicUrl ?? '';
    const q = queue;
    const contextFor = (access: Context['access']): Context => ({ db, config, access, queue: q, worker, baseUrl });
    const requestContext = async (req: http.IncomingMessage) =>
      contextFor(await accessFor(db, config, token.token, bearerToken(req)));
    let server: http.Server | null = null;
    if (!options.noHttp) {
      server = createHttpServer({
        apollo,
        context: requestContext,
        staticDir: dashboardDir(),
        maxBodyBytes: config.maxBodyBytes,
        corsOrigins: config.corsOrigins,
        routes: apiRoutes({ db, config, apiToken: token.token, queue }),
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      baseUrl ||= `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    }
    return {
      url: baseUrl,
      db,
      apollo,
      queue,
      worker,
      apiToken: token.token,
      apiTokenGenerated: token.generated,
      migrated,
      context: (access = { role: 'admin' }) => contextFor(access),
      async close() {
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeAllConnections();
        }
        await worker?.stop();
        await q.stop();
        await apollo.stop();
        if (!options.db) await db.close();
      },
    };
  } catch (err) {
    await worker?.stop().catch(() => {});
    await queue?.stop().catch(() => {});
    if (!options.db) await db.close();
    throw err;
  }
}

/** The built dashboard (npm run build: scripts/build-dashboard.mjs); before a build, its sources (a page that says to build). */
export function dashboardDir(): string {
  const built = path.join(packageRoot, 'dist', 'dashboard');
  return fs.existsSync(path.join(built, 'index.html')) ? built : path.join(packageRoot, 'src', 'dashboard');
}
