/**
 * Prisma's schema engine, compiled to wasm, driven through a driver adapter: creates and applies
 * migrations with no downloaded binary. It keeps the same `_prisma_migrations` bookkeeping as
 * `prisma migrate deploy`, so users with the full Prisma CLI can use it on the same database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { migrationsDir, schemaPath } from '../paths.js';

// The package ships wasm-bindgen glue without type declarations for the deep import.
type SchemaEngineModule = {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
  version(): string;
  SchemaEngine: { new: (opts: unknown, log: (msg: string) => void, adapter: unknown) => Promise<WasmSchemaEngine> };
};

export interface WasmSchemaEngine {
  diff(input: unknown): Promise<{ exitCode: number | null; stdout: string }>;
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
}

let loaded: Promise<SchemaEngineModule> | undefined;

function loadWasm(): Promise<SchemaEngineModule> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = (await import(pathToImport(bgPath))) as SchemaEngineModule;
    const wasmBytes = fs.readFileSync(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
    // The engine arms 10 s timers (query timeouts) that would keep a finished CLI process alive; its timers
    // never need to hold the process open, so they are unref'd.
    const imports: Record<string, unknown> = { ...bg };
    for (const [key, fn] of Object.entries(bg)) {
      if (key.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
        imports[key] = (...args: unknown[]) => {
          const timer = (fn as (...a: unknown[]) => unknown)(...args);
          (timer as { unref?: () => void } | undefined)?.unref?.();
          return timer;
        };
      }
    }
    const { instance } = await WebAssembly.instantiate(wasmBytes, {
      './schema_engine_bg.js': imports as WebAssembly.ModuleImports,
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return bg;
  })();
  return loaded;
}

function pathToImport(p: string): string {
  return new URL(`file://${p}`).href;
}

export const SCHEMA_FILTERS = { externalTables: [], externalEnums: [] };

export function readSchema(): string {
  return fs.readFileSync(schemaPath, 'utf8');
}

export interface SchemaEngineSession {
  engine: WasmSchemaEngine;
  /** Releases the connections the engine opened (a pg pool would otherwise hold the process open). */
  close(): Promise<void>;
}

/** An engine bound to one database through its adapter. */
export async function openSchemaEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  schema = readSchema(),
): Promise<SchemaEngineSession> {
  const bg = await loadWasm();
  const debug = process.env.SE_DEBUG ? (msg: string) => console.error('[schema-engine]', msg) : () => {};
  const opened: { dispose(): Promise<void> }[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    connect: async () => {
      const conn = await adapter.connect();
      opened.push(conn);
      return conn;
    },
    connectToShadowDb: async () => {
      const conn = await adapter.connectToShadowDb();
      opened.push(conn);
      return conn;
    },
  };
  const engine = await bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    debug,
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  return {
    engine,
    async close() {
      (engine as unknown as { free?: () => void }).free?.();
      await Promise.all(opened.splice(0).map((c) => c.dispose()));
    },
  };
}

export interface MigrationFolder {
  name: string;
  sql: string;
}

/** The committed migrations, oldest first. */
export function listMigrations(dir = migrationsDir): MigrationFolder[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => fs.statSync(path.join(dir, d)).isDirectory())
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8') }));
}

/** The engine's MigrationList input for the given folders. */
export function migrationList(dir = migrationsDir) {
  const lock = path.join(dir, 'migration_lock.toml');
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : null },
    migrationDirectories: listMigrations(dir).map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
    shadowDbInitScript: '',
  };
}
