import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../src/server/config.js';
import { ConfigError } from '../src/server/errors.js';

test('defaults: embedded PGlite in ./data/pglite, port 4000 on 127.0.0.1', () => {
  const c = loadConfig({});
  assert.deepEqual(c.database, { kind: 'pglite', dataDir: path.resolve('data', 'pglite') });
  assert.equal(c.port, 4000);
  assert.equal(c.host, '127.0.0.1');
});

test('DATABASE_URL selects PostgreSQL; RWA_DATA_DIR moves the embedded database', () => {
  assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/rwa' }).database, {
    kind: 'postgres',
    url: 'postgres://u@db:5432/rwa',
  });
  assert.equal(loadConfig({ RWA_DATA_DIR: '/tmp/x' }).database.kind, 'pglite');
  assert.deepEqual(loadConfig({ RWA_DATA_DIR: '/tmp/x' }).database, { kind: 'pglite', dataDir: '/tmp/x/pglite' });
  assert.equal(loadConfig({ DATABASE_URL: '  ' }).database.kind, 'pglite', 'blank means unset');
});

const bad: [Record<string, string>, string, RegExp][] = [
  [{ PORT: 'eighty' }, 'PORT', /PORT="eighty" is invalid: expected an integer port in 0\.\.65535/],
  [{ PORT: '70000' }, 'PORT', /0\.\.65535/],
  [{ PORT: '-1' }, 'PORT', /0\.\.65535/],
  [
    { DATABASE_URL: 'mysql://root@localhost/db' },
    'DATABASE_URL',
    /scheme must be postgres:\/\/ or postgresql:\/\/, not mysql:/,
  ],
  [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /expected a URL like postgres:\/\//],
  [{ DATABASE_URL: 'postgres://localhost:5432' }, 'DATABASE_URL', /names no database/],
  [{ RWA_LOG_LEVEL: 'loud' }, 'RWA_LOG_LEVEL', /expected one of error, warn, info, debug/],
];

for (const [env, variable, message] of bad) {
  test(`a bad ${variable} (${Object.values(env)[0]}) is rejected with the variable, the value and the fix`, () => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.variable, variable);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, message);
        assert.ok(err.message.includes(Object.values(env)[0]!), 'the message names the bad value');
        return true;
      },
    );
  });
}
